// SPDX-License-Identifier: GPL-2.0
/*
 * oomx policy: pure functions over the structs in oomx_policy.h.  No
 * locking, no kernel state: the same inputs always give the same answer,
 * which is what lets KUnit pin the behaviour down and what lets
 * "classic" promise to match the kernel's own choice.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "oomx_policy.h"

static const char * const oomx_policy_names[OOMX_POLICY_NR] = {
	[OOMX_POLICY_CLASSIC] = "classic",
	[OOMX_POLICY_LARGEST] = "largest",
	[OOMX_POLICY_ADJ_FIRST] = "adj_first",
	[OOMX_POLICY_GROWTH] = "growth",
	[OOMX_POLICY_CGROUP_FIRST] = "cgroup_first",
};

/*
 * adj_first: mem + adj * 2^44, the memory footprint capped below 2^44
 * pages (64 PiB).  Tiers stay strictly apart, and an adj 0 task scores
 * its memory: what oom_badness() gives it too.
 */
#define OOMX_ADJ_FIRST_SHIFT	44
#define OOMX_ADJ_FIRST_MEM_MAX	((1UL << OOMX_ADJ_FIRST_SHIFT) - 1)

/* oom_badness()'s "adj *= totalpages / 1000", saturated instead of wrapped. */
static long oomx_adj_term(short adj, unsigned long totalpages)
{
	unsigned long unit = totalpages / 1000;
	long term;

	if (unit > LONG_MAX ||
	    check_mul_overflow((long)adj, (long)unit, &term))
		return adj > 0 ? LONG_MAX : LONG_MIN + 1;
	return term;
}

/**
 * oomx_classic_points - the kernel's oom_badness() from its parts
 * @mem: resident pages + swap entries + page-table pages
 * @adj: oom_score_adj
 * @totalpages: RAM + swap the allocation may use
 *
 * Equal to oom_badness() for every input that does not overflow; where the
 * kernel would wrap, this saturates.  LONG_MIN for adj -1000, as the kernel.
 */
long oomx_classic_points(unsigned long mem, short adj, unsigned long totalpages)
{
	long points = mem > LONG_MAX ? LONG_MAX : (long)mem;
	long term;

	if (adj <= OOMX_SCORE_ADJ_MIN)
		return LONG_MIN;
	term = oomx_adj_term(adj, totalpages);
	if (check_add_overflow(points, term, &points))
		points = term > 0 ? LONG_MAX : LONG_MIN + 1;
	return points == LONG_MIN ? LONG_MIN + 1 : points;
}

/**
 * oomx_mem_from_classic - the memory part of an oom_badness() value
 * @points: what oom_badness() returned (not LONG_MIN)
 * @adj: the oom_score_adj it used
 * @totalpages: the totalpages it was given
 *
 * oom_badness() adds adj * (totalpages / 1000) to the memory footprint;
 * this takes it off again, so that policies that weigh memory and adj
 * differently can be computed from the value the kernel already has.
 */
unsigned long oomx_mem_from_classic(long points, short adj,
				    unsigned long totalpages)
{
	long mem;

	if (check_sub_overflow(points, oomx_adj_term(adj, totalpages), &mem))
		return points > 0 ? LONG_MAX : 0;
	return mem > 0 ? mem : 0;
}

/*
 * A rule's tier: each one a band of its own, 2^61 wide, around
 * (tier - normal) * 2^61, the score squeezed into it.  Scores of
 * the policies stay far inside (pages, and adj_first's adj * 2^44).
 */
#define OOMX_TIER_SHIFT		61
#define OOMX_TIER_HALF		((1L << (OOMX_TIER_SHIFT - 1)) - 1)

/*
 * cgroup_first: the candidate's cgroup score in the high part, its
 * classic points (moved up by totalpages, so never negative) in the low
 * one, both in pages scaled down by the same shift until three times
 * totalpages fits a part.  A part is 29 bits, so the two stay below
 * 2^59: exact up to 2^29 / 3 pages (680 GiB with 4 KiB pages), in steps
 * of 2^shift pages beyond.
 */
#define OOMX_GROUP_PART_BITS	29
#define OOMX_GROUP_PART_MAX	((1UL << OOMX_GROUP_PART_BITS) - 1)

/*
 * Every cgroup_first score has this bit set, which puts it above the raw
 * oom_badness() points (memory plus at most totalpages, far below 2^59
 * pages) of any candidate select.c leaves at the kernel's score because
 * its cgroup cannot win (oomx_sel_unit_may_win()): such a candidate
 * loses in the kernel's loop, as it would have under oomx's score.  Bit
 * and parts together stay below 2^60, inside the normal tier.
 */
#define OOMX_GROUP_BOOST	((long)BIT(59))

