/*
 * AF_INET / AF_INET6 SOCK_DGRAM on lwIP's UDP (raw API): datagrams queue
 * with their source address until read; sends go out synchronously under
 * the core lock (on loopback the packet is queued for lwIP's thread, which
 * delivers it). Linux's udp_sendmsg / udp_recvmsg / datagram_poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/udp.h"

#include "socket/inet_impl.h"

/* Largest payload: an IPv4 datagram is at most 65535 bytes (lwIP's pbuf
 * lengths are 16 bits, so IPv6 gets the same total). */
#define UDP_MAX_V4 (65535 - 20 - 8)
#define UDP_MAX_V6 (65535 - 8) /* Linux's 65527 */
/* Above this an IPv6 datagram does not fit lwIP's 16-bit packet length
 * (payload + 8 + 40): on lo it is handed to the receiver directly. */
#define UDP_LWIP_MAX_V6 (65535 - 40 - 8)
#define UDP_PIECE 32768 /* data pbufs are chained pieces of this size */

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			u16_t port)
{
	struct inet_sock *isk = arg;
	(void)pcb;
	if (!isk) {
		pbuf_free(p);
		return;
	}
	pthread_mutex_lock(&inet_lock);
	size_t rcvbuf = isk->sock ? (size_t)atomic_load(&isk->sock->rcvbuf) : SOCK_DEFAULT_BUF;
	struct inet_rx *rx = NULL;
	/* Linux drops a datagram arriving while the queue is over SO_RCVBUF. */
	if (isk->rx_bytes < rcvbuf)
		rx = calloc(1, sizeof(*rx));
	if (!rx) {
		pthread_mutex_unlock(&inet_lock);
		pbuf_free(p);
		return;
	}
	rx->p = p;
	ip_addr_copy(rx->from, *addr);
	rx->port = port;
	if (isk->rx_tail)
		isk->rx_tail->next = rx;
	else
		isk->rx_head = rx;
	isk->rx_tail = rx;
	isk->rx_bytes += p->tot_len;
	isk->rx_count++;
	inet_wake(isk, INET_EV_IN);
	pthread_mutex_unlock(&inet_lock);
}

/* inet_enter()ed. */
static int ensure_udp(struct inet_sock *isk)
{
	if (isk->udp)
		return 0;
	struct udp_pcb *pcb = udp_new_ip_type(inet_pcb_type(isk));
	if (!pcb)
		return -ENOBUFS;
	if (isk->sock && atomic_load(&isk->sock->reuseaddr))
		ip_set_option(pcb, SOF_REUSEADDR);
	pcb->ttl = isk->ttl < 0 ? 64 : (u8_t)isk->ttl;
	pcb->tos = (u8_t)isk->tos;
	udp_set_multicast_ttl(pcb, (u8_t)isk->mc_ttl);
	udp_recv(pcb, udp_recv_cb, isk);
	isk->udp = pcb;
	return 0;
}

/* udp_bind with Linux's family separation (an IPv4 address and a v6-only
 * socket's port do not conflict; lwIP sees any "any" as overlapping both):
 * same-family conflicts are checked here, then the other family's pcbs on
 * the port are lent SOF_REUSEADDR for lwIP's check. Core lock held. */
static err_t udp_bind_linux(struct udp_pcb *pcb, const ip_addr_t *ip, uint16_t port)
{
	struct udp_pcb *lent[64];
	int nlent = 0, ndis = 0;
	bool ours = ip_get_option(pcb, SOF_REUSEADDR);
	if (!port)
		return udp_bind(pcb, ip, port);
	for (struct udp_pcb *c = udp_pcbs; c; c = c->next) {
		if (c == pcb || c->local_port != port)
			continue;
		if (!IP_IS_ANY_TYPE_VAL(c->local_ip) && !IP_IS_ANY_TYPE_VAL(*ip) &&
		    IP_GET_TYPE(&c->local_ip) != IP_GET_TYPE(ip)) {
			ndis++;
			continue;
		}
		if (!(ours && ip_get_option(c, SOF_REUSEADDR)) &&
		    (ip_addr_isany(&c->local_ip) || ip_addr_isany(ip) || ip_addr_cmp(&c->local_ip, ip)))
			return ERR_USE;
	}
	if (!ndis)
		return udp_bind(pcb, ip, port);
	for (struct udp_pcb *c = udp_pcbs; c; c = c->next) {
		if (c == pcb || c->local_port != port || ip_get_option(c, SOF_REUSEADDR) ||
		    IP_IS_ANY_TYPE_VAL(c->local_ip) || IP_GET_TYPE(&c->local_ip) == IP_GET_TYPE(ip))
			continue;
		if (nlent == 64)
			break;
		ip_set_option(c, SOF_REUSEADDR);
		lent[nlent++] = c;
	}
	err_t e = ERR_USE;
	if (nlent < 64 || ndis <= nlent) {
		ip_set_option(pcb, SOF_REUSEADDR);
		e = udp_bind(pcb, ip, port);
		if (!ours)
			ip_reset_option(pcb, SOF_REUSEADDR);
	}
	for (int i = 0; i < nlent; i++)
		ip_reset_option(lent[i], SOF_REUSEADDR);
	return e;
}

