// SPDX-License-Identifier: GPL-2.0
/*
 * oomx probes: every place oomx hooks into the kernel, in one table:
 * kprobes and kretprobes on the OOM and reclaim path, the oom:mark_victim
 * tracepoint and the OOM notifier chain.
 *
 * At load each entry is resolved (static functions may carry a compiler
 * suffix such as .constprop.0, or be inlined away; tracepoints are found
 * with for_each_kernel_tracepoint()) and kprobes are registered disarmed.
 * oomx_probes_arm() arms them all and oomx_probes_disarm() takes them all
 * off again (enabled=0): the gate, out_of_memory(), is armed last and
 * disarmed first, so an event never sees half of oomx.  A hook that
 * cannot be placed disables only its feature, with one log line and a
 * line in debugfs status; if one that victim selection needs is missing,
 * selection stays the kernel's, entirely.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/notifier.h>
#include <linux/oom.h>
#include <linux/tracepoint.h>

#include "compat.h"
#include "oomx.h"

enum oomx_hook_type {
	OOMX_KPROBE,
	OOMX_KRETPROBE,
	OOMX_TRACEPOINT,
	OOMX_NOTIFIER,
};

struct oomx_hook_desc {
	const char *name;	/* function, tracepoint or chain */
	const char *feature;	/* what stops working without it */
	enum oomx_hook_type type;
	kprobe_pre_handler_t pre;
	kretprobe_handler_t entry, ret;
	size_t data_size;
	bool clones_ok;		/* reads no argument: a .constprop clone will do */
	void *tp_probe;
	struct kprobe kp;
	struct kretprobe rp;
	struct tracepoint *tp;
	struct notifier_block nb;
	bool ready;		/* resolved and registered (kprobes: disarmed) */
	bool armed;
	bool unwanted;		/* left idle: the configuration needs it not */
	int err;
};

/*
 * Indexed by enum oomx_hook, whose order is the arming order (see there).
 * Only a hook that reads no argument may land on a compiler clone
 * (.constprop.0 and the like): a clone's arguments need not be the
 * prototype's.
 */
static struct oomx_hook_desc oomx_hooks[OOMX_HOOK_NR] = {
	[OOMX_HOOK_KSWAPD_WAKE] = {
		.name = "mm_vmscan_kswapd_wake",
		.feature = "early intervention (wake-up on page cache reclaim)",
		.type = OOMX_TRACEPOINT,
		.tp_probe = oomx_kswapd_wake_probe,
	},
	[OOMX_HOOK_MEMSTALL_ENTER] = {
		.name = "psi_memstall_enter",
		.feature = "early intervention (memory stall evidence)",
		.type = OOMX_KRETPROBE,
		.entry = oomx_memstall_entry,
		.ret = oomx_memstall_enter_ret,
		.data_size = OOMX_MEMSTALL_DATA_SIZE,
	},
	[OOMX_HOOK_MEMSTALL_LEAVE] = {
		.name = "psi_memstall_leave",
		.feature = "early intervention (memory stall evidence)",
		.type = OOMX_KRETPROBE,
		.entry = oomx_memstall_entry,
		.ret = oomx_memstall_leave_ret,
		.data_size = OOMX_MEMSTALL_DATA_SIZE,
	},
	[OOMX_HOOK_DIRECT_RECLAIM] = {
		.name = "try_to_free_pages",
		.feature = "direct reclaim telemetry",
		.type = OOMX_KRETPROBE,
		.entry = oomx_direct_entry,
		.ret = oomx_direct_ret,
		.data_size = OOMX_RECLAIM_DATA_SIZE,
	},
	[OOMX_HOOK_MEMCG_RECLAIM] = {
		.name = "try_to_free_mem_cgroup_pages",
		.feature = "memcg reclaim telemetry",
		.type = OOMX_KRETPROBE,
		.entry = oomx_memcg_entry,
		.ret = oomx_memcg_ret,
		.data_size = OOMX_RECLAIM_DATA_SIZE,
	},
	[OOMX_HOOK_REFAULT] = {
		.name = "workingset_refault",
		.feature = "early intervention in memory cgroups (refaults per cgroup)",
		.type = OOMX_KPROBE,
		.pre = oomx_refault_pre,
	},
	[OOMX_HOOK_ALLOC_SLOWPATH] = {
		.name = "__alloc_pages_slowpath",
		.feature = "allocation stall telemetry",
		.type = OOMX_KRETPROBE,
		.entry = oomx_slow_entry,
		.ret = oomx_slow_ret,
		.data_size = OOMX_RECLAIM_DATA_SIZE,
		.clones_ok = true,
	},
	[OOMX_HOOK_MEMCG_OOM] = {
		.name = "mem_cgroup_out_of_memory",
		.feature = "per-cgroup OOM counts",
		.type = OOMX_KPROBE,
		.pre = oomx_memcg_oom_pre,
	},
	[OOMX_HOOK_VICTIM] = {
		.name = "mark_victim",
		.feature = "oomx's reaper (the kernel's reaps alone)",
		.type = OOMX_TRACEPOINT,
		.tp_probe = OOMX_MARK_VICTIM_PROBE,
	},
	[OOMX_HOOK_DECISION] = {
		.name = "oom_kill_process",
		.feature = "the kernel's choice in decision records",
		.type = OOMX_KPROBE,
		.pre = oomx_decision_pre,
	},
	[OOMX_HOOK_CANDIDATE] = {
		.name = "oom_badness",
		.feature = "oomx's victim selection (the kernel's policy stays)",
		.type = OOMX_KRETPROBE,
		.entry = oomx_cand_entry,
		.ret = oomx_cand_return,
		.data_size = OOMX_CAND_DATA_SIZE,
	},
	[OOMX_HOOK_NOTIFIER] = {
		.name = "oom_notifier",
		.feature = "notifier-freed memory in decision records",
		.type = OOMX_NOTIFIER,
		.nb = {
			.notifier_call = oomx_oom_notify,
			/* last, so it sees what every other notifier freed */
			.priority = INT_MIN,
		},
	},
	[OOMX_HOOK_OOM] = {
		.name = "out_of_memory",
		.feature = "every OOM feature (OOMs are left to the kernel)",
		.type = OOMX_KRETPROBE,
		.entry = oomx_oom_entry,
		.ret = oomx_oom_return,
		.data_size = OOMX_OOM_DATA_SIZE,
	},
};

