/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oomx's trace events (tracefs events/oomx/, perf and bpftrace
 * "tracepoint:oomx:*").  One OOM event or early intervention is one seq,
 * the seq of its decision record: trigger -> decision -> kill (each
 * signal, each victim) -> reap or fallback; early interventions add
 * oomx_early at each stage.  They complement the kernel's own oom:*
 * events, which oomx never replaces.
 *
 * Fields are numbers and fixed arrays only: __string()'s __assign_str()
 * changed its arguments in 6.10, and nothing here needs a variable-length
 * string.  Documentation/admin-guide.rst describes every field.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM oomx

#if !defined(_OOMX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _OOMX_TRACE_H

#include <linux/tracepoint.h>

#include "oomx.h"

/* What set a seq going: an OOM, or early evidence (its verdict). */
#define OOMX_TRIGGER_GLOBAL	0
#define OOMX_TRIGGER_MEMCG	1
#define OOMX_TRIGGER_EARLY	2

/* Where oomx left a step to the kernel (oomx_fallback's stage). */
#define OOMX_FALLBACK_SELECT	0	/* code: enum oomx_action */
#define OOMX_FALLBACK_REAP	1	/* code: enum oomx_reap_result */

TRACE_DEFINE_ENUM(OOMX_EARLY_THRASHING);
TRACE_DEFINE_ENUM(OOMX_EARLY_FLOOR);
TRACE_DEFINE_ENUM(OOMX_EARLY_REFAULTING);
TRACE_DEFINE_ENUM(OOMX_POLICY_CLASSIC);
TRACE_DEFINE_ENUM(OOMX_POLICY_LARGEST);
TRACE_DEFINE_ENUM(OOMX_POLICY_ADJ_FIRST);
TRACE_DEFINE_ENUM(OOMX_POLICY_GROWTH);
TRACE_DEFINE_ENUM(OOMX_POLICY_CGROUP_FIRST);
TRACE_DEFINE_ENUM(OOMX_ACT_UNSCORED);
TRACE_DEFINE_ENUM(OOMX_ACT_ALLOCATING);
TRACE_DEFINE_ENUM(OOMX_REAP_DONE);
TRACE_DEFINE_ENUM(OOMX_REAP_EXITED);
TRACE_DEFINE_ENUM(OOMX_REAP_KERNEL);
TRACE_DEFINE_ENUM(OOMX_REAP_BUSY);
TRACE_DEFINE_ENUM(OOMX_REAP_DROPPED);
TRACE_DEFINE_ENUM(OOMX_REAP_UNLOAD);
TRACE_DEFINE_ENUM(OOMX_EO_TERM);
TRACE_DEFINE_ENUM(OOMX_EO_TERM_EXITED);
TRACE_DEFINE_ENUM(OOMX_EO_SPARED);
TRACE_DEFINE_ENUM(OOMX_EO_OOM_FIRST);
TRACE_DEFINE_ENUM(OOMX_EO_KILLED);
TRACE_DEFINE_ENUM(OOMX_EO_WOULD_KILL);
TRACE_DEFINE_ENUM(OOMX_EO_NO_VICTIM);

#define oomx_trace_kind(k)						\
	__print_symbolic(k, { OOMX_TRIGGER_GLOBAL, "global" },		\
			 { OOMX_TRIGGER_MEMCG, "memcg" },		\
			 { OOMX_TRIGGER_EARLY, "early" })

#define oomx_trace_policy(p)						\
	__print_symbolic(p, { OOMX_POLICY_CLASSIC, "classic" },		\
			 { OOMX_POLICY_LARGEST, "largest" },		\
			 { OOMX_POLICY_ADJ_FIRST, "adj_first" },	\
			 { OOMX_POLICY_GROWTH, "growth" },		\
			 { OOMX_POLICY_CGROUP_FIRST, "cgroup_first" })

/**
 * oomx_trigger - an OOM entered, or early evidence crossed its threshold
 * @seq: the event's record
 * @kind: OOMX_TRIGGER_*
 * @reason: the early verdict; 0 for an OOM
 * @pid: the task in out_of_memory(); 0 for early
 * @memcg_id: the OOMing memcg's cgroup id; 0 for global and early
 * @gfp_mask: the failing allocation's (OOM)
 * @order: ... and its order (OOM); -1 is SysRq-F
 */
TRACE_EVENT(oomx_trigger,
	    TP_PROTO(u64 seq, int kind, int reason, int pid, u64 memcg_id,
		     unsigned int gfp_mask, int order),
	    TP_ARGS(seq, kind, reason, pid, memcg_id, gfp_mask, order),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(u64, memcg_id)
			     __field(int, kind)
			     __field(int, reason)
			     __field(int, pid)
			     __field(unsigned int, gfp_mask)
			     __field(int, order)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->memcg_id = memcg_id;
			   __entry->kind = kind;
			   __entry->reason = reason;
			   __entry->pid = pid;
			   __entry->gfp_mask = gfp_mask;
			   __entry->order = order;),
	    TP_printk("seq=%llu kind=%s reason=%s pid=%d memcg_id=%llu gfp=%#x order=%d",
		      __entry->seq, oomx_trace_kind(__entry->kind),
		      __print_symbolic(__entry->reason, { 0, "oom" },
				       { OOMX_EARLY_THRASHING, "thrashing" },
				       { OOMX_EARLY_FLOOR, "floor" },
				       { OOMX_EARLY_REFAULTING, "refaulting" }),
		      __entry->pid, __entry->memcg_id, __entry->gfp_mask,
		      __entry->order)
);

