/*
 * $JOB_HOME (default ~/.job): where job.db, logs/<id>.log and the
 * supervisors' logs/<id>.lock live. Created 0700; refused when another user
 * owns it, others can write it, or it is on a network filesystem.
 */
#ifndef JOB_HOME_H
#define JOB_HOME_H

#include <stddef.h>

#include "err.h"

/* Resolves, creates and checks the home folder; its path goes in buf. */
int home_open(char *buf, size_t len, struct err *e);
/* Only resolves the path: for commands that must not create anything. */
int home_path(char *buf, size_t len, struct err *e);
void home_log_path(const char *home, const char *id, char *buf, size_t len);
void home_lock_path(const char *home, const char *id, char *buf, size_t len);
/* The doorbell of waiting jobs: written when a queue may start more. */
void home_bell_path(const char *home, char *buf, size_t len);

#endif
