/*
 * Tests src/opt.c, the generic layer every command's arguments go through:
 * options before and after operands or only before them, "--", the
 * --name=value, -n value, -nvalue and clustered forms, --json and -h, typed
 * values, the operand counts and fixed words, the usage made from the
 * grammar, and the checked number and duration parsers.
 */
#include "opt.h"

#include <stdlib.h>

#include "unit.h"

enum { ID_NAME = 1, ID_FOLLOW, ID_TAIL, ID_QUIET, ID_WAIT, ID_LEVEL };

static int
check_level(const char *value, int64_t *num, struct err *e)
{
	if (strcmp(value, "low") == 0)
		*num = 1;
	else if (strcmp(value, "high") == 0)
		*num = 2;
	else
		return err_set(e, ERR_USAGE, "bad level '%s'", value);
	return 0;
}

static const struct opt_spec specs[] = {
	{ .name = "name", .short_name = 'n', .type = OPT_STRING, .id = ID_NAME,
	  .value_name = "NAME", .help = "the name" },
	{ .name = "follow", .short_name = 'f', .type = OPT_FLAG,
	  .id = ID_FOLLOW, .help = "follow it\nto the end" },
	{ .name = "tail", .type = OPT_INT, .id = ID_TAIL, .value_name = "N",
	  .help = "the last N", .min = 0, .max = 100 },
	{ .name = "quiet", .short_name = 'q', .type = OPT_FLAG, .id = ID_QUIET,
	  .help = "say less" },
	{ .name = "wait-for", .short_name = 'w', .type = OPT_DURATION,
	  .id = ID_WAIT, .value_name = "DUR", .help = "wait", .min = 1 },
	{ .name = "level", .type = OPT_STRING, .id = ID_LEVEL,
	  .value_name = "LEVEL", .help = "low or high", .check = check_level },
	{ NULL },
};

/* Options anywhere, any number of operands. */
static const struct opt_grammar anywhere = {
	.options = specs, .operand = "WORD", .noun = "word", .max = -1,
	.json_help = "print JSON",
};

/* Options end at the first operand, as for `job run`. */
static const struct opt_grammar stop = {
	.options = specs, .operand = "COMMAND", .noun = "command", .min = 1,
	.max = -1, .stop = true,
};

/* An argv of writable copies, as main() gets; NULL-terminated. */
struct args {
	int argc;
	char **argv;
	struct opt_args a;
	struct err e;
	int rc;
};

static void
args_free(struct args *t)
{
	int i;

	opt_args_free(&t->a);
	for (i = 0; i < t->argc; i++)
		free(t->argv[i]);
	free(t->argv);
}

/* Parses "cmd" followed by the NULL-terminated list by g. */
static void
parse(struct args *t, const struct opt_grammar *g, const char *first, ...)
{
	va_list ap;
	const char *s;
	int n = 1;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		n++;
	va_end(ap);

	memset(t, 0, sizeof(*t));
	t->argv = calloc((size_t)n + 1, sizeof(*t->argv));
	if (t->argv == NULL) {
		perror("calloc");
		exit(2);
	}
	t->argv[t->argc++] = strdup("cmd");
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		t->argv[t->argc++] = strdup(s);
	va_end(ap);
	t->rc = opt_parse(g, t->argc, t->argv, &t->a, &t->e);
}

/* The parse succeeded. */
static bool
ok(struct args *t)
{
	if (CHECK_EQ_INT(t->rc, 0))
		return true;
	fprintf(stderr, "  error was: %s\n", t->e.msg);
	return false;
}

/* The parse failed with a usage error mentioning what. */
static void
fails(struct args *t, const char *what)
{
	if (!CHECK_EQ_INT(t->rc, -1))
		return;
	CHECK_EQ_INT(t->e.code, ERR_USAGE);
	CHECK_CONTAINS(t->e.msg, what);
}

static void
operands_are(struct args *t, int n, ...)
{
	va_list ap;
	int i;

	if (!CHECK_EQ_INT(t->a.noperands, n))
		return;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		CHECK_EQ_STR(t->a.operands[i], va_arg(ap, const char *));
	va_end(ap);
}

