/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for oomx's in-guest selftests: load and unload the modules by
 * syscall, read and write oomx's parameters, counters and decision
 * records, and build OOM scenes: memory hogs of chosen size, oom_score_adj
 * and shape, inside a cgroup that either is a memory cgroup with a limit
 * (memcg OOM) or has none (global OOM), and an allocator that forces
 * exactly one OOM.  Everything here talks to the real kernel.
 */
#ifndef OOMX_UTIL_H
#define OOMX_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"

#define OOMX_KO		"/lib/oomx/oomx.ko"
#define OOMX_TEST_KO	"/lib/oomx/oomx_test.ko"
#define OOMX_PARAMS	"/sys/module/oomx/parameters/"
#define OOMX_DEBUGFS	"/sys/kernel/debug/oomx/"
#define OOMX_SYSFS	"/sys/kernel/oomx/"
#define TRACEFS		"/sys/kernel/tracing"
/* A tracefs instance of the tests' own: the global buffer stays as it is. */
#define OOMX_TRACE	TRACEFS "/instances/oomx-t"
#define MB		(1024UL * 1024UL)

static inline long oomx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline void oomx_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* finit_module(): returns 0 or -errno. */
static inline int load_module(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static inline int unload_module(const char *name)
{
	int tries;

	for (tries = 0; tries < 200; tries++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return -ENOENT;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		oomx_sleep_ms(50);
	}
	return -EBUSY;
}

static inline int oomx_load(const char *params)
{
	return load_module(OOMX_KO, params);
}

static inline int oomx_unload(void)
{
	return unload_module("oomx");
}

static inline bool oomx_loaded(void)
{
	return access("/sys/module/oomx", F_OK) == 0;
}

static inline int oomx_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, off = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)off < len - 1 &&
	       (n = read(fd, buf + off, len - 1 - off)) > 0)
		off += n;
	close(fd);
	buf[off] = '\0';
	return 0;
}

/*
 * "key=N" from the guest's kernel command line (a whole word: key must
 * start it), base as strtoull's 0 gives it; @def when absent.  The long
 * runs' knobs (soak.sh) come this way.
 */
static inline unsigned long long oomx_cmdline_ull(const char *key,
						  unsigned long long def)
{
	char buf[4096], pat[128];
	const char *p;

	if (oomx_read_file("/proc/cmdline", buf, sizeof(buf)))
		return def;
	snprintf(pat, sizeof(pat), "%s=", key);
	for (p = strstr(buf, pat); p; p = strstr(p + 1, pat))
		if (p == buf || p[-1] == ' ')
			return strtoull(p + strlen(pat), NULL, 0);
	return def;
}

/*
 * A file into the TAP stream, each line its own "# " diagnostic, so a
 * failure on CI shows the whole dump and not its first line only.
 */
static inline void oomx_log_file(const char *path)
{
	char buf[1 << 15], *line, *save = NULL;

	if (oomx_read_file(path, buf, sizeof(buf))) {
		ksft_print_msg("%s: unreadable\n", path);
		return;
	}
	ksft_print_msg("%s:\n", path);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("  %s\n", line);
}

/* write(2) one value; returns 0 or -errno as the kernel answered. */
static inline int oomx_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static inline int write_int(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return oomx_write_file(path, buf);
}

static inline long read_long(const char *path)
{
	char buf[64];

	if (oomx_read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static inline int oomx_param_write(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), OOMX_PARAMS "%s", name);
	return oomx_write_file(path, val);
}

/* The first line of @dir@name into @buf, without its newline ("" on error). */
static inline const char *oomx_first_line(const char *dir, const char *name,
					  char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	if (oomx_read_file(path, buf, len))
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The parameter's value without the trailing newline ("" on error). */
static inline const char *oomx_param_read(const char *name)
{
	static char buf[256];

	return oomx_first_line(OOMX_PARAMS, name, buf, sizeof(buf));
}

/* "name value" (or "name: value") line of a file; -1 if absent. */
static inline long oomx_keyed(const char *path, const char *key)
{
	static char buf[65536];
	size_t klen = strlen(key);
	char *p;

	if (oomx_read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && (p[klen] == ' ' || p[klen] == ':'))
			return strtol(p + klen + 1, NULL, 10);
	return -1;
}

/* A counter, from the stable interface: /sys/kernel/oomx/stats/<key>. */
static inline long oomx_stat(const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), OOMX_SYSFS "stats/%s", key);
	return read_long(path);
}

