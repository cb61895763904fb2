/*
 * AF_INET / AF_INET6 SOCK_STREAM on lwIP's TCP (raw API): connection set-up,
 * lwIP's callbacks, send/receive with flow control, shutdown, close, poll
 * (Linux's tcp_poll), ioctls. Options are in inet_tcp_opt.c. See
 * inet_impl.h for locking and lifetimes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "kernel/task.h"
#include "socket/inet_impl.h"

/* Segment size on loopback. lwIP's compiled-in TCP_MSS (1460) would make
 * every 1460 bytes a packet through the stack; both ends of a loopback
 * connection are lwIP, which accepts segments above the MSS it announced,
 * so a connected pcb's MSS is raised to this (below lo's MTU), and its
 * congestion window to a full window (the initial one, sized for the small
 * MSS, could not send one such segment; there is no congestion on lo). */
#define INET_LO_MSS 16384

/* The accept queue's hard limit: lwIP completes handshakes before we see
 * them, so backlog cannot drop SYNs as Linux does; connections beyond this
 * are reset. */
#define INET_ACCEPT_MAX SOCK_MAXCONN

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len);
static void tcp_err_cb(void *arg, err_t err);
static err_t tcp_bind_linux(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port);

/* --- pcbs ---------------------------------------------------------------- */

static void attach(struct inet_sock *isk, struct tcp_pcb *pcb)
{
	isk->tcp = pcb;
	tcp_arg(pcb, isk);
	tcp_recv(pcb, tcp_recv_cb);
	tcp_sent(pcb, tcp_sent_cb);
	tcp_err(pcb, tcp_err_cb);
}

/* Cut a pcb loose from its inet_sock: no callback will see isk again. */
static void detach(struct inet_sock *isk)
{
	struct tcp_pcb *pcb = isk->tcp;
	if (!pcb)
		return;
	isk->local_ip = pcb->local_ip;
	isk->local_port = pcb->local_port;
	tcp_arg(pcb, NULL);
	if (pcb->state == LISTEN) {
		tcp_accept(pcb, NULL);
	} else {
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	}
	isk->tcp = NULL;
}

/* Our FIN was acknowledged and the peer's came: lwIP moved the pcb to its
 * TIME_WAIT list, which frees pcbs without telling us. The socket itself is
 * closed now, as Linux's (tcp_time_wait -> tcp_done). Core+inet locks. */
static void check_time_wait(struct inet_sock *isk, struct tcp_pcb *pcb)
{
	if (pcb->state != TIME_WAIT || isk->tcp != pcb)
		return;
	detach(isk);
	isk->state = IS_CLOSED;
	isk->shutdown = SHUTDOWN_MASK;
	inet_wake(isk, 0);
}

void inet_tcp_apply_opts(struct inet_sock *isk)
{
	struct tcp_pcb *pcb = isk->tcp;
	if (!pcb)
		return;
	pcb->ttl = isk->ttl < 0 ? 64 : (u8_t)isk->ttl;
	pcb->tos = (u8_t)isk->tos;
	if (pcb->state == LISTEN)
		return;
	/* Nagle stays off: lwIP delays ACKs up to 250 ms, which Nagle would
	 * turn into stalls that Linux's loopback (quick ACKs) never shows.
	 * TCP_NODELAY is still reported as set by the application. */
	tcp_nagle_disable(pcb);
	if (isk->keepalive)
		ip_set_option(pcb, SOF_KEEPALIVE);
	else
		ip_reset_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = (u32_t)isk->keepidle * 1000;
#if LWIP_TCP_KEEPALIVE
	pcb->keep_intvl = (u32_t)isk->keepintvl * 1000;
	pcb->keep_cnt = (u32_t)isk->keepcnt;
#endif
}

/* inet_enter()ed: make the pcb if there is none (bound again to the name
 * bind() gave, after a failed connect dropped the old one). */
static int ensure_pcb(struct inet_sock *isk)
{
	if (isk->tcp)
		return 0;
	struct tcp_pcb *pcb = tcp_new_ip_type(inet_pcb_type(isk));
	if (!pcb)
		return -ENOBUFS;
	if (isk->sock && atomic_load(&isk->sock->reuseaddr))
		ip_set_option(pcb, SOF_REUSEADDR);
	attach(isk, pcb);
	inet_tcp_apply_opts(isk);
	if (isk->bound) {
		err_t e = tcp_bind_linux(pcb, &isk->bind_ip, isk->bind_port);
		if (e != ERR_OK) {
			detach(isk);
			tcp_abort(pcb);
			return inet_lwip_err(e);
		}
	}
	return 0;
}

