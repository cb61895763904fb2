/* open(2) by path: lookup or create, permission checks, O_TRUNC, and
 * execve's open. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "vfs/vfs_internal.h"

uint32_t task_umask(struct task *t)
{
	if (!t || !t->fs)
		return 022;
	pthread_mutex_lock(&t->fs->lock);
	uint32_t m = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	return m;
}

int vfs_may_write_sb(struct mount *m, struct dentry *d)
{
	if ((m && (m->flags & MNT_RDONLY)) || (d->sb->flags & SB_RDONLY))
		return -EROFS;
	return 0;
}

/* Look up or create the last component for O_CREAT. */
static int open_create(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		       struct path *out, bool *created)
{
	struct path parent;
	char last[VFS_NAME_MAX + 1];
	int lt;
	bool slash;
	int err = vfs_path_parent(t, dirfd, path, &parent, last, &lt, &slash);
	if (err)
		return err;
	if (lt != LAST_NORM || slash) {
		/* "/", ".", "..", "dir/" with O_CREAT: an existing directory. */
		path_put(&parent);
		if (lt != LAST_NORM || slash) {
			struct path p;
			err = vfs_path_lookup(t, dirfd, path, LOOKUP_FOLLOW, &p);
			if (err == 0) {
				path_put(&p);
				return -EISDIR;
			}
			return err == -ENOENT && slash ? -EISDIR : err;
		}
	}
	struct dentry *dir = parent.dentry;
	pthread_mutex_lock(&dir->lock);
	struct dentry *child = d_lookup_locked(dir, last, &err);
	if (!child && err == -ENOENT) {
		err = vfs_may_write_sb(parent.mnt, dir);
		if (!err)
			err = inode_permission(dir->inode, MAY_WRITE | MAY_EXEC, t);
		if (!err)
			err = vfs_mknode_locked(dir, last, MK_REG_, mode & ~task_umask(t) & 07777, 0,
						NULL, t, &child);
		if (!err)
			*created = true;
	} else if (child && (flags & O_EXCL)) {
		dput_locked_parent(dir, child);
		child = NULL;
		err = -EEXIST;
	}
	pthread_mutex_unlock(&dir->lock);
	if (!child) {
		path_put(&parent);
		return err;
	}
	if (S_ISLNK(child->inode->mode)) {
		dput(child);
		path_put(&parent);
		if (flags & O_NOFOLLOW)
			return -ELOOP;
		/* An existing symlink: follow it like a plain open. (A dangling
		 * link is not created through: -ENOENT; Linux would create the
		 * target.) */
		return vfs_path_lookup(t, dirfd, path, LOOKUP_FOLLOW, out);
	}
	out->mnt = parent.mnt;
	out->dentry = child;
	parent.mnt = NULL;
	dput(parent.dentry);
	/* Step onto a mount on it (a mountpoint is a directory: EISDIR later). */
	struct mount *m;
	while ((m = lookup_mnt(out->mnt, out->dentry)) != NULL) {
		dget(m->root);
		path_put(out);
		out->mnt = m;
		out->dentry = m->root;
	}
	return 0;
}

int vfs_openat(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	       struct file **out)
{
	struct path p;
	bool created = false;
	int err;
	int acc = flags & O_ACCMODE;

	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if ((flags & O_CREAT) && !(flags & O_PATH)) {
		err = open_create(t, dirfd, path, flags, mode, &p, &created);
	} else {
		unsigned lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		err = vfs_path_lookup(t, dirfd, path, lf, &p);
	}
	if (err)
		return err;

	struct inode *inode = p.dentry->inode;
	uint32_t m = inode->mode;
	if (flags & O_PATH)
		goto do_open;
	if (S_ISLNK(m)) {
		err = -ELOOP;
		goto out;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(m)) {
		err = -ENOTDIR;
		goto out;
	}
	if (S_ISDIR(m) && (acc != O_RDONLY || (flags & O_CREAT) || (flags & O_TRUNC))) {
		err = -EISDIR;
		goto out;
	}
	if (!created) {
		int may = 0;
		if (acc == O_RDONLY || acc == O_RDWR || acc == O_ACCMODE)
			may |= MAY_READ;
		if (acc == O_WRONLY || acc == O_RDWR || acc == O_ACCMODE || (flags & O_TRUNC))
			may |= MAY_WRITE;
		err = inode_permission(inode, may, t);
		if (err)
			goto out;
		if ((may & MAY_WRITE) && (S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m))) {
			err = vfs_may_write_sb(p.mnt, p.dentry);
			if (err)
				goto out;
		}
		if ((S_ISCHR(m) || S_ISBLK(m)) && p.mnt && (p.mnt->flags & MNT_NODEV)) {
			err = -EACCES;
			goto out;
		}
		if ((flags & O_TRUNC) && S_ISREG(m)) {
			struct iattr ia = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0};
			vfs_now(&ia.mtime);
			ia.ctime = ia.mtime;
			err = vfs_setattr_d(p.dentry, &ia);
			if (err)
				goto out;
		}
	}
do_open:
	err = vfs_open_d(p.mnt, p.dentry, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), out);
out:
	path_put(&p);
	return err;
}

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	struct path p;
	int err = vfs_path_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (err)
		return err;
	struct inode *inode = p.dentry->inode;
	if (!S_ISREG(inode->mode) || (p.mnt && (p.mnt->flags & MNT_NOEXEC)) ||
	    (p.dentry->sb->flags & SB_NOEXEC)) {
		err = -EACCES;
		goto out;
	}
	err = inode_permission(inode, MAY_EXEC, t);
	if (err)
		goto out;
	err = vfs_open_d(p.mnt, p.dentry, O_RDONLY, out);
out:
	path_put(&p);
	return err;
}
