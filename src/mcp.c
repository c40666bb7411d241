/*
 * The MCP tools as the CLI: one table says, for each tool, which command it
 * runs and what each argument becomes on that command's line. The same
 * table gives tools/list its schemas, so the two cannot disagree; the bats
 * suite checks that every option named here is one the command has.
 */
#include "mcp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd.h"
#include "duration.h"
#include "json.h"

/* What an argument is, and so its schema and its place on the line. */
enum arg_kind {
	A_OPERAND,	/* a string: the command's operand (a REF, a NAME) */
	A_OPERANDS,	/* strings: operands */
	A_FLAG,		/* a boolean: --option when true */
	A_STRING,	/* a string: --option=VALUE */
	A_STRINGS,	/* strings: --option=VALUE for each */
	A_INT,		/* an integer: --option=N */
	A_DURATION,	/* "30s" or a number of seconds: --option=DUR */
	A_ENV,		/* an object of strings: --option=NAME=VALUE each */
	A_JSON,		/* any JSON: --option=TEXT */
	A_COMMAND,	/* job_run's shell line: its one operand */
	A_ARGV,		/* job_run's words: -- WORDS... */
};

struct arg {
	const char *name;	/* snake_case; NULL ends a table */
	enum arg_kind kind;
	const char *description;
	const char *const *values;	/* the only strings allowed, or NULL */
	const char *dflt;	/* the option's value when not given, or NULL */
	bool required;
};

/* How the command's --json output becomes structuredContent. */
enum shape {
	S_OBJECT,	/* as printed */
	S_JOBS,		/* {"jobs": [...]}, from an object or an array */
	S_QUEUES,	/* {"queues": [...]}, likewise */
	S_WAIT,		/* {"jobs", "timed_out", "ready"} */
};

#define H_READ_ONLY	0x1	/* changes nothing: a cancel may end it */
#define H_DESTRUCTIVE	0x2
#define H_IDEMPOTENT	0x4
#define H_OPEN_WORLD	0x8	/* runs what it is given */
#define H_BLOCKS	0x10	/* may wait long */

struct mcp_tool {
	const char *name;
	const char *title;
	const char *command;	/* the CLI's */
	const char *description;
	const struct arg *args;
	enum shape shape;
	int hints;
};

static const char *const statuses[] = { "pending", "running", "completed",
	"failed", "stopped", "interrupted", NULL };

#define REF_TEXT "a job's name, its id, or a unique prefix of the id"
#define DUR_TEXT "like \"500ms\", \"30s\", \"5m\", \"1h30m\", or a " \
	"number of seconds"

