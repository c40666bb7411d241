#!/usr/bin/env bats
# Documentation tests: the man page (job.1), the agent skill
# (skills/job/SKILL.md) and the built-in help must agree with the binary;
# `job skills` and `job completions` must do what they say.
#
# The shared library (tests/lib) gives every test its own JOB_HOME and HOME;
# the only jobs started here end at once (`true`).

load helper

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAN=${DOCS_MAN:-$ROOT/job.1}
SKILL=${DOCS_SKILL:-$ROOT/skills/job/SKILL.md}

# The commands `job help` lists, one a line.
commands() {
	job help | awk '/^Commands:/ { on = 1; next }
	    on && /^  [a-z]/ { print $1 }'
}

# job.1 with the roff escapes that may sit inside a synopsis removed.
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/-/g' "$MAN"
}

# The normalised text of one section (.SH NAME) or subsection (.SS NAME)
# of job.1, up to the next heading of either kind.
man_section() {
	man_text | awk -v h="$1" '
	    /^\.S[HS] / { on = ($0 == ".SH " h || $0 == ".SS " h ||
		$0 == ".SH \"" h "\"" || $0 == ".SS \"" h "\"") ; next }
	    on { print }'
}

# The long flags (--xxx) in a text, one a line, without duplicates.
long_flags() {
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# Whether flag $1 occurs as a whole flag in the text on stdin.
has_flag() {
	grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|\$)"
}

# The body of SKILL.md: what follows the closing --- of the front matter.
skill_body() {
	awk 'NR == 1 && $0 == "---" { fm = 1; next }
	    fm && $0 == "---" { fm = 0; next }
	    !fm { print }' "$SKILL"
}

