#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) oomx's KUnit + debug kernel from Debian's linux-source-6.12.
# The build lives outside the repository, keyed by the hash of the config
# fragment and the source version, so a warm run reuses it.
#
# Prints the build directory (usable as KDIR, holds arch/x86/boot/bzImage).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

frag="$here/debug-kernel.config"
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || die "linux-source-6.12 is not installed (run scripts/setup.sh)"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(cat "$frag" <(echo "$srcver") | sha256sum | cut -c1-12)
src="$OOMX_CACHE/linux-source-6.12-$srcver"
out="$OOMX_CACHE/kernel-debug-$key"

unpack_only=0
[ "${1:-}" = --unpack-only ] && unpack_only=1

if [ $unpack_only = 0 ] && [ -f "$out/.oomx-built" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
	echo "$out"
	exit 0
fi

if [ ! -f "$src/.oomx-unpacked" ]; then
	log "unpacking $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xf "$tarball"
	touch "$src.tmp/.oomx-unpacked"
	mv "$src.tmp" "$src"
fi

if [ $unpack_only = 1 ]; then
	echo "$src"
	exit 0
fi

log "building debug kernel in $out (config $key)"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 KCONFIG_ALLCONFIG="$frag" allnoconfig >&2
# Fail closed: every symbol the fragment asks for must have survived Kconfig.
missing=$(grep -E '^CONFIG_' "$frag" | while read -r line; do
	grep -qxF "$line" "$out/.config" || echo "$line"
done)
[ -z "$missing" ] || die "Kconfig dropped from the debug kernel: $missing"
make -s -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules >&2
[ -f "$out/Module.symvers" ] || die "debug kernel build left no Module.symvers"
touch "$out/.oomx-built"
echo "$out"