/* One address is IPv4 and the other IPv6 (neither a dual-stack "any"):
 * Linux keeps their ports apart, lwIP's bind check does not. */
static bool ip_disjoint(const ip_addr_t *a, const ip_addr_t *b)
{
	return !IP_IS_ANY_TYPE_VAL(*a) && !IP_IS_ANY_TYPE_VAL(*b) &&
	       IP_GET_TYPE(a) != IP_GET_TYPE(b);
}

#define LEND_MAX 64

/* tcp_bind with Linux's family separation: lwIP sees any "any" address as
 * overlapping every address of the other family, so pcbs of the other
 * family on the port are lent SOF_REUSEADDR (as is ours) for the call,
 * after the same-family conflicts lwIP would then skip are checked here.
 * Core lock held. */
static err_t tcp_bind_linux(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port)
{
	struct tcp_pcb *lists[4] = {tcp_listen_pcbs.pcbs, tcp_bound_pcbs, tcp_active_pcbs,
				    tcp_tw_pcbs};
	struct tcp_pcb *lent[LEND_MAX];
	int nlent = 0, ndis = 0;
	bool ours = ip_get_option(pcb, SOF_REUSEADDR);
	if (!port)
		return tcp_bind(pcb, ip, port);
	for (int i = 0; i < 4; i++)
		for (struct tcp_pcb *c = lists[i]; c; c = c->next) {
			if (c == pcb || c->local_port != port)
				continue;
			if (ip_disjoint(&c->local_ip, ip)) {
				ndis++;
				continue;
			}
			/* What lwIP would check, had we not lent the option. */
			bool reuse = i == 3 ? ours : ours && ip_get_option(c, SOF_REUSEADDR);
			if (!reuse && (ip_addr_isany(&c->local_ip) || ip_addr_isany(ip) ||
				       ip_addr_cmp(&c->local_ip, ip)))
				return ERR_USE;
		}
	if (!ndis)
		return tcp_bind(pcb, ip, port);
	for (int i = 0; i < 4; i++)
		for (struct tcp_pcb *c = lists[i]; c; c = c->next) {
			if (c == pcb || c->local_port != port || !ip_disjoint(&c->local_ip, ip) ||
			    ip_get_option(c, SOF_REUSEADDR))
				continue;
			if (nlent == LEND_MAX)
				goto restore;
			ip_set_option(c, SOF_REUSEADDR);
			lent[nlent++] = c;
		}
	ip_set_option(pcb, SOF_REUSEADDR);
	err_t e = tcp_bind(pcb, ip, port);
	if (!ours)
		ip_reset_option(pcb, SOF_REUSEADDR);
	for (int i = 0; i < nlent; i++)
		ip_reset_option(lent[i], SOF_REUSEADDR);
	return e;
restore:
	for (int i = 0; i < nlent; i++)
		ip_reset_option(lent[i], SOF_REUSEADDR);
	return ERR_USE;
}

/* lwIP never reuses a port a TIME_WAIT pcb holds, and keeps those 2 MSL
 * (120 s): 16k short connections on lo exhaust the ephemeral range where
 * Linux reuses TIME_WAIT ports for new connections (tcp_tw_reuse). When no
 * port is left, drop the older half of the TIME_WAIT pcbs (lwIP does the
 * same when it runs out of pcbs) so that the caller can try again. They
 * belong to no socket any more (detached when they got there). Core lock
 * held. */
static bool reclaim_time_wait(void)
{
	size_t n = 0, i = 0;
	for (struct tcp_pcb *p = tcp_tw_pcbs; p; p = p->next)
		n++;
	if (!n)
		return false;
	struct tcp_pcb *p = tcp_tw_pcbs; /* newest first */
	while (p && i < n / 2) {
		p = p->next;
		i++;
	}
	while (p) {
		struct tcp_pcb *next = p->next;
		tcp_abort(p); /* a TIME_WAIT pcb is just freed, no reset */
		p = next;
	}
	return true;
}

