#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gentrace: turn an event text file into a genuine trace.dat (version 6).

Usage: gentrace.py [--formats DIR] [-o OUT.dat] INPUT.txt   (INPUT '-' = stdin)

The input format is a contract shared with the analyzer's tests; it is
documented in tests/sim/README.md. Exit codes: 0 written, 2 bad input
(one-line message "gentrace: FILE:LINE: ..." on stderr), 1 I/O error or a
broken formats directory.

The file written follows trace-cmd.dat.v6(5): initial header, header_page
and header_event text, ftrace and event format files, kallsyms, printk
formats, saved cmdlines, options (UNAME, TRACECLOCK, and CPUSTAT and
BUFFER when asked), then "flyrecord" with one page-aligned run of
4096-byte ring-buffer pages per CPU, then a "flyrecord" section of the
same kind for each buffer instance (trace-cmd record -B NAME). Each
page is a buffer_data_page (u64 timestamp, local_t commit, data) holding
events in the kernel's compressed encoding (5-bit type_len, 27-bit
time_delta, time extends for deltas >= 2^27 ns). A LOST line starts a new
page on that CPU whose commit word carries RB_MISSED_EVENTS, and, when the
count is known, RB_MISSED_STORED with the count stored after the data:
libtracecmd reports it as record->missed_events of the next record.
"""

import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_FORMATS = os.path.join(HERE, "formats")
# The generator writes ABI v1 records (docs/events.md): the formats captured
# from the first kernel series, kept with its traces.
CAPTURED_FORMATS = os.path.join(REPO, "tests", "data", "v1", "formats")

PAGE_SIZE = 4096
PAGE_HDR = 16                      # u64 timestamp + local_t commit (8 bytes)
PAGE_CAP = PAGE_SIZE - PAGE_HDR    # 4080, "field: char data" size
TS_BITS = 27
TS_MASK = (1 << TS_BITS) - 1
TYPE_TIME_EXTEND = 30
MAX_SMALL_DATA = 28 * 4
RB_MISSED_EVENTS = 1 << 31
RB_MISSED_STORED = 1 << 30

# Fixed kallsyms table: the kernel functions that appear as call sites in
# the root-lifecycle events, at made-up (but kernel-looking) addresses.
KALLSYMS_BASE = 0xffffffff81100000
KALLSYMS_STEP = 0x400
KALLSYMS_NAMES = [
    "kvm_tdp_mmu_get_root",
    "kvm_tdp_mmu_put_root",
    "tdp_mmu_next_root",
    "kvm_tdp_mmu_alloc_root",
    "kvm_tdp_mmu_get_vcpu_root_hpa",
    "mmu_free_root_page",
    "kvm_mmu_free_roots",
    "kvm_tdp_mmu_zap_leafs",
    "kvm_tdp_mmu_zap_all",
    "kvm_tdp_mmu_invalidate_all_roots",
    "kvm_tdp_mmu_zap_invalidated_roots",
    "tdp_mmu_zap_root",
    "tdp_mmu_zap_root_work",
    "tdp_mmu_schedule_zap_root",
    "kvm_tdp_mmu_try_split_huge_pages",
    "kvm_tdp_mmu_unmap_gfn_range",
    "kvm_tdp_mmu_wrprot_slot",
    "kvm_tdp_mmu_clear_dirty_slot",
    "kvm_tdp_mmu_recover_huge_pages",
    "kvm_tdp_mmu_zap_collapsible_sptes",
    "kvm_tdp_mmu_age_gfn_range",
    "kvm_mmu_zap_all_fast",
    "kvm_mmu_uninit_tdp_mmu",
    "kvm_arch_flush_shadow_all",
    "kvm_mmu_zap_all",
]
KALLSYMS = {n: KALLSYMS_BASE + i * KALLSYMS_STEP for i, n in enumerate(KALLSYMS_NAMES)}

# Fallback symbolic names, used only if a format's print fmt has no
# __print_symbolic for the field (the ABI values, docs/events.md).
ENUM_FALLBACK = {
    "owner": {"vcpu": 0, "iter": 1, "mmu": 2, "zap": 3},
    "reason": {"fast_zap": 0, "teardown": 1, "last_put": 2},
    "ctx": {"fast_zap": 0, "zap_all": 1, "worker": 2},
}

CLOCKS = ["local", "global", "counter", "uptime", "perf", "mono", "mono_raw",
          "boot", "x86-tsc"]

TRACECMD_OPTION_CPUSTAT = 2
TRACECMD_OPTION_BUFFER = 3
TRACECMD_OPTION_TRACECLOCK = 4
TRACECMD_OPTION_UNAME = 5


class InputError(Exception):
    """Bad input text: message already says where."""


class FormatError(Exception):
    """Broken formats directory."""


# ---------------------------------------------------------------- formats

_FIELD_RE = re.compile(r"^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);")
_SYMBOLIC_RE = re.compile(r"__print_symbolic\(\s*REC->(\w+)\s*,((?:\s*\{\s*-?\w+\s*,\s*\"[^\"]*\"\s*\}\s*,?)+)\)")
_PAIR_RE = re.compile(r"\{\s*(-?\w+)\s*,\s*\"([^\"]*)\"\s*\}")


class EventFormat:
    def __init__(self, system, text, path):
        self.system = system
        self.text = text
        self.name = None
        self.id = None
        self.fields = {}     # name -> (offset, size, signed)
        self.common = {}
        self.size = 0
        self.enums = {}      # field -> {symbol: value}
        seen_sep = False
        align = 1
        for line in text.splitlines():
            if line.startswith("name:"):
                self.name = line.split(":", 1)[1].strip()
            elif line.startswith("ID:"):
                self.id = int(line.split(":", 1)[1])
            elif line.startswith("print fmt:"):
                for m in _SYMBOLIC_RE.finditer(line):
                    self.enums[m.group(1)] = {s: int(v, 0) for v, s in _PAIR_RE.findall(m.group(2))}
            elif line.strip() == "" and self.common:
                seen_sep = True
            else:
                m = _FIELD_RE.match(line)
                if not m:
                    continue
                decl, off, size, sg = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
                fname = re.split(r"[\s\*]", decl.strip())[-1]
                fname = fname.split("[")[0]
                target = self.fields if seen_sep else self.common
                target[fname] = (off, size, sg)
                self.size = max(self.size, off + size)
                if size in (2, 4, 8):
                    align = max(align, size)
        if self.name is None or self.id is None or "common_type" not in self.common:
            raise FormatError("%s: not an event format file (name/ID/common_type missing)" % path)
        self.size = (self.size + align - 1) // align * align

    def enum_value(self, field, word):
        table = self.enums.get(field) or ENUM_FALLBACK.get(field)
        if table and word in table:
            return table[word]
        return None


class Formats:
    def __init__(self, directory):
        if not os.path.isdir(directory):
            raise FormatError("formats directory %s does not exist" % directory)
        self.dir = directory
        self.header_page = self._read_opt("header_page", default_dir=DEFAULT_FORMATS)
        self.header_event = self._read_opt("header_event", default_dir=DEFAULT_FORMATS)
        self.events = {}     # name -> EventFormat
        self.by_system = {}  # system -> [EventFormat]
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for f in sorted(files):
                path = os.path.join(root, f)
                parts = os.path.relpath(path, directory).split(os.sep)
                if f == "format":
                    system = parts[-3] if len(parts) >= 3 else "kvmmmu"
                elif f.endswith(".format"):
                    system = parts[-2] if len(parts) >= 2 else "kvmmmu"
                else:
                    continue
                with open(path, encoding="utf-8") as fh:
                    ev = EventFormat(system, fh.read(), path)
                if ev.name in self.events:
                    raise FormatError("%s: event %s defined twice" % (path, ev.name))
                self.events[ev.name] = ev
                self.by_system.setdefault(system, []).append(ev)
        if not self.events:
            raise FormatError("formats directory %s holds no event format files" % directory)

    def _read_opt(self, name, default_dir):
        for d in (self.dir, default_dir):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                with open(p, "rb") as fh:
                    return fh.read()
        raise FormatError("no %s file in %s" % (name, self.dir))


def pick_formats_dir(kernel):
    """tests/data/formats/<kernel>/ (exact, then major.minor) if committed,
    else the hand-written tests/sim/formats/."""
    if kernel and os.path.isdir(CAPTURED_FORMATS):
        cands = [kernel]
        mm = ".".join(kernel.split(".")[:2])
        cands.append(mm)
        for c in cands:
            p = os.path.join(CAPTURED_FORMATS, c)
            if os.path.isdir(p):
                return p
        for d in sorted(os.listdir(CAPTURED_FORMATS)):
            if d.startswith(mm + ".") or d.startswith(mm + "-"):
                return os.path.join(CAPTURED_FORMATS, d)
    return DEFAULT_FORMATS


_FORMATS_CACHE = {}


def load_formats(directory):
    d = os.path.abspath(directory)
    if d not in _FORMATS_CACHE:
        _FORMATS_CACHE[d] = Formats(d)
    return _FORMATS_CACHE[d]


# ---------------------------------------------------------------- input

class Event:
    __slots__ = ("ts", "cpu", "pid", "comm", "name", "fields", "lost", "line", "buf")

    def __init__(self, ts, cpu, pid, comm, name, fields, lost=None, line=0, buf=None):
        self.ts, self.cpu, self.pid, self.comm = ts, cpu, pid, comm
        self.name, self.fields, self.lost, self.line = name, fields, lost, line
        self.buf = buf      # buffer instance name, None for the top buffer


def parse_int(s):
    s = s.strip()
    neg = s.startswith("-")
    body = s[1:] if neg else s
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", body):
        v = int(body, 16)
    elif re.fullmatch(r"[0-9]+", body):
        v = int(body, 10)
    else:
        raise ValueError(s)
    return -v if neg else v


CPUSTAT_KEYS = ("overrun", "commit_overrun", "dropped")


def parse_directive(tok, meta, buf, where):
    """'#@ buffer [NAME]' or '#@ cpustat cpu=N [overrun=N] [commit_overrun=N]
    [dropped=N]'. Returns the buffer the following events go to."""
    if not tok:
        raise InputError("%s: empty '#@' directive (buffer, cpustat)" % where)
    if tok[0] == "buffer":
        if len(tok) == 1:
            return None
        if len(tok) != 2 or not re.fullmatch(r"[\w.-]+", tok[1]):
            raise InputError("%s: expected '#@ buffer [NAME]' (NAME: letters, digits, _ . -)" % where)
        if tok[1] not in meta["buffers"]:
            meta["buffers"].append(tok[1])
        return tok[1]
    if tok[0] == "cpustat":
        vals = {}
        for kv in tok[1:]:
            k, _, v = kv.partition("=")
            if k not in ("cpu",) + CPUSTAT_KEYS or k in vals:
                raise InputError("%s: cpustat item '%s' (cpu=, %s=, each once)" %
                                 (where, kv, "=, ".join(CPUSTAT_KEYS)))
            try:
                vals[k] = parse_int(v)
            except ValueError:
                raise InputError("%s: cpustat %s must be an integer" % (where, k))
            if vals[k] < 0:
                raise InputError("%s: cpustat %s must be >= 0" % (where, k))
        if "cpu" not in vals:
            raise InputError("%s: cpustat needs cpu=N" % where)
        if vals["cpu"] in meta["cpustats"]:
            raise InputError("%s: cpustat of cpu %d given twice" % (where, vals["cpu"]))
        meta["cpustats"][vals["cpu"]] = vals
        return buf
    raise InputError("%s: unknown directive '#@ %s' (buffer, cpustat)" % (where, tok[0]))


