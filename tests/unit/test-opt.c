/*
 * Tests src/opt.c: options before and after the words, "--", the
 * --name=value and -n value / -nvalue forms, --json, the usage errors,
 * and the checked number and duration parsers.
 */
#include "opt.h"

#include <stdlib.h>

#include "unit.h"

enum { ID_NAME = 1, ID_FOLLOW, ID_TAIL, ID_QUIET };

static const struct opt_spec specs[] = {
	{ "name", 'n', OPT_VALUE, ID_NAME },
	{ "follow", 'f', OPT_NONE, ID_FOLLOW },
	{ "tail", 0, OPT_VALUE, ID_TAIL },
	{ "quiet", 'q', OPT_NONE, ID_QUIET },
	{ NULL, 0, OPT_NONE, 0 },
};

/* An argv of writable copies, as main() gets; NULL-terminated. */
struct args {
	int argc;
	char **argv;
	struct opt_state st;
	bool json;
	struct err e;
};

static void
args_free(struct args *a)
{
	int i;

	opt_free(&a->st);
	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
}

/* Sets up a parse of "job" followed by the NULL-terminated list. */
static void
args_init(struct args *a, const char *first, ...)
{
	va_list ap;
	const char *s;
	int n = 1;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		n++;
	va_end(ap);

	memset(a, 0, sizeof(*a));
	a->argv = calloc((size_t)n + 1, sizeof(*a->argv));
	if (a->argv == NULL) {
		perror("calloc");
		exit(2);
	}
	a->argv[a->argc++] = strdup("job");
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		a->argv[a->argc++] = strdup(s);
	va_end(ap);
	if (!CHECK_EQ_INT(opt_init(&a->st, a->argc, a->argv, &a->json,
	    &a->e), 0))
		exit(2);
}

/* The next option is id, with value (NULL for a flag). */
static void
next_is(struct args *a, int id, const char *value)
{
	const char *v = "unset";

	if (!CHECK_EQ_INT(opt_next(&a->st, specs, &v, &a->e), id))
		fprintf(stderr, "  error was: %s\n", a->e.msg);
	else if (id > 0 && value != NULL)
		CHECK_EQ_STR(v, value);
	else if (id > 0)
		CHECK(v == NULL);
}

/* The parse fails with a usage error mentioning what. */
static void
next_fails(struct args *a, const char *what)
{
	const char *v = NULL;

	a->e.code = ERR_NONE;
	CHECK_EQ_INT(opt_next(&a->st, specs, &v, &a->e), -1);
	CHECK_EQ_INT(a->e.code, ERR_USAGE);
	CHECK_CONTAINS(a->e.msg, what);
}

