#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-checks of the simulator (no analyzer involved).

- the correct designs never violate anything, over every schedule of the
  small configurations, and end with every root freed and count 0;
- every injected bug produces its rule in some schedule, and only rules
  that belong to it;
- v3-defunct produces the review's ungifted put by the fast zap;
- traces are reproducible from their ID (schedule or seed).
Prints "rootsim: N passed, N failed".
"""

import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy  # noqa: E402
import rootsim  # noqa: E402

passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


# bug -> rules its first violation may have (the first is the intended one)
BUG_RULES = {
    "iter-double-put": {"REF-PUT-UNOWNED", "REF-UNDERFLOW", "ROOT-UAF"},
    "missing-gifted-put": {"GIFT-LEAK"},
    "fastzap-early-return": {"FASTZAP-INCOMPLETE"},
    "put-before-zap": {"GIFT-PUT-BEFORE-ZAP"},
    "get-at-zero": {"REF-GET-ZERO"},
    "queue-twice": {"ROOT-REVALIDATE"},
    "free-valid": {"ROOT-FREE-VALID"},
    "fastzap-gift-put": {"GIFT-UNGIFTED-PUT"},
    "iter-leak": {"ITER-LEAK"},
    "vcpu-leak": {"TEARDOWN-LEAK"},
}
BUG_CFG = {"iter-double-put": "c2", "get-at-zero": "c3", "iter-leak": "c2"}


def main():
    for d in ("gifted", "hybrid", "async-worker"):
        for c in ("v1", "v2", "c0", "c1"):
            n = bad = 0
            for sched, sim in rootsim.explore(d, "none", accuracy.CONFIGS[c]):
                n += 1
                if rootsim.truth(sim) or any(not r.freed or r.count for r in sim.lives):
                    bad += 1
                    if bad == 1:
                        print("  first bad: %s/none/%s/x%s" % (d, c, ".".join(map(str, sched))))
            ok(n > 0 and bad == 0, "%s/none/%s: %d of %d schedules violate or leave a root alive" % (d, c, bad, n))
    for b, rules in BUG_RULES.items():
        for d in rootsim.DESIGNS:
            if not rootsim.bug_applies(b, d):
                continue
            c = BUG_CFG.get(b, "c1" if b != "queue-twice" else "v2")
            seen = collections.Counter()
            for sched, sim in rootsim.explore(d, b, accuracy.CONFIGS[c], limit=60000):
                for x in rootsim.truth(sim):
                    seen[x[2]] += 1
            intended = sorted(rules)[0] if len(rules) == 1 else "REF-PUT-UNOWNED"
            ok(seen[intended] > 0, "%s/%s/%s never produces %s (%s)" % (d, b, c, intended, dict(seen)))
            ok(set(seen) <= rules, "%s/%s/%s produces unexpected rules %s" % (d, b, c, set(seen) - rules))
    seen = collections.Counter()
    fz_ungifted = 0
    for sched, sim in rootsim.explore("v3-defunct", "none", accuracy.CONFIGS["v1"]):
        for r in sim.lives:
            if r.truth:
                seen[r.truth[0]] += 1
                t = sim.events[r.truth[2]][0]
                if r.truth[0] == "GIFT-UNGIFTED-PUT" and t.kind == "fastzap" and r.defunct_put:
                    fz_ungifted += 1
        if not rootsim.truth(sim):
            seen["clean"] += 1
    ok(fz_ungifted > 0 and seen["clean"] > 0,
       "v3-defunct/v1: fast zap ungifted puts %d, clean %d" % (fz_ungifted, seen["clean"]))
    # faithful v3: a root made defunct before the fast zap holds two zap
    # references (the worker's, and invalidate-all's for the fast zap) and
    # is handled correctly; the review's case (defunct after invalidate-all)
    # is not
    early_ok = review = 0
    for sched, sim in rootsim.explore("v3", "none", accuracy.CONFIGS["v2"], limit=20000):
        names = [n for _, n, f in sim.events]
        fz = names.index("kvm_mmu_zap_all_fast")
        lp = [i for i, (_, n, f) in enumerate(sim.events)
              if n == "kvm_tdp_mmu_root_invalidate" and f["reason"] == rootsim.REASON["last_put"]]
        if lp and lp[0] < fz and not rootsim.truth(sim):
            early_ok += 1
        if any(r.truth and r.truth[0] == "GIFT-UNGIFTED-PUT" and sim.events[r.truth[2]][0].kind == "fastzap"
               for r in sim.lives):
            review += 1
    ok(early_ok > 0 and review > 0, "v3/none/v2: defunct-before-fast-zap clean %d, review case %d"
       % (early_ok, review))
    # hybrid and async-worker teardown shapes
    seen = collections.Counter()
    for d in ("gifted", "hybrid", "async-worker"):
        for sched, sim in rootsim.explore(d, "none", accuracy.CONFIGS["v2"]):
            td = next(i for i, (t, n, f) in enumerate(sim.events) if t.kind == "teardown")
            for t, n, f in sim.events[td:]:
                if n == "kvm_tdp_mmu_root_invalidate":
                    seen[(d, "invalidate", f["reason"])] += 1
                elif n == "kvm_tdp_mmu_root_zap_start":
                    seen[(d, "zap", f["ctx"])] += 1
    R, C = rootsim.REASON, rootsim.CTX
    for d in ("gifted", "hybrid", "async-worker"):
        ok(seen[(d, "zap", C["zap_all"])] > 0, "%s teardown never runs kvm_tdp_mmu_zap_all" % d)
    ok(seen[("gifted", "invalidate", R["teardown"])] and seen[("gifted", "zap", C["fast_zap"])] and
       not seen[("gifted", "zap", C["worker"])], "gifted teardown shape %s" % dict(seen))
    ok(seen[("hybrid", "invalidate", R["teardown"])] and seen[("hybrid", "zap", C["worker"])] and
       not seen[("hybrid", "invalidate", R["last_put"])], "hybrid teardown shape %s" % dict(seen))
    ok(not seen[("async-worker", "invalidate", R["teardown"])] and
       seen[("async-worker", "invalidate", R["last_put"])] and seen[("async-worker", "zap", C["worker"])],
       "async-worker teardown shape %s" % dict(seen))
    for tid in ("gifted/none/c0/x1.0.1", "async-worker/queue-twice/v2/x0.0.0.0.1.0",
                "gifted/iter-double-put/r1/s7", "v3-defunct/none/r3/s3", "async-worker/none/r2/s11"):
        a = rootsim.to_text(accuracy.sim_for_id(tid), tid)
        b = rootsim.to_text(accuracy.sim_for_id(tid), tid)
        ok(a == b and len(a.splitlines()) > 5, "%s is not reproducible" % tid)
    # an address reused while a stale zapper still uses the freed life: the
    # two lives are one alias group; a trace without reuse has none
    sim = accuracy.sim_for_id("v3-defunct/none/r1/s33")
    grp = [r.life for r in sim.lives if r.addr == 0x1234000 and r.alias is not None]
    ok(len(grp) >= 2 and len({r.alias for r in sim.lives if r.life in grp}) == 1,
       "v3-defunct/none/r1/s33: alias group %s" % grp)
    sim = accuracy.sim_for_id("gifted/none/c0/x1.0.1")
    ok(all(r.alias is None for r in sim.lives), "gifted/none/c0/x1.0.1 has aliased lives")
    # a schedule prefix that is not a valid choice is an error, not a silent default
    try:
        accuracy.sim_for_id("gifted/none/v1/x9")
        ok(False, "out-of-range schedule accepted")
    except rootsim.ModelError:
        ok(True, "")
    print("rootsim: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
