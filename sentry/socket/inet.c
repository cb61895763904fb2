/*
 * AF_INET / AF_INET6 on lwIP: the proto_ops, addresses, life cycle and the
 * IP-level options. TCP is in inet_tcp.c, UDP in inet_udp.c. See
 * inet_impl.h for the locking and netstack/netstack.h for the stack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"

#include "kernel/task.h"
#include "netstack/netif_packet.h"
#include "netstack/netstack.h"
#include "socket/inet_impl.h"

pthread_mutex_t inet_lock = PTHREAD_MUTEX_INITIALIZER;

/* --- locking and waits --------------------------------------------------- */

void inet_enter(void)
{
	netstack_lock();
	pthread_mutex_lock(&inet_lock);
}

void inet_leave(void)
{
	pthread_mutex_unlock(&inet_lock);
	netstack_flush(); /* loopback delivery completes before we return */
	netstack_unlock();
}

int inet_wait(struct inet_sock *isk, int64_t deadline)
{
	if (netstack_pending()) {
		/* Deliver what we sent first (its callbacks need inet_lock);
		 * the caller re-checks. */
		pthread_mutex_unlock(&inet_lock);
		netstack_flush();
		pthread_mutex_lock(&inet_lock);
		return 0;
	}
	/* Keep inet_lock from the caller's check to the wait (no lost wake:
	 * callbacks change state under it), but never wait with the core lock. */
	netstack_unlock();
	int r = sock_wait(&isk->cond, &inet_lock, deadline);
	pthread_mutex_unlock(&inet_lock);
	inet_enter();
	return r;
}

void inet_wake(struct inet_sock *isk, unsigned events)
{
	pthread_cond_broadcast(&isk->cond);
	waitq_wake(&isk->wq, events);
}

struct inet_sock *inet_sock_alloc(int family, int type)
{
	struct inet_sock *isk = calloc(1, sizeof(*isk));
	if (!isk)
		return NULL;
	isk->family = family;
	isk->type = type;
	isk->ttl = -1;
	isk->keepidle = 7200;
	isk->keepintvl = 75;
	isk->keepcnt = 9;
	isk->mc_ttl = 1;
	isk->mc_loop = 1;
	pthread_cond_init(&isk->cond, NULL);
	waitq_init(&isk->wq);
	return isk;
}

void inet_rx_purge(struct inet_sock *isk)
{
	struct inet_rx *rx;
	while ((rx = isk->rx_head)) {
		isk->rx_head = rx->next;
		pbuf_free(rx->p);
		free(rx);
	}
	isk->rx_tail = NULL;
	isk->rx_bytes = 0;
	isk->rx_count = 0;
}

void inet_sock_free(struct inet_sock *isk)
{
	inet_rx_purge(isk);
	pthread_cond_destroy(&isk->cond);
	waitq_destroy(&isk->wq);
	free(isk);
}

int inet_lwip_err(err_t e)
{
	switch (e) {
	case ERR_OK: return 0;
	case ERR_MEM: return -ENOMEM;
	case ERR_BUF: return -ENOBUFS;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_INPROGRESS: return -EINPROGRESS;
	case ERR_VAL: return -EINVAL;
	case ERR_WOULDBLOCK: return -EAGAIN;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ALREADY: return -EALREADY;
	case ERR_ISCONN: return -EISCONN;
	case ERR_CONN: return -ENOTCONN;
	case ERR_IF: return -ENETDOWN;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_RST: return -ECONNRESET;
	case ERR_CLSD: return -ENOTCONN;
	case ERR_ARG: return -EINVAL;
	}
	return -EIO;
}

/* --- addresses ----------------------------------------------------------- */

struct lsockaddr_in {
	uint16_t family, port;
	uint32_t addr;
	uint8_t zero[8];
};

