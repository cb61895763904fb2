/* Attribute changes: chmod, chown, utimensat, truncate, ftruncate. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "syscalls/sys_fs.h"

#define LINUX_UTIME_NOW ((1l << 30) - 1l)
#define LINUX_UTIME_OMIT ((1l << 30) - 2l)

/* Resolve (dirfd, path, flags) or an fd (upath == 0 with fd semantics). */
static int attr_path(struct task *t, int dirfd, uint64_t upath, unsigned lf, struct path *out)
{
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	if (!path[0] && (lf & LOOKUP_EMPTY) && dirfd != AT_FDCWD) {
		free(path);
		struct file *f = sys_fget(t, dirfd);
		if (!f)
			return -EBADF;
		if (!f->path.dentry) {
			file_put(f);
			return -EOPNOTSUPP;
		}
		*out = f->path;
		path_get(out);
		file_put(f);
		return 0;
	}
	err = vfs_path_lookup(t, dirfd, path, lf, out);
	free(path);
	return err;
}

static int fd_path(struct task *t, int fd, struct path *out)
{
	struct file *f = sys_fget(t, fd);
	if (!f)
		return -EBADF;
	int err = 0;
	if (file_flags(f) & O_PATH) {
		err = -EBADF; /* Linux's fdget: fchmod, fchown, futimens */
	} else if (!f->path.dentry) {
		err = -EOPNOTSUPP;
	} else {
		*out = f->path;
		path_get(out);
	}
	file_put(f);
	return err;
}

static bool is_owner(struct task *t, struct inode *i)
{
	return t->creds.fsuid == i->uid || creds_capable(&t->creds, CAP_FOWNER);
}

static int do_chmod(struct task *t, struct path *p, uint32_t mode)
{
	struct inode *i = p->dentry->inode;
	int err = 0;
	if (!is_owner(t, i))
		err = -EPERM;
	else if ((err = vfs_may_write_sb(p->mnt, p->dentry)) == 0) {
		mode &= 07777;
		if ((mode & S_ISGID) && !creds_in_group(&t->creds, i->gid) &&
		    !creds_capable(&t->creds, CAP_FSETID))
			mode &= ~(uint32_t)S_ISGID;
		struct iattr ia = {.valid = ATTR_MODE, .mode = mode};
		err = vfs_setattr_d(p->dentry, &ia);
	}
	path_put(p);
	return err;
}

SYSCALL_DEFINE(chmod)
{
	struct path p;
	int err = attr_path(t, AT_FDCWD, args->a[0], LOOKUP_FOLLOW, &p);
	return err ? err : do_chmod(t, &p, (uint32_t)args->a[1]);
}

SYSCALL_DEFINE(fchmod)
{
	struct path p;
	int err = fd_path(t, sys_fd(args->a[0]), &p);
	return err ? err : do_chmod(t, &p, (uint32_t)args->a[1]);
}

SYSCALL_DEFINE(fchmodat)
{
	struct path p;
	int err = attr_path(t, sys_fd(args->a[0]), args->a[1], LOOKUP_FOLLOW, &p);
	return err ? err : do_chmod(t, &p, (uint32_t)args->a[2]);
}

static int do_chown(struct task *t, struct path *p, uint32_t uid, uint32_t gid)
{
	struct inode *i = p->dentry->inode;
	struct iattr ia = {0};
	int err = vfs_may_write_sb(p->mnt, p->dentry);
	bool cap = creds_capable(&t->creds, CAP_CHOWN);
	if (!err && uid != (uint32_t)-1 && uid != i->uid && !cap)
		err = -EPERM;
	/* Linux's chgrp_ok: only the owner, to the same group or one it is in. */
	if (!err && gid != (uint32_t)-1 && !cap &&
	    (t->creds.fsuid != i->uid || (gid != i->gid && !creds_in_group(&t->creds, gid))))
		err = -EPERM;
	if (!err && uid != (uint32_t)-1 && !cap && t->creds.fsuid != i->uid)
		err = -EPERM;
	if (!err) {
		if (uid != (uint32_t)-1) {
			ia.valid |= ATTR_UID;
			ia.uid = uid;
		}
		if (gid != (uint32_t)-1) {
			ia.valid |= ATTR_GID;
			ia.gid = gid;
		}
		/* Changing owner clears setuid/setgid on non-directories. */
		if (ia.valid && !S_ISDIR(i->mode) && (i->mode & (S_ISUID | S_ISGID))) {
			ia.valid |= ATTR_MODE;
			ia.mode = i->mode & ~(uint32_t)(S_ISUID | ((i->mode & S_IXGRP) ? S_ISGID : 0));
		}
		if (ia.valid)
			err = vfs_setattr_d(p->dentry, &ia);
	}
	path_put(p);
	return err;
}

