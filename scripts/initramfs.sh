#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pack a guest initramfs: static busybox, /init, oomx's modules, tests,
# tools and mode scripts.
#   initramfs.sh OUT.cpio.gz MODULE_DIR [FILE...]
# OOMX_BUSYBOX: the static busybox to use (another architecture's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1 moddir=$2
shift 2

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# mktemp's 0700 would become the guest's / and lock out every other user.
chmod 755 "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/oomx/tests}
cp "${OOMX_BUSYBOX:-/bin/busybox}" "$root/bin/busybox"
cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"
cp "$moddir"/*.ko "$root/lib/oomx/"
# The guest kernel's own modules /init loads first, in name order
# (guest-kmods.sh: the virtio disk driver where it is not built in).
if [ -d "$moddir/kmods" ]; then
	mkdir -p "$root/lib/oomx/kmods"
	cp "$moddir"/kmods/*.ko "$root/lib/oomx/kmods/" 2>/dev/null || true
fi
# *_test binaries run in test mode; guest-MODE.sh runs in MODE; the rest
# are tools those use.
for f in "$@"; do
	base=${f##*/}
	case "$base" in
	*_test) cp "$f" "$root/lib/oomx/tests/" ;;
	guest-*.sh) cp "$f" "$root/lib/oomx/${base#guest-}" ;;
	*) cp "$f" "$root/lib/oomx/" ;;
	esac
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