def parse_text(text, src="<input>"):
    """Returns (meta dict, [Event]). Raises InputError."""
    meta = {"kernel": "6.12.117", "clock": "global", "ncpus": None, "skew": {},
            "cpustats": {}, "buffers": []}
    events = []
    buf = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = "%s:%d" % (src, lineno)
        if not line:
            continue
        if line.startswith("#@"):
            buf = parse_directive(line[2:].split(), meta, buf, where)
            continue
        if line.startswith("#!"):
            if events:
                raise InputError("%s: '#!' header must come before the first event" % where)
            for kv in line[2:].split():
                if "=" not in kv:
                    raise InputError("%s: header item '%s' is not key=value" % (where, kv))
                k, v = kv.split("=", 1)
                if k == "kernel":
                    if not re.fullmatch(r"[0-9][\w.+~-]*", v):
                        raise InputError("%s: bad kernel version '%s'" % (where, v))
                    meta["kernel"] = v
                elif k == "clock":
                    if not re.fullmatch(r"[\w-]+", v):
                        raise InputError("%s: bad clock name '%s'" % (where, v))
                    meta["clock"] = v
                elif k == "ncpus":
                    try:
                        n = parse_int(v)
                    except ValueError:
                        n = 0
                    if not 1 <= n <= 4096:
                        raise InputError("%s: ncpus must be 1..4096, got '%s'" % (where, v))
                    meta["ncpus"] = n
                elif k == "skew":
                    for item in v.split(","):
                        try:
                            c, ns = item.split(":")
                            meta["skew"][parse_int(c)] = parse_int(ns)
                        except ValueError:
                            raise InputError("%s: skew must be CPU:NS[,CPU:NS...], got '%s'" % (where, v))
                else:
                    raise InputError("%s: unknown header key '%s' (kernel, clock, ncpus, skew)" % (where, k))
            continue
        if line.startswith("#"):
            continue
        tok = line.split()
        if len(tok) < 5:
            raise InputError("%s: expected '<ts_ns> <cpu> <pid> <comm> <event> [field=value ...]'" % where)
        try:
            ts = parse_int(tok[0])
            cpu = parse_int(tok[1])
        except ValueError:
            raise InputError("%s: ts and cpu must be integers" % where)
        if ts < 0 or cpu < 0:
            raise InputError("%s: ts and cpu must be >= 0" % where)
        if tok[4] == "LOST":
            if tok[2] != "-" or tok[3] != "-" or len(tok) != 6:
                raise InputError("%s: expected '<ts_ns> <cpu> - - LOST <count>'" % where)
            try:
                cnt = parse_int(tok[5])
            except ValueError:
                raise InputError("%s: LOST count must be an integer (-1 = unknown)" % where)
            if cnt == 0 or cnt < -1:
                raise InputError("%s: LOST count must be >= 1 or -1 (unknown)" % where)
            events.append(Event(ts, cpu, None, None, "LOST", None, lost=cnt, line=lineno, buf=buf))
            continue
        try:
            pid = parse_int(tok[2])
        except ValueError:
            raise InputError("%s: pid must be an integer" % where)
        name = tok[4]
        if ":" in name:
            sysname, name = name.split(":", 1)
        fields = {}
        for kv in tok[5:]:
            if "=" not in kv:
                raise InputError("%s: field '%s' is not name=value" % (where, kv))
            k, v = kv.split("=", 1)
            if k in fields:
                raise InputError("%s: field '%s' given twice" % (where, k))
            fields[k] = v
        events.append(Event(ts, cpu, pid, tok[3], name, fields, line=lineno, buf=buf))
    return meta, events


