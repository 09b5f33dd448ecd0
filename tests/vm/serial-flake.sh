#!/bin/bash
# Is this serial log the emulator's nested-virtualization flake?
#
# With a QEMU guest running inside the test guest (nested SVM on QEMU's
# software CPU), the test guest sometimes reports "BUG: scheduling while
# atomic: qemu-system-x86/..." with kvm_arch_vcpu_ioctl_run on the stack
# and then panics. A stock kernel without the series fails the same way
# (issue 13), so it is an infrastructure failure, never a verdict on the
# kernel under test. Only that signature counts: the BUG line, and
# kvm_arch_vcpu_ioctl_run in the next 80 lines (its call trace).
#
# Usage: tests/vm/serial-flake.sh SERIAL_LOG
# Prints the BUG line (without the timestamp) and exits 0 when the log
# shows the flake; exits 1 when it does not, 2 on usage error.
[ $# -eq 1 ] && [ -r "$1" ] || { echo "usage: $0 SERIAL_LOG" >&2; exit 2; }
line=$(awk '/BUG: scheduling while atomic/ {b = NR; l = $0}
	b && NR - b < 80 && /kvm_arch_vcpu_ioctl_run/ {print l; exit}' "$1")
[ -n "$line" ] || exit 1
printf '%s\n' "$line" | sed 's/^\[[ 0-9.]*\] //'
