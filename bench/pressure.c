// SPDX-License-Identifier: GPL-2.0
/*
 * pressure: the actors of the early-intervention bench (bench/early.sh
 * runs them in a guest whose disk is throttled to 8 MiB/s).
 *
 *   pressure leak MIB RATE_MIBPS [PROBE]          grow to MIB at RATE, hold
 *   pressure reader DEV OFF_MIB MIB SECS [PROBE]  re-read a region; passes
 *   pressure once DEV OFF_MIB MIB                 read a region once
 *   pressure canary PERIOD_MS SECS [PROBE]        sleep PERIOD; worst lateness
 *   pressure canary PERIOD_MS SECS PROBE|- DEV OFF_MIB MIB
 *                                                 ... its pages on DEV, touched
 *   pressure timeline PROBE [LOG]                 sample every 100 ms
 *
 * The leak touches its memory a MiB at a time at RATE and then sleeps;
 * RATE 0 is as fast as it can.  Readers keep the device open (the block
 * device's last close drops its page cache).  Results go to stdout as
 * "key value" lines for the script.
 *
 * PROBE is a small file in /tmp (tmpfs) the actors share with the
 * timeline sampler: the leak its pid and start, the canary each wake-up's
 * lateness (and when the current sleep is due, so a canary that is late
 * still shows while it is late), the reader the bytes it has read.  The
 * sampler (mlocked, oom_score_adj -1000) writes, when SIGTERM stops it,
 * one line per 100 ms tick, times in seconds since the leak started:
 *   T t MemAvailable_MiB some_% full_% canary_ms reader_MiB leak_rss_MiB
 * (PSI as the share of the tick, from the total= counters; the canary's
 * worst lateness over the tick), and one line per event:
 *   E t text
 * the kernel's OOM and oomx's lines from /dev/kmsg (printk time mapped to
 * CLOCK_MONOTONIC by two lines of its own written there, at its start and
 * end), new lines of LOG (earlyoom's), and "leak: gone" when the leak has
 * died.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MB	(1024UL * 1024)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NS	1000000000LL

struct probe {
	long long leak_t0_ns;	/* leak: CLOCK_MONOTONIC at its start */
	long long leak_pid;
	long long due_ns;		/* canary: end of the current sleep, 0 awake */
	long long last_ns;	/* canary: lateness of the last wake-up */
	long long max_ns;		/* canary: worst since the sampler took it, -1 */
	long long canary_on;	/* canary: running */
	long long bytes;		/* reader: read so far */
};

#define LD(f)		__atomic_load_n(&(f), __ATOMIC_RELAXED)
#define ST(f, v)	__atomic_store_n(&(f), (v), __ATOMIC_RELAXED)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static double now_s(void)
{
	return now_ns() / 1e9;
}

/* Nothing for s <= 0: a negative tv_nsec is EINVAL, forever. */
static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	if (s <= 0)
		return;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static struct probe *probe_map(const char *path)
{
	struct probe *p;
	int fd;

	if (!path)
		return NULL;
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		perror(path), exit(2);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		perror("mmap probe"), exit(2);
	close(fd);
	return p;
}

