/* read, write, pread64, pwrite64, readv, writev, lseek, close. */
#include <sys/uio.h>

#include "harness.h"

static int make_rw(const char *name)
{
	return (int)EXPECT_SYS(open(name, O_RDWR | O_CREAT | O_TRUNC, 0644));
}

TEST(write_then_read_back)
{
	char buf[64] = {0};
	int fd = make_rw("f");

	if (fd < 0)
		return;
	EXPECT_EQ(write(fd, "hello world", 11), 11);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 11);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 11);
	EXPECT_STREQ(buf, "hello world");
	/* At end of file read returns 0. */
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	/* Zero-length read and write succeed and do nothing. */
	EXPECT_EQ(read(fd, buf, 0), 0);
	EXPECT_EQ(write(fd, buf, 0), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 11);
	EXPECT_SYS(close(fd));
}

TEST(partial_reads_advance_offset)
{
	char buf[4];
	int fd = make_rw("f");

	if (fd < 0)
		return;
	EXPECT_EQ(write(fd, "abcdefghij", 10), 10);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(read(fd, buf, 4), 4);
	EXPECT_MEMEQ(buf, "abcd", 4);
	EXPECT_EQ(read(fd, buf, 4), 4);
	EXPECT_MEMEQ(buf, "efgh", 4);
	EXPECT_EQ(read(fd, buf, 4), 2);
	EXPECT_MEMEQ(buf, "ij", 2);
	close(fd);
}

TEST(bad_fd_is_ebadf)
{
	char buf[8];
	int fd = make_rw("f");

	EXPECT_ERRNO(read(-1, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(write(-1, "x", 1), EBADF);
	EXPECT_ERRNO(read(12345, buf, sizeof(buf)), EBADF);
	EXPECT_SYS(close(fd));
	/* A closed descriptor is gone. */
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(close(fd), EBADF);
	EXPECT_ERRNO(close(-1), EBADF);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
}

TEST(access_mode_is_enforced)
{
	char buf[8];
	int fd;

	if (!MAKE_FILE("f", "data"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);
	fd = (int)EXPECT_SYS(open("f", O_WRONLY));
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EBADF);
	close(fd);
}

TEST(read_directory_is_eisdir)
{
	char buf[8];
	int fd = (int)EXPECT_SYS(open(".", O_RDONLY | O_DIRECTORY));

	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
}

TEST(bad_buffer_is_efault)
{
	int fd = make_rw("f");
	void *gone = harness_unmapped_page();

	EXPECT_EQ(write(fd, "abc", 3), 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_ERRNO(syscall(SYS_read, fd, (void *)1, 3), EFAULT);
	EXPECT_ERRNO(syscall(SYS_read, fd, gone, 3), EFAULT);
	EXPECT_ERRNO(syscall(SYS_write, fd, (void *)1, 3), EFAULT);
	EXPECT_ERRNO(syscall(SYS_write, fd, gone, 3), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pread64, fd, gone, 3, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, gone, 3, 0), EFAULT);
	close(fd);
}

TEST(o_append_writes_at_end)
{
	char buf[16] = {0};
	int fd;

	if (!MAKE_FILE("f", "abc"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDWR | O_APPEND));
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "def", 3), 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 6);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "abcdef");
	close(fd);
}

TEST(o_trunc_truncates)
{
	struct stat st;
	int fd;

	if (!MAKE_FILE("f", "some content"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_WRONLY | O_TRUNC));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	close(fd);
}

TEST(pread_pwrite_keep_offset)
{
	char buf[8] = {0};
	int fd = make_rw("f");

	EXPECT_EQ(write(fd, "0123456789", 10), 10);
	EXPECT_EQ(lseek(fd, 2, SEEK_SET), 2);
	EXPECT_EQ(pread(fd, buf, 3, 5), 3);
	EXPECT_MEMEQ(buf, "567", 3);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
	EXPECT_EQ(pwrite(fd, "XY", 2, 8), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
	EXPECT_EQ(pread(fd, buf, 8, 6), 4);
	EXPECT_MEMEQ(buf, "67XY", 4);
	/* Reading past the end returns 0. */
	EXPECT_EQ(pread(fd, buf, 8, 100), 0);
	/* Negative offsets are EINVAL. */
	EXPECT_ERRNO(syscall(SYS_pread64, fd, buf, 1, -1L), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pwrite64, fd, buf, 1, -1L), EINVAL);
	EXPECT_ERRNO(pread(-1, buf, 1, 0), EBADF);
	close(fd);
}

TEST(pwrite_past_end_leaves_hole_of_zeros)
{
	char buf[8];
	struct stat st;
	int fd = make_rw("f");

	EXPECT_EQ(pwrite(fd, "Z", 1, 4096 + 3), 1);
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 4096 + 4);
	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(pread(fd, buf, 4, 100), 4);
	EXPECT_MEMEQ(buf, "\0\0\0\0", 4);
	close(fd);
}

