/*
 * AF_NETLINK (NETLINK_ROUTE only): shared between the socket side
 * (netlink.c: ports, queues, options, send/receive) and the route side
 * (netlink_route.c: answering rtnetlink requests about the sandbox's
 * network, which is loopback only until the IP stack arrives).
 *
 * The kernel side of a request is synchronous: a sendmsg parses the
 * request datagram and appends every reply datagram to the sender's
 * receive queue before it returns, as Linux does for rtnetlink (its dumps
 * are resumed on recvmsg, ours are small enough to be built at once).
 *
 * Lock order: nl_ports_lock (port table) -> nl_sock.lock -> waitq.lock.
 * The route side takes no lock (the network it describes is constant).
 */
#ifndef SENTRY_SOCKET_NETLINK_IMPL_H
#define SENTRY_SOCKET_NETLINK_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest ABI: <linux/netlink.h>, <linux/rtnetlink.h>. */
#define LINUX_SOL_NETLINK 270
#define LINUX_NETLINK_ROUTE 0
#define LINUX_MAX_LINKS 32

#define LINUX_NETLINK_ADD_MEMBERSHIP 1
#define LINUX_NETLINK_DROP_MEMBERSHIP 2
#define LINUX_NETLINK_PKTINFO 3
#define LINUX_NETLINK_BROADCAST_ERROR 4
#define LINUX_NETLINK_NO_ENOBUFS 5
#define LINUX_NETLINK_LISTEN_ALL_NSID 8
#define LINUX_NETLINK_LIST_MEMBERSHIPS 9
#define LINUX_NETLINK_CAP_ACK 10
#define LINUX_NETLINK_EXT_ACK 11
#define LINUX_NETLINK_GET_STRICT_CHK 12

struct linux_sockaddr_nl {
	uint16_t nl_family;
	uint16_t nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};

struct linux_nlmsghdr {
	uint32_t nlmsg_len;
	uint16_t nlmsg_type;
	uint16_t nlmsg_flags;
	uint32_t nlmsg_seq;
	uint32_t nlmsg_pid;
};

#define NL_ALIGN(n) (((n) + 3u) & ~3u)
#define NL_HDRLEN ((uint32_t)sizeof(struct linux_nlmsghdr))

#define LINUX_NLM_F_REQUEST 0x1
#define LINUX_NLM_F_MULTI 0x2
#define LINUX_NLM_F_ACK 0x4
#define LINUX_NLM_F_DUMP 0x300
#define LINUX_NLM_F_CAPPED 0x100

#define LINUX_NLMSG_NOOP 1
#define LINUX_NLMSG_ERROR 2
#define LINUX_NLMSG_DONE 3
#define LINUX_NLMSG_MIN_TYPE 0x10

/* One datagram queued for a netlink socket. */
struct nl_dgram {
	struct nl_dgram *next;
	size_t len;
	unsigned char data[];
};

/* The replies to one request datagram, in order. */
struct nl_out {
	struct nl_dgram *head, **tail;
};

/* The requester's view, for the route side. */
struct nl_req_ctx {
	uint32_t portid;     /* replies carry it as nlmsg_pid */
	bool net_admin;      /* CAP_NET_ADMIN: modifying requests are not EPERM */
	bool cap_ack;        /* NETLINK_CAP_ACK: errors echo the header only */
	bool strict;         /* NETLINK_GET_STRICT_CHK */
};

/* Serve the rtnetlink messages of one request datagram (Linux's
 * netlink_rcv_skb + rtnetlink_rcv_msg): replies appended to out.
 * Returns 0 or -ENOMEM (replies built so far stay in out). */
int nlroute_rcv(const unsigned char *req, size_t len, const struct nl_req_ctx *ctx,
		struct nl_out *out);

void nl_out_init(struct nl_out *o);
void nl_out_free(struct nl_out *o);

#endif
