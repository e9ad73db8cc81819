/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx policy: scoring, selection bookkeeping, OOM event classification,
 * reap timing, the robust-futex list walk and parameter parsing.
 * Everything here is a pure function over the small structs below: no
 * task_struct, no locks, no side effects (the robust walk reads memory
 * only through the ops it is handed).  The kernel glue fills the structs;
 * KUnit (kunit/policy_test.c) drives them directly.
 */
#ifndef _OOMX_POLICY_H
#define _OOMX_POLICY_H

#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/limits.h>
#include <linux/types.h>

#include <asm/page.h>

enum oomx_policy {
	OOMX_POLICY_CLASSIC,	/* the kernel's oom_badness(), exactly */
	OOMX_POLICY_LARGEST,	/* memory only; adj ignored but -1000 */
	OOMX_POLICY_ADJ_FIRST,	/* highest oom_score_adj tier, then size */
	OOMX_POLICY_GROWTH,	/* classic plus what it gained lately */
	OOMX_POLICY_CGROUP_FIRST, /* the worst cgroup, then classic inside */
	OOMX_POLICY_NR,
};

/*
 * Candidate flags.  At an OOM the kernel's own oom_evaluate_task() has
 * filtered candidates before oomx sees them, so these are only set by
 * oomx's own scans (outside an OOM), from the task the same way.
 */
#define OOMX_CAND_UNKILLABLE	BIT(0)	/* init or a kernel thread */
#define OOMX_CAND_NO_MM		BIT(1)	/* all threads have left their mm */
#define OOMX_CAND_VFORK		BIT(2)	/* in the middle of vfork */
#define OOMX_CAND_MM_SKIP	BIT(3)	/* mm already reaped (MMF_OOM_SKIP) */
#define OOMX_CAND_EXACT		BIT(4)	/* ->mem from exact counter sums */
#define OOMX_CAND_NEVER		(OOMX_CAND_UNKILLABLE | OOMX_CAND_NO_MM | \
				 OOMX_CAND_VFORK | OOMX_CAND_MM_SKIP)

#define OOMX_SCORE_ADJ_MIN	(-1000)
#define OOMX_SCORE_ADJ_MAX	1000
#define OOMX_COMM_LEN		16	/* TASK_COMM_LEN */

/*
 * Operator rules (rules.c): protect=, avoid= and prefer= lists of
 * selectors, in that order of precedence.  A rule is named by an id:
 * 1 + list * OOMX_RULES_MAX + index; 0 is no rule.
 */
enum oomx_rule_list {
	OOMX_RULE_PROTECT,
	OOMX_RULE_AVOID,
	OOMX_RULE_PREFER,
	OOMX_RULE_LISTS,
};

enum oomx_selector_kind {
	OOMX_SELECTOR_COMM,
	OOMX_SELECTOR_UID,
	OOMX_SELECTOR_CGROUP,
	OOMX_SELECTOR_NR,
};

#define OOMX_RULES_MAX		32	/* selectors per list */
#define OOMX_RULE_PAT_MAX	96	/* a pattern, with its NUL */
#define OOMX_RULE_NONE		0
#define OOMX_RULE_ID_MAX	(OOMX_RULE_LISTS * OOMX_RULES_MAX)

struct oomx_selector {
	u32 kind;			/* enum oomx_selector_kind */
	u32 uid;			/* OOMX_SELECTOR_UID */
	char pat[OOMX_RULE_PAT_MAX];	/* as written, NUL-terminated */
};

struct oomx_rule_set {
	unsigned int nr;
	struct oomx_selector sel[OOMX_RULES_MAX];
};

struct oomx_rules {
	struct oomx_rule_set list[OOMX_RULE_LISTS];
};

/*
 * Where a rule puts a candidate.  Tiers never mix: every prefer
 * candidate before any other, every avoid one after the rest, and a
 * protected one only when nothing else is eligible, then as the kernel
 * would order them (never worse than stock: the kernel's scan must not
 * come back empty because of a rule).
 */