/* Suffixes GCC gives clones of static functions. */
static const char * const oomx_suffixes[] = {
	"", ".constprop.0", ".isra.0", ".part.0",
};

bool oomx_hook_known(const char *name)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++)
		if (!strcmp(name, oomx_hooks[i].name))
			return true;
	return false;
}

static int oomx_kprobe_register(struct oomx_hook_desc *h)
{
	char name[KSYM_NAME_LEN];
	int i, ret = -ENOENT;

	for (i = 0; i < (h->clones_ok ? ARRAY_SIZE(oomx_suffixes) : 1); i++) {
		snprintf(name, sizeof(name), "%s%s", h->name, oomx_suffixes[i]);
		if (h->type == OOMX_KPROBE) {
			memset(&h->kp, 0, sizeof(h->kp));
			h->kp.symbol_name = name;
			h->kp.pre_handler = h->pre;
			h->kp.flags = KPROBE_FLAG_DISABLED;
			ret = register_kprobe(&h->kp);
			h->kp.symbol_name = NULL;
		} else {
			memset(&h->rp, 0, sizeof(h->rp));
			h->rp.kp.symbol_name = name;
			h->rp.kp.flags = KPROBE_FLAG_DISABLED;
			h->rp.entry_handler = h->entry;
			h->rp.handler = h->ret;
			h->rp.data_size = h->data_size;
			/* Calls in flight at once; more are counted as missed. */
			h->rp.maxactive = max_t(int, 16, 4 * num_possible_cpus());
			ret = register_kretprobe(&h->rp);
			h->rp.kp.symbol_name = NULL;
		}
		/* kprobes keep the address, not the name: the buffer can go. */
		if (ret != -ENOENT && ret != -EINVAL)
			break;
	}
	return ret;
}

static void oomx_find_tp(struct tracepoint *tp, void *priv)
{
	struct oomx_hook_desc *h = priv;

	if (!strcmp(tp->name, h->name))
		h->tp = tp;
}

static int oomx_hook_prepare(struct oomx_hook_desc *h)
{
	if (oomx_hook_disabled_by_param(h->name))
		return -ENOENT;
	switch (h->type) {
	case OOMX_KPROBE:
	case OOMX_KRETPROBE:
		return oomx_kprobe_register(h);
	case OOMX_TRACEPOINT:
		for_each_kernel_tracepoint(oomx_find_tp, h);
		return h->tp ? 0 : -ENOENT;
	case OOMX_NOTIFIER:
		return 0;
	}
	return -EINVAL;
}

int oomx_probes_init(void)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		h->err = oomx_hook_prepare(h);
		h->ready = !h->err;
		if (!h->ready)
			pr_warn("cannot hook %s (%d%s): no %s\n", h->name, h->err,
				oomx_hook_disabled_by_param(h->name) ?
				", disable_hooks" : "", h->feature);
	}
	if (!oomx_selection_ready())
		pr_warn("OOM victims are chosen by the kernel's own policy: a hook oomx's selection needs is missing\n");
	return 0;
}

