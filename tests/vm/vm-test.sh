#!/bin/bash
# End-to-end test on a real kernel under QEMU (issues 5 and 13).
#
# For each kernel configuration: build the patched kernel (+ test-only
# inject patches, off unless kvm.rootcheck_inject=N), the static selftests
# and workloads, the initramfs; then boot it (QEMU, software CPU with
# nested SVM) once per phase step:
#   clean        the selftests and rootstress, each recorded with
#                `trace-cmd record -C global` to its own trace.dat, the event
#                format files, `kvm-rootcheck live -- rootstress`
#   inject       one boot per injected bug (kvm.rootcheck_inject=N), rootstress
#   qemu         QEMU guests inside the guest (nested L2, tests/vm/guest-qemu.sh):
#                a plain boot, q35 with SMM, two QEMUs at once, a monitor
#                session (DIMM hot-add, migration to a pipe, system_reset),
#                `kvm-rootcheck live -- qemu-system-x86_64 ...`
#   qemu-inject  one boot per injected bug that QEMU reaches (2-5), L2 boot
#   mod          (configuration KVER-mod: KVM built as modules) live before
#                the module is loaded, insmod, events, module call sites in
#                text, JSON and live reports, a QEMU guest
# and check the analyzer's verdicts against tests/vm/expect.tsv (committed
# traces) and tests/vm/expect-vm.tsv (judged here, not committed). An
# injected bug that did not fire (kernel hit counter 0) fails its case.
#
# Usage: tests/vm/vm-test.sh [--kver 6.12|6.1|6.12-mod|6.1-mod|all] [--stock]
#                            [--record] [--only PHASE[,PHASE]] [--inject NAME]
#                            [--out DIR] [--ci]
#   all       6.12, 6.1 and 6.12-mod (the default)
#   --ci      what CI runs (make vm-test-ci, .ci/run): 6.12 clean, inject
#             and qemu, 6.1 clean and inject; two kernel builds, not three
#   --only    phases: clean, inject, qemu, qemu-inject (KVER-mod: mod)
#   --inject  one injected bug by name (inject or qemu-inject phase)
#   --stock   stock Debian kernel, no series (pipeline bring-up)
#   --record  copy traces and formats into tests/data (what regen-data.sh does)
# Results are appended to OUT/results.tsv as each case is judged.
# Environment: VM_TRIES (boots per step when the emulator flakes, default
# 3), QEMU_TIMEOUT (seconds per boot, default 600; QEMU_TIMEOUT_INJECT
# for the rootstress boots with an injected bug, default 240;
# QEMU_TIMEOUT_L2 for the boots that run QEMU guests, default 1200; the
# guest's watchdog ends the job 60 s before, run-vm.sh), ROOT_ONLY=1,
# VM_PREBUILT=DIR (boot DIR/bzImage with DIR/initrd, build nothing; e.g. a
# distribution kernel with the patched kvm modules), VM_APPEND (more
# kernel command line), RUN_VM (another run-vm.sh; the harness test).
# The emulator's nested-virtualization flake (run-vm.sh exit 6) is an
# infrastructure failure: the boot is retried (VM_TRIES, default 3 tries)
# and, when every try flaked, its cases are neither passed nor failed.
# A timeout (run-vm.sh exit 3: the guest's watchdog ended the job, or QEMU
# was killed) is retried the same way, said (TIMEOUT lines, with where the
# job's tasks waited) and counted; a boot that times out on every try
# fails: a hang on every boot is the kernel's, not the emulator's.
# Prints "vm: infrastructure: ..." and then "vm: N passed, N failed".
# Exit 0 all passed, 1 a check failed, 2 usage or build error,
# 3 nothing failed but some boots were not judged (infrastructure).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
kvers="6.12 6.1 6.12-mod"
stock=0 record=0 only="" only_inject="" ci=0
outbase=$top/build/vm/runs
while [ $# -gt 0 ]; do
	case $1 in
	--kver) shift; case ${1:-} in all) kvers="6.12 6.1 6.12-mod" ;; 6.12|6.1|6.12-mod|6.1-mod) kvers=$1 ;; *) echo "vm-test: bad --kver" >&2; exit 2 ;; esac ;;
	--stock) stock=1 ;;
	--record) record=1 ;;
	--only) shift; only=${1:-} ;;
	--inject) shift; only_inject=${1:-} ;;
	--out) shift; outbase=$1 ;;
	--ci) ci=1 kvers="6.12 6.1" ;;
	*) echo "usage: $0 [--kver 6.12|6.1|6.12-mod|6.1-mod|all] [--stock] [--record] [--only PHASE[,PHASE]] [--inject NAME] [--out DIR] [--ci]" >&2; exit 2 ;;
	esac
	shift
done
for p in ${only//,/ }; do
	case $p in clean|inject|qemu|qemu-inject|mod) ;; *) echo "vm-test: bad phase '$p'" >&2; exit 2 ;; esac
done
ANALYZER=${ANALYZER:-$top/build/kvm-rootcheck}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
QEMU_TIMEOUT_INJECT=${QEMU_TIMEOUT_INJECT:-240}
QEMU_TIMEOUT_L2=${QEMU_TIMEOUT_L2:-1200}	# boots that run nested QEMU guests
VM_TRIES=${VM_TRIES:-3}
RUN_VM=${RUN_VM:-$top/tests/vm/run-vm.sh}	# a stub in tests/vm/test-harness.sh

