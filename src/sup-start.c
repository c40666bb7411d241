/*
 * Starting a job, on the caller's side (`job run`).
 *
 * The caller forks A as soon as it knows what to run, before it opens the
 * store; A calls setsid() and forks S, the supervisor, then exits, so S
 * belongs to no terminal and survives the caller, SIGHUP and the end of
 * the agent's session; as no session leader, it can never take a
 * terminal either. S inherits the job lock's open file description, so
 * the lock is held exactly as long as S lives. While the caller records
 * the job, S gets ready and waits for its word on the verdict pipe: start
 * the command ('G'), wait for the job's turn ('W'), or nothing (EOF: the
 * job is not to be, and S exits). Forking first lets the two halves work
 * at once, and forks a caller without SQLite's memory in it.
 *
 * S trusts nothing it inherited: from its first instruction it sets every
 * signal disposition and the mask itself (a caller that ignores SIGCHLD
 * would have the kernel reap the command before S could see its end),
 * lets go of the caller's descriptors, and starts C, the command, in its
 * own process group with every signal at its default and none blocked.
 * C's output goes to one pipe (one pipe keeps the order it was written in).
 *
 * Once exec succeeded S tells the caller C's identity over the status
 * pipe and execs a fresh image of job (supervise.c): nothing of the
 * caller's memory survives into it. The caller records `running` with its
 * connection and says so over the verdict pipe ('K'); if it never does,
 * the supervisor records it.
 */
#define _DEFAULT_SOURCE 1	/* syscall */

#include "supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "proc.h"
#include "sup.h"

/* What S tells the caller, in one write (atomic: smaller than PIPE_BUF). */
struct sup_msg {
	char kind;		/* 'R' running, 'W' waiting for its turn,
				 * 'F' could not start */
	int err;		/* errno of the failed step */
	char what[256];		/* the failed step, or the program */
	int64_t pid, pid_start, sup_pid, sup_start, started_at;
};

/* A lost row keeps at most this much of the command (see sup_args). */
#define COMMAND_KEPT 4096

/* Closes every descriptor above 2 but those in keep, however many the
 * caller had open and however high. */
static void
close_other_fds(int *keep, size_t nkeep)
{
	int *fds = NULL, *grown;
	size_t n = 0, cap = 0, i, k;
	long fd, max;
	DIR *dir;
	struct dirent *de;

	for (i = 1; i < nkeep; i++)	/* sort: ranges lie between them */
		for (k = i; k > 0 && keep[k - 1] > keep[k]; k--) {
			int t = keep[k];
			keep[k] = keep[k - 1];
			keep[k - 1] = t;
		}
#if defined(__linux__) && defined(SYS_close_range)
	{
		unsigned int lo = 3;

		for (i = 0; i < nkeep; i++) {
			if (keep[i] < (int)lo)
				continue;
			if (keep[i] > (int)lo && syscall(SYS_close_range, lo,
			    (unsigned int)keep[i] - 1, 0) < 0)
				goto walk;
			lo = (unsigned int)keep[i] + 1;
		}
		if (syscall(SYS_close_range, lo, ~0U, 0) == 0)
			return;
	}
walk:
#endif
	/* Read the list first: closing while reading would confuse readdir. */
	if ((dir = opendir("/dev/fd")) != NULL) {
		int self = dirfd(dir);
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			fd = strtol(de->d_name, NULL, 10);
			if (fd <= 2 || fd == self)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((grown = realloc(fds, cap * sizeof(*fds))) ==
				    NULL)
					break;
				fds = grown;
			}
			fds[n++] = (int)fd;
		}
		closedir(dir);
		if (de == NULL) {
			for (i = 0; i < n; i++) {
				for (k = 0; k < nkeep && keep[k] != fds[i]; k++)
					;
				if (k == nkeep)
					close(fds[i]);
			}
			free(fds);
			return;
		}
	}
	free(fds);
	/* No listing: every possible number, to the hard limit. */
	{
		struct rlimit rl;

		max = sysconf(_SC_OPEN_MAX);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max > max)
			max = (long)rl.rlim_max;
		if (max < 0 || max > (1L << 20))
			max = 1L << 20;
	}
	for (fd = 3; fd < max; fd++) {
		for (k = 0; k < nkeep && keep[k] != fd; k++)
			;
		if (k == nkeep)
			close((int)fd);
	}
}