/* The options given, in order, as "id=value" (or "id") joined by spaces. */
static void
values_are(struct args *t, const char *want)
{
	char buf[512] = "";
	size_t o = 0;
	int i;

	for (i = 0; i < t->a.nvalues; i++) {
		const struct opt_value *v = &t->a.values[i];
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%d%s%s",
		    i ? " " : "", v->spec->id, v->value ? "=" : "",
		    v->value ? v->value : "");
	}
	CHECK_EQ_STR(buf, want);
}

static void
test_anywhere(void)
{
	struct args t;

	parse(&t, &anywhere, "w1", "--name", "x", "w2", "-f", "w3", "--tail",
	    "5", NULL);
	if (ok(&t)) {
		values_are(&t, "1=x 2 3=5");
		operands_are(&t, 3, "w1", "w2", "w3");
		CHECK(!t.a.json && !t.a.help && !t.a.dashdash);
		CHECK_EQ_INT(t.a.first, 1);
	}
	args_free(&t);

	/* Only operands; "-" alone is one (stdin, say). */
	parse(&t, &anywhere, "a", "-", "b", NULL);
	if (ok(&t))
		operands_are(&t, 3, "a", "-", "b");
	args_free(&t);

	/* Nothing at all. */
	parse(&t, &anywhere, NULL);
	if (ok(&t)) {
		operands_are(&t, 0);
		CHECK_EQ_INT(t.a.nvalues, 0);
		CHECK_EQ_INT(t.a.first, 1);
	}
	args_free(&t);
}

static void
test_double_dash(void)
{
	struct args t;

	parse(&t, &anywhere, "-q", "w", "--", "-n", "x", "--json", "--", "-f",
	    NULL);
	if (ok(&t)) {
		values_are(&t, "4");
		operands_are(&t, 6, "w", "-n", "x", "--json", "--", "-f");
		CHECK(!t.a.json);
		/* The "--" came after an operand. */
		CHECK(!t.a.dashdash);
	}
	args_free(&t);

	/* "--" first: everything is an operand, and it is said. */
	parse(&t, &anywhere, "--", "--bogus", NULL);
	if (ok(&t)) {
		operands_are(&t, 1, "--bogus");
		CHECK(t.a.dashdash);
		CHECK_EQ_INT(t.a.first, 2);
	}
	args_free(&t);
}

static void
test_stop(void)
{
	struct args t;

	/* Options end at the first operand: the rest is the command's. */
	parse(&t, &stop, "-f", "--name", "x", "grep", "-h", "--json", "-n",
	    "--", "y", NULL);
	if (ok(&t)) {
		values_are(&t, "2 1=x");
		operands_are(&t, 6, "grep", "-h", "--json", "-n", "--", "y");
		CHECK(!t.a.json && !t.a.help && !t.a.dashdash);
		CHECK_EQ_INT(t.a.first, 4);
	}
	args_free(&t);

	/* "--" before the command is accepted and said; one word stays one
	 * operand, spaces and all. */
	parse(&t, &stop, "-q", "--", "a b", NULL);
	if (ok(&t)) {
		operands_are(&t, 1, "a b");
		CHECK(t.a.dashdash);
		CHECK_EQ_INT(t.a.first, 3);
	}
	args_free(&t);

	/* -h before the command asks for help; then nothing is counted. */
	parse(&t, &stop, "--name", "x", "-h", NULL);
	if (ok(&t))
		CHECK(t.a.help);
	args_free(&t);

	/* A value is taken whole, even "-h". */
	parse(&t, &stop, "--name", "-h", "true", NULL);
	if (ok(&t)) {
		CHECK(!t.a.help);
		values_are(&t, "1=-h");
	}
	args_free(&t);

	parse(&t, &stop, "-f", NULL);
	fails(&t, "no command given");
	args_free(&t);

	parse(&t, &stop, "--", NULL);
	fails(&t, "no command given");
	args_free(&t);

	/* An unknown option before the command is still an error. */
	parse(&t, &stop, "--bogus", "true", NULL);
	fails(&t, "'--bogus'");
	args_free(&t);
}

