#!/bin/bash
# Replay the seed corpus and every crash ever found (tests/fuzz/regress/)
# through both fuzz targets, in the ASan+UBSan build: a crash, a sanitizer
# report or a leak fails. Prints "fuzz: N passed, N failed".
set -u
BUILD=$1
seed=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export RC_FUZZ_FORMATS=tests/data/v1/formats/6.12
pass=0
fail=0
for t in dat engine; do
	for set in "$seed/$t" "tests/fuzz/regress/$t"; do
		files=()
		for f in "$set"/*; do
			[ -f "$f" ] && files+=("$f")
		done
		[ ${#files[@]} -eq 0 ] && continue
		# one process per input: a crash names its input
		for f in "${files[@]}"; do
			if out=$("$BUILD/san/fuzz/replay_$t" "$f" 2>&1); then
				pass=$((pass + 1))
			else
				fail=$((fail + 1))
				echo "FAIL: fuzz_$t on $f:"
				echo "$out" | grep -E 'ERROR|SUMMARY|#[0-9] ' | head -12
			fi
		done
	done
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
