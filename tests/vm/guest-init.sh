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

# results back on /dev/vda, then power off: once, by the job's end or by
# the watchdog, whichever comes first (mkdir is the lock)
finish() {
	mkdir /tmp/finish 2>/dev/null || exec sleep 100000
	dmesg > /out/dmesg.txt
	tar -cf /dev/vda -C /out .
	sync
	echo "VM-GUEST: results written"
	poweroff -f
}

# where every thread waits: tid, state, command, wchan and the top of its
# kernel stack, for user threads and for kernel threads in D state
tasks_report() {
	for d in /proc/[0-9]*/task/[0-9]*; do
		st=$(sed 's/^.*) //' $d/stat 2>/dev/null | cut -d' ' -f1)
		[ -n "$st" ] || continue
		cl=$(tr '\0' ' ' < $d/cmdline 2>/dev/null)
		[ -n "$cl" ] || [ "$st" = D ] || continue
		echo "task ${d##*/} $st $(cat $d/comm 2>/dev/null) wchan=$(cat $d/wchan 2>/dev/null)" \
			"stack=$(head -n 6 $d/stack 2>/dev/null | sed 's/^\[<[0-9a-f]*>\] //; s/+0x.*//' | tr '\n' '<' | sed 's/<$//')"
	done
}

# the workloads: the children of the commands trace-cmd runs (sh -c ...)
workloads() {
	for d in /proc/[0-9]*; do
		pp=$(sed 's/^.*) //' $d/stat 2>/dev/null | cut -d' ' -f2)
		[ -n "$pp" ] || continue
		pc=$(cat /proc/$pp/stat 2>/dev/null | sed 's/^.*) //' | cut -d' ' -f2)
		[ -n "$pc" ] && [ "$(cat /proc/$pc/comm 2>/dev/null)" = trace-cmd ] &&
			[ "$(cat /proc/$pp/comm 2>/dev/null)" != trace-cmd ] && echo "${d#/proc/}"
	done
}

wait_rc() {	# S: wait up to S seconds for the job's end
	i=0
	while [ $i -lt "$1" ] && [ ! -f /out/job.rc ]; do sleep 1; i=$((i + 1)); done
	[ -f /out/job.rc ]
}

# The job's deadline, rootcheck.job_timeout=S on the command line
# (tests/vm/run-vm.sh sets it below its own timeout): past it the watchdog
# says where the threads wait (/out/hang.txt, and the console), kills the
# workloads so that trace-cmd ends and writes its trace (then SIGINT to
# trace-cmd, should that not do), lets the job finish (else writes job.rc
# 124 itself) and writes the results with /out/job.timeout: a hung
# workload or kernel path costs one deadline and leaves its evidence.
watchdog() {
	sleep "$1"
	[ -f /out/job.rc ] && return
	echo "$1" > /out/job.timeout
	echo "VM-GUEST: JOB TIMEOUT: the job ran past $1 s; its threads:"
	tasks_report > /out/hang.txt
	sed 's/^/VM-GUEST: /' /out/hang.txt
	for p in $(workloads); do
		echo "VM-GUEST: killing the workload $p ($(cat /proc/$p/comm 2>/dev/null))"
		kill -KILL "$p" 2>/dev/null
	done
	wait_rc 20 && finish
	echo "VM-GUEST: the job goes on: SIGINT to trace-cmd"
	killall -INT trace-cmd 2>/dev/null
	wait_rc 15 && finish
	echo "VM-GUEST: the job did not end"
	echo 124 > /out/job.rc
	finish
}
jt=$(sed -n 's/.*rootcheck\.job_timeout=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
wd=
if [ -n "$jt" ]; then
	watchdog "$jt" &
	wd=$!
fi

echo "VM-GUEST: job start${jt:+ (deadline $jt s)}"
( sh /job/job.sh; echo $? > /out/job.rc ) 2>&1 | tee /out/job.log
echo "VM-GUEST: job end rc=$(cat /out/job.rc)"
[ -n "$wd" ] && [ ! -f /out/job.timeout ] && kill $wd 2>/dev/null
finish
