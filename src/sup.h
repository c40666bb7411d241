/*
 * What the two halves of the supervisor share: the arguments sup-start.c
 * hands to the fresh image (one pack/unpack pair, so the two never
 * disagree), the log writer both use, and descriptor helpers. Only the
 * supervisor's own files include this.
 */
#ifndef JOB_SUP_H
#define JOB_SUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct job;

/* Everything the fresh supervisor image is told on its command line. */
struct sup_args {
	const char *id;		/* the job */
	const char *home;	/* $JOB_HOME, absolute */
	const char *command;	/* for a lost row: the command (cut short);
				 * waiting: the whole shell line */
	const char *cwd;	/* and the rest of what a row is restored */
	const char *project;	/* from */
	const char *name;	/* NULL when unnamed */
	const char *boot_id;
	pid_t child;		/* C: the command's process and group */
	int out_fd;		/* the read end of C's output pipe */
	int log_fd;		/* the log, open for appending */
	int lock_fd;		/* the job lock, held until we exit */
	int confirm_fd;		/* from the caller: 'K' once `running` is
				 * recorded; EOF without it: record it */
	int64_t timeout_ms;	/* 0 = none */
	int64_t grace_ms;	/* stop signal to SIGKILL */
	int64_t pid_start;	/* C's start time */
	int64_t sup_start;	/* ours */
	int64_t started_at;	/* ms since the epoch */
	int64_t created_at;
	bool waiting;		/* C is not started: wait for the job's turn */
	/* Waiting: what C will be, in an unlinked file of ours (a command
	 * line is every user's to read, and variables hold secrets): its
	 * argv's words (none: a shell line), then the variables the job
	 * adds, each NUL-terminated. */
	int spec_fd;
	int nwords;
	int nenv;
};

/* argv[0], SUP_ARGV_MARK, 7 strings, 15 numbers. */
#define SUP_ARGC 24
#define SUP_NUMBUF 24

/*
 * Fills argv[SUP_ARGC + 1] from a; the numbers are written into
 * nums[15][SUP_NUMBUF], which must live as long as argv.
 */
void sup_args_pack(const struct sup_args *a, char nums[][SUP_NUMBUF],
    char *argv[SUP_ARGC + 1]);
/* The reverse; -1 when argv is not what sup_args_pack makes. */
int sup_args_unpack(int argc, char **argv, struct sup_args *a);

/*
 * The job's log. Writes never block the job: on a full disk (or a file
 * size limit) output is counted and dropped, writing is retried now and
 * then, and a note marks the gap once space returns.
 */
struct sup_log {
	int fd;
	char last_byte;		/* of the log, to start our notes on a line */
	int64_t dropped;	/* output bytes lost in all */
	int64_t unreported;	/* lost since the last note */
	int64_t retry_at;	/* monotonic ms: when to try writing again */
};

void sup_log_write(struct sup_log *l, const char *buf, size_t len);
/* A note of ours on a line of its own: "[job] ...". */
void sup_log_note(struct sup_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the note about dropped output now, if the disk takes it. */
void sup_log_flush(struct sup_log *l);

/* What C is: a shell line or words, and the job's variables. */
struct sup_command {
	const char *id;		/* the job, for JOB_ID */
	const char *command;	/* the shell line, when nwords is 0 */
	int nwords;
	char **words;
	int nenv;
	char **env;		/* "K=V" */
};
/* c's arrays over j's blobs (free c->words and c->env); -1: no memory. */
int sup_command_from_job(const struct job *j, struct sup_command *c);
/* c's words and variables into a new unlinked file under home; its
 * descriptor (inherited across exec), or -1. */
int sup_spec_write(const char *home, const struct sup_command *c);
/* The reverse: c's arrays over *blob (free both arrays and *blob). */
int sup_spec_read(int fd, int nwords, int nenv, struct sup_command *c,
    char **blob);
/* Whether C's program can be found: 0, or the errno; what names it. */
int sup_command_check(const struct sup_command *c, char *what, size_t len);
/*
 * Starts C with its output on out_w. Returns 0 with *pid, or the errno of
 * the failed step, which what names (the program, or "start").
 */
int sup_command_spawn(const struct sup_command *c, int out_w, pid_t *pid,
    char *what, size_t len);
/* Every signal disposition to its default and the mask empty, by the
 * kernel's call (safe in a vfork child). */
void sup_reset_signals(void);

/* pipe2(O_CLOEXEC) where it exists; pipe + fcntl elsewhere. */
int sup_pipe(int fds[2]);
int sup_set_flags(int fd, bool cloexec, bool nonblock);
/* write(2) until done or a real error; returns what was written or -1. */
ssize_t sup_write_all(int fd, const void *buf, size_t len);

#endif
