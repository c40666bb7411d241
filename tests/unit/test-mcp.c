/*
 * Tests src/mcp.c: the revision answered, the tools' schemas, the argv each
 * tool call becomes, the result made of what a worker printed (job_wait's
 * two stages included) and file:// roots.
 */
#include "mcp.h"

#include <stdlib.h>
#include <sys/wait.h>

#include "json.h"
#include "unit.h"

#define EXITED(n) ((n) << 8)	/* a wait status: exited with n */

static struct jval *
parse(const char *s)
{
	struct jval *v = jparse(s, strlen(s), NULL);

	CHECK(v != NULL);
	return v;
}

/* The call's argv as one line, words joined by '|'. */
static char *
joined(const struct mcp_call *c)
{
	static char buf[4096];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < c->argc; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? "|" : "", c->argv[i]);
	CHECK(c->argv[c->argc] == NULL);
	return buf;
}

/* tool(args) gives the argv want, or fails with a message holding want. */
static void
check_call(const char *tool, const char *args, const char *want)
{
	struct mcp_call c;
	struct jval *a = args != NULL ? parse(args) : NULL;
	struct err e;
	int rc;

	err_clear(&e);
	rc = mcp_call_init(&c, mcp_tool_find(tool), a, &e);
	if (strncmp(want, "job|", 4) == 0) {
		if (CHECK_EQ_INT(rc, 0))
			CHECK_EQ_STR(joined(&c), want);
		else
			fprintf(stderr, "  %s %s: %s\n", tool, args, e.msg);
		mcp_call_free(&c);
	} else if (CHECK_EQ_INT(rc, -1)) {
		CHECK_EQ_INT(e.code, ERR_USAGE);
		CHECK_CONTAINS(e.msg, want);
	}
	jfree(a);
}

static void
test_protocol(void)
{
	CHECK_EQ_STR(mcp_protocol("2025-11-25"), "2025-11-25");
	CHECK_EQ_STR(mcp_protocol("2025-06-18"), "2025-06-18");
	CHECK_EQ_STR(mcp_protocol("2025-03-26"), "2025-03-26");
	CHECK_EQ_STR(mcp_protocol("2024-11-05"), "2024-11-05");
	CHECK_EQ_STR(mcp_protocol("2099-01-01"), "2025-11-25");
	CHECK_EQ_STR(mcp_protocol(NULL), "2025-11-25");
}

static void
test_schemas(void)
{
	struct jval *tools = mcp_tools_json();
	size_t i;

	CHECK_EQ_INT(jlen(tools), 8);
	for (i = 0; i < jlen(tools); i++) {
		struct jval *t = jat(tools, i), *s = jget(t, "inputSchema");
		const char *name = jstr(jget(t, "name"));

		CHECK(mcp_tool_find(name) != NULL);
		CHECK_EQ_STR(jstr(jget(s, "type")), "object");
		CHECK(jget(s, "anyOf") == NULL && jget(s, "oneOf") == NULL);
		CHECK_EQ_INT(jtype(jget(s, "properties")), JT_OBJECT);
		CHECK_EQ_INT(jtype(jget(s, "additionalProperties")), JT_FALSE);
		CHECK(strlen(jstr(jget(t, "description"))) > 60);
		CHECK(jget(t, "outputSchema") == NULL);
		CHECK_EQ_INT(jtype(jget(jget(t, "annotations"),
		    "readOnlyHint")), strstr("job_list job_status job_logs "
		    "job_wait", name) != NULL ? JT_TRUE : JT_FALSE);
	}
	CHECK_EQ_INT(jtype(jget(jget(jat(tools, 5), "annotations"),
	    "destructiveHint")), JT_TRUE);
	CHECK(mcp_tool_find("job_nope") == NULL);
	CHECK(mcp_tool_find(NULL) == NULL);
	jfree(tools);
}

