#!/usr/bin/env bats
# job logs for agents: polling by byte offset (--since, next_offset, eof),
# --max-bytes paging that never splits a character, --tail with its
# "omitted" line, --plain rendering, --grep with absolute line numbers, and
# JSON data that is always valid UTF-8.

load helper

# The input is strictly valid UTF-8 (no overlongs, surrogates or code points
# past U+10FFFF).
valid_utf8() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")'
	else
		iconv -f UTF-8 -t UTF-8 >/dev/null
	fi
}

# json_num JSON KEY / json_bool JSON KEY: a top-level number or boolean of a
# one-line `logs --json` object, without a jq process per poll (jq costs
# more than the call itself). A key inside the data string has its quotes
# escaped, so it cannot match.
json_num() {
	[[ $1 =~ \"$2\":([0-9]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}
json_bool() {
	[[ $1 =~ \"$2\":(true|false) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# poll_all ID OUT [ARGS...]: polls `job logs --json --since NEXT ARGS` until
# eof (at most 60 s), keeping every answer in pages.jsonl and writing the
# concatenated data to OUT. Each answer must start where the last one ended
# and carry exactly the bytes up to its next_offset: a character cut in two
# would come back as U+FFFD (the logs polled here never hold one) and be
# longer. Every answer must be strict UTF-8. Sets $pages and $live (answers
# with data before eof).
poll_all() {
	local ref=$1 out=$2 off=0 page o n e start bad
	shift 2
	: >pages.jsonl
	pages=0 live=0
	start=$(uptime_ms)
	while :; do
		if (($(uptime_ms) - start > 60000)); then
			echo "poll_all: no eof after 60s and $pages polls" >&2
			return 1
		fi
		page=$(job logs --json --since "$off" "$@" "$ref")
		printf '%s\n' "$page" >>pages.jsonl
		o=$(json_num "$page" offset)
		n=$(json_num "$page" next_offset)
		e=$(json_bool "$page" eof)
		[ "$o" = "$off" ]
		((n >= o))
		pages=$((pages + 1))
		[[ $e == false && $n -gt $o ]] && live=$((live + 1))
		off=$n
		[ "$e" = true ] && break
	done
	valid_utf8 <pages.jsonl
	bad=$(jq -c 'select((.next_offset - .offset) != (.data | utf8bytelength)
	    or (.data | contains("\ufffd")))' pages.jsonl)
	if [[ -n $bad ]]; then
		echo "poll_all: bad pages: $bad" >&2
		return 1
	fi
	jq -j .data pages.jsonl >"$out"
}

# page_all ID MAX OUT: poll_all of an ended job with --max-bytes MAX; every
# page but the last must be truncated and not empty.
page_all() {
	poll_all "$1" "$3" --max-bytes "$2"
	[ "$(jq -s 'map(.truncated) | .[:-1] | all' pages.jsonl)" = true ]
	[ "$(jq -s 'map(.next_offset > .offset) | all' pages.jsonl)" = true ]
	[ "$(jq -s '.[-1].truncated' pages.jsonl)" = false ]
}

@test "logs --since NEXT_OFFSET gives exactly the new output, nothing twice" {
	run -0 job run 'echo one; while [ ! -e go ]; do sleep 0.02; done; echo two; while [ ! -e go2 ]; do sleep 0.02; done; printf three'
	id=$output
	wait_for log_size_is "$id" 4
	run -0 job logs --json --since 0 "$id"
	[ "$(jq -c '[.id, .offset, .next_offset, .size, .eof, .truncated, .data]' <<<"$output")" = \
	    "[\"$id\",0,4,4,false,false,\"one\\n\"]" ]
	# Nothing new yet: an empty read that stays where it was.
	run -0 job logs --json --since 4 "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .data]' <<<"$output")" = \
	    '[4,4,4,false,""]' ]
	touch go
	wait_for log_size_is "$id" 8
	run -0 job logs --json --since 4 "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .data]' <<<"$output")" = \
	    '[4,8,8,false,"two\n"]' ]
	touch go2
	run -0 tjob 20 wait "$id"
	run -0 job logs --json --since 8 "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .truncated, .data]' <<<"$output")" = \
	    '[8,13,13,true,false,"three"]' ]
	# The text form from the same offset prints the same bytes.
	[ "$(job logs --since 4 "$id")" = "$(printf 'two\nthree')" ]
}

@test "polling a chatty job with --since until eof yields every line once, in order" {
	run -0 job run 'for i in $(seq 1 300); do echo line$i; sleep 0.01; done'
	id=$output
	poll_all "$id" got
	# Output was read while the job still ran, in more than one piece.
	((live >= 1 && pages >= 2))
	printf 'line%d\n' $(seq 1 300) >expected
	cmp expected got
	cmp got "$(log_of "$id")"
	[ "$(field "$id" .status)" = completed ]
	[ "$(jq -s '.[-1].next_offset' pages.jsonl)" = "$(stat -c %s expected)" ]
}

@test "logs --json --max-bytes N caps one read; paging rebuilds the log exactly" {
	run_to_end 'seq 1 1000'
	log=$(log_of "$id")
	size=$(stat -c %s "$log")
	[ "$size" = "$(seq 1 1000 | wc -c)" ]
	run -0 job logs --json --max-bytes 100 "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .truncated]' <<<"$output")" = \
	    "[0,100,$size,false,true]" ]
	[ "$(jq -j .data <<<"$output" | od -An -tx1)" = "$(head -c 100 "$log" | od -An -tx1)" ]
	run -0 job logs --json --max-bytes 100 --since 1000 "$id"
	[ "$(jq -c '[.offset, .next_offset, .truncated]' <<<"$output")" = '[1000,1100,true]' ]
	[ "$(jq -j .data <<<"$output" | od -An -tx1)" = \
	    "$(tail -c +1001 "$log" | head -c 100 | od -An -tx1)" ]
	# The last, short page is not truncated and reaches eof.
	last=$((size - 50))
	run -0 job logs --json --max-bytes 100 --since "$last" "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .truncated]' <<<"$output")" = \
	    "[$last,$size,true,false]" ]
	page_all "$id" 100 paged
	cmp paged "$log"
	[ "$pages" = $(((size + 99) / 100)) ]
}

@test "logs --max-bytes needs a positive number" {
	run_to_end 'echo hi'
	run -2 job logs --json --max-bytes 0 "$id"
	run -2 job logs --json --max-bytes x "$id"
}

@test "--max-bytes 3 paging never splits a UTF-8 character" {
	printf 'a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80b\xf0\x9f\x98\x80\xc3\xa9\n' >utf8.txt
	run_to_end 'cat utf8.txt'
	cmp utf8.txt "$(log_of "$id")"
	page_all "$id" 3 paged
	cmp paged utf8.txt
	# Whole characters only: a 4-byte emoji past a 3-byte cap comes
	# whole, rather than split or never.
	[ "$(jq -sc 'map(.data)' pages.jsonl)" = '["aé","€","😀","b","😀","é\n"]' ]
	[ "$(jq -sc 'map(.next_offset)' pages.jsonl)" = '[3,6,10,11,15,18]' ]
}

@test "paging mixed UTF-8 text with small --max-bytes: every page valid, the sum is the log" {
	for ((i = 0; i < 6; i++)); do
		printf '%*sé€😀 ligne %d: ça marche 🎉\n' $((i % 5)) '' "$i"
	done >mixed.txt
	run_to_end 'cat mixed.txt'
	cmp mixed.txt "$(log_of "$id")"
	for max in 7 64; do
		page_all "$id" "$max" "paged.$max"
		cmp "paged.$max" mixed.txt
	done
}

@test "a running job's unfinished character is not returned until it is complete" {
	run -0 job run "printf 'x\\303'; while [ ! -e go ]; do sleep 0.02; done; printf '\\251\\n'"
	id=$output
	wait_for log_size_is "$id" 2
	run -0 job logs --json "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .data]' <<<"$output")" = \
	    '[0,1,2,false,"x"]' ]
	touch go
	run -0 tjob 20 wait "$id"
	run -0 job logs --json --since 1 "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .data]' <<<"$output")" = \
	    '[1,4,4,true,"é\n"]' ]
}

