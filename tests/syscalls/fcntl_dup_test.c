/* fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/SETFD, F_GETFL/SETFL), dup, dup2, dup3. */
#include <sys/resource.h>

#include "harness.h"

static int open_file(void)
{
	if (!MAKE_FILE("f", "0123456789"))
		return -1;
	return (int)EXPECT_SYS(open("f", O_RDWR));
}

TEST(dup_shares_offset_and_flags)
{
	char c;
	int fd = open_file(), fd2;

	if (fd < 0)
		return;
	fd2 = (int)EXPECT_SYS(dup(fd));
	EXPECT_NE(fd2, fd);
	EXPECT_EQ(lseek(fd, 4, SEEK_SET), 4);
	EXPECT_EQ(read(fd2, &c, 1), 1);
	EXPECT_EQ(c, '4');
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	/* File status flags are shared too. */
	EXPECT_SYS(fcntl(fd, F_SETFL, O_APPEND));
	EXPECT_TRUE(fcntl(fd2, F_GETFL) & O_APPEND);
	/* Closing one leaves the other usable. */
	close(fd);
	EXPECT_EQ(read(fd2, &c, 1), 1);
	EXPECT_EQ(c, '5');
	close(fd2);
}

TEST(dup_returns_lowest_and_clears_cloexec)
{
	int fd, low, d;

	fd = (int)EXPECT_SYS(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
	low = (int)EXPECT_SYS(dup(fd));
	close(low);
	d = (int)EXPECT_SYS(dup(fd));
	EXPECT_EQ(d, low);
	EXPECT_EQ(fcntl(d, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(d);
	close(fd);
	EXPECT_ERRNO(dup(-1), EBADF);
	EXPECT_ERRNO(dup(fd), EBADF);
}

TEST(dup2_semantics)
{
	char c;
	int fd = open_file(), other;

	if (fd < 0)
		return;
	other = (int)EXPECT_SYS(open("/etc/passwd", O_RDONLY));
	/* dup2 onto an open descriptor closes it first. */
	EXPECT_EQ(dup2(fd, other), other);
	EXPECT_EQ(read(other, &c, 1), 1);
	EXPECT_EQ(c, '0');
	/* Same fd: returns it, does nothing. */
	EXPECT_EQ(dup2(fd, fd), fd);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	/* A high number. */
	EXPECT_EQ(dup2(fd, 200), 200);
	EXPECT_EQ(lseek(200, 0, SEEK_CUR), 1);
	close(200);
	EXPECT_ERRNO(dup2(-1, 50), EBADF);
	EXPECT_ERRNO(dup2(fd, -1), EBADF);
	EXPECT_ERRNO(dup2(fd, 1 << 30), EBADF);
	/* dup2(bad, bad) is EBADF even when both are equal. */
	EXPECT_ERRNO(dup2(777, 777), EBADF);
	close(other);
	close(fd);
}

TEST(dup3_semantics)
{
	int fd = open_file();

	if (fd < 0)
		return;
	EXPECT_EQ(dup3(fd, 100, O_CLOEXEC), 100);
	EXPECT_EQ(fcntl(100, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(dup3(fd, 100, 0), 100);
	EXPECT_EQ(fcntl(100, F_GETFD), 0);
	close(100);
	EXPECT_ERRNO(dup3(fd, fd, 0), EINVAL);
	EXPECT_ERRNO(dup3(fd, 101, 0x4), EINVAL);
	EXPECT_ERRNO(dup3(-1, 101, 0), EBADF);
	EXPECT_ERRNO(fcntl(101, F_GETFD), EBADF);
	close(fd);
}

TEST(f_dupfd_lowest_at_or_above)
{
	int fd = open_file(), d, d2;

	if (fd < 0)
		return;
	d = (int)EXPECT_SYS(fcntl(fd, F_DUPFD, 50));
	EXPECT_EQ(d, 50);
	d2 = (int)EXPECT_SYS(fcntl(fd, F_DUPFD, 50));
	EXPECT_EQ(d2, 51);
	EXPECT_EQ(fcntl(d, F_GETFD), 0);
	close(d);
	close(d2);
	d = (int)EXPECT_SYS(fcntl(fd, F_DUPFD_CLOEXEC, 60));
	EXPECT_EQ(d, 60);
	EXPECT_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
	close(d);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, 1 << 30), EINVAL);
	close(fd);
}

TEST(f_dupfd_respects_rlimit_nofile)
{
	struct rlimit old, lim;
	int fd = open_file(), r;
	int e;

	if (fd < 0)
		return;
	EXPECT_SYS(getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = 64;
	EXPECT_SYS(setrlimit(RLIMIT_NOFILE, &lim));
	errno = 0;
	r = fcntl(fd, F_DUPFD, 64);
	e = errno;
	setrlimit(RLIMIT_NOFILE, &old);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(e, EINVAL);
	close(fd);
}

TEST(getfd_setfd)
{
	int fd = open_file();

	if (fd < 0)
		return;
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_SYS(fcntl(fd, F_SETFD, FD_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_SYS(fcntl(fd, F_SETFD, 0));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_ERRNO(fcntl(-1, F_GETFD), EBADF);
	EXPECT_ERRNO(fcntl(-1, F_SETFD, 0), EBADF);
	close(fd);
}

TEST(getfl_setfl)
{
	char buf[16] = {0};
	int fd = open_file(), ro;

	if (fd < 0)
		return;
	EXPECT_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR);
	ro = (int)EXPECT_SYS(open("f", O_RDONLY | O_NONBLOCK));
	EXPECT_EQ(fcntl(ro, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
	/* O_APPEND set by F_SETFL takes effect on the next write. */
	EXPECT_SYS(fcntl(fd, F_SETFL, O_APPEND));
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_APPEND);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "X", 1), 1);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 11);
	EXPECT_STREQ(buf, "0123456789X");
	/* F_SETFL cannot change the access mode. */
	EXPECT_SYS(fcntl(ro, F_SETFL, O_RDWR));
	EXPECT_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
	EXPECT_ERRNO(write(ro, "x", 1), EBADF);
	/* Clearing flags. */
	EXPECT_SYS(fcntl(ro, F_SETFL, 0));
	EXPECT_EQ(fcntl(ro, F_GETFL) & O_NONBLOCK, 0);
	close(ro);
	close(fd);
}

TEST(bad_command_is_einval)
{
	int fd = open_file();

	if (fd < 0)
		return;
	EXPECT_ERRNO(fcntl(fd, 0x7fff), EINVAL);
	EXPECT_ERRNO(fcntl(-1, 0x7fff), EBADF);
	close(fd);
}

TEST(o_path_descriptors)
{
	char c;
	int fd = (int)EXPECT_SYS(open("/etc/passwd", O_PATH));

	EXPECT_ERRNO(read(fd, &c, 1), EBADF);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_PATH);
	close(fd);
}
