#!/usr/bin/env bats
# job stop and --timeout: the whole process tree goes, the record says why.

load helper

# Starts `sleep 1000 & wait` and waits until the sleep is there.
start_tree() {
	id=$(job run "$@" 'sleep 1000 & wait')
	[[ $id =~ $ULID_RE ]]
	wait_for marked_pids '^sleep 1000'
	wait_status "$id" running
}

@test "stop ends the job and its children: stopped, reason stopped" {
	start_tree
	[ "$(marked_count '^sleep 1000')" = 1 ]
	run -0 tjob 20 stop "$id"
	[[ $output == "$id - stopped exit=SIGTERM "* ]]
	# stop returns once every process of the job is gone.
	[ "$(marked_count '^sleep 1000')" = 0 ]
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	[ "$(jq -r .reason <<<"$output")" = stopped ]
	[[ $(jq -r .finished_at <<<"$output") =~ $TIME_RE ]]
	run -143 job wait "$id"
}

@test "stop kills processes that left the job's process group" {
	id=$(job run 'setsid sleep 1000 & sleep 1000 & wait')
	wait_for eval '[ "$(marked_count "^sleep 1000")" = 2 ]'
	run -0 tjob 20 stop "$id"
	[ "$(marked_count '^sleep 1000')" = 0 ]
	[ "$(field "$id" .status)" = stopped ]
}

@test "stop of an ended job exits 0 and reports its status" {
	run -0 job run 'exit 3'
	id=$output
	run -3 job wait "$id"
	run -0 job stop "$id"
	[[ $output == "$id - failed exit=3 "* ]]
	run -0 job stop --json "$id"
	[ "$(jq -r .status <<<"$output")" = failed ]
	[ "$(jq -r .exit_code <<<"$output")" = 3 ]
	[ "$(jq -r .reason <<<"$output")" = exited ]
}

