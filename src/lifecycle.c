/* A job's life: start, end, reconciliation, waiting, stopping. */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "lock.h"
#include "logread.h"
#include "proc.h"
#include "supervisor.h"

#define ORPHAN_POLL_MS 10	/* watching a process that is not ours */
#define FOLLOW_POLL_MS 20	/* a followed log that did not grow */
#define PENDING_WAIT_MS 10000	/* a stop waiting for `running` */

/*
 * Fault injection for the test suite (job.1, ENVIRONMENT): at the named
 * point `job run` dies by SIGKILL (JOB_TEST_CRASH), as a crash or an OOM
 * kill would, or stops itself (JOB_TEST_STOP) until a test sends SIGCONT.
 * Jobs never inherit either (sup-start.c).
 */
static void
crash_point(const char *point)
{
	const char *crash = getenv("JOB_TEST_CRASH");
	const char *stop = getenv("JOB_TEST_STOP");

	if (crash != NULL && strcmp(crash, point) == 0)
		raise(SIGKILL);
	if (stop != NULL && strcmp(stop, point) == 0)
		raise(SIGSTOP);
}

/* --- how an end is decided and written --- */

void
life_end_observed(struct job_end *end, enum life_cause cause, bool exited,
    bool signaled, int status, int64_t log_dropped)
{
	memset(end, 0, sizeof(*end));
	end->exit_code = -1;
	if (!exited) {
		/* It survived SIGKILL (a process stuck in the kernel). */
		end->reason = "signaled";
		end->signal_number = SIGKILL;
		end->status = JOB_FAILED;
	} else if (signaled) {
		end->signal_number = status;
		end->reason = "signaled";
		end->status = JOB_FAILED;
	} else {
		end->exit_code = status;
		end->reason = "exited";
		end->status = status == 0 ? JOB_COMPLETED : JOB_FAILED;
	}
	if (cause == LIFE_TIMED_OUT) {
		end->status = JOB_FAILED;
		end->reason = "timeout";
	} else if (cause == LIFE_STOPPED) {
		end->status = JOB_STOPPED;
		end->reason = "stopped";
	}
	end->finished_at = job_now_ms();
	end->log_dropped = log_dropped;
}

/* The end of a job nobody saw end: its supervisor was gone. */
static void
end_unseen(struct job_end *end, const struct job *j, enum job_status status,
    const char *reason)
{
	memset(end, 0, sizeof(*end));
	end->status = status;
	end->reason = reason;
	end->exit_code = -1;
	end->finished_at = job_now_ms();
	end->log_dropped = j->log_dropped;
	end->sup_pid = j->sup_pid;
}

int
life_finish(struct store *st, const char *id, const struct job_end *end,
    const struct job *restore, bool *changed, struct err *e)
{
	struct job row, again;
	bool done;

	if (store_job_finish(st, id, end, &done, e) < 0)
		return -1;
	if (changed != NULL)
		*changed = done;
	if (done || restore == NULL)
		return 0;
	if (store_job_get(st, id, &row, e) == 0) {
		job_free(&row);
		return 0;	/* it had ended already */
	}
	if (e->code != ERR_NOT_FOUND)
		return -1;
	again = *restore;
	again.status = end->status;
	again.reason = (char *)(uintptr_t)end->reason;
	again.exit_code = end->exit_code;
	again.signal_number = end->signal_number;
	again.finished_at = end->finished_at;
	again.log_dropped = end->log_dropped;
	if (store_job_restore(st, &again, e) < 0)
		return -1;
	if (changed != NULL)
		*changed = true;
	return 1;
}

/* --- starting --- */

