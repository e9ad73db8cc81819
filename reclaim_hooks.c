// SPDX-License-Identifier: GPL-2.0
/*
 * oomx hooks: kprobes and kretprobes on the kernel's OOM and reclaim path,
 * all in one table.  Each entry is resolved at load time (static functions
 * may carry a compiler suffix such as .constprop.0, or vanish), installed
 * in table order and removed in reverse.  A probe that cannot be placed
 * disables only the feature that needs it, with one log line, and shows in
 * /sys/kernel/debug/oomx/status; it never fails the load.
 *
 * Handlers run in atomic context and only record: a few fields copied,
 * per-CPU counters added, a lock-free per-memcg and per-task slot bumped.
 * Deciding and acting happen in the OOM notifier or oomx's kthread.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/hash.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/nodemask.h>
#include <linux/oom.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/swap.h>

#include "oomx.h"

/* ------------------------------------------------------------------ */
/* What the handlers record                                            */
/* ------------------------------------------------------------------ */

/*
 * The OOM context of the out_of_memory() call in progress.  Every caller
 * of out_of_memory() holds oom_lock, so there is one writer at a time, and
 * the notifier reading it runs later in the same task: program order is
 * all the ordering needed.
 */
static struct oomx_oc_snap oomx_oc;

/* When the notifier returned, and in which task (stock selection timing). */
static struct {
	struct task_struct *task;
	u64 t_ns;
} oomx_notify_ret;

static DEFINE_PER_CPU(struct oomx_reclaim_sums, oomx_pcpu);

/*
 * Per memcg and per task: open-addressed tables claimed with cmpxchg on
 * the key, never freed while oomx is loaded.  A full table drops the event
 * and counts it, rather than take a lock in a probe handler.
 */
#define OOMX_SLOTS	256

struct oomx_slot {
	atomic64_t key;			/* cgroup id or pid + 1; 0 = free */
	atomic64_t count, ns, reclaimed, requested, ooms;
	char comm[TASK_COMM_LEN];	/* tasks only */
};

static struct oomx_slot oomx_memcg_slots[OOMX_SLOTS];
static struct oomx_slot oomx_task_slots[OOMX_SLOTS];
static atomic64_t oomx_slots_dropped;

static struct oomx_slot *oomx_slot(struct oomx_slot *tab, u64 key, bool *fresh)
{
	unsigned int i, h = hash_64(key, ilog2(OOMX_SLOTS));

	*fresh = false;
	for (i = 0; i < OOMX_SLOTS; i++) {
		struct oomx_slot *s = &tab[(h + i) & (OOMX_SLOTS - 1)];
		s64 cur = atomic64_read(&s->key);

		if (cur == key)
			return s;
		if (!cur) {
			cur = atomic64_cmpxchg(&s->key, 0, key);
			if (!cur) {
				*fresh = true;
				return s;
			}
			if (cur == key)
				return s;
		}
	}
	atomic64_inc(&oomx_slots_dropped);
	return NULL;
}

static void oomx_slot_add(struct oomx_slot *s, u64 ns, u64 reclaimed,
			  u64 requested)
{
	atomic64_inc(&s->count);
	atomic64_add(ns, &s->ns);
	atomic64_add(reclaimed, &s->reclaimed);
	atomic64_add(requested, &s->requested);
}

static void oomx_task_add(u64 ns, u64 reclaimed, u64 requested)
{
	bool fresh;
	struct oomx_slot *s = oomx_slot(oomx_task_slots,
					(u64)task_pid_nr(current) + 1, &fresh);

	if (!s)
		return;
	if (fresh)
		memcpy(s->comm, current->comm, sizeof(s->comm));
	oomx_slot_add(s, ns, reclaimed, requested);
}

