/*
 * AF_UNIX messages: queues, send and receive for stream, datagram and
 * seqpacket sockets, poll and the queue ioctls (Linux's af_unix.c
 * unix_stream_sendmsg / unix_dgram_sendmsg / unix_stream_read_generic /
 * unix_dgram_recvmsg / unix_poll / unix_dgram_poll). See unix_impl.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/task.h"
#include "socket/unix_impl.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000
#endif

/* --- queues -------------------------------------------------------------- */

static struct unix_skb *skb_new(size_t len)
{
	struct unix_skb *skb = calloc(1, sizeof(*skb) + len);
	if (!skb)
		return NULL;
	skb->len = len;
	skb->truesize = len + UNIX_SKB_OVERHEAD;
	return skb;
}

void unix_skb_free(struct unix_skb *skb, struct unix_deferred *d)
{
	unix_inflight_account(skb, -1);
	if (skb->owner) {
		skb->owner->wmem -= skb->truesize;
		unix_wake(skb->owner, UNIX_EV_OUT);
		us_put(skb->owner);
	}
	for (int i = 0; i < skb->nfds; i++)
		unix_defer_file(d, skb->fds[i]);
	free(skb->fds);
	unix_addr_put(skb->from);
	free(skb);
}

void unix_enqueue(struct unix_sock *to, struct unix_skb *skb)
{
	skb->next = NULL;
	if (to->qtail)
		to->qtail->next = skb;
	else
		to->qhead = skb;
	to->qtail = skb;
	to->qlen++;
	to->qbytes += skb->len - skb->off;
	unix_inflight_account(skb, +1);
}

struct unix_skb *unix_dequeue(struct unix_sock *u)
{
	struct unix_skb *skb = u->qhead;
	if (!skb)
		return NULL;
	u->qhead = skb->next;
	if (!u->qhead)
		u->qtail = NULL;
	u->qlen--;
	u->qbytes -= skb->len - skb->off;
	skb->next = NULL;
	return skb;
}

/* A message left u's queue: writers charged for it and datagram senders
 * waiting for queue room may go on. */
static void wake_after_read(struct unix_sock *u)
{
	pthread_cond_broadcast(&u->cond);
	for (struct unix_sock *s = u->dg_senders; s; s = s->dg_next)
		waitq_wake(&s->wq, UNIX_EV_OUT);
}

/* Fill a new skb's sender fields (unix_lock held). */
static void skb_from(struct unix_skb *skb, struct unix_sock *u, struct task *t,
		     struct sock_msg *m)
{
	skb->owner = u;
	us_get(u);
	u->wmem += skb->truesize;
	skb->from = u->addr;
	if (u->addr)
		u->addr->refs++;
	if (m->has_creds)
		skb->creds = m->creds;
	else
		unix_task_creds(t, &skb->creds);
}

static void skb_take_fds(struct unix_skb *skb, struct sock_msg *m, struct task *t)
{
	if (!m->nfds)
		return;
	skb->fd_uid = t ? t->creds.uid : 0;
	skb->fds = m->fds;
	skb->nfds = m->nfds;
	m->fds = NULL;
	m->nfds = 0;
}

/* --- send ---------------------------------------------------------------- */

