/*
 * job.db through SQLite: schema and migrations, the busy policy, and one
 * function per query. WAL lets readers run beside the single writer; every
 * write is BEGIN IMMEDIATE, because a deferred transaction that reads and
 * then writes fails with SQLITE_BUSY_SNAPSHOT under concurrency, which no
 * busy handler retries.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "duration.h"
#include "proc.h"
#include "resolve.h"

#define APPLICATION_ID 0x4A4F4231	/* "JOB1" */
#define DEFAULT_BUSY_MS 10000

struct store {
	sqlite3 *db;
	char path[PATH_MAX];
	int64_t busy_ms;	/* give up on a lock after this long */
	int64_t busy_since;	/* monotonic ms of the current wait */
	bool batch;		/* inside store_batch_begin/end */
	bool busy;		/* the last error was a busy lock */
};

/* A new store's first jobs are copied into job.db at their end. */
#define FIRST_ROWS 16
/*
 * Checkpoints cost two fdatasyncs (tens of ms on a busy disk), and the next
 * commit after one pays a third to restart the WAL. Callers are waited on,
 * so they leave the WAL to the supervisors, which copy it into job.db at a
 * job's end once it holds TIDY_PAGES (store_tidy); a caller steps in only
 * when the WAL has grown past 512 pages (SQLite's own autocheckpoint, set
 * in connect), as it does while no job ends.
 * Every process that opens the store alone reads the whole WAL to rebuild
 * its index, so neither may grow large.
 */
#define TIDY_PAGES 64

static const char *const migrations[] = {
	/* 1: the jobs table. */
	"CREATE TABLE jobs ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" name TEXT,"
	" command TEXT NOT NULL,"
	" status TEXT NOT NULL,"
	" project TEXT NOT NULL,"
	" cwd TEXT NOT NULL,"
	" pid INTEGER, pid_start INTEGER,"
	" sup_pid INTEGER, sup_start INTEGER,"
	" boot_id TEXT,"
	" exit_code INTEGER, signal TEXT, reason TEXT,"
	" created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,"
	" timeout_ms INTEGER, grace_ms INTEGER NOT NULL,"
	" context TEXT, key TEXT, retry_of TEXT, env BLOB,"
	" log_dropped INTEGER NOT NULL DEFAULT 0,"
	" stop_signal TEXT, stop_grace_ms INTEGER);"
	"CREATE INDEX jobs_project_created ON jobs(project, created_at);"
	"CREATE INDEX jobs_active ON jobs(status)"
	" WHERE status IN ('pending','running');"
	"CREATE UNIQUE INDEX jobs_project_key ON jobs(project, key)"
	" WHERE key IS NOT NULL;"
	"CREATE UNIQUE INDEX jobs_active_name ON jobs(project, name)"
	" WHERE name IS NOT NULL AND status IN ('pending','running');"
	"CREATE INDEX jobs_project_name ON jobs(project, name, created_at)"
	" WHERE name IS NOT NULL;",
	/* 2: the signal that ended a job, by number; commands run as an
	 * argv, kept as bytes: "w1\0w2\0". */
	"ALTER TABLE jobs ADD COLUMN signal_number INTEGER;"
	"ALTER TABLE jobs ADD COLUMN argv BLOB;",
	/* 3: queues, and what a pending job waits for. seq is the job's
	 * place in its queue, handed out under the write lock (ULIDs made
	 * by two processes in one millisecond do not order them). */
	"ALTER TABLE jobs ADD COLUMN queue TEXT;"
	"ALTER TABLE jobs ADD COLUMN seq INTEGER;"
	"ALTER TABLE jobs ADD COLUMN after_ids TEXT;"
	"ALTER TABLE jobs ADD COLUMN after_end_ids TEXT;"
	"CREATE INDEX jobs_queue_active ON jobs(queue, seq)"
	" WHERE queue IS NOT NULL AND status IN ('pending','running');"
	"CREATE TABLE queues ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" parallel INTEGER NOT NULL DEFAULT 1,"
	" paused INTEGER NOT NULL DEFAULT 0,"
	" next_seq INTEGER NOT NULL DEFAULT 0);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define JOB_COLUMNS \
	"id, name, command, status, project, cwd, pid, pid_start, sup_pid," \
	" sup_start, boot_id, exit_code, signal, reason, created_at," \
	" started_at, finished_at, timeout_ms, grace_ms, context, key," \
	" retry_of, env, log_dropped, stop_signal, stop_grace_ms," \
	" signal_number, argv, queue, seq, after_ids, after_end_ids"

#define SELECT_JOB_BY_ID "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1"

/*
 * SQLite's own handler backs off to 100 ms sleeps, which inflates the tail
 * latency of a burst tenfold: sleep 1-2 ms with jitter instead.
 */
static int
busy_handler(void *arg, int count)
{
	struct store *st = arg;
	struct timespec ts;

	if (count == 0)
		st->busy_since = job_mono_ms();
	else if (job_mono_ms() - st->busy_since >= st->busy_ms)
		return 0;
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000 + (rand() % 1000) * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

static int
db_error(struct store *st, struct err *e, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);

	st->busy = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED;
	if (st->busy)
		return err_set(e, ERR_STORE,
		    "store '%s' is busy: another process holds its lock "
		    "(%s; try again)", st->path, what);
	if ((code & 0xff) == SQLITE_NOTADB || (code & 0xff) == SQLITE_CORRUPT)
		return err_set(e, ERR_STORE,
		    "store '%s' is not a job database or is corrupt (%s): "
		    "move it away to start afresh", st->path,
		    sqlite3_errmsg(st->db));
	return err_set(e, ERR_STORE, "store '%s': %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
}

static int
exec_sql(struct store *st, const char *sql, struct err *e)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(st, e, sql);
	return 0;
}

static int
prepare(struct store *st, const char *sql, sqlite3_stmt **stmt,
    struct err *e)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return db_error(st, e, "prepare");
	return 0;
}

