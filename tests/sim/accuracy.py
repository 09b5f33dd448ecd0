#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""accuracy: generate a corpus with rootsim, run kvm-rootcheck on every
trace, compare with the simulator's ground truth.

  accuracy.py --analyzer build/kvm-rootcheck --work DIR [--full] [--jobs N]
  accuracy.py --replay ID [-o OUT.txt]       regenerate one trace's text

Trace IDs: DESIGN/BUG/CONFIG/xC.C.C... (exhaustive: the scheduler choices)
or DESIGN/BUG/CONFIG/sSEED (seeded random). Every trace is reproducible
from its ID alone.

Matching is per root life (the analyzer reports the first violation of
each root life, docs/invariants.md). For every root life the simulator
says is violated: exact (analyzer reports the expected rule on that
root), alt (a rule that is equally true at that event or a direct
consequence, listed by the simulator), wrong (another rule), FN (no
violation on that root). Every other reported violation is a FP. The
verdict/exit status must be 1 when anything is expected, else 0.
Culprits: the reported event must be the simulator's violating event
(its seq), and where the simulator knows the cause (the gift never put,
put twice or not zapped: GIFT-LEAK, GIFT-DOUBLE-PUT, FASTZAP-INCOMPLETE;
the put before an async root's free while valid: ROOT-FREE-VALID; the
iterator get never put back: ITER-LEAK; one of the gets never put back:
TEARDOWN-LEAK; the root's event before the zap: ROOT-ZAP-VALID; the put
that made a v3 root defunct) the reported cause must be it.
A trace passes when it has no FP, FN, wrong rule, wrong event or wrong
cause and the exit status is right. Last line: "accuracy: N passed, M failed" (traces).
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gentrace  # noqa: E402
import rootsim  # noqa: E402

FAMILY = {
    "REF-UNDERFLOW": "refcount", "REF-PUT-UNOWNED": "refcount", "REF-GET-ZERO": "refcount",
    "REF-COUNT-MISMATCH": "refcount", "ROOT-UAF": "lifetime", "ROOT-DOUBLE-FREE": "lifetime",
    "ROOT-FREE-VALID": "lifetime", "ROOT-REVALIDATE": "lifetime", "GIFT-UNGIFTED-PUT": "gift",
    "GIFT-DOUBLE-PUT": "gift", "GIFT-LEAK": "gift", "GIFT-PUT-BEFORE-ZAP": "gift",
    "FASTZAP-INCOMPLETE": "fast-zap", "TEARDOWN-LEAK": "teardown", "ITER-LEAK": "teardown",
    "ROOT-ZAP-VALID": "lifetime", "ROOT-CROSS-VM": "lifetime",
}

# Bounded configurations. Exhaustive ones are enumerated completely.
CONFIGS = {
    "v1": dict(vcpus=[1], fastzaps=1),
    "v2": dict(vcpus=[2], hold=1, fastzaps=1),
    "c0": dict(vcpus=[1, 1], hold=1, fastzaps=1),
    "c1": dict(vcpus=[1], iters=[("zap_leafs", False)], fastzaps=1),
    "c2": dict(vcpus=[2], hold=1, iters=[("split", True)], fastzaps=1),
    "c3": dict(vcpus=[1, 1], hold=1, fastzaps=2),
    "c4": dict(vcpus=[1, 1], iters=[("zap_leafs", False)], fastzaps=1),
    "r1": dict(vcpus=[2, 1, 1], hold=2, iters=[("zap_leafs", False), ("split", True)], fastzaps=2, ncpus=4),
    "r2": dict(vcpus=[2, 2], hold=1, iters=[("wrprot", False), ("zap_leafs", False)], fastzaps=1),
    "r3": dict(vcpus=[1, 1, 1], hold=1, iters=[("split", True)], fastzaps=3, ncpus=4),
}
REUSE = {"r1": True, "r2": True, "r3": False}
# two VMs, each a seeded run of these configs, interleaved (rootsim.Merged)
VMS = {"m2": ("c1", "c2")}


def combos():
    for d in rootsim.DESIGNS:
        for b in rootsim.BUGS:
            if rootsim.bug_applies(b, d):
                yield d, b


