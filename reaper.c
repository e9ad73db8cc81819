// SPDX-License-Identifier: GPL-2.0
/*
 * oomx reaper: a kthread that hands an OOM victim's memory back without
 * waiting for the victim to exit, and sooner than the kernel's reaper
 * where that is safe.
 *
 * Victims arrive from kill.c (the oom:mark_victim tracepoint), each with a
 * task, mm and memcg reference owned by its queue slot.  The kthread marks
 * the slot BUSY before it touches the victim (no one else may then use or
 * reuse the slot), puts it back QUEUED if it must look again later, and
 * retires it when done: the references are dropped only an RCU grace
 * period later, because the OOM path reads the queue without a lock
 * (oomx_inflight_victim()).  debugfs sees plain fields under the lock
 * and never follows a pointer.
 *
 * A victim is looked at only once the out_of_memory() call that killed
 * it has returned: the kernel's kill path is then done with it (it may
 * still set MMF_OOM_SKIP on an mm shared with init while killing).  Then,
 * holding the victim's mmap lock for read (trylock, retried every 100 ms
 * as the stock reaper does):
 *
 *  - MMF_OOM_SKIP set: the memory is back already (exit, the kernel's
 *    reaper) or must not be touched (shared with init); done.
 *  - mmu notifiers registered (KVM, GPU and RDMA drivers): only the
 *    kernel's reaper can invalidate them without blocking, and the kernel
 *    queued it when it killed; left to it, and held in flight until it is
 *    done (see select.c).
 *  - its own exit under way and making progress (mm_users gone, its
 *    rss falling): left to finish.  exit_mmap() frees what it unmaps only
 *    at its end, after it has set MMF_OOM_SKIP: a reaper holding the
 *    mmap lock then would keep memory charged that the kernel already
 *    counts as free, and the next OOM would take a second task.  An exit
 *    that stalls (a victim allowed no CPU) is reaped like any victim.
 *  - otherwise oomx reads every robust futex list of every thread that
 *    still uses the mm.  exit_robust_list() reads them from the victim's
 *    memory when it dies; that memory gone, waiters in other processes
 *    are never woken, which is the only reason the stock reaper waits 2 s.
 *    If every list could be read whole, oomx keeps the pages they touch
 *    (head, entries, futex words, and each clear_child_tid word) and may
 *    reap the rest after reap_verified_delay_ms; otherwise it waits
 *    reap_delay_ms, the stock delay by default, reading the lists again
 *    at each look meanwhile (a page of one may only have been migrating).
 *  - the reap: every anonymous and private VMA, top-down as upstream does
 *    now, except VM_HUGETLB and VM_PFNMAP, as __oom_reap_task_mm(), in
 *    8 MiB steps; if the victim's own exit sets MMF_OOM_SKIP meanwhile,
 *    oomx lets go of the lock at once.  Then MMF_OOM_SKIP, which tells
 *    both killers the memory is back.
 *  - "back" means freed: while the victim's own exit_mmap() is under way
 *    it still holds what it unmapped, so the victim stays in flight until
 *    that exit is done (its VMA tree gone), or OOMX_GIVE_UP_NS.
 *
 * The kthread never allocates memory and never waits on anything that
 * could: it may be the only way memory comes back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/delay.h>
#include <linux/hugetlb.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "compat.h"
#include "oomx.h"
#include "oomx_trace.h"

#define OOMX_QUEUE_LEN		64
#define OOMX_RETRY_NS		(100 * NSEC_PER_MSEC)	/* as the stock reaper */
#define OOMX_WATCH_NS		(50 * NSEC_PER_MSEC)	/* for an exit while waiting */
#define OOMX_GIVE_UP_NS		(10 * NSEC_PER_SEC)
#define OOMX_IDLE_MS		1000
#define OOMX_HEADS_MAX		256	/* threads whose lists oomx reads */
#define OOMX_ROBUST_BUDGET	4096	/* list entries per victim */

enum oomx_slot_state {
	OOMX_SLOT_FREE,
	OOMX_SLOT_QUEUED,	/* waiting for ->due_ns */
	OOMX_SLOT_BUSY,		/* the kthread works on a copy */
	OOMX_SLOT_RETIRING,	/* done; waiting for an RCU grace period */
	OOMX_SLOT_RETIRED,	/* its references may go */
};

struct oomx_victim {
	enum oomx_slot_state state;
	struct task_struct *task;	/* reference held by the slot */
	struct mm_struct *mm;		/* mmgrab() held */
	struct mem_cgroup *memcg;	/* css reference held; may be NULL */
	u64 seq;			/* the event that killed it */
	bool first;			/* the event's first victim */
	bool early;			/* killed by early.c: no OOM to wait for */
	u64 t_kill_ns;
	u64 due_ns;			/* next look */
	bool planned;			/* robust lists read, reap_at_ns set */
	u64 reap_at_ns;
	bool reaping;			/* oomx's reap began */
	bool hands_off;			/* the kernel's reaper's; oomx only holds it */
	bool awaiting_exit;		/* reaped or left; its exit_mmap() not done */
	bool settling;			/* memory back; held a while (in the slot) */
	u64 released_ns;
	bool own_skip;			/* oomx set MMF_OOM_SKIP before its end */
	bool partial;			/* ... and has not finished (in the slot) */
	unsigned long reaped_pages;
	u64 zap_ns;
	unsigned long exit_rss;		/* rss at the last look at its exit */
	u64 exit_seen_ns;		/* when that rss last fell */
	enum oomx_robust robust;
	const char *robust_why;		/* why unknown: a string constant */
	bool robust_fault;		/* ... a list page not in memory */
	bool robust_retry;		/* read the lists again next look */
	int pid;
	char comm[TASK_COMM_LEN];
	struct oomx_pageset keep;
};

