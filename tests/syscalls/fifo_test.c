/* Named pipes: mkfifo, blocking opens, data, O_NONBLOCK rules. */
#include <sys/wait.h>

#include "harness.h"

TEST(a_fifo_connects_a_writer_and_a_reader)
{
	char buf[8] = {0};
	struct stat st;
	int ws;

	EXPECT_SYS(mkfifo("f", 0600));
	EXPECT_SYS(stat("f", &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		int w = open("f", O_WRONLY); /* waits for the reader */
		_exit(w >= 0 && write(w, "data", 4) == 4 ? 0 : 1);
	}
	int r = (int)EXPECT_SYS(open("f", O_RDONLY)); /* waits for the writer */
	EXPECT_EQ(read(r, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "data");
	EXPECT_EQ(waitpid(pid, &ws, 0), pid);
	EXPECT_EQ(ws, 0);
	EXPECT_EQ(read(r, buf, sizeof(buf)), 0); /* the writer is gone */
	close(r);
}

TEST(fifo_nonblocking_opens)
{
	EXPECT_SYS(mkfifo("f", 0600));
	EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO); /* no reader */
	int r = (int)EXPECT_SYS(open("f", O_RDONLY | O_NONBLOCK));
	int w = (int)EXPECT_SYS(open("f", O_WRONLY | O_NONBLOCK));
	char c;
	EXPECT_ERRNO(read(r, &c, 1), EAGAIN);
	EXPECT_EQ(write(w, "x", 1), 1);
	EXPECT_EQ(read(r, &c, 1), 1);
	EXPECT_EQ(c, 'x');
	EXPECT_ERRNO(lseek(r, 0, SEEK_SET), ESPIPE);
	close(w);
	close(r);
	int rw = (int)EXPECT_SYS(open("f", O_RDWR)); /* never waits */
	close(rw);
	EXPECT_ERRNO(mkfifo("f", 0600), EEXIST);
}

TEST(pipe_size_can_be_read_and_changed)
{
	int p[2];
	char big[8192];

	EXPECT_SYS(pipe(p));
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192);
	EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 8192);
	memset(big, 'a', sizeof(big));
	EXPECT_EQ(write(p[1], big, sizeof(big)), (ssize_t)sizeof(big));
	EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	int f = (int)EXPECT_SYS(open("file", O_CREAT | O_RDWR, 0600));
	EXPECT_ERRNO(fcntl(f, F_GETPIPE_SZ), EBADF);
	close(f);
	close(p[0]);
	close(p[1]);
}
