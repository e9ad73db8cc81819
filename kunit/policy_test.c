// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for oomx's pure policy: scoring under every policy and its
 * relation to the kernel's oom_badness(), selection (ties, adj extremes,
 * the classic choice kept beside oomx's), OOM event classification, reap
 * timing, the page set the reaper keeps, the robust futex list walk over
 * a fake address space, parameter checks, and the operator's rules
 * (parsing every selector form, precedence, and tiers in the selection).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/slab.h>

/* The code under test, compiled into this module. */
#include "../policy.c"
#include "../rules.c"

#define TOTAL	262144UL	/* 1 GiB of 4 KiB pages */
#define PG	4096UL

static struct oomx_cand cand(int pid, unsigned long mem, short adj)
{
	return (struct oomx_cand){
		.pid = pid, .mem = mem, .adj = adj,
		.classic = oomx_classic_points(mem, adj, TOTAL),
	};
}

/* ---- scoring ---- */

/*
 * Unless ->raw, a case's candidate gets the classic points oom_badness()
 * would give it; raw cases set ->classic themselves (LONG_MIN, LONG_MAX).
 */
struct score_case {
	const char *name;
	enum oomx_policy policy;
	struct oomx_cand c;
	bool raw;
	long want;
};

#define C(m, a) .mem = (m), .adj = (a)

static const struct score_case score_cases[] = {
	{ "classic: the kernel's value", OOMX_POLICY_CLASSIC, { C(1203, 0) }, false, 1203 },
	{ "classic: adj +500", OOMX_POLICY_CLASSIC, { C(1000, 500) }, false, 1000 + 262 * 500 },
	{ "classic: adj -999 may go negative", OOMX_POLICY_CLASSIC,
	  { C(1000, -999) }, false, 1000 - 262 * 999 },
	{ "classic: adj -1000 never", OOMX_POLICY_CLASSIC,
	  { .mem = 1UL << 40, .adj = -1000 }, false, LONG_MIN },
	{ "classic: the kernel's LONG_MIN is never", OOMX_POLICY_CLASSIC,
	  { .mem = 5, .classic = LONG_MIN }, true, LONG_MIN },
	{ "classic: stays below an origin task's LONG_MAX", OOMX_POLICY_CLASSIC,
	  { .mem = 5, .classic = LONG_MAX }, true, LONG_MAX - 1 },
	{ "classic: kernel thread never", OOMX_POLICY_CLASSIC,
	  { C(5000, 0), .flags = OOMX_CAND_UNKILLABLE }, false, LONG_MIN },
	{ "classic: no mm never", OOMX_POLICY_CLASSIC,
	  { .flags = OOMX_CAND_NO_MM }, false, LONG_MIN },
	{ "classic: in vfork never", OOMX_POLICY_CLASSIC,
	  { C(5000, 0), .flags = OOMX_CAND_VFORK }, false, LONG_MIN },
	{ "classic: reaped mm never", OOMX_POLICY_CLASSIC,
	  { C(5000, 0), .flags = OOMX_CAND_MM_SKIP }, false, LONG_MIN },
	{ "largest: adj ignored", OOMX_POLICY_LARGEST, { C(1005, 1000) }, false, 1005 },
	{ "largest: adj -999 ignored", OOMX_POLICY_LARGEST, { C(1000, -999) }, false, 1000 },
	{ "largest: adj -1000 never", OOMX_POLICY_LARGEST,
	  { .mem = 1000, .adj = -1000 }, false, LONG_MIN },
	{ "largest: huge memory saturates below LONG_MAX", OOMX_POLICY_LARGEST,
	  { .mem = ULONG_MAX }, false, LONG_MAX - 1 },
	{ "adj_first: adj 0 scores its memory, as the kernel", OOMX_POLICY_ADJ_FIRST,
	  { C(3, 0) }, false, 3 },
	{ "adj_first: +1 is a tier above any memory", OOMX_POLICY_ADJ_FIRST,
	  { C(3, 1) }, false, (1L << 44) + 3 },
	{ "adj_first: memory capped below next tier", OOMX_POLICY_ADJ_FIRST,
	  { .mem = ULONG_MAX, .adj = -999 }, false,
	  -999L * (1L << 44) + ((1L << 44) - 1) },
	{ "adj_first: top tier below LONG_MAX", OOMX_POLICY_ADJ_FIRST,
	  { .mem = ULONG_MAX, .adj = 1000 }, false,
	  1000L * (1L << 44) + ((1L << 44) - 1) },
	{ "growth: classic plus the gain", OOMX_POLICY_GROWTH,
	  { C(1000, 0), .growth = 500 }, false, 1500 },
	{ "growth: adj counts as in classic", OOMX_POLICY_GROWTH,
	  { C(1000, 500), .growth = 7 }, false, 1007 + 262 * 500 },
	{ "growth: shrinking is no bonus and no penalty", OOMX_POLICY_GROWTH,
	  { C(1000, 0), .growth = -900 }, false, 1000 },
	{ "growth: saturates below LONG_MAX", OOMX_POLICY_GROWTH,
	  { .mem = 5, .classic = LONG_MAX - 3, .growth = 100 }, true, LONG_MAX - 1 },
	{ "growth: adj -1000 never", OOMX_POLICY_GROWTH,
	  { .mem = 1000, .adj = -1000, .growth = 1L << 40 }, false, LONG_MIN },
	{ "cgroup_first: group high, classic + total low", OOMX_POLICY_CGROUP_FIRST,
	  { C(1000, 0), .group_mem = 3 }, false,
	  (1L << 59) + (3L << 30) + 1000 + (long)TOTAL },
	{ "cgroup_first: no group, classic order", OOMX_POLICY_CGROUP_FIRST,
	  { C(1000, -999) }, false, (1L << 59) + 1000 - 262 * 999 + (long)TOTAL },
	{ "cgroup_first: adj -1000 never", OOMX_POLICY_CGROUP_FIRST,
	  { .mem = 1000, .adj = -1000, .group_mem = 1UL << 20 }, false, LONG_MIN },
	{ "cgroup_first: huge group stays in the normal tier", OOMX_POLICY_CGROUP_FIRST,
	  { C(0, 0), .group_mem = ULONG_MAX }, false,
	  (1L << 59) + (long)(((1UL << 29) - 1) << 30) + (long)TOTAL },
	{ "unknown policy never", OOMX_POLICY_NR, { C(5, 0) }, false, LONG_MIN },
};

static void score_case_desc(const struct score_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(score, score_cases, score_case_desc);

static void oomx_score_test(struct kunit *test)
{
	const struct score_case *sc = test->param_value;
	struct oomx_cand c = sc->c;

	if (!sc->raw)
		c.classic = oomx_classic_points(c.mem, c.adj, TOTAL);
	KUNIT_EXPECT_EQ(test, oomx_score(&c, sc->policy, TOTAL), sc->want);
}

/* oom_badness(): mem + adj * (totalpages / 1000), and back. */
struct classic_case {
	unsigned long mem;
	short adj;
	unsigned long total;
};

static const struct classic_case classic_cases[] = {
	{ 0, 0, TOTAL }, { 1203, 0, TOTAL }, { 1000, 500, TOTAL },
	{ 10, 1000, TOTAL }, { 1000, -999, TOTAL }, { 7, 1000, 999 },
	{ 1UL << 40, -500, 1UL << 41 }, { 123456, 1, 1000 },
};

static void classic_case_desc(const struct classic_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "mem=%lu adj=%d total=%lu",
		 c->mem, c->adj, c->total);
}

KUNIT_ARRAY_PARAM(classic, classic_cases, classic_case_desc);

static void classic_roundtrip_test(struct kunit *test)
{
	const struct classic_case *c = test->param_value;
	long points = oomx_classic_points(c->mem, c->adj, c->total);

	KUNIT_EXPECT_EQ(test, points,
			(long)c->mem + (long)c->adj * (long)(c->total / 1000));
	KUNIT_EXPECT_EQ(test, oomx_mem_from_classic(points, c->adj, c->total),
			c->mem);
}

/* Under @p, does any task get another score than the kernel's? */
static bool any_rescored(enum oomx_policy p)
{
	static const short adjs[] = { -1000, -1, 0, 1, 1000 };
	static const long growths[] = { -40, 0, 1, 1L << 40 };
	unsigned int a, g;

	for (a = 0; a < ARRAY_SIZE(adjs); a++)
		for (g = 0; g < ARRAY_SIZE(growths); g++)
			if (oomx_policy_rescores(p, adjs[a], growths[g]))
				return true;
	return false;
}

/*
 * When may the candidate probe stay idle?  Only where no candidate's
 * score can differ from the kernel's and nothing asks to see them all.
 */
static void scan_needs_oomx(struct kunit *test)
{
	static const unsigned long slack[] = {
		0, 256, OOMX_SLACK_MATERIAL - 1, OOMX_SLACK_MATERIAL, ULONG_MAX,
	};
	struct oomx_scan_config n = {};
	unsigned int s, r;
	int p;

	for (p = 0; p < OOMX_POLICY_NR; p++) {
		for (r = 0; r < 4 * ARRAY_SIZE(slack); r++) {
			bool idle;

			n.policy = p;
			n.rules = r & 1;
			n.score_all = r & 2;
			s = r / 4;
			n.slack_max = slack[s];
			idle = p == OOMX_POLICY_CLASSIC && !(r & 3) &&
			       slack[s] < OOMX_SLACK_MATERIAL;
			KUNIT_EXPECT_EQ_MSG(test, oomx_scan_needs_oomx(&n), !idle,
					    "policy %d rules %u score_all %u slack %lu",
					    p, r & 1, !!(r & 2), slack[s]);
			/* Idle only where the policy leaves every score alone. */
			if (idle)
				KUNIT_EXPECT_FALSE(test, any_rescored(p));
		}
	}
}

