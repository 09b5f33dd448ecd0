# Shared helpers for patches-check.sh and build-check.sh (sourced, bash).
#
# A pristine git tree of each Debian kernel tarball is cached in
# build/kernel-patches/src-VER (commit "base", tagged kp-base). The cache
# is keyed by the tarball's name, size and mtime: a missing, stale or
# damaged cache is rebuilt from the tarball. Every user takes the per-
# version lock and resets the tree to kp-base before and after use.

kp_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kp_build=${KP_BUILD:-$kp_top/build/kernel-patches}
KP_IDENT=(-c user.name="kvm-rootcheck developers"
	-c user.email=kvm-rootcheck@example.org -c commit.gpgsign=false)

kp_log() { echo "$*" >&2; }

# kp_versions "$@": set vers to the kernel versions given (default: both
# series); exit 2 with a usage line on anything else.
kp_versions() {
	local v
	vers=("$@")
	[ ${#vers[@]} -gt 0 ] || vers=(6.12 6.1)
	for v in "${vers[@]}"; do
		case "$v" in 6.12|6.1) ;; *) echo "usage: $0 [6.12|6.1]..." >&2; exit 2 ;; esac
	done
}

# PASS/FAIL lines and their counters (pass, fail; rc = 1 after a FAIL).
pass=0 fail=0 rc=0
ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; rc=1; }

# kp_series VER: print the patch files of kernel-patches/vVER (without
# the cover letter), one per line, in order. Prints nothing if none.
kp_series() {
	local p
	for p in "$kp_top/kernel-patches/v$1"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || continue
		case "$(basename "$p")" in 0000-*) continue ;; esac
		echo "$p"
	done
}

# kp_tarball VER: print the tarball path, installing the Debian package
# through scripts/deps.sh when it is missing. Returns 2 if unavailable.
kp_tarball() {
	local t=/usr/src/linux-source-$1.tar.xz
	if [ ! -f "$t" ]; then
		kp_log "kernel-patches: $t missing, running scripts/deps.sh kernel"
		"$kp_top/scripts/deps.sh" kernel >&2 || true
	fi
	if [ ! -f "$t" ]; then
		kp_log "kernel-patches: $t not available (install linux-source-$1)"
		return 2
	fi
	echo "$t"
}

# kp_lock VER: take the per-version lock on fd 8 (released at exit).
kp_lock() {
	mkdir -p "$kp_build"
	exec 8>"$kp_build/.lock-$1"
	if ! flock -w 1800 8; then
		kp_log "kernel-patches: timed out waiting for $kp_build/.lock-$1"
		return 1
	fi
}

# kp_tree VER: make sure build/kernel-patches/src-VER is a pristine git
# tree of the tarball at tag kp-base and print its path. Caller holds the
# lock. Returns 2 if the tarball is unavailable, 1 on other errors.
kp_tree() {
	local ver=$1 tarball key src tmp top
	tarball=$(kp_tarball "$ver") || return 2
	key="$(basename "$tarball") $(stat -c '%s %Y' "$tarball")"
	src=$kp_build/src-$ver
	if [ -f "$src.key" ] && [ "$(cat "$src.key")" = "$key" ] &&
	   git -C "$src" rev-parse -q --verify kp-base >/dev/null 2>&1; then
		kp_reset "$src" || return 1
		echo "$src"
		return 0
	fi
	kp_log "kernel-patches: unpacking $tarball (cache miss)"
	rm -rf "$src" "$src.tmp" "$src.key"
	tmp=$src.tmp
	mkdir -p "$tmp"
	tar -C "$tmp" -xf "$tarball" || { kp_log "kernel-patches: tar failed"; return 1; }
	top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -n "$top" ] && [ -f "$top/Makefile" ] ||
		{ kp_log "kernel-patches: no kernel tree in $tarball"; return 1; }
	# Debian's top-level .gitignore ignores everything: add with -f.
	( cd "$top" && git init -q && git add -Af . &&
	  git "${KP_IDENT[@]}" commit -q -m "Debian $(basename "$tarball" .tar.xz)" &&
	  git tag kp-base ) || { kp_log "kernel-patches: git tree creation failed"; return 1; }
	mv "$top" "$src" && rm -rf "$tmp"
	echo "$key" >"$src.key"
	echo "$src"
}

# kp_reset SRC: abort any half-done git am and return to kp-base, clean.
kp_reset() {
	local src=$1
	git -C "$src" am --abort >/dev/null 2>&1 || true
	git -C "$src" checkout -q -f --detach kp-base &&
	git -C "$src" reset -q --hard kp-base &&
	git -C "$src" clean -q -fdx
}
