/*
 * Tests src/proc.c: signal names and numbers both ways, and, on Linux, the
 * process tree (both ways of walking it agree, across sessions, with other
 * jobs' supervisors left out) and liveness by thread rather than by the
 * leader's state letter. The tree tests fork real processes.
 */
#define _DEFAULT_SOURCE 1

#include "proc.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

static void
test_signal_names(void)
{
	char buf[PROC_SIGNAME_MAX];
	int sig;

	CHECK_EQ_STR(proc_signal_name(SIGTERM, buf), "SIGTERM");
	CHECK_EQ_STR(proc_signal_name(SIGHUP, buf), "SIGHUP");
	CHECK_EQ_STR(proc_signal_name(SIGSYS, buf), "SIGSYS");
	CHECK(proc_signal_name(0, buf) == NULL);
	CHECK(proc_signal_name(-1, buf) == NULL);
	CHECK_EQ_INT(proc_signal_number("TERM"), SIGTERM);
	CHECK_EQ_INT(proc_signal_number("sigterm"), SIGTERM);
	CHECK_EQ_INT(proc_signal_number("SIGTERM"), SIGTERM);
	CHECK_EQ_INT(proc_signal_number("15"), 15);
	CHECK_EQ_INT(proc_signal_number("SIG15"), 15);
	CHECK_EQ_INT(proc_signal_number(""), -1);
	CHECK_EQ_INT(proc_signal_number(NULL), -1);
	CHECK_EQ_INT(proc_signal_number("SIG"), -1);
	CHECK_EQ_INT(proc_signal_number("0"), -1);
	CHECK_EQ_INT(proc_signal_number("15x"), -1);
	CHECK_EQ_INT(proc_signal_number("NOPE"), -1);
	CHECK_EQ_INT(proc_signal_number("-15"), -1);
#if defined(__linux__)
	CHECK_EQ_STR(proc_signal_name(SIGPWR, buf), "SIGPWR");
	CHECK_EQ_STR(proc_signal_name(SIGWINCH, buf), "SIGWINCH");
	CHECK_EQ_STR(proc_signal_name(SIGSTKFLT, buf), "SIGSTKFLT");
	CHECK_EQ_INT(proc_signal_number("pwr"), SIGPWR);
	CHECK_EQ_STR(proc_signal_name(SIGRTMIN, buf), "SIGRTMIN");
	CHECK_EQ_STR(proc_signal_name(SIGRTMIN + 3, buf), "SIGRTMIN+3");
	CHECK_EQ_INT(proc_signal_number("RTMIN"), SIGRTMIN);
	CHECK_EQ_INT(proc_signal_number("RTMIN+3"), SIGRTMIN + 3);
	CHECK_EQ_INT(proc_signal_number("sigrtmin+3"), SIGRTMIN + 3);
	CHECK_EQ_INT(proc_signal_number("RTMAX"), SIGRTMAX);
	CHECK_EQ_INT(proc_signal_number("SIGRTMAX-1"), SIGRTMAX - 1);
	CHECK_EQ_INT(proc_signal_number("RTMIN+99"), -1);
	CHECK_EQ_INT(proc_signal_number("RTMIN-1"), -1);
	CHECK_EQ_INT(proc_signal_number("RTMAX+1"), -1);
	CHECK_EQ_INT(proc_signal_number("RTMIN+"), -1);
	CHECK_EQ_INT(proc_signal_number("RTMIN+x"), -1);
	CHECK(proc_signal_name(SIGRTMAX + 1, buf) == NULL);
	CHECK_EQ_INT(proc_signal_number("65"), -1);
	/* glibc keeps 32 and 33 below SIGRTMIN for itself. */
	if (SIGRTMIN > 32)
		CHECK_EQ_STR(proc_signal_name(32, buf), "SIG32");
#endif
	/* Every signal's name gives its number back. */
	for (sig = 1; sig <= 64; sig++) {
		const char *name = proc_signal_name(sig, buf);
		if (name == NULL)
			continue;
		if (!CHECK_EQ_INT(proc_signal_number(name), sig))
			fprintf(stderr, "  (%s)\n", name);
	}
}

#if defined(__linux__)
static bool
in_list(const struct proc_info *list, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].pid == pid)
			return true;
	return false;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A child that runs fn in a new session, then sleeps until killed. */
static pid_t
spawn(void (*fn)(int), int arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		if (fn != NULL)
			fn(arg);
		for (;;)
			pause();
	}
	return pid;
}

static int pipe_w = -1;
static int held_fd = -1;	/* a fake supervisor's lock: not inherited */

/* Tells the parent our pid, then starts a child of our own. */
static void
grandchild(int depth)
{
	pid_t me = getpid();

	if (held_fd >= 0)
		close(held_fd);
	(void)!write(pipe_w, &me, sizeof(me));
	if (depth > 0)
		spawn(grandchild, depth - 1);
}

