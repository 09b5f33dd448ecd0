#!/bin/bash
# Bisectability and warning check of the kvmmmu kernel series.
#
# For each version: configure a small x86_64 kernel (make tinyconfig plus
# kernel-patches/scripts/kvm.config: 64BIT, SMP, KVM, KVM_INTEL, KVM_AMD,
# FTRACE/event tracing) in build/kernel-patches/obj-VER, build
#   make W=1 arch/x86/kvm/
# on the pristine tree (baseline, objects of arch/x86/kvm rebuilt from
# scratch), then git am the series one patch at a time and rebuild after
# each. Fails if a build fails or if any warning appears that the baseline
# does not have (warnings compared as "file: warning text [-Wflag]",
# without line numbers, as a multiset). A version without patches is
# skipped.
#
# Usage: kernel-patches/scripts/build-check.sh [VER...]  (default: 6.12 6.1)
# Env: JOBS (default 2). Logs: build/kernel-patches/buildlog-VER/.
# Prints "kernel-build: N passed, N failed". Exit 0 all passed, 1 a build
# failed or a new warning appeared, 2 usage or tarball unavailable.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-2}
kp_versions "$@"

# warnings LOG: normalized warning lines of a build log, sorted (multiset):
# "path: warning: text [-Wflag]" with the line and column numbers and the
# build directory prefix removed.
warnings() {
	sed -n -E 's#^([^ :]+):[0-9]+(:[0-9]+)?: warning: (.*)$#\1: warning: \3#p' "$1" |
		sed -E 's#^([^ :]*/)?(src|obj)-[0-9.]+/##; s#^(\./)+##' | sort
}

# Self-test of the parser (no build needed): must keep exactly these.
selftest_warnings() {
	local t=$kp_build/warn-selftest.log out
	mkdir -p "$kp_build"
	cat >"$t" <<'LOG'
  CC      arch/x86/kvm/mmu/tdp_mmu.o
../src-6.12/arch/x86/kvm/mmu/tdp_mmu.c:12:13: warning: 'f' defined but not used [-Wunused-function]
arch/x86/kvm/x86.c:99: warning: no previous prototype for 'g' [-Wmissing-prototypes]
/abs/build/kernel-patches/obj-6.1/include/generated/x.h:1:2: warning: w [-Wx]
arch/x86/kvm/x86.c:5:1: error: not a warning
LOG
	out=$(warnings "$t") || return 1
	[ "$out" = "arch/x86/kvm/mmu/tdp_mmu.c: warning: 'f' defined but not used [-Wunused-function]
arch/x86/kvm/x86.c: warning: no previous prototype for 'g' [-Wmissing-prototypes]
include/generated/x.h: warning: w [-Wx]" ]
}

# build TAG: W=1 build of arch/x86/kvm/, log in $logs/TAG.log. Returns make's status.
build() {
	local t0=$SECONDS st
	make -C "$src" O="$obj" -j"$JOBS" W=1 arch/x86/kvm/ >"$logs/$1.log" 2>&1
	st=$?
	echo "$((SECONDS - t0))" >"$logs/$1.time"
	return $st
}

if selftest_warnings; then
	ok "warning parser self-test"
else
	ko "warning parser self-test: normalized warnings differ from expected"
fi

for v in "${vers[@]}"; do
	mapfile -t series < <(kp_series "$v")
	if [ ${#series[@]} -eq 0 ]; then
		echo "SKIP v$v: kernel-patches/v$v has no patches yet"
		continue
	fi
	t0=$SECONDS
	kp_lock "$v" || { ko "v$v: lock"; continue; }
	src=$(kp_tree "$v")
	st=$?
	if [ $st -ne 0 ]; then
		ko "v$v: no pristine tree (see above)"
		[ $st -eq 2 ] && rc=2
		flock -u 8
		continue
	fi
	obj=$kp_build/obj-$v
	logs=$kp_build/buildlog-$v
	rm -rf "$logs"
	mkdir -p "$obj" "$logs"

	# Configure (cheap, always redone so that kvm.config changes apply).
	if ! { make -C "$src" O="$obj" tinyconfig &&
	       "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
			"$kp_top/kernel-patches/scripts/kvm.config" &&
	       make -C "$src" O="$obj" olddefconfig; } >"$logs/config.log" 2>&1; then
		ko "v$v config: see $logs/config.log"
		flock -u 8
		continue
	fi
	missing=""
	for o in 64BIT SMP KVM KVM_INTEL KVM_AMD FTRACE EVENT_TRACING TRACEPOINTS; do
		grep -q "^CONFIG_$o=y" "$obj/.config" || missing="$missing $o"
	done
	if [ -n "$missing" ]; then
		ko "v$v config: not enabled:$missing"
		flock -u 8
		continue
	fi

	# Baseline: rebuild arch/x86/kvm objects from scratch on the pristine tree.
	rm -rf "$obj/arch/x86/kvm"
	if ! build 00-base; then
		ko "v$v baseline build failed ($(cat "$logs/00-base.time") s), see $logs/00-base.log"
		grep -E 'error' "$logs/00-base.log" | head -n 10 | sed 's/^/    /'
		flock -u 8
		continue
	fi
	warnings "$logs/00-base.log" >"$logs/00-base.warn"
	ok "v$v baseline: $(wc -l <"$logs/00-base.warn") warnings, $(cat "$logs/00-base.time") s"

	i=0
	for p in "${series[@]}"; do
		i=$((i + 1))
		name=$(basename "$p" .patch)
		tag=$(printf '%02d' "$i")
		if ! out=$(git -C "$src" "${KP_IDENT[@]}" am -q "$p" 2>&1); then
			ko "v$v $name: does not apply"
			sed 's/^/    /' <<<"$out" | head -n 10
			break
		fi
		if ! build "$tag"; then
			ko "v$v $name: build failed ($(cat "$logs/$tag.time") s), see $logs/$tag.log"
			grep -E '(error|Error)' "$logs/$tag.log" | head -n 10 | sed 's/^/    /'
			continue
		fi
		warnings "$logs/$tag.log" >"$logs/$tag.warn"
		new=$(comm -13 "$logs/00-base.warn" "$logs/$tag.warn")
		if [ -n "$new" ]; then
			ko "v$v $name: $(wc -l <<<"$new") new warnings ($(cat "$logs/$tag.time") s)"
			sed 's/^/    /' <<<"$new"
		else
			ok "v$v $name: builds, no new warnings ($(cat "$logs/$tag.time") s)"
		fi
	done

	# Negative control: an unused static function on top of the series must
	# show up as exactly one new warning, or this check could not fail.
	f=$src/arch/x86/kvm/mmu/tdp_mmu.c
	printf '\nstatic void kp_build_check_canary(void)\n{\n}\n' >>"$f"
	if build 99-canary; then
		warnings "$logs/99-canary.log" >"$logs/99-canary.warn"
		new=$(comm -13 "$logs/00-base.warn" "$logs/99-canary.warn")
		if [ "$(grep -c "kp_build_check_canary" <<<"$new")" = 1 ] &&
		   [ "$(wc -l <<<"$new")" = 1 ]; then
			ok "v$v canary: injected unused function detected as the only new warning"
		else
			ko "v$v canary: injected warning not detected (new: ${new:-none})"
		fi
	else
		ko "v$v canary: build failed, see $logs/99-canary.log"
	fi
	kp_reset "$src" >/dev/null 2>&1
	flock -u 8
	echo "v$v: $((SECONDS - t0)) s"
done
echo "kernel-build: $pass passed, $fail failed"
exit $rc
