/*
 * job run: start a command in the background and print its id.
 *
 * The grammar: job run's options end at the first word of the command, or
 * at "--"; every word from there is the command's, even those that look
 * like options. One word without "--" is a shell line for /bin/sh -c;
 * several words, or any words after "--", are an argv, run exactly as
 * given. Two habits of callers used to options after the command get a
 * word of their own: a shell line followed by more words is refused with
 * the line that was meant, and job run's own long options among an argv's
 * words are passed on with a note that says how to give them to job run.
 */
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
#include "store.h"

#define KEY_MAX_LEN 1024

enum { O_NAME = 1, O_KEY, O_TIMEOUT, O_CWD, O_ENV, O_CONTEXT, O_GRACE,
	O_WAIT, O_FOLLOW, O_AFTER, O_AFTER_END, O_QUEUE };

static int check_name(const char *value, int64_t *num, struct err *e);
static int check_key(const char *value, int64_t *num, struct err *e);
static int check_env(const char *kv, int64_t *num, struct err *e);

static const struct opt_spec options[] = {
	{ .name = "name", .short_name = 'n', .type = OPT_STRING, .id = O_NAME,
	  .value_name = "NAME",
	  .help = "name the job (unique among active jobs of the project)",
	  .check = check_name },
	{ .name = "key", .short_name = 'k', .type = OPT_STRING, .id = O_KEY,
	  .value_name = "KEY",
	  .help = "idempotency key: reuse the project's job with KEY",
	  .check = check_key },
	{ .name = "timeout", .short_name = 't', .type = OPT_DURATION,
	  .id = O_TIMEOUT, .value_name = "DUR",
	  .help = "stop the job after DUR (status failed, reason timeout)",
	  .min = 1 },
	{ .name = "grace", .type = OPT_DURATION, .id = O_GRACE,
	  .value_name = "DUR",
	  .help = "SIGTERM to SIGKILL delay (default 5s)" },
	{ .name = "cwd", .short_name = 'C', .type = OPT_STRING, .id = O_CWD,
	  .value_name = "DIR",
	  .help = "run in DIR (default: the current folder)" },
	{ .name = "env", .short_name = 'e', .type = OPT_STRING, .id = O_ENV,
	  .value_name = "NAME=VAL",
	  .help = "add a variable to the job's environment (repeatable)",
	  .check = check_env },
	{ .name = "context", .type = OPT_STRING, .id = O_CONTEXT,
	  .value_name = "JSON",
	  .help = "attach any JSON value to the record" },
	{ .name = "after", .type = OPT_STRING, .id = O_AFTER,
	  .value_name = "REF",
	  .help = "start once job REF has completed; if it ends otherwise,\n"
	    "this job fails (dependency_failed) without running\n"
	    "(repeatable)" },
	{ .name = "after-end", .type = OPT_STRING, .id = O_AFTER_END,
	  .value_name = "REF",
	  .help = "start once job REF has ended, however (repeatable)" },
	{ .name = "queue", .short_name = 'q', .type = OPT_STRING,
	  .id = O_QUEUE, .value_name = "NAME",
	  .help = "join queue NAME: it runs its jobs in submission order,\n"
	    "at most its limit at once (see job queue)",
	  .check = cmd_check_queue },
	{ .name = "wait", .short_name = 'w', .type = OPT_FLAG, .id = O_WAIT,
	  .help = "wait for the job to end, as 'job wait'" },
	{ .name = "follow", .short_name = 'f', .type = OPT_FLAG,
	  .id = O_FOLLOW,
	  .help = "stream its output until it ends; exit with its status" },
	{ NULL },
};

static int
check_name(const char *value, int64_t *num, struct err *e)
{
	(void)num;
	return cmd_check_label("name", value, CMD_NAME_MAX, e);
}

static int
check_key(const char *value, int64_t *num, struct err *e)
{
	(void)num;
	return cmd_check_label("key", value, KEY_MAX_LEN, e);
}

static int
check_env(const char *kv, int64_t *num, struct err *e)
{
	const char *eq = strchr(kv, '=');
	size_t i;

	(void)num;
	if (eq == NULL || eq == kv)
		return err_set(e, ERR_USAGE, "bad --env '%s': expected "
		    "NAME=VAL", kv);
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
	return 0;
}

