// SPDX-License-Identifier: GPL-2.0
/*
 * oomx's early intervention under real pressure, before any OOM.  The
 * guest's disk is throttled to 8 MiB/s (qemu-run.sh): a reader re-reading
 * more of it than the page cache can hold, once a hog has taken the rest
 * of memory, thrashes as a real machine does (the stock killer never
 * fires: there is always clean cache to drop).  Each case asserts who
 * died and how (exit status), who lived, that no OOM kill happened, what
 * oomx counted and recorded, and that the memory came back.
 */
#include <limits.h>
#include <sys/wait.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

#define DISK		"/dev/vda"
#define READER_MB	120	/* re-read in a loop: 3x ROOM_MB */
#define ROOM_MB		40	/* what the hogs leave of MemAvailable */
#define THRASH_WAIT_MS	120000

/*
 * A process in cgroup @cg (NULL: where the caller is) reading @mb MiB
 * of the disk from @off_mb on, in a loop (or once), counting passes in
 * @passes (shared).  It keeps the disk open:
 * the block device's last close would drop its page cache, and every
 * refault with it.
 */
static pid_t reader_start(const char *cg, long off_mb, long mb, bool loop,
			  long *passes)
{
	pid_t pid = fork();

	if (pid == 0) {
		static char buf[1 << 20];
		int fd;
		long i;

		/* In its cgroup before its first page is charged. */
		if (cg && cg_join(cg, 0))
			_exit(2);
		fd = open(DISK, O_RDONLY);
		if (fd < 0)
			_exit(2);
		do {
			for (i = 0; i < mb; i++)
				if (pread(fd, buf, sizeof(buf),
					  (off_mb + i) * MB) != sizeof(buf))
					_exit(3);
			if (passes)
				__atomic_add_fetch(passes, 1, __ATOMIC_RELAXED);
		} while (loop);
		_exit(0);
	}
	return pid;
}

static void term_exit42(int sig)
{
	_exit(42);
}

static void term_handled(void *arg)
{
	signal(SIGTERM, term_exit42);
}

static void term_ignored(void *arg)
{
	signal(SIGTERM, SIG_IGN);
}

static long early_ticks(void)
{
	return oomx_keyed(OOMX_DEBUGFS "early", "ticks");
}

/* What each case sets up, and tears down whatever happens. */
struct early_scene {
	struct hog big, small;
	pid_t reader, once;
	long *passes;		/* shared with the reader: atomics */
	long vm, terms, term_exited, kills, avail0;
};

static void scene_setup(struct __test_metadata *_metadata,
			struct early_scene *s, const char *params)
{
	struct scene sc;
	int i;

	s->big = (struct hog){ -1, -1 };
	s->small = s->big;
	s->reader = -1;
	s->once = -1;
	s->passes = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s->passes);
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	ASSERT_EQ(0, access(DISK, R_OK))
		TH_LOG("no %s: qemu-run.sh gives every guest one", DISK);
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(params));
	ASSERT_EQ(0, scene_init(&sc, false, 0));
	/*
	 * Start from a cold cache, once what the last case freed has come
	 * back (a debug kernel's quarantine lags): MemAvailable steady.
	 */
	for (i = 0; i < 20; i++) {
		oomx_write_file("/proc/sys/vm/drop_caches", "3");
		s->avail0 = avail_mb();
		oomx_sleep_ms(500);
		if (labs(avail_mb() - s->avail0) <= 2)
			break;
	}
	ksft_print_msg("MemAvailable %ld MiB, MemFree %ld MiB at the start\n",
		       s->avail0, meminfo_kb("MemFree") / 1024);
	ASSERT_GT(s->avail0, ROOM_MB + READER_MB)
		TH_LOG("only %ld MiB available", s->avail0);
}

