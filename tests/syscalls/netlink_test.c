/* AF_NETLINK NETLINK_ROUTE: sockets, binding, dumps of links, addresses and
 * routes, acks and errors, MSG_PEEK|MSG_TRUNC sizing, getifaddrs.
 *
 * The expected network is loopback only. Natively the test first moves into
 * a fresh network namespace (unshare(CLONE_NEWNET), or with a user
 * namespace when not root) and sets lo up, which is what the sandbox
 * shows; in the sandbox unshare(CLONE_NEWNET) is EINVAL and the network is
 * already that. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "harness.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define IF_OPER_UNKNOWN 0

static int netns_state; /* 1: own namespace natively, 2: in the sandbox, -1: neither */

__attribute__((constructor)) static void enter_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0) {
		if (errno == EINVAL) {
			netns_state = 2;
			return;
		}
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
			netns_state = -1;
			return;
		}
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		netns_state = -1;
		return;
	}
	ifr.ifr_flags |= IFF_UP;
	netns_state = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0 ? 1 : -1;
	close(fd);
}

static int nl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static int nl_send(int fd, uint16_t type, uint16_t flags, uint32_t seq, const void *body,
		   size_t blen)
{
	char buf[256];
	struct nlmsghdr h = {NLMSG_LENGTH(blen), type, flags, seq, 0};
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, body, blen);
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	return (int)sendto(fd, buf, h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k));
}

/* Receive every datagram of a dump into buf, checking each message's
 * header, until NLMSG_DONE; returns the bytes of the non-DONE messages. */
static size_t nl_dump(int fd, uint32_t seq, uint32_t pid, char *out, size_t cap)
{
	size_t used = 0;
	for (int rounds = 0; rounds < 100; rounds++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) != 1) {
			FAIL("dump: no reply");
			return used;
		}
		/* Size the datagram first, as iproute2 does. */
		ssize_t want = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (want <= 0 || (size_t)want > 65536) {
			FAIL("peek gave %zd", want);
			return used;
		}
		char *buf = malloc((size_t)want);
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, (size_t)want, 0, (struct sockaddr *)&from, &fl);
		EXPECT_EQ(n, want);
		EXPECT_EQ(fl, sizeof(from));
		EXPECT_EQ(from.nl_pid, 0);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			EXPECT_EQ(h->nlmsg_seq, seq);
			EXPECT_EQ(h->nlmsg_pid, pid);
			EXPECT_TRUE(h->nlmsg_flags & NLM_F_MULTI);
			if (h->nlmsg_type == NLMSG_DONE) {
				EXPECT_EQ(h->nlmsg_len, NLMSG_LENGTH(4));
				free(buf);
				return used;
			}
			EXPECT_NE(h->nlmsg_type, NLMSG_ERROR);
			if (used + h->nlmsg_len <= cap) {
				memcpy(out + used, h, h->nlmsg_len);
				used += NLMSG_ALIGN(h->nlmsg_len);
			}
		}
		free(buf);
	}
	FAIL("no NLMSG_DONE");
	return used;
}

static uint32_t bound_pid(int fd)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return 0;
	return a.nl_pid;
}

/* The attribute type of the message h's attributes starting at off. */
static struct rtattr *attr(struct nlmsghdr *h, size_t off, int type)
{
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(off);
	for (struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(off));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if ((a->rta_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

TEST(setup)
{
	EXPECT_GT(netns_state, 0);
}

TEST(socket_protocols)
{
	int fd = (int)EXPECT_SYS(nl_open());
	int v = -1;
	socklen_t l = sizeof(v);
	EXPECT_SYS(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l));
	EXPECT_EQ(v, NETLINK_ROUTE);
	EXPECT_SYS(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l));
	EXPECT_EQ(v, AF_NETLINK);
	close(fd);
	fd = (int)EXPECT_SYS(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE));
	close(fd);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, 31), EPROTONOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, 99), EPROTONOSUPPORT);
	/* iproute2's options. */
	fd = (int)EXPECT_SYS(nl_open());
	int one = 1, big = 1 << 20, snd = 32768;
	EXPECT_SYS(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)));
	EXPECT_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)));
	EXPECT_SYS(setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)));
	EXPECT_SYS(setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)));
	v = 0;
	l = sizeof(v);
	EXPECT_SYS(getsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &v, &l));
	EXPECT_EQ(v, 1);
	close(fd);
}