/* Appends "K=V\0" to the env blob. */
static int
add_env(struct job *j, const char *kv, struct err *e)
{
	size_t len = strlen(kv) + 1;
	char *grown;

	grown = realloc(j->env, j->env_len + len);
	if (grown == NULL)
		return err_set(e, ERR_IO, "out of memory");
	memcpy(grown + j->env_len, kv, len);
	j->env = grown;
	j->env_len += len;
	return 0;
}

/* The words as kept in the record: "w1\0w2\0". */
static char *
argv_blob(char **words, int n, size_t *len)
{
	char *blob, *p;
	int i;

	*len = 0;
	for (i = 0; i < n; i++)
		*len += strlen(words[i]) + 1;
	blob = malloc(*len);
	if (blob == NULL)
		return NULL;
	for (p = blob, i = 0; i < n; i++)
		p = stpcpy(p, words[i]) + 1;
	return blob;
}

/* Whether a word reads as a line for the shell rather than a program. */
static bool
shell_like(const char *word)
{
	return strpbrk(word, " \t\n|&;<>()$`\\\"'") != NULL;
}

/*
 * The job run line that was meant, quoted for a shell: the options given
 * before the command (without a "--"), then opts, then the command's
 * words. NULL when out of memory.
 */
static char *
meant_line(const struct opt_args *a, char **opts, int nopts, char **words,
    int nwords)
{
	int nbefore = a->first - 1 - (a->dashdash ? 1 : 0), k = 0, i;
	char **all, *line;

	all = calloc((size_t)(nbefore + nopts + nwords + 2), sizeof(*all));
	if (all == NULL)
		return NULL;
	all[k++] = (char *)(uintptr_t)"job";
	all[k++] = (char *)(uintptr_t)"run";
	for (i = 0; i < nbefore; i++)
		all[k++] = a->argv[1 + i];
	for (i = 0; i < nopts; i++)
		all[k++] = opts[i];
	for (i = 0; i < nwords; i++)
		all[k++] = words[i];
	line = job_quote_words(all, k);
	free(all);
	return line;
}

/*
 * A shell line followed by more words, as in `job run "npm test" --name
 * web`: as words they would be an argv whose program is "npm test". That
 * is never what was meant, so nothing runs; the error shows what was.
 */
static int
refuse_line_and_words(const struct opt_args *a, struct err *e)
{
	static const struct opt_grammar rest_grammar = {
		.options = options,
		.max = -1,
	};
	struct opt_args rest;
	struct err pe;
	char *line = job_quote_words(a->operands, 1), *meant = NULL;

	if (opt_parse(&rest_grammar, a->noperands, a->operands, &rest,
	    &pe) < 0)
		err_set(e, ERR_USAGE, "%s after the shell line %s: job run's "
		    "options go before the command", pe.msg, line);
	else if (rest.noperands > 0)
		err_set(e, ERR_USAGE, "'%s' after the shell line %s: give the "
		    "whole line as one word, or put -- before words to run "
		    "them as they are", rest.operands[0], line);
	else {
		meant = meant_line(a, a->operands + 1, a->noperands - 1,
		    a->operands, 1);
		err_set(e, ERR_USAGE, "'%s' after the shell line %s: job run's "
		    "options go before the command: %s", a->operands[1], line,
		    meant);
	}
	opt_args_free(&rest);
	free(line);
	free(meant);
	return -1;
}

static int
run_check(const struct ctx *ctx, const struct opt_args *a, struct err *e)
{
	const char *first = a->operands[0];

	if (opt_has(a, O_FOLLOW) && ctx->json)
		return err_set(e, ERR_USAGE, "--follow streams text: use "
		    "--wait with --json");
	if (!a->dashdash && a->noperands == 1) {
		if (strspn(first, " \t\n") == strlen(first))
			return err_set(e, ERR_USAGE, "no command given: the "
			    "shell line is empty");
		return 0;
	}
	if (first[0] == '\0')
		return err_set(e, ERR_USAGE, "no command given: its first word "
		    "is empty");
	if (!a->dashdash && shell_like(first))
		return refuse_line_and_words(a, e);
	return 0;
}

