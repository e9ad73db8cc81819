// SPDX-License-Identifier: GPL-2.0
/*
 * Victims in odd states, each case both as a global OOM and as a memory
 * cgroup OOM.  Three hogs hold 35 %, 20 % and 10 % of the scene's budget,
 * as in oom_test.c; the largest, the victim-to-be, sits in a frozen
 * cgroup, is stopped, is stopped by a tracer (that holds it again in its
 * exit), has its memory mlocked or backed by transparent huge pages, or
 * is blocked in vfork() while its child holds the memory; in some cases
 * it then cannot run at all (D state).  A -1000 allocator takes all the
 * room there is and three quarters of the victim's memory, which it can
 * get only once that memory is back, and holds it a while: the right one
 * must die (or, where it cannot run, be reaped), the others live, one
 * OOM kill, and oomx's record names the victim and how its memory came
 * back.
 *
 * Then memory no kill can free (a tmpfs file nobody maps, full pipes of
 * an unkillable process): the same OOMs with and without oomx, in the
 * same boot; oomx may kill no more than the kernel alone does.
 */
#include <sys/ptrace.h>
#include <sys/resource.h>

#include "oomx_util.h"
#include "kselftest_harness.h"

#define MEMCG_MB	128
/* Early intervention stays out of the way: these cases are about OOMs. */
#define OOM_PARAMS	"early=0"
/* How long the allocator holds what it got: where a second kill would come. */
#define HOLD_MS		3000
/* A stuck victim's D state lasts this long after its SIGKILL (ms). */
#define STUCK_MS	"15000"
#define DSLEEP		"/sys/module/oomx_test/parameters/dsleep_ms"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define UNFREE_DIR	"/tmp/oomx-unfree"
/* A kprobe event counting out_of_memory() calls, with or without oomx. */
#define PROBE_EVENT	"oomx_victims_oom"
#define PROBE_INST	TRACEFS "/instances/oomx-victims"
#define PROBE_ENABLE	PROBE_INST "/events/kprobes/" PROBE_EVENT "/enable"

static const int hog_pct[3] = { 35, 20, 10 };

FIXTURE(victims) {
	struct scene sc;
	struct hog h[3];
	pid_t tracer, holder;
	long vm, room0;
	bool testmod, frozen, tmpfs, probe;
	bool thp_restore;	/* THP_ENABLED was "never": put it back */
};

FIXTURE_VARIANT(victims) {
	bool memcg;
};

FIXTURE_VARIANT_ADD(victims, global) {
	.memcg = false,
};

FIXTURE_VARIANT_ADD(victims, memcg) {
	.memcg = true,
};

FIXTURE_SETUP(victims)
{
	int i;

	for (i = 0; i < 3; i++)
		self->h[i] = (struct hog){ -1, -1 };
	self->tracer = -1;
	self->holder = -1;
	self->testmod = false;
	self->frozen = false;
	self->tmpfs = false;
	self->probe = false;
	self->thp_restore = false;
	/* This process and its helpers are never candidates. */
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	ASSERT_EQ(0, oomx_load(OOM_PARAMS));
	ASSERT_EQ(0, scene_init(&self->sc, variant->memcg, MEMCG_MB));
	ASSERT_GT(self->sc.budget_mb, 100)
		TH_LOG("only %ld MiB to work with", self->sc.budget_mb);
}

