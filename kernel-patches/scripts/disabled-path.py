#!/usr/bin/env python3
"""What a function executes while its tracepoints are off.

Usage: disabled-path.py [--enabled] OBJ FUNC

Disassembles FUNC in the object file OBJ (objdump -d -r) and walks its
control flow from the entry, with every static branch whose key is a
tracepoint (an entry of __jump_table keyed on __tracepoint_*) in its
disabled state: the fall-through of its 5-byte NOP (objtool turns the
JMP that GCC emits into that NOP). Conditional branches are followed both
ways, unconditional ones to their target; ret, ud2, an indirect jump and a
tail call (a jump with a relocation) end a path.

Prints the reachable instructions in address order, then one line:
  OK: ...          nothing of the tracepoints is reachable
  FAIL: ...        a call into the tracing code, or __pa() arithmetic,
                   is reachable with tracing off
Exit 0 for OK, 1 for FAIL, 2 when FUNC is not in OBJ (inlined) or objdump
fails.

--enabled walks the same code with the tracepoints on (each static branch
taken): the control that the walk does reach the tracing code when it is
live, so that an OK above is not the walk missing it.
"""
import re
import subprocess
import sys

INSN = re.compile(r"^\s*([0-9a-f]+):\t(.*)$")
RELOC = re.compile(r"^\s*([0-9a-f]+): (R_X86_64_\w+)\t(.*)$")
TARGET = re.compile(r"^(j\w+|call|notrack jmp)\s+([0-9a-f]+) <")
TRACING = re.compile(r"__traceiter_|__SCT__tp_func|trace_event_|perf_trace|"
                     r"__bpf_trace|<trace_kvm_|__tracepoint_")
PA = re.compile(r"page_offset_base|phys_base|vmemmap_base|__phys_addr")


def objdump(args):
    r = subprocess.run(["objdump"] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("disabled-path: objdump %s: %s\n" % (" ".join(args), r.stderr.strip()))
        sys.exit(2)
    return r.stdout


def function(obj, func):
    """[(addr, text, [reloc...])] of FUNC, in address order."""
    out, cur = [], None
    for ln in objdump(["-d", "-r", "--no-show-raw-insn", obj]).splitlines():
        if ln.endswith(">:"):
            if cur is not None:
                break
            if ln.split()[-1] == "<%s>:" % func:
                cur = out
            continue
        if cur is None:
            continue
        if not ln.strip():
            break
        m = RELOC.match(ln)
        if m and cur:
            cur[-1][2].append(m.group(3))
            continue
        m = INSN.match(ln)
        if m:
            cur.append((int(m.group(1), 16), m.group(2).strip(), []))
    return out


def tracepoint_sites(obj):
    """{.text address: branch target} of the static branches keyed on a
    tracepoint (struct jump_entry: s32 code, s32 target, long key)."""
    code, target, key = {}, {}, {}
    for ln in objdump(["-r", "-j", "__jump_table", obj]).splitlines():
        f = ln.split()
        if len(f) != 3 or not re.match(r"^[0-9a-f]+$", f[0]):
            continue
        off, val = int(f[0], 16), f[2]
        ent, field = divmod(off, 16)
        m = re.match(r"^\.text\+0x([0-9a-f]+)$", val)
        if field == 0 and m:
            code[ent] = int(m.group(1), 16)
        elif field == 4 and m:
            target[ent] = int(m.group(1), 16)
        elif field == 8:
            key[ent] = val
    return {a: target.get(e) for e, a in code.items()
            if key.get(e, "").startswith("__tracepoint_")}


def main():
    args = sys.argv[1:]
    enabled = bool(args) and args[0] == "--enabled"
    if enabled:
        args = args[1:]
    if len(args) != 2:
        sys.stderr.write("usage: disabled-path.py [--enabled] OBJ FUNC\n")
        return 2
    obj, func = args
    insns = function(obj, func)
    if not insns:
        print("%s: not out of line in %s" % (func, obj))
        return 2
    sites = tracepoint_sites(obj)
    index = {a: i for i, (a, _, _) in enumerate(insns)}
    seen, todo = set(), [0]
    while todo:
        i = todo.pop()
        while i is not None and i < len(insns) and i not in seen:
            seen.add(i)
            addr, text, relocs = insns[i]
            op = text.split()[0] if text else ""
            nxt = i + 1
            if addr in sites and not enabled:	# disabled static branch: NOP
                i = nxt
                continue
            if op in ("ret", "retq", "ud2", "int3") or text.startswith("lock ud2"):
                break
            m = TARGET.match(text)
            if addr in sites:			# enabled static branch: taken
                i = index.get(sites[addr]) if sites[addr] is not None else None
                continue
            if op == "jmp" or op.startswith("jmp"):
                if relocs or not m:		# tail call or indirect jump
                    break
                i = index.get(int(m.group(2), 16))
                continue
            if op.startswith("j") and m:	# conditional: both ways
                if not relocs:
                    t = index.get(int(m.group(2), 16))
                    if t is not None:
                        todo.append(t)
            i = nxt
    bad_tr, bad_pa = [], []
    for i in sorted(seen):
        addr, text, relocs = insns[i]
        line = "%6x:\t%s%s" % (addr, text, "".join("  <" + r + ">" for r in relocs))
        if addr in sites:
            line += "   [tracepoint static branch: %s]" % ("taken" if enabled else "NOP")
        print(line)
        both = text + " " + " ".join(relocs)
        if TRACING.search(both):
            bad_tr.append(addr)
        if PA.search(both):
            bad_pa.append(addr)
    if not sites:
        print("FAIL: %s: no tracepoint static branch in %s (CONFIG_JUMP_LABEL off?)" % (func, obj))
        return 1
    if bad_tr:
        print("FAIL: %s: tracepoint code reachable with tracing %s at %s" %
              (func, "on" if enabled else "off", ", ".join("%x" % a for a in bad_tr)))
        return 1
    if bad_pa:
        print("FAIL: %s: __pa() arithmetic reachable with tracing off at %s" %
              (func, ", ".join("%x" % a for a in bad_pa)))
        return 1
    n = len([a for a in sites if a in {insns[i][0] for i in seen}])
    print("OK: %s: %d reachable instructions with tracing off, %d tracepoint static "
          "branch(es) as NOPs, no tracing code and no __pa() on the path" % (func, len(seen), n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