/*
 * Runs in S: the command could not be started. Say why in the log and
 * tell the caller, which records `failed` with reason spawn_failed (S must
 * not use SQLite: the caller's connection was open when it forked).
 */
static void __attribute__((noreturn))
fail_start(struct sup_log *log, const struct sup_spec *spec, int status_w,
    const char *what, int err)
{
	struct sup_msg msg;

	if (strcmp(what, "chdir") == 0)
		sup_log_note(log, "cannot start the job: folder '%s': %s",
		    spec->job->cwd, strerror(err));
	else
		sup_log_note(log, "cannot start the job: %s: %s", what,
		    strerror(err));
	memset(&msg, 0, sizeof(msg));
	msg.kind = 'F';
	msg.err = err;
	snprintf(msg.what, sizeof(msg.what), "%s", what);
	(void)!sup_write_all(status_w, &msg, sizeof(msg));
	_exit(1);
}

/* The command, cut on a character boundary, for restoring a lost row. */
static char *
kept_command(const char *command)
{
	size_t len = strlen(command);
	char *s;

	if (len <= COMMAND_KEPT)
		return (char *)(uintptr_t)command;
	len = COMMAND_KEPT;
	while (len > 0 && ((unsigned char)command[len] & 0xc0) == 0x80)
		len--;
	if ((s = strndup(command, len)) == NULL)
		return (char *)(uintptr_t)"";
	return s;
}

/* The caller's verdict: 'G', 'W', or 0 when it never came. */
static char
read_verdict(int fd)
{
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 && (c == 'G' || c == 'W') ? c : 0;
}

/*
 * S, still in the caller's image: detach, wait for the verdict, start the
 * command (or, for a job that waits for its turn, only check that its
 * program exists), tell the caller, exec the fresh supervisor image.
 * Never returns.
 */
