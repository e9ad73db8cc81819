// SPDX-License-Identifier: GPL-2.0
/*
 * oomx under real OOMs, each case both as a global OOM and as a memory
 * cgroup OOM (the "global" and "memcg" variants).  Each starts memory
 * hogs of known size, shape and oom_score_adj, forces exactly the OOM it
 * needs with a -1000 allocator, and asserts who died, who lived, what the
 * kernel counted (/proc/vmstat, memory.events and its wake-ups), what
 * oomx recorded, and whether the memory came back and how.
 */
#include <poll.h>
#include <sys/prctl.h>
#include <sys/inotify.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

#define MEMCG_MB	128
/*
 * Every case here is about what happens at an OOM: early intervention
 * (early_test.c) stays out of the way, or it could act on the floor
 * before the forced OOM and make a different death.
 */
#define OOM_PARAMS	"early=0"

/* Hogs at 35 %, 20 % and 10 % of the scene's budget, in that order. */
static const int hog_pct[3] = { 35, 20, 10 };

FIXTURE(oom) {
	struct scene sc;
	struct hog h[3];
	struct hog ballast;	/* -1000: room taken, never a candidate */
	struct hog small[8];	/* bystanders of 1 MiB */
	long vm, decisions, reaps, victims;
	bool testmod;
};

FIXTURE_VARIANT(oom) {
	bool memcg;
};

FIXTURE_VARIANT_ADD(oom, global) {
	.memcg = false,
};

FIXTURE_VARIANT_ADD(oom, memcg) {
	.memcg = true,
};

FIXTURE_SETUP(oom)
{
	int i;

	for (i = 0; i < 3; i++)
		self->h[i] = (struct hog){ -1, -1 };
	for (i = 0; i < (int)ARRAY_SIZE(self->small); i++)
		self->small[i] = (struct hog){ -1, -1 };
	self->ballast = (struct hog){ -1, -1 };
	self->testmod = false;
	/* This process and its helpers are never candidates. */
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(OOM_PARAMS));
	ASSERT_EQ(0, scene_init(&self->sc, variant->memcg, MEMCG_MB));
	ASSERT_GT(self->sc.budget_mb, 100)
		TH_LOG("only %ld MiB to work with", self->sc.budget_mb);
}

FIXTURE_TEARDOWN(oom)
{
	static char buf[1 << 17];
	int i;

	/* A failed case shows what oomx recorded and counted. */
	if (_metadata->exit_code != KSFT_PASS) {
		if (!oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
			TH_LOG("decisions:\n%s", buf);
		if (!oomx_read_file(OOMX_DEBUGFS "stats", buf, sizeof(buf)))
			TH_LOG("stats:\n%s", buf);
	}
	oomx_write_file(SCENE_SLOW "/cpu.max", "max 100000");
	for (i = 0; i < 3; i++)
		hog_stop(&self->h[i]);
	for (i = 0; i < (int)ARRAY_SIZE(self->small); i++)
		hog_stop(&self->small[i]);
	hog_stop(&self->ballast);
	reap_children();
	oomx_trace_stop();
	oomx_unload();
	if (self->testmod)
		unload_module("oomx_test");
	scene_rmdir();
}

static long hog_mb(FIXTURE_DATA(oom) *self, int i)
{
	return self->sc.budget_mb * hog_pct[i] / 100;
}

static void snapshot(FIXTURE_DATA(oom) *self)
{
	self->vm = vmstat_oom_kill();
	self->decisions = oomx_stat("decisions");
	self->reaps = oomx_stat("reaps");
	self->victims = oomx_stat("victims");
}

static void start_hogs(struct __test_metadata *_metadata,
		       FIXTURE_DATA(oom) *self, const int adj[3],
		       enum hog_kind kind0)
{
	int i;

	for (i = 0; i < 3; i++) {
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), adj[i],
				       i ? HOG_PLAIN : kind0);
		ASSERT_GT(self->h[i].pid, 0);
	}
	snapshot(self);
}

/*
 * What is left plus what hog @frees holds: an OOM is certain, and the
 * allocator stops at the first kill, so a second kill would be a wrong
 * choice, not a side effect of the sizing.
 */
static void force_oom(struct __test_metadata *_metadata,
		      FIXTURE_DATA(oom) *self, int frees)
{
	long want = scene_room_mb(&self->sc) + hog_mb(self, frees);

	ASSERT_EQ(0, oom_trigger_in(SCENE_WORK, want, 1, 120000))
		TH_LOG("the -1000 allocator of %ld MiB saw no kill", want);
}

/* Hog @dead died, the others lived, one kill, recorded as @action. */
static void expect_only(struct __test_metadata *_metadata,
			FIXTURE_DATA(oom) *self,
			const FIXTURE_VARIANT(oom) *variant, int dead,
			const char *action)
{
	const char *rec;
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
	EXPECT_TRUE(oomx_field_pid(rec, "victim", self->h[dead].pid))
		TH_LOG("record: %s", rec);
	EXPECT_STREQ(variant->memcg ? "memcg" : "global", oomx_field(rec, "kind"));
	if (variant->memcg)
		EXPECT_STREQ("/oomx-t", oomx_field(rec, "memcg"));
	EXPECT_STREQ(action, oomx_field(rec, "action")) TH_LOG("record: %s", rec);
}

TEST_F_TIMEOUT(oom, classic_largest_of_three_dies, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	const char *rec;

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	expect_only(_metadata, self, variant, 0, "kill");
	EXPECT_EQ(self->decisions + 1, oomx_stat("decisions"));
	/*
	 * Where classic needs no candidate hook, the kernel's scan was
	 * oomx's and the record says oomx did not count it; else it did.
	 */
	rec = oomx_last_decision();
	if (oomx_classic_scan_idle()) {
		EXPECT_STREQ("-", oomx_field(rec, "seen")) TH_LOG("%s", rec);
	} else {
		EXPECT_GE(oomx_field_long(rec, "seen"), 3) TH_LOG("%s", rec);
	}
	EXPECT_TRUE(oomx_field_pid(rec, "choice", self->h[0].pid)) TH_LOG("%s", rec);
	EXPECT_TRUE(oomx_field_pid(rec, "classic", self->h[0].pid)) TH_LOG("%s", rec);
	ksft_print_msg("record: %s\n", rec);
}