/* Which candidates need oomx's score handed back to the kernel. */
static void policy_rescores(struct kunit *test)
{
	struct oomx_cand c = cand(1, 5000, 0);
	int p;

	KUNIT_EXPECT_FALSE(test, oomx_policy_rescores(OOMX_POLICY_CLASSIC, 500, 9));
	KUNIT_EXPECT_FALSE(test, oomx_policy_rescores(OOMX_POLICY_LARGEST, 0, 9));
	KUNIT_EXPECT_TRUE(test, oomx_policy_rescores(OOMX_POLICY_LARGEST, -1, 0));
	KUNIT_EXPECT_FALSE(test, oomx_policy_rescores(OOMX_POLICY_ADJ_FIRST, 0, 9));
	KUNIT_EXPECT_TRUE(test, oomx_policy_rescores(OOMX_POLICY_ADJ_FIRST, 1, 0));
	/* growth: only a task that grew; a shrinking one keeps its classic. */
	KUNIT_EXPECT_FALSE(test, oomx_policy_rescores(OOMX_POLICY_GROWTH, 300, 0));
	KUNIT_EXPECT_FALSE(test, oomx_policy_rescores(OOMX_POLICY_GROWTH, 0, -40));
	KUNIT_EXPECT_TRUE(test, oomx_policy_rescores(OOMX_POLICY_GROWTH, 0, 1));
	KUNIT_EXPECT_TRUE(test, oomx_policy_rescores(OOMX_POLICY_CGROUP_FIRST, 0, 0));
	/* Where it does not rescore, the kernel's value is the policy's. */
	for (p = 0; p < OOMX_POLICY_NR; p++) {
		c.growth = 0;
		if (!oomx_policy_rescores(p, 0, c.growth))
			KUNIT_EXPECT_EQ(test, oomx_score(&c, p, TOTAL), c.classic);
		c.growth = -40;
		if (!oomx_policy_rescores(p, 0, c.growth))
			KUNIT_EXPECT_EQ(test, oomx_score(&c, p, TOTAL), c.classic);
		c.adj = 300;
		c.classic = oomx_classic_points(c.mem, c.adj, TOTAL);
		if (!oomx_policy_rescores(p, c.adj, c.growth))
			KUNIT_EXPECT_EQ(test, oomx_score(&c, p, TOTAL), c.classic);
		c = cand(1, 5000, 0);
	}
}

static void classic_edges(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, oomx_classic_points(5, -1000, TOTAL), LONG_MIN);
	/* Overflow saturates instead of wrapping into a tiny score. */
	KUNIT_EXPECT_EQ(test, oomx_classic_points(ULONG_MAX, 1000, ULONG_MAX),
			LONG_MAX);
	KUNIT_EXPECT_EQ(test, oomx_classic_points(0, -999, ULONG_MAX),
			LONG_MIN + 1);
	/* An adj that changed under the kernel's read never goes negative. */
	KUNIT_EXPECT_EQ(test, oomx_mem_from_classic(100, 1000, TOTAL), 0UL);
}

/* ---- selection ---- */

/* struct oomx_sel is too big for a KUnit test's stack frame. */
static struct oomx_sel *new_sel(struct kunit *test)
{
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sel);
	return sel;
}

static void select_largest_wins(struct kunit *test)
{
	struct oomx_cand c[] = { cand(10, 100, 0), cand(11, 300, 0), cand(12, 200, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_ASSERT_TRUE(test, sel->have_best);
	KUNIT_EXPECT_EQ(test, sel->best.pid, 11);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 11);
	KUNIT_EXPECT_EQ(test, sel->nr_eligible, 3U);
	KUNIT_ASSERT_EQ(test, sel->nr_top, 3U);
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, 11);
	KUNIT_EXPECT_EQ(test, sel->top[1].pid, 12);
	KUNIT_EXPECT_EQ(test, sel->top[2].pid, 10);
}

static void select_tie_later_wins(struct kunit *test)
{
	/* oom_evaluate_task() replaces the choice unless points are lower. */
	struct oomx_cand c[] = { cand(20, 500, 0), cand(21, 500, 0), cand(22, 10, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 21);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 21);
	/* The list keeps equal scores in scan order. */
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, 20);
	KUNIT_EXPECT_EQ(test, sel->top[1].pid, 21);
}

static void select_ties_cost_nothing_once_full(struct kunit *test)
{
	struct oomx_sel *sel = new_sel(test);
	struct oomx_cand c;
	int i;

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 3);
	for (i = 0; i < 1000; i++) {
		c = cand(1000 + i, 77, 0);
		oomx_sel_offer(sel, &c, NULL, NULL);
	}
	KUNIT_EXPECT_EQ(test, sel->nr_top, 3U);
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, 1000);
	KUNIT_EXPECT_EQ(test, sel->top[2].pid, 1002);
	KUNIT_EXPECT_EQ(test, sel->best.pid, 1999);
	KUNIT_EXPECT_EQ(test, sel->nr_seen, 1000U);
}

static void select_adj_min_spares_largest(struct kunit *test)
{
	struct oomx_cand c[] = { cand(30, 900, -1000), cand(31, 400, 0), cand(32, 100, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_LARGEST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 31);
	KUNIT_EXPECT_EQ(test, sel->nr_eligible, 2U);
	KUNIT_EXPECT_EQ(test, sel->nr_seen, 3U);
}

static void select_policy_differs_from_classic(struct kunit *test)
{
	struct oomx_cand c[] = { cand(40, 90000, 0), cand(41, 100, 1000), cand(42, 50000, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 41);

	/* largest ignores the bias; the classic choice is still known */
	oomx_sel_init(sel, OOMX_POLICY_LARGEST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 40);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 41);
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, 40);
}

static void select_adj_first_tiers(struct kunit *test)
{
	struct oomx_cand c[] = { cand(50, 90000, 0), cand(51, 10, 300), cand(52, 20, 300) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_ADJ_FIRST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 52);
	KUNIT_EXPECT_EQ(test, sel->top[2].pid, 50);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 50);
}

static void select_empty_and_unkillable(struct kunit *test)
{
	struct oomx_cand c[] = { cand(1, 100, 0), cand(2, 900, 0), cand(3, 50, -1000) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, NULL, 0);
	KUNIT_EXPECT_FALSE(test, sel->have_best);
	KUNIT_EXPECT_EQ(test, sel->nr_top, 0U);

	c[0].flags = OOMX_CAND_UNKILLABLE;
	c[1].flags = OOMX_CAND_NO_MM;
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_FALSE(test, sel->have_best);
	KUNIT_EXPECT_EQ(test, sel->nr_seen, 3U);
	KUNIT_EXPECT_EQ(test, sel->nr_eligible, 0U);
}

static void select_top_truncates(struct kunit *test)
{
	struct oomx_cand c[20];
	struct oomx_sel *sel = new_sel(test);
	int i;

	for (i = 0; i < 20; i++)
		c[i] = cand(100 + i, (i * 7919) % 20 + 1, 0);
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 3);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_ASSERT_EQ(test, sel->nr_top, 3U);
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, sel->best.pid);
	KUNIT_EXPECT_GE(test, sel->top[0].points, sel->top[1].points);
	KUNIT_EXPECT_GE(test, sel->top[1].points, sel->top[2].points);
	KUNIT_EXPECT_EQ(test, sel->top[0].points, 20L);
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 1000);
	KUNIT_EXPECT_EQ(test, sel->top_max, (unsigned int)OOMX_TOP_MAX);
}

/* ---- OOM event classification ---- */

struct action_case {
	const char *name;
	struct oomx_event_facts f;
	enum oomx_action want;
};

#define KILLED .reached_kill = true, .scored_all = true, .progress = true
static const struct action_case action_cases[] = {
	{ "kill", { .gfp_fs = true, KILLED }, OOMX_ACT_KILL },
	{ "memcg kill", { .memcg = true, KILLED }, OOMX_ACT_KILL },
	{ "dry run", { .gfp_fs = true, .dry_run = true, KILLED }, OOMX_ACT_DRY_RUN },
	{ "a candidate missed", { .gfp_fs = true, .reached_kill = true,
	  .progress = true }, OOMX_ACT_UNSCORED },
	{ "allocating task", { .gfp_fs = true, .kill_allocating = true, KILLED },
	  OOMX_ACT_ALLOCATING },
	{ "notifier freed", { .gfp_fs = true, .notifier_freed = true,
	  .progress = true }, OOMX_ACT_NOTIFIER_FREED },
	{ "sysrq ignores notifiers", { .gfp_fs = true, .sysrq = true,
	  .notifier_freed = true, KILLED }, OOMX_ACT_KILL },
	{ "memcg has no notifiers", { .memcg = true, .notifier_freed = true, KILLED },
	  OOMX_ACT_KILL },
	{ "current exiting", { .gfp_fs = true, .current_marked = true,
	  .progress = true }, OOMX_ACT_EXITING },
	{ "nofs", { .progress = true }, OOMX_ACT_NOFS },
	{ "memcg nofs still selects", { .memcg = true, KILLED }, OOMX_ACT_KILL },
	{ "victim in flight", { .gfp_fs = true, .progress = true }, OOMX_ACT_IN_FLIGHT },
	{ "a victim in flight the scan missed", { .memcg = true, .redirected = true,
	  KILLED }, OOMX_ACT_IN_FLIGHT },
	{ "nothing killable", { .gfp_fs = true }, OOMX_ACT_NO_VICTIM },
	{ "memcg nothing killable", { .memcg = true }, OOMX_ACT_NO_VICTIM },
};

static void action_case_desc(const struct action_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(action, action_cases, action_case_desc);

static void oomx_action_test(struct kunit *test)
{
	const struct action_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, oomx_event_action(&c->f), c->want);
}

static void action_names(struct kunit *test)
{
	int i;

	for (i = 0; i < OOMX_ACT_NR; i++)
		KUNIT_EXPECT_STRNEQ(test, oomx_action_name(i), "unknown");
	KUNIT_EXPECT_STREQ(test, oomx_action_name(OOMX_ACT_NR), "unknown");
	KUNIT_EXPECT_STREQ(test, oomx_robust_name(OOMX_ROBUST_NR), "unknown");
}

/* ---- reaping ---- */

static void reap_due(struct kunit *test)
{
	u64 t = 5 * NSEC_PER_SEC;

	KUNIT_EXPECT_EQ(test, oomx_reap_due_ns(t, OOMX_ROBUST_UNKNOWN, 2000, 0),
			t + 2000 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, oomx_reap_due_ns(t, OOMX_ROBUST_NONE, 2000, 0), t);
	KUNIT_EXPECT_EQ(test, oomx_reap_due_ns(t, OOMX_ROBUST_KEPT, 2000, 50),
			t + 50 * NSEC_PER_MSEC);
	KUNIT_EXPECT_EQ(test, oomx_check_reap_delays(2000, 2000), 0);
	KUNIT_EXPECT_EQ(test, oomx_check_reap_delays(2000, 0), 0);
	KUNIT_EXPECT_EQ(test, oomx_check_reap_delays(100, 101), -EINVAL);
}

static void pageset_add(struct kunit *test)
{
	struct oomx_pageset *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	oomx_pageset_init(s);
	KUNIT_EXPECT_TRUE(test, oomx_pageset_add(s, 5 * PG + 17, PG));
	KUNIT_EXPECT_TRUE(test, oomx_pageset_add(s, 2 * PG, PG));
	KUNIT_EXPECT_TRUE(test, oomx_pageset_add(s, 5 * PG + 4000, PG));
	KUNIT_ASSERT_EQ(test, s->nr, 2U);
	KUNIT_EXPECT_EQ(test, s->page[0], 2 * PG);
	KUNIT_EXPECT_EQ(test, s->page[1], 5 * PG);
	for (i = 0; i < 100; i++)
		oomx_pageset_add(s, (100 + i) * PG, PG);
	KUNIT_EXPECT_EQ(test, s->nr, (unsigned int)OOMX_KEEP_MAX);
	KUNIT_EXPECT_TRUE(test, s->overflow);
}

