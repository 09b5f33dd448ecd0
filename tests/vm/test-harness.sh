#!/bin/bash
# check-vm-harness: the vm-test harness logic without QEMU (seconds).
#  - serial-flake.sh knows the emulator's nested-virtualization flake and
#    nothing else (fixtures: the flake; a WARN with kvm_arch_vcpu_ioctl_run
#    on the stack; "scheduling while atomic" elsewhere). The flake fixture
#    is written in the kernel's format from the signature in issue 13.
#  - vm-test.sh with a stub run-vm.sh: a boot that flakes on every try is
#    retried VM_TRIES times and its cases are neither passed nor failed
#    (INFRA lines, the infrastructure summary line, exit 3); a boot that
#    flakes once is retried and then judged; an injected bug whose hit
#    counter stays 0 fails its case and gets no verdict; results.tsv holds
#    every judged step. A boot that times out (exit 3) once is retried,
#    said (INFRA ... TIMEOUT, with the thread the guest's watchdog found
#    waiting) and counted; one that times out on every try fails, and the
#    recap shows the head of its why.txt.
#  - expect.tsv and expect-vm.tsv: no trace listed in both, and every QEMU
#    scenario of vm-test.sh has an expected verdict for both kernels.
#  - vm-test.sh takes its event list from kvm-rootcheck --list-events and
#    stops (exit 2) when that lists nothing.
#  - l2-qemu (guest-qemu.sh) with a stub QEMU: an L2 hung on its first
#    boot is stopped and booted again ("L2 BOOT AGAIN"), and so is one that
#    resets before its userspace; the same on both boots fails.
# Prints "vm-harness: N passed, N failed"; exit 1 on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "vm-harness: FAIL $*"; }
fx=tests/vm/fixtures
tmp=$(mktemp -d)
trap "rm -rf \"$tmp\"" EXIT

# 1. the flake signature
out=$(tests/vm/serial-flake.sh $fx/serial-flake.log); rc=$?
[ $rc -eq 0 ] && [ "$out" = "BUG: scheduling while atomic: qemu-system-x86/187/0x00110000" ] && ok ||
	bad "serial-flake.sh on the flake: rc $rc, '$out'"
tests/vm/serial-flake.sh $fx/serial-warn.log >/dev/null; rc=$?
[ $rc -eq 1 ] && ok || bad "serial-flake.sh calls a kernel WARN a flake (rc $rc)"
tests/vm/serial-flake.sh $fx/serial-atomic-other.log >/dev/null; rc=$?
[ $rc -eq 1 ] && ok || bad "serial-flake.sh calls scheduling-while-atomic outside KVM a flake (rc $rc)"
tests/vm/serial-flake.sh /nonexistent 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok || bad "serial-flake.sh without a readable log: rc $rc, want 2"

# 2. the expectation files
dups=$(cat tests/vm/expect.tsv tests/vm/expect-vm.tsv | cut -f1 | grep -v '^file$' | sort | uniq -d)
[ -z "$dups" ] && ok || bad "listed in both expect.tsv and expect-vm.tsv: $dups"
for kv in 6.12 6.1; do
	for s in qemu-boot qemu-smm qemu-two qemu-monitor qemu-inject-gift-leak qemu-inject-fastzap-skip \
		qemu-inject-gift-early-put qemu-inject-v3-invalidate; do
		grep -q "^$s|" <(sed -n '/^QEMU_SCENARIOS="/,/^"/p; /^QEMU_INJECTS="/,/^"/p' tests/vm/vm-test.sh) ||
			{ bad "vm-test.sh has no QEMU scenario $s"; continue; }
		cut -f1 tests/vm/expect.tsv tests/vm/expect-vm.tsv | grep -qx "$kv-$s.dat" && ok ||
			bad "no expected verdict for $kv-$s.dat"
	done
done

