/*
 * Tests src/logread.c on temporary files: where the last N lines start
 * (short and long lines, with and without a final newline, across the
 * 64 KiB read chunk), where the first N end, line counts, bounded copies
 * and slices.
 */
#include "logread.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

/* logread.c reads in chunks of this size. */
#define CHUNK 65536

struct tmp {
	int fd;
	int64_t size;
	char path[4096];
};

/* Creates a temporary file holding len bytes of data; fd is -1 on error. */
static void
tmp_make(struct tmp *t, const char *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	size_t off = 0;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(t->path, sizeof(t->path), "%s/test-logread.XXXXXX", dir);
	t->size = (int64_t)len;
	t->fd = mkstemp(t->path);
	if (!CHECK(t->fd >= 0)) {
		perror(t->path);
		return;
	}
	while (off < len) {
		ssize_t n = write(t->fd, data + off, len - off);
		if (!CHECK(n > 0)) {
			close(t->fd);
			unlink(t->path);
			t->fd = -1;
			return;
		}
		off += (size_t)n;
	}
}

static void
tmp_make_str(struct tmp *t, const char *s)
{
	tmp_make(t, s, strlen(s));
}

static void
tmp_remove(struct tmp *t)
{
	if (t->fd < 0)
		return;
	close(t->fd);
	CHECK_EQ_INT(unlink(t->path), 0);
	t->fd = -1;
}

/* logread_tail_start on the whole file. */
static int64_t
tail(const struct tmp *t, int64_t n)
{
	int64_t start = -999;

	if (!CHECK_EQ_INT(logread_tail_start(t->fd, t->size, n, &start), 0))
		return -1;
	return start;
}

/* logread_head_end on the whole file. */
static int64_t
head(const struct tmp *t, int64_t n)
{
	int64_t end = -999;

	if (!CHECK_EQ_INT(logread_head_end(t->fd, t->size, n, &end), 0))
		return -1;
	return end;
}

static int64_t
count(const struct tmp *t, int64_t end)
{
	int64_t lines = -999;

	if (!CHECK_EQ_INT(logread_count_lines(t->fd, end, &lines), 0))
		return -1;
	return lines;
}

static void
test_tail_short(void)
{
	struct tmp t;
	int64_t start;

	/* Ends with a newline. */
	tmp_make_str(&t, "a\nbb\nccc\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 0), 9);
		CHECK_EQ_INT(tail(&t, -1), 9);
		CHECK_EQ_INT(tail(&t, 1), 5);
		CHECK_EQ_INT(tail(&t, 2), 2);
		CHECK_EQ_INT(tail(&t, 3), 0);
		CHECK_EQ_INT(tail(&t, 4), 0);
		CHECK_EQ_INT(tail(&t, 1000), 0);
		/* Only the first size bytes count: "a\nbb\n". */
		CHECK_EQ_INT(logread_tail_start(t.fd, 5, 1, &start), 0);
		CHECK_EQ_INT(start, 2);
		/* "a\nbb": the last line has no newline yet. */
		CHECK_EQ_INT(logread_tail_start(t.fd, 4, 1, &start), 0);
		CHECK_EQ_INT(start, 2);
		CHECK_EQ_INT(logread_tail_start(t.fd, 4, 2, &start), 0);
		CHECK_EQ_INT(start, 0);
	}
	tmp_remove(&t);

	/* No final newline. */
	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 0), 8);
		CHECK_EQ_INT(tail(&t, 1), 5);
		CHECK_EQ_INT(tail(&t, 2), 2);
		CHECK_EQ_INT(tail(&t, 3), 0);
		CHECK_EQ_INT(tail(&t, 10), 0);
	}
	tmp_remove(&t);

	/* Empty lines. */
	tmp_make_str(&t, "\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 0), 1);
		CHECK_EQ_INT(tail(&t, 1), 0);
		CHECK_EQ_INT(tail(&t, 2), 0);
	}
	tmp_remove(&t);
	tmp_make_str(&t, "\n\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 1);
		CHECK_EQ_INT(tail(&t, 2), 0);
	}
	tmp_remove(&t);
	tmp_make_str(&t, "\n\n\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 2);
		CHECK_EQ_INT(tail(&t, 2), 1);
		CHECK_EQ_INT(tail(&t, 3), 0);
		CHECK_EQ_INT(tail(&t, 4), 0);
	}
	tmp_remove(&t);

	/* One line, with and without its newline. */
	tmp_make_str(&t, "only");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 0);
		CHECK_EQ_INT(tail(&t, 2), 0);
	}
	tmp_remove(&t);
	tmp_make_str(&t, "only\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 0);
		CHECK_EQ_INT(tail(&t, 0), 5);
	}
	tmp_remove(&t);
}

