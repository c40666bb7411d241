#!/usr/bin/env bats
# The command grammar: job run's options end at the first word of the
# command; words are an argv kept exactly, one word is a shell line; the
# habits of callers used to options after the command; and every command's
# usage made from its declared grammar.

load helper

# A program that prints each of its arguments on a line of its own, in
# brackets, so that empty words and spaces show: bin/args on PATH.
args_prog() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\nfor a; do printf "[%%s]\\n" "$a"; done\n' \
	    >"$BATS_TEST_TMPDIR/bin/args"
	chmod +x "$BATS_TEST_TMPDIR/bin/args"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH"
}

# What args_prog prints for the words given.
expected_args() {
	local a
	for a; do
		printf '[%s]\n' "$a"
	done
}

# The job's log, after waiting for it to end.
log_after_end() {
	tjob 20 wait "$1" >/dev/null || true
	job logs "$1"
}

WORDS=('a  b' "it's" '"dq"' '$HOME' '*' '' '-n' '--json' '-h' 'x;y' '`z`' $'tab\there')

@test "several words are an argv, kept exactly: spaces, quotes, \$, *, empty words, dashes" {
	args_prog
	touch should-not-glob
	run -0 job run args "${WORDS[@]}"
	id=$output
	[ "$(log_after_end "$id")" = "$(expected_args "${WORDS[@]}")" ]
	[ "$(field "$id" .status)" = completed ]
	# The record keeps the words, and shows them as a shell would take
	# them: pasting `command` into sh runs the same argv.
	run -0 job status --json "$id"
	[ "$(jq -c .argv <<<"$output")" = "$(for w in args "${WORDS[@]}"; do
	    jq -n --arg w "$w" '$w'; done | jq -sc .)" ]
	command=$(jq -r .command <<<"$output")
	[ "$(sh -c "$command")" = "$(expected_args "${WORDS[@]}")" ]
}

@test "any words after -- are an argv, even one: job run -- \"\$@\" is safe for any \"\$@\"" {
	args_prog
	run -0 job run --wait -- args "${WORDS[@]}"
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	[ "$(job logs "$id")" = "$(expected_args "${WORDS[@]}")" ]

	# One file name holding ';', '$' and spaces is one program, run as is.
	prog='./my prog; rm -rf $HOME'
	printf '#!/bin/sh\necho ran "$0"\n' >"$prog"
	chmod +x "$prog"
	wrapper() { job run --wait -- "$@"; }
	run -0 wrapper "$prog"
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	[ "$(job logs "$id")" = "ran $prog" ]
	[ "$(field "$id" '.argv | length')" = 1 ]
	[ -d "$HOME" ]
}

@test "an argv's program is found through the job's PATH, after --cwd" {
	mkdir -p sub/bin
	printf '#!/bin/sh\necho "local tool in $PWD"\n' >sub/bin/tool
	chmod +x sub/bin/tool
	run -0 job run --cwd sub --env PATH="bin:$PATH" --wait -- tool
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	[ "$(job logs "$id")" = "local tool in $PROJ/sub" ]
	# Not from the caller's folder: there it is not found.
	run -1 job run --env PATH="bin:$PATH" -- tool
}

@test "one word without -- is a shell line for /bin/sh -c" {
	run -0 job run 'echo "$((6 * 7))" && echo b | tr b B'
	id=$output
	[ "$(log_after_end "$id")" = "$(printf '42\nB')" ]
	[ "$(field "$id" .argv)" = null ]
	[ "$(field "$id" .command)" = 'echo "$((6 * 7))" && echo b | tr b B' ]
}

@test "-h and --json after the first command word reach the command" {
	printf 'foo here\nbar\n' >f1
	# grep -h: no file name prefixes. Before, this printed run's help.
	run --separate-stderr -0 job run grep -h foo f1 f1
	id=$output
	[[ $id =~ $ULID_RE ]]
	[ -z "$stderr" ]
	[ "$(log_after_end "$id")" = "$(printf 'foo here\nfoo here')" ]

	run --separate-stderr -0 job run echo --json -h --help
	id=$output
	[[ $id =~ $ULID_RE ]]
	[ "$(log_after_end "$id")" = "--json -h --help" ]

	# ls -l f1 was a usage error before.
	run -0 job run ls -l f1
	[[ $(log_after_end "$output") == *" f1" ]]
}

