#!/usr/bin/env bats
# The queue: --after and --after-end dependencies, named queues with a
# limit, pause and resume, and how a pending job behaves everywhere else.

load helper

# A job that holds until the test removes its gate file.
gate() {
	: >"$BATS_TEST_TMPDIR/gate-$1"
	echo "while [ -e '$BATS_TEST_TMPDIR/gate-$1' ]; do sleep 0.02; done"
}
open_gate() { rm -f "$BATS_TEST_TMPDIR/gate-$1"; }

@test "--after: the job waits, pending, and starts once its dependency completed" {
	start_job "$(gate a); echo a"
	a=$id
	run -0 job run --json --after "$a" 'echo b'
	b=$(jq -r .id <<<"$output")
	[ "$(jq -r .status <<<"$output")" = pending ]
	[ "$(jq -c .after <<<"$output")" = "[\"$a\"]" ]
	[ "$(jq -c .after_end <<<"$output")" = '[]' ]
	[ "$(jq -c .waiting_for <<<"$output")" = "{\"jobs\":[\"$a\"],\"queue\":null}" ]
	# Its supervisor exists while it waits.
	[[ $(jq -r .supervisor_pid <<<"$output") =~ ^[0-9]+$ ]]
	[ "$(jq -r .pid <<<"$output")" = null ]
	[ "$(jq -r .started_at <<<"$output")" = null ]
	# Still waiting a while later.
	sleep 0.3
	status_is "$b" pending
	open_gate a
	run -0 tjob 20 wait "$b"
	assert_record "$b" '.status == "completed" and .waiting_for == null and (.pid | type) == "number"'
	run -0 job logs "$b"
	[ "$output" = b ]
	# It started after a ended.
	[ "$(time_ms "$(field "$b" .started_at)")" -ge \
	    "$(time_ms "$(field "$a" .finished_at)")" ]
}

@test "--after a job that failed: failed with dependency_failed at once, never run" {
	run_to_end 'exit 3'
	a=$id
	run -0 job run --json --after "$a" "touch '$BATS_TEST_TMPDIR/ran'"
	b=$(jq -r .id <<<"$output")
	# Judged at once: job run already answers with the end.
	[ "$(jq -r '.status + " " + .reason' <<<"$output")" = "failed dependency_failed" ]
	assert_record "$b" '.pid == null and .exit_code == null and .signal == null and .started_at == null and .waiting_for == null'
	run -1 job wait "$b"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	run -0 job logs "$b"
	[[ $output == *"not started: job $a ended failed"* ]]
}

@test "--after a pending job that then fails, stopped or interrupted: dependency_failed" {
	start_job "$(gate a); exit 1"
	a=$id
	start_job --after "$a" "touch '$BATS_TEST_TMPDIR/ran'"
	b=$id
	status_is "$b" pending
	open_gate a
	run -1 tjob 20 wait "$b"
	assert_record "$b" '.status == "failed" and .reason == "dependency_failed" and .pid == null'
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]

	start_job "$(gate c)"
	c=$id
	start_job --after "$c" 'true'
	d=$id
	run -0 job stop "$c"
	run -1 tjob 20 wait "$d"
	assert_record "$d" '.reason == "dependency_failed"'
}

@test "--after-end starts once the job ended, whatever its status" {
	start_job "$(gate a); exit 7"
	a=$id
	run -0 job run --json --after-end "$a" 'echo after'
	b=$(jq -r .id <<<"$output")
	[ "$(jq -c .after_end <<<"$output")" = "[\"$a\"]" ]
	[ "$(jq -c .after <<<"$output")" = '[]' ]
	open_gate a
	run -0 tjob 20 wait "$b"
	run -0 job logs "$b"
	[ "$output" = after ]
	# A dependency that already ended is met at once.
	run -0 job run --json --after-end "$a" 'true'
	[ "$(jq -r .status <<<"$output")" != pending ] || {
		c=$(jq -r .id <<<"$output")
		run -0 tjob 20 wait "$c"
	}
}

@test "several --after: the job waits for all of them" {
	start_job "$(gate a)"
	a=$id
	start_job "$(gate b)"
	b=$id
	run -0 job run --json --after "$a" --after "$b" --after "$a" 'true'
	c=$(jq -r .id <<<"$output")
	# A repeated reference is one dependency.
	[ "$(jq -r '.after | length' <<<"$output")" = 2 ]
	open_gate a
	wait_status "$a" completed
	sleep 0.2
	status_is "$c" pending
	assert_record "$c" ".waiting_for.jobs == [\"$b\"]"
	open_gate b
	run -0 tjob 20 wait "$c"
}

