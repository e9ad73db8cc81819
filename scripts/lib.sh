# SPDX-License-Identifier: GPL-2.0
# Shared helpers for oomx's scripts.  Sourced, not run.

OOMX_CACHE=${OOMX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oomx}
mkdir -p "$OOMX_CACHE"

log() { printf '[oomx] %s\n' "$*" >&2; }
die() { printf '[oomx] FATAL: %s\n' "$*" >&2; exit 1; }
