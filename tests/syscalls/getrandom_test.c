/* getrandom. */
#include <sys/random.h>

#include "harness.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

TEST(fills_the_buffer_with_different_bytes)
{
	unsigned char a[32], b[32], zero[32] = {0};

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	EXPECT_EQ(syscall(SYS_getrandom, a, sizeof(a), 0), 32);
	EXPECT_EQ(getrandom(b, sizeof(b), 0), 32);
	EXPECT_TRUE(memcmp(a, b, sizeof(a)) != 0);
	EXPECT_TRUE(memcmp(a, zero, sizeof(a)) != 0);
}

TEST(flags)
{
	unsigned char buf[64];

	EXPECT_EQ(getrandom(buf, sizeof(buf), GRND_NONBLOCK), 64);
	EXPECT_GT(getrandom(buf, sizeof(buf), GRND_RANDOM), 0);
	EXPECT_GT(getrandom(buf, sizeof(buf), GRND_RANDOM | GRND_NONBLOCK), 0);
	EXPECT_EQ(syscall(SYS_getrandom, buf, sizeof(buf), GRND_INSECURE), 64);
}

TEST(zero_length_returns_zero)
{
	unsigned char c;

	EXPECT_EQ(syscall(SYS_getrandom, &c, 0, 0), 0);
	/* Even with a NULL buffer. */
	EXPECT_EQ(syscall(SYS_getrandom, NULL, 0, 0), 0);
}

TEST(large_request_returns_a_positive_count)
{
	static unsigned char big[1 << 20];
	long n = syscall(SYS_getrandom, big, sizeof(big), 0);

	EXPECT_GT(n, 0);
	EXPECT_LE(n, (long)sizeof(big));
}

TEST(bad_flags_are_einval)
{
	unsigned char buf[8];

	EXPECT_ERRNO(syscall(SYS_getrandom, buf, sizeof(buf), 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrandom, buf, sizeof(buf), -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrandom, buf, sizeof(buf), GRND_INSECURE | GRND_RANDOM), EINVAL);
}

TEST(bad_buffer_is_efault)
{
	EXPECT_ERRNO(syscall(SYS_getrandom, (void *)1, 16, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getrandom, harness_unmapped_page(), 16, 0), EFAULT);
}
