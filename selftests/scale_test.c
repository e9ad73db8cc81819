// SPDX-License-Identifier: GPL-2.0
/*
 * oomx at scale: a global OOM among thousands of processes (the right
 * victim, everyone else alive, the scan's time reported and bounded),
 * and a fork bomb inside a cgroup limited in pids and memory (its OOMs
 * stay inside it, everything outside keeps running, the kernel stays
 * responsive).  oomx.scale_procs= on the kernel command line sets the
 * number of processes (default 2000; scripts/soak.sh runs 10000).
 */
#include <sys/prctl.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

#define BOMB_CG		SCENE_CG "/bomb"
#define BOMB_MB		64
#define BOMB_PIDS	256

FIXTURE(scale) {
	struct scene sc;
	struct hog h[2];
	pid_t *sleepers;
	long nr;
};

FIXTURE_SETUP(scale)
{
	self->h[0] = (struct hog){ -1, -1 };
	self->h[1] = self->h[0];
	self->sleepers = NULL;
	self->nr = 0;
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load("early=0"));
	ASSERT_EQ(0, scene_init(&self->sc, false, 0));
}

FIXTURE_TEARDOWN(scale)
{
	long i;

	if (_metadata->exit_code != KSFT_PASS)
		TH_LOG("record: %s", oomx_last_decision());
	for (i = 0; i < self->nr; i++)
		kill(self->sleepers[i], SIGKILL);
	/* Every one gone before the next case: its cgroup must go too. */
	for (i = 0; i < self->nr; i++)
		waitpid(self->sleepers[i], NULL, 0);
	hog_stop(&self->h[0]);
	hog_stop(&self->h[1]);
	if (access(BOMB_CG, F_OK) == 0)
		oomx_write_file(BOMB_CG "/cgroup.kill", "1");
	reap_children();
	free(self->sleepers);
	rmdir(BOMB_CG);
	oomx_unload();
	scene_rmdir();
}

/* @n processes of oom_score_adj 0 holding next to nothing, in @cg. */
static long start_sleepers(FIXTURE_DATA(scale) *self, const char *cg, long n)
{
	char procs[256];
	long i;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	self->sleepers = calloc(n, sizeof(pid_t));
	if (!self->sleepers)
		return 0;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			ksft_print_msg("fork %ld of %ld: %s, %ld MiB available\n",
				       i + 1, n, strerror(errno), avail_mb());
			break;
		}
		if (!pid) {
			/* Raising one's own oom_score_adj needs no privilege. */
			oomx_write_file("/proc/self/oom_score_adj", "0");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		self->sleepers[self->nr++] = pid;
		write_int(procs, pid);
	}
	return self->nr;
}

static long sleepers_alive(FIXTURE_DATA(scale) *self)
{
	long i, alive = 0;

	for (i = 0; i < self->nr; i++)
		alive += pid_alive(self->sleepers[i]);
	return alive;
}

/*
 * Thousands of candidates, two of them hogs, every one scored by oomx
 * (score_all): the larger hog dies and nobody else, with one kill, and
 * the scan saw them all.  Its time is reported (select_us, decide_us);
 * a second is far above what 10000 candidates cost even under TCG (about
 * 20 ms, bench/), and below what a quadratic walk would take.
 */
TEST_F_TIMEOUT(scale, many_processes_one_kill, 600)
{
	long n = oomx_cmdline_ull("oomx.scale_procs", 2000), vm, want, t0;
	const char *rec;

	/* Every candidate through oomx's policy: the heaviest scan. */
	ASSERT_EQ(0, oomx_param_write("score_all", "1"));
	t0 = oomx_now_ms();
	ASSERT_EQ(n, start_sleepers(self, SCENE_WORK, n));
	ksft_print_msg("%ld processes started in %ld ms, %ld MiB available\n",
		       n, oomx_now_ms() - t0, avail_mb());
	self->sc.budget_mb = avail_mb();
	self->h[0] = hog_start(SCENE_WORK, self->sc.budget_mb * 35 / 100, 0,
			       HOG_PLAIN);
	self->h[1] = hog_start(SCENE_WORK, self->sc.budget_mb * 20 / 100, 0,
			       HOG_PLAIN);
	ASSERT_GT(self->h[0].pid, 0);
	ASSERT_GT(self->h[1].pid, 0);
	vm = vmstat_oom_kill();
	want = scene_room_mb(&self->sc) + self->sc.budget_mb * 35 / 100;
	ASSERT_EQ(0, oom_trigger_in(SCENE_WORK, want, 1, 300000));
	ASSERT_TRUE(wait_dead(self->h[0].pid, 60000));
	rec = oomx_settled_decision(20000);
	ksft_print_msg("scan of %ld candidates: select_us=%ld decide_us=%ld\n",
		       oomx_field_long(rec, "seen"),
		       oomx_field_long(rec, "select_us"),
		       oomx_field_long(rec, "decide_us"));
	EXPECT_TRUE(oomx_field_pid(rec, "victim", self->h[0].pid)) TH_LOG("%s", rec);
	EXPECT_GE(oomx_field_long(rec, "seen"), n) TH_LOG("%s", rec);
	EXPECT_LT(oomx_field_long(rec, "decide_us"), 1000000) TH_LOG("%s", rec);
	EXPECT_TRUE(pid_alive(self->h[1].pid));
	EXPECT_EQ(n, sleepers_alive(self));
	EXPECT_EQ(vm + 1, vmstat_oom_kill());
}

