/*
 * ICMP sockets on lwIP's raw API (raw_new/raw_recv/raw_sendto, under the
 * core lock):
 *
 * - Ping sockets, socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and
 *   (AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), Linux's net/ipv4/ping.c: the
 *   application sends an echo request header + payload; the identifier is
 *   the socket's "port" (bind's sin_port, else an ephemeral one) and the
 *   checksum is computed here (lwIP computes ICMPv6's, pseudo-header and
 *   all). Only echo replies carrying the identifier are received, as ICMP
 *   header + payload, without the IP header. net.ipv4.ping_group_range is
 *   "0 2147483647" in the sandbox (what Docker gives containers).
 * - SOCK_RAW + IPPROTO_ICMP (CAP_NET_RAW): sends an ICMP message as is
 *   (lwIP adds the IP header); receives every ICMP packet with its IPv4
 *   header (IPv6 raw sockets, as Linux's, get no IPv6 header).
 *
 * lwIP hands each incoming packet to every matching raw pcb before its own
 * ICMP code (ip4_input: raw_input, then icmp_input unless a pcb "ate" it).
 * The callback copies what it keeps and never eats the packet, so every
 * socket gets its copy and lwIP still answers echo requests itself (a
 * ping to 127.0.0.1 or ::1 gets its reply). Received datagrams go on the
 * inet_sock's queue, read by inet_udp_recvmsg (same format: data, source,
 * port 0), as are poll, ioctl and shutdown.
 *
 * Locks: as inet_impl.h. icmp_ids (the identifiers in use) is guarded by
 * inet_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/raw.h"

#include "kernel/creds.h"
#include "kernel/task.h"
#include "socket/inet_impl.h"

#define CAP_NET_RAW 13
#define ICMP_ECHO 8
#define ICMP_ECHOREPLY 0
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMP_HDR 8
/* The sandbox's net.ipv4.ping_group_range (see docs/netstack.md). */
#define PING_GROUP_LO 0u
#define PING_GROUP_HI 2147483647u
/* lwIP's packet lengths are 16 bits: an ICMP message plus its IP header. */
#define ICMP_MAX_V4 (65535 - 20)
#define ICMP_MAX_V6 (65535 - 40)

/* Ping identifiers in use, one bit each, [0] IPv4, [1] IPv6 (inet_lock). */
static uint8_t icmp_ids[2][65536 / 8];
static uint16_t icmp_next_id = 0x4000;

static bool is_ping(const struct inet_sock *isk)
{
	return isk->type == LINUX_SOCK_DGRAM;
}

static int fam_idx(const struct inet_sock *isk)
{
	return isk->family == LINUX_AF_INET6;
}

static bool id_used(int f, uint16_t id)
{
	return icmp_ids[f][id >> 3] & (1u << (id & 7));
}

static void id_set(int f, uint16_t id, bool on)
{
	if (on)
		icmp_ids[f][id >> 3] |= (uint8_t)(1u << (id & 7));
	else
		icmp_ids[f][id >> 3] &= (uint8_t)~(1u << (id & 7));
}

static bool in_ping_range(uint32_t g)
{
	return g - PING_GROUP_LO <= PING_GROUP_HI - PING_GROUP_LO;
}

/* Linux's ping_init_sock: the egid or a supplementary group in range. */
static bool ping_group_ok(const struct creds *c)
{
	if (in_ping_range(c->egid))
		return true;
	for (int i = 0; i < c->ngroups && i < CREDS_NGROUPS_MAX; i++)
		if (in_ping_range(c->groups[i]))
			return true;
	return false;
}

int inet_icmp_check_create(struct socket *s, struct task *t)
{
	int want = s->family == LINUX_AF_INET ? LINUX_IPPROTO_ICMP : LINUX_IPPROTO_ICMPV6;
	if (s->type == LINUX_SOCK_RAW) {
		/* Linux's inet_create: EPERM before looking at the protocol. */
		if (!(t && creds_capable(&t->creds, CAP_NET_RAW)))
			return -EPERM;
		if (s->protocol != want)
			return -EPROTONOSUPPORT; /* only ICMP raw sockets so far */
		return 0;
	}
	if (s->protocol != want)
		return -EPROTONOSUPPORT;
	if (t && !ping_group_ok(&t->creds))
		return -EACCES;
	return 0;
}

