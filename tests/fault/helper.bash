# Shared setup for the fault-injection suites: load it with `load helper`.
#
# Isolation: every test gets its own JOB_HOME, HOME and project folder under
# $BATS_TEST_TMPDIR, so ~/.job is never reachable.
#
# Cleanup: every `job` call made through `job`/`tjob`, and every process a
# test starts by itself through `marked`, carries FAULT_MARK=<a token unique
# to this test> in its environment. Supervisors, commands and whatever they
# spawn inherit it (setsid and double forks included), so teardown finds
# every process the test started by scanning /proc/*/environ. The test shell
# itself never exports the variable, so it never matches.
#
# Mounts (tmpfs, read-only binds) and immutable flags a test sets are
# registered with `on_teardown_umount` / `on_teardown_chattr` and undone in
# teardown even when the test fails half-way.

bats_require_minimum_version 1.5.0

JOB_BIN=${JOB_BIN:-$BATS_TEST_DIRNAME/../../build/job}

ULID_RE='^[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$'

# The binary, tagged with this test's marker.
job() {
	FAULT_MARK=$FAULT_MARK "$JOB_BIN" "$@"
}

# tjob SECONDS ARGS...: the binary under timeout(1), for calls that could
# block forever if the binary misbehaves (status 124 then).
tjob() {
	local secs=$1
	shift
	FAULT_MARK=$FAULT_MARK timeout -k 2 "$secs" "$JOB_BIN" "$@"
}

# marked CMD...: runs CMD (in the foreground) with this test's marker, so
# teardown kills it and whatever it leaves behind.
marked() {
	FAULT_MARK=$FAULT_MARK "$@"
}