static void scene_teardown(struct __test_metadata *_metadata,
			   struct early_scene *s)
{
	if (_metadata->exit_code != KSFT_PASS) {
		oomx_log_file(OOMX_DEBUGFS "decisions");
		oomx_log_file(OOMX_DEBUGFS "early");
	}
	if (s->reader > 0) {
		kill(s->reader, SIGKILL);
		waitpid(s->reader, NULL, 0);
	}
	if (s->once > 0) {
		kill(s->once, SIGKILL);
		waitpid(s->once, NULL, 0);
	}
	hog_stop(&s->big);
	hog_stop(&s->small);
	reap_children();
	oomx_trace_stop();
	oomx_unload();
	scene_rmdir();
}

static long passes_now(struct early_scene *s)
{
	return __atomic_load_n(s->passes, __ATOMIC_RELAXED);
}

/*
 * Once the victim is gone the reader's data fits: within a minute, one
 * more pass from the disk, then passes from memory.
 */
static void expect_reader_recovers(struct __test_metadata *_metadata,
				   struct early_scene *s, long passes_at_kill)
{
	long t0 = oomx_now_ms();

	while (passes_now(s) < passes_at_kill + 3 && oomx_now_ms() < t0 + 60000)
		oomx_sleep_ms(100);
	EXPECT_GE(passes_now(s), passes_at_kill + 3)
		TH_LOG("the reader made %ld passes in the minute after the kill",
		       passes_now(s) - passes_at_kill);
}

static void snapshot(struct early_scene *s)
{
	s->vm = vmstat_oom_kill();
	s->terms = oomx_stat("early_terms");
	s->term_exited = oomx_stat("early_term_exited");
	s->kills = oomx_stat("early_kills");
}

FIXTURE(early) {
	struct early_scene s;
};

FIXTURE_VARIANT(early) {
	void (*init)(void *arg);	/* the big hog's SIGTERM */
	int status;			/* its exit status as wait_child() gives it */
	const char *outcome;		/* its record's action */
	bool slow;			/* in a cgroup allowed 2 % of a CPU */
	bool small_victim;		/* a rule makes the small hog the victim */
	const char *rules;		/* module parameters besides the fixture's */
	const char *rule;		/* the record's rule= */
};

/* SIGTERM's default action: the grace stage alone ends it. */
FIXTURE_VARIANT_ADD(early, dies_on_term) {
	.status = 128 + SIGTERM,
	.outcome = "term_exited",
	.rule = "-",
};

/*
 * The small hog's cgroup is preferred: it goes instead of the big one,
 * and what it frees is enough for the reader (ROOM_MB + 40 % of the
 * rest is well over READER_MB).
 */
FIXTURE_VARIANT_ADD(early, prefer_small_cgroup) {
	.status = 128 + SIGTERM,
	.outcome = "term_exited",
	.small_victim = true,
	.rules = "prefer=cgroup:/oomx-t/group",
	.rule = "prefer:cgroup:/oomx-t/group",
};

/* It handles SIGTERM and exits on its own: the grace is honoured. */
FIXTURE_VARIANT_ADD(early, handles_term) {
	.init = term_handled,
	.status = 42,
	.outcome = "term_exited",
	.rule = "-",
};

/* It ignores SIGTERM: SIGKILL after term_grace_ms, then the reaper. */
FIXTURE_VARIANT_ADD(early, ignores_term) {
	.init = term_ignored,
	.status = 128 + SIGKILL,
	.outcome = "killed",
	.rule = "-",
};

/*
 * Ignores SIGTERM and is allowed almost no CPU, so its own exit crawls:
 * one victim in flight, and no second one while the reaper brings its
 * memory back and the evidence builds up again.
 */
FIXTURE_VARIANT_ADD(early, slow_exit_paced) {
	.init = term_ignored,
	.status = 128 + SIGKILL,
	.outcome = "killed",
	.slow = true,
	.rule = "-",
};

/*
 * The floor off: these cases are about thrashing and refaulting.  A
 * debug kernel's MemAvailable can overstate by tens of MiB, and the
 * floor then acts first, rightly, but on other evidence (seen once).
 */
