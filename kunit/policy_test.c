// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for oomx's pure policy: scoring under every policy,
 * selection (ties, adj extremes, overflow, empty and all-unkillable sets,
 * a victim in flight), the trigger decision table and parameter parsing.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>

/* The code under test, compiled into this module. */
#include "../policy.c"

#define TOTAL	262144UL	/* 1 GiB of 4 KiB pages */

static struct oomx_cand cand(int pid, unsigned long rss, short adj)
{
	return (struct oomx_cand){ .pid = pid, .rss = rss, .adj = adj };
}

/* ---- scoring ---- */

struct score_case {
	const char *name;
	enum oomx_policy policy;
	struct oomx_cand c;
	unsigned long total;
	long want;
};

static const struct score_case score_cases[] = {
	{ "classic: rss+swap+pgtables", OOMX_POLICY_CLASSIC,
	  { .rss = 1000, .swapents = 200, .pgtables = 3 }, TOTAL, 1203 },
	{ "classic: adj +500 adds total/1000*500", OOMX_POLICY_CLASSIC,
	  { .rss = 1000, .adj = 500 }, TOTAL, 1000 + 262 * 500 },
	{ "classic: adj +1000", OOMX_POLICY_CLASSIC,
	  { .rss = 10, .adj = 1000 }, TOTAL, 10 + 262 * 1000 },
	{ "classic: adj -999 may go negative", OOMX_POLICY_CLASSIC,
	  { .rss = 1000, .adj = -999 }, TOTAL, 1000 - 262 * 999 },
	{ "classic: adj -1000 never", OOMX_POLICY_CLASSIC,
	  { .rss = 1UL << 40, .adj = -1000 }, TOTAL, LONG_MIN },
	{ "classic: total < 1000 makes adj inert", OOMX_POLICY_CLASSIC,
	  { .rss = 7, .adj = 1000 }, 999, 7 },
	{ "classic: memory sum overflow saturates", OOMX_POLICY_CLASSIC,
	  { .rss = ULONG_MAX, .swapents = 2 }, TOTAL, LONG_MAX },
	{ "classic: adj term overflow saturates", OOMX_POLICY_CLASSIC,
	  { .rss = 1, .adj = 1000 }, ULONG_MAX, LONG_MAX },
	{ "classic: negative overflow stays selectable", OOMX_POLICY_CLASSIC,
	  { .rss = 0, .adj = -999 }, ULONG_MAX, LONG_MIN + 1 },
	{ "classic: kernel thread never", OOMX_POLICY_CLASSIC,
	  { .rss = 5000, .flags = OOMX_CAND_UNKILLABLE }, TOTAL, LONG_MIN },
	{ "classic: no mm never", OOMX_POLICY_CLASSIC,
	  { .flags = OOMX_CAND_NO_MM }, TOTAL, LONG_MIN },
	{ "classic: in vfork never", OOMX_POLICY_CLASSIC,
	  { .rss = 5000, .flags = OOMX_CAND_VFORK }, TOTAL, LONG_MIN },
	{ "classic: reaped mm never", OOMX_POLICY_CLASSIC,
	  { .rss = 5000, .flags = OOMX_CAND_MM_SKIP }, TOTAL, LONG_MIN },
	{ "largest: adj ignored", OOMX_POLICY_LARGEST,
	  { .rss = 1000, .swapents = 5, .adj = 1000 }, TOTAL, 1005 },
	{ "largest: adj -999 ignored", OOMX_POLICY_LARGEST,
	  { .rss = 1000, .adj = -999 }, TOTAL, 1000 },
	{ "largest: adj -1000 never", OOMX_POLICY_LARGEST,
	  { .rss = 1000, .adj = -1000 }, TOTAL, LONG_MIN },
	{ "adj_first: tier above memory", OOMX_POLICY_ADJ_FIRST,
	  { .rss = 3, .adj = 0 }, TOTAL, (1000L << 44) | 3 },
	{ "adj_first: memory capped below next tier", OOMX_POLICY_ADJ_FIRST,
	  { .rss = ULONG_MAX, .adj = -999 }, TOTAL, (1L << 44) | ((1L << 44) - 1) },
};

static void score_case_desc(const struct score_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(score, score_cases, score_case_desc);

static void oomx_score_test(struct kunit *test)
{
	const struct score_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, oomx_score(&c->c, c->policy, c->total), c->want);
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
	KUNIT_ASSERT_EQ(test, sel->state, OOMX_SEL_VICTIM);
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 11);
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
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 21);
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, 21);
	KUNIT_EXPECT_EQ(test, sel->top[1].pid, 20);
}

