#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command: on a fresh Debian 12 machine (root), install
# only what the demo needs (setup.sh --demo: QEMU, busybox, Debian's amd64
# headers and kernel image for one kernel, gcc), build oomx for Debian's
# 6.12 kernel, boot it in QEMU, drive one global OOM and print oomx's
# decision.  OOMX_DEMO_KERNEL=deb6.1 for 6.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

"$here/setup.sh" --demo "${OOMX_DEMO_KERNEL:-deb6.12}"
pick_kernel "${OOMX_DEMO_KERNEL:-deb6.12}"

work=$(mktemp -d "${TMPDIR:-/tmp}/oomx-demo.XXXXXX")
rsync -a --exclude .git "$top/" "$work/src/"
log "building oomx against $kdir"
make -s -C "$work/src" KDIR="$kdir" modules > "$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "build failed"; }
# The hog is plain libc: no kselftest headers.
gcc -O2 -Wall -Wextra -static -o "$work/src/selftests/hog" "$work/src/selftests/hog.c"
mkdir -p "$work/mods"
cp "$work/src/oomx.ko" "$work/mods/"
"$here/initramfs.sh" "$work/initrd.gz" "$work/mods" "$here/guest-demo.sh" "$work/src/selftests/hog"
# initramfs.sh files demo.sh from its name: give it the guest script.
log "booting $(basename "$image") under QEMU"
"$here/qemu-run.sh" "$image" "$work/initrd.gz" demo "$work/guest" 300 || rc=$?
sed -n '/^OOMX-GUEST-START/,/^OOMX-GUEST-DONE/p' "$work/guest/results.log"
grep -q DEMO-OK "$work/guest/results.log" || die "the demo did not complete (logs in $work/guest)"
[ "${rc:-0}" = 0 ] || die "the guest kernel reported a problem (logs in $work/guest)"