enum oomx_tier {
	OOMX_TIER_PROTECT,
	OOMX_TIER_AVOID,
	OOMX_TIER_NORMAL,
	OOMX_TIER_PREFER,
};

static inline int oomx_rule_id(unsigned int list, unsigned int idx)
{
	return 1 + list * OOMX_RULES_MAX + idx;
}

/*
 * A quick "no rule" for a task, worked out once per rule write
 * (oomx_rule_filter_build()) so that a scan need not match every
 * candidate's name and uid against every selector: the OOM scan asks it
 * of each candidate, and most are named by no rule.  It never says no to
 * a task a comm: or uid: selector matches; a yes only means "match in
 * full".
 */
struct oomx_rule_filter {
	DECLARE_BITMAP(comm_first, 256); /* a name's first byte some comm: accepts */
	u64 uid_bloom;			/* bit oomx_uid_bit() of each uid: */
};

static inline unsigned int oomx_uid_bit(u32 uid)
{
	return hash_32(uid, 6);
}

/* May a task named @comm_first... with uid @uid match a comm: or uid: rule? */
static inline bool oomx_rule_filter_pass(const struct oomx_rule_filter *f,
					 unsigned char comm_first, u32 uid)
{
	return test_bit(comm_first, f->comm_first) ||
	       (f->uid_bloom & BIT_ULL(oomx_uid_bit(uid)));
}

const char *oomx_rule_list_name(enum oomx_rule_list l);
int oomx_rule_set_parse(const char *s, struct oomx_rule_set *out,
			const char **bad, size_t *badlen);
int oomx_rule_set_print(const struct oomx_rule_set *rs, char *buf,
			size_t len);
bool oomx_rules_have(const struct oomx_rules *r, enum oomx_selector_kind k);
bool oomx_rules_empty(const struct oomx_rules *r);
void oomx_rule_filter_build(const struct oomx_rules *r,
			    struct oomx_rule_filter *f);
int oomx_rules_match(const struct oomx_rules *r, const char *comm, u32 uid,
		     const char *cgroup);
int oomx_rule_first(int a, int b);
enum oomx_tier oomx_rule_tier(int rule);
int oomx_rule_print(const struct oomx_rules *r, int rule, char *buf,
		    size_t len);

struct oomx_cand {
	int pid;		/* tgid */
	short adj;		/* signal->oom_score_adj */
	short rule;		/* the operator rule that decides, or 0 */
	u32 flags;
	u32 uid;
	unsigned long mem;	/* pages: rss + swap entries + page tables */
	long classic;		/* the kernel's oom_badness() for the task */
	long points;		/* oomx_score() under the selection's policy */
	long growth;		/* pages gained over the growth window */
	unsigned long group_mem; /* its cgroup's score, pages (cgroup_first) */
	u64 group_id;		/* that cgroup's id, 0 if none */
	char comm[OOMX_COMM_LEN];
};

long oomx_classic_points(unsigned long mem, short adj,
			 unsigned long totalpages);
unsigned long oomx_mem_from_classic(long points, short adj,
				    unsigned long totalpages);
long oomx_score(const struct oomx_cand *c, enum oomx_policy policy,
		unsigned long totalpages);
bool oomx_policy_rescores(enum oomx_policy policy, short adj, long growth);

/*
 * Counters off by this much (64 MB) or more are worth a return probe on
 * every candidate, to count the finalists exactly: 6.12 on 46 CPUs and
 * up (4 x max(32, 2 x CPUs) x CPUs pages), 6.1 for a process of 64
 * threads and up.  Below it the kernel's own reading stands where
 * oomx's policy agrees with the kernel's.
 */
#define OOMX_SLACK_MATERIAL	((64UL << 20) >> PAGE_SHIFT)

