#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The full-count stress run: selftests/stress_test.c on the debug kernel
# (KASAN, lockdep, kmemleak, DEBUG_VM), 1000 insmod/rmmod cycles and 10000
# parameter writes while OOMs churn, where CI runs the defaults (75 and
# 2000).  Prints the test's figures; fails if a case failed or the guest
# judge found a kernel splat, a KASAN, lockdep or kmemleak report.
#   OOMX_SOAK_CYCLES=1000 OOMX_SOAK_WRITES=10000 OOMX_SOAK_SEED=<n>
#   (default: the test's fixed seed), OOMX_SOAK_TIMEOUT=9000 (seconds)
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
  make -s -C "$work/src/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" stress_test; } \
	> "$work/build.log" 2>&1 || { cat "$work/build.log"; die "build failed"; }
mkdir -p "$work/mods"
cp "$work/src/oomx.ko" "$work/mods/"
"$here/guest-kmods.sh" "$image" "$work/mods"
"$here/initramfs.sh" "$work/initrd.gz" "$work/mods" "$work/src/selftests/stress_test"

cmdline="oomx.storm_cycles=${OOMX_SOAK_CYCLES:-1000} oomx.fuzz_writes=${OOMX_SOAK_WRITES:-10000}"
[ -z "${OOMX_SOAK_SEED:-}" ] || cmdline+=" oomx.seed=$OOMX_SOAK_SEED"
log "soaking on the debug kernel ($(basename "$kdebug")): $cmdline"
t0=$(date +%s)
# KASAN's shadow and kmemleak's pool need room, as in test.sh.
OOMX_GUEST_MEM=1024 OOMX_CMDLINE="$cmdline" \
	"$here/qemu-run.sh" "$image" "$work/initrd.gz" test "$work/guest" \
	"${OOMX_SOAK_TIMEOUT:-9000}" > "$work/judge.log" 2>&1 || rc=$?
log "the guest ran $(( $(date +%s) - t0 )) s"

# The figures: what each case printed, and its verdict.
tr -d '\r' < "$work/guest/results.log" |
	sed -n '/^### BEGIN stress_test$/,/^### END stress_test rc=/p' |
	grep -E '^# (MemAvailable|storm|fuzz)|^(not )?ok [0-9]' || true
tap=$("$here/parse-results.sh" soak "$work/guest" "$ksrc" stress_test)
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
	log "stress_test failed"
	fail=1
fi
[ $fail = 0 ] || die "soak failed (logs in $work/guest)"
log "soak passed (logs in $work/guest)"
