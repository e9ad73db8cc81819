// SPDX-License-Identifier: GPL-2.0
/*
 * oomx trigger: one struct oomx_event per out_of_memory() call.
 *
 *   out_of_memory() entry      oomx_oom_entry(): open the event
 *     OOM notifier chain       oomx_oom_notify(): global only, process
 *                              context, after every other notifier
 *     oom_badness() x N        select.c: candidates through the policy
 *     oom_kill_process()       select.c: the choice the kernel executes
 *     mark_oom_victim()        kill.c: victims, queued for the reaper
 *   out_of_memory() return     oomx_oom_return(): close it
 *   irq_work -> work           oomx_events_record(): the record, then
 *                              the log line
 *
 * Every caller of out_of_memory() holds oom_lock (global, memcg and SysRq
 * OOMs alike), so at most one event is open, and only the task holding
 * the lock writes it: the handlers above all run in that task.  Probe
 * handlers take no locks and do not sleep; css_get() and a reference on
 * the operator's rules are the only ones they take, and both are dropped
 * in process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/oom.h>
#include <linux/ptrace.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "oomx.h"
#include "oomx_trace.h"

/*
 * A few slots, so that an event can open while the previous one waits to
 * be recorded.  Claimed FREE -> OPEN by the OOM task, OPEN -> CLOSED at
 * return (release), CLOSED -> FREE by the commit (after acquire).
 */
#define OOMX_EVENT_SLOTS	8

static struct oomx_event oomx_events[OOMX_EVENT_SLOTS];
static struct oomx_event *oomx_cur_event;	/* open, or NULL */
static atomic64_t oomx_event_seq = ATOMIC64_INIT(0);
static atomic64_t oomx_closed_seq = ATOMIC64_INIT(0);

static void oomx_commit_work_fn(struct work_struct *work);
static DECLARE_WORK(oomx_commit_work, oomx_commit_work_fn);
static DEFINE_MUTEX(oomx_record_lock);	/* one recorder at a time */

/* From the return probe (NMI-safe) to process context. */
static void oomx_close_irq_work_fn(struct irq_work *iw)
{
	queue_work(oomx_wq, &oomx_commit_work);
	oomx_reaper_kick();
}

static struct irq_work oomx_close_iw;

/**
 * oomx_event_current - the open event, if current is the task in it
 *
 * For probe handlers: oom_badness() is also called by readers of
 * /proc/PID/oom_score, and they must never see oomx's scores.
 */
struct oomx_event *oomx_event_current(void)
{
	/* Pairs with the release in oomx_oom_entry(): ev->task is set. */
	struct oomx_event *ev = smp_load_acquire(&oomx_cur_event);

	/*
	 * The pid too: an event whose return was missed stays open until
	 * the next out_of_memory(), and its task_struct may be another
	 * task's by then.
	 */
	if (!ev || ev->task != current || ev->pid != current->pid)
		return NULL;
	return ev;
}

/* A sequence number from the events' own, for an early intervention. */
u64 oomx_event_seq_next(void)
{
	return atomic64_inc_return(&oomx_event_seq);
}

/* Is an out_of_memory() call under way right now? */
bool oomx_oom_open(void)
{
	return !!READ_ONCE(oomx_cur_event);
}

/* Events up to this seq have returned from out_of_memory(). */
u64 oomx_events_closed_seq(void)
{
	return atomic64_read(&oomx_closed_seq);
}

/*
 * Does the configuration @ev snapshot at its start give every candidate
 * the kernel's own points (policy.c)?  Then the kernel's scan is oomx's
 * selection, with or without the candidate hook.
 */
static bool oomx_scan_kernel_is_oomx(const struct oomx_event *ev)
{
	struct oomx_scan_config n = {
		.policy = ev->sel.policy,
		.rules = !!ev->rules.rr,
		.score_all = ev->score_all,
		.slack_max = oomx_mm_counter_slack_max(),
	};

	return !oomx_scan_needs_oomx(&n);
}

