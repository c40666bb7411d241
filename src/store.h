/*
 * The store: job.db, the one shared state of every `job` process. The only
 * file that includes <sqlite3.h>. Every write is one short BEGIN IMMEDIATE
 * transaction; no read transaction is ever held between calls.
 */
#ifndef JOB_STORE_H
#define JOB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "job.h"

struct store;

#define STORE_SCHEMA_VERSION 3

/* Opens (and creates or migrates) $home/job.db. */
int store_open(const char *home, struct store **out, struct err *e);
void store_close(struct store *st);
/* How long a store held busy by another process is waited for (ms);
 * returns the old value. */
int64_t store_set_busy_timeout(struct store *st, int64_t ms);
/* Whether the last error was that: the store held busy. */
bool store_was_busy(const struct store *st);
/* After a job's end: copy the WAL into job.db once it has grown
 * (store_tidy), or while the store holds its first few jobs, so that a copy
 * of job.db alone holds them (store_keep_first_jobs). */
void store_tidy(struct store *st);
void store_keep_first_jobs(struct store *st);
const char *store_path(const struct store *st);
int store_schema_version(struct store *st, int *version, struct err *e);

/*
 * Inserts j as pending. With a key that the project already used, nothing is
 * inserted, *existing gets that job and *found is set. An active job with the
 * same name in the project is ERR_NAME_IN_USE.
 */
int store_job_insert(struct store *st, const struct job *j,
    struct job *existing, bool *found, struct err *e);
/* pending -> running, with the process identities; no-op once ended. */
int store_job_mark_running(struct store *st, const struct job *j,
    struct err *e);

/* The end of a job, as its supervisor (or reconciliation) observed it. */
struct job_end {
	enum job_status status;
	const char *reason;
	int exit_code;		/* -1 when none */
	int signal_number;	/* the signal that ended it; 0 when none */
	int64_t finished_at;
	int64_t log_dropped;
	/* Guard: only when the row still has this supervisor (0: any). */
	int64_t sup_pid;
	/* The supervisor's own record of the start (pid, pid_start, sup_pid,
	 * sup_start, started_at), for fields still unset; or NULL. */
	const struct job *started;
};
/*
 * Groups the writes between them into one transaction (reconciling many
 * rows costs one commit). Nothing may sleep inside a batch.
 */
int store_batch_begin(struct store *st, struct err *e);
int store_batch_end(struct store *st, struct err *e);
/* Undoes the batch's writes. */
void store_batch_abort(struct store *st);

/* Records the end unless the row already ended. *changed says if it did. */
int store_job_finish(struct store *st, const char *id,
    const struct job_end *end, bool *changed, struct err *e);

/*
 * Inserts an ended job's row again, from what its supervisor still knows,
 * when the row was lost (the store replaced or its WAL deleted). Fields it
 * does not know (context, key, env) stay empty. No-op if the row exists.
 */
int store_job_restore(struct store *st, const struct job *j, struct err *e);
int store_job_get(struct store *st, const char *id, struct job *out,
    struct err *e);
/* The rows of n ids into out, but those that are gone; *got of them. */
int store_job_get_many(struct store *st, char (*ids)[ULID_LEN + 1], size_t n,
    struct job *out, size_t *got, struct err *e);
/* Resolves a reference (id, prefix or name) to one job id. */
int store_job_resolve(struct store *st, const char *ref, const char *project,
    char id[ULID_LEN + 1], struct err *e);

struct store_filter {
	const char *project;	/* NULL: every project */
	unsigned statuses;	/* STATUS_BIT mask; 0: all */
	const char *name;	/* NULL: any */
	int64_t finished_before; /* ended before this ms time; 0: any */
	int64_t limit;		/* 0: no limit */
	const char *queue;	/* only this queue's jobs, oldest place first;
				 * NULL: any, newest first */
};
/* Jobs matching f, newest first. */
int store_job_list(struct store *st, const struct store_filter *f,
    struct job **out, size_t *n, struct err *e);
/* The ids of every pending or running job, in no order; *ids is freed by
 * the caller. */
int store_job_active_ids(struct store *st, char (**ids)[ULID_LEN + 1],
    size_t *n, struct err *e);
/* How many jobs in other projects than project (for the list hint). */
int store_job_count_other(struct store *st, const char *project,
    int64_t *count, struct err *e);
/* counts[status] for one project (or all when project is NULL). */
int store_job_counts(struct store *st, const char *project,
    int64_t counts[JOB_NSTATUS], struct err *e);

/*
 * Asks for a stop: remembered in the row for the supervisor to read. With
 * several requests the strongest stands: SIGKILL, and the shortest grace.
 */
int store_job_request_stop(struct store *st, const char *id,
    const char *signal, int64_t grace_ms, struct err *e);
/* Deletes an ended job's row; *deleted is false if it was not ended. */
int store_job_delete(struct store *st, const char *id, bool *deleted,
    struct err *e);

/* A pending job's supervisor, recorded once (it may exist before the
 * job's turn comes). */
int store_job_set_supervisor(struct store *st, const char *id,
    int64_t sup_pid, int64_t sup_start, struct err *e);
/*
 * pending -> running before the process exists: a queued job takes its
 * slot (store_job_mark_running fills in the process). *claimed is false
 * when the row was not pending any more.
 */
int store_job_claim(struct store *st, const char *id, bool *claimed,
    struct err *e);
/* Of the jobs j waits for, those still active: "ID ID" (maybe empty). */
int store_job_awaiting(struct store *st, const struct job *j, char **out,
    struct err *e);

/* A queue as `job queue` shows it. */
struct store_queue {
	char *name;
	int64_t parallel;	/* how many of its jobs may run at once */
	bool paused;		/* none starts while paused */
	int64_t running;
	int64_t pending;
};
int store_queue_get(struct store *st, const char *name, struct store_queue *q,
    struct err *e);
/* Every queue, by name. */
int store_queue_list(struct store *st, struct store_queue **out, size_t *n,
    struct err *e);
/* Creates the queue if needed; parallel 0 and paused -1 leave those. */
int store_queue_set(struct store *st, const char *name, int64_t parallel,
    int paused, struct err *e);
void store_queue_free(struct store_queue *qs, size_t n);

#endif