TEST(bind_names)
{
	int a = (int)EXPECT_SYS(nl_open());
	EXPECT_EQ(bound_pid(a), 0); /* unbound */
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	EXPECT_SYS(bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(bound_pid(a), (uint32_t)getpid()); /* autobind: the tgid first */
	int b = (int)EXPECT_SYS(nl_open());
	sa.nl_pid = getpid();
	EXPECT_ERRNO(bind(b, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	sa.nl_pid = 0;
	EXPECT_SYS(bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	uint32_t pb = bound_pid(b);
	EXPECT_NE(pb, 0);
	EXPECT_NE(pb, (uint32_t)getpid());
	EXPECT_TRUE((int32_t)pb < 0); /* Linux's rover: negative ids */
	int c = (int)EXPECT_SYS(nl_open());
	sa.nl_pid = 0x7654321;
	EXPECT_SYS(bind(c, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(bound_pid(c), 0x7654321);
	sa.nl_pid = 0x7654322;
	EXPECT_ERRNO(bind(c, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	EXPECT_ERRNO(bind(c, (struct sockaddr *)&sa, 4), EINVAL);
	close(a);
	close(b);
	close(c);
	/* The pid is free again. */
	a = (int)EXPECT_SYS(nl_open());
	sa.nl_pid = 0x7654321;
	EXPECT_SYS(bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	close(a);
}

TEST(dump_links)
{
	int fd = (int)EXPECT_SYS(nl_open());
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	EXPECT_EQ(nl_send(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 7, &ifi, sizeof(ifi)),
		  (int)NLMSG_LENGTH(sizeof(ifi)));
	/* sendto autobound the socket. */
	uint32_t pid = bound_pid(fd);
	EXPECT_EQ(pid, (uint32_t)getpid());
	char buf[8192];
	size_t n = nl_dump(fd, 7, pid, buf, sizeof(buf));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_TRUE(n > 0 && NLMSG_OK(h, n));
	EXPECT_EQ(NLMSG_ALIGN(h->nlmsg_len), n); /* one interface */
	EXPECT_EQ(h->nlmsg_type, RTM_NEWLINK);
	struct ifinfomsg *ip = NLMSG_DATA(h);
	EXPECT_EQ(ip->ifi_index, 1);
	EXPECT_EQ(ip->ifi_type, 772); /* ARPHRD_LOOPBACK */
	EXPECT_EQ(ip->ifi_flags, IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP);
	struct rtattr *a = attr(h, sizeof(*ip), IFLA_IFNAME);
	EXPECT_TRUE(a && strcmp(RTA_DATA(a), "lo") == 0);
	a = attr(h, sizeof(*ip), IFLA_MTU);
	EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == 65536);
	a = attr(h, sizeof(*ip), IFLA_TXQLEN);
	EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == 1000);
	a = attr(h, sizeof(*ip), IFLA_QDISC);
	EXPECT_TRUE(a && strcmp(RTA_DATA(a), "noqueue") == 0);
	a = attr(h, sizeof(*ip), IFLA_OPERSTATE);
	EXPECT_TRUE(a && *(uint8_t *)RTA_DATA(a) == IF_OPER_UNKNOWN);
	static const char zero6[6];
	a = attr(h, sizeof(*ip), IFLA_ADDRESS);
	EXPECT_TRUE(a && RTA_PAYLOAD(a) == 6 && memcmp(RTA_DATA(a), zero6, 6) == 0);
	a = attr(h, sizeof(*ip), IFLA_BROADCAST);
	EXPECT_TRUE(a && RTA_PAYLOAD(a) == 6);
	a = attr(h, sizeof(*ip), IFLA_STATS64);
	EXPECT_TRUE(a && RTA_PAYLOAD(a) >= 23 * 8);
	/* Nothing left. */
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(fd);
}

/* RTM_GETLINK for one interface: by index, by name, or ENODEV. */
static int get_link(int fd, int index, const char *name, char *buf, size_t cap)
{
	char body[64];
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = index};
	size_t len = sizeof(ifi);
	memset(body, 0, sizeof(body));
	memcpy(body, &ifi, sizeof(ifi));
	if (name) {
		struct rtattr ra = {(unsigned short)RTA_LENGTH(strlen(name) + 1), IFLA_IFNAME};
		memcpy(body + len, &ra, sizeof(ra));
		strcpy(body + len + sizeof(ra), name);
		len += RTA_ALIGN(ra.rta_len);
	}
	if (nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, 9, body, len) < 0)
		return -errno;
	return (int)recv(fd, buf, cap, 0);
}

TEST(get_one_link)
{
	int fd = (int)EXPECT_SYS(nl_open());
	char buf[4096];
	int n = get_link(fd, 1, NULL, buf, sizeof(buf));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_TRUE(n > 0 && NLMSG_OK(h, (size_t)n));
	EXPECT_EQ(h->nlmsg_type, RTM_NEWLINK);
	EXPECT_EQ(h->nlmsg_flags & NLM_F_MULTI, 0);
	EXPECT_EQ(((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index, 1);
	n = get_link(fd, 0, "lo", buf, sizeof(buf));
	EXPECT_TRUE(n > 0 && h->nlmsg_type == RTM_NEWLINK);
	n = get_link(fd, 0, "eth7", buf, sizeof(buf));
	EXPECT_TRUE(n > 0 && h->nlmsg_type == NLMSG_ERROR);
	EXPECT_EQ(((struct nlmsgerr *)NLMSG_DATA(h))->error, -ENODEV);
	n = get_link(fd, 42, NULL, buf, sizeof(buf));
	EXPECT_TRUE(n > 0 && h->nlmsg_type == NLMSG_ERROR);
	EXPECT_EQ(((struct nlmsgerr *)NLMSG_DATA(h))->error, -ENODEV);
	close(fd);
}

static int count_addrs(int family, int *v4, int *v6)
{
	int fd = nl_open();
	struct ifaddrmsg ifa = {.ifa_family = family};
	nl_send(fd, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 11, &ifa, sizeof(ifa));
	char buf[8192];
	size_t n = nl_dump(fd, 11, bound_pid(fd), buf, sizeof(buf));
	int total = 0;
	*v4 = *v6 = 0;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		struct ifaddrmsg *ip = NLMSG_DATA(h);
		EXPECT_EQ(h->nlmsg_type, RTM_NEWADDR);
		EXPECT_EQ(ip->ifa_index, 1);
		EXPECT_EQ(ip->ifa_scope, RT_SCOPE_HOST);
		struct rtattr *a = attr(h, sizeof(*ip), IFA_ADDRESS);
		struct rtattr *ci = attr(h, sizeof(*ip), IFA_CACHEINFO);
		EXPECT_TRUE(ci && RTA_PAYLOAD(ci) == sizeof(struct ifa_cacheinfo) &&
			    ((struct ifa_cacheinfo *)RTA_DATA(ci))->ifa_valid == 0xffffffffu);
		struct rtattr *fl = attr(h, sizeof(*ip), IFA_FLAGS);
		EXPECT_TRUE(fl && (*(uint32_t *)RTA_DATA(fl) & IFA_F_PERMANENT));
		if (ip->ifa_family == AF_INET) {
			EXPECT_EQ(ip->ifa_prefixlen, 8);
			EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK));
			struct rtattr *l = attr(h, sizeof(*ip), IFA_LOCAL);
			EXPECT_TRUE(l && *(uint32_t *)RTA_DATA(l) == htonl(INADDR_LOOPBACK));
			struct rtattr *lab = attr(h, sizeof(*ip), IFA_LABEL);
			EXPECT_TRUE(lab && strcmp(RTA_DATA(lab), "lo") == 0);
			(*v4)++;
		} else if (ip->ifa_family == AF_INET6) {
			EXPECT_EQ(ip->ifa_prefixlen, 128);
			EXPECT_TRUE(a && memcmp(RTA_DATA(a), &in6addr_loopback, 16) == 0);
			(*v6)++;
		}
		total++;
	}
	close(fd);
	return total;
}

TEST(dump_addrs)
{
	int v4, v6;
	EXPECT_EQ(count_addrs(AF_UNSPEC, &v4, &v6), 2);
	EXPECT_EQ(v4, 1);
	EXPECT_EQ(v6, 1);
	EXPECT_EQ(count_addrs(AF_INET, &v4, &v6), 1);
	EXPECT_EQ(v4, 1);
	EXPECT_EQ(count_addrs(AF_INET6, &v4, &v6), 1);
	EXPECT_EQ(v6, 1);
}

TEST(dump_routes)
{
	int fd = (int)EXPECT_SYS(nl_open());
	struct rtmsg rt = {.rtm_family = AF_INET};
	nl_send(fd, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 13, &rt, sizeof(rt));
	char buf[8192];
	size_t n = nl_dump(fd, 13, bound_pid(fd), buf, sizeof(buf));
	static const struct {
		uint32_t dst;
		int len, type, scope;
	} want[] = {{0x7f000000, 8, RTN_LOCAL, RT_SCOPE_HOST},
		    {0x7f000001, 32, RTN_LOCAL, RT_SCOPE_HOST},
		    {0x7fffffff, 32, RTN_BROADCAST, RT_SCOPE_LINK}};
	int i = 0;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n), i++) {
		struct rtmsg *r = NLMSG_DATA(h);
		EXPECT_EQ(h->nlmsg_type, RTM_NEWROUTE);
		if (i >= 3)
			continue;
		EXPECT_EQ(r->rtm_family, AF_INET);
		EXPECT_EQ(r->rtm_table, RT_TABLE_LOCAL);
		EXPECT_EQ(r->rtm_protocol, RTPROT_KERNEL);
		EXPECT_EQ(r->rtm_dst_len, want[i].len);
		EXPECT_EQ(r->rtm_type, want[i].type);
		EXPECT_EQ(r->rtm_scope, want[i].scope);
		struct rtattr *a = attr(h, sizeof(*r), RTA_DST);
		EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == htonl(want[i].dst));
		a = attr(h, sizeof(*r), RTA_PREFSRC);
		EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK));
		a = attr(h, sizeof(*r), RTA_OIF);
		EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == 1);
		a = attr(h, sizeof(*r), RTA_TABLE);
		EXPECT_TRUE(a && *(uint32_t *)RTA_DATA(a) == RT_TABLE_LOCAL);
	}
	EXPECT_EQ(i, 3);
	rt.rtm_family = AF_INET6;
	nl_send(fd, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 14, &rt, sizeof(rt));
	n = nl_dump(fd, 14, bound_pid(fd), buf, sizeof(buf));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_TRUE(NLMSG_OK(h, n));
	EXPECT_EQ(NLMSG_ALIGN(h->nlmsg_len), n);
	struct rtmsg *r = NLMSG_DATA(h);
	EXPECT_EQ(r->rtm_family, AF_INET6);
	EXPECT_EQ(r->rtm_dst_len, 128);
	EXPECT_EQ(r->rtm_table, RT_TABLE_LOCAL);
	EXPECT_EQ(r->rtm_type, RTN_LOCAL);
	struct rtattr *a = attr(h, sizeof(*r), RTA_DST);
	EXPECT_TRUE(a && memcmp(RTA_DATA(a), &in6addr_loopback, 16) == 0);
	close(fd);
}