# (design, bug) -> exhaustive configs; full adds the bigger ones
EXH_CI = {"gifted": ["c1", "v2"], "hybrid": ["c1", "v2"], "async-worker": ["c1", "v2"],
          "v3": ["v1", "c1"], "v3-defunct": ["v1", "c1"]}
EXH_FULL = {"gifted": ["v1", "v2", "c0", "c1", "c2", "c3", "c4"],
            "hybrid": ["v1", "v2", "c0", "c1", "c2", "c3", "c4"],
            "async-worker": ["v1", "v2", "c0", "c1", "c2", "c3", "c4"],
            "v3": ["v1", "v2", "c0", "c1"],
            "v3-defunct": ["v1", "v2", "c1"]}
# CI: seeded random schedules of configs whose exhaustive space is too big for CI
# (get-at-zero needs a one-step window that uniform random schedules
# almost never hit: its CI traces are a seeded sample of exhaustive c3)
RND_BUG_EXTRA_CI = {"iter-double-put": "c2", "iter-leak": "c2"}
EXH_BUG_EXTRA_CI = {"get-at-zero": ["c3"], "zap-valid": ["c2"]}
# full: c4 (2 vCPUs + iterator + fast zap + teardown) is enumerated and
# judged completely by the simulator; the analyzer sees all of it for the
# correct designs and a seeded sample of this size for the injected bugs
FULL_CAP = {"c4": 4000}
FULL_MAX = 1500        # --cap: analyzer sample per (design, bug, config) in the full run, 0 = all
CI_SAMPLE = 150        # CI: at most this many distinct traces per (design, bug, config), seeded sample
RANDOM_CI = 8          # seeded random traces per (design, bug, random config)
RANDOM_FULL = 150
VMS_CI = 40           # two-VM traces per (design, bug) in CI
LOST_CI = 6            # lost-event variants per (design, bug, exhaustive config)
LOST_FULL = 120


def parse_id(tid):
    p = tid.split("/")
    if len(p) == 5 and p[4].startswith("l"):
        p = p[:4]
    d, b, c, s = p
    return d, b, c, s


def lost_of(tid):
    """Index of the event left out (ID suffix /lK), or None."""
    p = tid.split("/")
    return int(p[4][1:]) if len(p) == 5 else None


LOSABLE = ("kvm_tdp_mmu_root_get", "kvm_tdp_mmu_root_put", "kvm_tdp_mmu_root_invalidate",
           "kvm_tdp_mmu_root_zap_start", "kvm_tdp_mmu_root_zap_end")


def lost_candidates(sim):
    """Root events whose next event is on the same CPU (the LOST marker
    then sits right where the loss is)."""
    ev = sim.events
    return [k for k in range(len(ev) - 1) if ev[k][1] in LOSABLE and ev[k + 1][0].cpu == ev[k][0].cpu]


def text_for(tid, sim):
    return rootsim.to_text(sim, tid, CONFIGS.get(parse_id(tid)[2], {}).get("ncpus", 2), drop=lost_of(tid))


def sim_for_id(tid):
    d, b, c, s = parse_id(tid)
    k = lost_of(tid)
    sim = _sim_for_id(d, b, c, s)
    if k is not None and k not in lost_candidates(sim):
        raise rootsim.ModelError("event %d cannot be left out" % k)
    return sim


def _sim_for_id(d, b, c, s):
    if c in VMS:
        return rootsim.run_vms(d, b, [CONFIGS[x] for x in VMS[c]], int(s[1:]))
    cfg = CONFIGS[c]
    if s.startswith("s"):
        return rootsim.run_seed(d, b, cfg, int(s[1:]), REUSE.get(c, False))
    sched = [int(x) for x in s[1:].split(".")] if len(s) > 1 else []
    return rootsim.run_schedule(d, b, cfg, sched)


def trace_key(sim):
    h = hashlib.sha1()
    for t, name, f in sim.events:
        h.update(repr((t.pid, t.cpu, name, sorted(f.items()))).encode())
    return h.hexdigest()


