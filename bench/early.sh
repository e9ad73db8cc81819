#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Early-intervention bench: five pressure scenarios, each under the stock
# killer, oomx (default parameters) and earlyoom (Debian's package,
# default settings), in one guest boot of 512 MiB with its disk throttled
# to 8 MiB/s; min/median/max over repeats and ratios of the medians.
#   OOMX_BENCH_KERNEL=deb6.12|deb6.1 (default deb6.12)
#   OOMX_BENCH_REPEAT=3, OOMX_BENCH_SCEN=plateau,slowleak,healthy,runaway,cgroup
#   OOMX_BENCH_PLOT=plateau: after the repeats, that scenario once more
#     under each mode with a sampler beside it, drawn by bench/plot.sh
#     into timeline-SCENARIO.png in the work directory (none: no picture;
#     with OOMX_BENCH_REPEAT=0, the picture alone)
# Scenarios (scripts/guest-early.sh):
#   plateau   a leak grows at 50 MiB/s to 30 MiB short of MemAvailable and
#             holds; a reader re-reads 80 MiB of the disk for 40 s
#   slowleak  a leak grows at 5 MiB/s without end; the same reader; the
#             canary's own 4 MiB live on the disk (touched at each wake-up)
#   healthy   anon at 93 % of MemAvailable, a worker re-reading 12 MiB,
#             a one-time 64 MiB sequential read, 30 s
#   runaway   an allocation as fast as it goes, without end
#   cgroup    the plateau inside a memory cgroup limited to 200 MiB (no
#             swap): a leak to 170 MiB, the same reader, in the cgroup;
#             the machine keeps memory to spare
# A 100 ms canary runs beside each; PSI memory some/full over the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$top/scripts/lib.sh"

"$top/scripts/setup.sh"
plot=${OOMX_BENCH_PLOT:-plateau}
case $plot in
none) plot= ;;
plateau|slowleak|healthy|runaway|cgroup) ;;
*) die "OOMX_BENCH_PLOT=$plot is not a scenario or none" ;;
esac
# The plotter (setup.sh lists it too).
if [ -n "$plot" ] && ! command -v gnuplot > /dev/null; then
	log "apt-get install gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends gnuplot-nox >&2 ||
		die "apt-get install gnuplot-nox failed"
fi
pick_kernel "${OOMX_BENCH_KERNEL:-deb6.12}"
work=$(mktemp -d "${TMPDIR:-/tmp}/oomx-early.XXXXXX")
rsync -a --exclude .git "$top/" "$work/src/"
make -s -C "$work/src" KDIR="$kdir" modules > "$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "build failed"; }
gcc -D_GNU_SOURCE -O2 -Wall -static -o "$work/pressure" "$here/pressure.c"

# earlyoom as Debian ships it, with the loader and libc it links to.
eo="$OOMX_CACHE/earlyoom"
if [ ! -x "$eo/usr/bin/earlyoom" ]; then
	mkdir -p "$eo"
	(cd "$eo" && apt-get download earlyoom > /dev/null 2>&1) ||
		die "cannot download Debian's earlyoom package"
	dpkg-deb -x "$eo"/earlyoom_*.deb "$eo"
fi
mkdir -p "$work/mods"
cp "$work/src/oomx.ko" "$work/mods/"
"$top/scripts/guest-kmods.sh" "$image" "$work/mods"
cp "$eo/usr/bin/earlyoom" /lib/x86_64-linux-gnu/libc.so.6 \
	/lib64/ld-linux-x86-64.so.2 "$work/"
"$top/scripts/initramfs.sh" "$work/initrd.gz" "$work/mods" \
	"$top/scripts/guest-early.sh" "$work/pressure" "$work/earlyoom" \
	"$work/libc.so.6" "$work/ld-linux-x86-64.so.2"
log "early bench on $(basename "$image"), ${OOMX_BENCH_REPEAT:-3} repeats"
OOMX_GUEST_MEM=512 OOMX_CMDLINE="oomx.repeat=${OOMX_BENCH_REPEAT:-3} oomx.scen=${OOMX_BENCH_SCEN:-plateau,slowleak,healthy,runaway,cgroup} oomx.plot=${plot:-none}" \
	"$top/scripts/qemu-run.sh" "$image" "$work/initrd.gz" early "$work/guest" 5400 || rc=$?
res="$work/guest/results.log"
tr -d '\r' < "$res" | grep -vE '^(OOMX-GUEST|### |TIMELINE )' > "$work/runs.txt"
grep -q BENCH-OK "$work/runs.txt" || die "the bench did not complete (logs in $work/guest)"

# min/median/max per scenario, mode and measure; then oomx's medians
# against stock's and earlyoom's.
tr -d '\r' < "$res" | awk '
function med(a, n,   i, j, t) {
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^RUN / {
	s = $2; m = $3
	if (!(s in seen)) { order[++ns] = s; seen[s] = 1 }
	runs[s, m]++
	for (i = 5; i <= NF; i++) {
		split($i, kv, "=")
		k = kv[1]; v = kv[2]
		if (k == "leak_alive") { if (v == 0) deaths[s, m]++; continue }
		if (k == "avail0_mb") continue
		if (v == "-" || v == "") { if (k == "died_s") never[s, m]++; continue }
		if (!((s, k) in kseen)) { keys[s, ++nk[s]] = k; kseen[s, k] = 1 }
		n = ++cnt[s, m, k]; val[s, m, k, n] = v
	}
}
END {
	split("stock oomx earlyoom", modes, " ")
	for (o = 1; o <= ns; o++) {
		s = order[o]
		printf "\n%s\n", s
		printf "  %-14s %-26s %-26s %-26s %s\n", "measure", "stock min/med/max", "oomx min/med/max", "earlyoom min/med/max", "oomx/stock oomx/earlyoom"
		for (q = 1; q <= nk[s]; q++) {
			k = keys[s, q]
			line = sprintf("  %-14s", k)
			for (mi = 1; mi <= 3; mi++) {
				m = modes[mi]; n = cnt[s, m, k]
				if (!n) { md[m] = ""; line = line sprintf(" %-26s", "-"); continue }
				delete a
				for (i = 1; i <= n; i++) a[i] = val[s, m, k, i] + 0
				md[m] = med(a, n)
				line = line sprintf(" %-26s", sprintf("%g/%g/%g", a[1], md[m], a[n]))
			}
			r1 = (md["stock"] != "" && md["stock"] > 0 && md["oomx"] != "") ? sprintf("%.2f", md["oomx"] / md["stock"]) : "-"
			r2 = (md["earlyoom"] != "" && md["earlyoom"] > 0 && md["oomx"] != "") ? sprintf("%.2f", md["oomx"] / md["earlyoom"]) : "-"
			print line " " r1 " " r2
		}
		line = sprintf("  %-14s", "leak killed")
		for (mi = 1; mi <= 3; mi++) {
			m = modes[mi]
			line = line sprintf(" %-26s", (deaths[s, m] + 0) "/" (runs[s, m] + 0))
		}
		print line
	}
}'
echo
grep -E 'oomx: early:|earlyoom' "$work/runs.txt" | tail -n 6 || true
log "runs: $work/runs.txt"
if [ -n "$plot" ]; then
	png=$("$here/plot.sh" "$res" "$work") || die "the timeline plot failed"
	log "timeline: $png"
fi
