// SPDX-License-Identifier: GPL-2.0
/*
 * oomx benchmarks, run inside a guest by scripts/bench.sh.  Every figure
 * is set against the stock kernel measured in the same boot, as a ratio,
 * min/median/max over the repeats.
 *
 *   oomx_bench select N REPEAT
 *     N filler processes (oom_score_adj 0, one shared small mm).  Each
 *     round loads oomx in each of seven settings, in rotating order, and
 *     forces global OOMs in each: oomx's per-candidate hook off
 *     (disable_hooks=oom_badness: the kernel's own selection alone, timed
 *     by the same probes); the defaults as shipped (policy=classic, the
 *     candidate hook idle where the counters need no exact count);
 *     policy=largest (a return probe only on candidates whose score
 *     oomx changes: none of the fillers); score_all=1 (every
 *     candidate through a return probe); policy=largest with three
 *     rules that name no filler (what matching costs);
 *     policy=cgroup_first (every candidate's cgroup found; the return
 *     probe, growth lookups and exact counts for the finalists for a
 *     candidate whose cgroup may still win, here every filler); and
 *     policy=growth (a lookup in the growth snapshot per candidate, the
 *     return probe only for one that grew).  The fillers live in the
 *     root cgroup (start_fillers()).  One unmeasured OOM follows each
 *     load (see bench_select()), then three timed ones, of which the
 *     fastest counts (timed_oom()).  The records give the time from
 *     out_of_memory() to the kernel's decision (decide_us); what oomx
 *     adds is the difference, per OOM and per candidate.
 *   oomx_bench stall exit|stuck REPEAT
 *     OOM to the victim's memory being back, seen by the allocator that
 *     hit the OOM (its longest page-fault stall), with oomx not loaded
 *     and loaded with its defaults.  "stuck": the victim sleeps in D state
 *     (oomx_test.ko), where SIGKILL cannot reach it; only a reaper brings
 *     its memory back.
 *   oomx_bench reaprate REPEAT
 *     oomx's reaper unmapping a stuck victim (record: reaped_kb, zap_us)
 *     against munmap() of a mapping of the same size in this process.
 *   oomx_bench overhead REPEAT
 *     page-fault and MAP_POPULATE throughput with oomx loaded and idle
 *     against not loaded, alternating; the same under steady memcg
 *     reclaim (memory.reclaim), which keeps oomx's reclaim probes firing.
 */
#include "../selftests/oomx_util.h"

#define VICTIM_MB	160
#define OVERSHOOT_MB	(VICTIM_MB / 2)
#define DSLEEP		"/sys/module/oomx_test/parameters/dsleep_ms"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *what, const char *unit, double *v, int n)
{
	double med;

	if (n <= 0) {
		printf("%-46s no samples\n", what);
		return;
	}
	med = median(v, n);
	printf("%-46s min %10.3f  median %10.3f  max %10.3f %s (n=%d)\n",
	       what, v[0], med, v[n - 1], unit, n);
}

/* "PREFIX: NAME" as the line's label. */
static void report_as(const char *prefix, const char *name, const char *unit,
		      double *v, int n)
{
	char what[96];

	snprintf(what, sizeof(what), "%s: %s", prefix, name);
	report(what, unit, v, n);
}

static double *samples(int n)
{
	double *v = calloc(n, sizeof(double));

	if (!v) {
		perror("calloc");
		exit(1);
	}
	return v;
}

static int filler_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/*
 * N processes at oom_score_adj 0 sharing one small mm: cheap, scored like
 * any other, and apart from this process, whose mm a kill of a filler
 * would otherwise take with it.  They stay in this process's (the root)
 * cgroup: spread over 16 leaf cgroups, the trigger below allocated its
 * whole request with no OOM at 100 tasks (cause not found), so every
 * filler is a cgroup of its own for cgroup_first, its worst case.
 * Returns the pid of their leader, whose children they are: on SIGTERM
 * it kills and reaps them all, then exits.
 */
