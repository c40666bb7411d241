#!/usr/bin/env bats
# job mcp: a real MCP session over the binary's stdin and stdout, through two
# fifos, with bash and jq only. Every read of an answer is bounded
# (mcp_recv); every server and worker carries the test's marker, so teardown
# ends them, and each test that ends a session checks the server's exit.
#
# Choices tested here (job.1, mcp): batches are answered with one array;
# argument errors are tool errors (isError), parameter errors of tools/call
# are -32602; a line over 1 MiB is answered -32600 with a null id; at EOF the
# pending waits end unanswered and every other call is answered.

load helper

# mcp_start [ARGS...]: starts `job mcp ARGS` in the current folder; writes
# go to fd $MCP_IN, answers come from fd $MCP_OUT; its pid is $MCP_PID.
mcp_start() {
	local dir=$BATS_TEST_TMPDIR/mcp
	mkdir -p "$dir"
	rm -f "$dir/in" "$dir/out"
	mkfifo "$dir/in" "$dir/out"
	(export JOBTEST_MARK; exec "$JOB_BIN" mcp "$@") <"$dir/in" \
	    >"$dir/out" 2>"$dir/err" 3>&- &
	MCP_PID=$!
	exec {MCP_IN}>"$dir/in" {MCP_OUT}<"$dir/out"
	MCP_ID=0
}

mcp_send() {
	printf '%s\n' "$1" >&"$MCP_IN"
}

# mcp_recv [SECS]: the next line from the server, in $reply (10 s at most).
mcp_recv() {
	reply=
	IFS= read -r -t "${1:-10}" -u "$MCP_OUT" reply || {
		echo "no answer within ${1:-10}s; stderr:" \
		    "$(cat "$BATS_TEST_TMPDIR/mcp/err")" >&2
		return 1
	}
}

# mcp_req ID METHOD [PARAMS]
mcp_req() {
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"$2\"${3:+,\"params\":$3}}"
}

# mcp_call ID TOOL [ARGS]: ARGS may span lines; it goes on one.
mcp_call() {
	local args=${3-}
	[[ -n $args ]] || args='{}'
	args=$(jq -c . <<<"$args") || return 1
	mcp_req "$1" tools/call "{\"name\":\"$2\",\"arguments\":$args}"
}

# mcp_init [VERSION [CAPABILITIES]]: initialize (the answer in $init), then
# notifications/initialized.
mcp_init() {
	local caps=${2-}
	[[ -n $caps ]] || caps='{}'
	mcp_req 0 initialize "{\"protocolVersion\":\"${1-2025-11-25}\",\
\"capabilities\":$caps,\"clientInfo\":{\"name\":\"bats\",\"version\":\"1\"}}"
	mcp_recv || return 1
	init=$reply
	mcp_send '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}

# answer_is ID JQ-BOOL: $reply answers ID and satisfies the expression.
answer_is() {
	jq -e --argjson id "$1" ".id == \$id and .jsonrpc == \"2.0\" and ($2)" \
	    <<<"$reply" >/dev/null || {
		echo "answer to $1 fails '$2': ${reply:0:2000}" >&2
		return 1
	}
}

# mcp_tool TOOL [ARGS]: one call, answered within $MCP_WAIT (30) seconds;
# the result is well formed (one text item holding structuredContent).
# Leaves structuredContent in $sc and isError in $is_error.
mcp_tool() {
	MCP_ID=$((MCP_ID + 1))
	mcp_call "$MCP_ID" "$1" "${2-}"
	mcp_recv "${MCP_WAIT:-30}" || return 1
	answer_is "$MCP_ID" '(.result.content | length) == 1 and
	    .result.content[0].type == "text" and
	    (.result.content[0].text | fromjson) == .result.structuredContent' ||
	    return 1
	sc=$(jq -c .result.structuredContent <<<"$reply")
	is_error=$(jq -r .result.isError <<<"$reply")
}

# mcp_ok TOOL [ARGS]: a call that succeeds.
mcp_ok() {
	mcp_tool "$@" || return 1
	[[ $is_error == false ]] || {
		echo "$1 ${2-}: isError: $sc" >&2
		return 1
	}
}

# mcp_fails TOOL ARGS CODE ERE: a tool error with the CLI's error object.
mcp_fails() {
	mcp_tool "$1" "$2" || return 1
	[[ $is_error == true ]] || {
		echo "$1 $2: not an error: $sc" >&2
		return 1
	}
	jq -e --arg c "$3" --arg re "$4" '.error.code == $c and
	    (.error.message | test($re))' <<<"$sc" >/dev/null || {
		echo "$1 $2: want $3 /$4/: $sc" >&2
		return 1
	}
}