static bool reuseport(struct inet_sock *isk)
{
	return isk && isk->sock && atomic_load(&isk->sock->reuseport);
}

/* Does a listener hold port on an address overlapping ip? lwIP lets two
 * SO_REUSEADDR sockets share a port even when one listens; Linux does not
 * (unless both set SO_REUSEPORT). */
static bool listener_conflict(struct inet_sock *me, const ip_addr_t *ip, uint16_t port)
{
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next) {
		if (l->local_port != port)
			continue;
		if (reuseport(me) && reuseport(l->callback_arg))
			continue;
		if (ip_disjoint(&l->local_ip, ip))
			continue;
		if (ip_addr_isany(&l->local_ip) || ip_addr_isany(ip) || ip_addr_cmp(&l->local_ip, ip))
			return true;
	}
	return false;
}

int inet_tcp_bind(struct inet_sock *isk, const ip_addr_t *ip, uint16_t port)
{
	int err;
	inet_enter();
	if (isk->bound || isk->state != IS_CLOSED || (isk->tcp && isk->tcp->local_port)) {
		err = -EINVAL;
		goto out;
	}
	if (port && listener_conflict(isk, ip, port)) {
		err = -EADDRINUSE;
		goto out;
	}
	if ((err = ensure_pcb(isk)))
		goto out;
	/* SO_REUSEPORT: lwIP's SOF_REUSEADDR lets the bind share the port
	 * (listener_conflict above kept Linux's rules). */
	if (reuseport(isk))
		ip_set_option(isk->tcp, SOF_REUSEADDR);
	err_t e = tcp_bind_linux(isk->tcp, ip, port);
	if (e == ERR_BUF && !port && reclaim_time_wait())
		e = tcp_bind_linux(isk->tcp, ip, port);
	if (e == ERR_BUF)
		err = -EADDRINUSE; /* no free ephemeral port */
	else
		err = inet_lwip_err(e);
	if (!err) {
		isk->bound = true;
		ip_addr_copy(isk->bind_ip, *ip);
		isk->bind_port = isk->tcp->local_port;
	}
out:
	inet_leave();
	return err;
}

/* --- callbacks (tcpip thread, core lock held) ---------------------------- */

static void raise_mss(struct tcp_pcb *pcb)
{
	pcb->mss = INET_LO_MSS;
	if (pcb->cwnd < TCP_WND)
		pcb->cwnd = TCP_WND;
}

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct inet_sock *isk = arg;
	(void)err;
	if (!isk) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	pthread_mutex_lock(&inet_lock);
	if (!p) {
		isk->peer_fin = true;
		isk->shutdown |= RCV_SHUTDOWN;
		inet_wake(isk, INET_EV_IN | POLLRDHUP);
		check_time_wait(isk, pcb);
	} else {
		struct inet_rx *rx = calloc(1, sizeof(*rx));
		if (!rx) {
			pthread_mutex_unlock(&inet_lock);
			return ERR_MEM; /* lwIP keeps it and offers it again */
		}
		rx->p = p;
		if (isk->rx_tail)
			isk->rx_tail->next = rx;
		else
			isk->rx_head = rx;
		isk->rx_tail = rx;
		isk->rx_bytes += p->tot_len;
		isk->rx_count++;
		inet_wake(isk, INET_EV_IN);
	}
	pthread_mutex_unlock(&inet_lock);
	return ERR_OK;
}

/* Linux's __sk_stream_is_writeable: free space at least half the queued. */
static bool tcp_writable(struct inet_sock *isk)
{
	struct tcp_pcb *pcb = isk->tcp;
	if (!pcb || pcb->state == LISTEN)
		return true;
	size_t space = tcp_sndbuf(pcb);
	size_t queued = TCP_SND_BUF - space;
	return space > 0 && space >= queued / 2 && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN / 2;
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct inet_sock *isk = arg;
	(void)len;
	if (!isk)
		return ERR_OK;
	pthread_mutex_lock(&inet_lock);
	pthread_cond_broadcast(&isk->cond);
	if (tcp_writable(isk))
		waitq_wake(&isk->wq, INET_EV_OUT);
	check_time_wait(isk, pcb);
	pthread_mutex_unlock(&inet_lock);
	return ERR_OK;
}

