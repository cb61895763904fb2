/* AF_INET SOCK_STREAM on 127.0.0.1: names, connect/accept (blocking and not),
 * data, flags, shutdown and close semantics (EPIPE, ECONNRESET, RST), poll and
 * epoll readiness, options, signals and timeouts, bad input. Every expectation
 * here is what Linux does natively. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "harness.h"

/* Bad pointers are passed through syscall(): the libc wrappers' sanitizer
 * interceptors would dereference them first (SENTRY_SANITIZE builds). */

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listening socket on 127.0.0.1:<ephemeral>; its address in *a. */
static int listener(struct sockaddr_in *a, int type_flags)
{
	struct sockaddr_in b = lo4(0);
	socklen_t l = sizeof(*a);
	int s = socket(AF_INET, SOCK_STREAM | type_flags, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&b, sizeof(b)) || listen(s, 16) ||
	    getsockname(s, (struct sockaddr *)a, &l))
		return -1;
	return s;
}

/* A connected pair (blocking): *c the client, *s the accepted socket. */
static bool tcp_pair(int *c, int *s)
{
	struct sockaddr_in a;
	int l = listener(&a, 0);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || *c < 0 || connect(*c, (struct sockaddr *)&a, sizeof(a)))
		return FAIL("tcp_pair: listen/connect: %s", strerror(errno));
	*s = accept(l, NULL, NULL);
	close(l);
	return *s >= 0 ? true : FAIL("tcp_pair: accept: %s", strerror(errno));
}

/* A port bound on 127.0.0.1 by an open socket that does not listen: connecting
 * to it is refused (RST), and no one else can take the port meanwhile. */
static int refusing_port(struct sockaddr_in *a)
{
	struct sockaddr_in b = lo4(0);
	socklen_t l = sizeof(*a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&b, sizeof(b)) ||
	    getsockname(s, (struct sockaddr *)a, &l))
		return -1;
	return s;
}

static short revents(int fd, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

/* Waits (up to 2 s) until fd reports one of `ev`. */
static short wait_for(int fd, short ev)
{
	struct pollfd p = {fd, ev, 0};
	if (poll(&p, 1, 2000) <= 0)
		return 0;
	return p.revents;
}

static int sockopt_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, name, &v, &l))
		return -12345;
	return v;
}

static volatile sig_atomic_t sigpipes, alarms;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }
static void on_alarm(int sig) { (void)sig; alarms++; }

static void catch_signal(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = 0; /* no SA_RESTART */
	sigaction(sig, &sa, NULL);
}

TEST(bind_port_zero_and_getsockname)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a, b = lo4(0);
	socklen_t l = sizeof(a);
	memset(&a, 0xff, sizeof(a));
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_EQ(l, sizeof(a));
	EXPECT_EQ(a.sin_family, AF_INET);
	EXPECT_EQ(a.sin_port, 0);
	EXPECT_EQ(a.sin_addr.s_addr, htonl(INADDR_ANY));
	EXPECT_SYS(bind(s, (struct sockaddr *)&b, sizeof(b)));
	l = sizeof(a);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_EQ(l, sizeof(a));
	EXPECT_EQ(a.sin_family, AF_INET);
	EXPECT_NE(a.sin_port, 0);
	EXPECT_EQ(a.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* A short buffer is filled partially; the full length is reported. */
	char small[4];
	l = sizeof(small);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)small, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in));
	EXPECT_MEMEQ(small, &a, sizeof(small));
	/* Binding twice is EINVAL. */
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&b, sizeof(b)), EINVAL);
	close(s);
}

TEST(bind_eaddrinuse_and_eaddrnotavail)
{
	struct sockaddr_in a, far = lo4(0);
	int l = listener(&a, 0);
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	/* INADDR_ANY on the same port conflicts with 127.0.0.1 too. */
	struct sockaddr_in any = a;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&any, sizeof(any)), EADDRINUSE);
	far.sin_addr.s_addr = inet_addr("10.255.255.1");
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&far, sizeof(far)), EADDRNOTAVAIL);
	close(s);
	close(l);
}

