#!/bin/bash
# check-accuracy: generator round trips, simulator self-checks, the named
# synthetic cases and the CI-sized accuracy run. Prints each part's
# "name: N passed, N failed" line and a closing total; exits 1 on failure.
# usage: tests/sim/check.sh READDAT ANALYZER WORKDIR
set -u
readdat=$1 analyzer=$2 work=$3
here=$(dirname "$0")
py=${PYTHON:-python3}
. "$here/../lib/tally.sh"
status=0
part() { tally_run "$@" || status=1; }
rm -rf "$work"
mkdir -p "$work"
part "$py" "$here/test_gentrace.py" "$readdat" "$work/gentrace"
part "$py" "$here/test_rootsim.py"
part "$py" "$here/cases.py" --check "$analyzer" "$work/cases"
part "$py" "$here/accuracy.py" --analyzer "$analyzer" --work "$work/accuracy"
# real traces with one CPU's clock off (the full set: make skew-check)
part "$py" "$here/skew_check.py" --analyzer "$analyzer" --readdat "$readdat" \
	--work "$work/skew" --skews 50000,1000000,5000000 --cpus 1 \
	"$here/../data/6.12-rootstress.dat" "$here/../data/6.1-rootstress.dat" \
	"$here/../data/6.1-memslot_modification_stress_test.dat" \
	"$here/../data/6.12-inject-double-put.dat:REF-PUT-UNOWNED|REF-UNDERFLOW"
tally_close check-accuracy || status=1
exit $status
