#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""skew_check: real traces rewritten with one CPU's clock off (skew.py),
judged by kvm-rootcheck.

Usage: skew_check.py --analyzer BIN --readdat BIN --work DIR
                     [--skews NS,NS,...] [--cpus 0,1] TRACE[:RULE|RULE...] ...

A TRACE alone is a clean run: with any skew its verdict must be PASS
(exit 0) or INCONCLUSIVE (exit 3), never a violation. TRACE:RULES is a
run with a bug: its verdict must be INCONCLUSIVE, or FAIL with one of
RULES among the violations not in clock doubt and no other rule. Prints
one line per trace (the exit status per skew) and a summary; exit 0 if
every verdict is allowed, 1 if not, 2 on bad arguments.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SKEWS = [1000, 10000, 50000, 200000, 1000000, 2000000, 5000000]


def judge(analyzer, dat):
    p = subprocess.run([analyzer, "--json", dat], capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        return p.returncode, set(), "no JSON: " + p.stderr.strip()[:120]
    rules = {v["rule"] for v in d.get("violations", []) if not v.get("clock_doubt")}
    return p.returncode, rules, None


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzer", required=True)
    ap.add_argument("--readdat", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--skews", default=",".join(map(str, DEFAULT_SKEWS)))
    ap.add_argument("--cpus", default="0,1")
    ap.add_argument("traces", nargs="+")
    a = ap.parse_args(argv)
    try:
        skews = [int(x) for x in a.skews.split(",")]
        cpus = [int(x) for x in a.cpus.split(",")]
    except ValueError:
        print("skew_check: --skews and --cpus take comma-separated integers", file=sys.stderr)
        return 2
    os.makedirs(a.work, exist_ok=True)
    ok = bad = 0
    for spec in a.traces:
        path, _, want = spec.partition(":")
        want = set(want.split("|")) if want else set()
        line = []
        for cpu in cpus:
            for sk in skews:
                for sign in (1, -1):
                    out = os.path.join(a.work, "skew-%d.dat" % os.getpid())
                    g = subprocess.run([sys.executable, os.path.join(HERE, "skew.py"), "--readdat",
                                        a.readdat, "--cpu", str(cpu), "--skew", str(sign * sk),
                                        path, out], capture_output=True, text=True)
                    if g.returncode:
                        print("skew_check: %s: %s" % (path, g.stderr.strip()), file=sys.stderr)
                        return 2
                    rc, rules, err = judge(a.analyzer, out)
                    if want:
                        good = rc == 3 or (rc == 1 and rules and rules <= want)
                    else:
                        good = rc in (0, 3)
                    tag = "cpu%d%+d" % (cpu, sign * sk)
                    line.append("%s:%d%s" % (tag, rc, "" if good else "!" + ",".join(sorted(rules))))
                    if good:
                        ok += 1
                    else:
                        bad += 1
                        keep = os.path.join(a.work, "%s.%s.dat" % (
                            os.path.relpath(path).replace("/", "_"), tag))
                        os.replace(out, keep)
        print("%s%s: %s" % (os.path.relpath(path), " (bug)" if want else "", " ".join(line)))
    out = os.path.join(a.work, "skew-%d.dat" % os.getpid())
    if os.path.exists(out):
        os.remove(out)
    print("skew: %d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