mkdir -p "$outbase"
results=$outbase/results.tsv
: > "$results"
pass=0 fail=0 infra_retries=0 infra_unjudged=0 infra_list="" timeouts=0
save() { printf '%s\t%s\t%s\n' "$(date -u +%H:%M:%S)" "$1" "$2" >> "$results"; }
ok() { pass=$((pass + 1)); echo "vm: PASS $*"; save PASS "$*"; }
bad() { fail=$((fail + 1)); echo "vm: FAIL $*"; save FAIL "$*"; }
infra() { echo "vm: INFRA $*"; save INFRA "$*"; }

# phase P selected for configuration KV?
want() {
	local p=$1 kv=$2
	case $kv in
	*-mod) [ "$p" = mod ] || return 1 ;;
	*) [ "$p" != mod ] || return 1 ;;
	esac
	if [ $ci -eq 1 ]; then
		case $kv:$p in 6.12:clean|6.12:inject|6.12:qemu|6.1:clean|6.1:inject) ;; *) return 1 ;; esac
	fi
	[ -z "$only" ] && return 0
	case ",$only," in *",$p,"*) return 0 ;; esac
	return 1
}

# Workloads of the clean boot: name|events|command line (small parameters:
# software CPU emulation is slow). events "all" records `-e kvmmmu` (every
# kvmmmu event, as a user would); "root" records only the root-lifecycle
# events and kvm_mmu_zap_all_fast: dirty_log_test with all kvmmmu events
# writes >20 MB and loses events even with big buffers, and the injected
# runs only need the root events (keeps tests/data small). On 6.1 every
# workload records only the root events, for the same reason (ROOT_ONLY=1
# does that for 6.12 too).
# memslot_modification_stress_test gets -d 10000 (10 ms between memslot
# changes): without it the changes can all be done before an emulated vCPU
# thread first enters the guest, and the trace then holds no root at all
# (seen on 6.1: 12 fast zaps, no root event: inconclusive, rightly)
CLEAN_WORKLOADS="
rootstress|all|rootstress -s 1 -r 40 -m 3 -c 2
set_memory_region_test|root|/opt/selftests/set_memory_region_test
memslot_modification_stress_test|all|/opt/selftests/memslot_modification_stress_test -v 2 -b 16M -i 10 -d 10000
kvm_page_table_test|all|/opt/selftests/kvm_page_table_test -v 2 -b 16M
dirty_log_test|root|/opt/selftests/dirty_log_test -i 3 -I 10
smm_test|all|/opt/selftests/smm_test
hardware_disable_test|root|/opt/selftests/hardware_disable_test
"
# Clean workloads that --ci leaves out: hardware_disable_test forks 512
# VMs, about 5 minutes of the clean boot under emulation (make vm-test
# runs it; the clean boot then gets QEMU_TIMEOUT_L2)
CI_SKIP_WORKLOADS="hardware_disable_test"
# Injected bugs: name|kvm.rootcheck_inject value|events|workload
INJECTS="
double-put|1|root|rootstress -s 2 -r 30 -m 2 -c 2
gift-leak|2|root|rootstress -s 3 -r 30 -m 2 -c 2
fastzap-skip|3|root|rootstress -s 4 -r 30 -m 2 -c 2
gift-early-put|4|root|rootstress -s 5 -r 30 -m 2 -c 2
v3-invalidate|5|root|rootstress -s 6 -r 30 -m 2 -c 2
iter-leak|6|root|rootstress -s 8 -r 30 -m 2 -c 2 -S -U
untraced-get|7|root|rootstress -s 9 -r 30 -m 2 -c 2
zap-valid|8|root|rootstress -s 2 -r 30 -m 2 -c 2
"
# Injected bugs a kernel lacks: bug 8 (a shared zap of a valid root) is in
# the 6.12 inject patch only: 6.1's shared zap retries forever on an SPTE
# that a concurrent fault froze (only a root in use has those), so the
# guest hangs (seen: QEMU timeout after the bug fired)
INJECT_NOT_ON="zap-valid:6.1"
LIVE_CMD="rootstress -s 7 -r 40 -m 2 -c 2"
# runs of live on memslot_perf_test's move test (a fast zap per move)
LIVE_MOVE_RUNS=${LIVE_MOVE_RUNS:-3}