# sc_is JQ-BOOL: the last structuredContent satisfies the expression.
sc_is() {
	jq -e "$1" <<<"$sc" >/dev/null || {
		echo "structuredContent fails '$1': ${sc:0:2000}" >&2
		return 1
	}
}

# mcp_end: closes stdin; the server exits 0 within 15 s.
mcp_end() {
	local rc=0
	exec {MCP_IN}>&-
	wait_for -t 15 proc_gone "$MCP_PID" || return 1
	wait "$MCP_PID" || rc=$?
	[[ $rc -eq 0 ]] || {
		echo "job mcp exited $rc: $(cat "$BATS_TEST_TMPDIR/mcp/err")" >&2
		return 1
	}
}

# The workers of this test running COMMAND (wait, list...).
# The server's own workers: a `job run` forks its job's supervisor early,
# and that runs under the same command line until it execs.
workers() {
	local pid ppid
	for pid in $(marked_pids "^job --json $1 "); do
		read -r _ _ _ ppid _ <"/proc/$pid/stat" 2>/dev/null || continue
		if [[ $ppid == "$MCP_PID" ]]; then
			echo "$pid"
		fi
	done
}

no_workers() {
	[[ -z $(workers "$1") ]]
}

# ---------------------------------------------------------------- protocol

@test "initialize answers each revision it knows with that one, anything else with 2025-11-25" {
	local v want version
	version=$("$JOB_BIN" --version)
	for v in 2025-11-25 2025-06-18 2025-03-26 2024-11-05 2023-01-01 ''; do
		mcp_start
		mcp_init "$v"
		case $v in
		2025-11-25 | 2025-06-18 | 2025-03-26 | 2024-11-05) want=$v ;;
		*) want=2025-11-25 ;;
		esac
		reply=$init
		answer_is 0 ".result.protocolVersion == \"$want\" and
		    .result.serverInfo.name == \"job\" and
		    \"job \" + .result.serverInfo.version == \"$version\" and
		    .result.capabilities.tools != null and
		    (.result.instructions | length) > 0"
		mcp_req 1 ping
		mcp_recv
		answer_is 1 '.result == {}'
		mcp_end
	done
}

@test "tools/list: the eight tools, each an object schema with no root anyOf, annotations and no outputSchema" {
	mcp_start
	mcp_init
	mcp_req 1 tools/list
	mcp_recv
	answer_is 1 '[.result.tools[].name] == ["job_run", "job_list",
	    "job_status", "job_logs", "job_wait", "job_stop", "job_retry",
	    "job_queue"]'
	answer_is 1 'all(.result.tools[]; .inputSchema.type == "object" and
	    (.inputSchema | has("anyOf") or has("oneOf") or has("allOf") |
	    not) and (.inputSchema.properties | type) == "object" and
	    (has("outputSchema") | not) and (.description | length) > 80 and
	    (.annotations | type) == "object" and
	    all(.inputSchema.properties[]; (.description | length) > 10))'
	answer_is 1 '[.result.tools[] | select(.annotations.readOnlyHint) |
	    .name] == ["job_list", "job_status", "job_logs", "job_wait"]'
	answer_is 1 '[.result.tools[] | select(.annotations.destructiveHint) |
	    .name] == ["job_stop"]'
	answer_is 1 '.result.tools[] | select(.name == "job_status") |
	    .inputSchema.required == ["ref"]'
	answer_is 1 '.result.tools[] | select(.name == "job_run") |
	    .inputSchema.properties | (.env.type == "object") and
	    (.argv.type == "array") and (.after_end.items.type == "string")'
	mcp_end
}

