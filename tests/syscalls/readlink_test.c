/* readlink, readlinkat. */
#include <sys/auxv.h>

#include "harness.h"

TEST(reads_target_without_nul)
{
	char buf[32];

	EXPECT_SYS(symlink("target/path", "link"));
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(readlink("link", buf, sizeof(buf)), 11);
	EXPECT_MEMEQ(buf, "target/pathX", 12); /* no NUL written */
	EXPECT_EQ(syscall(SYS_readlink, "link", buf, sizeof(buf)), 11);
}

TEST(truncates_to_buffer_size)
{
	char buf[8];

	EXPECT_SYS(symlink("0123456789", "link"));
	memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(readlink("link", buf, 4), 4);
	EXPECT_MEMEQ(buf, "0123X", 5);
}

TEST(absolute_target_and_intermediate_links)
{
	char buf[64] = {0};

	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(symlink("/etc/passwd", "d/abs"));
	EXPECT_SYS(symlink("d", "dlink"));
	/* Links before the last component are followed. */
	EXPECT_EQ(readlink("dlink/abs", buf, sizeof(buf)), 11);
	EXPECT_STREQ(buf, "/etc/passwd");
}

TEST(readlinkat_with_dirfd_and_empty_path)
{
	char buf[32] = {0};
	int dfd, lfd;

	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(symlink("xyz", "d/link"));
	dfd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(readlinkat(dfd, "link", buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "xyz");
	/* An O_PATH|O_NOFOLLOW descriptor of the link with an empty path. */
	lfd = (int)EXPECT_SYS(openat(dfd, "link", O_PATH | O_NOFOLLOW));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(readlinkat(lfd, "", buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "xyz");
	EXPECT_ERRNO(readlinkat(-1, "link", buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(readlinkat(lfd, "x", buf, sizeof(buf)), ENOTDIR);
	close(lfd);
	close(dfd);
}

TEST(errors)
{
	char buf[32];

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("f", "link"));
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_ERRNO(readlink("f", buf, sizeof(buf)), EINVAL);
	EXPECT_ERRNO(readlink(".", buf, sizeof(buf)), EINVAL);
	EXPECT_ERRNO(syscall(SYS_readlink, "link", buf, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_readlink, "link", buf, -1), EINVAL);
	EXPECT_ERRNO(readlink("missing", buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(readlink("", buf, sizeof(buf)), ENOENT);
	EXPECT_ERRNO(readlink("f/x", buf, sizeof(buf)), ENOTDIR);
	EXPECT_ERRNO(readlink("loop/x", buf, sizeof(buf)), ELOOP);
	EXPECT_ERRNO(readlink(harness_long_name(), buf, sizeof(buf)), ENAMETOOLONG);
	EXPECT_ERRNO(syscall(SYS_readlink, "link", (void *)1, sizeof(buf)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_readlink, (void *)1, buf, sizeof(buf)), EFAULT);
}

TEST(proc_self_exe_and_cwd)
{
	char buf[PATH_MAX] = {0};
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *base;
	struct stat via_link, via_path;

	if (!EXPECT_TRUE(execfn != NULL))
		return;
	base = strrchr(execfn, '/') ? strrchr(execfn, '/') + 1 : execfn;
	/* /proc/self/exe names this binary: absolute, same file, same name. */
	EXPECT_GT(readlink("/proc/self/exe", buf, sizeof(buf) - 1), 0);
	EXPECT_EQ(buf[0], '/');
	EXPECT_STREQ(strrchr(buf, '/') + 1, base);
	EXPECT_SYS(stat("/proc/self/exe", &via_link));
	EXPECT_SYS(stat(buf, &via_path));
	EXPECT_EQ(via_link.st_ino, via_path.st_ino);
	EXPECT_EQ(via_link.st_dev, via_path.st_dev);
	memset(buf, 0, sizeof(buf));
	EXPECT_GT(readlink("/proc/self/cwd", buf, sizeof(buf) - 1), 0);
	EXPECT_STREQ(buf, harness_testdir);
	/* /proc/self itself is a link to the pid. */
	memset(buf, 0, sizeof(buf));
	EXPECT_GT(readlink("/proc/self", buf, sizeof(buf) - 1), 0);
	EXPECT_EQ(atoi(buf), getpid());
}
