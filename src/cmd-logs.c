/*
 * job logs: print a job's output, a slice of it, or follow it. Bytes go
 * through a small pipeline: the log slice, then --plain rendering, then
 * --grep line matching, then stdout or the JSON document. Offsets always
 * count raw log bytes, so an agent's --since NEXT_OFFSET reads exactly the
 * new output whatever filters it uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
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
#include "store.h"
#include "textfilter.h"
#include "utf8.h"
#include "lifecycle.h"

#define DEFAULT_JSON_MAX (1024 * 1024)

enum { O_TAIL = 1, O_HEAD, O_FOLLOW, O_SINCE, O_MAX_BYTES, O_PLAIN, O_GREP };

static const struct opt_spec options[] = {
	{ .name = "tail", .short_name = 'n', .type = OPT_INT, .id = O_TAIL,
	  .value_name = "N",
	  .help = "the last N lines (says how many were left out)" },
	{ .name = "head", .type = OPT_INT, .id = O_HEAD, .value_name = "N",
	  .help = "the first N lines" },
	{ .name = "since", .type = OPT_INT, .id = O_SINCE,
	  .value_name = "OFFSET",
	  .help = "from byte OFFSET (a next_offset from --json)" },
	{ .name = "max-bytes", .type = OPT_INT, .id = O_MAX_BYTES,
	  .value_name = "N",
	  .help = "with --json: at most N bytes of log (default 1 MiB)",
	  .min = 1, .max = INT32_MAX },
	{ .name = "plain", .short_name = 'p', .type = OPT_FLAG, .id = O_PLAIN,
	  .help = "drop ANSI escapes; keep only the final state of\n"
	    "lines redrawn with carriage returns" },
	{ .name = "grep", .short_name = 'g', .type = OPT_STRING, .id = O_GREP,
	  .value_name = "REGEX",
	  .help = "only lines matching REGEX (POSIX ERE), as N:line" },
	{ .name = "follow", .short_name = 'f', .type = OPT_FLAG,
	  .id = O_FOLLOW,
	  .help = "stream until the job ends; exit with its status" },
	{ NULL },
};

struct logs_opts {
	int64_t tail;		/* -1: not given */
	int64_t head;		/* -1: not given */
	int64_t since;
	int64_t max_bytes;	/* -1: not given */
	bool follow;
	bool plain;
	const char *grep;	/* POSIX ERE, or NULL */
};

/* Where filtered output goes: stdout, or a buffer for the JSON data. */
struct pipeline {
	bool plain;
	struct plain render;
	bool grep;
	regex_t re;
	struct lines lines;
	FILE *out;		/* NULL: collect into buf */
	char *buf;
	size_t len, cap;
	bool failed;		/* a write failed or memory ran out */
};

static void
sink(void *arg, const char *s, size_t len)
{
	struct pipeline *pl = arg;

	if (pl->out != NULL) {
		if (fwrite(s, 1, len, pl->out) != len)
			pl->failed = true;
		return;
	}
	if (pl->len + len > pl->cap) {
		size_t ncap = pl->cap ? pl->cap : 4096;
		char *n;
		while (ncap < pl->len + len)
			ncap *= 2;
		n = realloc(pl->buf, ncap);
		if (n == NULL) {
			pl->failed = true;
			return;
		}
		pl->buf = n;
		pl->cap = ncap;
	}
	memcpy(pl->buf + pl->len, s, len);
	pl->len += len;
}

static void
on_line(void *arg, int64_t number, int64_t offset, const char *s, size_t len)
{
	struct pipeline *pl = arg;
	char prefix[32];
	int n;

	(void)offset;
	if (regexec(&pl->re, s, 0, NULL, 0) != 0)
		return;
	n = snprintf(prefix, sizeof(prefix), "%lld:", (long long)number);
	sink(pl, prefix, (size_t)n);
	sink(pl, s, len);
	sink(pl, "\n", 1);
}

static void
after_render(void *arg, const char *s, size_t len)
{
	struct pipeline *pl = arg;

	if (pl->grep)
		lines_feed(&pl->lines, s, len, on_line, pl);
	else
		sink(pl, s, len);
}

static void
feed(void *arg, const char *s, size_t len)
{
	struct pipeline *pl = arg;

	if (pl->plain)
		plain_feed(&pl->render, s, len, after_render, pl);
	else
		after_render(pl, s, len);
}

