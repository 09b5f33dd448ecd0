#!/bin/bash
# Build the guest initramfs from Debian packages and our binaries:
#   busybox-static, trace-cmd (+ the shared libraries ldd lists), the
#   static rootstress, the static KVM selftests of that kernel, and, when
#   build/kvm-rootcheck exists (or ANALYZER=path), the analyzer and its
#   shared libraries for the live run.
# Usage: tests/vm/build-initramfs.sh KVER OUT.cpio.gz
# The guest runs tests/vm/guest-init.sh as /init: it reads a tar (job.sh
# and data) from /dev/vda, runs job.sh, and writes a tar of /out back to
# /dev/vda. Exit: 0 ok, 1 failure, 2 usage.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KVER OUT.cpio.gz" >&2; exit 2; }
KVER=$1 OUT=$2
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

for t in set_memory_region_test memslot_modification_stress_test kvm_page_table_test dirty_log_test x86_64/smm_test; do
	if [ -x "$st/$t" ]; then
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

cp "$top/tests/vm/guest-init.sh" "$root/init"
chmod 755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-initramfs: $OUT ($(du -h "$OUT" | cut -f1))" >&2