static inline long vmstat_oom_kill(void)
{
	return oomx_keyed("/proc/vmstat", "oom_kill");
}

static inline long meminfo_kb(const char *key)
{
	return oomx_keyed("/proc/meminfo", key);
}

/* A process's resident memory, kB (VmRSS), or -1. */
static inline long proc_rss_kb(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return oomx_keyed(path, "VmRSS");
}

/* MiB the next allocation can take before the kernel must reclaim hard. */
static inline long avail_mb(void)
{
	return meminfo_kb("MemAvailable") / 1024;
}

static inline bool file_has(const char *path, const char *needle)
{
	static char buf[65536];

	return !oomx_read_file(path, buf, sizeof(buf)) && strstr(buf, needle);
}

/* Is @sym a symbol of the running kernel (or a module)? */
static inline bool kernel_has_symbol(const char *sym)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", name) == 1 &&
			!strcmp(name, sym);
	if (f)
		fclose(f);
	return found;
}

/* The kernel's log lines holding @needle, or -1. */
static inline long dmesg_count(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	long count = 0;
	char *p;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (p = strstr(buf, needle); p; p = strstr(p + 1, needle))
		count++;
	return count;
}

static inline bool dmesg_has(const char *needle)
{
	return dmesg_count(needle) > 0;
}

/* The newest decision record, or "" if there is none. */
/*
 * Does policy=classic, with no rule, score_all or dry_run, leave oomx's
 * candidate hook (oom_badness) idle on this kernel?  Not where the mm
 * counters can be off by 64 MB (include/compat.h): 6.1 caches per
 * thread, and a process may have any number of threads; 6.2 on counts
 * per CPU, off by 4 counters x max(32, 2 x CPUs) pages x CPUs, the
 * possible CPUs bounding it.
 */
static inline bool oomx_classic_scan_idle(void)
{
	char buf[64];
	struct utsname u;
	int major = 0, minor = 0;
	long cpus, last = 0, batch;
	char *dash;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	if (major < 6 || (major == 6 && minor < 2))
		return false;
	if (oomx_read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)))
		return false;
	dash = strrchr(buf, '-');
	last = strtol(dash ? dash + 1 : buf, NULL, 10);
	cpus = last + 1;
	batch = 2 * cpus > 32 ? 2 * cpus : 32;
	return 4 * batch * cpus < (64L << 20) / sysconf(_SC_PAGESIZE);
}

static inline const char *oomx_last_decision(void)
{
	static char buf[1 << 17];
	char *end, *start;

	if (oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
		return "";
	end = buf + strlen(buf);
	while (end > buf && end[-1] == '\n')
		*--end = '\0';
	start = strrchr(buf, '\n');
	return start ? start + 1 : buf;
}

/*
 * The newest record of a kill (action=kill), or "": a later OOM in the
 * same episode (the dying victim allocating: current_exiting) records
 * no kill of its own.
 */
static inline const char *oomx_last_kill(void)
{
	static char buf[1 << 17];
	char *line, *kill = NULL;

	if (oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
		return "";
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, " action=kill "))
			kill = line;
	return kill ? kill : "";
}

/* The first line of /sys/kernel/oomx/<name> (a record: last_decision), or "". */
static inline const char *oomx_sysfs_read(const char *name)
{
	static char buf[8192];

	return oomx_first_line(OOMX_SYSFS, name, buf, sizeof(buf));
}

/* The value of key= in a decision line ("" if absent), in a static buffer. */
static inline const char *oomx_field(const char *line, const char *key)
{
	static char val[4096];
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p) {
		if (strncmp(line, pat + 1, strlen(pat) - 1))
			return "";
		p = line - 1;
	}
	p += strlen(pat);
	n = strcspn(p, "\n ");
	if (n >= sizeof(val))
		n = sizeof(val) - 1;
	memcpy(val, p, n);
	val[n] = '\0';
	return val;
}

static inline long oomx_field_long(const char *line, const char *key)
{
	const char *v = oomx_field(line, key);

	return *v && *v != '-' ? strtol(v, NULL, 10) : -1;
}

