#!/usr/bin/env bats
# The JSON record: fields, types, times, JOB_FORMAT, --context.

load helper

MAN=$BATS_TEST_DIRNAME/../../job.1

# documented_keys: the fields job.1 lists under "Job objects", sorted, as
# a JSON array.
documented_keys() {
	awk '/^\.S[HS] / { on = ($0 ~ /^\.SS "?Job objects"?$/); next }
	    on && prev == ".TP" {
		for (i = 2; i <= NF; i++) if ($i ~ /^[a-z_]+$/) print $i
	    }
	    { prev = $0 }' "$MAN" | sort | jq -Rsc 'split("\n") | map(select(. != ""))'
}

# check_record JSON: an object with exactly the fields job.1 documents
# (and processes, for status), each of its documented type. One jq
# program; prints what is wrong and fails.
check_record() {
	local errs doc
	doc=$(documented_keys)
	[[ $(jq length <<<"$doc") -ge 25 ]] || {
		echo "job.1 lists only $doc" >&2
		return 1
	}
	errs=$(jq -r --arg home "$JOB_HOME" --arg ure "$ULID_RE" \
	    --arg tre "$TIME_RE" --argjson doc "$doc" '
	    def is_time(k): (.[k] | type) == "string" and (.[k] | test($tre));
	    def count(k): (.[k] | type) == "number" and .[k] >= 0 and
	      .[k] == (.[k] | floor);
	    def pid(k): (.[k] | type) == "number" and .[k] > 0 and
	      .[k] == (.[k] | floor);
	    def want(c; msg): if c then empty else msg end;
	    if type != "object" then "not an object: \(type)" else
	    (($doc - keys) | .[] | "missing field \(.)"),
	    ((keys - $doc - ["processes"]) | .[] | "undocumented field \(.)"),
	    want(.id | type == "string" and test($ure); "bad id"),
	    want(.name | type == "string" or . == null; "bad name"),
	    want(.command | type == "string"; "bad command"),
	    want(.status | IN("pending", "running", "completed", "failed",
	      "stopped", "interrupted"); "bad status"),
	    want(if .status == "running" or .status == "pending"
	      then .reason == null
	      else .reason | IN("exited", "signaled", "timeout",
	        "spawn_failed", "stopped", "supervisor_lost", "reboot") end;
	      "bad reason"),
	    want(.exit_code == null or count("exit_code"); "bad exit_code"),
	    want(.signal == null or (.signal | type == "string" and
	      startswith("SIG")); "bad signal"),
	    want(.project | type == "string" and startswith("/"); "bad project"),
	    want(.cwd | type == "string" and startswith("/"); "bad cwd"),
	    want(.pid == null or pid("pid"); "bad pid"),
	    want(.supervisor_pid == null or pid("supervisor_pid");
	      "bad supervisor_pid"),
	    want(is_time("created_at"); "bad created_at"),
	    want(.started_at == null or is_time("started_at");
	      "bad started_at"),
	    want(if .status == "running" or .status == "pending"
	      then .finished_at == null else is_time("finished_at") end;
	      "bad finished_at"),
	    want(if .started_at == null then .duration_s == null
	      else .duration_s | type == "number" and . >= 0 end;
	      "bad duration_s"),
	    want(.timeout_s == null or (.timeout_s | type == "number" and
	      . > 0); "bad timeout_s"),
	    want(.grace_s | type == "number" and . >= 0; "bad grace_s"),
	    want(.key | type == "string" or . == null; "bad key"),
	    want(.retry_of | . == null or (type == "string" and test($ure));
	      "bad retry_of"),
	    want(.env | type == "object" and
	      (map(type == "string") | all); "bad env"),
	    want(.boot_id | type == "string" and length > 0; "bad boot_id"),
	    want(.log_path == "\($home)/logs/\(.id).log"; "bad log_path"),
	    want(count("log_bytes"); "bad log_bytes"),
	    want(count("log_dropped"); "bad log_dropped"),
	    want((has("processes") | not) or (.processes | type == "array");
	      "bad processes")
	    end' <<<"$1") || errs="not JSON"
	[ -z "$errs" ] || {
		printf '%s\n' "$errs" "in: $1" >&2
		return 1
	}
}

@test "run --json, status --json, wait --json and list --json give full records" {
	boot=$(</proc/sys/kernel/random/boot_id)
	run --separate-stderr -0 job run --json --name j1 --grace 2s \
	    --env A=b 'echo hi; exit 3'
	check_record "$output"
	id=$(jq -r .id <<<"$output")
	[ "$(jq -c '[.name, .project, .cwd, .grace_s, .env, .boot_id]' <<<"$output")" = \
	    "[\"j1\",\"$PROJ\",\"$PROJ\",2,{\"A\":\"b\"},\"$boot\"]" ]
	sup=$(jq -r .supervisor_pid <<<"$output")

	run --separate-stderr -3 job wait --json "$id"
	check_record "$output"
	[ "$(jq -c '[.id, .status, .exit_code, .signal, .reason, .timeout_s, .context, .key, .retry_of]' <<<"$output")" = \
	    "[\"$id\",\"failed\",3,null,\"exited\",null,null,null,null]" ]
	# The ended record: what it printed, nothing dropped, how long it ran.
	[ "$(jq -c '[.supervisor_pid, .grace_s, .env, .boot_id, .log_bytes, .log_dropped]' <<<"$output")" = \
	    "[$sup,2,{\"A\":\"b\"},\"$boot\",3,0]" ]
	ms=$(($(time_ms "$(jq -r .finished_at <<<"$output")") -
	    $(time_ms "$(jq -r .started_at <<<"$output")")))
	[ "$(jq '.duration_s * 1000 | round' <<<"$output")" = "$ms" ]
	wait_rec=$output

	run --separate-stderr -0 job status --json "$id"
	check_record "$output"
	[ "$(jq -c 'del(.processes)' <<<"$output")" = "$(jq -c . <<<"$wait_rec")" ]
	[ "$(jq -c .processes <<<"$output")" = '[]' ]

	run --separate-stderr -0 job list --json
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq length <<<"$output")" = 1 ]
	check_record "$(jq -c '.[0]' <<<"$output")"
	[ "$(jq -c '.[0]' <<<"$output")" = "$(jq -c . <<<"$wait_rec")" ]
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
