/* AF_INET SOCK_DGRAM on 127.0.0.1: addresses, datagram boundaries, MSG_TRUNC
 * and MSG_PEEK, connected-socket filtering and ICMP-reported ECONNREFUSED,
 * readiness, sizes and bad input. Every expectation is what Linux does. */
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>

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

/* A UDP socket bound to 127.0.0.1:<ephemeral>; its address in *a. */
static int udp_bound(struct sockaddr_in *a)
{
	struct sockaddr_in b = lo4(0);
	socklen_t l = sizeof(*a);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&b, sizeof(b)) ||
	    getsockname(s, (struct sockaddr *)a, &l))
		return -1;
	return s;
}

static int sockopt_type(int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) ? -1 : v;
}

static short revents(int fd, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

static bool readable(int fd)
{
	return revents(fd, 2000) & POLLIN;
}

TEST(sendto_recvfrom_carry_addresses)
{
	struct sockaddr_in a, b, from;
	socklen_t l = sizeof(from);
	char buf[32];
	int sa = udp_bound(&a), sb = udp_bound(&b);
	if (!EXPECT_GE(sa, 0) || !EXPECT_GE(sb, 0))
		return;
	EXPECT_EQ(sockopt_type(sa), SOCK_DGRAM);
	EXPECT_EQ(sendto(sa, "hello", 5, 0, (struct sockaddr *)&b, sizeof(b)), 5);
	EXPECT_TRUE(readable(sb));
	memset(&from, 0, sizeof(from));
	EXPECT_EQ(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_EQ(l, sizeof(from));
	EXPECT_EQ(from.sin_family, AF_INET);
	EXPECT_EQ(from.sin_port, a.sin_port);
	EXPECT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* recvmsg reports the name too; sendmsg with a name and two iovecs. */
	struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
	struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = iov, .msg_iovlen = 2};
	EXPECT_EQ(sendmsg(sb, &m, 0), 4);
	EXPECT_TRUE(readable(sa));
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr r = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &riov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(sa, &r, 0), 4);
	EXPECT_MEMEQ(buf, "abcd", 4);
	EXPECT_EQ(r.msg_namelen, sizeof(from));
	EXPECT_EQ(from.sin_port, b.sin_port);
	EXPECT_EQ(r.msg_flags, 0);
	close(sa);
	close(sb);
}

TEST(unbound_sendto_autobinds)
{
	struct sockaddr_in b, me, from;
	socklen_t l = sizeof(me), fl = sizeof(from);
	char buf[8];
	int sb = udp_bound(&b);
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&b, sizeof(b)), 1);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&me, &l));
	EXPECT_NE(me.sin_port, 0);
	EXPECT_EQ(me.sin_addr.s_addr, htonl(INADDR_ANY));
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 1);
	EXPECT_EQ(from.sin_port, me.sin_port);
	close(s);
	close(sb);
}

TEST(datagram_boundaries_kept)
{
	struct sockaddr_in a, b;
	char buf[64];
	int sa = udp_bound(&a), sb = udp_bound(&b);
	EXPECT_EQ(sendto(sa, "one", 3, 0, (struct sockaddr *)&b, sizeof(b)), 3);
	EXPECT_EQ(sendto(sa, "", 0, 0, (struct sockaddr *)&b, sizeof(b)), 0);
	EXPECT_EQ(sendto(sa, "three33", 7, 0, (struct sockaddr *)&b, sizeof(b)), 7);
	EXPECT_TRUE(readable(sb));
	usleep(20000);
	int n = -1;
	EXPECT_SYS(ioctl(sb, FIONREAD, &n));
	EXPECT_EQ(n, 3); /* the first datagram's size */
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 3);
	EXPECT_MEMEQ(buf, "one", 3);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 0); /* the empty datagram */
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 7);
	EXPECT_MEMEQ(buf, "three33", 7);
	EXPECT_ERRNO(recv(sb, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(sa);
	close(sb);
}

TEST(msg_trunc_and_msg_peek)
{
	struct sockaddr_in a, b;
	char buf[64];
	int sa = udp_bound(&a), sb = udp_bound(&b);
	EXPECT_EQ(sendto(sa, "0123456789", 10, 0, (struct sockaddr *)&b, sizeof(b)), 10);
	EXPECT_EQ(sendto(sa, "abcdef", 6, 0, (struct sockaddr *)&b, sizeof(b)), 6);
	EXPECT_EQ(sendto(sa, "XYZ", 3, 0, (struct sockaddr *)&b, sizeof(b)), 3);
	EXPECT_TRUE(readable(sb));
	usleep(20000);
	/* Peek does not consume, even truncated. */
	EXPECT_EQ(recv(sb, buf, 4, MSG_PEEK), 4);
	EXPECT_MEMEQ(buf, "0123", 4);
	/* MSG_TRUNC: the datagram's real length; the rest is discarded. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(recv(sb, buf, 4, MSG_TRUNC), 10);
	EXPECT_MEMEQ(buf, "0123", 4);
	EXPECT_EQ(buf[4], 0);
	/* Without the flag: the copied length, and MSG_TRUNC in msg_flags. */
	struct iovec iov = {buf, 3};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(sb, &m, 0), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_TRUE(m.msg_flags & MSG_TRUNC);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 3);
	EXPECT_MEMEQ(buf, "XYZ", 3);
	close(sa);
	close(sb);
}

