/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx compat: every difference between the kernels oomx builds against,
 * and every piece of kernel-internal state oomx reads or writes, lives here
 * with the reason it is safe.  Core files never test LINUX_VERSION_CODE.
 *
 * Feature macros come from Kbuild probes of the target kernel's
 * Module.symvers and headers (see Kbuild), not from version numbers:
 * Debian's 6.1 keeps taking backports, so a version check can lie.
 */
#ifndef _OOMX_COMPAT_H
#define _OOMX_COMPAT_H

#include <linux/cgroup.h>
#include <linux/highmem.h>
#include <linux/kernfs.h>
#include <linux/maple_tree.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/oom.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

/*
 * Unmapping part of a VMA.  6.1 exports zap_page_range(); 6.3+ removed it
 * and exports zap_page_range_single() instead.  Debian's 6.1 declares the
 * latter in mm.h (a backport) without exporting it, so Kbuild probes the
 * export in Module.symvers: OOMX_HAVE_ZAP_PAGE_RANGE_SINGLE.
 * Both need the mmap lock for read at most (MADV_DONTNEED calls them under
 * mmap_read_lock), flush the TLB themselves and call the mmu notifiers
 * that may block, which is why oomx never reaps an mm that has any.
 */
static inline void oomx_zap_range(struct vm_area_struct *vma,
				  unsigned long start, unsigned long end)
{
#ifdef OOMX_HAVE_ZAP_PAGE_RANGE_SINGLE
	zap_page_range_single(vma, start, end - start, NULL);
#else
	zap_page_range(vma, start, end - start);
#endif
}

/*
 * The previous VMA, walking an mm top-down as the stock reaper does since
 * 6.18 (the dying task unmaps bottom-up: starting at the other end halves
 * the page-table lock contention between the two).  mas_find_rev() is
 * exported on 6.1 and 6.12; the mmap lock held for read keeps the tree
 * from changing under the walk.
 */
static inline struct vm_area_struct *oomx_vma_prev(struct ma_state *mas)
{
	return mas_find_rev(mas, 0);
}

/*
 * mm->flags: MMF_OOM_SKIP ("nothing more to gain here", set by the stock
 * reaper, by exit_mmap() once the memory is gone, and by the kernel's
 * kill when the mm is shared with init) and MMF_UNSTABLE (the contents
 * are being torn away: faults in the dying task SIGBUS instead of seeing
 * zero pages).  oomx sets them with the same atomic bitops, at the same
 * points, as the stock reaper; nobody ever clears them.  Kernels from
 * 6.18 on wrap mm->flags in helpers: OOMX_HAVE_MM_FLAGS_HELPERS.
 */
static inline bool oomx_mm_test(struct mm_struct *mm, int bit)
{
#ifdef OOMX_HAVE_MM_FLAGS_HELPERS
	return mm_flags_test(bit, mm);
#else
	return test_bit(bit, &mm->flags);
#endif
}

static inline void oomx_mm_set(struct mm_struct *mm, int bit)
{
#ifdef OOMX_HAVE_MM_FLAGS_HELPERS
	mm_flags_set(bit, mm);
#else
	set_bit(bit, &mm->flags);
#endif
}

/*
 * Has the victim's own exit_mmap() begun (mm_users gone, the last user's
 * mmput()) and not finished?  What it has unmapped sits in its mmu_gather
 * (up to ~40 MB, all of a small victim) and is freed only near its end,
 * under the write lock, after it has set MMF_OOM_SKIP; its last step
 * destroys the VMA tree.  mtree_empty() is the maple tree's public inline
 * (one pointer, read without the lock: the mm_struct itself is pinned by
 * the caller's mmgrab()).  Same on 6.1 and 6.12.
 */
static inline bool oomx_mm_exit_unfinished(struct mm_struct *mm)
{
	return !atomic_read(&mm->mm_users) && !mtree_empty(&mm->mm_mt);
}

/*
 * Is an OOM victim's memory still on its way back?  Until MMF_OOM_SKIP,
 * yes.  After it, exit_mmap() may still be freeing (above), and a reaper
 * may hold the mmap lock for read while it unmaps: rwsem_is_locked() on
 * mm->mmap_lock (a public inline over the rwsem's count, read without
 * the lock) tells; the reaper also yields to a waiting writer
 * (rwsem_is_contended(), the same kind of inline).  The kernel's own scan
 * takes MMF_OOM_SKIP alone as "done", and kills a second task meanwhile.
 */
