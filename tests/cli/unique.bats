#!/usr/bin/env bats
# Idempotency keys and job names.

load helper

@test "--key returns the same job twice and the second run starts nothing" {
	run -0 job run --key build-1 'sleep 1000'
	id=$output
	wait_for marked_pids '^sleep 1000'
	run -0 job run --key build-1 'sleep 1000'
	[ "$output" = "$id" ]
	run -0 job list --all --json
	[ "$(jq length <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].key' <<<"$output")" = build-1 ]
	[ "$(marked_count '^sleep 1000')" = 1 ]
	# No second log, no stray lock.
	[ "$(ls "$JOB_HOME/logs" | grep -c '\.log$')" = 1 ]
}

@test "--key returns the job even once it has ended, with a different command" {
	run -0 job run --key k 'exit 3'
	id=$output
	run -3 job wait "$id"
	run -0 job run --key k 'echo something else'
	[ "$output" = "$id" ]
	run -0 job run --json --key k 'echo something else'
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .command <<<"$output")" = "exit 3" ]
	[ "$(jq -r .status <<<"$output")" = failed ]
	[ "$(job list --all --json | jq length)" = 1 ]
}

@test "20 parallel runs with one --key create exactly one job" {
	pids=()
	for i in $(seq 20); do
		(
			rc=0
			tjob 30 run --key same 'sleep 1000' >"out.$i" 2>"err.$i" ||
			    rc=$?
			echo "$rc" >"rc.$i"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	id=$(<out.1)
	[[ $id =~ $ULID_RE ]]
	for i in $(seq 20); do
		[ "$(<"rc.$i")" = 0 ] || { cat "err.$i"; false; }
		[ "$(<"out.$i")" = "$id" ]
	done
	run -0 job list --all --json
	[ "$(jq length <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
	wait_for marked_pids '^sleep 1000'
	[ "$(marked_count '^sleep 1000')" = 1 ]
}

@test "keys are per project" {
	a=$(make_project a)
	b=$(make_project b)
	ida=$(cd "$a" && job run --key k 'exit 0')
	idb=$(cd "$b" && job run --key k 'exit 0')
	[[ $ida =~ $ULID_RE && $idb =~ $ULID_RE ]]
	[ "$ida" != "$idb" ]
}

@test "a name is unique while its job is active" {
	run -0 job run --name x sleep 1000
	first=$output
	run --separate-stderr -1 job run --json --name x 'exit 0'
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = name_in_use ]
	[ "$(wc -l <<<"$stderr")" = 1 ]
	run --separate-stderr -1 job run --name x 'exit 0'
	[[ $stderr == "job: "*"'x'"* ]]
	# Nothing was started.
	[ "$(job list --all --json | jq length)" = 1 ]
	[ "$(ls "$JOB_HOME/logs" | grep -c '\.log$')" = 1 ]

	run -0 tjob 20 stop x
	[ "$(field "$first" .status)" = stopped ]
	run -0 job run --name x 'exit 0'
	second=$output
	[ "$second" != "$first" ]
	run -0 job wait "$second"
	[ "$(field "$second" .name)" = x ]
}

@test "a name can be reused once its job ended by itself" {
	run -0 job run --wait --name once 'exit 0'
	run -0 job run --wait --name once 'exit 0'
	run -0 job list --json --name once
	[ "$(jq length <<<"$output")" = 2 ]
}

@test "the same name may run in two projects" {
	a=$(make_project a)
	b=$(make_project b)
	ida=$(cd "$a" && job run --name srv sleep 1000)
	idb=$(cd "$b" && job run --name srv sleep 1000)
	[[ $ida =~ $ULID_RE && $idb =~ $ULID_RE ]]
	[ "$(job list --all --json --status running | jq length)" = 2 ]
}

@test "retry of a job whose name is taken by an active job fails with name_in_use" {
	run -0 job run --name r sleep 1000
	id=$output
	run --separate-stderr -1 job retry --json "$id"
	[ "$(jq -r .error.code <<<"$stderr")" = name_in_use ]
}

@test "--key takes up to 1024 bytes, counted in bytes, not characters" {
	k1024=$(printf 'k%.0s' $(seq 1024))
	run -0 job run --key "$k1024" 'exit 0'
	id=$output
	[ "$(field "$id" .key)" = "$k1024" ]
	run -0 job run --key "$k1024" 'exit 0'
	[ "$output" = "$id" ]
	run --separate-stderr -2 job run --key "${k1024}k" 'exit 0'
	[[ $stderr == *"1025 bytes"* ]]
	# 512 two-byte characters are 1024 bytes; one more byte is too many.
	e512=$(printf 'é%.0s' $(seq 512))
	run -0 job run --key "$e512" 'exit 0'
	[ "$(field "$output" .key)" = "$e512" ]
	run --separate-stderr -2 job run --key "${e512}k" 'exit 0'
	[[ $stderr == *"1025 bytes"* ]]
	[ "$(job list --json | jq length)" = 2 ]
}
