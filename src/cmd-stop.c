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

static int check_signal(const char *value, int64_t *sig, struct err *e);

static const struct opt_spec options[] = {
	{ .name = "grace", .short_name = 'g', .type = OPT_DURATION,
	  .id = O_GRACE, .value_name = "DUR",
	  .help = "wait DUR after the first signal before SIGKILL\n"
	    "(default: the job's --grace, 5s)" },
	{ .name = "signal", .short_name = 's', .type = OPT_STRING,
	  .id = O_SIGNAL, .value_name = "SIG",
	  .help = "send SIG first instead of SIGTERM",
	  .check = check_signal },
	{ .name = "force", .short_name = 'f', .type = OPT_FLAG, .id = O_FORCE,
	  .help = "send SIGKILL at once" },
	{ NULL },
};

static int
check_signal(const char *value, int64_t *sig, struct err *e)
{
	*sig = proc_signal_number(value);
	if (*sig <= 0)
		return err_set(e, ERR_USAGE, "unknown signal '%s'", value);
	return 0;
}

static int
cmd_stop(struct ctx *ctx, struct cmd_args *a)
{
	struct err e;
	struct job *refs = a->jobs, *jobs = NULL;
	struct life l;
	int64_t grace = opt_num(&a->opt, O_GRACE, -1);
	int i, sig = (int)opt_num(&a->opt, O_SIGNAL, SIGTERM), rc = EXIT_OK;
	int n = 0;

	err_clear(&e);
	if (opt_has(&a->opt, O_FORCE)) {
		sig = SIGKILL;
		grace = 0;
	}
	jobs = calloc((size_t)a->njobs, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		rc = cmd_error(ctx, &e);
		goto out;
	}
	cmd_life(ctx, &l);
	for (n = 0; n < a->njobs; n++)
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
	if (jobs != NULL)
		job_free_array(jobs, (size_t)n);
	return rc;
}

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.summary = "Stop jobs and every process in them.",
	.grammar = {
		.options = options,
		CMD_REF_OPERANDS(1, -1),
		.json_help = "print the record (an array for several jobs)",
	},
	.flags = CMD_STORE | CMD_RECONCILE | CMD_REFS,
	.exec = cmd_stop,
};