@test "every tool argument is the long option of its command, in snake_case" {
	local tools tool cmd prop usage failed=0 n=0
	mcp_start
	mcp_init
	mcp_req 1 tools/list
	mcp_recv
	mcp_end
	tools=$(jq -r '.result.tools[] | .name as $t |
	    .inputSchema.properties | keys[] | "\($t) \(.)"' <<<"$reply")
	while read -r tool prop; do
		cmd=${tool#job_}
		# Operands, not options.
		case "$tool.$prop" in
		*.ref | *.refs | job_run.command | job_run.argv | job_queue.name)
			continue ;;
		esac
		if ! usage=$("$JOB_BIN" help "$cmd" 2>/dev/null); then
			[[ $cmd == queue ]] && continue
			echo "$tool: no command '$cmd'"
			failed=1
			continue
		fi
		n=$((n + 1))
		grep -qE -- "--${prop//_/-}( |\$)" <<<"$usage" && continue
		[[ $prop =~ ^(queue|after|after_end)$ ]] &&
		    ! "$JOB_BIN" help run | grep -q -- --queue && continue
		echo "$tool: '$prop' is not an option of job $cmd"
		failed=1
	done <<<"$tools"
	[ "$n" -ge 25 ]
	[ "$failed" -eq 0 ]
}

@test "JSON-RPC errors: -32700, -32600, -32601, -32602; notifications are never answered" {
	mcp_start
	mcp_init
	mcp_send '{"jsonrpc":"2.0","id":1,'
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send $'{"jsonrpc":"2.0","id":2,"method":"ping","params":{"s":"\xff"}}'
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"s":"a\u0000b"}}'
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send '42'
	mcp_recv
	answer_is null '.error.code == -32600'
	mcp_send '{"id":4,"method":"ping"}'
	mcp_recv
	answer_is 4 '.error.code == -32600'
	mcp_send '{"jsonrpc":"2.0","id":null,"method":"ping"}'
	mcp_recv
	answer_is null '.error.code == -32600'
	mcp_send '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'
	mcp_recv
	answer_is null '.error.code == -32600'
	mcp_send '{"jsonrpc":"2.0","id":5,"method":7}'
	mcp_recv
	answer_is 5 '.error.code == -32600'
	mcp_req 6 resources/list
	mcp_recv
	answer_is 6 '.error.code == -32601 and (.error.message | test("resources/list"))'
	mcp_req 7 tools/call '{"name":"job_nope","arguments":{}}'
	mcp_recv
	answer_is 7 '.error.code == -32602 and (.error.message | test("job_nope"))'
	mcp_req 8 tools/call '{"arguments":{}}'
	mcp_recv
	answer_is 8 '.error.code == -32602'
	mcp_req 9 tools/call '{"name":"job_list","arguments":[1]}'
	mcp_recv
	answer_is 9 '.error.code == -32602'
	mcp_req 10 tools/call '[1]'
	mcp_recv
	answer_is 10 '.error.code == -32602'
	# Notifications, good or bad, and responses get no answer: the next
	# line answers the ping after them.
	mcp_send '{"jsonrpc":"2.0","method":"notifications/whatever"}'
	mcp_send '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}'
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}'
	mcp_send '{"jsonrpc":"2.0","id":"x","result":{}}'
	mcp_send '{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}'
	mcp_send ''
	mcp_send '   '
	mcp_req 11 ping
	mcp_recv
	answer_is 11 '.result == {}'
	mcp_end
}

@test "a tool that cannot do what it was asked is a tool error with the CLI's error object" {
	local a b
	mcp_start
	mcp_init
	mcp_fails job_status '{"ref":"no-such-job"}' not_found "no job matches"
	mcp_fails job_logs '{"ref":"no-such-job"}' not_found "no job matches"
	mcp_fails job_wait '{"refs":["no-such-job"]}' not_found "no job matches"
	mcp_fails job_run '{"command":"true","timeout":"soon"}' usage \
	    "bad duration 'soon'"
	mcp_fails job_run '{"name":"x"}' usage "no command given"
	mcp_fails job_run '{"command":"true","argv":["true"]}' usage "not both"
	mcp_fails job_run '{"command":"true","nmae":"x"}' usage \
	    "unknown argument 'nmae'"
	mcp_fails job_list '{"all":"yes"}' usage "true or false"
	mcp_fails job_list '{"status":["done"]}' usage "'done'"
	mcp_fails job_status '{}' usage "'ref' of job_status is required"
	mcp_fails job_wait '{}' usage "no job given"
	mcp_fails job_stop '{"ref":"a","force":1}' usage "true or false"
	mcp_fails job_logs '{"ref":"x","max_bytes":0}' usage "max-bytes"
	mcp_fails job_wait '{"ref":"x","until":"a","port":80}' usage \
	    "do not go together"
	# An ambiguous prefix lists the candidates.
	while :; do
		a=$(job run -- true)
		b=$(job run -- true)
		[[ ${a:0:1} == "${b:0:1}" ]] && break
	done
	mcp_fails job_status "{\"ref\":\"${a:0:1}\"}" ambiguous "matches"
	sc_is '.error.candidates | length == 2'
	# A program that cannot start fails job run, as in the CLI.
	mcp_fails job_run '{"argv":["/no/such/program"],"name":"bad"}' \
	    spawn_failed "/no/such/program"
	mcp_end
}

