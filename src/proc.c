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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	/* p is at field 3 (state); walk to fields 4, 5 and 22. */
	for (field = 3; field < 22; field++) {
		if (info != NULL && (field == 4 || field == 5)) {
			long v = strtol(p, &end, 10);
			if (field == 4)
				info->ppid = (pid_t)v;
			else
				info->pgid = (pid_t)v;
		}
		p = strchr(p, ' ');
		if (p == NULL)
			return -1;
		p++;
	}
	*start = strtoll(p, &end, 10);
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

	if (proc_probe(pid, &now_start, &zombie) < 0)
		return false;
	return !zombie && now_start == start;
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
static int
list_append(struct proc_info **list, size_t *count, size_t *cap,
    const struct proc_info *info)
{
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct proc_info *nl = realloc(*list, ncap * sizeof(*nl));
		if (nl == NULL)
			return -1;
		*list = nl;
		*cap = ncap;
	}
	(*list)[(*count)++] = *info;
	return 0;
}

/*
 * The children of a single-threaded parent from one file, where the kernel
 * has it (CONFIG_PROC_CHILDREN), instead of a walk over every process:
 * supervisors ask at the end of every job. Returns -1 when unavailable.
 */
static int
list_children(pid_t parent, struct proc_info **list, size_t *count,
    size_t *cap)
{
	char path[64], buf[8192], *p, *end;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent,
	    (int)parent);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0 || n == sizeof(buf) - 1)
		return -1;	/* unreadable, or too many to trust one read */
	buf[n] = '\0';
	for (p = buf; *p != '\0'; p = end) {
		struct proc_info info;
		int64_t start;
		char state;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (read_stat((pid_t)pid, &info, &state, &start) < 0)
			continue;
		info.zombie = state == 'Z' || state == 'X';
		if (list_append(list, count, cap, &info) < 0)
			return -1;
	}
	return 0;
}
#endif

int
proc_list(pid_t parent, pid_t pgid, struct proc_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
#if defined(__linux__)
	{
		DIR *dir;
		struct dirent *de;
		struct proc_info *list = NULL;
		size_t count = 0, cap = 0;

		if (pgid == 0 && parent > 0 &&
		    list_children(parent, &list, &count, &cap) == 0) {
			*out = list;
			*n = count;
			return 0;
		}
		free(list);
		list = NULL;
		count = cap = 0;
		dir = opendir("/proc");
		if (dir == NULL)
			return -1;
		while ((de = readdir(dir)) != NULL) {
			struct proc_info info;
			int64_t start;
			char state;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			if (read_stat((pid_t)atoi(de->d_name), &info, &state,
			    &start) < 0)
				continue;
			info.zombie = state == 'Z' || state == 'X';
			if (!((parent > 0 && info.ppid == parent) ||
			    (pgid > 0 && info.pgid == pgid)))
				continue;
			if (list_append(&list, &count, &cap, &info) < 0) {
				free(list);
				closedir(dir);
				return -1;
			}
		}
		closedir(dir);
		*out = list;
		*n = count;
	}
#else
	(void)parent;
	(void)pgid;
#endif
	return 0;
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
};
#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

int
proc_signal_number(const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return -1;
	if (isdigit((unsigned char)name[0])) {
		char *end;
		long v = strtol(name, &end, 10);
		if (*end != '\0')
			return -1;
		for (i = 0; i < NSIGNALS; i++)
			if (signals[i].number == v)
				return (int)v;
		return -1;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < NSIGNALS; i++)
		if (strcasecmp(name, signals[i].name + 3) == 0)
			return signals[i].number;
	return -1;
}

const char *
proc_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if (signals[i].number == sig)
			return signals[i].name;
	return NULL;
}
