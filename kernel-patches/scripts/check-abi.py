#!/usr/bin/env python3
"""Check a patched kernel tree against the kvmmmu event ABI (docs/events.md).

Usage: check-abi.py [--selftest] KERNEL_TREE [EVENTS_MD]

Parses arch/x86/kvm/mmu/mmutrace.h (TRACE_EVENT, DECLARE_EVENT_CLASS,
DEFINE_EVENT) and the enums in arch/x86/kvm/mmu/*.h, and checks, for each
of the events of the current ABI in docs/events.md (the text before the
heading "## ABI v1"; an event documented as "(6.12 only)" is expected only
in a 6.12 tree and must be absent from others):
  - the event exists in TRACE_SYSTEM kvmmmu;
  - its fields have the documented names, types and order;
  - its TP_printk prints the documented keys in the documented order, each
    with a conversion that matches the documented sample (hex, 0x-hex,
    decimal, %pS symbol, symbolic name);
  - symbolic fields map each documented value to the documented name, and
    every enum constant used there is exported with TRACE_DEFINE_ENUM (or
    is a literal number), so that the format file has resolvable numbers.
Prints one line per problem and a summary; exit 0 if clean, 1 if not,
2 on usage or unreadable input.

--selftest: check that the checker itself catches deviations: mutate
copies of the tree's mmu/*.h (rename an event, change a field type or
order, a printk conversion, enum names or values, drop TRACE_DEFINE_ENUM)
and require every mutant to be rejected with the expected problem.
"""
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kptree  # noqa: E402

DOCS_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "docs", "events.md")


def die(msg):
    print("check-abi: " + msg, file=sys.stderr)
    sys.exit(2)


def strip_comments(s):
    s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
    return re.sub(r"//[^\n]*", " ", s)


