// SPDX-License-Identifier: GPL-2.0
/*
 * oomx reclaim telemetry: what the kernel's reclaim path is doing, per
 * CPU, per memory cgroup and per task, from return probes on direct and
 * memcg reclaim and on the allocator's slow path (the probe table is in
 * probes.c).  Decision records carry the last seconds of it.
 *
 * Handlers run in atomic context and only record: a few fields copied,
 * per-CPU counters added, a lock-free per-memcg and per-task slot bumped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/nsproxy.h>
#include <linux/nodemask.h>
#include <linux/oom.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "oomx.h"

/* ------------------------------------------------------------------ */
/* What the handlers record                                            */
/* ------------------------------------------------------------------ */

static DEFINE_PER_CPU(struct oomx_reclaim_sums, oomx_pcpu);

/*
 * Per memcg and per task: open-addressed tables claimed with cmpxchg on
 * the key.  A full table drops the event and counts it, rather than take
 * a lock in a probe handler.  A memcg slot whose cgroup is gone is freed
 * by the early watcher (oomx_memcg_slots_sweep()) as a tombstone, which
 * keeps the probe chains through it whole and which the next new key to
 * pass may claim: on a host whose containers come and go, the table
 * never fills with the dead.  Task slots are never freed (telemetry only).
 */
#define OOMX_SLOTS	OOMX_MEMCG_SLOTS
#define OOMX_SLOT_TOMB	(-1LL)		/* freed: claimable, probed past */
/* A key lives within this many slots of its hash: a full table costs little. */
#define OOMX_SLOT_PROBES	32

struct oomx_slot {
	atomic64_t key;			/* cgroup id or pid + 1; 0 = free */
	atomic64_t count, ns, reclaimed, requested, ooms;
	atomic64_t refaults;		/* memcgs with a limit only */
	char comm[TASK_COMM_LEN];	/* tasks only */
};

static struct oomx_slot oomx_memcg_slots[OOMX_SLOTS];
static struct oomx_slot oomx_task_slots[OOMX_SLOTS];
static atomic64_t oomx_slots_dropped, oomx_memcg_drops;

/*
 * @key's slot, claimed if it has none: the first tombstone on its probe
 * chain, else the free slot that ends the chain, within
 * OOMX_SLOT_PROBES of its hash (past that, the table counts as full).  Two CPUs claiming one
 * new key race for the same slot, so a key has one slot, except when a
 * tombstone appears on the chain between their walks (the readers add
 * duplicates up).
 */
static struct oomx_slot *oomx_slot(struct oomx_slot *tab, u64 key, bool *fresh)
{
	unsigned int i, h = hash_64(key, ilog2(OOMX_SLOTS)), tries;

	*fresh = false;
	for (tries = 0; tries < 2; tries++) {
		struct oomx_slot *tomb = NULL, *free = NULL;

		for (i = 0; i < OOMX_SLOT_PROBES; i++) {
			struct oomx_slot *s = &tab[(h + i) & (OOMX_SLOTS - 1)];
			s64 cur = atomic64_read(&s->key);

			if (cur == key)
				return s;
			if (cur == OOMX_SLOT_TOMB && !tomb)
				tomb = s;
			if (!cur) {
				free = s;
				break;
			}
		}
		if (tomb &&
		    atomic64_cmpxchg(&tomb->key, OOMX_SLOT_TOMB, key) == OOMX_SLOT_TOMB) {
			*fresh = true;
			return tomb;
		}
		if (!tomb && free && !atomic64_cmpxchg(&free->key, 0, key)) {
			*fresh = true;
			return free;
		}
		/* Lost a race for it (or the table is full): look again. */
	}
	atomic64_inc(&oomx_slots_dropped);
	if (tab == oomx_memcg_slots)
		atomic64_inc(&oomx_memcg_drops);
	return NULL;
}

/* A slot's key, 0 for one that is free or freed. */
static u64 oomx_slot_key(const struct oomx_slot *s)
{
	s64 key = atomic64_read(&s->key);

	return key == OOMX_SLOT_TOMB ? 0 : key;
}

static void oomx_slot_add(struct oomx_slot *s, u64 ns, u64 reclaimed,
			  u64 requested)
{
	atomic64_inc(&s->count);
	atomic64_add(ns, &s->ns);
	atomic64_add(reclaimed, &s->reclaimed);
	atomic64_add(requested, &s->requested);
}

