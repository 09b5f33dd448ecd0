#!/bin/bash
# Build the QEMU test kernel: Debian linux-source-$KVER + our series
# (kernel-patches/v$KVER) + the test-only inject patches
# (kernel-patches/inject/v$KVER, all off unless kvm.rootcheck_inject=N),
# configured from tinyconfig + tests/vm/kernel.config.
#
# Usage: tests/vm/build-kernel.sh KVER [--stock] [--no-inject] [--modules]
#   KVER      6.12 or 6.1
#   --stock   ignore the series and inject patches (pipeline bring-up)
#   --modules KVM as distributions build it: kernel.config plus
#             kernel-modules.config (CONFIG_KVM=m, CONFIG_KVM_AMD=m, ...);
#             kvm.ko, kvm-amd.ko (and irqbypass.ko) go to the output's modules/
#             (objects in build/vm/obj-$KVER-mod, output k-$KVER-mod-<hash>)
# Prints the output directory (holding bzImage, config, System.map,
# patches.txt) on the last line of stdout.
# Cache: build/vm/k-$KVER-<hash of tarball name, patches, config, this
# script>/bzImage. A hit is instant; a miss rebuilds incrementally in
# build/vm/obj-$KVER from a git tree in build/vm/src-$KVER (created from
# the tarball when missing).
# Exit: 0 ok, 2 usage, 1 build/apply failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

usage() { echo "usage: $0 6.12|6.1 [--stock] [--no-inject] [--modules]" >&2; exit 2; }
[ $# -ge 1 ] || usage
KVER=$1; shift
case "$KVER" in 6.12|6.1) ;; *) usage ;; esac
stock=0; inject=1; modular=0
for a in "$@"; do
	case "$a" in
	--stock) stock=1 ;;
	--no-inject) inject=0 ;;
	--modules) modular=1 ;;
	*) usage ;;
	esac
