#!/bin/bash
# Build the guest initramfs from Debian packages and our binaries:
#   busybox-static, trace-cmd (+ the shared libraries ldd lists), the
#   static rootstress, the static KVM selftests of that kernel, and, when
#   build/kvm-rootcheck exists (or ANALYZER=path), the analyzer and its
#   shared libraries for the live run.
# Usage: tests/vm/build-initramfs.sh KVER OUT.cpio.gz [--qemu L2_BZIMAGE] [--modules DIR]
#   --qemu     also Debian's qemu-system-x86_64 with every library ldd
#              lists (the loader included), its x86 firmware (SeaBIOS
#              bios-256k.bin, linuxboot_dma.bin, ...), the l2-qemu helper
#              (tests/vm/guest-qemu.sh) and, in /opt/l2, the nested guest:
#              L2_BZIMAGE and a busybox initramfs (tests/vm/l2-init.sh)
#   --modules  copy DIR/*.ko (kvm.ko, kvm-amd.ko) to /lib/modules
# The guest runs tests/vm/guest-init.sh as /init: it reads a tar (job.sh
# and data) from /dev/vda, runs job.sh, and writes a tar of /out back to
# /dev/vda. Exit: 0 ok, 1 failure, 2 usage.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
usage() { echo "usage: $0 KVER OUT.cpio.gz [--qemu L2_BZIMAGE] [--modules DIR]" >&2; exit 2; }
[ $# -ge 2 ] || usage
KVER=$1 OUT=$2
shift 2
l2kernel="" moddir=""
while [ $# -gt 0 ]; do
	case $1 in
	--qemu) l2kernel=${2:-}; [ -f "$l2kernel" ] || usage; shift ;;
	--modules) moddir=${2:-}; [ -d "$moddir" ] || usage; shift ;;
	*) usage ;;
	esac
	shift
done
vmb=$top/build/vm
st=$vmb/selftests-$KVER
ws=$vmb/workloads
ANALYZER=${ANALYZER:-$top/build/kvm-rootcheck}

root=$(mktemp -d "$vmb/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,job,out,root,etc,opt/selftests}

[ -x /bin/busybox ] || { echo "build-initramfs: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
if ldd /bin/busybox >/dev/null 2>&1; then
	echo "build-initramfs: /bin/busybox is not static (need busybox-static)" >&2; exit 1
fi
cp /bin/busybox "$root/bin/busybox"

# copy a dynamically linked binary and every library ldd resolves
copy_dyn() {
	local bin=$1 dest=$2 lib
	cp "$bin" "$root$dest"
	for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
copy_dyn "$(command -v trace-cmd)" /usr/bin/trace-cmd

[ -x "$ws/rootstress" ] || { echo "build-initramfs: $ws/rootstress missing (make -C tests/workloads)" >&2; exit 1; }
cp "$ws/rootstress" "$root/usr/bin/rootstress"

# the QEMU initramfs (--qemu) runs QEMU and rootstress, not the selftests
for t in set_memory_region_test memslot_modification_stress_test kvm_page_table_test dirty_log_test x86_64/smm_test hardware_disable_test memslot_perf_test; do
	if [ -n "$l2kernel" ]; then
		continue
	elif [ -x "$st/$t" ]; then
		cp "$st/$t" "$root/opt/selftests/$(basename "$t")"
	else
		echo "build-initramfs: warning: selftest $t not built ($st)" >&2
	fi
done

if [ -x "$ANALYZER" ]; then
	copy_dyn "$ANALYZER" /usr/bin/kvm-rootcheck
	echo "build-initramfs: analyzer included ($ANALYZER)" >&2
else
	echo "build-initramfs: no analyzer at $ANALYZER: live run disabled" >&2
fi

if [ -n "$l2kernel" ]; then
	q=$(command -v qemu-system-x86_64) || { echo "build-initramfs: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 1; }
	copy_dyn "$q" /usr/bin/qemu-system-x86_64
	# QEMU finds its firmware in /usr/share/qemu and /usr/share/seabios
	# (Debian); the L2 boot needs SeaBIOS and the linuxboot option ROM
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
		/usr/share/qemu/linuxboot.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/multiboot_dma.bin; do
		[ -e "$f" ] || { echo "build-initramfs: $f missing (qemu-system-data, seabios)" >&2; exit 1; }
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
	cp "$top/tests/vm/guest-qemu.sh" "$root/usr/bin/l2-qemu"
	chmod 755 "$root/usr/bin/l2-qemu"
	mkdir -p "$root/opt/l2"
	cp "$l2kernel" "$root/opt/l2/bzImage"
	l2=$(mktemp -d "$vmb/l2initramfs.XXXXXX")
	mkdir -p "$l2"/{bin,proc,sys,dev,tmp}
	cp /bin/busybox "$l2/bin/busybox"
	cp "$top/tests/vm/l2-init.sh" "$l2/init"
	chmod 755 "$l2/init"
	(cd "$l2" && find . | cpio -o -H newc --quiet | gzip -9) > "$root/opt/l2/initrd.gz"
	rm -rf "$l2"
	echo "build-initramfs: QEMU and the L2 guest included (L2 kernel $(du -h "$l2kernel" | cut -f1), initrd $(du -h "$root/opt/l2/initrd.gz" | cut -f1))" >&2
fi
if [ -n "$moddir" ]; then
	mkdir -p "$root/lib/modules"
	cp "$moddir"/*.ko "$root/lib/modules/"
	echo "build-initramfs: modules included: $(cd "$moddir" && echo *.ko)" >&2
fi

cp "$top/tests/vm/guest-init.sh" "$root/init"
chmod 755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-initramfs: $OUT ($(du -h "$OUT" | cut -f1))" >&2
