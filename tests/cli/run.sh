#!/bin/bash
# CLI tests of kvm-rootcheck (the ASan+UBSan build): exit codes, one-line
# errors, golden text and JSON reports, the 72-column limit, --summary,
# --root, traces without a root event, record with a fake trace-cmd, live
# on a fake tracefs (fakefs.py, fakefs_preload.c), and the real kernel
# traces listed in tests/vm/expect.tsv.
# UPDATE_GOLDEN=1 rewrites tests/cli/golden/ from the current output.
# Prints "cli: N passed, N failed".
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin="$BUILD/san/kvm-rootcheck"
fx="${RC_FIXTURES:-$BUILD/fixtures}"
golden=tests/cli/golden
# absolute paths: the tests also run from other directories, and BUILD
# may be anywhere (goldens name the fixture alone, not where it was built)
case $bin in /*) ;; *) bin="$top/$bin" ;; esac
case $fx in /*) ;; *) fx="$top/$fx" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_exit CODE NAME ARGS...: exit code, and stderr is one line on error.
expect_exit() {
	local want=$1 name=$2 rc lines
	shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, want $want ($(head -c 300 "$tmp/err"))"
		return
	fi
	ok
	if [ "$want" -eq 2 ]; then
		lines=$(wc -l <"$tmp/err")
		if [ "$lines" -eq 1 ] && grep -q '^kvm-rootcheck: ' "$tmp/err"; then
			ok
		else
			bad "$name: want one 'kvm-rootcheck: ' line on stderr, got: $(cat "$tmp/err")"
		fi
	fi
}

# golden NAME ARGS...: stdout must equal tests/cli/golden/NAME. Run in the
# fixtures directory: FILE arguments are bare fixture names.
golden() {
	local name=$1
	shift
	(cd "$fx" && "$bin" "$@") >"$tmp/$name" 2>/dev/null
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$golden"
		cp "$tmp/$name" "$golden/$name"
	fi
	if diff -u "$golden/$name" "$tmp/$name" >"$tmp/diff"; then
		ok
	else
		bad "$name differs from $golden/$name:"
		head -40 "$tmp/diff"
	fi
}

# The text report is plain ASCII and at most 72 columns.
width_ok() {
	local f=$1
	if awk 'length($0) > 72 { exit 1 }' "$f" && ! LC_ALL=C grep -q '[^ -~]' "$f"; then
		ok
	else
		bad "$f: a line is over 72 columns or not plain ASCII"
	fi
}

json_ok() {
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["tool"]=="kvm-rootcheck" else 1)' "$1"; then
		ok
	else
		bad "$1: not valid kvm-rootcheck JSON"
	fi
}

# Usage and input errors: exit 2 with one line.
expect_exit 2 no-such-file "$tmp/nonexistent.dat"
printf 'this is not a trace\n' >"$tmp/garbage.dat"
expect_exit 2 garbage "$tmp/garbage.dat"
: >"$tmp/empty.dat"
expect_exit 2 empty-file "$tmp/empty.dat"
expect_exit 2 bad-option --no-such-option
expect_exit 2 bad-design --design=v5 "$fx/cli_clean.dat"
expect_exit 2 bad-root --root=xyz "$fx/cli_clean.dat"
expect_exit 2 live-with-instance -B foo live
expect_exit 2 buffer-with-file -b 1024 "$fx/cli_clean.dat"
expect_exit 2 buffer-zero live -b 0
expect_exit 2 buffer-not-a-number live -b 64k
expect_exit 0 help --help
expect_exit 0 version --version

# The open probe (a child tries tracecmd_open() first): a crash handler
# inherited from the parent must not turn the child's crash into "opened"
# (the preload's handler exits 0 and leaves a mark), and a child that
# hangs is killed at KVM_ROOTCHECK_OPEN_TIMEOUT with one line, exit 2.
# Both builds: the sanitized one has ASan's own SIGSEGV handler too.
if ${CC:-cc} -shared -fPIC -o "$tmp/probe_preload.so" tests/cli/probe_preload.c 2>"$tmp/cc.err"; then
	cp "$fx/cli_clean.dat" "$tmp/probe-crash.dat"
	cp "$fx/cli_clean.dat" "$tmp/probe-hang.dat"
	for b in "$BUILD/kvm-rootcheck" "$bin"; do
		rm -f "$tmp/mark"
		LD_PRELOAD="$tmp/probe_preload.so" PROBE_PRELOAD_MARK="$tmp/mark" \
			ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
			"$b" "$tmp/probe-crash.dat" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		[ $rc -eq 2 ] && [ ! -e "$tmp/mark" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
			grep -q "^kvm-rootcheck: $tmp/probe-crash.dat: cannot read trace.dat" "$tmp/err" && ok ||
			bad "probe child crash under an inherited handler ($b): exit $rc, mark $([ -e "$tmp/mark" ] && echo set || echo unset): $(head -c 300 "$tmp/err")"
		s=$(date +%s)
		LD_PRELOAD="$tmp/probe_preload.so" KVM_ROOTCHECK_OPEN_TIMEOUT=1 \
			ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
			timeout 60 "$b" "$tmp/probe-hang.dat" >"$tmp/out" 2>"$tmp/err"
		rc=$? e=$(($(date +%s) - s))
		[ $rc -eq 2 ] && [ $e -lt 30 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
			grep -q "^kvm-rootcheck: $tmp/probe-hang.dat: opening the trace did not finish in 1 s" "$tmp/err" && ok ||
			bad "probe child that hangs ($b): exit $rc after $e s: $(head -c 300 "$tmp/err")"
	done
	# Time the process was stopped is not the library hanging: the group
	# is stopped for 4 s while the probe child sleeps 1.5 s in the open,
	# under a limit of 3 s, and the trace is still read.
	cp "$fx/cli_clean.dat" "$tmp/probe-slow.dat"
	rm -f "$tmp/slow.log"
	LD_PRELOAD="$tmp/probe_preload.so" PROBE_PRELOAD_SLOW_LOG="$tmp/slow.log" \
		KVM_ROOTCHECK_OPEN_TIMEOUT=3 setsid "$BUILD/kvm-rootcheck" "$tmp/probe-slow.dat" \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	n=0
	while ! grep -q start "$tmp/slow.log" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	kill -STOP -- "-$pid" 2>/dev/null
	sleep 4
	kill -CONT -- "-$pid" 2>/dev/null
	wait $pid
	rc=$?
	slept=$(awk '$1 == "end" { print $2; exit }' "$tmp/slow.log" 2>/dev/null)
	[ $rc -eq 0 ] && [ "${slept:-0}" -ge 4000 ] && grep -q '^verdict: PASS' "$tmp/out" && ok ||
		bad "probe stopped for 4 s under a 3 s limit: exit $rc, probe slept ${slept:-?} ms: $(head -c 300 "$tmp/err")"
	KVM_ROOTCHECK_OPEN_TIMEOUT=0 expect_exit 2 open-timeout-zero "$fx/cli_clean.dat"
	grep -q "KVM_ROOTCHECK_OPEN_TIMEOUT='0' is not a number" "$tmp/err" && ok || bad "open-timeout-zero: $(cat "$tmp/err")"
else
	bad "cannot build tests/cli/probe_preload.c: $(head -c 300 "$tmp/cc.err")"
fi

# --list-events: the event table; every event in docs/events.md's table
# and in the generator's formats, and nothing else.
expect_exit 0 list-events --list-events
"$bin" --list-events >"$tmp/events" 2>&1
want=$( (sed -n 's/^| `\(kvm_[a-z_]*\)` | .*/\1/p' docs/events.md; echo kvm_mmu_zap_all_fast) | sort)
got=$(sed 's/^kvmmmu://' "$tmp/events" | sort)
[ "$got" = "$want" ] && [ "$(grep -vc '^kvmmmu:' "$tmp/events")" = 0 ] && ok ||
	bad "--list-events: got $(echo $got), want $(echo $want)"
