/*
 * Looking at processes from outside: start times (a pid alone is no
 * identity, pids are reused), the boot id, children and process groups,
 * and signal names. Nothing here forks or waits.
 */
#ifndef JOB_PROC_H
#define JOB_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads pid's start time (clock ticks since boot on Linux) and whether it is
 * a zombie. Returns -1 when there is no such process.
 */
int proc_probe(pid_t pid, int64_t *start, bool *zombie);
/* Whether pid is a live (non-zombie) process that started at start. */
bool proc_same(pid_t pid, int64_t start);
/* The current boot's id into buf; "" where the system has none. */
void proc_boot_id(char *buf, size_t len);

struct proc_info {
	pid_t pid;
	pid_t ppid;
	pid_t pgid;
	bool zombie;		/* exited, not yet reaped */
	char comm[64];
};
/*
 * Processes that are children of parent or members of group pgid (either
 * may be 0 to skip), zombies included. Linux only; elsewhere the list is
 * empty. Children alone (pgid 0) are cheap; a group means a walk of /proc.
 */
int proc_list(pid_t parent, pid_t pgid, struct proc_info **out, size_t *n);

/* The command line of pid, arguments joined by spaces; "" if unknown. */
void proc_cmdline(pid_t pid, char *buf, size_t len);

/* "TERM", "SIGTERM", "term" or "15" to 15; -1 when unknown. */
int proc_signal_number(const char *name);
/* 15 to "SIGTERM"; NULL when unknown. */
const char *proc_signal_name(int sig);

#endif
