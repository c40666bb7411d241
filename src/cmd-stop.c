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

static const struct opt_spec options[] = {
	{ "grace", 'g', OPT_VALUE, O_GRACE },
	{ "signal", 's', OPT_VALUE, O_SIGNAL },
	{ "force", 'f', OPT_NONE, O_FORCE },
	{ NULL, 0, OPT_NONE, 0 },
};

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
cmd_stop(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct err e;
	struct job *refs = NULL, *jobs = NULL;
	const char *value, *signame = "SIGTERM";
	char signame_buf[PROC_SIGNAME_MAX];
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
			else
				signame = proc_signal_name(sig, signame_buf);
			break;
		case O_FORCE:
			sig = SIGKILL;
			signame = "SIGKILL";
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
	for (n = 0; n < st.nwords; n++)
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
