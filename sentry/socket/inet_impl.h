/*
 * AF_INET and AF_INET6 sockets on lwIP (netstack/), internal to
 * sentry/socket/inet*.c: inet.c (addresses, life cycle, options, the
 * proto_ops), inet_tcp.c (SOCK_STREAM), inet_udp.c (SOCK_DGRAM).
 *
 * An inet_sock owns at most one lwIP pcb, made lazily (bind, connect,
 * listen, the first send). lwIP's callbacks (in its tcpip thread, with the
 * tcpip core lock held) queue received pbufs on the inet_sock, record
 * connection events (connected, FIN, reset) and wake its waiters; task
 * threads do everything else under the same lock. A listener's callback
 * makes the server end of each new connection at once (an "embryo"
 * inet_sock without a socket) and queues it for accept(), so data sent
 * before accept() waits in the embryo as on Linux.
 *
 * Locks (order): tcpip core lock (netstack_lock) -> inet_lock -> waitq.lock.
 * Every field below is written with both the core lock and inet_lock held
 * (callbacks hold the core lock and take inet_lock), so either one is
 * enough to read it. A task waits on its inet_sock's cond with inet_lock
 * only (inet_wait() drops the core lock first), so a callback can always
 * make progress. Application memory is never touched under either lock.
 *
 * Lifetime: the inet_sock belongs to its socket (freed by release) or, as
 * an embryo, to its listener's accept queue. The pcb's callback argument
 * points at it; release clears the pcb's callbacks under the core lock
 * before freeing, so no callback can see a freed inet_sock.
 */
#ifndef SENTRY_SOCKET_INET_IMPL_H
#define SENTRY_SOCKET_INET_IMPL_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "kernel/waitq.h"
#include "socket/socket.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

/* Guest ABI numbers (x86_64 Linux). */
#define LINUX_IPPROTO_IP 0
#define LINUX_IPPROTO_ICMP 1
#define LINUX_IPPROTO_ICMPV6 58
#define LINUX_SOL_RAW 255
#define LINUX_IPPROTO_TCP 6
#define LINUX_IPPROTO_UDP 17
#define LINUX_IPPROTO_IPV6 41
#define LINUX_IP_TOS 1
#define LINUX_IP_TTL 2
#define LINUX_IP_MULTICAST_IF 32
#define LINUX_IP_MULTICAST_TTL 33
#define LINUX_IP_MULTICAST_LOOP 34
#define LINUX_IP_ADD_MEMBERSHIP 35
#define LINUX_IP_DROP_MEMBERSHIP 36
#define INET_MAX_MEMBERSHIPS 20 /* net.ipv4.igmp_max_memberships */
#define LINUX_TCP_NODELAY 1
#define LINUX_TCP_MAXSEG 2
#define LINUX_TCP_CORK 3
#define LINUX_TCP_KEEPIDLE 4
#define LINUX_TCP_KEEPINTVL 5
#define LINUX_TCP_KEEPCNT 6
#define LINUX_TCP_INFO 11
#define LINUX_TCP_QUICKACK 12
#define LINUX_TCP_USER_TIMEOUT 18
#define LINUX_IPV6_UNICAST_HOPS 16
#define LINUX_IPV6_V6ONLY 26
#define LINUX_IPV6_TCLASS 67

#define INET_EV_IN (POLLIN | POLLRDNORM)
#define INET_EV_OUT (POLLOUT | POLLWRNORM | POLLWRBAND)

/* One received segment (stream) or datagram. */
struct inet_rx {
	struct inet_rx *next;
	struct pbuf *p;
	uint32_t off;     /* bytes of p already read (stream) */
	ip_addr_t from;   /* datagram source */
	uint16_t port;
};

enum inet_state { IS_CLOSED, IS_LISTEN, IS_CONNECTING, IS_CONNECTED };

struct inet_sock {
	struct socket *sock;   /* NULL for an embryo */
	int family, type;
	bool v6only;
	struct tcp_pcb *tcp;   /* SOCK_STREAM (a listen pcb when listening) */
	struct udp_pcb *udp;   /* SOCK_DGRAM */
	struct raw_pcb *raw;   /* ICMP: ping sockets and SOCK_RAW (inet_icmp.c) */
	int protocol;          /* IPPROTO_* as created */
	uint32_t icmp_filter[8]; /* SOCK_RAW ICMP(v6)_FILTER: a set bit drops a type */
	enum inet_state state;
	int shutdown;          /* RCV_SHUTDOWN | SEND_SHUTDOWN */
	int err;               /* pending SO_ERROR (positive errno) */
	bool bound;            /* bind() named bind_ip/bind_port */
	bool port_locked;      /* bind() asked for a port (kept on disconnect) */
	ip_addr_t bind_ip;
	uint16_t bind_port;
	/* the last local and peer address (kept after the pcb is gone) */
	ip_addr_t local_ip, peer_ip;
	uint16_t local_port, peer_port;
	bool udp_connected;
	bool peer_fin;         /* the peer's FIN came (reset then means EPIPE) */
	bool ss_connecting;    /* Linux's SS_CONNECTING: a connect() to report */
	/* receive queue */
	struct inet_rx *rx_head, *rx_tail;
	size_t rx_bytes, rx_count;
	/* accept queue (embryos, linked by acc_next) */
	struct inet_sock *acc_head, *acc_tail, *acc_next;
	int acc_len, backlog;
	/* options (kept here, applied to the pcb when it exists) */
	bool nodelay, cork, keepalive;
	int keepidle, keepintvl, keepcnt; /* seconds, count */
	int ttl;               /* -1: default */
	int tos;
	int user_timeout, maxseg;
	/* IPv4 multicast (UDP): groups joined on lo (network order) */
	uint32_t mc_groups[INET_MAX_MEMBERSHIPS];
	int mc_count;
	int mc_ttl, mc_loop;
	uint32_t mc_if;
	uint32_t uid;          /* creator's fsuid (/proc/net) */
	pthread_cond_t cond;
	struct waitq wq;
};