static long oomx_group_points(const struct oomx_cand *c,
			      unsigned long totalpages)
{
	unsigned long span = totalpages > (ULONG_MAX >> 2) ? ULONG_MAX :
			     totalpages * 3;
	unsigned long group, inner;
	unsigned int shift = 0;
	long low;

	while ((span >> shift) > OOMX_GROUP_PART_MAX)
		shift++;
	if (check_add_overflow(c->classic,
			       (long)min_t(unsigned long, totalpages, LONG_MAX),
			       &low))
		low = LONG_MAX;
	inner = min_t(unsigned long, clamp_t(long, low, 0, LONG_MAX) >> shift,
		      OOMX_GROUP_PART_MAX);
	group = min(c->group_mem >> shift, OOMX_GROUP_PART_MAX);
	return OOMX_GROUP_BOOST |
	       (long)((group << (OOMX_GROUP_PART_BITS + 1)) | inner);
}

static long oomx_tier_points(enum oomx_tier tier, long points)
{
	return ((long)tier - OOMX_TIER_NORMAL) * (1L << OOMX_TIER_SHIFT) +
	       clamp(points, -OOMX_TIER_HALF, OOMX_TIER_HALF);
}

/**
 * oomx_score - badness of one candidate under @policy
 * @c: the candidate (->mem, ->adj, ->classic, ->flags)
 * @policy: scoring policy
 * @totalpages: RAM + swap the allocation may use
 *
 * Returns LONG_MIN for a task that must not be chosen (the kernel's
 * verdict included), otherwise a value below LONG_MAX, which the kernel
 * reserves for oom_task_origin() tasks (swapoff, KSM unmerge).  An
 * operator rule (->rule) moves the score into its tier's band; a
 * protected task is scored with the kernel's own points there.
 */
long oomx_score(const struct oomx_cand *c, enum oomx_policy policy,
		unsigned long totalpages)
{
	enum oomx_tier tier;
	unsigned long mem;
	long points;

	if ((c->flags & OOMX_CAND_NEVER) || c->adj <= OOMX_SCORE_ADJ_MIN ||
	    c->classic == LONG_MIN)
		return LONG_MIN;

	switch (policy) {
	case OOMX_POLICY_CLASSIC:
		points = c->classic;
		break;
	case OOMX_POLICY_LARGEST:
		points = c->mem > LONG_MAX ? LONG_MAX : (long)c->mem;
		break;
	case OOMX_POLICY_ADJ_FIRST:
		mem = min(c->mem, OOMX_ADJ_FIRST_MEM_MAX);
		points = (long)c->adj * (1L << OOMX_ADJ_FIRST_SHIFT) + (long)mem;
		break;
	case OOMX_POLICY_GROWTH:
		/* What it will hold a window from now, if it goes on. */
		if (c->growth <= 0 ||
		    check_add_overflow(c->classic, c->growth, &points))
			points = c->growth > 0 ? LONG_MAX : c->classic;
		break;
	case OOMX_POLICY_CGROUP_FIRST:
		points = oomx_group_points(c, totalpages);
		break;
	default:
		return LONG_MIN;
	}
	tier = oomx_rule_tier(c->rule);
	if (tier != OOMX_TIER_NORMAL)
		return oomx_tier_points(tier, tier == OOMX_TIER_PROTECT ?
					c->classic : points);
	if (points == LONG_MIN)
		return LONG_MIN + 1;
	return points == LONG_MAX ? LONG_MAX - 1 : points;
}

/**
 * oomx_policy_rescores - can @policy give a task another score than the kernel's?
 * @policy: the policy
 * @adj: the task's oom_score_adj
 * @growth: what it gained over the growth window, as far as oomx knows
 *
 * oom_badness() gives memory + adj * totalpages / 1000.  classic is that;
 * largest and adj_first give an adj 0 task its memory, which is what the
 * kernel gave it, and growth gives a task that did not grow its classic
 * points.  Only the others need oomx's score handed back: the kernel's
 * selection is the same either way, and cheaper.
 */
bool oomx_policy_rescores(enum oomx_policy policy, short adj, long growth)
{
	switch (policy) {
	case OOMX_POLICY_CLASSIC:
		return false;
	case OOMX_POLICY_LARGEST:
	case OOMX_POLICY_ADJ_FIRST:
		return adj != 0;
	case OOMX_POLICY_GROWTH:
		return growth > 0;
	default:
		return true;
	}
}

/**
 * oomx_scan_needs_oomx - must oomx see every candidate of a selection?
 * @n: the configuration an OOM would run under
 *
 * Under classic with no rule, no full records and counters whose error
 * can never reach OOMX_SLACK_MATERIAL, oomx's choice is the kernel's for
 * every candidate: the kernel's own scan is oomx's selection, and the
 * candidate probe, which is nearly all that oomx adds to a selection,
 * can stay idle.  Anything else needs it.
 */
