#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The full-count reliability run on the debug kernel (KASAN, lockdep,
# kmemleak, DEBUG_VM), where CI runs short counts:
#   selftests/stress_test.c: 1000 insmod/rmmod cycles and 10000 parameter
#     writes while OOMs churn (CI: 75 and 2000), and 600 s of memcg OOMs
#     in three cgroups at once during global ones (CI: 60 s);
#   selftests/scale_test.c: a global OOM among 10000 processes (CI: 2000)
#     and the fork bomb;
# then kmemleak's scan.  Prints the tests' figures; fails if a case failed
# or the guest judge found a kernel splat, a KASAN, lockdep or kmemleak
# report.
#   OOMX_SOAK_CYCLES=1000 OOMX_SOAK_WRITES=10000 OOMX_SOAK_SECONDS=600
#   OOMX_SOAK_PROCS=10000 OOMX_SOAK_SEED=<n> (default: the test's fixed
#   seed), OOMX_SOAK_MEM=4096 (MiB: 10000 processes' kernel memory, with
#   KASAN's shadow, took more than 2048), OOMX_SOAK_TIMEOUT=14400 (seconds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

"$here/setup.sh"
find_ksrc
kdebug=$("$here/kernel-debug.sh" | tail -n1)
image="$kdebug/arch/x86/boot/bzImage"
[ -f "$image" ] || die "no debug kernel (scripts/kernel-debug.sh)"
work=$(mktemp -d "${TMPDIR:-/tmp}/oomx-soak.XXXXXX")
rsync -a --exclude .git "$top/" "$work/src/"
{ make -s -C "$work/src" KDIR="$kdebug" OOMX_EXTRA_CFLAGS=-Werror modules &&
  make -s -C "$work/src/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
	stress_test scale_test; } \
	> "$work/build.log" 2>&1 || { cat "$work/build.log"; die "build failed"; }
mkdir -p "$work/mods"
cp "$work/src/oomx.ko" "$work/mods/"
"$here/guest-kmods.sh" "$image" "$work/mods"
"$here/initramfs.sh" "$work/initrd.gz" "$work/mods" \
	"$work/src/selftests/scale_test" "$work/src/selftests/stress_test"

cmdline="oomx.storm_cycles=${OOMX_SOAK_CYCLES:-1000} oomx.fuzz_writes=${OOMX_SOAK_WRITES:-10000}"
cmdline+=" oomx.concurrent_s=${OOMX_SOAK_SECONDS:-600} oomx.scale_procs=${OOMX_SOAK_PROCS:-10000}"
[ -z "${OOMX_SOAK_SEED:-}" ] || cmdline+=" oomx.seed=$OOMX_SOAK_SEED"
log "soaking on the debug kernel ($(basename "$kdebug")): $cmdline"
t0=$(date +%s)
OOMX_GUEST_MEM=${OOMX_SOAK_MEM:-4096} OOMX_CMDLINE="$cmdline" \
	"$here/qemu-run.sh" "$image" "$work/initrd.gz" test "$work/guest" \
	"${OOMX_SOAK_TIMEOUT:-14400}" > "$work/judge.log" 2>&1 || rc=$?
log "the guest ran $(( $(date +%s) - t0 )) s"

# The figures: what each case printed, and its verdict.
tr -d '\r' < "$work/guest/results.log" |
	sed -n '/^### BEGIN \(scale\|stress\)_test$/,/^### END \(scale\|stress\)_test rc=/p' |
	grep -E '^# (MemAvailable|storm|fuzz|concurrent|[0-9]+ processes|scan|20 s)|^(not )?ok [0-9]' || true
tap=$("$here/parse-results.sh" soak "$work/guest" "$ksrc" scale_test stress_test)
echo "$tap"
fail=0
if [ "${rc:-0}" != 0 ]; then
	cat "$work/judge.log" >&2
	log "the guest judge failed"
	fail=1
fi
if ! tr -d '\r' < "$work/guest/results.log" | grep -q '^### kmemleak scanned'; then
	log "no kmemleak scan at the end of the run"
	fail=1
fi
if grep -q '^not ok' <<<"$tap"; then
	log "a case failed"
	fail=1
fi
[ $fail = 0 ] || die "soak failed (logs in $work/guest)"
log "soak passed (logs in $work/guest)"
