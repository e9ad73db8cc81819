/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx internals shared by the kernel glue: oomx.c (parameters, trigger,
 * selection and kill), reaper.c (the reaper kthread), record.c (decision
 * records and debugfs) and reclaim_hooks.c (kprobes).
 */
#ifndef _OOMX_H
#define _OOMX_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/timekeeping.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/types.h>

#include "oomx_policy.h"

#define OOMX_VERSION	"0.1.0"

/*
 * oomx's clock: CLOCK_MONOTONIC read without the timekeeping seqlock, so
 * it is safe in kprobe handlers, which may run in NMI-like context (an
 * int3 not yet optimised into a jump).  All oomx timestamps use it, so
 * they can be subtracted from each other.
 */
static inline u64 oomx_now_ns(void)
{
	return ktime_get_mono_fast_ns();
}

/* ---- parameters (oomx.c); read with READ_ONCE() anywhere ---- */
extern bool oomx_enabled;
extern bool oomx_dry_run;
extern enum oomx_policy oomx_policy;
extern unsigned int oomx_reap_delay_ms;
extern unsigned int oomx_victim_timeout_ms;
extern unsigned int oomx_top_candidates;

/* ---- the OOM context seen by the out_of_memory probe (reclaim_hooks.c) ---- */
struct oomx_oc_snap {
	struct task_struct *task;	/* compared only, never dereferenced */
	gfp_t gfp_mask;
	int order;
	bool memcg;			/* oc->memcg != NULL */
	bool constrained;		/* oc->nodemask narrower than all nodes */
	u64 t_ns;
};

enum oomx_hook {
	OOMX_HOOK_OOM_ENTRY,	/* out_of_memory(): the OOM context */
	OOMX_HOOK_STOCK_KILL,	/* __oom_kill_process(): the stock victim */
	OOMX_HOOK_STOCK_SELECT,	/* oom_kill_process(): stock selection done */
	OOMX_HOOK_MEMCG_OOM,	/* mem_cgroup_out_of_memory(): memcg OOMs */
	OOMX_HOOK_DIRECT_RECLAIM,	/* try_to_free_pages() */
	OOMX_HOOK_MEMCG_RECLAIM,	/* try_to_free_mem_cgroup_pages() */
	OOMX_HOOK_ALLOC_SLOWPATH,	/* __alloc_pages_slowpath() */
	OOMX_HOOK_NR,
};

/* Reclaim telemetry, summed over CPUs (pages and nanoseconds). */
enum oomx_rstat {
	OOMX_RS_DIRECT,		/* direct reclaim, global */
	OOMX_RS_MEMCG,		/* reclaim against a memcg limit */
	OOMX_RS_ALLOC_STALL,	/* allocator slow path */
	OOMX_RS_NR,
};

struct oomx_reclaim_stat {
	u64 count, ns, reclaimed, requested;
};

struct oomx_reclaim_sums {
	struct oomx_reclaim_stat s[OOMX_RS_NR];
	u64 memcg_ooms;
	u64 global_ooms;
};

/* What the reclaim path did in the seconds before a decision. */
struct oomx_reclaim_window {
	u64 window_ns;
	struct oomx_reclaim_sums d;	/* deltas over the window */
};

void oomx_reclaim_sum(struct oomx_reclaim_sums *out);
void oomx_reclaim_sample(void);
void oomx_reclaim_window(struct oomx_reclaim_window *w);
void oomx_reclaim_show(struct seq_file *m);

int oomx_hooks_init(void);
void oomx_hooks_exit(void);
bool oomx_oc_current(struct oomx_oc_snap *snap);
void oomx_hooks_show(struct seq_file *m);

/* ---- decision records and counters (record.c) ---- */
struct oomx_rec_task {
	int pid;
	int uid;
	short adj;
	char comm[TASK_COMM_LEN];
	long points;
	unsigned long rss_kb;
	unsigned long swap_kb;
	unsigned long pgtables_kb;
};

