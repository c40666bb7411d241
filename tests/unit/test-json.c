/*
 * Tests src/json.c: json_normalize (the --context check), json_time, the
 * job object of json_job (fields, nulls, invalid UTF-8 repaired so the
 * document stays valid), the error object of json_error, and the reader
 * (jparse and the getters) with jdump.
 */
#include "json.h"

#include <stdlib.h>

#include "resolve.h"
#include "utf8.h"
#include "unit.h"

#define FFFD "\xEF\xBF\xBD"
#define ID "01ARZ3NDEKTSV4RRFFQ69G5FAV"

/* Prints v (and frees it) into a new string; NULL on failure. */
static char *
print_json(struct jval *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!CHECK(f != NULL)) {
		jfree(v);
		return NULL;
	}
	CHECK_EQ_INT(jprint(v, f), 0);
	if (!CHECK_EQ_INT(fclose(f), 0)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The whole string is valid UTF-8. */
static bool
valid_utf8(const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* s is one JSON value followed by a newline, in valid UTF-8. */
static void
check_document(const char *s)
{
	struct err e;
	char *compact = NULL;
	size_t len = strlen(s);

	CHECK(len > 0 && s[len - 1] == '\n');
	CHECK(valid_utf8(s));
	if (CHECK_EQ_INT(json_normalize(s, &compact, &e), 0)) {
		/* Already compact: re-encoding changes nothing. */
		CHECK_EQ_MEM(compact, strlen(compact), s, len - 1);
		free(compact);
	} else
		fprintf(stderr, "  %s\n", e.msg);
}

/* json_normalize(in) succeeds with want. */
static void
normalizes(const char *in, const char *want)
{
	struct err e;
	char *compact = NULL;

	memset(&e, 0, sizeof(e));
	if (!CHECK_EQ_INT(json_normalize(in, &compact, &e), 0)) {
		fprintf(stderr, "  input %s: %s\n", in, e.msg);
		return;
	}
	CHECK_EQ_STR(compact, want);
	free(compact);
}

/* json_normalize(in) fails with a usage error. */
static void
rejects(const char *in)
{
	struct err e;
	char *compact = NULL;

	memset(&e, 0, sizeof(e));
	if (!CHECK_EQ_INT(json_normalize(in, &compact, &e), -1)) {
		fprintf(stderr, "  input %s accepted as %s\n", in,
		    compact ? compact : "(null)");
		free(compact);
		return;
	}
	CHECK_EQ_INT(e.code, ERR_USAGE);
	CHECK_CONTAINS(e.msg, "--context");
}

static void
test_normalize(void)
{
	normalizes("{}", "{}");
	normalizes("{\"a\": 1, \"b\": [true, null, \"x\"]}",
	    "{\"a\":1,\"b\":[true,null,\"x\"]}");
	/* Key order is kept. */
	normalizes("{ \"z\" : 1 , \"a\" : { \"y\" : 2 } }",
	    "{\"z\":1,\"a\":{\"y\":2}}");
	normalizes("[1, 2 , 3]", "[1,2,3]");
	normalizes("[]", "[]");
	normalizes("  42\n", "42");
	normalizes("-7", "-7");
	normalizes("2.5", "2.5");
	normalizes("\"str\"", "\"str\"");
	normalizes("true", "true");
	normalizes("false", "false");
	normalizes("null", "null");
	normalizes("\"caf\\u00e9\"", "\"caf\xC3\xA9\"");
	normalizes("\"caf\xC3\xA9\"", "\"caf\xC3\xA9\"");
	normalizes("{\"q\":\"a\\\"b\\\\c\\n\"}", "{\"q\":\"a\\\"b\\\\c\\n\"}");
	/* Same key at different levels is not a duplicate. */
	normalizes("{\"a\":{\"a\":1}}", "{\"a\":{\"a\":1}}");
	/* U+0000 is a valid JSON string character (RFC 8259, 7). */
	normalizes("{\"a\":\"x\\u0000y\"}", "{\"a\":\"x\\u0000y\"}");

	rejects("{");
	rejects("{'a':1}");
	rejects("{\"a\":1,\"a\":2}");
	rejects("{\"a\":1,\"b\":{},\"a\":[]}");
	rejects("");
	rejects("   ");
	rejects("1 2");
	rejects("{} {}");
	rejects("[1,]");
	rejects("{\"a\"}");
	rejects("nul");
	rejects("undefined");
	rejects("\"\xFF\"");
}

static void
times(int64_t ms, const char *want)
{
	char buf[64];

	json_time(ms, buf, sizeof(buf));
	if (!CHECK_EQ_STR(buf, want))
		fprintf(stderr, "  ms was %lld\n", (long long)ms);
}

static void
test_time(void)
{
	char small[11];

	times(0, "1970-01-01T00:00:00.000Z");
	times(1, "1970-01-01T00:00:00.001Z");
	times(999, "1970-01-01T00:00:00.999Z");
	times(1000, "1970-01-01T00:00:01.000Z");
	times(1469918176385, "2016-07-30T22:36:16.385Z");
	times(1700000000123, "2023-11-14T22:13:20.123Z");
	times(951782400000, "2000-02-29T00:00:00.000Z");
	/* Before the epoch: still RFC 3339, the millisecond rounded down. */
	times(-1, "1969-12-31T23:59:59.999Z");

	json_time(1700000000123, small, sizeof(small));
	CHECK_EQ_STR(small, "2023-11-14");
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL) {
		perror("strdup");
		exit(2);
	}
	return p;
}

static char *
xmemdup(const char *s, size_t len)
{
	char *p = malloc(len);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, s, len);
	return p;
}