# "SUBCOMMAND [--flag]" pairs for each `job SUBCOMMAND` in SKILL.md's code
# (fenced blocks and inline spans): the flags that follow it up to `--`
# or a shell separator, and, on a prose line naming one subcommand only,
# the flag-only inline spans of that line. Comments in code blocks are
# prose and are dropped.
skill_mentions() {
	local line code=0 seg tok sub subs n i
	# job, $(job, x=$(job, "job, 'job
	local job_re="(^|[(=\"'])job\$"
	local -a segs toks
	while IFS= read -r line; do
		if [[ $line =~ ^[[:space:]]*\`\`\` ]]; then
			code=$((1 - code))
			continue
		fi
		segs=()
		if ((code)); then
			segs=("$(sed -E 's/(^|[[:space:]])#.*$//' <<<"$line")")
		else
			while IFS= read -r seg; do
				segs+=("${seg//\`/}")
			done < <(grep -oE '`[^`]+`' <<<"$line")
		fi
		subs=()
		for seg in "${segs[@]}"; do
			read -ra toks <<<"$seg"
			sub=
			n=${#toks[@]}
			for ((i = 0; i < n; i++)); do
				tok=${toks[i]}
				if [[ $tok =~ $job_re ]] && ((i + 1 < n)) &&
				    [[ ${toks[i + 1]} =~ ^[a-z][a-z-]*$ ]]; then
					sub=${toks[i + 1]}
					subs+=("$sub")
					echo "$sub"
					i=$((i + 1))
				elif [[ $tok == -- || $tok == '|' || $tok == '||' ||
				    $tok == '&&' || $tok == ';' || $tok == *';' ]]; then
					sub=
				elif [[ -n $sub && $tok =~ ^(--[a-z][a-z0-9-]*) ]]; then
					echo "$sub ${BASH_REMATCH[1]}"
				fi
			done
		done
		if ((!code)) && ((${#subs[@]} > 0)) &&
		    [[ $(printf '%s\n' "${subs[@]}" | sort -u | wc -l) -eq 1 ]]; then
			for seg in "${segs[@]}"; do
				[[ $seg =~ ^(--[a-z][a-z0-9-]*) ]] &&
				    echo "${subs[0]} ${BASH_REMATCH[1]}"
			done
		fi
	done < <(skill_body)
}

# Sources the bash completion script $1 and prints what completing the
# words given after it offers, one a line. The last word is the one being
# completed ("" for a new word).
complete_bash() {
	local script=$1
	shift
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" marked timeout -k 5 20 bash -c '
		source "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		# Its status means nothing (compgen fails when nothing matches):
		# what it offers is checked.
		_job job "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
	' complete_bash "$script" "$@"
}

# A `job` on PATH for the completion scripts, which call it.
job_on_path() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$JOB_BIN" "$BATS_TEST_TMPDIR/bin/job"
}

# ---------------------------------------------------------------- help

@test "job help lists the commands, each with a line about it" {
	run commands
	[ "$status" -eq 0 ]
	local expected
	for expected in run list status logs wait stop retry clean mcp skills \
	    completions help; do
		grep -qx "$expected" <<<"$output" || {
			echo "'job help' does not list '$expected':"
			job help
			return 1
		}
	done
}

@test "job help CMD, job CMD -h and job CMD --help print the same usage and exit 0" {
	local cmd failed=0 rc
	for cmd in $(commands); do
		job help "$cmd" >"$BATS_TEST_TMPDIR/help" 2>&1 || {
			echo "job help $cmd exited $?"
			failed=1
		}
		rc=0
		job "$cmd" -h >"$BATS_TEST_TMPDIR/h" 2>&1 || rc=$?
		[ "$rc" -eq 0 ] || { echo "job $cmd -h exited $rc"; failed=1; }
		rc=0
		job "$cmd" --help >"$BATS_TEST_TMPDIR/hh" 2>&1 || rc=$?
		[ "$rc" -eq 0 ] || { echo "job $cmd --help exited $rc"; failed=1; }
		diff -u "$BATS_TEST_TMPDIR/help" "$BATS_TEST_TMPDIR/h" || {
			echo "job help $cmd and job $cmd -h differ"
			failed=1
		}
		cmp -s "$BATS_TEST_TMPDIR/h" "$BATS_TEST_TMPDIR/hh" || {
			echo "job $cmd -h and job $cmd --help differ"
			failed=1
		}
		head -n 1 "$BATS_TEST_TMPDIR/help" | grep -q "^usage: job $cmd\( \|\$\)" || {
			echo "job help $cmd: first line is not 'usage: job $cmd ...':"
			head -n 1 "$BATS_TEST_TMPDIR/help"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "job help of an unknown command is a usage error" {
	run job help no-such-command
	[ "$status" -eq 2 ]
	[[ $output == *"unknown command"* ]]
}

# ---------------------------------------------------------------- job.1

@test "job.1 has every section, and a subsection for each command and no other" {
	[ -f "$MAN" ]
	local h failed=0
	for h in NAME SYNOPSIS DESCRIPTION COMMANDS "STATUSES AND REASONS" \
	    DURATIONS "JSON OUTPUT" "EXIT STATUS" ENVIRONMENT FILES SECURITY \
	    EXAMPLES "SEE ALSO"; do
		grep -qxE "\.SH \"?$h\"?" "$MAN" || {
			echo "job.1 has no section '$h'"
			failed=1
		}
	done
	grep -qE '^\.TH JOB 1( |$)' "$MAN" || { echo "job.1: no '.TH JOB 1'"; failed=1; }
	local cmd
	for cmd in $(commands); do
		grep -qxE "\.SS \"?$cmd\"?" "$MAN" || {
			echo "job.1 has no '.SS $cmd' for the command '$cmd'"
			failed=1
		}
	done
	# Under COMMANDS, every subsection is a command the binary has.
	for cmd in $(awk '/^\.SH / { on = ($0 == ".SH COMMANDS"); next }
	    on && /^\.SS / { print $2 }' "$MAN"); do
		commands | grep -qx "$cmd" || {
			echo "job.1 documents '$cmd', which 'job help' does not list"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "each command's usage line appears verbatim in job.1" {
	local cmd usage failed=0
	for cmd in $(commands); do
		usage=$(job help "$cmd" | head -n 1)
		usage=${usage#usage: }
		man_text | grep -qxF -- "$usage" || {
			echo "job.1 lacks the line '$usage' (as 'job help $cmd' prints it)"
			failed=1
		}
		man_section "$cmd" | grep -qxF -- "$usage" || {
			echo "'$usage' is not in job.1's '.SS $cmd'"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "every long flag in a command's usage is documented in job.1, in that command's section" {
	local cmd flag failed=0 section
	for cmd in $(commands); do
		section=$(man_section "$cmd")
		for flag in $(job help "$cmd" | long_flags); do
			man_text | has_flag "$flag" || {
				echo "job.1 never mentions $flag (job $cmd)"
				failed=1
				continue
			}
			has_flag "$flag" <<<"$section" || {
				echo "job.1's '.SS $cmd' does not document $flag"
				failed=1
			}
		done
	done
	[ "$failed" -eq 0 ]
}

# The entries (.TP tags) of a section of job.1, with fonts, quotes and
# spaces taken out: ".BR \-n ", " \-\-name " \fINAME\fR"" gives
# "-n,--nameNAME".
man_entries() {
	man_section "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
	    sed -E 's/^\.[BIR]+ //; s/["[:space:]]//g'
}

@test "every option line of a command's generated usage is an entry of its section in job.1" {
	local cmd entries line failed=0
	for cmd in $(commands); do
		entries=$(man_entries "$cmd")
		# The usage's option lines: "  -n, --name NAME   help" gives
		# "-n,--nameNAME", the same form.
		while IFS= read -r line; do
			grep -qxF -- "$line" <<<"$entries" || {
				echo "job.1's '.SS $cmd' has no entry '$line'" \
				    "(as 'job $cmd -h' lists it)"
				failed=1
			}
		done < <("$JOB_BIN" "$cmd" -h | sed -n '5,$p' |
		    sed -nE 's/^  (-[a-zA-Z], |    )(--[a-z][a-z-]*( [A-Z][A-Z=]*)?)( .*)?$/\1\2/p' |
		    tr -d ' ')
	done
	[ "$failed" -eq 0 ]
}

@test "job.1 documents every status, reason, error code, exit status and variable" {
	local text word failed=0 statuses
	text=$(man_text)
	# The statuses, as the binary names them in its own error message.
	run job list --status no-such-status
	[ "$status" -eq 2 ]
	statuses=$(grep -oE '(pending|running|completed|failed|stopped|interrupted)' \
	    <<<"$output" | sort -u)
	[ "$(wc -l <<<"$statuses")" -eq 6 ]
	for word in $statuses exited signaled timeout stopped spawn_failed \
	    supervisor_lost reboot; do
		man_section "STATUSES AND REASONS" | grep -qw -- "$word" || {
			echo "STATUSES AND REASONS does not mention '$word'"
			failed=1
		}
	done
	for word in usage not_found ambiguous name_in_use spawn_failed store io \
	    candidates; do
		man_section "Errors" | grep -qw -- "$word" || {
			echo "JSON OUTPUT, Errors, does not mention '$word'"
			failed=1
		}
	done
	for word in 0 1 2 75 124 '128+'; do
		# An entry: ".B 75", or ".RI 128+ N".
		man_section "EXIT STATUS" | awk -v w="$word" '
		    $1 ~ /^\.[BIR]+$/ && $2 == w { found = 1 }
		    END { exit !found }' || {
			echo "EXIT STATUS has no entry for $word"
			failed=1
		}
	done
	for word in JOB_HOME JOB_FORMAT NO_COLOR JOB_BUSY_TIMEOUT HOME JOB_ID; do
		man_section ENVIRONMENT | grep -qx "\.B $word" || {
			echo "ENVIRONMENT has no entry for $word"
			failed=1
		}
	done
	for word in job.db job.db-wal job.db-shm logs/ ID.log ID.lock 0700 0600; do
		man_section FILES | sed 's/ //g' | grep -qF -- "$word" || {
			echo "FILES does not mention '$word'"
			failed=1
		}
	done
	for word in 500ms 30s 5m 2h 7d 1h30m 100; do
		man_section DURATIONS | grep -qw -- "$word" || {
			echo "DURATIONS does not mention '$word'"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "every field of the JSON the binary prints is documented in job.1" {
	local id json field failed=0 doc
	id=$(job run --name docs-json 'echo one; echo two')
	[[ $id =~ ^[0-9A-Z]{26}$ ]]
	job wait "$id" >/dev/null
	json=$(job run --json -- true)
	json+=$(job status --json "$id")
	json+=$(job logs --json --tail 1 "$id")
	run --separate-stderr -1 job --json status no-such-job
	json+=$stderr
	grep -q '"processes"' <<<"$json"
	grep -q '"next_offset"' <<<"$json"
	grep -q '"error"' <<<"$json"
	doc=$(man_section "JSON OUTPUT"; man_section "Job objects"
	    man_section "Log objects"; man_section Errors)
	for field in $(grep -oE '"[a-z_]+":' <<<"$json" | tr -d '":' | sort -u); do
		grep -qw -- "$field" <<<"$doc" || {
			echo "JSON field '$field' is not documented under JSON OUTPUT"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "job.1 renders without warnings" {
	if command -v groff >/dev/null; then
		run groff -man -Tutf8 -ww "$MAN"
		[ "$status" -eq 0 ]
		run bash -c 'groff -man -Tutf8 -ww "$1" 2>&1 >/dev/null' _ "$MAN"
	elif command -v man >/dev/null && man --help 2>&1 | grep -q -- --warnings; then
		run bash -c 'man --warnings -l "$1" 2>&1 >/dev/null' _ "$MAN"
	else
		skip "neither groff nor man is installed"
	fi
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; return 1; }
}

# ---------------------------------------------------------------- SKILL.md

@test "SKILL.md starts with front matter: name job, a description, allowed-tools" {
	[ -f "$SKILL" ]
	[ "$(head -n 1 "$SKILL")" = "---" ]
	local end fm desc
	end=$(awk 'NR > 1 && $0 == "---" { print NR; exit }' "$SKILL")
	[ -n "$end" ] || { echo "front matter is not closed with ---"; return 1; }
	fm=$(sed -n "2,$((end - 1))p" "$SKILL")
	# name equals the skill's folder name.
	[ "$(basename "$(dirname "$SKILL")")" = job ]
	grep -qx 'name: job' <<<"$fm"
	grep -qx 'allowed-tools: Bash(job \*)' <<<"$fm"
	desc=$(sed -n 's/^description: *//p' <<<"$fm")
	[ -n "$desc" ] || { echo "no description"; return 1; }
	[ "${#desc}" -lt 1024 ] || { echo "description is ${#desc} characters"; return 1; }
	# It says when to use the skill, naming the typical cases.
	grep -qiE 'use (it|this|when|for)' <<<"$desc"
	grep -qi 'dev server' <<<"$desc"
	grep -qi 'test' <<<"$desc"
}

@test "SKILL.md's body is under 150 lines" {
	local n
	n=$(skill_body | wc -l)
	[ "$n" -gt 0 ]
	[ "$n" -lt 150 ] || { echo "the body has $n lines"; return 1; }
}

@test "every job subcommand and flag SKILL.md mentions is a real one" {
	local sub flag failed=0 n=0 usage
	while read -r sub flag; do
		n=$((n + 1))
		usage=$(job "$sub" -h 2>&1) || {
			echo "SKILL.md mentions 'job $sub', which is not a command"
			failed=1
			continue
		}
		[ -z "$flag" ] && continue
		has_flag "$flag" <<<"$usage" || {
			echo "SKILL.md uses 'job $sub ... $flag', which 'job $sub -h' does not list"
			failed=1
		}
	done < <(skill_mentions | sort -u)
	# The parser found what the skill is about.
	[ "$n" -ge 10 ] || { echo "only $n mentions found"; skill_mentions; return 1; }
	skill_mentions | grep -qx 'run --name'
	skill_mentions | grep -qx 'wait --until'
	skill_mentions | grep -qx 'logs --since'
	[ "$failed" -eq 0 ]
}

@test "job skills show prints exactly skills/job/SKILL.md" {
	job skills show >"$BATS_TEST_TMPDIR/shown"
	diff -u "$SKILL" "$BATS_TEST_TMPDIR/shown"
}

# ---------------------------------------------------------------- skills

@test "job skills install writes both skill files; again, it changes nothing" {
	run job skills install
	[ "$status" -eq 0 ]
	cmp "$SKILL" "$HOME/.claude/skills/job/SKILL.md"
	cmp "$SKILL" "$HOME/.agents/skills/job/SKILL.md"
	[ "$(grep -c written <<<"$output")" -eq 2 ]
	run job skills install
	[ "$status" -eq 0 ]
	[ "$(grep -c unchanged <<<"$output")" -eq 2 ]
	[[ ! $output =~ written|updated ]]
	cmp "$SKILL" "$HOME/.claude/skills/job/SKILL.md"
	cmp "$SKILL" "$HOME/.agents/skills/job/SKILL.md"
}

@test "job skills install keeps a changed file and exits 1; --force overwrites it" {
	local changed=$HOME/.claude/skills/job/SKILL.md
	job skills install >/dev/null
	echo "my own note" >>"$changed"
	run job skills install
	[ "$status" -eq 1 ]
	[[ $output == *kept* ]]
	[ "$(tail -n 1 "$changed")" = "my own note" ]
	cmp "$SKILL" "$HOME/.agents/skills/job/SKILL.md"
	run job skills install --force
	[ "$status" -eq 0 ]
	[[ $output == *updated* ]]
	cmp "$SKILL" "$changed"
	cmp "$SKILL" "$HOME/.agents/skills/job/SKILL.md"
}

@test "job skills install --project writes under the project root" {
	local proj=$BATS_TEST_TMPDIR/repo
	mkdir -p "$proj/src/deep"
	if command -v git >/dev/null; then
		git init -q "$proj"
	else
		mkdir "$proj/.git"
	fi
	cd "$proj/src/deep"
	run job skills install --project
	[ "$status" -eq 0 ]
	cmp "$SKILL" "$proj/.claude/skills/job/SKILL.md"
	cmp "$SKILL" "$proj/.agents/skills/job/SKILL.md"
	[ ! -e "$HOME/.claude" ]
	[ ! -e "$HOME/.agents" ]
	[ ! -e "$proj/src/deep/.claude" ]
	run job skills uninstall --project
	[ "$status" -eq 0 ]
	[ ! -e "$proj/.claude/skills/job/SKILL.md" ]
	[ ! -e "$proj/.agents/skills/job/SKILL.md" ]
}

@test "job skills install --dir DIR writes DIR/SKILL.md only" {
	local dir=$BATS_TEST_TMPDIR/somewhere/skills
	run job skills install --dir "$dir"
	[ "$status" -eq 0 ]
	cmp "$SKILL" "$dir/SKILL.md"
	[ "$(ls -A "$dir")" = SKILL.md ]
	[ ! -e "$HOME/.claude" ]
	[ ! -e "$HOME/.agents" ]
	run job skills uninstall --dir "$dir"
	[ "$status" -eq 0 ]
	[ ! -e "$dir/SKILL.md" ]
}

@test "job skills uninstall removes what install wrote, and refuses a changed file without --force" {
	local claude=$HOME/.claude/skills/job/SKILL.md
	local agents=$HOME/.agents/skills/job/SKILL.md
	job skills install >/dev/null
	run job skills uninstall
	[ "$status" -eq 0 ]
	[ ! -e "$claude" ]
	[ ! -e "$agents" ]
	# Nothing left to remove: still a success.
	run job skills uninstall
	[ "$status" -eq 0 ]
	job skills install >/dev/null
	echo "my own note" >>"$agents"
	run job skills uninstall
	[ "$status" -eq 1 ]
	[[ $output == *kept* ]]
	[ -f "$agents" ]
	[ "$(tail -n 1 "$agents")" = "my own note" ]
	run job skills uninstall --force
	[ "$status" -eq 0 ]
	[ ! -e "$claude" ]
	[ ! -e "$agents" ]
}

@test "skill files are 0644 whatever the umask; uninstall removes the job folder once empty" {
	local f
	for mask in 077 022 000; do
		(umask "$mask" && job skills install --force >/dev/null)
		for f in "$HOME/.claude/skills/job/SKILL.md" \
		    "$HOME/.agents/skills/job/SKILL.md"; do
			[ "$(stat -c %a "$f")" = 644 ] ||
			    { echo "umask $mask: $(stat -c %a "$f") $f"; false; }
		done
	done
	# A folder that holds something else stays, with that file.
	echo mine >"$HOME/.agents/skills/job/notes.txt"
	run -0 job skills uninstall
	[ ! -e "$HOME/.claude/skills/job" ]
	[ -d "$HOME/.claude/skills" ]
	[ "$(ls -A "$HOME/.agents/skills/job")" = notes.txt ]
}

@test "job skills install --agent writes each agent's folder, once; uninstall --agent removes only those" {
	local f
	run -0 job skills install --agent all --agent claude
	[ "$(grep -c written <<<"$output")" -eq 5 ]
	for f in .claude .agents .copilot .gemini .cursor; do
		cmp "$SKILL" "$HOME/$f/skills/job/SKILL.md"
	done
	run -0 job skills uninstall --agent copilot --agent gemini --json
	[ "$(jq -r '[.files[].result] | join(" ")' <<<"$output")" = "removed removed" ]
	[ ! -e "$HOME/.copilot/skills/job" ]
	[ ! -e "$HOME/.gemini/skills/job" ]
	cmp "$SKILL" "$HOME/.cursor/skills/job/SKILL.md"
	# Without --agent, the two folders of before.
	run -0 job skills uninstall
	[ "$(grep -c removed <<<"$output")" -eq 2 ]
	cmp "$SKILL" "$HOME/.cursor/skills/job/SKILL.md"
}

@test "job skills install --agent all --project uses each host's project folder" {
	local proj f
	proj=$(make_project repo)
	cd "$proj"
	run -0 job skills install --agent all --project
	for f in .claude .agents .github .gemini .cursor; do
		cmp "$SKILL" "$proj/$f/skills/job/SKILL.md"
	done
	[ ! -e "$HOME/.claude" ]
	[ ! -e "$proj/.copilot" ]
	run -0 job skills install --agent copilot --project
	[[ $output == "unchanged  $proj/.github/skills/job/SKILL.md" ]]
}

@test "job skills --agent of an unknown agent, or with --dir, is a usage error" {
	run -2 job skills install --agent vim
	[[ $output == *"unknown agent 'vim'"* ]]
	run -2 job skills install --agent claude --dir "$BATS_TEST_TMPDIR/d"
	[[ $output == *"--agent and --dir do not go together"* ]]
	[ ! -e "$HOME/.claude" ]
	[ ! -e "$BATS_TEST_TMPDIR/d" ]
}

@test "job skills without an action, or an unknown one, is a usage error" {
	run job skills
	[ "$status" -eq 2 ]
	run job skills no-such-action
	[ "$status" -eq 2 ]
}

# ---------------------------------------------------------------- completions

@test "job completions bash is valid bash and completes job" {
	run job completions bash
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/c.bash"
	bash -n "$BATS_TEST_TMPDIR/c.bash"
	grep -qx 'complete -F _job job' "$BATS_TEST_TMPDIR/c.bash"
	# Loading it defines the completion.
	bash -c 'source "$1" && complete -p job' _ "$BATS_TEST_TMPDIR/c.bash" |
	    grep -q -- '-F _job'
}

@test "bash: completing after 'job ' offers every command" {
	job_on_path
	job completions bash >"$BATS_TEST_TMPDIR/c.bash"
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job ""
	[ "$status" -eq 0 ]
	local cmd failed=0
	for cmd in $(commands); do
		grep -qx "$cmd" <<<"$output" || {
			echo "'job <TAB>' does not offer '$cmd'"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job st
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "status stop " ]
}

@test "bash: completing 'job CMD --' offers every long flag of CMD's usage" {
	job_on_path
	job completions bash >"$BATS_TEST_TMPDIR/c.bash"
	local cmd flag failed=0 offered
	for cmd in $(commands); do
		offered=$(complete_bash "$BATS_TEST_TMPDIR/c.bash" job "$cmd" --)
		for flag in $(job help "$cmd" | long_flags); do
			grep -qx -- "$flag" <<<"$offered" || {
				echo "'job $cmd --<TAB>' does not offer $flag"
				failed=1
			}
		done
	done
	[ "$failed" -eq 0 ]
}

@test "bash: completing 'job logs ' offers the names and ids of the project's jobs" {
	job_on_path
	local id
	id=$(job run --name docs-web -- true)
	[[ $id =~ ^[0-9A-Z]{26}$ ]]
	job completions bash >"$BATS_TEST_TMPDIR/c.bash"
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job logs ""
	[ "$status" -eq 0 ]
	grep -qx docs-web <<<"$output"
	grep -qx "$id" <<<"$output"
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job logs docs-
	[ "$status" -eq 0 ]
	[ "$output" = docs-web ]
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job stop ""
	grep -qx docs-web <<<"$output"
	# Another project's jobs are not offered.
	mkdir -p "$BATS_TEST_TMPDIR/other"
	cd "$BATS_TEST_TMPDIR/other"
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job logs ""
	[ "$status" -eq 0 ]
	run -1 grep -qx docs-web <<<"$output"
}

@test "bash: completing --queue and job queue offers queue names; --after offers jobs" {
	job_on_path
	run -0 job queue shards --parallel 2
	run -0 job queue gpu --pause
	id=$(job run --name dep -- true)
	job completions bash >"$BATS_TEST_TMPDIR/c.bash"
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job run --queue ""
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "gpu shards " ]
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job queue sh
	[ "$output" = shards ]
	run complete_bash "$BATS_TEST_TMPDIR/c.bash" job run --after de
	[ "$output" = dep ]
	job completions fish | grep -q "l queue -r -a '(job completions queues"
}

@test "job completions zsh and fish print scripts for every command" {
	local cmd failed=0
	run job completions zsh
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/c.zsh"
	if command -v zsh >/dev/null; then
		zsh -n "$BATS_TEST_TMPDIR/c.zsh"
	fi
	for cmd in $(commands); do
		grep -qw -- "$cmd" "$BATS_TEST_TMPDIR/c.zsh" || {
			echo "the zsh script never mentions '$cmd'"
			failed=1
		}
	done
	run job completions fish
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/c.fish"
	if command -v fish >/dev/null; then
		fish -n "$BATS_TEST_TMPDIR/c.fish"
	fi
	grep -q '^complete -c job' "$BATS_TEST_TMPDIR/c.fish"
	for cmd in $(commands); do
		grep -qE -- "-a $cmd( |\$)" "$BATS_TEST_TMPDIR/c.fish" || {
			echo "the fish script does not offer the command '$cmd'"
			failed=1
		}
	done
	[ "$failed" -eq 0 ]
}

@test "job completions of an unknown shell, or of none, is a usage error" {
	run job completions no-such-shell
	[ "$status" -eq 2 ]
	[[ $output == *no-such-shell* ]]
	run job completions
	[ "$status" -eq 2 ]
}
