/* AF_UNIX readiness (poll/epoll after data, close, shutdown, connect) and
 * blocking calls ended by signals (EINTR, SA_RESTART, SO_RCVTIMEO). */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"

static short revents(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static void install(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
	hits = 0;
}

/* A child that signals us after usec, then optionally writes a byte to wfd. */
static pid_t poke_later(int wfd, int usec)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		usleep((useconds_t)usec);
		kill(parent, SIGUSR1);
		if (wfd >= 0) {
			usleep(100000);
			(void)!write(wfd, "z", 1);
		}
		_exit(0);
	}
	return pid;
}

TEST(poll_fresh_sockets)
{
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	int d = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	int q = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	EXPECT_EQ(revents(s), POLLOUT | POLLHUP);
	EXPECT_EQ(revents(d), POLLOUT);
	EXPECT_EQ(revents(q), POLLOUT | POLLHUP);
	close(s);
	close(d);
	close(q);
}

TEST(poll_data_and_peer_close)
{
	int sv[2];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(revents(sv[0]), POLLOUT);
	EXPECT_EQ(write(sv[1], "x", 1), 1);
	EXPECT_EQ(revents(sv[0]), POLLIN | POLLOUT);
	close(sv[1]);
	/* The peer left: readable (EOF), hung up both ways, still "writable". */
	EXPECT_EQ(revents(sv[0]), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	close(sv[0]);
	/* A peer closed with unread data: POLLERR too (ECONNRESET). */
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "unread", 6), 6);
	close(sv[1]);
	EXPECT_EQ(revents(sv[0]), POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR);
	int err = 0;
	socklen_t l = sizeof(err);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &l));
	EXPECT_EQ(err, ECONNRESET);
	EXPECT_EQ(revents(sv[0]), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	close(sv[0]);
}

TEST(poll_after_shutdown)
{
	int sv[2];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(shutdown(sv[0], SHUT_WR));
	EXPECT_EQ(revents(sv[0]), POLLOUT);
	EXPECT_EQ(revents(sv[1]), POLLIN | POLLOUT | POLLRDHUP);
	EXPECT_SYS(shutdown(sv[0], SHUT_RD));
	EXPECT_EQ(revents(sv[0]), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	EXPECT_EQ(revents(sv[1]), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	close(sv[0]);
	close(sv[1]);
	/* Datagram pair: a peer's close is no hang-up. */
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	close(sv[1]);
	EXPECT_EQ(revents(sv[0]), POLLOUT);
	close(sv[0]);
}

TEST(poll_listener_and_connect)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "poll.sock");
	int l = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(l, 0));
	EXPECT_EQ(revents(l), 0);
	int c = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(revents(l), POLLIN);
	EXPECT_EQ(revents(c), POLLOUT);
	/* The backlog is full: a nonblocking connect fails, the socket stays
	 * unconnected. */
	int c2 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(c2, (struct sockaddr *)&a, sizeof(a)), EAGAIN);
	EXPECT_EQ(revents(c2), POLLOUT | POLLHUP);
	int s = (int)EXPECT_SYS(accept(l, NULL, NULL));
	EXPECT_EQ(revents(l), 0);
	EXPECT_SYS(connect(c2, (struct sockaddr *)&a, sizeof(a)));
	close(s);
	close(c);
	close(c2);
	close(l);
}

TEST(poll_and_epoll_wake_on_data)
{
	int sv[2], st;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		(void)!write(sv[1], "1", 1);
		usleep(100000);
		(void)!write(sv[1], "2", 1);
		usleep(100000);
		_exit(0);
	}
	struct pollfd p = {sv[0], POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	char c;
	EXPECT_EQ(read(sv[0], &c, 1), 1);
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7}, out;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 10000), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	EXPECT_EQ(out.data.u32, 7);
	EXPECT_EQ(read(sv[0], &c, 1), 1);
	EXPECT_EQ(c, '2');
	/* The child exits: its end closes, and epoll sees the hang-up. */
	close(sv[1]);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 10000), 1);
	EXPECT_TRUE(out.events & EPOLLRDHUP);
	EXPECT_TRUE(out.events & EPOLLHUP);
	waitpid(pid, &st, 0);
	close(ep);
	close(sv[0]);
}