static void
test_empty(void)
{
	struct tmp t;
	char *buf = NULL;
	size_t len = 99;
	FILE *f;

	tmp_make(&t, "", 0);
	if (t.fd < 0)
		return;
	CHECK_EQ_INT(tail(&t, 0), 0);
	CHECK_EQ_INT(tail(&t, 1), 0);
	CHECK_EQ_INT(tail(&t, 10), 0);
	CHECK_EQ_INT(head(&t, 0), 0);
	CHECK_EQ_INT(head(&t, 1), 0);
	CHECK_EQ_INT(count(&t, 0), 0);

	CHECK_EQ_INT(logread_slice(t.fd, 0, 10, &buf, &len), 0);
	CHECK_EQ_INT(len, 0);
	free(buf);

	f = tmpfile();
	if (CHECK(f != NULL)) {
		CHECK_EQ_INT(logread_copy(t.fd, 0, 0, f), 0);
		CHECK_EQ_INT(ftell(f), 0);
		fclose(f);
	}
	tmp_remove(&t);
}

/* Fills buf with len copies of c. */
static char *
repeat(char *buf, char c, size_t len)
{
	memset(buf, c, len);
	return buf + len;
}

static void
test_long_lines(void)
{
	/* 100000 x, newline, 70000 y, newline, "z\n". */
	enum { X = 100000, Y = 70000 };
	char *data = malloc(4 * CHUNK), *p;
	struct tmp t;

	if (!CHECK(data != NULL))
		return;
	p = repeat(data, 'x', X);
	*p++ = '\n';
	p = repeat(p, 'y', Y);
	*p++ = '\n';
	*p++ = 'z';
	*p++ = '\n';
	tmp_make(&t, data, (size_t)(p - data));
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), X + 1 + Y + 1);
		CHECK_EQ_INT(tail(&t, 2), X + 1);
		CHECK_EQ_INT(tail(&t, 3), 0);
		CHECK_EQ_INT(tail(&t, 4), 0);
		CHECK_EQ_INT(head(&t, 1), X + 1);
		CHECK_EQ_INT(head(&t, 2), X + 1 + Y + 1);
		CHECK_EQ_INT(head(&t, 3), t.size);
		CHECK_EQ_INT(head(&t, 4), t.size);
		CHECK_EQ_INT(count(&t, t.size), 3);
		CHECK_EQ_INT(count(&t, X), 0);
		CHECK_EQ_INT(count(&t, X + 1), 1);
	}
	tmp_remove(&t);

	/* A short line, then one of 150000 bytes without a newline. */
	p = data;
	memcpy(p, "short\n", 6);
	p = repeat(p + 6, 'q', 150000);
	tmp_make(&t, data, (size_t)(p - data));
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 6);
		CHECK_EQ_INT(tail(&t, 2), 0);
		CHECK_EQ_INT(head(&t, 1), 6);
		CHECK_EQ_INT(head(&t, 2), t.size);
		CHECK_EQ_INT(count(&t, t.size), 1);
	}
	tmp_remove(&t);

	/* One long line only, with its newline. */
	p = repeat(data, 'w', 3 * CHUNK);
	*p++ = '\n';
	tmp_make(&t, data, (size_t)(p - data));
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 0);
		CHECK_EQ_INT(head(&t, 1), t.size);
		CHECK_EQ_INT(count(&t, t.size), 1);
	}
	tmp_remove(&t);
	free(data);
}

