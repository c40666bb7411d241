/*
 * The supervisor: the only code that forks, execs and waits. sup_start runs
 * in `job run`; it double-forks a detached supervisor that starts the
 * command in its own session and process group, copies its output to the
 * log, enforces the timeout and stop requests, kills what the job leaves
 * behind, and records the end in the store.
 */
#ifndef JOB_SUPERVISOR_H
#define JOB_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct sup_spec {
	const char *home;	/* $JOB_HOME */
	const char *id;		/* the job's id */
	const char *command;	/* for /bin/sh -c, unless argv */
	const char *argv;	/* words to run as they are, "w1\0w2\0", or
				 * NULL */
	size_t argv_len;
	const char *cwd;	/* where it runs */
	const char *env;	/* additions, "K=V\0K=V\0"; NULL for none */
	size_t env_len;
	int64_t timeout_ms;	/* 0 = none */
	int64_t grace_ms;	/* SIGTERM to SIGKILL */
	int lock_fd;		/* the held job lock; the supervisor keeps it */
	int log_fd;		/* the job's log, open for appending */
	const char *self_exe;	/* this program, for the supervisor's exec */
	mode_t umask;		/* the caller's, for the command */
};

/* argv[1] of the supervisor image: main hands such a process to sup_main. */
#define SUP_ARGV_MARK "__supervise"

struct sup_result {
	int started;		/* 1: running; 0: the command could not start */
	int err;		/* why it could not: an errno */
	pid_t pid;		/* the command's process */
	int64_t pid_start;	/* and its start time */
	pid_t sup_pid;		/* the supervisor */
	int64_t sup_start;
	int64_t started_at;	/* ms since the epoch */
};

#define SUP_LOST (-2)

/* The supervisor image's main; argv as start_job made it. */
int sup_main(int argc, char **argv);

/*
 * Starts the supervisor and waits until the command runs. Returns -1 when
 * the command could not start (the caller records that: the supervisor has
 * written why in the log), SUP_LOST when the supervisor died without a word.
 */
int sup_start(const struct sup_spec *spec, struct sup_result *out,
    struct err *e);

#endif
