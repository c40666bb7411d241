/*
 * The bench's stopwatch: times one command from the moment it is spawned,
 * so the figures of job, nq and tsp stop at the same observable points.
 * The bench compiles it into its scratch folder; it is not part of job.
 *
 *   stopwatch run OUT [MARK] -- ARGV...
 *	Spawns ARGV with stdout into the file OUT and prints "RET MARK STATUS":
 *	microseconds until ARGV exited and until a process opened and closed
 *	the FIFO MARK (-1 without MARK), then ARGV's exit status.
 *   stopwatch wake MARK GO -- ARGV...
 *	Spawns the waiter ARGV, lets it block, releases the job by writing a
 *	line into the FIFO GO, and prints "WAKE STATUS": microseconds from the
 *	job's last act (opening and closing MARK) to the waiter's exit.
 *
 * A writer that opens and closes a FIFO leaves its reader with POLLHUP;
 * Linux reports POLLHUP only once a writer has come and gone, so the read
 * end can be opened before the writer exists. The child's exit is seen
 * through a pidfd in the same poll.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define TIMEOUT_MS 60000

extern char **environ;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
die(const char *what)
{
	fprintf(stderr, "stopwatch: %s: %s\n", what, strerror(errno));
	exit(2);
}

static pid_t
spawn(char **argv, const char *out, int *pidfd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		die(argv[0]);
	}
	if ((*pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		die("pidfd_open");
	return pid;
}

static int
reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/*
 * Polls the child's pidfd and the mark FIFO (-1: none) until both fired;
 * fills the microseconds since t0 at which each did. Returns -1 on timeout.
 */
static int
watch(int pidfd, int mark, int64_t t0, int64_t *ret, int64_t *marked)
{
	struct pollfd p[2];
	int64_t deadline = t0 + (int64_t)TIMEOUT_MS * 1000;

	*ret = *marked = -1;
	while (*ret < 0 || (mark >= 0 && *marked < 0)) {
		int64_t left = deadline - now_us();
		nfds_t n = 0;

		if (left <= 0)
			return -1;
		if (*ret < 0)
			p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (mark >= 0 && *marked < 0)
			p[n++] = (struct pollfd){ .fd = mark, .events = POLLIN };
		if (poll(p, n, (int)(left / 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (nfds_t i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == pidfd)
				*ret = now_us() - t0;
			else
				*marked = now_us() - t0;
		}
	}
	return 0;
}

/* Watches as above, then reaps the child: its exit status. */
static int
finish(pid_t pid, int pidfd, int mark, int64_t t0, int64_t *ret,
    int64_t *marked)
{
	if (watch(pidfd, mark, t0, ret, marked) < 0) {
		kill(pid, SIGKILL);
		reap(pid);
		printf("timeout\n");
		exit(1);
	}
	return reap(pid);
}

static int
open_mark(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die(path);
	return fd;
}

/*
 * Opens the FIFO GO for writing once the job's shell has opened it for
 * reading (ENXIO until then), so the job is released only when it waits.
 */
static int
open_go(const char *path)
{
	int64_t deadline = now_us() + (int64_t)TIMEOUT_MS * 1000;
	int fd;

	while ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENXIO || now_us() > deadline)
			die(path);
		usleep(500);
	}
	return fd;
}

/* Returns once the process has slept in a few samples in a row. */
static void
await_blocked(pid_t pid)
{
	char path[64], buf[512], *p;
	int asleep = 0, tries;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (tries = 0; asleep < 3 && tries < 5000; tries++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		asleep = p != NULL && p[1] == ' ' && p[2] == 'S' ?
		    asleep + 1 : 0;
		usleep(2000);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: stopwatch run OUT [MARK] -- ARGV...\n"
	    "       stopwatch wake MARK GO -- ARGV...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int64_t t0, ret, marked;
	int i, pidfd, mark = -1, go, status;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i >= argc - 1 || argc < 4)
		usage();
	if (strcmp(argv[1], "run") == 0 && (i == 3 || i == 4)) {
		if (i == 4)
			mark = open_mark(argv[3]);
		t0 = now_us();
		pid = spawn(argv + i + 1, argv[2], &pidfd);
		status = finish(pid, pidfd, mark, t0, &ret, &marked);
		printf("%lld %lld %d\n", (long long)ret, (long long)marked,
		    status);
		return 0;
	}
	if (strcmp(argv[1], "wake") == 0 && i == 4) {
		mark = open_mark(argv[2]);
		pid = spawn(argv + i + 1, "/dev/null", &pidfd);
		await_blocked(pid);
		go = open_go(argv[3]);
		if (write(go, "\n", 1) != 1)
			die(argv[3]);
		close(go);
		t0 = now_us();
		status = finish(pid, pidfd, mark, t0, &ret, &marked);
		printf("%lld %d\n", (long long)(ret - marked), status);
		return 0;
	}
	usage();
	return 2;
}