int
life_start(const struct life *l, const struct job *spec, struct job *out,
    bool *existing, struct err *e)
{
	struct job j = *spec;
	struct sup_spec sup;
	struct sup_result res;
	char log_path[PATH_MAX], boot_id[64];
	int lock_fd = -1, log_fd = -1, rc;

	*existing = false;
	if (ulid_new(j.id) < 0)
		return err_sys(e, ERR_IO, errno, "cannot make a job id");
	proc_boot_id(boot_id, sizeof(boot_id));
	j.boot_id = boot_id;
	j.created_at = job_now_ms();
	j.status = JOB_PENDING;

	if (lock_create(l->home, j.id, &lock_fd, e) < 0)
		return -1;
	home_log_path(l->home, j.id, log_path, sizeof(log_path));
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		err_sys(e, ERR_IO, errno, "cannot create '%s'", log_path);
		goto fail;
	}
	crash_point("before-insert");
	if (store_job_insert(l->store, &j, out, existing, e) < 0)
		goto fail;
	if (*existing) {
		close(log_fd);
		unlink(log_path);
		close(lock_fd);
		lock_remove(l->home, j.id);
		return 0;
	}
	crash_point("after-insert");

	memset(&sup, 0, sizeof(sup));
	sup.home = l->home;
	sup.job = &j;
	sup.lock_fd = lock_fd;
	sup.log_fd = log_fd;
	sup.self_exe = l->self_exe;
	sup.umask = l->umask;
	/* Our connection stays open: the supervisor never touches SQLite
	 * before it execs a fresh image (see sup-start.c). */
	rc = sup_start(&sup, &res, e);
	/* The supervisor holds the lock now; closing our copy keeps it. */
	close(lock_fd);
	close(log_fd);
	if (rc < 0) {
		struct job_end end;

		if (rc == SUP_LOST)
			end_unseen(&end, &j, JOB_INTERRUPTED,
			    "supervisor_lost");
		else {
			end_unseen(&end, &j, JOB_FAILED, "spawn_failed");
			end.exit_code = res.exit_code;
		}
		life_finish(l->store, j.id, &end, NULL, NULL, NULL);
		lock_remove(l->home, j.id);
		store_job_get(l->store, j.id, out, NULL);
		return -1;
	}
	crash_point("after-spawn");
	j.pid = res.pid;
	j.pid_start = res.pid_start;
	j.sup_pid = res.sup_pid;
	j.sup_start = res.sup_start;
	j.started_at = res.started_at;
	/* The command runs: from here on the start succeeds. If `running`
	 * cannot be recorded now (a store busy past the timeout), the
	 * supervisor records it. */
	sup_confirm(&res, store_job_mark_running(l->store, &j, e) == 0);
	if (store_job_get(l->store, j.id, out, e) == 0)
		return 0;
	/* Busy, or it started, ended and was cleaned before we read it
	 * back: what we know is what it was when it started. */
	err_clear(e);
	j.status = JOB_RUNNING;
	if (job_copy(out, &j) < 0)
		return err_set(e, ERR_IO, "out of memory");
	return 0;
fail:
	if (log_fd >= 0) {
		close(log_fd);
		unlink(log_path);
	}
	close(lock_fd);
	lock_remove(l->home, j.id);
	return -1;
}

/* --- reconciling --- */

bool
life_orphan_alive(const struct job *j)
{
	char boot_id[64];

	proc_boot_id(boot_id, sizeof(boot_id));
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0)
		return false;
	return j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start);
}

bool
life_supervised(const struct life *l, const char *id)
{
	return lock_probe(l->home, id) == LOCK_HELD;
}

/*
 * Decides, from outside any transaction, how an active row must end: fills
 * end and returns true when its supervisor is gone and its process too.
 */
static bool
settle_decision(const struct life *l, const struct job *j,
    const char *boot_id, struct job_end *end)
{
	if (!job_status_active(j->status) || life_supervised(l, j->id))
		return false;
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0) {
		end_unseen(end, j, JOB_INTERRUPTED, "reboot");
		return true;
	}
	if (j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start))
		return false;	/* still running; its end cannot be seen */
	end_unseen(end, j, JOB_INTERRUPTED, "supervisor_lost");
	return true;
}

int
life_reconcile(const struct life *l, const struct job *j, bool *settled,
    struct err *e)
{
	struct job_end end;
	char boot_id[64];

	*settled = false;
	proc_boot_id(boot_id, sizeof(boot_id));
	if (!settle_decision(l, j, boot_id, &end))
		return 0;
	if (life_finish(l->store, j->id, &end, NULL, settled, e) < 0)
		return -1;
	if (*settled)
		lock_remove(l->home, j->id);
	return 0;
}

