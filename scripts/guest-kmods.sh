#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest kernel's modules the test guests need and Debian builds as
# modules: the virtio PCI transport, the disk driver and (arm64 6.1) the
# virtio console that carries arm64 guests' results.  Copies them, in the
# order they load, uncompressed (busybox insmod reads plain .ko), into
# OUT_DIR/kmods.  A kernel that has them built in needs none.
#   guest-kmods.sh KERNEL_IMAGE OUT_DIR
set -euo pipefail
image=$1 out=$2
mkdir -p "$out/kmods"
# Debian's image package: <root>/boot/vmlinuz-REL, <root>/lib/modules/REL.
root=$(dirname "$(dirname "$image")")
moddir=$(ls -d "$root"/lib/modules/*/kernel 2>/dev/null | head -n1 || true)
[ -n "$moddir" ] || exit 0
n=10
for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev \
	 virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk \
	 char/virtio_console; do
	f=$(ls "$moddir/drivers/$m.ko" "$moddir/drivers/$m.ko.xz" 2>/dev/null | head -n1 || true)
	[ -n "$f" ] || continue
	dst="$out/kmods/$n-$(basename "$m").ko"
	case "$f" in
	*.xz) xz -dc "$f" > "$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
	n=$((n + 1))
done