/* The gaps oomx_pageset_next_gap() yields over [lo, hi), top-down. */
static unsigned int gaps(const struct oomx_pageset *s, unsigned long lo,
			 unsigned long hi, unsigned long *out)
{
	unsigned long cursor = hi, a, b;
	unsigned int n = 0;

	while (oomx_pageset_next_gap(s, lo, PG, &cursor, &a, &b)) {
		out[n++] = a;
		out[n++] = b;
	}
	return n / 2;
}

static void pageset_gaps(struct kunit *test)
{
	struct oomx_pageset *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned long g[16];

	KUNIT_ASSERT_NOT_NULL(test, s);
	oomx_pageset_init(s);
	/* Nothing kept: the whole range, once. */
	KUNIT_ASSERT_EQ(test, gaps(s, 10 * PG, 20 * PG, g), 1U);
	KUNIT_EXPECT_EQ(test, g[0], 10 * PG);
	KUNIT_EXPECT_EQ(test, g[1], 20 * PG);

	/* One page in the middle: above it, then below it. */
	oomx_pageset_add(s, 14 * PG, PG);
	KUNIT_ASSERT_EQ(test, gaps(s, 10 * PG, 20 * PG, g), 2U);
	KUNIT_EXPECT_EQ(test, g[0], 15 * PG);
	KUNIT_EXPECT_EQ(test, g[1], 20 * PG);
	KUNIT_EXPECT_EQ(test, g[2], 10 * PG);
	KUNIT_EXPECT_EQ(test, g[3], 14 * PG);

	/* Kept pages at both edges and two adjacent ones. */
	oomx_pageset_add(s, 10 * PG, PG);
	oomx_pageset_add(s, 19 * PG, PG);
	oomx_pageset_add(s, 15 * PG, PG);
	KUNIT_ASSERT_EQ(test, gaps(s, 10 * PG, 20 * PG, g), 2U);
	KUNIT_EXPECT_EQ(test, g[0], 16 * PG);
	KUNIT_EXPECT_EQ(test, g[1], 19 * PG);
	KUNIT_EXPECT_EQ(test, g[2], 11 * PG);
	KUNIT_EXPECT_EQ(test, g[3], 14 * PG);

	/* Kept pages outside the range change nothing. */
	KUNIT_ASSERT_EQ(test, gaps(s, 30 * PG, 40 * PG, g), 1U);
	KUNIT_EXPECT_EQ(test, g[0], 30 * PG);
	KUNIT_EXPECT_EQ(test, g[1], 40 * PG);

	/* A one-page range that is kept: nothing to unmap. */
	KUNIT_EXPECT_EQ(test, gaps(s, 14 * PG, 15 * PG, g), 0U);
}

/* ---- robust futex lists over a fake address space ---- */

#define FAKE_BASE	(0x100000UL)
#define FAKE_PAGES	8

struct fake_mm {
	u8 mem[FAKE_PAGES * PG];
	unsigned long absent;		/* bitmap of pages that would fault */
	unsigned long shared;		/* bitmap of pages the reaper skips */
};

static int fake_read(void *ctx, unsigned long addr, void *buf, size_t len)
{
	struct fake_mm *f = ctx;
	unsigned long a;

	if (addr < FAKE_BASE || addr + len > FAKE_BASE + sizeof(f->mem))
		return -EFAULT;
	for (a = addr; a < addr + len; a++)
		if (f->absent & BIT((a - FAKE_BASE) / PG))
			return -EFAULT;
	memcpy(buf, f->mem + (addr - FAKE_BASE), len);
	return 0;
}

static bool fake_reapable(void *ctx, unsigned long addr)
{
	struct fake_mm *f = ctx;

	return addr >= FAKE_BASE && addr < FAKE_BASE + sizeof(f->mem) &&
	       !(f->shared & BIT((addr - FAKE_BASE) / PG));
}

/* A top-byte tag, as arm64's TBI lets user pointers carry. */
#define TAG	(0x5aUL << 56)

static unsigned long fake_untag(void *ctx, unsigned long addr)
{
	return addr & ~(0xffUL << 56);
}

static int fake_read_tagged(void *ctx, unsigned long addr, void *buf, size_t len)
{
	return fake_read(ctx, fake_untag(ctx, addr), buf, len);
}

static const struct oomx_robust_ops fake_ops = {
	.read = fake_read_tagged,
	.reapable = fake_reapable,
	.untag = fake_untag,
	.page_size = PG,
};

static void put64(struct fake_mm *f, unsigned long addr, u64 v)
{
	memcpy(f->mem + (addr - FAKE_BASE), &v, sizeof(v));
}

static void put32(struct fake_mm *f, unsigned long addr, u32 v)
{
	memcpy(f->mem + (addr - FAKE_BASE), &v, sizeof(v));
}

#define HEAD	(FAKE_BASE + 1 * PG + 64)	/* in page 1 */
#define OFF	16				/* futex word after the entry */

static void head64(struct fake_mm *f, unsigned long first, long off,
		   unsigned long pending)
{
	put64(f, HEAD, first);
	put64(f, HEAD + 8, off);
	put64(f, HEAD + 16, pending);
}

struct walk_env {
	struct fake_mm *f;
	struct oomx_pageset *keep;
	unsigned int budget;
	bool found;
};

static struct walk_env *walk_env(struct kunit *test)
{
	struct walk_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->f = kunit_kzalloc(test, sizeof(*e->f), GFP_KERNEL);
	e->keep = kunit_kzalloc(test, sizeof(*e->keep), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e->f);
	KUNIT_ASSERT_NOT_NULL(test, e->keep);
	oomx_pageset_init(e->keep);
	e->budget = 4096;
	return e;
}

static int walk(struct walk_env *e, unsigned long head, unsigned int ptr)
{
	return oomx_robust_walk(&fake_ops, e->f, head, ptr, e->keep,
				&e->budget, &e->found);
}

static void robust_empty_list(struct kunit *test)
{
	struct walk_env *e = walk_env(test);

	head64(e->f, HEAD, 0, 0);	/* list.next points at itself */
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_EXPECT_FALSE(test, e->found);
	KUNIT_EXPECT_EQ(test, e->keep->nr, 0U);
}

static void robust_one_entry(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 3 * PG + 128;

	/* The PI bit in the pointer is masked off, as the kernel does. */
	head64(e->f, entry | 1, OFF, 0);
	put64(e->f, entry, HEAD | 1);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_EXPECT_TRUE(test, e->found);
	/* The head's page and the entry's (its futex word shares it). */
	KUNIT_ASSERT_EQ(test, e->keep->nr, 2U);
	KUNIT_EXPECT_EQ(test, e->keep->page[0], FAKE_BASE + 1 * PG);
	KUNIT_EXPECT_EQ(test, e->keep->page[1], FAKE_BASE + 3 * PG);
	KUNIT_EXPECT_EQ(test, e->budget, 4095U);
}

static void robust_futex_word_elsewhere(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 3 * PG + 128;

	head64(e->f, entry, 2 * PG, 0);		/* the word two pages on */
	put64(e->f, entry, HEAD);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_ASSERT_EQ(test, e->keep->nr, 3U);
	KUNIT_EXPECT_EQ(test, e->keep->page[2], FAKE_BASE + 5 * PG);
}

static void robust_shared_memory_not_kept(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 6 * PG;

	/* A process-shared mutex: the reaper never unmaps shared pages. */
	e->f->shared = BIT(6);
	head64(e->f, entry, OFF, 0);
	put64(e->f, entry, HEAD);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_EXPECT_TRUE(test, e->found);
	KUNIT_ASSERT_EQ(test, e->keep->nr, 1U);
	KUNIT_EXPECT_EQ(test, e->keep->page[0], FAKE_BASE + 1 * PG);
}

static void robust_pending_only(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long pending = FAKE_BASE + 4 * PG + 8;

	head64(e->f, HEAD, OFF, pending);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_EXPECT_TRUE(test, e->found);
	KUNIT_ASSERT_EQ(test, e->keep->nr, 2U);
	KUNIT_EXPECT_EQ(test, e->keep->page[1], FAKE_BASE + 4 * PG);
}

static void robust_unreadable(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 3 * PG;

	head64(e->f, entry, OFF, 0);
	put64(e->f, entry, HEAD);
	e->f->absent = BIT(3);		/* swapped out: reading would fault */
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), -EFAULT);
	e->f->absent = BIT(1);		/* the head itself */
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), -EFAULT);
}

static void robust_cycle_hits_budget(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long a = FAKE_BASE + 3 * PG, b = FAKE_BASE + 3 * PG + 64;

	head64(e->f, a, OFF, 0);
	put64(e->f, a, b);
	put64(e->f, b, a);		/* never gets back to the head */
	e->budget = 100;
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), -E2BIG);
	/* With a budget above the kernel's limit, the limit ends the walk. */
	e->budget = 4096;
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_EXPECT_EQ(test, e->budget, 4096U - OOMX_ROBUST_LIST_LIMIT);
}

static void robust_too_many_pages(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 3 * PG;
	int i;

	for (i = 0; i < OOMX_KEEP_MAX; i++)
		oomx_pageset_add(e->keep, 0x900000 + i * PG, PG);
	head64(e->f, entry, OFF, 0);
	put64(e->f, entry, HEAD);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), -E2BIG);
}

static void robust_tagged_pointers(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long entry = FAKE_BASE + 3 * PG + 128;

	/* A tagged mutex address: its page is still found, and kept. */
	head64(e->f, entry | TAG, OFF, 0);
	put64(e->f, entry, HEAD);
	KUNIT_EXPECT_EQ(test, walk(e, HEAD, 8), 0);
	KUNIT_ASSERT_EQ(test, e->keep->nr, 2U);
	KUNIT_EXPECT_EQ(test, e->keep->page[1], FAKE_BASE + 3 * PG);
}

static void robust_compat_list(struct kunit *test)
{
	struct walk_env *e = walk_env(test);
	unsigned long head = FAKE_BASE + 2 * PG, entry = FAKE_BASE + 5 * PG + 64;

	/* 32-bit layout, and a negative futex offset (-64: page 5 still). */
	put32(e->f, head, entry);
	put32(e->f, head + 4, (u32)-64);
	put32(e->f, head + 8, 0);
	put32(e->f, entry, head);
	KUNIT_EXPECT_EQ(test, walk(e, head, 4), 0);
	KUNIT_EXPECT_TRUE(test, e->found);
	KUNIT_ASSERT_EQ(test, e->keep->nr, 2U);
	KUNIT_EXPECT_EQ(test, e->keep->page[0], FAKE_BASE + 2 * PG);
	KUNIT_EXPECT_EQ(test, e->keep->page[1], FAKE_BASE + 5 * PG);
}

/* ---- parameters ---- */

