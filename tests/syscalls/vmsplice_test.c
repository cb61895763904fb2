/* vmsplice: user memory into a pipe and out of it. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "harness.h"

static long vmsplice_(int fd, const struct iovec *iov, unsigned long n, unsigned flags)
{
	return syscall(SYS_vmsplice, fd, iov, n, flags);
}

TEST(vmsplice_gathers_into_the_write_end)
{
	int p[2];
	char a[] = "hello ", b[] = "world", out[32] = {0};
	struct iovec iov[2] = {{a, 6}, {b, 5}};

	EXPECT_SYS(pipe(p));
	EXPECT_EQ(vmsplice_(p[1], iov, 2, SPLICE_F_GIFT), 11);
	EXPECT_EQ(read(p[0], out, sizeof(out)), 11);
	EXPECT_STREQ(out, "hello world");
	close(p[0]);
	close(p[1]);
}

TEST(vmsplice_scatters_from_the_read_end)
{
	int p[2];
	char a[4] = {0}, b[8] = {0};
	struct iovec iov[2] = {{a, 3}, {b, 8}};

	EXPECT_SYS(pipe(p));
	EXPECT_EQ(write(p[1], "abcdefg", 7), 7);
	EXPECT_EQ(vmsplice_(p[0], iov, 2, 0), 7);
	EXPECT_STREQ(a, "abc");
	EXPECT_STREQ(b, "defg");
	/* Nothing left and a writer: non-blocking says EAGAIN. */
	EXPECT_ERRNO(vmsplice_(p[0], iov, 2, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	/* No writers: end of data. */
	EXPECT_EQ(vmsplice_(p[0], iov, 2, 0), 0);
	close(p[0]);
}

TEST(vmsplice_moves_at_most_a_pipe_full)
{
	int p[2];
	size_t len = 100000;
	char *buf = mmap(NULL, 102400, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov = {buf, len};

	EXPECT_SYS(pipe(p));
	memset(buf, 'x', len);
	EXPECT_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	EXPECT_EQ(vmsplice_(p[1], &iov, 1, 0), 65536);
	/* Full now. */
	EXPECT_ERRNO(vmsplice_(p[1], &iov, 1, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[0]);
	close(p[1]);
	munmap(buf, 102400);
}

TEST(vmsplice_argument_errors)
{
	int p[2];
	char c = 'c';
	struct iovec iov = {&c, 1};

	EXPECT_SYS(pipe(p));
	EXPECT_ERRNO(vmsplice_(p[1], &iov, 1, 0x10), EINVAL);
	EXPECT_ERRNO(vmsplice_(p[1], &iov, 1025, 0), EINVAL);
	EXPECT_EQ(vmsplice_(p[1], &iov, 0, 0), 0);
	EXPECT_ERRNO(vmsplice_(-1, &iov, 1, 0), EBADF);
	int fd = EXPECT_SYS(open("f", O_CREAT | O_RDWR, 0600));
	EXPECT_ERRNO(vmsplice_(fd, &iov, 1, 0), EBADF);
	close(fd);
	EXPECT_ERRNO(vmsplice_(p[1], (struct iovec *)8, 1, 0), EFAULT);
	struct iovec bad = {(void *)8, 1};
	EXPECT_ERRNO(vmsplice_(p[1], &bad, 1, 0), EFAULT);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(vmsplice_(p[1], &iov, 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}
