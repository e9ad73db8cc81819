// SPDX-License-Identifier: GPL-2.0
/*
 * oomx module lifecycle and parameters: load, the version line, every
 * parameter read back, bad values rejected with EINVAL while the old value
 * stays (ranges and the two reap delays against each other), bad
 * load-time parameters refused in any order, enabled disarming every
 * hook, clean unload.
 */
#include <dirent.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

FIXTURE(loaded) {
	int dummy;
};

FIXTURE_SETUP(loaded)
{
	if (oomx_loaded())
		oomx_unload();
	ASSERT_EQ(0, oomx_load(NULL));
}

FIXTURE_TEARDOWN(loaded)
{
	oomx_unload();
}

TEST_F(loaded, logs_version_and_kernel)
{
	char want[256], ver[64];
	struct utsname { char s[6][65]; } u;

	/* The version is debian/changelog's: the module's own is the truth. */
	ASSERT_EQ(0, oomx_read_file("/sys/module/oomx/version", ver, sizeof(ver)));
	ver[strcspn(ver, "\n")] = '\0';
	ASSERT_TRUE(ver[0] >= '0' && ver[0] <= '9') TH_LOG("version '%s'", ver);
	ASSERT_EQ(0, syscall(SYS_uname, &u));
	snprintf(want, sizeof(want), "oomx: oomx %s loaded on Linux %s", ver, u.s[2]);
	EXPECT_TRUE(dmesg_has(want)) TH_LOG("no '%s' in dmesg", want);
}

TEST_F(loaded, defaults)
{
	EXPECT_STREQ("Y", oomx_param_read("enabled"));
	EXPECT_STREQ("N", oomx_param_read("dry_run"));
	EXPECT_STREQ("classic", oomx_param_read("policy"));
	EXPECT_STREQ("2000", oomx_param_read("reap_delay_ms"));
	EXPECT_STREQ("50", oomx_param_read("reap_verified_delay_ms"));
	EXPECT_STREQ("5", oomx_param_read("top_candidates"));
	EXPECT_STREQ("N", oomx_param_read("score_all"));
	EXPECT_STREQ("Y", oomx_param_read("early"));
	EXPECT_STREQ("40", oomx_param_read("early_stall_pct"));
	EXPECT_STREQ("2000", oomx_param_read("early_sustain_ms"));
	EXPECT_STREQ("1024", oomx_param_read("early_refault_kbps"));
	EXPECT_STREQ("2", oomx_param_read("early_avail_floor_pct"));
	EXPECT_STREQ("10", oomx_param_read("early_swap_floor_pct"));
	EXPECT_STREQ("20", oomx_param_read("early_refault_avail_pct"));
	EXPECT_STREQ("2", oomx_param_read("early_refault_pct"));
	EXPECT_STREQ("1000", oomx_param_read("term_grace_ms"));
	EXPECT_STREQ("", oomx_param_read("disable_hooks"));
	EXPECT_STREQ("", oomx_param_read("protect"));
	EXPECT_STREQ("", oomx_param_read("avoid"));
	EXPECT_STREQ("", oomx_param_read("prefer"));
}

TEST_F(loaded, good_values_take_effect)
{
	ASSERT_EQ(0, oomx_param_write("dry_run", "1"));
	EXPECT_STREQ("Y", oomx_param_read("dry_run"));
	ASSERT_EQ(0, oomx_param_write("policy", "largest\n"));
	EXPECT_STREQ("largest", oomx_param_read("policy"));
	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	EXPECT_STREQ("adj_first", oomx_param_read("policy"));
	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "60000"));
	EXPECT_STREQ("60000", oomx_param_read("reap_delay_ms"));
	ASSERT_EQ(0, oomx_param_write("reap_verified_delay_ms", "60000"));
	EXPECT_STREQ("60000", oomx_param_read("reap_verified_delay_ms"));
	ASSERT_EQ(0, oomx_param_write("top_candidates", "16"));
	EXPECT_STREQ("16", oomx_param_read("top_candidates"));
	ASSERT_EQ(0, oomx_param_write("early_sustain_ms", "5000"));
	EXPECT_STREQ("5000", oomx_param_read("early_sustain_ms"));
	ASSERT_EQ(0, oomx_param_write("term_grace_ms", "0"));
	EXPECT_STREQ("0", oomx_param_read("term_grace_ms"));
}

struct bad_case {
	const char *param, *value, *kept;
};