/*
 * The queue: every field of every slot under oomx_queue_lock, a raw
 * spinlock because the tracepoint takes it with preemption disabled
 * (on PREEMPT_RT a spinlock_t would sleep there).
 */
static struct oomx_victim oomx_queue[OOMX_QUEUE_LEN];
static DEFINE_RAW_SPINLOCK(oomx_queue_lock);
static struct rcu_head oomx_slot_rcu[OOMX_QUEUE_LEN];
static bool oomx_queue_open;		/* the kthread runs: accept victims */
static u64 oomx_last_seq;		/* seq of the last victim queued */
static int oomx_reaping_pid;		/* shown by debugfs; 0 when idle */

static struct task_struct *oomx_reaper_thread;
static DECLARE_WAIT_QUEUE_HEAD(oomx_reaper_wait);
static atomic_t oomx_reaper_kicked = ATOMIC_INIT(0);

/*
 * The kthread's own scratch: its copy of the BUSY slot, and the robust
 * list heads it collects.  Only the kthread (or the unload path, after
 * the kthread has stopped) touches these.
 */
static struct oomx_victim oomx_cur;
static int oomx_cur_slot;
static struct {
	unsigned long addr;
	unsigned int ptr_size;
} oomx_heads[OOMX_HEADS_MAX];
static unsigned long oomx_tids[OOMX_HEADS_MAX];
static unsigned int oomx_nr_heads, oomx_nr_tids;

static const char * const oomx_reap_names[OOMX_REAP_NR] = {
	[OOMX_REAP_NONE] = "none",
	[OOMX_REAP_PENDING] = "pending",
	[OOMX_REAP_DONE] = "reaped",
	[OOMX_REAP_EXITED] = "exited",
	[OOMX_REAP_KERNEL] = "kernel",
	[OOMX_REAP_BUSY] = "busy",
	[OOMX_REAP_DROPPED] = "dropped",
	[OOMX_REAP_UNLOAD] = "unload",
};

const char *oomx_reap_name(enum oomx_reap_result r)
{
	return r < OOMX_REAP_NR ? oomx_reap_names[r] : "unknown";
}

/* ---- the record of the victim's event ---- */

struct oomx_reap_update {
	bool first;
	enum oomx_reap_result result;
	enum oomx_robust robust;
	unsigned int kept;
	unsigned long reaped_kb;
	u64 zap_ns;
	u64 now_ns;
};

static void oomx_apply_update(struct oomx_record *r, void *arg)
{
	const struct oomx_reap_update *u = arg;

	r->reaped_kb += u->reaped_kb;
	if (!u->first)
		return;
	r->reap = u->result;
	r->robust = u->robust;
	r->kept_pages = u->kept;
	r->zap_ns = u->zap_ns;
	if (u->result == OOMX_REAP_DONE || u->result == OOMX_REAP_EXITED)
		r->released_ns = u->now_ns - r->t_ns;
}

static void oomx_apply_start(struct oomx_record *r, void *arg)
{
	r->reap_start_ns = *(u64 *)arg - r->t_ns;
}

/* When the reap of an event's first victim began, for the record. */
static void oomx_record_reap_start(u64 seq, bool first, u64 now)
{
	if (first)
		oomx_record_update(seq, oomx_apply_start, &now);
}

static void oomx_report(const struct oomx_victim *v,
			enum oomx_reap_result result, unsigned long reaped_kb,
			u64 zap_ns)
{
	struct oomx_reap_update u = {
		.first = v->first,
		.result = result,
		.robust = v->robust,
		.kept = v->keep.nr,
		.reaped_kb = reaped_kb,
		.zap_ns = zap_ns,
		.now_ns = oomx_now_ns(),
	};

	switch (result) {
	case OOMX_REAP_DONE:
		oomx_count(OOMX_C_REAPS, 1);
		oomx_count(OOMX_C_REAPED_KB, reaped_kb);
		oomx_count(OOMX_C_ROBUST_KEPT_PAGES, v->keep.nr);
		if (v->robust == OOMX_ROBUST_UNKNOWN)
			oomx_count(OOMX_C_REAP_UNVERIFIED, 1);
		break;
	case OOMX_REAP_EXITED:
		oomx_count(OOMX_C_REAP_EXITED, 1);
		break;
	case OOMX_REAP_KERNEL:
		oomx_count(OOMX_C_REAP_KERNEL, 1);
		break;
	case OOMX_REAP_BUSY:
		oomx_count(OOMX_C_REAP_BUSY, 1);
		break;
	case OOMX_REAP_DROPPED:
		oomx_count(OOMX_C_REAP_DROPPED, 1);
		break;
	default:
		break;
	}
	trace_oomx_reap(v->seq, v->pid, result, reaped_kb, v->keep.nr,
			div_u64(zap_ns, NSEC_PER_USEC),
			div_u64(u.now_ns - v->t_kill_ns, NSEC_PER_MSEC));
	if (result != OOMX_REAP_DONE && result != OOMX_REAP_EXITED)
		trace_oomx_fallback(v->seq, v->pid, OOMX_FALLBACK_REAP, result);
	oomx_record_update(v->seq, oomx_apply_update, &u);
}

