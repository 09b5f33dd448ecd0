#!/bin/bash
# What the kvmmmu series costs when its tracepoints are off.
#
# For each version, in build/kernel-patches/obj-VER (the configuration of
# build-check.sh: tinyconfig + scripts/kvm.config, GCC, ORC):
#   1. build arch/x86/kvm/ on the pristine tree, keep arch/x86/kvm/mmu/*.o
#   2. git am the series, rebuild, keep the objects again
#   3. scripts/bloat-o-meter on each mmu/*.o (before -> after)
#   4. disassemble __kvm_tdp_mmu_put_root (the out-of-line put behind the
#      kvm_tdp_mmu_put_root() macro) and tdp_mmu_next_root from the series
#      objects, and walk their control flow from the entry with every
#      tracepoint static branch in its disabled state (scripts/
#      disabled-path.py): no call into the tracing code and no __pa()
#      arithmetic (page_offset_base/phys_base) may be reachable. As a
#      control, the same walk with the branches taken must reach the
#      tracepoint call. (A linear read from the atomic op to the first
#      ret is wrong: GCC places the tracing block before the epilogue.)
#   5. scripts/callsite-ip.py: every function that calls or tail-jumps to
#      the put or the root iterator passes a call site inside itself
#      (_THIS_IP_), kvm_tdp_mmu_try_split_huge_pages's early-exit tail
#      jump included; the pristine object must fail it (control).
# Usage: kernel-patches/scripts/cost-check.sh [VER...]   (default 6.12 6.1)
# Output: the figures, the disassembly (build/kernel-patches/cost-VER/),
# "kernel-cost: N passed, N failed". Exit 0 ok, 1 a check failed, 2 usage.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-2}
kp_versions "$@"

# disasm OBJ FUNC: objdump of one function (empty if not out of line).
disasm() {
	objdump -d -r --no-show-raw-insn "$1" |
		awk -v f="<$2>:" '$2 == f {p = 1; print; next} p && /^$/ {exit} p {print}'
}

# jump_label_on: the configuration has static branches (else a disabled
# tracepoint is a load and a compare, not a NOP)
jump_label_on() {
	grep -qx CONFIG_JUMP_LABEL=y "$1/.config"
}