/* A job that ran and completed, with every field set. */
static void
full_job(struct job *j)
{
	static const char env[] = "FOO=bar\0EMPTY=\0WEIRD=a\xFF" "b";

	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", ID);
	j->name = xstrdup("build");
	j->command = xstrdup("make -j2 \"all\"");
	j->status = JOB_COMPLETED;
	j->project = xstrdup("/home/u/proj");
	j->cwd = xstrdup("/home/u/proj/sub");
	j->pid = 4242;
	j->pid_start = 100;
	j->sup_pid = 4241;
	j->sup_start = 99;
	j->boot_id = xstrdup("8d2c6f0e-boot");
	j->exit_code = 0;
	j->reason = xstrdup("exit");
	j->created_at = 1700000000000;
	j->started_at = 1700000000123;
	j->finished_at = 1700000002623;
	j->timeout_ms = 60000;
	j->grace_ms = 5000;
	j->context = xstrdup("{\"ticket\":\"JOB-1\",\"n\":[1,2]}");
	j->key = xstrdup("k-1");
	j->retry_of = xstrdup("01ARZ3NDEKTSV4RRFFQ69G5FA0");
	j->env = xmemdup(env, sizeof(env));
	j->env_len = sizeof(env);
	j->log_dropped = 7;
}

static void
test_job_full(void)
{
	static const char first[] = "{\"id\":\"" ID "\",";
	struct job j;
	char *s;

	full_job(&j);
	s = print_json(json_job(&j, "/home/u/.job/logs/" ID ".log", 1234));
	if (!CHECK(s != NULL)) {
		job_free(&j);
		return;
	}
	/* The id comes first. */
	CHECK(strncmp(s, first, sizeof(first) - 1) == 0);
	CHECK_CONTAINS(s, "\"name\":\"build\"");
	CHECK_CONTAINS(s, "\"command\":\"make -j2 \\\"all\\\"\"");
	CHECK_CONTAINS(s, "\"status\":\"completed\"");
	CHECK_CONTAINS(s, "\"reason\":\"exit\"");
	CHECK_CONTAINS(s, "\"exit_code\":0");
	CHECK_CONTAINS(s, "\"signal\":null");
	CHECK_CONTAINS(s, "\"project\":\"/home/u/proj\"");
	CHECK_CONTAINS(s, "\"cwd\":\"/home/u/proj/sub\"");
	CHECK_CONTAINS(s, "\"pid\":4242");
	CHECK_CONTAINS(s, "\"supervisor_pid\":4241");
	CHECK_CONTAINS(s, "\"created_at\":\"2023-11-14T22:13:20.000Z\"");
	CHECK_CONTAINS(s, "\"started_at\":\"2023-11-14T22:13:20.123Z\"");
	CHECK_CONTAINS(s, "\"finished_at\":\"2023-11-14T22:13:22.623Z\"");
	CHECK_CONTAINS(s, "\"duration_s\":2.5");
	CHECK_CONTAINS(s, "\"timeout_s\":60.0");
	CHECK_CONTAINS(s, "\"grace_s\":5.0");
	CHECK_CONTAINS(s, "\"context\":{\"ticket\":\"JOB-1\",\"n\":[1,2]}");
	CHECK_CONTAINS(s, "\"key\":\"k-1\"");
	CHECK_CONTAINS(s, "\"retry_of\":\"01ARZ3NDEKTSV4RRFFQ69G5FA0\"");
	CHECK_CONTAINS(s, "\"env\":{\"FOO\":\"bar\",\"EMPTY\":\"\","
	    "\"WEIRD\":\"a" FFFD "b\"}");
	CHECK_CONTAINS(s, "\"boot_id\":\"8d2c6f0e-boot\"");
	CHECK_CONTAINS(s, "\"log_path\":\"/home/u/.job/logs/" ID ".log\"");
	CHECK_CONTAINS(s, "\"log_bytes\":1234");
	CHECK_CONTAINS(s, "\"log_dropped\":7");
	/* Internal fields stay out. */
	CHECK_NOT_CONTAINS(s, "pid_start");
	CHECK_NOT_CONTAINS(s, "sup_start");
	CHECK_NOT_CONTAINS(s, "stop_signal");
	check_document(s);
	free(s);
	job_free(&j);
}