struct lsockaddr_in6 {
	uint16_t family, port;
	uint32_t flowinfo;
	uint8_t addr[16];
	uint32_t scope_id;
};

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int inet_parse_addr(struct inet_sock *isk, const void *addr, uint32_t len, bool bind,
		    ip_addr_t *ip, uint16_t *port)
{
	uint16_t fam;
	if (len < 2)
		return -EINVAL;
	memcpy(&fam, addr, 2);
	if (isk->family == LINUX_AF_INET) {
		struct lsockaddr_in sin;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, addr, sizeof(sin));
		if (fam != LINUX_AF_INET &&
		    !(bind && fam == LINUX_AF_UNSPEC && sin.addr == 0))
			return -EAFNOSUPPORT;
		ip_addr_set_zero_ip4(ip);
		ip_2_ip4(ip)->addr = sin.addr;
		*port = ntohs(sin.port);
		return 0;
	}
	struct lsockaddr_in6 sin6;
	if (len < 24) /* SIN6_LEN_RFC2133 */
		return -EINVAL;
	memset(&sin6, 0, sizeof(sin6));
	memcpy(&sin6, addr, len < sizeof(sin6) ? len : sizeof(sin6));
	if (fam != LINUX_AF_INET6)
		return -EAFNOSUPPORT;
	*port = ntohs(sin6.port);
	if (memcmp(sin6.addr, v4mapped_prefix, 12) == 0) {
		if (isk->v6only)
			return bind ? -EINVAL : -ENETUNREACH;
		ip_addr_set_zero_ip4(ip);
		memcpy(&ip_2_ip4(ip)->addr, sin6.addr + 12, 4);
		return 0;
	}
	ip_addr_set_zero_ip6(ip);
	memcpy(ip_2_ip6(ip)->addr, sin6.addr, 16);
	ip6_addr_clear_zone(ip_2_ip6(ip));
	return 0;
}

