#!/usr/bin/env python3
"""Owner table check: every root reference call site of a patched tree
against the table in kernel-patches/README.md.

Usage: check-owners.py [--print | --selftest] KERNEL_TREE [README]

Lists, in arch/x86/kvm/mmu/*.[ch] of a tree patched with the series, every
call of
  - the get/put helpers: kvm_tdp_mmu_get_root(), __tdp_mmu_get_root(),
    kvm_tdp_mmu_put_root(), __kvm_tdp_mmu_put_root(), tdp_mmu_next_root();
  - the yield-safe root iterator macros (for_each_*tdp_mmu_root_yield_safe),
    whose references belong to the iterator;
  - the root tracepoints (trace_kvm_tdp_mmu_*, trace_kvm_mmu_zap_all_fast_done);
with the function (or macro) it is in and the owner it passes: the
KVM_TDP_MMU_ROOT_* constant among its arguments ("vcpu", "iter", "zap";
"iter->vcpu" for a handoff), "iter" for an iterator macro, "-" for none.
The multiset of (function, call, owner) must equal the rows of the table
between "<!-- owner-table vVER -->" and "<!-- end owner-table -->" in
README.md, VER being the tree's VERSION.PATCHLEVEL: a new call site, a
removed one or a different owner fails.

--print     print the rows found, in the table's format
--selftest  mutate copies of the tree (change an owner, add a call site,
            drop one) and require each mutant to be rejected
Exit 0 when they match, 1 when not, 2 on usage or unreadable input.
"""
import collections
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kptree  # noqa: E402
import tempfile

README_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
CALLS = re.compile(
    r"\b(kvm_tdp_mmu_get_root|__tdp_mmu_get_root|kvm_tdp_mmu_put_root|"
    r"__kvm_tdp_mmu_put_root|tdp_mmu_next_root|"
    r"(?:__)?for_each_(?:valid_)?tdp_mmu_root_yield_safe|"
    r"trace_kvm_tdp_mmu_root_\w+|trace_kvm_tdp_mmu_teardown|"
    r"trace_kvm_mmu_zap_all_fast_done)\s*\(")
OWNER = re.compile(r"\bKVM_TDP_MMU_ROOT_(VCPU|ITER|ZAP)\b")


def die(msg):
    print("check-owners: " + msg, file=sys.stderr)
    sys.exit(2)


def strip_comments(s):
    # keep line structure: replace comments by spaces/newlines
    s = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), s, flags=re.S)
    return re.sub(r"//[^\n]*", "", s)