@test "a batch is answered with one array, after its slowest call; an empty batch is an invalid request" {
	start_job --name slow -- sleep 0.5
	mcp_start
	mcp_init
	mcp_send "$(jq -c . <<<'[{"jsonrpc":"2.0","id":1,"method":"ping"},
	    {"jsonrpc":"2.0","method":"notifications/whatever"},
	    {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"job_wait","arguments":{"ref":"slow"}}},
	    {"jsonrpc":"2.0","id":3,"method":"nope"}, 5]')"
	mcp_recv 30
	jq -e 'type == "array" and length == 4 and
	    (map(.id) == [1, 3, null, 2]) and .[0].result == {} and
	    .[1].error.code == -32601 and .[2].error.code == -32600 and
	    .[3].result.structuredContent.jobs[0].status == "completed"' \
	    <<<"$reply" >/dev/null || { echo "$reply"; false; }
	mcp_send '[]'
	mcp_recv
	answer_is null '.error.code == -32600'
	# Only notifications: nothing comes back.
	mcp_send '[{"jsonrpc":"2.0","method":"notifications/initialized"}]'
	mcp_req 4 ping
	mcp_recv
	answer_is 4 '.result == {}'
	mcp_end
}

@test "a tools/call whose id is that of a pending call is an invalid request" {
	start_job --name long -- sleep 30
	mcp_start
	mcp_init
	mcp_call 1 job_wait '{"ref":"long","timeout":"20s"}'
	mcp_call 1 job_list
	mcp_recv
	answer_is 1 '.error.code == -32600'
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}'
	wait_for no_workers wait
	mcp_end
}

# ---------------------------------------------------------------- tools

@test "job_run: a shell line or an argv, with its options; the job object comes back at once" {
	local id
	mkdir sub
	mcp_start
	mcp_init
	mcp_ok job_run '{"command":"echo \"$GREETING\" from $(pwd) | tr a-z A-Z",
	    "name":"shell","env":{"GREETING":"hello"},"cwd":"sub",
	    "context":{"ticket":42,"tags":["a"]},"timeout":"1m","grace":2}'
	sc_is ".name == \"shell\" and (.status == \"running\" or
	    .status == \"completed\") and .cwd == \"$PROJ/sub\" and
	    .project == \"$PROJ\" and .env == {\"GREETING\": \"hello\"} and
	    .context == {\"ticket\": 42, \"tags\": [\"a\"]} and
	    .timeout_s == 60 and .grace_s == 2 and .argv == null"
	id=$(jq -r .id <<<"$sc")
	job wait "$id" >/dev/null
	[ "$(cat "$(log_of "$id")")" = "HELLO FROM ${PROJ^^}/SUB" ]
	# An argv runs without a shell, words as given.
	mcp_ok job_run '{"argv":["printf","%s|","a b","$HOME","--name"],
	    "key":"k1"}'
	sc_is '.argv == ["printf", "%s|", "a b", "$HOME", "--name"] and
	    .key == "k1" and .name == null'
	id=$(jq -r .id <<<"$sc")
	job wait "$id" >/dev/null
	[ "$(cat "$(log_of "$id")")" = 'a b|$HOME|--name|' ]
	# The key makes it idempotent.
	mcp_ok job_run '{"argv":["false"],"key":"k1"}'
	sc_is ".id == \"$id\""
	# A name in use is a tool error.
	mcp_ok job_run '{"command":"sleep 30","name":"web"}'
	mcp_fails job_run '{"command":"sleep 30","name":"web"}' name_in_use \
	    "web"
	mcp_end
}

@test "jobs started through the server get the server's umask, not the 077 job keeps for itself" {
	umask 022
	mcp_start
	mcp_init
	mcp_ok job_run '{"command":"touch made; mkdir dir","name":"mask"}'
	job wait mask >/dev/null
	[ "$(stat -c %a made)" = 644 ]
	[ "$(stat -c %a dir)" = 755 ]
	mcp_end
}

