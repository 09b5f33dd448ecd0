#!/bin/bash
# Seed corpus for the fuzz targets, made from tests/data and the generator
# (nothing binary is committed but tests/fuzz/regress/):
#   OUT/dat/     every trace.dat of tests/data (v6, v7, v7-zstd; real
#                kernels), the synthetic ones, and the CLI fixtures made by
#                tests/sim/gentrace.py
#   OUT/engine/  the root events of those traces in fuzz_engine's format,
#                through both of its paths (model and decoder)
# Usage: make-corpus.sh DAT2ENGINE OUT
set -eu
conv=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rm -rf "$out"
mkdir -p "$out/dat" "$out/engine" "$out/fixtures"
for t in tests/fixtures/*.txt; do
	# the ABI v2 fixtures use their own formats, as in run-analyzer-tests.sh
	fmt=()
	case $t in *_v2_*) fmt=(--formats tests/fixtures/formats-v2) ;; esac
	python3 tests/sim/gentrace.py "${fmt[@]}" -o "$out/fixtures/$(basename "$t" .txt).dat" "$t"
done
for f in tests/data/v1/*.dat tests/data/synthetic/*.dat "$out"/fixtures/*.dat; do
	n=$(basename "$f" .dat)
	cp "$f" "$out/dat/$n.dat"
	"$conv" "$f" "$out/engine/$n.model" 0 >/dev/null 2>&1 || true
	"$conv" "$f" "$out/engine/$n.decode" 1 512 >/dev/null 2>&1 || true
	"$conv" "$f" "$out/engine/$n.json" 0x10 256 >/dev/null 2>&1 || true
done
rm -rf "$out/fixtures"
echo "seed corpus: $(ls "$out/dat" | wc -l) trace.dat, $(ls "$out/engine" | wc -l) engine inputs in $out"