/* The pcb is gone (freed by lwIP): reset, refused, timed out, or closed
 * after both FINs. */
static void tcp_err_cb(void *arg, err_t err)
{
	struct inet_sock *isk = arg;
	if (!isk)
		return;
	pthread_mutex_lock(&inet_lock);
	isk->tcp = NULL;
	int e;
	if (isk->state == IS_CONNECTING)
		e = err == ERR_ABRT ? ETIMEDOUT : ECONNREFUSED;
	else if (err == ERR_RST)
		e = isk->peer_fin ? EPIPE : ECONNRESET;
	else if (err == ERR_ABRT)
		e = ETIMEDOUT;
	else if (err == ERR_CLSD)
		e = 0;
	else
		e = ECONNRESET;
	if (e)
		isk->err = e;
	isk->state = IS_CLOSED;
	isk->shutdown = SHUTDOWN_MASK;
	inet_wake(isk, 0);
	pthread_mutex_unlock(&inet_lock);
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *isk = arg;
	(void)err;
	if (!isk)
		return ERR_OK;
	pthread_mutex_lock(&inet_lock);
	if (isk->state == IS_CONNECTING) {
		isk->state = IS_CONNECTED;
		raise_mss(pcb);
		ip_addr_copy(isk->local_ip, pcb->local_ip);
		isk->local_port = pcb->local_port;
	}
	inet_wake(isk, INET_EV_OUT);
	pthread_mutex_unlock(&inet_lock);
	return ERR_OK;
}

/* A connection completed its handshake on a listener: queue its server
 * end for accept(). */
static err_t tcp_accept_cb(void *arg, struct tcp_pcb *npcb, err_t err)
{
	struct inet_sock *l = arg;
	if (err != ERR_OK || !npcb)
		return ERR_VAL;
	pthread_mutex_lock(&inet_lock);
	struct inet_sock *e = NULL;
	if (l && l->state == IS_LISTEN && l->acc_len < INET_ACCEPT_MAX)
		e = inet_sock_alloc(l->family, LINUX_SOCK_STREAM);
	if (!e) {
		pthread_mutex_unlock(&inet_lock);
		tcp_abort(npcb);
		return ERR_ABRT;
	}
	e->v6only = l->v6only;
	e->nodelay = l->nodelay;
	e->cork = l->cork;
	e->keepalive = l->keepalive;
	e->keepidle = l->keepidle;
	e->keepintvl = l->keepintvl;
	e->keepcnt = l->keepcnt;
	e->ttl = l->ttl;
	e->tos = l->tos;
	e->user_timeout = l->user_timeout;
	e->uid = l->uid;
	e->state = IS_CONNECTED;
	ip_addr_copy(e->peer_ip, npcb->remote_ip);
	e->peer_port = npcb->remote_port;
	ip_addr_copy(e->local_ip, npcb->local_ip);
	e->local_port = npcb->local_port;
	raise_mss(npcb);
	attach(e, npcb);
	inet_tcp_apply_opts(e);
	if (l->acc_tail)
		l->acc_tail->acc_next = e;
	else
		l->acc_head = e;
	l->acc_tail = e;
	l->acc_len++;
	inet_wake(l, INET_EV_IN);
	pthread_mutex_unlock(&inet_lock);
	return ERR_OK;
}

/* --- listen / accept / connect ------------------------------------------- */

