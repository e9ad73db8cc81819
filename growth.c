// SPDX-License-Identifier: GPL-2.0
/*
 * oomx growth: how fast processes and memory cgroups grew over the last
 * seconds, for policy=growth and policy=cgroup_first.
 *
 * The early watcher (early.c) calls oomx_growth_tick() on each of its
 * ticks, and, while these policies are in force, once a second when the
 * machine is calm; at most once every OOMX_GROWTH_PERIOD_MS it takes one
 * sample: the OOMX_GROWTH_TASKS largest processes (rss, swap
 * entries and page tables, as oom_badness() counts them), in a ring of
 * OOMX_GROWTH_SAMPLES.  A process's growth is its gain since the oldest
 * sample in the ring that has it (same pid, same start time), scaled
 * down to OOMX_GROWTH_WINDOW_MS when that sample is older (never up: a
 * process that has just filled what it allocated is not extrapolated
 * into a leak); a cgroup's is the sum over its processes,
 * added to the memcg and each of its ancestors.
 *
 * Each sample publishes one snapshot under RCU: sorted arrays the OOM
 * path's probe handlers search in O(log n) (oomx_growth_lookup()).
 * Memory is fixed whatever the number of tasks: a sample keeps only the
 * largest processes (a fast grower soon is one), the snapshot only the
 * processes with a known growth and the first cgroups met, and every
 * snapshot is built from nothing, so no table fills up and stays full.
 * A snapshot older than two windows (the watcher went back to sleep)
 * counts as no growth at all.
 *
 * The ring and the snapshot being built belong to the watcher thread,
 * which alone calls oomx_growth_tick(); two snapshot buffers alternate,
 * the one unpublished reused only after an RCU grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>

#include "compat.h"
#include "oomx.h"

#define OOMX_GROWTH_TASKS	256
#define OOMX_GROWTH_GROUPS	256
#define OOMX_GROWTH_SAMPLES	6	/* 5 periods back */
#define OOMX_GROWTH_WINDOW_MS	5000
#define OOMX_GROWTH_DEPTH	16	/* cgroup levels a growth is added to */

struct oomx_growth_proc {
	pid_t tgid;
	u64 start;		/* task->start_time: a reused pid is another */
	unsigned long mem;
};

struct oomx_growth_sample {
	u64 t_ns;		/* 0: empty */
	unsigned int nr;
	struct oomx_growth_proc p[OOMX_GROWTH_TASKS];	/* by tgid */
};

struct oomx_growth_snap {
	u64 t_ns;
	unsigned int nr_tasks, nr_groups;
	struct oomx_growth_entry task[OOMX_GROWTH_TASKS];	/* by tgid */
	struct oomx_growth_entry group[OOMX_GROWTH_GROUPS];	/* by id */
};

/* The watcher thread's own. */
static struct {
	struct oomx_growth_sample ring[OOMX_GROWTH_SAMPLES];
	unsigned int head;		/* the next sample goes here */
	struct oomx_growth_proc heap[OOMX_GROWTH_TASKS];
	struct oomx_growth_snap snaps[2];
	unsigned long retired;		/* RCU state of the unpublished one */
	bool retired_valid;
} oomx_g;

static struct oomx_growth_snap __rcu *oomx_growth_pub;

/* ---- the sample: the largest processes, a min-heap while walking ---- */

static void oomx_heap_down(struct oomx_growth_proc *h, unsigned int n,
			   unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && h[l].mem < h[m].mem)
			m = l;
		if (r < n && h[r].mem < h[m].mem)
			m = r;
		if (m == i)
			return;
		swap(h[i], h[m]);
		i = m;
	}
}

static void oomx_heap_up(struct oomx_growth_proc *h, unsigned int i)
{
	while (i) {
		unsigned int parent = (i - 1) / 2;

		if (h[parent].mem <= h[i].mem)
			return;
		swap(h[i], h[parent]);
		i = parent;
	}
}

