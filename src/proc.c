/*
 * Process probes. Linux reads /proc/<pid>/stat, whose field 22 is the start
 * time; fields are counted after the last ')', since the command name may
 * contain spaces and parentheses. macOS and the BSDs use sysctl(KERN_PROC).
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#include <sys/sysctl.h>
#include <sys/user.h>
#endif

#if defined(__linux__)
static ssize_t
read_small_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Parses /proc/<pid>/stat into info, state and start. */
static int
read_stat(pid_t pid, struct proc_info *info, char *state, int64_t *start)
{
	char path[64], buf[1024], *p, *name, *end;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return -1;
	name = strchr(buf, '(');
	p = strrchr(buf, ')');
	if (name == NULL || p == NULL || p[1] != ' ')
		return -1;
	if (info != NULL) {
		size_t len = (size_t)(p - name - 1);
		if (len >= sizeof(info->comm))
			len = sizeof(info->comm) - 1;
		memcpy(info->comm, name + 1, len);
		info->comm[len] = '\0';
		info->pid = pid;
	}
	p += 2;
	*state = *p;
	/* p is at field 3 (state); walk to fields 4-6 and 22. */
	for (field = 3; field < 22; field++) {
		if (info != NULL && field >= 4 && field <= 6) {
			long v = strtol(p, &end, 10);
			if (field == 4)
				info->ppid = (pid_t)v;
			else if (field == 5)
				info->pgid = (pid_t)v;
			else
				info->sid = (pid_t)v;
		}
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	*start = strtoll(p, &end, 10);
	if (info != NULL)
		info->start = *start;
	return 0;
}
#endif

int
proc_probe(pid_t pid, int64_t *start, bool *zombie)
{
	if (pid <= 0)
		return -1;
#if defined(__linux__)
	{
		char state;

		if (read_stat(pid, NULL, &state, start) < 0)
			return -1;
		*zombie = state == 'Z' || state == 'X';
		return 0;
	}
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__DragonFly__)
	{
		int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid };
		struct kinfo_proc kp;
		size_t len = sizeof(kp);

		if (sysctl(mib, 4, &kp, &len, NULL, 0) < 0 || len == 0)
			return -1;
#if defined(__APPLE__)
		*start = (int64_t)kp.kp_proc.p_starttime.tv_sec * 1000000 +
		    kp.kp_proc.p_starttime.tv_usec;
		*zombie = kp.kp_proc.p_stat == SZOMB;
#else
		*start = (int64_t)kp.ki_start.tv_sec * 1000000 +
		    kp.ki_start.tv_usec;
		*zombie = kp.ki_stat == SZOMB;
#endif
		return 0;
	}
#else
	/* No start time to be had: existence only. */
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -1;
	*start = 0;
	*zombie = false;
	return 0;
#endif
}

bool
proc_same(pid_t pid, int64_t start)
{
	int64_t now_start;
	bool zombie;

	if (proc_probe(pid, &now_start, &zombie) < 0 || now_start != start)
		return false;
	return !zombie || proc_alive(pid);
}

void
proc_boot_id(char *buf, size_t len)
{
	buf[0] = '\0';
#if defined(__linux__)
	if (read_small_file("/proc/sys/kernel/random/boot_id", buf, len) > 0)
		buf[strcspn(buf, "\n")] = '\0';
#elif defined(__APPLE__)
	if (sysctlbyname("kern.bootsessionuuid", buf, &len, NULL, 0) < 0)
		buf[0] = '\0';
#elif defined(KERN_BOOTTIME)
	{
		int mib[2] = { CTL_KERN, KERN_BOOTTIME };
		struct timeval tv;
		size_t sz = sizeof(tv);

		if (sysctl(mib, 2, &tv, &sz, NULL, 0) == 0)
			snprintf(buf, len, "%lld", (long long)tv.tv_sec);
	}
#endif
}

#if defined(__linux__)
struct plist {
	struct proc_info *v;
	size_t n, cap;
};

static int
plist_add(struct plist *l, const struct proc_info *info)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct proc_info *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *info;
	return 0;
}

static bool
plist_has(const struct plist *l, pid_t pid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].pid == pid)
			return true;
	return false;
}

/* Whether the kernel lists children (CONFIG_PROC_CHILDREN). */
static bool
have_children_file(void)
{
	static int have = -1;

	if (have < 0)
		have = access("/proc/thread-self/children", R_OK) == 0;
	return have == 1;
}

/* Reads a whole /proc file of unknown size into a growing buffer. */
static char *
read_proc_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (buf == NULL || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 2) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Whether some thread of pid is in a state other than Z (zombie) or X. */
static bool
any_task_running(pid_t pid)
{
	char path[64], buf[512], *p;
	DIR *dir;
	struct dirent *de;
	bool running = false;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return false;
	while (!running && (de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
		    (int)pid, de->d_name);
		if (read_small_file(path, buf, sizeof(buf)) < 0 ||
		    (p = strrchr(buf, ')')) == NULL || p[1] != ' ')
			continue;
		running = p[2] != 'Z' && p[2] != 'X';
	}
	closedir(dir);
	return running;
}

