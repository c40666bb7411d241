/*
 * Tests the text side of src/out.c: out_escape never cuts inside a
 * character and shows what is not printable UTF-8 as escapes; out_columns
 * and out_fit count display columns and cut on whole characters.
 */
#include "out.h"

#include <locale.h>

#include "unit.h"

static void
escaped_as(const char *s, size_t len, const char *want)
{
	char buf[64];

	out_escape(s, buf, len);
	CHECK_EQ_STR(buf, want);
}

static void
test_escape(void)
{
	escaped_as("a\tb\nc\x1b[1m\x01\x7f", 64, "a\\tb\\nc\\e[1m\\x01\\x7f");
	/* Valid UTF-8 stays; bytes that are not UTF-8 become escapes. */
	escaped_as("é✓\xff\xc3", 64, "é✓\\xff\\xc3");
	escaped_as(NULL, 64, "");
	/* A full buffer cuts before a character, never inside one. */
	escaped_as("ab✓✓", 8, "ab✓");
	escaped_as("✓✓", 6, "✓");
	escaped_as("abcdef", 6, "ab");
}

/* out_fit(s, width) keeps want_bytes of s, taking want_cols columns. */
static void
fits(const char *s, int width, size_t want_bytes, int want_cols)
{
	int cols = -1;

	CHECK_EQ_INT(out_fit(s, width, &cols), want_bytes);
	CHECK_EQ_INT(cols, want_cols);
}

static void
test_columns(void)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);

	CHECK_EQ_INT(out_columns(""), 0);
	CHECK_EQ_INT(out_columns("abc"), 3);
	CHECK_EQ_INT(out_columns("é✓"), 2);
	fits("abc", 2, 2, 2);
	fits("abc", 5, 3, 3);
	fits("é✓x", 2, 5, 2);
	fits("é✓x", 0, 0, 0);
	if (utf8 == (locale_t)0) {
		fprintf(stderr, "no C.UTF-8 locale: wide characters not "
		    "tested\n");
		return;
	}
	freelocale(utf8);
	/* Wide characters take two columns; a cut in the middle of one
	 * leaves it out. Combining marks take none. */
	CHECK_EQ_INT(out_columns("漢字"), 4);
	CHECK_EQ_INT(out_columns("e\xcc\x81"), 1);
	fits("漢字x", 3, 3, 2);
	fits("漢字x", 4, 6, 4);
	fits("a漢", 2, 1, 1);
}

int
main(void)
{
	test_escape();
	test_columns();
	return unit_done();
}
