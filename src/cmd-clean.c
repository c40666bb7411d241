/*
 * job clean: delete ended jobs and their logs. A row is deleted only while
 * it is still ended (checked in the DELETE itself) and only once its
 * supervisor is gone (its lock free and its process ended), so a starting
 * or running job is never touched, nor one whose supervisor still records.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "duration.h"
#include "home.h"
#include "job.h"
#include "json.h"
#include "lock.h"
#include "opt.h"
#include "proc.h"
#include "store.h"

enum { O_OLDER = 1, O_STATUS, O_ALL, O_ALL_PROJECTS };

static const struct opt_spec options[] = {
	{ .name = "older-than", .type = OPT_DURATION, .id = O_OLDER,
	  .value_name = "DUR",
	  .help = "ended more than DUR ago (default 7d)" },
	{ .name = "status", .short_name = 's', .type = OPT_STRING,
	  .id = O_STATUS, .value_name = "STATUS",
	  .help = "only ended jobs with STATUS (repeatable)",
	  .check = cmd_status_check },
	{ .name = "all", .short_name = 'a', .type = OPT_FLAG, .id = O_ALL,
	  .help = "every ended job, whatever its age" },
	{ .name = "all-projects", .type = OPT_FLAG, .id = O_ALL_PROJECTS,
	  .help = "in every project, not just this one" },
	{ NULL },
};

/*
 * Files left by a `job run` that died before inserting its row: a log or
 * lock with no row and no holder. A starting job holds its lock from before
 * its files exist until its supervisor ends, so it is never taken.
 */
static size_t
sweep_strays(struct ctx *ctx)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	size_t removed = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/logs", ctx->home);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char id[ULID_LEN + 1];
		const char *ext = de->d_name + ULID_LEN;
		struct job j;
		struct err e;

		if (strlen(de->d_name) < ULID_LEN ||
		    (strcmp(ext, ".log") != 0 && strcmp(ext, ".lock") != 0) ||
		    !ulid_is_prefix(de->d_name, ULID_LEN))
			continue;
		memcpy(id, de->d_name, ULID_LEN);
		id[ULID_LEN] = '\0';
		if (lock_probe(ctx->home, id, NULL, 0) == LOCK_HELD)
			continue;
		if (store_job_get(ctx->store, id, &j, &e) == 0) {
			job_free(&j);
			continue;
		}
		if (e.code != ERR_NOT_FOUND)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static int
clean_check(const struct ctx *ctx, const struct opt_args *a, struct err *e)
{
	const struct opt_value *v = NULL;

	(void)ctx;
	while ((v = opt_each(a, O_STATUS, v)) != NULL)
		if (STATUS_BIT(v->num) & STATUS_ACTIVE)
			return err_set(e, ERR_USAGE, "clean removes ended jobs "
			    "only, not '%s' ones", v->value);
	return 0;
}

static int
cmd_clean(struct ctx *ctx, struct cmd_args *a)
{
	struct store_filter f;
	struct err e;
	struct job *jobs = NULL;
	struct jval *removed = NULL;
	size_t n = 0, i, count = 0;
	int64_t older = opt_num(&a->opt, O_OLDER, 7 * 86400000LL);
	bool all = opt_has(&a->opt, O_ALL);
	bool all_projects = opt_has(&a->opt, O_ALL_PROJECTS);
	int rc = EXIT_OK;

	memset(&f, 0, sizeof(f));
	err_clear(&e);
	f.statuses = cmd_status_bits(&a->opt, O_STATUS);
	if (f.statuses == 0)
		f.statuses = STATUS_ENDED;
	f.project = all_projects ? NULL : ctx->project;
	f.finished_before = all ? 0 : job_now_ms() - older;
	if (f.finished_before == 0 && !all)
		f.finished_before = 1;
	if (store_job_list(ctx->store, &f, &jobs, &n, &e) < 0)
		return cmd_error(ctx, &e);
	if (ctx->json)
		removed = jarr();
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		bool deleted;

		/* A supervisor still alive may still be writing the log; past
		 * its last word (the lock released), it would write the row
		 * it is about to record again if it were gone. */
		if (lock_probe(ctx->home, jobs[i].id, NULL, 0) == LOCK_HELD ||
		    (jobs[i].sup_pid > 0 && proc_same((pid_t)jobs[i].sup_pid,
		    jobs[i].sup_start)))
			continue;
		if (store_job_delete(ctx->store, jobs[i].id, &deleted,
		    &e) < 0) {
			rc = cmd_error(ctx, &e);
			break;
		}
		if (!deleted)
			continue;
		home_log_path(ctx->home, jobs[i].id, path, sizeof(path));
		unlink(path);
		lock_remove(ctx->home, jobs[i].id);
		count++;
		if (removed != NULL)
			jpush_str(removed, jobs[i].id);
		else
			printf("removed %s %s\n", jobs[i].id,
			    job_status_name(jobs[i].status));
	}
	if (rc == EXIT_OK) {
		size_t strays = sweep_strays(ctx);

		if (removed != NULL) {
			struct jval *o = jobj();
			jset_int(o, "count", (int64_t)count);
			jset_int(o, "stray_files", (int64_t)strays);
			jset(o, "removed", removed);
			removed = NULL;
			jprint(o, stdout);
		} else {
			printf("%zu job%s removed\n", count,
			    count == 1 ? "" : "s");
			if (strays > 0)
				printf("%zu stray file%s removed\n", strays,
				    strays == 1 ? "" : "s");
		}
	}
	if (removed != NULL)
		jfree(removed);
	job_free_array(jobs, n);
	return rc;
}

const struct cmd_entry cmd_clean_entry = {
	.name = "clean",
	.summary = "Delete ended jobs and their logs.",
	.grammar = {
		.options = options,
		.json_help = "print {count, removed: [ids]}",
	},
	.flags = CMD_STORE | CMD_RECONCILE,
	.check = clean_check,
	.exec = cmd_clean,
};