static pid_t start_fillers(int n)
{
	static const size_t stack = 16384;
	int fds[2];
	char c = 0;
	pid_t leader;

	if (pipe(fds))
		exit(1);
	leader = fork();
	if (leader == 0) {
		char *stacks = mmap(NULL, stack * n, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pid_t *pids = calloc(n, sizeof(*pids));
		sigset_t term;
		int i, sig;

		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		if (stacks == MAP_FAILED || !pids || set_oom_score_adj(0, 0) ||
		    sigprocmask(SIG_BLOCK, &term, NULL))
			_exit(1);
		for (i = 1; i < n; i++) {
			pids[i] = clone(filler_fn, stacks + stack * (i + 1),
					CLONE_VM | SIGCHLD, NULL);
			if (pids[i] < 0)
				_exit(1);
		}
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		sigwait(&term, &sig);
		for (i = 1; i < n; i++)
			kill(pids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		fprintf(stderr, "fillers did not start\n");
		exit(1);
	}
	close(fds[0]);
	return leader;
}

static void stop_fillers(pid_t leader)
{
	kill(leader, SIGTERM);
	waitpid(leader, NULL, 0);
}

/* A -1000 hog leaving about @leave_mb available, so each OOM is cheap. */
static struct hog ballast(long leave_mb)
{
	long mb = avail_mb() - leave_mb;

	return hog_start(NULL, mb > 0 ? mb : 1, -1000, HOG_PLAIN);
}

/* One global OOM that kills a fresh victim; its record's @key, in us. */
static long one_oom(const char *key)
{
	struct hog v = hog_start(NULL, VICTIM_MB, 0, HOG_PLAIN);
	long avail = avail_mb(), val;
	int rc = oom_trigger_in(NULL, avail + VICTIM_MB / 2, 1, 120000);

	if (rc) {
		/* 5: all allocated and no OOM kill; -1: timed out */
		fprintf(stderr, "oom trigger failed (%d): %ld MiB free, victim %s; %s\n",
			rc, avail, pid_alive(v.pid) ? "lives" : "died",
			oomx_last_decision());
		exit(1);
	}
	hog_stop(&v);
	reap_children();
	val = oomx_field_long(oomx_last_decision(), key);
	oomx_sleep_ms(200);
	return val;
}

/* OOMs timed per load; the least disturbed (the fastest) counts. */
#define SELECT_TIMED	3

/*
 * early=0 throughout: early intervention acting on the trigger's
 * MemAvailable floor would kill the victim before the OOM it is timing.
 * The first is the kernel's selection alone, the base of every ratio.
 */
static const struct {
	const char *params, *name;
} select_modes[] = {
	{ "early=0 disable_hooks=oom_badness", "stock selection" },
	/* as shipped: the candidate hook idle where counters are close */
	{ "early=0", "classic" },
	/* the return only for a task whose adj is not 0: none here */
	{ "early=0 policy=largest", "largest" },
	{ "early=0 policy=largest score_all=1", "largest, score_all" },
	/* an operator's rules, none naming a filler: matching alone */
	{ "early=0 policy=largest protect=comm:sshd,uid:4242,cgroup:/system.slice/*",
	  "largest, 3 rules" },
	/* each filler a cgroup of its own: every one through the return */
	{ "early=0 policy=cgroup_first", "cgroup_first" },
	/* a lookup in the growth snapshot; the return only for a grower */
	{ "early=0 policy=growth", "growth" },
};

#define SELECT_MODES	ARRAY_SIZE(select_modes)

/*
 * decide_us of the fastest of SELECT_TIMED OOMs.  Under TCG the guest's
 * two vCPUs take turns on one host thread, so whatever the other vCPU
 * does (oomx's 1 Hz growth sampler walking every process, the fillers'
 * leader) lands in the wall time of a scan it overlaps; the fastest of
 * a few is the scan itself.
 */
static long timed_oom(void)
{
	long best = -1;
	int i;

	for (i = 0; i < SELECT_TIMED; i++) {
		long t = one_oom("decide_us");

		if (t > 0 && (best < 0 || t < best))
			best = t;
	}
	return best;
}

static int bench_select(int n, int repeat)
{
	double *us[SELECT_MODES], *added[SELECT_MODES];
	double *per_all = samples(repeat);
	struct hog b;
	unsigned int i, k, got = 0;
	char what[64], name[96];
	pid_t fillers = start_fillers(n);

	for (k = 0; k < SELECT_MODES; k++) {
		us[k] = samples(repeat);
		added[k] = samples(repeat);
	}
	oomx_sleep_ms(500);
	b = ballast(VICTIM_MB * 3);
	for (i = 0; i < (unsigned int)repeat; i++) {
		long t[SELECT_MODES];

		for (k = 0; k < SELECT_MODES; k++)
			t[k] = -1;
		/* Rotate which goes first, so drift cancels out. */
		for (k = 0; k < SELECT_MODES; k++) {
			unsigned int m = (i + k) % SELECT_MODES;

			if (oomx_loaded())
				oomx_unload();
			if (oomx_load(select_modes[m].params)) {
				perror("load oomx");
				return 1;
			}
			/*
			 * Unmeasured: the first OOM after a load runs freshly
			 * loaded and freshly patched code, which QEMU's TCG
			 * translates on first use (hundreds of us per OOM, in
			 * every setting alike).  Steady state is what counts.
			 */
			one_oom("decide_us");
			t[m] = timed_oom();
		}
		for (k = 0; k < SELECT_MODES && t[k] > 0; k++)
			;
		if (k < SELECT_MODES)
			continue;
		for (k = 0; k < SELECT_MODES; k++) {
			us[k][got] = t[k];
			added[k][got] = (double)(t[k] - t[0]) / t[0];
		}
		/* largest, score_all: what one return probe costs */
		per_all[got] = (t[3] - t[0]) * 1000.0 / n;
		got++;
	}
	oomx_unload();
	hog_stop(&b);
	stop_fillers(fillers);
	snprintf(what, sizeof(what), "select %5d tasks", n);
	report_as(what, select_modes[0].name, "us", us[0], got);
	for (k = 1; k < SELECT_MODES; k++) {
		snprintf(name, sizeof(name), "oomx (%s)", select_modes[k].name);
		report_as(what, name, "us", us[k], got);
		snprintf(name, sizeof(name), "%s added / stock",
			 select_modes[k].name);
		report_as(what, name, "x", added[k], got);
	}
	report_as(what, "score_all added per candidate", "ns", per_all, got);
	return 0;
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

/*
 * A victim that sleeps in D state, 4 s at a time (longer than the stock
 * reaper takes to start, 2 s): SIGKILL waits for it.
 */
static void stuck_idle(void *arg)
{
	(void)arg;
	oomx_write_file(DSLEEP, "4000");
}

static const struct hog_opts stuck_opts = { .idle = stuck_idle };

static struct hog start_victim(bool stuck)
{
	struct hog v = hog_start_opts(NULL, VICTIM_MB, 0, HOG_PLAIN,
				      stuck ? &stuck_opts : NULL);

	if (stuck)
		oomx_sleep_ms(100);	/* into its sleep */
	return v;
}

static int stall_runs(bool stuck, int repeat, double *out)
{
	struct hog b = ballast(VICTIM_MB * 3), v;
	int i;

	for (i = 0; i < repeat; i++) {
		v = start_victim(stuck);
		out[i] = alloc_stall_ms(avail_mb() + OVERSHOOT_MB);
		hog_stop(&v);	/* waits out the victim's sleep */
		reap_children();
		if (out[i] < 0)
			return -1;
		oomx_sleep_ms(300);
	}
	hog_stop(&b);
	return 0;
}

static int bench_stall(bool stuck, int repeat)
{
	double *stock = samples(repeat), *ox = samples(repeat);
	const char *what = stuck ? "OOM to memory back, stuck victim" :
				   "OOM to memory back, exiting victim";
	double ms, mo;

	if (oomx_loaded())
		oomx_unload();
	if (stall_runs(stuck, repeat, stock))
		return 1;
	if (oomx_load(NULL))
		return 1;
	if (stall_runs(stuck, repeat, ox))
		return 1;
	oomx_unload();
	report_as(what, "stock", "ms", stock, repeat);
	report_as(what, "oomx", "ms", ox, repeat);
	ms = median(stock, repeat);
	mo = median(ox, repeat);
	printf("%s: ratio %.3f (oomx median / stock median)\n", what,
	       ms > 0 ? mo / ms : 0);
	return 0;
}

/* Microseconds to munmap() @mb MiB of touched anonymous memory. */
static double munmap_us(size_t mb)
{
	struct timespec a, b;
	char *p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	touch_mem(p, mb * MB);
	clock_gettime(CLOCK_MONOTONIC, &a);
	munmap(p, mb * MB);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
}

static int bench_reaprate(int repeat)
{
	double *reap = samples(repeat), *unmap = samples(repeat);
	double *ratio = samples(repeat);
	struct hog b, v;
	int i, got = 0;

	if (oomx_loaded())
		oomx_unload();
	if (oomx_load(NULL))
		return 1;
	b = ballast(VICTIM_MB * 3);
	for (i = 0; i < repeat; i++) {
		const char *rec;
		double kb, us, mu;

		v = start_victim(true);
		if (oom_trigger_in(NULL, avail_mb() + OVERSHOOT_MB, 1, 120000))
			return 1;
		rec = oomx_settled_decision(10000);
		kb = oomx_field_long(rec, "reaped_kb");
		us = oomx_field_long(rec, "zap_us");
		hog_stop(&v);
		reap_children();
		mu = munmap_us(VICTIM_MB);
		if (kb <= 0 || us <= 0 || mu <= 0)
			continue;
		reap[got] = kb / 1024.0 / 1024.0 / (us / 1e6);
		unmap[got] = VICTIM_MB / 1024.0 / (mu / 1e6);
		ratio[got] = reap[got] / unmap[got];
		got++;
		oomx_sleep_ms(300);
	}
	oomx_unload();
	hog_stop(&b);
	report("reaper unmap rate", "GiB/s", reap, got);
	report("munmap() of the same size", "GiB/s", unmap, got);
	report("reaper / munmap", "x", ratio, got);
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

static int overhead_pair(const char *what, int repeat, bool populate,
			 bool reclaim)
{
	double *ratio = samples(repeat), *off = samples(repeat);
	double *on = samples(repeat);
	pid_t rec = reclaim ? start_reclaimer() : 0;
	int i, k;

	for (i = 0; i < repeat; i++) {
		for (k = 0; k < 2; k++) {
			bool load = (i + k) % 2;

			if (load && !oomx_loaded() && oomx_load(NULL))
				return 1;
			if (!load && oomx_loaded())
				oomx_unload();
			(load ? on : off)[i] = fault_rate(1000, populate) / 1000;
		}
		ratio[i] = off[i] > 0 ? on[i] / off[i] : 0;
	}
	oomx_unload();
	if (reclaim)
		stop_reclaimer(rec);
	report_as(what, "not loaded", "kpg/s", off, repeat);
	report_as(what, "oomx loaded", "kpg/s", on, repeat);
	report_as(what, "loaded / not", "x", ratio, repeat);
	return 0;
}

static int bench_overhead(int repeat)
{
	return overhead_pair("page faults, idle", repeat, false, false) ||
	       overhead_pair("MAP_POPULATE allocs, idle", repeat, true, false) ||
	       overhead_pair("page faults, steady reclaim", repeat, false, true);
}

int main(int argc, char **argv)
{
	/* Only the hogs we start are candidates, never the benchmark. */
	set_oom_score_adj(0, -1000);
	if (argc == 4 && !strcmp(argv[1], "select"))
		return bench_select(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "stall"))
		return bench_stall(!strcmp(argv[2], "stuck"), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "reaprate"))
		return bench_reaprate(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "overhead"))
		return bench_overhead(atoi(argv[2]));
	fprintf(stderr, "usage: oomx_bench select N REPEAT\n"
			"       oomx_bench stall exit|stuck REPEAT\n"
			"       oomx_bench reaprate REPEAT\n"
			"       oomx_bench overhead REPEAT\n");
	return 2;
}