def balanced(s, start):
    """s[start] == '('; return the text inside the matching parentheses."""
    depth = 0
    i = start
    in_str = False
    while i < len(s):
        c = s[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return s[start + 1:i]
        i += 1
    raise ValueError("unbalanced parentheses")


def split_args(s):
    """Split a macro argument list at top-level commas."""
    out, depth, cur, in_str, i = [], 0, "", False, 0
    while i < len(s):
        c = s[i]
        if in_str:
            cur += c
            if c == "\\":
                cur += s[i + 1]
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            cur += c
        elif c in "({[":
            depth += 1
            cur += c
        elif c in ")}]":
            depth -= 1
            cur += c
        elif c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def macro_calls(s, name):
    for m in re.finditer(r"\b" + name + r"\s*\(", s):
        yield balanced(s, m.end() - 1)


def find_sub(body, name):
    m = re.search(r"\b" + name + r"\s*\(", body)
    return balanced(body, m.end() - 1) if m else None


def parse_event_body(args):
    """args: [name, TP_PROTO, TP_ARGS, TP_STRUCT__entry, TP_fast_assign, TP_printk]"""
    body = ",".join(args[1:])
    entry = find_sub(body, "TP_STRUCT__entry") or ""
    fields = []
    for m in re.finditer(r"\b__field(?:_struct)?\s*\(", entry):
        a = split_args(balanced(entry, m.end() - 1))
        fields.append((" ".join(a[0].split()), a[1]))
    printk = find_sub(body, "TP_printk")
    fmt, pargs = None, []
    if printk is not None:
        pa = split_args(printk)
        fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', pa[0]))
        pargs = pa[1:]
    return fields, fmt, pargs


def parse_kernel(tree):
    mmu = os.path.join(tree, "arch", "x86", "kvm", "mmu")
    try:
        trace = open(os.path.join(mmu, "mmutrace.h")).read()
    except OSError as e:
        die("cannot read mmutrace.h: %s" % e)
    headers = ""
    for f in sorted(os.listdir(mmu)):
        if f.endswith(".h"):
            headers += open(os.path.join(mmu, f)).read() + "\n"
    trace = strip_comments(trace)
    headers = strip_comments(headers)
    if not re.search(r"#define\s+TRACE_SYSTEM\s+kvmmmu\b", trace):
        die("mmutrace.h does not define TRACE_SYSTEM kvmmmu")

    events, classes = {}, {}
    for inner in macro_calls(trace, "TRACE_EVENT"):
        a = split_args(inner)
        events[a[0].strip()] = parse_event_body(a)
    for inner in macro_calls(trace, "DECLARE_EVENT_CLASS"):
        a = split_args(inner)
        classes[a[0].strip()] = parse_event_body(a)
    for inner in macro_calls(trace, "DEFINE_EVENT"):
        a = split_args(inner)
        cls, name = a[0].strip(), a[1].strip()
        if cls in classes:
            events[name] = classes[cls]

    # Enum constants and their values, from every header in mmu/.
    consts = {}
    for body in re.findall(r"\benum\s+\w+\s*\{(.*?)\}", headers, re.S):
        val = -1
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            m = re.match(r"(\w+)\s*(?:=\s*(.+))?$", item, re.S)
            if not m:
                continue
            if m.group(2) is not None:
                try:
                    val = int(m.group(2).strip(), 0)
                except ValueError:
                    val = None
            else:
                val = None if val is None else val + 1
            consts[m.group(1)] = val
    exported = set(re.findall(r"\bTRACE_DEFINE_ENUM\s*\(\s*(\w+)\s*\)", trace))

    # Symbol tables behind helper macros: #define show_x(v) __print_symbolic(v, ...)
    helpers = {}
    for m in re.finditer(r"#define\s+(\w+)\s*\(\s*(\w+)\s*\)((?:[^\n]*\\\n)*[^\n]*)", trace):
        text = m.group(3).replace("\\\n", " ")
        ps = re.search(r"__print_symbolic\s*\(", text)
        if ps:
            helpers[m.group(1)] = split_args(balanced(text, ps.end() - 1))[1:]
    return events, consts, exported, helpers


def parse_docs(path):
    try:
        s = open(path).read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e))
    s = s.split("\n## ABI v1", 1)[0]
    enums = {}
    for m in re.finditer(r"^\|\s*(owner|reason|ctx)\s*\|\s*(\d+)\s*\|\s*`(\w+)`", s, re.M):
        enums.setdefault(m.group(1), {})[int(m.group(2))] = m.group(3)
    events = {}
    only = {}
    for m in re.finditer(r"^\|\s*`(\w+)`\s*\|\s*`([^`]*)`\s*\|([^\n]*)$", s, re.M):
        fields = []
        for f in m.group(2).split(","):
            parts = f.split()
            fields.append((" ".join(parts[:-1]), parts[-1]))
        events[m.group(1)] = fields
        v = re.search(r"\((\d+\.\d+) only\)", m.group(3))
        if v:
            only[m.group(1)] = v.group(1)
    samples = {}
    block = re.search(r"## TP_printk output.*?```\n(.*?)```", s, re.S)
    if block:
        for line in block.group(1).splitlines():
            m = re.match(r"(\w+):\s+(.*)$", line.strip())
            if m:
                samples[m.group(1)] = re.findall(r"(\w+) (\S+)", m.group(2))
    if len(events) < 9 or not enums or not samples:
        die("could not parse the event tables of %s" % path)
    return events, enums, samples, only


def tree_version(tree):
    try:
        return kptree.tree_version(tree)
    except (OSError, ValueError) as e:
        die("cannot tell the tree's version: %s" % e)


def value_class(v, kind_names):
    if v in kind_names:
        return "sym"
    if re.fullmatch(r"0x[0-9a-f]+", v):
        return "0xhex"
    if re.fullmatch(r"\d+", v):
        return "dec"
    if re.fullmatch(r"[0-9a-f]*[a-f][0-9a-f]*", v):
        return "hex"
    if re.fullmatch(r"\w+\+0x[0-9a-f]+(?:/0x[0-9a-f]+)?", v):
        return "ksym"
    return "?"


CONV = {
    "hex": r"%(?:ll|l)?x",
    "0xhex": r"(?:0x%(?:ll|l)?x|%#(?:ll|l)?x)",
    "dec": r"%(?:ll|l|h|hh)?[ud]",
    "ksym": r"%p[sS]",
    "sym": r"%s",
}