# ---------------------------------------------------------------- encoding

def resolve_caller(v):
    m = re.fullmatch(r"([A-Za-z_][\w.]*)(?:\+(0[xX][0-9a-fA-F]+|[0-9]+))?", v)
    if m:
        if m.group(1) not in KALLSYMS:
            raise ValueError("unknown symbol '%s' (see KALLSYMS_NAMES in gentrace.py)" % m.group(1))
        off = parse_int(m.group(2)) if m.group(2) else 0
        if off >= KALLSYMS_STEP:
            raise ValueError("offset %s is beyond %s (functions are 0x%x bytes)" % (m.group(2), m.group(1), KALLSYMS_STEP))
        return KALLSYMS[m.group(1)] + off
    return parse_int(v)


def encode_record(fmt, ev, src):
    where = "%s:%d" % (src, ev.line)
    buf = bytearray(fmt.size)
    common = fmt.common
    def put(off, size, sg, val, fname):
        lo = -(1 << (8 * size - 1)) if sg else 0
        hi = (1 << (8 * size - 1)) - 1 if sg else (1 << (8 * size)) - 1
        if not lo <= val <= hi:
            raise InputError("%s: value %d does not fit field '%s' (%d bytes, %s)" %
                             (where, val, fname, size, "signed" if sg else "unsigned"))
        buf[off:off + size] = val.to_bytes(size, "little", signed=bool(sg))
    put(*common["common_type"], fmt.id, "common_type")
    if "common_pid" in common:
        put(*common["common_pid"], ev.pid, "common_pid")
    for k, v in ev.fields.items():
        spec = fmt.fields.get(k) or (common.get(k) if k in ("common_flags", "common_preempt_count") else None)
        if spec is None:
            raise InputError("%s: event %s has no field '%s' (fields: %s)" %
                             (where, fmt.name, k, ", ".join(fmt.fields)))
        try:
            if k == "caller":
                val = resolve_caller(v)
            else:
                val = fmt.enum_value(k, v)
                if val is None:
                    val = parse_int(v)
        except ValueError as e:
            msg = str(e) if "symbol" in str(e) or "offset" in str(e) else "bad value '%s' for field '%s'" % (v, k)
            raise InputError("%s: %s" % (where, msg))
        put(*spec, val, k)
    return bytes(buf)