static int autobind(struct inet_sock *isk)
{
	if (isk->udp->local_port)
		return 0;
	ip_addr_t any;
	inet_any_addr(isk, &any);
	err_t e = udp_bind(isk->udp, &any, 0);
	return e == ERR_OK ? 0 : e == ERR_USE ? -EAGAIN : inet_lwip_err(e);
}

int inet_udp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port)
{
	int err;
	inet_enter();
	if (isk->bound || (isk->udp && isk->udp->local_port)) {
		err = -EINVAL;
		goto out;
	}
	if ((err = ensure_udp(isk)))
		goto out;
	if (isk->sock)
		(atomic_load(&isk->sock->reuseaddr) ? ip_set_option(isk->udp, SOF_REUSEADDR)
						     : ip_reset_option(isk->udp, SOF_REUSEADDR));
	err_t e = udp_bind_linux(isk->udp, ip, port);
	err = e == ERR_OK ? 0 : e == ERR_USE ? -EADDRINUSE : inet_lwip_err(e);
	if (!err) {
		isk->bound = true;
		ip_addr_copy(isk->bind_ip, *ip);
		isk->bind_port = isk->udp->local_port;
		isk->port_locked = port != 0;
	}
out:
	inet_leave();
	return err;
}

int inet_udp_connect(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port)
{
	int err;
	inet_enter();
	if ((err = ensure_udp(isk)) || (err = autobind(isk)))
		goto out;
	err = inet_lwip_err(udp_connect(isk->udp, ip, port));
	if (!err) {
		isk->udp_connected = true;
		ip_addr_copy(isk->peer_ip, *ip);
		isk->peer_port = port;
		isk->state = IS_CONNECTED;
	}
out:
	inet_leave();
	return err;
}

int inet_udp_disconnect(struct inet_sock *isk)
{
	inet_enter();
	if (isk->udp) {
		udp_disconnect(isk->udp);
		/* Linux releases a port it chose (autobind or bind to port 0)
		 * and an address bind() did not name. */
		if (!isk->port_locked) {
			udp_recv(isk->udp, NULL, NULL);
			udp_remove(isk->udp);
			isk->udp = NULL; /* made again (unbound) when needed */
			isk->bound = false;
		}
	}
	isk->udp_connected = false;
	isk->state = IS_CLOSED;
	inet_wake(isk, INET_EV_OUT);
	inet_leave();
	return 0;
}

/* A pbuf chain holding data, with room for the headers in front. */
static struct pbuf *data_pbuf(const char *data, size_t len)
{
	size_t first = len < UDP_PIECE ? len : UDP_PIECE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)first, PBUF_RAM);
	if (!p)
		return NULL;
	memcpy(p->payload, data, first);
	for (size_t off = first; off < len;) {
		size_t n = len - off < UDP_PIECE ? len - off : UDP_PIECE;
		struct pbuf *q = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
		if (!q) {
			pbuf_free(p);
			return NULL;
		}
		memcpy(q->payload, data + off, n);
		pbuf_cat(p, q);
		off += n;
	}
	return p;
}

/* Would a datagram to ip:port find a socket? On loopback the host is us, so
 * the ICMP port unreachable Linux's stack would get back is known at once
 * (lwIP's ICMP input does not report it to UDP). Core lock held. */