static inline bool oomx_mm_memory_pending(struct mm_struct *mm)
{
	return !oomx_mm_test(mm, MMF_OOM_SKIP) ||
	       rwsem_is_locked(&mm->mmap_lock) ||
	       oomx_mm_exit_unfinished(mm);
}

/*
 * Reading a page of the victim's memory without faulting it in: the
 * reaper must never wait for I/O or allocate.  6.5 dropped the vmas
 * argument of get_user_pages_remote(): OOMX_GUP_REMOTE_HAS_VMAS.  The
 * caller holds the mmap lock for read, and never passes a hugetlb
 * address: 6.1's follow_hugetlb_page() ignores FOLL_NOFAULT and faults.
 */
static inline struct page *oomx_get_page_nofault(struct mm_struct *mm,
						 unsigned long addr)
{
	struct page *page;
	long n;

#ifdef OOMX_GUP_REMOTE_HAS_VMAS
	n = get_user_pages_remote(mm, addr, 1, FOLL_NOFAULT, &page, NULL, NULL);
#else
	n = get_user_pages_remote(mm, addr, 1, FOLL_NOFAULT, &page, NULL);
#endif
	return n == 1 ? page : NULL;
}

/*
 * User pointers may carry tag bits the MMU ignores (arm64 TBI and MTE,
 * x86 LAM on 6.4+).  GUP strips them itself; find_vma() does not.  6.4+
 * has untagged_addr_remote() for another process's mm (LAM masks are per
 * mm; the caller holds its mmap lock); before that untagged_addr().
 */
static inline unsigned long oomx_untag(struct mm_struct *mm,
				       unsigned long addr)
{
#ifdef untagged_addr_remote
	return untagged_addr_remote(mm, addr);
#else
	return untagged_addr(addr);
#endif
}

/*
 * task->robust_list, ->compat_robust_list and ->clear_child_tid: user
 * addresses the exiting task reads and writes in its exit path
 * (exit_robust_list(), mm_release()).  Each is written only by the task
 * itself (set_robust_list(), set_tid_address(), its own exit) and read
 * here as a single word; a victim that has been sent SIGKILL runs no more
 * user code, so the lists behind them stop changing.
 */
static inline unsigned long oomx_task_robust_list(struct task_struct *t)
{
#ifdef CONFIG_FUTEX
	return (unsigned long)READ_ONCE(t->robust_list);
#else
	return 0;
#endif
}

static inline unsigned long oomx_task_compat_robust_list(struct task_struct *t)
{
#if defined(CONFIG_FUTEX) && defined(CONFIG_COMPAT)
	return (unsigned long)READ_ONCE(t->compat_robust_list);
#else
	return 0;
#endif
}

static inline unsigned long oomx_task_clear_child_tid(struct task_struct *t)
{
	return (unsigned long)READ_ONCE(t->clear_child_tid);
}

/*
 * The oom:mark_victim tracepoint.  Upstream widened it in 2024 from
 * TP_PROTO(int pid) to (struct task_struct *task, uid_t uid); Debian's
 * 6.1 and 6.12 both carry the wide one.  Kbuild greps the header:
 * OOMX_HAVE_MARK_VICTIM_TASK.  The narrow one gives only the pid, which
 * the probe turns back into the task (it is locked by the kernel's kill
 * path while the tracepoint runs, so it cannot go away).
 */
void oomx_victim_probe(void *data, struct task_struct *task, uid_t uid);
#ifdef OOMX_HAVE_MARK_VICTIM_TASK
#define OOMX_MARK_VICTIM_PROBE	oomx_victim_probe
#else
static inline void oomx_victim_probe_pid(void *data, int pid)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid_task(find_pid_ns(pid, &init_pid_ns), PIDTYPE_PID);
	if (task)
		oomx_victim_probe(data, task, 0);
	rcu_read_unlock();
}

#define OOMX_MARK_VICTIM_PROBE	oomx_victim_probe_pid
#endif