# 2b. verdict.py: a gcc partition of the expected function (FUNC.cold, as in
# Debian's kvm.ko) names that function; a longer name does not
printf 'x.dat\t1\tGIFT-PUT-BEFORE-ZAP\tkvm_tdp_mmu_zap_invalidated_roots\n' > "$tmp/e.tsv"
for sym in kvm_tdp_mmu_zap_invalidated_roots.cold kvm_tdp_mmu_zap_invalidated_roots_x.cold; do
	printf '{"violations":[{"rule":"GIFT-PUT-BEFORE-ZAP","event":{"caller_sym":"%s+0x3c"},"cause":null}]}\n' "$sym" > "$tmp/v.json"
	tests/vm/verdict.py "$tmp/e.tsv" x.dat 1 "$tmp/v.json" >/dev/null; rc=$?
	case $sym:$rc in *_x.cold:1|*roots.cold:0) ok ;; *) bad "verdict.py: site of $sym: rc $rc" ;; esac
done

# 3. vm-test.sh's flake handling and hit counter, with a stub run-vm.sh
analyzer=${ANALYZER:-$top/build/kvm-rootcheck}
if [ ! -x "$analyzer" ]; then
	bad "no analyzer at $analyzer (make analyzer)"
else
	mkdir -p "$tmp/pre"
	: > "$tmp/pre/bzImage"; : > "$tmp/pre/initrd"
	clean=tests/data/v1/6.12-smm_test.dat
	cat > "$tmp/run-vm" <<EOF
#!/bin/bash
# stub: qemu-a flakes on every boot, qemu-b on its first, injected runs
# report a hit counter of 0
while getopts "t:a:" o; do :; done
shift \$((OPTIND - 1))
out=\$4
mkdir -p "\$out"
n=\$(cat "$tmp/count-\$(basename "\$out")" 2>/dev/null || echo 0)
echo \$((n + 1)) > "$tmp/count-\$(basename "\$out")"
case \$(basename "\$out") in
qemu-a) cp $top/$fx/serial-flake.log "\$out/serial.log"; echo "BUG: scheduling while atomic" > "\$out/flake.txt"; exit 6 ;;
qemu-b) if [ "\$n" = 0 ]; then cp $top/$fx/serial-flake.log "\$out/serial.log"; echo flake > "\$out/flake.txt"; exit 6; fi
	# l2-qemu's own lines reach the L1 log (the job's tail of NAME.out)
	# and may quote the L2 console: not a leak
	printf 'clocksource tsc\nl2-qemu: qemu-two-a: L2 HUNG: not done 180 s into boot 1 (9 console bytes; last: L2-GUEST: up)\nl2-qemu: qemu-two-a: console | L2-GUEST: up\n' > "\$out/serial.log"
	for s in qemu-two qemu-monitor; do
		echo 0 > "\$out/\$s.rc"; cp $top/$clean "\$out/\$s.dat"; echo "L2-GUEST: done" > "\$out/\$s.l2.console"
	done
	echo "l2-qemu: qemu-monitor: L2 RESET AGAIN: silent 120 s after system_reset" > "\$out/qemu-monitor.out"
	echo "l2-qemu: qemu-two-a: L2 BOOT AGAIN: hung 180 s on its first boot" > "\$out/qemu-two.out"
	echo 0 > "\$out/job.rc"; exit 0 ;;
qemu-inject-*)
	echo "clocksource tsc" > "\$out/serial.log"
	n=\$(basename "\$out"); echo 0 > "\$out/\$n.rc"; cp $top/$clean "\$out/\$n.dat"; echo 0 > "\$out/inject-hits.txt"
	echo "L2-GUEST: done" > "\$out/\$n.l2.console"; echo 0 > "\$out/job.rc"; exit 0 ;;