static void
test_forms(void)
{
	struct args t;

	parse(&t, &anywhere, "--name=foo", "--name=", "--name=a=b", "-n",
	    "sep", "-nattached", "-n-x", "--name", "--follow", "--tail=7",
	    NULL);
	if (ok(&t)) {
		/* A value is taken as it is, even when it looks like an
		 * option. */
		values_are(&t, "1=foo 1= 1=a=b 1=sep 1=attached 1=-x "
		    "1=--follow 3=7");
		operands_are(&t, 0);
		CHECK_EQ_STR(opt_str(&t.a, ID_NAME, NULL), "--follow");
		CHECK_EQ_INT(opt_num(&t.a, ID_TAIL, -1), 7);
	}
	args_free(&t);
}

static void
test_clusters(void)
{
	struct args t;

	parse(&t, &anywhere, "-fq", "-qfn", "x", "-fqnvalue", "-qn-y", NULL);
	if (ok(&t))
		values_are(&t, "2 4 4 2 1=x 2 4 1=value 4 1=-y");
	args_free(&t);

	/* A duration attached in a cluster is checked like any other. */
	parse(&t, &anywhere, "-fw5s", NULL);
	if (ok(&t))
		CHECK_EQ_INT(opt_num(&t.a, ID_WAIT, 0), 5000);
	args_free(&t);

	/* -h in a cluster is help. */
	parse(&t, &anywhere, "-fh", NULL);
	if (ok(&t))
		CHECK(t.a.help);
	args_free(&t);

	/* An unknown letter names itself and its cluster. */
	parse(&t, &anywhere, "-fz", NULL);
	fails(&t, "'-z' in '-fz'");
	args_free(&t);

	/* A value option last in a cluster needs its value next. */
	parse(&t, &anywhere, "-fn", NULL);
	fails(&t, "'--name' needs a value");
	args_free(&t);
}

static void
test_json_help(void)
{
	struct args t;

	parse(&t, &anywhere, "w", "--json", "-f", NULL);
	if (ok(&t)) {
		/* --json is consumed, not returned. */
		CHECK(t.a.json);
		values_are(&t, "2");
		operands_are(&t, 1, "w");
	}
	args_free(&t);

	parse(&t, &anywhere, "--json=yes", NULL);
	fails(&t, "json");
	CHECK(!t.a.json);
	args_free(&t);

	/* A failed parse still says --json was asked for, so the error can
	 * be given as JSON. */
	parse(&t, &anywhere, "--bogus", "--json", NULL);
	fails(&t, "--bogus");
	CHECK(t.a.json);
	args_free(&t);

	parse(&t, &stop, "--bogus", "cmd", "--json", NULL);
	fails(&t, "--bogus");
	CHECK(!t.a.json);
	args_free(&t);

	/* Help wins over counts, in any position before "--". */
	parse(&t, &anywhere, "a", "--help", NULL);
	if (ok(&t))
		CHECK(t.a.help);
	args_free(&t);

	parse(&t, &anywhere, "--", "-h", NULL);
	if (ok(&t)) {
		CHECK(!t.a.help);
		operands_are(&t, 1, "-h");
	}
	args_free(&t);
}

static void
test_errors(void)
{
	struct args t;

	parse(&t, &anywhere, "--bogus", NULL);
	fails(&t, "unknown option '--bogus'");
	args_free(&t);

	parse(&t, &anywhere, "--bogus=1", NULL);
	fails(&t, "unknown option '--bogus'");
	CHECK_NOT_CONTAINS(t.e.msg, "=1");
	args_free(&t);

	parse(&t, &anywhere, "w", "-z", NULL);
	fails(&t, "unknown option '-z'");
	args_free(&t);

	/* Prefixes of long names are not accepted. */
	parse(&t, &anywhere, "--nam", "x", NULL);
	fails(&t, "'--nam'");
	args_free(&t);

	/* A flag takes no value. */
	parse(&t, &anywhere, "--follow=1", NULL);
	fails(&t, "'--follow' takes no value");
	args_free(&t);

	/* Missing values. */
	parse(&t, &anywhere, "--name", NULL);
	fails(&t, "'--name' needs a value");
	args_free(&t);

	parse(&t, &anywhere, "w", "-n", NULL);
	fails(&t, "'--name' needs a value");
	args_free(&t);

	parse(&t, &anywhere, "--tail", NULL);
	fails(&t, "'--tail' needs a value");
	args_free(&t);
}

