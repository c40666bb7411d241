/*
 * The supervisor's own image (`job-supervisor`): sup_main supervises one
 * started job until every process of it is gone, records the end, exits.
 *
 * It is a state machine, as s6-supervise is: each thing that happens is an
 * event, and one table says what each event does in each state.
 *
 *   WAITING    the command has not started: the job waits for its turn
 *   RUNNING    the main process runs
 *   STOPPING   a stop or the timeout sent the stop signal; grace runs
 *   DRAINING   the main process ended; what it left gets the stop signal
 *   KILLING    SIGKILL sent; waiting until nothing of the job is left
 *   DONE       nothing is left (or what is left cannot be killed)
 *
 * Events: TURN (the job's slot is claimed: start it), DEP_FAILED (a job
 * it waits for did not complete), SPAWN_FAILED, EXIT (the main process
 * ended), STOP (`job stop`, or SIGTERM from anyone), TIMEOUT, GRACE (the
 * grace period ran out), EMPTY (no process of the job is left), GIVE_UP
 * (processes survived SIGKILL for 10 s).
 *
 * A waiting supervisor sleeps until something may have made it the job's
 * turn: a job's end (its supervisor's last close of its lock file, seen
 * with inotify on the locks folder; a kill -9 closes it too), or the
 * doorbell that `job queue --resume/--parallel` rings. Then a short-lived
 * child judges and claims the turn in the store (life_turn), so the
 * supervisor's own memory never holds SQLite: an idle job, waiting or
 * running, stays small. Off Linux there is no inotify: it looks every
 * second.
 *
 * The cause of the end is decided once, by the first event that leaves
 * RUNNING: the main process's own exit, a stop, or the timeout. Later
 * events change what is killed and when, never why the job ended.
 *
 * The job's processes are every descendant of the supervisor, in any
 * session or process group (the subreaper adopts those whose parents
 * died), less other jobs' supervisors and their trees: a job started from
 * a job is its own. A process is gone when it is reaped, or when none of
 * its threads runs any more.
 *
 * Everything wakes one poll(2): the output pipe, a self-pipe fed by the
 * signal handlers, the caller's confirm pipe, and a deadline (timeout,
 * grace). An idle job costs no CPU. Output is copied in bounded bites, so
 * a job writing faster than the disk cannot starve stop and timeout.
 */
#define _DEFAULT_SOURCE 1	/* madvise */

#include "supervisor.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/inotify.h>
#include <sys/prctl.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "home.h"
#include "job.h"
#include "lifecycle.h"
#include "lock.h"
#include "proc.h"
#include "store.h"
#include "sup.h"

#define BUF_SIZE 65536
#define OUTPUT_BUDGET (4 * BUF_SIZE)	/* bytes copied per wake-up */
#define OUTPUT_BUDGET_MS 20		/* and time spent on them */
#define SCAN_MS 50		/* how often to look at non-children */
#define GIVE_UP_MS 10000	/* after SIGKILL: leave the unkillable */
#define RETRY_MS 1000		/* a busy store, when marking running */
#define CONFIRM_MS 2000		/* the caller's word that it marked running */
#define RECORD_RETRY_MS (3600 * 1000)
#define ORPHAN_LOOK_MS 250	/* an awaited job runs without supervisor */
#define LOOK_MS 1000		/* no inotify: a waiting job looks this often */
#ifdef SIGRTMAX
#define MAX_SIGNAL SIGRTMAX
#else
#define MAX_SIGNAL (NSIG - 1)
#endif

enum state { WAITING, RUNNING, STOPPING, DRAINING, KILLING, DONE, NSTATES };
enum event { TURN, DEP_FAILED, SPAWN_FAILED, EXIT, STOP, TIMEOUT, GRACE,
	EMPTY, GIVE_UP, NEVENTS };

