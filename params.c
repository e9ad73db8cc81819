// SPDX-License-Identifier: GPL-2.0
/*
 * oomx parameters: the files in /sys/module/oomx/parameters, also settable at load
 * (modprobe.d).  Every write is validated whole: a bad value gets -EINVAL,
 * one log line saying why, and the old value stays.  Values are parsed by
 * the kernel's own helpers (param_set_bool(), param_set_uint_minmax())
 * into a temporary, checked against the other parameters, then stored.
 *
 * Writes from sysfs are serialised by the kernel (kernel_param_lock()),
 * so a cross-check sees a stable value of the other parameter.  Readers
 * anywhere use READ_ONCE(); an OOM event reads them once, at its start.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "oomx.h"

bool oomx_enabled = true;
bool oomx_dry_run;
enum oomx_policy oomx_policy = OOMX_POLICY_CLASSIC;
unsigned int oomx_reap_delay_ms = 2000;
unsigned int oomx_reap_verified_delay_ms = 50;
unsigned int oomx_top_candidates = 5;
bool oomx_score_all;
bool oomx_early = true;
unsigned int oomx_early_stall_pct = 40;
unsigned int oomx_early_sustain_ms = 2000;
unsigned int oomx_early_refault_kbps = 1024;
unsigned int oomx_early_avail_floor_pct = 2;
unsigned int oomx_early_refault_avail_pct = 20;
unsigned int oomx_early_refault_pct = 2;
unsigned int oomx_early_swap_floor_pct = 10;
unsigned int oomx_term_grace_ms = 1000;

/*
 * Arming and disarming the probes (enabled) is serialised here, and
 * stops once the module starts going away.
 */
static DEFINE_MUTEX(oomx_arm_lock);
static bool oomx_live;		/* under oomx_arm_lock */
static void oomx_scan_update(void);

/* The value as the user wrote it, without the newline echo adds. */
static int oomx_vlen(const char *val)
{
	return (int)strcspn(val, "\n");
}

static int oomx_param_bool(const char *val, const struct kernel_param *kp,
			   bool *out)
{
	if (oomx_parse_bool(val, out)) {
		pr_err("%s: '%.*s' is not a boolean (use 0/1, y/n, on/off); keeping %d\n",
		       kp->name, oomx_vlen(val), val, *(bool *)kp->arg);
		return -EINVAL;
	}
	return 0;
}

static int oomx_set_enabled(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (oomx_param_bool(val, kp, &v))
		return -EINVAL;
	mutex_lock(&oomx_arm_lock);
	if (oomx_live && v != oomx_enabled) {
		if (v)
			oomx_probes_arm();
		else
			oomx_probes_disarm();
	}
	WRITE_ONCE(oomx_enabled, v);
	mutex_unlock(&oomx_arm_lock);
	return 0;
}

static const struct kernel_param_ops oomx_enabled_ops = {
	.set = oomx_set_enabled,
	.get = param_get_bool,
};