static void oomx_event_close(struct oomx_event *ev, bool progress,
			     bool unfinished)
{
	struct oomx_event_facts f = {
		.memcg = ev->memcg,
		.sysrq = ev->order == -1,
		.gfp_fs = !!(ev->gfp_mask & __GFP_FS),
		.notifier_freed = ev->notifier_freed > 0,
		.reached_kill = ev->reached_kill,
		.redirected = ev->redirected,
		.kill_allocating = ev->kill_allocating,
		.current_marked = ev->current_marked,
		.dry_run = ev->dry_run,
		.progress = progress,
	};
	unsigned long missed = oomx_hook_missed(OOMX_HOOK_CANDIDATE);

	/*
	 * oomx chose only if every candidate went through its policy: the
	 * hook armed for the whole call, none missed, and some seen; or if
	 * its policy gives every candidate the kernel's own points, so that
	 * the kernel's scan, with the candidate hook idle, was oomx's.
	 */
	ev->scored_all = !unfinished &&
			 (ev->scan_kernel ||
			  (ev->cand_armed &&
			   oomx_hook_active(OOMX_HOOK_CANDIDATE) &&
			   missed == ev->missed_at_start &&
			   ev->sel.nr_seen + ev->nr_passed));
	if (missed != ev->missed_at_start)
		oomx_count(OOMX_C_SCORE_MISSES, missed - ev->missed_at_start);
	f.scored_all = ev->scored_all;
	ev->progress = progress;
	ev->unfinished = unfinished;
	ev->t_end_ns = oomx_now_ns();
	ev->action = oomx_event_action(&f);
	if (ev->action == OOMX_ACT_UNSCORED || ev->action == OOMX_ACT_ALLOCATING)
		trace_oomx_fallback(ev->seq, ev->chosen.pid,
				    OOMX_FALLBACK_SELECT, ev->action);
	WRITE_ONCE(oomx_cur_event, NULL);
	atomic64_set(&oomx_closed_seq, ev->seq);
	atomic_set_release(&ev->state, OOMX_EV_CLOSED);
	irq_work_queue(&oomx_close_iw);
}

/* kretprobe entry on out_of_memory(struct oom_control *oc) */
int oomx_oom_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oom_control *oc = (void *)regs_get_kernel_argument(regs, 0);
	struct oomx_event *ev = NULL, *stale;
	int i;

	*(struct oomx_event **)ri->data = NULL;
	oomx_reclaim_count_oom(!!oc->memcg);
	oomx_count(oc->memcg ? OOMX_C_EVENTS_MEMCG : OOMX_C_EVENTS_GLOBAL, 1);

	/* oom_lock serialises events: an open one here never saw its return. */
	stale = READ_ONCE(oomx_cur_event);
	if (stale)
		oomx_event_close(stale, false, true);

	for (i = 0; i < OOMX_EVENT_SLOTS; i++) {
		if (atomic_cmpxchg(&oomx_events[i].state, OOMX_EV_FREE,
				   OOMX_EV_OPEN) == OOMX_EV_FREE) {
			ev = &oomx_events[i];
			break;
		}
	}
	if (!ev) {
		/* The kernel's choice stands for an event oomx cannot record. */
		oomx_count(OOMX_C_EVENTS_LOST, 1);
		return 1;
	}

	memset((char *)ev + sizeof(ev->state), 0,
	       sizeof(*ev) - sizeof(ev->state));
	ev->seq = atomic64_inc_return(&oomx_event_seq);
	ev->task = current;
	ev->pid = current->pid;
	ev->t_start_ns = oomx_now_ns();
	ev->memcg = !!oc->memcg;
	if (oc->memcg) {
		oomx_memcg_get(oc->memcg);
		ev->memcg_ptr = oc->memcg;
		ev->memcg_id = oomx_memcg_id(oc->memcg);
	}
	ev->gfp_mask = oc->gfp_mask;
	ev->order = oc->order;
	ev->dry_run = READ_ONCE(oomx_dry_run);
	/* A dry run is there to compare: it looks at every candidate. */
	ev->score_all = ev->dry_run || READ_ONCE(oomx_score_all);
	ev->cand_armed = oomx_hook_active(OOMX_HOOK_CANDIDATE);
	ev->missed_at_start = oomx_hook_missed(OOMX_HOOK_CANDIDATE);
	oomx_reclaim_sum(&ev->reclaim_at_start);
	oomx_sel_init(&ev->sel, READ_ONCE(oomx_policy), 0,
		      READ_ONCE(oomx_top_candidates));
	/* The rules of the moment, for the whole scan (put at commit). */
	oomx_rule_ctx_begin(&ev->rules);
	ev->scan_kernel = oomx_scan_kernel_is_oomx(ev);
	trace_oomx_trigger(ev->seq, ev->memcg ? OOMX_TRIGGER_MEMCG :
			   OOMX_TRIGGER_GLOBAL, 0, ev->pid, ev->memcg_id,
			   (__force unsigned int)ev->gfp_mask, ev->order);
	*(struct oomx_event **)ri->data = ev;
	/* Publish a filled event: pairs with oomx_event_current(). */
	smp_store_release(&oomx_cur_event, ev);
	return 0;
}

