// SPDX-License-Identifier: GPL-2.0
/*
 * oomx's stable interface: /sys/kernel/oomx, documented in
 * Documentation/ABI/testing/sysfs-kernel-oomx.
 *
 *   stats/<name>     one counter per file (record.c's counters and one
 *                    action_<action> per OOM outcome), world-readable
 *   selection        "oomx", or "kernel" when a probe point oomx needs
 *                    is missing, world-readable
 *   last_decision    the newest OOM decision record, root only: it names
 *                    other users' processes (pid, comm, uid)
 *   last_early       the newest early intervention record, root only
 *
 * debugfs (record.c) keeps the verbose dumps; this is what tools and
 * operators read, and it is there with debugfs unmounted or off.
 * Counters are atomics read one at a time: a reader of two files may see
 * an event between them, never a torn value.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "oomx.h"

#define OOMX_NR_STATS	(OOMX_C_NR + OOMX_ACT_NR)

struct oomx_stat_attr {
	struct kobj_attribute ka;
	unsigned int idx;	/* a counter, then OOMX_C_NR + an action */
	char name[32];
};

/* Set up at init, removed at exit; only sysfs reads them in between. */
static struct kobject *oomx_kobj;
static struct oomx_stat_attr *oomx_stat_attrs;
static struct attribute **oomx_stat_list;
static struct attribute_group oomx_stats_group = { .name = "stats" };

static ssize_t oomx_stat_show(struct kobject *kobj, struct kobj_attribute *ka,
			      char *buf)
{
	const struct oomx_stat_attr *a =
		container_of(ka, struct oomx_stat_attr, ka);
	long v = a->idx < OOMX_C_NR ?
		 atomic_long_read(&oomx_counters[a->idx]) :
		 atomic_long_read(&oomx_actions[a->idx - OOMX_C_NR]);

	return sysfs_emit(buf, "%ld\n", v);
}

static ssize_t selection_show(struct kobject *kobj, struct kobj_attribute *ka,
			      char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  oomx_selection_ready() ? "oomx" : "kernel");
}

static ssize_t last_decision_show(struct kobject *kobj,
				  struct kobj_attribute *ka, char *buf)
{
	return oomx_record_last(buf, PAGE_SIZE, false);
}

static ssize_t last_early_show(struct kobject *kobj, struct kobj_attribute *ka,
			       char *buf)
{
	return oomx_record_last(buf, PAGE_SIZE, true);
}

static struct kobj_attribute oomx_selection_attr = __ATTR_RO(selection);
static struct kobj_attribute oomx_last_decision_attr =
	__ATTR(last_decision, 0400, last_decision_show, NULL);
static struct kobj_attribute oomx_last_early_attr =
	__ATTR(last_early, 0400, last_early_show, NULL);

static struct attribute *oomx_top_attrs[] = {
	&oomx_selection_attr.attr,
	&oomx_last_decision_attr.attr,
	&oomx_last_early_attr.attr,
	NULL,
};

static const struct attribute_group oomx_top_group = {
	.attrs = oomx_top_attrs,
};

static void oomx_sysfs_free(void)
{
	kfree(oomx_stat_list);
	kfree(oomx_stat_attrs);
	oomx_stat_list = NULL;
	oomx_stat_attrs = NULL;
}

int oomx_sysfs_init(void)
{
	unsigned int i;
	int ret;

	oomx_stat_attrs = kcalloc(OOMX_NR_STATS, sizeof(*oomx_stat_attrs),
				  GFP_KERNEL);
	oomx_stat_list = kcalloc(OOMX_NR_STATS + 1, sizeof(*oomx_stat_list),
				 GFP_KERNEL);
	if (!oomx_stat_attrs || !oomx_stat_list) {
		oomx_sysfs_free();
		return -ENOMEM;
	}
	for (i = 0; i < OOMX_NR_STATS; i++) {
		struct oomx_stat_attr *a = &oomx_stat_attrs[i];

		a->idx = i;
		if (i < OOMX_C_NR)
			strscpy(a->name, oomx_counter_name(i), sizeof(a->name));
		else
			snprintf(a->name, sizeof(a->name), "action_%s",
				 oomx_action_name(i - OOMX_C_NR));
		sysfs_attr_init(&a->ka.attr);
		a->ka.attr.name = a->name;
		a->ka.attr.mode = 0444;
		a->ka.show = oomx_stat_show;
		oomx_stat_list[i] = &a->ka.attr;
	}
	oomx_stats_group.attrs = oomx_stat_list;

	oomx_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!oomx_kobj) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = sysfs_create_group(oomx_kobj, &oomx_top_group);
	if (ret)
		goto out_put;
	ret = sysfs_create_group(oomx_kobj, &oomx_stats_group);
	if (ret)
		goto out_put;
	return 0;

out_put:
	/* Removes whatever groups were made with the directory. */
	kobject_put(oomx_kobj);
	oomx_kobj = NULL;
out_free:
	pr_err("cannot create /sys/kernel/%s: %d\n", KBUILD_MODNAME, ret);
	oomx_sysfs_free();
	return ret;
}

/* Waits for readers in a show() to leave before it returns. */
void oomx_sysfs_exit(void)
{
	kobject_put(oomx_kobj);
	oomx_kobj = NULL;
	oomx_sysfs_free();
}