def corpus(full, log):
    """Yields (id, sim) for distinct traces."""
    import random as _r
    seen = set()
    stats = collections.OrderedDict()
    for d, b in combos():
        cfgs = list((EXH_FULL if full else EXH_CI)[d])
        if not full:
            cfgs += EXH_BUG_EXTRA_CI.get(b, [])
        for c in cfgs:
            t0 = time.time()
            nsched = 0
            items = []
            # only the IDs are kept: every trace is rebuilt from its ID
            # when it is run (holding the simulations of a large exhaustive
            # configuration took the full run past 20 GB)
            for sched, sim in rootsim.explore(d, b, CONFIGS[c]):
                nsched += 1
                k = trace_key(sim)
                if k in seen:
                    continue
                seen.add(k)
                items.append("%s/%s/%s/x%s" % (d, b, c, ".".join(map(str, sched))))
            stats[(d, b, c)] = (nsched, len(items), time.time() - t0)
            cap = CI_SAMPLE if not full else (FULL_CAP.get(c) if b != "none" else None)
            if full and FULL_MAX and (cap is None or cap > FULL_MAX):
                cap = FULL_MAX
            if cap and len(items) > cap:
                rng = _r.Random("%s/%s/%s" % (d, b, c))
                items = rng.sample(items, cap)
            for tid in items:
                yield tid, sim_for_id(tid)
            # lost-event variants: one root event left out, LOST marker in its place
            rng = _r.Random("lost/%s/%s/%s" % (d, b, c))
            nl = 0
            for tid in rng.sample(items, min(len(items), LOST_FULL if full else LOST_CI)):
                sim = sim_for_id(tid)
                cands = lost_candidates(sim)
                if cands:
                    nl += 1
                    yield "%s/l%d" % (tid, rng.choice(cands)), sim
            stats[(d, b, c, "lost")] = ("lost", nl, 0)
        rcfgs = ["r1", "r2", "r3", "m2"]
        if not full and b in RND_BUG_EXTRA_CI:
            rcfgs.append(RND_BUG_EXTRA_CI[b])
        for c in rcfgs:
            if c in VMS:
                n = RANDOM_FULL if full else VMS_CI
            else:
                n = RANDOM_FULL if full else (RANDOM_CI if c.startswith("r") else CI_SAMPLE)
            got = 0
            for seed in range(n):
                tid = "%s/%s/%s/s%d" % (d, b, c, seed)
                sim = sim_for_id(tid)
                k = trace_key(sim)
                if k in seen:
                    continue
                seen.add(k)
                got += 1
                yield tid, sim
            stats[(d, b, c)] = ("random", got, 0)
    log["explore"] = stats


def lost_status(sim, k):
    """Event k left out, LOST marker in its place (the analyzer learns of
    the loss there; the events were lost after the previous event p on
    that CPU). Per root life: 'verified' (its first violation, if any, is
    at or before p: nothing lost can explain it; must be reported),
    'sure' (alive at the marker, nothing certain before p: must not be
    reported), 'maybe' (alive in the window, freed before the marker, or
    freed before the window and violated after it: reporting its true
    rule or nothing are both right), 'any' (the root
    of the lost event, already freed: post-free events of a buggy trace;
    any report or none is right)."""
    ev = sim.events
    cpu = ev[k][0].cpu
    p = max([i for i in range(k) if ev[i][0].cpu == cpu] or [-1])
    addr, kvm = ev[k][2].get("root"), ev[k][2].get("kvm")
    own = max((r for r in sim.lives if r.addr == addr and r.kvm == kvm and r.alloc_at < k),
              key=lambda r: r.alloc_at)
    st = {}
    for r in sim.lives:
        at_marker = r.alloc_at < k and (r.free_at is None or r.free_at > k)
        in_window = r.alloc_at < k and (r.free_at is None or r.free_at > p)
        v = r.truth[2] if r.truth else None
        certain = v is not None and v <= p
        if r is own and not at_marker:
            st[r.life] = "any"
        elif (at_marker or in_window) and v == p and not STRICT_LOST:
            st[r.life] = "boundary"
        elif at_marker:
            st[r.life] = "verified" if certain else "sure"
        elif in_window:
            st[r.life] = "verified" if certain else "maybe"
        elif r.alloc_at < k and v is not None and v > p:
            # freed before the loss, violated after it: the lost events may
            # hold a new life's alloc at this address, and the analyzer
            # then (rightly) judges the later events as that life's
            st[r.life] = "maybe"
        else:
            st[r.life] = "verified"
    return st


