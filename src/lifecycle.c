/* A job's life: start, end, reconciliation, waiting, stopping. */
#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
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
#define NOTE_BUSY_MS 100	/* recording a supervisor's note (finish_noted) */

void
life_crash_point(const char *point)
{
	const char *crash = getenv("JOB_TEST_CRASH");
	const char *stop = getenv("JOB_TEST_STOP");

	if (crash != NULL && strcmp(crash, point) == 0)
		raise(SIGKILL);
	if (stop != NULL && strcmp(stop, point) == 0) {
		/* Once: the supervisor started next must not stop too. */
		unsetenv("JOB_TEST_STOP");
		raise(SIGSTOP);
	}
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

/* The reasons an end may give: a note names one of them, nothing else. */
static const char *const end_reasons[] = {
	"exited", "signaled", "timeout", "stopped", "dependency_failed",
	"spawn_failed", "supervisor_lost", "reboot", NULL,
};

#define NOTE_MAGIC "job-end-1"

int
life_end_note(const struct job_end *end, char *buf, size_t len)
{
	const struct job *s = end->started;
	int n;

	n = snprintf(buf, len, NOTE_MAGIC " %s %s %d %d %lld %lld %lld %lld "
	    "%lld %lld %lld\n", job_status_name(end->status), end->reason,
	    end->exit_code, end->signal_number, (long long)end->finished_at,
	    (long long)end->log_dropped, (long long)(s ? s->pid : 0),
	    (long long)(s ? s->pid_start : 0), (long long)(s ? s->sup_pid : 0),
	    (long long)(s ? s->sup_start : 0),
	    (long long)(s ? s->started_at : 0));
	return n > 0 && (size_t)n < len ? n : -1;
}

bool
life_end_from_note(const char *note, const struct job *j, struct job_end *end,
    struct job *started)
{
	char status[16], reason[24];
	long long finished, dropped, pid, pid_start, sup_pid, sup_start, at;
	int exit_code, sig, st, used = 0, i;

	if (sscanf(note, NOTE_MAGIC " %15s %23s %d %d %lld %lld %lld %lld "
	    "%lld %lld %lld%n", status, reason, &exit_code, &sig, &finished,
	    &dropped, &pid, &pid_start, &sup_pid, &sup_start, &at,
	    &used) != 11 || note[used] != '\n' || note[used + 1] != '\0')
		return false;
	if ((st = job_status_parse(status)) < 0 ||
	    job_status_active((enum job_status)st))
		return false;
	for (i = 0; end_reasons[i] != NULL; i++)
		if (strcmp(reason, end_reasons[i]) == 0)
			break;
	if (end_reasons[i] == NULL)
		return false;
	memset(end, 0, sizeof(*end));
	end->status = (enum job_status)st;
	end->reason = end_reasons[i];
	end->exit_code = exit_code;
	end->signal_number = sig;
	end->finished_at = finished;
	end->log_dropped = dropped;
	end->sup_pid = j->sup_pid;
	if (pid > 0) {
		memset(started, 0, sizeof(*started));
		started->pid = pid;
		started->pid_start = pid_start;
		started->sup_pid = sup_pid;
		started->sup_start = sup_start;
		started->started_at = at;
		end->started = started;
	}
	return true;
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

/* Whether the supervisor of j (its pid and start time) still lives: past
 * its last word, it is recording its job's end. */
static bool
sup_lives(const struct job *j)
{
	return j->sup_pid > 0 && proc_same((pid_t)j->sup_pid, j->sup_start);
}

/*
 * Records the end a supervisor left in its note (row: its row). The
 * supervisor records it too, retrying for as long as the store is busy,
 * so a busy store is not waited for here, nor another failure an error
 * while the supervisor lives: 0 with nothing changed, as if another had
 * recorded it.
 */
static int
finish_noted(const struct life *l, const char *id, const struct job_end *end,
    const struct job *row, bool *changed, struct err *e)
{
	int64_t was = store_set_busy_timeout(l->store, NOTE_BUSY_MS);
	int rc = life_finish(l->store, id, end, NULL, changed, e);

	store_set_busy_timeout(l->store, was);
	/* A full disk, too, is the supervisor's to get past while it lives. */
	if (rc < 0 && (store_was_busy(l->store) ||
	    sup_lives(end->started != NULL ? end->started : row))) {
		if (e != NULL)
			err_clear(e);
		if (changed != NULL)
			*changed = false;
		return 0;
	}
	return rc;
}

/* --- a waiting job's turn --- */

/* How a dependency stands for the job that waits on it. */
enum dep_state { DEP_MET, DEP_WAIT, DEP_FAILED };

struct dep_scan {
	const struct life *l;
	struct store *st;
	bool after_end;		/* any end will do */
	bool reconcile;		/* settle rows whose supervisor is gone */
	enum dep_state state;
	bool orphaned;		/* one runs on without its supervisor */
	char *why;		/* the failed one, for the log */
	size_t why_len;
};

static void
dep_check(void *arg, const char *id)
{
	struct dep_scan *d = arg;
	struct job j;
	struct err e;
	bool settled;

	if (d->state == DEP_FAILED)
		return;
	if (store_job_get(d->st, id, &j, &e) < 0) {
		/* Gone (cleaned): for --after-end it has ended all the same;
		 * for --after its completion can no longer be proven. */
		if (!d->after_end) {
			d->state = DEP_FAILED;
			snprintf(d->why, d->why_len, "job %s is gone", id);
		}
		return;
	}
	if (job_status_active(j.status) && d->reconcile &&
	    life_reconcile(d->l, &j, &settled, &e) == 0 && settled) {
		job_free(&j);
		if (store_job_get(d->st, id, &j, &e) < 0)
			return;
	}
	if (job_status_active(j.status)) {
		d->state = DEP_WAIT;
		if (d->reconcile && j.status == JOB_RUNNING &&
		    !life_supervised(d->l, id) && life_orphan_alive(&j))
			d->orphaned = true;
	} else if (!d->after_end && j.status != JOB_COMPLETED) {
		d->state = DEP_FAILED;
		snprintf(d->why, d->why_len, "job %s ended %s", id,
		    job_status_name(j.status));
	}
	job_free(&j);
}

/* Whether j's dependencies are met; reconcile: settle lost ones first. */
static enum dep_state
deps_state(const struct life *l, struct store *st, const struct job *j,
    bool reconcile, bool *orphaned, char *why, size_t why_len)
{
	struct dep_scan d;

	memset(&d, 0, sizeof(d));
	d.l = l;
	d.st = st;
	d.reconcile = reconcile;
	d.state = DEP_MET;
	d.why = why;
	d.why_len = why_len;
	job_each_id(j->after, dep_check, &d);
	d.after_end = true;
	job_each_id(j->after_end, dep_check, &d);
	if (orphaned != NULL && d.orphaned)
		*orphaned = true;
	return d.state;
}

/*
 * Settles the queue's members whose supervisor is gone, outside any
 * transaction: a killed waiting supervisor must not hold its place, nor a
 * lost running one its slot once its process is gone.
 */
static void
settle_queue(const struct life *l, const struct job *self, bool *orphaned)
{
	struct store_filter f;
	struct job *jobs;
	struct err e;
	size_t n, i;
	bool settled;

	memset(&f, 0, sizeof(f));
	f.statuses = STATUS_ACTIVE;
	f.queue = self->queue;
	if (store_job_list(l->store, &f, &jobs, &n, &e) < 0)
		return;
	life_crash_point("settle-queue");
	for (i = 0; i < n; i++) {
		if (strcmp(jobs[i].id, self->id) == 0)
			continue;
		if (life_reconcile(l, &jobs[i], &settled, &e) == 0 &&
		    !settled && jobs[i].status == JOB_RUNNING &&
		    !life_supervised(l, jobs[i].id))
			*orphaned = true;
	}
	job_free_array(jobs, n);
}

/*
 * Inside the transaction: whether j may take a slot of its queue now.
 * Slots go in submission order to the jobs whose dependencies are met.
 */
static int
queue_has_room(const struct life *l, const struct job *j, bool *room,
    struct life_turn *t, struct err *e)
{
	struct store_queue q;
	struct store_filter f;
	struct job *jobs;
	size_t n, i;
	int64_t busy = 0;

	*room = false;
	if (store_queue_get(l->store, j->queue, &q, e) < 0)
		return -1;
	free(q.name);
	memset(&f, 0, sizeof(f));
	f.statuses = STATUS_ACTIVE;
	f.queue = j->queue;
	if (store_job_list(l->store, &f, &jobs, &n, e) < 0)
		return -1;
	/* What holds the job back: the members running, and those ahead of
	 * it that may start; its turn needs that many less than the limit. */
	for (i = 0; i < n; i++) {
		if (jobs[i].status != JOB_RUNNING && (jobs[i].seq >= j->seq ||
		    deps_state(l, l->store, &jobs[i], false, NULL, NULL,
		    0) != DEP_MET))
			continue;
		busy++;
		if (t->nwatch < LIFE_TURN_WATCH)
			memcpy(t->watch[t->nwatch++], jobs[i].id, ULID_LEN + 1);
		else
			t->watch_all = true;
	}
	job_free_array(jobs, n);
	*room = !q.paused && busy < q.parallel;
	/* Paused, only the doorbell can make it its turn. */
	t->need = q.paused ? INT_MAX : (int)(busy - q.parallel + 1);
	return 0;
}

static void
watch_id(void *arg, const char *id)
{
	struct life_turn *t = arg;

	if (t->nwatch < LIFE_TURN_WATCH)
		memcpy(t->watch[t->nwatch++], id, ULID_LEN + 1);
	else
		t->watch_all = true;
}

/*
 * Whether pending job j may start: deps met and, for a queue, a slot for
 * it. Sets t->verdict (TURN_GO meaning "may", not yet claimed).
 */
static int
judge(const struct life *l, const struct job *j, struct life_turn *t,
    struct err *e)
{
	enum dep_state deps;
	bool room = true;

	t->why[0] = '\0';
	/* What to watch: the jobs it waits for (any end may decide), then
	 * its queue's blockers (queue_has_room). */
	t->watch_all = false;
	t->nwatch = 0;
	job_each_id(j->after, watch_id, t);
	job_each_id(j->after_end, watch_id, t);
	t->ndeps = t->nwatch;
	t->need = 1;
	deps = deps_state(l, l->store, j, false, NULL, t->why,
	    sizeof(t->why));
	t->verdict = deps == DEP_FAILED ? TURN_DEP_FAILED : TURN_WAIT;
	if (deps != DEP_MET)
		return 0;
	if (j->queue != NULL && queue_has_room(l, j, &room, t, e) < 0)
		return -1;
	if (room)
		t->verdict = TURN_GO;
	return 0;
}

int
life_turn(const struct life *l, const char *id, int64_t sup_pid,
    int64_t sup_start, struct life_turn *t, struct err *e)
{
	struct job j;
	bool claimed = false, recorded;

	memset(t, 0, sizeof(*t));
	if (store_job_get(l->store, id, &j, e) < 0)
		return e->code == ERR_NOT_FOUND ? (t->verdict = TURN_GONE, 0) :
		    -1;
	if (j.status != JOB_PENDING) {
		/* Claimed for us by a judgement whose answer was lost (its
		 * process died after the commit): the turn is ours. */
		t->verdict = j.status == JOB_RUNNING && j.pid == 0 &&
		    sup_pid > 0 && j.sup_pid == sup_pid ? TURN_GO : TURN_GONE;
		job_free(&j);
		return 0;
	}
	/* Settle what is lost, outside the transaction (it probes). */
	deps_state(l, l->store, &j, true, &t->orphaned, t->why,
	    sizeof(t->why));
	if (j.queue != NULL)
		settle_queue(l, &j, &t->orphaned);
	/*
	 * A first judgement without the write lock: most jobs that wake are
	 * not next, and need not queue up for it. One that is judged too
	 * early wakes again: whatever could make it next (an end, a queue
	 * changed) is committed before the event that tells of it.
	 */
	if (judge(l, &j, t, e) < 0) {
		job_free(&j);
		return -1;
	}
	recorded = sup_pid == 0 || j.sup_pid != 0;
	job_free(&j);
	if (t->verdict == TURN_WAIT && recorded)
		return 0;

	if (store_batch_begin(l->store, e) < 0)
		return -1;
	if (store_job_get(l->store, id, &j, e) < 0)
		goto fail;
	if (j.status != JOB_PENDING) {
		t->verdict = TURN_GONE;
		goto done;
	}
	if (sup_pid > 0 && j.sup_pid == 0 && store_job_set_supervisor(l->store,
	    id, sup_pid, sup_start, e) < 0)
		goto fail;
	if (judge(l, &j, t, e) < 0)
		goto fail;
	/* A stop asked for before the turn: the supervisor, told by the
	 * signal that follows, ends the job without running it. */
	if (t->verdict == TURN_GO && j.stop_signal != NULL)
		t->verdict = TURN_WAIT;
	if (t->verdict == TURN_GO) {
		if (store_job_claim(l->store, id, &claimed, e) < 0)
			goto fail;
		if (!claimed)
			t->verdict = TURN_GONE;
	}
done:
	job_free(&j);
	return store_batch_end(l->store, e);
fail:
	job_free(&j);
	store_batch_abort(l->store);
	return -1;
}

/* A job judged at its submission never to run: a dependency failed. */
static void
end_dep_failed(struct store *st, const char *id)
{
	struct job_end end;
	struct job j;

	memset(&j, 0, sizeof(j));
	end_unseen(&end, &j, JOB_FAILED, "dependency_failed");
	life_finish(st, id, &end, NULL, NULL, NULL);
}

int
life_queue_set(const struct life *l, const char *name, int64_t parallel,
    int paused, struct err *e)
{
	if (store_queue_set(l->store, name, parallel, paused, e) < 0)
		return -1;
	/* More may start now: a raised limit, a resumed queue. */
	if (parallel > 0 || paused == 0)
		lock_ring_bell(l->home);
	return 0;
}

/* --- starting --- */

/* Settles the active jobs named like j; returns how many ended. */
static int
settle_name(const struct life *l, const struct job *j)
{
	struct store_filter f;
	struct job *jobs;
	size_t n, i;
	int ended = 0;
	bool settled;

	memset(&f, 0, sizeof(f));
	f.project = j->project;
	f.name = j->name;
	f.statuses = STATUS_ACTIVE;
	if (store_job_list(l->store, &f, &jobs, &n, NULL) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (life_reconcile(l, &jobs[i], &settled, NULL) == 0 &&
		    settled)
			ended++;
	job_free_array(jobs, n);
	return ended;
}

int
life_launch(const struct life *l, const struct job *spec,
    struct life_launch *ll, struct err *e)
{
	struct job *j = &ll->job;

	memset(ll, 0, sizeof(*ll));
	ll->lock_fd = ll->log_fd = -1;
	*j = *spec;
	if (ulid_new(j->id) < 0)
		return err_sys(e, ERR_IO, errno, "cannot make a job id");
	proc_boot_id(ll->boot_id, sizeof(ll->boot_id));
	j->boot_id = ll->boot_id;
	j->created_at = job_now_ms();
	j->status = JOB_PENDING;
	if (lock_create(l->home, j->id, &ll->lock_fd, e) < 0)
		return -1;
	home_log_path(l->home, j->id, ll->log_path, sizeof(ll->log_path));
	ll->log_fd = open(ll->log_path, O_WRONLY | O_CREAT | O_EXCL |
	    O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (ll->log_fd < 0) {
		err_sys(e, ERR_IO, errno, "cannot create '%s'", ll->log_path);
		close(ll->lock_fd);
		lock_remove(l->home, j->id);
		return -1;
	}
	ll->sup.home = l->home;
	ll->sup.job = j;
	ll->sup.lock_fd = ll->lock_fd;
	ll->sup.log_fd = ll->log_fd;
	ll->sup.self_exe = l->self_exe;
	ll->sup.umask = l->umask;
	/* No process to be had: the job is still recorded, as failed. */
	err_clear(&ll->failed);
	ll->forked = sup_launch(&ll->sup, &ll->fork, &ll->failed) == 0;
	return 0;
}

/* Lets go of a start that ends here: no supervisor, no lock, no log. */
static void
drop_launch(const struct life *l, struct life_launch *ll, bool keep_log)
{
	if (ll->forked)
		sup_cancel(&ll->fork);
	ll->forked = false;
	close(ll->log_fd);
	if (!keep_log)
		unlink(ll->log_path);
	close(ll->lock_fd);
	lock_remove(l->home, ll->job.id);
}

void
life_cancel(const struct life *l, struct life_launch *ll)
{
	drop_launch(l, ll, false);
}

int
life_start(const struct life *l, struct life_launch *ll,
    const struct job *spec, struct job *out, bool *existing, struct err *e)
{
	struct job j = *spec;
	struct sup_result res;
	int rc;
	bool waiting = false;

	memcpy(j.id, ll->job.id, sizeof(j.id));
	j.boot_id = ll->job.boot_id;
	j.created_at = ll->job.created_at;
	j.status = ll->job.status;
	*existing = false;
	life_crash_point("before-insert");
	/* A start reconciles only what it collides with: an active job of
	 * the same name whose supervisor is gone frees the name. */
	if (store_job_insert(l->store, &j, out, existing, e) < 0 &&
	    (e->code != ERR_NAME_IN_USE || settle_name(l, &j) == 0 ||
	    store_job_insert(l->store, &j, out, existing, e) < 0)) {
		drop_launch(l, ll, false);
		return -1;
	}
	if (*existing) {
		bool settled;

		/* The job the key names, as it is now. */
		if (life_reconcile(l, out, &settled, NULL) == 0 && settled) {
			struct job now;

			if (store_job_get(l->store, out->id, &now, NULL) == 0) {
				job_free(out);
				*out = now;
			}
		}
		drop_launch(l, ll, false);
		return 0;
	}
	life_crash_point("after-insert");
	/* A job with dependencies or a queue is judged at once: it may
	 * start now, never (a dependency that failed), or later. */
	if (ll->forked &&
	    (j.queue != NULL || j.after != NULL || j.after_end != NULL)) {
		struct life_turn t;

		/* A store too busy to judge now: the supervisor judges, as it
		 * retries until it can. */
		if (life_turn(l, j.id, 0, 0, &t, e) < 0) {
			err_clear(e);
			t.verdict = TURN_WAIT;
		}
		if (t.verdict == TURN_DEP_FAILED || t.verdict == TURN_GONE) {
			if (t.verdict == TURN_DEP_FAILED) {
				dprintf(ll->log_fd, "[job] not started: %s\n",
				    t.why);
				end_dep_failed(l->store, j.id);
			}
			drop_launch(l, ll, true);
			return store_job_get(l->store, j.id, out, e);
		}
		waiting = t.verdict == TURN_WAIT;
	}

	if (ll->forked)
		rc = sup_go(&ll->fork, &ll->sup, waiting, &res, e);
	else {
		memset(&res, 0, sizeof(res));
		*e = ll->failed;
		rc = -1;
	}
	ll->forked = false;
	/* The supervisor holds the lock now; closing our copy keeps it. */
	close(ll->lock_fd);
	close(ll->log_fd);
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
	if (waiting) {
		life_crash_point("after-spawn");
		/* It waits with its supervisor known; if this cannot be
		 * recorded now, the supervisor records it. */
		store_job_set_supervisor(l->store, j.id, res.sup_pid,
		    res.sup_start, NULL);
		sup_confirm(&res, false);
		return store_job_get(l->store, j.id, out, e);
	}
	life_crash_point("after-spawn");
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
	return lock_probe(l->home, id, NULL, 0) == LOCK_HELD;
}

/*
 * How an active row whose supervisor is gone must end: fills end and returns
 * true, or false while its process lives on.
 */
static bool
unsupervised_end(const struct job *j, const char *boot_id,
    struct job_end *end)
{
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0) {
		end_unseen(end, j, JOB_INTERRUPTED, "reboot");
		return true;
	}
	if (j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start))
		return false;	/* still running; its end cannot be seen */
	end_unseen(end, j, JOB_INTERRUPTED, "supervisor_lost");
	return true;
}


/*
 * Settles j when its supervisor is gone: as the supervisor said in its
 * last word, or, when it left none, once its process is gone too. j was
 * read before the lock was probed: meanwhile its supervisor may have
 * started the command, recorded its pid and died. Only a row read after
 * the lock was found free holds all its supervisor ever wrote
 * (reconcile_all).
 */
int
life_reconcile(const struct life *l, const struct job *j, bool *settled,
    struct err *e)
{
	struct job_end end;
	struct job now, started;
	struct err ge;
	char boot_id[64], note[LIFE_NOTE_MAX];
	bool lost, noted;
	int rc;

	*settled = false;
	if (!job_status_active(j->status) ||
	    lock_probe(l->home, j->id, note, sizeof(note)) == LOCK_HELD)
		return 0;
	if (store_job_get(l->store, j->id, &now, &ge) < 0) {
		if (ge.code == ERR_NOT_FOUND)
			return 0;	/* it ended and was cleaned */
		if (e != NULL)
			*e = ge;
		return -1;
	}
	proc_boot_id(boot_id, sizeof(boot_id));
	noted = job_status_active(now.status) &&
	    life_end_from_note(note, &now, &end, &started);
	lost = noted || (job_status_active(now.status) &&
	    unsupervised_end(&now, boot_id, &end));
	rc = !lost ? 0 : noted ? finish_noted(l, j->id, &end, &now, settled,
	    e) : life_finish(l->store, j->id, &end, NULL, settled, e);
	job_free(&now);
	if (rc < 0)
		return -1;
	if (*settled)
		lock_remove(l->home, j->id);
	return 0;
}

int
life_reconcile_all(const struct life *l, struct err *e)
{
	char (*ids)[ULID_LEN + 1] = NULL, (*notes)[LIFE_NOTE_MAX] = NULL;
	struct job *jobs = NULL, *starts = NULL;
	struct job_end *ends = NULL;
	bool *todo = NULL;
	char boot_id[64];
	size_t n, i, x, nfree = 0, k = 0, count = 0, noted = 0;
	int64_t busy_was = 0;
	int rc = 0, dir = -1;
	bool others = false;

	if (store_job_active_ids(l->store, &ids, &n, e) < 0)
		return -1;
	if (n > 0 && (notes = malloc(n * sizeof(*notes))) == NULL) {
		free(ids);
		return err_set(e, ERR_IO, "out of memory");
	}
	/* Whole rows only of those whose lock is free, gathered in front
	 * with what their supervisors left in the lock. */
	dir = lock_dir_open(l->home);
	for (i = 0; i < n; i++) {
		if ((dir >= 0 ? lock_probe_at(dir, ids[i], notes[nfree],
		    sizeof(*notes)) : lock_probe(l->home, ids[i], notes[nfree],
		    sizeof(*notes))) == LOCK_HELD)
			continue;
		if (nfree != i)
			memcpy(ids[nfree], ids[i], sizeof(*ids));
		nfree++;
	}
	if (nfree == 0)
		goto out;
	jobs = calloc(nfree, sizeof(*jobs));
	starts = calloc(nfree, sizeof(*starts));
	ends = calloc(nfree, sizeof(*ends));
	todo = calloc(nfree, sizeof(*todo));
	if (jobs == NULL || starts == NULL || ends == NULL || todo == NULL) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto out;
	}
	/* Rows gone meanwhile ended and were cleaned: nothing to do. */
	if (store_job_get_many(l->store, ids, nfree, jobs, &k, e) < 0) {
		rc = -1;
		goto out;
	}
	/* No second probe: these locks were free before their rows were
	 * read, and a free lock stays free (nothing takes it again), so
	 * each row holds all its supervisor ever wrote. */
	proc_boot_id(boot_id, sizeof(boot_id));
	for (i = 0, x = 0; i < k; i++) {
		/* The rows come in the ids' order, some missing. */
		while (x < nfree && strcmp(ids[x], jobs[i].id) != 0)
			x++;
		if (!job_status_active(jobs[i].status))
			continue;
		if (x < nfree && life_end_from_note(notes[x], &jobs[i],
		    &ends[i], &starts[i])) {
			todo[i] = true;
			noted++;
			if (!sup_lives(ends[i].started != NULL ? &starts[i] :
			    &jobs[i]))
				others = true;
		} else if ((todo[i] = unsupervised_end(&jobs[i], boot_id,
		    &ends[i])))
			others = true;
		if (todo[i])
			count++;
	}
	if (count == 0)
		goto out;
	/* One transaction for them all: a thousand lost supervisors cost
	 * one commit, not a thousand. Ends all noted by supervisors are
	 * theirs to record when the store is busy (finish_noted). */
	if (noted == count)
		busy_was = store_set_busy_timeout(l->store, NOTE_BUSY_MS);
	rc = store_batch_begin(l->store, e);
	if (noted == count)
		store_set_busy_timeout(l->store, busy_was);
	if (rc < 0)
		goto unrecorded;
	for (i = 0; i < k && rc == 0; i++)
		if (todo[i])
			rc = life_finish(l->store, jobs[i].id, &ends[i], NULL,
			    &todo[i], e);
	if (rc < 0) {
		store_batch_end(l->store, NULL);
		goto unrecorded;
	}
	if (store_batch_end(l->store, e) < 0) {
		rc = -1;
		goto unrecorded;
	}
	for (i = 0; i < k; i++)
		if (todo[i] && dir >= 0)
			lock_remove_at(dir, jobs[i].id);
		else if (todo[i])
			lock_remove(l->home, jobs[i].id);
	goto out;
unrecorded:
	/* Not recorded (a busy store, a full disk): no error when each end
	 * is the last word of a supervisor, which records it itself. */
	if (!others || (noted == count && store_was_busy(l->store))) {
		if (e != NULL)
			err_clear(e);
		rc = 0;
	}
out:
	if (dir >= 0)
		close(dir);
	free(ends);
	free(starts);
	free(todo);
	job_free_array(jobs, k);
	free(notes);
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

/* Records the end a supervisor left in its lock, if its row still waits
 * for it. */
static int
record_note(const struct life *l, const char *id, const char *note,
    struct err *e)
{
	struct job j, started;
	struct job_end end;
	int rc = 0;

	if (note[0] == '\0')
		return 0;
	if (store_job_get(l->store, id, &j, e) < 0) {
		if (e->code != ERR_NOT_FOUND)
			return -1;
		/* Gone from the store (it was replaced): the supervisor
		 * writes the row again before it removes its lock file. */
		err_clear(e);
		for (int64_t until = job_mono_ms() + PENDING_WAIT_MS;
		    lock_exists(l->home, id) && job_mono_ms() < until;)
			job_pause_ms(10);
		return 0;
	}
	if (job_status_active(j.status) &&
	    life_end_from_note(note, &j, &end, &started)) {
		rc = finish_noted(l, id, &end, &j, NULL, e);
		/* As the supervisor does after its own record. */
		if (rc == 0)
			store_keep_first_jobs(l->store);
	}
	job_free(&j);
	return rc;
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
			char note[LIFE_NOTE_MAX];

			job_free(out);
			/* No read transaction is open while we sleep. */
			if (lock_wait(l->home, id, left, note,
			    sizeof(note)) == 1) {
				if (store_job_get(l->store, id, out, e) < 0)
					return -1;
				return job_status_active(out->status) ? 1 : 0;
			}
			/* The supervisor's last word comes before it records
			 * the end itself: record it at once, as it would. */
			if (record_note(l, id, note, e) < 0)
				return -1;
			continue;
		}
		/* The supervisor is gone: settle the row, or watch the
		 * orphaned process until it goes too. */
		if (life_reconcile(l, out, &settled, e) < 0)
			return -1;
		/* Not settled: its process lives on, or its end waits for the
		 * store; look again shortly. */
		if (!settled)
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
		life_crash_point("stop-read");
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
			lock_wait(l->home, id, -1, NULL, 0);
			continue;
		}
		/* Still pending: its start is being recorded. */
		job_free(out);
		if (job_mono_ms() > give_up)
			return err_set(e, ERR_IO, "job %s did not start in "
			    "time to be stopped", id);
		job_pause_ms(2);
	}
	/* Read before the lock was found free: read again, for what its
	 * supervisor wrote before it died (the pid of an orphan). */
	job_free(out);
	if (store_job_get(l->store, id, out, e) < 0)
		return -1;
	if (!job_status_active(out->status))
		return 0;
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
