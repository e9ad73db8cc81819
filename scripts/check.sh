#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks.
#   check.sh sparse KDIR        make C=2 (sparse on every file), no warnings
#   check.sh checkpatch KSRC    checkpatch.pl --strict on every C file
#   check.sh dkms RELEASE       dkms add/build/install against installed
#                               headers, in a scratch DKMS tree only
#   check.sh deb                build oomx-dkms, install it, check DKMS
#                               built it for both Debian kernels, purge it
#   check.sh                    sparse + checkpatch with the cached trees
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

# What the dkms and deb checks must leave as they found it: DKMS's tree,
# /usr/src, each kernel's modules directory and updates/, oomx's config.
# "names": paths only (a real install and purge do run depmod, and DKMS
# makes its signing key, /var/lib/dkms/mok.*, on first use).
system_state() {
	local fmt='%p %y %s %T@ %l\n'
	[ "${1:-}" = names ] && fmt='%p %y\n'
	{
		find /var/lib/dkms /usr/src /etc/modprobe.d /etc/modules-load.d \
			-maxdepth 1 -printf "$fmt"
		find /var/lib/dkms -mindepth 2 -printf "$fmt"
		find /lib/modules -maxdepth 2 -printf "$fmt"
		find /lib/modules -mindepth 2 -maxdepth 2 -name updates -exec find {} -printf "$fmt" \;
	} 2>/dev/null | if [ "${1:-}" = names ]; then
		grep -vE '^/var/lib/dkms/mok\.(key|pub) |^/lib/modules/[^/]+/modules\.'
	else
		cat
	fi | sort
}

# Any oomx on this machine: a source tree, DKMS's record, a module, config.
existing_oomx() {
	ls -d /usr/src/oomx-* /var/lib/dkms/oomx /etc/modprobe.d/oomx.conf \
		/etc/modules-load.d/oomx.conf 2>/dev/null
	find /lib/modules -name 'oomx.ko*' 2>/dev/null
	dkms status -m oomx 2>/dev/null
}

# modinfo -F version of a module, compressed or not.
ko_version() {
	local t

	t=$(mktemp --suffix=.ko "${TMPDIR:-/tmp}/oomx-ko.XXXXXX") || return 1
	decompress "$1" > "$t" && modinfo -F version "$t"
	rm -f "$t"
}

decompress() {
	case "$1" in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

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
	# Nothing outside a scratch directory changes: DKMS's tree, the
	# source tree and the install tree are its, signing uses a scratch
	# key (dkms reads mok_signing_key and mok_certificate from the
	# environment when framework.conf does not set them), and no depmod.
	rel=${2:?usage: check.sh dkms RELEASE}
	[ -e "/lib/modules/$rel/build/Makefile" ] || die "no headers for $rel (/lib/modules/$rel/build)"
	ver=$(make -s -C "$top" version) || die "no version in debian/changelog"
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/oomx-dkms.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	system_state > "$scratch/before"
	make -s -C "$top" dkms-source DESTDIR="$scratch/src/oomx-$ver" > /dev/null ||
		die "make dkms-source failed"
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$scratch/src/oomx-$ver/dkms.conf" ||
		die "dkms.conf does not carry version $ver"
	mkdir -p "$scratch/dkms" "$scratch/install/$rel" "$scratch/tmp"
	sdkms() {
		TMPDIR="$scratch/tmp" mok_signing_key="$scratch/mok.key" \
		mok_certificate="$scratch/mok.pub" dkms --dkmstree "$scratch/dkms" \
			--sourcetree "$scratch/src" --installtree "$scratch/install" \
			--no-depmod "$@"
	}
	sdkms add -m oomx -v "$ver" || die "dkms add failed"
	sdkms build -m oomx -v "$ver" -k "$rel" || {
		cat "$scratch/dkms/oomx/$ver/build/make.log" 2>/dev/null
		die "dkms build for $rel failed"
	}
	sdkms install -m oomx -v "$ver" -k "$rel" || die "dkms install for $rel failed"
	sdkms status -m oomx -v "$ver" -k "$rel" 2>/dev/null | grep -q ': installed' ||
		die "dkms status does not show oomx/$ver installed for $rel"
	ko=$(ls "$scratch/install/$rel/updates/dkms/oomx.ko"* 2>/dev/null | head -n1)
	[ -n "$ko" ] || die "no oomx.ko in the scratch install tree"
	kover=$(ko_version "$ko")
	[ "$kover" = "$ver" ] || die "$ko: version '$kover', not $ver"
	sdkms remove -m oomx -v "$ver" --all > /dev/null || die "dkms remove failed"
	system_state > "$scratch/after"
	diff -u "$scratch/before" "$scratch/after" ||
		die "the system's DKMS, /usr/src or /lib/modules changed"
	log "dkms: oomx/$ver built and installed for $rel in a scratch tree; system untouched"
	;;
deb)
	[ "$(id -u)" = 0 ] || die "check.sh deb needs root (apt-get, dpkg)"
	. "$OOMX_CACHE/kernels.env" 2>/dev/null || die "run scripts/setup.sh first"
	rels="$K_deb6_1_REL $K_deb6_12_REL"
	for rel in $rels; do
		[ -e "/lib/modules/$rel/build/Makefile" ] || die "no headers for $rel"
	done
	# An oomx the operator has (package, its config files, a DKMS or a
	# manual install) is not ours to replace or purge.
	st=$(dpkg-query -W -f='${db:Status-Status}' oomx-dkms 2>/dev/null)
	[ -z "$st" ] || [ "$st" = not-installed ] ||
		die "oomx-dkms is on this machine ($st): not touching it; remove it first"
	left=$(existing_oomx)
	[ -z "$left" ] || die "oomx is installed on this machine, not touching it:
