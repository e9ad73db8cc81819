// SPDX-License-Identifier: GPL-2.0
/*
 * oomx reaper: a kthread that hands an OOM victim's memory back without
 * waiting for the victim to exit.
 *
 * For each victim it waits reap_delay_ms (the victim usually exits on its
 * own well before; the delay protects the exit path's robust-futex walk,
 * which reads the victim's anonymous memory), then takes the mmap lock
 * with trylock and bounded retries, unmaps every anonymous and private
 * VMA the way the stock oom_reaper does, and marks the mm MMF_OOM_SKIP.
 * If the victim's memory is still not back at victim_timeout_ms, oomx
 * gives up on it and hands the next OOM event to the stock killer.
 *
 * One victim is in flight at a time: oomx never kills a second task while
 * the first still holds its memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "compat.h"
#include "oomx.h"

#define OOMX_REAP_RETRY_MS	100	/* as the stock reaper: HZ/10 */
#define OOMX_POLL_MS		5	/* watching for the victim's own exit */
#define OOMX_IDLE_MS		1000	/* no victim: wake up now and then */

struct oomx_victim {
	struct task_struct *task;	/* reference held */
	struct mm_struct *mm;		/* mmgrab() held */
	bool can_reap;
	u64 seq;
	u64 t_trigger_ns;
	u64 t_kill_ns;
	u64 deadline_ns;
	int pid;
};

static struct oomx_victim oomx_victim;	/* .task != NULL: in flight */
static DEFINE_SPINLOCK(oomx_victim_lock);
static bool oomx_handoff;		/* give the next event to the stock killer */
static DECLARE_WAIT_QUEUE_HEAD(oomx_reaper_wait);
static struct task_struct *oomx_reaper_thread;

static void oomx_victim_release(struct oomx_victim *v)
{
	if (v->task) {
		mmdrop(v->mm);
		put_task_struct(v->task);
	}
}

/* Called from the notifier, with oomx_scan_lock held. */
void oomx_reaper_queue(struct task_struct *tsk, struct mm_struct *mm,
		       bool can_reap, u64 seq, u64 t_trigger_ns)
{
	struct oomx_victim old, v = {
		.task = tsk,
		.mm = mm,
		.can_reap = can_reap,
		.seq = seq,
		.t_trigger_ns = t_trigger_ns,
		.t_kill_ns = oomx_now_ns(),
		.pid = task_pid_nr(tsk),
	};

	v.deadline_ns = v.t_kill_ns +
		(u64)READ_ONCE(oomx_victim_timeout_ms) * NSEC_PER_MSEC;
	get_task_struct(tsk);
	mmgrab(mm);

	/*
	 * The trigger only kills when no victim is in flight, but the slot
	 * may still hold one whose memory is back and which the kthread has
	 * not retired yet: retire it here.
	 */
	spin_lock(&oomx_victim_lock);
	old = oomx_victim;
	oomx_victim = v;
	spin_unlock(&oomx_victim_lock);
	oomx_victim_release(&old);
	wake_up(&oomx_reaper_wait);
}

bool oomx_victim_in_flight(u64 *deadline_ns)
{
	bool ret = false;

	spin_lock(&oomx_victim_lock);
	if (oomx_victim.task && !oomx_mm_test(oomx_victim.mm, MMF_OOM_SKIP)) {
		*deadline_ns = oomx_victim.deadline_ns;
		ret = true;
	}
	spin_unlock(&oomx_victim_lock);
	return ret;
}

bool oomx_handoff_pending(void)
{
	return READ_ONCE(oomx_handoff);
}

void oomx_take_handoff(void)
{
	WRITE_ONCE(oomx_handoff, false);
}

struct oomx_reap_update {
	enum oomx_reap_result result;
	u64 now_ns;
	unsigned long reaped_kb;
	bool fallback;
};

static void oomx_apply_update(struct oomx_record *r, void *arg)
{
	struct oomx_reap_update *u = arg;
	u64 dt = u->now_ns - r->t_trigger_ns;

	/* "exited" only reports a victim nobody else has accounted for. */
	if (u->result == OOMX_REAP_EXITED && r->reap != OOMX_REAP_PENDING)
		return;
	if (u->result == OOMX_REAP_EXITED)
		oomx_count(OOMX_C_EXITED_FIRST, 1);

	r->reap = u->result;
	if (u->result == OOMX_REAP_DONE || u->result == OOMX_REAP_UNLOAD) {
		r->reaped_ns = dt;
		r->reaped_kb = u->reaped_kb;
	}
	if (u->result == OOMX_REAP_DONE || u->result == OOMX_REAP_EXITED ||
	    u->result == OOMX_REAP_UNLOAD) {
		r->released_ns = dt;
		r->released = true;
	}
	if (u->fallback)
		r->fallback = true;
}