FIXTURE_SETUP(early)
{
	char params[256];

	snprintf(params, sizeof(params), "early=1 early_avail_floor_pct=0 %s",
		 variant->rules ?: "");
	scene_setup(_metadata, &self->s, params);
}

FIXTURE_TEARDOWN(early)
{
	scene_teardown(_metadata, &self->s);
}

FIXTURE(plain) {
	struct early_scene s;
};

FIXTURE_SETUP(plain)
{
	scene_setup(_metadata, &self->s, "early=1");
}

FIXTURE_TEARDOWN(plain)
{
	scene_teardown(_metadata, &self->s);
}

/*
 * The intervention of record @rec, step by step in oomx's trace events,
 * all under its seq: the trigger and why, the choice, SIGTERM, the grace
 * stage, then @outcome (and SIGKILL if that is "killed").
 */
static void expect_traced(struct __test_metadata *_metadata, const char *rec,
			  pid_t victim, const char *outcome)
{
	const char *trace = oomx_trace_read();
	char seq[32], pid[32], stage[64], reason[32];
	const char *l;

	snprintf(seq, sizeof(seq), "seq=%s", oomx_field(rec, "seq"));
	snprintf(pid, sizeof(pid), "pid=%d", victim);
	/* oomx_field()'s value is a static buffer: copy one side. */
	snprintf(reason, sizeof(reason), "%s", oomx_field(rec, "reason"));
	l = oomx_trace_line(trace, "oomx_trigger", seq, "kind=early");
	EXPECT_STREQ(reason, oomx_field(l, "reason")) TH_LOG("trace:\n%s", trace);
	l = oomx_trace_line(trace, "oomx_decision", seq, pid);
	EXPECT_STREQ("early", oomx_field(l, "kind")) TH_LOG("trace:\n%s", trace);
	EXPECT_GT(oomx_field_long(l, "mem_kb"), 0) TH_LOG("%s", l);
	EXPECT_STRNE("", oomx_trace_line(trace, "oomx_kill", seq, "sig=15"))
		TH_LOG("trace:\n%s", trace);
	l = oomx_trace_line(trace, "oomx_early", seq, "stage=term");
	EXPECT_TRUE(oomx_field_pid(l, "pid", victim)) TH_LOG("trace:\n%s", trace);
	EXPECT_GE(oomx_field_long(l, "refault_kbps"), 1024) TH_LOG("%s", l);
	snprintf(stage, sizeof(stage), "stage=%s", outcome);
	l = oomx_trace_line(trace, "oomx_early", seq, stage);
	EXPECT_GT(oomx_field_long(l, "after_ms"), 0) TH_LOG("trace:\n%s", trace);
	l = oomx_trace_line(trace, "oomx_kill", seq, "sig=9");
	/* SIGKILL only after the grace stage failed. */
	EXPECT_EQ(!strcmp(outcome, "killed"), oomx_field_pid(l, "pid", victim))
		TH_LOG("trace:\n%s", trace);
}

/*
 * Hogs: the big one (75 %) and a small one (25 %) of all but ROOM_MB of
 * what is available; then the reader.  The big one is the policy's
 * choice (the small one, where a rule prefers it); taking it ends the
 * thrashing, so the other must live.
 */
