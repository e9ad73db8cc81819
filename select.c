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
 * Operator rules (protect=, avoid=, prefer=) reach the scan here too: a
 * candidate a rule names always takes the return probe, and its score
 * moves into the rule's tier (policy.c).
 *
 * So do growth and cgroup_first (growth.c: a lookup in the latest
 * growth snapshot, the unit cgroup's usage from its page counters; under
 * growth only a task the snapshot saw grow takes the return probe, since
 * the policy gives every other one the kernel's own points), and
 * precise finalists: a candidate whose approximate memory, plus how far
 * the kernel's counters can be off, could make it the choice is counted
 * exactly, at most OOMX_EXACT_MAX per scan (compat.h says what each
 * kernel's counters are).  Where counters can be off by 64 MB or more,
 * every candidate takes the return probe for this.  Under cgroup_first
 * the entry probe scores the task's cgroup, and a task whose cgroup
 * cannot reach the best so far stays at the kernel's points, which are
 * below every cgroup_first score (policy.c): only the tasks of cgroups
 * that rank at the top as the scan goes take the return probe.
 *
 * The handlers are O(log n) per candidate (a cgroup's rule verdict is
 * worked out once per scan), take no locks but kernfs_path()'s read lock
 * and, for a finalist, task_lock() and the percpu counters' own, take no
 * references and never sleep.
 *
 * One more duty at oom_kill_process(): never a second victim while one is
 * in flight.  The kernel's scan waits for a victim it meets that has not
 * released its memory, but it does not meet every one: a memcg scan skips
 * a process all of whose threads are exiting while the last one still
 * frees the mm, and exit_mmap() marks an mm MMF_OOM_SKIP before it frees
 * what it unmapped.  In either window the kernel kills a second task.
 * The same holds for an early victim sent SIGTERM (early.c): once its
 * threads are past exit_mm() the scan no longer sees it, while its
 * memory is still being freed.
 * oomx knows its victims and hands the kernel's kill the one still in
 * flight instead; the kernel's kill path then finds it dying and only
 * re-marks it (task_will_free_mem()), or finds it gone ("already
 * exiting").  Nobody new dies, and the OOM retries as when the kernel's
 * own scan waits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/oom.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "oomx.h"
#include "oomx_trace.h"

/* Per oom_badness() call, between entry and return (ri->data). */
struct oomx_cand_call {
	struct oomx_event *ev;
	struct task_struct *task;
	unsigned long totalpages;
	short adj;
	short rule;
	/* cgroup_first: the task's cgroup as the entry scored it, or 0 */
	u64 unit_id;
	unsigned long unit_score;
};

void oomx_rule_ctx_begin(struct oomx_rule_ctx *rc)
{
	rc->rr = oomx_rules_get();
	memset(rc->cg, 0, sizeof(rc->cg));
}

void oomx_rule_ctx_end(struct oomx_rule_ctx *rc)
{
	oomx_rules_put(rc->rr);
	rc->rr = NULL;
}

/*
 * The verdict of cgroup selectors on @p's cgroup, worked out once per
 * cgroup per scan (caller under RCU): kernfs_path() copies the path under kernfs_rename_lock (a
 * read lock, irq-safe; its writers do not allocate under it, so no OOM
 * can be inside it).  A path longer than the buffer is matched on its
 * start, which is what a pattern ending in '*' wants.
 */
static int oomx_cgroup_rule(struct oomx_rule_ctx *rc, struct task_struct *p)
{
	struct cgroup *cgrp;
	u64 id = oomx_task_cgroup_id(p, &cgrp);
	unsigned int slot = hash_64(id, ilog2(OOMX_CG_CACHE));
	int rule = OOMX_RULE_NONE;

	if (rc->cg[slot].id == id)
		return rc->cg[slot].rule;
	if (oomx_cgroup_path(cgrp, rc->path, sizeof(rc->path)) > 0)
		rule = oomx_rules_match(&rc->rr->r, NULL, 0, rc->path);
	rc->cg[slot].id = id;
	rc->cg[slot].rule = rule;
	return rule;
}

/*
 * Could a comm: or uid: selector match @p (caller under RCU)?  Most
 * candidates of a scan are named by no rule, and this answers for them
 * from two loads and the filter, without copying the name or mapping the
 * uid.  The raw kuid is the uid of the initial namespace, whose map is
 * the identity for every uid but (uid_t)-1 (which from_kuid_munged()
 * turns into the overflow uid, so that one always goes to the full match).
 */
static bool oomx_task_may_match(const struct oomx_rules_ref *rr,
				struct task_struct *p)
{
	u32 uid = __kuid_val(task_uid(p));

	return uid == (u32)-1 ||
	       oomx_rule_filter_pass(&rr->filter, READ_ONCE(p->comm[0]), uid);
}

/**
 * oomx_task_rule - the operator rule that decides for @p, or 0
 * @rc: the scan's rules
 * @p: a task the caller's scan holds (RCU, or the kernel's css_task_iter)
 *
 * Reads p->comm (racy against prctl(PR_SET_NAME) as /proc is; copied and
 * terminated), its real uid and its cgroup v2 cgroup, all under RCU.  No
 * locks but kernfs_path()'s, no references, no sleeping.
 */
int oomx_task_rule(struct oomx_rule_ctx *rc, struct task_struct *p)
{
	const struct oomx_rules_ref *rr = rc->rr;
	int rule = OOMX_RULE_NONE;

	if (!rr)
		return rule;
	rcu_read_lock();
	if (rr->task_rules && oomx_task_may_match(rr, p)) {
		char comm[TASK_COMM_LEN];

		memcpy(comm, p->comm, sizeof(comm));
		comm[sizeof(comm) - 1] = '\0';
		rule = oomx_rules_match(&rr->r, comm,
					from_kuid_munged(&init_user_ns,
							 task_uid(p)), NULL);
	}
	if (rr->cgroup_rules)
		rule = oomx_rule_first(rule, oomx_cgroup_rule(rc, p));
	rcu_read_unlock();
	return rule;
}

void oomx_rule_text(const struct oomx_rule_ctx *rc, int rule, char *buf,
		    size_t len)
{
	oomx_rule_print(rc->rr ? &rc->rr->r : NULL, rule, buf, len);
}

/**
 * oomx_task_mm_facts - what oom_badness() reads of @p's memory
 * @p: a process, held by the caller's scan; caller under RCU
 * @exact: sum the counters exactly (compat.h) rather than read them
 * @f: filled in
 *
 * Under task_lock() of the first thread that still has the mm, as the
 * kernel's find_lock_task_mm() (not exported) finds it.  False if no
 * thread has one.
 */
bool oomx_task_mm_facts(struct task_struct *p, bool exact,
			struct oomx_mm_facts *f)
{
	struct task_struct *t;

	for_each_thread(p, t) {
		struct mm_struct *mm;

		task_lock(t);
		mm = t->mm;
		if (mm) {
			f->mem = exact ? oomx_mm_pages_exact(p, mm) :
				 get_mm_rss(mm) + get_mm_counter(mm, MM_SWAPENTS) +
				 mm_pgtables_bytes(mm) / PAGE_SIZE;
			f->anon = get_mm_counter(mm, MM_ANONPAGES);
			f->reaped = oomx_mm_test(mm, MMF_OOM_SKIP);
			f->vfork = in_vfork(t);
			task_unlock(t);
			return true;
		}
		task_unlock(t);
	}
	return false;
}

/**
 * oomx_cand_context - what policy=growth and cgroup_first need of @p
 * @c: the candidate, ->pid and ->mem filled in
 * @p: its task, held by the caller's scan
 * @policy: the selection's policy
 * @domain: the OOM's memcg, NULL for the whole machine
 *
 * O(log n) lookups in the growth snapshot and, for cgroup_first, a walk
 * up @p's memcg ancestry; under RCU, no locks, never sleeps.
 */
void oomx_cand_context(struct oomx_cand *c, struct task_struct *p,
		       enum oomx_policy policy, struct mem_cgroup *domain)
{
	if (policy != OOMX_POLICY_GROWTH && policy != OOMX_POLICY_CGROUP_FIRST)
		return;
	rcu_read_lock();
	oomx_growth_lookup(c, policy == OOMX_POLICY_CGROUP_FIRST ?
			   oomx_task_unit(p, domain) : NULL, oomx_now_ns());
	rcu_read_unlock();
}

/**
 * oomx_cand_finalist - count @c exactly if it could be the choice
 * @sel: the selection so far
 * @c: the candidate, from the kernel's approximate counters
 * @p: its task, held by the caller's scan
 *
 * Bounded: at most OOMX_EXACT_MAX exact sums per selection, each over
 * the online CPUs (6.12) or @p's threads (6.1), under task_lock() as
 * oom_badness() takes it.  Never sleeps.
 */
void oomx_cand_finalist(struct oomx_sel *sel, struct oomx_cand *c,
			struct task_struct *p)
{
	struct oomx_mm_facts f;
	bool found;

	if (!oomx_sel_finalist(sel, c, oomx_mm_counter_slack(p)))
		return;
	rcu_read_lock();
	found = oomx_task_mm_facts(p, true, &f);
	rcu_read_unlock();
	if (!found)
		return;
	c->mem = f.mem;
	c->classic = oomx_classic_points(f.mem, c->adj, sel->totalpages);
	if (!c->group_id)
		c->group_mem = oomx_group_score(f.mem, c->growth);
	c->flags |= OOMX_CAND_EXACT;
	sel->nr_exact++;
}

static_assert(sizeof(struct oomx_cand_call) <= OOMX_CAND_DATA_SIZE);

/*
 * cgroup_first: can @d's task still be the choice?  Its cgroup, and that
 * cgroup's score, are worked out here and kept for the return probe; a
 * task whose cgroup cannot reach the best so far stays at the kernel's
 * points, below every cgroup_first score, and loses as it would have.
 * A task in the root cgroup is a cgroup of its own, scored by its
 * memory, which only the return knows: it always goes on.
 */
static bool oomx_cand_unit_may_win(struct oomx_event *ev,
				   struct oomx_cand_call *d)
{
	struct mem_cgroup *unit;

	rcu_read_lock();
	unit = oomx_task_unit(d->task, ev->memcg_ptr);
	if (unit) {
		d->unit_id = oomx_memcg_id(unit);
		d->unit_score = oomx_unit_score(unit, ev->t_start_ns);
	}
	rcu_read_unlock();
	return !unit || oomx_sel_unit_may_win(&ev->sel, d->unit_score);
}

/* kretprobe entry on oom_badness(struct task_struct *p, unsigned long totalpages) */
int oomx_cand_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_cand_call *d = (void *)ri->data;
	struct oomx_event *ev = oomx_event_current();
	long growth = 0;

	/* Not a selection: a reader of /proc/PID/oom_score.  Don't return here. */
	if (!ev)
		return 1;
	d->ev = ev;
	d->task = (struct task_struct *)regs_get_kernel_argument(regs, 0);
	d->totalpages = regs_get_kernel_argument(regs, 1);
	d->adj = READ_ONCE(d->task->signal->oom_score_adj);
	d->rule = oomx_task_rule(&ev->rules, d->task);
	d->unit_id = 0;
	ev->sel.totalpages = d->totalpages;
	if (!ev->t_first_cand_ns)
		ev->t_first_cand_ns = oomx_now_ns();
	/*
	 * policy=growth gives a task that did not grow the kernel's score.
	 * The event's start is "now" for the snapshot's age: a scan is short.
	 */
	if (ev->sel.policy == OOMX_POLICY_GROWTH) {
		rcu_read_lock();
		growth = oomx_growth_of(d->task->tgid, ev->t_start_ns);
		rcu_read_unlock();
	}
	/*
	 * The return probe is most of the cost of a candidate: take it only
	 * where oomx's score can differ from the kernel's in a way that can
	 * matter, or to record every candidate (score_all, dry_run).  A rule
	 * and counters worth counting exactly always matter.
	 */
	if (ev->score_all || d->rule ||
	    oomx_mm_counter_slack(d->task) >= OOMX_SLACK_MATERIAL)
		return 0;
	if (oomx_policy_rescores(ev->sel.policy, d->adj, growth) &&
	    (ev->sel.policy != OOMX_POLICY_CGROUP_FIRST ||
	     oomx_cand_unit_may_win(ev, d)))
		return 0;
	ev->nr_passed++;
	return 1;
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
	c.adj = d->adj;
	c.rule = d->rule;
	c.pid = d->task->tgid;
	if (ret != LONG_MIN) {
		c.mem = oomx_mem_from_classic(ret, c.adj, d->totalpages);
		if (d->unit_id) {
			/* cgroup_first: the cgroup the entry scored */
			rcu_read_lock();
			c.growth = oomx_growth_of(c.pid, ev->t_start_ns);
			rcu_read_unlock();
			c.group_id = d->unit_id;
			c.group_mem = d->unit_score;
		} else {
			oomx_cand_context(&c, d->task, ev->sel.policy,
					  ev->memcg_ptr);
		}
		oomx_cand_finalist(&ev->sel, &c, d->task);
	}
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
	/* An early victim in its grace stage, SIGTERMed and maybe exiting. */
	if (!held)
		held = oomx_early_inflight(oc->memcg);
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
 * oomx_decision's candidate: the scan's own record of the task the kernel
 * is about to kill, when it kept one (oomx's best, or the classic best);
 * else what the kernel scored, which was classic's (a task the scan let
 * pass at the kernel's score), or the victim in flight it was handed.
 */
static void oomx_trace_decision(struct oomx_event *ev)
{
	const struct oomx_sel *sel = &ev->sel;
	struct oomx_cand c;

	if (!trace_oomx_decision_enabled())
		return;
	if (ev->dry_run && sel->have_best) {
		c = sel->best;		/* what oomx would have killed */
	} else if (sel->have_best && sel->best.pid == ev->chosen.pid) {
		c = sel->best;
	} else if (sel->have_best && sel->best_classic.pid == ev->chosen.pid) {
		c = sel->best_classic;
	} else {
		c = ev->chosen;
		if (c.points != LONG_MAX) {
			c.classic = c.points;
			c.mem = oomx_mem_from_classic(c.points, c.adj,
						      sel->totalpages);
		}
	}
	trace_oomx_decision(ev->seq, ev->memcg ? OOMX_TRIGGER_MEMCG :
			    OOMX_TRIGGER_GLOBAL, &c, sel->policy,
			    sel->nr_eligible, ev->redirected);
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
	/* No candidate told it (the kernel's scan alone): oc has it. */
	if (!ev->sel.totalpages)
		ev->sel.totalpages = oc->totalpages;
	ev->t_decide_ns = oomx_now_ns();
	ev->kill_allocating = message &&
			      strstr(message, "oom_kill_allocating_task");
	/* SysRq-F asks for a kill regardless; dry_run changes nothing. */
	if (!ev->dry_run && !ev->kill_allocating && ev->order != -1)
		p = oomx_hold_for_inflight(ev, oc);
	oomx_cand_identity(&ev->chosen, p);
	ev->chosen.adj = READ_ONCE(p->signal->oom_score_adj);
	ev->chosen.points = oc->chosen_points;
	oomx_trace_decision(ev);
	return 0;
}