# QEMU scenarios (tests/vm/guest-qemu.sh runs them in the guest, L2 = the
# test kernel with a busybox initramfs): name|l2-qemu command. Root
# events only: a QEMU trace is then ~0.3 MB, most of it kallsyms.
QEMU_SCENARIOS="
qemu-boot|l2-qemu boot qemu-boot -M pc
qemu-smm|l2-qemu boot qemu-smm -M q35,smm=on
qemu-two|l2-qemu two qemu-two -M pc
qemu-monitor|l2-qemu monitor qemu-monitor
"
# the live run: the analyzer starts QEMU itself
QEMU_LIVE='kvm-rootcheck live -- qemu-system-x86_64 $(l2-qemu args qemu-live -M pc) -append "console=ttyS0 panic=-1 no_timer_check quiet"'
# L1 boots of the qemu phase, each "label:scenario scenario ...", "live" =
# QEMU_LIVE. Few scenarios per boot: a flaky boot is retried whole.
QEMU_BOOTS="
qemu-a:qemu-boot qemu-smm live
qemu-b:qemu-two qemu-monitor
"
# Injected bugs under QEMU: name|N|l2-qemu command. Bug 1 (double put in
# kvm_tdp_mmu_wrprot_slot) is not here: QEMU 7.2 never calls that
# function (it enables dirty logging with KVM_DIRTY_LOG_INITIALLY_SET and
# clears the log per range), so the bug cannot fire; rootstress covers it.
QEMU_INJECTS="
qemu-inject-gift-leak|2|l2-qemu boot qemu-inject-gift-leak -M pc
qemu-inject-fastzap-skip|3|l2-qemu boot qemu-inject-fastzap-skip -M pc
qemu-inject-gift-early-put|4|l2-qemu boot qemu-inject-gift-early-put -M pc
qemu-inject-v3-invalidate|5|l2-qemu boot qemu-inject-v3-invalidate -M pc
"

# The events the analyzer reads (its event table, --list-events): what a
# "root" recording enables and what every kernel must offer.
# No list of our own: a copy here would go stale when an event is added.
EVENTS=$("$ANALYZER" --list-events | sed 's/^kvmmmu://')
[ -n "$EVENTS" ] || { echo "vm-test: $ANALYZER --list-events listed no event (build it: make analyzer)" >&2; exit 2; }
EVENTS=$(echo $EVENTS)

# events.txt (ls events/kvmmmu of the guest): sets n to the number of
# EVENTS in it and n_events to the number expected of kernel KV (ABI v2
# has the handoff event on 6.12 only)
count_events() {	# EVENTS_TXT KV
	local e
	n=0 n_events=0
	for e in $EVENTS; do
		case $e:${2%-mod} in kvm_tdp_mmu_root_handoff:6.12) ;; kvm_tdp_mmu_root_handoff:*) continue ;; esac
		n_events=$((n_events + 1))
		grep -qx "$e" "$1" 2>/dev/null && n=$((n + 1))
	done
}

# guest-side helper: record one workload into /out/$name.dat
guest_lib() {
	echo "ROOT_EVENT_NAMES=\"$EVENTS\""
	cat <<'EOF'
rec() {
	name=$1; ev=$2; shift 2
	# those the kernel has, looked up now: with KVM built as modules the
	# events appear only once kvm.ko is loaded (ABI v2: the handoff event
	# exists on 6.12 only)
	ROOT_EVENTS=
	for e in $ROOT_EVENT_NAMES; do
		[ -d /sys/kernel/tracing/events/kvmmmu/$e ] && ROOT_EVENTS="$ROOT_EVENTS -e kvmmmu:$e"
	done
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
hits() {	# FILE: the injected bug's hit counter (kvm.rootcheck_inject_hits)
	cat /sys/module/kvm/parameters/rootcheck_inject_hits > /out/$1 2>/dev/null || echo none > /out/$1
	echo "== inject=$(cat /sys/module/kvm/parameters/rootcheck_inject 2>/dev/null) hits=$(cat /out/$1)"
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

expect_all=$outbase/expect-all.tsv
cat tests/vm/expect.tsv tests/vm/expect-vm.tsv > "$expect_all" 2>/dev/null

check_verdict() {	# FILE TRACE_BASENAME [DMESG: the kernel's culprit line]
	local f=$1 b=$2 line
	if [ ! -x "$ANALYZER" ]; then
		echo "vm: SKIP verdict of $b: no analyzer at $ANALYZER (make analyzer)"
		return
	fi
	analyze "$f"
	line=$(tests/vm/verdict.py "$expect_all" "$b" "$a_rc" "$f.analyzer.json" ${3:+"$3"})
	case $line in
	PASS*) ok "${line#PASS }" ;;
	*) bad "${line#FAIL } ($f.analyzer.json)" ;;
	esac
}

# an injected bug's case counts only when the kernel says it fired
check_hits() {	# HITS_FILE LABEL N
	local h
	h=$(cat "$1" 2>/dev/null || echo none)
	if [ "$h" = 1 ]; then ok "$2: injected bug $3 fired (rootcheck_inject_hits=1)"; return 0; fi
	bad "$2: injected bug $3 did not fire (rootcheck_inject_hits=$h): the workload does not reach it, no verdict"
	return 1
}

# an injected run (boot status in brc): LABEL OUTDIR NAME TRACE_BASENAME N
judge_inject() {
	# the workload may fail and the kernel may WARN: that is the bug
	if [ $brc -ne 0 ] && [ $brc -ne 1 ] && [ $brc -ne 5 ]; then
		bad "$1 boot (run-vm exit $brc, $2/why.txt)"
		return
	fi
	check_hits "$2/inject-hits.txt" "$1" "$5" || return
	if [ -s "$2/$3.dat" ]; then
		check_verdict "$2/$3.dat" "$4" "$2/dmesg.txt"
	else
		bad "$1: no trace"
	fi
}

build_all() {	# KV -> sets kdir initrd initrd_qemu
	local kv=$1 base=${1%-mod} args=() imods=()
	# VM_PREBUILT=DIR: boot DIR/bzImage with DIR/initrd instead of building
	# (tests/vm/test-harness.sh; a kernel built elsewhere, VM_APPEND adds
	# to its command line)
	if [ -n "${VM_PREBUILT:-}" ]; then
		kdir=$VM_PREBUILT initrd=$VM_PREBUILT/initrd initrd_qemu=$VM_PREBUILT/initrd
		return 0
	fi
	[ $stock -eq 1 ] && args+=(--stock)
	case $kv in *-mod) args+=(--modules) ;; esac
	kdir=$(tests/vm/build-kernel.sh "$base" "${args[@]}" | tail -n 1) || return 1
	[ -n "$kdir" ] && [ -s "$kdir/bzImage" ] || return 1
	make -s -C tests/workloads >/dev/null || return 1
	initrd=$top/build/vm/initramfs-$kv.cpio.gz
	initrd_qemu=$top/build/vm/initramfs-$kv-qemu.cpio.gz
	case $kv in *-mod) imods=(--modules "$kdir/modules") ;; esac
	if want clean "$kv" || want inject "$kv"; then
		tests/vm/build-selftests.sh "$base" >/dev/null || return 1
		ANALYZER=$ANALYZER tests/vm/build-initramfs.sh "$base" "$initrd" || return 1
	fi
	if want qemu "$kv" || want qemu-inject "$kv" || want mod "$kv"; then
		ANALYZER=$ANALYZER tests/vm/build-initramfs.sh "$base" "$initrd_qemu" \
			--qemu "$kdir/bzImage" "${imods[@]}" || return 1
	fi
}