/* What decides whether oomx must see each candidate (params.c, trigger.c). */
struct oomx_scan_config {
	enum oomx_policy policy;
	bool rules;			/* any protect=, avoid= or prefer= */
	bool score_all;			/* score_all, or dry_run */
	unsigned long slack_max;	/* the counters' worst error, pages */
};

bool oomx_scan_needs_oomx(const struct oomx_scan_config *n);

/*
 * Growth (growth.c samples, policy.c computes): a gain of @gained pages
 * over @dt_ns, as pages per @window_ns.
 */
long oomx_growth_scale(long gained, u64 dt_ns, u64 window_ns);
unsigned long oomx_group_score(unsigned long usage, long growth);

struct oomx_growth_entry {
	u64 key;		/* tgid, or a cgroup's id */
	long growth;		/* pages per window */
};

const struct oomx_growth_entry *
oomx_growth_find(const struct oomx_growth_entry *e, unsigned int n, u64 key);

#define OOMX_TOP_MAX	16

/* One selection: what the kernel's scan offered, seen through oomx's policy. */
struct oomx_sel {
	/* inputs */
	enum oomx_policy policy;
	unsigned long totalpages;
	unsigned int top_max;		/* <= OOMX_TOP_MAX */
	/* outputs */
	unsigned int nr_seen;		/* every candidate offered */
	unsigned int nr_eligible;	/* candidates with a score */
	unsigned int nr_ruled[OOMX_RULE_LISTS];	/* eligible, by rule list */
	unsigned int nr_top;
	unsigned int nr_exact;		/* finalists counted exactly */
	bool have_best;
	struct oomx_cand best;		/* oomx's choice */
	struct oomx_cand best_classic;	/* the stock killer's, same rule */
	struct oomx_cand top[OOMX_TOP_MAX];	/* best first */
};

void oomx_sel_init(struct oomx_sel *sel, enum oomx_policy policy,
		   unsigned long totalpages, unsigned int top_max);
/* Fills the identity (pid, uid, comm) of a candidate the selection keeps. */
typedef void (*oomx_identify_t)(struct oomx_cand *c, const void *ctx);

void oomx_sel_offer(struct oomx_sel *sel, struct oomx_cand *c,
		    oomx_identify_t identify, const void *ctx);
void oomx_select(struct oomx_sel *sel, struct oomx_cand *c, unsigned int n);

/*
 * Precise finalists: at most this many candidates per selection have
 * their memory summed exactly, those that approximate counters off by
 * up to @slack pages could put at or above the best so far.
 */
#define OOMX_EXACT_MAX		32
bool oomx_sel_finalist(const struct oomx_sel *sel, const struct oomx_cand *c,
		       unsigned long slack);
bool oomx_sel_unit_may_win(const struct oomx_sel *sel,
			   unsigned long group_mem);

/* What one out_of_memory() call came to, from what oomx saw of it. */
enum oomx_action {
	OOMX_ACT_KILL,		/* the kernel killed oomx's choice */
	OOMX_ACT_DRY_RUN,	/* the kernel killed its own; oomx recorded */
	OOMX_ACT_UNSCORED,	/* a kill oomx could not score: the kernel's */
	OOMX_ACT_ALLOCATING,	/* vm.oom_kill_allocating_task: no selection */
	OOMX_ACT_EXITING,	/* the allocating task was dying: no kill */
	OOMX_ACT_NOTIFIER_FREED, /* an OOM notifier freed memory: no kill */
	OOMX_ACT_NOFS,		/* global !__GFP_FS: the kernel kills nothing */
	OOMX_ACT_IN_FLIGHT,	/* a victim still holds its memory: no kill */
	OOMX_ACT_NO_VICTIM,	/* nothing killable */
	OOMX_ACT_NR,
};

struct oomx_event_facts {
	bool memcg;
	bool sysrq;
	bool gfp_fs;
	bool notifier_freed;	/* an OOM notifier reported freed memory */
	bool reached_kill;	/* oom_kill_process() was entered */
	bool redirected;	/* ... and handed a victim already in flight */
	bool kill_allocating;	/* ... for vm.oom_kill_allocating_task */
	bool current_marked;	/* current became a victim without a kill */
	bool scored_all;	/* every candidate went through oomx's policy */
	bool dry_run;
	bool progress;		/* out_of_memory()'s return value */
};

