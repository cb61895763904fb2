/*
 * The socket data calls: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
 * recvmmsg. Data is bounced through sentry buffers: a stream send goes in
 * chunks (it may be partial, as Linux's), a datagram in one piece; control
 * messages are decoded here (SCM_RIGHTS, SCM_CREDENTIALS) into struct
 * sock_msg and built back on receive, with Linux's MSG_CTRUNC rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "socket/socket.h"
#include "syscalls/sys_fs.h"
#include "syscalls/sys_socket.h"

#define UIO_MAXIOV 1024
#define SEND_CHUNK (256 * 1024)     /* stream send bounce buffer */
#define RECV_CHUNK (256 * 1024)     /* stream receive bounce buffer */
#define RECV_WAITALL_MAX (4 << 20)  /* MSG_WAITALL: largest single wait */
#define DGRAM_MAX (1 << 20)         /* no family takes a bigger datagram */
#define CONTROL_MAX (128 * 1024)    /* net.core.optmem_max-like cap */

/* A decoded msghdr. */
struct kmsg {
	uint64_t name;
	uint32_t namelen;
	struct linux_iovec *iov;
	int iovcnt;
	size_t total;
	uint64_t control, controllen;
};

static void kmsg_free(struct kmsg *km)
{
	free(km->iov);
	km->iov = NULL;
}

static int import_iov(struct task *t, uint64_t uiov, uint64_t cnt, struct kmsg *km)
{
	if (cnt > UIO_MAXIOV)
		return -EMSGSIZE;
	km->iovcnt = (int)cnt;
	km->iov = calloc(cnt ? cnt : 1, sizeof(*km->iov));
	if (!km->iov)
		return -ENOMEM;
	if (cnt && copy_from_user(t, km->iov, uiov, cnt * sizeof(*km->iov)))
		return -EFAULT;
	km->total = 0;
	for (int i = 0; i < km->iovcnt; i++) {
		if ((int64_t)km->iov[i].len < 0)
			return -EINVAL;
		/* Linux clamps the total to MAX_RW_COUNT. */
		if (km->iov[i].len > SYS_MAX_RW - km->total)
			km->iov[i].len = SYS_MAX_RW - km->total;
		km->total += km->iov[i].len;
	}
	return 0;
}

static int import_msghdr(struct task *t, uint64_t umsg, struct kmsg *km)
{
	struct linux_msghdr mh;
	memset(km, 0, sizeof(*km));
	if (copy_from_user(t, &mh, umsg, sizeof(mh)))
		return -EFAULT;
	km->name = mh.msg_name;
	km->namelen = mh.msg_name ? mh.msg_namelen : 0;
	km->control = mh.msg_control;
	km->controllen = mh.msg_controllen;
	return import_iov(t, mh.msg_iov, mh.msg_iovlen, km);
}

/* Copy n bytes at byte offset skip of the iovecs from/to buf. */
static int iov_copy(struct task *t, const struct kmsg *km, size_t skip, char *buf, size_t n,
		    bool to_user)
{
	for (int i = 0; i < km->iovcnt && n; i++) {
		size_t l = km->iov[i].len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t c = l - skip < n ? l - skip : n;
		int r = to_user ? copy_to_user(t, km->iov[i].base + skip, buf, c)
				: copy_from_user(t, buf, km->iov[i].base + skip, c);
		if (r)
			return -EFAULT;
		buf += c;
		n -= c;
		skip = 0;
	}
	return 0;
}

/* --- control messages ---------------------------------------------------- */

static void put_fds(struct sock_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	m->fds = NULL;
	m->nfds = 0;
}

/* Linux's scm_check_creds. */
static int check_creds(struct task *t, const struct linux_ucred *c)
{
	const struct creds *cr = &t->creds;
	if (c->pid != t->tg->tgid && !creds_capable(cr, CAP_SYS_ADMIN))
		return -EPERM;
	if (c->uid != cr->uid && c->uid != cr->euid && c->uid != cr->suid &&
	    !creds_capable(cr, CAP_SETUID))
		return -EPERM;
	if (c->gid != cr->gid && c->gid != cr->egid && c->gid != cr->sgid &&
	    !creds_capable(cr, CAP_SETGID))
		return -EPERM;
	return 0;
}

/* Decode the SOL_SOCKET control messages (Linux's __scm_send); the raw
 * buffer stays in m->control for the family's own levels. */
