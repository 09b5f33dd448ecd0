#!/bin/bash
# check-vm-data: the real-kernel traces committed under tests/data are
# usable without QEMU: each one is listed in tests/vm/expect.tsv (and each
# listed one exists), trace-cmd reads it, it was recorded with the global
# clock, it holds the root-lifecycle events, and the captured format files
# of every kernel hold every event the analyzer reads (--list-events; the
# handoff event only in the v2 formats of 6.12). In the v2 traces, the caller of every
# get, put and handoff is one of the functions that hold a call site, as
# listed per kernel in kernel-patches/README.md (a tail call or a wrong
# call site names another function). Total size stays small.
# Prints "vm-data: N passed, N failed"; exit 1 on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
data=tests/data expect=tests/vm/expect.tsv
pass=0 fail=0 notyet=""
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "vm-data: FAIL $*"; }
# the events the analyzer reads (its event table)
analyzer=${ANALYZER:-build/kvm-rootcheck}
events=$("$analyzer" --list-events | sed 's/^kvmmmu://' | grep -vx kvm_tdp_mmu_root_handoff) &&
	[ -n "$events" ] ||
	{ echo "vm-data: $analyzer --list-events failed (make analyzer)"; echo "vm-data: 0 passed, 1 failed"; exit 1; }
readme=kernel-patches/README.md

# callers_ok KVER: stdin = trace-cmd report; prints the get/put/handoff
# records whose caller function is not listed for KVER in the README;
# exit 1 if there is one, 2 if the README has no list for KVER.
callers_ok() {
	python3 -c '
import re, sys
kv, readme = sys.argv[1], sys.argv[2]
m = re.search(r"<!-- callers v%s -->\n(.*?)<!-- end callers -->" % re.escape(kv), open(readme).read(), re.S)
if not m:
    sys.exit(2)
allowed = set()
for ln in m.group(1).splitlines():
    cells = ln.strip().strip("|").split("|")
    if len(cells) == 2 and "`" in cells[1]:
        allowed.update(re.findall(r"`(\w+)`", cells[1]))
bad = 0
for ln in sys.stdin:
    r = re.search(r"(kvm_tdp_mmu_root_(?:get|put|handoff)):.*\bcaller (\S+)", ln)
    if r and r.group(2).split("+")[0] not in allowed:
        bad += 1
        if bad <= 5:
            print("%s caller %s" % (r.group(1), r.group(2)))
sys.exit(1 if bad else 0)
' "$1" "$readme"
}

# negative control: a put attributed to mmu.c's caller of the try-split
# (what a tail call did with _RET_IP_ in the first series) is rejected
if printf 'x: kvm_tdp_mmu_root_put: kvm 1 root 2 old 2 owner iter caller kvm_mmu_slot_try_split_huge_pages+0x4e/0x90\n' |
	callers_ok 6.12 >/dev/null; then bad "callers check self-test: a foreign caller passed"
else ok; fi

command -v trace-cmd >/dev/null || { echo "vm-data: trace-cmd missing (scripts/deps.sh build)"; echo "vm-data: 0 passed, 1 failed"; exit 1; }
[ -f "$expect" ] || { bad "$expect missing"; }

# every listed trace exists
while IFS=$'\t' read -r f rc rules; do
	case $f in ''|'#'*|file) continue ;; esac
	[ -f "$data/$f" ] || { notyet="$notyet $f"; continue; }
	case $rc in 0|1|2|3) ok ;; *) bad "$expect: $f: bad exit code '$rc'" ;; esac
done < "$expect"

for f in "$data"/*.dat "$data"/v1/*.dat; do
	[ -e "$f" ] || continue
	b=${f#"$data"/}
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
	case $b in
	v1/*) ;;	# the first series: callers of noinline helpers (_RET_IP_)
	*)	kv=${b%%-*}; [ "$b" = demo.dat ] && kv=6.12
		if out=$(callers_ok "$kv" <<<"$rep"); then ok
		else bad "$b: get/put/handoff callers not listed for $kv in $readme: $(tr '\n' ';' <<<"$out")"; fi ;;
	esac
done

for d in "$data"/formats/*/ "$data"/v1/formats/*/; do
	[ -d "$d" ] || continue
	evs=$events
	case $d in */v1/*) ;; */6.12/) evs="$events kvm_tdp_mmu_root_handoff" ;; esac
	for e in $evs; do
		if [ -s "$d/kvmmmu/$e/format" ] && grep -q "^name: $e\$" "$d/kvmmmu/$e/format"; then ok
		else bad "$d: format of $e missing"; fi
	done
	for h in header_page header_event; do
		if [ -s "$d/$h" ]; then ok; else bad "$d/$h missing"; fi
	done
done

# identical files (demo.dat is a copy) are one git blob: count them once
total=0
for f in $(md5sum "$data"/*.dat "$data"/v1/*.dat 2>/dev/null | sort -u -k1,1 | awk '{print $2}'); do
	total=$((total + $(stat -c %s "$f")))
done
if [ "$total" -le $((16 * 1024 * 1024)) ]; then ok; else bad "tests/data/*.dat and v1/*.dat total $total bytes (distinct content) > 16 MiB"; fi
[ -z "$notyet" ] || echo "vm-data: note: listed in $expect but not recorded yet:$notyet"
[ $((pass + fail)) -gt 1 ] || echo "vm-data: no real-kernel traces committed yet (tests/vm/regen-data.sh)"
echo "vm-data: $pass passed, $fail failed"
[ $fail -eq 0 ]