for e in $got; do
	[ -f "tests/sim/formats/kvmmmu/$e/format" ] && ok || bad "--list-events: $e has no format in tests/sim/formats"
done

# Verdicts and exit codes on generated traces.
expect_exit 0 clean "$fx/cli_clean.dat"
expect_exit 1 v3-defunct "$fx/cli_v3_defunct.dat"
expect_exit 3 lost-events "$fx/cli_lost.dat"
# a clock that does not order CPUs: no verdict when root events come from
# two CPUs (clean or not: exit 3, reason clock_untrusted); one CPU is in
# program order and keeps its verdict
expect_exit 3 local-clock "$fx/cli_local_clock.dat"
expect_exit 3 local-clock-bug "$fx/cli_local_bug.dat"
expect_exit 0 local-clock-one-cpu "$fx/cli_local_one_cpu.dat"
"$bin" --json "$fx/cli_local_bug.dat" >"$tmp/local.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["reason"]=="clock_untrusted" and d["exit"]==3 and [v["rule"] for v in d["violations"]]==["REF-PUT-UNOWNED"] else 1)' "$tmp/local.json" &&
	ok || bad "local-clock-bug JSON: $(head -c 300 "$tmp/local.json")"
"$bin" "$fx/cli_local_bug.dat" | grep -qx "verdict: INCONCLUSIVE: 1 possible violation" && ok ||
	bad "local-clock-bug: no 'possible violation' verdict"
# a freed life is kept whole for RC_REORDER_NS after its free, then only
# its free (model_tomb.h): a put 1 ms after the free is judged against the
# gifts, one 200 ms after is a use after free shown after the free itself
expect_exit 1 late-uaf "$fx/cli_late_uaf.dat"
"$bin" --json "$fx/cli_late_uaf.dat" >"$tmp/late.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, b = d["violations"]
h = [(e["type"], e["ts"], e["pid"], e["cpu"]) for e in b["history"]]
sys.exit(0 if a["rule"] == "GIFT-DOUBLE-PUT" and a["root"] == "0x1a2b000" and
         len(a["history"]) == 8 and b["rule"] == "ROOT-UAF" and
         b["root"] == "0x5e6f000" and b["life"] == 1 and b["events"] == 8 and
         h == [("free", 3150, 501, 0), ("put", 200003150, 700, 1)] and
         b["event"]["ts"] == 200003150 else 1)' "$tmp/late.json" &&
	ok || bad "late-uaf JSON: $(head -c 600 "$tmp/late.json")"
# CPU 1 1.3 ms early: the events near a finding on life 3 are life 2's
# (gone at life 3's alloc); noted all the same, the finding is doubted
expect_exit 3 skew-prev-life "$fx/cli_skew_prev_life.dat"
"$bin" --json "$fx/cli_skew_prev_life.dat" >"$tmp/prevlife.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = {(x["rule"], x["life"]): x for x in d["violations"]}
f = v.get(("REF-COUNT-MISMATCH", 3), {})
sys.exit(0 if d["violations_total"] == 0 and f.get("clock_doubt") and
         f["doubt_shift"]["cpu"] == 1 and f["doubt_shift"]["shift_ns"] < 0 and
         f["event"]["ts"] == 132600000 else 1)' "$tmp/prevlife.json" &&
	ok || bad "skew-prev-life JSON: $(head -c 600 "$tmp/prevlife.json")"
# NAME FIXTURE: exit 3, its one violation a REF-COUNT-MISMATCH in clock
# doubt, not found with CPU 1 set back 10 us
skew_10us_doubt() {
	expect_exit 3 "$1" "$fx/$2"
	"$bin" --json "$fx/$2" >"$tmp/$1.json"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
(x,) = d["violations"]
sys.exit(0 if d["violations_total"] == 0 and x["rule"] == "REF-COUNT-MISMATCH" and
         x["clock_doubt"] and x["doubt_shift"] == {"cpu": 1, "shift_ns": 10000} else 1)' \
		"$tmp/$1.json" && ok || bad "$1 JSON: $(head -c 600 "$tmp/$1.json")"
}
# events 1 us apart, CPU 1 10 us late, no bug: a 10 us pass reads it whole
skew_10us_doubt skew-whole cli_skew_whole.dat
# the same skew on a bug: the pass that fits every record finds the
# bug's GIFT-LEAK on the same root, and doubts only the count mismatch
skew_10us_doubt skew-mismatch-only cli_skew_mismatch_only.dat
# a task id past the reference ledger's field (2^23): not tracked, inconclusive
expect_exit 3 ref-limits "$fx/cli_ref_limits.dat"
grep -q '^warning: cap reached (VMs, root lives or reference ledger; man page, LIMITS): 2 events not tracked$' \
	"$tmp/out" && grep -q '^verdict: INCONCLUSIVE: no violation' "$tmp/out" &&
	ok || bad "ref-limits: $(head -c 600 "$tmp/out")"
# CPU 1 370 us ahead makes a worker's zap end after its fast zap: moved
# past the nearest or the farthest of its events the finding stays, past
# the zap's end (in the middle) it goes: in doubt, the true bug stands
expect_exit 1 skew-mid "$fx/cli_skew_mid.dat"
"$bin" --json "$fx/cli_skew_mid.dat" >"$tmp/skewmid.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = {x["rule"]: x for x in d["violations"]}
f = v.get("FASTZAP-INCOMPLETE", {})
sys.exit(0 if sorted(v) == ["FASTZAP-INCOMPLETE", "ITER-LEAK"] and
         not v["ITER-LEAK"]["clock_doubt"] and f["clock_doubt"] and
         f["doubt_shift"] == {"cpu": 1, "shift_ns": 171000} and
         d["violations_total"] == 1 else 1)' "$tmp/skewmid.json" &&
	ok || bad "skew-mid JSON: $(head -c 600 "$tmp/skewmid.json")"
# a true bug whose broken counts read as CPU 1 a few us ahead: the pass
# setting CPU 1 back finds the same violation at the same put, but
# numbers the root's lives otherwise: found again, FAIL (cli_skew_relife,
# matched by rule and event as well as by rule and life)
expect_exit 1 skew-relife "$fx/cli_skew_relife.dat"
"$bin" --json "$fx/cli_skew_relife.dat" >"$tmp/relife.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = [x for x in d["violations"] if x["rule"] == "GIFT-UNGIFTED-PUT"]
sys.exit(0 if len(v) == 1 and not v[0]["clock_doubt"] and v[0]["event"]["ts"] == 1005000 and
         v[0]["event"]["cpu"] == 1 and d["exit"] == 1 else 1)' "$tmp/relife.json" &&
	ok || bad "skew-relife JSON: $(head -c 600 "$tmp/relife.json")"
# a put at old=0 (a stale worker's, on the address's next life) is an
# underflow in any order: it does not wait for the count to reach zero
# and measures no clock, and the two true violations stand
# (cli_stale_zero_put; they were in clock doubt, exit 3)
expect_exit 1 stale-zero-put "$fx/cli_stale_zero_put.dat"
"$bin" --json "$fx/cli_stale_zero_put.dat" >"$tmp/zeroput.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = d["violations"]
g = [x for x in v if x["rule"] == "GIFT-UNGIFTED-PUT"]
sys.exit(0 if len(v) == 2 and not any(x["clock_doubt"] for x in v) and len(g) == 1 and
         g[0]["event"]["ts"] == 1003000 and g[0]["event"]["cpu"] == 1 and
         d["references"]["max_inversion_ns"] == 0 and d["exit"] == 1 else 1)' "$tmp/zeroput.json" &&
	ok || bad "stale-zero-put JSON: $(head -c 600 "$tmp/zeroput.json")"