/* The last, unfinished line goes through only once the output ended. */
static void
pipeline_flush(struct pipeline *pl)
{
	if (pl->plain)
		plain_flush(&pl->render, after_render, pl);
	if (pl->grep)
		lines_flush(&pl->lines, on_line, pl);
}

static int
pipeline_init(struct pipeline *pl, const struct logs_opts *o, FILE *out,
    int64_t first_line, struct err *e)
{
	memset(pl, 0, sizeof(*pl));
	pl->out = out;
	pl->plain = o->plain;
	plain_init(&pl->render);
	if (o->grep != NULL) {
		int rc = regcomp(&pl->re, o->grep, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char msg[256];
			regerror(rc, &pl->re, msg, sizeof(msg));
			return err_set(e, ERR_USAGE, "bad --grep '%s': %s",
			    o->grep, msg);
		}
		pl->grep = true;
		lines_init(&pl->lines, first_line, 0);
	}
	return 0;
}

static void
pipeline_free(struct pipeline *pl)
{
	plain_free(&pl->render);
	if (pl->grep) {
		regfree(&pl->re);
		lines_free(&pl->lines);
	}
	free(pl->buf);
}

static int64_t
file_size(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Output of a followed log, through the pipeline; -1 once stdout fails. */
static int
follow_out(void *arg, const char *s, size_t len)
{
	struct pipeline *pl = arg;

	feed(pl, s, len);
	return pl->failed || fflush(stdout) != 0 ? -1 : 0;
}

/* Streams from off until the job ends; returns its exit status. */
static int
follow(struct ctx *ctx, const char *id, int fd, int64_t off,
    struct pipeline *pl)
{
	struct life l;
	struct job j;
	struct err e;
	int rc;

	cmd_life(ctx, &l);
	if (life_follow(&l, id, fd, off, follow_out, pl, &j, &e) < 0)
		return -1;
	pipeline_flush(pl);
	rc = job_exit_status(&j);
	job_free(&j);
	return rc;
}

/* Ends a slice after its last newline, so filtered polls see whole lines. */
static int64_t
cut_at_line(int fd, int64_t from, int64_t to)
{
	char buf[4096];

	while (to > from) {
		int64_t start = to - from > (int64_t)sizeof(buf) ?
		    to - (int64_t)sizeof(buf) : from;
		ssize_t n = pread(fd, buf, (size_t)(to - start), start);
		ssize_t i;

		if (n <= 0)
			return to;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return start + i + 1;
		to = start;
	}
	return -1;
}

static int
print_json(const struct job *j, int fd, const struct logs_opts *o,
    struct pipeline *pl, int64_t from, int64_t to, int64_t omitted)
{
	struct jval *obj;
	char *buf;
	size_t len, keep;
	int64_t size = file_size(fd);
	int64_t max = o->max_bytes >= 0 ? o->max_bytes : DEFAULT_JSON_MAX;
	bool truncated = false, ended = !job_status_active(j->status);
	bool filtered = o->plain || o->grep != NULL;

	if (to - from > max) {
		to = from + max;
		truncated = true;
	}
	/* More may follow: filters must not see half a line. A line still
	 * being written waits for its end (next_offset stays before it),
	 * unless it alone is longer than --max-bytes. */
	if (filtered && (truncated || !ended || to < size)) {
		int64_t cut = cut_at_line(fd, from, to);
		if (cut > from)
			to = cut;
		else if (!truncated)
			to = from;
	}
	if (logread_slice(fd, from, to - from, &buf, &len) < 0)
		return -1;
	/* Never end inside a character that the next read would complete. */
	keep = len;
	if (from + (int64_t)len < size || !ended)
		keep = utf8_complete_len((unsigned char *)buf, len);
	if (keep == 0 && len > 0) {
		/* --max-bytes smaller than one character: return that whole
		 * character rather than nothing, or a poll would never move. */
		char more[4];
		ssize_t n = pread(fd, more, sizeof(more), from);
		size_t seq = n > 0 ? utf8_seq_len((unsigned char *)more,
		    (size_t)n) : 0;
		keep = len;
		if (seq > len) {
			free(buf);
			if (logread_slice(fd, from, (int64_t)seq, &buf,
			    &len) < 0)
				return -1;
			keep = len;
		}
	}
	obj = jobj();
	jset_str(obj, "id", j->id);
	jset_int(obj, "offset", from);
	jset_int(obj, "next_offset", from + (int64_t)keep);
	jset_int(obj, "size", size);
	jset_bool(obj, "eof", ended && from + (int64_t)keep >= size);
	jset_bool(obj, "truncated", truncated);
	if (omitted >= 0)
		jset_int(obj, "omitted_lines", omitted);
	if (filtered) {
		feed(pl, buf, keep);
		pipeline_flush(pl);
		jset_strn(obj, "data", pl->buf ? pl->buf : "", pl->len);
	} else
		jset_strn(obj, "data", buf, keep);
	free(buf);
	return jprint(obj, stdout);
}

static int
show_logs(struct ctx *ctx, const struct job *j, const struct logs_opts *o)
{
	struct pipeline pl;
	char path[PATH_MAX];
	struct err e;
	int64_t size, from, to, omitted = -1, first_line = 1;
	int fd, rc = EXIT_OK;

	home_log_path(ctx->home, j->id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_sys(&e, ERR_IO, errno, "cannot read the log of job %s "
		    "('%s')", j->id, path);
		return cmd_error(ctx, &e);
	}
	size = file_size(fd);
	from = o->since < size ? o->since : size;
	to = size;
	if (o->head >= 0 && logread_head_end(fd, size, o->head, &to) < 0)
		goto io;
	if (o->tail >= 0) {
		int64_t start;
		if (logread_tail_start(fd, to, o->tail, &start) < 0)
			goto io;
		omitted = 0;
		if (start > from) {
			if (logread_count_lines(fd, start, &omitted) < 0)
				goto io;
			from = start;
		}
	}
	if (from > to)
		from = to;
	if (o->grep != NULL && from > 0 &&
	    logread_count_lines(fd, from, &first_line) == 0)
		first_line++;
	if (pipeline_init(&pl, o, ctx->json ? NULL : stdout, first_line,
	    &e) < 0) {
		close(fd);
		return cmd_error(ctx, &e);
	}
	if (omitted > 0 && !ctx->json)
		printf("[... %lld line%s omitted; job logs %s for all]\n",
		    (long long)omitted, omitted == 1 ? "" : "s", j->id);
	if (ctx->json) {
		if (print_json(j, fd, o, &pl, from, to, omitted) < 0)
			goto io_pl;
	} else if (o->follow) {
		rc = follow(ctx, j->id, fd, from, &pl);
		if (rc < 0)
			goto io_pl;
	} else {
		if (logread_feed(fd, from, to, feed, &pl) < 0)
			goto io_pl;
		pipeline_flush(&pl);
		if (pl.failed)
			goto io_pl;
	}
	pipeline_free(&pl);
	close(fd);
	return rc;
io_pl:
	pipeline_free(&pl);
io:
	err_sys(&e, ERR_IO, errno, "cannot read '%s'", path);
	close(fd);
	return cmd_error(ctx, &e);
}

static int
logs_check(const struct ctx *ctx, const struct opt_args *a, struct err *e)
{
	if (opt_has(a, O_FOLLOW) && ctx->json)
		return err_set(e, ERR_USAGE, "--follow streams text: with "
		    "--json, poll with --since NEXT_OFFSET instead");
	if (opt_has(a, O_FOLLOW) && opt_has(a, O_HEAD))
		return err_set(e, ERR_USAGE, "--follow and --head do not go "
		    "together");
	return 0;
}

static int
cmd_logs(struct ctx *ctx, struct cmd_args *a)
{
	struct logs_opts o = {
		opt_num(&a->opt, O_TAIL, -1),
		opt_num(&a->opt, O_HEAD, -1),
		opt_num(&a->opt, O_SINCE, 0),
		opt_num(&a->opt, O_MAX_BYTES, -1),
		opt_has(&a->opt, O_FOLLOW),
		opt_has(&a->opt, O_PLAIN),
		opt_str(&a->opt, O_GREP, NULL),
	};

	return show_logs(ctx, &a->jobs[0], &o);
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.summary = "Print a job's output (stdout and stderr, interleaved).",
	.grammar = {
		.options = options,
		CMD_REF_OPERANDS(1, 1),
		.json_help = "{id, offset, next_offset, size, eof, truncated,\n"
		    "omitted_lines, data}",
	},
	.flags = CMD_STORE | CMD_RECONCILE | CMD_REFS,
	.check = logs_check,
	.exec = cmd_logs,
};