static void
test_chunk_edges(void)
{
	/*
	 * CHUNK + 10 bytes ending in a newline: the backward scan reads
	 * [9, CHUNK + 9) first, so newlines at 9 and 8 sit on both sides
	 * of its first chunk boundary.
	 */
	size_t size = CHUNK + 10;
	char *data = malloc(size);
	struct tmp t;

	if (!CHECK(data != NULL))
		return;
	memset(data, 'a', size);
	data[8] = '\n';
	data[9] = '\n';
	data[size - 1] = '\n';
	tmp_make(&t, data, size);
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), 10);
		CHECK_EQ_INT(tail(&t, 2), 9);
		CHECK_EQ_INT(tail(&t, 3), 0);
		CHECK_EQ_INT(tail(&t, 4), 0);
		CHECK_EQ_INT(head(&t, 1), 9);
		CHECK_EQ_INT(head(&t, 2), 10);
		CHECK_EQ_INT(head(&t, 3), (int64_t)size);
		CHECK_EQ_INT(count(&t, (int64_t)size), 3);
	}
	tmp_remove(&t);

	/* Newlines on both sides of offset CHUNK for the forward scans. */
	memset(data, 'b', size);
	data[CHUNK - 1] = '\n';
	data[CHUNK] = '\n';
	tmp_make(&t, data, size);
	if (t.fd >= 0) {
		CHECK_EQ_INT(head(&t, 1), CHUNK);
		CHECK_EQ_INT(head(&t, 2), CHUNK + 1);
		CHECK_EQ_INT(head(&t, 3), (int64_t)size);
		CHECK_EQ_INT(count(&t, CHUNK - 1), 0);
		CHECK_EQ_INT(count(&t, CHUNK), 1);
		CHECK_EQ_INT(count(&t, CHUNK + 1), 2);
		CHECK_EQ_INT(count(&t, (int64_t)size), 2);
		CHECK_EQ_INT(tail(&t, 1), CHUNK + 1);
		CHECK_EQ_INT(tail(&t, 2), CHUNK);
		CHECK_EQ_INT(tail(&t, 3), 0);
	}
	tmp_remove(&t);
	free(data);
}

/* 20000 lines "line NNNNN\n" of 11 bytes each: 220000 bytes. */
#define NLINES 20000
#define LINELEN 11

static char *
many_lines(size_t *len)
{
	char *data = malloc(NLINES * LINELEN + 1);
	int i;

	if (data == NULL)
		return NULL;
	for (i = 0; i < NLINES; i++)
		snprintf(data + i * LINELEN, LINELEN + 1, "line %05d\n", i);
	*len = NLINES * LINELEN;
	return data;
}

