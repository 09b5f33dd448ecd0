#!/usr/bin/env python3
"""Compare one kvm-rootcheck --json result with its expect.tsv line.

usage: verdict.py EXPECT_TSV TRACE_BASENAME ACTUAL_EXIT JSON_FILE [DMESG]
Prints one line "PASS ..." or "FAIL ..."; exit 0 on PASS, 1 on FAIL,
2 when the trace is not listed in EXPECT_TSV.

The one judgement of expect.tsv (tests/vm/vm-test.sh and tests/cli/run.sh
both use it). Columns: file, exit, rules, site. rules '-': no violation;
else the acceptable rule IDs separated by '|': at least one violation, and
every violation of an acceptable rule (a report that also names a wrong
rule is a false alarm, not a pass). site '-': any; else the function the
injected bug is in: the event or the cause of some violation was called
from exactly that function (caller_sym "FUNC+0x..", or a gcc partition
of it such as "FUNC.cold+0x..").
culprit (fifth column, optional) '-': not checked; 'event' or 'cause':
that event of some acceptable violation is the very event the injected
bug's kernel named in DMESG ("injected bug N culprit: pid=P cpu=C
root=R ts=T event=before|after", tdp_mmu.c of kernel-patches/inject):
the same task and root, and a timestamp at most CULPRIT_WINDOW_NS before
T (event=before) or after it (event=after): T is the trace clock read
next to that event in its task's program order, with preemption off.
A later or earlier event of the same task on the same root is outside
that side of T. Without the line in DMESG the check fails.
"""
import json
import re
import sys

CULPRIT_WINDOW_NS = 20_000_000
CULPRIT_RE = re.compile(r"injected bug (\d+) culprit: pid=(\d+) cpu=(\d+) root=([0-9a-f]+) ts=(\d+) event=(before|after)")


def culprit_line(path):
    """The kernel's culprit line in a dmesg file, as a dict, or None."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = CULPRIT_RE.search(line)
                if m:
                    return {"bug": int(m[1]), "pid": int(m[2]), "cpu": int(m[3]),
                            "root": int(m[4], 16), "ts": int(m[5]),
                            "after": m[6] == "after"}
    except OSError:
        return None
    return None


def names_culprit(v, which, want):
    ev = v.get(which) or {}
    try:
        gap = int(ev.get("ts", -1)) - want["ts"]
        if not want["after"]:
            gap = -gap
        return (int(ev.get("pid", -1)) == want["pid"] and
                int(str(ev.get("root", "0")), 16) == want["root"] and
                0 <= gap <= CULPRIT_WINDOW_NS)
    except ValueError:
        return False


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    tsv, name, rc, jpath = sys.argv[1:5]
    dmesg = sys.argv[5] if len(sys.argv) == 6 else None
    exp = None
    with open(tsv) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols and cols[0] == name:
                exp = (cols + ["-", "-", "-", "-"])[1:5]
    if exp is None:
        print(f"FAIL {name}: not listed in {tsv}")
        return 2
    e_rc, e_rules, e_site, e_culprit = exp
    try:
        with open(jpath) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {name}: analyzer exit {rc}, no JSON ({e})")
        return 1
    # violations in clock doubt are listed as possible ones only
    viol = [v for v in d.get("violations", []) if not v.get("clock_doubt")]
    got = sorted({v.get("rule", "?") for v in viol})
    desc = f"exit {rc} rules {','.join(got) or '-'}"
    if str(rc) != e_rc:
        print(f"FAIL {name}: {desc}; expected exit {e_rc} rules {e_rules}")
        return 1
    if e_rules != "-":
        want = set(e_rules.split("|"))
        hits = [v for v in viol if v.get("rule") in want]
        if not hits:
            print(f"FAIL {name}: {desc}; expected one of {e_rules}")
            return 1
        if len(hits) != len(viol):
            print(f"FAIL {name}: {desc}; expected only {e_rules}")
            return 1
        if e_site != "-":
            def syms(v):
                out = []
                for k in ("event", "cause"):
                    ev = v.get(k) or {}
                    out.append(str(ev.get("caller_sym", "")))
                return out
            # site: the function exactly; "a&b": one violation names each
            # part (its event or its cause); "a|b" inside a part: either
            def named(v):
                # gcc's partitions of a function (FUNC.cold, FUNC.part.0,
                # FUNC.isra.0, ...: distribution-built modules have them)
                # are that function
                fns = [x.split("+")[0].split(".")[0] for x in syms(v)]
                return all(any(alt in fns for alt in part.split("|"))
                           for part in e_site.split("&"))
            if not any(named(v) for v in hits):
                seen = sorted({s for v in hits for s in syms(v) if s})
                print(f"FAIL {name}: {desc}; no {e_rules} violation at {e_site} (sites: {', '.join(seen) or 'none'})")
                return 1
            desc += f" at {e_site}"
        if e_culprit != "-":
            want = culprit_line(dmesg) if dmesg else None
            if want is None:
                print(f"FAIL {name}: {desc}; no 'injected bug N culprit:' line in {dmesg or 'no dmesg given'}")
                return 1
            good = [v for v in hits if names_culprit(v, e_culprit, want)]
            if not good:
                seen = "; ".join(
                    f"{v.get('rule')} {e_culprit} pid {(v.get(e_culprit) or {}).get('pid')} "
                    f"ts {(v.get(e_culprit) or {}).get('ts')}" for v in hits)
                print(f"FAIL {name}: {desc}; no violation's {e_culprit} is the culprit "
                      f"(pid {want['pid']} root {want['root']:x} ts {want['ts']}): {seen}")
                return 1
            ev = good[0][e_culprit]
            desc += (f", {e_culprit} = the culprit (pid {want['pid']}, "
                     f"{ev.get('type')} at {ev.get('caller_sym') or '-'}, "
                     f"{(int(ev.get('ts')) - want['ts']) / 1000:+.0f} us)")
    elif got:
        print(f"FAIL {name}: {desc}; expected no violations")
        return 1
    print(f"PASS {name}: {desc}")
    return 0


sys.exit(main())