static void
test_argv(void)
{
	check_call("job_list", NULL, "job|--json|list");
	check_call("job_list", "{\"all\":true,\"status\":[\"failed\","
	    "\"stopped\"],\"name\":\"-x\",\"limit\":5.0}",
	    "job|--json|list|--all|--status=failed|--status=stopped|"
	    "--name=-x|--limit=5");
	check_call("job_list", "{\"all\":false,\"limit\":null}",
	    "job|--json|list");
	check_call("job_status", "{\"ref\":\"-web\"}",
	    "job|--json|status|--|-web");
	check_call("job_logs", "{\"ref\":\"a\",\"since\":10,\"tail\":3,"
	    "\"plain\":true,\"grep\":\"err\"}", "job|--json|logs|--since=10|"
	    "--max-bytes=65536|--tail=3|--plain|--grep=err|--|a");
	check_call("job_logs", "{\"ref\":\"a\",\"max_bytes\":7}",
	    "job|--json|logs|--max-bytes=7|--|a");
	check_call("job_wait", "{\"ref\":\"a\"}",
	    "job|--json|wait|--timeout=30s|--|a");
	check_call("job_wait", "{\"refs\":[\"a\",\"b\"],\"any\":true,"
	    "\"timeout\":1.5}",
	    "job|--json|wait|--timeout=1500ms|--any|--|a|b");
	check_call("job_wait", "{\"ref\":\"a\",\"until\":\"ready\","
	    "\"timeout\":0}", "job|--json|wait|--timeout=0ms|--until=ready|"
	    "--|a");
	check_call("job_stop", "{\"ref\":\"a\",\"signal\":\"INT\","
	    "\"grace\":\"2s\",\"force\":true}", "job|--json|stop|"
	    "--signal=INT|--grace=2s|--force|--|a");
	check_call("job_retry", "{\"ref\":\"a\"}", "job|--json|retry|--|a");
	check_call("job_queue", NULL, "job|--json|queue");
	check_call("job_queue", "{\"name\":\"gpu\",\"parallel\":2,"
	    "\"pause\":true}", "job|--json|queue|--parallel=2|--pause|--|gpu");
	/* A shell line is the one word, never after "--" (an argv). */
	check_call("job_run", "{\"command\":\"npm test && x\",\"name\":\"t\","
	    "\"env\":{\"A\":\"1\",\"B\":\"x=y\"},\"context\":{\"k\":[1]},"
	    "\"timeout\":\"10m\",\"grace\":2,\"cwd\":\"sub\"}",
	    "job|--json|run|--name=t|--cwd=sub|--env=A=1|--env=B=x=y|"
	    "--timeout=10m|--grace=2000ms|--context={\"k\":[1]}|"
	    "npm test && x");
	check_call("job_run", "{\"argv\":[\"ls\",\"--name\",\"\"],"
	    "\"queue\":\"q\",\"after\":[\"a\",\"b\"],\"after_end\":[\"c\"],"
	    "\"key\":\"k\"}", "job|--json|run|--key=k|--queue=q|--after=a|"
	    "--after=b|--after-end=c|--|ls|--name|");
	check_call("job_wait", "{\"ref\":\"a\",\"timeout\":\"2.5\"}",
	    "job|--json|wait|--timeout=2500ms|--|a");
	check_call("job_wait", "{\"ref\":\"a\",\"timeout\":\"1.2.3\"}",
	    "job|--json|wait|--timeout=1.2.3|--|a");
	check_call("job_wait", "{\"ref\":\"a\",\"timeout\":\"\"}",
	    "job|--json|wait|--timeout=|--|a");
	check_call("job_run", "{\"command\":\"x\",\"env\":{\"A=B\":\"x\"}}",
	    "bad variable name 'A=B'");
	check_call("job_run", "{\"context\":\"text\",\"command\":\"x\"}",
	    "job|--json|run|--context=\"text\"|x");

	check_call("job_run", "{}", "no command given");
	check_call("job_run", "{\"command\":\"x\",\"argv\":[\"x\"]}",
	    "not both");
	check_call("job_run", "{\"command\":[\"x\"]}", "'command' of job_run "
	    "must be a string");
	check_call("job_run", "{\"argv\":[\"x\",1]}", "an array of strings");
	check_call("job_run", "{\"argv\":\"x\"}", "an array of strings");
	check_call("job_run", "{\"command\":\"x\",\"env\":{\"A\":1}}",
	    "an object of strings");
	check_call("job_run", "{\"command\":\"x\",\"timeout\":-1}",
	    "bad duration");
	check_call("job_run", "{\"command\":\"x\",\"timeout\":1e300}",
	    "bad duration");
	check_call("job_run", "{\"command\":\"x\",\"timeout\":true}",
	    "a duration");
	check_call("job_run", "{\"command\":\"x\",\"nmae\":\"y\"}",
	    "unknown argument 'nmae' of job_run: it takes command, argv, name");
	check_call("job_list", "{\"status\":[\"bogus\"]}",
	    "'bogus' in argument 'status'");
	check_call("job_list", "{\"all\":\"yes\"}", "true or false");
	check_call("job_list", "{\"limit\":2.5}", "an integer");
	check_call("job_list", "[]", "must be an object");
	check_call("job_status", "{}", "'ref' of job_status is required");
	check_call("job_status", "{\"ref\":null}", "is required");
	check_call("job_wait", "{}", "no job given: job_wait takes ref or "
	    "refs");
	check_call("job_stop", "{\"ref\":\"a\",\"refs\":[\"b\"]}",
	    "not both");
}

/* The structuredContent of a result, printed; NULL when none. */
static char *
content(struct jval *r, bool is_error)
{
	const char *text;
	char *s;

	if (!CHECK(r != NULL))
		return NULL;
	CHECK_EQ_INT(jtype(jget(r, "isError")), is_error ? JT_TRUE : JT_FALSE);
	s = jdump(jget(r, "structuredContent"), NULL);
	/* The text item says the same. */
	text = jstr(jget(jat(jget(r, "content"), 0), "text"));
	CHECK_EQ_STR(text, s);
	CHECK_EQ_STR(jstr(jget(jat(jget(r, "content"), 0), "type")), "text");
	jfree(r);
	return s;
}

static struct jval *
done(struct mcp_call *c, const char *out, const char *err, int wstatus)
{
	return mcp_call_done(c, out, strlen(out), err, strlen(err), wstatus);
}

