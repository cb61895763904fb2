/* getcwd, chdir, fchdir. */
#include "harness.h"

static bool cwd_is(const char *want)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof(buf)))
		return FAIL("getcwd: %s", strerror(errno));
	return EXPECT_STREQ(buf, want);
}

TEST(starts_in_the_test_directory)
{
	cwd_is(harness_testdir);
}

TEST(chdir_relative_absolute_and_dotdot)
{
	char want[PATH_MAX + 8];

	EXPECT_SYS(mkdir("sub", 0755));
	EXPECT_SYS(chdir("sub"));
	snprintf(want, sizeof(want), "%s/sub", harness_testdir);
	cwd_is(want);
	EXPECT_SYS(chdir(".."));
	cwd_is(harness_testdir);
	EXPECT_SYS(chdir("/"));
	cwd_is("/");
	EXPECT_SYS(chdir(".."));
	cwd_is("/");
	EXPECT_SYS(chdir("/etc/../etc/./"));
	cwd_is("/etc");
	EXPECT_SYS(chdir(harness_testdir));
	cwd_is(harness_testdir);
}

TEST(chdir_through_symlink_resolves)
{
	char want[PATH_MAX + 8];

	EXPECT_SYS(mkdir("real", 0755));
	EXPECT_SYS(symlink("real", "alias"));
	EXPECT_SYS(chdir("alias"));
	snprintf(want, sizeof(want), "%s/real", harness_testdir);
	cwd_is(want);
	/* Relative opens now resolve in the new directory. */
	if (!MAKE_FILE("here", "x"))
		return;
	EXPECT_SYS(chdir(harness_testdir));
	EXPECT_SYS(access("real/here", F_OK));
}

TEST(chdir_errors)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_ERRNO(chdir("missing"), ENOENT);
	EXPECT_ERRNO(chdir(""), ENOENT);
	EXPECT_ERRNO(chdir("f"), ENOTDIR);
	EXPECT_ERRNO(chdir("f/x"), ENOTDIR);
	EXPECT_ERRNO(chdir("loop"), ELOOP);
	EXPECT_ERRNO(chdir(harness_long_name()), ENAMETOOLONG);
	EXPECT_ERRNO(syscall(SYS_chdir, (void *)1), EFAULT);
	cwd_is(harness_testdir);
}

TEST(fchdir)
{
	char want[PATH_MAX + 8];
	int dfd, ffd;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("f", "x"))
		return;
	dfd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	ffd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(fchdir(dfd));
	snprintf(want, sizeof(want), "%s/d", harness_testdir);
	cwd_is(want);
	EXPECT_ERRNO(fchdir(ffd), ENOTDIR);
	EXPECT_ERRNO(fchdir(-1), EBADF);
	close(dfd);
	/* O_PATH directory descriptors are accepted. */
	dfd = (int)EXPECT_SYS(open(harness_testdir, O_PATH | O_DIRECTORY));
	EXPECT_SYS(fchdir(dfd));
	cwd_is(harness_testdir);
	close(dfd);
	close(ffd);
}

TEST(getcwd_raw_syscall)
{
	char buf[PATH_MAX];
	size_t want = strlen(harness_testdir) + 1;

	/* The raw syscall returns the length including the NUL. */
	EXPECT_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), (long)want);
	EXPECT_STREQ(buf, harness_testdir);
	EXPECT_EQ(syscall(SYS_getcwd, buf, want), (long)want);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, want - 1), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 0), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, (void *)1, sizeof(buf)), EFAULT);
	/* glibc's getcwd(NULL, 0) allocates. */
	char *p = getcwd(NULL, 0);
	if (EXPECT_TRUE(p != NULL))
		EXPECT_STREQ(p, harness_testdir);
	free(p);
}

TEST(getcwd_of_removed_directory_is_enoent)
{
	char buf[PATH_MAX];

	EXPECT_SYS(mkdir("doomed", 0755));
	EXPECT_SYS(chdir("doomed"));
	EXPECT_SYS(rmdir("../doomed"));
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
	/* Creating files in a removed directory fails. */
	EXPECT_ERRNO(open("new", O_WRONLY | O_CREAT, 0644), ENOENT);
	EXPECT_SYS(chdir(harness_testdir));
}
