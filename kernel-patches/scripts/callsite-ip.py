#!/usr/bin/env python3
"""The call site each traced get/put passes is inside its own function.

Usage: callsite-ip.py OBJ CALLEE [-x PASS] [FUNC...]

In the object file OBJ (objdump -d -r), every function that calls or
tail-jumps to CALLEE (e.g. __kvm_tdp_mmu_put_root, behind the
kvm_tdp_mmu_put_root() macro that passes _THIS_IP_) must load, with a
RIP-relative lea of a .text address, an address inside itself: that is
the _THIS_IP_ of its call site, so the trace names it even when GCC turns
the call into a tail jump (ORC builds have no -fno-optimize-sibling-calls)
or inlines the caller. A function that reaches CALLEE with no such lea,
or with one pointing into another function, fails. -x PASS: a function
that passes on the call site it was given (tdp_mmu_next_root puts the
previous root with its caller's _THIS_IP_), not checked. FUNC...: functions
that must be among the callers (e.g. kvm_tdp_mmu_try_split_huge_pages,
whose early-exit put was a tail call named after its caller in v1).

Prints one line per calling function and "OK" or "FAIL" last; exit 0 for
OK, 1 for FAIL, 2 when objdump fails.
"""
import re
import subprocess
import sys

FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\t(.*)$")
RELOC = re.compile(r"^\s*([0-9a-f]+): (R_X86_64_\w+)\t(.*)$")


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: callsite-ip.py OBJ CALLEE [-x PASS] [FUNC...]\n")
        return 2
    obj, callee, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    passing = set()
    while len(rest) >= 2 and rest[0] == "-x":
        passing.add(rest[1])
        rest = rest[2:]
    need = set(rest)
    r = subprocess.run(["objdump", "-d", "-r", "--no-show-raw-insn", "-j", ".text", obj],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("callsite-ip: objdump: %s\n" % r.stderr.strip())
        return 2
    funcs, cur = [], None	# [name, start, [(addr, text, [reloc])]]
    for ln in r.stdout.splitlines():
        m = FUNC.match(ln)
        if m:
            cur = [m.group(2), int(m.group(1), 16), []]
            funcs.append(cur)
            continue
        if cur is None:
            continue
        m = RELOC.match(ln)
        if m and cur[2]:
            cur[2][-1][2].append(m.group(3))
            continue
        m = INSN.match(ln)
        if m:
            cur[2].append((int(m.group(1), 16), m.group(2).strip(), []))
    ends = [f[1] for f in funcs[1:]] + [1 << 62]
    bad, seen = 0, set()
    for (name, start, insns), end in zip(funcs, ends):
        if name == callee or name in passing:
            continue
        calls = [a for a, t, rl in insns
                 if t.split()[0] in ("call", "jmp") and
                 (t.endswith("<%s>" % callee) or any(x.startswith(callee + "-") for x in rl))]
        if not calls:
            continue
        seen.add(name)
        ips = []
        for a, t, rl in insns:
            if not (t.startswith("lea") and "(%rip)" in t):
                continue
            m = re.search(r"# ([0-9a-f]+) <", t)	# same section: resolved
            if m and not rl:
                ips.append(int(m.group(1), 16))
            for x in rl:
                m = re.match(r"^\.text([+-]0x[0-9a-f]+)$", x)
                if m:
                    ips.append(int(m.group(1), 16) + 4)	# PC32: addend = target - 4
        inside = [ip for ip in ips if start <= ip < end]
        outside = [ip for ip in ips if not start <= ip < end]
        kind = "tail jump" if any(t.startswith("jmp") for a, t, _ in insns if a in calls) else "call"
        if not inside or outside:
            bad += 1
            print("FAIL %s: %d %s(s) to %s, call-site addresses inside %s, outside %s" %
                  (name, len(calls), kind, callee, [hex(i) for i in inside], [hex(i) for i in outside]))
        else:
            print("ok   %s: %d %s(s) to %s, call site %s inside [%#x, %#x)" %
                  (name, len(calls), kind, callee, ", ".join(hex(i) for i in inside), start, end))
    for n in sorted(need - seen):
        bad += 1
        print("FAIL %s: does not reach %s in %s" % (n, callee, obj))
    if not seen:
        bad += 1
        print("FAIL no function of %s reaches %s" % (obj, callee))
    print("%s: %d functions reach %s, %d wrong" % ("OK" if not bad else "FAIL", len(seen), callee, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