static u64 oomx_memcg_key(struct mem_cgroup *memcg)
{
	return memcg ? cgroup_id(memcg->css.cgroup) : 0;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                             */
/* ------------------------------------------------------------------ */

static int oomx_oom_entry(struct kprobe *kp, struct pt_regs *regs)
{
	struct oom_control *oc = (void *)regs_get_kernel_argument(regs, 0);

	oomx_oc.gfp_mask = oc->gfp_mask;
	oomx_oc.order = oc->order;
	oomx_oc.memcg = !!oc->memcg;
	oomx_oc.constrained = oc->nodemask &&
		!nodes_subset(node_states[N_MEMORY], *oc->nodemask);
	oomx_oc.t_ns = oomx_now_ns();
	oomx_oc.task = current;
	if (!oc->memcg)
		this_cpu_inc(oomx_pcpu.global_ooms);
	return 0;
}

void oomx_notifier_done(void)
{
	oomx_notify_ret.t_ns = oomx_now_ns();
	oomx_notify_ret.task = current;
}

static int oomx_stock_select(struct kprobe *kp, struct pt_regs *regs)
{
	if (oomx_notify_ret.task == current) {
		oomx_record_stock_select(oomx_now_ns() - oomx_notify_ret.t_ns);
		oomx_notify_ret.task = NULL;
	}
	return 0;
}

static int oomx_stock_kill(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *victim = (void *)regs_get_kernel_argument(regs, 0);

	oomx_record_stock_kill(task_tgid_nr(victim));
	return 0;
}

static int oomx_memcg_oom(struct kprobe *kp, struct pt_regs *regs)
{
	struct mem_cgroup *memcg = (void *)regs_get_kernel_argument(regs, 0);
	struct oomx_slot *s;
	bool fresh;

	this_cpu_inc(oomx_pcpu.memcg_ooms);
	s = oomx_slot(oomx_memcg_slots, oomx_memcg_key(memcg), &fresh);
	if (s)
		atomic64_inc(&s->ooms);
	return 0;
}

/* One finished reclaim (or stall) of kind @k, on this CPU. */
static void oomx_pcpu_add(enum oomx_rstat k, u64 ns, u64 reclaimed,
			  u64 requested)
{
	this_cpu_inc(oomx_pcpu.s[k].count);
	this_cpu_add(oomx_pcpu.s[k].ns, ns);
	this_cpu_add(oomx_pcpu.s[k].reclaimed, reclaimed);
	this_cpu_add(oomx_pcpu.s[k].requested, requested);
}

/* Per-call state of a kretprobe instance. */
struct oomx_rp_data {
	u64 t0;
	u64 requested;
	u64 memcg_key;
};

/* try_to_free_pages(zonelist, order, gfp, nodemask): SWAP_CLUSTER_MAX asked */
static int oomx_direct_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;

	d->t0 = oomx_now_ns();
	d->requested = SWAP_CLUSTER_MAX;
	return 0;
}

static int oomx_direct_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	u64 ns = oomx_now_ns() - d->t0, got = regs_return_value(regs);

	oomx_pcpu_add(OOMX_RS_DIRECT, ns, got, d->requested);
	oomx_task_add(ns, got, d->requested);
	return 0;
}

/* try_to_free_mem_cgroup_pages(memcg, nr_pages, gfp, ...) */
static int oomx_memcg_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	struct mem_cgroup *memcg = (void *)regs_get_kernel_argument(regs, 0);
	unsigned long nr = regs_get_kernel_argument(regs, 1);

	d->t0 = oomx_now_ns();
	d->requested = max_t(unsigned long, nr, SWAP_CLUSTER_MAX);
	d->memcg_key = oomx_memcg_key(memcg);
	return 0;
}

static int oomx_memcg_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct oomx_rp_data *d = (void *)ri->data;
	u64 ns = oomx_now_ns() - d->t0, got = regs_return_value(regs);
	struct oomx_slot *s;
	bool fresh;

	oomx_pcpu_add(OOMX_RS_MEMCG, ns, got, d->requested);
	s = oomx_slot(oomx_memcg_slots, d->memcg_key, &fresh);
	if (s)
		oomx_slot_add(s, ns, got, d->requested);
	oomx_task_add(ns, got, d->requested);
	return 0;
}

/*
 * __alloc_pages_slowpath(): every allocation that missed the fast path.
 * Counted on entry, so the allocation stuck in an OOM right now counts;
 * its time is added when it returns.
 */
static int oomx_slow_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	((struct oomx_rp_data *)ri->data)->t0 = oomx_now_ns();
	this_cpu_inc(oomx_pcpu.s[OOMX_RS_ALLOC_STALL].count);
	return 0;
}

static int oomx_slow_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u64 ns = oomx_now_ns() - ((struct oomx_rp_data *)ri->data)->t0;

	this_cpu_add(oomx_pcpu.s[OOMX_RS_ALLOC_STALL].ns, ns);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                            */
/* ------------------------------------------------------------------ */

struct oomx_hook_desc {
	const char *symbol;
	const char *feature;	/* what stops working without it */
	kprobe_pre_handler_t pre;			/* a kprobe, or */
	kretprobe_handler_t entry, ret;			/* a kretprobe */
	struct kprobe kp;
	struct kretprobe rp;
	bool active;
	int err;
};