# ABI v2: a put whose old is REFCOUNT_SATURATED (negative) is an
# underflow whatever the shadow count, printed as the int it is
expect_exit 1 v2-saturated-put "$fx/cli_v2_saturated_put.dat"
grep -qx '  put (owner vcpu) with kernel old=-1073741824, shadow count 3' "$tmp/out" &&
	grep -qx '  REF-UNDERFLOW' "$tmp/out" && ok || bad "v2-saturated-put: $(head -c 600 "$tmp/out")"
"$bin" --json "$fx/cli_v2_saturated_put.dat" >"$tmp/sat.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = d["violations"]
sys.exit(0 if [x["rule"] for x in v] == ["REF-UNDERFLOW"] and v[0]["event"]["old"] == -1073741824 and
         v[0]["event"]["ts"] == 2500 else 1)' "$tmp/sat.json" && ok || bad "v2-saturated-put JSON: $(head -c 600 "$tmp/sat.json")"
# a vCPU's get 1 us after an invalidation on another CPU, nothing in the
# counts between (cli_skew_unordered: a clean run, CPU 1 10 us behind):
# only the time stamps order them, a possible violation from the start
expect_exit 3 skew-unordered "$fx/cli_skew_unordered.dat"
"$bin" "$fx/cli_skew_unordered.dat" >"$tmp/skewun.txt"
grep -q "in clock doubt: only time stamps order it after its cause (cpu1's clock set forward 2 us reverses them)" \
	"$tmp/skewun.txt" && grep -q "^verdict: INCONCLUSIVE: 2 possible violations" "$tmp/skewun.txt" &&
	grep -qx "  2 ordered only by time stamps of two CPUs under 6 ms apart" "$tmp/skewun.txt" &&
	! grep -q "not found with" "$tmp/skewun.txt" &&
	ok || bad "skew-unordered text: $(head -c 600 "$tmp/skewun.txt")"
"$bin" --json "$fx/cli_skew_unordered.dat" >"$tmp/skewun.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = d["violations"]
f = v[0] if v else {}
sys.exit(0 if v and all(x["rule"] == "ROOT-REVALIDATE" and x["clock_doubt"] for x in v) and
         f["doubt_why"] == "unordered" and f["doubt_shift"] == {"cpu": 1, "shift_ns": -2000} and
         f["cause"]["type"] == "invalidate" and f["cause"]["cpu"] == 1 and
         f["event"]["cpu"] == 0 and d["violations_total"] == 0 and
         d["reason"] == "clock_untrusted" else 1)' "$tmp/skewun.json" &&
	ok || bad "skew-unordered JSON: $(head -c 600 "$tmp/skewun.json")"
# a clock that claims to order CPUs but is off on one (cli_skew_clean: a
# clean run, CPU 1 written 3 us ahead): the violation found as stamped is
# not found again with CPU 1 set back (the clock check), so no verdict
expect_exit 3 skew-clean "$fx/cli_skew_clean.dat"
"$bin" --json "$fx/cli_skew_clean.dat" >"$tmp/skew.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d["violations"]; c=d["clock_check"]; sys.exit(0 if d["reason"]=="clock_untrusted" and d["exit"]==3 and v and all(x["clock_doubt"] for x in v) and d["violations_total"]==0 and d["clock_doubted"]==len(v) and c and c[0]["cpu"]==1 and 1000<=c[0]["shift_ns"]<=4000 else 1)' "$tmp/skew.json" &&
	ok || bad "skew-clean JSON: $(head -c 400 "$tmp/skew.json")"
"$bin" "$fx/cli_skew_clean.dat" | grep -q "^  not found with a CPU's clock set back (cpu1 [0-9]* us)$" && ok ||
	bad "skew-clean: no clock-check line in the verdict"
# Skew the records measure only indirectly (issue 14; fixtures are
# simulator traces written by tests/sim/skew_sim.py, all clean):
# - cli_skew_late_fit: CPU 1 2.5 ms ahead; CPU 0's records were forced
#   at its fast zap's end before CPU 1's record they needed arrived: that
#   record's late fit measures CPU 1 ahead, the pass setting it back
#   finds nothing, so the mismatch is in clock doubt;
# - cli_skew_teardown: CPU 1 250 us ahead; nothing out of `old` order, but
#   its worker's put comes after the VM's teardown: measured from there;
# - cli_skew_behind: CPU 1 2.5 ms behind, 4 CPUs: the others read ahead of
#   it; setting CPU 1 forward, or the CPUs near each violation back,
#   clears the violations (never CPU 1 set back).
for t in late_fit:1:1 teardown:1:1 behind:1:-1; do
	n=${t%%:*} c=$(echo "$t" | cut -d: -f2) sign=${t##*:}
	expect_exit 3 "skew-$n" "$fx/cli_skew_$n.dat"
	"$bin" --json "$fx/cli_skew_$n.dat" | python3 -c '
import json, sys
d = json.load(sys.stdin)
cpu, sign = int(sys.argv[1]), int(sys.argv[2])
v = d["violations"]
ok = (d["exit"] == 3 and d["reason"] == "clock_untrusted" and v and
      all(x["clock_doubt"] for x in v) and d["violations_total"] == 0 and
      any((p["cpu"] == cpu) == (p["shift_ns"] * sign > 0) for p in d["clock_check"]))
sys.exit(0 if ok else 1)' "$c" "$sign" && ok || bad "skew-$n: not in clock doubt by CPU $c moved ($sign)"
done
"$bin" "$fx/cli_skew_behind.dat" | grep "^  not found with a CPU's clock set back" | grep -Eq "cpu1 2\.[0-9] ms forward|^[^1]*$" && ok ||
	bad "skew-behind: the verdict names CPU 1 set back"
# Skew no record measures (both clean; issue 14):
# - cli_skew_improve: CPU 1 1 ms ahead; the records measure 300 us, and
#   only moving CPU 1 past the farthest event near the mismatch (0.9 ms,
#   beyond twice what was measured) fits the record that never fitted;
# - cli_skew_ladder: CPU 1 2.5 ms behind, nothing measured at all; records
#   that fit no order make the ladder try CPUs moved by 0.2 .. 6 ms.
# Each violation names the pass that put it in doubt.
for n in improve ladder; do
	expect_exit 3 "skew-$n" "$fx/cli_skew_$n.dat"
	"$bin" --json "$fx/cli_skew_$n.dat" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d["violations"]
ok = (d["exit"] == 3 and d["reason"] == "clock_untrusted" and v and d["violations_total"] == 0 and
      all(x["clock_doubt"] and 200000 <= abs(x["doubt_shift"]["shift_ns"]) <= 6000000 and
          {"cpu": x["doubt_shift"]["cpu"], "shift_ns": x["doubt_shift"]["shift_ns"]} in d["clock_check"]
          for x in v))
sys.exit(0 if ok else 1)' && ok || bad "skew-$n: not every violation in clock doubt by a pass it names"
	"$bin" "$fx/cli_skew_$n.dat" | grep -q "^  in clock doubt: not found with cpu[0-9].s clock set \(back\|forward\) [0-9.]* \(us\|ms\)$" && ok ||
		bad "skew-$n: a violation does not name the pass that doubted it"
done
# A true bug the clock check must not doubt (cli_skew_past_teardown:
# events 1 us apart, nothing out of order): a pass setting CPU 1 forward
# past the VM's teardown reads a root's alloc after the teardown that
# finds its gift leaked; more root events after a teardown refute it
expect_exit 1 skew-past-teardown "$fx/cli_skew_past_teardown.dat"
"$bin" --json "$fx/cli_skew_past_teardown.dat" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d["violations"]
ok = (d["exit"] == 1 and d["clock_doubted"] == 0 and
      sorted((x["rule"], x["root"]) for x in v) ==
      [("GIFT-LEAK", "0x1234000"), ("GIFT-LEAK", "0x1235000"), ("GIFT-LEAK", "0x1236000")] and
      not any(x["clock_doubt"] for x in v))
sys.exit(0 if ok else 1)' && ok || bad "skew-past-teardown: a true GIFT-LEAK in clock doubt"
# no clock check without a violation, nor on a trace whose order holds
for t in cli_clean cli_v3_defunct; do
	"$bin" --json "$fx/$t.dat" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["clock_check"]==[] and d["clock_doubted"]==0 else 1)' &&
		ok || bad "$t: a clock check where none was due"
