#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# oomx's full test run, the README's test command and what CI runs.  On a
# fresh Debian 12 machine (root) it installs what it needs, then:
#   - builds oomx warning-free (-Werror) for Debian's 6.1 and 6.12 kernels
#     and for the KUnit + debug kernel it builds from linux-source-6.12;
#   - runs sparse, checkpatch --strict and dkms build;
#   - boots each kernel under QEMU and runs the in-guest selftests, and the
#     KUnit suites on the debug kernel.
# Every check prints one TAP line; the run ends with "N passed, N failed".
# Anything missing (a kernel, QEMU, a test) is a failure, never a skip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

passed=0 failed=0 n=0
declare -a phases=()
results=$(mktemp -d "${TMPDIR:-/tmp}/oomx-test.XXXXXX")

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESC CMD...: run CMD, its output into the log on failure
	local desc=$1 log
	shift
	log="$results/check-$((n + 1)).log"
	if "$@" > "$log" 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/#   /' "$log" | tail -n 40
	fi
}
phase_start() { phase_name=$1; phase_t0=$(date +%s); log "phase: $1"; }
phase_end() { phases+=("$phase_name $(( $(date +%s) - phase_t0 ))s"); }
finish() {
	echo "# phase timings:"
	for p in "${phases[@]}"; do echo "#   $p"; done
	echo "# logs: $results"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

echo "TAP version 13"
t_all=$(date +%s)

phase_start setup
if [ "${OOMX_SKIP_SETUP:-0}" = 1 ] && [ -f "$OOMX_CACHE/kernels.env" ]; then
	ok "setup (reused)"
else
	check "setup: apt packages, Debian kernels, QEMU" "$here/setup.sh"
fi
phase_end
[ -f "$OOMX_CACHE/kernels.env" ] || { notok "no kernels.env: cannot go on"; finish; }
. "$OOMX_CACHE/kernels.env"

phase_start debug-kernel
kdebug=$("$here/kernel-debug.sh" 2> "$results/kernel-debug.log" | tail -n1)
if [ -n "$kdebug" ] && [ -f "$kdebug/arch/x86/boot/bzImage" ]; then
	ok "KUnit + debug kernel from linux-source-6.12 ($(basename "$kdebug"))"
else
	notok "KUnit + debug kernel build"
	tail -n 30 "$results/kernel-debug.log" | sed 's/^/#   /'
fi
phase_end
ksrc=$(ls -d "$OOMX_CACHE"/linux-source-6.12-*/ 2>/dev/null | head -n1)
ksrc=${ksrc%/}

# name kdir image: the three kernels every build and guest test covers.
targets=("deb6.1 $K_deb6_1_KDIR $K_deb6_1_IMAGE"
	 "deb6.12 $K_deb6_12_KDIR $K_deb6_12_IMAGE"
	 "debug ${kdebug:-/nonexistent} ${kdebug:-/nonexistent}/arch/x86/boot/bzImage")

build_one() { # name kdir [make args]: copy the tree and build with -Werror
	local name=$1 kdir=$2 out="$OOMX_CACHE/build/$1"
	shift 2
	mkdir -p "$out"
	rsync -a --delete --exclude .git "$top/" "$out/"
	{ make -C "$out" KDIR="$kdir" OOMX_EXTRA_CFLAGS=-Werror "$@" modules &&
	  make -C "$kdir" M="$out/selftests/kmod" KCFLAGS=-Werror "$@" modules; } \
		> "$out/build.log" 2>&1 || { cat "$out/build.log"; return 1; }
	if grep -E 'warning:|WARNING:' "$out/build.log"; then
		return 1
	fi
	[ -f "$out/oomx.ko" ] && [ -f "$out/selftests/kmod/oomx_test.ko" ]
}

phase_start build
for t in "${targets[@]}"; do
	set -- $t
	check "build oomx.ko and oomx_test.ko -Werror against $1 ($2)" build_one "$1" "$2"
done
for t in "arm64-6.1 ${K_arm64_6_1_KDIR:-/nonexistent}" "arm64-6.12 ${K_arm64_6_12_KDIR:-/nonexistent}"; do
	set -- $t
	check "cross-build oomx.ko -Werror for $1 ($2)" \
		build_one "$1" "$2" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
done
if [ -f "$OOMX_CACHE/build/debug/oomx_kunit.ko" ]; then
	ok "oomx_kunit.ko built against the debug kernel"
else
	notok "oomx_kunit.ko built against the debug kernel"
fi
check "selftests build (static, kselftest_harness.h)" \
	make -C "$top/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" all
build_tests_arm64() {
	local out="$OOMX_CACHE/build/arm64-tests"
	mkdir -p "$out"
	rsync -a --delete "$top/selftests/" "$out/"
	make -C "$out" CC=aarch64-linux-gnu-gcc KSFT_DIR="$ksrc/tools/testing/selftests" clean all
}
check "selftests cross-build for arm64" build_tests_arm64
phase_end

phase_start static-checks
check "sparse (make C=2) clean against deb6.12" "$here/check.sh" sparse "$K_deb6_12_KDIR"
check "checkpatch.pl --strict clean" "$here/check.sh" checkpatch "$ksrc"
for t in "${targets[@]:0:2}"; do
	set -- $t
	check "dkms build for $1" "$here/check.sh" dkms "$(basename "$2" | sed 's/^linux-headers-//')"
done
check "oomx-dkms .deb: builds, DKMS installs it for both Debian kernels, purges clean" \
	"$here/check.sh" deb
phase_end

phase_start guests
tests=("$top"/selftests/module_test "$top"/selftests/oom_test "$top"/selftests/hooks_test "$top"/selftests/early_test)
# The reliability campaign's programs, spread over the x86-64 kernels so
# that the five guests, two at a time on two cores, finish in about half
# an hour: odd victims, the kernel's test_memcontrol and LTP's oom cases
# on both Debian kernels, scale on 6.12; the load/unload storm, parameter
# fuzz, concurrent OOMs (and scale again) where KASAN, lockdep and
# kmemleak watch.  arm64 under TCG has no time for them beside the rest.
# scripts/soak.sh runs the full counts.
campaign() { # guest name: its extra test programs
	case $1 in
	deb6.1) echo victims_test memcontrol_test ltp_oom_test ;;
	deb6.12) echo scale_test victims_test memcontrol_test ltp_oom_test ;;
	debug) echo stress_test scale_test ;;
	esac
}