# The violation is the very event after which the CPU lost events: the
# loss cannot explain it and kvm-rootcheck must keep it (model.c
# retract_after). --lenient-lost counts a miss there as 'fn_boundary'
# instead of a failure (for bisecting an older analyzer).
STRICT_LOST = True


def expected(sim, k=None):
    st = lost_status(sim, k) if k is not None else {}
    out = []
    for r in sim.lives:
        s = st.get(r.life, "verified")
        if r.truth or s != "verified" or r.alias is not None:
            out.append(dict(kvm=r.kvm, root=r.addr, rule=r.truth[0] if r.truth else None,
                            also=set(r.truth[1]) if r.truth else set(), at=r.truth[2] if r.truth else None,
                            extra=r.truth[3] if r.truth else None, life=r.life, status=s,
                            unverified=s == "sure", maybe=s in ("maybe", "any"), alias=r.alias))
    return out


def judge_aliased(exp, pool, res, doubted=frozenset()):
    """Lives whose address was reused while a stale task still used the
    freed one (rootsim Root.alias): their events are indistinguishable, so
    the group is judged as one: every report at that address is accepted,
    and a verified violation of any member needs at least one of them."""
    groups = collections.defaultdict(list)
    for e in exp:
        if e["alias"] is not None:
            groups[(e["kvm"], e["root"], e["alias"])].append(e)
    for (kvm, root, _), es in groups.items():
        mine = [g for g in pool if g["kvm"] == kvm and g["root"] == root]
        for g in mine:
            pool.remove(g)
        need = [e for e in es if e["rule"] and e["status"] == "verified"]
        if need and not mine:
            res["fn"].append(need[0])
            if any((kvm, root, e["rule"]) in doubted for e in need):
                res["fn_doubt"].append(need[0])
        elif need:
            res["aliased"].append(need[0])


_FORMATS = {}


def formats_for(kernel):
    """Formats per kernel, resolved once per run (a formats directory
    committed while a long run is going must not change it halfway)."""
    if kernel not in _FORMATS:
        d = gentrace.pick_formats_dir(kernel)
        try:
            _FORMATS[kernel] = gentrace.load_formats(d)
        except gentrace.FormatError as e:
            print("accuracy: %s; using %s" % (e, gentrace.DEFAULT_FORMATS), file=sys.stderr)
            _FORMATS[kernel] = gentrace.load_formats(gentrace.DEFAULT_FORMATS)
    return _FORMATS[kernel]


def run_one(analyzer, work, tid, text, keep, check_report):
    base = os.path.join(work, tid.replace("/", "_")[:150] + "_" + hashlib.sha1(tid.encode()).hexdigest()[:8])
    dat = base + ".dat"
    meta, events = gentrace.parse_text(text, tid)
    data = gentrace.build(meta, events, formats_for(meta["kernel"]), tid)
    with open(dat, "wb") as fh:
        fh.write(data)
    rep_ok = None
    if check_report:
        rep = subprocess.run(["trace-cmd", "report", dat], capture_output=True, text=True)
        nlines = sum(1 for l in rep.stdout.splitlines() if ": kvm" in l)
        nlost = sum(1 for l in rep.stdout.splitlines() if "EVENTS DROPPED]" in l)
        want = sum(1 for e in events if e.name != "LOST")
        rep_ok = rep.returncode == 0 and not rep.stderr.strip() and nlines == want and \
            nlost == len(events) - want
    r = subprocess.run([analyzer, "--json", dat], capture_output=True, text=True)
    out = None
    try:
        out = json.loads(r.stdout)
    except ValueError:
        pass
    if not keep:
        os.unlink(dat)
    # the trace's path says nothing (it is the ID); keep the message whole
    return r.returncode, out, r.stderr.replace(dat, "TRACE").strip(), rep_ok