struct sup {
	struct sup_args a;
	enum state state;
	enum life_cause cause;
	struct sup_log log;
	bool main_exited;	/* the main process's status is known */
	bool main_reaped;	/* and it is reaped: its group id is free */
	bool main_signaled;	/* a signal ended it */
	int main_status;	/* its exit code, or that signal */
	int out_fd;		/* the output pipe, -1 at EOF */
	int confirm_fd;		/* the caller's confirm pipe, -1 once done */
	int stop_sig;		/* the signal of the current stop */
	bool stop_asked;	/* the stop came from `job stop` */
	int asked_sig;		/* with this signal */
	int64_t asked_grace_ms;	/* and grace */
	int64_t deadline;	/* monotonic ms of the timeout; 0 = none */
	int64_t kill_at;	/* end of the grace period; 0 = none */
	int64_t give_up_at;	/* after SIGKILL; 0 = none */
	int64_t mark_at;	/* retry recording `running`; 0 = none */
	int64_t confirm_at;	/* stop waiting for the caller's word */
	int left;		/* live processes besides the main one */
	bool left_fresh;	/* just counted: no need to look again */
	char *buf;		/* for copying output */
	pid_t self;		/* our pid */
	/* Waiting for the turn. */
	bool started;		/* the command was started */
	int watch_fd;		/* inotify on the locks folder, or -1 */
	struct life_turn turn;	/* the last judgement: what to watch */
	int64_t look_at;	/* judge the turn again; 0 = on events only */
	/* The end of a job that never started: its status, reason, code. */
	enum job_status unstarted_status;
	const char *unstarted_reason;
	int unstarted_code;
};

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_chld, got_term;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

/* Gives back what SQLite used: an idle supervisor stays small. */
static void
trim_memory(void)
{
#if defined(__GLIBC__)
	malloc_trim(0);
#endif
}

/*
 * Lets go of the program's and libraries' code pages: starting touched
 * far more of libc, libm and SQLite (and the kernel mapped 64 KiB around
 * each touch) than an idle supervisor runs. Code is never written, so a
 * page dropped is read again from the page cache if it is needed.
 * Writable and relocated pages are left alone.
 */
static void
shed_code_pages(void)
{
#if defined(__linux__)
	unsigned long lo[64], hi[64];
	char line[512], perms[8];
	int n = 0, i, path;
	FILE *f = fopen("/proc/self/maps", "re");

	if (f == NULL)
		return;
	/* The sleep that follows calls poll(2) for the first time: bind it
	 * now, or the dynamic linker's code comes back to look it up. */
	poll(NULL, 0, 0);
	/* All of the list first: dropping code that reading it runs would
	 * only bring it back. */
	while (n < 64 && fgets(line, sizeof(line), f) != NULL) {
		path = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo[n], &hi[n],
		    perms, &path) == 3 && path > 0 &&
		    strcmp(perms, "r-xp") == 0 && line[path] == '/')
			n++;
	}
	fclose(f);
	for (i = 0; i < n; i++)
		madvise((void *)lo[i], hi[i] - lo[i], MADV_DONTNEED);
#endif
}

static const char *
plural(int n)
{
	return n == 1 ? "" : "es";
}

/*
 * Sends sig to the whole job: the main process's group while its id is
 * pinned (it is not reaped until the end), and every descendant of ours.
 */
static void
signal_job(struct sup *s, int sig)
{
	proc_kill_tree(getpid(), s->main_reaped ? 0 : s->a.child, sig);
}

/* Live processes of the job other than the main one. */
static int
count_left(const struct sup *s)
{
	struct proc_info *list;
	size_t n, i;
	int live = 0, round;

	/*
	 * One look at /proc is not atomic: a process that forks and exits
	 * while we read can hand its child to us unseen. Every exit leaves a
	 * zombie child of ours, though (we are the subreaper), so a look is
	 * only trusted when it found no zombie to reap besides C: reap them
	 * and look again.
	 */
	for (round = 0; round < 64; round++) {
		int zombies = 0;

		if (proc_tree(getpid(), PROC_WALK_AUTO, &list, &n) < 0)
			return s->left;	/* cannot tell: assume no change */
		live = 0;
		for (i = 0; i < n; i++) {
			if (list[i].pid == s->a.child)
				continue;
			if (list[i].alive)
				live++;
			else if (list[i].ppid == getpid() &&
			    waitpid(list[i].pid, NULL, WNOHANG) > 0)
				zombies++;
		}
		free(list);
		if (live > 0 || zombies == 0)
			break;
	}
	return live;
}

static void copy_output(struct sup *s, char *buf, int64_t budget_ms);
static void leave(const struct sup *s) __attribute__((noreturn));

/* Our notes come after what the job printed before them. */
static void
note_after_output(struct sup *s, const char *what, int n)
{
	copy_output(s, s->buf, OUTPUT_BUDGET_MS);
	if (n >= 0)
		sup_log_note(&s->log, "%s %d leftover process%s", what, n,
		    plural(n));
	else
		sup_log_note(&s->log, "%s", what);
}

/* --- actions: what an event does in a state --- */