static struct oomx_hook_desc oomx_hooks[OOMX_HOOK_NR] = {
	[OOMX_HOOK_OOM_ENTRY] = {
		.symbol = "out_of_memory",
		.feature = "global OOM handling (every event left to the kernel)",
		.pre = oomx_oom_entry,
	},
	[OOMX_HOOK_STOCK_KILL] = {
		.symbol = "__oom_kill_process",
		.feature = "dry_run agreement and stock kill counting",
		.pre = oomx_stock_kill,
	},
	[OOMX_HOOK_STOCK_SELECT] = {
		.symbol = "oom_kill_process",
		.feature = "dry_run timing of the stock selection",
		.pre = oomx_stock_select,
	},
	[OOMX_HOOK_MEMCG_OOM] = {
		.symbol = "mem_cgroup_out_of_memory",
		.feature = "memcg OOM event counts",
		.pre = oomx_memcg_oom,
	},
	[OOMX_HOOK_DIRECT_RECLAIM] = {
		.symbol = "try_to_free_pages",
		.feature = "direct reclaim telemetry",
		.entry = oomx_direct_entry,
		.ret = oomx_direct_ret,
	},
	[OOMX_HOOK_MEMCG_RECLAIM] = {
		.symbol = "try_to_free_mem_cgroup_pages",
		.feature = "memcg reclaim telemetry",
		.entry = oomx_memcg_entry,
		.ret = oomx_memcg_ret,
	},
	[OOMX_HOOK_ALLOC_SLOWPATH] = {
		.symbol = "__alloc_pages_slowpath",
		.feature = "allocation stall telemetry",
		.entry = oomx_slow_entry,
		.ret = oomx_slow_ret,
	},
};

/* Suffixes GCC gives clones of static functions. */
static const char * const oomx_suffixes[] = {
	"", ".constprop.0", ".isra.0", ".part.0",
};

/*
 * disable_hooks: probe points to treat as missing, e.g. to see how oomx
 * degrades on a kernel that lacks one.  Load time only; names checked.
 */
static char oomx_disabled_hooks[256];

static int oomx_param_set_hooks(const char *val, const struct kernel_param *kp)
{
	char buf[sizeof(oomx_disabled_hooks)], *p = buf, *name;
	int i;

	if (strscpy(buf, val, sizeof(buf)) < 0) {
		pr_err("disable_hooks: list too long\n");
		return -EINVAL;
	}
	while ((name = strsep(&p, ",\n")) != NULL) {
		if (!*name)
			continue;
		for (i = 0; i < OOMX_HOOK_NR; i++)
			if (!strcmp(name, oomx_hooks[i].symbol))
				break;
		if (i == OOMX_HOOK_NR) {
			pr_err("disable_hooks: '%s' is not one of oomx's probe points\n",
			       name);
			return -EINVAL;
		}
	}
	strscpy(oomx_disabled_hooks, val, sizeof(oomx_disabled_hooks));
	strim(oomx_disabled_hooks);
	return 0;
}

static int oomx_param_get_hooks(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", oomx_disabled_hooks);
}

static const struct kernel_param_ops oomx_hooks_ops = {
	.set = oomx_param_set_hooks,
	.get = oomx_param_get_hooks,
};
module_param_cb(disable_hooks, &oomx_hooks_ops, NULL, 0444);
MODULE_PARM_DESC(disable_hooks,
		 "Comma-separated probe points to treat as missing (load time only), e.g. try_to_free_pages");

static bool oomx_hook_disabled(const char *symbol)
{
	const char *p = oomx_disabled_hooks;
	size_t n = strlen(symbol);

	while ((p = strstr(p, symbol)) != NULL) {
		bool start = p == oomx_disabled_hooks || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

static int oomx_hook_register(struct oomx_hook_desc *h)
{
	static char name[KSYM_NAME_LEN];
	int i, ret = -ENOENT;

	if (oomx_hook_disabled(h->symbol))
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(oomx_suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", h->symbol, oomx_suffixes[i]);
		if (h->pre) {
			memset(&h->kp, 0, sizeof(h->kp));
			h->kp.symbol_name = name;
			h->kp.pre_handler = h->pre;
			ret = register_kprobe(&h->kp);
		} else {
			memset(&h->rp, 0, sizeof(h->rp));
			h->rp.kp.symbol_name = name;
			h->rp.entry_handler = h->entry;
			h->rp.handler = h->ret;
			h->rp.data_size = sizeof(struct oomx_rp_data);
			/* Concurrent reclaimers beyond this are counted as missed. */
			h->rp.maxactive = max_t(int, 64, 4 * num_possible_cpus());
			ret = register_kretprobe(&h->rp);
		}
		if (!ret)
			break;
		if (ret != -ENOENT && ret != -EINVAL)
			break;
	}
	/* The name buffer is reused: kprobes keep the address, not the name. */
	h->kp.symbol_name = NULL;
	h->rp.kp.symbol_name = NULL;
	return ret;
}

int oomx_hooks_init(void)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		h->err = oomx_hook_register(h);
		h->active = !h->err;
		if (!h->active)
			pr_warn("cannot probe %s (%d%s): disabled %s\n",
				h->symbol, h->err,
				oomx_hook_disabled(h->symbol) ? ", disable_hooks" : "",
				h->feature);
	}
	return 0;
}

