// SPDX-License-Identifier: GPL-2.0
/*
 * oomx early intervention: act before the machine drowns.
 *
 * The kernel's OOM killer fires only when reclaim makes no progress at
 * all.  A machine whose working set no longer fits keeps "progressing"
 * by evicting page cache it needs again a moment later, and thrashes for
 * minutes.  oomx watches the reclaim path itself (reclaim_hooks.c):
 * memory stalls as the kernel's PSI defines them, refaults of working-set
 * pages, MemAvailable and free swap.
 *
 * A memory cgroup at its limit drowns the same way, on its own: its
 * reclaim drops the page cache it reads back a moment later, and no
 * OOM comes.  Refaults are counted per cgroup with a limit
 * (reclaim_hooks.c), and each cgroup that refaults goes through the
 * refaulting trigger with its limit as its RAM and what the limit leaves
 * besides its processes' anonymous memory as its MemAvailable
 * (oomx_memcg_pressure()); its victim is chosen among its own processes.
 *
 * Nothing polls while the machine is calm: the first memory stall of a
 * user task wakes the watcher (irq_work from the probe), which then
 * samples every OOMX_TICK_MS until the stalls have been gone for
 * OOMX_IDLE_TICKS, and goes back to sleep.  Only policy=growth and
 * cgroup_first wake it once a second while calm, for a growth sample
 * (growth.c).  Each tick goes through the
 * pure triggers (oomx_early_step(), policy.c).  When one fires:
 *
 *  - the victim is chosen by the same policy as at an OOM, over the same
 *    candidates the kernel would consider (never init, kernel threads,
 *    oom_score_adj -1000, an mm already reaped, a task in vfork), and
 *    never while a victim of anyone's is in flight or an OOM is open;
 *  - grace: SIGTERM to its process (and to its memory.oom.group and the
 *    other users of its mm), term_grace_ms to exit;
 *  - then, if its memory is not back and the evidence persists, SIGKILL
 *    to all of them, and oomx's reaper takes the victim as it takes an
 *    OOM victim (robust futex lists read first);
 *  - pacing: the next early victim only once this one's memory is back
 *    and the evidence has built up again from nothing.
 *
 * A real OOM meanwhile is the kernel's, with oomx's choice: a victim
 * killed early is in oomx's reaper queue, so the kernel's kill is handed
 * that victim and kills no one else (select.c); one still in its grace
 * stage makes oomx stand down, so the kernel's kill and oomx's never
 * race.  dry_run records "would have killed" and signals no one.
 *
 * Everything here runs in the watcher kthread, in process context, and
 * owns what it uses: the victim's task (get_task_struct) and mm (mmgrab)
 * until its outcome is known.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/swap.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

#include "compat.h"
#include "oomx.h"
#include "oomx_trace.h"

#define OOMX_TICK_MS		100
#define OOMX_IDLE_TICKS		20	/* calm ticks before the watcher sleeps */
#define OOMX_EARLY_GIVE_UP_NS	(30ULL * NSEC_PER_SEC)

enum oomx_early_stage {
	OOMX_ES_NONE,
	OOMX_ES_GRACE,		/* SIGTERM sent */
	OOMX_ES_KILLED,		/* SIGKILL sent: waiting for its memory */
};

/* The watcher's own state: only the watcher thread touches it. */
static struct {
	struct oomx_early_state trig;
	u64 last_ns, last_stall_ns, last_ws, last_rf, last_scans;
	unsigned int calm_ticks;
	/* the victim in flight */
	enum oomx_early_stage stage;
	struct task_struct *task;	/* get_task_struct() */
	struct mm_struct *mm;		/* mmgrab() */
	struct oomx_early_info info;	/* what its record says */
	u64 t_term_ns;
	/* whose trigger: a cgroup (css reference), or NULL, the machine */
	struct mem_cgroup *memcg;
} oomx_w;

/*
 * Memory cgroups under watch: those refaulting, each with its own
 * episodes, at most OOMX_MEMCG_WATCH at once (a newcomer takes the entry
 * of a calmer one, oomx_memcg_watch_claim()).  Only the watcher thread
 * touches them.
 */
#define OOMX_MEMCG_WATCH	16

struct oomx_memcg_watch {
	u64 id;				/* cgroup id; 0: a free entry */
	struct mem_cgroup *memcg;	/* css reference, for this tick */
	u64 refaults, last_ns;		/* the tick's, and when it was */
	u64 anon_ns;			/* when anon was counted */
	unsigned long limit, anon;	/* pages */
	struct oomx_early_state trig;
	struct oomx_pressure p;
	enum oomx_early_verdict v;
};

static struct {
	/* per telemetry slot: its key and refaults at the last tick */
	u64 last_key[OOMX_MEMCG_SLOTS], last_refaults[OOMX_MEMCG_SLOTS];
	u64 delta[OOMX_MEMCG_SLOTS];	/* this tick's, while it is read */
	struct oomx_memcg_watch w[OOMX_MEMCG_WATCH];
} oomx_mw;

/* The evidence in the watcher's log lines (only the watcher writes it). */
static char oomx_early_path[OOMX_PATH_LEN];
static char oomx_early_why[OOMX_PATH_LEN + 160];

/*
 * The victim in flight, for the OOM path (oomx_early_inflight()): an
 * OOM meanwhile must be handed it, not kill a second task, which the
 * kernel's scan does once every thread of the victim has passed
 * exit_mm() while exit_mmap() still frees (seen on arm64 6.12: a floor
 * victim exiting, the kernel killed the test harness beside it).
 * Published under RCU by the watcher; the references are oomx_w's, and
 * the watcher clears the pointer and waits a grace period before it
 * puts them, so a reader's get_task_struct() is always on a live task.
 */
struct oomx_early_flight {
	struct task_struct *task;
	struct mm_struct *mm;
	struct mem_cgroup *memcg;	/* css reference, the watcher's */
};

static struct oomx_early_flight oomx_flight;
static struct oomx_early_flight __rcu *oomx_flight_pub;

