/*
 * job: run commands in the background, detached and recorded, without a
 * daemon. main() reads the global options, finds the command in the table,
 * hands it to the dispatcher, and checks that its output reached stdout:
 * output lost to a full disk or a closed pipe is an error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "store.h"
#include "supervisor.h"

/*
 * Where this program is, for the supervisor's exec. /proc/self/exe even
 * survives the binary being replaced; elsewhere argv[0], searched in PATH
 * when it has no slash.
 */
static void
self_path(const char *argv0, char *buf, size_t len)
{
#if defined(__linux__)
	(void)argv0;
	snprintf(buf, len, "/proc/self/exe");
#else
	const char *path = getenv("PATH");
	char real[PATH_MAX];

	snprintf(buf, len, "%s", argv0);
	if (strchr(argv0, '/') == NULL && path != NULL) {
		const char *p = path;
		while (*p != '\0') {
			size_t n = strcspn(p, ":");
			snprintf(buf, len, "%.*s/%s", (int)n, p, argv0);
			if (access(buf, X_OK) == 0)
				break;
			p += n + (p[n] == ':');
			snprintf(buf, len, "%s", argv0);
		}
	}
	if (realpath(buf, real) != NULL)
		snprintf(buf, len, "%s", real);
#endif
}

/* A usage error before any command: with --json, the one JSON line only. */
static int
global_error(const struct ctx *ctx, const struct err *e)
{
	cmd_error(ctx, e);
	if (!ctx->json)
		cmd_global_usage(stderr);
	return EXIT_USAGE;
}

/*
 * What every command relies on, set here rather than inherited: callers
 * block signals (Python's pthread_sigmask) and ignore SIGCHLD (Perl,
 * Python), and timeouts and waits must not depend on that. SIGPIPE is
 * ignored so a closed reader is a write error that main reports. Other
 * ignored signals are left alone: a shell ignores SIGINT in `job wait &`
 * so that Ctrl-C leaves it running.
 */
static void
own_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct ctx ctx;
	const char *fmt = getenv("JOB_FORMAT");
	int rc, i = 1;

	/* A supervisor image, exec'd by `job run`: not a command. */
	if (argc > 1 && strcmp(argv[1], SUP_ARGV_MARK) == 0)
		return sup_main(argc, argv);
	own_signals();
	memset(&ctx, 0, sizeof(ctx));
	/* Every file job creates is private to its user, whatever umask;
	 * jobs get the caller's back. */
	ctx.caller_umask = umask(077);
	ctx.json = fmt != NULL && strcmp(fmt, "json") == 0;
	ctx.tty = isatty(STDOUT_FILENO);
	ctx.color = ctx.tty && getenv("NO_COLOR") == NULL;
	self_path(argv[0], ctx.self_exe, sizeof(ctx.self_exe));

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx.json = true;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			cmd_global_usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("job %s\n", JOB_VERSION);
			return EXIT_OK;
		} else {
			struct err e;
			err_set(&e, ERR_USAGE, "unknown option '%s'", argv[i]);
			return global_error(&ctx, &e);
		}
	}
	if (i == argc) {
		struct err e;
		err_set(&e, ERR_USAGE, "no command given");
		return global_error(&ctx, &e);
	}
	ctx.entry = cmd_find(argv[i]);
	if (ctx.entry == NULL) {
		struct err e;
		err_set(&e, ERR_USAGE, "unknown command '%s'", argv[i]);
		return global_error(&ctx, &e);
	}
	rc = cmd_dispatch(&ctx, argc - i, argv + i);
	store_close(ctx.store);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* The answer did not reach the reader: say so and fail. */
		if (errno != EPIPE)
			fprintf(stderr, "job: cannot write output: %s\n",
			    strerror(errno));
		return rc != 0 ? rc : EXIT_FAIL;
	}
	return rc;
}