# One guest: boot, judge, parse; TAP lines into $dir/tap.  Each QEMU runs
# single-threaded, so the guests run side by side.  arm64 guests boot the
# module and tests cross-built for arm64, with arm64 busybox.
run_guest() { # name image
	local name=$1 image=$2 dir="$results/guest-$1" t0 mods arch=x86_64
	local -a gtests=("${tests[@]}")
	local bb=/bin/busybox t
	if [ "${name#arm64}" != "$name" ]; then
		arch=arm64 bb=$BUSYBOX_ARM64
		gtests=("${tests[@]/#$top\/selftests/$OOMX_CACHE/build/arm64-tests}")
	fi
	for t in $(campaign "$name"); do
		gtests+=("$top/selftests/$t")
	done
	mkdir -p "$dir"
	: > "$dir/tap"
	if [ ! -f "$image" ] || [ ! -f "$OOMX_CACHE/build/$name/oomx.ko" ]; then
		echo "not ok - guest $name: kernel image or module missing" >> "$dir/tap"
		return
	fi
	mods="$dir/mods"
	mkdir -p "$mods"
	cp "$OOMX_CACHE/build/$name/oomx.ko" "$OOMX_CACHE/build/$name/selftests/kmod/oomx_test.ko" "$mods/"
	[ "$name" = debug ] && cp "$OOMX_CACHE/build/$name/oomx_kunit.ko" "$mods/" 2>/dev/null
	"$here/guest-kmods.sh" "$image" "$mods"
	if ! OOMX_BUSYBOX=$bb "$here/initramfs.sh" "$dir/initrd.gz" "$mods" "${gtests[@]}"; then
		echo "not ok - guest $name: initramfs" >> "$dir/tap"
		return
	fi
	t0=$(date +%s)
	# arm64 under TCG is slow: its oom_test runs only the memcg variant
	# (the global one's logic is architecture-independent, run on x86),
	# and it gets more time (alone, arm64 6.1 takes 12 minutes).
	# KASAN's shadow and kmemleak's pool need room on the debug kernel.
	if OOMX_ARCH=$arch OOMX_CMDLINE="$([ $arch = arm64 ] && echo oomx.oom_variant=memcg)" \
		OOMX_GUEST_MEM=$([ "$name" = debug ] && echo 1024 || echo 512) \
		"$here/qemu-run.sh" "$image" "$dir/initrd.gz" test "$dir" \
		"${OOMX_GUEST_TIMEOUT:-$([ $arch = arm64 ] && echo 2700 || echo 2400)}" \
		> "$dir/judge.log" 2>&1; then
		echo "ok - guest $name: boots, runs every test, reports, no kernel splat" >> "$dir/tap"
	else
		echo "not ok - guest $name: boots, runs every test, reports, no kernel splat" >> "$dir/tap"
		sed 's/^/#   /' "$dir/judge.log" >> "$dir/tap"
	fi
	echo "# guest $name took $(( $(date +%s) - t0 ))s" >> "$dir/tap"
	"$here/parse-results.sh" "$name" "$dir" "$ksrc" "${gtests[@]##*/}" >> "$dir/tap" 2>&1
}

