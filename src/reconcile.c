/*
 * Probes run outside any transaction; the update is guarded on the row
 * still being active with the supervisor we probed, so a supervisor that
 * recorded its job's end in the meantime is never overwritten.
 */
#include "reconcile.h"

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

int
reconcile_job(struct ctx *ctx, const struct job *j, bool *settled,
    struct err *e)
{
	struct job_end end;
	char boot_id[64];

	*settled = false;
	if (!job_status_active(j->status) ||
	    lock_probe(ctx->home, j->id) == LOCK_HELD)
		return 0;
	memset(&end, 0, sizeof(end));
	end.status = JOB_INTERRUPTED;
	end.exit_code = -1;
	end.finished_at = job_now_ms();
	end.log_dropped = j->log_dropped;
	end.sup_pid = j->sup_pid;
	proc_boot_id(boot_id, sizeof(boot_id));
	if (j->boot_id != NULL && strcmp(j->boot_id, boot_id) != 0)
		end.reason = "reboot";
	else if (j->pid > 0 && proc_same((pid_t)j->pid, j->pid_start))
		return 0;	/* still running; its end cannot be seen */
	else
		end.reason = "supervisor_lost";
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
	size_t n, i;
	bool settled;
	int rc = 0;

	memset(&f, 0, sizeof(f));
	f.statuses = STATUS_ACTIVE;
	if (store_job_list(ctx->store, &f, &jobs, &n, e) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = reconcile_job(ctx, &jobs[i], &settled, e);
	job_free_array(jobs, n);
	return rc;
}