/* kretprobe return of out_of_memory(): bool, "progress was made" */
int oomx_oom_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_event *ev = *(struct oomx_event **)ri->data;

	/* Closed meanwhile as stale (a missed return of an earlier call)? */
	if (!ev || READ_ONCE(oomx_cur_event) != ev)
		return 0;
	oomx_event_close(ev, !!regs_return_value(regs), false);
	return 0;
}

/*
 * The OOM notifier chain: global OOMs only, in process context, under
 * oom_lock, before the kernel's selection.  oomx registers last
 * (lowest priority), so *@data holds what every other notifier freed
 * (virtio_balloon's deflate-on-oom, for one); if that is non-zero the
 * kernel kills nothing and oomx records why.  oomx frees nothing here
 * and so adds nothing to it.
 */
int oomx_oom_notify(struct notifier_block *nb, unsigned long action,
		    void *data)
{
	struct oomx_event *ev = oomx_event_current();

	if (ev)
		ev->notifier_freed = *(unsigned long *)data;
	return NOTIFY_OK;
}

/*
 * Record every closed event, oldest first, and free its slot.  Runs from
 * the work item and from the reaper, which must see an event's record
 * before it reports on its victims; it neither allocates nor prints.
 */
void oomx_events_record(void)
{
	mutex_lock(&oomx_record_lock);
	for (;;) {
		struct oomx_event *ev = NULL;
		int i;

		for (i = 0; i < OOMX_EVENT_SLOTS; i++) {
			struct oomx_event *e = &oomx_events[i];

			if (atomic_read_acquire(&e->state) == OOMX_EV_CLOSED &&
			    (!ev || e->seq < ev->seq))
				ev = e;
		}
		if (!ev)
			break;
		oomx_record_event(ev);
		oomx_rule_ctx_end(&ev->rules);
		if (ev->memcg_ptr) {
			oomx_memcg_put(ev->memcg_ptr);
			ev->memcg_ptr = NULL;
		}
		atomic_set_release(&ev->state, OOMX_EV_FREE);
	}
	mutex_unlock(&oomx_record_lock);
}

/* The work item: records, then their lines in the kernel log. */
static void oomx_commit_work_fn(struct work_struct *work)
{
	oomx_events_record();
	oomx_records_log();
}

void oomx_events_init(void)
{
	init_irq_work(&oomx_close_iw, oomx_close_irq_work_fn);
}

/*
 * After the probes are gone: an event still open (oomx was unloaded in
 * the middle of an OOM) is closed as unfinished, and everything is
 * recorded and its references dropped.
 */
void oomx_events_exit(void)
{
	struct oomx_event *ev = READ_ONCE(oomx_cur_event);

	if (ev)
		oomx_event_close(ev, false, true);
	irq_work_sync(&oomx_close_iw);
	flush_work(&oomx_commit_work);
	oomx_commit_work_fn(NULL);
}
