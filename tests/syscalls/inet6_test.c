/* AF_INET6 on ::1: TCP and UDP, address formats, IPV6_V6ONLY and
 * v4-mapped addresses between AF_INET6 and AF_INET sockets, bad input. Every
 * expectation is what Linux does natively. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "harness.h"

/* Bad pointers are passed through syscall(): the libc wrappers' sanitizer
 * interceptors would dereference them first (SENTRY_SANITIZE builds). */

static struct sockaddr_in6 lo6(uint16_t port_be)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = port_be;
	a.sin6_addr = in6addr_loopback;
	return a;
}

/* ::ffff:127.0.0.1 */
static struct sockaddr_in6 mapped_lo(uint16_t port_be)
{
	struct sockaddr_in6 a = lo6(port_be);
	memset(&a.sin6_addr, 0, sizeof(a.sin6_addr));
	a.sin6_addr.s6_addr[10] = 0xff;
	a.sin6_addr.s6_addr[11] = 0xff;
	a.sin6_addr.s6_addr[12] = 127;
	a.sin6_addr.s6_addr[15] = 1;
	return a;
}

static int bound6(int type, struct sockaddr_in6 *a)
{
	struct sockaddr_in6 b = lo6(0);
	socklen_t l = sizeof(*a);
	int s = socket(AF_INET6, type, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&b, sizeof(b)) ||
	    getsockname(s, (struct sockaddr *)a, &l))
		return -1;
	if (type == SOCK_STREAM && listen(s, 8))
		return -1;
	return s;
}

static int sockopt_int(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	return getsockopt(fd, level, name, &v, &l) ? -12345 : v;
}

static bool readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 2000) == 1 && (p.revents & POLLIN);
}

static bool is_mapped_lo(const struct in6_addr *a)
{
	struct sockaddr_in6 m = mapped_lo(0);
	return memcmp(a, &m.sin6_addr, sizeof(*a)) == 0;
}

TEST(tcp_over_ipv6_loopback)
{
	struct sockaddr_in6 a, peer, name;
	socklen_t l = sizeof(peer);
	char buf[16];
	int lsn = bound6(SOCK_STREAM, &a);
	if (!EXPECT_GE(lsn, 0))
		return;
	EXPECT_EQ(a.sin6_family, AF_INET6);
	EXPECT_NE(a.sin6_port, 0);
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&a.sin6_addr));
	EXPECT_EQ(a.sin6_flowinfo, 0);
	EXPECT_EQ(a.sin6_scope_id, 0);
	EXPECT_EQ(sockopt_int(lsn, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	int c = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	int s = (int)EXPECT_SYS(accept(lsn, (struct sockaddr *)&peer, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(peer.sin6_family, AF_INET6);
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));
	l = sizeof(name);
	EXPECT_SYS(getsockname(c, (struct sockaddr *)&name, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(name.sin6_port, peer.sin6_port);
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&name.sin6_addr));
	l = sizeof(name);
	EXPECT_SYS(getpeername(c, (struct sockaddr *)&name, &l));
	EXPECT_EQ(name.sin6_port, a.sin6_port);
	EXPECT_EQ(send(c, "six", 3, 0), 3);
	EXPECT_EQ(recv(s, buf, sizeof(buf), 0), 3);
	EXPECT_MEMEQ(buf, "six", 3);
	EXPECT_EQ(send(s, "back", 4, 0), 4);
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 4);
	EXPECT_SYS(shutdown(s, SHUT_WR));
	EXPECT_EQ(recv(c, buf, sizeof(buf), 0), 0);
	close(s);
	close(c);
	close(lsn);
}

TEST(udp_over_ipv6_loopback)
{
	struct sockaddr_in6 a, b, from;
	socklen_t l = sizeof(from);
	char buf[16];
	int sa = bound6(SOCK_DGRAM, &a), sb = bound6(SOCK_DGRAM, &b);
	if (!EXPECT_GE(sa, 0) || !EXPECT_GE(sb, 0))
		return;
	EXPECT_EQ(sendto(sa, "dgram6", 6, 0, (struct sockaddr *)&b, sizeof(b)), 6);
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l), 6);
	EXPECT_MEMEQ(buf, "dgram6", 6);
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(from.sin6_family, AF_INET6);
	EXPECT_EQ(from.sin6_port, a.sin6_port);
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
	/* IPv6 carries bigger UDP payloads than IPv4: 65535 - 8. */
	static char big[65536];
	EXPECT_EQ(sendto(sa, big, 65527, 0, (struct sockaddr *)&b, sizeof(b)), 65527);
	EXPECT_ERRNO(sendto(sa, big, 65528, 0, (struct sockaddr *)&b, sizeof(b)), EMSGSIZE);
	EXPECT_TRUE(readable(sb));
	EXPECT_EQ(recv(sb, big, sizeof(big), MSG_DONTWAIT), 65527);
	close(sa);
	close(sb);
}