TEST_F_TIMEOUT(oom, adj_min_spares_largest, 300)
{
	static const int adj[3] = { -1000, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 1);
	expect_only(_metadata, self, variant, 1, "kill");
}

TEST_F_TIMEOUT(oom, classic_adj_max_picks_smallest, 300)
{
	static const int adj[3] = { 0, 0, 1000 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 2);
	expect_only(_metadata, self, variant, 2, "kill");
}

/*
 * policy=largest ignores the +1000 the classic policy follows: the kernel
 * must kill the largest, every time, and the record says classic would
 * have differed.
 */
TEST_F_TIMEOUT(oom, largest_policy_every_time, 600)
{
	static const int adj[3] = { 0, 0, 1000 };
	int run, runs = variant->memcg ? 10 : 3, followed = 0;

	ASSERT_EQ(0, oomx_param_write("policy", "largest"));
	/* Complete records: what classic would have chosen. */
	ASSERT_EQ(0, oomx_param_write("score_all", "1"));
	for (run = 0; run < runs; run++) {
		const char *rec;
		int i;

		start_hogs(_metadata, self, adj, HOG_PLAIN);
		force_oom(_metadata, self, 0);
		ASSERT_TRUE(wait_dead(self->h[0].pid, 20000))
			TH_LOG("run %d: the largest survived", run);
		rec = oomx_last_decision();
		if (pid_alive(self->h[1].pid) && pid_alive(self->h[2].pid) &&
		    oomx_field_pid(rec, "victim", self->h[0].pid) &&
		    oomx_field_pid(rec, "classic", self->h[2].pid) &&
		    vmstat_oom_kill() == self->vm + 1)
			followed++;
		else
			TH_LOG("run %d: record %s", run, rec);
		if (!run)
			ksft_print_msg("record: %s\n", rec);
		for (i = 0; i < 3; i++)
			hog_stop(&self->h[i]);
		reap_children();
	}
	EXPECT_EQ(runs, followed);
	EXPECT_GE(oomx_stat("policy_changed_victim"), runs);
}

/* adj_first: a +1 tier outranks any amount of memory; classic disagrees. */
TEST_F_TIMEOUT(oom, adj_first_policy, 300)
{
	static const int adj[3] = { 0, 0, 1 };

	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	ASSERT_EQ(0, oomx_param_write("score_all", "1"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 2);
	expect_only(_metadata, self, variant, 2, "kill");
	EXPECT_TRUE(oomx_field_pid(oomx_last_decision(), "classic",
				   self->h[0].pid));
	ksft_print_msg("record: %s\n", oomx_last_decision());
}

/*
 * By default oomx hands the kernel only the scores that differ from its
 * own (here: the +1 task's); the choice is the same, the records shorter.
 */
TEST_F_TIMEOUT(oom, adj_first_rescoring_only_what_differs, 300)
{
	static const int adj[3] = { 0, 0, 1 };
	const char *rec;

	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 2);
	expect_only(_metadata, self, variant, 2, "kill");
	rec = oomx_last_decision();
	EXPECT_EQ(1, oomx_field_long(rec, "scored")) TH_LOG("%s", rec);
	EXPECT_STREQ("-", oomx_field(rec, "classic")) TH_LOG("%s", rec);
	EXPECT_TRUE(oomx_field_pid(rec, "choice", self->h[2].pid));
}

/* ---- operator rules: protect=, avoid=, prefer= ---- */

#define RULE_UID	4242

static void name_db(void *arg)
{
	prctl(PR_SET_NAME, "oomx-db");
}

static void become_rule_uid(void *arg)
{
	if (setresgid(RULE_UID, RULE_UID, RULE_UID) ||
	    setresuid(RULE_UID, RULE_UID, RULE_UID))
		_exit(6);
}

/* The three hogs, adj 0, hog @i in cgroup @cg[i] with @init[i] run. */
static void start_ruled_hogs(struct __test_metadata *_metadata,
			     FIXTURE_DATA(oom) *self, const char *const cg[3],
			     void (*const init[3])(void *))
{
	int i;

	for (i = 0; i < 3; i++) {
		struct hog_opts o = { .init = init[i] };

		self->h[i] = hog_start_opts(cg[i] ?: SCENE_WORK, hog_mb(self, i),
					    0, HOG_PLAIN, &o);
		ASSERT_GT(self->h[i].pid, 0);
	}
	snapshot(self);
}

/*
 * The largest is protected by its name, the next avoided by its uid:
 * the kernel's kill takes the smallest, and the record counts both
 * rules among the candidates (the victim itself had none).
 */
TEST_F_TIMEOUT(oom, rules_protect_and_avoid_spare_the_largest, 300)
{
	static const char *const cg[3] = { NULL, NULL, NULL };
	static void (*const init[3])(void *) = { name_db, become_rule_uid, NULL };
	const char *rec;

	ASSERT_EQ(0, oomx_param_write("protect", "comm:oomx-d?"));
	ASSERT_EQ(0, oomx_param_write("avoid", "uid:4242"));
	start_ruled_hogs(_metadata, self, cg, init);
	force_oom(_metadata, self, 2);
	expect_only(_metadata, self, variant, 2, "kill");
	rec = oomx_last_decision();
	EXPECT_STREQ("-", oomx_field(rec, "rule")) TH_LOG("%s", rec);
	EXPECT_EQ(1, oomx_field_long(rec, "protected")) TH_LOG("%s", rec);
	EXPECT_EQ(1, oomx_field_long(rec, "avoided")) TH_LOG("%s", rec);
}

