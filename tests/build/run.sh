#!/bin/bash
# check-build: the Makefile off Debian and its variables.
#  - with a PATH that has no dpkg and no apt, `make analyzer`, `make demo`
#    and `make install` work (nothing calls the Debian-only deps target);
#  - CC, CPPFLAGS, CFLAGS, LDFLAGS reach the compiler and the linker,
#    WERROR=0 drops -Werror, the default keeps it;
#  - `make install DESTDIR=... PREFIX=...` installs the binary and the man
#    page, `make uninstall` removes them;
#  - the pkg-config version gate names every library that is missing or
#    too old, in one line each, before anything is compiled.
# Builds in a temporary directory; prints "build: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "build: FAIL $*"; }

# A PATH without dpkg and apt: every other command of the system.
mkdir -p "$tmp/bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}" /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
	[ -d "$d" ] || continue
	for f in "$d"/*; do
		n=${f##*/}
		case $n in dpkg*|apt*) continue ;; esac
		[ -x "$f" ] && [ ! -e "$tmp/bin/$n" ] && ln -s "$f" "$tmp/bin/$n"
	done
done
nodeb="$tmp/bin"
if PATH=$nodeb command -v dpkg-query >/dev/null || PATH=$nodeb command -v apt-get >/dev/null; then
	bad "the test PATH still has dpkg or apt"
else
	ok
fi

# A compiler wrapper that logs its arguments.
cat >"$tmp/cc" <<WRAP
#!/bin/sh
echo "\$*" >>"$tmp/cc.log"
exec gcc "\$@"
WRAP
chmod +x "$tmp/cc"

# 1. Off Debian: build with the user's variables, then demo and install.
b="$tmp/b"
if PATH=$nodeb make --no-print-directory -s BUILD="$b" CC="$tmp/cc" \
	CPPFLAGS=-DRC_TEST_CPPFLAGS CFLAGS="-O1 -DRC_TEST_CFLAGS" \
	LDFLAGS=-Wl,--build-id=none WERROR=0 analyzer >"$tmp/make.out" 2>&1; then
	ok
else
	bad "make analyzer without dpkg/apt: $(tail -n 3 "$tmp/make.out")"
fi
"$b/kvm-rootcheck" --version >/dev/null 2>&1 && ok || bad "built analyzer does not run"
for want in -DRC_TEST_CPPFLAGS -DRC_TEST_CFLAGS; do
	n=$(grep -c -- "-c .*$want\|$want.* -c " "$tmp/cc.log" 2>/dev/null)
	[ "${n:-0}" -ge 10 ] && ok || bad "$want reached $n compiles, want all"
done
grep -- '-o [^ ]*kvm-rootcheck ' "$tmp/cc.log" | grep -q -- '-Wl,--build-id=none' && ok ||
	bad "LDFLAGS not on the link line"
grep -q -- '-Werror' "$tmp/cc.log" && bad "WERROR=0 still passes -Werror" || ok
if PATH=$nodeb make --no-print-directory -s BUILD="$b" CC="$tmp/cc" WERROR=0 demo >"$tmp/demo.out" 2>&1; then
	ok
else
	bad "make demo without dpkg/apt: $(tail -n 3 "$tmp/demo.out")"
fi
root="$tmp/root"
if PATH=$nodeb make --no-print-directory -s BUILD="$b" CC="$tmp/cc" WERROR=0 \
	DESTDIR="$root" PREFIX=/opt/krc install >"$tmp/inst.out" 2>&1; then
	ok
else
	bad "make install: $(tail -n 3 "$tmp/inst.out")"
fi
[ -x "$root/opt/krc/bin/kvm-rootcheck" ] && "$root/opt/krc/bin/kvm-rootcheck" --version >/dev/null &&
	ok || bad "no runnable \$DESTDIR\$PREFIX/bin/kvm-rootcheck"
grep -q '^\.TH KVM-ROOTCHECK 1' "$root/opt/krc/share/man/man1/kvm-rootcheck.1" 2>/dev/null &&
	ok || bad "no man page at \$DESTDIR\$PREFIX/share/man/man1/kvm-rootcheck.1"
PATH=$nodeb make --no-print-directory -s BUILD="$b" DESTDIR="$root" PREFIX=/opt/krc uninstall >/dev/null 2>&1
[ ! -e "$root/opt/krc/bin/kvm-rootcheck" ] && [ ! -e "$root/opt/krc/share/man/man1/kvm-rootcheck.1" ] &&
	ok || bad "make uninstall left files"

# 2. Defaults (dry run): gcc, -Werror; CC from the command line wins.
make --no-print-directory -n BUILD="$tmp/n" analyzer 2>/dev/null | grep -E '^gcc .* -c ' | grep -q -- '-Werror' &&
	ok || bad "default build: want gcc with -Werror"
make --no-print-directory -n BUILD="$tmp/n" CC=clang-x analyzer 2>/dev/null | grep -q '^clang-x ' &&
	ok || bad "CC=clang-x not used"

# 3. The version gate: nothing found, then one library too old.
mkdir -p "$tmp/pc-none" "$tmp/pc-old"
make --no-print-directory BUILD="$tmp/g1" PKG_CONFIG_LIBDIR="$tmp/pc-none" PKG_CONFIG_PATH= \
	analyzer >"$tmp/g1.out" 2>&1 && bad "build without the libraries succeeded" || ok
for p in libtraceevent libtracefs libtracecmd; do
	grep -q "^kvm-rootcheck: missing $p >= " "$tmp/g1.out" && ok || bad "gate does not name $p: $(head -c 300 "$tmp/g1.out")"
done
grep -q ' -c ' "$tmp/g1.out" && bad "the gate let a compile start" || ok
for p in libtraceevent libtracefs libtracecmd; do
	f=$(pkg-config --path "$p" 2>/dev/null)
	[ -n "$f" ] && cp "$f" "$tmp/pc-old/"
done
sed -i 's/^Version:.*/Version: 1.0.0/' "$tmp/pc-old/libtracecmd.pc" 2>/dev/null
make --no-print-directory BUILD="$tmp/g2" PKG_CONFIG_LIBDIR="$tmp/pc-old" PKG_CONFIG_PATH= \
	analyzer >"$tmp/g2.out" 2>&1 && bad "build with libtracecmd 1.0.0 succeeded" || ok
grep -q '^kvm-rootcheck: libtracecmd 1.0.0 is too old, need >= ' "$tmp/g2.out" &&
	[ "$(grep -c '^kvm-rootcheck: ' "$tmp/g2.out")" -eq 1 ] && ok ||
	bad "gate on an old libtracecmd: $(head -c 300 "$tmp/g2.out")"

echo "build: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
