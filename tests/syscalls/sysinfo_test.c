/* sysinfo. */
#include <sys/sysinfo.h>

#include "harness.h"

TEST(fields_are_plausible)
{
	struct sysinfo si;

	memset(&si, 0, sizeof(si));
	EXPECT_SYS(sysinfo(&si));
	EXPECT_GE(si.mem_unit, 1);
	EXPECT_GT(si.totalram, 0);
	EXPECT_LE(si.freeram, si.totalram);
	EXPECT_LE(si.sharedram, si.totalram);
	EXPECT_LE(si.bufferram, si.totalram);
	EXPECT_LE(si.freeswap, si.totalswap);
	EXPECT_GE(si.uptime, 0);
	EXPECT_GE(si.procs, 1);
	/* At least 16 MiB of RAM. */
	EXPECT_GE((unsigned long long)si.totalram * si.mem_unit, 16ULL << 20);
}

TEST(uptime_does_not_go_backwards)
{
	struct sysinfo a, b;

	EXPECT_SYS(sysinfo(&a));
	EXPECT_SYS(sysinfo(&b));
	EXPECT_GE(b.uptime, a.uptime);
}

TEST(bad_pointer_is_efault)
{
	EXPECT_ERRNO(syscall(SYS_sysinfo, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sysinfo, harness_unmapped_page()), EFAULT);
}
