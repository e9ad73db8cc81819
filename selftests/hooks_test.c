// SPDX-License-Identifier: GPL-2.0
/*
 * oomx's probes on the reclaim and OOM path: telemetry stays still when
 * the machine is idle and moves under reclaim, memcg OOMs are counted per
 * cgroup, the decision record carries the reclaim window, and a probe
 * point that is missing (simulated with disable_hooks) disables only its
 * own feature.
 */
#include "oomx_util.h"
#include "kselftest_harness.h"

#define CG "/sys/fs/cgroup/oomx-hooks"

/* "name count=N ..." line of debugfs reclaim: the value of @key there. */
static long reclaim_val(const char *line_name, const char *key)
{
	static char buf[65536];
	char pat[64], *p, *end;

	if (oomx_read_file(OOMX_DEBUGFS "reclaim", buf, sizeof(buf)))
		return -1;
	snprintf(pat, sizeof(pat), "\n%s ", line_name);
	memmove(buf + 1, buf, strlen(buf) + 1);
	buf[0] = '\n';
	p = strstr(buf, pat);
	if (!p)
		return -1;
	end = strchr(p + 1, '\n');
	if (end)
		*end = '\0';
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(p, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* Run @fn in a child placed in cgroup @cg; returns its wait status. */
static int run_in_cgroup(const char *cg, void (*fn)(void))
{
	char procs[128];
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		/* A candidate, unlike the -1000 test process it came from. */
		if (oomx_write_file(procs, "0") || set_oom_score_adj(0, 0))
			_exit(90);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static void alloc_32m(void)
{
	char *p = mmap(NULL, 32 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(91);
	touch_mem(p, 32 * MB);
}

FIXTURE(hooks) {
	int dummy;
};

FIXTURE_SETUP(hooks)
{
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(NULL));
	mkdir(CG, 0755);
}

FIXTURE_TEARDOWN(hooks)
{
	reap_children();
	rmdir(CG);
	oomx_unload();
}

/*
 * __alloc_pages_slowpath() is static and may be inlined (Debian's arm64
 * 6.12 is built that way): there, it must be reported as missing with the
 * one feature it disables.
 */
static bool slowpath_probed(void)
{
	return file_has(OOMX_DEBUGFS "status", "hook __alloc_pages_slowpath active");
}

TEST_F(hooks, probes_active_or_reported)
{
	static const char * const hooks[] = {
		"out_of_memory", "oom_notifier",
		"oom_kill_process", "mark_victim", "mem_cgroup_out_of_memory",
		"try_to_free_pages", "try_to_free_mem_cgroup_pages",
		"psi_memstall_enter", "psi_memstall_leave",
		"mm_vmscan_kswapd_wake", "workingset_refault",
	};
	char buf[4096], want[96];
	size_t i;

	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	for (i = 0; i < ARRAY_SIZE(hooks); i++) {
		snprintf(want, sizeof(want), "hook %s active", hooks[i]);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	}
	/* The candidate hook only where the configuration needs it. */
	if (oomx_classic_scan_idle()) {
		EXPECT_NE(NULL, strstr(buf, "hook oom_badness idle (not needed: the kernel's scan is oomx's selection)"))
			TH_LOG("%s", buf);
	} else {
		EXPECT_NE(NULL, strstr(buf, "hook oom_badness active"))
			TH_LOG("%s", buf);
	}
	EXPECT_NE(NULL, strstr(buf, "selection oomx"));
	if (!slowpath_probed())
		EXPECT_NE(NULL, strstr(buf, "hook __alloc_pages_slowpath missing (-2): no allocation stall telemetry"))
			TH_LOG("%s", buf);
}

TEST_F(hooks, idle_telemetry_stays_still)
{
	long d0 = reclaim_val("direct_reclaim", "count");
	long m0 = reclaim_val("memcg_reclaim", "count");

	ASSERT_GE(d0, 0);
	ASSERT_GE(m0, 0);
	oomx_sleep_ms(2000);
	EXPECT_EQ(d0, reclaim_val("direct_reclaim", "count"));
	EXPECT_EQ(m0, reclaim_val("memcg_reclaim", "count"));
}

/* memory.reclaim runs the kernel's memcg reclaim on a cgroup in use. */
TEST_F(hooks, memcg_reclaim_moves)
{
	long m0 = reclaim_val("memcg_reclaim", "count");
	struct hog h;
	char procs[32];

	h = hog_start(NULL, 8, 0, HOG_PLAIN);
	ASSERT_GT(h.pid, 0);
	snprintf(procs, sizeof(procs), "%d", h.pid);
	ASSERT_EQ(0, oomx_write_file(CG "/cgroup.procs", procs));
	/* Anonymous memory without swap won't go: EAGAIN, but reclaim ran. */
	oomx_write_file(CG "/memory.reclaim", "4M");
	hog_stop(&h);
	EXPECT_GT(reclaim_val("memcg_reclaim", "count"), m0);
	EXPECT_GT(reclaim_val("memcg /oomx-hooks", "reclaim_count"), 0);
}

/*
 * Cgroups come and go; their telemetry slots must not stay taken by the
 * dead, or a host whose containers churn would stop seeing new ones (the
 * early watcher's cgroup triggers read the same slots).  Reclaim runs in
 * 300 cgroups one after another, each removed after it (the table holds
 * 256), then, once the once-a-second sampler has swept, in one more: it
 * is tracked.
 */
TEST_F(hooks, dead_cgroups_free_their_slots)
{
	char cg[96], file[128];
	int i;

	ASSERT_EQ(0, oomx_write_file(CG "/cgroup.subtree_control", "+memory"));
	for (i = 0; i < 300; i++) {
		snprintf(cg, sizeof(cg), CG "/c%d", i);
		ASSERT_EQ(0, mkdir(cg, 0755));
		snprintf(file, sizeof(file), "%s/memory.reclaim", cg);
		/* Nothing to reclaim: EAGAIN, but reclaim ran on it. */
		oomx_write_file(file, "1M");
		ASSERT_EQ(0, rmdir(cg));
	}
	oomx_sleep_ms(3000);
	ASSERT_EQ(0, mkdir(CG "/last", 0755));
	oomx_write_file(CG "/last/memory.reclaim", "1M");
	EXPECT_GT(reclaim_val("memcg /oomx-hooks/last", "reclaim_count"), 0);
	EXPECT_EQ(0, rmdir(CG "/last"));
}

TEST_F(hooks, memcg_oom_counted)
{
	long m0 = reclaim_val("oom_events", "memcg");
	int status;

	ASSERT_EQ(0, oomx_write_file(CG "/memory.max", "16M"));
	ASSERT_EQ(0, oomx_write_file(CG "/memory.swap.max", "0"));
	status = run_in_cgroup(CG, alloc_32m);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_GT(reclaim_val("oom_events", "memcg"), m0);
	EXPECT_GE(reclaim_val("memcg /oomx-hooks", "ooms"), 1);
}

/* A global OOM: direct reclaim moved, and the record says so. */
TEST_F_TIMEOUT(hooks, global_pressure_in_record, 300)
{
	long d0 = reclaim_val("direct_reclaim", "count");
	long avail = avail_mb();
	struct hog h;
	const char *rec;

	/* An OOM's record is the subject: early intervention stays out. */
	ASSERT_EQ(0, oomx_param_write("early", "0"));
	h = hog_start(NULL, avail * 40 / 100, 0, HOG_PLAIN);
	ASSERT_GT(h.pid, 0);
	ASSERT_EQ(0, oom_trigger_in(NULL, avail_mb() + avail * 40 / 100, 1, 120000));
	EXPECT_GT(reclaim_val("direct_reclaim", "count"), d0);
	rec = oomx_last_decision();
	EXPECT_STREQ("kill", oomx_field(rec, "action")) TH_LOG("%s", rec);
	EXPECT_GT(strtol(oomx_field(rec, "direct_reclaims"), NULL, 10), 0) TH_LOG("%s", rec);
	if (slowpath_probed())
		EXPECT_GT(strtol(oomx_field(rec, "slowpath_allocs"), NULL, 10), 0)
			TH_LOG("%s", rec);
	hog_stop(&h);
}

/* Children that each overrun the cgroup's limit and are OOM-killed. */
static pid_t start_memcg_ooms(int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		int i, status, killed = 0;

		for (i = 0; i < n; i++) {
			status = run_in_cgroup(CG, alloc_32m);
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
				killed++;
		}
		_exit(killed == n ? 0 : 1);
	}
	return pid;
}

static void limit_cgroup(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, oomx_write_file(CG "/memory.max", "16M"));
	ASSERT_EQ(0, oomx_write_file(CG "/memory.swap.max", "0"));
}

/* rmmod and insmod, probes armed, while memcg OOMs keep coming. */
TEST_F_TIMEOUT(hooks, rmmod_during_memcg_ooms, 300)
{
	int i, status;
	pid_t ooms;

	limit_cgroup(_metadata);
	ooms = start_memcg_ooms(20);
	ASSERT_GT(ooms, 0);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, oomx_unload());
		oomx_sleep_ms(20);
		ASSERT_EQ(0, oomx_load(NULL));
		oomx_sleep_ms(20);
	}
	ASSERT_EQ(ooms, waitpid(ooms, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("not every memcg OOM ended in a kill");
}

/* A memcg OOM storm and a global OOM at once: each handled, no extra kill. */
TEST_F_TIMEOUT(hooks, memcg_and_global_oom_together, 300)
{
	long avail = avail_mb(), memcg0 = oomx_stat("oom_events_memcg");
	struct hog big, bystander;
	int status;
	pid_t ooms;

	limit_cgroup(_metadata);
	bystander = hog_start(NULL, avail * 5 / 100, 0, HOG_PLAIN);
	big = hog_start(NULL, avail * 40 / 100, 0, HOG_PLAIN);
	ASSERT_GT(big.pid, 0);
	ASSERT_GT(bystander.pid, 0);
	ooms = start_memcg_ooms(10);
	ASSERT_GT(ooms, 0);
	/* vmstat moves with the memcg kills too: stop once the big one died. */
	ASSERT_EQ(0, oom_trigger_until_dead(NULL, avail_mb() + avail * 40 / 100,
					    big.pid, 120000));
	ASSERT_EQ(ooms, waitpid(ooms, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(wait_dead(big.pid, 20000)) TH_LOG("the global OOM's victim lives");
	EXPECT_TRUE(pid_alive(bystander.pid)) TH_LOG("a bystander was killed");
	EXPECT_GE(oomx_stat("oom_events_memcg"), memcg0 + 10);
	EXPECT_GE(reclaim_val("oom_events", "memcg"), 10);
	hog_stop(&bystander);
	hog_stop(&big);
}

/*
 * Without oom_badness() oomx cannot choose: the kernel's own policy
 * stays, entirely (policy=largest notwithstanding), and oomx says so.
 */
/* Load-time cases: each loads oomx its own way; teardown unloads it. */
FIXTURE(degraded) {
	int dummy;
};

FIXTURE_SETUP(degraded)
{
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
}

FIXTURE_TEARDOWN(degraded)
{
	reap_children();
	oomx_unload();
}

TEST_F_TIMEOUT(degraded, missing_candidate_hook_leaves_choice_to_kernel, 300)
{
	long avail;
	struct hog big, small;
	const char *rec;

	ASSERT_EQ(0, oomx_load("disable_hooks=oom_badness policy=largest"));
	EXPECT_TRUE(file_has(OOMX_DEBUGFS "status", "selection kernel"));
	EXPECT_TRUE(file_has(OOMX_DEBUGFS "status",
			     "hook oom_badness missing (-2): no oomx's victim selection"));
	EXPECT_TRUE(dmesg_has("oomx: OOM victims are chosen by the kernel's own policy"));
	avail = avail_mb();
	big = hog_start(NULL, avail * 35 / 100, 0, HOG_PLAIN);
	small = hog_start(NULL, avail * 10 / 100, 1000, HOG_PLAIN);
	ASSERT_GT(big.pid, 0);
	ASSERT_GT(small.pid, 0);
	ASSERT_EQ(0, oom_trigger_in(NULL, avail_mb() + avail * 10 / 100, 1, 120000));
	EXPECT_TRUE(wait_dead(small.pid, 20000)) TH_LOG("not the kernel's choice");
	EXPECT_TRUE(pid_alive(big.pid));
	rec = oomx_last_decision();
	EXPECT_STREQ("unscored", oomx_field(rec, "action")) TH_LOG("%s", rec);
	/* The reaper still works without it. */
	EXPECT_STRNE("none", oomx_field(oomx_settled_decision(10000), "reap"));
	hog_stop(&big);
	hog_stop(&small);
}

TEST_F_TIMEOUT(degraded, missing_probe_degrades_only_its_feature, 300)
{
	char buf[4096];
	long avail, d0, decisions0;
	struct hog h;

	ASSERT_EQ(0, oomx_load("disable_hooks=try_to_free_pages"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "hook try_to_free_pages missing (-2): no direct reclaim telemetry"))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "hook out_of_memory active"));
	EXPECT_NE(NULL, strstr(buf, "hook try_to_free_mem_cgroup_pages active"));
	EXPECT_STREQ("try_to_free_pages", oomx_param_read("disable_hooks"));

	/* OOM handling still works; direct reclaim is not counted. */
	d0 = reclaim_val("direct_reclaim", "count");
	decisions0 = oomx_stat("decisions");
	avail = avail_mb();
	h = hog_start(NULL, avail * 40 / 100, 0, HOG_PLAIN);
	ASSERT_GT(h.pid, 0);
	ASSERT_EQ(0, oom_trigger_in(NULL, avail_mb() + avail * 40 / 100, 1, 120000));
	EXPECT_EQ(decisions0 + 1, oomx_stat("decisions"));
	EXPECT_EQ(d0, reclaim_val("direct_reclaim", "count"));
	hog_stop(&h);
}

TEST_HARNESS_MAIN