/*
 * The memory cgroup of an OOM, for the record.  oc->memcg is pinned by
 * the kernel for the length of the OOM; oomx takes its own css reference
 * (css_get() is a percpu_ref increment, safe in a probe handler) and
 * drops it when the record is written, in process context.  The path is
 * read with kernfs_path() (kernfs_rename_lock only): cgroup_path_ns()
 * takes cgroup_mutex, which a task stuck in the allocator may hold.
 */
static inline u64 oomx_memcg_id(struct mem_cgroup *memcg)
{
	return memcg ? cgroup_id(memcg->css.cgroup) : 0;
}

static inline void oomx_memcg_get(struct mem_cgroup *memcg)
{
	css_get(&memcg->css);
}

static inline void oomx_memcg_put(struct mem_cgroup *memcg)
{
	css_put(&memcg->css);
}

/* The memory cgroup @tsk is charged to, with a reference; NULL if none. */
static inline struct mem_cgroup *oomx_task_memcg_get(struct task_struct *tsk)
{
	struct mem_cgroup *memcg;

	if (mem_cgroup_disabled())
		return NULL;
	rcu_read_lock();
	memcg = mem_cgroup_from_task(tsk);
	if (memcg)
		css_get(&memcg->css);
	rcu_read_unlock();
	return memcg;
}

/* Is @memcg inside the OOM domain @root (NULL: the whole machine)? */
static inline bool oomx_memcg_within(struct mem_cgroup *memcg,
				     struct mem_cgroup *root)
{
	if (!root)
		return true;
	return memcg && mem_cgroup_is_descendant(memcg, root);
}

static inline void oomx_memcg_path(struct mem_cgroup *memcg, char *buf,
				   size_t len)
{
	if (!memcg || kernfs_path(memcg->css.cgroup->kn, buf, len) < 0)
		strscpy(buf, "/", len);
}

/*
 * A thread of @p that still uses @mm (->mm compared only, under the
 * caller's RCU), or @p itself if none does: what the kernel's kill path
 * wants of a victim whose leader may have exited.
 */
static inline struct task_struct *oomx_thread_with_mm(struct task_struct *p,
						      struct mm_struct *mm)
{
	struct task_struct *t;

	for_each_thread(p, t)
		if (READ_ONCE(t->mm) == mm)
			return t;
	return p;
}

/*
 * A task's cgroup on the v2 hierarchy, for cgroup: rules: its css_set's
 * dfl_cgrp (task_dfl_cgroup(), caller under RCU: the css_set pins the
 * cgroup, and RCU the css_set), named by its kernfs id (cgroup_id(),
 * never reused while the module could remember it) and its path from
 * the hierarchy's root (kernfs_path(), as for the memcg above).
 * Returns the path's full length, or -errno.
 */
static inline u64 oomx_task_cgroup_id(struct task_struct *p,
				      struct cgroup **cgrp)
{
	*cgrp = task_dfl_cgroup(p);
	return cgroup_id(*cgrp);
}

static inline int oomx_cgroup_path(struct cgroup *cgrp, char *buf, size_t len)
{
	return kernfs_path(cgrp->kn, buf, len);
}

/*
 * Is @mm in use by the global init process?  The kernel's kill path sets
 * MMF_OOM_SKIP on such an mm (init must never see its memory vanish); the
 * reaper checks again itself.  init's threads are read under RCU and
 * their ->mm only compared.
 */
static inline bool oomx_mm_shared_with_init(struct mm_struct *mm)
{
	struct task_struct *init, *t;
	bool shared = false;

	rcu_read_lock();
	init = pid_task(find_pid_ns(1, &init_pid_ns), PIDTYPE_PID);
	if (init) {
		for_each_thread(init, t) {
			if (READ_ONCE(t->mm) == mm) {
				shared = true;
				break;
			}
		}
	}
	rcu_read_unlock();
	return shared;
}

/*
 * task->in_memstall (CONFIG_PSI): set by psi_memstall_enter() for the
 * outermost stall of a task, cleared by the matching psi_memstall_leave().
 * Both are exported and take no lock oomx needs; oomx's return probes on
 * them compare the bit before and after, on current only, so nested
 * stalls count once and a kernel booted with psi=0 (the bit never set)
 * counts none.  A bitfield in task_struct, in the public sched.h, on 6.1
 * and 6.12 alike.
 */
static inline bool oomx_in_memstall(struct task_struct *t)
{
#ifdef CONFIG_PSI
	return t->in_memstall;
#else
	return false;
#endif
}