/**
 * oomx_decision - the victim oomx's policy chose, with its score's parts
 * @seq: the event's record
 * @kind: OOMX_TRIGGER_*
 * @c: the candidate chosen (what the kernel's kill is about to take, for
 *	an OOM); points is oomx's score, classic oom_badness()'s
 * @policy: enum oomx_policy
 * @eligible: candidates oomx's policy scored (as the record's scored=:
 *	only those it scores differently from the kernel, unless score_all)
 * @held: an OOM was handed a victim already in flight, not a new one
 */
TRACE_EVENT(oomx_decision,
	    TP_PROTO(u64 seq, int kind, const struct oomx_cand *c, int policy,
		     unsigned int eligible, bool held),
	    TP_ARGS(seq, kind, c, policy, eligible, held),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(long, points)
			     __field(long, classic)
			     __field(unsigned long, mem_kb)
			     __field(long, growth_kb)
			     __field(unsigned long, group_kb)
			     __field(int, kind)
			     __field(int, pid)
			     __field(int, adj)
			     __field(int, policy)
			     __field(int, rule_list)
			     __field(int, rule_index)
			     __field(unsigned int, eligible)
			     __field(bool, held)
			     __array(char, comm, OOMX_COMM_LEN)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->points = c->points;
			   __entry->classic = c->classic;
			   __entry->mem_kb = c->mem * (PAGE_SIZE / 1024);
			   __entry->growth_kb = c->growth * (long)(PAGE_SIZE / 1024);
			   __entry->group_kb = c->group_mem * (PAGE_SIZE / 1024);
			   __entry->kind = kind;
			   __entry->pid = c->pid;
			   __entry->adj = c->adj;
			   __entry->policy = policy;
			   __entry->rule_list = c->rule ?
			   (c->rule - 1) / OOMX_RULES_MAX : -1;
			   __entry->rule_index = c->rule ?
			   (c->rule - 1) % OOMX_RULES_MAX : -1;
			   __entry->eligible = eligible;
			   __entry->held = held;
			   memcpy(__entry->comm, c->comm, OOMX_COMM_LEN);
			   __entry->comm[OOMX_COMM_LEN - 1] = '\0';),
	    TP_printk("seq=%llu kind=%s pid=%d comm=%s points=%ld classic=%ld mem_kb=%lu growth_kb=%ld group_kb=%lu oom_score_adj=%d policy=%s rule=%s:%d eligible=%u held=%d",
		      __entry->seq, oomx_trace_kind(__entry->kind), __entry->pid,
		      __entry->comm, __entry->points, __entry->classic,
		      __entry->mem_kb, __entry->growth_kb,
		      __entry->group_kb, __entry->adj,
		      oomx_trace_policy(__entry->policy),
		      __print_symbolic(__entry->rule_list, { -1, "none" },
				       { 0, "protect" }, { 1, "avoid" },
				       { 2, "prefer" }),
		      __entry->rule_index, __entry->eligible, __entry->held)
);

/**
 * oomx_kill - a signal to a victim: each task the kernel's OOM kill marks
 *	(SIGKILL), or oomx's early SIGTERM and SIGKILL
 * @seq: the event's record
 * @kind: OOMX_TRIGGER_*
 * @pid: the victim's thread group
 * @comm: its name
 * @sig: SIGTERM or SIGKILL
 */
TRACE_EVENT(oomx_kill,
	    TP_PROTO(u64 seq, int kind, int pid, const char *comm, int sig),
	    TP_ARGS(seq, kind, pid, comm, sig),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(int, kind)
			     __field(int, pid)
			     __field(int, sig)
			     __array(char, comm, OOMX_COMM_LEN)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->kind = kind;
			   __entry->pid = pid;
			   __entry->sig = sig;
			   memcpy(__entry->comm, comm, OOMX_COMM_LEN);
			   __entry->comm[OOMX_COMM_LEN - 1] = '\0';),
	    TP_printk("seq=%llu kind=%s pid=%d comm=%s sig=%d",
		      __entry->seq, oomx_trace_kind(__entry->kind), __entry->pid,
		      __entry->comm, __entry->sig)
);

#define oomx_trace_reap(r)						\
	__print_symbolic(r, { OOMX_REAP_DONE, "reaped" },		\
			 { OOMX_REAP_EXITED, "exited" },		\
			 { OOMX_REAP_KERNEL, "kernel" },		\
			 { OOMX_REAP_BUSY, "busy" },			\
			 { OOMX_REAP_DROPPED, "dropped" },		\
			 { OOMX_REAP_UNLOAD, "unload" })

