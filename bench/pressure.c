// SPDX-License-Identifier: GPL-2.0
/*
 * pressure: the actors of the early-intervention bench (bench/early.sh
 * runs them in a guest whose disk is throttled to 8 MiB/s).
 *
 *   pressure leak MIB RATE_MIBPS          grow to MIB at RATE, then hold
 *   pressure reader DEV OFF_MIB MIB SECS  re-read a region; print passes
 *   pressure once DEV OFF_MIB MIB         read a region once
 *   pressure canary PERIOD_MS SECS        sleep PERIOD; print worst lateness
 *
 * The leak touches its memory a MiB at a time at RATE and then sleeps;
 * RATE 0 is as fast as it can.  Readers keep the device open (the block
 * device's last close drops its page cache).  Results go to stdout as
 * "key value" lines for the script.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MB	(1024UL * 1024)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts))
		;
}

static int leak(unsigned long mb, double rate)
{
	char *p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double t0 = now_s();
	unsigned long i, off;

	if (p == MAP_FAILED)
		return perror("mmap"), 3;
	for (i = 0; i < mb; i++) {
		for (off = 0; off < MB; off += 4096)
			p[i * MB + off] = 1;
		if (rate > 0) {
			double due = t0 + (i + 1) / rate;

			if (due > now_s())
				sleep_s(due - now_s());
		}
	}
	printf("leak_full_s %.2f\n", now_s() - t0);
	fflush(stdout);
	for (;;)
		pause();
}

static int stop;	/* set by SIGTERM, read with atomics */

static void on_term(int sig)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static int reader(const char *dev, long off, long mb, double secs, int loop)
{
	static char buf[1 << 20];
	double end = now_s() + secs;
	long passes = 0, i;
	int fd = open(dev, O_RDONLY);

	if (fd < 0)
		return perror(dev), 2;
	signal(SIGTERM, on_term);
	do {
		for (i = 0; i < mb && !stopped(); i++)
			if (pread(fd, buf, sizeof(buf), (off + i) * MB) !=
			    (ssize_t)sizeof(buf))
				return perror("pread"), 3;
		if (i == mb)
			passes++;
	} while (loop && !stopped() && now_s() < end);
	printf("passes %ld\n", passes);
	return 0;
}

static int canary(long period_ms, double secs)
{
	double end = now_s() + secs, worst = 0;

	signal(SIGTERM, on_term);
	while (!stopped() && now_s() < end) {
		double t = now_s(), late;

		sleep_s(period_ms / 1000.0);
		late = now_s() - t - period_ms / 1000.0;
		if (late > worst)
			worst = late;
	}
	printf("canary_worst_ms %.1f\n", worst * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "leak"))
		return leak(strtoul(argv[2], NULL, 10), atof(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "reader"))
		return reader(argv[2], atol(argv[3]), atol(argv[4]),
			      atof(argv[5]), 1);
	if (argc == 5 && !strcmp(argv[1], "once"))
		return reader(argv[2], atol(argv[3]), atol(argv[4]), 0, 0);
	if (argc == 4 && !strcmp(argv[1], "canary"))
		return canary(atol(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of the source\n");
	return 2;
}