static struct udp_pcb *udp_receiver(const ip_addr_t *ip, uint16_t port)
{
	for (struct udp_pcb *p = udp_pcbs; p; p = p->next) {
		if (p->local_port != port)
			continue;
		if (IP_IS_ANY_TYPE_VAL(p->local_ip))
			return p;
		if (IP_GET_TYPE(&p->local_ip) != IP_GET_TYPE(ip))
			continue;
		if (ip_addr_isany(&p->local_ip) || ip_addr_cmp(&p->local_ip, ip))
			return p;
	}
	return NULL;
}

static bool udp_has_receiver(const ip_addr_t *ip, uint16_t port)
{
	return udp_receiver(ip, port) != NULL;
}

/* An IPv6 datagram too long for lwIP, to ::1: lwIP's udp_input would give
 * it to the first pcb bound to the port (a connected one only from its
 * peer); do that here. Core lock held, inet_lock not (the receiver's
 * callback takes it). Consumes p. */
static void udp_deliver_big6(struct udp_pcb *from, struct pbuf *p, const ip_addr_t *dst,
			     uint16_t port)
{
	ip_addr_t src;
	ip_addr_copy(src, *dst); /* ::1 to ::1 */
	for (struct udp_pcb *r = udp_pcbs; r; r = r->next) {
		if (r->local_port != port || IP_IS_V4_VAL(r->local_ip))
			continue;
		if (!ip_addr_isany(&r->local_ip) && !IP_IS_ANY_TYPE_VAL(r->local_ip) &&
		    !ip_addr_cmp(&r->local_ip, dst))
			continue;
		if ((r->flags & UDP_FLAGS_CONNECTED) &&
		    (r->remote_port != from->local_port || !ip_addr_cmp(&r->remote_ip, &src)))
			continue;
		if (r->recv) {
			r->recv(r->recv_arg, r, p, &src, from->local_port);
			return;
		}
		break;
	}
	pbuf_free(p);
}

ssize_t inet_udp_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	ip_addr_t dst;
	uint16_t port = 0;
	int err;
	(void)flags;
	if (m->addrlen) {
		if ((err = inet_parse_addr(isk, m->addr, m->addrlen, false, &dst, &port)))
			return err;
		if (!port)
			return -EINVAL;
		if (IP_IS_V4(&dst) && ip4_addr_isany_val(*ip_2_ip4(&dst)))
			IP_ADDR4(&dst, 127, 0, 0, 1);
		else if (IP_IS_V6(&dst) && ip6_addr_isany(ip_2_ip6(&dst)))
			ip_2_ip6(&dst)->addr[3] = PP_HTONL(1);
	}
	inet_enter();
	if (isk->shutdown & SEND_SHUTDOWN) {
		err = -EPIPE;
		goto out;
	}
	if (!m->addrlen) {
		if (!isk->udp_connected) {
			err = -EDESTADDRREQ;
			goto out;
		}
		ip_addr_copy(dst, isk->peer_ip);
		port = isk->peer_port;
	}
	size_t max = IP_IS_V4(&dst) ? UDP_MAX_V4 : UDP_MAX_V6;
	if (m->len > max) {
		err = -EMSGSIZE;
		goto out;
	}
	if (isk->err) {
		err = -isk->err;
		isk->err = 0;
		goto out;
	}
	if ((err = ensure_udp(isk)) || (err = autobind(isk)))
		goto out;
	/* IP_MULTICAST_LOOP off: lo is the only interface, nobody hears it. */
	if (IP_IS_V4(&dst) && ip4_addr_ismulticast(ip_2_ip4(&dst)) && !isk->mc_loop)
		goto out;
	struct pbuf *p = data_pbuf(m->data, m->len);
	if (!p) {
		err = -ENOBUFS;
		goto out;
	}
	if (IP_IS_V6(&dst) && m->len > UDP_LWIP_MAX_V6) {
		if (!ip6_addr_isloopback(ip_2_ip6(&dst))) {
			pbuf_free(p);
			err = -EMSGSIZE;
			goto out;
		}
		/* Delivered with inet_lock dropped (see udp_deliver_big6). */
		struct udp_pcb *me = isk->udp;
		bool refused = isk->udp_connected && !udp_has_receiver(&dst, port);
		if (refused) {
			isk->err = ECONNREFUSED;
			inet_wake(isk, POLLERR);
		}
		pthread_mutex_unlock(&inet_lock);
		udp_deliver_big6(me, p, &dst, port);
		pthread_mutex_lock(&inet_lock);
		goto out;
	}
	err_t e = udp_sendto(isk->udp, p, &dst, port);
	pbuf_free(p);
	/* A connected socket learns of the port unreachable (Linux reports
	 * ICMP errors to connected UDP sockets only, without IP_RECVERR). */
	if (e == ERR_OK && isk->udp_connected && !udp_has_receiver(&dst, port)) {
		isk->err = ECONNREFUSED;
		inet_wake(isk, POLLERR);
	}
	if (e == ERR_RTE)
		err = -ENETUNREACH;
	else if (e == ERR_MEM)
		err = 0; /* dropped on the way, as a full device queue would */
	else
		err = inet_lwip_err(e);
