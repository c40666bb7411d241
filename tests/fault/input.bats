#!/usr/bin/env bats
# Bad and hostile input: every refusal is one line naming what was wrong,
# with the right exit status and JSON code, and changes nothing; odd bytes
# in arguments, environment and output are kept exactly and every --json
# output stays valid.

load helper

# A store with one ended job, and its state, for before/after checks.
baseline() {
	run -0 job run --wait --name base 'echo base'
	before=$(store_state)
}

unchanged() {
	[ "$(store_state)" = "$before" ] || {
		echo "the store changed:"
		diff <(echo "$before") <(store_state)
		false
	}
}

@test "an empty command is a usage error and records nothing" {
	baseline
	expect_error 2 usage 'no command' run ''
	expect_error 2 usage 'no command' run
	expect_error 2 usage 'no command' run '   '
	expect_error 2 usage 'no command' run --
	expect_error 2 usage 'no command' run --name x -- '' ' '
	expect_error_text 2 'no command' run ''
	[[ $stderr == *"usage: job run"* ]]
	unchanged
	assert_no_leftovers
}

@test "unknown options and commands are usage errors naming them" {
	baseline
	expect_error 2 usage "'--bogus'" run --bogus 'exit 0'
	expect_error 2 usage "'--bogus'" run 'exit 0' --bogus
	expect_error 2 usage "'--bogus'" --bogus list
	expect_error 2 usage "'--frobnicate'" list --frobnicate
	expect_error 2 usage "-Z" stop -Z base
	expect_error 2 usage "'bogus'" bogus
	expect_error_text 2 "'--bogus'" run --bogus 'exit 0'
	unchanged
	assert_no_leftovers
}

@test "options missing their value are usage errors naming the option" {
	baseline
	expect_error 2 usage "'--name'" run 'exit 0' --name
	expect_error 2 usage "'--timeout'" run --timeout
	expect_error 2 usage "'--env'" run 'exit 0' --env
	expect_error 2 usage "'--limit'" list --limit
	expect_error 2 usage "'--since'" logs base --since
	expect_error 2 usage "'--grace'" stop base --grace
	expect_error_text 2 "'--cwd'" run 'exit 0' --cwd
	unchanged
	assert_no_leftovers
}

@test "bad durations are usage errors naming the value" {
	baseline
	for d in -5s 5x 99999999999d 30 30m1h 1h1h '' 36501d; do
		expect_error 2 usage "'$d'.*--timeout" run --timeout "$d" 'exit 0'
	done
	expect_error 2 usage "'0s'.*--timeout" run --timeout 0s 'exit 0'
	expect_error 2 usage "'-5s'.*--grace" run --grace -5s 'exit 0'
	expect_error 2 usage "'5x'.*--timeout" wait --timeout 5x base
	expect_error 2 usage "'99999999999d'.*--grace" stop --grace 99999999999d base
	expect_error 2 usage "'-5s'.*--older-than" clean --older-than -5s
	expect_error_text 2 "'5x'" run --timeout 5x 'exit 0'
	unchanged
	assert_no_leftovers
}

@test "--env without a valid NAME=VALUE and --context that is not JSON are usage errors" {
	baseline
	expect_error 2 usage "'FOO'" run --env FOO 'exit 0'
	expect_error 2 usage "'=x'" run --env =x 'exit 0'
	expect_error 2 usage "'1A'" run --env 1A=b 'exit 0'
	expect_error 2 usage "'A-B'" run --env A-B=c 'exit 0'
	expect_error 2 usage "context.*JSON" run --context '{bad' 'exit 0'
	expect_error 2 usage "context.*JSON" run --context '' 'exit 0'
	expect_error 2 usage "context.*JSON" run --context "{'a': 1}" 'exit 0'
	expect_error 2 usage "context.*JSON" run --context '[1, 2' 'exit 0'
	expect_error_text 2 "'FOO'" run --env FOO 'exit 0'
	unchanged
	assert_no_leftovers
}

@test "bad numbers: --limit -1, --since -1, --tail x, --port 0 are usage errors naming the value" {
	baseline
	expect_error 2 usage "'-1'.*--limit" list --limit -1
	expect_error 2 usage "'x'.*--limit" list --limit x
	expect_error 2 usage "'99999999999999999999'.*--limit" list --limit 99999999999999999999
	expect_error 2 usage "'-1'.*--since" logs --since -1 base
	expect_error 2 usage "'x'.*--tail" logs --tail x base
	expect_error 2 usage "'0'.*--port" wait --port 0 base
	expect_error 2 usage "'bogus'" list --status bogus
	expect_error 2 usage "'FOO'" stop --signal FOO base
	expect_error 2 usage "running" clean --status running
	expect_error_text 2 "'-1'" list --limit -1
	unchanged
	assert_no_leftovers
}

