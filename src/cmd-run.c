/* job run: start a command in the background and print its id. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "home.h"
#include "lifecycle.h"
#include "opt.h"
#include "project.h"

#define NAME_MAX_LEN 200
#define KEY_MAX_LEN 1024

enum { O_NAME = 1, O_KEY, O_TIMEOUT, O_CWD, O_ENV, O_CONTEXT, O_GRACE,
	O_WAIT, O_FOLLOW };

static const struct opt_spec options[] = {
	{ "name", 'n', OPT_VALUE, O_NAME },
	{ "key", 'k', OPT_VALUE, O_KEY },
	{ "timeout", 't', OPT_VALUE, O_TIMEOUT },
	{ "cwd", 'C', OPT_VALUE, O_CWD },
	{ "env", 'e', OPT_VALUE, O_ENV },
	{ "context", 0, OPT_VALUE, O_CONTEXT },
	{ "grace", 0, OPT_VALUE, O_GRACE },
	{ "wait", 'w', OPT_NONE, O_WAIT },
	{ "follow", 'f', OPT_NONE, O_FOLLOW },
	{ NULL, 0, OPT_NONE, 0 },
};

static int
check_label(const char *what, const char *s, size_t max, struct err *e)
{
	size_t len = strlen(s), i;

	if (len == 0)
		return err_set(e, ERR_USAGE, "--%s must not be empty", what);
	if (len > max)
		return err_set(e, ERR_USAGE, "--%s is %zu bytes long; at most "
		    "%zu are allowed", what, len, max);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return err_set(e, ERR_USAGE, "--%s must not contain "
			    "control characters", what);
	return 0;
}

/* Appends "K=V\0" to the env blob after checking the name. */
static int
add_env(struct job *j, const char *kv, struct err *e)
{
	const char *eq = strchr(kv, '=');
	size_t len = strlen(kv) + 1, i;
	char *grown;

	if (eq == NULL || eq == kv)
		return err_set(e, ERR_USAGE, "bad --env '%s': expected "
		    "NAME=VALUE", kv);
	for (i = 0; kv + i < eq; i++) {
		char c = kv[i];
		if (!(c == '_' || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9')))
			return err_set(e, ERR_USAGE, "bad --env '%s': '%.*s' "
			    "is not a variable name", kv, (int)(eq - kv), kv);
	}
	if ((size_t)(eq - kv) == 6 && strncmp(kv, "JOB_ID", 6) == 0)
		return err_set(e, ERR_USAGE, "bad --env '%s': JOB_ID is the "
		    "job's own id and cannot be set", kv);
	grown = realloc(j->env, j->env_len + len);
	if (grown == NULL)
		return err_set(e, ERR_IO, "out of memory");
	memcpy(grown + j->env_len, kv, len);
	j->env = grown;
	j->env_len += len;
	return 0;
}

static char *
join_words(char **words, int n)
{
	size_t len = 0;
	char *s, *p;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	p = s;
	for (i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		if (i > 0)
			*p++ = ' ';
		memcpy(p, words[i], l);
		p += l;
	}
	*p = '\0';
	return s;
}

/* Makes --cwd absolute; a folder that does not exist is kept as given,
 * so the job fails to start and says why in its record and log. */
static char *
resolve_cwd(const struct ctx *ctx, const char *dir)
{
	char real[PATH_MAX], *joined;

	if (realpath(dir, real) != NULL)
		return strdup(real);
	if (dir[0] == '/')
		return strdup(dir);
	joined = malloc(strlen(ctx->cwd) + strlen(dir) + 2);
	if (joined != NULL)
		sprintf(joined, "%s/%s", ctx->cwd, dir);
	return joined;
}

static int
write_stdout(void *arg, const char *s, size_t len)
{
	(void)arg;
	return fwrite(s, 1, len, stdout) != len || fflush(stdout) != 0 ?
	    -1 : 0;
}

/* --follow: the output as it comes, then the job's exit status. */
static int
follow(struct ctx *ctx, const struct job *j)
{
	struct life l;
	struct job end;
	struct err e;
	char path[PATH_MAX];
	int fd, rc;

	cmd_life(ctx, &l);
	home_log_path(ctx->home, j->id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_sys(&e, ERR_IO, errno, "cannot read '%s'", path);
		return cmd_error(ctx, &e);
	}
	rc = life_follow(&l, j->id, fd, 0, write_stdout, NULL, &end, &e);
	close(fd);
	if (rc < 0)
		return cmd_error(ctx, &e);
	rc = job_exit_status(&end);
	job_free(&end);
	return rc;
}

static int
cmd_run(struct ctx *ctx, int argc, char **argv)
{
	struct opt_state st;
	struct job spec, job;
	struct err e;
	const char *value;
	const char *cwd_arg = NULL;
	struct life l;
	bool wait = false, follow_output = false, existing;
	int id, rc = EXIT_OK;

	memset(&spec, 0, sizeof(spec));
	memset(&job, 0, sizeof(job));
	err_clear(&e);
	spec.grace_ms = 5000;
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	while ((id = opt_next(&st, options, &value, &e)) != 0) {
		switch (id) {
		case O_NAME:
			if (check_label("name", value, NAME_MAX_LEN, &e) < 0)
				goto fail;
			free(spec.name);
			spec.name = strdup(value);
			break;
		case O_KEY:
			if (check_label("key", value, KEY_MAX_LEN, &e) < 0)
				goto fail;
			free(spec.key);
			spec.key = strdup(value);
			break;
		case O_TIMEOUT:
			if (opt_duration("timeout", value, &spec.timeout_ms,
			    &e) < 0)
				goto fail;
			if (spec.timeout_ms == 0) {
				err_set(&e, ERR_USAGE, "bad duration '%s' for "
				    "--timeout: must be more than 0", value);
				goto fail;
			}
			break;
		case O_GRACE:
			if (opt_duration("grace", value, &spec.grace_ms,
			    &e) < 0)
				goto fail;
			break;
		case O_CWD:
			cwd_arg = value;
			break;
		case O_ENV:
			if (add_env(&spec, value, &e) < 0)
				goto fail;
			break;
		case O_CONTEXT:
			free(spec.context);
			if (json_normalize(value, &spec.context, &e) < 0)
				goto fail;
			break;
		case O_WAIT:
			wait = true;
			break;
		case O_FOLLOW:
			follow_output = true;
			break;
		default:
			goto fail;
		}
	}
	if (st.nwords == 0) {
		err_set(&e, ERR_USAGE, "no command given");
		goto fail;
	}
	if (follow_output && ctx->json) {
		err_set(&e, ERR_USAGE, "--follow streams text: use --wait "
		    "with --json");
		goto fail;
	}
	spec.command = join_words(st.words, st.nwords);
	spec.cwd = cwd_arg ? resolve_cwd(ctx, cwd_arg) : strdup(ctx->cwd);
	spec.project = ctx->project;
	if (spec.command == NULL || spec.cwd == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		goto fail;
	}
	if (strspn(spec.command, " \t\n") == strlen(spec.command)) {
		err_set(&e, ERR_USAGE, "no command given");
		goto fail;
	}
	cmd_life(ctx, &l);
	if (life_start(&l, &spec, &job, &existing, &e) < 0) {
		if (e.code == ERR_SPAWN_FAILED && job.id[0] != '\0') {
			char msg[sizeof(e.msg)];
			memcpy(msg, e.msg, sizeof(msg));
			err_set(&e, ERR_SPAWN_FAILED, "cannot start job %s: "
			    "%.960s", job.id, msg);
		}
		goto fail;
	}
	if (follow_output)
		rc = follow(ctx, &job);
	else if (wait) {
		char ids[1][ULID_LEN + 1];
		memcpy(ids[0], job.id, sizeof(ids[0]));
		rc = cmd_wait_print(ctx, ids, 1, -1);
	} else if (ctx->json)
		cmd_print_jobs_json(ctx, &job, 1, false);
	else
		printf("%s\n", job.id);
	goto out;
fail:
	rc = cmd_error(ctx, &e);
out:
	job_free(&job);
	free(spec.name);
	free(spec.key);
	free(spec.command);
	free(spec.cwd);
	free(spec.context);
	free(spec.env);
	opt_free(&st);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "[options] [--] COMMAND...",
	.summary = "Start COMMAND in the background and print its id.",
	.usage =
	    "  -n, --name NAME      name the job (unique among active jobs "
	    "of the project)\n"
	    "  -k, --key KEY        idempotency key: reuse the project's job "
	    "with KEY\n"
	    "  -t, --timeout DUR    stop the job after DUR (status failed, "
	    "reason timeout)\n"
	    "      --grace DUR      SIGTERM to SIGKILL delay (default 5s)\n"
	    "  -C, --cwd DIR        run in DIR (default: the current folder)\n"
	    "  -e, --env NAME=VAL   add a variable to the job's environment "
	    "(repeatable)\n"
	    "      --context JSON   attach any JSON value to the record\n"
	    "  -w, --wait           wait for the job to end, as 'job wait'\n"
	    "  -f, --follow         stream its output until it ends; exit "
	    "with its status\n"
	    "      --json           print the job's record as JSON\n"
	    "  -h, --help           show this help\n",
	.options = options,
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_run,
};
