// SPDX-License-Identifier: GPL-2.0
/*
 * oomx: an OOM policy module.  This file is the glue between the kernel's
 * global OOM path and oomx's policy:
 *
 *   out_of_memory()                  (oom_lock held)
 *     -> OOM notifier chain          oomx_oom_notify(): decide, scan, kill
 *     -> if oomx reported progress:  the stock killer stands down
 *     -> otherwise:                  the stock killer runs as usual
 *
 * Scoring and selection are pure (policy.c); the kill mirrors the kernel's
 * __oom_kill_process(); reaping happens in oomx's kthread (reaper.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/oom.h>
#include <linux/cpuset.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/utsname.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "oomx.h"

/* ------------------------------------------------------------------ */
/* Parameters: validated on write, old value kept on error.            */
/* ------------------------------------------------------------------ */

bool oomx_enabled = true;
bool oomx_dry_run;
enum oomx_policy oomx_policy = OOMX_POLICY_CLASSIC;
unsigned int oomx_reap_delay_ms = 500;
unsigned int oomx_victim_timeout_ms = 3000;
unsigned int oomx_top_candidates = 5;

struct oomx_uint_param {
	unsigned int *val;
	unsigned int min, max;
};

/* The value as the user wrote it, without the newline echo adds. */
static int oomx_vlen(const char *val)
{
	return (int)strcspn(val, "\n");
}

