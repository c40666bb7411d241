#!/usr/bin/env bats
# job wait for agents: --until a log line, --port, --any, the one-line
# summary, and run --wait / run --follow.

load helper

# fmt_dur MS: how job prints a duration under a minute.
fmt_dur() {
	local ms=$1
	if ((ms == 0)); then
		echo 0s
	elif ((ms < 1000)); then
		echo "${ms}ms"
	elif ((ms % 1000 != 0)); then
		echo "$((ms / 1000)).$((ms % 1000 / 100))s"
	else
		echo "$((ms / 1000))s"
	fi
}

# run_ms ID: how long the ended job ran, from its record, in ms.
run_ms() {
	local rec
	rec=$(job status --json "$1")
	echo $(($(time_ms "$(jq -r .finished_at <<<"$rec")") -
	    $(time_ms "$(jq -r .started_at <<<"$rec")")))
}

# port_server: writes server.py, a TCP server on 127.0.0.1 for the port
# tests, and sets $SERVER to its path. `python3 $SERVER GATE` binds a port
# the kernel picks, so no other program can have it, and writes it to the
# file "port"; connections are refused until it listens, once the file GATE
# exists; then it accepts until killed. No free port is ever guessed.
port_server() {
	[[ -n $PYTHON ]] || skip "needs python3 for a TCP server"
	SERVER="$BATS_TEST_TMPDIR/server.py"
	cat >"$SERVER" <<'EOF'
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open("port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename("port.tmp", "port")
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
s.listen(16)
while True:
    s.accept()[0].close()
EOF
}

# server_port: the port the server reported (bounded wait).
server_port() {
	wait_for file_exists port
	port=$(<port)
	[[ $port =~ ^[0-9]+$ ]]
}

# bg_job OUT ARGS...: `job ARGS` in the background, output to OUT; sets
# $bg to its pid. `bg_wait` then waits for it and sets $rc to its status.
bg_job() {
	local out=$1
	shift
	tjob 60 "$@" >"$out" 2>&1 &
	bg=$!
}
bg_wait() {
	rc=0
	wait "$bg" || rc=$?
}

@test "wait --until returns 0 once a line matches, while the job keeps running" {
	run -0 job run --name srv 'echo booting; while [ ! -e go ]; do sleep 0.02; done; echo "Server ready on :8080"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 8
	# Not there yet: the wait gives up at its deadline.
	start=$(uptime_ms)
	run -75 job wait srv --until 'ready on :[0-9]+' --timeout 300ms
	(($(uptime_ms) - start >= 300))
	[[ $output =~ ^$id\ srv\ running\ exit=-\ $DUR_RE$ ]]
	bg_job until.out wait srv --until 'ready on :[0-9]+'
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(<until.out)" = 'Server ready on :8080' ]
	# Ready is not the end: the job still runs.
	[ "$(field "$id" .status)" = running ]
	[ "$(field "$id" .exit_code)" = null ]
}

@test "wait --until sees a line printed before the wait started" {
	run -0 job run 'echo alpha; echo "Listening on port 3000"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 29
	run -0 job wait "$id" --until 'Listening on port [0-9]+' --timeout 20s
	[ "$output" = 'Listening on port 3000' ]
	run -0 job wait --json "$id" --until 'port [0-9]+$' --timeout 20s
	[ "$(jq -c keys <<<"$output")" = '["exit_code","id","line","matched","offset","status"]' ]
	[ "$(jq -c '[.id, .matched, .line, .offset, .status, .exit_code]' <<<"$output")" = \
	    "[\"$id\",true,\"Listening on port 3000\",6,\"running\",null]" ]
	[ "$(field "$id" .status)" = running ]
}

@test "wait --until does not miss a line split across two writes" {
	run -0 job run 'printf Listen; while [ ! -e go ]; do sleep 0.02; done; printf "ing on 8080\n"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 6
	# Half a line is there: no match yet.
	run -75 job wait --json "$id" --until 'Listening on [0-9]+' --timeout 300ms
	[ "$(jq -c '[.matched, .line, .offset, .status]' <<<"$output")" = \
	    '[false,null,null,"running"]' ]
	bg_job until.json wait --json "$id" --until 'Listening on [0-9]+'
	wait_for waiting "wait --json $id --until"
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(jq -c '[.id, .matched, .line, .offset, .status, .exit_code]' <until.json)" = \
	    "[\"$id\",true,\"Listening on 8080\",0,\"running\",null]" ]
}

@test "wait --until catches a line whose second part is written while it waits" {
	run -0 job run 'echo start; printf Listen; while [ ! -e go ]; do sleep 0.02; done; printf "ing on 8080\n"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 12
	bg_job until.out wait "$id" --until 'Listening on 8080'
	# The waiter has read the first part and sleeps before the next look.
	wait_for waiting "wait $id --until"
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(<until.out)" = 'Listening on 8080' ]
	run -0 job wait --json "$id" --until 'Listening on 8080' --timeout 30s
	[ "$(jq -c '[.line, .offset]' <<<"$output")" = '["Listening on 8080",6]' ]
}

@test "wait --until: an end-of-line anchor does not match a line still being written" {
	run -0 job run 'printf "Listening on 80"; while [ ! -e go ]; do sleep 0.02; done; printf "80\n"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 15
	# "Listening on 80" is not a line yet: $ is not its end.
	run -75 job wait --json "$id" --until '^Listening on [0-9]+$' --timeout 300ms
	[ "$(jq -c '[.matched, .line]' <<<"$output")" = '[false,null]' ]
	bg_job until.json wait --json "$id" --until '^Listening on [0-9]+$'
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(jq -c '[.matched, .line, .offset]' <until.json)" = '[true,"Listening on 8080",0]' ]
}

@test "wait --until: a job that fails first gives its exit code, matched false" {
	run -0 job run --name bad 'echo starting; while [ ! -e go ]; do sleep 0.02; done; echo "crashed"; exit 3'
	id=$output
	bg_job until.out wait bad --until 'ready'
	touch go
	bg_wait
	[ "$rc" = 3 ]
	[[ $(<until.out) =~ ^$id\ bad\ failed\ exit=3\ $DUR_RE$ ]]
	run -3 job wait --json bad --until 'ready'
	[ "$(jq -c keys <<<"$output")" = '["exit_code","id","line","matched","offset","status"]' ]
	[ "$(jq -c '[.id, .matched, .line, .offset, .status, .exit_code]' <<<"$output")" = \
	    "[\"$id\",false,null,null,\"failed\",3]" ]
}

@test "wait --until: a job that completes without matching gives 1, never 0" {
	run -0 job run 'echo starting; while [ ! -e go ]; do sleep 0.02; done; echo bye'
	id=$output
	bg_job until.json wait --json "$id" --until 'ready'
	touch go
	bg_wait
	[ "$rc" = 1 ]
	[ "$(jq -c '[.id, .matched, .line, .status, .exit_code]' <until.json)" = \
	    "[\"$id\",false,null,\"completed\",0]" ]
	run -1 job wait "$id" --until 'ready'
	[[ $output =~ ^$id\ -\ completed\ exit=0\ $DUR_RE$ ]]
}

@test "wait --until --timeout on a running job exits 75 and leaves it running" {
	run -0 job run 'echo nothing here; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	start=$(uptime_ms)
	run -75 job wait --json "$id" --until 'never printed' --timeout 300ms
	(($(uptime_ms) - start >= 300))
	[ "$(jq -c '[.id, .matched, .line, .offset, .status, .exit_code]' <<<"$output")" = \
	    "[\"$id\",false,null,null,\"running\",null]" ]
	run -75 job wait "$id" -u 'never printed' -t 300ms
	[[ $output =~ ^$id\ -\ running\ exit=-\ $DUR_RE$ ]]
	[ "$(field "$id" .status)" = running ]
}

@test "wait --until: bad regex, several jobs, or with --port is a usage error" {
	a=$(job run 'echo x')
	b=$(job run 'echo y')
	run --separate-stderr -2 job wait "$a" --until '('
	[ -z "$output" ]
	run --separate-stderr -2 job wait --json "$a" --until 'a['
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
	run -2 job wait "$a" "$b" --until x
	run -2 job wait "$a" --until x --port 8080
	run -2 job wait "$a" "$b" --port 8080
	run -2 job wait "$a" --port 0
	run -2 job wait "$a" --port 65536
}

@test "wait --port returns 0 once the port accepts connections" {
	port_server
	run -0 job run --name web "exec $PYTHON $SERVER go"
	id=$output
	server_port
	# The port is held, but nothing listens yet.
	run -75 job wait --json web --port "$port" --timeout 300ms
	[ "$(jq -c '[.id, .ready, .host, .port, .status, .exit_code]' <<<"$output")" = \
	    "[\"$id\",false,\"localhost\",$port,\"running\",null]" ]
	bg_job port.json wait --json web --port "$port"
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(jq -c keys <port.json)" = '["exit_code","host","id","port","ready","status"]' ]
	[ "$(jq -c '[.id, .ready, .host, .port, .status, .exit_code]' <port.json)" = \
	    "[\"$id\",true,\"127.0.0.1\",$port,\"running\",null]" ]
	run -0 job wait web --port "$port" --host 127.0.0.1 --timeout 20s
	[ "$output" = "127.0.0.1:$port is accepting connections" ]
	run -0 job wait web -p "$port" --host localhost --timeout 20s
	[ "$output" = "localhost:$port is accepting connections" ]
	[ "$(field "$id" .status)" = running ]
}

@test "wait --port started before the listener returns once it listens" {
	port_server
	run -0 job run "exec $PYTHON $SERVER go"
	id=$output
	server_port
	bg_job port.out wait "$id" --port "$port" --timeout 30s
	# The waiter has found the port closed and sleeps before the next try.
	wait_for waiting "wait $id --port"
	touch go
	bg_wait
	[ "$rc" = 0 ]
	[ "$(<port.out)" = "127.0.0.1:$port is accepting connections" ]
	[ "$(field "$id" .status)" = running ]
}

@test "wait --port: the job ending first is never 0; --timeout gives 75" {
	port_server
	# A port held (bound, never listening) for the whole test.
	marked "$PYTHON" "$SERVER" never &
	server_port
	run -0 job run --name fails 'while [ ! -e go ]; do sleep 0.02; done; exit 4'
	id=$output
	start=$(uptime_ms)
	run -75 job wait fails --port "$port" --timeout 300ms
	(($(uptime_ms) - start >= 300))
	[[ $output =~ ^$id\ fails\ running\ exit=-\ $DUR_RE$ ]]
	bg_job port.json wait --json fails --port "$port"
	touch go
	bg_wait
	[ "$rc" = 4 ]
	[ "$(jq -c '[.id, .ready, .host, .port, .status, .exit_code]' <port.json)" = \
	    "[\"$id\",false,\"localhost\",$port,\"failed\",4]" ]
	run -0 job run 'exit 0'
	ok=$output
	run -1 job wait "$ok" --port "$port" --timeout 20s
	[[ $output =~ ^$ok\ -\ completed\ exit=0\ $DUR_RE$ ]]
}

@test "wait --any returns when the first job ends, with its record and status" {
	a=$(job run 'while [ ! -e goA ]; do sleep 0.02; done; exit 0')
	b=$(job run --name bee 'while [ ! -e goB ]; do sleep 0.02; done; exit 6')
	c=$(job run 'while [ ! -e goC ]; do sleep 0.02; done; exit 7')
	# None has ended: --timeout gives 75 and the state of each.
	run -75 job wait --any --timeout 300ms "$a" "$b" "$c"
	[ "${#lines[@]}" = 3 ]
	[[ ${lines[0]} == "$a - running exit=- "* ]]
	[[ ${lines[1]} == "$b bee running exit=- "* ]]
	[[ ${lines[2]} == "$c - running exit=- "* ]]
	bg_job any.json wait --any --json "$a" "$b" "$c"
	touch goB
	bg_wait
	[ "$rc" = 6 ]
	[ "$(jq -r type <any.json)" = object ]
	[ "$(jq -c '[.id, .name, .status, .exit_code]' <any.json)" = \
	    "[\"$b\",\"bee\",\"failed\",6]" ]
	# The others still run.
	[ "$(field "$a" .status)" = running ]
	[ "$(field "$c" .status)" = running ]
	run -6 job wait --any "$a" "$b" "$c"
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} =~ ^$b\ bee\ failed\ exit=6\ $DUR_RE$ ]]
	# Without --any, wait is for all of them.
	run -75 job wait --timeout 300ms "$a" "$b" "$c"
	[ "${#lines[@]}" = 3 ]
	[[ ${lines[0]} == "$a - running "* && ${lines[1]} == "$b bee failed "* && ${lines[2]} == "$c - running "* ]]
	bg_job all.out wait "$a" "$b" "$c"
	touch goA
	wait_status "$a" completed
	[ "$(field "$c" .status)" = running ]
	# Still waiting for c.
	kill -0 "$bg"
	touch goC
	bg_wait
	[ "$rc" = 6 ]
	mapfile -t out <all.out
	[ "${#out[@]}" = 3 ]
	[[ ${out[0]} =~ ^$a\ -\ completed\ exit=0\ $DUR_RE$ ]]
	[[ ${out[1]} =~ ^$b\ bee\ failed\ exit=6\ $DUR_RE$ ]]
	[[ ${out[2]} =~ ^$c\ -\ failed\ exit=7\ $DUR_RE$ ]]
}

