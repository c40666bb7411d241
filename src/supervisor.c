/*
 * The supervisor.
 *
 * `job run` (the caller) forks A; A calls setsid() and forks S, the
 * supervisor, then exits, so S belongs to no terminal and survives the
 * caller, SIGHUP and the end of the agent's session. S inherits the job
 * lock's open file description, so the lock is held exactly as long as S
 * lives. S forks C, which makes its own process group and execs
 * /bin/sh -c COMMAND with stdout and stderr on one pipe; S copies the pipe
 * into the log. Once exec succeeded S sends C's identity to the caller over
 * a status pipe, and the caller records `running` with the connection it
 * already holds: S never touches a SQLite connection from before the fork.
 *
 * Then S execs a fresh image of job (`job-supervisor`, see sup_main): what
 * S inherited of the caller, its memory and its SQLite library state, is
 * gone, so the supervisor may open the store and stays small.
 *
 * S then sleeps in poll(2) on the output pipe and a self-pipe fed by its
 * signal handlers; the poll deadline is the timeout or the end of a grace
 * period, so an idle job costs no CPU. The job's end is C's exit, seen with
 * waitid(WNOWAIT) so that C stays a zombie and its process group id cannot
 * be reused while S kills what is left: SIGTERM to the group and to every
 * process S adopted as subreaper (Linux), SIGKILL after the grace period,
 * until nothing is left. Last, S records the end in one transaction,
 * retrying for as long as it takes, since the exit status exists nowhere
 * else.
 */
#include "supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "duration.h"
#include "home.h"
#include "job.h"
#include "proc.h"
#include "store.h"

/* What S tells the caller, in one write (atomic: smaller than PIPE_BUF). */
struct sup_msg {
	char kind;		/* 'R' running, 'F' could not start */
	int err;		/* errno of the failed step */
	char what[256];		/* the failed step */
	int64_t pid, pid_start, sup_pid, sup_start, started_at;
};

#define BUF_SIZE 65536
#define RETRY_DISK_MS 1000	/* how often to retry a full disk */
#define RECORD_RETRY_MS (3600 * 1000)
#define AFTER_KILL_MS 10000	/* give up on unkillable processes */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_chld, got_term;

struct sup {
	const char *home;	/* $JOB_HOME, absolute */
	const char *id;		/* the job */
	int log_fd;		/* its log, open for appending */
	pid_t child;		/* C, the command's process and group */
	bool child_exited;	/* C's status is known */
	bool child_reaped;	/* C is reaped: its group id is free */
	bool child_signaled;	/* C was killed by a signal */
	int child_status;	/* its exit code, or the signal */
	int out_fd;		/* the output pipe, -1 at EOF */
	bool stopping;		/* `job stop` asked */
	bool timed_out;
	bool killing;		/* SIGTERM sent, SIGKILL pending */
	bool killed;		/* SIGKILL sent */
	int64_t kill_at;	/* monotonic ms for SIGKILL; 0 = none */
	int64_t deadline;	/* monotonic ms of the timeout; 0 = none */
	int64_t gave_up_at;	/* stop waiting for unkillable leftovers */
	int64_t grace_ms;
	int64_t timeout_ms;
	int leftovers;		/* processes still there when C exited */
	int64_t dropped;	/* output bytes lost to a full disk */
	int64_t dropped_unreported;
	int64_t disk_retry_at;
	char last_byte;		/* of the log, to start our notes on a line */
	struct job started;	/* identities, for the final record */
	int64_t confirm_at;	/* when to check that `running` was recorded */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static int
set_cloexec_nonblock(int fd, bool nonblock)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -1;
	if (nonblock) {
		flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return -1;
	}
	return 0;
}

/* pipe2(O_CLOEXEC) where it exists; pipe + fcntl elsewhere. */
static int
cloexec_pipe(int fds[2])
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__)
	extern int pipe2(int[2], int);
	return pipe2(fds, O_CLOEXEC);
