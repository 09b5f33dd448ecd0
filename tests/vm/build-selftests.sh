#!/bin/bash
# Build the KVM selftests the VM test runs, statically, from the Debian
# linux-source-$KVER tree unpacked by build-kernel.sh (uapi headers are
# not touched by our series, so the pristine base is used).
# Usage: tests/vm/build-selftests.sh KVER   -> prints the output dir
# Exit: 0 ok, 1 build failure, 2 usage.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${1:-}
case "$KVER" in 6.12|6.1) ;; *) echo "usage: $0 6.12|6.1" >&2; exit 2 ;; esac
JOBS=${JOBS:-2}
vmb=$top/build/vm
src=$vmb/src-$KVER
[ -d "$src/.git" ] || { echo "build-selftests: $src missing: run tests/vm/build-kernel.sh $KVER first" >&2; exit 2; }
out=$vmb/selftests-$KVER
# memslot_perf_test is not run by vm-test: vm-bench drives it for its root
# event rate (tens of thousands a second, issue 15)
tests="set_memory_region_test memslot_modification_stress_test kvm_page_table_test dirty_log_test x86_64/smm_test hardware_disable_test memslot_perf_test"
need=0
for t in $tests; do [ -x "$out/$t" ] || grep -qx "$t" "$out/.unbuildable" 2>/dev/null || need=1; done
if [ $need -eq 0 ]; then echo "$out"; exit 0; fi

# A private worktree at the base commit, so a kernel build switching
# branches in $src cannot race with us.
wt=$vmb/selftests-src-$KVER
if [ ! -d "$wt" ]; then
	git -C "$src" worktree prune
	git -C "$src" worktree add -q --detach "$wt" base
fi
hdr=$vmb/hdr-$KVER
echo "build-selftests: make headers ($KVER)" >&2
make -s -C "$wt" O="$hdr" headers >/dev/null
mkdir -p "$out"
rm -f "$out/.unbuildable"
echo "build-selftests: building $tests (-j$JOBS, static)" >&2
# one target at a time: a test that does not build in this tree (6.1.192's
# dirty_log_test uses TEST_ASSERT_EQ, which its selftest library lacks) is
# reported and left out; the VM test then lists it as skipped.
: > "$vmb/selftests-$KVER.log"
nfail=0
for t in $tests; do
	[ -x "$out/$t" ] && continue
	if ! make -s -C "$wt/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" \
		KHDR_INCLUDES="-isystem $hdr/usr/include" LDLIBS=-static "$out/$t" >>"$vmb/selftests-$KVER.log" 2>&1; then
		echo "build-selftests: $t does not build in linux-source-$KVER (see $vmb/selftests-$KVER.log)" >&2
		grep -m1 -E "error:|undefined reference" "$vmb/selftests-$KVER.log" >&2 || true
		echo "$t" >> "$out/.unbuildable"
		nfail=$((nfail + 1))
	fi
done
[ $nfail -lt 5 ] || { echo "build-selftests: nothing built" >&2; exit 1; }
echo "$out"
