/* job wait: block until jobs end; exit with what ended them. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "opt.h"
#include "waitjob.h"

enum { O_TIMEOUT = 1 };

static const struct opt_spec options[] = {
	{ "timeout", 't', OPT_VALUE, O_TIMEOUT },
	{ NULL, 0, OPT_NONE, 0 },
};

int
cmd_wait_ids(struct ctx *ctx, char ids[][ULID_LEN + 1], int n,
    int64_t timeout_ms)
{
	struct job *jobs;
	struct err e;
	int64_t deadline = timeout_ms >= 0 ? waitjob_now() + timeout_ms : 0;
	int i, rc = EXIT_OK, done = 0;
	bool timed_out = false;

	jobs = calloc((size_t)n, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		return cmd_error(ctx, &e);
	}
	for (i = 0; i < n; i++, done++) {
		int w;

		w = waitjob_one(ctx, ids[i], deadline, &jobs[i], &e);
		if (w < 0) {
			job_free_array(jobs, (size_t)done);
			return cmd_error(ctx, &e);
		}
		if (w == 1)
			timed_out = true;
		else if (rc == EXIT_OK)
			rc = job_exit_status(&jobs[i]);
	}
	if (ctx->json)
		cmd_print_jobs_json(ctx, jobs, (size_t)n, n > 1);
	else
		for (i = 0; i < n; i++)
			cmd_print_job_line(ctx, &jobs[i]);
	job_free_array(jobs, (size_t)n);
	return timed_out ? EXIT_STILL_RUNNING : rc;
}

static int
cmd_wait(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct err e;
	struct job *jobs;
	char (*ids)[ULID_LEN + 1];
	const char *value;
	int64_t timeout_ms = -1;
	int id, i, rc;

	err_clear(&e);
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while ((id = opt_next(&st, options, &value, &e)) > 0)
		if (id == O_TIMEOUT &&
		    opt_duration("timeout", value, &timeout_ms, &e) < 0)
			break;
	if (e.code == ERR_NONE && st.nwords == 0)
		err_set(&e, ERR_USAGE, "no job given");
	if (e.code != ERR_NONE) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	rc = cmd_resolve_jobs(ctx, st.words, st.nwords, &jobs);
	if (rc != 0) {
		opt_free(&st);
		return rc;
	}
	ids = calloc((size_t)st.nwords, sizeof(*ids));
	if (ids == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		rc = cmd_error(ctx, &e);
	} else {
		for (i = 0; i < st.nwords; i++)
			memcpy(ids[i], jobs[i].id, sizeof(ids[i]));
		rc = cmd_wait_ids(ctx, ids, st.nwords, timeout_ms);
	}
	job_free_array(jobs, (size_t)st.nwords);
	free(ids);
	opt_free(&st);
	return rc;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.args = "[options] REF...",
	.summary = "Wait until the jobs end; exit with the first non-zero "
	    "status.",
	.usage =
	    "  -t, --timeout DUR    give up after DUR and exit 75\n"
	    "      --json           print the record (an array for several "
	    "jobs)\n"
	    "  -h, --help           show this help\n",
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_wait,
};