for v in "${vers[@]}"; do
	mapfile -t series < <(kp_series "$v")
	[ ${#series[@]} -gt 0 ] || { echo "SKIP v$v: no patches"; continue; }
	kp_lock "$v" || { ko "v$v: lock"; continue; }
	src=$(kp_tree "$v") || { ko "v$v: no pristine tree"; flock -u 8; continue; }
	obj=$kp_build/obj-$v
	out=$kp_build/cost-$v
	rm -rf "$out"
	mkdir -p "$obj" "$out/base" "$out/series"
	if ! { make -C "$src" O="$obj" tinyconfig &&
	       "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$kp_top/kernel-patches/scripts/kvm.config" &&
	       make -C "$src" O="$obj" olddefconfig; } >"$out/config.log" 2>&1; then
		ko "v$v config: see $out/config.log"; flock -u 8; continue
	fi
	if ! make -C "$src" O="$obj" -j"$JOBS" arch/x86/kvm/ >"$out/base.log" 2>&1; then
		ko "v$v baseline build, see $out/base.log"; flock -u 8; continue
	fi
	cp "$obj"/arch/x86/kvm/mmu/*.o "$out/base/"
	if ! git -C "$src" "${KP_IDENT[@]}" am -q "${series[@]}" >"$out/am.log" 2>&1; then
		ko "v$v: series does not apply"; kp_reset "$src"; flock -u 8; continue
	fi
	if ! make -C "$src" O="$obj" -j"$JOBS" arch/x86/kvm/ >"$out/series.log" 2>&1; then
		ko "v$v series build, see $out/series.log"; kp_reset "$src" >/dev/null 2>&1
		flock -u 8; continue
	fi
	cp "$obj"/arch/x86/kvm/mmu/*.o "$out/series/"
	jump_label_on "$obj" || ko "v$v config: CONFIG_JUMP_LABEL not set, static branches are not NOPs"
	echo "== v$v: scripts/bloat-o-meter arch/x86/kvm/mmu/*.o, without -> with the series"
	for o in "$out"/series/*.o; do
		b=$(basename "$o")
		[ -f "$out/base/$b" ] || continue
		"$src/scripts/bloat-o-meter" "$out/base/$b" "$o" >"$out/bloat-$b.txt" 2>&1
		printf '%-14s %s\n' "$b" "$(grep -E '^Total:' "$out/bloat-$b.txt")"
	done
	echo "-- tdp_mmu.o, per function:"
	sed -n '/^Function/,/^Total/p' "$out/bloat-tdp_mmu.o.txt" | sed 's/^/  /'
	echo "-- mmu.o, per function:"
	sed -n '/^Function/,/^Total/p' "$out/bloat-mmu.o.txt" | sed 's/^/  /'

	for fn in __kvm_tdp_mmu_put_root tdp_mmu_next_root; do
		d=$(disasm "$out/series/tdp_mmu.o" "$fn")
		if [ -z "$d" ]; then
			echo "-- $fn: not out of line in tdp_mmu.o (inlined into its callers)"
			continue
		fi
		echo "$d" >"$out/$fn.s"
		dp=$kp_top/kernel-patches/scripts/disabled-path.py
		"$dp" "$out/series/tdp_mmu.o" "$fn" >"$out/$fn.off.txt" 2>&1
		drc=$?
		"$dp" --enabled "$out/series/tdp_mmu.o" "$fn" >"$out/$fn.on.txt" 2>&1
		erc=$?
		echo "-- $fn, what runs with tracing off ($out/$fn.off.txt):"
		sed 's/^/  /' "$out/$fn.off.txt"
		if [ $drc -ne 0 ]; then
			ko "v$v $fn: $(tail -n 1 "$out/$fn.off.txt")"
		elif [ $erc -ne 1 ]; then
			ko "v$v $fn: the walk with tracing on does not reach the tracing code either ($out/$fn.on.txt): the check is blind"
		else
			ok "v$v $fn: tracing off costs only the static-branch NOP(s); with tracing on the walk reaches the tracepoint call (control)"
		fi
	done
	# the call site under ORC and tail calls: every function that reaches
	# the put or the root iterator loads an address inside itself as the
	# caller (_THIS_IP_); the try-split early exit is such a tail jump
	ci=$kp_top/kernel-patches/scripts/callsite-ip.py
	for c in __kvm_tdp_mmu_put_root tdp_mmu_next_root; do
		args=()
		[ $c = __kvm_tdp_mmu_put_root ] && args=(-x tdp_mmu_next_root kvm_tdp_mmu_try_split_huge_pages)
		if "$ci" "$out/series/tdp_mmu.o" "$c" "${args[@]}" >"$out/callsite-$c.txt" 2>&1; then
			ok "v$v: every caller of $c passes a call site inside itself ($(grep -c '^ok' "$out/callsite-$c.txt") functions; $out/callsite-$c.txt)"
		else
			ko "v$v: call sites of $c: $(grep -m1 FAIL "$out/callsite-$c.txt")"
		fi
	done
	# control: without the series the put gets no call site (v1's _RET_IP_
	# named the caller's caller after a tail jump)
	if "$ci" "$out/base/tdp_mmu.o" kvm_tdp_mmu_put_root kvm_tdp_mmu_try_split_huge_pages >/dev/null 2>&1; then
		ko "v$v: callsite-ip.py passes the pristine tdp_mmu.o: the check is blind"
	else
		ok "v$v: callsite-ip.py fails the pristine tdp_mmu.o (control)"
	fi
	kp_reset "$src" >/dev/null 2>&1
	flock -u 8
done
echo "kernel-cost: $pass passed, $fail failed"
exit $rc