/* Keep a copy of an incoming ICMP packet. Core lock held (lwIP's thread or
 * a task's flush). Never eats p (returns 0): lwIP's ICMP still runs. */
static u8_t icmp_recv_cb(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct inet_sock *isk = arg;
	(void)pcb;
	if (!isk)
		return 0;
	/* p points at the IP header; Linux strips it except for IPv4 raw. */
	u16_t hlen = (u16_t)ip_current_header_tot_len();
	if (hlen > p->tot_len)
		return 0;
	bool v6 = IP_IS_V6(addr);
	u16_t skip = (!v6 && !is_ping(isk)) ? 0 : hlen;
	u16_t len = (u16_t)(p->tot_len - skip);
	if (!is_ping(isk)) { /* ICMP_FILTER / ICMP6_FILTER: a set bit drops */
		uint8_t type;
		if (len < 1 || pbuf_copy_partial(p, &type, 1, (u16_t)(v6 ? skip : hlen)) != 1)
			return 0;
		if (v6 ? (isk->icmp_filter[type >> 5] >> (type & 31)) & 1
		       : type < 32 && ((isk->icmp_filter[0] >> type) & 1))
			return 0;
	} else {
		uint8_t h[ICMP_HDR];
		if (len < ICMP_HDR || pbuf_copy_partial(p, h, ICMP_HDR, skip) != ICMP_HDR)
			return 0;
		uint16_t id = (uint16_t)(h[4] << 8 | h[5]);
		if (h[0] != (v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHOREPLY) || h[1] != 0 ||
		    id != isk->local_port || !isk->local_port)
			return 0;
	}
	pthread_mutex_lock(&inet_lock);
	size_t rcvbuf = isk->sock ? (size_t)atomic_load(&isk->sock->rcvbuf) : SOCK_DEFAULT_BUF;
	struct inet_rx *rx = NULL;
	struct pbuf *q = NULL;
	if (isk->rx_bytes < rcvbuf && (rx = calloc(1, sizeof(*rx))) &&
	    (q = pbuf_alloc(PBUF_RAW, len ? len : 1, PBUF_RAM))) {
		if (len)
			pbuf_copy_partial(p, q->payload, len, skip);
		if (!len)
			pbuf_realloc(q, 0);
	}
	if (!q) {
		free(rx);
		pthread_mutex_unlock(&inet_lock);
		return 0;
	}
	rx->p = q;
	ip_addr_copy(rx->from, *addr);
	rx->port = 0; /* Linux reports port 0 for ICMP sources */
	if (isk->rx_tail)
		isk->rx_tail->next = rx;
	else
		isk->rx_head = rx;
	isk->rx_tail = rx;
	isk->rx_bytes += q->tot_len;
	isk->rx_count++;
	inet_wake(isk, INET_EV_IN);
	pthread_mutex_unlock(&inet_lock);
	return 0;
}

/* inet_enter()ed. */
static int ensure_raw(struct inet_sock *isk)
{
	if (isk->raw)
		return 0;
	bool v6 = isk->family == LINUX_AF_INET6;
	struct raw_pcb *pcb = raw_new_ip_type(v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4,
					      v6 ? IP6_NEXTH_ICMP6 : IP_PROTO_ICMP);
	if (!pcb)
		return -ENOBUFS;
	pcb->ttl = isk->ttl < 0 ? 64 : (u8_t)isk->ttl;
	pcb->tos = (u8_t)isk->tos;
#if LWIP_IPV6
	if (v6) { /* lwIP fills in the ICMPv6 checksum (Linux does too) */
		pcb->chksum_reqd = 1;
		pcb->chksum_offset = 2;
	}
#endif
	raw_recv(pcb, icmp_recv_cb, isk);
	isk->raw = pcb;
	if (!is_ping(isk))
		isk->local_port = (uint16_t)isk->protocol; /* Linux's inet_num */
	return 0;
}

