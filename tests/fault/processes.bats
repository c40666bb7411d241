#!/usr/bin/env bats
# Processes: lost supervisors, killed commands, commands that ignore SIGTERM,
# processes that escape the job's group, and a supervisor that must reap and
# stay small however many children the job spawns.

load helper

@test "supervisor SIGKILLed: running while its process lives, then interrupted/supervisor_lost; wait exits 1" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	[[ $sup =~ ^[0-9]+$ && $pid =~ ^[0-9]+$ ]]
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	wait_for lock_free "$id"
	proc_alive "$pid"

	# Every command reconciles: none may end the job while its process
	# lives.
	run -0 job list --all --json
	[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
	assert_record "$id" '.status == "running" and .reason == null and .pid == '"$pid"
	# wait does not return while the process lives...
	run -75 tjob 20 wait --timeout 300ms "$id"
	proc_alive "$pid"

	# ...and returns once it ends, with 1 (interrupted).
	tjob 60 wait "$id" >"$BATS_TEST_TMPDIR/wait.out" 2>&1 &
	wpid=$!
	kill -TERM -- "-$pid"
	wait_for -t 20 proc_gone "$wpid"
	rc=0
	wait "$wpid" || rc=$?
	[ "$rc" -eq 1 ]
	grep -q "$id .*interrupted" "$BATS_TEST_TMPDIR/wait.out"
	assert_record "$id" '.status == "interrupted" and .reason == "supervisor_lost" and .exit_code == null and .finished_at != null'
	run -1 job wait "$id"
	[ ! -e "$(lock_of "$id")" ]
	assert_no_leftovers
}

@test "a wait blocked on a live supervisor that is then SIGKILLed keeps waiting while the process lives" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	tjob 60 wait "$id" >"$BATS_TEST_TMPDIR/wait.out" 2>&1 &
	wpid=$!
	# The wait is blocked on the lock (or about to be).
	run -75 tjob 20 wait --timeout 200ms "$id"
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	wait_for lock_free "$id"
	# The lock is free but the job's process lives: still waiting.
	run -75 tjob 20 wait --timeout 300ms "$id"
	proc_alive "$wpid"
	assert_record "$id" '.status == "running"'
	kill -TERM -- "-$pid"
	wait_for -t 20 proc_gone "$wpid"
	rc=0
	wait "$wpid" || rc=$?
	[ "$rc" -eq 1 ] || { cat "$BATS_TEST_TMPDIR/wait.out"; false; }
	assert_record "$id" '.status == "interrupted" and .reason == "supervisor_lost"'
	assert_no_leftovers
}

@test "a caller ignoring SIGTERM and SIGINT does not make its job immune: stop ends it with SIGTERM" {
	(
		trap '' TERM INT HUP
		job run --grace 30s 'sleep 1000' >"$BATS_TEST_TMPDIR/id"
	)
	id=$(cat "$BATS_TEST_TMPDIR/id")
	# SIGTERM ignored, only SIGKILL after the 30 s grace could end it.
	run -0 tjob 25 stop "$id"
	assert_record "$id" '.status == "stopped" and .signal == "SIGTERM"'
	assert_no_leftovers
}

@test "SIGHUP, SIGINT and SIGPIPE to the supervisor do not end the job" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -HUP "$sup"
	kill -INT "$sup"
	kill -PIPE "$sup"
	# Still supervised: a later stop works through the supervisor.
	run -75 tjob 20 wait --timeout 300ms "$id"
	proc_alive "$sup"
	proc_alive "$pid"
	lock_held "$id"
	assert_record "$id" '.status == "running"'
	run -0 tjob 20 stop "$id"
	assert_record "$id" '.status == "stopped" and .signal == "SIGTERM"'
	assert_no_leftovers
}

@test "stop of a job whose supervisor was SIGKILLed kills every process of its group" {
	start_job 'sleep 1000 & sleep 1000 & wait'
	wait_for n_marked 2 '^sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	wait_for lock_free "$id"
	assert_record "$id" '.status == "running"'

	run -0 tjob 20 stop --grace 2s "$id"
	[[ $output == "$id - stopped "* ]] || { show; false; }
	wait_for no_marked '^sleep 1000'
	assert_record "$id" '.status == "stopped" and .reason == "stopped"'
	[ ! -e "$(lock_of "$id")" ]
	assert_no_leftovers
}

