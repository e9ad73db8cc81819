#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run oomx's benchmarks in one guest boot and print ratios against the
# stock killer measured in that same boot, min/median/max over repeats.
#   OOMX_BENCH_KERNEL=deb6.12|deb6.1 (default deb6.12), OOMX_BENCH_REPEAT=5,
#   OOMX_BENCH_PARTS=select,stall,reaprate,overhead (default all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

"$here/setup.sh"
find_ksrc
pick_kernel "${OOMX_BENCH_KERNEL:-deb6.12}"
work=$(mktemp -d "${TMPDIR:-/tmp}/oomx-bench.XXXXXX")
rsync -a --exclude .git "$top/" "$work/src/"
{ make -s -C "$work/src" KDIR="$kdir" modules &&
  make -s -C "$kdir" M="$work/src/selftests/kmod" modules; } > "$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "build failed"; }
gcc -D_GNU_SOURCE -O2 -Wall -static -pthread -I "$ksrc/tools/testing/selftests" -o "$work/oomx_bench" "$top/bench/oomx_bench.c"
mkdir -p "$work/mods"
cp "$work/src/oomx.ko" "$work/src/selftests/kmod/oomx_test.ko" "$work/mods/"
"$here/initramfs.sh" "$work/initrd.gz" "$work/mods" "$here/guest-bench.sh" "$work/oomx_bench"
log "benchmarking on $(basename "$image"), ${OOMX_BENCH_REPEAT:-5} repeats"
OOMX_GUEST_MEM=${OOMX_GUEST_MEM:-2048} OOMX_CMDLINE="oomx.repeat=${OOMX_BENCH_REPEAT:-5} oomx.bench=${OOMX_BENCH_PARTS:-select,stall,reaprate,overhead}" \
	"$here/qemu-run.sh" "$image" "$work/initrd.gz" bench "$work/guest" 3000 || rc=$?
tr -d '\r' < "$work/guest/results.log" | grep -vE '^(OOMX-GUEST|### )'
grep -q BENCH-OK "$work/guest/results.log" || die "the benchmark did not complete (logs in $work/guest)"
[ "${rc:-0}" = 0 ] || die "the guest kernel reported a problem (logs in $work/guest)"