static void
test_job_sparse(void)
{
	struct job j;
	char *s;

	/* Pending: nothing known yet, and a command that is not UTF-8. */
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "%s", ID);
	j.command = xstrdup("echo \xFF");
	j.status = JOB_PENDING;
	j.project = xstrdup("/p");
	j.cwd = xstrdup("/p");
	j.exit_code = -1;
	j.grace_ms = 10000;
	s = print_json(json_job(&j, NULL, 0));
	if (!CHECK(s != NULL)) {
		job_free(&j);
		return;
	}
	CHECK_CONTAINS(s, "\"name\":null");
	CHECK(strstr(s, "\"command\":\"echo " FFFD "\"") != NULL ||
	    strstr(s, "\"command\":\"echo \\ufffd\"") != NULL);
	CHECK_NOT_CONTAINS(s, "\xFF");
	CHECK_CONTAINS(s, "\"status\":\"pending\"");
	CHECK_CONTAINS(s, "\"reason\":null");
	CHECK_CONTAINS(s, "\"exit_code\":null");
	CHECK_CONTAINS(s, "\"signal\":null");
	CHECK_CONTAINS(s, "\"pid\":null");
	CHECK_CONTAINS(s, "\"supervisor_pid\":null");
	CHECK_CONTAINS(s, "\"created_at\":null");
	CHECK_CONTAINS(s, "\"started_at\":null");
	CHECK_CONTAINS(s, "\"finished_at\":null");
	CHECK_CONTAINS(s, "\"duration_s\":null");
	CHECK_CONTAINS(s, "\"timeout_s\":null");
	CHECK_CONTAINS(s, "\"grace_s\":10.0");
	CHECK_CONTAINS(s, "\"context\":null");
	CHECK_CONTAINS(s, "\"key\":null");
	CHECK_CONTAINS(s, "\"retry_of\":null");
	CHECK_CONTAINS(s, "\"env\":{}");
	CHECK_CONTAINS(s, "\"boot_id\":null");
	CHECK_CONTAINS(s, "\"log_path\":null");
	CHECK_CONTAINS(s, "\"log_bytes\":0");
	check_document(s);
	free(s);
	job_free(&j);

	/* Ended by a signal; invalid UTF-8 in name, cwd and log path. */
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "%s", ID);
	j.name = xstrdup("n\xC3\x28");
	j.command = xstrdup("\xFF\xFE");
	j.status = JOB_STOPPED;
	j.project = xstrdup("/p");
	j.cwd = xstrdup("/p/\xE0\x80\x80");
	j.exit_code = -1;
	j.signal = xstrdup("SIGTERM");
	j.reason = xstrdup("stopped");
	j.started_at = 1000;
	j.finished_at = 1000;
	s = print_json(json_job(&j, "/l/\xF4\x90\x80\x80", 5));
	if (!CHECK(s != NULL)) {
		job_free(&j);
		return;
	}
	CHECK_CONTAINS(s, "\"status\":\"stopped\"");
	CHECK_CONTAINS(s, "\"exit_code\":null");
	CHECK_CONTAINS(s, "\"signal\":\"SIGTERM\"");
	CHECK_CONTAINS(s, "\"duration_s\":0.0");
	CHECK_CONTAINS(s, "\"name\":\"n" FFFD "(\"");
	CHECK_CONTAINS(s, "\"command\":\"" FFFD FFFD "\"");
	CHECK_CONTAINS(s, "\"cwd\":\"/p/" FFFD FFFD FFFD "\"");
	CHECK_CONTAINS(s, "\"log_path\":\"/l/" FFFD FFFD FFFD FFFD "\"");
	check_document(s);
	free(s);
	job_free(&j);
}

