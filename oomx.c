// SPDX-License-Identifier: GPL-2.0
/*
 * oomx: an OOM policy module.  The kernel's OOM path stays the kernel's;
 * oomx chooses the victim with its own policy and hands the kernel that
 * choice, and its own reaper brings the victim's memory back early.
 * include/oomx.h maps the files; this one brings them up and down.
 *
 * Up: parameters checked, the workqueue, records (debugfs), then
 * /sys/kernel/oomx, the reaper, the early watcher, the hooks (registered
 * disarmed), then armed if enabled.
 * Down: hooks disarmed and unregistered (no handler runs after that),
 * the early watcher stopped, the reaper stopped
 * (queued victims are the kernel's reaper's, which the kernel queued
 * when it killed them), the open event closed and every event recorded,
 * /sys/kernel/oomx and the records removed.  Safe at any moment, during
 * an OOM too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>

#include "oomx.h"

struct workqueue_struct *oomx_wq;

static int __init oomx_init(void)
{
	int ret;

	ret = oomx_params_check();
	if (ret)
		goto out_rules;
	/* Records are written under memory pressure: keep a rescuer. */
	oomx_wq = alloc_ordered_workqueue("oomx", WQ_MEM_RECLAIM);
	if (!oomx_wq) {
		ret = -ENOMEM;
		goto out_rules;
	}
	ret = oomx_records_init();
	if (ret)
		goto out_wq;
	ret = oomx_sysfs_init();
	if (ret)
		goto out_records;
	oomx_events_init();
	ret = oomx_reaper_start();
	if (ret)
		goto out_sysfs;
	ret = oomx_early_start();
	if (ret)
		goto out_reaper;
	ret = oomx_probes_init();
	if (ret)
		goto out_early;
	oomx_telemetry_start();
	oomx_params_live(true);

	pr_info("oomx %s loaded on Linux %s (%s): policy=%s enabled=%d dry_run=%d selection=%s\n",
		OOMX_VERSION, init_utsname()->release, init_utsname()->machine,
		oomx_policy_name(oomx_policy), oomx_enabled, oomx_dry_run,
		oomx_selection_ready() ? "oomx" : "kernel");
	return 0;

out_early:
	oomx_early_stop();
out_reaper:
	oomx_reaper_stop();
out_sysfs:
	oomx_sysfs_exit();
out_records:
	oomx_records_exit();
out_wq:
	destroy_workqueue(oomx_wq);
out_rules:
	oomx_rules_exit();	/* what modprobe.d options set */
	return ret;
}

static void __exit oomx_exit(void)
{
	oomx_params_live(false);
	oomx_probes_exit();
	oomx_telemetry_stop();
	/* Before the reaper: an early kill may still hand it a victim. */
	oomx_early_stop();
	oomx_growth_exit();
	/*
	 * The reaper before the events: an event still open here (unloaded
	 * in the middle of an OOM) is closed only once nothing can reap its
	 * victims while the kernel's kill path may still be killing.
	 */
	oomx_reaper_stop();
	oomx_events_exit();
	oomx_sysfs_exit();
	oomx_records_exit();
	destroy_workqueue(oomx_wq);
	/* Last: every event and the watcher have put theirs. */
	oomx_rules_exit();
	pr_info("oomx unloaded\n");
}

module_init(oomx_init);
module_exit(oomx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oomx: OOM victim selection policy and early reaper");
MODULE_VERSION(OOMX_VERSION);
