/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx policy: scoring, victim selection, trigger decisions and parameter
 * parsing.  Everything here is a pure function over the small structs
 * below: no task_struct, no locks, no side effects.  The kernel glue in
 * oomx.c fills the structs; KUnit (kunit/policy_test.c) drives them
 * directly.
 */
#ifndef _OOMX_POLICY_H
#define _OOMX_POLICY_H

#include <linux/types.h>
#include <linux/limits.h>

enum oomx_policy {
	OOMX_POLICY_CLASSIC,	/* the kernel's oom_badness(), exactly */
	OOMX_POLICY_LARGEST,	/* memory only; adj ignored but -1000 */
	OOMX_POLICY_ADJ_FIRST,	/* highest oom_score_adj tier, then size */
	OOMX_POLICY_NR,
};

/* Candidate flags, filled by the glue from the task and its mm. */
#define OOMX_CAND_UNKILLABLE	BIT(0)	/* init or a kernel thread */
#define OOMX_CAND_NO_MM		BIT(1)	/* all threads have left their mm */
#define OOMX_CAND_VFORK		BIT(2)	/* in the middle of vfork */
#define OOMX_CAND_MM_SKIP	BIT(3)	/* mm already reaped (MMF_OOM_SKIP) */
#define OOMX_CAND_VICTIM	BIT(4)	/* an OOM victim, not yet reaped */
#define OOMX_CAND_VICTIM_DONE	BIT(5)	/* an OOM victim, already reaped */
#define OOMX_CAND_ORIGIN	BIT(6)	/* oom_task_origin(): kill first */
#define OOMX_CAND_INELIGIBLE	BIT(7)	/* outside the OOM's scope (memcg) */

#define OOMX_SCORE_ADJ_MIN	(-1000)
#define OOMX_SCORE_ADJ_MAX	1000

struct oomx_cand {
	void *ref;		/* opaque to the policy: the glue's task */
	int pid;		/* tgid */
	u32 flags;
	short adj;		/* signal->oom_score_adj */
	unsigned long rss;	/* pages: anon + file + shmem */
	unsigned long swapents;	/* pages */
	unsigned long pgtables;	/* pages */
	long points;		/* output of oomx_score() */
};

#define OOMX_TOP_MAX	16

enum oomx_sel_state {
	OOMX_SEL_NONE,		/* nothing killable was seen */
	OOMX_SEL_VICTIM,	/* ->victim is the choice */
	OOMX_SEL_ABORT,		/* a victim is in flight: kill nothing */
};

struct oomx_sel {
	/* inputs */
	enum oomx_policy policy;
	unsigned long totalpages;
	unsigned int top_max;		/* <= OOMX_TOP_MAX */
	/* outputs */
	enum oomx_sel_state state;
	struct oomx_cand victim;
	unsigned int nr_seen;		/* every task offered */
	unsigned int nr_eligible;	/* tasks with a score */
	unsigned int nr_top;
	struct oomx_cand top[OOMX_TOP_MAX];	/* best first */
};

long oomx_score(const struct oomx_cand *c, enum oomx_policy policy,
		unsigned long totalpages);
void oomx_sel_init(struct oomx_sel *sel, enum oomx_policy policy,
		   unsigned long totalpages, unsigned int top_max);
bool oomx_sel_consider(struct oomx_sel *sel, struct oomx_cand *c);
void oomx_select(struct oomx_sel *sel, struct oomx_cand *c, unsigned int n);

/* Why oomx lets the kernel handle an OOM event instead of acting. */
enum oomx_defer {
	OOMX_ACT_PROCEED,	/* scan, choose and (unless dry_run) kill */
	OOMX_DEFER_DISABLED,
	OOMX_DEFER_NO_CONTEXT,	/* the out_of_memory probe saw nothing */
	OOMX_DEFER_SYSRQ,
	OOMX_DEFER_NOFS,	/* kernel kills nothing for !__GFP_FS */
	OOMX_DEFER_EXITING,	/* current is dying: kernel picks current */
	OOMX_DEFER_CONSTRAINED,	/* cpuset / mempolicy restricted */
	OOMX_DEFER_PANIC,	/* vm.panic_on_oom is set */
	OOMX_DEFER_ALLOCATING,	/* vm.oom_kill_allocating_task is set */
	OOMX_DEFER_HANDOFF,	/* one event for the stock killer */
	OOMX_DEFER_WAIT,	/* our victim is in flight */
	OOMX_ACT_FALLBACK,	/* our victim timed out: stock takes over */
	OOMX_DEFER_NO_VICTIM,	/* scan found nothing killable */
	OOMX_DEFER_NR,
};

struct oomx_trigger {
	bool enabled;
	bool have_context;
	bool sysrq;
	bool gfp_fs;
	bool current_exiting;
	bool constrained;
	bool panic_on_oom;
	bool kill_allocating;
	bool handoff_pending;
	bool victim_in_flight;	/* oomx's own victim, not yet released */
	u64 now_ns;
	u64 victim_deadline_ns;
};

enum oomx_defer oomx_trigger_decide(const struct oomx_trigger *t);
const char *oomx_defer_name(enum oomx_defer d);

/* Parameter parsing: 0 or -EINVAL, *out untouched on error. */
int oomx_parse_policy(const char *s, enum oomx_policy *out);
const char *oomx_policy_name(enum oomx_policy p);
int oomx_parse_uint_range(const char *s, unsigned int min, unsigned int max,
			  unsigned int *out);

#endif /* _OOMX_POLICY_H */