@test "-h or --help before the command prints the help, exits 0 and runs nothing" {
	run -0 job run -h
	[[ ${lines[0]} == "usage: job run [options] [--] COMMAND..." ]]
	help=$output
	run -0 job run --name x --help sleep 1000
	[ "$output" = "$help" ]
	run -0 job run -wh true
	[ "$output" = "$help" ]
	[ ! -e "$JOB_HOME/job.db" ] || [ "$(job list --all --json)" = "[]" ]
}

@test "no command, an empty shell line or an empty first word is a usage error" {
	for args in "" "--name x" "--" "-w --" "''" "' '" $'\'\t \n\'' "-- ''" "-- '' x"; do
		eval "set -- $args"
		run --separate-stderr -2 job run "$@"
		[ -z "$output" ] || { echo "job run $args: $output"; false; }
		[[ $stderr == "job: no command given"* ]] || {
			echo "job run $args: $stderr"
			false
		}
	done
	[ ! -e "$JOB_HOME/job.db" ] || [ "$(job list --all --json)" = "[]" ]
}

@test "a program that cannot be found or run: spawn_failed, exit 127 or 126 recorded" {
	run --separate-stderr -1 job run --json -- no-such-program-xyz arg
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = spawn_failed ]
	[[ $(jq -r .error.message <<<"$stderr") == *no-such-program-xyz* ]]
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	[ "$(field "$id" .status)" = failed ]
	[ "$(field "$id" .reason)" = spawn_failed ]
	[ "$(field "$id" .exit_code)" = 127 ]
	[[ $(job logs "$id") == *"[job]"*no-such-program-xyz*"No such file"* ]]
	run -127 tjob 20 wait "$id"

	printf 'echo hi\n' >not-executable
	run --separate-stderr -1 job run -- ./not-executable
	[[ $stderr == "job: cannot start job "*"not-executable"* ]]
	id=$(job list --json --limit 1 | jq -r '.[0].id')
	[ "$(field "$id" .exit_code)" = 126 ]
	[ "$(field "$id" .reason)" = spawn_failed ]
}

@test "one word after -- that looks like a shell line: spawn_failed says to drop --" {
	run --separate-stderr -1 job run --name t -- 'echo a && echo b'
	[ -z "$output" ]
	[[ $stderr == *"job run --name t 'echo a && echo b'"* ]]
	[[ $stderr == *"without --"* ]]
	[ "$(field t .exit_code)" = 127 ]
	# A plain program name gets no such hint.
	run --separate-stderr -1 job run -- no-such-program-xyz
	[[ $stderr != *"without --"* ]]
}

@test "retry of an argv job runs the same bytes" {
	args_prog
	run -0 job run --name a -- args "${WORDS[@]}" $'\xff'
	id=$output
	first=$(log_after_end "$id" | od -c)
	run -0 job retry a
	new=$output
	[ "$new" != "$id" ]
	[ "$(log_after_end "$new" | od -c)" = "$first" ]
	[ "$(field "$new" .argv)" = "$(field "$id" .argv)" ]
	[ "$(field "$new" .command)" = "$(field "$id" .command)" ]
	# Invalid UTF-8 is kept as bytes, and made safe in JSON.
	[[ $(field "$id" '.argv[-1]') == $'\xef\xbf\xbd' ]]
	[ "$(job logs "$new" | tail -c 4 | od -An -tx1 | tr -d ' \n')" = "5bff5d0a" ]
}

@test "agent habit: options after a quoted shell line are refused with the line meant" {
	run --separate-stderr -2 job run "npm test" --name web
	[ -z "$output" ]
	[[ ${stderr_lines[0]} == "job: "*"job run --name web 'npm test'" ]]
	run --separate-stderr -2 job run --timeout 5s 'npm test' -n web --wait
	[[ ${stderr_lines[0]} == *"job run --timeout 5s -n web --wait 'npm test'" ]]
	# With --json: one JSON error line, code usage.
	run --separate-stderr -2 job --json run 'make && make test' --name build
	[ "${#stderr_lines[@]}" = 1 ]
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
	[[ $(jq -r .error.message <<<"$stderr") == *"job run --name build 'make && make test'" ]]
	# Bad options there are named; other words too.
	run --separate-stderr -2 job run 'npm test' --bogus
	[[ $stderr == *"'--bogus'"* ]]
	run --separate-stderr -2 job run 'echo a' b
	[[ $stderr == *"'b' after the shell line 'echo a'"* ]]
	# Nothing was started, never a program called "npm test".
	[ ! -e "$JOB_HOME/job.db" ] || [ "$(job list --all --json)" = "[]" ]
}