@test "job_list, job_status, job_retry and job_stop answer as the CLI does" {
	local first new
	run_to_end 'exit 3'
	first=$id
	start_job --name web -- sleep 30
	mcp_start
	mcp_init
	mcp_ok job_list
	sc_is '(.jobs | length) == 2 and .jobs[0].name == "web"'
	mcp_ok job_list '{"status":["failed"],"limit":5}'
	sc_is "(.jobs | map(.id)) == [\"$first\"]"
	mcp_ok job_list '{"name":"web","all":true,"limit":null}'
	sc_is '(.jobs | length) == 1'
	mcp_ok job_status "{\"ref\":\"$first\"}"
	sc_is ".id == \"$first\" and .status == \"failed\" and .exit_code == 3
	    and .processes == []"
	mcp_ok job_status '{"ref":"web"}'
	sc_is '.status == "running" and (.processes | length) >= 1'
	mcp_ok job_retry "{\"ref\":\"$first\"}"
	sc_is ".retry_of == \"$first\" and .command == \"exit 3\""
	new=$(jq -r .id <<<"$sc")
	mcp_ok job_stop '{"ref":"web","grace":"1s"}'
	sc_is '(.jobs | length) == 1 and .jobs[0].status == "stopped"'
	mcp_ok job_stop "{\"refs\":[\"web\",\"$new\"],\"force\":true}"
	sc_is '(.jobs | length) == 2'
	mcp_end
}

@test "job_logs: 64 KiB a read unless max_bytes says otherwise, truncated, and since reads on" {
	local next
	run_to_end 'head -c 100000 /dev/zero | tr "\0" x; echo; echo last'
	mcp_start
	mcp_init
	mcp_ok job_logs "{\"ref\":\"$id\"}"
	sc_is '(.data | length) == 65536 and .truncated == true and
	    .next_offset == 65536 and .eof == false and .size == 100006'
	next=$(jq -r .next_offset <<<"$sc")
	mcp_ok job_logs "{\"ref\":\"$id\",\"since\":$next,\"max_bytes\":1000000}"
	sc_is '(.data | length) == 34470 and .truncated == false and
	    .eof == true and (.data | endswith("x\nlast\n"))'
	mcp_ok job_logs "{\"ref\":\"$id\",\"tail\":1}"
	sc_is '.data == "last\n" and .omitted_lines == 1'
	# A filter sees the 64 KiB read too.
	mcp_ok job_logs "{\"ref\":\"$id\",\"grep\":\"^l\",\"plain\":true}"
	sc_is '.data == "" and .next_offset == 65536'
	mcp_ok job_logs "{\"ref\":\"$id\",\"grep\":\"^l\",\"since\":$next}"
	sc_is '.data == "2:last\n"'
	mcp_end
}

@test "job_wait: the end, a timeout (a result, not an error), a log line and a port" {
	local port ended
	run_to_end 'exit 4'
	ended=$id
	start_job --name srv -- sh -c 'echo booting; sleep 0.3; echo READY; sleep 30'
	mcp_start
	mcp_init
	mcp_ok job_wait "{\"ref\":\"$ended\"}"
	sc_is ".timed_out == false and .ready == null and
	    .jobs[0].id == \"$ended\" and .jobs[0].exit_code == 4"
	mcp_ok job_wait '{"ref":"srv","timeout":0.2}'
	sc_is '.timed_out == true and .ready == null and
	    .jobs[0].status == "running"'
	mcp_ok job_wait '{"ref":"srv","until":"^READY$","timeout":"20s"}'
	sc_is '.timed_out == false and .ready == true and
	    .jobs[0].name == "srv" and .jobs[0].status == "running"'
	mcp_ok job_wait "{\"refs\":[\"srv\",\"$ended\"],\"any\":true}"
	sc_is ".jobs[0].id == \"$ended\" and .timed_out == false"
	# A port nobody listens on: not ready within the timeout.
	port=$(( (RANDOM % 20000) + 30000 ))
	mcp_ok job_wait "{\"ref\":\"srv\",\"port\":$port,\"timeout\":\"300ms\"}"
	sc_is '.timed_out == true and .ready == false and
	    .jobs[0].status == "running"'
	mcp_end
}

@test "the queue tools map onto job run --queue/--after/--after-end and job queue" {
	mcp_start
	mcp_init
	mcp_ok job_run '{"command":"sleep 30","name":"first","queue":"q"}'
	sc_is '.queue == "q"'
	wait_status first running
	mcp_ok job_run '{"command":"true","name":"second","queue":"q"}'
	sc_is '.status == "pending" and .queue == "q"'
	mcp_ok job_queue '{"name":"q"}'
	sc_is '.queues[0].name == "q" and .queues[0].running == 1 and
	    .queues[0].pending == 1'
	mcp_ok job_queue '{"name":"q","parallel":2}'
	sc_is '.queues[0].parallel == 2'
	mcp_ok job_queue
	sc_is '(.queues | map(.name)) == ["q"]'
	mcp_ok job_run '{"command":"true","after":["first"],"after_end":["second"]}'
	sc_is '.status == "pending" and (.after | length) == 1 and
	    (.after_end | length) == 1'
	mcp_end
}

# ---------------------------------------------------------------- concurrency