def _event_bytes(delta, payload):
    """Compressed ring-buffer entry(ies): time extend if needed, then data."""
    out = bytearray()
    if delta > TS_MASK:
        out += struct.pack("<II", TYPE_TIME_EXTEND | ((delta & TS_MASK) << 5), delta >> TS_BITS)
        delta = 0
    n = len(payload)
    if n <= MAX_SMALL_DATA:
        tl = (n + 3) // 4
        out += struct.pack("<I", tl | (delta << 5))
        out += payload + b"\0" * (tl * 4 - n)
    else:
        padded = (n + 3) // 4 * 4
        out += struct.pack("<II", delta << 5, padded + 4)
        out += payload + b"\0" * (padded - n)
    return bytes(out)


class CpuPages:
    def __init__(self):
        self.pages = []
        self.data = None
        self.page_ts = 0
        self.last_ts = None
        self.lost = 0          # pending LOST count for the next page (0 = none)
        self.cur_lost = 0

    def _flush(self):
        if self.data is None:
            return
        commit = len(self.data)
        body = bytes(self.data)
        if self.cur_lost:
            commit |= RB_MISSED_EVENTS
            if self.cur_lost > 0:
                commit |= RB_MISSED_STORED
                body += struct.pack("<q", self.cur_lost)
        page = struct.pack("<QQ", self.page_ts, commit) + body
        self.pages.append(page + b"\0" * (PAGE_SIZE - len(page)))
        self.data = None

    def add(self, ts, payload):
        reserve = 8
        if self.data is not None and not self.lost:
            delta = ts - self.last_ts
            enc = _event_bytes(delta, payload)
            if len(self.data) + len(enc) + (reserve if self.cur_lost > 0 else 0) <= PAGE_CAP:
                self.data += enc
                self.last_ts = ts
                return
        self._flush()
        self.data = bytearray(_event_bytes(0, payload))
        self.page_ts = ts
        self.last_ts = ts
        self.cur_lost = self.lost
        self.lost = 0

    def finish(self):
        self._flush()
        return b"".join(self.pages)


