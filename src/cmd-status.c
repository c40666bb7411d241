/* job status: one job's whole record, or the store's state. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "duration.h"
#include "home.h"
#include "job.h"
#include "json.h"
#include "out.h"
#include "proc.h"
#include "store.h"

static void
field(const char *key, const char *value)
{
	char buf[8192];

	out_escape(value, buf, sizeof(buf));
	printf("%-13s %s\n", key, buf);
}

static void
time_field(const char *key, int64_t ms)
{
	char buf[40];

	if (ms == 0)
		return;
	json_time(ms, buf, sizeof(buf));
	field(key, buf);
}

/*
 * The live processes of an active job: every descendant of its supervisor
 * in any session, or, when the supervisor is gone, its main process and
 * that one's descendants. Another job started from it is not among them.
 */
static int
job_processes(const struct job *j, struct proc_info **list, size_t *n)
{
	struct proc_info *tree, *all;
	size_t ntree;

	*list = NULL;
	*n = 0;
	if (!job_status_active(j->status))
		return 0;
	if (j->sup_pid > 0 && proc_same((pid_t)j->sup_pid, j->sup_start))
		return proc_tree((pid_t)j->sup_pid, PROC_WALK_AUTO, list, n);
	if (j->pid <= 0 || !proc_same((pid_t)j->pid, j->pid_start) ||
	    proc_tree((pid_t)j->pid, PROC_WALK_AUTO, &tree, &ntree) < 0)
		return 0;
	if ((all = calloc(ntree + 1, sizeof(*all))) == NULL) {
		free(tree);
		return -1;
	}
	proc_info_of((pid_t)j->pid, &all[0]);
	if (ntree > 0)
		memcpy(all + 1, tree, ntree * sizeof(*tree));
	free(tree);
	*list = all;
	*n = ntree + 1;
	return 0;
}

static void
print_processes(const struct job *j)
{
	struct proc_info *list;
	size_t n, i;
	char cmd[512], esc[1024];

	if (job_processes(j, &list, &n) < 0 || n == 0)
		return;
	printf("%-13s %7s %7s %7s %7s  %s\n", "processes", "PID", "PPID",
	    "PGID", "SID", "COMMAND");
	for (i = 0; i < n; i++) {
		if (!list[i].alive)
			continue;
		proc_cmdline(list[i].pid, cmd, sizeof(cmd));
		out_escape(cmd[0] ? cmd : list[i].comm, esc, sizeof(esc));
		printf("%-13s %7d %7d %7d %7d  %s\n", "", (int)list[i].pid,
		    (int)list[i].ppid, (int)list[i].pgid, (int)list[i].sid,
		    esc);
	}
	free(list);
}

static struct jval *
processes_json(const struct job *j)
{
	struct proc_info *list;
	struct jval *a = jarr();
	size_t n, i;
	char cmd[4096];

	if (job_processes(j, &list, &n) < 0)
		return a;
	for (i = 0; i < n; i++) {
		struct jval *o;

		if (!list[i].alive)
			continue;
		o = jobj();
		proc_cmdline(list[i].pid, cmd, sizeof(cmd));
		jset_int(o, "pid", list[i].pid);
		jset_int(o, "ppid", list[i].ppid);
		jset_int(o, "pgid", list[i].pgid);
		jset_int(o, "sid", list[i].sid);
		jset_str(o, "command", cmd[0] ? cmd : list[i].comm);
		jpush(a, o);
	}
	free(list);
	return a;
}

