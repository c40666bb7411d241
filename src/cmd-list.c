/* job list: the project's jobs (or every project's), newest first. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "duration.h"
#include "job.h"
#include "opt.h"
#include "out.h"
#include "store.h"

enum { O_ALL = 1, O_STATUS, O_NAME, O_LIMIT };

static const struct opt_spec options[] = {
	{ .name = "all", .short_name = 'a', .type = OPT_FLAG, .id = O_ALL,
	  .help = "jobs of every project" },
	{ .name = "status", .short_name = 's', .type = OPT_STRING,
	  .id = O_STATUS, .value_name = "STATUS",
	  .help = "only jobs with STATUS (repeatable)",
	  .check = cmd_status_check },
	{ .name = "name", .short_name = 'n', .type = OPT_STRING, .id = O_NAME,
	  .value_name = "NAME",
	  .help = "only jobs named NAME" },
	{ .name = "limit", .short_name = 'l', .type = OPT_INT, .id = O_LIMIT,
	  .value_name = "N",
	  .help = "at most N jobs (default 50; 0: no limit)",
	  .max = INT32_MAX },
	{ NULL },
};

/* What a pending job waits for, before its command: "(waits for ID ID,
 * queue q) ". Empty for the others. */
static void
waiting_prefix(const struct ctx *ctx, const struct job *j, char *buf,
    size_t len)
{
	char *awaiting = NULL, queue[CMD_NAME_MAX * 4 + 1] = "";
	size_t used;

	buf[0] = '\0';
	if (j->status != JOB_PENDING)
		return;
	if (j->after != NULL || j->after_end != NULL)
		store_job_awaiting(ctx->store, j, &awaiting, NULL);
	if (j->queue != NULL)
		out_escape(j->queue, queue, sizeof(queue));
	snprintf(buf, len, "(%s%s%s%s%s) ", awaiting && *awaiting ?
	    "waits for " : "", awaiting ? awaiting : "",
	    awaiting && *awaiting && *queue ? ", " : "", *queue ? "queue " : "",
	    queue);
	free(awaiting);
	used = strlen(buf);
	if (used == 3)	/* "() ": waits for nothing: its start is near */
		buf[0] = '\0';
}

static void
print_table(const struct ctx *ctx, const struct job *jobs, size_t n)
{
	int width = out_width();
	int wname = 4;
	size_t i;

	for (i = 0; i < n; i++) {
		char name[256];
		out_escape(jobs[i].name ? jobs[i].name : "-", name,
		    sizeof(name));
		if (out_columns(name) > wname)
			wname = out_columns(name);
	}
	if (wname > 24)
		wname = 24;
	printf("%-26s  ", "ID");
	out_pad(stdout, "NAME", wname);
	printf("  %-11s  %-7s  %-8s  %-5s  %s\n", "STATUS", "EXIT", "TIME",
	    "AGE", "COMMAND");
	for (i = 0; i < n; i++) {
		const struct job *j = &jobs[i];
		char name[256], cmd[4096], code[16], dur[32], age[32];
		int64_t end = j->finished_at ? j->finished_at : job_now_ms();
		int used;

		out_escape(j->name ? j->name : "-", name, sizeof(name));
		/* Cut on whole characters, to columns: "~" says so. */
		if (out_columns(name) > wname)
			strcpy(name + out_fit(name, wname - 1, NULL), "~");
		waiting_prefix(ctx, j, cmd, sizeof(cmd));
		out_escape(j->command, cmd + strlen(cmd),
		    sizeof(cmd) - strlen(cmd));
		if (j->signal != NULL)
			snprintf(code, sizeof(code), "%s", j->signal);
		else if (j->exit_code >= 0)
			snprintf(code, sizeof(code), "%d", j->exit_code);
		else
			snprintf(code, sizeof(code), "-");
		if (j->started_at > 0)
			duration_format(end - j->started_at, dur, sizeof(dur));
		else
			snprintf(dur, sizeof(dur), "-");
		out_age(j->created_at, age, sizeof(age));
		printf("%-26s  ", j->id);
		out_pad(stdout, name, wname);
		printf("  %s%-11s%s  %-7s  %-8s  %-5s  ",
		    out_status_color(j->status, ctx->color),
		    job_status_name(j->status), out_reset(ctx->color), code,
		    dur, age);
		/* Cut the command to the terminal, never the columns. */
		used = 26 + 2 + wname + 2 + 11 + 2 + 7 + 2 + 8 + 2 + 5 + 2;
		if (width > 0 && width - used > 3 &&
		    out_columns(cmd) > width - used) {
			size_t cut = out_fit(cmd, width - used - 3, NULL);
			snprintf(cmd + cut, sizeof(cmd) - cut, "...");
		}
		printf("%s\n", cmd);
	}
}

static int
cmd_list(struct ctx *ctx, struct cmd_args *a)
{
	struct store_filter f;
	struct err e;
	struct job *jobs = NULL;
	size_t n = 0;
	bool all = opt_has(&a->opt, O_ALL);
	int rc = EXIT_OK;

	memset(&f, 0, sizeof(f));
	err_clear(&e);
	f.limit = opt_num(&a->opt, O_LIMIT, 50);
	f.name = opt_str(&a->opt, O_NAME, NULL);
	f.statuses = cmd_status_bits(&a->opt, O_STATUS);
	f.project = all ? NULL : ctx->project;
	if (store_job_list(ctx->store, &f, &jobs, &n, &e) < 0)
		goto fail;
	if (ctx->json)
		cmd_print_jobs_json(ctx, jobs, n, true);
	else if (n > 0)
		print_table(ctx, jobs, n);
	if (n == 0 && !all && f.statuses == 0 && f.name == NULL) {
		int64_t others = 0;
		if (store_job_count_other(ctx->store, ctx->project, &others,
		    &e) == 0 && others > 0)
			fprintf(stderr, "job: no jobs in this project; %lld "
			    "in other projects (job list --all shows them)\n",
			    (long long)others);
	}
	goto out;
fail:
	rc = cmd_error(ctx, &e);
out:
	job_free_array(jobs, n);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.summary = "List the project's jobs, newest first.",
	.grammar = {
		.options = options,
		.json_help = "print an array of records",
	},
	.flags = CMD_STORE | CMD_RECONCILE,
	.exec = cmd_list,
};