void oomx_hooks_exit(void)
{
	int i;

	for (i = OOMX_HOOK_NR - 1; i >= 0; i--) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (!h->active)
			continue;
		if (h->pre)
			unregister_kprobe(&h->kp);
		else
			unregister_kretprobe(&h->rp);
		h->active = false;
	}
}

/* The OOM context, if the out_of_memory() in progress is current's. */
bool oomx_oc_current(struct oomx_oc_snap *snap)
{
	if (!oomx_hooks[OOMX_HOOK_OOM_ENTRY].active || oomx_oc.task != current)
		return false;
	*snap = oomx_oc;
	/* One event, one use: a stale snapshot must not match later. */
	oomx_oc.task = NULL;
	return true;
}

/* ------------------------------------------------------------------ */
/* Reading: process context                                             */
/* ------------------------------------------------------------------ */

void oomx_reclaim_sum(struct oomx_reclaim_sums *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct oomx_reclaim_sums *p = per_cpu_ptr(&oomx_pcpu, cpu);

		for (i = 0; i < OOMX_RS_NR; i++) {
			out->s[i].count += READ_ONCE(p->s[i].count);
			out->s[i].ns += READ_ONCE(p->s[i].ns);
			out->s[i].reclaimed += READ_ONCE(p->s[i].reclaimed);
			out->s[i].requested += READ_ONCE(p->s[i].requested);
		}
		out->memcg_ooms += READ_ONCE(p->memcg_ooms);
		out->global_ooms += READ_ONCE(p->global_ooms);
	}
}

/*
 * Once a second the kthread stores the sums here; a decision compares the
 * sums at the OOM with the sample about OOMX_WINDOW_S seconds older.
 */
#define OOMX_SAMPLES	16
#define OOMX_WINDOW_S	5

static struct {
	u64 t_ns;
	struct oomx_reclaim_sums sums;
} oomx_samples[OOMX_SAMPLES];
static unsigned int oomx_sample_next;
static DEFINE_SPINLOCK(oomx_sample_lock);

void oomx_reclaim_sample(void)
{
	struct oomx_reclaim_sums now;

	oomx_reclaim_sum(&now);
	spin_lock(&oomx_sample_lock);
	oomx_samples[oomx_sample_next].t_ns = oomx_now_ns();
	oomx_samples[oomx_sample_next].sums = now;
	oomx_sample_next = (oomx_sample_next + 1) % OOMX_SAMPLES;
	spin_unlock(&oomx_sample_lock);
}

static void oomx_sums_sub(struct oomx_reclaim_sums *a,
			  const struct oomx_reclaim_sums *b)
{
	int i;

	for (i = 0; i < OOMX_RS_NR; i++) {
		a->s[i].count -= b->s[i].count;
		a->s[i].ns -= b->s[i].ns;
		a->s[i].reclaimed -= b->s[i].reclaimed;
		a->s[i].requested -= b->s[i].requested;
	}
	a->memcg_ooms -= b->memcg_ooms;
	a->global_ooms -= b->global_ooms;
}

