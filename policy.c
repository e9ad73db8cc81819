// SPDX-License-Identifier: GPL-2.0
/*
 * oomx policy: pure functions over struct oomx_cand / oomx_sel /
 * oomx_trigger.  No locking, no kernel state: the same inputs always give
 * the same answer, which is what lets KUnit pin the behaviour down and what
 * lets "classic" promise to match the kernel's own choice.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "oomx_policy.h"

static const char * const oomx_policy_names[OOMX_POLICY_NR] = {
	[OOMX_POLICY_CLASSIC] = "classic",
	[OOMX_POLICY_LARGEST] = "largest",
	[OOMX_POLICY_ADJ_FIRST] = "adj_first",
};

/* adj_first packs the tier above the memory footprint: 2^44 pages is 64 PiB. */
#define OOMX_ADJ_FIRST_SHIFT	44
#define OOMX_ADJ_FIRST_MEM_MAX	((1UL << OOMX_ADJ_FIRST_SHIFT) - 1)

static unsigned long oomx_mem_pages(const struct oomx_cand *c)
{
	unsigned long sum;

	/* Saturate rather than wrap: a wrapped sum would pick a tiny task. */
	if (check_add_overflow(c->rss, c->swapents, &sum) ||
	    check_add_overflow(sum, c->pgtables, &sum))
		return ULONG_MAX;
	return sum;
}

/**
 * oomx_score - badness of one candidate under @policy
 * @c: the candidate
 * @policy: scoring policy
 * @totalpages: RAM + swap the allocation may use (normalises oom_score_adj)
 *
 * Returns LONG_MIN for a task that must not be chosen.  For the classic
 * policy the result equals the kernel's oom_badness() for every input that
 * does not overflow; where the kernel would wrap, oomx saturates.
 */
long oomx_score(const struct oomx_cand *c, enum oomx_policy policy,
		unsigned long totalpages)
{
	unsigned long mem;
	long points, adj_term;

	if (c->flags & (OOMX_CAND_UNKILLABLE | OOMX_CAND_NO_MM |
			OOMX_CAND_VFORK | OOMX_CAND_MM_SKIP |
			OOMX_CAND_INELIGIBLE))
		return LONG_MIN;
	if (c->adj <= OOMX_SCORE_ADJ_MIN)
		return LONG_MIN;

	mem = oomx_mem_pages(c);
	points = mem > LONG_MAX ? LONG_MAX : (long)mem;

	switch (policy) {
	case OOMX_POLICY_CLASSIC:
		/* oom_badness(): adj *= totalpages / 1000; points += adj */
		if (check_mul_overflow((long)c->adj, (long)(totalpages / 1000),
				       &adj_term))
			adj_term = c->adj > 0 ? LONG_MAX : LONG_MIN + 1;
		if (check_add_overflow(points, adj_term, &points))
			points = adj_term > 0 ? LONG_MAX : LONG_MIN + 1;
		/* LONG_MIN means "never"; a merely very low score is not that. */
		return points == LONG_MIN ? LONG_MIN + 1 : points;
	case OOMX_POLICY_LARGEST:
		return points;
	case OOMX_POLICY_ADJ_FIRST:
		mem = min(mem, OOMX_ADJ_FIRST_MEM_MAX);
		return ((long)(c->adj - OOMX_SCORE_ADJ_MIN) <<
			OOMX_ADJ_FIRST_SHIFT) | (long)mem;
	default:
		return LONG_MIN;
	}
}

void oomx_sel_init(struct oomx_sel *sel, enum oomx_policy policy,
		   unsigned long totalpages, unsigned int top_max)
{
	memset(sel, 0, sizeof(*sel));
	sel->policy = policy;
	sel->totalpages = totalpages;
	sel->top_max = min_t(unsigned int, top_max, OOMX_TOP_MAX);
	sel->state = OOMX_SEL_NONE;
}

/* Keep the best @top_max, best first; a later tie goes first, as it wins. */
static void oomx_top_insert(struct oomx_sel *sel, const struct oomx_cand *c)
{
	unsigned int i, n = sel->nr_top;

	for (i = 0; i < n; i++)
		if (sel->top[i].points <= c->points)
			break;
	if (i >= sel->top_max)
		return;
	if (n == sel->top_max)
		n--;
	memmove(&sel->top[i + 1], &sel->top[i], (n - i) * sizeof(*c));
	sel->top[i] = *c;
	sel->nr_top = n + 1;
}

