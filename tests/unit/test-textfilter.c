/*
 * Tests src/textfilter.c: `plain` drawing lines as a terminal would
 * (carriage returns, backspaces, erase-in-line, escape sequences of every
 * kind dropped, over-long lines passed on in pieces, input split anywhere)
 * and `lines` numbering lines with their byte offsets.
 */
#include "textfilter.h"

#include <stdlib.h>

#include "unit.h"

/* What plain emitted: every piece, each followed by '|'. */
struct sink {
	char *buf;
	size_t len;
	size_t cap;
	int pieces;
};

static void
sink_emit(void *arg, const char *s, size_t len)
{
	struct sink *k = arg;

	if (k->len + len + 2 > k->cap) {
		k->cap = (k->len + len + 2) * 2;
		k->buf = realloc(k->buf, k->cap);
		if (k->buf == NULL)
			abort();
	}
	memcpy(k->buf + k->len, s, len);
	k->len += len;
	k->buf[k->len++] = '|';
	k->buf[k->len] = '\0';
	k->pieces++;
}

/* Renders s (fed in chunks of step bytes, 0: at once), then flushes. */
static char *
render(const char *s, size_t step)
{
	struct plain p;
	struct sink k = { NULL, 0, 0, 0 };
	size_t len = strlen(s), off;

	plain_init(&p);
	if (step == 0)
		step = len;
	for (off = 0; off < len; off += step)
		plain_feed(&p, s + off, len - off < step ? len - off : step,
		    sink_emit, &k);
	plain_flush(&p, sink_emit, &k);
	plain_free(&p);
	return k.buf != NULL ? k.buf : strdup("");
}

/* s renders to want whether fed at once or a byte at a time. */
#define RENDERS(s, want) do {						\
	char *got_ = render((s), 0);					\
	CHECK_EQ_STR(got_, (want));					\
	free(got_);							\
	got_ = render((s), 1);						\
	CHECK_EQ_STR(got_, (want));					\
	free(got_);							\
} while (0)

static void
test_plain_text(void)
{
	RENDERS("", "");
	RENDERS("one\ntwo\n", "one\n|two\n|");
	/* The unfinished last line comes with the flush, without '\n'. */
	RENDERS("one\ntwo", "one\n|two|");
	RENDERS("\n\n", "\n|\n|");
	/* Bytes that are not escapes pass untouched, tabs and UTF-8 too. */
	RENDERS("a\tb \xC3\xA9\x7f\n", "a\tb \xC3\xA9\x7f\n|");
}

static void
test_plain_redraw(void)
{
	/* A progress bar redrawn with carriage returns: its final state. */
	RENDERS("10%\r20%\r100%\n", "100%\n|");
	/* A shorter redraw keeps the end of what was drawn before. */
	RENDERS("abcdef\rXY\n", "XYcdef\n|");
	RENDERS("abc\r\n", "abc\n|");
	RENDERS("abc\r", "abc|");
	/* Backspace moves left, never past the start. */
	RENDERS("abc\b\bX\n", "aXc\n|");
	RENDERS("a\b\b\bX\n", "X\n|");
	RENDERS("\bab\n", "ab\n|");
	RENDERS("ab\b\n", "ab\n|");
	/* After a newline the next line starts empty, at column 0. */
	RENDERS("abcdef\nX\n", "abcdef\n|X\n|");
	RENDERS("abcdef\n\rX\n", "abcdef\n|X\n|");
}