#else
	if (pipe(fds) < 0)
		return -1;
	if (set_cloexec_nonblock(fds[0], false) < 0 ||
	    set_cloexec_nonblock(fds[1], false) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
#endif
}

static ssize_t
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done > 0 ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Closes every descriptor but those in keep (sorted is not required). */
static void
close_other_fds(const int *keep, size_t nkeep)
{
	int fds[1024];
	size_t n = 0, i, k;
	DIR *dir;
	struct dirent *de;

	/* Read the list first: closing while reading would confuse readdir. */
	dir = opendir("/dev/fd");
	if (dir != NULL) {
		int self = dirfd(dir);
		while ((de = readdir(dir)) != NULL && n < 1024) {
			int fd;
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			fd = atoi(de->d_name);
			if (fd > 2 && fd != self)
				fds[n++] = fd;
		}
		closedir(dir);
		if (n < 1024) {
			for (i = 0; i < n; i++) {
				for (k = 0; k < nkeep; k++)
					if (keep[k] == fds[i])
						break;
				if (k == nkeep)
					close(fds[i]);
			}
			return;
		}
	}
	{
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = 3; fd < max; fd++) {
			for (k = 0; k < nkeep; k++)
				if (keep[k] == fd)
					break;
			if (k == nkeep)
				close(fd);
		}
	}
}

static void
log_write(struct sup *s, const char *buf, size_t len);

/* Appends a note of ours to the log, on a line of its own. */
static void
log_note(struct sup *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_note(struct sup *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = 0;

	if (s->last_byte != '\0' && s->last_byte != '\n')
		line[n++] = '\n';
	n += snprintf(line + n, sizeof(line) - (size_t)n, "[job] ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	log_write(s, line, (size_t)n);
}

/*
 * Writes output to the log. On a full disk (or a file size limit) the bytes
 * are counted and dropped, so the job never blocks on a full pipe; writing
 * is retried now and then, and a note marks the gap once space returns.
 */
static void
log_write(struct sup *s, const char *buf, size_t len)
{
	ssize_t n;

	if (s->dropped_unreported > 0) {
		char note[160];
		int64_t now = mono_ms();
		int nl;

		if (now < s->disk_retry_at) {
			s->dropped += (int64_t)len;
			s->dropped_unreported += (int64_t)len;
			return;
		}
		nl = snprintf(note, sizeof(note), "%s[job] %lld bytes of "
		    "output dropped: the log could not be written\n",
		    s->last_byte != '\n' && s->last_byte != '\0' ? "\n" : "",
		    (long long)s->dropped_unreported);
		if (write_all(s->log_fd, note, (size_t)nl) != nl) {
			s->disk_retry_at = now + RETRY_DISK_MS;
			s->dropped += (int64_t)len;
			s->dropped_unreported += (int64_t)len;
			return;
		}
		s->dropped_unreported = 0;
		s->last_byte = '\n';
	}
	n = write_all(s->log_fd, buf, len);
	if (n == (ssize_t)len) {
		if (len > 0)
			s->last_byte = buf[len - 1];
		return;
	}
	if (n > 0)
		s->last_byte = buf[n - 1];
	else
		n = 0;
	s->dropped += (int64_t)(len - (size_t)n);
	s->dropped_unreported += (int64_t)(len - (size_t)n);
	s->disk_retry_at = mono_ms() + RETRY_DISK_MS;
}

/* Reads what the pipe holds now; marks EOF. */
static void
drain_output(struct sup *s, char *buf)
{
	while (s->out_fd >= 0) {
		ssize_t n = read(s->out_fd, buf, BUF_SIZE);
		if (n > 0) {
			log_write(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(s->out_fd);
		s->out_fd = -1;
	}
}

/*
 * Signals the whole job: C's process group while its id is pinned, and on
 * Linux every live process S adopted (those that left the group; once C is
 * gone, every process left of the job descends from one of them). Returns
 * how many live processes there were besides C.
 */
static int
signal_job(struct sup *s, int sig)
{
	struct proc_info *list;
	size_t n = 0, i;
	int others = 0;

	if (!s->child_reaped)
		kill(-s->child, sig);
	if (proc_list(getpid(), 0, &list, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (list[i].pid == s->child || list[i].zombie)
				continue;
			kill(list[i].pid, sig);
			others++;
		}
		free(list);
	}
	return others;
}

static void
note_child_end(struct sup *s, bool signaled, int status)
{
	s->child_exited = true;
	s->child_signaled = signaled;
	s->child_status = status;
}

/*
 * Reaps exited children. C itself is left a zombie once it has exited, so
 * its process group id stays ours while the leftovers are killed; the
 * adopted zombies are then reaped one by one, since wait(-1) would take C.
 */
static void
reap(struct sup *s)
{
	siginfo_t si;
	int status;
	pid_t p;

	if (!s->child_exited) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)s->child, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == s->child)
			note_child_end(s, si.si_code != CLD_EXITED,
			    si.si_status);
	}
	if (!s->child_exited) {
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != s->child)
				continue;
			/* C ended between the two calls: reaped, unpinned. */
			note_child_end(s, WIFSIGNALED(status),
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			s->child_reaped = true;
		}
		return;
	}
#if defined(__linux__)
	{
		struct proc_info *list;
		size_t n, i;

		if (proc_list(getpid(), 0, &list, &n) == 0) {
			for (i = 0; i < n; i++)
				if (list[i].zombie && list[i].pid != s->child)
					waitpid(list[i].pid, NULL, WNOHANG);
			free(list);
		}
	}
#else
	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		if (p == s->child)
			s->child_reaped = true;
#endif
}

