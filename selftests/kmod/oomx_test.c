// SPDX-License-Identifier: GPL-2.0
/*
 * oomx_test: kernel-side conditions for oomx's in-guest tests that user
 * space cannot create by itself.  Nothing here stands in for the kernel:
 * it registers real objects on the real kernel paths oomx must cope with.
 *
 *   balloon_mb=N (load time): hold N MiB of pages and register an OOM
 *     notifier that gives them back at the first global OOM and reports
 *     them in *freed, as virtio_balloon's deflate-on-oom does.
 *   notifier_calls, balloon_freed_pages (read): what the notifier did.
 *   mmu_notifier_pid (write a pid): register an mmu notifier on that
 *     process's mm, as KVM or a GPU driver does, whose invalidations
 *     honour the non-blocking mode the stock OOM reaper uses.
 *   dsleep_ms (write N): the writer sleeps N ms uninterruptibly in the
 *     kernel, as a task waiting on a dead NFS server or a slow disk does;
 *     SIGKILL cannot wake it.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/oom.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

static unsigned int balloon_mb;
module_param(balloon_mb, uint, 0444);
MODULE_PARM_DESC(balloon_mb, "MiB held and given back at the first global OOM");

static unsigned long notifier_calls;
module_param(notifier_calls, ulong, 0444);
static unsigned long balloon_freed_pages;
module_param(balloon_freed_pages, ulong, 0444);

static LIST_HEAD(balloon);		/* pages, under oom_lock or at load */
static unsigned long balloon_pages;

static int balloon_oom_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	unsigned long *freed = data;
	struct page *page, *next;

	notifier_calls++;
	list_for_each_entry_safe(page, next, &balloon, lru) {
		list_del(&page->lru);
		__free_page(page);
		balloon_pages--;
		balloon_freed_pages++;
		(*freed)++;
	}
	return NOTIFY_OK;
}

static struct notifier_block balloon_nb = {
	.notifier_call = balloon_oom_notify,
	.priority = 80,		/* virtio_balloon's */
};

struct test_mn {
	struct mmu_notifier mn;
	struct mm_struct *mm;		/* mmgrab() held */
	struct list_head node;
};

static LIST_HEAD(test_mns);
static DEFINE_MUTEX(test_mns_lock);

static int test_mn_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	/* A driver that never needs to sleep to invalidate. */
	return 0;
}

static const struct mmu_notifier_ops test_mn_ops = {
	.invalidate_range_start = test_mn_start,
};

static int set_mmu_notifier_pid(const char *val, const struct kernel_param *kp)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct test_mn *t;
	struct pid *pid;
	int nr, ret;

	ret = kstrtoint(val, 0, &nr);
	if (ret)
		return ret;
	pid = find_get_pid(nr);
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return -ESRCH;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -EINVAL;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		mmput(mm);
		return -ENOMEM;
	}
	t->mn.ops = &test_mn_ops;
	ret = mmu_notifier_register(&t->mn, mm);
	if (ret) {
		kfree(t);
		mmput(mm);
		return ret;
	}
	mmgrab(mm);
	t->mm = mm;
	mmput(mm);
	mutex_lock(&test_mns_lock);
	list_add(&t->node, &test_mns);
	mutex_unlock(&test_mns_lock);
	return 0;
}

static const struct kernel_param_ops mmu_notifier_pid_ops = {
	.set = set_mmu_notifier_pid,
};
module_param_cb(mmu_notifier_pid, &mmu_notifier_pid_ops, NULL, 0200);
MODULE_PARM_DESC(mmu_notifier_pid, "Register an mmu notifier on this process's mm");

static int set_dsleep_ms(const char *val, const struct kernel_param *kp)
{
	unsigned long end = jiffies + 300 * HZ;
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	/*
	 * Stuck from the kill on, for @ms: a victim's D state must not end
	 * at a point that depends on how long the OOM took to come (a slow
	 * kernel once let it run out before the test looked).  Until the
	 * kill, one killable sleep: D in /proc all along.  Waking every
	 * 20 ms to look for the signal made it runnable (R) at each wake-up,
	 * and a test that looked then saw R (deb6.1 under TCG, twice).
	 */
	while (!fatal_signal_pending(current) && time_before(jiffies, end))
		schedule_timeout_killable(end - jiffies);
	schedule_timeout_uninterruptible(msecs_to_jiffies(min(ms, 60000U)));
	return 0;
}

static const struct kernel_param_ops dsleep_ms_ops = {
	.set = set_dsleep_ms,
};
module_param_cb(dsleep_ms, &dsleep_ms_ops, NULL, 0200);
MODULE_PARM_DESC(dsleep_ms, "The writer sleeps in D state until a fatal signal (at most 300 s), then this long more (at most 60 s)");

static int __init oomx_test_init(void)
{
	unsigned long i, n = (unsigned long)balloon_mb << (20 - PAGE_SHIFT);

	for (i = 0; i < n; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

		if (!page)
			break;
		list_add(&page->lru, &balloon);
		balloon_pages++;
	}
	if (balloon_pages < n) {
		balloon_oom_notify(NULL, 0, &i);
		return -ENOMEM;
	}
	return register_oom_notifier(&balloon_nb);
}

static void __exit oomx_test_exit(void)
{
	struct test_mn *t, *next;
	unsigned long freed = 0;

	unregister_oom_notifier(&balloon_nb);
	balloon_oom_notify(NULL, 0, &freed);
	list_for_each_entry_safe(t, next, &test_mns, node) {
		mmu_notifier_unregister(&t->mn, t->mm);
		mmdrop(t->mm);
		list_del(&t->node);
		kfree(t);
	}
	mmu_notifier_synchronize();
}

module_init(oomx_test_init);
module_exit(oomx_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oomx in-guest test helper: an OOM notifier that frees memory, mmu notifiers");