static int oomx_proc_cmp(const void *a, const void *b)
{
	const struct oomx_growth_proc *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static int oomx_entry_cmp(const void *a, const void *b)
{
	const struct oomx_growth_entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static const struct oomx_growth_proc *
oomx_sample_find(const struct oomx_growth_sample *s, pid_t tgid, u64 start)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->p[mid].tgid == tgid)
			return s->p[mid].start == start ? &s->p[mid] : NULL;
		if (s->p[mid].tgid < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Growth of @p since the oldest sample in the window that has it. */
static bool oomx_proc_growth(pid_t tgid, u64 start, unsigned long mem,
			     u64 now, long *growth)
{
	u64 window = (u64)OOMX_GROWTH_WINDOW_MS * NSEC_PER_MSEC;
	unsigned int k;

	for (k = 0; k < OOMX_GROWTH_SAMPLES; k++) {
		/* From the oldest slot to the newest. */
		const struct oomx_growth_sample *s =
			&oomx_g.ring[(oomx_g.head + k) % OOMX_GROWTH_SAMPLES];
		const struct oomx_growth_proc *old;

		if (!s->t_ns || now - s->t_ns > window + window / 4)
			continue;
		old = oomx_sample_find(s, tgid, start);
		if (!old)
			continue;
		/* What it gained in the window: scaled down, never up. */
		*growth = (long)mem - (long)old->mem;
		if (now - s->t_ns > window)
			*growth = oomx_growth_scale(*growth, now - s->t_ns,
						    window);
		return true;
	}
	return false;
}

/* Add @growth to @memcg and its ancestors in @snap's group table. */
static void oomx_group_add(struct oomx_growth_snap *snap,
			   struct mem_cgroup *memcg, long growth)
{
	unsigned int depth, i;

	for (depth = 0; memcg && !oomx_memcg_is_root(memcg) &&
	     depth < OOMX_GROWTH_DEPTH;
	     memcg = parent_mem_cgroup(memcg), depth++) {
		u64 id = oomx_memcg_id(memcg);

		/* Unsorted while building: a short linear search. */
		for (i = 0; i < snap->nr_groups; i++)
			if (snap->group[i].key == id)
				break;
		if (i == snap->nr_groups) {
			if (i == OOMX_GROWTH_GROUPS)
				continue;
			snap->group[i].key = id;
			snap->group[i].growth = 0;
			snap->nr_groups++;
		}
		snap->group[i].growth += growth;
	}
}

static struct oomx_growth_snap *oomx_snap_free(void)
{
	struct oomx_growth_snap *cur;

	cur = rcu_dereference_protected(oomx_growth_pub, true);
	if (oomx_g.retired_valid &&
	    !poll_state_synchronize_rcu(oomx_g.retired))
		return NULL;
	return cur == &oomx_g.snaps[0] ? &oomx_g.snaps[1] : &oomx_g.snaps[0];
}

/**
 * oomx_growth_tick - one sample, if a period has passed (watcher thread)
 * @now: oomx_now_ns()
 */
void oomx_growth_tick(u64 now)
{
	struct oomx_growth_sample *s = &oomx_g.ring[oomx_g.head];
	struct oomx_growth_snap *snap, *old;
	struct oomx_growth_proc *h = oomx_g.heap;
	unsigned int n = 0;
	struct task_struct *p;
	unsigned int newest = (oomx_g.head + OOMX_GROWTH_SAMPLES - 1) %
			      OOMX_GROWTH_SAMPLES;

	if (oomx_g.ring[newest].t_ns &&
	    now - oomx_g.ring[newest].t_ns <
	    (u64)OOMX_GROWTH_PERIOD_MS * NSEC_PER_MSEC)
		return;
	snap = oomx_snap_free();
	if (snap) {
		snap->nr_tasks = 0;
		snap->nr_groups = 0;
	}

	rcu_read_lock();
	for_each_process(p) {
		struct oomx_growth_proc e;
		struct oomx_mm_facts f;
		long growth;

		if (is_global_init(p) || (p->flags & PF_KTHREAD) ||
		    !oomx_task_mm_facts(p, false, &f))
			continue;
		e.mem = f.mem;
		e.tgid = p->tgid;
		e.start = p->start_time;
		if (snap && oomx_proc_growth(e.tgid, e.start, e.mem, now,
					     &growth)) {
			if (snap->nr_tasks < OOMX_GROWTH_TASKS) {
				snap->task[snap->nr_tasks].key = e.tgid;
				snap->task[snap->nr_tasks].growth = growth;
				snap->nr_tasks++;
			}
			if (growth && !mem_cgroup_disabled())
				oomx_group_add(snap, mem_cgroup_from_task(p),
					       growth);
		}
		if (n < OOMX_GROWTH_TASKS) {
			h[n] = e;
			oomx_heap_up(h, n++);
		} else if (e.mem > h[0].mem) {
			h[0] = e;
			oomx_heap_down(h, n, 0);
		}
	}
	rcu_read_unlock();

	memcpy(s->p, h, n * sizeof(*h));
	s->nr = n;
	sort(s->p, n, sizeof(*s->p), oomx_proc_cmp, NULL);
	s->t_ns = now;
	oomx_g.head = (oomx_g.head + 1) % OOMX_GROWTH_SAMPLES;
	if (!snap)
		return;
	snap->t_ns = now;
	sort(snap->task, snap->nr_tasks, sizeof(*snap->task), oomx_entry_cmp,
	     NULL);
	sort(snap->group, snap->nr_groups, sizeof(*snap->group),
	     oomx_entry_cmp, NULL);
	old = rcu_replace_pointer(oomx_growth_pub, snap, true);
	if (old) {
		/*
		 * Starts a grace period if none is under way: an idle
		 * machine may otherwise see none for a long time.
		 */
		oomx_g.retired = start_poll_synchronize_rcu();
		oomx_g.retired_valid = true;
	}
}

/*
 * The latest snapshot, or NULL if none or too old to tell (caller: RCU).
 * One published after @now was read is the freshest there is.
 */
static const struct oomx_growth_snap *oomx_growth_snap_fresh(u64 now)
{
	const struct oomx_growth_snap *snap = rcu_dereference(oomx_growth_pub);

	if (snap && (s64)(now - snap->t_ns) >
		    (s64)(2ULL * OOMX_GROWTH_WINDOW_MS * NSEC_PER_MSEC))
		return NULL;
	return snap;
}

/**
 * oomx_growth_of - what process @tgid gained over the window, 0 if unknown
 * @tgid: the process
 * @now: oomx_now_ns()
 *
 * Any context, under the caller's RCU: a binary search in the snapshot.
 */
long oomx_growth_of(pid_t tgid, u64 now)
{
	const struct oomx_growth_snap *snap = oomx_growth_snap_fresh(now);
	const struct oomx_growth_entry *e;

	if (!snap)
		return 0;
	e = oomx_growth_find(snap->task, snap->nr_tasks, tgid);
	return e ? e->growth : 0;
}

/**
 * oomx_growth_lookup - what oomx knows of a candidate's growth
 * @c: the candidate (->pid filled in); ->growth is set, 0 if unknown
 * @unit: the cgroup it is ranked in for cgroup_first, or NULL
 * @now: oomx_now_ns()
 *
 * Any context, under the caller's RCU (probe handlers have it): a binary
 * search in each of the snapshot's arrays.  Fills ->group_id and
 * ->group_mem too: the unit's usage and growth, or, for a task in the
 * root cgroup, its own memory and growth.
 */
void oomx_growth_lookup(struct oomx_cand *c, struct mem_cgroup *unit, u64 now)
{
	c->growth = oomx_growth_of(c->pid, now);
	if (!unit) {
		c->group_id = 0;
		c->group_mem = oomx_group_score(c->mem, c->growth);
		return;
	}
	c->group_id = oomx_memcg_id(unit);
	c->group_mem = oomx_unit_score(unit, now);
}

/**
 * oomx_unit_score - a cgroup's score for cgroup_first: usage and growth
 * @unit: a memory cgroup other than the root (caller under RCU)
 * @now: oomx_now_ns()
 *
 * Any context: two page counter reads and a binary search in the
 * growth snapshot.
 */
unsigned long oomx_unit_score(struct mem_cgroup *unit, u64 now)
{
	const struct oomx_growth_snap *snap = oomx_growth_snap_fresh(now);
	const struct oomx_growth_entry *e = NULL;

	if (snap)
		e = oomx_growth_find(snap->group, snap->nr_groups,
				     oomx_memcg_id(unit));
	return oomx_group_score(oomx_memcg_usage(unit), e ? e->growth : 0);
}

/* Module exit, after the watcher has stopped: nothing reads any more. */
void oomx_growth_exit(void)
{
	RCU_INIT_POINTER(oomx_growth_pub, NULL);
	synchronize_rcu();
}