static void oomx_task_add(u64 ns, u64 reclaimed, u64 requested)
{
	bool fresh;
	struct oomx_slot *s = oomx_slot(oomx_task_slots,
					(u64)task_pid_nr(current) + 1, &fresh);

	if (!s)
		return;
	if (fresh)
		memcpy(s->comm, current->comm, sizeof(s->comm));
	oomx_slot_add(s, ns, reclaimed, requested);
}

static u64 oomx_memcg_key(struct mem_cgroup *memcg)
{
	return memcg ? cgroup_id(memcg->css.cgroup) : 0;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                             */
/* ------------------------------------------------------------------ */

/* Every out_of_memory() call (trigger.c). */
void oomx_reclaim_count_oom(bool memcg)
{
	if (memcg)
		this_cpu_inc(oomx_pcpu.memcg_ooms);
	else
		this_cpu_inc(oomx_pcpu.global_ooms);
}

/* mem_cgroup_out_of_memory(memcg, ...): OOMs per cgroup. */
int oomx_memcg_oom_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct mem_cgroup *memcg = (void *)regs_get_kernel_argument(regs, 0);
	struct oomx_slot *s;
	bool fresh;

	s = oomx_slot(oomx_memcg_slots, oomx_memcg_key(memcg), &fresh);
	if (s)
		atomic64_inc(&s->ooms);
	return 0;
}

/*
 * workingset_refault(folio, shadow): a page read back in after it was
 * evicted, file or anon (filemap_add_folio() and the swap-in path both
 * call it with the folio charged and locked, so folio_memcg() is
 * stable; the memcg's css reference pins its ancestors).  Counted for
 * the folio's memcg and every ancestor that has a limit: the one whose
 * limit is reached is the one its own reclaim churns, and the early
 * watcher judges each by what refaults inside it.  Bounded by
 * OOMX_MEMCG_DEPTH levels.
 */
int oomx_refault_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct folio *folio = (void *)regs_get_kernel_argument(regs, 0);
	struct mem_cgroup *memcg;
	long nr = folio_nr_pages(folio);
	int depth = 0;

	/* Only what the early watcher reads: v2 cgroup ids, early=1. */
	if (mem_cgroup_disabled() || !READ_ONCE(oomx_early) ||
	    !cgroup_subsys_on_dfl(memory_cgrp_subsys))
		return 0;
	rcu_read_lock();
	for (memcg = folio_memcg(folio);
	     memcg && !oomx_memcg_is_root(memcg) && depth < OOMX_MEMCG_DEPTH;
	     memcg = parent_mem_cgroup(memcg), depth++) {
		struct oomx_slot *s;
		bool fresh;

		if (!oomx_memcg_limit(memcg))
			continue;
		s = oomx_slot(oomx_memcg_slots, oomx_memcg_key(memcg), &fresh);
		if (s)
			atomic64_add(nr, &s->refaults);
	}
	rcu_read_unlock();
	return 0;
}

/**
 * oomx_memcg_slot_refaults - a memcg slot's refaults, for the early watcher
 * @i: the slot, below OOMX_MEMCG_SLOTS
 * @refaults: out: pages refaulted in it since load
 *
 * Returns the slot's cgroup id, 0 for a free slot.  A claimed slot keeps
 * its id while oomx is loaded.
 */
u64 oomx_memcg_slot_refaults(unsigned int i, u64 *refaults)
{
	const struct oomx_slot *s = &oomx_memcg_slots[i];

	*refaults = atomic64_read(&s->refaults);
	return oomx_slot_key(s);
}

/**
 * oomx_memcg_slots_sweep - free the memcg slots of cgroups that are gone
 *
 * Process context (the once-a-second sampler, below).  A slot is zeroed,
 * then turned into a tombstone; a probe handler that found it just
 * before may still add a few events, which its next owner inherits.
 */
static void oomx_memcg_slots_sweep(void)
{
	unsigned int i;

	/* Ids of the v1 hierarchy are not cgroup_get_from_id()'s (v2). */
	if (!cgroup_subsys_on_dfl(memory_cgrp_subsys))
		return;
	for (i = 0; i < OOMX_SLOTS; i++) {
		struct oomx_slot *s = &oomx_memcg_slots[i];
		u64 id = oomx_slot_key(s);
		struct cgroup *cgrp;

		if (!id)
			continue;
		cgrp = cgroup_get_from_id(id);
		if (!IS_ERR_OR_NULL(cgrp)) {
			cgroup_put(cgrp);
			continue;
		}
		atomic64_set(&s->count, 0);
		atomic64_set(&s->ns, 0);
		atomic64_set(&s->reclaimed, 0);
		atomic64_set(&s->requested, 0);
		atomic64_set(&s->ooms, 0);
		atomic64_set(&s->refaults, 0);
		atomic64_cmpxchg(&s->key, id, OOMX_SLOT_TOMB);
	}
}