def judge(sim, rc, out, k=None):
    """Returns dict of per-root outcomes. k: event left out (lost)."""
    exp = expected(sim, k)
    got = []
    doubted = set()
    if out:
        for v in out.get("violations", []):
            try:
                kvm, root = int(v["kvm"], 16), int(v["root"], 16)
            except (KeyError, ValueError, TypeError):
                kvm = root = None
            if v.get("clock_doubt"):
                # listed as possible only (the clock check): not a report,
                # but a miss that says so is told apart from a silent one
                doubted.add((kvm, root, v.get("rule")))
                continue
            got.append(dict(kvm=kvm, root=root, rule=v.get("rule"), v=v))
    res = dict(exact=[], alt=[], wrong=[], fn=[], fp=[], at_ok=0, at_bad=[], cause=[], fn_boundary=[],
               aliased=[], culprit=[], culprit_bad=[], fn_doubt=[])
    pool = list(got)
    plain = [e for e in exp if e["alias"] is None]
    for e in plain:
        m = next((g for g in pool if g["kvm"] == e["kvm"] and g["root"] == e["root"]), None)
        if e["unverified"]:
            if m is not None:            # lost events could explain anything here
                pool.remove(m)
                res["fp"].append(m)
                res["fp_unverified"] = res.get("fp_unverified", 0) + 1
            continue
        if e["status"] == "boundary" and m is None:
            res["fn_boundary"].append(e)
            continue
        if e["maybe"] and m is None:
            continue                     # not reporting it is right too
        if e["status"] == "any":
            pool.remove(m)
            continue
        if e["maybe"] and e["rule"] is None:
            pool.remove(m)
            res["fp"].append(m)
            continue
        if m is None:
            res["fn"].append(e)
            if (e["kvm"], e["root"], e["rule"]) in doubted:
                res["fn_doubt"].append(e)
            continue
        pool.remove(m)
        if m["rule"] == e["rule"]:
            res["exact"].append(e)
        elif m["rule"] in e["also"]:
            res["alt"].append((e, m["rule"]))
        else:
            res["wrong"].append((e, m["rule"]))
        seq = (m["v"].get("event") or {}).get("seq")
        if k is not None:
            pass                         # positions shift around the LOST marker
        elif seq == e["at"]:
            res["at_ok"] += 1
        else:
            res["at_bad"].append((e, seq))
        c = m["v"].get("cause") or {}
        if e["extra"] and "defunct_put" in e["extra"]:
            pid, comm, sym = e["extra"]["defunct_put"]
            res["cause"].append(c.get("pid") == pid and str(c.get("caller_sym", "")).startswith(sym))
        if e["extra"] and e["extra"].get("cause") is not None and k is None and m["rule"] == e["rule"]:
            # the culprit's cause the simulator knows (the gift never put,
            # the put that dropped the last reference): the event it names
            # (a list: any of them, e.g. the gets a leak never put back)
            want = e["extra"]["cause"]
            ok_ = c.get("seq") in want if isinstance(want, list) else c.get("seq") == want
            res["culprit"].append(ok_)
            if not ok_:
                res["culprit_bad"].append((e, c.get("seq")))
    judge_aliased(exp, pool, res, doubted)
    res["fp"] += pool
    verified_viol = any(e["rule"] and e["status"] == "verified" for e in exp)
    if any(e["status"] == "boundary" for e in exp) and not res["fn_boundary"]:
        verified_viol = True
    maybe_viol = any((e["rule"] and e["maybe"]) or e["status"] == "any" for e in exp) or bool(res["fn_boundary"])
    if k is None:
        want = {1} if verified_viol else {0}
    elif verified_viol:
        want = {1}
    else:
        want = {3} if any(e["unverified"] or e["status"] == "boundary" for e in exp) else {0, 3}
        if maybe_viol:
            want.add(1)
    verdict = {0: "clean", 1: "violations", 3: "inconclusive"}
    res["rc_ok"] = rc in want and out is not None and out.get("verdict") == verdict.get(rc)
    # a report that names another event, or another cause than the
    # simulator's, is wrong even with the right rule
    res["ok"] = (res["rc_ok"] and not res["fn"] and not res["fp"] and not res["wrong"]
                 and not res["at_bad"] and not res["culprit_bad"] and all(res["cause"]))
    return res


