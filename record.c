// SPDX-License-Identifier: GPL-2.0
/*
 * oomx records: the ring of recent decisions, the counters, their debugfs
 * files, and the log lines every kill prints.
 *
 * The kill lines use the kernel's own wording with no module prefix, so
 * tools that parse "Out of memory: Killed process" keep working; oomx's
 * own lines say "oomx:" explicitly.
 */
#define pr_fmt(fmt) fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "compat.h"
#include "oomx.h"

#define OOMX_RECORDS	64	/* power of two */

atomic_long_t oomx_counters[OOMX_C_NR];
atomic_long_t oomx_defers[OOMX_DEFER_NR];

static struct oomx_record oomx_ring[OOMX_RECORDS];
static u64 oomx_next_seq = 1;	/* seq of the next record */
static DEFINE_SPINLOCK(oomx_ring_lock);	/* never taken in probe context */
static struct oomx_record oomx_scratch;	/* filled under oomx_scan_lock */

static struct dentry *oomx_dir;

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

static const char * const oomx_counter_names[OOMX_C_NR] = {
	[OOMX_C_EVENTS] = "oom_events",
	[OOMX_C_KILLS] = "kills",
	[OOMX_C_SHARER_KILLS] = "sharer_kills",
	[OOMX_C_REAPS] = "reaps",
	[OOMX_C_REAP_FAILURES] = "reap_failures",
	[OOMX_C_REAPED_KB] = "reaped_kb",
	[OOMX_C_EXITED_FIRST] = "exited_before_reap",
	[OOMX_C_FALLBACKS] = "fallbacks",
	[OOMX_C_DRY_RUN] = "dry_run_decisions",
	[OOMX_C_DRY_RUN_AGREE] = "dry_run_agree",
	[OOMX_C_DRY_RUN_DISAGREE] = "dry_run_disagree",
	[OOMX_C_STOCK_KILLS] = "stock_kills",
};

static const char * const oomx_reap_names[OOMX_REAP_NR] = {
	[OOMX_REAP_NONE] = "none",
	[OOMX_REAP_PENDING] = "pending",
	[OOMX_REAP_DONE] = "reaped",
	[OOMX_REAP_EXITED] = "exited",
	[OOMX_REAP_FAILED] = "failed",
	[OOMX_REAP_SKIPPED] = "skipped",
	[OOMX_REAP_UNLOAD] = "unload",
};

const char *oomx_reap_name(enum oomx_reap_result r)
{
	return r < OOMX_REAP_NR ? oomx_reap_names[r] : "unknown";
}

/*
 * A fresh record to fill, numbered with the seq its commit will take:
 * only oomx_handle() commits, under oomx_scan_lock, so nothing can take
 * that number first.  An aborted scan is not committed, so seq is dense.
 */
struct oomx_record *oomx_record_begin(void)
{
	memset(&oomx_scratch, 0, sizeof(oomx_scratch));
	oomx_scratch.seq = READ_ONCE(oomx_next_seq);
	return &oomx_scratch;
}

void oomx_record_commit(struct oomx_record *r)
{
	unsigned long flags;

	spin_lock_irqsave(&oomx_ring_lock, flags);
	WARN_ON_ONCE(r->seq != oomx_next_seq);
	r->seq = oomx_next_seq++;
	oomx_ring[r->seq & (OOMX_RECORDS - 1)] = *r;
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
}

/* Apply @fn to record @seq if it is still in the ring. */
void oomx_record_update(u64 seq, void (*fn)(struct oomx_record *r, void *arg),
			void *arg)
{
	struct oomx_record *r = &oomx_ring[seq & (OOMX_RECORDS - 1)];
	unsigned long flags;

	spin_lock_irqsave(&oomx_ring_lock, flags);
	if (r->seq == seq)
		fn(r, arg);
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
}

/*
 * The newest record, for the stock killer's probes.  They run in probe
 * context (possibly NMI-like: no locks), and need none: both they and
 * every commit run under oom_lock (the notifier, oom_kill_process() and
 * __oom_kill_process() are all inside out_of_memory()), so the newest
 * record cannot be replaced under them.  Readers copy it under the ring
 * lock and may see a field half a moment late, never a torn record.
 */
static struct oomx_record *oomx_newest_dry_run(void)
{
	u64 seq = READ_ONCE(oomx_next_seq) - 1;
	struct oomx_record *r = &oomx_ring[seq & (OOMX_RECORDS - 1)];

	if (!seq || READ_ONCE(r->seq) != seq || !r->dry_run ||
	    r->sel != OOMX_SEL_VICTIM)
		return NULL;
	return r;
}

