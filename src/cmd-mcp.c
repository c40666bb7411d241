/*
 * job mcp: the CLI as an MCP server over stdio. Newline-delimited JSON-RPC
 * 2.0 comes in on stdin; only answers go out on stdout; diagnostics go to
 * stderr. The server answers initialize, ping and tools/list itself.
 *
 * Each tools/call runs in a short-lived worker: a fork and exec of this
 * binary running the tool's command with --json (mcp.c turns the arguments
 * into its argv and its output into the result). So the tools are exactly
 * the CLI, and the server never opens the store: it holds no SQLite
 * connection across its forks. This is the one exception to "only the
 * supervisor forks".
 *
 * One poll loop multiplexes stdin, stdout, the workers' pipes and a
 * self-pipe that the signal handlers write to, so a job_wait that blocks
 * holds up nothing sent after it. notifications/cancelled ends the worker
 * of a read-only call (wait, list, status, logs: nothing to undo) and drops
 * its answer; for job_run, job_stop, job_retry and job_queue it drops only
 * the answer, since a cancel never undoes what began. At stdin EOF (or
 * SIGTERM, SIGINT, SIGHUP) the pending waits end unanswered, every other
 * call is finished and answered, and the server exits 0 once its answers
 * are written. Jobs keep running.
 *
 * Bounds: a line over 1 MiB is skipped and answered -32600 with a null id;
 * at most MAX_WAITS waits and MAX_WORKERS other calls run at once, so
 * waits never hold up the others (the rest queue in order); stdin is not read while MAX_CALLS calls are pending or while
 * OUT_HIGH bytes of answers wait for a client that does not read them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "job.h"
#include "json.h"
#include "mcp.h"

#define LINE_LIMIT	(1024 * 1024)	/* the longest request line */
#define OUT_HIGH	(1024 * 1024)	/* answers queued: stop reading */
#define MAX_WORKERS	16	/* workers of calls that end soon */
#define MAX_WAITS	32	/* and of waits, which may block */
#define MAX_CALLS	256
#define ANSWER_LIMIT	(64 * 1024 * 1024) /* a worker's stdout */
#define ERRTEXT_LIMIT	(64 * 1024)	/* a worker's stderr kept */
#define ROOTS_WAIT_MS	2000	/* calls wait this long for roots/list */

/* JSON-RPC error codes. */
#define RPC_PARSE	(-32700)
#define RPC_INVALID	(-32600)
#define RPC_METHOD	(-32601)
#define RPC_PARAMS	(-32602)

enum { O_PRINT_CONFIG = 1 };

static int check_client(const char *value, int64_t *num, struct err *e);

static const struct opt_spec options[] = {
	{ .name = "print-config", .type = OPT_STRING, .id = O_PRINT_CONFIG,
	  .value_name = "CLIENT",
	  .help = "print the snippet that registers the server\n"
	    "with CLIENT: claude, codex or cursor",
	  .check = check_client },
	{ NULL },
};

struct buf {
	char *s;
	size_t len, cap;
};

/* The answers of one JSON-RPC batch, sent together once all are there. */
struct batch {
	struct jval *answers;	/* an array */
	int pending;		/* calls of the batch not finished */
	bool complete;		/* every member of the batch was read */
};

struct call {
	struct call *next;	/* in arrival order */
	struct jval *id;	/* the request's */
	struct batch *batch;	/* or NULL */
	struct mcp_call mc;
	pid_t pid;		/* the stage's worker; 0 before it starts */
	int fd[2];		/* its stdout and stderr; -1 once at EOF */
	struct buf out, err;
	int wstatus;
	bool reaped;
	bool cancelled;		/* no answer is sent */
	bool overflow;		/* the answer went over ANSWER_LIMIT */
};