static void
begin_grace(struct sup *s, int sig, int64_t grace_ms)
{
	s->stop_sig = sig;
	signal_job(s, sig);
	if (s->kill_at == 0 || job_mono_ms() + grace_ms < s->kill_at)
		s->kill_at = job_mono_ms() + grace_ms;
}

static void
act_stop(struct sup *s)
{
	/* SIGTERM from anyone else (a shutdown) is passed on; the job ends
	 * as its processes do. */
	if (s->state == RUNNING)
		s->cause = s->stop_asked ? LIFE_STOPPED : LIFE_EXITED;
	begin_grace(s, s->asked_sig, s->asked_grace_ms);
}

static void
act_stop_leftovers(struct sup *s)
{
	char name[PROC_SIGNAME_MAX];
	int left = count_left(s);

	if (left > 0) {
		char what[64];

		snprintf(what, sizeof(what), "job stop: sending %s to",
		    proc_signal_name(s->asked_sig, name) ? name : "a signal");
		note_after_output(s, what, left);
	}
	begin_grace(s, s->asked_sig, s->asked_grace_ms);
}

static void
act_timeout(struct sup *s)
{
	char what[64];

	s->cause = LIFE_TIMED_OUT;
	snprintf(what, sizeof(what), "timed out after %lld ms: stopping the "
	    "job", (long long)s->a.timeout_ms);
	note_after_output(s, what, -1);
	begin_grace(s, SIGTERM, s->a.grace_ms);
}

static void
act_main_exited(struct sup *s)
{
	int left = count_left(s);

	s->left = left;
	s->left_fresh = true;
	if (left == 0)
		return;		/* EMPTY follows at once */
	note_after_output(s, "the main process exited; stopping", left);
	begin_grace(s, SIGTERM, s->a.grace_ms);
}

static void
act_kill(struct sup *s)
{
	s->kill_at = 0;
	s->stop_sig = SIGKILL;
	signal_job(s, SIGKILL);
	if (s->give_up_at == 0)
		s->give_up_at = job_mono_ms() + GIVE_UP_MS;
}

static void
act_give_up(struct sup *s)
{
	sup_log_note(&s->log, "%d process%s could not be killed", s->left,
	    plural(s->left));
}

/* A stop before the start: nothing to signal, the job just ends. */
static void
act_cancel(struct sup *s)
{
	s->unstarted_status = s->stop_asked ? JOB_STOPPED : JOB_INTERRUPTED;
	s->unstarted_reason = s->stop_asked ? "stopped" : "supervisor_lost";
	sup_log_note(&s->log, "%s", s->stop_asked ? "job stop: stopped "
	    "before it started" : "the supervisor was terminated before the "
	    "job started");
}

static void
act_started(struct sup *s)
{
	s->started = true;
	if (s->a.timeout_ms > 0)
		s->deadline = job_mono_ms() + s->a.timeout_ms;
}

struct transition {
	enum state next;
	void (*act)(struct sup *);
};

/* Unlisted pairs cannot happen or change nothing: same state, no act. */
static const struct transition table[NSTATES][NEVENTS] = {
	[WAITING] = {
		[TURN] = { RUNNING, act_started },
		[DEP_FAILED] = { DONE, NULL },
		[SPAWN_FAILED] = { DONE, NULL },
		[STOP] = { DONE, act_cancel },
	},
	[RUNNING] = {
		[EXIT] = { DRAINING, act_main_exited },
		[STOP] = { STOPPING, act_stop },
		[TIMEOUT] = { STOPPING, act_timeout },
	},
	[STOPPING] = {
		[STOP] = { STOPPING, act_stop },
		[GRACE] = { KILLING, act_kill },
		[EMPTY] = { DONE, NULL },
	},
	[DRAINING] = {
		[STOP] = { DRAINING, act_stop_leftovers },
		[GRACE] = { KILLING, act_kill },
		[EMPTY] = { DONE, NULL },
	},
	[KILLING] = {
		[STOP] = { KILLING, act_kill },
		[EMPTY] = { DONE, NULL },
		[GIVE_UP] = { DONE, act_give_up },
	},
};

static void
fire(struct sup *s, enum event ev)
{
	const struct transition *t = &table[s->state][ev];

	if (t->act == NULL && t->next == WAITING)
		return;		/* an empty slot: nothing happens */
	if (t->act != NULL)
		t->act(s);
	s->state = t->next;
	/* A stop with SIGKILL has no grace to wait for. */
	if (s->state == STOPPING && s->stop_sig == SIGKILL)
		fire(s, GRACE);
}

/* --- sources of events --- */

