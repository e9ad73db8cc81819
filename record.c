// SPDX-License-Identifier: GPL-2.0
/*
 * oomx records: one line per OOM event worth keeping (a ring of the last
 * 64), the counters, the line each decision adds to the kernel log, and
 * the debugfs files that show them.
 *
 * Records are written from process context only (the commit in
 * trigger.c, the reaper's updates), never from a probe handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "oomx.h"

#define CREATE_TRACE_POINTS
#include "oomx_trace.h"

#define OOMX_RECORDS	64

atomic_long_t oomx_counters[OOMX_C_NR];
atomic_long_t oomx_actions[OOMX_ACT_NR];

/* The ring: every field under oomx_ring_lock. */
static struct oomx_record oomx_ring[OOMX_RECORDS];
static bool oomx_ring_logged[OOMX_RECORDS];	/* its log line is out */
static unsigned int oomx_ring_next;	/* slot the next record takes */
static DEFINE_SPINLOCK(oomx_ring_lock);

/* Built by oomx_record_event(), whose only caller holds oomx_record_lock. */
static struct oomx_record oomx_scratch;
/* A record being logged, copied out of the ring, under oomx_log_lock. */
static struct oomx_record oomx_log_snap;
static DEFINE_MUTEX(oomx_log_lock);

static struct dentry *oomx_dir;

/* Serialises readers of the ring snapshot below (debugfs and sysfs). */
static DEFINE_MUTEX(oomx_snap_lock);
static struct oomx_record oomx_snap;	/* under oomx_snap_lock */

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

static const char * const oomx_counter_names[OOMX_C_NR] = {
	[OOMX_C_EVENTS_GLOBAL] = "oom_events_global",
	[OOMX_C_EVENTS_MEMCG] = "oom_events_memcg",
	[OOMX_C_EVENTS_LOST] = "events_not_recorded",
	[OOMX_C_DECISIONS] = "decisions",
	[OOMX_C_POLICY_CHANGED] = "policy_changed_victim",
	[OOMX_C_DRY_RUN_AGREE] = "dry_run_agree",
	[OOMX_C_DRY_RUN_DISAGREE] = "dry_run_disagree",
	[OOMX_C_SCORE_MISSES] = "score_misses",
	[OOMX_C_SECOND_KILLS_AVOIDED] = "second_kills_avoided",
	[OOMX_C_VICTIMS] = "victims",
	[OOMX_C_REAPS] = "reaps",
	[OOMX_C_REAPED_KB] = "reaped_kb",
	[OOMX_C_REAP_EXITED] = "reap_exited_first",
	[OOMX_C_REAP_KERNEL] = "reap_left_to_kernel",
	[OOMX_C_REAP_BUSY] = "reap_lock_busy",
	[OOMX_C_REAP_DROPPED] = "reap_queue_full",
	[OOMX_C_REAP_UNVERIFIED] = "reap_unverified",
	[OOMX_C_ROBUST_KEPT_PAGES] = "robust_kept_pages",
	[OOMX_C_EARLY_TERMS] = "early_terms",
	[OOMX_C_EARLY_TERM_EXITED] = "early_term_exited",
	[OOMX_C_EARLY_SPARED] = "early_spared",
	[OOMX_C_EARLY_KILLS] = "early_kills",
	[OOMX_C_EARLY_WOULD_KILL] = "early_would_kill",
	[OOMX_C_EARLY_HELD] = "early_held_in_flight",
};

const char *oomx_counter_name(enum oomx_counter c)
{
	return c < OOMX_C_NR ? oomx_counter_names[c] : "unknown";
}

static const char * const oomx_early_outcome_names[OOMX_EO_NR] = {
	[OOMX_EO_TERM] = "term",
	[OOMX_EO_TERM_EXITED] = "term_exited",
	[OOMX_EO_SPARED] = "spared",
	[OOMX_EO_OOM_FIRST] = "oom_first",
	[OOMX_EO_KILLED] = "killed",
	[OOMX_EO_WOULD_KILL] = "would_kill",
	[OOMX_EO_NO_VICTIM] = "no_victim",
};