done
expect_exit 0 forced-design-ok --design=gifted "$fx/cli_clean.dat"
# Forcing the gifted design on an async-worker trace: its defunct root
# (last reference put while valid) is exactly what the gifted design forbids.
"$bin" --design=gifted --json "$fx/cli_v3_defunct.dat" >"$tmp/forced.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [v["rule"] for v in d["violations"]]==["ROOT-FREE-VALID"] else 1)' "$tmp/forced.json" &&
	ok || bad "--design=gifted on the v3 trace: want ROOT-FREE-VALID only"
# The v6.4/v6.5 hybrid (docs/designs.md): detected from who zaps; the
# same fast-zap put of the worker's gift is the fast zap's own early put
# under the gifted profile, a put of someone else's gift under the hybrid.
syn=tests/data/synthetic
design_rules() {	# NAME WANT-DETECTED WANT-RULES ARGS...
	local name=$1 want_d=$2 want_r=$3
	shift 3
	"$bin" --json "$@" >"$tmp/$name.json" 2>/dev/null
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=",".join(v["rule"] for v in d["violations"]); sys.exit(0 if (d["design"]["detected"], r) == (sys.argv[2], sys.argv[3]) else 1)' \
		"$tmp/$name.json" "$want_d" "$want_r" && ok || bad "$name: want design $want_d, rules '$want_r'"
}
design_rules hybrid-auto hybrid "" "$syn/hybrid-clean.dat"
design_rules hybrid-gift-put hybrid GIFT-UNGIFTED-PUT "$syn/hybrid-fastzap-gift-put.dat"
design_rules hybrid-forced-gifted gifted GIFT-PUT-BEFORE-ZAP --design=gifted "$syn/hybrid-fastzap-gift-put.dat"
design_rules hybrid-forced hybrid "" --design=hybrid "$syn/hybrid-clean.dat"
design_rules async-auto async-worker "" "$syn/issue12-flush-late-defunct.dat"
"$bin" --design=v2 "$fx/cli_clean.dat" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "auto, gifted, hybrid or async-worker" "$tmp/err" && ok ||
	bad "--design=v2: exit $rc, want 2 and the list of designs"
expect_exit 1 options-after-file "$fx/cli_v3_defunct.dat" --summary
# ABI v2 (second kernel series): the handoff, shared-only zap events, owners
# renumbered (zap = 2); the faithful v3 bug names the vCPU put as cause.
expect_exit 0 v2-clean "$fx/cli_v2_clean.dat"
"$bin" "$fx/cli_v2_clean.dat" 2>&1 | grep -q 'event ABI v2' && ok || bad "v2-clean: header does not say event ABI v2"
"$bin" "$fx/cli_v3_defunct.dat" 2>&1 | grep -q 'event ABI v1' && ok || bad "v3-defunct: header does not say event ABI v1"
expect_exit 1 v2-v3-faithful "$fx/cli_v2_v3_faithful.dat"
"$bin" --json "$fx/cli_v2_v3_faithful.dat" >"$tmp/v2bug.json"
python3 - "$tmp/v2bug.json" <<'PY' && ok || bad "v2-v3-faithful: want GIFT-UNGIFTED-PUT at the zapper's put, caused by the vCPU put"
import json, sys
d = json.load(open(sys.argv[1]))
v = [x for x in d["violations"] if x["rule"] == "GIFT-UNGIFTED-PUT"]
ok = d["trace"]["abi"] == 2 and len(d["violations"]) == 1 and v and \
    v[0]["event"]["owner"] == "zap" and \
    v[0]["event"]["caller_sym"].startswith("kvm_tdp_mmu_zap_invalidated_roots") and \
    v[0]["cause"]["owner"] == "vcpu" and v[0]["cause"]["caller_sym"].startswith("kvm_mmu_free_roots")
sys.exit(0 if ok else 1)
PY
(cd "$fx" && "$bin" >/dev/null 2>&1); rc=$?
[ $rc -eq 2 ] && ok || bad "no FILE and no ./trace.dat: exit $rc, want 2"
cp "$fx/cli_clean.dat" "$tmp/trace.dat"
(cd "$tmp" && "$bin" >/dev/null 2>&1); rc=$?
[ $rc -eq 0 ] && ok || bad "default ./trace.dat: exit $rc, want 0"

# No root event at all is not a PASS (issue 14): the formats of every root
# event and no record, VM-level events only, a lost-event mark only.
for t in no_records vm_only lost_only; do
	expect_exit 3 "nothing-$t" "$fx/cli_$t.dat"
	grep -qx 'verdict: INCONCLUSIVE: no root events recorded' "$tmp/out" && ! grep -q PASS "$tmp/out" && ok ||
		bad "nothing-$t: verdict line: $(grep '^verdict' "$tmp/out")"
	"$bin" --json "$fx/cli_$t.dat" >"$tmp/nothing.json"
	python3 - "$tmp/nothing.json" <<'PY' && ok || bad "nothing-$t: JSON verdict, reason or counts wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["verdict"], d["reason"], d["exit"]) == ("inconclusive", "no_root_events", 3), d
assert d["events"]["root_lifecycle"] == 0 and d["roots"]["lives"] == 0 and d["command"] is None
PY
done
grep -q '^warning: no root event, only 3 VM-level events (fast zap, teardown)$' <("$bin" "$fx/cli_vm_only.dat") && ok ||
	bad "nothing-vm_only: no warning naming the VM-level events"
expect_exit 3 nothing-summary --summary "$fx/cli_no_records.dat"
[ "$(tail -n 1 "$tmp/out")" = 'verdict: INCONCLUSIVE: no root events recorded' ] && ok ||
	bad "nothing-summary: last line: $(tail -n 1 "$tmp/out")"
expect_exit 3 nothing-table --summary "$fx/cli_clean.dat" "$fx/cli_no_records.dat"
grep -qx "INCONCLUSIVE 3  $fx/cli_no_records.dat  no root events recorded" "$tmp/out" &&
	grep -q "^PASS  *0  $fx/cli_clean.dat " "$tmp/out" && ok || bad "nothing-table: $(cat "$tmp/out")"
"$bin" --json "$fx/cli_no_records.dat" "$fx/cli_clean.dat" >"$tmp/nothing-multi.json"; rc=$?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [(x["exit"], x["reason"]) for x in d]==[(3, "no_root_events"), (0, None)] else 1)' \
	"$tmp/nothing-multi.json" && [ $rc -eq 3 ] && ok || bad "nothing-multi --json: exit $rc, want 3 and reasons no_root_events, null"
# a --root filter that matches nothing is an error (exit 2), never a PASS
expect_exit 2 root-absent --root 0xdead000 "$fx/cli_clean.dat"
grep -q -- '--root 0xdead000: no event of this root in the trace' "$tmp/err" && ok || bad "root-absent: $(cat "$tmp/err")"
expect_exit 2 root-in-empty --root 0x1a2b000 "$fx/cli_no_records.dat"

# Several FILEs: one report each, the worst exit wins (1, then 2, then
# 3, then 0); --summary gives one line per file; --json an array.
expect_exit 0 two-files "$fx/cli_clean.dat" "$fx/cli_clean.dat"
[ "$(grep -c '^verdict: PASS' "$tmp/out")" = 2 ] && ok || bad "two files: want two reports"
expect_exit 3 clean-and-lost "$fx/cli_clean.dat" "$fx/cli_lost.dat"
expect_exit 1 lost-fail-missing "$fx/cli_lost.dat" "$fx/cli_v3_defunct.dat" "$tmp/nonexistent.dat"
expect_exit 2 missing-and-lost --summary "$fx/cli_lost.dat" "$tmp/nonexistent.dat" "$fx/cli_clean.dat"
awk '{print $1, $2, $3}' "$tmp/out" >"$tmp/table"
printf '%s\n' "INCONCLUSIVE 3 $fx/cli_lost.dat" "ERROR 2 $tmp/nonexistent.dat" "PASS 0 $fx/cli_clean.dat" |
	cmp -s - "$tmp/table" && ok || bad "--summary table: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "--summary table: want one error line on stderr"