/* The smallest, in a preferred cgroup, goes first, and the record says why. */
TEST_F_TIMEOUT(oom, rules_prefer_cgroup_takes_the_smallest, 300)
{
	static const char *const cg[3] = { NULL, NULL, SCENE_GROUP };
	static void (*const init[3])(void *) = { NULL, NULL, NULL };
	const char *rec;

	ASSERT_EQ(0, oomx_param_write("prefer", "cgroup:/oomx-t/gr*"));
	start_ruled_hogs(_metadata, self, cg, init);
	force_oom(_metadata, self, 2);
	expect_only(_metadata, self, variant, 2, "kill");
	rec = oomx_last_decision();
	EXPECT_STREQ("prefer:cgroup:/oomx-t/gr*", oomx_field(rec, "rule"))
		TH_LOG("%s", rec);
	EXPECT_EQ(1, oomx_field_long(rec, "preferred")) TH_LOG("%s", rec);
	/* A record with a rule, for the documentation's sample. */
	ksft_print_msg("record: %s\n", rec);
}

/*
 * Everyone protected: the rule cannot leave the kernel with nothing to
 * kill.  Its own choice stands, the largest, as without oomx.
 */
TEST_F_TIMEOUT(oom, rules_all_protected_kernel_choice_stands, 300)
{
	static const char *const cg[3] = { NULL, NULL, NULL };
	static void (*const init[3])(void *) = { name_db, NULL, NULL };
	const char *rec;

	ASSERT_EQ(0, oomx_param_write("protect", "comm:*"));
	start_ruled_hogs(_metadata, self, cg, init);
	force_oom(_metadata, self, 0);
	expect_only(_metadata, self, variant, 0, "kill");
	rec = oomx_last_decision();
	EXPECT_STREQ("protect:comm:*", oomx_field(rec, "rule")) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "protected"), 3) TH_LOG("%s", rec);
}

/*
 * policy=cgroup_first: the largest process lives in one cgroup with 8
 * small ones; two smaller hogs share another with the allocator, which
 * makes that cgroup the worst.  Its largest process dies, not the
 * largest overall (classic's choice), and the record names the cgroup.
 * The small ones come after the worst cgroup's tasks in either scan
 * (the global one goes by age, the memcg one cgroup by cgroup, work
 * first): their cgroup cannot win, so oomx leaves them at the kernel's
 * points, and the record counts them as passed.
 */
TEST_F_TIMEOUT(oom, cgroup_first_takes_the_worst_cgroup, 300)
{
	static const char *const cg[3] = { SCENE_GROUP, NULL, NULL };
	static void (*const init[3])(void *) = { NULL, NULL, NULL };
	const char *rec;
	int i;

	ASSERT_EQ(0, oomx_param_write("policy", "cgroup_first"));
	start_ruled_hogs(_metadata, self, cg, init);
	for (i = 0; i < (int)ARRAY_SIZE(self->small); i++) {
		self->small[i] = hog_start(SCENE_GROUP, 1, 0, HOG_PLAIN);
		ASSERT_GT(self->small[i].pid, 0);
	}
	/* Their filling out of the growth window: usage alone ranks. */
	oomx_sleep_ms(7000);
	force_oom(_metadata, self, 1);
	expect_only(_metadata, self, variant, 1, "kill");
	rec = oomx_last_decision();
	EXPECT_STREQ("cgroup_first", oomx_field(rec, "policy")) TH_LOG("%s", rec);
	EXPECT_STREQ("/oomx-t/work", oomx_field(rec, "group")) TH_LOG("%s", rec);
	/* The allocator's memory is in its cgroup's score. */
	EXPECT_GT(oomx_field_long(rec, "group_kb"),
		  (hog_mb(self, 0) + 1) * 1024) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "exact"), 1) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "passed"), (long)ARRAY_SIZE(self->small))
		TH_LOG("%s", rec);
	for (i = 0; i < (int)ARRAY_SIZE(self->small); i++)
		EXPECT_TRUE(pid_alive(self->small[i].pid));
	ksft_print_msg("record: %s\n", rec);
}

/* Adds @arg MiB in 20 steps 200 ms apart, once resident; then waits. */
static void grow_idle(void *arg)
{
	size_t step = (long)arg * MB / 20;
	int i;

	for (i = 0; i < 20; i++) {
		char *p = mmap(NULL, step, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, step);
		oomx_sleep_ms(200);
	}
	for (;;)
		pause();
}

/*
 * policy=growth: hog 1 starts small and grows, over 4 s, to three
 * quarters of hog 0's size; the OOM comes while most of its gain is
 * still in the growth window (5 s).  It dies
 * (classic would take hog 0), and the record shows what it gained.
 */
TEST_F_TIMEOUT(oom, growth_takes_the_grower, 300)
{
	/*
	 * The grower ends at nine tenths of the steady hog: its gain over
	 * the last 5 s must outweigh that last tenth.  At three quarters a
	 * starved debug guest (five guests on two cores) ramped too slowly
	 * for the window to hold a quarter of the steady hog, and the
	 * steady one rightly died.
	 */
	long start_mb = hog_mb(self, 2) / 2;
	long grow_mb = hog_mb(self, 0) * 9 / 10 - start_mb;
	struct hog_opts o = { .idle = grow_idle, .arg = (void *)grow_mb };
	const char *rec;
	long t0, ballast_mb;

	ASSERT_EQ(0, oomx_param_write("policy", "growth"));
	self->h[0] = hog_start(SCENE_WORK, hog_mb(self, 0), 0, HOG_PLAIN);
	ASSERT_GT(self->h[0].pid, 0);
	self->h[2] = hog_start(SCENE_WORK, hog_mb(self, 2), 0, HOG_PLAIN);
	ASSERT_GT(self->h[2].pid, 0);
	/*
	 * All the room but what the grower needs and a tenth of the budget
	 * goes to a -1000 ballast, so that the OOM comes from a small
	 * allocation right after the ramp, however slow the kernel: a long
	 * fill would push the ramp out of the growth window (seen on the
	 * debug kernel).
	 */
	ballast_mb = scene_room_mb(&self->sc) - start_mb - grow_mb -
		     self->sc.budget_mb / 10;
	ASSERT_GT(ballast_mb, 0);
	self->ballast = hog_start(SCENE_WORK, ballast_mb, -1000, HOG_PLAIN);
	ASSERT_GT(self->ballast.pid, 0);
	/* Their own filling out of the growth window (5 s, samples to 6.25). */
	oomx_sleep_ms(7000);
	self->h[1] = hog_start_opts(SCENE_WORK, start_mb, 0, HOG_PLAIN, &o);
	ASSERT_GT(self->h[1].pid, 0);
	/* Grown to nine tenths of hog 0, and sampled meanwhile. */
	t0 = oomx_now_ms();
	while (proc_rss_kb(self->h[1].pid) < (start_mb + grow_mb - 4) * 1024 &&
	       oomx_now_ms() < t0 + 30000)
		oomx_sleep_ms(100);
	ASSERT_LT(proc_rss_kb(self->h[1].pid), hog_mb(self, 0) * 1024);
	oomx_sleep_ms(1000);
	snapshot(self);
	ASSERT_EQ(0, oom_trigger_in(SCENE_WORK,
				    scene_room_mb(&self->sc) + start_mb + grow_mb,
				    1, 120000))
		TH_LOG("the allocator saw no kill");
	expect_only(_metadata, self, variant, 1, "kill");
	rec = oomx_last_decision();
	EXPECT_STREQ("growth", oomx_field(rec, "policy")) TH_LOG("%s", rec);
	/* What it gained in the window is what put it first. */
	EXPECT_GT(oomx_field_long(rec, "growth_kb"),
		  (hog_mb(self, 0) - start_mb - grow_mb) * 1024)
		TH_LOG("%s", rec);
	ksft_print_msg("record: %s\n", rec);
}