TEST(so_reuseaddr_rebinds_after_closed_server)
{
	struct sockaddr_in b = lo4(0), a;
	socklen_t al = sizeof(a);
	int one = 1, c, s;
	int l = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_SYS(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(sockopt_int(l, SOL_SOCKET, SO_REUSEADDR), 1);
	EXPECT_SYS(bind(l, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_SYS(listen(l, 4));
	EXPECT_SYS(getsockname(l, (struct sockaddr *)&a, &al));
	c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = (int)EXPECT_SYS(accept(l, NULL, NULL));
	EXPECT_SYS(send(s, "x", 1, 0));
	/* The server closes first: its end of the connection lingers in
	 * TIME_WAIT on the listening port. */
	close(s);
	close(l);
	char ch;
	EXPECT_EQ(recv(c, &ch, 1, 0), 1);
	EXPECT_EQ(recv(c, &ch, 1, 0), 0);
	close(c);
	int n = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(n, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	EXPECT_SYS(setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_SYS(bind(n, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(n, 4));
	close(n);
}

TEST(blocking_connect_accept_and_names)
{
	struct sockaddr_in a, peer, cname, sname, speer;
	socklen_t l = sizeof(peer);
	int lsn = listener(&a, 0);
	if (!EXPECT_GE(lsn, 0))
		return;
	EXPECT_EQ(sockopt_int(lsn, SOL_SOCKET, SO_ACCEPTCONN), 1);
	int c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ACCEPTCONN), 0);
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	int s = (int)EXPECT_SYS(accept(lsn, (struct sockaddr *)&peer, &l));
	EXPECT_EQ(l, sizeof(peer));
	EXPECT_EQ(peer.sin_family, AF_INET);
	EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	l = sizeof(cname);
	EXPECT_SYS(getsockname(c, (struct sockaddr *)&cname, &l));
	EXPECT_EQ(cname.sin_port, peer.sin_port); /* autobound ephemeral port */
	EXPECT_NE(cname.sin_port, 0);
	l = sizeof(sname);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&sname, &l));
	EXPECT_EQ(sname.sin_port, a.sin_port);
	l = sizeof(speer);
	EXPECT_SYS(getpeername(c, (struct sockaddr *)&speer, &l));
	EXPECT_EQ(speer.sin_port, a.sin_port);
	EXPECT_EQ(speer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* Accepted sockets do not inherit O_NONBLOCK; SO_TYPE etc. */
	EXPECT_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_DOMAIN), AF_INET);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_ERROR), 0);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EISCONN);
	/* A listening socket neither connects nor carries data. */
	EXPECT_ERRNO(connect(lsn, (struct sockaddr *)&a, sizeof(a)), EISCONN);
	char ch;
	EXPECT_ERRNO(recv(lsn, &ch, 1, 0), ENOTCONN);
	close(s);
	close(c);
	close(lsn);
}

TEST(nonblocking_connect_einprogress_then_pollout)
{
	struct sockaddr_in a;
	int lsn = listener(&a, SOCK_NONBLOCK);
	if (!EXPECT_GE(lsn, 0))
		return;
	EXPECT_ERRNO(accept(lsn, NULL, NULL), EAGAIN);
	int c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EINPROGRESS);
	EXPECT_TRUE(wait_for(c, POLLOUT) & POLLOUT);
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	/* The first connect after completion reports success, then EISCONN. */
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EISCONN);
	EXPECT_TRUE(wait_for(lsn, POLLIN) & POLLIN);
	int s = (int)EXPECT_SYS(accept4(lsn, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(accept(lsn, NULL, NULL), EAGAIN);
	EXPECT_ERRNO(accept4(lsn, NULL, NULL, 0x40000000), EINVAL);
	char buf[8];
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), 0), EAGAIN);
	EXPECT_ERRNO(read(c, buf, sizeof(buf)), EAGAIN);
	EXPECT_EQ(revents(s, 0), POLLOUT);
	EXPECT_EQ(send(c, "ping", 4, 0), 4);
	EXPECT_EQ(wait_for(s, POLLIN), POLLIN);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 4);
	EXPECT_MEMEQ(buf, "ping", 4);
	close(s);
	close(c);
	close(lsn);
}

