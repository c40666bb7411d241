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
/*
 * Waits until job id has ended; deadline is a waitjob_now() time, or 0 for
 * none. Returns 0 with *out filled when it ended, 1 on timeout (*out holds
 * the current record), -1 on error.
 */
int waitjob_one(struct ctx *ctx, const char *id, int64_t deadline,
    struct job *out, struct err *e);

#endif
