#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# oomx's benchmarks inside the guest (see bench/oomx_bench.c).
# oomx.repeat= and oomx.bench= come from the kernel command line.
repeat=$(sed -n 's/.*oomx.repeat=\([0-9]*\).*/\1/p' /proc/cmdline)
repeat=${repeat:-5}
# Keep the console quiet: printk to a serial port would dominate timings.
echo 1 > /proc/sys/kernel/printk
echo 0 > /proc/sys/vm/oom_dump_tasks
parts=$(sed -n 's/.*oomx.bench=\([a-z,]*\).*/\1/p' /proc/cmdline)
parts=${parts:-select,stall,reaprate,overhead}
set -e
# The stuck victims sleep in D state through oomx_test.ko.
insmod /lib/oomx/oomx_test.ko
case ",$parts," in *,select,*)
	for n in 100 1000 10000; do
		/lib/oomx/oomx_bench select $n "$repeat"
	done ;;
esac
case ",$parts," in *,stall,*)
	/lib/oomx/oomx_bench stall exit "$repeat"
	/lib/oomx/oomx_bench stall stuck "$repeat" ;;
esac
case ",$parts," in *,reaprate,*)
	/lib/oomx/oomx_bench reaprate "$repeat" ;;
esac
case ",$parts," in *,overhead,*)
	/lib/oomx/oomx_bench overhead "$repeat" ;;
esac
rmmod oomx_test
echo BENCH-OK
