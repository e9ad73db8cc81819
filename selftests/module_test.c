// SPDX-License-Identifier: GPL-2.0
/*
 * oomx module lifecycle and parameters: load, the version line, every
 * parameter read back, bad values rejected with EINVAL while the old value
 * stays, bad load-time parameters refused, clean unload.
 */
#include <sys/klog.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

static bool dmesg_has(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return !!strstr(buf, needle);
}

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
	char want[128];
	struct utsname { char s[6][65]; } u;

	ASSERT_EQ(0, syscall(SYS_uname, &u));
	snprintf(want, sizeof(want), "oomx: oomx 0.1.0 loaded on Linux %s", u.s[2]);
	EXPECT_TRUE(dmesg_has(want)) TH_LOG("no '%s' in dmesg", want);
}

TEST_F(loaded, defaults)
{
	EXPECT_STREQ("Y", oomx_param_read("enabled"));
	EXPECT_STREQ("N", oomx_param_read("dry_run"));
	EXPECT_STREQ("classic", oomx_param_read("policy"));
	EXPECT_STREQ("500", oomx_param_read("reap_delay_ms"));
	EXPECT_STREQ("3000", oomx_param_read("victim_timeout_ms"));
	EXPECT_STREQ("5", oomx_param_read("top_candidates"));
}

TEST_F(loaded, good_values_take_effect)
{
	ASSERT_EQ(0, oomx_param_write("enabled", "0\n"));
	EXPECT_STREQ("N", oomx_param_read("enabled"));
	ASSERT_EQ(0, oomx_param_write("enabled", "y"));
	EXPECT_STREQ("Y", oomx_param_read("enabled"));
	ASSERT_EQ(0, oomx_param_write("policy", "largest\n"));
	EXPECT_STREQ("largest", oomx_param_read("policy"));
	ASSERT_EQ(0, oomx_param_write("policy", "adj_first"));
	EXPECT_STREQ("adj_first", oomx_param_read("policy"));
	ASSERT_EQ(0, oomx_param_write("reap_delay_ms", "0"));
	EXPECT_STREQ("0", oomx_param_read("reap_delay_ms"));
	ASSERT_EQ(0, oomx_param_write("victim_timeout_ms", "600000"));
	EXPECT_STREQ("600000", oomx_param_read("victim_timeout_ms"));
	ASSERT_EQ(0, oomx_param_write("top_candidates", "16"));
	EXPECT_STREQ("16", oomx_param_read("top_candidates"));
	ASSERT_EQ(0, oomx_param_write("dry_run", "1"));
	EXPECT_STREQ("Y", oomx_param_read("dry_run"));
}

struct bad_case {
	const char *param, *value, *kept;
};

static const struct bad_case bad_cases[] = {
	{ "enabled", "maybe", "Y" },
	{ "enabled", "\n", "Y" },
	{ "dry_run", "2", "N" },
	{ "policy", "biggest", "classic" },
	{ "policy", "\n", "classic" },
	{ "policy", "classic2", "classic" },
	{ "reap_delay_ms", "-1", "500" },
	{ "reap_delay_ms", "60001", "500" },
	{ "reap_delay_ms", "12abc", "500" },
	{ "reap_delay_ms", "99999999999999999999", "500" },
	{ "victim_timeout_ms", "99", "3000" },
	{ "victim_timeout_ms", "600001", "3000" },
	{ "top_candidates", "0", "5" },
	{ "top_candidates", "17", "5" },
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
	EXPECT_TRUE(dmesg_has("oomx: policy: 'biggest' is not one of classic, largest, adj_first; keeping classic"));
}

TEST_F(loaded, debugfs_files)
{
	char buf[4096];

	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "status", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "hook out_of_memory active"));
	EXPECT_NE(NULL, strstr(buf, "reaper running"));
	EXPECT_EQ(0, oomx_stat("kills"));
	ASSERT_EQ(0, oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

TEST(bad_load_parameters_refused)
{
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	EXPECT_EQ(-EINVAL, oomx_load("policy=nonsense"));
	EXPECT_FALSE(oomx_loaded());
	EXPECT_EQ(-EINVAL, oomx_load("reap_delay_ms=70000"));
	EXPECT_FALSE(oomx_loaded());
	ASSERT_EQ(0, oomx_load("policy=largest reap_delay_ms=100"));
	EXPECT_STREQ("largest", oomx_param_read("policy"));
	EXPECT_STREQ("100", oomx_param_read("reap_delay_ms"));
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