/* ---- the queue ---- */

/**
 * oomx_enqueue - queue a victim
 * @tsk: the victim (task_lock()ed by the kernel's kill path)
 * @mm: its signal->oom_mm
 * @seq: the event
 * @t_kill_ns: when it was marked
 * @early: killed by early.c, not at an OOM
 *
 * Called from the tracepoint, in the OOMing task, or by early.c.  Takes
 * its own references; never sleeps.  A full queue leaves an OOM victim
 * to the kernel's reaper, which the kernel queued anyway, and an early
 * one to its own exit.
 */
static bool oomx_enqueue(struct task_struct *tsk, struct mm_struct *mm,
			 u64 seq, u64 t_kill_ns, bool early)
{
	struct oomx_victim *slot = NULL;
	unsigned long flags;
	bool first;
	int i;

	raw_spin_lock_irqsave(&oomx_queue_lock, flags);
	if (!oomx_queue_open)
		goto out_unlock;
	for (i = 0; i < OOMX_QUEUE_LEN; i++) {
		if (oomx_queue[i].state != OOMX_SLOT_FREE &&
		    oomx_queue[i].mm == mm)
			goto out_unlock;	/* another thread of the same mm */
		if (oomx_queue[i].state == OOMX_SLOT_FREE && !slot)
			slot = &oomx_queue[i];
	}
	first = seq != oomx_last_seq;
	oomx_last_seq = seq;
	if (!slot) {
		raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
		oomx_count(OOMX_C_REAP_DROPPED, 1);
		return false;
	}
	get_task_struct(tsk);
	mmgrab(mm);
	*slot = (struct oomx_victim){
		.task = tsk,
		.mm = mm,
		.memcg = oomx_task_memcg_get(tsk),
		.seq = seq,
		.first = first || early,
		.early = early,
		.t_kill_ns = t_kill_ns,
		.due_ns = t_kill_ns,
		.pid = task_pid_nr(tsk),
	};
	memcpy(slot->comm, tsk->comm, sizeof(slot->comm));
	slot->comm[sizeof(slot->comm) - 1] = '\0';
	/* Published last: oomx_inflight_victim() reads without the lock. */
	smp_store_release(&slot->state, OOMX_SLOT_QUEUED);
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
	return true;

out_unlock:
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
	return false;
}

bool oomx_reaper_enqueue(struct task_struct *tsk, struct mm_struct *mm,
			 u64 seq, u64 t_kill_ns)
{
	return oomx_enqueue(tsk, mm, seq, t_kill_ns, false);
}

/*
 * A victim early.c has just sent SIGKILL (process context, references
 * of its own held).  Reaped exactly as an OOM victim, with no OOM call
 * to wait for.
 */
bool oomx_reaper_enqueue_early(struct task_struct *tsk, struct mm_struct *mm,
			       u64 seq, u64 t_kill_ns)
{
	return oomx_enqueue(tsk, mm, seq, t_kill_ns, true);
}

/* An event closed, or a victim arrived: look at the queue now. */
void oomx_reaper_kick(void)
{
	atomic_set(&oomx_reaper_kicked, 1);
	wake_up(&oomx_reaper_wait);
}

/*
 * Mark the first victim that is due BUSY and copy it into oomx_cur;
 * otherwise return how long until one is (U64_MAX: none).
 */
static u64 oomx_take_due(u64 now)
{
	u64 closed = oomx_events_closed_seq(), next = U64_MAX;
	unsigned long flags;
	int i;

	raw_spin_lock_irqsave(&oomx_queue_lock, flags);
	for (i = 0; i < OOMX_QUEUE_LEN; i++) {
		struct oomx_victim *v = &oomx_queue[i];

		/* The kernel's kill path may not be done with it yet. */
		if (v->state != OOMX_SLOT_QUEUED ||
		    (!v->early && v->seq > closed))
			continue;
		if (v->due_ns <= now) {
			v->state = OOMX_SLOT_BUSY;
			oomx_cur = *v;
			oomx_cur_slot = i;
			oomx_reaping_pid = v->pid;
			next = 0;
			break;
		}
		next = min(next, v->due_ns - now);
	}
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
	return next;
}

/* Look again at ->due_ns: the slot, kept BUSY meanwhile, takes it back. */
static void oomx_requeue(const struct oomx_victim *v)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&oomx_queue_lock, flags);
	oomx_queue[oomx_cur_slot] = *v;
	oomx_queue[oomx_cur_slot].state = OOMX_SLOT_QUEUED;
	oomx_reaping_pid = 0;
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
}

static void oomx_slot_gp_done(struct rcu_head *head)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&oomx_queue_lock, flags);
	oomx_queue[head - oomx_slot_rcu].state = OOMX_SLOT_RETIRED;
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
	oomx_reaper_kick();
}

/* Done with it: readers of the queue get a grace period to let go. */
static void oomx_release(struct oomx_victim *v)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&oomx_queue_lock, flags);
	oomx_queue[oomx_cur_slot].state = OOMX_SLOT_RETIRING;
	oomx_reaping_pid = 0;
	raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
	call_rcu(&oomx_slot_rcu[oomx_cur_slot], oomx_slot_gp_done);
}

