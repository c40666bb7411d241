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
/*
 * Whether pid is a live process that started at start: not a zombie, or a
 * zombie leader whose other threads still run (see proc_alive).
 */
bool proc_same(pid_t pid, int64_t start);
/* The current boot's id into buf; "" where the system has none. */
void proc_boot_id(char *buf, size_t len);

struct proc_info {
	pid_t pid;
	pid_t ppid;
	pid_t pgid;
	pid_t sid;
	int64_t start;		/* start time, as proc_probe gives it */
	bool zombie;		/* the leader has exited, not yet reaped */
	bool alive;		/* some thread still runs (see proc_alive) */
	char comm[64];
};

/* How proc_tree finds children; PROC_WALK_AUTO picks the cheap one. */
enum proc_walk { PROC_WALK_AUTO, PROC_WALK_SCAN };

/*
 * Every descendant of root, in any session or group and at any depth,
 * parents before children, zombies included. A descendant that is another
 * job's supervisor (proc_is_supervisor) is left out with its whole
 * subtree: a job started from a job is not part of it. Linux reads
 * /proc/PID/task/TID/children, or scans every /proc/PID/stat where the
 * kernel lacks it (or for PROC_WALK_SCAN); elsewhere the list is empty.
 */
int proc_tree(pid_t root, enum proc_walk how, struct proc_info **out,
    size_t *n);
/*
 * Sends sig to every live descendant of root (see proc_tree), and, when
 * group > 0, to that process group first; SIGCONT follows every stop
 * signal but SIGKILL, so a stopped process can act on it. The tree is
 * walked again until a walk finds nobody not yet signalled, since it grows
 * while it is signalled. Returns how many processes were signalled.
 */
int proc_kill_tree(pid_t root, pid_t group, int sig);
/* What proc_tree says of one process; -1 when there is no such process. */
int proc_info_of(pid_t pid, struct proc_info *info);
/*
 * Whether pid still runs: a leader that exited while its other threads run
 * shows state Z, yet the process lives until its last thread is gone.
 */
bool proc_alive(pid_t pid);
/*
 * Whether pid holds the exclusive flock of a job's lock file (HOME/logs/
 * <job id>.lock beside a HOME/job.db, in any JOB_HOME) through a
 * descriptor of its own: what every supervisor, and the `job run` starting
 * it, does from before the job exists. Linux only (fdinfo); false
 * elsewhere.
 */
bool proc_is_supervisor(pid_t pid);

/* The command line of pid, arguments joined by spaces; "" if unknown. */
void proc_cmdline(pid_t pid, char *buf, size_t len);

/*
 * "TERM", "SIGTERM", "term", "15", "RTMIN+3" or "SIGRTMAX-1" to the
 * kernel's number; -1 when it names no signal of this system.
 */
int proc_signal_number(const char *name);
#define PROC_SIGNAME_MAX 16
/*
 * The name of signal sig in buf: the standard name for 1-31, SIGRTMIN+n
 * counted from the C library's SIGRTMIN, SIGn for the numbers between that
 * the C library reserves; NULL when sig is no signal.
 */
const char *proc_signal_name(int sig, char buf[PROC_SIGNAME_MAX]);

#endif