/* The watcher's selection scratch (too big for its stack). */
static struct oomx_sel oomx_early_sel;
/* The rules one choice is made under: the watcher's, like the above. */
static struct oomx_rule_ctx oomx_early_rules;

static struct task_struct *oomx_early_thread;
static DECLARE_WAIT_QUEUE_HEAD(oomx_early_wait);
static atomic_t oomx_early_kicked = ATOMIC_INIT(0);
static atomic_t oomx_early_idle = ATOMIC_INIT(1);
static atomic_t oomx_early_poked = ATOMIC_INIT(0);

static void oomx_early_iw_fn(struct irq_work *iw)
{
	atomic_set(&oomx_early_kicked, 1);
	wake_up(&oomx_early_wait);
}

static struct irq_work oomx_early_iw;

/* From a probe handler: a stall began; wake the watcher if it sleeps. */
void oomx_early_kick(void)
{
	if (atomic_read(&oomx_early_idle))
		irq_work_queue(&oomx_early_iw);
}

static struct oomx_early_cfg oomx_early_cfg_now(void)
{
	return (struct oomx_early_cfg){
		.stall_pct = READ_ONCE(oomx_early_stall_pct),
		.sustain_ms = READ_ONCE(oomx_early_sustain_ms),
		.refault_kbps = READ_ONCE(oomx_early_refault_kbps),
		.avail_floor_pct = READ_ONCE(oomx_early_avail_floor_pct),
		.refault_avail_pct = READ_ONCE(oomx_early_refault_avail_pct),
		.refault_pct = READ_ONCE(oomx_early_refault_pct),
		.swap_floor_pct = READ_ONCE(oomx_early_swap_floor_pct),
		.page_kb = PAGE_SIZE / 1024,
	};
}

/* Refaults of pages evicted while still in the working set. */
static u64 oomx_ws_refaults(void)
{
	return global_node_page_state(WORKINGSET_ACTIVATE_FILE) +
	       global_node_page_state(WORKINGSET_ACTIVATE_ANON);
}

/*
 * Pages the machine's own reclaim scanned (compat.h), summed over the
 * possible CPUs, as the kernel folds a dead CPU's into a live one:
 * reclaim against a cgroup's limit is not in it, which is what tells a
 * machine thrashing from a cgroup thrashing at its limit.
 */
static u64 oomx_machine_scans(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += oomx_cpu_machine_scans(&per_cpu(vm_event_states, cpu));
	return sum;
}

/* Every refault: a page read back in after it was evicted. */
static u64 oomx_refaults(void)
{
	return global_node_page_state(WORKINGSET_REFAULT_FILE) +
	       global_node_page_state(WORKINGSET_REFAULT_ANON);
}

static void oomx_early_sample(struct oomx_pressure *p, u64 now)
{
	u64 stall = oomx_memstall_some_ns(now), ws = oomx_ws_refaults();
	u64 rf = oomx_refaults(), scans = oomx_machine_scans();

	p->dt_ns = oomx_w.last_ns ? now - oomx_w.last_ns : 0;
	p->stall_ns = stall - oomx_w.last_stall_ns;
	p->ws_refaults = ws >= oomx_w.last_ws ? ws - oomx_w.last_ws : 0;
	p->avail_pages = si_mem_available();
	p->total_pages = totalram_pages();
	p->swap_free_pages = max_t(long, get_nr_swap_pages(), 0);
	oomx_w.last_ns = now;
	oomx_w.last_stall_ns = stall;
	oomx_w.last_ws = ws;
	p->refaults = rf >= oomx_w.last_rf ? rf - oomx_w.last_rf : 0;
	oomx_w.last_rf = rf;
	p->machine_scans = oomx_w.last_scans && scans > oomx_w.last_scans ?
			   scans - oomx_w.last_scans : 0;
	oomx_w.last_scans = scans;
}

/* ---- the choice ---- */

/*
 * A candidate as oom_badness() sees it: rss, swap entries and page
 * tables of the first thread that still has the mm, under its
 * task_lock().  Returns false for what the kernel would never choose.
 */
static bool oomx_early_cand(struct task_struct *p, struct oomx_cand *c,
			    unsigned long totalpages)
{
	struct oomx_mm_facts f;

	if (is_global_init(p) || (p->flags & PF_KTHREAD))
		return false;
	c->adj = READ_ONCE(p->signal->oom_score_adj);
	if (c->adj == OOM_SCORE_ADJ_MIN)
		return false;
	if (!oomx_task_mm_facts(p, false, &f) || f.reaped || f.vfork)
		return false;
	c->mem = f.mem;
	c->classic = oomx_classic_points(c->mem, c->adj, totalpages);
	return true;
}

/*
 * oomx's policy over every process (@memcg's alone, for a cgroup's
 * trigger; scored against @totalpages), under RCU.  Returns the choice
 * with a reference, or NULL: nothing killable, or a victim (anyone's)
 * still in flight, which is the kernel's to wait for.
 */
static struct task_struct *oomx_early_choose(struct oomx_sel *sel,
					     bool *in_flight,
					     struct mem_cgroup *memcg,
					     unsigned long totalpages)
{
	struct task_struct *p, *best = NULL;

	oomx_sel_init(sel, READ_ONCE(oomx_policy), totalpages,
		      READ_ONCE(oomx_top_candidates));
	*in_flight = false;
	rcu_read_lock();
	for_each_process(p) {
		struct mm_struct *oom_mm = READ_ONCE(p->signal->oom_mm);
		struct oomx_cand c = {};

		/* A victim of the kernel's kill still on its way out. */
		if (oom_mm && !oomx_mm_test(oom_mm, MMF_OOM_SKIP)) {
			*in_flight = true;
			break;
		}
		if (memcg && !oomx_task_in_memcg(p, memcg))
			continue;
		if (!oomx_early_cand(p, &c, totalpages))
			continue;
		/* Protected: never an early victim, even as the last resort. */
		c.rule = oomx_task_rule(&oomx_early_rules, p);
		if (oomx_rule_tier(c.rule) == OOMX_TIER_PROTECT)
			continue;
		c.pid = p->tgid;
		oomx_cand_context(&c, p, sel->policy, memcg);
		oomx_cand_finalist(sel, &c, p);
		oomx_sel_offer(sel, &c, oomx_cand_identity, p);
		if (sel->best.pid == p->tgid)
			best = p;
	}
	if (best && !*in_flight)
		get_task_struct(best);
	else
		best = NULL;
	rcu_read_unlock();
	return best;
}