TEST_F_TIMEOUT(early, thrash_takes_the_hog_only, 300)
{
	struct early_scene *s = &self->s;
	long fill = s->avail0 - ROOM_MB, passes_at_kill, t0, big_mb, dead_mb;
	long small_mb;
	struct hog_opts o = { .init = variant->init };
	struct hog *dead, *other;
	char line[96];
	const char *rec;
	pid_t victim;
	int status;

	if (variant->slow)
		ASSERT_EQ(0, oomx_write_file(SCENE_SLOW "/cpu.max",
					     "2000 100000"));
	/*
	 * A preferred small hog must free enough alone: 40 % of the fill
	 * (a debug kernel's overheads ate a quarter's worth, seen once).
	 */
	small_mb = variant->small_victim ? fill * 2 / 5 : fill / 4;
	s->small = hog_start_opts(variant->small_victim ? SCENE_GROUP : SCENE_WORK,
				  small_mb, 0, HOG_PLAIN,
				  variant->small_victim ? &o : NULL);
	ASSERT_GT(s->small.pid, 0);
	/* Sized on what is left now: the small hog's overheads counted. */
	big_mb = avail_mb() - ROOM_MB;
	ASSERT_GT(big_mb, small_mb) TH_LOG("only %ld MiB left", big_mb + ROOM_MB);
	s->big = hog_start_opts(SCENE_WORK, big_mb, 0, HOG_PLAIN,
				variant->small_victim ? NULL : &o);
	ASSERT_GT(s->big.pid, 0);
	dead = variant->small_victim ? &s->small : &s->big;
	other = variant->small_victim ? &s->big : &s->small;
	dead_mb = variant->small_victim ? small_mb : big_mb;
	/* Filled at full speed, then starved: its exit will crawl. */
	if (variant->slow)
		ASSERT_EQ(0, cg_join(SCENE_SLOW, dead->pid));
	snapshot(s);
	ASSERT_EQ(0, oomx_trace_start());
	s->reader = reader_start(NULL, 0, READER_MB, true, s->passes);
	ASSERT_GT(s->reader, 0);

	t0 = oomx_now_ms();
	victim = dead->pid;
	status = wait_child(victim, THRASH_WAIT_MS);
	dead->pid = -1;
	passes_at_kill = passes_now(s);
	ASSERT_EQ(variant->status, status)
		TH_LOG("the %s hog ended with %d after %ld ms, %ld passes",
		       variant->small_victim ? "small" : "big", status,
		       oomx_now_ms() - t0, passes_at_kill);

	/*
	 * The reader's data fits now: one more pass from the disk, then
	 * from memory.  No second victim meanwhile: the pressure is gone,
	 * and so is the evidence.
	 */
	expect_reader_recovers(_metadata, s, passes_at_kill);
	oomx_sleep_ms(3000);
	EXPECT_TRUE(pid_alive(other->pid)) TH_LOG("the other hog died too");
	EXPECT_TRUE(pid_alive(s->reader)) TH_LOG("the reader died");
	EXPECT_EQ(s->vm, vmstat_oom_kill()) TH_LOG("an OOM kill happened");
	EXPECT_EQ(s->terms + 1, oomx_stat("early_terms"));
	if (variant->status == 128 + SIGKILL) {
		EXPECT_EQ(s->kills + 1, oomx_stat("early_kills"));
		EXPECT_EQ(s->term_exited, oomx_stat("early_term_exited"));
	} else {
		EXPECT_EQ(s->kills, oomx_stat("early_kills"));
		EXPECT_EQ(s->term_exited + 1, oomx_stat("early_term_exited"));
	}
	/* Its memory came back. */
	EXPECT_GT(avail_mb(), ROOM_MB + dead_mb / 2);

	rec = oomx_last_decision();
	EXPECT_STREQ("early", oomx_field(rec, "kind")) TH_LOG("%s", rec);
	EXPECT_TRUE(!strcmp(oomx_field(rec, "reason"), "refaulting") ||
		    !strcmp(oomx_field(rec, "reason"), "thrashing"))
		TH_LOG("%s", rec);
	EXPECT_STREQ(variant->outcome, oomx_field(rec, "action")) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "refault_kbps"), 1024) TH_LOG("%s", rec);
	EXPECT_TRUE(oomx_field_pid(rec, "victim", victim)) TH_LOG("%s", rec);
	EXPECT_STREQ(variant->rule, oomx_field(rec, "rule")) TH_LOG("%s", rec);
	/* This victim's own line (dmesg keeps the earlier cases' too). */
	snprintf(line, sizeof(line), "oomx: early: %s (over ",
		 oomx_field(rec, "reason"));
	EXPECT_TRUE(dmesg_has(line));
	snprintf(line, sizeof(line), "SIGTERM to process %d (", victim);
	EXPECT_TRUE(dmesg_has(line)) TH_LOG("no '%s' in dmesg", line);
	expect_traced(_metadata, rec, victim, variant->outcome);
	/* The stable interface shows the same record, root only. */
	EXPECT_EQ(oomx_field_long(rec, "seq"),
		  oomx_field_long(oomx_sysfs_read("last_early"), "seq"));
}

