/*
 * flock(2) locks belong to the open file description, which the supervisor
 * inherits across fork: the lock lives exactly as long as the last process
 * holding that description. Waiters take LOCK_SH, which blocks until then.
 *
 * Each lock is probed on its own, even among a thousand. /proc/locks lists
 * them all, but each read(2) of it returns one page after walking the
 * kernel's list from its start (quadratic in the system's locks), holds
 * the lock that every flock and fcntl lock of the system waits on, and in
 * a PID namespace hides an flock whose taker has exited (`job run` takes
 * every job's lock, and exits). Read once, with an lstat per job to match
 * inodes, it saved a third of the probes' time at 1,000 jobs, and cost
 * more than it saved below 500 when other locks were about.
 */
#include "lock.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "home.h"

/*
 * The file is made and locked under a temporary name, then renamed into
 * place: no one ever sees the lock file unlocked, so `job clean` cannot
 * take a starting job's lock for a stray.
 */
int
lock_create(const char *home, const char *id, int *fd, struct err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	home_lock_path(home, id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	*fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (*fd < 0)
		return err_sys(e, ERR_IO, errno, "cannot create '%s'", tmp);
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0 || rename(tmp, path) < 0) {
		int saved = errno;
		close(*fd);
		unlink(tmp);
		return err_sys(e, ERR_IO, saved, "cannot lock '%s'", path);
	}
	return 0;
}

static int
open_lock(const char *home, const char *id)
{
	char path[PATH_MAX];

	home_lock_path(home, id, path, sizeof(path));
	/* O_NONBLOCK: a FIFO put in its place must not hold us in open(). */
	return open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

/* What a free lock's holder left in it, NUL-terminated. */
static void
read_note(int fd, char *note, size_t len)
{
	ssize_t n;

	if (note == NULL || len == 0)
		return;
	n = pread(fd, note, len - 1, 0);
	note[n > 0 ? n : 0] = '\0';
}

/* Probes the lock open on fd (or none: -1) and closes it. */
static enum lock_state
probe_fd(int fd, char *note, size_t len)
{
	enum lock_state state = LOCK_FREE;

	if (note != NULL && len > 0)
		note[0] = '\0';
	if (fd < 0)
		return LOCK_FREE;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		state = LOCK_HELD;
	else
		read_note(fd, note, len);
	close(fd);
	return state;
}

enum lock_state
lock_probe(const char *home, const char *id, char *note, size_t len)
{
	return probe_fd(open_lock(home, id), note, len);
}

int
lock_dir_open(const char *home)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/logs", home);
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* "<id>.lock", as home_lock_path names it within the folder. */
static void
lock_name(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s.lock", id);
}

enum lock_state
lock_probe_at(int dir, const char *id, char *note, size_t len)
{
	char name[NAME_MAX + 1];

	lock_name(id, name, sizeof(name));
	return probe_fd(openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC), note, len);
}

void
lock_remove_at(int dir, const char *id)
{
	char name[NAME_MAX + 1];

	lock_name(id, name, sizeof(name));
	unlinkat(dir, name, 0);
}

int
lock_note(int fd, const char *note, size_t len)
{
	return pwrite(fd, note, len, 0) == (ssize_t)len ? 0 : -1;
}

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

int
lock_wait(const char *home, const char *id, int64_t timeout_ms, char *note,
    size_t len)
{
	struct sigaction sa, old;
	struct itimerval it, old_it;
	int fd, rc, result = 0;

	if (note != NULL && len > 0)
		note[0] = '\0';
	fd = open_lock(home, id);
	if (fd < 0)
		return 0;
	if (timeout_ms == 0) {
		rc = flock(fd, LOCK_SH | LOCK_NB);
		if (rc == 0)
			read_note(fd, note, len);
		close(fd);
		return rc < 0 ? 1 : 0;
	}
	if (timeout_ms > 0) {
		/* No SA_RESTART: the alarm interrupts the blocking flock. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, &old);
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = timeout_ms / 1000;
		it.it_value.tv_usec = (timeout_ms % 1000) * 1000;
		/* Repeats, in case the first alarm lands before flock blocks. */
		it.it_interval.tv_usec = 10000;
		setitimer(ITIMER_REAL, &it, &old_it);
	}
	alarmed = 0;
	while ((rc = flock(fd, LOCK_SH)) < 0 && errno == EINTR && !alarmed)
		;
	if (rc < 0 && alarmed)
		result = 1;
	else if (rc == 0)
		read_note(fd, note, len);
	if (timeout_ms > 0) {
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		sigaction(SIGALRM, &old, NULL);
	}
	close(fd);
	return result;
}

void
lock_remove(const char *home, const char *id)
{
	char path[PATH_MAX];

	home_lock_path(home, id, path, sizeof(path));
	unlink(path);
}

bool
lock_exists(const char *home, const char *id)
{
	char path[PATH_MAX];
	struct stat sb;

	home_lock_path(home, id, path, sizeof(path));
	return lstat(path, &sb) == 0;
}

void
lock_ring_bell(const char *home)
{
	char path[PATH_MAX];
	int fd;

	/* Closing a file opened for writing is the event (IN_CLOSE_WRITE)
	 * that wakes waiting supervisors; nothing needs to be written. */
	home_bell_path(home, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}