/* Drop the references of retired slots and free them (process context). */
static void oomx_free_retired(void)
{
	struct oomx_victim v;
	unsigned long flags;
	int i;

	for (i = 0; i < OOMX_QUEUE_LEN; i++) {
		raw_spin_lock_irqsave(&oomx_queue_lock, flags);
		v = oomx_queue[i];
		if (v.state == OOMX_SLOT_RETIRED) {
			oomx_queue[i].state = OOMX_SLOT_FREE;
			oomx_queue[i].task = NULL;
			oomx_queue[i].mm = NULL;
			oomx_queue[i].memcg = NULL;
		}
		raw_spin_unlock_irqrestore(&oomx_queue_lock, flags);
		if (v.state != OOMX_SLOT_RETIRED)
			continue;
		if (v.memcg)
			oomx_memcg_put(v.memcg);
		mmdrop(v.mm);
		put_task_struct(v.task);
	}
}

/**
 * oomx_inflight_victim - a victim whose memory is still on its way back
 * @oom_memcg: the OOMing memory cgroup, or NULL for a global OOM
 *
 * For the OOM path, which may run in NMI-like context: no locks.  The
 * slots it looks at cannot be retired and reused inside its RCU read
 * section, and their references are held until a grace period after.
 * Returns a thread of the victim that still has the mm if there is one
 * (else the marked one), with a reference the caller hands on.
 */
struct task_struct *oomx_inflight_victim(struct mem_cgroup *oom_memcg)
{
	struct task_struct *found = NULL;
	int i;

	rcu_read_lock();
	for (i = 0; i < OOMX_QUEUE_LEN && !found; i++) {
		struct oomx_victim *v = &oomx_queue[i];
		/* Pairs with the release in oomx_reaper_enqueue(): fields set. */
		int state = smp_load_acquire(&v->state);
		struct mm_struct *mm = READ_ONCE(v->mm);

		/*
		 * Every victim still queued counts, even one whose memory
		 * looks back already: between exit_mmap()'s last free and
		 * the kthread's next look (up to OOMX_WATCH_NS, longer on a
		 * busy host) nothing else says "just released", and an OOM
		 * that checked the margin before that free would otherwise
		 * take a second task (seen on 6.12: the memcg 12 MiB under
		 * its limit by the time the second kill's report printed).
		 * Handed a victim that is gone, the kernel's kill finds it
		 * "already exiting" and kills no one; the slot is retired
		 * OOMX_SETTLE_NS after the kthread sees the memory back.
		 */
		if ((state != OOMX_SLOT_QUEUED && state != OOMX_SLOT_BUSY) ||
		    !oomx_memcg_within(READ_ONCE(v->memcg), oom_memcg))
			continue;
		found = oomx_thread_with_mm(READ_ONCE(v->task), mm);
		get_task_struct(found);
	}
	rcu_read_unlock();
	return found;
}

/*
 * References the OOM path lets go of, put later by the kthread: in a
 * probe handler a put could be the last, and freeing a task there is
 * not allowed.  A slot is reserved before a reference is taken, so the
 * handler never holds one it cannot hand on.
 */
#define OOMX_PUT_SLOTS		16
#define OOMX_PUT_RESERVED	((struct task_struct *)1)

static struct task_struct *oomx_puts[OOMX_PUT_SLOTS];

int oomx_put_reserve(void)
{
	int i;

	for (i = 0; i < OOMX_PUT_SLOTS; i++)
		if (!cmpxchg(&oomx_puts[i], NULL, OOMX_PUT_RESERVED))
			return i;
	return -1;
}

void oomx_put_later(int slot, struct task_struct *tsk)
{
	/* Pairs with the acquire in oomx_put_drain(). */
	smp_store_release(&oomx_puts[slot], tsk);
	oomx_reaper_kick();
}

void oomx_put_unreserve(int slot)
{
	/* Pairs with the acquire in oomx_put_drain(). */
	smp_store_release(&oomx_puts[slot], NULL);
}

static void oomx_put_drain(void)
{
	int i;

	for (i = 0; i < OOMX_PUT_SLOTS; i++) {
		/* Pairs with the releases in oomx_put_later()/_unreserve(). */
		struct task_struct *t = smp_load_acquire(&oomx_puts[i]);

		if (!t || t == OOMX_PUT_RESERVED)
			continue;
		WRITE_ONCE(oomx_puts[i], NULL);
		put_task_struct(t);
	}
}

/* ---- robust futex lists ---- */

/* Read the victim's memory only where it is present: never fault. */
static int oomx_peek(void *ctx, unsigned long addr, void *buf, size_t len)
{
	struct mm_struct *mm = ctx;

	addr = oomx_untag(mm, addr);
	while (len) {
		size_t off = offset_in_page(addr);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct vm_area_struct *vma = find_vma(mm, addr);
		struct page *page;
		void *kaddr;

		if (!vma || vma->vm_start > addr || is_vm_hugetlb_page(vma))
			return -EFAULT;
		page = oomx_get_page_nofault(mm, addr - off);
		if (!page)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		memcpy(buf, kaddr + off, n);
		kunmap_local(kaddr);
		put_page(page);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Would oomx_reap_mm() unmap the page at @addr? */
static bool oomx_vma_reapable(struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP))
		return false;
	return vma_is_anonymous(vma) || !(vma->vm_flags & VM_SHARED);
}

static bool oomx_addr_reapable(void *ctx, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(ctx, addr);

	return vma && vma->vm_start <= addr && oomx_vma_reapable(vma);
}

static unsigned long oomx_mm_untag(void *ctx, unsigned long addr)
{
	return oomx_untag(ctx, addr);
}

