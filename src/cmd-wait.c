/*
 * job wait: block until jobs end and exit with what ended them; or, with
 * --until or --port, until one job is ready; or, with --any, until the
 * first of several ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "home.h"
#include "job.h"
#include "json.h"
#include "lifecycle.h"
#include "logread.h"
#include "opt.h"
#include "store.h"
#include "textfilter.h"

#define READY_POLL_MS 10

enum { O_TIMEOUT = 1, O_UNTIL, O_PORT, O_HOST, O_ANY };

static const struct opt_spec options[] = {
	{ .name = "timeout", .short_name = 't', .type = OPT_DURATION,
	  .id = O_TIMEOUT, .value_name = "DUR",
	  .help = "give up after DUR and exit 75" },
	{ .name = "until", .short_name = 'u', .type = OPT_STRING,
	  .id = O_UNTIL, .value_name = "REGEX",
	  .help = "return 0 once a line of output matches REGEX (ERE)" },
	{ .name = "port", .short_name = 'p', .type = OPT_INT, .id = O_PORT,
	  .value_name = "N",
	  .help = "return 0 once TCP port N accepts connections",
	  .min = 1, .max = 65535 },
	{ .name = "host", .type = OPT_STRING, .id = O_HOST,
	  .value_name = "HOST",
	  .help = "the host for --port (default: 127.0.0.1 and ::1)" },
	{ .name = "any", .type = OPT_FLAG, .id = O_ANY,
	  .help = "return when the first of the jobs ends" },
	{ NULL },
};

struct until {
	regex_t re;
	bool matched;
	int64_t number;		/* of the matching line */
	int64_t offset;		/* where it starts in the log */
	char *line;
};

struct text {
	char *s;
	size_t len;
};

static void
text_append(void *arg, const char *s, size_t len)
{
	struct text *t = arg;
	char *grown = realloc(t->s, t->len + len + 1);

	if (grown == NULL)
		return;
	memcpy(grown + t->len, s, len);
	t->s = grown;
	t->len += len;
	t->s[t->len] = '\0';
}

/*
 * Matches a line as `logs --plain` shows it, as the agent saw it: colours
 * and redraws gone (Vite prints "ready in \e[1m205\e[22m ms").
 */
static void
until_line(void *arg, int64_t number, int64_t offset, const char *s,
    size_t len)
{
	struct until *u = arg;
	struct plain p;
	struct text t = { NULL, 0 };

	if (u->matched)
		return;
	plain_init(&p);
	plain_feed(&p, s, len, text_append, &t);
	plain_flush(&p, text_append, &t);
	plain_free(&p);
	if (t.s != NULL && regexec(&u->re, t.s, 0, NULL, 0) == 0) {
		u->matched = true;
		u->number = number;
		u->offset = offset;
		u->line = t.s;
		return;
	}
	free(t.s);
}

struct until_scan {
	struct until u;
	struct lines lines;
};

static void
until_feed(void *arg, const char *s, size_t len)
{
	struct until_scan *sc = arg;

	if (!sc->u.matched)
		lines_feed(&sc->lines, s, len, until_line, &sc->u);
}

/*
 * The job ended before it was ready: its own failure status, or 1 when it
 * exited 0, since 0 must only ever mean "ready" to a script doing
 * `job wait web --until ready && curl ...`.
 */
static int
not_ready_status(const struct job *j)
{
	int rc = job_exit_status(j);

	return rc == 0 ? EXIT_FAIL : rc;
}

/* The result of --until or --port, printed as one line or one object. */
static int
print_ready(struct ctx *ctx, const struct job *j, bool ready,
    const struct until *u, const char *host, int64_t port)
{
	if (ctx->json) {
		struct jval *o = jobj();
		jset_str(o, "id", j->id);
		if (u != NULL) {
			jset_bool(o, "matched", ready);
			jset_str(o, "line", ready ? u->line : NULL);
			if (ready)
				jset_int(o, "offset", u->offset);
			else
				jset_null(o, "offset");
		} else {
			jset_bool(o, "ready", ready);
			jset_str(o, "host", host);
			jset_int(o, "port", port);
		}
		jset_str(o, "status", job_status_name(j->status));
		if (j->exit_code >= 0)
			jset_int(o, "exit_code", j->exit_code);
		else
			jset_null(o, "exit_code");
		return jprint(o, stdout);
	}
	if (ready && u != NULL)
		printf("%s\n", u->line);
	else if (ready)
		printf("%s:%lld is accepting connections\n", host,
		    (long long)port);
	else
		cmd_print_job_line(ctx, j);
	return 0;
}

