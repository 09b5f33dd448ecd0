#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mutate: mutation campaign of kvm-rootcheck on real traces (issue 10).

Usage: mutate.py ANALYZER OUTDIR [-n PER_FILE] [--seed S] TRACE.dat...

For each trace: its own records count and exit code first, then PER_FILE
mutants (bit flips, byte overwrites with 0x00/0xff, truncations, a page
copied over another, two 4 KiB blocks swapped, the commit word of a data
page given a top byte of 0xff). Each mutant is judged:
  crash     exit >= 128 or a sanitizer report            (a bug)
  hang      no exit within 30 s                           (a bug)
  error     exit 2, one line on stderr                    (fine)
  multiline exit 2 but not one 'kvm-rootcheck: ' line     (a bug)
  unsure    exit 3                                        (fine)
  verdict   exit 0/1 with all the records of the original (fine)
  MISSED    exit 0/1 with fewer records than the original (a bug: a
            verdict on data that was not read)
Prints one line per bad mutant and a summary; keeps bad mutants in OUTDIR.
Exit 1 if any crash, hang, multiline or MISSED.
"""
import argparse
import json
import os
import random
import subprocess
import sys

PAGE = 4096


def run(analyzer, path):
    try:
        p = subprocess.run([analyzer, "-j", path], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "hang", None, b""
    rc = p.returncode
    if rc < 0 or rc >= 128 or b"Sanitizer" in p.stderr or b"runtime error" in p.stderr:
        return "crash", rc, p.stderr
    if rc == 2:
        lines = p.stderr.decode(errors="replace").splitlines()
        ok = len(lines) == 1 and lines[0].startswith("kvm-rootcheck: ")
        return ("error" if ok else "multiline"), rc, p.stderr
    recs = None
    try:
        recs = json.loads(p.stdout)["trace"]["records"]
    except (ValueError, KeyError, TypeError):
        pass
    if rc == 3:
        return "unsure", rc, recs
    return "verdict", rc, recs


def mutate(data, rng):
    d = bytearray(data)
    n = len(d)
    kind = rng.choice(["flip", "flip", "ff", "00", "trunc", "pagecopy", "swap", "commit"])
    lo = n // 3  # mostly the data part
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(lo, n)
            d[i] ^= 1 << rng.randrange(8)
    elif kind in ("ff", "00"):
        i = rng.randrange(lo, n)
        ln = rng.randint(1, 16)
        d[i:i + ln] = bytes([0xff if kind == "ff" else 0]) * len(d[i:i + ln])
    elif kind == "trunc":
        d = d[:rng.randrange(lo, n)]
    elif kind in ("pagecopy", "swap"):
        pages = n // PAGE
        if pages >= 2:
            a, b = rng.randrange(pages), rng.randrange(pages)
            pa, pb = d[a * PAGE:(a + 1) * PAGE], d[b * PAGE:(b + 1) * PAGE]
            d[b * PAGE:(b + 1) * PAGE] = pa
            if kind == "swap":
                d[a * PAGE:(a + 1) * PAGE] = pb
    else:  # commit top byte (v6: page-aligned data pages, commit at +8)
        pages = [p for p in range(lo // PAGE + 1, n // PAGE)]
        if pages:
            p = rng.choice(pages) * PAGE
            d[p + 8 + 3] = 0xff
    return kind, bytes(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("analyzer")
    ap.add_argument("outdir")
    ap.add_argument("traces", nargs="+")
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    tally = {}
    bad = 0
    for t in a.traces:
        data = open(t, "rb").read()
        what, rc0, recs0 = run(a.analyzer, t)
        if what != "verdict" or recs0 is None:
            print("skip %s: original gives %s" % (t, what))
            continue
        for i in range(a.n):
            kind, m = mutate(data, rng)
            path = os.path.join(a.outdir, "m.dat")
            open(path, "wb").write(m)
            what, rc, info = run(a.analyzer, path)
            if what == "verdict" and (info is None or info < recs0):
                what = "MISSED"
            tally[what] = tally.get(what, 0) + 1
            if what in ("crash", "hang", "multiline", "MISSED"):
                bad += 1
                keep = os.path.join(a.outdir, "%s-%s-%d-%s.dat" % (what, os.path.basename(t), i, kind))
                os.replace(path, keep)
                detail = info if what == "MISSED" else (info[:200] if isinstance(info, bytes) else info)
                print("%s: %s (%s, exit %s, original %d records exit %d): %r" %
                      (what, keep, kind, rc, recs0, rc0, detail))
    total = sum(tally.values())
    print("mutants: %d; %s" % (total, ", ".join("%s %d" % kv for kv in sorted(tally.items()))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