/*
 * Reaps what exited. The main process is only looked at (WNOWAIT) so that
 * it stays a zombie and its group id cannot be reused while what it left
 * is killed; the other children are reaped one by one.
 */
static void
reap(struct sup *s)
{
	siginfo_t si;
	int status;
	pid_t p;

	if (!s->started)
		return;		/* no child yet but our own, waited for */
	if (!s->main_exited) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)s->a.child, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == s->a.child) {
			s->main_exited = true;
			s->main_signaled = si.si_code != CLD_EXITED;
			s->main_status = si.si_status;
			fire(s, EXIT);
		}
	}
#if defined(__linux__)
	/* Once the main process has exited, counting what is left reaps. */
	if (s->main_exited)
		return;
	{
		struct proc_info *list;
		size_t n, i;

		(void)p;
		(void)status;
		if (proc_tree(getpid(), PROC_WALK_AUTO, &list, &n) == 0) {
			for (i = 0; i < n; i++)
				if (list[i].ppid == getpid() &&
				    list[i].zombie && !list[i].alive &&
				    list[i].pid != s->a.child)
					waitpid(list[i].pid, NULL, WNOHANG);
			free(list);
		}
	}
#else
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p != s->a.child)
			continue;
		s->main_reaped = true;
		if (!s->main_exited) {
			s->main_exited = true;
			s->main_signaled = WIFSIGNALED(status);
			s->main_status = WIFSIGNALED(status) ?
			    WTERMSIG(status) : WEXITSTATUS(status);
			fire(s, EXIT);
		}
	}
#endif
}

/* `job stop` leaves the signal and grace in the row: read them. */
static void
read_stop_request(struct sup *s)
{
	struct store *st;
	struct job j;

	s->stop_asked = false;
	s->asked_sig = SIGTERM;
	s->asked_grace_ms = s->a.grace_ms;
	if (store_open(s->a.home, &st, NULL) == 0) {
		if (store_job_get(st, s->a.id, &j, NULL) == 0) {
			if (j.stop_signal != NULL) {
				int n = proc_signal_number(j.stop_signal);
				s->stop_asked = true;
				if (n > 0)
					s->asked_sig = n;
				s->asked_grace_ms = j.stop_grace_ms;
			}
			job_free(&j);
		}
		store_close(st);
		trim_memory();
	}
}

/* What we know of the start, as a row would hold it. */
static void
started_job(const struct sup *s, struct job *j)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", s->a.id);
	j->pid = s->a.child;
	j->pid_start = s->a.pid_start;
	j->sup_pid = s->self;	/* getpid() is not us in in_child */
	j->sup_start = s->a.sup_start;
	j->started_at = s->a.started_at;
}

/*
 * Runs fn with the store in a child process and returns its result (-1
 * when the store could not be used): SQLite's memory and its library's
 * pages then never stay in ours, and an idle supervisor stays small.
 * Up to len bytes of out come back through a pipe.
 */
static int
in_child(struct sup *s, int (*fn)(struct sup *, const struct life *, void *),
    void *out, size_t len)
{
	int fds[2], status, rc = -1;
	pid_t pid;

	if (sup_pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		struct store *st;
		struct life l;

		close(fds[0]);
		if (store_open(s->a.home, &st, NULL) < 0)
			_exit(1);
		memset(&l, 0, sizeof(l));
		l.home = s->a.home;
		l.store = st;
		rc = fn(s, &l, out);
		store_close(st);
		if (rc == 0 && len > 0 &&
		    sup_write_all(fds[1], out, len) != (ssize_t)len)
			rc = -1;
		_exit(rc < 0 ? 1 : 0);
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		size_t got = 0;
		ssize_t n;

		while (got < len && ((n = read(fds[0], (char *)out + got,
		    len - got)) > 0 || (n < 0 && errno == EINTR)))
			if (n > 0)
				got += (size_t)n;
		rc = got == len ? 0 : -1;
	}
	close(fds[0]);
	return rc;
}

static int
record_running(struct sup *s, const struct life *l, void *out)
{
	struct job j;

	(void)out;
	started_job(s, &j);
	return store_job_mark_running(l->store, &j, NULL);
}

/* The caller did not record `running` (it died, or the store was busy);
 * or a waiting job just started. */
static void
mark_running(struct sup *s)
{
	s->mark_at = job_mono_ms() + RETRY_MS;
	if (in_child(s, record_running, NULL, 0) == 0)
		s->mark_at = 0;
}

static int
judge_turn(struct sup *s, const struct life *l, void *out)
{
	return life_turn(l, s->a.id, s->self, s->a.sup_start, out, NULL);
}

