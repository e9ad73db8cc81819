// SPDX-License-Identifier: GPL-2.0
/*
 * oomx under stress, while OOMs churn: a background churner drives global
 * and memory cgroup OOMs, round after round, each with three fresh hogs
 * (adj 0, the only candidates; everyone else here is at -1000), and
 *
 *   load_unload_storm: insmod/rmmod oomx N times (oomx.storm_cycles=);
 *   param_fuzz: K random writes (oomx.fuzz_writes=) to every writable
 *     parameter, each checked: the full length or EINVAL, the old value
 *     kept on failure, an accepted value read back in a form that is
 *     itself accepted and reads back the same, no other parameter moved;
 *     then a reload restores the defaults and one OOM shows oomx working;
 *   concurrent_ooms: for S seconds (oomx.concurrent_s=), four churners at
 *     once, one driving global OOMs and three each a memory cgroup's, so
 *     that memcg OOMs come in several cgroups during global ones; then
 *     the books balance: every kill the kernel counted marked a victim,
 *     every victim (and every early kill) had its memory back through
 *     oomx's reaper or its own exit, and oomx's counters agree.
 *
 * Both assert that only hogs died (the kernel's oom:mark_victim events,
 * every helper alive or exited cleanly, every process that was there
 * before still there) and that OOMs really happened.  The PRNG seed is
 * oomx.seed= on the kernel command line, or a fixed one, and is printed.
 * The defaults fit CI (about 90 s a case on x86-64 TCG); scripts/soak.sh
 * runs the full counts on the debug kernel.
 */
#include <ctype.h>
#include <stddef.h>
#include <dirent.h>
#include <poll.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

#define STORM_CYCLES_CI	75
#define FUZZ_WRITES_CI	2000
#define CONCURRENT_S_CI	60
#define SEED_CI		0x6f6f6d78ULL	/* "oomx" */
/* /proc/vmstat oom_kill must move at least this much in a case. */
#define STORM_MIN_KILLS	10
#define FUZZ_MIN_KILLS	5
/* The fuzz waits for an OOM every so many writes, if none came meanwhile. */
#define FUZZ_PACE	200

#define STRESS_CG	"/sys/fs/cgroup/oomx-stress"
#define STRESS_GLOBAL	STRESS_CG "/global"
#define STRESS_MEMCG	STRESS_CG "/memcg"
/* concurrent_ooms: a memory cgroup per memcg churner, STRESS_CG "/m<n>". */
#define NCHURN		4
#define CONC_LIMIT_MB	24
#define STRESS_TRACE	TRACEFS "/instances/oomx-stress"
#define PCP_FRACTION	"/proc/sys/vm/percpu_pagelist_high_fraction"
#define BOOST_FACTOR	"/proc/sys/vm/watermark_boost_factor"
#define MEMCG_LIMIT_MB	32
/* What a -1000 ballast leaves of MemAvailable: global OOMs come cheap. */
#define ROOM_MB		80
#define MAX_HOGS	32768
#define MAX_PROCS	512
#define MAX_PARAMS	64
#define VAL_MAX		6400	/* the longest value written */
#define PARAM_BUF	(4096 + 64)	/* a parameter read back */

/* ---- the PRNG ---- */

static unsigned long long rng_state;

/* splitmix64: small, and the same sequence for the same seed everywhere. */
static unsigned long long rnd(void)
{
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long long rnd_below(unsigned long long n)
{
	return n ? rnd() % n : 0;
}

static unsigned long long seed_for(unsigned long long salt)
{
	return oomx_cmdline_ull("oomx.seed", SEED_CI) ^ salt;
}

/* ---- the churner: OOMs, global and memcg, round after round ---- */

enum churn_mode {
	CHURN_ALTERNATE,	/* the only churner: global, memcg, global ... */
	CHURN_GLOBAL,		/* one of several: global rounds only */
	CHURN_MEMCG,		/* one of several: rounds in its memcg only */
};

struct churn {
	int stop;
	enum churn_mode mode;
	char memcg[64];		/* where its memcg rounds run */
	long limit_mb;		/* that cgroup's memory.max */
	long extra_mb;		/* a global round's allocator asks this more */
	int nhogs;
	long rounds;
	long global_ooms, memcg_ooms;	/* rounds where the kernel killed */
	long early_rounds;	/* a hog died before any OOM kill */
	long idle_rounds;	/* no OOM, no death: the allocator's limit */
	long skipped;		/* no room for a global round */
	long hog_deaths;	/* by a signal, not ours */
	long hog_start_failed;
	long alloc_bad;		/* an allocator killed, or timed out */
	long kill_no_death;	/* an OOM kill, but no hog of the round died */
	char err[256];
	pid_t hogs[MAX_HOGS];	/* every hog ever started */
};

/* The churner's shared record; hogs register themselves in it. */
static struct churn *churn;

/*
 * First thing in a hog: its pid goes on the list, and only then does it
 * become a candidate (it was forked at the churner's -1000).
 */
static void hog_register(void *arg)
{
	int i = __atomic_fetch_add(&churn->nhogs, 1, __ATOMIC_SEQ_CST);

	(void)arg;
	if (i >= MAX_HOGS)
		return;		/* stays -1000: never a candidate */
	churn->hogs[i] = getpid();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (set_oom_score_adj(0, 0))
		_exit(2);
}

/* A hog of any of the @nc churners of @c? */
static bool is_hog(const struct churn *c, int nc, pid_t pid)
{
	int i, k, n;

	for (k = 0; k < nc; k++, c++) {
		n = c->nhogs < MAX_HOGS ? c->nhogs : MAX_HOGS;
		for (i = 0; i < n; i++)
			if (c->hogs[i] == pid)
				return true;
	}
	return false;
}

/*
 * Small hogs that stay from round to round in the global cgroup: when
 * memory stays short after a kill and others allocate meanwhile (insmod),
 * the kernel kills again, and a global OOM with nothing left to kill
 * panics.  These are the candidates of last resort; the churner refills
 * them.
 */
#define SPARES		8
#define ROUND_PIDS	(3 + SPARES)

/* The round's hogs, then the spares (kept between rounds)... */
static pid_t round_pids[ROUND_PIDS];
/* ... and the read end of each one's death pipe: it hangs up when it dies. */
static int round_fds[ROUND_PIDS];

/* A registered hog of @mb MiB in @cg into slot @i; its pid, or -1. */
static pid_t hog_slot_start(int i, const char *cg, long mb)
{
	const struct hog_opts reg = { .init = hog_register };
	int p[2];

	round_pids[i] = -1;
	round_fds[i] = -1;
	if (pipe(p))
		return -1;
	/* Only the hog keeps the write end: the churner forks nothing else now. */
	round_pids[i] = hog_start_opts(cg, mb > 0 ? mb : 1, -1000, HOG_PLAIN,
				       &reg).pid;
	close(p[1]);
	if (round_pids[i] > 0)
		round_fds[i] = p[0];
	else
		close(p[0]);
	return round_pids[i];
}

/*
 * A -1000 allocator in @cg touching up to @mb MiB, a MiB at a time, that
 * stops as soon as any hog of the round or spare has died (an OOM kill,
 * or early intervention first): exit 0; 5 at the limit without a death.
 * Between its MiBs it only polls the death pipes, which allocates
 * nothing: at the edge of memory any kernel allocation (opening a /proc
 * file) is an OOM of its own, and one more death.
 */
static int churn_alloc(const char *cg, long mb)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct pollfd pfd[ROUND_PIDS];
		int i, n = 0;
		char *p;

		for (i = 0; i < ROUND_PIDS; i++)
			if (round_fds[i] >= 0)
				pfd[n++] = (struct pollfd){ .fd = round_fds[i] };
		if (cg_join(cg, 0))
			_exit(2);
		p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < mb; i++) {
			touch_mem(p + i * MB, MB);
			if (poll(pfd, n, 0))
				_exit(0);
		}
		_exit(5);
	}
	return wait_child(pid, 120000);
}

/* Reap the dead in slots [@from, @to); how many a signal killed. */
static int reap_dead(int from, int to)
{
	int i, st, killed = 0;

	for (i = from; i < to; i++) {
		if (round_pids[i] <= 0 ||
		    waitpid(round_pids[i], &st, WNOHANG) != round_pids[i])
			continue;
		killed += WIFSIGNALED(st);
		round_pids[i] = -1;
		close(round_fds[i]);
		round_fds[i] = -1;
	}
	return killed;
}

static void kill_all(int from, int to)
{
	int i;

	for (i = from; i < to; i++) {
		if (round_pids[i] <= 0)
			continue;
		kill(round_pids[i], SIGKILL);
		waitpid(round_pids[i], NULL, 0);
		round_pids[i] = -1;
		close(round_fds[i]);
		round_fds[i] = -1;
	}
}