TEST(connected_udp_filters_other_sources)
{
	struct sockaddr_in a, b, c, peer;
	socklen_t l = sizeof(peer);
	char buf[16];
	int sa = udp_bound(&a), sc = udp_bound(&c), sb = udp_bound(&b);
	/* b is bound to an explicit port: a port-0 bind is undone by the
	 * AF_UNSPEC disconnect below (Linux keeps only explicit ports). */
	close(sb);
	sb = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(sb, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_ERRNO(getpeername(sb, (struct sockaddr *)&peer, &l), ENOTCONN);
	EXPECT_ERRNO(send(sb, "x", 1, 0), EDESTADDRREQ);
	EXPECT_SYS(connect(sb, (struct sockaddr *)&a, sizeof(a)));
	l = sizeof(peer);
	EXPECT_SYS(getpeername(sb, (struct sockaddr *)&peer, &l));
	EXPECT_EQ(peer.sin_port, a.sin_port);
	EXPECT_EQ(sendto(sc, "from-c", 6, 0, (struct sockaddr *)&b, sizeof(b)), 6);
	EXPECT_EQ(sendto(sa, "from-a", 6, 0, (struct sockaddr *)&b, sizeof(b)), 6);
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 6);
	EXPECT_MEMEQ(buf, "from-a", 6);
	usleep(20000);
	EXPECT_ERRNO(recv(sb, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* send() without an address goes to the connected peer. */
	EXPECT_EQ(send(sb, "to-a", 4, 0), 4);
	EXPECT_TRUE(readable(sa));
	EXPECT_EQ(recv(sa, buf, sizeof(buf), 0), 4);
	/* connect(AF_UNSPEC) dissolves the association. */
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	EXPECT_SYS(connect(sb, &un, sizeof(un)));
	l = sizeof(peer);
	EXPECT_ERRNO(getpeername(sb, (struct sockaddr *)&peer, &l), ENOTCONN);
	EXPECT_EQ(sendto(sc, "again", 5, 0, (struct sockaddr *)&b, sizeof(b)), 5);
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recv(sb, buf, sizeof(buf), MSG_DONTWAIT), 5);
	l = sizeof(peer);
	EXPECT_SYS(getsockname(sb, (struct sockaddr *)&peer, &l));
	EXPECT_EQ(peer.sin_port, b.sin_port);
	close(sa);
	close(sb);
	close(sc);
}

TEST(connected_udp_to_closed_port_econnrefused)
{
	struct sockaddr_in a;
	char buf[8];
	int gone = udp_bound(&a);
	close(gone); /* nothing listens on a's port now */
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_SYS(connect(s, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(send(s, "ping", 4, 0), 4);
	/* The ICMP port unreachable comes back as a pending error. */
	EXPECT_TRUE(revents(s, 2000) & POLLERR);
	/* (MSG_DONTWAIT only so that a missing error fails instead of hanging:
	 * a pending error is returned either way.) */
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN); /* consumed */
	EXPECT_EQ(send(s, "ping", 4, 0), 4);
	EXPECT_TRUE(revents(s, 2000) & POLLERR);
	int err = -1;
	socklen_t l = sizeof(err);
	EXPECT_SYS(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l));
	EXPECT_EQ(err, ECONNREFUSED);
	EXPECT_EQ(revents(s, 0), POLLOUT);
	/* The next send reports a pending error as well. */
	EXPECT_EQ(send(s, "ping", 4, 0), 4);
	EXPECT_TRUE(revents(s, 2000) & POLLERR);
	EXPECT_ERRNO(send(s, "ping", 4, 0), ECONNREFUSED);
	close(s);
	/* An unconnected socket is not told (no IP_RECVERR). */
	s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_EQ(sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	usleep(50000);
	EXPECT_EQ(revents(s, 0), POLLOUT);
	EXPECT_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(s);
}

TEST(poll_readiness)
{
	struct sockaddr_in a, b;
	char buf[8];
	int sa = udp_bound(&a), sb = udp_bound(&b);
	int fresh = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_EQ(revents(fresh, 0), POLLOUT);
	EXPECT_EQ(revents(sb, 0), POLLOUT);
	EXPECT_EQ(sendto(sa, "r", 1, 0, (struct sockaddr *)&b, sizeof(b)), 1);
	EXPECT_EQ(revents(sb, 2000), POLLIN | POLLOUT);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 1);
	EXPECT_EQ(revents(sb, 0), POLLOUT);
	/* shutdown(SHUT_RD) on UDP: readable, and recv returns 0. */
	EXPECT_SYS(connect(sb, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(shutdown(sb, SHUT_RD));
	EXPECT_TRUE(revents(sb, 0) & POLLIN);
	EXPECT_EQ(recv(sb, buf, sizeof(buf), 0), 0);
	close(fresh);
	close(sa);
	close(sb);
}

TEST(sizes_and_bind_conflicts)
{
	struct sockaddr_in a, b;
	int sa = udp_bound(&a), sb = udp_bound(&b);
	static char big[70000];
	/* 65507 = 65535 - 20 (IP) - 8 (UDP) is the largest IPv4 payload. */
	EXPECT_EQ(sendto(sa, big, 65507, 0, (struct sockaddr *)&b, sizeof(b)), 65507);
	EXPECT_ERRNO(sendto(sa, big, 65508, 0, (struct sockaddr *)&b, sizeof(b)), EMSGSIZE);
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recv(sb, big, sizeof(big), 0), 65507);
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	struct sockaddr_in far = lo4(0);
	far.sin_addr.s_addr = inet_addr("10.255.255.1");
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&far, sizeof(far)), EADDRNOTAVAIL);
	close(s);
	/* SO_REUSEADDR on both lets two UDP sockets share a port. */
	int one = 1;
	int r1 = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	int r2 = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in p = lo4(0);
	socklen_t l = sizeof(p);
	EXPECT_SYS(setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_SYS(setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_SYS(bind(r1, (struct sockaddr *)&p, sizeof(p)));
	EXPECT_SYS(getsockname(r1, (struct sockaddr *)&p, &l));
	EXPECT_SYS(bind(r2, (struct sockaddr *)&p, sizeof(p)));
	close(r1);
	close(r2);
	/* SO_REUSEPORT on both: the same for TCP listeners. */
	int t1 = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	int t2 = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	p = lo4(0);
	l = sizeof(p);
	EXPECT_SYS(setsockopt(t1, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	EXPECT_SYS(setsockopt(t2, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	EXPECT_SYS(bind(t1, (struct sockaddr *)&p, sizeof(p)));
	EXPECT_SYS(listen(t1, 4));
	EXPECT_SYS(getsockname(t1, (struct sockaddr *)&p, &l));
	EXPECT_SYS(bind(t2, (struct sockaddr *)&p, sizeof(p)));
	EXPECT_SYS(listen(t2, 4));
	close(t1);
	close(t2);
	close(sa);
	close(sb);
}

TEST(bad_input_rejected)
{
	struct sockaddr_in a, b;
	char buf[16];
	int sa = udp_bound(&a), sb = udp_bound(&b);
	EXPECT_ERRNO(sendto(sa, "x", 1, 0, (struct sockaddr *)&b, sizeof(b) - 1), EINVAL);
	EXPECT_ERRNO(sendto(sa, "x", 1, 0, (struct sockaddr *)&b, (socklen_t)-1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sendto, sa, "x", 1, 0, harness_unmapped_page(), sizeof(b)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sendto, sa, harness_unmapped_page(), 8, 0, &b, sizeof(b)),
		     EFAULT);
	struct sockaddr_in wrong = b;
	wrong.sin_family = AF_INET6;
	EXPECT_ERRNO(sendto(sa, "x", 1, 0, (struct sockaddr *)&wrong, sizeof(wrong)), EAFNOSUPPORT);
	wrong.sin_family = AF_UNIX;
	int fresh = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_ERRNO(bind(fresh, (struct sockaddr *)&wrong, sizeof(wrong)), EAFNOSUPPORT);
	close(fresh);
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1025};
	EXPECT_ERRNO(sendmsg(sa, &m, 0), EMSGSIZE);
	m.msg_iovlen = 1;
	m.msg_iov = harness_unmapped_page();
	EXPECT_ERRNO(syscall(SYS_sendmsg, sa, &m, 0), EFAULT);
	EXPECT_ERRNO(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	/* A datagram the receiver cannot store (bad buffer) is an EFAULT. */
	EXPECT_EQ(sendto(sa, "payload", 7, 0, (struct sockaddr *)&b, sizeof(b)), 7);
	EXPECT_TRUE(readable(sb));
	EXPECT_ERRNO(syscall(SYS_recvfrom, sb, harness_unmapped_page(), 7, 0, NULL, NULL), EFAULT);
	socklen_t l;
	EXPECT_EQ(sendto(sa, "again", 5, 0, (struct sockaddr *)&b, sizeof(b)), 5);
	EXPECT_TRUE(readable(sb));
	l = (socklen_t)-1;
	EXPECT_ERRNO(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&a, &l), EINVAL);
	close(sa);
	close(sb);
}

TEST(sendmmsg_recvmmsg)
{
	struct sockaddr_in a, b;
	int sa = udp_bound(&a), sb = udp_bound(&b);
	EXPECT_SYS(connect(sa, (struct sockaddr *)&b, sizeof(b)));
	struct iovec out[3] = {{"first", 5}, {"2nd", 3}, {"third!", 6}};
	struct mmsghdr om[3];
	memset(om, 0, sizeof(om));
	for (int i = 0; i < 3; i++) {
		om[i].msg_hdr.msg_iov = &out[i];
		om[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_EQ(sendmmsg(sa, om, 3, 0), 3);
	EXPECT_EQ(om[0].msg_len, 5);
	EXPECT_EQ(om[2].msg_len, 6);
	EXPECT_TRUE(readable(sb));
	usleep(20000);
	char bufs[4][16];
	struct iovec in[4];
	struct mmsghdr im[4];
	struct sockaddr_in from[4];
	memset(im, 0, sizeof(im));
	for (int i = 0; i < 4; i++) {
		in[i].iov_base = bufs[i];
		in[i].iov_len = sizeof(bufs[i]);
		im[i].msg_hdr.msg_iov = &in[i];
		im[i].msg_hdr.msg_iovlen = 1;
		im[i].msg_hdr.msg_name = &from[i];
		im[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	EXPECT_EQ(recvmmsg(sb, im, 4, MSG_DONTWAIT, NULL), 3);
	EXPECT_EQ(im[0].msg_len, 5);
	EXPECT_EQ(im[1].msg_len, 3);
	EXPECT_EQ(im[2].msg_len, 6);
	EXPECT_MEMEQ(bufs[2], "third!", 6);
	EXPECT_EQ(from[1].sin_port, a.sin_port);
	EXPECT_ERRNO(recvmmsg(sb, im, 4, MSG_DONTWAIT, NULL), EAGAIN);
	close(sa);
	close(sb);
}

TEST(ip_and_socket_options)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	int v;
	socklen_t l = sizeof(v);
#define GET(level, name) (l = sizeof(v), getsockopt(s, level, name, &v, &l) ? -1 : v)
	EXPECT_EQ(GET(IPPROTO_IP, IP_TTL), 64);
	v = 5;
	EXPECT_SYS(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	EXPECT_EQ(GET(IPPROTO_IP, IP_TTL), 5);
	v = 0;
	EXPECT_ERRNO(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)), EINVAL);
	v = -1; /* back to the default */
	EXPECT_SYS(setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	EXPECT_EQ(GET(IPPROTO_IP, IP_TTL), 64);
	EXPECT_EQ(GET(IPPROTO_IP, IP_TOS), 0);
	v = 0x10;
	EXPECT_SYS(setsockopt(s, IPPROTO_IP, IP_TOS, &v, sizeof(v)));
	EXPECT_EQ(GET(IPPROTO_IP, IP_TOS), 0x10);
	EXPECT_EQ(GET(SOL_SOCKET, SO_BROADCAST), 0);
	v = 1;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)));
	EXPECT_EQ(GET(SOL_SOCKET, SO_BROADCAST), 1);
	/* SO_RCVBUF/SO_SNDBUF report twice the value set (bookkeeping). */
	v = 32768;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_EQ(GET(SOL_SOCKET, SO_RCVBUF), 65536);
	v = 32768;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(GET(SOL_SOCKET, SO_SNDBUF), 65536);
	struct timeval tv = {0, 100000};
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char ch;
	EXPECT_ERRNO(recv(s, &ch, 1, 0), EAGAIN);
#undef GET
	close(s);
}

TEST(multicast_on_loopback)
{
	struct sockaddr_in any = {.sin_family = AF_INET}, me;
	socklen_t l = sizeof(me);
	char buf[8];
	int r = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(r, (struct sockaddr *)&any, sizeof(any)));
	EXPECT_SYS(getsockname(r, (struct sockaddr *)&me, &l));
	struct ip_mreq mreq = {.imr_multiaddr.s_addr = inet_addr("239.1.2.3"),
			       .imr_interface.s_addr = htonl(INADDR_LOOPBACK)};
	EXPECT_SYS(setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)));
	EXPECT_ERRNO(setsockopt(r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)), EADDRINUSE);
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	int v = -1;
	l = sizeof(v);
	EXPECT_SYS(getsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, &l));
	EXPECT_EQ(v, 1);
	l = sizeof(v);
	EXPECT_SYS(getsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &v, &l));
	EXPECT_EQ(v, 1);
	struct in_addr ifa = {htonl(INADDR_LOOPBACK)};
	EXPECT_SYS(setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)));
	struct sockaddr_in grp = {.sin_family = AF_INET, .sin_port = me.sin_port,
				  .sin_addr.s_addr = inet_addr("239.1.2.3")};
	EXPECT_EQ(sendto(s, "mc", 2, 0, (struct sockaddr *)&grp, sizeof(grp)), 2);
	EXPECT_TRUE(readable(r));
	EXPECT_EQ(recv(r, buf, sizeof(buf), MSG_DONTWAIT), 2);
	EXPECT_MEMEQ(buf, "mc", 2);
	EXPECT_SYS(setsockopt(r, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq, sizeof(mreq)));
	EXPECT_ERRNO(setsockopt(r, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq, sizeof(mreq)),
		     EADDRNOTAVAIL);
	close(s);
	close(r);
}

