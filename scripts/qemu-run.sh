#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one guest under TCG and judge it, fail closed.
#   qemu-run.sh KERNEL INITRD MODE LOGDIR [TIMEOUT_S]
# Writes LOGDIR/console.log (kernel) and LOGDIR/results.log (tests).
# Exit 0 only if the guest wrote OOMX-GUEST-DONE and the kernel log holds
# no WARNING, BUG (KASAN's included), Oops, panic, lockdep, might_sleep or
# kmemleak report.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
kernel=$1 initrd=$2 mode=$3 logdir=$4 timeout_s=${5:-900}
mkdir -p "$logdir"
console="$logdir/console.log" results="$logdir/results.log"
: > "$console"
: > "$results"

# x86_64: kernel log on the first UART, results on the second.  arm64
# (virt): one PL011 for the kernel log, results on a virtio console.
case "${OOMX_ARCH:-x86_64}" in
x86_64)
	qemu=(qemu-system-x86_64 -machine q35 -cpu max
	      -serial "file:$console" -serial "file:$results")
	tty=ttyS0 ;;
arm64)
	qemu=(qemu-system-aarch64 -machine virt -cpu max
	      -serial "file:$console"
	      -device virtio-serial-pci
	      -chardev "file,id=results,path=$results"
	      -device virtconsole,chardev=results)
	tty=ttyAMA0 ;;
*) die "OOMX_ARCH is x86_64 or arm64" ;;
esac

# A disk at 8 MiB/s (QEMU's throttling, whatever the guest kernel): page
# cache that has to come back from somewhere slow, for the early
# intervention tests and bench.  Sparse: it costs the host nothing.
disk="$logdir/disk.img"
rm -f "$disk"
truncate -s "${OOMX_DISK_MB:-256}M" "$disk"
drive=(-drive "file=$disk,format=raw,if=none,id=d0,cache=unsafe,throttling.bps-total=$(( ${OOMX_DISK_KBPS:-8192} * 1024 ))"
       -device virtio-blk-pci,drive=d0)

# Single-threaded TCG: multi-threaded TCG races the kernel's text patching
# (static keys, e.g. the first cpu.max write) and now and then kills a
# guest with "Oops: int3" that no module caused.
timeout --foreground -k 10 "$timeout_s" \
	"${qemu[@]}" -nodefaults -no-reboot -display none \
	-smp 2 -m "${OOMX_GUEST_MEM:-512}" -accel tcg,thread=single \
	"${drive[@]}" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=$tty panic=-1 oops=panic softlockup_panic=1 oomx.mode=$mode ${OOMX_CMDLINE:-}" \
	< /dev/null > "$logdir/qemu.out" 2>&1
rc=$?
rm -f "$disk"

fail=0
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "guest timed out after ${timeout_s}s" >&2
	fail=1
elif [ $rc != 0 ]; then
	echo "qemu exited with $rc: $(tail -n 3 "$logdir/qemu.out")" >&2
	fail=1
fi
if ! grep -q '^OOMX-GUEST-DONE' "$results"; then
	echo "guest never reported completion" >&2
	fail=1
fi
splat='WARNING:|BUG:|Oops|Kernel panic|unreferenced object|suspected memory leak|general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|DEADLOCK|sleeping function called from invalid context|UBSAN:|KASAN:|soft lockup|blocked for more than|RCU detected stall|rcu_sched self-detected'
if grep -Eq "$splat" "$console"; then
	echo "kernel splat in $console:" >&2
	grep -E -m 5 -A 8 "$splat" "$console" >&2
	fail=1
fi
exit $fail
