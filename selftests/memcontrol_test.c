// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own memory cgroup selftest, test_memcontrol (from
 * linux-source's tools/testing/selftests/cgroup with upstream's fix of its
 * protection cases' tolerances, memcontrol-tolerance.patch; built by the
 * Makefile and embedded here), run twice in one boot: without oomx, then
 * with oomx loaded as shipped.  Its cases drive memory.max and memory.high
 * reclaim, memory.min and memory.low protection, memcg OOMs with
 * memory.oom.group, oom_score_adj and memory.events: every one that passes
 * without oomx must pass with it.  A case that fails or skips without oomx
 * (no swap in the guest; no name resolution for its socket case) proves
 * nothing either way and is only listed.
 */
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

/* test_memcontrol, built by the Makefile from linux-source. */
static const unsigned char memcontrol_bin[] = {
#include "test_memcontrol.inc"
};

/* Where test_memcontrol runs: its page cache files are O_TMPFILEs in ".". */
#define MC_DIR		"/tmp/oomx-memcontrol"
#define MC_DISK		"/dev/vda"
#define MC_CASES	32
#define MC_NAME		64

struct mc_run {
	char pass[MC_CASES][MC_NAME], fail[MC_CASES][MC_NAME];
	char skip[MC_CASES][MC_NAME];
	int npass, nfail, nskip;
	bool seen[MC_CASES + 1];	/* by TAP number */
	int status;		/* its exit code, 128 + signal, or -1 */
	long ms;
};

FIXTURE(memcontrol) {
	bool mounted;
	const char *fs;
};

/* Run @argv to its end; its exit code, or -1. */
static int run_cmd(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Its page cache cases need a filesystem whose clean pages reclaim can
 * drop: ext2 on the guest's scratch disk (a fresh sparse file for each
 * boot, qemu-run.sh) where the kernel has ext4 built in.  Elsewhere
 * tmpfs, whose pages need swap to go, and the guest has none: those
 * cases then fail, without and with oomx alike.
 */
FIXTURE_SETUP(memcontrol)
{
	static char *const mkfs[] = { "/bin/mke2fs", "-q", "-N", "4096",
				      MC_DISK, NULL };

	self->mounted = false;
	mkdir(MC_DIR, 0755);
	if (file_has("/proc/filesystems", "\text4\n") &&
	    !access(MC_DISK, W_OK) && !run_cmd(mkfs) &&
	    (!mount(MC_DISK, MC_DIR, "ext4", 0, NULL) ||
	     !mount(MC_DISK, MC_DIR, "ext2", 0, NULL))) {
		self->fs = "ext2 on " MC_DISK;
	} else {
		ASSERT_EQ(0, mount("tmpfs", MC_DIR, "tmpfs", 0, "size=256m"));
		self->fs = "tmpfs";
	}
	self->mounted = true;
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
}

FIXTURE_TEARDOWN(memcontrol)
{
	oomx_unload();
	if (self->mounted)
		umount(MC_DIR);
	rmdir(MC_DIR);
}

/* Its socket case talks to itself over the loopback: bring it up. */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return;
	if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static void mc_add(char list[][MC_NAME], int *n, const char *name)
{
	if (*n < MC_CASES)
		snprintf(list[(*n)++], MC_NAME, "%.*s", (int)strcspn(name, "\r\n "),
			 name);
}

/*
 * "ok N name", "ok N # SKIP name", "not ok N name".  A number already
 * seen is a copy of its output a forked child wrote again (see
 * memcontrol_linebuf.c): false for those.  A line with no name is not a
 * result line and is only relayed.
 */
static bool mc_parse(struct mc_run *r, const char *line)
{
	bool fail = !strncmp(line, "not ok ", 7);
	const char *p;
	char *end;
	long nr;

	if (!fail && strncmp(line, "ok ", 3))
		return true;
	p = line + (fail ? 7 : 3);
	nr = strtol(p, &end, 10);
	if (end == p || nr < 1 || nr > MC_CASES)
		return true;
	p = end + strspn(end, " ");
	if (!strcspn(p, "\r\n "))
		return true;
	if (r->seen[nr])
		return false;
	r->seen[nr] = true;
	if (fail)
		mc_add(r->fail, &r->nfail, p);
	else if (!strncmp(p, "# SKIP ", 7))
		mc_add(r->skip, &r->nskip, p + 7);
	else
		mc_add(r->pass, &r->npass, p);
	return true;
}

/*
 * test_memcontrol, from a memfd, in MC_DIR, its output relayed as
 * diagnostics and its TAP lines parsed into @r.
 */
static int mc_run(struct mc_run *r)
{
	size_t len = sizeof(memcontrol_bin), off = 0;
	char *const argv[] = { "test_memcontrol", NULL };
	int fd, out[2], status;
	long t0 = oomx_now_ms();
	char line[512];
	FILE *f;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	fd = memfd_create("test_memcontrol", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, memcontrol_bin + off, len - off);

		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		off += n;
	}
	if (pipe(out)) {
		close(fd);
		return -EMFILE;
	}
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		if (chdir(MC_DIR))
			_exit(126);
		fexecve(fd, argv, environ);
		_exit(127);
	}
	close(out[1]);
	close(fd);
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f))
		if (mc_parse(r, line))
			ksft_print_msg("  %s", line);
	if (f)
		fclose(f);
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
						128 + WTERMSIG(status);
	r->ms = oomx_now_ms() - t0;
	return pid > 0 ? 0 : -ECHILD;
}

static void mc_list(const char *what, const char list[][MC_NAME], int n)
{
	char buf[MC_CASES * (MC_NAME + 1)] = "";
	int i;

	for (i = 0; i < n; i++) {
		strcat(buf, " ");
		strcat(buf, list[i]);
	}
	ksft_print_msg("  %s (%d):%s\n", what, n, buf);
}

static void mc_report(const char *when, const struct mc_run *r)
{
	ksft_print_msg("test_memcontrol %s: exit %d in %ld ms\n", when,
		       r->status, r->ms);
	mc_list("passed", r->pass, r->npass);
	mc_list("failed", r->fail, r->nfail);
	mc_list("skipped", r->skip, r->nskip);
}

static bool mc_passed(const struct mc_run *r, const char *name)
{
	int i;

	for (i = 0; i < r->npass; i++)
		if (!strcmp(r->pass[i], name))
			return true;
	return false;
}

TEST_F_TIMEOUT(memcontrol, passes_with_oomx_as_without, 900)
{
	static struct mc_run stock, with;
	int i;

	ksft_print_msg("test_memcontrol's files on %s\n", self->fs);
	loopback_up();
	ASSERT_EQ(0, mc_run(&stock));
	ASSERT_EQ(0, oomx_load(NULL));
	ASSERT_EQ(0, mc_run(&with));
	mc_report("without oomx", &stock);
	mc_report("with oomx", &with);
	ksft_print_msg("oomx counted %ld memcg OOM events, %ld victims\n",
		       oomx_stat("oom_events_memcg"), oomx_stat("victims"));
	ASSERT_GT(stock.npass, 0) TH_LOG("nothing passed without oomx");
	for (i = 0; i < stock.npass; i++) {
		EXPECT_TRUE(mc_passed(&with, stock.pass[i]))
			TH_LOG("%s passed without oomx, not with it",
			       stock.pass[i]);
	}
	/* Its OOM cases ran through oomx. */
	EXPECT_GT(oomx_stat("oom_events_memcg"), 0);
}

TEST_HARNESS_MAIN