static int64_t
file_size(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static int
wait_until(struct ctx *ctx, const struct job *start, const char *regex,
    int64_t deadline)
{
	struct until_scan sc;
	struct life l;
	struct job j;
	struct err e;
	char path[PATH_MAX];
	int64_t off = 0;
	int fd, rc, failed = 0;
	bool ended = false;

	cmd_life(ctx, &l);
	memset(&sc, 0, sizeof(sc));
	memset(&j, 0, sizeof(j));
	rc = regcomp(&sc.u.re, regex, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &sc.u.re, msg, sizeof(msg));
		err_set(&e, ERR_USAGE, "bad --until '%s': %s", regex, msg);
		return cmd_error(ctx, &e);
	}
	lines_init(&sc.lines, 1, 0);
	home_log_path(ctx->home, start->id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_sys(&e, ERR_IO, errno, "cannot read '%s'", path);
		rc = cmd_error(ctx, &e);
		goto out;
	}
	for (;;) {
		int64_t size = file_size(fd);

		if (size > off) {
			if (logread_feed(fd, off, size, until_feed, &sc) < 0)
				break;
			off = size;
			/* Only whole lines match while the job runs: a line
			 * still being written may yet become another. */
			if (sc.u.matched)
				break;
			continue;
		}
		if ((failed = life_ended(&l, start->id, &j, &e)) != 0) {
			if (failed < 0) {
				rc = cmd_error(ctx, &e);
				goto out;
			}
			/* Output written before the end is all there now. */
			size = file_size(fd);
			logread_feed(fd, off, size, until_feed, &sc);
			if (!sc.u.matched)
				lines_flush(&sc.lines, until_line, &sc.u);
			ended = true;
			break;
		}
		if (deadline > 0 && job_mono_ms() >= deadline)
			break;
		job_pause_ms(READY_POLL_MS);
	}
	if (!ended && store_job_get(ctx->store, start->id, &j, &e) < 0) {
		rc = cmd_error(ctx, &e);
		goto out;
	}
	print_ready(ctx, &j, sc.u.matched, &sc.u, NULL, 0);
	rc = sc.u.matched ? EXIT_OK : ended ? not_ready_status(&j) :
	    EXIT_STILL_RUNNING;
out:
	if (fd >= 0)
		close(fd);
	job_free(&j);
	regfree(&sc.u.re);
	lines_free(&sc.lines);
	free(sc.u.line);
	return rc;
}

/*
 * Whether something accepts TCP connections at host:port right now; with
 * no host, on either loopback (a server bound to ::1, or to a localhost
 * that resolves there, is as ready as one on 127.0.0.1).
 */
static bool
port_open_at(const char *host, int64_t port);

static bool
port_open(const char *host, int64_t port, const char **answered)
{
	static const char *const loopbacks[] = { "127.0.0.1", "::1" };
	size_t i;

	if (host != NULL) {
		*answered = host;
		return port_open_at(host, port);
	}
	for (i = 0; i < 2; i++)
		if (port_open_at(loopbacks[i], port)) {
			*answered = loopbacks[i];
			return true;
		}
	*answered = "localhost";
	return false;
}

static bool
port_open_at(const char *host, int64_t port)
{
	struct addrinfo hints, *res, *ai;
	char service[24];
	bool open_now = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%lld", (long long)port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return false;
	for (ai = res; ai != NULL && !open_now; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol);
		struct pollfd pfd;
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (fd < 0)
			continue;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			open_now = true;
		else if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 200) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &len) == 0 && soerr == 0)
				open_now = true;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return open_now;
}