static void
words_are(struct args *a, int n, ...)
{
	va_list ap;
	int i;

	if (!CHECK_EQ_INT(a->st.nwords, n))
		return;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		CHECK_EQ_STR(a->st.words[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
test_mixed(void)
{
	struct args a;

	args_init(&a, "w1", "--name", "x", "w2", "-f", "w3", "--tail", "5",
	    NULL);
	next_is(&a, ID_NAME, "x");
	next_is(&a, ID_FOLLOW, NULL);
	next_is(&a, ID_TAIL, "5");
	next_is(&a, 0, NULL);
	words_are(&a, 3, "w1", "w2", "w3");
	CHECK(!a.json);
	/* Done stays done. */
	next_is(&a, 0, NULL);
	words_are(&a, 3, "w1", "w2", "w3");
	args_free(&a);

	/* Only words; "-" alone is a word (stdin, say). */
	args_init(&a, "a", "-", "b", NULL);
	next_is(&a, 0, NULL);
	words_are(&a, 3, "a", "-", "b");
	args_free(&a);

	/* Nothing at all. */
	args_init(&a, NULL);
	next_is(&a, 0, NULL);
	words_are(&a, 0);
	CHECK(a.st.words != NULL);
	args_free(&a);
}

static void
test_double_dash(void)
{
	struct args a;

	args_init(&a, "-q", "cmd", "--", "-n", "x", "--json", "--", "-f",
	    NULL);
	next_is(&a, ID_QUIET, NULL);
	next_is(&a, 0, NULL);
	words_are(&a, 6, "cmd", "-n", "x", "--json", "--", "-f");
	CHECK(!a.json);
	args_free(&a);

	/* "--" first: everything is a word. */
	args_init(&a, "--", "--bogus", NULL);
	next_is(&a, 0, NULL);
	words_are(&a, 1, "--bogus");
	args_free(&a);
}

static void
test_forms(void)
{
	struct args a;

	args_init(&a, "--name=foo", "--tail=", "--name=a=b", "-n", "sep",
	    "-nattached", "-n-x", "--name", "--follow", NULL);
	next_is(&a, ID_NAME, "foo");
	next_is(&a, ID_TAIL, "");
	next_is(&a, ID_NAME, "a=b");
	next_is(&a, ID_NAME, "sep");
	next_is(&a, ID_NAME, "attached");
	next_is(&a, ID_NAME, "-x");
	/* A value is taken as it is, even when it looks like an option. */
	next_is(&a, ID_NAME, "--follow");
	next_is(&a, 0, NULL);
	words_are(&a, 0);
	args_free(&a);
}

static void
test_json(void)
{
	struct args a;

	args_init(&a, "w", "--json", "-f", NULL);
	CHECK(!a.json);
	/* --json is consumed, not returned. */
	next_is(&a, ID_FOLLOW, NULL);
	CHECK(a.json);
	next_is(&a, 0, NULL);
	words_are(&a, 1, "w");
	args_free(&a);

	args_init(&a, "--json=yes", NULL);
	next_fails(&a, "json");
	CHECK(!a.json);
	args_free(&a);
}

static void
test_errors(void)
{
	struct args a;

	args_init(&a, "--bogus", NULL);
	next_fails(&a, "--bogus");
	args_free(&a);

	args_init(&a, "w", "-z", NULL);
	next_fails(&a, "-z");
	args_free(&a);

	/* Prefixes of long names are not accepted. */
	args_init(&a, "--nam", "x", NULL);
	next_fails(&a, "--nam");
	args_free(&a);

	/* Short flags are not bundled; a flag takes no value. */
	args_init(&a, "-fq", NULL);
	next_fails(&a, "-fq");
	args_free(&a);

	args_init(&a, "--follow=1", NULL);
	next_fails(&a, "follow");
	args_free(&a);

	/* Missing values. */
	args_init(&a, "--name", NULL);
	next_fails(&a, "name");
	args_free(&a);

	args_init(&a, "w", "-n", NULL);
	next_fails(&a, "name");
	args_free(&a);

	args_init(&a, "--tail", NULL);
	next_fails(&a, "tail");
	args_free(&a);
}

/* opt_int(s, min, max) gives want. */
static void
int_ok(const char *s, int64_t min, int64_t max, int64_t want)
{
	struct err e;
	int64_t v = -999;

	if (!CHECK_EQ_INT(opt_int("tail", s, min, max, &v, &e), 0)) {
		fprintf(stderr, "  input \"%s\": %s\n", s, e.msg);
		return;
	}
	CHECK_EQ_INT(v, want);
}

/* opt_int(s, min, max) is a usage error naming the option. */
static void
int_bad(const char *s, int64_t min, int64_t max)
{
	struct err e;
	int64_t v = -999;

	memset(&e, 0, sizeof(e));
	if (!CHECK_EQ_INT(opt_int("tail", s, min, max, &v, &e), -1)) {
		fputs("  input ", stderr);
		unit_print_bytes_(s, strlen(s));
		fprintf(stderr, " was taken as %lld\n", (long long)v);
		return;
	}
	CHECK_EQ_INT(v, -999);
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_CONTAINS(e.msg, "--tail");
}

static void
test_int(void)
{
	int_ok("0", 0, 10, 0);
	int_ok("10", 0, 10, 10);
	int_ok("7", 0, 10, 7);
	int_ok("-5", -10, 10, -5);
	int_ok("007", 0, 10, 7);
	int_ok("9223372036854775807", 0, INT64_MAX, INT64_MAX);
	int_ok("-9223372036854775808", INT64_MIN, 0, INT64_MIN);

	int_bad("", 0, 10);
	int_bad("1x", 0, 10);
	int_bad("x1", 0, 10);
	int_bad("-1", 0, 10);
	int_bad("+1", 0, 10);
	int_bad("11", 0, 10);
	int_bad("-11", -10, 10);
	int_bad(" 1", 0, 10);
	int_bad("1 ", 0, 10);
	int_bad("\t1", 0, 10);
	int_bad("\n1", 0, 10);
	int_bad("-", 0, 10);
	int_bad("0x10", 0, 100);
	int_bad("1.0", 0, 10);
	int_bad("1e3", 0, 10000);
	int_bad("9223372036854775808", 0, INT64_MAX);
	int_bad("99999999999999999999", 0, INT64_MAX);
}

static void
test_duration(void)
{
	struct err e;
	int64_t ms = -1;

	CHECK_EQ_INT(opt_duration("timeout", "1h30m", &ms, &e), 0);
	CHECK_EQ_INT(ms, 5400000);
	CHECK_EQ_INT(opt_duration("timeout", "500ms", &ms, &e), 0);
	CHECK_EQ_INT(ms, 500);

	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(opt_duration("timeout", "5x", &ms, &e), -1);
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_CONTAINS(e.msg, "--timeout");
	CHECK_CONTAINS(e.msg, "'5x'");

	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(opt_duration("grace", "", &ms, &e), -1);
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_CONTAINS(e.msg, "--grace");

	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(opt_duration("grace", "1m1h", &ms, &e), -1);
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_EQ_INT(opt_duration("grace", "5", &ms, &e), -1);
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_EQ_INT(ms, 500);
}

int
main(void)
{
	test_mixed();
	test_double_dash();
	test_forms();
	test_json();
	test_errors();
	test_int();
	test_duration();
	return unit_done();
}