static const struct oomx_robust_ops oomx_robust_mm_ops = {
	.read = oomx_peek,
	.reapable = oomx_addr_reapable,
	.untag = oomx_mm_untag,
	.page_size = PAGE_SIZE,
};

/* Note the lists and tid word of @t if it still uses @mm; false when full. */
static bool oomx_note_thread(struct task_struct *t, struct mm_struct *mm)
{
	unsigned long head = oomx_task_robust_list(t);
	unsigned long compat = oomx_task_compat_robust_list(t);
	unsigned long tid = oomx_task_clear_child_tid(t);

	if (READ_ONCE(t->mm) != mm)
		return true;
	if (oomx_nr_heads + 2 > OOMX_HEADS_MAX ||
	    oomx_nr_tids + 1 > OOMX_HEADS_MAX)
		return false;
	if (head) {
		oomx_heads[oomx_nr_heads].addr = head;
		oomx_heads[oomx_nr_heads++].ptr_size = sizeof(u64);
	}
	if (compat) {
		oomx_heads[oomx_nr_heads].addr = compat;
		oomx_heads[oomx_nr_heads++].ptr_size = sizeof(u32);
	}
	if (tid)
		oomx_tids[oomx_nr_tids++] = tid;
	return true;
}

/*
 * Every thread still using @mm: the victim's, and those of processes
 * sharing it (CLONE_VM), which the kernel killed too.  A thread that has
 * left the mm has already run exit_robust_list().  RCU keeps the thread
 * lists walkable; each ->mm is only compared.
 */
static bool oomx_collect_heads(struct oomx_victim *v)
{
	struct task_struct *p, *t;
	unsigned int users = 0;
	bool ok = true;

	oomx_nr_heads = 0;
	oomx_nr_tids = 0;
	rcu_read_lock();
	for_each_thread(v->task, t) {
		users += READ_ONCE(t->mm) == v->mm;
		ok = ok && oomx_note_thread(t, v->mm);
	}
	if (ok && atomic_read(&v->mm->mm_users) > users) {
		for_each_process(p) {
			if (same_thread_group(p, v->task))
				continue;
			for_each_thread(p, t)
				ok = ok && oomx_note_thread(t, v->mm);
		}
	}
	rcu_read_unlock();
	return ok;
}

/* Caller holds the mmap lock for read.  Fills v->keep, says why not. */
static enum oomx_robust oomx_robust_check(struct oomx_victim *v)
{
	unsigned int i, budget = OOMX_ROBUST_BUDGET;
	bool found = false;
	int err;

	oomx_pageset_init(&v->keep);
	v->robust_why = NULL;
	v->robust_fault = false;
	if (!oomx_collect_heads(v)) {
		v->robust_why = "too many threads";
		return OOMX_ROBUST_UNKNOWN;
	}
	for (i = 0; i < oomx_nr_heads; i++) {
		err = oomx_robust_walk(&oomx_robust_mm_ops, v->mm,
				       oomx_heads[i].addr, oomx_heads[i].ptr_size,
				       &v->keep, &budget, &found);
		if (err) {
			v->robust_fault = err == -EFAULT;
			v->robust_why = v->robust_fault ? "a list not in memory" :
							  "too long to keep";
			return OOMX_ROBUST_UNKNOWN;
		}
	}
	/* mm_release() writes and wakes each thread's clear_child_tid word. */
	for (i = 0; i < oomx_nr_tids; i++) {
		unsigned long tid = oomx_untag(v->mm, oomx_tids[i]);

		if (oomx_addr_reapable(v->mm, tid) &&
		    !oomx_pageset_add(&v->keep, tid, PAGE_SIZE)) {
			v->robust_why = "too long to keep";
			return OOMX_ROBUST_UNKNOWN;
		}
	}
	return found ? OOMX_ROBUST_KEPT : OOMX_ROBUST_NONE;
}

/* ---- the reap ---- */

#define OOMX_EXIT_STALL_NS	(50 * NSEC_PER_MSEC)

/*
 * Is the victim's own exit_mmap() under way and getting somewhere?  Its
 * threads hold mm_users, oomx only mm_count: with mm_users at 0 the exit
 * is unmapping, and its rss falls as it goes.  An exit whose rss has not
 * moved for OOMX_EXIT_STALL_NS (a victim allowed no CPU) is stuck.
 */
static bool oomx_exit_progressing(struct oomx_victim *v, u64 now)
{
	unsigned long rss;

	if (atomic_read(&v->mm->mm_users))
		return false;
	rss = get_mm_rss(v->mm);
	if (!v->exit_seen_ns || rss < v->exit_rss) {
		v->exit_rss = rss;
		v->exit_seen_ns = now;
	}
	return now - v->exit_seen_ns < OOMX_EXIT_STALL_NS;
}

/* ->partial is read without the lock by oomx_inflight_victim(). */
static void oomx_set_partial(struct oomx_victim *v, bool partial)
{
	v->partial = partial;
	WRITE_ONCE(oomx_queue[oomx_cur_slot].partial, partial);
}

/*
 * The kernel's reaper wakes OOM_REAPER_DELAY (2 s) after the kill and
 * unmaps every anonymous VMA whole, pages kept for robust futexes too,
 * unless MMF_OOM_SKIP is set by then.  A reap of oomx's still running
 * this long after the kill (a huge victim, a slow machine) sets it early
 * so that the kernel's reaper stands aside.  The kernel's scan then
 * passes the victim over, so oomx holds it in flight itself (->partial,
 * see select.c), at the price of the kernel's kill path reporting and
 * counting the held victim again at each OOM meanwhile.  A reap that
 * finishes in time sets the bit at its end, as the stock reaper does.
 */
