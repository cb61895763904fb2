/* fstat, stat, lstat, newfstatat. */
#include <sys/sysmacros.h>
#include <time.h>

#include "harness.h"

TEST(regular_file)
{
	struct stat st, fst;
	int fd;

	if (!MAKE_FILE("f", "12345"))
		return;
	EXPECT_SYS(stat("f", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0644);
	EXPECT_EQ(st.st_size, 5);
	EXPECT_EQ(st.st_nlink, 1);
	EXPECT_EQ(st.st_uid, geteuid());
	EXPECT_EQ(st.st_gid, getegid());
	EXPECT_GT(st.st_blksize, 0);
	EXPECT_NE(st.st_ino, 0);
	/* Times are "now" give or take a minute. */
	EXPECT_LE(labs(st.st_mtime - time(NULL)), 60);
	EXPECT_LE(labs(st.st_ctime - time(NULL)), 60);

	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(fstat(fd, &fst));
	EXPECT_EQ(fst.st_ino, st.st_ino);
	EXPECT_EQ(fst.st_dev, st.st_dev);
	EXPECT_EQ(fst.st_size, 5);
	close(fd);
}

TEST(size_follows_writes)
{
	struct stat st;
	int fd = (int)EXPECT_SYS(open("f", O_RDWR | O_CREAT, 0600));

	EXPECT_EQ(write(fd, "abcdef", 6), 6);
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 6);
	EXPECT_SYS(ftruncate(fd, 2));
	EXPECT_SYS(stat("f", &st));
	EXPECT_EQ(st.st_size, 2);
	close(fd);
}

TEST(directory)
{
	struct stat st;

	EXPECT_SYS(mkdir("d", 0750));
	EXPECT_SYS(stat("d", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0750);
	EXPECT_SYS(stat("/", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_SYS(stat(".", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(symlink_stat_vs_lstat)
{
	struct stat st;

	if (!MAKE_FILE("f", "12345"))
		return;
	EXPECT_SYS(symlink("f", "link"));
	EXPECT_SYS(lstat("link", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(st.st_size, 1); /* length of "f" */
	EXPECT_SYS(stat("link", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 5);
	/* A dangling link: lstat works, stat does not. */
	EXPECT_SYS(symlink("nowhere", "dangling"));
	EXPECT_SYS(lstat("dangling", &st));
	EXPECT_EQ(st.st_size, 7);
	EXPECT_ERRNO(stat("dangling", &st), ENOENT);
}

TEST(proc_self_is_a_symlink_to_a_directory)
{
	struct stat st;

	EXPECT_SYS(lstat("/proc/self", &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_SYS(stat("/proc/self", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(system_files)
{
	struct stat st;

	EXPECT_SYS(stat("/etc/passwd", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_GT(st.st_size, 0);
	EXPECT_SYS(stat("/bin/sh", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_TRUE(st.st_mode & S_IXUSR);
}

TEST(dev_null_is_char_device_1_3)
{
	struct stat st;

	EXPECT_SYS(stat("/dev/null", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 1);
	EXPECT_EQ(minor(st.st_rdev), 3);
}

TEST(fstatat_flags)
{
	struct stat st;
	int dfd, fd;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", "abc"))
		return;
	EXPECT_SYS(symlink("f", "d/link"));
	dfd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	EXPECT_SYS(fstatat(dfd, "f", &st, 0));
	EXPECT_EQ(st.st_size, 3);
	EXPECT_SYS(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_SYS(fstatat(dfd, "link", &st, 0));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_SYS(syscall(SYS_newfstatat, AT_FDCWD, "d/f", &st, 0));
	EXPECT_EQ(st.st_size, 3);

	/* AT_EMPTY_PATH stats the descriptor itself. */
	fd = (int)EXPECT_SYS(openat(dfd, "f", O_RDONLY));
	EXPECT_SYS(fstatat(fd, "", &st, AT_EMPTY_PATH));
	EXPECT_EQ(st.st_size, 3);
	EXPECT_SYS(syscall(SYS_newfstatat, dfd, "", &st, AT_EMPTY_PATH));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	/* Without AT_EMPTY_PATH the empty path is ENOENT. */
	EXPECT_ERRNO(syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
	/* Unknown flags are EINVAL. */
	EXPECT_ERRNO(syscall(SYS_newfstatat, dfd, "f", &st, 0x40000000), EINVAL);
	/* A relative path needs a directory dirfd. */
	EXPECT_ERRNO(syscall(SYS_newfstatat, fd, "x", &st, 0), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_newfstatat, -1, "x", &st, 0), EBADF);
	close(fd);
	close(dfd);
}

TEST(errors)
{
	struct stat st;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_ERRNO(stat("missing", &st), ENOENT);
	EXPECT_ERRNO(lstat("missing", &st), ENOENT);
	EXPECT_ERRNO(stat("f/x", &st), ENOTDIR);
	EXPECT_ERRNO(stat("loop", &st), ELOOP);
	EXPECT_SYS(lstat("loop", &st));
	EXPECT_ERRNO(stat(harness_long_name(), &st), ENAMETOOLONG);
	EXPECT_ERRNO(stat(harness_long_path(), &st), ENAMETOOLONG);
	EXPECT_ERRNO(fstat(-1, &st), EBADF);
	EXPECT_ERRNO(fstat(4321, &st), EBADF);
}

TEST(bad_pointers_are_efault)
{
	struct stat st;
	int fd;

	if (!MAKE_FILE("f", "x"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_stat, "f", (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_lstat, "f", harness_unmapped_page()), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstat, fd, (void *)1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_stat, (void *)1, &st), EFAULT);
	EXPECT_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, (void *)1, &st, 0), EFAULT);
	close(fd);
}