@test "wait --any: the first to end completed, so it exits 0" {
	a=$(job run 'while [ ! -e stop ]; do sleep 0.02; done')
	b=$(job run 'while [ ! -e goB ]; do sleep 0.02; done')
	bg_job any.json wait --any --json "$a" "$b"
	touch goB
	bg_wait
	[ "$rc" = 0 ]
	[ "$(jq -c '[.id, .status, .exit_code]' <any.json)" = "[\"$b\",\"completed\",0]" ]
	[ "$(field "$a" .status)" = running ]
}

@test "run --wait waits for the end, prints its line and exits with its code" {
	run -3 job run --wait --name w 'echo hi; exit 3'
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} =~ ^([0-9A-Z]{26})\ w\ failed\ exit=3\ $DUR_RE$ ]]
	id=${BASH_REMATCH[1]}
	[ "$(field "$id" .status)" = failed ]
	[ "$(job logs "$id")" = hi ]
	run -0 job run -w --json 'echo ok'
	[ "$(jq -c '[.status, .exit_code, .reason]' <<<"$output")" = '["completed",0,"exited"]' ]
	[[ $(jq -r .finished_at <<<"$output") =~ $TIME_RE ]]
}

@test "run --follow streams the output while the job runs and exits with its code" {
	bg_job follow.out run --follow 'echo first; echo to-stderr >&2; while [ ! -e go ]; do sleep 0.02; done; echo second; exit 5'
	# The first lines arrive while the job still runs.
	wait_for grep -qx to-stderr follow.out
	kill -0 "$bg"
	id=$(job list --json | jq -r '.[0].id')
	[ "$(field "$id" .status)" = running ]
	touch go
	bg_wait
	[ "$rc" = 5 ]
	printf 'first\nto-stderr\nsecond\n' | cmp - follow.out
	[ "$(field "$id" .exit_code)" = 5 ]
	run -0 job run --follow 'printf "a\nb"'
	[ "$output" = "$(printf 'a\nb')" ]
	run -2 job run --follow --json 'echo x'
}

@test "wait prints one line per job: ID NAME STATUS exit=CODE DURATION" {
	a=$(job run 'echo a')
	b=$(job run --name builder 'sleep 1.2; exit 3')
	run -3 job wait "$a" "$b"
	[ "${#lines[@]}" = 2 ]
	[[ ${lines[0]} =~ ^$a\ -\ completed\ exit=0\ $DUR_RE$ ]]
	[[ ${lines[1]} =~ ^$b\ builder\ failed\ exit=3\ $DUR_RE$ ]]
	# The duration is how long each ran, as the record says.
	[ "${lines[0]##* }" = "$(fmt_dur "$(run_ms "$a")")" ]
	[ "${lines[1]##* }" = "$(fmt_dur "$(run_ms "$b")")" ]
	(($(run_ms "$b") >= 1200))
	run -0 job wait "$a"
	[[ $output =~ ^$a\ -\ completed\ exit=0\ $DUR_RE$ ]]
}