TEST(readv_writev_scatter_gather)
{
	char a[3], b[5], c[16] = {0};
	struct iovec wv[3] = {
		{ .iov_base = "abc", .iov_len = 3 },
		{ .iov_base = "", .iov_len = 0 },
		{ .iov_base = "defgh", .iov_len = 5 },
	};
	struct iovec rv[3] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = c, .iov_len = sizeof(c) },
	};
	int fd = make_rw("f");

	EXPECT_EQ(writev(fd, wv, 3), 8);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(readv(fd, rv, 3), 8);
	EXPECT_MEMEQ(a, "abc", 3);
	EXPECT_MEMEQ(b, "defgh", 5);
	/* Zero iovecs is a no-op. */
	EXPECT_EQ(readv(fd, rv, 0), 0);
	EXPECT_EQ(writev(fd, wv, 0), 0);
	close(fd);
}

TEST(readv_writev_errors)
{
	struct iovec iov = { .iov_base = (void *)1, .iov_len = 4 };
	struct iovec good = { .iov_base = "data", .iov_len = 4 };
	int fd = make_rw("f");

	EXPECT_ERRNO(syscall(SYS_writev, fd, &good, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_writev, fd, &good, 1025), EINVAL); /* > IOV_MAX */
	EXPECT_ERRNO(syscall(SYS_readv, fd, &good, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_writev, fd, (void *)1, 1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_readv, fd, (void *)1, 1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_writev, fd, &iov, 1), EFAULT);
	EXPECT_ERRNO(syscall(SYS_writev, -1, &good, 1), EBADF);
	/* A negative total length (iov_len as ssize_t < 0) is EINVAL. */
	iov.iov_base = "x";
	iov.iov_len = (size_t)-1;
	EXPECT_ERRNO(syscall(SYS_writev, fd, &iov, 1), EINVAL);
	close(fd);
}

TEST(lseek_whence_and_errors)
{
	int fd = make_rw("f");

	EXPECT_EQ(write(fd, "0123456789", 10), 10);
	EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
	EXPECT_EQ(lseek(fd, 2, SEEK_CUR), 5);
	EXPECT_EQ(lseek(fd, -1, SEEK_CUR), 4);
	EXPECT_EQ(lseek(fd, -4, SEEK_END), 6);
	EXPECT_EQ(lseek(fd, 100, SEEK_END), 110); /* beyond EOF is allowed */
	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -100, SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, 42), EINVAL);
	/* The failed seeks left the offset alone. */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 110);
	close(fd);
}

TEST(dev_null_and_dev_zero)
{
	char buf[16];
	int fd = (int)EXPECT_SYS(open("/dev/null", O_RDWR));

	EXPECT_EQ(write(fd, "discarded", 9), 9);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = (int)EXPECT_SYS(open("/dev/zero", O_RDONLY));
	memset(buf, 0x55, sizeof(buf));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	EXPECT_MEMEQ(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", sizeof(buf));
	close(fd);
}

TEST(large_write_and_read)
{
	static char out[256 * 1024], in[256 * 1024];
	ssize_t got = 0, n;
	int fd = make_rw("big");

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + (i >> 9));
	EXPECT_EQ(write(fd, out, sizeof(out)), (long)sizeof(out));
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, in + got, sizeof(in) - (size_t)got)) > 0)
		got += n;
	EXPECT_EQ(got, (long)sizeof(in));
	EXPECT_MEMEQ(in, out, sizeof(in));
	close(fd);
}

/* A read of a pipe returns what is there without waiting for more, even
 * when that fills a whole 64 KiB (the sentry's copy chunk) exactly; readv
 * likewise scatters what is there over the vector. */
static ssize_t fill_pipe(int fd, size_t n)
{
	char *b = calloc(1, n);
	ssize_t w = b ? write(fd, b, n) : -1;
	free(b);
	return w;
}

TEST(pipe_read_returns_what_is_there)
{
	int p[2];
	if (!EXPECT_SYS(pipe(p)))
		return;
	EXPECT_GE(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	char *buf = malloc(1 << 20);
	alarm(5); /* a read that waits for more would hang */
	for (size_t n = 65536; n <= 3 * 65536; n += 65536) {
		EXPECT_EQ(fill_pipe(p[1], n), (ssize_t)n);
		EXPECT_EQ(read(p[0], buf, 1 << 20), (ssize_t)n);
	}
	EXPECT_EQ(fill_pipe(p[1], 65536 + 10), 65536 + 10);
	struct iovec iov[3] = {{buf, 10}, {buf + 10, 65536}, {buf + 65546, 100000}};
	EXPECT_EQ(readv(p[0], iov, 3), 65536 + 10);
	EXPECT_EQ(fill_pipe(p[1], 100), 100);
	struct iovec small[2] = {{buf, 40}, {buf + 40, 40}};
	EXPECT_EQ(readv(p[0], small, 2), 80);
	EXPECT_EQ(read(p[0], buf, 1 << 20), 20);
	alarm(0);
	free(buf);
	close(p[0]);
	close(p[1]);
}