int inet_format_addr(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port, void *out)
{
	if (isk->family == LINUX_AF_INET) {
		struct lsockaddr_in sin = {.family = LINUX_AF_INET, .port = htons(port)};
		if (ip && IP_IS_V4(ip))
			sin.addr = ip_2_ip4(ip)->addr;
		memcpy(out, &sin, sizeof(sin));
		return sizeof(sin);
	}
	struct lsockaddr_in6 sin6 = {.family = LINUX_AF_INET6, .port = htons(port)};
	if (ip && IP_IS_V6_VAL(*ip)) {
		memcpy(sin6.addr, ip_2_ip6(ip)->addr, 16);
	} else if (ip && IP_IS_V4_VAL(*ip) && !ip4_addr_isany_val(*ip_2_ip4(ip))) {
		memcpy(sin6.addr, v4mapped_prefix, 12);
		memcpy(sin6.addr + 12, &ip_2_ip4(ip)->addr, 4);
	}
	memcpy(out, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

int inet_check_local(const ip_addr_t *ip)
{
	if (IP_IS_ANY_TYPE_VAL(*ip))
		return 0;
	if (IP_IS_V4(ip)) {
		uint32_t a = ntohl(ip_2_ip4(ip)->addr);
		if (a == 0 || (a >> 24) == 127)
			return 0;
		if (netstack_sandbox_addr_local((const uint8_t *)&ip_2_ip4(ip)->addr, false))
			return 0; /* --network=sandbox's interface (netif_packet.h) */
		return -EADDRNOTAVAIL;
	}
	if (ip6_addr_isany(ip_2_ip6(ip)) || ip6_addr_isloopback(ip_2_ip6(ip)))
		return 0;
	if (netstack_sandbox_addr_local((const uint8_t *)ip_2_ip6(ip)->addr, true))
		return 0;
	return -EADDRNOTAVAIL;
}

uint8_t inet_pcb_type(struct inet_sock *isk)
{
	if (isk->family == LINUX_AF_INET)
		return IPADDR_TYPE_V4;
	return isk->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

void inet_any_addr(struct inet_sock *isk, ip_addr_t *ip)
{
	switch (inet_pcb_type(isk)) {
	case IPADDR_TYPE_V4: ip_addr_set_zero_ip4(ip); break;
	case IPADDR_TYPE_V6: ip_addr_set_zero_ip6(ip); break;
	default: ip_addr_copy(*ip, *IP_ANY_TYPE); break;
	}
}

/* "::" on a dual-stack socket means both families. */
static void fix_any(struct inet_sock *isk, ip_addr_t *ip)
{
	if (isk->family == LINUX_AF_INET6 && !isk->v6only && IP_IS_V6(ip) &&
	    ip6_addr_isany(ip_2_ip6(ip)))
		ip_addr_copy(*ip, *IP_ANY_TYPE);
}

/* --- proto_ops ----------------------------------------------------------- */

static int inet_create(struct socket *s)
{
	switch (s->type) {
	case LINUX_SOCK_STREAM:
		if (s->protocol != 0 && s->protocol != LINUX_IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		s->protocol = LINUX_IPPROTO_TCP;
		break;
	case LINUX_SOCK_DGRAM:
		if (s->protocol == LINUX_IPPROTO_ICMP || s->protocol == LINUX_IPPROTO_ICMPV6) {
			int e = inet_icmp_check_create(s, task_current());
			if (e)
				return e;
			break;
		}
		if (s->protocol != 0 && s->protocol != LINUX_IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		s->protocol = LINUX_IPPROTO_UDP;
		break;
	case LINUX_SOCK_RAW: {
		int e = inet_icmp_check_create(s, task_current());
		if (e)
			return e;
		break;
	}
	default:
		return -ESOCKTNOSUPPORT;
	}
	int err = netstack_start();
	if (err)
		return err;
	struct inet_sock *isk = inet_sock_alloc(s->family, s->type);
	if (!isk)
		return -ENOMEM;
	isk->sock = s;
	isk->protocol = s->protocol;
	struct task *t = task_current();
	isk->uid = t ? t->creds.fsuid : 0;
	s->sk = isk;
	return 0;
}

static void inet_release(struct socket *s)
{
	struct inet_sock *isk = s->sk;
	if (!isk)
		return;
	if (isk->type == LINUX_SOCK_STREAM)
		inet_tcp_release(s, isk);
	else if (inet_is_icmp(isk))
		inet_icmp_release(isk);
	else
		inet_udp_release(isk);
	s->sk = NULL;
	inet_sock_free(isk);
}

static int inet_bind(struct socket *s, struct task *t, const void *addr, uint32_t len)
{
	struct inet_sock *isk = s->sk;
	ip_addr_t ip;
	uint16_t port;
	int err = inet_parse_addr(isk, addr, len, true, &ip, &port);
	if (err)
		return err;
	if ((err = inet_check_local(&ip)))
		return err;
	fix_any(isk, &ip);
	if (inet_is_icmp(isk)) /* the "port" is a ping identifier: no check */
		return inet_icmp_bind(isk, &ip, port);
	/* Ports below 1024 need CAP_NET_BIND_SERVICE (10). */
	if (port && port < 1024 && !(t && creds_capable(&t->creds, 10)))
		return -EACCES;
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_bind(isk, &ip, port);
	return inet_udp_bind(isk, &ip, port);
}

static int inet_connect(struct socket *s, struct task *t, const void *addr, uint32_t len,
			bool nonblock)
{
	struct inet_sock *isk = s->sk;
	ip_addr_t ip;
	uint16_t port, fam = 0xffff;
	(void)t;
	if (len >= 2)
		memcpy(&fam, addr, 2);
	if (len >= 2 && fam == LINUX_AF_UNSPEC && inet_is_icmp(isk))
		return inet_icmp_disconnect(isk);
	if (len >= 2 && fam == LINUX_AF_UNSPEC)
		return isk->type == LINUX_SOCK_STREAM ? inet_tcp_disconnect(isk)
						      : inet_udp_disconnect(isk);
	int err = inet_parse_addr(isk, addr, len, false, &ip, &port);
	if (err)
		return err;
	/* Linux: connecting to "any" means the local host. */
	if (IP_IS_V4(&ip) && ip4_addr_isany_val(*ip_2_ip4(&ip)))
		IP_ADDR4(&ip, 127, 0, 0, 1);
	else if (IP_IS_V6(&ip) && ip6_addr_isany(ip_2_ip6(&ip)))
		ip_2_ip6(&ip)->addr[3] = PP_HTONL(1);
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_connect(s, &ip, port, nonblock);
	if (inet_is_icmp(isk))
		return inet_icmp_connect(isk, &ip);
	return inet_udp_connect(isk, &ip, port);
}

static int inet_listen(struct socket *s, struct task *t, int backlog)
{
	struct inet_sock *isk = s->sk;
	(void)t;
	if (isk->type != LINUX_SOCK_STREAM)
		return -EOPNOTSUPP;
	return inet_tcp_listen(isk, backlog);
}

static int inet_accept(struct socket *s, struct socket *ns, bool nonblock)
{
	struct inet_sock *isk = s->sk;
	if (isk->type != LINUX_SOCK_STREAM)
		return -EOPNOTSUPP;
	return inet_tcp_accept(s, ns, nonblock);
}

static int inet_getname(struct socket *s, void *addr, bool peer)
{
	struct inet_sock *isk = s->sk;
	int len;
	inet_enter();
	if (peer) {
		bool conn = isk->type == LINUX_SOCK_STREAM ? isk->state == IS_CONNECTED
							   : isk->udp_connected;
		len = conn ? inet_format_addr(isk, &isk->peer_ip, isk->peer_port, addr) : -ENOTCONN;
	} else if (inet_is_icmp(isk)) {
		len = inet_format_addr(isk, isk->bound ? &isk->bind_ip : &isk->local_ip,
				       isk->local_port, addr);
	} else if (isk->tcp) {
		len = inet_format_addr(isk, &isk->tcp->local_ip, isk->tcp->local_port, addr);
	} else if (isk->udp) {
		ip_addr_t local;
		ip_addr_copy(local, isk->udp->local_ip);
		/* Connected: the source address the route gives (loopback). */
		if (isk->udp_connected && ip_addr_isany(&local)) {
			if (IP_IS_V4(&isk->peer_ip))
				IP_ADDR4(&local, 127, 0, 0, 1);
			else
				ip_addr_copy(local, isk->peer_ip);
		}
		len = inet_format_addr(isk, &local, isk->udp->local_port, addr);
	} else if (isk->bound) {
		len = inet_format_addr(isk, &isk->bind_ip, isk->bind_port, addr);
	} else {
		len = inet_format_addr(isk, &isk->local_ip, isk->local_port, addr);
	}
	inet_leave();
	return len;
}

static ssize_t inet_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	(void)t;
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_sendmsg(s, m, flags);
	if (inet_is_icmp(isk))
		return inet_icmp_sendmsg(s, m, flags);
	return inet_udp_sendmsg(s, m, flags);
}

static ssize_t inet_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	(void)t;
	if (flags & LINUX_MSG_OOB)
		return -EINVAL; /* no urgent data is ever queued */
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_recvmsg(s, m, flags);
	return inet_udp_recvmsg(s, m, flags);
}

static int inet_shutdown(struct socket *s, int how)
{
	struct inet_sock *isk = s->sk;
	if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR)
		return -EINVAL;
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_shutdown(isk, how);
	return inet_udp_shutdown(isk, how);
}

static unsigned inet_poll(struct socket *s, unsigned events)
{
	struct inet_sock *isk = s->sk;
	(void)events;
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_poll(isk);
	return inet_udp_poll(isk);
}

static struct waitq *inet_waitq(struct socket *s)
{
	struct inet_sock *isk = s->sk;
	return isk ? &isk->wq : NULL;
}

static int inet_ioctl(struct socket *s, unsigned cmd, int *out)
{
	struct inet_sock *isk = s->sk;
	if (isk->type == LINUX_SOCK_STREAM)
		return inet_tcp_ioctl(isk, cmd, out);
	return inet_udp_ioctl(isk, cmd, out);
}

static bool inet_is_stream(struct socket *s)
{
	return s->type == LINUX_SOCK_STREAM;
}

/* --- options ------------------------------------------------------------- */

static int put_int(void *val, uint32_t *len, int v)
{
	uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static int get_int(const void *val, uint32_t len, int *v)
{
	if (len >= sizeof(int)) {
		memcpy(v, val, sizeof(int));
		return 0;
	}
	if (len >= 1) { /* Linux's ip_setsockopt takes a single byte too */
		*v = *(const unsigned char *)val;
		return 0;
	}
	return -EINVAL;
}

static int inet_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len)
{
	struct inet_sock *isk = s->sk;
	int v, err = 0;
	switch (level) {
	case LINUX_SOL_SOCKET:
		switch (name) {
		case LINUX_SO_ERROR:
			inet_enter();
			v = isk->err;
			isk->err = 0;
			inet_leave();
			return put_int(val, len, v);
		case LINUX_SO_ACCEPTCONN:
			return put_int(val, len, isk->state == IS_LISTEN);
		}
		return -ENOPROTOOPT;
	case LINUX_IPPROTO_TCP:
		if (isk->type != LINUX_SOCK_STREAM)
			return -ENOPROTOOPT;
		return inet_tcp_getsockopt(isk, name, val, len);
	case LINUX_SOL_RAW:
	case LINUX_IPPROTO_ICMPV6:
		return inet_icmp_getsockopt(isk, level, name, val, len);
	case LINUX_IPPROTO_IP:
		switch (name) {
		case LINUX_IP_TTL: return put_int(val, len, isk->ttl < 0 ? 64 : isk->ttl);
		case LINUX_IP_TOS: return put_int(val, len, isk->tos);
		}
		if (isk->family == LINUX_AF_INET)
			return inet_mc_getsockopt(isk, name, val, len);
		return -ENOPROTOOPT;
	case LINUX_IPPROTO_IPV6:
		if (isk->family != LINUX_AF_INET6)
			return -ENOPROTOOPT;
		switch (name) {
		case LINUX_IPV6_V6ONLY: return put_int(val, len, isk->v6only);
		case LINUX_IPV6_UNICAST_HOPS: return put_int(val, len, isk->ttl < 0 ? 64 : isk->ttl);
		case LINUX_IPV6_TCLASS: return put_int(val, len, isk->tos);
		}
		return -ENOPROTOOPT;
	}
	(void)err;
	return -ENOPROTOOPT;
}

/* inet_enter()ed: push TTL/TOS to the pcb. */
static void apply_ip_opts(struct inet_sock *isk)
{
	u8_t ttl = isk->ttl < 0 ? 64 : (u8_t)isk->ttl;
	if (isk->tcp) {
		isk->tcp->ttl = ttl;
		isk->tcp->tos = (u8_t)isk->tos;
	}
	if (isk->udp) {
		isk->udp->ttl = ttl;
		isk->udp->tos = (u8_t)isk->tos;
	}
	if (isk->raw) {
		isk->raw->ttl = ttl;
		isk->raw->tos = (u8_t)isk->tos;
	}
}

static int inet_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len)
{
	struct inet_sock *isk = s->sk;
	int v, err;
	switch (level) {
	case LINUX_SOL_SOCKET:
		return -ENOPROTOOPT; /* generic; applied in inet_sockopt_changed */
	case LINUX_IPPROTO_TCP:
		if (isk->type != LINUX_SOCK_STREAM)
			return -ENOPROTOOPT;
		return inet_tcp_setsockopt(isk, name, val, len);
	case LINUX_SOL_RAW:
	case LINUX_IPPROTO_ICMPV6:
		return inet_icmp_setsockopt(isk, level, name, val, len);
	case LINUX_IPPROTO_IP:
		if (name != LINUX_IP_TTL && name != LINUX_IP_TOS)
			return isk->family == LINUX_AF_INET ? inet_mc_setsockopt(isk, name, val, len)
							    : -ENOPROTOOPT;
		if ((err = get_int(val, len, &v)))
			return err;
		if (name == LINUX_IP_TTL && v != -1 && (v < 1 || v > 255))
			return -EINVAL;
		inet_enter();
		if (name == LINUX_IP_TTL) {
			isk->ttl = v;
		} else {
			v &= 0xff;
			if (isk->type == LINUX_SOCK_STREAM) /* the ECN bits are TCP's */
				v = (v & ~3) | (isk->tos & 3);
			isk->tos = v;
		}
		apply_ip_opts(isk);
		inet_leave();
		return 0;
	case LINUX_IPPROTO_IPV6:
		if (isk->family != LINUX_AF_INET6)
			return -ENOPROTOOPT;
		if (len < sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(int));
		switch (name) {
		case LINUX_IPV6_V6ONLY:
			inet_enter();
			/* Only before the socket has a port (Linux: EINVAL). */
			err = (isk->tcp || isk->udp || isk->raw || isk->bound) ? -EINVAL : 0;
			if (!err)
				isk->v6only = v != 0;
			inet_leave();
			return err;
		case LINUX_IPV6_UNICAST_HOPS:
			if (v < -1 || v > 255)
				return -EINVAL;
			inet_enter();
			isk->ttl = v;
			apply_ip_opts(isk);
			inet_leave();
			return 0;
		case LINUX_IPV6_TCLASS:
			if (v < -1 || v > 255)
				return -EINVAL;
			inet_enter();
			isk->tos = v < 0 ? 0 : v;
			apply_ip_opts(isk);
			inet_leave();
			return 0;
		}
		return -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}

/* A generic SOL_SOCKET option was stored: apply what lwIP has. */
static void inet_sockopt_changed(struct socket *s, int name)
{
	struct inet_sock *isk = s->sk;
	inet_enter();
	switch (name) {
	case LINUX_SO_KEEPALIVE:
		isk->keepalive = atomic_load(&s->keepalive);
		inet_tcp_apply_opts(isk);
		break;
	case LINUX_SO_REUSEADDR:
		if (isk->tcp) {
			if (atomic_load(&s->reuseaddr))
				ip_set_option(isk->tcp, SOF_REUSEADDR);
			else
				ip_reset_option(isk->tcp, SOF_REUSEADDR);
		}
		break;
	case LINUX_SO_SNDBUF:
	case LINUX_SO_SNDBUFFORCE:
		inet_wake(isk, INET_EV_OUT);
		break;
	}
	inet_leave();
}

#define INET_OPS(fam)                                                                              \
	{                                                                                          \
		.family = fam, .create = inet_create, .release = inet_release, .bind = inet_bind,   \
		.connect = inet_connect, .listen = inet_listen, .accept = inet_accept,             \
		.getname = inet_getname, .sendmsg = inet_sendmsg, .recvmsg = inet_recvmsg,         \
		.shutdown = inet_shutdown, .poll = inet_poll, .waitq = inet_waitq,                 \
		.getsockopt = inet_getsockopt, .setsockopt = inet_setsockopt,                      \
		.sockopt_changed = inet_sockopt_changed, .ioctl = inet_ioctl,                      \
		.is_stream = inet_is_stream,                                                       \
	}

const struct proto_ops inet_proto_ops = INET_OPS(LINUX_AF_INET);
const struct proto_ops inet6_proto_ops = INET_OPS(LINUX_AF_INET6);