out:
	inet_leave();
	return err ? err : (ssize_t)m->len;
}

ssize_t inet_udp_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	int64_t deadline = sock_deadline(atomic_load(&s->rcvtimeo_ns));
	ssize_t r = 0;
	inet_enter();
	for (;;) {
		if (isk->rx_head)
			break;
		if (isk->err) {
			r = -isk->err;
			isk->err = 0;
			goto out;
		}
		if (isk->shutdown & RCV_SHUTDOWN) {
			m->addrlen = 0;
			goto out;
		}
		if (flags & LINUX_MSG_DONTWAIT) {
			r = -EAGAIN;
			goto out;
		}
		if ((r = inet_wait(isk, deadline)) < 0)
			goto out;
	}
	struct inet_rx *rx = isk->rx_head;
	size_t full = rx->p->tot_len;
	size_t n = full < m->len ? full : m->len;
	if (n)
		pbuf_copy_partial(rx->p, m->data, (u16_t)n, 0);
	m->len_full = full;
	if (full > m->len)
		m->flags_out |= LINUX_MSG_TRUNC;
	if (m->addr)
		m->addrlen = (uint32_t)inet_format_addr(isk, &rx->from, rx->port, m->addr);
	if (!(flags & LINUX_MSG_PEEK)) {
		isk->rx_head = rx->next;
		if (!isk->rx_head)
			isk->rx_tail = NULL;
		isk->rx_bytes -= full;
		isk->rx_count--;
		pbuf_free(rx->p);
		free(rx);
	}
	r = (flags & LINUX_MSG_TRUNC) ? (ssize_t)full : (ssize_t)n;
out:
	inet_leave();
	return r;
}

int inet_udp_shutdown(struct inet_sock *isk, int how)
{
	int mode = (how + 1) & SHUTDOWN_MASK;
	inet_enter();
	/* Linux: an unconnected socket gets ENOTCONN, but the bits are set. */
	int err = isk->udp_connected ? 0 : -ENOTCONN;
	isk->shutdown |= mode;
	inet_wake(isk, 0);
	inet_leave();
	return err;
}

/* Linux's datagram_poll (udp_poll). */
unsigned inet_udp_poll(struct inet_sock *isk)
{
	unsigned mask = 0;
	inet_enter();
	if (isk->err)
		mask |= POLLERR;
	if (isk->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | INET_EV_IN;
	if (isk->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (isk->rx_head)
		mask |= INET_EV_IN;
	mask |= INET_EV_OUT;
	inet_leave();
	return mask;
}

void inet_udp_release(struct inet_sock *isk)
{
	inet_enter();
	inet_mc_leave_all(isk);
	if (isk->udp) {
		udp_recv(isk->udp, NULL, NULL);
		udp_remove(isk->udp);
		isk->udp = NULL;
	}
	inet_rx_purge(isk);
	inet_leave();
}

int inet_udp_ioctl(struct inet_sock *isk, unsigned cmd, int *out)
{
	int err = 0;
	inet_enter();
	switch (cmd) {
	case LINUX_FIONREAD:
		*out = isk->rx_head ? isk->rx_head->p->tot_len : 0;
		break;
	case LINUX_SIOCOUTQ:
	case LINUX_SIOCOUTQNSD:
		*out = 0; /* sends complete synchronously */
		break;
	default:
		err = -ENOTTY;
	}
	inet_leave();
	return err;
}