@test "a wait that blocks does not hold up a list sent after it" {
	local start
	start_job --name long -- sleep 30
	mcp_start
	mcp_init
	mcp_call 1 job_wait '{"ref":"long","timeout":"25s"}'
	wait_for waiting '--json wait'
	start=$(uptime_ms)
	mcp_call 2 job_list
	mcp_recv 10
	answer_is 2 '.result.structuredContent.jobs[0].name == "long"'
	# Well before the wait's own end.
	(( $(uptime_ms) - start < 10000 ))
	[ -n "$(workers wait)" ]
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"enough"}}'
	wait_for no_workers wait
	mcp_end
}

@test "forty waits at once: the ones over the limit queue, and a list still goes first" {
	local i start
	start_job --name long -- sleep 60
	mcp_start
	mcp_init
	for ((i = 1; i <= 40; i++)); do
		mcp_call "$i" job_wait '{"ref":"long","timeout":"50s"}'
	done
	wait_for -t 30 test "$(workers wait | wc -l)" -eq 32
	start=$(uptime_ms)
	mcp_call 41 job_list
	mcp_recv 20
	answer_is 41 '.result.structuredContent.jobs[0].name == "long"'
	(( $(uptime_ms) - start < 20000 ))
	# EOF ends the running waits and drops the queued ones.
	mcp_end
	no_workers wait
	run -1 read -r -t 1 -u "$MCP_OUT" reply
}

@test "cancel races: cancels before, during and after their calls leave a server that answers" {
	local i out
	start_job --name done -- true
	mcp_start
	mcp_init
	for ((i = 1; i <= 30; i++)); do
		# In the same write, a cancel finds the call not started.
		printf '%s\n%s\n' \
		    "{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":\"job_status\",\"arguments\":{\"ref\":\"done\"}}}" \
		    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":$i}}" \
		    >&"$MCP_IN"
		# Apart, it finds it running, ending or answered.
		mcp_call "$((i + 100))" job_list
		mcp_send "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":$((i + 100))}}"
	done
	mcp_req 999 ping
	# Whatever came before the ping answers a list of this loop.
	while mcp_recv 20; do
		[[ $(jq .id <<<"$reply") == 999 ]] && break
		answer_is "$(jq .id <<<"$reply")" '.id > 100 and .id <= 130 and
		    .result.isError == false'
	done
	answer_is 999 '.result == {}'
	wait_for no_workers list
	wait_for no_workers status
	mcp_end
}

@test "a root that disappears: the tools say so, the server lives on" {
	local root=$BATS_TEST_TMPDIR/gone rid
	mkdir -p "$root"
	mcp_start
	mcp_init 2025-11-25 '{"roots":{}}'
	mcp_recv
	rid=$(jq -c .id <<<"$reply")
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":$rid,\"result\":{\"roots\":[{\"uri\":\"file://$root\"}]}}"
	mcp_ok job_list
	rmdir "$root"
	mcp_fails job_list '{}' io "cannot enter the folder"
	mcp_req 9 ping
	mcp_recv
	answer_is 9 '.result == {}'
	mcp_end
}

@test "a cancelled wait ends at once, its worker gone, with no answer; the job runs on" {
	start_job --name long -- sleep 30
	mcp_start
	mcp_init
	mcp_call '"w1"' job_wait '{"ref":"long","timeout":"25s"}'
	wait_for waiting '--json wait'
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w1"}}'
	wait_for -t 5 no_workers wait
	# The next answer is the ping's: none came for the wait.
	mcp_req 2 ping
	mcp_recv
	answer_is 2 '.result == {}'
	status_is long running
	# Cancelling it again, or a call that ended, changes nothing; its
	# id is free again.
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w1"}}'
	mcp_req 3 ping
	mcp_recv
	answer_is 3 '.result == {}'
	mcp_call '"w1"' job_wait '{"ref":"long","timeout":0}'
	mcp_recv
	answer_is '"w1"' '.result.structuredContent.timed_out == true'
	mcp_end
}

@test "a cancel never undoes a job_run or job_stop that began: only the answer is dropped" {
	local worker
	# The victim ignores SIGTERM: its stop takes the grace.
	start_job --name victim -- sh -c 'trap "" TERM; sleep 30'
	# Every `job run` of the server stops itself once the job is
	# recorded, until SIGCONT.
	JOB_TEST_STOP=after-insert mcp_start
	mcp_init
	mcp_call 1 job_run '{"command":"sleep 30","name":"started"}'
	wait_for test -n "$(workers run)"
	worker=$(workers run)
	wait_for state_is "$worker" T
	mcp_call 2 job_stop '{"ref":"victim","grace":"5s"}'
	wait_for test -n "$(workers stop)"
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}'
	mcp_send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}'
	mcp_req 3 ping
	mcp_recv
	answer_is 3 '.result == {}'
	# Both go on to their end, unanswered.
	kill -CONT "$worker"
	wait_for no_workers run
	wait_for no_workers stop
	mcp_req 4 ping
	mcp_recv
	answer_is 4 '.result == {}'
	status_is victim stopped
	status_is started running
	mcp_end
}

