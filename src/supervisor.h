/*
 * The supervisor: the only code that forks, execs and waits. sup_launch
 * and sup_go run in `job run` (sup-start.c): they double-fork a detached
 * process that starts the command in its own session and process group
 * and then execs a fresh image of job, whose sup_main (supervise.c) copies
 * the output to the log, enforces the timeout and stop requests, ends
 * every process of the job, and records the end in the store.
 */
#ifndef JOB_SUPERVISOR_H
#define JOB_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "job.h"

struct sup_spec {
	const char *home;	/* $JOB_HOME, absolute */
	const struct job *job;	/* the row as inserted: id, command or argv,
				 * cwd, env, timeout, grace, and what a lost
				 * row is restored from */
	int lock_fd;		/* the held job lock; the supervisor keeps it */
	int log_fd;		/* the job's log, open for appending */
	const char *self_exe;	/* this program, for the supervisor's exec */
	mode_t umask;		/* the caller's, for the command */
};

/* A supervisor forked and waiting for the caller's verdict. */
struct sup_launch {
	pid_t a;		/* the first fork, to reap */
	int status_fd;		/* S's report */
	int verdict_fd;		/* our word to S, then the confirmation */
};

/* argv[1] of the supervisor image: main hands such a process to sup_main. */
#define SUP_ARGV_MARK "__supervise"

struct sup_result {
	pid_t pid;		/* the command's process */
	int64_t pid_start;	/* and its start time */
	pid_t sup_pid;		/* the supervisor */
	int64_t sup_start;
	int64_t started_at;	/* ms since the epoch */
	int exit_code;		/* when it could not start: 126 or 127 */
	int confirm_fd;		/* see sup_confirm */
};

/* sup_start's answer when the supervisor died without a word. */
#define SUP_LOST (-2)

/* The supervisor image's main; argv as sup_start made it. */
int sup_main(int argc, char **argv);

/*
 * Forks the supervisor, which gets ready and waits for sup_go or
 * sup_cancel; spec and what it points to must stay as they are until
 * then. Returns 0, or -1 when no process could be made.
 */
int sup_launch(const struct sup_spec *spec, struct sup_launch *l,
    struct err *e);
/*
 * Tells the supervisor to start the command (or, waiting, to wait for
 * the job's turn) and waits until it runs. Returns 0 once it runs; -1 when
 * it could not start (the supervisor wrote why in the log; out->exit_code
 * says 126 or 127); SUP_LOST when the supervisor died without a word.
 */
int sup_go(struct sup_launch *l, const struct sup_spec *spec, bool waiting,
    struct sup_result *out, struct err *e);
/* The job is not to be: the supervisor exits without a trace. */
void sup_cancel(struct sup_launch *l);
/*
 * Tells the supervisor whether the caller recorded `running`, and lets go
 * of it. Until it hears yes the supervisor records `running` itself, so a
 * caller that dies or meets a busy store never leaves a started job
 * behind a `pending` row.
 */
void sup_confirm(struct sup_result *res, bool recorded);

#endif