@test "agent habit: job run's options after a program go to the command, and stderr says so" {
	args_prog
	run --separate-stderr -0 job run args run dev --name web --timeout=5s -w
	id=$output
	[[ $id =~ $ULID_RE ]]
	[ "${#stderr_lines[@]}" = 1 ]
	[[ $stderr == "job: note: --name, --timeout went to the command"* ]]
	[[ $stderr == *": job run --name web --timeout=5s args run dev -w" ]]
	[ "$(log_after_end "$id")" = "$(expected_args run dev --name web --timeout=5s -w)" ]
	[ "$(field "$id" .name)" = null ]
	[ "$(field "$id" .timeout_s)" = null ]

	# With --, or after a -- of the command's, the caller was explicit.
	run --separate-stderr -0 job run -- args --name web
	[ -z "$stderr" ]
	run --separate-stderr -0 job run args -- --name web
	[ -z "$stderr" ]
	# --json and --help are every program's: no note for them.
	run --separate-stderr -0 job run args --json --help
	[ -z "$stderr" ]
}

@test "other commands keep options before or after their operands" {
	id=$(job run --name x 'echo one; echo two')
	tjob 20 wait x >/dev/null
	tail=$(job logs --tail 1 x)
	[[ $tail == *$'\ntwo' ]]
	[ "$(job logs x --tail 1)" = "$tail" ]
	[ "$(job status x --json | jq -r .id)" = "$id" ]
	run -0 tjob 20 wait "$id" --timeout 5s --json
	[ "$(jq -r .status <<<"$output")" = completed ]
	# Clusters and attached values.
	[ "$(job logs -pn1 x)" = "$tail" ]
	[ "$(job logs x --tail=1)" = "$tail" ]
	# -- ends them: a name that looks like an option.
	run -1 job logs -- --tail
	[[ $output == *"no job matches '--tail'"* ]]
}

