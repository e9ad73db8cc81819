#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of bench/early.sh (guest mode "early"): each scenario under
# the stock killer, oomx (defaults) and earlyoom (Debian's, defaults), in
# turn, oomx.repeat times, on one boot.  One line per run:
#   RUN scenario mode rep key=value...
# Then, with oomx.plot=SCENARIO, that scenario once more under each mode
# with pressure's timeline sampler beside it (bench/plot.sh draws it),
# every line of those runs prefixed "TIMELINE scenario mode ", the RUN
# line too (not one of the repeats).
# The disk (/dev/vda) is throttled to 8 MiB/s by qemu-run.sh.
P=/lib/oomx/pressure
D=/dev/vda
rep=$(sed -n 's/.*oomx.repeat=\([0-9]*\).*/\1/p' /proc/cmdline)
scens=$(sed -n 's/.*oomx.scen=\([a-z,]*\).*/\1/p' /proc/cmdline)
plot=$(sed -n 's/.*oomx.plot=\([a-z]*\).*/\1/p' /proc/cmdline)
rep=${rep:-3}
scens=${scens:-plateau,slowleak,healthy,runaway,cgroup}
W=40	# seconds of useful work measured per run

up() { cut -d' ' -f1 /proc/uptime; }
psi() { awk -F'total=' '/^some/ {s=$2} /^full/ {f=$2} END {print s + 0, f + 0}' /proc/pressure/memory; }
avail_mb() { awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo; }
alive() { [ -d /proc/$1 ] && ! grep -q '^State:.*[ZX]' /proc/$1/status 2>/dev/null; }

mode_on() {
	case $1 in
	oomx) insmod /lib/oomx/oomx.ko ;;
	# Debian's binary, run through its own dynamic loader.
	earlyoom) /lib/oomx/ld-linux-x86-64.so.2 --library-path /lib/oomx \
		/lib/oomx/earlyoom > /tmp/earlyoom.log 2>&1 & eo=$!
		sleep 1 ;;
	esac
}

mode_off() {
	case $1 in
	oomx) rmmod oomx ;;
	earlyoom) kill $eo; wait $eo 2>/dev/null ;;
	esac
}

# watch PID T0 LIMIT_S: until PID dies or LIMIT_S pass; prints "died_s"
# (seconds after T0) or "-".
watch() {
	while alive $1; do
		if [ "$(awk -v a="$(up)" -v b="$2" -v l="$3" 'BEGIN {print (a - b >= l)}')" = 1 ]; then
			echo -
			return
		fi
		usleep 50000
	done
	awk -v a="$(up)" -v b="$2" 'BEGIN {printf "%.2f\n", a - b}'
}

