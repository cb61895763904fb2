/*
 * Extended attributes. No filesystem stores any yet: lookups resolve the path
 * as Linux would (so ENOENT, ENOTDIR, ELOOP, EFAULT are right), then reading
 * reports no such attribute (ENODATA), listing an empty list, and setting or
 * removing EOPNOTSUPP. Writable user.* attributes come with the filesystem
 * work.
 */
#include <errno.h>
#include <stdlib.h>

#include "syscalls/sys_fs.h"

#define XATTR_NAME_MAX 255

/* Resolve the target of a path or fd xattr call; 0 or -errno. */
static int xattr_target(struct task *t, uint64_t upath, int fd, bool follow)
{
	struct path p = {0};
	int err;

	if (!upath) {
		struct file *f = sys_fget(t, fd);
		if (!f)
			return -EBADF;
		file_put(f);
		return 0;
	}
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	err = vfs_path_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, &p);
	free(path);
	if (err == 0)
		path_put(&p);
	return err;
}

static int check_name(struct task *t, uint64_t uname)
{
	char name[XATTR_NAME_MAX + 1];
	long n = strncpy_from_user(t, name, uname, sizeof(name));

	if (n == -ENAMETOOLONG)
		return -ERANGE;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ERANGE;
	return 0;
}

static long do_get(struct task *t, uint64_t upath, int fd, bool follow, uint64_t uname)
{
	int r = xattr_target(t, upath, fd, follow);
	if (r == 0)
		r = check_name(t, uname);
	return r ? r : -ENODATA;
}

static long do_list(struct task *t, uint64_t upath, int fd, bool follow)
{
	int r = xattr_target(t, upath, fd, follow);
	return r ? r : 0;
}

static long do_set(struct task *t, uint64_t upath, int fd, bool follow, uint64_t uname)
{
	int r = xattr_target(t, upath, fd, follow);
	if (r == 0)
		r = check_name(t, uname);
	return r ? r : -EOPNOTSUPP;
}

SYSCALL_DEFINE(getxattr)
{
	return do_get(t, args->a[0], -1, true, args->a[1]);
}

SYSCALL_DEFINE(lgetxattr)
{
	return do_get(t, args->a[0], -1, false, args->a[1]);
}

SYSCALL_DEFINE(fgetxattr)
{
	return do_get(t, 0, (int)args->a[0], true, args->a[1]);
}

SYSCALL_DEFINE(listxattr)
{
	return do_list(t, args->a[0], -1, true);
}

SYSCALL_DEFINE(llistxattr)
{
	return do_list(t, args->a[0], -1, false);
}

SYSCALL_DEFINE(flistxattr)
{
	return do_list(t, 0, (int)args->a[0], true);
}

SYSCALL_DEFINE(setxattr)
{
	return do_set(t, args->a[0], -1, true, args->a[1]);
}

SYSCALL_DEFINE(lsetxattr)
{
	return do_set(t, args->a[0], -1, false, args->a[1]);
}

SYSCALL_DEFINE(fsetxattr)
{
	return do_set(t, 0, (int)args->a[0], true, args->a[1]);
}

SYSCALL_DEFINE(removexattr)
{
	return do_set(t, args->a[0], -1, true, args->a[1]);
}

SYSCALL_DEFINE(lremovexattr)
{
	return do_set(t, args->a[0], -1, false, args->a[1]);
}

SYSCALL_DEFINE(fremovexattr)
{
	return do_set(t, 0, (int)args->a[0], true, args->a[1]);
}