/* Every thread of the victim goes, and the process is reaped whole. */
TEST_F_TIMEOUT(oom, thread_group_dies_whole, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_THREADS);
	force_oom(_metadata, self, 0);
	expect_only(_metadata, self, variant, 0, "kill");
	/*
	 * The leader shows as a zombie while the other threads still exit:
	 * wait for all of them (the cause of an earlier flake was asserting
	 * on /proc/PID/task before that).
	 */
	EXPECT_TRUE(wait_reaped(self->h[0].pid, 20000))
		TH_LOG("threads of the victim live on");
	self->h[0].pid = -1;
}

/*
 * The picked thread is not the leader: the leader has exited and the
 * memory is a thread's.  The kernel's kill signals the whole group.
 */
TEST_F_TIMEOUT(oom, leader_exited_group_dies_whole, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	long deadline = oomx_now_ms() + 10000;
	char path[64];

	start_hogs(_metadata, self, adj, HOG_LEADER_EXITED);
	/* The leader is a zombie, its threads alive. */
	snprintf(path, sizeof(path), "/proc/%d/task", self->h[0].pid);
	while (pid_alive(self->h[0].pid) && oomx_now_ms() < deadline)
		oomx_sleep_ms(20);
	ASSERT_FALSE(pid_alive(self->h[0].pid));
	ASSERT_EQ(0, access(path, F_OK));
	force_oom(_metadata, self, 0);
	EXPECT_TRUE(wait_reaped(self->h[0].pid, 20000))
		TH_LOG("threads of the victim live on");
	self->h[0].pid = -1;
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

TEST_F_TIMEOUT(oom, clone_vm_sharer_dies_too, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_CLONE_VM);
	ASSERT_GT(self->h[0].sharer, 0);
	force_oom(_metadata, self, 0);
	/* Either process of the pair may be the one chosen: both must go. */
	EXPECT_TRUE(wait_dead(self->h[0].sharer, 20000));
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

/*
 * A victim asleep in the kernel, uninterruptibly, from before the kill
 * until 10 s after it (oomx_test.ko counts from the SIGKILL, so how long
 * the OOM took to come does not matter).
 */
static void sleep_in_d_state(void *arg)
{
	(void)arg;
	oomx_write_file("/sys/module/oomx_test/parameters/dsleep_ms", "10000");
}

/*
 * Three hogs, the largest (h[0]) asleep in D state through oomx_test.ko:
 * it cannot exit, so only a reaper gives its memory back.
 */
static void start_stuck_hogs(struct __test_metadata *_metadata,
			     FIXTURE_DATA(oom) *self)
{
	static const struct hog_opts stuck = { .idle = sleep_in_d_state };
	int i;

	ASSERT_EQ(0, load_module(OOMX_TEST_KO, NULL));
	self->testmod = true;
	self->h[0] = hog_start_opts(SCENE_WORK, hog_mb(self, 0), 0, HOG_PLAIN,
				    &stuck);
	for (i = 1; i < 3; i++)
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), 0, HOG_PLAIN);
	for (i = 0; i < 3; i++) {
		ASSERT_GT(self->h[i].pid, 0);
	}
	snapshot(self);
	oomx_sleep_ms(200);	/* into its sleep */
}

/*
 * The victim sleeps in D state (as on a dead NFS server): it cannot exit,
 * and its memory comes back only through a reaper.  oomx's must have
 * begun well before the kernel's reaper even starts looking (2 s).
 */
