#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: kvm-rootcheck's speed and memory against the floor of any
libtracecmd reader, pure iteration and trace-cmd report, on long generated
traces (tests/bench/genbench.c) in trace.dat v6 and v7 (zstd), plus the
scale cases. One run, repetitions interleaved (command after command, then
the next repetition), CPU time (user + sys) of each run from wait4() by
tests/bench/runbench.c. Figures: median CPU time, ns per record, the median
of the per-repetition ratios (paired: both runs of a ratio come from the
same repetition), max RSS, peak anonymous memory (RssAnon, sampled) and
the peak heap, total and the analyzer's own (tests/bench/heapcount.c).

usage: bench.py BUILD      environment:
  BENCH_SIZES="1000000 10000000"  events of the load traces
  BENCH_REPS=5                    repetitions (interleaved)
  BENCH_SCALE=1                   0: skip the scale cases
  BENCH_SCALE_DIV=1               divide the scale cases' sizes (quick runs)
  BENCH_REPORT=1                  0: skip trace-cmd report (slow)
Traces are cached in BUILD/bench. Results also go to BUILD/bench/results.md.
"""
import os
import platform
import statistics
import subprocess
import sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(BUILD, "bench")
AN = os.path.join(BUILD, "kvm-rootcheck")
RUN = os.path.join(DIR, "runbench")
FLOOR = os.path.join(DIR, "floor")
GEN = os.path.join(DIR, "genbench")
HEAP = os.path.abspath(os.path.join(DIR, "heapcount.so"))

SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "1000000 10000000").split()]
REPS = int(os.environ.get("BENCH_REPS", "5"))
SCALE = os.environ.get("BENCH_SCALE", "1") != "0"
DIV = max(1, int(os.environ.get("BENCH_SCALE_DIV", "1")))
REPORT = os.environ.get("BENCH_REPORT", "1") != "0"

out_lines = []


def say(line=""):
    print(line, flush=True)
    out_lines.append(line)


def generate(name, args):
    """BUILD/bench/NAME.dat from genbench ARGS (cached); returns (path, events)."""
    dat = os.path.join(DIR, name + ".dat")
    cnt = dat + ".events"
    if not (os.path.exists(dat) and os.path.exists(cnt)):
        tpl = os.path.join(DIR, "template.dat")
        if not os.path.exists(tpl):
            txt = subprocess.run([GEN, "--template-text"], check=True,
                                 capture_output=True, text=True).stdout
            with open(tpl + ".txt", "w") as f:
                f.write(txt)
            subprocess.run([sys.executable, os.path.join(TOP, "tests/sim/gentrace.py"),
                            "-o", tpl, tpl + ".txt"], check=True)
        n = subprocess.run(["nice", "-n", "10", GEN, tpl, dat] + [str(a) for a in args],
                           check=True, capture_output=True, text=True).stdout.strip()
        with open(cnt, "w") as f:
            f.write(n + "\n")
    with open(cnt) as f:
        return dat, int(f.read())


def to_v7(dat):
    v7 = dat[:-4] + ".v7.dat"
    if not os.path.exists(v7):
        subprocess.run(["nice", "-n", "10", "trace-cmd", "convert", "-i", dat, "-o", v7 + ".tmp",
                        "--file-version", "7", "--compression", "zstd"],
                       check=True, capture_output=True)
        os.replace(v7 + ".tmp", v7)
    return v7


def run(cmd):
    """-> (cpu s, max RSS KB, peak anon KB, exit status)"""
    r = subprocess.run([RUN, "--"] + cmd, check=True, capture_output=True, text=True)
    f = r.stdout.split()
    return float(f[0]), int(f[3]), int(f[4]), int(f[5])


def heap(cmd):
    """Peak heap (total, own) in bytes of one run under heapcount.so."""
    out = os.path.join(DIR, "heap.out")
    env = dict(os.environ, LD_PRELOAD=HEAP, HEAPCOUNT_OUT=out)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        a, b = f.read().split()
    return int(a), int(b)


def measure(cmds, reps, expect):
    """Interleaved repetitions of cmds {label: argv}. -> {label: [runs]}"""
    res = {k: [] for k in cmds}
    for _ in range(reps):
        for k, c in cmds.items():
            r = run(c)
            if k in expect and r[3] != expect[k]:
                sys.exit("bench: %s exited %d (expected %d): %s" % (k, r[3], expect[k], " ".join(c)))
            res[k].append(r)
    return res


def med(xs):
    return statistics.median(xs)


def paired(res, a, b):
    return med([x[0] / y[0] for x, y in zip(res[a], res[b]) if y[0] > 0])


def mb(kb):
    return "%.1f" % (kb / 1024)


def table(name, events, res, base="floor", heaps=None):
    say("### %s: %d records" % (name, events))
    say()
    say("| command | CPU s median (min) | ns/record | / floor (paired median) | max RSS MB | peak anon MB |")
    say("|---|---|---|---|---|---|")
    for k, runs in res.items():
        cpu = [r[0] for r in runs]
        ratio = "%.2f" % paired(res, k, base) if k != base else "1"
        say("| %s | %.3f (%.3f) | %.0f | %s | %s | %s |" % (
            k, med(cpu), min(cpu), med(cpu) / events * 1e9, ratio,
            mb(max(r[1] for r in runs)), mb(max(r[2] for r in runs))))
    if heaps:
        say()
        for k, (tot, own) in heaps.items():
            say("peak heap of %s: %.1f MB total, %.1f MB the analyzer's own" %
                (k, tot / 2**20, own / 2**20))
    say()


def main():
    for p in (AN, RUN, FLOOR, GEN, HEAP):
        if not os.path.exists(p):
            sys.exit("bench: %s is missing (run make bench)" % p)
    say("## make bench")
    say()
    say("machine: %s, %d CPUs, %s; load average %s; %d repetitions, interleaved" % (
        platform.processor() or platform.machine(), os.cpu_count(), platform.release(),
        " ".join("%.1f" % x for x in os.getloadavg()), REPS))
    say()
    summary = []
    memory = []
    for n in SIZES:
        v6, events = generate("load-%d" % n, ["load", n])
        for fmt, path in (("v6", v6), ("v7 zstd", to_v7(v6))):
            cmds = {
                "floor": [FLOOR, path],
                "iterate": [FLOOR, "--iterate", path],
                "kvm-rootcheck": [AN, path],
                "kvm-rootcheck --json": [AN, "--json", path],
                "kvm-rootcheck --summary": [AN, "--summary", path],
            }
            if REPORT:
                cmds["trace-cmd report"] = ["trace-cmd", "report", path]
            expect = {k: 0 for k in cmds}
            res = measure(cmds, REPS, expect)
            heaps = {"kvm-rootcheck --summary": heap([AN, "--summary", path])}
            table("load trace, %s" % fmt, events, res, heaps=heaps)
            summary.append((events, fmt, paired(res, "kvm-rootcheck", "floor"),
                            paired(res, "kvm-rootcheck", "iterate"),
                            paired(res, "trace-cmd report", "kvm-rootcheck") if REPORT else None,
                            med([r[0] for r in res["kvm-rootcheck"]]) / events * 1e9))
            memory.append((events, fmt, max(r[1] for r in res["kvm-rootcheck"]),
                           max(r[2] for r in res["kvm-rootcheck"]), heaps["kvm-rootcheck --summary"]))
    say("### Ratios (paired medians, CPU time)")
    say()
    say("| trace | kvm-rootcheck / floor | kvm-rootcheck / iteration | trace-cmd report / kvm-rootcheck | kvm-rootcheck ns/record |")
    say("|---|---|---|---|---|")
    for ev, fmt, a, b, c, ns in summary:
        say("| %d %s | %.2f | %.2f | %s | %.0f |" % (ev, fmt, a, b, "%.1f" % c if c else "-", ns))
    say()
    say("### Memory of kvm-rootcheck (text report)")
    say()
    say("| trace | max RSS MB | peak anon MB | peak heap MB | own heap MB |")
    say("|---|---|---|---|---|")
    for ev, fmt, rss, anon, (tot, own) in memory:
        say("| %d %s | %s | %s | %.1f | %.2f |" % (ev, fmt, mb(rss), mb(anon), tot / 2**20, own / 2**20))
    say()
    if SCALE:
        cases = [
            ("100k live roots in one VM", "roots-1vm", ["roots", 100000 // DIV, 1], 0),
            ("100k live roots in 25,000 VMs", "roots-25kvm", ["roots", 100000 // DIV, 25000 // DIV], 0),
            ("3,000 lost-event marks over 8k roots", "lost", ["lost", 8000 // DIV, 3000 // DIV], 3),
            ("one VM, 10k fast zaps", "fastzap", ["fastzap", 10000 // DIV], 0),
        ]
        say("### Scale cases (kvm-rootcheck --summary)")
        say()
        say("| case | records | CPU s median | ns/record | / floor (paired) | max RSS MB | peak anon MB | peak heap MB | own heap MB | exit |")
        say("|---|---|---|---|---|---|---|---|---|---|")
        for label, name, args, rc in cases:
            path, events = generate(name + ("" if DIV == 1 else "-div%d" % DIV), args)
            res = measure({"floor": [FLOOR, path], "an": [AN, "--summary", path]},
                          REPS, {"floor": 0, "an": rc})
            tot, own = heap([AN, "--summary", path])
            cpu = [r[0] for r in res["an"]]
            say("| %s | %d | %.3f | %.0f | %.2f | %s | %s | %.1f | %.2f | %d |" % (
                label, events, med(cpu), med(cpu) / events * 1e9, paired(res, "an", "floor"),
                mb(max(r[1] for r in res["an"])), mb(max(r[2] for r in res["an"])),
                tot / 2**20, own / 2**20, res["an"][0][3]))
        say()
    with open(os.path.join(DIR, "results.md"), "w") as f:
        f.write("\n".join(out_lines) + "\n")


if __name__ == "__main__":
    main()