/* Does the record's task field (pid:comm:...) name @pid? */
static inline bool oomx_field_pid(const char *line, const char *key, pid_t pid)
{
	return oomx_field_long(line, key) == pid;
}

/*
 * Record oomx's trace events (events/oomx/, every one) into a fresh
 * tracefs instance, mounting tracefs if nobody has.  0 or -errno.
 */
static inline int oomx_trace_start(void)
{
	if (access(TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	rmdir(OOMX_TRACE);
	if (mkdir(OOMX_TRACE, 0755))
		return -errno;
	return oomx_write_file(OOMX_TRACE "/events/oomx/enable", "1");
}

/* What the instance recorded, in a static buffer ("" if unreadable). */
static inline const char *oomx_trace_read(void)
{
	static char buf[1 << 18];

	return oomx_read_file(OOMX_TRACE "/trace", buf, sizeof(buf)) ? "" : buf;
}

static inline void oomx_trace_stop(void)
{
	oomx_write_file(OOMX_TRACE "/events/oomx/enable", "0");
	rmdir(OOMX_TRACE);
}

/*
 * The first line of @trace from event @event ("oomx_reap") whose fields
 * include @a and, if given, @b ("seq=3"), in a static buffer, or "".
 */
static inline const char *oomx_trace_line(const char *trace, const char *event,
					  const char *a, const char *b)
{
	static char line[1024];
	char ev[64], fa[128], fb[128];
	const char *p, *end;

	snprintf(ev, sizeof(ev), " %s: ", event);
	snprintf(fa, sizeof(fa), " %s ", a);
	snprintf(fb, sizeof(fb), " %s ", b ? b : "");
	for (p = trace; p && *p; p = end ? end + 1 : NULL) {
		size_t n;

		end = strchr(p, '\n');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n + 2 >= sizeof(line))
			continue;
		/* Padded with blanks so that every field is " k=v ". */
		line[0] = ' ';
		memcpy(line + 1, p, n);
		line[n + 1] = ' ';
		line[n + 2] = '\0';
		if (strstr(line, ev) && strstr(line, fa) && (!b || strstr(line, fb)))
			return line;
	}
	return "";
}

/* The newest record once the reaper has settled it (or the timeout). */
static inline const char *oomx_settled_decision(long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;
	const char *rec = oomx_last_decision();

	while (!strcmp(oomx_field(rec, "reap"), "pending") &&
	       oomx_now_ms() < deadline) {
		oomx_sleep_ms(20);
		rec = oomx_last_decision();
	}
	return rec;
}

static inline int set_oom_score_adj(pid_t pid, int adj)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid ? pid : getpid());
	return write_int(path, adj);
}

static inline void touch_mem(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += 4096)
		p[off] = 1;
}

static inline bool pid_alive(pid_t pid)
{
	char path[64], buf[512], *p;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (oomx_read_file(path, buf, sizeof(buf)))
		return false;
	p = strrchr(buf, ')');
	/* A zombie has released everything: it counts as dead. */
	return p && p[2] != 'Z' && p[2] != 'X';
}

/* Reap dead children without blocking, so they leave /proc. */
static inline void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static inline bool wait_dead(pid_t pid, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (oomx_now_ms() < deadline) {
		reap_children();
		if (!pid_alive(pid))
			return true;
		oomx_sleep_ms(20);
	}
	return !pid_alive(pid);
}

/*
 * Until @pid, a child, is reaped: every thread of it gone.  A group
 * leader shows as a zombie while its other threads still exit, and
 * cannot be reaped before they are gone.
 */
static inline bool wait_reaped(pid_t pid, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (oomx_now_ms() < deadline) {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		oomx_sleep_ms(20);
	}
	return false;
}

/* ---- scenes: where the hogs live, and what limits them ---- */

#define SCENE_CG	"/sys/fs/cgroup/oomx-t"
#define SCENE_WORK	SCENE_CG "/work"
#define SCENE_SLOW	SCENE_CG "/slow"
#define SCENE_GROUP	SCENE_CG "/group"

struct scene {
	bool memcg;		/* memory.max on SCENE_CG: memcg OOMs */
	long budget_mb;		/* what the hogs are sized against */
};

static inline void scene_rmdir(void)
{
	oomx_write_file(SCENE_SLOW "/cpu.max", "max 100000");
	rmdir(SCENE_SLOW);
	rmdir(SCENE_WORK);
	rmdir(SCENE_GROUP);
	rmdir(SCENE_CG);
}