static void parse_bool(struct kunit *test)
{
	static const char * const good_yes[] = { "1", "y", "Y", "yes", "On", "TRUE", "y\n" };
	static const char * const good_no[] = { "0", "n", "N", "no", "off", "False\n" };
	static const char * const bad[] = { "", "\n", "2", "10", "yes please", "maybe",
					    "y\n\n", " y", "nope" };
	bool v;
	int i;

	for (i = 0; i < ARRAY_SIZE(good_yes); i++) {
		v = false;
		KUNIT_EXPECT_EQ_MSG(test, oomx_parse_bool(good_yes[i], &v), 0, "%s", good_yes[i]);
		KUNIT_EXPECT_TRUE_MSG(test, v, "%s", good_yes[i]);
	}
	for (i = 0; i < ARRAY_SIZE(good_no); i++) {
		v = true;
		KUNIT_EXPECT_EQ_MSG(test, oomx_parse_bool(good_no[i], &v), 0, "%s", good_no[i]);
		KUNIT_EXPECT_FALSE_MSG(test, v, "%s", good_no[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = true;
		KUNIT_EXPECT_EQ_MSG(test, oomx_parse_bool(bad[i], &v), -EINVAL, "%s", bad[i]);
		KUNIT_EXPECT_TRUE_MSG(test, v, "%s changed the value", bad[i]);
	}
}

static void parse_policy(struct kunit *test)
{
	enum oomx_policy p = OOMX_POLICY_LARGEST;

	KUNIT_EXPECT_EQ(test, oomx_parse_policy("classic", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_CLASSIC);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("adj_first\n", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_ADJ_FIRST);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("growth", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_GROWTH);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("cgroup_first\n", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_CGROUP_FIRST);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("cgroup", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("largest", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_LARGEST);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("Largest", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("classic extra", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("largest\n\n", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_LARGEST);	/* untouched on error */
	KUNIT_EXPECT_STREQ(test, oomx_policy_name(OOMX_POLICY_NR), "unknown");
}

/* cgroup_first: the worst cgroup first, then the kernel's order inside. */
static void select_cgroup_first(struct kunit *test)
{
	struct oomx_cand c[] = {
		cand(1, 9000, 0),	/* the largest task, in a small group */
		cand(2, 3000, 0),	/* in the big group */
		cand(3, 4000, 0),	/* the big group's largest */
		cand(4, 2000, 1000),	/* in the big group, adj 1000 */
		cand(5, 50000, 0),	/* root cgroup: a group of its own */
	};
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, sel);

	c[0].group_mem = 10000;
	c[0].group_id = 7;
	for (i = 1; i <= 3; i++) {
		c[i].group_mem = 60000;
		c[i].group_id = 8;
	}
	c[4].group_mem = 50000;
	oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	/* adj 1000 weighs in inside the group, as in the kernel's scan */
	KUNIT_EXPECT_EQ(test, sel->best.pid, 4);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 4);
	c[3].adj = 0;
	c[3].classic = oomx_classic_points(c[3].mem, 0, TOTAL);
	oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 3);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 5);
	/* the groups in order, then inside each */
	KUNIT_EXPECT_EQ(test, sel->top[1].pid, 2);
	KUNIT_EXPECT_EQ(test, sel->top[2].pid, 4);
	KUNIT_EXPECT_EQ(test, sel->top[3].pid, 5);
	KUNIT_EXPECT_EQ(test, sel->top[4].pid, 1);
}

/* cgroup_first scales both parts alike on machines past 2^29 / 3 pages. */
static void select_cgroup_first_big_machine(struct kunit *test)
{
	unsigned long total = 1UL << 40;	/* 4 PiB */
	struct oomx_cand a = { .pid = 1, .mem = 1UL << 38, .group_mem = 1UL << 38 };
	struct oomx_cand b = { .pid = 2, .mem = 1UL << 20, .group_mem = (1UL << 38) + (1UL << 30) };
	struct oomx_cand d = { .pid = 3, .mem = (1UL << 38) + (1UL << 30), .group_mem = 1UL << 38 };
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sel);

	a.classic = oomx_classic_points(a.mem, 0, total);
	b.classic = oomx_classic_points(b.mem, 0, total);
	d.classic = oomx_classic_points(d.mem, 0, total);
	KUNIT_EXPECT_GT(test, oomx_score(&b, OOMX_POLICY_CGROUP_FIRST, total),
			oomx_score(&d, OOMX_POLICY_CGROUP_FIRST, total));
	KUNIT_EXPECT_GT(test, oomx_score(&d, OOMX_POLICY_CGROUP_FIRST, total),
			oomx_score(&a, OOMX_POLICY_CGROUP_FIRST, total));
	KUNIT_EXPECT_LT(test, oomx_score(&b, OOMX_POLICY_CGROUP_FIRST, total),
			1L << 60);
	oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST, total, 3);
	oomx_sel_offer(sel, &a, NULL, NULL);
	oomx_sel_offer(sel, &b, NULL, NULL);
	oomx_sel_offer(sel, &d, NULL, NULL);
	KUNIT_EXPECT_EQ(test, sel->best.pid, 2);
}

/* The next order of @a[0..n) in lexicographic order; false after the last. */
static bool next_order(int *a, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	swap(a[i], a[j]);
	for (i++, j = n - 1; i < j; i++, j--)
		swap(a[i], a[j]);
	return true;
}

/*
 * The kernel's loop over @c in @order, with select.c's cut: a candidate
 * with no rule, in a cgroup (->group_id) that oomx_sel_unit_may_win()
 * says cannot win, keeps its raw oom_badness() points; every other is
 * offered and handed oomx's score.  The pid the kernel keeps (highest,
 * a later one winning a tie), or 0.
 */
static int kernel_choice_with_cut(struct oomx_sel *sel,
				  const struct oomx_cand *c, const int *order,
				  int n, unsigned int *passed)
{
	long chosen_points = LONG_MIN, v;
	int i, chosen = 0;

	for (i = 0; i < n; i++) {
		struct oomx_cand x = c[order[i]];

		if (!x.rule && x.group_id &&
		    !oomx_sel_unit_may_win(sel, x.group_mem)) {
			v = x.classic;
			(*passed)++;
		} else {
			oomx_sel_offer(sel, &x, NULL, NULL);
			v = x.points;
		}
		if (v == LONG_MIN || v < chosen_points)
			continue;
		chosen_points = v;
		chosen = x.pid;
	}
	return chosen;
}

/*
 * cgroup_first leaves a task whose cgroup cannot win at the kernel's
 * points, and the kernel's loop still takes oomx's choice: in every
 * order of the scan, on a small and a huge machine, with an adj +1000
 * task whose raw points dwarf the others, a task in the root cgroup, a
 * -1000 one, a tie between cgroups, and with a preferred or an avoided
 * task about.
 */
static void select_cgroup_first_unit_cut(struct kunit *test)
{
	static const unsigned long totals[] = { TOTAL, 1UL << 40 };
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);
	struct oomx_sel *full = kunit_kzalloc(test, sizeof(*full), GFP_KERNEL);
	int rule, t;

	KUNIT_ASSERT_NOT_NULL(test, sel);
	KUNIT_ASSERT_NOT_NULL(test, full);
	for (t = 0; t < ARRAY_SIZE(totals); t++) {
		unsigned long total = totals[t], u = total / 64;
		struct oomx_cand c[] = {
			{ .pid = 1, .mem = 4 * u, .group_id = 7, .group_mem = 5 * u },
			{ .pid = 2, .mem = 3 * u, .group_id = 8, .group_mem = 20 * u },
			{ .pid = 3, .mem = 9 * u, .group_id = 8, .group_mem = 20 * u },
			{ .pid = 4, .mem = u, .adj = 1000, .group_id = 9,
			  .group_mem = 2 * u },
			{ .pid = 5, .mem = 15 * u, .group_mem = 15 * u },
			{ .pid = 6, .mem = 30 * u, .adj = -1000, .group_id = 7,
			  .group_mem = 5 * u },
			{ .pid = 7, .mem = u / 2, .group_id = 10, .group_mem = 20 * u },
		};
		int n = ARRAY_SIZE(c), i;

		for (i = 0; i < n; i++)
			c[i].classic = oomx_classic_points(c[i].mem, c[i].adj,
							   total);
		/* 0: no rule; then the small cgroup's task preferred, avoided */
		for (rule = 0; rule < 3; rule++) {
			int order[ARRAY_SIZE(c)], want;
			unsigned int passed = 0, orders = 0;
			bool agree = true;

			c[3].rule = rule == 1 ? oomx_rule_id(OOMX_RULE_PREFER, 0) :
				    rule == 2 ? oomx_rule_id(OOMX_RULE_AVOID, 0) :
				    OOMX_RULE_NONE;
			oomx_sel_init(full, OOMX_POLICY_CGROUP_FIRST, total, 3);
			oomx_select(full, c, n);
			want = full->best.pid;
			/* the biggest cgroup's biggest; the preferred one */
			KUNIT_EXPECT_EQ(test, want, rule == 1 ? 4 : 3);
			for (i = 0; i < n; i++)
				order[i] = i;
			do {
				int got;

				oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST,
					      total, 3);
				got = kernel_choice_with_cut(sel, c, order, n,
							     &passed);
				if (got != want || sel->best.pid != want)
					agree = false;
				orders++;
			} while (next_order(order, n));
			KUNIT_EXPECT_TRUE_MSG(test, agree,
					      "total %lu rule %d", total, rule);
			KUNIT_EXPECT_EQ(test, orders, 5040U);
			/* the cut does cut */
			KUNIT_EXPECT_GT(test, passed, orders);
		}
	}
	/* Other policies, and an empty selection, never cut. */
	oomx_sel_init(sel, OOMX_POLICY_LARGEST, TOTAL, 3);
	KUNIT_EXPECT_TRUE(test, oomx_sel_unit_may_win(sel, 0));
	oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST, TOTAL, 3);
	KUNIT_EXPECT_TRUE(test, oomx_sel_unit_may_win(sel, 0));
}

/* growth: a fast grower beats a bigger steady task. */
static void select_growth(struct kunit *test)
{
	struct oomx_cand c[] = {
		cand(1, 20000, 0),	/* big, steady */
		cand(2, 12000, 0),	/* gaining 10000 a window */
		cand(3, 15000, 0),	/* shrinking */
	};
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sel);

	c[1].growth = 10000;
	c[2].growth = -5000;
	oomx_sel_init(sel, OOMX_POLICY_GROWTH, TOTAL, 3);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 2);
	KUNIT_EXPECT_EQ(test, sel->best.points, 22000);
	KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 1);
	/* a protected grower is still never chosen first */
	c[1].rule = oomx_rule_id(OOMX_RULE_PROTECT, 0);
	oomx_sel_init(sel, OOMX_POLICY_GROWTH, TOTAL, 3);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->best.pid, 1);
}