@test "logs --tail N: the last N lines after one line saying how many were omitted" {
	id=$(job run --name counter 'seq 10')
	run -0 tjob 20 wait "$id"
	run -0 job logs --tail 3 counter
	[ "$output" = "$(printf '[... 7 lines omitted; job logs %s for all]\n8\n9\n10' "$id")" ]
	run -0 job logs -n 8 "$id"
	[ "${#lines[@]}" = 9 ]
	[ "${lines[0]}" = "[... 2 lines omitted; job logs $id for all]" ]
	[ "${lines[1]}" = 3 ]
	[ "${lines[8]}" = 10 ]
	run -0 job logs --tail 9 "$id"
	[[ ${lines[0]} =~ ^\[\.\.\.\ 1\ lines?\ omitted\;\ job\ logs\ $id\ for\ all\]$ ]]
	[ "${lines[1]}" = 2 ]
	# Nothing omitted: no such line.
	run -0 job logs --tail 10 "$id"
	[ "$output" = "$(seq 10)" ]
	run -0 job logs --tail 500 "$id"
	[ "$output" = "$(seq 10)" ]
	# The log file itself is untouched.
	seq 10 | cmp - "$(log_of "$id")"
}

@test "logs --json --tail N: omitted_lines is exact, 0 when nothing was left out" {
	run_to_end 'seq 10'
	run -0 job logs --json --tail 4 "$id"
	[ "$(jq -c '[.omitted_lines, .offset, .next_offset, .eof, .data]' <<<"$output")" = \
	    "[6,$(seq 6 | wc -c),$(seq 10 | wc -c),true,\"7\\n8\\n9\\n10\\n\"]" ]
	run -0 job logs --json --tail 10 "$id"
	[ "$(jq -c '[.omitted_lines, .offset, .data]' <<<"$output")" = \
	    "[0,0,$(seq 10 | jq -Rsc .)]" ]
	run -0 job logs --json --tail 99 "$id"
	[ "$(jq -r .omitted_lines <<<"$output")" = 0 ]
	# Without --tail there is no omitted_lines at all.
	run -0 job logs --json "$id"
	[ "$(jq -r 'has("omitted_lines")' <<<"$output")" = false ]
}