esac
exit 2
EOF
	chmod 755 "$tmp/run-vm"
	RUN_VM=$tmp/run-vm VM_PREBUILT=$tmp/pre ANALYZER=$analyzer VM_TRIES=3 \
		tests/vm/vm-test.sh --kver 6.12 --only qemu --out "$tmp/runs" > "$tmp/q.out" 2>&1
	rc=$?
	[ $rc -eq 3 ] && ok || bad "vm-test with a boot that always flakes: exit $rc, want 3 ($(tail -n 3 "$tmp/q.out"))"
	[ "$(cat "$tmp/count-qemu-a" 2>/dev/null)" = 3 ] && ok || bad "the flaky boot ran $(cat "$tmp/count-qemu-a" 2>/dev/null) times, want 3"
	[ "$(cat "$tmp/count-qemu-b" 2>/dev/null)" = 2 ] && ok || bad "the once-flaky boot ran $(cat "$tmp/count-qemu-b" 2>/dev/null) times, want 2"
	grep -qx "vm: infrastructure: 6 emulator flakes retried, 0 timeouts retried, 1 boots not judged (6.12 qemu-a)" "$tmp/q.out" && ok ||
		bad "no infrastructure summary line: $(grep 'vm: infra' "$tmp/q.out")"
	grep -qx "vm: 6 passed, 0 failed" "$tmp/q.out" && ok || bad "want 6 passed (qemu-b's), got: $(tail -n 1 "$tmp/q.out")"
	grep -E "PASS|FAIL" "$tmp/q.out" | grep -qE "qemu-boot|qemu-smm|live" && bad "a case of the flaky boot was judged" || ok
	grep -q "PASS 6.12-qemu-two.dat: exit 0" "$tmp/q.out" && ok || bad "the retried boot's trace was not judged"
	# an L2 that l2-qemu had to reset twice: counted, said, still judged
	grep -q "vm: INFRA 6.12 qemu-monitor: L2 RESET AGAIN: silent 120 s" "$tmp/q.out" &&
		grep -q "PASS 6.12 qemu-monitor ran" "$tmp/q.out" && ok ||
		bad "the second system_reset of l2-qemu was not reported as infrastructure"
	grep -q "vm: INFRA 6.12 qemu-two: L2 BOOT AGAIN: hung 180 s on its first boot" "$tmp/q.out" &&
		grep -q "PASS 6.12 qemu-two ran" "$tmp/q.out" && ok ||
		bad "an L2 that l2-qemu booted twice was not reported as infrastructure"
	[ "$(grep -c INFRA "$tmp/runs/results.tsv")" = 7 ] && [ "$(grep -c PASS "$tmp/runs/results.tsv")" = 6 ] && ok ||
		bad "results.tsv: $(cut -f2 "$tmp/runs/results.tsv" | sort | uniq -c | tr '\n' ' ')"
	[ -d "$tmp/runs/6.12/qemu-a.flake-3" ] && [ -f "$tmp/runs/6.12/qemu-b.flake-1/serial.log" ] && ok ||
		bad "flaky boots' logs not kept as OUTDIR.flake-N"

	RUN_VM=$tmp/run-vm VM_PREBUILT=$tmp/pre ANALYZER=$analyzer \
		tests/vm/vm-test.sh --kver 6.12 --only qemu-inject --inject gift-leak --out "$tmp/runs2" > "$tmp/i.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && ok || bad "vm-test with an injected bug that did not fire: exit $rc, want 1"
	grep -q "FAIL 6.12 qemu-inject-gift-leak: injected bug 2 did not fire" "$tmp/i.out" && ok ||
		bad "no 'did not fire' failure: $(grep -E 'PASS|FAIL' "$tmp/i.out")"
	grep -q "6.12-qemu-inject-gift-leak.dat" "$tmp/i.out" && bad "a bug that did not fire got a verdict" || ok
	# the failures are repeated just before the closing line (CI logs keep the tail)
	tail -n 2 "$tmp/i.out" | head -n 1 | grep -q "^vm: failed: 6.12 qemu-inject-gift-leak: injected bug 2 did not fire" &&
		tail -n 1 "$tmp/i.out" | grep -q "^vm: [0-9]* passed, 1 failed" && ok ||
		bad "no recap of the failure before the closing line: $(tail -n 3 "$tmp/i.out")"

	# a boot that times out (run-vm.sh exit 3) is retried, said and
	# counted; one that times out on every try fails, and the recap
	# shows why (the head of run-vm.sh's why.txt)
	cat > "$tmp/run-vm-to" <<EOF
