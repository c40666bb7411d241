#!/usr/bin/env bats
# What an agent sees of jobs: list's hint about other projects, status's
# process tree and duration, and duration_s and log_bytes in the records.

load helper

# status_processes_are ID N: status --json lists exactly N live processes.
status_processes_are() {
	[[ $(job status --json "$1" | jq '.processes | length') == "$2" ]]
}

# list_field ID JQ-PATH: one field of the job's object in list --json.
list_field() {
	job list --json --all --limit 0 | jq -r --arg id "$1" \
	    ".[] | select(.id == \$id) | $2"
}

# duration_above ID SECONDS: status --json says duration_s > SECONDS.
duration_above() {
	job status --json "$1" | jq -e --argjson d "$2" '.duration_s > $d' \
	    >/dev/null
}

@test "list in a project without jobs says on stderr how many other projects have" {
	a=$(make_project a)
	(cd "$a" && job run 'exit 0' && job run 'exit 1' &&
	    job run 'while [ ! -e stop ]; do sleep 0.02; done') >/dev/null
	b=$(make_project b)
	(cd "$b" && job run 'exit 0') >/dev/null
	c=$(make_project c)
	cd "$c"
	run --separate-stderr -0 job list
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" = 1 ]
	# How many: the 4 jobs of a and b; and how to see them.
	[[ $stderr =~ (^|[^0-9])4[^0-9] ]]
	[[ $stderr == *"--all"* ]]
	[[ $stderr == job:* ]]
	run --separate-stderr -0 job list --json
	[ "$output" = '[]' ]
	# --all shows them, with no hint.
	run --separate-stderr -0 job list --all
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 5 ]
	[[ ${lines[0]} == ID* ]]
	# A project with jobs gets no hint.
	cd "$a"
	run --separate-stderr -0 job list
	[ -z "$stderr" ]
	[ "${#lines[@]}" = 4 ]
}

