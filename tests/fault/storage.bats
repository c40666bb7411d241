#!/usr/bin/env bats
# Storage faults: stores that are newer, foreign, not SQLite or corrupt; a
# full disk (file size limit, full tmpfs); logs deleted or replaced by a
# symbolic link under a running job; a JOB_HOME that cannot be used.

load helper

# sums: sha256 of the store and of its WAL's content (a missing WAL counts
# as empty: opening a WAL-mode store creates an empty one, and its -shm
# index, which hold nothing), to prove a refused store is untouched.
sums() {
	sha256sum <"$JOB_HOME/job.db"
	cat "$JOB_HOME/job.db-wal" 2>/dev/null | sha256sum
}

# every_command_refuses CODE ERE: list, run, status (with and without a
# reference) and clean fail with exit 1, CODE and a message matching ERE.
every_command_refuses() {
	local code=$1 re=$2
	expect_error 1 "$code" "$re" list
	expect_error 1 "$code" "$re" run 'exit 0'
	expect_error 1 "$code" "$re" status
	expect_error 1 "$code" "$re" status 01
	expect_error 1 "$code" "$re" clean --all
	expect_error_text 1 "$re" list
	expect_error_text 1 "$re" run 'exit 0'
}

@test "a store with a newer schema (user_version 99) is refused untouched" {
	run -0 job run --wait 'exit 0'
	db 'PRAGMA user_version = 99'
	before=$(sums)
	logs_before=$(ls -A "$JOB_HOME/logs")
	every_command_refuses store "job\.db.*99"
	[ "$(sums)" = "$before" ]
	[ "$(ls -A "$JOB_HOME/logs")" = "$logs_before" ]
	[ "$(db 'PRAGMA user_version')" -eq 99 ]
	assert_no_leftovers
}

@test "a store made by another program (application_id set) is refused untouched" {
	mkdir -m 700 "$JOB_HOME"
	db 'CREATE TABLE t(x); INSERT INTO t VALUES (42); PRAGMA application_id = 305419896;'
	before=$(sums)
	every_command_refuses store "job\.db.*another program"
	[ "$(sums)" = "$before" ]
	[ "$(db 'SELECT x FROM t')" = 42 ]
	[ "$(db 'PRAGMA journal_mode')" = delete ]
	assert_no_leftovers
}

# There is no real schema 0 (version 1 is the first). What can be tested:
# a SQLite file with user_version 0 and no application id is taken as a
# new store: the schema is added and nothing that was there is lost.
@test "an SQLite file with user_version 0 and an unrelated table gets the schema, keeping its data" {
	mkdir -m 700 "$JOB_HOME"
	db 'CREATE TABLE notes(x); INSERT INTO notes VALUES (42);'
	run -0 job run --wait 'exit 0'
	# Every migration ran: the latest schema, as the binary reports it.
	version=$(db 'PRAGMA user_version')
	[ "$version" -ge 2 ]
	[ "$(job status --json | jq .schema_version)" = "$version" ]
	[ "$(db 'SELECT x FROM notes')" = 42 ]
	[ "$(rows)" -eq 1 ]
	run -0 job list --json
	[ "$(jq -r '.[0].status' <<<"$output")" = completed ]
	assert_no_leftovers
}

@test "an SQLite file with user_version 0 and its own 'jobs' table is refused, its data kept" {
	mkdir -m 700 "$JOB_HOME"
	db 'CREATE TABLE jobs(x); INSERT INTO jobs VALUES (42);'
	expect_error 1 store 'job\.db' list
	expect_error 1 store 'job\.db' run 'exit 0'
	[ "$(db 'SELECT x FROM jobs')" = 42 ]
	[ "$(db 'PRAGMA user_version')" -eq 0 ]
	[ -z "$(ls -A "$JOB_HOME/logs")" ]
	assert_no_leftovers
}

