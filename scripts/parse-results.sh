#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Turn one guest's logs into TAP lines, one per test case, fail closed:
# a missing binary, a short plan, a SKIP or a non-zero exit is a failure.
#   parse-results.sh GUEST LOGDIR KSRC TEST...
set -uo pipefail
guest=$1 dir=$2 ksrc=$3
shift 3
results="$dir/results.clean" console="$dir/console.log"
# The guest's serial line discipline ends lines with CRLF.
tr -d '\r' < "$dir/results.log" > "$results"

for t in "$@"; do
	block=$(sed -n "/^### BEGIN $t\$/,/^### END $t rc=/p" "$results")
	if [ -z "$block" ]; then
		echo "not ok - $guest $t: never ran"
		continue
	fi
	if ! grep -q "^### END $t rc=" <<<"$block"; then
		echo "not ok - $guest $t: did not finish"
	fi
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$block" | head -n1)
	seen=0
	while read -r line; do
		seen=$((seen + 1))
		case "$line" in
		*"# SKIP"*) echo "not ok - $guest $t: ${line#ok } (skipped counts as failure)" ;;
		"ok "*) echo "ok - $guest $t: $(cut -d' ' -f3- <<<"$line")" ;;
		"not ok "*) echo "not ok - $guest $t: $(cut -d' ' -f4- <<<"$line")" ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ ' <<<"$block")
	if [ -z "$plan" ] || [ "$seen" -lt "$plan" ]; then
		echo "not ok - $guest $t: ran $seen of ${plan:-?} planned tests"
	fi
	rc=$(sed -n "s/^### END $t rc=\([0-9]*\)$/\1/p" <<<"$block")
	if [ -n "$rc" ] && [ "$rc" != 0 ]; then
		echo "not ok - $guest $t: exited with $rc"
	fi
	# Diagnostics of failed cases, for the reader.
	grep -E '^# .*\.c:[0-9]+:' <<<"$block" | head -n 40 | sed 's/^/# /'
done

if [ "$guest" = debug ]; then
	# The judge fails the guest on any report; this proves a scan ran.
	grep -q '^### kmemleak scanned' "$results" ||
		echo "not ok - $guest kmemleak: no scan at the end of the run"
	if ! grep -q '^### END kunit rc=0' "$results"; then
		echo "not ok - $guest kunit: oomx_kunit.ko did not load"
	fi
	tr -d '\r' < "$console" | sed -n '/OOMX-KUNIT-BEGIN/,$p' > "$dir/kunit.log"
	out=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$dir/kunit.log" 2>&1)
	echo "$out" > "$dir/kunit.txt"
	n=0
	while read -r line; do
		n=$((n + 1))
		# "[PASSED] name" or, for a suite, "===== [PASSED] name ====="
		name=$(sed 's/.*\] //; s/ *=*$//' <<<"$line")
		case "$line" in
		*"[PASSED]"*) echo "ok - $guest kunit: $name" ;;
		*) echo "not ok - $guest kunit: $name" ;;
		esac
	done < <(grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]' <<<"$out" | sed 's/\x1b\[[0-9;]*m//g')
	[ "$n" -gt 0 ] || echo "not ok - $guest kunit: no KUnit results in the kernel log"
	grep -q 'Testing complete' <<<"$out" ||
		echo "not ok - $guest kunit: kunit.py parse found no complete run"
fi
