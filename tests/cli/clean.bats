#!/usr/bin/env bats
# job clean: ended jobs only, by age, project and status; their logs too.

load helper

# age ID MS: moves the job's times MS milliseconds into the past, as if it
# had been created, started and ended that long ago (no test waits for
# the clock).
age() {
	db "UPDATE jobs SET created_at = created_at - $2,
	    started_at = started_at - $2, finished_at = finished_at - $2
	    WHERE id = '$1'"
}

@test "clean --older-than removes only ended jobs that ended longer ago than that" {
	old=$(job run --wait 'echo old' | cut -d' ' -f1)
	long=$(job run --wait 'echo ran long' | cut -d' ' -f1)
	live=$(job run 'echo live; sleep 1000')
	young=$(job run --wait 'echo young' | cut -d' ' -f1)
	[[ $old =~ $ULID_RE && $long =~ $ULID_RE ]]
	[[ $live =~ $ULID_RE && $young =~ $ULID_RE ]]
	# Ended 2 hours ago; and one started 3 hours ago that ended now.
	age "$old" 7200000
	db "UPDATE jobs SET created_at = created_at - 10800000,
	    started_at = started_at - 10800000 WHERE id = '$long'"

	run -0 job clean --json --older-than 1h
	[ "$(jq -c '[.count, .removed]' <<<"$output")" = "[1,[\"$old\"]]" ]
	[ ! -e "$(log_of "$old")" ]
	[ -e "$(log_of "$long")" ]
	[ -e "$(log_of "$young")" ]
	[ -e "$(log_of "$live")" ]
	run -0 job list --all --json
	[ "$(jq -r '[.[].id] | sort | join(" ")' <<<"$output")" = \
	    "$(printf '%s\n' "$live" "$long" "$young" | sort | tr '\n' ' ' | sed 's/ $//')" ]
	run --separate-stderr -1 job status "$old"
	[ "$(field "$live" .status)" = running ]
}

@test "clean with the default age (7d) removes only jobs that ended more than 7 days ago" {
	week=$((7 * 86400000))
	recent=$(job run --wait 'exit 0' | cut -d' ' -f1)
	six=$(job run --wait 'exit 0' | cut -d' ' -f1)
	eight=$(job run --wait 'exit 0' | cut -d' ' -f1)
	age "$six" $((week - 3600000))
	age "$eight" $((week + 3600000))
	run -0 job clean
	[ "${lines[0]}" = "removed $eight completed" ]
	[ "${lines[-1]}" = "1 job removed" ]
	[ "$(job list --json | jq -r '[.[].id] | sort | join(" ")')" = \
	    "$(printf '%s\n' "$recent" "$six" | sort | tr '\n' ' ' | sed 's/ $//')" ]
	[ -e "$(log_of "$recent")" ]
	[ ! -e "$(log_of "$eight")" ]
	run -0 job clean
	[ "$output" = "0 jobs removed" ]
}

@test "clean --all removes every ended job of this project, never a running one" {
	a=$(make_project a)
	b=$(make_project b)
	cd "$b"
	other=$(job run --wait 'exit 0' | cut -d' ' -f1)
	cd "$a"
	ok=$(job run 'exit 0')
	bad=$(job run 'exit 1')
	killed=$(job run 'kill -KILL $$')
	run -1 tjob 20 wait "$ok" "$bad" "$killed"
	live=$(job run 'echo still here; sleep 1000')
	wait_for eval '[ "$(job logs "$live")" = "still here" ]'

	run -0 job clean --all --json
	[ "$(jq -r .count <<<"$output")" = 3 ]
	[ "$(jq -r '.removed | sort | join(" ")' <<<"$output")" = \
	    "$(printf '%s\n' "$ok" "$bad" "$killed" | sort | tr '\n' ' ' | sed 's/ $//')" ]
	for id in "$ok" "$bad" "$killed"; do
		[ ! -e "$(log_of "$id")" ]
		run --separate-stderr -1 job status --json "$id"
		[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	done
	# The running job, its log, and the other project's job are kept.
	[ "$(field "$live" .status)" = running ]
	[ "$(job logs "$live")" = "still here" ]
	[ -e "$(log_of "$other")" ]
	run -0 job list --all --json
	[ "$(jq -r '[.[].id] | sort | join(" ")' <<<"$output")" = \
	    "$(printf '%s\n' "$live" "$other" | sort | tr '\n' ' ' | sed 's/ $//')" ]

	# Nothing more to do the second time.
	run -0 job clean --all
	[ "$output" = "0 jobs removed" ]
}

@test "clean --all --all-projects removes the ended jobs of every project" {
	a=$(make_project a)
	b=$(make_project b)
	ida=$(cd "$a" && job run --wait 'exit 0' | cut -d' ' -f1)
	idb=$(cd "$b" && job run --wait 'exit 0' | cut -d' ' -f1)
	cd "$a"
	live=$(job run sleep 1000)
	run -0 job clean --all --all-projects --json
	[ "$(jq -r .count <<<"$output")" = 2 ]
	[ "$(jq -r '.removed | sort | join(" ")' <<<"$output")" = \
	    "$(printf '%s\n' "$ida" "$idb" | sort | tr '\n' ' ' | sed 's/ $//')" ]
	[ ! -e "$(log_of "$ida")" ]
	[ ! -e "$(log_of "$idb")" ]
	[ -e "$(log_of "$live")" ]
	[ "$(job list --all --json | jq -r '.[].id')" = "$live" ]
}

@test "clean --status removes only ended jobs with that status" {
	ok=$(job run 'exit 0')
	bad=$(job run 'exit 1')
	run -1 tjob 20 wait "$ok" "$bad"
	run -0 job clean --all --status failed
	[ "${lines[0]}" = "removed $bad failed" ]
	[ "${lines[-1]}" = "1 job removed" ]
	[ "$(job list --json | jq -r '.[].id')" = "$ok" ]
}

@test "clean refuses active statuses" {
	run --separate-stderr -2 job clean --status running
	run --separate-stderr -2 job clean --status pending
	run --separate-stderr -2 job clean --older-than 5x
}
