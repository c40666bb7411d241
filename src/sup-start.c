/*
 * Starting a job, on the caller's side (`job run`).
 *
 * The caller forks A; A calls setsid() and forks S, the supervisor, then
 * exits, so S belongs to no terminal and survives the caller, SIGHUP and
 * the end of the agent's session. S inherits the job lock's open file
 * description, so the lock is held exactly as long as S lives.
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
 * caller's memory or SQLite state survives into it. The caller records
 * `running` with the connection it already holds and says so over the
 * confirm pipe; if it never does, the supervisor records it.
 */
#define _DEFAULT_SOURCE 1	/* vfork, syscall */

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
	char kind;		/* 'R' running, 'F' could not start */
	int err;		/* errno of the failed step */
	char what[256];		/* the failed step, or the program */
	int64_t pid, pid_start, sup_pid, sup_start, started_at;
};

/* A lost row keeps at most this much of the command (see sup_args). */
#define COMMAND_KEPT 4096

/*
 * Every disposition to its default, by the kernel's call: the C library
 * refuses to touch the signals it reserves (32 and 33 in glibc), and a
 * SIG_IGN there survives exec. Safe in a vfork child: no memory is
 * written. The kernel's sigaction with every field zero is SIG_DFL, no
 * flags and an empty mask on every architecture.
 */
static void
reset_signals(void)
{
	int sig;

#if defined(__linux__)
	static const unsigned long dfl[8];
#if defined(__mips__)
	const size_t setsize = 16;
#else
	const size_t setsize = 8;
#endif
	for (sig = 1; sig <= SIGRTMAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, dfl, NULL, setsize);
#else
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
#endif
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
}

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

/* The value of name in the environment env, or NULL. */
static const char *
env_lookup(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/* Whether the variable kv ("NAME=...") is named in the job's additions. */
static bool
env_named(const struct job *j, const char *kv)
{
	size_t off, len = strcspn(kv, "=");

	if (len == 6 && strncmp(kv, "JOB_ID", 6) == 0)
		return true;
	for (off = 0; j->env != NULL && off < j->env_len;
	    off += strlen(j->env + off) + 1)
		if (strncmp(j->env + off, kv, len) == 0 &&
		    j->env[off + len] == '=')
			return true;
	return false;
}

/*
 * The command's environment: the caller's, with the job's variables
 * (whatever their length) and its JOB_ID, without the test suite's fault
 * hooks (a job that runs `job` must not crash). The supervisor itself
 * keeps the caller's: a job's LD_PRELOAD or JOB_BUSY_TIMEOUT is not its.
 */
static char **
job_environ(const struct job *j)
{
	extern char **environ;
	size_t n = 0, m = 0, off;
	char **env, **p, *id;

	for (p = environ; *p != NULL; p++)
		n++;
	for (off = 0; j->env != NULL && off < j->env_len;
	    off += strlen(j->env + off) + 1)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL ||
	    (id = malloc(strlen(j->id) + 8)) == NULL) {
		free(env);
		return NULL;
	}
	for (p = environ; *p != NULL; p++)
		if (!env_named(j, *p) &&
		    strncmp(*p, "JOB_TEST_CRASH=", 15) != 0 &&
		    strncmp(*p, "JOB_TEST_STOP=", 14) != 0)
			env[m++] = *p;
	for (off = 0; j->env != NULL && off < j->env_len;
	    off += strlen(j->env + off) + 1)
		if (strchr(j->env + off, '=') != NULL)
			env[m++] = j->env + off;
	sprintf(id, "JOB_ID=%s", j->id);
	env[m++] = id;
	env[m] = NULL;
	return env;
}

/*
 * The file an argv's first word names: as given when it holds a '/', else
 * the first executable match in the job's PATH (an empty entry is the
 * folder). Returns 0, or ENOENT / EACCES as a shell would report them.
 */
