#!/usr/bin/env bats
# Breaks of supervisor v2 and the lifecycle found by adversarial testing:
# each test failed on the code it was written against (main at ea3c76d)
# because of the defect its name states, and passes since the fix.

load helper

# The helper's teardown, run after this file's own clean-up.
eval "helper_$(declare -f teardown)"

teardown() {
	# Hoppers end when this file appears (or after 60 s by themselves).
	touch "$BATS_TEST_TMPDIR/hop.stop" 2>/dev/null || true
	# Zombie leaders have an empty environ: kill_marked cannot find them.
	local p
	for p in ${KILL_AFTER-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
	helper_teardown
}

# A process that never stays put: it forks and exits, over and over, so
# one of it is alive at any time under a pid that changes. It ignores
# SIGTERM and holds a flock on $3 for as long as any hop lives, which is how
# a test tells it is alive. Ends when $1 exists or after $2 seconds.
hopper() {
	cbin hopper <<'EOF'
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	time_t end = time(NULL) + atoi(argv[2]);
	unsigned long n = 0;
	int fd = open(argv[3], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return 1;
	signal(SIGTERM, SIG_IGN);
	for (;;) {
		if ((++n & 255) == 0 &&
		    (access(argv[1], F_OK) == 0 || time(NULL) > end))
			_exit(0);
		if (fork() != 0)
			_exit(0);
	}
}
EOF
}

# hop_alive FILE: some hop of a hopper holding FILE lives.
hop_alive() {
	! flock -n "$1" true
}

hop_gone() {
	! hop_alive "$1"
}

@test "a process that forks and exits faster than the tree is walked is still stopped" {
	command -v cc >/dev/null || skip "needs a C compiler"
	bin=$(hopper)
	stopf="$BATS_TEST_TMPDIR/hop.stop"
	# One empty sample of the tree is taken for "every process is gone"
	# (check_time_and_tree fires EMPTY): the hop in flight between its
	# parent's exit and its adoption by the subreaper is missed.
	for i in 1 2 3 4 5; do
		lk="$BATS_TEST_TMPDIR/hop$i.lk"
		start_job --grace 1s "$bin $stopf 60 $lk & sleep 100"
		wait_for hop_alive "$lk"
		run -0 tjob 30 stop "$id"
		wait_for -t 3 hop_gone "$lk" || { echo "run $i: a hop survived stop"; false; }
	done
	# The same at the end of a job: the leftover clean-up.
	for i in 1 2 3 4 5; do
		lk="$BATS_TEST_TMPDIR/drain$i.lk"
		# The main process exits once the hopper holds its lock.
		start_job --grace 1s "$bin $stopf 60 $lk & while flock -n $lk true; do sleep 0.01; done; exit 0"
		run -0 tjob 30 wait "$id"
		wait_for -t 3 hop_gone "$lk" || { echo "run $i: a hop survived the end"; false; }
	done
}

@test "a lost supervisor: a job whose leader exited while a thread runs is neither settled nor left running by stop" {
	command -v cc >/dev/null || skip "needs a C compiler"
	bin=$(zleader)
	start_job --grace 1s "exec $bin"
	zpid=$(field "$id" .pid)
	KILL_AFTER=$zpid
	wait_for state_is "$zpid" Z
	threads_live "$zpid"
	sup=$(field "$id" .supervisor_pid)
	kill -KILL "$sup"
	wait_for lock_free "$id"
	# proc_same() takes the zombie leader for the process: settled at once.
	assert_record "$id" '.status == "running"'
	run -0 tjob 30 stop "$id"
	! threads_live "$zpid" || { echo "stop returned, the job's thread runs"; false; }
}

@test "the job's --env does not reach the supervisor: LD_PRELOAD of a clock (faketime) in the job" {
	command -v cc >/dev/null || skip "needs a C compiler"
	# What libfaketime does with FAKETIME=-30d, in ten lines.
	src="$BATS_TEST_TMPDIR/shift.c"
	cat >"$src" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
int clock_gettime(clockid_t c, struct timespec *ts) {
	static int (*real)(clockid_t, struct timespec *);
	if (real == 0)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int rc = real(c, ts);
	if (rc == 0 && c == CLOCK_REALTIME)
		ts->tv_sec -= 30 * 86400;
	return rc;
}
EOF
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/shift.so" "$src" -ldl
	run -0 tjob 20 run --env LD_PRELOAD="$BATS_TEST_TMPDIR/shift.so" --wait true
	id=$(job list --json | jq -r '.[0].id')
	# The supervisor exec'd its image with the job's environment: it
	# recorded the end 30 days before the start.
	assert_record "$id" '.status == "completed" and .duration_s >= 0 and .duration_s < 60'
}

@test "a job run stopped after the spawn: the job is running, and stop stops it" {
	JOB_TEST_STOP=after-spawn FAULT_MARK=$FAULT_MARK \
	    "$JOB_BIN" run 'sleep 100' >/dev/null 2>&1 &
	runpid=$!
	wait_for state_is "$runpid" T
	id=$(db "SELECT id FROM jobs")
	wait_for -t 20 n_marked 1 '^sleep 100'
	# The command runs; the supervisor waits for the caller's word forever,
	# so the row says pending without a pid and stop gives up after 10 s.
	run -0 tjob 30 stop "$id"
	assert_record "$id" '.status == "stopped"'
	no_marked '^sleep 100'
	kill -KILL "$runpid"
}

# plain_stop_waiting ID: a `job stop ID` (no --force) of this test is
# blocked on the job's lock, after writing its request.
plain_stop_waiting() {
	local p
	for p in $(marked_pids " stop $1"); do
		[[ $(cat "/proc/$p/wchan" 2>/dev/null) == locks_lock_inode_wait ]] &&
		    return 0
	done
	return 1
}

# stop_asked SIG: the row holds a stop request with SIG.
stop_asked() {
	[[ $(db "SELECT stop_signal FROM jobs") == "$1" ]]
}

@test "stop --force is not undone by a plain stop that lands before the supervisor reads it" {
	start_job --grace 20s 'trap "" TERM; sleep 100'
	wait_for -t 20 n_marked 1 '^sleep 100'
	sup=$(field "$id" .supervisor_pid)
	# A busy supervisor: both requests are in before it looks at the row.
	kill -STOP "$sup"
	t0=$(uptime_ms)
	marked timeout 90 "$JOB_BIN" stop --force "$id" >/dev/null 2>&1 &
	force=$!
	wait_for -t 5 stop_asked SIGKILL
	marked timeout 90 "$JOB_BIN" stop "$id" >/dev/null 2>&1 &
	# The plain stop has asked and waits for the end; the force stands.
	wait_for -t 5 plain_stop_waiting "$id"
	stop_asked SIGKILL
	kill -CONT "$sup"
	wait "$force"
	# One slot in the row, last writer wins: the force waits the 20 s.
	(($(uptime_ms) - t0 < 10000)) || { echo "stop --force took $(($(uptime_ms) - t0)) ms"; false; }
}

@test "a process that holds a flock on any file named <ULID>.lock is not immune to stop" {
	# proc_is_supervisor() trusts the name and the lock, not the row nor
	# the store's logs folder: any program can make itself "another job".
	start_job --grace 1s "setsid flock $PROJ/01ARZ3NDEKTSV4RRFFQ69G5FAV.lock sleep 100 & sleep 100"
	wait_for -t 20 n_marked 2 '^sleep 100'
	run -0 tjob 30 stop "$id"
	assert_no_leftovers
}

@test "a caller with over 1024 descriptors and one above its soft limit leaks none into the job" {
	[[ -n $PYTHON ]] || skip "needs python3"
	hard=$(ulimit -Hn)
	[[ $hard == unlimited || $hard -gt 4096 ]] || skip "needs a hard RLIMIT_NOFILE above 4096"
	high=$(( ${hard/unlimited/65536} > 15001 ? 15000 : ${hard/unlimited/65536} - 1 ))
	# close_other_fds() lists /dev/fd only below 1024 entries, then closes
	# up to sysconf(_SC_OPEN_MAX), the soft limit, not the highest fd.
	t0=$(uptime_ms)
	id=$(marked timeout 30 "$PYTHON" -c '
import os, resource, sys
high = int(sys.argv[1])
fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(1030)]
for fd in fds:
    os.set_inheritable(fd, True)
os.dup2(1, high)
resource.setrlimit(resource.RLIMIT_NOFILE, (2048, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
os.execv(sys.argv[2], sys.argv[2:])' "$high" "$JOB_BIN" run 'ls /proc/self/fd | tr "\n" " "; sleep 5')
	# $(job run) waited for the job: it held the caller's stdout.
	(($(uptime_ms) - t0 < 4000)) || { echo "job run took $(($(uptime_ms) - t0)) ms"; false; }
	[[ $id =~ $ULID_RE ]]
	run -0 tjob 20 wait "$id"
	run -0 job logs "$id"
	[ "$output" = "0 1 2 3 " ] || { echo "the job's descriptors: $output"; false; }
}
