/*
 * The job record as every layer sees it, and the six statuses. Strings are
 * heap copies owned by the struct; job_free releases them.
 */
#ifndef JOB_JOB_H
#define JOB_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ulid.h"

enum job_status {
	JOB_PENDING,
	JOB_RUNNING,
	JOB_COMPLETED,
	JOB_FAILED,
	JOB_STOPPED,
	JOB_INTERRUPTED,
	JOB_NSTATUS
};

#define STATUS_BIT(s) (1u << (s))
#define STATUS_ACTIVE (STATUS_BIT(JOB_PENDING) | STATUS_BIT(JOB_RUNNING))
#define STATUS_ENDED ((STATUS_BIT(JOB_NSTATUS) - 1) & ~STATUS_ACTIVE)

struct job {
	char id[ULID_LEN + 1];
	char *name;		/* NULL when unnamed */
	char *command;		/* a shell line for /bin/sh -c; for an
				 * argv, its words in POSIX shell quotes */
	char *argv;		/* the words run as they are, "w1\0w2\0", or
				 * NULL for a shell line */
	size_t argv_len;	/* bytes in argv */
	enum job_status status;
	char *project;		/* git root or cwd of the caller */
	char *cwd;		/* where the command runs */
	int64_t pid;		/* the command's process, 0 until started */
	int64_t pid_start;	/* its start time in clock ticks since boot */
	int64_t sup_pid;	/* the supervisor, 0 until started */
	int64_t sup_start;	/* its start time in clock ticks since boot */
	char *boot_id;		/* the boot the job was started in */
	int exit_code;		/* -1 while unknown or ended by a signal */
	char *signal;		/* "SIGTERM" when a signal ended it, or NULL */
	int signal_number;	/* and its number; 0 when none */
	char *reason;		/* why it ended, NULL while active */
	int64_t created_at;	/* ms since the epoch; 0 = unset */
	int64_t started_at;
	int64_t finished_at;
	int64_t timeout_ms;	/* 0 = none */
	int64_t grace_ms;	/* SIGTERM to SIGKILL */
	char *context;		/* JSON text from the caller, or NULL */
	char *key;		/* idempotency key, or NULL */
	char *retry_of;		/* id of the job this one retries, or NULL */
	char *env;		/* added variables, "K=V\0K=V\0", or NULL */
	size_t env_len;		/* bytes in env */
	int64_t log_dropped;	/* output bytes lost to a full disk */
	char *stop_signal;	/* what `job stop` asked for, or NULL */
	int64_t stop_grace_ms;	/* the grace `job stop` asked for */
	char *queue;		/* the queue it belongs to, or NULL */
	int64_t seq;		/* its place in that queue: submission order */
	char *after;		/* ids that must complete first, "ID ID", or
				 * NULL */
	char *after_end;	/* ids that must end first, whatever their
				 * status, or NULL */
	char *awaiting;		/* of those, the ones still active (filled
				 * for display only), or NULL */
};

const char *job_status_name(enum job_status s);
/* Returns -1 when name is not a status. */
int job_status_parse(const char *name);
bool job_status_active(enum job_status s);
void job_free(struct job *j);
/* Deep copy of src into dst; returns -1 when out of memory. */
int job_copy(struct job *dst, const struct job *src);
void job_free_array(struct job *jobs, size_t n);
/* What `job wait` exits with for an ended job (see job.1, EXIT STATUS). */
int job_exit_status(const struct job *j);
/*
 * The words as one line for a POSIX shell: quoted where needed, so that
 * pasting it runs the same argv. Returns NULL when out of memory.
 */
char *job_quote_words(char *const *words, int n);
/* Calls fn with each id of a list as `after` holds it ("ID ID"). */
void job_each_id(const char *list, void (*fn)(void *, const char *),
    void *arg);
/* Milliseconds since the epoch, from the real-time clock. */
int64_t job_now_ms(void);
/* Milliseconds from the monotonic clock, for deadlines and intervals. */
int64_t job_mono_ms(void);
/* Sleeps ms milliseconds (less when a signal comes). */
void job_pause_ms(int64_t ms);

#endif