@test "reference errors come from the one resolver: not_found and ambiguous" {
	a=$(job run --name amb1 true)
	b=$(job run --name amb2 true)
	for cmd in status logs wait stop retry; do
		run --separate-stderr -1 job --json "$cmd" no-such-job
		[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	done
	# A prefix both ids share (ULIDs of the same millisecond range).
	prefix=${a:0:1}
	[ "${b:0:1}" = "$prefix" ]
	for cmd in status logs wait stop retry; do
		run --separate-stderr -1 job --json "$cmd" "$prefix"
		[ "$(jq -r .error.code <<<"$stderr")" = ambiguous ]
		[ "$(jq -r '.error.candidates | length' <<<"$stderr")" = 2 ]
	done
}

@test "every command's -h is the usage made from its grammar; usage errors show its synopsis" {
	local cmd h want got
	for cmd in $(job help | awk '/^Commands:/ { on = 1; next }
	    on && /^  [a-z]/ { print $1 }'); do
		run -0 job "$cmd" -h
		h=$output
		# The shape: synopsis, blank, summary, blank, then the lines of
		# the words and options, their help in one column, -h last.
		[[ ${lines[0]} == "usage: job $cmd"* ]]
		[ "$(sed -n 2p <<<"$h")" = "" ]
		[ -n "$(sed -n 3p <<<"$h")" ]
		[ "$(sed -n 4p <<<"$h")" = "" ]
		[ "$(tail -n 1 <<<"$h")" = "  -h, --help           show this help" ]
		# An option too long for the column has its help on the next
		# line.
		sed -n '5,$p' <<<"$h" | awk '
		    long { long = 0; if ($0 ~ /^ {23}[^ ]/) next }
		    length($0) >= 23 && /^ +[^ ]+( [^ ]+)*$/ { long = 1; next }
		    substr($0, 1, 2) != "  " || substr($0, 23, 1) != " " ||
		    substr($0, 24, 1) == " " {
			print "out of the columns: " $0; bad = 1 }
		    END { exit bad }'
		# Its flags are those the completion script offers, which is
		# made from the same table (that always offers --json too).
		want=$( (grep -oE -- '--[a-z][a-z-]*' <<<"$h"; echo --json) |
		    sort -u)
		got=$(job completions bash |
		    sed -n "s/^\t$cmd) flags=\"\(.*\)\" ;;\$/\1/p" |
		    tr ' ' '\n' | sort -u)
		[ "$want" = "$got" ] || {
			echo "job $cmd: -h has $want; completions offer $got"
			false
		}
		# The same synopsis on a usage error.
		run --separate-stderr -2 job "$cmd" --no-such-option
		[ "${stderr_lines[1]}" = "${h%%$'\n'*}" ] || {
			echo "job $cmd: '${stderr_lines[1]}' is not the -h synopsis"
			false
		}
	done
}

@test "a store of schema 1 gains the argv column in place, keeping its jobs" {
	mkdir -p "$JOB_HOME"
	chmod 700 "$JOB_HOME"
	sqlite3 "$JOB_HOME/job.db" <<-'EOF'
	PRAGMA journal_mode=WAL;
	CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, name TEXT,
	 command TEXT NOT NULL, status TEXT NOT NULL, project TEXT NOT NULL,
	 cwd TEXT NOT NULL, pid INTEGER, pid_start INTEGER, sup_pid INTEGER,
	 sup_start INTEGER, boot_id TEXT, exit_code INTEGER, signal TEXT,
	 reason TEXT, created_at INTEGER NOT NULL, started_at INTEGER,
	 finished_at INTEGER, timeout_ms INTEGER, grace_ms INTEGER NOT NULL,
	 context TEXT, key TEXT, retry_of TEXT, env BLOB,
	 log_dropped INTEGER NOT NULL DEFAULT 0, stop_signal TEXT,
	 stop_grace_ms INTEGER);
	PRAGMA user_version=1;
	PRAGMA application_id=1246708273;
	EOF
	chmod 600 "$JOB_HOME/job.db"
	sqlite3 "$JOB_HOME/job.db" "INSERT INTO jobs (id, name, command, status,
	    project, cwd, exit_code, reason, created_at, started_at, finished_at,
	    grace_ms) VALUES ('01JD7W3M2Q8X5K9V0N4T6B1C3E', 'old', 'echo old',
	    'completed', '$PROJ', '$PROJ', 0, 'exited', 1, 1, 2, 5000)"
	run -0 job status --json old
	[ "$(jq -r .command <<<"$output")" = "echo old" ]
	[ "$(jq -r .argv <<<"$output")" = null ]
	run -0 job status --json
	[ "$(jq -r .schema_version <<<"$output")" -ge 2 ]
	run -0 job run --wait echo new
	[ "$(sqlite3 "$JOB_HOME/job.db" "SELECT hex(argv) FROM jobs WHERE command = 'echo new'")" = 6563686F006E657700 ]
}

@test "the README tour works as written, with a stand-in npm" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/npm" <<-'EOF'
	#!/bin/sh
	case "$*" in
	"run dev") echo "  VITE v5.0.0  ready in 412 ms"; exec sleep 1000 ;;
	test) echo "1 failing"; exit 1 ;;
	esac
	exit 2
	EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/npm"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	run -0 job run --name web -- npm run dev
	[[ $output =~ $ULID_RE ]]
	run -0 tjob 30 wait web --until 'ready in' --timeout 60s
	[ "$output" = "  VITE v5.0.0  ready in 412 ms" ]
	run -1 tjob 30 run --name test --wait -- npm test
	[[ $output == *" test failed exit=1 "* ]]
	run -0 job logs test --tail 20
	[ "$output" = "1 failing" ]
	run -0 job logs web --json --since 0
	[ "$(jq -r .next_offset <<<"$output")" -gt 0 ]
	run -0 job list
	[[ ${lines[1]} == *" test "*" failed "*" npm test" ]]
	[[ ${lines[2]} == *" web "*" running "*" npm run dev" ]]
	run -0 tjob 30 stop web
	run -0 job retry test
	run -1 tjob 30 wait "$output"
	run -0 job clean
}