/*
 * Full but healthy: hogs at 93 % of MemAvailable, a worker re-reading
 * 12 MiB (it fits in what is left), and a one-time 64 MiB sequential
 * read through the same cache.  Reclaim drops clean cache all along and
 * oomx's watcher is awake for it; nobody may die.
 */
TEST_F_TIMEOUT(plain, full_but_healthy_untouched, 300)
{
	struct early_scene *s = &self->s;
	long hog = s->avail0 * 93 / 100, ticks0, worker_passes;
	int status;

	/*
	 * KASAN's quarantine holds up to 1/32 of memory in freed slab
	 * objects that MemAvailable does not count, and this case's I/O
	 * fills it: on the debug kernel 93 % of MemAvailable left 12 MiB
	 * once it had (seen twice), and the floor then acted, rightly, on
	 * a machine past full.  Leave 7 % of what is really there.
	 */
	if (kernel_has_symbol("__asan_load8"))
		hog -= meminfo_kb("MemTotal") / 1024 / 32;

	s->big = hog_start(SCENE_WORK, hog, 0, HOG_PLAIN);
	ASSERT_GT(s->big.pid, 0);
	snapshot(s);
	ticks0 = early_ticks();
	s->reader = reader_start(NULL, 0, 12, true, s->passes);
	ASSERT_GT(s->reader, 0);
	oomx_sleep_ms(3000);
	s->once = reader_start(NULL, 128, 64, false, NULL);
	ASSERT_GT(s->once, 0);
	status = wait_child(s->once, 60000);
	s->once = -1;
	ASSERT_EQ(0, status) TH_LOG("the one-time read failed");
	worker_passes = passes_now(s);
	oomx_sleep_ms(4000);

	EXPECT_TRUE(pid_alive(s->big.pid)) TH_LOG("the hog was killed");
	EXPECT_TRUE(pid_alive(s->reader)) TH_LOG("the worker was killed");
	EXPECT_GT(passes_now(s), worker_passes) TH_LOG("the worker stopped");
	EXPECT_EQ(s->vm, vmstat_oom_kill());
	EXPECT_EQ(s->terms, oomx_stat("early_terms"));
	EXPECT_EQ(s->kills, oomx_stat("early_kills"));
	/* The watcher was awake: kswapd woke it, it looked, it held back. */
	EXPECT_GT(early_ticks(), ticks0 + 10);
}

/*
 * A runaway allocation, as fast as it goes, with early intervention on:
 * the machine goes from calm to OOM in moments.  One death, the
 * runaway's, by whichever comes first (the kernel's OOM kill, or oomx's
 * floor with its SIGTERM); never both racing, never a SIGKILL of oomx's
 * beside the kernel's, never anyone else.
 */
