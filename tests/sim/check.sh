#!/bin/bash
# check-accuracy: generator round trips, simulator self-checks, the named
# synthetic cases and the CI-sized accuracy run. Prints each part's
# "name: N passed, N failed" line and a closing total; exits 1 on failure.
# usage: tests/sim/check.sh READDAT ANALYZER WORKDIR
set -u
readdat=$1 analyzer=$2 work=$3
here=$(dirname "$0")
py=${PYTHON:-python3}
tp=0 tf=0 status=0
part() {
	local log rc line p f
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	p=0 f=0
	if [ -n "$line" ]; then
		p=$(sed -E 's/^[a-z-]+: ([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$rc" -ne 0 ] && status=1
	tp=$((tp + p)) tf=$((tf + f))
}
rm -rf "$work"
mkdir -p "$work"
part "$py" "$here/test_gentrace.py" "$readdat" "$work/gentrace"
part "$py" "$here/test_rootsim.py"
part "$py" "$here/cases.py" --check "$analyzer" "$work/cases"
part "$py" "$here/accuracy.py" --analyzer "$analyzer" --work "$work/accuracy"
[ "$tf" -ne 0 ] && status=1
echo "check-accuracy: $tp passed, $tf failed"
exit $status
