// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into test_memcontrol.  Its main() never calls
 * ksft_print_header(), so its stdout, a pipe to memcontrol_test, stays
 * fully buffered: every child it forks inherits the unflushed buffer and
 * writes it again at exit, and a 4 KiB flush can cut a TAP line in two
 * with a child's copy landing in between ("ok 12 " then another line).
 * Line buffering, as ksft_print_header() itself sets, before its main().
 */
#include <stdio.h>

static void __attribute__((constructor)) memcontrol_linebuf(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}