static void oomx_rec_task(struct oomx_rec_task *r, const struct oomx_cand *c)
{
	r->pid = c->pid;
	r->uid = c->uid;
	r->adj = c->adj;
	r->points = c->points;
	r->classic = c->classic;
	r->mem_kb = K(c->mem);
	r->growth_kb = c->growth < 0 ? -(long)K(-c->growth) : (long)K(c->growth);
	r->group_kb = K(c->group_mem);
	r->group_id = c->group_id;
	r->exact = c->flags & OOMX_CAND_EXACT;
	memcpy(r->comm, c->comm, sizeof(r->comm));
}

/*
 * What growth, cgroup_first and precise finalists add to a record: the
 * number of exact counts and the path of the choice's cgroup, looked up
 * by id here in process context (cgroup_get_from_id(): kernfs's id
 * lock and RCU, no cgroup_mutex).
 */
static void oomx_rec_finalists(struct oomx_record *r, const struct oomx_sel *sel)
{
	struct cgroup *cgrp;

	r->nr_exact = sel->nr_exact;
	strscpy(r->group, "-", sizeof(r->group));
	if (!r->have_choice || !r->choice.group_id)
		return;
	cgrp = cgroup_get_from_id(r->choice.group_id);
	if (IS_ERR(cgrp))
		return;
	if (kernfs_path(cgrp->kn, r->group, sizeof(r->group)) < 0)
		strscpy(r->group, "-", sizeof(r->group));
	cgroup_put(cgrp);
}

/* The rule behind the choice (its text, while the scan still holds it). */
static void oomx_rec_rules(struct oomx_record *r, const struct oomx_sel *sel,
			   const struct oomx_rule_ctx *rc, int rule)
{
	oomx_rule_text(rc, rule, r->rule, sizeof(r->rule));
	memcpy(r->nr_ruled, sel->nr_ruled, sizeof(r->nr_ruled));
}

/* Events that repeat while the kernel waits are counted, not recorded. */
static bool oomx_action_recorded(enum oomx_action a)
{
	return a != OOMX_ACT_IN_FLIGHT && a != OOMX_ACT_NOFS;
}

static void oomx_log_decision(const struct oomx_record *r)
{
	const char *kind = r->memcg ? "memcg " : "global";
	const char *path = r->memcg ? r->memcg_path : "";

	switch (r->action) {
	case OOMX_ACT_KILL:
		/* Only a full scan knows the rest of the field. */
		if (!r->score_all)
			pr_info("event %llu (%s%s): killed %d (%s) by policy=%s: points=%ld mem=%lukB oom_score_adj=%d\n",
				r->seq, kind, path, r->victim.pid,
				r->victim.comm, oomx_policy_name(r->policy),
				r->victim.points, r->victim.mem_kb,
				r->victim.adj);
		else if (r->classic.pid == r->choice.pid)
			pr_info("event %llu (%s%s): killed %d (%s) by policy=%s: points=%ld mem=%lukB oom_score_adj=%d, best of %u eligible; classic agrees\n",
				r->seq, kind, path, r->victim.pid,
				r->victim.comm, oomx_policy_name(r->policy),
				r->choice.points, r->choice.mem_kb,
				r->choice.adj, r->nr_eligible);
		else
			pr_info("event %llu (%s%s): killed %d (%s) by policy=%s: points=%ld mem=%lukB oom_score_adj=%d, best of %u eligible; classic would have killed %d (%s)\n",
				r->seq, kind, path, r->victim.pid,
				r->victim.comm, oomx_policy_name(r->policy),
				r->choice.points, r->choice.mem_kb,
				r->choice.adj, r->nr_eligible, r->classic.pid,
				r->classic.comm);
		break;
	case OOMX_ACT_DRY_RUN:
		pr_info("event %llu (%s%s): dry run: the kernel killed %d (%s); policy=%s would have killed %d (%s): %s\n",
			r->seq, kind, path, r->victim.pid, r->victim.comm,
			oomx_policy_name(r->policy), r->choice.pid,
			r->choice.comm,
			r->choice.pid == r->victim.pid ? "agree" : "disagree");
		break;
	case OOMX_ACT_UNSCORED:
	case OOMX_ACT_ALLOCATING:
		pr_info("event %llu (%s%s): the kernel killed %d (%s) without oomx's policy (%s)\n",
			r->seq, kind, path, r->victim.pid, r->victim.comm,
			oomx_action_name(r->action));
		break;
	default:
		break;
	}
}

