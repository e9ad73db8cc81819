// SPDX-License-Identifier: GPL-2.0
/*
 * LTP's oom01, oom03, oom04 and oom05, written from their published
 * semantics (ltp/testcases/kernel/mem/oom, lib/mem.c) for a small guest,
 * with oomx loaded as users get it (its defaults, early intervention on).
 *
 * A child allocates anonymous memory in chunks, from max(1, ncpus - 1)
 * threads, each touching every page, until an allocation fails or it
 * dies.  Its memory is plain, mlock()ed, or madvise(MADV_MERGEABLE)d with
 * ksmd running.  It must die (the kernel's OOM kill with oomx's choice,
 * or oomx's early intervention) or exit with ENOMEM; its parent, in the
 * same cgroup and as killable (oom_score_adj 0), lives; one victim, and
 * the memory comes back.
 *   oom01: vm.overcommit_memory 2 (the mmap() fails first: ENOMEM and no
 *          kill), 0 and 1;
 *   oom03: a memory cgroup (memory.max, no swap), overcommit 1;
 *   oom04: a cpuset cgroup (cpuset.cpus/mems: CPU 0, node 0), overcommit 1;
 *   oom05: both, one allocation of twice the limit ("lite"), overcommit 1.
 * oom02 (a NUMA mempolicy) needs more than the guest's one node.
 */
#include "oomx_util.h"
#include <pthread.h>

#include "kselftest_harness.h"

#define CG		"/sys/fs/cgroup/oomx-ltp"
#define ROOT_CTL	"/sys/fs/cgroup/cgroup.subtree_control"
#define OVERCOMMIT	"/proc/sys/vm/overcommit_memory"
#define KSM_RUN		"/sys/kernel/mm/ksm/run"
#define MEMCG_MB	64
#define CHUNK_MB	32

enum alloc_kind { ALLOC_NORMAL, ALLOC_MLOCK, ALLOC_KSM };

FIXTURE(ltp) {
	long overcommit;	/* as found, put back */
	long ksm_run;		/* as found, put back; -1: not touched */
	long vm, early;		/* /proc/vmstat oom_kill, oomx's early_terms */
	long avail_mb;		/* before the child */
	bool cpuset_added;	/* to the root's subtree_control: taken out */
};

FIXTURE_VARIANT(ltp) {
	int overcommit;		/* vm.overcommit_memory for the case */
	bool memcg, cpuset;	/* the child and its parent in CG, so limited */
	bool lite;		/* one allocation of twice the limit */
};

FIXTURE_VARIANT_ADD(ltp, oom01_overcommit2) { .overcommit = 2 };
FIXTURE_VARIANT_ADD(ltp, oom01_overcommit0) { .overcommit = 0 };
FIXTURE_VARIANT_ADD(ltp, oom01_overcommit1) { .overcommit = 1 };
FIXTURE_VARIANT_ADD(ltp, oom03_memcg) { .overcommit = 1, .memcg = true };
FIXTURE_VARIANT_ADD(ltp, oom04_cpuset) { .overcommit = 1, .cpuset = true };
FIXTURE_VARIANT_ADD(ltp, oom05_memcg_cpuset) {
	.overcommit = 1, .memcg = true, .cpuset = true, .lite = true,
};

FIXTURE_SETUP(ltp)
{
	char ctl[32] = "";

	self->ksm_run = -1;
	self->cpuset_added = false;
	self->overcommit = read_long(OVERCOMMIT);
	ASSERT_GE(self->overcommit, 0);
	/* As LTP's library does: the parent and child are plain processes. */
	ASSERT_EQ(0, set_oom_score_adj(0, 0));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(""));
	rmdir(CG);
	if (variant->memcg || variant->cpuset) {
		self->cpuset_added = variant->cpuset &&
				     !file_has(ROOT_CTL, "cpuset");
		snprintf(ctl, sizeof(ctl), "%s%s", variant->memcg ? "+memory " : "",
			 variant->cpuset ? "+cpuset" : "");
		ASSERT_EQ(0, oomx_write_file(ROOT_CTL, ctl));
		ASSERT_EQ(0, mkdir(CG, 0755));
	}
	if (variant->memcg) {
		ASSERT_EQ(0, write_int(CG "/memory.max", MEMCG_MB * MB));
		oomx_write_file(CG "/memory.swap.max", "0");
	}
	if (variant->cpuset) {
		ASSERT_EQ(0, oomx_write_file(CG "/cpuset.cpus", "0"));
		ASSERT_EQ(0, oomx_write_file(CG "/cpuset.mems", "0"));
	}
	if (variant->memcg || variant->cpuset)
		ASSERT_EQ(0, cg_join(CG, 0));
	ASSERT_EQ(0, write_int(OVERCOMMIT, variant->overcommit));
}

FIXTURE_TEARDOWN(ltp)
{
	cg_join("/sys/fs/cgroup", 0);
	rmdir(CG);
	if (self->cpuset_added)
		oomx_write_file(ROOT_CTL, "-cpuset");
	if (self->overcommit >= 0)
		write_int(OVERCOMMIT, self->overcommit);
	if (self->ksm_run >= 0)
		write_int(KSM_RUN, self->ksm_run);
	oomx_unload();
}

