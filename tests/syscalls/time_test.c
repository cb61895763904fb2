/* clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep. */
#include <sys/time.h>
#include <time.h>

#include "harness.h"

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

TEST(realtime_agrees_with_time_and_gettimeofday)
{
	struct timespec ts;
	struct timeval tv;
	time_t t, raw;

	EXPECT_SYS(clock_gettime(CLOCK_REALTIME, &ts));
	EXPECT_SYS(gettimeofday(&tv, NULL));
	t = time(NULL);
	raw = (time_t)syscall(SYS_time, NULL);
	/* After 2020-01-01 and consistent with each other to within a few seconds. */
	EXPECT_GT(ts.tv_sec, 1577836800);
	EXPECT_LE(llabs((long long)tv.tv_sec - ts.tv_sec), 2);
	EXPECT_LE(llabs((long long)t - ts.tv_sec), 2);
	EXPECT_LE(llabs((long long)raw - ts.tv_sec), 2);
	EXPECT_GE(ts.tv_nsec, 0);
	EXPECT_LT(ts.tv_nsec, 1000000000);
	EXPECT_GE(tv.tv_usec, 0);
	EXPECT_LT(tv.tv_usec, 1000000);
}

TEST(raw_syscalls_match_vdso)
{
	struct timespec a, b;
	struct timeval tv;
	time_t t = 0;

	EXPECT_SYS(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a));
	EXPECT_SYS(clock_gettime(CLOCK_REALTIME, &b));
	EXPECT_LE(llabs(ns(&b) - ns(&a)), 2000000000LL);
	EXPECT_SYS(syscall(SYS_gettimeofday, &tv, NULL));
	EXPECT_LE(llabs((long long)tv.tv_sec - b.tv_sec), 2);
	EXPECT_EQ(syscall(SYS_time, &t), t);
	EXPECT_LE(llabs((long long)t - b.tv_sec), 2);
}

TEST(monotonic_never_goes_backwards)
{
	struct timespec prev, cur;

	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &prev));
	for (int i = 0; i < 2000; i++) {
		clockid_t c = CLOCK_MONOTONIC;
		if (i % 2 == 0)
			EXPECT_SYS(syscall(SYS_clock_gettime, c, &cur));
		else
			EXPECT_SYS(clock_gettime(c, &cur));
		if (!EXPECT_GE(ns(&cur), ns(&prev)))
			return;
		prev = cur;
	}
}

TEST(other_clocks)
{
	static const clockid_t clocks[] = {
		CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
	};
	struct timespec ts, mono, boot;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (EXPECT_SYS(syscall(SYS_clock_gettime, clocks[i], &ts)) != 0)
			FAIL("clock %d", clocks[i]);
		EXPECT_GE(ts.tv_sec, 0);
		EXPECT_LT(ts.tv_nsec, 1000000000);
	}
	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &mono));
	EXPECT_SYS(clock_gettime(CLOCK_BOOTTIME, &boot));
	EXPECT_GE(ns(&boot) + 1000000, ns(&mono));
}

TEST(clock_getres)
{
	struct timespec res;

	EXPECT_SYS(clock_getres(CLOCK_MONOTONIC, &res));
	EXPECT_EQ(res.tv_sec, 0);
	EXPECT_GT(res.tv_nsec, 0);
	EXPECT_LE(res.tv_nsec, 1000000);
	EXPECT_SYS(syscall(SYS_clock_getres, CLOCK_REALTIME, &res));
	EXPECT_GT(res.tv_nsec, 0);
	/* A NULL result pointer is allowed. */
	EXPECT_SYS(syscall(SYS_clock_getres, CLOCK_REALTIME, NULL));
}

TEST(bad_clock_is_einval)
{
	struct timespec ts;

	EXPECT_ERRNO(syscall(SYS_clock_gettime, 1000, &ts), EINVAL);
	EXPECT_ERRNO(clock_gettime((clockid_t)1000, &ts), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_getres, 1000, &ts), EINVAL);
	EXPECT_ERRNO(clock_getres((clockid_t)-1000000, &ts), EINVAL);
}

TEST(bad_pointers_are_efault)
{
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, harness_unmapped_page()), EFAULT);
	EXPECT_ERRNO(syscall(SYS_gettimeofday, (void *)1, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_clock_getres, CLOCK_REALTIME, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_time, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_nanosleep, (void *)1, NULL), EFAULT);
}

TEST(nanosleep_sleeps_at_least_the_duration)
{
	struct timespec req = { 0, 20 * 1000 * 1000 }, rem = { 7, 7 }, a, b;

	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &a));
	EXPECT_SYS(nanosleep(&req, &rem));
	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &b));
	EXPECT_GE(ns(&b) - ns(&a), 20 * 1000 * 1000);
	/* A zero sleep returns at once. */
	req.tv_nsec = 0;
	EXPECT_SYS(syscall(SYS_nanosleep, &req, NULL));
}

TEST(nanosleep_invalid_times_are_einval)
{
	struct timespec bad_ns = { 0, 1000000000 }, neg_ns = { 0, -1 }, neg_s = { -1, 0 };

	EXPECT_ERRNO(syscall(SYS_nanosleep, &bad_ns, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &neg_ns, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &neg_s, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad_ns, NULL), EINVAL);
}

TEST(clock_nanosleep)
{
	struct timespec now, until, after;

	/* An absolute time in the past returns immediately. */
	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &now));
	until = now;
	until.tv_sec -= 1;
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	/* An absolute time 10ms ahead is reached. */
	until = now;
	until.tv_nsec += 10 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	EXPECT_SYS(clock_gettime(CLOCK_MONOTONIC, &after));
	EXPECT_GE(ns(&after), ns(&until));
	/* clock_nanosleep returns the error number instead of setting errno. */
	EXPECT_EQ(clock_nanosleep((clockid_t)1000, 0, &until, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 1000, 0, &until, NULL), EINVAL);
}
