#!/usr/bin/env bats
# job list: scoped to the project, filters, limit, order.

load helper

ids_of() {
	jq -r '.[].id' | tr '\n' ' ' | sed 's/ $//'
}

@test "list shows only this project's jobs; --all shows every project's" {
	a=$(make_project a)
	b=$(make_project b)
	ida=$(cd "$a" && job run --wait 'exit 0' | cut -d' ' -f1)
	idb=$(cd "$b" && job run --wait 'exit 0' | cut -d' ' -f1)
	[[ $ida =~ $ULID_RE && $idb =~ $ULID_RE ]]

	cd "$b"
	run -0 job list --json
	[ "$(ids_of <<<"$output")" = "$idb" ]
	[ "$(jq -r '.[0].project' <<<"$output")" = "$b" ]
	run -0 job list --all --json
	[ "$(ids_of <<<"$output")" = "$idb $ida" ]

	cd "$a"
	run -0 job list --json
	[ "$(ids_of <<<"$output")" = "$ida" ]
	[ "$(jq -r '.[0].project' <<<"$output")" = "$a" ]
}

@test "a subfolder of a git project lists the project's jobs" {
	a=$(make_project a)
	mkdir -p "$a/src/deep"
	id=$(cd "$a" && job run 'exit 0')
	cd "$a/src/deep"
	run -0 job list --json
	[ "$(ids_of <<<"$output")" = "$id" ]
	id2=$(job run pwd)
	job wait "$id2" >/dev/null
	[ "$(field "$id2" .project)" = "$a" ]
	[ "$(field "$id2" .cwd)" = "$a/src/deep" ]
	[ "$(job logs "$id2")" = "$a/src/deep" ]
}

@test "list in an empty project hints on stderr at the other projects' jobs" {
	a=$(make_project a)
	(cd "$a" && job run 'exit 0' && job run 'exit 0') >/dev/null
	c=$(make_project c)
	cd "$c"
	run --separate-stderr -0 job list
	[ -z "$output" ]
	[[ $stderr == "job: no jobs in this project; 2 in other projects"*"job list --all"* ]]
	[ "${#stderr_lines[@]}" = 1 ]
	run --separate-stderr -0 job list --json
	[ "$output" = "[]" ]
}

@test "list in an empty store prints nothing" {
	run --separate-stderr -0 job list
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr -0 job list --json
	[ "$output" = "[]" ]
}

@test "list --status filters, repeatable" {
	ok=$(job run 'exit 0')
	bad=$(job run 'exit 1')
	run -1 tjob 20 wait "$ok" "$bad"
	live=$(job run sleep 1000)
	run -0 job list --json --status failed
	[ "$(ids_of <<<"$output")" = "$bad" ]
	run -0 job list --json --status running
	[ "$(ids_of <<<"$output")" = "$live" ]
	run -0 job list --json -s completed -s running
	[ "$(ids_of <<<"$output")" = "$live $ok" ]
	run -0 job list --json --status stopped
	[ "$output" = "[]" ]
	run --separate-stderr -2 job list --status bogus
	[[ $stderr == *"bogus"* ]]
}

@test "list --name filters" {
	a=$(job run --name alpha 'exit 0')
	b=$(job run --name beta 'exit 0')
	job wait "$a" "$b" >/dev/null
	a2=$(job run --name alpha 'exit 0')
	run -0 job list --json --name alpha
	[ "$(ids_of <<<"$output")" = "$a2 $a" ]
	run -0 job list --json -n beta
	[ "$(ids_of <<<"$output")" = "$b" ]
	run -0 job list --json --name gamma
	[ "$output" = "[]" ]
}

@test "list --limit N keeps the N newest; 0 means no limit" {
	for i in 1 2 3 4; do
		ids[i]=$(job run 'exit 0')
	done
	run -0 job list --json --limit 2
	[ "$(ids_of <<<"$output")" = "${ids[4]} ${ids[3]}" ]
	run -0 job list --json -l 0
	[ "$(ids_of <<<"$output")" = "${ids[4]} ${ids[3]} ${ids[2]} ${ids[1]}" ]
	run --separate-stderr -2 job list --limit -1
	run --separate-stderr -2 job list --limit x
}

@test "list prints a table: a header and one row per job, newest first" {
	a=$(job run --name first 'exit 0')
	b=$(job run --name second 'exit 3')
	run -3 tjob 20 wait "$a" "$b"
	run -0 job list
	[ "${#lines[@]}" = 3 ]
	[[ ${lines[0]} =~ ^ID\ +NAME\ +STATUS\ +EXIT ]]
	[[ ${lines[1]} =~ ^$b\ +second\ +failed\ +3\  ]]
	[[ ${lines[2]} =~ ^$a\ +first\ +completed\ +0\  ]]
	[[ ${lines[1]} == *"exit 3" ]]
}

@test "list shows a running job as running" {
	id=$(job run sleep 1000)
	run -0 job list --json
	[ "$(jq -r '.[0].status' <<<"$output")" = running ]
	[ "$(jq -r '.[0].exit_code' <<<"$output")" = null ]
	[ "$(jq -r '.[0].finished_at' <<<"$output")" = null ]
}

# tty_list COLUMNS [ENV=VALUE...]: `job list` run on a terminal (a pty from
# script(1)) COLUMNS wide, with carriage returns dropped.
tty_list() {
	local cols=$1
	shift
	command -v script >/dev/null || skip "needs script(1) for a terminal"
	marked env "$@" script -qec "stty cols $cols rows 50;
	    timeout -k 5 20 '$JOB_BIN' list" /dev/null | tr -d '\r'
}

