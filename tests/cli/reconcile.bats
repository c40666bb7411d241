#!/usr/bin/env bats
# A supervisor that dies: the record stays true.

load helper

# Starts a job that runs until the file "go" exists; sets id, pid, sup.
start_gated() {
	id=$(job run 'while [ ! -e go ]; do sleep 0.02; done')
	[[ $id =~ $ULID_RE ]]
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(jq -r .pid <<<"$output")
	sup=$(jq -r .supervisor_pid <<<"$output")
	[[ $pid =~ ^[0-9]+$ && $sup =~ ^[0-9]+$ ]]
	[ "$pid" != "$sup" ]
	proc_alive "$sup"
}

kill_supervisor() {
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
}

@test "supervisor killed: running while the process lives, then interrupted/supervisor_lost" {
	start_gated
	kill_supervisor
	proc_alive "$pid"

	# Every command reconciles; none may call the job ended yet.
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(job list --json | jq -r '.[0].status')" = running ]
	run -75 job wait --timeout 300ms "$id"
	[ "$(field "$id" .status)" = running ]

	touch go
	wait_for proc_gone "$pid"
	run -1 tjob 20 wait "$id"
	[[ $output == "$id - interrupted "* ]]
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = interrupted ]
	[ "$(jq -r .reason <<<"$output")" = supervisor_lost ]
	[ "$(jq -r .exit_code <<<"$output")" = null ]
	[[ $(jq -r .finished_at <<<"$output") =~ $TIME_RE ]]
}

@test "a waiter blocked on the job sees the supervisor's death and the process's end" {
	start_gated
	tjob 30 wait "$id" >wait.out 2>&1 &
	waiter=$!
	# Blocked on the supervisor's lock before the supervisor dies.
	wait_for waiting "wait $id"
	kill_supervisor
	run -75 job wait --timeout 200ms "$id"
	kill -0 "$waiter"
	[ "$(field "$id" .status)" = running ]
	touch go
	rc=0
	wait "$waiter" || rc=$?
	[ "$rc" = 1 ]
	[ "$(field "$id" .status)" = interrupted ]
}

@test "supervisor and process both gone: interrupted at the next command" {
	start_gated
	kill -KILL "$sup" "$pid"
	wait_for proc_gone "$sup"
	wait_for proc_gone "$pid"
	run -0 job list --json
	[ "$(jq -r '.[0].status' <<<"$output")" = interrupted ]
	[ "$(jq -r '.[0].reason' <<<"$output")" = supervisor_lost ]
	run -1 job wait "$id"
}