static int
wait_port(struct ctx *ctx, const struct job *start, const char *host,
    int64_t port, int64_t deadline)
{
	struct job j;
	struct err e;
	bool ready = false, ended = false;
	const char *answered = host;
	struct life l;
	int rc, failed = 0;

	cmd_life(ctx, &l);
	memset(&j, 0, sizeof(j));
	for (;;) {
		if (port_open(host, port, &answered)) {
			ready = true;
			break;
		}
		if ((failed = life_ended(&l, start->id, &j, &e)) != 0) {
			if (failed < 0)
				return cmd_error(ctx, &e);
			ended = true;
			break;
		}
		if (deadline > 0 && job_mono_ms() >= deadline)
			break;
		job_pause_ms(READY_POLL_MS * 2);
	}
	if (!ended && store_job_get(ctx->store, start->id, &j, &e) < 0)
		return cmd_error(ctx, &e);
	print_ready(ctx, &j, ready, NULL, answered, port);
	rc = ready ? EXIT_OK : ended ? not_ready_status(&j) :
	    EXIT_STILL_RUNNING;
	job_free(&j);
	return rc;
}

/* Returns as soon as the first of the jobs has ended. */
static int
wait_any(struct ctx *ctx, const struct job *jobs, int n, int64_t deadline)
{
	struct job j;
	struct err e;
	struct life l;
	int i, rc, failed;

	cmd_life(ctx, &l);
	memset(&j, 0, sizeof(j));
	for (;;) {
		for (i = 0; i < n; i++) {
			if ((failed = life_ended(&l, jobs[i].id, &j,
			    &e)) == 0)
				continue;
			if (failed < 0)
				return cmd_error(ctx, &e);
			if (ctx->json)
				cmd_print_jobs_json(ctx, &j, 1, false);
			else
				cmd_print_job_line(ctx, &j);
			rc = job_exit_status(&j);
			job_free(&j);
			return rc;
		}
		if (deadline > 0 && job_mono_ms() >= deadline)
			break;
		job_pause_ms(READY_POLL_MS / 2);
	}
	if (ctx->json)
		cmd_print_jobs_json(ctx, jobs, (size_t)n, true);
	else
		for (i = 0; i < n; i++)
			cmd_print_job_line(ctx, &jobs[i]);
	return EXIT_STILL_RUNNING;
}

static int
wait_check(const struct ctx *ctx, const struct opt_args *a, struct err *e)
{
	bool until = opt_has(a, O_UNTIL), port = opt_has(a, O_PORT);

	(void)ctx;
	if ((until || port) && a->noperands > 1)
		return err_set(e, ERR_USAGE, "--until and --port wait for one "
		    "job");
	if (until && port)
		return err_set(e, ERR_USAGE, "--until and --port do not go "
		    "together");
	return 0;
}

static int
cmd_wait(struct ctx *ctx, struct cmd_args *a)
{
	struct err e;
	struct job *jobs = a->jobs;
	char (*ids)[ULID_LEN + 1];
	const char *until = opt_str(&a->opt, O_UNTIL, NULL);
	const char *host = opt_str(&a->opt, O_HOST, NULL);
	int64_t timeout_ms = opt_num(&a->opt, O_TIMEOUT, -1);
	int64_t port = opt_num(&a->opt, O_PORT, 0), deadline;
	bool any = opt_has(&a->opt, O_ANY);
	int i, rc;

	deadline = timeout_ms >= 0 ? job_mono_ms() + timeout_ms : 0;
	if (until != NULL || port > 0 || any) {
		if (until != NULL)
			rc = wait_until(ctx, &jobs[0], until, deadline);
		else if (port > 0)
			rc = wait_port(ctx, &jobs[0], host, port, deadline);
		else
			rc = wait_any(ctx, jobs, a->njobs, deadline);
		return rc;
	}
	ids = calloc((size_t)a->njobs, sizeof(*ids));
	if (ids == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		rc = cmd_error(ctx, &e);
	} else {
		for (i = 0; i < a->njobs; i++)
			memcpy(ids[i], jobs[i].id, sizeof(ids[i]));
		rc = cmd_wait_print(ctx, ids, a->njobs, timeout_ms);
	}
	free(ids);
	return rc;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.summary = "Wait until jobs end (or are ready); exit with their "
	    "status.",
	.grammar = {
		.options = options,
		CMD_REF_OPERANDS(1, -1),
		.json_help = "print the record (an array for several jobs)",
	},
	.flags = CMD_STORE | CMD_RECONCILE | CMD_REFS,
	.check = wait_check,
	.exec = cmd_wait,
};