static int
find_program(char **env, const char *word, char *path, size_t len)
{
	const char *dirs = env_lookup(env, "PATH"), *p, *end;
	int err = ENOENT;

	if (strchr(word, '/') != NULL) {
		snprintf(path, len, "%s", word);
		return access(path, X_OK) == 0 ? 0 : errno;
	}
	if (dirs == NULL)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs; ; p = end + 1) {
		struct stat sb;
		size_t dlen;

		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		snprintf(path, len, "%.*s%s%s", (int)dlen, p, dlen ? "/" : "",
		    word);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (access(path, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		if (*end == '\0')
			return err;
	}
}

/*
 * The command's argv: the stored words, or sh -c for a shell line. One
 * slot more in front, for running a file without a #! line through sh as
 * a shell would. NULL when out of memory.
 */
static char **
command_argv(const struct job *j)
{
	size_t n = 0, off, i = 1;
	char **argv;

	if (j->argv == NULL) {
		argv = calloc(5, sizeof(*argv));
		if (argv != NULL) {
			argv[1] = (char *)(uintptr_t)"sh";
			argv[2] = (char *)(uintptr_t)"-c";
			argv[3] = j->command;
		}
		return argv;
	}
	for (off = 0; off < j->argv_len; off += strlen(j->argv + off) + 1)
		n++;
	if ((argv = calloc(n + 2, sizeof(*argv))) == NULL)
		return NULL;
	for (off = 0; off < j->argv_len; off += strlen(j->argv + off) + 1)
		argv[i++] = j->argv + off;
	return argv;
}

/*
 * Starts C: vfork copies no page tables, which is most of the cost of a
 * start, and unlike posix_spawn it lets C reset every signal itself.
 * Returns 0, or the errno of the exec.
 */
static int
spawn_command(const char *path, char **argv, char **env, int out_w,
    pid_t *pid)
{
	volatile int err = 0;
	pid_t child;

	child = vfork();
	if (child < 0)
		return errno;
	if (child == 0) {
		setpgid(0, 0);
		if (dup2(out_w, STDOUT_FILENO) < 0 ||
		    dup2(out_w, STDERR_FILENO) < 0) {
			err = errno;
			_exit(127);
		}
		reset_signals();
		execve(path, argv + 1, env);
		if (errno == ENOEXEC) {
			/* A script without #!: sh runs it, as a shell would. */
			argv[0] = (char *)(uintptr_t)"sh";
			argv[1] = (char *)(uintptr_t)path;
			execve("/bin/sh", argv, env);
		}
		err = errno;
		_exit(127);
	}
	/* The child has exec'd or exited: err is final. A group of its own
	 * before anyone can signal it, whichever of us runs first. */
	setpgid(child, child);
	if (err != 0) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	*pid = child;
	return 0;
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

/*
 * S, still in the caller's image: detach, start the command, tell the
 * caller, exec the fresh supervisor image. Never returns.
 */
static void __attribute__((noreturn))
start_job(const struct sup_spec *spec, int status_w, int confirm_r)
{
	const struct job *j = spec->job;
	struct sup_log log;
	struct sup_msg msg;
	struct sup_args args;
	sigset_t held;
	char nums[SUP_ARGC][SUP_NUMBUF], path[PATH_MAX], *sargv[SUP_ARGC + 1];
	char **cargv, **env;
	int out[2], keep[4], devnull, rc;
	bool zombie;

	reset_signals();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	memset(&log, 0, sizeof(log));
	log.fd = spec->log_fd;
	memset(&msg, 0, sizeof(msg));
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
	keep[1] = confirm_r;
	keep[2] = spec->lock_fd;
	keep[3] = spec->log_fd;
	close_other_fds(keep, 4);
#if defined(__linux__)
	/* Kept across exec: orphans of the job become our children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
	if (sup_pipe(out) < 0)
		fail_start(&log, spec, status_w, "pipe", errno);
	/* The home path is absolute, so S can live in the job's folder. */
	if (chdir(j->cwd) < 0)
		fail_start(&log, spec, status_w, "chdir", errno);
	umask(spec->umask);
	if ((cargv = command_argv(j)) == NULL || (env = job_environ(j)) == NULL)
		fail_start(&log, spec, status_w, "start", ENOMEM);
	if (j->argv == NULL)
		snprintf(path, sizeof(path), "/bin/sh");
	else if ((rc = find_program(env, cargv[1], path, sizeof(path))) != 0)
		fail_start(&log, spec, status_w, cargv[1], rc);
	msg.started_at = job_now_ms();
	rc = spawn_command(path, cargv, env, out[1], &args.child);
	close(out[1]);
	if (rc != 0)
		fail_start(&log, spec, status_w, j->argv ? cargv[1] : path,
		    rc);
	msg.kind = 'R';
	msg.pid = args.child;
	msg.sup_pid = getpid();
	proc_probe(args.child, &msg.pid_start, &zombie);
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
	args.command = kept_command(j->command);
	args.cwd = j->cwd;
	args.project = j->project;
	args.name = j->name;
	args.boot_id = j->boot_id;
	args.out_fd = out[0];
	args.log_fd = spec->log_fd;
	args.lock_fd = spec->lock_fd;
	args.confirm_fd = confirm_r;
	args.timeout_ms = j->timeout_ms;
	args.grace_ms = j->grace_ms;
	args.pid_start = msg.pid_start;
	args.sup_start = msg.sup_start;
	args.started_at = msg.started_at;
	args.created_at = j->created_at;
	/* The descriptors the fresh image keeps. */
	sup_set_flags(out[0], false, false);
	sup_set_flags(spec->log_fd, false, false);
	sup_set_flags(spec->lock_fd, false, false);
	sup_set_flags(confirm_r, false, false);
	sup_args_pack(&args, nums, sargv);
	execv(spec->self_exe, sargv);
	/* No fresh image: nobody supervises. Kill the job rather than leave
	 * it unwatched; reconciliation records the loss. */
	sup_log_note(&log, "cannot run the supervisor '%s': %s",
	    spec->self_exe, strerror(errno));
	kill(-args.child, SIGKILL);
	_exit(1);
}

int
sup_start(const struct sup_spec *spec, struct sup_result *out, struct err *e)
{
	int status[2], confirm[2];
	pid_t a;
	struct sup_msg msg;
	ssize_t n;
	size_t got = 0;

	memset(out, 0, sizeof(*out));
	out->confirm_fd = -1;
	if (sup_pipe(status) < 0)
		return err_sys(e, ERR_IO, errno, "pipe");
	if (sup_pipe(confirm) < 0) {
		close(status[0]);
		close(status[1]);
		return err_sys(e, ERR_IO, errno, "pipe");
	}
	fflush(NULL);
	a = fork();
	if (a < 0) {
		err_sys(e, ERR_SPAWN_FAILED, errno, "fork");
		close(status[0]);
		close(status[1]);
		close(confirm[0]);
		close(confirm[1]);
		return -1;
	}
	if (a == 0) {
		pid_t s;

		close(status[0]);
		close(confirm[1]);
		setsid();
		s = fork();
		if (s == 0)
			start_job(spec, status[1], confirm[0]);
		_exit(s < 0 ? 1 : 0);
	}
	close(status[1]);
	close(confirm[0]);
	/* ECHILD when our caller made us ignore SIGCHLD: A is gone then. */
	while (waitpid(a, NULL, 0) < 0 && errno == EINTR)
		;
	while (got < sizeof(msg)) {
		n = read(status[0], (char *)&msg + got, sizeof(msg) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(status[0]);
	if (got < sizeof(msg)) {
		close(confirm[1]);
		err_set(e, ERR_SPAWN_FAILED,
		    "the supervisor died before starting the job");
		return SUP_LOST;
	}
	if (msg.kind == 'F') {
		close(confirm[1]);
		msg.what[sizeof(msg.what) - 1] = '\0';
		/* As a shell reports them: 127 not found, 126 found but
		 * not runnable. */
		out->exit_code = msg.err == ENOENT || msg.err == ENOTDIR ?
		    127 : 126;
		if (strcmp(msg.what, "chdir") == 0)
			return err_set(e, ERR_SPAWN_FAILED, "folder '%s': %s",
			    spec->job->cwd, strerror(msg.err));
		return err_set(e, ERR_SPAWN_FAILED, "%s: %s", msg.what,
		    strerror(msg.err));
	}
	out->pid = (pid_t)msg.pid;
	out->pid_start = msg.pid_start;
	out->sup_pid = (pid_t)msg.sup_pid;
	out->sup_start = msg.sup_start;
	out->started_at = msg.started_at;
	out->confirm_fd = confirm[1];
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