static int parse_control(struct task *t, struct socket *s, const struct kmsg *km,
			 struct sock_msg *m, char **rawp)
{
	if (!km->controllen)
		return 0;
	if (km->controllen > CONTROL_MAX)
		return -ENOBUFS;
	size_t len = km->controllen;
	char *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	*rawp = buf;
	if (copy_from_user(t, buf, km->control, len))
		return -EFAULT;
	for (size_t off = 0; len - off >= LINUX_CMSG_HDRLEN;) {
		struct linux_cmsghdr h;
		memcpy(&h, buf + off, sizeof(h));
		if (h.cmsg_len < LINUX_CMSG_HDRLEN || h.cmsg_len > len - off)
			return -EINVAL;
		const char *data = buf + off + LINUX_CMSG_HDRLEN;
		size_t dlen = h.cmsg_len - LINUX_CMSG_HDRLEN;
		if (h.cmsg_level == LINUX_SOL_SOCKET) {
			if (h.cmsg_type == LINUX_SCM_RIGHTS) {
				if (s->family != LINUX_AF_UNIX)
					return -EINVAL;
				int n = (int)(dlen / sizeof(int32_t));
				if (n > 0) {
					if (m->nfds + n > LINUX_SCM_MAX_FD)
						return -EINVAL;
					struct file **nf =
						realloc(m->fds, (size_t)(m->nfds + n) * sizeof(*nf));
					if (!nf)
						return -ENOMEM;
					m->fds = nf;
					for (int i = 0; i < n; i++) {
						int32_t fd;
						memcpy(&fd, data + i * sizeof(int32_t), sizeof(fd));
						struct file *f = fd_get(t->fdt, fd);
						if (!f)
							return -EBADF;
						m->fds[m->nfds++] = f;
					}
				}
			} else if (h.cmsg_type == LINUX_SCM_CREDENTIALS) {
				if (h.cmsg_len != LINUX_CMSG_LEN(sizeof(struct linux_ucred)))
					return -EINVAL;
				memcpy(&m->creds, data, sizeof(m->creds));
				int err = check_creds(t, &m->creds);
				if (err)
					return err;
				m->has_creds = true;
			} else {
				return -EINVAL;
			}
		}
		uint64_t step = LINUX_CMSG_ALIGN(h.cmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
	m->control = buf;
	m->controllen = len;
	return 0;
}

/*
 * Build the received control messages in the application's buffer
 * (Linux's scm_recv: credentials, then files). *used gets the bytes
 * written; MSG_CTRUNC is added to *mflags when something did not fit.
 * The files are installed (close-on-exec with MSG_CMSG_CLOEXEC) or put.
 */
static int put_control(struct task *t, struct sock_msg *m, const struct kmsg *km, int flags,
		       uint64_t *used, int *mflags)
{
	*used = 0;
	if (!m->has_creds && !m->nfds)
		return 0;
	if (!km->control) {
		*mflags |= LINUX_MSG_CTRUNC;
		put_fds(m);
		return 0;
	}
	uint64_t room = km->controllen;
	size_t need = LINUX_CMSG_SPACE(sizeof(struct linux_ucred)) +
		      LINUX_CMSG_SPACE((size_t)m->nfds * sizeof(int32_t));
	size_t cap = room < need ? (size_t)room : need;
	char *kb = calloc(1, cap ? cap : 1);
	if (!kb) {
		put_fds(m);
		return -ENOMEM;
	}
	size_t pos = 0;
	if (m->has_creds) {
		if (room - pos < LINUX_CMSG_HDRLEN) {
			*mflags |= LINUX_MSG_CTRUNC;
		} else {
			size_t cmlen = LINUX_CMSG_LEN(sizeof(struct linux_ucred));
			if (room - pos < cmlen) {
				*mflags |= LINUX_MSG_CTRUNC;
				cmlen = room - pos;
			}
			struct linux_cmsghdr h = {cmlen, LINUX_SOL_SOCKET, LINUX_SCM_CREDENTIALS};
			memcpy(kb + pos, &h, sizeof(h));
			memcpy(kb + pos + sizeof(h), &m->creds, cmlen - sizeof(h));
			size_t sp = LINUX_CMSG_SPACE(sizeof(struct linux_ucred));
			pos += sp < room - pos ? sp : room - pos;
		}
	}
	if (m->nfds) {
		uint64_t left = room - pos;
		int fdmax = left > LINUX_CMSG_HDRLEN ? (int)((left - LINUX_CMSG_HDRLEN) / 4) : 0;
		if (fdmax > m->nfds)
			fdmax = m->nfds;
		int i;
		for (i = 0; i < fdmax; i++) {
			int fd = fd_install(t->fdt, m->fds[i], flags & LINUX_MSG_CMSG_CLOEXEC, 0);
			if (fd < 0)
				break;
			int32_t v = fd;
			memcpy(kb + pos + LINUX_CMSG_HDRLEN + (size_t)i * 4, &v, 4);
		}
		if (i > 0) {
			struct linux_cmsghdr h = {LINUX_CMSG_LEN((size_t)i * 4), LINUX_SOL_SOCKET,
						  LINUX_SCM_RIGHTS};
			memcpy(kb + pos, &h, sizeof(h));
			size_t sp = LINUX_CMSG_SPACE((size_t)i * 4);
			pos += sp < left ? sp : left;
		}
		if (i < m->nfds || fdmax <= 0)
			*mflags |= LINUX_MSG_CTRUNC;
		put_fds(m);
	}
	int err = pos && copy_to_user(t, km->control, kb, pos) ? -EFAULT : 0;
	free(kb);
	*used = pos;
	return err;
}

/* --- send ---------------------------------------------------------------- */

static void raise_sigpipe(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	signal_send_task(t, SIGPIPE);
	pthread_mutex_unlock(&kernel.lock);
}

static ssize_t do_sendmsg(struct task *t, struct socket *s, const struct kmsg *km, int flags)
{
	char addr[LINUX_SOCKADDR_MAX];
	struct sock_msg m = {0};
	char *raw = NULL, *buf = NULL;
	ssize_t r;

	if (km->name && km->namelen) {
		if ((r = sys_sockaddr_in(t, km->name, km->namelen, addr)))
			return r;
		m.addr = addr;
		m.addrlen = km->namelen;
	}
	if ((r = parse_control(t, s, km, &m, &raw)))
		goto out;
	bool stream = s->ops->is_stream && s->ops->is_stream(s);
	if (!stream && km->total > DGRAM_MAX) {
		r = -EMSGSIZE;
		goto out;
	}
	size_t cap = stream && km->total > SEND_CHUNK ? SEND_CHUNK : km->total;
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	size_t done = 0;
	do {
		size_t n = km->total - done < cap ? km->total - done : cap;
		if ((r = iov_copy(t, km, done, buf, n, false))) {
			/* As Linux, a stream socket's state error (EPIPE,
			 * ENOTCONN) comes before the copy's EFAULT: ask with
			 * nothing to send (a datagram would be sent empty). */
			if (stream && done == 0) {
				m.data = buf;
				m.len = 0;
				ssize_t st = sock_sendmsg(s, t, &m, flags | LINUX_MSG_DONTWAIT);
				if (st < 0 && st != -EAGAIN)
					r = st;
			}
			break;
		}
		m.data = buf;
		m.len = n;
		r = sock_sendmsg(s, t, &m, flags);
		if (r < 0)
			break;
		done += (size_t)r;
		if ((size_t)r < n)
			break;
		/* Control messages go with the first piece only. */
		m.has_creds = false;
		m.control = NULL;
		m.controllen = 0;
	} while (done < km->total);
	if (done)
		r = (ssize_t)done;
	if (r == -EPIPE && m.sigpipe && !(flags & LINUX_MSG_NOSIGNAL))
		raise_sigpipe(t);
out:
	put_fds(&m);
	free(raw);
	free(buf);
	return r;
}

static long send_on_fd(struct task *t, int fd, const struct kmsg *km, int flags)
{
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, fd, &f, &err);
	if (!s)
		return err;
	long r = do_sendmsg(t, s, km, flags);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(sendto)
{
	struct linux_iovec iov = {args->a[1], args->a[2]};
	struct kmsg km = {.iov = &iov, .iovcnt = 1};
	if (iov.len > SYS_MAX_RW)
		iov.len = SYS_MAX_RW;
	km.total = iov.len;
	if (args->a[4]) {
		km.name = args->a[4];
		km.namelen = (uint32_t)args->a[5];
		if ((int32_t)km.namelen < 0 || km.namelen > LINUX_SOCKADDR_MAX)
			return -EINVAL;
	}
	return send_on_fd(t, sys_fd(args->a[0]), &km, (int)args->a[3]);
}

SYSCALL_DEFINE(sendmsg)
{
	struct kmsg km;
	int err = import_msghdr(t, args->a[1], &km);
	long r = err ? err : send_on_fd(t, sys_fd(args->a[0]), &km, (int)args->a[2]);
	kmsg_free(&km);
	return r;
}

SYSCALL_DEFINE(sendmmsg)
{
	unsigned vlen = (unsigned)args->a[2];
	int flags = (int)args->a[3];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	long r = 0;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		uint64_t um = args->a[1] + (uint64_t)i * sizeof(struct linux_mmsghdr);
		struct kmsg km;
		r = import_msghdr(t, um, &km);
		if (!r)
			r = do_sendmsg(t, s, &km, flags);
		kmsg_free(&km);
		if (r < 0)
			break;
		uint32_t n = (uint32_t)r;
		if (copy_to_user(t, um + offsetof(struct linux_mmsghdr, msg_len), &n, sizeof(n))) {
			r = -EFAULT;
			break;
		}
	}
	file_put(f);
	return i > 0 ? (long)i : r;
}

/* --- receive ------------------------------------------------------------- */

struct recv_out {
	char addr[LINUX_SOCKADDR_MAX];
	uint32_t addrlen;
	int mflags;
	uint64_t controllen;
};

static ssize_t do_recvmsg(struct task *t, struct socket *s, const struct kmsg *km, int flags,
			  struct recv_out *out)
{
	struct sock_msg m = {0};
	bool stream = s->ops->is_stream && s->ops->is_stream(s);
	size_t limit = !stream ? DGRAM_MAX
		       : (flags & LINUX_MSG_WAITALL) && !(flags & LINUX_MSG_PEEK) ? RECV_WAITALL_MAX
										   : RECV_CHUNK;
	size_t cap = km->total < limit ? km->total : limit;
	/* A buffer that cannot take the data fails before anything is
	 * consumed (Linux copies out of the queue and keeps what faulted). */
	for (int i = 0; i < km->iovcnt; i++)
		if (!mm_range_ok(t->mm, km->iov[i].base, km->iov[i].len, true))
			return -EFAULT;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	m.addr = out->addr;
	m.data = buf;
	m.len = cap;
	int pflags = flags & ~LINUX_MSG_CMSG_CLOEXEC;
	ssize_t r = sock_recvmsg(s, t, &m, pflags);
	out->addrlen = r >= 0 ? m.addrlen : 0;
	out->mflags = r >= 0 ? m.flags_out : 0;
	out->controllen = 0;
	if (r < 0)
		goto out;
	size_t n = (size_t)r < cap ? (size_t)r : cap;
	if (iov_copy(t, km, 0, buf, n, true)) {
		r = -EFAULT;
		goto out;
	}
	/* MSG_WAITALL beyond one bounce buffer: go on in pieces. */
	size_t done = n;
	while (stream && (flags & LINUX_MSG_WAITALL) && !(flags & LINUX_MSG_PEEK) && n == cap &&
	       done < km->total) {
		struct sock_msg more = {.addr = NULL, .data = buf};
		more.len = km->total - done < cap ? km->total - done : cap;
		ssize_t r2 = sock_recvmsg(s, t, &more, pflags);
		put_fds(&more);
		if (r2 <= 0)
			break;
		n = (size_t)r2;
		if (iov_copy(t, km, done, buf, n, true))
			break;
		done += n;
		if (n < more.len)
			break;
	}
	if (done > n || (stream && r > 0))
		r = (ssize_t)done;
	int err = put_control(t, &m, km, flags, &out->controllen, &out->mflags);
	if (err)
		r = err;
out:
	put_fds(&m);
	free(buf);
	return r;
}

SYSCALL_DEFINE(recvfrom)
{
	struct linux_iovec iov = {args->a[1], args->a[2]};
	struct kmsg km = {.iov = &iov, .iovcnt = 1};
	struct recv_out out;
	struct file *f;
	int err;
	if (iov.len > SYS_MAX_RW)
		iov.len = SYS_MAX_RW;
	km.total = iov.len;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	long r = do_recvmsg(t, s, &km, (int)args->a[3], &out);
	if (r >= 0 && args->a[4]) {
		err = sys_sockaddr_out(t, out.addr, (int)out.addrlen, args->a[4], args->a[5]);
		if (err)
			r = err;
	}
	file_put(f);
	return r;
}

/* Receive one message into the msghdr at umsg, writing back its
 * msg_namelen, msg_controllen and msg_flags. */
static long recvmsg_one(struct task *t, struct socket *s, uint64_t umsg, int flags)
{
	struct kmsg km;
	struct recv_out out;
	long r = import_msghdr(t, umsg, &km);
	if (r)
		goto out;
	r = do_recvmsg(t, s, &km, flags, &out);
	if (r < 0)
		goto out;
	if (km.name) {
		uint32_t n = km.namelen < out.addrlen ? km.namelen : out.addrlen;
		if (n && copy_to_user(t, km.name, out.addr, n)) {
			r = -EFAULT;
			goto out;
		}
	}
	/* msg_namelen is written only when there is a name buffer (Linux's
	 * move_addr_to_user). */
	uint32_t nl = out.addrlen;
	int32_t mf = out.mflags;
	if ((km.name &&
	     copy_to_user(t, umsg + offsetof(struct linux_msghdr, msg_namelen), &nl, sizeof(nl))) ||
	    copy_to_user(t, umsg + offsetof(struct linux_msghdr, msg_controllen), &out.controllen,
			 sizeof(out.controllen)) ||
	    copy_to_user(t, umsg + offsetof(struct linux_msghdr, msg_flags), &mf, sizeof(mf)))
		r = -EFAULT;
out:
	kmsg_free(&km);
	return r;
}

SYSCALL_DEFINE(recvmsg)
{
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	long r = recvmsg_one(t, s, args->a[1], (int)args->a[2]);
	file_put(f);
	return r;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

SYSCALL_DEFINE(recvmmsg)
{
	unsigned vlen = (unsigned)args->a[2];
	int flags = (int)args->a[3];
	uint64_t utimeout = args->a[4];
	int64_t deadline = -1;
	struct file *f;
	int err;
	if (utimeout) {
		struct {
			int64_t sec, nsec;
		} ts;
		if (copy_from_user(t, &ts, utimeout, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000LL)
			return -EINVAL;
		deadline = mono_ns() + ts.sec * 1000000000LL + ts.nsec;
	}
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	long r = 0;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		uint64_t um = args->a[1] + (uint64_t)i * sizeof(struct linux_mmsghdr);
		r = recvmsg_one(t, s, um, flags & ~LINUX_MSG_WAITFORONE);
		if (r < 0)
			break;
		uint32_t n = (uint32_t)r;
		if (copy_to_user(t, um + offsetof(struct linux_mmsghdr, msg_len), &n, sizeof(n))) {
			r = -EFAULT;
			break;
		}
		if (flags & LINUX_MSG_WAITFORONE)
			flags |= LINUX_MSG_DONTWAIT;
		if (deadline >= 0 && mono_ns() >= deadline) {
			i++;
			break;
		}
	}
	if (utimeout) {
		/* Linux writes back the time left. */
		int64_t left = deadline - mono_ns();
		if (left < 0)
			left = 0;
		int64_t ts[2] = {left / 1000000000LL, left % 1000000000LL};
		if (copy_to_user(t, utimeout, ts, sizeof(ts)) && i == 0)
			r = -EFAULT;
	}
	file_put(f);
	if (i > 0)
		return (long)i;
	return r;
}

long sys_sock_rw_iov(struct task *t, struct file *f, uint64_t uiov, int cnt, bool write)
{
	struct socket *s = sock_from_file(f);
	struct kmsg km = {0};
	if (!s)
		return -ENOTSOCK;
	long r = import_iov(t, uiov, (uint64_t)(cnt < 0 ? UIO_MAXIOV + 1 : cnt), &km);
	if (r == -EMSGSIZE)
		r = -EINVAL;
	if (!r) {
		if (write) {
			/* The dispatcher raises SIGPIPE for writev itself. */
			r = do_sendmsg(t, s, &km, LINUX_MSG_NOSIGNAL);
		} else {
			struct recv_out out;
			r = do_recvmsg(t, s, &km, 0, &out);
		}
	}
	kmsg_free(&km);
	return r;
}

long sys_sock_rw(struct task *t, struct file *f, uint64_t ubuf, size_t count, bool write)
{
	struct socket *s = sock_from_file(f);
	struct linux_iovec iov = {ubuf, count > SYS_MAX_RW ? SYS_MAX_RW : count};
	struct kmsg km = {.iov = &iov, .iovcnt = 1, .total = iov.len};
	if (!s)
		return -ENOTSOCK;
	if (write)
		return do_sendmsg(t, s, &km, LINUX_MSG_NOSIGNAL);
	struct recv_out out;
	return do_recvmsg(t, s, &km, 0, &out);
}
