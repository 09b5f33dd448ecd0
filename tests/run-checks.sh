#!/bin/bash
# Run each check target, show its output, and add up the "N passed,
# N failed" lines they print into one closing line. A target that fails
# without saying how many of its tests failed counts as one failure.
set -u
total_pass=0
total_fail=0
status=0
for t in "$@"; do
	echo "=== make $t"
	log=$(mktemp)
	make --no-print-directory "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")
	else
		p=0
		f=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	[ "$rc" -ne 0 ] && status=1
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	echo "=== make $t: exit $rc ($p passed, $f failed)"
done
[ "$total_fail" -ne 0 ] && status=1
echo "$total_pass passed, $total_fail failed"
exit $status