/* Into the ring; @logged: its log line is out already. */
static void oomx_ring_push(const struct oomx_record *r, bool logged)
{
	unsigned long flags;

	spin_lock_irqsave(&oomx_ring_lock, flags);
	oomx_ring[oomx_ring_next] = *r;
	oomx_ring_logged[oomx_ring_next] = logged;
	oomx_ring_next = (oomx_ring_next + 1) % OOMX_RECORDS;
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
}

/**
 * oomx_record_event - record a closed event and count what it came to
 * @ev: the event; only the commit reads it now
 *
 * Caller holds oomx_record_lock (trigger.c), which guards oomx_scratch.
 * The log line follows later, from oomx_records_log().
 */
void oomx_record_event(const struct oomx_event *ev)
{
	struct oomx_record *r = &oomx_scratch;
	const struct oomx_sel *sel = &ev->sel;
	unsigned int i;

	atomic_long_inc(&oomx_actions[ev->action]);
	if (ev->action == OOMX_ACT_KILL) {
		oomx_count(OOMX_C_DECISIONS, 1);
		/* Known only when every candidate was scored. */
		if (ev->score_all && sel->have_best &&
		    sel->best.pid != sel->best_classic.pid)
			oomx_count(OOMX_C_POLICY_CHANGED, 1);
	} else if (ev->action == OOMX_ACT_DRY_RUN && sel->have_best) {
		oomx_count(sel->best.pid == ev->chosen.pid ?
			   OOMX_C_DRY_RUN_AGREE : OOMX_C_DRY_RUN_DISAGREE, 1);
	}
	if (!oomx_action_recorded(ev->action))
		return;

	memset(r, 0, sizeof(*r));
	r->seq = ev->seq;
	r->t_ns = ev->t_start_ns;
	r->memcg = ev->memcg;
	if (ev->memcg)
		oomx_memcg_path(ev->memcg_ptr, r->memcg_path,
				sizeof(r->memcg_path));
	r->gfp_mask = ev->gfp_mask;
	r->order = ev->order;
	r->policy = sel->policy;
	r->dry_run = ev->dry_run;
	r->score_all = ev->score_all;
	r->action = ev->action;
	r->totalpages = sel->totalpages;
	r->notifier_freed = ev->notifier_freed;
	r->nr_seen = sel->nr_seen + ev->nr_passed;
	r->nr_passed = ev->nr_passed;
	r->scan_kernel = ev->scan_kernel && !ev->cand_armed;
	r->nr_eligible = sel->nr_eligible;
	r->nr_top = sel->nr_top;
	r->have_choice = sel->have_best;
	/*
	 * The classic choice is known when every candidate was scored, or
	 * when oomx's policy is classic and no rule moved anyone: then it
	 * is the kernel's.
	 */
	r->have_classic = ev->score_all ? sel->have_best :
			  sel->policy == OOMX_POLICY_CLASSIC && ev->reached_kill &&
			  !sel->nr_ruled[OOMX_RULE_PROTECT] &&
			  !sel->nr_ruled[OOMX_RULE_AVOID] &&
			  !sel->nr_ruled[OOMX_RULE_PREFER];
	if (ev->reached_kill) {
		/* The scan saw the task the kernel chose: take its parts. */
		const struct oomx_cand *v = &ev->chosen;

		if (sel->have_best && sel->best.pid == v->pid)
			v = &sel->best;
		else if (sel->have_best && sel->best_classic.pid == v->pid)
			v = &sel->best_classic;
		oomx_rec_task(&r->victim, v);
		r->victim.points = ev->chosen.points;
		/* Not rescored: the kernel's points are oom_badness()'s. */
		if (v == &ev->chosen && ev->chosen.points != LONG_MAX) {
			unsigned long mem;

			mem = oomx_mem_from_classic(ev->chosen.points,
						    ev->chosen.adj,
						    sel->totalpages);
			r->victim.mem_kb = K(mem);
		}
	}
	if (sel->have_best && (ev->score_all || !ev->reached_kill)) {
		oomx_rec_task(&r->choice, &sel->best);
	} else if (ev->reached_kill && !ev->dry_run) {
		/* oomx's choice is what the kernel chose: it scored by it. */
		r->choice = r->victim;
		r->have_choice = true;
	}
	if (r->have_classic && ev->score_all)
		oomx_rec_task(&r->classic, &sel->best_classic);
	else if (r->have_classic)
		r->classic = r->victim;
	for (i = 0; i < sel->nr_top; i++)
		oomx_rec_task(&r->top[i], &sel->top[i]);
	/* A candidate the kernel kept its own score for had no rule. */
	oomx_rec_rules(r, sel, &ev->rules,
		       sel->have_best && (ev->score_all || !ev->reached_kill ||
					  sel->best.pid == ev->chosen.pid) ?
		       sel->best.rule : OOMX_RULE_NONE);
	oomx_rec_finalists(r, sel);
	r->nr_victims = ev->nr_victims;
	memcpy(r->victims, ev->victims, sizeof(r->victims));
	if (ev->t_first_cand_ns && ev->t_decide_ns > ev->t_first_cand_ns)
		r->select_ns = ev->t_decide_ns - ev->t_first_cand_ns;
	if (ev->t_decide_ns)
		r->decide_ns = ev->t_decide_ns - ev->t_start_ns;
	if (ev->t_kill_ns)
		r->kill_ns = ev->t_kill_ns - ev->t_start_ns;
	r->reap = ev->nr_victims && !ev->dry_run ? OOMX_REAP_PENDING :
						    OOMX_REAP_NONE;
	oomx_reclaim_window(&r->reclaim, ev->t_start_ns, &ev->reclaim_at_start);
	oomx_ring_push(r, false);
}