static int oomx_param_set_bool(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (kstrtobool(val, &v)) {
		pr_err("%s: '%.*s' is not a boolean (use 0/1, y/n); keeping %d\n",
		       kp->name, oomx_vlen(val), val, *(bool *)kp->arg);
		return -EINVAL;
	}
	WRITE_ONCE(*(bool *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops oomx_bool_ops = {
	.set = oomx_param_set_bool,
	.get = param_get_bool,
};

static int oomx_param_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct oomx_uint_param *p = kp->arg;
	unsigned int v;

	if (oomx_parse_uint_range(val, p->min, p->max, &v)) {
		pr_err("%s: '%.*s' is not an integer in [%u, %u]; keeping %u\n",
		       kp->name, oomx_vlen(val), val, p->min, p->max, *p->val);
		return -EINVAL;
	}
	WRITE_ONCE(*p->val, v);
	return 0;
}

static int oomx_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct oomx_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops oomx_uint_ops = {
	.set = oomx_param_set_uint,
	.get = oomx_param_get_uint,
};

static int oomx_param_set_policy(const char *val, const struct kernel_param *kp)
{
	enum oomx_policy p;

	if (oomx_parse_policy(val, &p)) {
		pr_err("policy: '%.*s' is not one of classic, largest, adj_first; keeping %s\n",
		       oomx_vlen(val), val, oomx_policy_name(oomx_policy));
		return -EINVAL;
	}
	WRITE_ONCE(oomx_policy, p);
	return 0;
}

static int oomx_param_get_policy(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", oomx_policy_name(READ_ONCE(oomx_policy)));
}

static const struct kernel_param_ops oomx_policy_ops = {
	.set = oomx_param_set_policy,
	.get = oomx_param_get_policy,
};

#define OOMX_UINT_PARAM(name, lo, hi)					\
	static struct oomx_uint_param oomx_##name##_param = {		\
		.val = &oomx_##name, .min = (lo), .max = (hi),		\
	};								\
	module_param_cb(name, &oomx_uint_ops, &oomx_##name##_param, 0644)

module_param_cb(enabled, &oomx_bool_ops, &oomx_enabled, 0644);
MODULE_PARM_DESC(enabled,
		 "Handle global OOM with oomx's policy (1, default) or leave every event to the kernel (0)");
module_param_cb(dry_run, &oomx_bool_ops, &oomx_dry_run, 0644);
MODULE_PARM_DESC(dry_run,
		 "Score and record oomx's choice but let the stock killer act, recording whether they agreed (default 0)");
module_param_cb(policy, &oomx_policy_ops, NULL, 0644);
MODULE_PARM_DESC(policy,
		 "Victim scoring: classic (the kernel's oom_badness, default), largest (memory only), adj_first (highest oom_score_adj, then memory)");
OOMX_UINT_PARAM(reap_delay_ms, 0, 60000);
MODULE_PARM_DESC(reap_delay_ms,
		 "Milliseconds a victim gets to exit on its own before the reaper unmaps its memory, 0-60000 (default 500; the stock reaper waits 2000)");
OOMX_UINT_PARAM(victim_timeout_ms, 100, 600000);
MODULE_PARM_DESC(victim_timeout_ms,
		 "Milliseconds after a kill until, if the victim's memory is still not back, oomx hands the next OOM to the stock killer, 100-600000 (default 3000)");
OOMX_UINT_PARAM(top_candidates, 1, OOMX_TOP_MAX);
MODULE_PARM_DESC(top_candidates,
		 "How many best-scored candidates each decision record keeps, 1-16 (default 5)");

/* ------------------------------------------------------------------ */
/* Kernel settings the notifier needs but no exported symbol gives.    */
/* ------------------------------------------------------------------ */

/*
 * vm.panic_on_oom and vm.oom_kill_allocating_task are not exported, and
 * neither is total_swap_pages (classic scoring needs RAM + swap).  oomx
 * reads them from procfs in process context (at load and once a second
 * from a work item) so the notifier never touches a file under OOM.
 */
static struct {
	int panic_on_oom;
	int kill_allocating;
	unsigned long swap_pages;
	bool valid;
} oomx_mirror;

static DEFINE_MUTEX(oomx_mirror_lock);
static char oomx_mirror_buf[4096];

static int oomx_read_proc(const char *path)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, oomx_mirror_buf, sizeof(oomx_mirror_buf) - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	oomx_mirror_buf[n] = '\0';
	return 0;
}

static int oomx_read_proc_int(const char *path, int *out)
{
	int ret = oomx_read_proc(path);

	if (!ret)
		ret = kstrtoint(strim(oomx_mirror_buf), 10, out);
	return ret;
}

static int oomx_read_swap_total(unsigned long *pages)
{
	unsigned long kb;
	char *p;
	int ret = oomx_read_proc("/proc/meminfo");

	if (ret)
		return ret;
	p = strstr(oomx_mirror_buf, "SwapTotal:");
	if (!p || sscanf(p, "SwapTotal: %lu kB", &kb) != 1)
		return -EINVAL;
	*pages = kb >> (PAGE_SHIFT - 10);
	return 0;
}

void oomx_mirror_refresh(void)
{
	int panic, alloc;
	unsigned long swap;
	bool ok;

	mutex_lock(&oomx_mirror_lock);
	ok = !oomx_read_proc_int("/proc/sys/vm/panic_on_oom", &panic) &&
	     !oomx_read_proc_int("/proc/sys/vm/oom_kill_allocating_task", &alloc) &&
	     !oomx_read_swap_total(&swap);
	if (ok) {
		WRITE_ONCE(oomx_mirror.panic_on_oom, panic);
		WRITE_ONCE(oomx_mirror.kill_allocating, alloc);
		WRITE_ONCE(oomx_mirror.swap_pages, swap);
	} else if (oomx_mirror.valid) {
		pr_warn_once("cannot read /proc; keeping the last vm sysctl values\n");
	}
	if (ok && !oomx_mirror.valid)
		WRITE_ONCE(oomx_mirror.valid, true);
	mutex_unlock(&oomx_mirror_lock);
}

/*
 * Once a second: refresh the sysctl mirror and sample the reclaim
 * counters.  A work item, not the reaper: reading /proc allocates, and the
 * reaper must never wait for memory it is supposed to bring back.
 */
#define OOMX_HOUSEKEEPING_MS	1000

static void oomx_housekeeping(struct work_struct *work);
static DECLARE_DELAYED_WORK(oomx_housekeeping_work, oomx_housekeeping);

static void oomx_housekeeping(struct work_struct *work)
{
	oomx_mirror_refresh();
	oomx_reclaim_sample();
	queue_delayed_work(system_unbound_wq, &oomx_housekeeping_work,
			   msecs_to_jiffies(OOMX_HOUSEKEEPING_MS));
}

/* ------------------------------------------------------------------ */
/* Candidates                                                           */
/* ------------------------------------------------------------------ */

/*
 * find_lock_task_mm() is not exported, and returns with task_lock held on
 * one path only.  oomx pins instead: the thread of @p that still has an
 * mm, with references to it and to the mm; NULL if every thread has left
 * its mm.  task_lock is what keeps t->mm stable while we grab it.
 */
static struct task_struct *oomx_get_task_mm_thread(struct task_struct *p,
						   struct mm_struct **mmp)
{
	struct task_struct *t, *found = NULL;

	rcu_read_lock();
	for_each_thread(p, t) {
		task_lock(t);
		if (t->mm) {
			*mmp = t->mm;
			mmgrab(t->mm);
			get_task_struct(t);
			found = t;
		}
		task_unlock(t);
		if (found)
			break;
	}
	rcu_read_unlock();
	return found;
}

/* process_shares_mm() is not exported either.  Caller holds RCU. */
static bool oomx_process_shares_mm(struct task_struct *p, struct mm_struct *mm)
{
	struct task_struct *t;

	for_each_thread(p, t) {
		struct mm_struct *t_mm = READ_ONCE(t->mm);

		if (t_mm)
			return t_mm == mm;
	}
	return false;
}

/*
 * Fill @c from @p the way oom_evaluate_task()/oom_badness() look at it.
 * Caller holds RCU (for_each_process).
 */
static void oomx_fill_cand(struct task_struct *p, struct oomx_cand *c)
{
	struct task_struct *t;
	struct mm_struct *mm;

	memset(c, 0, sizeof(*c));
	c->ref = p;
	c->pid = task_pid_nr(p);
	c->adj = READ_ONCE(p->signal->oom_score_adj);
	if (is_global_init(p) || (p->flags & PF_KTHREAD)) {
		c->flags |= OOMX_CAND_UNKILLABLE;
		return;
	}
	if (tsk_is_oom_victim(p))
		c->flags |= oomx_mm_test(p->signal->oom_mm, MMF_OOM_SKIP) ?
			    OOMX_CAND_VICTIM_DONE : OOMX_CAND_VICTIM;
	if (oom_task_origin(p))
		c->flags |= OOMX_CAND_ORIGIN;

	/* The first thread with an mm, under task_lock, as oom_badness(). */
	c->flags |= OOMX_CAND_NO_MM;
	for_each_thread(p, t) {
		task_lock(t);
		mm = t->mm;
		if (mm) {
			c->flags &= ~OOMX_CAND_NO_MM;
			if (oomx_mm_test(mm, MMF_OOM_SKIP))
				c->flags |= OOMX_CAND_MM_SKIP;
			if (in_vfork(t))
				c->flags |= OOMX_CAND_VFORK;
			c->rss = get_mm_rss(mm);
			c->swapents = get_mm_counter(mm, MM_SWAPENTS);
			c->pgtables = mm_pgtables_bytes(mm) >> PAGE_SHIFT;
		}
		task_unlock(t);
		if (mm)
			break;
	}
}

static void oomx_rec_task(struct oomx_rec_task *r, const struct oomx_cand *c)
{
	struct task_struct *p = c->ref;

	r->pid = c->pid;
	r->adj = c->adj;
	r->points = c->points;
	r->rss_kb = c->rss << (PAGE_SHIFT - 10);
	r->swap_kb = c->swapents << (PAGE_SHIFT - 10);
	r->pgtables_kb = c->pgtables << (PAGE_SHIFT - 10);
	r->uid = from_kuid(&init_user_ns, task_uid(p));
	strscpy(r->comm, p->comm, sizeof(r->comm));
}

/* The scan state is big; the notifier is serialised by oomx_scan_lock. */
static struct oomx_sel oomx_scan_sel;
static DEFINE_MUTEX(oomx_scan_lock);

/*
 * Scan every process in for_each_process() order, the kernel's order, so
 * that ties resolve the same way.  On OOMX_SEL_VICTIM returns the victim
 * with a reference held.
 */
static struct task_struct *oomx_scan(struct oomx_sel *sel,
				     struct oomx_record *r)
{
	struct task_struct *p, *victim = NULL;
	struct oomx_cand c;
	unsigned int i;
	u64 t0 = oomx_now_ns();

	oomx_sel_init(sel, READ_ONCE(oomx_policy), r->totalpages,
		      READ_ONCE(oomx_top_candidates));
	rcu_read_lock();
	for_each_process(p) {
		oomx_fill_cand(p, &c);
		if (!oomx_sel_consider(sel, &c))
			break;
	}
	r->scan_ns = oomx_now_ns() - t0;
	/* Task structs are RCU-freed: the refs in sel are valid until here. */
	if (sel->state != OOMX_SEL_NONE)
		oomx_rec_task(&r->victim, &sel->victim);
	for (i = 0; i < sel->nr_top; i++)
		oomx_rec_task(&r->top[i], &sel->top[i]);
	if (sel->state == OOMX_SEL_VICTIM) {
		victim = sel->victim.ref;
		get_task_struct(victim);
	}
	rcu_read_unlock();

	r->sel = sel->state;
	r->nr_seen = sel->nr_seen;
	r->nr_eligible = sel->nr_eligible;
	r->nr_top = sel->nr_top;
	return victim;
}

/* ------------------------------------------------------------------ */
/* Kill: the kernel's __oom_kill_process(), step for step.             */
/* ------------------------------------------------------------------ */

struct oomx_killed {
	struct task_struct *task;	/* reference held */
	struct mm_struct *mm;		/* mmgrab() held */
	bool can_reap;
};

/*
 * Consumes the reference on @victim.  On return with k->task set, the
 * caller owns references to that task and its mm.
 */
static void oomx_kill(struct task_struct *victim, struct oomx_record *r,
		      struct oomx_killed *k)
{
	struct task_struct *p;
	struct mm_struct *mm;
	bool can_reap = true;

	p = oomx_get_task_mm_thread(victim, &mm);
	put_task_struct(victim);
	if (!p) {
		pr_info("OOM victim %d (%s) is already exiting. Skip killing the task\n",
			r->victim.pid, r->victim.comm);
		return;
	}
	victim = p;

	/* Raise the events before the signal, as the kernel does. */
	count_vm_event(OOM_KILL);
	oomx_memcg_event_mm(mm, MEMCG_OOM_KILL);

	/* SIGKILL first, reserves second: user space must not drain them. */
	send_sig_info(SIGKILL, SEND_SIG_PRIV, victim);
	oomx_mark_victim(victim, mm);
	r->signal_ns = oomx_now_ns() - r->t_trigger_ns;
	r->killed = true;
	oomx_report_kill(victim, mm, r);

	/*
	 * Kill every other process sharing the mm (CLONE_VM without
	 * CLONE_THREAD), or the memory never comes back.  An mm shared with
	 * init can't be reaped: init would see its memory vanish.
	 */
	rcu_read_lock();
	for_each_process(p) {
		if (!oomx_process_shares_mm(p, mm))
			continue;
		if (same_thread_group(p, victim))
			continue;
		if (is_global_init(p)) {
			can_reap = false;
			oomx_mm_set(mm, MMF_OOM_SKIP);
			pr_info("oom killer %d (%s) has mm pinned by %d (%s)\n",
				task_pid_nr(victim), victim->comm,
				task_pid_nr(p), p->comm);
			continue;
		}
		/* kthread_use_mm() users don't read user memory: reapable. */
		if (unlikely(p->flags & PF_KTHREAD))
			continue;
		send_sig_info(SIGKILL, SEND_SIG_PRIV, p);
		r->nr_sharers++;
	}
	rcu_read_unlock();

	oomx_count(OOMX_C_KILLS, 1);
	oomx_count(OOMX_C_SHARER_KILLS, r->nr_sharers);
	r->reap = can_reap ? OOMX_REAP_PENDING : OOMX_REAP_SKIPPED;
	k->task = victim;
	k->mm = mm;
	k->can_reap = can_reap;
}

/* ------------------------------------------------------------------ */
/* Trigger                                                              */
/* ------------------------------------------------------------------ */

static bool oomx_current_exiting(void)
{
	return fatal_signal_pending(current) || (current->flags & PF_EXITING);
}

/* An allocation whose cpuset does not span all memory: leave it to the kernel. */
static bool oomx_cpuset_limited(void)
{
	return num_online_nodes() > 1 &&
	       !nodes_subset(node_states[N_MEMORY], cpuset_current_mems_allowed);
}

/* Returns true when oomx killed and the kernel should see progress. */
static bool oomx_handle(const struct oomx_oc_snap *snap)
{
	struct oomx_killed k = {};
	struct oomx_record *r;
	struct task_struct *victim;
	bool killed;

	r = oomx_record_begin();
	r->t_trigger_ns = snap->t_ns;
	r->memcg = snap->memcg;
	r->gfp_mask = snap->gfp_mask;
	r->order = snap->order;
	r->policy = READ_ONCE(oomx_policy);
	r->dry_run = READ_ONCE(oomx_dry_run);
	r->totalpages = totalram_pages() + READ_ONCE(oomx_mirror.swap_pages);
	oomx_reclaim_window(&r->reclaim);

	victim = oomx_scan(&oomx_scan_sel, r);
	switch (r->sel) {
	case OOMX_SEL_ABORT:
		r->action = OOMX_DEFER_WAIT;
		break;
	case OOMX_SEL_NONE:
		/* Nothing killable: the kernel's own path reports and panics. */
		r->action = OOMX_DEFER_NO_VICTIM;
		break;
	case OOMX_SEL_VICTIM:
		r->action = OOMX_ACT_PROCEED;
		if (r->dry_run) {
			oomx_count(OOMX_C_DRY_RUN, 1);
			put_task_struct(victim);
			break;
		}
		oomx_report_header(r);
		oomx_kill(victim, r, &k);
		break;
	}
	killed = r->killed;
	if (r->action != OOMX_ACT_PROCEED)
		atomic_long_inc(&oomx_defers[r->action]);
	/*
	 * While a victim exits, the allocator retries and OOMs again and
	 * again: those aborted scans are counted, not recorded, or they
	 * would push the decisions out of the ring.  Commit before queueing:
	 * the reaper finds the record by seq.
	 */
	if (r->action != OOMX_DEFER_WAIT)
		oomx_record_commit(r);
	if (k.task) {
		oomx_reaper_queue(k.task, k.mm, k.can_reap, r->seq,
				  r->t_trigger_ns);
		mmdrop(k.mm);
		put_task_struct(k.task);
	}
	return killed;
}

static int oomx_oom_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	unsigned long *freed = data;
	struct oomx_oc_snap snap = {};
	struct oomx_trigger t = {};
	enum oomx_defer d;

	oomx_count(OOMX_C_EVENTS, 1);
	t.enabled = READ_ONCE(oomx_enabled);
	t.have_context = oomx_oc_current(&snap);
	t.now_ns = oomx_now_ns();
	if (t.have_context) {
		t.sysrq = snap.order == -1;
		t.gfp_fs = !!(snap.gfp_mask & __GFP_FS);
		t.constrained = snap.constrained || oomx_cpuset_limited();
	}
	t.current_exiting = oomx_current_exiting();
	t.panic_on_oom = READ_ONCE(oomx_mirror.panic_on_oom) != 0;
	t.kill_allocating = READ_ONCE(oomx_mirror.kill_allocating) != 0;
	t.victim_in_flight = oomx_victim_in_flight(&t.victim_deadline_ns);
	t.handoff_pending = oomx_handoff_pending();

	d = oomx_trigger_decide(&t);
	atomic_long_inc(&oomx_defers[d]);
	switch (d) {
	case OOMX_ACT_PROCEED:
		/* The kernel serialises OOM under oom_lock; be safe anyway. */
		if (!mutex_trylock(&oomx_scan_lock))
			break;
		if (oomx_handle(&snap))
			*freed += 1;
		mutex_unlock(&oomx_scan_lock);
		break;
	case OOMX_ACT_FALLBACK:
		/* Our victim is stuck: the stock killer takes this event. */
		oomx_victim_fallback();
		break;
	case OOMX_DEFER_HANDOFF:
		oomx_take_handoff();
		break;
	default:
		break;
	}
	if (!*freed)
		oomx_notifier_done();
	return NOTIFY_OK;
}