static void select_adj_min_spares_largest(struct kunit *test)
{
	struct oomx_cand c[] = { cand(30, 900, -1000), cand(31, 400, 0), cand(32, 100, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 31);
	KUNIT_EXPECT_EQ(test, sel->nr_eligible, 2U);
}

static void select_adj_max_picks_small(struct kunit *test)
{
	struct oomx_cand c[] = { cand(40, 90000, 0), cand(41, 100, 1000), cand(42, 50000, 0) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 41);

	/* largest ignores the bias */
	oomx_sel_init(sel, OOMX_POLICY_LARGEST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 40);
}

static void select_adj_first_tiers(struct kunit *test)
{
	struct oomx_cand c[] = { cand(50, 90000, 0), cand(51, 10, 300), cand(52, 20, 300) };
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_ADJ_FIRST, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 52);
	KUNIT_EXPECT_EQ(test, sel->top[2].pid, 50);
}

static void select_empty(struct kunit *test)
{
	struct oomx_sel *sel = new_sel(test);

	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, NULL, 0);
	KUNIT_EXPECT_EQ(test, sel->state, OOMX_SEL_NONE);
	KUNIT_EXPECT_EQ(test, sel->nr_top, 0U);
}

static void select_all_unkillable(struct kunit *test)
{
	struct oomx_cand c[] = { cand(1, 100, 0), cand(2, 900, 0), cand(3, 50, -1000),
				 cand(4, 10, 0), cand(5, 10, 0) };
	struct oomx_sel *sel = new_sel(test);

	c[0].flags = OOMX_CAND_UNKILLABLE;	/* init */
	c[1].flags = OOMX_CAND_UNKILLABLE;	/* a kernel thread */
	c[3].flags = OOMX_CAND_NO_MM;
	c[4].flags = OOMX_CAND_VFORK;
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->state, OOMX_SEL_NONE);
	KUNIT_EXPECT_EQ(test, sel->nr_seen, 5U);
	KUNIT_EXPECT_EQ(test, sel->nr_eligible, 0U);
}

static void select_victim_in_flight_aborts(struct kunit *test)
{
	struct oomx_cand c[] = { cand(60, 900, 0), cand(61, 5, 0), cand(62, 800, 0) };
	struct oomx_sel *sel = new_sel(test);

	c[1].flags = OOMX_CAND_VICTIM;
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->state, OOMX_SEL_ABORT);
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 61);
	/* the scan stopped at the victim: 62 was never looked at */
	KUNIT_EXPECT_EQ(test, sel->nr_seen, 2U);
	/* an in-flight victim that is also unkillable is just skipped */
	c[1].flags |= OOMX_CAND_UNKILLABLE;
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->state, OOMX_SEL_VICTIM);
}

static void select_reaped_victim_skipped(struct kunit *test)
{
	struct oomx_cand c[] = { cand(70, 900, 0), cand(71, 100, 0) };
	struct oomx_sel *sel = new_sel(test);

	c[0].flags = OOMX_CAND_VICTIM_DONE;
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->state, OOMX_SEL_VICTIM);
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 71);
}

static void select_origin_wins(struct kunit *test)
{
	struct oomx_cand c[] = { cand(80, 900, 0), cand(81, 1, -999), cand(82, 800, 0) };
	struct oomx_sel *sel = new_sel(test);

	c[1].flags = OOMX_CAND_ORIGIN;
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 5);
	oomx_select(sel, c, ARRAY_SIZE(c));
	KUNIT_EXPECT_EQ(test, sel->victim.pid, 81);
	KUNIT_EXPECT_EQ(test, sel->victim.points, LONG_MAX);
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
	KUNIT_EXPECT_EQ(test, sel->top[0].pid, sel->victim.pid);
	KUNIT_EXPECT_GE(test, sel->top[0].points, sel->top[1].points);
	KUNIT_EXPECT_GE(test, sel->top[1].points, sel->top[2].points);
	KUNIT_EXPECT_EQ(test, sel->top[0].points, 20L);
	/* top_max is clamped to the array */
	oomx_sel_init(sel, OOMX_POLICY_CLASSIC, TOTAL, 1000);
	KUNIT_EXPECT_EQ(test, sel->top_max, (unsigned int)OOMX_TOP_MAX);
}

/* ---- trigger ---- */

struct trigger_case {
	const char *name;
	struct oomx_trigger t;
	enum oomx_defer want;
};

#define BASE .enabled = true, .have_context = true, .gfp_fs = true
static const struct trigger_case trigger_cases[] = {
	{ "proceed", { BASE }, OOMX_ACT_PROCEED },
	{ "disabled", { .have_context = true, .gfp_fs = true }, OOMX_DEFER_DISABLED },
	{ "no context", { .enabled = true, .gfp_fs = true }, OOMX_DEFER_NO_CONTEXT },
	{ "sysrq", { BASE, .sysrq = true }, OOMX_DEFER_SYSRQ },
	{ "nofs", { .enabled = true, .have_context = true }, OOMX_DEFER_NOFS },
	{ "current exiting", { BASE, .current_exiting = true }, OOMX_DEFER_EXITING },
	{ "constrained", { BASE, .constrained = true }, OOMX_DEFER_CONSTRAINED },
	{ "panic_on_oom", { BASE, .panic_on_oom = true }, OOMX_DEFER_PANIC },
	{ "kill allocating", { BASE, .kill_allocating = true }, OOMX_DEFER_ALLOCATING },
	{ "handoff", { BASE, .handoff_pending = true }, OOMX_DEFER_HANDOFF },
	{ "victim in flight waits", { BASE, .victim_in_flight = true,
	  .now_ns = 100, .victim_deadline_ns = 101 }, OOMX_DEFER_WAIT },
	{ "victim timed out falls back", { BASE, .victim_in_flight = true,
	  .now_ns = 101, .victim_deadline_ns = 101 }, OOMX_ACT_FALLBACK },
	{ "in flight beats nofs", { .enabled = true, .have_context = true,
	  .victim_in_flight = true, .victim_deadline_ns = 5 }, OOMX_DEFER_WAIT },
	{ "sysrq beats in flight", { BASE, .sysrq = true, .victim_in_flight = true },
	  OOMX_DEFER_SYSRQ },
};

