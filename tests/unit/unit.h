/*
 * A tiny assertion harness for the unit tests, with no framework behind it.
 * The CHECK macros count passes and failures and report each failure on
 * stderr with file:line, the function and both values; each returns whether
 * it passed, so a test can stop early ("if (!CHECK(p != NULL)) return;").
 * main() ends with "return unit_done();", which prints "N passed, M failed"
 * on a line of its own and gives a non-zero exit status on any failure.
 */
#ifndef JOB_UNIT_H
#define JOB_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int unit_passed;
static int unit_failed;

#define CHECK(cond) \
	unit_check_((cond) ? true : false, #cond, __FILE__, __LINE__, __func__)
#define CHECK_EQ_INT(a, b) \
	unit_check_int_((intmax_t)(a), (intmax_t)(b), #a, #b, __FILE__, \
	    __LINE__, __func__)
#define CHECK_EQ_STR(a, b) \
	unit_check_str_((a), (b), #a, #b, __FILE__, __LINE__, __func__)
/* Byte strings that may hold NULs: pointers and lengths of both. */
#define CHECK_EQ_MEM(a, alen, b, blen) \
	unit_check_mem_((a), (alen), (b), (blen), #a, #b, __FILE__, __LINE__, \
	    __func__)
/* hay (a NUL-terminated string) contains needle. */
#define CHECK_CONTAINS(hay, needle) \
	unit_check_contains_((hay), (needle), true, #hay, __FILE__, __LINE__, \
	    __func__)
#define CHECK_NOT_CONTAINS(hay, needle) \
	unit_check_contains_((hay), (needle), false, #hay, __FILE__, \
	    __LINE__, __func__)

/* Prints len bytes quoted, with anything unprintable as \xNN. */
static inline void
unit_print_bytes_(const char *s, size_t len)
{
	size_t i;

	if (s == NULL) {
		fputs("NULL", stderr);
		return;
	}
	fputc('"', stderr);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('"', stderr);
}

static inline bool
unit_result_(bool ok, const char *file, int line, const char *func)
{
	if (ok) {
		unit_passed++;
		return true;
	}
	unit_failed++;
	fprintf(stderr, "%s:%d: in %s: ", file, line, func);
	return false;
}

static inline bool
unit_check_(bool ok, const char *expr, const char *file, int line,
    const char *func)
{
	if (unit_result_(ok, file, line, func))
		return true;
	fprintf(stderr, "CHECK(%s) failed\n", expr);
	return false;
}

static inline bool
unit_check_int_(intmax_t a, intmax_t b, const char *aexpr, const char *bexpr,
    const char *file, int line, const char *func)
{
	if (unit_result_(a == b, file, line, func))
		return true;
	fprintf(stderr, "CHECK_EQ_INT(%s, %s) failed: %jd != %jd\n", aexpr,
	    bexpr, a, b);
	return false;
}

static inline bool
unit_check_mem_(const char *a, size_t alen, const char *b, size_t blen,
    const char *aexpr, const char *bexpr, const char *file, int line,
    const char *func)
{
	bool ok;

	if (a == NULL || b == NULL)
		ok = a == b;
	else
		ok = alen == blen && memcmp(a, b, alen) == 0;
	if (unit_result_(ok, file, line, func))
		return true;
	fprintf(stderr, "%s != %s: ", aexpr, bexpr);
	unit_print_bytes_(a, alen);
	fputs(" != ", stderr);
	unit_print_bytes_(b, blen);
	fputc('\n', stderr);
	return false;
}

static inline bool
unit_check_str_(const char *a, const char *b, const char *aexpr,
    const char *bexpr, const char *file, int line, const char *func)
{
	return unit_check_mem_(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0,
	    aexpr, bexpr, file, line, func);
}

static inline bool
unit_check_contains_(const char *hay, const char *needle, bool want,
    const char *hayexpr, const char *file, int line, const char *func)
{
	bool found = hay != NULL && strstr(hay, needle) != NULL;

	if (unit_result_(found == want, file, line, func))
		return true;
	fprintf(stderr, "%s %s ", hayexpr, want ? "lacks" : "contains");
	unit_print_bytes_(needle, strlen(needle));
	fputs(": ", stderr);
	unit_print_bytes_(hay, hay ? strlen(hay) : 0);
	fputc('\n', stderr);
	return false;
}

/* Prints the summary line; the exit status for main. */
static inline int
unit_done(void)
{
	fflush(stderr);
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	fflush(stdout);
	return unit_failed > 0 ? 1 : 0;
}

#endif