/* The stock killer chose @tgid: did the dry-run decision agree? */
void oomx_record_stock_kill(int tgid)
{
	struct oomx_record *r = oomx_newest_dry_run();

	oomx_count(OOMX_C_STOCK_KILLS, 1);
	/* The first kill of the event is the choice; oom.group follows. */
	if (!r || READ_ONCE(r->stock_pid))
		return;
	WRITE_ONCE(r->stock_pid, tgid);
	oomx_count(r->victim.pid == tgid ? OOMX_C_DRY_RUN_AGREE :
		   OOMX_C_DRY_RUN_DISAGREE, 1);
}

/* The stock killer's selection for the newest dry-run event took @ns. */
void oomx_record_stock_select(u64 ns)
{
	struct oomx_record *r = oomx_newest_dry_run();

	if (r && !READ_ONCE(r->stock_select_ns))
		WRITE_ONCE(r->stock_select_ns, ns);
}

/* ------------------------------------------------------------------ */
/* Log lines                                                            */
/* ------------------------------------------------------------------ */

void oomx_report_header(const struct oomx_record *r)
{
	gfp_t gfp = r->gfp_mask;

	pr_warn("%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%d\n",
		current->comm, gfp, &gfp, r->order,
		current->signal->oom_score_adj);
}

/* @victim and @mm are pinned by the caller. */
void oomx_report_kill(struct task_struct *victim, struct mm_struct *mm,
		      const struct oomx_record *r)
{
	static char memcg_path[256];	/* under oomx_scan_lock */
	unsigned int uid = from_kuid(&init_user_ns, task_uid(victim));
	unsigned int i;

	rcu_read_lock();
	oomx_task_memcg_path(victim, memcg_path, sizeof(memcg_path));
	rcu_read_unlock();
	pr_info("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),global_oom,task_memcg=%s,task=%s,pid=%d,uid=%u\n",
		memcg_path, victim->comm, task_pid_nr(victim), uid);
	pr_err("Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%d\n",
	       task_pid_nr(victim), victim->comm, K(mm->total_vm),
	       K(get_mm_counter(mm, MM_ANONPAGES)),
	       K(get_mm_counter(mm, MM_FILEPAGES)),
	       K(get_mm_counter(mm, MM_SHMEMPAGES)),
	       uid, mm_pgtables_bytes(mm) >> 10,
	       victim->signal->oom_score_adj);
	pr_info(KBUILD_MODNAME ": decision %llu: killed %d (%s) policy=%s points=%ld rss=%lukB swap=%lukB pgtables=%lukB oom_score_adj=%d, best of %u eligible\n",
		r->seq, r->victim.pid, r->victim.comm,
		oomx_policy_name(r->policy), r->victim.points,
		r->victim.rss_kb, r->victim.swap_kb, r->victim.pgtables_kb,
		r->victim.adj, r->nr_eligible);
	for (i = 1; i < r->nr_top; i++)
		pr_info(KBUILD_MODNAME ": decision %llu: runner-up %u: %d (%s) points=%ld rss=%lukB oom_score_adj=%d\n",
			r->seq, i, r->top[i].pid, r->top[i].comm,
			r->top[i].points, r->top[i].rss_kb, r->top[i].adj);
}

/* ------------------------------------------------------------------ */
/* debugfs: /sys/kernel/debug/oomx/{decisions,stats,status}            */
/* ------------------------------------------------------------------ */