TEST(interface_ioctls_see_loopback)
{
	int s = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	EXPECT_SYS(ioctl(s, SIOCGIFINDEX, &ifr));
	int idx = ifr.ifr_ifindex;
	EXPECT_GT(idx, 0);
	EXPECT_SYS(ioctl(s, SIOCGIFFLAGS, &ifr));
	EXPECT_EQ(ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
		  IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	EXPECT_SYS(ioctl(s, SIOCGIFMTU, &ifr));
	EXPECT_EQ(ifr.ifr_mtu, 65536);
	EXPECT_SYS(ioctl(s, SIOCGIFADDR, &ifr));
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	EXPECT_EQ(sin->sin_family, AF_INET);
	EXPECT_EQ(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_SYS(ioctl(s, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(ifr.ifr_hwaddr.sa_family, ARPHRD_LOOPBACK);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = idx;
	EXPECT_SYS(ioctl(s, SIOCGIFNAME, &ifr));
	EXPECT_STREQ(ifr.ifr_name, "lo");
	strcpy(ifr.ifr_name, "nosuchif0");
	EXPECT_ERRNO(ioctl(s, SIOCGIFFLAGS, &ifr), ENODEV);
	/* SIOCGIFCONF lists lo with 127.0.0.1 among the IPv4 interfaces. */
	struct ifreq reqs[16];
	struct ifconf ifc = {.ifc_len = sizeof(reqs), .ifc_req = reqs};
	EXPECT_SYS(ioctl(s, SIOCGIFCONF, &ifc));
	EXPECT_EQ(ifc.ifc_len % (int)sizeof(struct ifreq), 0);
	bool found = false;
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++) {
		sin = (struct sockaddr_in *)&reqs[i].ifr_addr;
		if (!strcmp(reqs[i].ifr_name, "lo") && sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			found = true;
	}
	EXPECT_TRUE(found);
	/* With a NULL buffer, only the needed length. */
	struct ifconf probe = {.ifc_len = 0, .ifc_req = NULL};
	EXPECT_SYS(ioctl(s, SIOCGIFCONF, &probe));
	EXPECT_EQ(probe.ifc_len, ifc.ifc_len);
	close(s);
}