# run SCENARIO MODE REP [timeline]
run() {
	scen=$1 mode=$2 n=$3 tl=${4:-} pr=
	sync
	echo 3 > /proc/sys/vm/drop_caches
	av=$(avail_mb)
	oomk0=$(awk '/^oom_kill / {print $2}' /proc/vmstat)
	set -- $(psi)
	some0=$1 full0=$2
	mode_on $mode
	if [ -n "$tl" ]; then
		# The actors tell the sampler through $pr; a second of calm
		# before the leak starts.
		pr=/tmp/tl.probe
		rm -f $pr
		lg=
		[ $mode = earlyoom ] && lg=/tmp/earlyoom.log
		$P timeline $pr $lg > /tmp/tl.out & tlp=$!
		sleep 1
	fi
	t0=$(up)
	case $scen in
	plateau)
		$P leak $((av - 30)) 50 $pr > /tmp/leak.out & victim=$!
		$P reader $D 0 80 $W $pr > /tmp/reader.out & rd=$!
		$P canary 100 $W $pr > /tmp/canary.out & cn=$!
		died=$(watch $victim $t0 $W)
		wait $rd $cn
		;;
	slowleak)
		# The canary's program and data live on the slow disk too:
		# 4 MiB of it, touched at every wake-up.
		$P leak $((av + 256)) 5 $pr > /tmp/leak.out & victim=$!
		$P reader $D 0 80 600 $pr > /tmp/reader.out & rd=$!
		$P canary 100 600 ${pr:--} $D 200 4 > /tmp/canary.out & cn=$!
		died=$(watch $victim $t0 150)
		[ -n "$tl" ] && sleep 5	# the aftermath, for the picture
		kill -TERM $rd $cn
		wait $rd $cn
		;;
	healthy)
		$P leak $((av * 93 / 100)) 0 $pr > /tmp/leak.out & victim=$!
		# Full, or killed on the way (earlyoom kills here).
		while alive $victim && ! grep -q leak_full /tmp/leak.out; do
			usleep 100000
		done
		$P reader $D 0 12 30 $pr > /tmp/reader.out & rd=$!
		$P canary 100 30 $pr > /tmp/canary.out & cn=$!
		sleep 3
		$P once $D 128 64 > /dev/null
		died=$(watch $victim $t0 30)
		wait $rd $cn
		;;
	cgroup)
		# The plateau inside a container at its limit (memory.max
		# 200 MiB, no swap) on a machine with memory to spare: the
		# machine's MemAvailable never falls.
		C=/sys/fs/cgroup/oomx-bench
		mkdir -p $C
		echo $((200 * 1024 * 1024)) > $C/memory.max
		echo 0 > $C/memory.swap.max 2>/dev/null
		sh -c "echo \$\$ > $C/cgroup.procs && exec $P leak 170 50 $pr" > /tmp/leak.out & victim=$!
		sh -c "echo \$\$ > $C/cgroup.procs && exec $P reader $D 0 80 $W $pr" > /tmp/reader.out & rd=$!
		$P canary 100 $W $pr > /tmp/canary.out & cn=$!
		died=$(watch $victim $t0 $W)
		wait $rd $cn
		;;
	runaway)
		$P leak $((av + 512)) 0 $pr > /tmp/leak.out & victim=$!
		: > /tmp/reader.out
		$P canary 100 60 $pr > /tmp/canary.out & cn=$!
		died=$(watch $victim $t0 60)
		[ -n "$tl" ] && sleep 5
		kill -TERM $cn
		wait $cn
		;;
	esac
	if [ -n "$tl" ]; then
		kill -TERM $tlp
		wait $tlp
	fi
	set -- $(psi)
	dt=$(awk -v a="$(up)" -v b="$t0" 'BEGIN {print a - b}')
	alive $victim && leak_alive=1 || leak_alive=0
	kill -9 $victim 2>/dev/null
	wait $victim 2>/dev/null
	mode_off $mode
	[ $scen = cgroup ] && rmdir /sys/fs/cgroup/oomx-bench
	oomk=$(( $(awk '/^oom_kill / {print $2}' /proc/vmstat) - oomk0 ))
	pfx=
	[ -n "$tl" ] && pfx="TIMELINE $scen $mode "
	echo "${pfx}RUN $scen $mode $n passes=$(awk '/passes/ {print $2}' /tmp/reader.out)" \
		"canary_ms=$(awk '/canary_worst_ms/ {print $2}' /tmp/canary.out)" \
		"died_s=$died leak_alive=$leak_alive oom_kills=$oomk" \
		"some_pct=$(awk -v a=$1 -v b=$some0 -v t=$dt 'BEGIN {printf "%.1f", (a - b) / t / 1e4}')" \
		"full_pct=$(awk -v a=$2 -v b=$full0 -v t=$dt 'BEGIN {printf "%.1f", (a - b) / t / 1e4}')" \
		"avail0_mb=$av"
	[ -z "$tl" ] || sed "s/^/TIMELINE $scen $mode /" /tmp/tl.out
}

echo "early bench: $(uname -r), $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB, repeat $rep, $scens"
i=1
while [ $i -le $rep ]; do
	for s in $(echo $scens | tr , ' '); do
		for m in stock oomx earlyoom; do
			run $s $m $i
		done
	done
	i=$((i + 1))
done
grep -h . /tmp/earlyoom.log 2>/dev/null | grep -i kill | tail -3
dmesg | grep 'oomx: early:' | tail -4
if [ -n "$plot" ] && [ "$plot" != none ]; then
	for m in stock oomx earlyoom; do
		run $plot $m 1 timeline
	done
fi
echo BENCH-OK