@test "logs --plain drops colours, cursor moves, OSC titles and charset escapes" {
	printf '\033[31mred\033[0m plain \033[1;32mgreen\033[m\n' >ansi.txt
	printf '\033]0;my title\007after title\n' >>ansi.txt
	printf '\033[2Aup\033[10Cx\033[3D\n' >>ansi.txt
	printf '\033]2;t2\033\\titled\033(B\033[m\n' >>ansi.txt
	printf '\033[?25lhidden cursor\033[?25h\n' >>ansi.txt
	run_to_end 'cat ansi.txt'
	job logs --plain "$id" >plain.out
	printf 'red plain green\nafter title\nupx\ntitled\nhidden cursor\n' >expected
	cmp expected plain.out
	# The log is never changed: the raw read still has every escape.
	cmp ansi.txt "$(log_of "$id")"
	job logs "$id" | cmp - ansi.txt
	run -0 job logs --json --plain "$id"
	[ "$(jq -j .data <<<"$output")" = "$(cat expected)" ]
	[ "$(jq -r .next_offset <<<"$output")" = "$(stat -c %s ansi.txt)" ]
}

@test "logs --plain collapses a progress bar redrawn 500 times; the log keeps all of it" {
	cmd='for i in $(seq 500); do printf "\rprogress %3d%%" $((i/5)); done; echo; echo done'
	sh -c "$cmd" >direct.out
	run_to_end "$cmd"
	[ "$(field "$id" .status)" = completed ]
	job logs --plain "$id" >plain.out
	printf 'progress 100%%\ndone\n' | cmp - plain.out
	log=$(log_of "$id")
	cmp direct.out "$log"
	[ "$(stat -c %s "$log")" = 7006 ]
	[ "$(tr -cd '\r' <"$log" | wc -c)" = 500 ]
	[ "$(job logs "$id" | tr -cd '\r' | wc -c)" = 500 ]
	run -0 job logs --json --plain "$id"
	[ "$(jq -c '[.offset, .next_offset, .size, .eof, .data]' <<<"$output")" = \
	    '[0,7006,7006,true,"progress 100%\ndone\n"]' ]
}