int
life_reconcile_all(const struct life *l, struct err *e)
{
	char (*ids)[ULID_LEN + 1] = NULL;
	enum lock_state *states = NULL;
	struct job *jobs = NULL;
	struct job_end *ends = NULL;
	bool *todo = NULL;
	char boot_id[64];
	size_t n, i, nfree = 0, k = 0, count = 0;
	int rc = 0;

	/* Whole rows only of those whose lock is free. */
	if (store_job_active_ids(l->store, &ids, &n, e) < 0)
		return -1;
	if (n == 0)
		goto out;
	if ((states = calloc(n, sizeof(*states))) == NULL) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		states[i] = lock_probe(l->home, ids[i]);
		nfree += states[i] == LOCK_FREE;
	}
	if (nfree == 0)
		goto out;
	jobs = calloc(nfree, sizeof(*jobs));
	ends = calloc(nfree, sizeof(*ends));
	todo = calloc(nfree, sizeof(*todo));
	if (jobs == NULL || ends == NULL || todo == NULL) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto out;
	}
	proc_boot_id(boot_id, sizeof(boot_id));
	for (i = 0; i < n; i++) {
		if (states[i] != LOCK_FREE)
			continue;
		if (store_job_get(l->store, ids[i], &jobs[k], e) < 0) {
			if (e->code != ERR_NOT_FOUND) {
				rc = -1;
				goto out;
			}
			err_clear(e);	/* ended and cleaned meanwhile */
			continue;
		}
		if ((todo[k] = settle_decision(l, &jobs[k], boot_id,
		    &ends[k])))
			count++;
		k++;
	}
	if (count == 0)
		goto out;
	/* One transaction for them all: a thousand lost supervisors cost
	 * one commit, not a thousand. */
	if (store_batch_begin(l->store, e) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < k && rc == 0; i++)
		if (todo[i])
			rc = life_finish(l->store, jobs[i].id, &ends[i], NULL,
			    &todo[i], e);
	if (rc < 0) {
		store_batch_end(l->store, NULL);
		goto out;
	}
	if (store_batch_end(l->store, e) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < k; i++)
		if (todo[i])
			lock_remove(l->home, jobs[i].id);
out:
	free(ends);
	free(todo);
	job_free_array(jobs, k);
	free(states);
	free(ids);
	return rc;
}

/* --- waiting --- */

int
life_ended(const struct life *l, const char *id, struct job *j,
    struct err *e)
{
	bool settled;

	if (life_supervised(l, id))
		return 0;
	if (store_job_get(l->store, id, j, e) < 0)
		return -1;
	if (job_status_active(j->status)) {
		if (life_reconcile(l, j, &settled, e) < 0) {
			job_free(j);
			return -1;
		}
		if (settled) {
			job_free(j);
			if (store_job_get(l->store, id, j, e) < 0)
				return -1;
		}
	}
	if (!job_status_active(j->status))
		return 1;
	job_free(j);
	return 0;
}

int
life_wait(const struct life *l, const char *id, int64_t deadline,
    struct job *out, struct err *e)
{
	for (;;) {
		int64_t left = -1;
		bool settled;

		if (store_job_get(l->store, id, out, e) < 0)
			return -1;
		if (!job_status_active(out->status))
			return 0;
		if (deadline > 0) {
			left = deadline - job_mono_ms();
			if (left <= 0)
				return 1;
		}
		if (life_supervised(l, id)) {
			job_free(out);
			/* No read transaction is open while we sleep. */
			if (lock_wait(l->home, id, left) == 1) {
				if (store_job_get(l->store, id, out, e) < 0)
					return -1;
				return job_status_active(out->status) ? 1 : 0;
			}
			continue;
		}
		/* The supervisor is gone: settle the row, or watch the
		 * orphaned process until it goes too. */
		if (life_reconcile(l, out, &settled, e) < 0)
			return -1;
		if (!settled && life_orphan_alive(out))
			job_pause_ms(ORPHAN_POLL_MS);
		job_free(out);
	}
}

