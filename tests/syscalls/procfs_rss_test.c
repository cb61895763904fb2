/*
 * Resident set sizes in /proc: statm, status (VmRSS = RssAnon + RssFile +
 * RssShmem) and smaps Rss follow the pages a process touches, for itself
 * and as another process sees it while it sleeps (in read(2) on a pipe, in
 * nanosleep, in a futex wait), and stay below the mapped size.
 */
#include "harness.h"

#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define MIB (1024ULL * 1024)

/* statm's first two fields, in bytes. */
static int read_statm(pid_t pid, unsigned long long *size, unsigned long long *res)
{
	char path[64], buf[256];
	long pg = sysconf(_SC_PAGESIZE);

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/statm");
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", size, res) != 2)
		return -1;
	*size *= (unsigned long long)pg;
	*res *= (unsigned long long)pg;
	return 0;
}

/* A "Key:   N kB" line of a /proc file, in bytes; -1 if missing. */
static long long read_kb(const char *path, const char *key)
{
	static char buf[1 << 16];
	size_t klen = strlen(key);
	long long v = -1;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			v = atoll(p + klen + 1) * 1024;
			break;
		}
	return v;
}

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
}

TEST(statm_self_grows_with_touched_pages)
{
	unsigned long long s0, r0, s1, r1, s2, r2;
	size_t len = 256 * MIB, used = 64 * MIB;

	if (!EXPECT_EQ(read_statm(0, &s0, &r0), 0))
		return;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!EXPECT_TRUE(p != MAP_FAILED))
		return;
	EXPECT_EQ(read_statm(0, &s1, &r1), 0);
	EXPECT_GE(s1, s0 + len);
	EXPECT_LT(r1, r0 + 8 * MIB); /* mapping alone is not residency */
	touch(p, used);
	EXPECT_EQ(read_statm(0, &s2, &r2), 0);
	EXPECT_GE(r2, r1 + used - 4 * MIB);
	EXPECT_LT(r2, r1 + used + 16 * MIB);
	EXPECT_LT(r2, s2);
	munmap(p, len);
	EXPECT_EQ(read_statm(0, &s2, &r2), 0);
	EXPECT_LT(r2, r1 + 16 * MIB);
}

TEST(status_rss_split_by_kind)
{
	size_t len = 64 * MIB, used = 32 * MIB;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!EXPECT_TRUE(a != MAP_FAILED && s != MAP_FAILED))
		return;
	long long anon0 = read_kb("/proc/self/status", "RssAnon");
	long long shm0 = read_kb("/proc/self/status", "RssShmem");
	touch(a, used);
	touch(s, used);
	long long rss = read_kb("/proc/self/status", "VmRSS");
	long long anon = read_kb("/proc/self/status", "RssAnon");
	long long file = read_kb("/proc/self/status", "RssFile");
	long long shm = read_kb("/proc/self/status", "RssShmem");
	long long size = read_kb("/proc/self/status", "VmSize");
	long long hwm = read_kb("/proc/self/status", "VmHWM");
	EXPECT_GE(anon, anon0 + (long long)used - (long long)(4 * MIB));
	EXPECT_GE(shm, shm0 + (long long)used - (long long)(4 * MIB));
	EXPECT_LT(shm, shm0 + (long long)used + (long long)(4 * MIB));
	/* The fields are read one after the other: allow a little drift. */
	EXPECT_LE(rss - (anon + file + shm), (long long)(2 * MIB));
	EXPECT_LE((anon + file + shm) - rss, (long long)(2 * MIB));
	EXPECT_LT(rss, size);
	EXPECT_GE(hwm + (long long)(2 * MIB), rss);
	munmap(a, len);
	munmap(s, len);
}

TEST(smaps_rss_of_one_mapping)
{
	size_t len = 64 * MIB, used = 16 * MIB;
	/* PROT_NONE guard pages keep the VMA from merging with a neighbour. */
	char *g = mmap(NULL, len + 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!EXPECT_TRUE(g != MAP_FAILED))
		return;
	char *p = g + 4096;
	if (!EXPECT_SYS(mprotect(p, len, PROT_READ | PROT_WRITE)))
		return;
	touch(p, used);
	static char buf[1 << 20];
	int fd = open("/proc/self/smaps", O_RDONLY);
	if (!EXPECT_TRUE(fd >= 0))
		return;
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char head[64];
	snprintf(head, sizeof(head), "%lx-%lx ", (unsigned long)p, (unsigned long)(p + len));
	char *v = strstr(buf, head);
	if (!EXPECT_TRUE(v != NULL))
		return;
	long long size = -1, rss = -1;
	char *sz = strstr(v, "\nSize:"), *rs = strstr(v, "\nRss:");
	if (sz)
		size = atoll(sz + 6);
	if (rs)
		rss = atoll(rs + 5);
	EXPECT_EQ(size, (long long)(len / 1024));
	EXPECT_EQ(rss, (long long)(used / 1024));
	munmap(g, len + 8192);
}

enum sleep_kind { SLEEP_PIPE, SLEEP_NANOSLEEP, SLEEP_FUTEX };

/* A child touches used bytes of a len-byte mapping, says so, and sleeps the
 * given way; the parent sees its resident size from outside. */
static void other_process(enum sleep_kind how)
{
	size_t len = 512 * MIB, used = 64 * MIB;
	int ready[2], hold[2];
	unsigned long long s, r;

	if (!EXPECT_SYS(pipe(ready)) || !EXPECT_SYS(pipe(hold)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		touch(p, used);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		char c;
		static uint32_t word;
		struct timespec ts = {30, 0};
		switch (how) {
		case SLEEP_PIPE:
			if (read(hold[0], &c, 1) < 0)
				_exit(1);
			break;
		case SLEEP_NANOSLEEP:
			nanosleep(&ts, NULL);
			break;
		case SLEEP_FUTEX:
			syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
			break;
		}
		_exit(0);
	}
	if (!EXPECT_TRUE(pid > 0))
		return;
	char c;
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	/* Let it reach its sleep (nothing here depends on how long that takes:
	 * the figures are the same before and after). */
	usleep(100000);
	if (EXPECT_EQ(read_statm(pid, &s, &r), 0)) {
		EXPECT_GE(s, len);
		EXPECT_GE(r, used - 4 * MIB);
		EXPECT_LT(r, used + 48 * MIB);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	long long rss = read_kb(path, "VmRSS");
	EXPECT_GE(rss, (long long)(used - 4 * MIB));
	EXPECT_LT(rss, (long long)(used + 48 * MIB));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	close(hold[0]);
	close(hold[1]);
}

TEST(other_process_sleeping_in_pipe_read)
{
	other_process(SLEEP_PIPE);
}

TEST(other_process_sleeping_in_nanosleep)
{
	other_process(SLEEP_NANOSLEEP);
}

TEST(other_process_sleeping_in_futex_wait)
{
	other_process(SLEEP_FUTEX);
}
