/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx internals shared by the kernel glue.  One OOM event flows through
 * these files in this order, as one struct oomx_event:
 *
 *   trigger.c  out_of_memory() entry/return, the OOM notifier: the event
 *   select.c   oom_badness(): every candidate through oomx's policy;
 *              oom_kill_process(): the choice the kernel now executes
 *   kill.c     the oom:mark_victim tracepoint: each victim of the kill
 *   reaper.c   the reaper kthread: the victim's memory back, early
 *   record.c   the decision record, counters, log lines, debugfs,
 *              and oomx's trace events (include/oomx_trace.h)
 *
 * Before any OOM, early.c acts on its own when reclaim_hooks.c's evidence
 * shows the machine thrashing: SIGTERM, then SIGKILL and reaper.c.
 *
 * Around them: oomx.c (module init/exit), params.c (parameters),
 * probes.c (the table of probe points), reclaim_hooks.c (reclaim
 * telemetry and memory stalls), policy.c (the pure policy and triggers),
 * sysfs.c (/sys/kernel/oomx: counters and the last records).
 */
#ifndef _OOMX_H
#define _OOMX_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>
#include <linux/types.h>

#include "oomx_policy.h"

/* From debian/changelog, through Kbuild (kbuild/version.mk). */
#ifndef OOMX_VERSION
#error "OOMX_VERSION is not defined: build oomx with its Kbuild"
#endif

struct mem_cgroup;
struct mm_struct;

/*
 * oomx's clock: CLOCK_MONOTONIC read without the timekeeping seqlock, so
 * it is safe in probe handlers, which may run in NMI-like context (arm64
 * kprobes are BRK exceptions).  All oomx timestamps use it.
 */
static inline u64 oomx_now_ns(void)
{
	return ktime_get_mono_fast_ns();
}

/* ---- parameters (params.c); read with READ_ONCE() anywhere ---- */
extern bool oomx_enabled;
extern bool oomx_dry_run;
extern enum oomx_policy oomx_policy;
extern unsigned int oomx_reap_delay_ms;
extern unsigned int oomx_reap_verified_delay_ms;
extern unsigned int oomx_top_candidates;
extern bool oomx_score_all;
extern bool oomx_early;
extern unsigned int oomx_early_stall_pct;
extern unsigned int oomx_early_sustain_ms;
extern unsigned int oomx_early_refault_kbps;
extern unsigned int oomx_early_avail_floor_pct;
extern unsigned int oomx_early_refault_avail_pct;
extern unsigned int oomx_early_refault_pct;
extern unsigned int oomx_early_swap_floor_pct;
extern unsigned int oomx_term_grace_ms;

/* oomx's workqueue (oomx.c): records and sampling; has a rescuer. */
extern struct workqueue_struct *oomx_wq;

int oomx_params_check(void);
void oomx_params_live(bool live);
bool oomx_hook_disabled_by_param(const char *symbol);

/*
 * The operator's rules as published (params.c): replaced whole on every
 * write to protect=, avoid= or prefer=, never changed in place.  Whoever
 * uses a set holds a reference (an OOM event from open to commit, the
 * early watcher for one scan); the last put frees it after an RCU grace
 * period, since oomx_rules_get() takes its reference under RCU.
 */
struct oomx_rules_ref {
	refcount_t ref;
	struct rcu_head rcu;
	bool task_rules;		/* some comm: or uid: selector */
	bool cgroup_rules;		/* some cgroup: selector */
	struct oomx_rule_filter filter;	/* of r's comm: and uid: */
	struct oomx_rules r;
};

/* "prefer:cgroup:" and a pattern */
#define OOMX_RULE_TEXT_LEN	(16 + OOMX_RULE_PAT_MAX)

struct oomx_rules_ref *oomx_rules_get(void);
void oomx_rules_put(struct oomx_rules_ref *rr);
void oomx_rules_exit(void);

/*
 * One scan's view of the rules (select.c): the set it holds, and the
 * cgroups whose verdict it has worked out (a cgroup's path is the one
 * costly part of matching; its id is never reused).  Owned by the scan:
 * an OOM event's, written only by the OOMing task, or the watcher's.
 */
#define OOMX_CG_CACHE		16
#define OOMX_CG_PATH_LEN	512