/*
 * Does any process that must never be killed (init, a kernel thread, an
 * oom_score_adj -1000 process) use @mm outside @victim's thread group?
 * Then the victim is spared: the kernel's kill would take them too.
 */
static bool oomx_mm_protected_sharer(struct task_struct *victim,
				     struct mm_struct *mm)
{
	struct task_struct *p, *t;
	bool found = false;

	rcu_read_lock();
	for_each_process(p) {
		if (same_thread_group(p, victim))
			continue;
		for_each_thread(p, t) {
			if (READ_ONCE(t->mm) != mm)
				continue;
			found = is_global_init(p) || (p->flags & PF_KTHREAD) ||
				READ_ONCE(p->signal->oom_score_adj) ==
				OOM_SCORE_ADJ_MIN;
			break;
		}
		if (found)
			break;
	}
	rcu_read_unlock();
	return found;
}

/*
 * @sig to the victim's process, every other process using its mm, and
 * its memory.oom.group within the trigger's cgroup, as the kernel's kill
 * does (never init, kernel threads or -1000 members).  Returns how many
 * processes were signalled.
 */
static unsigned int oomx_early_signal(struct task_struct *victim,
				      struct mm_struct *mm, int sig)
{
	struct mem_cgroup *group = oomx_oom_group_get(victim, oomx_w.memcg);
	struct task_struct *p;
	unsigned int n = 0;

	if (!kill_pid(task_tgid(victim), sig, 1))
		n++;
	rcu_read_lock();
	for_each_process(p) {
		if (same_thread_group(p, victim) || is_global_init(p) ||
		    (p->flags & PF_KTHREAD) ||
		    READ_ONCE(p->signal->oom_score_adj) == OOM_SCORE_ADJ_MIN)
			continue;
		if (READ_ONCE(oomx_thread_with_mm(p, mm)->mm) != mm &&
		    !(group && oomx_task_in_memcg(p, group)))
			continue;
		if (!kill_pid(task_tgid(p), sig, 1))
			n++;
	}
	rcu_read_unlock();
	if (group)
		oomx_memcg_put(group);
	return n;
}

/* ---- the victim in flight ---- */

/*
 * Its memory back: its own exit done (every user gone and exit_mmap()
 * finished), or oomx's reaper done with it (MMF_OOM_SKIP, lock free).
 */
static bool oomx_early_memory_back(struct mm_struct *mm)
{
	if (oomx_mm_exit_unfinished(mm))
		return false;
	return !atomic_read(&mm->mm_users) || !oomx_mm_memory_pending(mm);
}

static void oomx_early_publish(void)
{
	oomx_flight = (struct oomx_early_flight){
		.task = oomx_w.task,
		.mm = oomx_w.mm,
		.memcg = oomx_task_memcg_get(oomx_w.task),
	};
	rcu_assign_pointer(oomx_flight_pub, &oomx_flight);
}

static void oomx_early_unpublish(void)
{
	if (!rcu_access_pointer(oomx_flight_pub))
		return;
	RCU_INIT_POINTER(oomx_flight_pub, NULL);
	synchronize_rcu();
	if (oomx_flight.memcg)
		oomx_memcg_put(oomx_flight.memcg);
	memset(&oomx_flight, 0, sizeof(oomx_flight));
}

/**
 * oomx_early_inflight - the early victim, while its memory is on its way back
 * @oom_memcg: the OOMing memory cgroup, or NULL for a global OOM
 *
 * For the OOM path (select.c), like oomx_inflight_victim(): no locks, a
 * reference the caller hands on.  A thread that still has the mm if
 * there is one.
 */
struct task_struct *oomx_early_inflight(struct mem_cgroup *oom_memcg)
{
	const struct oomx_early_flight *f;
	struct task_struct *found = NULL;

	rcu_read_lock();
	f = rcu_dereference(oomx_flight_pub);
	if (f && oomx_memcg_within(f->memcg, oom_memcg) &&
	    !oomx_early_memory_back(f->mm)) {
		found = oomx_thread_with_mm(f->task, f->mm);
		get_task_struct(found);
	}
	rcu_read_unlock();
	return found;
}

/* The next victim only on evidence gathered from here on, anywhere. */
static void oomx_early_reset_all(void)
{
	int i;

	oomx_early_reset(&oomx_w.trig);
	for (i = 0; i < OOMX_MEMCG_WATCH; i++)
		oomx_early_reset(&oomx_mw.w[i].trig);
}

static void oomx_early_release(void)
{
	oomx_early_unpublish();
	if (oomx_w.task) {
		put_task_struct(oomx_w.task);
		mmdrop(oomx_w.mm);
	}
	oomx_w.task = NULL;
	oomx_w.mm = NULL;
	oomx_w.stage = OOMX_ES_NONE;
	if (oomx_w.memcg)
		oomx_memcg_put(oomx_w.memcg);
	oomx_w.memcg = NULL;
	oomx_early_reset_all();
}

/* oomx_early: @info moved to its stage, @after_ns after its trigger. */
static void oomx_early_trace(const struct oomx_early_info *info, u64 after_ns)
{
	trace_oomx_early(info->seq, info->outcome, info->victim.pid,
			 info->stall_pct, info->refault_kbps, info->avail_kb,
			 div_u64(after_ns, NSEC_PER_MSEC));
}

static void oomx_early_outcome(enum oomx_early_outcome o, u64 now)
{
	oomx_w.info.outcome = o;
	oomx_early_trace(&oomx_w.info, now - oomx_w.info.t_ns);
	oomx_record_early_update(oomx_w.info.seq, o,
				 now - oomx_w.info.t_ns);
}