def main(argv):
    global STRICT_LOST, FULL_MAX
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzer")
    ap.add_argument("--work", default="build/sim/accuracy")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep every .dat (default: failures only)")
    ap.add_argument("--report-every", type=int, default=1,
                    help="check every Nth trace with trace-cmd report (default 1: all)")
    ap.add_argument("--cap", type=int, default=FULL_MAX,
                    help="full run: traces given to the analyzer per (design, bug, config), 0 = all "
                    "(every schedule is still enumerated and judged by the simulator)")
    ap.add_argument("--lenient-lost", action="store_true",
                    help="a violation at the last event before a loss on that CPU may be withdrawn")
    ap.add_argument("--replay")
    ap.add_argument("--id", action="append", default=[],
                    help="run only this trace ID through the analyzer (repeatable)")
    ap.add_argument("-o", "--output")
    a = ap.parse_args(argv)

    STRICT_LOST = not a.lenient_lost
    FULL_MAX = a.cap
    if a.replay:
        try:
            sim = sim_for_id(a.replay)
        except (ValueError, KeyError, rootsim.ModelError) as e:
            print("accuracy: bad trace id %s: %s" % (a.replay, e), file=sys.stderr)
            return 2
        text = text_for(a.replay, sim)
        if a.output:
            with open(a.output, "w") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
        return 0

    if not a.analyzer or not os.access(a.analyzer, os.X_OK):
        print("accuracy: analyzer %s not found or not executable (make analyzer)" % a.analyzer, file=sys.stderr)
        return 2
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(os.path.join(a.work, "failures"))
    # a private copy: the shared build/ binary may be relinked by a parallel make
    analyzer = os.path.join(a.work, "kvm-rootcheck")
    shutil.copy2(a.analyzer, analyzer)
    for k in set(rootsim.KERNEL.values()):
        formats_for(k)
        print("accuracy: kernel %s: formats %s" % (k, _FORMATS[k].dir), file=sys.stderr)
    t0 = time.time()
    log = {}
    rows = collections.defaultdict(collections.Counter)     # (design, bug) -> counters
    fam = collections.defaultdict(collections.Counter)      # (design, family) -> counters
    altrules = collections.Counter()
    wrongs = collections.Counter()
    failures = []
    ntr = 0
    report_bad = []
    boundary = []
    culprit_bad = []

    def account(tid, sim, text, rc, out, err, rep_ok):
        d, b, c, s = parse_id(tid)
        k = lost_of(tid)
        res = judge(sim, rc, out, k)
        row = rows[(d, b)]
        row["traces"] += 1
        row["lost"] += k is not None
        exp = expected(sim, k)
        row["expect_viol"] += any(e["rule"] for e in exp)
        row["unverified"] += sum(1 for e in exp if e["unverified"])
        row["tp"] += len(res["exact"]) + len(res["alt"]) + len(res["wrong"])
        row["exact"] += len(res["exact"])
        row["alt"] += len(res["alt"])
        row["wrong"] += len(res["wrong"])
        row["fn"] += len(res["fn"])
        row["fn_doubt"] += len(res["fn_doubt"])
        row["fn_boundary"] += len(res["fn_boundary"])
        row["aliased"] += len(res["aliased"])
        for e in res["fn_boundary"]:
            boundary.append(tid)
        row["fp"] += len(res["fp"])
        row["rc_bad"] += not res["rc_ok"]
        row["at_bad"] += len(res["at_bad"])
        row["at_ok"] += res["at_ok"]
        for ok_ in res["cause"]:
            row["cause_ok" if ok_ else "cause_bad"] += 1
        for ok_ in res["culprit"]:
            row["culprit_ok" if ok_ else "culprit_bad"] += 1
        for e, seq in res["culprit_bad"]:
            culprit_bad.append("%s %s: cause named seq %s, the simulator's is %s" % (tid, e["rule"], seq,
                                                                                     e["extra"]["cause"]))
        for e, seq in res["at_bad"]:
            culprit_bad.append("%s %s: event named seq %s, the simulator's is %s" % (tid, e["rule"], seq, e["at"]))
        for e in res["exact"]:
            fam[(d, FAMILY[e["rule"]])]["exact"] += 1
        for e, g in res["alt"]:
            fam[(d, FAMILY[e["rule"]])]["alt"] += 1
            altrules["%s expected %s, got %s" % (d, e["rule"], g)] += 1
        for e, g in res["wrong"]:
            fam[(d, FAMILY[e["rule"]])]["wrong"] += 1
            wrongs["%s/%s expected %s, got %s" % (d, b, e["rule"], g)] += 1
        for e in res["fn"]:
            fam[(d, FAMILY[e["rule"]])]["fn"] += 1
        for g in res["fp"]:
            fam[(d, FAMILY.get(g["rule"], "?"))]["fp"] += 1
        if rep_ok is False:
            report_bad.append(tid)
        if not res["ok"] or rep_ok is False:
            failures.append((tid, res, rc, err))
            print("accuracy: FAIL %s" % tid, file=sys.stderr, flush=True)
            if len(failures) <= 200:
                p = os.path.join(a.work, "failures", "%03d.txt" % len(failures))
                with open(p, "w") as fh:
                    fh.write(text)
                gentrace.text_to_dat(text, p[:-4] + ".dat")
        return res["ok"] and rep_ok is not False

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        pending = collections.deque()
        items = ((tid, sim_for_id(tid)) for tid in a.id) if a.id else corpus(a.full, log)
        for tid, sim in items:
            text = text_for(tid, sim)
            chk = (ntr % a.report_every) == 0
            ntr += 1
            fut = ex.submit(run_one, analyzer, a.work, tid, text, a.keep, chk)
            if ntr % 2000 == 0:
                print("accuracy: %d traces queued, %.0fs" % (ntr, time.time() - t0), file=sys.stderr, flush=True)
            pending.append((tid, sim, text, fut))
            while len(pending) > 4 * a.jobs:
                tid_, sim_, text_, f_ = pending.popleft()
                if account(tid_, sim_, text_, *f_.result()):
                    passed += 1
                else:
                    failed += 1
        while pending:
            tid_, sim_, text_, f_ = pending.popleft()
            if account(tid_, sim_, text_, *f_.result()):
                passed += 1
            else:
                failed += 1
    el = time.time() - t0

    print("== exploration (schedules explored -> distinct new traces)")
    for key, (n, k, secs) in log.get("explore", {}).items():
        d, b, c = key[:3]
        if n == "lost":
            print("  %-13s %-21s %s  lost-event variants: %d" % (d, b, c, k))
        elif n == "random":
            print("  %-13s %-21s %s  seeded random: %d distinct" % (d, b, c, k))
        else:
            print("  %-13s %-21s %s  exhaustive: %d schedules, %d distinct traces (%.1fs)" % (d, b, c, n, k, secs))
    print("== per design and bug (root lives; tp = exact + alt + wrong)")
    hdr = "  %-13s %-21s %7s %5s %7s %6s %6s %5s %5s %4s %4s %6s %6s %6s" % (
        "design", "bug", "traces", "lost", "w/viol", "tp", "exact", "alt", "wrong", "fp", "fn", "rc_bad",
        "at_bad", "unver")
    print(hdr)
    tot = collections.Counter()
    fmt = "  %-35s %7d %5d %7d %6d %6d %5d %5d %4d %4d %6d %6d %6d"
    for (d, b), r in rows.items():
        print(fmt % ("%-13s %-21s" % (d, b), r["traces"], r["lost"], r["expect_viol"], r["tp"], r["exact"],
                     r["alt"], r["wrong"], r["fp"], r["fn"], r["rc_bad"], r["at_bad"], r["unverified"]))
        tot.update(r)
    print(fmt % ("total", tot["traces"], tot["lost"], tot["expect_viol"], tot["tp"], tot["exact"], tot["alt"],
                 tot["wrong"], tot["fp"], tot["fn"], tot["rc_bad"], tot["at_bad"], tot["unverified"]))
    print("  (unver: root lives alive at a LOST marker; any violation reported on them counts as fp)")
    if tot["fn"]:
        print("  fn: %d of the %d listed as possible violations in clock doubt (the right rule on the"
              " right root, not counted as found)" % (tot["fn_doubt"], tot["fn"]))
    if tot["aliased"]:
        print("  address reused while a stale task still used the freed root: %d violated lives judged"
              " with their successors at that address (reported there, rule and life not compared)"
              % tot["aliased"])
    if tot["cause_ok"] or tot["cause_bad"]:
        print("  v3 defunct cause (task + call site of the put that made the root defunct): %d named, %d not"
              % (tot["cause_ok"], tot["cause_bad"]))
    print("  culprits: violating event named right %d, wrong %d; cause named right %d, wrong %d"
          " (the gift never put, or put twice, or not zapped; the put before a valid root's free;"
          " the iterator get never put back; a get a teardown leak never put back;"
          " the root's event before a valid root's zap)"
          % (tot["at_ok"], tot["at_bad"], tot["culprit_ok"], tot["culprit_bad"]))
    if culprit_bad:
        print("== wrong culprits (%d)" % len(culprit_bad))
        for line in culprit_bad[:20]:
            print("  " + line)
    print("== per design and rule family (expected rule's family; fp by reported rule)")
    for (d, f), r in sorted(fam.items()):
        print("  %-13s %-9s exact %5d  alt %4d  wrong %4d  fn %4d  fp %4d" % (
            d, f, r["exact"], r["alt"], r["wrong"], r["fn"], r["fp"]))
    if altrules:
        print("== accepted alternates (rule equally true at that event / direct consequence)")
        for k, n in altrules.most_common():
            print("  %5d  %s" % (n, k))
    if wrongs:
        print("== wrong rules")
        for k, n in wrongs.most_common():
            print("  %5d  %s" % (n, k))
    if boundary:
        print("== analyzer deviation (--lenient-lost: not counted as failure): %d violations at the"
              " last event before a LOST marker on the same CPU were withdrawn (fn_boundary), e.g. %s"
              % (len(boundary), ", ".join(boundary[:3])))
    if report_bad:
        print("== traces trace-cmd report did not open cleanly: %d (first: %s)" % (len(report_bad), report_bad[0]))
    if failures:
        print("== failures (first 15; texts in %s/failures/, replay: tests/sim/accuracy.py --replay ID)"
              % a.work)
        for tid, res, rc, err in failures[:15]:
            why = []
            if res["fn"]:
                why.append("fn " + ",".join("0x%x:%s%s" % (e["root"], e["rule"],
                                                           " (listed in clock doubt)" if e in res["fn_doubt"] else "")
                                            for e in res["fn"]))
            if res["fp"]:
                why.append("fp " + ",".join("%s:%s" % (g["v"].get("root"), g["rule"]) for g in res["fp"]))
            if res["wrong"]:
                why.append("wrong " + ",".join("0x%x:%s->%s" % (e["root"], e["rule"], g) for e, g in res["wrong"]))
            if not res["rc_ok"]:
                why.append("exit %d%s" % (rc, (" (" + err[:300] + ")") if err else ""))
            if res["at_bad"]:
                why.append("event " + ",".join("%s:seq %s, not %s" % (e["rule"], q, e["at"]) for e, q in res["at_bad"]))
            if res["culprit_bad"]:
                why.append("cause " + ",".join("%s:seq %s, not %s" % (e["rule"], q, e["extra"]["cause"])
                                              for e, q in res["culprit_bad"]))
            if not all(res["cause"]):
                why.append("defunct cause not named")
            print("  %s: %s" % (tid, "; ".join(why) or "trace-cmd report"))
    print("== %d traces in %.0fs (%s, %d jobs)" % (ntr, el, "full" if a.full else "ci", a.jobs))
    print("accuracy: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