#!/bin/bash
while getopts "t:a:" o; do :; done
shift \$((OPTIND - 1))
out=\$4
mkdir -p "\$out"
b=\$(basename "\$out")
n=\$(cat "$tmp/count-\$b" 2>/dev/null || echo 0)
echo \$((n + 1)) > "$tmp/count-\$b"
echo "clocksource tsc" > "\$out/serial.log"
if [ \$b = inject-iter-leak ] || [ "\$n" = 0 ]; then
	echo 180 > "\$out/job.timeout"
	printf 'task 1 S init wchan=do_wait stack=do_wait\ntask 80 D rootstress wchan=kvm_vcpu_ioctl stack=mutex_lock<kvm_vcpu_ioctl\n' > "\$out/hang.txt"
	printf 'run-vm: TIMEOUT: the guest watchdog ended the job after 180 s\ntask 80 D rootstress\n' > "\$out/why.txt"
	exit 3
fi
cp $top/tests/data/6.12-inject-gift-leak.dat "\$out/\$b.dat"; echo 1 > "\$out/inject-hits.txt"; echo 0 > "\$out/job.rc"
exit 0
EOF
	chmod 755 "$tmp/run-vm-to"
	for i in gift-leak iter-leak; do
		RUN_VM=$tmp/run-vm-to VM_PREBUILT=$tmp/pre ANALYZER=$analyzer VM_TRIES=3 \
			tests/vm/vm-test.sh --kver 6.12 --only inject --inject $i --out "$tmp/runs-to-$i" > "$tmp/to-$i.out" 2>&1
		echo $? > "$tmp/to-$i.rc"
	done
	[ "$(cat "$tmp/to-gift-leak.rc")" = 0 ] && [ "$(cat "$tmp/count-inject-gift-leak")" = 2 ] &&
		grep -q "^vm: INFRA 6.12 inject gift-leak: TIMEOUT (try 1 of 3): 80 D rootstress wchan=kvm_vcpu_ioctl" "$tmp/to-gift-leak.out" &&
		grep -q "PASS 6.12-inject-gift-leak.dat" "$tmp/to-gift-leak.out" &&
		grep -qx "vm: infrastructure: 0 emulator flakes retried, 1 timeouts retried, 0 boots not judged" "$tmp/to-gift-leak.out" &&
		[ -f "$tmp/runs-to-gift-leak/6.12/inject-gift-leak.timeout-1/hang.txt" ] && ok ||
		bad "a boot that timed out once: rc $(cat "$tmp/to-gift-leak.rc"), $(cat "$tmp/count-inject-gift-leak") boots: $(grep -E 'INFRA|PASS|FAIL|infrastructure' "$tmp/to-gift-leak.out" | tr '\n' '|')"
	[ "$(cat "$tmp/to-iter-leak.rc")" = 1 ] && [ "$(cat "$tmp/count-inject-iter-leak")" = 3 ] &&
		grep -q "^vm: failed: 6.12 inject iter-leak boot (run-vm exit 3, .*/why.txt)" "$tmp/to-iter-leak.out" &&
		grep -q "^vm:   | run-vm: TIMEOUT: the guest watchdog ended the job" "$tmp/to-iter-leak.out" &&
		tail -n 1 "$tmp/to-iter-leak.out" | grep -qx "vm: 0 passed, 1 failed" && ok ||
		bad "a boot that timed out on every try: rc $(cat "$tmp/to-iter-leak.rc"), $(cat "$tmp/count-inject-iter-leak") boots: $(tail -n 5 "$tmp/to-iter-leak.out" | tr '\n' '|')"

	# --ci (make vm-test-ci, .ci/run): exactly the boots of 6.12 clean,
	# inject and qemu and of 6.1 clean and inject
	cat > "$tmp/run-vm-ci" <<STUB
