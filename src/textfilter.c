/* Terminal-like rendering of output into plain lines; see textfilter.h. */
#include "textfilter.h"

#include <stdlib.h>
#include <string.h>

enum { S_TEXT, S_ESC, S_CSI, S_OSC, S_OSC_ESC, S_ESC_INTER };

void
plain_init(struct plain *p)
{
	memset(p, 0, sizeof(*p));
}

static void
plain_put(struct plain *p, char c, text_emit emit, void *arg)
{
	if (p->cursor >= TEXT_MAX_LINE) {
		/* A line too long to hold: pass it on as it is. */
		emit(arg, p->line, p->len);
		p->len = p->cursor = 0;
	}
	if (p->cursor >= p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 256;
		char *n = realloc(p->line, ncap);
		if (n == NULL)
			return;
		p->line = n;
		p->cap = ncap;
	}
	p->line[p->cursor++] = c;
	if (p->cursor > p->len)
		p->len = p->cursor;
}

/* CSI K erases in line: 0 (default) to the end, 1 to the start, 2 all. */
static void
plain_csi(struct plain *p, char final)
{
	int arg = atoi(p->csi);

	if (final != 'K')
		return;
	if (arg == 0)
		p->len = p->cursor;
	else if (arg == 1)
		memset(p->line, ' ', p->cursor < p->len ? p->cursor : p->len);
	else if (arg == 2)
		p->len = p->cursor = 0;
}

void
plain_feed(struct plain *p, const char *buf, size_t len, text_emit emit,
    void *arg)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		switch (p->state) {
		case S_ESC:
			if (c == '[') {
				p->state = S_CSI;
				p->csi_len = 0;
				p->csi[0] = '\0';
			} else if (c == ']')
				p->state = S_OSC;
			else if (c >= 0x20 && c <= 0x2F)
				p->state = S_ESC_INTER;
			else
				p->state = S_TEXT;
			continue;
		case S_ESC_INTER:
			if (c < 0x20 || c > 0x2F)
				p->state = S_TEXT;
			continue;
		case S_CSI:
			if (c >= 0x40 && c <= 0x7E) {
				plain_csi(p, (char)c);
				p->state = S_TEXT;
			} else if (p->csi_len + 1 < sizeof(p->csi)) {
				p->csi[p->csi_len++] = (char)c;
				p->csi[p->csi_len] = '\0';
			}
			continue;
		case S_OSC:
			if (c == 0x07)
				p->state = S_TEXT;
			else if (c == 0x1b)
				p->state = S_OSC_ESC;
			continue;
		case S_OSC_ESC:
			p->state = c == '\\' ? S_TEXT : S_OSC;
			continue;
		}
		switch (c) {
		case 0x1b:
			p->state = S_ESC;
			break;
		case '\r':
			p->cursor = 0;
			break;
		case '\b':
			if (p->cursor > 0)
				p->cursor--;
			break;
		case '\n':
			/* A terminal keeps all that was drawn on the line. */
			p->cursor = p->len;
			plain_put(p, '\n', emit, arg);
			emit(arg, p->line, p->len);
			p->len = p->cursor = 0;
			break;
		default:
			plain_put(p, (char)c, emit, arg);
		}
	}
}

void
plain_flush(struct plain *p, text_emit emit, void *arg)
{
	if (p->len > 0)
		emit(arg, p->line, p->len);
	p->len = p->cursor = 0;
}

void
plain_free(struct plain *p)
{
	free(p->line);
	memset(p, 0, sizeof(*p));
}

void
lines_init(struct lines *l, int64_t first_number, int64_t first_offset)
{
	memset(l, 0, sizeof(*l));
	l->number = first_number;
	l->offset = first_offset;
	l->pos = first_offset;
}

static void
lines_end(struct lines *l, line_emit emit, void *arg)
{
	if (l->buf != NULL)
		l->buf[l->len] = '\0';
	emit(arg, l->number, l->offset, l->buf ? l->buf : "", l->len);
	l->number++;
	l->len = 0;
	l->offset = l->pos;
}

void
lines_feed(struct lines *l, const char *buf, size_t len, line_emit emit,
    void *arg)
{
	size_t i;

	for (i = 0; i < len; i++) {
		l->pos++;
		if (buf[i] == '\n') {
			lines_end(l, emit, arg);
			continue;
		}
		/* Past the cap the rest of the line is not kept. */
		if (l->len >= TEXT_MAX_LINE)
			continue;
		if (l->len + 1 >= l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 256;
			char *n = realloc(l->buf, ncap);
			if (n == NULL)
				continue;
			l->buf = n;
			l->cap = ncap;
		}
		l->buf[l->len++] = buf[i];
	}
}

void
lines_flush(struct lines *l, line_emit emit, void *arg)
{
	if (l->len > 0 || l->pos > l->offset)
		lines_end(l, emit, arg);
}

void
lines_free(struct lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}
