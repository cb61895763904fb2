/*
 * AF_NETLINK sockets, NETLINK_ROUTE only (other protocols:
 * EPROTONOSUPPORT). A socket has a port id (nl_pid: bound explicitly or
 * autobound to the caller's tgid, else a negative number as Linux's
 * rover), a queue of reply datagrams, and the SOL_NETLINK flags. Messages
 * sent to the kernel (nl_pid 0) are answered at once by netlink_route.c;
 * unicast to other user sockets and multicast are not supported (no
 * group ever has an event: the sandbox's network does not change).
 * See netlink_impl.h for the lock order.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/task.h"
#include "kernel/waitq.h"
#include "socket/netlink_impl.h"
#include "socket/socket.h"

#define CAP_NET_ADMIN 12

struct nl_sock {
	struct nl_sock *next_port; /* nl_ports_lock: in nl_ports when bound */
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* receivers waiting for a datagram */
	struct waitq wq;
	/* lock: */
	bool bound;
	uint32_t portid;
	uint32_t groups;
	uint32_t dst_portid, dst_groups;
	struct nl_dgram *head, **tail;
	size_t queued;        /* bytes in the queue */
	int err;              /* pending error (ENOBUFS after a drop) */
	bool cap_ack, ext_ack, strict, pktinfo, broadcast_error, no_enobufs, listen_all_nsid;
};

static pthread_mutex_t nl_ports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nl_sock *nl_ports; /* bound sockets */
static int32_t nl_rover = -4096;

static struct nl_sock *port_find_locked(uint32_t portid)
{
	for (struct nl_sock *n = nl_ports; n; n = n->next_port)
		if (n->portid == portid)
			return n;
	return NULL;
}

/* Bind n to portid (0: autobind as Linux's netlink_autobind: the tgid if
 * free, else a negative id). Caller holds nl_ports_lock. */
static int bind_locked(struct nl_sock *n, uint32_t portid, struct task *t)
{
	if (portid == 0) {
		uint32_t want = t && t->tg ? (uint32_t)t->tg->tgid : 0;
		if (!want || port_find_locked(want)) {
			for (int tries = 0;; tries++) {
				if (tries > 1000000)
					return -EADDRINUSE;
				want = (uint32_t)nl_rover;
				nl_rover = nl_rover == INT32_MIN ? -4096 : nl_rover - 1;
				if (!port_find_locked(want))
					break;
			}
		}
		portid = want;
	} else if (port_find_locked(portid)) {
		return -EADDRINUSE;
	}
	pthread_mutex_lock(&n->lock);
	n->portid = portid;
	n->bound = true;
	pthread_mutex_unlock(&n->lock);
	n->next_port = nl_ports;
	nl_ports = n;
	return 0;
}

static int autobind(struct nl_sock *n, struct task *t)
{
	pthread_mutex_lock(&nl_ports_lock);
	int err = n->bound ? 0 : bind_locked(n, 0, t);
	pthread_mutex_unlock(&nl_ports_lock);
	return err;
}