@test "logs --plain renders captured progress output with erase-in-line to its final state" {
	# As cargo, pip and npm draw them: \r, ESC[K or ESC[2K, colours,
	# box-drawing characters; then lines a terminal would show as given.
	{
		printf '\033[?25l\r\033[K   Compiling foo v0.1.0\n'
		printf '\r\033[K    Building [=====>                  ] 3/10: foo'
		printf '\r\033[K    Building [===========>            ] 6/10: bar-baz-qux'
		printf '\r\033[K    Building [=======================>] 10/10: x'
		printf '\r\033[K    Finished dev target(s) in 1.23s\n\033[?25h'
		printf '\033[2K\r\033[32m\xe2\x94\x81\xe2\x94\x81\033[0m\xe2\x94\x81\xe2\x94\x81 50%% 1.2 MB/s eta 0:00:09'
		printf '\033[2K\r\033[32m\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\033[0m 100%% 2.4 MB/s\n'
		printf 'Downloading: 10%% (a long status text)\r\033[KDone 100%%\n'
		printf 'abcdef\rxy\n'
		printf 'ab\bc\n'
		printf 'last line, no newline'
	} >progress.txt
	run_to_end 'cat progress.txt'
	job logs --plain "$id" >plain.out
	{
		printf '   Compiling foo v0.1.0\n'
		printf '    Finished dev target(s) in 1.23s\n'
		printf '\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81 100%% 2.4 MB/s\n'
		printf 'Done 100%%\n'
		printf 'xycdef\n'
		printf 'ac\n'
		printf 'last line, no newline'
	} >expected
	cmp expected plain.out
	cmp progress.txt "$(log_of "$id")"
}

@test "logs --grep REGEX prints matching lines as N:line and changes nothing" {
	printf 'alpha\nbeta ERROR 1\ngamma\nWARN delta\nepsilon error\n' >app.txt
	run_to_end 'cat app.txt'
	run -0 job logs --grep 'ERROR|WARN' "$id"
	[ "$output" = "$(printf '2:beta ERROR 1\n4:WARN delta')" ]
	run -0 job logs -g '^gamma$' "$id"
	[ "$output" = 3:gamma ]
	run -0 job logs --grep 'ERROR [0-9]+$|^eps' "$id"
	[ "$output" = "$(printf '2:beta ERROR 1\n5:epsilon error')" ]
	run -0 job logs --grep 'no such thing' "$id"
	[ -z "$output" ]
	run -0 job logs --json --grep 'ERROR|WARN' "$id"
	[ "$(jq -c '[.offset, .next_offset, .eof, .data]' <<<"$output")" = \
	    "[0,$(stat -c %s app.txt),true,\"2:beta ERROR 1\\n4:WARN delta\\n\"]" ]
	# The log is never filtered in place.
	cmp app.txt "$(log_of "$id")"
	job logs "$id" | cmp - app.txt
}