TEST_F_TIMEOUT(plain, runaway_one_death, 300)
{
	struct early_scene *s = &self->s;
	long oom, terms;
	pid_t run;
	int status;

	s->small = hog_start(SCENE_WORK, s->avail0 / 5, 0, HOG_PLAIN);
	ASSERT_GT(s->small.pid, 0);
	snapshot(s);
	run = fork();
	if (run == 0) {
		size_t len = (s->avail0 + 1024) * MB, off;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p == MAP_FAILED || set_oom_score_adj(0, 0))
			_exit(2);
		for (off = 0; off < len; off += 4096)
			p[off] = 1;
		_exit(5);
	}
	ASSERT_GT(run, 0);
	status = wait_child(run, 120000);
	oomx_sleep_ms(3000);
	oom = vmstat_oom_kill() - s->vm;
	terms = oomx_stat("early_terms") - s->terms;
	EXPECT_TRUE(status == 128 + SIGKILL || status == 128 + SIGTERM)
		TH_LOG("the runaway ended with %d", status);
	EXPECT_TRUE(pid_alive(s->small.pid)) TH_LOG("the small hog died too");
	EXPECT_LE(oom, 1);
	EXPECT_GE(oom + terms, 1) TH_LOG("no one killed the runaway?");
	EXPECT_EQ(s->kills, oomx_stat("early_kills"))
		TH_LOG("oomx sent SIGKILL beside the kernel's kill");
	if (oom)
		EXPECT_EQ(128 + SIGKILL, status);
}

/*
 * A memory cgroup at its limit, on a machine with memory to spare:
 * SCENE_WORK gets memory.max MEMCG_MB and no swap.  Inside, a hog that
 * leaves MEMCG_ROOM_MB of it and a reader re-reading READER_MB through
 * what is left: the cgroup's own reclaim keeps dropping the cache the
 * reader needs again, the reader crawls at the disk's pace, and the
 * kernel never OOMs (there is always cache to drop).  Outside, in
 * SCENE_GROUP, a process that oomx's policy would choose first on the
 * machine (oom_score_adj 500).
 */
#define MEMCG_MB	200
#define MEMCG_ROOM_MB	36	/* under 20 % of MEMCG_MB: refault_avail_pct */
#define BYSTANDER_MB	48

FIXTURE(memcg) {
	struct early_scene s;
};

FIXTURE_SETUP(memcg)
{
	scene_setup(_metadata, &self->s, "early=1");
	/*
	 * The machine-wide gate (MemAvailable under 20 % of RAM) stays
	 * shut with the cgroup full and the bystander in: what happens
	 * here is the cgroup's alone.
	 */
	ASSERT_GT(self->s.avail0 - MEMCG_MB - BYSTANDER_MB,
		  meminfo_kb("MemTotal") / 1024 / 5 + 24)
		TH_LOG("only %ld MiB available", self->s.avail0);
	ASSERT_EQ(0, write_int(SCENE_WORK "/memory.max", MEMCG_MB * MB));
	/* No swap controller on every kernel: no swap either way. */
	oomx_write_file(SCENE_WORK "/memory.swap.max", "0");
}

FIXTURE_TEARDOWN(memcg)
{
	scene_teardown(_metadata, &self->s);
}

/* A cgroup's id, as oomx reports it: its directory's inode number. */
static unsigned long long cg_id(const char *cg)
{
	struct stat st;

	return stat(cg, &st) ? 0 : (unsigned long long)st.st_ino;
}

/* What oomx's telemetry counted refaulting in @cg, KiB (-1: nothing). */
static long cg_refault_kb(const char *cg)
{
	static char buf[65536];
	char want[128];
	const char *l;

	if (oomx_read_file(OOMX_DEBUGFS "reclaim", buf, sizeof(buf)))
		return -1;
	snprintf(want, sizeof(want), "\nmemcg %s ", cg + strlen("/sys/fs/cgroup"));
	l = strstr(buf, want);
	return l ? oomx_field_long(l + 1, "refault_kb") : -1;
}

/*
 * The watcher's view of cgroup @id, from debugfs early: its limit and
 * the room it leaves beside its processes' anonymous memory, KiB.
 */
static bool cg_watched(unsigned long long id, long *limit_kb, long *room_kb)
{
	static char buf[16384];
	char want[64];
	const char *l;

	if (oomx_read_file(OOMX_DEBUGFS "early", buf, sizeof(buf)))
		return false;
	snprintf(want, sizeof(want), "memcg %llu limit_kb ", id);
	l = strstr(buf, want);
	return l && sscanf(l + strlen(want), "%ld room_kb %ld", limit_kb,
			   room_kb) == 2;
}

