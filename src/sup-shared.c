/*
 * What both halves of the supervisor use: the argument protocol between
 * sup-start.c and the fresh image, the log writer, descriptor helpers.
 */
#include "sup.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "supervisor.h"

#define RETRY_DISK_MS 1000	/* how often to retry a full disk */

/* Where each field sits in argv; the 14 numbers follow the strings. */
enum { A_ID = 2, A_HOME, A_COMMAND, A_CWD, A_PROJECT, A_NAME, A_BOOT,
	A_NUMBERS };
#define NNUMBERS (SUP_ARGC - A_NUMBERS)

void
sup_args_pack(const struct sup_args *a, char nums[][SUP_NUMBUF],
    char *argv[SUP_ARGC + 1])
{
	const int64_t v[NNUMBERS] = { a->child, a->out_fd, a->log_fd,
		a->lock_fd, a->confirm_fd, a->timeout_ms, a->grace_ms,
		a->pid_start, a->sup_start, a->started_at, a->created_at,
		a->waiting, a->nwords, a->nenv, a->spec_fd };
	int i;

	argv[0] = (char *)(uintptr_t)"job-supervisor";
	argv[1] = (char *)(uintptr_t)SUP_ARGV_MARK;
	argv[A_ID] = (char *)(uintptr_t)a->id;
	argv[A_HOME] = (char *)(uintptr_t)a->home;
	argv[A_COMMAND] = (char *)(uintptr_t)a->command;
	argv[A_CWD] = (char *)(uintptr_t)a->cwd;
	argv[A_PROJECT] = (char *)(uintptr_t)a->project;
	argv[A_NAME] = (char *)(uintptr_t)(a->name ? a->name : "");
	argv[A_BOOT] = (char *)(uintptr_t)(a->boot_id ? a->boot_id : "");
	for (i = 0; i < NNUMBERS; i++) {
		snprintf(nums[i], SUP_NUMBUF, "%lld", (long long)v[i]);
		argv[A_NUMBERS + i] = nums[i];
	}
	argv[SUP_ARGC] = NULL;
}

int
sup_args_unpack(int argc, char **argv, struct sup_args *a)
{
	int64_t v[NNUMBERS];
	int i;

	if (argc != SUP_ARGC || strcmp(argv[1], SUP_ARGV_MARK) != 0)
		return -1;
	for (i = 0; i < NNUMBERS; i++) {
		char *end;

		errno = 0;
		v[i] = strtoll(argv[A_NUMBERS + i], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[A_NUMBERS + i])
			return -1;
	}
	if (v[12] < 0 || v[13] < 0 || v[12] > INT_MAX || v[13] > INT_MAX)
		return -1;
	memset(a, 0, sizeof(*a));
	a->id = argv[A_ID];
	a->home = argv[A_HOME];
	a->command = argv[A_COMMAND];
	a->cwd = argv[A_CWD];
	a->project = argv[A_PROJECT];
	a->name = argv[A_NAME][0] != '\0' ? argv[A_NAME] : NULL;
	a->boot_id = argv[A_BOOT];
	a->child = (pid_t)v[0];
	a->out_fd = (int)v[1];
	a->log_fd = (int)v[2];
	a->lock_fd = (int)v[3];
	a->confirm_fd = (int)v[4];
	a->timeout_ms = v[5];
	a->grace_ms = v[6];
	a->pid_start = v[7];
	a->sup_start = v[8];
	a->started_at = v[9];
	a->created_at = v[10];
	a->waiting = v[11] != 0;
	a->nwords = (int)v[12];
	a->nenv = (int)v[13];
	a->spec_fd = (int)v[14];
	return 0;
}