/* --- stopping --- */

/*
 * The supervisor is gone but the job's process lives: kill its tree from
 * here, the group and every descendant, while its leader is still the
 * job's process (pid and start time).
 */
static int
stop_orphan(const struct life *l, const struct job *j, int sig,
    int64_t grace, struct err *e)
{
	struct job_end end;
	int64_t kill_at = job_mono_ms() + grace;
	pid_t pid = (pid_t)j->pid;

	if (proc_same(pid, j->pid_start)) {
		kill(pid, sig);
		proc_kill_tree(pid, pid, sig);
	}
	while (proc_same(pid, j->pid_start)) {
		if (sig != SIGKILL && job_mono_ms() >= kill_at) {
			sig = SIGKILL;
			proc_kill_tree(pid, pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		job_pause_ms(5);
	}
	/* The leader is gone; the rest of its group goes too. */
	kill(-pid, SIGKILL);
	end_unseen(&end, j, JOB_STOPPED, "stopped");
	if (life_finish(l->store, j->id, &end, NULL, NULL, e) < 0)
		return -1;
	lock_remove(l->home, j->id);
	return 0;
}

int
life_stop(const struct life *l, const char *id, int sig, int64_t grace,
    struct job *out, struct err *e)
{
	int64_t give_up = job_mono_ms() + PENDING_WAIT_MS;
	char name[PROC_SIGNAME_MAX];
	bool settled;

	for (;;) {
		if (store_job_get(l->store, id, out, e) < 0)
			return -1;
		if (!job_status_active(out->status))
			return 0;
		if (!life_supervised(l, id))
			break;
		if (out->sup_pid > 0 &&
		    proc_same((pid_t)out->sup_pid, out->sup_start)) {
			if (store_job_request_stop(l->store, id,
			    proc_signal_name(sig, name),
			    grace < 0 ? out->grace_ms : grace, e) < 0) {
				job_free(out);
				return -1;
			}
			kill((pid_t)out->sup_pid, SIGTERM);
			job_free(out);
			lock_wait(l->home, id, -1);
			continue;
		}
		/* Still pending: its start is being recorded. */
		job_free(out);
		if (job_mono_ms() > give_up)
			return err_set(e, ERR_IO, "job %s did not start in "
			    "time to be stopped", id);
		job_pause_ms(2);
	}
	if (life_orphan_alive(out) ? stop_orphan(l, out, sig, grace < 0 ?
	    out->grace_ms : grace, e) < 0 :
	    life_reconcile(l, out, &settled, e) < 0) {
		job_free(out);
		return -1;
	}
	job_free(out);
	return store_job_get(l->store, id, out, e);
}

/* --- following --- */

struct follow {
	life_output out;
	void *arg;
	bool failed;
};

static void
follow_emit(void *arg, const char *s, size_t len)
{
	struct follow *f = arg;

	if (!f->failed && f->out(f->arg, s, len) < 0)
		f->failed = true;
}

static int64_t
file_size(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int
life_follow(const struct life *l, const char *id, int fd, int64_t off,
    life_output out, void *arg, struct job *end, struct err *e)
{
	struct follow f = { out, arg, false };
	int ended;

	for (;;) {
		int64_t size = file_size(fd);

		if (size > off) {
			if (logread_feed(fd, off, size, follow_emit, &f) < 0)
				return err_sys(e, ERR_IO, errno, "cannot read "
				    "the log of job %s", id);
			if (f.failed)
				return err_sys(e, ERR_IO, errno, "cannot "
				    "write the output");
			off = size;
			continue;
		}
		if ((ended = life_ended(l, id, end, e)) < 0)
			return -1;
		if (ended)
			break;
		job_pause_ms(FOLLOW_POLL_MS);
	}
	/* The supervisor is gone: what is there now is all. */
	if (logread_feed(fd, off, file_size(fd), follow_emit, &f) < 0 ||
	    f.failed) {
		job_free(end);
		return err_sys(e, ERR_IO, errno, "cannot copy the log of job "
		    "%s", id);
	}
	return 0;
}