int inet_tcp_listen(struct inet_sock *isk, int backlog)
{
	int err = 0;
	if (backlog < 0 || backlog > SOCK_MAXCONN)
		backlog = SOCK_MAXCONN;
	inet_enter();
	if (isk->state == IS_LISTEN) {
		isk->backlog = backlog;
		goto out;
	}
	if (isk->state != IS_CLOSED || isk->ss_connecting) {
		err = -EINVAL;
		goto out;
	}
	if ((err = ensure_pcb(isk)))
		goto out;
	if (!isk->tcp->local_port) {
		ip_addr_t any;
		inet_any_addr(isk, &any);
		err_t be = tcp_bind(isk->tcp, &any, 0);
		if (be == ERR_BUF && reclaim_time_wait())
			be = tcp_bind(isk->tcp, &any, 0);
		if ((err = be == ERR_BUF ? -EADDRINUSE : inet_lwip_err(be)))
			goto out;
	} else if (listener_conflict(isk, &isk->tcp->local_ip, isk->tcp->local_port)) {
		err = -EADDRINUSE;
		goto out;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *pcb = isk->tcp;
	/* SO_REUSEPORT listeners share the port: lwIP refuses a second
	 * listener only for SOF_REUSEADDR pcbs (new connections go to the
	 * first listener lwIP finds, not spread as Linux's hash does). */
	bool shared = reuseport(isk);
	u8_t had_reuse = ip_get_option(pcb, SOF_REUSEADDR);
	if (shared)
		ip_reset_option(pcb, SOF_REUSEADDR);
	struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(pcb, 255, &e);
	if (shared && had_reuse)
		ip_set_option(lpcb ? lpcb : pcb, SOF_REUSEADDR);
	if (!lpcb) {
		err = e == ERR_USE ? -EADDRINUSE : inet_lwip_err(e);
		if (!err)
			err = -ENOBUFS;
		goto out;
	}
	/* lwIP freed pcb and made lpcb. */
	isk->tcp = lpcb;
	tcp_arg(lpcb, isk);
	tcp_accept(lpcb, tcp_accept_cb);
	isk->state = IS_LISTEN;
	isk->backlog = backlog;
	inet_wake(isk, 0);
out:
	inet_leave();
	return err;
}

/* inet_enter()ed: close a listener, resetting the connections nobody
 * accepted (as Linux's inet_csk_listen_stop). */
static void close_listener(struct inet_sock *isk)
{
	struct inet_sock *e;
	while ((e = isk->acc_head)) {
		isk->acc_head = e->acc_next;
		struct tcp_pcb *pcb = e->tcp;
		detach(e);
		if (pcb)
			tcp_abort(pcb);
		inet_sock_free(e);
	}
	isk->acc_tail = NULL;
	isk->acc_len = 0;
	struct tcp_pcb *lpcb = isk->tcp;
	detach(isk);
	if (lpcb && tcp_close(lpcb) != ERR_OK)
		tcp_abort(lpcb);
	isk->state = IS_CLOSED;
	inet_wake(isk, 0);
}

int inet_tcp_accept(struct socket *s, struct socket *ns, bool nonblock)
{
	struct inet_sock *isk = s->sk;
	int err = 0;
	int64_t deadline = sock_deadline(atomic_load(&s->rcvtimeo_ns));
	inet_enter();
	for (;;) {
		if (isk->state != IS_LISTEN) {
			err = -EINVAL;
			break;
		}
		if (isk->acc_head)
			break;
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		if ((err = inet_wait(isk, deadline)) < 0)
			break;
	}
	if (err) {
		inet_leave();
		return err;
	}
	struct inet_sock *e = isk->acc_head;
	isk->acc_head = e->acc_next;
	if (!isk->acc_head)
		isk->acc_tail = NULL;
	isk->acc_len--;
	e->acc_next = NULL;
	struct inet_sock *fresh = ns->sk;
	ns->sk = e;
	e->sock = ns;
	/* The new socket inherits the listener's socket options (sk_clone). */
	atomic_store(&ns->sndbuf, atomic_load(&s->sndbuf));
	atomic_store(&ns->rcvbuf, atomic_load(&s->rcvbuf));
	atomic_store(&ns->rcvtimeo_ns, atomic_load(&s->rcvtimeo_ns));
	atomic_store(&ns->sndtimeo_ns, atomic_load(&s->sndtimeo_ns));
	atomic_store(&ns->reuseaddr, atomic_load(&s->reuseaddr));
	atomic_store(&ns->keepalive, atomic_load(&s->keepalive));
	atomic_store(&ns->linger_onoff, atomic_load(&s->linger_onoff));
	atomic_store(&ns->linger_secs, atomic_load(&s->linger_secs));
	atomic_store(&ns->rcvlowat, atomic_load(&s->rcvlowat));
	atomic_store(&ns->priority, atomic_load(&s->priority));
	inet_leave();
	if (fresh)
		inet_sock_free(fresh); /* never had a pcb */
	return 0;
}

int inet_tcp_connect(struct socket *s, const ip_addr_t *ip, uint16_t port, bool nonblock)
{
	struct inet_sock *isk = s->sk;
	int err = 0;
	inet_enter();
	switch (isk->state) {
	case IS_LISTEN:
	case IS_CONNECTED:
		if (isk->ss_connecting && isk->state == IS_CONNECTED) {
			/* The non-blocking connect completed: report it once. */
			isk->ss_connecting = false;
			err = 0;
		} else {
			err = -EISCONN;
		}
		goto out;
	case IS_CONNECTING:
		if (nonblock) {
			err = -EALREADY;
			goto out;
		}
		break;
	case IS_CLOSED:
		if (isk->ss_connecting) {
			/* A non-blocking connect failed: Linux reports the error
			 * (or ECONNABORTED) to the next connect. */
			isk->ss_connecting = false;
			err = isk->err ? -isk->err : -ECONNABORTED;
			isk->err = 0;
			goto out;
		}
		if ((err = ensure_pcb(isk)))
			goto out;
		isk->err = 0;
		isk->shutdown = 0;
		isk->peer_fin = false;
		err_t e = tcp_connect(isk->tcp, ip, port, tcp_connected_cb);
		if ((e == ERR_BUF || e == ERR_USE) && !isk->tcp->local_port && reclaim_time_wait())
			e = tcp_connect(isk->tcp, ip, port, tcp_connected_cb);
		if (e != ERR_OK) {
			err = e == ERR_USE || e == ERR_BUF ? -EADDRNOTAVAIL : inet_lwip_err(e);
			goto out;
		}
		ip_addr_copy(isk->peer_ip, *ip);
		isk->peer_port = port;
		isk->state = IS_CONNECTING;
		isk->ss_connecting = true;
		if (nonblock) {
			err = -EINPROGRESS;
			goto out;
		}
		break;
	}
	int64_t deadline = sock_deadline(atomic_load(&s->sndtimeo_ns));
	while (isk->state == IS_CONNECTING) {
		if ((err = inet_wait(isk, deadline)) < 0) {
			if (err == -EAGAIN)
				err = -EINPROGRESS; /* SO_SNDTIMEO ran out */
			goto out;
		}
	}
	isk->ss_connecting = false;
	if (isk->state == IS_CONNECTED) {
		err = 0;
	} else {
		err = isk->err ? -isk->err : -ECONNABORTED;
		isk->err = 0;
	}
out:
	inet_leave();
	return err;
}

/* connect(AF_UNSPEC): Linux's tcp_disconnect (a reset if connected). */
int inet_tcp_disconnect(struct inet_sock *isk)
{
	inet_enter();
	if (isk->state == IS_LISTEN) {
		close_listener(isk);
	} else if (isk->tcp && isk->state != IS_CLOSED) {
		struct tcp_pcb *pcb = isk->tcp;
		detach(isk);
		tcp_abort(pcb);
	}
	isk->state = IS_CLOSED;
	isk->ss_connecting = false;
	isk->shutdown = 0;
	isk->peer_fin = false;
	inet_rx_purge(isk);
	inet_wake(isk, 0);
	inet_leave();
	return 0;
}

/* --- data ---------------------------------------------------------------- */

ssize_t inet_tcp_sendmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	int64_t deadline = sock_deadline(atomic_load(&s->sndtimeo_ns));
	size_t done = 0;
	ssize_t err = 0;
	inet_enter();
	for (;;) {
		if (isk->err) {
			if (!done) {
				err = -isk->err;
				isk->err = 0;
			}
			break;
		}
		if (isk->shutdown & SEND_SHUTDOWN) {
			err = -EPIPE;
			break;
		}
		if (isk->state != IS_CONNECTING && (isk->state != IS_CONNECTED || !isk->tcp)) {
			err = -EPIPE;
			break;
		}
		if (done >= m->len)
			break;
		struct tcp_pcb *pcb = isk->tcp;
		size_t space = 0;
		if (isk->state == IS_CONNECTED && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN - 2)
			space = tcp_sndbuf(pcb);
		if (space == 0) {
			if (flags & LINUX_MSG_DONTWAIT) {
				if (!done)
					err = -EAGAIN;
				break;
			}
			if ((err = inet_wait(isk, deadline)) < 0) {
				if (done)
					err = 0;
				break;
			}
			continue;
		}
		size_t n = m->len - done;
		if (n > space)
			n = space;
		if (n > 0xffff)
			n = 0xffff;
		u8_t wflags = TCP_WRITE_FLAG_COPY;
		if (n < m->len - done || (flags & LINUX_MSG_MORE))
			wflags |= TCP_WRITE_FLAG_MORE;
		err_t e = tcp_write(pcb, m->data + done, (u16_t)n, wflags);
		if (e == ERR_MEM) {
			/* The segment queue is full: wait for ACKs, unless nothing
			 * is in flight to bring them. */
			tcp_output(pcb);
			if (!pcb->unacked && !pcb->unsent) {
				if (!done)
					err = -ENOBUFS;
				break;
			}
			if (flags & LINUX_MSG_DONTWAIT) {
				if (!done)
					err = -EAGAIN;
				break;
			}
			if ((err = inet_wait(isk, deadline)) < 0) {
				if (done)
					err = 0;
				break;
			}
			continue;
		}
		if (e != ERR_OK) {
			if (!done)
				err = inet_lwip_err(e);
			break;
		}
		done += n;
		tcp_output(pcb);
	}
	inet_leave();
	if (done)
		return (ssize_t)done;
	if (err == -EPIPE)
		m->sigpipe = true;
	return err;
}