#define OOMX_CLAIM_SKIP_NS	(1500 * NSEC_PER_MSEC)

static void oomx_claim_skip(struct oomx_victim *v)
{
	if (v->own_skip || !oomx_hook_active(OOMX_HOOK_DECISION))
		return;
	oomx_set_partial(v, true);
	oomx_mm_set(v->mm, MMF_OOM_SKIP);
	v->own_skip = true;
}

/* Unmap in steps small enough to let a writer in soon. */
#define OOMX_ZAP_STEP	(8UL << 20)

/*
 * What __oom_reap_task_mm() unmaps, walked top-down as upstream does since
 * 6.18, skipping the pages kept for robust futexes.  Caller holds the mmap
 * lock for read and the mm has no mmu notifiers.  Stops early, returning
 * false, when a writer waits for the lock: the victim's own exit_mmap()
 * wanting to free what it unmapped, or anyone else; the caller comes back
 * for the rest.  Adds to @pages what it freed.
 */
static bool oomx_reap_mm(struct oomx_victim *v, unsigned long *pages)
{
	MA_STATE(mas, &v->mm->mm_mt, ULONG_MAX, ULONG_MAX);
	const struct oomx_pageset *keep = &v->keep;
	struct mm_struct *mm = v->mm;
	unsigned long before = get_mm_rss(mm), after;
	struct vm_area_struct *vma;
	bool whole = true;

	while (whole && (vma = oomx_vma_prev(&mas)) != NULL) {
		unsigned long cursor = vma->vm_end, lo, hi;

		if (!oomx_vma_reapable(vma))
			continue;
		while (whole && oomx_pageset_next_gap(keep, vma->vm_start,
						      PAGE_SIZE, &cursor, &lo,
						      &hi)) {
			while (hi > lo) {
				unsigned long step = hi - lo > OOMX_ZAP_STEP ?
						     hi - OOMX_ZAP_STEP : lo;

				oomx_zap_range(vma, step, hi);
				hi = step;
				if (oomx_now_ns() >= v->t_kill_ns + OOMX_CLAIM_SKIP_NS)
					oomx_claim_skip(v);
				if (rwsem_is_contended(&mm->mmap_lock)) {
					whole = false;
					break;
				}
			}
		}
	}
	after = get_mm_rss(mm);
	*pages += before > after ? before - after : 0;
	return whole;
}

enum oomx_step {
	OOMX_STEP_RETRY,	/* back into the queue, look again at ->due_ns */
	OOMX_STEP_DONE,		/* reported; the references can go */
};

/* The victim frees its own memory: look again in a while. */
static enum oomx_step oomx_watch(struct oomx_victim *v, u64 now)
{
	v->due_ns = now + OOMX_WATCH_NS;
	return OOMX_STEP_RETRY;
}

/* Its exit_mmap() is freeing right now, or a writer just went in. */
#define OOMX_WATCH_FAST_NS	(2 * NSEC_PER_MSEC)

static enum oomx_step oomx_watch_fast(struct oomx_victim *v, u64 now)
{
	v->due_ns = now + OOMX_WATCH_FAST_NS;
	return OOMX_STEP_RETRY;
}

/*
 * Memory back, victim still held a while.  An OOM that began while the
 * memory was still on its way would otherwise kill a second task: the
 * kernel checks the margin only on its way in, and by the time it
 * chooses, the victim may be MMF_OOM_SKIP or gone from a memcg scan.
 * For OOMX_SETTLE_NS oomx keeps the victim in flight (its MMF_OOM_SKIP,
 * if oomx reaped it, waits for the end): the kernel's scan waits for it,
 * or oomx's hold hands it to the kill path, which finds it dying or gone
 * and kills nobody.  The allocator's retry then finds the memory.
 */
#define OOMX_SETTLE_NS		(100 * NSEC_PER_MSEC)

static enum oomx_step oomx_settle(struct oomx_victim *v, u64 now)
{
	/*
	 * Its exit_mmap() still holds what it unmapped (a victim allowed
	 * little CPU can sit on it for seconds): not back yet.  No robust
	 * list is in play any more (every thread has left the mm), so the
	 * kernel's reaper may come; oomx only keeps the victim in flight.
	 */
	if (oomx_mm_exit_unfinished(v->mm) &&
	    now < v->t_kill_ns + OOMX_GIVE_UP_NS) {
		v->awaiting_exit = true;
		return oomx_watch_fast(v, now);
	}
	v->awaiting_exit = false;
	v->settling = true;
	v->released_ns = now;
	WRITE_ONCE(oomx_queue[oomx_cur_slot].settling, true);
	oomx_set_partial(v, false);
	v->due_ns = now + OOMX_SETTLE_NS;
	return OOMX_STEP_RETRY;
}

/* After the settle: MMF_OOM_SKIP if oomx reaped it, and let it go. */
static enum oomx_step oomx_settled(struct oomx_victim *v)
{
	oomx_mm_set(v->mm, MMF_OOM_SKIP);
	return OOMX_STEP_DONE;
}

