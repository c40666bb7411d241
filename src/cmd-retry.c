/* job retry: start a job again with what the original was given. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "lifecycle.h"
#include "opt.h"

enum { O_WAIT = 1 };

static const struct opt_spec options[] = {
	{ "wait", 'w', OPT_NONE, O_WAIT },
	{ NULL, 0, OPT_NONE, 0 },
};

static int
cmd_retry(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct err e;
	struct job *orig = NULL, spec, job;
	const char *value;
	struct life l;
	bool wait = false, existing;
	int id, rc;

	err_clear(&e);
	memset(&job, 0, sizeof(job));
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while ((id = opt_next(&st, options, &value, &e)) > 0)
		if (id == O_WAIT)
			wait = true;
	if (e.code == ERR_NONE && st.nwords != 1)
		err_set(&e, ERR_USAGE, st.nwords == 0 ? "no job given" :
		    "one job at a time: unexpected '%s'", st.words[1]);
	if (e.code != ERR_NONE) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	rc = cmd_resolve_jobs(ctx, st.words, 1, &orig);
	opt_free(&st);
	if (rc != 0)
		return rc;
	/* Same command, name, cwd, project, limits, env and context; a new
	 * id, no key (keys name one job), and a link to the original. */
	spec = *orig;
	spec.key = NULL;
	spec.retry_of = orig->id;
	cmd_life(ctx, &l);
	if (life_start(&l, &spec, &job, &existing, &e) < 0)
		rc = cmd_error(ctx, &e);
	else if (wait) {
		char ids[1][ULID_LEN + 1];
		memcpy(ids[0], job.id, sizeof(ids[0]));
		rc = cmd_wait_print(ctx, ids, 1, -1);
	} else if (ctx->json)
		cmd_print_jobs_json(ctx, &job, 1, false);
	else
		printf("%s\n", job.id);
	job_free(&job);
	job_free_array(orig, 1);
	return rc;
}

const struct cmd_entry cmd_retry_entry = {
	.name = "retry",
	.args = "[options] REF",
	.summary = "Start a job again: same command, name, folder, timeout, "
	    "env and context.",
	.usage =
	    "  -w, --wait           wait for the new job to end, as 'job wait'\n"
	    "      --json           print the new job's record\n"
	    "  -h, --help           show this help\n",
	.options = options,
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_retry,
};