static void stop_pid(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

static void unfree_release(FIXTURE_DATA(victims) *self)
{
	stop_pid(&self->holder);
	if (self->tmpfs)
		umount(UNFREE_DIR);
	self->tmpfs = false;
	rmdir(UNFREE_DIR);
}

static void probe_stop(FIXTURE_DATA(victims) *self)
{
	if (!self->probe)
		return;
	oomx_write_file(PROBE_ENABLE, "0");
	rmdir(PROBE_INST);
	oomx_write_file(TRACEFS "/kprobe_events", "-:" PROBE_EVENT);
	self->probe = false;
}

FIXTURE_TEARDOWN(victims)
{
	static char buf[1 << 17];
	int i;

	if (_metadata->exit_code != KSFT_PASS && oomx_loaded()) {
		if (!oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
			TH_LOG("decisions:\n%s", buf);
		if (!oomx_read_file(OOMX_DEBUGFS "stats", buf, sizeof(buf)))
			TH_LOG("stats:\n%s", buf);
	}
	if (self->frozen)
		oomx_write_file(SCENE_GROUP "/cgroup.freeze", "0");
	/* Its tracee, dead, is a zombie only the tracer can release. */
	stop_pid(&self->tracer);
	for (i = 0; i < 3; i++)
		hog_stop(&self->h[i]);
	unfree_release(self);
	reap_children();
	probe_stop(self);
	if (self->thp_restore)
		oomx_write_file(THP_ENABLED, "never");
	oomx_unload();
	if (self->testmod)
		unload_module("oomx_test");
	scene_rmdir();
}

static long hog_mb(FIXTURE_DATA(victims) *self, int i)
{
	return self->sc.budget_mb * hog_pct[i] / 100;
}

/* ---- the victim-to-be, in its odd state ---- */

enum {
	SHAPE_THP = 1,		/* 2 MiB aligned, MADV_HUGEPAGE */
	SHAPE_MLOCK = 2,	/* mlockall(MCL_CURRENT) once touched */
	SHAPE_STUCK = 4,	/* then asleep in D state (oomx_test.ko) */
};

/*
 * A process in cgroup @cg, oom_score_adj 0, holding @mb MiB of touched
 * anonymous memory shaped by @shape; returns once it is resident (and
 * locked).  SHAPE_STUCK: it then sleeps in the kernel, uninterruptibly,
 * from before the kill until STUCK_MS after it.
 */
static struct hog shaped_hog_start(const char *cg, size_t mb, int shape)
{
	struct hog h = { -1, -1 };
	int fds[2], ok = 0;
	pid_t pid;

	if (pipe(fds))
		return h;
	pid = fork();
	if (pid == 0) {
		size_t len = mb * MB, huge = 2 * MB;
		char *p;

		close(fds[0]);
		if ((cg && cg_join(cg, 0)) || set_oom_score_adj(0, 0))
			_exit(2);
		p = mmap(NULL, len + huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		if (shape & SHAPE_THP) {
			p = (char *)(((unsigned long)p + huge - 1) & ~(huge - 1));
			if (madvise(p, len, MADV_HUGEPAGE))
				_exit(4);
		}
		touch_mem(p, len);
		if ((shape & SHAPE_MLOCK) && mlockall(MCL_CURRENT))
			_exit(5);
		ok = 1;
		if (write(fds[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(6);
		if (shape & SHAPE_STUCK)
			oomx_write_file(DSLEEP, STUCK_MS);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &ok, sizeof(ok)) == sizeof(ok))
		h.pid = pid;
	close(fds[0]);
	return h;
}

struct vfork_arg {
	size_t len;
	int fd;
	bool stuck;
};

/* The vfork() child: the memory, in the mm it shares with its parent. */
static int vfork_child(void *arg)
{
	const struct vfork_arg *a = arg;
	pid_t self = syscall(SYS_getpid);
	char *p = mmap(NULL, a->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(3);
	touch_mem(p, a->len);
	if (write(a->fd, &self, sizeof(self)) != sizeof(self))
		_exit(4);
	if (a->stuck)
		oomx_write_file(DSLEEP, STUCK_MS);
	for (;;)
		pause();
	return 0;
}

/*
 * A process blocked in vfork() (clone(CLONE_VM | CLONE_VFORK), as
 * posix_spawn() does) whose child, never calling exec, holds @mb MiB in
 * the mm they share, and with @stuck then sleeps in D state.  ->pid is
 * the parent, ->sharer the child.
 */
static struct hog vfork_hog_start(const char *cg, size_t mb, bool stuck)
{
	static long stack[8192];
	struct hog h = { -1, -1 };
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return h;
	pid = fork();
	if (pid == 0) {
		struct vfork_arg a = { mb * MB, fds[1], stuck };

		close(fds[0]);
		if (cg_join(cg, 0) || set_oom_score_adj(0, 0))
			_exit(2);
		/* Returns only once the child is gone. */
		clone(vfork_child, stack + ARRAY_SIZE(stack),
		      CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &h.sharer, sizeof(h.sharer)) ==
	    sizeof(h.sharer))
		h.pid = pid;
	close(fds[0]);
	return h;
}

/* Hog 0 shaped by @shape in @cg0, hogs 1 and 2 plain in the work cgroup. */
static void start_hogs(struct __test_metadata *_metadata,
		       FIXTURE_DATA(victims) *self, const char *cg0, int shape)
{
	int i;

	if (shape & SHAPE_STUCK) {
		ASSERT_EQ(0, load_module(OOMX_TEST_KO, NULL));
		self->testmod = true;
	}
	self->h[0] = shaped_hog_start(cg0, hog_mb(self, 0), shape);
	ASSERT_GT(self->h[0].pid, 0);
	for (i = 1; i < 3; i++) {
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), 0, HOG_PLAIN);
		ASSERT_GT(self->h[i].pid, 0);
	}
	if (shape & SHAPE_STUCK) {
		bool stuck = wait_state(self->h[0].pid, 'D', 10000);
		char path[64];

		/* Seen once (deb6.1, memcg, mlocked): where was it instead? */
		if (!stuck) {
			snprintf(path, sizeof(path), "/proc/%d/wchan", self->h[0].pid);
			oomx_log_file(path);
			snprintf(path, sizeof(path), "/proc/%d/stack", self->h[0].pid);
			oomx_log_file(path);
		}
		ASSERT_TRUE(stuck) TH_LOG("hog 0 (pid %d) in state %c, not D",
					  self->h[0].pid, proc_state(self->h[0].pid));
	}
}

/*
 * A -1000 allocator in cgroup @cg takes @mb MiB and holds it @hold_ms.
 * Its exit code: 0 when it got it all; -1 if it never did.
 */
static int alloc_and_hold(const char *cg, long mb, long hold_ms,
			  long timeout_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *p;

		if ((cg && cg_join(cg, 0)) || set_oom_score_adj(0, -1000))
			_exit(2);
		p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, mb * MB);
		oomx_sleep_ms(hold_ms);
		_exit(0);
	}
	return wait_child(pid, timeout_ms);
}

/* Until the scene has @mb MiB of room, or the timeout. */
static bool wait_room(FIXTURE_DATA(victims) *self, long mb, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (scene_room_mb(&self->sc) < mb && oomx_now_ms() < deadline)
		oomx_sleep_ms(50);
	return scene_room_mb(&self->sc) >= mb;
}

/*
 * The OOM: all the room, plus three quarters of what hog 0 holds.  An
 * OOM is certain, one kill is enough, and the allocator gets it all only
 * once hog 0's memory is back.  It holds it HOLD_MS, the pressure at its
 * peak: a second victim would die then.
 *
 * Then hog 0 (or, for a vfork() pair, either of the two) is the victim
 * of the kill, and oomx's record says so.  @stuck: a process of the
 * victim that cannot run (hog 0 or its vfork() child), so that only a
 * reaper, oomx's, can have given the memory back: it did, early, and the
 * process is still there.  Otherwise the victim freed it, exiting.
 */
static void oom_and_expect(struct __test_metadata *_metadata,
			   FIXTURE_DATA(victims) *self,
			   const FIXTURE_VARIANT(victims) *variant, pid_t stuck)
{
	long want, got;
	const char *rec;
	char reap[32];
	int ret;

	self->vm = vmstat_oom_kill();
	self->room0 = scene_room_mb(&self->sc);
	want = self->room0 + hog_mb(self, 0) * 3 / 4;
	ret = alloc_and_hold(SCENE_WORK, want, HOLD_MS, 120000);
	EXPECT_EQ(0, ret)
		TH_LOG("the allocator of %ld MiB did not get hog 0's memory", want);

	rec = oomx_settled_decision(20000);
	EXPECT_TRUE(oomx_field_pid(rec, "victim", self->h[0].pid) ||
		    (self->h[0].sharer > 0 &&
		     oomx_field_pid(rec, "victim", self->h[0].sharer)))
		TH_LOG("record: %s", rec);
	EXPECT_STREQ(variant->memcg ? "memcg" : "global", oomx_field(rec, "kind"));
	EXPECT_STREQ("kill", oomx_field(rec, "action")) TH_LOG("record: %s", rec);
	snprintf(reap, sizeof(reap), "%s", oomx_field(rec, "reap"));
	got = oomx_field_long(rec, "reaped_kb");
	ksft_print_msg("%s: victim=%s reap=%s reaped_kb=%ld reap_start_us=%ld released_us=%ld\n",
		       _metadata->name, oomx_field(rec, "victim"), reap, got,
		       oomx_field_long(rec, "reap_start_us"),
		       oomx_field_long(rec, "released_us"));
	if (stuck > 0) {
		EXPECT_STREQ("reaped", reap) TH_LOG("record: %s", rec);
		EXPECT_GE(got, hog_mb(self, 0) * 1024 * 9 / 10)
			TH_LOG("record: %s", rec);
		EXPECT_LT(oomx_field_long(rec, "reap_start_us"), 1000000)
			TH_LOG("record: %s", rec);
		EXPECT_TRUE(pid_alive(stuck)) TH_LOG("pid %d was not stuck", stuck);
		/* Back while it still cannot run: the reaper's doing. */
		EXPECT_TRUE(wait_room(self, self->room0 + hog_mb(self, 0) * 8 / 10,
				      5000))
			TH_LOG("room %ld MiB, %ld before the OOM",
			       scene_room_mb(&self->sc), self->room0);
	} else {
		EXPECT_TRUE(!strcmp(reap, "reaped") || !strcmp(reap, "exited"))
			TH_LOG("record: %s", rec);
	}
}

/*
 * In the end: hog 0 (and its vfork() child) dead, its memory back, hogs
 * 1 and 2 alive, one OOM kill all along.
 */
static void expect_end(struct __test_metadata *_metadata,
		       FIXTURE_DATA(victims) *self)
{
	long back = self->room0 + hog_mb(self, 0) * 8 / 10;

	EXPECT_TRUE(wait_dead(self->h[0].pid, 30000))
		TH_LOG("hog 0 (pid %d) survived", self->h[0].pid);
	if (self->h[0].sharer > 0)
		EXPECT_TRUE(wait_dead(self->h[0].sharer, 30000))
			TH_LOG("its sharer (pid %d) survived", self->h[0].sharer);
	EXPECT_TRUE(wait_room(self, back, 10000))
		TH_LOG("room %ld MiB, %ld before the OOM, hog 0 held %ld",
		       scene_room_mb(&self->sc), self->room0, hog_mb(self, 0));
	EXPECT_TRUE(pid_alive(self->h[1].pid)) TH_LOG("hog 1 died too");
	EXPECT_TRUE(pid_alive(self->h[2].pid)) TH_LOG("hog 2 died too");
	EXPECT_EQ(self->vm + 1, vmstat_oom_kill());
}

/*
 * cgroup v2's freezer parks its tasks in do_freezer_trap(), interruptibly;
 * the OOM kill's SIGKILL wakes them, and get_signal() takes a group exit
 * before it would freeze again.  (mark_oom_victim()'s __thaw_task() is for
 * the system freezer's TASK_FROZEN, which this is not.)  So the frozen
 * victim dies, its cgroup still frozen.
 */
TEST_F_TIMEOUT(victims, frozen_cgroup_victim_dies, 120)
{
	start_hogs(_metadata, self, SCENE_GROUP, 0);
	self->frozen = true;
	ASSERT_EQ(0, oomx_write_file(SCENE_GROUP "/cgroup.freeze", "1"));
	ASSERT_TRUE(wait_keyed(SCENE_GROUP "/cgroup.events", "frozen", 1, 10000));
	oom_and_expect(_metadata, self, variant, 0);
	expect_end(_metadata, self);
	EXPECT_EQ(1, oomx_keyed(SCENE_GROUP "/cgroup.events", "frozen"));
}

/* SIGKILL wakes a stopped task (TASK_STOPPED includes TASK_WAKEKILL). */
TEST_F_TIMEOUT(victims, stopped_victim_dies, 120)
{
	start_hogs(_metadata, self, SCENE_WORK, 0);
	ASSERT_EQ(0, kill(self->h[0].pid, SIGSTOP));
	ASSERT_TRUE(wait_state(self->h[0].pid, 'T', 10000));
	oom_and_expect(_metadata, self, variant, 0);
	expect_end(_metadata, self);
}

/*
 * A tracer (-1000, outside the scene) seizes @tracee with ptrace options
 * @opts and stops it with PTRACE_INTERRUPT, then waits for ever without
 * ever resuming it; returns once the tracee is in its trap.
 */
static pid_t tracer_start(pid_t tracee, long opts)
{
	int fds[2], ok = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		int status;

		close(fds[0]);
		if (ptrace(PTRACE_SEIZE, tracee, NULL, (void *)opts) ||
		    ptrace(PTRACE_INTERRUPT, tracee, NULL, NULL) ||
		    waitpid(tracee, &status, __WALL) != tracee ||
		    !WIFSTOPPED(status))
			_exit(2);
		ok = 1;
		if (write(fds[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &ok, sizeof(ok)) != sizeof(ok)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/*
 * A ptrace stop (TASK_TRACED) is woken by SIGKILL too.  Dead, the victim
 * stays a zombie until its tracer waits: its memory is back long before.
 */
TEST_F_TIMEOUT(victims, ptrace_stopped_victim_dies, 120)
{
	start_hogs(_metadata, self, SCENE_WORK, 0);
	self->tracer = tracer_start(self->h[0].pid, 0);
	ASSERT_GT(self->tracer, 0);
	ASSERT_TRUE(wait_state(self->h[0].pid, 't', 10000));
	oom_and_expect(_metadata, self, variant, 0);
	expect_end(_metadata, self);
	EXPECT_TRUE(pid_alive(self->tracer)) TH_LOG("the tracer died");
}

/*
 * With PTRACE_O_TRACEEXIT the victim stops once more, in do_exit(),
 * before exit_mm(): get_signal() has dequeued the SIGKILL, so
 * ptrace_stop() finds no fatal signal pending, and a second SIGKILL
 * would be dropped (the group is exiting already).  It waits there,
 * memory and all, until its tracer lets it go: a victim that cannot
 * finish its exit, whose memory only a reaper gives back.
 */
TEST_F_TIMEOUT(victims, ptrace_exit_stopped_victim_is_reaped, 120)
{
	start_hogs(_metadata, self, SCENE_WORK, 0);
	self->tracer = tracer_start(self->h[0].pid, PTRACE_O_TRACEEXIT);
	ASSERT_GT(self->tracer, 0);
	ASSERT_TRUE(wait_state(self->h[0].pid, 't', 10000));
	oom_and_expect(_metadata, self, variant, self->h[0].pid);
	EXPECT_EQ('t', proc_state(self->h[0].pid))
		TH_LOG("the victim is not in its exit stop");
	/* The tracer goes: ptrace's detach wakes the tracee, which exits. */
	stop_pid(&self->tracer);
	expect_end(_metadata, self);
}

/* mlocked memory: the victim's exit unlocks and frees it. */
TEST_F_TIMEOUT(victims, mlocked_victim_dies, 120)
{
	start_hogs(_metadata, self, SCENE_WORK, SHAPE_MLOCK);
	ASSERT_GE(proc_kb(self->h[0].pid, "status", "VmLck"),
		  hog_mb(self, 0) * 1024);
	oom_and_expect(_metadata, self, variant, 0);
	expect_end(_metadata, self);
}

/*
 * mlocked, and the victim cannot run: only a reaper gives the memory
 * back.  The kernel's reaper has unmapped VM_LOCKED VMAs since 5.18 (it
 * skipped them before); oomx's skips only VM_HUGETLB and VM_PFNMAP, as
 * the kernel's, so it takes the locked memory too, within the victim's
 * first second.
 */
TEST_F_TIMEOUT(victims, mlocked_stuck_victim_is_reaped, 120)
{
	start_hogs(_metadata, self, SCENE_WORK, SHAPE_MLOCK | SHAPE_STUCK);
	ASSERT_GE(proc_kb(self->h[0].pid, "status", "VmLck"),
		  hog_mb(self, 0) * 1024);
	oom_and_expect(_metadata, self, variant, self->h[0].pid);
	expect_end(_metadata, self);
}

/*
 * Transparent huge pages on, at least for madvise()d regions: a test
 * that sets it from "never" puts it back.
 */
static void thp_on(struct __test_metadata *_metadata,
		   FIXTURE_DATA(victims) *self)
{
	char buf[128];

	ASSERT_EQ(0, oomx_read_file(THP_ENABLED, buf, sizeof(buf)))
		TH_LOG("no transparent huge pages in this kernel");
	if (strstr(buf, "[never]")) {
		ASSERT_EQ(0, oomx_write_file(THP_ENABLED, "madvise"));
		self->thp_restore = true;
		ASSERT_EQ(0, oomx_read_file(THP_ENABLED, buf, sizeof(buf)));
	}
	ASSERT_EQ(NULL, strstr(buf, "[never]")) TH_LOG("%s", buf);
}

/*
 * The victim's memory in huge pages (PMD-mapped), and the victim stuck:
 * the reaper unmaps huge PMDs, in 8 MiB steps.
 */
TEST_F_TIMEOUT(victims, thp_stuck_victim_is_reaped, 120)
{
	long thp_kb;

	thp_on(_metadata, self);
	start_hogs(_metadata, self, SCENE_WORK, SHAPE_THP | SHAPE_STUCK);
	thp_kb = proc_kb(self->h[0].pid, "smaps_rollup", "AnonHugePages");
	ksft_print_msg("hog 0: %ld kB of %ld in huge pages\n", thp_kb,
		       hog_mb(self, 0) * 1024);
	ASSERT_GE(thp_kb, hog_mb(self, 0) * 1024 / 2)
		TH_LOG("the victim-to-be is not backed by huge pages");
	oom_and_expect(_metadata, self, variant, self->h[0].pid);
	expect_end(_metadata, self);
}

/* The same, a victim that can run: it dies and frees its huge pages. */
TEST_F_TIMEOUT(victims, thp_victim_dies, 120)
{
	long thp_kb;

	thp_on(_metadata, self);
	start_hogs(_metadata, self, SCENE_WORK, SHAPE_THP);
	thp_kb = proc_kb(self->h[0].pid, "smaps_rollup", "AnonHugePages");
	ASSERT_GE(thp_kb, hog_mb(self, 0) * 1024 / 2)
		TH_LOG("the victim-to-be is not backed by huge pages");
	oom_and_expect(_metadata, self, variant, 0);
	expect_end(_metadata, self);
}

/*
 * The kernel never picks a vfork() child (in_vfork(): its mm is its
 * parent's), so the parent, blocked killably in vfork(), is chosen for
 * the mm's memory, and the kill takes every process sharing the mm: the
 * child too.  One kill counted, two deaths.
 */
static void vfork_case(struct __test_metadata *_metadata,
		       FIXTURE_DATA(victims) *self,
		       const FIXTURE_VARIANT(victims) *variant, bool stuck)
{
	int i;

	if (stuck) {
		ASSERT_EQ(0, load_module(OOMX_TEST_KO, NULL));
		self->testmod = true;
	}
	self->h[0] = vfork_hog_start(SCENE_WORK, hog_mb(self, 0), stuck);
	ASSERT_GT(self->h[0].pid, 0);
	ASSERT_GT(self->h[0].sharer, 0);
	for (i = 1; i < 3; i++) {
		self->h[i] = hog_start(SCENE_WORK, hog_mb(self, i), 0, HOG_PLAIN);
		ASSERT_GT(self->h[i].pid, 0);
	}
	/* TASK_KILLABLE in wait_for_vfork_done() */
	ASSERT_TRUE(wait_state(self->h[0].pid, 'D', 10000));
	if (stuck)
		ASSERT_TRUE(wait_state(self->h[0].sharer, 'D', 10000));
	oom_and_expect(_metadata, self, variant, stuck ? self->h[0].sharer : 0);
	EXPECT_TRUE(oomx_field_pid(oomx_last_decision(), "victim",
				   self->h[0].pid))
		TH_LOG("the vfork() child was chosen: %s", oomx_last_decision());
	expect_end(_metadata, self);
}

TEST_F_TIMEOUT(victims, vfork_parent_and_child_die, 120)
{
	vfork_case(_metadata, self, variant, false);
}

/*
 * The child cannot run (D state): the parent dies at once, and the mm,
 * still the child's, is reaped through the parent, the kill's victim.
 * oomx finds the child's robust list by walking the processes that
 * share the mm.
 */
TEST_F_TIMEOUT(victims, vfork_stuck_child_is_reaped, 120)
{
	vfork_case(_metadata, self, variant, true);
}

/* ---- memory no kill can free ---- */

/* Count out_of_memory() calls: a kprobe event, enabled in an instance. */
static int probe_start(FIXTURE_DATA(victims) *self)
{
	int ret;

	if (access(TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	oomx_write_file(TRACEFS "/kprobe_events", "-:" PROBE_EVENT);
	ret = oomx_write_file(TRACEFS "/kprobe_events",
			      "p:" PROBE_EVENT " out_of_memory");
	if (ret)
		return ret;
	self->probe = true;
	rmdir(PROBE_INST);
	if (mkdir(PROBE_INST, 0755))
		return -errno;
	return oomx_write_file(PROBE_ENABLE, "1");
}

static long probe_hits(void)
{
	FILE *f = fopen(TRACEFS "/kprobe_profile", "r");
	long hits, missed, found = -1;
	char name[128];

	while (f && fscanf(f, "%127s %ld %ld", name, &hits, &missed) == 3)
		if (!strcmp(name, PROBE_EVENT))
			found = hits;
	if (f)
		fclose(f);
	return found;
}

enum unfree_kind {
	UNFREE_TMPFS,		/* a file in a tmpfs, written, then closed */
	UNFREE_PIPES,		/* full pipes of a -1000 process */
};

/* @mb MiB of a tmpfs file, charged to the work cgroup; nobody maps it. */
static int tmpfs_fill(FIXTURE_DATA(victims) *self, long mb)
{
	char opts[64];
	pid_t pid;

	mkdir(UNFREE_DIR, 0755);
	snprintf(opts, sizeof(opts), "size=%ldm", mb + 16);
	if (mount("tmpfs", UNFREE_DIR, "tmpfs", 0, opts))
		return -errno;
	self->tmpfs = true;
	pid = fork();
	if (pid == 0) {
		static char chunk[64 * 1024];
		long i;
		int fd;

		memset(chunk, 0x5a, sizeof(chunk));
		if (cg_join(SCENE_WORK, 0))
			_exit(2);
		fd = open(UNFREE_DIR "/held", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(3);
		for (i = 0; i < mb * (long)(MB / sizeof(chunk)); i++)
			if (write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
				_exit(4);
		_exit(0);
	}
	return wait_child(pid, 120000);
}

/*
 * A -1000 process in the work cgroup that fills pipes of 1 MiB
 * (F_SETPIPE_SZ) with 64 KiB writes until they hold @mb MiB, and keeps
 * them; returns its pid once they are full.
 */
static pid_t pipes_fill(long mb)
{
	int fds[2], ok = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct rlimit nofile = { 4096, 4096 };
		static char chunk[64 * 1024];
		long held = 0;
		int p[2];
		ssize_t n;

		close(fds[0]);
		memset(chunk, 0x5a, sizeof(chunk));
		setrlimit(RLIMIT_NOFILE, &nofile);
		if (cg_join(SCENE_WORK, 0))
			_exit(2);
		while (held < mb * (long)MB) {
			if (pipe2(p, O_NONBLOCK))
				_exit(3);
			if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0)
				_exit(4);
			while ((n = write(p[1], chunk, sizeof(chunk))) > 0)
				held += n;
			/* The data stays while the read end is open. */
			close(p[1]);
		}
		ok = 1;
		if (write(fds[1], &ok, sizeof(ok)) != sizeof(ok))
			_exit(5);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &ok, sizeof(ok)) != sizeof(ok)) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/*
 * An allocator of oom_score_adj 0 in the work cgroup, after @mb MiB it
 * cannot have: how it ended (128 + signal, 3 for a failed mmap, 0 for
 * all of it), -1 on timeout.
 */
static int hungry_alloc(long mb, long timeout_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		long i;

		if (cg_join(SCENE_WORK, 0) || set_oom_score_adj(0, 0))
			_exit(2);
		for (i = 0; i < mb; i++) {
			char *p = mmap(NULL, MB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(3);
			touch_mem(p, MB);
		}
		_exit(0);
	}
	return wait_child(pid, timeout_ms);
}

struct unfree_round {
	long events, kills, victims, ms;
	int alloc;
	bool hog_died;
};

/*
 * Half the room taken by memory no kill can free, three tenths by a hog,
 * then an allocator (adj 0) after more than could ever fit: the first
 * OOM comes before the allocator is as large as the hog, so the hog dies;
 * the allocator then takes its memory and more, and at the next OOM it
 * is the largest itself.  Two kills, for as many OOM events as it takes.
 */
static void unfree_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(victims) *self,
			 const FIXTURE_VARIANT(victims) *variant,
			 enum unfree_kind kind, bool with_oomx,
			 struct unfree_round *r)
{
	long room, unfree_mb, hog, vm, hits, t0;

	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	if (with_oomx)
		ASSERT_EQ(0, oomx_load(OOM_PARAMS));
	ASSERT_EQ(0, scene_init(&self->sc, variant->memcg, MEMCG_MB));
	room = scene_room_mb(&self->sc);
	unfree_mb = room / 2;
	hog = room * 3 / 10;
	if (kind == UNFREE_TMPFS) {
		ASSERT_EQ(0, tmpfs_fill(self, unfree_mb));
	} else {
		self->holder = pipes_fill(unfree_mb);
		ASSERT_GT(self->holder, 0);
	}
	/* Held for real: the room went down with it. */
	ASSERT_LT(scene_room_mb(&self->sc), room - unfree_mb * 8 / 10)
		TH_LOG("room %ld MiB of %ld", scene_room_mb(&self->sc), room);
	self->h[0] = hog_start(SCENE_WORK, hog, 0, HOG_PLAIN);
	ASSERT_GT(self->h[0].pid, 0);

	vm = vmstat_oom_kill();
	hits = probe_hits();
	t0 = oomx_now_ms();
	r->alloc = hungry_alloc(room + hog + unfree_mb, 120000);
	/* A kill still to come would come now. */
	oomx_sleep_ms(2000);
	r->ms = oomx_now_ms() - t0;
	r->kills = vmstat_oom_kill() - vm;
	r->events = probe_hits() - hits;
	r->victims = with_oomx ? oomx_stat("victims") : -1;
	r->hog_died = wait_dead(self->h[0].pid, 10000);
	ksft_print_msg("%s %s: %ld MiB unfreeable, hog %ld MiB: %ld OOM events, %ld kills (%.2f per event), hog %s, allocator ended %d, %ld ms\n",
		       with_oomx ? "oomx " : "stock",
		       kind == UNFREE_TMPFS ? "tmpfs" : "pipes", unfree_mb, hog,
		       r->events, r->kills,
		       r->events > 0 ? (double)r->kills / r->events : 0.0,
		       r->hog_died ? "died" : "lived", r->alloc, r->ms);
	hog_stop(&self->h[0]);
	unfree_release(self);
	reap_children();
}

/*
 * The kernel alone, then with oomx, in the same boot: oomx kills no
 * more processes than the kernel does, the hog dies in both, and the
 * allocator ends the same way (its own kill, or a failed allocation),
 * every kill recorded by oomx.
 */
static void unfree_compare(struct __test_metadata *_metadata,
			   FIXTURE_DATA(victims) *self,
			   const FIXTURE_VARIANT(victims) *variant,
			   enum unfree_kind kind)
{
	struct unfree_round stock, ox;

	ASSERT_EQ(0, probe_start(self));
	unfree_round(_metadata, self, variant, kind, false, &stock);
	unfree_round(_metadata, self, variant, kind, true, &ox);
	ASSERT_GT(stock.events, 0) TH_LOG("no OOM without oomx");
	EXPECT_TRUE(stock.hog_died);
	EXPECT_TRUE(ox.hog_died) TH_LOG("the hog lived with oomx");
	EXPECT_TRUE(stock.alloc == 128 + SIGKILL || stock.alloc == 3)
		TH_LOG("the allocator ended %d without oomx", stock.alloc);
	EXPECT_EQ(stock.alloc, ox.alloc)
		TH_LOG("the allocator ended %d without oomx, %d with",
		       stock.alloc, ox.alloc);
	EXPECT_LE(ox.kills, stock.kills)
		TH_LOG("oomx killed %ld, the kernel alone %ld", ox.kills,
		       stock.kills);
	EXPECT_EQ(ox.kills, ox.victims) TH_LOG("kills oomx did not record");
}

TEST_F_TIMEOUT(victims, unfreeable_tmpfs_no_more_kills_than_stock, 300)
{
	unfree_compare(_metadata, self, variant, UNFREE_TMPFS);
}

TEST_F_TIMEOUT(victims, unfreeable_pipes_no_more_kills_than_stock, 300)
{
	unfree_compare(_metadata, self, variant, UNFREE_PIPES);
}

/*
 * A memory cgroup OOM with nothing killable in it (its one process at
 * -1000): the kernel kills nobody, says "Out of memory and no killable
 * processes...", the charge fails and the fault is retried, over and
 * over, until the process is killed from outside.  oomx must leave it at
 * that: no kill in the cgroup or out of it, its record saying no victim.
 * (The global case panics, "System is deadlocked on memory": test.sh's
 * last-resort guests show it stands with oomx loaded.)
 */
#define NOKILL_CG	SCENE_CG "/nokill"
#define NOKILL_MSG	"Out of memory and no killable processes"

FIXTURE(nokill) {
	pid_t pid;
};

FIXTURE_SETUP(nokill)
{
	self->pid = -1;
	ASSERT_EQ(0, set_oom_score_adj(0, -1000));
	if (oomx_loaded())
		ASSERT_EQ(0, oomx_unload());
	scene_rmdir();
	rmdir(NOKILL_CG);
	ASSERT_EQ(0, mkdir(SCENE_CG, 0755));
	ASSERT_EQ(0, oomx_write_file(SCENE_CG "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(NOKILL_CG, 0755));
	ASSERT_EQ(0, write_int(NOKILL_CG "/memory.max", 16 * MB));
	oomx_write_file(NOKILL_CG "/memory.swap.max", "0");
}

FIXTURE_TEARDOWN(nokill)
{
	stop_pid(&self->pid);
	rmdir(NOKILL_CG);
	scene_rmdir();
	oomx_unload();
}

/* One round, stock or with oomx; whether the allocator was still at it. */
static bool nokill_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(nokill) *self, bool with_oomx)
{
	long vm = vmstat_oom_kill(), ooms = cg_events(NOKILL_CG, "oom"), t0;
	bool alive;

	/* Each OOM dumps its header: count in a log cleared for the round. */
	ASSERT_EQ(0, klogctl(5 /* SYSLOG_ACTION_CLEAR */, NULL, 0));
	if (with_oomx)
		EXPECT_EQ(0, oomx_load(OOM_PARAMS));
	self->pid = fork();
	if (self->pid == 0) {
		char *p;

		if (cg_join(NOKILL_CG, 0))
			_exit(2);
		p = mmap(NULL, 32 * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, 32 * MB);
		_exit(0);
	}
	ASSERT_GT(self->pid, 0) TH_LOG("fork");
	/* Three of its OOMs, each finding nothing to kill. */
	t0 = oomx_now_ms();
	while (cg_events(NOKILL_CG, "oom") < ooms + 3 &&
	       pid_alive(self->pid) && oomx_now_ms() < t0 + 60000)
		oomx_sleep_ms(50);
	alive = pid_alive(self->pid);
	ksft_print_msg("%s: %ld memcg OOMs, %ld \"no killable\" lines, %ld kills, allocator %s\n",
		       with_oomx ? "oomx " : "stock",
		       cg_events(NOKILL_CG, "oom") - ooms,
		       dmesg_count(NOKILL_MSG), vmstat_oom_kill() - vm,
		       alive ? "still retrying" : "gone");
	EXPECT_GE(cg_events(NOKILL_CG, "oom"), ooms + 3);
	EXPECT_GT(dmesg_count(NOKILL_MSG), 0);
	EXPECT_EQ(vm, vmstat_oom_kill()) TH_LOG("something was killed");
	EXPECT_EQ(0, cg_events(NOKILL_CG, "oom_kill"));
	if (with_oomx) {
		EXPECT_GE(oomx_stat("action_no_victim"), 1);
		EXPECT_EQ(0, oomx_stat("victims"));
		EXPECT_STREQ("-", oomx_field(oomx_last_decision(), "victim"))
			TH_LOG("%s", oomx_last_decision());
	}
	/* A SIGKILL from outside ends the retries. */
	kill(self->pid, SIGKILL);
	EXPECT_TRUE(wait_dead(self->pid, 20000));
	waitpid(self->pid, NULL, 0);
	self->pid = -1;
	if (with_oomx)
		EXPECT_EQ(0, oomx_unload());
	return alive;
}

TEST_F_TIMEOUT(nokill, memcg_nothing_killable_kills_nobody, 300)
{
	bool stock = nokill_round(_metadata, self, false);
	bool ox = nokill_round(_metadata, self, true);

	EXPECT_EQ(stock, ox) TH_LOG("stock: allocator %s; oomx: %s",
				    stock ? "retrying" : "gone",
				    ox ? "retrying" : "gone");
}

TEST_HARNESS_MAIN
