// SPDX-License-Identifier: GPL-2.0
/*
 * oomx selection: the kernel's own scan, with oomx's policy in it.
 *
 * The kernel's select_bad_process() (global: every process under RCU;
 * memcg: mem_cgroup_scan_tasks() over the OOMing cgroup) calls
 * oom_evaluate_task() for each task, which skips what must never be
 * chosen (init, kernel threads, tasks outside the cpuset or memcg),
 * stops at a victim still in flight, takes an oom_task_origin() task at
 * once, and otherwise calls oom_badness() and keeps the highest points,
 * a later task winning a tie.
 *
 * oomx sits on oom_badness()'s return.  For a call made by the OOMing
 * task inside an open event it turns the kernel's value into a candidate
 * (the memory part is the value minus the oom_score_adj term), scores it
 * with oomx's policy and, unless dry_run, hands the kernel that score
 * instead.  The kernel's loop then picks oomx's choice with every one of
 * its own safety rules intact, and its kill path executes it: group-wide
 * SIGKILL, mm sharers, memory.oom.group, TIF_MEMDIE, thaw, memory.events
 * with notification, the oom:mark_victim tracepoint, dump_header() and
 * /proc/vmstat.  LONG_MIN stays LONG_MIN, and every score stays below
 * LONG_MAX, the points of an oom_task_origin() task.
 *
 * The handlers are O(1) per candidate, take no locks (the uid is read
 * under RCU), take no references and never sleep.
 *
 * One more duty at oom_kill_process(): never a second victim while one is
 * in flight.  The kernel's scan waits for a victim it meets that has not
 * released its memory, but it does not meet every one: a memcg scan skips
 * a process all of whose threads are exiting while the last one still
 * frees the mm, and exit_mmap() marks an mm MMF_OOM_SKIP before it frees
 * what it unmapped.  In either window the kernel kills a second task.
 * oomx knows its victims and hands the kernel's kill the one still in
 * flight instead; the kernel's kill path then finds it dying and only
 * re-marks it (task_will_free_mem()), or finds it gone ("already
 * exiting").  Nobody new dies, and the OOM retries as when the kernel's
 * own scan waits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/kprobes.h>
#include <linux/oom.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "oomx.h"

/* Per oom_badness() call, between entry and return (ri->data). */
struct oomx_cand_call {
	struct oomx_event *ev;
	struct task_struct *task;
	unsigned long totalpages;
	long adj;
};

static_assert(sizeof(struct oomx_cand_call) <= OOMX_CAND_DATA_SIZE);

/* kretprobe entry on oom_badness(struct task_struct *p, unsigned long totalpages) */
int oomx_cand_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_cand_call *d = (void *)ri->data;
	struct oomx_event *ev = oomx_event_current();

	/* Not a selection: a reader of /proc/PID/oom_score.  Don't return here. */
	if (!ev)
		return 1;
	d->ev = ev;
	d->task = (struct task_struct *)regs_get_kernel_argument(regs, 0);
	d->totalpages = regs_get_kernel_argument(regs, 1);
	d->adj = READ_ONCE(d->task->signal->oom_score_adj);
	ev->sel.totalpages = d->totalpages;
	if (!ev->t_first_cand_ns)
		ev->t_first_cand_ns = oomx_now_ns();
	/*
	 * The return probe is most of the cost of a candidate: take it only
	 * where oomx's score can differ from the kernel's, or to record every
	 * candidate (score_all, dry_run).
	 */
	if (!ev->score_all && !oomx_policy_rescores(ev->sel.policy, d->adj)) {
		ev->nr_passed++;
		return 1;
	}
	return 0;
}

/* The identity of a task its scan holds (RCU), for the record. */
void oomx_cand_identity(struct oomx_cand *c, const void *task)
{
	const struct task_struct *p = task;

	c->pid = p->tgid;
	c->uid = from_kuid_munged(&init_user_ns, task_uid(p));
	memcpy(c->comm, p->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
}

int oomx_cand_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_cand_call *d = (void *)ri->data;
	struct oomx_event *ev = d->ev;
	struct oomx_cand c = {};
	long ret = regs_return_value(regs);

	if (oomx_event_current() != ev)
		return 0;
	c.classic = ret;
	c.adj = (short)d->adj;
	if (ret != LONG_MIN)
		c.mem = oomx_mem_from_classic(ret, c.adj, d->totalpages);
	oomx_sel_offer(&ev->sel, &c, oomx_cand_identity, d->task);
	if (!ev->dry_run && c.points != ret)
		regs_set_return_value(regs, c.points);
	return 0;
}

/*
 * If a victim of an earlier event has not released its memory yet, give
 * the kernel's kill that victim instead of @oc->chosen.  The reference
 * on the kernel's choice is put later by the reaper thread (it could be
 * the last); a put slot is reserved before any reference is taken.
 */
static struct task_struct *oomx_hold_for_inflight(struct oomx_event *ev,
						  struct oom_control *oc)
{
	struct task_struct *chosen = oc->chosen, *held;
	int slot = oomx_put_reserve();

	if (slot < 0)
		return chosen;
	held = oomx_inflight_victim(oc->memcg);
	if (!held) {
		oomx_put_unreserve(slot);
		return chosen;
	}
	if (same_thread_group(held, chosen)) {
		oomx_put_later(slot, held);
		return chosen;
	}
	oomx_put_later(slot, chosen);
	oc->chosen = held;
	ev->redirected = true;
	oomx_count(OOMX_C_SECOND_KILLS_AVOIDED, 1);
	return held;
}

/*
 * kprobe on oom_kill_process(struct oom_control *oc, const char *message):
 * the kernel has chosen (oc->chosen, a reference it holds) and is about to
 * kill.  With oomx in charge that is oomx's choice; in dry_run the
 * kernel's own, to compare.  The vm.oom_kill_allocating_task shortcut
 * reaches here too, without a selection.
 */
int oomx_decision_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct oom_control *oc = (void *)regs_get_kernel_argument(regs, 0);
	const char *message = (void *)regs_get_kernel_argument(regs, 1);
	struct oomx_event *ev = oomx_event_current();
	struct task_struct *p;

	if (!ev)
		return 0;
	p = oc->chosen;
	ev->reached_kill = true;
	ev->t_decide_ns = oomx_now_ns();
	ev->kill_allocating = message &&
			      strstr(message, "oom_kill_allocating_task");
	/* SysRq-F asks for a kill regardless; dry_run changes nothing. */
	if (!ev->dry_run && !ev->kill_allocating && ev->order != -1)
		p = oomx_hold_for_inflight(ev, oc);
	oomx_cand_identity(&ev->chosen, p);
	ev->chosen.adj = READ_ONCE(p->signal->oom_score_adj);
	ev->chosen.points = oc->chosen_points;
	return 0;
}
