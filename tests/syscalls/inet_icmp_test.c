/* ICMP sockets on 127.0.0.1: ping sockets (SOCK_DGRAM + IPPROTO_ICMP) and,
 * as root, SOCK_RAW + IPPROTO_ICMP. Every expectation is what Linux does.
 *
 * Ping sockets need the caller's gid inside net.ipv4.ping_group_range. The
 * host's may exclude everyone (Linux's default "1 0"): then socket() must
 * fail with EACCES, which is what the ping tests assert natively. The
 * sandbox's range is "0 2147483647" (docs/netstack.md); it has no such
 * sysctl file, so a missing file means "allowed". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "harness.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* <linux/icmp.h> */
#endif

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Is getegid() (or a supplementary group) in ping_group_range? */
static bool ping_allowed(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
	if (!f)
		return true; /* the sandbox: "0 2147483647" */
	unsigned long lo = 1, hi = 0;
	int n = fscanf(f, "%lu %lu", &lo, &hi);
	fclose(f);
	if (n != 2)
		return false;
	gid_t g = getegid();
	if (g >= lo && g <= hi)
		return true;
	gid_t groups[256];
	int ng = getgroups(256, groups);
	for (int i = 0; i < ng; i++)
		if (groups[i] >= lo && groups[i] <= hi)
			return true;
	return false;
}

/* A ping socket, or -1 after asserting the EACCES the range gives. */
static int ping_socket(void)
{
	if (!ping_allowed()) {
		EXPECT_ERRNO(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES);
		return -1;
	}
	return EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
}

static uint16_t cksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An echo request: 8-byte header + payload into buf; returns its length. */
static size_t echo_req(uint8_t *buf, uint16_t id, uint16_t seq, const char *payload)
{
	struct icmphdr h;
	memset(&h, 0, sizeof(h));
	h.type = ICMP_ECHO;
	h.un.echo.id = htons(id);
	h.un.echo.sequence = htons(seq);
	size_t pl = strlen(payload);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, pl);
	uint16_t c = cksum(buf, sizeof(h) + pl);
	memcpy(buf + 2, &c, 2);
	return sizeof(h) + pl;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

TEST(ping_echo_loopback)
{
	int s = ping_socket();
	if (s < 0)
		return;
	struct pollfd pf = {s, POLLIN | POLLOUT, 0};
	EXPECT_EQ(poll(&pf, 1, 0), 1);
	EXPECT_EQ(pf.revents, POLLOUT);
	uint8_t req[64], rep[128];
	size_t n = echo_req(req, 0 /* the kernel sets it */, 7, "hello ping");
	struct sockaddr_in to = lo4(0);
	EXPECT_EQ(sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)), (long long)n);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&me, &ml));
	EXPECT_EQ(me.sin_family, AF_INET);
	EXPECT_EQ(me.sin_port != 0, 1); /* the ephemeral identifier */
	EXPECT_EQ(readable(s, 2000), 1);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	memset(&from, 0xaa, sizeof(from));
	ssize_t r = recvfrom(s, rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl);
	if (!EXPECT_EQ(r, (long long)n)) /* no IP header */
		goto out;
	struct icmphdr h;
	memcpy(&h, rep, sizeof(h));
	EXPECT_EQ(h.type, ICMP_ECHOREPLY);
	EXPECT_EQ(h.code, 0);
	EXPECT_EQ(h.un.echo.id, me.sin_port);
	EXPECT_EQ(ntohs(h.un.echo.sequence), 7);
	EXPECT_EQ(memcmp(rep + 8, "hello ping", 10), 0);
	EXPECT_EQ(fl, sizeof(from));
	EXPECT_EQ(from.sin_family, AF_INET);
	EXPECT_EQ(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);
	EXPECT_EQ(from.sin_port, 0);
	/* Only one reply. */
	EXPECT_ERRNO(recv(s, rep, sizeof(rep), MSG_DONTWAIT), EAGAIN);
out:
	close(s);
}

TEST(ping_bind_identifier_connect)
{
	int s = ping_socket();
	if (s < 0)
		return;
	struct sockaddr_in b = lo4(4242), me;
	socklen_t ml = sizeof(me);
	EXPECT_SYS(bind(s, (struct sockaddr *)&b, sizeof(b)));
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&me, &ml));
	EXPECT_EQ(ntohs(me.sin_port), 4242);
	EXPECT_ERRNO(bind(s, (struct sockaddr *)&b, sizeof(b)), EINVAL);
	/* A second, unbound socket gets another identifier. */
	int s2 = EXPECT_SYS(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	/* connect() then send() without an address; s2 hears nothing. */
	struct sockaddr_in to = lo4(0);
	EXPECT_SYS(connect(s, (struct sockaddr *)&to, sizeof(to)));
	uint8_t req[64], rep[128];
	size_t n = echo_req(req, 1, 3, "abc");
	EXPECT_EQ(send(s, req, n, 0), (long long)n);
	EXPECT_EQ(readable(s, 2000), 1);
	ssize_t r = recv(s, rep, sizeof(rep), 0);
	EXPECT_EQ(r, (long long)n);
	struct icmphdr h;
	memcpy(&h, rep, sizeof(h));
	EXPECT_EQ(h.type, ICMP_ECHOREPLY);
	EXPECT_EQ(ntohs(h.un.echo.id), 4242);
	EXPECT_EQ(ntohs(h.un.echo.sequence), 3);
	EXPECT_ERRNO(recv(s2, rep, sizeof(rep), MSG_DONTWAIT), EAGAIN);
	close(s2);
	close(s);
}

