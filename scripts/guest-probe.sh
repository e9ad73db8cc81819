#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Evidence probe (guest mode "probe"): what oomx's early-intervention
# evidence, PSI and /proc/vmstat say while a reader re-reads 96 MiB of the
# guest's throttled disk with ROOM MiB (default 40) of memory left by a
# hog.  The reader keeps /dev/vda open: the block device's last close
# drops its page cache and every refault with it.  Pack with
# initramfs.sh (this script, hog) and boot with qemu-run.sh ... probe.
insmod /lib/oomx/oomx.ko early=0
avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
echo "avail $avail MiB"
cat /proc/pressure/memory
hogmb=$((avail - ${ROOM:-40}))
/lib/oomx/hog $hogmb 0 & hog=$!
sleep 5
( exec 3</dev/vda; while :; do dd if=/dev/vda of=/dev/null bs=1M count=96 2>/dev/null; echo pass >> /tmp/passes; done ) & rd=$!
i=0
while [ $i -lt 60 ]; do
	sleep 1
	echo "t=$i passes=$(wc -l < /tmp/passes 2>/dev/null) $(tr '\n' ' ' < /sys/kernel/debug/oomx/early)"
	echo "   psi: $(head -1 /proc/pressure/memory) | $(grep -E 'workingset_(refault|activate)_file|pgmajfault|allocstall_normal' /proc/vmstat | tr '\n' ' ')"
	i=$((i+1))
done
kill $rd $hog