static void
test_plain_erase(void)
{
	/* CSI K and CSI 0K erase to the end of the line. */
	RENDERS("abcdef\r\033[Kxy\n", "xy\n|");
	RENDERS("abcdef\rab\033[0K\n", "ab\n|");
	RENDERS("abcdef\b\b\b\033[K\n", "abc\n|");
	/* CSI 1K blanks the line up to the cursor. */
	RENDERS("abc\033[1K\n", "   \n|");
	RENDERS("abc\033[1Kd\n", "   d\n|");
	/* CSI 2K clears the whole line (drawn from its start here: where
	 * the cursor goes after 2K is left open). */
	RENDERS("abcdef\r\033[2K\n", "\n|");
	RENDERS("abcdef\r\033[2Kxy\n", "xy\n|");
	/* Other arguments and other final bytes change nothing. */
	RENDERS("abc\033[3K\n", "abc\n|");
	RENDERS("abc\r\033[J\n", "abc\n|");
	RENDERS("abc\r\033[1J\n", "abc\n|");
	RENDERS("abc\r\033[2J\n", "abc\n|");
	RENDERS("abc\r\033[2L\n", "abc\n|");
	/* A sequence without parameters does not inherit the last one's. */
	RENDERS("\033[1mabc\rX\033[K\n", "X\n|");
	RENDERS("\033[2mabcdef\b\b\033[K\n", "abcd\n|");
	/* The erase applies to the line being drawn, not the next one. */
	RENDERS("abc\r\033[2K\ndef\n", "\n|def\n|");
}

static void
test_plain_escapes(void)
{
	/* SGR colours, with and without parameters. */
	RENDERS("\033[1;31mred\033[0m plain\033[m\n", "red plain\n|");
	/* Every final byte from '@' to '~' ends a CSI sequence. */
	RENDERS("a\033[5@b\033[2~c\n", "abc\n|");
	/* Parameter and intermediate bytes belong to the sequence. */
	RENDERS("a\033[?25lb\033[?25hc\033[1 qd\n", "abcd\n|");
	/* A final byte just outside the range does not end it. */
	RENDERS("a\033[1\x7f" "2Kb\n", " b\n|");
	RENDERS("ab\033[1?Kc\n", "  c\n|");
	/* A control byte inside a CSI sequence does not end it. */
	RENDERS("a\033[1\007b\n", "a\n|");
	RENDERS("abc\033[1\n\rKd\n", "   d\n|");
	/* Far more parameters than are kept: the sequence still ends. The
	 * first 15 bytes are kept, the rest dropped (never written past the
	 * buffer): here the 2 in 16th place is lost, so this is 0K. */
	RENDERS("a\033[1;2;3;4;5;6;7;8;9;10;11;12;13mb\n", "ab\n|");
	RENDERS("abc\033[0000000000000002Kd\n", "abcd\n|");
	RENDERS("abc\033[000000000000002Kd\n", "d\n|");
	/* OSC (a window title) ends with BEL or with ESC \. */
	RENDERS("\033]0;title\007text\n", "text\n|");
	RENDERS("\033]0;title\033\\text\n", "text\n|");
	/* Inside an OSC, an ESC not followed by \ keeps the OSC going. */
	RENDERS("\033]0;a\033xb\007text\n", "text\n|");
	RENDERS("\033]0;a\n\033[31mb\007text\n", "text\n|");
	/* Character set selection: ESC, intermediates, one final byte. */
	RENDERS("\033(Bx\033)0y\033 Fz\n", "xyz\n|");
	RENDERS("\033(\x20\x2F" "Bx\n", "x\n|");
	RENDERS("\033/Bx\n", "x\n|");
	RENDERS("\033 Bx\n", "x\n|");
	/* ... and ESC followed by anything else is a two-byte escape. */
	RENDERS("\0330ab\n", "ab\n|");
	RENDERS("\033\x1f" "ab\n", "ab\n|");
	/* A final byte that happens to be K erases nothing. */
	RENDERS("abcdef\r\033(Kx\n", "xbcdef\n|");
	/* A two-byte escape (keypad mode, index) drops its second byte. */
	RENDERS("\033=ab\033Mc\033\\d\n", "abcd\n|");
	/* An escape at the very end of the input is dropped. */
	RENDERS("ab\033", "ab|");
	RENDERS("ab\033[3", "ab|");
	/* ESC ESC: the second one starts nothing, its own next byte
	 * is text. */
	RENDERS("a\033\033[b\n", "a[b\n|");
}

