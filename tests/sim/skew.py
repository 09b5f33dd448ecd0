#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""skew: rewrite a real trace.dat as if one CPU's clock were off.

Usage: skew.py --readdat BIN [--cpu N] --skew NS [--formats DIR] IN.dat OUT.dat

Reads IN.dat through libtracecmd (tests/sim/readdat.c), keeps its kvmmmu
root events (alloc, get, put, invalidate, handoff, zap, free, fast zap,
teardown) with their fields, tasks and CPUs, and writes them again with
gentrace, adding NS (negative: subtracting) to every timestamp of CPU N
(default 1). The records are merged again by the skewed timestamps, as
`trace-cmd record` would have merged a trace whose clock disagreed across
CPUs. Formats: DIR, else tests/data/[v1/]formats/<6.1|6.12> from the
input's name and directory (their uname.txt gives the kernel release). Exit: 0 written, 2 bad
arguments or input.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gentrace  # noqa: E402

KEEP = ("kvm_tdp_mmu_", "kvm_mmu_zap_all_fast")


def formats_for(path):
    base = os.path.basename(path)
    v1 = os.path.basename(os.path.dirname(os.path.abspath(path))) == "v1"
    for ver in ("6.12", "6.1"):
        if base.startswith(ver + "-"):
            return os.path.join(REPO, "tests", "data", *(["v1"] if v1 else []), "formats", ver)
    return None


def convert(readdat, src, cpu, skew, fdir):
    out = subprocess.run([readdat, src], capture_output=True, text=True)
    if out.returncode:
        raise ValueError("readdat failed on %s: %s" % (src, out.stderr.strip()))
    with open(os.path.join(fdir, "uname.txt")) as fh:
        release = fh.read().strip().rstrip("+")
    lines, ncpus = [], 1
    for ln in out.stdout.splitlines():
        p = ln.split()
        if len(p) < 5 or ":" not in p[4]:
            continue
        name = p[4].split(":", 1)[1]
        if not name.startswith(KEEP):
            continue
        c = int(p[0])
        ncpus = max(ncpus, c + 1)
        fields = [f for f in p[5:] if not f.startswith("comm=")]
        comm = next((f[5:] for f in p[5:] if f.startswith("comm=")), "task") or "task"
        lines.append("%s %d %s %s %s %s" % (p[1], c, p[3], comm.replace(" ", "_"), name,
                                           " ".join(fields)))
    head = "#! kernel=%s clock=global ncpus=%d skew=%d:%d\n" % (release, max(ncpus, cpu + 1), cpu, skew)
    return head + "\n".join(lines) + "\n"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--readdat", required=True)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--skew", type=int, required=True)
    ap.add_argument("--formats")
    ap.add_argument("src")
    ap.add_argument("dst")
    a = ap.parse_args(argv)
    fdir = a.formats or formats_for(a.src)
    if not fdir:
        print("skew: %s: cannot tell the kernel (name it 6.1-* or 6.12-*, or --formats)" % a.src,
              file=sys.stderr)
        return 2
    try:
        text = convert(a.readdat, a.src, a.cpu, a.skew, fdir)
        gentrace.text_to_dat(text, a.dst, fdir, src=a.src)
    except (ValueError, OSError) as e:
        print("skew: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