/* One finished reclaim (or stall) of kind @k, on this CPU. */
static void oomx_pcpu_add(enum oomx_rstat k, u64 ns, u64 reclaimed,
			  u64 requested)
{
	this_cpu_inc(oomx_pcpu.s[k].count);
	this_cpu_add(oomx_pcpu.s[k].ns, ns);
	this_cpu_add(oomx_pcpu.s[k].reclaimed, reclaimed);
	this_cpu_add(oomx_pcpu.s[k].requested, requested);
}

/* Per-call state of a kretprobe instance. */
struct oomx_rp_data {
	u64 t0;
	u64 requested;
	u64 memcg_key;
};

static_assert(sizeof(struct oomx_rp_data) <= OOMX_RECLAIM_DATA_SIZE);

/* try_to_free_pages(zonelist, order, gfp, nodemask): SWAP_CLUSTER_MAX asked */
int oomx_direct_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;

	d->t0 = oomx_now_ns();
	d->requested = SWAP_CLUSTER_MAX;
	return 0;
}

int oomx_direct_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	u64 ns = oomx_now_ns() - d->t0, got = regs_return_value(regs);

	oomx_pcpu_add(OOMX_RS_DIRECT, ns, got, d->requested);
	oomx_task_add(ns, got, d->requested);
	return 0;
}

/* try_to_free_mem_cgroup_pages(memcg, nr_pages, gfp, ...) */
int oomx_memcg_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	struct mem_cgroup *memcg = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long nr = regs_get_kernel_argument(regs, 1);

	d->t0 = oomx_now_ns();
	d->requested = max_t(unsigned long, nr, SWAP_CLUSTER_MAX);
	d->memcg_key = oomx_memcg_key(memcg);
	return 0;
}

int oomx_memcg_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	u64 ns = oomx_now_ns() - d->t0, got = regs_return_value(regs);
	struct oomx_slot *s;
	bool fresh;

	oomx_pcpu_add(OOMX_RS_MEMCG, ns, got, d->requested);
	s = oomx_slot(oomx_memcg_slots, d->memcg_key, &fresh);
	if (s)
		oomx_slot_add(s, ns, got, d->requested);
	oomx_task_add(ns, got, d->requested);
	return 0;
}

/*
 * __alloc_pages_slowpath(): every allocation that missed the fast path.
 * Counted on entry, so the allocation stuck in an OOM right now counts;
 * its time is added when it returns.
 */
int oomx_slow_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	((struct oomx_rp_data *)ri->data)->t0 = oomx_now_ns();
	this_cpu_inc(oomx_pcpu.s[OOMX_RS_ALLOC_STALL].count);
	return 0;
}

int oomx_slow_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u64 ns = oomx_now_ns() - ((struct oomx_rp_data *)ri->data)->t0;

	this_cpu_add(oomx_pcpu.s[OOMX_RS_ALLOC_STALL].ns, ns);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Memory stalls: psi_memstall_enter() / psi_memstall_leave()           */
/* ------------------------------------------------------------------ */

/*
 * The kernel brackets every memory stall with these two: direct reclaim
 * and compaction, waiting on the read of a page that was evicted while
 * in the working set (thrashing), readahead of such pages, memcg
 * throttling, swap-in.  That is the kernel's own PSI definition of a
 * memory stall, which oomx cannot read for the whole machine from a
 * module (psi_system is not exported), so it keeps its own account of
 * the same events: per task, the outermost stall's start (a small table
 * claimed with cmpxchg on the pid), and machine-wide the time at least
 * one user task was stalled (PSI's "some"; kernel threads such as kswapd
 * are left out, as their reclaim is not a task waiting).  Two stalls
 * whose pids land on one slot: the second is not counted (undercounting
 * only delays a kill).
 */
#define OOMX_STALL_SLOTS	1024

struct oomx_stall_slot {
	atomic_t pid;			/* 0: free */
	u64 t0;
};

