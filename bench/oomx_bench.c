// SPDX-License-Identifier: GPL-2.0
/*
 * oomx benchmarks, run inside a guest by scripts/bench.sh.  Every figure
 * is a ratio against the stock killer measured in the same boot.
 *
 *   oomx_bench score N REPEAT
 *     N filler processes; REPEAT global OOMs with oomx in dry_run, so the
 *     same event is scored by oomx (record scan_ns) and by the stock
 *     killer (record stock_select_ns: notifier return -> oom_kill_process).
 *   oomx_bench overhead REPEAT
 *     page-fault and MAP_POPULATE allocation throughput with oomx loaded
 *     and idle against oomx not loaded, alternating A/B rounds; the same
 *     while another process keeps memcg reclaim running (memory.reclaim),
 *     which keeps oomx's probes firing; and the cost of one probe hit.
 *   oomx_bench stall exit|stuck REPEAT
 *     the longest single page-fault stall of the allocator that hit the
 *     OOM, i.e. OOM -> victim's memory back, with the stock killer alone
 *     (oomx not loaded) and with oomx; "stuck" puts the victim in a cgroup
 *     allowed 1 ms of CPU a second, so only a reaper gets memory back.
 */
#include "../selftests/oomx_util.h"

/*
 * A victim must be big enough that its 1 ms CPU slices (stuck case) free
 * well under what the allocator overshoots by, or it is not stuck; and
 * the overshoot must leave the victim's whole memory a wide margin over
 * watermarks, or a second kill follows.  Half, as in selftests/oom_test.
 */
#define VICTIM_MB	160
#define OVERSHOOT_MB	(VICTIM_MB / 2)
#define SLOW_CG		"/sys/fs/cgroup/oomx-bench-slow"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Pages per second to thousands, in place, for printing. */
static void to_thousands(double *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] /= 1000;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *what, const char *unit, double *v, int n)
{
	double med = median(v, n);

	const char *fmt = strcmp(unit, "x") ?
		"%-40s min %10.1f  median %10.1f  max %10.1f %s (n=%d)\n" :
		"%-40s min %10.3f  median %10.3f  max %10.3f %s (n=%d)\n";

	printf(fmt, what, v[0], med, v[n - 1], unit, n);
}

/* "PREFIX: A", "PREFIX: B" and "PREFIX: ratio" lines for one comparison. */
static void report_pair(const char *prefix, const char *unit,
			const char *a_name, double *a, const char *b_name,
			double *b, const char *ratio_name, double *ratio, int n)
{
	char what[96];

	snprintf(what, sizeof(what), "%s: %s", prefix, a_name);
	report(what, unit, a, n);
	snprintf(what, sizeof(what), "%s: %s", prefix, b_name);
	report(what, unit, b, n);
	snprintf(what, sizeof(what), "%s: %s", prefix, ratio_name);
	report(what, "x", ratio, n);
}

static int filler_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* N processes sharing one small mm: cheap, and scored like any other. */
static void start_fillers(int n)
{
	static const size_t stack = 16384;
	char *stacks = mmap(NULL, stack * n, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (stacks == MAP_FAILED) {
		perror("mmap stacks");
		exit(1);
	}
	for (i = 0; i < n; i++)
		if (clone(filler_fn, stacks + stack * (i + 1), CLONE_VM | SIGCHLD,
			  NULL) < 0) {
			perror("clone");
			exit(1);
		}
}

/* A -1000 hog leaving about @leave_mb available, so each OOM is cheap. */
static struct hog ballast(long leave_mb)
{
	long mb = avail_mb() - leave_mb;

	return hog_start(mb > 0 ? mb : 1, -1000, HOG_PLAIN);
}

/* Allocate @mb MiB at -1000 and return the longest page-touch stall (ms). */
static double alloc_stall_ms(size_t mb)
{
	int fds[2];
	double worst = -1;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		size_t len = mb * MB, off;
		double max = 0;
		struct timespec a, b;
		char *p;

		set_oom_score_adj(0, -1000);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (off = 0; off < len; off += 4096) {
			double d;

			clock_gettime(CLOCK_MONOTONIC, &a);
			p[off] = 1;
			clock_gettime(CLOCK_MONOTONIC, &b);
			d = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
			if (d > max)
				max = d;
		}
		if (write(fds[1], &max, sizeof(max)) != sizeof(max))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &worst, sizeof(worst)) != sizeof(worst))
		worst = -1;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return worst;
}

