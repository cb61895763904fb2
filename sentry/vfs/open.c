/* open(2) by path: lookup or create, permission checks, O_TRUNC, and
 * execve's open. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fsnotify.h"
#include "kernel/task.h"
#include "vfs/vfs_internal.h"

#define VFS_O_TMPFILE_BIT 020000000 /* Linux __O_TMPFILE (O_TMPFILE without O_DIRECTORY) */

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

/* Step onto whatever is mounted on *p (a mountpoint is a directory). */
static void cross_mounts(struct path *p)
{
	struct mount *m;
	while ((m = lookup_mnt(p->mnt, p->dentry)) != NULL) {
		dget(m->root);
		path_put(p);
		p->mnt = m;
		p->dentry = m->root;
	}
}

/*
 * Look up or create the last component for O_CREAT. A symlink there is
 * followed unless O_NOFOLLOW (ELOOP) or O_EXCL (EEXIST): a dangling one gets
 * its target created, as Linux does; a magic link (/proc/self/fd/N) gives
 * its file (*filep when it has no path).
 */
static int open_create(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		       struct path *out, struct file **filep, bool *created,
		       const struct vfs_resolve *rs)
{
	struct path base = {0};
	char *linkbuf = NULL;
	const char *cur = path;
	int nlinks = 0, err;
	for (;;) {
		struct path parent;
		char last[VFS_NAME_MAX + 1];
		int lt;
		bool slash;
		const struct path *bp = base.dentry ? &base : NULL;
		err = vfs_path_parent_rs(t, bp, dirfd, cur, &nlinks, &parent, last, &lt, &slash, rs);
		if (err)
			break;
		if (lt != LAST_NORM || slash) {
			/* "/", ".", "..", "dir/" with O_CREAT: an existing directory. */
			path_put(&parent);
			struct path p;
			err = vfs_path_lookup_rs(t, bp, dirfd, cur, LOOKUP_FOLLOW, &nlinks, &p, NULL,
						 rs);
			if (err == 0) {
				path_put(&p);
				err = -EISDIR;
			} else if (err == -ENOENT && slash) {
				err = -EISDIR;
			}
			break;
		}
		struct dentry *dir = parent.dentry;
		pthread_mutex_lock(&dir->lock);
		struct dentry *child = d_lookup_locked(dir, last, &err);
		if (!child && err == -ENOENT) {
			err = vfs_may_write_sb(parent.mnt, dir);
			if (!err)
				err = inode_permission(dir->inode, MAY_WRITE | MAY_EXEC, t);
			if (!err)
				err = vfs_mknode_locked(dir, last, MK_REG_,
							mode & ~task_umask(t) & 07777, 0, NULL, t,
							&child);
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
			break;
		}
		if (!*created && S_ISLNK(child->inode->mode)) {
			const struct inode_operations *iops = child->inode->iops;
			if (flags & O_NOFOLLOW)
				err = -ELOOP;
			else if (++nlinks > VFS_MAXSYMLINKS)
				err = -ELOOP;
			else if ((err = vfs_resolve_may_follow(rs, iops && iops->get_path)))
				;
			else if (iops && iops->get_path) {
				struct path to = {0};
				err = iops->get_path(child, &to, filep);
				if (err == 0 && rs && (rs->flags & VFS_RESOLVE_NO_XDEV) &&
				    (*filep || to.mnt != parent.mnt)) {
					if (*filep)
						file_put(*filep);
					else
						path_put(&to);
					*filep = NULL;
					err = -EXDEV;
				} else if (err == 0 && *filep) {
					out->mnt = parent.mnt; /* the link itself */
					out->dentry = child;
					mntget(out->mnt);
					dget(child);
				} else if (err == 0) {
					*out = to;
				}
			} else {
				if (!linkbuf)
					linkbuf = malloc(VFS_PATH_MAX + 1);
				ssize_t n = linkbuf ? vfs_readlink_d(child, linkbuf, VFS_PATH_MAX)
						    : -ENOMEM;
				if (n > 0 && linkbuf[0] == '/' && rs) {
					struct path root;
					if (rs->flags & VFS_RESOLVE_SCOPED) {
						root = rs->root;
						path_get(&root);
					} else {
						task_root(t, &root);
					}
					err = vfs_resolve_may_jump_root(rs, &parent, &root);
					path_put(&root);
					if (err)
						n = err;
				}
				if (n >= 0) {
					linkbuf[n] = '\0';
					dput(child);
					path_put(&base);
					base = parent; /* relative targets start here */
					cur = linkbuf;
					if (n == 0) {
						err = -ENOENT;
						break;
					}
					continue;
				}
				err = (int)n;
			}
			dput(child);
			path_put(&parent);
			break;
		}
		out->mnt = parent.mnt;
		out->dentry = child;
		parent.mnt = NULL;
		dput(parent.dentry);
		cross_mounts(out);
		break;
	}
	path_put(&base);
	free(linkbuf);
	return err;
}

/* O_TMPFILE: an unnamed regular file in the directory at path (EOPNOTSUPP
 * where the filesystem has no tmpfile op). Without O_EXCL linkat can name it
 * later. */
