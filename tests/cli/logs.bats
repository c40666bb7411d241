#!/usr/bin/env bats
# The log: complete, sliced by lines or byte offsets, followed, and as JSON.

load helper

@test "leftover processes are killed when the main process exits" {
	run -0 job run 'sleep 1000 & echo started'
	id=$output
	run -0 tjob 20 wait "$id"
	wait_for no_marked '^sleep 1000'
	[ "$(field "$id" .status)" = completed ]
	run -0 job logs "$id"
	[ "${lines[0]}" = started ]
	[[ ${lines[-1]} == "[job] "*leftover* ]]
}

@test "leftovers that called setsid are killed too" {
	run -0 job run 'setsid sleep 1000 & echo started'
	id=$output
	run -0 tjob 20 wait "$id"
	wait_for no_marked '^sleep 1000'
}

@test "1 MiB of binary output arrives whole" {
	head -c 1048576 /dev/urandom >data.bin
	run_to_end 'cat data.bin'
	[ "$(field "$id" .status)" = completed ]
	log=$(field "$id" .log_path)
	[ "$log" = "$JOB_HOME/logs/$id.log" ]
	[ "$(stat -c %s "$log")" = 1048576 ]
	[ "$(field "$id" .log_bytes)" = 1048576 ]
	[ "$(sha256sum <"$log")" = "$(sha256sum <data.bin)" ]
	[ "$(job logs "$id" | sha256sum)" = "$(sha256sum <data.bin)" ]
}

@test "1 MiB of base64 text arrives whole, as from the command run directly" {
	head -c 1048576 /dev/urandom >data.bin
	cmd='base64 data.bin; echo tail-line >&2'
	sh -c "$cmd" >direct.out 2>&1
	run_to_end "$cmd"
	log=$(field "$id" .log_path)
	[ "$(stat -c %s "$log")" = "$(stat -c %s direct.out)" ]
	[ "$(sha256sum <"$log")" = "$(sha256sum <direct.out)" ]
}

@test "a job that writes without newline leaves the bytes as written" {
	run_to_end 'printf abc; printf def >&2'
	run -0 job logs "$id"
	[ "$output" = abcdef ]
	[ "$(job logs "$id" | wc -c)" = 6 ]
}

@test "logs --tail N, --head N" {
	run_to_end 'seq 10'
	# --tail says first how many lines it left out.
	run -0 job logs --tail 3 "$id"
	[ "$output" = "$(printf '[... 7 lines omitted; job logs %s for all]\n' "$id"; seq 8 10)" ]
	run -0 job logs -n 1 "$id"
	[ "$output" = "$(printf '[... 9 lines omitted; job logs %s for all]\n' "$id"; echo 10)" ]
	run -0 job logs --head 2 "$id"
	[ "$output" = "$(seq 1 2)" ]
	run -0 job logs --head 0 "$id"
	[ "$output" = "" ]
	run -0 job logs --tail 100 "$id"
	[ "$output" = "$(seq 10)" ]
	run -0 job logs --head 100 "$id"
	[ "$output" = "$(seq 10)" ]
	# Exactly the bytes: nothing added, nothing lost.
	[ "$(job logs --tail 3 "$id" | tail -n +2 | od -c)" = "$(seq 8 10 | od -c)" ]
	[ "$(job logs --head 2 "$id" | od -c)" = "$(seq 1 2 | od -c)" ]
	[ "$(job logs --head 5 --tail 2 "$id" | tail -n +2)" = "$(seq 4 5)" ]
}

@test "logs --tail counts a last line without newline" {
	run_to_end 'printf "a\nb\nc"'
	run -0 job logs --tail 2 "$id"
	[ "${lines[0]}" = "[... 1 line omitted; job logs $id for all]" ]
	[ "$(job logs --tail 2 "$id" | tail -n +2 | od -c)" = "$(printf 'b\nc' | od -c)" ]
}

@test "logs --since OFFSET starts at that byte" {
	run_to_end 'seq 10'
	total=$(seq 10 | wc -c)
	run -0 job logs --since 4 "$id"
	[ "$(job logs --since 4 "$id" | od -c)" = "$(seq 10 | tail -c +5 | od -c)" ]
	run -0 job logs --since 0 "$id"
	[ "$output" = "$(seq 10)" ]
	run -0 job logs --since "$total" "$id"
	[ "$output" = "" ]
	run -0 job logs --since 1000 "$id"
	[ "$output" = "" ]
}