static void
test_typed(void)
{
	struct args t;
	const struct opt_value *v;
	int n = 0;

	parse(&t, &anywhere, "--tail", "100", "--wait-for", "1h30m",
	    "--level", "high", "--name", "a", "--name", "b", NULL);
	if (ok(&t)) {
		CHECK_EQ_INT(opt_num(&t.a, ID_TAIL, -1), 100);
		CHECK_EQ_INT(opt_num(&t.a, ID_WAIT, -1), 5400000);
		/* A check may give the value a number. */
		CHECK_EQ_INT(opt_num(&t.a, ID_LEVEL, -1), 2);
		/* The last value wins; every one is there in order. */
		CHECK_EQ_STR(opt_str(&t.a, ID_NAME, NULL), "b");
		for (v = opt_each(&t.a, ID_NAME, NULL); v != NULL;
		    v = opt_each(&t.a, ID_NAME, v))
			CHECK_EQ_STR(v->value, n++ == 0 ? "a" : "b");
		CHECK_EQ_INT(n, 2);
		CHECK(opt_last(&t.a, ID_NAME) == opt_each(&t.a, ID_NAME,
		    opt_each(&t.a, ID_NAME, NULL)));
		/* What was not given gives the default. */
		CHECK(!opt_has(&t.a, ID_FOLLOW));
		CHECK(opt_last(&t.a, ID_FOLLOW) == NULL);
		CHECK_EQ_INT(opt_num(&t.a, ID_QUIET, -7), -7);
		CHECK(opt_str(&t.a, ID_QUIET, NULL) == NULL);
	}
	args_free(&t);

	parse(&t, &anywhere, "--tail", "101", NULL);
	fails(&t, "bad value '101' for --tail");
	args_free(&t);

	parse(&t, &anywhere, "--tail=-1", NULL);
	fails(&t, "'-1'");
	args_free(&t);

	parse(&t, &anywhere, "-w", "5x", NULL);
	fails(&t, "bad duration '5x' for --wait-for");
	args_free(&t);

	/* Below the least duration. */
	parse(&t, &anywhere, "--wait-for=0s", NULL);
	fails(&t, "bad duration '0s' for --wait-for");
	args_free(&t);

	parse(&t, &anywhere, "--level", "middle", NULL);
	fails(&t, "bad level 'middle'");
	args_free(&t);
}

static void
test_counts(void)
{
	static const struct opt_grammar one = {
		.options = specs, .operand = "REF", .noun = "job", .min = 1,
		.max = 1,
	};
	static const struct opt_grammar none = { .options = specs };
	static const struct opt_grammar two = {
		.operand = "X", .noun = "thing", .max = 2,
	};
	struct args t;

	parse(&t, &one, "-f", NULL);
	fails(&t, "no job given");
	args_free(&t);

	parse(&t, &one, "a", "-f", "b", NULL);
	fails(&t, "one job at a time: unexpected 'b'");
	args_free(&t);

	parse(&t, &one, "-f", "a", NULL);
	if (ok(&t))
		operands_are(&t, 1, "a");
	args_free(&t);

	parse(&t, &none, "-q", "x", NULL);
	fails(&t, "unexpected argument 'x'");
	args_free(&t);

	parse(&t, &two, "a", "b", "c", NULL);
	fails(&t, "at most 2 things: unexpected 'c'");
	args_free(&t);

	/* No options of its own: only --json and -h. */
	parse(&t, &two, "-f", NULL);
	fails(&t, "'-f'");
	args_free(&t);
}

static const struct opt_word actions[] = {
	{ "show", "show it" },
	{ "install", "install it" },
	{ "uninstall", "remove it" },
	{ "secret", NULL },
	{ NULL, NULL },
};

static const struct opt_grammar action = {
	.options = specs, .noun = "action", .words = actions, .min = 1,
	.max = 1,
};