TEST(ping_bad_messages)
{
	int s = ping_socket();
	if (s < 0)
		return;
	struct sockaddr_in to = lo4(0);
	uint8_t req[64];
	size_t n = echo_req(req, 0, 1, "x");
	req[0] = ICMP_TIMESTAMP; /* not an echo request */
	EXPECT_ERRNO(sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	req[0] = ICMP_ECHO;
	req[1] = 1; /* code must be 0 */
	EXPECT_ERRNO(sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	req[1] = 0;
	EXPECT_ERRNO(sendto(s, req, 4, 0, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	EXPECT_ERRNO(send(s, req, n, 0), EDESTADDRREQ);
	EXPECT_ERRNO(recv(s, req, sizeof(req), MSG_DONTWAIT), EAGAIN);
	close(s);
}

/* As root (CAP_NET_RAW): the echo request goes out as written; the reply
 * comes back with its IPv4 header. A raw socket sees every ICMP packet
 * (our own request on lo too), so look for the reply carrying our id. */
TEST(raw_echo_loopback)
{
	if (geteuid() != 0) {
		EXPECT_ERRNO(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
		return;
	}
	int s = EXPECT_SYS(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (s < 0)
		return;
	uint16_t id = (uint16_t)(getpid() ^ 0x5a5a);
	uint8_t req[64], rep[256];
	size_t n = echo_req(req, id, 42, "raw payload");
	struct sockaddr_in to = lo4(0);
	EXPECT_EQ(sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)), (long long)n);
	bool found = false;
	for (int i = 0; i < 50 && !found; i++) {
		if (!EXPECT_EQ(readable(s, 2000), 1))
			break;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(s, rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl);
		if (!EXPECT_EQ(r >= (ssize_t)sizeof(struct iphdr), 1))
			break;
		struct iphdr ip;
		memcpy(&ip, rep, sizeof(ip));
		EXPECT_EQ(ip.version, 4);
		EXPECT_EQ(ip.protocol, IPPROTO_ICMP);
		size_t hl = ip.ihl * 4u;
		if (r < (ssize_t)(hl + 8))
			continue;
		struct icmphdr h;
		memcpy(&h, rep + hl, sizeof(h));
		if (h.type != ICMP_ECHOREPLY || ntohs(h.un.echo.id) != id)
			continue;
		found = true;
		EXPECT_EQ(ip.ihl, 5);
		EXPECT_EQ(ntohs(ip.tot_len), (long long)(hl + n));
		EXPECT_EQ(ntohl(ip.saddr), INADDR_LOOPBACK);
		EXPECT_EQ(ntohl(ip.daddr), INADDR_LOOPBACK);
		EXPECT_EQ(r, (long long)(hl + n));
		EXPECT_EQ(ntohs(h.un.echo.sequence), 42);
		EXPECT_EQ(memcmp(rep + hl + 8, "raw payload", 11), 0);
		EXPECT_EQ(cksum(rep + hl, n), 0); /* a valid checksum sums to 0 */
		EXPECT_EQ(from.sin_family, AF_INET);
		EXPECT_EQ(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);
	}
	EXPECT_EQ(found, 1);
	close(s);
}

/* Without CAP_NET_RAW: EPERM for SOCK_RAW; ping sockets still work. */
TEST(raw_needs_cap_net_raw)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(2);
		int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		if (!(s < 0 && errno == EPERM))
			_exit(1);
		/* A ping socket needs no capability, only the group range. */
		s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		if (ping_allowed() ? s < 0 : !(s < 0 && errno == EACCES))
			_exit(3);
		_exit(0);
	}
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(WIFEXITED(st) && WEXITSTATUS(st) == 0, 1);
}

/* SOCK_DGRAM with another protocol than ICMP/UDP. */
TEST(bad_protocols)
{
	EXPECT_ERRNO(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMP), EPROTONOSUPPORT);
}

/* ICMP_FILTER (SOL_RAW): a set bit drops that type; only echo replies
 * pass, so our own echo request on lo is not seen. */
TEST(raw_icmp_filter)
{
	if (geteuid() != 0)
		return (void)EXPECT_ERRNO(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EPERM);
	int s = EXPECT_SYS(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (s < 0)
		return;
	uint32_t f = ~(1u << ICMP_ECHOREPLY), g = 0;
	socklen_t gl = sizeof(g);
	EXPECT_SYS(setsockopt(s, SOL_RAW, ICMP_FILTER, &f, sizeof(f)));
	EXPECT_SYS(getsockopt(s, SOL_RAW, ICMP_FILTER, &g, &gl));
	EXPECT_EQ(g, f);
	EXPECT_EQ(gl, 4);
	uint16_t id = (uint16_t)(getpid() ^ 0x1234);
	uint8_t req[64], rep[256];
	size_t n = echo_req(req, id, 9, "filtered");
	struct sockaddr_in to = lo4(0);
	EXPECT_EQ(sendto(s, req, n, 0, (struct sockaddr *)&to, sizeof(to)), (long long)n);
	bool found = false;
	for (int i = 0; i < 50 && !found; i++) {
		if (!EXPECT_EQ(readable(s, 2000), 1))
			break;
		ssize_t r = recv(s, rep, sizeof(rep), 0);
		if (!EXPECT_EQ(r >= 28, 1))
			break;
		size_t hl = (rep[0] & 15) * 4u;
		EXPECT_EQ(rep[hl], ICMP_ECHOREPLY); /* nothing else passes */
		struct icmphdr h;
		memcpy(&h, rep + hl, sizeof(h));
		found = ntohs(h.un.echo.id) == id && ntohs(h.un.echo.sequence) == 9;
	}
	EXPECT_EQ(found, 1);
	/* Not on a ping socket, not another name. */
	EXPECT_ERRNO(setsockopt(s, SOL_RAW, 2, &f, sizeof(f)), ENOPROTOOPT);
	close(s);
}

static struct sockaddr_in6 lo6(void)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	return a;
}

/* ICMPv6 ping socket to ::1 (same ping_group_range as IPv4). */
TEST(ping6_echo_loopback)
{
	if (!ping_allowed()) {
		EXPECT_ERRNO(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), EACCES);
		return;
	}
	int s = EXPECT_SYS(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	if (s < 0)
		return;
	uint8_t req[64] = {128, 0, 0, 0, 0, 0, 0, 5}, rep[128];
	memcpy(req + 8, "six", 3);
	struct sockaddr_in6 to = lo6(), from, me;
	socklen_t fl = sizeof(from), ml = sizeof(me);
	EXPECT_EQ(sendto(s, req, 11, 0, (struct sockaddr *)&to, sizeof(to)), 11);
	req[0] = 8; /* an IPv4 echo type is not an ICMPv6 echo request */
	EXPECT_ERRNO(sendto(s, req, 11, 0, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&me, &ml));
	EXPECT_EQ(readable(s, 2000), 1);
	ssize_t r = recvfrom(s, rep, sizeof(rep), 0, (struct sockaddr *)&from, &fl);
	EXPECT_EQ(r, 11);
	EXPECT_EQ(rep[0], 129);
	EXPECT_EQ(rep[1], 0);
	EXPECT_EQ(memcmp(rep + 4, &me.sin6_port, 2), 0);
	EXPECT_EQ(rep[7], 5);
	EXPECT_EQ(memcmp(rep + 8, "six", 3), 0);
	EXPECT_EQ(from.sin6_family, AF_INET6);
	EXPECT_EQ(memcmp(&from.sin6_addr, &in6addr_loopback, 16), 0);
	close(s);
}

/* Raw ICMPv6 (root): the kernel computes the checksum; replies come
 * without the IPv6 header. */
TEST(raw6_echo_loopback)
{
	if (geteuid() != 0)
		return (void)EXPECT_ERRNO(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), EPERM);
	int s = EXPECT_SYS(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	if (s < 0)
		return;
	uint16_t id = (uint16_t)(getpid() ^ 0x6666);
	uint8_t req[64] = {128, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, 0, 6}, rep[256];
	memcpy(req + 8, "raw6", 4);
	struct sockaddr_in6 to = lo6();
	EXPECT_EQ(sendto(s, req, 12, 0, (struct sockaddr *)&to, sizeof(to)), 12);
	bool found = false;
	for (int i = 0; i < 50 && !found; i++) {
		if (!EXPECT_EQ(readable(s, 2000), 1))
			break;
		ssize_t r = recv(s, rep, sizeof(rep), 0);
		if (r != 12 || rep[0] != 129 || rep[4] != (uint8_t)(id >> 8) ||
		    rep[5] != (uint8_t)id)
			continue;
		found = true;
		EXPECT_EQ(rep[7], 6);
		EXPECT_EQ(memcmp(rep + 8, "raw6", 4), 0);
	}
	EXPECT_EQ(found, 1);
	close(s);
}
