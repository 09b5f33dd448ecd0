#!/bin/bash
# Copy the traces and event format files of one vm-test.sh run into
# tests/data (clean: <kver>-<workload>.dat, injected: <kver>-inject-<bug>.dat,
# formats/<kver>/), and the clean 6.12 rootstress trace to demo.dat.
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
	case $b in live-offline) continue ;; esac
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
