#!/bin/bash
# check-vm-data: the real-kernel traces committed under tests/data are
# usable without QEMU: each one is listed in tests/vm/expect.tsv (and each
# listed one exists), trace-cmd reads it, it was recorded with the global
# clock, it holds the root-lifecycle events, and the captured format files
# of every kernel list all nine events. Total size stays small.
# Prints "vm-data: N passed, N failed"; exit 1 on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=tests/data expect=tests/vm/expect.tsv
pass=0 fail=0 notyet=""
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "vm-data: FAIL $*"; }
events="kvm_tdp_mmu_root_alloc kvm_tdp_mmu_root_get kvm_tdp_mmu_root_put kvm_tdp_mmu_root_invalidate kvm_tdp_mmu_root_zap_start kvm_tdp_mmu_root_zap_end kvm_tdp_mmu_root_free kvm_mmu_zap_all_fast_done kvm_tdp_mmu_teardown"

command -v trace-cmd >/dev/null || { echo "vm-data: trace-cmd missing (scripts/deps.sh build)"; echo "vm-data: 0 passed, 1 failed"; exit 1; }
[ -f "$expect" ] || { bad "$expect missing"; }

# every listed trace exists
while IFS=$'\t' read -r f rc rules; do
	case $f in ''|'#'*|file) continue ;; esac
	[ -f "$data/$f" ] || { notyet="$notyet $f"; continue; }
	case $rc in 0|1|2|3) ok ;; *) bad "$expect: $f: bad exit code '$rc'" ;; esac
done < "$expect"

for f in "$data"/*.dat; do
	[ -e "$f" ] || continue
	b=$(basename "$f")
	if awk -F'\t' -v f="$b" '$1==f {found=1} END {exit !found}' "$expect"; then ok; else bad "$b not listed in $expect"; fi
	rep=$(trace-cmd report -N "$f" 2>/dev/null)
	if [ $? -ne 0 ] || [ -z "$rep" ]; then bad "$b: trace-cmd report cannot read it"; continue; fi
	ok
	opts=$(trace-cmd dump --options "$f" 2>/dev/null)	# no pipe into grep -q: SIGPIPE + pipefail
	if grep -qi 'clock.*global\|\[global\]' <<<"$opts"; then ok
	else bad "$b: not recorded with -C global"; fi
	n=$(grep -c 'kvm_tdp_mmu_root_alloc:' <<<"$rep")
	m=$(grep -c 'kvm_tdp_mmu_teardown:' <<<"$rep")
	if [ "$n" -gt 0 ] && [ "$m" -gt 0 ]; then ok
	else bad "$b: no root alloc ($n) or teardown ($m) events"; fi
done

for d in "$data"/formats/*/; do
	[ -d "$d" ] || continue
	for e in $events; do
		if [ -s "$d/kvmmmu/$e/format" ] && grep -q "^name: $e\$" "$d/kvmmmu/$e/format"; then ok
		else bad "$d: format of $e missing"; fi
	done
	for h in header_page header_event; do
		if [ -s "$d/$h" ]; then ok; else bad "$d/$h missing"; fi
	done
done

# identical files (demo.dat is a copy) are one git blob: count them once
total=0
for f in $(md5sum "$data"/*.dat 2>/dev/null | sort -u -k1,1 | awk '{print $2}'); do
	total=$((total + $(stat -c %s "$f")))
done
if [ "$total" -le $((8 * 1024 * 1024)) ]; then ok; else bad "tests/data/*.dat total $total bytes (distinct content) > 8 MiB"; fi
[ -z "$notyet" ] || echo "vm-data: note: listed in $expect but not recorded yet:$notyet"
[ $((pass + fail)) -gt 1 ] || echo "vm-data: no real-kernel traces committed yet (tests/vm/regen-data.sh)"
echo "vm-data: $pass passed, $fail failed"
[ $fail -eq 0 ]
