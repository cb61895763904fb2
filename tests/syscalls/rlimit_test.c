/* getrlimit, setrlimit, prlimit64. */
#include <sys/resource.h>

#include "harness.h"

struct rlimit64_raw {
	uint64_t cur, max;
};

/* Containers often run root without CAP_SYS_RESOURCE, so ask capget. */
static bool has_cap_sys_resource(void)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 }; /* _LINUX_CAPABILITY_VERSION_3 */
	struct { uint32_t effective, permitted, inheritable; } data[2];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return FAIL("capget: %s", strerror(errno));
	return data[0].effective & (1u << 24); /* CAP_SYS_RESOURCE */
}

TEST(getrlimit_consistent_with_prlimit64)
{
	static const int resources[] = { RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_AS,
					 RLIMIT_DATA, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CPU };
	struct rlimit r;
	struct rlimit64_raw p;

	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		EXPECT_SYS(getrlimit(resources[i], &r));
		EXPECT_SYS(syscall(SYS_prlimit64, 0, resources[i], NULL, &p));
		EXPECT_EQ(p.cur, r.rlim_cur);
		EXPECT_EQ(p.max, r.rlim_max);
		EXPECT_TRUE(r.rlim_cur <= r.rlim_max);
	}
	/* pid == own pid is the same as 0. */
	EXPECT_SYS(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &p));
	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &r));
	EXPECT_EQ(p.cur, r.rlim_cur);
	EXPECT_SYS(syscall(SYS_getrlimit, RLIMIT_STACK, &r));
	EXPECT_GT(r.rlim_cur, 0);
}

TEST(lowered_nofile_limit_is_enforced)
{
	struct rlimit old, lim;
	int fds[64], n = 0, free_below = 0, err = 0, dup2_err = 0;
	long r;

	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = 32;
	/* Descriptors inherited from the caller may sit anywhere below the limit. */
	for (int fd = 0; fd < (int)lim.rlim_cur; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			free_below++;
	EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &lim));
	while (n < 64) {
		r = dup(0);
		if (r < 0) {
			err = errno;
			break;
		}
		fds[n++] = (int)r;
	}
	if (dup2(0, (int)lim.rlim_cur) < 0)
		dup2_err = errno;
	EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &old));
	for (int i = 0; i < n; i++)
		close(fds[i]);
	EXPECT_EQ(n, free_below);
	EXPECT_EQ(err, EMFILE);
	EXPECT_EQ(dup2_err, EBADF);
}

TEST(prlimit64_sets_and_returns_old)
{
	struct rlimit64_raw old, set, prev, now;

	EXPECT_SYS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &old));
	set.cur = 0;
	set.max = old.max;
	EXPECT_SYS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &set, &prev));
	EXPECT_EQ(prev.cur, old.cur);
	EXPECT_EQ(prev.max, old.max);
	EXPECT_SYS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &now));
	EXPECT_EQ(now.cur, 0);
	EXPECT_SYS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, &old, NULL));
	EXPECT_SYS(syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &now));
	EXPECT_EQ(now.cur, old.cur);
}

TEST(soft_above_hard_is_einval)
{
	struct rlimit r, bad;

	EXPECT_SYS(getrlimit(RLIMIT_CORE, &r));
	if (r.rlim_max == RLIM_INFINITY) {
		/* Make the hard limit finite first (lowering is always allowed). */
		bad.rlim_cur = 0;
		bad.rlim_max = 1 << 20;
		EXPECT_SYS(setrlimit(RLIMIT_CORE, &bad));
		EXPECT_SYS(getrlimit(RLIMIT_CORE, &r));
	}
	bad.rlim_max = r.rlim_max;
	bad.rlim_cur = r.rlim_max + 1;
	EXPECT_ERRNO(setrlimit(RLIMIT_CORE, &bad), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_CORE, &bad), EINVAL);
}

TEST(raising_hard_limit_needs_privilege)
{
	struct rlimit orig, low, r;

	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &orig));
	low.rlim_cur = 100;
	low.rlim_max = 200;
	if (orig.rlim_max < 200)
		return (void)FAIL("RLIMIT_NOFILE hard limit %lu is below 200", orig.rlim_max);
	EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &low));
	if (has_cap_sys_resource()) {
		/* Root with CAP_SYS_RESOURCE may raise it back. */
		EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &orig));
		EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &r));
		EXPECT_EQ(r.rlim_max, orig.rlim_max);
	} else {
		EXPECT_ERRNO(setrlimit(RLIMIT_NOFILE, &orig), EPERM);
		/* Raising the soft limit up to the hard one is fine. */
		low.rlim_cur = 200;
		EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &low));
	}
}

TEST(invalid_arguments)
{
	struct rlimit r;
	struct rlimit64_raw p;

	EXPECT_ERRNO(getrlimit((__rlimit_resource_t)100, &r), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrlimit, 16, &r), EINVAL);
	EXPECT_ERRNO(syscall(SYS_prlimit64, 0, 100, NULL, &p), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)1, NULL), EFAULT);
	/* No such process. */
	EXPECT_ERRNO(syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &p), ESRCH);
}

TEST(nofile_above_nr_open_is_eperm)
{
	struct rlimit r, huge;

	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &r));
	/* fs.nr_open caps RLIMIT_NOFILE even for root (its maximum is 2^30 - 64ish). */
	huge.rlim_cur = huge.rlim_max = (rlim_t)1 << 31;
	EXPECT_ERRNO(setrlimit(RLIMIT_NOFILE, &huge), EPERM);
	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &huge));
	EXPECT_EQ(huge.rlim_max, r.rlim_max);
}
