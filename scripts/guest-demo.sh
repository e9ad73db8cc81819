#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo inside the guest: load oomx with policy=largest (score_all, so
# the record also says what classic would have done), start three
# hogs (the smallest at oom_score_adj 500, which the kernel's classic
# policy would kill), force one global OOM with an allocator that is never
# a candidate (-1000), and show what the kernel did with oomx's choice.
set -e
say() { printf '\n==> %s\n' "$*"; }

say "insmod oomx.ko policy=largest score_all=1 on $(uname -r)"
insmod /lib/oomx/oomx.ko policy=largest score_all=1
dmesg | grep 'oomx:' | tail -n 1
for p in /sys/module/oomx/parameters/*; do
	printf '  %-24s %s\n' "${p##*/}" "$(cat "$p")"
done

avail=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
say "MemAvailable ${avail} MiB; starting hogs of 35%, 20% and 10% (the 10% one at oom_score_adj 500)"
/lib/oomx/hog $((avail * 35 / 100)) 0 & big=$!
/lib/oomx/hog $((avail * 20 / 100)) 0 & mid=$!
/lib/oomx/hog $((avail * 10 / 100)) 500 & small=$!
for pid in $big $mid $small; do
	while ! grep -q '^VmRSS' /proc/$pid/status 2>/dev/null; do sleep 0.2; done
done
sleep 2
printf '  pid %-5s %-28s oom_score %s\n' $big "35%" "$(cat /proc/$big/oom_score)" \
	$mid "20%" "$(cat /proc/$mid/oom_score)" \
	$small "10%, oom_score_adj 500" "$(cat /proc/$small/oom_score)"
echo "  (oom_score is the kernel's classic score: classic would kill pid $small)"

left=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
say "allocating $((left + avail / 20)) MiB at oom_score_adj -1000: one global OOM"
/lib/oomx/hog $((left + avail / 20)) -1000 --exit
sleep 1

say "kernel log: the kernel's own report, oomx's reasons, oomx's reaper"
dmesg | grep -E 'invoked oom-killer|oom-kill:|Out of memory|oomx: (event|reaped)' | sed 's/^/  /'

say "who is left"
for pid in $big $mid $small; do
	if [ -d /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status; then
		echo "  $pid alive"
	else
		echo "  $pid killed"
	fi
done

say "/sys/kernel/debug/oomx/decisions"
sed 's/ victim=/\n    victim=/; s/ top=/\n    top=/; s/ victims=/\n    victims=/; s/ reap=/\n    reap=/; s/ window_ms=/\n    window_ms=/; s/^/  /' /sys/kernel/debug/oomx/decisions
say "/sys/kernel/debug/oomx/stats (non-zero)"
awk '$2 != 0 {print "  " $0}' /sys/kernel/debug/oomx/stats
say "/proc/vmstat oom_kill: $(awk '/^oom_kill / {print $2}' /proc/vmstat)"
kill $mid $small $big 2>/dev/null || true
rmmod oomx
echo "DEMO-OK"