@test "--after references resolve by name and prefix; unknown or ambiguous ones create nothing" {
	start_job --name build 'true'
	run -0 tjob 20 wait build
	run -0 job run --json --after build 'true'
	[ "$(jq -c .after <<<"$output")" = "[\"$id\"]" ]
	before=$(job list --json --limit 0 | jq length)
	expect_error 1 not_found 'nosuch' run --after nosuch 'true'
	expect_error 1 ambiguous '' run --after-end 01 'true'
	[ "$(job list --json --limit 0 | jq length)" = "$before" ]
	[ "$(ls "$JOB_HOME/logs" | grep -c '\.log$')" = "$before" ]
}

@test "a serial queue runs its jobs one at a time, in submission order" {
	out=$BATS_TEST_TMPDIR/order
	for i in 1 2 3 4 5 6; do
		start_job --queue serial "echo start $i >>'$out'; sleep 0.1; echo end $i >>'$out'"
		ids+=("$id")
	done
	run -0 tjob 60 wait "${ids[@]}"
	expected=$(for i in 1 2 3 4 5 6; do echo "start $i"; echo "end $i"; done)
	[ "$(cat "$out")" = "$expected" ]
	assert_record "${ids[0]}" '.queue == "serial"'
}

@test "job queue lists queues; --parallel raises the limit and starts waiting jobs at once" {
	start_job --queue q "$(gate 1)"
	one=$id
	start_job --queue q "$(gate 2)"
	two=$id
	run -0 job queue --json
	[ "$(jq -c . <<<"$output")" = '[{"name":"q","parallel":1,"running":1,"pending":1,"paused":false}]' ]
	run -0 job queue
	[ "$output" = "q parallel=1 running=1 pending=1 active" ]
	assert_record "$two" '.waiting_for == {"jobs":[],"queue":"q"}'

	run -0 job queue q --parallel 2 --json
	[ "$(jq -c . <<<"$output")" = '{"name":"q","parallel":2,"running":1,"pending":1,"paused":false}' ] ||
	    [ "$(jq -c . <<<"$output")" = '{"name":"q","parallel":2,"running":2,"pending":0,"paused":false}' ]
	wait_status "$two" running
	open_gate 1
	open_gate 2
	run -0 tjob 20 wait "$one" "$two"
}

@test "job queue refuses a limit of 0 or junk, and --pause with --resume (exit 2)" {
	expect_error 2 usage '' queue q --parallel 0
	expect_error 2 usage '' queue q --parallel x
	expect_error 2 usage '' queue q --parallel -1
	expect_error 2 usage '' queue q --pause --resume
	expect_error 2 usage '' queue --pause
	expect_error 2 usage 'queue' run --queue '' 'true'
	run -0 job queue --json
	[ "$output" = '[]' ]
	# Showing a queue that was never used is an unknown name.
	expect_error 1 not_found 'nosuch' queue nosuch
}

@test "a paused queue starts nothing until resumed; running jobs go on" {
	start_job --queue p "$(gate r)"
	r=$id
	run -0 job queue p --pause --json
	[ "$(jq -r .paused <<<"$output")" = true ]
	start_job --queue p 'echo later'
	later=$id
	open_gate r
	run -0 tjob 20 wait "$r"
	sleep 0.3
	status_is "$later" pending
	run -0 job queue p
	[ "$output" = "p parallel=1 running=0 pending=1 paused" ]
	run -0 job queue p --resume
	run -0 tjob 20 wait "$later"
}

@test "job queue NAME --pause creates the queue; a new job there waits" {
	run -0 job queue fresh --pause --parallel 3 --json
	[ "$(jq -c . <<<"$output")" = '{"name":"fresh","parallel":3,"running":0,"pending":0,"paused":true}' ]
	run -0 job run --json --queue fresh 'true'
	[ "$(jq -r .status <<<"$output")" = pending ]
	id=$(jq -r .id <<<"$output")
	run -0 job queue fresh --resume
	run -0 tjob 20 wait "$id"
}