/*
 * memory.oom.group: memcg->oom_group, a bool in the public struct
 * mem_cgroup (memcontrol.h, 6.1 and 6.12), written by the cgroup file
 * and read here under RCU as the kernel's mem_cgroup_get_oom_group()
 * reads it.  The group an early kill takes whole is the highest ancestor
 * of the victim's memcg that has it set, up to and including @domain
 * (the trigger's cgroup; NULL: the machine), as the kernel's walk stops
 * at the OOM's domain; the caller gets a css reference.  The root cgroup
 * has no such file.
 */
static inline struct mem_cgroup *oomx_oom_group_get(struct task_struct *tsk,
						    struct mem_cgroup *domain)
{
	struct mem_cgroup *memcg, *group = NULL;

	if (mem_cgroup_disabled())
		return NULL;
	rcu_read_lock();
	for (memcg = mem_cgroup_from_task(tsk); memcg;
	     memcg = parent_mem_cgroup(memcg)) {
		if (READ_ONCE(memcg->oom_group))
			group = memcg;
		if (memcg == domain)
			break;
	}
	if (group && !css_tryget(&group->css))
		group = NULL;
	rcu_read_unlock();
	return group;
}

/* Is @tsk charged to @group or below it?  Caller holds RCU. */
static inline bool oomx_task_in_memcg(struct task_struct *tsk,
				      struct mem_cgroup *group)
{
	struct mem_cgroup *memcg = mem_cgroup_from_task(tsk);

	return memcg && mem_cgroup_is_descendant(memcg, group);
}

/*
 * Exact memory for the finalists of a selection (select.c, early.c).
 * oom_badness() counts rss (file, anon, shmem) + swap entries through
 * get_mm_counter(), which is approximate, plus page tables, which are
 * exact (mm->pgtables_bytes, an atomic).  How far off it can be differs:
 *
 *  - 6.2 on (OOMX_HAVE_MM_COUNTER_SUM): mm->rss_stat[] are percpu
 *    counters.  Each CPU holds back less than percpu_counter_batch
 *    (exported; max(32, 2 * online CPUs)), so a read is off by less than
 *    batch * CPUs per counter: 2 MB on 2 CPUs, about 1 GB on 250.
 *    get_mm_counter_sum() adds the CPUs up under the counter's raw
 *    spinlock (irqsave; a leaf lock, taken here inside task_lock()).
 *  - 6.1 (SPLIT_RSS_COUNTING, every Debian config): mm->rss_stat.count[]
 *    are atomics, and every thread of the mm caches its own faults in
 *    task->rss_stat.count[], folded in after 64 events
 *    (TASK_RSS_EVENTS_THRESH in mm/memory.c, not in a header: hence
 *    OOMX_RSS_EVENTS_THRESH), so a read is off by up to 64 pages per
 *    thread and counter.  The exact sum adds the caches of the process's
 *    threads that use the mm (read racily, as each thread writes its own;
 *    under the caller's RCU); another process sharing the mm through
 *    CLONE_VM keeps its caches, which stay in the slack.
 */
#define OOMX_RSS_COUNTERS	4	/* file, anon, swap entries, shmem */
#define OOMX_RSS_EVENTS_THRESH	64

static inline unsigned long oomx_mm_counter_slack(struct task_struct *p)
{
#ifdef OOMX_HAVE_MM_COUNTER_SUM
	return (unsigned long)OOMX_RSS_COUNTERS * READ_ONCE(percpu_counter_batch) *
	       num_online_cpus();
#elif defined(SPLIT_RSS_COUNTING)
	return (unsigned long)OOMX_RSS_COUNTERS * OOMX_RSS_EVENTS_THRESH *
	       get_nr_threads(p);
#else
	return 0;
#endif
}

/*
 * The most oomx_mm_counter_slack() can ever be on this machine, for any
 * task: 6.12's percpu_counter_batch is max(32, 2 * online CPUs)
 * (lib/percpu_counter.c, compute_batch_value()), so its bound comes from
 * the possible CPUs; 6.1's grows with a process's threads, without bound.
 */
