# The one helper library of the bats suites (tests/cli, tests/fault), as
# git's t/test-lib.sh is for its tests. Each group's helper.bash loads it, so
# a test file starts with `load helper`.
#
# Isolation: setup gives every test its own JOB_HOME, HOME and project folder
# (PROJ, the current folder) under $BATS_TEST_TMPDIR, so ~/.job is never
# reachable, and unsets the variables that change job's behaviour.
#
# Bounds: every call of the binary made here runs under timeout(1). A call
# that had to be killed fails with status 254 (which job never uses) and
# says so, so a hang fails one test instead of blocking the file until
# ctest's 600 s, and teardown then ends what the call left.
#
# Cleanup: every process a test starts through `job`, `tjob` or `marked`
# carries JOBTEST_MARK=<a token unique to the test> in its environment.
# Supervisors, jobs and whatever they spawn inherit it (setsid and double
# forks included), so teardown finds every process of the test by scanning
# /proc/*/environ and kills it, whatever its command line. The test shell
# never exports the variable, so it never matches. (FAULT_MARK holds the
# same token and is matched too, for tests written against the old fault
# helper.) Mounts, immutable flags and frozen filesystems a test sets up are
# registered with on_teardown* and undone even when the test fails half-way.
#
# Functions:
#   job ARGS...               the binary, marked, bounded by
#                             $JOBTEST_CALL_TIMEOUT (default 60 s)
#   tjob SECS ARGS...         the same with a bound of SECS, for waits
#                             (job_within SECS ARGS... is both)
#   marked CMD...             runs CMD with this test's marker
#   start_job ARGS...         `job run ARGS`; checks the id, sets $id
#   run_to_end CMD            runs CMD as a job until it ends; sets $id
#   field ID JQ-PATH          one field of the job's JSON record, raw
#   status_is ID STATUS       the record says STATUS now
#   wait_status ID STATUS     bounded wait until the record says STATUS
#   assert_record ID JQ-BOOL  the record satisfies the jq expression
#   expect_error RC CODE ERE ARGS...      `job --json ARGS` fails as told
#                             (JSON_POS=after puts --json after the command)
#   expect_error_text RC ERE ARGS...      the same in text
#   show                      what the last `run` saw, for failures
#   wait_for [-t SECS] CMD... retries CMD every 20 ms for SECS (10)
#   uptime_ms                 a monotonic clock in ms, for elapsed times
#   now_ms                    the wall clock in ms, for comparing with
#                             recorded times
#   time_ms RFC3339           a recorded time in ms since the epoch
#   marked_pids [ERE]         this test's live processes (matching ERE)
#   marked_count [ERE], no_marked [ERE], n_marked N ERE
#   my_supervisors, no_supervisors        this test's supervisors
#   assert_no_leftovers       bounded wait until none of them lives
#   kill_marked               SIGKILLs every process of this test
#   proc_gone PID, proc_alive PID         a zombie counts as gone
#   proc_state PID            its state letter (R, S, D, Z...)
#   state_is PID LETTER       proc_state PID is LETTER
#   threads_live PID          some thread of PID runs (a zombie leader's
#                             process lives on while one does)
#   cbin NAME <SOURCE         builds a C program from SOURCE once per file;
#                             prints its path
#   zleader                   a program whose main thread exits while
#                             another runs on, ignoring SIGTERM
#   children_of PID, only_child PARENT CHILD, children_zombies PID,
#   no_zombie_children PID, fd_count PID, vmrss_kb PID
#   blocked_on_lock PID       PID waits for an flock(2) now
#   sleeping PID              PID sleeps in nanosleep now
#   waiting ERE               a `job ERE...` of this test waits (blocked on a
#                             lock or sleeping between polls) now
#   log_of ID, lock_of ID     the job's log and lock paths
#   log_size_is ID N          the log holds N bytes now
#   start_lost_job CMD        a job ($id) whose supervisor and process are killed
#   lock_held ID, lock_free ID            its supervisor holds the lock
#   lock_gone ID              its lock file is removed (the supervisor is done)
#   file_exists F, file_has F ERE, file_size F
#   db SQL..., rows, store_state          the store read with sqlite3
#   valid_json                stdin is one valid JSON document
#   make_project DIR          a git project under the test's tmpdir
#   require_root WHAT         skips the test, saying why, unless root
#   on_teardown CMD...        run at teardown, first, last registered first
#   on_teardown_chattr FILE   chattr -i FILE at teardown
#   on_teardown_umount DIR    umount DIR at teardown, after the kills
#   PYTHON                    the python3 interpreter, or empty
#   ULID_RE, TIME_RE, DUR_RE  an id, a recorded time, a printed duration

