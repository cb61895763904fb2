/* sched_getaffinity, sched_setaffinity, sched_yield. */
#include <sched.h>

#include "harness.h"

TEST(get_returns_mask_size_and_some_cpu)
{
	cpu_set_t set;
	long n;

	CPU_ZERO(&set);
	n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	EXPECT_GT(n, 0);
	EXPECT_EQ(n % sizeof(long), 0);
	EXPECT_LE(n, (long)sizeof(set));
	EXPECT_GE(CPU_COUNT(&set), 1);
	EXPECT_LE(CPU_COUNT(&set), sysconf(_SC_NPROCESSORS_CONF));
	/* Own pid is the same as 0. */
	cpu_set_t same;
	CPU_ZERO(&same);
	EXPECT_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof(same), &same), n);
	EXPECT_TRUE(CPU_EQUAL(&set, &same));
}

TEST(set_then_get)
{
	cpu_set_t orig, one, got;
	int first = -1;

	EXPECT_SYS(sched_getaffinity(0, sizeof(orig), &orig));
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &orig))
			first = i;
	if (!EXPECT_GE(first, 0))
		return;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	EXPECT_SYS(sched_setaffinity(0, sizeof(one), &one));
	EXPECT_SYS(sched_getaffinity(0, sizeof(got), &got));
	EXPECT_TRUE(CPU_EQUAL(&got, &one));
	EXPECT_SYS(sched_setaffinity(0, sizeof(orig), &orig));
	EXPECT_SYS(sched_getaffinity(0, sizeof(got), &got));
	EXPECT_TRUE(CPU_EQUAL(&got, &orig));
}

TEST(errors)
{
	cpu_set_t set, empty;

	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
	/* Not a multiple of sizeof(long). */
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof(set), &set), ESRCH);
	CPU_ZERO(&empty);
	EXPECT_ERRNO(sched_setaffinity(0, sizeof(empty), &empty), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_setaffinity, 0, sizeof(set), (void *)1), EFAULT);
}

TEST(sched_yield_succeeds)
{
	EXPECT_EQ(sched_yield(), 0);
	EXPECT_EQ(syscall(SYS_sched_yield), 0);
}