@test "stop of a job whose supervisor died kills its processes" {
	id=$(job run 'sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill_supervisor
	run -0 tjob 20 stop "$id"
	proc_gone "$pid"
	[ "$(marked_count '^sleep 1000')" = 0 ]
	[ "$(field "$id" .status)" = stopped ]
}

@test "a name held by a job whose supervisor and process died is free again" {
	id=$(job run --name svc 'while [ ! -e go ]; do sleep 0.02; done')
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup" "$pid"
	wait_for proc_gone "$pid"
	run -0 job run --name svc 'exit 0'
	[ "$(field "$id" .status)" = interrupted ]
}

@test "a --key naming a job whose supervisor and process died returns it settled: interrupted" {
	id=$(job run --key k1 'while [ ! -e go ]; do sleep 0.02; done')
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup" "$pid"
	wait_for proc_gone "$pid"
	wait_for lock_free "$id"
	run -0 job run --json --key k1 'exit 0'
	[ "$(jq -r '.id + " " + .status + " " + .reason' <<<"$output")" = "$id interrupted supervisor_lost" ]
}

# Reconciling many jobs probes every lock, and reads and settles only the
# rows of those whose lock is free.
MANY=8

# lose ID...: kills the supervisors and processes of the jobs, as an OOM
# kill would; asks every pid first, since each `job` call reconciles.
lose() {
	local id p pids=()
	for id in "$@"; do
		pids+=("$(field "$id" .supervisor_pid)" "$(field "$id" .pid)")
	done
	kill -KILL "${pids[@]}"
	for p in "${pids[@]}"; do
		wait_for proc_gone "$p"
	done
}

# "STATUS REASON" of job $2 in the JSON array $1; how many run in it.
status_of() {
	jq -r --arg id "$2" \
		'.[] | select(.id == $id) | "\(.status) \(.reason)"' <<<"$1"
}
running_in() { jq '[.[] | select(.status == "running")] | length' <<<"$1"; }

# A job whose process ends at once while its supervisor lives on, waiting
# for a leftover that ignores SIGTERM: only the lock says it is not lost.
LINGER="trap '' TERM; sleep 300 & exit 0"

@test "among many running jobs the lost ones are settled, and one whose process ended before its supervisor is not" {
	start_job --grace 60s "$LINGER"
	ids=("$id")
	for ((i = 1; i < MANY; i++)); do
		start_job -- sleep 300
		ids+=("$id")
	done
	wait_for proc_gone "$(field "${ids[0]}" .pid)"
	lose "${ids[3]}" "${ids[5]}"
	run -0 job list --json --limit 0
	[ "$(status_of "$output" "${ids[3]}")" = "interrupted supervisor_lost" ]
	[ "$(status_of "$output" "${ids[5]}")" = "interrupted supervisor_lost" ]
	[ "$(status_of "$output" "${ids[0]}")" = "running null" ]
	[ "$(running_in "$output")" = $((MANY - 2)) ]
	[ ! -e "$(lock_of "${ids[3]}")" ]
	[ ! -e "$(lock_of "${ids[5]}")" ]
	lock_held "${ids[0]}"
	lock_held "${ids[4]}"
}

# locks_shown ID...: how many of the jobs' lock files /proc/locks shows
# flocked for writing.
locks_shown() {
	local n=0 id dev ino
	for id in "$@"; do
		read -r dev ino < <(stat -c '%D %i' "$(lock_of "$id")")
		# /proc/locks prints the device as major:minor in hex.
		printf -v dev '%02x:%02x' $((0x$dev >> 8)) $((0x$dev & 0xff))
		grep -q " FLOCK  ADVISORY  WRITE [-0-9]* $dev:$ino " /proc/locks &&
			n=$((n + 1))
	done
	echo "$n"
}

@test "in a PID namespace, where /proc/locks hides job locks, jobs still run and a lost one is settled" {
	require_root "unshare -p"
	command -v unshare >/dev/null || skip "needs unshare"
	unshare -pf --mount-proc true 2>/dev/null ||
		skip "cannot make a PID namespace here"
	# Inside, the flock of every job's lock was taken by a `job run` that
	# has exited, which /proc/locks hides there: liveness must not be
	# read from it. The namespace's processes die with its init, the
	# shell.
	cat >ns.sh <<'EOS'
set -eu
job=$1 many=$2
ids=("$("$job" run --grace 60s "$LINGER")")
for ((i = 1; i < many; i++)); do ids+=("$("$job" run -- sleep 300)"); done
wait_for proc_gone "$("$job" status --json "${ids[0]}" | jq .pid)"
echo "shown $(locks_shown "${ids[@]}")"
echo "running $("$job" list --json --limit 0 | jq '[.[] | select(.status == "running")] | length')"
sup=$("$job" status --json "${ids[3]}" | jq .supervisor_pid)
pid=$("$job" status --json "${ids[3]}" | jq .pid)
kill -KILL "$sup" "$pid"
wait_for proc_gone "$sup"
wait_for proc_gone "$pid"
"$job" list --json --limit 0 >list.json
echo "lost $(status_of "$(cat list.json)" "${ids[3]}")"
echo "lingering $(status_of "$(cat list.json)" "${ids[0]}")"
echo "running $(running_in "$(cat list.json)")"
EOS
	export -f locks_shown lock_of status_of running_in wait_for uptime_ms \
		proc_gone proc_state
	export LINGER
	run -0 --separate-stderr marked timeout 120 unshare -pf --mount-proc \
		bash ns.sh "$JOB_BIN" "$MANY"
	# Hidden (unless the host reused a pid of one inside the namespace).
	[[ ${lines[0]} =~ ^shown\ ([0-9]+)$ ]]
	((BASH_REMATCH[1] < MANY))
	[ "${lines[1]}" = "running $MANY" ]
	[ "${lines[2]}" = "lost interrupted supervisor_lost" ]
	[ "${lines[3]}" = "lingering running null" ]
	[ "${lines[4]}" = "running $((MANY - 1))" ]
}