static int oomx_hook_arm(struct oomx_hook_desc *h)
{
	switch (h->type) {
	case OOMX_KPROBE:
		return enable_kprobe(&h->kp);
	case OOMX_KRETPROBE:
		return enable_kretprobe(&h->rp);
	case OOMX_TRACEPOINT:
		return tracepoint_probe_register(h->tp, h->tp_probe, NULL);
	case OOMX_NOTIFIER:
		return register_oom_notifier(&h->nb);
	}
	return -EINVAL;
}

static void oomx_hook_disarm(struct oomx_hook_desc *h)
{
	switch (h->type) {
	case OOMX_KPROBE:
		disable_kprobe(&h->kp);
		break;
	case OOMX_KRETPROBE:
		disable_kretprobe(&h->rp);
		break;
	case OOMX_TRACEPOINT:
		tracepoint_probe_unregister(h->tp, h->tp_probe, NULL);
		break;
	case OOMX_NOTIFIER:
		unregister_oom_notifier(&h->nb);
		break;
	}
}

/* Caller serialises arm/disarm (params.c). */
int oomx_probes_arm(void)
{
	int i, ret;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (!h->ready || h->armed || h->unwanted)
			continue;
		ret = oomx_hook_arm(h);
		if (ret) {
			pr_warn("cannot arm %s (%d): no %s\n", h->name, ret,
				h->feature);
			h->err = ret;
			continue;
		}
		h->armed = true;
	}
	return 0;
}

void oomx_probes_disarm(void)
{
	int i;

	for (i = OOMX_HOOK_NR - 1; i >= 0; i--) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (h->armed)
			oomx_hook_disarm(h);
		h->armed = false;
	}
}

/**
 * oomx_probes_want - arm a hook only while the configuration needs it
 * @i: the hook
 * @want: needed now
 * @live: the hooks are armed (enabled, and loaded)
 *
 * Caller serialises arm/disarm (params.c).  The candidate hook is the one
 * user: an event opened while it was idle knows it (trigger.c), and one
 * that saw it go idle in the middle of its scan leaves the choice to the
 * kernel's own scores.
 */
void oomx_probes_want(enum oomx_hook i, bool want, bool live)
{
	struct oomx_hook_desc *h = &oomx_hooks[i];
	int ret;

	h->unwanted = !want;
	if (!h->ready || !live || h->armed == want)
		return;
	if (!want) {
		oomx_hook_disarm(h);
		WRITE_ONCE(h->armed, false);
		return;
	}
	ret = oomx_hook_arm(h);
	if (ret) {
		pr_warn("cannot arm %s (%d): no %s\n", h->name, ret, h->feature);
		h->err = ret;
		return;
	}
	WRITE_ONCE(h->armed, true);
}

/* After oomx_probes_disarm(): no handler of oomx's runs once this returns. */
void oomx_probes_exit(void)
{
	int i;

	oomx_probes_disarm();
	for (i = OOMX_HOOK_NR - 1; i >= 0; i--) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (!h->ready)
			continue;
		if (h->type == OOMX_KPROBE)
			unregister_kprobe(&h->kp);
		else if (h->type == OOMX_KRETPROBE)
			unregister_kretprobe(&h->rp);
		h->ready = false;
	}
	/* Tracepoint probes may still be running on another CPU. */
	tracepoint_synchronize_unregister();
}

bool oomx_hook_active(enum oomx_hook h)
{
	return READ_ONCE(oomx_hooks[h].armed);
}

/* Calls a return probe missed (too many in flight) since load. */
unsigned long oomx_hook_missed(enum oomx_hook h)
{
	const struct oomx_hook_desc *d = &oomx_hooks[h];

	return d->type == OOMX_KRETPROBE && d->ready ?
		READ_ONCE(d->rp.nmissed) + READ_ONCE(d->rp.kp.nmissed) : 0;
}

/* Can oomx choose OOM victims?  It needs the event and every candidate. */
bool oomx_selection_ready(void)
{
	return oomx_hooks[OOMX_HOOK_OOM].ready &&
	       oomx_hooks[OOMX_HOOK_CANDIDATE].ready;
}

void oomx_probes_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		const struct oomx_hook_desc *h = &oomx_hooks[i];

		if (!h->ready) {
			seq_printf(m, "hook %s missing (%d): no %s\n", h->name,
				   h->err, h->feature);
			continue;
		}
		seq_printf(m, "hook %s %s", h->name,
			   h->armed ? "active" : "idle");
		if (h->unwanted)
			seq_puts(m, " (not needed: the kernel's scan is oomx's selection)");
		if (h->type == OOMX_KPROBE)
			seq_printf(m, " at %pS", h->kp.addr);
		else if (h->type == OOMX_KRETPROBE)
			seq_printf(m, " at %pS missed %lu", h->rp.kp.addr,
				   oomx_hook_missed(i));
		seq_putc(m, '\n');
	}
}