@test "logs --follow streams until the job ends and exits with its status" {
	run -0 job run 'echo one; while [ ! -e go ]; do sleep 0.02; done; echo two; exit 7'
	id=$output
	tjob 20 logs --follow "$id" >follow.out 2>follow.err &
	follower=$!
	# The first line arrives while the job is still running.
	wait_for grep -qx one follow.out
	status_is "$id" running
	kill -0 "$follower"
	touch go
	rc=0
	wait "$follower" || rc=$?
	[ "$rc" = 7 ]
	[ "$(<follow.out)" = "$(printf 'one\ntwo')" ]
	[ ! -s follow.err ]
}

@test "logs --follow of an ended job prints the log and exits with its status" {
	run_to_end 'echo done; exit 3'
	run -3 tjob 20 logs -f "$id"
	[ "$output" = done ]
	run_to_end 'echo ok'
	run -0 tjob 20 logs -f "$id"
	[ "$output" = ok ]
}

@test "logs --follow exits 128+N for a job killed by signal N" {
	run -0 job run 'echo bye; while [ ! -e go ]; do sleep 0.02; done; kill -KILL $$'
	id=$output
	tjob 20 logs --follow "$id" >follow.out &
	follower=$!
	wait_for grep -qx bye follow.out
	touch go
	rc=0
	wait "$follower" || rc=$?
	[ "$rc" = 137 ]
	[ "$(<follow.out)" = bye ]
}

@test "logs --follow --tail N starts with the last N lines" {
	run -0 job run 'seq 5; while [ ! -e go ]; do sleep 0.02; done; echo six'
	id=$output
	wait_for eval '[ "$(job logs "$id" | wc -l)" = 5 ]'
	tjob 20 logs --follow --tail 2 "$id" >follow.out &
	follower=$!
	wait_for grep -qx 5 follow.out
	touch go
	rc=0
	wait "$follower" || rc=$?
	[ "$rc" = 0 ]
	[ "$(<follow.out)" = "$(printf '[... 3 lines omitted; job logs %s for all]\n4\n5\nsix' "$id")" ]
}

@test "logs --json has id, offset, next_offset, size, eof, data" {
	run_to_end 'echo hello; echo world'
	run -0 job logs --json "$id"
	[ "$(jq -c '[.id, .offset, .next_offset, .size, .eof, .truncated, .data]' <<<"$output")" = \
	    "[\"$id\",0,12,12,true,false,\"hello\\nworld\\n\"]" ]
}

@test "logs --json: reading from next_offset gives the rest exactly" {
	run_to_end 'echo hello; echo world'
	run -0 job logs --json --max-bytes 5 "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .truncated, .data]' <<<"$output")" = \
	    '[0,5,false,true,"hello"]' ]
	run -0 job logs --json --since 5 "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .truncated, .data]' <<<"$output")" = \
	    '[5,12,true,false,"\nworld\n"]' ]
}

@test "logs --json: paging with next_offset rebuilds the whole log" {
	head -c 20000 /dev/urandom | base64 >data.txt
	run_to_end 'cat data.txt'
	off=0
	: >paged
	for ((i = 0; i < 100; i++)); do
		page=$(job logs --json --since "$off" --max-bytes 8192 "$id")
		read -r offset next eof < <(jq -r '"\(.offset) \(.next_offset) \(.eof)"' <<<"$page")
		[ "$offset" = "$off" ]
		jq -j .data <<<"$page" >>paged
		[ "$((next - off))" = "$(($(stat -c %s paged) - off))" ]
		off=$next
		[ "$eof" = true ] && break
	done
	((i > 1 && i < 100))
	[ "$off" = "$(stat -c %s data.txt)" ]
	cmp paged data.txt
}

@test "logs --json of a running job: eof false, then the rest from next_offset" {
	run -0 job run 'echo first; while [ ! -e go ]; do sleep 0.02; done; echo second'
	id=$output
	wait_for eval '[ "$(job logs "$id")" = first ]'
	run -0 job logs --json "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .data]' <<<"$output")" = \
	    '[0,6,false,"first\n"]' ]
	next=$(jq -r .next_offset <<<"$output")
	touch go
	run -0 tjob 20 wait "$id"
	run -0 job logs --json --since "$next" "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .data]' <<<"$output")" = \
	    '[6,13,true,"second\n"]' ]
}

@test "logs --json --tail reports the omitted lines" {
	run_to_end 'seq 10'
	run -0 job logs --json --tail 3 "$id"
	[ "$(jq -j .data <<<"$output")" = "$(printf '8\n9\n10\n')" ]
	[ "$(jq -r .omitted_lines <<<"$output")" = 7 ]
	[ "$(jq -r .offset <<<"$output")" = "$(seq 7 | wc -c)" ]
}

@test "logs --json: invalid UTF-8 still gives valid JSON" {
	run_to_end 'printf "a\377b\n"'
	run -0 job logs --json "$id"
	jq -e . <<<"$output" >/dev/null
	[ "$(jq -r .size <<<"$output")" = 4 ]
}