static int oomx_set_bool(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (oomx_param_bool(val, kp, &v))
		return -EINVAL;
	WRITE_ONCE(*(bool *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops oomx_bool_ops = {
	.set = oomx_set_bool,
	.get = param_get_bool,
};

/* dry_run and score_all: whether oomx must see every candidate. */
static int oomx_set_scan_bool(const char *val, const struct kernel_param *kp)
{
	if (oomx_set_bool(val, kp))
		return -EINVAL;
	oomx_scan_update();
	return 0;
}

static const struct kernel_param_ops oomx_scan_bool_ops = {
	.set = oomx_set_scan_bool,
	.get = param_get_bool,
};

static int oomx_set_policy(const char *val, const struct kernel_param *kp)
{
	enum oomx_policy p;

	if (oomx_parse_policy(val, &p)) {
		pr_err("policy: '%.*s' is not one of classic, largest, adj_first, growth, cgroup_first; keeping %s\n",
		       oomx_vlen(val), val, oomx_policy_name(oomx_policy));
		return -EINVAL;
	}
	WRITE_ONCE(oomx_policy, p);
	oomx_early_policy_changed();
	oomx_scan_update();
	return 0;
}

static int oomx_get_policy(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", oomx_policy_name(READ_ONCE(oomx_policy)));
}

static const struct kernel_param_ops oomx_policy_ops = {
	.set = oomx_set_policy,
	.get = oomx_get_policy,
};

/* An unsigned parameter: its bounds, and a check against the others. */
struct oomx_uint_param {
	unsigned int *val;
	unsigned int min, max;
	int (*check)(const char *name, unsigned int v);
};

static int oomx_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct oomx_uint_param *p = kp->arg;
	struct kernel_param tmp = *kp;
	unsigned int v;

	tmp.arg = &v;
	if (param_set_uint_minmax(val, &tmp, p->min, p->max)) {
		pr_err("%s: '%.*s' is not an integer in [%u, %u]; keeping %u\n",
		       kp->name, oomx_vlen(val), val, p->min, p->max, *p->val);
		return -EINVAL;
	}
	if (p->check && p->check(kp->name, v))
		return -EINVAL;
	WRITE_ONCE(*p->val, v);
	return 0;
}

static int oomx_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct oomx_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops oomx_uint_ops = {
	.set = oomx_set_uint,
	.get = oomx_get_uint,
};

/*
 * The two reap delays are checked against each other once the module is
 * live; at load they may come in any order, and oomx_params_check() looks
 * at the pair before the module starts.
 */
static int oomx_check_delay(const char *name, unsigned int v)
{
	if (!oomx_live || !oomx_check_reap_delays(v, oomx_reap_verified_delay_ms))
		return 0;
	pr_err("%s: %u is below reap_verified_delay_ms (%u); keeping %u\n",
	       name, v, oomx_reap_verified_delay_ms, oomx_reap_delay_ms);
	return -EINVAL;
}

static int oomx_check_verified_delay(const char *name, unsigned int v)
{
	if (!oomx_live || !oomx_check_reap_delays(oomx_reap_delay_ms, v))
		return 0;
	pr_err("%s: %u is above reap_delay_ms (%u); keeping %u\n",
	       name, v, oomx_reap_delay_ms, oomx_reap_verified_delay_ms);
	return -EINVAL;
}

#define OOMX_UINT_PARAM(name, lo, hi, chk)				\
	static struct oomx_uint_param oomx_##name##_param = {		\
		.val = &oomx_##name, .min = (lo), .max = (hi),		\
		.check = (chk),						\
	};								\
	module_param_cb(name, &oomx_uint_ops, &oomx_##name##_param, 0644)

module_param_cb(enabled, &oomx_enabled_ops, &oomx_enabled, 0644);
MODULE_PARM_DESC(enabled,
		 "oomx on every OOM path (1, default), or every hook disarmed as if not loaded (0)");
module_param_cb(dry_run, &oomx_scan_bool_ops, &oomx_dry_run, 0644);
MODULE_PARM_DESC(dry_run,
		 "Record oomx's choice but let the kernel choose and reap alone, recording whether they agreed (default 0)");
module_param_cb(policy, &oomx_policy_ops, NULL, 0644);
MODULE_PARM_DESC(policy,
		 "Victim scoring: classic (the kernel's oom_badness, default), largest (memory only), adj_first (highest oom_score_adj, then memory), growth (oom_badness plus what the task gained over the last seconds), cgroup_first (the worst cgroup by usage and growth, then oom_badness inside it)");
OOMX_UINT_PARAM(reap_delay_ms, 0, 60000, oomx_check_delay);
MODULE_PARM_DESC(reap_delay_ms,
		 "Milliseconds a victim gets to exit before oomx reaps it when its robust futex lists could not be read, 0-60000 (default 2000, the kernel's own delay)");
OOMX_UINT_PARAM(reap_verified_delay_ms, 0, 60000, oomx_check_verified_delay);
MODULE_PARM_DESC(reap_verified_delay_ms,
		 "Milliseconds before oomx reaps a victim whose robust futex lists it read and keeps, 0-reap_delay_ms (default 50)");
module_param_cb(score_all, &oomx_scan_bool_ops, &oomx_score_all, 0644);
MODULE_PARM_DESC(score_all,
		 "Score every candidate, for complete records (the top list, what classic would have chosen), at the cost of a return probe each; otherwise only those whose score oomx's policy may change and that may still be the choice (default 0; dry_run always scores all)");
module_param_cb(early, &oomx_bool_ops, &oomx_early, 0644);
MODULE_PARM_DESC(early,
		 "Act before an OOM when reclaim evidence shows the machine thrashing, refaulting on little memory, or below both floors (default 1)");
OOMX_UINT_PARAM(early_stall_pct, 1, 100, NULL);
MODULE_PARM_DESC(early_stall_pct,
		 "Thrashing: share of time some task is in a memory stall, 1-100 % (default 40)");
OOMX_UINT_PARAM(early_sustain_ms, 100, 600000, NULL);
MODULE_PARM_DESC(early_sustain_ms,
		 "Thrashing or refaulting must last this long before oomx acts, 100-600000 ms (default 2000)");
OOMX_UINT_PARAM(early_refault_kbps, 0, 16777216, NULL);
MODULE_PARM_DESC(early_refault_kbps,
		 "Thrashing and refaulting need refaults of at least this many KiB/s over their length (default 1024)");
OOMX_UINT_PARAM(early_refault_avail_pct, 0, 50, NULL);
MODULE_PARM_DESC(early_refault_avail_pct,
		 "Refaulting: counts only while MemAvailable is under this % of RAM, 0 (off)-50 (default 20)");
OOMX_UINT_PARAM(early_refault_pct, 1, 100, NULL);
MODULE_PARM_DESC(early_refault_pct,
		 "Refaulting: refaults per second must reach this % of MemAvailable, 1-100 (default 2)");
OOMX_UINT_PARAM(early_avail_floor_pct, 0, 50, NULL);
MODULE_PARM_DESC(early_avail_floor_pct,
		 "Floor: act when MemAvailable is under this % of RAM, free swap under early_swap_floor_pct and tasks stall, 0 (off)-50 (default 2)");
OOMX_UINT_PARAM(early_swap_floor_pct, 0, 100, NULL);
MODULE_PARM_DESC(early_swap_floor_pct,
		 "Floor: free swap under this % of RAM (no swap counts as none), 0-100 (default 10)");
OOMX_UINT_PARAM(term_grace_ms, 0, 60000, NULL);
MODULE_PARM_DESC(term_grace_ms,
		 "Early intervention: milliseconds between SIGTERM and SIGKILL, 0 for SIGKILL at once, 0-60000 (default 1000); never at an OOM");
OOMX_UINT_PARAM(top_candidates, 1, OOMX_TOP_MAX, NULL);
MODULE_PARM_DESC(top_candidates,
		 "How many best-scored candidates each decision record keeps, 1-16 (default 5)");

/*
 * protect=, avoid= and prefer=: the operator's rules (rules.c).  A write
 * replaces its one list and publishes a new set, the other two lists
 * copied; an empty set is published as none, so that a machine without
 * rules pays nothing for them.  Writers are serialised by
 * oomx_rules_lock; readers take a reference under RCU.
 */
static struct oomx_rules_ref __rcu *oomx_rules_cur;
static DEFINE_MUTEX(oomx_rules_lock);

struct oomx_rules_ref *oomx_rules_get(void)
{
	struct oomx_rules_ref *rr;

	rcu_read_lock();
	rr = rcu_dereference(oomx_rules_cur);
	if (rr && !refcount_inc_not_zero(&rr->ref))
		rr = NULL;
	rcu_read_unlock();
	return rr;
}

void oomx_rules_put(struct oomx_rules_ref *rr)
{
	if (rr && refcount_dec_and_test(&rr->ref))
		kvfree_rcu(rr, rcu);
}

static void oomx_rules_publish(struct oomx_rules_ref *rr)
{
	struct oomx_rules_ref *old;

	old = rcu_replace_pointer(oomx_rules_cur, rr,
				  lockdep_is_held(&oomx_rules_lock));
	oomx_rules_put(old);
}

/* Module exit, once nothing can take a reference any more. */
void oomx_rules_exit(void)
{
	mutex_lock(&oomx_rules_lock);
	oomx_rules_publish(NULL);
	mutex_unlock(&oomx_rules_lock);
}

static int oomx_set_rules(const char *val, const struct kernel_param *kp)
{
	enum oomx_rule_list list = (uintptr_t)kp->arg;
	struct oomx_rules_ref *old, *rr;
	const char *bad;
	size_t badlen;
	int ret = 0;

	/*
	 * About 10 kB: from vmalloc if no order-2 page is free at once, as
	 * a rule write under memory pressure must not OOM-kill for it (seen
	 * in the parameter fuzz).
	 */
	rr = kvzalloc(sizeof(*rr), GFP_KERNEL);
	if (!rr)
		return -ENOMEM;
	mutex_lock(&oomx_rules_lock);
	if (oomx_rule_set_parse(val, &rr->r.list[list], &bad, &badlen)) {
		pr_err("%s: '%.*s' is not a selector (comm:GLOB, uid:N or cgroup:/GLOB, up to %u of them, patterns up to %u characters); the list is unchanged\n",
		       kp->name, (int)min_t(size_t, badlen, 256), bad,
		       OOMX_RULES_MAX, OOMX_RULE_PAT_MAX - 1);
		ret = -EINVAL;
		goto out;
	}
	old = rcu_dereference_protected(oomx_rules_cur,
					lockdep_is_held(&oomx_rules_lock));
	if (old) {
		unsigned int l;

		for (l = 0; l < OOMX_RULE_LISTS; l++)
			if (l != list)
				rr->r.list[l] = old->r.list[l];
	}
	if (oomx_rules_empty(&rr->r)) {
		oomx_rules_publish(NULL);
		goto out;
	}
	refcount_set(&rr->ref, 1);
	rr->task_rules = oomx_rules_have(&rr->r, OOMX_SELECTOR_COMM) ||
			 oomx_rules_have(&rr->r, OOMX_SELECTOR_UID);
	rr->cgroup_rules = oomx_rules_have(&rr->r, OOMX_SELECTOR_CGROUP);
	oomx_rule_filter_build(&rr->r, &rr->filter);
	oomx_rules_publish(rr);
	rr = NULL;
out:
	mutex_unlock(&oomx_rules_lock);
	kvfree(rr);
	if (!ret)
		oomx_scan_update();
	return ret;
}

static int oomx_get_rules(char *buf, const struct kernel_param *kp)
{
	enum oomx_rule_list list = (uintptr_t)kp->arg;
	struct oomx_rules_ref *rr = oomx_rules_get();
	int n = 0;

	/* Canonical form; at most 32 selectors of 95 characters fit a page. */
	if (rr)
		n = oomx_rule_set_print(&rr->r.list[list], buf, PAGE_SIZE - 1);
	oomx_rules_put(rr);
	buf[n++] = '\n';
	return n;
}

/*
 * The kernel calls .free for every parameter when a load fails after
 * parsing (a later bad parameter, init failing) and at unload: a set
 * published at load time is released here even when init never ran.
 */
static void oomx_free_rules(void *arg)
{
	oomx_rules_exit();
}

static const struct kernel_param_ops oomx_rules_ops = {
	.set = oomx_set_rules,
	.get = oomx_get_rules,
	.free = oomx_free_rules,
};

module_param_cb(protect, &oomx_rules_ops, (void *)OOMX_RULE_PROTECT, 0644);
MODULE_PARM_DESC(protect,
		 "Never chosen while anything else is eligible: comma-separated comm:GLOB, uid:N, cgroup:/GLOB (cgroup v2 path)");
module_param_cb(avoid, &oomx_rules_ops, (void *)OOMX_RULE_AVOID, 0644);
MODULE_PARM_DESC(avoid,
		 "Chosen only after every task no rule names: selectors as for protect");
module_param_cb(prefer, &oomx_rules_ops, (void *)OOMX_RULE_PREFER, 0644);
MODULE_PARM_DESC(prefer,
		 "Chosen before every other task: selectors as for protect; protect and avoid take precedence");

/*
 * disable_hooks: hooks to treat as missing, to see how oomx degrades on a
 * kernel that lacks one.  Load time only; every name is checked.
 */
static char oomx_disabled_hooks[256];

static int oomx_set_hooks(const char *val, const struct kernel_param *kp)
{
	char buf[sizeof(oomx_disabled_hooks)], *p = buf, *name;

	if (strscpy(buf, val, sizeof(buf)) < 0) {
		pr_err("disable_hooks: list longer than %zu characters\n",
		       sizeof(buf) - 1);
		return -EINVAL;
	}
	while ((name = strsep(&p, ",\n")) != NULL) {
		if (*name && !oomx_hook_known(name)) {
			pr_err("disable_hooks: '%s' is not one of oomx's hooks\n",
			       name);
			return -EINVAL;
		}
	}
	strscpy(oomx_disabled_hooks, val, sizeof(oomx_disabled_hooks));
	strim(oomx_disabled_hooks);
	return 0;
}

static int oomx_get_hooks(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", oomx_disabled_hooks);
}

static const struct kernel_param_ops oomx_hooks_ops = {
	.set = oomx_set_hooks,
	.get = oomx_get_hooks,
};
module_param_cb(disable_hooks, &oomx_hooks_ops, NULL, 0444);
MODULE_PARM_DESC(disable_hooks,
		 "Comma-separated hooks to treat as missing (load time only), e.g. oom_badness");

bool oomx_hook_disabled_by_param(const char *name)
{
	const char *p = oomx_disabled_hooks;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		bool start = p == oomx_disabled_hooks || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

/* The load-time values, as a whole, before the module starts. */
int oomx_params_check(void)
{
	if (oomx_check_reap_delays(oomx_reap_delay_ms,
				   oomx_reap_verified_delay_ms)) {
		pr_err("reap_verified_delay_ms (%u) is above reap_delay_ms (%u): not loading\n",
		       oomx_reap_verified_delay_ms, oomx_reap_delay_ms);
		return -EINVAL;
	}
	return 0;
}

/*
 * The candidate probe (oom_badness()) is nearly all that oomx adds to
 * the kernel's selection; under a configuration whose choice is the
 * kernel's for every candidate it stays idle (oomx_scan_needs_oomx()).
 * Called after each write that can change that, and at start.
 */
static bool oomx_scan_wanted(void)
{
	struct oomx_scan_config n = {
		.policy = READ_ONCE(oomx_policy),
		.rules = !!rcu_access_pointer(oomx_rules_cur),
		.score_all = READ_ONCE(oomx_score_all) ||
			     READ_ONCE(oomx_dry_run),
		.slack_max = oomx_mm_counter_slack_max(),
	};

	return oomx_scan_needs_oomx(&n);
}

static void oomx_scan_update(void)
{
	mutex_lock(&oomx_arm_lock);
	oomx_probes_want(OOMX_HOOK_CANDIDATE, oomx_scan_wanted(),
			 oomx_live && oomx_enabled);
	mutex_unlock(&oomx_arm_lock);
}

/* Start (arming the hooks if enabled) or stop following the parameters. */
void oomx_params_live(bool live)
{
	mutex_lock(&oomx_arm_lock);
	oomx_live = live;
	oomx_probes_want(OOMX_HOOK_CANDIDATE, oomx_scan_wanted(), false);
	if (live && oomx_enabled)
		oomx_probes_arm();
	else if (!live)
		oomx_probes_disarm();
	mutex_unlock(&oomx_arm_lock);
}
