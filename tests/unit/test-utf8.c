/*
 * Tests src/utf8.c: utf8_seq_len against RFC 3629 (overlongs, surrogates,
 * the U+10FFFF limit, truncation), utf8_complete_len's cut of a trailing
 * incomplete sequence, and utf8_sanitize's repair.
 */
#include "utf8.h"

#include <stdlib.h>

#include "unit.h"

#define U(s) ((const unsigned char *)(s))
#define FFFD "\xEF\xBF\xBD"

/* utf8_seq_len on the whole of the literal s. */
#define SEQ(s) utf8_seq_len(U(s), sizeof(s) - 1)
/* utf8_complete_len on the whole of the literal s. */
#define COMPLETE(s) utf8_complete_len(U(s), sizeof(s) - 1)

static void
test_seq_len(void)
{
	/* ASCII, NUL included. */
	CHECK_EQ_INT(SEQ("a"), 1);
	CHECK_EQ_INT(SEQ("\x7f"), 1);
	CHECK_EQ_INT(utf8_seq_len(U("\0x"), 2), 1);
	CHECK_EQ_INT(SEQ("ab"), 1);

	/* Two bytes: U+0080, U+00E9, U+07FF. */
	CHECK_EQ_INT(SEQ("\xC2\x80"), 2);
	CHECK_EQ_INT(SEQ("\xC3\xA9"), 2);
	CHECK_EQ_INT(SEQ("\xDF\xBF"), 2);
	CHECK_EQ_INT(SEQ("\xC3\xA9z"), 2);

	/* Three bytes: U+0800, U+20AC, U+D7FF, U+E000, U+FFFD, U+FFFF. */
	CHECK_EQ_INT(SEQ("\xE0\xA0\x80"), 3);
	CHECK_EQ_INT(SEQ("\xE2\x82\xAC"), 3);
	CHECK_EQ_INT(SEQ("\xED\x9F\xBF"), 3);
	CHECK_EQ_INT(SEQ("\xEE\x80\x80"), 3);
	CHECK_EQ_INT(SEQ(FFFD), 3);
	CHECK_EQ_INT(SEQ("\xEF\xBF\xBF"), 3);

	/* Four bytes: U+10000, U+1F600, U+10FFFF. */
	CHECK_EQ_INT(SEQ("\xF0\x90\x80\x80"), 4);
	CHECK_EQ_INT(SEQ("\xF0\x9F\x98\x80"), 4);
	CHECK_EQ_INT(SEQ("\xF4\x8F\xBF\xBF"), 4);

	/* Overlong forms. */
	CHECK_EQ_INT(SEQ("\xC0\x80"), 0);
	CHECK_EQ_INT(SEQ("\xC1\xBF"), 0);
	CHECK_EQ_INT(SEQ("\xE0\x80\x80"), 0);
	CHECK_EQ_INT(SEQ("\xE0\x9F\xBF"), 0);
	CHECK_EQ_INT(SEQ("\xF0\x80\x80\x80"), 0);
	CHECK_EQ_INT(SEQ("\xF0\x8F\xBF\xBF"), 0);

	/* Surrogates U+D800, U+DFFF. */
	CHECK_EQ_INT(SEQ("\xED\xA0\x80"), 0);
	CHECK_EQ_INT(SEQ("\xED\xBF\xBF"), 0);

	/* Past U+10FFFF, and lead bytes that never occur. */
	CHECK_EQ_INT(SEQ("\xF4\x90\x80\x80"), 0);
	CHECK_EQ_INT(SEQ("\xF5\x80\x80\x80"), 0);
	CHECK_EQ_INT(SEQ("\xF8\x88\x80\x80\x80"), 0);
	CHECK_EQ_INT(SEQ("\xFE"), 0);
	CHECK_EQ_INT(SEQ("\xFF"), 0);

	/* Lone continuation bytes. */
	CHECK_EQ_INT(SEQ("\x80"), 0);
	CHECK_EQ_INT(SEQ("\xBF"), 0);

	/* Bad continuation bytes, 0xC0 the first past the range. */
	CHECK_EQ_INT(SEQ("\xC3\x28"), 0);
	CHECK_EQ_INT(SEQ("\xC3\xC3"), 0);
	CHECK_EQ_INT(SEQ("\xC3\xC0"), 0);
	CHECK_EQ_INT(SEQ("\xE2\x82\xC0"), 0);
	CHECK_EQ_INT(SEQ("\xF0\x9F\x98\xC0"), 0);
	CHECK_EQ_INT(SEQ("\xE2\x82\x28"), 0);
	CHECK_EQ_INT(SEQ("\xF0\x9F\x98\x28"), 0);

	/* Truncated: the buffer ends first. */
	CHECK_EQ_INT(SEQ("\xC3"), 0);
	CHECK_EQ_INT(SEQ("\xE2\x82"), 0);
	CHECK_EQ_INT(SEQ("\xE2"), 0);
	CHECK_EQ_INT(SEQ("\xF0\x9F\x98"), 0);
	CHECK_EQ_INT(utf8_seq_len(U("\xE2\x82\xAC"), 2), 0);
	CHECK_EQ_INT(utf8_seq_len(U("\xF0\x9F\x98\x80"), 3), 0);
}

