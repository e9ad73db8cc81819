// SPDX-License-Identifier: GPL-2.0
/*
 * hog: hold MiB of anonymous memory, for the demo and by hand.
 *   hog MIB [OOM_SCORE_ADJ] [--exit]
 * Touches every page, prints "ready", then sleeps until killed, or exits
 * at once with --exit (an allocator that forces an OOM and moves on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mb, off;
	char *p;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: hog MIB [OOM_SCORE_ADJ] [--exit]\n");
		return 2;
	}
	mb = strtoul(argv[1], NULL, 10);
	if (argc > 2 && strcmp(argv[2], "--exit")) {
		f = fopen("/proc/self/oom_score_adj", "w");
		if (!f || fprintf(f, "%s", argv[2]) < 0 || fclose(f))
			return perror("oom_score_adj"), 2;
	}
	p = mmap(NULL, mb << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 3;
	for (off = 0; off < mb << 20; off += 4096)
		p[off] = 1;
	printf("hog %d: %zu MiB ready\n", getpid(), mb);
	fflush(stdout);
	if (argc > 2 && !strcmp(argv[argc - 1], "--exit"))
		return 0;
	for (;;)
		pause();
}