static void oomx_record_reap(u64 seq, enum oomx_reap_result result,
			     unsigned long reaped_kb, bool fallback)
{
	struct oomx_reap_update u = {
		.result = result,
		.now_ns = oomx_now_ns(),
		.reaped_kb = reaped_kb,
		.fallback = fallback,
	};

	oomx_record_update(seq, oomx_apply_update, &u);
}

/*
 * Give up on the victim in flight: mark its mm MMF_OOM_SKIP (as the stock
 * reaper does when it cannot take the lock), so that the stock killer no
 * longer waits for it, and let the stock killer handle the next event.
 */
void oomx_victim_fallback(void)
{
	struct mm_struct *mm = NULL;
	u64 seq = 0;

	spin_lock(&oomx_victim_lock);
	if (oomx_victim.task && !oomx_mm_test(oomx_victim.mm, MMF_OOM_SKIP)) {
		mm = oomx_victim.mm;
		seq = oomx_victim.seq;
		oomx_mm_set(mm, MMF_OOM_SKIP);
		WRITE_ONCE(oomx_handoff, true);
	}
	spin_unlock(&oomx_victim_lock);
	if (!mm)
		return;
	pr_warn("victim of decision %llu still holds its memory after %u ms: handing over to the kernel's OOM killer\n",
		seq, READ_ONCE(oomx_victim_timeout_ms));
	oomx_count(OOMX_C_FALLBACKS, 1);
	oomx_record_reap(seq, OOMX_REAP_FAILED, 0, true);
}

/*
 * Unmap what the stock __oom_reap_task_mm() unmaps: anonymous and private
 * file VMAs, not hugetlb or pfnmap.  VM_LOCKED is reaped too, as the stock
 * reaper does: mlock() is a promise to a process that is now dying, and
 * zapping munlocks each page.  Caller holds mmap_read_lock and mm_users.
 */
static unsigned long oomx_reap_mm(struct mm_struct *mm)
{
	unsigned long before = get_mm_rss(mm), after;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, 0);
	/* Faults from here on SIGBUS instead of reading zero pages. */
	oomx_mm_set(mm, MMF_UNSTABLE);
	for_each_vma(vmi, vma) {
		if (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP))
			continue;
		if (vma_is_anonymous(vma) || !(vma->vm_flags & VM_SHARED))
			oomx_zap_vma(vma);
	}
	after = get_mm_rss(mm);
	return before > after ? before - after : 0;
}

enum oomx_step {
	OOMX_STEP_WAIT,		/* nothing to do yet */
	OOMX_STEP_RETRY,	/* the lock was busy */
	OOMX_STEP_DONE,		/* the victim is retired */
};

/*
 * Like the stock reaper, oomx holds the mm with mmgrab() only, not
 * mm_users: a victim stuck inside exit_mmap() (mm_users already 0) still
 * needs reaping.  That is safe because exit_mmap() unmaps under
 * mmap_read_lock, sets MMF_OOM_SKIP and only then frees page tables and
 * VMAs under mmap_write_lock: whoever holds the read lock and sees no
 * MMF_OOM_SKIP may walk and zap the VMAs.
 */
static enum oomx_step oomx_try_reap(struct oomx_victim *v, bool final)
{
	struct mm_struct *mm = v->mm;
	unsigned long pages;

	/* The victim got there first: exit_mmap() sets MMF_OOM_SKIP. */
	if (oomx_mm_test(mm, MMF_OOM_SKIP)) {
		oomx_record_reap(v->seq, OOMX_REAP_EXITED, 0, false);
		return OOMX_STEP_DONE;
	}
	/*
	 * A blocking mmu notifier (KVM, device drivers) may wait on memory
	 * itself; the stock reaper uses a non-blocking variant oomx cannot
	 * reach.  Leave such an mm to exit or to the timeout.
	 */
	if (mm_has_notifiers(mm))
		return OOMX_STEP_WAIT;
	if (!mmap_read_trylock(mm))
		return OOMX_STEP_RETRY;
	if (oomx_mm_test(mm, MMF_OOM_SKIP)) {
		mmap_read_unlock(mm);
		oomx_record_reap(v->seq, OOMX_REAP_EXITED, 0, false);
		return OOMX_STEP_DONE;
	}
	pages = oomx_reap_mm(mm);
	/* Hide the mm from both killers: there is nothing left to gain. */
	oomx_mm_set(mm, MMF_OOM_SKIP);
	mmap_read_unlock(mm);

