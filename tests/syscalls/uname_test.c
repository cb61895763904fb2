/* uname. */
#include <sys/utsname.h>

#include "harness.h"

TEST(fields)
{
	struct utsname u;

	memset(&u, 0xff, sizeof(u));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.sysname, "Linux");
	EXPECT_STREQ(u.machine, "x86_64");
	/* Every field is NUL-terminated within its array. */
	EXPECT_LT(strnlen(u.nodename, sizeof(u.nodename)), sizeof(u.nodename));
	EXPECT_LT(strnlen(u.release, sizeof(u.release)), sizeof(u.release));
	EXPECT_LT(strnlen(u.version, sizeof(u.version)), sizeof(u.version));
	EXPECT_LT(strnlen(u.domainname, sizeof(u.domainname)), sizeof(u.domainname));
	EXPECT_GT(strlen(u.nodename), 0);
	EXPECT_GT(strlen(u.version), 0);
}

TEST(release_looks_like_a_kernel_version)
{
	struct utsname u;
	int major = 0, minor = 0;

	EXPECT_SYS(uname(&u));
	EXPECT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2);
	/* glibc on Debian 12 needs at least 3.2; anything newer is fine. */
	EXPECT_GE(major * 1000 + minor, 3002);
}

TEST(matches_gethostname)
{
	struct utsname u;
	char host[256] = {0};

	EXPECT_SYS(uname(&u));
	EXPECT_SYS(gethostname(host, sizeof(host)));
	EXPECT_STREQ(host, u.nodename);
}

TEST(bad_pointer_is_efault)
{
	EXPECT_ERRNO(syscall(SYS_uname, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_uname, harness_unmapped_page()), EFAULT);
}