@test "stdin EOF while a wait is pending: the wait ends unanswered, the server exits 0, the job runs on" {
	start_job --name long -- sleep 30
	mcp_start
	mcp_init
	mcp_call 1 job_wait '{"ref":"long","timeout":"25s"}'
	wait_for waiting '--json wait'
	mcp_end
	no_workers wait
	# Nothing was written for the wait.
	run -1 read -r -t 1 -u "$MCP_OUT" reply
	status_is long running
}

@test "stdin EOF right after the requests: every call but a wait is still answered" {
	local out
	start_job --name long -- sleep 30
	out=$(printf '%s\n' \
	    '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}}' \
	    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"job_wait","arguments":{"ref":"long"}}}' \
	    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"job_list"}}' \
	    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"job_run","arguments":{"command":"true","name":"late"}}}' |
	    job_within 20 mcp)
	# Answers come as calls end, in any order.
	jq -se 'sort_by(.id) | map(.id) == [0, 2, 3] and
	    (.[1].result.structuredContent.jobs | map(.name) | index("long")) and
	    .[2].result.structuredContent.name == "late"' <<<"$out" >/dev/null ||
	    { echo "$out"; false; }
	# A last line without a newline counts.
	out=$(printf '{"jsonrpc":"2.0","id":9,"method":"ping"}' | job_within 20 mcp)
	jq -e '.id == 9 and .result == {}' <<<"$out"
	no_workers wait
}

@test "SIGTERM ends the pending waits and the server, exit 0" {
	start_job --name long -- sleep 30
	mcp_start
	mcp_init
	mcp_call 1 job_wait '{"ref":"long","timeout":"25s"}'
	wait_for waiting '--json wait'
	kill -TERM "$MCP_PID"
	wait_for -t 10 proc_gone "$MCP_PID"
	run wait "$MCP_PID"
	[ "$status" -eq 0 ]
	no_workers wait
	status_is long running
}

# ---------------------------------------------------------------- input

@test "a line over 1 MiB is skipped with an invalid request; one just under is served" {
	local pad
	mcp_start
	mcp_init
	pad=$(head -c 1100000 /dev/zero | tr '\0' a)
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"$pad\"}}"
	mcp_recv
	answer_is null '.error.code == -32600 and (.error.message | test("1 MiB"))'
	mcp_req 2 ping
	mcp_recv
	answer_is 2 '.result == {}'
	# Twice the limit, arriving in pieces, then a request on the same
	# write as the end of the long line.
	printf '{"pad":"%s%s' "$pad" "$pad" >&"$MCP_IN"
	printf '"}\n{"jsonrpc":"2.0","id":3,"method":"ping"}\n' >&"$MCP_IN"
	mcp_recv
	answer_is null '.error.code == -32600'
	mcp_recv
	answer_is 3 '.result == {}'
	pad=${pad:0:1000000}
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":{\"pad\":\"$pad\"}}"
	mcp_recv
	answer_is 4 '.result == {}'
	mcp_end
}

@test "hostile input never kills the server: deep nesting, huge numbers, binary, duplicate keys" {
	local deep
	mcp_start
	mcp_init
	deep=$(printf '[%.0s' {1..5000})
	mcp_send "$deep"
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}'
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}'
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_send '{"jsonrpc":"2.0","id":1.5,"method":"ping"}'
	mcp_recv
	answer_is 1.5 '.result == {}'
	head -c 3000 /dev/urandom | tr '\n' x >&"$MCP_IN"
	printf '\n' >&"$MCP_IN"
	mcp_recv
	answer_is null '.error.code == -32700'
	mcp_call 2 job_run '{"argv":["true",{"x":1}]}'
	mcp_recv
	answer_is 2 '.result.isError == true'
	mcp_req 3 ping
	mcp_recv
	answer_is 3 '.result == {}'
	mcp_end
}