struct oomx_rule_ctx {
	struct oomx_rules_ref *rr;	/* a reference, or NULL: no rules */
	struct {
		u64 id;			/* cgroup id; 0: empty */
		int rule;
	} cg[OOMX_CG_CACHE];
	char path[OOMX_CG_PATH_LEN];
};

void oomx_rule_ctx_begin(struct oomx_rule_ctx *rc);
void oomx_rule_ctx_end(struct oomx_rule_ctx *rc);
int oomx_task_rule(struct oomx_rule_ctx *rc, struct task_struct *p);
void oomx_rule_text(const struct oomx_rule_ctx *rc, int rule, char *buf,
		    size_t len);

/* ---- the probe table (probes.c) ---- */
/* In arming order: out_of_memory(), the gate, last (and disarmed first). */
enum oomx_hook {
	OOMX_HOOK_KSWAPD_WAKE,	/* tracepoint vmscan:mm_vmscan_kswapd_wake */
	OOMX_HOOK_MEMSTALL_ENTER,	/* psi_memstall_enter(): stalls begin */
	OOMX_HOOK_MEMSTALL_LEAVE,	/* psi_memstall_leave(): ... and end */
	OOMX_HOOK_DIRECT_RECLAIM,	/* try_to_free_pages() */
	OOMX_HOOK_MEMCG_RECLAIM,	/* try_to_free_mem_cgroup_pages() */
	OOMX_HOOK_REFAULT,	/* workingset_refault(): refaults per memcg */
	OOMX_HOOK_ALLOC_SLOWPATH,	/* __alloc_pages_slowpath() */
	OOMX_HOOK_MEMCG_OOM,	/* mem_cgroup_out_of_memory(): telemetry */
	OOMX_HOOK_VICTIM,	/* tracepoint oom:mark_victim: victims */
	OOMX_HOOK_DECISION,	/* oom_kill_process(): the kernel's choice */
	OOMX_HOOK_CANDIDATE,	/* oom_badness(): oomx's policy per candidate */
	OOMX_HOOK_NOTIFIER,	/* the OOM notifier chain: global prepare */
	OOMX_HOOK_OOM,		/* out_of_memory(): the event */
	OOMX_HOOK_NR,
};

int oomx_probes_init(void);
void oomx_probes_exit(void);
int oomx_probes_arm(void);
void oomx_probes_disarm(void);
void oomx_probes_want(enum oomx_hook i, bool want, bool live);
bool oomx_hook_active(enum oomx_hook h);
bool oomx_hook_known(const char *symbol);
unsigned long oomx_hook_missed(enum oomx_hook h);
bool oomx_selection_ready(void);
void oomx_probes_show(struct seq_file *m);

/* ---- reclaim telemetry (reclaim_hooks.c) ---- */
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

/* What the reclaim path did in the seconds before an event. */
struct oomx_reclaim_window {
	u64 window_ns;
	struct oomx_reclaim_sums d;	/* deltas over the window */
};

void oomx_reclaim_sum(struct oomx_reclaim_sums *out);
void oomx_reclaim_count_oom(bool memcg);
void oomx_reclaim_sample(void);
void oomx_reclaim_window(struct oomx_reclaim_window *w, u64 at_ns,
			 const struct oomx_reclaim_sums *at);
void oomx_reclaim_show(struct seq_file *m);
void oomx_telemetry_start(void);
void oomx_telemetry_stop(void);
int oomx_memcg_oom_pre(struct kprobe *kp, struct pt_regs *regs);
int oomx_refault_pre(struct kprobe *kp, struct pt_regs *regs);
/* Per-memcg telemetry slots, and how far up a refault is counted. */
#define OOMX_MEMCG_SLOTS	256
#define OOMX_MEMCG_DEPTH	8
u64 oomx_memcg_slot_refaults(unsigned int i, u64 *refaults);
int oomx_direct_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_direct_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_memcg_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_memcg_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_slow_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_slow_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
#define OOMX_RECLAIM_DATA_SIZE	(3 * sizeof(u64))
void oomx_kswapd_wake_probe(void *data, int nid, int zid, int order);
int oomx_memstall_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_memstall_enter_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
int oomx_memstall_leave_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
#define OOMX_MEMSTALL_DATA_SIZE	sizeof(bool)
u64 oomx_memstall_some_ns(u64 now);
unsigned int oomx_memstall_nr(void);

/* ---- the OOM event ---- */
#define OOMX_EVENT_VICTIMS	8