static void
test_big_file(void)
{
	size_t len;
	char *data = many_lines(&len);
	struct tmp t;

	if (!CHECK(data != NULL))
		return;
	tmp_make(&t, data, len);
	if (t.fd >= 0) {
		CHECK_EQ_INT(t.size, 220000);
		CHECK_EQ_INT(tail(&t, 0), t.size);
		CHECK_EQ_INT(tail(&t, 1), t.size - LINELEN);
		CHECK_EQ_INT(tail(&t, 2), t.size - 2 * LINELEN);
		CHECK_EQ_INT(tail(&t, 10000), t.size - 10000 * LINELEN);
		CHECK_EQ_INT(tail(&t, NLINES - 1), LINELEN);
		CHECK_EQ_INT(tail(&t, NLINES), 0);
		CHECK_EQ_INT(tail(&t, NLINES + 1), 0);
		CHECK_EQ_INT(head(&t, 0), 0);
		CHECK_EQ_INT(head(&t, 1), LINELEN);
		CHECK_EQ_INT(head(&t, 10000), 10000 * LINELEN);
		CHECK_EQ_INT(head(&t, NLINES), t.size);
		CHECK_EQ_INT(head(&t, NLINES + 5), t.size);
		CHECK_EQ_INT(count(&t, t.size), NLINES);
		CHECK_EQ_INT(count(&t, 10000 * LINELEN), 10000);
		CHECK_EQ_INT(count(&t, 10000 * LINELEN + 5), 10000);
		CHECK_EQ_INT(count(&t, 0), 0);
	}
	tmp_remove(&t);

	/* The same without the last newline. */
	tmp_make(&t, data, len - 1);
	if (t.fd >= 0) {
		CHECK_EQ_INT(tail(&t, 1), t.size - (LINELEN - 1));
		CHECK_EQ_INT(tail(&t, 3), t.size - (LINELEN - 1) -
		    2 * LINELEN);
		CHECK_EQ_INT(tail(&t, NLINES), 0);
		CHECK_EQ_INT(head(&t, NLINES), t.size);
		CHECK_EQ_INT(head(&t, NLINES - 1), t.size - (LINELEN - 1));
		CHECK_EQ_INT(count(&t, t.size), NLINES - 1);
	}
	tmp_remove(&t);
	free(data);
}

static void
test_head_short(void)
{
	struct tmp t;
	int64_t end;

	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0) {
		CHECK_EQ_INT(head(&t, 0), 0);
		CHECK_EQ_INT(head(&t, -3), 0);
		CHECK_EQ_INT(head(&t, 1), 2);
		CHECK_EQ_INT(head(&t, 2), 5);
		CHECK_EQ_INT(head(&t, 3), 8);
		CHECK_EQ_INT(head(&t, 100), 8);
		/* Within the first 4 bytes, "a\nbb". */
		CHECK_EQ_INT(logread_head_end(t.fd, 4, 2, &end), 0);
		CHECK_EQ_INT(end, 4);
		CHECK_EQ_INT(count(&t, 8), 2);
		CHECK_EQ_INT(count(&t, 5), 2);
		CHECK_EQ_INT(count(&t, 4), 1);
		CHECK_EQ_INT(count(&t, 2), 1);
		CHECK_EQ_INT(count(&t, 1), 0);
	}
	tmp_remove(&t);

	/* A newline as the very first byte. */
	tmp_make_str(&t, "\nab\n");
	if (t.fd >= 0) {
		CHECK_EQ_INT(head(&t, 1), 1);
		CHECK_EQ_INT(head(&t, 2), 4);
		CHECK_EQ_INT(count(&t, 4), 2);
		CHECK_EQ_INT(count(&t, 1), 1);
	}
	tmp_remove(&t);
}

/*
 * The size a caller gives is a snapshot: the log may have grown since
 * (only the first size bytes count, across chunks too), or be shorter
 * (reads stop at its end, with no error).
 */
static void
test_size_snapshot(void)
{
	size_t flen = CHUNK + 100;
	int64_t size = CHUNK + 5, v = -1;
	char *data = malloc(flen);
	struct tmp t;

	if (!CHECK(data != NULL))
		return;
	/* No newline in the first CHUNK + 5 bytes; one soon after. */
	repeat(data, 'x', flen);
	data[CHUNK + 10] = '\n';
	tmp_make(&t, data, flen);
	if (t.fd >= 0) {
		CHECK_EQ_INT(logread_head_end(t.fd, size, 1, &v), 0);
		CHECK_EQ_INT(v, size);
		CHECK_EQ_INT(logread_count_lines(t.fd, size, &v), 0);
		CHECK_EQ_INT(v, 0);
		CHECK_EQ_INT(logread_head_end(t.fd, CHUNK + 11, 1, &v), 0);
		CHECK_EQ_INT(v, CHUNK + 11);
	}
	tmp_remove(&t);

	/* CHUNK x and a newline, read as if it held CHUNK + 50 bytes. */
	data[CHUNK] = '\n';
	tmp_make(&t, data, CHUNK + 1);
	if (t.fd >= 0) {
		v = -1;
		CHECK_EQ_INT(logread_head_end(t.fd, CHUNK + 50, 1, &v), 0);
		CHECK_EQ_INT(v, CHUNK + 1);
		/* Fewer lines than asked: the size given. */
		CHECK_EQ_INT(logread_head_end(t.fd, CHUNK + 50, 2, &v), 0);
		CHECK_EQ_INT(v, CHUNK + 50);
		CHECK_EQ_INT(logread_count_lines(t.fd, CHUNK + 50, &v), 0);
		CHECK_EQ_INT(v, 1);
	}
	tmp_remove(&t);
	free(data);
}