/* comm is user-controlled: keep the record one token per field. */
static void oomx_seq_comm(struct seq_file *m, const char *comm)
{
	char buf[TASK_COMM_LEN];
	int i;

	for (i = 0; i < TASK_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = (comm[i] > ' ' && comm[i] < 0x7f && comm[i] != ',' &&
			  comm[i] != ':' && comm[i] != '=') ? comm[i] : '_';
	buf[i] = '\0';
	seq_puts(m, i ? buf : "_");
}

static void oomx_seq_task(struct seq_file *m, const struct oomx_rec_task *t)
{
	seq_printf(m, "%d:", t->pid);
	oomx_seq_comm(m, t->comm);
	seq_printf(m, ":%ld:%lu:%lu:%lu:%d:%d", t->points, t->rss_kb,
		   t->swap_kb, t->pgtables_kb, t->adj, t->uid);
}

/* "-" when the step never happened: 0 is a valid duration on a coarse clock. */
static void oomx_seq_us(struct seq_file *m, const char *key, bool happened,
			u64 ns)
{
	if (happened)
		seq_printf(m, " %s=%llu", key, div_u64(ns, NSEC_PER_USEC));
	else
		seq_printf(m, " %s=-", key);
}

/* The reclaim path in the window before the decision. */
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

static void oomx_seq_record(struct seq_file *m, const struct oomx_record *r)
{
	unsigned int i;
	u64 t = r->t_trigger_ns;
	u32 rem;

	t = div_u64_rem(t, NSEC_PER_SEC, &rem);
	seq_printf(m, "seq=%llu time=%llu.%06u kind=%s gfp=%#x order=%d policy=%s action=%s dry_run=%d",
		   r->seq, t, rem / 1000, r->memcg ? "memcg" : "global",
		   r->gfp_mask, r->order, oomx_policy_name(r->policy),
		   r->action == OOMX_ACT_PROCEED ?
			(r->dry_run ? "choose" : "kill") :
			oomx_defer_name(r->action),
		   r->dry_run);
	seq_printf(m, " totalpages=%lu seen=%u eligible=%u victim=",
		   r->totalpages, r->nr_seen, r->nr_eligible);
	if (r->sel == OOMX_SEL_NONE)
		seq_puts(m, "-");
	else
		oomx_seq_task(m, &r->victim);
	seq_puts(m, " top=");
	for (i = 0; i < r->nr_top; i++) {
		if (i)
			seq_putc(m, ',');
		oomx_seq_task(m, &r->top[i]);
	}
	if (!r->nr_top)
		seq_puts(m, "-");
	seq_printf(m, " scan_ns=%llu sharers=%u", r->scan_ns, r->nr_sharers);
	oomx_seq_us(m, "signal_us", r->killed, r->signal_ns);
	oomx_seq_us(m, "reaped_us", r->reap == OOMX_REAP_DONE ||
		    r->reap == OOMX_REAP_UNLOAD, r->reaped_ns);
	oomx_seq_us(m, "released_us", r->released, r->released_ns);
	seq_printf(m, " reaped_kb=%lu reap=%s fallback=%d",
		   r->reaped_kb, oomx_reap_name(r->reap), r->fallback);
	oomx_seq_reclaim(m, &r->reclaim);
	if (r->dry_run && r->sel == OOMX_SEL_VICTIM) {
		if (r->stock_pid)
			seq_printf(m, " stock_pid=%d agree=%d", r->stock_pid,
				   r->stock_pid == r->victim.pid);
		else
			seq_puts(m, " stock_pid=- agree=-");
		if (r->stock_select_ns)
			seq_printf(m, " stock_select_ns=%llu", r->stock_select_ns);
		else
			seq_puts(m, " stock_select_ns=-");
	}
	seq_putc(m, '\n');
}

static int oomx_decisions_show(struct seq_file *m, void *v)
{
	static struct oomx_record snap;	/* under the seq_file's own mutex */
	static DEFINE_MUTEX(snap_lock);
	unsigned long flags;
	u64 seq, first, last;

	spin_lock_irqsave(&oomx_ring_lock, flags);
	last = oomx_next_seq - 1;
	spin_unlock_irqrestore(&oomx_ring_lock, flags);
	first = last >= OOMX_RECORDS ? last - OOMX_RECORDS + 1 : 1;

	mutex_lock(&snap_lock);
	for (seq = first; seq && seq <= last; seq++) {
		bool ok;

		spin_lock_irqsave(&oomx_ring_lock, flags);
		snap = oomx_ring[seq & (OOMX_RECORDS - 1)];
		spin_unlock_irqrestore(&oomx_ring_lock, flags);
		ok = snap.seq == seq;
		if (ok)
			oomx_seq_record(m, &snap);
	}
	mutex_unlock(&snap_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_decisions);

static int oomx_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < OOMX_C_NR; i++)
		seq_printf(m, "%s %ld\n", oomx_counter_names[i],
			   atomic_long_read(&oomx_counters[i]));
	for (i = 0; i < OOMX_DEFER_NR; i++)
		seq_printf(m, "trigger_%s %ld\n", oomx_defer_name(i),
			   atomic_long_read(&oomx_defers[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_stats);

static int oomx_status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version %s\n", OOMX_VERSION);
	seq_printf(m, "enabled %d\ndry_run %d\npolicy %s\n",
		   READ_ONCE(oomx_enabled), READ_ONCE(oomx_dry_run),
		   oomx_policy_name(READ_ONCE(oomx_policy)));
	oomx_hooks_show(m);
	oomx_reaper_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_status);

static int oomx_reclaim_file_show(struct seq_file *m, void *v)
{
	oomx_reclaim_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(oomx_reclaim_file);

int oomx_debugfs_init(void)
{
	oomx_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(oomx_dir)) {
		pr_err(KBUILD_MODNAME ": cannot create debugfs directory: %ld\n",
		       PTR_ERR(oomx_dir));
		return PTR_ERR(oomx_dir);
	}
	debugfs_create_file("decisions", 0400, oomx_dir, NULL,
			    &oomx_decisions_fops);
	debugfs_create_file("stats", 0400, oomx_dir, NULL, &oomx_stats_fops);
	debugfs_create_file("status", 0400, oomx_dir, NULL, &oomx_status_fops);
	debugfs_create_file("reclaim", 0400, oomx_dir, NULL,
			    &oomx_reclaim_file_fops);
	return 0;
}

void oomx_debugfs_exit(void)
{
	debugfs_remove_recursive(oomx_dir);
}
