/*
 * Extended attributes by path: the generic part of the xattr syscalls, as
 * Linux's fs/xattr.c: read-only mounts, xattr_permission() (trusted.* needs
 * CAP_SYS_ADMIN, user.* exists only on regular files and directories, sticky
 * directories protect user.* of others), then the inode's xattr ops. A
 * filesystem without them stores nothing: reading gives ENODATA, listing an
 * empty list, writing EOPNOTSUPP. Buffers are sentry memory; names are
 * NUL-terminated and already length-checked by the syscall (1..255 bytes).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "vfs/vfs_internal.h"
#include "vfs/vfs_ops.h"

#define XATTR_CREATE_ 1
#define XATTR_REPLACE_ 2

static bool has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

static bool owner_or_capable(struct task *t, struct inode *i)
{
	return !t || t->creds.fsuid == i->uid || creds_capable(&t->creds, CAP_FOWNER);
}

/* Linux's xattr_permission(). mask: MAY_READ or MAY_WRITE. */
static int xattr_permission(struct task *t, struct inode *i, const char *name, int mask)
{
	bool w = mask & MAY_WRITE;

	if (has_prefix(name, "security.") || has_prefix(name, "system."))
		return 0;
	if (has_prefix(name, "trusted.")) {
		if (t && !creds_capable(&t->creds, CAP_SYS_ADMIN))
			return w ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, "user.")) {
		if (!S_ISREG(i->mode) && !S_ISDIR(i->mode))
			return w ? -EPERM : -ENODATA;
		if (S_ISDIR(i->mode) && (i->mode & S_ISVTX) && w && !owner_or_capable(t, i))
			return -EPERM;
	}
	return inode_permission(i, mask, t);
}

/* Only the namespaces Linux knows: anything else is EOPNOTSUPP. */
static bool known_namespace(const char *name)
{
	return has_prefix(name, "user.") || has_prefix(name, "trusted.") ||
	       has_prefix(name, "security.") || has_prefix(name, "system.");
}

ssize_t vfs_getxattr(struct task *t, const struct path *p, const char *name, void *buf,
		     size_t size)
{
	struct dentry *d = p->dentry;
	int err = xattr_permission(t, d->inode, name, MAY_READ);

	if (err)
		return err;
	if (!known_namespace(name))
		return -EOPNOTSUPP;
	if (!d->inode->iops || !d->inode->iops->getxattr)
		return -ENODATA;
	return d->inode->iops->getxattr(d, name, buf, size);
}

ssize_t vfs_listxattr(struct task *t, const struct path *p, char *buf, size_t size)
{
	struct dentry *d = p->dentry;

	(void)t; /* listing needs no permission beyond the lookup */
	if (!d->inode->iops || !d->inode->iops->listxattr)
		return 0;
	return d->inode->iops->listxattr(d, buf, size);
}

int vfs_setxattr(struct task *t, const struct path *p, const char *name, const void *value,
		 size_t size, int flags)
{
	struct dentry *d = p->dentry;
	int err;

	if (flags & ~(XATTR_CREATE_ | XATTR_REPLACE_))
		return -EINVAL;
	if ((err = vfs_may_write_sb(p->mnt, d)))
		return err;
	if ((err = xattr_permission(t, d->inode, name, MAY_WRITE)))
		return err;
	if (!known_namespace(name) || !d->inode->iops || !d->inode->iops->setxattr)
		return -EOPNOTSUPP;
	return d->inode->iops->setxattr(d, name, value, size, flags);
}

int vfs_removexattr(struct task *t, const struct path *p, const char *name)
{
	struct dentry *d = p->dentry;
	int err;

	if ((err = vfs_may_write_sb(p->mnt, d)))
		return err;
	if ((err = xattr_permission(t, d->inode, name, MAY_WRITE)))
		return err;
	if (!known_namespace(name) || !d->inode->iops || !d->inode->iops->removexattr)
		return -EOPNOTSUPP;
	return d->inode->iops->removexattr(d, name);
}
