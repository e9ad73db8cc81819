# SPDX-License-Identifier: GPL-2.0
#
#   make                      build oomx.ko for the running kernel
#   make KDIR=<build dir>     build against other kernel headers
#   make install              install into /lib/modules/<release>/extra
#   make version              print oomx's version (debian/changelog)
#   make dkms-source DESTDIR=/usr/src/oomx-$(make -s version)
#                             the tree DKMS builds from: the module's
#                             sources and dkms.conf with the version
#   make check                sparse (C=1) and checkpatch --strict
#   make demo                 boot a VM, load oomx, drive an OOM (root)
#   make test                 every test: builds, KUnit, guests (root)

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)

include $(dir $(lastword $(MAKEFILE_LIST)))kbuild/version.mk

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	$(if $(wildcard selftests/Makefile),$(MAKE) -C selftests clean)

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

version:
	@test -n "$(oomx_version)" || \
		{ echo "oomx: no version in debian/changelog or dkms.conf" >&2; exit 1; }
	@echo $(oomx_version)

# Everything Kbuild reads, and nothing else (no selftests, scripts, bench,
# build products).  DKMS_CONF=no leaves dkms.conf to dh_dkms.
DKMS_SOURCES := Kbuild Makefile $(filter-out %.mod.c,$(wildcard *.c)) \
	$(wildcard include/*.h kbuild/*.c kbuild/*.mk kunit/*.c)
DKMS_CONF ?= yes

dkms-source:
	@test -n "$(oomx_version)" || \
		{ echo "oomx: no version in debian/changelog or dkms.conf" >&2; exit 1; }
	@test -n "$(DESTDIR)" || { echo "oomx: make dkms-source DESTDIR=<dir>" >&2; exit 1; }
	for f in $(DKMS_SOURCES); do install -D -m 644 $$f $(DESTDIR)/$$f || exit 1; done
ifeq ($(DKMS_CONF),yes)
	sed 's/#MODULE_VERSION#/$(oomx_version)/' dkms.conf > $(DESTDIR)/dkms.conf
endif

check:
	scripts/check.sh

demo:
	scripts/demo.sh

test:
	scripts/test.sh

.PHONY: all modules clean install version dkms-source check demo test
