/* sendfile, copy_file_range, splice. */
#include <sys/sendfile.h>

#include "harness.h"

static int make(const char *name, const char *content)
{
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(sendfile_copies_and_moves_the_offset)
{
	int in = make("in", "hello world"), out = make("out", "");
	off_t off = 6;
	char buf[16] = {0};

	EXPECT_EQ(sendfile(out, in, &off, 100), 5);
	EXPECT_EQ(off, 11);
	EXPECT_EQ(pread(out, buf, sizeof(buf), 0), 5);
	EXPECT_STREQ(buf, "world");
	EXPECT_SYS(lseek(in, 0, SEEK_SET));
	EXPECT_EQ(sendfile(out, in, NULL, 5), 5); /* at in's position, which moves */
	EXPECT_EQ(lseek(in, 0, SEEK_CUR), 5);
	EXPECT_ERRNO(sendfile(out, 9999, NULL, 1), EBADF);
	close(in);
	close(out);
}

TEST(copy_file_range_between_files)
{
	int in = make("in", "0123456789"), out = make("out", "abcdefghij");
	loff_t ioff = 2, ooff = 4;
	char buf[16] = {0};

	EXPECT_EQ(copy_file_range(in, &ioff, out, &ooff, 3, 0), 3);
	EXPECT_EQ(ioff, 5);
	EXPECT_EQ(ooff, 7);
	EXPECT_EQ(pread(out, buf, 10, 0), 10);
	EXPECT_STREQ(buf, "abcd234hij");
	EXPECT_ERRNO(copy_file_range(in, &ioff, out, &ooff, 3, 1), EINVAL);
	int p[2];
	EXPECT_SYS(pipe(p));
	EXPECT_ERRNO(copy_file_range(in, NULL, p[1], NULL, 3, 0), EINVAL);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
}

TEST(splice_needs_a_pipe)
{
	int in = make("in", "spliced"), out = make("out", "");
	int p[2];
	loff_t off = 0;
	char buf[16] = {0};

	EXPECT_SYS(pipe(p));
	EXPECT_EQ(splice(in, &off, p[1], NULL, 100, 0), 7);
	EXPECT_EQ(off, 7);
	EXPECT_EQ(splice(p[0], NULL, out, NULL, 100, 0), 7);
	EXPECT_EQ(pread(out, buf, sizeof(buf), 0), 7);
	EXPECT_STREQ(buf, "spliced");
	EXPECT_ERRNO(splice(in, NULL, out, NULL, 10, 0), EINVAL);
	EXPECT_ERRNO(splice(p[0], &off, out, NULL, 10, 0), ESPIPE);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
}

TEST(tee_copies_without_consuming)
{
	int a[2], b[2];
	char buf[8] = {0};

	EXPECT_SYS(pipe(a));
	EXPECT_SYS(pipe(b));
	EXPECT_EQ(write(a[1], "tee", 3), 3);
	EXPECT_EQ(tee(a[0], b[1], 100, 0), 3);
	EXPECT_EQ(read(b[0], buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "tee");
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(a[0], buf, sizeof(buf)), 3); /* still there */
	EXPECT_STREQ(buf, "tee");
	EXPECT_ERRNO(tee(a[0], b[1], 10, SPLICE_F_NONBLOCK), EAGAIN);
	int f = make("f", "x");
	EXPECT_ERRNO(tee(f, b[1], 1, 0), EINVAL);
	close(f);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}
