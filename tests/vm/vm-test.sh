#!/bin/bash
# End-to-end test on a real kernel under QEMU (issue 5).
#
# For each kernel version: build the patched kernel (+ test-only inject
# patches, off unless kvm.rootcheck_inject=N), the static selftests and
# workloads, the initramfs; boot once for the clean workloads (each
# recorded with `trace-cmd record -C global -e kvmmmu` to its own
# trace.dat, plus the captured event format files and, when the analyzer
# is available, `kvm-rootcheck live -- rootstress`), then once per injected
# bug; copy everything out and check the analyzer's verdicts against
# tests/vm/expect.tsv.
#
# Usage: tests/vm/vm-test.sh [--kver 6.12|6.1|all] [--stock] [--record]
#                            [--only clean|inject] [--inject NAME] [--out DIR]
#   --stock   stock Debian kernel, no series (pipeline bring-up)
#   --record  copy traces and formats into tests/data (what regen-data.sh does)
# Prints "vm: N passed, N failed". Exit 0 all passed, 1 a check failed,
# 2 usage or build error.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
kvers="6.12"
stock=0 record=0 only=all only_inject=""
outbase=$top/build/vm/runs
while [ $# -gt 0 ]; do
	case $1 in
	--kver) shift; case ${1:-} in all) kvers="6.12 6.1" ;; 6.12|6.1) kvers=$1 ;; *) echo "vm-test: bad --kver" >&2; exit 2 ;; esac ;;
	--stock) stock=1 ;;
	--record) record=1 ;;
	--only) shift; only=${1:-} ;;
	--inject) shift; only=inject; only_inject=${1:-} ;;
	--out) shift; outbase=$1 ;;
	*) echo "usage: $0 [--kver 6.12|6.1|all] [--stock] [--record] [--only clean|inject] [--inject NAME] [--out DIR]" >&2; exit 2 ;;
	esac
	shift
done
ANALYZER=${ANALYZER:-$top/build/kvm-rootcheck}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "vm: PASS $*"; }
bad() { fail=$((fail + 1)); echo "vm: FAIL $*"; }

# Workloads of the clean boot: name|events|command line (small parameters:
# software CPU emulation is slow). events "all" records `-e kvmmmu` (every
# kvmmmu event, as a user would); "root" records only the root-lifecycle
# events and kvm_mmu_zap_all_fast: dirty_log_test with all kvmmmu events
# writes >20 MB and loses events even with big buffers, and the injected
# runs only need the root events (keeps tests/data small). On 6.1 every
# workload records only the root events, for the same reason (ROOT_ONLY=1
# does that for 6.12 too).
CLEAN_WORKLOADS="
rootstress|all|rootstress -s 1 -r 40 -m 3 -c 2
set_memory_region_test|root|/opt/selftests/set_memory_region_test
memslot_modification_stress_test|all|/opt/selftests/memslot_modification_stress_test -v 2 -b 16M -i 10
kvm_page_table_test|all|/opt/selftests/kvm_page_table_test -v 2 -b 16M
dirty_log_test|root|/opt/selftests/dirty_log_test -i 3 -I 10
smm_test|all|/opt/selftests/smm_test
"
# Injected bugs: name|kvm.rootcheck_inject value|events|workload
INJECTS="
double-put|1|root|rootstress -s 2 -r 30 -m 2 -c 2
gift-leak|2|root|rootstress -s 3 -r 30 -m 2 -c 2
fastzap-skip|3|root|rootstress -s 4 -r 30 -m 2 -c 2
gift-early-put|4|root|rootstress -s 5 -r 30 -m 2 -c 2
v3-invalidate|5|root|rootstress -s 6 -r 30 -m 2 -c 2
"
LIVE_CMD="rootstress -s 7 -r 40 -m 2 -c 2"