@test "a job.db that is not a SQLite database is refused untouched by every command" {
	mkdir -m 700 "$JOB_HOME"
	head -c 16384 /dev/urandom >"$JOB_HOME/job.db"
	before=$(sums)
	every_command_refuses store "job\.db"
	[ "$(sums)" = "$before" ]
	[ ! -e "$JOB_HOME/job.db-wal" ]
	[ -z "$(ls -A "$JOB_HOME/logs")" ]
	assert_no_leftovers
}

@test "a corrupt store (its pages overwritten) is refused untouched by every command" {
	for i in 1 2 3; do run -0 job run --wait "echo $i"; done
	db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	size=$(stat -c %s "$JOB_HOME/job.db")
	((size > 4096))
	# Every page but the first (the schema) becomes 0xFF bytes.
	head -c $((size - 4096)) /dev/zero | tr '\0' '\377' |
	    dd of="$JOB_HOME/job.db" bs=4096 seek=1 conv=notrunc 2>/dev/null
	before=$(sums)
	logs_before=$(ls -A "$JOB_HOME/logs")
	every_command_refuses store "job\.db.*corrupt"
	[ "$(sums)" = "$before" ]
	[ "$(ls -A "$JOB_HOME/logs")" = "$logs_before" ]
	assert_no_leftovers
}

@test "disk full (file size limit): the job completes, the log keeps what fit, the drop is recorded" {
	run -0 job run --wait 'exit 0'
	# 1 MiB for the log (the store's files stay far below it), 3 MiB
	# printed. The supervisor inherits the limit from `job run`.
	run -0 bash -c 'ulimit -f 1024; JOBTEST_MARK=$0 timeout -k 5 60 "$1" run --wait "head -c 3145728 /dev/zero | tr \"\\0\" x; echo; echo done"' \
	    "$JOBTEST_MARK" "$JOB_BIN"
	[[ $output =~ ^([0-9A-Z]{26})\ -\ completed\ exit=0 ]] || { show; false; }
	id=${BASH_REMATCH[1]}
	assert_record "$id" '.status == "completed" and .exit_code == 0 and .reason == "exited"'
	assert_record "$id" '.log_bytes == 1048576 and .log_dropped == 3145734 - 1048576'
	[ "$(file_size "$(log_of "$id")")" -eq 1048576 ]
	# What fit is exactly the start of the output.
	[ "$(job logs "$id" | tr -d x | wc -c)" -eq 0 ]
	run -0 job status "$id"
	[[ $output == *2097158* ]] || { show; false; }
	[[ $output =~ truncated|dropped ]]
	run -0 job logs --json "$id"
	valid_json <<<"$output"
	[ "$(jq .size <<<"$output")" -eq 1048576 ]
	assert_no_leftovers
}

@test "disk full (tmpfs): output is dropped and counted, and written again with a note once space returns" {
	require_root mount
	mkdir -p -m 700 "$JOB_HOME/logs"
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$JOB_HOME/logs"
	on_teardown_umount "$JOB_HOME/logs"
	head -c 131072 /dev/zero >"$JOB_HOME/logs/filler"
	start_job 'head -c 524288 /dev/zero | tr "\0" y; echo; touch printed
		until [ -e release ]; do sleep 0.02; done
		i=0
		until grep -q "^after$" "$JOB_HOME/logs/$JOB_ID.log" || [ $i -ge 500 ]; do
			echo after; i=$((i + 1)); sleep 0.02
		done'
	wait_for file_exists printed
	rm "$JOB_HOME/logs/filler"
	touch release
	run -0 tjob 30 wait "$id"
	log=$(log_of "$id")
	grep -q '^after$' "$log"
	note=$(grep -a '^\[job\] [0-9]* bytes of output dropped' "$log")
	[ "$(printf '%s\n' "$note" | wc -l)" -eq 1 ]
	noted=$(sed -E 's/^\[job\] ([0-9]+) bytes.*/\1/' <<<"$note")
	((noted > 0))
	assert_record "$id" ".status == \"completed\" and .exit_code == 0 and .log_dropped == $noted"
	# The kept output is the start of what was printed, then the note.
	first=$(grep -an '^\[job\]' "$log" | head -n1 | cut -d: -f1)
	[ "$(head -n $((first - 1)) "$log" | tr -d 'y\n' | wc -c)" -eq 0 ]
	assert_no_leftovers
}