static void __attribute__((noreturn))
start_job(const struct sup_spec *spec, int status_w, int verdict_r)
{
	const struct job *j = spec->job;
	struct sup_log log;
	struct sup_msg msg;
	struct sup_args args;
	struct sup_command cmd;
	sigset_t held;
	char nums[SUP_ARGC][SUP_NUMBUF], what[sizeof(msg.what)];
	char *sargv[SUP_ARGC + 1];
	const char *v;
	int out[2] = { -1, -1 }, keep[4], devnull, rc;
	bool zombie, waiting;

	sup_reset_signals();
	/* S was forked before the caller reached its fault points (see
	 * life_crash_point): those are the caller's, not ours. */
	if ((v = getenv("JOB_TEST_CRASH")) != NULL && strncmp(v, "sup-", 4))
		unsetenv("JOB_TEST_CRASH");
	if ((v = getenv("JOB_TEST_STOP")) != NULL && strncmp(v, "sup-", 4))
		unsetenv("JOB_TEST_STOP");
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	memset(&log, 0, sizeof(log));
	log.fd = spec->log_fd;
	memset(&msg, 0, sizeof(msg));
	memset(&args, 0, sizeof(args));
	args.spec_fd = -1;
	/* Let go of the caller's terminal and pipes at once: a caller doing
	 * x=$(job run ...) waits for EOF on its stdout. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (devnull > 2)
			close(devnull);
	}
	keep[0] = status_w;
	keep[1] = verdict_r;
	keep[2] = spec->lock_fd;
	keep[3] = spec->log_fd;
	close_other_fds(keep, 4);
#if defined(__linux__)
	/* Kept across exec: orphans of the job become our children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
	switch (read_verdict(verdict_r)) {
	case 'G':
		waiting = false;
		break;
	case 'W':
		waiting = true;
		break;
	default:
		_exit(0);	/* not to be: the caller cleans up */
	}
	/* The home path is absolute, so S can live in the job's folder. */
	if (chdir(j->cwd) < 0)
		fail_start(&log, spec, status_w, "chdir", errno);
	umask(spec->umask);
	if (sup_command_from_job(j, &cmd) < 0)
		fail_start(&log, spec, status_w, "start", ENOMEM);
	if (waiting) {
		/* Not found now would be not found then: say so at once. */
		if ((rc = sup_command_check(&cmd, what, sizeof(what))) != 0)
			fail_start(&log, spec, status_w, what, rc);
		if ((args.spec_fd = sup_spec_write(spec->home, &cmd)) < 0)
			fail_start(&log, spec, status_w, "start", errno);
		msg.kind = 'W';
		args.waiting = true;
		args.child = 0;
		args.command = j->command;
		args.nwords = cmd.nwords;
		args.nenv = cmd.nenv;
	} else {
		if (sup_pipe(out) < 0)
			fail_start(&log, spec, status_w, "pipe", errno);
		msg.started_at = job_now_ms();
		rc = sup_command_spawn(&cmd, out[1], &args.child, what,
		    sizeof(what));
		close(out[1]);
		if (rc != 0)
			fail_start(&log, spec, status_w, what, rc);
		msg.kind = 'R';
		msg.pid = args.child;
		proc_probe(args.child, &msg.pid_start, &zombie);
		args.command = kept_command(j->command);
	}
	msg.sup_pid = getpid();
	proc_probe(getpid(), &msg.sup_start, &zombie);

	/* Held signals stay pending across exec, for the new image's
	 * handlers: a `job stop` or C's exit in between is not lost. */
	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGCHLD);
	sigprocmask(SIG_BLOCK, &held, NULL);
	(void)!sup_write_all(status_w, &msg, sizeof(msg));
	close(status_w);

	args.id = j->id;
	args.home = spec->home;
	args.cwd = j->cwd;
	args.project = j->project;
	args.name = j->name;
	args.boot_id = j->boot_id;
	args.out_fd = out[0];
	args.log_fd = spec->log_fd;
	args.lock_fd = spec->lock_fd;
	args.confirm_fd = verdict_r;
	args.timeout_ms = j->timeout_ms;
	args.grace_ms = j->grace_ms;
	args.pid_start = msg.pid_start;
	args.sup_start = msg.sup_start;
	args.started_at = msg.started_at;
	args.created_at = j->created_at;
	/* The descriptors the fresh image keeps. */
	if (out[0] >= 0)
		sup_set_flags(out[0], false, false);
	sup_set_flags(spec->log_fd, false, false);
	sup_set_flags(spec->lock_fd, false, false);
	sup_set_flags(verdict_r, false, false);
	sup_args_pack(&args, nums, sargv);
	execv(spec->self_exe, sargv);
	/* No fresh image: nobody supervises. Kill the job rather than leave
	 * it unwatched; reconciliation records the loss. */
	sup_log_note(&log, "cannot run the supervisor '%s': %s",
	    spec->self_exe, strerror(errno));
	if (args.child > 0)
		kill(-args.child, SIGKILL);
	_exit(1);
}

int
sup_launch(const struct sup_spec *spec, struct sup_launch *out,
    struct err *e)
{
	int status[2], verdict[2];
	pid_t a;
	struct sup_msg msg;

