# SPDX-License-Identifier: GPL-2.0
# Shared helpers for oomx's scripts.  Sourced, not run.

OOMX_CACHE=${OOMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oomx}
mkdir -p "$OOMX_CACHE"

log() { printf '[oomx] %s\n' "$*" >&2; }
die() { printf '[oomx] FATAL: %s\n' "$*" >&2; exit 1; }

# pick_kernel deb6.1|deb6.12: set kdir and image from kernels.env (setup.sh).
pick_kernel() {
	. "$OOMX_CACHE/kernels.env"
	case "$1" in
	deb6.1) kdir=$K_deb6_1_KDIR image=$K_deb6_1_IMAGE ;;
	deb6.12) kdir=$K_deb6_12_KDIR image=$K_deb6_12_IMAGE ;;
	*) die "kernel '$1' is not deb6.1 or deb6.12" ;;
	esac
}

# The unpacked linux-source-6.12 tree (kselftest.h for the user-space
# helpers), unpacking only what they need when the debug kernel was never
# built here.  Sets $ksrc.
find_ksrc() {
	ksrc=$(ls -d "$OOMX_CACHE"/linux-source-6.12-*/ 2>/dev/null | head -n1) || true
	if [ -z "$ksrc" ]; then
		"$here/kernel-debug.sh" --unpack-only > /dev/null
		ksrc=$(ls -d "$OOMX_CACHE"/linux-source-6.12-*/ | head -n1)
	fi
	ksrc=${ksrc%/}
}

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
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 ||
		die "apt-get install ${need[*]} failed"
}
