#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# oomx's benchmarks inside the guest (see bench/oomx_bench.c).
# OOMX_BENCH_REPEAT comes from the kernel command line.
repeat=$(sed -n 's/.*oomx.repeat=\([0-9]*\).*/\1/p' /proc/cmdline)
repeat=${repeat:-5}
# Keep the console quiet: printk to a serial port would dominate timings.
echo 1 > /proc/sys/kernel/printk
echo 0 > /proc/sys/vm/oom_dump_tasks
parts=$(sed -n 's/.*oomx.bench=\([a-z,]*\).*/\1/p' /proc/cmdline)
parts=${parts:-score,overhead,stall}
set -e
case ",$parts," in *,score,*)
	for n in 100 1000 10000; do
		/lib/oomx/oomx_bench score $n "$repeat"
	done ;;
esac
case ",$parts," in *,overhead,*)
	/lib/oomx/oomx_bench overhead "$repeat" ;;
esac
case ",$parts," in *,stall,*)
	/lib/oomx/oomx_bench stall exit "$repeat"
	/lib/oomx/oomx_bench stall stuck "$repeat" ;;
esac
echo BENCH-OK
