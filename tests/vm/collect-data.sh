#!/bin/bash
# Copy the traces and event format files of one vm-test.sh run into
# tests/data (clean: <kver>-<workload>.dat, injected: <kver>-inject-<bug>.dat,
# formats/<kver>/), and the clean 6.12 rootstress trace to demo.dat.
# QEMU scenarios (qemu-*/) and the modular-KVM configuration (KVER-mod,
# mod/): only the traces listed in tests/vm/expect.tsv are copied (each
# trace carries ~0.3 MB of kallsyms; the others are judged by vm-test
# against tests/vm/expect-vm.tsv and not kept), and only when the run
# was good: workload exit 0, or an injected bug that fired.
# Usage: tests/vm/collect-data.sh KVER RUNDIR   (RUNDIR = build/vm/runs/KVER)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KVER RUNDIR" >&2; exit 2; }
kv=$1 run=$2
data=$top/tests/data
n=0
for f in "$run"/clean/*.dat; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .dat)
	case $b in live-offline|record) continue ;; esac
	if [ "$(cat "$run/clean/$b.rc" 2>/dev/null)" != 0 ]; then
		echo "collect-data: $b: workload failed in the guest, trace not copied" >&2
		continue
	fi
	cp "$f" "$data/$kv-$b.dat"; n=$((n + 1))
done
for f in "$run"/inject-*/inject-*.dat; do
	[ -e "$f" ] || continue
	cp "$f" "$data/$kv-$(basename "$f")"; n=$((n + 1))
done
for f in "$run"/qemu-*/*.dat "$run"/mod/*.dat; do
	[ -e "$f" ] || continue
	d=$(dirname "$f")
	case $d in *.flake-*|*.job) continue ;; esac
	b=$(basename "$f" .dat)
	t=$kv-${b#mod-}.dat
	awk -F'\t' -v f="$t" '$1 == f {found = 1} END {exit !found}' "$top/tests/vm/expect.tsv" || continue
	case $b in
	*inject*)
		h=$d/inject-hits.txt
		[ "$b" = mod-inject-gift-early-put ] && h=$d/mod-inject-hits.txt
		if [ "$(cat "$h" 2>/dev/null)" != 1 ]; then
			echo "collect-data: $b: the injected bug did not fire, trace not copied" >&2
			continue
		fi ;;
	*)
		if [ "$(cat "$d/$b.rc" 2>/dev/null)" != 0 ]; then
			echo "collect-data: $b: workload failed in the guest, trace not copied" >&2
			continue
		fi ;;
	esac
	cp "$f" "$data/$t"; n=$((n + 1))
done
if [ -d "$run/clean/formats" ]; then
	rm -rf "$data/formats/$kv"
	mkdir -p "$data/formats/$kv"
	cp -r "$run/clean/formats/." "$data/formats/$kv/"
	cp "$run/clean/uname.txt" "$data/formats/$kv/uname.txt"
fi
if [ "$kv" = 6.12 ] && [ -f "$data/6.12-rootstress.dat" ]; then
	cp "$data/6.12-rootstress.dat" "$data/demo.dat"
fi
echo "collect-data: $n traces for $kv into tests/data ($(du -ch "$data"/*.dat | tail -n1 | cut -f1) in all)" >&2