TEST_F_TIMEOUT(oom, reaper_frees_stuck_victim_early, 300)
{
	long reaped_kb;
	const char *rec;

	start_stuck_hogs(_metadata, self);
	force_oom(_metadata, self, 0);
	rec = oomx_settled_decision(20000);
	EXPECT_STREQ("reaped", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	EXPECT_LT(oomx_field_long(rec, "reap_start_us"), 1000000)
		TH_LOG("record: %s", rec);
	reaped_kb = oomx_field_long(rec, "reaped_kb");
	EXPECT_GE(reaped_kb, hog_mb(self, 0) * 1024 * 9 / 10) TH_LOG("record: %s", rec);
	EXPECT_EQ(self->reaps + 1, oomx_stat("reaps"));
	EXPECT_TRUE(pid_alive(self->h[0].pid)) TH_LOG("the victim was not stuck");
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

/*
 * oomx's trace events follow one OOM from trigger to reap, all under the
 * seq of its record: the trigger says what kind of OOM, the decision
 * names the victim with its score's parts, the kill its SIGKILL (one
 * victim, one kill event), the reap what came back.  The stable sysfs
 * record is the one debugfs shows.
 */
TEST_F_TIMEOUT(oom, trace_events_follow_the_kill, 300)
{
	char seq[32], pid[32], comm[32];
	const char *rec, *trace, *l, *p;
	long reaped_kb, points;
	int kills = 0;

	ASSERT_EQ(0, oomx_trace_start());
	start_stuck_hogs(_metadata, self);
	force_oom(_metadata, self, 0);
	rec = oomx_settled_decision(20000);
	ASSERT_STREQ("reaped", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	ASSERT_TRUE(oomx_field_pid(rec, "victim", self->h[0].pid));
	reaped_kb = oomx_field_long(rec, "reaped_kb");
	snprintf(seq, sizeof(seq), "seq=%ld", oomx_field_long(rec, "seq"));
	snprintf(pid, sizeof(pid), "pid=%d", self->h[0].pid);
	/* victim=pid:comm:points:mem_kb:adj:uid */
	p = strchr(oomx_field(rec, "victim"), ':');
	ASSERT_NE(NULL, p);
	snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(p + 1, ":"), p + 1);
	points = strtol(p + 2 + strlen(comm), NULL, 10);
	EXPECT_EQ(oomx_field_long(rec, "seq"),
		  oomx_field_long(oomx_sysfs_read("last_decision"), "seq"));
	trace = oomx_trace_read();

	l = oomx_trace_line(trace, "oomx_trigger", seq, NULL);
	EXPECT_STREQ(variant->memcg ? "memcg" : "global", oomx_field(l, "kind"))
		TH_LOG("trace:\n%s", trace);
	EXPECT_STREQ("oom", oomx_field(l, "reason")) TH_LOG("%s", l);
	EXPECT_EQ(variant->memcg, oomx_field_long(l, "memcg_id") > 0)
		TH_LOG("%s", l);

	l = oomx_trace_line(trace, "oomx_decision", seq, pid);
	EXPECT_STREQ(comm, oomx_field(l, "comm")) TH_LOG("trace:\n%s", trace);
	EXPECT_EQ(points, oomx_field_long(l, "points")) TH_LOG("%s", l);
	EXPECT_EQ(points, oomx_field_long(l, "classic")) TH_LOG("%s", l);
	EXPECT_GE(oomx_field_long(l, "mem_kb"), hog_mb(self, 0) * 1024 * 9 / 10)
		TH_LOG("%s", l);
	EXPECT_STREQ("classic", oomx_field(l, "policy")) TH_LOG("%s", l);
	EXPECT_STREQ("none:-1", oomx_field(l, "rule")) TH_LOG("%s", l);
	EXPECT_STREQ("0", oomx_field(l, "held")) TH_LOG("%s", l);

	l = oomx_trace_line(trace, "oomx_kill", seq, pid);
	EXPECT_STREQ("9", oomx_field(l, "sig")) TH_LOG("trace:\n%s", trace);
	for (p = strstr(trace, " oomx_kill: "); p; p = strstr(p + 1, " oomx_kill: "))
		kills++;
	EXPECT_EQ(1, kills) TH_LOG("trace:\n%s", trace);

	l = oomx_trace_line(trace, "oomx_reap", seq, pid);
	EXPECT_STREQ("reaped", oomx_field(l, "result")) TH_LOG("trace:\n%s", trace);
	EXPECT_EQ(reaped_kb, oomx_field_long(l, "reaped_kb")) TH_LOG("%s", l);
	EXPECT_STREQ("", oomx_trace_line(trace, "oomx_fallback", seq, NULL));
	/* The event as tracefs shows it, for the record of the run. */
	for (l = trace; l && *l; l = p ? p + 1 : NULL) {
		p = strchr(l, '\n');
		if (*l != '#')
			ksft_print_msg("%.*s\n", (int)(p ? p - l : (long)strlen(l)), l);
	}
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
}

/* Uses every bit of CPU it is allowed, so it is throttled when killed. */
static void spin(void *arg)
{
	volatile unsigned long n = 0;

	(void)arg;
	for (;;)
		n++;
}

/*
 * The victim is allowed 1 ms of CPU a second and spends it all, so the
 * kill finds it throttled: it begins its exit a burst at a time and
 * stalls in the middle of it, with what it already unmapped held until
 * the end.  oomx leaves an exit alone only while it makes progress; this
 * one it reaps, early, and holds in flight until the exit is done, so
 * the OOMs meanwhile kill no one else.
 */
TEST_F_TIMEOUT(oom, reaper_finishes_stalled_exit, 300)
{
	static const struct hog_opts spinning = { .idle = spin };
	const char *rec;
	int i;

	self->h[0] = hog_start_opts(SCENE_WORK, hog_mb(self, 0), 0, HOG_PLAIN,
				    &spinning);
	ASSERT_GT(self->h[0].pid, 0);
	ASSERT_EQ(0, cg_join(SCENE_SLOW, self->h[0].pid));
	for (i = 1; i < 3; i++) {
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), 0, HOG_PLAIN);
		ASSERT_GT(self->h[i].pid, 0);
	}
	snapshot(self);
	force_oom(_metadata, self, 0);
	rec = oomx_settled_decision(20000);
	EXPECT_TRUE(oomx_field_pid(rec, "victim", self->h[0].pid))
		TH_LOG("record: %s", rec);
	EXPECT_STREQ("reaped", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	EXPECT_LT(oomx_field_long(rec, "reap_start_us"), 1000000)
		TH_LOG("record: %s", rec);
	EXPECT_GT(oomx_field_long(rec, "reaped_kb"), 0);
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	oomx_write_file(SCENE_SLOW "/cpu.max", "max 100000");
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

/*
 * The same victim idle until the kill: its quota is whole, so it may get
 * through unmapping in one burst and stall before its end, with what it
 * unmapped (all of it, for a small victim) still charged in its
 * mmu_gather and MMF_OOM_SKIP already set, which is when the kernel's
 * scan takes a second task.  oomx holds the victim in flight until its
 * exit is done: one kill.
 */
TEST_F_TIMEOUT(oom, throttled_exit_kills_no_one_else, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	ASSERT_EQ(0, cg_join(SCENE_SLOW, self->h[0].pid));
	force_oom(_metadata, self, 0);
	oomx_settled_decision(20000);
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	oomx_write_file(SCENE_SLOW "/cpu.max", "max 100000");
	expect_only(_metadata, self, variant, 0, "kill");
}

/* ---- a robust mutex in shared memory, held by a victim that is stuck ---- */

static pthread_mutex_t *shared_mutex;

static void lock_shared_mutex(void *arg)
{
	(void)arg;
	if (pthread_mutex_lock(shared_mutex))
		_exit(6);
}

/* Blocks on the mutex; writes what pthread_mutex_lock() returned. */
static pid_t start_waiter(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int ret = pthread_mutex_lock(shared_mutex);

		if (write(fd, &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		_exit(0);
	}
	return pid;
}

/*
 * The largest hog holds a process-shared robust mutex and sits in D
 * state, where SIGKILL cannot reach it, when the OOM kills it.  oomx
 * reaps it at once but keeps the pages its robust list lives in; when it
 * wakes and exits, exit_robust_list() finds the mutex and the waiter in
 * another process gets EOWNERDEAD.  (Had the head been unmapped, the
 * waiter would block forever: the stock reaper's 2 s delay exists for
 * this, and is shorter than this victim's sleep.)
 */
TEST_F_TIMEOUT(oom, robust_mutex_waiter_gets_eownerdead, 300)
{
	static const struct hog_opts stuck = {
		.init = lock_shared_mutex,
		.idle = sleep_in_d_state,
	};
	static const int adj[3] = { 0, 0, 0 };
	pthread_mutexattr_t attr;
	struct pollfd pfd;
	const char *rec;
	int fds[2], ret = -1, i;
	pid_t waiter;

	ASSERT_EQ(0, load_module(OOMX_TEST_KO, NULL));
	self->testmod = true;
	shared_mutex = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared_mutex);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	ASSERT_EQ(0, pthread_mutex_init(shared_mutex, &attr));

	self->h[0] = hog_start_opts(SCENE_WORK, hog_mb(self, 0), 0, HOG_PLAIN,
				    &stuck);
	ASSERT_GT(self->h[0].pid, 0);
	for (i = 1; i < 3; i++) {
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), adj[i],
				       HOG_PLAIN);
		ASSERT_GT(self->h[i].pid, 0);
	}
	snapshot(self);
	ASSERT_EQ(0, pipe(fds));
	waiter = start_waiter(fds[1]);
	ASSERT_GT(waiter, 0);

	force_oom(_metadata, self, 0);
	rec = oomx_settled_decision(20000);
	EXPECT_STREQ("reaped", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	EXPECT_STREQ("kept", oomx_field(rec, "robust")) TH_LOG("record: %s", rec);
	EXPECT_GE(oomx_field_long(rec, "kept_pages"), 1);
	EXPECT_LT(oomx_field_long(rec, "reap_start_us"), 1000000);
	EXPECT_TRUE(pid_alive(self->h[0].pid)) TH_LOG("the victim was not stuck");

	/* When the victim wakes and exits, the waiter must be told. */
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 30000))
		TH_LOG("the waiter is still blocked: the robust list was lost");
	ASSERT_EQ((ssize_t)sizeof(ret), read(fds[0], &ret, sizeof(ret)));
	EXPECT_EQ(EOWNERDEAD, ret);
	waitpid(waiter, NULL, 0);
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
	munmap(shared_mutex, 4096);
}