static const struct bad_case bad_cases[] = {
	{ "enabled", "maybe", "Y" },
	{ "enabled", "\n", "Y" },
	{ "dry_run", "2", "N" },
	{ "score_all", "yes please", "N" },
	{ "policy", "biggest", "classic" },
	{ "policy", "\n", "classic" },
	{ "policy", "classic2", "classic" },
	{ "reap_delay_ms", "-1", "2000" },
	{ "reap_delay_ms", "60001", "2000" },
	{ "reap_delay_ms", "12abc", "2000" },
	{ "reap_delay_ms", "99999999999999999999", "2000" },
	{ "reap_verified_delay_ms", "2001", "50" },	/* above reap_delay_ms */
	{ "reap_verified_delay_ms", "\n", "50" },
	{ "top_candidates", "0", "5" },
	{ "top_candidates", "17", "5" },
	{ "early", "sometimes", "Y" },
	{ "early_stall_pct", "0", "40" },
	{ "early_stall_pct", "101", "40" },
	{ "early_sustain_ms", "99", "2000" },
	{ "early_avail_floor_pct", "51", "2" },
	{ "early_swap_floor_pct", "101", "10" },
	{ "early_refault_avail_pct", "51", "20" },
	{ "early_refault_pct", "0", "2" },
	{ "early_refault_pct", "101", "2" },
	{ "term_grace_ms", "60001", "1000" },
	{ "term_grace_ms", "1s", "1000" },
	{ "protect", "sshd", "" },
	{ "protect", "comm:sshd,", "" },
	{ "avoid", "uid:root", "" },
	{ "prefer", "cgroup:user.slice", "" },
	{ "prefer", "comm:", "" },
};

TEST_F(loaded, bad_values_rejected_old_kept)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		EXPECT_EQ(-EINVAL, oomx_param_write(c->param, c->value))
			TH_LOG("%s='%s' was accepted", c->param, c->value);
		EXPECT_STREQ(c->kept, oomx_param_read(c->param))
			TH_LOG("%s changed after '%s'", c->param, c->value);
	}
	EXPECT_TRUE(dmesg_has("oomx: policy: 'biggest' is not one of classic, largest, adj_first, growth, cgroup_first; keeping classic"));
	EXPECT_TRUE(dmesg_has("oomx: reap_verified_delay_ms: 2001 is above reap_delay_ms (2000); keeping 50"));
}

/*
 * Rule lists: read back in canonical form, replaced whole, cleared by an
 * empty write; a bad list names its bad token and changes nothing, the
 * other lists included.
 */
TEST_F(loaded, rule_lists_whole_or_not_at_all)
{
	ASSERT_EQ(0, oomx_param_write("protect", "comm:sshd,comm:systemd*\n"));
	EXPECT_STREQ("comm:sshd,comm:systemd*", oomx_param_read("protect"));
	ASSERT_EQ(0, oomx_param_write("prefer", "cgroup:/user.slice/*,uid:1000"));
	EXPECT_STREQ("cgroup:/user.slice/*,uid:1000", oomx_param_read("prefer"));
	ASSERT_EQ(0, oomx_param_write("avoid", "uid:0"));

	EXPECT_EQ(-EINVAL, oomx_param_write("protect", "comm:sshd,name:db"));
	EXPECT_STREQ("comm:sshd,comm:systemd*", oomx_param_read("protect"));
	EXPECT_STREQ("cgroup:/user.slice/*,uid:1000", oomx_param_read("prefer"));
	EXPECT_STREQ("uid:0", oomx_param_read("avoid"));
	EXPECT_TRUE(dmesg_has("oomx: protect: 'name:db' is not a selector"));

	ASSERT_EQ(0, oomx_param_write("protect", "comm:postgres"));
	EXPECT_STREQ("comm:postgres", oomx_param_read("protect"));
	EXPECT_STREQ("cgroup:/user.slice/*,uid:1000", oomx_param_read("prefer"));
	/* What "echo > protect" writes (a write of nothing stores nothing). */
	ASSERT_EQ(0, oomx_param_write("protect", "\n"));
	ASSERT_EQ(0, oomx_param_write("prefer", "\n"));
	ASSERT_EQ(0, oomx_param_write("avoid", "\n"));
	EXPECT_STREQ("", oomx_param_read("protect"));
	EXPECT_STREQ("", oomx_param_read("prefer"));
	EXPECT_STREQ("", oomx_param_read("avoid"));
}

/* The two delays are checked against each other in both directions. */
TEST_F(loaded, reap_delays_stay_ordered)
{
	ASSERT_EQ(0, oomx_param_write("reap_verified_delay_ms", "500"));
	EXPECT_EQ(-EINVAL, oomx_param_write("reap_delay_ms", "100"));
	EXPECT_STREQ("2000", oomx_param_read("reap_delay_ms"));
	EXPECT_TRUE(dmesg_has("oomx: reap_delay_ms: 100 is below reap_verified_delay_ms (500); keeping 2000"));
	EXPECT_EQ(0, oomx_param_write("reap_delay_ms", "500"));
	EXPECT_STREQ("500", oomx_param_read("reap_delay_ms"));
}