/* Reads back everything written to f. */
static char *
slurp(FILE *f, size_t *len)
{
	long size;
	char *buf;

	fflush(f);
	size = ftell(f);
	if (size < 0)
		return NULL;
	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return NULL;
	rewind(f);
	*len = fread(buf, 1, (size_t)size, f);
	buf[*len] = '\0';
	return buf;
}

struct collect {
	char buf[16];
	size_t len;
	int calls;
};

static void
collect_emit(void *arg, const char *s, size_t len)
{
	struct collect *c = arg;

	if (c->len + len <= sizeof(c->buf)) {
		memcpy(c->buf + c->len, s, len);
		c->len += len;
	}
	c->calls++;
}

static void
test_feed(void)
{
	struct tmp t;
	struct collect c;

	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0) {
		memset(&c, 0, sizeof(c));
		CHECK_EQ_INT(logread_feed(t.fd, 2, 7, collect_emit, &c), 0);
		CHECK_EQ_MEM(c.buf, c.len, "bb\ncc", 5);
		/* Nothing to read: no call, and still success. */
		memset(&c, 0, sizeof(c));
		CHECK_EQ_INT(logread_feed(t.fd, 4, 4, collect_emit, &c), 0);
		CHECK_EQ_INT(logread_feed(t.fd, 8, 20, collect_emit, &c), 0);
		CHECK_EQ_INT(c.calls, 0);
	}
	tmp_remove(&t);
}

/* A write that fails (a full disk) makes the copy fail. */
static void
test_copy_fails(void)
{
	struct tmp t;
	FILE *f = fopen("/dev/full", "w");

	if (f == NULL)
		return;		/* not Linux */
	setvbuf(f, NULL, _IONBF, 0);
	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0)
		CHECK_EQ_INT(logread_copy(t.fd, 0, 8, f), -1);
	tmp_remove(&t);
	fclose(f);
}

/* logread_copy(from, to) into a tmpfile gives want. */
static void
copies(const struct tmp *t, int64_t from, int64_t to, const char *want,
    size_t wantlen)
{
	FILE *f = tmpfile();
	char *got;
	size_t len = 0;

	if (!CHECK(f != NULL))
		return;
	CHECK_EQ_INT(logread_copy(t->fd, from, to, f), 0);
	got = slurp(f, &len);
	if (CHECK(got != NULL))
		CHECK_EQ_MEM(got, len, want, wantlen);
	free(got);
	fclose(f);
}

static void
test_copy(void)
{
	struct tmp t;
	size_t len;
	char *data;

	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0) {
		copies(&t, 0, 8, "a\nbb\nccc", 8);
		copies(&t, 2, 5, "bb\n", 3);
		copies(&t, 3, 3, "", 0);
		copies(&t, 5, 3, "", 0);
		/* Past the end: stops at EOF. */
		copies(&t, 5, 100, "ccc", 3);
		copies(&t, 50, 100, "", 0);
	}
	tmp_remove(&t);

	/* Several chunks, from an odd offset. */
	data = many_lines(&len);
	if (!CHECK(data != NULL))
		return;
	tmp_make(&t, data, len);
	if (t.fd >= 0) {
		copies(&t, 0, (int64_t)len, data, len);
		copies(&t, 7, (int64_t)len - 3, data + 7, len - 10);
		copies(&t, CHUNK - 1, CHUNK + 1, data + CHUNK - 1, 2);
	}
	tmp_remove(&t);
	free(data);
}