/* inet_enter()ed: give a ping socket an identifier. want 0: ephemeral. */
static int ping_get_id(struct inet_sock *isk, uint16_t want)
{
	int f = fam_idx(isk);
	if (want) {
		if (id_used(f, want))
			return -EADDRINUSE;
	} else {
		int i;
		for (i = 0; i < 65536; i++, icmp_next_id++)
			if (icmp_next_id && !id_used(f, icmp_next_id))
				break;
		if (i == 65536)
			return -EAGAIN;
		want = icmp_next_id++;
	}
	id_set(f, want, true);
	isk->local_port = want;
	return 0;
}

int inet_icmp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port)
{
	int err;
	if (isk->family == LINUX_AF_INET6 && IP_IS_V4(ip))
		return -EINVAL; /* no v4-mapped addresses on ICMPv6 */
	inet_enter();
	if (isk->bound || (is_ping(isk) && isk->local_port)) {
		err = -EINVAL;
		goto out;
	}
	if ((err = ensure_raw(isk)))
		goto out;
	if (is_ping(isk) && (err = ping_get_id(isk, port)))
		goto out;
	ip_addr_t any;
	inet_any_addr(isk, &any);
	const ip_addr_t *b = IP_IS_ANY_TYPE_VAL(*ip) ? &any : ip;
	if ((err = inet_lwip_err(raw_bind(isk->raw, b)))) {
		if (is_ping(isk)) {
			id_set(fam_idx(isk), isk->local_port, false);
			isk->local_port = 0;
		}
		goto out;
	}
	isk->bound = true;
	ip_addr_copy(isk->bind_ip, *b);
	isk->bind_port = isk->local_port;
out:
	inet_leave();
	return err;
}

int inet_icmp_connect(struct inet_sock *isk, const ip_addr_t *ip)
{
	int err;
	if (isk->family == LINUX_AF_INET6 && IP_IS_V4(ip))
		return -EINVAL;
	inet_enter();
	if ((err = ensure_raw(isk)))
		goto out;
	if (is_ping(isk) && !isk->local_port && (err = ping_get_id(isk, 0)))
		goto out;
	isk->udp_connected = true;
	ip_addr_copy(isk->peer_ip, *ip);
	isk->peer_port = 0;
	isk->state = IS_CONNECTED;
out:
	inet_leave();
	return err;
}

int inet_icmp_disconnect(struct inet_sock *isk)
{
	inet_enter();
	isk->udp_connected = false;
	isk->state = IS_CLOSED;
	inet_wake(isk, INET_EV_OUT);
	inet_leave();
	return 0;
}

ssize_t inet_icmp_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	bool v6 = isk->family == LINUX_AF_INET6;
	ip_addr_t dst;
	uint16_t port;
	int err;
	(void)flags;
	if (m->len > (v6 ? ICMP_MAX_V6 : ICMP_MAX_V4))
		return -EMSGSIZE;
	if (m->addrlen) {
		if ((err = inet_parse_addr(isk, m->addr, m->addrlen, false, &dst, &port)))
			return err;
		if (v6 && IP_IS_V4(&dst))
			return -EINVAL;
		if (IP_IS_V4(&dst) && ip4_addr_isany_val(*ip_2_ip4(&dst)))
			IP_ADDR4(&dst, 127, 0, 0, 1);
		else if (IP_IS_V6(&dst) && ip6_addr_isany(ip_2_ip6(&dst)))
			ip_2_ip6(&dst)->addr[3] = PP_HTONL(1);
	}
	uint8_t h[ICMP_HDR];
	if (is_ping(isk)) {
		/* Linux's ping_common_sendmsg: an echo request header. */
		if (m->len < ICMP_HDR)
			return -EINVAL;
		memcpy(h, m->data, ICMP_HDR);
		if (h[0] != (v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) || h[1] != 0)
			return -EINVAL;
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
	}
	if ((err = ensure_raw(isk)))
		goto out;
	if (is_ping(isk) && !isk->local_port && (err = ping_get_id(isk, 0)))
		goto out;
	struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)m->len, PBUF_RAM);
	if (!p) {
		err = -ENOBUFS;
		goto out;
	}
	if (m->len)
		memcpy(p->payload, m->data, m->len);
	if (is_ping(isk)) {
		uint8_t *b = p->payload;
		b[4] = (uint8_t)(isk->local_port >> 8);
		b[5] = (uint8_t)isk->local_port;
		b[2] = b[3] = 0;
		if (!v6) { /* ICMPv6's is lwIP's (chksum_reqd) */
			u16_t ck = inet_chksum(b, (u16_t)m->len);
			memcpy(b + 2, &ck, 2);
		}
	}
	err_t e = raw_sendto(isk->raw, p, &dst);
	pbuf_free(p);
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

