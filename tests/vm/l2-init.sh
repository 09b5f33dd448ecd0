#!/bin/busybox sh
# /init of the nested (L2) guest that QEMU boots inside the test guest
# (tests/vm/guest-qemu.sh). Prints markers on its serial console, which
# QEMU writes to a file of its own (never into the L1 serial log):
#   "L2-GUEST: up"   the kernel reached userspace
#   "L2-GUEST: done" the memory work finished; then power off
# With "l2hold" on the kernel command line it stays up after "done"
# (the monitor scenario hot-adds memory, migrates and resets it, then
# quits QEMU).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o size=48m tmpfs /tmp
echo "L2-GUEST: up $(uname -r) mem=$(awk '/MemTotal/ {print $2}' /proc/meminfo)kB"
# touch some memory so that KVM maps pages (and, when migrating, dirties them)
dd if=/dev/zero of=/tmp/fill bs=1M count=24 2>/dev/null
rm -f /tmp/fill
echo "L2-GUEST: done"
case " $(cat /proc/cmdline) " in
*" l2hold "*)
	while :; do
		dd if=/dev/zero of=/tmp/fill bs=1M count=8 2>/dev/null
		rm -f /tmp/fill
		sleep 1
	done ;;
esac
poweroff -f