"$bin" --summary "$fx/cli_v3_defunct.dat" "$fx/cli_clean.dat" >"$tmp/table2"
grep -q "^FAIL  *1  $fx/cli_v3_defunct.dat  1 violation: GIFT-UNGIFTED-PUT\$" "$tmp/table2" && ok ||
	bad "--summary table FAIL line: $(head -1 "$tmp/table2")"
"$bin" --json "$fx/cli_clean.dat" "$tmp/nonexistent.dat" "$fx/cli_v3_defunct.dat" >"$tmp/multi.json" 2>/dev/null
python3 - "$tmp/multi.json" <<'PY' && ok || bad "--json with several files: want an array of three reports"
import json, sys
d = json.load(open(sys.argv[1]))
assert [x["exit"] for x in d] == [0, 2, 1], d
assert d[1]["verdict"] == "error" and "No such file" in d[1]["error"]
assert d[2]["violations"][0]["rule"] == "GIFT-UNGIFTED-PUT"
PY
# one file: exactly the single report, no array
"$bin" --json "$fx/cli_clean.dat" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["tool"]=="kvm-rootcheck" else 1)' &&
	ok || bad "--json with one file is not a single report"

# --json --root: the report plus the root's timeline.
"$bin" --json --root 0x1a2b000 "$fx/cli_clean.dat" >"$tmp/root.json"
python3 - "$tmp/root.json" <<'PY' && ok || bad "--json --root: no timeline"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["timeline"]
assert t["root"] == "0x1a2b000" and len(t["events"]) >= 10
assert all(e.get("root") == "0x1a2b000" for e in t["events"] if "root" in e)
PY

# kvm-rootcheck record: runs trace-cmd record (a fake here: logs its
# arguments and writes a known trace) with exactly the analyzer's events,
# the global clock and the buffer, then analyzes the trace and keeps it.
mkdir -p "$tmp/fakebin" "$tmp/rec"
cat >"$tmp/fakebin/trace-cmd" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$FAKE_LOG"
out= prev=
for a; do [ "$prev" = -o ] && out=$a; prev=$a; done
[ -n "$FAKE_TRACE" ] && cp "$FAKE_TRACE" "$out"
exit "${FAKE_RC:-0}"
SH
chmod +x "$tmp/fakebin/trace-cmd"
export FAKE_LOG="$tmp/rec/args"
# a tracefs with every event the analyzer reads (record asks trace-cmd only
# for events the kernel has); FAKEFS names another one
fakefs() {	# DIR EVENT...: a tracefs tree holding these kvmmmu events
	local d=$1 e
	shift
	mkdir -p "$d/events"
	for e; do mkdir -p "$d/events/kvmmmu/$e" && : >"$d/events/kvmmmu/$e/format"; done
}
fakefs "$tmp/fs-all" $("$bin" --list-events | sed 's/^kvmmmu://')
fakefs "$tmp/fs-v21" $("$bin" --list-events | sed 's/^kvmmmu://' | grep -vx kvm_tdp_mmu_root_handoff)
fakefs "$tmp/fs-stock" $("$bin" --list-events | sed 's/^kvmmmu://' | grep -vx 'kvm_tdp_mmu_.*')
fakefs "$tmp/fs-none"
record_run() {	# WANT_EXIT NAME ARGS...: run record with the fake trace-cmd
	local want=$1 name=$2
	shift 2
	(cd "$tmp/rec" && KVM_ROOTCHECK_TRACEFS=${FAKEFS:-$tmp/fs-all} PATH="$tmp/fakebin:$PATH" \
		"$bin" record "$@" >"$tmp/out" 2>"$tmp/err")
	local rc=$?
	[ "$rc" -eq "$want" ] && ok || bad "record $name: exit $rc, want $want ($(head -c 300 "$tmp/err"))"
}
FAKE_TRACE="$fx/cli_v3_defunct.dat" record_run 1 v3 -- sh -c 'exit 0' -x --summary
{
	printf '%s\n' record -C global -b 20000
	"$bin" --list-events | sed 's/^/-e\n/'
	printf '%s\n' -o trace.dat -- sh -c 'exit 0' -x --summary
} >"$tmp/rec/want"
cmp -s "$tmp/rec/want" "$tmp/rec/args" && ok ||
	bad "record: trace-cmd arguments differ: $(diff "$tmp/rec/want" "$tmp/rec/args" | head -5)"
grep -q '^verdict: FAIL' "$tmp/out" && grep -q 'GIFT-UNGIFTED-PUT' "$tmp/out" && ok ||
	bad "record: no full report of the recorded trace"
cmp -s "$tmp/rec/trace.dat" "$fx/cli_v3_defunct.dat" && grep -q 'kept in trace.dat' "$tmp/err" && ok ||
	bad "record: trace.dat not kept"
# a kernel without the handoff event (6.1, or ABI v1): not asked for
FAKEFS=$tmp/fs-v21 FAKE_TRACE="$fx/cli_clean.dat" record_run 0 no-handoff -- true
grep -qx 'kvmmmu:kvm_tdp_mmu_root_alloc' "$tmp/rec/args" && ! grep -q handoff "$tmp/rec/args" && ok ||
	bad "record on a kernel without the handoff event: $(tr '\n' ' ' <"$tmp/rec/args")"