	pr_info("oom_reaper: reaped process %d (%s), now anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB (freed %lukB)\n",
		v->pid, v->task->comm,
		get_mm_counter(mm, MM_ANONPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(mm, MM_FILEPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(mm, MM_SHMEMPAGES) << (PAGE_SHIFT - 10),
		pages << (PAGE_SHIFT - 10));
	oomx_count(OOMX_C_REAPS, 1);
	oomx_count(OOMX_C_REAPED_KB, pages << (PAGE_SHIFT - 10));
	oomx_record_reap(v->seq, final ? OOMX_REAP_UNLOAD : OOMX_REAP_DONE,
			 pages << (PAGE_SHIFT - 10), false);
	return OOMX_STEP_DONE;
}

/* One pass over the victim in flight; returns how long to sleep. */
static long oomx_reaper_step(void)
{
	struct oomx_victim v;
	enum oomx_step step = OOMX_STEP_WAIT;
	u64 now = oomx_now_ns(), reap_at;

	spin_lock(&oomx_victim_lock);
	v = oomx_victim;
	spin_unlock(&oomx_victim_lock);
	if (!v.task)
		return msecs_to_jiffies(OOMX_IDLE_MS);

	reap_at = v.t_kill_ns +
		(u64)READ_ONCE(oomx_reap_delay_ms) * NSEC_PER_MSEC;
	if (oomx_mm_test(v.mm, MMF_OOM_SKIP)) {
		/* Exited, reaped, handed off or unreapable: report once. */
		step = oomx_try_reap(&v, false);
	} else if (now >= v.deadline_ns) {
		oomx_count(OOMX_C_REAP_FAILURES, v.can_reap);
		oomx_victim_fallback();
		step = OOMX_STEP_DONE;
	} else if (v.can_reap && now >= reap_at) {
		step = oomx_try_reap(&v, false);
	}

	if (step == OOMX_STEP_DONE) {
		/* Retire it, unless the notifier replaced it meanwhile. */
		spin_lock(&oomx_victim_lock);
		if (oomx_victim.task == v.task && oomx_victim.seq == v.seq)
			oomx_victim.task = NULL;
		else
			v.task = NULL;
		spin_unlock(&oomx_victim_lock);
		oomx_victim_release(&v);
		return 0;
	}
	if (step == OOMX_STEP_RETRY)
		return msecs_to_jiffies(OOMX_REAP_RETRY_MS);
	return max(msecs_to_jiffies(OOMX_POLL_MS), 1UL);
}

/*
 * The reaper never allocates memory: it may be the only way memory comes
 * back, so it must not wait in the allocator for itself.  Housekeeping
 * that allocates (reading /proc) runs from a work item instead (oomx.c).
 */
static int oomx_reaper_fn(void *unused)
{
	while (!kthread_should_stop()) {
		long timeout = oomx_reaper_step();

		if (!timeout)
			continue;
		/* With a victim in flight, poll; without one, wait for one. */
		if (READ_ONCE(oomx_victim.task))
			schedule_timeout_interruptible(timeout);
		else
			wait_event_interruptible_timeout(oomx_reaper_wait,
							 kthread_should_stop() ||
							 READ_ONCE(oomx_victim.task),
							 timeout);
	}
	return 0;
}

int oomx_reaper_start(void)
{
	oomx_reaper_thread = kthread_run(oomx_reaper_fn, NULL, "oomx_reaper");
	if (IS_ERR(oomx_reaper_thread)) {
		int ret = PTR_ERR(oomx_reaper_thread);

		pr_err("cannot start the reaper thread: %d\n", ret);
		oomx_reaper_thread = NULL;
		return ret;
	}
	return 0;
}

/*
 * Unload: the notifier is gone, so nothing new arrives.  A victim still
 * in flight is reaped now if its lock can be had (the stock reaper would
 * have done so within seconds) and marked MMF_OOM_SKIP either way, so the
 * stock killer never waits on a victim nobody is looking after.
 */
void oomx_reaper_stop(void)
{
	struct oomx_victim v;
	int tries;

	if (!oomx_reaper_thread)
		return;
	kthread_stop(oomx_reaper_thread);
	oomx_reaper_thread = NULL;

	spin_lock(&oomx_victim_lock);
	v = oomx_victim;
	oomx_victim.task = NULL;
	spin_unlock(&oomx_victim_lock);
	if (!v.task)
		return;
	for (tries = 0; v.can_reap && tries < 10; tries++) {
		if (oomx_try_reap(&v, true) != OOMX_STEP_RETRY)
			break;
		usleep_range(10000, 20000);
	}
	if (!oomx_mm_test(v.mm, MMF_OOM_SKIP)) {
		oomx_mm_set(v.mm, MMF_OOM_SKIP);
		oomx_record_reap(v.seq, OOMX_REAP_UNLOAD, 0, false);
	}
	oomx_victim_release(&v);
}

void oomx_reaper_show(struct seq_file *m)
{
	struct oomx_victim v;

	spin_lock(&oomx_victim_lock);
	v = oomx_victim;
	spin_unlock(&oomx_victim_lock);
	seq_printf(m, "reaper %s\n", oomx_reaper_thread ? "running" : "stopped");
	if (v.task)
		seq_printf(m, "victim_in_flight %d decision=%llu released=%d\n",
			   v.pid, v.seq, oomx_mm_test(v.mm, MMF_OOM_SKIP));
	else
		seq_puts(m, "victim_in_flight -\n");
	seq_printf(m, "handoff_pending %d\n", READ_ONCE(oomx_handoff));
}