/* 0, or which step failed. */
static inline int scene_init(struct scene *s, bool memcg, long memcg_mb)
{
	scene_rmdir();
	s->memcg = memcg;
	if (mkdir(SCENE_CG, 0755))
		return 1;
	if (oomx_write_file(SCENE_CG "/cgroup.subtree_control", "+memory +cpu"))
		return 2;
	if (mkdir(SCENE_WORK, 0755) || mkdir(SCENE_SLOW, 0755) ||
	    mkdir(SCENE_GROUP, 0755))
		return 3;
	/* 1 ms of CPU a second: a victim here cannot run its exit path. */
	if (oomx_write_file(SCENE_SLOW "/cpu.max", "1000 1000000"))
		return 4;
	if (memcg) {
		if (write_int(SCENE_CG "/memory.max", memcg_mb * MB))
			return 5;
		/* No swap to hide in: the limit is the limit. */
		oomx_write_file(SCENE_CG "/memory.swap.max", "0");
		s->budget_mb = memcg_mb;
	} else {
		s->budget_mb = avail_mb();
	}
	return 0;
}

/* MiB the scene can still take before it OOMs. */
static inline long scene_room_mb(const struct scene *s)
{
	char buf[64];

	if (!s->memcg)
		return avail_mb();
	if (oomx_read_file(SCENE_CG "/memory.current", buf, sizeof(buf)))
		return 0;
	return s->budget_mb - strtol(buf, NULL, 10) / (long)MB;
}

/* rmdir @parent/@prefix@i for @from <= i < @to: a scene's numbered cgroups. */
static inline void cg_rmdir_numbered(const char *parent, const char *prefix,
				     int from, int to)
{
	char path[256];
	int i;

	for (i = from; i < to; i++) {
		snprintf(path, sizeof(path), "%s/%s%d", parent, prefix, i);
		rmdir(path);
	}
}

static inline int cg_join(const char *cg, pid_t pid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	return write_int(path, pid);
}

static inline long cg_events(const char *cg, const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	return oomx_keyed(path, key);
}

enum hog_kind {
	HOG_PLAIN,
	HOG_THREADS,		/* four more threads, all in the memory */
	HOG_LEADER_EXITED,	/* threads hold the memory; the leader has exited */
	HOG_CLONE_VM,		/* a CLONE_VM child process shares the mm */
};

struct hog {
	pid_t pid;
	pid_t sharer;		/* HOG_CLONE_VM: the CLONE_VM child */
};

/* In a hog whose memory a thread holds: where that thread says "ready". */
static int hog_ready_fd = -1;

static void *hog_thread(void *arg)
{
	size_t len = (size_t)arg;

	if (len) {
		pid_t none = -1;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, len);
		if (write(hog_ready_fd, &none, sizeof(none)) != sizeof(none))
			_exit(4);
	}
	for (;;)
		pause();
	return NULL;
}

static int hog_sharer_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* What a hog does besides holding memory. */
struct hog_opts {
	void (*init)(void *arg);	/* first thing, in the child */
	void (*idle)(void *arg);	/* instead of pause() once ready */
	void *arg;
};

/*
 * Fork a process that joins cgroup @cg (if any), sets oom_score_adj @adj
 * and holds @mb MiB of touched anonymous memory; returns once it is
 * resident.
 */
static inline struct hog hog_start_opts(const char *cg, size_t mb, int adj,
					enum hog_kind kind,
					const struct hog_opts *o)
{
	struct hog h = { -1, -1 };
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return h;
	pid = fork();
	if (pid == 0) {
		size_t len = mb * MB;
		pid_t sharer = -1;
		pthread_t t;
		char *p;
		int i;

		close(fds[0]);
		if (cg && cg_join(cg, 0))
			_exit(2);
		if (set_oom_score_adj(0, adj))
			_exit(2);
		if (o && o->init)
			o->init(o->arg);
		if (kind == HOG_LEADER_EXITED) {
			/* The memory lives in a thread; the leader leaves. */
			hog_ready_fd = fds[1];
			pthread_create(&t, NULL, hog_thread, NULL);
			pthread_create(&t, NULL, hog_thread, (void *)len);
			pthread_exit(NULL);
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, len);
		if (kind == HOG_THREADS) {
			for (i = 0; i < 4; i++)
				pthread_create(&t, NULL, hog_thread, NULL);
		} else if (kind == HOG_CLONE_VM) {
			static char stack[64 * 1024];

			sharer = clone(hog_sharer_fn, stack + sizeof(stack),
				       CLONE_VM | SIGCHLD, NULL);
		}
		if (write(fds[1], &sharer, sizeof(sharer)) != sizeof(sharer))
			_exit(4);
		for (;;) {
			if (o && o->idle)
				o->idle(o->arg);
			else
				pause();
		}
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &h.sharer, sizeof(h.sharer)) == sizeof(h.sharer))
		h.pid = pid;
	close(fds[0]);
	return h;
}

