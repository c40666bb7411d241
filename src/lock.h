/*
 * The supervisor lock: logs/<id>.lock, held with flock(LOCK_EX) from before
 * the job's row exists until its supervisor dies, however it dies. Whether
 * a supervisor lives is a lock test, never a pid guess, and a waiter blocks
 * on the lock instead of polling.
 */
#ifndef JOB_LOCK_H
#define JOB_LOCK_H

#include <stdint.h>

#include "err.h"

enum lock_state {
	LOCK_HELD,	/* the supervisor is alive */
	LOCK_FREE,	/* the supervisor is gone */
};

/* Creates the lock file, exclusive and locked; *fd is O_CLOEXEC. */
int lock_create(const char *home, const char *id, int *fd, struct err *e);
enum lock_state lock_probe(const char *home, const char *id);
/*
 * Blocks until the lock is free. timeout_ms < 0 waits for ever. Returns 0
 * when free, 1 on timeout.
 */
int lock_wait(const char *home, const char *id, int64_t timeout_ms);
void lock_remove(const char *home, const char *id);

/*
 * Wakes every waiting supervisor to look at its queue again: for a queue
 * that may start more (resumed, or its limit raised).
 */
void lock_ring_bell(const char *home);

#endif