struct server {
	const struct ctx *ctx;
	char own_cwd[PATH_MAX];	/* the server's folder */
	char cwd[PATH_MAX];	/* the workers': the first root, or own_cwd */
	struct buf in;		/* stdin not handled yet */
	bool skipping;		/* inside a line over LINE_LIMIT */
	bool eof;		/* stdin is at its end (or a signal said so) */
	bool signalled;		/* by SIGTERM, SIGINT or SIGHUP */
	bool ended;		/* and every line of it was handled */
	struct buf out;		/* answers not written yet */
	size_t out_off;
	bool out_broken;	/* stdout cannot be written any more */
	struct call *calls;
	int ncalls;
	int nrunning[2];	/* workers of other calls, and of waits */
	bool roots;		/* the client offers roots */
	int roots_seq;
	char roots_id[32];	/* our pending roots/list, "" for none */
	int64_t roots_deadline;
};

static int sig_fd = -1;		/* the self-pipe's write end */

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	(void)write(sig_fd, &c, 1);
	errno = saved;
}

static int
check_client(const char *value, int64_t *num, struct err *e)
{
	(void)num;
	if (strcmp(value, "claude") != 0 && strcmp(value, "codex") != 0 &&
	    strcmp(value, "cursor") != 0)
		return err_set(e, ERR_USAGE, "unknown client '%s': say claude, "
		    "codex or cursor", value);
	return 0;
}

static int
buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *n;

		while (cap < b->len + len + 1)
			cap *= 2;
		if ((n = realloc(b->s, cap)) == NULL)
			return -1;
		b->s = n;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return 0;
}

/* Drops the first n bytes. */
static void
buf_shift(struct buf *b, size_t n)
{
	memmove(b->s, b->s + n, b->len - n + 1);
	b->len -= n;
}

static void
buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* Queues v (taken) as one line of stdout. */
static void
send_line(struct server *s, struct jval *v)
{
	size_t len;
	char *text = jdump(v, &len);

	jfree(v);
	if (s->out_broken)
		goto out;
	if (text == NULL || buf_add(&s->out, text, len) < 0 ||
	    buf_add(&s->out, "\n", 1) < 0)
		fprintf(stderr, "job mcp: out of memory: an answer is lost\n");
out:
	free(text);
}

static void
batch_flush(struct server *s, struct batch *b)
{
	if (!b->complete || b->pending > 0)
		return;
	if (jlen(b->answers) > 0)
		send_line(s, b->answers);
	else
		jfree(b->answers);
	free(b);
}

/* Sends (or adds to the batch) a response to id; takes body. */
static void
respond(struct server *s, struct batch *b, const struct jval *id,
    const char *key, struct jval *body)
{
	struct jval *r = jobj();

	jset_str(r, "jsonrpc", "2.0");
	if (id != NULL)
		jset(r, "id", jref(id));
	else
		jset_null(r, "id");
	jset(r, key, body);
	if (b != NULL)
		jpush(b->answers, r);
	else
		send_line(s, r);
}

static void
respond_error(struct server *s, struct batch *b, const struct jval *id,
    int code, const char *msg)
{
	struct jval *e = jobj();

	jset_int(e, "code", code);
	jset_str(e, "message", msg);
	respond(s, b, id, "error", e);
}

static void
call_free(struct call *c)
{
	jfree(c->id);
	mcp_call_free(&c->mc);
	buf_free(&c->out);
	buf_free(&c->err);
	free(c);
}