static void oomx_early_kill(u64 now)
{
	struct task_struct *v = oomx_w.task;
	struct mm_struct *mm = oomx_w.mm;
	unsigned int n;

	n = oomx_early_signal(v, mm, SIGKILL);
	trace_oomx_kill(oomx_w.info.seq, OOMX_TRIGGER_EARLY,
			oomx_w.info.victim.pid, oomx_w.info.victim.comm, SIGKILL);
	pr_warn("early: killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u oom_score_adj:%d (%u processes signalled)\n",
		oomx_w.info.victim.pid, oomx_w.info.victim.comm,
		mm->total_vm << (PAGE_SHIFT - 10),
		get_mm_counter(mm, MM_ANONPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(mm, MM_FILEPAGES) << (PAGE_SHIFT - 10),
		get_mm_counter(mm, MM_SHMEMPAGES) << (PAGE_SHIFT - 10),
		oomx_w.info.victim.uid, oomx_w.info.victim.adj, n);
	oomx_count(OOMX_C_EARLY_KILLS, 1);
	oomx_w.stage = OOMX_ES_KILLED;
	oomx_early_outcome(OOMX_EO_KILLED, now);
	/*
	 * The reaper takes it from here, as it takes an OOM victim, and its
	 * queue is what an OOM meanwhile is handed instead of a new victim.
	 */
	if (!oomx_reaper_enqueue_early(v, mm, oomx_w.info.seq, now))
		pr_warn("early: reaper queue full: process %d is left to its own exit\n",
			oomx_w.info.victim.pid);
	oomx_reaper_kick();
}

/* The victim heeded SIGTERM: counted, recorded, released. */
static void oomx_early_term_exited(u64 now, const char *more)
{
	pr_info("early: process %d (%s) exited %llu ms after SIGTERM%s\n",
		oomx_w.info.victim.pid, oomx_w.info.victim.comm,
		div_u64(now - oomx_w.t_term_ns, NSEC_PER_MSEC), more);
	oomx_count(OOMX_C_EARLY_TERM_EXITED, 1);
	oomx_early_outcome(OOMX_EO_TERM_EXITED, now);
	oomx_early_release();
}

/* The victim in flight, each tick.  Returns true while there is one. */
static bool oomx_early_follow(enum oomx_early_verdict verdict, u64 now)
{
	struct mm_struct *mm = oomx_w.mm;

	switch (oomx_w.stage) {
	case OOMX_ES_NONE:
		return false;
	case OOMX_ES_GRACE:
		if (oomx_early_memory_back(mm)) {
			oomx_early_term_exited(now, "");
			return false;
		}
		/*
		 * An OOM kill took it (the kernel's kill, handed it by oomx's
		 * hold): that kill rules.  Only its marking says so, never an
		 * OOM event by itself: one may be open and not have chosen
		 * yet, and dropping the hold then let the kernel kill a
		 * bystander while this victim was still freeing (seen on
		 * arm64, a memcg OOM churning beside a global one).
		 * signal->oom_mm is set by mark_oom_victim() and never
		 * cleared while the signal struct lives (our task reference
		 * keeps it).
		 */
		if (READ_ONCE(oomx_w.task->signal->oom_mm)) {
			pr_info("early: an OOM kill came first; oomx stands down for process %d (%s)\n",
				oomx_w.info.victim.pid,
				oomx_w.info.victim.comm);
			oomx_early_outcome(OOMX_EO_OOM_FIRST, now);
			oomx_early_release();
			return false;
		}
		if (now < oomx_w.t_term_ns +
			  (u64)READ_ONCE(oomx_term_grace_ms) * NSEC_PER_MSEC)
			return true;
		/*
		 * It heeded SIGTERM and is freeing its memory (every user of
		 * the mm gone, exit_mmap() under way: seconds for a large one
		 * on a slow CPU): the grace is honoured, wait for it.
		 */
		if (oomx_mm_exit_unfinished(mm)) {
			if (now < oomx_w.t_term_ns + OOMX_EARLY_GIVE_UP_NS)
				return true;
			/*
			 * Still freeing at the give-up: it did exit on
			 * SIGTERM, and no SIGKILL would hurry its exit_mmap().
			 * Not "spared" (seen on a crawling arm64 guest, 30 s
			 * for 300 MB).
			 */
			oomx_early_term_exited(now,
					       "; its memory is still coming back");
			return false;
		}
		if (verdict == OOMX_EARLY_CALM) {
			pr_info("early: pressure gone %u ms after SIGTERM; process %d (%s) spared\n",
				READ_ONCE(oomx_term_grace_ms),
				oomx_w.info.victim.pid,
				oomx_w.info.victim.comm);
			oomx_count(OOMX_C_EARLY_SPARED, 1);
			oomx_early_outcome(OOMX_EO_SPARED, now);
			oomx_early_release();
			return false;
		}
		/* Never a SIGKILL racing an OOM under way: see what it does. */
		if (oomx_oom_open())
			return true;
		oomx_early_kill(now);
		return true;
	case OOMX_ES_KILLED:
		if (oomx_early_memory_back(mm) ||
		    now >= oomx_w.info.t_ns + OOMX_EARLY_GIVE_UP_NS) {
			oomx_early_release();
			return false;
		}
		return true;
	}
	return false;
}

/*
 * An early intervention, just recorded (its seq is set): its trigger, the
 * choice when there is one, and its first stage.
 */
static void oomx_early_traced(const struct oomx_early_info *info,
			      const struct oomx_sel *sel)
{
	trace_oomx_trigger(info->seq, OOMX_TRIGGER_EARLY, info->why, 0,
			   oomx_memcg_id(info->memcg), 0, 0);
	if (sel->have_best)
		trace_oomx_decision(info->seq, OOMX_TRIGGER_EARLY, &sel->best,
				    sel->policy, sel->nr_eligible, false);
	/* With no grace, oomx_early_kill() traces the stage: killed. */
	if (info->outcome != OOMX_EO_TERM || info->grace_ms)
		oomx_early_trace(info, 0);
}

/*
 * What the log line says a trigger saw, into oomx_early_why: the machine's
 * evidence, or the cgroup's (its refaults, and the room its limit leaves).
 */
static const char *oomx_early_evidence(const struct oomx_early_info *info,
				       const struct oomx_memcg_watch *mw)
{
	if (!mw) {
		scnprintf(oomx_early_why, sizeof(oomx_early_why),
			  "(over %llu ms: memory stall %u%%, refaults %u kB/s, working-set %u kB/s; MemAvailable %lu kB, free swap %lu kB)",
			  info->episode_ms, info->stall_pct, info->refault_kbps,
			  info->ws_refault_kbps, info->avail_kb,
			  info->swap_free_kb);
		return oomx_early_why;
	}
	oomx_memcg_path(mw->memcg, oomx_early_path, sizeof(oomx_early_path));
	scnprintf(oomx_early_why, sizeof(oomx_early_why),
		  "in memory cgroup %s (over %llu ms: refaults %u kB/s; %lu kB of its %lu kB limit left beside anonymous memory)",
		  oomx_early_path, info->episode_ms, info->refault_kbps,
		  info->avail_kb, mw->limit << (PAGE_SHIFT - 10));
	return oomx_early_why;
}

/*
 * Act on a trigger, the machine's or @mw's (a memory cgroup's): choose,
 * then SIGTERM (or SIGKILL with no grace).
 */
static void __oomx_early_act(enum oomx_early_verdict verdict,
			     const struct oomx_pressure *p, u64 now,
			     struct oomx_memcg_watch *mw)
{
	struct oomx_early_info *info = &oomx_w.info;
	const struct oomx_episode *e = oomx_early_episode(mw ? &mw->trig :
							  &oomx_w.trig,
							  verdict);
	struct mem_cgroup *memcg = mw ? mw->memcg : NULL;
	unsigned long totalpages = mw ? mw->limit : totalram_pages() +
				   max_t(long, get_nr_swap_pages(), 0);
	unsigned int grace = READ_ONCE(oomx_term_grace_ms);
	struct oomx_sel *sel = &oomx_early_sel;
	char rule[OOMX_RULE_TEXT_LEN];
	struct task_struct *victim, *held;
	struct mm_struct *mm;
	bool in_flight;

	/* Never beside an OOM, or while any victim is still in flight. */
	held = oomx_inflight_victim(NULL);
	if (held) {
		put_task_struct(held);
		oomx_count(OOMX_C_EARLY_HELD, 1);
		return;
	}
	if (oomx_oom_open())
		return;
	victim = oomx_early_choose(sel, &in_flight, memcg, totalpages);
	if (in_flight) {
		oomx_count(OOMX_C_EARLY_HELD, 1);
		return;
	}

	memset(info, 0, sizeof(*info));
	info->t_ns = now;
	info->why = verdict;
	info->policy = sel->policy;
	info->dry_run = READ_ONCE(oomx_dry_run);
	info->stall_pct = oomx_episode_stall_pct(e);
	info->refault_kbps = oomx_episode_all_refault_kbps(e, PAGE_SIZE / 1024);
	info->ws_refault_kbps = oomx_episode_refault_kbps(e, PAGE_SIZE / 1024);
	info->episode_ms = div_u64(now - e->since_ns, NSEC_PER_MSEC);
	info->avail_kb = p->avail_pages << (PAGE_SHIFT - 10);
	info->swap_free_kb = p->swap_free_pages << (PAGE_SHIFT - 10);
	info->memcg = memcg;
	info->sel = sel;
	info->rules = &oomx_early_rules;
	info->grace_ms = grace;

	mm = victim ? get_task_mm(victim) : NULL;
	if (mm && oomx_mm_protected_sharer(victim, mm)) {
		mmput(mm);
		mm = NULL;
	}
	if (!mm) {
		info->outcome = OOMX_EO_NO_VICTIM;
		oomx_record_early(info);
		oomx_early_traced(info, sel);
		if (victim)
			put_task_struct(victim);
		oomx_early_reset(mw ? &mw->trig : &oomx_w.trig);
		goto out;
	}
	if (info->dry_run) {
		info->outcome = OOMX_EO_WOULD_KILL;
		oomx_record_early(info);
		oomx_early_traced(info, sel);
		pr_info("early: dry run: %s %s: would have sent SIGTERM to process %d (%s), policy=%s\n",
			oomx_early_verdict_name(verdict),
			oomx_early_evidence(info, mw), sel->best.pid,
			sel->best.comm, oomx_policy_name(sel->policy));
		oomx_count(OOMX_C_EARLY_WOULD_KILL, 1);
		mmput(mm);
		put_task_struct(victim);
		oomx_early_reset(mw ? &mw->trig : &oomx_w.trig);
		goto out;
	}
	mmgrab(mm);
	mmput(mm);
	oomx_w.task = victim;
	oomx_w.mm = mm;
	/* The trigger's cgroup, for the grace stage's verdicts and kill. */
	if (memcg)
		oomx_memcg_get(memcg);
	oomx_w.memcg = memcg;
	oomx_early_publish();
	info->outcome = OOMX_EO_TERM;
	oomx_record_early(info);
	oomx_early_traced(info, sel);
	oomx_rule_text(&oomx_early_rules, sel->best.rule, rule, sizeof(rule));
	pr_warn("early: %s %s: %s process %d (%s), %lu kB, oom_score_adj %d, policy=%s rule=%s\n",
		oomx_early_verdict_name(verdict), oomx_early_evidence(info, mw),
		grace ? "SIGTERM to" : "killing",
		info->victim.pid, info->victim.comm,
		info->victim.mem_kb, info->victim.adj,
		oomx_policy_name(sel->policy), rule);
	if (!grace) {
		oomx_early_kill(now);
		goto out;
	}
	oomx_early_signal(victim, mm, SIGTERM);
	trace_oomx_kill(info->seq, OOMX_TRIGGER_EARLY, info->victim.pid,
			info->victim.comm, SIGTERM);
	oomx_count(OOMX_C_EARLY_TERMS, 1);
	oomx_w.t_term_ns = now;
	oomx_w.stage = OOMX_ES_GRACE;
out:
	/* Its css reference is the tick's: nothing may read it later. */
	info->memcg = NULL;
}

static void oomx_early_act(enum oomx_early_verdict verdict,
			   const struct oomx_pressure *p, u64 now,
			   struct oomx_memcg_watch *mw)
{
	oomx_rule_ctx_begin(&oomx_early_rules);
	__oomx_early_act(verdict, p, now, mw);
	oomx_rule_ctx_end(&oomx_early_rules);
}

/* ---- memory cgroups ---- */

/* The watch entry of cgroup @id, if it has one. */
static struct oomx_memcg_watch *oomx_memcg_watch_of(u64 id)
{
	int i;

	for (i = 0; i < OOMX_MEMCG_WATCH; i++)
		if (oomx_mw.w[i].id == id)
			return &oomx_mw.w[i];
	return NULL;
}

/*
 * An entry for cgroup @id, which refaulted @refaults pages this tick: a
 * free one, else that of the cgroup that refaulted least (less than
 * @refaults) with no episode under way, so that cgroups refaulting
 * lightly all day never keep out one that drowns.  NULL if none.
 */
static struct oomx_memcg_watch *oomx_memcg_watch_claim(u64 id, u64 refaults)
{
	struct oomx_memcg_watch *w, *pick = NULL;
	int i;

	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		w = &oomx_mw.w[i];
		if (!w->id) {
			pick = w;
			break;
		}
		if (!w->trig.refault.since_ns && w->refaults < refaults &&
		    (!pick || w->refaults < pick->refaults))
			pick = w;
	}
	if (!pick)
		return NULL;
	memset(pick, 0, sizeof(*pick));
	pick->id = id;
	pick->refaults = refaults;
	return pick;
}