# ended_as CMD...: runs CMD as a job to its end; prints its id.
ended_as() {
	local rc=0 out
	out=$(tjob 20 run --wait "$@") || rc=$?
	((rc != 254)) || return 1
	echo "${out%% *}"
}

@test "list colours statuses on a terminal only, and never with NO_COLOR" {
	ok=$(ended_as 'exit 0')
	bad=$(ended_as 'exit 3')
	live=$(job run sleep 1000)
	stopped=$(job run sleep 1000)
	run -0 tjob 20 stop "$stopped"
	out=$(tty_list 200)
	e=$'\e'
	[[ $out =~ $ok\ +-\ +${e}\[32mcompleted\ +${e}\[0m ]] || { echo "$out"; false; }
	[[ $out =~ $bad\ +-\ +${e}\[31mfailed\ +${e}\[0m ]]
	[[ $out =~ $live\ +-\ +${e}\[36mrunning\ +${e}\[0m ]]
	[[ $out =~ $stopped\ +-\ +${e}\[33mstopped\ +${e}\[0m ]]
	# NO_COLOR, and a pipe: no escape at all.
	out=$(tty_list 200 NO_COLOR=1)
	[[ $out == *"$live"* && $out != *$'\e'* ]] || { echo "$out" | od -c; false; }
	run -0 job list
	[[ $output == *"$live"* && $output != *$'\e'* ]]
}

@test "list cuts the command, and a long name, to the terminal's width; a pipe gets them whole" {
	cmd="echo $(printf 'x%.0s' $(seq 150))"
	name=$(printf 'n%.0s' $(seq 30))
	id=$(job run --name "$name" "$cmd")
	run -0 tjob 20 wait "$id"
	out=$(tty_list 120 NO_COLOR=1)
	row=$(grep "^$id" <<<"$out")
	# The name keeps 23 characters and a ~ (its column is 24 wide).
	[[ $row == "$id  ${name:0:23}~  "* ]] || { echo "$row"; false; }
	[ "${#row}" -eq 120 ]
	[[ $row == *" echo xxx"*"..." ]]
	# The columns stay aligned under the header: only COMMAND is cut.
	header=${out%%$'\n'*}
	before=${header%%COMMAND*}
	[ "${row:${#before}:8}" = "echo xxx" ]
	out=$(tty_list 300 NO_COLOR=1)
	[[ $(grep "^$id" <<<"$out") == *" $cmd" ]]
	run -0 job list
	[[ ${lines[1]} == *"  $cmd" ]]
}

@test "list shows how long each job ran (TIME), its age (AGE) and the signal that ended it (EXIT)" {
	done=$(ended_as 'exit 3')
	killed=$(ended_as 'kill -KILL $$')
	live=$(job run sleep 1000)
	stopped=$(job run sleep 1000)
	run -0 tjob 20 stop "$stopped"
	# Created 2 hours ago, ran 90 s.
	db "UPDATE jobs SET created_at = created_at - 7200000,
	    started_at = created_at - 7200000,
	    finished_at = created_at - 7200000 + 90000 WHERE id = '$done'"
	run -0 job list
	[[ ${lines[0]} =~ ^ID\ +NAME\ +STATUS\ +EXIT\ +TIME\ +AGE\ +COMMAND$ ]]
	row() { grep "^$1 " <<<"$output" | awk '{ print $3, $4, $5, $6 }'; }
	[ "$(row "$done")" = "failed 3 1m30s 2h" ]
	[[ $(row "$killed") =~ ^failed\ SIGKILL\ $DUR_RE\ [0-9]+s$ ]]
	[[ $(row "$stopped") =~ ^stopped\ SIGTERM\ $DUR_RE\ [0-9]+s$ ]]
	[[ $(row "$live") =~ ^running\ -\ $DUR_RE\ [0-9]+s$ ]]
}

@test "list cuts names and commands on whole characters, to display columns" {
	command -v script >/dev/null || skip "script(1) is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	wide=$(printf '漢%.0s' {1..40})
	job run --name '名前が長いジョブ名前が長いジョブ名前が長い' -- echo "ü $wide" >/dev/null
	job run --name 'é' -- echo "é $wide" >/dev/null
	for cols in 108 109 110 111 140; do
		NO_COLOR=1 COLUMNS=$cols script -qec "$JOB_BIN list" /dev/null >out
		# Valid UTF-8; no line wider than the terminal; the long name
		# ends in "~" within its 24 columns; commands end in "...".
		python3 - "$cols" <<-'PY'
		import sys, unicodedata
		cols = int(sys.argv[1])
		lines = open("out", "rb").read().decode("utf-8").split("\r\n")
		lines = [l for l in lines if l]
		assert len(lines) == 3, lines
		def width(s):
		    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
		               for c in s)
		for l in lines:
		    assert width(l) <= cols, (cols, width(l), l)
		name = lines[2][28:lines[2].index("completed")]
		assert name.rstrip().endswith("~") and width(name) == 26, name
		for l in lines[1:]:
		    assert l.endswith("..."), l
		    assert width(l) >= cols - 1, (cols, width(l), l)
		PY
	done
	# Not a terminal: nothing is cut but the name.
	run -0 job list
	[[ ${lines[2]} == *"echo 'ü $wide'" ]]
	[[ ${lines[2]} == *'~'* ]]
}