/*
 * The kills a round can be judged by: /proc/vmstat's when the churner is
 * alone, or with other churners about, its own cgroup's (memory.events
 * oom_kill counts the kills of tasks in it, whatever the OOM; nothing
 * limits STRESS_GLOBAL, so a kill there is a global OOM's).
 */
static long churn_kills(const struct churn *c, const char *cg)
{
	if (c->mode == CHURN_ALTERNATE)
		return vmstat_oom_kill();
	return cg_events(cg, "oom_kill");
}

static void churn_round(struct churn *c, bool memcg)
{
	static const int gpct[3] = { 20, 12, 5 }, mpct[3] = { 30, 18, 8 };
	const char *cg = memcg ? c->memcg : STRESS_GLOBAL;
	long room, vm, deadline;
	int i, rc, dead;

	/* Spares: the dead ones (since the last round) replaced. */
	dead = reap_dead(3, ROUND_PIDS);
	for (i = 3; i < ROUND_PIDS; i++)
		if (round_pids[i] <= 0 && hog_slot_start(i, STRESS_GLOBAL, 1) <= 0)
			c->hog_start_failed++;
	room = memcg ? c->limit_mb : avail_mb();
	if (room < 24) {
		c->skipped++;
		c->hog_deaths += dead;
		oomx_sleep_ms(100);
		return;
	}
	for (i = 0; i < 3; i++)
		if (hog_slot_start(i, cg, room * (memcg ? mpct : gpct)[i] / 100) <= 0)
			c->hog_start_failed++;
	vm = churn_kills(c, cg);
	rc = churn_alloc(cg, room + 32 + (memcg ? 0 : c->extra_mb));
	/* The victim's exit: a SIGKILLed hog goes at once. */
	deadline = oomx_now_ms() + 30000;
	do {
		dead += reap_dead(0, ROUND_PIDS);
		if (dead || rc != 0)
			break;
		oomx_sleep_ms(10);
	} while (oomx_now_ms() < deadline);
	if (churn_kills(c, cg) != vm) {
		if (memcg)
			c->memcg_ooms++;
		else
			c->global_ooms++;
		/*
		 * Not for the global churner: every churner's spares live
		 * in STRESS_GLOBAL, so a kill there may be another's spare.
		 */
		if (!dead && c->mode != CHURN_GLOBAL) {
			c->kill_no_death++;
			snprintf(c->err, sizeof(c->err),
				 "round %ld (%s): an OOM kill, but no hog died",
				 c->rounds, memcg ? "memcg" : "global");
		}
	} else if (dead) {
		c->early_rounds++;
	} else {
		c->idle_rounds++;
	}
	if (rc != 0 && rc != 5) {
		c->alloc_bad++;
		snprintf(c->err, sizeof(c->err),
			 "round %ld (%s): the allocator ended with %d",
			 c->rounds, memcg ? "memcg" : "global", rc);
	}
	c->hog_deaths += dead;
	kill_all(0, 3);
	reap_children();
}

/* The churner's body: rounds alternate global and memcg until stopped. */
static void churner(struct churn *c)
{
	int i;

	for (i = 0; i < ROUND_PIDS; i++) {
		round_pids[i] = -1;
		round_fds[i] = -1;
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		if (c->nhogs > MAX_HOGS - ROUND_PIDS) {
			snprintf(c->err, sizeof(c->err), "out of hog slots");
			break;
		}
		churn_round(c, c->mode == CHURN_ALTERNATE ? c->rounds & 1 :
			    c->mode == CHURN_MEMCG);
		c->rounds++;
	}
	c->hog_deaths += reap_dead(3, ROUND_PIDS);
	kill_all(3, ROUND_PIDS);
	reap_children();
	_exit(0);
}

/* ---- processes: who was there, and who must still be ---- */

#define PF_KTHREAD_FLAG	0x00200000UL

struct proc_id {
	pid_t pid;
	unsigned long long start;
	char comm[32];
};

/* A process's state, flags, start time and name; false if it is gone. */
static bool proc_read(pid_t pid, char *state, unsigned long *flags,
		      unsigned long long *start, char *comm, size_t len)
{
	char path[64], buf[1024], *open, *close;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (oomx_read_file(path, buf, sizeof(buf)))
		return false;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return false;
	snprintf(comm, len, "%.*s", (int)(close - open - 1), open + 1);
	return sscanf(close + 2,
		      "%c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		      state, flags, start) == 3;
}

/* Every user-space process there is now. */
static int procs_snapshot(struct proc_id *p, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) && n < max) {
		unsigned long flags;
		char state;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p[n].pid = atoi(e->d_name);
		if (proc_read(p[n].pid, &state, &flags, &p[n].start, p[n].comm,
			      sizeof(p[n].comm)) && !(flags & PF_KTHREAD_FLAG) &&
		    state != 'Z' && state != 'X')
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Is the process of @id still the same one, and alive? */
static bool proc_alive(const struct proc_id *id)
{
	unsigned long long start;
	unsigned long flags;
	char state, comm[32];

	return proc_read(id->pid, &state, &flags, &start, comm, sizeof(comm)) &&
	       start == id->start && state != 'Z' && state != 'X';
}

/* ---- the scene ---- */

static void conc_cg_path(char *buf, size_t len, int i)
{
	snprintf(buf, len, STRESS_CG "/m%d", i);
}

static void stress_cg_rmdir(void)
{
	cg_rmdir_numbered(STRESS_CG, "m", 1, NCHURN);
	rmdir(STRESS_GLOBAL);
	rmdir(STRESS_MEMCG);
	rmdir(STRESS_CG);
}

/* 0, or which step failed. */
static int stress_cg_init(void)
{
	stress_cg_rmdir();
	if (mkdir(STRESS_CG, 0755))
		return 1;
	if (oomx_write_file(STRESS_CG "/cgroup.subtree_control", "+memory"))
		return 2;
	if (mkdir(STRESS_GLOBAL, 0755) || mkdir(STRESS_MEMCG, 0755))
		return 3;
	if (write_int(STRESS_MEMCG "/memory.max", MEMCG_LIMIT_MB * MB))
		return 4;
	/* No swap to hide in: the limit is the limit. */
	oomx_write_file(STRESS_MEMCG "/memory.swap.max", "0");
	return 0;
}

/* The kernel's oom:mark_victim events, every victim of every OOM kill. */
static int victims_trace_start(void)
{
	if (access(TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	rmdir(STRESS_TRACE);
	if (mkdir(STRESS_TRACE, 0755))
		return -errno;
	return oomx_write_file(STRESS_TRACE "/events/oom/mark_victim/enable", "1");
}

/* Events the instance's ring buffer lost (overwrote), all CPUs. */
static long victims_trace_overrun(void)
{
	char path[128];
	long total = 0, n;
	int cpu;

	for (cpu = 0; cpu < 1024; cpu++) {
		snprintf(path, sizeof(path), STRESS_TRACE "/per_cpu/cpu%d/stats", cpu);
		if (access(path, F_OK))
			break;
		n = oomx_keyed(path, "overrun");
		total += n > 0 ? n : 0;
	}
	return total;
}

FIXTURE(stress) {
	struct churn *c;	/* NCHURN records, shared */
	int nchurn;		/* churners started */
	pid_t churner[NCHURN];
	struct hog ballast;
	struct proc_id before[MAX_PROCS];
	int nbefore;
	pid_t adj_pid[8];
	char adj_old[8][16];
	int nadj;
	char pcp_old[32], boost_old[32];
	long vm0, t0;
};

/* This process and its ancestors (but init) at -1000: never candidates. */
static void protect_ancestors(FIXTURE_DATA(stress) *self)
{
	pid_t pid = getpid();

	self->nadj = 0;
	while (pid > 1 && self->nadj < 8) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
		if (oomx_read_file(path, self->adj_old[self->nadj],
				   sizeof(self->adj_old[0])))
			break;
		self->adj_pid[self->nadj++] = pid;
		set_oom_score_adj(pid, -1000);
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		pid = oomx_keyed(path, "PPid");
	}
}

static void restore_ancestors(FIXTURE_DATA(stress) *self)
{
	int i;

	/* Not this process: it is going, and its children with it. */
	for (i = 1; i < self->nadj; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj",
			 self->adj_pid[i]);
		oomx_write_file(path, self->adj_old[i]);
	}
}

/* Watermark boosts still in force, MiB, all zones (/proc/zoneinfo). */
static long zone_boost_mb(void)
{
	static const char key[] = "\n        boost ";
	static char buf[1 << 16];
	long pages = 0;
	char *p;

	if (oomx_read_file("/proc/zoneinfo", buf, sizeof(buf)))
		return 0;
	for (p = strstr(buf, key); p; p = strstr(p + 1, key))
		pages += strtol(p + strlen(key), NULL, 10);
	return pages * sysconf(_SC_PAGESIZE) / (long)MB;
}

/* A -1000 ballast that leaves @room_mb MiB, and the boosts, free. */
static long ballast_mb(long room_mb)
{
	return avail_mb() - room_mb - zone_boost_mb();
}

FIXTURE_SETUP(stress)
{
	long avail, ballast;

	self->nchurn = 0;
	self->ballast = (struct hog){ -1, -1 };
	self->c = mmap(NULL, NCHURN * sizeof(*self->c), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c);
	protect_ancestors(self);
	ASSERT_GE(self->nadj, 1);
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	self->nbefore = procs_snapshot(self->before, MAX_PROCS);
	ASSERT_GT(self->nbefore, 0);
	ASSERT_EQ(0, stress_cg_init());
	ASSERT_EQ(0, victims_trace_start());
	/*
	 * Per-CPU page lists of a batch or so.  By default each CPU's may
	 * hold an eighth of the zone (6.7+), and a victim's memory lands
	 * there; direct reclaim drains them only when it made progress,
	 * which it never does here (no swap, no page cache): memory would
	 * stay below the min watermark after a kill and every allocation
	 * would kill again (seen on the debug kernel, 36 MiB on the lists).
	 */
	if (!oomx_read_file(PCP_FRACTION, self->pcp_old, sizeof(self->pcp_old)))
		oomx_write_file(PCP_FRACTION, "1000000");
	/*
	 * No watermark boosts: a boost (fragmentation seen, e.g. after
	 * thousands of exits) raises every watermark by up to 150 % of the
	 * high one, which MemAvailable does not count; a ballast sized from
	 * it then OOMed with only -1000 tasks left, the kernel's deadlock
	 * panic (the soak's 4 GiB debug guest, 64 MiB boosted).
	 */
	if (!oomx_read_file(BOOST_FACTOR, self->boost_old, sizeof(self->boost_old)))
		oomx_write_file(BOOST_FACTOR, "0");
	avail = avail_mb();
	ballast = ballast_mb(ROOM_MB);
	if (ballast > 32) {
		self->ballast = hog_start(NULL, ballast, -1000, HOG_PLAIN);
		ASSERT_GT(self->ballast.pid, 0);
	}
	ksft_print_msg("MemAvailable %ld MiB, ballast %ld MiB, now %ld MiB\n",
		       avail, self->ballast.pid > 0 ? ballast : 0, avail_mb());
	self->vm0 = vmstat_oom_kill();
	self->t0 = oomx_now_ms();
}

/* Stop the churners after their round; 0, or the first bad exit status. */
static int churn_stop(FIXTURE_DATA(stress) *self)
{
	int i, rc, ret = 0;

	if (!self->nchurn)
		return -1;
	for (i = 0; i < self->nchurn; i++)
		__atomic_store_n(&self->c[i].stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < self->nchurn; i++) {
		rc = wait_child(self->churner[i], 300000);
		ret = ret ? ret : rc;
	}
	self->nchurn = 0;
	return ret;
}

FIXTURE_TEARDOWN(stress)
{
	churn_stop(self);
	hog_stop(&self->ballast);
	reap_children();
	oomx_write_file(STRESS_TRACE "/events/oom/mark_victim/enable", "0");
	rmdir(STRESS_TRACE);
	if (oomx_loaded())
		oomx_unload();
	stress_cg_rmdir();
	if (self->pcp_old[0])
		oomx_write_file(PCP_FRACTION, self->pcp_old);
	if (self->boost_old[0])
		oomx_write_file(BOOST_FACTOR, self->boost_old);
	restore_ancestors(self);
	munmap(self->c, NCHURN * sizeof(*self->c));
}

/* One more churner, in @mode (@memcg: its cgroup, @limit_mb MiB). */
static void churn_start_mode(struct __test_metadata *_metadata,
			     FIXTURE_DATA(stress) *self, unsigned long long salt,
			     enum churn_mode mode, const char *memcg,
			     long limit_mb)
{
	struct churn *c = &self->c[self->nchurn];
	pid_t pid;

	ASSERT_LT(self->nchurn, NCHURN);
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	snprintf(c->memcg, sizeof(c->memcg), "%s", memcg);
	c->limit_mb = limit_mb;
	/* Among memcg churners: past what they may give back meanwhile. */
	if (mode == CHURN_GLOBAL)
		c->extra_mb = (NCHURN - 1) * CONC_LIMIT_MB;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		churn = c;	/* where its hogs register */
		rng_state = seed_for(salt);
		churner(c);
	}
	self->churner[self->nchurn++] = pid;
}