#!/bin/bash
while getopts "t:a:" o; do :; done
shift \$((OPTIND - 1))
echo "\$(basename "\$(dirname "\$4")")/\$(basename "\$4")" >> "$tmp/ci-boots"
exit 2
STUB
	chmod 755 "$tmp/run-vm-ci"
	RUN_VM=$tmp/run-vm-ci VM_PREBUILT=$tmp/pre ANALYZER=$analyzer \
		tests/vm/vm-test.sh --ci --out "$tmp/runs3" > "$tmp/ci.out" 2>&1
	want="6.1/clean 6.1/inject-double-put 6.1/inject-fastzap-skip 6.1/inject-gift-early-put 6.1/inject-gift-leak 6.1/inject-iter-leak 6.1/inject-untraced-get 6.1/inject-v3-invalidate 6.12/clean 6.12/inject-double-put 6.12/inject-fastzap-skip 6.12/inject-gift-early-put 6.12/inject-gift-leak 6.12/inject-iter-leak 6.12/inject-untraced-get 6.12/inject-v3-invalidate 6.12/inject-zap-valid 6.12/qemu-a 6.12/qemu-b"
	got=$(sort "$tmp/ci-boots" 2>/dev/null | tr '\n' ' ')
	[ "$got" = "$want " ] && ok || bad "vm-test --ci booted: $got; want: $want"
	# --ci's clean boot leaves out the slow workloads, and keeps the others
	! grep -q hardware_disable_test "$tmp/runs3/6.12/clean.job/job.sh" &&
		grep -q "^rec rootstress " "$tmp/runs3/6.12/clean.job/job.sh" && ok ||
		bad "--ci clean job: $(grep -c '^rec ' "$tmp/runs3/6.12/clean.job/job.sh" 2>/dev/null) workloads, hardware_disable_test $(grep -c hardware_disable_test "$tmp/runs3/6.12/clean.job/job.sh" 2>/dev/null)"
	# the clean boot runs live on memslot_perf_test's move test; a
	# violation there fails, a PASS or a loss it reports does not
	grep -q "kvm-rootcheck live -- /opt/selftests/memslot_perf_test -f 4 -e 4" "$tmp/runs3/6.12/clean.job/job.sh" &&
		ok || bad "the clean job runs no live memslot_perf_test move test"
	cat > "$tmp/run-vm-clean" <<STUB
#!/bin/bash
while getopts "t:a:" o; do :; done
shift \$((OPTIND - 1))
out=\$4
mkdir -p "\$out"; echo "clocksource tsc" > "\$out/serial.log"
printf 'events: 9 root events of 9 records, 0 lost\nverdict: PASS: 1 root life in 1 VM\n' > "\$out/live-move1.txt"; echo 0 > "\$out/live-move1.rc"
printf 'events: 9 root events of 9 records, 0 lost\nverdict: FAIL: 1 violation\n' > "\$out/live-move2.txt"; echo 1 > "\$out/live-move2.rc"
printf 'events: 9 root events of 12 records, 3 lost\nverdict: INCONCLUSIVE\n' > "\$out/live-move3.txt"; echo 3 > "\$out/live-move3.rc"
echo 0 > "\$out/job.rc"; exit 0
STUB
	chmod 755 "$tmp/run-vm-clean"
	RUN_VM=$tmp/run-vm-clean VM_PREBUILT=$tmp/pre ANALYZER=$analyzer \
		tests/vm/vm-test.sh --kver 6.12 --only clean --out "$tmp/runs4" > "$tmp/clean.out" 2>&1
	grep -q "PASS 6.12 live memslot_perf_test move 1: PASS" "$tmp/clean.out" &&
		grep -q "FAIL 6.12 live memslot_perf_test move 2: exit 1" "$tmp/clean.out" &&
		grep -q "PASS 6.12 live memslot_perf_test move 3: events lost, inconclusive" "$tmp/clean.out" && ok ||
		bad "live memslot_perf_test move verdicts: $(grep 'memslot_perf_test move' "$tmp/clean.out" | tr '\n' '|')"
fi

# 4. the event list comes from the analyzer (--list-events), not a copy
ANALYZER=/bin/true RUN_VM=/bin/false tests/vm/vm-test.sh --out "$tmp/noev" --only clean \
	>/dev/null 2>"$tmp/noev.err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--list-events listed no event" "$tmp/noev.err" && ok ||
	bad "vm-test.sh ran without the analyzer's event list (rc $rc)"