/**
 * oomx_reap - oomx's reaper is done with a victim
 * @seq: the event's record
 * @pid: the victim
 * @result: enum oomx_reap_result: reaped (oomx unmapped it), exited (its
 *	memory came back first), or a fallback to the kernel's reaper
 * @reaped_kb: what oomx's reaper unmapped
 * @kept_pages: pages kept for the robust-futex lists
 * @zap_us: time spent unmapping
 * @after_ms: since the victim was killed
 */
TRACE_EVENT(oomx_reap,
	    TP_PROTO(u64 seq, int pid, int result, unsigned long reaped_kb,
		     unsigned int kept_pages, u64 zap_us, u64 after_ms),
	    TP_ARGS(seq, pid, result, reaped_kb, kept_pages, zap_us, after_ms),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(u64, zap_us)
			     __field(u64, after_ms)
			     __field(unsigned long, reaped_kb)
			     __field(int, pid)
			     __field(int, result)
			     __field(unsigned int, kept_pages)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->zap_us = zap_us;
			   __entry->after_ms = after_ms;
			   __entry->reaped_kb = reaped_kb;
			   __entry->pid = pid;
			   __entry->result = result;
			   __entry->kept_pages = kept_pages;),
	    TP_printk("seq=%llu pid=%d result=%s reaped_kb=%lu kept_pages=%u zap_us=%llu after_ms=%llu",
		      __entry->seq, __entry->pid, oomx_trace_reap(__entry->result),
		      __entry->reaped_kb, __entry->kept_pages, __entry->zap_us,
		      __entry->after_ms)
);

/**
 * oomx_fallback - a step oomx left to the kernel
 * @seq: the event's record
 * @pid: the victim
 * @stage: OOMX_FALLBACK_SELECT (the kernel chose: @code an enum
 *	oomx_action) or OOMX_FALLBACK_REAP (the kernel's reaper reaps:
 *	@code an enum oomx_reap_result)
 * @code: why
 */
TRACE_EVENT(oomx_fallback,
	    TP_PROTO(u64 seq, int pid, int stage, int code),
	    TP_ARGS(seq, pid, stage, code),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(int, pid)
			     __field(int, stage)
			     __field(int, code)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->pid = pid;
			   __entry->stage = stage;
			   __entry->code = code;),
	    TP_printk("seq=%llu pid=%d stage=%s reason=%s",
		      __entry->seq, __entry->pid,
		      __entry->stage == OOMX_FALLBACK_REAP ? "reap" : "select",
		      __entry->stage == OOMX_FALLBACK_REAP ?
		      oomx_trace_reap(__entry->code) :
		      __print_symbolic(__entry->code,
				       { OOMX_ACT_UNSCORED, "unscored" },
				       { OOMX_ACT_ALLOCATING, "allocating" }))
);

/**
 * oomx_early - an early intervention moves to a new stage
 * @seq: its record
 * @stage: enum oomx_early_outcome: term (SIGTERM sent, grace running),
 *	term_exited, spared, oom_first, killed, would_kill, no_victim
 * @pid: the victim, or 0
 * @stall_pct: memory stall over the episode that triggered it
 * @refault_kbps: refaults over that episode
 * @avail_kb: MemAvailable at the trigger
 * @after_ms: since the trigger
 */
TRACE_EVENT(oomx_early,
	    TP_PROTO(u64 seq, int stage, int pid, unsigned int stall_pct,
		     unsigned int refault_kbps, unsigned long avail_kb,
		     u64 after_ms),
	    TP_ARGS(seq, stage, pid, stall_pct, refault_kbps, avail_kb, after_ms),
	    TP_STRUCT__entry(__field(u64, seq)
			     __field(u64, after_ms)
			     __field(unsigned long, avail_kb)
			     __field(int, stage)
			     __field(int, pid)
			     __field(unsigned int, stall_pct)
			     __field(unsigned int, refault_kbps)),
	    TP_fast_assign(__entry->seq = seq;
			   __entry->after_ms = after_ms;
			   __entry->avail_kb = avail_kb;
			   __entry->stage = stage;
			   __entry->pid = pid;
			   __entry->stall_pct = stall_pct;
			   __entry->refault_kbps = refault_kbps;),
	    TP_printk("seq=%llu stage=%s pid=%d stall_pct=%u refault_kbps=%u avail_kb=%lu after_ms=%llu",
		      __entry->seq,
		      __print_symbolic(__entry->stage, { OOMX_EO_TERM, "term" },
				       { OOMX_EO_TERM_EXITED, "term_exited" },
				       { OOMX_EO_SPARED, "spared" },
				       { OOMX_EO_OOM_FIRST, "oom_first" },
				       { OOMX_EO_KILLED, "killed" },
				       { OOMX_EO_WOULD_KILL, "would_kill" },
				       { OOMX_EO_NO_VICTIM, "no_victim" }),
		      __entry->pid, __entry->stall_pct, __entry->refault_kbps,
		      __entry->avail_kb, __entry->after_ms)
);

#endif /* _OOMX_TRACE_H */

/* This part must be outside the header guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE oomx_trace
#include <trace/define_trace.h>