@test "a log deleted under a running job: the record stays true; logs fails cleanly" {
	start_job 'until [ -e release ]; do sleep 0.02; done; echo after; exit 3'
	rm "$(log_of "$id")"
	touch release
	run -3 tjob 20 wait "$id"
	assert_record "$id" '.status == "failed" and .exit_code == 3 and .reason == "exited"'
	expect_error 1 io "$id" logs "$id"
	expect_error_text 1 "$id" logs "$id"
	[ ! -e "$(log_of "$id")" ]
	run -0 job clean --all --json
	[ "$(jq -c .removed <<<"$output")" = "[\"$id\"]" ]
	assert_no_leftovers
}

@test "a log replaced by a symlink under a running job: the target is never written; logs fails cleanly" {
	target="$BATS_TEST_TMPDIR/outside"
	printf 'original\n' >"$target"
	touch -d '2000-01-01' "$target"
	before=$(stat -c '%s %Y' "$target")
	start_job 'until [ -e release ]; do sleep 0.02; done; echo after; exit 3'
	log=$(log_of "$id")
	rm "$log"
	ln -s "$target" "$log"
	touch release
	run -3 tjob 20 wait "$id"
	assert_record "$id" '.status == "failed" and .exit_code == 3'
	[ "$(cat "$target")" = original ]
	[ "$(stat -c '%s %Y' "$target")" = "$before" ]
	expect_error 1 io "$id" logs "$id"
	expect_error 1 io "$id" logs --json --since 0 "$id"
	expect_error_text 1 "$id" logs --tail 5 "$id"
	run -0 job clean --all
	[ ! -L "$log" ]
	[ "$(cat "$target")" = original ]
	assert_no_leftovers
}

@test "JOB_HOME on a read-only mount: every command fails with exit 1 and says why" {
	require_root mount
	run -0 job run --wait 'exit 0'
	before=$(sums)
	mount --bind "$JOB_HOME" "$JOB_HOME"
	on_teardown_umount "$JOB_HOME"
	mount -o remount,ro,bind "$JOB_HOME"
	for cmd in list 'run exit_0' status; do
		# shellcheck disable=SC2086
		expect_error 1 io "$JOB_HOME.*(writable|[Rr]ead-only)" ${cmd/_/ }
	done
	expect_error_text 1 "$JOB_HOME" run 'exit 0'
	umount "$JOB_HOME"
	[ "$(sums)" = "$before" ]
	[ "$(rows)" -eq 1 ]
	assert_no_leftovers
}

@test "a new JOB_HOME that cannot be created: read-only mount, immutable folder" {
	require_root "mount, chattr +i"
	mkdir "$BATS_TEST_TMPDIR/ro"
	mount -t tmpfs -o size=64k,ro tmpfs "$BATS_TEST_TMPDIR/ro"
	on_teardown_umount "$BATS_TEST_TMPDIR/ro"
	JOB_HOME="$BATS_TEST_TMPDIR/ro/home" expect_error 1 io "ro/home" run 'exit 0'
	[ ! -e "$BATS_TEST_TMPDIR/ro/home" ]

	mkdir -m 700 "$BATS_TEST_TMPDIR/immutable"
	chattr +i "$BATS_TEST_TMPDIR/immutable" || skip "chattr +i is not supported here"
	on_teardown_chattr "$BATS_TEST_TMPDIR/immutable"
	JOB_HOME="$BATS_TEST_TMPDIR/immutable" expect_error 1 io "immutable" run 'exit 0'
	JOB_HOME="$BATS_TEST_TMPDIR/immutable" expect_error 1 io "immutable" list
	chattr -i "$BATS_TEST_TMPDIR/immutable"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/immutable")" ]
	assert_no_leftovers
}

