#!/bin/bash
# The analyzer's tests: unit tests (ASan+UBSan builds) and CLI tests on
# trace.dat files generated from tests/fixtures/*.txt and on the real
# traces committed under tests/data/. Prints one closing line
# "analyzer: N passed, N failed".
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
pass=0
fail=0

count() {	# add up the "N passed, N failed" line of a test's output
	local line p f
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' <<<"$1" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		return
	fi
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
	pass=$((pass + p))
	fail=$((fail + f))
}

# Fixtures: event text -> trace.dat through the generator.
export RC_FIXTURES="$BUILD/fixtures"
mkdir -p "$RC_FIXTURES"
for t in tests/fixtures/*.txt; do
	[ -e "$t" ] || continue
	n=$(basename "$t" .txt)
	if ! python3 tests/sim/gentrace.py -o "$RC_FIXTURES/$n.dat" "$t"; then
		echo "FAIL: cannot generate fixture $t"
		fail=$((fail + 1))
	fi
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$BUILD"/san/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	echo "$out" | grep -vE '^[a-z_]+: [0-9]+ passed' | head -40
	echo "$(basename "$t"): $(grep -E '[0-9]+ passed' <<<"$out" | tail -n 1)"
	count "$out"
	if [ $rc -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' <<<"$out"; then
		echo "FAIL: $(basename "$t") exited $rc"
		fail=$((fail + 1))
	fi
done

out=$(tests/cli/run.sh "$BUILD" 2>&1)
echo "$out" | tail -n 60
count "$out"

echo "analyzer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