/* Built by oomx_record_early(), whose only caller is the early watcher. */
static struct oomx_record oomx_early_scratch;

/**
 * oomx_record_early - record an early intervention (kind=early)
 * @info: what triggered it and its first outcome; its ->sel is the
 *	selection made.  Sets ->seq and ->victim.
 *
 * Called only by the early watcher thread (oomx_early_scratch is its).
 * early.c writes its own log lines.
 */
void oomx_record_early(struct oomx_early_info *info)
{
	struct oomx_record *r = &oomx_early_scratch;
	const struct oomx_sel *sel = info->sel;
	unsigned int i;

	info->seq = oomx_event_seq_next();
	memset(&info->victim, 0, sizeof(info->victim));
	if (sel->have_best)
		oomx_rec_task(&info->victim, &sel->best);
	memset(r, 0, sizeof(*r));
	r->seq = info->seq;
	r->t_ns = info->t_ns;
	r->early = true;
	r->policy = info->policy;
	r->dry_run = info->dry_run;
	r->totalpages = sel->totalpages;
	r->nr_seen = sel->nr_seen;
	r->nr_eligible = sel->nr_eligible;
	r->nr_top = sel->nr_top;
	r->have_choice = sel->have_best;
	r->choice = info->victim;
	r->have_classic = sel->have_best;
	if (sel->have_best)
		oomx_rec_task(&r->classic, &sel->best_classic);
	for (i = 0; i < sel->nr_top; i++)
		oomx_rec_task(&r->top[i], &sel->top[i]);
	oomx_rec_rules(r, sel, info->rules,
		       sel->have_best ? sel->best.rule : OOMX_RULE_NONE);
	oomx_rec_finalists(r, sel);
	if (info->outcome == OOMX_EO_TERM || info->outcome == OOMX_EO_KILLED) {
		r->victim = info->victim;
		r->nr_victims = 1;
		r->victims[0] = info->victim.pid;
	}
	if (info->memcg) {
		r->memcg = true;
		oomx_memcg_path(info->memcg, r->memcg_path,
				sizeof(r->memcg_path));
	}
	r->ei = *info;
	r->ei.sel = NULL;
	r->ei.rules = NULL;
	r->ei.memcg = NULL;
	oomx_ring_push(r, true);
}

