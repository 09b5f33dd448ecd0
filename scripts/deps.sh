#!/bin/sh
# Install the Debian packages a make target needs, or say exactly how.
# Usage: scripts/deps.sh GROUP...   (groups: build kernel vm)
# Exit 0 when everything is present, 2 when something is missing and we
# cannot install it (not root, or apt-get failed).
set -u

pkgs_build="gcc make pkg-config libtraceevent-dev libtracefs-dev libtracecmd-dev trace-cmd python3"
pkgs_kernel="git perl xz-utils linux-source-6.12 linux-source-6.1 flex bison bc libelf-dev libssl-dev"
pkgs_vm="qemu-system-x86 busybox-static cpio zstd"

want=""
for g in "$@"; do
	case "$g" in
	build) want="$want $pkgs_build" ;;
	kernel) want="$want $pkgs_kernel" ;;
	vm) want="$want $pkgs_vm" ;;
	*) echo "deps.sh: unknown group '$g' (build kernel vm)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run as root: $cmd" >&2
	exit 2
fi
echo "deps: installing$missing" >&2
apt-get update -qq >&2 || { echo "deps: apt-get update failed; run: $cmd" >&2; exit 2; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
	{ echo "deps: install failed; run: $cmd" >&2; exit 2; }
exit 0