/* memory.oom.group: the whole cgroup goes, its -1000 member stays. */
TEST_F_TIMEOUT(oom, oom_group_kills_group_spares_min, 300)
{
	struct hog g[3], bystander;
	long group_kills = cg_events(SCENE_GROUP, "oom_group_kill");
	const char *rec;
	int i;

	ASSERT_EQ(0, oomx_write_file(SCENE_GROUP "/memory.oom.group", "1"));
	g[0] = hog_start(SCENE_GROUP, self->sc.budget_mb * 30 / 100, 0, HOG_PLAIN);
	g[1] = hog_start(SCENE_GROUP, self->sc.budget_mb * 10 / 100, 0, HOG_PLAIN);
	g[2] = hog_start(SCENE_GROUP, self->sc.budget_mb * 10 / 100, -1000, HOG_PLAIN);
	bystander = hog_start(SCENE_WORK, self->sc.budget_mb * 5 / 100, 0, HOG_PLAIN);
	for (i = 0; i < 3; i++) {
		ASSERT_GT(g[i].pid, 0);
	}
	ASSERT_GT(bystander.pid, 0);
	snapshot(self);
	ASSERT_EQ(0, oom_trigger_in(SCENE_WORK, scene_room_mb(&self->sc) +
				    self->sc.budget_mb * 40 / 100, 2, 120000));
	EXPECT_TRUE(wait_dead(g[0].pid, 20000));
	EXPECT_TRUE(wait_dead(g[1].pid, 20000));
	EXPECT_TRUE(pid_alive(g[2].pid)) TH_LOG("the -1000 member was killed");
	EXPECT_TRUE(pid_alive(bystander.pid)) TH_LOG("a bystander was killed");
	EXPECT_EQ(group_kills + 1, cg_events(SCENE_GROUP, "oom_group_kill"));
	/*
	 * Two deaths; the kernel's own count may say three: its group kill
	 * (oom_kill_memcg_member()) runs __oom_kill_process() on the chosen
	 * victim a second time, and counts it again if it still has its mm.
	 */
	EXPECT_GE(vmstat_oom_kill(), self->vm + 2);
	EXPECT_LE(vmstat_oom_kill(), self->vm + 3);
	rec = oomx_last_decision();
	EXPECT_EQ(2, oomx_field_long(rec, "nr_victims")) TH_LOG("record: %s", rec);
	for (i = 0; i < 3; i++)
		hog_stop(&g[i]);
	hog_stop(&bystander);
}

/* ---- memory.events: counted, and its watchers woken ---- */

struct watch {
	int events_fd, inotify_fd;
	bool pri, modified;
};

