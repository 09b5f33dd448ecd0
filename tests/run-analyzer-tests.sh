#!/bin/bash
# The analyzer's tests: unit tests (ASan+UBSan builds) and CLI tests on
# trace.dat files generated from tests/fixtures/*.txt and on the real
# traces committed under tests/data/. Prints one closing line
# "analyzer: N passed, N failed".
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lib/tally.sh
fail() { TALLY_FAIL=$((TALLY_FAIL + 1)); echo "FAIL: $*"; }

# Fixtures: event text -> trace.dat through the generator.
export RC_FIXTURES="$BUILD/fixtures"
mkdir -p "$RC_FIXTURES"
for t in tests/fixtures/*.txt; do
	[ -e "$t" ] || continue
	n=$(basename "$t" .txt)
	fmt=()	# ABI v2 fixtures: the formats of the second kernel series
	case $n in *_v2_*) fmt=(--formats tests/fixtures/formats-v2) ;; esac
	if ! python3 tests/sim/gentrace.py "${fmt[@]}" -o "$RC_FIXTURES/$n.dat" "$t"; then
		fail "cannot generate fixture $t"
	fi
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ran=0
for t in "$BUILD"/san/tests/test_*; do
	[ -x "$t" ] || continue
	ran=$((ran + 1))
	out=$("$t" 2>&1)
	rc=$?
	echo "$out" | grep -vE '^[a-z_]+: [0-9]+ passed' | head -40
	tally_add "$out" "$rc"
	echo "$(basename "$t"): $TALLY_P passed, $TALLY_F failed${TALLY_WHY:+ ($TALLY_WHY)}"
done
[ "$ran" -gt 0 ] || fail "no unit test binary in $BUILD/san/tests"

out=$(tests/cli/run.sh "$BUILD" 2>&1)
rc=$?
echo "$out" | tail -n 60
tally_add "$out" "$rc"

tally_close analyzer