static void oomx_reap_done(struct oomx_victim *v)
{
	pr_info("reaped process %d (%s), now anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB; freed %lukB in %llu us; robust futex lists %s%s%s%s, %u pages kept\n",
		v->pid, v->comm,
		get_mm_counter(v->mm, MM_ANONPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(v->mm, MM_FILEPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(v->mm, MM_SHMEMPAGES) << (PAGE_SHIFT - 10),
		v->reaped_pages << (PAGE_SHIFT - 10),
		div_u64(v->zap_ns, NSEC_PER_USEC), oomx_robust_name(v->robust),
		v->robust_why ? " (" : "", v->robust_why ?: "",
		v->robust_why ? ")" : "", v->keep.nr);
	oomx_report(v, OOMX_REAP_DONE, v->reaped_pages << (PAGE_SHIFT - 10),
		    v->zap_ns);
}

static enum oomx_step oomx_reaped(struct oomx_victim *v, u64 now)
{
	oomx_reap_done(v);
	return oomx_settle(v, now);
}

static u64 oomx_reap_at(const struct oomx_victim *v)
{
	return oomx_reap_due_ns(v->t_kill_ns, v->robust,
				READ_ONCE(oomx_reap_delay_ms),
				READ_ONCE(oomx_reap_verified_delay_ms));
}

static enum oomx_step oomx_reap_one(struct oomx_victim *v, u64 now)
{
	struct mm_struct *mm = v->mm;
	u64 t0;

	if (v->awaiting_exit)
		return oomx_settle(v, now);
	if (v->settling) {
		/* The kernel's reaper must not find the kept pages: claim early. */
		bool due = now >= v->released_ns + OOMX_SETTLE_NS ||
			   now >= v->t_kill_ns + OOMX_CLAIM_SKIP_NS;
		/* Its exit began meanwhile: held until that is done too. */
		bool exiting = oomx_mm_exit_unfinished(mm) &&
			       now < v->t_kill_ns + OOMX_GIVE_UP_NS;

		if (due && !exiting)
			return oomx_settled(v);
		if (due)
			return oomx_watch_fast(v, now);
		v->due_ns = v->released_ns + OOMX_SETTLE_NS;
		return OOMX_STEP_RETRY;
	}
	/*
	 * Back already: its exit, or the kernel's reaper (or shared with
	 * init).  While exit_mmap() still frees under the write lock, keep
	 * it in flight, so the OOM path does not take a second victim.
	 */
	if (!v->own_skip && oomx_mm_test(mm, MMF_OOM_SKIP)) {
		if (oomx_mm_memory_pending(mm))
			return oomx_watch_fast(v, now);
		if (v->reaping)
			return oomx_reaped(v, now);
		if (!v->hands_off)
			oomx_report(v, OOMX_REAP_EXITED, 0, 0);
		return oomx_settle(v, now);
	}
	/* Held in flight until the kernel's reaper (or its exit) is done. */
	if (v->hands_off) {
		if (now >= v->t_kill_ns + OOMX_GIVE_UP_NS)
			return OOMX_STEP_DONE;
		return oomx_watch(v, now);
	}
	/* oomx's reap began, then the victim's own exit took over. */
	if (v->reaping && !atomic_read(&mm->mm_users))
		return oomx_reaped(v, now);
	if (now >= v->t_kill_ns + OOMX_GIVE_UP_NS) {
		oomx_set_partial(v, false);
		oomx_report(v, OOMX_REAP_BUSY, 0, 0);
		return OOMX_STEP_DONE;
	}
	if (!v->reaping && oomx_exit_progressing(v, now))
		return oomx_watch(v, now);
	if (!mmap_read_trylock(mm)) {
		v->due_ns = now + (v->reaping ? OOMX_WATCH_FAST_NS : OOMX_RETRY_NS);
		return OOMX_STEP_RETRY;
	}
	if (!v->reaping) {
		/* exit_mmap() sets it between its unmap and its write lock. */
		if (oomx_mm_test(mm, MMF_OOM_SKIP)) {
			mmap_read_unlock(mm);
			return oomx_watch_fast(v, now);
		}
		if (mm_has_notifiers(mm) || oomx_mm_shared_with_init(mm)) {
			mmap_read_unlock(mm);
			oomx_report(v, OOMX_REAP_KERNEL, 0, 0);
			v->hands_off = true;
			return oomx_watch(v, now);
		}
		/*
		 * A list page not in memory may be only on its way somewhere
		 * (migration, compaction): read again at each look until the
		 * safe delay is up.
		 */
		if (!v->planned || v->robust_retry) {
			v->planned = true;
			v->robust = oomx_robust_check(v);
			v->robust_retry = v->robust == OOMX_ROBUST_UNKNOWN &&
					  v->robust_fault;
			v->reap_at_ns = oomx_reap_at(v);
		}
		if (now < v->reap_at_ns) {
			mmap_read_unlock(mm);
			/* Meanwhile, look now and then for the victim's own exit. */
			v->due_ns = min(v->reap_at_ns, now + OOMX_WATCH_NS);
			return OOMX_STEP_RETRY;
		}
		/* Faults from here on SIGBUS instead of reading zero pages. */
		oomx_mm_set(mm, MMF_UNSTABLE);
		v->reaping = true;
		oomx_record_reap_start(v->seq, v->first, now);
	}

	t0 = oomx_now_ns();
	if (!oomx_reap_mm(v, &v->reaped_pages)) {
		v->zap_ns += oomx_now_ns() - t0;
		mmap_read_unlock(mm);
		/* A writer went first; the rest after it. */
		return oomx_watch_fast(v, now);
	}
	v->zap_ns += oomx_now_ns() - t0;
	mmap_read_unlock(mm);
	/* Nothing more to gain here: MMF_OOM_SKIP once it has settled. */
	return oomx_reaped(v, now);
}

/* One victim, if one is due; returns jiffies to sleep (0: go again). */
static long oomx_reaper_step(void)
{
	u64 now = oomx_now_ns();
	u64 wait = oomx_take_due(now);

	if (wait == U64_MAX)
		return msecs_to_jiffies(OOMX_IDLE_MS);
	if (wait)
		return max(nsecs_to_jiffies(wait), 1UL);
	if (oomx_reap_one(&oomx_cur, now) == OOMX_STEP_RETRY)
		oomx_requeue(&oomx_cur);
	else
		oomx_release(&oomx_cur);
	return 0;
}

static int oomx_reaper_fn(void *unused)
{
	while (!kthread_should_stop()) {
		long timeout;

		atomic_set(&oomx_reaper_kicked, 0);
		oomx_put_drain();
		oomx_free_retired();
		/* A victim's record must exist before it is reported on. */
		oomx_events_record();
		timeout = oomx_reaper_step();
		if (!timeout)
			continue;
		wait_event_interruptible_timeout(oomx_reaper_wait,
						 kthread_should_stop() ||
						 atomic_read(&oomx_reaper_kicked),
						 timeout);
	}
	return 0;
}

int oomx_reaper_start(void)
{
	struct task_struct *t;

	t = kthread_run(oomx_reaper_fn, NULL, "oomx_reaper");
	if (IS_ERR(t)) {
		pr_err("cannot start the reaper thread: %ld\n", PTR_ERR(t));
		return PTR_ERR(t);
	}
	oomx_reaper_thread = t;
	raw_spin_lock_irq(&oomx_queue_lock);
	oomx_queue_open = true;
	raw_spin_unlock_irq(&oomx_queue_lock);
	return 0;
}

/*
 * Unload: the probes are gone, so nothing new arrives.  A reap in
 * progress finishes (kthread_stop() waits for it); victims still queued
 * are the kernel's reaper's, which the kernel queued when it killed them.
 */
/*
 * Unload in the middle of a reap oomx began: its MMF_OOM_SKIP keeps the
 * kernel's reaper away, so finish it here, as the stock reaper would have
 * (ten tries for the lock, then as far as it got).
 */
static void oomx_reap_finish(struct oomx_victim *v)
{
	int tries;

	for (tries = 0; tries < 10; tries++) {
		if (mmap_read_trylock(v->mm)) {
			u64 t0 = oomx_now_ns();

			while (!oomx_reap_mm(v, &v->reaped_pages))
				cond_resched();
			v->zap_ns += oomx_now_ns() - t0;
			mmap_read_unlock(v->mm);
			break;
		}
		usleep_range(10000, 20000);
	}
	v->partial = false;
	oomx_report(v, OOMX_REAP_UNLOAD, v->reaped_pages << (PAGE_SHIFT - 10),
		    v->zap_ns);
}

void oomx_reaper_stop(void)
{
	int i;

	if (!oomx_reaper_thread)
		return;
	raw_spin_lock_irq(&oomx_queue_lock);
	oomx_queue_open = false;
	raw_spin_unlock_irq(&oomx_queue_lock);
	/* The kthread ends a step with its slot QUEUED or retired, never BUSY. */
	kthread_stop(oomx_reaper_thread);
	oomx_reaper_thread = NULL;
	/* The probes are gone: no reader is left once the callbacks ran. */
	rcu_barrier();
	oomx_put_drain();
	oomx_free_retired();

	for (i = 0; i < OOMX_QUEUE_LEN; i++) {
		raw_spin_lock_irq(&oomx_queue_lock);
		oomx_cur = oomx_queue[i];
		oomx_cur_slot = i;
		if (oomx_cur.state == OOMX_SLOT_QUEUED)
			oomx_queue[i].state = OOMX_SLOT_RETIRED;
		raw_spin_unlock_irq(&oomx_queue_lock);
		if (oomx_cur.state != OOMX_SLOT_QUEUED)
			continue;
		if (oomx_cur.settling)
			oomx_settled(&oomx_cur);
		else if (oomx_cur.own_skip)
			oomx_reap_finish(&oomx_cur);
		else if (oomx_cur.reaping)
			oomx_report(&oomx_cur, OOMX_REAP_UNLOAD,
				    oomx_cur.reaped_pages << (PAGE_SHIFT - 10),
				    oomx_cur.zap_ns);
		else
			oomx_report(&oomx_cur, OOMX_REAP_UNLOAD, 0, 0);
	}
	oomx_free_retired();
}

/* seq_printf() neither sleeps nor allocates: it can run under the lock. */
void oomx_reaper_show(struct seq_file *m)
{
	u64 now = oomx_now_ns();
	unsigned int i;

	seq_printf(m, "reaper %s\n", oomx_reaper_thread ? "running" : "stopped");
	raw_spin_lock_irq(&oomx_queue_lock);
	seq_printf(m, "reaping %d\n", oomx_reaping_pid);
	for (i = 0; i < OOMX_QUEUE_LEN; i++) {
		const struct oomx_victim *v = &oomx_queue[i];

		if (v->state == OOMX_SLOT_QUEUED)
			seq_printf(m, "queued %d event=%llu due_ms=%lld\n",
				   v->pid, v->seq,
				   div_s64((s64)(v->due_ns - now), NSEC_PER_MSEC));
	}
	raw_spin_unlock_irq(&oomx_queue_lock);
}