	out->a = -1;
	out->status_fd = out->verdict_fd = -1;
	if (sup_pipe(status) < 0)
		return err_sys(e, ERR_IO, errno, "pipe");
	if (sup_pipe(verdict) < 0) {
		close(status[0]);
		close(status[1]);
		return err_sys(e, ERR_IO, errno, "pipe");
	}
	fflush(NULL);
	a = fork();
	if (a < 0) {
		if (errno == EAGAIN)
			err_set(e, ERR_SPAWN_FAILED, "cannot start a supervisor: "
			    "the machine refuses more processes (fork: %s)",
			    strerror(errno));
		else
			err_sys(e, ERR_SPAWN_FAILED, errno, "cannot start a "
			    "supervisor: fork");
		close(status[0]);
		close(status[1]);
		close(verdict[0]);
		close(verdict[1]);
		return -1;
	}
	if (a == 0) {
		pid_t s;

		close(status[0]);
		close(verdict[1]);
		setsid();
		s = fork();
		if (s == 0)
			start_job(spec, status[1], verdict[0]);
		if (s < 0) {
			/* Say why, as S would have. */
			memset(&msg, 0, sizeof(msg));
			msg.kind = 'F';
			msg.err = errno;
			snprintf(msg.what, sizeof(msg.what), "fork");
			(void)!sup_write_all(status[1], &msg, sizeof(msg));
		}
		_exit(s < 0 ? 1 : 0);
	}
	close(status[1]);
	close(verdict[0]);
	out->a = a;
	out->status_fd = status[0];
	out->verdict_fd = verdict[1];
	return 0;
}

/* A is gone by the time S is ready; reaping it is all that is left. */
static void
reap_a(struct sup_launch *l)
{
	/* ECHILD when our caller made us ignore SIGCHLD: A is gone then. */
	if (l->a > 0)
		while (waitpid(l->a, NULL, 0) < 0 && errno == EINTR)
			;
	l->a = -1;
}

void
sup_cancel(struct sup_launch *l)
{
	if (l->verdict_fd >= 0)
		close(l->verdict_fd);
	if (l->status_fd >= 0)
		close(l->status_fd);
	l->verdict_fd = l->status_fd = -1;
	reap_a(l);
}

int
sup_go(struct sup_launch *l, const struct sup_spec *spec, bool waiting,
    struct sup_result *out, struct err *e)
{
	struct sup_msg msg;
	ssize_t n;
	size_t got = 0;
	char verdict = waiting ? 'W' : 'G';

	memset(out, 0, sizeof(*out));
	out->confirm_fd = -1;
	/* No reader (S never was, or died): EPIPE, and EOF on status says
	 * the rest. SIGPIPE is ignored by every command. */
	(void)!sup_write_all(l->verdict_fd, &verdict, 1);
	reap_a(l);
	while (got < sizeof(msg)) {
		n = read(l->status_fd, (char *)&msg + got, sizeof(msg) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(l->status_fd);
	l->status_fd = -1;
	if (got < sizeof(msg)) {
		sup_cancel(l);
		err_set(e, ERR_SPAWN_FAILED,
		    "the supervisor died before starting the job");
		return SUP_LOST;
	}
	if (msg.kind == 'F') {
		sup_cancel(l);
		msg.what[sizeof(msg.what) - 1] = '\0';
		/* As a shell reports them: 127 not found, 126 found but
		 * not runnable. */
		out->exit_code = msg.err == ENOENT || msg.err == ENOTDIR ?
		    127 : 126;
		if (strcmp(msg.what, "chdir") == 0)
			return err_set(e, ERR_SPAWN_FAILED, "folder '%s': %s",
			    spec->job->cwd, strerror(msg.err));
		if (strcmp(msg.what, "fork") == 0 && msg.err == EAGAIN)
			return err_set(e, ERR_SPAWN_FAILED, "cannot start a "
			    "supervisor: the machine refuses more processes "
			    "(fork: %s)", strerror(msg.err));
		return err_set(e, ERR_SPAWN_FAILED, "%s: %s", msg.what,
		    strerror(msg.err));
	}
	out->pid = (pid_t)msg.pid;
	out->pid_start = msg.pid_start;
	out->sup_pid = (pid_t)msg.sup_pid;
	out->sup_start = msg.sup_start;
	out->started_at = msg.started_at;
	out->confirm_fd = l->verdict_fd;
	l->verdict_fd = -1;
	return 0;
}

void
sup_confirm(struct sup_result *res, bool recorded)
{
	if (res->confirm_fd < 0)
		return;
	if (recorded)
		(void)!sup_write_all(res->confirm_fd, "K", 1);
	close(res->confirm_fd);
	res->confirm_fd = -1;
}
