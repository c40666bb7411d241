/* Log slicing with pread and a fixed buffer: memory stays bounded. */
#include "logread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

static ssize_t
pread_full(int fd, char *buf, size_t len, int64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)off + got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
logread_tail_start(int fd, int64_t size, int64_t n, int64_t *start)
{
	char buf[CHUNK];
	int64_t end = size, seen = 0;

	*start = 0;
	if (n <= 0) {
		*start = size;
		return 0;
	}
	if (size == 0)
		return 0;
	/* A final newline ends the last line; it does not start another. */
	if (pread_full(fd, buf, 1, size - 1) != 1)
		return -1;
	if (buf[0] == '\n')
		end = size - 1;
	while (end > 0) {
		int64_t from = end > CHUNK ? end - CHUNK : 0;
		size_t len = (size_t)(end - from);
		ssize_t i;

		if (pread_full(fd, buf, len, from) != (ssize_t)len)
			return -1;
		for (i = (ssize_t)len - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++seen == n) {
				*start = from + i + 1;
				return 0;
			}
		end = from;
	}
	return 0;
}

int
logread_head_end(int fd, int64_t size, int64_t n, int64_t *end)
{
	char buf[CHUNK];
	int64_t off = 0, seen = 0;

	*end = size;
	if (n <= 0) {
		*end = 0;
		return 0;
	}
	while (off < size) {
		size_t len = size - off > CHUNK ? CHUNK : (size_t)(size - off);
		ssize_t got = pread_full(fd, buf, len, off);
		char *p, *q;

		if (got <= 0)
			return got < 0 ? -1 : 0;
		p = buf;
		while ((q = memchr(p, '\n', (size_t)(buf + got - p))) != NULL) {
			p = q + 1;
			if (++seen == n) {
				*end = off + (p - buf);
				return 0;
			}
		}
		off += got;
	}
	return 0;
}

int
logread_count_lines(int fd, int64_t end, int64_t *lines)
{
	char buf[CHUNK];
	int64_t off = 0;

	*lines = 0;
	while (off < end) {
		size_t len = end - off > CHUNK ? CHUNK : (size_t)(end - off);
		ssize_t got = pread_full(fd, buf, len, off);
		char *p = buf, *q;

		if (got <= 0)
			return got < 0 ? -1 : 0;
		while ((q = memchr(p, '\n', (size_t)(buf + got - p))) != NULL) {
			(*lines)++;
			p = q + 1;
		}
		off += got;
	}
	return 0;
}

int
logread_feed(int fd, int64_t from, int64_t to,
    void (*emit)(void *arg, const char *s, size_t len), void *arg)
{
	char buf[CHUNK];

	while (from < to) {
		size_t len = to - from > CHUNK ? CHUNK : (size_t)(to - from);
		ssize_t got = pread_full(fd, buf, len, from);

		if (got < 0)
			return -1;
		if (got == 0)
			break;
		emit(arg, buf, (size_t)got);
		from += got;
	}
	return 0;
}

struct copy {
	FILE *out;
	int failed;
};

static void
copy_emit(void *arg, const char *s, size_t len)
{
	struct copy *c = arg;

	if (fwrite(s, 1, len, c->out) != len)
		c->failed = 1;
}

int
logread_copy(int fd, int64_t from, int64_t to, FILE *out)
{
	struct copy c = { out, 0 };

	if (logread_feed(fd, from, to, copy_emit, &c) < 0 || c.failed)
		return -1;
	return 0;
}

int
logread_slice(int fd, int64_t from, int64_t max, char **buf, size_t *len)
{
	ssize_t got;

	*buf = malloc(max > 0 ? (size_t)max : 1);
	if (*buf == NULL)
		return -1;
	got = max > 0 ? pread_full(fd, *buf, (size_t)max, from) : 0;
	if (got < 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*len = (size_t)got;
	return 0;
}
