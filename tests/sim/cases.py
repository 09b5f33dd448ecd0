#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Named synthetic cases in tests/data/synthetic/.

  cases.py --write                 (re)generate the committed cases
  cases.py --check ANALYZER WORK   check them: the text is reproducible from
                                   its ID; the committed .dat and a fresh
                                   gentrace .dat (current formats) open in
                                   trace-cmd report and the analyzer's JSON
                                   on both matches the truth

One case per (design, bug): the first trace, in depth-first schedule
order, of the named configuration whose truth matches the case's intent.
`v3-defunct-review` is the scenario from the review (issue 4 item 5): a
new root is created after the fast zap started and dropped (made defunct)
before the fast zap's zap loop reaches it; the fast zap then puts a
reference it was never gifted. The analyzer must report GIFT-UNGIFTED-PUT
on the fast zap's put and name, as cause, the task and call site of the
put that made the root defunct.

Hand-written cases (no `# rootsim` line, e.g. the `issue12-*` traces of
the era findings) carry their expectation in the text instead:
`# expect clean`, or one line per violated root
`# expect rule=RULE root=0xADDR at=SEQ [pid=PID] [caller=SYM]
[cause_pid=PID] [cause_caller=SYM]` (the offending event's seq, and the
task and call site of the culprit event and of its cause). `--write`
regenerates their .dat from the text.
"""

import glob

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import accuracy  # noqa: E402
import gentrace  # noqa: E402
import rootsim  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "data", "synthetic")


def names(sim):
    return [n for _, n, _ in sim.events]


def is_review(sim):
    ev = sim.events
    try:
        fz = next(i for i, (t, n, f) in enumerate(ev) if n == "kvm_mmu_zap_all_fast")
        al = next(i for i, (t, n, f) in enumerate(ev) if n == "kvm_tdp_mmu_root_alloc")
    except StopIteration:
        return False
    tr = rootsim.truth(sim)
    return al > fz and len(tr) == 1 and tr[0][2] == "GIFT-UNGIFTED-PUT" \
        and ev[sim.lives[0].truth[2]][0].kind == "fastzap"


def defunct_first(sim):
    """A root made defunct (last_put) before the first fast zap began."""
    ev = sim.events
    fz = next((i for i, (t, n, f) in enumerate(ev) if n == "kvm_mmu_zap_all_fast"), None)
    return fz is not None and any(n == "kvm_tdp_mmu_root_invalidate" and f["reason"] == 2
                                  for t, n, f in ev[:fz])


# name -> (design, bug, config, predicate on the sim)
CASES = {
    "gifted-clean": ("gifted", "none", "c1", lambda s: not rootsim.truth(s) and len(s.events) > 12),
    "gifted-iter-double-put": ("gifted", "iter-double-put", "c2",
                               lambda s: [x[2] for x in rootsim.truth(s)] == ["REF-PUT-UNOWNED"]),
    "gifted-missing-gifted-put": ("gifted", "missing-gifted-put", "c1",
                                  lambda s: [x[2] for x in rootsim.truth(s)] == ["GIFT-LEAK"]),
    "gifted-fastzap-early-return": ("gifted", "fastzap-early-return", "c1",
                                    lambda s: [x[2] for x in rootsim.truth(s)] == ["FASTZAP-INCOMPLETE"]),
    "gifted-put-before-zap": ("gifted", "put-before-zap", "c1",
                              lambda s: [x[2] for x in rootsim.truth(s)] == ["GIFT-PUT-BEFORE-ZAP"]),
    "gifted-get-at-zero": ("gifted", "get-at-zero", "c3",
                           lambda s: [x[2] for x in rootsim.truth(s)] == ["REF-GET-ZERO"]),
    "gifted-iter-leak": ("gifted", "iter-leak", "c2",
                         lambda s: [x[2] for x in rootsim.truth(s)] == ["ITER-LEAK"]),
    "async-worker-clean": ("async-worker", "none", "c1",
                           lambda s: not rootsim.truth(s) and "kvm_tdp_mmu_root_invalidate" in names(s)
                           and any(f.get("reason") == 2 for _, n, f in s.events)),
    "async-worker-queue-twice": ("async-worker", "queue-twice", "v2",
                                 lambda s: [x[2] for x in rootsim.truth(s)] == ["ROOT-REVALIDATE"]),
    "async-worker-free-valid": ("async-worker", "free-valid", "c1",
                                lambda s: [x[2] for x in rootsim.truth(s)] == ["ROOT-FREE-VALID"]),
    "async-worker-fastzap-gift-put": ("async-worker", "fastzap-gift-put", "c1",
                                      lambda s: [x[2] for x in rootsim.truth(s)] == ["GIFT-UNGIFTED-PUT"]),
    "async-worker-iter-leak": ("async-worker", "iter-leak", "c2",
                               lambda s: [x[2] for x in rootsim.truth(s)] == ["ITER-LEAK"]),
    "hybrid-clean": ("hybrid", "none", "v2",
                     lambda s: not rootsim.truth(s) and
                     any(f.get("reason") == 1 for _, n, f in s.events if n == "kvm_tdp_mmu_root_invalidate")
                     and any(f.get("ctx") == 2 for _, n, f in s.events if n == "kvm_tdp_mmu_root_zap_start")),
    "hybrid-fastzap-gift-put": ("hybrid", "fastzap-gift-put", "c1",
                                lambda s: [x[2] for x in rootsim.truth(s)] == ["GIFT-UNGIFTED-PUT"]),
    "v3-clean": ("v3", "none", "v2", lambda s: not rootsim.truth(s) and defunct_first(s)),
    "v3-review": ("v3", "none", "v1", lambda s: is_review(s)),
    "v3-defunct-clean": ("v3-defunct", "none", "v1", lambda s: not rootsim.truth(s)),
    "v3-defunct-review": ("v3-defunct", "none", "v1", is_review),
}


def find(design, bug, cfg, pred):
    for sched, sim in rootsim.explore(design, bug, accuracy.CONFIGS[cfg]):
        if pred(sim):
            return "%s/%s/%s/x%s" % (design, bug, cfg, ".".join(map(str, sched))), sim
    raise SystemExit("cases: no trace matches case %s/%s/%s" % (design, bug, cfg))


def text_for(name, tid, sim):
    d, b, c, s = accuracy.parse_id(tid)
    txt = rootsim.to_text(sim, tid, accuracy.CONFIGS[c].get("ncpus", 2))
    return txt.replace("# rootsim ", "# case %s\n# rootsim " % name, 1)


def hand_written():
    """Names of the hand-written cases (texts without a rootsim ID)."""
    out = []
    for p in sorted(glob.glob(os.path.join(OUT, "*.txt"))):
        with open(p) as fh:
            if not any(l.startswith("# rootsim ") for l in fh):
                out.append(os.path.basename(p)[:-4])
    return out


def expectations(text):
    """The `# expect` lines: None for clean, else [dict(rule, root, at, ...)]."""
    exp = []
    clean = False
    for l in text.splitlines():
        if not l.startswith("# expect"):
            continue
        kv = l[len("# expect"):].split()
        if kv == ["clean"]:
            clean = True
            continue
        exp.append(dict(x.split("=", 1) for x in kv))
    if clean == bool(exp):
        raise SystemExit("cases: a hand-written case needs either '# expect clean' or '# expect rule=...' lines")
    return None if clean else exp


def check_hand(name, analyzer, work, ok):
    p = os.path.join(OUT, name + ".txt")
    text = open(p).read()
    exp = expectations(text)
    meta, events = gentrace.parse_text(text, p)
    fresh = os.path.join(work, name + ".dat")
    gentrace.text_to_dat(text, fresh, src=p)
    for which, path in (("committed", p[:-4] + ".dat"), ("fresh", fresh)):
        rep = subprocess.run(["trace-cmd", "report", path], capture_output=True, text=True)
        ok(rep.returncode == 0 and not rep.stderr.strip() and
           sum(1 for l in rep.stdout.splitlines() if ": kvm" in l) == len(events),
           "%s: trace-cmd report on the %s .dat" % (name, which))
        r = subprocess.run([analyzer, "--json", path], capture_output=True, text=True)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {}
        got = [v for v in out.get("violations", []) if not v.get("clock_doubt")]
        if exp is None:
            ok(r.returncode == 0 and out.get("verdict") == "clean" and not got,
               "%s (%s .dat): expected clean, exit %d, %s" % (name, which, r.returncode,
                                                             [v.get("rule") for v in got]))
            continue
        ok(r.returncode == 1 and out.get("verdict") == "violations" and len(got) == len(exp),
           "%s (%s .dat): expected %d violations, exit %d, got %s" % (
               name, which, len(exp), r.returncode, [(v.get("root"), v.get("rule")) for v in got]))
        for e in exp:
            v = next((v for v in got if int(v.get("root", "0"), 16) == int(e["root"], 16)), {})
            ev = v.get("event") or {}
            cause = v.get("cause") or {}
            want = [("rule", v.get("rule"), e["rule"]), ("at", str(ev.get("seq")), e.get("at"))]
            want += [("pid", str(ev.get("pid")), e.get("pid")),
                     ("caller", str(ev.get("caller_sym", "")).split("+")[0], e.get("caller")),
                     ("cause_pid", str(cause.get("pid")), e.get("cause_pid")),
                     ("cause_caller", str(cause.get("caller_sym", "")).split("+")[0], e.get("cause_caller"))]
            bad = ["%s %s (expected %s)" % (k, g, w) for k, g, w in want if w is not None and g != w]
            ok(not bad, "%s (%s .dat) root %s: %s" % (name, which, e["root"], "; ".join(bad)))


def write():
    os.makedirs(OUT, exist_ok=True)
    for name in hand_written():
        p = os.path.join(OUT, name + ".txt")
        gentrace.text_to_dat(open(p).read(), p[:-4] + ".dat", src=p)
        print("%s: hand-written, %s" % (name, expectations(open(p).read()) or "clean"))
    for name, (d, b, c, pred) in CASES.items():
        tid, sim = find(d, b, c, pred)
        p = os.path.join(OUT, name + ".txt")
        with open(p, "w") as fh:
            fh.write(text_for(name, tid, sim))
        gentrace.text_to_dat(open(p).read(), p[:-4] + ".dat", src=p)
        print("%s: %s (%d events, truth %s)" % (name, tid, len(sim.events),
                                               [x[2] for x in rootsim.truth(sim)] or "clean"))
    return 0


def check(analyzer, work):
    os.makedirs(work, exist_ok=True)
    passed = failed = 0

    def ok(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL: " + what)

    for name in hand_written():
        check_hand(name, analyzer, work, ok)
    for name in CASES:
        p = os.path.join(OUT, name + ".txt")
        if not os.path.exists(p):
            ok(False, "%s: missing %s" % (name, p))
            continue
        text = open(p).read()
        tid = next(l.split()[2] for l in text.splitlines() if l.startswith("# rootsim "))
        sim = accuracy.sim_for_id(tid)
        ok(text_for(name, tid, sim) == text, "%s: regenerated from %s differs from the committed text" % (name, tid))
        meta, events = gentrace.parse_text(text, p)
        dat = p[:-4] + ".dat"
        fresh = os.path.join(work, name + ".dat")
        gentrace.text_to_dat(text, fresh, src=p)
        for which, path in (("committed", dat), ("fresh", fresh)):
            rep = subprocess.run(["trace-cmd", "report", path], capture_output=True, text=True)
            ok(rep.returncode == 0 and not rep.stderr.strip() and
               sum(1 for l in rep.stdout.splitlines() if ": kvm" in l) == len(events),
               "%s: trace-cmd report on the %s .dat" % (name, which))
        for which, path in (("committed", dat), ("fresh", fresh)):
            r = subprocess.run([analyzer, "--json", path], capture_output=True, text=True)
            try:
                out = json.loads(r.stdout)
            except ValueError:
                out = None
            res = accuracy.judge(sim, r.returncode, out)
            ok(res["ok"] and not res["alt"], "%s (%s .dat): analyzer exit %d, fp %s fn %s wrong %s alt %s" % (
                name, which, r.returncode, [g["rule"] for g in res["fp"]], [e["rule"] for e in res["fn"]],
                [g for e, g in res["wrong"]], [g for e, g in res["alt"]]))
        res = accuracy.judge(sim, r.returncode, out)
        ok(res["ok"] and not res["alt"], "%s: analyzer exit %d, fp %s fn %s wrong %s alt %s" % (
            name, r.returncode, [g["rule"] for g in res["fp"]], [e["rule"] for e in res["fn"]],
            [g for e, g in res["wrong"]], [g for e, g in res["alt"]]))
        ok(not res["at_bad"], "%s: offending event seq %s, expected %s" % (
            name, [s for e, s in res["at_bad"]], [e["at"] for e, s in res["at_bad"]]))
        if name in ("v3-defunct-review", "v3-review"):
            v = (out or {}).get("violations") or [{}]
            v = v[0]
            ev = v.get("event") or {}
            cause = v.get("cause") or {}
            dp = sim.lives[0].defunct_put
            ok(v.get("rule") == "GIFT-UNGIFTED-PUT" and ev.get("type") == "put" and ev.get("owner") == "zap"
               and ev.get("pid") == 3000 and str(ev.get("caller_sym", "")).startswith(
                   "kvm_tdp_mmu_zap_invalidated_roots"),
               "%s: violation is not the fast zap's zap put: %s" % (name, json.dumps(ev)[:300]))
            ok(cause.get("pid") == dp[0] and cause.get("comm") == dp[1] and
               str(cause.get("caller_sym", "")).startswith(dp[2]) and cause.get("type") == "put",
               "%s: cause does not name the defunct put %s: %s" % (name, dp, json.dumps(cause)[:300]))
    print("cases: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--write":
        sys.exit(write())
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    print("usage: cases.py --write | --check ANALYZER WORKDIR", file=sys.stderr)
    sys.exit(2)