static struct oomx_stall_slot oomx_stall_slots[OOMX_STALL_SLOTS];
static atomic_t oomx_nr_stalled;	/* user tasks in a stall now */
static atomic64_t oomx_some_start;	/* when the first of them began */
static atomic64_t oomx_some_ns;		/* closed "some" time */
static atomic64_t oomx_stall_untracked;

static struct oomx_stall_slot *oomx_stall_slot(pid_t pid)
{
	return &oomx_stall_slots[hash_32(pid, ilog2(OOMX_STALL_SLOTS))];
}

/*
 * Tracepoint vmscan:mm_vmscan_kswapd_wake: kswapd starts a round of
 * reclaim.  Page cache thrashing need not stall anyone (see policy.c),
 * so this is what wakes the watcher for it; it samples from then on.
 */
void oomx_kswapd_wake_probe(void *data, int nid, int zid, int order)
{
	oomx_early_kick();
}

/* Was the task in a stall on entry?  (kretprobe data: one bool) */
int oomx_memstall_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (current->flags & PF_KTHREAD)
		return 1;
	*(bool *)ri->data = oomx_in_memstall(current);
	return 0;
}

int oomx_memstall_enter_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct oomx_stall_slot *s;
	pid_t pid = current->pid;
	u64 now;

	if (*(bool *)ri->data || !oomx_in_memstall(current))
		return 0;	/* nested, or PSI is off */
	s = oomx_stall_slot(pid);
	if (atomic_cmpxchg(&s->pid, 0, pid)) {
		atomic64_inc(&oomx_stall_untracked);
		return 0;
	}
	now = oomx_now_ns();
	s->t0 = now;
	if (atomic_inc_return(&oomx_nr_stalled) == 1) {
		atomic64_set(&oomx_some_start, now);
		oomx_early_kick();
	}
	return 0;
}

/* Close @s for @pid at @now: whoever empties the slot counts it. */
static void oomx_stall_close(struct oomx_stall_slot *s, pid_t pid, u64 now)
{
	if (atomic_cmpxchg(&s->pid, pid, 0) != pid)
		return;
	if (atomic_dec_return(&oomx_nr_stalled) == 0) {
		u64 t0 = atomic64_read(&oomx_some_start);

		if (now > t0)
			atomic64_add(now - t0, &oomx_some_ns);
	}
}

int oomx_memstall_leave_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	pid_t pid = current->pid;

	if (!*(bool *)ri->data || oomx_in_memstall(current))
		return 0;	/* not in one, or nested */
	oomx_stall_close(oomx_stall_slot(pid), pid, oomx_now_ns());
	return 0;
}

/*
 * "some" stall time since load, up to @now, an open stall included.
 * Process context (the early watcher).  A slot whose task is no longer
 * in a stall (its leave was missed: a kretprobe instance short, or oomx
 * armed in the middle of it) is closed here, so a lost leave can never
 * look like a stall that lasts for ever.
 */
u64 oomx_memstall_some_ns(u64 now)
{
	u64 some;
	int i;

	for (i = 0; i < OOMX_STALL_SLOTS; i++) {
		struct oomx_stall_slot *s = &oomx_stall_slots[i];
		pid_t pid = atomic_read(&s->pid);
		struct task_struct *t;
		bool stalled;

		if (!pid)
			continue;
		rcu_read_lock();
		t = pid_task(find_pid_ns(pid, &init_pid_ns), PIDTYPE_PID);
		stalled = t && oomx_in_memstall(t);
		rcu_read_unlock();
		if (!stalled && now - s->t0 > NSEC_PER_SEC)
			oomx_stall_close(s, pid, now);
	}
	some = atomic64_read(&oomx_some_ns);
	if (atomic_read(&oomx_nr_stalled)) {
		u64 t0 = atomic64_read(&oomx_some_start);

		if (now > t0)
			some += now - t0;
	}
	return some;
}

unsigned int oomx_memstall_nr(void)
{
	return atomic_read(&oomx_nr_stalled);
}

/* ------------------------------------------------------------------ */
/* Reading: process context                                             */
/* ------------------------------------------------------------------ */

