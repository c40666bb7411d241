/*
 * Reading slices of a log without loading it: the start of the last N
 * lines, the end of the first N, line counts, and bounded copies. Offsets
 * are plain byte positions that callers keep between calls.
 */
#ifndef JOB_LOGREAD_H
#define JOB_LOGREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the last n lines of the first size bytes of fd begin. */
int logread_tail_start(int fd, int64_t size, int64_t n, int64_t *start);
/* Where the first n lines end (just past the n-th newline, or size). */
int logread_head_end(int fd, int64_t size, int64_t n, int64_t *end);
/* Counts the newlines in [0, end). */
int logread_count_lines(int fd, int64_t end, int64_t *lines);
/* Passes [from, to) to emit in bounded chunks. */
int logread_feed(int fd, int64_t from, int64_t to,
    void (*emit)(void *arg, const char *s, size_t len), void *arg);
/* Copies [from, to) to out in bounded chunks. */
int logread_copy(int fd, int64_t from, int64_t to, FILE *out);
/* Reads [from, from + max) into a new buffer (*len may be less at EOF). */
int logread_slice(int fd, int64_t from, int64_t max, char **buf,
    size_t *len);

#endif