@test "the job's main process SIGKILLed from outside: failed, signal SIGKILL, wait exits 137" {
	start_job 'sleep 1000'
	pid=$(field "$id" .pid)
	kill -KILL -- "-$pid"
	run -137 tjob 20 wait "$id"
	[[ $output == "$id - failed exit=SIGKILL "* ]] || { show; false; }
	assert_record "$id" '.status == "failed" and .reason == "signaled" and .signal == "SIGKILL" and .exit_code == null'
	run -0 job status --json "$id"
	[ "$(jq '.processes | length' <<<"$output")" -eq 0 ]
	assert_no_leftovers
}

@test "stop --grace 300ms: a command ignoring SIGTERM is SIGKILLed after the grace period" {
	# The job's own grace (30s) would make the test slow if stop ignored
	# its --grace.
	start_job --grace 30s 'trap "" TERM; sleep 1000 & wait'
	wait_for n_marked 1 '^sleep 1000'
	t0=$(uptime_ms)
	run -0 tjob 25 stop --grace 300ms "$id"
	elapsed=$(($(uptime_ms) - t0))
	((elapsed >= 300)) || { echo "stop took ${elapsed}ms < grace"; false; }
	[[ $output == "$id - stopped exit=SIGKILL "* ]] || { show; false; }
	assert_record "$id" '.status == "stopped" and .reason == "stopped" and .signal == "SIGKILL"'
	run -137 job wait "$id"
	no_marked '^sleep 1000'
	assert_no_leftovers
}

@test "--timeout with --grace 300ms: a command ignoring SIGTERM is SIGKILLed; failed, reason timeout, wait 124" {
	start_job --timeout 500ms --grace 300ms 'trap "" TERM; sleep 1000 & wait'
	run -124 tjob 20 wait "$id"
	# It ran the timeout and this grace, not the default 5 s one.
	ran=$(field "$id" '.duration_s * 1000 | round')
	((ran >= 800 && ran < 5500)) || { echo "ran ${ran}ms"; false; }
	assert_record "$id" '.status == "failed" and .reason == "timeout" and .signal == "SIGKILL"'
	grep -q '^\[job\] timed out after 500 ms' "$(log_of "$id")"
	no_marked '^sleep 1000'
	assert_no_leftovers
}

# Two processes that leave the job's process group: one with setsid, one
# through a double fork of a setsid shell (a daemon). Each writes its
# process group to a file (pg.a, pg.b) before it becomes `sleep 1000`, so
# that escaping can be checked however late the test looks.
ESCAPES='setsid sh -c '\''ps -o pgid= -p $$ >pg.a; exec sleep 1000'\'' &
	(setsid sh -c '\''sh -c "ps -o pgid= -p \$\$ >pg.b; exec sleep 1000" & exit'\'' &);'

# escaped ID: both escapees have started, each outside the job's group.
escaped() {
	local pgid f
	pgid=$(field "$1" .pid)
	for f in pg.a pg.b; do
		[[ -s $f && $(tr -d ' ' <"$f") =~ ^[0-9]+$ ]] || return 1
		[[ $(tr -d ' ' <"$f") != "$pgid" ]] || return 1
	done
}

@test "stop kills processes that escaped with setsid and a double-forking daemon" {
	start_job "$ESCAPES sleep 1000"
	wait_for n_marked 3 '^sleep 1000'
	wait_for escaped "$id"
	run -0 tjob 20 stop "$id"
	[[ $output == "$id - stopped "* ]] || { show; false; }
	# stop returns once the job has ended: nothing of it is left.
	no_marked '^sleep 1000'
	assert_record "$id" '.status == "stopped" and .reason == "stopped" and (.processes | length) == 0'
	assert_no_leftovers
}

@test "--timeout kills processes that escaped with setsid and a double-forking daemon" {
	start_job --timeout 3s --grace 1s "$ESCAPES sleep 1000"
	wait_for escaped "$id"
	run -124 tjob 20 wait "$id"
	no_marked '^sleep 1000'
	assert_record "$id" '.status == "failed" and .reason == "timeout"'
	assert_no_leftovers
}

@test "the end-of-job cleanup kills processes left behind by setsid and a double fork" {
	start_job --grace 2s 'setsid sh -c "touch a; exec sleep 1000" & (setsid sh -c "(touch b; exec sleep 1000) & exit" &); while [ ! -e a ] || [ ! -e b ]; do sleep 0.01; done; exit 0'
	run -0 tjob 20 wait "$id"
	[[ $output == "$id - completed exit=0 "* ]] || { show; false; }
	no_marked '^sleep 1000'
	assert_record "$id" '.status == "completed" and .exit_code == 0 and .reason == "exited"'
	grep -Eq '^\[job\] the main process exited; stopping [0-9]+ leftover process' "$(log_of "$id")"
	assert_no_leftovers
}