enum oomx_event_state {
	OOMX_EV_FREE,
	OOMX_EV_OPEN,		/* inside out_of_memory(): the OOM task writes */
	OOMX_EV_CLOSED,		/* returned: waiting to be recorded */
};

/*
 * One out_of_memory() call.  Between open and close only the task that
 * holds oom_lock (every caller of out_of_memory() does) writes it, from
 * probe handlers running in that task; after close, only the commit
 * reads it.  Nothing here is ever read while another task may write it.
 */
struct oomx_event {
	atomic_t state;			/* enum oomx_event_state */
	/* trigger (trigger.c) */
	u64 seq;
	struct task_struct *task;	/* the OOMing task: compared only */
	pid_t pid;			/* ... and its pid */
	u64 t_start_ns;
	bool memcg;
	struct mem_cgroup *memcg_ptr;	/* css reference held until commit */
	u64 memcg_id;
	gfp_t gfp_mask;
	int order;
	bool dry_run;
	bool cand_armed;		/* the candidate probe, at open */
	bool scan_kernel;		/* its configuration: the kernel's scan is oomx's */
	unsigned long missed_at_start;	/* of the candidate probe */
	struct oomx_reclaim_sums reclaim_at_start;
	unsigned long notifier_freed;	/* prepare: what notifiers freed */
	/* candidates (select.c) */
	bool score_all;			/* every candidate through the policy */
	struct oomx_rule_ctx rules;	/* from open to commit */
	unsigned int nr_passed;		/* left at the kernel's score */
	struct oomx_sel sel;
	u64 t_first_cand_ns;
	/* decision (select.c) */
	bool reached_kill;
	bool kill_allocating;
	bool redirected;		/* handed the kernel a victim in flight */
	u64 t_decide_ns;
	struct oomx_cand chosen;	/* what the kernel is killing */
	/* kill (kill.c) */
	bool current_marked;
	u64 t_kill_ns;
	unsigned int nr_victims;
	int victims[OOMX_EVENT_VICTIMS];
	/* close (trigger.c) */
	bool progress;
	bool unfinished;		/* never saw out_of_memory() return */
	bool scored_all;
	u64 t_end_ns;
	enum oomx_action action;
};

