/*
 * The command table and the context every command runs in. Each command
 * lives in its own cmd-*.c and exports one struct cmd_entry.
 */
#ifndef JOB_CMD_H
#define JOB_CMD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

#include "err.h"
#include "opt.h"
#include "ulid.h"

struct store;
struct life;

/* Setup the dispatcher does before calling a command. */
#define CMD_STORE	0x1	/* open $JOB_HOME and job.db */
#define CMD_HOME	0x8	/* open $JOB_HOME only (the command opens
				 * job.db itself, with cmd_setup) */
#define CMD_RECONCILE	0x2	/* and reconcile jobs whose supervisor died */
#define CMD_REFS	0x4	/* the operands are job references: resolve */

/* The grammar's operands for CMD_REFS: lo to hi REFs (hi -1: any). */
#define CMD_REF_OPERANDS(lo, hi) \
	.operand = "REF", .noun = "job", .min = (lo), .max = (hi)

struct ctx {
	char home[PATH_MAX];		/* $JOB_HOME */
	struct store *store;		/* NULL unless CMD_STORE */
	char cwd[PATH_MAX];		/* the caller's working folder */
	char project[PATH_MAX];		/* its project */
	char self_exe[PATH_MAX];	/* this program, to exec supervisors */
	mode_t caller_umask;		/* the umask jobs run with */
	bool json;			/* --json or JOB_FORMAT=json */
	bool tty;			/* stdout is a terminal */
	bool color;			/* tty and no NO_COLOR */
	const struct cmd_entry *entry;	/* the running command */
};

/* What a command gets: its arguments, parsed and checked. */
struct cmd_args {
	struct opt_args opt;	/* options and operands, as given */
	struct job *jobs;	/* CMD_REFS: the operands' records, in order */
	int njobs;
};

/*
 * A command declares its grammar (options with their help, operands); the
 * dispatcher parses and checks the arguments by it, prints the usage for
 * -h, does the setup the flags ask for and resolves job references before
 * the command runs.
 */
struct cmd_entry {
	const char *name;
	const char *summary;	/* one line for `job help` */
	struct opt_grammar grammar;
	int flags;
	/* Usage errors between options, found before any setup; or NULL. */
	int (*check)(const struct ctx *ctx, const struct opt_args *a,
	    struct err *e);
	/* Returns the exit status. */
	int (*exec)(struct ctx *ctx, struct cmd_args *a);
};

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_retry_entry;
extern const struct cmd_entry cmd_queue_entry;
extern const struct cmd_entry cmd_clean_entry;
extern const struct cmd_entry cmd_mcp_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_skills_entry;
extern const struct cmd_entry cmd_completions_entry;

extern const struct cmd_entry *const cmd_table[];

const struct cmd_entry *cmd_find(const char *name);
/* The list of commands, for `job -h` and `job help`. */
void cmd_global_usage(FILE *f);
/*
 * Runs ctx->entry with argv (argv[0] is the command's name) as described
 * at struct cmd_entry; returns the exit status.
 */
int cmd_dispatch(struct ctx *ctx, int argc, char **argv);
/*
 * Finds the project and, for CMD_HOME, opens $JOB_HOME, and for CMD_STORE
 * that and the store (and reconciles for CMD_RECONCILE). cmd_dispatch does
 * this from the flags; a command that needs the store for one action only,
 * or only later, calls it itself.
 * Reports errors; returns 0 or the exit status.
 */
int cmd_setup(struct ctx *ctx, int flags);
/* Prints the command's usage to f. */
void cmd_usage(const struct cmd_entry *entry, FILE *f);
/* Reports e (to stderr, as text or JSON) and returns the exit status. */
int cmd_error(const struct ctx *ctx, const struct err *e);
/* Exit status for an error code: 2 for usage, 1 for the rest. */
int cmd_exit_code(enum err_code code);

/* Job and queue names: at most this long, no control characters. */
#define CMD_NAME_MAX 200
/* An option value that labels something: not empty, not longer than max
 * bytes, no control characters; what names the option. */
int cmd_check_label(const char *what, const char *s, size_t max,
    struct err *e);
/* A queue name (an opt_spec check). */
int cmd_check_queue(const char *value, int64_t *num, struct err *e);

/* Exit statuses; see job.1, EXIT STATUS. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	124
#define EXIT_STILL_RUNNING 75

struct jval;
struct job;

/* The JSON object for a job, with its log path and size. */
struct jval *cmd_job_json(const struct ctx *ctx, const struct job *j);
/* Prints one job as an object, or several as an array, to stdout. */
int cmd_print_jobs_json(const struct ctx *ctx, const struct job *jobs,
    size_t n, bool array);
/* The one-line summary `wait` prints: id name status exit=N duration. */
void cmd_print_job_line(const struct ctx *ctx, const struct job *j);
/* The check of a --status value: *status is the job_status. */
int cmd_status_check(const char *value, int64_t *status, struct err *e);
/* The STATUS_BIT mask of every --status given (option id). */
unsigned cmd_status_bits(const struct opt_args *a, int id);
/* The lifecycle's view of the command's home and store. */
void cmd_life(const struct ctx *ctx, struct life *l);
/*
 * Waits for the jobs (ids) as `job wait` does, prints the result and
 * returns wait's exit status. timeout_ms < 0: no timeout.
 */
int cmd_wait_print(struct ctx *ctx, char ids[][ULID_LEN + 1], int n,
    int64_t timeout_ms);

#endif
