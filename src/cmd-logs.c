/* job logs: print a job's output, a slice of it, or follow it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "home.h"
#include "job.h"
#include "json.h"
#include "lock.h"
#include "logread.h"
#include "opt.h"
#include "reconcile.h"
#include "store.h"
#include "utf8.h"
#include "waitjob.h"

#define DEFAULT_JSON_MAX (1024 * 1024)
#define FOLLOW_POLL_MS 20

enum { O_TAIL = 1, O_HEAD, O_FOLLOW, O_SINCE, O_MAX_BYTES };

static const struct opt_spec options[] = {
	{ "tail", 'n', OPT_VALUE, O_TAIL },
	{ "head", 0, OPT_VALUE, O_HEAD },
	{ "follow", 'f', OPT_NONE, O_FOLLOW },
	{ "since", 0, OPT_VALUE, O_SINCE },
	{ "max-bytes", 0, OPT_VALUE, O_MAX_BYTES },
	{ NULL, 0, OPT_NONE, 0 },
};

struct logs_opts {
	int64_t tail;		/* -1: not given */
	int64_t head;
	int64_t since;
	int64_t max_bytes;	/* -1: not given */
	bool follow;
};

static int64_t
file_size(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Whether the job has ended, without holding anything open. */
static bool
job_ended(struct ctx *ctx, const char *id, struct job *j)
{
	struct err e;
	bool settled;

	if (lock_probe(ctx->home, id) == LOCK_HELD)
		return false;
	if (store_job_get(ctx->store, id, j, &e) < 0)
		return true;
	if (job_status_active(j->status) &&
	    reconcile_job(ctx, j, &settled, &e) == 0 && settled) {
		job_free(j);
		if (store_job_get(ctx->store, id, j, &e) < 0)
			return true;
	}
	if (!job_status_active(j->status))
		return true;
	job_free(j);
	return false;
}

static int
follow(struct ctx *ctx, const struct job *start, int fd, int64_t off)
{
	struct job j;
	struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

	memset(&j, 0, sizeof(j));
	for (;;) {
		int64_t size = file_size(fd);
		bool ended;

		if (size > off) {
			if (logread_copy(fd, off, size, stdout) < 0)
				return -1;
			off = size;
			if (fflush(stdout) != 0)
				return -1;
			continue;
		}
		ended = job_ended(ctx, start->id, &j);
		if (ended) {
			/* The supervisor is gone: what is there is all. */
			size = file_size(fd);
			if (size > off && logread_copy(fd, off, size,
			    stdout) < 0)
				return -1;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (j.id[0] == '\0')
		return EXIT_FAIL;
	{
		int rc = job_exit_status(&j);
		job_free(&j);
		return rc;
	}
}

static int
print_json(struct ctx *ctx, const struct job *j, int fd,
    const struct logs_opts *o, int64_t from, int64_t to, int64_t omitted)
{
	struct jval *obj;
	char *buf;
	size_t len, keep;
	int64_t size = file_size(fd);
	int64_t max = o->max_bytes >= 0 ? o->max_bytes : DEFAULT_JSON_MAX;
	bool truncated = false, ended;

	if (to - from > max) {
		to = from + max;
		truncated = true;
	}
	if (logread_slice(fd, from, to - from, &buf, &len) < 0)
		return -1;
	ended = !job_status_active(j->status);
	/* Never end inside a character that the next read would complete. */
	keep = len;
	if (from + (int64_t)len < size || !ended)
		keep = utf8_complete_len((unsigned char *)buf, len);
	obj = jobj();
	jset_str(obj, "id", j->id);
	jset_int(obj, "offset", from);
	jset_int(obj, "next_offset", from + (int64_t)keep);
	jset_int(obj, "size", size);
	jset_bool(obj, "eof", ended && from + (int64_t)keep >= size);
	jset_bool(obj, "truncated", truncated);
	if (omitted >= 0)
		jset_int(obj, "omitted_lines", omitted);
	jset_strn(obj, "data", buf, keep);
	free(buf);
	return jprint(obj, stdout);
}

static int
show_logs(struct ctx *ctx, const struct job *j, const struct logs_opts *o)
{
	char path[PATH_MAX];
	struct err e;
	int64_t size, from, to, omitted = -1;
	int fd, rc = EXIT_OK;

	home_log_path(ctx->home, j->id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_sys(&e, ERR_IO, errno, "cannot read the log of job %s "
		    "('%s')", j->id, path);
		return cmd_error(ctx, &e);
	}
	size = file_size(fd);
	from = o->since;
	to = size;
	if (from > size)
		from = size;
	if (o->head >= 0 && logread_head_end(fd, size, o->head, &to) < 0)
		goto io;
	if (o->tail >= 0) {
		int64_t start;
		if (logread_tail_start(fd, to, o->tail, &start) < 0)
			goto io;
		if (start > from) {
			if (logread_count_lines(fd, start, &omitted) < 0)
				goto io;
			from = start;
		} else
			omitted = 0;
	}
	if (from > to)
		from = to;
	if (ctx->json) {
		if (print_json(ctx, j, fd, o, from, to, omitted) < 0)
			goto io;
	} else if (o->follow) {
		rc = follow(ctx, j, fd, from);
		if (rc < 0)
			goto io;
	} else if (logread_copy(fd, from, to, stdout) < 0)
		goto io;
	close(fd);
	return rc;
io:
	err_sys(&e, ERR_IO, errno, "cannot read '%s'", path);
	close(fd);
	return cmd_error(ctx, &e);
}

static int
cmd_logs(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct logs_opts o = { -1, -1, 0, -1, false };
	struct err e;
	struct job *jobs;
	const char *value;
	int id, rc;

	err_clear(&e);
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while (e.code == ERR_NONE &&
	    (id = opt_next(&st, options, &value, &e)) > 0) {
		switch (id) {
		case O_TAIL:
			opt_int("tail", value, 0, INT64_MAX, &o.tail, &e);
			break;
		case O_HEAD:
			opt_int("head", value, 0, INT64_MAX, &o.head, &e);
			break;
		case O_SINCE:
			opt_int("since", value, 0, INT64_MAX, &o.since, &e);
			break;
		case O_MAX_BYTES:
			opt_int("max-bytes", value, 1, INT32_MAX,
			    &o.max_bytes, &e);
			break;
		case O_FOLLOW:
			o.follow = true;
			break;
		}
	}
	if (e.code == ERR_NONE && st.nwords != 1)
		err_set(&e, ERR_USAGE, st.nwords == 0 ? "no job given" :
		    "one job at a time: unexpected '%s'", st.words[1]);
	if (e.code == ERR_NONE && o.follow && ctx->json)
		err_set(&e, ERR_USAGE, "--follow streams text: with --json, "
		    "poll with --since NEXT_OFFSET instead");
	if (e.code == ERR_NONE && o.follow && o.head >= 0)
		err_set(&e, ERR_USAGE, "--follow and --head do not go "
		    "together");
	if (e.code != ERR_NONE) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	rc = cmd_resolve_jobs(ctx, st.words, 1, &jobs);
	opt_free(&st);
	if (rc != 0)
		return rc;
	rc = show_logs(ctx, &jobs[0], &o);
	job_free_array(jobs, 1);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.args = "[options] REF",
	.summary = "Print a job's output (stdout and stderr, interleaved).",
	.usage =
	    "  -n, --tail N         the last N lines\n"
	    "      --head N         the first N lines\n"
	    "      --since OFFSET   from byte OFFSET (a next_offset from "
	    "--json)\n"
	    "      --max-bytes N    with --json: at most N bytes of data "
	    "(default 1 MiB)\n"
	    "  -f, --follow         stream until the job ends; exit with its "
	    "status\n"
	    "      --json           {id, offset, next_offset, size, eof, "
	    "truncated, data}\n"
	    "  -h, --help           show this help\n",
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_logs,
};