/*
 * Is @w's anonymous memory worth counting again at @now: while it
 * refaults in an episode under way, every tick; while it refaults with
 * room to spare, once a second (an episode starts at most a second
 * late; a cgroup streaming through its limit all day costs one walk a
 * second, not ten).
 */
static bool oomx_memcg_anon_due(const struct oomx_memcg_watch *w, u64 now)
{
	if (!w->memcg || !w->refaults)
		return false;
	return w->trig.refault.since_ns || !w->anon_ns ||
	       now - w->anon_ns >= NSEC_PER_SEC;
}

/*
 * Anonymous memory of the watched cgroups' processes (their
 * descendants' too) where it is due, in one walk under RCU: what their
 * reclaim cannot take without swap.  Pages shared by several processes
 * count in each, which only makes a cgroup look fuller; a vfork child
 * borrows its parent's mm and is left out.
 */
static void oomx_memcg_anon(u64 now)
{
	bool due[OOMX_MEMCG_WATCH], any = false;
	struct task_struct *p;
	int i;

	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		due[i] = oomx_memcg_anon_due(&oomx_mw.w[i], now);
		if (due[i]) {
			oomx_mw.w[i].anon = 0;
			oomx_mw.w[i].anon_ns = now;
			any = true;
		}
	}
	if (!any)
		return;
	rcu_read_lock();
	for_each_process(p) {
		struct mem_cgroup *memcg = mem_cgroup_from_task(p);
		struct oomx_mm_facts f = {};
		bool facts = false;

		if (!memcg || (p->flags & PF_KTHREAD))
			continue;
		for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
			struct oomx_memcg_watch *w = &oomx_mw.w[i];

			if (!due[i] || !mem_cgroup_is_descendant(memcg, w->memcg))
				continue;
			if (!facts) {
				facts = true;
				if (!oomx_task_mm_facts(p, false, &f) || f.vfork)
					break;
			}
			w->anon += f.anon;
		}
	}
	rcu_read_unlock();
}