static void
test_job_context(void)
{
	struct job j;
	char *s;

	/* What json_normalize accepts for --context is printed back. */
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "%s", ID);
	j.command = xstrdup("true");
	j.status = JOB_RUNNING;
	j.exit_code = -1;
	j.context = xstrdup("[1,\"x\\u0000y\",{\"k\":null}]");
	s = print_json(json_job(&j, NULL, 0));
	if (CHECK(s != NULL)) {
		CHECK_CONTAINS(s,
		    "\"context\":[1,\"x\\u0000y\",{\"k\":null}]");
		check_document(s);
		free(s);
	}
	job_free(&j);

	/* A scalar context. */
	memset(&j, 0, sizeof(j));
	snprintf(j.id, sizeof(j.id), "%s", ID);
	j.command = xstrdup("true");
	j.exit_code = -1;
	j.context = xstrdup("\"ticket-7\"");
	s = print_json(json_job(&j, NULL, 0));
	if (CHECK(s != NULL)) {
		CHECK_CONTAINS(s, "\"context\":\"ticket-7\"");
		CHECK_CONTAINS(s, "\"status\":\"pending\"");
		free(s);
	}
	job_free(&j);
}

static void
test_error(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];
	char *s;

	/* Ambiguous, with the candidates. */
	memset(&m, 0, sizeof(m));
	snprintf(m.prefix_ids[0], ULID_LEN + 1, "%s", ID);
	snprintf(m.prefix_ids[1], ULID_LEN + 1, "%s",
	    "01ARZ3NDEKTSV4RRFFQ69G5FAW");
	m.nprefix = 2;
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(resolve_pick("01arz", &m, out, &e), -1);
	s = print_json(json_error(&e));
	if (CHECK(s != NULL)) {
		static const char head[] = "{\"error\":{\"code\":"
		    "\"ambiguous\",\"message\":\"";

		CHECK(strncmp(s, head, sizeof(head) - 1) == 0);
		CHECK_CONTAINS(s, "01arz");
		CHECK_CONTAINS(s, "\"candidates\":[\"" ID "\","
		    "\"01ARZ3NDEKTSV4RRFFQ69G5FAW\"]}}\n");
		check_document(s);
		free(s);
	}

	/* Not found: no candidates key; a bad byte in the message. */
	err_set(&e, ERR_NOT_FOUND, "no job matches '%s'", "x\xFF");
	s = print_json(json_error(&e));
	if (CHECK(s != NULL)) {
		CHECK_EQ_STR(s, "{\"error\":{\"code\":\"not_found\","
		    "\"message\":\"no job matches 'x" FFFD "'\"}}\n");
		CHECK_NOT_CONTAINS(s, "candidates");
		check_document(s);
		free(s);
	}

	err_set(&e, ERR_USAGE, "bad \"quote\"");
	s = print_json(json_error(&e));
	if (CHECK(s != NULL)) {
		CHECK_EQ_STR(s, "{\"error\":{\"code\":\"usage\","
		    "\"message\":\"bad \\\"quote\\\"\"}}\n");
		free(s);
	}
}