static void
start(struct mcp_call *c, const char *tool, const char *args)
{
	struct jval *a = parse(args);

	CHECK_EQ_INT(mcp_call_init(c, mcp_tool_find(tool), a, NULL), 0);
	jfree(a);
}

static void
test_results(void)
{
	struct mcp_call c;
	char *s;

	start(&c, "job_list", "{}");
	s = content(done(&c, "[{\"id\":\"A\"}]\n", "job: no jobs\n",
	    EXITED(0)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"A\"}]}");
	free(s);
	/* The error is the CLI's, even after a note on stderr. */
	s = content(done(&c, "", "job: note: x\n{\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"m\"}}\n", EXITED(1)), true);
	CHECK_EQ_STR(s, "{\"error\":{\"code\":\"not_found\",\"message\":"
	    "\"m\"}}");
	free(s);
	s = content(done(&c, "", "boom\n", EXITED(3)), true);
	CHECK_CONTAINS(s, "\"code\":\"io\"");
	CHECK_CONTAINS(s, "job list exited 3 without an answer: boom");
	free(s);
	s = content(done(&c, "[1", "", SIGKILL), true);
	CHECK_CONTAINS(s, "killed by signal 9");
	free(s);
	mcp_call_free(&c);

	start(&c, "job_stop", "{\"ref\":\"a\"}");
	s = content(done(&c, "{\"id\":\"A\"}", "", EXITED(0)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"A\"}]}");
	free(s);
	mcp_call_free(&c);

	start(&c, "job_queue", "{\"name\":\"q\"}");
	s = content(done(&c, "{\"name\":\"q\"}", "", EXITED(0)), false);
	CHECK_EQ_STR(s, "{\"queues\":[{\"name\":\"q\"}]}");
	free(s);
	mcp_call_free(&c);

	/* wait: the job's status is not an error; 75 is a timeout. */
	start(&c, "job_wait", "{\"ref\":\"a\"}");
	s = content(done(&c, "{\"id\":\"A\",\"status\":\"failed\"}", "",
	    EXITED(3)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"A\",\"status\":\"failed\"}],"
	    "\"timed_out\":false,\"ready\":null}");
	free(s);
	mcp_call_free(&c);
	start(&c, "job_wait", "{\"refs\":[\"a\",\"b\"]}");
	s = content(done(&c, "[{\"id\":\"A\"},{\"id\":\"B\"}]", "",
	    EXITED(75)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"A\"},{\"id\":\"B\"}],"
	    "\"timed_out\":true,\"ready\":null}");
	free(s);
	mcp_call_free(&c);

	/* until: the wait, then the record of the job it named. */
	start(&c, "job_wait", "{\"ref\":\"a\",\"until\":\"x\"}");
	CHECK(done(&c, "{\"id\":\"ID1\",\"matched\":true}", "", EXITED(0)) ==
	    NULL);
	CHECK_EQ_STR(joined(&c), "job|--json|status|--|ID1");
	s = content(done(&c, "{\"id\":\"ID1\",\"processes\":[]}", "",
	    EXITED(0)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"ID1\",\"processes\":[]}],"
	    "\"timed_out\":false,\"ready\":true}");
	free(s);
	mcp_call_free(&c);
	start(&c, "job_wait", "{\"ref\":\"a\",\"port\":80}");
	CHECK(done(&c, "{\"id\":\"ID2\",\"ready\":false}", "", EXITED(75)) ==
	    NULL);
	s = content(done(&c, "{\"id\":\"ID2\"}", "", EXITED(0)), false);
	CHECK_EQ_STR(s, "{\"jobs\":[{\"id\":\"ID2\"}],\"timed_out\":true,"
	    "\"ready\":false}");
	free(s);
	mcp_call_free(&c);
	/* An error in the first stage is the result. */
	start(&c, "job_wait", "{\"ref\":\"a\",\"until\":\"(\"}");
	s = content(done(&c, "", "{\"error\":{\"code\":\"usage\"}}",
	    EXITED(2)), true);
	CHECK_EQ_STR(s, "{\"error\":{\"code\":\"usage\"}}");
	free(s);
	mcp_call_free(&c);
}

static void
test_uri(void)
{
	char buf[64];

	CHECK_EQ_INT(mcp_uri_path("file:///home/u/My%20Project", buf,
	    sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/home/u/My Project");
	CHECK_EQ_INT(mcp_uri_path("file://localhost/a%2fb%C3%A9", buf,
	    sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/a/b\xC3\xA9");
	CHECK_EQ_INT(mcp_uri_path("file:///x?y#z", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/x");
	CHECK_EQ_INT(mcp_uri_path("file://host/x", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("https:///x", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("file://", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("file:///a%00b", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("file:///a%4", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("file:///a%zz", buf, sizeof(buf)), -1);
	CHECK_EQ_INT(mcp_uri_path("file:///0123456789", buf, 8), -1);
}

int
main(void)
{
	test_protocol();
	test_schemas();
	test_argv();
	test_results();
	test_uri();
	return unit_done();
}
