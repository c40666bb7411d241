#!/usr/bin/env bats
# Usage errors exit 2 with a message on stderr (one JSON line with --json);
# -h works everywhere.

load helper

COMMANDS=(run list status logs wait stop retry clean help)

# usage_error ARGS...: exit 2, nothing on stdout, a "job: " message on
# stderr; with --json added, one JSON line with error.code "usage". Nothing
# may have been started either way.
usage_error() {
	run --separate-stderr job "$@"
	[ "$status" = 2 ] || { echo "status $status for: job $*" >&2; return 1; }
	[ -z "$output" ] || { echo "stdout for: job $*: $output" >&2; return 1; }
	[[ ${stderr_lines[0]} == "job: "* ]] || {
		echo "stderr for: job $*: $stderr" >&2
		return 1
	}
	run --separate-stderr job --json "$@"
	[ "$status" = 2 ] || { echo "status $status for: job --json $*" >&2; return 1; }
	[ -z "$output" ] || { echo "stdout for: job --json $*: $output" >&2; return 1; }
	[ "${#stderr_lines[@]}" = 1 ] &&
	    [ "$(jq -r .error.code <<<"$stderr")" = usage ] &&
	    [ "$(jq -r '.error.message | type' <<<"$stderr")" = string ] || {
		echo "stderr for: job --json $*: $stderr" >&2
		return 1
	}
	! compgen -G "$JOB_HOME/logs/*" >/dev/null || {
		echo "a job was created by: job $*" >&2
		return 1
	}
}

@test "unknown options" {
	usage_error run --bogus true
	usage_error list --bogus
	usage_error wait --bogus x
	usage_error logs -Z x
	run --separate-stderr -2 job run --bogus true
	[[ $stderr == *"--bogus"* ]]
}

@test "unknown option before the command" {
	usage_error --bogus list
}

@test "options that need a value and get none" {
	usage_error run --name
	usage_error run --timeout
	usage_error run -w --cwd
	usage_error list --limit
	usage_error logs --tail
	usage_error logs x --tail
	usage_error stop --signal
	run --separate-stderr -2 job run --name
	[[ $stderr == *"--name"* ]]
}

@test "options that take no value and get one" {
	usage_error list --all=yes
	usage_error run --wait=1 true
}

@test "bad durations" {
	for d in 5x -5s 5 s 1.5s 1s1h ''; do
		usage_error run --timeout "$d" true
	done
	usage_error run --timeout 0s true
	usage_error run --grace 5x true
	usage_error wait --timeout 5x x
	usage_error stop --grace -1s x
	usage_error clean --older-than 5x
	run --separate-stderr -2 job run --timeout 5x true
	[[ $stderr == *"5x"* ]]
}

@test "good durations are accepted" {
	for d in 500ms 30s 5m 2h 7d 1h30m 1m30s; do
		run -0 job run --json --timeout "$d" 'exit 0'
	done
	[ "$(jq -r .timeout_s <<<"$output")" = 90 ]
}

@test "bad numbers" {
	usage_error list --limit -1
	usage_error list --limit x
	usage_error list --limit ''
	usage_error list --limit 1.5
	usage_error logs --tail -1 x
	usage_error logs --head x x
	usage_error logs --since -1 x
}

@test "no command for run, no job for wait, stop, logs, retry" {
	usage_error run
	usage_error run --name x
	usage_error run ''
	usage_error run ' '
	usage_error wait
	usage_error stop
	usage_error logs
	usage_error retry
	run --separate-stderr -2 job run
	[[ $stderr == *"no command"* ]]
}

@test "too many references for one-job commands" {
	usage_error status a b
	usage_error logs a b
	usage_error retry a b
}

@test "unknown command" {
	usage_error frobnicate
	run --separate-stderr -2 job frobnicate
	[[ $stderr == *"frobnicate"* ]]
}

@test "no command at all" {
	run --separate-stderr -2 job
	[ -z "$output" ]
	[[ $stderr == *"usage: job"* ]]
	run --separate-stderr -2 job --json
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" = 1 ]
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
}

@test "--env without = or with a bad name" {
	usage_error run --env FOO true
	usage_error run --env =x true
	usage_error run --env 1A=x true
	usage_error run -e 'A-B=x' true
	run --separate-stderr -2 job run --env FOO true
	[[ $stderr == *"FOO"* ]]
}

@test "--context that is not JSON" {
	usage_error run --context '{a:1}' true
	usage_error run --context '' true
	usage_error run --context '{"a":1,"a":2}' true
	run --separate-stderr -2 job run --context '{bad' true
	[[ $stderr == *"--context"* ]]
}

@test "bad --name and --key values" {
	usage_error run --name '' true
	usage_error run --name $'a\nb' true
	usage_error run --key '' true
}

@test "logs --follow does not go with --json or --head" {
	run --separate-stderr -2 job logs --follow --json x
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" = 1 ]
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
	usage_error logs --follow --head 1 x
}

# The commands `job help` lists.
listed_commands() {
	job help | sed -n '/^Commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}

@test "every command accepts -h and --help" {
	mapfile -t listed < <(listed_commands)
	# The documented ones are all there.
	for c in "${COMMANDS[@]}"; do
		[[ " ${listed[*]} " == *" $c "* ]]
	done
	for c in "${listed[@]}"; do
		run --separate-stderr job "$c" -h
		[ "$status" = 0 ] || { echo "job $c -h: $status" >&2; false; }
		[[ ${lines[0]} == "usage: job $c"* ]] || {
			echo "job $c -h: ${lines[0]}" >&2
			false
		}
		[ -z "$stderr" ]
		h=$output
		run -0 job "$c" --help
		[ "$output" = "$h" ]
		run -0 job help "$c"
		[ "$output" = "$h" ]
	done
}

@test "-h after other arguments still shows the help and runs nothing" {
	run -0 job run --name x -h sleep 1000
	[[ ${lines[0]} == "usage: job run"* ]]
	run -0 job stop nosuchjob -h
	[[ ${lines[0]} == "usage: job stop"* ]]
	run -0 job logs --tail 5 nosuchjob --help
	[[ ${lines[0]} == "usage: job logs"* ]]
	[ ! -e "$JOB_HOME/job.db" ] || [ "$(job list --all --json)" = "[]" ]
}

@test "job -h, job --help and job help list the commands" {
	for args in -h --help help; do
		run -0 job $args
		[[ ${lines[0]} == "usage: job"* ]]
		for c in "${COMMANDS[@]}"; do
			[[ $output == *"  $c "* ]]
		done
	done
	usage_error help nosuchcommand
}

@test "job --version" {
	run -0 job --version
	[[ $output =~ ^job\ [0-9] ]]
}
