/*
 * Streaming text filters for output meant for models: `plain` removes ANSI
 * escape sequences and applies carriage returns, backspaces and
 * erase-in-line the way a terminal would, so a progress bar that redrew
 * itself 500 times becomes its final line; `lines` cuts a stream into
 * numbered lines. Both keep at most one line in memory, capped.
 */
#ifndef JOB_TEXTFILTER_H
#define JOB_TEXTFILTER_H

#include <stddef.h>
#include <stdint.h>

/* Lines longer than this are passed on in pieces of this size. */
#define TEXT_MAX_LINE (1024 * 1024)

typedef void (*text_emit)(void *arg, const char *s, size_t len);

struct plain {
	char *line;		/* the line being drawn */
	size_t len;		/* its length */
	size_t cursor;		/* where the next byte lands */
	size_t cap;
	int state;		/* escape-sequence parser state */
	char csi[16];		/* parameters of the current CSI sequence */
	size_t csi_len;
};

void plain_init(struct plain *p);
/* Feeds bytes; finished lines (with their '\n') go to emit. */
void plain_feed(struct plain *p, const char *buf, size_t len, text_emit emit,
    void *arg);
/* Emits the unfinished last line, if any. */
void plain_flush(struct plain *p, text_emit emit, void *arg);
void plain_free(struct plain *p);

/* s is NUL-terminated (a NUL byte in the line ends it early for C). */
typedef void (*line_emit)(void *arg, int64_t number, int64_t offset,
    const char *s, size_t len);

struct lines {
	char *buf;		/* the current line, without '\n' */
	size_t len;
	size_t cap;
	int64_t number;		/* of the current line, from 1 */
	int64_t offset;		/* where it starts in the stream */
	int64_t pos;		/* bytes fed so far */
};

/* first_number and first_offset describe where the stream begins. */
void lines_init(struct lines *l, int64_t first_number, int64_t first_offset);
void lines_feed(struct lines *l, const char *buf, size_t len, line_emit emit,
    void *arg);
/* Emits the last line if it has no '\n' yet. */
void lines_flush(struct lines *l, line_emit emit, void *arg);
void lines_free(struct lines *l);

#endif
