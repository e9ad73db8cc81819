/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for oomx's in-guest selftests: load and unload the module by
 * syscall, read and write its parameters, read its counters and decision
 * records, and run memory hogs whose size and oom_score_adj we choose.
 * Everything here talks to the real kernel; nothing is simulated.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OOMX_KO		"/lib/oomx/oomx.ko"
#define OOMX_PARAMS	"/sys/module/oomx/parameters/"
#define OOMX_DEBUGFS	"/sys/kernel/debug/oomx/"
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
static inline int oomx_load(const char *params)
{
	int fd = open(OOMX_KO, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static inline int oomx_unload(void)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (!syscall(SYS_delete_module, "oomx", O_NONBLOCK))
			return 0;
		if (errno == ENOENT)
			return -ENOENT;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		oomx_sleep_ms(50);
	}
	return -EBUSY;
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

static inline int oomx_param_write(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), OOMX_PARAMS "%s", name);
	return oomx_write_file(path, val);
}

/* The parameter's value without the trailing newline ("" on error). */
static inline const char *oomx_param_read(const char *name)
{
	static char buf[256];
	char path[256];

	snprintf(path, sizeof(path), OOMX_PARAMS "%s", name);
	if (oomx_read_file(path, buf, sizeof(buf)))
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* "name value" line in a file such as debugfs stats or /proc/vmstat. */
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

static inline long oomx_stat(const char *key)
{
	return oomx_keyed(OOMX_DEBUGFS "stats", key);
}

static inline long vmstat_oom_kill(void)
{
	return oomx_keyed("/proc/vmstat", "oom_kill");
}

static inline long meminfo_kb(const char *key)
{
	static char buf[8192];
	char *p;

	if (oomx_read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;
}

/* The value of key= in a decision line ("" if absent). */
static inline const char *oomx_field(const char *line, const char *key);

/* The last decision once its reap= is no longer "pending" (or timeout). */
static inline const char *oomx_settled_decision(long timeout_ms);

/* The last line of the decision records, or "" if there is none. */
static inline const char *oomx_last_decision(void)
{
	static char buf[65536];
	char *end, *start;

	if (oomx_read_file(OOMX_DEBUGFS "decisions", buf, sizeof(buf)))
		return "";
	end = buf + strlen(buf);
	while (end > buf && end[-1] == '\n')
		*--end = '\0';
	start = strrchr(buf, '\n');
	return start ? start + 1 : buf;
}

/* The value of key= in a decision line ("" if absent). */
static inline const char *oomx_field(const char *line, const char *key)
{
	static char val[1024];
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
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid ? pid : getpid());
	snprintf(val, sizeof(val), "%d", adj);
	return oomx_write_file(path, val);
}

static inline void touch_mem(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += 4096)
		p[off] = 1;
}

static void *hog_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

enum hog_kind { HOG_PLAIN, HOG_THREADS, HOG_CLONE_VM };

struct hog {
	pid_t pid;
	pid_t sharer;	/* HOG_CLONE_VM: the CLONE_VM child */
};

static int hog_sharer_fn(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/*
 * Fork a process holding @mb MiB of touched anonymous memory with
 * oom_score_adj @adj; returns once the memory is resident.
 */
static inline struct hog hog_start(size_t mb, int adj, enum hog_kind kind)
{
	struct hog h = { -1, -1 };
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return h;
	pid = fork();
	if (pid == 0) {
		size_t len = mb * MB;
		char *p;
		pid_t sharer = -1;

		close(fds[0]);
		if (set_oom_score_adj(0, adj))
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		touch_mem(p, len);
		if (kind == HOG_THREADS) {
			pthread_t t;
			int i;

			for (i = 0; i < 4; i++)
				pthread_create(&t, NULL, hog_thread, NULL);
		} else if (kind == HOG_CLONE_VM) {
			static char stack[64 * 1024];

			sharer = clone(hog_sharer_fn, stack + sizeof(stack),
				       CLONE_VM | SIGCHLD, NULL);
		}
		if (write(fds[1], &sharer, sizeof(sharer)) != sizeof(sharer))
			_exit(4);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &h.sharer, sizeof(h.sharer)) == sizeof(h.sharer))
		h.pid = pid;
	close(fds[0]);
	return h;
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

/* Reap a dead child without blocking, so it leaves /proc. */
static inline void reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Force one global OOM: a child marked -1000 (never the victim) touches up
 * to @mb MiB, a MiB at a time, and stops as soon as /proc/vmstat oom_kill
 * moves.  The fault that hit the OOM returns only once memory is back, so
 * exactly one OOM event is forced, however far MemAvailable was from the
 * truth.  Returns 0 when a kill was seen, 5 when @mb was allocated with no
 * OOM, or -1 on timeout.
 */
static inline long kill_count(bool oomx_only)
{
	return oomx_only ? oomx_stat("kills") : vmstat_oom_kill();
}

/*
 * Stop after @nkills kills; @oomx_only: count oomx's kills only (memcg OOM
 * kills move vmstat too).
 */
static inline int oom_trigger_until(size_t mb, long timeout_ms, bool oomx_only,
				    long nkills)
{
	long deadline = oomx_now_ms() + timeout_ms;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		long kills = kill_count(oomx_only);
		size_t i;
		char *p;

		if (set_oom_score_adj(0, -1000))
			_exit(2);
		p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < mb; i++) {
			touch_mem(p + i * MB, MB);
			if (kill_count(oomx_only) - kills >= nkills)
				_exit(0);
		}
		_exit(5);
	}
	if (pid < 0)
		return -1;
	while (oomx_now_ms() < deadline) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		oomx_sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static inline int oom_trigger(size_t mb, long timeout_ms)
{
	return oom_trigger_until(mb, timeout_ms, false, 1);
}

/*
 * Put @pid in cgroup @cg, created if need be, allowed 1 ms of CPU a
 * second: a victim there cannot run its exit path in any useful time.
 */
static inline int throttle_in(const char *cg, pid_t pid)
{
	char path[256], buf[32];

	mkdir(cg, 0755);
	snprintf(path, sizeof(path), "%s/cpu.max", cg);
	if (oomx_write_file(path, "1000 1000000"))
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(buf, sizeof(buf), "%d", pid);
	return oomx_write_file(path, buf);
}

/* MiB the next allocation can take before the kernel must reclaim hard. */
static inline long avail_mb(void)
{
	return meminfo_kb("MemAvailable:") / 1024;
}

#endif /* OOMX_UTIL_H */