/*
 * The hog in the thrashing cgroup is the one to go, by SIGTERM, and
 * nobody outside it: not the machine's first choice beside it, and no
 * OOM kill anywhere.  The record, the log line and the trigger's trace
 * event name the cgroup.
 */
TEST_F_TIMEOUT(memcg, thrash_in_a_cgroup_takes_its_hog, 300)
{
	struct early_scene *s = &self->s;
	unsigned long long id = cg_id(SCENE_WORK);
	long passes_at_kill, t0, oom0, limit_kb = 0, room_kb = LONG_MAX;
	const char *rec, *trace, *l;
	char want[96];
	pid_t victim;
	int status;

	ASSERT_NE(0ULL, id);
	s->small = hog_start(SCENE_GROUP, BYSTANDER_MB, 500, HOG_PLAIN);
	ASSERT_GT(s->small.pid, 0);
	s->big = hog_start(SCENE_WORK, MEMCG_MB - MEMCG_ROOM_MB, 0, HOG_PLAIN);
	ASSERT_GT(s->big.pid, 0);
	snapshot(s);
	oom0 = cg_events(SCENE_WORK, "oom_kill");
	ASSERT_EQ(0, oomx_trace_start());
	s->reader = reader_start(SCENE_WORK, 0, READER_MB, true, s->passes);
	ASSERT_GT(s->reader, 0);

	t0 = oomx_now_ms();
	victim = s->big.pid;
	/*
	 * Watch the watcher while it waits: the cgroup, as it sees it, and
	 * the least room it saw (a slow guest may look once the hog is gone).
	 */
	while (pid_alive(victim) && oomx_now_ms() < t0 + THRASH_WAIT_MS) {
		long lim, room;

		if (cg_watched(id, &lim, &room)) {
			limit_kb = lim;
			room_kb = room < room_kb ? room : room_kb;
		}
		oomx_sleep_ms(200);
	}
	status = wait_child(victim, 1000);
	s->big.pid = -1;
	passes_at_kill = passes_now(s);
	ASSERT_EQ(128 + SIGTERM, status)
		TH_LOG("the cgroup's hog ended with %d after %ld ms, %ld passes",
		       status, oomx_now_ms() - t0, passes_at_kill);
	EXPECT_EQ(MEMCG_MB * 1024, limit_kb);
	/* Its room: the limit less the hog (and the reader's buffer). */
	EXPECT_GT(room_kb, (MEMCG_ROOM_MB - 8) * 1024) TH_LOG("%ld", room_kb);
	EXPECT_LE(room_kb, MEMCG_ROOM_MB * 1024) TH_LOG("%ld", room_kb);

	/* The reader's data fits in the cgroup now. */
	expect_reader_recovers(_metadata, s, passes_at_kill);
	EXPECT_TRUE(pid_alive(s->small.pid)) TH_LOG("the bystander died");
	EXPECT_TRUE(pid_alive(s->reader)) TH_LOG("the reader died");
	EXPECT_EQ(s->vm, vmstat_oom_kill()) TH_LOG("an OOM kill happened");
	EXPECT_EQ(oom0, cg_events(SCENE_WORK, "oom_kill"));
	EXPECT_EQ(s->terms + 1, oomx_stat("early_terms"));
	EXPECT_EQ(s->kills, oomx_stat("early_kills"));
	EXPECT_EQ(s->term_exited + 1, oomx_stat("early_term_exited"));

	rec = oomx_last_decision();
	EXPECT_STREQ("early", oomx_field(rec, "kind")) TH_LOG("%s", rec);
	EXPECT_STREQ("refaulting", oomx_field(rec, "reason")) TH_LOG("%s", rec);
	EXPECT_STREQ("/oomx-t/work", oomx_field(rec, "memcg")) TH_LOG("%s", rec);
	EXPECT_STREQ("term_exited", oomx_field(rec, "action")) TH_LOG("%s", rec);
	EXPECT_TRUE(oomx_field_pid(rec, "victim", victim)) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "refault_kbps"), 1024) TH_LOG("%s", rec);
	EXPECT_LE(oomx_field_long(rec, "avail_kb"), MEMCG_ROOM_MB * 1024)
		TH_LOG("%s", rec);
	EXPECT_TRUE(dmesg_has("oomx: early: refaulting in memory cgroup /oomx-t/work (over "));
	snprintf(want, sizeof(want), "SIGTERM to process %d (", victim);
	EXPECT_TRUE(dmesg_has(want)) TH_LOG("no '%s' in dmesg", want);
	trace = oomx_trace_read();
	snprintf(want, sizeof(want), "seq=%s", oomx_field(rec, "seq"));
	l = oomx_trace_line(trace, "oomx_trigger", want, "kind=early");
	EXPECT_EQ((long)id, oomx_field_long(l, "memcg_id")) TH_LOG("trace:\n%s", trace);
	EXPECT_STREQ("refaulting", oomx_field(l, "reason")) TH_LOG("%s", l);
}

