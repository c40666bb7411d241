/*
 * The supervisor lock: logs/<id>.lock, held with flock(LOCK_EX) from before
 * the job's row exists until its supervisor dies, however it dies. Whether
 * a supervisor lives is a lock test, never a pid guess, and a waiter blocks
 * on the lock instead of polling.
 *
 * The file also carries the supervisor's last word: the job's end, written
 * into it just before the lock is released and read by whoever finds the
 * lock free (lock_note). The supervisor removes the file once the end is
 * in the store too.
 */
#ifndef JOB_LOCK_H
#define JOB_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum lock_state {
	LOCK_HELD,	/* the supervisor is alive */
	LOCK_FREE,	/* the supervisor is gone */
};

/* Creates the lock file, exclusive and locked; *fd is O_CLOEXEC. */
int lock_create(const char *home, const char *id, int *fd, struct err *e);
/* Held or free; when free and note is given, what the holder left in the
 * file (note[0] is '\0' when nothing). */
enum lock_state lock_probe(const char *home, const char *id, char *note,
    size_t len);
/*
 * The same for many locks, by name in the locks folder open once
 * (lock_dir_open; -1 when it cannot be): no path to walk for each.
 */
int lock_dir_open(const char *home);
enum lock_state lock_probe_at(int dir, const char *id, char *note,
    size_t len);
void lock_remove_at(int dir, const char *id);
/*
 * Blocks until the lock is free. timeout_ms < 0 waits for ever. Returns 0
 * when free (with note filled as lock_probe does), 1 on timeout.
 */
int lock_wait(const char *home, const char *id, int64_t timeout_ms,
    char *note, size_t len);
/* Writes the holder's note into its lock file; 0, or -1 if it could not. */
int lock_note(int fd, const char *note, size_t len);
void lock_remove(const char *home, const char *id);
/* Whether the lock file is still there (its supervisor has not finished). */
bool lock_exists(const char *home, const char *id);

/*
 * Wakes every waiting supervisor to look at its queue again: for a queue
 * that may start more (resumed, or its limit raised).
 */
void lock_ring_bell(const char *home);

#endif