/* A line longer than the cap comes out in pieces of exactly the cap. */
static void
test_plain_long_line(void)
{
	size_t n = TEXT_MAX_LINE + 10, i;
	char *in = malloc(n + 2), *got;

	if (!CHECK(in != NULL))
		return;
	for (i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	in[n] = '\n';
	in[n + 1] = '\0';
	got = render(in, 0);
	CHECK_EQ_INT(strlen(got), n + 1 + 2);
	CHECK_EQ_INT(got[TEXT_MAX_LINE], '|');
	CHECK(memcmp(got, in, TEXT_MAX_LINE) == 0);
	CHECK(memcmp(got + TEXT_MAX_LINE + 1, in + TEXT_MAX_LINE, 10) == 0);
	CHECK_EQ_STR(got + TEXT_MAX_LINE + 11, "\n|");
	free(got);
	/* Exactly the cap: every byte passes, in pieces of at most the cap. */
	in[TEXT_MAX_LINE] = '\n';
	in[TEXT_MAX_LINE + 1] = '\0';
	got = render(in, 0);
	CHECK(memcmp(got, in, TEXT_MAX_LINE) == 0);
	CHECK(strcmp(got + TEXT_MAX_LINE, "|\n|") == 0 ||
	    strcmp(got + TEXT_MAX_LINE, "\n|") == 0);
	free(got);
	free(in);
}

/* The flush resets the line: what follows starts a new one. */
static void
test_plain_flush(void)
{
	struct plain p;
	struct sink k = { NULL, 0, 0, 0 };

	plain_init(&p);
	plain_flush(&p, sink_emit, &k);
	CHECK_EQ_INT(k.pieces, 0);
	plain_feed(&p, "abcdef", 6, sink_emit, &k);
	plain_flush(&p, sink_emit, &k);
	plain_feed(&p, "\rxy", 3, sink_emit, &k);
	plain_flush(&p, sink_emit, &k);
	plain_flush(&p, sink_emit, &k);
	CHECK_EQ_INT(k.pieces, 2);
	CHECK_EQ_STR(k.buf, "abcdef|xy|");
	/* An escape cut by a flush continues in the next feed. */
	plain_feed(&p, "a\033[3", 4, sink_emit, &k);
	plain_flush(&p, sink_emit, &k);
	plain_feed(&p, "1mb\n", 4, sink_emit, &k);
	CHECK_EQ_STR(k.buf, "abcdef|xy|a|b\n|");
	plain_free(&p);
	CHECK(p.line == NULL);
	CHECK_EQ_INT(p.len, 0);
	free(k.buf);
}

struct line_rec {
	int64_t number;
	int64_t offset;
	char text[64];
	size_t len;
	size_t nul_at;		/* where the NUL after the text is */
};

struct line_sink {
	struct line_rec rec[16];
	int n;
};

static void
line_emit_rec(void *arg, int64_t number, int64_t offset, const char *s,
    size_t len)
{
	struct line_sink *k = arg;
	struct line_rec *r;

	if (k->n >= 16)
		return;
	r = &k->rec[k->n++];
	r->number = number;
	r->offset = offset;
	r->len = len;
	r->nul_at = strlen(s);
	memcpy(r->text, s, len < sizeof(r->text) ? len : sizeof(r->text));
}

static void
lines_run(struct line_sink *k, int64_t first, int64_t offset,
    const char *s, size_t step, int flush)
{
	struct lines l;
	size_t len = strlen(s), off;

	memset(k, 0, sizeof(*k));
	lines_init(&l, first, offset);
	if (step == 0)
		step = len ? len : 1;
	for (off = 0; off < len; off += step)
		lines_feed(&l, s + off, len - off < step ? len - off : step,
		    line_emit_rec, k);
	if (flush)
		lines_flush(&l, line_emit_rec, k);
	lines_free(&l);
}

#define LINE_IS(r, num, off, str) do {					\
	CHECK_EQ_INT((r).number, (num));				\
	CHECK_EQ_INT((r).offset, (off));				\
	CHECK_EQ_MEM((r).text, (r).len, (str), strlen(str));		\
	CHECK_EQ_INT((r).nul_at, strlen(str));				\
} while (0)