def build(meta, events, formats, src="<input>"):
    """Returns the bytes of a trace.dat for parsed input."""
    ncpus = meta["ncpus"]
    maxcpu = max((e.cpu for e in events), default=0)
    maxcpu = max([maxcpu] + list(meta.get("cpustats", {})))
    if ncpus is None:
        ncpus = maxcpu + 1
    buffers = {None: [CpuPages() for _ in range(ncpus)]}
    for b in meta.get("buffers", []):
        buffers[b] = [CpuPages() for _ in range(ncpus)]
    for c in meta.get("cpustats", {}):
        if c >= ncpus:
            raise InputError("%s: cpustat of cpu %d out of range (ncpus=%d)" % (src, c, ncpus))
    comms = {}
    used = set()
    skew = meta.get("skew", {})
    for e in events:
        where = "%s:%d" % (src, e.line)
        if e.cpu >= ncpus:
            raise InputError("%s: cpu %d out of range (ncpus=%d)" % (where, e.cpu, ncpus))
        cb = buffers[e.buf][e.cpu]
        ts = e.ts + skew.get(e.cpu, 0)
        if ts < 0:
            raise InputError("%s: skewed timestamp is negative" % where)
        if cb.last_ts is not None and ts < cb.last_ts:
            raise InputError("%s: timestamp %d goes backwards on cpu %d (previous %d)" %
                             (where, ts, e.cpu, cb.last_ts))
        if e.name == "LOST":
            if cb.lost:
                raise InputError("%s: two LOST lines on cpu %d without an event between" % (where, e.cpu))
            cb.lost = e.lost
            cb.lost_line = e.line
            continue
        fmt = formats.events.get(e.name)
        if fmt is None:
            raise InputError("%s: unknown event '%s' (not in formats directory %s)" % (where, e.name, formats.dir))
        used.add(e.name)
        cb.add(ts, encode_record(fmt, e, src))
        if e.pid and e.comm and e.comm != "-":
            comms[e.pid] = e.comm
    for cpus in buffers.values():
        for i, cb in enumerate(cpus):
            if cb.lost:
                raise InputError("%s:%d: LOST on cpu %d is not followed by an event on that cpu "
                                 "(lost events are reported with the next record)" % (src, cb.lost_line, i))
    return assemble(meta, formats, buffers, comms, ncpus)