/* trigger.c */
void oomx_events_init(void);
void oomx_events_exit(void);
struct oomx_event *oomx_event_current(void);
u64 oomx_events_closed_seq(void);
u64 oomx_event_seq_next(void);
bool oomx_oom_open(void);
void oomx_events_record(void);
int oomx_oom_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_oom_return(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_oom_notify(struct notifier_block *nb, unsigned long action,
		    void *data);
#define OOMX_OOM_DATA_SIZE	sizeof(void *)

/* select.c */
int oomx_cand_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_cand_return(struct kretprobe_instance *ri, struct pt_regs *regs);
int oomx_decision_pre(struct kprobe *kp, struct pt_regs *regs);
void oomx_cand_identity(struct oomx_cand *c, const void *task);
struct oomx_mm_facts {
	unsigned long mem;	/* rss + swap entries + page tables, pages */
	unsigned long anon;	/* resident anonymous pages */
	bool reaped;		/* MMF_OOM_SKIP */
	bool vfork;		/* the thread with the mm is in vfork() */
};

bool oomx_task_mm_facts(struct task_struct *p, bool exact,
			struct oomx_mm_facts *f);
void oomx_cand_context(struct oomx_cand *c, struct task_struct *p,
		       enum oomx_policy policy, struct mem_cgroup *domain);
void oomx_cand_finalist(struct oomx_sel *sel, struct oomx_cand *c,
			struct task_struct *p);

/* growth.c: process and cgroup growth, sampled by the early watcher */
#define OOMX_GROWTH_PERIOD_MS	1000
void oomx_early_policy_changed(void);
void oomx_growth_tick(u64 now);
void oomx_growth_lookup(struct oomx_cand *c, struct mem_cgroup *unit, u64 now);
long oomx_growth_of(pid_t tgid, u64 now);
unsigned long oomx_unit_score(struct mem_cgroup *unit, u64 now);
void oomx_growth_exit(void);
#define OOMX_CAND_DATA_SIZE	(3 * sizeof(void *) + sizeof(long) + 2 * sizeof(u64))

/* kill.c */
void oomx_victim_probe(void *data, struct task_struct *task, uid_t uid);

/* ---- reaper (reaper.c) ---- */
enum oomx_reap_result {
	OOMX_REAP_NONE,		/* no victim to reap */
	OOMX_REAP_PENDING,	/* queued */
	OOMX_REAP_DONE,		/* oomx's reaper unmapped the memory */
	OOMX_REAP_EXITED,	/* released first (exit, or the stock reaper) */
	OOMX_REAP_KERNEL,	/* left to the kernel's reaper: mmu notifiers */
	OOMX_REAP_BUSY,		/* its mmap lock was never free */
	OOMX_REAP_DROPPED,	/* oomx's queue was full: the kernel's reaper */
	OOMX_REAP_UNLOAD,	/* oomx was unloaded first: the kernel's reaper */
	OOMX_REAP_NR,
};

int oomx_reaper_start(void);
void oomx_reaper_stop(void);
bool oomx_reaper_enqueue(struct task_struct *tsk, struct mm_struct *mm,
			 u64 seq, u64 t_kill_ns);
bool oomx_reaper_enqueue_early(struct task_struct *tsk, struct mm_struct *mm,
			       u64 seq, u64 t_kill_ns);
struct task_struct *oomx_inflight_victim(struct mem_cgroup *oom_memcg);
int oomx_put_reserve(void);
void oomx_put_later(int slot, struct task_struct *tsk);
void oomx_put_unreserve(int slot);
void oomx_reaper_kick(void);
void oomx_reaper_show(struct seq_file *m);
const char *oomx_reap_name(enum oomx_reap_result r);

/* ---- decision records and counters (record.c) ---- */
struct oomx_rec_task {
	int pid;
	u32 uid;
	short adj;
	char comm[OOMX_COMM_LEN];
	long points;
	long classic;
	unsigned long mem_kb;
	long growth_kb;			/* gained over the growth window */
	unsigned long group_kb;		/* its cgroup's score (cgroup_first) */
	u64 group_id;
	bool exact;			/* memory from exact counter sums */
};

#define OOMX_PATH_LEN	128

/* An early intervention (early.c), as its record keeps it. */
enum oomx_early_outcome {
	OOMX_EO_TERM,		/* SIGTERM sent, grace running */
	OOMX_EO_TERM_EXITED,	/* ... and it exited */
	OOMX_EO_SPARED,		/* ... pressure gone: spared */
	OOMX_EO_OOM_FIRST,	/* ... an OOM kill came first */
	OOMX_EO_KILLED,		/* SIGKILL sent, reaper queued */
	OOMX_EO_WOULD_KILL,	/* dry_run */
	OOMX_EO_NO_VICTIM,	/* nothing oomx may kill */
	OOMX_EO_NR,
};

struct oomx_early_info {
	u64 seq;			/* its record, set by oomx_record_early() */
	u64 t_ns;
	enum oomx_early_verdict why;
	enum oomx_early_outcome outcome;
	enum oomx_policy policy;
	bool dry_run;
	unsigned int stall_pct, grace_ms;
	unsigned int refault_kbps;	/* every refault over the episode */
	unsigned int ws_refault_kbps;	/* ... of working-set pages */
	u64 episode_ms;
	unsigned long avail_kb, swap_free_kb;
	/* its cgroup, NULL for the machine: pinned only while acted on */
	struct mem_cgroup *memcg;
	const struct oomx_sel *sel;	/* while the record is made */
	const struct oomx_rule_ctx *rules;	/* ... and the scan's rules */
	struct oomx_rec_task victim;	/* set by oomx_record_early() */
};

struct oomx_record {
	u64 seq;
	u64 t_ns;			/* out_of_memory() entered */
	bool memcg;
	char memcg_path[OOMX_PATH_LEN];
	gfp_t gfp_mask;
	int order;
	enum oomx_policy policy;
	bool dry_run;
	enum oomx_action action;
	unsigned long totalpages;
	unsigned long notifier_freed;
	unsigned int nr_seen, nr_eligible, nr_passed, nr_top;
	bool scan_kernel;		/* oomx saw no candidate: none needed it */
	bool score_all;			/* every candidate scored */
	bool have_choice;
	bool have_classic;
	char rule[OOMX_RULE_TEXT_LEN];	/* the rule behind the choice, or - */
	unsigned int nr_ruled[OOMX_RULE_LISTS];
	unsigned int nr_exact;		/* finalists counted exactly */
	char group[OOMX_PATH_LEN];	/* the choice's cgroup (cgroup_first) */
	struct oomx_rec_task victim;	/* what the kernel killed */
	struct oomx_rec_task choice;	/* oomx's policy */
	struct oomx_rec_task classic;	/* the stock killer's policy */
	struct oomx_rec_task top[OOMX_TOP_MAX];
	unsigned int nr_victims;
	int victims[OOMX_EVENT_VICTIMS];
	u64 select_ns;			/* first candidate -> the choice */
	u64 decide_ns;			/* event -> the choice */
	u64 kill_ns;			/* event -> first victim marked */
	/* filled in by the reaper, for the event's first victim */
	enum oomx_reap_result reap;
	enum oomx_robust robust;
	unsigned int kept_pages;
	u64 reap_start_ns;		/* event -> oomx's reap began */
	u64 released_ns;		/* event -> memory back */
	u64 zap_ns;			/* time spent unmapping */
	unsigned long reaped_kb;
	struct oomx_reclaim_window reclaim;
	/* early intervention (kind=early) */
	bool early;
	struct oomx_early_info ei;
	u64 outcome_ns;			/* trigger -> its outcome */
};

enum oomx_counter {
	OOMX_C_EVENTS_GLOBAL,	/* out_of_memory() calls, global */
	OOMX_C_EVENTS_MEMCG,	/* ... for a memory cgroup */
	OOMX_C_EVENTS_LOST,	/* no free event slot: not recorded */
	OOMX_C_DECISIONS,	/* kills chosen through oomx's policy */
	OOMX_C_POLICY_CHANGED,	/* ... where classic would have differed */
	OOMX_C_DRY_RUN_AGREE,
	OOMX_C_DRY_RUN_DISAGREE,
	OOMX_C_SCORE_MISSES,	/* candidates the kernel scored without oomx */
	OOMX_C_SECOND_KILLS_AVOIDED,	/* kills of a second task while one was in flight */
	OOMX_C_VICTIMS,		/* tasks marked OOM victims */
	OOMX_C_REAPS,
	OOMX_C_REAPED_KB,
	OOMX_C_REAP_EXITED,
	OOMX_C_REAP_KERNEL,
	OOMX_C_REAP_BUSY,
	OOMX_C_REAP_DROPPED,
	OOMX_C_REAP_UNVERIFIED,	/* waited reap_delay_ms: lists unreadable */
	OOMX_C_ROBUST_KEPT_PAGES,
	OOMX_C_EARLY_TERMS,	/* early victims sent SIGTERM */
	OOMX_C_EARLY_TERM_EXITED,	/* ... that exited within the grace */
	OOMX_C_EARLY_SPARED,	/* ... spared: pressure gone by its end */
	OOMX_C_EARLY_KILLS,	/* early victims sent SIGKILL */
	OOMX_C_EARLY_WOULD_KILL,	/* dry_run: early kills not made */
	OOMX_C_EARLY_HELD,	/* triggers held back: a victim in flight */
	OOMX_C_NR,
};

extern atomic_long_t oomx_counters[OOMX_C_NR];
extern atomic_long_t oomx_actions[OOMX_ACT_NR];

static inline void oomx_count(enum oomx_counter c, long n)
{
	atomic_long_add(n, &oomx_counters[c]);
}

void oomx_record_event(const struct oomx_event *ev);
void oomx_record_early(struct oomx_early_info *info);
void oomx_record_early_update(u64 seq, enum oomx_early_outcome o,
			      u64 after_ns);
void oomx_records_log(void);
void oomx_record_update(u64 seq, void (*fn)(struct oomx_record *r, void *arg),
			void *arg);
int oomx_records_init(void);
void oomx_records_exit(void);
const char *oomx_counter_name(enum oomx_counter c);
ssize_t oomx_record_last(char *buf, size_t size, bool early);

/* ---- the stable interface, /sys/kernel/oomx (sysfs.c) ---- */
int oomx_sysfs_init(void);
void oomx_sysfs_exit(void);

/* ---- early intervention (early.c) ---- */
int oomx_early_start(void);
void oomx_early_stop(void);
void oomx_early_kick(void);
struct task_struct *oomx_early_inflight(struct mem_cgroup *oom_memcg);
void oomx_early_show(struct seq_file *m);

#endif /* _OOMX_H */