static char home[64];
static const char *const lock_names[] = {
	"logs/01ARZ3NDEKTSV4RRFFQ69G5FAV.lock",	/* a job's */
	"01ARZ3NDEKTSV4RRFFQ69G5FAV.lock",	/* not in logs/ */
	"logs/not-a-job-id.lock",
};

/* Holds the flock of a lock file, as a supervisor does its job's. */
static void
fake_supervisor(int which)
{
	char path[128];
	pid_t me = getpid();
	int fd;

	snprintf(path, sizeof(path), "%s/%s", home, lock_names[which]);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	flock(fd, LOCK_EX);
	held_fd = fd;
	(void)!write(pipe_w, &me, sizeof(me));
	spawn(grandchild, 0);
}

static void
test_tree(void)
{
	struct proc_info *a, *b;
	size_t na, nb, i;
	pid_t pids[4], sup, sup_child, zombie;
	char path[128];
	int fds[2];

	(void)!pipe(fds);
	pipe_w = fds[1];
	/* Three levels, each in a session of its own. */
	spawn(grandchild, 2);
	for (i = 0; i < 3; i++)
		(void)!read(fds[0], &pids[i], sizeof(pids[i]));
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	pause_ms(100);
	CHECK(proc_tree(getpid(), PROC_WALK_AUTO, &a, &na) == 0);
	CHECK(proc_tree(getpid(), PROC_WALK_SCAN, &b, &nb) == 0);
	CHECK_EQ_INT(na, nb);
	for (i = 0; i < 3; i++) {
		CHECK(in_list(a, na, pids[i]));
		CHECK(in_list(b, nb, pids[i]));
	}
	CHECK(in_list(a, na, zombie));
	for (i = 0; i < na; i++) {
		if (a[i].pid == zombie)
			CHECK(a[i].zombie && !a[i].alive);
		if (a[i].pid == pids[2]) {
			CHECK_EQ_INT(a[i].ppid, pids[1]);
			CHECK_EQ_INT(a[i].sid, pids[2]);
			CHECK(a[i].alive);
		}
	}
	free(a);
	free(b);
	waitpid(zombie, NULL, 0);
	kill(pids[0], SIGKILL);
	waitpid(pids[0], NULL, 0);
	kill(pids[1], SIGKILL);
	kill(pids[2], SIGKILL);

	/* Another job's supervisor is left out, with its tree. */
	snprintf(home, sizeof(home), "/tmp/job-test-proc.XXXXXX");
	CHECK(mkdtemp(home) != NULL);
	snprintf(path, sizeof(path), "%s/logs", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/job.db", home);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	for (i = 1; i < 3; i++) {
		/* Flocks on other files prove nothing. */
		sup = spawn(fake_supervisor, (int)i);
		(void)!read(fds[0], &sup_child, sizeof(sup_child));
		(void)!read(fds[0], &sup_child, sizeof(sup_child));
		CHECK(!proc_is_supervisor(sup));
		kill(sup_child, SIGKILL);
		kill(sup, SIGKILL);
		waitpid(sup, NULL, 0);
	}
	sup = spawn(fake_supervisor, 0);
	(void)!read(fds[0], &sup_child, sizeof(sup_child));	/* sup's */
	(void)!read(fds[0], &sup_child, sizeof(sup_child));
	CHECK(proc_is_supervisor(sup));
	CHECK(!proc_is_supervisor(sup_child));
	CHECK(!proc_is_supervisor(getpid()));
	CHECK(proc_tree(getpid(), PROC_WALK_AUTO, &a, &na) == 0);
	CHECK(!in_list(a, na, sup));
	CHECK(!in_list(a, na, sup_child));
	free(a);
	CHECK(proc_tree(getpid(), PROC_WALK_SCAN, &a, &na) == 0);
	CHECK(!in_list(a, na, sup));
	CHECK(!in_list(a, na, sup_child));
	free(a);
	kill(sup_child, SIGKILL);
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", home, lock_names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/job.db", home);
	unlink(path);
	snprintf(path, sizeof(path), "%s/logs", home);
	rmdir(path);
	rmdir(home);
	close(fds[0]);
	close(fds[1]);
}

static void *
spin(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A leader whose main thread exited shows Z while its thread runs. */
static void
test_alive_by_thread(void)
{
	pid_t pid = fork();
	struct proc_info info;
	int i;

	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, spin, NULL);
		pthread_exit(NULL);
	}
	for (i = 0; i < 200; i++) {
		if (proc_info_of(pid, &info) == 0 && info.zombie)
			break;
		pause_ms(10);
	}
	CHECK(info.zombie);
	CHECK(info.alive);
	CHECK(proc_alive(pid));
	kill(pid, SIGKILL);
	for (i = 0; i < 200 && proc_alive(pid); i++)
		pause_ms(10);
	CHECK(!proc_alive(pid));
	waitpid(pid, NULL, 0);
	CHECK(proc_info_of(pid, &info) < 0);
}
#endif

int
main(void)
{
	test_signal_names();
#if defined(__linux__)
	test_tree();
	test_alive_by_thread();
#endif
	return unit_done();
}