bats_require_minimum_version 1.5.0

JOB_BIN=${JOB_BIN:-$BATS_TEST_DIRNAME/../../build/job}

ULID_RE='^[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
# A duration as job prints it: 0s, 412ms, 8.2s, 5s, 2m, 1m30s, 2h5m...
DUR_RE='(0s|[1-9][0-9]{0,2}ms|[0-9]{1,2}\.[0-9]s|[0-9]+[dhms]|[0-9]+[dhm][0-9]+[hms])'

setup() {
	# Tests cd around: the binary's path must not depend on the folder.
	[[ $JOB_BIN == /* ]] ||
	    JOB_BIN=$(cd "$(dirname "$JOB_BIN")" && pwd)/$(basename "$JOB_BIN")
	[[ -x $JOB_BIN ]] || {
		echo "JOB_BIN '$JOB_BIN' is not an executable: build first" >&2
		return 1
	}
	JOBTEST_MARK="jobtest-$$-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM$RANDOM"
	FAULT_MARK=$JOBTEST_MARK
	export JOB_HOME="$BATS_TEST_TMPDIR/jobhome"
	export HOME="$BATS_TEST_TMPDIR/home"
	unset JOB_FORMAT NO_COLOR JOB_BUSY_TIMEOUT JOB_TEST_CRASH
	mkdir -p "$HOME"
	PROJ="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$PROJ"
	cd "$PROJ" || return 1
	PROJ=$(pwd -P)
	TEARDOWN_FIRST=()
	TEARDOWN_UMOUNT=()
	find_python
}

teardown() {
	local ids i rc=0
	cd "$BATS_TEST_TMPDIR" || rc=1
	for ((i = ${#TEARDOWN_FIRST[@]} - 1; i >= 0; i--)); do
		eval "${TEARDOWN_FIRST[i]}" ||
		    echo "teardown: '${TEARDOWN_FIRST[i]}' failed" >&2
	done
	# One bounded stop for every job still active, then the safety net.
	if [[ -d $JOB_HOME ]]; then
		ids=$(JOB_BUSY_TIMEOUT=2s timeout -k 2 20 "$JOB_BIN" list \
		    --all --status running --status pending --limit 0 --json \
		    2>/dev/null | jq -r '.[].id' 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -z $ids ]] || JOB_BUSY_TIMEOUT=2s timeout -k 2 20 \
		    "$JOB_BIN" stop --force $ids >/dev/null 2>&1 ||
		    echo "teardown: stop --force $ids failed" >&2
	fi
	kill_marked || rc=1
	for ((i = ${#TEARDOWN_UMOUNT[@]} - 1; i >= 0; i--)); do
		umount "${TEARDOWN_UMOUNT[i]}" 2>/dev/null ||
		    umount -l "${TEARDOWN_UMOUNT[i]}" ||
		    echo "teardown: cannot umount ${TEARDOWN_UMOUNT[i]}" >&2
	done
	return "$rc"
}

# on_teardown CMD...: CMD (joined into one shell line) runs at teardown
# before the test's processes are stopped; the last registered runs first.
on_teardown() {
	TEARDOWN_FIRST+=("$*")
}

on_teardown_chattr() {
	on_teardown chattr -i "$(printf %q "$1")"
}

on_teardown_umount() {
	TEARDOWN_UMOUNT+=("$1")
}

# require_root WHAT: skips the test unless it runs as root, naming WHAT
# needs root (mount, chattr +i, chown...).
require_root() {
	((EUID == 0)) || skip "needs root ($1)"
}

# PYTHON: the real python3 interpreter, or empty when there is none. Found
# once per file (a pyenv shim costs a second per call) and cached.
find_python() {
	local cache="$BATS_FILE_TMPDIR/python3-path"
	if [[ ! -e $cache ]]; then
		if command -v python3 >/dev/null 2>&1; then
			python3 -c 'import json, sys; print(sys.executable)' \
			    >"$cache" 2>/dev/null || : >"$cache"
		else
			: >"$cache"
		fi
	fi
	PYTHON=$(<"$cache")
}

# job_within SECONDS ARGS...: the binary, marked, killed if it has not
# answered within SECONDS (whole seconds); 254 then.
job_within() {
	local secs=$1 rc=0 start
	shift
	start=$(uptime_ms)
	JOBTEST_MARK=$JOBTEST_MARK timeout -k 5 "$secs" "$JOB_BIN" "$@" || rc=$?
	if ((rc == 124 || rc == 137)) &&
	    (($(uptime_ms) - start >= secs * 1000)); then
		echo "job $*: no answer within ${secs}s: killed" >&2
		return 254
	fi
	return "$rc"
}

job() {
	job_within "${JOBTEST_CALL_TIMEOUT:-60}" "$@"
}

tjob() {
	job_within "$@"
}

marked() {
	JOBTEST_MARK=$JOBTEST_MARK "$@"
}

# start_job ARGS...: `job run ARGS`, checks the id, leaves it in $id.
start_job() {
	id=$(job run "$@") || {
		echo "job run $* failed" >&2
		return 1
	}
	[[ $id =~ $ULID_RE ]] || {
		echo "job run $*: not an id: '$id'" >&2
		return 1
	}
}

# run_to_end CMD: runs CMD as a job and waits (30 s at most) until it has
# ended; leaves its id in $id. The job's own status is the test's to check.
run_to_end() {
	local rc=0
	start_job "$1" || return 1
	tjob 30 wait "$id" >/dev/null || rc=$?
	((rc != 254)) || return 1
	[[ $(field "$id" .status) =~ ^(completed|failed|stopped)$ ]] || {
		echo "job $id has not ended: $(field "$id" .status)" >&2
		return 1
	}
}

field() {
	job status --json "$1" | jq -r "$2"
}

status_is() {
	[[ $(field "$1" .status) == "$2" ]]
}

wait_status() {
	wait_for status_is "$1" "$2"
}

assert_record() {
	local rec
	rec=$(job status --json "$1") || {
		echo "status $1 failed" >&2
		return 1
	}
	jq -e "$2" >/dev/null <<<"$rec" || {
		echo "record of $1 fails '$2': $rec" >&2
		return 1
	}
}

# expect_error EXIT CODE ERE ARGS...: `job --json ARGS` exits EXIT, prints
# nothing on stdout and one line on stderr: a JSON error with CODE whose
# message matches ERE. Leaves the message in $errmsg. With JSON_POS=after,
# --json goes after the command's name instead (`job run --json ...`),
# which the man page says is the same.
expect_error() {
	local want_rc=$1 code=$2 re=$3 parsed got
	shift 3
	if [[ ${JSON_POS-} == after ]]; then
		set -- "$1" --json "${@:2}"
	else
		set -- --json "$@"
	fi
	run --separate-stderr job "$@"
	if [[ $status -ne $want_rc ]]; then
		echo "job $*: exit $status, want $want_rc" >&2
		show >&2
		return 1
	fi
	if [[ -n $output ]]; then
		echo "job $*: stdout not empty: $output" >&2
		return 1
	fi
	if [[ -z $stderr || $stderr == *$'\n'* ]]; then
		echo "job $*: stderr is not one line: $stderr" >&2
		return 1
	fi
	parsed=$(jq -r '.error.code + "\n" + .error.message' <<<"$stderr") || {
		echo "job $*: stderr is not a JSON error: $stderr" >&2
		return 1
	}
	got=${parsed%%$'\n'*}
	errmsg=${parsed#*$'\n'}
	if [[ $got != "$code" ]]; then
		echo "job $*: code $got, want $code ($errmsg)" >&2
		return 1
	fi
	if ! [[ $errmsg =~ $re ]]; then
		echo "job $*: message '$errmsg' does not match '$re'" >&2
		return 1
	fi
}

# expect_error_text EXIT ERE ARGS...: `job ARGS` exits EXIT, stdout empty,
# and the first stderr line is "job: <message matching ERE>".
expect_error_text() {
	local want_rc=$1 re=$2 first
	shift 2
	run --separate-stderr job "$@"
	if [[ $status -ne $want_rc ]]; then
		echo "job $*: exit $status, want $want_rc" >&2
		show >&2
		return 1
	fi
	[[ -z $output ]] || {
		echo "job $*: stdout not empty: $output" >&2
		return 1
	}
	first=${stderr%%$'\n'*}
	[[ $first == "job: "* && $first =~ $re ]] || {
		echo "job $*: first stderr line '$first' does not match '$re'" >&2
		return 1
	}
}

show() {
	echo "status=$status"
	echo "output=$output"
	[[ -z ${stderr+x} ]] || echo "stderr=$stderr"
}

# uptime_ms: milliseconds since boot, from /proc/uptime (10 ms steps, no
# fork). Unlike the wall clock it never jumps when the clock is set, which
# happens on the virtual machines the suite runs on.
uptime_ms() {
	local up _
	read -r up _ </proc/uptime
	echo $((10#${up/./} * 10))
}

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

time_ms() {
	date -u -d "$1" +%s%3N
}

wait_for() {
	local secs=10 start
	if [[ $1 == -t ]]; then
		secs=$2
		shift 2
	fi
	start=$(uptime_ms)
	while :; do
		"$@" && return 0
		if (($(uptime_ms) - start > secs * 1000)); then
			echo "wait_for: '$*' still false after ${secs}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

# The pids of this test's live processes (zombies excluded: their environ
# reads empty), optionally only those whose command line matches the ERE $1.
marked_pids() {
	local f pid cmd
	for f in $(grep -lzxE "(JOBTEST|FAULT)_MARK=$JOBTEST_MARK" \
	    /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[[ $pid == "$BASHPID" || $pid == "$$" ]] && continue
		if [[ -n ${1-} ]]; then
			cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) ||
			    continue
			[[ $cmd =~ $1 ]] || continue
		fi
		echo "$pid"
	done
}

marked_count() {
	marked_pids "${1-}" | wc -l
}

no_marked() {
	[[ $(marked_count "${1-}") -eq 0 ]]
}

n_marked() {
	[[ $(marked_count "$2") -eq $1 ]]
}

# This test's supervisors (process name job-supervisor).
my_supervisors() {
	local pid
	for pid in $(marked_pids); do
		[[ $(cat "/proc/$pid/comm" 2>/dev/null) == job-supervisor ]] &&
		    echo "$pid"
	done
	return 0
}

no_supervisors() {
	[[ -z $(my_supervisors) ]]
}

assert_no_leftovers() {
	local p
	wait_for no_marked && return 0
	echo "left behind:" >&2
	for p in $(marked_pids); do
		echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
	done
	return 1
}

# Kills (SIGKILL) every live process of this test, bounded.
kill_marked() {
	local pids i
	for ((i = 0; i < 200; i++)); do
		pids=$(marked_pids)
		[[ -z $pids ]] && return 0
		# Some may end between the scan and the kill: the next scan
		# tells whether any is left.
		# shellcheck disable=SC2086
		if ! kill -KILL $pids 2>/dev/null; then
			:
		fi
		sleep 0.05
	done
	echo "teardown: cannot kill processes: $pids" >&2
	return 1
}

# proc_state PID: the state letter in /proc/PID/stat; fails when none.
proc_state() {
	local s
	s=$(<"/proc/$1/stat") 2>/dev/null || return 1
	s=${s##*) }
	echo "${s%% *}"
}

state_is() {
	[[ $(proc_state "$1") == "$2" ]]
}

threads_live() {
	local f s
	for f in /proc/"$1"/task/*/stat; do
		[[ -r $f ]] || continue
		s=$(<"$f") 2>/dev/null || continue
		s=${s##*) }
		[[ ${s:0:1} != Z && ${s:0:1} != X ]] && return 0
	done
	return 1
}

cbin() {
	local bin="$BATS_FILE_TMPDIR/$1"
	if [[ ! -x $bin ]]; then
		cat >"$bin.c"
		cc -O2 -pthread -o "$bin" "$bin.c" >&2 || return 1
	else
		cat >/dev/null
	fi
	echo "$bin"
}

zleader() {
	cbin zleader <<'EOF'
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
static void *spin(void *arg) { (void)arg; for (;;) pause(); }
int main(void) {
	pthread_t t;
	signal(SIGTERM, SIG_IGN);
	pthread_create(&t, 0, spin, 0);
	pthread_exit(0);
}
EOF
}

proc_gone() {
	local state
	state=$(proc_state "$1") || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

proc_alive() {
	! proc_gone "$1"
}

# children_of PID: the pids whose parent is PID (zombies included).
children_of() {
	local parent=$1 f s st pp
	for f in /proc/[0-9]*/stat; do
		s=$(<"$f") 2>/dev/null || continue
		read -r st pp _ <<<"${s##*) }"
		if [[ $pp == "$parent" ]]; then
			s=${f#/proc/}
			echo "${s%/stat}"
		fi
	done
}

# children_zombies PID: how many zombie children PID has.
children_zombies() {
	local parent=$1 f s st pp n=0
	for f in /proc/[0-9]*/stat; do
		s=$(<"$f") 2>/dev/null || continue
		read -r st pp _ <<<"${s##*) }"
		[[ $st == Z && $pp == "$parent" ]] && n=$((n + 1))
	done
	echo "$n"
}

only_child() {
	[[ $(children_of "$1") == "$2" ]]
}

no_zombie_children() {
	[[ $(children_zombies "$1") -eq 0 ]]
}

fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# sanitized: the binary is a sanitizer build, whose freed memory waits in
# quarantine: its RSS says nothing about the program's own.
sanitized() { grep -q __asan_init "$JOB_BIN"; }

vmrss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# blocked_on_lock PID: PID waits for an flock(2) (a "->" line of
# /proc/locks names the waiters).
blocked_on_lock() {
	grep -qE "^[0-9]+: -> FLOCK +[A-Z]+ +[A-Z]+ +$1 " /proc/locks
}

# sleeping PID: PID is in a timed sleep (between two polls), not running
# nor reading.
sleeping() {
	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *nanosleep* ]]
}

# waiting ERE: a `job` process of this test whose arguments match ERE is
# blocked on a lock or sleeps between two polls: it has started to wait.
# (argv[0] is a path to job, or "job" for the workers of `job mcp`.)
waiting() {
	local p
	for p in $(marked_pids "^([^ ]*/)?job $1"); do
		blocked_on_lock "$p" || sleeping "$p" || continue
		return 0
	done
	return 1
}

# hold_write_lock: an sqlite3 process takes the store's write lock
# (BEGIN IMMEDIATE) and keeps it until release_write_lock.
hold_write_lock() {
	local ctl="$BATS_TEST_TMPDIR/sqlctl"
	mkfifo "$ctl"
	marked sqlite3 "$JOB_HOME/job.db" <"$ctl" >"$BATS_TEST_TMPDIR/sqlout" 2>&1 &
	SQLPID=$!
	exec 7>"$ctl"
	printf '.timeout 10000\nBEGIN IMMEDIATE;\n' >&7
	wait_for write_locked
}

# release_write_lock: the holder commits and exits 0 (a writer that was
# waiting may take the lock at once).
release_write_lock() {
	printf 'COMMIT;\n.quit\n' >&7
	exec 7>&-
	wait "$SQLPID"
}

# write_locked: another process holds the store's write lock now.
write_locked() {
	! sqlite3 "$JOB_HOME/job.db" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1
}

log_of() { echo "$JOB_HOME/logs/$1.log"; }
lock_of() { echo "$JOB_HOME/logs/$1.lock"; }

log_size_is() {
	[[ $(stat -c %s "$(log_of "$1")" 2>/dev/null) == "$2" ]]
}

lock_held() {
	local f
	f=$(lock_of "$1")
	[[ -e $f ]] || return 1
	! flock -n -s "$f" true 2>/dev/null
}

lock_free() {
	! lock_held "$1"
}

# Starts CMD as a job ($id) and kills its supervisor and its process, as
# a crash would: the row stays running, its lock free.
start_lost_job() {
	local sup pid
	start_job "$@"
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup" "$pid"
	wait_for proc_gone "$pid"
	wait_for lock_free "$id"
}

lock_gone() {
	[[ ! -e $(lock_of "$1") ]]
}

file_exists() {
	[[ -e $1 ]]
}

file_has() {
	[[ -e $1 ]] && grep -qaE -- "$2" "$1"
}

file_size() {
	stat -c %s "$1"
}

# Rows in the store, read with sqlite3 (not through job, which reconciles).
db() {
	sqlite3 -cmd '.timeout 5000' "$JOB_HOME/job.db" "$@"
}

rows() {
	db 'SELECT count(*) FROM jobs'
}

# store_state: everything the store and the logs folder hold, for
# before/after comparisons.
store_state() {
	db 'SELECT * FROM jobs ORDER BY id'
	ls -A "$JOB_HOME/logs"
}

# valid_json: stdin is one valid JSON document (jq, and Python when there).
valid_json() {
	local doc
	doc=$(cat)
	jq -e . >/dev/null <<<"$doc" || {
		echo "jq: invalid JSON: ${doc:0:300}" >&2
		return 1
	}
	if [[ -n $PYTHON ]]; then
		"$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <<<"$doc" || {
			echo "python: invalid JSON: ${doc:0:300}" >&2
			return 1
		}
	fi
}

# Makes DIR (relative to the test's tmpdir) a git project; prints its path.
make_project() {
	local dir="$BATS_TEST_TMPDIR/$1"
	mkdir -p "$dir"
	git -C "$dir" init -q
	(cd "$dir" && pwd -P)
}