struct oomx_early_update {
	enum oomx_early_outcome outcome;
	u64 after_ns;
};

static void oomx_apply_early(struct oomx_record *r, void *arg)
{
	const struct oomx_early_update *u = arg;

	r->ei.outcome = u->outcome;
	r->outcome_ns = u->after_ns;
	if (u->outcome == OOMX_EO_KILLED) {
		r->kill_ns = u->after_ns;
		r->reap = OOMX_REAP_PENDING;
	}
}

/* The outcome of early intervention @seq, @after_ns after its trigger. */
void oomx_record_early_update(u64 seq, enum oomx_early_outcome o,
			      u64 after_ns)
{
	struct oomx_early_update u = { .outcome = o, .after_ns = after_ns };

	oomx_record_update(seq, oomx_apply_early, &u);
}

/* The kernel log line of every record that has none yet, oldest first. */
void oomx_records_log(void)
{
	unsigned long flags;
	unsigned int i, pos;

	mutex_lock(&oomx_log_lock);
	spin_lock_irqsave(&oomx_ring_lock, flags);
	pos = oomx_ring_next;
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
	for (i = 0; i < OOMX_RECORDS; i++) {
		unsigned int slot = (pos + i) % OOMX_RECORDS;
		bool todo;

		spin_lock_irqsave(&oomx_ring_lock, flags);
		todo = oomx_ring[slot].seq && !oomx_ring_logged[slot];
		if (todo) {
			oomx_log_snap = oomx_ring[slot];
			oomx_ring_logged[slot] = true;
		}
		spin_unlock_irqrestore(&oomx_ring_lock, flags);
		if (todo)
			oomx_log_decision(&oomx_log_snap);
	}
	mutex_unlock(&oomx_log_lock);
}

/* Apply @fn to the record of event @seq, if it is still in the ring. */
void oomx_record_update(u64 seq, void (*fn)(struct oomx_record *r, void *arg),
			void *arg)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&oomx_ring_lock, flags);
	for (i = 0; i < OOMX_RECORDS; i++) {
		if (oomx_ring[i].seq == seq) {
			fn(&oomx_ring[i], arg);
			break;
		}
	}
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
}

/* ------------------------------------------------------------------ */
/* debugfs: /sys/kernel/debug/oomx/{decisions,stats,status,reclaim,early} */
/* ------------------------------------------------------------------ */