setup() {
	[[ -x $JOB_BIN ]] || {
		echo "JOB_BIN '$JOB_BIN' is not an executable: build first" >&2
		return 1
	}
	FAULT_MARK="jobfault-$$-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM$RANDOM"
	export JOB_HOME="$BATS_TEST_TMPDIR/jobhome"
	export HOME="$BATS_TEST_TMPDIR/home"
	unset JOB_FORMAT NO_COLOR JOB_BUSY_TIMEOUT JOB_TEST_CRASH
	mkdir -p "$HOME"
	PROJ="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$PROJ"
	cd "$PROJ" || return 1
	PROJ=$(pwd -P)
	TEARDOWN_UMOUNT=()
	TEARDOWN_CHATTR=()
	find_python
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

on_teardown_umount() {
	TEARDOWN_UMOUNT+=("$1")
}

on_teardown_chattr() {
	TEARDOWN_CHATTR+=("$1")
}

teardown() {
	local ids id m f
	cd "$BATS_TEST_TMPDIR" || true
	for f in "${TEARDOWN_CHATTR[@]}"; do
		chattr -i "$f" 2>/dev/null || true
	done
	# One bounded stop for every job still active, then the safety net.
	if [[ -d $JOB_HOME ]]; then
		ids=$(JOB_BUSY_TIMEOUT=2s timeout 20 "$JOB_BIN" list --all \
		    --status running --status pending --limit 0 --json \
		    2>/dev/null | jq -r '.[].id' 2>/dev/null)
		if [[ -n $ids ]]; then
			# shellcheck disable=SC2086
			JOB_BUSY_TIMEOUT=2s timeout -k 2 20 "$JOB_BIN" stop \
			    --force $ids >/dev/null 2>&1 || true
		fi
	fi
	kill_marked
	for ((m = ${#TEARDOWN_UMOUNT[@]} - 1; m >= 0; m--)); do
		umount "${TEARDOWN_UMOUNT[m]}" 2>/dev/null ||
		    umount -l "${TEARDOWN_UMOUNT[m]}" 2>/dev/null || true
	done
}

# The pids of this test's live processes (zombies excluded: their environ
# reads empty), optionally only those whose command line matches the ERE $1.
marked_pids() {
	local f pid cmd
	for f in $(grep -lzxF "FAULT_MARK=$FAULT_MARK" \
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

# no_marked [ERE]: none of this test's processes (matching ERE) lives.
no_marked() {
	[[ $(marked_count "${1-}") -eq 0 ]]
}

# n_marked N ERE: exactly N of this test's processes match ERE.
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

# assert_no_leftovers: bounded wait until no process of this test lives
# (supervisors included); prints what is left otherwise.
assert_no_leftovers() {
	if ! wait_for no_marked; then
		echo "left behind:" >&2
		local p
		for p in $(marked_pids); do
			echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
		done
		return 1
	fi
}

# Kills (SIGKILL) every live process of this test, bounded.
kill_marked() {
	local pids i
	for ((i = 0; i < 200; i++)); do
		pids=$(marked_pids)
		[[ -z $pids ]] && return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.05
	done
	echo "teardown: cannot kill processes: $pids" >&2
	return 1
}

# uptime_ms: milliseconds since boot, from /proc/uptime: unlike the wall
# clock (EPOCHREALTIME, SECONDS) it never jumps when the clock is set, which
# happens on the virtual machines the suite runs on.
uptime_ms() {
	local up _
	read -r up _ </proc/uptime
	echo $((${up/./} * 10))
}

# wait_for [-t SECONDS] CMD...: retries CMD every 20 ms until it succeeds,
# for at most SECONDS (default 10); fails with a message after that.
wait_for() {
	local secs=10 start now up _
	if [[ $1 == -t ]]; then
		secs=$2
		shift 2
	fi
	read -r up _ </proc/uptime
	start=${up/./}
	while :; do
		"$@" && return 0
		read -r up _ </proc/uptime
		now=${up/./}
		if ((now - start > secs * 100)); then
			echo "wait_for: '$*' still false after ${secs}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

now_ms() {
	uptime_ms
}

# field ID JQ-PATH: one field of the job's JSON record, raw.
field() {
	job status --json "$1" | jq -r "$2"
}

status_is() {
	[[ $(field "$1" .status) == "$2" ]]
}

wait_status() {
	wait_for status_is "$1" "$2"
}

# proc_gone PID: no such process, or only a zombie left.
proc_gone() {
	local state
	state=$(awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[1] }' \
	    "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}

proc_alive() {
	! proc_gone "$1"
}

file_exists() {
	[[ -e $1 ]]
}

# file_has FILE ERE: FILE exists and a line matches.
file_has() {
	[[ -e $1 ]] && grep -qaE -- "$2" "$1"
}

file_size() {
	stat -c %s "$1"
}

# The log's path and the lock's path of a job.
log_of() { echo "$JOB_HOME/logs/$1.log"; }
lock_of() { echo "$JOB_HOME/logs/$1.lock"; }

# lock_held ID: the job's supervisor holds its lock now.
lock_held() {
	local f
	f=$(lock_of "$1")
	[[ -e $f ]] || return 1
	! flock -n -s "$f" true 2>/dev/null
}

lock_free() {
	! lock_held "$1"
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

# expect_error EXIT CODE ERE ARGS...: `job --json ARGS` exits EXIT, prints
# nothing on stdout and one line on stderr: a JSON error with CODE whose
# message matches ERE. Leaves the message in $errmsg. With JSON_POS=after,
# --json goes after the command's name instead (`job run --json ...`),
# which the man page says is the same.
expect_error() {
	local want_rc=$1 code=$2 re=$3
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
	local parsed got
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

# expect_error_text EXIT ERE ARGS...: the text form: `job ARGS` exits EXIT,
# stdout empty, and the first stderr line is "job: <message matching ERE>".
expect_error_text() {
	local want_rc=$1 re=$2
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
	local first=${stderr%%$'\n'*}
	[[ $first == "job: "* && $first =~ $re ]] || {
		echo "job $*: first stderr line '$first' does not match '$re'" >&2
		return 1
	}
}

# Whatever failed last: say what was seen, for --print-output-on-failure.
show() {
	echo "status=$status"
	echo "output=$output"
	[[ -z ${stderr+x} ]] || echo "stderr=$stderr"
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

# children_zombies PID: zombie children of PID (state Z, ppid PID).
children_zombies() {
	local parent=$1 f s rest n=0
	for f in /proc/[0-9]*/stat; do
		s=$(<"$f") 2>/dev/null || continue
		rest=${s##*) }
		read -r st pp _ <<<"$rest"
		[[ $st == Z && $pp == "$parent" ]] && n=$((n + 1))
	done
	echo "$n"
}

# children_of PID: the pids whose parent is PID (zombies included).
children_of() {
	local parent=$1 f s rest st pp
	for f in /proc/[0-9]*/stat; do
		s=$(<"$f") 2>/dev/null || continue
		rest=${s##*) }
		read -r st pp _ <<<"$rest"
		if [[ $pp == "$parent" ]]; then
			s=${f#/proc/}
			echo "${s%/stat}"
		fi
	done
}

# only_child PARENT CHILD: CHILD is PARENT's one and only child.
only_child() {
	[[ $(children_of "$1") == "$2" ]]
}

no_zombie_children() {
	[[ $(children_zombies "$1") -eq 0 ]]
}

fd_count() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

vmrss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# assert_record ID JQ-FILTER: the job's record satisfies the jq boolean.
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