static long record_ns(const char *key)
{
	const char *v = oomx_field(oomx_last_decision(), key);

	return *v && *v != '-' ? strtol(v, NULL, 10) : -1;
}

static int bench_score(int n, int repeat)
{
	double *ox = calloc(repeat, sizeof(double));
	double *st = calloc(repeat, sizeof(double));
	double *ratio = calloc(repeat, sizeof(double));
	struct hog b, v;
	int i, got = 0;
	char what[64];

	start_fillers(n);
	oomx_sleep_ms(500);
	b = ballast(VICTIM_MB * 3);
	if (oomx_load("dry_run=1")) {
		perror("load oomx");
		return 1;
	}
	for (i = 0; i < repeat; i++) {
		long a, s;

		v = hog_start(VICTIM_MB, 0, HOG_PLAIN);
		if (oom_trigger(avail_mb() + VICTIM_MB / 2, 120000)) {
			fprintf(stderr, "oom trigger failed\n");
			return 1;
		}
		hog_stop(&v);
		reap_children();
		a = record_ns("scan_ns");
		s = record_ns("stock_select_ns");
		if (a <= 0 || s <= 0)
			continue;
		ox[got] = a / 1e3;
		st[got] = s / 1e3;
		ratio[got] = (double)a / s;
		got++;
		oomx_sleep_ms(200);
	}
	oomx_unload();
	hog_stop(&b);
	if (!got) {
		fprintf(stderr, "no timed OOM events\n");
		return 1;
	}
	snprintf(what, sizeof(what), "score %5d tasks", n);
	report_pair(what, "us", "oomx scan", ox, "stock select", st,
		    "ratio oomx/stock", ratio, got);
	return 0;
}

static int stall_runs(bool stuck, int repeat, double *out)
{
	struct hog b = ballast(VICTIM_MB * 3), v;
	int i;

	for (i = 0; i < repeat; i++) {
		v = hog_start(VICTIM_MB, 0, HOG_PLAIN);
		if (stuck && throttle_in(SLOW_CG, v.pid))
			return -1;
		out[i] = alloc_stall_ms(avail_mb() + OVERSHOOT_MB);
		oomx_write_file(SLOW_CG "/cpu.max", "max 100000");
		hog_stop(&v);
		reap_children();
		/* A fresh cgroup each run: a reused one did not hold the next victim. */
		rmdir(SLOW_CG);
		if (out[i] < 0)
			return -1;
		oomx_sleep_ms(300);
	}
	hog_stop(&b);
	return 0;
}

static int bench_stall(bool stuck, int repeat)
{
	double *stock = calloc(repeat, sizeof(double));
	double *ox = calloc(repeat, sizeof(double));
	double ms, mo;
	char what[64];

	if (oomx_loaded())
		oomx_unload();
	if (stall_runs(stuck, repeat, stock))
		return 1;
	if (oomx_load(NULL))
		return 1;
	if (stall_runs(stuck, repeat, ox))
		return 1;
	oomx_unload();
	snprintf(what, sizeof(what), "OOM stall, %s victim: stock", stuck ? "stuck" : "exiting");
	report(what, "ms", stock, repeat);
	snprintf(what, sizeof(what), "OOM stall, %s victim: oomx", stuck ? "stuck" : "exiting");
	report(what, "ms", ox, repeat);
	ms = median(stock, repeat);
	mo = median(ox, repeat);
	printf("%-40s %.3f (oomx median / stock median)\n",
	       stuck ? "OOM stall ratio, stuck victim" : "OOM stall ratio, exiting victim",
	       ms > 0 ? mo / ms : 0);
	return 0;
}

#define RECLAIM_CG	"/sys/fs/cgroup/oomx-bench-reclaim"
#define LOOP_MB		32

