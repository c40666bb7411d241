/*
 * Waiting for jobs to end, for `job wait`, `run --wait`, `stop` and
 * `logs --follow`. A live supervisor is waited on by blocking on its lock,
 * which wakes within a millisecond of its death with no polling; an orphaned
 * process (supervisor killed) is watched until it is gone.
 */
#ifndef JOB_WAITJOB_H
#define JOB_WAITJOB_H

#include <stdint.h>

#include "cmd.h"
#include "job.h"

/* Monotonic milliseconds, for deadlines. */
int64_t waitjob_now(void);
void waitjob_pause(int64_t ms);
/*
 * Without blocking: 1 with *j filled when the job has ended (settling its
 * row if the supervisor is gone), 0 while it runs, -1 on error. A running
 * job costs a lock probe, no database read.
 */
int waitjob_ended(struct ctx *ctx, const char *id, struct job *j,
    struct err *e);
/*
 * Waits until job id has ended; deadline is a waitjob_now() time, or 0 for
 * none. Returns 0 with *out filled when it ended, 1 on timeout (*out holds
 * the current record), -1 on error.
 */
int waitjob_one(struct ctx *ctx, const char *id, int64_t deadline,
    struct job *out, struct err *e);

#endif
