/* arch_prctl: FS/GS base. glibc keeps the thread pointer in FS, so FS is only
 * read (and set to the value it already has); GS is free to round-trip. */
#include <asm/prctl.h>
#include <pthread.h>

#include "harness.h"

static unsigned long read_fs_self(void)
{
	unsigned long v;

	/* x86_64 TLS ABI: the word at %fs:0 is the thread pointer itself. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

TEST(get_fs_is_the_thread_pointer)
{
	unsigned long fs = 0;

	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	EXPECT_NE(fs, 0);
	EXPECT_EQ(fs, read_fs_self());
	EXPECT_EQ(fs, (unsigned long)pthread_self());
}

TEST(set_fs_to_same_value_round_trips)
{
	unsigned long fs = 0, again = 0;

	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_FS, &again));
	EXPECT_EQ(again, fs);
	/* TLS still works. */
	static __thread int tls_var = 42;
	EXPECT_EQ(tls_var, 42);
}

TEST(gs_round_trip)
{
	static unsigned long block[16];
	unsigned long gs = 1, orig = 0;

	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_GS, &orig));
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)block));
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	EXPECT_EQ(gs, (unsigned long)block);
	/* The base is really loaded: %gs:8 reads block[1]. */
	block[1] = 0x1234abcd;
	unsigned long v;
	__asm__ volatile("mov %%gs:8, %0" : "=r"(v));
	EXPECT_EQ(v, 0x1234abcd);
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_SET_GS, orig));
	EXPECT_SYS(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	EXPECT_EQ(gs, orig);
}

TEST(errors)
{
	unsigned long v;

	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0x9999, &v), EINVAL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_GS, harness_unmapped_page()), EFAULT);
	/* A non-canonical / kernel address is refused. */
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL), EPERM);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL), EPERM);
}