void oomx_reclaim_sum(struct oomx_reclaim_sums *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct oomx_reclaim_sums *p = per_cpu_ptr(&oomx_pcpu, cpu);

		for (i = 0; i < OOMX_RS_NR; i++) {
			out->s[i].count += READ_ONCE(p->s[i].count);
			out->s[i].ns += READ_ONCE(p->s[i].ns);
			out->s[i].reclaimed += READ_ONCE(p->s[i].reclaimed);
			out->s[i].requested += READ_ONCE(p->s[i].requested);
		}
		out->memcg_ooms += READ_ONCE(p->memcg_ooms);
		out->global_ooms += READ_ONCE(p->global_ooms);
	}
}

/*
 * Once a second the kthread stores the sums here; a decision compares the
 * sums at the OOM with the sample about OOMX_WINDOW_S seconds older.
 */
#define OOMX_SAMPLES	16
#define OOMX_WINDOW_S	5

static struct {
	u64 t_ns;
	struct oomx_reclaim_sums sums;
} oomx_samples[OOMX_SAMPLES];
static unsigned int oomx_sample_next;
static DEFINE_SPINLOCK(oomx_sample_lock);

void oomx_reclaim_sample(void)
{
	struct oomx_reclaim_sums now;

	oomx_reclaim_sum(&now);
	spin_lock(&oomx_sample_lock);
	oomx_samples[oomx_sample_next].t_ns = oomx_now_ns();
	oomx_samples[oomx_sample_next].sums = now;
	oomx_sample_next = (oomx_sample_next + 1) % OOMX_SAMPLES;
	spin_unlock(&oomx_sample_lock);
}

static void oomx_sums_sub(struct oomx_reclaim_sums *a,
			  const struct oomx_reclaim_sums *b)
{
	int i;

	for (i = 0; i < OOMX_RS_NR; i++) {
		a->s[i].count -= b->s[i].count;
		a->s[i].ns -= b->s[i].ns;
		a->s[i].reclaimed -= b->s[i].reclaimed;
		a->s[i].requested -= b->s[i].requested;
	}
	a->memcg_ooms -= b->memcg_ooms;
	a->global_ooms -= b->global_ooms;
}

/**
 * oomx_reclaim_window - what reclaim did in the seconds before @at_ns
 * @w: out: the window's length and the counters' deltas over it
 * @at_ns: the end of the window (an event's start)
 * @at: the counters at @at_ns
 */
void oomx_reclaim_window(struct oomx_reclaim_window *w, u64 at_ns,
			 const struct oomx_reclaim_sums *at)
{
	u64 want = OOMX_WINDOW_S * NSEC_PER_SEC;
	int i, old = -1, oldest = -1, base;
	struct oomx_reclaim_sums sums = {};
	u64 t_base = 0;

	w->d = *at;
	spin_lock(&oomx_sample_lock);
	/* The newest sample at least OOMX_WINDOW_S older, else the oldest. */
	for (i = 0; i < OOMX_SAMPLES; i++) {
		u64 t = oomx_samples[i].t_ns;

		if (!t || t > at_ns)
			continue;
		if (at_ns - t >= want && (old < 0 || t > oomx_samples[old].t_ns))
			old = i;
		if (oldest < 0 || t < oomx_samples[oldest].t_ns)
			oldest = i;
	}
	base = old >= 0 ? old : oldest;
	if (base >= 0) {
		sums = oomx_samples[base].sums;
		t_base = oomx_samples[base].t_ns;
	}
	spin_unlock(&oomx_sample_lock);
	/* No sample yet (just loaded): the window is "since load". */
	w->window_ns = t_base ? at_ns - t_base : 0;
	oomx_sums_sub(&w->d, &sums);
}

static unsigned int oomx_pct(u64 part, u64 whole)
{
	return whole ? div64_u64(part * 100, whole) : 0;
}

static void oomx_show_stat(struct seq_file *m, const char *name,
			   const struct oomx_reclaim_stat *s, bool pages)
{
	seq_printf(m, "%s count=%llu stall_ms=%llu", name, s->count,
		   div_u64(s->ns, NSEC_PER_MSEC));
	if (pages)
		seq_printf(m, " reclaimed_kb=%llu requested_kb=%llu efficiency_pct=%u",
			   s->reclaimed << (PAGE_SHIFT - 10),
			   s->requested << (PAGE_SHIFT - 10),
			   oomx_pct(s->reclaimed, s->requested));
	seq_putc(m, '\n');
}

