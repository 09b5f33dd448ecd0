#!/bin/bash
# Boot the test kernel under QEMU (software CPU with SVM+NPT, so kvm_amd in
# the guest runs the TDP MMU), run one job, and copy its results out.
#
# Usage: tests/vm/run-vm.sh [-t TIMEOUT_S] [-a "EXTRA CMDLINE"] BZIMAGE INITRD JOBDIR OUTDIR
#   JOBDIR must contain job.sh (run by /init in the guest with /out as cwd;
#   everything the job writes to /out comes back in OUTDIR, plus job.log,
#   job.rc, dmesg.txt). OUTDIR/serial.log is the console.
# The guest's watchdog (tests/vm/guest-init.sh) ends a job still running
# 60 s before TIMEOUT_S (at half of it when TIMEOUT_S is under 120 s;
# RUN_VM_JOB_TIMEOUT=S sets it): it writes where the job's tasks wait to
# OUTDIR/hang.txt and the results as far as they got.
# OUTDIR/why.txt says in a few lines why a boot did not exit 0.
# Exit: 0 the job ran and returned 0; 1 the job ran and failed;
#       2 usage; 3 timeout: the guest's watchdog ended the job (results
#       and hang.txt in OUTDIR) or QEMU hit TIMEOUT_S (killed); 4 bad boot (no
#       "clocksource tsc" in the serial log, TSC marked unstable, or no
#       results came back); 5 kernel WARN/BUG/panic in the serial log;
#       6 the emulator's nested-virtualization flake (serial-flake.sh): an
#       infrastructure failure, no verdict on the kernel (OUTDIR/flake.txt).
set -uo pipefail
timeout_s=300
append=""
while getopts "t:a:" o; do
	case $o in
	t) timeout_s=$OPTARG ;;
	a) append=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || { echo "usage: $0 [-t S] [-a CMDLINE] BZIMAGE INITRD JOBDIR OUTDIR" >&2; exit 2; }
kernel=$1 initrd=$2 jobdir=$3 outdir=$4
for f in "$kernel" "$initrd" "$jobdir/job.sh"; do
	[ -e "$f" ] || { echo "run-vm: $f missing" >&2; exit 2; }
done
mkdir -p "$outdir"
disk=$outdir/disk.img
rm -f "$disk"
truncate -s 768M "$disk"
tar -cf - -C "$jobdir" . | dd of="$disk" conv=notrunc status=none

serial=$outdir/serial.log
rm -f "$outdir/why.txt" "$outdir/hang.txt" "$outdir/job.timeout"
why() {	# LINE...: say why, on stderr and in OUTDIR/why.txt
	printf 'run-vm: %s\n' "$@" | tee -a "$outdir/why.txt" >&2
}
job_timeout=${RUN_VM_JOB_TIMEOUT:-$((timeout_s > 120 ? timeout_s - 60 : timeout_s / 2))}
append="rootcheck.job_timeout=$job_timeout${append:+ $append}"
t0=$(date +%s.%N)
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 2G -smp 2 \
	-nographic -no-reboot -monitor none -serial "file:$serial" \
	-kernel "$kernel" -initrd "$initrd" \
	-drive "file=$disk,format=raw,if=virtio" \
	-append "console=ttyS0 panic=-1 $append" </dev/null >"$outdir/qemu.log" 2>&1
qrc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
printf 'run-vm: QEMU exited rc=%s after %.1f s\n' "$qrc" "$secs" >&2
# the emulator's nested-virtualization flake (tests/vm/serial-flake.sh)
if flake=$("$(dirname "$0")/serial-flake.sh" "$serial"); then
	printf '%s\n' "$flake" > "$outdir/flake.txt"
	why "INFRASTRUCTURE: the emulator's nested-virtualization flake: $flake"
	exit 6
fi
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	why "TIMEOUT: QEMU killed after ${timeout_s} s, the guest's watchdog (${job_timeout} s) never reported; last console lines:"
	tail -n 15 "$serial" | tee -a "$outdir/why.txt" >&2
	exit 3
fi
if ! grep -q "clocksource tsc" "$serial" || grep -q "Marking TSC unstable" "$serial"; then
	why "BAD BOOT: no 'clocksource tsc' (or TSC unstable) in $serial"
	exit 4
fi
if ! tar -xf "$disk" -C "$outdir" 2>/dev/null || [ ! -f "$outdir/job.rc" ]; then
	why "BAD RUN: no results on the disk; last console lines:"
	tail -n 15 "$serial" | tee -a "$outdir/why.txt" >&2
	exit 4
fi
rm -f "$disk"
if grep -qE "WARNING: CPU|BUG:|Kernel panic|KVM_BUG_ON" "$serial"; then
	why "kernel WARN/BUG in $serial:"
	grep -m3 -A3 -E "WARNING: CPU|BUG:|Kernel panic" "$serial" | tee -a "$outdir/why.txt" >&2
	exit 5
fi
if [ -f "$outdir/job.timeout" ]; then
	why "TIMEOUT: the guest's watchdog ended the job after $(cat "$outdir/job.timeout") s; its tasks (pid state comm wchan stack):"
	tee -a "$outdir/why.txt" < "$outdir/hang.txt" >&2
	why "last job lines:"
	tail -n 4 "$outdir/job.log" | tee -a "$outdir/why.txt" >&2
	exit 3
fi
jrc=$(cat "$outdir/job.rc")
[ "$jrc" = 0 ] || { why "guest job failed (rc=$jrc), see $outdir/job.log"; exit 1; }
exit 0
