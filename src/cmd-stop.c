/*
 * job stop: end jobs and every process in them. A live supervisor is asked
 * (the signal and grace go in the row, then SIGTERM to the supervisor),
 * because only it can kill the job's processes without racing their exit.
 * If the supervisor is gone, the group is killed from here, but only after
 * proving its leader is still the job's process (pid and start time).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "job.h"
#include "lock.h"
#include "opt.h"
#include "proc.h"
#include "reconcile.h"
#include "store.h"
#include "waitjob.h"

#define PENDING_WAIT_MS 5000

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

/* The supervisor is gone but the job's process lives: kill its group. */
static int
stop_orphan(struct ctx *ctx, const struct job *j, int sig, int64_t grace,
    struct err *e)
{
	struct job_end end;
	int64_t kill_at = waitjob_now() + grace;
	pid_t pid = (pid_t)j->pid;

	if (proc_same(pid, j->pid_start))
		kill(-pid, sig);
	while (proc_same(pid, j->pid_start)) {
		if (sig != SIGKILL && waitjob_now() >= kill_at) {
			sig = SIGKILL;
			kill(-pid, SIGKILL);
		}
		waitjob_pause(5);
	}
	/* The leader is gone; the rest of its group goes too. */
	kill(-pid, SIGKILL);
	memset(&end, 0, sizeof(end));
	end.status = JOB_STOPPED;
	end.reason = "stopped";
	end.exit_code = -1;
	end.finished_at = job_now_ms();
	end.log_dropped = j->log_dropped;
	end.sup_pid = j->sup_pid;
	if (store_job_finish(ctx->store, j->id, &end, NULL, e) < 0)
		return -1;
	lock_remove(ctx->home, j->id);
	return 0;
}

static int
stop_one(struct ctx *ctx, const char *id, const char *signame, int sig,
    int64_t grace, struct job *out, struct err *e)
{
	int64_t give_up = waitjob_now() + PENDING_WAIT_MS;
	bool settled;

	for (;;) {
		if (store_job_get(ctx->store, id, out, e) < 0)
			return -1;
		if (!job_status_active(out->status))
			return 0;
		if (lock_probe(ctx->home, id) != LOCK_HELD)
			break;
		if (out->sup_pid > 0 &&
		    proc_same((pid_t)out->sup_pid, out->sup_start)) {
			if (store_job_request_stop(ctx->store, id, signame,
			    grace < 0 ? out->grace_ms : grace, e) < 0)
				return -1;
			kill((pid_t)out->sup_pid, SIGTERM);
			job_free(out);
			lock_wait(ctx->home, id, -1);
			continue;
		}
		/* Still pending: `job run` is recording the start. */
		job_free(out);
		if (waitjob_now() > give_up)
			return err_set(e, ERR_IO, "job %s did not start in "
			    "time to be stopped", id);
		waitjob_pause(2);
	}
	if (reconcile_orphan_alive(ctx, out)) {
		if (stop_orphan(ctx, out, sig, grace < 0 ? out->grace_ms :
		    grace, e) < 0)
			return -1;
	} else if (reconcile_job(ctx, out, &settled, e) < 0)
		return -1;
	job_free(out);
	return store_job_get(ctx->store, id, out, e);
}

static int
cmd_stop(struct ctx *ctx, struct cmd_args *a)
{
	struct err e;
	struct job *refs = a->jobs, *jobs = NULL;
	const char *signame = "SIGTERM";
	int64_t grace = opt_num(&a->opt, O_GRACE, -1);
	int i, sig = (int)opt_num(&a->opt, O_SIGNAL, SIGTERM), rc = EXIT_OK;
	int n = 0;

	err_clear(&e);
	if (opt_has(&a->opt, O_SIGNAL))
		signame = proc_signal_name(sig);
	if (opt_has(&a->opt, O_FORCE)) {
		sig = SIGKILL;
		signame = "SIGKILL";
		grace = 0;
	}
	jobs = calloc((size_t)a->njobs, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		rc = cmd_error(ctx, &e);
		goto out;
	}
	for (n = 0; n < a->njobs; n++)
		if (stop_one(ctx, refs[n].id, signame, sig, grace, &jobs[n],
		    &e) < 0) {
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
