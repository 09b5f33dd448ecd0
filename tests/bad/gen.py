#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen: the bad-input corpus of issue 10, made from scratch (no binaries).

Usage: gen.py OUTDIR

Writes OUTDIR/<case>.dat (and formats directories) for every trace-file
case of tests/bad/cases.tsv. Traces come from tests/sim/gentrace.py (a
clean multi-page base: the CLI fixture's two VMs, 40 times over, on two
CPUs), then are damaged at byte level where the case says so. The real
v7 (zstd) trace case applies a fixed mutation to a file of tests/data.
"""
import hashlib
import os
import re
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "sim"))
import gentrace  # noqa: E402

PAGE = 4096
CPUSTAT = 2


def base_text(copies=40, header="#! kernel=6.12.117 clock=global ncpus=2"):
    """The clean fixture, `copies` times, each with its own VMs and roots."""
    src = open(os.path.join(REPO, "tests", "fixtures", "cli_clean.txt")).read()
    lines = [l for l in src.splitlines() if l and not l.startswith("#")]
    out = [header]
    for k in range(copies):
        for l in lines:
            tok = l.split()
            tok[0] = str(int(tok[0]) + 10000 * k)
            l2 = " ".join(tok)
            l2 = re.sub(r"kvm=0xffff8880(\w{2})", lambda m: "kvm=0xffff88%02x%s" % (0x80 + k, m.group(1)), l2)
            l2 = re.sub(r"root=0x(\w+)", lambda m: "root=0x%x" % (int(m.group(1), 16) + 0x100000000 * (k + 1)), l2)
            out.append(l2)
    return "\n".join(out) + "\n"


def write_text(path, text, formats=None):
    gentrace.text_to_dat(text, path, formats)


def fly_table(d, ncpus=2):
    """(offset, size) per CPU of a v6 file."""
    i = d.index(b"flyrecord\0") + len(b"flyrecord\0")
    return [struct.unpack_from("<QQ", d, i + 16 * c) for c in range(ncpus)]


def data_pages(d):
    pages = []
    for off, size in fly_table(d):
        pages += [off + p for p in range(0, size, PAGE)]
    return pages


def with_cpustat(d, entries):
    """Insert a CPUSTAT option per CPU, taking the room from the padding
    before the page-aligned data so that no offset moves."""
    d = bytearray(d)
    fly = d.index(b"flyrecord\0")
    opts = b""
    for cpu, n in enumerate(entries):
        text = ("CPU: %d\nentries: %d\noverrun: 0\ncommit overrun: 0\n"
                "dropped events: 0\nread events: 0\n" % (cpu, n)).encode() + b"\0"
        opts += struct.pack("<HI", CPUSTAT, len(text)) + text
    table_end = fly + len(b"flyrecord\0") + 16 * 2
    first = min(o for o, s in fly_table(d) if s)
    assert first - table_end >= len(opts), "no room for CPUSTAT"
    # options end with a 2-byte 0 right before "flyrecord"
    d[fly - 2:fly - 2] = opts
    del d[first:first + len(opts)]
    return bytes(d)


def page_records(d, page):
    """Data records of a whole little-endian 64-bit page (gentrace's)."""
    size = commit_of(d, page) & ((1 << 27) - 1)
    cur, n, data = 0, 0, page + 16
    while cur < size:
        w = struct.unpack_from("<I", d, data + cur)[0]
        tl = w & 0x1f
        if tl in (30, 31):
            cur += 8
        elif tl == 29:
            break
        elif tl == 0:
            cur += 8 + ((struct.unpack_from("<I", d, data + cur + 4)[0] - 4 + 3) & ~3)
            n += 1
        else:
            cur += 4 + 4 * tl
            n += 1
    return n


def set_commit(d, page, value):
    d = bytearray(d)
    struct.pack_into("<Q", d, page + 8, value)
    return bytes(d)


def commit_of(d, page):
    return struct.unpack_from("<Q", d, page + 8)[0]


def formats_without(out, events, edit=None):
    """A copy of the 6.12 formats without some root events (or edited)."""
    src = os.path.join(REPO, "tests", "data", "v1", "formats", "6.12")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out)
    for e in events:
        shutil.rmtree(os.path.join(out, "kvmmmu", e))
    if edit:
        ev, old, new = edit
        p = os.path.join(out, "kvmmmu", ev, "format")
        t = open(p).read()
        assert old in t, (ev, old)
        open(p, "w").write(t.replace(old, new))
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, "base.dat")
    write_text(base, base_text())
    d = open(base, "rb").read()
    pages = data_pages(d)
    later = pages[len(pages) // 2 + 1]
    w = lambda n, b: open(os.path.join(out, n), "wb").write(b)

    # 2. one byte in a later data page: the commit's top byte set to 0xff
    b = bytearray(d)
    b[later + 8 + 3] = 0xff
    w("commit-top-byte.dat", bytes(b))
    # a commit just past the page, and an event running past the commit
    w("commit-past-page.dat", set_commit(d, later, PAGE - 16 + 8))
    b = bytearray(d)
    c = commit_of(d, later) & ((1 << 27) - 1)
    struct.pack_into("<I", b, later + 16, 0)          # first event: type_len 0
    struct.pack_into("<I", b, later + 20, 0x7ffffff0)  # absurd length
    w("event-past-commit.dat", bytes(b))
    # 1. nothing readable: every data page damaged from its first event
    b = bytearray(d)
    for p in pages:
        struct.pack_into("<QII", b, p + 8, 0xffffffff, 0, 0x7ffffff0)
    w("all-pages-damaged.dat", bytes(b))
    # 1. records missing without a mark: a page emptied (a valid, empty
    # page) while the stats say how many entries there were
    ent = [sum(page_records(d, off + p) for p in range(0, size, PAGE))
           for off, size in fly_table(d)]
    withstats = with_cpustat(d, ent)
    w("stats-whole.dat", withstats)
    w("stats-page-emptied.dat", set_commit(withstats, data_pages(withstats)[2], 0))
    # truncated after the headers, and inside the data
    w("truncated-headers.dat", d[:pages[0] - 100])
    w("truncated-data.dat", d[:later + 100])
    # 4. semantic: values outside docs/events.md, zero ids, absurd old
    sem = {
        "reason-unknown": ("reason=fast_zap", "reason=3"),
        "ctx-unknown": ("ctx=fast_zap shared=1", "ctx=3 shared=1"),
        "owner-unknown": ("owner=iter caller=kvm_tdp_mmu_zap_leafs+0x5a", "owner=4 caller=kvm_tdp_mmu_zap_leafs+0x5a"),
        "root-zero": ("root=0x5e6f000", "root=0x0"),
        "kvm-zero": ("kvm=0xffff888009000000", "kvm=0x0"),
        "old-absurd": ("old=2 owner=vcpu caller=mmu_free_root_page+0x3c", "old=2147483648 owner=vcpu caller=mmu_free_root_page+0x3c"),
    }
    clean = open(os.path.join(REPO, "tests", "fixtures", "cli_clean.txt")).read()
    for name, (a, bb) in sem.items():
        assert a in clean, name
        write_text(os.path.join(out, name + ".dat"), clean.replace(a, bb, 1))
    # 4. recorded without some root events (trace-cmd record -e of a few)
    fdir = formats_without(os.path.join(out, "formats-noget"), ["kvm_tdp_mmu_root_get"])
    noget = "\n".join(l for l in clean.splitlines() if "kvm_tdp_mmu_root_get" not in l) + "\n"
    write_text(os.path.join(out, "recorded-without-get.dat"), noget, fdir)
    fdir = formats_without(os.path.join(out, "formats-noput"),
                           ["kvm_tdp_mmu_root_put", "kvm_tdp_mmu_root_invalidate"])
    noput = "\n".join(l for l in clean.splitlines()
                      if "root_put" not in l and "root_invalidate" not in l) + "\n"
    write_text(os.path.join(out, "recorded-without-put-invalidate.dat"), noput, fdir)
    # 4. a char old[4] field
    fdir = formats_without(os.path.join(out, "formats-charold"), [],
                           ("kvm_tdp_mmu_root_get", "field:u32 old;", "field:char old[4];"))
    write_text(os.path.join(out, "char-old.dat"),
               "#! kernel=6.12.117 clock=global ncpus=1\n"
               "1000 0 500 q kvm_tdp_mmu_root_alloc kvm=0x1000 root=0x2000 role=0 count=2 as_id=0 level=4\n",
               fdir)
    # 3. many VMs (past the cap when the cap is lowered by RC_BAD_VMS)
    nvm = int(os.environ.get("RC_BAD_VMS", "300"))
    lines = ["#! kernel=6.12.117 clock=global ncpus=1"]
    for i in range(nvm):
        lines.append("%d 0 500 q kvm_tdp_mmu_root_alloc kvm=0x%x root=0x%x role=0 count=2 as_id=0 level=4"
                     % (1000 + i, 0xffff888000000000 + i * 0x10000, 0x100000 + i * 0x1000))
    write_text(os.path.join(out, "many-vms.dat"), "\n".join(lines) + "\n")
    # 5. out of memory (run.sh under ulimit -v): roots that stay alive, so
    # that the model's memory grows with the trace
    lines = ["#! kernel=6.12.117 clock=global ncpus=1"]
    for i in range(int(os.environ.get("RC_BAD_ROOTS", "10000"))):
        lines.append("%d 0 500 q kvm_tdp_mmu_root_alloc kvm=0xffff888000000000 root=0x%x role=0 count=2 as_id=0 level=4"
                     % (1000 + i, 0x100000 + i * 0x1000))
    write_text(os.path.join(out, "many-roots.dat"), "\n".join(lines) + "\n")
    # 1. a real v7 zstd trace, one byte of its compressed CPU 1 data
    # inverted: libtracecmd stops reading that CPU without a word (113 of
    # its 863 pages); before the completeness check this clean trace gave
    # "FAIL: 1 violation" (found by tests/bad/mutate.py's kind of search;
    # the offset belongs to this exact file)
    real = os.path.join(REPO, "tests", "data", "v1", "6.12-rootstress.dat")
    b = bytearray(open(real, "rb").read())
    if hashlib.sha256(b).hexdigest().startswith("49b81ae12f855d70"):
        b[731442] ^= 0xff
        w("v7-zstd-chunk.dat", bytes(b))
    else:
        print("gen.py: tests/data/v1/6.12-rootstress.dat changed: find a new offset for v7-zstd-chunk.dat",
              file=sys.stderr)
    print("tests/bad: corpus in %s" % out)


if __name__ == "__main__":
    main(sys.argv[1])
