#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest mode "lastresort": the kernel's last resorts at a global OOM stand
# with oomx loaded as without it.  oomx.lastresort= on the command line:
#   panic_on_oom  vm.panic_on_oom=1: the kernel panics before any choice
#                 ("Out of memory: system-wide panic_on_oom is enabled");
#   deadlock      every process at oom_score_adj -1000: nothing killable,
#                 and a global OOM with nothing to kill panics ("System
#                 is deadlocked on memory").
# oomx.with=oomx loads oomx first (its defaults); oomx.with=stock does not.
# The guest ends in the panic: test.sh judges its console, expecting that
# panic, and no kill, no warning or other report before it.
what=$(sed -n 's/.*oomx.lastresort=\([a-z_]*\).*/\1/p' /proc/cmdline)
with=$(sed -n 's/.*oomx.with=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$with" = oomx ]; then
	insmod /lib/oomx/oomx.ko || exit 1
	echo "lastresort: oomx loaded, selection $(cat /sys/kernel/oomx/selection)"
fi
case "$what" in
panic_on_oom)
	echo 1 > /proc/sys/vm/panic_on_oom || exit 1
	;;
deadlock)
	for p in /proc/[0-9]*; do
		echo -1000 > "$p/oom_score_adj" 2> /dev/null
	done
	# The allocator below inherits it from this shell.
	[ "$(cat /proc/self/oom_score_adj)" = -1000 ] || exit 1
	;;
*)
	echo "lastresort: oomx.lastresort=panic_on_oom|deadlock" >&2
	exit 1
	;;
esac
# All of RAM: more than there is free, and no more than vm.overcommit's
# heuristic lets one mmap() reserve.
mem=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
echo "lastresort: armed ($what, $with), allocating $((mem / 1024)) MiB"
/lib/oomx/hog $((mem / 1024)) --exit
echo "lastresort: the allocation came back: no panic"
exit 1