@test "names and keys: 10,000 characters and control characters are refused; 200 bytes is fine" {
	baseline
	long=$(printf 'n%.0s' $(seq 10000))
	expect_error 2 usage "name.*10000" run --name "$long" 'exit 0'
	expect_error 2 usage "key.*10000" run --key "$long" 'exit 0'
	expect_error 2 usage "name.*control" run --name $'a\nb' 'exit 0'
	expect_error 2 usage "name.*control" run --name $'a\tb' 'exit 0'
	expect_error 2 usage "key.*control" run --key $'k\x1b[31m' 'exit 0'
	expect_error 2 usage "name.*empty" run --name '' 'exit 0'
	# The error line stays one line and bounded even for a long value.
	expect_error 2 usage "name" run --name "$long" 'exit 0'
	((${#stderr} < 1024)) || { echo "${#stderr} bytes: $stderr"; false; }
	expect_error_text 2 "name" run --name "$long" 'exit 0'
	[[ $stderr != *nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn* ]]
	((${#stderr} < 1024)) || { echo "${#stderr} bytes: $stderr"; false; }
	unchanged
	n200=$(printf 'x%.0s' $(seq 200))
	run -0 job run --wait --name "$n200" 'exit 0'
	run -0 job status --json "$n200"
	[ "$(jq -r .name <<<"$output")" = "$n200" ]
	n201=${n200}y
	expect_error 2 usage "name" run --name "$n201" 'exit 0'
	assert_no_leftovers
}

@test "references that match nothing, several jobs, or hold % _ quotes and SQL never match by accident" {
	baseline
	run -0 job run --wait --name 'a_b' 'exit 0'
	run -0 job run --wait --name "it's" 'exit 0'
	run -0 job run --wait --name '100%' 'exit 0'
	before=$(store_state)
	expect_error 1 not_found "'nosuch'" status nosuch
	expect_error 1 ambiguous "'01'" status 01
	run --separate-stderr job --json status 01
	[ "$(jq '.error.candidates | length' <<<"$stderr")" -ge 2 ]
	expect_error_text 1 "01" wait 01
	for ref in '%' '0%' '01%' '_' '__' 'a%b' 'a\_b' 'A_B' "'" '"' "it''s" \
	    "'; DROP TABLE jobs; --" '" OR 1=1 --' '100' '%%'; do
		expect_error 1 not_found "no job" status "$ref"
	done
	for ref in '01%' '_' "'; DROP TABLE jobs; --"; do
		expect_error 1 not_found "no job" stop "$ref"
		expect_error 1 not_found "no job" logs "$ref"
		expect_error 1 not_found "no job" wait "$ref"
	done
	# Exact names still resolve, to the right job.
	run -0 job status --json 'a_b'
	[ "$(jq -r .name <<<"$output")" = a_b ]
	run -0 job status --json "it's"
	[ "$(jq -r .name <<<"$output")" = "it's" ]
	run -0 job status --json '100%'
	[ "$(jq -r .name <<<"$output")" = '100%' ]
	unchanged
	[ "$(rows)" -eq 4 ]
	assert_no_leftovers
}

@test "--cwd that does not exist: a failed job, spawn_failed, exit code 127, the log says why" {
	baseline
	expect_error 1 spawn_failed "no/such/dir" run --cwd "$BATS_TEST_TMPDIR/no/such/dir" 'exit 0'
	id=$(db "SELECT id FROM jobs WHERE name IS NULL")
	[[ $id =~ $ULID_RE ]]
	[[ $errmsg == *"$id"* ]]
	assert_record "$id" '.status == "failed" and .reason == "spawn_failed" and .exit_code == 127 and .finished_at != null'
	assert_record "$id" ".cwd == \"$BATS_TEST_TMPDIR/no/such/dir\""
	run -127 tjob 20 wait "$id"
	grep -q "no/such/dir" "$(log_of "$id")"
	[ ! -e "$(lock_of "$id")" ]
	[ "$(rows)" -eq 2 ]
	# The text form says the same in one line.
	expect_error_text 1 "no/such/dir" run --cwd no/such/dir 'exit 0'
	assert_no_leftovers
}

@test "a command that does not exist: failed, exit code 127 recorded, the shell's message in the log" {
	run -127 tjob 20 run --wait 'nosuchcommand_xyz_42 arg'
	[[ $output =~ ^([0-9A-Z]{26})\ -\ failed\ exit=127 ]] || { show; false; }
	id=${BASH_REMATCH[1]}
	assert_record "$id" '.status == "failed" and .reason == "exited" and .exit_code == 127'
	grep -q 'nosuchcommand_xyz_42.*not found' "$(log_of "$id")"
	run -127 job wait "$id"
	# As words, no shell runs it: job run itself fails, spawn_failed.
	expect_error 1 spawn_failed 'nosuchcommand_xyz_42' run --wait nosuchcommand_xyz_42 arg
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	assert_record "$id" '.status == "failed" and .reason == "spawn_failed" and .exit_code == 127'
	grep -q 'nosuchcommand_xyz_42.*No such file' "$(log_of "$id")"
	run -127 job wait "$id"
	assert_no_leftovers
}

# Bytes that are hard to carry: newline, quotes, backslash, tab, control
# characters, an ANSI escape, invalid UTF-8 and valid non-ASCII.
WEIRD=$'line1\nline2 "dq" \'sq\' \\back\ttab \x01\x02\x7f \x1b[31mred\x1b[0m \xff\xfe\xc3 bad é ✓ $HOME `x` $(x)'
# The same without invalid UTF-8: JSON can carry it exactly.
WEIRD_UTF8=$'line1\nline2 "dq" \'sq\' \\back\ttab \x01\x02\x7f \x1b[31mred\x1b[0m é ✓ $HOME `x` $(x)'

hex() {
	od -An -tx1 -v | tr -d ' \n' | tr a-f A-F
}

@test "arguments and --env values with newlines, quotes, control characters and invalid UTF-8 are kept exactly" {
	run -0 job run --json --name weird --env "V=$WEIRD" --env "U=$WEIRD_UTF8" \
	    --context "$(jq -n --arg s "$WEIRD_UTF8" '{s: $s}')" \
	    'printf %s "$V" >v.out; printf %s "$U" >u.out'
	valid_json <<<"$output"
	id=$(jq -r .id <<<"$output")
	run -0 tjob 20 wait "$id"
	# The job got exactly the bytes given.
	cmp v.out <(printf %s "$WEIRD")
	cmp u.out <(printf %s "$WEIRD_UTF8")
	# The store holds them exactly.
	[ "$(db "SELECT hex(env) FROM jobs WHERE id = '$id'")" = \
	    "$(printf 'V=%s\0U=%s\0' "$WEIRD" "$WEIRD_UTF8" | hex)" ]
	# JSON output is valid and carries valid UTF-8 exactly.
	for args in "status --json $id" "list --json" "wait --json $id" "stop --json $id"; do
		# shellcheck disable=SC2086
		run -0 job $args
		valid_json <<<"$output"
	done
	run -0 job status --json "$id"
	[ "$(jq -j .env.U <<<"$output")" = "$WEIRD_UTF8" ]
	[ "$(jq -j .context.s <<<"$output")" = "$WEIRD_UTF8" ]
	[ "$(jq -r '.env | keys | join(",")' <<<"$output")" = U,V ]
	# The text forms print, and keep to their lines.
	run -0 job status "$id"
	run -0 job list
	[ "$(grep -c weird <<<"$output")" -eq 1 ]
	assert_no_leftovers
}

@test "a command with newlines, quotes, control characters and invalid UTF-8 is stored and run exactly" {
	# The command prints its own text through a quoted here-document.
	cmd_utf8="cat <<'EOF'
$WEIRD_UTF8
EOF"
	cmd_bad="cat <<'EOF'
$WEIRD
EOF"
	run -0 job run --json "$cmd_utf8"
	valid_json <<<"$output"
	a=$(jq -r .id <<<"$output")
	[ "$(jq -j .command <<<"$output")" = "$cmd_utf8" ]
	run -0 job run --json "$cmd_bad"
	valid_json <<<"$output"
	b=$(jq -r .id <<<"$output")
	run -0 tjob 20 wait "$a" "$b"
	[ "$(db "SELECT hex(command) FROM jobs WHERE id = '$a'")" = "$(printf %s "$cmd_utf8" | hex)" ]
	[ "$(db "SELECT hex(command) FROM jobs WHERE id = '$b'")" = "$(printf %s "$cmd_bad" | hex)" ]
	cmp "$(log_of "$a")" <(printf '%s\n' "$WEIRD_UTF8")
	cmp "$(log_of "$b")" <(printf '%s\n' "$WEIRD")
	run -0 job list --json
	valid_json <<<"$output"
	[ "$(jq -j --arg a "$a" '.[] | select(.id == $a) | .command' <<<"$output")" = "$cmd_utf8" ]
	run -0 job status --json "$b"
	valid_json <<<"$output"
	assert_no_leftovers
}

@test "output with NUL bytes, invalid UTF-8 and ANSI escapes: logs byte-exact, --json valid, --plain clean" {
	printf 'a\0b\377\376c \033[31mred\033[0m \303\251 \342\234\223\r\nnul\0\0end\n\033]0;title\007\200' >expected
	start_job 'printf "a\0b\377\376c \033[31mred\033[0m \303\251 \342\234\223\r\nnul\0\0end\n\033]0;title\007\200"'
	run -0 tjob 20 wait "$id"
	cmp "$(log_of "$id")" expected
	cmp <(job logs "$id") expected
	run -0 job logs --json "$id"
	valid_json <<<"$output"
	[ "$(jq .size <<<"$output")" -eq "$(file_size expected)" ]
	[ "$(jq .next_offset <<<"$output")" -eq "$(file_size expected)" ]
	[ "$(jq .eof <<<"$output")" = true ]
	[[ $(jq -r .data <<<"$output") == *red* ]]
	jq -j .data <<<"$output" >whole.out
	# Valid characters come through whole, each invalid byte as U+FFFD.
	grep -aq "é ✓" whole.out
	[ "$(grep -ao $'\xef\xbf\xbd' whole.out | wc -l)" -eq 3 ]
	# Read in pieces of 3 bytes: every piece valid, never inside a UTF-8
	# character, and together exactly the data of one whole read.
	off=0
	: >pieces.out
	for ((i = 0; i < 100 && off < $(file_size expected); i++)); do
		run -0 job logs --json --max-bytes 3 --since "$off" "$id"
		jq -e . >/dev/null <<<"$output"
		[ "$(jq .offset <<<"$output")" -eq "$off" ]
		next=$(jq .next_offset <<<"$output")
		((next > off))
		jq -j .data <<<"$output" >>pieces.out
		off=$next
	done
	[ "$off" -eq "$(file_size expected)" ]
	cmp whole.out pieces.out
	run -0 job logs --plain "$id"
	[[ $output != *$'\033'* ]]
	[[ $output == *red* ]]
	run -0 job logs --plain --json "$id"
	valid_json <<<"$output"
	assert_no_leftovers
}

@test "one line of 100 MB: logs byte-exact, --json bounded to 1 MiB per call, memory stays small" {
	size=100000000
	start_job "head -c $size /dev/zero | tr '\\0' a; echo; touch printed; exec sleep 1000"
	wait_for -t 60 file_exists printed
	sup=$(field "$id" .supervisor_pid)
	sup_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$sup/status")
	run -0 tjob 20 stop "$id"
	[ "$(file_size "$(log_of "$id")")" -eq $((size + 1)) ]
	want=$( (head -c $size /dev/zero | tr '\0' a; echo) | sha256sum)
	[ "$(job logs "$id" | sha256sum)" = "$want" ]
	run -0 job logs --json "$id"
	((${#output} < 1100000))
	valid_json <<<"$output"
	[ "$(jq -c '[.offset, .next_offset, .size, .truncated, .eof, (.data | length)]' <<<"$output")" = \
	    "[0,1048576,$((size + 1)),true,false,1048576]" ]
	run -0 job logs --json --since $((size - 10)) "$id"
	[ "$(jq -c '[.next_offset, .truncated, .eof, .data]' <<<"$output")" = \
	    "[$((size + 1)),false,true,\"aaaaaaaaaa\\n\"]" ]
	run -0 job logs --tail 1 --json "$id"
	valid_json <<<"$output"
	[ "$(jq .truncated <<<"$output")" = true ]
	echo "supervisor peak RSS: $sup_hwm kB"
	((sup_hwm < 16384))
	if [[ ! -x /usr/bin/time ]]; then
		skip "no /usr/bin/time: peak RSS of job logs not measured"
	fi
	for args in "" "--json" "--tail 1" "--plain" "--grep a"; do
		# shellcheck disable=SC2086
		kb=$(timeout 60 /usr/bin/time -f %M "$JOB_BIN" logs $args "$id" 2>&1 >/dev/null | tail -n1)
		echo "job logs $args: peak RSS $kb kB"
		((kb < 65536)) || { echo "job logs $args used $kb kB"; false; }
	done
	assert_no_leftovers
}