# one line on where a timed-out boot was (OUTDIR): the first threads the
# guest's watchdog found, but for init, the shells and trace-cmd (the
# workload's), else why.txt's or the console's last line
timeout_where() {
	local w
	w=$(awk '$1 == "task" && $4 !~ /^(init|sh|tee|trace-cmd)$/' "$1/hang.txt" 2>/dev/null |
		cut -d' ' -f2- | head -n 3 | tr '\n' ';')
	[ -n "$w" ] || w=$(grep -m1 'TIMEOUT' "$1/why.txt" 2>/dev/null)
	[ -n "$w" ] || w="console: $(tail -n 1 "$1/serial.log" 2>/dev/null)"
	printf '%s\n' "${w:0:400}"
}

# boot LABEL INITRD JOBDIR OUTDIR APPEND [TIMEOUT]: run-vm.sh, again when the boot
# was bad (exit 4: TSC not usable or no results), timed out (exit 3; kept
# as OUTDIR.timeout-N) or hit the emulator's nested-virtualization flake
# (exit 6), up to VM_TRIES boots. Sets brc.
# Returns 1 when every try flaked: the boot's cases are not judged.
boot() {
	local label=$1 rd=$2 job=$3 out=$4 app=$5 tmo=${6:-$QEMU_TIMEOUT} try t0
	for try in $(seq 1 "$VM_TRIES"); do
		t0=$(date +%s)
		"$RUN_VM" -t "$tmo" -a "$app" "$kdir/bzImage" "$rd" "$job" "$out"
		brc=$?
		echo "vm: $label: run-vm exit $brc, $(( $(date +%s) - t0 )) s wall (try $try of $VM_TRIES)"
		case $brc in
		4) echo "vm: bad boot (try $try of $VM_TRIES): $(grep -m1 -E 'Marking TSC unstable' "$out/serial.log" || echo 'no clocksource tsc or no results')" ;;
		3)
			[ "$try" -lt "$VM_TRIES" ] || return 0
			timeouts=$((timeouts + 1))
			infra "$label: TIMEOUT (try $try of $VM_TRIES): $(timeout_where "$out")"
			rm -rf "$out.timeout-$try"
			mv "$out" "$out.timeout-$try" ;;
		6)
			infra_retries=$((infra_retries + 1))
			infra "$label: emulator nested-virtualization flake (try $try of $VM_TRIES): $(cat "$out/flake.txt" 2>/dev/null | head -n 1)"
			rm -rf "$out.flake-$try"
			mv "$out" "$out.flake-$try" ;;
		*) return 0 ;;
		esac
	done
	if [ "$brc" = 6 ]; then
		infra_unjudged=$((infra_unjudged + 1))
		infra_list="$infra_list $label"
		infra "$label: every one of $VM_TRIES boots hit the emulator flake; its cases are not judged (not passed, not failed)"
		return 1
	fi
	return 0
}

