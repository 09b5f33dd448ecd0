#!/bin/bash
# CLI tests of kvm-rootcheck (the ASan+UBSan build): exit codes, one-line
# errors, golden text and JSON reports, the 72-column limit, --summary,
# --root, and the real kernel traces listed in tests/vm/expect.tsv.
# UPDATE_GOLDEN=1 rewrites tests/cli/golden/ from the current output.
# Prints "cli: N passed, N failed".
set -u
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin="$BUILD/san/kvm-rootcheck"
fx="${RC_FIXTURES:-$BUILD/fixtures}"
golden=tests/cli/golden
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

# golden NAME ARGS...: stdout must equal tests/cli/golden/NAME.
golden() {
	local name=$1
	shift
	"$bin" "$@" >"$tmp/$name" 2>/dev/null
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
expect_exit 2 two-files "$fx/cli_clean.dat" "$fx/cli_clean.dat"
expect_exit 2 live-with-instance -B foo live
expect_exit 0 help --help
expect_exit 0 version --version

# Verdicts and exit codes on generated traces.
expect_exit 0 clean "$fx/cli_clean.dat"
expect_exit 1 v3-defunct "$fx/cli_v3_defunct.dat"
expect_exit 3 lost-events "$fx/cli_lost.dat"
expect_exit 0 local-clock "$fx/cli_local_clock.dat"
expect_exit 0 forced-design-ok --design=gifted "$fx/cli_clean.dat"
# Forcing the gifted design on an async-worker trace: its defunct root
# (last reference put while valid) is exactly what the gifted design forbids.
"$bin" --design=gifted --json "$fx/cli_v3_defunct.dat" >"$tmp/forced.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [v["rule"] for v in d["violations"]]==["ROOT-FREE-VALID"] else 1)' "$tmp/forced.json" &&
	ok || bad "--design=gifted on the v3 trace: want ROOT-FREE-VALID only"
expect_exit 1 options-after-file "$fx/cli_v3_defunct.dat" --summary
(cd "$fx" && "$top/$bin" >/dev/null 2>&1); rc=$?
[ $rc -eq 2 ] && ok || bad "no FILE and no ./trace.dat: exit $rc, want 2"
cp "$fx/cli_clean.dat" "$tmp/trace.dat"
(cd "$tmp" && "$top/$bin" >/dev/null 2>&1); rc=$?
[ $rc -eq 0 ] && ok || bad "default ./trace.dat: exit $rc, want 0"

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
if trace-cmd convert -i "$fx/cli_v3_defunct.dat" -o "$tmp/v7.dat" --file-version 7 \
	--compression zstd >/dev/null 2>&1; then
	"$bin" --json "$tmp/v7.dat" | sed 's/"input":"[^"]*"//' >"$tmp/v7.json"
	sed 's/"input":"[^"]*"//' "$tmp/v3.json" >"$tmp/v6.json"
	cmp -s "$tmp/v6.json" "$tmp/v7.json" && ok || bad "v7 (zstd) report differs from v6"
	grep -q 'zstd' <(trace-cmd dump --summary "$tmp/v7.dat" 2>&1) && ok ||
		bad "converted file is not zstd-compressed v7"
else
	bad "trace-cmd convert to v7 failed"
fi

# Golden reports.
golden clean.txt "$fx/cli_clean.dat"
golden clean.json --json "$fx/cli_clean.dat"
golden v3_defunct.txt "$fx/cli_v3_defunct.dat"
golden v3_defunct.json --json "$fx/cli_v3_defunct.dat"
golden lost.txt "$fx/cli_lost.dat"
golden local_clock.txt "$fx/cli_local_clock.dat"
golden v3_summary.txt --summary "$fx/cli_v3_defunct.dat"
golden root_timeline.txt --root 0x1a2b000 "$fx/cli_clean.dat"
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

# Real kernel traces (tests/data/, from tests/vm): expected verdicts.
if [ -f tests/vm/expect.tsv ]; then
	while IFS=$'\t' read -r file code rules site _; do
		case "$file" in ''|'#'*) continue ;; esac
		case "$code" in ''|*[!0-9]*) continue ;; esac	# header line
		[ -f "$file" ] || file="tests/data/$file"
		if [ ! -f "$file" ]; then
			bad "$file listed in tests/vm/expect.tsv is missing"
			continue
		fi
		"$bin" --json "$file" >"$tmp/real.json" 2>"$tmp/real.err"
		rc=$?
		if [ "$rc" -ne "$code" ]; then
			bad "$file: exit $rc, want $code ($(head -c 200 "$tmp/real.err"))"
			continue
		fi
		# rules: '-' for none, else the acceptable rule IDs separated by
		# '|': at least one violation, and every one of an acceptable rule.
		if python3 - "$tmp/real.json" "${rules:--}" <<'PY'
import json, sys
got = {v["rule"] for v in json.load(open(sys.argv[1]))["violations"]}
want = set() if sys.argv[2] == "-" else set(sys.argv[2].split("|"))
ok = (not got) if not want else (got and got <= want)
if not ok:
    print("rules", sorted(got), "want", sorted(want) or "none")
sys.exit(0 if ok else 1)
PY
		then
			ok
		else
			bad "$file: wrong rules"
		fi
		# The call site the injected bug is in: the offending event's
		# caller, or its cause's.
		case "${site:--}" in -) continue ;; esac
		if python3 - "$tmp/real.json" "$site" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
site = sys.argv[2]
syms = []
for v in d["violations"]:
    for e in (v["event"], v["cause"] or {}):
        syms.append(e.get("caller_sym", ""))
sys.exit(0 if any(s.split("+")[0] == site for s in syms) else 1)
PY
		then
			ok
		else
			bad "$file: no violation names call site $site"
		fi
	done <tests/vm/expect.tsv
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