/*
 * A cgroup that reads more than it holds, with room to spare: a hog of
 * a tenth of its limit, the reader cycling through more than the rest.
 * It refaults as fast as the disk goes, as a database scanning a table
 * bigger than its memory does, and that is no reason to kill: its
 * anonymous memory is not squeezing its cache.  Nobody dies.
 */
TEST_F_TIMEOUT(memcg, scan_in_a_cgroup_untouched, 300)
{
	struct early_scene *s = &self->s;
	unsigned long long id = cg_id(SCENE_WORK);
	long t0, rf0, limit_kb = 0, room_kb = 0, rf;
	bool watched = false;

	ASSERT_NE(0ULL, id);
	ASSERT_EQ(0, write_int(SCENE_WORK "/memory.max", MEMCG_MB / 2 * MB));
	s->big = hog_start(SCENE_WORK, MEMCG_MB / 20, 0, HOG_PLAIN);
	ASSERT_GT(s->big.pid, 0);
	snapshot(s);
	rf0 = cg_refault_kb(SCENE_WORK);
	if (rf0 < 0)
		rf0 = 0;
	s->reader = reader_start(SCENE_WORK, 0, READER_MB, true, s->passes);
	ASSERT_GT(s->reader, 0);

	/* Until the cgroup has refaulted more than it holds. */
	t0 = oomx_now_ms();
	do {
		long lim, room;

		if (cg_watched(id, &lim, &room)) {
			watched = true;
			limit_kb = lim;
			room_kb = room;
		}
		oomx_sleep_ms(200);
		rf = cg_refault_kb(SCENE_WORK) - rf0;
	} while (rf < MEMCG_MB / 2 * 1024 && oomx_now_ms() < t0 + 150000);

	EXPECT_GE(rf, MEMCG_MB / 2 * 1024) TH_LOG("only %ld KiB refaulted", rf);
	EXPECT_TRUE(watched);
	EXPECT_EQ(MEMCG_MB / 2 * 1024, limit_kb);
	EXPECT_GT(room_kb, MEMCG_MB / 2 * 1024 * 3 / 4) TH_LOG("%ld", room_kb);
	EXPECT_TRUE(pid_alive(s->big.pid)) TH_LOG("the hog was killed");
	EXPECT_TRUE(pid_alive(s->reader)) TH_LOG("the reader was killed");
	EXPECT_EQ(s->terms, oomx_stat("early_terms"));
	EXPECT_EQ(s->kills, oomx_stat("early_kills"));
	EXPECT_EQ(s->vm, vmstat_oom_kill());
}

TEST_HARNESS_MAIN