static void trigger_case_desc(const struct trigger_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(trigger, trigger_cases, trigger_case_desc);

static void oomx_trigger_test(struct kunit *test)
{
	const struct trigger_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, oomx_trigger_decide(&c->t), c->want);
}

static void defer_names(struct kunit *test)
{
	int i;

	for (i = 0; i < OOMX_DEFER_NR; i++)
		KUNIT_EXPECT_NOT_ERR_OR_NULL(test, oomx_defer_name(i));
	KUNIT_EXPECT_STREQ(test, oomx_defer_name(OOMX_DEFER_NR), "unknown");
}

/* ---- parameter parsing ---- */

static void parse_policy(struct kunit *test)
{
	enum oomx_policy p = OOMX_POLICY_LARGEST;

	KUNIT_EXPECT_EQ(test, oomx_parse_policy("classic", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_CLASSIC);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("adj_first\n", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_ADJ_FIRST);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("largest", &p), 0);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_LARGEST);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("Largest", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("classic extra", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, oomx_parse_policy("largest\n\n", &p), -EINVAL);
	KUNIT_EXPECT_EQ(test, p, OOMX_POLICY_LARGEST);	/* untouched on error */
	KUNIT_EXPECT_STREQ(test, oomx_policy_name(OOMX_POLICY_NR), "unknown");
}

struct uint_case {
	const char *in;
	int ret;
	unsigned int out;
};

static const struct uint_case uint_cases[] = {
	{ "0", 0, 0 }, { "500\n", 0, 500 }, { "60000", 0, 60000 },
	{ "0x10", 0, 16 }, { "60001", -EINVAL, 7 }, { "-1", -EINVAL, 7 },
	{ "", -EINVAL, 7 }, { "12abc", -EINVAL, 7 }, { " 5", -EINVAL, 7 },
	{ "4294967296", -EINVAL, 7 },
};

static void uint_case_desc(const struct uint_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "'%.*s'%s", (int)strcspn(c->in, "\n"),
		 c->in, strchr(c->in, '\n') ? " + newline" : "");
}

KUNIT_ARRAY_PARAM(uint, uint_cases, uint_case_desc);

static void parse_uint_test(struct kunit *test)
{
	const struct uint_case *c = test->param_value;
	unsigned int v = 7;

	KUNIT_EXPECT_EQ(test, oomx_parse_uint_range(c->in, 0, 60000, &v), c->ret);
	KUNIT_EXPECT_EQ(test, v, c->out);
}

static struct kunit_case oomx_policy_cases[] = {
	KUNIT_CASE_PARAM(oomx_score_test, score_gen_params),
	KUNIT_CASE(select_largest_wins),
	KUNIT_CASE(select_tie_later_wins),
	KUNIT_CASE(select_adj_min_spares_largest),
	KUNIT_CASE(select_adj_max_picks_small),
	KUNIT_CASE(select_adj_first_tiers),
	KUNIT_CASE(select_empty),
	KUNIT_CASE(select_all_unkillable),
	KUNIT_CASE(select_victim_in_flight_aborts),
	KUNIT_CASE(select_reaped_victim_skipped),
	KUNIT_CASE(select_origin_wins),
	KUNIT_CASE(select_top_truncates),
	{}
};

static struct kunit_suite oomx_policy_suite = {
	.name = "oomx_policy",
	.test_cases = oomx_policy_cases,
};

static struct kunit_case oomx_trigger_cases[] = {
	KUNIT_CASE_PARAM(oomx_trigger_test, trigger_gen_params),
	KUNIT_CASE(defer_names),
	{}
};

static struct kunit_suite oomx_trigger_suite = {
	.name = "oomx_trigger",
	.test_cases = oomx_trigger_cases,
};

static struct kunit_case oomx_params_cases[] = {
	KUNIT_CASE(parse_policy),
	KUNIT_CASE_PARAM(parse_uint_test, uint_gen_params),
	{}
};

static struct kunit_suite oomx_params_suite = {
	.name = "oomx_params",
	.test_cases = oomx_params_cases,
};

kunit_test_suites(&oomx_policy_suite, &oomx_trigger_suite, &oomx_params_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for oomx's policy");
