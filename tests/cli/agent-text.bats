#!/usr/bin/env bats
# What an agent reads is what it waits on: filtered reads never split a
# line still being written, `wait --until` matches the text `logs --plain`
# shows (colours gone), and `wait --port` sees a server on either loopback.

load helper

log_size_is() {
	[[ $(stat -c %s "$JOB_HOME/logs/$1.log" 2>/dev/null) -eq $2 ]]
}

@test "logs --json --grep and --plain stop before a line still being written" {
	run -0 job run 'printf ERR; while [ ! -e go ]; do sleep 0.02; done
	    printf "OR: boom\n"; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 3
	for filter in "--grep ERROR" --plain; do
		# shellcheck disable=SC2086
		run -0 job logs --json $filter --since 0 "$id"
		[ "$(jq -c '[.data, .next_offset, .eof]' <<<"$output")" = '["",0,false]' ]
	done
	touch go
	wait_for log_size_is "$id" 12
	run -0 job logs --json --grep ERROR --since 0 "$id"
	[ "$(jq -c '[.data, .next_offset]' <<<"$output")" = '["1:ERROR: boom\n",12]' ]
	run -0 job logs --json --plain --since 0 "$id"
	[ "$(jq -c '[.data, .next_offset]' <<<"$output")" = '["ERROR: boom\n",12]' ]
	touch stop
	run -0 tjob 20 wait "$id"
}

@test "logs --json --grep: a line longer than --max-bytes still moves the offset" {
	run -0 job run 'printf "%0500d" 0; while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	wait_for log_size_is "$id" 500
	run -0 job logs --json --plain --max-bytes 100 --since 0 "$id"
	[ "$(jq -c '[.next_offset, .truncated]' <<<"$output")" = '[100,true]' ]
	touch stop
	run -0 tjob 20 wait "$id"
}

@test "wait --until matches the line as logs --plain shows it, colours gone" {
	run -0 job run 'printf "  VITE ready in \033[1m205\033[22m ms\n"
	    while [ ! -e stop ]; do sleep 0.02; done'
	id=$output
	run -0 tjob 30 wait "$id" --until 'ready in [0-9]+ ms' --timeout 20s
	[ "$output" = "  VITE ready in 205 ms" ]
	run -0 tjob 30 wait --json "$id" --until 'ready in [0-9]+ ms' --timeout 20s
	[ "$(jq -c '[.matched, .line, .offset]' <<<"$output")" = '[true,"  VITE ready in 205 ms",0]' ]
	touch stop
	run -0 tjob 20 wait "$id"
}

@test "wait --port sees a server bound to ::1 only; --host limits it" {
	command -v python3 >/dev/null || skip "needs python3"
	python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
	    skip "no IPv6 loopback here"
	# The server picks a free port itself and says which.
	run -0 job run 'exec python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6)
s.bind((\"::1\", 0))
s.listen(8)
open(\"port.tmp\", \"w\").write(str(s.getsockname()[1]))
import os; os.rename(\"port.tmp\", \"port\")
time.sleep(100)"'
	id=$output
	wait_for test -s port
	port=$(<port)
	run -0 tjob 30 wait "$id" --port "$port" --timeout 20s
	[ "$output" = "::1:$port is accepting connections" ]
	run -75 tjob 30 wait "$id" --port "$port" --host 127.0.0.1 --timeout 300ms
	run -0 tjob 30 wait --json "$id" --port "$port" --host ::1 --timeout 20s
	[ "$(jq -c '[.ready, .host]' <<<"$output")" = '[true,"::1"]' ]
}