static void churn_start(struct __test_metadata *_metadata,
			FIXTURE_DATA(stress) *self, unsigned long long salt)
{
	churn_start_mode(_metadata, self, salt, CHURN_ALTERNATE, STRESS_MEMCG,
			 MEMCG_LIMIT_MB);
}

static long churn_ooms(struct churn *c)
{
	return __atomic_load_n(&c->global_ooms, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&c->memcg_ooms, __ATOMIC_SEQ_CST);
}

/* Until the churner has had more than @ooms OOMs, or @timeout_ms; how many. */
static long churn_wait_oom(struct churn *c, long ooms, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (churn_ooms(c) <= ooms && oomx_now_ms() < deadline)
		oomx_sleep_ms(10);
	return churn_ooms(c);
}

/* The churners' records summed up, for scene_check(). */
static void churn_sum(const struct churn *c, int nc, struct churn *sum)
{
	int k;

	memset(sum, 0, offsetof(struct churn, hogs));
	for (k = 0; k < nc; k++, c++) {
		sum->rounds += c->rounds;
		sum->global_ooms += c->global_ooms;
		sum->memcg_ooms += c->memcg_ooms;
		sum->early_rounds += c->early_rounds;
		sum->idle_rounds += c->idle_rounds;
		sum->skipped += c->skipped;
		sum->nhogs += c->nhogs;
		sum->hog_deaths += c->hog_deaths;
		sum->hog_start_failed += c->hog_start_failed;
		sum->alloc_bad += c->alloc_bad;
		sum->kill_no_death += c->kill_no_death;
		if (c->nhogs >= MAX_HOGS)
			snprintf(sum->err, sizeof(sum->err), "churner %d: out of hog slots", k);
		else if (c->err[0])
			snprintf(sum->err, sizeof(sum->err), "churner %d: %.200s", k, c->err);
	}
}

/*
 * The churners done, everything this case asserts of the scene: only
 * hogs died, every helper is alive or exited cleanly, nothing that was
 * there before has gone, and OOMs happened (at least @min_kills).  The
 * kernel's mark_victim events: how many (kills and victims agree).
 */
static long scene_check(struct __test_metadata *_metadata,
			FIXTURE_DATA(stress) *self, const char *name,
			long min_kills)
{
	int nc = self->nchurn, i, rc;
	long victims = 0, bad = 0, kills;
	static struct churn sum;
	char line[1024];
	FILE *f;

	for (i = 0; i < nc; i++) {
		EXPECT_TRUE(pid_alive(self->churner[i]))
			TH_LOG("churner %d died", i);
	}
	if (self->ballast.pid > 0)
		EXPECT_TRUE(pid_alive(self->ballast.pid))
			TH_LOG("the -1000 ballast died");
	rc = churn_stop(self);
	EXPECT_EQ(0, rc) TH_LOG("a churner ended with %d", rc);
	kills = vmstat_oom_kill() - self->vm0;
	churn_sum(self->c, nc, &sum);
	ksft_print_msg("%s: churn %ld rounds: %ld global and %ld memcg OOMs with a kill, %ld with a death but no OOM kill (early), %ld with neither, %ld skipped; %ld hogs started, %ld killed, %ld killed while starting\n",
		       name, sum.rounds, sum.global_ooms, sum.memcg_ooms,
		       sum.early_rounds, sum.idle_rounds, sum.skipped, (long)sum.nhogs,
		       sum.hog_deaths, sum.hog_start_failed);
	EXPECT_EQ(0, sum.alloc_bad) TH_LOG("%s", sum.err);
	EXPECT_EQ(0, sum.kill_no_death) TH_LOG("%s", sum.err);
	for (i = 0; i < nc; i++) {
		EXPECT_LT(self->c[i].nhogs, MAX_HOGS) TH_LOG("%s", sum.err);
	}

	/* Every victim the kernel marked was a hog. */
	f = fopen(STRESS_TRACE "/trace", "r");
	EXPECT_NE(NULL, f) TH_LOG("no trace");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " mark_victim: ");

		if (line[0] == '#' || !p)
			continue;
		p = strstr(p, "pid=");
		if (!p)
			continue;
		victims++;
		if (!is_hog(self->c, nc, atoi(p + 4)) && bad++ < 10)
			TH_LOG("a victim that was no hog: %s", line);
	}
	fclose(f);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, victims_trace_overrun()) TH_LOG("trace events lost");
	EXPECT_GE(victims, kills) TH_LOG("fewer victims than kills");

	/* Everyone that was there before is still there. */
	for (i = 0; i < self->nbefore; i++) {
		EXPECT_TRUE(proc_alive(&self->before[i]))
			TH_LOG("pid %d (%s) died", self->before[i].pid,
			       self->before[i].comm);
	}

	ksft_print_msg("%s: /proc/vmstat oom_kill +%ld, %ld oom:mark_victim events, all hogs\n",
		       name, kills, victims);
	EXPECT_GE(kills, min_kills) TH_LOG("too few OOMs happened");
	EXPECT_GE(sum.global_ooms, 1) TH_LOG("no global OOM");
	EXPECT_GE(sum.memcg_ooms, 1) TH_LOG("no memcg OOM");
	return victims;
}