# a kernel without the series, or without kvm loaded: one line, exit 2,
# trace-cmd not run
rm -f "$tmp/rec/args"
FAKEFS=$tmp/fs-stock FAKE_TRACE="$fx/cli_clean.dat" record_run 2 stock-kernel -- true
[ ! -e "$tmp/rec/args" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
	grep -q 'no kvmmmu:kvm_tdp_mmu_root_alloc: the kernel lacks the kvm-rootcheck patches' "$tmp/err" && ok ||
	bad "record on a kernel without the series: $(cat "$tmp/err")"
FAKEFS=$tmp/fs-none FAKE_TRACE="$fx/cli_clean.dat" record_run 2 no-kvmmmu -- true
[ ! -e "$tmp/rec/args" ] && grep -q 'tracefs has no kvmmmu events (kvm module not loaded' "$tmp/err" && ok ||
	bad "record without kvmmmu events: $(cat "$tmp/err")"
FAKE_TRACE="$fx/cli_clean.dat" record_run 0 o-and-b -o mine.dat -b 512 true
sed -n '5p;$p' "$tmp/rec/args" | tr '\n' ' ' | grep -qx '512 true ' && grep -qx mine.dat "$tmp/rec/args" &&
	[ -f "$tmp/rec/mine.dat" ] && ok || bad "record -o/-b: $(tr '\n' ' ' <"$tmp/rec/args")"
# a command that crashed before KVM ran: trace-cmd writes a trace without
# a record (and exits 0): not a PASS
FAKE_TRACE="$fx/cli_no_records.dat" record_run 3 no-root-event -o empty.dat -- false
grep -qx 'verdict: INCONCLUSIVE: no root events recorded' "$tmp/out" && ok ||
	bad "record of a trace without root events: $(grep '^verdict' "$tmp/out")"
FAKE_TRACE= FAKE_RC=1 record_run 2 trace-cmd-fails -o fail.dat -- true
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'trace-cmd record exited with status 1' "$tmp/err" && ok ||
	bad "record with a failing trace-cmd: $(cat "$tmp/err")"
record_run 2 no-command -o x.dat
record_run 2 analyzer-option-after-record --summary -- true	# record's options only
(cd "$tmp/rec" && FAKE_TRACE="$fx/cli_clean.dat" KVM_ROOTCHECK_TRACEFS=$tmp/fs-all PATH="$tmp/fakebin:$PATH" "$bin" --summary record -- true >"$tmp/out" 2>/dev/null) &&
	[ "$(grep -c . "$tmp/out")" -lt 12 ] && grep -q '^verdict: PASS' "$tmp/out" && ok ||
	bad "--summary record: want the summary of the recorded trace"
(cd "$tmp/rec" && KVM_ROOTCHECK_TRACEFS=$tmp/fs-all PATH=/nonexistent "$bin" record -- true >/dev/null 2>"$tmp/err"); rc=$?
[ $rc -eq 2 ] && grep -q 'cannot run trace-cmd' "$tmp/err" && ok || bad "record without trace-cmd: exit $rc"
expect_exit 2 record-bad-b record -b 0 -- true
expect_exit 2 record-with-instance -B x record -- true

# live on a fake tracefs (tests/cli/fakefs.py: the formats, and pages in
# the instance's trace_pipe_raw of CPU 0; fakefs_preload.c fills the
# instance live creates): how the command ended is part of the verdict,
# and a run without a root event is not a PASS (issue 14).
# a kallsyms of a few lines (the host's costs 15-20 s a run under ASan)
printf 'ffffffff81000000 T _stext\nffffffff81100000 t kvm_tdp_mmu_zap_invalidated_roots\n' >"$tmp/kallsyms"
if ${CC:-cc} -shared -fPIC -o "$tmp/fakefs_preload.so" tests/cli/fakefs_preload.c -ldl 2>"$tmp/cc.err" &&
	python3 tests/cli/fakefs.py "$tmp/live-clean" tests/fixtures/cli_clean.txt &&
	python3 tests/cli/fakefs.py "$tmp/live-bug" tests/fixtures/cli_v3_defunct.txt &&
	python3 tests/cli/fakefs.py "$tmp/live-empty"; then
	live_run() {	# WANT_EXIT NAME FS VERDICT-LINE JSON-COMMAND JSON-REASON COMMAND...
		local want=$1 name=$2 fs=$3 line=$4 jcmd=$5 jwhy=$6 rc
		shift 6
		for j in "" --json; do
			FAKEFS_TEMPLATE="$tmp/$fs/template" KVM_ROOTCHECK_TRACEFS="$tmp/$fs/tracefs" \
				FAKEFS_KALLSYMS="$tmp/kallsyms" \
				LD_PRELOAD="$tmp/fakefs_preload.so" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
				timeout 120 "$bin" $j live -- "$@" >"$tmp/live.out" 2>"$tmp/live.err"
			rc=$?
			[ $rc -eq "$want" ] && ok || bad "live $name $j: exit $rc, want $want: $(head -c 300 "$tmp/live.err")"
			if [ -z "$j" ]; then
				[ "$(sed -n '/^verdict: /,$p' "$tmp/live.out")" = "$line" ] && ok ||
					bad "live $name: verdict '$(sed -n '/^verdict: /,$p' "$tmp/live.out")', want '$line'"
			else
				python3 - "$tmp/live.out" "$jcmd" "$jwhy" "$want" <<'PY' && ok || bad "live $name --json: command, reason or exit wrong: $(tail -n 1 "$tmp/live.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert json.dumps(d["command"], sort_keys=True) == sys.argv[2], d["command"]
assert d["reason"] == (sys.argv[3] if sys.argv[3] != "null" else None), d["reason"]
assert d["exit"] == int(sys.argv[4]) and d["input"] == "live"
PY
			fi
		done
		[ -z "$(ls "$tmp/$fs/tracefs/instances")" ] && ok || bad "live $name: instance left behind"
	}
	live_run 0 clean-true live-clean 'verdict: PASS: 3 root lives in 2 VMs, 17 rules, no violation' \
		'{"exit": 0, "name": "true", "signal": null}' null true
	live_run 3 clean-false live-clean "$(printf 'verdict: INCONCLUSIVE: command exited 1\n  no violation in 3 root lives in 2 VMs')" \
		'{"exit": 1, "name": "false", "signal": null}' command_failed false
	live_run 3 clean-segv live-clean "$(printf 'verdict: INCONCLUSIVE: command killed by SIGSEGV\n  no violation in 3 root lives in 2 VMs')" \
		'{"exit": null, "name": "sh", "signal": "SIGSEGV"}' command_failed sh -c 'kill -SEGV $$'
	live_run 3 clean-exit-139 live-clean "$(printf 'verdict: INCONCLUSIVE: command exited 139\n  no violation in 3 root lives in 2 VMs')" \
		'{"exit": 139, "name": "sh", "signal": null}' command_failed sh -c 'exit 139'
	live_run 1 bug-false live-bug "$(printf 'verdict: FAIL: 1 violation; command exited 1\n  GIFT-UNGIFTED-PUT')" \
		'{"exit": 1, "name": "false", "signal": null}' null false
	live_run 3 empty-true live-empty 'verdict: INCONCLUSIVE: no root events recorded' \
		'{"exit": 0, "name": "true", "signal": null}' no_root_events true
	live_run 3 empty-false live-empty 'verdict: INCONCLUSIVE: no root events recorded; command exited 1' \
		'{"exit": 1, "name": "false", "signal": null}' no_root_events false
	live_run 3 empty-segv live-empty "$(printf 'verdict: INCONCLUSIVE: no root events recorded\n  command killed by SIGSEGV')" \
		'{"exit": null, "name": "sh", "signal": "SIGSEGV"}' no_root_events sh -c 'kill -SEGV $$'
	grep -qx 'kvm-rootcheck: note: command killed by SIGSEGV' "$tmp/live.err" && ok ||
		bad "live empty-segv: stderr: $(cat "$tmp/live.err")"

	# live runs the clock check too, its passes reading a spool of the
	# run's events (source_spool.h). For each fixture with events on
	# several CPUs, live on its pages per CPU (fakefs.py --per-cpu;
	# FAKEFS_NCPUS: the fixture's CPUs) says what its trace.dat says:
	# skewed clean runs INCONCLUSIVE, true bugs FAIL (before the spool,
	# live said FAIL on 10 that the file calls INCONCLUSIVE, and on
	# cli_skew_mid named a violation the file puts in clock doubt).
	live_fs() {	# FS ARGS...: the analyzer on fake tracefs FS
		local fs=$1
		shift
		FAKEFS_NCPUS=4 FAKEFS_TEMPLATE="$tmp/$fs/template" KVM_ROOTCHECK_TRACEFS="$tmp/$fs/tracefs" \
			FAKEFS_KALLSYMS="$tmp/kallsyms" LD_PRELOAD="$tmp/fakefs_preload.so" \
			ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" timeout 120 "$bin" "$@"
	}
	npc=0
	for t in tests/fixtures/cli_skew_*.txt tests/fixtures/cli_late_uaf.txt \
		tests/fixtures/cli_time_order.txt tests/fixtures/src_fields.txt; do
		n=$(basename "$t" .txt)
		if ! python3 tests/cli/fakefs.py --per-cpu "$tmp/pc-$n" "$t"; then
			bad "fakefs.py --per-cpu $n"
			continue
		fi
		live_fs "pc-$n" live -- true >"$tmp/pc.out" 2>"$tmp/pc.err"
		rc=$?
		"$bin" "$fx/$n.dat" >"$tmp/pc.file" 2>&1
		frc=$?
		if [ $rc -eq $frc ] && [ "$(sed -n '/^verdict: /,$p' "$tmp/pc.out")" = \
			"$(sed -n '/^verdict: /,$p' "$tmp/pc.file")" ]; then
			ok
			[ $rc -eq 3 ] && npc=$((npc + 1))
		else
			bad "live per-CPU $n: exit $rc, file $frc: $(sed -n '/^verdict: /,$p' "$tmp/pc.out" | head -c 300) $(head -c 200 "$tmp/pc.err")"
		fi
	done
	[ $npc -ge 8 ] && ok || bad "live per-CPU: $npc inconclusive, want 8 or more"
	live_fs pc-cli_skew_clean --json live -- true >"$tmp/pc.json"
	python3 - "$tmp/pc.json" <<'PY' && ok || bad "live skew-clean --json: $(head -c 600 "$tmp/pc.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["reason"] == "clock_untrusted" and d["exit"] == 3 and d["violations_total"] == 0
assert d["clock_doubted"] == 1 and d["clock_check"] and d["clock_check_skipped"] is None
PY
	# the command does not inherit the spool (close-on-exec)
	live_fs pc-cli_skew_clean live -- sh -c "ls -l /proc/\$\$/fd >'$tmp/fds'" >/dev/null 2>&1
	grep -q ' 0 -> ' "$tmp/fds" && ! grep -q kvm-rootcheck-spool "$tmp/fds" && ok ||
		bad "live: the command inherited the spool: $(cat "$tmp/fds")"
	# the spool off: no clock check, and the report says so
	KVM_ROOTCHECK_SPOOL_MB=0 live_fs pc-cli_skew_clean live -- true >"$tmp/pc.out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -qx 'warning: clock check not run: the spool is off (KVM_ROOTCHECK_SPOOL_MB=0)' "$tmp/pc.out" &&
		ok || bad "live spool off: exit $rc: $(grep -m2 '^warning\|^verdict' "$tmp/pc.out")"
	KVM_ROOTCHECK_SPOOL_MB=0 live_fs pc-cli_skew_clean --json live -- true >"$tmp/pc.json" 2>&1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["clock_check_skipped"] == "the spool is off (KVM_ROOTCHECK_SPOOL_MB=0)" and
         d["clock_check"] == [] and d["exit"] == 1 else 1)' "$tmp/pc.json" && ok ||
		bad "live spool off --json: $(head -c 400 "$tmp/pc.json")"
	KVM_ROOTCHECK_SPOOL_MB=1x live_fs pc-cli_skew_clean live -- true >"$tmp/pc.out" 2>"$tmp/pc.err"
	rc=$?
	[ $rc -eq 2 ] && [ "$(cat "$tmp/pc.err")" = \
		"kvm-rootcheck: KVM_ROOTCHECK_SPOOL_MB='1x' is not a number from 0 to 16777216" ] &&
		ok || bad "live bad KVM_ROOTCHECK_SPOOL_MB: exit $rc: $(cat "$tmp/pc.err")"
	# the kernel changed its clocksource during the run (it marked the
	# TSC unstable): the trace clock no longer orders CPUs, no verdict
	python3 tests/cli/fakefs.py --per-cpu "$tmp/pc-clean" tests/fixtures/cli_clean.txt
	echo tsc >"$tmp/cs"
	KVM_ROOTCHECK_CLOCKSOURCE="$tmp/cs" live_fs pc-clean live -- sh -c "echo hpet >'$tmp/cs'" >"$tmp/pc.out" 2>&1
	rc=$?
	[ $rc -eq 3 ] && grep -qx 'warning: clock not trusted: clocksource went tsc -> hpet mid-run' "$tmp/pc.out" &&
		[ "$(sed -n '/^verdict: /,$p' "$tmp/pc.out")" = "$(printf "verdict: INCONCLUSIVE: clock 'global' not trusted\n  no violation in 3 root lives in 2 VMs")" ] &&
		ok || bad "live clocksource change: exit $rc: $(grep '^warning\|^verdict' "$tmp/pc.out")"
	echo tsc >"$tmp/cs"
	KVM_ROOTCHECK_CLOCKSOURCE="$tmp/cs" live_fs pc-clean --json live -- sh -c "echo hpet >'$tmp/cs'" >"$tmp/pc.json" 2>&1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["trace"]
