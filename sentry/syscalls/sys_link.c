/* symlink(at), link(at), mknod(at), fsync, fdatasync. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "syscalls/sys_fs.h"

static long do_symlinkat(struct task *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	int err;
	char *target = sys_getpath(t, utarget, &err);
	if (!target)
		return err;
	char *path = sys_getpath(t, upath, &err);
	if (path) {
		err = target[0] ? vfs_mknodat_kind(t, dirfd, path, VFS_MK_LNK, S_IFLNK | 0777, 0, target)
				: -ENOENT;
		free(path);
	}
	free(target);
	return err;
}

SYSCALL_DEFINE(symlink)
{
	return do_symlinkat(t, args->a[0], AT_FDCWD, args->a[1]);
}

SYSCALL_DEFINE(symlinkat)
{
	return do_symlinkat(t, args->a[0], sys_fd(args->a[1]), args->a[2]);
}

static long do_linkat(struct task *t, int od, uint64_t uold, int nd, uint64_t unew, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int err;
	char *oldp = sys_getpath(t, uold, &err);
	if (!oldp)
		return err;
	char *newp = sys_getpath(t, unew, &err);
	if (newp) {
		unsigned lf = (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
		if (flags & AT_EMPTY_PATH)
			lf |= LOOKUP_EMPTY;
		err = vfs_linkat(t, od, oldp, nd, newp, lf);
		free(newp);
	}
	free(oldp);
	return err;
}

SYSCALL_DEFINE(link)
{
	return do_linkat(t, AT_FDCWD, args->a[0], AT_FDCWD, args->a[1], 0);
}

SYSCALL_DEFINE(linkat)
{
	return do_linkat(t, sys_fd(args->a[0]), args->a[1], sys_fd(args->a[2]), args->a[3],
			 (int)args->a[4]);
}

static long do_mknodat(struct task *t, int dirfd, uint64_t upath, uint32_t mode, uint64_t dev)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	switch (type) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		dev = 0;
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (!creds_capable(&t->creds, 27 /* CAP_MKNOD */))
			return -EPERM;
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	/* The 32-bit argument is Linux's new_encode_dev() form, which is also
	 * how st_rdev reports it for minors < 256 x majors < 4096. */
	err = vfs_mknodat_kind(t, dirfd, path, type == S_IFREG ? VFS_MK_REG : VFS_MK_NOD,
			       type | (mode & 07777), dev, NULL);
	free(path);
	return err;
}

SYSCALL_DEFINE(mknod)
{
	return do_mknodat(t, AT_FDCWD, args->a[0], (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(mknodat)
{
	return do_mknodat(t, sys_fd(args->a[0]), args->a[1], (uint32_t)args->a[2],
			  (uint32_t)args->a[3]);
}

static long do_fsync(struct task *t, int fd, bool datasync)
{
	struct file *f = sys_fget(t, fd);
	if (!f)
		return -EBADF;
	long r = 0;
	if (file_flags(f) & O_PATH)
		r = -EBADF;
	else if (f->ops && f->ops->fsync)
		r = f->ops->fsync(f, datasync);
	else if (!f->path.dentry)
		r = -EINVAL; /* pipes, sockets: no fsync */
	file_put(f);
	return r;
}

SYSCALL_DEFINE(fsync)
{
	return do_fsync(t, sys_fd(args->a[0]), false);
}

SYSCALL_DEFINE(fdatasync)
{
	return do_fsync(t, sys_fd(args->a[0]), true);
}
