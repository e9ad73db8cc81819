// SPDX-License-Identifier: GPL-2.0
/*
 * oomx kill: at an OOM the kernel's own kill path executes oomx's choice
 * (see select.c), so everything that depends on it stays the kernel's.
 * oomx follows the kill through the oom:mark_victim tracepoint, which
 * mark_oom_victim() fires once for each task it marks: the chosen victim,
 * each member of a memory.oom.group, and an allocating task that was
 * already dying.  Each victim is counted, added to its event, and queued
 * for oomx's reaper.
 *
 * The tracepoint runs in the OOMing task, inside the kernel's kill path,
 * with preemption disabled and signal->oom_mm just set; the victim is
 * task_lock()ed, or is current.  The probe takes its own references to
 * the task and the mm (increments only; the reaper drops them) and a raw
 * spinlock of oomx's own, and never sleeps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "oomx.h"
#include "oomx_trace.h"

void oomx_victim_probe(void *data, struct task_struct *task, uid_t uid)
{
	struct oomx_event *ev = oomx_event_current();
	struct mm_struct *mm = READ_ONCE(task->signal->oom_mm);
	u64 now = oomx_now_ns();

	oomx_count(OOMX_C_VICTIMS, 1);
	if (!ev)
		return;
	if (!ev->t_kill_ns)
		ev->t_kill_ns = now;
	if (ev->nr_victims < OOMX_EVENT_VICTIMS)
		ev->victims[ev->nr_victims] = task->tgid;
	ev->nr_victims++;
	if (!ev->reached_kill && task == current)
		ev->current_marked = true;
	trace_oomx_kill(ev->seq, ev->memcg ? OOMX_TRIGGER_MEMCG :
			OOMX_TRIGGER_GLOBAL, task->tgid, task->comm, SIGKILL);
	/* dry_run changes nothing the kernel does: its reaper alone reaps. */
	if (ev->dry_run || !mm)
		return;
	oomx_reaper_enqueue(task, mm, ev->seq, now);
}