@test "stop --force kills at once a job that ignores SIGTERM" {
	id=$(job run --grace 30s 'trap "" TERM; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	# Far less than the job's 30 s grace: tjob gives it 20 s.
	run -0 tjob 20 stop --force "$id"
	[[ $output == "$id - stopped exit=SIGKILL "* ]]
	[ "$(marked_count '^sleep 1000')" = 0 ]
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	[ "$(jq -r .signal <<<"$output")" = SIGKILL ]
}

@test "stop --grace: SIGKILL follows a SIGTERM that is ignored" {
	id=$(job run --grace 30s 'trap "" TERM; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	start=$(uptime_ms)
	# Far less than the job's 30 s grace: tjob gives it 20 s.
	run -0 tjob 20 stop --grace 300ms "$id"
	elapsed=$(($(uptime_ms) - start))
	((elapsed >= 300))
	[ "$(marked_count '^sleep 1000')" = 0 ]
	[ "$(field "$id" .status)" = stopped ]
	[ "$(field "$id" .signal)" = SIGKILL ]
}

@test "stop --signal INT sends SIGINT first" {
	id=$(job run 'trap "echo got INT; exit 9" INT; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	run -0 tjob 20 stop --signal INT --grace 500ms "$id"
	[ "$(marked_count '^sleep 1000')" = 0 ]
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	[ "$(jq -r .reason <<<"$output")" = stopped ]
	[ "$(jq -r .exit_code <<<"$output")" = 9 ]
	run -0 job logs "$id"
	[ "${lines[0]}" = "got INT" ]
}

@test "stop --signal accepts SIGINT, a number, and refuses a bad name" {
	id=$(job run 'trap "echo got INT; exit 9" INT; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	run -0 tjob 20 stop --signal SIGINT --grace 500ms "$id"
	[ "$(field "$id" .exit_code)" = 9 ]

	id=$(job run 'trap "echo got HUP; exit 8" HUP; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	run -0 tjob 20 stop --signal 1 --grace 500ms "$id"
	[ "$(field "$id" .exit_code)" = 8 ]

	run --separate-stderr -2 job stop --signal NOPE "$id"
	[[ $stderr == *"NOPE"* ]]
}

@test "a job started by a caller that ignores SIGTERM and SIGINT still stops on SIGTERM" {
	(
		trap '' TERM INT HUP
		job run --grace 60s sleep 1000 >"$BATS_TEST_TMPDIR/id"
	)
	id=$(<"$BATS_TEST_TMPDIR/id")
	wait_for marked_pids '^sleep 1000'
	# Had the job inherited the ignored SIGTERM, only SIGKILL after the
	# 60 s grace could end it: stop would run out of its 20 s.
	run -0 tjob 20 stop "$id"
	[ "$(field "$id" .signal)" = SIGTERM ]
	run -1 grep -q SIGKILL "$(log_of "$id")"
	[ "$(marked_count '^sleep 1000')" = 0 ]
}

@test "stop several jobs at once" {
	a=$(job run sleep 1000)
	b=$(job run sleep 1000)
	wait_for eval '[ "$(marked_count "^sleep 1000")" = 2 ]'
	run -0 tjob 20 stop --json "$a" "$b"
	[ "$(jq -r 'map(.status) | join(",")' <<<"$output")" = stopped,stopped ]
	[ "$(marked_count '^sleep 1000')" = 0 ]
}

@test "stop by name" {
	id=$(job run --name server sleep 1000)
	wait_for marked_pids '^sleep 1000'
	run -0 tjob 20 stop server
	[ "$(field "$id" .status)" = stopped ]
}

@test "stop of an unknown job exits 1 with not_found" {
	run --separate-stderr -1 job stop --json nosuchjob
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
}

@test "--timeout kills a job that ignores SIGTERM after --grace" {
	id=$(job run --timeout 300ms --grace 200ms 'trap "" TERM; sleep 1000')
	pid=$(field "$id" .pid)
	[[ $pid =~ ^[0-9]+$ ]]
	run -124 tjob 20 wait "$id"
	# It ran the timeout and this grace, not the default 5 s one.
	ran=$(field "$id" '.duration_s * 1000 | round')
	((ran >= 500 && ran < 5300)) || { echo "ran ${ran}ms"; false; }
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = failed ]
	[ "$(jq -r .reason <<<"$output")" = timeout ]
	[ "$(jq -r .signal <<<"$output")" = SIGKILL ]
	[ "$(jq -r .exit_code <<<"$output")" = null ]
	[ "$(jq -r .timeout_s <<<"$output")" = 0.3 ]
	proc_gone "$pid"
	[ "$(marked_count '^sleep 1000')" = 0 ]
	run -0 job logs "$id"
	[[ ${lines[-1]} == "[job] "*"timed out"* ]]
}

@test "--timeout: a job that obeys SIGTERM ends with reason timeout too" {
	id=$(job run --timeout 200ms 'sleep 1000 & wait')
	run -124 tjob 20 wait "$id"
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = failed ]
	[ "$(jq -r .reason <<<"$output")" = timeout ]
	[ "$(jq -r .signal <<<"$output")" = SIGTERM ]
	[ "$(marked_count '^sleep 1000')" = 0 ]
}

@test "a job that ends before its --timeout is not touched" {
	id=$(job run --timeout 1m 'exit 0')
	run -0 job wait "$id"
	[ "$(field "$id" .reason)" = exited ]
	[ "$(field "$id" .timeout_s)" = 60 ]
}

@test "without --grace anywhere, stop waits the default 5 s before SIGKILL" {
	id=$(job run 'trap "" TERM; sleep 1000 & wait')
	wait_for marked_pids '^sleep 1000'
	[ "$(field "$id" .grace_s)" = 5 ]
	start=$(uptime_ms)
	run -0 tjob 30 stop "$id"
	elapsed=$(($(uptime_ms) - start))
	((elapsed >= 5000)) || { echo "SIGKILL after ${elapsed}ms"; false; }
	[[ $output == "$id - stopped exit=SIGKILL "* ]]
	[ "$(marked_count '^sleep 1000')" = 0 ]
}
