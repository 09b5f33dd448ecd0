#!/bin/bash
# Run each check target, show its output, and add up the "N passed,
# N failed" lines they print into one closing line (tests/lib/tally.sh:
# a target that prints no such line, fails without counting a failure, or
# runs nothing counts as one failure). The host's tracefs and debugfs
# mounts must be the same after the checks as before.
set -u
. "$(dirname "$0")/lib/tally.sh"
status=0
# No test may mount, unmount or remount tracefs (or debugfs) on the host.
mounts() { grep -E '^[^ ]+ [^ ]+ (tracefs|debugfs) ' /proc/mounts 2>/dev/null | sort; }
mounts_before=$(mounts)
for t in "$@"; do
	echo "=== make $t"
	tally_run make --no-print-directory "$t" || status=1
	echo "=== make $t: ${TALLY_P} passed, ${TALLY_F} failed${TALLY_WHY:+ ($TALLY_WHY)}"
done
if [ "$(mounts)" != "$mounts_before" ]; then
	echo "FAIL: the tests changed the host's tracefs/debugfs mounts:"
	diff <(echo "$mounts_before") <(mounts)
	TALLY_FAIL=$((TALLY_FAIL + 1))
fi
tally_close || status=1
exit $status
