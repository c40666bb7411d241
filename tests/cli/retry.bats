#!/usr/bin/env bats
# job retry: the same job again, linked to the original.

load helper

@test "retry starts a new job with the same command, name, cwd, env, timeout and context" {
	mkdir sub
	run -0 job run --json --name r --cwd sub --env K=V --timeout 5m \
	    --context '{"a":1}' --key orig-key 'echo "$K in $(pwd)"; exit 3'
	orig=$(jq -r .id <<<"$output")
	run -3 job wait "$orig"

	run --separate-stderr -0 job retry r
	new=$output
	[[ $new =~ $ULID_RE ]]
	[ "$new" != "$orig" ]
	run -3 job wait "$new"

	run -0 job status --json "$new"
	rec=$output
	[ "$(jq -r .retry_of <<<"$rec")" = "$orig" ]
	[ "$(jq -r .command <<<"$rec")" = 'echo "$K in $(pwd)"; exit 3' ]
	[ "$(jq -r .name <<<"$rec")" = r ]
	[ "$(jq -r .cwd <<<"$rec")" = "$PROJ/sub" ]
	[ "$(jq -r .project <<<"$rec")" = "$PROJ" ]
	[ "$(jq -c .context <<<"$rec")" = '{"a":1}' ]
	[ "$(jq -r .timeout_s <<<"$rec")" = 300 ]
	[ "$(jq -c .env <<<"$rec")" = '{"K":"V"}' ]
	# A key names one job: the retry has none.
	[ "$(jq -r .key <<<"$rec")" = null ]
	[ "$(jq -r .status <<<"$rec")" = failed ]
	[ "$(jq -r .exit_code <<<"$rec")" = 3 ]
	run -0 job logs "$new"
	[ "$output" = "V in $PROJ/sub" ]

	# The original is untouched.
	[ "$(field "$orig" .retry_of)" = null ]
	[ "$(field "$orig" .key)" = orig-key ]
	[ "$(job list --json | jq length)" = 2 ]
	# The name now means the newest.
	[ "$(field r .id)" = "$new" ]
}

@test "retry from another folder of the project keeps the original cwd" {
	p=$(make_project p)
	mkdir -p "$p/a" "$p/b"
	cd "$p/a"
	orig=$(job run pwd)
	job wait "$orig" >/dev/null
	cd "$p/b"
	new=$(job retry "$orig")
	run -0 job wait "$new"
	[ "$(job logs "$new")" = "$p/a" ]
	[ "$(field "$new" .cwd)" = "$p/a" ]
}

@test "retry --wait exits with the new job's status" {
	orig=$(job run 'exit 4')
	run -4 tjob 20 wait "$orig"
	run -4 job retry --wait "$orig"
	[[ $output =~ ^[0-9A-Z]{26}\ -\ failed\ exit=4\  ]]
	new=${output%% *}
	[ "$new" != "$orig" ]
	[ "$(field "$new" .retry_of)" = "$orig" ]
}

@test "retry --json prints the new record" {
	orig=$(job run 'exit 0')
	job wait "$orig" >/dev/null
	run -0 job retry --json "$orig"
	[ "$(jq -r .retry_of <<<"$output")" = "$orig" ]
	[[ $(jq -r .id <<<"$output") =~ $ULID_RE ]]
	[ "$(jq -r .id <<<"$output")" != "$orig" ]
}

@test "retry of a retry links to the job it retried" {
	a=$(job run 'exit 0')
	job wait "$a" >/dev/null
	b=$(job retry "$a")
	job wait "$b" >/dev/null
	c=$(job retry "$b")
	job wait "$c" >/dev/null
	[ "$(field "$c" .retry_of)" = "$b" ]
	[ "$(field "$b" .retry_of)" = "$a" ]
}

@test "retry of an unknown job exits 1 with not_found" {
	run --separate-stderr -1 job retry --json nosuch
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
}

@test "retry copies the grace period, and stop of the retry honours it" {
	orig=$(job run --grace 7s 'trap "" TERM; sleep 1000 & wait')
	run -0 tjob 20 stop --force "$orig"
	new=$(job retry "$orig")
	[ "$(field "$new" .grace_s)" = 7 ]
	wait_for marked_pids '^sleep 1000'
	# Longer than the 5 s default: a retry that lost the grace would be
	# killed sooner.
	start=$(uptime_ms)
	run -0 tjob 30 stop "$new"
	elapsed=$(($(uptime_ms) - start))
	((elapsed >= 7000)) || { echo "SIGKILL after ${elapsed}ms"; false; }
	[ "$(field "$new" .signal)" = SIGKILL ]
}