/* Takes c off the list and frees it; its answer (or none) was sent. */
static void
call_remove(struct server *s, struct call *c)
{
	struct call **p;

	for (p = &s->calls; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->ncalls--;
	if (c->batch != NULL) {
		c->batch->pending--;
		batch_flush(s, c->batch);
	}
	call_free(c);
}

static void
call_answer(struct server *s, struct call *c, struct jval *result)
{
	if (c->cancelled)
		jfree(result);
	else
		respond(s, c->batch, c->id, "result", result);
	call_remove(s, c);
}

/*
 * A cancel, or the end of input for a wait: a read-only worker is killed
 * (nothing to undo), any other runs on unanswered; a call not started yet
 * is dropped.
 */
static void
call_cancel(struct server *s, struct call *c)
{
	c->cancelled = true;
	if (c->pid == 0)
		call_remove(s, c);
	else if (c->mc.read_only && !c->reaped)
		kill(c->pid, SIGKILL);
}

static int
pipe_cloexec(int fd[2])
{
	if (pipe(fd) < 0)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

static void
block_signals(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* The worker: this program running the stage's command in s->cwd. */
static void
exec_worker(const struct server *s, const struct call *c, int out, int err)
{
	static const char nocwd[] = "job mcp: cannot enter the folder of "
	    "the client's root\n";
	static const char noexec[] = "job mcp: cannot run job\n";
	size_t i;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		signal(handled[i], SIG_DFL);
	/* Jobs get the host's umask, not the 077 job keeps for itself. */
	umask(s->ctx->caller_umask);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(126);
	if (chdir(s->cwd) < 0) {
		(void)write(STDERR_FILENO, nocwd, sizeof(nocwd) - 1);
		_exit(126);
	}
	execv(s->ctx->self_exe, c->mc.argv);
	(void)write(STDERR_FILENO, noexec, sizeof(noexec) - 1);
	_exit(127);
}

static int
start_worker(struct server *s, struct call *c)
{
	int out[2], err[2], saved;
	sigset_t old;

	if (pipe_cloexec(out) < 0)
		return -1;
	if (pipe_cloexec(err) < 0) {
		saved = errno;
		close(out[0]);
		close(out[1]);
		errno = saved;
		return -1;
	}
	/* The child must not run our handlers before it resets them. */
	block_signals(&old);
	c->pid = fork();
	if (c->pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_worker(s, c, out[1], err[1]);
	}
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(out[1]);
	close(err[1]);
	if (c->pid < 0) {
		c->pid = 0;
		close(out[0]);
		close(err[0]);
		errno = saved;
		return -1;
	}
	c->fd[0] = out[0];
	c->fd[1] = err[0];
	c->reaped = false;
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	s->nrunning[c->mc.blocks]++;
	return 0;
}

static bool
roots_pending(const struct server *s)
{
	return s->roots_id[0] != '\0' && job_mono_ms() < s->roots_deadline;
}

/* Starts the calls that wait for a worker, in order, while there is room. */
static void
start_calls(struct server *s)
{
	struct call *c, *next;

	if (roots_pending(s))
		return;
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		if (c->pid != 0 || s->nrunning[c->mc.blocks] >=
		    (c->mc.blocks ? MAX_WAITS : MAX_WORKERS))
			continue;
		if (start_worker(s, c) < 0) {
			struct err e;

			err_sys(&e, ERR_IO, errno, "cannot start a worker");
			call_answer(s, c, mcp_tool_error(&e));
		}
	}
}

/* A stage's worker is reaped and its pipes are at EOF: what next. */
static void
stage_done(struct server *s, struct call *c)
{
	struct jval *result;

	s->nrunning[c->mc.blocks]--;
	c->pid = 0;
	if (c->cancelled) {
		call_remove(s, c);
		return;
	}
	if (c->overflow) {
		struct err e;

		err_set(&e, ERR_IO, "the answer of job %s is over %d MiB",
		    c->mc.argv[2], ANSWER_LIMIT >> 20);
		call_answer(s, c, mcp_tool_error(&e));
		return;
	}
	result = mcp_call_done(&c->mc, c->out.s, c->out.len, c->err.s,
	    c->err.len, c->wstatus);
	buf_free(&c->out);
	buf_free(&c->err);
	if (result != NULL)
		call_answer(s, c, result);
}

static void
reap(struct server *s)
{
	struct call *c, *next;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (c = s->calls; c != NULL; c = c->next)
			if (c->pid == pid) {
				c->wstatus = st;
				c->reaped = true;
			}
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		if (c->pid != 0 && c->reaped && c->fd[0] < 0 && c->fd[1] < 0)
			stage_done(s, c);
	}
}

/* Reads what a worker wrote on one of its pipes. */
static void
read_worker(struct call *c, int which)
{
	char chunk[65536];
	struct buf *b = which == 0 ? &c->out : &c->err;
	ssize_t n = read(c->fd[which], chunk, sizeof(chunk));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(c->fd[which]);
		c->fd[which] = -1;
		return;
	}
	if (which == 1) {
		if (b->len < ERRTEXT_LIMIT)
			buf_add(b, chunk, (size_t)n);
		return;
	}
	if (c->overflow)
		return;
	if (b->len + (size_t)n > ANSWER_LIMIT || buf_add(b, chunk,
	    (size_t)n) < 0) {
		c->overflow = true;
		buf_free(b);
		if (!c->reaped)
			kill(c->pid, SIGKILL);
	}
}

