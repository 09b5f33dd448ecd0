#!/bin/bash
# Export a patch series from a kernel git tree into kernel-patches/vVER.
#
# Usage: kernel-patches/scripts/format-series.sh VER GITDIR BASE [COVER]
#   VER     6.12 or 6.1 (output directory kernel-patches/vVER)
#   GITDIR  kernel git tree whose HEAD is the top of the series
#   BASE    commit the series applies to (e.g. the pristine tarball commit)
#   COVER   text file: first line = cover letter subject, rest = body.
#           Default: keep the subject and body of the existing
#           kernel-patches/vVER/0000-cover-letter.patch.
# Env: PREFIX, the subject prefix (default "PATCH v2", the current revision).
# Replaces every *.patch in kernel-patches/vVER. Exit 0 ok, 2 usage, 1 error.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
usage() { echo "usage: $0 6.12|6.1 GITDIR BASE [COVER]" >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
ver=$1 gitdir=$2 base=$3 cover=${4:-}
case "$ver" in 6.12|6.1) ;; *) usage ;; esac
out=$top/kernel-patches/v$ver
git -C "$gitdir" rev-parse -q --verify "$base^{commit}" >/dev/null ||
	{ echo "format-series: $base is not a commit in $gitdir" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$cover" ] && [ -f "$out/0000-cover-letter.patch" ]; then
	# Recover subject and body from the existing cover letter.
	python3 - "$out/0000-cover-letter.patch" >"$tmp/cover.txt" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
head, body = s.split("\n\n", 1)
subj = re.search(r"^Subject: \[PATCH[^\]]*\] (.*(?:\n .*)*)", head, re.M).group(1)
subj = re.sub(r"\n ", " ", subj)
body = re.split(r"\n\n[^\n]+ \(\d+\):\n", body)[0]
print(subj + "\n\n" + body.strip())
PY
	cover=$tmp/cover.txt
fi
[ -n "$cover" ] || { echo "format-series: no cover text (pass COVER)" >&2; exit 2; }

git -C "$gitdir" format-patch -q --cover-letter --no-signature \
	--subject-prefix="${PREFIX:-PATCH v2}" -o "$tmp/series" "$base..HEAD"
python3 - "$tmp/series/0000-cover-letter.patch" "$cover" <<'PY'
import sys
path, cover = sys.argv[1], sys.argv[2]
subj, _, body = open(cover).read().partition("\n")
s = open(path).read()
assert "*** SUBJECT HERE ***" in s and "*** BLURB HERE ***" in s
s = s.replace("*** SUBJECT HERE ***", subj.strip())
s = s.replace("*** BLURB HERE ***", body.strip())
open(path, "w").write(s)
PY
mkdir -p "$out"
rm -f "$out"/*.patch
cp "$tmp"/series/*.patch "$out"/
ls "$out"