static void
test_slice(void)
{
	struct tmp t;
	char *buf;
	size_t len;
	char *data;

	tmp_make_str(&t, "a\nbb\nccc");
	if (t.fd >= 0) {
		buf = NULL;
		len = 99;
		CHECK_EQ_INT(logread_slice(t.fd, 0, 4, &buf, &len), 0);
		if (CHECK(buf != NULL))
			CHECK_EQ_MEM(buf, len, "a\nbb", 4);
		free(buf);

		CHECK_EQ_INT(logread_slice(t.fd, 2, 3, &buf, &len), 0);
		CHECK_EQ_MEM(buf, len, "bb\n", 3);
		free(buf);

		/* One byte. */
		CHECK_EQ_INT(logread_slice(t.fd, 3, 1, &buf, &len), 0);
		CHECK_EQ_MEM(buf, len, "b", 1);
		free(buf);

		/* Short at EOF. */
		CHECK_EQ_INT(logread_slice(t.fd, 5, 100, &buf, &len), 0);
		CHECK_EQ_MEM(buf, len, "ccc", 3);
		free(buf);

		CHECK_EQ_INT(logread_slice(t.fd, 8, 100, &buf, &len), 0);
		CHECK_EQ_INT(len, 0);
		free(buf);

		CHECK_EQ_INT(logread_slice(t.fd, 1000, 10, &buf, &len), 0);
		CHECK_EQ_INT(len, 0);
		free(buf);

		/* Nothing asked for: an empty, freeable buffer. */
		buf = NULL;
		len = 99;
		CHECK_EQ_INT(logread_slice(t.fd, 0, 0, &buf, &len), 0);
		CHECK(buf != NULL);
		CHECK_EQ_INT(len, 0);
		free(buf);
	}
	tmp_remove(&t);

	data = many_lines(&len);
	if (!CHECK(data != NULL))
		return;
	tmp_make(&t, data, len);
	if (t.fd >= 0) {
		size_t got;

		CHECK_EQ_INT(logread_slice(t.fd, 100, 2 * CHUNK, &buf, &got),
		    0);
		CHECK_EQ_MEM(buf, got, data + 100, 2 * CHUNK);
		free(buf);
		CHECK_EQ_INT(logread_slice(t.fd, (int64_t)len - 5, CHUNK,
		    &buf, &got), 0);
		CHECK_EQ_MEM(buf, got, data + len - 5, 5);
		free(buf);
	}
	tmp_remove(&t);
	free(data);
}

static void
test_bad_fd(void)
{
	int64_t v;
	char *buf = NULL;
	size_t len;
	FILE *f = tmpfile();

	/* A closed descriptor is an error, not a crash or a wrong answer. */
	CHECK_EQ_INT(logread_tail_start(-1, 10, 1, &v), -1);
	CHECK_EQ_INT(logread_head_end(-1, 10, 1, &v), -1);
	CHECK_EQ_INT(logread_count_lines(-1, 10, &v), -1);
	CHECK_EQ_INT(logread_slice(-1, 0, 10, &buf, &len), -1);
	CHECK(buf == NULL);
	if (CHECK(f != NULL)) {
		CHECK_EQ_INT(logread_copy(-1, 0, 10, f), -1);
		fclose(f);
	}
}

int
main(void)
{
	test_tail_short();
	test_empty();
	test_long_lines();
	test_chunk_edges();
	test_big_file();
	test_head_short();
	test_size_snapshot();
	test_feed();
	test_copy();
	test_copy_fails();
	test_slice();
	test_bad_fd();
	return unit_done();
}