static int
begin(struct store *st, struct err *e)
{
	return exec_sql(st, "BEGIN IMMEDIATE", e);
}

static int
commit(struct store *st, struct err *e)
{
	if (exec_sql(st, "COMMIT", e) < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void
rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
pragma_int(struct store *st, const char *sql, int *out, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, sql, &stmt, e) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return db_error(st, e, sql);
	}
	*out = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

static int
set_wal(struct store *st, struct err *e)
{
	sqlite3_stmt *stmt;
	const unsigned char *mode;
	int is_wal, rc;

	if (prepare(st, "PRAGMA journal_mode", &stmt, e) < 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return db_error(st, e, "read journal mode");
	}
	mode = sqlite3_column_text(stmt, 0);
	is_wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(stmt);
	if (is_wal)
		return 0;
	/* Processes creating the store at once collide here with a BUSY
	 * that the busy handler does not see: retry it ourselves. */
	st->busy_since = job_mono_ms();
	for (;;) {
		int code;

		if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL,
		    NULL) == SQLITE_OK)
			return 0;
		code = sqlite3_extended_errcode(st->db) & 0xff;
		if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
		    job_mono_ms() - st->busy_since >= st->busy_ms)
			return db_error(st, e, "PRAGMA journal_mode=WAL");
		busy_handler(st, 1);
	}
}

