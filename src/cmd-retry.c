/* job retry: start a job again with what the original was given. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "lifecycle.h"
#include "opt.h"

enum { O_WAIT = 1 };

static const struct opt_spec options[] = {
	{ .name = "wait", .short_name = 'w', .type = OPT_FLAG, .id = O_WAIT,
	  .help = "wait for the new job to end, as 'job wait'" },
	{ NULL },
};

static int
cmd_retry(struct ctx *ctx, struct cmd_args *a)
{
	struct err e;
	struct job *orig = &a->jobs[0], spec, job;
	bool wait = opt_has(&a->opt, O_WAIT), existing;
	struct life l;
	struct life_launch ll;
	int rc = EXIT_OK;

	err_clear(&e);
	memset(&job, 0, sizeof(job));
	/* Same command, name, cwd, project, limits, env, context and queue;
	 * a new id, no key (keys name one job), no dependencies (they have
	 * ended), and a link to the original. */
	spec = *orig;
	spec.key = NULL;
	spec.after = NULL;
	spec.after_end = NULL;
	spec.retry_of = orig->id;
	cmd_life(ctx, &l);
	if (life_launch(&l, &spec, &ll, &e) < 0 ||
	    life_start(&l, &ll, &spec, &job, &existing, &e) < 0)
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
	return rc;
}

const struct cmd_entry cmd_retry_entry = {
	.name = "retry",
	.summary = "Start a job again: same command, name, folder, timeout, "
	    "env and context.",
	.grammar = {
		.options = options,
		CMD_REF_OPERANDS(1, 1),
		.json_help = "print the new job's record",
	},
	.flags = CMD_STORE | CMD_RECONCILE | CMD_REFS,
	.exec = cmd_retry,
};
