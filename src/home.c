/* Finding, creating and vetting $JOB_HOME. */
#include "home.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

int
home_path(char *buf, size_t len, struct err *e)
{
	const char *env = getenv("JOB_HOME");
	const char *user_home;
	int n;

	if (env != NULL && *env != '\0')
		n = snprintf(buf, len, "%s", env);
	else {
		user_home = getenv("HOME");
		if (user_home == NULL || *user_home == '\0') {
			struct passwd *pw = getpwuid(getuid());
			if (pw == NULL)
				return err_set(e, ERR_IO, "cannot find the "
				    "home folder: set JOB_HOME");
			user_home = pw->pw_dir;
		}
		n = snprintf(buf, len, "%s/.job", user_home);
	}
	if (n < 0 || (size_t)n >= len - 64)
		return err_set(e, ERR_IO, "JOB_HOME is too long");
	/* Absolute, so a supervisor can change folders and still find it. */
	if (buf[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    strlen(cwd) + 1 + (size_t)n >= len - 64)
			return err_set(e, ERR_IO, "cannot make JOB_HOME '%s' "
			    "absolute", buf);
		memmove(buf + strlen(cwd) + 1, buf, (size_t)n + 1);
		memcpy(buf, cwd, strlen(cwd));
		buf[strlen(cwd)] = '/';
		n = (int)strlen(buf);
	}
	/* Strip trailing slashes so joined paths look right. */
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return 0;
}

static int
make_dir(const char *path, struct err *e)
{
	struct stat sb;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_sys(e, ERR_IO, errno, "cannot create '%s'", path);
	if (lstat(path, &sb) < 0)
		return err_sys(e, ERR_IO, errno, "'%s'", path);
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, ERR_IO, "'%s' is not a folder", path);
	if (sb.st_uid != geteuid())
		return err_set(e, ERR_IO, "'%s' is owned by another user: "
		    "refusing to use it", path);
	if (sb.st_mode & 022)
		return err_set(e, ERR_IO, "'%s' is writable by others "
		    "(mode %03o): refusing to use it; chmod 700 it",
		    path, (unsigned)(sb.st_mode & 0777));
	return 0;
}

/* WAL needs shared memory that network filesystems do not provide. Checked
 * before anything is created: a JOB_HOME still to be made would be on its
 * parent's filesystem. */
static int
check_local(const char *path, struct err *e)
{
#if defined(__linux__)
	struct statfs fs;
	char parent[PATH_MAX];
	char *slash;

	if (statfs(path, &fs) < 0) {
		snprintf(parent, sizeof(parent), "%s", path);
		if ((slash = strrchr(parent, '/')) == NULL)
			return 0;
		if (slash == parent)
			slash++;	/* keep the root */
		*slash = '\0';
		if (statfs(parent, &fs) < 0)
			return 0;
	}
	switch ((unsigned long)fs.f_type) {
	case 0x6969UL:		/* NFS */
	case 0x517BUL:		/* SMB */
	case 0xFF534D42UL:	/* CIFS */
	case 0xFE534D42UL:	/* SMB2 */
	case 0x65735546UL:	/* FUSE */
		return err_set(e, ERR_IO, "'%s' is on a network or FUSE "
		    "filesystem, where SQLite's WAL mode is unsafe: point "
		    "JOB_HOME at a local disk", path);
	}
#endif
	(void)path;
	(void)e;
	return 0;
}

int
home_open(char *buf, size_t len, struct err *e)
{
	char sub[PATH_MAX];

	if (home_path(buf, len, e) < 0 || check_local(buf, e) < 0 ||
	    make_dir(buf, e) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s/logs", buf);
	if (make_dir(sub, e) < 0)
		return -1;
	if (access(buf, W_OK) < 0)
		return err_sys(e, ERR_IO, errno, "'%s' is not writable", buf);
	return 0;
}

void
home_log_path(const char *home, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/logs/%s.log", home, id);
}

void
home_lock_path(const char *home, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/logs/%s.lock", home, id);
}

void
home_bell_path(const char *home, char *buf, size_t len)
{
	snprintf(buf, len, "%s/logs/queues.bell", home);
}