/* Everything that refuses a file is checked before anything changes it. */
static int
check_version(struct store *st, struct err *e)
{
	int version, appid, tables = 0;

	/* One snapshot for all three reads: between two autocommit reads a
	 * process creating the store at once may commit the schema, and its
	 * table would look like another program's. */
	if (exec_sql(st, "BEGIN", e) < 0)
		return -1;
	if (pragma_int(st, "PRAGMA user_version", &version, e) < 0 ||
	    pragma_int(st, "PRAGMA application_id", &appid, e) < 0 ||
	    (version == 0 && pragma_int(st, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'jobs'", &tables, e) < 0)) {
		rollback(st);
		return -1;
	}
	rollback(st);
	if (appid != 0 && appid != APPLICATION_ID)
		return err_set(e, ERR_STORE, "store '%s' belongs to another "
		    "program (application_id %d): refusing to touch it",
		    st->path, appid);
	if (version > NMIGRATIONS)
		return err_set(e, ERR_STORE,
		    "store '%s' has schema version %d, newer than this job "
		    "knows (%d): upgrade job", st->path, version, NMIGRATIONS);
	if (version == 0 && tables > 0)
		return err_set(e, ERR_STORE, "store '%s' has a 'jobs' table "
		    "that job did not make: refusing to touch it", st->path);
	return 0;
}

/* Copies what the WAL holds into job.db, as far as readers allow. */
static void
checkpoint(struct store *st)
{
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
}

static int
migrate(struct store *st, struct err *e)
{
	int version, appid, i;

	if (pragma_int(st, "PRAGMA user_version", &version, e) < 0)
		return -1;
	if (version == NMIGRATIONS)
		return 0;
	if (begin(st, e) < 0)
		return -1;
	/* Re-read under the write lock: another process may have migrated. */
	if (pragma_int(st, "PRAGMA user_version", &version, e) < 0 ||
	    pragma_int(st, "PRAGMA application_id", &appid, e) < 0)
		goto fail;
	if (appid != 0 && appid != APPLICATION_ID) {
		err_set(e, ERR_STORE, "store '%s' belongs to another program",
		    st->path);
		goto fail;
	}
	for (i = version; i < NMIGRATIONS; i++)
		if (exec_sql(st, migrations[i], e) < 0)
			goto fail;
	if (version < NMIGRATIONS) {
		char sql[96];

		snprintf(sql, sizeof(sql),
		    "PRAGMA user_version=%d; PRAGMA application_id=%d",
		    NMIGRATIONS, APPLICATION_ID);
		if (exec_sql(st, sql, e) < 0)
			goto fail;
	}
	if (commit(st, e) < 0)
		return -1;
	/* The schema goes into job.db itself at once: a copy of that file
	 * alone must never lack its tables. */
	checkpoint(st);
	return 0;
fail:
	rollback(st);
	return -1;
}

static int64_t
busy_timeout_from_env(void)
{
	const char *s = getenv("JOB_BUSY_TIMEOUT");
	int64_t ms;

	if (s != NULL && duration_parse(s, &ms) == 0)
		return ms;
	return DEFAULT_BUSY_MS;
}

/* Opens the handle with the per-connection settings. */
static int
connect(struct store *st, struct err *e)
{
	int one = 1;

	if (sqlite3_open_v2(st->path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			return err_set(e, ERR_STORE, "store: out of memory");
		db_error(st, e, "open");
		sqlite3_close_v2(st->db);
		st->db = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_handler(st->db, busy_handler, st);
	/* Keep the WAL file on close, so readers work on a full disk. */
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	/*
	 * Every `job` process is short-lived, so most are the only connection
	 * and must rebuild the WAL index from the WAL file when they open.
	 * Keep that file short (frequent small checkpoints, truncated after
	 * each) and do not checkpoint on close: a closing checkpoint takes
	 * an exclusive lock and two fsyncs, which serialised bursts of starts.
	 * NORMAL is durable against crashes of any process in WAL mode.
	 */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	return exec_sql(st, "PRAGMA synchronous=NORMAL;"
	    " PRAGMA journal_size_limit=0; PRAGMA wal_autocheckpoint=512", e);
}

/*
 * Most `job` processes open one connection, run a few statements and exit,
 * so what SQLite sets up ahead for a long life is pure cost: the lookaside
 * slots and the page-cache bulk are written through at open, a page fault
 * for every 4 KiB of them. Without them SQLite allocates as it goes.
 */
static void
configure_sqlite(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, 0);
}

int
store_open(const char *home, struct store **out, struct err *e)
{
	struct store *st;
	struct stat sb;
	int fd;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return err_sys(e, ERR_IO, errno, "store");
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/job.db", home) >=
	    sizeof(st->path)) {
		free(st);
		return err_set(e, ERR_STORE, "store path too long");
	}
	/* Create it ourselves so it is 0600 from the start; SQLite gives its
	 * -wal and -shm files the same mode. */
	fd = open(st->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(e, ERR_STORE, errno, "store '%s'", st->path);
		free(st);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		err_set(e, ERR_STORE, "store '%s' is not a regular file",
		    st->path);
		free(st);
		return -1;
	}
	close(fd);
	configure_sqlite();
	st->busy_ms = busy_timeout_from_env();
	/* Refuse a newer schema before changing anything in the file. While
	 * many processes create the store at once, some steps report BUSY
	 * without asking the busy handler: start over until the timeout. */
	for (int64_t since = job_mono_ms();;) {
		st->busy = false;
		if (connect(st, e) == 0 && check_version(st, e) == 0 &&
		    set_wal(st, e) == 0 && migrate(st, e) == 0)
			break;
		sqlite3_close_v2(st->db);
		st->db = NULL;
		if (!st->busy || job_mono_ms() - since >= st->busy_ms) {
			store_close(st);
			return -1;
		}
		busy_handler(st, 1);
	}
	*out = st;
	return 0;
}

int64_t
store_set_busy_timeout(struct store *st, int64_t ms)
{
	int64_t was = st->busy_ms;

	st->busy_ms = ms;
	return was;
}

bool
store_was_busy(const struct store *st)
{
	return st->busy;
}

void
store_tidy(struct store *st)
{
	char wal[PATH_MAX + 8];
	struct stat sb;
	struct err e;
	int page;

	/* The WAL file's size, not our last commit's: a waiter may have
	 * recorded the end, and then we committed nothing. */
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	if (stat(wal, &sb) < 0 ||
	    pragma_int(st, "PRAGMA page_size", &page, &e) < 0 ||
	    sb.st_size < (off_t)TIDY_PAGES * (page + 24))
		return;
	/*
	 * A passive checkpoint alone is forgotten: the next process to open
	 * the store alone rebuilds the WAL index with every frame unchecked,
	 * so the WAL would start over only once a caller checkpoints at
	 * 512 pages. TRUNCATE copies the WAL and starts it over when nobody
	 * else uses the store; without waiting: a busy store makes it a
	 * passive copy (SQLite's own fallback), and the next end retries.
	 */
	sqlite3_busy_handler(st->db, NULL, NULL);
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	sqlite3_busy_handler(st->db, busy_handler, st);
}

void
store_keep_first_jobs(struct store *st)
{
	sqlite3_stmt *stmt;
	bool young = false;

	if (prepare(st, "SELECT max(rowid) FROM jobs", &stmt, NULL) < 0)
		return;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		young = sqlite3_column_int64(stmt, 0) <= FIRST_ROWS;
	sqlite3_finalize(stmt);
	if (young)
		checkpoint(st);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close_v2(st->db);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_schema_version(struct store *st, int *version, struct err *e)
{
	return pragma_int(st, "PRAGMA user_version", version, e);
}

static int
bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
}

static int
bind_int_or_null(sqlite3_stmt *stmt, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_int64(stmt, i, v);
}

static int
bind_bytes(sqlite3_stmt *stmt, int i, const char *s, size_t len)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, i);
	return sqlite3_bind_blob(stmt, i, s, (int)len, SQLITE_TRANSIENT);
}

static char *
column_dup(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	return s == NULL ? NULL : strdup((const char *)s);
}