sys.exit(0 if t["clock"] == "global" and not t["clock_reliable"] and
         t["clock_note"] == "clocksource went tsc -> hpet mid-run" and
         d["reason"] == "clock_untrusted" and d["exit"] == 3 else 1)' "$tmp/pc.json" && ok ||
		bad "live clocksource change --json: $(head -c 400 "$tmp/pc.json")"
	# unchanged: the same run passes
	echo tsc >"$tmp/cs"
	KVM_ROOTCHECK_CLOCKSOURCE="$tmp/cs" live_fs pc-clean live -- true >"$tmp/pc.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q '^verdict: PASS: 3 root lives in 2 VMs' "$tmp/pc.out" && ! grep -q '^warning' "$tmp/pc.out" &&
		ok || bad "live clocksource unchanged: exit $rc: $(grep '^warning\|^verdict' "$tmp/pc.out")"
else
	bad "cannot set up the fake tracefs for live: $(head -c 300 "$tmp/cc.err")"
fi

# The lost-events case: no violation at all in the JSON, exit 3.
"$bin" --json "$fx/cli_lost.dat" >"$tmp/lost.json"
python3 - "$tmp/lost.json" <<'PY' && ok || bad "cli_lost JSON: violations or verdict wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["violations"] == [] and d["violations_total"] == 0, d["violations"]
assert d["verdict"] == "inconclusive" and d["exit"] == 3
assert d["roots"]["unverified"] == 1 and d["events"]["lost"] == 12
PY

# The review's v3 scenario names the fast zap's put and its cause.
"$bin" --json "$fx/cli_v3_defunct.dat" >"$tmp/v3.json"
python3 - "$tmp/v3.json" <<'PY' && ok || bad "cli_v3_defunct JSON: wrong finding"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["violations"]
assert [x["rule"] for x in v] == ["GIFT-UNGIFTED-PUT"], v
f = v[0]
assert f["root"] == "0x3c4d000"
assert f["event"]["comm"] == "qemu-main" and f["event"]["owner"] == "zap"
assert f["event"]["caller_sym"].startswith("kvm_tdp_mmu_zap_invalidated_roots+")
assert f["cause"]["comm"] == "qemu-vcpu0" and f["cause"]["pid"] == 500
assert f["cause"]["caller_sym"].startswith("mmu_free_root_page+")
assert d["design"]["detected"] == "async-worker"
PY

# trace.dat version 7 (zstd) gives the same report as version 6.
# (as root trace-cmd may mount tracefs: a private mount namespace keeps the
# host's mounts as they are)
ns=()
[ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null &&
	ns=(unshare -m --propagation private)
if "${ns[@]}" trace-cmd convert -i "$fx/cli_v3_defunct.dat" -o "$tmp/v7.dat" --file-version 7 \
	--compression zstd >/dev/null 2>&1; then
	"$bin" --json "$tmp/v7.dat" | sed 's/"input":"[^"]*"//' >"$tmp/v7.json"
	sed 's/"input":"[^"]*"//' "$tmp/v3.json" >"$tmp/v6.json"
	cmp -s "$tmp/v6.json" "$tmp/v7.json" && ok || bad "v7 (zstd) report differs from v6"
	# read through a new handle every page (analyzer/source_merge.c): the
	# same report, call-site symbols included (the new handles skip them)
	KVM_ROOTCHECK_SEGMENT_PAGES=1 "$bin" --json "$tmp/v7.dat" | sed 's/"input":"[^"]*"//' >"$tmp/v7s.json"
	cmp -s "$tmp/v7.json" "$tmp/v7s.json" && grep -q '"caller_sym":"kvm_tdp_mmu_zap_invalidated_roots+' "$tmp/v7s.json" &&
		ok || bad "v7 read a page a handle: report differs"
	KVM_ROOTCHECK_SEGMENT_PAGES=x "$bin" "$tmp/v7.dat" >/dev/null 2>"$tmp/segx.err"
	[ $? -eq 2 ] && [ "$(wc -l <"$tmp/segx.err")" -eq 1 ] && grep -q "is not a number of pages" "$tmp/segx.err" &&
		ok || bad "KVM_ROOTCHECK_SEGMENT_PAGES=x: want exit 2 and one line"
	grep -q 'zstd' <(trace-cmd dump --summary "$tmp/v7.dat" 2>&1) && ok ||
		bad "converted file is not zstd-compressed v7"
else
	bad "trace-cmd convert to v7 failed"
fi

# Page walking (analyzer/source_merge.c): the records after the first of
# each page read from the library's kbuffer give the same reports as every
# record through the library, on the real traces and on byte-mutated
# copies of one (damaged pages, lost events, bad lengths).
walk_same() {
	local a b
	a=$("$bin" --json "$1" 2>&1; echo "rc $?")
	b=$(KVM_ROOTCHECK_PAGE_WALK=0 "$bin" --json "$1" 2>&1; echo "rc $?")
	[ "$a" = "$b" ]
}
for f in tests/data/6.12-rootstress.dat tests/data/6.1-rootstress.dat "$fx/cli_v3_defunct.dat"; do
	walk_same "$f" && ok || bad "page walking changes the report of $f"
done
for seed in $(seq 1 12); do
	python3 - tests/data/6.12-rootstress.dat "$tmp/mut.dat" "$seed" <<'PY'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[3]))