$left"
	apt_install debhelper dh-dkms dpkg-dev dkms rsync
	ver=$(make -s -C "$top" version) || die "no version in debian/changelog"
	work=$(mktemp -d "${TMPDIR:-/tmp}/oomx-deb.XXXXXX")
	installed=
	cleanup() {
		if [ -n "$installed" ]; then
			log "purging the oomx-dkms this check installed"
			dpkg --purge oomx-dkms > /dev/null 2>&1
		fi
		rm -rf "$work"
	}
	trap cleanup EXIT
	out="$OOMX_CACHE/deb"	# the package and every log of this check
	rm -rf "$out"
	mkdir -p "$out"
	for rel in $rels; do	# no stale module for the guests if this fails
		rm -f "$OOMX_CACHE/build/dkms-$rel/oomx.ko"
	done
	system_state names > "$work/before"

	# (b) build from a clean copy of the tree
	rsync -a --exclude .git --filter=':- .gitignore' "$top/" "$work/oomx/"
	(cd "$work/oomx" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 || {
		tail -n 40 "$out/build.log"
		die "dpkg-buildpackage failed (log: $out/build.log)"
	}
	deb="oomx-dkms_${ver}_all.deb"
	[ -f "$work/$deb" ] || die "dpkg-buildpackage made no $deb"
	cp "$work"/oomx*.deb "$work"/oomx*.buildinfo "$work"/oomx*.changes "$out/"
	deb="$out/$deb"
	log "built $deb"
	# What DKMS needs, and nothing more; dkms.conf with the version.
	dpkg-deb -c "$deb" | awk '{ print $6 }' > "$work/contents"
	stray=$(grep -E '^\./usr/src/' "$work/contents" |
		grep -E '/(selftests|scripts|bench|debian|Documentation|\.git)/|\.(o|ko|cmd)$')
	[ -z "$stray" ] || die "$deb ships more than DKMS needs: $stray"
	for f in Kbuild Makefile dkms.conf oomx.c include/oomx.h kbuild/version.mk; do
		grep -qx "\./usr/src/oomx-$ver/$f" "$work/contents" || die "$deb lacks /usr/src/oomx-$ver/$f"
	done
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./usr/src/oomx-$ver/dkms.conf" |
		grep -qx "PACKAGE_VERSION=\"$ver\"" || die "$deb's dkms.conf is not version $ver"
	if command -v lintian > /dev/null; then
		lintian "$deb" > "$out/lintian.log" 2>&1
		! grep -q '^E:' "$out/lintian.log" || { cat "$out/lintian.log"; die "lintian reports errors"; }
	fi

	# (d) install: DKMS builds and installs it for each kernel
	installed=y
	dpkg -i "$deb" > "$out/install.log" 2>&1 || {
		cat "$out/install.log"
		die "dpkg -i $deb failed"
	}
	for rel in $rels; do
		dkms status -m oomx -v "$ver" -k "$rel" 2>/dev/null | grep -q ': installed' || {
			cat "$out/install.log"
			dkms status
			die "dkms status: oomx/$ver is not installed for $rel"
		}
		ko=$(ls "/lib/modules/$rel/updates/dkms/oomx.ko"* 2>/dev/null | head -n1)
		[ -n "$ko" ] || die "no /lib/modules/$rel/updates/dkms/oomx.ko"
		kover=$(ko_version "$ko")
		[ "$kover" = "$ver" ] || die "$ko: version '$kover', not $ver"
		# The guests can boot this very module.
		mkdir -p "$OOMX_CACHE/build/dkms-$rel"
		decompress "$ko" > "$OOMX_CACHE/build/dkms-$rel/oomx.ko" ||
			die "cannot copy $ko"
		log "DKMS installed $ko ($kover); copied to $OOMX_CACHE/build/dkms-$rel/oomx.ko"
	done
	conf=/etc/modprobe.d/oomx.conf
	[ -f "$conf" ] || die "no $conf"
	if grep -qvE '^[[:space:]]*(#|$)' "$conf"; then
		die "$conf has lines that are not comments: $(grep -vE '^[[:space:]]*(#|$)' "$conf")"
	fi
	[ ! -e /etc/modules-load.d/oomx.conf ] || die "the package set oomx to load at boot"

	# (e) purge: nothing left behind
	dpkg --purge oomx-dkms > "$out/purge.log" 2>&1 || {
		cat "$out/purge.log"
		die "dpkg --purge oomx-dkms failed"
	}
	installed=
	left=$(existing_oomx)
	[ -z "$left" ] || die "left behind after dpkg --purge oomx-dkms:
$left"
	system_state names > "$work/after"
	diff -u "$work/before" "$work/after" ||
		die "dpkg -i then --purge left /usr/src, DKMS or /lib/modules changed"
	log "deb: $deb installed (oomx built for $rels) and purged cleanly"
	;;
all)
	. "$OOMX_CACHE/kernels.env" 2>/dev/null || die "run scripts/setup.sh first"
	ksrc=$(ls -d "$OOMX_CACHE"/linux-source-6.12-*/ | head -n1)
	"$0" sparse "$K_deb6_12_KDIR" && "$0" checkpatch "${ksrc%/}"
	;;
esac