/**
 * oomx_sel_consider - offer one task to the selection
 * @sel: selection state from oomx_sel_init()
 * @c: the candidate; ->points is filled in
 *
 * Mirrors the kernel's oom_evaluate_task(): unkillable tasks are passed
 * over, an OOM victim that has not been reaped yet aborts the whole scan
 * (the kernel waits for it instead of killing a second task), a victim
 * already reaped is passed over, oom_task_origin() wins outright, and on
 * equal points the later task wins.
 *
 * Returns false when the scan must stop (abort).
 */
bool oomx_sel_consider(struct oomx_sel *sel, struct oomx_cand *c)
{
	sel->nr_seen++;
	if (sel->state == OOMX_SEL_ABORT)
		return false;
	if (c->flags & (OOMX_CAND_UNKILLABLE | OOMX_CAND_INELIGIBLE |
			OOMX_CAND_VICTIM_DONE))
		return true;
	if (c->flags & OOMX_CAND_VICTIM) {
		sel->state = OOMX_SEL_ABORT;
		sel->victim = *c;
		return false;
	}

	if (c->flags & OOMX_CAND_ORIGIN)
		c->points = LONG_MAX;
	else
		c->points = oomx_score(c, sel->policy, sel->totalpages);
	if (c->points == LONG_MIN)
		return true;

	sel->nr_eligible++;
	oomx_top_insert(sel, c);
	if (sel->state == OOMX_SEL_NONE || c->points >= sel->victim.points) {
		sel->victim = *c;
		sel->state = OOMX_SEL_VICTIM;
	}
	return true;
}

/* The whole selection over an array, in the order the glue would scan. */
void oomx_select(struct oomx_sel *sel, struct oomx_cand *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!oomx_sel_consider(sel, &c[i]))
			break;
}

/**
 * oomx_trigger_decide - does oomx act on this OOM event, and if not, why
 * @t: what the glue knows about the event
 *
 * Every "defer" leaves the event to the kernel, which then does exactly
 * what it would do without oomx.  oomx only claims progress after it has
 * really sent SIGKILL, so it can never livelock the allocator.
 */
enum oomx_defer oomx_trigger_decide(const struct oomx_trigger *t)
{
	if (!t->enabled)
		return OOMX_DEFER_DISABLED;
	if (!t->have_context)
		return OOMX_DEFER_NO_CONTEXT;
	if (t->sysrq)
		return OOMX_DEFER_SYSRQ;
	if (t->victim_in_flight)
		return t->now_ns >= t->victim_deadline_ns ?
			OOMX_ACT_FALLBACK : OOMX_DEFER_WAIT;
	if (t->handoff_pending)
		return OOMX_DEFER_HANDOFF;
	if (!t->gfp_fs)
		return OOMX_DEFER_NOFS;
	if (t->current_exiting)
		return OOMX_DEFER_EXITING;
	if (t->constrained)
		return OOMX_DEFER_CONSTRAINED;
	if (t->panic_on_oom)
		return OOMX_DEFER_PANIC;
	if (t->kill_allocating)
		return OOMX_DEFER_ALLOCATING;
	return OOMX_ACT_PROCEED;
}

static const char * const oomx_defer_names[OOMX_DEFER_NR] = {
	[OOMX_ACT_PROCEED] = "proceed",
	[OOMX_DEFER_DISABLED] = "disabled",
	[OOMX_DEFER_NO_CONTEXT] = "no_context",
	[OOMX_DEFER_SYSRQ] = "sysrq",
	[OOMX_DEFER_NOFS] = "nofs",
	[OOMX_DEFER_EXITING] = "current_exiting",
	[OOMX_DEFER_CONSTRAINED] = "constrained",
	[OOMX_DEFER_PANIC] = "panic_on_oom",
	[OOMX_DEFER_ALLOCATING] = "oom_kill_allocating_task",
	[OOMX_DEFER_HANDOFF] = "handoff",
	[OOMX_DEFER_WAIT] = "victim_in_flight",
	[OOMX_ACT_FALLBACK] = "fallback",
	[OOMX_DEFER_NO_VICTIM] = "no_victim",
};

const char *oomx_defer_name(enum oomx_defer d)
{
	return d < OOMX_DEFER_NR ? oomx_defer_names[d] : "unknown";
}

int oomx_parse_policy(const char *s, enum oomx_policy *out)
{
	int i;

	for (i = 0; i < OOMX_POLICY_NR; i++) {
		if (sysfs_streq(s, oomx_policy_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *oomx_policy_name(enum oomx_policy p)
{
	return p < OOMX_POLICY_NR ? oomx_policy_names[p] : "unknown";
}

int oomx_parse_uint_range(const char *s, unsigned int min, unsigned int max,
			  unsigned int *out)
{
	unsigned int v;

	if (kstrtouint(s, 0, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
