/*
 * Starting a job, shared by `job run` and `job retry`: create the lock and
 * the log, insert the row, start the supervisor, record `running`.
 */
#ifndef JOB_LAUNCH_H
#define JOB_LAUNCH_H

#include <stdbool.h>

#include "cmd.h"
#include "job.h"

/*
 * spec holds what the caller chose (name, command, cwd, project, timeout,
 * grace, context, key, retry_of, env). On return *out is the job's record;
 * *existing says an earlier job with the same key was returned instead.
 */
int launch_job(struct ctx *ctx, const struct job *spec, struct job *out,
    bool *existing, struct err *e);

#endif