def check(tree, docs):
    """Return the list of ABI problems of the kernel tree."""
    d_events, d_enums, d_samples, d_only = parse_docs(docs)
    k_events, consts, exported, helpers = parse_kernel(tree)
    version = tree_version(tree)
    all_names = set()
    for kind in d_enums.values():
        all_names.update(kind.values())

    problems = []
    for ev, d_fields in d_events.items():
        if ev in d_only and d_only[ev] != version:
            if ev in k_events:
                problems.append("%s: documented as %s only, present in %s" % (
                    ev, d_only[ev], version))
            continue
        if ev not in k_events:
            problems.append("%s: event missing from mmutrace.h" % ev)
            continue
        fields, fmt, pargs = k_events[ev]
        norm = [(re.sub(r"^__(u|s)(\d+)$", r"\1\2", t), n) for t, n in fields]
        if norm != d_fields:
            problems.append("%s: fields %s, documented %s" % (
                ev, ", ".join("%s %s" % f for f in norm),
                ", ".join("%s %s" % f for f in d_fields)))
        sample = d_samples.get(ev)
        if sample is None:
            problems.append("%s: no TP_printk sample in docs" % ev)
            continue
        if fmt is None:
            problems.append("%s: no TP_printk" % ev)
            continue
        keys = re.findall(r"(\w+) (%[^ ]*)", fmt)
        if [k for k, _ in keys] != [k for k, _ in sample]:
            problems.append("%s: TP_printk keys %s, documented %s" % (
                ev, " ".join(k for k, _ in keys), " ".join(k for k, _ in sample)))
            continue
        conv_args = {}
        convs = re.findall(r"%[-#0-9.]*(?:ll|l|h|hh|z)?(?:p[sSF]?|[a-zA-Z])", fmt)
        if len(convs) == len(pargs):
            for (k, _), a in zip(keys, pargs):
                conv_args[k] = a
        for (k, spec), (_, v) in zip(keys, sample):
            cls = value_class(v, all_names)
            if cls == "?" or not re.fullmatch(CONV[cls], spec):
                problems.append("%s: %s printed as '%s', documented like '%s'" % (ev, k, spec, v))
            if cls != "sym":
                continue
            kind = {"owner": "owner", "from": "owner", "to": "owner",
                    "reason": "reason", "ctx": "ctx"}.get(k)
            arg = conv_args.get(k, "")
            table = None
            m = re.match(r"(\w+)\s*\(\s*__entry->" + k + r"\s*\)$", arg)
            if m and m.group(1) in helpers:
                table = helpers[m.group(1)]
            m = re.match(r"__print_symbolic\s*\(", arg)
            if m:
                table = split_args(balanced(arg, m.end() - 1))[1:]
            if table is None or kind not in d_enums:
                problems.append("%s: %s is not printed with __print_symbolic" % (ev, k))
                continue
            got = {}
            for ent in table:
                em = re.match(r'\{\s*([\w]+)\s*,\s*"([^"]*)"\s*\}$', ent.strip())
                if not em:
                    problems.append("%s: cannot parse symbol entry %s" % (ev, ent))
                    continue
                sym, name = em.group(1), em.group(2)
                if re.fullmatch(r"\d+|0x[0-9a-fA-F]+", sym):
                    val = int(sym, 0)
                else:
                    val = consts.get(sym)
                    if val is None:
                        problems.append("%s: %s: value of %s unknown" % (ev, k, sym))
                        continue
                    if sym not in exported:
                        problems.append("%s: %s: %s lacks TRACE_DEFINE_ENUM, format file would not resolve it" % (ev, k, sym))
                got[val] = name
            if got != d_enums[kind]:
                problems.append("%s: %s symbols %s, documented %s" % (
                    ev, k, sorted(got.items()), sorted(d_enums[kind].items())))
    n = len([e for e in d_events if e not in d_only or d_only[e] == version])
    return problems, n


