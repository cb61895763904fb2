/*
 * The generic socket layer: the family table, the socket file (its read,
 * write, poll, waitq, ioctl and release ops), socket waits, and the
 * SOL_SOCKET options every family shares. See socket.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/task.h"
#include "mm/mm.h"
#include "socket/socket.h"
#include "syscalls/sys_fs.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs_impl.h"

/*
 * The families, by number. A family missing here gives EAFNOSUPPORT:
 * AF_PACKET and the rest.
 */
static const struct proto_ops *const sock_families[LINUX_AF_MAX] = {
	[LINUX_AF_UNIX] = &unix_proto_ops,
	[LINUX_AF_INET] = &inet_proto_ops,   /* inet*.c on lwIP (netstack/) */
	[LINUX_AF_INET6] = &inet6_proto_ops,
	[LINUX_AF_NETLINK] = &netlink_proto_ops,
};

const struct proto_ops *sock_family_ops(int family)
{
	if (family < 0 || family >= LINUX_AF_MAX)
		return NULL;
	return sock_families[family];
}

/* --- waiting ------------------------------------------------------------- */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t sock_deadline(int64_t timeo_ns)
{
	if (timeo_ns == SOCK_TIMEO_NONE)
		return -1;
	int64_t now = mono_ns();
	return timeo_ns > INT64_MAX - now ? -1 : now + timeo_ns;
}

int sock_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline)
{
	if (deadline >= 0 && mono_ns() >= deadline)
		return -EAGAIN;
	int r = task_cond_wait(cond, mutex);
	if (r < 0)
		return deadline >= 0 ? -EINTR : r;
	if (deadline >= 0 && mono_ns() >= deadline)
		return -EAGAIN;
	return 0;
}

/* --- the socket file ----------------------------------------------------- */

static const struct file_operations sock_fops;

struct socket *sock_from_file(struct file *f)
{
	return f && f->ops == &sock_fops ? f->priv : NULL;
}

bool file_is_socket(struct file *f)
{
	return sock_from_file(f) != NULL;
}

static int fold_nonblock(struct socket *s, int flags)
{
	if (file_flags(s->file) & O_NONBLOCK)
		flags |= LINUX_MSG_DONTWAIT;
	return flags;
}

ssize_t sock_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	if (!s->ops->sendmsg)
		return -EOPNOTSUPP;
	return s->ops->sendmsg(s, t, m, fold_nonblock(s, flags));
}

ssize_t sock_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
	if (!s->ops->recvmsg)
		return -EOPNOTSUPP;
	m->flags_out = 0;
	m->len_full = 0;
	m->nfds = 0;
	m->fds = NULL;
	m->has_creds = false;
	return s->ops->recvmsg(s, t, m, fold_nonblock(s, flags));
}

/* read(2): recv with no flags; files passed with the data are dropped, as
 * Linux does when there is no control buffer. */
static ssize_t sock_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct socket *s = f->priv;
	char addr[LINUX_SOCKADDR_MAX];
	(void)pos;
	/* read(2) and write(2) of sockets come through sys_sock_rw(); this
	 * is for in-sentry readers (splice, sendfile). */
	struct sock_msg m = {.addr = addr, .data = buf, .len = n};
	ssize_t r = sock_recvmsg(s, task_current(), &m, 0);
	for (int i = 0; i < m.nfds; i++)
		file_put(m.fds[i]);
	free(m.fds);
	return r;
}

static ssize_t sock_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct socket *s = f->priv;
	struct sock_msg m = {.data = (char *)buf, .len = n};
	(void)pos;
	return sock_sendmsg(s, task_current(), &m, 0);
}

static unsigned sock_poll(struct file *f, unsigned events)
{
	struct socket *s = f->priv;
	return s->ops->poll ? s->ops->poll(s, events) : 0;
}

static struct waitq *sock_waitq(struct file *f)
{
	struct socket *s = f->priv;
	return s->ops->waitq ? s->ops->waitq(s) : NULL;
}

static long sock_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct socket *s = f->priv;
	int v;
	/* Linux's devinet_ioctl: the interface addresses, for AF_INET only. */
	if (s->family == LINUX_AF_INET && (cmd == 0x8915 /* SIOCGIFADDR */ ||
					   cmd == 0x8917 /* SIOCGIFDSTADDR */ ||
					   cmd == 0x8919 /* SIOCGIFBRDADDR */ ||
					   cmd == 0x891b /* SIOCGIFNETMASK */))
		return sock_inet_addr_ioctl(t, cmd, arg);
	int r = s->ops->ioctl ? s->ops->ioctl(s, cmd, &v) : -ENOTTY;
	if (r == -ENOTTY)
		return sock_dev_ioctl(t, cmd, arg); /* Linux's dev_ioctl */
	if (r < 0)
		return r;
	return copy_to_user(t, arg, &v, sizeof(v));
}