/*
 * One tick of every memory cgroup that refaults: new refaults from the
 * telemetry slots, then each watched cgroup's limit, its anonymous
 * memory and its verdict.  A cgroup gone, without a limit, or calm with
 * nothing refaulting leaves the watch.  Each watched cgroup holds a css
 * reference until oomx_memcg_tick_end().  Returns the first that acts,
 * and sets *@busy while any has an episode under way.
 */
static struct oomx_memcg_watch *
oomx_memcg_tick(const struct oomx_early_cfg *machine, u64 now, bool *busy)
{
	struct oomx_early_cfg cfg = oomx_memcg_early_cfg(machine);
	struct oomx_memcg_watch *act = NULL;
	unsigned int i;

	*busy = false;
	/* The v2 hierarchy only: a slot's key names a cgroup there. */
	if (!READ_ONCE(oomx_early) || !oomx_hook_active(OOMX_HOOK_REFAULT) ||
	    !cgroup_subsys_on_dfl(memory_cgrp_subsys))
		return NULL;
	for (i = 0; i < OOMX_MEMCG_WATCH; i++)
		oomx_mw.w[i].refaults = 0;
	/* The tick's refaults of every slot, to the cgroups watched... */
	for (i = 0; i < OOMX_MEMCG_SLOTS; i++) {
		u64 rf, id = oomx_memcg_slot_refaults(i, &rf);
		struct oomx_memcg_watch *w;

		/* A slot freed or taken by another cgroup starts afresh. */
		if (id != oomx_mw.last_key[i])
			oomx_mw.last_refaults[i] = 0;
		oomx_mw.last_key[i] = id;
		oomx_mw.delta[i] = rf > oomx_mw.last_refaults[i] ?
				   rf - oomx_mw.last_refaults[i] : 0;
		oomx_mw.last_refaults[i] = rf;
		w = id ? oomx_memcg_watch_of(id) : NULL;
		if (w) {
			w->refaults += oomx_mw.delta[i];
			oomx_mw.delta[i] = 0;
		}
	}
	/* ... then the others that refaulted, into free or calmer entries. */
	for (i = 0; i < OOMX_MEMCG_SLOTS; i++) {
		struct oomx_memcg_watch *w;

		if (!oomx_mw.delta[i] || !oomx_mw.last_key[i])
			continue;
		w = oomx_memcg_watch_of(oomx_mw.last_key[i]);
		if (w)
			w->refaults += oomx_mw.delta[i];
		else
			oomx_memcg_watch_claim(oomx_mw.last_key[i],
					       oomx_mw.delta[i]);
	}
	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		struct oomx_memcg_watch *w = &oomx_mw.w[i];

		if (!w->id)
			continue;
		w->memcg = oomx_memcg_get_by_id(w->id);
		w->limit = w->memcg ? oomx_memcg_limit(w->memcg) : 0;
		if (!w->limit) {
			if (w->memcg)
				oomx_memcg_put(w->memcg);
			w->id = 0;
			w->memcg = NULL;
		}
	}
	oomx_memcg_anon(now);
	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		struct oomx_memcg_watch *w = &oomx_mw.w[i];

		if (!w->id)
			continue;
		oomx_memcg_pressure(&w->p, w->last_ns ? now - w->last_ns : 0,
				    w->refaults, w->limit, w->anon);
		w->last_ns = now;
		w->v = oomx_early_step(&w->trig, &cfg, &w->p, now);
		if (w->v == OOMX_EARLY_REFAULTING && !act)
			act = w;
		if (w->v != OOMX_EARLY_CALM)
			*busy = true;
	}
	return act;
}