TEST(connect_refused_blocking_and_nonblocking)
{
	struct sockaddr_in a;
	int r = refusing_port(&a);
	if (!EXPECT_GE(r, 0))
		return;
	int c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	close(c);
	c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EINPROGRESS);
	short ev = wait_for(c, POLLOUT);
	EXPECT_EQ(ev, POLLOUT | POLLERR | POLLHUP);
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ERROR), 0); /* read clears it */
	close(c);
	close(r);
}

struct xfer {
	int fd;
	size_t len;
	unsigned seed;
	bool ok;
};

static unsigned char pattern(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131 + seed + (i >> 9)) & 0xff);
}

static void *writer(void *arg)
{
	struct xfer *x = arg;
	unsigned char buf[8192];
	size_t off = 0;
	x->ok = true;
	while (off < x->len) {
		size_t n = x->len - off < sizeof(buf) ? x->len - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, x->seed);
		ssize_t w = send(x->fd, buf, n, 0);
		if (w <= 0) {
			x->ok = false;
			break;
		}
		off += (size_t)w;
	}
	return NULL;
}

/* Reads len bytes from fd, comparing with the pattern; false on mismatch. */
static bool read_pattern(int fd, size_t len, unsigned seed)
{
	unsigned char buf[10000];
	size_t off = 0;
	while (off < len) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			return FAIL("recv at %zu: %zd %s", off, r, strerror(errno));
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(off + (size_t)i, seed))
				return FAIL("byte %zu differs", off + (size_t)i);
		off += (size_t)r;
	}
	return true;
}

TEST(one_mib_each_way_intact)
{
	int c, s;
	if (!tcp_pair(&c, &s))
		return;
	struct xfer x1 = {c, 1 << 20, 7, false}, x2 = {s, 1 << 20, 99, false};
	pthread_t t1, t2;
	/* Both directions at once: neither side reads only after writing. */
	pthread_create(&t1, NULL, writer, &x1);
	pthread_create(&t2, NULL, writer, &x2);
	EXPECT_TRUE(read_pattern(s, 1 << 20, 7));
	EXPECT_TRUE(read_pattern(c, 1 << 20, 99));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	EXPECT_TRUE(x1.ok);
	EXPECT_TRUE(x2.ok);
	EXPECT_SYS(shutdown(c, SHUT_WR));
	char ch;
	EXPECT_EQ(recv(s, &ch, 1, 0), 0);
	close(c);
	close(s);
}

static void *late_sender(void *arg)
{
	int fd = *(int *)arg;
	usleep(50000);
	(void)!send(fd, "world", 5, 0);
	return NULL;
}

TEST(msg_peek_waitall_dontwait)
{
	int c, s, n = -1;
	char buf[32];
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(send(c, "hello", 5, 0), 5);
	EXPECT_TRUE(wait_for(s, POLLIN) & POLLIN);
	EXPECT_SYS(ioctl(s, FIONREAD, &n));
	EXPECT_EQ(n, 5);
	EXPECT_EQ(recv(s, buf, 3, MSG_PEEK), 3);
	EXPECT_MEMEQ(buf, "hel", 3);
	EXPECT_EQ(recv(s, buf, sizeof(buf), MSG_PEEK), 5);
	EXPECT_SYS(ioctl(s, FIONREAD, &n));
	EXPECT_EQ(n, 5);
	/* MSG_WAITALL waits for the 5 bytes sent 50 ms later. */
	pthread_t t;
	pthread_create(&t, NULL, late_sender, &c);
	EXPECT_EQ(recv(s, buf, 10, MSG_WAITALL), 10);
	EXPECT_MEMEQ(buf, "helloworld", 10);
	pthread_join(t, NULL);
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* MSG_WAITALL returns short at EOF. */
	EXPECT_EQ(send(c, "ab", 2, 0), 2);
	EXPECT_SYS(shutdown(c, SHUT_WR));
	EXPECT_EQ(recv(s, buf, 10, MSG_WAITALL), 2);
	close(c);
	close(s);
}

