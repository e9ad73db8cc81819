// SPDX-License-Identifier: GPL-2.0
/*
 * oomx under real global OOM.  Each test starts memory hogs of known size
 * and oom_score_adj, forces exactly one global OOM with a -1000 allocator,
 * and asserts who died, who lived, whose kill it was (oomx's counters,
 * the stock killer's, /proc/vmstat oom_kill) and what the decision record
 * says.  The "dry_run" variant runs each scenario with the stock killer
 * acting and oomx only recording: the records must agree with it.
 */
#include "oomx_util.h"
#include "kselftest_harness.h"

#define SLOW_CG "/sys/fs/cgroup/oomx-slow"

static bool wait_dead(pid_t pid, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (oomx_now_ms() < deadline) {
		reap_children();
		if (!pid_alive(pid))
			return true;
		oomx_sleep_ms(20);
	}
	return !pid_alive(pid);
}

static int throttle(pid_t pid)
{
	return throttle_in(SLOW_CG, pid);
}

static void unthrottle(void)
{
	oomx_write_file(SLOW_CG "/cpu.max", "max 100000");
}

FIXTURE(oom) {
	struct hog h[3];
	long avail, kills, stock, vm, fallbacks, reaps;
};

FIXTURE_VARIANT(oom) {
	bool dry_run;
};

FIXTURE_VARIANT_ADD(oom, oomx) {
	.dry_run = false,
};

FIXTURE_VARIANT_ADD(oom, dry_run) {
	.dry_run = true,
};

FIXTURE_SETUP(oom)
{
	int i;

	for (i = 0; i < 3; i++)
		self->h[i] = (struct hog){ -1, -1 };
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(variant->dry_run ? "dry_run=1" : NULL));
	self->avail = avail_mb();
	ASSERT_GT(self->avail, 100) TH_LOG("only %ld MiB available", self->avail);
}

FIXTURE_TEARDOWN(oom)
{
	static char buf[65536];
	int i;

	/* A failed test shows every decision oomx recorded. */
	if (_metadata->exit_code != KSFT_PASS &&
	    !oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
		TH_LOG("decisions:\n%s", buf);

	unthrottle();
	for (i = 0; i < 3; i++)
		hog_stop(&self->h[i]);
	reap_children();
	oomx_unload();
	rmdir(SLOW_CG);
}

/* Hogs at 35 %, 20 % and 10 % of available memory, in that order. */
static const int hog_pct[3] = { 35, 20, 10 };

static void start_hogs(struct __test_metadata *_metadata,
		       FIXTURE_DATA(oom) *self, const int adj[3],
		       enum hog_kind kind0)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->h[i] = hog_start(self->avail * hog_pct[i] / 100, adj[i],
				       i ? HOG_PLAIN : kind0);
		ASSERT_GT(self->h[i].pid, 0);
	}
	self->kills = oomx_stat("kills");
	self->stock = oomx_stat("stock_kills");
	self->vm = vmstat_oom_kill();
	self->fallbacks = oomx_stat("fallbacks");
	self->reaps = oomx_stat("reaps");
}

/*
 * At most what is left plus what hog @frees holds: an OOM is certain, and
 * oom_trigger() stops at the first kill, so a second kill would be a wrong
 * choice, not a side effect of the sizing.
 */
static long oom_want_mb(FIXTURE_DATA(oom) *self, int frees)
{
	return avail_mb() + self->avail * hog_pct[frees] / 100;
}

static void force_oom(struct __test_metadata *_metadata,
		      FIXTURE_DATA(oom) *self, int frees)
{
	long want = oom_want_mb(self, frees);

	ASSERT_EQ(0, oom_trigger(want, 120000))
		TH_LOG("the -1000 allocator of %ld MiB did not complete", want);
}

/*
 * The scenario's expected victim @dead died, everyone else lived, the kill
 * was made by whoever the variant says, and the record names the victim.
 */
static void expect_outcome(struct __test_metadata *_metadata,
			   FIXTURE_DATA(oom) *self,
			   const FIXTURE_VARIANT(oom) *variant, int dead)
{
	const char *rec;
	char want[32];
	int i;

	ASSERT_TRUE(wait_dead(self->h[dead].pid, 20000))
		TH_LOG("hog %d (pid %d) survived", dead, self->h[dead].pid);
	for (i = 0; i < 3; i++) {
		pid_t pid = self->h[i].pid;

		if (i != dead)
			EXPECT_TRUE(pid_alive(pid)) TH_LOG("pid %d died too", pid);
	}
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());

	rec = oomx_last_decision();
	snprintf(want, sizeof(want), "%d:", self->h[dead].pid);
	EXPECT_EQ(0, strncmp(oomx_field(rec, "victim"), want, strlen(want)))
		TH_LOG("record: %s", rec);
	if (variant->dry_run) {
		EXPECT_EQ(self->kills, oomx_stat("kills"));
		EXPECT_EQ(self->stock + 1, oomx_stat("stock_kills"));
		EXPECT_STREQ("choose", oomx_field(rec, "action"));
		EXPECT_STREQ("1", oomx_field(rec, "agree")) TH_LOG("record: %s", rec);
	} else {
		EXPECT_EQ(self->kills + 1, oomx_stat("kills"));
		EXPECT_EQ(self->stock, oomx_stat("stock_kills"))
			TH_LOG("the stock killer acted too");
		EXPECT_STREQ("kill", oomx_field(rec, "action"));
		EXPECT_STRNE("-", oomx_field(rec, "signal_us")) TH_LOG("record: %s", rec);
		EXPECT_STRNE("-", oomx_field(rec, "released_us")) TH_LOG("record: %s", rec);
	}
}

