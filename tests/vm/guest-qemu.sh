#!/bin/busybox sh
# l2-qemu: the QEMU scenarios, run inside the test guest (L1) with the
# guest's KVM (nested SVM on QEMU's software CPU). Installed as
# /usr/bin/l2-qemu by tests/vm/build-initramfs.sh --qemu, which also puts
# Debian's qemu-system-x86_64 (every ldd entry, loader included), its x86
# firmware and the L2 kernel + initramfs (/opt/l2) into the initramfs.
#
# Usage: l2-qemu boot NAME [QEMU ARGS...]   boot L2 once (it powers off)
#        l2-qemu two NAME                    two L2 boots at once
#        l2-qemu monitor NAME                L2 stays up; through the HMP
#                  monitor (256 MB, up to 1 GB): hot-add a 64 MB DIMM, migrate to a pipe (dirty
#                  logging on, then off), cont, system_reset, wait for the
#                  second boot, quit
#        l2-qemu args NAME [QEMU ARGS...]    print the arguments of "boot"
#                  but -append (for kvm-rootcheck live -- qemu-system-x86_64
#                  $(l2-qemu args NAME) -append "console=ttyS0 panic=-1 no_timer_check quiet")
# The L2 console goes to /out/NAME.l2.console, QEMU's own output to
# /out/NAME.qemu.log (monitor: /out/NAME.monitor.log): never to the L1
# serial log, whose kernel messages run-vm.sh judges.
# Exit: 0 every L2 boot reached "L2-GUEST: done" and QEMU exited 0;
#       1 otherwise (the reason on stderr); 2 usage.
L2=${L2_DIR:-/opt/l2}
OUT=${L2_OUT:-/out}
ACCEL=${L2_ACCEL:--enable-kvm}	# host-side trials: L2_ACCEL="-accel tcg"
TMO=${L2_TIMEOUT:-400}
L2_RESET_WAIT=${L2_RESET_WAIT:-120}	# monitor: silence after system_reset before a second one
L2_BOOT_WAIT=${L2_BOOT_WAIT:-180}	# boot: no "L2-GUEST: done" this long on a first boot: hung