/* Copy up to max queued bytes (from the start when peeking, else taking
 * them, and opening the window by as much). Core+inet locks. */
static size_t rx_take(struct inet_sock *isk, char *buf, size_t max, bool peek)
{
	size_t n = 0;
	struct inet_rx *rx = isk->rx_head;
	while (n < max && rx) {
		size_t avail = rx->p->tot_len - rx->off;
		size_t c = max - n < avail ? max - n : avail;
		pbuf_copy_partial(rx->p, buf + n, (u16_t)c, (u16_t)rx->off);
		n += c;
		if (peek) {
			rx = rx->next;
			continue;
		}
		rx->off += (uint32_t)c;
		if (rx->off >= rx->p->tot_len) {
			isk->rx_head = rx->next;
			if (!isk->rx_head)
				isk->rx_tail = NULL;
			isk->rx_count--;
			pbuf_free(rx->p);
			free(rx);
			rx = isk->rx_head;
		}
	}
	if (!peek && n) {
		isk->rx_bytes -= n;
		if (isk->tcp && isk->tcp->state != LISTEN) {
			for (size_t left = n; left;) {
				u16_t c = left > 0xffff ? 0xffff : (u16_t)left;
				tcp_recved(isk->tcp, c);
				left -= c;
			}
		}
	}
	return n;
}