static void oomx_show_slot(struct seq_file *m, const struct oomx_slot *s)
{
	u64 reclaimed = atomic64_read(&s->reclaimed);
	u64 requested = atomic64_read(&s->requested);

	seq_printf(m, " reclaim_count=%lld stall_ms=%llu reclaimed_kb=%llu efficiency_pct=%u ooms=%lld refault_kb=%llu\n",
		   atomic64_read(&s->count),
		   div_u64(atomic64_read(&s->ns), NSEC_PER_MSEC),
		   reclaimed << (PAGE_SHIFT - 10), oomx_pct(reclaimed, requested),
		   atomic64_read(&s->ooms),
		   (u64)atomic64_read(&s->refaults) << (PAGE_SHIFT - 10));
}

void oomx_reclaim_show(struct seq_file *m)
{
	struct oomx_reclaim_sums t;
	char *path;
	int i;

	/* Each reader its own buffer: debugfs readers run concurrently. */
	path = kmalloc(OOMX_PATH_LEN, GFP_KERNEL);
	if (!path)
		return;
	oomx_reclaim_sum(&t);
	oomx_show_stat(m, "direct_reclaim", &t.s[OOMX_RS_DIRECT], true);
	oomx_show_stat(m, "memcg_reclaim", &t.s[OOMX_RS_MEMCG], true);
	oomx_show_stat(m, "alloc_slowpath", &t.s[OOMX_RS_ALLOC_STALL], false);
	seq_printf(m, "oom_events global=%llu memcg=%llu\n", t.global_ooms,
		   t.memcg_ooms);
	for (i = 0; i < OOMX_SLOTS; i++) {
		const struct oomx_slot *s = &oomx_memcg_slots[i];
		u64 id = oomx_slot_key(s);
		struct cgroup *cgrp;

		if (!id)
			continue;
		/* Paths as the reader's cgroup namespace sees them. */
		cgrp = cgroup_get_from_id(id);
		if (IS_ERR(cgrp) ||
		    cgroup_path_ns(cgrp, path, OOMX_PATH_LEN,
				   current->nsproxy->cgroup_ns) < 0)
			snprintf(path, OOMX_PATH_LEN, "id:%llu", id);
		if (!IS_ERR(cgrp))
			cgroup_put(cgrp);
		seq_printf(m, "memcg %s", path);
		oomx_show_slot(m, s);
	}
	for (i = 0; i < OOMX_SLOTS; i++) {
		const struct oomx_slot *s = &oomx_task_slots[i];
		u64 key = oomx_slot_key(s);

		if (!key)
			continue;
		seq_printf(m, "task %llu %.*s", key - 1, TASK_COMM_LEN, s->comm);
		oomx_show_slot(m, s);
	}
	seq_printf(m, "untracked_events %lld\n", atomic64_read(&oomx_slots_dropped));
	kfree(path);
}

/*
 * Once a second the sums are sampled, so that an event can record what
 * reclaim did in the seconds before it.  On oomx's own workqueue, which
 * has a rescuer thread: it keeps sampling under memory pressure.
 */
#define OOMX_SAMPLE_MS	1000

static void oomx_sample_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(oomx_sample_work, oomx_sample_fn);

/*
 * Every OOMX_SWEEP_SAMPLES samples, or at the next once the memcg table
 * has dropped events, the slots of cgroups that are gone are freed.
 */
#define OOMX_SWEEP_SAMPLES	10

/* The sample work's own (a work item never runs twice at once). */
static unsigned int oomx_sweep_samples;
static u64 oomx_sweep_drops;

static void oomx_sample_fn(struct work_struct *work)
{
	u64 drops = atomic64_read(&oomx_memcg_drops);

	oomx_reclaim_sample();
	if (++oomx_sweep_samples >= OOMX_SWEEP_SAMPLES ||
	    drops != oomx_sweep_drops) {
		oomx_sweep_samples = 0;
		oomx_sweep_drops = drops;
		oomx_memcg_slots_sweep();
	}
	queue_delayed_work(oomx_wq, &oomx_sample_work,
			   msecs_to_jiffies(OOMX_SAMPLE_MS));
}

void oomx_telemetry_start(void)
{
	oomx_reclaim_sample();
	queue_delayed_work(oomx_wq, &oomx_sample_work,
			   msecs_to_jiffies(OOMX_SAMPLE_MS));
}

void oomx_telemetry_stop(void)
{
	/* The work re-queues itself; _sync cancels that too. */
	cancel_delayed_work_sync(&oomx_sample_work);
}
