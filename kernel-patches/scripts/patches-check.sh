#!/bin/bash
# Check the kvmmmu kernel series: for each version, on a pristine git tree
# of Debian's linux-source-VER tarball (cached in build/kernel-patches):
#   cover     0000-cover-letter.patch exists and was filled in
#   checkpatch  scripts/checkpatch.pl --strict --no-signoff on every patch:
#             0 errors and 0 warnings (checks are reported, not fatal). The
#             patches carry no Signed-off-by: whoever posts them adds their
#             own (README.md, "Posting")
#   owners    every get/put/iterator/tracepoint call site of the patched tree
#             and the owner it passes equal the owner table of README.md
#             (check-owners.py), and the check rejects mutated trees
#   am        git am of the whole series applies cleanly
#   abi       the patched tree matches docs/events.md (check-abi.py)
#   abi-selftest  check-abi.py rejects mutated copies of the patched headers
#   gate self-test  a synthetic patch with a style error fails the gate
# A version whose kernel-patches/vVER has no patches yet is skipped.
#
# Usage: kernel-patches/scripts/patches-check.sh [VER...]   (default: 6.12 6.1)
# Prints "patches: N passed, N failed". Exit 0 all passed, 1 a check
# failed, 2 usage error or a kernel tarball is unavailable.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kp_versions "$@"

# checkpatch SRC PATCH: run the tree's checkpatch.pl --strict; sets $out
# (full output) and $total (its "total: N errors, N warnings..." line).
checkpatch() {
	out=$(cd "$1" && ./scripts/checkpatch.pl --strict --no-signoff "$2" 2>&1)
	total=$(grep -E '^total: [0-9]+ errors, [0-9]+ warnings' <<<"$out" | tail -n 1)
}
clean() { [[ "$1" =~ ^total:\ 0\ errors,\ 0\ warnings ]]; }

# Negative control: a patch with a style error must not pass the gate.
gate_selftest() {
	local bad=$kp_build/gate-selftest.patch
	cat >"$bad" <<'PATCH'
From: kvm-rootcheck developers <kvm-rootcheck@example.org>
Subject: [PATCH] KVM: x86/mmu: checkpatch gate self-test

Signed-off-by: kvm-rootcheck developers <kvm-rootcheck@example.org>
---
diff --git a/arch/x86/kvm/mmu/tdp_mmu.c b/arch/x86/kvm/mmu/tdp_mmu.c
--- a/arch/x86/kvm/mmu/tdp_mmu.c
+++ b/arch/x86/kvm/mmu/tdp_mmu.c
@@ -1,1 +1,2 @@
 // SPDX-License-Identifier: GPL-2.0
+int kp_gate_selftest = 1;  
PATCH
	checkpatch "$1" "$bad"
	if [ -n "$total" ] && ! clean "$total"; then
		ok "v$2 checkpatch gate self-test: a bad patch is rejected (${total#total: })"
	else
		ko "v$2 checkpatch gate self-test: bad patch not rejected (${total:-no summary})"
	fi
}

for v in "${vers[@]}"; do
	mapfile -t series < <(kp_series "$v")
	if [ ${#series[@]} -eq 0 ]; then
		echo "SKIP v$v: kernel-patches/v$v has no patches yet"
		continue
	fi
	t0=$SECONDS
	cover=$kp_top/kernel-patches/v$v/0000-cover-letter.patch
	if [ ! -f "$cover" ]; then
		ko "v$v cover: 0000-cover-letter.patch missing"
	elif grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
		ko "v$v cover: subject or blurb not filled in"
	else
		ok "v$v cover"
	fi

	kp_lock "$v" || { ko "v$v: lock"; continue; }
	src=$(kp_tree "$v")
	st=$?
	if [ $st -ne 0 ]; then
		ko "v$v: no pristine tree (see above)"
		[ $st -eq 2 ] && rc=2
		flock -u 8
		continue
	fi

	gate_selftest "$src" "$v"
	for p in "${series[@]}"; do
		name=$(basename "$p")
		checkpatch "$src" "$p"
		if [ -z "$total" ]; then
			ko "v$v checkpatch $name: no summary from checkpatch"
			sed 's/^/    /' <<<"$out"
		elif clean "$total"; then
			ok "v$v checkpatch $name: ${total#total: }"
		else
			ko "v$v checkpatch $name: ${total#total: }"
			grep -E -A1 '^(ERROR|WARNING):' <<<"$out" | grep -v '^--$' | sed 's/^/    /'
		fi
	done

	if out=$(git -C "$src" "${KP_IDENT[@]}" am -q --whitespace=error-all "${series[@]}" 2>&1); then
		ok "v$v am: ${#series[@]} patches on $(git -C "$src" log -1 --format=%s kp-base)"
		if out=$(python3 "$kp_top/kernel-patches/scripts/check-abi.py" "$src" \
				"$kp_top/docs/events.md" 2>&1); then
			ok "v$v $(tail -n 1 <<<"$out")"
		else
			ko "v$v abi"
			sed 's/^/    /' <<<"$out"
		fi
		# The owner table, and the owner check must reject mutated trees.
		for mode in "" --selftest; do
			if out=$(python3 "$kp_top/kernel-patches/scripts/check-owners.py" $mode \
					"$src" "$kp_top/kernel-patches/README.md" 2>&1); then
				ok "v$v $(tail -n 1 <<<"$out")"
			else
				ko "v$v owners${mode:+ $mode}"
				sed 's/^/    /' <<<"$out"
			fi
		done
		# The ABI checker must itself reject deviations from the contract.
		if out=$(python3 "$kp_top/kernel-patches/scripts/check-abi.py" --selftest \
				"$src" "$kp_top/docs/events.md" 2>&1); then
			ok "v$v $(tail -n 1 <<<"$out")"
		else
			ko "v$v abi-selftest"
			sed 's/^/    /' <<<"$out"
		fi
	else
		ko "v$v am"
		sed 's/^/    /' <<<"$out" | head -n 20
		ko "v$v abi: not checked, series does not apply"
	fi
	kp_reset "$src" >/dev/null 2>&1
	flock -u 8
	echo "v$v: $((SECONDS - t0)) s"
done
echo "patches: $pass passed, $fail failed"
exit $rc