/* LTP's alloc_mem(): 0, or the errno that stopped it. */
static int alloc_mem(size_t len, enum alloc_kind kind)
{
	long page = sysconf(_SC_PAGESIZE);
	int tries = 10;
	size_t i;
	char *s;

	s = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return errno;
	if (kind == ALLOC_MLOCK) {
		while (mlock(s, len)) {
			if (errno != EAGAIN || !tries--)
				return errno;
			oomx_sleep_ms(300);
		}
	}
	if (kind == ALLOC_KSM && madvise(s, len, MADV_MERGEABLE))
		return errno;
	for (i = 0; i < len; i += page)
		s[i] = '\a';
	return 0;
}

static void *alloc_thread(void *arg)
{
	int ret;

	do
		ret = alloc_mem(CHUNK_MB * MB, (enum alloc_kind)(long)arg);
	while (!ret);
	_exit(ret);
}

/* The child: allocates until an error (its exit code) or death. */
static pid_t child_alloc(enum alloc_kind kind, bool lite)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	pthread_t t;
	pid_t pid;

	pid = fork();
	if (pid)
		return pid;
	if (lite)
		_exit(alloc_mem((2 * MEMCG_MB + 1) * MB, kind));
	for (n = n < 1 ? 1 : n; n > 0; n--)
		if (pthread_create(&t, NULL, alloc_thread, (void *)(long)kind))
			_exit(126);
	for (;;)
		pause();
}

/*
 * LTP's oom(): the child dies or exits with ENOMEM (overcommit 2: only
 * ENOMEM, and no kill).  Then who killed it: the kernel's OOM kill with
 * oomx's choice, or oomx's early intervention, or both (a SIGTERM, then
 * the kill of the same victim), each once and naming the child.
 */
static void ltp_oom(struct __test_metadata *_metadata, FIXTURE_DATA(ltp) *self,
		    const FIXTURE_VARIANT(ltp) *variant, enum alloc_kind kind)
{
	long vm, early, t0;
	const char *rec;
	pid_t child;
	int code;

	self->vm = vmstat_oom_kill();
	self->early = oomx_stat("early_terms");
	self->avail_mb = avail_mb();
	child = child_alloc(kind, variant->lite);
	ASSERT_GT(child, 0);
	code = wait_child(child, 240000);
	ASSERT_NE(-1, code) TH_LOG("the child neither died nor failed in 240 s");
	vm = vmstat_oom_kill() - self->vm;
	early = oomx_stat("early_terms") - self->early;
	ksft_print_msg("child %s; OOM kills %ld, early %ld\n",
		       code == ENOMEM ? "got ENOMEM" :
		       code == 128 + SIGKILL ? "was SIGKILLed" :
		       code == 128 + SIGTERM ? "was SIGTERMed" : "ended otherwise",
		       vm, early);
	if (variant->overcommit == 2) {
		EXPECT_EQ(ENOMEM, code);
		EXPECT_EQ(0, vm + early);
	} else if (code == ENOMEM) {
		EXPECT_EQ(0, vm + early);
	} else {
		ASSERT_TRUE(code == 128 + SIGKILL || code == 128 + SIGTERM)
			TH_LOG("the child ended with %d", code);
		/* One victim: an early SIGTERM and then an OOM kill name it. */
		ASSERT_TRUE(vm + early >= 1 && vm <= 1 && early <= 1)
			TH_LOG("%ld OOM kills, %ld early", vm, early);
		if (vm) {
			rec = oomx_last_kill();
			EXPECT_TRUE(oomx_field_pid(rec, "victim", child))
				TH_LOG("%s", rec);
		}
		if (early) {
			rec = oomx_sysfs_read("last_early");
			EXPECT_TRUE(oomx_field_pid(rec, "victim", child))
				TH_LOG("%s", rec);
		}
		if (variant->memcg)
			EXPECT_EQ(vm, cg_events(CG, "oom_kill"));
	}
	/* Its memory back (KSM's merged pages too). */
	t0 = oomx_now_ms();
	while (avail_mb() < self->avail_mb * 9 / 10 && oomx_now_ms() < t0 + 20000)
		oomx_sleep_ms(100);
	EXPECT_GE(avail_mb(), self->avail_mb * 9 / 10);
	/* The parent lived: this very process, as killable as the child. */
}

TEST_F_TIMEOUT(ltp, normal, 300)
{
	ltp_oom(_metadata, self, variant, ALLOC_NORMAL);
}

TEST_F_TIMEOUT(ltp, mlock, 300)
{
	ltp_oom(_metadata, self, variant, ALLOC_MLOCK);
}

/* LTP's testoom() runs the KSM case with ksmd on; the kernels have KSM. */
TEST_F_TIMEOUT(ltp, ksm, 300)
{
	self->ksm_run = read_long(KSM_RUN);
	ASSERT_GE(self->ksm_run, 0) TH_LOG("no KSM in this kernel");
	ASSERT_EQ(0, write_int(KSM_RUN, 1));
	ltp_oom(_metadata, self, variant, ALLOC_KSM);
}

TEST_HARNESS_MAIN