/* comm is user-controlled: keep the record one token per field. */
static void oomx_seq_comm(struct seq_file *m, const char *comm)
{
	char buf[OOMX_COMM_LEN];
	int i;

	for (i = 0; i < OOMX_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = (comm[i] > ' ' && comm[i] < 0x7f && comm[i] != ',' &&
			  comm[i] != ':' && comm[i] != '=') ? comm[i] : '_';
	buf[i] = '\0';
	seq_puts(m, i ? buf : "_");
}

static void oomx_seq_task(struct seq_file *m, const char *key,
			  const struct oomx_rec_task *t, bool valid)
{
	if (key)
		seq_printf(m, " %s=", key);
	if (!valid) {
		seq_putc(m, '-');
		return;
	}
	seq_printf(m, "%d:", t->pid);
	oomx_seq_comm(m, t->comm);
	seq_printf(m, ":%ld:%lu:%d:%u", t->points, t->mem_kb, t->adj, t->uid);
}

/* The choice's rule; how many eligible candidates each list named. */
static void oomx_seq_rules(struct seq_file *m, const struct oomx_record *r)
{
	seq_printf(m, " rule=%s protected=%u avoided=%u preferred=%u",
		   r->rule[0] ? r->rule : "-",
		   r->nr_ruled[OOMX_RULE_PROTECT], r->nr_ruled[OOMX_RULE_AVOID],
		   r->nr_ruled[OOMX_RULE_PREFER]);
}

/* "-" when the step never happened: 0 is a valid duration. */
static void oomx_seq_us(struct seq_file *m, const char *key, u64 ns)
{
	if (ns)
		seq_printf(m, " %s=%llu", key, div_u64(ns, NSEC_PER_USEC));
	else
		seq_printf(m, " %s=-", key);
}

static void oomx_seq_reclaim(struct seq_file *m,
			     const struct oomx_reclaim_window *w)
{
	const struct oomx_reclaim_stat *d = &w->d.s[OOMX_RS_DIRECT];
	const struct oomx_reclaim_stat *c = &w->d.s[OOMX_RS_MEMCG];
	const struct oomx_reclaim_stat *a = &w->d.s[OOMX_RS_ALLOC_STALL];

	seq_printf(m, " window_ms=%llu direct_reclaims=%llu direct_stall_ms=%llu direct_eff_pct=%llu memcg_reclaims=%llu memcg_stall_ms=%llu slowpath_allocs=%llu slowpath_ms=%llu global_ooms=%llu memcg_ooms=%llu",
		   div_u64(w->window_ns, NSEC_PER_MSEC), d->count,
		   div_u64(d->ns, NSEC_PER_MSEC),
		   d->requested ? div64_u64(d->reclaimed * 100, d->requested) : 0,
		   c->count, div_u64(c->ns, NSEC_PER_MSEC), a->count,
		   div_u64(a->ns, NSEC_PER_MSEC), w->d.global_ooms,
		   w->d.memcg_ooms);
}

/* The choice's growth and cgroup; how many candidates were counted exactly. */
static void oomx_seq_finalists(struct seq_file *m, const struct oomx_record *r)
{
	if (!r->have_choice) {
		seq_printf(m, " growth_kb=- group=- group_kb=- exact=%u",
			   r->nr_exact);
		return;
	}
	seq_printf(m, " growth_kb=%ld group=%s group_kb=%lu exact=%u",
		   r->choice.growth_kb, r->group, r->choice.group_kb,
		   r->nr_exact);
}

static void oomx_seq_top(struct seq_file *m, const struct oomx_record *r)
{
	unsigned int i;

	seq_puts(m, " top=");
	for (i = 0; i < r->nr_top; i++) {
		if (i)
			seq_putc(m, ',');
		oomx_seq_task(m, NULL, &r->top[i], true);
	}
	if (!r->nr_top)
		seq_putc(m, '-');
}

/* kind=early: what triggered it, whom it chose, what came of it. */
static void oomx_seq_early(struct seq_file *m, const struct oomx_record *r)
{
	const struct oomx_early_info *e = &r->ei;
	u32 rem;
	u64 t = div_u64_rem(r->t_ns, NSEC_PER_SEC, &rem);

	seq_printf(m, "seq=%llu time=%llu.%06u kind=early reason=%s memcg=%s policy=%s dry_run=%d action=%s",
		   r->seq, t, rem / 1000, oomx_early_verdict_name(e->why),
		   r->memcg ? r->memcg_path : "-",
		   oomx_policy_name(r->policy), r->dry_run,
		   e->outcome < OOMX_EO_NR ?
		   oomx_early_outcome_names[e->outcome] : "unknown");
	seq_printf(m, " stall_pct=%u refault_kbps=%u ws_refault_kbps=%u episode_ms=%llu avail_kb=%lu swap_free_kb=%lu grace_ms=%u",
		   e->stall_pct, e->refault_kbps, e->ws_refault_kbps,
		   e->episode_ms, e->avail_kb,
		   e->swap_free_kb, e->grace_ms);
	seq_printf(m, " totalpages=%lu seen=%u scored=%u", r->totalpages,
		   r->nr_seen, r->nr_eligible);
	oomx_seq_rules(m, r);
	oomx_seq_task(m, "victim", &r->victim, r->nr_victims);
	oomx_seq_task(m, "choice", &r->choice, r->have_choice);
	oomx_seq_task(m, "classic", &r->classic, r->have_classic);
	oomx_seq_finalists(m, r);
	oomx_seq_top(m, r);
	seq_printf(m, " victims=%d nr_victims=%u", r->nr_victims ?
		   r->victims[0] : 0, r->nr_victims);
	oomx_seq_us(m, "outcome_us", r->outcome_ns);
	oomx_seq_us(m, "kill_us", r->kill_ns);
	seq_printf(m, " reap=%s robust=%s kept_pages=%u",
		   oomx_reap_name(r->reap),
		   r->reap == OOMX_REAP_DONE ? oomx_robust_name(r->robust) : "-",
		   r->kept_pages);
	oomx_seq_us(m, "reap_start_us", r->reap_start_ns);
	oomx_seq_us(m, "released_us", r->released_ns);
	oomx_seq_us(m, "zap_us", r->zap_ns);
	seq_printf(m, " reaped_kb=%lu\n", r->reaped_kb);
}

static void oomx_seq_record(struct seq_file *m, const struct oomx_record *r)
{
	bool killed = r->action == OOMX_ACT_KILL ||
		      r->action == OOMX_ACT_DRY_RUN ||
		      r->action == OOMX_ACT_UNSCORED ||
		      r->action == OOMX_ACT_ALLOCATING;
	unsigned int i;
	u32 rem;
	u64 t = div_u64_rem(r->t_ns, NSEC_PER_SEC, &rem);

	if (r->early) {
		oomx_seq_early(m, r);
		return;
	}
	seq_printf(m, "seq=%llu time=%llu.%06u kind=%s memcg=%s gfp=%#x order=%d policy=%s dry_run=%d action=%s",
		   r->seq, t, rem / 1000, r->memcg ? "memcg" : "global",
		   r->memcg ? r->memcg_path : "-", r->gfp_mask, r->order,
		   oomx_policy_name(r->policy), r->dry_run,
		   oomx_action_name(r->action));
	seq_printf(m, " totalpages=%lu notifier_freed=%lu", r->totalpages,
		   r->notifier_freed);
	/* The kernel's scan alone: oomx did not count its candidates. */
	if (r->scan_kernel)
		seq_puts(m, " seen=- scored=- passed=-");
	else
		seq_printf(m, " seen=%u scored=%u passed=%u", r->nr_seen,
			   r->nr_eligible, r->nr_passed);
	oomx_seq_rules(m, r);
	oomx_seq_task(m, "victim", &r->victim, killed);
	oomx_seq_task(m, "choice", &r->choice, r->have_choice);
	oomx_seq_task(m, "classic", &r->classic, r->have_classic);
	oomx_seq_finalists(m, r);
	oomx_seq_top(m, r);
	seq_puts(m, " victims=");
	for (i = 0; i < min_t(unsigned int, r->nr_victims, OOMX_EVENT_VICTIMS); i++)
		seq_printf(m, "%s%d", i ? "," : "", r->victims[i]);
	if (!r->nr_victims)
		seq_putc(m, '-');
	seq_printf(m, " nr_victims=%u", r->nr_victims);
	oomx_seq_us(m, "select_us", r->select_ns);
	oomx_seq_us(m, "decide_us", r->decide_ns);
	oomx_seq_us(m, "kill_us", r->kill_ns);
	seq_printf(m, " reap=%s robust=%s kept_pages=%u",
		   oomx_reap_name(r->reap),
		   r->reap == OOMX_REAP_DONE ? oomx_robust_name(r->robust) : "-",
		   r->kept_pages);
	oomx_seq_us(m, "reap_start_us", r->reap_start_ns);
	oomx_seq_us(m, "released_us", r->released_ns);
	oomx_seq_us(m, "zap_us", r->zap_ns);
	seq_printf(m, " reaped_kb=%lu", r->reaped_kb);
	oomx_seq_reclaim(m, &r->reclaim);
	seq_putc(m, '\n');
}

static int oomx_decisions_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	unsigned int i, pos;

	mutex_lock(&oomx_snap_lock);
	spin_lock_irqsave(&oomx_ring_lock, flags);
	pos = oomx_ring_next;
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
	for (i = 0; i < OOMX_RECORDS; i++) {
		spin_lock_irqsave(&oomx_ring_lock, flags);
		oomx_snap = oomx_ring[(pos + i) % OOMX_RECORDS];
		spin_unlock_irqrestore(&oomx_ring_lock, flags);
		if (oomx_snap.seq)
			oomx_seq_record(m, &oomx_snap);
	}
	mutex_unlock(&oomx_snap_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_decisions);

/**
 * oomx_record_last - the newest record of one kind, as debugfs shows it
 * @buf: where to write it (a sysfs page)
 * @size: its size
 * @early: an early intervention's record, or else an OOM's
 *
 * Returns the length written, 0 if there is no such record yet, or
 * -EFBIG if the record does not fit (it always does in a page).
 */
ssize_t oomx_record_last(char *buf, size_t size, bool early)
{
	struct seq_file m = { .buf = buf, .size = size };
	unsigned long flags;
	unsigned int i, pos;
	bool found = false;

	mutex_lock(&oomx_snap_lock);
	spin_lock_irqsave(&oomx_ring_lock, flags);
	pos = oomx_ring_next;
	for (i = 1; i <= OOMX_RECORDS && !found; i++) {
		const struct oomx_record *r =
			&oomx_ring[(pos + OOMX_RECORDS - i) % OOMX_RECORDS];

		if (r->seq && r->early == early) {
			oomx_snap = *r;
			found = true;
		}
	}
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
	if (found)
		oomx_seq_record(&m, &oomx_snap);
	mutex_unlock(&oomx_snap_lock);
	return seq_has_overflowed(&m) ? -EFBIG : m.count;
}

static int oomx_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < OOMX_C_NR; i++)
		seq_printf(m, "%s %ld\n", oomx_counter_names[i],
			   atomic_long_read(&oomx_counters[i]));
	for (i = 0; i < OOMX_ACT_NR; i++)
		seq_printf(m, "action_%s %ld\n", oomx_action_name(i),
			   atomic_long_read(&oomx_actions[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_stats);

static int oomx_status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version %s\n", OOMX_VERSION);
	seq_printf(m, "enabled %d\ndry_run %d\npolicy %s\n",
		   READ_ONCE(oomx_enabled), READ_ONCE(oomx_dry_run),
		   oomx_policy_name(READ_ONCE(oomx_policy)));
	seq_printf(m, "selection %s\n", oomx_selection_ready() ?
		   "oomx" : "kernel (a probe point oomx needs is missing)");
	oomx_probes_show(m);
	oomx_reaper_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_status);

static int oomx_early_file_show(struct seq_file *m, void *v)
{
	oomx_early_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_early_file);

static int oomx_reclaim_file_show(struct seq_file *m, void *v)
{
	oomx_reclaim_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_reclaim_file);

int oomx_records_init(void)
{
	/* debugfs is optional: without it oomx works, only unseen here. */
	oomx_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(oomx_dir)) {
		pr_warn("no debugfs (%ld): decision records are not shown there\n",
			PTR_ERR(oomx_dir));
		return 0;
	}
	debugfs_create_file("decisions", 0400, oomx_dir, NULL,
			    &oomx_decisions_fops);
	debugfs_create_file("stats", 0400, oomx_dir, NULL, &oomx_stats_fops);
	debugfs_create_file("status", 0400, oomx_dir, NULL, &oomx_status_fops);
	debugfs_create_file("reclaim", 0400, oomx_dir, NULL,
			    &oomx_reclaim_file_fops);
	debugfs_create_file("early", 0400, oomx_dir, NULL,
			    &oomx_early_file_fops);
	return 0;
}

void oomx_records_exit(void)
{
	debugfs_remove_recursive(oomx_dir);
}
