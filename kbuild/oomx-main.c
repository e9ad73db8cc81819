// SPDX-License-Identifier: GPL-2.0
/*
 * Kbuild cannot link a composite oomx.ko whose parts include an oomx.o,
 * so oomx.c is compiled through this file.  A normal pattern-rule object
 * keeps KBUILD_MODNAME "oomx" and every other Kbuild variable right.
 */
#include "../oomx.c"