/* Linux's tcp_recvmsg. */
ssize_t inet_tcp_recvmsg(struct socket *s, struct sock_msg *m, int flags)
{
	struct inet_sock *isk = s->sk;
	bool peek = flags & LINUX_MSG_PEEK;
	int64_t deadline = sock_deadline(atomic_load(&s->rcvtimeo_ns));
	size_t lowat = (size_t)atomic_load(&s->rcvlowat);
	size_t target = (flags & LINUX_MSG_WAITALL) ? m->len : (lowat < m->len ? lowat : m->len);
	size_t copied = 0;
	ssize_t r = 0;
	m->addrlen = 0;
	inet_enter();
	if (isk->state == IS_LISTEN) {
		r = -ENOTCONN;
		goto out;
	}
	if (!m->len)
		goto out;
	for (;;) {
		if (peek)
			copied = rx_take(isk, m->data, m->len, true);
		else
			copied += rx_take(isk, m->data + copied, m->len - copied, false);
		if (copied >= target)
			break;
		if (copied) {
			if (isk->err || isk->state == IS_CLOSED || (isk->shutdown & RCV_SHUTDOWN) ||
			    (flags & LINUX_MSG_DONTWAIT))
				break;
		} else {
			if (isk->err) {
				r = -isk->err;
				isk->err = 0;
				goto out;
			}
			if (isk->shutdown & RCV_SHUTDOWN)
				break;
			if (isk->state == IS_CLOSED) {
				r = -ENOTCONN;
				goto out;
			}
			if (flags & LINUX_MSG_DONTWAIT) {
				r = -EAGAIN;
				goto out;
			}
		}
		int w = inet_wait(isk, deadline);
		if (w < 0) {
			if (!copied)
				r = w;
			break;
		}
	}
	if (!r)
		r = (ssize_t)copied;
out:
	inet_leave();
	return r;
}