bool oomx_scan_needs_oomx(const struct oomx_scan_config *n)
{
	return n->policy != OOMX_POLICY_CLASSIC || n->rules || n->score_all ||
	       n->slack_max >= OOMX_SLACK_MATERIAL;
}

void oomx_sel_init(struct oomx_sel *sel, enum oomx_policy policy,
		   unsigned long totalpages, unsigned int top_max)
{
	memset(sel, 0, sizeof(*sel));
	sel->policy = policy;
	sel->totalpages = totalpages;
	sel->top_max = min_t(unsigned int, top_max, OOMX_TOP_MAX);
}

/*
 * Keep the best @top_max, best first.  Equal scores stay in the order
 * they came, so a long run of ties (thousands of identical workers) costs
 * nothing once the list is full; the winner of a tie, which is the last
 * of them as in the kernel, is in ->best whether or not it is listed.
 */
static void oomx_top_insert(struct oomx_sel *sel, const struct oomx_cand *c)
{
	unsigned int i, n = sel->nr_top;

	for (i = 0; i < n; i++)
		if (sel->top[i].points < c->points)
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
 * oomx_sel_offer - one candidate of the kernel's scan, through oomx's policy
 * @sel: selection state from oomx_sel_init()
 * @c: the candidate; ->points is filled in
 * @identify: fills in @c's pid, uid and comm, only if @c is kept
 * @ctx: its task, for @identify
 *
 * The kernel's oom_evaluate_task() keeps the candidate with the highest
 * points, a later one winning a tie.  oomx scores each candidate with its
 * policy and keeps, by that same rule, both its own choice (->best, which
 * the kernel takes when oomx hands it the points) and the classic one
 * (->best_classic, what the stock killer would take).
 */
void oomx_sel_offer(struct oomx_sel *sel, struct oomx_cand *c,
		    oomx_identify_t identify, const void *ctx)
{
	bool best, classic, top;

	sel->nr_seen++;
	c->points = oomx_score(c, sel->policy, sel->totalpages);
	if (c->points == LONG_MIN)
		return;
	sel->nr_eligible++;
	if (c->rule)
		sel->nr_ruled[(c->rule - 1) / OOMX_RULES_MAX]++;
	classic = !sel->have_best || c->classic >= sel->best_classic.classic;
	best = !sel->have_best || c->points >= sel->best.points;
	top = sel->nr_top < sel->top_max ||
	      c->points > sel->top[sel->nr_top - 1].points;
	/* Most candidates are kept nowhere: they need no identity. */
	if ((classic || best || top) && identify)
		identify(c, ctx);
	if (classic)
		sel->best_classic = *c;
	if (best)
		sel->best = *c;
	sel->have_best = true;
	if (top)
		oomx_top_insert(sel, c);
}

/**
 * oomx_sel_finalist - is @c worth counting exactly?
 * @sel: the selection so far
 * @c: a candidate scored from approximate counters (->mem, ->classic)
 * @slack: how far above ->mem the exact count can be, in pages
 *
 * True when, with @slack more memory, @c would score at or above the
 * best so far (a later candidate wins a tie), within the budget of
 * OOMX_EXACT_MAX per selection.  Every policy's score grows with memory,
 * so a candidate this says no to cannot win on exact counts either.
 */
bool oomx_sel_finalist(const struct oomx_sel *sel, const struct oomx_cand *c,
		       unsigned long slack)
{
	struct oomx_cand up = *c;

	if (sel->nr_exact >= OOMX_EXACT_MAX || c->classic == LONG_MIN)
		return false;
	if (!sel->have_best)
		return true;
	if (check_add_overflow(c->mem, slack, &up.mem))
		up.mem = ULONG_MAX;
	if (slack > LONG_MAX || check_add_overflow(c->classic, (long)slack,
						   &up.classic))
		up.classic = LONG_MAX - 1;
	/* A root-cgroup task is its own group, scored by its memory. */
	if (sel->policy == OOMX_POLICY_CGROUP_FIRST && !c->group_id &&
	    check_add_overflow(c->group_mem, slack, &up.group_mem))
		up.group_mem = ULONG_MAX;
	return oomx_score(&up, sel->policy, sel->totalpages) >=
	       sel->best.points;
}

/**
 * oomx_sel_unit_may_win - can a task of this cgroup still be cgroup_first's choice?
 * @sel: the selection so far
 * @group_mem: the cgroup's score (oomx_group_score()), as the task's
 *	->group_mem would be
 *
 * The best score any task of the cgroup could have without a rule (the
 * cgroup's part, the largest inner part) against the best so far; a
 * later candidate wins a tie, so an equal one may win.  Always true for
 * other policies and before an eligible candidate.  A task this says no
 * to may be left at the kernel's points, below every cgroup_first score
 * (OOMX_GROUP_BOOST): it loses either way.
 */
bool oomx_sel_unit_may_win(const struct oomx_sel *sel,
			   unsigned long group_mem)
{
	const struct oomx_cand up = {
		.classic = LONG_MAX - 1,
		.group_mem = group_mem,
	};

	if (sel->policy != OOMX_POLICY_CGROUP_FIRST || !sel->have_best)
		return true;
	return oomx_score(&up, sel->policy, sel->totalpages) >=
	       sel->best.points;
}

/**
 * oomx_growth_scale - a gain over @dt_ns, as pages per @window_ns
 * @gained: pages gained (negative: lost)
 * @dt_ns: over how long; 0 gives 0
 * @window_ns: the window the rate is expressed in
 */
long oomx_growth_scale(long gained, u64 dt_ns, u64 window_ns)
{
	u64 mag = gained < 0 ? -(u64)gained : (u64)gained;
	u64 r;

	if (!dt_ns || !gained)
		return 0;
	/* pages * ns stays far below 2^64 for any real gain and window. */
	if (mag > U64_MAX / window_ns)
		r = LONG_MAX;
	else
		r = min_t(u64, div64_u64(mag * window_ns, dt_ns), LONG_MAX);
	return gained < 0 ? -(long)r : (long)r;
}

/* A cgroup's score for cgroup_first: its usage and what it gains. */
unsigned long oomx_group_score(unsigned long usage, long growth)
{
	unsigned long s;

	if (growth <= 0)
		return usage;
	return check_add_overflow(usage, (unsigned long)growth, &s) ?
	       ULONG_MAX : s;
}

/* Binary search of @e, sorted by key; NULL when @key is not there. */
const struct oomx_growth_entry *
oomx_growth_find(const struct oomx_growth_entry *e, unsigned int n, u64 key)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (e[mid].key == key)
			return &e[mid];
		if (e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The whole selection over an array, in the order the kernel would scan. */
void oomx_select(struct oomx_sel *sel, struct oomx_cand *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		oomx_sel_offer(sel, &c[i], NULL, NULL);
}

/**
 * oomx_event_action - what an out_of_memory() call came to
 * @f: what oomx's probes saw of the call
 *
 * Follows out_of_memory()'s own order: OOM notifiers that freed memory,
 * a dying allocating task, the !__GFP_FS bail-out, the
 * oom_kill_allocating_task shortcut, then the selection, which either
 * kills, finds a victim still in flight (itself, or through oomx, which
 * hands the kernel's kill the victim its scan no longer saw), or finds
 * nothing.
 */
enum oomx_action oomx_event_action(const struct oomx_event_facts *f)
{
	if (!f->memcg && !f->sysrq && f->notifier_freed)
		return OOMX_ACT_NOTIFIER_FREED;
	if (f->redirected)
		return OOMX_ACT_IN_FLIGHT;
	if (f->reached_kill) {
		if (f->kill_allocating)
			return OOMX_ACT_ALLOCATING;
		if (!f->scored_all)
			return OOMX_ACT_UNSCORED;
		return f->dry_run ? OOMX_ACT_DRY_RUN : OOMX_ACT_KILL;
	}
	if (f->current_marked)
		return OOMX_ACT_EXITING;
	if (!f->memcg && !f->gfp_fs)
		return OOMX_ACT_NOFS;
	return f->progress ? OOMX_ACT_IN_FLIGHT : OOMX_ACT_NO_VICTIM;
}

static const char * const oomx_action_names[OOMX_ACT_NR] = {
	[OOMX_ACT_KILL] = "kill",
	[OOMX_ACT_DRY_RUN] = "dry_run",
	[OOMX_ACT_UNSCORED] = "unscored",
	[OOMX_ACT_ALLOCATING] = "kill_allocating_task",
	[OOMX_ACT_EXITING] = "current_exiting",
	[OOMX_ACT_NOTIFIER_FREED] = "notifier_freed",
	[OOMX_ACT_NOFS] = "nofs",
	[OOMX_ACT_IN_FLIGHT] = "victim_in_flight",
	[OOMX_ACT_NO_VICTIM] = "no_victim",
};

const char *oomx_action_name(enum oomx_action a)
{
	return a < OOMX_ACT_NR ? oomx_action_names[a] : "unknown";
}

/**
 * oomx_reap_due_ns - when the reaper may unmap a victim's memory
 * @t_kill_ns: when the victim was killed
 * @robust: what oomx found of its robust futex lists
 * @delay_ms: the delay when the lists could not be read whole
 * @verified_delay_ms: the delay when every entry was found and kept
 */
u64 oomx_reap_due_ns(u64 t_kill_ns, enum oomx_robust robust,
		     unsigned int delay_ms, unsigned int verified_delay_ms)
{
	unsigned int ms = robust == OOMX_ROBUST_UNKNOWN ? delay_ms :
			  verified_delay_ms;

	return t_kill_ns + (u64)ms * NSEC_PER_MSEC;
}

static const char * const oomx_robust_names[OOMX_ROBUST_NR] = {
	[OOMX_ROBUST_NONE] = "none",
	[OOMX_ROBUST_KEPT] = "kept",
	[OOMX_ROBUST_UNKNOWN] = "unknown",
};

const char *oomx_robust_name(enum oomx_robust r)
{
	return r < OOMX_ROBUST_NR ? oomx_robust_names[r] : "unknown";
}

void oomx_pageset_init(struct oomx_pageset *s)
{
	s->nr = 0;
	s->overflow = false;
}

/* Add the page holding @addr; false (and ->overflow) when full. */
bool oomx_pageset_add(struct oomx_pageset *s, unsigned long addr,
		      unsigned long page_size)
{
	unsigned long page = addr & ~(page_size - 1);
	unsigned int i;

	for (i = 0; i < s->nr && s->page[i] < page; i++)
		;
	if (i < s->nr && s->page[i] == page)
		return true;
	if (s->nr == OOMX_KEEP_MAX) {
		s->overflow = true;
		return false;
	}
	memmove(&s->page[i + 1], &s->page[i], (s->nr - i) * sizeof(s->page[0]));
	s->page[i] = page;
	s->nr++;
	return true;
}

/**
 * oomx_pageset_next_gap - the next range below *@cursor not in the set
 * @s: the pages to keep
 * @start: the bottom of the range being walked (page aligned)
 * @page_size: PAGE_SIZE
 * @cursor: in: the top of what is left (start with the range's end)
 * @lo: out: the gap's start
 * @hi: out: the gap's end
 *
 * Walks top-down, as the reaper walks the address space.  Returns false
 * when nothing is left above @start.
 */
bool oomx_pageset_next_gap(const struct oomx_pageset *s, unsigned long start,
			   unsigned long page_size, unsigned long *cursor,
			   unsigned long *lo, unsigned long *hi)
{
	while (*cursor > start) {
		int i = (int)s->nr - 1;
		unsigned long p;

		while (i >= 0 && s->page[i] >= *cursor)
			i--;
		if (i < 0 || s->page[i] + page_size <= start) {
			*lo = start;
			*hi = *cursor;
			*cursor = start;
			return true;
		}
		p = s->page[i];
		if (p + page_size >= *cursor) {
			*cursor = p;
			continue;
		}
		*lo = max(p + page_size, start);
		*hi = *cursor;
		*cursor = p;
		return true;
	}
	return false;
}

/* Pointers and the futex offset, in the width of the list's owner. */
static int oomx_robust_read(const struct oomx_robust_ops *ops, void *ctx,
			    unsigned long addr, unsigned int ptr_size,
			    bool is_signed, unsigned long *val)
{
	u64 v64;
	u32 v32;

	if (ptr_size == sizeof(u64)) {
		if (ops->read(ctx, addr, &v64, sizeof(v64)))
			return -EFAULT;
		*val = (unsigned long)v64;
	} else {
		if (ops->read(ctx, addr, &v32, sizeof(v32)))
			return -EFAULT;
		*val = is_signed ? (unsigned long)(long)(s32)v32 : v32;
	}
	return 0;
}

/*
 * Keep the page of user address @addr.  Pointers in the list may carry tag
 * bits the MMU ignores; VMAs and pages are found by the untagged address.
 */
static bool oomx_robust_keep(const struct oomx_robust_ops *ops, void *ctx,
			     struct oomx_pageset *keep, unsigned long addr)
{
	addr = ops->untag(ctx, addr);
	if (!ops->reapable(ctx, addr))
		return true;
	return oomx_pageset_add(keep, addr, ops->page_size);
}

/**
 * oomx_robust_walk - find every page exit_robust_list() will touch
 * @ops: how to read the victim's memory
 * @ctx: for @ops
 * @head: the thread's robust_list_head (user address)
 * @ptr_size: 8, or 4 for a compat (32-bit) list
 * @keep: pages to keep: the head, each entry and each futex word, where
 *        the reaper would otherwise unmap them
 * @budget: entries the caller lets this walk read; decremented
 * @found: set when the list has an entry or an operation pending
 *
 * Walks the list as exit_robust_list() does (low bit of each pointer is
 * the PI flag, at most OOMX_ROBUST_LIST_LIMIT entries, the pending entry's
 * futex word too).  Returns 0 when the whole list was read, -EFAULT when a
 * read would fault (a page swapped out or never there), -E2BIG when the
 * budget or @keep ran out: the caller then cannot vouch for this victim.
 */
int oomx_robust_walk(const struct oomx_robust_ops *ops, void *ctx,
		     unsigned long head, unsigned int ptr_size,
		     struct oomx_pageset *keep, unsigned int *budget,
		     bool *found)
{
	unsigned long entry, next, pending, off;
	unsigned int limit = OOMX_ROBUST_LIST_LIMIT;
	long futex_offset;

	if (oomx_robust_read(ops, ctx, head, ptr_size, false, &entry) ||
	    oomx_robust_read(ops, ctx, head + ptr_size, ptr_size, true, &off) ||
	    oomx_robust_read(ops, ctx, head + 2 * ptr_size, ptr_size, false,
			     &pending))
		return -EFAULT;
	futex_offset = (long)off;
	entry &= ~1UL;
	pending &= ~1UL;
	if (entry == head && !pending)
		return 0;

	*found = true;
	if (!oomx_robust_keep(ops, ctx, keep, head) ||
	    !oomx_robust_keep(ops, ctx, keep, head + 3 * ptr_size - 1))
		return -E2BIG;
	while (entry != head) {
		if (!*budget)
			return -E2BIG;
		(*budget)--;
		if (!oomx_robust_keep(ops, ctx, keep, entry) ||
		    !oomx_robust_keep(ops, ctx, keep, entry + futex_offset))
			return -E2BIG;
		if (oomx_robust_read(ops, ctx, entry, ptr_size, false, &next))
			return -EFAULT;
		entry = next & ~1UL;
		/* The kernel stops here too: what follows is never touched. */
		if (!--limit)
			break;
	}
	if (pending && !oomx_robust_keep(ops, ctx, keep, pending + futex_offset))
		return -E2BIG;
	return 0;
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

/*
 * oomx_parse_bool - a whole boolean word, one trailing newline allowed
 * @s: the value written
 * @out: the result
 *
 * Stricter than kstrtobool(), which reads only the first character and
 * would take "yes please" or "1000" as true.
 */
int oomx_parse_bool(const char *s, bool *out)
{
	static const char * const yes[] = { "1", "y", "yes", "on", "true" };
	static const char * const no[] = { "0", "n", "no", "off", "false" };
	size_t len = strlen(s);
	int i;

	if (len && s[len - 1] == '\n')
		len--;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (len == strlen(yes[i]) && !strncasecmp(s, yes[i], len)) {
			*out = true;
			return 0;
		}
		if (len == strlen(no[i]) && !strncasecmp(s, no[i], len)) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *oomx_policy_name(enum oomx_policy p)
{
	return p < OOMX_POLICY_NR ? oomx_policy_names[p] : "unknown";
}

/* The verified delay is a shortcut: it can never be longer than the safe one. */
int oomx_check_reap_delays(unsigned int delay_ms, unsigned int verified_delay_ms)
{
	return verified_delay_ms <= delay_ms ? 0 : -EINVAL;
}

/* ---- early intervention ---- */

static unsigned int oomx_pct_of(u64 part, u64 whole)
{
	if (!whole)
		return 0;
	return part >= whole ? 100 : (unsigned int)div64_u64(part * 100, whole);
}

unsigned int oomx_episode_stall_pct(const struct oomx_episode *e)
{
	return oomx_pct_of(e->stall_ns, e->dt_ns);
}

static unsigned int oomx_rate_kbps(u64 pages, u64 dt_ns, unsigned int page_kb)
{
	u64 ms = div_u64(dt_ns, NSEC_PER_MSEC);

	return ms ? (unsigned int)min_t(u64, div64_u64(pages * page_kb * 1000,
						       ms), UINT_MAX) : 0;
}

/* Working-set refaults (activations) over the episode, KiB/s. */
unsigned int oomx_episode_refault_kbps(const struct oomx_episode *e,
				       unsigned int page_kb)
{
	return oomx_rate_kbps(e->ws_refaults, e->dt_ns, page_kb);
}

/* Every refault over the episode, KiB/s. */
unsigned int oomx_episode_all_refault_kbps(const struct oomx_episode *e,
					   unsigned int page_kb)
{
	return oomx_rate_kbps(e->refaults, e->dt_ns, page_kb);
}

static void oomx_episode_add(struct oomx_episode *e,
			     const struct oomx_pressure *p, u64 now_ns)
{
	if (!e->since_ns)
		e->since_ns = now_ns - min(p->dt_ns, now_ns - 1);
	e->last_ns = now_ns;
	e->dt_ns += p->dt_ns;
	e->stall_ns += min(p->stall_ns, p->dt_ns);
	e->ws_refaults += p->ws_refaults;
	e->refaults += p->refaults;
	e->machine_scans += p->machine_scans;
}

/*
 * Did the machine's own reclaim do the evicting behind the episode's
 * refaults?  A page refaults after something evicted it, so when the
 * machine thrashes its reclaim scans at least as many pages as the
 * working set refaults (half, for what the episode's edges cut off);
 * a cgroup thrashing at its limit evicts through its own reclaim, which
 * these counters leave out, beside at most a trickle of kswapd's.
 */
static bool oomx_machine_reclaims(const struct oomx_episode *e)
{
	return e->machine_scans && 2 * e->machine_scans >= e->ws_refaults;
}

static bool oomx_sustained(const struct oomx_episode *e, unsigned int ms,
			   u64 now_ns)
{
	return e->since_ns && now_ns - e->since_ns >= (u64)ms * NSEC_PER_MSEC;
}

/*
 * The refaulting episode: begun by a tick that refaults while little is
 * available, kept (its quiet ticks counted in, so its rate is over wall
 * time) until OOMX_REFAULT_GAP_MS pass without one.
 */
static void oomx_refault_tick(struct oomx_episode *e,
			      const struct oomx_pressure *p, bool low,
			      u64 now_ns)
{
	u64 last;

	if (low && p->refaults) {
		oomx_episode_add(e, p, now_ns);
		return;
	}
	if (!e->since_ns)
		return;
	if (now_ns - e->last_ns >= (u64)OOMX_REFAULT_GAP_MS * NSEC_PER_MSEC) {
		memset(e, 0, sizeof(*e));
		return;
	}
	last = e->last_ns;
	oomx_episode_add(e, p, now_ns);
	e->last_ns = last;
}

/*
 * Is the refaulting fast enough to call it drowning: at least
 * refault_kbps, and at least refault_pct of what is available every
 * second (the cache being turned over in 100 / refault_pct seconds)?
 * The second test scales with the machine: a trickle that means
 * thrashing on a 512 MiB guest is nothing on a 1 TiB database host.
 */
static bool oomx_refault_drowning(const struct oomx_episode *e,
				  const struct oomx_early_cfg *cfg,
				  const struct oomx_pressure *p)
{
	u64 kbps = oomx_episode_all_refault_kbps(e, cfg->page_kb);
	u64 avail_kb = (u64)p->avail_pages * cfg->page_kb;

	return kbps >= max(cfg->refault_kbps, 1U) &&
	       kbps * 100 >= (u64)cfg->refault_pct * avail_kb;
}

/**
 * oomx_early_step - one tick of evidence through the early triggers
 * @s: the episodes so far (zeroed to begin)
 * @cfg: the thresholds, as validated by oomx_check_early()
 * @p: what the tick saw
 * @now_ns: the tick's end
 *
 * Thrashing: a tick whose stall share reaches stall_pct begins or extends
 * an episode; once one is under way, ticks down to half that keep it
 * going (hysteresis), anything less ends it.  It acts when it has lasted
 * sustain_ms and, over its whole length, the stall share is still at
 * least stall_pct, working-set refaults at least refault_kbps, and the
 * machine's own reclaim scanned at least half as many pages as those
 * refaults (oomx_machine_reclaims(): stalls and refaults of a memory
 * cgroup at its limit are that cgroup's, whose reclaim the kernel does
 * not count in the machine's pgscan events).
 *
 * Refaulting: MemAvailable under refault_avail_pct of RAM and pages read
 * back in after eviction (oomx_refault_tick() for the episode).  It acts
 * when it has lasted sustain_ms, memory is still that low, and the rate
 * over its length passes oomx_refault_drowning().  A refault_avail_pct
 * of 0 turns it off.
 *
 * Floor: MemAvailable under avail_floor_pct of RAM and free swap under
 * swap_floor_pct of RAM (no swap counts as none free), with some stall,
 * for OOMX_FLOOR_SUSTAIN_MS with OOMX_FLOOR_STALL_PCT stall over it.
 * An avail_floor_pct of 0 turns the floor off.
 */
enum oomx_early_verdict oomx_early_step(struct oomx_early_state *s,
					const struct oomx_early_cfg *cfg,
					const struct oomx_pressure *p,
					u64 now_ns)
{
	unsigned int tick = oomx_pct_of(p->stall_ns, p->dt_ns);
	unsigned int need = s->thrash.since_ns ? cfg->stall_pct / 2 :
						 cfg->stall_pct;
	bool low_avail, low_swap, low_refault;
	u64 avail100 = (u64)p->avail_pages * 100;

	if (!p->dt_ns)
		return s->thrash.since_ns || s->refault.since_ns ||
		       s->floor.since_ns ? OOMX_EARLY_RISING : OOMX_EARLY_CALM;

	if (tick >= need && tick > 0)
		oomx_episode_add(&s->thrash, p, now_ns);
	else
		memset(&s->thrash, 0, sizeof(s->thrash));

	low_refault = avail100 < (u64)cfg->refault_avail_pct * p->total_pages;
	oomx_refault_tick(&s->refault, p, low_refault, now_ns);

	low_avail = avail100 < (u64)cfg->avail_floor_pct * p->total_pages;
	low_swap = (u64)p->swap_free_pages * 100 <
		   (u64)cfg->swap_floor_pct * p->total_pages;
	if (low_avail && low_swap && tick > 0)
		oomx_episode_add(&s->floor, p, now_ns);
	else
		memset(&s->floor, 0, sizeof(s->floor));

	if (oomx_sustained(&s->thrash, cfg->sustain_ms, now_ns) &&
	    oomx_machine_reclaims(&s->thrash) &&
	    oomx_episode_stall_pct(&s->thrash) >= cfg->stall_pct &&
	    oomx_episode_refault_kbps(&s->thrash, cfg->page_kb) >=
	    cfg->refault_kbps)
		return OOMX_EARLY_THRASHING;
	if (low_refault &&
	    oomx_sustained(&s->refault, cfg->sustain_ms, now_ns) &&
	    oomx_refault_drowning(&s->refault, cfg, p))
		return OOMX_EARLY_REFAULTING;
	if (oomx_sustained(&s->floor, OOMX_FLOOR_SUSTAIN_MS, now_ns) &&
	    oomx_episode_stall_pct(&s->floor) >= OOMX_FLOOR_STALL_PCT)
		return OOMX_EARLY_FLOOR;
	return s->thrash.since_ns || s->refault.since_ns ||
	       s->floor.since_ns ? OOMX_EARLY_RISING : OOMX_EARLY_CALM;
}

/* The episode behind a verdict that acts (the thrashing one otherwise). */
const struct oomx_episode *
oomx_early_episode(const struct oomx_early_state *s,
		   enum oomx_early_verdict v)
{
	if (v == OOMX_EARLY_REFAULTING)
		return &s->refault;
	if (v == OOMX_EARLY_FLOOR)
		return &s->floor;
	return &s->thrash;
}

/* After an action: the next one needs evidence gathered afresh. */
void oomx_early_reset(struct oomx_early_state *s)
{
	memset(s, 0, sizeof(*s));
}

const char *oomx_early_verdict_name(enum oomx_early_verdict v)
{
	static const char * const names[] = {
		[OOMX_EARLY_CALM] = "calm",
		[OOMX_EARLY_RISING] = "rising",
		[OOMX_EARLY_THRASHING] = "thrashing",
		[OOMX_EARLY_FLOOR] = "floor",
		[OOMX_EARLY_REFAULTING] = "refaulting",
	};

	return v < ARRAY_SIZE(names) ? names[v] : "unknown";
}

/**
 * oomx_memcg_pressure - a memory cgroup's tick, as the early triggers read it
 * @p: out: the tick, scoped to the cgroup
 * @dt_ns: the tick's length (0: the first look at this cgroup)
 * @refaults: pages refaulted in the cgroup or below it over the tick
 * @limit: its limit, the lower of memory.max and memory.high, in pages
 *	(0: none, and then nothing here ever acts)
 * @anon: anonymous memory of its processes, in pages
 *
 * A cgroup at its limit thrashes as a machine does, and its own reclaim,
 * dropping the page cache it reads back a moment later, keeps it from
 * any OOM.  Its limit is its RAM, and what the limit leaves besides
 * anonymous memory (which reclaim without swap cannot take) is its
 * MemAvailable, so the refaulting trigger reads it unchanged.  No stall
 * and no working-set refaults: thrashing stays the machine's trigger.
 */
void oomx_memcg_pressure(struct oomx_pressure *p, u64 dt_ns, u64 refaults,
			 unsigned long limit, unsigned long anon)
{
	*p = (struct oomx_pressure){
		.dt_ns = dt_ns,
		.refaults = refaults,
		.avail_pages = anon < limit ? limit - anon : 0,
		.total_pages = limit,
	};
}

/*
 * The machine's thresholds, for a memory cgroup: the refaulting trigger
 * alone.  The floor is off: a cgroup at its limit with nothing left to
 * drop meets its own OOM at once, which the kernel handles with oomx's
 * choice.
 */
struct oomx_early_cfg oomx_memcg_early_cfg(const struct oomx_early_cfg *cfg)
{
	struct oomx_early_cfg c = *cfg;

	c.avail_floor_pct = 0;
	return c;
}

/* The thresholds together: 0 or -EINVAL. */
int oomx_check_early(const struct oomx_early_cfg *cfg)
{
	if (cfg->stall_pct < 1 || cfg->stall_pct > 100)
		return -EINVAL;
	if (cfg->sustain_ms < 100 || cfg->sustain_ms > 600000)
		return -EINVAL;
	if (cfg->avail_floor_pct > 50 || cfg->swap_floor_pct > 100)
		return -EINVAL;
	if (cfg->refault_avail_pct > 50 || cfg->refault_pct > 100)
		return -EINVAL;
	return 0;
}