SYSCALL_DEFINE(chown)
{
	struct path p;
	int err = attr_path(t, AT_FDCWD, args->a[0], LOOKUP_FOLLOW, &p);
	return err ? err : do_chown(t, &p, (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(lchown)
{
	struct path p;
	int err = attr_path(t, AT_FDCWD, args->a[0], 0, &p);
	return err ? err : do_chown(t, &p, (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(fchown)
{
	struct path p;
	int err = fd_path(t, sys_fd(args->a[0]), &p);
	return err ? err : do_chown(t, &p, (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(fchownat)
{
	int flags = (int)args->a[4];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	int err = attr_path(t, sys_fd(args->a[0]), args->a[1], lf, &p);
	return err ? err : do_chown(t, &p, (uint32_t)args->a[2], (uint32_t)args->a[3]);
}

struct linux_timespec {
	int64_t sec, nsec;
};

SYSCALL_DEFINE(utimensat)
{
	int dirfd = sys_fd(args->a[0]);
	int flags = (int)args->a[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct linux_timespec ts[2];
	bool now_both = args->a[2] == 0;
	if (!now_both) {
		if (copy_from_user(t, ts, args->a[2], sizeof(ts)))
			return -EFAULT;
		for (int k = 0; k < 2; k++)
			if (ts[k].nsec != LINUX_UTIME_NOW && ts[k].nsec != LINUX_UTIME_OMIT &&
			    (ts[k].nsec < 0 || ts[k].nsec > 999999999))
				return -EINVAL;
		now_both = ts[0].nsec == LINUX_UTIME_NOW && ts[1].nsec == LINUX_UTIME_NOW;
		if (ts[0].nsec == LINUX_UTIME_OMIT && ts[1].nsec == LINUX_UTIME_OMIT)
			return 0;
	}
	struct path p;
	int err;
	if (args->a[1] == 0) {
		/* utimensat(fd, NULL, ...): the fd itself (futimens). */
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		err = fd_path(t, dirfd, &p);
	} else {
		unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & AT_EMPTY_PATH)
			lf |= LOOKUP_EMPTY;
		err = attr_path(t, dirfd, args->a[1], lf, &p);
	}
	if (err)
		return err;
	struct inode *i = p.dentry->inode;
	err = vfs_may_write_sb(p.mnt, p.dentry);
	if (!err && !is_owner(t, i)) {
		/* Setting "now" needs write access; explicit times need ownership. */
		err = now_both ? inode_permission(i, MAY_WRITE, t) : -EPERM;
	}
	if (!err) {
		struct timespec now;
		vfs_now(&now);
		struct iattr ia = {.valid = ATTR_CTIME, .ctime = now};
		for (int k = 0; k < 2; k++) {
			struct timespec v = now;
			if (!now_both) {
				if (ts[k].nsec == LINUX_UTIME_OMIT)
					continue;
				if (ts[k].nsec != LINUX_UTIME_NOW)
					v = (struct timespec){ts[k].sec, ts[k].nsec};
			}
			if (k == 0) {
				ia.valid |= ATTR_ATIME;
				ia.atime = v;
			} else {
				ia.valid |= ATTR_MTIME;
				ia.mtime = v;
			}
		}
		err = vfs_setattr_d(p.dentry, &ia);
	}
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(truncate)
{
	int64_t len = (int64_t)args->a[1];
	if (len < 0)
		return -EINVAL;
	struct path p;
	int err = attr_path(t, AT_FDCWD, args->a[0], LOOKUP_FOLLOW, &p);
	if (err)
		return err;
	struct inode *i = p.dentry->inode;
	if (S_ISDIR(i->mode))
		err = -EISDIR;
	else if (!S_ISREG(i->mode))
		err = -EINVAL;
	else if (!(err = inode_permission(i, MAY_WRITE, t)) &&
		 !(err = vfs_may_write_sb(p.mnt, p.dentry))) {
		struct iattr ia = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = (uint64_t)len};
		vfs_now(&ia.mtime);
		ia.ctime = ia.mtime;
		err = vfs_setattr_d(p.dentry, &ia);
	}
	path_put(&p);
	return err;
}

SYSCALL_DEFINE(ftruncate)
{
	int64_t len = (int64_t)args->a[1];
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int err = len < 0 ? -EINVAL : vfs_ftruncate(f, (uint64_t)len);
	file_put(f);
	return err;
}