@test "list with no job anywhere prints nothing at all" {
	run --separate-stderr -0 job list
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "status of a running job shows its process tree and how long it has run" {
	run -0 job run --name tree 'sleep 1000 & sleep 1001'
	id=$output
	wait_for status_processes_are "$id" 3
	pid=$(field "$id" .pid)
	s1000=$(marked_pids '^sleep 1000')
	s1001=$(marked_pids '^sleep 1001')
	[[ $s1000 =~ ^[0-9]+$ && $s1001 =~ ^[0-9]+$ ]]
	run -0 job status tree
	[[ $output =~ (^|$'\n')duration\ +$DUR_RE($'\n'|$) ]]
	header=$(grep -n '^processes' <<<"$output")
	[[ $header =~ ^[0-9]+:processes\ +PID\ +PPID\ +PGID\ +SID\ +COMMAND$ ]]
	rows=$(sed -n "$((${header%%:*} + 1)),\$p" <<<"$output")
	[ "$(wc -l <<<"$rows")" = 3 ]
	[[ $rows =~ (^|$'\n')\ +$pid\ +[0-9]+\ +$pid\ +[0-9]+\ +(/bin/)?sh\ -c\ sleep\ 1000\ \&\ sleep\ 1001($'\n'|$) ]]
	[[ $rows =~ (^|$'\n')\ +$s1000\ +$pid\ +$pid\ +[0-9]+\ +sleep\ 1000($'\n'|$) ]]
	[[ $rows =~ (^|$'\n')\ +$s1001\ +$pid\ +$pid\ +[0-9]+\ +sleep\ 1001($'\n'|$) ]]
	run -0 job status --json tree
	[ "$(jq -c '.processes | map(keys) | unique' <<<"$output")" = '[["command","pgid","pid","ppid","sid"]]' ]
	[ "$(jq -c --argjson p "$pid" '.processes | map(select(.pid == $p)) | map(.command)' <<<"$output")" = \
	    '["sh -c sleep 1000 & sleep 1001"]' ] ||
	    [ "$(jq -c --argjson p "$pid" '.processes | map(select(.pid == $p)) | map(.command)' <<<"$output")" = \
	    '["/bin/sh -c sleep 1000 & sleep 1001"]' ]
	[ "$(jq -c --argjson p "$pid" '.processes | map(select(.ppid == $p)) | sort_by(.command) | map([.pid, .command])' <<<"$output")" = \
	    "[[$s1000,\"sleep 1000\"],[$s1001,\"sleep 1001\"]]" ]
	# The job's shell is a child of its supervisor.
	[ "$(jq -r --argjson p "$pid" '.processes[] | select(.pid == $p) | .ppid' <<<"$output")" = \
	    "$(jq -r .supervisor_pid <<<"$output")" ]
	run -0 job stop --force tree
	run -0 job status --json tree
	[ "$(jq -c '[.status, .processes]' <<<"$output")" = '["stopped",[]]' ]
	run -0 job status tree
	[[ $output != *processes* ]]
}

@test "status of an ended job has an empty processes array and a fixed duration" {
	run -0 job run --wait 'echo done'
	[[ $output =~ ^([0-9A-Z]{26})\  ]]
	id=${BASH_REMATCH[1]}
	run -0 job status --json "$id"
	[ "$(jq -c .processes <<<"$output")" = '[]' ]
	run -0 job status "$id"
	[[ $output =~ (^|$'\n')duration\ +$DUR_RE($'\n'|$) ]]
	[[ $output != *processes* ]]
}

@test "duration_s grows while the job runs and is fixed once it ended" {
	run -0 job run --wait 'sleep 0.2'
	[[ $output =~ ^([0-9A-Z]{26})\  ]]
	done_id=${BASH_REMATCH[1]}
	rec=$(job status --json "$done_id")
	d0=$(jq -r .duration_s <<<"$rec")
	ms=$(($(time_ms "$(jq -r .finished_at <<<"$rec")") - $(time_ms "$(jq -r .started_at <<<"$rec")")))
	# Exactly finished_at - started_at, at least the 200 ms it slept.
	((ms >= 200))
	[ "$(jq -r '.duration_s * 1000 | round' <<<"$rec")" = "$ms" ]

	run -0 job run 'while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	d1=$(field "$id" .duration_s)
	[[ $d1 =~ ^[0-9]+(\.[0-9]+)?$ ]]
	wait_for duration_above "$id" "$d1"
	d2=$(field "$id" .duration_s)
	wait_for duration_above "$id" "$d2"
	[ "$(list_field "$id" '.duration_s > '"$d1")" = true ]
	[ "$(field "$id" .finished_at)" = null ]

	# Time went by; the ended job's duration did not move.
	[ "$(field "$done_id" .duration_s)" = "$d0" ]
	[ "$(list_field "$done_id" .duration_s)" = "$d0" ]
	run -0 job wait --json "$done_id"
	[ "$(jq -r .duration_s <<<"$output")" = "$d0" ]
}

@test "log_bytes is the log file's size, in status and list, running and ended" {
	run -0 job run --name chatty 'echo hello; while [ ! -e go ]; do sleep 0.02; done; seq 100; while [ ! -e go2 ]; do sleep 0.02; done; printf end'
	id=$output
	wait_for log_size_is "$id" 6
	[ "$(field "$id" .log_bytes)" = 6 ]
	[ "$(list_field "$id" .log_bytes)" = 6 ]
	touch go
	size=$((6 + $(seq 100 | wc -c)))
	wait_for log_size_is "$id" "$size"
	[ "$(field "$id" .log_bytes)" = "$size" ]
	[ "$(list_field "$id" .log_bytes)" = "$size" ]
	[ "$(field "$id" .status)" = running ]
	touch go2
	run -0 tjob 20 wait "$id"
	size=$((size + 3))
	[ "$(stat -c %s "$(log_of "$id")")" = "$size" ]
	[ "$(field "$id" .log_bytes)" = "$size" ]
	[ "$(list_field "$id" .log_bytes)" = "$size" ]
	run -0 job status chatty
	[[ $output =~ (^|$'\n')log_size\ +$size\ bytes($'\n'|$) ]]
	# And 0 for a job that printed nothing.
	run -0 job run --wait 'true'
	[[ $output =~ ^([0-9A-Z]{26})\  ]]
	[ "$(field "${BASH_REMATCH[1]}" .log_bytes)" = 0 ]
}

@test "status without a reference: version, home, store, schema, project and counts" {
	run -0 job run --wait 'exit 0'
	run -1 job run --wait 'exit 1'
	run -0 job run 'while [ ! -e stop ]; do sleep 0.02; done'
	other=$(make_project other)
	(cd "$other" && job run --wait 'exit 0') >/dev/null
	version=$(job --version)
	[[ $version =~ ^job\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	schema=$(db 'PRAGMA user_version')
	((schema >= 1))

	run --separate-stderr -0 job status --json
	[ "$(jq -c keys <<<"$output")" = \
	    '["counts","home","project","project_counts","schema_version","store","version"]' ]
	[ "$(jq -c '[.version, .home, .store, .schema_version, .project]' <<<"$output")" = \
	    "[\"${version#job }\",\"$JOB_HOME\",\"$JOB_HOME/job.db\",$schema,\"$PROJ\"]" ]
	[ "$(jq -c .project_counts <<<"$output")" = \
	    '{"pending":0,"running":1,"completed":1,"failed":1,"stopped":0,"interrupted":0}' ]
	[ "$(jq -c .counts <<<"$output")" = \
	    '{"pending":0,"running":1,"completed":2,"failed":1,"stopped":0,"interrupted":0}' ]

	run --separate-stderr -0 job status
	[ "${lines[0]}" = "$version" ]
	[[ $output =~ (^|$'\n')home\ +$JOB_HOME($'\n'|$) ]]
	[[ $output =~ (^|$'\n')schema\ +$schema($'\n'|$) ]]
	[[ $output =~ (^|$'\n')project\ +$PROJ($'\n'|$) ]]
	[[ $output =~ (^|$'\n')STATUS\ +PROJECT\ +ALL($'\n'|$) ]]
	[[ $output =~ (^|$'\n')running\ +1\ +1($'\n'|$) ]]
	[[ $output =~ (^|$'\n')completed\ +1\ +2($'\n'|$) ]]
	[[ $output =~ (^|$'\n')failed\ +1\ +1($'\n'|$) ]]
	[[ $output =~ (^|$'\n')stopped\ +0\ +0($'\n'|$) ]]
	touch stop
}