/* ---- case 1: load/unload storm ---- */

/* rmmod; again only while the kernel says busy, a short bounded wait. */
static int storm_unload(long *retries)
{
	int tries;

	for (tries = 0; tries < 250; tries++) {
		if (!syscall(SYS_delete_module, "oomx", O_NONBLOCK))
			return 0;
		if (errno != EBUSY && errno != EAGAIN)
			return -errno;
		(*retries)++;
		oomx_sleep_ms(20);
	}
	return -EBUSY;
}

static long oomx_events(void)
{
	return oomx_stat("oom_events_global") + oomx_stat("oom_events_memcg");
}

TEST_F_TIMEOUT(stress, load_unload_storm, 1800)
{
	long cycles = oomx_cmdline_ull("oomx.storm_cycles", STORM_CYCLES_CI);
	long i, retries = 0, events = 0, mid_oom = 0, t0, t, ms_in = 0, ms_out = 0;
	int ret;

	rng_state = seed_for(1);
	ksft_print_msg("storm: %ld cycles, seed %#llx\n", cycles,
		       oomx_cmdline_ull("oomx.seed", SEED_CI));
	churn_start(_metadata, self, 2);
	t0 = oomx_now_ms();
	for (i = 0; i < cycles; i++) {
		t = oomx_now_ms();
		ret = oomx_load(NULL);
		ms_in += oomx_now_ms() - t;
		ASSERT_EQ(0, ret) TH_LOG("insmod %ld of %ld: %s", i + 1, cycles,
					 strerror(-ret));
		if (i & 1) {
			/* Until oomx is in an OOM (500 ms at most): rmmod in it. */
			t = oomx_now_ms() + 500;
			while (!oomx_events() && oomx_now_ms() < t)
				oomx_sleep_ms(5);
		} else {
			/* Up to 25 ms: the rmmod lands anywhere. */
			oomx_sleep_ms(rnd_below(26));
		}
		ret = oomx_events();
		events += ret;
		mid_oom += ret > 0;
		t = oomx_now_ms();
		ret = storm_unload(&retries);
		ms_out += oomx_now_ms() - t;
		ASSERT_EQ(0, ret) TH_LOG("rmmod %ld of %ld: %s", i + 1, cycles,
					 strerror(-ret));
	}
	ksft_print_msg("storm: %ld insmod/rmmod cycles in %ld ms (insmod %ld ms, rmmod %ld ms in all), %ld rmmod retries (busy)\n",
		       cycles, oomx_now_ms() - t0, ms_in, ms_out, retries);
	ksft_print_msg("storm: %ld OOM events seen by oomx, %ld rmmods right after oomx saw an OOM\n",
		       events, mid_oom);
	scene_check(_metadata, self, "storm", STORM_MIN_KILLS);
	ksft_print_msg("storm: case took %ld s\n", (oomx_now_ms() - self->t0) / 1000);
}

/* ---- case 2: parameter fuzz ---- */

enum ptype { P_BOOL, P_UINT, P_POLICY, P_RULES, P_OTHER };

struct param {
	char name[64];
	enum ptype type;
	unsigned long long min, max;
	long writes, accepted, rejected, truncated, first_line_only;
};

/* The admin guide's ranges. */
static const struct {
	const char *name;
	unsigned long long min, max;
} uint_ranges[] = {
	{ "reap_delay_ms", 0, 60000 },
	{ "reap_verified_delay_ms", 0, 60000 },
	{ "top_candidates", 1, 16 },
	{ "early_stall_pct", 1, 100 },
	{ "early_sustain_ms", 100, 600000 },
	{ "early_refault_kbps", 0, 16777216 },
	{ "early_refault_avail_pct", 0, 50 },
	{ "early_refault_pct", 1, 100 },
	{ "early_avail_floor_pct", 0, 50 },
	{ "early_swap_floor_pct", 0, 100 },
	{ "term_grace_ms", 0, 60000 },
};

static const char * const bool_params[] = {
	"enabled", "dry_run", "score_all", "early",
};

static const char * const rule_params[] = { "protect", "avoid", "prefer" };

static const char * const policies[] = {
	"classic", "largest", "adj_first", "growth", "cgroup_first",
};

static void param_classify(struct param *p)
{
	size_t i;

	p->type = P_OTHER;
	for (i = 0; i < ARRAY_SIZE(bool_params); i++)
		if (!strcmp(p->name, bool_params[i]))
			p->type = P_BOOL;
	for (i = 0; i < ARRAY_SIZE(rule_params); i++)
		if (!strcmp(p->name, rule_params[i]))
			p->type = P_RULES;
	if (!strcmp(p->name, "policy"))
		p->type = P_POLICY;
	for (i = 0; i < ARRAY_SIZE(uint_ranges); i++) {
		if (!strcmp(p->name, uint_ranges[i].name)) {
			p->type = P_UINT;
			p->min = uint_ranges[i].min;
			p->max = uint_ranges[i].max;
		}
	}
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->name,
		      ((const struct param *)b)->name);
}

/* Every parameter file; the writable ones (S_IWUSR) first, @nw of them. */
static int params_list(struct param *p, int max, int *nw)
{
	struct param ro[MAX_PARAMS];
	DIR *d = opendir(OOMX_PARAMS);
	int n = 0, nro = 0, i;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[256];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), OOMX_PARAMS "%.63s", e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		/* S_IWUSR: writable, by root at least */
		if ((st.st_mode & 0200) && n < max) {
			memset(&p[n], 0, sizeof(p[n]));
			snprintf(p[n].name, sizeof(p[n].name), "%.63s", e->d_name);
			param_classify(&p[n++]);
		} else if (!(st.st_mode & 0200) && nro < MAX_PARAMS) {
			memset(&ro[nro], 0, sizeof(ro[nro]));
			snprintf(ro[nro].name, sizeof(ro[nro].name), "%.63s", e->d_name);
			nro++;
		}
	}
	if (d)
		closedir(d);
	/* Sorted: the same seed writes the same values to the same files. */
	qsort(p, n, sizeof(*p), param_cmp);
	*nw = n;
	for (i = 0; i < nro && n < max; i++) {
		p[n] = ro[i];
		p[n++].type = P_OTHER;
	}
	return n;
}

/* A parameter as read, newline and all ("" if unreadable). */
static void param_get(const char *name, char *buf)
{
	char path[256];

	snprintf(path, sizeof(path), OOMX_PARAMS "%s", name);
	if (oomx_read_file(path, buf, PARAM_BUF))
		buf[0] = '\0';
}

/* One write(2) of @len bytes; what it returned, errno in @err. */
static ssize_t param_put(const char *name, const char *val, size_t len, int *err)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), OOMX_PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	n = write(fd, val, len);
	*err = n < 0 ? errno : 0;
	close(fd);
	return n;
}

/* @s, @len bytes of it, printable, into @out. */
static const char *esc(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < outlen && o < 160; i++) {
		unsigned char ch = s[i];

		if (ch == '\\' || ch == '\'')
			o += snprintf(out + o, outlen - o, "\\%c", ch);
		else if (isprint(ch))
			out[o++] = ch;
		else
			o += snprintf(out + o, outlen - o, "\\x%02x", ch);
	}
	out[o] = '\0';
	if (i < len)
		snprintf(out + o, outlen - o, "...(%zu bytes)", len);
	return out;
}

enum expect { EXP_ANY, EXP_ACCEPT, EXP_REJECT };

enum vclass {
	C_BYTES, C_PRINT, C_EDGE, C_LONG, C_VALID, C_CROSS, C_NR,
};

static const char * const vclass_names[C_NR] = {
	"random bytes", "random text", "edge", "overlong", "valid/extreme",
	"another's value",
};