done
JOBS=${JOBS:-2}
tarball=/usr/src/linux-source-$KVER.tar.xz
[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (run scripts/deps.sh kernel)" >&2; exit 2; }

vmb=$top/build/vm
mkdir -p "$vmb"

series=()
injects=()
if [ $stock -eq 0 ]; then
	for p in kernel-patches/v$KVER/*.patch; do
		[ -e "$p" ] || continue
		case "$(basename "$p")" in 0000-*) continue ;; esac
		series+=("$p")
	done
	if [ $inject -eq 1 ]; then
		for p in kernel-patches/inject/v$KVER/*.patch; do
			[ -e "$p" ] && injects+=("$p")
		done
	fi
fi

hash=$( {
	echo "$KVER $(basename "$tarball") $(stat -c %s "$tarball")"
	for p in "${series[@]}" "${injects[@]}"; do echo "== $p"; cat "$p"; done
	cat tests/vm/kernel.config tests/vm/build-kernel.sh
	[ $modular -eq 0 ] || cat tests/vm/kernel-modules.config
} | sha256sum | cut -c1-12)
variant=$KVER
[ $modular -eq 0 ] || variant=$KVER-mod
out=$vmb/k-$variant-$hash
if [ -s "$out/bzImage" ]; then
	echo "build-kernel: cache hit $out" >&2
	echo "$out"
	exit 0
fi
# one build per source tree at a time (a cache hit above needs no lock:
# the built kernel of one configuration stays usable while another builds)
exec 9>"$vmb/.lock-$KVER"
flock 9
if [ -s "$out/bzImage" ]; then
	echo "build-kernel: cache hit $out (built while waiting)" >&2
	echo "$out"
	exit 0
fi

src=$vmb/src-$KVER
obj=$vmb/obj-$variant
if ! git -C "$src" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
	echo "build-kernel: unpacking $tarball into $src" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	(cd "$src.tmp" && git init -q && git config gc.auto 0 && git add -Af . &&
	 git -c user.name=vm -c user.email=vm@localhost commit -qm "Debian linux-source-$KVER" &&
	 git tag base)
	mv "$src.tmp" "$src"
fi

g() { git -C "$src" -c gc.auto=0 -c user.name=vm -c user.email=vm@localhost "$@"; }
g am --abort >/dev/null 2>&1 || true
g checkout -q -f -B build base
for p in "${series[@]}" "${injects[@]}"; do
	if ! g am -q --keep-cr "$top/$p" >&2; then
		g am --abort >/dev/null 2>&1 || true
		echo "build-kernel: FAILED to apply $p on linux-source-$KVER" >&2
		exit 1
	fi
done

mkdir -p "$obj"
frags=(tests/vm/kernel.config)
[ $modular -eq 0 ] || frags+=(tests/vm/kernel-modules.config)
echo "build-kernel: configuring (tinyconfig + ${frags[*]})" >&2
make -s -C "$src" O="$obj" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null
make -s -C "$src" O="$obj" olddefconfig >/dev/null
missing=0
# the wanted value of each symbol: the last fragment that sets it wins
wanted=$(cat "${frags[@]}" | awk -F= '/^CONFIG_[A-Z0-9_]+=[ym]$/ {v[$1]=$0; if (!($1 in o)) {o[$1]=n++; k[n-1]=$1}} END {for (i = 0; i < n; i++) print v[k[i]]}')
while IFS= read -r line; do
	case "$line" in CONFIG_*=y|CONFIG_*=m) ;; *) continue ;; esac
	if ! grep -qx "$line" "$obj/.config"; then
		sym=${line%%=*}
		sym=${sym#CONFIG_}
		if ! grep -rqsx --include='Kconfig*' "config $sym" "$src/arch/x86" "$src/init" "$src/mm" "$src/kernel" "$src/drivers" "$src/fs" "$src/lib" "$src/block" "$src/virt"; then
			echo "build-kernel: note: $line does not exist in $KVER, skipped" >&2
			continue
		fi
		echo "build-kernel: option did not stick: $line" >&2
		missing=1
	fi
done <<<"$wanted"
grep -qx CONFIG_EVENT_TRACING=y "$obj/.config" || { echo "build-kernel: CONFIG_EVENT_TRACING not set" >&2; missing=1; }
[ $missing -eq 0 ] || { echo "build-kernel: config incomplete" >&2; exit 1; }

targets=(bzImage)
[ $modular -eq 0 ] || targets+=(modules)
echo "build-kernel: building ${targets[*]} -j$JOBS in $obj (several minutes)" >&2
t0=$(date +%s)
if ! make -s -C "$src" O="$obj" -j"$JOBS" "${targets[@]}" >"$vmb/build-$variant.log" 2>&1; then
	tail -n 30 "$vmb/build-$variant.log" >&2
	echo "build-kernel: ${targets[*]} build FAILED (log $vmb/build-$variant.log)" >&2
	exit 1
fi
echo "build-kernel: bzImage built in $(( $(date +%s) - t0 )) s" >&2
mkdir -p "$out.tmp"
cp "$obj/arch/x86/boot/bzImage" "$obj/.config" "$obj/System.map" "$out.tmp/"
if [ $modular -eq 1 ]; then
	mkdir -p "$out.tmp/modules"
	for m in kvm kvm-amd; do
		[ -f "$obj/arch/x86/kvm/$m.ko" ] || { echo "build-kernel: $m.ko not built" >&2; exit 1; }
		cp "$obj/arch/x86/kvm/$m.ko" "$out.tmp/modules/"
	done
	# KVM=m selects IRQ_BYPASS_MANAGER=m: kvm.ko needs irqbypass.ko
	[ ! -f "$obj/virt/lib/irqbypass.ko" ] || cp "$obj/virt/lib/irqbypass.ko" "$out.tmp/modules/"
fi
printf '%s\n' "${series[@]}" "${injects[@]}" > "$out.tmp/patches.txt"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
