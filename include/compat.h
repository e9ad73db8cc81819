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
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/oom.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>

/*
 * Unmapping a VMA range.  6.1 exports zap_page_range(); 6.3+ removed it and
 * exports zap_page_range_single() instead.  Debian's 6.1 declares the
 * latter in mm.h (a backport) without exporting it, so Kbuild probes the
 * export in Module.symvers: OOMX_HAVE_ZAP_PAGE_RANGE_SINGLE.
 * Both take the mmap lock for read at most (MADV_DONTNEED calls them under
 * mmap_read_lock), handle mmu notifiers and flush the TLB themselves.
 */
static inline void oomx_zap_vma(struct vm_area_struct *vma)
{
#ifdef OOMX_HAVE_ZAP_PAGE_RANGE_SINGLE
	zap_page_range_single(vma, vma->vm_start,
			      vma->vm_end - vma->vm_start, NULL);
#else
	zap_page_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
#endif
}

/*
 * mm->flags: MMF_OOM_SKIP ("nothing more to gain here", set by the stock
 * reaper and by exit_mmap() once the memory is gone) and MMF_UNSTABLE (the
 * contents are being torn away: check_stable_address_space() turns faults
 * into SIGBUS so the dying task cannot see zero pages where its data was).
 * oomx sets them with the same atomic bitops, at the same points, as the
 * stock oom_reaper; the bits are never cleared again by anyone.  Kernels
 * from 6.18 on wrap mm->flags in helpers: OOMX_HAVE_MM_FLAGS_HELPERS.
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
 * signal->oom_mm marks a thread group as an OOM victim.  oomx sets it the
 * way mark_oom_victim() does (cmpxchg from NULL, then mmgrab(); the kernel
 * drops that reference in free_signal_struct()), so that:
 *  - the stock killer's oom_evaluate_task() waits for oomx's victim
 *    instead of killing a second task (no double kill from either side);
 *  - the victim's threads may dip into memory reserves to exit
 *    (oom_reserves_allowed() tests tsk_is_oom_victim()).
 * oomx does not set TIF_MEMDIE: its counterpart, the oom_victims count, is
 * private to oom_kill.c, and exit_oom_victim() would underflow it.
 */
static inline void oomx_mark_victim(struct task_struct *tsk,
				    struct mm_struct *mm)
{
	if (!cmpxchg(&tsk->signal->oom_mm, NULL, mm))
		mmgrab(mm);
}

/*
 * memory.events "oom_kill": memcg_memory_event() is an inline that also
 * calls cgroup_file_notify(), which is not exported.  oomx increments the
 * same atomic counters the inline does (memory_events and
 * memory_events_local, up the hierarchy below the root) and cannot wake
 * poll()/inotify waiters on memory.events: readers see the count, sleepers
 * are not woken until the next kernel-raised event.
 */
#ifdef CONFIG_MEMCG
static inline void oomx_memcg_event(struct mem_cgroup *memcg,
				    enum memcg_memory_event event)
{
	if (!memcg)
		return;
	atomic_long_inc(&memcg->memory_events_local[event]);
	/* The root memcg (no parent css) keeps no memory.events file. */
	while (memcg && memcg->css.parent) {
		atomic_long_inc(&memcg->memory_events[event]);
		memcg = mem_cgroup_from_css(memcg->css.parent);
	}
}

static inline void oomx_memcg_event_mm(struct mm_struct *mm,
				       enum memcg_memory_event event)
{
	struct mem_cgroup *memcg;

	if (mem_cgroup_disabled())
		return;
	memcg = get_mem_cgroup_from_mm(mm);
	oomx_memcg_event(memcg, event);
	if (memcg)
		css_put(&memcg->css);
}

/*
 * The memory cgroup path of @tsk for log lines.  cgroup_path_ns() takes
 * cgroup_mutex, which a task waiting on oom_lock may hold: not safe here.
 * kernfs_path() (an inline over the exported kernfs_path_from_node()) only
 * takes kernfs_rename_lock, a spinlock, which is what the kernel's own
 * OOM report uses.  Caller holds RCU.
 */
static inline void oomx_task_memcg_path(struct task_struct *tsk, char *buf,
					size_t len)
{
	struct mem_cgroup *memcg = mem_cgroup_from_task(tsk);

	if (!memcg || mem_cgroup_disabled() ||
	    kernfs_path(memcg->css.cgroup->kn, buf, len) < 0)
		strscpy(buf, "/", len);
}
#else
static inline void oomx_memcg_event_mm(struct mm_struct *mm, int event) { }
static inline void oomx_task_memcg_path(struct task_struct *tsk, char *buf,
					size_t len)
{
	strscpy(buf, "/", len);
}
#endif

/*
 * Read-only fields oomx reads from tasks, all through public headers and
 * under the locks the kernel's own OOM code uses for them:
 *  - task->mm under task_lock(), as find_lock_task_mm() does;
 *  - task->signal->oom_score_adj, ->oom_mm, ->oom_flag_origin under RCU
 *    (oom_evaluate_task() reads them the same way);
 *  - mm counters through get_mm_counter()/get_mm_rss()/mm_pgtables_bytes();
 *  - current->mems_allowed and node_states[N_MEMORY] to detect a
 *    cpuset-constrained allocation, which oomx leaves to the kernel.
 */

#endif /* _OOMX_COMPAT_H */