struct fuzz_val {
	char buf[VAL_MAX];
	size_t len;
	enum expect exp;
	bool want_known;	/* with EXP_ACCEPT: the read-back is want */
	bool keep;		/* with EXP_ACCEPT: the read-back is unchanged */
	char want[PARAM_BUF];
	enum vclass cls;
};

/*
 * Words the guest judge fails a run on (qemu-run.sh): a rejected value
 * is logged, and random text must not look like a kernel splat.
 */
static const char * const judge_words[] = {
	"WARNING:", "BUG:", "Oops", "Kernel panic", "unreferenced object",
	"suspected memory leak", "general protection fault", "possible circular",
	"possible recursive", "inconsistent lock", "DEADLOCK", "sleeping function",
	"UBSAN:", "KASAN:", "soft lockup", "blocked for more", "RCU detected",
	"rcu_sched self",
};

static bool judge_safe(const struct fuzz_val *v)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(judge_words); i++)
		if (memmem(v->buf, v->len, judge_words[i], strlen(judge_words[i])))
			return false;
	return true;
}

static void val_set(struct fuzz_val *v, const char *s)
{
	v->len = strlen(s);
	memcpy(v->buf, s, v->len + 1);
}

static void val_append(struct fuzz_val *v, const char *s)
{
	size_t n = strlen(s);

	if (v->len + n < sizeof(v->buf)) {
		memcpy(v->buf + v->len, s, n + 1);
		v->len += n;
	}
}

static void val_accept(struct fuzz_val *v, const char *want)
{
	v->exp = EXP_ACCEPT;
	if (want) {
		v->want_known = true;
		snprintf(v->want, sizeof(v->want), "%s\n", want);
	}
}

/* @len random characters of @alphabet (NULL: printable ASCII). */
static void rnd_text(char *buf, size_t len, const char *alphabet)
{
	size_t i, n = alphabet ? strlen(alphabet) : 0;

	for (i = 0; i < len; i++)
		buf[i] = alphabet ? alphabet[rnd_below(n)] : (char)(0x20 + rnd_below(95));
	buf[len] = '\0';
}

/*
 * Values whose fate is the same for every parameter of a type: which of
 * bool, uint, policy, rules accepts ('A', reading back @want for rules)
 * or rejects ('R').  Empty, whitespace, huge, negative.
 */
static const struct {
	const char *s;
	char exp[5];
	const char *want;
} edges[] = {
	{ "\n", "RRRA", "" },
	{ " ", "RRRA", "" },
	{ "\t", "RRRA", "" },
	{ "\n\n", "RRRA", "" },
	{ "\x20\n", "RRRA", "" },
	{ "\r\n", "RRRA", "" },
	{ "\v\f \t", "RRRA", "" },
	{ " 5", "RRRR", NULL },
	{ "5 ", "RRRR", NULL },
	{ "\t1\n", "RRRR", NULL },
	{ "1\n\n", "RRRR", NULL },
	{ " classic", "RRRR", NULL },
	{ "classic ", "RRRR", NULL },
	{ "y ", "RRRR", NULL },
	{ " comm:x", "RRRR", NULL },
	{ "comm:x ", "RRRA", "comm:x" },
	{ "comm:x \t\n", "RRRA", "comm:x" },
	{ "4294967295", "RRRR", NULL },
	{ "4294967296", "RRRR", NULL },
	{ "18446744073709551615", "RRRR", NULL },
	{ "18446744073709551616", "RRRR", NULL },
	{ "99999999999999999999999999999999", "RRRR", NULL },
	{ "0x100000000", "RRRR", NULL },
	{ "0xffffffffffffffff", "RRRR", NULL },
	{ "1e9", "RRRR", NULL },
	{ "08", "RRRR", NULL },
	{ "0x", "RRRR", NULL },
	{ "uid:4294967295", "RRRR", NULL },
	{ "uid:4294967296", "RRRR", NULL },
	{ "uid:18446744073709551616", "RRRR", NULL },
	{ "-1", "RRRR", NULL },
	{ "-0", "RRRR", NULL },
	{ "-2147483648", "RRRR", NULL },
	{ "-4294967295", "RRRR", NULL },
	{ "-9223372036854775808", "RRRR", NULL },
	{ "- 1", "RRRR", NULL },
	{ "--1", "RRRR", NULL },
	{ "uid:-1", "RRRR", NULL },
	{ "comm:-", "RRRA", "comm:-" },
};

/* What a parameter of type @t, now reading @cur, does with @s, per @e. */
static void val_edge(struct fuzz_val *v, enum ptype t, const char *s,
		     const char e[5], const char *want)
{
	val_set(v, s);
	if (t == P_OTHER)
		return;
	if (e[t] == 'A')
		val_accept(v, t == P_RULES ? want : NULL);
	else
		v->exp = EXP_REJECT;
}

static unsigned long long param_cur_ull(const struct param *p, int np,
					const char cur[][PARAM_BUF],
					const char *name)
{
	int i;

	for (i = 0; i < np; i++)
		if (!strcmp(p[i].name, name))
			return strtoull(cur[i], NULL, 10);
	return 0;
}

static void gen_uint(struct fuzz_val *v, const struct param *p, int np,
		     const struct param *all, const char cur[][PARAM_BUF])
{
	unsigned long long x, other;
	char s[64];
	bool ok;

	switch (rnd_below(6)) {
	case 0:
		x = p->min;
		break;
	case 1:
		x = p->max;
		break;
	case 2:
		x = p->min ? p->min - 1 : p->max + 1;
		break;
	case 3:
		x = p->max + 1 + rnd_below(3);
		break;
	case 4:
		x = p->min + rnd_below(p->max - p->min + 1);
		break;
	default:
		x = rnd_below(p->max * 2 + 2);
		break;
	}
	switch (rnd_below(5)) {
	case 0:
		snprintf(s, sizeof(s), "%llu", x);
		break;
	case 1:
		snprintf(s, sizeof(s), "%llu\n", x);
		break;
	case 2:
		snprintf(s, sizeof(s), "+%llu", x);
		break;
	case 3:
		snprintf(s, sizeof(s), "0x%llx", x);
		break;
	default:
		snprintf(s, sizeof(s), x ? "0%llo" : "%llu", x);
		break;
	}
	val_set(v, s);
	ok = x >= p->min && x <= p->max;
	/* The two reap delays: verified at most the other. */
	if (!strcmp(p->name, "reap_delay_ms")) {
		other = param_cur_ull(all, np, cur, "reap_verified_delay_ms");
		ok = ok && x >= other;
	} else if (!strcmp(p->name, "reap_verified_delay_ms")) {
		other = param_cur_ull(all, np, cur, "reap_delay_ms");
		ok = ok && x <= other;
	}
	if (ok) {
		snprintf(s, sizeof(s), "%llu", x);
		val_accept(v, s);
	} else {
		v->exp = EXP_REJECT;
	}
}

static void gen_bool(struct fuzz_val *v)
{
	static const char * const yes[] = { "1", "y", "yes", "on", "true" };
	static const char * const no[] = { "0", "n", "no", "off", "false" };
	static const char * const bad[] = {
		"2", "10", "yes please", "tru", "onn", "of", "nope", "Y1", "0n",
		"truefalse", "y\ny",
	};
	bool b = rnd_below(2);
	size_t i;

	if (rnd_below(4) == 0) {
		val_set(v, bad[rnd_below(ARRAY_SIZE(bad))]);
		v->exp = EXP_REJECT;
		return;
	}
	val_set(v, (b ? yes : no)[rnd_below(5)]);
	for (i = 0; i < v->len; i++)
		if (rnd_below(2))
			v->buf[i] = toupper(v->buf[i]);
	if (rnd_below(2))
		val_append(v, "\n");
	val_accept(v, b ? "Y" : "N");
}

static void gen_policy(struct fuzz_val *v)
{
	static const char * const bad[] = {
		"Classic", "classic2", "largest\t", "adj-first", "cgroup",
		"growthgrowth", "cgroup_first,", "classic\nlargest",
	};
	const char *name = policies[rnd_below(ARRAY_SIZE(policies))];

	if (rnd_below(4) == 0) {
		val_set(v, bad[rnd_below(ARRAY_SIZE(bad))]);
		v->exp = EXP_REJECT;
		return;
	}
	val_set(v, name);
	if (rnd_below(2))
		val_append(v, "\n");
	val_accept(v, name);
}

#define PAT_CHARS	"abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_-./*?[]!"
#define PATH_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_-./*?"

