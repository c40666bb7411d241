#!/usr/bin/env bats
# job run: ids, detaching, environment, folder, and how words become a command
# (the whole grammar is in grammar.bats).

load helper

@test "run prints a ULID at once and the job outlives the shell that started it" {
	(
		job run sleep 1000 >"$BATS_TEST_TMPDIR/id"
		exit
	)
	id=$(<"$BATS_TEST_TMPDIR/id")
	[[ $id =~ $ULID_RE ]]

	# The starting shell has exited; the job is still running.
	run -0 job status --json "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	pid=$(jq -r .pid <<<"$output")
	sup=$(jq -r .supervisor_pid <<<"$output")
	[[ $pid =~ ^[0-9]+$ && $sup =~ ^[0-9]+$ ]]
	proc_alive "$pid"
	proc_alive "$sup"

	# Detached: the supervisor and the job are in another session.
	mysid=$(ps -o sid= -p "$BASHPID" | tr -d ' ')
	supsid=$(ps -o sid= -p "$sup" | tr -d ' ')
	jobsid=$(ps -o sid= -p "$pid" | tr -d ' ')
	[[ -n $mysid && -n $supsid && -n $jobsid ]]
	[ "$supsid" != "$mysid" ]
	[ "$jobsid" != "$mysid" ]
	# The job is the leader of its own process group.
	[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]
	[ "$(field "$id" .status)" = running ]
}

@test "x=\$(job run CMD) returns before the job ends" {
	# The job ends when told, or after 60 s at the latest.
	x=$(job run 'for i in $(seq 3000); do [ -e go ] && exit 0; sleep 0.02; done')
	[[ $x =~ $ULID_RE ]]
	# Had the supervisor kept the caller's stdout, $(...) would have
	# waited for the job's end.
	[ "$(field "$x" .status)" = running ]
	touch go
	run -0 tjob 20 wait "$x"
}

@test "20 parallel runs all start, get distinct ids and end recorded" {
	pids=()
	for i in $(seq 20); do
		(
			rc=0
			tjob 60 run --wait "exit $((i % 3))" >"out.$i" 2>"err.$i" ||
			    rc=$?
			echo "$rc" >"rc.$i"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 20); do
		[ "$(<"rc.$i")" = $((i % 3)) ] || { cat "err.$i"; false; }
		[ ! -s "err.$i" ]
	done
	run -0 job list --json --limit 0
	[ "$(jq length <<<"$output")" = 20 ]
	[ "$(jq '[.[].id] | unique | length' <<<"$output")" = 20 ]
	[ "$(jq -c '[.[].status] | group_by(.) | map([.[0], length])' <<<"$output")" = \
	    '[["completed",6],["failed",14]]' ]
}

@test "run --json prints the record of the running job" {
	run --separate-stderr -0 job run --json sleep 1000
	[ -z "$stderr" ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[[ $(jq -r .id <<<"$output") =~ $ULID_RE ]]
	[ "$(jq -r .command <<<"$output")" = "sleep 1000" ]
	[ "$(jq -r .cwd <<<"$output")" = "$PROJ" ]
	[ "$(jq -r .project <<<"$output")" = "$PROJ" ]
}

@test "run --wait exits with the job's exit code" {
	run -6 job run --wait 'echo hi; exit 6'
	[[ $output == *" failed exit=6 "* ]]
}

@test "--env reaches the job and JOB_ID is the job's id" {
	run -0 job run --env FOO=bar -e 'BAZ=a b=c' \
	    'echo "FOO=$FOO BAZ=$BAZ JOB_ID=$JOB_ID"'
	id=$output
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "FOO=bar BAZ=a b=c JOB_ID=$id" ]
	[ "$(field "$id" .env.FOO)" = bar ]
	[ "$(field "$id" .env.BAZ)" = "a b=c" ]
}

@test "the job inherits the caller's environment" {
	id=$(JOBTEST_INHERIT=yes-inherited job run 'echo "$JOBTEST_INHERIT"')
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = yes-inherited ]
}

@test "--cwd runs the job in that folder, recorded as an absolute path" {
	mkdir -p sub/dir
	run -0 job run --cwd sub/dir pwd
	id=$output
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "$PROJ/sub/dir" ]
	[ "$(field "$id" .cwd)" = "$PROJ/sub/dir" ]
	# The project stays the caller's.
	[ "$(field "$id" .project)" = "$PROJ" ]
}

@test "without --cwd the job runs in the caller's folder" {
	run -0 job run pwd
	id=$output
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "$PROJ" ]
}

@test "--cwd /nonexistent: spawn_failed, failed record with exit 127, log says why" {
	run --separate-stderr -1 tjob 10 run --json --cwd /nonexistent/dir true
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = spawn_failed ]
	[[ $(jq -r .error.message <<<"$stderr") == *"/nonexistent/dir"* ]]

	run -0 job list --json
	[ "$(jq length <<<"$output")" = 1 ]
	id=$(jq -r '.[0].id' <<<"$output")
	[ "$(jq -r '.[0].status' <<<"$output")" = failed ]
	[ "$(jq -r '.[0].reason' <<<"$output")" = spawn_failed ]
	[ "$(jq -r '.[0].exit_code' <<<"$output")" = 127 ]
	[ "$(jq -r '.[0].cwd' <<<"$output")" = /nonexistent/dir ]

	run -127 tjob 10 wait "$id"
	run -0 job logs "$id"
	[[ $output == *"[job]"*"/nonexistent/dir"*"No such file or directory"* ]]
}

@test "--cwd /nonexistent in text mode names the job and the folder" {
	run --separate-stderr -1 tjob 10 run --cwd /nonexistent true
	[ -z "$output" ]
	id=$(job list --json | jq -r '.[0].id')
	[[ $id =~ $ULID_RE ]]
	[[ $stderr == "job: "* ]]
	[[ $stderr == *"$id"* ]]
	[[ $stderr == *"/nonexistent"* ]]
}

@test "-- ends the options: -c goes to the command, the words kept apart" {
	run -0 job run -- sh -c 'exit 4'
	id=$output
	# Shown quoted, so that pasting it runs the same words.
	[ "$(field "$id" .command)" = "sh -c 'exit 4'" ]
	[ "$(field "$id" '.argv | join("|")')" = "sh|-c|exit 4" ]
	run -4 job wait "$id"
}

@test "without --, the options end at the first word: -c goes to the command" {
	run --separate-stderr -0 job run sh -c 'exit 4'
	id=$output
	[ -z "$stderr" ]
	[ "$(field "$id" '.argv | join("|")')" = "sh|-c|exit 4" ]
	run -4 job wait "$id"
}

@test "several words are an argv, run without a shell" {
	run -0 job run echo a b
	id=$output
	[ "$(field "$id" .command)" = "echo a b" ]
	[ "$(field "$id" '.argv | length')" = 3 ]
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "a b" ]
}

@test "one word is a whole shell command line" {
	run -0 job run 'echo one; echo two | tr a-z A-Z'
	id=$output
	[ "$(field "$id" .argv)" = null ]
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "$(printf 'one\nTWO')" ]
}

@test "the job's stdin is /dev/null" {
	run -0 job run 'cat; echo "rc=$?"'
	id=$output
	run -0 tjob 10 wait "$id"
	run -0 job logs "$id"
	[ "$output" = "rc=0" ]
}

@test "stdout and stderr are interleaved in the order written" {
	run -0 job run 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'
	id=$output
	run -0 job wait "$id"
	run -0 job logs "$id"
	[ "$output" = "$(printf 'out1\nerr1\nout2\nerr2')" ]
}