# the L2 console must never reach the L1 serial log
# (l2-qemu's own lines, "l2-qemu: ...", which the job copies there, may
# quote it)
check_l2_console() {	# OUTDIR LABEL
	if grep "L2-GUEST" "$1/serial.log" 2>/dev/null | grep -qv "l2-qemu: "; then
		bad "$2: the L2 console leaked into the L1 serial log ($1/serial.log)"
	elif ls "$1"/*.l2.console >/dev/null 2>&1; then
		ok "$2: L2 console kept in its own files ($(cd "$1" && ls *.l2.console | wc -l)), not in the L1 serial log"
	fi
}

# an L2 that l2-qemu (tests/vm/guest-qemu.sh) had to reset or boot a
# second time (silent under the software CPU): infrastructure, said and
# counted; the scenario is still judged
l2_again() {	# LABEL OUTFILE
	local l
	while IFS= read -r l; do
		infra_retries=$((infra_retries + 1))
		infra "$1: $l (tests/vm/guest-qemu.sh)"
	done < <(grep -o 'L2 \(RESET\|BOOT\) AGAIN.*' "$2" 2>/dev/null)
}

scenario_cmd() {	# NAME -> the l2-qemu command of a QEMU scenario
	printf '%s\n' "$QEMU_SCENARIOS" | awk -F'|' -v n="$1" '$1 == n {print $2}'
}

phase_clean() {
	local kv=$1 run=$2 kappend=$3 job vrc lrc n name ev cmd wrc
	rm -rf "$run/clean" "$run/clean.job" "$run"/clean.flake-*
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
			[ $ci -eq 1 ] && case " $CI_SKIP_WORKLOADS " in *" $name "*) continue ;; esac
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
			# the daily workflow: kvm-rootcheck runs trace-cmd record itself
			echo "echo '== record: kvm-rootcheck record -o /out/record.dat -b 8192 -- $LIVE_CMD'"
			echo "kvm-rootcheck record -o /out/record.dat -b 8192 -- $LIVE_CMD > /out/record.txt 2>&1; echo \$? > /out/record.rc"
			echo "tail -n 5 /out/record.txt; echo record rc=\$(cat /out/record.rc)"
			# live on fast zaps racing vCPU puts (memslot_perf_test's move
			# test: a vCPU put stamped after the fast zap's end was a
			# false REF-COUNT-MISMATCH in 8 of 10 runs before 6d9602e)
			echo "for i in \$(seq 1 $LIVE_MOVE_RUNS); do [ -x /opt/selftests/memslot_perf_test ] || break"
			echo "  kvm-rootcheck live -- /opt/selftests/memslot_perf_test -f 4 -e 4 -l 2 -s 32 > /out/live-move\$i.txt 2>&1; echo \$? > /out/live-move\$i.rc"
			echo "  grep -E '^(events|verdict):' /out/live-move\$i.txt; echo live-move \$i rc=\$(cat /out/live-move\$i.rc)"
			echo "done"
			# live's exit paths on the real tracefs: Ctrl-C, and SIGKILL
			# (its instance stays) followed by a run that removes it
			cat <<'LIVEPATHS'
echo '== live exit paths'
# wait (up to 60 s) until live has made its instance: a slow emulated guest
# may take longer than a fixed nap, and a signal before it tests nothing
inst_wait() {
	for i in $(seq 1 60); do
		ls /sys/kernel/tracing/instances | grep -q '^kvm-rootcheck-' && break
		sleep 1
	done
	sleep 1
}
kvm-rootcheck live -- sleep 120 > /out/live-int.txt 2>&1 & p=$!
inst_wait; kill -INT $p; wait $p; echo $? > /out/live-int.rc
ls /sys/kernel/tracing/instances > /out/instances-int.txt
kvm-rootcheck live -- sleep 120 > /out/live-kill.txt 2>&1 & p=$!
inst_wait; kill -KILL $p; wait $p
ls /sys/kernel/tracing/instances > /out/instances-kill.txt
kvm-rootcheck live -- true > /out/live-stale.txt 2>&1; echo $? > /out/live-stale.rc
ls /sys/kernel/tracing/instances > /out/instances-end.txt
head -n 3 /out/live-int.txt /out/live-stale.txt /out/instances-*.txt
LIVEPATHS
		fi
	} > "$job/job.sh"
	boot "$kv clean boot" "$initrd" "$job" "$run/clean" "$kappend" \
		"$([ $ci -eq 1 ] && echo "$QEMU_TIMEOUT" || echo "$QEMU_TIMEOUT_L2")" || return
	vrc=$brc
	if [ $vrc -eq 0 ]; then ok "$kv clean boot"; else bad "$kv clean boot (run-vm exit $vrc, $run/clean/why.txt)"; fi
	if [ -f "$run/clean/events.txt" ]; then
		count_events "$run/clean/events.txt" "$kv"
		if [ $stock -eq 1 ]; then
			echo "vm: stock kernel: $n of the $n_events events the analyzer reads present"
		elif [ "$n" -eq "$n_events" ]; then ok "$kv: all $n_events events under events/kvmmmu"
		else bad "$kv: only $n of $n_events events under events/kvmmmu"; fi
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
	# live on memslot_perf_test's move test: a clean workload, so PASS (or
	# inconclusive for events it says were lost), never a violation
	for f in "$run"/clean/live-move*.rc; do
		[ -f "$f" ] && [ $stock -eq 0 ] || continue
		lrc=$(cat "$f") n=${f%.rc}
		if [ "$lrc" = 0 ] && grep -q '^verdict: PASS' "$n.txt"; then
			ok "$kv live memslot_perf_test move ${n##*live-move}: PASS"
		elif [ "$lrc" = 3 ] && grep -Eq '^events: .*, ([1-9][0-9]* lost|0 lost \(count unknown\))' "$n.txt"; then
			ok "$kv live memslot_perf_test move ${n##*live-move}: events lost, inconclusive"
		else
			bad "$kv live memslot_perf_test move ${n##*live-move}: exit $lrc ($n.txt)"
		fi
	done
	# live on the real tracefs leaves no instance: after Ctrl-C at once; after
	# SIGKILL its instance stays until the next run, which removes it
	if [ -f "$run/clean/instances-end.txt" ] && [ $stock -eq 0 ]; then
		if [ ! -s "$run/clean/instances-int.txt" ] && [ -s "$run/clean/live-int.rc" ]; then
			ok "$kv live: Ctrl-C (exit $(cat "$run/clean/live-int.rc")) left no tracefs instance"
		else
			bad "$kv live: after Ctrl-C: instances '$(cat "$run/clean/instances-int.txt" 2>/dev/null)' ($run/clean/live-int.txt)"
		fi
		if grep -q '^kvm-rootcheck-' "$run/clean/instances-kill.txt" &&
		   grep -q 'removed stale tracefs instance' "$run/clean/live-stale.txt" &&
		   [ ! -s "$run/clean/instances-end.txt" ]; then
			ok "$kv live: the instance of a SIGKILLed run is removed by the next run, with a note"
		else
			bad "$kv live: stale instance after SIGKILL: '$(cat "$run/clean/instances-kill.txt")', then '$(cat "$run/clean/instances-end.txt")' ($run/clean/live-stale.txt)"
		fi
	fi
	# `kvm-rootcheck record`: the trace it kept, analyzed here, must give
	# the verdict it printed in the guest, and a clean workload is a PASS
	if [ -f "$run/clean/record.rc" ] && [ $stock -eq 0 ]; then
		lrc=$(cat "$run/clean/record.rc")
		if [ ! -s "$run/clean/record.dat" ]; then
			bad "$kv record: no trace kept (rc $lrc, $run/clean/record.txt)"
		else
			analyze "$run/clean/record.dat"
			if [ "$lrc" = "$a_rc" ] && [ "$lrc" = 0 ]; then
				ok "$kv record: verdict $lrc in the guest, $a_rc on the kept trace"
			else
				bad "$kv record: verdict $lrc in the guest, $a_rc on the kept trace, 0 expected ($run/clean/record.txt)"
			fi
		fi
	fi
}

phase_inject() {
	local kv=$1 run=$2 kappend=$3 job name n ev cmd o
	printf '%s\n' "$INJECTS" | grep -v '^$' > "$run/injects.txt"
	while IFS='|' read -r name n ev cmd; do
		[ -n "$only_inject" ] && [ "$only_inject" != "$name" ] && continue
		case " $INJECT_NOT_ON " in *" $name:${kv%-mod} "*) continue ;; esac
		job=$run/inject-$name.job o=$run/inject-$name
		rm -rf "$job" "$o" "$o".flake-*
		mkdir -p "$job"
		{
			guest_lib
			echo "rec inject-$name $ev '$cmd'"
			echo "hits inject-hits.txt"
		} > "$job/job.sh"
		boot "$kv inject $name" "$initrd" "$job" "$o" "kvm.rootcheck_inject=$n $kappend" "$QEMU_TIMEOUT_INJECT" || continue
		judge_inject "$kv inject $name" "$o" "inject-$name" "$kv-inject-$name.dat" "$n"
	done < "$run/injects.txt"
}

phase_qemu() {
	local kv=$1 run=$2 kappend=$3 label names job o s wrc lrc
	printf '%s\n' "$QEMU_BOOTS" | grep -v '^$' > "$run/qemu-boots.txt"
	while IFS=: read -r label names; do
		job=$run/$label.job o=$run/$label
		rm -rf "$job" "$o" "$o".flake-*
		mkdir -p "$job"
		{
			guest_lib
			for s in $names; do
				if [ "$s" = live ]; then
					[ -x "$ANALYZER" ] || continue
					echo "echo '== live: $QEMU_LIVE'"
					echo "$QEMU_LIVE > /out/qemu-live.txt 2>&1; echo \$? > /out/qemu-live.rc"
					echo "cat /out/qemu-live.txt; echo live rc=\$(cat /out/qemu-live.rc)"
				else
					echo "rec $s root '$(scenario_cmd "$s")'"
				fi
			done
		} > "$job/job.sh"
		boot "$kv $label" "$initrd_qemu" "$job" "$o" "$kappend" "$QEMU_TIMEOUT_L2" || continue
		if [ $brc -eq 0 ]; then ok "$kv $label boot ($names)"; else bad "$kv $label boot (run-vm exit $brc, $o/why.txt)"; fi
		check_l2_console "$o" "$kv $label"
		for s in $names; do
			if [ "$s" = live ]; then
				[ -x "$ANALYZER" ] || continue
				lrc=$(cat "$o/qemu-live.rc" 2>/dev/null || echo none)
				if [ "$lrc" = 0 ] && grep -q "L2-GUEST: done" "$o/qemu-live.l2.console" 2>/dev/null; then
					ok "$kv qemu live: kvm-rootcheck live -- qemu-system-x86_64 exit 0 (clean), L2 booted"
				else
					bad "$kv qemu live: exit $lrc, L2 $(grep -c 'L2-GUEST: done' "$o/qemu-live.l2.console" 2>/dev/null) boots ($o/qemu-live.txt)"
				fi
				continue
			fi
			wrc=$(cat "$o/$s.rc" 2>/dev/null || echo none)
			l2_again "$kv $s" "$o/$s.out"
			if [ "$wrc" = 0 ]; then ok "$kv $s ran"; else bad "$kv $s workload rc=$wrc ($o/$s.out)"; fi
			if [ -s "$o/$s.dat" ] && [ $stock -eq 0 ]; then
				check_verdict "$o/$s.dat" "$kv-$s.dat"
			elif [ $stock -eq 0 ]; then
				bad "$kv $s: no trace"
			fi
		done
	done < "$run/qemu-boots.txt"
}

phase_qemu_inject() {
	local kv=$1 run=$2 kappend=$3 name n cmd job o
	printf '%s\n' "$QEMU_INJECTS" | grep -v '^$' > "$run/qemu-injects.txt"
	while IFS='|' read -r name n cmd; do
		[ -n "$only_inject" ] && [ "$only_inject" != "$name" ] && [ "$only_inject" != "${name#qemu-inject-}" ] && continue
		job=$run/$name.job o=$run/$name
		rm -rf "$job" "$o" "$o".flake-*
		mkdir -p "$job"
		{
			guest_lib
			echo "rec $name root '$cmd'"
			echo "hits inject-hits.txt"
		} > "$job/job.sh"
		boot "$kv $name" "$initrd_qemu" "$job" "$o" "kvm.rootcheck_inject=$n $kappend" "$QEMU_TIMEOUT_L2" || continue
		[ $brc -ne 0 ] && [ $brc -ne 1 ] && [ $brc -ne 5 ] || check_l2_console "$o" "$kv $name"
		l2_again "$kv $name" "$o/$name.out"
		judge_inject "$kv $name" "$o" "$name" "$kv-$name.dat" "$n"
	done < "$run/qemu-injects.txt"
}

# KVM as modules: live before the load, insmod, events after it, module
# call sites in the text, JSON and live reports, a QEMU guest on it.
MOD_BUG_N=4
MOD_BUG_SITE=kvm_tdp_mmu_zap_invalidated_roots
MOD_BUG_CMD="rootstress -s 5 -r 30 -m 2 -c 2"
phase_mod() {
	local kv=$1 run=$2 kappend=$3 job o lrc f
	job=$run/mod.job o=$run/mod
	rm -rf "$job" "$o" "$o".flake-*
	mkdir -p "$job"
	{
		guest_lib
		cat <<EOF
load() {	# kvm.ko needs irqbypass.ko (also a module when KVM is)
	if [ -f /lib/modules/irqbypass.ko ] && ! grep -q '^irqbypass ' /proc/modules; then
		insmod /lib/modules/irqbypass.ko || return 1
	fi
	insmod /lib/modules/kvm.ko "\$@" && insmod /lib/modules/kvm-amd.ko
}
unload() { rmmod kvm_amd && rmmod kvm; }
echo "== before the load: kvmmmu in tracefs: \$(ls /sys/kernel/tracing/events | grep -c '^kvmmmu\$'), /sys/module/kvm: \$(ls -d /sys/module/kvm 2>/dev/null)"
kvm-rootcheck live -- true > /out/live-before.txt 2>&1; echo \$? > /out/live-before.rc
cat /out/live-before.txt
load rootcheck_inject=$MOD_BUG_N; echo \$? > /out/insmod.rc
grep -E '^kvm' /proc/modules
formats
rec mod-inject-gift-early-put root '$MOD_BUG_CMD'
hits mod-inject-hits.txt
unload && load rootcheck_inject=$MOD_BUG_N; echo \$? > /out/reload.rc
kvm-rootcheck live -- $MOD_BUG_CMD > /out/mod-live.txt 2>&1; echo \$? > /out/mod-live.rc
hits mod-live-hits.txt
unload && load; echo \$? > /out/reload2.rc
rec mod-qemu-boot root '$(scenario_cmd qemu-boot | sed 's/qemu-boot/mod-qemu-boot/')'
EOF
	} > "$job/job.sh"
	boot "$kv mod" "$initrd_qemu" "$job" "$o" "$kappend" "$QEMU_TIMEOUT_L2" || return
	# the injected bug WARNs nowhere (bug 4 is silent); any exit but a
	# timeout leaves results to judge
	if [ $brc -eq 0 ]; then ok "$kv mod boot"; else bad "$kv mod boot (run-vm exit $brc, $o/why.txt)"; fi
	lrc=$(cat "$o/live-before.rc" 2>/dev/null || echo none)
	if [ "$lrc" = 2 ] && grep -q "kvm module is not loaded" "$o/live-before.txt"; then
		ok "$kv: live before the module is loaded: exit 2, '$(head -n 1 "$o/live-before.txt")'"
	else
		bad "$kv: live before the module is loaded: exit $lrc, '$(head -n 1 "$o/live-before.txt" 2>/dev/null)' (want exit 2, 'kvm module is not loaded')"
	fi
	if [ "$(cat "$o/insmod.rc" 2>/dev/null)" = 0 ] && [ "$(cat "$o/reload.rc" 2>/dev/null)" = 0 ] &&
	   [ "$(cat "$o/reload2.rc" 2>/dev/null)" = 0 ]; then
		ok "$kv: kvm.ko and kvm-amd.ko loaded, unloaded and loaded again"
	else
		bad "$kv: insmod/rmmod failed ($o/job.log)"
	fi
	count_events "$o/events.txt" "$kv"
	if [ "$n" -eq "$n_events" ]; then ok "$kv: all $n_events events under events/kvmmmu after the load"
	else bad "$kv: $n of $n_events events under events/kvmmmu after the load"; fi
	f=$o/mod-inject-gift-early-put.dat
	if check_hits "$o/mod-inject-hits.txt" "$kv mod-inject-gift-early-put" $MOD_BUG_N && [ -s "$f" ]; then
		check_verdict "$f" "$kv-inject-gift-early-put.dat"
		# every call site in the JSON resolves to a symbol (module text)
		if python3 - "$f.analyzer.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
syms = [e.get("caller_sym", "") for v in d.get("violations", []) for e in (v.get("event") or {}, v.get("cause") or {}) if e]
bad = [s for s in syms if not s or s.startswith("0x")]
print("json call sites:", sorted(set(s.split("+")[0] for s in syms)), "unresolved:", bad)
sys.exit(1 if bad or not syms else 0)
PY
		then ok "$kv: JSON call sites resolve to kvm.ko symbols"
		else bad "$kv: JSON call sites not resolved ($f.analyzer.json)"; fi
		"$ANALYZER" "$f" > "$f.analyzer.txt" 2>&1
		if grep -q "$MOD_BUG_SITE+0x" "$f.analyzer.txt" && ! grep -qE 'caller=0x|at 0xffff' "$f.analyzer.txt"; then
			ok "$kv: text report names $MOD_BUG_SITE+0x... (module symbol)"
		else
			bad "$kv: text report lacks $MOD_BUG_SITE+0x... ($f.analyzer.txt)"
		fi
	fi
	lrc=$(cat "$o/mod-live.rc" 2>/dev/null || echo none)
	if check_hits "$o/mod-live-hits.txt" "$kv mod live" $MOD_BUG_N; then
		if [ "$lrc" = 1 ] && grep -q "$MOD_BUG_SITE+0x" "$o/mod-live.txt"; then
			ok "$kv: live report of the injected bug: exit 1, names $MOD_BUG_SITE+0x... (module symbol)"
		else
			bad "$kv: live report: exit $lrc, $MOD_BUG_SITE $(grep -c "$MOD_BUG_SITE+0x" "$o/mod-live.txt") times ($o/mod-live.txt)"
		fi
	fi
	if [ "$(cat "$o/mod-qemu-boot.rc" 2>/dev/null)" = 0 ]; then ok "$kv mod-qemu-boot ran"
	else bad "$kv mod-qemu-boot workload rc=$(cat "$o/mod-qemu-boot.rc" 2>/dev/null) ($o/mod-qemu-boot.out)"; fi
	[ -s "$o/mod-qemu-boot.dat" ] && check_verdict "$o/mod-qemu-boot.dat" "$kv-qemu-boot.dat"
	check_l2_console "$o" "$kv mod"
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
	case $kv in 6.1|6.1-mod) kappend="tsc=reliable" ;; esac
	kappend="$kappend${VM_APPEND:+ $VM_APPEND}"
	mkdir -p "$run"
	for phase in clean inject qemu qemu-inject mod; do
		want "$phase" "$kv" || continue
		[ $stock -eq 1 ] && case $phase in inject|qemu-inject|mod) continue ;; esac
		[ -n "$only_inject" ] && case $phase in clean|qemu|mod) continue ;; esac
		t0=$(date +%s)
		"phase_${phase//-/_}" "$kv" "$run" "$kappend"
		echo "vm: $kv phase $phase: $(( $(date +%s) - t0 )) s"
		save TIME "$kv phase $phase: $(( $(date +%s) - t0 )) s"
	done
	if [ $record -eq 1 ]; then
		tests/vm/collect-data.sh "$kv" "$run" || bad "$kv: collect-data"
	fi
done
echo "vm: wall time $(( $(date +%s) - t_start )) s"
echo "vm: infrastructure: $infra_retries emulator flakes retried, $timeouts timeouts retried, $infra_unjudged boots not judged${infra_list:+ (}${infra_list# }${infra_list:+)}"
# the failures again, last, where a CI log that keeps only its tail shows
# them, each with the end of the file it names
if [ $fail -gt 0 ]; then
	awk -F'\t' '$2 == "FAIL" { print $3 }' "$results" | while IFS= read -r f; do
		echo "vm: failed: $f"
		ref=${f##*(}
		ref=${ref%)}
		ref=${ref##* }
		if [ "$ref" != "$f" ] && [ -f "$ref" ]; then
			case $ref in
			*/why.txt) head -n 8 "$ref" ;;	# run-vm.sh: why first
			*) tail -n 8 "$ref" ;;
			esac | sed 's/^/vm:   | /'
		fi
	done
fi
echo "vm: $pass passed, $fail failed"
save SUMMARY "$pass passed, $fail failed, $infra_retries flakes retried, $timeouts timeouts retried, $infra_unjudged boots not judged"
[ $fail -eq 0 ] || exit 1
[ $infra_unjudged -eq 0 ] || exit 3
exit 0