static void growth_scale(struct kunit *test)
{
	u64 w = 5 * NSEC_PER_SEC;

	KUNIT_EXPECT_EQ(test, oomx_growth_scale(1000, w, w), 1000);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(1000, NSEC_PER_SEC, w), 5000);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(-600, 6 * NSEC_PER_SEC, w), -500);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(1000, 0, w), 0);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(0, w, w), 0);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(LONG_MAX, 1, w), LONG_MAX);
	KUNIT_EXPECT_EQ(test, oomx_growth_scale(LONG_MIN + 1, 1, w), -LONG_MAX);
	KUNIT_EXPECT_EQ(test, oomx_group_score(100, 50), 150UL);
	KUNIT_EXPECT_EQ(test, oomx_group_score(100, -50), 100UL);
	KUNIT_EXPECT_EQ(test, oomx_group_score(ULONG_MAX - 1, 5), ULONG_MAX);
}

static void growth_find(struct kunit *test)
{
	static const struct oomx_growth_entry e[] = {
		{ 3, 30 }, { 9, 90 }, { 12, -12 }, { 1UL << 40, 7 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(e); i++)
		KUNIT_EXPECT_PTR_EQ(test, oomx_growth_find(e, ARRAY_SIZE(e), e[i].key),
				    &e[i]);
	KUNIT_EXPECT_NULL(test, oomx_growth_find(e, ARRAY_SIZE(e), 0));
	KUNIT_EXPECT_NULL(test, oomx_growth_find(e, ARRAY_SIZE(e), 10));
	KUNIT_EXPECT_NULL(test, oomx_growth_find(e, ARRAY_SIZE(e), U64_MAX));
	KUNIT_EXPECT_NULL(test, oomx_growth_find(e, 0, 3));
}

/* Precise finalists: only what approximate counters could make the choice. */
static struct oomx_cand fin(int pid, unsigned long mem, short adj)
{
	struct oomx_cand c = cand(pid, mem, adj);

	c.group_id = 1;		/* one cgroup: its usage is no task's counter */
	return c;
}

static void finalists(struct kunit *test)
{
	struct oomx_cand best = fin(1, 10000, 0), c;
	struct oomx_sel *sel = kunit_kzalloc(test, sizeof(*sel), GFP_KERNEL);
	enum oomx_policy pol;

	KUNIT_ASSERT_NOT_NULL(test, sel);

	for (pol = 0; pol < OOMX_POLICY_NR; pol++) {
		oomx_sel_init(sel, pol, TOTAL, 3);
		c = fin(2, 100, 0);
		KUNIT_EXPECT_TRUE_MSG(test, oomx_sel_finalist(sel, &c, 0),
				      "the first is always counted, %s",
				      oomx_policy_name(pol));
		oomx_sel_offer(sel, &best, NULL, NULL);
		c = fin(2, 9000, 0);
		KUNIT_EXPECT_FALSE_MSG(test, oomx_sel_finalist(sel, &c, 999),
				       "out of reach, %s", oomx_policy_name(pol));
		KUNIT_EXPECT_TRUE_MSG(test, oomx_sel_finalist(sel, &c, 1000),
				      "a tie goes to the later, %s",
				      oomx_policy_name(pol));
		c = fin(2, 10000, 0);
		KUNIT_EXPECT_TRUE(test, oomx_sel_finalist(sel, &c, 0));
		c = fin(2, 5, 0);
		KUNIT_EXPECT_TRUE(test, oomx_sel_finalist(sel, &c, ULONG_MAX));
		c = fin(2, 1UL << 30, -1000);
		KUNIT_EXPECT_FALSE(test, oomx_sel_finalist(sel, &c, ULONG_MAX));
		sel->nr_exact = OOMX_EXACT_MAX;
		c = fin(2, 1UL << 30, 0);
		KUNIT_EXPECT_FALSE_MSG(test, oomx_sel_finalist(sel, &c, 0),
				       "over budget, %s", oomx_policy_name(pol));
	}
	/*
	 * cgroup_first: a task in the root cgroup is a group of its own,
	 * scored by its memory, so the slack moves its group part too.
	 */
	oomx_sel_init(sel, OOMX_POLICY_CGROUP_FIRST, TOTAL, 3);
	best = cand(1, 20000, 0);
	best.group_mem = 20000;
	oomx_sel_offer(sel, &best, NULL, NULL);
	c = cand(2, 19000, 0);
	c.group_mem = 19000;
	KUNIT_EXPECT_FALSE(test, oomx_sel_finalist(sel, &c, 999));
	KUNIT_EXPECT_TRUE(test, oomx_sel_finalist(sel, &c, 1000));
	/* ... a cgroup's usage is not: only its inner part moves */
	c.group_id = 9;
	KUNIT_EXPECT_FALSE(test, oomx_sel_finalist(sel, &c, 1000));
}

static struct kunit_case oomx_policy_cases[] = {
	KUNIT_CASE_PARAM(oomx_score_test, score_gen_params),
	KUNIT_CASE_PARAM(classic_roundtrip_test, classic_gen_params),
	KUNIT_CASE(classic_edges),
	KUNIT_CASE(policy_rescores),
	KUNIT_CASE(scan_needs_oomx),
	KUNIT_CASE(select_largest_wins),
	KUNIT_CASE(select_tie_later_wins),
	KUNIT_CASE(select_ties_cost_nothing_once_full),
	KUNIT_CASE(select_adj_min_spares_largest),
	KUNIT_CASE(select_policy_differs_from_classic),
	KUNIT_CASE(select_adj_first_tiers),
	KUNIT_CASE(select_empty_and_unkillable),
	KUNIT_CASE(select_top_truncates),
	KUNIT_CASE(select_cgroup_first),
	KUNIT_CASE(select_cgroup_first_big_machine),
	KUNIT_CASE(select_cgroup_first_unit_cut),
	KUNIT_CASE(select_growth),
	KUNIT_CASE(growth_scale),
	KUNIT_CASE(growth_find),
	KUNIT_CASE(finalists),
	{}
};

static struct kunit_suite oomx_policy_suite = {
	.name = "oomx_policy",
	.test_cases = oomx_policy_cases,
};

static struct kunit_case oomx_event_cases[] = {
	KUNIT_CASE_PARAM(oomx_action_test, action_gen_params),
	KUNIT_CASE(action_names),
	{}
};

static struct kunit_suite oomx_event_suite = {
	.name = "oomx_event",
	.test_cases = oomx_event_cases,
};

static struct kunit_case oomx_reap_cases[] = {
	KUNIT_CASE(reap_due),
	KUNIT_CASE(pageset_add),
	KUNIT_CASE(pageset_gaps),
	KUNIT_CASE(robust_empty_list),
	KUNIT_CASE(robust_one_entry),
	KUNIT_CASE(robust_futex_word_elsewhere),
	KUNIT_CASE(robust_shared_memory_not_kept),
	KUNIT_CASE(robust_pending_only),
	KUNIT_CASE(robust_unreadable),
	KUNIT_CASE(robust_cycle_hits_budget),
	KUNIT_CASE(robust_too_many_pages),
	KUNIT_CASE(robust_tagged_pointers),
	KUNIT_CASE(robust_compat_list),
	{}
};

static struct kunit_suite oomx_reap_suite = {
	.name = "oomx_reap",
	.test_cases = oomx_reap_cases,
};

static struct kunit_case oomx_params_cases[] = {
	KUNIT_CASE(parse_policy),
	KUNIT_CASE(parse_bool),
	{}
};

static struct kunit_suite oomx_params_suite = {
	.name = "oomx_params",
	.test_cases = oomx_params_cases,
};

/* ---- early intervention ---- */

static const struct oomx_early_cfg early_cfg = {
	.stall_pct = 40,
	.sustain_ms = 2000,
	.refault_kbps = 1024,
	.avail_floor_pct = 2,
	.swap_floor_pct = 10,
	.refault_avail_pct = 20,
	.refault_pct = 2,
	.page_kb = 4,
};

#define TICK_NS	(100 * NSEC_PER_MSEC)
#define EARLY_TOTAL	(128UL << 10)	/* 512 MiB of 4 KiB pages */

/* Ticks of @stall_pct stall and @refault_kbps working-set refaults. */
static enum oomx_early_verdict early_ticks(struct oomx_early_state *s,
					   u64 *now, int n,
					   unsigned int stall_pct,
					   unsigned int refault_kbps,
					   unsigned long avail)
{
	enum oomx_early_verdict v = OOMX_EARLY_CALM;
	struct oomx_pressure p = {
		.dt_ns = TICK_NS,
		.stall_ns = TICK_NS * stall_pct / 100,
		/* per 100 ms tick, in 4 KiB pages */
		.ws_refaults = refault_kbps / 4 / 10,
		.refaults = refault_kbps / 4 / 10,
		/* the machine's reclaim evicts what refaults */
		.machine_scans = refault_kbps / 4 / 10,
		.avail_pages = avail,
		.total_pages = EARLY_TOTAL,
		.swap_free_pages = 0,
	};

	while (n--) {
		*now += TICK_NS;
		v = oomx_early_step(s, &early_cfg, &p, *now);
	}
	return v;
}

static void early_thrash_sustained(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	/* 1.9 s: not yet. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			early_ticks(&s, &now, 19, 60, 4096, EARLY_TOTAL / 4));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_THRASHING,
			early_ticks(&s, &now, 1, 60, 4096, EARLY_TOTAL / 4));
	KUNIT_EXPECT_EQ(test, 60U, oomx_episode_stall_pct(&s.thrash));
	KUNIT_EXPECT_EQ(test, 4080U, oomx_episode_refault_kbps(&s.thrash, 4));
	oomx_early_reset(&s);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 1, 0, 0, EARLY_TOTAL / 4));
}

/*
 * The same stall and working-set refaults with no reclaim of the
 * machine's own, or a trickle: a memory cgroup thrashing at its limit
 * on a machine with memory to spare.  Never the machine's trigger.
 */
static void early_thrash_needs_machine_reclaim(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;
	struct oomx_pressure p = {
		.dt_ns = TICK_NS,
		.stall_ns = TICK_NS * 90 / 100,
		.ws_refaults = 4096 / 4 / 10,
		.refaults = 4096 / 4 / 10,
		.avail_pages = EARLY_TOTAL / 2,
		.total_pages = EARLY_TOTAL,
	};
	int i;

	for (i = 0; i < 600; i++) {
		now += TICK_NS;
		KUNIT_EXPECT_NE(test, OOMX_EARLY_THRASHING,
				oomx_early_step(&s, &early_cfg, &p, now));
	}
	/* A trickle of kswapd's beside it (a host near its watermarks). */
	p.machine_scans = 1;
	for (i = 0; i < 100; i++) {
		now += TICK_NS;
		KUNIT_EXPECT_NE(test, OOMX_EARLY_THRASHING,
				oomx_early_step(&s, &early_cfg, &p, now));
	}
	/* The machine's reclaim scanning half of what refaults: it acts. */
	oomx_early_reset(&s);
	p.machine_scans = p.ws_refaults / 2 + 1;
	for (i = 0; i < 19; i++) {
		now += TICK_NS;
		oomx_early_step(&s, &early_cfg, &p, now);
	}
	now += TICK_NS;
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_THRASHING,
			oomx_early_step(&s, &early_cfg, &p, now));
}

/* A full machine dropping clean cache: stall, but nothing refaults. */
static void early_full_but_healthy(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	KUNIT_EXPECT_NE(test, OOMX_EARLY_THRASHING,
			early_ticks(&s, &now, 600, 90, 0, EARLY_TOTAL * 5 / 100));
	KUNIT_EXPECT_NE(test, OOMX_EARLY_FLOOR,
			early_ticks(&s, &now, 600, 90, 0, EARLY_TOTAL * 5 / 100));
	/*
	 * Refaults, hardly any stall, and a third of memory available: a
	 * cache too small for what is read, not a machine drowning.
	 */
	oomx_early_reset(&s);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 600, 5, 65536, EARLY_TOTAL / 3));
}