/* Adds the live or zombie process pid to l, unless it is a supervisor. */
static int
tree_add(struct plist *l, pid_t pid)
{
	struct proc_info info;

	if (plist_has(l, pid) || proc_info_of(pid, &info) < 0 ||
	    proc_is_supervisor(pid))
		return 0;
	return plist_add(l, &info);
}

/* Adds the children of pid, as each of its threads lists them. */
static int
add_task_children(struct plist *l, pid_t pid)
{
	char path[64], *buf, *p, *end;
	DIR *dir;
	struct dirent *de;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return 0;	/* gone: no children */
	while (rc == 0 && (de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		if ((buf = read_proc_file(path)) == NULL)
			continue;
		for (p = buf; rc == 0; p = end) {
			long child = strtol(p, &end, 10);
			if (end == p)
				break;
			rc = tree_add(l, (pid_t)child);
		}
		free(buf);
	}
	closedir(dir);
	return rc;
}

/* Every process's stat, for kernels without children files. */
static int
scan_all(struct plist *all)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;

	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		struct proc_info info;
		int64_t start;
		char state;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    read_stat((pid_t)atoi(de->d_name), &info, &state,
		    &start) < 0)
			continue;
		if (plist_add(all, &info) < 0) {
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	return 0;
}
#endif

int
proc_tree(pid_t root, enum proc_walk how, struct proc_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
#if defined(__linux__)
	{
		struct plist l = { NULL, 0, 0 }, all = { NULL, 0, 0 };
		bool scan = how == PROC_WALK_SCAN || !have_children_file();
		size_t next = 0, i;
		pid_t parent = root;
		int rc = 0;

		if (scan && scan_all(&all) < 0)
			return -1;
		/* l doubles as the queue: parents come before children. */
		for (;;) {
			if (!scan)
				rc = add_task_children(&l, parent);
			for (i = 0; scan && rc == 0 && i < all.n; i++)
				if (all.v[i].ppid == parent)
					rc = tree_add(&l, all.v[i].pid);
			if (rc < 0 || next == l.n)
				break;
			parent = l.v[next++].pid;
		}
		free(all.v);
		if (rc < 0) {
			free(l.v);
			return -1;
		}
		*out = l.v;
		*n = l.n;
	}
#else
	(void)root;
	(void)how;
#endif
	return 0;
}

#define MAX_KILL_ROUNDS 16	/* walks of a tree that keeps growing */

static bool
stops_the_process(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	    sig == SIGTTOU;
}

int
proc_kill_tree(pid_t root, pid_t group, int sig)
{
	struct proc_info *done = NULL, *list, *grown;
	size_t ndone = 0, n, i, k;
	int round, count = 0;
	bool cont = sig != SIGKILL && sig != SIGCONT && !stops_the_process(sig);

	if (group > 0) {
		kill(-group, sig);
		if (cont)
			kill(-group, SIGCONT);
	}
	for (round = 0; round < MAX_KILL_ROUNDS; round++) {
		int fresh = 0;

		if (proc_tree(root, PROC_WALK_AUTO, &list, &n) < 0)
			break;
		for (i = 0; i < n; i++) {
			if (!list[i].alive)
				continue;
			for (k = 0; k < ndone; k++)
				if (done[k].pid == list[i].pid &&
				    done[k].start == list[i].start)
					break;
			if (k < ndone)
				continue;
			kill(list[i].pid, sig);
			if (cont)
				kill(list[i].pid, SIGCONT);
			fresh++;
			grown = realloc(done, (ndone + 1) * sizeof(*done));
			if (grown != NULL) {
				done = grown;
				done[ndone++] = list[i];
			}
		}
		free(list);
		count += fresh;
		if (fresh == 0)
			break;
	}
	free(done);
	return count;
}

int
proc_info_of(pid_t pid, struct proc_info *info)
{
	memset(info, 0, sizeof(*info));
#if defined(__linux__)
	{
		int64_t start;
		char state;

		if (read_stat(pid, info, &state, &start) < 0)
			return -1;
		info->zombie = state == 'Z' || state == 'X';
		info->alive = !info->zombie || any_task_running(pid);
		return 0;
	}
#else
	info->pid = pid;
	info->alive = proc_alive(pid);
	return info->alive ? 0 : -1;
#endif
}

bool
proc_alive(pid_t pid)
{
#if defined(__linux__)
	return any_task_running(pid);
#else
	int64_t start;
	bool zombie;

	return proc_probe(pid, &start, &zombie) == 0 && !zombie;
#endif
}

#if defined(__linux__)
/*
 * A job's lock file: HOME/logs/<26 letters of a job id>.lock (or .lock.new
 * while it is made) in a folder that holds a store, HOME/job.db.
 */