def cpustat_text(cpu, st):
    """One CPU's ring-buffer statistics as the kernel's per_cpu/cpuN/stats
    prints them, preceded by "CPU: N" as trace-cmd record stores them."""
    return ("CPU: %d\nentries: 0\noverrun: %d\ncommit overrun: %d\nbytes: 0\n"
            "oldest event ts: 0.000000\nnow ts: 0.000000\ndropped events: %d\n"
            "read events: 0\n" % (cpu, st.get("overrun", 0), st.get("commit_overrun", 0),
                                   st.get("dropped", 0)))


def _flyrecord(out, datas):
    """Append "flyrecord", the per-CPU (offset, size) table and the pages
    (each CPU's run page-aligned) to out."""
    out += b"flyrecord\0"
    table_at = len(out)
    out += b"\0" * (16 * len(datas))
    off = (len(out) + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
    out += b"\0" * (off - len(out))
    for i, d in enumerate(datas):
        struct.pack_into("<QQ", out, table_at + 16 * i, off if d else 0, len(d))
        out += d
        off += len(d)


def assemble(meta, formats, buffers, comms, ncpus):
    out = bytearray()
    out += b"\x17\x08\x44tracing6\0"
    out += struct.pack("<BBI", 0, 8, PAGE_SIZE)
    out += b"header_page\0" + struct.pack("<Q", len(formats.header_page)) + formats.header_page
    out += b"header_event\0" + struct.pack("<Q", len(formats.header_event)) + formats.header_event
    ftrace = formats.by_system.get("ftrace", [])
    out += struct.pack("<I", len(ftrace))
    for ev in ftrace:
        t = ev.text.encode()
        out += struct.pack("<Q", len(t)) + t
    systems = [s for s in sorted(formats.by_system) if s != "ftrace"]
    out += struct.pack("<I", len(systems))
    for s in systems:
        out += s.encode() + b"\0" + struct.pack("<I", len(formats.by_system[s]))
        for ev in formats.by_system[s]:
            t = ev.text.encode()
            out += struct.pack("<Q", len(t)) + t
    ks = "".join("%016x T %s\n" % (KALLSYMS[n], n) for n in KALLSYMS_NAMES).encode()
    out += struct.pack("<I", len(ks)) + ks
    out += struct.pack("<I", 0)                       # printk formats: none
    cl = "".join("%d %s\n" % (p, c) for p, c in sorted(comms.items())).encode()
    out += struct.pack("<Q", len(cl)) + cl
    out += struct.pack("<I", ncpus)
    out += b"options  \0"
    uname = ("Linux kvm-rootcheck-sim %s x86_64" % meta["kernel"]).encode() + b"\0"
    out += struct.pack("<HI", TRACECMD_OPTION_UNAME, len(uname)) + uname
    clock = meta["clock"]
    names = CLOCKS if clock in CLOCKS else CLOCKS + [clock]
    tc = (" ".join("[%s]" % n if n == clock else n for n in names) + "\n").encode() + b"\0"
    out += struct.pack("<HI", TRACECMD_OPTION_TRACECLOCK, len(tc)) + tc
    # CPUSTAT: one option per CPU, as trace-cmd record writes them
    for cpu, st in sorted(meta.get("cpustats", {}).items()):
        t = cpustat_text(cpu, st).encode() + b"\0"
        out += struct.pack("<HI", TRACECMD_OPTION_CPUSTAT, len(t)) + t
    # BUFFER: u64 offset of the instance's own flyrecord section, then its
    # name; the offsets are filled in once the sections are laid out
    patch = []
    for name in meta.get("buffers", []):
        t = struct.pack("<Q", 0) + name.encode() + b"\0"
        out += struct.pack("<HI", TRACECMD_OPTION_BUFFER, len(t))
        patch.append((name, len(out)))
        out += t
    out += struct.pack("<H", 0)
    _flyrecord(out, [c.finish() for c in buffers[None]])
    for name, at in patch:
        base = (len(out) + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
        out += b"\0" * (base - len(out))
        struct.pack_into("<Q", out, at, base)
        _flyrecord(out, [c.finish() for c in buffers[name]])
    return bytes(out)


def text_to_dat(text, out_path, formats_dir=None, src="<input>"):
    meta, events = parse_text(text, src)
    fdir = formats_dir or pick_formats_dir(meta["kernel"])
    data = build(meta, events, load_formats(fdir), src)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out_path)
    return len(events)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Write a trace.dat (v6) from an event text file "
                                 "(format: tests/sim/README.md).")
    ap.add_argument("input", help="event text file, '-' for stdin")
    ap.add_argument("-o", "--output", help="trace.dat to write (default: INPUT with .dat)")
    ap.add_argument("--formats", help="formats directory (default: tests/data/formats/<kernel>/ "
                    "if present, else tests/sim/formats/)")
    a = ap.parse_args(argv)
    try:
        if a.input == "-":
            text, src = sys.stdin.read(), "<stdin>"
        else:
            with open(a.input, encoding="utf-8") as fh:
                text, src = fh.read(), a.input
    except (OSError, UnicodeDecodeError) as e:
        print("gentrace: cannot read %s: %s" % (a.input, e), file=sys.stderr)
        return 1
    out = a.output or (os.path.splitext(a.input)[0] + ".dat" if a.input != "-" else None)
    if not out:
        print("gentrace: -o is required when reading stdin", file=sys.stderr)
        return 2
    try:
        text_to_dat(text, out, a.formats, src)
    except InputError as e:
        print("gentrace: %s" % e, file=sys.stderr)
        return 2
    except FormatError as e:
        print("gentrace: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("gentrace: cannot write %s: %s" % (out, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