static void *watch_fn(void *arg)
{
	struct watch *w = arg;
	struct pollfd p[2] = {
		{ .fd = w->events_fd, .events = POLLPRI },
		{ .fd = w->inotify_fd, .events = POLLIN },
	};
	long deadline = oomx_now_ms() + 60000;

	while ((!w->pri || !w->modified) && oomx_now_ms() < deadline) {
		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[0].revents & POLLPRI) {
			w->pri = true;
			p[0].events = 0;
		}
		if (p[1].revents & POLLIN) {
			w->modified = true;
			p[1].events = 0;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(oom, memory_events_wake_poll_and_inotify, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	struct watch w = {};
	long kills = cg_events(SCENE_WORK, "oom_kill");
	char buf[512];
	pthread_t t;

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	w.events_fd = open(SCENE_WORK "/memory.events", O_RDONLY);
	ASSERT_GE(w.events_fd, 0);
	/* kernfs poll reports changes since the last read. */
	ASSERT_GT(read(w.events_fd, buf, sizeof(buf)), 0);
	w.inotify_fd = inotify_init1(IN_NONBLOCK);
	ASSERT_GE(w.inotify_fd, 0);
	ASSERT_GE(inotify_add_watch(w.inotify_fd, SCENE_WORK "/memory.events",
				    IN_MODIFY), 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, watch_fn, &w));
	oomx_sleep_ms(200);	/* the watcher is asleep in poll() */

	force_oom(_metadata, self, 0);
	pthread_join(t, NULL);
	EXPECT_TRUE(w.pri) TH_LOG("poll() on memory.events was not woken");
	EXPECT_TRUE(w.modified) TH_LOG("inotify on memory.events was not woken");
	EXPECT_EQ(kills + 1, cg_events(SCENE_WORK, "oom_kill"));
	expect_only(_metadata, self, variant, 0, "kill");
	close(w.events_fd);
	close(w.inotify_fd);
}

/*
 * An mm with an mmu notifier (KVM, GPU, RDMA): only the kernel's reaper
 * can invalidate without blocking, so oomx leaves it to it.  The victim is
 * stuck, so the memory comes back only through that reaper, and no second
 * task dies in the meantime.
 */
TEST_F_TIMEOUT(oom, mmu_notifier_victim_left_to_kernel, 300)
{
	static const int adj[3] = { 0, 0, 0 };
	const char *rec;
	char seq[32];

	ASSERT_EQ(0, load_module(OOMX_TEST_KO, NULL));
	self->testmod = true;
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	ASSERT_EQ(0, write_int("/sys/module/oomx_test/parameters/mmu_notifier_pid",
			       self->h[0].pid));
	ASSERT_EQ(0, cg_join(SCENE_SLOW, self->h[0].pid));
	ASSERT_EQ(0, oomx_trace_start());
	force_oom(_metadata, self, 0);
	rec = oomx_settled_decision(10000);
	EXPECT_STREQ("kernel", oomx_field(rec, "reap")) TH_LOG("record: %s", rec);
	/* ... and says so in its trace events. */
	snprintf(seq, sizeof(seq), "seq=%ld", oomx_field_long(rec, "seq"));
	EXPECT_STREQ("kernel", oomx_field(oomx_trace_line(oomx_trace_read(),
		"oomx_fallback", seq, "stage=reap"), "reason"))
		TH_LOG("trace:\n%s", oomx_trace_read());
	EXPECT_TRUE(oomx_field_pid(rec, "victim", self->h[0].pid));
	/* Past the kernel's reaper's delay and retries: still one kill. */
	oomx_sleep_ms(4000);
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_EQ(self->reaps, oomx_stat("reaps"));
}

/*
 * dry_run: the kernel chooses by its own policy and reaps alone; oomx
 * records what it would have chosen and that it disagreed.
 */
TEST_F_TIMEOUT(oom, dry_run_kernel_chooses, 300)
{
	static const int adj[3] = { 0, 0, 1 };
	long disagree = oomx_stat("dry_run_disagree");
	const char *rec;

	/* adj_first would take the +1; the kernel takes the largest. */
	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	ASSERT_EQ(0, oomx_param_write("dry_run", "1"));
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	expect_only(_metadata, self, variant, 0, "dry_run");
	rec = oomx_last_decision();
	EXPECT_TRUE(oomx_field_pid(rec, "choice", self->h[2].pid)) TH_LOG("%s", rec);
	EXPECT_STREQ("none", oomx_field(rec, "reap"));
	EXPECT_EQ(disagree + 1, oomx_stat("dry_run_disagree"));
	EXPECT_EQ(self->reaps, oomx_stat("reaps"));
	EXPECT_EQ(self->decisions, oomx_stat("decisions"));
}

/* enabled=0: every hook off, the kernel alone, as if oomx were not loaded. */
TEST_F_TIMEOUT(oom, disabled_leaves_oom_to_kernel, 300)
{
	static const int adj[3] = { 0, 0, 1 };
	long global = oomx_stat("oom_events_global");
	long memcg = oomx_stat("oom_events_memcg");
	char buf[4096];

	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	ASSERT_EQ(0, oomx_param_write("enabled", "0"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, " active")) TH_LOG("%s", buf);
	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000))
		TH_LOG("the kernel's classic choice was not the victim");
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_EQ(global, oomx_stat("oom_events_global"));
	EXPECT_EQ(memcg, oomx_stat("oom_events_memcg"));
	EXPECT_EQ(self->victims, oomx_stat("victims"));
	ASSERT_EQ(0, oomx_param_write("enabled", "1"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "hook oom_badness active")) TH_LOG("%s", buf);
}

/*
 * Unload while oomx holds a victim it has not reaped yet: the unload
 * returns at once, the kernel's reaper (queued by the kernel's kill)
 * brings the memory back, and nobody else dies.  The victim sleeps in D
 * state, so its memory can come back only through a reaper: its own exit
 * cannot begin (one starved of CPU instead could stall half-way through
 * exit_mmap(), where the stock kernel takes a second task).
 */
