#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Draw the timeline runs of the early bench (bench/early.sh with
# OOMX_BENCH_PLOT=SCENARIO): one column per mode (stock, oomx, earlyoom),
# four panels sharing the time axis, 0 where the leak starts:
#   memory    MemAvailable and the leak's resident size, MiB
#   PSI       memory some and full, % of each 100 ms tick
#   canary    the 100 ms canary's worst wake-up lateness per tick, ms (log)
#   reader    MiB the reader has read so far
# with markers from the kernel log, earlyoom's output and the sampler:
# the trigger's evidence window (shaded) and its SIGTERM, SIGKILL (an
# early kill, or the kernel's OOM kill), the leak gone, the reap, a
# kernel OOM.
#   plot.sh RESULTS_LOG [OUTDIR]
# Writes OUTDIR/timeline-SCEN-MODE.dat (T lines: t avail_mb some_pct
# full_pct canary_ms reader_mb leak_rss_mb), .events (t kind text), and
# OUTDIR/timeline-SCEN.png, and prints the PNG's path.  OUTDIR defaults
# to RESULTS_LOG's directory.  Needs gnuplot (Debian: gnuplot-nox).
set -euo pipefail
res=$1
out=${2:-$(dirname "$res")}
command -v gnuplot > /dev/null ||
	{ echo "plot.sh: no gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$out"

# Split: per scenario and mode, the samples, the events (classified) and
# the run's summary line.
scens=$(tr -d '\r' < "$res" | awk -v out="$out" '
$1 != "TIMELINE" { next }
{
	s = $2; m = $3; base = out "/timeline-" s "-" m
	if (!(s in seen)) { seen[s] = 1; order = order " " s }
	if (!((s, m) in started)) {
		started[s, m] = 1
		printf "" > (base ".dat"); printf "" > (base ".events")
		printf "" > (base ".run")
	}
}
$4 == "T" { print $5, $6, $7, $8, $9, $10, $11 > (base ".dat"); next }
$4 == "#" { sub(/^TIMELINE [^ ]+ [^ ]+ /, ""); print > (base ".dat"); next }
$4 == "RUN" { sub(/^TIMELINE [^ ]+ [^ ]+ /, ""); print > (base ".run"); next }
$4 == "E" {
	t = $5 + 0
	text = $0; sub(/^TIMELINE [^ ]+ [^ ]+ E [^ ]+ /, "", text)
	kind = "info"
	if (text ~ /oomx: early: dry run/) kind = "info"
	else if (match(text, /oomx: early: [a-z]+ \(over [0-9]+ ms/)) {
		ms = substr(text, RSTART, RLENGTH); sub(/.*over /, "", ms)
		printf "%.3f evidence %.3f\n", t - ms / 1000, t > (base ".events")
		kind = text ~ /SIGTERM to/ ? "term" : "kill"
	}
	else if (text ~ /oomx: early: killed process/) kind = "kill"
	else if (text ~ /oomx: reaped process/ || text ~ /oom_reaper: reaped process/) kind = "reap"
	else if (text ~ /invoked oom-killer/) kind = "oom"
	else if (text ~ /Killed process/) kind = "kill"
	else if (text ~ /^earlyoom: sending SIGTERM/) kind = "term"
	else if (text ~ /^earlyoom: (sending SIGKILL|escalating to SIGKILL)/) kind = "kill"
	else if (text ~ /^leak: gone/) kind = "gone"
	printf "%.3f %s %s\n", t, kind, text > (base ".events")
}
END { print order }')
[ -n "$scens" ] || { echo "plot.sh: no TIMELINE lines in $res" >&2; exit 1; }

for s in $scens; do
	modes=
	for m in stock oomx earlyoom; do
		[ -s "$out/timeline-$s-$m.dat" ] && modes="$modes $m"
	done
	set -- $modes
	n=$#
	# Shared ranges, so that the columns compare.
	read -r tmin tmax amax pmax cmax rmax < <(for m; do cat "$out/timeline-$s-$m.dat"; done |
		awk 'BEGIN { tmin = 0; tmax = 1; a = 1; p = 5; c = 1; r = 1 }
		     /^#/ { next }
		     { if ($1 < tmin) tmin = $1; if ($1 > tmax) tmax = $1
		       if ($2 > a) a = $2; if ($7 != "NaN" && $7 + 0 > a) a = $7
		       if ($3 > p) p = $3
		       if ($5 != "NaN" && $5 + 0 > c) c = $5; if ($6 > r) r = $6 }
		     END { print tmin, tmax, a * 1.08, (p * 1.1 > 100 ? 100 : p * 1.1),
		                 c * 8, r * 1.08 }')
	gp="$out/timeline-$s.gp" png="$out/timeline-$s.png"
	{
		cat <<-EOF
		set terminal pngcairo size $((600 * n + 120)),1000 font "DejaVu Sans,10"
		set output "$png"
		set multiplot layout 4,$n columnsfirst margins 0.09,0.98,0.11,0.9 spacing 0.035,0.025 \\
			title "oomx early bench: $s, one run per mode (512 MiB guest, disk at 8 MiB/s); t = 0 when the leak starts" font ",13"
		set grid xtics ytics lc rgb "#dddddd"
		set xrange [$tmin:$tmax]
		set border lc rgb "#555555"
		set key top right opaque box lc rgb "#cccccc" samplen 2 font ",9"
		set style line 1 lw 1.6 lc rgb "#1f6fb4"
		set style line 2 lw 1.4 lc rgb "#999999" dt 2
		set style line 3 lw 1.4 lc rgb "#e69f00"
		set style line 4 lw 1.4 lc rgb "#b2182b"
		set style line 5 lw 1.2 lc rgb "#2c7c3c"
		set style line 6 lw 2 lc rgb "#6a3d9a"
		EOF
		col=0
		for m; do
			col=$((col + 1))
			ev="$out/timeline-$s-$m.events"
			# Column title: the run's outcome and the event times.
			title=$(awk -v m="$m" '
				$2 == "evidence" && !ev { ev = sprintf("evidence %.1f s, ", $1) }
				$2 == "term" && !term { term = sprintf("SIGTERM %.1f s, ", $1) }
				$2 == "kill" && !kill { kill = sprintf("kill %.1f s, ", $1) }
				$2 == "gone" && !gone { gone = sprintf("leak gone %.1f s, ", $1) }
				$2 == "reap" && !reap { reap = sprintf("reap %.1f s, ", $1) }
				$2 == "oom" { oom++ }
				END {
					s = ev term kill gone reap (oom ? oom (oom > 1 ? " OOMs, " : " OOM, ") : "")
					sub(/, $/, "", s)
					print m (s == "" ? ": no kill" : ": " s)
				}' "$ev")
			sum=$(awk '{ for (i = 5; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
				if (v["passes"] != "") printf "reader %s passes, ", v["passes"]
				printf "canary worst %s ms, PSI some %s %%, full %s %% over the run",
					v["canary_ms"], v["some_pct"], v["full_pct"] }' \
				"$out/timeline-$s-$m.run")
			echo "unset arrow; unset object; unset label"
			# Markers in every panel of the column.
			awk '
			$2 == "evidence" { printf "set object rect from %s, graph 0 to %s, graph 1 fc rgb \"#fde3b8\" fs solid 0.7 noborder behind\n", $1, $3 }
			$2 == "term" { c = "#e69f00"; d = 1 }
			$2 == "kill" { c = "#b2182b"; d = 1 }
			$2 == "gone" { c = "#2c7c3c"; d = 2 }
			$2 == "reap" { c = "#6a3d9a"; d = 3 }
			$2 == "oom"  { c = "#000000"; d = 4 }
			$2 ~ /^(term|kill|gone|reap|oom)$/ {
				printf "set arrow from %s, graph 0 to %s, graph 1 nohead lw 1.6 dt %d lc rgb \"%s\" front\n", $1, $1, d, c
			}' "$ev"
			ylab() { [ $col = 1 ] && echo "set ylabel \"$1\"" || echo 'unset ylabel'; }
			keys() { [ $col = 1 ] && echo "set key $1" || echo 'unset key'; }
			cat <<-EOF
			set format x ""; unset xlabel
			set title "{/:Bold $title}\\n{/=9 $sum}" font ",11"
			$(ylab "memory (MiB)")
			$(keys "right center")
			unset logscale y; set format y "%g"; set yrange [0:$amax]
			plot "$out/timeline-$s-$m.dat" u 1:2 w l ls 1 t "MemAvailable", \\
			     "" u 1:7 w l ls 2 t "leak RSS"
			unset title
			$(keys "top right")
			$(ylab "PSI memory (%)")
			set yrange [0:$pmax]
			plot "" u 1:3 w l ls 3 t "some", "" u 1:4 w l ls 4 t "full"
			$(ylab "canary lateness (ms)")
			set logscale y; set yrange [0.1:$cmax]; set format y "10^{%L}"
			plot "" u 1:(\$5 < 0.1 ? 0.1 : \$5) w l ls 6 t "worst wake-up per 100 ms"
			unset logscale y; set format y "%g"
			$(ylab "reader (MiB read)")
			set format x "%g"; set xlabel "seconds"
			set yrange [0:$rmax]
			EOF
			# The markers' legend, under the panels, with the last.
			[ $col = $n ] && awk -v w=$((600 * n + 120)) '
			BEGIN {
				y = 0.025; x = 0.09
				print "set label 100 \"markers:\" at screen 0.02, screen " y " left front"
				n = split("evidence window|trigger: SIGTERM|SIGKILL, or the kernel'"'"'s OOM kill|leak gone|reap|OOM invoked", name, "|")
				split("-,#e69f00,#b2182b,#2c7c3c,#6a3d9a,#000000", col, ",")
				split("0,1,1,2,3,4", dt, ",")
				for (i = 1; i <= n; i++) {
					if (i == 1)
						printf "set object 200 rect from screen %g, screen %g to screen %g, screen %g fc rgb \"#fde3b8\" fs solid 0.7 noborder front\n", x, y - 0.008, x + 0.025, y + 0.008
					else
						printf "set arrow %d from screen %g, screen %g to screen %g, screen %g nohead lw 1.6 dt %d lc rgb \"%s\" front\n", 200 + i, x, y, x + 0.025, y, dt[i], col[i]
					printf "set label %d \"%s\" at screen %g, screen %g left front\n", 200 + i, name[i], x + 0.03, y
					x += 0.05 + length(name[i]) * 0.0055 * 1500 / w
				}
			}'
			echo 'plot "" u 1:6 w l ls 5 t "cumulative"'
		done
		echo "unset multiplot"
	} > "$gp"
	gnuplot "$gp"
	echo "$png"
done
