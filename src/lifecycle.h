/*
 * A job's life, in one place: how it starts, how its end is decided and
 * written, how a job whose supervisor is gone is reconciled, how a waiter
 * blocks, and how a stop is asked. Commands pass the home and the store;
 * nothing here prints or exits.
 *
 * Starting, the order matters: the lock exists and is held before the
 * row, so no reconciliation ever sees an active row without a live holder;
 * the supervisor is forked first but does nothing until the row exists,
 * and then only ever updates it.
 *
 * Reconciling, probes run outside any transaction and the update is
 * guarded on the row still being active with the supervisor probed, so a
 * supervisor that recorded its job's end in the meantime is never
 * overwritten. A job whose supervisor is gone stays running while its
 * process lives (same pid, start time and boot); otherwise it becomes
 * `interrupted`, reason `reboot` when the boot id changed and
 * `supervisor_lost` when not.
 *
 * Waiting, a live supervisor is waited on by blocking on its lock, which
 * wakes within a millisecond of its death with no polling; an orphaned
 * process is watched until it is gone.
 */
#ifndef JOB_LIFECYCLE_H
#define JOB_LIFECYCLE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "job.h"
#include "store.h"
#include "supervisor.h"

struct life {
	const char *home;	/* $JOB_HOME */
	struct store *store;	/* open */
	const char *self_exe;	/* for starting: this program */
	mode_t umask;		/* for starting: the caller's */
};

/*
 * A start, in two halves. life_launch takes the job's id, lock and log and
 * forks its supervisor, which waits; it needs no store (l->store may be
 * NULL), so a caller runs it before opening one and the two work at once.
 * spec holds what the caller chose (name, command or argv, cwd, project,
 * timeout, grace, context, key, retry_of, env, queue); it and ll must
 * stay as they are until life_start or life_cancel.
 */
struct life_launch {
	struct job job;		/* spec, with its id, boot and creation */
	char boot_id[64];
	char log_path[PATH_MAX];
	int lock_fd;
	int log_fd;
	struct sup_spec sup;
	struct sup_launch fork;
	bool forked;		/* else failed says why */
	struct err failed;
};
int life_launch(const struct life *l, const struct job *spec,
    struct life_launch *ll, struct err *e);
/*
 * Fault injection for the test suite (job.1, ENVIRONMENT): at the named
 * point `job run` or a supervisor dies by SIGKILL (JOB_TEST_CRASH), as a
 * crash or an OOM kill would, or stops itself (JOB_TEST_STOP) until a test
 * sends SIGCONT. Jobs never inherit either (sup-start.c).
 */
void life_crash_point(const char *point);
/* The job is not to be after all (its dependencies are unknown, ...). */
void life_cancel(const struct life *l, struct life_launch *ll);
/*
 * Records the job and sets its supervisor going. spec is the one given to
 * life_launch, now with what only the store could tell (its resolved
 * dependencies). On return *out is the
 * job's record; *existing says an earlier job with the same key was
 * returned instead. Once the command runs this succeeds, even if the
 * store is too busy to record `running` now (the supervisor does). A
 * start that could not fork is recorded failed (spawn_failed).
 */
int life_start(const struct life *l, struct life_launch *ll,
    const struct job *spec, struct job *out, bool *existing, struct err *e);

/*
 * A job that waits (--after, --after-end, --queue) starts when it is its
 * turn: its dependencies are met and its queue has a slot for it. In one
 * BEGIN IMMEDIATE transaction, life_turn judges the job and, when it may
 * start, claims its slot (`running`, before its process exists), so no
 * queue ever runs more than its limit however many judge at once. Jobs
 * whose supervisor is gone are settled first, outside the transaction.
 */
