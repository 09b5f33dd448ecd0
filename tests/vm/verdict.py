#!/usr/bin/env python3
"""Compare one kvm-rootcheck --json result with its expect.tsv line.

usage: verdict.py EXPECT_TSV TRACE_BASENAME ACTUAL_EXIT JSON_FILE
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
"""
import json
import sys


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    tsv, name, rc, jpath = sys.argv[1:]
    exp = None
    with open(tsv) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols and cols[0] == name:
                exp = (cols + ["-", "-", "-"])[1:4]
    if exp is None:
        print(f"FAIL {name}: not listed in {tsv}")
        return 2
    e_rc, e_rules, e_site = exp
    try:
        with open(jpath) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {name}: analyzer exit {rc}, no JSON ({e})")
        return 1
    viol = d.get("violations", [])
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
    elif got:
        print(f"FAIL {name}: {desc}; expected no violations")
        return 1
    print(f"PASS {name}: {desc}")
    return 0


sys.exit(main())
