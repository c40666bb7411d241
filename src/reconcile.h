/*
 * Reconciliation: rows still pending or running whose supervisor is gone
 * (its lock is free) are settled. A job whose process still lives (same pid,
 * same start time, same boot) stays running; otherwise the row becomes
 * `interrupted`, with reason `reboot` when the boot id changed and
 * `supervisor_lost` when not.
 */
#ifndef JOB_RECONCILE_H
#define JOB_RECONCILE_H

#include <stdbool.h>

#include "cmd.h"
#include "job.h"

/* Settles every active row of the store. */
int reconcile_all(struct ctx *ctx, struct err *e);
/* Settles one row (j as just read); *settled says whether it ended. */
int reconcile_job(struct ctx *ctx, const struct job *j, bool *settled,
    struct err *e);
/* Whether an active job's process lives on without its supervisor. */
bool reconcile_orphan_alive(struct ctx *ctx, const struct job *j);

#endif
