/* mkdir(at), rmdir, unlink(at), rename(at/at2), symlink. */
#include <stdio.h>

#include "harness.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static bool content_is(const char *path, const char *want)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return FAIL("open %s: %s", path, strerror(errno));
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return EXPECT_STREQ(buf, want);
}

TEST(mkdir_and_rmdir)
{
	struct stat st;

	EXPECT_SYS(mkdir("d", 0777));
	EXPECT_SYS(stat("d", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0755); /* umask 022 */
	EXPECT_ERRNO(mkdir("d", 0755), EEXIST);
	EXPECT_SYS(rmdir("d"));
	EXPECT_TRUE(!exists("d"));
	EXPECT_ERRNO(rmdir("d"), ENOENT);
}

TEST(mkdir_errors)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_SYS(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(mkdir("f", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("dangling", 0755), EEXIST);
	EXPECT_ERRNO(mkdir("missing/d", 0755), ENOENT);
	EXPECT_ERRNO(mkdir("f/d", 0755), ENOTDIR);
	EXPECT_ERRNO(mkdir("loop/d", 0755), ELOOP);
	EXPECT_ERRNO(mkdir(harness_long_name(), 0755), ENAMETOOLONG);
	EXPECT_ERRNO(mkdir("/", 0755), EEXIST);
	EXPECT_ERRNO(syscall(SYS_mkdir, (void *)1, 0755), EFAULT);
}

TEST(mkdirat_with_dirfd)
{
	int dfd;

	EXPECT_SYS(mkdir("parent", 0755));
	dfd = (int)EXPECT_SYS(open("parent", O_RDONLY | O_DIRECTORY));
	EXPECT_SYS(mkdirat(dfd, "child", 0700));
	EXPECT_TRUE(exists("parent/child"));
	EXPECT_ERRNO(mkdirat(-1, "child", 0700), EBADF);
	EXPECT_SYS(unlinkat(dfd, "child", AT_REMOVEDIR));
	EXPECT_TRUE(!exists("parent/child"));
	close(dfd);
}

TEST(rmdir_errors)
{
	EXPECT_SYS(mkdir("full", 0755));
	if (!MAKE_FILE("full/f", "x") || !MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(rmdir("full"), ENOTEMPTY);
	EXPECT_ERRNO(rmdir("f"), ENOTDIR);
	EXPECT_ERRNO(rmdir("missing"), ENOENT);
	EXPECT_SYS(mkdir("e", 0755));
	EXPECT_ERRNO(rmdir("e/."), EINVAL);
	EXPECT_ERRNO(rmdir("."), EINVAL);
	EXPECT_ERRNO(rmdir("e/.."), ENOTEMPTY);
	EXPECT_SYS(symlink("e", "elink"));
	EXPECT_ERRNO(rmdir("elink"), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_rmdir, (void *)1), EFAULT);
}

TEST(unlink_files_and_links)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("f", "link"));
	EXPECT_SYS(unlink("link"));
	EXPECT_TRUE(!exists("link"));
	EXPECT_TRUE(exists("f")); /* the target is untouched */
	EXPECT_SYS(unlink("f"));
	EXPECT_TRUE(!exists("f"));
	EXPECT_ERRNO(unlink("f"), ENOENT);
}

TEST(unlink_errors)
{
	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(unlink("d"), EISDIR);
	EXPECT_ERRNO(unlink("f/x"), ENOTDIR);
	EXPECT_ERRNO(unlink("missing"), ENOENT);
	EXPECT_ERRNO(unlink(harness_long_name()), ENAMETOOLONG);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "f", 0x1), EINVAL);
	EXPECT_ERRNO(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
	EXPECT_ERRNO(unlinkat(-1, "f", 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_unlink, (void *)1), EFAULT);
}

TEST(unlinked_open_file_stays_usable)
{
	char buf[8] = {0};
	struct stat st;
	int fd;

	if (!MAKE_FILE("f", "alive"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(unlink("f"));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "alive");
	EXPECT_EQ(write(fd, "!", 1), 1);
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 6);
	/* The name can be reused for a new file. */
	if (!MAKE_FILE("f", "new"))
		return;
	content_is("f", "new");
	close(fd);
}