/* The tick is over: drop the references; calm cgroups leave the watch. */
static void oomx_memcg_tick_end(void)
{
	int i;

	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		struct oomx_memcg_watch *w = &oomx_mw.w[i];

		if (w->memcg)
			oomx_memcg_put(w->memcg);
		w->memcg = NULL;
		if (w->id && w->v == OOMX_EARLY_CALM && !w->refaults)
			w->id = 0;
	}
}

/* The verdict behind the victim in flight: its cgroup's, or the machine's. */
static enum oomx_early_verdict oomx_flight_verdict(enum oomx_early_verdict v)
{
	const struct oomx_memcg_watch *w;

	if (!oomx_w.memcg)
		return v;
	w = oomx_memcg_watch_of(oomx_memcg_id(oomx_w.memcg));
	return w ? w->v : OOMX_EARLY_CALM;
}

/* What debugfs shows of the watcher: the last tick, under its lock. */
static struct {
	struct oomx_pressure p;
	enum oomx_early_verdict v;
	enum oomx_early_stage stage;
	unsigned int thrash_pct, floor_pct, ws_refault_kbps, refault_kbps;
	u64 thrash_ms, refault_ms, ticks;
	struct {
		u64 id, refault_ms;
		unsigned long limit_kb, room_kb;
		unsigned int refault_kbps;
		enum oomx_early_verdict v;
	} memcg[OOMX_MEMCG_WATCH];
} oomx_early_last;
static DEFINE_SPINLOCK(oomx_early_last_lock);

static u64 oomx_episode_ms(const struct oomx_episode *e, u64 now)
{
	return e->since_ns ? div_u64(now - e->since_ns, NSEC_PER_MSEC) : 0;
}

static void oomx_early_note(const struct oomx_pressure *p,
			    enum oomx_early_verdict v, u64 now)
{
	const struct oomx_episode *e = &oomx_w.trig.thrash;
	const struct oomx_episode *r = &oomx_w.trig.refault;
	int i;

	spin_lock(&oomx_early_last_lock);
	oomx_early_last.p = *p;
	oomx_early_last.v = v;
	oomx_early_last.stage = oomx_w.stage;
	oomx_early_last.thrash_pct = oomx_episode_stall_pct(e);
	oomx_early_last.ws_refault_kbps =
		oomx_episode_refault_kbps(e, PAGE_SIZE / 1024);
	oomx_early_last.thrash_ms = oomx_episode_ms(e, now);
	oomx_early_last.refault_kbps =
		oomx_episode_all_refault_kbps(r, PAGE_SIZE / 1024);
	oomx_early_last.refault_ms = oomx_episode_ms(r, now);
	oomx_early_last.floor_pct = oomx_episode_stall_pct(&oomx_w.trig.floor);
	for (i = 0; i < OOMX_MEMCG_WATCH; i++) {
		const struct oomx_memcg_watch *w = &oomx_mw.w[i];

		oomx_early_last.memcg[i].id = w->id;
		oomx_early_last.memcg[i].limit_kb = w->limit << (PAGE_SHIFT - 10);
		oomx_early_last.memcg[i].room_kb =
			w->p.avail_pages << (PAGE_SHIFT - 10);
		oomx_early_last.memcg[i].refault_kbps =
			oomx_episode_all_refault_kbps(&w->trig.refault,
						      PAGE_SIZE / 1024);
		oomx_early_last.memcg[i].refault_ms =
			oomx_episode_ms(&w->trig.refault, now);
		oomx_early_last.memcg[i].v = w->v;
	}
	oomx_early_last.ticks++;
	spin_unlock(&oomx_early_last_lock);
}

void oomx_early_show(struct seq_file *m)
{
	typeof(oomx_early_last) l;
	int i;

	spin_lock(&oomx_early_last_lock);
	l = oomx_early_last;
	spin_unlock(&oomx_early_last_lock);
	seq_printf(m, "watcher %s\nticks %llu\nverdict %s\n",
		   atomic_read(&oomx_early_idle) ? "asleep" : "awake",
		   l.ticks, oomx_early_verdict_name(l.v));
	seq_printf(m, "tick_ms %llu\ntick_stall_pct %llu\ntick_ws_refault_kb %llu\n",
		   div_u64(l.p.dt_ns, NSEC_PER_MSEC),
		   l.p.dt_ns ? div64_u64(min(l.p.stall_ns, l.p.dt_ns) * 100,
					 l.p.dt_ns) : 0,
		   l.p.ws_refaults * (PAGE_SIZE / 1024));
	seq_printf(m, "tick_refault_kb %llu\n",
		   l.p.refaults * (PAGE_SIZE / 1024));
	seq_printf(m, "thrash_ms %llu\nthrash_stall_pct %u\nthrash_ws_refault_kbps %u\n",
		   l.thrash_ms, l.thrash_pct, l.ws_refault_kbps);
	seq_printf(m, "refault_ms %llu\nrefault_kbps %u\nfloor_stall_pct %u\n",
		   l.refault_ms, l.refault_kbps, l.floor_pct);
	seq_printf(m, "avail_kb %lu\ntotal_kb %lu\nswap_free_kb %lu\nstalled_now %u\nvictim_stage %s\n",
		   l.p.avail_pages << (PAGE_SHIFT - 10),
		   l.p.total_pages << (PAGE_SHIFT - 10),
		   l.p.swap_free_pages << (PAGE_SHIFT - 10),
		   oomx_memstall_nr(),
		   l.stage == OOMX_ES_GRACE ? "grace" :
		   l.stage == OOMX_ES_KILLED ? "killed" : "none");
	/* Memory cgroups under watch, by cgroup id (their inode number). */
	for (i = 0; i < OOMX_MEMCG_WATCH; i++)
		if (l.memcg[i].id)
			seq_printf(m, "memcg %llu limit_kb %lu room_kb %lu refault_kbps %u refault_ms %llu verdict %s\n",
				   l.memcg[i].id, l.memcg[i].limit_kb,
				   l.memcg[i].room_kb, l.memcg[i].refault_kbps,
				   l.memcg[i].refault_ms,
				   oomx_early_verdict_name(l.memcg[i].v));
}