/*
 * `job run npm run dev --name web`: every word after the program is the
 * command's, even one that looks like job run's own long option. It goes
 * to the command as given; say so, with the line that gives it to job run.
 * Words after a "--" of the command's are left alone.
 */
static void
note_own_options(const struct opt_args *a)
{
	char **moved, **rest, names[256] = "", *meant;
	int nmoved = 0, nrest = 0, i;
	size_t o = 0;

	moved = calloc((size_t)a->noperands, sizeof(*moved));
	rest = calloc((size_t)a->noperands, sizeof(*rest));
	if (moved == NULL || rest == NULL)
		goto out;
	rest[nrest++] = a->operands[0];
	for (i = 1; i < a->noperands; i++) {
		const char *w = a->operands[i];
		const struct opt_spec *spec = opt_find_long(options, w);
		bool takes_next;

		if (strcmp(w, "--") == 0) {
			while (i < a->noperands)
				rest[nrest++] = a->operands[i++];
			break;
		}
		takes_next = spec != NULL && spec->type != OPT_FLAG &&
		    strchr(w, '=') == NULL;
		if (spec == NULL || (takes_next && i + 1 == a->noperands)) {
			rest[nrest++] = a->operands[i];
			continue;
		}
		if (o < sizeof(names))
			o += (size_t)snprintf(names + o, sizeof(names) - o,
			    "%s--%s", nmoved > 0 ? ", " : "", spec->name);
		moved[nmoved++] = a->operands[i];
		if (takes_next)
			moved[nmoved++] = a->operands[++i];
	}
	if (nmoved > 0 &&
	    (meant = meant_line(a, moved, nmoved, rest, nrest)) != NULL) {
		fprintf(stderr, "job: note: %s went to the command, not to job "
		    "run (its options go before the command): %s\n", names,
		    meant);
		free(meant);
	}
out:
	free(moved);
	free(rest);
}

/*
 * The jobs named by each --after (or --after-end) as ids, "ID ID", into
 * *list; NULL when none. A reference is resolved now, as everywhere: an
 * unknown or ambiguous one refuses the run.
 */
static int
resolve_deps(struct ctx *ctx, const struct opt_args *a, int id, char **list,
    struct err *e)
{
	const struct opt_value *v = NULL;
	char dep[ULID_LEN + 1];
	size_t len = 0;
	char *grown;

