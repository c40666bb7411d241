/*
 * job skills: the agent skill (skills/job/SKILL.md, compiled into the
 * binary) shown, installed where agents look for skills, or removed. A file
 * someone changed is never overwritten or removed without --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "opt.h"

extern const char job_skill[];
extern const size_t job_skill_len;

enum { O_PROJECT = 1, O_DIR, O_FORCE };

static const struct opt_spec options[] = {
	{ "project", 0, OPT_NONE, O_PROJECT },
	{ "dir", 'd', OPT_VALUE, O_DIR },
	{ "force", 'f', OPT_NONE, O_FORCE },
	{ NULL, 0, OPT_NONE, 0 },
};

enum state { ABSENT, SAME, CHANGED, UNREADABLE };

/* Compares the file at path with the embedded skill. */
static enum state
file_state(const char *path)
{
	char buf[8192];
	size_t off = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	enum state st = SAME;

	if (fd < 0)
		return errno == ENOENT ? ABSENT : UNREADABLE;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)n > job_skill_len ||
		    memcmp(buf, job_skill + off, (size_t)n) != 0)
			st = CHANGED;
		off += (size_t)n;
	}
	if (n < 0)
		st = UNREADABLE;
	else if (off != job_skill_len)
		st = CHANGED;
	close(fd);
	return st;
}