int inet_tcp_shutdown(struct inet_sock *isk, int how)
{
	int mode = (how + 1) & SHUTDOWN_MASK;
	int err = 0;
	inet_enter();
	switch (isk->state) {
	case IS_LISTEN:
		if (mode & RCV_SHUTDOWN)
			close_listener(isk); /* wakes accept() with EINVAL */
		break;
	case IS_CONNECTING:
		if (isk->tcp) {
			struct tcp_pcb *pcb = isk->tcp;
			detach(isk);
			tcp_abort(pcb);
		}
		isk->state = IS_CLOSED;
		isk->ss_connecting = false;
		inet_wake(isk, 0);
		break;
	case IS_CLOSED:
		err = -ENOTCONN;
		isk->shutdown |= mode;
		inet_wake(isk, 0);
		break;
	case IS_CONNECTED:
		if ((mode & SEND_SHUTDOWN) && !(isk->shutdown & SEND_SHUTDOWN) && isk->tcp) {
			err_t e = tcp_shutdown(isk->tcp, 0, 1);
			if (e != ERR_OK)
				err = inet_lwip_err(e);
		}
		isk->shutdown |= mode;
		inet_wake(isk, 0);
		break;
	}
	inet_leave();
	return err;
}

void inet_tcp_release(struct socket *s, struct inet_sock *isk)
{
	inet_enter();
	if (isk->state == IS_LISTEN) {
		close_listener(isk);
	} else if (isk->tcp) {
		struct tcp_pcb *pcb = isk->tcp;
		bool linger0 = atomic_load(&s->linger_onoff) && atomic_load(&s->linger_secs) == 0;
		detach(isk);
		/* Unread data or SO_LINGER 0: a reset, as Linux's tcp_close. */
		if (isk->rx_bytes || linger0 || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	inet_rx_purge(isk);
	inet_leave();
}

/* Linux's tcp_poll. */
unsigned inet_tcp_poll(struct inet_sock *isk)
{
	unsigned mask = 0;
	inet_enter();
	if (isk->state == IS_LISTEN) {
		mask = isk->acc_head ? INET_EV_IN : 0;
		goto out;
	}
	if (isk->shutdown == SHUTDOWN_MASK || isk->state == IS_CLOSED)
		mask |= POLLHUP;
	if (isk->shutdown & RCV_SHUTDOWN)
		mask |= INET_EV_IN | POLLRDHUP;
	if (isk->state != IS_CONNECTING) {
		size_t lowat = isk->sock ? (size_t)atomic_load(&isk->sock->rcvlowat) : 1;
		if (isk->rx_bytes && isk->rx_bytes >= lowat)
			mask |= INET_EV_IN;
		if (!(isk->shutdown & SEND_SHUTDOWN)) {
			if (tcp_writable(isk))
				mask |= POLLOUT | POLLWRNORM;
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
	}
	if (isk->err)
		mask |= POLLERR;
out:
	inet_leave();
	return mask;
}

int inet_tcp_ioctl(struct inet_sock *isk, unsigned cmd, int *out)
{
	int err = 0;
	inet_enter();
	switch (cmd) {
	case LINUX_FIONREAD:
		if (isk->state == IS_LISTEN)
			err = -EINVAL;
		else
			*out = isk->rx_bytes > INT32_MAX ? INT32_MAX : (int)isk->rx_bytes;
		break;
	case LINUX_SIOCOUTQ:
		if (isk->state == IS_LISTEN)
			err = -EINVAL;
		else
			*out = isk->tcp ? (int)(TCP_SND_BUF - tcp_sndbuf(isk->tcp)) : 0;
		break;
	case LINUX_SIOCOUTQNSD:
		if (isk->state == IS_LISTEN)
			err = -EINVAL;
		else
			*out = isk->tcp ? (int)(isk->tcp->snd_lbb - isk->tcp->snd_nxt) : 0;
		break;
	default:
		err = -ENOTTY;
	}
	inet_leave();
	return err;
}
