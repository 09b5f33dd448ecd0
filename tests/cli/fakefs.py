#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fakefs: a directory that `kvm-rootcheck live` can use as tracefs, with
tests/cli/fakefs_preload.c (LD_PRELOAD), for the CLI tests of live.

  fakefs.py [--per-cpu] DIR [FIXTURE.txt]

DIR/tracefs: what live reads before it creates its instance (the event
formats of tests/sim/formats, an empty instances/); point
KVM_ROOTCHECK_TRACEFS at it. DIR/template: what the kernel would put in a
new instance (its files, the events' enable files, per_cpu/cpuN/); the
preload copies it into the instance live creates (FAKEFS_TEMPLATE) and
removes the instance on rmdir. per_cpu/cpu0/trace_pipe_raw holds the
ring-buffer pages of FIXTURE's events (all on CPU 0, in their order),
what a real trace_pipe_raw delivers; the other CPUs' are empty. With
--per-cpu each event goes to its own CPU's pages instead (in the
fixture's order, which is each CPU's program order).
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "..", "sim")
sys.path.insert(0, SIM)
import gentrace  # noqa: E402


def pages(fixture, per_cpu=False):
    """{cpu: ring-buffer pages} of the fixture's events, all on CPU 0
    unless per_cpu."""
    with open(fixture) as f:
        meta, events = gentrace.parse_text(f.read(), fixture)
    formats = gentrace.load_formats(os.path.join(SIM, "formats"))
    skew = meta.get("skew", {})  # the header's skew=CPU:NS, as gentrace
    cpus = {}
    for e in events:
        if e.name == "LOST":
            raise SystemExit("fakefs: %s: LOST is not supported" % fixture)
        c = e.cpu if per_cpu else 0
        cpus.setdefault(c, gentrace.CpuPages()).add(
            e.ts + skew.get(e.cpu, 0),
            gentrace.encode_record(formats.events[e.name], e, fixture))
    return {c: p.finish() for c, p in cpus.items()}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def events_dir(d):
    fmts = os.path.join(SIM, "formats")
    shutil.copytree(fmts, os.path.join(d, "events"))
    write(os.path.join(d, "events", "enable"), b"0\n")
    write(os.path.join(d, "events", "kvmmmu", "enable"), b"0\n")
    for e in os.listdir(os.path.join(fmts, "kvmmmu")):
        write(os.path.join(d, "events", "kvmmmu", e, "enable"), b"0\n")


def main(argv):
    per_cpu = len(argv) > 1 and argv[1] == "--per-cpu"
    if per_cpu:
        argv = argv[:1] + argv[2:]
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: fakefs.py [--per-cpu] DIR [FIXTURE.txt]\n")
        return 2
    top = argv[1]
    raw = pages(argv[2], per_cpu) if len(argv) == 3 else {}
    fs, tpl = os.path.join(top, "tracefs"), os.path.join(top, "template")
    for d in (fs, tpl):
        shutil.rmtree(d, ignore_errors=True)
        events_dir(d)
    os.makedirs(os.path.join(fs, "instances"))
    write(os.path.join(fs, "per_cpu", "cpu0", "trace_pipe_raw"), b"")
    for name, data in (("trace_clock", b"[global]\n"), ("buffer_size_kb", b"4096\n"),
                       ("tracing_on", b"0\n")):
        write(os.path.join(tpl, name), data)
    ncpus = max([os.sysconf("SC_NPROCESSORS_CONF"), 1] + [c + 1 for c in raw])
    for c in range(ncpus):
        write(os.path.join(tpl, "per_cpu", "cpu%d" % c, "trace_pipe_raw"), raw.get(c, b""))
        write(os.path.join(tpl, "per_cpu", "cpu%d" % c, "stats"), b"entries: 0\noverrun: 0\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