/* The reply to a lone request: an NLMSG_ERROR's error. */
static int ack_error(int fd, uint16_t type, uint16_t flags, const void *body, size_t blen,
		     uint32_t *echo_len)
{
	char buf[512];
	if (nl_send(fd, type, flags, 21, body, blen) < 0)
		return 1000;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_type != NLMSG_ERROR ||
	    h->nlmsg_seq != 21)
		return 1001;
	struct nlmsgerr *e = NLMSG_DATA(h);
	if (e->msg.nlmsg_type != type || e->msg.nlmsg_seq != 21)
		return 1002;
	*echo_len = h->nlmsg_len;
	return e->error;
}

TEST(acks_and_errors)
{
	int fd = (int)EXPECT_SYS(nl_open());
	uint32_t len = 0;
	struct ifinfomsg ifi = {.ifi_index = 1};
	/* A get with NLM_F_ACK: the reply, then an ack with error 0 and just
	 * the header echoed (NLM_F_CAPPED). */
	EXPECT_EQ(nl_send(fd, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 21, &ifi, sizeof(ifi)),
		  (int)NLMSG_LENGTH(sizeof(ifi)));
	char buf[4096];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	EXPECT_GT(recv(fd, buf, sizeof(buf), 0), 0);
	EXPECT_EQ(h->nlmsg_type, RTM_NEWLINK);
	EXPECT_EQ(recv(fd, buf, sizeof(buf), 0), (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	EXPECT_EQ(h->nlmsg_type, NLMSG_ERROR);
	EXPECT_EQ(h->nlmsg_flags, NLM_F_CAPPED);
	EXPECT_EQ(((struct nlmsgerr *)NLMSG_DATA(h))->error, 0);
	/* An unknown type: EOPNOTSUPP with the whole request echoed. */
	EXPECT_EQ(ack_error(fd, 200, NLM_F_REQUEST, &ifi, sizeof(ifi), &len), -EOPNOTSUPP);
	EXPECT_EQ(len, NLMSG_LENGTH(sizeof(struct nlmsgerr) + sizeof(ifi)));
	/* A get that is not a dump and has no single form. */
	struct ifaddrmsg ifa = {.ifa_family = AF_INET};
	EXPECT_EQ(ack_error(fd, RTM_GETADDR, NLM_F_REQUEST, &ifa, sizeof(ifa), &len), -EOPNOTSUPP);
	/* A message without NLM_F_REQUEST is not served, but acked if asked. */
	EXPECT_EQ(ack_error(fd, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi), &len), 0);
	EXPECT_EQ(len, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	/* Control messages are skipped, and acked when asked. */
	EXPECT_EQ(ack_error(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof(ifi), &len), 0);
	/* Truncated message: ignored. */
	char shortmsg[8] = {0};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	EXPECT_EQ(sendto(fd, shortmsg, sizeof(shortmsg), 0, (struct sockaddr *)&k, sizeof(k)), 8);
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Sending to another port id than the kernel's (none bound there). */
	k.nl_pid = 0x5555555;
	EXPECT_ERRNO(sendto(fd, buf, 20, 0, (struct sockaddr *)&k, sizeof(k)), ECONNREFUSED);
	close(fd);
}

TEST(modify_refused_without_cap)
{
	/* As root natively the kernel would act on these; we only check the
	 * unprivileged answer in a child that dropped its capabilities. */
	pid_t p = fork();
	if (p == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		int fd = nl_open();
		struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 8, .ifa_index = 1};
		uint32_t len;
		int e = ack_error(fd, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, &ifa,
				  sizeof(ifa), &len);
		_exit(e == -EPERM ? 0 : 1);
	}
	int st = 0;
	EXPECT_EQ(waitpid(p, &st, 0), p);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(peek_trunc)
{
	int fd = (int)EXPECT_SYS(nl_open());
	struct ifinfomsg ifi = {.ifi_index = 1};
	nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, 5, &ifi, sizeof(ifi));
	struct pollfd p = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	ssize_t full = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	EXPECT_GT(full, 100);
	char small[16];
	struct iovec iov = {small, sizeof(small)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(fd, &mh, MSG_PEEK), (ssize_t)sizeof(small));
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	/* Without MSG_TRUNC the datagram is consumed, cut, and the length is
	 * what was copied. */
	mh.msg_flags = 0;
	EXPECT_EQ(recvmsg(fd, &mh, 0), (ssize_t)sizeof(small));
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	EXPECT_EQ(((struct nlmsghdr *)small)->nlmsg_len, (uint32_t)full);
	p.revents = 0;
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_ERRNO(recv(fd, small, sizeof(small), MSG_DONTWAIT), EAGAIN);
	close(fd);
}

TEST(getifaddrs_lo)
{
	struct ifaddrs *ifs = NULL;
	EXPECT_SYS(getifaddrs(&ifs));
	int v4 = 0, v6 = 0, pkt = 0, other = 0;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") != 0) {
			other++;
			continue;
		}
		EXPECT_TRUE(i->ifa_flags & IFF_UP);
		EXPECT_TRUE(i->ifa_flags & IFF_LOOPBACK);
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
			struct sockaddr_in *m = (struct sockaddr_in *)i->ifa_netmask;
			EXPECT_EQ(a->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
			EXPECT_TRUE(m && m->sin_addr.s_addr == htonl(0xff000000));
			v4++;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			v6++;
		} else if (i->ifa_addr->sa_family == AF_PACKET) {
			pkt++;
		}
	}
	EXPECT_EQ(v4, 1);
	EXPECT_EQ(v6, 1);
	EXPECT_EQ(pkt, 1);
	EXPECT_EQ(other, 0);
	freeifaddrs(ifs);
}