/* ---------------------------------------------------------- roots */

static void
request_roots(struct server *s)
{
	struct jval *r = jobj();

	snprintf(s->roots_id, sizeof(s->roots_id), "job-roots-%d",
	    ++s->roots_seq);
	s->roots_deadline = job_mono_ms() + ROOTS_WAIT_MS;
	jset_str(r, "jsonrpc", "2.0");
	jset_str(r, "id", s->roots_id);
	jset_str(r, "method", "roots/list");
	send_line(s, r);
}

/* The client's answer to roots/list: its first file:// folder, or ours. */
static void
take_roots(struct server *s, const struct jval *msg)
{
	const struct jval *roots = jget(jget(msg, "result"), "roots");
	char path[PATH_MAX];
	struct stat sb;
	size_t i;

	s->roots_id[0] = '\0';
	snprintf(s->cwd, sizeof(s->cwd), "%s", s->own_cwd);
	for (i = 0; i < jlen(roots); i++) {
		const char *uri = jstr(jget(jat(roots, i), "uri"));

		if (uri == NULL ||
		    mcp_uri_path(uri, path, sizeof(path)) < 0)
			continue;
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "job mcp: the root '%s' is not a "
			    "folder here\n", uri);
			continue;
		}
		snprintf(s->cwd, sizeof(s->cwd), "%s", path);
		return;
	}
}

/* ---------------------------------------------------------- requests */

static const char instructions[] =
    "Background jobs that outlive this session. job_run starts a command "
    "detached and returns its record at once; job_wait waits until jobs "
    "end or one is ready (a log line with until, an open port with port); "
    "job_logs reads output by byte offset (pass next_offset back as "
    "since); job_stop ends a job's whole process tree. Jobs belong to the "
    "project of the client's first root.";

static struct jval *
initialize(struct server *s, const struct jval *params)
{
	struct jval *r = jobj(), *caps = jobj(), *tools = jobj();
	struct jval *info = jobj();

	s->roots = jtype(jget(jget(params, "capabilities"), "roots")) ==
	    JT_OBJECT;
	jset_str(r, "protocolVersion",
	    mcp_protocol(jstr(jget(params, "protocolVersion"))));
	jset_bool(tools, "listChanged", false);
	jset(caps, "tools", tools);
	jset(r, "capabilities", caps);
	jset_str(info, "name", "job");
	jset_str(info, "title", "job: background jobs");
	jset_str(info, "version", JOB_VERSION);
	jset(r, "serverInfo", info);
	jset_str(r, "instructions", instructions);
	return r;
}

/* The pending call with that id; one cancelled is no longer pending. */
static struct call *
find_call(const struct server *s, const struct jval *id)
{
	struct call *c;

	for (c = s->calls; c != NULL && id != NULL; c = c->next)
		if (!c->cancelled && jequal(c->id, id))
			return c;
	return NULL;
}

