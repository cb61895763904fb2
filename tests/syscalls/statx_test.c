/* statx. */
#include <sys/sysmacros.h>

#include "harness.h"

static long do_statx(int dfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	return syscall(SYS_statx, dfd, path, flags, mask, stx);
}

TEST(basic_stats_match_fstatat)
{
	struct statx stx;
	struct stat st;

	if (!MAKE_FILE("f", "hello"))
		return;
	memset(&stx, 0xee, sizeof(stx));
	EXPECT_SYS(do_statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &stx));
	EXPECT_SYS(stat("f", &st));
	EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	EXPECT_EQ(stx.stx_size, 5);
	EXPECT_EQ(stx.stx_ino, st.st_ino);
	EXPECT_EQ(stx.stx_mode, st.st_mode);
	EXPECT_EQ(stx.stx_nlink, st.st_nlink);
	EXPECT_EQ(stx.stx_uid, st.st_uid);
	EXPECT_EQ(stx.stx_gid, st.st_gid);
	EXPECT_EQ(stx.stx_blksize, st.st_blksize);
	EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	EXPECT_EQ(stx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
	EXPECT_EQ(makedev(stx.stx_dev_major, stx.stx_dev_minor), st.st_dev);
	/* Reserved padding is zeroed, not left as we filled it. */
	EXPECT_EQ(stx.__spare0[0], 0);
}

TEST(mask_zero_still_succeeds)
{
	struct statx stx;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(do_statx(AT_FDCWD, "f", 0, 0, &stx));
}

TEST(symlink_nofollow_and_empty_path)
{
	struct statx stx;
	int fd;

	if (!MAKE_FILE("f", "abc"))
		return;
	EXPECT_SYS(symlink("f", "link"));
	EXPECT_SYS(do_statx(AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(S_ISLNK(stx.stx_mode));
	EXPECT_SYS(do_statx(AT_FDCWD, "link", 0, STATX_BASIC_STATS, &stx));
	EXPECT_TRUE(S_ISREG(stx.stx_mode));
	EXPECT_EQ(stx.stx_size, 3);
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(do_statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
	EXPECT_EQ(stx.stx_size, 3);
	EXPECT_ERRNO(do_statx(fd, "", 0, STATX_BASIC_STATS, &stx), ENOENT);
	close(fd);
}

TEST(directory)
{
	struct statx stx;

	EXPECT_SYS(mkdir("d", 0700));
	EXPECT_SYS(do_statx(AT_FDCWD, "d", 0, STATX_TYPE | STATX_MODE, &stx));
	EXPECT_TRUE(S_ISDIR(stx.stx_mode));
	EXPECT_EQ(stx.stx_mode & 07777, 0700);
}

TEST(invalid_arguments)
{
	struct statx stx;

	if (!MAKE_FILE("f", "x"))
		return;
	/* STATX__RESERVED bit in the mask. */
	EXPECT_ERRNO(do_statx(AT_FDCWD, "f", 0, 0x80000000U, &stx), EINVAL);
	/* Unknown flag. */
	EXPECT_ERRNO(do_statx(AT_FDCWD, "f", 0x40000000, STATX_BASIC_STATS, &stx), EINVAL);
	/* Both FORCE_SYNC and DONT_SYNC. */
	EXPECT_ERRNO(do_statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
			      STATX_BASIC_STATS, &stx), EINVAL);
}

TEST(errors)
{
	struct statx stx;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_ERRNO(do_statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &stx), ENOENT);
	EXPECT_ERRNO(do_statx(AT_FDCWD, "f/x", 0, STATX_BASIC_STATS, &stx), ENOTDIR);
	EXPECT_ERRNO(do_statx(AT_FDCWD, "loop", 0, STATX_BASIC_STATS, &stx), ELOOP);
	EXPECT_ERRNO(do_statx(AT_FDCWD, harness_long_name(), 0, STATX_BASIC_STATS, &stx),
		     ENAMETOOLONG);
	EXPECT_ERRNO(do_statx(-1, "f", 0, STATX_BASIC_STATS, &stx), EBADF);
	EXPECT_ERRNO(do_statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, (void *)1), EFAULT);
	EXPECT_ERRNO(do_statx(AT_FDCWD, (void *)1, 0, STATX_BASIC_STATS, &stx), EFAULT);
}