static void
test_complete_len(void)
{
	CHECK_EQ_INT(utf8_complete_len(U(""), 0), 0);
	CHECK_EQ_INT(COMPLETE("abc"), 3);
	CHECK_EQ_INT(COMPLETE("abc\n"), 4);

	/* Complete sequences at the end are kept. */
	CHECK_EQ_INT(COMPLETE("a\xC3\xA9"), 3);
	CHECK_EQ_INT(COMPLETE("a\xE2\x82\xAC"), 4);
	CHECK_EQ_INT(COMPLETE("a\xF0\x9F\x98\x80"), 5);
	CHECK_EQ_INT(COMPLETE("\xF0\x9F\x98\x80"), 4);

	/* A trailing incomplete sequence is cut: the lowest and highest
	 * lead bytes, continuation bytes from 0x80. */
	CHECK_EQ_INT(COMPLETE("a\xC2"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF4"), 1);
	CHECK_EQ_INT(COMPLETE("a\xE2\x80"), 1);
	CHECK_EQ_INT(COMPLETE("a\xC3"), 1);
	CHECK_EQ_INT(COMPLETE("\xC3"), 0);
	CHECK_EQ_INT(COMPLETE("a\xE2"), 1);
	CHECK_EQ_INT(COMPLETE("a\xE2\x82"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF0"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF0\x9F"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF0\x9F\x98"), 1);
	CHECK_EQ_INT(COMPLETE("\xF0\x9F\x98"), 0);
	CHECK_EQ_INT(COMPLETE("\xC3\xA9\xE2\x82"), 2);
	CHECK_EQ_INT(COMPLETE("\xE2\x82\xAC\xC3"), 3);
	/* Only the last sequence: earlier bad bytes are not its business. */
	CHECK_EQ_INT(COMPLETE("\xFF" "a\xC3"), 2);

	/* Invalid endings that no later byte can fix are not cut. */
	CHECK_EQ_INT(COMPLETE("a\x80"), 2);
	CHECK_EQ_INT(COMPLETE("a\x80\x80\x80"), 4);
	CHECK_EQ_INT(COMPLETE("a\x80\x80\x80\x80"), 5);
	CHECK_EQ_INT(COMPLETE("a\xFF"), 2);
	CHECK_EQ_INT(COMPLETE("a\xF8"), 2);
	CHECK_EQ_INT(COMPLETE("a\xC0"), 2);
	CHECK_EQ_INT(COMPLETE("a\xC1"), 2);
	CHECK_EQ_INT(COMPLETE("a\xF5\x80"), 3);
	CHECK_EQ_INT(COMPLETE("a\xE2\x28"), 3);
	CHECK_EQ_INT(COMPLETE("a\xC3\xA9\x80"), 4);
	/*
	 * Starts of overlongs, surrogates and code points past U+10FFFF:
	 * the second byte already rules them out, so nothing can complete
	 * them (utf8.h: "a sequence that the following bytes could still
	 * complete").
	 */
	CHECK_EQ_INT(COMPLETE("a\xE0\x80"), 3);
	CHECK_EQ_INT(COMPLETE("a\xED\xA0"), 3);
	CHECK_EQ_INT(COMPLETE("a\xF0\x80"), 3);
	CHECK_EQ_INT(COMPLETE("a\xF4\x90"), 3);
	CHECK_EQ_INT(COMPLETE("a\xF4\x90\x80"), 4);
	/* Whereas their valid neighbours are incomplete. */
	CHECK_EQ_INT(COMPLETE("a\xE0\xA0"), 1);
	CHECK_EQ_INT(COMPLETE("a\xED\x9F"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF0\x90"), 1);
	CHECK_EQ_INT(COMPLETE("a\xF4\x8F\xBF"), 1);

	/* Only the len bytes given count, whatever lies around them in
	 * memory: a character that completes just past len is still cut,
	 * and a lead byte just before s is not looked at. */
	CHECK_EQ_INT(utf8_complete_len(U("a\xE2\x82\xAC"), 3), 1);
	CHECK_EQ_INT(utf8_complete_len(U("\xF0\x9F\x98") + 1, 2), 2);
}

/* Checks utf8_sanitize(in, inlen) against want, wantlen. */
static void
sanitizes(const char *in, size_t inlen, const char *want, size_t wantlen)
{
	size_t outlen = 12345;
	char *out;

	out = utf8_sanitize(in, inlen, &outlen);
	if (!CHECK(out != NULL))
		return;
	CHECK_EQ_MEM(out, outlen, want, wantlen);
	CHECK_EQ_INT(out[outlen], '\0');
	free(out);
}

#define SANITIZES(in, want) \
	sanitizes((in), sizeof(in) - 1, (want), sizeof(want) - 1)

static void
test_sanitize(void)
{
	char *out;

	/* Valid text is unchanged. */
	SANITIZES("", "");
	SANITIZES("hello, world\n", "hello, world\n");
	SANITIZES("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
	    "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
	SANITIZES(FFFD, FFFD);

	/* Every invalid byte becomes one U+FFFD. */
	SANITIZES("\xFF", FFFD);
	SANITIZES("a\xFF" "b", "a" FFFD "b");
	SANITIZES("\x80\x80", FFFD FFFD);
	SANITIZES("\xC0\x80", FFFD FFFD);
	SANITIZES("\xE0\x80\x80", FFFD FFFD FFFD);
	SANITIZES("\xED\xA0\x80", FFFD FFFD FFFD);
	SANITIZES("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	SANITIZES("\xC3\x28", FFFD "(");
	SANITIZES("x\xE2\x82", "x" FFFD FFFD);
	SANITIZES("\xE2\x82\xAC\xE2\x82", "\xE2\x82\xAC" FFFD FFFD);
	SANITIZES("\xFF\xFE\xFD", FFFD FFFD FFFD);

	/* Only the len bytes given: a character completed past them is
	 * still cut. */
	sanitizes("a\xE2\x82\xAC", 3, "a" FFFD FFFD, 7);

	/* NUL bytes are kept and counted. */
	SANITIZES("a\0b", "a\0b");
	SANITIZES("\0", "\0");
	SANITIZES("\0\xFF\0", "\0" FFFD "\0");

	/* outlen may be NULL. */
	out = utf8_sanitize("ok\xFF", 3, NULL);
	if (CHECK(out != NULL)) {
		CHECK_EQ_STR(out, "ok" FFFD);
		free(out);
	}
}

int
main(void)
{
	test_seq_len();
	test_complete_len();
	test_sanitize();
	return unit_done();
}
