#!/bin/bash
# Regenerate everything committed under tests/data from real kernels under
# QEMU: tests/data/<kver>-<workload>.dat, <kver>-inject-<bug>.dat,
# demo.dat and formats/<kver>/. Same as `make vm-test` plus --record.
# Usage: tests/vm/regen-data.sh [6.12|6.1|all]   (default all)
exec "$(dirname "$0")/vm-test.sh" --kver "${1:-all}" --record