	*list = NULL;
	while ((v = opt_each(a, id, v)) != NULL) {
		if (store_job_resolve(ctx->store, v->value, ctx->project, dep,
		    e) < 0)
			return -1;
		if (*list != NULL && strstr(*list, dep) != NULL)
			continue;
		if ((grown = realloc(*list, len + ULID_LEN + 2)) == NULL)
			return err_set(e, ERR_IO, "out of memory");
		*list = grown;
		len += (size_t)sprintf(*list + len, "%s%s", len ? " " : "",
		    dep);
	}
	return 0;
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
follow_output(struct ctx *ctx, const struct job *j)
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

/*
 * `job run -- "npm test"` could not start: a program named "npm test" is
 * rarely what was meant. Say how to run the word as a shell line.
 */
static void
hint_shell_line(const struct opt_args *a, struct err *e)
{
	char *meant = meant_line(a, NULL, 0, a->operands, 1);
	size_t len = strlen(e->msg);

	if (meant != NULL)
		snprintf(e->msg + len, sizeof(e->msg) - len, "; it looks like "
		    "a shell line: without -- it runs with /bin/sh -c: %s",
		    meant);
	free(meant);
}

static int
cmd_run(struct ctx *ctx, struct cmd_args *a)
{
	struct job spec, job;
	struct err e;
	const struct opt_value *v = NULL;
	const char *cwd_arg = opt_str(&a->opt, O_CWD, NULL);
	const char *name = opt_str(&a->opt, O_NAME, NULL);
	const char *key = opt_str(&a->opt, O_KEY, NULL);
	const char *context = opt_str(&a->opt, O_CONTEXT, NULL);
	const char *queue = opt_str(&a->opt, O_QUEUE, NULL);
	char **words = a->opt.operands;
	int nwords = a->opt.noperands;
	bool wait = opt_has(&a->opt, O_WAIT);
	bool follow = opt_has(&a->opt, O_FOLLOW), existing;
	bool as_argv = a->opt.dashdash || nwords > 1;
	bool launched = false;
	struct life l;
	struct life_launch ll;
	int rc = EXIT_OK;

	memset(&spec, 0, sizeof(spec));
	memset(&job, 0, sizeof(job));
	err_clear(&e);
	spec.name = name != NULL ? strdup(name) : NULL;
	spec.key = key != NULL ? strdup(key) : NULL;
	spec.timeout_ms = opt_num(&a->opt, O_TIMEOUT, 0);
	spec.grace_ms = opt_num(&a->opt, O_GRACE, 5000);
	while ((v = opt_each(&a->opt, O_ENV, v)) != NULL)
		if (add_env(&spec, v->value, &e) < 0)
			goto fail;
	if (context != NULL && json_normalize(context, &spec.context, &e) < 0)
		goto fail;
	if (queue != NULL && (spec.queue = strdup(queue)) == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		goto fail;
	}
	if (as_argv) {
		if (!a->opt.dashdash)
			note_own_options(&a->opt);
		spec.argv = argv_blob(words, nwords, &spec.argv_len);
		spec.command = job_quote_words(words, nwords);
	} else
		spec.command = strdup(words[0]);
	spec.cwd = cwd_arg ? resolve_cwd(ctx, cwd_arg) : strdup(ctx->cwd);
	spec.project = ctx->project;
	if (spec.command == NULL || spec.cwd == NULL ||
	    (as_argv && spec.argv == NULL)) {
		err_set(&e, ERR_IO, "out of memory");
		goto fail;
	}
	/* The supervisor is forked before the store is opened: both get
	 * ready at once (life_launch). */
	cmd_life(ctx, &l);
	if (life_launch(&l, &spec, &ll, &e) < 0)
		goto fail;
	launched = true;
	if ((rc = cmd_setup(ctx, CMD_STORE)) != 0)
		goto out;
	if (resolve_deps(ctx, &a->opt, O_AFTER, &spec.after, &e) < 0 ||
	    resolve_deps(ctx, &a->opt, O_AFTER_END, &spec.after_end, &e) < 0)
		goto fail;
	cmd_life(ctx, &l);
	launched = false;
	if (life_start(&l, &ll, &spec, &job, &existing, &e) < 0) {
		if (e.code == ERR_SPAWN_FAILED && job.id[0] != '\0') {
			char msg[sizeof(e.msg)];
			memcpy(msg, e.msg, sizeof(msg));
			err_set(&e, ERR_SPAWN_FAILED, "cannot start job %s: "
			    "%.960s", job.id, msg);
			if (a->opt.dashdash && nwords == 1 &&
			    shell_like(words[0]))
				hint_shell_line(&a->opt, &e);
		}
		goto fail;
	}
	if (follow)
		rc = follow_output(ctx, &job);
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
	if (launched)
		life_cancel(&l, &ll);
	job_free(&job);
	free(spec.name);
	free(spec.key);
	free(spec.command);
	free(spec.cwd);
	free(spec.context);
	free(spec.env);
	free(spec.argv);
	free(spec.queue);
	free(spec.after);
	free(spec.after_end);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "Start COMMAND in the background and print its id.",
	.grammar = {
		.options = options,
		.operand = "COMMAND",
		.noun = "command",
		.operand_help = "the command; options end at its first word.\n"
		    "Several words, or any after --, run as they are\n"
		    "(an argv, no shell); one word is a shell line for\n"
		    "/bin/sh -c",
		.min = 1,
		.max = -1,
		.stop = true,
		.json_help = "print the job's record as JSON",
	},
	/* No reconciliation of every active job: a start settles only
	 * what it collides with (life_start). The store is opened once the
	 * supervisor is forked (cmd_run). */
	.flags = CMD_HOME,
	.check = run_check,
	.exec = cmd_run,
};