/* mkdir -p for the folders above path. */
static int
make_parents(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Writes the skill through a temporary file, so no reader sees half. */
static int
write_skill(const char *path)
{
	char tmp[PATH_MAX + 16];
	size_t off = 0;
	int fd;

	if (make_parents(path) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%.*s.tmp%ld", PATH_MAX - 1, path,
	    (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		return -1;
	fchmod(fd, 0644);
	while (off < job_skill_len) {
		ssize_t n = write(fd, job_skill + off, job_skill_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The files install writes: two agent conventions, or one --dir. */
static int
targets(struct ctx *ctx, bool project, const char *dir,
    char paths[2][PATH_MAX], struct err *e)
{
	const char *base = dir;

	if (base == NULL)
		base = project ? ctx->project : getenv("HOME");
	if (base == NULL || *base == '\0')
		return err_set(e, ERR_IO, "HOME is not set: use --dir");
	if (strlen(base) > PATH_MAX - 64)
		return err_set(e, ERR_IO, "path too long");
	if (dir != NULL) {
		snprintf(paths[0], PATH_MAX, "%.*s/SKILL.md", PATH_MAX - 64,
		    base);
		return 1;
	}
	snprintf(paths[0], PATH_MAX, "%.*s/.claude/skills/job/SKILL.md",
	    PATH_MAX - 64, base);
	snprintf(paths[1], PATH_MAX, "%.*s/.agents/skills/job/SKILL.md",
	    PATH_MAX - 64, base);
	return 2;
}

static void
report(struct jval *files, const char *path,
    const char *result)
{
	if (files != NULL) {
		struct jval *o = jobj();
		jset_str(o, "path", path);
		jset_str(o, "result", result);
		jpush(files, o);
	} else
		printf("%-10s %s\n", result, path);
}

static int
install(char paths[2][PATH_MAX], int n, bool force,
    struct jval *files, struct err *e)
{
	int i, failed = 0;

	for (i = 0; i < n; i++) {
		enum state st = file_state(paths[i]);
		const char *result;

		if (st == SAME) {
			report(files, paths[i], "unchanged");
			continue;
		}
		if (st == CHANGED && !force) {
			err_set(e, ERR_IO, "'%s' was changed: --force "
			    "overwrites it", paths[i]);
			report(files, paths[i], "kept");
			failed = 1;
			continue;
		}
		result = st == ABSENT ? "written" : "updated";
		if (write_skill(paths[i]) < 0) {
			err_sys(e, ERR_IO, errno, "cannot write '%s'",
			    paths[i]);
			report(files, paths[i], "failed");
			failed = 1;
			continue;
		}
		report(files, paths[i], result);
	}
	return failed ? -1 : 0;
}

static int
uninstall(char paths[2][PATH_MAX], int n, bool force,
    struct jval *files, struct err *e)
{
	int i, failed = 0;

	for (i = 0; i < n; i++) {
		enum state st = file_state(paths[i]);
		char dir[PATH_MAX], *slash;

		if (st == ABSENT) {
			report(files, paths[i], "absent");
			continue;
		}
		if (st != SAME && !force) {
			err_set(e, ERR_IO, "'%s' was changed: --force "
			    "removes it", paths[i]);
			report(files, paths[i], "kept");
			failed = 1;
			continue;
		}
		if (unlink(paths[i]) < 0) {
			err_sys(e, ERR_IO, errno, "cannot remove '%s'",
			    paths[i]);
			report(files, paths[i], "failed");
			failed = 1;
			continue;
		}
		/* The job/ folder was ours too, if nothing else is in it. */
		strcpy(dir, paths[i]);
		slash = strrchr(dir, '/');
		if (slash != NULL) {
			*slash = '\0';
			rmdir(dir);
		}
		report(files, paths[i], "removed");
	}
	return failed ? -1 : 0;
}

static int
cmd_skills(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct err e;
	struct jval *files = NULL;
	char paths[2][PATH_MAX];
	const char *value, *dir = NULL, *action;
	bool project = false, force = false;
	int id, n, rc = EXIT_OK;

	err_clear(&e);
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while (e.code == ERR_NONE &&
	    (id = opt_next(&st, options, &value, &e)) > 0) {
		if (id == O_PROJECT)
			project = true;
		else if (id == O_DIR)
			dir = value;
		else if (id == O_FORCE)
			force = true;
	}
	action = st.nwords > 0 ? st.words[0] : "";
	if (e.code == ERR_NONE && st.nwords != 1)
		err_set(&e, ERR_USAGE, st.nwords == 0 ? "say show, install or "
		    "uninstall" : "unexpected argument '%s'", st.words[1]);
	else if (e.code == ERR_NONE && strcmp(action, "show") != 0 &&
	    strcmp(action, "install") != 0 && strcmp(action, "uninstall") != 0)
		err_set(&e, ERR_USAGE, "unknown action '%s': say show, install "
		    "or uninstall", action);
	else if (e.code == ERR_NONE && project && dir != NULL)
		err_set(&e, ERR_USAGE, "--project and --dir do not go "
		    "together");
	if (e.code != ERR_NONE) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	if (strcmp(action, "show") == 0) {
		opt_free(&st);
		if (ctx->json) {
			struct jval *o = jobj();
			jset_strn(o, "skill", job_skill, job_skill_len);
			jprint(o, stdout);
		} else
			fwrite(job_skill, 1, job_skill_len, stdout);
		return EXIT_OK;
	}
	n = targets(ctx, project, dir, paths, &e);
	if (n < 0) {
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	if (ctx->json)
		files = jarr();
	if ((strcmp(action, "install") == 0 ?
	    install(paths, n, force, files, &e) :
	    uninstall(paths, n, force, files, &e)) < 0)
		rc = cmd_error(ctx, &e);
	if (files != NULL) {
		struct jval *o = jobj();
		jset_str(o, "action", action);
		jset(o, "files", files);
		jprint(o, stdout);
	}
	opt_free(&st);
	return rc;
}

const struct cmd_entry cmd_skills_entry = {
	.name = "skills",
	.args = "[options] show|install|uninstall",
	.summary = "Show the agent skill, or install it where agents find it.",
	.usage =
	    "  show                 print skills/job/SKILL.md (built into job)\n"
	    "  install              write it to ~/.claude/skills/job/ and\n"
	    "                       ~/.agents/skills/job/\n"
	    "  uninstall            remove what install wrote\n"
	    "      --project        use the project root instead of ~\n"
	    "  -d, --dir DIR        write DIR/SKILL.md only\n"
	    "  -f, --force          overwrite or remove a changed file\n"
	    "      --json           print {action, files: [{path, result}]}\n"
	    "  -h, --help           show this help\n",
	.options = options,
	.flags = 0,
	.exec = cmd_skills,
};
