// SPDX-License-Identifier: GPL-2.0
/*
 * oomx hooks: kprobes on the kernel's OOM and reclaim path, all in one
 * table.  Each entry is resolved at load time (static functions may carry
 * a compiler suffix such as .constprop.0, or vanish), installed in table
 * order and removed in reverse.  A probe that cannot be placed disables
 * only the feature that needs it, with one log line, and shows in
 * /sys/kernel/debug/oomx/status; it never fails the load.
 *
 * Handlers run in atomic context and only record.  Deciding and acting
 * happen in the OOM notifier (process context) or oomx's kthread.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/nodemask.h>
#include <linux/oom.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

#include "oomx.h"

/*
 * The OOM context of the out_of_memory() call in progress.  Every caller
 * of out_of_memory() holds oom_lock, so there is one writer at a time, and
 * the notifier reading it runs later in the same task: program order is
 * all the ordering needed.
 */
static struct oomx_oc_snap oomx_oc;

static int oomx_oom_entry(struct kprobe *kp, struct pt_regs *regs)
{
	struct oom_control *oc = (void *)regs_get_kernel_argument(regs, 0);

	oomx_oc.gfp_mask = oc->gfp_mask;
	oomx_oc.order = oc->order;
	oomx_oc.memcg = oc->memcg != NULL;
	oomx_oc.constrained = oc->nodemask &&
		!nodes_subset(node_states[N_MEMORY], *oc->nodemask);
	oomx_oc.t_ns = ktime_get_ns();
	oomx_oc.task = current;
	return 0;
}

static int oomx_stock_kill(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *victim = (void *)regs_get_kernel_argument(regs, 0);

	oomx_record_stock_kill(task_tgid_nr(victim));
	return 0;
}

struct oomx_hook_desc {
	const char *symbol;
	const char *feature;	/* what stops working without it */
	kprobe_pre_handler_t pre;
	struct kprobe kp;
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
};

/* Suffixes GCC gives clones of static functions. */
static const char * const oomx_suffixes[] = {
	"", ".constprop.0", ".isra.0", ".part.0", ".cold",
};

static int oomx_hook_register(struct oomx_hook_desc *h)
{
	static char name[KSYM_NAME_LEN];
	int i, ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(oomx_suffixes); i++) {
		snprintf(name, sizeof(name), "%s%s", h->symbol, oomx_suffixes[i]);
		memset(&h->kp, 0, sizeof(h->kp));
		h->kp.symbol_name = name;
		h->kp.pre_handler = h->pre;
		ret = register_kprobe(&h->kp);
		if (!ret) {
			/* kprobe keeps the pointer: give it a stable copy. */
			h->kp.symbol_name = NULL;
			return 0;
		}
		if (ret != -ENOENT && ret != -EINVAL)
			break;
	}
	h->kp.symbol_name = NULL;
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
			pr_warn("cannot probe %s (%d): disabled %s\n",
				h->symbol, h->err, h->feature);
	}
	return 0;
}

void oomx_hooks_exit(void)
{
	int i;

	for (i = OOMX_HOOK_NR - 1; i >= 0; i--) {
		if (oomx_hooks[i].active)
			unregister_kprobe(&oomx_hooks[i].kp);
		oomx_hooks[i].active = false;
	}
}

bool oomx_hook_active(enum oomx_hook h)
{
	return oomx_hooks[h].active;
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

void oomx_hooks_show(struct seq_file *m)
{
	int i;

	for (i = 0; i < OOMX_HOOK_NR; i++) {
		struct oomx_hook_desc *h = &oomx_hooks[i];

		if (h->active)
			seq_printf(m, "hook %s active at %pS\n", h->symbol,
				   h->kp.addr);
		else
			seq_printf(m, "hook %s missing (%d): %s disabled\n",
				   h->symbol, h->err, h->feature);
	}
}