int
sup_spec_write(const char *home, const struct sup_command *c)
{
	char path[PATH_MAX];
	int fd, i;

	snprintf(path, sizeof(path), "%s/logs/.spec-XXXXXX", home);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	for (i = 0; i < c->nwords; i++)
		if (sup_write_all(fd, c->words[i], strlen(c->words[i]) + 1) < 0)
			goto fail;
	for (i = 0; i < c->nenv; i++)
		if (sup_write_all(fd, c->env[i], strlen(c->env[i]) + 1) < 0)
			goto fail;
	if (lseek(fd, 0, SEEK_SET) == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

int
sup_spec_read(int fd, int nwords, int nenv, struct sup_command *c,
    char **blob)
{
	struct stat sb;
	size_t got = 0, off = 0;
	ssize_t n;
	int i;

	*blob = NULL;
	c->words = calloc((size_t)nwords + 1, sizeof(*c->words));
	c->env = calloc((size_t)nenv + 1, sizeof(*c->env));
	if (c->words == NULL || c->env == NULL || fstat(fd, &sb) < 0 ||
	    (*blob = malloc((size_t)sb.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)sb.st_size && ((n = pread(fd, *blob + got,
	    (size_t)sb.st_size - got, (off_t)got)) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	(*blob)[got] = '\0';
	c->nwords = nwords;
	c->nenv = nenv;
	for (i = 0; i < nwords + nenv; i++) {
		if (off >= got)
			goto fail;	/* fewer strings than told */
		if (i < nwords)
			c->words[i] = *blob + off;
		else
			c->env[i - nwords] = *blob + off;
		off += strlen(*blob + off) + 1;
	}
	return 0;
fail:
	free(c->words);
	free(c->env);
	free(*blob);
	c->words = c->env = NULL;
	*blob = NULL;
	return -1;
}

int
sup_set_flags(int fd, bool cloexec, bool nonblock)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, cloexec ? flags | FD_CLOEXEC :
	    flags & ~FD_CLOEXEC) < 0)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) < 0)
		return -1;
	return fcntl(fd, F_SETFL, nonblock ? flags | O_NONBLOCK :
	    flags & ~O_NONBLOCK);
}

int
sup_pipe(int fds[2])
{
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__)
	extern int pipe2(int[2], int);
	return pipe2(fds, O_CLOEXEC);
#else
	if (pipe(fds) < 0)
		return -1;
	if (sup_set_flags(fds[0], true, false) < 0 ||
	    sup_set_flags(fds[1], true, false) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
#endif
}

ssize_t
sup_write_all(int fd, const void *buf, size_t len)
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

static bool
mid_line(const struct sup_log *l)
{
	return l->last_byte != '\0' && l->last_byte != '\n';
}

/* Counts len bytes as lost and waits a while before writing again. */
static void
drop(struct sup_log *l, size_t len)
{
	l->dropped += (int64_t)len;
	l->unreported += (int64_t)len;
	l->retry_at = job_mono_ms() + RETRY_DISK_MS;
}

void
sup_log_flush(struct sup_log *l)
{
	char note[160];
	int n;

	if (l->unreported == 0)
		return;
	n = snprintf(note, sizeof(note), "%s[job] %lld bytes of output "
	    "dropped: the log could not be written\n", mid_line(l) ? "\n" : "",
	    (long long)l->unreported);
	if (sup_write_all(l->fd, note, (size_t)n) != n) {
		l->retry_at = job_mono_ms() + RETRY_DISK_MS;
		return;
	}
	l->unreported = 0;
	l->last_byte = '\n';
}

void
sup_log_write(struct sup_log *l, const char *buf, size_t len)
{
	ssize_t n;

	if (l->unreported > 0) {
		if (job_mono_ms() < l->retry_at) {
			l->dropped += (int64_t)len;
			l->unreported += (int64_t)len;
			return;
		}
		sup_log_flush(l);
		if (l->unreported > 0) {
			drop(l, len);
			return;
		}
	}
	n = sup_write_all(l->fd, buf, len);
	if (n > 0)
		l->last_byte = buf[n - 1];
	if (n < (ssize_t)len)
		drop(l, len - (size_t)(n > 0 ? n : 0));
}

void
sup_log_note(struct sup_log *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = 0;

	if (mid_line(l))
		line[n++] = '\n';
	n += snprintf(line + n, sizeof(line) - (size_t)n, "[job] ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	sup_log_write(l, line, (size_t)n);
}