extern pthread_mutex_t inet_lock;

/* inet.c */
/* Take / drop the core lock and inet_lock, in that order. */
void inet_enter(void);
void inet_leave(void);
/* inet_enter()ed: one slice of a wait on isk (sock_wait's results); the
 * locks are held again on return. */
int inet_wait(struct inet_sock *isk, int64_t deadline);
/* inet_lock held: wake isk's blocked callers and pollers. */
void inet_wake(struct inet_sock *isk, unsigned events);
struct inet_sock *inet_sock_alloc(int family, int type);
/* inet_enter()ed: drop the queued data; free the inet_sock (no pcb left). */
void inet_rx_purge(struct inet_sock *isk);
void inet_sock_free(struct inet_sock *isk);
/* Decode a sockaddr for isk's family into an lwIP address (v4-mapped
 * addresses of a dual-stack AF_INET6 socket become IPv4). bind: for bind
 * (AF_UNSPEC + INADDR_ANY allowed). -EINVAL, -EAFNOSUPPORT. */
int inet_parse_addr(struct inet_sock *isk, const void *addr, uint32_t len, bool bind,
		    ip_addr_t *ip, uint16_t *port);
/* Encode an address as isk's family shows it; returns the length. */
int inet_format_addr(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port, void *out);
/* bind: the address must be local (EADDRNOTAVAIL). */
int inet_check_local(const ip_addr_t *ip);
/* The "any" address a fresh pcb of isk binds to. */
void inet_any_addr(struct inet_sock *isk, ip_addr_t *ip);
uint8_t inet_pcb_type(struct inet_sock *isk);
int inet_lwip_err(err_t e);

/* inet_tcp.c */
int inet_tcp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port);
int inet_tcp_listen(struct inet_sock *isk, int backlog);
int inet_tcp_accept(struct socket *s, struct socket *ns, bool nonblock);
int inet_tcp_connect(struct socket *s, const ip_addr_t *ip, uint16_t port, bool nonblock);
int inet_tcp_disconnect(struct inet_sock *isk);
ssize_t inet_tcp_sendmsg(struct socket *s, struct sock_msg *m, int flags);
ssize_t inet_tcp_recvmsg(struct socket *s, struct sock_msg *m, int flags);
int inet_tcp_shutdown(struct inet_sock *isk, int how);
unsigned inet_tcp_poll(struct inet_sock *isk);
void inet_tcp_release(struct socket *s, struct inet_sock *isk);
int inet_tcp_ioctl(struct inet_sock *isk, unsigned cmd, int *out);
/* inet_enter()ed: push the stored options to the pcb. */
void inet_tcp_apply_opts(struct inet_sock *isk);
int inet_tcp_getsockopt(struct inet_sock *isk, int name, void *val, uint32_t *len);
int inet_tcp_setsockopt(struct inet_sock *isk, int name, const void *val, uint32_t len);

/* inet_udp.c */
int inet_udp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port);
int inet_udp_connect(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port);
int inet_udp_disconnect(struct inet_sock *isk);
ssize_t inet_udp_sendmsg(struct socket *s, struct sock_msg *m, int flags);
ssize_t inet_udp_recvmsg(struct socket *s, struct sock_msg *m, int flags);
int inet_udp_shutdown(struct inet_sock *isk, int how);
unsigned inet_udp_poll(struct inet_sock *isk);
void inet_udp_release(struct inet_sock *isk);
int inet_udp_ioctl(struct inet_sock *isk, unsigned cmd, int *out);
/* inet_icmp.c: ping sockets (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6) and
 * SOCK_RAW + IPPROTO_ICMP/ICMPV6 on an lwIP raw pcb. Receive, poll, ioctl
 * and shutdown are the UDP ones (the same datagram queue). */
static inline bool inet_is_icmp(const struct inet_sock *isk)
{
	return isk->type == LINUX_SOCK_RAW || isk->protocol == LINUX_IPPROTO_ICMP ||
	       isk->protocol == LINUX_IPPROTO_ICMPV6;
}
/* socket(): -EACCES (ping group), -EPERM (raw without CAP_NET_RAW),
 * -EPROTONOSUPPORT; sets s->protocol. */
int inet_icmp_check_create(struct socket *s, struct task *t);
int inet_icmp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port);
int inet_icmp_connect(struct inet_sock *isk, const ip_addr_t *ip);
int inet_icmp_disconnect(struct inet_sock *isk);
ssize_t inet_icmp_sendmsg(struct socket *s, struct sock_msg *m, int flags);
void inet_icmp_release(struct inet_sock *isk);
/* Levels SOL_RAW and IPPROTO_ICMPV6 (ICMP_FILTER, ICMP6_FILTER, IPV6_CHECKSUM). */
int inet_icmp_setsockopt(struct inet_sock *isk, int level, int name, const void *val,
			 uint32_t len);
int inet_icmp_getsockopt(struct inet_sock *isk, int level, int name, void *val, uint32_t *len);

/* IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP and the IP_MULTICAST_* options. */
int inet_mc_setsockopt(struct inet_sock *isk, int name, const void *val, uint32_t len);
int inet_mc_getsockopt(struct inet_sock *isk, int name, void *val, uint32_t *len);
/* inet_enter()ed: leave every group (close). */
void inet_mc_leave_all(struct inet_sock *isk);

#endif