# Mutations for --selftest: (name, regex, replacement, expected problem text).
# Each must turn the (correct) patched headers into a tree that check()
# rejects with a problem containing the expected text.
MUTANTS = [
    ("event renamed", r"\bkvm_tdp_mmu_root_free\b", "kvm_tdp_mmu_root_freed",
     "kvm_tdp_mmu_root_free: event missing"),
    ("field type changed", r"__field\(\s*int\s*,\s*old\s*\)", "__field(u32, old)",
     "kvm_tdp_mmu_root_get: fields"),
    ("field renamed", r"__field\(\s*(?:__)?u8\s*,\s*reason\s*\)", "__field(u8, why)",
     "kvm_tdp_mmu_root_invalidate: fields"),
    ("fields reordered",
     r"(__field\(\s*(?:__)?u64\s*,\s*kvm\s*\)\s*\\?\s*)(__field\(\s*(?:__)?u64\s*,\s*root\s*\))",
     r"\2 \1", "fields"),
    ("decimal printed as hex", r"old %d", "old %x", "old printed as '%x'"),
    ("keys reordered", r"owner %s caller %pS", "caller %pS owner %s", "TP_printk keys"),
    ("owner names swapped", r'"iter"', '"vcpu"', "owner symbols"),
    ("reason name changed", r'"teardown"', '"tear_down"', "reason symbols"),
    ("owner value changed", r"(KVM_TDP_MMU_ROOT_ITER,)", r"\1 KVM_TDP_MMU_ROOT_EXTRA,",
     "owner symbols"),
    ("TRACE_DEFINE_ENUM dropped", r"TRACE_DEFINE_ENUM\(\s*KVM_TDP_MMU_ROOT_ITER\s*\);", "",
     "lacks TRACE_DEFINE_ENUM"),
    # (only for a tree other than 6.12: the 6.12-only event must be absent)
    ("6.12-only event in another tree", r"\bkvm_tdp_mmu_root_free\b",
     "kvm_tdp_mmu_root_handoff", "documented as 6.12 only", "!6.12"),
]


def selftest(tree, docs):
    import shutil
    import tempfile
    src = os.path.join(tree, "arch", "x86", "kvm", "mmu")
    base, n = check(tree, docs)
    if base:
        print("abi-selftest: the unmutated tree already has %d problems" % len(base))
        return 1
    bad = 0
    skipped = 0
    version = tree_version(tree)
    for mutant in MUTANTS:
        name, rx, repl, expect = mutant[:4]
        if len(mutant) > 4 and mutant[4] == "!" + version:
            print("abi-selftest: SKIP %s (not for %s)" % (name, version))
            skipped += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, "arch", "x86", "kvm", "mmu")
            os.makedirs(dst)
            shutil.copy(os.path.join(tree, "Makefile"), tmp)
            changed = 0
            for f in os.listdir(src):
                if not f.endswith(".h"):
                    continue
                text = open(os.path.join(src, f)).read()
                new, k = re.subn(rx, repl, text, count=1 if "reordered" in name else 0)
                changed += k
                open(os.path.join(dst, f), "w").write(new)
            if not changed:
                # e.g. a series that prints literal enum values
                print("abi-selftest: SKIP %s (pattern not in this series)" % name)
                skipped += 1
                continue
            probs, _ = check(tmp, docs)
            hit = [p for p in probs if expect in p]
            if hit:
                print("abi-selftest: rejected %s: %s" % (name, hit[0]))
            else:
                print("abi-selftest: MISSED %s (problems: %s)" % (name, probs or "none"))
                bad += 1
    total = len(MUTANTS) - skipped
    print("abi-selftest: %d of %d mutants rejected, %d not applicable" % (
        total - bad, total, skipped))
    return 1 if bad or total == 0 else 0


def main():
    args = sys.argv[1:]
    st = args[:1] == ["--selftest"]
    if st:
        args = args[1:]
    if len(args) not in (1, 2):
        print("usage: check-abi.py [--selftest] KERNEL_TREE [EVENTS_MD]", file=sys.stderr)
        sys.exit(2)
    tree = args[0]
    docs = args[1] if len(args) == 2 else DOCS_DEFAULT
    if st:
        sys.exit(selftest(tree, docs))
    problems, n = check(tree, docs)
    for p in problems:
        print("abi: " + p)
    print("abi: %d events checked against %s, %d problems" % (
        n, os.path.relpath(docs), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
