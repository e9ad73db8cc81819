#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks.
#   check.sh sparse KDIR        make C=2 (sparse on every file), no warnings
#   check.sh checkpatch KSRC    checkpatch.pl --strict on every C file
#   check.sh dkms RELEASE       dkms build against installed headers
#   check.sh                    sparse + checkpatch with the cached trees
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

c_files() { (cd "$top" && git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './selftests/*'); }

case "${1:-all}" in
sparse)
	command -v sparse >/dev/null || die "sparse is not installed"
	out="$OOMX_CACHE/build/sparse"
	mkdir -p "$out"
	rsync -a --delete --exclude .git "$top/" "$out/"
	make -C "$2" M="$out" C=2 modules 2>&1 | tee "$out/sparse.log"
	# sparse reports as "file:line:col: warning|error: ..."
	! grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out/sparse.log"
	;;
checkpatch)
	cp="$2/scripts/checkpatch.pl"
	[ -f "$cp" ] || die "no checkpatch.pl in $2"
	cd "$top"
	# The user-space selftests follow the kselftest harness's idiom; their
	# kernel module (selftests/kmod) is kernel code and is checked.
	files=$(c_files | grep -vE '^selftests/[^/]+$')
	out=$(perl "$cp" --no-tree --strict --terse --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $files 2>&1)
	rc=$?
	echo "$out"
	# Its exit status covers errors, warnings and a checkpatch that did
	# not run; --strict's CHECKs do not set it, so look for them too.
	[ $rc = 0 ] && ! grep -qE ': (ERROR|WARNING|CHECK):' <<<"$out"
	
	;;
dkms)
	rel=$2
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
	dst="/usr/src/oomx-$ver"
	rm -rf "$dst"
	mkdir -p "$dst"
	rsync -a --exclude .git "$top/" "$dst/"
	dkms remove -m oomx -v "$ver" --all >/dev/null 2>&1
	dkms add -m oomx -v "$ver" || exit 1
	dkms build -m oomx -v "$ver" -k "$rel" || {
		cat "/var/lib/dkms/oomx/$ver/build/make.log" 2>/dev/null
		exit 1
	}
	ls "/var/lib/dkms/oomx/$ver/$rel/"*/module/oomx.ko* >/dev/null || exit 1
	dkms remove -m oomx -v "$ver" --all >/dev/null 2>&1
	rm -rf "$dst"
	;;
all)
	. "$OOMX_CACHE/kernels.env" 2>/dev/null || die "run scripts/setup.sh first"
	ksrc=$(ls -d "$OOMX_CACHE"/linux-source-6.12-*/ | head -n1)
	"$0" sparse "$K_deb6_12_KDIR" && "$0" checkpatch "${ksrc%/}"
	;;
esac