/* enabled=0 takes every hook off the kernel's paths; 1 puts them back. */
TEST_F(loaded, enabled_disarms_every_hook)
{
	char buf[4096];

	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "hook out_of_memory active"));
	EXPECT_NE(NULL, strstr(buf, "hook mark_victim active"));
	EXPECT_NE(NULL, strstr(buf, "hook oom_notifier active"));
	ASSERT_EQ(0, oomx_param_write("enabled", "0\n"));
	EXPECT_STREQ("N", oomx_param_read("enabled"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, " active")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "hook out_of_memory idle"));
	ASSERT_EQ(0, oomx_param_write("enabled", "y"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "hook out_of_memory active"));
	EXPECT_NE(NULL, strstr(buf, "hook mark_victim active"));
}

/* Is the candidate hook armed, as debugfs status says? */
static bool cand_hook_active(void)
{
	char buf[4096];

	if (oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)))
		return false;
	return strstr(buf, "hook oom_badness active");
}

/*
 * The candidate hook is armed exactly while the configuration needs
 * oomx to see each candidate: any policy but classic, a rule, score_all,
 * dry_run, or counters that can be off by 64 MB; and enabled=1 arms it
 * only then.
 */
TEST_F(loaded, candidate_hook_follows_configuration)
{
	static const char * const need[][3] = {
		{ "policy", "largest", "classic" },
		{ "policy", "cgroup_first", "classic" },
		{ "score_all", "1", "0" },
		{ "dry_run", "1", "0" },
		{ "protect", "comm:sshd", "\n" },
		{ "prefer", "cgroup:/user.slice/*", "\n" },
	};
	bool idle = oomx_classic_scan_idle();
	char buf[4096];
	unsigned int i;

	EXPECT_EQ(!idle, cand_hook_active());
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	if (idle)
		EXPECT_NE(NULL, strstr(buf, "hook oom_badness idle (not needed: the kernel's scan is oomx's selection)"))
			TH_LOG("%s", buf);
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		ASSERT_EQ(0, oomx_param_write(need[i][0], need[i][1]));
		EXPECT_TRUE(cand_hook_active())
			TH_LOG("%s=%s", need[i][0], need[i][1]);
		ASSERT_EQ(0, oomx_param_write(need[i][0], need[i][2]));
		EXPECT_EQ(!idle, cand_hook_active())
			TH_LOG("%s=%s", need[i][0], need[i][2]);
	}
	/* A bad write changes nothing, the hook included. */
	EXPECT_EQ(-EINVAL, oomx_param_write("policy", "biggest"));
	EXPECT_EQ(!idle, cand_hook_active());
	/* While disabled it stays off; enabling arms what is needed then. */
	ASSERT_EQ(0, oomx_param_write("enabled", "0"));
	ASSERT_EQ(0, oomx_param_write("policy", "growth"));
	EXPECT_FALSE(cand_hook_active());
	ASSERT_EQ(0, oomx_param_write("enabled", "1"));
	EXPECT_TRUE(cand_hook_active());
	ASSERT_EQ(0, oomx_param_write("enabled", "0"));
	ASSERT_EQ(0, oomx_param_write("policy", "classic"));
	ASSERT_EQ(0, oomx_param_write("enabled", "1"));
	EXPECT_EQ(!idle, cand_hook_active());
}