static void oomx_early_tick(void)
{
	struct oomx_early_cfg cfg = oomx_early_cfg_now();
	struct oomx_memcg_watch *mw;
	enum oomx_early_verdict v;
	struct oomx_pressure p;
	u64 now = oomx_now_ns();
	bool in_flight, busy;

	oomx_early_sample(&p, now);
	oomx_growth_tick(now);
	v = oomx_early_step(&oomx_w.trig, &cfg, &p, now);
	mw = oomx_memcg_tick(&cfg, now, &busy);
	oomx_w.calm_ticks = v == OOMX_EARLY_CALM && !busy &&
			    !oomx_memstall_nr() ? oomx_w.calm_ticks + 1 : 0;
	/*
	 * A victim in flight at the start of the tick, even one whose
	 * memory came back in it, holds this tick's verdict: that was
	 * reached on evidence from before, which the release just reset.
	 * The next victim needs sustain_ms of evidence from here on.
	 */
	in_flight = oomx_w.stage != OOMX_ES_NONE;
	if (!oomx_early_follow(oomx_flight_verdict(v), now) && !in_flight &&
	    READ_ONCE(oomx_early) && READ_ONCE(oomx_enabled)) {
		/* The machine's trigger first: it covers every cgroup. */
		if (v == OOMX_EARLY_THRASHING || v == OOMX_EARLY_REFAULTING ||
		    v == OOMX_EARLY_FLOOR)
			oomx_early_act(v, &p, now, NULL);
		else if (mw)
			oomx_early_act(mw->v, &mw->p, now, mw);
	}
	/* What debugfs shows: the evidence, and the stage the tick left. */
	oomx_early_note(&p, v, now);
	oomx_memcg_tick_end();
}

/* policy=growth and cgroup_first want a growth sample a second, calm or not. */
static bool oomx_growth_wanted(void)
{
	enum oomx_policy p = READ_ONCE(oomx_policy);

	return p == OOMX_POLICY_GROWTH || p == OOMX_POLICY_CGROUP_FIRST;
}

/* A policy write: the idle watcher looks again at whether to sample. */
void oomx_early_policy_changed(void)
{
	atomic_set(&oomx_early_poked, 1);
	wake_up_interruptible(&oomx_early_wait);
}

/*
 * Calm: sleep until the next memory stall kicks the watcher, waking
 * once a second only to take growth samples when the policy wants them.
 */
static void oomx_early_idle_wait(void)
{
	while (!kthread_should_stop() && !atomic_xchg(&oomx_early_kicked, 0)) {
		bool growth = oomx_growth_wanted();

		wait_event_interruptible_timeout(oomx_early_wait,
						 kthread_should_stop() ||
						 atomic_read(&oomx_early_kicked) ||
						 atomic_xchg(&oomx_early_poked, 0),
						 growth ?
						 msecs_to_jiffies(OOMX_GROWTH_PERIOD_MS) :
						 MAX_SCHEDULE_TIMEOUT);
		if (growth && oomx_growth_wanted())
			oomx_growth_tick(oomx_now_ns());
	}
}

static int oomx_early_fn(void *unused)
{
	int i;

	while (!kthread_should_stop()) {
		if (oomx_w.calm_ticks >= OOMX_IDLE_TICKS &&
		    oomx_w.stage == OOMX_ES_NONE) {
			atomic_set(&oomx_early_idle, 1);
			oomx_early_idle_wait();
			atomic_set(&oomx_early_idle, 0);
			oomx_w.calm_ticks = 0;
			/* A fresh baseline: the sleep is not a tick. */
			oomx_w.last_ns = 0;
			for (i = 0; i < OOMX_MEMCG_WATCH; i++)
				oomx_mw.w[i].last_ns = 0;
		} else {
			wait_event_interruptible_timeout(oomx_early_wait,
							 kthread_should_stop(),
							 msecs_to_jiffies(OOMX_TICK_MS));
		}
		if (!kthread_should_stop())
			oomx_early_tick();
	}
	return 0;
}

int oomx_early_start(void)
{
	struct task_struct *t;

	init_irq_work(&oomx_early_iw, oomx_early_iw_fn);
	/* Awake at first: it takes its baseline and then sleeps when calm. */
	atomic_set(&oomx_early_idle, 0);
	t = kthread_run(oomx_early_fn, NULL, "oomx_early");
	if (IS_ERR(t)) {
		pr_err("cannot start the early intervention thread: %ld\n",
		       PTR_ERR(t));
		return PTR_ERR(t);
	}
	oomx_early_thread = t;
	return 0;
}

/* After the probes are gone: no kick can come any more. */
void oomx_early_stop(void)
{
	if (!oomx_early_thread)
		return;
	kthread_stop(oomx_early_thread);
	oomx_early_thread = NULL;
	irq_work_sync(&oomx_early_iw);
	/* A victim in its grace stage keeps its SIGTERM, and nothing more. */
	oomx_early_release();
}