@test "stopping a pending job ends it stopped without running, and the queue moves on" {
	start_job --queue s "$(gate first)"
	first=$id
	start_job --queue s "touch '$BATS_TEST_TMPDIR/ran'"
	second=$id
	start_job --queue s 'echo third'
	third=$id
	run -0 job stop "$second"
	assert_record "$second" '.status == "stopped" and .reason == "stopped" and .exit_code == null and .signal == null and .pid == null'
	run -1 job wait "$second"
	open_gate first
	run -0 tjob 20 wait "$third"
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "a pending job is active: its name and key are taken, wait and run --wait wait through pending" {
	start_job "$(gate a)"
	a=$id
	run -0 job run --json --name web --key k1 --after "$a" 'echo web'
	w=$(jq -r .id <<<"$output")
	expect_error 1 name_in_use 'web' run --name web 'true'
	run -0 job run --key k1 'true'
	[ "$output" = "$w" ]
	# wait blocks through pending: not ended within its timeout.
	run -75 job wait --timeout 300ms "$w"
	( sleep 0.3; rm -f "$BATS_TEST_TMPDIR/gate-a" ) &
	run -0 tjob 20 run --wait --after "$a" 'echo waited'
	[[ $output == *completed* ]]
	run -0 tjob 20 wait web
}

@test "job list shows pending jobs and what they wait for" {
	start_job --name dep "$(gate a)"
	a=$id
	start_job --after dep --queue lq 'true'
	run -0 job list
	[[ $output == *pending* ]]
	[[ $output == *"waits for $a"* ]]
	open_gate a
	run -0 tjob 20 wait "$id"
}

@test "retry of a queued job queues it again, without its dependencies" {
	run_to_end 'true'
	a=$id
	start_job --queue rq --after "$a" 'echo x'
	b=$id
	run -0 tjob 20 wait "$b"
	run -0 job retry --json "$b"
	[ "$(jq -r .queue <<<"$output")" = rq ]
	[ "$(jq -c .after <<<"$output")" = '[]' ]
	c=$(jq -r .id <<<"$output")
	run -0 tjob 20 wait "$c"
}

@test "clean never removes a pending job, nor a job one still waits for" {
	run_to_end 'true'
	done_job=$id
	start_job "$(gate a)"
	a=$id
	start_job --after-end "$done_job" --after "$a" 'true'
	waiting=$id
	run -0 job clean --all
	run -0 job status "$waiting"
	run -0 job status "$done_job"
	open_gate a
	run -0 tjob 20 wait "$waiting"
	run -0 job clean --all
	run -1 job status "$done_job"
}

@test "--timeout counts from the start, not from the submission" {
	start_job "$(gate a)"
	a=$id
	start_job --timeout 1s --after "$a" 'sleep 0.5; echo ok'
	b=$id
	sleep 1.2
	status_is "$b" pending
	open_gate a
	run -0 tjob 20 wait "$b"
	run -0 job logs "$b"
	[ "$output" = ok ]
}

@test "a queued job whose program does not exist fails at once with spawn_failed" {
	expect_error 1 spawn_failed 'no-such-program-xyz' run --queue nf -- no-such-program-xyz
	run -0 job list --json --limit 0
	[ "$(jq -r '.[0].status + " " + .[0].reason + " " + (.[0].exit_code|tostring)' <<<"$output")" = "failed spawn_failed 127" ]
	# It took no slot: the queue is free for the next.
	run -0 job queue nf --json
	[ "$(jq -c '[.running, .pending]' <<<"$output")" = '[0,0]' ]
}

@test "a job that waited starts in its folder, with its environment and its argv" {
	mkdir sub
	start_job "$(gate a)"
	a=$id
	start_job --cwd sub --env K='v 1' --after "$a" -- sh -c 'pwd; echo "$K $JOB_ID"; echo "$@"' sh 'x  y' '$z'
	b=$id
	open_gate a
	run -0 tjob 20 wait "$b"
	run -0 job logs "$b"
	[ "$output" = "$PROJ/sub"$'\n'"v 1 $b"$'\n''x  y $z' ]
}

@test "a queue name that is not UTF-8 shows in the job's JSON, as a job name does" {
	q=$(printf 'q\xff')
	start_job --queue "$q" "$(gate a)"
	a=$id
	start_job --queue "$q" 'true'
	b=$id
	# The queue itself is listed (its name made valid JSON)...
	run -0 job queue --json
	[ "$(jq length <<<"$output")" = 1 ]
	qname=$(jq -r '.[0].name' <<<"$output")
	# ...and each of its jobs says it is in it, and what it waits for.
	assert_record "$a" "has(\"queue\") and .queue == \"$qname\""
	assert_record "$b" "has(\"queue\") and .waiting_for.queue == \"$qname\""
	open_gate a
	run -0 tjob 20 wait "$b"
}