@test "JOB_HOME with a missing parent, or a file where a folder should be: exit 1, says why" {
	JOB_HOME=/nonexistent/a/b expect_error 1 io '/nonexistent/a/b' run 'exit 0'
	JOB_HOME=/nonexistent/a/b expect_error_text 1 '/nonexistent/a/b' list
	[ ! -e /nonexistent ]

	touch "$BATS_TEST_TMPDIR/afile"
	JOB_HOME="$BATS_TEST_TMPDIR/afile" expect_error 1 io 'afile.*not a folder' run 'exit 0'
	JOB_HOME="$BATS_TEST_TMPDIR/afile" expect_error 1 io 'afile.*not a folder' list
	[ ! -s "$BATS_TEST_TMPDIR/afile" ]

	mkdir -m 700 "$JOB_HOME"
	touch "$JOB_HOME/logs"
	expect_error 1 io 'logs.*not a folder' run 'exit 0'
	[ ! -e "$JOB_HOME/job.db" ] || [ "$(rows)" -eq 0 ]
	rm "$JOB_HOME/logs"

	mkdir "$JOB_HOME/job.db"
	expect_error 1 store 'job\.db' run 'exit 0'
	expect_error 1 store 'job\.db' list
	[ -z "$(ls -A "$JOB_HOME/job.db")" ]
	assert_no_leftovers
}

@test "store on a full disk: writes fail with code store, reads work, nothing stray; a waiting supervisor records its end once space returns" {
	require_root mount
	mkdir -p "$JOB_HOME"
	mount -t tmpfs -o size=512k,mode=0700 tmpfs "$JOB_HOME"
	on_teardown_umount "$JOB_HOME"
	run -0 job run --wait 'echo first'
	start_job 'until [ -e release ]; do sleep 0.02; done; exit 4'
	waiting=$id
	pid=$(field "$waiting" .pid)
	logs_before=$(ls -A "$JOB_HOME/logs")
	# dd stops, with status 1, when the disk is full.
	run -1 dd if=/dev/zero of="$JOB_HOME/filler" bs=4k
	[ "$(df --output=avail "$JOB_HOME" | tail -n1 | tr -d ' ')" -eq 0 ]

	for i in 1 2 3; do
		expect_error 1 store 'job\.db.*full' run 'exit 0'
	done

	expect_error_text 1 'full' run 'exit 0'
	[ "$(ls -A "$JOB_HOME/logs")" = "$logs_before" ]
	run -0 job list --json
	[ "$(jq length <<<"$output")" -eq 2 ]
	run -0 job logs "$(jq -r '.[1].id' <<<"$output")"
	[ "$output" = first ]

	# The job ends while the disk is full: its supervisor keeps its lock
	# and retries until the end can be recorded.
	touch release
	wait_for proc_gone "$pid"
	lock_held "$waiting"
	run -0 job status --json "$waiting"
	[ "$(jq -r .status <<<"$output")" = running ]
	run -75 tjob 20 wait --timeout 300ms "$waiting"

	rm "$JOB_HOME/filler"
	run -4 tjob 30 wait "$waiting"
	assert_record "$waiting" '.status == "failed" and .exit_code == 4'
	run -0 job run --wait 'exit 0'
	run -0 job clean --json
	[ "$(jq .stray_files <<<"$output")" -eq 0 ]
	[ "$(rows)" -eq 3 ]
	assert_no_leftovers
}