static inline unsigned long oomx_mm_counter_slack_max(void)
{
#ifdef OOMX_HAVE_MM_COUNTER_SUM
	unsigned long cpus = nr_cpu_ids;

	return (unsigned long)OOMX_RSS_COUNTERS * max(32UL, 2 * cpus) * cpus;
#elif defined(SPLIT_RSS_COUNTING)
	return ULONG_MAX;
#else
	return 0;
#endif
}

/* Caller holds task_lock() of a thread whose ->mm is @mm, and RCU. */
static inline unsigned long oomx_mm_pages_exact(struct task_struct *p,
						struct mm_struct *mm)
{
	static const int member[OOMX_RSS_COUNTERS] = {
		MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES,
	};
	unsigned long pages = mm_pgtables_bytes(mm) / PAGE_SIZE;
	int i;

	for (i = 0; i < OOMX_RSS_COUNTERS; i++) {
#ifdef OOMX_HAVE_MM_COUNTER_SUM
		pages += get_mm_counter_sum(mm, member[i]);
#else
		long v = atomic_long_read(&mm->rss_stat.count[member[i]]);
#ifdef SPLIT_RSS_COUNTING
		struct task_struct *t;

		for_each_thread(p, t)
			if (READ_ONCE(t->mm) == mm)
				v += READ_ONCE(t->rss_stat.count[member[i]]);
#endif
		pages += v > 0 ? v : 0;
#endif
	}
	return pages;
}

/*
 * A memory cgroup's usage for cgroup_first: memory.current, plus
 * swap.current on the v2 hierarchy (memcg->swap; on v1 that union member
 * is memsw, memory and swap together, so it is left out).  Page counters
 * are read locklessly, as memory.current is.
 */
static inline unsigned long oomx_memcg_usage(struct mem_cgroup *memcg)
{
	unsigned long usage = page_counter_read(&memcg->memory);

	if (cgroup_subsys_on_dfl(memory_cgrp_subsys))
		usage += page_counter_read(&memcg->swap);
	return usage;
}

/*
 * The machine's own reclaim on one CPU, in pages scanned: kswapd's,
 * direct reclaim's and, from 6.8 (OOMX_HAVE_PGSCAN_KHUGEPAGED, probed in
 * vm_event_item.h), khugepaged's, which it counted as direct before: the
 * pgscan_* vm events of /proc/vmstat (vm_event_states is exported; read
 * racily, as per-CPU counters are).  The kernel counts reclaim against a
 * cgroup's limit only in that cgroup's events (!cgroup_reclaim(sc) in
 * shrink_inactive_list() and MGLRU's scan_folios(), 6.1 and 6.12).
 */
static inline u64 oomx_cpu_machine_scans(const struct vm_event_state *e)
{
	u64 n = READ_ONCE(e->event[PGSCAN_KSWAPD]) +
		READ_ONCE(e->event[PGSCAN_DIRECT]);

#ifdef OOMX_HAVE_PGSCAN_KHUGEPAGED
	n += READ_ONCE(e->event[PGSCAN_KHUGEPAGED]);
#endif
	return n;
}

/*
 * A memory cgroup's limit for early intervention: the lower of
 * memory.max and memory.high (memcg->memory.max and .high, page counter
 * fields in the public page_counter.h on 6.1 and 6.12, read locklessly
 * as the kernel's own memory.max file reads them), in pages; 0 if it
 * has neither.  No further than RAM: past it, the machine is the limit.
 */
static inline unsigned long oomx_memcg_limit(struct mem_cgroup *memcg)
{
	unsigned long limit = min(READ_ONCE(memcg->memory.max),
				  READ_ONCE(memcg->memory.high));

	return limit >= PAGE_COUNTER_MAX ? 0 : min(limit, totalram_pages());
}

/*
 * The memory cgroup whose cgroup id is @id, with a css reference, or
 * NULL if it is gone or no longer has the memory controller: the early
 * watcher's way back from a telemetry slot's key to its cgroup.
 * cgroup_get_from_id() and cgroup_get_e_css() (both exported; RCU and
 * kernfs' id lookup, no cgroup_mutex) return the cgroup's own css, or an
 * ancestor's where the controller is off, which is not this cgroup.
 */