/* Starts the command now that it is the job's turn. */
static void
start_command(struct sup *s)
{
	struct sup_command c;
	char what[256], *blob = NULL;
	int out[2], rc;
	bool zombie;

	memset(&c, 0, sizeof(c));
	c.id = s->a.id;
	c.command = s->a.command;
	if (sup_spec_read(s->a.spec_fd, s->a.nwords, s->a.nenv, &c,
	    &blob) < 0) {
		rc = errno ? errno : EIO;
		snprintf(what, sizeof(what), "start");
		goto failed;
	}
	if (sup_pipe(out) < 0) {
		rc = errno;
		snprintf(what, sizeof(what), "pipe");
	} else {
		s->a.started_at = job_now_ms();
		rc = sup_command_spawn(&c, out[1], &s->a.child, what,
		    sizeof(what));
		close(out[1]);
		if (rc != 0)
			close(out[0]);
	}
	free(c.words);
	free(c.env);
	free(blob);
	close(s->a.spec_fd);
	s->a.spec_fd = -1;
failed:
	if (rc != 0) {
		sup_log_note(&s->log, "cannot start the job: %s: %s", what,
		    strerror(rc));
		s->unstarted_status = JOB_FAILED;
		s->unstarted_reason = "spawn_failed";
		s->unstarted_code = rc == ENOENT || rc == ENOTDIR ? 127 : 126;
		fire(s, SPAWN_FAILED);
		return;
	}
	proc_probe(s->a.child, &s->a.pid_start, &zombie);
	s->out_fd = out[0];
	sup_set_flags(s->out_fd, true, true);
	if (s->watch_fd >= 0) {
		close(s->watch_fd);
		s->watch_fd = -1;
	}
	s->look_at = 0;
	fire(s, TURN);
	mark_running(s);
}

/* Something may have made it the job's turn: judge it. */
static void
look_at_turn(struct sup *s)
{
	struct life_turn t;

	/* Events wake a watching job; one that cannot watch looks. */
	s->look_at = s->watch_fd < 0 ? job_mono_ms() + LOOK_MS : 0;
	if (in_child(s, judge_turn, &t, sizeof(t)) < 0) {
		s->look_at = job_mono_ms() + RETRY_MS;	/* a busy store */
		return;
	}
	t.why[sizeof(t.why) - 1] = '\0';
	if (t.nwatch < 0 || t.nwatch > LIFE_TURN_WATCH || t.ndeps < 0 ||
	    t.ndeps > t.nwatch)
		t.watch_all = true;
	s->turn = t;
	switch (t.verdict) {
	case TURN_GO:
		start_command(s);
		break;
	case TURN_DEP_FAILED:
		sup_log_note(&s->log, "not started: %s", t.why);
		s->unstarted_status = JOB_FAILED;
		s->unstarted_reason = "dependency_failed";
		fire(s, DEP_FAILED);
		break;
	case TURN_GONE:
		/* Ended by someone else (or removed): nothing is ours. */
		leave(s);
	case TURN_WAIT:
		/* An awaited process without its supervisor sends no event
		 * when it ends: look again soon. */
		if (t.orphaned && (s->look_at == 0 ||
		    s->look_at > job_mono_ms() + ORPHAN_LOOK_MS))
			s->look_at = job_mono_ms() + ORPHAN_LOOK_MS;
		break;
	}
}

/*
 * Whether the end of job id may make it the turn, by the last judgement:
 * any end of a job it waits for; of its queue's blockers, the one that
 * brings the count it needs to zero. Each blocker counts once (its lock's
 * unlink and last close both tell of its end).
 */
static bool
turn_event(struct sup *s, const char *id)
{
	struct life_turn *t = &s->turn;
	int i;

	if (t->watch_all)
		return true;
	for (i = 0; i < t->nwatch; i++) {
		if (strcmp(t->watch[i], id) != 0)
			continue;
		if (i < t->ndeps)
			return true;
		memcpy(t->watch[i], t->watch[t->nwatch - 1], ULID_LEN + 1);
		t->nwatch--;
		return --t->need <= 0;
	}
	return false;
}