# A real FUSE filesystem: bindfs mirrors a folder through /dev/fuse.
@test "a JOB_HOME on a FUSE filesystem is refused and nothing is created; tmpfs is accepted" {
	require_root "mount, bindfs"
	command -v bindfs >/dev/null || skip "needs bindfs (apt-get install bindfs)"
	[[ -c /dev/fuse ]] || skip "needs /dev/fuse"
	under="$BATS_TEST_TMPDIR/under"
	fuse="$BATS_TEST_TMPDIR/fuse"
	mkdir -m 700 "$under" "$fuse"
	bindfs "$under" "$fuse"
	on_teardown_umount "$fuse"
	[[ $(stat -f -c %T "$fuse") == fuse* ]]
	for home in "$fuse" "$fuse/new"; do
		JOB_HOME=$home expect_error 1 io "$home.*network or FUSE" run 'exit 0'
		JOB_HOME=$home expect_error 1 io "$home.*network or FUSE" list
		JOB_HOME=$home expect_error 1 io "$home.*network or FUSE" status
		JOB_HOME=$home expect_error_text 1 "FUSE" run 'exit 0'
	done
	# Refused before anything was written there.
	[ -z "$(ls -A "$under")" ]
	# tmpfs is local memory, and WAL works on it.
	mkdir "$BATS_TEST_TMPDIR/tmpfs"
	mount -t tmpfs -o size=8m,mode=0700 tmpfs "$BATS_TEST_TMPDIR/tmpfs"
	on_teardown_umount "$BATS_TEST_TMPDIR/tmpfs"
	[ "$(stat -f -c %T "$BATS_TEST_TMPDIR/tmpfs")" = tmpfs ]
	export JOB_HOME="$BATS_TEST_TMPDIR/tmpfs/home"
	run -0 job run --wait 'echo on tmpfs'
	id=${output%% *}
	[ "$(job logs "$id")" = "on tmpfs" ]
	[ "$(db 'PRAGMA journal_mode')" = wal ]
	assert_no_leftovers
}

# `--json` may come before or after the command's name (job(1)); errors
# found while opening JOB_HOME and the store must be JSON either way.
@test "--json after the command name: JOB_HOME and store errors are JSON too" {
	JOB_HOME=/nonexistent/a/b JSON_POS=after expect_error 1 io '/nonexistent/a/b' status
	JOB_HOME=/nonexistent/a/b JSON_POS=after expect_error 1 io '/nonexistent/a/b' run 'exit 0'
	mkdir -m 777 "$JOB_HOME"
	chmod 777 "$JOB_HOME"
	JSON_POS=after expect_error 1 io "$JOB_HOME.*writable" list
	chmod 700 "$JOB_HOME"
	head -c 16384 /dev/urandom >"$JOB_HOME/job.db"
	JSON_POS=after expect_error 1 store 'job\.db' list
	JSON_POS=after expect_error 1 store 'job\.db' run 'exit 0'
	JSON_POS=after expect_error 1 store 'job\.db' status 01
	JSON_POS=after expect_error 1 store 'job\.db' wait 01
	# The same errors with --json first are JSON (for comparison).
	expect_error 1 store 'job\.db' list
	assert_no_leftovers
}

# wal_pages: how many pages the WAL file holds (4 KiB pages, 24-byte frame
# headers), 0 when there is none. Never through sqlite3, which would
# checkpoint it on close.
wal_pages() {
	local size
	size=$(stat -c %s "$JOB_HOME/job.db-wal" 2>/dev/null) || size=0
	echo $(((size > 32 ? size - 32 : 0) / 4120))
}

@test "jobs ending one after another keep the WAL small: their supervisors copy it into job.db and start it over" {
	local turn most=0 pages
	for turn in $(seq 40); do
		# Half with a waiter, which records the end before the
		# supervisor does; half without.
		if ((turn % 2)); then
			run -0 job run --wait true
			id=${output%% *}
		else
			start_job true
		fi
		sup=$(field "$id" .supervisor_pid)
		wait_for lock_gone "$id"
		wait_for proc_gone "$sup"
		pages=$(wal_pages)
		((pages > most)) && most=$pages
	done
	echo "the WAL held at most $most pages"
	# A job writes fewer than 16 pages; supervisors copy the WAL at 64.
	((most < 64 + 16))
}