# guest-side helper: record one workload into /out/$name.dat
guest_lib() {
	cat <<'EOF'
ROOT_EVENTS="-e kvmmmu:kvm_tdp_mmu_root_alloc -e kvmmmu:kvm_tdp_mmu_root_get -e kvmmmu:kvm_tdp_mmu_root_put -e kvmmmu:kvm_tdp_mmu_root_invalidate -e kvmmmu:kvm_tdp_mmu_root_zap_start -e kvmmmu:kvm_tdp_mmu_root_zap_end -e kvmmmu:kvm_tdp_mmu_root_free -e kvmmmu:kvm_mmu_zap_all_fast -e kvmmmu:kvm_mmu_zap_all_fast_done -e kvmmmu:kvm_tdp_mmu_teardown"
rec() {
	name=$1; ev=$2; shift 2
	if [ "$ev" = root ]; then ev=$ROOT_EVENTS; else ev="-e kvmmmu"; fi
	echo "== record $name ($ev): $*"
	t0=$(date +%s)
	trace-cmd record -q -C global -b 8192 $ev -o /out/$name.dat \
		sh -c "$* > /out/$name.out 2>&1; echo \$? > /out/$name.rc"
	echo "== $name: workload rc=$(cat /out/$name.rc 2>/dev/null) guest_secs=$(( $(date +%s) - t0 )) events_file=$(wc -c < /out/$name.dat)"
	tail -n 3 /out/$name.out
}
formats() {
	mkdir -p /out/formats
	cp /sys/kernel/tracing/events/header_page /sys/kernel/tracing/events/header_event /out/formats/
	for d in /sys/kernel/tracing/events/kvmmmu/*/; do
		e=$(basename $d)
		mkdir -p /out/formats/kvmmmu/$e
		cp $d/format /out/formats/kvmmmu/$e/format
	done
	ls /sys/kernel/tracing/events/kvmmmu/ > /out/events.txt
	uname -r > /out/uname.txt
}
EOF
}

# analyze FILE -> sets a_rc and a_rules (sorted unique rule IDs)
analyze() {
	local f=$1 out
	out=$("$ANALYZER" --json "$f" 2>"$f.analyzer.err")
	a_rc=$?
	printf '%s\n' "$out" > "$f.analyzer.json"
	a_rules=$(printf '%s\n' "$out" | python3 -c '
import json,sys
try:
    d=json.load(sys.stdin)
except Exception:
    print("?"); sys.exit()
print(",".join(sorted({v.get("rule","?") for v in d.get("violations",[])})) or "-")')
}

check_verdict() {	# FILE TRACE_BASENAME
	local f=$1 b=$2 line
	if [ ! -x "$ANALYZER" ]; then
		echo "vm: SKIP verdict of $b: no analyzer at $ANALYZER (make analyzer)"
		return
	fi
	analyze "$f"
	line=$(tests/vm/verdict.py tests/vm/expect.tsv "$b" "$a_rc" "$f.analyzer.json")
	case $line in
	PASS*) ok "${line#PASS }" ;;
	*) bad "${line#FAIL } ($f.analyzer.json)" ;;
	esac
}

build_all() {	# KVER -> sets kdir initrd
	local kv=$1 args=()
	[ $stock -eq 1 ] && args+=(--stock)
	kdir=$(tests/vm/build-kernel.sh "$kv" "${args[@]}" | tail -n 1) || return 1
	tests/vm/build-selftests.sh "$kv" >/dev/null || return 1
	make -s -C tests/workloads >/dev/null || return 1
	initrd=$top/build/vm/initramfs-$kv.cpio.gz
	ANALYZER=$ANALYZER tests/vm/build-initramfs.sh "$kv" "$initrd" || return 1
}

# run-vm.sh, again (up to 3 boots) when the boot was bad (exit 4: TSC not
# usable, see run-vm.sh); every bad boot is reported.
run_vm() {
	local try rc
	for try in 1 2 3; do
		tests/vm/run-vm.sh "$@"
		rc=$?
		[ $rc -eq 4 ] || return $rc
		echo "vm: bad boot (try $try of 3): $(grep -m1 -E 'Marking TSC unstable' "${@: -1}/serial.log" || echo 'no clocksource tsc')"
	done
	return $rc
}

t_start=$(date +%s)
for kv in $kvers; do
	echo "vm: ===== kernel $kv"
	t0=$(date +%s)
	if ! build_all "$kv"; then
		bad "$kv: build (kernel/selftests/workloads/initramfs)"
		continue
	fi
	echo "vm: $kv builds ready in $(( $(date +%s) - t0 )) s ($kdir)"
	run=$outbase/$kv
	# 6.1's unsynchronized_tsc() marks the TSC unstable on any non-Intel
	# CPU without constant_tsc when there is more than one CPU, which is
	# QEMU's -cpu max (AMD, 2 CPUs) on every boot; 6.12 does not. Tell
	# 6.1 the (emulated, synchronized) TSC is reliable.
	kappend=""
	[ "$kv" = 6.1 ] && kappend="tsc=reliable"
	mkdir -p "$run"
	[ "$only" != inject ] && rm -rf "$run/clean" "$run/clean.job"
	if [ "$only" != clean ]; then
		if [ -n "$only_inject" ]; then rm -rf "$run/inject-$only_inject"*
		else rm -rf "$run"/inject-*; fi
	fi

	if [ "$only" != inject ]; then
		job=$run/clean.job
		mkdir -p "$job"
		{
			guest_lib
			echo "formats"
			printf '%s\n' "$CLEAN_WORKLOADS" | while IFS='|' read -r name ev cmd; do
				case $cmd in /opt/selftests/*)
					b=${cmd#/opt/selftests/}; b=${b%% *}
					if [ ! -x "$top/build/vm/selftests-$kv/$b" ] && [ ! -x "$top/build/vm/selftests-$kv/x86_64/$b" ]; then
						echo "vm: SKIP $kv $name: the selftest does not build in linux-source-$kv ($top/build/vm/selftests-$kv.log)" >&2
						continue
					fi ;;
				esac
				{ [ "$kv" = 6.1 ] || [ "${ROOT_ONLY:-0}" = 1 ]; } && ev=root
				[ -n "$name" ] && echo "rec $name $ev '$cmd'"
			done
			if [ -x "$ANALYZER" ]; then
				echo "echo '== live: kvm-rootcheck live -- $LIVE_CMD'"
				echo "kvm-rootcheck live -- $LIVE_CMD > /out/live.txt 2>&1; echo \$? > /out/live.rc"
				echo "cat /out/live.txt; echo live rc=\$(cat /out/live.rc)"
				if [ "$kv" = 6.1 ] || [ "${ROOT_ONLY:-0}" = 1 ]; then
					echo "rec live-offline root '$LIVE_CMD'"
				else
					echo "rec live-offline all '$LIVE_CMD'"
				fi
			fi
		} > "$job/job.sh"
		t0=$(date +%s)
		run_vm -t "$QEMU_TIMEOUT" -a "$kappend" "$kdir/bzImage" "$initrd" "$job" "$run/clean"
		vrc=$?
		echo "vm: $kv clean boot: run-vm exit $vrc, $(( $(date +%s) - t0 )) s wall"
		if [ $vrc -eq 0 ]; then ok "$kv clean boot"; else bad "$kv clean boot (run-vm exit $vrc, $run/clean)"; fi
		if [ -f "$run/clean/events.txt" ]; then
			n=$(grep -c -E '^(kvm_tdp_mmu_root_(alloc|get|put|invalidate|zap_start|zap_end|free)|kvm_mmu_zap_all_fast_done|kvm_tdp_mmu_teardown)$' "$run/clean/events.txt")
			if [ $stock -eq 1 ]; then
				echo "vm: stock kernel: $n of the 9 new events present (expected 0)"
			elif [ "$n" -eq 9 ]; then ok "$kv: all 9 events under events/kvmmmu"
			else bad "$kv: only $n of 9 events under events/kvmmmu"; fi
		fi
		printf '%s\n' "$CLEAN_WORKLOADS" | while IFS='|' read -r name ev cmd; do
			[ -n "$name" ] || continue
			echo "$name|$(cat "$run/clean/$name.rc" 2>/dev/null || echo none)"
		done > "$run/clean-rcs.txt"
		while IFS='|' read -r name wrc; do
			grep -q "^rec $name " "$job/job.sh" || continue
			if [ "$wrc" = 0 ]; then ok "$kv $name ran"; else bad "$kv $name workload rc=$wrc ($run/clean/$name.out)"; fi
			if [ -s "$run/clean/$name.dat" ] && [ $stock -eq 0 ]; then
				check_verdict "$run/clean/$name.dat" "$kv-$name.dat"
			fi
		done < "$run/clean-rcs.txt"
		if [ -f "$run/clean/live.rc" ] && [ $stock -eq 0 ]; then
			lrc=$(cat "$run/clean/live.rc")
			analyze "$run/clean/live-offline.dat"
			if [ "$lrc" = "$a_rc" ]; then ok "$kv live verdict $lrc matches offline $a_rc"
			else bad "$kv live verdict $lrc differs from offline $a_rc ($run/clean/live.txt)"; fi
		fi
	fi

	if [ "$only" != clean ] && [ $stock -eq 0 ]; then
		printf '%s\n' "$INJECTS" | grep -v '^$' > "$run/injects.txt"
		while IFS='|' read -r name n ev cmd; do
			[ -n "$only_inject" ] && [ "$only_inject" != "$name" ] && continue
			job=$run/inject-$name.job
			mkdir -p "$job"
			{
				guest_lib
				echo "echo inject=\$(cat /sys/module/kvm/parameters/rootcheck_inject)"
				echo "rec inject-$name $ev '$cmd'"
				echo "cat /sys/module/kvm/parameters/rootcheck_inject_hits > /out/inject-hits.txt 2>/dev/null"
			} > "$job/job.sh"
			t0=$(date +%s)
			run_vm -t "$QEMU_TIMEOUT" -a "kvm.rootcheck_inject=$n $kappend" \
				"$kdir/bzImage" "$initrd" "$job" "$run/inject-$name"
			vrc=$?
			echo "vm: $kv inject $name: run-vm exit $vrc, $(( $(date +%s) - t0 )) s wall"
			# the workload may fail and the kernel may WARN: that is the bug
			if [ $vrc -ne 0 ] && [ $vrc -ne 1 ] && [ $vrc -ne 5 ]; then
				bad "$kv inject $name boot (run-vm exit $vrc)"
				continue
			fi
			if [ -s "$run/inject-$name/inject-$name.dat" ]; then
				check_verdict "$run/inject-$name/inject-$name.dat" "$kv-inject-$name.dat"
			else
				bad "$kv inject $name: no trace"
			fi
		done < "$run/injects.txt"
	fi

	if [ $record -eq 1 ]; then
		tests/vm/collect-data.sh "$kv" "$run" || bad "$kv: collect-data"
	fi
done
echo "vm: wall time $(( $(date +%s) - t_start )) s"
echo "vm: $pass passed, $fail failed"
[ $fail -eq 0 ]
