/*
 * job stop: end jobs and every process in them (the lifecycle asks each
 * job's supervisor, or kills an orphaned tree itself), then print them.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "lifecycle.h"
#include "opt.h"
#include "proc.h"
#include "store.h"

enum { O_GRACE = 1, O_SIGNAL, O_FORCE };

static const struct opt_spec options[] = {
	{ "grace", 'g', OPT_VALUE, O_GRACE },
	{ "signal", 's', OPT_VALUE, O_SIGNAL },
	{ "force", 'f', OPT_NONE, O_FORCE },
	{ NULL, 0, OPT_NONE, 0 },
};

static int
cmd_stop(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct err e;
	struct job *refs = NULL, *jobs = NULL;
	const char *value;
	struct life l;
	int64_t grace = -1;
	int id, i, sig = SIGTERM, rc = EXIT_OK, n = 0;

	err_clear(&e);
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while (e.code == ERR_NONE &&
	    (id = opt_next(&st, options, &value, &e)) > 0) {
		switch (id) {
		case O_GRACE:
			opt_duration("grace", value, &grace, &e);
			break;
		case O_SIGNAL:
			sig = proc_signal_number(value);
			if (sig <= 0)
				err_set(&e, ERR_USAGE, "unknown signal '%s'",
				    value);
			break;
		case O_FORCE:
			sig = SIGKILL;
			grace = 0;
			break;
		}
	}
	if (e.code == ERR_NONE && st.nwords == 0)
		err_set(&e, ERR_USAGE, "no job given");
	if (e.code != ERR_NONE) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	rc = cmd_resolve_jobs(ctx, st.words, st.nwords, &refs);
	if (rc != 0) {
		opt_free(&st);
		return rc;
	}
	jobs = calloc((size_t)st.nwords, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		rc = cmd_error(ctx, &e);
		goto out;
	}
	cmd_life(ctx, &l);
	for (n = 0; n < st.nwords; n++)
		if (life_stop(&l, refs[n].id, sig, grace, &jobs[n], &e) < 0) {
			rc = cmd_error(ctx, &e);
			goto out;
		}
	if (ctx->json)
		cmd_print_jobs_json(ctx, jobs, (size_t)n, n > 1);
	else
		for (i = 0; i < n; i++)
			cmd_print_job_line(ctx, &jobs[i]);
out:
	job_free_array(refs, (size_t)st.nwords);
	if (jobs != NULL)
		job_free_array(jobs, (size_t)n);
	opt_free(&st);
	return rc;
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.args = "[options] REF...",
	.summary = "Stop jobs and every process in them.",
	.usage =
	    "  -g, --grace DUR      wait DUR after the first signal before "
	    "SIGKILL\n"
	    "                       (default: the job's --grace, 5s)\n"
	    "  -s, --signal SIG     send SIG first instead of SIGTERM\n"
	    "  -f, --force          send SIGKILL at once\n"
	    "      --json           print the record (an array for several "
	    "jobs)\n"
	    "  -h, --help           show this help\n",
	.options = options,
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_stop,
};
