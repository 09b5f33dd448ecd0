#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""skew_sim: the simulator's seeded random traces (r1, r2) with one CPU's
clock off, through kvm-rootcheck (issue 14: skew variants of the corpus).

  skew_sim.py --analyzer BIN [--seeds N] [--step NS] [--skew NS ...]

The events are STEP ns apart (default 100 us, not the corpus' 1 us, so
that a skew of a few steps reorders a few neighbours, as on a real host)
and CPU 1's timestamps get +-SKEW. Judged as make skew-check judges real
traces: a trace without a violation must exit 0 or 3; one with a
violation must exit 3, or exit 1 reporting only rules the simulator says
are true there (its rule and alternates). Prints the failures (first 30)
and "skew-sim: N passed, N failed". Exit 0 when none failed, 1 otherwise,
2 on usage errors. Not in make check: see tests/sim/README.md for what
it found.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import accuracy  # noqa: E402
import gentrace  # noqa: E402
import rootsim  # noqa: E402


def skewed(sim, tid, step, cpu, skew):
    ncpus = accuracy.CONFIGS.get(accuracy.parse_id(tid)[2], {}).get("ncpus", 2)
    text = rootsim.to_text(sim, tid, ncpus, ts0=100 * abs(skew) + 10 * step, step=step)
    out = []
    for ln in text.splitlines():
        p = ln.split(" ", 2)
        if ln[:1].isdigit() and len(p) > 2 and p[1] == str(cpu):
            ln = "%d %s %s" % (int(p[0]) + skew, p[1], p[2])
        out.append(ln)
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzer", required=True)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--step", type=int, default=100000)
    ap.add_argument("--skew", type=int, action="append")
    a = ap.parse_args(argv)
    if not os.access(a.analyzer, os.X_OK) or a.seeds < 1 or a.step < 1:
        print("skew-sim: bad arguments", file=sys.stderr)
        return 2
    skews = a.skew or [250000, -250000, 2500000, -2500000]
    passed = failed = 0
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "t.dat")
        for d, b in accuracy.combos():
            for c in ("r1", "r2"):
                for s in range(a.seeds):
                    tid = "%s/%s/%s/s%d" % (d, b, c, s)
                    sim = accuracy.sim_for_id(tid)
                    rules = set()
                    for r in sim.lives:
                        if r.truth:
                            rules.add(r.truth[0])
                            rules |= set(r.truth[1])
                    for sk in skews:
                        gentrace.text_to_dat(skewed(sim, tid, a.step, 1, sk), dat)
                        p = subprocess.run([a.analyzer, "--json", dat], capture_output=True, text=True)
                        try:
                            got = set(v["rule"] for v in json.loads(p.stdout).get("violations", [])
                                      if not v.get("clock_doubt"))
                        except ValueError:
                            got = {"(no JSON)"}
                        if rules:
                            ok = p.returncode == 3 or (p.returncode == 1 and got <= rules)
                        else:
                            ok = p.returncode in (0, 3)
                        if ok:
                            passed += 1
                        else:
                            failed += 1
                            bad.append("%s cpu1%+d: exit %d, %s; true: %s" % (
                                tid, sk, p.returncode, ",".join(sorted(got)) or "-",
                                ",".join(sorted(rules)) or "-"))
    for line in bad[:int(os.environ.get("SKEW_SIM_SHOW", "30"))]:
        print("skew-sim: FAIL " + line)
    print("skew-sim: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