static void
tools_call(struct server *s, struct batch *b, const struct jval *id,
    const struct jval *params)
{
	const char *name = jstr(jget(params, "name"));
	const struct jval *args = jget(params, "arguments");
	const struct mcp_tool *t;
	struct call *c, **tail;
	struct err e;
	char msg[256];

	if (name == NULL) {
		respond_error(s, b, id, RPC_PARAMS, "tools/call needs "
		    "params.name, a string");
		return;
	}
	if ((t = mcp_tool_find(name)) == NULL) {
		snprintf(msg, sizeof(msg), "unknown tool '%.200s'", name);
		respond_error(s, b, id, RPC_PARAMS, msg);
		return;
	}
	if (args != NULL && jtype(args) != JT_OBJECT && jtype(args) !=
	    JT_NULL) {
		respond_error(s, b, id, RPC_PARAMS, "tools/call's "
		    "params.arguments must be an object");
		return;
	}
	if (find_call(s, id) != NULL) {
		respond_error(s, b, id, RPC_INVALID, "the id is already that "
		    "of a pending request");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		respond(s, b, id, "result", mcp_tool_error(&e));
		return;
	}
	if (mcp_call_init(&c->mc, t, jtype(args) == JT_OBJECT ? args : NULL,
	    &e) < 0) {
		free(c);
		respond(s, b, id, "result", mcp_tool_error(&e));
		return;
	}
	c->id = jref(id);
	c->batch = b;
	c->fd[0] = c->fd[1] = -1;
	for (tail = &s->calls; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	s->ncalls++;
	if (b != NULL)
		b->pending++;
}

static void
notification(struct server *s, const char *method, const struct jval *params)
{
	struct call *c;

	if (strcmp(method, "notifications/initialized") == 0 ||
	    strcmp(method, "notifications/roots/list_changed") == 0) {
		if (s->roots)
			request_roots(s);
	} else if (strcmp(method, "notifications/cancelled") == 0) {
		c = find_call(s, jget(params, "requestId"));
		if (c != NULL)
			call_cancel(s, c);
	}
}

/* An id JSON-RPC allows: a string or a number (MCP: never null). */
static bool
valid_id(const struct jval *id)
{
	enum jtype t = jtype(id);

	return id != NULL && (t == JT_STRING || t == JT_INTEGER ||
	    t == JT_REAL);
}

/* One message: a request, a notification or a response to our request. */
static void
message(struct server *s, struct batch *b, const struct jval *msg)
{
	const struct jval *id = jget(msg, "id"), *params;
	const char *method = jstr(jget(msg, "method"));
	const char *version = jstr(jget(msg, "jsonrpc"));

	if (jtype(msg) != JT_OBJECT) {
		respond_error(s, b, NULL, RPC_INVALID, "a message must be a "
		    "JSON-RPC object");
		return;
	}
	/* A response, never answered: ours only asked for roots. */
	if (jget(msg, "method") == NULL && (jget(msg, "result") != NULL ||
	    jget(msg, "error") != NULL)) {
		if (jstr(id) != NULL && strcmp(jstr(id), s->roots_id) == 0)
			take_roots(s, msg);
		return;
	}
	if (id != NULL && !valid_id(id)) {
		respond_error(s, b, NULL, RPC_INVALID, "the id must be a "
		    "string or a number");
		return;
	}
	if (version == NULL || strcmp(version, "2.0") != 0) {
		respond_error(s, b, id, RPC_INVALID, "jsonrpc must be "
		    "\"2.0\"");
		return;
	}
	if (method == NULL) {
		respond_error(s, b, id, RPC_INVALID, "method must be a "
		    "string");
		return;
	}
	params = jget(msg, "params");
	if (params != NULL && jtype(params) != JT_OBJECT) {
		if (id != NULL)
			respond_error(s, b, id, RPC_PARAMS, "params must be an "
			    "object");
		return;
	}
	if (id == NULL) {
		notification(s, method, params);
		return;
	}
	if (strcmp(method, "initialize") == 0)
		respond(s, b, id, "result", initialize(s, params));
	else if (strcmp(method, "ping") == 0)
		respond(s, b, id, "result", jobj());
	else if (strcmp(method, "tools/list") == 0) {
		struct jval *r = jobj();
		jset(r, "tools", mcp_tools_json());
		respond(s, b, id, "result", r);
	} else if (strcmp(method, "tools/call") == 0)
		tools_call(s, b, id, params);
	else {
		char msg_[256];
		snprintf(msg_, sizeof(msg_), "unknown method '%.200s'",
		    method);
		respond_error(s, b, id, RPC_METHOD, msg_);
	}
}

/* One line of stdin: a message, or a batch of them. */
static void
line(struct server *s, const char *text, size_t len)
{
	struct jval *v;
	struct batch *b;
	struct err e;
	char msg[1100];
	size_t i;

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
	    text[len - 1] == '\r'))
		len--;
	if (len == 0)
		return;
	if ((v = jparse(text, len, &e)) == NULL) {
		snprintf(msg, sizeof(msg), "parse error: %s", e.msg);
		respond_error(s, NULL, NULL, RPC_PARSE, msg);
		return;
	}
	if (jtype(v) != JT_ARRAY) {
		message(s, NULL, v);
		jfree(v);
		return;
	}
	if (jlen(v) == 0) {
		respond_error(s, NULL, NULL, RPC_INVALID, "an empty batch");
		jfree(v);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		jfree(v);
		return;
	}
	b->answers = jarr();
	for (i = 0; i < jlen(v); i++)
		message(s, b, jat(v, i));
	b->complete = true;
	batch_flush(s, b);
	jfree(v);
}

