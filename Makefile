# SPDX-License-Identifier: GPL-2.0
#
#   make                      build oomx.ko for the running kernel
#   make KDIR=<build dir>     build against other kernel headers
#   make install              install into /lib/modules/<release>/extra
#   make check                sparse (C=1) and checkpatch --strict
#   make demo                 boot a VM, load oomx, drive an OOM (root)
#   make test                 every test: builds, KUnit, guests (root)

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	$(MAKE) -C selftests clean

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

check:
	scripts/check.sh

demo:
	scripts/demo.sh

test:
	scripts/test.sh

.PHONY: all modules clean install check demo test