/* One valid selector into @s; @maxpat: make the pattern 95 characters. */
static void gen_selector(char *s, size_t len, bool maxpat)
{
	char pat[128];
	size_t n;

	switch (rnd_below(maxpat ? 2 : 3)) {
	case 0:
		/* comm: up to 15 as is, longer only as a glob */
		n = maxpat ? 95 : 1 + rnd_below(rnd_below(4) ? 15 : 95);
		rnd_text(pat, n, n > 15 ? PATH_CHARS : PAT_CHARS);
		if (n > 15)
			pat[rnd_below(n)] = '*';
		snprintf(s, len, "comm:%s", pat);
		break;
	case 1:
		n = maxpat ? 95 : 1 + rnd_below(95);
		rnd_text(pat, n, PATH_CHARS);
		pat[0] = '/';
		snprintf(s, len, "cgroup:%s", pat);
		break;
	default:
		snprintf(s, len, "uid:%llu", rnd_below(4294967295ULL));
		break;
	}
}

static void gen_rules(struct fuzz_val *v)
{
	static const char * const bad[] = {
		"name:x", "comm:", "uid:", "cgroup:", "uid:-1", "uid:4294967295",
		"uid:99999999999", "uid:12a", "cgroup:relative/path",
		"comm:averyveryverylongname", "comm:a b", "comm", ":x", "COMM:x",
		"", "uid:0x10",
	};
	int i, n, bad_at = -1, what = rnd_below(8);
	char sel[160];
	bool maxpat;

	v->len = 0;
	v->buf[0] = '\0';
	if (what == 7) {
		val_set(v, "\n");
		val_accept(v, "");
		return;
	}
	n = what == 3 || what == 4 ? 32 : 1 + rnd_below(32);
	if (what == 4)
		n = 33;
	maxpat = what == 3 || rnd_below(4) == 0;
	if (what == 5 || what == 6)
		bad_at = rnd_below(n);
	for (i = 0; i < n; i++) {
		if (i)
			val_append(v, ",");
		if (i == bad_at && what == 5) {
			char pat[128];

			/* one character over the limit */
			rnd_text(pat, 96, PATH_CHARS);
			pat[0] = '/';
			snprintf(sel, sizeof(sel), "cgroup:%s", pat);
		} else if (i == bad_at) {
			snprintf(sel, sizeof(sel), "%s",
				 bad[rnd_below(ARRAY_SIZE(bad))]);
		} else {
			gen_selector(sel, sizeof(sel), maxpat);
		}
		val_append(v, sel);
	}
	if (!v->len) {
		/* The one bad selector was the empty one: nothing written. */
		v->exp = EXP_ACCEPT;
		v->keep = true;
		return;
	}
	if (what >= 4 && what <= 6) {
		v->exp = EXP_REJECT;
		return;
	}
	val_accept(v, v->buf);
	if (rnd_below(2))
		val_append(v, "\n");
}

/* A valid value of type @t, short. */
static const char *plain_valid(enum ptype t, const struct param *p, char *s)
{
	switch (t) {
	case P_BOOL:
		return "1";
	case P_UINT:
		sprintf(s, "%llu", p->min);
		return s;
	case P_POLICY:
		return "classic";
	case P_RULES:
		return "comm:x";
	default:
		return "0";
	}
}

/* Over a page: the kernel hands the parameter the first 4096 bytes. */
static void gen_long(struct fuzz_val *v, const struct param *p)
{
	size_t len = rnd_below(3) ? 4097 + rnd_below(VAL_MAX - 4098) :
		     4094 + rnd_below(3);
	int what = rnd_below(3);
	char s[64];

	if (what == 0) {
		rnd_text(v->buf, len, NULL);
		v->len = len;
		v->exp = p->type == P_RULES || p->type == P_OTHER ? EXP_ANY :
			 EXP_REJECT;
		return;
	}
	val_set(v, plain_valid(p->type, p, s));
	if (what == 2)
		val_append(v, "\n");
	while (v->len < len)
		v->buf[v->len++] = what == 1 ? " \t"[rnd_below(2)] :
				   (char)('a' + rnd_below(26));
	v->buf[v->len] = '\0';
	if (p->type == P_OTHER)
		return;
	if (p->type != P_RULES)
		v->exp = EXP_REJECT;
	else if (what == 1)
		val_accept(v, "comm:x");	/* trailing blanks trimmed */
	/* rules, "comm:x\n" and more: the first line only (counted) */
}

static void gen_value(struct fuzz_val *v, const struct param *p, int np,
		      const struct param *all, const char cur[][PARAM_BUF])
{
	static const char * const others[] = {
		"Y", "N", "classic", "cgroup_first", "60000", "16",
		"comm:sshd,uid:0", "cgroup:/oomx-stress/*", "prefer", "0",
	};
	char s[64];
	int i;

	v->len = 0;
	v->exp = EXP_ANY;
	v->want_known = false;
	v->keep = false;
	i = rnd_below(100);
	v->cls = i < 12 ? C_BYTES : i < 24 ? C_PRINT : i < 44 ? C_EDGE :
		 i < 54 ? C_LONG : i < 94 ? C_VALID : C_CROSS;
	switch (v->cls) {
	case C_BYTES:
		v->len = rnd_below(65);
		for (i = 0; i < (int)v->len; i++)
			v->buf[i] = rnd_below(256);
		if (!v->len) {
			/* A write of nothing: the kernel stores nothing. */
			v->exp = EXP_ACCEPT;
			v->keep = true;
		}
		break;
	case C_PRINT:
		v->len = 1 + rnd_below(80);
		rnd_text(v->buf, v->len, NULL);
		break;
	case C_EDGE:
		i = rnd_below(ARRAY_SIZE(edges));
		val_edge(v, p->type, edges[i].s, edges[i].exp, edges[i].want);
		break;
	case C_LONG:
		gen_long(v, p);
		break;
	case C_VALID:
		if (p->type == P_UINT)
			gen_uint(v, p, np, all, cur);
		else if (p->type == P_BOOL)
			gen_bool(v);
		else if (p->type == P_POLICY)
			gen_policy(v);
		else if (p->type == P_RULES)
			gen_rules(v);
		else
			val_set(v, plain_valid(p->type, p, s));
		break;
	default:
		val_set(v, others[rnd_below(ARRAY_SIZE(others))]);
		break;
	}
	v->buf[v->len] = '\0';
}

/* Does the first line of what the parameter saw have more after it? */
static bool more_after_newline(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', strnlen(s, len));
	size_t end = strnlen(s, len), i;

	for (i = nl ? (size_t)(nl - s) : end; i < end; i++)
		if (!isspace((unsigned char)s[i]))
			return true;
	return false;
}

#define FUZZ_RECENT	16	/* writes between two reads of every parameter */

struct fuzz {
	struct param p[MAX_PARAMS];
	int np, nw;
	char cur[MAX_PARAMS][PARAM_BUF];	/* as read before the write */
	char now[MAX_PARAMS][PARAM_BUF];	/* and after */
	char back[PARAM_BUF];
	long writes, mismatches, by_class[C_NR];
	char recent[FUZZ_RECENT][160];		/* the writes since */
};

static void fuzz_fail(struct __test_metadata *_metadata, struct fuzz *fz,
		      const struct param *p, const struct fuzz_val *v,
		      ssize_t n, int err, const char *what)
{
	char a[256], b[256], c[256];

	if (fz->mismatches++ >= 30)
		return;
	TH_LOG("%s='%s' (%s, %zu bytes) -> %zd (%s): %s; before '%s', after '%s'",
	       p->name, esc(v->buf, v->len, a, sizeof(a)), vclass_names[v->cls],
	       v->len, n, n < 0 ? strerror(err) : "ok", what,
	       esc(fz->cur[p - fz->p], strlen(fz->cur[p - fz->p]), b, sizeof(b)),
	       esc(fz->now[p - fz->p], strlen(fz->now[p - fz->p]), c, sizeof(c)));
}

/*
 * Every parameter read again: none may have changed since it was last
 * read or written.  Otherwise a write of the last FUZZ_RECENT (listed)
 * moved a parameter it was not written to.
 */
static void fuzz_check_all(struct __test_metadata *_metadata, struct fuzz *fz)
{
	int i, j;

	for (i = 0; i < fz->np; i++) {
		param_get(fz->p[i].name, fz->now[i]);
		if (!strcmp(fz->now[i], fz->cur[i]))
			continue;
		if (fz->mismatches++ < 30) {
			TH_LOG("%s changed, unwritten: '%s' -> '%s'; the writes since it was read:",
			       fz->p[i].name, fz->cur[i], fz->now[i]);
			for (j = 0; j < FUZZ_RECENT; j++)
				if (fz->recent[j][0])
					TH_LOG("  %s", fz->recent[j]);
		}
		memcpy(fz->cur[i], fz->now[i], PARAM_BUF);
	}
	memset(fz->recent, 0, sizeof(fz->recent));
}

