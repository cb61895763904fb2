/* eventfd counters and epoll over pipes and eventfds. */
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "harness.h"

TEST(eventfd_counts)
{
	uint64_t v = 0;
	int fd = (int)EXPECT_SYS(eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC));

	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	v = 4;
	EXPECT_EQ(write(fd, &v, 8), 8);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 7);
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	EXPECT_ERRNO(read(fd, &v, 4), EINVAL);
	v = UINT64_MAX;
	EXPECT_ERRNO(write(fd, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	EXPECT_EQ(write(fd, &v, 8), 8);
	v = 1;
	EXPECT_ERRNO(write(fd, &v, 8), EAGAIN); /* would overflow */
	close(fd);
	EXPECT_ERRNO(eventfd(0, 0x12345), EINVAL);
}

TEST(eventfd_semaphore_mode)
{
	uint64_t v = 2;
	int fd = (int)EXPECT_SYS(eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK));

	EXPECT_EQ(write(fd, &v, 8), 8);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 1);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(v, 1);
	EXPECT_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}

TEST(epoll_reports_readiness_level_triggered)
{
	struct epoll_event ev, out[4];
	int p[2], ep = (int)EXPECT_SYS(epoll_create1(EPOLL_CLOEXEC));
	char c;

	EXPECT_SYS(pipe(p));
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1234;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	EXPECT_EQ(write(p[1], "xy", 2), 2);
	EXPECT_EQ(epoll_wait(ep, out, 4, 1000), 1);
	EXPECT_EQ(out[0].data.u64, 0x1234);
	EXPECT_TRUE(out[0].events & EPOLLIN);
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 1); /* still ready: level-triggered */
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	close(p[1]);
	EXPECT_EQ(epoll_wait(ep, out, 4, 100), 1);
	EXPECT_TRUE(out[0].events & EPOLLHUP);
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	close(p[0]);
	close(ep);
}

TEST(epoll_edge_triggered_and_oneshot)
{
	struct epoll_event ev, out[2];
	int a = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	int b = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	int ep = (int)EXPECT_SYS(epoll_create(1));
	uint64_t v = 1;

	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = a;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.fd = b;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	EXPECT_EQ(write(a, &v, 8), 8);
	EXPECT_EQ(write(b, &v, 8), 8);
	EXPECT_EQ(epoll_wait(ep, out, 2, 1000), 2);
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 0); /* a: no new edge; b: disabled */
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.fd = b;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, b, &ev));
	EXPECT_EQ(epoll_wait(ep, out, 2, 0), 1);
	EXPECT_EQ(out[0].data.fd, b);
	close(a);
	close(b);
	close(ep);
}

TEST(epoll_errors)
{
	struct epoll_event ev = {EPOLLIN, {0}}, out;
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	int f = (int)EXPECT_SYS(open("file", O_CREAT | O_RDWR, 0600));

	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM); /* regular files */
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	int p[2];
	EXPECT_SYS(pipe(p));
	EXPECT_ERRNO(epoll_ctl(f, EPOLL_CTL_ADD, p[0], &ev), EINVAL); /* f is no epoll */
	close(p[0]);
	close(p[1]);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 9999, &ev), EBADF);
	EXPECT_ERRNO(epoll_wait(ep, &out, 0, 0), EINVAL);
	EXPECT_ERRNO(epoll_wait(f, &out, 1, 0), EINVAL);
	EXPECT_ERRNO(epoll_create(0), EINVAL);
	EXPECT_ERRNO(epoll_create1(0x1234), EINVAL);
	close(f);
	close(ep);
}

static void *writer(void *arg)
{
	usleep(50000);
	uint64_t v = 1;
	(void)!write(*(int *)arg, &v, 8);
	return NULL;
}

TEST(epoll_wait_wakes_when_another_thread_writes)
{
	struct epoll_event ev = {EPOLLIN, {0}}, out;
	int fd = (int)EXPECT_SYS(eventfd(0, 0));
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	pthread_t th;

	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(pthread_create(&th, NULL, writer, &fd), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	pthread_join(th, NULL);
	close(fd);
	close(ep);
}