for _ in range(r.randint(1, 8)):
    pos = r.randint(len(b) // 3, len(b) - 1)
    b[pos] = r.randint(0, 255) if r.random() < 0.5 else b[pos] ^ (1 << r.randint(0, 7))
open(sys.argv[2], "wb").write(b)
PY
	walk_same "$tmp/mut.dat" && ok || bad "page walking changes the report of mutant $seed"
done
KVM_ROOTCHECK_PAGE_WALK=yes "$bin" tests/data/6.1-rootstress.dat >/dev/null 2>"$tmp/walkx.err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/walkx.err")" -eq 1 ] && grep -q "is not 0 or 1" "$tmp/walkx.err" &&
	ok || bad "KVM_ROOTCHECK_PAGE_WALK=yes: want exit 2 and one line"

# Golden reports.
golden clean.txt "cli_clean.dat"
golden clean.json --json "cli_clean.dat"
golden v3_defunct.txt "cli_v3_defunct.dat"
golden v3_defunct.json --json "cli_v3_defunct.dat"
golden lost.txt "cli_lost.dat"
golden local_clock.txt "cli_local_clock.dat"
golden v3_summary.txt --summary "cli_v3_defunct.dat"
golden root_timeline.txt --root 0x1a2b000 "cli_clean.dat"
for f in clean.txt v3_defunct.txt lost.txt local_clock.txt v3_summary.txt root_timeline.txt; do
	width_ok "$tmp/$f"
done
for f in clean.json v3_defunct.json; do
	json_ok "$tmp/$f"
done
grep -q 'GIFT-UNGIFTED-PUT' "$tmp/v3_summary.txt" && ! grep -q 'history' "$tmp/v3_summary.txt" &&
	ok || bad "--summary must keep the verdict and drop the details"
[ "$(grep -c 'zap_start\|alloc\|put\|get' "$tmp/root_timeline.txt")" -ge 10 ] &&
	ok || bad "--root timeline misses events"
# histories and --root timelines in timestamp order, not the order the
# model applied a held-back record in (cli_time_order: CPU 1's get
# stamped 1002500 is applied after CPU 0's stamped 1002800)
"$bin" --json --root 0x1234000 "$fx/cli_time_order.dat" >"$tmp/to.json" 2>/dev/null
python3 - "$tmp/to.json" <<'PY' && ok || bad "cli_time_order: history or timeline not in timestamp order"
import json, sys
d = json.load(open(sys.argv[1]))
tl = [(e["ts"], e["seq"]) for e in d["timeline"]["events"]]
hs = [[(e["ts"], e["seq"]) for e in v["history"]] for v in d["violations"]]
want = [1002500, 1002800, 1002900]
ok = (tl == sorted(tl) and [t for t, _ in tl if t in want] == want and
      [v["rule"] for v in d["violations"]] == ["ITER-LEAK"] and
      d["violations"][0]["cause"]["ts"] == 1002500 and
      all(h == sorted(h) and [t for t, _ in h if t in want] == want for h in hs))
sys.exit(0 if ok else 1)
PY

# A vCPU put stamped after the end of the fast zap whose iterator put
# counted it (its tracepoint fires after the atomic; seen live on
# memslot_perf_test): the end of the fast zap waits behind the held put,
# clean; with that vCPU put untraced, REF-COUNT-MISMATCH at the iterator
# put, and only there.
expect_exit 0 late-stamp "$fx/cli_v2_late_stamp.dat"
"$bin" --json "$fx/cli_v2_late_stamp_untraced.dat" | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = [(x["rule"], x["root"], x["event"]["ts"], x["event"]["cpu"], x["event"]["type"])
     for x in d["violations"]]
sys.exit(0 if d["exit"] == 1 and v == [("REF-COUNT-MISMATCH", "0x17160000",
                                         101510000, 0, "put")] else 1)' &&
	ok || bad "late-stamp-untraced: not one REF-COUNT-MISMATCH at the iterator put"

# Real kernel traces (tests/data/, from tests/vm): expected verdicts.
if [ -f tests/vm/expect.tsv ]; then
	while IFS=$'\t' read -r file code _; do
		case "$file" in ''|'#'*) continue ;; esac
		case "$code" in ''|*[!0-9]*) continue ;; esac	# header line
		[ -f "$file" ] || file="tests/data/$file"
		if [ ! -f "$file" ]; then
			# v1 traces are committed for good; the current ABI's appear
			# with make vm-regen-data (tests/vm/check-data.sh notes them)
			case "$file" in
			tests/data/v1/*) bad "$file listed in tests/vm/expect.tsv is missing" ;;
			*) echo "note: $file listed in tests/vm/expect.tsv, not recorded yet" ;;
			esac
			continue
		fi
		"$bin" --json "$file" >"$tmp/real.json" 2>"$tmp/real.err"
		rc=$?
		# the one judgement of expect.tsv, shared with tests/vm/vm-test.sh
		if line=$(tests/vm/verdict.py tests/vm/expect.tsv "${file#tests/data/}" "$rc" "$tmp/real.json"); then
			ok
		else
			bad "$line ($(head -c 200 "$tmp/real.err"))"
		fi
	done <tests/vm/expect.tsv
	# the judgement is strict: a violation of a rule not listed fails it,
	# and the call site must be the function itself, not a prefix of it
	f=6.12-inject-gift-early-put.dat
	[ -f "tests/data/$f" ] || f=v1/$f	# ABI v1 until make vm-regen-data
	if [ -f "tests/data/$f" ]; then
		"$bin" --json "tests/data/$f" >"$tmp/strict.json" 2>/dev/null
		tests/vm/verdict.py tests/vm/expect.tsv "$f" 1 "$tmp/strict.json" >/dev/null && ok ||
			bad "verdict.py rejects the real $f report"
		python3 - "$tmp/strict.json" "$tmp/extra.json" "$tmp/prefix.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
extra = json.loads(json.dumps(d))
extra["violations"].append(dict(d["violations"][0], rule="REF-UNDERFLOW"))
json.dump(extra, open(sys.argv[2], "w"))
for v in d["violations"]:
    for k in ("event", "cause"):
        if v.get(k) and "caller_sym" in v[k]:
            v[k]["caller_sym"] = v[k]["caller_sym"].replace("+", "_x+", 1)
json.dump(d, open(sys.argv[3], "w"))
PY
		! tests/vm/verdict.py tests/vm/expect.tsv "$f" 1 "$tmp/extra.json" >/dev/null && ok ||
			bad "verdict.py accepts a report with a rule not listed"
		! tests/vm/verdict.py tests/vm/expect.tsv "$f" 1 "$tmp/prefix.json" >/dev/null && ok ||
			bad "verdict.py accepts a call site that only starts with the expected one"
	else
		bad "tests/data/$f missing"
	fi
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