static inline struct hog hog_start(const char *cg, size_t mb, int adj,
				   enum hog_kind kind)
{
	return hog_start_opts(cg, mb, adj, kind, NULL);
}

static inline void hog_stop(struct hog *h)
{
	if (h->sharer > 0)
		kill(h->sharer, SIGKILL);
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
	}
	*h = (struct hog){ -1, -1 };
}

/* Wait up to @timeout_ms for child @pid; its exit code, or -1 (killed). */
static inline int wait_child(pid_t pid, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;
	int status;

	if (pid < 0)
		return -1;
	while (oomx_now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		oomx_sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* When a forced OOM has done its work: a number of kills, or one death. */
struct oom_stop {
	long nkills;		/* /proc/vmstat oom_kill moved this much */
	pid_t victim;		/* or: this process is dead */
};

/*
 * Force OOMs in cgroup @cg (NULL: none): a child marked -1000 (never the
 * victim) touches up to @mb MiB, a MiB at a time, and stops as soon as
 * @stop holds.  The fault that hit the OOM returns only once memory is
 * back, so only the OOMs needed are forced.  Returns 0 when @stop held,
 * 5 when @mb was allocated without it, -1 on timeout.
 */
static inline int oom_trigger_stop(const char *cg, size_t mb,
				   struct oom_stop stop, long timeout_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		long kills = vmstat_oom_kill();
		size_t i;
		char *p;

		if ((cg && cg_join(cg, 0)) || set_oom_score_adj(0, -1000))
			_exit(2);
		p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < mb; i++) {
			touch_mem(p + i * MB, MB);
			if (stop.victim > 0 ? !pid_alive(stop.victim) :
			    vmstat_oom_kill() - kills >= stop.nkills)
				_exit(0);
		}
		_exit(5);
	}
	return wait_child(pid, timeout_ms);
}

static inline int oom_trigger_in(const char *cg, size_t mb, long nkills,
				 long timeout_ms)
{
	return oom_trigger_stop(cg, mb, (struct oom_stop){ .nkills = nkills },
				timeout_ms);
}

/* For scenes where other OOMs (another cgroup's) move /proc/vmstat too. */
static inline int oom_trigger_until_dead(const char *cg, size_t mb,
					 pid_t victim, long timeout_ms)
{
	return oom_trigger_stop(cg, mb, (struct oom_stop){ .victim = victim },
				timeout_ms);
}

/* @pid's state letter in /proc/PID/stat ('R', 'S', 'D', 'T', 't'...), or 0. */
static inline char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (oomx_read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Until @pid is in state @state, or the timeout; whether it got there. */
static inline bool wait_state(pid_t pid, char state, long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	for (;;) {
		/* Judged by the look that ended the wait, not a second one. */
		if (proc_state(pid) == state)
			return true;
		if (oomx_now_ms() >= deadline)
			return false;
		oomx_sleep_ms(20);
	}
}

/* A "Key: N kB" line of /proc/PID/@file ("status", "smaps_rollup"), or -1. */
static inline long proc_kb(pid_t pid, const char *file, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return oomx_keyed(path, key);
}

/* Until the "@key N" line of @path reads @want, or the timeout. */
static inline bool wait_keyed(const char *path, const char *key, long want,
			      long timeout_ms)
{
	long deadline = oomx_now_ms() + timeout_ms;

	while (oomx_keyed(path, key) != want && oomx_now_ms() < deadline)
		oomx_sleep_ms(20);
	return oomx_keyed(path, key) == want;
}

#endif /* OOMX_UTIL_H */