static void
start_kill(struct sup *s, int sig, int64_t grace_ms)
{
	if (sig == SIGKILL) {
		signal_job(s, SIGKILL);
		s->killed = true;
		s->killing = true;
		s->kill_at = 0;
		if (s->gave_up_at == 0)
			s->gave_up_at = mono_ms() + AFTER_KILL_MS;
		return;
	}
	signal_job(s, sig);
	if (!s->killing) {
		s->killing = true;
		s->kill_at = mono_ms() + grace_ms;
	}
}

/* `job stop` leaves the signal and grace in the row: read them. */
static void
handle_stop_request(struct sup *s)
{
	struct store *st;
	struct job j;
	int sig = SIGTERM;
	int64_t grace = s->grace_ms;

	s->stopping = true;
	if (store_open(s->home, &st, NULL) == 0) {
		if (store_job_get(st, s->id, &j, NULL) == 0) {
			if (j.stop_signal != NULL) {
				int n = proc_signal_number(j.stop_signal);
				if (n > 0)
					sig = n;
				grace = j.stop_grace_ms;
			} else
				s->stopping = false; /* not from `job stop` */
			job_free(&j);
		}
		store_close(st);
	}
	start_kill(s, sig, grace);
}

static void
record_end(struct sup *s, const struct job_end *end)
{
	struct store *st = NULL;
	struct err e;
	int64_t give_up = mono_ms() + RECORD_RETRY_MS;
	int64_t pause_ms = 10;
	bool changed;

	for (;;) {
		if (st == NULL && store_open(s->home, &st, &e) < 0)
			st = NULL;
		if (st != NULL &&
		    store_job_finish(st, s->id, end, &changed, &e) == 0)
			break;
		if (mono_ms() > give_up) {
			log_note(s, "the end of this job could not be recorded: "
			    "%s", e.msg);
			break;
		}
		{
			struct timespec ts = { pause_ms / 1000,
				(pause_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
		if (pause_ms < 1000)
			pause_ms *= 2;
	}
	store_close(st);
}

/*
 * `job run` records `running` once we have started; if it died before it
 * could, the row would say `pending` with no pid while the job runs, and
 * `job stop` could not find us. A second after the start, check and fill
 * it in. One read for most jobs, and only for those that live a second.
 */
static void
confirm_running(struct sup *s)
{
	struct store *st;
	struct job j;

	if (store_open(s->home, &st, NULL) < 0)
		return;
	if (store_job_get(st, s->id, &j, NULL) == 0) {
		if (j.status == JOB_PENDING) {
			struct job mark = s->started;

			snprintf(mark.id, sizeof(mark.id), "%s", s->id);
			store_job_mark_running(st, &mark, NULL);
		}
		job_free(&j);
	}
	store_close(st);
}

static void
finish(struct sup *s)
{
	struct job_end end;
	memset(&end, 0, sizeof(end));
	end.exit_code = -1;
	if (!s->child_signaled) {
		end.exit_code = s->child_status;
		end.reason = "exited";
		end.status = s->child_status == 0 ? JOB_COMPLETED : JOB_FAILED;
	} else {
		end.signal = proc_signal_name(s->child_status);
		end.reason = "signaled";
		end.status = JOB_FAILED;
	}
	if (s->timed_out) {
		end.status = JOB_FAILED;
		end.reason = "timeout";
	} else if (s->stopping) {
		end.status = JOB_STOPPED;
		end.reason = "stopped";
	}
	end.finished_at = job_now_ms();
	end.log_dropped = s->dropped;
	end.started = &s->started;
	if (s->dropped_unreported > 0) {
		s->disk_retry_at = 0;
		log_write(s, "", 0);
	}
	record_end(s, &end);
}

/*
 * Starts C with posix_spawn: a vfork-style start copies no page tables,
 * which is most of the cost of starting a job. The attributes give C its
 * own process group before it execs (so nobody can signal a group that
 * does not exist yet), default dispositions for every signal (a caller's
 * shell ignores SIGINT and SIGQUIT for `cmd &`) and an empty mask. S has
 * already moved to the job's folder; stdin is S's /dev/null. An argv's
 * program is found through the job's PATH, from the job's folder.
 */
static int
spawn_command(const struct sup_spec *spec, int out_w, pid_t *pid)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char *argv[4], **words = argv;
	size_t off, n = 0;
	int rc;

	argv[0] = (char *)(uintptr_t)"sh";
	argv[1] = (char *)(uintptr_t)"-c";
	argv[2] = (char *)(uintptr_t)spec->command;
	argv[3] = NULL;
	if (spec->argv != NULL) {
		words = calloc(spec->argv_len + 1, sizeof(*words));
		if (words == NULL)
			return ENOMEM;
		for (off = 0; off < spec->argv_len;
		    off += strlen(spec->argv + off) + 1)
			words[n++] = (char *)(uintptr_t)(spec->argv + off);
	}
	sigfillset(&all);
	sigemptyset(&none);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	if ((rc = posix_spawn_file_actions_adddup2(&fa, out_w,
	    STDOUT_FILENO)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out_w,
	    STDERR_FILENO)) == 0 &&
	    (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0 &&
	    (rc = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0)
		rc = words != argv ?
		    posix_spawnp(pid, words[0], &fa, &attr, words, environ) :
		    posix_spawn(pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
out:
	if (words != argv)
		free(words);
	return rc;
}

static void
set_job_env(const struct sup_spec *spec)
{
	size_t off = 0;

	setenv("JOB_ID", spec->id, 1);
	while (spec->env != NULL && off < spec->env_len) {
		const char *kv = spec->env + off;
		size_t len = strlen(kv);
		const char *eq = strchr(kv, '=');

		if (eq != NULL) {
			char name[256];
			size_t nlen = (size_t)(eq - kv);
			if (nlen > 0 && nlen < sizeof(name)) {
				memcpy(name, kv, nlen);
				name[nlen] = '\0';
				setenv(name, eq + 1, 1);
			}
		}
		off += len + 1;
	}
}

/* The end is recorded: the lock file goes, and the lock with our exit. */
static void __attribute__((noreturn))
leave(const struct sup *s)
{
	char path[PATH_MAX];

	home_lock_path(s->home, s->id, path, sizeof(path));
	unlink(path);
	_exit(0);
}

static void
send_msg(int fd, const struct sup_msg *m)
{
	(void)!write_all(fd, m, sizeof(*m));
	close(fd);
}

static int64_t
poll_timeout(const struct sup *s)
{
	int64_t now = mono_ms(), t = -1;

	if (s->deadline > 0 && !s->timed_out)
		t = s->deadline - now;
	if (s->kill_at > 0 && (t < 0 || s->kill_at - now < t))
		t = s->kill_at - now;
	if (s->confirm_at > 0 && (t < 0 || s->confirm_at - now < t))
		t = s->confirm_at - now;
	if (s->child_exited && (s->leftovers > 0 || s->killing))
		/* Leftovers that are not our children send no SIGCHLD. */
		t = t < 0 || t > 50 ? 50 : t;
	if (s->dropped_unreported > 0 && (t < 0 || t > RETRY_DISK_MS))
		t = RETRY_DISK_MS;
	if (t < 0)
		return -1;
	return t > INT_MAX ? INT_MAX : t;
}

/*
 * Runs in S, in the caller's image: the command could not be started. Say
 * why in the log and answer the caller, which records `failed` with reason
 * spawn_failed (S must not use SQLite: the caller's connection was open
 * when it forked). Never returns.
 */
static void __attribute__((noreturn))
fail_start(struct sup *s, const struct sup_spec *spec, int status_w,
    const char *what, int err)
{
	struct sup_msg msg;

	if (strcmp(what, "chdir") == 0)
		log_note(s, "cannot start the job: folder '%s': %s",
		    spec->cwd, strerror(err));
	else
		log_note(s, "cannot start the job: %s: %s", what,
		    strerror(err));
	memset(&msg, 0, sizeof(msg));
	msg.kind = 'F';
	msg.err = err;
	snprintf(msg.what, sizeof(msg.what), "%s", what);
	send_msg(status_w, &msg);
	_exit(1);
}

/*
 * Runs in S, still in the caller's image: detach, start the command, tell
 * the caller, then exec a fresh image of job to supervise. The fresh image
 * owns no memory or SQLite state of the caller's, so it may open the store
 * and stays small. Never returns.
 */
static void __attribute__((noreturn))
start_job(const struct sup_spec *spec, int status_w)
{
	struct sup s;
	struct sup_msg msg;
	sigset_t none, held;
	int out[2], keep[3], devnull, rc;
	char args[9][32];
	char *argv[14];
	bool zombie;

	memset(&s, 0, sizeof(s));
	memset(&msg, 0, sizeof(msg));
	s.home = spec->home;
	s.id = spec->id;
	s.log_fd = spec->log_fd;

	/* A caller that blocked signals must not make `job stop` fail. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGINT, SIG_IGN);
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
	keep[1] = spec->lock_fd;
	keep[2] = spec->log_fd;
	close_other_fds(keep, 3);
#if defined(__linux__)
	/* Kept across exec: orphans of the job become our children. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
	if (cloexec_pipe(out) < 0)
		fail_start(&s, spec, status_w, "pipe", errno);
	set_job_env(spec);
	/* The home path is absolute, so S can live in the job's folder. */
	if (chdir(spec->cwd) < 0)
		fail_start(&s, spec, status_w, "chdir", errno);
	msg.started_at = job_now_ms();
	umask(spec->umask);
	rc = spawn_command(spec, out[1], &s.child);
	close(out[1]);
	if (rc != 0)
		fail_start(&s, spec, status_w, spec->argv != NULL ?
		    spec->argv : "exec /bin/sh", rc);
	msg.kind = 'R';
	msg.pid = s.child;
	msg.sup_pid = getpid();
	proc_probe(s.child, &msg.pid_start, &zombie);
	proc_probe(getpid(), &msg.sup_start, &zombie);

	/* Held signals stay pending across exec, for the new image's
	 * handlers: a `job stop` or C's exit in between is not lost. */
	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGCHLD);
	sigprocmask(SIG_BLOCK, &held, NULL);
	send_msg(status_w, &msg);

	/* The descriptors the fresh image keeps. */
	fcntl(out[0], F_SETFD, 0);
	fcntl(spec->log_fd, F_SETFD, 0);
	fcntl(spec->lock_fd, F_SETFD, 0);
	snprintf(args[0], sizeof(args[0]), "%d", (int)s.child);
	snprintf(args[1], sizeof(args[1]), "%d", out[0]);
	snprintf(args[2], sizeof(args[2]), "%d", spec->log_fd);
	snprintf(args[3], sizeof(args[3]), "%d", spec->lock_fd);
	snprintf(args[4], sizeof(args[4]), "%lld", (long long)spec->timeout_ms);
	snprintf(args[5], sizeof(args[5]), "%lld", (long long)spec->grace_ms);
	snprintf(args[6], sizeof(args[6]), "%lld", (long long)msg.pid_start);
	snprintf(args[7], sizeof(args[7]), "%lld", (long long)msg.sup_start);
	snprintf(args[8], sizeof(args[8]), "%lld", (long long)msg.started_at);
	argv[0] = (char *)(uintptr_t)"job-supervisor";
	argv[1] = (char *)(uintptr_t)SUP_ARGV_MARK;
	argv[2] = (char *)(uintptr_t)spec->id;
	argv[3] = (char *)(uintptr_t)spec->home;
	for (rc = 0; rc < 9; rc++)
		argv[4 + rc] = args[rc];
	argv[13] = NULL;
	execv(spec->self_exe, argv);
	/* No fresh image: nobody supervises. Kill the job rather than leave
	 * it unwatched; reconciliation records the loss. */
	log_note(&s, "cannot run the supervisor '%s': %s", spec->self_exe,
	    strerror(errno));
	kill(-s.child, SIGKILL);
	_exit(1);
}

static int
parse_arg(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return -1;
	*out = v;
	return 0;
}

/* The supervisor's loop, in the fresh image. Never returns. */
static void __attribute__((noreturn))
supervise(struct sup *s, char *buf)
{
	for (;;) {
		struct pollfd pfd[2];
		int nfds = 0, timeout;
		int64_t now;

		if (got_chld) {
			got_chld = 0;
			reap(s);
		}
		if (got_term) {
			got_term = 0;
			handle_stop_request(s);
		}
		now = mono_ms();
		if (s->deadline > 0 && !s->timed_out && now >= s->deadline &&
		    !s->child_exited) {
			s->timed_out = true;
			drain_output(s, buf);
			log_note(s, "timed out after %lld ms: stopping the job",
			    (long long)s->timeout_ms);
			start_kill(s, SIGTERM, s->grace_ms);
		}
		if (s->kill_at > 0 && now >= s->kill_at && !s->killed)
			start_kill(s, SIGKILL, 0);
		if (s->confirm_at > 0 && now >= s->confirm_at) {
			s->confirm_at = 0;
			if (!s->child_exited)
				confirm_running(s);
		}
		if (s->child_exited) {
			/* C has ended: whatever is left of the job goes. */
			struct proc_info *list;
			size_t left = 0;

			if (proc_list(getpid(), 0, &list, &left) == 0) {
				size_t i, live = 0;
				for (i = 0; i < left; i++)
					if (list[i].pid != s->child &&
					    !list[i].zombie)
						live++;
				free(list);
				left = live;
			}
			if (left > 0 && s->leftovers == 0) {
				s->leftovers = (int)left;
				/* A stop or timeout already kills them all;
				 * only a job that ended by itself gets the
				 * note. What it printed comes first. */
				if (!s->killing) {
					drain_output(s, buf);
					log_note(s, "the main process exited; "
					    "stopping %zu leftover process%s",
					    left, left == 1 ? "" : "es");
					start_kill(s, SIGTERM, s->grace_ms);
				}
			} else if (left > 0 && s->killed)
				signal_job(s, SIGKILL);
			if (left == 0 || (s->gave_up_at > 0 &&
			    now >= s->gave_up_at)) {
				if (left > 0)
					log_note(s, "%zu process%s could not "
					    "be killed", left,
					    left == 1 ? "" : "es");
				break;
			}
		}
		pfd[nfds].fd = sig_pipe[0];
		pfd[nfds++].events = POLLIN;
		if (s->out_fd >= 0) {
			pfd[nfds].fd = s->out_fd;
			pfd[nfds++].events = POLLIN;
		}
		timeout = (int)poll_timeout(s);
		if (poll(pfd, (nfds_t)nfds, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			char drainbuf[64];
			while (read(sig_pipe[0], drainbuf, sizeof(drainbuf)) >
			    0)
				;
		}
		if (nfds > 1 && pfd[1].revents)
			drain_output(s, buf);
	}
	/* Everything is dead: what is in the pipe is the rest of the output.
	 * A writer that escaped us (no subreaper) must not keep us here. */
	drain_output(s, buf);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	finish(s);
	leave(s);
}

int
sup_main(int argc, char **argv)
{
	static char buf[BUF_SIZE];
	struct sup s;
	struct sigaction sa;
	int64_t v[9];
	sigset_t none;
	int i;

	if (argc != 13)
		return 2;
	for (i = 0; i < 9; i++)
		if (parse_arg(argv[4 + i], &v[i]) < 0)
			return 2;
	memset(&s, 0, sizeof(s));
	s.id = argv[2];
	s.home = argv[3];
	s.child = (pid_t)v[0];
	s.out_fd = (int)v[1];
	s.log_fd = (int)v[2];
	/* v[3], the lock, stays open until we exit: that is the point. */
	s.grace_ms = v[5];
	s.timeout_ms = v[4];
	s.started.pid = v[0];
	s.started.pid_start = v[6];
	s.started.sup_pid = getpid();
	s.started.sup_start = v[7];
	s.started.started_at = v[8];
	set_cloexec_nonblock(s.out_fd, true);
	set_cloexec_nonblock(s.log_fd, false);
	set_cloexec_nonblock((int)v[3], false);
#if defined(__linux__)
	/* So `ps` and `top` tell supervisors from `job run` calls. */
	prctl(PR_SET_NAME, "job-supervisor", 0, 0, 0);
#endif
	if (cloexec_pipe(sig_pipe) == 0) {
		set_cloexec_nonblock(sig_pipe[0], true);
		set_cloexec_nonblock(sig_pipe[1], true);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* C may have ended while we were exec'ing: look before sleeping. */
	got_chld = 1;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (v[4] > 0)
		s.deadline = mono_ms() + v[4];
	s.confirm_at = mono_ms() + 1000;
	supervise(&s, buf);
}

int
sup_start(const struct sup_spec *spec, struct sup_result *out, struct err *e)
{
	int status[2];
	pid_t a;
	struct sup_msg msg;
	ssize_t n;
	size_t got = 0;

	memset(out, 0, sizeof(*out));
	if (cloexec_pipe(status) < 0)
		return err_sys(e, ERR_IO, errno, "pipe");
	fflush(NULL);
	a = fork();
	if (a < 0) {
		close(status[0]);
		close(status[1]);
		return err_sys(e, ERR_SPAWN_FAILED, errno, "fork");
	}
	if (a == 0) {
		pid_t s;

		close(status[0]);
		setsid();
		s = fork();
		if (s == 0)
			start_job(spec, status[1]);
		_exit(s < 0 ? 1 : 0);
	}
	close(status[1]);
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
		err_set(e, ERR_SPAWN_FAILED,
		    "the supervisor died before starting the job");
		return SUP_LOST;
	}
	if (msg.kind == 'F') {
		out->err = msg.err;
		msg.what[sizeof(msg.what) - 1] = '\0';
		if (strcmp(msg.what, "chdir") == 0)
			return err_set(e, ERR_SPAWN_FAILED, "folder '%s': %s",
			    spec->cwd, strerror(msg.err));
		return err_set(e, ERR_SPAWN_FAILED, "%s: %s", msg.what,
		    strerror(msg.err));
	}
	out->started = 1;
	out->pid = (pid_t)msg.pid;
	out->pid_start = msg.pid_start;
	out->sup_pid = (pid_t)msg.sup_pid;
	out->sup_start = msg.sup_start;
	out->started_at = msg.started_at;
	return 0;
}