enum life_turn_verdict {
	TURN_WAIT,		/* not yet */
	TURN_GO,		/* claimed: start it now */
	TURN_DEP_FAILED,	/* an --after job did not complete */
	TURN_GONE,		/* the row is not pending any more */
};
#define LIFE_TURN_WATCH 64
struct life_turn {
	enum life_turn_verdict verdict;
	bool orphaned;		/* an awaited job runs on without its
				 * supervisor: its end sends no event, so
				 * look again soon */
	char why[160];		/* TURN_DEP_FAILED: which job, how */
	/*
	 * TURN_WAIT: the jobs whose end may make it the turn, so a waiting
	 * job looks again only then. The first ndeps are the jobs it waits
	 * for: any of their ends. The rest hold its queue's slots or are
	 * ahead of it: `need` of their ends. watch_all: too many to list,
	 * every end.
	 */
	int nwatch, ndeps, need;
	bool watch_all;
	char watch[LIFE_TURN_WATCH][ULID_LEN + 1];
};
/* sup_pid/sup_start: the waiting supervisor, recorded if not yet. */
int life_turn(const struct life *l, const char *id, int64_t sup_pid,
    int64_t sup_start, struct life_turn *t, struct err *e);
/* Sets a queue's limit (parallel > 0) and pause (paused >= 0), creating
 * it; wakes the waiting jobs when more may start. */
int life_queue_set(const struct life *l, const char *name, int64_t parallel,
    int paused, struct err *e);

/* What ended a supervised job first: its own exit, a stop, the timeout. */
enum life_cause { LIFE_EXITED, LIFE_STOPPED, LIFE_TIMED_OUT };
/*
 * The end of a job whose main process ended (exited with status, or was
 * killed by signal status when signaled); exited false when even SIGKILL
 * did not end it.
 */
void life_end_observed(struct job_end *end, enum life_cause cause,
    bool exited, bool signaled, int status, int64_t log_dropped);
/*
 * A supervisor's last word: its job's end as one line of text for the lock
 * file, written just before the lock is released, so that whoever finds
 * the lock free first (a waiter, a reconciler) records that end at once,
 * and it is not lost if the supervisor dies before it records it itself.
 * Returns the length, or -1 when buf is too small.
 */
#define LIFE_NOTE_MAX 192
int life_end_note(const struct job_end *end, char *buf, size_t len);
/*
 * The reverse, for row j: fills end (and started, which end points to when
 * the note knows the start; the row's supervisor guards the write). False
 * when note is empty or not exactly such a line.
 */
bool life_end_from_note(const char *note, const struct job *j,
    struct job_end *end, struct job *started);
/*
 * Records an end. When the row is gone (store replaced, WAL deleted) and
 * restore is given, the row is written again from it: returns 1 then, 0
 * otherwise. *changed says whether this call ended the row.
 */
int life_finish(struct store *st, const char *id, const struct job_end *end,
    const struct job *restore, bool *changed, struct err *e);

/* Settles every active row whose supervisor is gone. */
int life_reconcile_all(const struct life *l, struct err *e);
/* Settles j's row, read again after the probe; *settled: it ended. */
int life_reconcile(const struct life *l, const struct job *j, bool *settled,
    struct err *e);
/* Whether an active job's process lives on without its supervisor. */
bool life_orphan_alive(const struct job *j);
/* Whether the job's supervisor is alive (it holds the job's lock). */
bool life_supervised(const struct life *l, const char *id);

/*
 * Without blocking: 1 with *j filled when the job has ended (settling its
 * row if the supervisor is gone), 0 while it runs, -1 on error.
 */
int life_ended(const struct life *l, const char *id, struct job *j,
    struct err *e);
/*
 * Waits until job id has ended; deadline is a job_mono_ms() time, or 0 for
 * none. Returns 0 with *out filled when it ended, 1 on timeout (*out holds
 * the current record), -1 on error.
 */
int life_wait(const struct life *l, const char *id, int64_t deadline,
    struct job *out, struct err *e);
/*
 * Stops job id: its supervisor is asked (signal and grace in the row);
 * when it is gone, the orphaned process tree is killed from here once its
 * leader is proven to be the job's process. grace < 0: the job's own.
 * Returns once the job has ended, with *out its record; on error *out
 * holds nothing to free.
 */
int life_stop(const struct life *l, const char *id, int sig, int64_t grace,
    struct job *out, struct err *e);

/* Called with each new piece of a followed log; -1 stops following. */
typedef int (*life_output)(void *arg, const char *s, size_t len);
/*
 * Passes what the job writes to its log (open at fd) from offset off on,
 * until it ends; *end is then its record. Returns 0, or -1 when out
 * failed or the log could not be read.
 */
int life_follow(const struct life *l, const char *id, int fd, int64_t off,
    life_output out, void *arg, struct job *end, struct err *e);

#endif