void inet_icmp_release(struct inet_sock *isk)
{
	inet_enter();
	inet_mc_leave_all(isk); /* IP_ADD_MEMBERSHIP works on any datagram socket */
	if (isk->raw) {
		raw_recv(isk->raw, NULL, NULL);
		raw_remove(isk->raw);
		isk->raw = NULL;
	}
	if (is_ping(isk) && isk->local_port)
		id_set(fam_idx(isk), isk->local_port, false);
	inet_rx_purge(isk);
	inet_leave();
}

#define LINUX_ICMP_FILTER 1   /* SOL_RAW, IPv4 */
#define LINUX_ICMPV6_FILTER 1 /* IPPROTO_ICMPV6 */
#define LINUX_IPV6_CHECKSUM 7 /* SOL_RAW, IPv6 */

/* Which filter (bytes of icmp_filter) does level/name name on isk? 0 with
 * *size set, or -errno (Linux's raw_setsockopt / rawv6_setsockopt). */
static int filter_size(struct inet_sock *isk, int level, int name, uint32_t *size)
{
	bool v6 = isk->family == LINUX_AF_INET6;
	if (isk->type != LINUX_SOCK_RAW)
		return -ENOPROTOOPT; /* ping sockets: ip(v6)_setsockopt */
	if (!v6) {
		if (level != LINUX_SOL_RAW || name != LINUX_ICMP_FILTER)
			return -ENOPROTOOPT;
		*size = 4;
		return 0;
	}
	if (level != LINUX_IPPROTO_ICMPV6 || name != LINUX_ICMPV6_FILTER)
		return -ENOPROTOOPT;
	*size = sizeof(isk->icmp_filter);
	return 0;
}

int inet_icmp_setsockopt(struct inet_sock *isk, int level, int name, const void *val,
			 uint32_t len)
{
	uint32_t size;
	if (isk->type == LINUX_SOCK_RAW && isk->family == LINUX_AF_INET6 &&
	    level == LINUX_SOL_RAW && name == LINUX_IPV6_CHECKSUM) {
		/* The ICMPv6 checksum is always computed (lwIP's chksum_reqd);
		 * Linux takes an even offset or -1 here. */
		int v;
		if (len < sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(int));
		return (v > 0 && (v & 1)) ? -EINVAL : 0;
	}
	int err = filter_size(isk, level, name, &size);
	if (err)
		return err;
	if (len > size)
		len = size;
	inet_enter();
	memcpy(isk->icmp_filter, val, len);
	inet_leave();
	return 0;
}

int inet_icmp_getsockopt(struct inet_sock *isk, int level, int name, void *val, uint32_t *len)
{
	uint32_t size;
	if (isk->type == LINUX_SOCK_RAW && isk->family == LINUX_AF_INET6 &&
	    level == LINUX_SOL_RAW && name == LINUX_IPV6_CHECKSUM) {
		int v = 2;
		uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
		memcpy(val, &v, n);
		*len = n;
		return 0;
	}
	int err = filter_size(isk, level, name, &size);
	if (err)
		return err;
	if (*len > size)
		*len = size;
	inet_enter();
	memcpy(val, isk->icmp_filter, *len);
	inet_leave();
	return 0;
}