TEST(rename_files)
{
	if (!MAKE_FILE("a", "A") || !MAKE_FILE("b", "B"))
		return;
	EXPECT_SYS(rename("a", "c"));
	EXPECT_TRUE(!exists("a"));
	content_is("c", "A");
	/* Over an existing file: replaced atomically. */
	EXPECT_SYS(rename("c", "b"));
	EXPECT_TRUE(!exists("c"));
	content_is("b", "A");
	/* Onto itself: nothing happens. */
	EXPECT_SYS(rename("b", "b"));
	content_is("b", "A");
	/* Into another directory. */
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(rename("b", "d/b"));
	content_is("d/b", "A");
}

TEST(rename_directories)
{
	EXPECT_SYS(mkdir("d1", 0755));
	if (!MAKE_FILE("d1/f", "x"))
		return;
	EXPECT_SYS(rename("d1", "d2"));
	content_is("d2/f", "x");
	/* Over an empty directory is allowed. */
	EXPECT_SYS(mkdir("empty", 0755));
	EXPECT_SYS(rename("d2", "empty"));
	content_is("empty/f", "x");
	EXPECT_TRUE(!exists("d2"));
}

TEST(rename_errors)
{
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(mkdir("full", 0755));
	EXPECT_SYS(mkdir("full/sub", 0755));
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(rename("missing", "x"), ENOENT);
	EXPECT_ERRNO(rename("f", "missing_dir/x"), ENOENT);
	EXPECT_ERRNO(rename("f", "d"), EISDIR);
	EXPECT_ERRNO(rename("d", "f"), ENOTDIR);
	EXPECT_ERRNO(rename("d", "full"), ENOTEMPTY);
	EXPECT_ERRNO(rename("full", "full/sub/inside"), EINVAL);
	EXPECT_ERRNO(rename("f/x", "y"), ENOTDIR);
	EXPECT_ERRNO(rename("f", harness_long_name()), ENAMETOOLONG);
	EXPECT_ERRNO(rename("d/.", "e"), EBUSY);
	EXPECT_ERRNO(syscall(SYS_rename, (void *)1, "y"), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rename, "f", (void *)1), EFAULT);
	EXPECT_TRUE(exists("f"));
}

TEST(renameat2_flags)
{
	if (!MAKE_FILE("a", "A") || !MAKE_FILE("b", "B"))
		return;
	EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE),
		     EEXIST);
	EXPECT_SYS(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	content_is("c", "A");
	EXPECT_SYS(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "c", RENAME_EXCHANGE));
	content_is("c", "B");
	content_is("b", "A");
	EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "missing", RENAME_EXCHANGE),
		     ENOENT);
	EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "c",
			     RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
	EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "c", 0x100), EINVAL);
}

TEST(renameat_with_dirfds)
{
	int d1, d2;

	EXPECT_SYS(mkdir("d1", 0755));
	EXPECT_SYS(mkdir("d2", 0755));
	if (!MAKE_FILE("d1/f", "x"))
		return;
	d1 = (int)EXPECT_SYS(open("d1", O_RDONLY | O_DIRECTORY));
	d2 = (int)EXPECT_SYS(open("d2", O_RDONLY | O_DIRECTORY));
	EXPECT_SYS(renameat(d1, "f", d2, "g"));
	content_is("d2/g", "x");
	EXPECT_ERRNO(renameat(-1, "f", d2, "g"), EBADF);
	close(d1);
	close(d2);
}

TEST(symlink_errors)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(symlink("anything", "f"), EEXIST);
	EXPECT_ERRNO(symlink("", "empty"), ENOENT);
	EXPECT_ERRNO(symlink("t", "missing/l"), ENOENT);
	EXPECT_ERRNO(symlink("t", harness_long_name()), ENAMETOOLONG);
	EXPECT_ERRNO(syscall(SYS_symlink, (void *)1, "l"), EFAULT);
}
