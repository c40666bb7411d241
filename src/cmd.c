/*
 * The command table, the dispatcher that applies each command's declared
 * grammar, and the usage text and error reporting shared by commands.
 */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "home.h"
#include "job.h"
#include "json.h"
#include "out.h"
#include "project.h"
#include "lifecycle.h"
#include "store.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_run_entry,
	&cmd_list_entry,
	&cmd_status_entry,
	&cmd_logs_entry,
	&cmd_wait_entry,
	&cmd_stop_entry,
	&cmd_retry_entry,
	&cmd_queue_entry,
	&cmd_clean_entry,
	&cmd_mcp_entry,
	&cmd_skills_entry,
	&cmd_completions_entry,
	&cmd_help_entry,
	NULL,
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const *p;

	for (p = cmd_table; *p != NULL; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

void
cmd_global_usage(FILE *f)
{
	const struct cmd_entry *const *p;

	fprintf(f, "usage: job [--json] COMMAND [ARGS...]\n\n"
	    "Run commands in the background, detached and recorded.\n\n"
	    "Commands:\n");
	for (p = cmd_table; *p != NULL; p++)
		fprintf(f, "  %-12s %s\n", (*p)->name, (*p)->summary);
	fprintf(f, "\nRun 'job help COMMAND' or 'job COMMAND -h' for its "
	    "options. See job(1).\n");
}

int
cmd_setup(struct ctx *ctx, int flags)
{
	struct err e;

	err_clear(&e);
	if (ctx->cwd[0] == '\0' && project_detect(ctx->cwd, ctx->project,
	    sizeof(ctx->project), &e) < 0)
		return cmd_error(ctx, &e);
	if (!(flags & (CMD_HOME | CMD_STORE)))
		return 0;
	if (ctx->home[0] == '\0' &&
	    home_open(ctx->home, sizeof(ctx->home), &e) < 0) {
		ctx->home[0] = '\0';
		return cmd_error(ctx, &e);
	}
	if (!(flags & CMD_STORE) || ctx->store != NULL)
		return 0;
	if (store_open(ctx->home, &ctx->store, &e) < 0)
		return cmd_error(ctx, &e);
	if (flags & CMD_RECONCILE) {
		struct life l;

		cmd_life(ctx, &l);
		if (life_reconcile_all(&l, &e) < 0)
			return cmd_error(ctx, &e);
	}
	return 0;
}

/* Resolves refs to records; on failure reports and returns the status. */
static int
resolve_jobs(struct ctx *ctx, char **refs, int nrefs, struct job **out)
{
	struct job *jobs;
	struct err e;
	int i;

	jobs = calloc((size_t)nrefs, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		return cmd_error(ctx, &e);
	}
	for (i = 0; i < nrefs; i++) {
		char id[ULID_LEN + 1];

		if (store_job_resolve(ctx->store, refs[i], ctx->project, id,
		    &e) < 0 ||
		    store_job_get(ctx->store, id, &jobs[i], &e) < 0) {
			job_free_array(jobs, (size_t)i);
			return cmd_error(ctx, &e);
		}
	}
	*out = jobs;
	return 0;
}

int
cmd_dispatch(struct ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *entry = ctx->entry;
	struct cmd_args a;
	struct err e;
	int rc;

	memset(&a, 0, sizeof(a));
	err_clear(&e);
	rc = opt_parse(&entry->grammar, argc, argv, &a.opt, &e);
	ctx->json = ctx->json || a.opt.json;
	if (rc == 0 && a.opt.help) {
		cmd_usage(entry, stdout);
		goto out;
	}
	if (rc < 0 || (entry->check != NULL && entry->check(ctx, &a.opt,
	    &e) < 0)) {
		rc = cmd_error(ctx, &e);
		goto out;
	}
	rc = cmd_setup(ctx, entry->flags);
	if (rc == 0 && (entry->flags & CMD_REFS) && a.opt.noperands > 0) {
		rc = resolve_jobs(ctx, a.opt.operands, a.opt.noperands,
		    &a.jobs);
		if (rc == 0)
			a.njobs = a.opt.noperands;
	}
	if (rc == 0)
		rc = entry->exec(ctx, &a);
out:
	if (a.jobs != NULL)
		job_free_array(a.jobs, (size_t)a.njobs);
	opt_args_free(&a.opt);
	return rc;
}

void
cmd_usage(const struct cmd_entry *entry, FILE *f)
{
	fprintf(f, "usage: job %s", entry->name);
	opt_print_synopsis(&entry->grammar, f);
	fprintf(f, "\n\n%s\n\n", entry->summary);
	opt_print_help(&entry->grammar, f);
}

int
cmd_exit_code(enum err_code code)
{
	return code == ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
}

int
cmd_error(const struct ctx *ctx, const struct err *e)
{
	int i;

	fflush(stdout);
	if (ctx != NULL && ctx->json) {
		jprint(json_error(e), stderr);
	} else {
		fprintf(stderr, "job: %s\n", e->msg);
		for (i = 0; i < e->ncandidates; i++)
			fprintf(stderr, "  %s\n", e->candidates[i]);
		if (e->code == ERR_USAGE && ctx != NULL &&
		    ctx->entry != NULL) {
			fprintf(stderr, "usage: job %s", ctx->entry->name);
			opt_print_synopsis(&ctx->entry->grammar, stderr);
			fputc('\n', stderr);
		}
	}
	return cmd_exit_code(e->code);
}

struct jval *
cmd_job_json(const struct ctx *ctx, const struct job *j)
{
	char path[PATH_MAX];
	struct stat sb;

	struct jval *v;
	struct job shown = *j;

	/* What a pending job still waits for is read now. */
	shown.awaiting = NULL;
	if (j->status == JOB_PENDING && ctx->store != NULL &&
	    (j->after != NULL || j->after_end != NULL))
		store_job_awaiting(ctx->store, j, &shown.awaiting, NULL);
	home_log_path(ctx->home, j->id, path, sizeof(path));
	v = json_job(&shown, path, stat(path, &sb) == 0 ?
	    (int64_t)sb.st_size : 0);
	free(shown.awaiting);
	return v;
}

int
cmd_print_jobs_json(const struct ctx *ctx, const struct job *jobs, size_t n,
    bool array)
{
	struct jval *a;
	size_t i;

	if (!array && n == 1)
		return jprint(cmd_job_json(ctx, &jobs[0]), stdout);
	a = jarr();
	for (i = 0; i < n; i++)
		jpush(a, cmd_job_json(ctx, &jobs[i]));
	return jprint(a, stdout);
}

void
cmd_print_job_line(const struct ctx *ctx, const struct job *j)
{
	char name[256], dur[32], code[16];
	int64_t end = j->finished_at ? j->finished_at : job_now_ms();

	out_escape(j->name ? j->name : "-", name, sizeof(name));
	if (j->started_at > 0)
		duration_format(end - j->started_at, dur, sizeof(dur));
	else
		snprintf(dur, sizeof(dur), "-");
	if (j->signal != NULL)
		snprintf(code, sizeof(code), "%s", j->signal);
	else if (j->exit_code >= 0)
		snprintf(code, sizeof(code), "%d", j->exit_code);
	else
		snprintf(code, sizeof(code), "-");
	printf("%s %s %s%s%s exit=%s %s\n", j->id, name,
	    out_status_color(j->status, ctx->color),
	    job_status_name(j->status), out_reset(ctx->color), code, dur);
}

void
cmd_life(const struct ctx *ctx, struct life *l)
{
	l->home = ctx->home;
	l->store = ctx->store;
	l->self_exe = ctx->self_exe;
	l->umask = ctx->caller_umask;
}

int
cmd_wait_print(struct ctx *ctx, char ids[][ULID_LEN + 1], int n,
    int64_t timeout_ms)
{
	struct life l;
	struct job *jobs;
	struct err e;
	int64_t deadline = timeout_ms >= 0 ? job_mono_ms() + timeout_ms : 0;
	int i, rc = EXIT_OK, done = 0;
	bool timed_out = false;

	cmd_life(ctx, &l);
	jobs = calloc((size_t)n, sizeof(*jobs));
	if (jobs == NULL) {
		err_set(&e, ERR_IO, "out of memory");
		return cmd_error(ctx, &e);
	}
	for (i = 0; i < n; i++, done++) {
		int w = life_wait(&l, ids[i], deadline, &jobs[i], &e);

		if (w < 0) {
			job_free_array(jobs, (size_t)done);
			return cmd_error(ctx, &e);
		}
		if (w == 1)
			timed_out = true;
		else if (rc == EXIT_OK)
			rc = job_exit_status(&jobs[i]);
	}
	if (ctx->json)
		cmd_print_jobs_json(ctx, jobs, (size_t)n, n > 1);
	else
		for (i = 0; i < n; i++)
			cmd_print_job_line(ctx, &jobs[i]);
	job_free_array(jobs, (size_t)n);
	return timed_out ? EXIT_STILL_RUNNING : rc;
}

int
cmd_status_check(const char *value, int64_t *status, struct err *e)
{
	int s = job_status_parse(value);

	if (s < 0)
		return err_set(e, ERR_USAGE, "unknown status '%s': use pending, "
		    "running, completed, failed, stopped or interrupted",
		    value);
	*status = s;
	return 0;
}

unsigned
cmd_status_bits(const struct opt_args *a, int id)
{
	const struct opt_value *v = NULL;
	unsigned mask = 0;

	while ((v = opt_each(a, id, v)) != NULL)
		mask |= STATUS_BIT(v->num);
	return mask;
}

int
cmd_check_label(const char *what, const char *s, size_t max, struct err *e)
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

int
cmd_check_queue(const char *value, int64_t *num, struct err *e)
{
	(void)num;
	return cmd_check_label("queue", value, CMD_NAME_MAX, e);
}