static inline struct mem_cgroup *oomx_memcg_get_by_id(u64 id)
{
	struct cgroup *cgrp = cgroup_get_from_id(id);
	struct cgroup_subsys_state *css;

	if (IS_ERR_OR_NULL(cgrp))
		return NULL;
	css = cgroup_get_e_css(cgrp, &memory_cgrp_subsys);
	cgroup_put(cgrp);
	if (css && cgroup_id(css->cgroup) != id) {
		css_put(css);
		css = NULL;
	}
	return css ? mem_cgroup_from_css(css) : NULL;
}

/*
 * The unit cgroup_first ranks @p in (caller under RCU): the highest
 * ancestor of its memcg with memory.oom.group set, up to the OOM's
 * domain @domain (NULL: the root), as mem_cgroup_get_oom_group() walks
 * it; else its own memcg.  NULL for a task in the root memcg, which is
 * ranked as a cgroup of its own.
 */
/* mem_cgroup_is_root() reads root_mem_cgroup, which is not exported. */
static inline bool oomx_memcg_is_root(struct mem_cgroup *memcg)
{
	return !memcg->css.parent;
}

static inline struct mem_cgroup *
oomx_task_unit(struct task_struct *p, struct mem_cgroup *domain)
{
	struct mem_cgroup *memcg, *unit;

	if (mem_cgroup_disabled())
		return NULL;
	unit = mem_cgroup_from_task(p);
	for (memcg = unit; memcg; memcg = parent_mem_cgroup(memcg)) {
		if (READ_ONCE(memcg->oom_group))
			unit = memcg;
		if (memcg == domain)
			break;
	}
	return unit && !oomx_memcg_is_root(unit) ? unit : NULL;
}

/*
 * Fields oomx reads from kernel structures, all through public headers:
 *  - struct oom_control (->chosen, ->chosen_points, ->memcg, ->gfp_mask,
 *    ->order, and ->totalpages, set by constrained_alloc() before the
 *    scan) in probes on out_of_memory() and oom_kill_process(), whose
 *    caller holds oom_lock and the references behind them;
 *  - nr_cpu_ids, for the bound on 6.2+'s counter error (above);
 *  - the arguments of oom_badness() (a task the kernel's scan holds under
 *    RCU or css_task_iter, and totalpages) and its return value, which
 *    oomx replaces with its own score when it is in charge;
 *  - task->tgid, ->comm, ->signal->oom_score_adj and the task's uid (under
 *    RCU) of those candidates, as the kernel's own report reads them;
 *  - signal->oom_mm of a victim, set by mark_oom_victim() before the
 *    tracepoint fires; oomx takes its own mmgrab() reference;
 *  - mm counters through get_mm_counter()/get_mm_rss(), and
 *    mm_has_notifiers() under the mmap lock; for finalists, the exact
 *    sums above (6.1: task->rss_stat.count[] of the mm's threads, racy
 *    reads of per-thread ints);
 *  - for cgroup_first and growth: memcg->memory and memcg->swap page
 *    counters (page_counter_read(), lockless as memory.current),
 *    memcg->oom_group and the memcg parent chain under RCU, as the
 *    kernel's mem_cgroup_get_oom_group() walks it;
 *  - for early intervention: task->in_memstall and memcg->oom_group
 *    (above); MemAvailable through si_mem_available(), RAM through
 *    totalram_pages(), free swap through get_nr_swap_pages() (nr_swap_pages
 *    is exported; total_swap_pages is not, so the swap floor is a share
 *    of RAM), working-set refaults through global_node_page_state()
 *    (vm_node_stat is exported); candidates' ->mm under task_lock(), as
 *    the kernel's find_lock_task_mm() does, and their pid, flags,
 *    ->signal->oom_score_adj and ->signal->oom_mm under RCU;
 *    pgscan_kswapd and pgscan_direct from vm_event_states (exported, the
 *    counters /proc/vmstat sums), read racily as per-CPU counters are;
 *  - for early intervention in memory cgroups: the folio workingset_refault()
 *    is called with (locked and charged by its caller) and its memcg
 *    (folio_memcg()) and that memcg's parent chain, pinned by the memcg's
 *    css; memcg->memory.max and .high (above); a cgroup by its id
 *    (cgroup_get_from_id(), cgroup_get_e_css(), references taken and
 *    put by the early watcher within one tick); candidates' anonymous
 *    rss through get_mm_counter(MM_ANONPAGES) under task_lock().
 */

#endif /* _OOMX_COMPAT_H */
