#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what oomx's scripts need on Debian 12, as root, and unpack the
# Debian kernel images the guests boot.  Versions are resolved from the
# archive's metapackages at run time, never hard-coded.
#   setup.sh                         everything test.sh and bench need
#   setup.sh --demo [deb6.12|deb6.1] only what demo.sh needs for that kernel:
#                                    amd64 headers, image, QEMU, busybox
#
# Writes $OOMX_CACHE/kernels.env describing each target kernel; a run sets
# the entries of the kernels it set up and keeps the others.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

demo=
case "${1:-}" in
"") ;;
--demo)
	demo=${2:-deb6.12}
	case "$demo" in
	deb6.1|deb6.12) ;;
	*) die "setup.sh --demo: kernel '$demo' is not deb6.1 or deb6.12" ;;
	esac ;;
*) die "usage: setup.sh [--demo [deb6.1|deb6.12]]" ;;
esac

# One list per purpose.
# Boot an x86-64 guest: QEMU, the guest's static busybox, its initramfs.
pkgs_guest=(qemu-system-x86 busybox-static cpio gzip)
# Build a module against Debian's headers (the headers bring their own
# kbuild; gcc is the gcc-12 they were built with) and static user-space
# tools (libc6-dev's libc.a), from a copy of the tree.
pkgs_build=(gcc make libc6-dev rsync)
# The rest of the test run: dkms and sparse, the debug kernel's build
# dependencies and source (kselftest headers, checkpatch, kunit.py), xz for
# the guest kernels' compressed modules, patch for upstream's fix of
# test_memcontrol (selftests/memcontrol-tolerance.patch).
pkgs_test=(kmod dkms sparse python3 bc bison flex libelf-dev libssl-dev
	   xz-utils linux-source-6.12 patch)
# The oomx-dkms package check (check.sh deb): Debian's own packaging tools.
pkgs_deb=(debhelper dh-dkms dpkg-dev)
# arm64: the cross compiler and QEMU (the arm64 kernels, headers and
# busybox are unpacked, not installed).
pkgs_arm64=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm)

[ "$(id -u)" = 0 ] || die "setup needs root (apt-get install)"
command -v apt-get >/dev/null || die "this harness needs Debian's apt"