/* Fork, and in each child touch 1 MiB, until killed. */
static void bomb(void)
{
	for (;;) {
		char *p;

		if (fork() < 0) {
			oomx_sleep_ms(10);
			continue;
		}
		p = malloc(MB);
		if (p)
			touch_mem(p, MB);
	}
}

/*
 * A fork bomb in a cgroup of 256 pids and 64 MiB: its memory cgroup
 * OOMs, over and over, kill only its own processes; a process outside
 * keeps getting the CPU (worst wake-up reported), nothing outside dies,
 * and oomx records the memcg events.  Then cgroup.kill ends it.
 */
TEST_F_TIMEOUT(scale, fork_bomb_stays_in_its_cgroup, 300)
{
	long vm, kills, ooms, ev, worst = 0, t, t0, late;
	char events[128];
	pid_t pid;

	ASSERT_EQ(0, oomx_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+pids"));
	ASSERT_EQ(0, oomx_write_file(SCENE_CG "/cgroup.subtree_control", "+pids"));
	ASSERT_EQ(0, mkdir(BOMB_CG, 0755));
	ASSERT_EQ(0, write_int(BOMB_CG "/memory.max", BOMB_MB * MB));
	oomx_write_file(BOMB_CG "/memory.swap.max", "0");
	ASSERT_EQ(0, write_int(BOMB_CG "/pids.max", BOMB_PIDS));
	ASSERT_EQ(50, start_sleepers(self, SCENE_WORK, 50));
	vm = vmstat_oom_kill();
	ev = oomx_stat("oom_events_memcg");
	/* The bomb's orphans come back to this process, which reaps them. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		oomx_write_file("/proc/self/oom_score_adj", "0");
		if (write_int(BOMB_CG "/cgroup.procs", getpid()))
			_exit(1);
		bomb();
	}
	/* 20 s of it; this process, outside, sleeps 100 ms at a time. */
	t0 = oomx_now_ms();
	while ((t = oomx_now_ms()) < t0 + 20000) {
		oomx_sleep_ms(100);
		late = oomx_now_ms() - t - 100;
		if (late > worst)
			worst = late;
		reap_children();
	}
	kills = cg_events(BOMB_CG, "oom_kill");
	ooms = cg_events(BOMB_CG, "oom");
	ksft_print_msg("20 s of fork bomb: %ld memcg OOMs, %ld kills in it, worst wake-up outside %ld ms\n",
		       ooms, kills, worst);
	EXPECT_GT(kills, 0);
	EXPECT_EQ(vm + kills, vmstat_oom_kill()) TH_LOG("kills outside the bomb");
	EXPECT_GT(oomx_stat("oom_events_memcg"), ev);
	EXPECT_EQ(50, sleepers_alive(self));
	EXPECT_LT(worst, 5000);
	ASSERT_EQ(0, oomx_write_file(BOMB_CG "/cgroup.kill", "1"));
	t0 = oomx_now_ms();
	snprintf(events, sizeof(events), "%s/cgroup.events", BOMB_CG);
	while (oomx_keyed(events, "populated") != 0 && oomx_now_ms() < t0 + 30000) {
		oomx_sleep_ms(100);
		reap_children();
	}
	reap_children();
	EXPECT_EQ(0, rmdir(BOMB_CG)) TH_LOG("the bomb's cgroup did not empty");
	EXPECT_EQ(50, sleepers_alive(self));
}

/* The harness's timeout, from the number of processes asked for. */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1))) scale_timeouts(void)
{
	long n = oomx_cmdline_ull("oomx.scale_procs", 2000);

	_scale_many_processes_one_kill_object->timeout = 300 + n / 10;
}

TEST_HARNESS_MAIN