static int nl_create(struct socket *s)
{
	if (s->type != LINUX_SOCK_RAW && s->type != LINUX_SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (s->protocol != LINUX_NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nl_sock *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	waitq_init(&n->wq);
	n->tail = &n->head;
	s->sk = n;
	return 0;
}

static void nl_release(struct socket *s)
{
	struct nl_sock *n = s->sk;
	if (!n)
		return;
	pthread_mutex_lock(&nl_ports_lock);
	for (struct nl_sock **pp = &nl_ports; *pp; pp = &(*pp)->next_port) {
		if (*pp == n) {
			*pp = n->next_port;
			break;
		}
	}
	pthread_mutex_unlock(&nl_ports_lock);
	while (n->head) {
		struct nl_dgram *d = n->head;
		n->head = d->next;
		free(d);
	}
	waitq_destroy(&n->wq);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
	s->sk = NULL;
}

static int parse_addr(const void *addr, uint32_t len, struct linux_sockaddr_nl *out)
{
	if (len < sizeof(*out))
		return -EINVAL;
	memcpy(out, addr, sizeof(*out));
	if (out->nl_family != LINUX_AF_NETLINK)
		return -EINVAL;
	return 0;
}

static int nl_bind(struct socket *s, struct task *t, const void *addr, uint32_t len)
{
	struct nl_sock *n = s->sk;
	struct linux_sockaddr_nl a;
	int err = parse_addr(addr, len, &a);
	if (err)
		return err;
	pthread_mutex_lock(&nl_ports_lock);
	if (n->bound) {
		/* Rebinding may only change the groups. */
		if (a.nl_pid != n->portid)
			err = -EINVAL;
	} else {
		err = bind_locked(n, a.nl_pid, t);
	}
	if (!err) {
		pthread_mutex_lock(&n->lock);
		n->groups = a.nl_groups;
		pthread_mutex_unlock(&n->lock);
	}
	pthread_mutex_unlock(&nl_ports_lock);
	return err;
}

static int nl_connect(struct socket *s, struct task *t, const void *addr, uint32_t len,
		      bool nonblock)
{
	struct nl_sock *n = s->sk;
	(void)nonblock;
	if (len >= sizeof(uint16_t)) {
		uint16_t fam;
		memcpy(&fam, addr, sizeof(fam));
		if (fam == LINUX_AF_UNSPEC) {
			pthread_mutex_lock(&n->lock);
			n->dst_portid = n->dst_groups = 0;
			pthread_mutex_unlock(&n->lock);
			return 0;
		}
	}
	struct linux_sockaddr_nl a;
	int err = parse_addr(addr, len, &a);
	if (err)
		return err;
	err = autobind(n, t);
	if (err)
		return err;
	pthread_mutex_lock(&n->lock);
	n->dst_portid = a.nl_pid;
	n->dst_groups = a.nl_groups;
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static int nl_getname(struct socket *s, void *addr, bool peer)
{
	struct nl_sock *n = s->sk;
	struct linux_sockaddr_nl a = {LINUX_AF_NETLINK, 0, 0, 0};
	pthread_mutex_lock(&n->lock);
	if (peer) {
		a.nl_pid = n->dst_portid;
		a.nl_groups = n->dst_groups;
	} else {
		a.nl_pid = n->bound ? n->portid : 0;
		a.nl_groups = n->groups;
	}
	pthread_mutex_unlock(&n->lock);
	memcpy(addr, &a, sizeof(a));
	return sizeof(a);
}

/* Queue replies on n, within its receive buffer (a datagram that does not
 * fit is dropped and the next receive reports ENOBUFS, as Linux). */
static void queue_replies(struct socket *s, struct nl_sock *n, struct nl_out *o)
{
	size_t limit = (size_t)atomic_load(&s->rcvbuf);
	bool woke = false;
	pthread_mutex_lock(&n->lock);
	while (o->head) {
		struct nl_dgram *d = o->head;
		o->head = d->next;
		d->next = NULL;
		if (n->queued && n->queued + d->len > limit) {
			if (!n->no_enobufs)
				n->err = ENOBUFS;
			free(d);
			woke = true;
			continue;
		}
		*n->tail = d;
		n->tail = &d->next;
		n->queued += d->len;
		woke = true;
	}
	o->tail = &o->head;
	if (woke)
		pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	if (woke)
		waitq_wake(&n->wq, POLLIN | POLLRDNORM | POLLERR);
}

static ssize_t nl_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct nl_sock *n = s->sk;
	(void)flags;
	uint32_t dst_pid, dst_groups;
	if (m->addrlen) {
		struct linux_sockaddr_nl a;
		int err = parse_addr(m->addr, m->addrlen, &a);
		if (err)
			return err;
		dst_pid = a.nl_pid;
		dst_groups = a.nl_groups;
	} else {
		pthread_mutex_lock(&n->lock);
		dst_pid = n->dst_portid;
		dst_groups = n->dst_groups;
		pthread_mutex_unlock(&n->lock);
	}
	if (dst_groups && !(t && creds_capable(&t->creds, CAP_NET_ADMIN)))
		return -EPERM;
	int err = autobind(n, t);
	if (err)
		return err;
	if (m->len > (size_t)atomic_load(&s->sndbuf) - 32)
		return -EMSGSIZE;
	if (dst_pid != 0)
		return -ECONNREFUSED; /* unicast between user sockets: not supported */
	struct nl_req_ctx ctx = {0};
	pthread_mutex_lock(&n->lock);
	ctx.portid = n->portid;
	ctx.cap_ack = n->cap_ack;
	ctx.strict = n->strict;
	pthread_mutex_unlock(&n->lock);
	ctx.net_admin = t && creds_capable(&t->creds, CAP_NET_ADMIN);
	struct nl_out o;
	nl_out_init(&o);
	err = nlroute_rcv((const unsigned char *)m->data, m->len, &ctx, &o);
	queue_replies(s, n, &o);
	nl_out_free(&o);
	if (err)
		return err;
	return (ssize_t)m->len;
}

static ssize_t nl_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct nl_sock *n = s->sk;
	(void)t;
	int64_t deadline = sock_deadline(atomic_load(&s->rcvtimeo_ns));
	ssize_t r;
	pthread_mutex_lock(&n->lock);
	for (;;) {
		if (n->err) {
			r = -n->err;
			n->err = 0;
			goto out;
		}
		if (n->head)
			break;
		if (flags & LINUX_MSG_DONTWAIT) {
			r = -EAGAIN;
			goto out;
		}
		int w = sock_wait(&n->cond, &n->lock, deadline);
		if (w < 0) {
			r = w;
			goto out;
		}
	}
	struct nl_dgram *d = n->head;
	size_t copy = d->len < m->len ? d->len : m->len;
	memcpy(m->data, d->data, copy);
	m->len_full = d->len;
	if (copy < d->len)
		m->flags_out |= LINUX_MSG_TRUNC;
	if (m->addr) {
		struct linux_sockaddr_nl a = {LINUX_AF_NETLINK, 0, 0, 0};
		memcpy(m->addr, &a, sizeof(a));
		m->addrlen = sizeof(a);
	}
	r = (flags & LINUX_MSG_TRUNC) ? (ssize_t)d->len : (ssize_t)copy;
	if (!(flags & LINUX_MSG_PEEK)) {
		n->head = d->next;
		if (!n->head)
			n->tail = &n->head;
		n->queued -= d->len;
		free(d);
	}
out:
	pthread_mutex_unlock(&n->lock);
	return r;
}

static unsigned nl_poll(struct socket *s, unsigned events)
{
	struct nl_sock *n = s->sk;
	unsigned mask = POLLOUT | POLLWRNORM | POLLWRBAND;
	(void)events;
	pthread_mutex_lock(&n->lock);
	if (n->head)
		mask |= POLLIN | POLLRDNORM;
	if (n->err)
		mask |= POLLERR;
	pthread_mutex_unlock(&n->lock);
	return mask;
}

static struct waitq *nl_waitq(struct socket *s)
{
	struct nl_sock *n = s->sk;
	return &n->wq;
}

static bool *flag_of(struct nl_sock *n, int name)
{
	switch (name) {
	case LINUX_NETLINK_PKTINFO: return &n->pktinfo;
	case LINUX_NETLINK_BROADCAST_ERROR: return &n->broadcast_error;
	case LINUX_NETLINK_NO_ENOBUFS: return &n->no_enobufs;
	case LINUX_NETLINK_LISTEN_ALL_NSID: return &n->listen_all_nsid;
	case LINUX_NETLINK_CAP_ACK: return &n->cap_ack;
	case LINUX_NETLINK_EXT_ACK: return &n->ext_ack;
	case LINUX_NETLINK_GET_STRICT_CHK: return &n->strict;
	}
	return NULL;
}

static int nl_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len)
{
	struct nl_sock *n = s->sk;
	if (level != LINUX_SOL_NETLINK)
		return -ENOPROTOOPT;
	int v = 0;
	if (len >= sizeof(int))
		memcpy(&v, val, sizeof(int));
	else if (name == LINUX_NETLINK_ADD_MEMBERSHIP || name == LINUX_NETLINK_DROP_MEMBERSHIP ||
		 flag_of(n, name))
		return -EINVAL;
	pthread_mutex_lock(&n->lock);
	int err = 0;
	if (name == LINUX_NETLINK_ADD_MEMBERSHIP || name == LINUX_NETLINK_DROP_MEMBERSHIP) {
		/* Groups beyond the 32 of nl_groups are accepted and never
		 * deliver (no events). */
		if (v <= 0)
			err = -EINVAL;
		else if (v <= 32) {
			uint32_t bit = 1u << (v - 1);
			if (name == LINUX_NETLINK_ADD_MEMBERSHIP)
				n->groups |= bit;
			else
				n->groups &= ~bit;
		}
	} else {
		bool *f = flag_of(n, name);
		if (f)
			*f = v != 0;
		else
			err = -ENOPROTOOPT;
	}
	pthread_mutex_unlock(&n->lock);
	if (!err && name == LINUX_NETLINK_ADD_MEMBERSHIP)
		err = autobind(n, task_current());
	return err;
}

static int nl_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len)
{
	struct nl_sock *n = s->sk;
	if (level != LINUX_SOL_NETLINK)
		return -ENOPROTOOPT;
	bool *f = flag_of(n, name);
	if (!f)
		return -ENOPROTOOPT;
	if (*len < sizeof(int))
		return -EINVAL;
	pthread_mutex_lock(&n->lock);
	int v = *f ? 1 : 0;
	pthread_mutex_unlock(&n->lock);
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

const struct proto_ops netlink_proto_ops = {
	.family = LINUX_AF_NETLINK,
	.create = nl_create,
	.release = nl_release,
	.bind = nl_bind,
	.connect = nl_connect,
	.getname = nl_getname,
	.sendmsg = nl_sendmsg,
	.recvmsg = nl_recvmsg,
	.poll = nl_poll,
	.waitq = nl_waitq,
	.getsockopt = nl_getsockopt,
	.setsockopt = nl_setsockopt,
};
