#!/usr/bin/env bats
# How a job's end is recorded, and what `job wait` exits with.

load helper

@test "exit 0: completed, exit_code 0, reason exited; wait exits 0" {
	run -0 job run 'exit 0'
	id=$output
	run -0 job wait "$id"
	[[ $output == "$id - completed exit=0 "* ]]
	run -0 job status --json "$id"
	[ "$(jq -c '[.status, .exit_code, .reason, .signal]' <<<"$output")" = \
	    '["completed",0,"exited",null]' ]
}

@test "exit 3: failed, exit_code 3, reason exited; wait exits 3" {
	run -0 job run 'exit 3'
	id=$output
	run -3 job wait "$id"
	[[ $output == "$id - failed exit=3 "* ]]
	run -0 job status --json "$id"
	[ "$(jq -c '[.status, .exit_code, .reason, .signal]' <<<"$output")" = \
	    '["failed",3,"exited",null]' ]
}

@test "killed by SIGKILL: failed, reason signaled, signal SIGKILL; wait exits 137" {
	run -0 job run 'kill -KILL $$'
	id=$output
	run -137 job wait "$id"
	[[ $output == "$id - failed exit=SIGKILL "* ]]
	run -0 job status --json "$id"
	[ "$(jq -c '[.status, .exit_code, .reason, .signal]' <<<"$output")" = \
	    '["failed",null,"signaled","SIGKILL"]' ]
}

@test "killed by SIGTERM: failed, reason signaled, signal SIGTERM; wait exits 143" {
	run -0 job run 'kill -TERM $$; sleep 5'
	id=$output
	run -143 job wait "$id"
	run -0 job status --json "$id"
	[ "$(jq -c '[.status, .exit_code, .reason, .signal]' <<<"$output")" = \
	    '["failed",null,"signaled","SIGTERM"]' ]
}

@test "a shell that reports 128+N is an exit code, not a signal" {
	run -0 job run "sh -c 'kill -KILL \$\$'"
	id=$output
	run -137 job wait "$id"
	run -0 job status --json "$id"
	[ "$(jq -c '[.status, .exit_code, .reason, .signal]' <<<"$output")" = \
	    '["failed",137,"exited",null]' ]
}

@test "wait blocks until the job ends" {
	run -0 job run 'while [ ! -e go ]; do sleep 0.02; done; exit 5'
	id=$output
	job wait "$id" >wait.out 2>&1 &
	waiter=$!
	# Still waiting while the job runs.
	run -75 job wait --timeout 300ms "$id"
	kill -0 "$waiter"
	touch go
	rc=0
	wait "$waiter" || rc=$?
	[ "$rc" = 5 ]
	[[ $(<wait.out) == "$id - failed exit=5 "* ]]
}

@test "wait --timeout on a running job exits 75 and leaves it running" {
	run -0 job run sleep 1000
	id=$output
	start=$(uptime_ms)
	run -75 job wait --timeout 200ms "$id"
	elapsed=$(($(uptime_ms) - start))
	((elapsed >= 200))
	[[ $output == "$id - running exit=- "* ]]
	[ "$(field "$id" .status)" = running ]
}

@test "wait on an ended job returns at once with its status" {
	run -0 job run 'exit 2'
	id=$output
	run -2 job wait "$id"
	run -2 job wait --timeout 1ms "$id"
}

# Given in the order a b c d, the jobs end in the order a d b c: the first
# non-zero in the order given (b: 5) is neither the first to end (d: 7),
# the last to end (c: 3), the smallest (3), the largest (7) nor the last
# given (7).
@test "wait on several jobs exits with the first non-zero status in the order given" {
	gated() { job run "while [ ! -e go-$1 ]; do sleep 0.02; done; exit $2"; }
	a=$(gated a 0)
	b=$(gated b 5)
	c=$(gated c 3)
	d=$(gated d 7)
	tjob 60 wait "$a" "$b" "$c" "$d" >wait.out 2>&1 &
	waiter=$!
	wait_for waiting "wait $a"
	touch go-a
	wait_status "$a" completed
	touch go-d
	wait_status "$d" failed
	touch go-b
	wait_status "$b" failed
	touch go-c
	rc=0
	wait "$waiter" || rc=$?
	[ "$rc" = 5 ]
	mapfile -t out <wait.out
	[ "${#out[@]}" = 4 ]
	[[ ${out[0]} == "$a - completed exit=0 "* && ${out[1]} == "$b - failed exit=5 "* ]]
	[[ ${out[2]} == "$c - failed exit=3 "* && ${out[3]} == "$d - failed exit=7 "* ]]
	# The same once all have ended, and in another order.
	run -7 job wait "$a" "$d" "$b" "$c"
	run -3 job wait "$c" "$b"
	run -0 job wait "$a" "$a"
}

@test "wait on an unknown job exits 1 with not_found" {
	run --separate-stderr -1 job wait --json 0000000000000000000000000Z
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
}

@test "run --wait prints the end line and exits with the job's status" {
	run -0 job run --wait 'echo hi'
	[[ $output =~ ^[0-9A-Z]{26}\ -\ completed\ exit=0\  ]]
	run -3 job run --wait --name w 'exit 3'
	[[ $output =~ ^[0-9A-Z]{26}\ w\ failed\ exit=3\  ]]
}

@test "wait --json prints the ended record" {
	run -0 job run 'exit 0'
	id=$output
	run -0 job wait --json "$id"
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .status <<<"$output")" = completed ]
	[ "$(jq -r .exit_code <<<"$output")" = 0 ]
	[[ $(jq -r .finished_at <<<"$output") =~ $TIME_RE ]]
}