TEST(shutdown_wr_gives_peer_eof_and_rdhup)
{
	int c, s;
	char buf[8];
	if (!tcp_pair(&c, &s))
		return;
	catch_signal(SIGPIPE, on_sigpipe);
	EXPECT_EQ(revents(s, 0), POLLOUT);
	EXPECT_SYS(shutdown(c, SHUT_WR));
	EXPECT_TRUE(wait_for(s, POLLRDHUP) & POLLRDHUP);
	EXPECT_EQ(revents(s, 0), POLLIN | POLLOUT | POLLRDHUP);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 0);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 0);
	/* The half-closed side still receives. */
	EXPECT_EQ(send(s, "back", 4, 0), 4);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 4);
	/* ... but may not send: EPIPE and SIGPIPE, or no signal with
	 * MSG_NOSIGNAL. */
	sigpipes = 0;
	EXPECT_ERRNO(send(c, "x", 1, 0), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_ERRNO(write(c, "x", 1), EPIPE);
	EXPECT_EQ(sigpipes, 2);
	EXPECT_ERRNO(shutdown(c, 3), EINVAL);
	signal(SIGPIPE, SIG_DFL);
	/* Both directions shut: POLLHUP as well. */
	EXPECT_SYS(shutdown(s, SHUT_WR));
	EXPECT_TRUE(wait_for(c, POLLRDHUP) & POLLRDHUP);
	EXPECT_EQ(revents(c, 0), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	close(s);
}

TEST(shutdown_rd_makes_recv_return_zero)
{
	int c, s;
	char buf[8];
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_SYS(shutdown(s, SHUT_RD));
	EXPECT_EQ(revents(s, 0), POLLIN | POLLOUT | POLLRDHUP);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 0);
	/* The other direction still works. */
	EXPECT_EQ(send(s, "out", 3, 0), 3);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 3);
	close(c);
	close(s);
}

TEST(unconnected_socket_errors)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	char ch;
	/* A fresh socket polls as POLLOUT|POLLHUP. */
	EXPECT_EQ(revents(s, 0), POLLOUT | POLLHUP);
	catch_signal(SIGPIPE, on_sigpipe);
	sigpipes = 0;
	EXPECT_ERRNO(recv(s, &ch, 1, 0), ENOTCONN);
	EXPECT_ERRNO(read(s, &ch, 1), ENOTCONN);
	EXPECT_ERRNO(getpeername(s, (struct sockaddr *)&a, &l), ENOTCONN);
	EXPECT_ERRNO(shutdown(s, SHUT_RDWR), ENOTCONN);
	EXPECT_ERRNO(send(s, "x", 1, 0), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_ERRNO(accept(s, NULL, NULL), EINVAL); /* not listening */
	signal(SIGPIPE, SIG_DFL);
	close(s);
}

