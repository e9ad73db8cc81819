#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo inside the guest: load oomx, start three hogs, force one global
# OOM with an allocator that is never a candidate (-1000), show what oomx
# decided and why.
set -e
say() { printf '\n==> %s\n' "$*"; }

say "insmod oomx.ko on $(uname -r)"
insmod /lib/oomx/oomx.ko
dmesg | grep 'oomx:' | tail -n 1
for p in /sys/module/oomx/parameters/*; do
	printf '  %-18s %s\n' "${p##*/}" "$(cat "$p")"
done

avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
say "MemAvailable ${avail} MiB; starting hogs of 35%, 20% and 10% (the 10% one at oom_score_adj 500)"
/lib/oomx/hog $((avail * 35 / 100)) 0 & big=$!
/lib/oomx/hog $((avail * 20 / 100)) 0 & mid=$!
/lib/oomx/hog $((avail * 10 / 100)) 500 & small=$!
sleep 1

for pid in $big $mid $small; do
	while ! grep -q '^VmRSS' /proc/$pid/status 2>/dev/null; do sleep 0.2; done
done
sleep 2
printf '  pid %-5s oom_score %s\n' $big "$(cat /proc/$big/oom_score)" \
	$mid "$(cat /proc/$mid/oom_score)" $small "$(cat /proc/$small/oom_score)"

left=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
say "allocating $((left + avail / 20)) MiB at oom_score_adj -1000: one global OOM"
/lib/oomx/hog $((left + avail / 20)) -1000 --exit
sleep 1

say "kernel log"
dmesg | grep -E 'invoked oom-killer|oom-kill:|Out of memory|oom_reaper|oomx:' | sed 's/^/  /'

say "who is left"
for pid in $big $mid $small; do
	if [ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status; then
		echo "  $pid alive"
	else
		echo "  $pid killed"
	fi
done

say "/sys/kernel/debug/oomx/decisions"
sed 's/ top=/\n    top=/; s/ sharers=/\n    sharers=/; s/^/  /' /sys/kernel/debug/oomx/decisions
say "/sys/kernel/debug/oomx/stats (non-zero)"
awk '$2 != 0 {print "  " $0}' /sys/kernel/debug/oomx/stats
say "/proc/vmstat oom_kill: $(awk '/^oom_kill / {print $2}' /proc/vmstat)"
kill $mid $small 2>/dev/null || true
rmmod oomx
echo "DEMO-OK"