/* jparse takes any value, refuses what is not one JSON value. */
static void
test_parse(void)
{
	static const char *const bad[] = { "", "{", "{\"a\":1,}", "[1] 2",
	    "{\"a\":1,\"a\":2}", "\"a\\u0000b\"", "\"\xff\"", "nul",
	    "99999999999999999999999", NULL };
	struct jval *v;
	struct err e;
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		err_clear(&e);
		v = jparse(bad[i], strlen(bad[i]), &e);
		if (!CHECK(v == NULL)) {
			fprintf(stderr, "  parsed: %s\n", bad[i]);
			jfree(v);
		}
		CHECK(e.msg[0] != '\0');
	}
	/* The length is what counts, not a NUL. */
	v = jparse("[1]xx", 3, &e);
	CHECK(v != NULL && jtype(v) == JT_ARRAY && jlen(v) == 1);
	jfree(v);
	v = jparse(" 7 \n", 4, NULL);
	CHECK(v != NULL && jtype(v) == JT_INTEGER);
	jfree(v);
	CHECK(jparse("x", 1, NULL) == NULL);
}

static void
test_read(void)
{
	const char *doc = "{\"s\":\"h\\u00e9\",\"i\":-3,\"r\":2.0,"
	    "\"f\":2.5,\"t\":true,\"n\":null,\"a\":[1,\"x\"],\"o\":{\"k\":1,"
	    "\"j\":2},\"big\":1e300}";
	struct jval *v = jparse(doc, strlen(doc), NULL), *copy;
	const char *keys[2];
	int64_t n = 0;
	double d = 0;
	void *it;
	int k = 0;
	char *text;
	size_t len = 0;

	if (!CHECK(v != NULL))
		return;
	CHECK_EQ_INT(jtype(v), JT_OBJECT);
	CHECK_EQ_STR(jstr(jget(v, "s")), "h\xC3\xA9");
	CHECK(jstr(jget(v, "i")) == NULL);
	CHECK(jget(v, "missing") == NULL);
	CHECK(jget(jget(v, "s"), "x") == NULL);
	CHECK(jint(jget(v, "i"), &n) && n == -3);
	/* A real is an integer only when it has no fraction. */
	CHECK(jint(jget(v, "r"), &n) && n == 2);
	CHECK(!jint(jget(v, "f"), &n));
	CHECK(!jint(jget(v, "big"), &n));
	CHECK(!jint(jget(v, "s"), &n));
	CHECK(jnum(jget(v, "f"), &d) && d == 2.5);
	CHECK(jnum(jget(v, "i"), &d) && d == -3);
	CHECK(!jnum(jget(v, "t"), &d));
	CHECK_EQ_INT(jtype(jget(v, "t")), JT_TRUE);
	CHECK_EQ_INT(jtype(jget(v, "n")), JT_NULL);
	CHECK_EQ_INT(jtype(NULL), JT_NULL);
	CHECK_EQ_INT(jlen(jget(v, "a")), 2);
	CHECK_EQ_INT(jlen(jget(v, "o")), 0);
	CHECK_EQ_STR(jstr(jat(jget(v, "a"), 1)), "x");
	CHECK(jat(jget(v, "a"), 2) == NULL);
	/* Members come in the order they were written. */
	for (it = jiter(jget(v, "o")); it != NULL && k < 2;
	    it = jnext(jget(v, "o"), it))
		keys[k++] = jiter_key(it);
	CHECK_EQ_INT(k, 2);
	if (k == 2) {
		CHECK_EQ_STR(keys[0], "k");
		CHECK_EQ_STR(keys[1], "j");
	}
	CHECK(jiter(jget(v, "a")) == NULL);
	it = jiter(jget(v, "o"));
	CHECK(it != NULL && jtype(jiter_value(it)) == JT_INTEGER);
	/* jdump: one compact line, in order; jref shares the value. */
	text = jdump(jget(v, "o"), &len);
	CHECK_EQ_STR(text, "{\"k\":1,\"j\":2}");
	CHECK_EQ_INT(len, 13);
	free(text);
	copy = jref(jget(v, "a"));
	CHECK(jequal(copy, jget(v, "a")));
	CHECK(!jequal(copy, jget(v, "o")));
	jfree(v);
	CHECK_EQ_INT(jlen(copy), 2);
	jfree(copy);
	v = jobj();
	jset(v, "s", jstring("a\xFF"));
	jset(v, "b", jbool(false));
	text = jdump(v, NULL);
	CHECK_EQ_STR(text, "{\"s\":\"a" FFFD "\",\"b\":false}");
	free(text);
	jfree(v);
}

int
main(void)
{
	test_normalize();
	test_time();
	test_job_full();
	test_job_sparse();
	test_job_context();
	test_error();
	test_parse();
	test_read();
	return unit_done();
}