/*
 * @n ticks of refaults at @kbps (no stall: what PSI sees of page cache
 * thrashing) with @avail of @total pages available; every @every-th tick
 * carries them all, the others none.
 */
static enum oomx_early_verdict refault_ticks(struct oomx_early_state *s,
					     u64 *now, int n, u64 kbps,
					     unsigned int every,
					     unsigned long avail,
					     unsigned long total)
{
	enum oomx_early_verdict v = OOMX_EARLY_CALM;
	struct oomx_pressure p = {
		.dt_ns = TICK_NS,
		.avail_pages = avail,
		.total_pages = total,
	};
	int i;

	for (i = 0; i < n; i++) {
		p.refaults = i % every ? 0 : kbps * every / 4 / 10;
		*now += TICK_NS;
		v = oomx_early_step(s, &early_cfg, &p, *now);
	}
	return v;
}

/* The measured case: 96 MiB re-read through 40 MiB, PSI at 0.3 %. */
static void early_refaulting_sustained(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			refault_ticks(&s, &now, 19, 2700, 1,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_REFAULTING,
			refault_ticks(&s, &now, 1, 2700, 1,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
	KUNIT_EXPECT_EQ(test, 2680U,
			oomx_episode_all_refault_kbps(&s.refault, 4));
	KUNIT_EXPECT_EQ(test, 0U, oomx_episode_stall_pct(&s.refault));
	KUNIT_EXPECT_PTR_EQ(test, &s.refault,
			    oomx_early_episode(&s, OOMX_EARLY_REFAULTING));
	KUNIT_EXPECT_PTR_EQ(test, &s.floor,
			    oomx_early_episode(&s, OOMX_EARLY_FLOOR));
	KUNIT_EXPECT_PTR_EQ(test, &s.thrash,
			    oomx_early_episode(&s, OOMX_EARLY_THRASHING));
	/* Memory back above the gate: no action, however it refaults. */
	oomx_early_reset(&s);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			refault_ticks(&s, &now, 100, 65536, 1,
				      EARLY_TOTAL * 21 / 100, EARLY_TOTAL));
}

/* Bursts with quiet ticks between them are one episode; a long gap ends it. */
static void early_refaulting_gaps(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	/* Every fifth tick, 2.7 MiB/s on average: the same verdict. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			refault_ticks(&s, &now, 19, 2700, 5,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_REFAULTING,
			refault_ticks(&s, &now, 1, 0, 1,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
	/* 1.5 s, then 1 s without a refault: over, and it starts afresh. */
	oomx_early_reset(&s);
	refault_ticks(&s, &now, 15, 2700, 1, EARLY_TOTAL * 8 / 100,
		      EARLY_TOTAL);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			refault_ticks(&s, &now, 10, 0, 1,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			refault_ticks(&s, &now, 15, 2700, 1,
				      EARLY_TOTAL * 8 / 100, EARLY_TOTAL));
}

/* The rate must be fast against what is available, and above a trickle. */
static void early_refaulting_scales(struct kunit *test)
{
	unsigned long big = 16UL << 20;	/* 64 GiB */
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	/* 512 KiB/s with 5 % left of 512 MiB: under refault_kbps. */
	KUNIT_EXPECT_NE(test, OOMX_EARLY_REFAULTING,
			refault_ticks(&s, &now, 100, 512, 1,
				      EARLY_TOTAL * 5 / 100, EARLY_TOTAL));
	/* 50 MiB/s with 9.6 GiB available: 0.5 %/s of it, not drowning. */
	oomx_early_reset(&s);
	KUNIT_EXPECT_NE(test, OOMX_EARLY_REFAULTING,
			refault_ticks(&s, &now, 100, 51200, 1,
				      big * 15 / 100, big));
	/* 500 MiB/s with the same: the cache turned over every 20 s. */
	oomx_early_reset(&s);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_REFAULTING,
			refault_ticks(&s, &now, 20, 512000, 1,
				      big * 15 / 100, big));
}

/* Full, dropping clean cache: no refaults, no verdict, however long. */
static void early_refaulting_full_but_healthy(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;
	struct oomx_early_cfg off = early_cfg;
	struct oomx_pressure p = {
		.dt_ns = TICK_NS, .refaults = 1000,
		.avail_pages = EARLY_TOTAL / 100, .total_pages = EARLY_TOTAL,
	};
	int i;

	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			refault_ticks(&s, &now, 600, 0, 1,
				      EARLY_TOTAL * 5 / 100, EARLY_TOTAL));
	/* refault_avail_pct 0: the trigger is off. */
	off.refault_avail_pct = 0;
	for (i = 0; i < 100; i++) {
		now += TICK_NS;
		KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
				oomx_early_step(&s, &off, &p, now));
	}
}

/* Hysteresis: down to half keeps the episode; below it ends it. */
static void early_hysteresis(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	early_ticks(&s, &now, 10, 80, 4096, EARLY_TOTAL / 4);
	/* 25 %: above 40 / 2, the episode goes on and its mean stays >= 40. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_THRASHING,
			early_ticks(&s, &now, 10, 25, 4096, EARLY_TOTAL / 4));
	oomx_early_reset(&s);
	early_ticks(&s, &now, 10, 80, 4096, EARLY_TOTAL / 4);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 1, 19, 4096, EARLY_TOTAL / 4));
	/* 30 % does not begin an episode, only keeps one. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 50, 30, 4096, EARLY_TOTAL / 4));
	/* Sustained, but the mean fell under 40 %: not yet. */
	oomx_early_reset(&s);
	early_ticks(&s, &now, 2, 100, 4096, EARLY_TOTAL / 4);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			early_ticks(&s, &now, 30, 21, 4096, EARLY_TOTAL / 4));
}

static void early_floor(struct kunit *test)
{
	struct oomx_early_state s = {};
	struct oomx_early_cfg off = early_cfg;
	u64 now = 1000 * NSEC_PER_SEC;

	/* 1 % available, no swap, stalling: 0.5 s and it acts. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			early_ticks(&s, &now, 4, 20, 0, EARLY_TOTAL / 100));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_FLOOR,
			early_ticks(&s, &now, 1, 20, 0, EARLY_TOTAL / 100));
	/* No stall at all: a full machine that is fine. */
	oomx_early_reset(&s);
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 100, 0, 0, EARLY_TOTAL / 100));
	/* 3 % available: above the floor. */
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			early_ticks(&s, &now, 100, 20, 0, EARLY_TOTAL * 3 / 100));
	/* Floor off. */
	oomx_early_reset(&s);
	off.avail_floor_pct = 0;
	while (now < 1200 * NSEC_PER_SEC) {
		struct oomx_pressure p = {
			.dt_ns = TICK_NS, .stall_ns = TICK_NS,
			.avail_pages = 0, .total_pages = EARLY_TOTAL,
		};

		now += TICK_NS;
		KUNIT_EXPECT_NE(test, OOMX_EARLY_FLOOR,
				oomx_early_step(&s, &off, &p, now));
	}
}

static void early_floor_swap(struct kunit *test)
{
	struct oomx_early_state s = {};
	struct oomx_pressure p = {
		.dt_ns = TICK_NS, .stall_ns = TICK_NS / 2,
		.avail_pages = EARLY_TOTAL / 100, .total_pages = EARLY_TOTAL,
		.swap_free_pages = EARLY_TOTAL / 5,	/* 20 % of RAM free in swap */
	};
	u64 now = 1000 * NSEC_PER_SEC;
	int i;

	for (i = 0; i < 50; i++) {
		now += TICK_NS;
		KUNIT_EXPECT_NE(test, OOMX_EARLY_FLOOR,
				oomx_early_step(&s, &early_cfg, &p, now));
	}
	p.swap_free_pages = EARLY_TOTAL / 20;
	for (i = 0; i < 5; i++) {
		now += TICK_NS;
		oomx_early_step(&s, &early_cfg, &p, now);
	}
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_FLOOR,
			oomx_early_step(&s, &early_cfg, &p, now + TICK_NS));
}

static void early_empty_tick_and_names(struct kunit *test)
{
	struct oomx_early_state s = {};
	struct oomx_pressure p = { .total_pages = EARLY_TOTAL };

	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			oomx_early_step(&s, &early_cfg, &p, NSEC_PER_SEC));
	KUNIT_EXPECT_STREQ(test, "thrashing",
			   oomx_early_verdict_name(OOMX_EARLY_THRASHING));
	KUNIT_EXPECT_STREQ(test, "refaulting",
			   oomx_early_verdict_name(OOMX_EARLY_REFAULTING));
	KUNIT_EXPECT_STREQ(test, "unknown", oomx_early_verdict_name(99));
}

static void early_check_cfg(struct kunit *test)
{
	struct oomx_early_cfg c = early_cfg;

	KUNIT_EXPECT_EQ(test, 0, oomx_check_early(&c));
	c.stall_pct = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
	c.stall_pct = 101;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
	c = early_cfg;
	c.sustain_ms = 99;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
	c = early_cfg;
	c.avail_floor_pct = 51;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
	c = early_cfg;
	c.refault_avail_pct = 51;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
	c = early_cfg;
	c.refault_pct = 101;
	KUNIT_EXPECT_EQ(test, -EINVAL, oomx_check_early(&c));
}

/*
 * @n ticks of a memory cgroup limited to @limit pages, @anon of them
 * anonymous, refaulting @kbps, through the memcg thresholds.
 */
static enum oomx_early_verdict memcg_ticks(struct oomx_early_state *s,
					   u64 *now, int n, u64 kbps,
					   unsigned long limit,
					   unsigned long anon)
{
	struct oomx_early_cfg cfg = oomx_memcg_early_cfg(&early_cfg);
	enum oomx_early_verdict v = OOMX_EARLY_CALM;
	struct oomx_pressure p;

	while (n--) {
		oomx_memcg_pressure(&p, TICK_NS, kbps / 4 / 10, limit, anon);
		*now += TICK_NS;
		v = oomx_early_step(s, &cfg, &p, *now);
	}
	return v;
}