static struct notifier_block oomx_oom_nb = {
	.notifier_call = oomx_oom_notify,
};

static int __init oomx_init(void)
{
	int ret;

	oomx_mirror_refresh();
	if (!oomx_mirror.valid)
		pr_warn("cannot read vm sysctls from /proc: assuming panic_on_oom=0, oom_kill_allocating_task=0, no swap\n");

	ret = oomx_debugfs_init();
	if (ret)
		return ret;
	ret = oomx_reaper_start();
	if (ret)
		goto out_debugfs;
	ret = oomx_hooks_init();
	if (ret)
		goto out_reaper;
	ret = register_oom_notifier(&oomx_oom_nb);
	if (ret)
		goto out_hooks;
	queue_delayed_work(system_unbound_wq, &oomx_housekeeping_work,
			   msecs_to_jiffies(OOMX_HOUSEKEEPING_MS));

	pr_info("oomx %s loaded on Linux %s (%s): policy=%s enabled=%d dry_run=%d\n",
		OOMX_VERSION, init_utsname()->release, init_utsname()->machine,
		oomx_policy_name(oomx_policy), oomx_enabled, oomx_dry_run);
	return 0;

out_hooks:
	oomx_hooks_exit();
out_reaper:
	oomx_reaper_stop();
out_debugfs:
	oomx_debugfs_exit();
	return ret;
}

static void __exit oomx_exit(void)
{
	/* Waits for a notifier call in progress: nothing new gets queued. */
	unregister_oom_notifier(&oomx_oom_nb);
	/* The work re-queues itself; _sync cancels that too. */
	cancel_delayed_work_sync(&oomx_housekeeping_work);
	oomx_hooks_exit();
	/* Finishes or hands off the victim in flight, then drops its refs. */
	oomx_reaper_stop();
	oomx_debugfs_exit();
	pr_info("oomx unloaded\n");
}

module_init(oomx_init);
module_exit(oomx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oomx: OOM victim selection, kill and reaping policy");
MODULE_VERSION(OOMX_VERSION);