static int leak(unsigned long mb, double rate, struct probe *pr)
{
	char *p = mmap(NULL, mb * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double t0 = now_s();
	unsigned long i, off;

	if (pr) {
		ST(pr->leak_t0_ns, (long long)(t0 * NS));
		ST(pr->leak_pid, getpid());
	}
	if (p == MAP_FAILED)
		return perror("mmap"), 3;
	for (i = 0; i < mb; i++) {
		for (off = 0; off < MB; off += 4096)
			p[i * MB + off] = 1;
		if (rate > 0) {
			/* once: the clock moves between two reads */
			sleep_s(t0 + (i + 1) / rate - now_s());
		}
	}
	printf("leak_full_s %.2f\n", now_s() - t0);
	fflush(stdout);
	for (;;)
		pause();
}

static int stop;	/* set by SIGTERM, read with atomics */

static void on_term(int sig)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static int reader(const char *dev, long off, long mb, double secs, int loop,
		  struct probe *pr)
{
	static char buf[1 << 20];
	double end = now_s() + secs;
	long passes = 0, i;
	int fd = open(dev, O_RDONLY);

	if (fd < 0)
		return perror(dev), 2;
	signal(SIGTERM, on_term);
	do {
		for (i = 0; i < mb && !stopped(); i++) {
			if (pread(fd, buf, sizeof(buf), (off + i) * MB) !=
			    (ssize_t)sizeof(buf))
				return perror("pread"), 3;
			if (pr)
				__atomic_add_fetch(&pr->bytes, sizeof(buf),
						   __ATOMIC_RELAXED);
		}
		if (i == mb)
			passes++;
	} while (loop && !stopped() && now_s() < end);
	printf("passes %ld\n", passes);
	return 0;
}

/*
 * The canary's own pages on the disk, as a program's text and data are:
 * @mb MiB of @dev from @off MiB on, mapped and touched (a byte a page)
 * at each wake-up before it counts itself awake, so that what reclaim
 * took from it is read back inside its lateness.  Touched once first.
 */
static const char *canary_pages;
static size_t canary_len;

static void canary_touch(void)
{
	size_t i;

	for (i = 0; i < canary_len; i += 4096)
		(void)__atomic_load_n(&canary_pages[i], __ATOMIC_RELAXED);
}

static int canary(long period_ms, double secs, struct probe *pr,
		  const char *dev, long off, long mb)
{
	double end = now_s() + secs, worst = 0;

	if (dev) {
		int fd = open(dev, O_RDONLY);
		void *p;

		if (fd < 0)
			return perror(dev), 2;
		canary_len = mb * MB;
		p = mmap(NULL, canary_len, PROT_READ, MAP_SHARED, fd, off * MB);
		if (p == MAP_FAILED)
			return perror("mmap of its pages"), 2;
		canary_pages = p;
		canary_touch();
	}
	signal(SIGTERM, on_term);
	if (pr) {
		ST(pr->max_ns, -1);
		ST(pr->canary_on, 1);
	}
	while (!stopped() && now_s() < end) {
		double t = now_s(), late;

		if (pr)
			ST(pr->due_ns, (long long)(t * NS) + period_ms * 1000000);
		sleep_s(period_ms / 1000.0);
		canary_touch();
		late = now_s() - t - period_ms / 1000.0;
		if (late > worst)
			worst = late;
		if (pr) {
			long long l = late * NS, cur = LD(pr->max_ns);

			ST(pr->due_ns, 0);
			ST(pr->last_ns, l);
			while (l > cur &&
			       !__atomic_compare_exchange_n(&pr->max_ns, &cur, l,
					0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				;
		}
	}
	if (pr)
		ST(pr->canary_on, 0);
	printf("canary_worst_ms %.1f\n", worst * 1000);
	return 0;
}

/* The timeline sampler. */

struct sample {
	long long t_ns;
	long avail_mb;
	float some_pct, full_pct, canary_ms, reader_mb, rss_mb;
};

struct event {
	long long t_ns;		/* CLOCK_MONOTONIC, or printk time if kmsg */
	int kmsg;
	char text[232];
};

#define MAX_SAMPLES	(1200 * 10)	/* 20 min */
#define MAX_EVENTS	256

static struct sample samples[MAX_SAMPLES];
static struct event events[MAX_EVENTS];
static int nsamples, nevents;
/* kmsg sync lines: printk time and CLOCK_MONOTONIC at their write */
static long long sync_k[2], sync_m[2];
static int nsync;

/* PREFIX and S, cut to what fits */
static void add_event(long long t_ns, int kmsg, const char *prefix,
		      const char *s)
{
	struct event *e = &events[nevents];
	size_t n = strlen(prefix);

	if (nevents == MAX_EVENTS)
		return;
	e->t_ns = t_ns;
	e->kmsg = kmsg;
	memcpy(e->text, prefix, n);
	snprintf(e->text + n, sizeof(e->text) - n, "%s", s);
	nevents++;
}

static int wanted(const char *msg)
{
	static const char *const keys[] = {
		"oomx:", "invoked oom-killer", "ut of memory", "Killed process",
		"oom_reaper",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (strstr(msg, keys[i]))
			return 1;
	return 0;
}

/* Everything new in /dev/kmsg: records of interest and our sync lines. */
static void drain_kmsg(int fd)
{
	char buf[8192], *semi, *nl;
	unsigned long long ts;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;	/* overwritten records; go on */
		if (n <= 0)
			return;
		buf[n] = 0;
		semi = strchr(buf, ';');
		if (!semi || sscanf(buf, "%*u,%*u,%llu", &ts) != 1)
			continue;
		nl = strchr(semi + 1, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(semi + 1, "oomx-timeline: sync ", 20)) {
			int i = atoi(semi + 21);

			if (i >= 0 && i < 2)
				sync_k[i] = ts * 1000;
		} else if (wanted(semi + 1)) {
			add_event(ts * 1000, 1, "", semi + 1);
		}
	}
}

/* A line of our own into the kernel log, to map its time to ours. */
static void kmsg_sync(int rfd)
{
	int fd = open("/dev/kmsg", O_WRONLY);
	char line[64];
	long long a, b;
	int len;

	if (fd < 0 || nsync == 2)
		return;
	len = snprintf(line, sizeof(line), "oomx-timeline: sync %d\n", nsync);
	a = now_ns();
	if (write(fd, line, len) == len) {
		b = now_ns();
		sync_m[nsync] = a + (b - a) / 2;
		sync_k[nsync] = 0;
		nsync++;
	}
	close(fd);
	drain_kmsg(rfd);
}

/* printk time to CLOCK_MONOTONIC, along the line through the two syncs */
static long long kmsg_to_mono(long long k)
{
	int ok0 = nsync > 0 && sync_k[0], ok1 = nsync > 1 && sync_k[1];

	if (ok0 && ok1 && sync_k[1] > sync_k[0])
		return sync_m[0] + (long long)((double)(k - sync_k[0]) *
			(sync_m[1] - sync_m[0]) / (sync_k[1] - sync_k[0]));
	if (ok0)
		return k - sync_k[0] + sync_m[0];
	if (ok1)
		return k - sync_k[1] + sync_m[1];
	return k;	/* the same clock on most machines */
}

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static ssize_t read_at0(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

static void read_psi(int fd, long long *some, long long *full)
{
	char buf[512], *s;

	if (read_at0(fd, buf, sizeof(buf)) <= 0)
		return;
	s = strstr(buf, "some");
	s = s ? strstr(s, "total=") : NULL;
	if (s)
		*some = atoll(s + 6);
	s = strstr(buf, "full");
	s = s ? strstr(s, "total=") : NULL;
	if (s)
		*full = atoll(s + 6);
}

/* New complete lines of LOG since the last call. */
static void tail_log(int fd, long long t)
{
	static char buf[4096];
	static size_t len;
	char *nl, *s;
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += n;
		buf[len] = 0;
		s = buf;
		while ((nl = strchr(s, '\n'))) {
			*nl = 0;
			/* not its report of memory every second */
			if (*s && strncmp(s, "mem avail:", 10))
				add_event(t, 0, "earlyoom: ", s);
			s = nl + 1;
		}
		len -= s - buf;
		memmove(buf, s, len);
		if (len == sizeof(buf) - 1)
			len = 0;	/* a line longer than that: drop it */
	}
}

/* /proc/@pid/@file into @buf, NUL-terminated; its length, or -1. */
static ssize_t read_proc(long pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* The leak's resident MiB; -1 once it is dead (gone or a zombie). */
static double leak_rss(long pid)
{
	char buf[512], *p;
	long size, res;

	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (!p || p[2] == 'Z' || p[2] == 'X')
		return -1;
	if (read_proc(pid, "statm", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%ld %ld", &size, &res) != 2)
		return -1;
	return res * (sysconf(_SC_PAGESIZE) / 1024) / 1024.0;
}

static int timeline(const char *probe_path, const char *log)
{
	struct probe *pr = probe_map(probe_path);
	int kfd, mfd, pfd, lfd = -1, fd, i, gone = 0;
	long long some = 0, full = 0, some0, full0;
	long long start = now_ns(), next, prev, t0, tick = NS / 10;
	struct sigaction sa = { .sa_handler = on_term };	/* no restart */
	struct timespec ts;
	char buf[4096], *s;

	ST(pr->max_ns, -1);	/* no wake-up yet */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) != 5)
			perror("oom_score_adj");
		close(fd);
	}
	sigaction(SIGTERM, &sa, NULL);
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	kmsg_sync(kfd);
	mfd = open("/proc/meminfo", O_RDONLY);
	pfd = open("/proc/pressure/memory", O_RDONLY);
	if (log)
		lfd = open(log, O_RDONLY);
	if (lfd >= 0)
		lseek(lfd, 0, SEEK_END);
	read_psi(pfd, &some, &full);
	prev = now_ns();
	next = prev + tick;
	while (!stopped() && nsamples < MAX_SAMPLES) {
		struct sample *sm = &samples[nsamples];
		long long t, m, due;
		long pid;

		ts.tv_sec = next / NS;
		ts.tv_nsec = next % NS;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) &&
		    stopped())
			break;
		t = now_ns();
		sm->t_ns = t;
		sm->avail_mb = -1;
		s = read_at0(mfd, buf, sizeof(buf)) > 0 ?
		    strstr(buf, "MemAvailable:") : NULL;
		if (s)
			sm->avail_mb = atol(s + 13) / 1024;
		some0 = some;
		full0 = full;
		read_psi(pfd, &some, &full);
		/* total= is in us */
		sm->some_pct = (some - some0) * 1e5 / (double)(t - prev);
		sm->full_pct = (full - full0) * 1e5 / (double)(t - prev);
		if (sm->some_pct > 100)
			sm->some_pct = 100;
		if (sm->full_pct > 100)
			sm->full_pct = 100;
		/*
		 * the canary: its worst wake-up of the tick, or how late it
		 * is right now if that is worse; the last one if neither;
		 * none before it starts or after it ends
		 */
		m = __atomic_exchange_n(&pr->max_ns, -1, __ATOMIC_RELAXED);
		due = LD(pr->due_ns);
		if (due && t - due > m)
			m = t - due;
		if (m < 0)
			m = LD(pr->canary_on) ? LD(pr->last_ns) : -1;
		sm->canary_ms = m < 0 ? -1 : m / 1e6;
		sm->reader_mb = LD(pr->bytes) / (double)MB;
		pid = LD(pr->leak_pid);
		sm->rss_mb = -1;
		if (pid && !gone) {
			sm->rss_mb = leak_rss(pid);
			if (sm->rss_mb < 0) {
				gone = 1;
				add_event(t, 0, "leak: gone", "");
			}
		}
		drain_kmsg(kfd);
		tail_log(lfd, t);
		nsamples++;
		prev = t;
		next += tick;
		if (next < now_ns())	/* missed ticks: no catching up */
			next = now_ns() + tick;
	}
	kmsg_sync(kfd);
	tail_log(lfd, now_ns());

	t0 = LD(pr->leak_t0_ns);
	if (!t0)
		t0 = start;
	printf("# t0 %s; kmsg sync %d/%d", LD(pr->leak_t0_ns) ?
	       "leak start" : "sampler start", !!sync_k[0], !!sync_k[1]);
	if (sync_k[0] && sync_k[1])
		printf(", printk minus monotonic %.3f ms at start, %.3f at end",
		       (sync_k[0] - sync_m[0]) / 1e6,
		       (sync_k[1] - sync_m[1]) / 1e6);
	printf("\n# T t avail_mb some_pct full_pct canary_ms reader_mb leak_rss_mb\n");
	for (i = 0; i < nsamples; i++) {
		struct sample *sm = &samples[i];

		printf("T %.2f %ld %.1f %.1f ", (sm->t_ns - t0) / 1e9,
		       sm->avail_mb, sm->some_pct, sm->full_pct);
		if (sm->canary_ms < 0)
			printf("NaN ");
		else
			printf("%.1f ", sm->canary_ms);
		printf("%.1f ", sm->reader_mb);
		if (sm->rss_mb < 0)
			printf("NaN\n");
		else
			printf("%.1f\n", sm->rss_mb);
	}
	for (i = 0; i < nevents; i++)
		if (events[i].kmsg)
			events[i].t_ns = kmsg_to_mono(events[i].t_ns);
	qsort(events, nevents, sizeof(events[0]), cmp_event);
	for (i = 0; i < nevents; i++)
		printf("E %.3f %s\n", (events[i].t_ns - t0) / 1e9,
		       events[i].text);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "leak"))
		return leak(strtoul(argv[2], NULL, 10), atof(argv[3]),
			    probe_map(argv[4]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "reader"))
		return reader(argv[2], atol(argv[3]), atol(argv[4]),
			      atof(argv[5]), 1, probe_map(argv[6]));
	if (argc == 5 && !strcmp(argv[1], "once"))
		return reader(argv[2], atol(argv[3]), atol(argv[4]), 0, 0,
			      NULL);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "canary"))
		return canary(atol(argv[2]), atof(argv[3]), probe_map(argv[4]),
			      NULL, 0, 0);
	if (argc == 8 && !strcmp(argv[1], "canary"))
		return canary(atol(argv[2]), atof(argv[3]),
			      strcmp(argv[4], "-") ? probe_map(argv[4]) : NULL,
			      argv[5], atol(argv[6]), atol(argv[7]));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "timeline"))
		return timeline(argv[2], argv[3]);
	fprintf(stderr, "usage: see the comment at the top of the source\n");
	return 2;
}