static bool
is_job_lock(const char *path)
{
	static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	const char *base = strrchr(path, '/');
	char store[PATH_MAX];
	struct stat sb;
	size_t i, dir;

	if (base == NULL)
		return false;
	base++;
	for (i = 0; i < 26; i++)
		if (base[i] == '\0' || strchr(crockford, base[i]) == NULL)
			return false;
	if (strcmp(base + 26, ".lock") != 0 &&
	    strcmp(base + 26, ".lock.new") != 0)
		return false;
	dir = (size_t)(base - path);	/* ".../logs/" */
	if (dir < 6 || strncmp(base - 6, "/logs/", 6) != 0 ||
	    dir - 5 + sizeof("job.db") > sizeof(store))
		return false;
	memcpy(store, path, dir - 5);
	strcpy(store + dir - 5, "job.db");
	return stat(store, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Whether fdinfo shows an exclusive flock held through this descriptor. */
static bool
fd_holds_flock(pid_t pid, const char *fd)
{
	char path[64], buf[4096], *line;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (line = buf; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, "lock:", 5) == 0 &&
		    strstr(line, " FLOCK ") != NULL &&
		    strstr(line, " WRITE ") != NULL)
			return true;
	}
	return false;
}
#endif

bool
proc_is_supervisor(pid_t pid)
{
#if defined(__linux__)
	char path[64], target[PATH_MAX];
	DIR *dir;
	struct dirent *de;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return false;
	while (!found && (de = readdir(dir)) != NULL) {
		ssize_t len;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
		    de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		found = is_job_lock(target) && fd_holds_flock(pid, de->d_name);
	}
	closedir(dir);
	return found;
#else
	(void)pid;
	return false;
#endif
}

void
proc_cmdline(pid_t pid, char *buf, size_t len)
{
	buf[0] = '\0';
#if defined(__linux__)
	{
		char path[64];
		ssize_t n, i;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		n = read_small_file(path, buf, len);
		if (n <= 0)
			return;
		/* Arguments are NUL-separated; a trailing NUL ends the last. */
		for (i = 0; i < n - 1; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
	}
#else
	(void)pid;
	(void)len;
#endif
}

static const struct {
	const char *name;
	int number;
} signals[] = {
	{ "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL }, { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE }, { "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM },
	{ "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT }, { "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP }, { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU }, { "SIGXFSZ", SIGXFSZ },
	{ "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF }, { "SIGSYS", SIGSYS },
#ifdef SIGWINCH
	{ "SIGWINCH", SIGWINCH },
#endif
#ifdef SIGIO
	{ "SIGIO", SIGIO },
#endif
#ifdef SIGPWR
	{ "SIGPWR", SIGPWR },
#endif
#ifdef SIGSTKFLT
	{ "SIGSTKFLT", SIGSTKFLT },
#endif
#ifdef SIGEMT
	{ "SIGEMT", SIGEMT },
#endif
#ifdef SIGINFO
	{ "SIGINFO", SIGINFO },
#endif
};
#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

/* The highest signal number of this system. */
static int
max_signal(void)
{
#ifdef SIGRTMAX
	return SIGRTMAX;
#else
	return 31;
#endif
}

/* "RTMIN+n" or "RTMAX-n" (no "SIG"); -1 for anything else. */
static int
rt_signal_number(const char *name)
{
#ifdef SIGRTMIN
	int base, sign;
	long n = 0;
	char *end;

	if (strncasecmp(name, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		sign = 1;
	} else if (strncasecmp(name, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		sign = -1;
	} else
		return -1;
	name += 5;
	if (*name != '\0') {
		if (*name != (sign > 0 ? '+' : '-') ||
		    !isdigit((unsigned char)name[1]))
			return -1;
		n = strtol(name + 1, &end, 10);
		if (*end != '\0' || n > SIGRTMAX - SIGRTMIN)
			return -1;
	}
	return base + sign * (int)n;
#else
	(void)name;
	return -1;
#endif
}

int
proc_signal_number(const char *name)
{
	char buf[PROC_SIGNAME_MAX];
	size_t i;

	if (name == NULL || *name == '\0')
		return -1;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	if (isdigit((unsigned char)name[0])) {
		char *end;
		long v = strtol(name, &end, 10);
		if (*end != '\0' || v < 1 || v > max_signal() ||
		    proc_signal_name((int)v, buf) == NULL)
			return -1;
		return (int)v;
	}
	for (i = 0; i < NSIGNALS; i++)
		if (strcasecmp(name, signals[i].name + 3) == 0)
			return signals[i].number;
	return rt_signal_number(name);
}

const char *
proc_signal_name(int sig, char buf[PROC_SIGNAME_MAX])
{
	size_t i;

	if (sig < 1 || sig > max_signal())
		return NULL;
	for (i = 0; i < NSIGNALS; i++)
		if (signals[i].number == sig)
			return strcpy(buf, signals[i].name);
#ifdef SIGRTMIN
	if (sig == SIGRTMIN)
		return strcpy(buf, "SIGRTMIN");
	if (sig > SIGRTMIN) {
		snprintf(buf, PROC_SIGNAME_MAX, "SIGRTMIN+%d", sig - SIGRTMIN);
		return buf;
	}
#endif
	/* Numbers the C library keeps for itself (32 and 33 in glibc). */
	snprintf(buf, PROC_SIGNAME_MAX, "SIG%d", sig);
	return buf;
}