/* A BLOB column as bytes and a NUL, or NULL; -1 when out of memory. */
static int
column_bytes(sqlite3_stmt *stmt, int col, char **out, size_t *len)
{
	const void *blob;
	int n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return 0;
	blob = sqlite3_column_blob(stmt, col);
	n = sqlite3_column_bytes(stmt, col);
	*out = malloc((size_t)n + 1);
	if (*out == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, blob, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Reads a row selected with JOB_COLUMNS. Returns -1 when out of memory. */
static int
read_job(sqlite3_stmt *stmt, struct job *j)
{
	const unsigned char *id = sqlite3_column_text(stmt, 0);
	const unsigned char *status = sqlite3_column_text(stmt, 3);
	int s;

	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id ? (const char *)id : "");
	j->name = column_dup(stmt, 1);
	j->command = column_dup(stmt, 2);
	s = status ? job_status_parse((const char *)status) : -1;
	j->status = s < 0 ? JOB_INTERRUPTED : (enum job_status)s;
	j->project = column_dup(stmt, 4);
	j->cwd = column_dup(stmt, 5);
	j->pid = sqlite3_column_int64(stmt, 6);
	j->pid_start = sqlite3_column_int64(stmt, 7);
	j->sup_pid = sqlite3_column_int64(stmt, 8);
	j->sup_start = sqlite3_column_int64(stmt, 9);
	j->boot_id = column_dup(stmt, 10);
	j->exit_code = sqlite3_column_type(stmt, 11) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(stmt, 11);
	j->signal = column_dup(stmt, 12);
	j->reason = column_dup(stmt, 13);
	j->created_at = sqlite3_column_int64(stmt, 14);
	j->started_at = sqlite3_column_int64(stmt, 15);
	j->finished_at = sqlite3_column_int64(stmt, 16);
	j->timeout_ms = sqlite3_column_int64(stmt, 17);
	j->grace_ms = sqlite3_column_int64(stmt, 18);
	j->context = column_dup(stmt, 19);
	j->key = column_dup(stmt, 20);
	j->retry_of = column_dup(stmt, 21);
	if (column_bytes(stmt, 22, &j->env, &j->env_len) < 0)
		return -1;
	j->log_dropped = sqlite3_column_int64(stmt, 23);
	j->stop_signal = column_dup(stmt, 24);
	j->stop_grace_ms = sqlite3_column_int64(stmt, 25);
	j->signal_number = sqlite3_column_int(stmt, 26);
	if (j->signal_number == 0 && j->signal != NULL)
		j->signal_number = proc_signal_number(j->signal);
	if (column_bytes(stmt, 27, &j->argv, &j->argv_len) < 0)
		return -1;
	j->queue = column_dup(stmt, 28);
	j->seq = sqlite3_column_int64(stmt, 29);
	j->after = column_dup(stmt, 30);
	j->after_end = column_dup(stmt, 31);
	if (j->command == NULL || j->project == NULL || j->cwd == NULL)
		return -1;
	return 0;
}

/* Finds a job by (project, key) inside the caller's transaction. */
static int
find_by_key(struct store *st, const char *project, const char *key,
    struct job *out, bool *found, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	*found = false;
	if (prepare(st, "SELECT " JOB_COLUMNS " FROM jobs"
	    " WHERE project = ?1 AND key = ?2", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, project);
	bind_text(stmt, 2, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*found = true;
		if (read_job(stmt, out) < 0) {
			sqlite3_finalize(stmt);
			return err_set(e, ERR_IO, "out of memory");
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return db_error(st, e, "find key");
	}
	sqlite3_finalize(stmt);
	return 0;
}

static int
name_in_use(struct store *st, const char *project, const char *name,
    bool *used, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, "SELECT 1 FROM jobs WHERE project = ?1 AND name = ?2"
	    " AND status IN ('pending','running')", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, project);
	bind_text(stmt, 2, name);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, e, "check name");
	*used = rc == SQLITE_ROW;
	return 0;
}

/*
 * The next place in queue name, creating the queue on first use; inside
 * the caller's transaction.
 */
static int
queue_next_seq(struct store *st, const char *name, int64_t *seq,
    struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, "INSERT OR IGNORE INTO queues (name) VALUES (?1)",
	    &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return db_error(st, e, "create queue");
	if (prepare(st, "UPDATE queues SET next_seq = next_seq + 1"
	    " WHERE name = ?1", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return db_error(st, e, "number the queue");
	if (prepare(st, "SELECT next_seq FROM queues WHERE name = ?1", &stmt,
	    e) < 0)
		return -1;
	bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return db_error(st, e, "number the queue");
	return 0;
}

/*
 * Inside the insert's transaction: every job in list exists. A reference
 * resolved a moment ago may have been cleaned since; from the insert on,
 * `job clean` keeps the jobs a pending job waits for.
 */
static int
deps_exist(struct store *st, const char *list, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_DONE;

	if (list == NULL)
		return 0;
	if (prepare(st, "SELECT 1 FROM jobs WHERE id = ?1", &stmt, e) < 0)
		return -1;
	while (*list != '\0') {
		size_t n = strcspn(list, " ");
		char id[ULID_LEN + 1];

		snprintf(id, sizeof(id), "%.*s", (int)n, list);
		sqlite3_reset(stmt);
		bind_text(stmt, 1, id);
		if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
			sqlite3_finalize(stmt);
			if (rc != SQLITE_DONE)
				return db_error(st, e, "check dependencies");
			return err_set(e, ERR_NOT_FOUND, "no job '%s' any more: "
			    "it was cleaned", id);
		}
		list += n;
		list += strspn(list, " ");
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
store_job_insert(struct store *st, const struct job *j, struct job *existing,
    bool *found, struct err *e)
{
	sqlite3_stmt *stmt;
	bool used = false;
	int64_t seq = 0;
	int rc;

	*found = false;
	if (begin(st, e) < 0)
		return -1;
	if (j->key != NULL &&
	    find_by_key(st, j->project, j->key, existing, found, e) < 0)
		goto fail;
	if (*found)
		return commit(st, e);
	if (j->name != NULL) {
		if (name_in_use(st, j->project, j->name, &used, e) < 0)
			goto fail;
		if (used) {
			err_set(e, ERR_NAME_IN_USE, "a job named '%s' is "
			    "already active in this project", j->name);
			goto fail;
		}
	}
	if (deps_exist(st, j->after, e) < 0 ||
	    deps_exist(st, j->after_end, e) < 0)
		goto fail;
	if (j->queue != NULL && queue_next_seq(st, j->queue, &seq, e) < 0)
		goto fail;
	if (prepare(st, "INSERT INTO jobs (id, name, command, status, project,"
	    " cwd, boot_id, created_at, timeout_ms, grace_ms, context, key,"
	    " retry_of, env, argv, queue, seq, after_ids, after_end_ids)"
	    " VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16, ?17, ?18)", &stmt, e) < 0)
		goto fail;
	bind_text(stmt, 1, j->id);
	bind_text(stmt, 2, j->name);
	bind_text(stmt, 3, j->command);
	bind_text(stmt, 4, j->project);
	bind_text(stmt, 5, j->cwd);
	bind_text(stmt, 6, j->boot_id);
	sqlite3_bind_int64(stmt, 7, j->created_at);
	bind_int_or_null(stmt, 8, j->timeout_ms);
	sqlite3_bind_int64(stmt, 9, j->grace_ms);
	bind_text(stmt, 10, j->context);
	bind_text(stmt, 11, j->key);
	bind_text(stmt, 12, j->retry_of);
	bind_bytes(stmt, 13, j->env, j->env_len);
	bind_bytes(stmt, 14, j->argv, j->argv_len);
	bind_text(stmt, 15, j->queue);
	bind_int_or_null(stmt, 16, seq);
	bind_text(stmt, 17, j->after);
	bind_text(stmt, 18, j->after_end);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		db_error(st, e, "insert job");
		goto fail;
	}
	return commit(st, e);
fail:
	rollback(st);
	return -1;
}

int
store_batch_begin(struct store *st, struct err *e)
{
	if (begin(st, e) < 0)
		return -1;
	st->batch = true;
	return 0;
}

int
store_batch_end(struct store *st, struct err *e)
{
	st->batch = false;
	return commit(st, e);
}

void
store_batch_abort(struct store *st)
{
	st->batch = false;
	rollback(st);
}

/*
 * Runs one UPDATE/DELETE in its own transaction, or in the open batch;
 * *changed = whether it touched a row.
 */
static int
write_one(struct store *st, sqlite3_stmt *stmt, bool *changed,
    const char *what, struct err *e)
{
	int rc;

	if (st->batch) {
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
		if (rc != SQLITE_DONE)
			return db_error(st, e, what);
		if (changed != NULL)
			*changed = sqlite3_changes(st->db) > 0;
		return 0;
	}
	if (begin(st, e) < 0) {
		sqlite3_finalize(stmt);
		return -1;
	}
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		db_error(st, e, what);
		rollback(st);
		return -1;
	}
	if (changed != NULL)
		*changed = sqlite3_changes(st->db) > 0;
	return commit(st, e);
}

int
store_job_mark_running(struct store *st, const struct job *j, struct err *e)
{
	sqlite3_stmt *stmt;

	/* A queued job's slot was claimed as `running` before its process
	 * existed (store_job_claim): that row takes its identities too. */
	if (prepare(st, "UPDATE jobs SET status = 'running', pid = ?2,"
	    " pid_start = ?3, sup_pid = ?4, sup_start = ?5, started_at = ?6"
	    " WHERE id = ?1 AND (status = 'pending'"
	    " OR (status = 'running' AND pid IS NULL))", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, j->id);
	sqlite3_bind_int64(stmt, 2, j->pid);
	sqlite3_bind_int64(stmt, 3, j->pid_start);
	sqlite3_bind_int64(stmt, 4, j->sup_pid);
	sqlite3_bind_int64(stmt, 5, j->sup_start);
	sqlite3_bind_int64(stmt, 6, j->started_at);
	return write_one(st, stmt, NULL, "mark running", e);
}

int
store_job_finish(struct store *st, const char *id, const struct job_end *end,
    bool *changed, struct err *e)
{
	sqlite3_stmt *stmt;
	char signame[PROC_SIGNAME_MAX];

	/* The process identities fill in what a `job run` that died before
	 * recording `running` left unset. */
	if (prepare(st, "UPDATE jobs SET status = ?2, reason = ?3,"
	    " exit_code = ?4, signal = ?5, signal_number = ?14,"
	    " finished_at = ?6,"
	    " log_dropped = ?7, pid = coalesce(pid, ?9),"
	    " pid_start = coalesce(pid_start, ?10),"
	    " sup_pid = coalesce(sup_pid, ?11),"
	    " sup_start = coalesce(sup_start, ?12),"
	    " started_at = coalesce(started_at, ?13)"
	    " WHERE id = ?1 AND status IN ('pending','running')"
	    " AND (?8 = 0 OR sup_pid IS NULL OR sup_pid = ?8)", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	bind_text(stmt, 2, job_status_name(end->status));
	bind_text(stmt, 3, end->reason);
	if (end->exit_code >= 0)
		sqlite3_bind_int(stmt, 4, end->exit_code);
	else
		sqlite3_bind_null(stmt, 4);
	bind_text(stmt, 5, proc_signal_name(end->signal_number, signame));
	bind_int_or_null(stmt, 14, end->signal_number);
	sqlite3_bind_int64(stmt, 6, end->finished_at);
	sqlite3_bind_int64(stmt, 7, end->log_dropped);
	sqlite3_bind_int64(stmt, 8, end->sup_pid);
	if (end->started != NULL) {
		const struct job *p = end->started;
		bind_int_or_null(stmt, 9, p->pid);
		bind_int_or_null(stmt, 10, p->pid_start);
		bind_int_or_null(stmt, 11, p->sup_pid);
		bind_int_or_null(stmt, 12, p->sup_start);
		bind_int_or_null(stmt, 13, p->started_at);
	}
	return write_one(st, stmt, changed, "record end", e);
}

int
store_job_restore(struct store *st, const struct job *j, struct err *e)
{
	sqlite3_stmt *stmt;
	char signame[PROC_SIGNAME_MAX];

	if (prepare(st, "INSERT OR IGNORE INTO jobs (id, name, command,"
	    " status, project, cwd, pid, pid_start, sup_pid, sup_start,"
	    " boot_id, exit_code, signal, signal_number, reason, created_at,"
	    " started_at, finished_at, timeout_ms, grace_ms, log_dropped)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, j->id);
	bind_text(stmt, 2, j->name);
	bind_text(stmt, 3, j->command);
	bind_text(stmt, 4, job_status_name(j->status));
	bind_text(stmt, 5, j->project);
	bind_text(stmt, 6, j->cwd);
	bind_int_or_null(stmt, 7, j->pid);
	bind_int_or_null(stmt, 8, j->pid_start);
	bind_int_or_null(stmt, 9, j->sup_pid);
	bind_int_or_null(stmt, 10, j->sup_start);
	bind_text(stmt, 11, j->boot_id);
	if (j->exit_code >= 0)
		sqlite3_bind_int(stmt, 12, j->exit_code);
	else
		sqlite3_bind_null(stmt, 12);
	bind_text(stmt, 13, proc_signal_name(j->signal_number, signame));
	bind_int_or_null(stmt, 14, j->signal_number);
	bind_text(stmt, 15, j->reason);
	sqlite3_bind_int64(stmt, 16, j->created_at);
	bind_int_or_null(stmt, 17, j->started_at);
	bind_int_or_null(stmt, 18, j->finished_at);
	bind_int_or_null(stmt, 19, j->timeout_ms);
	sqlite3_bind_int64(stmt, 20, j->grace_ms);
	sqlite3_bind_int64(stmt, 21, j->log_dropped);
	return write_one(st, stmt, NULL, "restore job", e);
}

int
store_job_get(struct store *st, const char *id, struct job *out,
    struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, SELECT_JOB_BY_ID, &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		rc = read_job(stmt, out);
		sqlite3_finalize(stmt);
		if (rc < 0) {
			job_free(out);
			return err_set(e, ERR_IO, "out of memory");
		}
		return 0;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no job '%s'", id);
	return db_error(st, e, "read job");
}

int
store_job_get_many(struct store *st, char (*ids)[ULID_LEN + 1], size_t n,
    struct job *out, size_t *got, struct err *e)
{
	sqlite3_stmt *stmt;
	size_t i;
	int rc = SQLITE_DONE;

	*got = 0;
	/* One statement for them all: preparing it costs more than a step. */
	if (prepare(st, SELECT_JOB_BY_ID, &stmt, e) < 0)
		return -1;
	for (i = 0; i < n && (rc == SQLITE_ROW || rc == SQLITE_DONE); i++) {
		bind_text(stmt, 1, ids[i]);
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (read_job(stmt, &out[*got]) < 0) {
				job_free(&out[*got]);
				sqlite3_finalize(stmt);
				return err_set(e, ERR_IO, "out of memory");
			}
			(*got)++;
		}
		sqlite3_reset(stmt);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_error(st, e, "read jobs");
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
store_job_resolve(struct store *st, const char *ref, const char *project,
    char id[ULID_LEN + 1], struct err *e)
{
	struct resolve_matches m;
	char prefix[ULID_LEN + 2];
	sqlite3_stmt *stmt;
	size_t len = strlen(ref);
	int rc;

	memset(&m, 0, sizeof(m));
	if (ulid_is_prefix(ref, len)) {
		memcpy(prefix, ref, len + 1);
		ulid_normalize(prefix);
		/* A range on the primary key: no LIKE, so '%' and '_' in a
		 * reference never act as wildcards. */
		if (prepare(st, "SELECT id FROM jobs WHERE id >= ?1"
		    " AND id < ?1 || x'7f' ORDER BY id LIMIT ?2", &stmt,
		    e) < 0)
			return -1;
		bind_text(stmt, 1, prefix);
		sqlite3_bind_int(stmt, 2, ERR_MAX_CANDIDATES + 1);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (m.nprefix == ERR_MAX_CANDIDATES) {
				m.prefix_more = true;
				break;
			}
			snprintf(m.prefix_ids[m.nprefix++], ULID_LEN + 1, "%s",
			    (const char *)sqlite3_column_text(stmt, 0));
		}
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_error(st, e, "resolve");
		if (len == ULID_LEN && m.nprefix == 1)
			m.exact = true;
	}
	if (!m.exact) {
		if (prepare(st, "SELECT id FROM jobs WHERE project = ?1"
		    " AND name = ?2 ORDER BY created_at DESC, id DESC LIMIT 1",
		    &stmt, e) < 0)
			return -1;
		bind_text(stmt, 1, project);
		bind_text(stmt, 2, ref);
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW)
			snprintf(m.name_id, sizeof(m.name_id), "%s",
			    (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_error(st, e, "resolve");
	}
	return resolve_pick(ref, &m, id, e);
}

int
store_job_list(struct store *st, const struct store_filter *f,
    struct job **out, size_t *n, struct err *e)
{
	char sql[1024];
	sqlite3_stmt *stmt;
	struct job *jobs = NULL;
	size_t count = 0, cap = 0;
	int rc, i, first = 1;

	/* Only the clauses in use: "?1 IS NULL OR project = ?1" would keep
	 * SQLite from the project's index and read the whole history. */
	snprintf(sql, sizeof(sql), "SELECT " JOB_COLUMNS " FROM jobs WHERE 1");
	if (f->project != NULL)
		strcat(sql, " AND project = ?1");
	if (f->name != NULL)
		strcat(sql, " AND name = ?2");
	if (f->finished_before != 0)
		strcat(sql, " AND coalesce(finished_at, created_at) < ?3");
	if (f->queue != NULL)
		strcat(sql, " AND queue = ?5");
	if (f->statuses != 0) {
		strcat(sql, " AND status IN (");
		/* Status names come from our own table, never from input. */
		for (i = 0; i < JOB_NSTATUS; i++) {
			if (!(f->statuses & STATUS_BIT(i)))
				continue;
			if (!first)
				strcat(sql, ",");
			strcat(sql, "'");
			strcat(sql, job_status_name((enum job_status)i));
			strcat(sql, "'");
			first = 0;
		}
		strcat(sql, ")");
	}
	strcat(sql, f->queue != NULL ? " ORDER BY seq, id LIMIT ?4" :
	    " ORDER BY created_at DESC, id DESC LIMIT ?4");
	if (prepare(st, sql, &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, f->project);
	bind_text(stmt, 2, f->name);
	sqlite3_bind_int64(stmt, 3, f->finished_before);
	sqlite3_bind_int64(stmt, 4, f->limit > 0 ? f->limit : -1);
	bind_text(stmt, 5, f->queue);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct job *nj = realloc(jobs, ncap * sizeof(*nj));
			if (nj == NULL)
				break;
			jobs = nj;
			cap = ncap;
		}
		if (read_job(stmt, &jobs[count]) < 0) {
			job_free(&jobs[count]);
			break;
		}
		count++;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW) {
		job_free_array(jobs, count);
		return err_set(e, ERR_IO, "out of memory listing jobs");
	}
	if (rc != SQLITE_DONE) {
		job_free_array(jobs, count);
		return db_error(st, e, "list jobs");
	}
	*out = jobs;
	*n = count;
	return 0;
}

int
store_job_active_ids(struct store *st, char (**ids)[ULID_LEN + 1], size_t *n,
    struct err *e)
{
	sqlite3_stmt *stmt;
	char (*out)[ULID_LEN + 1] = NULL, (*more)[ULID_LEN + 1];
	size_t count = 0, cap = 0;
	int rc;

	/* The id alone, through the index of active rows: reconciling reads
	 * whole rows only for the few whose supervisor is gone. */
	if (prepare(st, "SELECT id FROM jobs"
	    " WHERE status IN ('pending','running')", &stmt, e) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(stmt, 0);

		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			if ((more = realloc(out, cap * sizeof(*out))) == NULL)
				break;
			out = more;
		}
		snprintf(out[count++], sizeof(*out), "%s",
		    id ? (const char *)id : "");
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		free(out);
		if (rc == SQLITE_ROW)
			return err_set(e, ERR_IO, "out of memory");
		return db_error(st, e, "list active jobs");
	}
	*ids = out;
	*n = count;
	return 0;
}

int
store_job_count_other(struct store *st, const char *project, int64_t *count,
    struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, "SELECT count(*) FROM jobs WHERE project != ?1",
	    &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, project);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return db_error(st, e, "count jobs");
	return 0;
}

int
store_job_counts(struct store *st, const char *project,
    int64_t counts[JOB_NSTATUS], struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	memset(counts, 0, sizeof(int64_t) * JOB_NSTATUS);
	if (prepare(st, "SELECT status, count(*) FROM jobs"
	    " WHERE ?1 IS NULL OR project = ?1 GROUP BY status", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, project);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(stmt, 0);
		int i = s ? job_status_parse((const char *)s) : -1;
		if (i >= 0)
			counts[i] = sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return db_error(st, e, "count jobs");
	return 0;
}

int
store_job_request_stop(struct store *st, const char *id, const char *signal,
    int64_t grace_ms, struct err *e)
{
	sqlite3_stmt *stmt;

	/* Requests add up, the strongest wins: a plain stop that lands
	 * before the supervisor read a --force does not undo it. */
	if (prepare(st, "UPDATE jobs SET"
	    " stop_signal = CASE WHEN stop_signal = 'SIGKILL' THEN stop_signal"
	    " ELSE ?2 END,"
	    " stop_grace_ms = CASE WHEN stop_grace_ms < ?3 THEN stop_grace_ms"
	    " ELSE ?3 END"
	    " WHERE id = ?1 AND status IN ('pending','running')", &stmt,
	    e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	bind_text(stmt, 2, signal);
	sqlite3_bind_int64(stmt, 3, grace_ms);
	return write_one(st, stmt, NULL, "request stop", e);
}

int
store_job_delete(struct store *st, const char *id, bool *deleted,
    struct err *e)
{
	sqlite3_stmt *stmt;

	/* A pending job judges its dependencies by their rows: those it
	 * still waits for stay. */
	if (prepare(st, "DELETE FROM jobs WHERE id = ?1"
	    " AND status NOT IN ('pending','running')"
	    " AND NOT EXISTS (SELECT 1 FROM jobs p"
	    " WHERE p.status IN ('pending','running') AND p.status = 'pending'"
	    " AND (instr(p.after_ids, ?1) > 0"
	    " OR instr(p.after_end_ids, ?1) > 0))", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	return write_one(st, stmt, deleted, "delete job", e);
}

int
store_job_set_supervisor(struct store *st, const char *id, int64_t sup_pid,
    int64_t sup_start, struct err *e)
{
	sqlite3_stmt *stmt;

	if (prepare(st, "UPDATE jobs SET sup_pid = ?2, sup_start = ?3"
	    " WHERE id = ?1 AND status = 'pending' AND sup_pid IS NULL",
	    &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, sup_pid);
	sqlite3_bind_int64(stmt, 3, sup_start);
	return write_one(st, stmt, NULL, "record the supervisor", e);
}

int
store_job_claim(struct store *st, const char *id, bool *claimed,
    struct err *e)
{
	sqlite3_stmt *stmt;

	if (prepare(st, "UPDATE jobs SET status = 'running'"
	    " WHERE id = ?1 AND status = 'pending'", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, id);
	return write_one(st, stmt, claimed, "claim a slot", e);
}

int
store_job_awaiting(struct store *st, const struct job *j, char **out,
    struct err *e)
{
	const char *lists[2] = { j->after, j->after_end };
	sqlite3_stmt *stmt;
	size_t len = 0, i;
	char *ids;
	int rc = 0;

	*out = NULL;
	ids = malloc((j->after ? strlen(j->after) : 0) +
	    (j->after_end ? strlen(j->after_end) : 0) + 2);
	if (ids == NULL)
		return err_set(e, ERR_IO, "out of memory");
	ids[0] = '\0';
	if (prepare(st, "SELECT 1 FROM jobs WHERE id = ?1"
	    " AND status IN ('pending','running')", &stmt, e) < 0) {
		free(ids);
		return -1;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		const char *p = lists[i];

		while (p != NULL && *p != '\0' && rc == 0) {
			size_t n = strcspn(p, " ");
			char id[ULID_LEN + 1];

			snprintf(id, sizeof(id), "%.*s", (int)n, p);
			sqlite3_reset(stmt);
			bind_text(stmt, 1, id);
			rc = sqlite3_step(stmt);
			if (rc == SQLITE_ROW && strstr(ids, id) == NULL) {
				len += (size_t)sprintf(ids + len, "%s%s",
				    len > 0 ? " " : "", id);
				rc = 0;
			} else if (rc == SQLITE_DONE || rc == SQLITE_ROW)
				rc = 0;
			p += n;
			p += strspn(p, " ");
		}
	}
	sqlite3_finalize(stmt);
	if (rc != 0) {
		free(ids);
		return db_error(st, e, "read dependencies");
	}
	*out = ids;
	return 0;
}

/* Reads a queue row with its counts: name, parallel, paused, running,
 * pending. */
/* "status IN (...)" repeats the partial indexes' own clause: SQLite
 * uses a partial index only for a query that names it. */
#define QUEUE_SELECT \
	"SELECT q.name, q.parallel, q.paused," \
	" (SELECT count(*) FROM jobs WHERE queue = q.name" \
	"  AND status IN ('pending','running') AND status = 'running')," \
	" (SELECT count(*) FROM jobs WHERE queue = q.name" \
	"  AND status IN ('pending','running') AND status = 'pending')" \
	" FROM queues q"

static int
read_queue(sqlite3_stmt *stmt, struct store_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->name = column_dup(stmt, 0);
	q->parallel = sqlite3_column_int64(stmt, 1);
	q->paused = sqlite3_column_int(stmt, 2) != 0;
	q->running = sqlite3_column_int64(stmt, 3);
	q->pending = sqlite3_column_int64(stmt, 4);
	return q->name == NULL ? -1 : 0;
}

int
store_queue_get(struct store *st, const char *name, struct store_queue *q,
    struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (prepare(st, QUEUE_SELECT " WHERE q.name = ?1", &stmt, e) < 0)
		return -1;
	bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		rc = read_queue(stmt, q);
		sqlite3_finalize(stmt);
		return rc < 0 ? err_set(e, ERR_IO, "out of memory") : 0;
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOT_FOUND, "no queue '%s'", name);
	return db_error(st, e, "read queue");
}

int
store_queue_list(struct store *st, struct store_queue **out, size_t *n,
    struct err *e)
{
	sqlite3_stmt *stmt;
	struct store_queue *qs = NULL, *grown;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (prepare(st, QUEUE_SELECT " ORDER BY q.name", &stmt, e) < 0)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((grown = realloc(qs, (count + 1) * sizeof(*qs))) == NULL)
			break;
		qs = grown;
		if (read_queue(stmt, &qs[count]) < 0)
			break;
		count++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_queue_free(qs, count);
		if (rc == SQLITE_ROW)
			return err_set(e, ERR_IO, "out of memory");
		return db_error(st, e, "list queues");
	}
	*out = qs;
	*n = count;
	return 0;
}

int
store_queue_set(struct store *st, const char *name, int64_t parallel,
    int paused, struct err *e)
{
	sqlite3_stmt *stmt;
	int rc;

	if (begin(st, e) < 0)
		return -1;
	if (prepare(st, "INSERT INTO queues (name, parallel, paused)"
	    " VALUES (?1, coalesce(?2, 1), coalesce(?3, 0))"
	    " ON CONFLICT (name) DO UPDATE SET"
	    " parallel = coalesce(?2, parallel), paused = coalesce(?3, paused)",
	    &stmt, e) < 0) {
		rollback(st);
		return -1;
	}
	bind_text(stmt, 1, name);
	bind_int_or_null(stmt, 2, parallel);
	if (paused >= 0)
		sqlite3_bind_int(stmt, 3, paused);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		db_error(st, e, "set queue");
		rollback(st);
		return -1;
	}
	return commit(st, e);
}

void
store_queue_free(struct store_queue *qs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(qs[i].name);
	free(qs);
}