export DEBIAN_FRONTEND=noninteractive
stamp="$OOMX_CACHE/apt-updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	touch "$stamp"
fi
# arm64 packages are downloaded for the arm64 guests and cross-builds.
if [ -z "$demo" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	apt-get update -qq >&2 || die "apt-get update failed"
fi

# Resolve "metapackage -> versioned package" from the candidate version
# (foreign ones as "name:arm64").
resolve() {
	local meta=$1 prefix=$2 dep
	dep=$(apt-cache depends "$meta" 2>/dev/null |
	      sed -n "s/^ *Depends: \(${prefix}[^ :]*\)\(:[a-z0-9]*\)\{0,1\}$/\1/p" | head -n1)
	[ -n "$dep" ] || die "cannot resolve $meta from the archive"
	echo "${dep#"$prefix"}"
}

# Unpack a .deb into the cache (kernel images and arm64 packages: the
# guests boot them, the build machine never does).
fetch_deb() { # package dir
	local pkg=$1 dir=$2
	log "fetching $pkg"
	rm -rf "$dir" "$dir.dl"
	mkdir -p "$dir.dl"
	(cd "$dir.dl" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg -x "$dir.dl"/*.deb "$dir"
	rm -rf "$dir.dl"
}

kernel_image() { # release arch: the unpacked linux-image-REL's vmlinuz
	local rel=$1 arch=$2 dir="$OOMX_CACHE/image-$1"
	[ -f "$dir/boot/vmlinuz-$rel" ] || fetch_deb "linux-image-$rel:$arch" "$dir"
	[ -f "$dir/boot/vmlinuz-$rel" ] || die "no vmlinuz in linux-image-$rel:$arch"
	echo "$dir/boot/vmlinuz-$rel"
}

# Debian's headers for a release, as a KDIR: the installed ones where the
# full setup installed them (dkms builds against those), otherwise the
# package unpacked into the cache.  Unpacked, their scripts/ and tools/
# point at the host's (amd64) linux-kbuild of the same version, which builds
# for either architecture; that and the headers' -common part are installed,
# but not the kernel image the amd64 6.12 headers depend on: the demo must
# not install a kernel this machine would boot.
headers() { # release arch
	local rel=$1 arch=$2 dir="$OOMX_CACHE/$2-headers-$1" hdr link
	if [ "$arch" = amd64 ] && [ -f "/usr/src/linux-headers-$rel/Makefile" ]; then
		echo "/usr/src/linux-headers-$rel"
		return
	fi
	hdr="$dir/usr/src/linux-headers-$rel"
	# shellcheck disable=SC2046
	apt_install $(apt-cache depends "linux-headers-$rel:$arch" |
		      grep -oE 'linux-(headers-[^ :<>]*-common|kbuild-[^ :<>]*)' | sort -u)
	if [ ! -f "$hdr/Module.symvers" ]; then
		fetch_deb "linux-headers-$rel:$arch" "$dir"
		for link in scripts tools; do
			ln -sfn "/usr/$(readlink "$hdr/$link" | sed 's|^\.\./\.\./||')" "$hdr/$link"
		done
	fi
	[ -f "$hdr/Makefile" ] || die "no linux-headers-$rel:$arch in $dir"
	[ -d "$hdr/scripts/" ] || die "headers $rel: no kbuild scripts at $(readlink "$hdr/scripts")"
	echo "$hdr"
}

# kernels.env: set the entries of "$@" (NAME=VALUE), keep the others.
env_set() {
	local f="$OOMX_CACHE/kernels.env" kv names=KERNELS_DEBIAN
	for kv in "$@"; do names+="|${kv%%=*}"; done
	{
		echo "# written by scripts/setup.sh: K_<kernel>_REL, _KDIR, _IMAGE"
		grep -E '^[A-Za-z0-9_]+=' "$f" 2>/dev/null | grep -vE "^($names)=" || true
		echo 'KERNELS_DEBIAN="deb6.1 deb6.12"'
		printf '%s\n' "$@"
	} > "$f.tmp"
	mv "$f.tmp" "$f"
}

# amd64: Debian 12's own 6.1 and its 6.12 LTS (cloud flavour).
declare -A meta=([deb6.1]=linux-image-amd64 [deb6.12]=linux-image-6.12-cloud-amd64)
kernels=(deb6.1 deb6.12)
[ -z "$demo" ] || kernels=("$demo")

apt_install "${pkgs_guest[@]}" "${pkgs_build[@]}"
[ -n "$demo" ] || apt_install "${pkgs_test[@]}" "${pkgs_deb[@]}" "${pkgs_arm64[@]}"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"
[ -x /bin/busybox ] || die "busybox-static missing"

entries=()
for k in "${kernels[@]}"; do
	rel=$(resolve "${meta[$k]}" linux-image-)
	log "Debian kernel $k -> $rel"
	# dkms (test run) builds against installed headers.
	[ -n "$demo" ] || apt_install "linux-headers-$rel"
	kdir=$(headers "$rel" amd64)
	img=$(kernel_image "$rel" amd64)
	v=${k//./_}
	entries+=("K_${v}_REL=$rel" "K_${v}_KDIR=$kdir" "K_${v}_IMAGE=$img")
done
if [ -n "$demo" ]; then
	env_set "${entries[@]}"
	log "setup for the demo on $demo done"
	exit 0
fi

# arm64: Debian's own 6.1 (generic flavour, as the linux-image-arm64
# metapackage installs it) and its 6.12 LTS cloud flavour, each built
# against its headers and booted in QEMU's virt machine, with arm64 static
# busybox.  Each image's modules supply the virtio drivers it lacks built in
# (guest-kmods.sh).
declare -A meta_arm64=([6.1]=linux-image-arm64:arm64 [6.12]=linux-image-6.12-cloud-arm64:arm64)
for k in 6.1 6.12; do
	rel=$(resolve "${meta_arm64[$k]}" linux-image-)
	log "Debian arm64 kernel $k -> $rel"
	kdir=$(headers "$rel" arm64)
	img=$(kernel_image "$rel" arm64)
	v=arm64_${k//./_}
	entries+=("K_${v}_REL=$rel" "K_${v}_KDIR=$kdir" "K_${v}_IMAGE=$img")
done
bb_arm64="$OOMX_CACHE/busybox-arm64/bin/busybox"
[ -x "$bb_arm64" ] || fetch_deb "busybox-static:arm64" "$OOMX_CACHE/busybox-arm64"
[ -x "$bb_arm64" ] || die "no busybox in busybox-static:arm64"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 missing"
entries+=("BUSYBOX_ARM64=$bb_arm64")

env_set "${entries[@]}"
log "setup done"