TEST(v6only_default_and_v4_mapped_connect)
{
	int s6 = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	int one = 1;
	EXPECT_EQ(sockopt_int(s6, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	/* An AF_INET listener on 127.0.0.1, reached through ::ffff:127.0.0.1. */
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a4);
	int l4 = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l4, (struct sockaddr *)&a4, sizeof(a4)));
	EXPECT_SYS(listen(l4, 4));
	EXPECT_SYS(getsockname(l4, (struct sockaddr *)&a4, &l));
	struct sockaddr_in6 m = mapped_lo(a4.sin_port), name;
	EXPECT_SYS(connect(s6, (struct sockaddr *)&m, sizeof(m)));
	l = sizeof(name);
	EXPECT_SYS(getsockname(s6, (struct sockaddr *)&name, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(name.sin6_family, AF_INET6);
	EXPECT_TRUE(is_mapped_lo(&name.sin6_addr));
	l = sizeof(name);
	EXPECT_SYS(getpeername(s6, (struct sockaddr *)&name, &l));
	EXPECT_TRUE(is_mapped_lo(&name.sin6_addr));
	EXPECT_EQ(name.sin6_port, a4.sin_port);
	struct sockaddr_in p4;
	l = sizeof(p4);
	int s4 = (int)EXPECT_SYS(accept(l4, (struct sockaddr *)&p4, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in));
	EXPECT_EQ(p4.sin_family, AF_INET);
	EXPECT_EQ(p4.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	char buf[8];
	EXPECT_EQ(send(s4, "v4", 2, 0), 2);
	EXPECT_EQ(recv(s6, buf, sizeof(buf), 0), 2);
	close(s4);
	close(s6);
	/* With IPV6_V6ONLY, v4-mapped destinations are unreachable. */
	s6 = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	EXPECT_EQ(sockopt_int(s6, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	EXPECT_ERRNO(connect(s6, (struct sockaddr *)&m, sizeof(m)), ENETUNREACH);
	close(s6);
	close(l4);
}

TEST(dual_stack_listener_accepts_ipv4)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT}, a, peer;
	socklen_t l = sizeof(a);
	int lsn = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(bind(lsn, (struct sockaddr *)&any, sizeof(any)));
	EXPECT_SYS(listen(lsn, 4));
	EXPECT_SYS(getsockname(lsn, (struct sockaddr *)&a, &l));
	EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr));
	/* The port is taken for AF_INET too. */
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = a.sin6_port,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(c, (struct sockaddr *)&a4, sizeof(a4)), EADDRINUSE);
	EXPECT_SYS(connect(c, (struct sockaddr *)&a4, sizeof(a4)));
	l = sizeof(peer);
	int s = (int)EXPECT_SYS(accept(lsn, (struct sockaddr *)&peer, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(peer.sin6_family, AF_INET6);
	EXPECT_TRUE(is_mapped_lo(&peer.sin6_addr));
	l = sizeof(a);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_TRUE(is_mapped_lo(&a.sin6_addr));
	char ch;
	EXPECT_EQ(send(c, "4", 1, 0), 1);
	EXPECT_EQ(recv(s, &ch, 1, 0), 1);
	close(s);
	close(c);
	close(lsn);
}

TEST(v6only_listener_ignores_ipv4)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT}, a;
	socklen_t l = sizeof(a);
	int one = 1;
	int lsn = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(setsockopt(lsn, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)));
	EXPECT_SYS(bind(lsn, (struct sockaddr *)&any, sizeof(any)));
	EXPECT_SYS(listen(lsn, 4));
	EXPECT_SYS(getsockname(lsn, (struct sockaddr *)&a, &l));
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = a.sin6_port,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a4, sizeof(a4)), ECONNREFUSED);
	close(c);
	/* The IPv4 port is free: an AF_INET socket binds it. */
	c = (int)EXPECT_SYS(socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_SYS(bind(c, (struct sockaddr *)&a4, sizeof(a4)));
	close(c);
	/* IPv6 clients still get in. */
	struct sockaddr_in6 to = lo6(a.sin6_port);
	c = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(connect(c, (struct sockaddr *)&to, sizeof(to)));
	int s = (int)EXPECT_SYS(accept(lsn, NULL, NULL));
	close(s);
	close(c);
	close(lsn);
}

