/*
 * IPPROTO_TCP options of inet stream sockets: kept in the inet_sock and
 * applied to the lwIP pcb (keepalive timing); TCP_INFO from the pcb.
 */
#include <errno.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "socket/inet_impl.h"

/* Linux's struct tcp_info, the fields up to tcpi_total_retrans; the rest of
 * what Linux copies (up to TCP_INFO_LEN bytes) is zero. */
struct linux_tcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, app_limited;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	uint32_t rcv_rtt, rcv_space, total_retrans;
};
#define TCP_INFO_LEN 232

/* Linux's TCP states (include/net/tcp_states.h). */
enum {
	L_ESTABLISHED = 1, L_SYN_SENT, L_SYN_RECV, L_FIN_WAIT1, L_FIN_WAIT2, L_TIME_WAIT,
	L_CLOSE, L_CLOSE_WAIT, L_LAST_ACK, L_LISTEN, L_CLOSING
};

static uint8_t linux_state(struct inet_sock *isk)
{
	if (isk->state == IS_LISTEN)
		return L_LISTEN;
	if (!isk->tcp)
		return isk->state == IS_CONNECTED ? L_ESTABLISHED : L_CLOSE;
	switch (isk->tcp->state) {
	case CLOSED: return L_CLOSE;
	case LISTEN: return L_LISTEN;
	case SYN_SENT: return L_SYN_SENT;
	case SYN_RCVD: return L_SYN_RECV;
	case ESTABLISHED: return L_ESTABLISHED;
	case FIN_WAIT_1: return L_FIN_WAIT1;
	case FIN_WAIT_2: return L_FIN_WAIT2;
	case CLOSE_WAIT: return L_CLOSE_WAIT;
	case CLOSING: return L_CLOSING;
	case LAST_ACK: return L_LAST_ACK;
	case TIME_WAIT: return L_TIME_WAIT;
	}
	return L_CLOSE;
}

static void tcp_info_fill(struct inet_sock *isk, unsigned char *out)
{
	struct linux_tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	ti.state = linux_state(isk);
	ti.pmtu = 65535;
	ti.rto = 3000000; /* Linux's initial 3 s (1 s after RFC 6298...) */
	ti.ato = 40000;
	ti.snd_mss = ti.rcv_mss = ti.advmss = 536;
	ti.snd_cwnd = 10;
	ti.reordering = 3;
	ti.snd_ssthresh = 0x7fffffff;
	ti.rcv_ssthresh = TCP_WND;
	struct tcp_pcb *pcb = isk->tcp;
	if (pcb && pcb->state != LISTEN && pcb->state != CLOSED) {
		ti.snd_mss = ti.rcv_mss = ti.advmss = pcb->mss;
		ti.rto = (uint32_t)pcb->rto * TCP_SLOW_INTERVAL * 1000;
		if (pcb->mss)
			ti.snd_cwnd = pcb->cwnd / pcb->mss;
		ti.snd_ssthresh = pcb->ssthresh;
		ti.rtt = (uint32_t)(pcb->sa >> 3) * TCP_SLOW_INTERVAL * 1000;
		ti.rttvar = (uint32_t)(pcb->sv >> 2) * TCP_SLOW_INTERVAL * 1000;
		ti.retransmits = pcb->nrtx;
		ti.backoff = pcb->nrtx;
		unsigned n = 0;
		for (struct tcp_seg *seg = pcb->unacked; seg; seg = seg->next)
			n++;
		ti.unacked = n;
#if LWIP_WND_SCALE
		if (pcb->flags & TF_WND_SCALE) {
			ti.options |= 4; /* TCPI_OPT_WSCALE */
			ti.wscale = (uint8_t)((pcb->snd_scale & 0xf) | (pcb->rcv_scale << 4));
		}
#endif
		ti.rcv_space = TCP_WND;
	}
	memset(out, 0, TCP_INFO_LEN);
	memcpy(out, &ti, sizeof(ti));
}

static int put_int(void *val, uint32_t *len, int v)
{
	uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

int inet_tcp_getsockopt(struct inet_sock *isk, int name, void *val, uint32_t *len)
{
	int v;
	inet_enter();
	switch (name) {
	case LINUX_TCP_NODELAY: v = isk->nodelay; break;
	case LINUX_TCP_CORK: v = isk->cork; break;
	case LINUX_TCP_KEEPIDLE: v = isk->keepidle; break;
	case LINUX_TCP_KEEPINTVL: v = isk->keepintvl; break;
	case LINUX_TCP_KEEPCNT: v = isk->keepcnt; break;
	case LINUX_TCP_QUICKACK: v = 1; break;
	case LINUX_TCP_USER_TIMEOUT: v = isk->user_timeout; break;
	case LINUX_TCP_MAXSEG:
		if (isk->tcp && isk->state == IS_CONNECTED)
			v = isk->tcp->mss;
		else
			v = isk->maxseg ? isk->maxseg : 536; /* TCP_MSS_DEFAULT */
		break;
	case LINUX_TCP_INFO: {
		unsigned char buf[TCP_INFO_LEN];
		tcp_info_fill(isk, buf);
		inet_leave();
		uint32_t n = *len < TCP_INFO_LEN ? *len : TCP_INFO_LEN;
		memcpy(val, buf, n);
		*len = n;
		return 0;
	}
	default:
		inet_leave();
		return -ENOPROTOOPT;
	}
	inet_leave();
	return put_int(val, len, v);
}

int inet_tcp_setsockopt(struct inet_sock *isk, int name, const void *val, uint32_t len)
{
	int v, err = 0;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(int));
	inet_enter();
	switch (name) {
	case LINUX_TCP_NODELAY: isk->nodelay = v != 0; break;
	case LINUX_TCP_CORK: isk->cork = v != 0; break;
	case LINUX_TCP_QUICKACK: break;
	case LINUX_TCP_KEEPIDLE:
		if (v < 1 || v > 32767)
			err = -EINVAL;
		else
			isk->keepidle = v;
		break;
	case LINUX_TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			err = -EINVAL;
		else
			isk->keepintvl = v;
		break;
	case LINUX_TCP_KEEPCNT:
		if (v < 1 || v > 127)
			err = -EINVAL;
		else
			isk->keepcnt = v;
		break;
	case LINUX_TCP_USER_TIMEOUT:
		if (v < 0)
			err = -EINVAL;
		else
			isk->user_timeout = v;
		break;
	case LINUX_TCP_MAXSEG:
		if (v && (v < 88 || v > 65535)) /* TCP_MIN_MSS, MAX_TCP_WINDOW */
			err = -EINVAL;
		else
			isk->maxseg = v;
		break;
	default:
		err = -ENOPROTOOPT;
	}
	if (!err)
		inet_tcp_apply_opts(isk);
	inet_leave();
	return err;
}