static void
test_lines(void)
{
	struct line_sink k;
	size_t step;

	for (step = 0; step <= 1; step++) {
		lines_run(&k, 1, 0, "a\nbb\n\nccc", step, 1);
		if (CHECK_EQ_INT(k.n, 4)) {
			LINE_IS(k.rec[0], 1, 0, "a");
			LINE_IS(k.rec[1], 2, 2, "bb");
			LINE_IS(k.rec[2], 3, 5, "");
			LINE_IS(k.rec[3], 4, 6, "ccc");
		}
		/* Without the flush the unfinished line is held back. */
		lines_run(&k, 1, 0, "a\nbb", step, 0);
		if (CHECK_EQ_INT(k.n, 1))
			LINE_IS(k.rec[0], 1, 0, "a");
		/* A stream that starts mid-log keeps absolute positions. */
		lines_run(&k, 41, 1000, "x\nyz\n", step, 1);
		if (CHECK_EQ_INT(k.n, 2)) {
			LINE_IS(k.rec[0], 41, 1000, "x");
			LINE_IS(k.rec[1], 42, 1002, "yz");
		}
	}
	/* A flush after a final newline, or of nothing, emits nothing. */
	lines_run(&k, 1, 0, "a\n", 0, 1);
	CHECK_EQ_INT(k.n, 1);
	lines_run(&k, 1, 0, "", 0, 1);
	CHECK_EQ_INT(k.n, 0);
	/* A NUL byte is part of the line; C sees the line end early. */
	{
		struct lines l;

		memset(&k, 0, sizeof(k));
		lines_init(&l, 1, 0);
		lines_feed(&l, "a\0b\nc", 5, line_emit_rec, &k);
		lines_flush(&l, line_emit_rec, &k);
		lines_free(&l);
		if (CHECK_EQ_INT(k.n, 2)) {
			CHECK_EQ_MEM(k.rec[0].text, k.rec[0].len, "a\0b", 3);
			CHECK_EQ_INT(k.rec[0].nul_at, 1);
			LINE_IS(k.rec[1], 2, 4, "c");
		}
	}
}

/* A line past the cap keeps its first TEXT_MAX_LINE bytes; offsets and
 * numbers stay exact. */
static void
test_lines_long(void)
{
	size_t n = TEXT_MAX_LINE + 100, i;
	char *in = malloc(n + 4);
	struct lines l;
	struct line_sink k;

	if (!CHECK(in != NULL))
		return;
	for (i = 0; i < n; i++)
		in[i] = 'x';
	memcpy(in + n, "\nyz", 3);
	memset(&k, 0, sizeof(k));
	lines_init(&l, 1, 0);
	lines_feed(&l, in, n + 3, line_emit_rec, &k);
	lines_flush(&l, line_emit_rec, &k);
	lines_free(&l);
	if (CHECK_EQ_INT(k.n, 2)) {
		CHECK_EQ_INT(k.rec[0].len, TEXT_MAX_LINE);
		CHECK_EQ_INT(k.rec[0].nul_at, TEXT_MAX_LINE);
		LINE_IS(k.rec[1], 2, (int64_t)n + 1, "yz");
	}
	/* Exactly the cap is kept whole. */
	memset(&k, 0, sizeof(k));
	lines_init(&l, 1, 0);
	lines_feed(&l, in, TEXT_MAX_LINE, line_emit_rec, &k);
	lines_feed(&l, "\n", 1, line_emit_rec, &k);
	lines_free(&l);
	if (CHECK_EQ_INT(k.n, 1))
		CHECK_EQ_INT(k.rec[0].len, TEXT_MAX_LINE);
	/* Freeing leaves an empty struct: a second free is harmless. */
	CHECK(l.buf == NULL);
	CHECK_EQ_INT(l.len + l.cap + l.number + l.offset + l.pos, 0);
	lines_free(&l);
	free(in);
}

int
main(void)
{
	test_plain_text();
	test_plain_redraw();
	test_plain_erase();
	test_plain_escapes();
	test_plain_long_line();
	test_plain_flush();
	test_lines();
	test_lines_long();
	return unit_done();
}