@test "logs --grep with --since or --tail keeps absolute line numbers" {
	printf 'alpha\nbeta ERROR 1\ngamma\nWARN delta\nepsilon error\n' >app.txt
	run_to_end 'cat app.txt'
	# Byte 19 starts line 3 (gamma).
	[ "$(head -c 19 app.txt | wc -l)" = 2 ]
	run -0 job logs --since 19 --grep 'a' "$id"
	[ "$output" = "$(printf '3:gamma\n4:WARN delta')" ]
	run -0 job logs --since 19 --grep 'ERROR|error' "$id"
	[ "$output" = '5:epsilon error' ]
	run -0 job logs --json --since 19 --grep 'delta|error' "$id"
	[ "$(jq -c '[.offset, .next_offset, .data]' <<<"$output")" = \
	    "[19,$(stat -c %s app.txt),\"4:WARN delta\\n5:epsilon error\\n\"]" ]
	run -0 job logs --tail 2 --grep 'e' "$id"
	[ "$output" = "$(printf '[... 3 lines omitted; job logs %s for all]\n4:WARN delta\n5:epsilon error' "$id")" ]
}

@test "logs --plain --grep matches the rendered text, numbered by log line" {
	printf 'start\n\033[31mERROR\033[0m: disk full\nprogress 1\rprogress 2\rERROR: late\n' >c.txt
	run_to_end 'cat c.txt'
	# The raw lines start with an escape and with "progress".
	run -0 job logs --grep '^ERROR:' "$id"
	[ -z "$output" ]
	run -0 job logs --grep 'ERROR: late' "$id"
	[ "$output" = '3:progress 1'$'\r''progress 2'$'\r''ERROR: late' ]
	run -0 job logs --plain --grep '^ERROR:' "$id"
	[ "$output" = "$(printf '2:ERROR: disk full\n3:ERROR: late')" ]
}

@test "logs --grep with a bad regex is a usage error" {
	run_to_end 'echo hi'
	run --separate-stderr -2 job logs --grep '(' "$id"
	[ -z "$output" ]
	[[ $stderr == job:* ]]
	run --separate-stderr -2 job logs --json --grep 'a[' "$id"
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
	# Nothing was changed by it.
	[ "$(job logs "$id")" = hi ]
}

@test "logs --json: invalid bytes become U+FFFD, NUL survives as \\u0000" {
	run_to_end "printf '\\377\\376 ok\\n'"
	run -0 job logs --json "$id"
	valid_utf8 <<<"$output"
	[ "$(jq -r .data <<<"$output")" = $'\xef\xbf\xbd\xef\xbf\xbd ok' ]
	[ "$(jq -c '[.next_offset, .size, .eof]' <<<"$output")" = '[6,6,true]' ]
	# The log keeps the bytes the job wrote.
	printf '\377\376 ok\n' | cmp - "$(log_of "$id")"

	run_to_end "printf 'a\\000b\\n'"
	run -0 job logs --json "$id"
	[[ $output == *'"a\u0000b\n"'* ]]
	[ "$(jq -c .data <<<"$output")" = '"a\u0000b\n"' ]
	[ "$(jq -r '.data | length' <<<"$output")" = 4 ]
	[ "$(jq -r .size <<<"$output")" = 4 ]
}

@test "logs --json: overlongs, surrogates and a cut character at the end still give strict UTF-8" {
	printf 'A\300\200|\355\240\200|\364\220\200\200|\nend \303' >bad.txt
	run_to_end 'cat bad.txt'
	run -0 job logs --json "$id"
	printf '%s' "$output" | valid_utf8
	jq -e . <<<"$output" >/dev/null
	data=$(jq -r .data <<<"$output")
	[[ $data == A*'|'*'|'*'|'$'\n''end '* ]]
	[[ $data != *$'\xc0'* && $data != *$'\xed\xa0'* && $data != *$'\xf4\x90'* ]]
	[[ $data == *$'\xef\xbf\xbd'* ]]
	# Ended, and everything read: eof, even though it ends inside a character.
	[ "$(jq -c '[.next_offset, .size, .eof]' <<<"$output")" = "[$(stat -c %s bad.txt),$(stat -c %s bad.txt),true]" ]
	[[ $data == *$'\nend \xef\xbf\xbd' ]]
}
