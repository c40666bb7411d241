#!/usr/bin/env bats
# `job run` killed (SIGKILL, through the test-only hook JOB_TEST_CRASH) at
# each step of starting a job: before the row exists, after the row is
# inserted but before the supervisor starts, and after the supervisor
# started the command but before `running` was recorded. No row may be left
# pending or running with nothing behind it, no process may be lost, and
# `job clean` sweeps the files a crash left without a row.

load helper

# crash_run POINT ARGS...: `job run ARGS` killed at POINT (exit 137).
crash_run() {
	local point=$1
	shift
	run -137 env JOB_TEST_CRASH="$point" JOBTEST_MARK="$JOBTEST_MARK" \
	    timeout -k 5 60 "$JOB_BIN" run "$@"
	[ -z "$output" ] || { show; false; }
}

@test "crash before-insert: no row, no process; clean removes the stray lock and log" {
	# The store exists before the crash, as it would in real use.
	run -0 job run --wait true
	before=$(store_state)
	crash_run before-insert 'sleep 1000'
	# No row appeared; the lock and log created before the insert are
	# stray files now.
	run -0 job list --all --json
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(rows)" -eq 1 ]
	strays=$(ls "$JOB_HOME/logs" | grep -v "$(db 'SELECT id FROM jobs')" | wc -l)
	[ "$strays" -eq 2 ] || { ls -l "$JOB_HOME/logs"; false; }
	no_marked '^sleep'
	no_supervisors

	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 2 ]
	[ "$(jq .count <<<"$output")" -eq 0 ]
	[ "$(store_state)" = "$before" ]
	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 0 ]
	assert_no_leftovers
}

@test "crash after-insert: the pending row becomes interrupted/supervisor_lost, nothing runs" {
	crash_run after-insert 'sleep 1000'
	[ "$(rows)" -eq 1 ]
	id=$(db 'SELECT id FROM jobs')
	[ "$(db "SELECT status FROM jobs WHERE id = '$id'")" = pending ]
	no_marked '^sleep'
	no_supervisors

	# The next command sees a pending row whose lock nobody holds.
	run -0 job list --all --json
	[ "$(jq -r '.[0] | "\(.id) \(.status) \(.reason)"' <<<"$output")" = "$id interrupted supervisor_lost" ]
	assert_record "$id" '.pid == null and .started_at == null and .finished_at != null and .exit_code == null'
	run -1 tjob 20 wait "$id"
	[ ! -e "$(lock_of "$id")" ]
	# The log belongs to a row: not a stray file.
	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 0 ]
	run -0 job clean --all --json
	[ "$(jq -c .removed <<<"$output")" = "[\"$id\"]" ]
	[ -z "$(ls -A "$JOB_HOME/logs")" ]
	[ "$(rows)" -eq 0 ]
	assert_no_leftovers
}

@test "crash after-spawn: the supervisor still records the real end, with pid and started_at" {
	crash_run after-spawn 'until [ -e release ]; do sleep 0.02; done; exit 7'
	[ "$(rows)" -eq 1 ]
	id=$(db 'SELECT id FROM jobs')
	# The command runs under its supervisor, which holds the lock: no
	# reconciliation may end the job now.
	wait_for lock_held "$id"
	[ "$(my_supervisors | wc -l)" -eq 1 ]
	run -0 job list --all --json
	[[ $(jq -r '.[0].status' <<<"$output") == @(pending|running) ]] || { show; false; }
	run -75 tjob 20 wait --timeout 200ms "$id"

	touch release
	run -7 tjob 20 wait "$id"
	assert_record "$id" '.status == "failed" and .reason == "exited" and .exit_code == 7 and .pid != null and .started_at != null and .finished_at != null and .supervisor_pid != null'
	[ ! -e "$(lock_of "$id")" ]
	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 0 ]
	assert_no_leftovers
}

@test "crash after-spawn: stop still ends the job and everything in it" {
	crash_run after-spawn 'sleep 1000 & wait'
	id=$(db 'SELECT id FROM jobs')
	wait_for lock_held "$id"
	wait_for n_marked 1 '^sleep 1000'
	run -0 tjob 20 stop --grace 1s "$id"
	[[ $output == "$id - stopped "* ]] || { show; false; }
	no_marked '^sleep 1000'
	assert_record "$id" '.status == "stopped" and .reason == "stopped" and .pid != null'
	assert_no_leftovers
}

@test "crashes at every point, then clean: every file left belongs to a row" {
	crash_run before-insert 'exit 0'
	crash_run after-insert 'exit 0'
	crash_run after-spawn 'exit 0'
	run -0 job run --wait 'exit 0'
	wait_for -t 20 no_supervisors
	run -0 job list --all --json
	[ "$(jq length <<<"$output")" -eq 3 ]
	[ "$(jq '[.[] | select(.status == "pending" or .status == "running")] | length' <<<"$output")" -eq 0 ]
	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 2 ]
	# One log per row, no lock left.
	[ "$(find "$JOB_HOME/logs" -name '*.lock' | wc -l)" -eq 0 ]
	[ "$(find "$JOB_HOME/logs" -name '*.log' | wc -l)" -eq 3 ]
	for id in $(db 'SELECT id FROM jobs'); do
		[ -e "$(log_of "$id")" ]
	done
	assert_no_leftovers
}