TEST_F_TIMEOUT(oom, rmmod_during_oom, 300)
{
	long deadline, want, t0;
	int status = -1;
	pid_t trig;

	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "60000"));
	ASSERT_EQ(0, oomx_param_write("reap_verified_delay_ms", "60000"));
	start_stuck_hogs(_metadata, self);
	want = scene_room_mb(&self->sc) + hog_mb(self, 0);
	trig = fork();
	if (trig == 0)
		_exit(oom_trigger_in(SCENE_WORK, want, 1, 120000));
	ASSERT_GT(trig, 0);
	deadline = oomx_now_ms() + 60000;
	while (oomx_stat("victims") == self->victims && oomx_now_ms() < deadline)
		oomx_sleep_ms(5);
	ASSERT_EQ(self->victims + 1, oomx_stat("victims"));
	t0 = oomx_now_ms();
	ASSERT_EQ(0, oomx_unload());
	/* Not the 60 s oomx was holding the victim for. */
	EXPECT_LT(oomx_now_ms() - t0, 10000) TH_LOG("the unload waited");
	ASSERT_EQ(trig, waitpid(trig, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(pid_alive(self->h[0].pid)) TH_LOG("the victim was not stuck");
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

TEST_F_TIMEOUT(oom, rmmod_right_after_oom, 300)
{
	static const int adj[3] = { 0, 0, 0 };

	start_hogs(_metadata, self, adj, HOG_PLAIN);
	force_oom(_metadata, self, 0);
	ASSERT_EQ(0, oomx_unload());
	ASSERT_TRUE(wait_dead(self->h[0].pid, 20000));
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_TRUE(pid_alive(self->h[2].pid));
	EXPECT_EQ(0, oomx_load(OOM_PARAMS));
}

/*
 * Many victims at once (memory.oom.group) while debugfs is read in a
 * loop: the reaper's queue and the records change under the readers.
 * On the KASAN kernel a use-after-free there is a splat.
 */
static volatile bool readers_stop;

static void *status_reader(void *arg)
{
	static char buf[1 << 17];

	(void)arg;
	while (!readers_stop) {
		oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf));
		oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf));
	}
	return NULL;
}

#define GROUP_N	12

TEST_F_TIMEOUT(oom, many_victims_while_read, 600)
{
	struct hog g[GROUP_N];
	pthread_t reader;
	int round, i, dead;

	ASSERT_EQ(0, oomx_write_file(SCENE_GROUP "/memory.oom.group", "1"));
	readers_stop = false;
	ASSERT_EQ(0, pthread_create(&reader, NULL, status_reader, NULL));
	for (round = 0; round < 3; round++) {
		for (i = 0; i < GROUP_N; i++) {
			g[i] = hog_start(SCENE_GROUP, self->sc.budget_mb * 4 / 100,
					 0, HOG_PLAIN);
			ASSERT_GT(g[i].pid, 0);
		}
		snapshot(self);
		ASSERT_EQ(0, oom_trigger_in(SCENE_WORK, scene_room_mb(&self->sc) +
					    self->sc.budget_mb * 30 / 100,
					    GROUP_N, 120000));
		for (dead = 0, i = 0; i < GROUP_N; i++)
			dead += wait_dead(g[i].pid, 20000);
		EXPECT_EQ(GROUP_N, dead) TH_LOG("round %d", round);
		EXPECT_EQ(self->victims + GROUP_N, oomx_stat("victims"));
		for (i = 0; i < GROUP_N; i++)
			hog_stop(&g[i]);
		reap_children();
	}
	readers_stop = true;
	pthread_join(reader, NULL);
}

/*
 * An OOM notifier ahead of oomx frees memory (virtio_balloon's
 * deflate-on-oom does): the kernel kills nothing, and oomx neither.
 * Global only: memcg OOMs do not run the notifier chain.
 */
#define NOTIFIER_CALLS	"/sys/module/oomx_test/parameters/notifier_calls"
#define BALLOON_FREED	"/sys/module/oomx_test/parameters/balloon_freed_pages"

/*
 * A -1000 allocator that touches memory until the OOM notifier has run
 * (however much the kernel could still reclaim first), then 16 MiB more,
 * well inside the 64 MiB the notifier gave back.  Exit 0 when it did.
 */
static int alloc_past_notifier(long max_mb)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		long i, extra = -1;

		if (set_oom_score_adj(0, -1000))
			_exit(3);
		/* A MiB per mapping: no one mapping beyond what overcommit allows. */
		for (i = 0; i < max_mb && extra; i++) {
			char *p = mmap(NULL, MB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(3);
			touch_mem(p, MB);
			if (extra < 0 && read_long(NOTIFIER_CALLS) > 0)
				extra = 16;
			else if (extra > 0)
				extra--;
		}
		_exit(extra ? 5 : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(notifier) {
	int dummy;
};

FIXTURE_SETUP(notifier)
{
}

FIXTURE_TEARDOWN(notifier)
{
	unload_module("oomx_test");
	oomx_unload();
}

TEST_F_TIMEOUT(notifier, freed_memory_kills_nothing, 300)
{
	long vm, pages = 64 * MB / sysconf(_SC_PAGESIZE);
	const char *rec;
	struct hog h;

	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(OOM_PARAMS));
	ASSERT_EQ(0, load_module(OOMX_TEST_KO, "balloon_mb=64"));
	h = hog_start(NULL, avail_mb() * 40 / 100, 0, HOG_PLAIN);
	ASSERT_GT(h.pid, 0);
	vm = vmstat_oom_kill();
	EXPECT_EQ(0, alloc_past_notifier(avail_mb() + 256))
		TH_LOG("the OOM notifier never ran");
	EXPECT_EQ(vm, vmstat_oom_kill()) TH_LOG("something was killed");
	EXPECT_TRUE(pid_alive(h.pid));
	EXPECT_EQ(pages, read_long(BALLOON_FREED));
	rec = oomx_last_decision();
	EXPECT_STREQ("notifier_freed", oomx_field(rec, "action")) TH_LOG("%s", rec);
	EXPECT_STREQ("-", oomx_field(rec, "victim"));
	EXPECT_EQ(pages, oomx_field_long(rec, "notifier_freed")) TH_LOG("%s", rec);
	EXPECT_EQ(0, oomx_stat("victims"));
	hog_stop(&h);
	EXPECT_EQ(0, unload_module("oomx_test"));
}

TEST_HARNESS_MAIN