TEST(send_after_peer_close_epipe_sigpipe)
{
	int c, s;
	if (!tcp_pair(&c, &s))
		return;
	catch_signal(SIGPIPE, on_sigpipe);
	sigpipes = 0;
	close(s);
	EXPECT_TRUE(wait_for(c, POLLRDHUP) & POLLRDHUP);
	/* The first send is accepted; the closed peer answers with RST. */
	EXPECT_EQ(send(c, "a", 1, 0), 1);
	EXPECT_TRUE(wait_for(c, POLLHUP) & POLLHUP);
	EXPECT_ERRNO(send(c, "b", 1, 0), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	EXPECT_ERRNO(send(c, "b", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_EQ(sigpipes, 1);
	signal(SIGPIPE, SIG_DFL);
	close(c);
}

TEST(close_with_unread_data_resets_peer)
{
	int c, s;
	char buf[8];
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_EQ(send(c, "unread", 6, 0), 6);
	EXPECT_TRUE(wait_for(s, POLLIN) & POLLIN);
	close(s); /* data unread: RST instead of FIN */
	EXPECT_TRUE(wait_for(c, POLLHUP) & POLLHUP);
	EXPECT_EQ(revents(c, 0), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	EXPECT_ERRNO(recv(c, buf, sizeof(buf), 0), ECONNRESET);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 0);
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	close(c);
}

TEST(so_linger_zero_close_sends_rst)
{
	int c, s;
	char buf[8];
	struct linger lg = {1, 0}, got;
	socklen_t l = sizeof(got);
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	EXPECT_SYS(getsockopt(s, SOL_SOCKET, SO_LINGER, &got, &l));
	EXPECT_EQ(l, sizeof(got));
	EXPECT_EQ(got.l_onoff, 1);
	EXPECT_EQ(got.l_linger, 0);
	EXPECT_ERRNO(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL);
	close(s);
	EXPECT_TRUE(wait_for(c, POLLERR) & POLLERR);
	EXPECT_EQ(revents(c, 0) & (POLLHUP | POLLERR), POLLHUP | POLLERR);
	EXPECT_EQ(sockopt_int(c, SOL_SOCKET, SO_ERROR), ECONNRESET);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
}

TEST(epoll_edge_triggered_stream)
{
	int c, s;
	char buf[16];
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7}, out[4];
	if (!tcp_pair(&c, &s))
		return;
	int ep = (int)EXPECT_SYS(epoll_create1(EPOLL_CLOEXEC));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	EXPECT_EQ(send(c, "one", 3, 0), 3);
	EXPECT_EQ(epoll_wait(ep, out, 4, 2000), 1);
	EXPECT_EQ(out[0].events, EPOLLIN);
	EXPECT_EQ(out[0].data.u32, 7);
	/* Edge-triggered: no new data, no new event, though data is unread. */
	EXPECT_EQ(epoll_wait(ep, out, 4, 50), 0);
	EXPECT_EQ(send(c, "two", 3, 0), 3);
	EXPECT_EQ(epoll_wait(ep, out, 4, 2000), 1);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 6);
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
	EXPECT_SYS(shutdown(c, SHUT_WR));
	EXPECT_EQ(epoll_wait(ep, out, 4, 2000), 1);
	EXPECT_EQ(out[0].events, EPOLLIN | EPOLLRDHUP);
	/* Level-triggered EPOLLOUT on a connected socket. */
	ev.events = EPOLLOUT;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev));
	EXPECT_EQ(epoll_wait(ep, out, 4, 0), 1);
	EXPECT_EQ(out[0].events, EPOLLOUT);
	close(ep);
	close(c);
	close(s);
}