enum oomx_reap_result {
	OOMX_REAP_NONE,		/* no kill, nothing to reap */
	OOMX_REAP_PENDING,	/* waiting for reap_delay_ms or the lock */
	OOMX_REAP_DONE,		/* oomx's reaper unmapped the memory */
	OOMX_REAP_EXITED,	/* the victim released it first */
	OOMX_REAP_FAILED,	/* lock never taken before the timeout */
	OOMX_REAP_SKIPPED,	/* not reapable: shared with init, notifiers */
	OOMX_REAP_UNLOAD,	/* oomx was unloaded before the end */
	OOMX_REAP_NR,
};

struct oomx_record {
	u64 seq;
	u64 t_trigger_ns;		/* ktime_get_ns() at out_of_memory() */
	bool memcg;
	gfp_t gfp_mask;
	int order;
	enum oomx_policy policy;
	enum oomx_defer action;		/* PROCEED = oomx killed */
	bool dry_run;
	bool killed;
	enum oomx_sel_state sel;
	unsigned long totalpages;
	unsigned int nr_seen, nr_eligible, nr_top, nr_sharers;
	struct oomx_rec_task victim;
	struct oomx_rec_task top[OOMX_TOP_MAX];
	struct oomx_reclaim_window reclaim;
	u64 scan_ns;			/* oomx's scan of all tasks */
	u64 stock_select_ns;		/* dry run: the stock killer's selection */
	u64 signal_ns;			/* trigger -> SIGKILL sent */
	u64 reaped_ns;			/* trigger -> reaper finished */
	u64 released_ns;		/* trigger -> memory back (reap or exit) */
	bool released;
	unsigned long reaped_kb;
	enum oomx_reap_result reap;
	bool fallback;
	int stock_pid;			/* the stock killer's choice, if seen */
};

enum oomx_counter {
	OOMX_C_EVENTS,		/* global OOM events seen by the notifier */
	OOMX_C_KILLS,
	OOMX_C_SHARER_KILLS,
	OOMX_C_REAPS,
	OOMX_C_REAP_FAILURES,
	OOMX_C_REAPED_KB,
	OOMX_C_EXITED_FIRST,
	OOMX_C_FALLBACKS,
	OOMX_C_DRY_RUN,
	OOMX_C_DRY_RUN_AGREE,
	OOMX_C_DRY_RUN_DISAGREE,
	OOMX_C_STOCK_KILLS,	/* kills by the stock killer, seen by probe */
	OOMX_C_NR,
};

extern atomic_long_t oomx_counters[OOMX_C_NR];
extern atomic_long_t oomx_defers[OOMX_DEFER_NR];

static inline void oomx_count(enum oomx_counter c, long n)
{
	atomic_long_add(n, &oomx_counters[c]);
}

struct oomx_record *oomx_record_begin(void);
void oomx_record_commit(struct oomx_record *r);
void oomx_record_update(u64 seq, void (*fn)(struct oomx_record *r, void *arg),
			void *arg);
void oomx_record_stock_kill(int tgid);		/* probe context */
void oomx_record_stock_select(u64 ns);		/* probe context */
void oomx_notifier_done(void);
int oomx_debugfs_init(void);
void oomx_debugfs_exit(void);
const char *oomx_reap_name(enum oomx_reap_result r);
void oomx_report_header(const struct oomx_record *r);
void oomx_report_kill(struct task_struct *victim, struct mm_struct *mm,
		      const struct oomx_record *r);

/* ---- reaper (reaper.c) ---- */
int oomx_reaper_start(void);
void oomx_reaper_stop(void);
void oomx_reaper_queue(struct task_struct *tsk, struct mm_struct *mm,
		       bool can_reap, u64 seq, u64 t_trigger_ns);
bool oomx_victim_in_flight(u64 *deadline_ns);
void oomx_victim_fallback(void);
bool oomx_handoff_pending(void);
void oomx_take_handoff(void);
void oomx_reaper_show(struct seq_file *m);

/* ---- kernel settings mirrored for the notifier (oomx.c) ---- */
void oomx_mirror_refresh(void);

#endif /* _OOMX_H */
