/* Blocking until a job's end is recorded. */
#include "waitjob.h"

#include <time.h>

#include "lock.h"
#include "reconcile.h"
#include "store.h"

#define ORPHAN_POLL_MS 10

int64_t
waitjob_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
waitjob_pause(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
waitjob_ended(struct ctx *ctx, const char *id, struct job *j, struct err *e)
{
	bool settled;

	if (lock_probe(ctx->home, id) == LOCK_HELD)
		return 0;
	if (store_job_get(ctx->store, id, j, e) < 0)
		return -1;
	if (job_status_active(j->status)) {
		if (reconcile_job(ctx, j, &settled, e) < 0) {
			job_free(j);
			return -1;
		}
		if (settled) {
			job_free(j);
			if (store_job_get(ctx->store, id, j, e) < 0)
				return -1;
		}
	}
	if (!job_status_active(j->status))
		return 1;
	job_free(j);
	return 0;
}

int
waitjob_one(struct ctx *ctx, const char *id, int64_t deadline,
    struct job *out, struct err *e)
{
	for (;;) {
		int64_t left = -1;
		bool settled;

		if (store_job_get(ctx->store, id, out, e) < 0)
			return -1;
		if (!job_status_active(out->status))
			return 0;
		if (deadline > 0) {
			left = deadline - waitjob_now();
			if (left <= 0)
				return 1;
		}
		if (lock_probe(ctx->home, id) == LOCK_HELD) {
			job_free(out);
			/* No read transaction is open while we sleep. */
			if (lock_wait(ctx->home, id, left) == 1) {
				if (store_job_get(ctx->store, id, out, e) < 0)
					return -1;
				return job_status_active(out->status) ? 1 : 0;
			}
			continue;
		}
		/* The supervisor is gone: settle the row, or watch the
		 * orphaned process until it goes too. */
		if (reconcile_job(ctx, out, &settled, e) < 0)
			return -1;
		if (!settled && reconcile_orphan_alive(ctx, out))
			waitjob_pause(ORPHAN_POLL_MS);
		job_free(out);
	}
}