void oomx_reclaim_window(struct oomx_reclaim_window *w)
{
	u64 now = oomx_now_ns(), want = OOMX_WINDOW_S * NSEC_PER_SEC;
	int i, old = -1, oldest = -1, base;
	struct oomx_reclaim_sums sums = {};
	u64 t_base = 0;

	oomx_reclaim_sum(&w->d);
	spin_lock(&oomx_sample_lock);
	/* The newest sample at least OOMX_WINDOW_S old, else the oldest. */
	for (i = 0; i < OOMX_SAMPLES; i++) {
		u64 t = oomx_samples[i].t_ns;

		if (!t)
			continue;
		if (now - t >= want && (old < 0 || t > oomx_samples[old].t_ns))
			old = i;
		if (oldest < 0 || t < oomx_samples[oldest].t_ns)
			oldest = i;
	}
	base = old >= 0 ? old : oldest;
	if (base >= 0) {
		sums = oomx_samples[base].sums;
		t_base = oomx_samples[base].t_ns;
	}
	spin_unlock(&oomx_sample_lock);
	/* No sample yet (just loaded): the window is "since load". */
	w->window_ns = t_base ? now - t_base : 0;
	oomx_sums_sub(&w->d, &sums);
}

static unsigned int oomx_pct(u64 part, u64 whole)
{
	return whole ? div64_u64(part * 100, whole) : 0;
}

static void oomx_show_stat(struct seq_file *m, const char *name,
			   const struct oomx_reclaim_stat *s, bool pages)
{
	seq_printf(m, "%s count=%llu stall_ms=%llu", name, s->count,
		   div_u64(s->ns, NSEC_PER_MSEC));
	if (pages)
		seq_printf(m, " reclaimed_kb=%llu requested_kb=%llu efficiency_pct=%u",
			   s->reclaimed << (PAGE_SHIFT - 10),
			   s->requested << (PAGE_SHIFT - 10),
			   oomx_pct(s->reclaimed, s->requested));
	seq_putc(m, '\n');
}

static void oomx_show_slot(struct seq_file *m, const struct oomx_slot *s)
{
	u64 reclaimed = atomic64_read(&s->reclaimed);
	u64 requested = atomic64_read(&s->requested);

	seq_printf(m, " reclaim_count=%lld stall_ms=%llu reclaimed_kb=%llu efficiency_pct=%u ooms=%lld\n",
		   atomic64_read(&s->count),
		   div_u64(atomic64_read(&s->ns), NSEC_PER_MSEC),
		   reclaimed << (PAGE_SHIFT - 10), oomx_pct(reclaimed, requested),
		   atomic64_read(&s->ooms));
}

void oomx_reclaim_show(struct seq_file *m)
{
	static char path[256];	/* under the seq_file's mutex */
	struct oomx_reclaim_sums t;
	int i;

	oomx_reclaim_sum(&t);
	oomx_show_stat(m, "direct_reclaim", &t.s[OOMX_RS_DIRECT], true);
	oomx_show_stat(m, "memcg_reclaim", &t.s[OOMX_RS_MEMCG], true);
	oomx_show_stat(m, "alloc_slowpath", &t.s[OOMX_RS_ALLOC_STALL], false);
	seq_printf(m, "oom_events global=%llu memcg=%llu\n", t.global_ooms,
		   t.memcg_ooms);
	for (i = 0; i < OOMX_SLOTS; i++) {
		const struct oomx_slot *s = &oomx_memcg_slots[i];
		u64 id = atomic64_read(&s->key);
		struct cgroup *cgrp;

		if (!id)
			continue;
		/* Paths as the reader's cgroup namespace sees them. */
		cgrp = cgroup_get_from_id(id);
		if (IS_ERR(cgrp) ||
		    cgroup_path_ns(cgrp, path, sizeof(path),
				   current->nsproxy->cgroup_ns) < 0)
			snprintf(path, sizeof(path), "id:%llu", id);
		if (!IS_ERR(cgrp))
			cgroup_put(cgrp);
		seq_printf(m, "memcg %s", path);
		oomx_show_slot(m, s);
	}
	for (i = 0; i < OOMX_SLOTS; i++) {
		const struct oomx_slot *s = &oomx_task_slots[i];
		u64 key = atomic64_read(&s->key);

		if (!key)
			continue;
		seq_printf(m, "task %llu %.*s", key - 1, TASK_COMM_LEN, s->comm);
		oomx_show_slot(m, s);
	}
	seq_printf(m, "untracked_events %lld\n", atomic64_read(&oomx_slots_dropped));
}

void oomx_hooks_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (!h->active) {
			seq_printf(m, "hook %s missing (%d): %s disabled\n",
				   h->symbol, h->err, h->feature);
		} else if (h->pre) {
			seq_printf(m, "hook %s active at %pS\n", h->symbol,
				   h->kp.addr);
		} else {
			seq_printf(m, "hook %s active at %pS (missed %d)\n",
				   h->symbol, h->rp.kp.addr, h->rp.nmissed);
		}
	}
}
