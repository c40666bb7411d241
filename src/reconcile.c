/*
 * Probes run outside any transaction; the update is guarded on the row
 * still being active with the supervisor we probed, so a supervisor that
 * recorded its job's end in the meantime is never overwritten.
 */
#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "lock.h"
#include "proc.h"
#include "store.h"

bool
reconcile_orphan_alive(struct ctx *ctx, const struct job *j)
{
	char boot_id[64];

	proc_boot_id(boot_id, sizeof(boot_id));
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0)
		return false;
	return j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start);
}

/*
 * Decides, from outside any transaction, how an active row must end: fills
 * end and returns true when its supervisor is gone and its process too.
 */
static bool
settle_decision(struct ctx *ctx, const struct job *j, const char *boot_id,
    struct job_end *end)
{
	if (!job_status_active(j->status) ||
	    lock_probe(ctx->home, j->id) == LOCK_HELD)
		return false;
	memset(end, 0, sizeof(*end));
	end->status = JOB_INTERRUPTED;
	end->exit_code = -1;
	end->finished_at = job_now_ms();
	end->log_dropped = j->log_dropped;
	end->sup_pid = j->sup_pid;
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0)
		end->reason = "reboot";
	else if (j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start))
		return false;	/* still running; its end cannot be seen */
	else
		end->reason = "supervisor_lost";
	return true;
}

int
reconcile_job(struct ctx *ctx, const struct job *j, bool *settled,
    struct err *e)
{
	struct job_end end;
	char boot_id[64];

	*settled = false;
	proc_boot_id(boot_id, sizeof(boot_id));
	if (!settle_decision(ctx, j, boot_id, &end))
		return 0;
	if (store_job_finish(ctx->store, j->id, &end, settled, e) < 0)
		return -1;
	if (*settled)
		lock_remove(ctx->home, j->id);
	return 0;
}

int
reconcile_all(struct ctx *ctx, struct err *e)
{
	struct store_filter f;
	struct job *jobs;
	struct job_end *ends;
	bool *todo;
	char boot_id[64];
	size_t n, i, count = 0;
	int rc = 0;

	memset(&f, 0, sizeof(f));
	f.statuses = STATUS_ACTIVE;
	if (store_job_list(ctx->store, &f, &jobs, &n, e) < 0)
		return -1;
	if (n == 0)
		return 0;
	ends = calloc(n, sizeof(*ends));
	todo = calloc(n, sizeof(*todo));
	if (ends == NULL || todo == NULL) {
		rc = err_set(e, ERR_IO, "out of memory");
		goto out;
	}
	proc_boot_id(boot_id, sizeof(boot_id));
	for (i = 0; i < n; i++)
		if ((todo[i] = settle_decision(ctx, &jobs[i], boot_id,
		    &ends[i])))
			count++;
	if (count == 0)
		goto out;
	/* One transaction for them all: a thousand lost supervisors cost
	 * one commit, not a thousand. */
	if (store_batch_begin(ctx->store, e) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++)
		if (todo[i])
			rc = store_job_finish(ctx->store, jobs[i].id, &ends[i],
			    &todo[i], e);
	if (rc < 0) {
		store_batch_end(ctx->store, NULL);
		goto out;
	}
	if (store_batch_end(ctx->store, e) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (todo[i])
			lock_remove(ctx->home, jobs[i].id);
out:
	free(ends);
	free(todo);
	job_free_array(jobs, n);
	return rc;
}
