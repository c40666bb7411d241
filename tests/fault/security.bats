#!/usr/bin/env bats
# Security: private files whatever the umask, refusing a JOB_HOME others
# can write or own, no descriptor leaking into a job, exactly the caller's
# environment, and names, keys and commands full of quotes and SQL.

load helper

mode() {
	stat -c %a "$1"
}

@test "with umask 000, JOB_HOME and logs are 0700, the store, its WAL, logs and locks 0600" {
	(
		umask 000
		job run 'sleep 1000' >"$BATS_TEST_TMPDIR/id"
	)
	id=$(cat "$BATS_TEST_TMPDIR/id")
	[[ $id =~ $ULID_RE ]]
	[ "$(mode "$JOB_HOME")" = 700 ]
	[ "$(mode "$JOB_HOME/logs")" = 700 ]
	[ "$(mode "$JOB_HOME/job.db")" = 600 ]
	for f in "$JOB_HOME/job.db-wal" "$JOB_HOME/job.db-shm"; do
		[ ! -e "$f" ] || [ "$(mode "$f")" = 600 ]
	done
	[ "$(mode "$(log_of "$id")")" = 600 ]
	[ "$(mode "$(lock_of "$id")")" = 600 ]
	(
		umask 000
		job stop "$id" >/dev/null
		job run --wait 'echo hi' >/dev/null
	)
	for f in "$JOB_HOME"/logs/* "$JOB_HOME"/job.db*; do
		[ "$(mode "$f")" = 600 ] || { ls -l "$f"; false; }
	done
	assert_no_leftovers
}

@test "the job runs with the caller's umask, not job's own" {
	(
		umask 022
		job run --wait 'umask; touch made' >/dev/null
	)
	id=$(job list --json | jq -r '.[0].id')
	[ "$(job logs "$id")" = 0022 ]
	[ "$(mode made)" = 644 ]
	[ "$(mode "$(log_of "$id")")" = 600 ]
	assert_no_leftovers
}

@test "a JOB_HOME writable by group or others is refused, and nothing is created in it" {
	mkdir "$JOB_HOME"
	for m in 777 770 702; do
		chmod "$m" "$JOB_HOME"
		expect_error 1 io "$JOB_HOME.*writable.*chmod 700" run 'exit 0'
		expect_error 1 io "$JOB_HOME.*writable" list
		expect_error_text 1 "chmod 700" status
		[ -z "$(ls -A "$JOB_HOME")" ]
		[ "$(mode "$JOB_HOME")" = "$m" ]
	done
	# The same for its logs folder.
	chmod 700 "$JOB_HOME"
	run -0 job run --wait 'exit 0'
	before=$(store_state)
	chmod 777 "$JOB_HOME/logs"
	expect_error 1 io "logs.*writable" run 'exit 0'
	expect_error 1 io "logs.*writable" list
	chmod 700 "$JOB_HOME/logs"
	[ "$(store_state)" = "$before" ]
	assert_no_leftovers
}

@test "a JOB_HOME owned by another user is refused" {
	require_root chown
	mkdir -m 700 "$JOB_HOME"
	chown nobody "$JOB_HOME"
	expect_error 1 io "$JOB_HOME.*another user" run 'exit 0'
	expect_error 1 io "$JOB_HOME.*another user" list
	expect_error_text 1 "another user" status
	[ -z "$(ls -A "$JOB_HOME")" ]
	# And a logs folder owned by another user.
	chown root "$JOB_HOME"
	run -0 job run --wait 'exit 0'
	chown nobody "$JOB_HOME/logs"
	expect_error 1 io "logs.*another user" run 'exit 0'
	[ "$(rows)" -eq 1 ]
	assert_no_leftovers
}

@test "a job sees only descriptors 0, 1 and 2; the supervisor holds none of the caller's" {
	echo secret >"$BATS_TEST_TMPDIR/secret"
	# 9: a pipe whose writer is a (marked) process of the test's own.
	exec 7>>"$BATS_TEST_TMPDIR/secret" 8<"$BATS_TEST_TMPDIR/secret" \
	    9< <(JOBTEST_MARK=$JOBTEST_MARK exec sleep 1000 2>/dev/null)
	writer=$!
	start_job 'sleep 1000 & sh -c "sleep 1000 & wait" & exec sleep 1000'
	exec 7>&- 8<&- 9<&-
	kill "$writer"
	# Every process of the job (looked at from outside: a shell listing
	# its own descriptors sees the ones it opens to do so) has 0, 1, 2.
	wait_for n_marked 3 '^sleep 1000'
	wait_for n_marked 1 '^sh -c sleep 1000'
	for p in $(marked_pids '^(sleep 1000|sh -c sleep)'); do
		[ "$(ls "/proc/$p/fd" | tr '\n' ' ')" = "0 1 2 " ] ||
		    { echo "process $p: $(ls -l "/proc/$p/fd")"; false; }
	done
	sup=$(field "$id" .supervisor_pid)
	for fd in /proc/"$sup"/fd/*; do
		target=$(readlink "$fd") || continue
		[[ $target != *secret* ]] || { echo "supervisor holds $target"; false; }
	done
	for n in 0 1 2; do
		[ "$(readlink "/proc/$sup/fd/$n")" = /dev/null ]
	done
	run -0 tjob 20 stop "$id"
	assert_no_leftovers
}

# env_set FILE: the NUL-separated environment in FILE as sorted lines
# (newlines inside values escaped), without what a shell sets for itself
# and without names that are not valid shell names (the job's /bin/sh drops
# those, as bash's exported functions BASH_FUNC_x%%).
env_set() {
	tr '\n\0' '\001\n' <"$1" | grep -Ev '^(_|SHLVL|PWD|OLDPWD)=' |
	    grep -E '^[A-Za-z_][A-Za-z0-9_]*=' | LC_ALL=C sort
}

@test "the job's environment is exactly the caller's plus JOB_ID" {
	export FAULT_ENV_NL=$'two\nlines' FAULT_ENV_EMPTY= FAULT_ENV_Q="it's \"quoted\" \$x"
	JOBTEST_MARK=$JOBTEST_MARK env -0 >caller.env
	run -0 job run --wait 'env -0 >job.env'
	id=$(job list --json | jq -r '.[0].id')
	diff <( (env_set caller.env; echo "JOB_ID=$id") | LC_ALL=C sort) <(env_set job.env)
	assert_no_leftovers
}

@test "with --env, the job's environment is the caller's plus JOB_ID and those variables" {
	export FAULT_ENV_OVERRIDE=old
	JOBTEST_MARK=$JOBTEST_MARK env -0 >caller.env
	run -0 job run --wait --env FAULT_ENV_OVERRIDE=new --env FAULT_ENV_ADDED=$'a\nb' 'env -0 >job.env'
	id=$(job list --json | jq -r '.[0].id')
	diff <( (env_set caller.env | grep -v '^FAULT_ENV_OVERRIDE='
		echo "JOB_ID=$id"
		echo "FAULT_ENV_OVERRIDE=new"
		printf 'FAULT_ENV_ADDED=a\001b\n') | LC_ALL=C sort) <(env_set job.env)
	assert_no_leftovers
}

@test "names, keys and commands full of quotes and SQL are stored and shown faithfully" {
	sql="'; DROP TABLE jobs; --"
	name="Robert'); DROP TABLE jobs;-- \"x\" \`y\` \$z %_"
	key="k' OR '1'='1"
	cmd="printf '%s|%s\\n' \"\$S\" \"it's\" # $sql"
	run -0 job run --json --name "$name" --key "$key" --env "S=$sql" "$cmd"
	valid_json <<<"$output"
	id=$(jq -r .id <<<"$output")
	run -0 tjob 20 wait "$name"
	[ "$(job logs "$id")" = "$sql|it's" ]
	run -0 job status --json "$name"
	valid_json <<<"$output"
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .name <<<"$output")" = "$name" ]
	[ "$(jq -r .key <<<"$output")" = "$key" ]
	[ "$(jq -r .command <<<"$output")" = "$cmd" ]
	[ "$(jq -r .env.S <<<"$output")" = "$sql" ]
	# The key finds the job again; nothing else started.
	run -0 job run --key "$key" 'exit 9'
	[ "$output" = "$id" ]
	run -0 job list --name "$name" --json
	[ "$(jq length <<<"$output")" -eq 1 ]
	# The table is there and holds exactly one row, byte for byte.
	[ "$(rows)" -eq 1 ]
	[ "$(db "SELECT name FROM jobs")" = "$name" ]
	[ "$(db "SELECT command FROM jobs")" = "$cmd" ]
	run -0 job list
	[[ $output == *"$id"* ]]
	run -0 job stop "$name"
	run -0 job clean --all --json
	[ "$(jq -c .removed <<<"$output")" = "[\"$id\"]" ]
	assert_no_leftovers
}

@test "a lock file replaced by a FIFO or a symbolic link hangs no command; the job is settled" {
	start_lost_job 'sleep 100'
	rm "$(lock_of "$id")"
	mkfifo "$(lock_of "$id")"
	# Opening a FIFO for reading waits for a writer: never here.
	run -0 tjob 10 list --all
	assert_record "$id" '.status == "interrupted" and .reason == "supervisor_lost"'
	start_lost_job 'sleep 100'
	rm "$(lock_of "$id")"
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ln -s "$BATS_TEST_TMPDIR/fifo" "$(lock_of "$id")"
	run -1 tjob 10 wait "$id"
	assert_record "$id" '.status == "interrupted" and .reason == "supervisor_lost"'
}
