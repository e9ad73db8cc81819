#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything oomx's build and test harness needs on Debian 12, as
# root, and unpack the Debian kernel images the guests boot.  Versions are
# resolved from the archive's metapackages at run time, never hard-coded.
#
# Writes $OOMX_CACHE/kernels.env describing each target kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "setup needs root (apt-get install)"
command -v apt-get >/dev/null || die "this harness needs Debian's apt"

export DEBIAN_FRONTEND=noninteractive
stamp="$OOMX_CACHE/apt-updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	touch "$stamp"
fi

# Resolve "metapackage -> versioned package" from the candidate version.
resolve() {
	local meta=$1 prefix=$2 dep
	dep=$(apt-cache depends "$meta" 2>/dev/null |
	      sed -n "s/^ *Depends: \($prefix[^ ]*\)$/\1/p" | head -n1)
	[ -n "$dep" ] || die "cannot resolve $meta from the archive"
	echo "${dep#"$prefix"}"
}
rel61=$(resolve linux-image-amd64 linux-image-)
rel612=$(resolve linux-image-6.12-cloud-amd64 linux-image-)
log "Debian kernels: 6.1 -> $rel61, 6.12 -> $rel612"

# apt-get install what of "$@" is not installed yet.
apt_install() {
	local p
	local -a need=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			need+=("$p")
	done
	[ ${#need[@]} -gt 0 ] || return 0
	log "apt-get install ${need[*]}"
	apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
		die "apt-get install ${need[*]} failed"
}

pkgs=(qemu-system-x86 busybox-static cpio kmod dkms sparse rsync python3
      gcc make libc6-dev bc bison flex libelf-dev libssl-dev xz-utils
      linux-source-6.12 "linux-headers-$rel61" "linux-headers-$rel612")
apt_install "${pkgs[@]}"

# Kernel images are unpacked into the cache, not installed: the guests boot
# them, the build machine never does.
fetch_image() {
	local rel=$1 dir="$OOMX_CACHE/image-$1"
	if [ ! -f "$dir/boot/vmlinuz-$rel" ]; then
		log "fetching linux-image-$rel"
		rm -rf "$dir" "$dir.dl"
		mkdir -p "$dir.dl"
		(cd "$dir.dl" && apt-get download -qq -o APT::Sandbox::User=root "linux-image-$rel" >&2) ||
			die "apt-get download linux-image-$rel failed"
		dpkg -x "$dir.dl"/linux-image-*.deb "$dir"
		rm -rf "$dir.dl"
	fi
	[ -f "$dir/boot/vmlinuz-$rel" ] || die "no vmlinuz in linux-image-$rel"
	echo "$dir/boot/vmlinuz-$rel"
}
img61=$(fetch_image "$rel61")
img612=$(fetch_image "$rel612")

# arm64: oomx is cross-built against Debian's arm64 headers.  They are
# unpacked, not installed; their scripts/ and tools/ symlinks point at the
# host's (amd64) linux-kbuild of the same version, which builds for arm64.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	apt-get update -qq >&2 || die "apt-get update failed"
fi
apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
fetch_headers_arm64() {
	local rel=$1 dir="$OOMX_CACHE/arm64-headers-$1" hdr link
	hdr="$dir/usr/src/linux-headers-$rel"
	if [ ! -f "$hdr/Module.symvers" ]; then
		log "fetching linux-headers-$rel:arm64"
		rm -rf "$dir" "$dir.dl"
		mkdir -p "$dir.dl"
		(cd "$dir.dl" && apt-get download -qq -o APT::Sandbox::User=root \
			"linux-headers-$rel:arm64" >&2) ||
			die "apt-get download linux-headers-$rel:arm64 failed"
		dpkg -x "$dir.dl"/linux-headers-*.deb "$dir"
		rm -rf "$dir.dl"
		for link in scripts tools; do
			ln -sfn "/usr/$(readlink "$hdr/$link" | sed 's|^\.\./\.\./||')" "$hdr/$link"
		done
	fi
	[ -d "$hdr/scripts/" ] || die "arm64 headers $rel: no kbuild scripts at $(readlink "$hdr/scripts")"
	echo "$hdr"
}
arm61=$(fetch_headers_arm64 "${rel61%-amd64}-arm64")
arm612=$(fetch_headers_arm64 "${rel612%-amd64}-arm64")

# The arm64 guest: Debian's 6.12 cloud arm64 kernel (virtio console built
# in, for results apart from the kernel log) and arm64 static busybox.
fetch_deb_arm64() { # package dir
	local pkg=$1 dir=$2
	rm -rf "$dir" "$dir.dl"
	mkdir -p "$dir.dl"
	(cd "$dir.dl" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg -x "$dir.dl"/*.deb "$dir"
	rm -rf "$dir.dl"
}
rel612a=${rel612%-amd64}-arm64
img612a="$OOMX_CACHE/image-$rel612a/boot/vmlinuz-$rel612a"
[ -f "$img612a" ] || fetch_deb_arm64 "linux-image-$rel612a:arm64" "$OOMX_CACHE/image-$rel612a"
[ -f "$img612a" ] || die "no vmlinuz in linux-image-$rel612a:arm64"
bb_arm64="$OOMX_CACHE/busybox-arm64/bin/busybox"
[ -x "$bb_arm64" ] || fetch_deb_arm64 "busybox-static:arm64" "$OOMX_CACHE/busybox-arm64"
[ -x "$bb_arm64" ] || die "no busybox in busybox-static:arm64"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 missing"

for rel in "$rel61" "$rel612"; do
	[ -f "/usr/src/linux-headers-$rel/Makefile" ] ||
		die "headers for $rel missing after install"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"
[ -x /bin/busybox ] || die "busybox-static missing"

cat > "$OOMX_CACHE/kernels.env" <<ENV
# name release kdir image
KERNELS_DEBIAN="deb6.1 deb6.12"
K_deb6_1_REL=$rel61
K_deb6_1_KDIR=/usr/src/linux-headers-$rel61
K_deb6_1_IMAGE=$img61
K_deb6_12_REL=$rel612
K_deb6_12_KDIR=/usr/src/linux-headers-$rel612
K_deb6_12_IMAGE=$img612
K_arm64_6_1_KDIR=$arm61
K_arm64_6_12_KDIR=$arm612
K_arm64_6_12_IMAGE=$img612a
BUSYBOX_ARM64=$bb_arm64
ENV
log "setup done"
