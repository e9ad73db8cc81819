# SPDX-License-Identifier: GPL-2.0
#
# oomx's version, for Kbuild and the Makefile.  It lives in one place:
# debian/changelog's top entry.  A tree installed for DKMS has no
# debian/; there it is the PACKAGE_VERSION that packaging substituted
# into dkms.conf (dh_dkms -V, or make dkms-source).  Empty when neither
# holds one, and then Kbuild and "make version" fail.
oomx_top := $(dir $(lastword $(MAKEFILE_LIST)))..
oomx_version := $(or \
	$(shell sed -n '1s/^[a-z0-9][a-z0-9.+-]* (\([0-9][A-Za-z0-9.+~-]*\)) .*/\1/p' \
		$(oomx_top)/debian/changelog 2>/dev/null), \
	$(shell sed -n 's/^PACKAGE_VERSION="\([0-9][A-Za-z0-9.+~-]*\)"$$/\1/p' \
		$(oomx_top)/dkms.conf 2>/dev/null))