/* Whether the events read from the watch may concern the turn. */
static bool
read_watch(struct sup *s)
{
	bool relevant = false;
#if defined(__linux__)
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(s->watch_fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			struct inotify_event *ev = (struct inotify_event *)p;
			size_t len = ev->len ? strlen(ev->name) : 0;

			/* A lost event may have been anything; the doorbell
			 * is a queue that may start more. */
			if ((ev->mask & IN_Q_OVERFLOW) ||
			    strcmp(ev->name, "queues.bell") == 0)
				relevant = true;
			else if (len == ULID_LEN + 5 &&
			    strcmp(ev->name + ULID_LEN, ".lock") == 0) {
				ev->name[ULID_LEN] = '\0';
				if (turn_event(s, ev->name))
					relevant = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
#else
	(void)s;
#endif
	return relevant;
}

/* Watches the locks folder before the first look: no end is missed. */
static void
watch_locks(struct sup *s)
{
	s->watch_fd = -1;
#if defined(__linux__)
	{
		char dir[PATH_MAX];

		s->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		snprintf(dir, sizeof(dir), "%s/logs", s->a.home);
		if (s->watch_fd >= 0 && inotify_add_watch(s->watch_fd, dir,
		    IN_CLOSE_WRITE | IN_DELETE) < 0) {
			close(s->watch_fd);
			s->watch_fd = -1;
		}
	}
#endif
}

static void
read_confirm(struct sup *s)
{
	char c;
	ssize_t n = read(s->confirm_fd, &c, 1);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(s->confirm_fd);
	s->confirm_fd = -1;
	if (n != 1 || c != 'K')
		mark_running(s);
}

/* Copies a bounded bite of output, so control is never starved. */
static void
copy_output(struct sup *s, char *buf, int64_t budget_ms)
{
	int64_t until = job_mono_ms() + budget_ms;
	size_t copied = 0;

	while (s->out_fd >= 0 && copied < OUTPUT_BUDGET) {
		ssize_t n = read(s->out_fd, buf, BUF_SIZE);
		if (n > 0) {
			sup_log_write(&s->log, buf, (size_t)n);
			copied += (size_t)n;
			if (job_mono_ms() >= until)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(s->out_fd);
		s->out_fd = -1;
	}
}

static int
poll_timeout(const struct sup *s)
{
	int64_t now = job_mono_ms(), t = -1;
	const int64_t at[] = { s->state == RUNNING ? s->deadline : 0,
		s->state == WAITING ? s->look_at : 0,
		s->kill_at, s->give_up_at, s->mark_at,
		s->confirm_fd >= 0 ? s->confirm_at : 0,
		s->log.unreported > 0 ? s->log.retry_at : 0 };
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (at[i] > 0 && (t < 0 || at[i] - now < t))
			t = at[i] - now < 0 ? 0 : at[i] - now;
	/* Processes that are not our children send no SIGCHLD: look. */
	if (s->main_exited && (t < 0 || t > SCAN_MS))
		t = SCAN_MS;
	return t < 0 ? -1 : t > INT_MAX ? INT_MAX : (int)t;
}

/* Turns clocks and the process tree into events. */
static void
check_time_and_tree(struct sup *s)
{
	int64_t now = job_mono_ms();

	if (s->state == RUNNING && s->deadline > 0 && now >= s->deadline) {
		s->deadline = 0;
		fire(s, TIMEOUT);
	}
	if (s->kill_at > 0 && now >= s->kill_at) {
		s->kill_at = 0;
		fire(s, GRACE);
	}
	if (s->main_exited && s->state != DONE) {
		/* A count that found none stays true: with no live process
		 * left in the job, none can be born. */
		if (!s->left_fresh || s->left > 0)
			s->left = count_left(s);
		if (s->left == 0)
			fire(s, EMPTY);
	}
	s->left_fresh = false;
	if (s->state != KILLING)
		return;
	if (s->give_up_at > 0 && now >= s->give_up_at) {
		if (!s->main_exited)
			s->left++;
		fire(s, GIVE_UP);
	} else	/* new processes may have been born since: they go too */
		signal_job(s, SIGKILL);
}

/* --- the end --- */

/* What a lost row is written again from: what we were told. */
static void
restore_from(const struct sup *s, struct job *j)
{
	started_job(s, j);
	j->name = (char *)(uintptr_t)s->a.name;
	j->command = (char *)(uintptr_t)s->a.command;
	j->cwd = (char *)(uintptr_t)s->a.cwd;
	j->project = (char *)(uintptr_t)s->a.project;
	j->boot_id = (char *)(uintptr_t)s->a.boot_id;
	j->created_at = s->a.created_at;
	j->timeout_ms = s->a.timeout_ms;
	j->grace_ms = s->a.grace_ms;
}

/* Records the end, retrying for as long as it takes: it exists nowhere
 * else. A row that is gone is written again. Returns the store still open,
 * or NULL when the end could not be recorded. */
static struct store *
record_end(struct sup *s, const struct job_end *end)
{
	struct store *st = NULL;
	struct err e;
	struct job restore;
	int64_t give_up = job_mono_ms() + RECORD_RETRY_MS;
	int64_t pause_ms = 10;
	int rc;

	restore_from(s, &restore);
	for (;;) {
		if (st == NULL && store_open(s->a.home, &st, &e) < 0)
			st = NULL;
		if (st != NULL && (rc = life_finish(st, s->a.id, end, &restore,
		    NULL, &e)) >= 0) {
			if (rc == 1)
				sup_log_note(&s->log, "the job's record was "
				    "missing from the store: written again from "
				    "what the supervisor knew (its context, key "
				    "and environment are lost)");
			return st;
		}
		if (job_mono_ms() > give_up) {
			sup_log_note(&s->log, "the end of this job could not "
			    "be recorded: %s", e.msg);
			store_close(st);
			return NULL;
		}
		job_pause_ms(pause_ms);
		if (pause_ms < 1000)
			pause_ms *= 2;
	}
}

/* Nothing more is ours: the lock file goes, and the lock with our exit. */
static void __attribute__((noreturn))
leave(const struct sup *s)
{
	char path[PATH_MAX];

	home_lock_path(s->a.home, s->a.id, path, sizeof(path));
	unlink(path);
	_exit(0);
}

/*
 * The end goes into the lock file and the lock is released: whoever waits
 * wakes now and records the end itself (or any command that finds the
 * lock free does), without waiting for us to open the store. We record
 * it too, the lock file goes, and then, with nobody waiting on us, the
 * WAL goes into job.db if it has grown (the costly part of the store's
 * upkeep, kept out of the commands people wait for). When the note cannot
 * be written (a full disk), the lock is held until the end is recorded.
 */
static void __attribute__((noreturn))
record_and_leave(struct sup *s, const struct job_end *end)
{
	char note[LIFE_NOTE_MAX], path[PATH_MAX];
	struct store *st;
	int n = life_end_note(end, note, sizeof(note));
	bool told = n > 0 && lock_note(s->a.lock_fd, note, (size_t)n) == 0;

	if (told)
		close(s->a.lock_fd);
	life_crash_point("sup-after-note");
	st = record_end(s, end);
	if (st != NULL)
		store_keep_first_jobs(st);
	home_lock_path(s->a.home, s->a.id, path, sizeof(path));
	unlink(path);
	if (!told)
		close(s->a.lock_fd);
	if (st != NULL) {
		store_tidy(st);
		store_close(st);
	}
	_exit(0);
}

static void __attribute__((noreturn))
finish(struct sup *s, char *buf)
{
	struct job_end end;
	struct job started;
	int rounds;

	/* Everything is dead: what is in the pipe is the rest of the output.
	 * A writer that escaped us (no subreaper) must not keep us here. */
	for (rounds = 0; s->out_fd >= 0 && rounds < 64; rounds++)
		copy_output(s, buf, 1000);
	/* Whether or not the caller recorded `running`, the end fills in the
	 * start (store_job_finish) and a late `running` changes nothing. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (s->log.unreported > 0) {
		s->log.retry_at = 0;
		sup_log_flush(&s->log);
	}
	life_end_observed(&end, s->cause, s->main_exited, s->main_signaled,
	    s->main_status, s->log.dropped);
	/* What the start was, for a row the caller has not marked yet. */
	started_job(s, &started);
	end.started = &started;
	if (!s->started) {
		end.status = s->unstarted_status;
		end.reason = s->unstarted_reason;
		end.exit_code = s->unstarted_code > 0 ? s->unstarted_code : -1;
		end.signal_number = 0;
		end.started = NULL;
	}
	record_and_leave(s, &end);
}

static void
drain_sig_pipe(void)
{
	char buf[64];

	while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
}

static void __attribute__((noreturn))
supervise(struct sup *s, char *buf)
{
	bool shed = false;

	for (;;) {
		struct pollfd pfd[4];
		int nfds = 0, out_i = -1, confirm_i = -1, watch_i = -1;

		/* Control first, output last: output cannot starve it. */
		if (got_term) {
			got_term = 0;
			read_stop_request(s);
			fire(s, STOP);
		}
		if (got_chld) {
			got_chld = 0;
			reap(s);
		}
		check_time_and_tree(s);
		if (s->state == DONE)
			break;
		if (s->confirm_fd >= 0 && job_mono_ms() >= s->confirm_at) {
			/* A caller that neither confirms nor dies (stopped,
			 * frozen): record `running` ourselves. */
			close(s->confirm_fd);
			s->confirm_fd = -1;
			mark_running(s);
		}
		if (s->mark_at > 0 && job_mono_ms() >= s->mark_at)
			mark_running(s);
		if (s->state == WAITING && s->look_at > 0 &&
		    job_mono_ms() >= s->look_at) {
			look_at_turn(s);
			continue;
		}
		pfd[nfds].fd = sig_pipe[0];
		pfd[nfds++].events = POLLIN;
		if (s->out_fd >= 0) {
			out_i = nfds;
			pfd[nfds].fd = s->out_fd;
			pfd[nfds++].events = POLLIN;
		}
		if (s->confirm_fd >= 0) {
			confirm_i = nfds;
			pfd[nfds].fd = s->confirm_fd;
			pfd[nfds++].events = POLLIN;
		}
		if (s->state == WAITING && s->watch_fd >= 0) {
			watch_i = nfds;
			pfd[nfds].fd = s->watch_fd;
			pfd[nfds++].events = POLLIN;
		}
		/* Before the first sleep, starting is over: the code it ran
		 * is not needed while the job runs or waits. */
		if (!shed) {
			shed_code_pages();
			shed = true;
		}
		if (poll(pfd, (nfds_t)nfds, poll_timeout(s)) < 0) {
			/* Never taken for an end: look again shortly. */
			if (errno != EINTR)
				job_pause_ms(10);
			continue;
		}
		if (pfd[0].revents != 0)
			drain_sig_pipe();
		/* A stop comes before a turn that came with it. */
		if (got_term && s->state == WAITING)
			continue;
		if (confirm_i >= 0 && pfd[confirm_i].revents != 0)
			read_confirm(s);
		if (watch_i >= 0 && pfd[watch_i].revents != 0 &&
		    read_watch(s) && s->state == WAITING)
			look_at_turn(s);
		if (out_i >= 0 && pfd[out_i].revents != 0)
			copy_output(s, buf, OUTPUT_BUDGET_MS);
		else if (s->log.unreported > 0 &&
		    job_mono_ms() >= s->log.retry_at)
			sup_log_flush(&s->log);
	}
	finish(s, buf);
}

/* Every disposition this process relies on, set here: none inherited. */
static void
own_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig <= MAX_SIGNAL; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* What was held across exec is delivered now, to these handlers. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int
sup_main(int argc, char **argv)
{
	static char buf[BUF_SIZE];
	static struct sup s;

	s.buf = buf;
	if (sup_args_unpack(argc, argv, &s.a) < 0)
		return 2;
	s.self = getpid();
	s.state = s.a.waiting ? WAITING : RUNNING;
	s.started = !s.a.waiting;
	s.cause = LIFE_EXITED;
	s.out_fd = s.a.out_fd;
	s.confirm_fd = s.a.confirm_fd;
	s.log.fd = s.a.log_fd;
	s.watch_fd = -1;
	s.turn.watch_all = true;
	/* The lock stays open until we exit: that is the point. */
	sup_set_flags(s.a.lock_fd, true, false);
	sup_set_flags(s.a.log_fd, true, false);
	if (s.out_fd >= 0)
		sup_set_flags(s.out_fd, true, true);
	sup_set_flags(s.confirm_fd, true, true);
	if (s.a.spec_fd >= 0)
		sup_set_flags(s.a.spec_fd, true, false);
	if (s.a.waiting) {
		/* The caller's word is not needed: judging the turn records
		 * this supervisor in the row. */
		close(s.confirm_fd);
		s.confirm_fd = -1;
	}
#if defined(__linux__)
	/* So `ps` and `top` tell supervisors from `job run` calls. */
	prctl(PR_SET_NAME, "job-supervisor", 0, 0, 0);
#endif
	if (sup_pipe(sig_pipe) == 0) {
		sup_set_flags(sig_pipe[0], true, true);
		sup_set_flags(sig_pipe[1], true, true);
	}
	/* C may have ended while we were exec'ing: look before sleeping. */
	got_chld = 1;
	own_signals();
	if (s.a.timeout_ms > 0 && !s.a.waiting)
		s.deadline = job_mono_ms() + s.a.timeout_ms;
	s.confirm_at = job_mono_ms() + CONFIRM_MS;
	if (s.a.waiting) {
		watch_locks(&s);
		look_at_turn(&s);
	}
	supervise(&s, buf);
}