def args_of(s, start):
    """s[start] == '('; return the text up to the matching parenthesis."""
    depth = 0
    for i in range(start, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return s[start + 1:i]
    return s[start + 1:]


def scopes(text):
    """Map each line number to the function or macro it belongs to."""
    lines = text.split("\n")
    scope = [None] * len(lines)
    cur = None
    in_macro = None
    pending = None
    for i, ln in enumerate(lines):
        if in_macro:
            scope[i] = in_macro
            if not ln.rstrip().endswith("\\"):
                in_macro = None
            continue
        m = re.match(r"#\s*define\s+(\w+)\(", ln)
        if m:
            scope[i] = m.group(1)
            if ln.rstrip().endswith("\\"):
                in_macro = m.group(1)
            continue
        if cur is None:
            head = re.findall(r"(\w+)\s*$", ln[:ln.index("(")]) if "(" in ln else []
            if re.match(r"[A-Za-z_]", ln) and head and \
               not ln.startswith(("typedef", "struct ", "enum ", "union ")):
                pending = head[0]
            elif not ln.strip():
                pending = None
            if ln.startswith("{") and pending:
                cur = pending
                pending = None
        if ln.startswith("}"):
            scope[i] = cur
            cur = None
            continue
        scope[i] = cur
    return scope


def collect(tree):
    mmu = os.path.join(tree, "arch", "x86", "kvm", "mmu")
    try:
        names = sorted(f for f in os.listdir(mmu) if f.endswith((".c", ".h")))
    except OSError as e:
        die("cannot read %s: %s" % (mmu, e))
    rows = collections.Counter()
    for f in names:
        if f == "mmutrace.h":
            continue	# the definitions of the events
        text = strip_comments(open(os.path.join(mmu, f)).read())
        sc = scopes(text)
        starts = [0]
        for ln in text.split("\n"):
            starts.append(starts[-1] + len(ln) + 1)
        for m in CALLS.finditer(text):
            call = m.group(1)
            line = text.count("\n", 0, m.start())
            fn = sc[line]
            head = text[starts[line]:m.start()]
            # definitions: "#define kvm_tdp_mmu_put_root(" and function heads
            # definitions and declarations are outside any function
            if re.match(r"\s*#\s*define\s*$", head) or fn == call or fn is None:
                continue
            args = args_of(text, m.end() - 1)
            owners = [o.lower() for o in OWNER.findall(args)]
            if call.startswith(("for_each", "__for_each")) or call == "tdp_mmu_next_root":
                owner = "iter"
            elif call == "trace_kvm_tdp_mmu_root_handoff":
                owner = "->".join(owners) or "-"
            else:
                owner = owners[0] if owners else "-"
            rows[(f, fn, call, owner)] += 1
    return rows


def tree_version(tree):
    try:
        return kptree.tree_version(tree)
    except (OSError, ValueError) as e:
        die("cannot tell the tree's version: %s" % e)


def table(readme, version):
    try:
        s = open(readme).read()
    except OSError as e:
        die("cannot read %s: %s" % (readme, e))
    m = re.search(r"<!-- owner-table v%s -->\n(.*?)<!-- end owner-table -->" % re.escape(version),
                  s, re.S)
    if not m:
        die("%s has no owner table for %s" % (readme, version))
    rows = collections.Counter()
    for ln in m.group(1).splitlines():
        cells = [c.strip().strip("`") for c in ln.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("file", "---"):
            continue
        n = int(cells[4]) if cells[4].isdigit() else 1
        rows[(cells[0], cells[1], cells[2], cells[3])] += n
    if not rows:
        die("the owner table for %s in %s is empty" % (version, readme))
    return rows


def fmt(rows):
    out = ["| file | function | call | owner | n |", "|---|---|---|---|---|"]
    for (f, fn, call, owner), n in sorted(rows.items()):
        out.append("| %s | `%s` | `%s` | %s | %d |" % (f, fn, call, owner, n))
    return "\n".join(out)


def compare(tree, readme):
    found = collect(tree)
    want = table(readme, tree_version(tree))
    problems = []
    for k in sorted(set(found) | set(want)):
        if found[k] != want[k]:
            problems.append("%s: %s() calls %s with owner %s: %d in the tree, %d in the table" % (
                k[0], k[1], k[2], k[3], found[k], want[k]))
    return problems, sum(found.values())


# (name, file, regex, replacement): each must make compare() fail.
MUTANTS = [
    ("owner changed at the vCPU put", "mmu.c",
     r"KVM_TDP_MMU_ROOT_VCPU\)", "KVM_TDP_MMU_ROOT_ITER)"),
    ("owner changed at the zapper's put", "tdp_mmu.c",
     r"(kvm_tdp_mmu_put_root\(kvm, root,(?: true,)? )KVM_TDP_MMU_ROOT_ZAP", r"\1KVM_TDP_MMU_ROOT_ITER"),
    ("new put call site", "tdp_mmu.c",
     r"(\nvoid kvm_tdp_mmu_zap_all\(struct kvm \*kvm\)\n\{\n)",
     r"\1\tkvm_tdp_mmu_put_root(kvm, NULL, KVM_TDP_MMU_ROOT_VCPU);\n"),
    ("tracepoint call dropped", "tdp_mmu.c",
     r"\n\s*trace_kvm_tdp_mmu_root_free\(kvm, root\);", ""),
]


def selftest(tree, readme):
    base, n = compare(tree, readme)
    if base:
        print("owners-selftest: the unmutated tree already fails (%d problems)" % len(base))
        return 1
    bad = 0
    for name, f, rx, repl in MUTANTS:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tree, "arch", "x86", "kvm", "mmu")
            dst = os.path.join(tmp, "arch", "x86", "kvm", "mmu")
            shutil.copytree(src, dst)
            shutil.copy(os.path.join(tree, "Makefile"), tmp)
            p = os.path.join(dst, f)
            text = open(p).read()
            new, k = re.subn(rx, repl, text, count=1)
            if not k:
                print("owners-selftest: MISSED %s (pattern not found)" % name)
                bad += 1
                continue
            open(p, "w").write(new)
            probs, _ = compare(tmp, readme)
            if probs:
                print("owners-selftest: rejected %s: %s" % (name, probs[0]))
            else:
                print("owners-selftest: MISSED %s" % name)
                bad += 1
    print("owners-selftest: %d of %d mutants rejected" % (len(MUTANTS) - bad, len(MUTANTS)))
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    mode = None
    if args[:1] in (["--print"], ["--selftest"]):
        mode = args.pop(0)
    if len(args) not in (1, 2):
        print("usage: check-owners.py [--print|--selftest] KERNEL_TREE [README]", file=sys.stderr)
        sys.exit(2)
    tree = args[0]
    readme = args[1] if len(args) == 2 else README_DEFAULT
    if mode == "--print":
        print(fmt(collect(tree)))
        return
    if mode == "--selftest":
        sys.exit(selftest(tree, readme))
    problems, n = compare(tree, readme)
    for p in problems:
        print("owners: " + p)
    print("owners: %d call sites in v%s checked against the owner table, %d problems" % (
        n, tree_version(tree), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