/* Faults per second: map, touch every page, unmap, for ~@ms. */
static double fault_rate(long ms, bool populate)
{
	long end = oomx_now_ms() + ms, t0 = oomx_now_ms();
	size_t len = LOOP_MB * MB;
	double pages = 0;

	while (oomx_now_ms() < end) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS |
			       (populate ? MAP_POPULATE : 0), -1, 0);

		if (p == MAP_FAILED)
			return -1;
		if (!populate)
			touch_mem(p, len);
		munmap(p, len);
		pages += len / 4096;
	}
	return pages * 1000.0 / (oomx_now_ms() - t0);
}

/* Keeps memcg reclaim (and oomx's probes on it) running until killed. */
static pid_t start_reclaimer(void)
{
	pid_t pid;

	mkdir(RECLAIM_CG, 0755);
	pid = fork();
	if (pid == 0) {
		for (;;)
			oomx_write_file(RECLAIM_CG "/memory.reclaim", "1M");
	}
	return pid;
}

static void stop_reclaimer(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rmdir(RECLAIM_CG);
}

/* Nanoseconds per memory.reclaim write on an empty cgroup. */
static double reclaim_write_ns(int n)
{
	struct timespec a, b;
	int i;

	mkdir(RECLAIM_CG, 0755);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		oomx_write_file(RECLAIM_CG "/memory.reclaim", "1M");
	clock_gettime(CLOCK_MONOTONIC, &b);
	rmdir(RECLAIM_CG);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}

static long reclaim_count(void)
{
	static char buf[65536];
	char *p;

	if (oomx_read_file(OOMX_DEBUGFS "reclaim", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "memcg_reclaim count=");
	return p ? strtol(p + strlen("memcg_reclaim count="), NULL, 10) : -1;
}

static int overhead_pair(const char *what, int repeat, bool populate,
			 bool reclaim)
{
	double *ratio = calloc(repeat, sizeof(double));
	double *off = calloc(repeat, sizeof(double));
	double *on = calloc(repeat, sizeof(double));
	pid_t rec = reclaim ? start_reclaimer() : 0;
	int i;

	/* Alternate which runs first, so drift within a round cancels out. */
	for (i = 0; i < repeat; i++) {
		int k;

		for (k = 0; k < 2; k++) {
			bool load = (i + k) % 2;

			if (load && !oomx_loaded() && oomx_load(NULL))
				return 1;
			if (!load && oomx_loaded())
				oomx_unload();
			(load ? on : off)[i] = fault_rate(1000, populate);
		}
		ratio[i] = off[i] > 0 ? on[i] / off[i] : 0;
	}
	oomx_unload();
	if (reclaim)
		stop_reclaimer(rec);
	to_thousands(off, repeat);
	to_thousands(on, repeat);
	report_pair(what, "kpg/s", "not loaded", off, "oomx loaded", on,
		    "ratio loaded/not", ratio, repeat);
	return 0;
}

static int bench_overhead(int repeat)
{
	double base, with;
	long c0, hits;
	int n = 200;

	if (overhead_pair("page faults, idle", repeat, false, false) ||
	    overhead_pair("MAP_POPULATE allocs, idle", repeat, true, false) ||
	    overhead_pair("page faults, steady reclaim", repeat, false, true))
		return 1;

	/* One probe hit: memory.reclaim writes with and without the probes. */
	if (oomx_loaded())
		oomx_unload();
	reclaim_write_ns(n / 4);
	base = reclaim_write_ns(n);
	if (oomx_load(NULL))
		return 1;
	c0 = reclaim_count();
	with = reclaim_write_ns(n);
	hits = reclaim_count() - c0;
	oomx_unload();
	if (hits > 0)
		printf("%-40s %.0f ns (%.0f ns/write without, %.0f with, %.1f hits/write)\n",
		       "probe hit (kretprobe entry+return)",
		       (with - base) * n / hits, base, with, (double)hits / n);
	return 0;
}

int main(int argc, char **argv)
{
	/* Only the hogs we start are candidates, never the benchmark. */
	set_oom_score_adj(0, -1000);
	if (argc == 3 && !strcmp(argv[1], "overhead"))
		return bench_overhead(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "score"))
		return bench_score(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "stall"))
		return bench_stall(!strcmp(argv[2], "stuck"), atoi(argv[3]));
	fprintf(stderr, "usage: oomx_bench score N REPEAT\n"
			"       oomx_bench stall exit|stuck REPEAT\n"
			"       oomx_bench overhead REPEAT\n");
	return 2;
}