# spawner N FILE: a job command that spawns N short children which the job
# orphans at once (each one a double fork: `(: &)`, so the supervisor
# adopts and must reap them), touches FILE when done, then stays alive.
spawner() {
	echo "for i in \$(seq $1); do (: &); done; touch $2; exec sleep 1000"
}

@test "a job spawning 500 children: no zombies, no fd or memory growth in the supervisor" {
	start_job 'exec sleep 1000'
	fresh=$id
	fresh_sup=$(field "$fresh" .supervisor_pid)
	fresh_fds=$(fd_count "$fresh_sup")
	((fresh_fds > 0 && fresh_fds < 16)) || { echo "fresh fds: $fresh_fds"; false; }

	start_job "$(spawner 10 "$BATS_TEST_TMPDIR/s10")"
	small=$id
	start_job "$(spawner 500 "$BATS_TEST_TMPDIR/s500")"
	big=$id
	wait_for -t 30 file_exists "$BATS_TEST_TMPDIR/s10"
	wait_for -t 30 file_exists "$BATS_TEST_TMPDIR/s500"
	small_sup=$(field "$small" .supervisor_pid)
	big_sup=$(field "$big" .supervisor_pid)
	# Every orphan has exited and been reaped: no zombie children.
	wait_for no_zombie_children "$big_sup"
	wait_for no_zombie_children "$small_sup"
	# The only child left is the job's own process.
	wait_for only_child "$big_sup" "$(field "$big" .pid)"
	wait_for only_child "$small_sup" "$(field "$small" .pid)"
	[ "$(fd_count "$big_sup")" -eq "$fresh_fds" ]
	[ "$(fd_count "$small_sup")" -eq "$fresh_fds" ]
	small_rss=$(vmrss_kb "$small_sup")
	big_rss=$(vmrss_kb "$big_sup")
	echo "supervisor fds: $fresh_fds"
	echo "supervisor VmRSS: fresh $(vmrss_kb "$fresh_sup") kB, 10 children $small_rss kB, 500 children $big_rss kB"
	# A sanitizer build keeps freed memory in quarantine: its RSS says
	# nothing about the supervisor's own.
	if ! sanitized; then
		((big_rss <= small_rss + 256)) || {
			echo "supervisor RSS grew: $small_rss kB -> $big_rss kB"
			false
		}
	fi
	assert_record "$big" '.status == "running"'
	run -0 tjob 20 stop "$fresh" "$small" "$big"
	assert_no_leftovers
}

# Many short jobs in a row. The issue asks for 10,000; 1,000 took ~40 s on
# the 2-core test machine under load, so the group could not fit in its
# 3 minutes: FAULT_MANY (default 300) jobs, in 4 parallel streams.
@test "many short jobs: all completed, no supervisor, lock or stray file left; one log per row" {
	n=${FAULT_MANY:-300}
	seq "$n" | marked timeout -k 5 300 xargs -P 4 -n 25 sh -c '
		for i; do "$0" run "exit 0" >/dev/null || echo "run $i failed" >&2; done
	' "$JOB_BIN" 2>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	wait_for -t 30 no_supervisors
	[ "$(rows)" -eq "$n" ]
	run -0 job list --all --limit 0 --json
	[ "$(jq length <<<"$output")" -eq "$n" ]
	[ "$(jq '[.[] | select(.status == "completed" and .exit_code == 0)] | length' <<<"$output")" -eq "$n" ]
	[ "$(find "$JOB_HOME/logs" -name '*.lock' | wc -l)" -eq 0 ]
	[ "$(find "$JOB_HOME/logs" -name '*.log' | wc -l)" -eq "$n" ]
	[ "$(ls -A "$JOB_HOME/logs" | wc -l)" -eq "$n" ]
	assert_no_leftovers
}

