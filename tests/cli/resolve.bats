#!/usr/bin/env bats
# Job references: ids, id prefixes (any case), names.

load helper

# The longest common prefix of two strings.
lcp() {
	local a=$1 b=$2 i=0
	while ((i < ${#a})) && [[ ${a:i:1} == "${b:i:1}" ]]; do
		((i += 1))
	done
	echo "${a:0:i}"
}

@test "a full id, a unique prefix and a lower-case prefix resolve" {
	a=$(job run 'exit 0')
	b=$(job run 'exit 0')
	p=$(lcp "$a" "$b")
	# One character past the common part is unique to each.
	pa=${a:0:${#p}+1}
	run -0 job status --json "$a"
	[ "$(jq -r .id <<<"$output")" = "$a" ]
	run -0 job status --json "$pa"
	[ "$(jq -r .id <<<"$output")" = "$a" ]
	run -0 job status --json "${pa,,}"
	[ "$(jq -r .id <<<"$output")" = "$a" ]
	run -0 job status --json "${b,,}"
	[ "$(jq -r .id <<<"$output")" = "$b" ]
	run -0 job logs "${b:0:${#p}+1}"
	run -0 job wait "${b:0:${#p}+1}"
	[[ $output == "$b "* ]]
}

@test "a prefix of several jobs is ambiguous and lists them" {
	a=$(job run 'exit 0')
	b=$(job run 'exit 0')
	p=$(lcp "$a" "$b")
	[ -n "$p" ]
	run --separate-stderr -1 job status --json "$p"
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = ambiguous ]
	[ "$(jq -c '.error.candidates | sort' <<<"$stderr")" = \
	    "$(printf '%s\n' "$a" "$b" | jq -Rsc 'split("\n")[:-1] | sort')" ]

	# The same in text: the candidates one per line on stderr.
	run --separate-stderr -1 job status "$p"
	[ -z "$output" ]
	[[ $stderr == *"$a"* && $stderr == *"$b"* ]]
	run --separate-stderr -1 job wait "$p"
	run --separate-stderr -1 job stop "$p"
	run --separate-stderr -1 job logs "$p"
}

@test "an unknown reference is not_found" {
	job run 'exit 0' >/dev/null
	run --separate-stderr -1 job status --json 7ZZZZZZZZZ
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	run --separate-stderr -1 job status --json no-such-name
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	run --separate-stderr -1 job logs no-such-name
	[[ $stderr == "job: "*"no-such-name"* ]]
}

@test "a name resolves to the most recent job with that name in this project" {
	a=$(make_project a)
	b=$(make_project b)
	cd "$a"
	first=$(job run --wait --name build 'exit 1' | cut -d' ' -f1)
	second=$(job run --name build 'exit 2')
	run -2 tjob 20 wait "$second"
	# A newer job of the same name in another project does not count.
	other=$(cd "$b" && job run --name build 'exit 3')
	[[ $first =~ $ULID_RE && $second =~ $ULID_RE && $other =~ $ULID_RE ]]

	run -0 job status --json build
	[ "$(jq -r .id <<<"$output")" = "$second" ]
	run -2 job wait build
	cd "$b"
	run -0 job status --json build
	[ "$(jq -r .id <<<"$output")" = "$other" ]
}

@test "an id resolves from any project" {
	a=$(make_project a)
	b=$(make_project b)
	id=$(cd "$a" && job run 'exit 0')
	cd "$b"
	run -0 job status --json "$id"
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	[ "$(jq -r .project <<<"$output")" = "$a" ]
}

@test "a folder with a .git file (a worktree, a submodule) is a project root" {
	main=$(make_project main)
	(cd "$main" && git -c user.name=t -c user.email=t@t commit -q \
	    --allow-empty -m init && git worktree add -q "$BATS_TEST_TMPDIR/wt")
	wt=$(cd "$BATS_TEST_TMPDIR/wt" && pwd -P)
	[ -f "$wt/.git" ]
	mkdir -p "$wt/src/deep"
	cd "$wt/src/deep"
	id=$(job run --wait pwd | cut -d' ' -f1)
	[ "$(field "$id" .project)" = "$wt" ]
	[ "$(field "$id" .cwd)" = "$wt/src/deep" ]
	# A submodule's .git is a file too ("gitdir: ..."), inside another
	# project: the nearer root wins.
	mkdir -p "$main/sub/x"
	echo "gitdir: ../.git/modules/sub" >"$main/sub/.git"
	cd "$main/sub/x"
	sub=$(job run --wait pwd | cut -d' ' -f1)
	[ "$(field "$sub" .project)" = "$main/sub" ]
	run --separate-stderr -0 job list --json
	[ "$(jq -r '[.[].id] | join(" ")' <<<"$output")" = "$sub" ]
	cd "$main"
	run --separate-stderr -0 job list --json
	[ "$output" = "[]" ]
}