static void sock_release(struct file *f)
{
	struct socket *s = f->priv;
	if (!s)
		return;
	if (s->ops->release)
		s->ops->release(s);
	free(s);
	f->priv = NULL;
}

static const struct file_operations sock_fops = {
	.read = sock_read,
	.write = sock_write,
	.llseek = no_llseek,
	.poll = sock_poll,
	.waitq = sock_waitq,
	.ioctl = sock_ioctl,
	.release = sock_release,
};

struct file *sock_create_file(int family, int type, int protocol, int flags)
{
	const struct proto_ops *ops = sock_family_ops(family);
	if (!ops)
		return ERR_PTR(-EAFNOSUPPORT);
	struct socket *s = calloc(1, sizeof(*s));
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->ops = ops;
	atomic_init(&s->sndbuf, SOCK_DEFAULT_BUF);
	atomic_init(&s->rcvbuf, SOCK_DEFAULT_BUF);
	atomic_init(&s->rcvtimeo_ns, SOCK_TIMEO_NONE);
	atomic_init(&s->sndtimeo_ns, SOCK_TIMEO_NONE);
	atomic_init(&s->rcvlowat, 1);
	int err = ops->create(s);
	if (err < 0) {
		free(s);
		return ERR_PTR(err);
	}
	struct file *f = anon_file_new(S_IFSOCK | 0777, &sock_fops, s,
				       O_RDWR | (flags & O_NONBLOCK), "socket:");
	if (!f) {
		if (ops->release)
			ops->release(s);
		free(s);
		return ERR_PTR(-ENOMEM);
	}
	s->file = f;
	/* The /proc/PID/fd link names the inode, as st_ino shows it. */
	char name[48];
	snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)f->inode->ino);
	char *dup = strdup(name);
	if (dup) {
		free(f->anon_name);
		f->anon_name = dup;
	}
	return f;
}

/* --- SOL_SOCKET options -------------------------------------------------- */

static int put_int(void *val, uint32_t *len, int v)
{
	/* Linux copies min(len, sizeof(int)) bytes and reports that length. */
	uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static int put_timeo(void *val, uint32_t *len, int64_t ns)
{
	struct linux_timeval tv = {0, 0};
	if (ns != SOCK_TIMEO_NONE) {
		tv.tv_sec = ns / 1000000000LL;
		tv.tv_usec = (ns % 1000000000LL) / 1000;
	}
	uint32_t n = *len < sizeof(tv) ? *len : sizeof(tv);
	memcpy(val, &tv, n);
	*len = n;
	return 0;
}

int sock_getsockopt_generic(struct socket *s, int level, int name, void *val, uint32_t *len)
{
	if (level != LINUX_SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case LINUX_SO_TYPE: return put_int(val, len, s->type);
	case LINUX_SO_DOMAIN: return put_int(val, len, s->family);
	case LINUX_SO_PROTOCOL: return put_int(val, len, s->protocol);
	case LINUX_SO_ERROR: return put_int(val, len, 0);
	case LINUX_SO_ACCEPTCONN: return put_int(val, len, 0);
	case LINUX_SO_SNDBUF: return put_int(val, len, atomic_load(&s->sndbuf));
	case LINUX_SO_RCVBUF: return put_int(val, len, atomic_load(&s->rcvbuf));
	case LINUX_SO_REUSEADDR: return put_int(val, len, atomic_load(&s->reuseaddr));
	case LINUX_SO_REUSEPORT: return put_int(val, len, atomic_load(&s->reuseport));
	case LINUX_SO_KEEPALIVE: return put_int(val, len, atomic_load(&s->keepalive));
	case LINUX_SO_BROADCAST: return put_int(val, len, atomic_load(&s->broadcast));
	case LINUX_SO_DONTROUTE: return put_int(val, len, atomic_load(&s->dontroute));
	case LINUX_SO_OOBINLINE: return put_int(val, len, atomic_load(&s->oobinline));
	case LINUX_SO_PASSCRED: return put_int(val, len, atomic_load(&s->passcred));
	case LINUX_SO_PRIORITY: return put_int(val, len, atomic_load(&s->priority));
	case LINUX_SO_RCVLOWAT: return put_int(val, len, atomic_load(&s->rcvlowat));
	case LINUX_SO_SNDLOWAT: return put_int(val, len, 1);
	case LINUX_SO_DEBUG: return put_int(val, len, 0);
	case LINUX_SO_NO_CHECK: return put_int(val, len, 0);
	case LINUX_SO_BSDCOMPAT: return put_int(val, len, 0);
	case LINUX_SO_RCVTIMEO_OLD:
	case LINUX_SO_RCVTIMEO_NEW: return put_timeo(val, len, atomic_load(&s->rcvtimeo_ns));
	case LINUX_SO_SNDTIMEO_OLD:
	case LINUX_SO_SNDTIMEO_NEW: return put_timeo(val, len, atomic_load(&s->sndtimeo_ns));
	case LINUX_SO_LINGER: {
		struct linux_linger l = {atomic_load(&s->linger_onoff), atomic_load(&s->linger_secs)};
		uint32_t n = *len < sizeof(l) ? *len : sizeof(l);
		memcpy(val, &l, n);
		*len = n;
		return 0;
	}
	}
	return -ENOPROTOOPT;
}

/* SO_RCVTIMEO / SO_SNDTIMEO: Linux's sock_set_timeout. */
static int set_timeo(atomic_llong *dst, const void *val, uint32_t len)
{
	struct linux_timeval tv;
	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		atomic_store(dst, 0); /* Linux: a negative timeout means "don't wait" */
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		atomic_store(dst, SOCK_TIMEO_NONE);
		return 0;
	}
	if (tv.tv_sec > (INT64_MAX / 1000000000LL) - 1) {
		atomic_store(dst, SOCK_TIMEO_NONE);
		return 0;
	}
	atomic_store(dst, tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL);
	return 0;
}