enum oomx_action oomx_event_action(const struct oomx_event_facts *f);
const char *oomx_action_name(enum oomx_action a);

/*
 * Reaping.  exit_robust_list() reads the dying task's robust futex list
 * from its own memory; reaping that memory first leaves waiters in other
 * processes blocked forever, which is why the stock reaper waits 2 s.
 * oomx reads the lists itself: when it has found every entry (and keeps
 * the pages they live in), it may reap sooner.
 */
enum oomx_robust {
	OOMX_ROBUST_NONE,	/* no thread has an entry or an op pending */
	OOMX_ROBUST_KEPT,	/* entries found; their pages are kept */
	OOMX_ROBUST_UNKNOWN,	/* some list could not be read whole */
	OOMX_ROBUST_NR,
};

u64 oomx_reap_due_ns(u64 t_kill_ns, enum oomx_robust robust,
		     unsigned int delay_ms, unsigned int verified_delay_ms);
const char *oomx_robust_name(enum oomx_robust r);

/* A small sorted set of page addresses the reaper must not unmap. */
#define OOMX_KEEP_MAX	64

struct oomx_pageset {
	unsigned int nr;
	bool overflow;
	unsigned long page[OOMX_KEEP_MAX];
};

void oomx_pageset_init(struct oomx_pageset *s);
bool oomx_pageset_add(struct oomx_pageset *s, unsigned long addr,
		      unsigned long page_size);
bool oomx_pageset_next_gap(const struct oomx_pageset *s, unsigned long start,
			   unsigned long page_size, unsigned long *cursor,
			   unsigned long *lo, unsigned long *hi);

/* How the walk reads the victim's memory; the kernel glue or a test. */
struct oomx_robust_ops {
	/* 0, or -EFAULT if [addr, addr + len) cannot be read without faulting */
	int (*read)(void *ctx, unsigned long addr, void *buf, size_t len);
	/* would the reaper unmap the page at @addr (untagged)? */
	bool (*reapable)(void *ctx, unsigned long addr);
	/* @addr without the tag bits a user pointer may carry (arm64 TBI/MTE, x86 LAM) */
	unsigned long (*untag)(void *ctx, unsigned long addr);
	unsigned long page_size;
};

#define OOMX_ROBUST_LIST_LIMIT	2048	/* as the kernel's ROBUST_LIST_LIMIT */

int oomx_robust_walk(const struct oomx_robust_ops *ops, void *ctx,
		     unsigned long head, unsigned int ptr_size,
		     struct oomx_pageset *keep, unsigned int *budget,
		     bool *found);

/*
 * Early intervention: is the machine drowning before any OOM?  One call
 * per tick (about 100 ms) of evidence from the reclaim path; the state
 * carries the episodes.  Three triggers:
 *
 *  - thrashing: memory stall *with* refaults of the working set (what
 *    PSI sees: anon thrashing on swap, workingset page cache), while the
 *    machine's own reclaim runs (kswapd or direct reclaim scanning: a
 *    memory cgroup thrashing at its limit stalls its tasks too, and is
 *    its own trigger's, never a reason to kill outside it);
 *  - refaulting: little memory available and the page cache it leaves
 *    read back in, as fast as the disk allows, faster than
 *    refault_pct of what is available per second.  PSI is blind to this
 *    one when the refaulting pages were evicted too long ago to count as
 *    working set (measured: 0.3 % "some" while a reader re-reads 96 MiB
 *    through a 40 MiB cache on 6.1, 0 % on 6.12 with MGLRU);
 *  - floor: almost no memory available, almost no swap free, and
 *    reclaim stalling (the earlyoom-like guard rail).
 *
 * A full but healthy machine qualifies for none: reclaim that drops clean
 * cache nobody needs again refaults nothing.
 */
