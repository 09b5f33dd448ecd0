# SPDX-License-Identifier: GPL-2.0
# tests/lib/tally.sh (sourced by bash scripts): the one parser of the
# closing line every test program of this repository prints,
#
#     [NAME: ]N passed, N failed
#
# and the one set of rules for adding such lines up:
#  - no closing line at all counts as one failure;
#  - a non-zero exit with no failure counted counts as one failure;
#  - a run that ran nothing ("0 passed, 0 failed") counts as one failure.

TALLY_PASS=0
TALLY_FAIL=0

# tally_line TEXT: print "P F" from the last closing line of TEXT, or
# return 1 if there is none.
tally_line() {
	local line
	line=$(grep -E '^([A-Za-z0-9_.-]+: )?[0-9]+ passed, [0-9]+ failed$' <<<"$1" | tail -n 1)
	[[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] || return 1
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

# tally_add TEXT RC: add the result of a program that printed TEXT and
# exited RC. Sets TALLY_P and TALLY_F to what was added and TALLY_WHY to
# the reason of a failure counted by the rules above ("" if none).
tally_add() {
	local pf
	TALLY_WHY=""
	if pf=$(tally_line "$1"); then
		TALLY_P=${pf% *} TALLY_F=${pf#* }
	else
		TALLY_P=0 TALLY_F=1 TALLY_WHY="printed no 'N passed, N failed' line"
	fi
	if [ "$2" -ne 0 ] && [ "$TALLY_F" -eq 0 ]; then
		TALLY_F=1 TALLY_WHY="exited $2 with no failure counted"
	elif [ "$TALLY_P" -eq 0 ] && [ "$TALLY_F" -eq 0 ]; then
		TALLY_F=1 TALLY_WHY="ran no test"
	fi
	TALLY_PASS=$((TALLY_PASS + TALLY_P))
	TALLY_FAIL=$((TALLY_FAIL + TALLY_F))
}

# tally_run CMD...: run CMD with its output shown, then tally_add it.
# Returns CMD's exit status.
tally_run() {
	local log rc
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally_add "$(cat "$log")" "$rc"
	rm -f "$log"
	return "$rc"
}

# tally_close [NAME]: print the closing line of the sum; exit status 0 if
# nothing failed and something ran.
tally_close() {
	echo "${1:+$1: }$TALLY_PASS passed, $TALLY_FAIL failed"
	[ "$TALLY_FAIL" -eq 0 ] && [ "$TALLY_PASS" -gt 0 ]
}