static int clamp_buf(int v, int min)
{
	/* Linux: min(val, {w,r}mem_max) * 2, at least the minimum. */
	if (v < 0)
		v = 0;
	if (v > SOCK_MAX_BUF)
		v = SOCK_MAX_BUF;
	v *= 2;
	return v < min ? min : v;
}

int sock_setsockopt_generic(struct socket *s, struct task *t, int level, int name,
			    const void *val, uint32_t len)
{
	int v = 0;
	if (level != LINUX_SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case LINUX_SO_RCVTIMEO_OLD:
	case LINUX_SO_RCVTIMEO_NEW: return set_timeo(&s->rcvtimeo_ns, val, len);
	case LINUX_SO_SNDTIMEO_OLD:
	case LINUX_SO_SNDTIMEO_NEW: return set_timeo(&s->sndtimeo_ns, val, len);
	case LINUX_SO_LINGER: {
		struct linux_linger l;
		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		atomic_store(&s->linger_onoff, l.l_onoff ? 1 : 0);
		atomic_store(&s->linger_secs, l.l_linger);
		return 0;
	}
	}
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(int));
	switch (name) {
	case LINUX_SO_SNDBUFFORCE:
		if (!t || !creds_capable(&t->creds, 12 /* CAP_NET_ADMIN */))
			return -EPERM;
		/* fallthrough */
	case LINUX_SO_SNDBUF:
		atomic_store(&s->sndbuf, clamp_buf(v, SOCK_MIN_SNDBUF));
		return 0;
	case LINUX_SO_RCVBUFFORCE:
		if (!t || !creds_capable(&t->creds, 12 /* CAP_NET_ADMIN */))
			return -EPERM;
		/* fallthrough */
	case LINUX_SO_RCVBUF:
		atomic_store(&s->rcvbuf, clamp_buf(v, SOCK_MIN_RCVBUF));
		return 0;
	case LINUX_SO_REUSEADDR: atomic_store(&s->reuseaddr, v != 0); return 0;
	case LINUX_SO_REUSEPORT: atomic_store(&s->reuseport, v != 0); return 0;
	case LINUX_SO_KEEPALIVE: atomic_store(&s->keepalive, v != 0); return 0;
	case LINUX_SO_BROADCAST: atomic_store(&s->broadcast, v != 0); return 0;
	case LINUX_SO_DONTROUTE: atomic_store(&s->dontroute, v != 0); return 0;
	case LINUX_SO_OOBINLINE: atomic_store(&s->oobinline, v != 0); return 0;
	case LINUX_SO_PASSCRED: atomic_store(&s->passcred, v != 0); return 0;
	case LINUX_SO_DEBUG: return 0;
	case LINUX_SO_BSDCOMPAT: return 0;
	case LINUX_SO_NO_CHECK: return 0;
	case LINUX_SO_PRIORITY:
		/* 0..6 for everyone, more with CAP_NET_ADMIN. */
		if ((v < 0 || v > 6) && !(t && creds_capable(&t->creds, 12)))
			return -EPERM;
		atomic_store(&s->priority, v);
		return 0;
	case LINUX_SO_RCVLOWAT:
		atomic_store(&s->rcvlowat, v <= 0 ? 1 : v);
		return 0;
	}
	return -ENOPROTOOPT;
}
