/* Descriptor operations: dup, dup2, dup3, fcntl, flock, umask. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "fs/fasync.h"
#include "fs/lock.h"
#include "kernel/task.h"
#include "syscalls/sys_fs.h"

SYSCALL_DEFINE(dup)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int fd = fd_install(t->fdt, f, false, 0);
	file_put(f);
	return fd;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	struct file *f = sys_fget(t, oldfd);
	if (!f)
		return -EBADF;
	int r = fd_install_at(t->fdt, newfd, f, flags & O_CLOEXEC, task_nofile(t));
	file_put(f);
	return r;
}

SYSCALL_DEFINE(dup2)
{
	int oldfd = sys_fd(args->a[0]), newfd = sys_fd(args->a[1]);
	if (oldfd == newfd) {
		struct file *f = sys_fget(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

SYSCALL_DEFINE(dup3)
{
	return do_dup3(t, sys_fd(args->a[0]), sys_fd(args->a[1]), (int)args->a[2]);
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

/* F_GETLK, F_SETLK(W) and the F_OFD_ ones: struct flock in and (for the
 * GETLK commands) back out. */
static long fcntl_lock(struct task *t, int fd, struct file *f, int cmd, uint64_t arg)
{
	struct linux_flock fl;
	if (copy_from_user(t, &fl, arg, sizeof(fl)))
		return -EFAULT;
	long r = file_lock_fcntl(t, fd, f, cmd, &fl);
	if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) &&
	    copy_to_user(t, arg, &fl, sizeof(fl)))
		return -EFAULT;
	return r;
}

SYSCALL_DEFINE(fcntl)
{
	int fd = sys_fd(args->a[0]);
	int cmd = (int)args->a[1];
	uint64_t arg = args->a[2];
	struct file *f = sys_fget(t, fd);
	if (!f)
		return -EBADF;
	long r;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		int minfd = (int)arg;
		if (minfd < 0 || minfd >= task_nofile(t))
			r = -EINVAL;
		else
			r = fd_install(t->fdt, f, cmd == F_DUPFD_CLOEXEC, minfd);
		break;
	}
	case F_GETFD:
		r = fd_get_cloexec(t->fdt, fd);
		r = r < 0 ? r : (r ? FD_CLOEXEC : 0);
		break;
	case F_SETFD:
		r = fd_set_cloexec(t->fdt, fd, arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = file_flags(f);
		break;
	case F_SETFL: {
		int nf = (int)arg;
		if (file_flags(f) & O_PATH) {
			r = -EBADF;
			break;
		}
		/* O_NOATIME: only the owner or CAP_FOWNER may change it. */
		if (((nf ^ file_flags(f)) & O_NOATIME) && f->inode &&
		    t->creds.fsuid != f->inode->uid && !creds_capable(&t->creds, CAP_FOWNER)) {
			r = -EPERM;
			break;
		}
		/* O_APPEND cannot be cleared on an append-only file: n/a here. */
		pthread_mutex_lock(&f->flags_lock);
		bool async_changed = (nf ^ f->flags) & O_ASYNC;
		int newflags = (f->flags & ~SETFL_MASK) |
			       (nf & (O_APPEND | O_NONBLOCK | (f->inode ? O_NOATIME : 0))) |
			       (f->flags & O_ASYNC);
		f->flags = newflags;
		pthread_mutex_unlock(&f->flags_lock);
		r = async_changed ? fasync_set(f, fd, nf & O_ASYNC) : 0;
		if (r == 0)
			r = f->ops && f->ops->setfl ? f->ops->setfl(f, file_flags(f)) : 0;
		break;
	}
	case F_SETOWN: {
		int who = (int)arg;
		r = who == INT_MIN ? -EINVAL
				   : fasync_setown(f, who < 0 ? FASYNC_OWNER_PGRP : FASYNC_OWNER_PID,
						   who < 0 ? -who : who);
		break;
	}
	case F_GETOWN:
		r = fasync_getown(f);
		break;
	case F_SETOWN_EX: {
		struct {
			int32_t type, pid;
		} ex;
		if (copy_from_user(t, &ex, arg, sizeof(ex))) {
			r = -EFAULT;
			break;
		}
		r = fasync_setown(f, ex.type, ex.pid);
		break;
	}
	case F_GETOWN_EX: {
		int type, who;
		fasync_getown_ex(f, &type, &who);
		struct {
			int32_t type, pid;
		} ex = {type, who};
		r = copy_to_user(t, arg, &ex, sizeof(ex)) ? -EFAULT : 0;
		break;
	}
	case F_SETSIG:
		r = arg > (uint64_t)INT32_MAX ? -EINVAL : fasync_setsig(f, (int)arg);
		break;
	case F_GETSIG:
		r = fasync_getsig(f);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		r = pipe_fcntl(f, cmd, arg);
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = fcntl_lock(t, fd, f, cmd, arg);
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(flock)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	long r = file_flock(t, f, (unsigned)args->a[1]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(umask)
{
	if (!t->fs)
		return 022;
	pthread_mutex_lock(&t->fs->lock);
	uint32_t old = t->fs->umask;
	t->fs->umask = (uint32_t)args->a[0] & 0777;
	pthread_mutex_unlock(&t->fs->lock);
	return old;
}
