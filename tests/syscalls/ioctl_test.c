/* ioctl on non-terminals: TCGETS/TIOCGWINSZ -> ENOTTY, FIONREAD, FIONBIO, FIOCLEX. */
#include <sys/ioctl.h>
#include <termios.h>

#include "harness.h"

TEST(tcgets_on_regular_file_is_enotty)
{
	struct termios t;
	struct winsize ws;
	int fd;

	if (!MAKE_FILE("f", "abc"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	EXPECT_EQ(isatty(fd), 0);
	EXPECT_EQ(errno, ENOTTY);
	close(fd);
}

TEST(tcgets_on_dev_null_is_enotty)
{
	struct termios t;
	int fd = (int)EXPECT_SYS(open("/dev/null", O_RDWR));

	EXPECT_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
	close(fd);
}

TEST(fionread_on_regular_file)
{
	int n = -1, fd;

	if (!MAKE_FILE("f", "0123456789"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(ioctl(fd, FIONREAD, &n));
	EXPECT_EQ(n, 10);
	EXPECT_EQ(lseek(fd, 7, SEEK_SET), 7);
	EXPECT_SYS(ioctl(fd, FIONREAD, &n));
	EXPECT_EQ(n, 3);
	EXPECT_EQ(lseek(fd, 20, SEEK_SET), 20);
	/* Linux reports i_size - f_pos without clamping: negative past EOF. */
	EXPECT_SYS(ioctl(fd, FIONREAD, &n));
	EXPECT_EQ(n, -10);
	EXPECT_ERRNO(syscall(SYS_ioctl, fd, FIONREAD, (void *)1), EFAULT);
	close(fd);
}

TEST(fionbio_and_fioclex)
{
	int on = 1, off = 0, fd;

	fd = (int)EXPECT_SYS(open("/etc/passwd", O_RDONLY));
	EXPECT_SYS(ioctl(fd, FIONBIO, &on));
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_SYS(ioctl(fd, FIONBIO, &off));
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_SYS(ioctl(fd, FIOCLEX));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_SYS(ioctl(fd, FIONCLEX));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
}

TEST(bad_fd_is_ebadf)
{
	int n;

	EXPECT_ERRNO(ioctl(-1, FIONREAD, &n), EBADF);
	EXPECT_ERRNO(ioctl(9999, TCGETS, &n), EBADF);
}