@test "a client that never reads: the server stops reading too, its memory stays bounded, nothing is lost" {
	local writer rss lines
	mcp_start
	mcp_init
	# 3000 tools/list answers are about 27 MB.
	(for ((i = 1; i <= 3000; i++)); do
		printf '{"jsonrpc":"2.0","id":%d,"method":"tools/list"}\n' "$i"
	done >&"$MCP_IN") 3>&- &
	writer=$!
	# The server stops reading, so the writer blocks on the full pipe.
	wait_for -t 20 blocked_writer "$writer"
	# (A sanitizer build keeps freed memory in quarantine: its RSS says
	# nothing then.)
	rss=$(vmrss_kb "$MCP_PID")
	if ! sanitized; then
		(( rss < 20000 )) || { echo "VmRSS ${rss} kB"; false; }
	fi
	lines=$(timeout 60 head -n 3000 <&"$MCP_OUT" | jq -c .id | tr '\n' ' ')
	[ "$lines" = "$(seq -s ' ' 1 3000) " ]
	wait "$writer"
	mcp_end
}

# blocked_writer PID: PID sleeps writing to a pipe that is full.
blocked_writer() {
	[[ $(proc_state "$1") == S &&
	    $(cat "/proc/$1/wchan" 2>/dev/null) == *pipe* ]]
}

@test "a client that closes the answers' pipe ends the server" {
	mcp_start
	mcp_init
	exec {MCP_OUT}<&-
	mcp_req 1 tools/list
	wait_for -t 10 proc_gone "$MCP_PID"
	run wait "$MCP_PID"
	[ "$status" -eq 0 ]
}

# ---------------------------------------------------------------- roots

@test "roots: the first file:// root is the default cwd and project; calls wait for the answer" {
	local root=$BATS_TEST_TMPDIR/my\ root
	mkdir -p "$root/.git"
	mcp_start
	mcp_init 2025-11-25 '{"roots":{"listChanged":true}}'
	mcp_recv
	jq -e '.method == "roots/list" and (.id | type) == "string"' \
	    <<<"$reply" >/dev/null || { echo "$reply"; false; }
	local rid
	rid=$(jq -c .id <<<"$reply")
	# A call sent before the answer runs once it came.
	mcp_call 1 job_run '{"command":"pwd","name":"where"}'
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":$rid,\"result\":{\"roots\":[\
{\"uri\":\"https://example.com/x\"},{\"uri\":\"file://${root// /%20}\",\"name\":\"r\"},\
{\"uri\":\"file:///\"}]}}"
	mcp_recv 20
	answer_is 1 ".result.structuredContent.cwd == \"$root\" and
	    .result.structuredContent.project == \"$root\""
	# roots/list_changed asks again; an empty list goes back to the
	# server's own folder.
	mcp_send '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}'
	mcp_recv
	rid=$(jq -c .id <<<"$reply")
	answer_is "$rid" '.method == "roots/list"'
	mcp_send "{\"jsonrpc\":\"2.0\",\"id\":$rid,\"result\":{\"roots\":[]}}"
	MCP_ID=5
	mcp_ok job_run '{"command":"true"}'
	sc_is ".cwd == \"$PROJ\""
	mcp_end
}

@test "without roots, or when the client never answers, the server's folder is the default" {
	local start
	mcp_start
	mcp_init
	mcp_ok job_run '{"command":"true"}'
	sc_is ".cwd == \"$PROJ\" and .project == \"$PROJ\""
	mcp_end
	mcp_start
	mcp_init 2025-11-25 '{"roots":{}}'
	mcp_recv
	answer_is '"job-roots-1"' '.method == "roots/list"'
	start=$(uptime_ms)
	mcp_ok job_run '{"command":"true"}'
	sc_is ".cwd == \"$PROJ\""
	# It waited, but no longer than its bound (2 s) and the start.
	(( $(uptime_ms) - start < 15000 ))
	mcp_end
}

# ---------------------------------------------------------------- config

@test "job mcp --print-config prints each client's snippet; an unknown client is a usage error" {
	run --separate-stderr -0 job mcp --print-config claude
	jq -e '.mcpServers.job == {"command": "job", "args": ["mcp"]}' \
	    <<<"$output"
	[[ $stderr == *".mcp.json"* ]]
	run --separate-stderr -0 job mcp --print-config cursor
	jq -e '.mcpServers.job == {"command": "job", "args": ["mcp"]}' \
	    <<<"$output"
	run --separate-stderr -0 job mcp --print-config codex
	[ "$output" = $'[mcp_servers.job]\ncommand = "job"\nargs = ["mcp"]' ]
	run -2 job mcp --print-config vscode
	[[ $output == *"unknown client 'vscode'"* ]]
	run -2 job mcp extra
	[[ $output == *"unexpected argument 'extra'"* ]]
}
