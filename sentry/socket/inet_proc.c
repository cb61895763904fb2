/*
 * The inet family's side of /proc/net/{tcp,tcp6,udp,udp6,sockstat}
 * (inet_proc.h): lwIP's pcb lists, read under the core lock and inet_lock.
 * As Linux's tables list them: TCP listeners, connections (from SYN_SENT
 * on) and TIME_WAIT, not sockets that are only bound; UDP sockets with a
 * port.
 */
#include <errno.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "netstack/netstack.h"
#include "socket/inet_impl.h"
#include "socket/inet_proc.h"
#include "vfs/vfs_impl.h"

static int pcb_linux_state(enum tcp_state st)
{
	static const int map[] = {
		[CLOSED] = 7, [LISTEN] = 10, [SYN_SENT] = 2, [SYN_RCVD] = 3,
		[ESTABLISHED] = 1, [FIN_WAIT_1] = 4, [FIN_WAIT_2] = 5, [CLOSE_WAIT] = 8,
		[CLOSING] = 11, [LAST_ACK] = 9, [TIME_WAIT] = 6,
	};
	return (unsigned)st < sizeof(map) / sizeof(map[0]) ? map[st] : 7;
}

/* The family a pcb is listed under: its socket's, else its address's. */
static int pcb_family(struct inet_sock *isk, const ip_addr_t *local)
{
	if (isk)
		return isk->family;
	return IP_IS_V4_VAL(*local) ? LINUX_AF_INET : LINUX_AF_INET6;
}

static void put_addr(int family, const ip_addr_t *ip, uint8_t out[16])
{
	memset(out, 0, 16);
	if (family == LINUX_AF_INET) {
		if (IP_IS_V4_VAL(*ip))
			memcpy(out, &ip_2_ip4(ip)->addr, 4);
		return;
	}
	if (IP_IS_V6_VAL(*ip)) {
		memcpy(out, ip_2_ip6(ip)->addr, 16);
	} else if (IP_IS_V4_VAL(*ip) && !ip4_addr_isany_val(*ip_2_ip4(ip))) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &ip_2_ip4(ip)->addr, 4);
	}
}

static void fill_common(struct inet_proc_sock *ps, struct inet_sock *isk, int family,
			const ip_addr_t *lip, uint16_t lport, const ip_addr_t *rip, uint16_t rport)
{
	memset(ps, 0, sizeof(*ps));
	ps->family = family;
	put_addr(family, lip, ps->local_addr);
	put_addr(family, rip, ps->remote_addr);
	ps->local_port = lport;
	ps->remote_port = rport;
	if (isk) {
		ps->uid = isk->uid;
		if (isk->sock && isk->sock->file && isk->sock->file->inode)
			ps->inode = isk->sock->file->inode->ino;
	}
}

static int tcp_list(int family, inet_proc_emit_fn emit, void *ctx)
{
	struct tcp_pcb *lists[3] = {tcp_listen_pcbs.pcbs, tcp_active_pcbs, tcp_tw_pcbs};
	for (int i = 0; i < 3; i++) {
		for (struct tcp_pcb *p = lists[i]; p; p = p->next) {
			struct inet_sock *isk = i == 2 ? NULL : p->callback_arg;
			if (pcb_family(isk, &p->local_ip) != family)
				continue;
			struct inet_proc_sock ps;
			fill_common(&ps, isk, family, &p->local_ip, p->local_port, &p->remote_ip,
				    p->remote_port);
			ps.state = pcb_linux_state(p->state);
			if (p->state == LISTEN) {
				ps.rx_queue = isk ? (uint32_t)isk->acc_len : 0;
				ps.listen_backlog = isk ? isk->backlog : 0;
				ps.remote_port = 0;
				memset(ps.remote_addr, 0, 16);
			} else if (p->state != TIME_WAIT) {
				ps.tx_queue = (uint32_t)(TCP_SND_BUF - tcp_sndbuf(p));
				ps.rx_queue = isk ? (uint32_t)isk->rx_bytes : 0;
			}
			int r = emit(ctx, &ps);
			if (r)
				return r;
		}
	}
	return 0;
}

static int udp_list(int family, inet_proc_emit_fn emit, void *ctx)
{
	for (struct udp_pcb *p = udp_pcbs; p; p = p->next) {
		struct inet_sock *isk = p->recv_arg;
		if (!p->local_port || pcb_family(isk, &p->local_ip) != family)
			continue;
		struct inet_proc_sock ps;
		bool conn = p->flags & UDP_FLAGS_CONNECTED;
		fill_common(&ps, isk, family, &p->local_ip, p->local_port, &p->remote_ip,
			    conn ? p->remote_port : 0);
		ps.state = conn ? 1 : 7;
		ps.rx_queue = isk ? (uint32_t)isk->rx_bytes : 0;
		int r = emit(ctx, &ps);
		if (r)
			return r;
	}
	return 0;
}

int inet_proc_for_each(int family, int proto, inet_proc_emit_fn emit, void *ctx)
{
	if (!netstack_started())
		return 0;
	inet_enter();
	int r = proto == LINUX_IPPROTO_TCP ? tcp_list(family, emit, ctx)
					   : proto == LINUX_IPPROTO_UDP ? udp_list(family, emit, ctx) : 0;
	inet_leave();
	return r;
}

int inet_proc_counts(struct inet_proc_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (!netstack_started())
		return 0;
	inet_enter();
	struct tcp_pcb *lists[3] = {tcp_listen_pcbs.pcbs, tcp_bound_pcbs, tcp_active_pcbs};
	for (int i = 0; i < 3; i++)
		for (struct tcp_pcb *p = lists[i]; p; p = p->next) {
			c->tcp_alloc++;
			if (p->callback_arg)
				c->tcp_inuse++;
			else
				c->tcp_orphan++;
		}
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		c->tcp_tw++;
	for (struct udp_pcb *p = udp_pcbs; p; p = p->next)
		c->udp_inuse++;
	inet_leave();
	return 0;
}