/* Is parameter @i one a write to @p may be checked against (lists, delays)? */
static bool fuzz_related(const struct fuzz *fz, const struct param *p, int i)
{
	const struct param *q = &fz->p[i];

	if (p->type == P_RULES)
		return q->type == P_RULES;
	return !strncmp(p->name, "reap_", 5) && !strncmp(q->name, "reap_", 5);
}

/* One write to parameter @k, and everything checked about it. */
static void fuzz_one(struct __test_metadata *_metadata, struct fuzz *fz, int k)
{
	static struct fuzz_val v;
	struct param *p = &fz->p[k];
	size_t want_n;
	ssize_t n, n2;
	int err, err2, i;
	char a[128];

	do {
		gen_value(&v, p, fz->np, fz->p, (const char (*)[PARAM_BUF])fz->cur);
	} while (!judge_safe(&v));
	fz->by_class[v.cls]++;
	p->writes++;
	n = param_put(p->name, v.buf, v.len, &err);
	snprintf(fz->recent[fz->writes++ % FUZZ_RECENT], sizeof(fz->recent[0]),
		 "%s='%s' -> %zd", p->name, esc(v.buf, v.len, a, sizeof(a)), n);
	/* The parameter and those it goes with (the lists, the two delays). */
	for (i = 0; i < fz->np; i++)
		if (i == k || fuzz_related(fz, p, i))
			param_get(fz->p[i].name, fz->now[i]);
	/* sysfs hands a store at most a page, and says how much it took. */
	want_n = v.len > 4096 ? 4096 : v.len;

	if (n < 0) {
		p->rejected++;
		if (err != EINVAL)
			fuzz_fail(_metadata, fz, p, &v, n, err, "failed, but not with EINVAL");
		if (strcmp(fz->now[k], fz->cur[k]))
			fuzz_fail(_metadata, fz, p, &v, n, err, "failed, yet the value changed");
		if (v.exp == EXP_ACCEPT)
			fuzz_fail(_metadata, fz, p, &v, n, err, "a valid value rejected");
	} else if ((size_t)n != want_n) {
		fuzz_fail(_metadata, fz, p, &v, n, err, "a partial write");
	} else {
		p->accepted++;
		if (v.len > 4096)
			p->truncated++;
		if (v.exp == EXP_REJECT)
			fuzz_fail(_metadata, fz, p, &v, n, err, "an invalid value accepted");
		if (v.exp == EXP_ACCEPT && v.want_known && strcmp(fz->now[k], v.want))
			fuzz_fail(_metadata, fz, p, &v, n, err, "read back other than expected");
		if (v.keep && strcmp(fz->now[k], fz->cur[k]))
			fuzz_fail(_metadata, fz, p, &v, n, err, "an empty write changed it");
		/* A rule list is one line: "comm:a\ncomm:b" is not comm:a. */
		if (p->type == P_RULES && more_after_newline(v.buf, want_n)) {
			p->first_line_only++;
			fuzz_fail(_metadata, fz, p, &v, n, err,
				  "text after a newline accepted");
		}
		/* What it reads back is a value, and the same one again. */
		n2 = param_put(p->name, fz->now[k], strlen(fz->now[k]), &err2);
		param_get(p->name, fz->back);
		if (n2 != (ssize_t)strlen(fz->now[k]))
			fuzz_fail(_metadata, fz, p, &v, n2, err2,
				  "its read-back, written back, was refused");
		else if (strcmp(fz->back, fz->now[k]))
			fuzz_fail(_metadata, fz, p, &v, n2, err2,
				  "its read-back, written back, reads back otherwise");
	}
	for (i = 0; i < fz->np; i++) {
		if (i != k && !fuzz_related(fz, p, i))
			continue;
		if (i != k && strcmp(fz->now[i], fz->cur[i])) {
			fuzz_fail(_metadata, fz, p, &v, n, err, "another parameter changed");
			TH_LOG("  %s: '%s' -> '%s'", fz->p[i].name, fz->cur[i], fz->now[i]);
		}
		memcpy(fz->cur[i], fz->now[i], PARAM_BUF);
	}
	if (fz->writes % FUZZ_RECENT == 0)
		fuzz_check_all(_metadata, fz);
}

/* Three hogs in the memcg, one OOM: classic takes the largest, oomx records it. */
static void one_classic_oom(struct __test_metadata *_metadata)
{
	static const int pct[3] = { 35, 20, 10 };
	struct hog h[3];
	const char *rec;
	long room, vm;
	int i;

	for (i = 0; i < 3; i++) {
		h[i] = hog_start(STRESS_MEMCG, MEMCG_LIMIT_MB * pct[i] / 100, 0,
				 HOG_PLAIN);
		ASSERT_GT(h[i].pid, 0);
	}
	vm = vmstat_oom_kill();
	room = MEMCG_LIMIT_MB - read_long(STRESS_MEMCG "/memory.current") / (long)MB;
	EXPECT_EQ(0, oom_trigger_in(STRESS_MEMCG, room + MEMCG_LIMIT_MB * pct[0] / 100,
				    1, 60000)) TH_LOG("the -1000 allocator saw no kill");
	EXPECT_TRUE(wait_dead(h[0].pid, 20000)) TH_LOG("the largest survived");
	EXPECT_TRUE(pid_alive(h[1].pid));
	EXPECT_TRUE(pid_alive(h[2].pid));
	EXPECT_EQ(vm + 1, vmstat_oom_kill());
	rec = oomx_last_decision();
	EXPECT_STREQ("kill", oomx_field(rec, "action")) TH_LOG("record: %s", rec);
	EXPECT_TRUE(oomx_field_pid(rec, "victim", h[0].pid)) TH_LOG("record: %s", rec);
	EXPECT_STREQ("classic", oomx_field(rec, "policy")) TH_LOG("record: %s", rec);
	ksft_print_msg("fuzz: after the reload: %s\n", rec);
	for (i = 0; i < 3; i++)
		hog_stop(&h[i]);
}

TEST_F_TIMEOUT(stress, param_fuzz, 1800)
{
	long writes = oomx_cmdline_ull("oomx.fuzz_writes", FUZZ_WRITES_CI), w, t0;
	long ooms = 0, ooms0;
	static struct fuzz fz;
	static char defaults[MAX_PARAMS][PARAM_BUF];
	int i;

	memset(&fz, 0, sizeof(fz));
	rng_state = seed_for(3);
	ksft_print_msg("fuzz: %ld writes, seed %#llx\n", writes,
		       oomx_cmdline_ull("oomx.seed", SEED_CI));
	ASSERT_EQ(0, oomx_load(NULL));
	fz.np = params_list(fz.p, MAX_PARAMS, &fz.nw);
	ASSERT_GT(fz.nw, 10) TH_LOG("only %d writable parameters", fz.nw);
	for (i = 0; i < fz.np; i++) {
		param_get(fz.p[i].name, defaults[i]);
		memcpy(fz.cur[i], defaults[i], PARAM_BUF);
	}
	churn_start(_metadata, self, 4);
	ooms = churn_wait_oom(self->c, 0, 60000);
	ooms0 = ooms;
	t0 = oomx_now_ms();
	for (w = 0; w < writes; w++) {
		/* Every FUZZ_PACE writes, at least one more OOM meanwhile. */
		if (w % FUZZ_PACE == 0)
			ooms = churn_wait_oom(self->c, ooms, 30000);
		fuzz_one(_metadata, &fz, rnd_below(fz.nw));
	}
	fuzz_check_all(_metadata, &fz);
	ksft_print_msg("fuzz: %ld writes in %ld ms, while %ld OOMs with a kill\n",
		       writes, oomx_now_ms() - t0, churn_ooms(self->c) - ooms0);
	for (i = 0; i < C_NR; i++)
		ksft_print_msg("fuzz:   %-16s %6ld writes\n", vclass_names[i],
			       fz.by_class[i]);
	for (i = 0; i < fz.nw; i++) {
		struct param *p = &fz.p[i];

		ksft_print_msg("fuzz:   %-24s %5ld writes %5ld accepted (%ld of them cut to a page) %5ld rejected\n",
			       p->name, p->writes, p->accepted, p->truncated,
			       p->rejected);
		if (p->first_line_only)
			ksft_print_msg("fuzz:   %-24s %5ld accepted with more after a newline (only the first line taken)\n",
				       p->name, p->first_line_only);
	}
	EXPECT_EQ(0, fz.mismatches);
	scene_check(_metadata, self, "fuzz", FUZZ_MIN_KILLS);
	hog_stop(&self->ballast);

	/* The defaults back by a reload, and oomx still doing its job. */
	ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(NULL));
	for (i = 0; i < fz.np; i++) {
		param_get(fz.p[i].name, fz.now[i]);
		EXPECT_STREQ(defaults[i], fz.now[i]) TH_LOG("%s", fz.p[i].name);
	}
	one_classic_oom(_metadata);
	ksft_print_msg("fuzz: case took %ld s\n", (oomx_now_ms() - self->t0) / 1000);
}

