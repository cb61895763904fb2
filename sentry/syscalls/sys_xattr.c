/*
 * Extended attributes: the path (or fd) is resolved as Linux would (so
 * ENOENT, ENOTDIR, ELOOP, EFAULT are right), the name copied and checked
 * (empty or longer than 255: ERANGE), then vfs_*xattr (vfs/xattr.c) applies
 * Linux's permission rules and calls the filesystem: goferfs keeps user.*
 * attributes on the host through the gofer; a filesystem without xattr ops
 * reports no such attribute (ENODATA), an empty list, and EOPNOTSUPP for
 * writes. Values and lists are bounced through a sentry buffer of at most
 * XATTR_SIZE_MAX (64 KiB) bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "syscalls/sys_fs.h"

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536

/* Resolve the target of a path or fd xattr call into *out (referenced). */
static int xattr_target(struct task *t, uint64_t upath, int fd, bool follow, struct path *out)
{
	int err;

	if (!upath) {
		struct file *f = sys_fget(t, fd);
		if (!f)
			return -EBADF;
		err = 0;
		if (file_flags(f) & O_PATH) {
			err = -EBADF; /* Linux's fdget */
		} else if (!f->path.dentry || !f->path.dentry->inode) {
			err = -EOPNOTSUPP; /* pipes, sockets, anonymous files */
		} else {
			*out = f->path;
			path_get(out);
		}
		file_put(f);
		return err;
	}
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	err = vfs_path_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, out);
	free(path);
	return err;
}

static int get_name(struct task *t, uint64_t uname, char name[XATTR_NAME_MAX + 1])
{
	long n = strncpy_from_user(t, name, uname, XATTR_NAME_MAX + 1);

	if (n == -ENAMETOOLONG)
		return -ERANGE;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ERANGE;
	return 0;
}

static long do_get(struct task *t, uint64_t upath, int fd, bool follow, uint64_t uname,
		   uint64_t uval, uint64_t size)
{
	char name[XATTR_NAME_MAX + 1];
	struct path p;
	char *buf = NULL;
	int err = xattr_target(t, upath, fd, follow, &p);

	if (err)
		return err;
	err = get_name(t, uname, name);
	if (err)
		goto out;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if (size && !(buf = malloc(size))) {
		err = -ENOMEM;
		goto out;
	}
	ssize_t n = vfs_getxattr(t, &p, name, buf, size);
	if (n > 0 && size && copy_to_user(t, uval, buf, (size_t)n))
		n = -EFAULT;
	path_put(&p);
	free(buf);
	return n;
out:
	path_put(&p);
	return err;
}

static long do_list(struct task *t, uint64_t upath, int fd, bool follow, uint64_t ulist,
		    uint64_t size)
{
	struct path p;
	char *buf = NULL;
	int err = xattr_target(t, upath, fd, follow, &p);

	if (err)
		return err;
	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	if (size && !(buf = malloc(size))) {
		path_put(&p);
		return -ENOMEM;
	}
	ssize_t n = vfs_listxattr(t, &p, buf, size);
	if (n > 0 && size && copy_to_user(t, ulist, buf, (size_t)n))
		n = -EFAULT;
	path_put(&p);
	free(buf);
	return n;
}

static long do_set(struct task *t, uint64_t upath, int fd, bool follow, uint64_t uname,
		   uint64_t uval, uint64_t size, int flags)
{
	char name[XATTR_NAME_MAX + 1];
	struct path p;
	char *buf = NULL;
	int err = xattr_target(t, upath, fd, follow, &p);

	if (err)
		return err;
	err = get_name(t, uname, name);
	if (!err && size > XATTR_SIZE_MAX)
		err = -E2BIG;
	if (!err && size && !(buf = malloc(size)))
		err = -ENOMEM;
	if (!err && size && copy_from_user(t, buf, uval, size))
		err = -EFAULT;
	if (!err)
		err = vfs_setxattr(t, &p, name, buf, size, flags);
	free(buf);
	path_put(&p);
	return err;
}

static long do_remove(struct task *t, uint64_t upath, int fd, bool follow, uint64_t uname)
{
	char name[XATTR_NAME_MAX + 1];
	struct path p;
	int err = xattr_target(t, upath, fd, follow, &p);

	if (err)
		return err;
	err = get_name(t, uname, name);
	if (!err)
		err = vfs_removexattr(t, &p, name);
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(getxattr)
{
	return do_get(t, args->a[0], -1, true, args->a[1], args->a[2], args->a[3]);
}

SYSCALL_DEFINE(lgetxattr)
{
	return do_get(t, args->a[0], -1, false, args->a[1], args->a[2], args->a[3]);
}

SYSCALL_DEFINE(fgetxattr)
{
	return do_get(t, 0, (int)args->a[0], true, args->a[1], args->a[2], args->a[3]);
}

SYSCALL_DEFINE(listxattr)
{
	return do_list(t, args->a[0], -1, true, args->a[1], args->a[2]);
}

SYSCALL_DEFINE(llistxattr)
{
	return do_list(t, args->a[0], -1, false, args->a[1], args->a[2]);
}

SYSCALL_DEFINE(flistxattr)
{
	return do_list(t, 0, (int)args->a[0], true, args->a[1], args->a[2]);
}

SYSCALL_DEFINE(setxattr)
{
	return do_set(t, args->a[0], -1, true, args->a[1], args->a[2], args->a[3], (int)args->a[4]);
}

SYSCALL_DEFINE(lsetxattr)
{
	return do_set(t, args->a[0], -1, false, args->a[1], args->a[2], args->a[3],
		      (int)args->a[4]);
}

SYSCALL_DEFINE(fsetxattr)
{
	return do_set(t, 0, (int)args->a[0], true, args->a[1], args->a[2], args->a[3],
		      (int)args->a[4]);
}

SYSCALL_DEFINE(removexattr)
{
	return do_remove(t, args->a[0], -1, true, args->a[1]);
}

SYSCALL_DEFINE(lremovexattr)
{
	return do_remove(t, args->a[0], -1, false, args->a[1]);
}

SYSCALL_DEFINE(fremovexattr)
{
	return do_remove(t, 0, (int)args->a[0], true, args->a[1]);
}
