#!/usr/bin/env bats
# The JSON record: fields, types, times, JOB_FORMAT, --context.

load helper

# check_record JSON: an object with every documented field, well typed.
# One jq program; prints what is wrong and fails.
check_record() {
	local errs
	errs=$(jq -r --arg home "$JOB_HOME" --arg ure "$ULID_RE" \
	    --arg tre "$TIME_RE" '
	    def is_time(k): (.[k] | type) == "string" and (.[k] | test($tre));
	    def want(c; msg): if c then empty else msg end;
	    if type != "object" then "not an object: \(type)" else
	    (["id", "name", "command", "status", "project", "cwd", "pid",
	      "exit_code", "signal", "reason", "created_at", "started_at",
	      "finished_at", "timeout_s", "context", "key", "retry_of",
	      "log_path"] - keys | .[] | "missing field \(.)"),
	    want(.id | type == "string" and test($ure); "bad id"),
	    want(.status | IN("pending", "running", "completed", "failed",
	      "stopped", "interrupted"); "bad status"),
	    want(.command | type == "string"; "bad command"),
	    want(.project | type == "string" and startswith("/"); "bad project"),
	    want(.cwd | type == "string" and startswith("/"); "bad cwd"),
	    want(.pid | type == "number"; "bad pid"),
	    want(.name | type == "string" or . == null; "bad name"),
	    want(.exit_code | type == "number" or . == null; "bad exit_code"),
	    want(.signal | type == "string" or . == null; "bad signal"),
	    want(.reason | type == "string" or . == null; "bad reason"),
	    want(.timeout_s | type == "number" or . == null; "bad timeout_s"),
	    want(.key | type == "string" or . == null; "bad key"),
	    want(.retry_of | . == null or (type == "string" and test($ure));
	      "bad retry_of"),
	    want(is_time("created_at"); "bad created_at"),
	    want(is_time("started_at"); "bad started_at"),
	    want(if .status == "running" or .status == "pending"
	      then .finished_at == null else is_time("finished_at") end;
	      "bad finished_at"),
	    want(.log_path == "\($home)/logs/\(.id).log"; "bad log_path")
	    end' <<<"$1") || errs="not JSON"
	[ -z "$errs" ] || {
		printf '%s\n' "$errs" "in: $1" >&2
		return 1
	}
}

@test "run --json, status --json, wait --json and list --json give full records" {
	run --separate-stderr -0 job run --json --name j1 'echo hi; exit 3'
	check_record "$output"
	id=$(jq -r .id <<<"$output")
	[ "$(jq -r .name <<<"$output")" = j1 ]
	[ "$(jq -r .project <<<"$output")" = "$PROJ" ]
	[ "$(jq -r .cwd <<<"$output")" = "$PROJ" ]

	run --separate-stderr -3 job wait --json "$id"
	check_record "$output"
	[ "$(jq -c '[.id, .status, .exit_code, .signal, .reason, .timeout_s, .context, .key, .retry_of]' <<<"$output")" = \
	    "[\"$id\",\"failed\",3,null,\"exited\",null,null,null,null]" ]

	run --separate-stderr -0 job status --json "$id"
	check_record "$output"
	[ "$(jq -r .status <<<"$output")" = failed ]

	run --separate-stderr -0 job list --json
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq length <<<"$output")" = 1 ]
	check_record "$(jq -c '.[0]' <<<"$output")"
}

@test "a running job's record: status running, no end yet" {
	run -0 job run --json --timeout 10m --key kk sleep 1000
	check_record "$output"
	[ "$(jq -c '[.status, .exit_code, .signal, .reason, .finished_at, .timeout_s, .key]' <<<"$output")" = \
	    '["running",null,null,null,null,600,"kk"]' ]
	pid=$(jq -r .pid <<<"$output")
	proc_alive "$pid"
}

@test "created_at <= started_at <= finished_at" {
	id=$(job run 'exit 0')
	job wait "$id" >/dev/null
	run -0 job status --json "$id"
	c=$(date -d "$(jq -r .created_at <<<"$output")" +%s%3N)
	s=$(date -d "$(jq -r .started_at <<<"$output")" +%s%3N)
	f=$(date -d "$(jq -r .finished_at <<<"$output")" +%s%3N)
	((c <= s && s <= f))
	# And recent: within a minute of now.
	(($(now_ms) - c < 60000))
}

@test "JOB_FORMAT=json makes JSON the default" {
	export JOB_FORMAT=json
	run --separate-stderr -0 job run 'exit 0'
	check_record "$output"
	id=$(jq -r .id <<<"$output")
	run --separate-stderr -0 job wait "$id"
	[ "$(jq -r .status <<<"$output")" = completed ]
	run --separate-stderr -0 job status "$id"
	check_record "$output"
	run --separate-stderr -0 job list
	[ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
	run --separate-stderr -1 job status nosuch
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
}

@test "JOB_FORMAT other than json keeps text" {
	JOB_FORMAT=text run -0 job run 'exit 0'
	[[ $output =~ $ULID_RE ]]
}

@test "--json is accepted before the command too" {
	run -0 job --json run 'exit 0'
	check_record "$output"
}

@test "--context round-trips as JSON, objects and other values" {
	run -0 job run --json --context '{"a":1, "b": {"c": [true, null, "x"]}}' 'exit 0'
	[ "$(jq -c .context <<<"$output")" = '{"a":1,"b":{"c":[true,null,"x"]}}' ]
	[ "$(jq -r '.context | type' <<<"$output")" = object ]
	id=$(jq -r .id <<<"$output")
	[ "$(job status --json "$id" | jq -c .context)" = '{"a":1,"b":{"c":[true,null,"x"]}}' ]
	[ "$(job list --json | jq -c '.[0].context')" = '{"a":1,"b":{"c":[true,null,"x"]}}' ]

	run -0 job run --json --context '[1,2]' 'exit 0'
	[ "$(jq -c .context <<<"$output")" = '[1,2]' ]
	run -0 job run --json --context '"text"' 'exit 0'
	[ "$(jq -c .context <<<"$output")" = '"text"' ]
	run -0 job run --json --context '42' 'exit 0'
	[ "$(jq -c .context <<<"$output")" = '42' ]
}

@test "strings with quotes, newlines and UTF-8 survive the JSON" {
	cmd=$'echo "q\\"uote" \'s\' é ✓\n# second line'
	run -0 job run --json --name 'näme ✓' "$cmd"
	[ "$(jq -r .command <<<"$output")" = "$cmd" ]
	[ "$(jq -r .name <<<"$output")" = 'näme ✓' ]
}

@test "several refs give a JSON array" {
	a=$(job run 'exit 0')
	b=$(job run 'exit 0')
	run -0 job wait --json "$a" "$b"
	[ "$(jq -r 'map(.id) | join(" ")' <<<"$output")" = "$a $b" ]
	run -0 job stop --json "$a"
	[ "$(jq -r type <<<"$output")" = object ]
}

@test "errors in JSON are one line on stderr with a code and a message" {
	run --separate-stderr -1 job status --json 0ZZZZZZZ
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" = 1 ]
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	[ "$(jq -r '.error.message | type' <<<"$stderr")" = string ]
}