/* ---- case 3: concurrent OOMs, global and in several memcgs ---- */

struct pidset {
	long n;
	pid_t pid[MAX_HOGS];
};

static bool pidset_has(const struct pidset *s, pid_t pid)
{
	long i;

	for (i = 0; i < s->n; i++)
		if (s->pid[i] == pid)
			return true;
	return false;
}

static void pidset_add(struct pidset *s, pid_t pid)
{
	if (pid > 0 && s->n < MAX_HOGS && !pidset_has(s, pid))
		s->pid[s->n++] = pid;
}

static pid_t trace_pid(const char *line)
{
	const char *p = strstr(line, " pid=");

	return p ? atoi(p + 5) : -1;
}

/*
 * From the trace: the victims (the kernel's marked ones, oomx's early
 * SIGKILLs) and the processes oomx's reaper reported on (reaped, exited
 * first, left to the kernel, lock never free).  How many victims have
 * no report yet.
 */
static long victims_unreported(struct pidset *victims, struct pidset *reported)
{
	char line[1024];
	long missing = 0, i;
	FILE *f;

	victims->n = reported->n = 0;
	f = fopen(STRESS_TRACE "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, " mark_victim: ") ||
		    (strstr(line, " oomx_kill: ") && strstr(line, " kind=early ") &&
		     strstr(line, " sig=9")))
			pidset_add(victims, trace_pid(line));
		else if (strstr(line, " oomx_reap: "))
			pidset_add(reported, trace_pid(line));
	}
	fclose(f);
	for (i = 0; i < victims->n; i++)
		missing += !pidset_has(reported, victims->pid[i]);
	return missing;
}

TEST_F_TIMEOUT(stress, concurrent_ooms, 1800)
{
	static const char * const outcome[] = {
		"reaps", "reap_exited_first", "reap_left_to_kernel",
		"reap_lock_busy", "reap_queue_full",
	};
	long secs = oomx_cmdline_ull("oomx.concurrent_s", CONCURRENT_S_CI);
	static struct pidset victims, reported;
	long marked, vm, t, missing, outcomes = 0, memcg_ooms = 0, room;
	char path[64], max[32];
	unsigned int i;

	/* The memcgs' room on top of the global churner's. */
	hog_stop(&self->ballast);
	room = ballast_mb(ROOM_MB + (NCHURN - 1) * CONC_LIMIT_MB);
	if (room > 32) {
		self->ballast = hog_start(NULL, room, -1000, HOG_PLAIN);
		ASSERT_GT(self->ballast.pid, 0);
	}
	/*
	 * Early intervention off: with four churners at MemAvailable 0 the
	 * machine stalls all along, so the early floor may take the global
	 * churner's hog before the kernel's OOM does, every round on a slow
	 * kernel (CI's debug guest: 7 of 7).  This case is about global and
	 * memcg OOMs meeting in oomx's OOM path; early_test has the early
	 * stage racing OOMs.
	 */
	ASSERT_EQ(0, oomx_load("early=0"));
	/* Room for every event of the run: a lost one is a failure. */
	ASSERT_EQ(0, oomx_write_file(STRESS_TRACE "/buffer_size_kb", "8192"));
	ASSERT_EQ(0, oomx_write_file(STRESS_TRACE "/events/oomx/oomx_kill/enable", "1"));
	ASSERT_EQ(0, oomx_write_file(STRESS_TRACE "/events/oomx/oomx_reap/enable", "1"));
	ksft_print_msg("concurrent: %ld s, a global churner (%d MiB of room) and %d in memcgs of %d MiB, seed %#llx\n",
		       secs, ROOM_MB, NCHURN - 1, CONC_LIMIT_MB,
		       oomx_cmdline_ull("oomx.seed", SEED_CI));
	churn_start_mode(_metadata, self, 5, CHURN_GLOBAL, STRESS_MEMCG,
			 MEMCG_LIMIT_MB);
	snprintf(max, sizeof(max), "%lu", CONC_LIMIT_MB * MB);
	for (i = 1; i < NCHURN; i++) {
		conc_cg_path(path, sizeof(path), i);
		ASSERT_EQ(0, mkdir(path, 0755));
		strcat(path, "/memory.max");
		ASSERT_EQ(0, oomx_write_file(path, max));
		conc_cg_path(path, sizeof(path), i);
		churn_start_mode(_metadata, self, 5 + i, CHURN_MEMCG, path,
				 CONC_LIMIT_MB);
	}
	t = oomx_now_ms() + secs * 1000;
	while (oomx_now_ms() < t) {
		for (i = 0; i < (unsigned int)self->nchurn; i++) {
			ASSERT_TRUE(pid_alive(self->churner[i]))
				TH_LOG("churner %u died", i);
		}
		oomx_sleep_ms(1000);
	}
	marked = scene_check(_metadata, self, "concurrent", STORM_MIN_KILLS);
	vm = vmstat_oom_kill() - self->vm0;

	/* OOMs in every memcg, and global ones, while oomx counted them. */
	for (i = 1; i < NCHURN; i++) {
		conc_cg_path(path, sizeof(path), i);
		EXPECT_GE(cg_events(path, "oom"), 1) TH_LOG("no OOM in %s", path);
		memcg_ooms += cg_events(path, "oom");
	}
	EXPECT_GE(oomx_stat("oom_events_global"), 1);
	/*
	 * oomx counts out_of_memory() calls.  memory.events "oom" counts
	 * mem_cgroup_oom() calls, some of which stop before out_of_memory()
	 * (margin back once oom_lock is taken, a dying task, a kill while
	 * waiting for the lock): an upper bound for the memcg ones (its
	 * hierarchical count at STRESS_CG).  Every kill came from one call.
	 */
	EXPECT_GE(oomx_stat("oom_events_memcg"), 1);
	EXPECT_LE(oomx_stat("oom_events_memcg"), cg_events(STRESS_CG, "oom"));
	EXPECT_GE(oomx_stat("oom_events_global") +
		  oomx_stat("oom_events_memcg"), vm);
	/* oomx saw every victim the kernel marked, and acted on no other. */
	EXPECT_EQ(marked, oomx_stat("victims"));
	EXPECT_EQ(0, oomx_stat("early_terms"));
	EXPECT_EQ(0, oomx_stat("early_kills"));

	/* Every victim's memory came back, and oomx said how, once each. */
	t = oomx_now_ms() + 30000;
	while ((missing = victims_unreported(&victims, &reported)) > 0 &&
	       oomx_now_ms() < t)
		oomx_sleep_ms(500);
	EXPECT_EQ(0, missing) TH_LOG("%ld of %ld victims with no reap report",
				     missing, victims.n);
	EXPECT_EQ(0, victims_trace_overrun()) TH_LOG("trace events lost");
	EXPECT_EQ(0, oomx_stat("reap_queue_full"));
	for (i = 0; i < ARRAY_SIZE(outcome); i++)
		outcomes += oomx_stat(outcome[i]);
	EXPECT_EQ(reported.n, outcomes);
	ksft_print_msg("concurrent: %ld OOM kills, %ld marked victims; oomx saw %ld global and %ld memcg OOM events (%ld memcg OOMs in the three)\n",
		       vm, marked,
		       oomx_stat("oom_events_global"), oomx_stat("oom_events_memcg"),
		       memcg_ooms);
	ksft_print_msg("concurrent: %ld victims, each one's memory back: %ld reaped by oomx, %ld exited first, %ld left to the kernel, %ld lock busy\n",
		       victims.n, oomx_stat("reaps"), oomx_stat("reap_exited_first"),
		       oomx_stat("reap_left_to_kernel"), oomx_stat("reap_lock_busy"));
	ksft_print_msg("concurrent: case took %ld s\n", (oomx_now_ms() - self->t0) / 1000);
}

/* The harness's timeouts, from the counts asked for. */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) stress_timeouts(void)
{
	long cycles = oomx_cmdline_ull("oomx.storm_cycles", STORM_CYCLES_CI);
	long writes = oomx_cmdline_ull("oomx.fuzz_writes", FUZZ_WRITES_CI);

	_stress_load_unload_storm_object->timeout = 300 + cycles * 6;
	_stress_param_fuzz_object->timeout = 300 + writes / 5;
	_stress_concurrent_ooms_object->timeout =
		300 + oomx_cmdline_ull("oomx.concurrent_s", CONCURRENT_S_CI) * 2;
}

TEST_HARNESS_MAIN