usage() { echo "usage: l2-qemu boot|two|monitor|args NAME [QEMU ARGS]" >&2; exit 2; }
[ $# -ge 2 ] || usage
mode=$1 name=$2
shift 2

# the L2 kernel is the test kernel itself; no_timer_check: a slow
# (emulated) host makes the IO-APIC timer check panic L2 ("IO-APIC +
# timer doesn't work"); quiet: every console byte is
# an I/O exit of the nested guest, slow under the software CPU
base_args() {	# NAME
	echo "$ACCEL -cpu qemu64 -smp 1 -nodefaults -display none -vga none -net none" \
		"-serial file:$OUT/$1.l2.console -kernel $L2/bzImage -initrd $L2/initrd.gz"
}

count() {	# FILE PATTERN: matching lines (0 when none or no file)
	local n
	n=$(grep -c "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

check_console() {	# NAME NEEDED_DONE_COUNT
	local n
	n=$(count $OUT/$1.l2.console "L2-GUEST: done")
	if [ "$n" -lt "$2" ]; then
		echo "l2-qemu: $1: L2 printed 'L2-GUEST: done' $n times, expected $2; last L2 console lines:" >&2
		tail -n 8 $OUT/$1.l2.console | sed "s/^/l2-qemu: $1: console | /" >&2
		return 1
	fi
}

stop() {	# PID: QEMU (busybox's timeout execs it), else coreutils' timeout, which passes TERM on
	local i=0
	kill -TERM "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# boot_once NAME TRY [QEMU ARGS]: one L2 boot. Returns 0 when QEMU exited 0
# and L2 printed "L2-GUEST: done", 3 when L2 hung (no "L2-GUEST: done"
# within the wait, QEMU still running: killed), 4 when L2 reset before
# its userspace came up (QEMU exited 0, -no-reboot, without "L2-GUEST:
# up"), 1 otherwise. QEMU logs each CPU reset with the CPU's registers
# (-d cpu_reset) to NAME.reset.log: 2 at QEMU's start (registers zero,
# then EIP=fff0), and any later one shows where an L2 that reset was.
boot_once() {
	local n=$1 try=$2 wait=$L2_BOOT_WAIT t0 rc qpid
	shift 2
	[ "$try" -gt 1 ] && wait=$TMO
	rm -f $OUT/$n.l2.console $OUT/$n.reset.log
	t0=$(date +%s)
	# shellcheck disable=SC2046
	timeout -s KILL "$TMO" qemu-system-x86_64 $(base_args "$n") -m 128 -monitor none \
		-no-reboot -append "console=ttyS0 panic=-1 no_timer_check quiet" \
		-d cpu_reset -D $OUT/$n.reset.log "$@" \
		</dev/null >$OUT/$n.qemu.log 2>&1 &
	qpid=$!
	if ! wait_for $OUT/$n.l2.console "L2-GUEST: done" 1 "$wait" $qpid 2>/dev/null &&
	   kill -0 $qpid 2>/dev/null; then
		stop $qpid
		echo "l2-qemu: $n: L2 HUNG: not done $(( $(date +%s) - t0 )) s into boot $try" \
			"($(wc -c <$OUT/$n.l2.console 2>/dev/null || echo 0) console bytes; last:" \
			"$(tail -n 1 $OUT/$n.l2.console 2>/dev/null | tr -d '\r' | cut -c1-120))"
		return 3
	fi
	wait $qpid
	rc=$?
	echo "l2-qemu: $n: QEMU rc=$rc after $(( $(date +%s) - t0 )) s"
	if [ $rc -ne 0 ]; then
		echo "l2-qemu: $n: QEMU failed (rc=$rc):" >&2
		tail -n 5 $OUT/$n.qemu.log >&2
		return 1
	fi
	if [ "$(count $OUT/$n.l2.console "L2-GUEST: done")" -eq 0 ] &&
	   [ "$(count $OUT/$n.l2.console "L2-GUEST: up")" -eq 0 ]; then
		echo "l2-qemu: $n: L2 RESET EARLY: QEMU exited 0 $(( $(date +%s) - t0 )) s into boot $try" \
			"without 'L2-GUEST: up' ($(wc -c <$OUT/$n.l2.console 2>/dev/null || echo 0) console bytes;" \
			"$(count $OUT/$n.reset.log "CPU Reset") CPU resets logged, 2 of them QEMU's own at start)"
		return 4
	fi
	check_console "$n" 1
}

# boot NAME [QEMU ARGS]: an L2 that hangs on its first boot (under the
# software CPU an L2 now and then stays silent; seen once in CI, a
# two-guest run whose other L2 booted in 5 s) or resets before its
# userspace is up (seen once in CI: QEMU exited 0 after 2 s, not one
# console byte, while the other L2 booted in 7 s and the L1 kernel logged
# nothing) is booted once more, said as "L2 BOOT AGAIN" (the host reports
# it as infrastructure, vm-test.sh); the first boot's console and reset
# log are kept as NAME.hung.* or NAME.reset1.*. The same failure on the
# second boot too fails: a failure on every boot is the kernel's.
boot() {	# NAME [QEMU ARGS]
	local n=$1 rc
	shift
	boot_once "$n" 1 "$@"
	rc=$?
	case $rc in
	3)	mv $OUT/$n.l2.console $OUT/$n.hung.l2.console 2>/dev/null
		mv $OUT/$n.reset.log $OUT/$n.hung.reset.log 2>/dev/null
		echo "l2-qemu: $n: L2 BOOT AGAIN: hung $L2_BOOT_WAIT s on its first boot" ;;
	4)	mv $OUT/$n.l2.console $OUT/$n.reset1.l2.console 2>/dev/null
		mv $OUT/$n.reset.log $OUT/$n.reset1.reset.log 2>/dev/null
		echo "l2-qemu: $n: L2 BOOT AGAIN: reset before its userspace on its first boot" ;;
	*)	return $rc ;;
	esac
	boot_once "$n" 2 "$@"
	rc=$?
	[ $rc -eq 3 ] && echo "l2-qemu: $n: L2 hung on both boots" >&2
	[ $rc -eq 4 ] && echo "l2-qemu: $n: L2 reset before its userspace on both boots" >&2
	[ $rc -eq 0 ]
}

wait_for() {	# FILE PATTERN COUNT SECONDS [PID that must stay alive]
	local i=0
	while [ "$(count "$1" "$2")" -lt "$3" ]; do
		i=$((i + 1))
		[ $i -le "$4" ] || return 1
		if [ -n "${5:-}" ] && ! kill -0 "$5" 2>/dev/null; then
			echo "l2-qemu: QEMU exited while waiting for '$2' in $1" >&2
			return 1
		fi
		sleep 1
	done
}

monitor() {	# NAME
	local n=$1 fifo=/tmp/$1.hmp qpid rc=0 t0
	rm -f "$fifo"
	mkfifo "$fifo"
	t0=$(date +%s)
	# shellcheck disable=SC2046
	timeout -s KILL "$TMO" qemu-system-x86_64 $(base_args "$n") \
		-m 256M,slots=2,maxmem=1G -monitor stdio \
		-append "console=ttyS0 panic=-1 no_timer_check quiet l2hold" \
		<"$fifo" >$OUT/$n.monitor.log 2>&1 &
	qpid=$!
	trap '' PIPE	# QEMU may be gone: a write to the monitor fails, no SIGPIPE
	exec 3>"$fifo"
	send() { echo "l2-qemu: $n: (hmp) $*"; echo "$*" >&3; }
	step() { echo "l2-qemu: $n: $* after $(( $(date +%s) - t0 )) s"; }
	if ! wait_for $OUT/$n.l2.console "L2-GUEST: done" 1 "$TMO" $qpid; then
		echo "l2-qemu: $n: L2 did not come up" >&2; rc=1
	fi
	if [ $rc -eq 0 ]; then
		step "L2 up"
		send "object_add memory-backend-ram,id=hp1,size=64M"
		send "device_add pc-dimm,id=dimm1,memdev=hp1"
		send "info memory-devices"
		send "migrate_set_parameter max-bandwidth 1G"
		send 'migrate "exec:cat > /dev/null"'
		send "info migrate"
		if ! wait_for $OUT/$n.monitor.log "Migration status: completed" 1 "$TMO" $qpid; then
			echo "l2-qemu: $n: migration did not complete" >&2; rc=1
		fi
	fi
	if [ $rc -eq 0 ]; then
		step "migrated"
		send "cont"
		sleep 2
		send "system_reset"
		# Under the software CPU, an L2 reset now and then leaves it
		# silent (not one console byte, not even its kernel's; seen
		# once in about ten CI-sized runs, with nothing in the L1
		# log): one more system_reset, said on the console, which the
		# host reports as infrastructure (vm-test.sh, "L2 RESET AGAIN")
		if ! wait_for $OUT/$n.l2.console "L2-GUEST: done" 2 "$L2_RESET_WAIT" $qpid &&
		   kill -0 $qpid 2>/dev/null; then
			echo "l2-qemu: $n: L2 RESET AGAIN: silent $L2_RESET_WAIT s after system_reset"
			send "system_reset"
		fi
		if ! wait_for $OUT/$n.l2.console "L2-GUEST: done" 2 "$TMO" $qpid; then
			echo "l2-qemu: $n: L2 did not boot again after system_reset" >&2; rc=1
		else
			step "L2 up again after system_reset"
		fi
	fi
	send "quit"
	exec 3>&-
	wait $qpid
	step "QEMU rc=$?"
	rm -f "$fifo"
	grep -q 'Memory device \[dimm\]: "dimm1"' $OUT/$n.monitor.log ||
		{ echo "l2-qemu: $n: no dimm1 in 'info memory-devices'" >&2; rc=1; }
	[ $rc -eq 0 ] || tail -n 10 $OUT/$n.monitor.log >&2
	return $rc
}

case $mode in
boot) boot "$name" "$@" ;;
two)
	boot "$name-a" "$@" & a=$!
	boot "$name-b" "$@" & b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	[ $ra -eq 0 ] && [ $rb -eq 0 ] ;;
monitor) monitor "$name" ;;
args) echo "$(base_args "$name") -m 128 -monitor none -no-reboot $*" ;;
*) usage ;;
esac
