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