# 5. l2-qemu (guest-qemu.sh) with a stub QEMU: an L2 that hangs on its
# first boot (console without "L2-GUEST: done", QEMU still running) is
# stopped and booted again, said as "L2 BOOT AGAIN"; one that hangs on
# both boots fails; no QEMU is left running
mkdir -p "$tmp/l2bin"
cat > "$tmp/l2bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
while [ $# -gt 0 ]; do case $1 in -serial) f=${2#file:}; shift ;; esac; shift; done
n=$(cat "$f.count" 2>/dev/null || echo 0); echo $((n + 1)) > "$f.count"
case "$L2_STUB:$n" in hang:*|once:0) echo "Linux version stub" > "$f"; exec -a "qemu-stub:$L2_OUT" sleep 300 ;; esac
# an L2 that resets before its userspace: -no-reboot, QEMU exits 0
case "$L2_STUB:$n" in reset:*|reset1:0) : > "$f"; exit 0 ;; esac
echo "L2-GUEST: done" > "$f"
EOF
chmod 755 "$tmp/l2bin/qemu-system-x86_64"
bbsh="sh"; command -v busybox >/dev/null && bbsh="busybox sh"
for m in ok once hang reset1 reset; do
	mkdir -p "$tmp/l2-$m"
	L2_STUB=$m PATH=$tmp/l2bin:$PATH L2_OUT=$tmp/l2-$m L2_BOOT_WAIT=2 L2_TIMEOUT=4 \
		$bbsh tests/vm/guest-qemu.sh two t > "$tmp/l2-$m.out" 2>&1
	echo $? > "$tmp/l2-$m.rc"
done
[ "$(cat "$tmp/l2-ok.rc")" = 0 ] && ! grep -q AGAIN "$tmp/l2-ok.out" && ok ||
	bad "l2-qemu two, both L2 up: rc $(cat "$tmp/l2-ok.rc"): $(tr '\n' '|' < "$tmp/l2-ok.out")"
[ "$(cat "$tmp/l2-once.rc")" = 0 ] && [ "$(grep -c "L2 BOOT AGAIN: hung 2 s on its first boot" "$tmp/l2-once.out")" = 2 ] &&
	grep -q "t-a: L2 HUNG: not done .* into boot 1 (19 console bytes; last: Linux version stub)" "$tmp/l2-once.out" &&
	[ -s "$tmp/l2-once/t-a.hung.l2.console" ] && [ "$(cat "$tmp/l2-once/t-b.l2.console.count")" = 2 ] && ok ||
	bad "l2-qemu two, L2 hung once: rc $(cat "$tmp/l2-once.rc"): $(tr '\n' '|' < "$tmp/l2-once.out")"
[ "$(cat "$tmp/l2-hang.rc")" = 1 ] && grep -q "t-a: QEMU failed" "$tmp/l2-hang.out" && ok ||
	bad "l2-qemu two, L2 hung on both boots: rc $(cat "$tmp/l2-hang.rc"): $(tr '\n' '|' < "$tmp/l2-hang.out")"
[ "$(cat "$tmp/l2-reset1.rc")" = 0 ] &&
	[ "$(grep -c "L2 BOOT AGAIN: reset before its userspace on its first boot" "$tmp/l2-reset1.out")" = 2 ] &&
	grep -q "t-a: L2 RESET EARLY: QEMU exited 0 .* into boot 1 without 'L2-GUEST: up' (0 console bytes" "$tmp/l2-reset1.out" &&
	[ -e "$tmp/l2-reset1/t-a.reset1.l2.console" ] && grep -q "L2-GUEST: done" "$tmp/l2-reset1/t-a.l2.console" && ok ||
	bad "l2-qemu two, L2 reset early once: rc $(cat "$tmp/l2-reset1.rc"): $(tr '\n' '|' < "$tmp/l2-reset1.out")"
[ "$(cat "$tmp/l2-reset.rc")" = 1 ] && grep -q "t-b: L2 reset before its userspace on both boots" "$tmp/l2-reset.out" && ok ||
	bad "l2-qemu two, L2 reset early on both boots: rc $(cat "$tmp/l2-reset.rc"): $(tr '\n' '|' < "$tmp/l2-reset.out")"
# (named by its L2_OUT: another "sleep 300" on the host is not ours)
pgrep -f "^qemu-stub:$tmp/" >/dev/null && bad "l2-qemu left a stub QEMU running" || ok

echo "vm-harness: $pass passed, $fail failed"
[ $fail -eq 0 ]
