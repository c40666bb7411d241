# Shared setup for the CLI suites: load it with `load helper`.
#
# Isolation: every test gets its own JOB_HOME and project folder under
# $BATS_TEST_TMPDIR (HOME too, so ~/.job is never reachable).
#
# Cleanup: every `job` call made through the helpers carries JOBTEST_MARK=<a
# token unique to this test> in its environment. The supervisor and the job's
# processes inherit it, even those that leave the process group or call
# setsid, so teardown can find every process the test started by scanning
# /proc/*/environ, whatever its command line looks like. The test's own shell
# never has the variable in its environment (it is not exported), so it is
# never a match.

bats_require_minimum_version 1.5.0

JOB_BIN=${JOB_BIN:-$BATS_TEST_DIRNAME/../../build/job}

ULID_RE='^[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# job_within SECONDS ARGS...: the binary, tagged with this test's marker,
# killed if it has not answered within SECONDS. A call that had to be killed
# fails with status 254 (a status the binary never uses) and says so, so a
# hang in the binary is a clear failure, never a hung suite.
job_within() {
	local secs=$1 rc=0 start=${EPOCHREALTIME/./}
	shift
	JOBTEST_MARK=$JOBTEST_MARK timeout -k 5 "$secs" "$JOB_BIN" "$@" || rc=$?
	if ((rc == 124 || rc == 137)) &&
	    ((${EPOCHREALTIME/./} - start >= secs * 1000000)); then
		echo "job $*: no answer within ${secs}s: killed" >&2
		return 254
	fi
	return "$rc"
}

# job ARGS...: "$JOB_BIN" "$@", bounded by $JOBTEST_CALL_TIMEOUT (60 s).
job() {
	job_within "${JOBTEST_CALL_TIMEOUT:-60}" "$@"
}

# tjob SECONDS ARGS...: the same with a tighter bound, for calls that wait.
tjob() {
	job_within "$@"
}

setup() {
	# Tests cd around: the binary's path must not depend on the folder.
	[[ $JOB_BIN == /* ]] ||
	    JOB_BIN=$(cd "$(dirname "$JOB_BIN")" && pwd)/$(basename "$JOB_BIN")
	[[ -x $JOB_BIN ]] || {
		echo "JOB_BIN '$JOB_BIN' is not an executable: build first" >&2
		return 1
	}
	JOBTEST_MARK="jobtest-$$-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM$RANDOM"
	export JOB_HOME="$BATS_TEST_TMPDIR/jobhome"
	export HOME="$BATS_TEST_TMPDIR/home"
	unset JOB_FORMAT NO_COLOR JOB_TEST_CRASH JOB_BUSY_TIMEOUT
	mkdir -p "$HOME"
	PROJ="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$PROJ"
	cd "$PROJ" || return 1
	PROJ=$(pwd -P)
}

teardown() {
	local ids id
	cd "$BATS_TEST_TMPDIR" || true
	if [[ -d $JOB_HOME ]]; then
		ids=$(timeout 20 "$JOB_BIN" list --all --status running \
		    --status pending --json 2>/dev/null | jq -r '.[].id' \
		    2>/dev/null)
		for id in $ids; do
			timeout -k 2 20 "$JOB_BIN" stop --force "$id" \
			    >/dev/null 2>&1 || true
		done
	fi
	kill_marked
}

# The pids of this test's live processes (zombies excluded: their environ
# reads empty), optionally only those whose command line matches the ERE $1.
marked_pids() {
	local f pid cmd
	for f in $(grep -lzxF "JOBTEST_MARK=$JOBTEST_MARK" \
	    /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[[ $pid == "$BASHPID" ]] && continue
		if [[ -n ${1-} ]]; then
			cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) ||
			    continue
			[[ $cmd =~ $1 ]] || continue
		fi
		echo "$pid"
	done
}

# marked_count ERE: how many of this test's live processes match.
marked_count() {
	marked_pids "$1" | wc -l
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

# wait_for [-t SECONDS] CMD...: retries CMD every 20 ms until it succeeds,
# for at most SECONDS (default 10); fails with a message after that.
wait_for() {
	local secs=10 start now limit
	if [[ $1 == -t ]]; then
		secs=$2
		shift 2
	fi
	start=${EPOCHREALTIME/./}
	limit=$((secs * 1000000))
	while :; do
		"$@" && return 0
		now=${EPOCHREALTIME/./}
		if ((now - start > limit)); then
			echo "wait_for: '$*' still false after ${secs}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

# Milliseconds since the epoch, and since a start taken with it.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# field ID JQ-PATH: one field of the job's JSON record, raw.
field() {
	job status --json "$1" | jq -r "$2"
}

# status_is ID STATUS: the record says STATUS now.
status_is() {
	[[ $(field "$1" .status) == "$2" ]]
}

# wait_status ID STATUS: bounded wait until the record says STATUS.
wait_status() {
	wait_for status_is "$1" "$2"
}

# proc_gone PID: no such process, or only a zombie left.
proc_gone() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	[[ -z $state || $state == Z* ]]
}

proc_alive() {
	! proc_gone "$1"
}

# no_marked ERE: none of this test's processes matches.
no_marked() {
	[[ $(marked_count "$1") -eq 0 ]]
}

# Makes DIR (relative to the test's tmpdir) a git project; prints its path.
make_project() {
	local dir="$BATS_TEST_TMPDIR/$1"
	mkdir -p "$dir"
	git -C "$dir" init -q
	(cd "$dir" && pwd -P)
}

# Whatever failed last: say what was seen, for --print-output-on-failure.
show() {
	echo "status=$status"
	echo "output=$output"
	[[ -z ${stderr+x} ]] || echo "stderr=$stderr"
}