/* ---------------------------------------------------------- the loop */

/* Whether to take more requests now (see the bounds above). */
static bool
taking(const struct server *s)
{
	return s->ncalls < MAX_CALLS && s->out.len - s->out_off < OUT_HIGH;
}

/* The end of input: the waits end unanswered, the rest finish. */
static void
end_input(struct server *s)
{
	struct call *c, *next;

	s->ended = true;
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		if (c->mc.blocks && !c->cancelled)
			call_cancel(s, c);
	}
}

static void
skipped(struct server *s)
{
	respond_error(s, NULL, NULL, RPC_INVALID, "a line over 1 MiB was "
	    "skipped");
}

/* Handles the whole lines read, as many as the bounds allow. */
static void
take_lines(struct server *s)
{
	size_t off = 0;
	char *nl;

	while (taking(s) && off < s->in.len && (nl = memchr(s->in.s + off,
	    '\n', s->in.len - off)) != NULL) {
		size_t len = (size_t)(nl - s->in.s) - off;

		/* Whole before its length was seen (up to a read more). */
		if (len > LINE_LIMIT)
			skipped(s);
		else
			line(s, s->in.s + off, len);
		off = (size_t)(nl - s->in.s) + 1;
	}
	if (off > 0)
		buf_shift(&s->in, off);
	if (s->in.len > LINE_LIMIT && memchr(s->in.s, '\n', s->in.len) ==
	    NULL) {
		s->skipping = true;
		s->in.len = 0;
	}
	if (s->eof && !s->ended && taking(s)) {
		/* A last line without a newline is a line too. */
		if (s->in.len > 0)
			line(s, s->in.s, s->in.len);
		s->in.len = 0;
		end_input(s);
	}
}

static void
read_input(struct server *s)
{
	char chunk[65536];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
	const char *p = chunk;
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		s->eof = true;
		if (s->skipping)
			s->in.len = 0;
		return;
	}
	if (s->skipping) {
		if ((nl = memchr(chunk, '\n', (size_t)n)) == NULL)
			return;
		s->skipping = false;
		skipped(s);
		p = nl + 1;
		n -= p - chunk;
	}
	if (buf_add(&s->in, p, (size_t)n) < 0) {
		fprintf(stderr, "job mcp: out of memory: input dropped\n");
		s->in.len = 0;
	}
}

static void
write_output(struct server *s)
{
	size_t left = s->out.len - s->out_off;
	/* POLLOUT promises room for PIPE_BUF bytes: more could block. */
	ssize_t n = write(STDOUT_FILENO, s->out.s + s->out_off,
	    left < PIPE_BUF ? left : PIPE_BUF);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		if (errno != EPIPE)
			fprintf(stderr, "job mcp: cannot write: %s\n",
			    strerror(errno));
		s->out_broken = true;
		s->eof = true;
		s->in.len = 0;
		buf_free(&s->out);
		s->out_off = 0;
		return;
	}
	s->out_off += (size_t)n;
	if (s->out_off == s->out.len) {
		s->out.len = s->out_off = 0;
	} else if (s->out_off > OUT_HIGH) {
		buf_shift(&s->out, s->out_off);
		s->out_off = 0;
	}
}

/*
 * Drains the self-pipe. SIGTERM, SIGINT or SIGHUP ends the input as EOF
 * does; a second one ends the server at once.
 */