# The guests: the three x86-64 kernels, and Debian's 6.1 and 6.12 on arm64.
guests=("${targets[@]}" "arm64-6.1 - ${K_arm64_6_1_IMAGE:-/nonexistent}"
	"arm64-6.12 - ${K_arm64_6_12_IMAGE:-/nonexistent}")
# No more guests at once than cores: each QEMU is one host thread, and a
# guest starved of CPU is a different machine from the one the tests'
# time limits were set on (five on two cores failed a dozen debug cases
# in CI that pass with a core each).  The longest start first.
longest_first=" debug arm64-6.1 deb6.12 arm64-6.12 deb6.1 "
queue=()
for name in $longest_first; do
	for t in "${guests[@]}"; do
		[ "${t%% *}" = "$name" ] && queue+=("$t")
	done
done
for t in "${guests[@]}"; do
	[ "${longest_first/ ${t%% *} /}" = "$longest_first" ] && queue+=("$t")
done
jobs_max=${OOMX_GUEST_JOBS:-$(nproc)}
for t in "${queue[@]}"; do
	set -- $t
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n
	done
	run_guest "$1" "$3" &
done
wait
for t in "${guests[@]}"; do
	set -- $t
	while read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < "$results/guest-$1/tap"
done
phase_end

# The kernel's last resorts at a global OOM, with oomx as without it: a
# guest that ends in the expected panic (guest-lastresort.sh), judged
# here on its console: that panic, after no kill, warning or report.
run_lastresort() { # name image what with
	local dir="$results/lastresort-$1-$3-$4" want splat
	mkdir -p "$dir/mods"
	cp "$OOMX_CACHE/build/$1/oomx.ko" "$dir/mods/"
	"$here/guest-kmods.sh" "$2" "$dir/mods"
	"$here/initramfs.sh" "$dir/initrd.gz" "$dir/mods" \
		"$here/guest-lastresort.sh" "$top/selftests/hog" > /dev/null
	OOMX_CMDLINE="oomx.lastresort=$3 oomx.with=$4" "$here/qemu-run.sh" \
		"$2" "$dir/initrd.gz" lastresort "$dir" 300 > "$dir/judge.log" 2>&1
	case $3 in
	panic_on_oom) want="Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled" ;;
	deadlock) want="Kernel panic - not syncing: System is deadlocked on memory" ;;
	esac
	splat=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|general protection|KASAN:|lockdep|soft lockup|Killed process|oomx: early: killed' \
		"$dir/console.log" | grep -vF -e "$want" -e "end Kernel panic")
	{
		if tr -d '\r' < "$dir/results.log" | grep -q "^lastresort: armed ($3, $4)" &&
		   { [ "$4" = stock ] || tr -d '\r' < "$dir/results.log" |
			grep -qx "lastresort: oomx loaded, selection oomx"; } &&
		   grep -qF "$want" "$dir/console.log" &&
		   { [ "$3" != deadlock ] ||
			grep -q "Out of memory and no killable processes" "$dir/console.log"; } &&
		   [ -z "$splat" ]; then
			echo "ok - guest $1, $4: a global OOM with $3 ends as in the stock kernel (${want#Kernel panic - not syncing: })"
		else
			echo "not ok - guest $1, $4: a global OOM with $3 ends as in the stock kernel (${want#Kernel panic - not syncing: })"
			tr -d '\r' < "$dir/results.log" | sed 's/^/#   results: /'
			grep -E -m 8 'panic|Out of memory|Killed' "$dir/console.log" | sed 's/^/#   console: /'
			[ -z "$splat" ] || echo "$splat" | head -n 8 | sed 's/^/#   unexpected: /'
		fi
	} > "$dir/tap"
}
phase_start last-resort
lr=()
for t in "${targets[@]:0:2}"; do
	set -- $t
	for what in panic_on_oom deadlock; do
		for with in stock oomx; do
			while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
				wait -n
			done
			run_lastresort "$1" "$3" "$what" "$with" &
			lr+=("$results/lastresort-$1-$what-$with/tap")
		done
	done