static int open_tmpfile(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
			struct file **out, const struct vfs_resolve *rs)
{
	struct path p;
	unsigned lf = LOOKUP_DIRECTORY | ((flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
	int err = vfs_path_lookup_rs(t, NULL, dirfd, path, lf, NULL, &p, NULL, rs);
	if (err)
		return err;
	struct dentry *dir = p.dentry, *child = NULL;
	err = vfs_may_write_sb(p.mnt, dir);
	if (!err)
		err = inode_permission(dir->inode, MAY_WRITE | MAY_EXEC, t);
	if (!err && (!dir->inode->iops || !dir->inode->iops->tmpfile))
		err = -EOPNOTSUPP;
	if (!err && (dir->flags & D_DEAD || dir->inode->nlink == 0))
		err = -ENOENT;
	if (!err && !(child = d_alloc(dir, "#")))
		err = -ENOMEM;
	if (err)
		goto out;
	child->flags |= D_DEAD; /* never in the dentry cache */
	pthread_mutex_lock(&dir->lock);
	err = dir->inode->iops->tmpfile(
		dir, child, vfs_strip_sgid(dir->inode, S_IFREG | (mode & ~task_umask(t) & 07777), t), t);
	pthread_mutex_unlock(&dir->lock);
	if (err == 0 && !child->inode)
		err = -EIO;
	if (err) {
		d_free_unhashed(child);
		goto out;
	}
	/* Named "#ino" like Linux's d_tmpfile: /proc/PID/fd shows
	 * "/dir/#ino (deleted)". */
	char name[32];
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)child->inode->ino);
	char *nn = strdup(name);
	if (nn) {
		pthread_rwlock_wrlock(&vfs_tree_lock);
		free(child->name);
		child->name = nn;
		pthread_rwlock_unlock(&vfs_tree_lock);
	}
	if (!(flags & O_EXCL))
		atomic_fetch_or(&child->inode->iflags, I_LINKABLE);
	err = vfs_open_d(p.mnt, child, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), out);
	dput(child);
out:
	path_put(&p);
	return err;
}

static int openat_rs(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		     const struct vfs_resolve *rs, struct file **out)
{
	struct path p;
	struct file *mf = NULL; /* a magic link's file without a path */
	bool created = false;
	int err;
	int acc = flags & O_ACCMODE;

	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	/* Linux 6.4+ build_open_flags: never a regular file from O_DIRECTORY. */
	if ((flags & O_CREAT) && (flags & O_DIRECTORY) && !(flags & VFS_O_TMPFILE_BIT))
		return -EINVAL;
	if (flags & VFS_O_TMPFILE_BIT) {
		/* Linux's build_open_flags: O_TMPFILE needs O_DIRECTORY, no
		 * O_CREAT, and write access. */
		if ((flags & (VFS_O_TMPFILE_BIT | O_DIRECTORY | O_CREAT)) !=
		    (VFS_O_TMPFILE_BIT | O_DIRECTORY))
			return -EINVAL;
		if (acc == O_RDONLY)
			return -EINVAL;
		return open_tmpfile(t, dirfd, path, flags, mode, out, rs);
	}
	if ((flags & O_CREAT) && !(flags & O_PATH)) {
		err = open_create(t, dirfd, path, flags, mode, &p, &mf, &created, rs);
	} else {
		unsigned lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		/* With O_NOFOLLOW a final symlink is not followed: ENOTDIR below. */
		if ((flags & O_DIRECTORY) && !(flags & O_NOFOLLOW))
			lf |= LOOKUP_DIRECTORY;
		err = vfs_path_lookup_rs(t, NULL, dirfd, path, lf, NULL, &p, &mf, rs);
	}
	if (err)
		return err;
	if (mf) {
		err = vfs_reopen(t, mf, flags, out);
		file_put(mf);
		goto out;
	}

	struct inode *inode = p.dentry->inode;
	uint32_t m = inode->mode;
	if ((flags & O_DIRECTORY) && !S_ISDIR(m)) {
		err = -ENOTDIR;
		goto out;
	}
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
		/* Linux's may_open: O_NOATIME only for the owner or CAP_FOWNER. */
		if ((flags & O_NOATIME) && t && t->creds.fsuid != inode->uid &&
		    !creds_capable(&t->creds, CAP_FOWNER)) {
			err = -EPERM;
			goto out;
		}
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
	if (!err)
		fsnotify_open(*out);
out:
	path_put(&p);
	return err;
}

int vfs_openat(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	       struct file **out)
{
	return openat_rs(t, dirfd, path, flags, mode, NULL, out);
}

int vfs_openat2(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		unsigned resolve, struct file **out)
{
	struct vfs_resolve rs = {.flags = resolve};
	if (resolve & ~(unsigned)(VFS_RESOLVE_NO_XDEV | VFS_RESOLVE_NO_MAGICLINKS |
				  VFS_RESOLVE_NO_SYMLINKS | VFS_RESOLVE_SCOPED | VFS_RESOLVE_CACHED))
		return -EINVAL;
	if ((resolve & VFS_RESOLVE_SCOPED) == VFS_RESOLVE_SCOPED)
		return -EINVAL;
	/* Every lookup here is "cached"; only the creating opens cannot be. */
	if ((resolve & VFS_RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | VFS_O_TMPFILE_BIT)))
		return -EAGAIN;
	if (!resolve)
		return openat_rs(t, dirfd, path, flags, mode, NULL, out);
	if (resolve & VFS_RESOLVE_SCOPED) {
		/* The starting directory becomes the walk's root. */
		int err = vfs_path_lookup_at(t, NULL, dirfd, "", LOOKUP_EMPTY, NULL, &rs.root, NULL);
		if (err)
			return err;
	}
	int err = openat_rs(t, dirfd, path, flags, mode, &rs, out);
	if (resolve & VFS_RESOLVE_SCOPED)
		path_put(&rs.root);
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