#define MEMCG_LIMIT	(200UL << 8)	/* 200 MiB of 4 KiB pages */

/*
 * A leak at 164 MiB of a 200 MiB cgroup and a reader cycling through
 * the rest at the disk's 8 MiB/s: refaulting, after sustain_ms, with
 * the room the limit leaves as the cgroup's MemAvailable.
 */
static void early_memcg_refaulting(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;
	struct oomx_pressure p;

	KUNIT_EXPECT_EQ(test, OOMX_EARLY_RISING,
			memcg_ticks(&s, &now, 19, 8192, MEMCG_LIMIT,
				    164UL << 8));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_REFAULTING,
			memcg_ticks(&s, &now, 1, 8192, MEMCG_LIMIT,
				    164UL << 8));
	KUNIT_EXPECT_EQ(test, 8160U,
			oomx_episode_all_refault_kbps(&s.refault, 4));
	oomx_memcg_pressure(&p, TICK_NS, 7, MEMCG_LIMIT, 164UL << 8);
	KUNIT_EXPECT_EQ(test, 36UL << 8, p.avail_pages);
	KUNIT_EXPECT_EQ(test, MEMCG_LIMIT, p.total_pages);
	KUNIT_EXPECT_EQ(test, 7ULL, p.refaults);
	KUNIT_EXPECT_EQ(test, 0ULL, p.stall_ns + p.ws_refaults);
	/* More anonymous memory than the limit (shared pages counted twice). */
	oomx_memcg_pressure(&p, TICK_NS, 0, MEMCG_LIMIT, MEMCG_LIMIT + 1);
	KUNIT_EXPECT_EQ(test, 0UL, p.avail_pages);
}

/*
 * Not drowning: a scan through more than the cgroup holds, its
 * anonymous memory a fifth of the limit, refaults as fast as the disk
 * goes for a minute; a cgroup with no limit; a cgroup at its limit with
 * nothing refaulting (the floor is the machine's, never a cgroup's).
 */
static void early_memcg_not_drowning(struct kunit *test)
{
	struct oomx_early_state s = {};
	u64 now = 1000 * NSEC_PER_SEC;

	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			memcg_ticks(&s, &now, 600, 8192, MEMCG_LIMIT,
				    40UL << 8));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			memcg_ticks(&s, &now, 600, 65536, 0, 164UL << 8));
	KUNIT_EXPECT_EQ(test, OOMX_EARLY_CALM,
			memcg_ticks(&s, &now, 600, 0, MEMCG_LIMIT,
				    MEMCG_LIMIT));
	KUNIT_EXPECT_EQ(test, 0U,
			oomx_memcg_early_cfg(&early_cfg).avail_floor_pct);
	KUNIT_EXPECT_EQ(test, early_cfg.refault_pct,
			oomx_memcg_early_cfg(&early_cfg).refault_pct);
}

static struct kunit_case oomx_early_cases[] = {
	KUNIT_CASE(early_thrash_sustained),
	KUNIT_CASE(early_thrash_needs_machine_reclaim),
	KUNIT_CASE(early_full_but_healthy),
	KUNIT_CASE(early_refaulting_sustained),
	KUNIT_CASE(early_refaulting_gaps),
	KUNIT_CASE(early_refaulting_scales),
	KUNIT_CASE(early_refaulting_full_but_healthy),
	KUNIT_CASE(early_hysteresis),
	KUNIT_CASE(early_floor),
	KUNIT_CASE(early_floor_swap),
	KUNIT_CASE(early_empty_tick_and_names),
	KUNIT_CASE(early_check_cfg),
	KUNIT_CASE(early_memcg_refaulting),
	KUNIT_CASE(early_memcg_not_drowning),
	{}
};

static struct kunit_suite oomx_early_suite = {
	.name = "oomx_early",
	.test_cases = oomx_early_cases,
};

/* ---- operator rules ---- */

struct rule_parse_case {
	const char *name;
	const char *in;
	int ret;
	unsigned int nr;	/* on success */
	const char *canon;	/* on success: as the parameter reads back */
	const char *bad;	/* on failure: the offending token */
};

static const struct rule_parse_case rule_parse_cases[] = {
	{ "empty clears", "", 0, 0, "" },
	{ "newline only", "\n", 0, 0, "" },
	{ "one comm", "comm:sshd\n", 0, 1, "comm:sshd" },
	{ "comm glob", "comm:systemd*", 0, 1, "comm:systemd*" },
	{ "uid", "uid:1000", 0, 1, "uid:1000" },
	{ "uid 0", "uid:0", 0, 1, "uid:0" },
	{ "cgroup glob", "cgroup:/user.slice/*", 0, 1, "cgroup:/user.slice/*" },
	{ "mixed list", "comm:sshd,comm:systemd*,uid:0,cgroup:/system.slice/db.service",
	  0, 4, "comm:sshd,comm:systemd*,uid:0,cgroup:/system.slice/db.service" },
	{ "trailing blanks", "comm:a \t", 0, 1, "comm:a" },
	{ "blank lines after", "comm:a\n\t\n\n", 0, 1, "comm:a" },
	{ "second line", "comm:a\ncomm:b", -EINVAL, 0, NULL, "comm:b" },
	{ "second line after a blank one", "comm:a\n\n uid:0\n", -EINVAL, 0, NULL,
	  "uid:0" },
	{ "unknown kind", "comm:a,name:b", -EINVAL, 0, NULL, "name:b" },
	{ "no kind", "sshd", -EINVAL, 0, NULL, "sshd" },
	{ "empty pattern", "comm:", -EINVAL, 0, NULL, "comm:" },
	{ "empty token", "comm:a,,comm:b", -EINVAL, 0, NULL, "" },
	{ "trailing comma", "comm:a,", -EINVAL, 0, NULL, "" },
	{ "uid not a number", "uid:root", -EINVAL, 0, NULL, "uid:root" },
	{ "uid negative", "uid:-1", -EINVAL, 0, NULL, "uid:-1" },
	{ "uid invalid", "uid:4294967295", -EINVAL, 0, NULL, "uid:4294967295" },
	{ "uid too big", "uid:4294967296", -EINVAL, 0, NULL, "uid:4294967296" },
	{ "cgroup relative", "cgroup:user.slice", -EINVAL, 0, NULL, "cgroup:user.slice" },
	{ "comm too long", "comm:abcdefghijklmnop", -EINVAL, 0, NULL, "comm:abcdefghijklmnop" },
	{ "blank inside", "comm:a b", -EINVAL, 0, NULL, "comm:a b" },
	{ "kind case", "COMM:a", -EINVAL, 0, NULL, "COMM:a" },
};

static void rule_parse_desc(const struct rule_parse_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rule_parse, rule_parse_cases, rule_parse_desc);

static void rule_parse_test(struct kunit *test)
{
	const struct rule_parse_case *c = test->param_value;
	struct oomx_rule_set *rs = kunit_kzalloc(test, sizeof(*rs), GFP_KERNEL);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	const char *bad = NULL;
	size_t badlen = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rs);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, oomx_rule_set_parse(c->in, rs, &bad, &badlen),
			c->ret);
	if (c->ret) {
		KUNIT_ASSERT_NOT_NULL(test, bad);
		KUNIT_EXPECT_EQ(test, badlen, strlen(c->bad));
		KUNIT_EXPECT_EQ(test, strncmp(bad, c->bad, badlen), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, rs->nr, c->nr);
	oomx_rule_set_print(rs, buf, PAGE_SIZE);
	KUNIT_EXPECT_STREQ(test, buf, c->canon);
}

static void rule_parse_limits(struct kunit *test)
{
	struct oomx_rule_set *rs = kunit_kzalloc(test, sizeof(*rs), GFP_KERNEL);
	char *in = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char *out = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	const char *bad;
	size_t badlen, off = 0;
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rs);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, in);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, out);
	/* The most that fits: 32 selectors of the longest pattern. */
	for (i = 0; i < OOMX_RULES_MAX; i++) {
		off += scnprintf(in + off, PAGE_SIZE - off, "%scgroup:/",
				 i ? "," : "");
		memset(in + off, 'a' + i % 26, OOMX_RULE_PAT_MAX - 2);
		off += OOMX_RULE_PAT_MAX - 2;
	}
	in[off] = '\0';
	KUNIT_ASSERT_EQ(test, oomx_rule_set_parse(in, rs, &bad, &badlen), 0);
	KUNIT_EXPECT_EQ(test, rs->nr, (unsigned int)OOMX_RULES_MAX);
	/* ... and reads back whole, within the page sysfs gives. */
	KUNIT_EXPECT_EQ(test, oomx_rule_set_print(rs, out, PAGE_SIZE - 1),
			(int)off);
	KUNIT_EXPECT_STREQ(test, out, in);
	/* One selector more, or one character more, is refused. */
	strscpy(in + off, ",comm:x", PAGE_SIZE - off);
	KUNIT_EXPECT_EQ(test, oomx_rule_set_parse(in, rs, &bad, &badlen),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, bad, "comm:x");
	scnprintf(in, PAGE_SIZE, "cgroup:/%0*d", OOMX_RULE_PAT_MAX - 1, 7);
	KUNIT_EXPECT_EQ(test, oomx_rule_set_parse(in, rs, &bad, &badlen),
			-EINVAL);
}

static struct oomx_rules *rules_of(struct kunit *test, const char *protect,
				   const char *avoid, const char *prefer)
{
	struct oomx_rules *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	const char *lists[OOMX_RULE_LISTS] = { protect, avoid, prefer };
	const char *bad;
	size_t badlen;
	unsigned int l;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	for (l = 0; l < OOMX_RULE_LISTS; l++)
		KUNIT_ASSERT_EQ(test, oomx_rule_set_parse(lists[l], &r->list[l],
							  &bad, &badlen), 0);
	return r;
}

static void rule_match_forms(struct kunit *test)
{
	struct oomx_rules *r = rules_of(test, "comm:sshd,uid:0",
					"cgroup:/system.slice/*",
					"comm:make,comm:cc?,cgroup:/build/[ab]*");
	char buf[OOMX_RULE_PAT_MAX + 16];

	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, "sshd", 1000, NULL),
			oomx_rule_id(OOMX_RULE_PROTECT, 0));
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, "bash", 0, NULL),
			oomx_rule_id(OOMX_RULE_PROTECT, 1));
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, "cc1", 1000, NULL),
			oomx_rule_id(OOMX_RULE_PREFER, 1));
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, "cc", 1000, NULL),
			OOMX_RULE_NONE);
	/* A comm is matched whole, not as a prefix. */
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, "sshd-session", 1000, NULL),
			OOMX_RULE_NONE);
	/* Cgroup selectors only with a path; comm and uid only with a comm. */
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, NULL, 0, "/system.slice/db.service"),
			oomx_rule_id(OOMX_RULE_AVOID, 0));
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, NULL, 0, "/build/b1"),
			oomx_rule_id(OOMX_RULE_PREFER, 2));
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, NULL, 0, "/build/c1"),
			OOMX_RULE_NONE);
	KUNIT_EXPECT_EQ(test, oomx_rules_match(r, NULL, 0, "/"), OOMX_RULE_NONE);
	oomx_rule_print(r, oomx_rule_id(OOMX_RULE_PREFER, 2), buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "prefer:cgroup:/build/[ab]*");
	oomx_rule_print(r, OOMX_RULE_NONE, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "-");
	oomx_rule_print(NULL, oomx_rule_id(OOMX_RULE_AVOID, 3), buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "avoid:?");
	KUNIT_EXPECT_TRUE(test, oomx_rules_have(r, OOMX_SELECTOR_CGROUP));
	KUNIT_EXPECT_FALSE(test, oomx_rules_empty(r));
	KUNIT_EXPECT_TRUE(test, oomx_rules_empty(rules_of(test, "", "", "")));
}

