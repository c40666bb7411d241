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

enum { O_PROJECT = 1, O_DIR, O_FORCE, O_AGENT };

static int check_agent(const char *value, int64_t *bits, struct err *e);

static const struct opt_spec options[] = {
	{ .name = "agent", .short_name = 'a', .type = OPT_STRING,
	  .id = O_AGENT, .value_name = "NAME",
	  .help = "the folders of agent NAME (repeatable): claude,\n"
	    "agents, copilot, gemini, cursor or all",
	  .check = check_agent },
	{ .name = "project", .type = OPT_FLAG, .id = O_PROJECT,
	  .help = "use the project root instead of ~" },
	{ .name = "dir", .short_name = 'd', .type = OPT_STRING, .id = O_DIR,
	  .value_name = "DIR",
	  .help = "write DIR/SKILL.md only" },
	{ .name = "force", .short_name = 'f', .type = OPT_FLAG, .id = O_FORCE,
	  .help = "overwrite or remove a changed file" },
	{ NULL },
};

static const struct opt_word actions[] = {
	{ "show", "print skills/job/SKILL.md (built into job)" },
	{ "install", "write it to ~/.claude/skills/job/ and\n"
	    "~/.agents/skills/job/, or --agent's folders" },
	{ "uninstall", "remove what install wrote" },
	{ NULL, NULL },
};

/* Where each agent looks for skills, in the home folder and a project. */
static const struct agent {
	const char *name;
	const char *home;	/* under ~ */
	const char *project;	/* under the project root */
} agents[] = {
	{ "claude", ".claude/skills", ".claude/skills" },
	{ "agents", ".agents/skills", ".agents/skills" }, /* Codex, Amp */
	{ "copilot", ".copilot/skills", ".github/skills" },
	{ "gemini", ".gemini/skills", ".gemini/skills" },
	{ "cursor", ".cursor/skills", ".cursor/skills" },
};

#define NAGENTS (sizeof(agents) / sizeof(agents[0]))
#define DEFAULT_AGENTS 0x3	/* claude and agents, as before --agent */

enum state { ABSENT, SAME, CHANGED, UNREADABLE };

/* The agents NAME stands for, as bits of agents[]. */
static int
check_agent(const char *value, int64_t *bits, struct err *e)
{
	size_t i;

	if (strcmp(value, "all") == 0) {
		*bits = (1 << NAGENTS) - 1;
		return 0;
	}
	for (i = 0; i < NAGENTS; i++)
		if (strcmp(value, agents[i].name) == 0) {
			*bits = 1 << i;
			return 0;
		}
	return err_set(e, ERR_USAGE, "unknown agent '%s': say claude, agents, "
	    "copilot, gemini, cursor or all", value);
}

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

/* The files install writes: the agents' (each once), or one --dir. */
static int
targets(struct ctx *ctx, bool project, const char *dir, int64_t which,
    char paths[][PATH_MAX], struct err *e)
{
	const char *base = dir;
	size_t i;
	int n = 0;

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
	for (i = 0; i < NAGENTS; i++)
		if (which & (1 << i))
			snprintf(paths[n++], PATH_MAX, "%.*s/%s/job/SKILL.md",
			    PATH_MAX - 64, base, project ? agents[i].project :
			    agents[i].home);
	return n;
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
install(char paths[][PATH_MAX], int n, bool force,
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
uninstall(char paths[][PATH_MAX], int n, bool force,
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
skills_check(const struct ctx *ctx, const struct opt_args *a, struct err *e)
{
	(void)ctx;
	if (opt_has(a, O_PROJECT) && opt_has(a, O_DIR))
		return err_set(e, ERR_USAGE, "--project and --dir do not go "
		    "together");
	if (opt_has(a, O_AGENT) && opt_has(a, O_DIR))
		return err_set(e, ERR_USAGE, "--agent and --dir do not go "
		    "together");
	return 0;
}

static int
cmd_skills(struct ctx *ctx, struct cmd_args *a)
{
	struct err e;
	struct jval *files = NULL;
	const struct opt_value *v = NULL;
	char paths[NAGENTS][PATH_MAX];
	const char *action = a->opt.operands[0];
	bool force = opt_has(&a->opt, O_FORCE);
	int64_t which = 0;
	int n, rc = EXIT_OK;

	err_clear(&e);
	if (strcmp(action, "show") == 0) {
		if (ctx->json) {
			struct jval *o = jobj();
			jset_strn(o, "skill", job_skill, job_skill_len);
			jprint(o, stdout);
		} else
			fwrite(job_skill, 1, job_skill_len, stdout);
		return EXIT_OK;
	}
	while ((v = opt_each(&a->opt, O_AGENT, v)) != NULL)
		which |= v->num;
	n = targets(ctx, opt_has(&a->opt, O_PROJECT),
	    opt_str(&a->opt, O_DIR, NULL), which ? which : DEFAULT_AGENTS,
	    paths, &e);
	if (n < 0)
		return cmd_error(ctx, &e);
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
	return rc;
}

const struct cmd_entry cmd_skills_entry = {
	.name = "skills",
	.summary = "Show the agent skill, or install it where agents find it.",
	.grammar = {
		.options = options,
		.noun = "action",
		.words = actions,
		.min = 1,
		.max = 1,
		.json_help = "print {action, files: [{path, result}]}",
	},
	.flags = 0,
	.check = skills_check,
	.exec = cmd_skills,
};