static const struct arg run_args[] = {
	{ "command", A_COMMAND, "The shell line to run with /bin/sh -c "
	  "(pipes, && and redirections work). Give this or argv.",
	  NULL, NULL, false },
	{ "argv", A_ARGV, "The program and its arguments, run exactly as "
	  "given, with no shell. Give this or command.", NULL, NULL, false },
	{ "name", A_STRING, "A name for the job, unique among the project's "
	  "active jobs; the other tools take it as ref.", NULL, NULL, false },
	{ "key", A_STRING, "Idempotency key: when a job of this project "
	  "already has this key, that job is returned and nothing starts.",
	  NULL, NULL, false },
	{ "cwd", A_STRING, "The folder to run in (default: the client's "
	  "first root, else the server's folder).", NULL, NULL, false },
	{ "env", A_ENV, "Variables to add to the job's environment, as "
	  "{\"NAME\": \"value\"}.", NULL, NULL, false },
	{ "timeout", A_DURATION, "Stop the job after this long, " DUR_TEXT
	  "; it then fails with reason timeout.", NULL, NULL, false },
	{ "grace", A_DURATION, "How long a stop waits between SIGTERM and "
	  "SIGKILL (default \"5s\").", NULL, NULL, false },
	{ "context", A_JSON, "Any JSON value to keep in the job's record.",
	  NULL, NULL, false },
	{ "queue", A_STRING, "A named queue to run in: the queue runs at most "
	  "its parallel limit of jobs at once, the others stay pending.",
	  NULL, NULL, false },
	{ "after", A_STRINGS, "Jobs (refs) that must all complete "
	  "successfully before this one starts; if one fails, this one fails "
	  "without running.", NULL, NULL, false },
	{ "after_end", A_STRINGS, "Jobs (refs) that must all have ended, "
	  "whatever their status, before this one starts.", NULL, NULL,
	  false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg list_args[] = {
	{ "all", A_FLAG, "Jobs of every project, not only this one's.", NULL,
	  NULL, false },
	{ "status", A_STRINGS, "Only jobs with one of these statuses.",
	  statuses, NULL, false },
	{ "name", A_STRING, "Only jobs with this name.", NULL, NULL, false },
	{ "limit", A_INT, "At most this many jobs, newest first (default 50; "
	  "0: no limit).", NULL, NULL, false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg status_args[] = {
	{ "ref", A_OPERAND, "The job: " REF_TEXT ".", NULL, NULL, true },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

#define LOGS_MAX "65536"

static const struct arg logs_args[] = {
	{ "ref", A_OPERAND, "The job: " REF_TEXT ".", NULL, NULL, true },
	{ "since", A_INT, "Start at this byte offset: the next_offset of the "
	  "previous read, so nothing is read twice.", NULL, NULL, false },
	{ "max_bytes", A_INT, "At most this many bytes of log (default "
	  LOGS_MAX "); truncated is true when more is there.", NULL, LOGS_MAX,
	  false },
	{ "tail", A_INT, "Only the last N lines (omitted_lines says how many "
	  "were left out).", NULL, NULL, false },
	{ "head", A_INT, "Only the first N lines.", NULL, NULL, false },
	{ "plain", A_FLAG, "Drop colours and other escapes, and keep only the "
	  "final state of lines redrawn with carriage returns.", NULL, NULL,
	  false },
	{ "grep", A_STRING, "Only lines matching this POSIX extended regular "
	  "expression, as \"N:line\".", NULL, NULL, false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg wait_args[] = {
	{ "ref", A_OPERAND, "The job to wait for: " REF_TEXT ". Give this or "
	  "refs.", NULL, NULL, false },
	{ "refs", A_OPERANDS, "Several jobs to wait for (all of them, or the "
	  "first with any).", NULL, NULL, false },
	{ "timeout", A_DURATION, "Give up after this long, " DUR_TEXT
	  " (default \"30s\"); the result then has timed_out true and the "
	  "jobs still running.", NULL, "30s", false },
	{ "until", A_STRING, "Return once a line of the job's output matches "
	  "this POSIX extended regular expression (lines printed before the "
	  "wait count); ready tells whether one did.", NULL, NULL, false },
	{ "port", A_INT, "Return once this TCP port (1-65535) accepts "
	  "connections; ready tells whether it did.", NULL, NULL, false },
	{ "host", A_STRING, "The host for port (default: 127.0.0.1 and ::1).",
	  NULL, NULL, false },
	{ "any", A_FLAG, "With refs: return when the first of the jobs ends.",
	  NULL, NULL, false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg stop_args[] = {
	{ "ref", A_OPERAND, "The job to stop: " REF_TEXT ". Give this or "
	  "refs.", NULL, NULL, false },
	{ "refs", A_OPERANDS, "Several jobs to stop.", NULL, NULL, false },
	{ "signal", A_STRING, "The first signal instead of SIGTERM, e.g. "
	  "\"INT\" or \"HUP\".", NULL, NULL, false },
	{ "grace", A_DURATION, "How long to wait after the first signal "
	  "before SIGKILL, " DUR_TEXT " (default: the job's grace, 5s).",
	  NULL, NULL, false },
	{ "force", A_FLAG, "SIGKILL at once.", NULL, NULL, false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg retry_args[] = {
	{ "ref", A_OPERAND, "The job to start again: " REF_TEXT ".", NULL,
	  NULL, true },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct arg queue_args[] = {
	{ "name", A_OPERAND, "One queue (it is created if it does not "
	  "exist); without it, every queue.", NULL, NULL, false },
	{ "parallel", A_INT, "Set how many of the queue's jobs may run at "
	  "once (at least 1).", NULL, NULL, false },
	{ "pause", A_FLAG, "Start no new job of the queue (running ones go "
	  "on).", NULL, NULL, false },
	{ "resume", A_FLAG, "Undo pause.", NULL, NULL, false },
	{ NULL, A_FLAG, NULL, NULL, NULL, false },
};

static const struct mcp_tool tools[] = {
	{ "job_run", "Start a background job", "run",
	  "Start a command in the background, detached, and return its job "
	  "record at once (status \"running\", or \"pending\" when it waits "
	  "for a queue or other jobs). Its output goes to a log (job_logs) "
	  "and its exit status is recorded. Use it for anything that may not "
	  "finish quickly or must keep running: dev servers, watchers, "
	  "builds, test suites, installs. Give a name to refer to it later; "
	  "then job_wait for it to end or be ready. A job that fails is a "
	  "normal result: read its status and exit_code.",
	  run_args, S_OBJECT, H_OPEN_WORLD },
	{ "job_list", "List jobs", "list",
	  "List the project's jobs, newest first, as {\"jobs\": [...]}: "
	  "each with id, name, command, status (pending, running, completed, "
	  "failed, stopped, interrupted), exit_code and times.",
	  list_args, S_JOBS, H_READ_ONLY },
	{ "job_status", "Show a job", "status",
	  "Show one job's whole record: status, reason, exit_code, signal, "
	  "times, duration, log path and size, and its live processes.",
	  status_args, S_OBJECT, H_READ_ONLY },
	{ "job_logs", "Read a job's output", "logs",
	  "Read a job's output (stdout and stderr interleaved) as {data, "
	  "offset, next_offset, size, eof, truncated}. To read only what is "
	  "new, pass the next_offset of the previous read as since. eof is "
	  "true once the job ended and everything was read. At most max_bytes "
	  "(64 KiB) a call: use tail, grep or since to read less.",
	  logs_args, S_OBJECT, H_READ_ONLY },
	{ "job_wait", "Wait for jobs", "wait",
	  "Wait until jobs end, or until a job is ready (until: a line of "
	  "its output matches; port: a TCP port accepts connections), for at "
	  "most timeout (default 30s). Returns {\"jobs\": [...], "
	  "\"timed_out\": bool, \"ready\": bool or null}. A timeout is a "
	  "normal result: the jobs still show running, and you may wait "
	  "again.",
	  wait_args, S_WAIT, H_READ_ONLY | H_BLOCKS },
	{ "job_stop", "Stop jobs", "stop",
	  "Stop jobs and every process in them (SIGTERM, then SIGKILL after "
	  "the grace period), and return their records as {\"jobs\": [...]} "
	  "once every process is gone. Use it rather than kill.",
	  stop_args, S_JOBS, H_DESTRUCTIVE | H_IDEMPOTENT },
	{ "job_retry", "Start a job again", "retry",
	  "Start a job again with what it was given (command, name, folder, "
	  "timeout, env, context) and return the new job's record; its "
	  "retry_of is the original's id.",
	  retry_args, S_OBJECT, H_OPEN_WORLD },
	{ "job_queue", "Show or set queues", "queue",
	  "Show the queues as {\"queues\": [{name, parallel, running, "
	  "pending, paused}]}, or one queue by name; with parallel, pause or "
	  "resume, change that queue first.",
	  queue_args, S_QUEUES, H_IDEMPOTENT },
};

#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

/* The revisions answered as asked; any other gets the first. */
static const char *const protocols[] = { "2025-11-25", "2025-06-18",
	"2025-03-26", "2024-11-05" };

const char *
mcp_protocol(const char *requested)
{
	size_t i;

	for (i = 0; requested != NULL && i < 4; i++)
		if (strcmp(requested, protocols[i]) == 0)
			return protocols[i];
	return protocols[0];
}

const struct mcp_tool *
mcp_tool_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < NTOOLS; i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	return NULL;
}

static struct jval *
string_schema(const struct arg *a)
{
	struct jval *s = jobj(), *e;
	const char *const *v;

	jset_str(s, "type", "string");
	if (a->values != NULL) {
		e = jarr();
		for (v = a->values; *v != NULL; v++)
			jpush_str(e, *v);
		jset(s, "enum", e);
	}
	return s;
}

static struct jval *
arg_schema(const struct arg *a)
{
	struct jval *s = jobj();

	switch (a->kind) {
	case A_OPERANDS:
	case A_STRINGS:
	case A_ARGV:
		jset_str(s, "type", "array");
		jset(s, "items", string_schema(a));
		break;
	case A_FLAG:
		jset_str(s, "type", "boolean");
		break;
	case A_INT:
		jset_str(s, "type", "integer");
		break;
	case A_ENV: {
		struct jval *str = jobj();
		jset_str(str, "type", "string");
		jset_str(s, "type", "object");
		jset(s, "additionalProperties", str);
		break;
	}
	case A_JSON:
		break;
	default:
		/* A duration is declared a string, which every host's schema
		 * dialect takes; a number of seconds is accepted too. */
		jfree(s);
		s = string_schema(a);
		break;
	}
	jset_str(s, "description", a->description);
	return s;
}

static struct jval *
tool_json(const struct mcp_tool *t)
{
	struct jval *o = jobj(), *schema = jobj(), *props = jobj();
	struct jval *required = jarr(), *ann = jobj();
	const struct arg *a;

	for (a = t->args; a->name != NULL; a++) {
		jset(props, a->name, arg_schema(a));
		if (a->required)
			jpush_str(required, a->name);
	}
	jset_str(schema, "type", "object");
	jset(schema, "properties", props);
	if (jlen(required) > 0)
		jset(schema, "required", required);
	else
		jfree(required);
	jset_bool(schema, "additionalProperties", false);
	jset_str(ann, "title", t->title);
	jset_bool(ann, "readOnlyHint", (t->hints & H_READ_ONLY) != 0);
	if (!(t->hints & H_READ_ONLY)) {
		jset_bool(ann, "destructiveHint",
		    (t->hints & H_DESTRUCTIVE) != 0);
		jset_bool(ann, "idempotentHint",
		    (t->hints & H_IDEMPOTENT) != 0);
	}
	jset_bool(ann, "openWorldHint", (t->hints & H_OPEN_WORLD) != 0);
	jset_str(o, "name", t->name);
	jset_str(o, "title", t->title);
	jset_str(o, "description", t->description);
	jset(o, "inputSchema", schema);
	jset(o, "annotations", ann);
	return o;
}

struct jval *
mcp_tools_json(void)
{
	struct jval *a = jarr();
	size_t i;

	for (i = 0; i < NTOOLS; i++)
		jpush(a, tool_json(&tools[i]));
	return a;
}

/* The growing argv of a stage. */
struct line {
	char **v;
	int n, cap;
	bool failed;		/* out of memory */
};

/* Appends a copy of "prefix" and "s" joined (either may be ""). */
static void
add(struct line *l, const char *prefix, const char *s)
{
	char *w;

	if (l->failed)
		return;
	if (l->n + 2 > l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (v == NULL) {
			l->failed = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	w = malloc(strlen(prefix) + strlen(s) + 1);
	if (w == NULL) {
		l->failed = true;
		return;
	}
	strcpy(stpcpy(w, prefix), s);
	l->v[l->n++] = w;
	l->v[l->n] = NULL;
}

static void
line_free(struct line *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* "--max-bytes=" for max_bytes. */
static void
option_prefix(const char *name, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "--%s=", name);
	for (i = 2; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

static int
bad_type(const struct mcp_tool *t, const struct arg *a, const char *what,
    struct err *e)
{
	return err_set(e, ERR_USAGE, "argument '%s' of %s must be %s",
	    a->name, t->name, what);
}

static bool
allowed(const struct arg *a, const char *s)
{
	const char *const *v;

	if (a->values == NULL)
		return true;
	for (v = a->values; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* An array of strings, each allowed; adds prefix+string for each. */
static int
add_strings(struct line *l, const struct mcp_tool *t, const struct arg *a,
    const struct jval *v, const char *prefix, struct err *e)
{
	size_t i;

	if (jtype(v) != JT_ARRAY)
		return bad_type(t, a, "an array of strings", e);
	for (i = 0; i < jlen(v); i++) {
		const char *s = jstr(jat(v, i));

		if (s == NULL)
			return bad_type(t, a, "an array of strings", e);
		if (!allowed(a, s))
			return err_set(e, ERR_USAGE, "'%s' in argument '%s' "
			    "of %s is not one of its values", s, a->name,
			    t->name);
		add(l, prefix, s);
	}
	return 0;
}

/*
 * A duration: the CLI's string as it is, or seconds (a number, or a
 * string of one: models write "30" for a string) made milliseconds.
 */
static int
add_duration(struct line *l, const struct mcp_tool *t, const struct arg *a,
    const struct jval *v, const char *prefix, struct err *e)
{
	const char *str = jstr(v);
	char buf[32], *end;
	double secs;

	if (str != NULL && (str[0] == '\0' || strspn(str, "0123456789.") !=
	    strlen(str) || (secs = strtod(str, &end), *end != '\0'))) {
		add(l, prefix, str);
		return 0;
	}
	if (str == NULL && !jnum(v, &secs))
		return bad_type(t, a, "a duration such as \"30s\" or a number "
		    "of seconds", e);
	if (!(secs >= 0 && secs <= (double)DURATION_MAX_MS / 1000))
		return err_set(e, ERR_USAGE, "bad duration %g for '%s' of %s: "
		    "seconds from 0 to %lld", secs, a->name, t->name,
		    (long long)(DURATION_MAX_MS / 1000));
	snprintf(buf, sizeof(buf), "%lldms", (long long)llround(secs * 1000));
	add(l, prefix, buf);
	return 0;
}

static int
add_env(struct line *l, const struct mcp_tool *t, const struct arg *a,
    const struct jval *v, const char *prefix, struct err *e)
{
	void *it;

	if (jtype(v) != JT_OBJECT)
		return bad_type(t, a, "an object of strings", e);
	for (it = jiter(v); it != NULL; it = jnext(v, it)) {
		const char *val = jstr(jiter_value(it));
		char *kv;

		if (val == NULL)
			return bad_type(t, a, "an object of strings", e);
		/* The CLI would take "A=B": "x" for A set to "B=x". */
		if (strchr(jiter_key(it), '=') != NULL)
			return err_set(e, ERR_USAGE, "bad variable name '%s' in "
			    "argument '%s' of %s", jiter_key(it), a->name,
			    t->name);
		kv = malloc(strlen(jiter_key(it)) + strlen(val) + 2);
		if (kv == NULL)
			return err_set(e, ERR_IO, "out of memory");
		sprintf(kv, "%s=%s", jiter_key(it), val);
		add(l, prefix, kv);
		free(kv);
	}
	return 0;
}

/* One option's words, from its JSON value. */
static int
add_option(struct line *l, const struct mcp_tool *t, const struct arg *a,
    const struct jval *v, struct err *e)
{
	char prefix[64];
	int64_t n;
	char buf[32], *text;

	option_prefix(a->name, prefix, sizeof(prefix));
	switch (a->kind) {
	case A_FLAG:
		if (jtype(v) != JT_TRUE && jtype(v) != JT_FALSE)
			return bad_type(t, a, "true or false", e);
		prefix[strlen(prefix) - 1] = '\0';
		if (jtype(v) == JT_TRUE)
			add(l, "", prefix);
		return 0;
	case A_STRING:
		if (jstr(v) == NULL || !allowed(a, jstr(v)))
			return bad_type(t, a, "a string", e);
		add(l, prefix, jstr(v));
		return 0;
	case A_STRINGS:
		return add_strings(l, t, a, v, prefix, e);
	case A_INT:
		if (!jint(v, &n))
			return bad_type(t, a, "an integer", e);
		snprintf(buf, sizeof(buf), "%lld", (long long)n);
		add(l, prefix, buf);
		return 0;
	case A_DURATION:
		return add_duration(l, t, a, v, prefix, e);
	case A_ENV:
		return add_env(l, t, a, v, prefix, e);
	case A_JSON:
		if ((text = jdump(v, NULL)) == NULL)
			return err_set(e, ERR_IO, "out of memory");
		add(l, prefix, text);
		free(text);
		return 0;
	default:
		return 0;
	}
}

static const struct arg *
find_arg(const struct mcp_tool *t, const char *name)
{
	const struct arg *a;

	for (a = t->args; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The argument, or NULL when absent; null counts as absent. */
static const struct jval *
given(const struct jval *args, const char *name)
{
	const struct jval *v = jget(args, name);

	return jtype(v) == JT_NULL ? NULL : v;
}

/* Every argument is one of the tool's. */
static int
check_names(const struct mcp_tool *t, const struct jval *args,
    struct err *e)
{
	const struct arg *a;
	void *it;
	char names[512];
	size_t o = 0;

	for (it = jiter(args); it != NULL; it = jnext(args, it))
		if (find_arg(t, jiter_key(it)) == NULL)
			break;
	if (it == NULL)
		return 0;
	names[0] = '\0';
	for (a = t->args; a->name != NULL && o < sizeof(names); a++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
		    a == t->args ? "" : ", ", a->name);
	return err_set(e, ERR_USAGE, "unknown argument '%s' of %s: it takes "
	    "%s", jiter_key(it), t->name, names);
}

/* Which of two arguments gives what the tool needs: exactly one. */
static int
one_of(const struct mcp_tool *t, const struct jval *args, const char *x,
    const char *y, const char *what, struct err *e)
{
	bool has_x = given(args, x) != NULL, has_y = given(args, y) != NULL;

	if (has_x && has_y)
		return err_set(e, ERR_USAGE, "%s takes %s or %s, not both",
		    t->name, x, y);
	if (!has_x && !has_y)
		return err_set(e, ERR_USAGE, "no %s given: %s takes %s or %s",
		    what, t->name, x, y);
	return 0;
}

/* The operands, after "--" so that none is taken for an option. */
static int
add_operands(struct line *l, const struct mcp_tool *t,
    const struct jval *args, struct err *e)
{
	const struct arg *a;
	bool dashdash = false;

	for (a = t->args; a->name != NULL; a++) {
		const struct jval *v = given(args, a->name);

		if (v == NULL && a->required)
			return err_set(e, ERR_USAGE, "argument '%s' of %s is "
			    "required", a->name, t->name);
		if (v == NULL || (a->kind != A_OPERAND &&
		    a->kind != A_OPERANDS && a->kind != A_ARGV &&
		    a->kind != A_COMMAND))
			continue;
		if (a->kind == A_COMMAND) {
			/* One word, no "--": a shell line. */
			if (jstr(v) == NULL)
				return bad_type(t, a, "a string", e);
			add(l, "", jstr(v));
			continue;
		}
		if (!dashdash)
			add(l, "", "--");
		dashdash = true;
		if (a->kind == A_OPERAND) {
			if (jstr(v) == NULL)
				return bad_type(t, a, "a string", e);
			add(l, "", jstr(v));
		} else if (add_strings(l, t, a, v, "", e) < 0)
			return -1;
	}
	return 0;
}

int
mcp_call_init(struct mcp_call *c, const struct mcp_tool *t,
    const struct jval *args, struct err *e)
{
	const struct arg *a;
	struct line l;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	c->tool = t;
	c->read_only = (t->hints & H_READ_ONLY) != 0;
	c->blocks = (t->hints & H_BLOCKS) != 0;
	c->ready = -1;
	if (args != NULL && jtype(args) != JT_OBJECT)
		return err_set(e, ERR_USAGE, "the arguments of %s must be an "
		    "object", t->name);
	if (check_names(t, args, e) < 0)
		return -1;
	if (strcmp(t->name, "job_run") == 0 &&
	    one_of(t, args, "command", "argv", "command", e) < 0)
		return -1;
	if ((strcmp(t->name, "job_wait") == 0 ||
	    strcmp(t->name, "job_stop") == 0) &&
	    one_of(t, args, "ref", "refs", "job", e) < 0)
		return -1;
	add(&l, "", "job");
	add(&l, "", "--json");
	add(&l, "", t->command);
	for (a = t->args; a->name != NULL; a++) {
		const struct jval *v = given(args, a->name);
		char prefix[64];

		if (v == NULL && a->dflt != NULL) {
			option_prefix(a->name, prefix, sizeof(prefix));
			add(&l, prefix, a->dflt);
		} else if (v != NULL && add_option(&l, t, a, v, e) < 0)
			goto fail;
	}
	if (add_operands(&l, t, args, e) < 0)
		goto fail;
	if (l.failed) {
		err_set(e, ERR_IO, "out of memory");
		goto fail;
	}
	if (t->shape == S_WAIT && (given(args, "until") != NULL ||
	    given(args, "port") != NULL))
		c->ready = 0;
	c->argv = l.v;
	c->argc = l.n;
	return 0;
fail:
	line_free(&l);
	return -1;
}

void
mcp_call_free(struct mcp_call *c)
{
	struct line l = { c->argv, c->argc, c->argc, false };

	line_free(&l);
	c->argv = NULL;
	c->argc = 0;
}

static struct jval *
tool_result(struct jval *content, bool is_error)
{
	struct jval *r = jobj(), *items = jarr(), *item = jobj();
	char *text = jdump(content, NULL);

	jset_str(item, "type", "text");
	jset_str(item, "text", text != NULL ? text : "");
	free(text);
	jpush(items, item);
	jset(r, "content", items);
	jset(r, "structuredContent", content);
	jset_bool(r, "isError", is_error);
	return r;
}

struct jval *
mcp_tool_error(const struct err *e)
{
	return tool_result(json_error(e), true);
}

/* {"key": [v]} or {"key": v} for an array v; takes v. */
static struct jval *
wrap_list(const char *key, struct jval *v)
{
	struct jval *o = jobj();

	if (jtype(v) != JT_ARRAY) {
		struct jval *a = jarr();
		jpush(a, v);
		v = a;
	}
	jset(o, key, v);
	return o;
}

/*
 * The error a worker reported: its last stderr line that is a JSON error
 * object (notes may come before it), or one made from how it ended.
 */
static struct jval *
worker_error(const struct mcp_call *c, const char *errtext, size_t errlen,
    int wstatus)
{
	struct err e;
	size_t end = errlen, start;
	int n;

	while (end > 0) {
		struct jval *v;

		while (end > 0 && errtext[end - 1] == '\n')
			end--;
		for (start = end; start > 0 && errtext[start - 1] != '\n';
		    start--)
			;
		v = jparse(errtext + start, end - start, NULL);
		if (v != NULL && jtype(jget(v, "error")) == JT_OBJECT)
			return tool_result(v, true);
		jfree(v);
		end = start;
	}
	while (errlen > 0 && errtext[errlen - 1] == '\n')
		errlen--;
	n = errlen > 800 ? 800 : (int)errlen;
	if (WIFEXITED(wstatus))
		err_set(&e, ERR_IO, "job %s exited %d without an answer%s%.*s",
		    c->argv[2], WEXITSTATUS(wstatus), n > 0 ? ": " : "", n,
		    errtext + errlen - n);
	else
		err_set(&e, ERR_IO, "job %s was killed by signal %d%s%.*s",
		    c->argv[2], WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0,
		    n > 0 ? ": " : "", n, errtext + errlen - n);
	return mcp_tool_error(&e);
}

/* Sets c up for the record of the job that job_wait --until/--port saw. */
static int
next_stage(struct mcp_call *c, const char *id)
{
	struct line l;

	memset(&l, 0, sizeof(l));
	add(&l, "", "job");
	add(&l, "", "--json");
	add(&l, "", "status");
	add(&l, "", "--");
	add(&l, "", id);
	if (l.failed) {
		line_free(&l);
		return -1;
	}
	mcp_call_free(c);
	c->argv = l.v;
	c->argc = l.n;
	c->stage++;
	return 0;
}

/* job_wait's result from a stage's output; NULL when a stage follows. */
static struct jval *
wait_result(struct mcp_call *c, struct jval *v, int wstatus)
{
	struct jval *o;

	if (c->stage == 0) {
		c->timed_out = WIFEXITED(wstatus) &&
		    WEXITSTATUS(wstatus) == EXIT_STILL_RUNNING;
		if (c->ready >= 0) {
			struct jval *r = jget(v, "matched");
			const char *id = jstr(jget(v, "id"));

			if (r == NULL)
				r = jget(v, "ready");
			c->ready = jtype(r) == JT_TRUE;
			/* The wait said only id and status: the record
			 * comes from the next stage. */
			if (id != NULL && next_stage(c, id) == 0) {
				jfree(v);
				return NULL;
			}
		}
	}
	o = wrap_list("jobs", v);
	jset_bool(o, "timed_out", c->timed_out);
	if (c->ready >= 0)
		jset_bool(o, "ready", c->ready == 1);
	else
		jset_null(o, "ready");
	return o;
}

struct jval *
mcp_call_done(struct mcp_call *c, const char *out, size_t outlen,
    const char *errtext, size_t errlen, int wstatus)
{
	struct jval *v = outlen > 0 ? jparse(out, outlen, NULL) : NULL;

	/* An answer on stdout is the result, whatever the exit status:
	 * wait exits with the job's status. */
	if (v == NULL || (jtype(v) != JT_OBJECT && jtype(v) != JT_ARRAY)) {
		jfree(v);
		return worker_error(c, errtext, errlen, wstatus);
	}
	switch (c->tool->shape) {
	case S_JOBS:
		v = wrap_list("jobs", v);
		break;
	case S_QUEUES:
		v = wrap_list("queues", v);
		break;
	case S_WAIT:
		if ((v = wait_result(c, v, wstatus)) == NULL)
			return NULL;
		break;
	default:
		break;
	}
	return tool_result(v, false);
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mcp_uri_path(const char *uri, char *buf, size_t len)
{
	const char *p;
	size_t o = 0;

	if (strncmp(uri, "file://", 7) != 0)
		return -1;
	p = uri + 7;
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return -1;
	for (; *p != '\0' && *p != '?' && *p != '#'; p++) {
		char c = *p;

		if (c == '%') {
			int hi = hex(p[1]), lo = hi < 0 ? -1 : hex(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		if (o + 1 >= len)
			return -1;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return 0;
}