/* Fills c's send path (nonblocking) until EAGAIN; returns the bytes queued. */
static long fill_until_eagain(int c)
{
	static char chunk[65536];
	long total = 0;
	for (;;) {
		ssize_t w = send(c, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN ? total : -1;
		total += w;
		if (total > (256L << 20))
			return -1; /* never full: a broken flow control */
	}
}

TEST(full_send_buffer_eagain_pollout_and_sndtimeo)
{
	int c, s;
	static char sink[1 << 16];
	if (!tcp_pair(&c, &s))
		return;
	long queued = fill_until_eagain(c);
	if (!EXPECT_GT(queued, 0))
		return;
	EXPECT_EQ(revents(c, 0) & POLLOUT, 0);
	/* SO_SNDTIMEO: a blocking send gives up with EAGAIN. */
	struct timeval tv = {0, 100000};
	EXPECT_SYS(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	EXPECT_ERRNO(send(c, sink, sizeof(sink), 0), EAGAIN);
	/* Draining the peer makes c writable again; every byte arrives. */
	long got = 0;
	while (got < queued) {
		ssize_t r = recv(s, sink, sizeof(sink), MSG_DONTWAIT);
		if (r > 0) {
			got += r;
		} else if (r < 0 && errno == EAGAIN) {
			if (!(wait_for(s, POLLIN) & POLLIN))
				break;
		} else {
			break;
		}
	}
	EXPECT_EQ(got, queued);
	EXPECT_TRUE(wait_for(c, POLLOUT) & POLLOUT);
	EXPECT_GT(send(c, "more", 4, MSG_DONTWAIT), 0);
	close(c);
	close(s);
}

TEST(tcp_nodelay_and_buffer_options)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	int one = 1, zero = 0;
	EXPECT_EQ(sockopt_int(s, IPPROTO_TCP, TCP_NODELAY), 0);
	EXPECT_SYS(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	EXPECT_EQ(sockopt_int(s, IPPROTO_TCP, TCP_NODELAY), 1);
	EXPECT_SYS(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero)));
	EXPECT_EQ(sockopt_int(s, IPPROTO_TCP, TCP_NODELAY), 0);
	EXPECT_ERRNO(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 2), EINVAL);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_ERROR), 0);
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_KEEPALIVE), 0);
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	EXPECT_EQ(sockopt_int(s, SOL_SOCKET, SO_KEEPALIVE), 1);
	EXPECT_GT(sockopt_int(s, SOL_SOCKET, SO_RCVBUF), 0);
	EXPECT_GT(sockopt_int(s, SOL_SOCKET, SO_SNDBUF), 0);
	/* SO_TYPE is read-only; an unknown level/option is ENOPROTOOPT. */
	EXPECT_ERRNO(setsockopt(s, SOL_SOCKET, SO_TYPE, &one, sizeof(one)), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(s, IPPROTO_TCP, 9999, &one, sizeof(one)), ENOPROTOOPT);
	int v;
	socklen_t l = sizeof(v);
	EXPECT_ERRNO(syscall(SYS_getsockopt, s, IPPROTO_TCP, TCP_NODELAY, harness_unmapped_page(), &l), EFAULT);
	l = (socklen_t)-1;
	EXPECT_ERRNO(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l), EINVAL);
	close(s);
}