TEST(blocked_recv_interrupted_without_sa_restart)
{
	int sv[2], st;
	char c;
	install(0);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = poke_later(-1, 100000);
	EXPECT_ERRNO(recv(sv[0], &c, 1, 0), EINTR);
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	signal(SIGUSR1, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

TEST(blocked_recv_restarts_with_sa_restart)
{
	int sv[2], st;
	char c = 0;
	install(SA_RESTART);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = poke_later(sv[1], 100000);
	EXPECT_EQ(recv(sv[0], &c, 1, 0), 1);
	EXPECT_EQ(c, 'z');
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	signal(SIGUSR1, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

TEST(timed_recv_is_not_restarted)
{
	/* With SO_RCVTIMEO, a signal gives EINTR even under SA_RESTART. */
	int sv[2], st;
	char c;
	install(SA_RESTART);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct timeval tv = {5, 0};
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	pid_t pid = poke_later(-1, 100000);
	EXPECT_ERRNO(recv(sv[0], &c, 1, 0), EINTR);
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	signal(SIGUSR1, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

TEST(blocked_accept_interrupted)
{
	int st;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "acc.sock");
	install(0);
	int l = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(l, 1));
	pid_t pid = poke_later(-1, 100000);
	EXPECT_ERRNO(accept(l, NULL, NULL), EINTR);
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	/* And a blocked accept gets a connection made later. */
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(c, (struct sockaddr *)&a, sizeof(a)) ? 1 : 0);
	}
	int s = (int)EXPECT_SYS(accept(l, NULL, NULL));
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	signal(SIGUSR1, SIG_DFL);
	close(s);
	close(l);
}

TEST(blocking_connect_waits_for_backlog_room)
{
	int st;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "full.sock");
	int l = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(l, 0));
	int c1 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(connect(c1, (struct sockaddr *)&a, sizeof(a)));
	pid_t pid = fork();
	if (pid == 0) {
		usleep(150000);
		int s = accept(l, NULL, NULL);
		_exit(s < 0 ? 1 : 0);
	}
	int c2 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	/* Blocks until the child accepts the first connection. */
	EXPECT_SYS(connect(c2, (struct sockaddr *)&a, sizeof(a)));
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	/* With SO_SNDTIMEO the wait ends in EAGAIN. */
	int c3 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	struct timeval tv = {0, 100000};
	EXPECT_SYS(setsockopt(c3, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	EXPECT_ERRNO(connect(c3, (struct sockaddr *)&a, sizeof(a)), EAGAIN);
	close(c1);
	close(c2);
	close(c3);
	close(l);
}

TEST(epoll_edge_triggered_sees_each_arrival_once)
{
	int sv[2];
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, out;
	char buf[4];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	EXPECT_EQ(write(sv[1], "abcdef", 6), 6);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	/* A partial read is no new edge... */
	EXPECT_EQ(read(sv[0], buf, 2), 2);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	/* ...new data is. */
	EXPECT_EQ(write(sv[1], "g", 1), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	/* EPOLLOUT edge when the peer drains a full buffer. */
	int w = sv[1];
	EXPECT_SYS(fcntl(w, F_SETFL, O_NONBLOCK));
	struct epoll_event wev = {.events = EPOLLOUT | EPOLLET, .data.fd = w};
	int ep2 = (int)EXPECT_SYS(epoll_create1(0));
	EXPECT_SYS(epoll_ctl(ep2, EPOLL_CTL_ADD, w, &wev));
	EXPECT_EQ(epoll_wait(ep2, &out, 1, 0), 1);
	char big[4096] = {0};
	while (write(w, big, sizeof(big)) > 0)
		;
	EXPECT_EQ(epoll_wait(ep2, &out, 1, 0), 0);
	EXPECT_SYS(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	while (read(sv[0], big, sizeof(big)) > 0)
		;
	EXPECT_EQ(epoll_wait(ep2, &out, 1, 1000), 1);
	EXPECT_EQ(out.events, EPOLLOUT);
	close(ep);
	close(ep2);
	close(sv[0]);
	close(sv[1]);
}