@test "pid reuse: list marks the job interrupted and never takes an unrelated process for it" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup" -- "-$pid"
	wait_for proc_gone "$sup"
	wait_for proc_gone "$pid"
	# An unrelated process, leader of its own group, takes the job's pid
	# in the record (pid_start is left as it was).
	marked setsid sleep 1000 &
	wait_for n_marked 1 '^sleep 1000'
	other=$(marked_pids '^sleep 1000')
	db "UPDATE jobs SET pid = $other WHERE id = '$id'"
	[ "$(db "SELECT status FROM jobs WHERE id = '$id'")" = running ]

	run -0 job list --all --json
	[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.status) \(.reason)"' <<<"$output")" = "interrupted supervisor_lost" ]
	assert_record "$id" '(.processes | length) == 0'
	proc_alive "$other"
	kill -KILL "$other"
	assert_no_leftovers
}

@test "pid reuse: stop never signals an unrelated process that took the job's pid" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup" -- "-$pid"
	wait_for proc_gone "$sup"
	wait_for proc_gone "$pid"
	marked setsid sleep 1000 &
	wait_for n_marked 1 '^sleep 1000'
	other=$(marked_pids '^sleep 1000')
	db "UPDATE jobs SET pid = $other WHERE id = '$id'"

	run -0 tjob 20 stop --force "$id"
	assert_record "$id" '.status == "interrupted" and .reason == "supervisor_lost"'
	proc_alive "$other"
	run -0 tjob 20 stop "$id"
	proc_alive "$other"
	kill -KILL "$other"
	assert_no_leftovers
}

@test "reboot: a running row from another boot with no supervisor is interrupted, reason reboot" {
	start_job 'sleep 1000'
	sup=$(field "$id" .supervisor_pid)
	pid=$(field "$id" .pid)
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	wait_for lock_free "$id"
	db "UPDATE jobs SET boot_id = '00000000-0000-0000-0000-000000000000' WHERE id = '$id'"
	run -0 job list --all --json
	[ "$(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.status) \(.reason)"' <<<"$output")" = "interrupted reboot" ]
	assert_record "$id" '.status == "interrupted" and .reason == "reboot" and .finished_at != null'
	run -1 tjob 20 wait "$id"
	# A process of another boot cannot be this job's: stop leaves the
	# live one alone (in a real reboot it would be gone).
	run -0 tjob 20 stop --force "$id"
	proc_alive "$pid"
	kill -KILL -- "-$pid"
	assert_no_leftovers
}

# stuck_in_d: the test's writer to the frozen filesystem is in
# uninterruptible sleep (not any process passing through state D).
stuck_in_d() {
	local p
	for p in $(marked_pids '^sh -c echo stuck'); do
		[[ $(proc_state "$p") == D ]] && stuck=$p && return 0
	done
	return 1
}

# A write to a frozen filesystem (fsfreeze) sleeps uninterruptibly until
# it thaws: SIGKILL cannot end it.
@test "a leftover that SIGKILL cannot end: the supervisor gives up 10 s after SIGKILL and says so" {
	require_root "mount, fsfreeze"
	local t
	for t in mkfs.ext4 fsfreeze; do
		command -v "$t" >/dev/null || skip "needs $t"
	done
	img="$BATS_TEST_TMPDIR/fs.img"
	mnt="$BATS_TEST_TMPDIR/frozen"
	truncate -s 16M "$img"
	mkfs.ext4 -q -F "$img"
	mkdir "$mnt"
	mount -o loop "$img" "$mnt" || skip "cannot mount a loop device here"
	on_teardown_umount "$mnt"
	fsfreeze --freeze "$mnt"
	on_teardown "[ ! -e is-frozen ] || fsfreeze --unfreeze '$mnt'"
	touch "$BATS_TEST_TMPDIR/is-frozen"
	start_job --grace 300ms "sh -c 'echo stuck >$mnt/f' &
		until [ -e go ]; do sleep 0.02; done"
	wait_for stuck_in_d
	t0=$(uptime_ms)
	touch go
	run -0 tjob 40 wait "$id"
	elapsed=$(($(uptime_ms) - t0))
	((elapsed >= 10300)) || { echo "gave up after ${elapsed}ms"; false; }
	log=$(log_of "$id")
	grep -q '^\[job\] the main process exited; stopping 1 leftover process$' "$log"
	grep -q '^\[job\] 1 process could not be killed$' "$log"
	assert_record "$id" '.status == "completed" and .exit_code == 0 and .reason == "exited"'
	no_supervisors
	# Still there, as the log says, until the filesystem thaws.
	proc_alive "$stuck"
	fsfreeze --unfreeze "$mnt"
	rm "$BATS_TEST_TMPDIR/is-frozen"
	wait_for proc_gone "$stuck"
	assert_no_leftovers
}