static void
print_job(const struct ctx *ctx, const struct job *j)
{
	char path[PATH_MAX], buf[128];
	struct stat sb;
	int64_t end = j->finished_at ? j->finished_at : job_now_ms();

	home_log_path(ctx->home, j->id, path, sizeof(path));
	field("id", j->id);
	if (j->name)
		field("name", j->name);
	field("command", j->command);
	printf("%-13s %s%s%s\n", "status", out_status_color(j->status,
	    ctx->color), job_status_name(j->status), out_reset(ctx->color));
	if (j->reason)
		field("reason", j->reason);
	if (j->exit_code >= 0) {
		snprintf(buf, sizeof(buf), "%d", j->exit_code);
		field("exit_code", buf);
	}
	if (j->signal)
		field("signal", j->signal);
	field("project", j->project);
	field("cwd", j->cwd);
	if (j->pid > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)j->pid);
		field("pid", buf);
	}
	time_field("created_at", j->created_at);
	time_field("started_at", j->started_at);
	time_field("finished_at", j->finished_at);
	if (j->started_at > 0) {
		duration_format(end - j->started_at, buf, sizeof(buf));
		field("duration", buf);
	}
	if (j->timeout_ms > 0) {
		duration_format(j->timeout_ms, buf, sizeof(buf));
		field("timeout", buf);
	}
	if (j->key)
		field("key", j->key);
	if (j->retry_of)
		field("retry_of", j->retry_of);
	if (j->context)
		field("context", j->context);
	if (j->env != NULL) {
		size_t off = 0;
		while (off < j->env_len) {
			field("env", j->env + off);
			off += strlen(j->env + off) + 1;
		}
	}
	field("log", path);
	snprintf(buf, sizeof(buf), "%lld bytes",
	    stat(path, &sb) == 0 ? (long long)sb.st_size : 0LL);
	field("log_size", buf);
	if (j->log_dropped > 0) {
		snprintf(buf, sizeof(buf), "truncated: %lld bytes of output "
		    "were dropped (disk full)", (long long)j->log_dropped);
		field("log_dropped", buf);
	}
	print_processes(j);
}

static int
store_status(struct ctx *ctx)
{
	int64_t here[JOB_NSTATUS], all[JOB_NSTATUS];
	struct err e;
	int version, i;

	if (store_schema_version(ctx->store, &version, &e) < 0 ||
	    store_job_counts(ctx->store, ctx->project, here, &e) < 0 ||
	    store_job_counts(ctx->store, NULL, all, &e) < 0)
		return cmd_error(ctx, &e);
	if (ctx->json) {
		struct jval *o = jobj(), *p = jobj(), *a = jobj();
		jset_str(o, "version", JOB_VERSION);
		jset_str(o, "home", ctx->home);
		jset_str(o, "store", store_path(ctx->store));
		jset_int(o, "schema_version", version);
		jset_str(o, "project", ctx->project);
		for (i = 0; i < JOB_NSTATUS; i++) {
			jset_int(p, job_status_name((enum job_status)i),
			    here[i]);
			jset_int(a, job_status_name((enum job_status)i),
			    all[i]);
		}
		jset(o, "project_counts", p);
		jset(o, "counts", a);
		jprint(o, stdout);
		return EXIT_OK;
	}
	printf("job %s\nhome          %s\nschema        %d\nproject       %s\n"
	    "\n%-12s %8s %8s\n", JOB_VERSION, ctx->home, version, ctx->project,
	    "STATUS", "PROJECT", "ALL");
	for (i = 0; i < JOB_NSTATUS; i++)
		printf("%-12s %8lld %8lld\n",
		    job_status_name((enum job_status)i), (long long)here[i],
		    (long long)all[i]);
	return EXIT_OK;
}

static int
cmd_status(struct ctx *ctx, struct cmd_args *a)
{
	if (a->njobs == 0)
		return store_status(ctx);
	if (ctx->json) {
		struct jval *o = cmd_job_json(ctx, &a->jobs[0]);
		jset(o, "processes", processes_json(&a->jobs[0]));
		jprint(o, stdout);
	} else
		print_job(ctx, &a->jobs[0]);
	return EXIT_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.summary = "Show a job's record and processes, or the store's state.",
	.grammar = {
		CMD_REF_OPERANDS(0, 1),
		.json_help = "print the record as JSON",
	},
	.flags = CMD_STORE | CMD_RECONCILE | CMD_REFS,
	.exec = cmd_status,
};
