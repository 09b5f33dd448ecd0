#!/bin/bash
# The bad-input corpus of issue 10: make it (tests/bad/gen.py), then check
# each case of tests/bad/cases.tsv: its exit code and its one line, in the
# ASan+UBSan build (a sanitizer report is a failure). Prints
# "bad-inputs: N passed, N failed".
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin="$BUILD/san/kvm-rootcheck"
out="$BUILD/bad"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pass=0
fail=0
if ! python3 tests/bad/gen.py "$out" >/dev/null; then
	echo "FAIL: tests/bad/gen.py"
	echo "bad-inputs: 0 passed, 1 failed"
	exit 1
fi
while IFS=$'\t' read -r name want re args; do
	case "$name" in ''|'#'*) continue ;; esac
	args=${args//@/$out}
	# shellcheck disable=SC2086
	timeout 60 "$bin" $args >"$out/$name.out" 2>"$out/$name.err" </dev/null
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail=$((fail + 1))
		echo "FAIL: $name: exit $rc, want $want: $(head -c 300 "$out/$name.err")"
		continue
	fi
	if [ "$want" -eq 2 ]; then
		if [ "$(wc -l <"$out/$name.err")" -eq 1 ] &&
		   grep -q '^kvm-rootcheck: ' "$out/$name.err" && grep -Eq -- "$re" "$out/$name.err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $name: want one line matching '$re' on stderr, got: $(cat "$out/$name.err")"
		fi
	elif grep -Eq -- "$re" "$out/$name.out" && ! grep -q 'Sanitizer\|runtime error' "$out/$name.err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: no line matching '$re' in: $(head -c 600 "$out/$name.out") $(head -c 300 "$out/$name.err")"
	fi
done <tests/bad/cases.tsv
# CLI and I/O cases: check NAME WANT ERE (of the one stderr line on exit 2,
# else of a stdout line) with the command's output in $out/NAME.{out,err}.
check() {
	local name=$1 want=$2 re=$3 rc=$4
	if [ "$rc" -ne "$want" ]; then
		fail=$((fail + 1))
		echo "FAIL: $name: exit $rc, want $want: $(head -c 300 "$out/$name.err")"
	elif [ "$want" -eq 2 ]; then
		if [ "$(wc -l <"$out/$name.err")" -eq 1 ] && grep -Eq -- "^kvm-rootcheck: .*$re" "$out/$name.err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $name: want one line matching '$re' on stderr, got: $(head -c 600 "$out/$name.err")"
		fi
	elif grep -Eq -- "$re" "$out/$name.out"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: no line matching '$re' in $(head -c 400 "$out/$name.out")"
	fi
}
d=tests/data/v1/demo.dat
rm -f "$out/fifo"
mkfifo "$out/fifo"
timeout 20 "$bin" "$out/fifo" >"$out/fifo.out" 2>"$out/fifo.err"
check fifo 2 'fifo: not a regular file' $?
timeout 60 "$bin" "$d" >/dev/full 2>"$out/dev-full.err"
check dev-full 2 'cannot write the report to standard output: No space left on device' $?
timeout 60 "$bin" --root=-1 "$d" >"$out/root-neg.out" 2>"$out/root-neg.err"
check root-neg 2 "--root: '-1' is not a hex address" $?
timeout 60 "$bin" --root=' 12' "$d" >"$out/root-space.out" 2>"$out/root-space.err"
check root-space 2 "--root: ' 12' is not a hex address" $?
timeout 60 "$bin" --root=0x12345678901234567 "$d" >"$out/root-long.out" 2>"$out/root-long.err"
check root-long 2 "is not a hex address" $?
timeout 60 "$bin" --root=0x1 "$d" >"$out/root-none.out" 2>"$out/root-none.err"
check root-none 2 '--root 0x1: no event of this root in the trace' $?
timeout 60 "$bin" -s - <"$d" >"$out/stdin-file.out" 2>"$out/stdin-file.err"
check stdin-file 0 '^verdict: PASS: 45 root lives' $?
cat "$d" | timeout 60 "$bin" -s - >"$out/stdin-pipe.out" 2>"$out/stdin-pipe.err"
check stdin-pipe 0 '^verdict: PASS: 45 root lives' $?
timeout 60 "$bin" - </dev/null >"$out/stdin-empty.out" 2>"$out/stdin-empty.err"
check stdin-empty 2 'not a trace-cmd trace.dat file' $?
long="$out/$(printf 'd%.0s' $(seq 1 300))/$(printf 'f%.0s' $(seq 1 300)).dat"
timeout 60 "$bin" "$long" >"$out/long-path.out" 2>"$out/long-path.err"
check long-path 2 'f\.dat: File name too long$' $?
KVM_ROOTCHECK_MAX_VMS=100 timeout 60 "$bin" "$out/many-vms.dat" >"$out/cap-vms.out" 2>"$out/cap-vms.err"
check cap-vms 3 '^warning: cap reached \(VMs, root lives or reference ledger; man page, LIMITS\): 200 events not tracked' $?
KVM_ROOTCHECK_MAX_ROOTS=50 timeout 60 "$bin" "$out/many-vms.dat" >"$out/cap-roots.out" 2>"$out/cap-roots.err"
check cap-roots 3 '^warning: cap reached \(VMs, root lives or reference ledger; man page, LIMITS\): 250 events not tracked' $?
timeout 60 "$bin" "$out/many-vms.dat" >"$out/no-cap.out" 2>"$out/no-cap.err"
check no-cap 0 '^verdict: PASS: 300 root lives in 300 VMs' $?
KVM_ROOTCHECK_MAX_VMS=x timeout 60 "$bin" "$d" >"$out/cap-bad.out" 2>"$out/cap-bad.err"
check cap-bad 2 "KVM_ROOTCHECK_MAX_VMS='x' is not a number" $?

# Out of memory (the release build: ASan reserves terabytes of address
# space): under ulimit -v from what loads the program to what a run needs,
# on a real trace and on one whose model grows with it, every run is the full
# verdict or exit 2 with one line that says "out of memory", never a
# crash or another exit (the library stopped reading pages without a word:
# that was exit 3, "trace not read in full"); the library's open, its
# reading of pages and the model must each be seen to fail.
oom_run() {	# KB FILE [ARGS]: exit status, output in $out/oom.{out,err}
	timeout 120 bash -c 'ulimit -v "$1" && exec "$2" --summary "${@:3}"' oom "$1" "$BUILD/kvm-rootcheck" "${@:2}" \
		>"$out/oom.out" 2>"$out/oom.err"
}
# the smallest limit (KB, to 512) for which CMD succeeds
oom_least() {
	local lo=1024 hi=1048576 mid
	while [ $((hi - lo)) -gt 512 ]; do
		mid=$(((lo + hi) / 2))
		if "$@" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}
oom_starts() { oom_run "$1" --version; }	# the program loads at all
oom_full() { oom_run "$1" "$f" && [ "$(tail -n 1 "$out/oom.out")" = "$want" ]; }
start=$(oom_least oom_starts)
for f in "$d" "$out/many-roots.dat"; do
	"$BUILD/kvm-rootcheck" --summary "$f" >"$out/oom.full" 2>/dev/null
	want=$(tail -n 1 "$out/oom.full")
	hi=$(oom_least oom_full)
	bad_runs=0
	for pct in 0 10 25 50 75 90 95 98 100; do
		kb=$((start + (hi - start) * pct / 100))
		oom_run "$kb" "$f"
		rc=$?
		if [ $rc -eq 0 ] && [ "$(tail -n 1 "$out/oom.out")" = "$want" ] && [ ! -s "$out/oom.err" ]; then
			continue
		elif [ $rc -eq 2 ] && [ "$(wc -l <"$out/oom.err")" -eq 1 ] &&
		     grep -q '^kvm-rootcheck: .*out of memory' "$out/oom.err" && [ ! -s "$out/oom.out" ]; then
			grep -q 'opening the trace' "$out/oom.err" && oom_open=1
			grep -q 'not analysed in full' "$out/oom.err" && oom_model=1
			grep -q 'reading the trace data' "$out/oom.err" && oom_read=1
			continue
		fi
		bad_runs=$((bad_runs + 1))
		echo "FAIL: oom: $f under ulimit -v $kb (of $hi): exit $rc: $(head -c 300 "$out/oom.err")"
	done
	[ $bad_runs -eq 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
done
if [ "${oom_open:-0}${oom_read:-0}${oom_model:-0}" = 111 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: oom: want an out-of-memory open, read and model (${oom_open:-0}, ${oom_read:-0}, ${oom_model:-0})"
fi

# live with KVM_ROOTCHECK_TRACEFS on a fake tracefs (a plain directory with
# the 6.12 formats): stale instances of gone analyzers are removed with a
# note, others kept; ours is made there and removed on the error path.
F="$out/faketfs"
rm -rf "$F"
mkdir -p "$F/events" "$F/instances/other" "$F/per_cpu/cpu0"
cp -r tests/data/v1/formats/6.12/kvmmmu tests/data/v1/formats/6.12/header_page \
	tests/data/v1/formats/6.12/header_event "$F/events/"
touch "$F/events/kvmmmu/enable"
mkdir "$F/instances/kvm-rootcheck-999999999-1" "$F/instances/kvm-rootcheck-$$-1"
sleep 60 &
alive=$!
mkdir "$F/instances/kvm-rootcheck-$alive-$(awk '{print $22}' /proc/$alive/stat)"
# the release build: under ASan, loading the host's /proc/kallsyms takes minutes
KVM_ROOTCHECK_TRACEFS="$F" timeout 120 "$BUILD/kvm-rootcheck" live -- true >"$out/live-fake.out" 2>"$out/live-fake.err"
rc=$?
want="kvm-rootcheck-$alive-$(awk '{print $22}' /proc/$alive/stat) other"
kill "$alive" 2>/dev/null
left=$(cd "$F/instances" && echo *)
if [ "$rc" -ne 2 ]; then
	fail=$((fail + 1)); echo "FAIL: live-fake: exit $rc, want 2: $(cat "$out/live-fake.err")"
elif ! tail -n 1 "$out/live-fake.err" | grep -q '^kvm-rootcheck: cannot set the trace clock of kvm-rootcheck-[0-9]*-[0-9]* to global$'; then
	fail=$((fail + 1)); echo "FAIL: live-fake: last line: $(tail -n 1 "$out/live-fake.err")"
elif [ "$(grep -c '^kvm-rootcheck: note: removed stale tracefs instance' "$out/live-fake.err")" -ne 2 ]; then
	fail=$((fail + 1)); echo "FAIL: live-fake: want 2 stale notes: $(cat "$out/live-fake.err")"
elif [ "$left" != "$want" ]; then
	fail=$((fail + 1)); echo "FAIL: live-fake: instances left: '$left', want '$want'"
else
	pass=$((pass + 1))
fi

echo "bad-inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