TEST_F(loaded, debugfs_files)
{
	char buf[4096];

	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "selection oomx"));
	EXPECT_NE(NULL, strstr(buf, "reaper running"));
	EXPECT_EQ(0, oomx_stat("decisions"));
	EXPECT_EQ(0, oomx_stat("victims"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	EXPECT_EQ(0, oomx_stat("early_terms"));
	EXPECT_EQ(0, oomx_stat("early_kills"));
}

/* An unprivileged reader: 0 if @path opens, else its errno. */
static int open_as_nobody(const char *path)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(255);
		fd = open(path, O_RDONLY);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * /sys/kernel/oomx, the stable interface: one file per counter, each the
 * value debugfs shows, readable by anyone; the records (pids and names of
 * other users' processes) root only; gone with the module.
 */
TEST_F(loaded, sysfs_stats_and_permissions)
{
	static char stats[8192];
	char path[256], *line, *save;
	struct stat st;
	int n = 0, files = 0;
	DIR *d;

	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "stats", stats, sizeof(stats)));
	for (line = strtok_r(stats, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');

		ASSERT_NE(NULL, v);
		*v++ = '\0';
		snprintf(path, sizeof(path), OOMX_SYSFS "stats/%s", line);
		EXPECT_EQ(strtol(v, NULL, 10), read_long(path)) TH_LOG("%s", path);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0444U, st.st_mode & 07777) TH_LOG("%s", path);
		n++;
	}
	EXPECT_GT(n, 20);
	d = opendir(OOMX_SYSFS "stats");
	ASSERT_NE(NULL, d);
	while (readdir(d))
		files++;
	closedir(d);
	EXPECT_EQ(n + 2, files);	/* and . and .. */
	EXPECT_STREQ("oomx", oomx_sysfs_read("selection"));
	EXPECT_EQ(0, open_as_nobody(OOMX_SYSFS "stats/victims"));
	EXPECT_EQ(0, open_as_nobody(OOMX_SYSFS "selection"));
	EXPECT_EQ(EACCES, open_as_nobody(OOMX_SYSFS "last_decision"));
	EXPECT_EQ(EACCES, open_as_nobody(OOMX_SYSFS "last_early"));
	ASSERT_EQ(0, stat(OOMX_SYSFS "last_decision", &st));
	EXPECT_EQ(0400U, st.st_mode & 07777);
	/* No OOM yet: no record. */
	EXPECT_STREQ("", oomx_sysfs_read("last_decision"));
	EXPECT_STREQ("", oomx_sysfs_read("last_early"));
	ASSERT_EQ(0, oomx_unload());
	EXPECT_NE(0, access(OOMX_SYSFS "stats/victims", F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * The early watcher polls only while memory stalls: on a calm machine it
 * takes its baseline, then sleeps (OOMX_IDLE_TICKS of 100 ms) until a
 * stall wakes it.
 */
TEST_F(loaded, early_watcher_sleeps_when_calm)
{
	char buf[2048];
	long deadline = oomx_now_ms() + 10000;

	do {
		oomx_sleep_ms(200);
		ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "early", buf,
					    sizeof(buf)));
	} while (!strstr(buf, "watcher asleep") && oomx_now_ms() < deadline);
	EXPECT_NE(NULL, strstr(buf, "watcher asleep")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "verdict calm")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "victim_stage none")) TH_LOG("%s", buf);
}

TEST(bad_load_parameters_refused)
{
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	EXPECT_EQ(-EINVAL, oomx_load("policy=nonsense"));
	EXPECT_FALSE(oomx_loaded());
	EXPECT_EQ(-EINVAL, oomx_load("reap_delay_ms=70000"));
	EXPECT_FALSE(oomx_loaded());
	EXPECT_EQ(-EINVAL, oomx_load("reap_delay_ms=100 reap_verified_delay_ms=200"));
	EXPECT_FALSE(oomx_loaded());
	EXPECT_EQ(-EINVAL, oomx_load("disable_hooks=no_such_function"));
	EXPECT_FALSE(oomx_loaded());
	EXPECT_EQ(-EINVAL, oomx_load("protect=comm:sshd prefer=uid:-5"));
	EXPECT_FALSE(oomx_loaded());
	/* As modprobe.d would give them. */
	ASSERT_EQ(0, oomx_load("protect=comm:sshd,comm:systemd* prefer=cgroup:/user.slice/*"));
	EXPECT_STREQ("comm:sshd,comm:systemd*", oomx_param_read("protect"));
	EXPECT_STREQ("cgroup:/user.slice/*", oomx_param_read("prefer"));
	EXPECT_EQ(0, oomx_unload());
	/* A valid pair loads in either order. */
	ASSERT_EQ(0, oomx_load("reap_verified_delay_ms=3000 reap_delay_ms=5000 policy=largest"));
	EXPECT_STREQ("largest", oomx_param_read("policy"));
	EXPECT_STREQ("5000", oomx_param_read("reap_delay_ms"));
	EXPECT_STREQ("3000", oomx_param_read("reap_verified_delay_ms"));
	EXPECT_EQ(0, oomx_unload());
}

/* Loaded disabled, every hook idle from the start. */
TEST(load_disabled)
{
	char buf[4096];

	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load("enabled=0"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, " active")) TH_LOG("%s", buf);
	EXPECT_EQ(0, oomx_unload());
}

TEST(load_unload_cycles)
{
	int i;

	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, oomx_load(NULL));
		ASSERT_TRUE(oomx_loaded());
		ASSERT_EQ(0, oomx_unload());
		ASSERT_FALSE(oomx_loaded());
	}
	EXPECT_TRUE(dmesg_has("oomx: oomx unloaded"));
}

TEST_HARNESS_MAIN
