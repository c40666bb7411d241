#!/usr/bin/env bats
# The queue under faults: many submitters at once, waiting supervisors and
# running members killed, a store held busy, a reboot. A queue never runs
# more than its limit, and every job ends truthfully.

load helper

# A job that notes its pid in $RUNDIR while it runs and records in $MAXDIR
# how many noted jobs it saw alive then; the count is taken after its own
# note, so more than the limit running at once shows as a larger count. A
# job killed before it removes its note is not counted: its pid is gone.
counting_job() {
	cat <<-'EOF'
	echo $$ >"$RUNDIR/$JOB_ID"; n=0
	for f in "$RUNDIR"/*; do kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null && n=$((n + 1)); done
	echo $n >"$MAXDIR/$JOB_ID"; sleep 0.3; rm -f "$RUNDIR/$JOB_ID"
	EOF
}

# The waiting supervisor of job $1.
sup_of() { field "$1" .supervisor_pid; }

@test "20 jobs in a queue of parallel 3 from 4 submitters at once never run more than 3" {
	export RUNDIR=$BATS_TEST_TMPDIR/running MAXDIR=$BATS_TEST_TMPDIR/max
	mkdir "$RUNDIR" "$MAXDIR"
	run -0 job queue par --parallel 3
	cmd=$(counting_job)
	for s in 1 2 3 4; do
		(for i in 1 2 3 4 5; do "$JOB_BIN" run --queue par "$cmd" || exit 1; done) \
		    >"$BATS_TEST_TMPDIR/ids.$s" &
		subs+=($!)
	done
	for p in "${subs[@]}"; do wait "$p"; done
	cat "$BATS_TEST_TMPDIR"/ids.* >"$BATS_TEST_TMPDIR/ids"
	[ "$(sort -u "$BATS_TEST_TMPDIR/ids" | grep -cE "$ULID_RE")" = 20 ]
	mapfile -t ids <"$BATS_TEST_TMPDIR/ids"
	run -0 tjob 120 wait "${ids[@]}"
	[ "$(ls "$MAXDIR" | wc -l)" = 20 ]
	max=$(cat "$MAXDIR"/* | sort -n | tail -1)
	[ "$max" -le 3 ]
	# And the limit was used: more than one ran at once.
	[ "$max" -ge 2 ]
	run -0 job queue par --json
	[ "$(jq -c '[.running, .pending]' <<<"$output")" = '[0,0]' ]
	wait_for no_supervisors
}

@test "a killed waiting supervisor leaves its job interrupted and the queue moves on" {
	start_job --queue k 'until [ -e go ]; do sleep 0.02; done'
	first=$id
	start_job --queue k 'echo second'
	second=$id
	start_job --queue k 'echo third'
	third=$id
	sup=$(sup_of "$second")
	[[ $sup =~ ^[0-9]+$ ]]
	proc_alive "$sup"
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	assert_record "$second" '.status == "interrupted" and .reason == "supervisor_lost" and .pid == null'
	touch go
	run -0 tjob 20 wait "$third"
	run -1 tjob 20 wait "$second"
	assert_no_leftovers
}

@test "a member whose supervisor was killed keeps its slot while its process runs, and frees it when the process ends" {
	start_job --queue m 'until [ -e go ]; do sleep 0.02; done'
	first=$id
	pid=$(field "$first" .pid)
	start_job --queue m 'echo next'
	next=$id
	sup=$(sup_of "$first")
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	# Its process runs on: the row stays running, the slot taken.
	sleep 0.5
	status_is "$first" running
	status_is "$next" pending
	proc_alive "$pid"
	# It ends with nobody's help but the waiting job's.
	touch go
	wait_for proc_gone "$pid"
	run -0 tjob 20 wait "$next"
	run -1 tjob 20 wait "$first"
	assert_record "$first" '.status == "interrupted"'
	assert_no_leftovers
}

# The first member of a serial queue ends (go1); the second ($second, which
# writes its pid to second.pid) starts, is recorded with its pid ($pid),
# and loses its supervisor (SIGKILL) while its process runs on.
second_starts_alone() {
	local sup
	touch go1
	wait_for file_exists second.pid
	pid=$(<second.pid)
	wait_for status_is "$second" running
	[ "$(field "$second" .pid)" = "$pid" ]
	sup=$(sup_of "$second")
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	wait_for lock_free "$second"
}

@test "a member that starts and loses its supervisor while a judge holds its old row keeps its slot" {
	run -0 job queue s --parallel 1
	start_job --queue s 'until [ -e go1 ]; do sleep 0.02; done'
	first=$id
	start_job --queue s 'echo $$ >second.pid; until [ -e go2 ]; do sleep 0.02; done'
	second=$id
	# A third submitter's judgement reads the queue's rows (the second
	# still pending) and stops before it settles the lost ones.
	JOB_TEST_STOP=settle-queue FAULT_MARK=$FAULT_MARK \
	    "$JOB_BIN" run --queue s 'echo third' >"$BATS_TEST_TMPDIR/run.out" &
	runpid=$!
	wait_for state_is "$runpid" T
	# Meanwhile the second starts, is recorded, and loses its supervisor.
	second_starts_alone
	kill -CONT "$runpid"
	wait "$runpid"
	third=$(<"$BATS_TEST_TMPDIR/run.out")
	[[ $third =~ $ULID_RE ]]
	# The second's process runs on: its row stays running, the slot taken.
	proc_alive "$pid"
	status_is "$second" running
	status_is "$third" pending
	touch go2
	wait_for proc_gone "$pid"
	run -0 tjob 20 wait "$third"
	run -1 tjob 20 wait "$second"
	assert_record "$second" '.status == "interrupted" and .reason == "supervisor_lost"'
	assert_no_leftovers
}

@test "a stop that read a pending row before the job started and lost its supervisor still stops it" {
	run -0 job queue t --parallel 1
	start_job --queue t 'until [ -e go1 ]; do sleep 0.02; done'
	start_job --queue t 'echo $$ >second.pid; until [ -e go2 ]; do sleep 0.02; done'
	second=$id
	# The stop reads the second's row (pending, no process yet) and
	# stops before it looks at the lock.
	JOB_TEST_STOP=stop-read FAULT_MARK=$FAULT_MARK \
	    "$JOB_BIN" stop --grace 1s "$second" >/dev/null 2>&1 &
	stoppid=$!
	wait_for state_is "$stoppid" T
	# Meanwhile the second starts and loses its supervisor.
	second_starts_alone
	kill -CONT "$stoppid"
	wait "$stoppid"
	# The stop found the orphan it did not see at first, and ended it.
	wait_for proc_gone "$pid"
	assert_record "$second" '.status == "stopped"'
	assert_no_leftovers
}

@test "a waiting supervisor sleeps: no wake-ups in 5 s, and it stays small" {
	start_job 'until [ -e go ]; do sleep 0.1; done'
	dep=$id
	start_job --after "$dep" 'true'
	waiting=$id
	sup=$(sup_of "$waiting")
	# Let its first look settle.
	sleep 0.5
	before=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$sup/status")
	sleep 5
	after=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$sup/status")
	[ "$before" = "$after" ]
	sanitized || [ "$(vmrss_kb "$sup")" -le 4096 ]
	touch go
	run -0 tjob 20 wait "$waiting"
}

@test "a store held busy when a slot frees: the waiting job starts once it is released" {
	start_job --queue b 'until [ -e go ]; do sleep 0.02; done'
	first=$id
	start_job --queue b 'echo second'
	second=$id
	hold_write_lock
	touch go
	sleep 1
	# Nothing could record anything: both rows are as they were.
	[ "$(db "SELECT status FROM jobs WHERE id = '$second'")" = pending ]
	release_write_lock
	run -0 tjob 30 wait "$second"
	run -0 tjob 30 wait "$first"
	assert_no_leftovers
}

@test "reboot: a pending job from another boot is interrupted, reason reboot" {
	start_job 'sleep 1000'
	dep=$id
	start_job --after "$dep" 'true'
	waiting=$id
	sup=$(sup_of "$waiting")
	kill -KILL "$sup"
	wait_for proc_gone "$sup"
	db "UPDATE jobs SET boot_id = '00000000-0000-0000-0000-000000000000' WHERE id = '$waiting'"
	assert_record "$waiting" '.status == "interrupted" and .reason == "reboot"'
	run -0 job stop "$dep"
}

@test "job run killed after recording a queued job: interrupted, and the queue moves on" {
	start_job --queue c 'until [ -e go ]; do sleep 0.02; done'
	first=$id
	for point in after-insert after-spawn; do
		run -137 env JOB_TEST_CRASH="$point" JOBTEST_MARK="$JOBTEST_MARK" \
		    "$JOB_BIN" run --queue c 'echo lost'
	done
	start_job --queue c 'echo last'
	last=$id
	touch go
	run -0 tjob 30 wait "$last"
	run -0 job list --json --limit 0
	# The one killed before its supervisor existed is interrupted; the one
	# killed after it started ran (its supervisor recorded it).
	run -0 tjob 30 wait "$first"
	run -0 job list --json --limit 0
	[ "$(jq -c '[.[] | .status] | sort' <<<"$output")" = '["completed","completed","completed","interrupted"]' ]
	[ "$(jq -r '.[] | select(.status == "interrupted") | .reason' <<<"$output")" = supervisor_lost ]
	assert_no_leftovers
}

@test "processes killed at random: every job ends truthfully and the queue drains" {
	export RUNDIR=$BATS_TEST_TMPDIR/running MAXDIR=$BATS_TEST_TMPDIR/max
	mkdir "$RUNDIR" "$MAXDIR"
	run -0 job queue r --parallel 2
	cmd=$(counting_job)
	for i in $(seq 16); do
		start_job --queue r "$cmd"
		ids+=("$id")
	done
	# Kill a waiting supervisor, a running member's supervisor, a running
	# member's process, and a submitter in the middle of its run.
	for round in 1 2 3 4 5 6; do
		mapfile -t pend < <(job list --json --limit 0 --status pending | jq -r '.[].supervisor_pid // empty')
		mapfile -t runs < <(job list --json --limit 0 --status running | jq -r '.[] | "\(.supervisor_pid) \(.pid)"')
		if ((${#pend[@]})); then
			kill -KILL "${pend[RANDOM % ${#pend[@]}]}" 2>/dev/null || :
		fi
		if ((${#runs[@]})); then
			r=${runs[RANDOM % ${#runs[@]}]}
			if ((RANDOM % 2)); then
				kill -KILL "${r% *}" 2>/dev/null || :
			else
				kill -KILL "${r#* }" 2>/dev/null || :
			fi
		fi
		JOB_TEST_CRASH=after-insert "$JOB_BIN" run --queue r "$cmd" >/dev/null 2>&1 || :
		sleep 0.2
	done
	# Everything ends: no job stays active.
	all_ended() {
		[ "$(job list --json --limit 0 --all | jq '[.[] | select(.status == "pending" or .status == "running")] | length')" = 0 ]
	}
	wait_for -t 90 all_ended
	run -0 job list --json --limit 0 --all
	# Completed jobs ran; interrupted ones say why; none ran twice.
	[ "$(jq '[.[] | select(.status == "completed")] | length' <<<"$output")" -ge 1 ]
	[ "$(jq '[.[] | select(.status == "interrupted" and (.reason | test("supervisor_lost|reboot") | not))] | length' <<<"$output")" = 0 ]
	[ "$(jq '[.[] | select(.status == "completed" and .pid == null)] | length' <<<"$output")" = 0 ]
	# Never more than the limit at once.
	if [ -n "$(ls "$MAXDIR")" ]; then
		[ "$(cat "$MAXDIR"/* | sort -n | tail -1)" -le 2 ]
	fi
	run -0 job queue r --json
	[ "$(jq -c '[.running, .pending]' <<<"$output")" = '[0,0]' ]
	kill_marked
	assert_no_leftovers
}

@test "without inotify (its instances exhausted) a waiting job looks once a second and still starts" {
	unshare -U -r true 2>/dev/null || skip "no user namespaces"
	start_job 'until [ -e go ]; do sleep 0.02; done'
	dep=$id
	# Inside a user namespace whose inotify limit is 0, as when a user's
	# 128 instances are taken.
	run -0 marked unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_inotify_instances && exec "$0" run --after "$1" "echo late"' "$JOB_BIN" "$dep"
	waiting=$output
	[[ $waiting =~ $ULID_RE ]]
	sup=$(sup_of "$waiting")
	run -1 grep -q inotify < <(ls -l "/proc/$sup/fd")
	touch go
	run -0 tjob 20 wait "$waiting"
	run -0 job logs "$waiting"
	[ "$output" = late ]
}

@test "a dependency cleaned between its resolution and the insert: the run is refused, not failed with dependency_failed" {
	start_job --name dep 'true'
	dep=$id
	run -0 tjob 20 wait "$dep"
	# job run resolves --after dep, then stops before it records the job.
	JOB_TEST_STOP=before-insert FAULT_MARK=$FAULT_MARK \
	    "$JOB_BIN" run --after dep 'echo ran' >"$BATS_TEST_TMPDIR/run.out" \
	    2>"$BATS_TEST_TMPDIR/run.err" &
	runpid=$!
	wait_for state_is "$runpid" T
	# Meanwhile the completed dependency is cleaned (nothing waits on it
	# yet in the store).
	run -0 job clean --all
	run -1 job status "$dep"
	kill -CONT "$runpid"
	rc=0
	wait "$runpid" || rc=$?
	# dep completed: a job recorded as waiting for it must not end
	# "dependency_failed". Either the run is refused (the reference is
	# gone: not_found, nothing created) or the job runs.
	if ((rc == 0)); then
		id=$(<"$BATS_TEST_TMPDIR/run.out")
		run -0 tjob 20 wait "$id"
		assert_record "$id" '.status == "completed"'
	else
		[ "$(job list --json --limit 0 --all | jq length)" = 0 ]
	fi
}

@test "a stop committed while the waiting job's turn is being judged: the job never runs" {
	run -0 job queue sq --pause
	start_job --queue sq "touch '$BATS_TEST_TMPDIR/ran'; sleep 1"
	b=$id
	sup=$(sup_of "$b")
	[[ $sup =~ ^[0-9]+$ ]]
	# The queue resumes (no doorbell yet), then the store is held busy and
	# the doorbell rung: B's judge sees its turn and waits for the write
	# lock to claim it.
	db "UPDATE queues SET paused = 0 WHERE name = 'sq'"
	hold_write_lock
	touch "$JOB_HOME/logs/queues.bell"
	has_child() { [[ -n $(cat "/proc/$1/task/$1/children" 2>/dev/null) ]]; }
	wait_for has_child "$sup"
	sleep 0.3
	# What job stop does, in the same order: the request is committed,
	# then the supervisor gets SIGTERM. The request lands before the claim.
	printf "UPDATE jobs SET stop_signal = 'SIGTERM', stop_grace_ms = 5000 WHERE id = '%s';\n" "$b" >&7
	release_write_lock
	kill -TERM "$sup"
	wait_for -t 20 proc_gone "$sup"
	# Stopped before it started: its command never ran.
	[ ! -e "$BATS_TEST_TMPDIR/ran" ]
	assert_record "$b" '.status == "stopped" and .pid == null and .signal == null'
	run -1 tjob 20 wait "$b"
}

@test "a waiting job's --env values are not shown to other users in its supervisor's command line" {
	start_job --queue sec 'until [ -e go ]; do sleep 0.02; done'
	first=$id
	start_job --queue sec --env API_TOKEN=s3cr3t-4711 'echo "$API_TOKEN"'
	b=$id
	sup=$(sup_of "$b")
	[[ $sup =~ ^[0-9]+$ ]]
	# /proc/PID/cmdline is readable by every user (ps shows it); a job's
	# environment is not (/proc/PID/environ is its owner's only), and a job
	# that starts at once keeps --env there.
	[ "$(stat -c %a "/proc/$sup/cmdline")" = 444 ]
	run -1 grep -qa s3cr3t-4711 "/proc/$sup/cmdline"
	touch go
	run -0 tjob 20 wait "$b"
	run -0 job logs "$b"
	[ "$output" = s3cr3t-4711 ]
}

@test "a judge child that dies after claiming the turn: the job still starts (its supervisor is alive)" {
	command -v strace >/dev/null || skip "needs strace"
	run -0 job queue jc --pause
	start_job --queue jc "echo ran"
	b=$id
	sup=$(sup_of "$b")
	[[ $sup =~ ^[0-9]+$ ]]
	# The judge child's first write() is its verdict, sent after the claim
	# is committed (SQLite writes with pwrite64): failing it is the child
	# dying between its commit and its answer, as a kill -9 there would.
	JOBTEST_MARK=$JOBTEST_MARK strace -f -qq -o /dev/null -p "$sup" \
	    -e trace=write -e inject=write:error=EIO:when=1 &
	stpid=$!
	traced() { ! grep -q '^TracerPid:[[:space:]]*0$' "/proc/$sup/status"; }
	wait_for traced
	run -0 job queue jc --resume
	# The claim is committed: the row is running without a process.
	claimed() { [ "$(db "SELECT status || ' ' || coalesce(pid, 'none') FROM jobs WHERE id = '$b'")" = "running none" ]; }
	wait_for claimed
	kill "$stpid"
	wait "$stpid" || :
	# Nothing but a helper died: the job runs and completes.
	run -0 tjob 20 wait "$b"
	run -0 job logs "$b"
	[ "$output" = ran ]
}

@test "a store busy when job run claims a free slot: nothing half-created, and trying again with the key runs the job" {
	# job run records the queued job, then (the queue is free) claims its
	# slot in a second transaction. The store turns busy in between.
	JOB_TEST_STOP=after-insert JOB_BUSY_TIMEOUT=300ms FAULT_MARK=$FAULT_MARK \
	    "$JOB_BIN" run --key k1 --queue bz "touch '$BATS_TEST_TMPDIR/ran'" \
	    >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" &
	runpid=$!
	wait_for state_is "$runpid" T
	hold_write_lock
	kill -CONT "$runpid"
	rc=0
	wait "$runpid" || rc=$?
	release_write_lock
	if ((rc == 0)); then
		# It may also wait and start once the store is free.
		id=$(<"$BATS_TEST_TMPDIR/run.out")
		run -0 tjob 20 wait "$id"
	else
		# A busy error says "try again": the retry with the same key
		# must run the command, not hand back a job that never ran.
		grep -q busy "$BATS_TEST_TMPDIR/run.err"
		run -0 job run --key k1 --queue bz "touch '$BATS_TEST_TMPDIR/ran'"
		id=$output
		run -0 tjob 20 wait "$id"
	fi
	[ -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "a job far back in a queue does not judge its turn at every end ahead of it" {
	command -v strace >/dev/null || skip "needs strace"
	start_job --queue far 'until [ -e go ]; do sleep 0.02; done'
	for i in 1 2 3 4 5; do start_job --queue far 'true'; done
	start_job --queue far 'echo last'
	last=$id
	sup=$(sup_of "$last")
	marked strace -f -qq -e trace=fork,vfork,clone,clone3 -o "$BATS_TEST_TMPDIR/trace" -p "$sup" &
	tracer=$!
	wait_for grep -q . "/proc/$sup/status"
	sleep 0.5
	touch go
	run -0 tjob 60 wait "$last"
	wait "$tracer" || :
	# Six ends come before its turn; it judges once or twice, then starts
	# the command (vfork) and records it (fork): not a judgement per end.
	forks=$(grep -cE '(fork|clone3?)\(' "$BATS_TEST_TMPDIR/trace")
	[ "$forks" -le 5 ]
	[ "$forks" -ge 2 ]
}

@test "when the machine refuses more processes, job run says so and nothing is left half-made" {
	require_root "setpriv to an unprivileged user"
	command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
	    skip "needs setpriv and prlimit"
	# Out of the test's own folder, which that user cannot enter.
	home=$(mktemp -d /tmp/job-nobody.XXXXXX)
	on_teardown rm -rf "$home"
	chown 65534:65534 "$home"
	for try in "1" "1 --queue q" "2" "2 --queue q"; do
		# One process allowed to this user (job run itself), or two
		# (and the first fork): the next fork fails, as it does when a
		# machine is out of processes.
		# shellcheck disable=SC2086
		set -- $try
		n=$1
		shift
		run --separate-stderr env JOB_HOME="$home" HOME="$home" \
		    prlimit --nproc="$n" setpriv --reuid=65534 --regid=65534 \
		    --clear-groups "$JOB_BIN" --json run "$@" -- true
		[ "$status" -eq 1 ]
		[ "$(jq -r .error.code <<<"$stderr")" = spawn_failed ]
		[[ $(jq -r .error.message <<<"$stderr") == *"refuses more processes"* ]]
	done
	# Each attempt is one complete record, failed: nothing pending, no
	# lock left behind.
	run -0 env JOB_HOME="$home" HOME="$home" setpriv --reuid=65534 \
	    --regid=65534 --clear-groups "$JOB_BIN" list --json --all --limit 0
	[ "$(jq -c '[.[] | .status + "/" + .reason] | unique' <<<"$output")" = '["failed/spawn_failed"]' ]
	[ "$(jq length <<<"$output")" = 4 ]
	[ -z "$(find "$home/logs" -name '*.lock*')" ]
}
