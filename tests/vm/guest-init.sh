#!/bin/busybox sh
# /init of the test initramfs (tests/vm/build-initramfs.sh).
# Protocol with tests/vm/run-vm.sh: /dev/vda holds a tar with job.sh;
# we run it with /out as the working directory, then write a tar of /out
# (job.log, job.rc, traces) back to the start of /dev/vda and power off.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin:/sbin:/usr/sbin:/opt/selftests
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# POSIX semaphores (sem_open: hardware_disable_test) live in /dev/shm
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
echo "VM-GUEST: up: $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu 2>/dev/null)"
if [ ! -b /dev/vda ]; then
	echo "VM-GUEST: ERROR no /dev/vda"
	poweroff -f
fi
cd /job && tar -xf /dev/vda
if [ ! -f /job/job.sh ]; then
	echo "VM-GUEST: ERROR no job.sh on /dev/vda"
	poweroff -f
fi
cd /out
echo "VM-GUEST: job start"
( sh /job/job.sh; echo $? > /out/job.rc ) 2>&1 | tee /out/job.log
echo "VM-GUEST: job end rc=$(cat /out/job.rc)"
dmesg > /out/dmesg.txt
tar -cf /dev/vda -C /out .
sync
echo "VM-GUEST: results written"
poweroff -f
