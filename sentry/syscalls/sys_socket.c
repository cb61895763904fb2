/*
 * The socket calls: socket, socketpair, bind, listen, accept(4), connect,
 * shutdown, getsockname, getpeername, getsockopt, setsockopt. The data
 * calls (send*, recv*) are in sys_socket_msg.c.
 *
 * Handlers decode arguments, copy addresses and options through sentry
 * buffers and call the socket layer (sentry/socket/socket.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm.h"
#include "socket/socket.h"
#include "syscalls/sys_fs.h"
#include "syscalls/sys_socket.h"

#define SOCKOPT_MAX 4096 /* longest option value copied in or out */

struct socket *sys_sockfd(struct task *t, int fd, struct file **fp, int *err)
{
	struct file *f = sys_fget(t, fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	struct socket *s = sock_from_file(f);
	if (!s) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	*err = 0;
	return s;
}

int sys_sockaddr_in(struct task *t, uint64_t uaddr, int64_t len, void *buf)
{
	if (len < 0 || len > LINUX_SOCKADDR_MAX)
		return -EINVAL;
	memset(buf, 0, LINUX_SOCKADDR_MAX);
	if (len && copy_from_user(t, buf, uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

int sys_sockaddr_out(struct task *t, const void *addr, int klen, uint64_t uaddr,
		     uint64_t ulenp)
{
	int32_t ulen;
	if (copy_from_user(t, &ulen, ulenp, sizeof(ulen)))
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	/* Linux's move_addr_to_user: copy what fits, report the full length. */
	int n = ulen < klen ? ulen : klen;
	if (n > 0 && copy_to_user(t, uaddr, addr, (size_t)n))
		return -EFAULT;
	int32_t kl = klen;
	return copy_to_user(t, ulenp, &kl, sizeof(kl));
}

static int sock_type_flags(uint64_t arg, int *type, int *flags)
{
	int v = (int)arg;
	*type = v & LINUX_SOCK_TYPE_MASK;
	*flags = v & ~LINUX_SOCK_TYPE_MASK;
	if (*flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
		return -EINVAL;
	if (*type > 10) /* SOCK_MAX - 1; the family rejects the rest */
		return -EINVAL;
	return 0;
}

SYSCALL_DEFINE(socket)
{
	int family = (int)args->a[0], type, flags, protocol = (int)args->a[2];
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	int err = sock_type_flags(args->a[1], &type, &flags);
	if (err)
		return err;
	struct file *f = sock_create_file(family, type, protocol, flags & O_NONBLOCK);
	if (IS_ERR(f))
		return PTR_ERR(f);
	int fd = fd_install(t->fdt, f, flags & LINUX_SOCK_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(socketpair)
{
	int family = (int)args->a[0], type, flags, protocol = (int)args->a[2];
	if (family < 0 || family >= LINUX_AF_MAX)
		return -EAFNOSUPPORT;
	int err = sock_type_flags(args->a[1], &type, &flags);
	if (err)
		return err;
	struct file *a = sock_create_file(family, type, protocol, flags & O_NONBLOCK);
	if (IS_ERR(a))
		return PTR_ERR(a);
	struct file *b = sock_create_file(family, type, protocol, flags & O_NONBLOCK);
	if (IS_ERR(b)) {
		file_put(a);
		return PTR_ERR(b);
	}
	struct socket *sa = sock_from_file(a), *sb = sock_from_file(b);
	err = sa->ops->socketpair ? sa->ops->socketpair(sa, sb) : -EOPNOTSUPP;
	int fds[2] = {-1, -1};
	if (!err)
		err = fds[0] = fd_install(t->fdt, a, flags & LINUX_SOCK_CLOEXEC, 0);
	if (err >= 0)
		err = fds[1] = fd_install(t->fdt, b, flags & LINUX_SOCK_CLOEXEC, 0);
	if (err >= 0)
		err = copy_to_user(t, args->a[3], fds, sizeof(fds));
	if (err < 0) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				fd_close(t->fdt, fds[i]);
	}
	file_put(a);
	file_put(b);
	return err < 0 ? err : 0;
}

SYSCALL_DEFINE(bind)
{
	char addr[LINUX_SOCKADDR_MAX];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	err = sys_sockaddr_in(t, args->a[1], (int32_t)args->a[2], addr);
	if (!err)
		err = s->ops->bind ? s->ops->bind(s, t, addr, (uint32_t)args->a[2]) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(connect)
{
	char addr[LINUX_SOCKADDR_MAX];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	err = sys_sockaddr_in(t, args->a[1], (int32_t)args->a[2], addr);
	if (!err)
		err = s->ops->connect ? s->ops->connect(s, t, addr, (uint32_t)args->a[2],
							  file_flags(f) & O_NONBLOCK)
				      : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(listen)
{
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	err = s->ops->listen ? s->ops->listen(s, t, (int)args->a[1]) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

static long do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulenp, int flags)
{
	struct file *f, *nf = NULL;
	int err;
	if (flags & ~(LINUX_SOCK_CLOEXEC | LINUX_SOCK_NONBLOCK))
		return -EINVAL;
	struct socket *s = sys_sockfd(t, fd, &f, &err);
	if (!s)
		return err;
	if (!s->ops->accept) {
		err = -EOPNOTSUPP;
		goto out;
	}
	nf = sock_create_file(s->family, s->type, s->protocol, flags & O_NONBLOCK);
	if (IS_ERR(nf)) {
		err = PTR_ERR(nf);
		nf = NULL;
		goto out;
	}
	struct socket *ns = sock_from_file(nf);
	err = s->ops->accept(s, ns, file_flags(f) & O_NONBLOCK);
	if (err)
		goto out;
	if (uaddr) {
		char addr[LINUX_SOCKADDR_MAX];
		int len = ns->ops->getname(ns, addr, true);
		if (len < 0) {
			err = -ECONNABORTED;
			goto out;
		}
		if ((err = sys_sockaddr_out(t, addr, len, uaddr, ulenp)))
			goto out;
	}
	err = fd_install(t->fdt, nf, flags & LINUX_SOCK_CLOEXEC, 0);
out:
	if (nf)
		file_put(nf);
	file_put(f);
	return err;
}

SYSCALL_DEFINE(accept)
{
	return do_accept(t, sys_fd(args->a[0]), args->a[1], args->a[2], 0);
}

SYSCALL_DEFINE(accept4)
{
	return do_accept(t, sys_fd(args->a[0]), args->a[1], args->a[2], (int)args->a[3]);
}

static long do_getname(struct task *t, const struct sysargs *args, bool peer)
{
	char addr[LINUX_SOCKADDR_MAX];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	int32_t ulen;
	if (copy_from_user(t, &ulen, args->a[2], sizeof(ulen))) {
		err = -EFAULT;
	} else if (ulen < 0) {
		err = -EINVAL;
	} else {
		int len = s->ops->getname ? s->ops->getname(s, addr, peer) : -EOPNOTSUPP;
		err = len < 0 ? len : sys_sockaddr_out(t, addr, len, args->a[1], args->a[2]);
	}
	file_put(f);
	return err;
}

SYSCALL_DEFINE(getsockname)
{
	return do_getname(t, args, false);
}

SYSCALL_DEFINE(getpeername)
{
	return do_getname(t, args, true);
}

SYSCALL_DEFINE(shutdown)
{
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	err = s->ops->shutdown ? s->ops->shutdown(s, (int)args->a[1]) : -EOPNOTSUPP;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(getsockopt)
{
	int level = (int)args->a[1], name = (int)args->a[2];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	int32_t ulen;
	char *val = NULL;
	if (copy_from_user(t, &ulen, args->a[4], sizeof(ulen))) {
		err = -EFAULT;
		goto out;
	}
	if (ulen < 0) {
		err = -EINVAL;
		goto out;
	}
	uint32_t len = (uint32_t)ulen > SOCKOPT_MAX ? SOCKOPT_MAX : (uint32_t)ulen;
	val = calloc(1, SOCKOPT_MAX);
	if (!val) {
		err = -ENOMEM;
		goto out;
	}
	err = s->ops->getsockopt ? s->ops->getsockopt(s, level, name, val, &len) : -ENOPROTOOPT;
	if (err == -ENOPROTOOPT && level == LINUX_SOL_SOCKET)
		err = sock_getsockopt_generic(s, level, name, val, &len);
	if (err)
		goto out;
	if (len && copy_to_user(t, args->a[3], val, len)) {
		err = -EFAULT;
		goto out;
	}
	ulen = (int32_t)len;
	err = copy_to_user(t, args->a[4], &ulen, sizeof(ulen));
out:
	free(val);
	file_put(f);
	return err;
}

SYSCALL_DEFINE(setsockopt)
{
	int level = (int)args->a[1], name = (int)args->a[2];
	int32_t ulen = (int32_t)args->a[4];
	struct file *f;
	int err;
	struct socket *s = sys_sockfd(t, sys_fd(args->a[0]), &f, &err);
	if (!s)
		return err;
	char *val = NULL;
	if (ulen < 0) {
		err = -EINVAL;
		goto out;
	}
	uint32_t len = (uint32_t)ulen > SOCKOPT_MAX ? SOCKOPT_MAX : (uint32_t)ulen;
	val = calloc(1, SOCKOPT_MAX);
	if (!val) {
		err = -ENOMEM;
		goto out;
	}
	if (len && copy_from_user(t, val, args->a[3], len)) {
		err = -EFAULT;
		goto out;
	}
	err = s->ops->setsockopt ? s->ops->setsockopt(s, level, name, val, len) : -ENOPROTOOPT;
	if (err == -ENOPROTOOPT && level == LINUX_SOL_SOCKET) {
		err = sock_setsockopt_generic(s, t, level, name, val, len);
		if (!err && s->ops->sockopt_changed)
			s->ops->sockopt_changed(s, name);
	}
out:
	free(val);
	file_put(f);
	return err;
}