static ssize_t stream_send(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
	int64_t deadline = sock_deadline(atomic_load(&u->sock->sndtimeo_ns));
	size_t done = 0;
	ssize_t err = 0;

	pthread_mutex_lock(&unix_lock);
	if (m->addrlen) {
		err = u->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
		goto out;
	}

	for (;;) {
		if (u->state != US_CONNECTED) {
			err = -ENOTCONN;
			break;
		}
		struct unix_sock *p = u->peer;
		if ((u->shutdown & SEND_SHUTDOWN) || !p || p->dead ||
		    (p->shutdown & RCV_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (done >= m->len)
			break;
		int sndbuf = unix_sndbuf(u);
		if (u->wmem >= (size_t)sndbuf) {
			if (flags & LINUX_MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			if ((err = sock_wait(&u->cond, &unix_lock, deadline)) < 0)
				break;
			continue;
		}
		size_t size = m->len - done;
		size_t seg = sndbuf / 2 > 64 ? (size_t)sndbuf / 2 - 64 : 1;
		if (size > seg)
			size = seg;
		if (size > UNIX_STREAM_SKB_MAX)
			size = UNIX_STREAM_SKB_MAX;
		if (done == 0 && m->nfds && unix_too_many_fds(t)) {
			err = -ETOOMANYREFS;
			break;
		}
		struct unix_skb *skb = skb_new(size);
		if (!skb) {
			err = -ENOMEM;
			break;
		}
		memcpy(skb->data, m->data + done, size);
		skb_from(skb, u, t, m);
		if (done == 0)
			skb_take_fds(skb, m, t);
		unix_enqueue(p, skb);
		unix_wake(p, UNIX_EV_IN);
		done += size;
	}
out:
	pthread_mutex_unlock(&unix_lock);
	if (done)
		return (ssize_t)done;
	if (err == -EPIPE)
		m->sigpipe = true;
	return err;
}

/* A datagram socket's peer is gone (Linux's unix_dgram_disconnected):
 * forget it and drop what we had received. unix_lock held. */
static void dgram_disconnected(struct unix_sock *u, struct unix_deferred *d)
{
	struct unix_sock *o = u->peer;
	u->peer = NULL;
	if (o)
		us_put(o);
	u->dg_pprev = NULL; /* the dead peer unlinked us already */
	u->dg_next = NULL;
	struct unix_skb *skb;
	while ((skb = unix_dequeue(u)))
		unix_skb_free(skb, d);
	wake_after_read(u);
}

/* SOCK_DGRAM and SOCK_SEQPACKET: one message, all or nothing. */
static ssize_t dgram_send(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
	struct unix_sock *o = NULL;
	struct unix_deferred d = {0};
	ssize_t err = 0;
	bool seqpacket = u->type == LINUX_SOCK_SEQPACKET;

	if (seqpacket) {
		pthread_mutex_lock(&unix_lock);
		err = u->state == US_CONNECTED ? 0 : -ENOTCONN;
		pthread_mutex_unlock(&unix_lock);
		if (err)
			return err;
		m->addrlen = 0; /* a connected seqpacket socket ignores it */
	}
	if (m->addrlen) {
		err = unix_find_other(t, u->type, m->addr, m->addrlen, &o);
		if (err)
			return err;
	} else {
		pthread_mutex_lock(&unix_lock);
		err = u->peer ? 0 : -ENOTCONN;
		pthread_mutex_unlock(&unix_lock);
		if (err)
			return err;
	}
	if (unix_passcred(u) && !u->addr && (err = unix_autobind(u)))
		goto put_o;
	int sndbuf = unix_sndbuf(u);
	if (m->len > (size_t)(sndbuf - 32)) {
		err = -EMSGSIZE;
		goto put_o;
	}
	struct unix_skb *skb = skb_new(m->len);
	if (!skb) {
		err = -ENOMEM;
		goto put_o;
	}
	memcpy(skb->data, m->data, m->len);
	int64_t deadline = sock_deadline(atomic_load(&u->sock->sndtimeo_ns));

	pthread_mutex_lock(&unix_lock);
	for (;;) {
		if (u->shutdown & SEND_SHUTDOWN) {
			err = -EPIPE;
			break;
		}
		if (u->wmem >= (size_t)unix_sndbuf(u)) {
			if (flags & LINUX_MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			if ((err = sock_wait(&u->cond, &unix_lock, deadline)) < 0)
				break;
			continue;
		}
		struct unix_sock *other = o ? o : u->peer;
		if (!other) {
			err = -ENOTCONN;
			break;
		}
		if (other->dead) {
			if (seqpacket) {
				err = -EPIPE;
			} else {
				err = -ECONNREFUSED;
				if (u->peer == other)
					dgram_disconnected(u, &d);
			}
			break;
		}
		if (other->peer && other->peer != u) {
			err = -EPERM; /* other receives only from its own peer */
			break;
		}
		if (other->shutdown & RCV_SHUTDOWN) {
			err = -EPIPE;
			break;
		}
		if (other != u && other->peer != u && other->qlen > UNIX_MAX_DGRAM_QLEN) {
			if (flags & LINUX_MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			us_get(other);
			err = sock_wait(&other->cond, &unix_lock, deadline);
			us_put(other);
			if (err < 0)
				break;
			continue;
		}
		skb_from(skb, u, t, m);
		if (m->nfds && unix_too_many_fds(t)) {
			err = -ETOOMANYREFS;
			break;
		}
		skb_take_fds(skb, m, t);
		unix_enqueue(other, skb);
		unix_wake(other, UNIX_EV_IN);
		skb = NULL;
		err = (ssize_t)m->len;
		break;
	}
	if (o)
		us_put(o);
	o = NULL;
	pthread_mutex_unlock(&unix_lock);
	free(skb);
	unix_deferred_run(&d);
	/* No SIGPIPE from datagram and seqpacket sockets (Linux's sock_alloc_send_pskb). */
	return err;
put_o:
	if (o) {
		pthread_mutex_lock(&unix_lock);
		us_put(o);
		pthread_mutex_unlock(&unix_lock);
	}
	return err;
}

ssize_t unix_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct unix_sock *u = s->sk;
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	if (u->type == LINUX_SOCK_STREAM)
		return stream_send(u, t, m, flags);
	return dgram_send(u, t, m, flags);
}

/* --- receive ------------------------------------------------------------- */

/* Give the message's files to m: moved, or duplicated for MSG_PEEK. */
static int skb_give_fds(struct unix_skb *skb, struct sock_msg *m, bool peek)
{
	if (!skb->nfds)
		return 0;
	if (peek) {
		struct file **fds = malloc((size_t)skb->nfds * sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		for (int i = 0; i < skb->nfds; i++) {
			fds[i] = skb->fds[i];
			file_get(fds[i]);
		}
		m->fds = fds;
	} else {
		unix_inflight_account(skb, -1);
		m->fds = skb->fds;
		skb->fds = NULL;
	}
	m->nfds = skb->nfds;
	if (!peek)
		skb->nfds = 0;
	return 0;
}

static void give_from(struct unix_skb *skb, struct sock_msg *m)
{
	if (skb->from && m->addr) {
		memcpy(m->addr, skb->from->sa, skb->from->len);
		m->addrlen = skb->from->len;
	} else {
		m->addrlen = 0;
	}
}

static bool creds_eq(const struct linux_ucred *a, const struct linux_ucred *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/* SO_PEEK_OFF: where a stream MSG_PEEK starts (skb and position in it);
 * skb NULL when the offset is beyond the queued data. */
static void peek_start(struct unix_sock *u, struct unix_skb **skbp, size_t *posp)
{
	size_t skip = u->peek_off > 0 ? (size_t)u->peek_off : 0;
	struct unix_skb *skb = u->qhead;
	while (skb && skip >= skb->len - skb->off) {
		skip -= skb->len - skb->off;
		skb = skb->next;
	}
	*skbp = skb;
	*posp = skb ? skb->off + skip : 0;
}

/* Linux's sk_peek_offset_fwd / _bwd: a peek moves the offset on, a read
 * of n bytes moves it back. */
static void peek_off_advance(struct unix_sock *u, size_t n, bool peek)
{
	if (u->peek_off < 0)
		return;
	if (peek)
		u->peek_off += (int)n;
	else
		u->peek_off = (size_t)u->peek_off > n ? u->peek_off - (int)n : 0;
}

/* Linux's unix_stream_read_generic. */
static ssize_t stream_recv(struct unix_sock *u, struct sock_msg *m, int flags)
{
	bool peek = flags & LINUX_MSG_PEEK;
	/* Wait for all (MSG_WAITALL) or SO_RCVLOWAT bytes (sock_rcvlowat). */
	size_t lowat = (size_t)atomic_load(&u->sock->rcvlowat);
	size_t target = (flags & LINUX_MSG_WAITALL) ? m->len : (lowat < m->len ? lowat : m->len);
	if (!target)
		target = 1;
	int64_t deadline = sock_deadline(atomic_load(&u->sock->rcvtimeo_ns));
	struct unix_deferred d = {0};
	size_t copied = 0;
	ssize_t err = 0;
	bool passcred = unix_passcred(u);

	pthread_mutex_lock(&unix_lock);
	if (u->state != US_CONNECTED) {
		pthread_mutex_unlock(&unix_lock);
		return -EINVAL;
	}
	struct unix_skb *skb = NULL;
	size_t pos = 0; /* read position in skb (the peek cursor) */
	bool restart = true;
	for (;;) {
		if (peek && restart) {
			peek_start(u, &skb, &pos);
			restart = false;
		}
		if (!peek) {
			skb = u->qhead;
			pos = skb ? skb->off : 0;
		}
		if (!skb) {
			if (copied >= target || (peek && copied))
				break;
			if (u->err) {
				err = -u->err;
				u->err = 0;
				break;
			}
			if (u->shutdown & RCV_SHUTDOWN)
				break;
			if (flags & LINUX_MSG_DONTWAIT) {
				err = -EAGAIN;
				break;
			}
			if ((err = sock_wait(&u->cond, &unix_lock, deadline)) < 0)
				break;
			restart = true;
			continue;
		}
		/* Never glue data of different writers when credentials are
		 * reported, nor data after passed files. */
		if (copied && passcred && !creds_eq(&skb->creds, &m->creds))
			break;
		if (!copied) {
			m->creds = skb->creds;
			m->has_creds = passcred;
			give_from(skb, m);
		}
		size_t n = skb->len - pos;
		if (n > m->len - copied)
			n = m->len - copied;
		memcpy(m->data + copied, skb->data + pos, n);
		copied += n;
		bool had_fds = skb->nfds > 0;
		if (had_fds && (err = skb_give_fds(skb, m, peek)) < 0)
			break;
		if (!peek) {
			skb->off += n;
			u->qbytes -= n;
			if (skb->off == skb->len) {
				unix_dequeue(u);
				unix_skb_free(skb, &d);
			}
		} else if (pos + n == skb->len) {
			skb = skb->next;
			pos = skb ? skb->off : 0;
		} else {
			pos += n;
		}
		if (had_fds || copied >= m->len)
			break;
	}
	if (copied && !peek)
		wake_after_read(u);
	peek_off_advance(u, copied, peek);
	pthread_mutex_unlock(&unix_lock);
	unix_deferred_run(&d);
	m->len_full = copied;
	if (copied)
		return (ssize_t)copied;
	return err;
}

/* Datagram and seqpacket: one message per call. */
static ssize_t dgram_recv(struct unix_sock *u, struct sock_msg *m, int flags)
{
	bool peek = flags & LINUX_MSG_PEEK;
	int64_t deadline = sock_deadline(atomic_load(&u->sock->rcvtimeo_ns));
	struct unix_deferred d = {0};
	ssize_t err = 0;

	pthread_mutex_lock(&unix_lock);
	if (u->type == LINUX_SOCK_SEQPACKET && u->state != US_CONNECTED) {
		pthread_mutex_unlock(&unix_lock);
		return -ENOTCONN;
	}
	struct unix_skb *skb;
	size_t skip = 0;
	for (;;) {
		skip = peek && u->peek_off > 0 ? (size_t)u->peek_off : 0;
		/* Linux's __skb_try_recv_from_queue: a peek offset walks past
		 * whole datagrams. */
		for (skb = u->qhead; skb && skip && skip >= skb->len; skb = skb->next)
			skip -= skb->len;
		if (skb)
			break;
		if (u->err) {
			err = -u->err;
			u->err = 0;
			break;
		}
		if (u->shutdown & RCV_SHUTDOWN)
			break;
		if (flags & LINUX_MSG_DONTWAIT) {
			err = -EAGAIN;
			break;
		}
		if ((err = sock_wait(&u->cond, &unix_lock, deadline)) < 0)
			break;
	}
	if (skb) {
		size_t avail = skb->len - skip;
		size_t n = avail < m->len ? avail : m->len;
		memcpy(m->data, skb->data + skip, n);
		m->len_full = avail;
		if (avail > m->len)
			m->flags_out |= LINUX_MSG_TRUNC;
		peek_off_advance(u, peek ? n : skb->len, peek);
		give_from(skb, m);
		m->creds = skb->creds;
		m->has_creds = unix_passcred(u);
		err = skb_give_fds(skb, m, peek);
		if (!err) {
			err = (flags & LINUX_MSG_TRUNC) ? (ssize_t)avail : (ssize_t)n;
			if (!peek) {
				unix_dequeue(u);
				unix_skb_free(skb, &d);
				wake_after_read(u);
			}
		}
	}
	pthread_mutex_unlock(&unix_lock);
	unix_deferred_run(&d);
	return err;
}

ssize_t unix_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	struct unix_sock *u = s->sk;
	(void)t;
	if (flags & LINUX_MSG_OOB)
		return -EOPNOTSUPP;
	if (u->type == LINUX_SOCK_STREAM)
		return stream_recv(u, m, flags);
	return dgram_recv(u, m, flags);
}

/* --- readiness ----------------------------------------------------------- */

bool unix_writable(struct unix_sock *u)
{
	return u->state != US_LISTEN && (u->wmem + 1) * 4 <= (size_t)unix_sndbuf(u);
}

unsigned unix_poll(struct socket *s, unsigned events)
{
	struct unix_sock *u = s->sk;
	unsigned mask = 0;
	(void)events;
	pthread_mutex_lock(&unix_lock);
	if (u->err)
		mask |= POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->qhead)
		mask |= POLLIN | POLLRDNORM;
	if (u->type != LINUX_SOCK_DGRAM && u->state == US_UNCONNECTED)
		mask |= POLLHUP;
	bool writable = unix_writable(u);
	if (writable && u->type == LINUX_SOCK_DGRAM) {
		struct unix_sock *o = u->peer;
		if (o && o->peer != u && o->qlen > UNIX_MAX_DGRAM_QLEN)
			writable = false;
	}
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	pthread_mutex_unlock(&unix_lock);
	return mask;
}

int unix_ioctl(struct socket *s, unsigned cmd, int *out)
{
	struct unix_sock *u = s->sk;
	int err = 0;
	pthread_mutex_lock(&unix_lock);
	switch (cmd) {
	case LINUX_FIONREAD:
		if (u->state == US_LISTEN)
			err = -EINVAL;
		else if (u->type == LINUX_SOCK_DGRAM)
			*out = u->qhead ? (int)u->qhead->len : 0;
		else
			*out = (int)u->qbytes;
		break;
	case LINUX_SIOCOUTQ:
		*out = (int)u->wmem;
		break;
	default:
		err = -ENOTTY;
	}
	pthread_mutex_unlock(&unix_lock);
	return err;
}