static void
read_signals(struct server *s, int fd)
{
	unsigned char sigs[64];
	ssize_t n, i;

	while ((n = read(fd, sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				continue;
			if (s->signalled) {
				signal(sigs[i], SIG_DFL);
				raise(sigs[i]);
			}
			s->signalled = true;
			s->eof = true;
			s->in.len = 0;
		}
}

static int
serve(struct server *s, int sigrd)
{
	struct pollfd *pfd;
	struct call *c;
	int i, n, timeout;

	pfd = calloc(3 + 2 * (MAX_WORKERS + MAX_WAITS), sizeof(*pfd));
	if (pfd == NULL)
		return -1;
	for (;;) {
		take_lines(s);
		start_calls(s);
		if (s->ended && s->calls == NULL &&
		    (s->out_broken || s->out_off == s->out.len))
			break;
		n = 0;
		pfd[n].fd = sigrd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = !s->eof && taking(s) ? STDIN_FILENO : -1;
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->out_off < s->out.len ? STDOUT_FILENO : -1;
		pfd[n++].events = POLLOUT;
		for (c = s->calls; c != NULL; c = c->next)
			for (i = 0; i < 2 && c->pid != 0; i++)
				if (c->fd[i] >= 0) {
					pfd[n].fd = c->fd[i];
					pfd[n++].events = POLLIN;
				}
		timeout = -1;
		if (roots_pending(s))
			timeout = (int)(s->roots_deadline - job_mono_ms()) + 1;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "job mcp: poll: %s\n", strerror(errno));
			free(pfd);
			return -1;
		}
		if (pfd[0].revents != 0)
			read_signals(s, sigrd);
		if (pfd[1].revents != 0)
			read_input(s);
		if (pfd[2].revents != 0)
			write_output(s);
		for (i = 3; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			for (c = s->calls; c != NULL; c = c->next)
				if (c->fd[0] == pfd[i].fd || c->fd[1] ==
				    pfd[i].fd) {
					read_worker(c, c->fd[0] == pfd[i].fd ?
					    0 : 1);
					break;
				}
		}
		reap(s);
	}
	free(pfd);
	return 0;
}

static int
print_config(const char *client)
{
	if (strcmp(client, "codex") == 0) {
		fprintf(stderr, "job: add this to ~/.codex/config.toml\n");
		printf("[mcp_servers.job]\ncommand = \"job\"\n"
		    "args = [\"mcp\"]\n");
		return EXIT_OK;
	}
	if (strcmp(client, "claude") == 0)
		fprintf(stderr, "job: add this to .mcp.json in the project "
		    "(Claude Code) or to claude_desktop_config.json, or run: "
		    "claude mcp add job -- job mcp\n");
	else
		fprintf(stderr, "job: add this to .cursor/mcp.json in the "
		    "project, or to ~/.cursor/mcp.json\n");
	printf("{\n  \"mcpServers\": {\n    \"job\": {\n"
	    "      \"command\": \"job\",\n      \"args\": [\"mcp\"]\n"
	    "    }\n  }\n}\n");
	return EXIT_OK;
}

static int
cmd_mcp(struct ctx *ctx, struct cmd_args *a)
{
	struct server s;
	struct sigaction sa;
	struct err e;
	int sig[2], rc;
	size_t i;

	if (opt_has(&a->opt, O_PRINT_CONFIG))
		return print_config(opt_str(&a->opt, O_PRINT_CONFIG, ""));
	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	snprintf(s.own_cwd, sizeof(s.own_cwd), "%s", ctx->cwd);
	snprintf(s.cwd, sizeof(s.cwd), "%s", ctx->cwd);
	if (pipe_cloexec(sig) < 0) {
		err_sys(&e, ERR_IO, errno, "cannot make a pipe");
		return cmd_error(ctx, &e);
	}
	fcntl(sig[0], F_SETFL, O_NONBLOCK);
	fcntl(sig[1], F_SETFL, O_NONBLOCK);
	sig_fd = sig[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	rc = serve(&s, sig[0]);
	buf_free(&s.in);
	buf_free(&s.out);
	close(sig[0]);
	close(sig[1]);
	if (rc < 0) {
		err_set(&e, ERR_IO, "the server stopped");
		return cmd_error(ctx, &e);
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_mcp_entry = {
	.name = "mcp",
	.summary = "Serve the commands as MCP tools over stdin and stdout.",
	.grammar = {
		.options = options,
	},
	.flags = 0,
	.exec = cmd_mcp,
};