TEST(tcp_keepalive_cork_and_info)
{
	int c, s, v = 60;
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_EQ(sockopt_int(c, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	EXPECT_EQ(sockopt_int(c, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	EXPECT_EQ(sockopt_int(c, IPPROTO_TCP, TCP_KEEPCNT), 9);
	EXPECT_SYS(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	EXPECT_EQ(sockopt_int(c, IPPROTO_TCP, TCP_KEEPIDLE), 60);
	v = 0;
	EXPECT_ERRNO(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), EINVAL);
	v = 1;
	EXPECT_SYS(setsockopt(c, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)));
	EXPECT_EQ(sockopt_int(c, IPPROTO_TCP, TCP_CORK), 1);
	memset(&ti, 0xff, sizeof(ti));
	EXPECT_SYS(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &l));
	EXPECT_GT(l, 100);
	EXPECT_EQ(ti.tcpi_state, 1 /* TCP_ESTABLISHED */);
	close(c);
	close(s);
}

TEST(generic_file_ioctls_on_socket)
{
	/* FIONBIO and FIOASYNC (nginx sets both on its sockets). */
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	int on = 1, off = 0;
	EXPECT_SYS(ioctl(s, FIONBIO, &on));
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_SYS(ioctl(s, FIONBIO, &off));
	EXPECT_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	EXPECT_SYS(ioctl(s, FIOASYNC, &on));
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_ASYNC);
	EXPECT_SYS(ioctl(s, FIOASYNC, &off));
	EXPECT_EQ(fcntl(s, F_GETFL) & O_ASYNC, 0);
	EXPECT_ERRNO(syscall(SYS_ioctl, s, FIOASYNC, harness_unmapped_page()), EFAULT);
	close(s);
}

TEST(recv_interrupted_by_signal_eintr)
{
	int c, s;
	char ch;
	struct itimerval it = {{0, 0}, {0, 100000}};
	if (!tcp_pair(&c, &s))
		return;
	catch_signal(SIGALRM, on_alarm);
	alarms = 0;
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(recv(s, &ch, 1, 0), EINTR);
	EXPECT_EQ(alarms, 1);
	/* A blocking accept is interrupted the same way. */
	struct sockaddr_in a;
	int lsn = listener(&a, 0);
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(accept(lsn, NULL, NULL), EINTR);
	EXPECT_EQ(alarms, 2);
	close(lsn);
	signal(SIGALRM, SIG_DFL);
	/* The connection is unharmed. */
	EXPECT_EQ(send(c, "k", 1, 0), 1);
	EXPECT_EQ(recv(s, &ch, 1, 0), 1);
	close(c);
	close(s);
}

TEST(so_rcvtimeo_times_out_with_eagain)
{
	int c, s;
	char ch;
	struct timeval tv = {0, 150000}, got;
	socklen_t l = sizeof(got);
	struct timespec t0, t1;
	if (!tcp_pair(&c, &s))
		return;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_SYS(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &l));
	EXPECT_EQ(got.tv_sec, 0);
	/* Linux rounds up to its clock tick. */
	EXPECT_GE(got.tv_usec, 150000);
	EXPECT_LT(got.tv_usec, 160000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ERRNO(recv(s, &ch, 1, 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_GE(ms, 140);
	EXPECT_LT(ms, 2000);
	tv.tv_usec = 2000000; /* out of range */
	EXPECT_ERRNO(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	close(c);
	close(s);
}

TEST(bad_addresses_rejected)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = lo4(0);
	struct sockaddr_storage big;
	socklen_t l;
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a) - 1), EINVAL);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, 0), EINVAL);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, (socklen_t)-1), EINVAL);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(big) + 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_bind, s, harness_unmapped_page(), sizeof(a)), EFAULT);
	a.sin_family = AF_UNIX;
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	EXPECT_ERRNO(connect(s, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	a.sin_family = AF_INET;
	EXPECT_ERRNO(connect(s, (struct sockaddr *)&a, sizeof(a) - 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_connect, s, harness_unmapped_page(), sizeof(a)), EFAULT);
	/* bind accepts sockaddr_storage-sized input (the family decides). */
	memset(&big, 0, sizeof(big));
	memcpy(&big, &a, sizeof(a));
	EXPECT_SYS(bind(s, (struct sockaddr *)&big, sizeof(big)));
	l = sizeof(a);
	EXPECT_ERRNO(syscall(SYS_getsockname, s, harness_unmapped_page(), &l), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getsockname, s, &a, harness_unmapped_page()), EFAULT);
	l = (socklen_t)-1;
	EXPECT_ERRNO(getsockname(s, (struct sockaddr *)&a, &l), EINVAL);
	EXPECT_ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	EXPECT_ERRNO(syscall(SYS_sendto, s, harness_unmapped_page(), 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
	close(s);
	/* A bad buffer on a connected socket. */
	int c, t;
	if (!tcp_pair(&c, &t))
		return;
	EXPECT_ERRNO(syscall(SYS_sendto, c, harness_unmapped_page(), 16, 0, NULL, 0), EFAULT);
	EXPECT_EQ(send(c, "z", 1, 0), 1);
	EXPECT_TRUE(wait_for(t, POLLIN) & POLLIN);
	EXPECT_ERRNO(syscall(SYS_recvfrom, t, harness_unmapped_page(), 16, 0, NULL, NULL), EFAULT);
	/* The byte stays queued after the failed copy. */
	char ch = 0;
	EXPECT_EQ(recv(t, &ch, 1, MSG_DONTWAIT), 1);
	EXPECT_EQ(ch, 'z');
	close(c);
	close(t);
}