/* The device ioctls any socket answers (glibc's if_nametoindex uses an
 * AF_UNIX socket). */
TEST(dev_ioctls)
{
	char name[IF_NAMESIZE];
	EXPECT_EQ(if_nametoindex("lo"), 1);
	EXPECT_EQ(if_nametoindex("eth9"), 0);
	EXPECT_TRUE(if_indextoname(1, name) && strcmp(name, "lo") == 0);
	int fd = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, "lo");
	EXPECT_SYS(ioctl(fd, SIOCGIFFLAGS, &r));
	EXPECT_EQ(r.ifr_flags & 0xffff, IFF_UP | IFF_LOOPBACK | IFF_RUNNING);
	EXPECT_SYS(ioctl(fd, SIOCGIFMTU, &r));
	EXPECT_EQ(r.ifr_mtu, 65536);
	EXPECT_SYS(ioctl(fd, SIOCGIFHWADDR, &r));
	EXPECT_EQ(r.ifr_hwaddr.sa_family, 772);
	EXPECT_SYS(ioctl(fd, SIOCGIFTXQLEN, &r));
	EXPECT_EQ(r.ifr_qlen, 1000);
	r.ifr_ifindex = 5;
	EXPECT_ERRNO(ioctl(fd, SIOCGIFNAME, &r), ENODEV);
	strcpy(r.ifr_name, "nope0");
	EXPECT_ERRNO(ioctl(fd, SIOCGIFFLAGS, &r), ENODEV);
	struct ifconf ic = {.ifc_len = 0, .ifc_buf = NULL};
	EXPECT_SYS(ioctl(fd, SIOCGIFCONF, &ic));
	EXPECT_EQ(ic.ifc_len, (int)sizeof(struct ifreq));
	struct ifreq all[4];
	ic.ifc_len = sizeof(all);
	ic.ifc_req = all;
	EXPECT_SYS(ioctl(fd, SIOCGIFCONF, &ic));
	EXPECT_EQ(ic.ifc_len, (int)sizeof(struct ifreq));
	EXPECT_STREQ(all[0].ifr_name, "lo");
	EXPECT_EQ(all[0].ifr_addr.sa_family, AF_INET);
	EXPECT_EQ(((struct sockaddr_in *)&all[0].ifr_addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	EXPECT_ERRNO(ioctl(fd, 0x5401 /* TCGETS */, &r), ENOTTY);
	close(fd);
}

/* Readiness: epoll sees a reply queued by the request, a blocking receive
 * with SO_RCVTIMEO times out with EAGAIN. */
TEST(readiness)
{
	int fd = (int)EXPECT_SYS(nl_open());
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd}, out;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	struct ifinfomsg ifi = {.ifi_index = 1};
	nl_send(fd, RTM_GETLINK, NLM_F_REQUEST, 5, &ifi, sizeof(ifi));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 1000), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	char buf[4096];
	EXPECT_GT(recv(fd, buf, sizeof(buf), 0), 0);
	struct timeval tv = {0, 50000};
	EXPECT_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), 0), EAGAIN);
	/* Two requests in one datagram: two replies, in order. */
	char two[2 * NLMSG_SPACE(sizeof(ifi))];
	memset(two, 0, sizeof(two));
	for (int i = 0; i < 2; i++) {
		struct nlmsghdr h = {NLMSG_LENGTH(sizeof(ifi)), RTM_GETLINK, NLM_F_REQUEST,
				     (uint32_t)(100 + i), 0};
		memcpy(two + i * NLMSG_SPACE(sizeof(ifi)), &h, sizeof(h));
		memcpy(two + i * NLMSG_SPACE(sizeof(ifi)) + NLMSG_HDRLEN, &ifi, sizeof(ifi));
	}
	EXPECT_EQ(send(fd, two, sizeof(two), 0), (ssize_t)sizeof(two));
	for (int i = 0; i < 2; i++) {
		EXPECT_GT(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 0);
		EXPECT_EQ(((struct nlmsghdr *)buf)->nlmsg_seq, (uint32_t)(100 + i));
	}
	close(ep);
	close(fd);
}