static void rule_precedence(struct kunit *test)
{
	/* make is preferred, but in the db's cgroup it is avoided, and root's is protected. */
	struct oomx_rules *r = rules_of(test, "uid:0", "cgroup:/db/*",
					"comm:make,cgroup:/*");
	int task = oomx_rules_match(r, "make", 1000, NULL);
	int cg = oomx_rules_match(r, NULL, 0, "/db/x");
	int root, web;

	KUNIT_EXPECT_EQ(test, oomx_rule_tier(task), OOMX_TIER_PREFER);
	KUNIT_EXPECT_EQ(test, oomx_rule_tier(oomx_rule_first(task, cg)),
			OOMX_TIER_AVOID);
	root = oomx_rules_match(r, "make", 0, NULL);
	KUNIT_EXPECT_EQ(test, oomx_rule_tier(oomx_rule_first(root, cg)),
			OOMX_TIER_PROTECT);
	/* The first rule of a list wins within it. */
	web = oomx_rules_match(r, NULL, 0, "/web");
	KUNIT_EXPECT_EQ(test, oomx_rule_first(task, web), task);
	KUNIT_EXPECT_EQ(test, oomx_rule_first(OOMX_RULE_NONE, cg), cg);
	KUNIT_EXPECT_EQ(test, oomx_rule_first(cg, OOMX_RULE_NONE), cg);
	KUNIT_EXPECT_EQ(test, oomx_rule_tier(OOMX_RULE_NONE), OOMX_TIER_NORMAL);
	KUNIT_EXPECT_EQ(test, oomx_rule_tier(OOMX_RULE_ID_MAX + 1),
			OOMX_TIER_NORMAL);
}

/* The scan's quick "no rule" never turns away a task a rule matches. */
static void rule_filter_never_misses(struct kunit *test)
{
	static const char * const pats[] = {
		"comm:sshd", "comm:systemd*", "comm:*foo", "comm:?x",
		"comm:[ab]c", "comm:\\*lit", "comm:\\", "comm:[", "uid:0",
		"uid:4242", "uid:65534",
	};
	static const char * const names[] = {
		"sshd", "systemd-journal", "xfoo", "foo", "ax", "bc", "ac",
		"*lit", "\\", "[", "", "bash",
	};
	static const u32 uids[] = { 0, 1, 1000, 4242, 65534, U32_MAX };
	struct oomx_rule_filter *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned int i, j, k;

	KUNIT_ASSERT_NOT_NULL(test, f);
	for (i = 0; i < ARRAY_SIZE(pats); i++) {
		struct oomx_rules *r = rules_of(test, pats[i], "", "");

		oomx_rule_filter_build(r, f);
		for (j = 0; j < ARRAY_SIZE(names); j++) {
			for (k = 0; k < ARRAY_SIZE(uids); k++) {
				bool pass = oomx_rule_filter_pass(f, names[j][0],
								  uids[k]);

				if (oomx_rules_match(r, names[j], uids[k], NULL))
					KUNIT_EXPECT_TRUE_MSG(test, pass,
							      "%s missed '%s' uid %u",
							      pats[i], names[j],
							      uids[k]);
			}
		}
	}
	/* And it does turn away the rest: a literal start, a uid's bit. */
	KUNIT_ASSERT_NE(test, oomx_uid_bit(1000), oomx_uid_bit(4242));
	oomx_rule_filter_build(rules_of(test, "comm:sshd,uid:4242", "",
					"comm:\\*lit"), f);
	KUNIT_EXPECT_FALSE(test, oomx_rule_filter_pass(f, 'b', 1000));
	KUNIT_EXPECT_FALSE(test, oomx_rule_filter_pass(f, '\\', 1000));
	KUNIT_EXPECT_TRUE(test, oomx_rule_filter_pass(f, 's', 1000));
	KUNIT_EXPECT_TRUE(test, oomx_rule_filter_pass(f, '*', 1000));
	KUNIT_EXPECT_TRUE(test, oomx_rule_filter_pass(f, 'b', 4242));
	/* A wildcard or class first lets every name through. */
	oomx_rule_filter_build(rules_of(test, "", "comm:[!x]*", ""), f);
	for (k = 0; k < 256; k++)
		KUNIT_EXPECT_TRUE(test, oomx_rule_filter_pass(f, k, 1000));
	/* Cgroup selectors are not its business: nothing passes for them. */
	oomx_rule_filter_build(rules_of(test, "cgroup:/*", "", ""), f);
	KUNIT_EXPECT_FALSE(test, oomx_rule_filter_pass(f, 's', 0));
}

static struct oomx_cand ruled(int pid, unsigned long mem, short adj, int rule)
{
	struct oomx_cand c = cand(pid, mem, adj);

	c.rule = rule;
	return c;
}

#define PROTECT0	oomx_rule_id(OOMX_RULE_PROTECT, 0)
#define AVOID0		oomx_rule_id(OOMX_RULE_AVOID, 0)
#define PREFER0		oomx_rule_id(OOMX_RULE_PREFER, 0)

static void rule_tiers_in_selection(struct kunit *test)
{
	enum oomx_policy pol;

	for (pol = 0; pol < OOMX_POLICY_NR; pol++) {
		/* Tiers before size, whatever the policy. */
		struct oomx_cand c[] = {
			ruled(1, 900000, 500, PROTECT0),
			ruled(2, 800000, 0, AVOID0),
			ruled(3, 1000, 0, OOMX_RULE_NONE),
			ruled(4, 10, -900, PREFER0),
			ruled(5, 100000, 0, OOMX_RULE_NONE),
			ruled(6, 50, OOMX_SCORE_ADJ_MIN, PREFER0),
		};
		struct oomx_sel *sel = new_sel(test);

		oomx_sel_init(sel, pol, TOTAL, 8);
		oomx_select(sel, c, ARRAY_SIZE(c));
		/* -1000 stays never, even when preferred. */
		KUNIT_EXPECT_EQ(test, sel->nr_eligible, 5U);
		KUNIT_ASSERT_EQ(test, sel->nr_top, 5U);
		KUNIT_EXPECT_EQ(test, sel->best.pid, 4);
		KUNIT_EXPECT_EQ(test, sel->top[1].pid, 5);
		KUNIT_EXPECT_EQ(test, sel->top[2].pid, 3);
		KUNIT_EXPECT_EQ(test, sel->top[3].pid, 2);
		KUNIT_EXPECT_EQ(test, sel->top[4].pid, 1);
		KUNIT_EXPECT_EQ(test, sel->nr_ruled[OOMX_RULE_PROTECT], 1U);
		KUNIT_EXPECT_EQ(test, sel->nr_ruled[OOMX_RULE_AVOID], 1U);
		KUNIT_EXPECT_EQ(test, sel->nr_ruled[OOMX_RULE_PREFER], 1U);
		/* The classic choice is the stock killer's, rules or not. */
		KUNIT_EXPECT_EQ(test, sel->best_classic.pid, 1);
		/* Every score stays below an oom_task_origin() task's. */
		KUNIT_EXPECT_LT(test, sel->best.points, LONG_MAX);
		KUNIT_EXPECT_GT(test, sel->top[4].points, LONG_MIN);
	}
}

static void rule_all_protected_kernel_order(struct kunit *test)
{
	/*
	 * Only protected tasks left: one is still chosen (the kernel must
	 * not find nothing killable because of a rule), by the kernel's
	 * own points, under any policy.
	 */
	struct oomx_cand c[] = {
		ruled(1, 5000, 0, PROTECT0),
		ruled(2, 100, 900, PROTECT0),
		ruled(3, 9000, -800, PROTECT0),
	};
	enum oomx_policy pol;

	for (pol = 0; pol < OOMX_POLICY_NR; pol++) {
		struct oomx_sel *sel = new_sel(test);

		oomx_sel_init(sel, pol, TOTAL, 5);
		oomx_select(sel, c, ARRAY_SIZE(c));
		KUNIT_EXPECT_EQ(test, sel->best.pid, sel->best_classic.pid);
		KUNIT_EXPECT_EQ(test, sel->best.pid, 2);
	}
}

static void rule_extreme_scores_stay_in_tier(struct kunit *test)
{
	struct oomx_cand big = ruled(1, ULONG_MAX / 2, 1000, AVOID0);
	struct oomx_cand small = ruled(2, 0, -999, OOMX_RULE_NONE);
	struct oomx_cand pref = ruled(3, 0, -999, PREFER0);
	struct oomx_cand prot = ruled(4, ULONG_MAX / 2, 1000, PROTECT0);
	enum oomx_policy pol;

	for (pol = 0; pol < OOMX_POLICY_NR; pol++) {
		long b = oomx_score(&big, pol, TOTAL);
		long s = oomx_score(&small, pol, TOTAL);
		long p = oomx_score(&pref, pol, TOTAL);
		long q = oomx_score(&prot, pol, TOTAL);

		KUNIT_EXPECT_LT(test, q, b);
		KUNIT_EXPECT_LT(test, b, s);
		KUNIT_EXPECT_LT(test, s, p);
		KUNIT_EXPECT_GT(test, q, LONG_MIN);
		KUNIT_EXPECT_LT(test, p, LONG_MAX);
	}
}

static struct kunit_case oomx_rules_cases[] = {
	KUNIT_CASE_PARAM(rule_parse_test, rule_parse_gen_params),
	KUNIT_CASE(rule_parse_limits),
	KUNIT_CASE(rule_match_forms),
	KUNIT_CASE(rule_precedence),
	KUNIT_CASE(rule_filter_never_misses),
	KUNIT_CASE(rule_tiers_in_selection),
	KUNIT_CASE(rule_all_protected_kernel_order),
	KUNIT_CASE(rule_extreme_scores_stay_in_tier),
	{}
};

static struct kunit_suite oomx_rules_suite = {
	.name = "oomx_rules",
	.test_cases = oomx_rules_cases,
};

kunit_test_suites(&oomx_policy_suite, &oomx_event_suite, &oomx_reap_suite,
		  &oomx_params_suite, &oomx_early_suite, &oomx_rules_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for oomx's policy");