static void
test_words(void)
{
	struct args t;

	parse(&t, &action, "install", "-f", NULL);
	if (ok(&t))
		operands_are(&t, 1, "install");
	args_free(&t);

	/* A word not listed in the usage is still accepted. */
	parse(&t, &action, "secret", NULL);
	CHECK(ok(&t));
	args_free(&t);

	parse(&t, &action, "remove", NULL);
	fails(&t, "unknown action 'remove': say show, install or uninstall");
	args_free(&t);

	parse(&t, &action, NULL);
	fails(&t, "no action given: say show, install or uninstall");
	args_free(&t);
}

static void
test_find_long(void)
{
	CHECK(opt_find_long(specs, "--name") == &specs[0]);
	CHECK(opt_find_long(specs, "--name=web") == &specs[0]);
	CHECK(opt_find_long(specs, "--tail") == &specs[2]);
	CHECK(opt_find_long(specs, "--nam") == NULL);
	CHECK(opt_find_long(specs, "-n") == NULL);
	CHECK(opt_find_long(specs, "--") == NULL);
	CHECK(opt_find_long(specs, "name") == NULL);
	/* Only the command's own: --json and --help are everybody's. */
	CHECK(opt_find_long(specs, "--json") == NULL);
	CHECK(opt_find_long(specs, "--help") == NULL);
}

/* What print(g, f) writes. */
static char *
printed(void (*print)(const struct opt_grammar *, FILE *),
    const struct opt_grammar *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		perror("open_memstream");
		exit(2);
	}
	print(g, f);
	fclose(f);
	return buf;
}

static void
synopsis_is(const struct opt_grammar *g, const char *want)
{
	char *s = printed(opt_print_synopsis, g);

	CHECK_EQ_STR(s, want);
	free(s);
}

static void
test_usage(void)
{
	static const struct opt_grammar bare = { .operand = "X" };
	static const struct opt_grammar optional = {
		.operand = "REF", .max = 1, .json_help = "JSON",
	};
	static const struct opt_grammar some = {
		.options = specs, .operand = "REF", .min = 1, .max = -1,
	};
	static const struct opt_grammar any = {
		.operand = "F", .max = -1,
	};
	static const struct opt_grammar optional_word = {
		.words = actions, .max = 1,
	};
	static const char words[] =
	    "  show                 show it\n"
	    "  install              install it\n"
	    "  uninstall            remove it\n"
	    "  -n, --name NAME      the name\n";
	char *s;

	synopsis_is(&bare, "");
	/* --json alone makes "[options]". */
	synopsis_is(&optional, " [options] [REF]");
	synopsis_is(&some, " [options] REF...");
	synopsis_is(&any, " [F...]");
	synopsis_is(&stop, " [options] [--] COMMAND...");
	/* Listed words only. */
	synopsis_is(&action, " [options] show|install|uninstall");
	synopsis_is(&optional_word, " [show|install|uninstall]");

	/* The help starts in one column; long left parts get one space;
	 * "\n" in a help continues in that column. */
	s = printed(opt_print_help, &anywhere);
	CHECK_EQ_STR(s,
	    "  -n, --name NAME      the name\n"
	    "  -f, --follow         follow it\n"
	    "                       to the end\n"
	    "      --tail N         the last N\n"
	    "  -q, --quiet          say less\n"
	    "  -w, --wait-for DUR   wait\n"
	    "      --level LEVEL    low or high\n"
	    "      --json           print JSON\n"
	    "  -h, --help           show this help\n");
	free(s);

	s = printed(opt_print_help, &action);
	CHECK(strncmp(s, words, strlen(words)) == 0);
	CHECK_NOT_CONTAINS(s, "secret");
	/* No --json line without its help. */
	CHECK_NOT_CONTAINS(s, "--json");
	free(s);
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
	test_anywhere();
	test_double_dash();
	test_stop();
	test_forms();
	test_clusters();
	test_json_help();
	test_errors();
	test_typed();
	test_counts();
	test_words();
	test_find_long();
	test_usage();
	test_int();
	test_duration();
	return unit_done();
}