TEST(ipv6_refused_tcp_and_udp)
{
	struct sockaddr_in6 a, b = lo6(0);
	socklen_t l = sizeof(a);
	char buf[8];
	/* A bound, non-listening TCP port refuses. */
	int r = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_SYS(bind(r, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_SYS(getsockname(r, (struct sockaddr *)&a, &l));
	int c = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, sizeof(a)), EINPROGRESS);
	struct pollfd p = {c, POLLOUT, 0};
	EXPECT_EQ(poll(&p, 1, 2000), 1);
	int err = -1;
	l = sizeof(err);
	EXPECT_SYS(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &l));
	EXPECT_EQ(err, ECONNREFUSED);
	close(c);
	close(r);
	/* A connected UDP socket hears the ICMPv6 port unreachable. */
	int gone = bound6(SOCK_DGRAM, &a);
	close(gone);
	int u = (int)EXPECT_SYS(socket(AF_INET6, SOCK_DGRAM, 0));
	EXPECT_SYS(connect(u, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_EQ(send(u, "x", 1, 0), 1);
	p = (struct pollfd){u, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 2000), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_ERRNO(recv(u, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	close(u);
}

TEST(udp_v4_mapped_exchange)
{
	struct sockaddr_in6 a6, from;
	socklen_t l = sizeof(from);
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	char buf[8];
	int s6 = (int)EXPECT_SYS(socket(AF_INET6, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(s6, (struct sockaddr *)&any, sizeof(any)));
	l = sizeof(a6);
	EXPECT_SYS(getsockname(s6, (struct sockaddr *)&a6, &l));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = a6.sin6_port,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s4 = (int)EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	EXPECT_EQ(sendto(s4, "m4", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
	EXPECT_TRUE(readable(s6));
	l = sizeof(from);
	EXPECT_EQ(recvfrom(s6, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l), 2);
	EXPECT_EQ(from.sin6_family, AF_INET6);
	EXPECT_TRUE(is_mapped_lo(&from.sin6_addr));
	/* Reply to the mapped address. */
	EXPECT_EQ(sendto(s6, "r6", 2, 0, (struct sockaddr *)&from, sizeof(from)), 2);
	EXPECT_TRUE(readable(s4));
	EXPECT_EQ(recv(s4, buf, sizeof(buf), MSG_DONTWAIT), 2);
	EXPECT_MEMEQ(buf, "r6", 2);
	close(s4);
	close(s6);
}

TEST(getsockname_formats)
{
	int s = (int)EXPECT_SYS(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 a;
	socklen_t l = sizeof(a);
	memset(&a, 0xff, sizeof(a));
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	EXPECT_EQ(a.sin6_family, AF_INET6);
	EXPECT_EQ(a.sin6_port, 0);
	EXPECT_TRUE(IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr));
	EXPECT_EQ(a.sin6_flowinfo, 0);
	EXPECT_EQ(a.sin6_scope_id, 0);
	/* A 16-byte buffer gets the first 16 bytes; the length says 28. */
	struct sockaddr_in6 b = lo6(0);
	EXPECT_SYS(bind(s, (struct sockaddr *)&b, sizeof(b)));
	unsigned char part[16];
	l = sizeof(part);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)part, &l));
	EXPECT_EQ(l, sizeof(struct sockaddr_in6));
	l = sizeof(a);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_MEMEQ(part, &a, sizeof(part));
	EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&a.sin6_addr));
	EXPECT_NE(a.sin6_port, 0);
	close(s);
}

TEST(bad_input_rejected)
{
	int s = (int)EXPECT_SYS(socket(AF_INET6, SOCK_STREAM, 0));
	struct sockaddr_in6 a = lo6(0);
	/* Shorter than the RFC 2133 sockaddr_in6 (24 bytes): EINVAL. */
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, 16), EINVAL);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, 23), EINVAL);
	EXPECT_ERRNO(connect(s, (struct sockaddr *)&a, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_bind, s, harness_unmapped_page(), sizeof(a)), EFAULT);
	/* An AF_INET address on an AF_INET6 socket. */
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a4, sizeof(a4)), EINVAL);
	a.sin6_family = AF_INET;
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	EXPECT_ERRNO(connect(s, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	/* Not an address of this machine. */
	a = lo6(0);
	inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRNOTAVAIL);
	/* The 24-byte RFC 2133 form is accepted. */
	a = lo6(0);
	EXPECT_SYS(bind(s, (struct sockaddr *)&a, 24));
	close(s);
	int d = (int)EXPECT_SYS(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 to = lo6(htons(9));
	EXPECT_ERRNO(sendto(d, "x", 1, 0, (struct sockaddr *)&to, 20), EINVAL);
	EXPECT_ERRNO(sendto(d, "x", 1, 0, (struct sockaddr *)&a4, sizeof(a4)), EINVAL);
	EXPECT_ERRNO(socket(AF_INET6, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	int bad = 2;
	EXPECT_ERRNO(setsockopt(d, IPPROTO_IPV6, IPV6_V6ONLY, &bad, 2), EINVAL);
	close(d);
}
