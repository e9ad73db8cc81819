#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest mode "nodebugfs": the guest boots with debugfs=off.  oomx must
# load all the same, serve /sys/kernel/oomx, choose victims and unload.
# One TAP line per check; test.sh counts them.
n=0
check() { # description, then the command
	d=$1
	shift
	n=$((n + 1))
	if "$@" > /dev/null 2>&1; then echo "ok $n - $d"; else echo "not ok $n - $d"; fi
}
check "debugfs is off" sh -c "! grep -qw debugfs /proc/filesystems"
check "oomx loads without debugfs" insmod /lib/oomx/oomx.ko
check "it says debugfs is missing" sh -c 'dmesg | grep -q "oomx: no debugfs"'
check "selection is oomx's" grep -qx oomx /sys/kernel/oomx/selection
check "counters are served" test "$(cat /sys/kernel/oomx/stats/victims)" = 0
check "hooks are armed" grep -qx Y /sys/module/oomx/parameters/enabled
check "oomx unloads" rmmod oomx
check "and /sys/kernel/oomx is gone" test ! -e /sys/kernel/oomx
echo "1..$n"
