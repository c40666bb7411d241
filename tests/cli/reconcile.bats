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
