#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of oomx's test guests.  Kernel messages go to ttyS0, results to
# ttyS1, so a kernel splat can never tear a TAP line.  The host believes
# only an explicit "OOMX-GUEST-DONE" at the end of ttyS1: a panic, hang or
# crash can only fail the run.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o size=16m tmpfs /tmp
echo "+memory +cpu" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
# The kernel's virtio modules where they are not built in (the disk).
for m in /lib/oomx/kmods/*.ko; do
	[ -f "$m" ] && insmod "$m"
done
# A virtio console (device id 3) loaded as a module gets its /dev/hvc0
# from devtmpfs a moment after insmod returns: wait for it (5 s at most).
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do
		usleep 100000
		i=$((i + 1))
	done
fi
# Kernel messages at every level reach the console log the host scans.
echo 8 > /proc/sys/kernel/printk
# Results: the second UART on x86, the virtio console on arm64 (virt
# has one PL011, which carries the kernel log).
out=/dev/ttyS1
[ -c /dev/hvc0 ] && out=/dev/hvc0

mode=$(sed -n 's/.*oomx.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "OOMX-GUEST-START kernel=$(uname -r) mode=$mode" > $out
# kmemleak (debug kernel): forget what boot left, scan again at the end.
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	echo scan > $leaks
	echo clear > $leaks
fi
case "$mode" in
test)
	if [ -f /lib/oomx/oomx_kunit.ko ]; then
		echo "### BEGIN kunit" > $out
		# The kernel's own (empty) boot-time KTAP comes first: mark ours.
		echo "OOMX-KUNIT-BEGIN" > /dev/kmsg
		insmod /lib/oomx/oomx_kunit.ko > $out 2>&1
		echo "### END kunit rc=$?" > $out
	fi
	# oomx.oom_variant=V runs only variant V of oom_test (kselftest -v);
	# oomx.oom_test=T only test T (-t), for chasing one case.
	variant=$(sed -n 's/.*oomx.oom_variant=\([a-z_]*\).*/\1/p' /proc/cmdline)
	only=$(sed -n 's/.*oomx.oom_test=\([a-z_]*\).*/\1/p' /proc/cmdline)
	for t in /lib/oomx/tests/*; do
		name=${t##*/}
		set --
		[ "$name" = oom_test ] && [ -n "$variant" ] && set -- -v "$variant"
		[ "$name" = oom_test ] && [ -n "$only" ] && set -- "$@" -t "$only"
		echo "### BEGIN $name" > $out
		"$t" "$@" > $out 2>&1
		echo "### END $name rc=$?" > $out
	done
	;;
*)
	# demo, bench: /lib/oomx/<mode>.sh
	/lib/oomx/$mode.sh > $out 2>&1
	echo "### END $mode rc=$?" > $out
	;;
esac
if [ -w $leaks ]; then
	# Objects younger than 5 s are not reported yet: let them age.
	sleep 6
	echo scan > $leaks
	echo scan > $leaks
	cat $leaks > /tmp/leaks
	if [ -s /tmp/leaks ]; then
		# The judge fails the guest on this line; the report follows.
		echo "oomx-guest: suspected memory leak, kmemleak report:" > /dev/kmsg
		cat /tmp/leaks > /dev/console
	fi
	echo "### kmemleak scanned" > $out
fi
echo "OOMX-GUEST-DONE" > $out
sync
reboot -f