done
wait
for f in "${lr[@]}"; do
	while read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) notok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < "$f"
	[ -s "$f" ] || notok "last resort: no verdict in $f"
done
phase_end

# The module DKMS built from the .deb, loaded where debugfs is off: it
# must load, serve /sys/kernel/oomx and unload (guest-nodebugfs.sh's TAP).
phase_start dkms-guests
run_nodebugfs() { # name kdir image
	local name=$1 rel dir="$results/dkms-$1" line
	rel=$(basename "$2" | sed 's/^linux-headers-//')
	mkdir -p "$dir/mods"
	if ! cp "$OOMX_CACHE/build/dkms-$rel/oomx.ko" "$dir/mods/" 2>/dev/null; then
		notok "guest $name, debugfs=off: no DKMS-built oomx.ko for $rel"
		return
	fi
	"$here/guest-kmods.sh" "$3" "$dir/mods"
	"$here/initramfs.sh" "$dir/initrd.gz" "$dir/mods" "$here/guest-nodebugfs.sh"
	if OOMX_CMDLINE=debugfs=off "$here/qemu-run.sh" "$3" "$dir/initrd.gz" \
		nodebugfs "$dir" 300 > "$dir/judge.log" 2>&1; then
		ok "guest $name, debugfs=off, DKMS-built module: boots, no kernel splat"
	else
		notok "guest $name, debugfs=off, DKMS-built module: boots, no kernel splat"
		sed 's/^/#   /' "$dir/judge.log"
	fi
	# Eight checks, each its own line; a missing one is a failure.
	for i in 1 2 3 4 5 6 7 8; do
		line=$(tr -d '\r' < "$dir/results.log" 2>/dev/null | grep -E "^(not )?ok $i - ")
		case "$line" in
		"ok $i - "*) ok "guest $name, debugfs=off: ${line#ok $i - }" ;;
		*) notok "guest $name, debugfs=off: check $i: ${line:-missing}" ;;
		esac
	done
}
for t in "${targets[@]:0:2}"; do
	run_nodebugfs $t
done
phase_end

phases+=("total $(( $(date +%s) - t_all ))s")
finish