TEST_F_TIMEOUT(oom, largest_of_three_dies, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	expect_outcome(_metadata, self, variant, 0);
}

TEST_F_TIMEOUT(oom, adj_min_spares_largest, 300)
{
	static const int adj[3] = { -1000, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 1);
	expect_outcome(_metadata, self, variant, 1);
}

TEST_F_TIMEOUT(oom, adj_max_picks_smallest, 300)
{
	static const int adj[3] = { 0, 0, 1000 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 2);
	expect_outcome(_metadata, self, variant, 2);
}

TEST_F_TIMEOUT(oom, thread_group_dies_whole, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	char path[64];

	start_hogs(_metadata, self, adj, HOG_THREADS);
	force_oom(_metadata, self, 0);
	expect_outcome(_metadata, self, variant, 0);
	snprintf(path, sizeof(path), "/proc/%d/task", self->h[0].pid);
	reap_children();
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("threads of the victim live on");
}

TEST_F_TIMEOUT(oom, clone_vm_sharer_dies_too, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_CLONE_VM);
	ASSERT_GT(self->h[0].sharer, 0);
	force_oom(_metadata, self, 0);
	/* Either process of the pair may be the one chosen: both must go. */
	ASSERT_TRUE(wait_dead(self->h[0].sharer, 20000));
	ASSERT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	if (!variant->dry_run) {
		EXPECT_EQ(self->kills + 1, oomx_stat("kills"));
		EXPECT_EQ(1, oomx_stat("sharer_kills"));
		EXPECT_EQ(self->stock, oomx_stat("stock_kills"));
	}
}

/*
 * The victim sits in a cgroup allowed 1 ms of CPU a second, so it cannot
 * run its exit path; the memory comes back only if oomx's reaper unmaps
 * it.  Fails if the reaper does nothing.
 */
TEST_F_TIMEOUT(oom, reaper_frees_memory_of_stuck_victim, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	long reaped_kb, size_kb;
	const char *rec;

	if (variant->dry_run)
		return;	/* the stock reaper's business */
	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "100"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	size_kb = self->avail * 35 / 100 * 1024;
	ASSERT_EQ(0, throttle(self->h[0].pid));
	force_oom(_metadata, self, 0);

	/* The allocator may get by on crumbs: wait for the reaper itself. */
	rec = oomx_settled_decision(10000);
	EXPECT_STREQ("reaped", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	/*
	 * The victim's 1 ms slices may free a little of its memory itself
	 * before the reap; most must have come back through the reaper.
	 */
	reaped_kb = strtol(oomx_field(rec, "reaped_kb"), NULL, 10);
	EXPECT_GE(reaped_kb, size_kb / 2) TH_LOG("reaped %ld of %ld kB", reaped_kb, size_kb);
	EXPECT_EQ(self->reaps + 1, oomx_stat("reaps"));
	/* The allocator completed while the victim was still not gone. */
	EXPECT_TRUE(pid_alive(self->h[0].pid))
		TH_LOG("victim exited on its own: test proves nothing");
	unthrottle();
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
}

/*
 * A victim whose memory is not back by victim_timeout_ms (the reaper is
 * told to wait longer than that, and the victim cannot exit) hands the
 * OOM to the stock killer, which takes the next task.
 */
TEST_F_TIMEOUT(oom, fallback_to_stock_killer, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	const char *rec;
	char rec_copy[4096];

	if (variant->dry_run)
		return;
	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "60000"));
	ASSERT_EQ(0, oomx_param_write("victim_timeout_ms", "500"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	ASSERT_EQ(0, throttle(self->h[0].pid));
	/* Keep the pressure on through oomx's kill and the stock killer's. */
	ASSERT_EQ(0, oom_trigger_until(oom_want_mb(self, 1), 120000, false, 2));

	EXPECT_EQ(self->fallbacks + 1, oomx_stat("fallbacks"));
	EXPECT_EQ(self->kills + 1, oomx_stat("kills"));
	EXPECT_EQ(self->stock + 1, oomx_stat("stock_kills"));
	EXPECT_TRUE(wait_dead(self->h[1].pid, 20000))
		TH_LOG("stock killer did not take the next task");
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	rec = oomx_last_decision();
	snprintf(rec_copy, sizeof(rec_copy), "%s", rec);
	EXPECT_STREQ("1", oomx_field(rec_copy, "fallback")) TH_LOG("record: %s", rec_copy);
	unthrottle();
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
}

/* Unload while a victim is in flight (it cannot exit, reap not due). */
TEST_F_TIMEOUT(oom, rmmod_during_oom, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	long deadline, want;
	int status = -1;
	pid_t trig;

	if (variant->dry_run)
		return;
	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "60000"));
	ASSERT_EQ(0, oomx_param_write("victim_timeout_ms", "600000"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	ASSERT_EQ(0, throttle(self->h[0].pid));
	want = oom_want_mb(self, 0);
	trig = fork();
	if (trig == 0)
		_exit(oom_trigger(want, 120000));
	ASSERT_GT(trig, 0);
	/* Wait for oomx's kill, then pull the module out from under it. */
	deadline = oomx_now_ms() + 60000;
	while (oomx_stat("kills") == self->kills && oomx_now_ms() < deadline)
		oomx_sleep_ms(5);
	ASSERT_EQ(self->kills + 1, oomx_stat("kills"));
	ASSERT_EQ(0, oomx_unload());
	/* The unload reaped the victim: the allocator gets its memory. */
	ASSERT_EQ(trig, waitpid(trig, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	unthrottle();
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
}

TEST_F_TIMEOUT(oom, rmmod_right_after_oom, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	ASSERT_EQ(0, oomx_unload());
	ASSERT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_EQ(0, oomx_load(NULL));
}

TEST_HARNESS_MAIN
