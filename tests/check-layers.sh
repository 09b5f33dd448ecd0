#!/bin/bash
# The layer rule of the analyzer (CONTRIBUTING.md): data flows one way,
#   event -> input (source, decode) -> model -> rules -> findings
#         -> engine -> report -> main,
# and a file may include only headers of its own layer or of a lower one.
# Also: findings know no model state, rules.h declares no model lookups.
# usage: tests/check-layers.sh [DIR]   (default analyzer/; --self-test)
# Prints "layers: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

layer_of() {	# file name -> layer number, or -1 if it has no layer
	case "$1" in
	event.[ch]) echo 0 ;;
	source*.[ch] | decode*.[ch] | reorder*.[ch] | cpustats*.[ch] | \
	emit*.[ch] | fields*.[ch] | input*.[ch] | live*.[ch] | abi.[ch] | \
	pageguard.[ch] | completeness.[ch]) echo 1 ;;
	model.[ch] | model_*.[ch]) echo 2 ;;
	rules.[ch] | rules_*.[ch]) echo 3 ;;
	findings.[ch]) echo 4 ;;
	engine.[ch]) echo 5 ;;
	report.[ch] | report_*.[ch]) echo 6 ;;
	main.c | cli_io.[ch] | clock_check.[ch]) echo 7 ;;
	*) echo -1 ;;
	esac
}

check_dir() {	# prints one line per failure; sets pass/fail
	local dir=$1 f base l inc il
	pass=0 fail=0
	for f in "$dir"/*.[ch]; do
		base=$(basename "$f")
		l=$(layer_of "$base")
		if [ "$l" -lt 0 ]; then
			echo "FAIL: $base has no layer: add it to tests/check-layers.sh"
			fail=$((fail + 1))
			continue
		fi
		while read -r inc; do
			il=$(layer_of "$inc")
			if [ "$il" -lt 0 ] || [ "$il" -gt "$l" ]; then
				echo "FAIL: $base (layer $l) includes $inc (layer $il)"
				fail=$((fail + 1))
			else
				pass=$((pass + 1))
			fi
		done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
	# Findings know root lives by id and evidence, never the model's state.
	if grep -qE 'struct rc_root\b|rc_model' "$dir"/findings.[ch] 2>/dev/null; then
		echo "FAIL: findings.[ch] refer to the model (struct rc_root, rc_model)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
	# rules.h declares judgement only: no lookups over model state.
	if grep -qE '^[a-z].*\b(rc_root|rc_model)_[a-z_]+\(' "$dir"/rules.h 2>/dev/null; then
		echo "FAIL: rules.h declares a model lookup (belongs in model.h)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

if [ "${1:-}" = --self-test ]; then
	# The check must catch a violation: a model that includes the rules.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp "$top"/analyzer/*.[ch] "$tmp"/
	sed -i '0,/#include "model.h"/s//#include "model.h"\n#include "rules.h"/' "$tmp/model.c"
	echo 'const struct rc_root *rc_root_peek(void);' >>"$tmp/rules.h"
	check_dir "$tmp" >/dev/null
	s_fail=$fail
	check_dir "$top/analyzer"
	[ "$s_fail" -ge 2 ] && pass=$((pass + 1)) ||
		{ echo "FAIL: self-test: injected violations not caught"; fail=$((fail + 1)); }
else
	check_dir "${1:-$top/analyzer}"
fi
echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
