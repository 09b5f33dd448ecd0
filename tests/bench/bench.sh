#!/bin/bash
# make bench: analyzer speed and peak memory on long generated traces
# (tests/bench/genload.py; clean gifted-design workloads whose number of
# live roots is bounded). Memory must not grow with the trace's length.
# Traces are cached under $BUILD/bench. Prints one result line per size.
set -eu
BUILD=${1:-build}
shift || true
sizes=${BENCH_SIZES:-"200000 2000000"}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin="$BUILD/kvm-rootcheck"
dir="$BUILD/bench"
mkdir -p "$dir"
printf '%-10s %-6s %10s %9s %12s %10s\n' events format "file KB" "best s" "events/s" "max RSS KB"
for n in $sizes; do
	dat="$dir/load-$n.dat"
	if [ ! -s "$dat" ]; then
		python3 tests/bench/genload.py "$n" >"$dir/load-$n.txt"
		python3 tests/sim/gentrace.py -o "$dat" "$dir/load-$n.txt"
		rm -f "$dir/load-$n.txt"
	fi
	[ -s "$dir/load-$n.v7.dat" ] ||
		trace-cmd convert -i "$dat" -o "$dir/load-$n.v7.dat" --file-version 7 \
			--compression zstd >/dev/null 2>&1
	for f in "$dat" "$dir/load-$n.v7.dat"; do
		best=""
		rss=0
		for _ in 1 2 3; do
			/usr/bin/time -f '%e %M' -o "$dir/time" "$bin" --summary "$f" >"$dir/out" || {
				rc=$?; [ $rc -eq 0 ] || { echo "bench: kvm-rootcheck exited $rc on $f"; cat "$dir/out"; exit 1; }; }
			read -r t m <"$dir/time"
			if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
			[ "$m" -gt "$rss" ] && rss=$m
		done
		ev=$(sed -nE 's/^events: ([0-9]+) root events.*/\1/p' "$dir/out")
		rate=$(awk "BEGIN{ if ($best > 0) printf \"%d\", $ev / $best; else print \"inf\" }")
		fmt=v6; case "$f" in *.v7.dat) fmt=v7zstd ;; esac
		printf '%-10s %-6s %10s %9s %12s %10s\n' "$ev" "$fmt" "$(($(stat -c %s "$f") / 1024))" "$best" "$rate" "$rss"
	done
done

# Peak heap (valgrind massif): RSS above includes libtracecmd's mapping of
# the file; the heap shows what the analyzer itself and the libraries'
# metadata (cmdlines, page index) allocate.
if command -v valgrind >/dev/null; then
	printf '\n%-10s %14s %s\n' events "peak heap KB" "(massif, v6)"
	for n in $sizes; do
		valgrind --tool=massif --massif-out-file="$dir/massif.$n" \
			"$bin" --summary "$dir/load-$n.dat" >/dev/null 2>&1
		peak=$(sed -n 's/^mem_heap_B=//p' "$dir/massif.$n" | sort -n | tail -n 1)
		printf '%-10s %14s\n' "$n" "$((peak / 1024))"
	done
fi