struct oomx_pressure {
	u64 dt_ns;		/* the tick's length */
	u64 stall_ns;		/* time some user task was in a memory stall */
	u64 ws_refaults;	/* refaults of working-set pages (activations) */
	u64 refaults;		/* every refault of an evicted page */
	u64 machine_scans;	/* pages the machine's own reclaim scanned */
	unsigned long avail_pages;	/* MemAvailable */
	unsigned long total_pages;	/* RAM */
	unsigned long swap_free_pages;
};

struct oomx_early_cfg {
	unsigned int stall_pct;		/* thrashing: stall share, % */
	unsigned int sustain_ms;	/* ... held this long (refaulting too) */
	unsigned int refault_kbps;	/* ... with this many KiB/s refaulting */
	unsigned int refault_avail_pct;	/* refaulting: MemAvailable under this % of RAM, 0 off */
	unsigned int refault_pct;	/* ... refaults/s at least this % of MemAvailable */
	unsigned int avail_floor_pct;	/* floor: MemAvailable under this % */
	unsigned int swap_floor_pct;	/* ... and free swap under this % of RAM */
	unsigned int page_kb;		/* PAGE_SIZE / 1024 */
};

/* An episode: consecutive ticks that qualify, and what they added up to. */
struct oomx_episode {
	u64 since_ns;		/* 0: none under way */
	u64 last_ns;		/* the last tick that qualified */
	u64 dt_ns, stall_ns, ws_refaults, refaults, machine_scans;
};

struct oomx_early_state {
	struct oomx_episode thrash, refault, floor;
};

enum oomx_early_verdict {
	OOMX_EARLY_CALM,	/* nothing under way */
	OOMX_EARLY_RISING,	/* an episode under way, not yet sustained */
	OOMX_EARLY_THRASHING,	/* sustained thrashing: act */
	OOMX_EARLY_FLOOR,	/* below both floors and stalling: act */
	OOMX_EARLY_REFAULTING,	/* sustained refaulting on little memory: act */
};

/* The floor acts after this long, if stall is at least this share. */
#define OOMX_FLOOR_SUSTAIN_MS	500
#define OOMX_FLOOR_STALL_PCT	10
/*
 * Refaults come in bursts (readahead, a task blocked on the disk between
 * them): a refaulting episode survives ticks without any for this long.
 */
#define OOMX_REFAULT_GAP_MS	1000

enum oomx_early_verdict oomx_early_step(struct oomx_early_state *s,
					const struct oomx_early_cfg *cfg,
					const struct oomx_pressure *p,
					u64 now_ns);
void oomx_early_reset(struct oomx_early_state *s);
unsigned int oomx_episode_stall_pct(const struct oomx_episode *e);
unsigned int oomx_episode_refault_kbps(const struct oomx_episode *e,
				       unsigned int page_kb);
unsigned int oomx_episode_all_refault_kbps(const struct oomx_episode *e,
					   unsigned int page_kb);
const struct oomx_episode *
oomx_early_episode(const struct oomx_early_state *s,
		   enum oomx_early_verdict v);
const char *oomx_early_verdict_name(enum oomx_early_verdict v);
int oomx_check_early(const struct oomx_early_cfg *cfg);
void oomx_memcg_pressure(struct oomx_pressure *p, u64 dt_ns, u64 refaults,
			 unsigned long limit, unsigned long anon);
struct oomx_early_cfg oomx_memcg_early_cfg(const struct oomx_early_cfg *cfg);

/* Parameter parsing: 0 or -EINVAL, *out untouched on error. */
int oomx_parse_policy(const char *s, enum oomx_policy *out);
int oomx_parse_bool(const char *s, bool *out);
const char *oomx_policy_name(enum oomx_policy p);
int oomx_check_reap_delays(unsigned int delay_ms,
			   unsigned int verified_delay_ms);

#endif /* _OOMX_POLICY_H */
