/* Path-based name operations for the syscalls: mkdir, mknod, unlink, rmdir,
 * rename, symlink, link, readlink, access, chmod-like setattr by path. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/linux_stat.h"
#include "kernel/task.h"
#include "vfs/vfs_internal.h"
#include "vfs/vfs_ops.h"

/* Sticky directories: only the owner of the file or of the directory (or
 * CAP_FOWNER) may remove or rename entries. */
static int check_sticky(struct task *t, struct inode *dir, struct inode *victim)
{
	if (!t || !(dir->mode & S_ISVTX))
		return 0;
	uint32_t uid = t->creds.fsuid;
	if (uid == victim->uid || uid == dir->uid || creds_capable(&t->creds, CAP_FOWNER))
		return 0;
	return -EPERM;
}

static int may_create(struct task *t, const struct path *parent)
{
	int err = vfs_may_write_sb(parent->mnt, parent->dentry);
	if (err)
		return err;
	return inode_permission(parent->dentry->inode, MAY_WRITE | MAY_EXEC, t);
}

int vfs_mknodat_kind(struct task *t, int dirfd, const char *path, int kind, uint32_t mode,
		     uint64_t rdev, const char *target)
{
	struct path parent;
	char last[VFS_NAME_MAX + 1];
	int lt;
	bool slash;
	int err = vfs_path_parent(t, dirfd, path, &parent, last, &lt, &slash);
	if (err)
		return err;
	if (lt != LAST_NORM) {
		path_put(&parent);
		return -EEXIST;
	}
	if (slash && kind != MK_DIR_) {
		/* "name/" for a non-directory: ENOENT unless it exists. */
		path_put(&parent);
		struct path p;
		if (vfs_path_lookup(t, dirfd, path, 0, &p) == 0) {
			path_put(&p);
			return -EEXIST;
		}
		return -ENOENT;
	}
	struct dentry *dir = parent.dentry;
	pthread_mutex_lock(&dir->lock);
	struct dentry *ex = d_lookup_locked(dir, last, &err);
	if (ex) {
		dput_locked_parent(dir, ex);
		err = -EEXIST;
	} else if (err == -ENOENT) {
		err = may_create(t, &parent);
		if (!err) {
			if (kind != MK_LNK_)
				mode = (mode & S_IFMT) | (mode & 07777 & ~task_umask(t));
			err = vfs_mknode_locked(dir, last, kind, mode, rdev, target, t, NULL);
		}
	}
	pthread_mutex_unlock(&dir->lock);
	path_put(&parent);
	return err;
}

int vfs_unlinkat(struct task *t, int dirfd, const char *path, bool isdir)
{
	struct path parent;
	char last[VFS_NAME_MAX + 1];
	int lt;
	bool slash;
	int err = vfs_path_parent(t, dirfd, path, &parent, last, &lt, &slash);
	if (err)
		return err;
	if (lt != LAST_NORM) {
		path_put(&parent);
		if (!isdir)
			return lt == LAST_ROOT ? -EISDIR : -EISDIR;
		return lt == LAST_DOT ? -EINVAL : (lt == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY);
	}
	struct dentry *dir = parent.dentry;
	pthread_mutex_lock(&dir->lock);
	struct dentry *v = d_lookup_locked(dir, last, &err);
	if (v) {
		if (slash && !S_ISDIR(v->inode->mode))
			err = S_ISLNK(v->inode->mode) && !isdir ? -ENOTDIR : -ENOTDIR;
		else
			err = may_create(t, &parent);
		if (!err)
			err = check_sticky(t, dir->inode, v->inode);
		if (!err && isdir && v == parent.mnt->root)
			err = -EBUSY;
		if (!err)
			err = vfs_remove_locked(dir, v, isdir);
		dput_locked_parent(dir, v);
	}
	pthread_mutex_unlock(&dir->lock);
	path_put(&parent);
	return err;
}

/* renameat2, in the order of Linux's do_renameat2: flags, both parents,
 * EXDEV, "."/".."/"/" as either last component (EBUSY; EEXIST for a new one
 * under RENAME_NOREPLACE), then the entries themselves. */
int vfs_renameat(struct task *t, int olddfd, const char *oldpath, int newdfd, const char *newpath,
		 unsigned flags)
{
	const unsigned NR = LINUX_RENAME_NOREPLACE, EX = LINUX_RENAME_EXCHANGE;
	struct path op, np;
	char oldlast[VFS_NAME_MAX + 1], newlast[VFS_NAME_MAX + 1];
	int olt, nlt;
	bool oslash, nslash;
	if ((flags & ~(NR | EX | LINUX_RENAME_WHITEOUT)) || (flags & (NR | EX)) == (NR | EX))
		return -EINVAL;
	/* RENAME_WHITEOUT (overlayfs-internal; tmpfs has it) is not supported. */
	if (flags & LINUX_RENAME_WHITEOUT)
		return -EINVAL;
	int err = vfs_path_parent(t, olddfd, oldpath, &op, oldlast, &olt, &oslash);
	if (err)
		return err;
	err = vfs_path_parent(t, newdfd, newpath, &np, newlast, &nlt, &nslash);
	if (err) {
		path_put(&op);
		return err;
	}
	if (op.mnt != np.mnt) {
		err = -EXDEV;
		goto out;
	}
	if (olt != LAST_NORM) {
		err = -EBUSY;
		goto out;
	}
	if (nlt != LAST_NORM) {
		err = (flags & NR) ? -EEXIST : -EBUSY;
		goto out;
	}
	if ((err = may_create(t, &op)) || (err = may_create(t, &np)))
		goto out;
	pthread_mutex_lock(&vfs_rename_lock);
	lock_rename_dirs(op.dentry, np.dentry);
	struct dentry *old = d_lookup_locked(op.dentry, oldlast, &err);
	if (old) {
		bool odir = S_ISDIR(old->inode->mode);
		struct dentry *tgt = d_lookup_locked(np.dentry, newlast, &err);
		err = 0;
		if (tgt && (flags & NR))
			err = -EEXIST;
		else if (!tgt && (flags & EX))
			err = -ENOENT;
		else if ((flags & EX) && nslash && !S_ISDIR(tgt->inode->mode))
			err = -ENOTDIR;
		else if (!odir && (oslash || (nslash && !(flags & EX))))
			err = -ENOTDIR;
		if (!err)
			err = check_sticky(t, op.dentry->inode, old->inode);
		if (!err && tgt)
			err = check_sticky(t, np.dentry->inode, tgt->inode);
		/* Moving a directory to a new parent rewrites its "..". */
		if (!err && odir && op.dentry != np.dentry)
			err = inode_permission(old->inode, MAY_WRITE, t);
		if (!err && tgt && (flags & EX) && S_ISDIR(tgt->inode->mode) &&
		    op.dentry != np.dentry)
			err = inode_permission(tgt->inode, MAY_WRITE, t);
		if (tgt)
			dput_locked_parent(np.dentry, tgt);
		if (!err)
			err = vfs_rename_locked(op.dentry, old, np.dentry, newlast, flags);
		dput_locked_parent(old->parent, old);
	}
	unlock_rename_dirs(op.dentry, np.dentry);
	pthread_mutex_unlock(&vfs_rename_lock);
out:
	path_put(&op);
	path_put(&np);
	return err;
}

/* Linux's may_linkat with fs.protected_hardlinks = 1 (systemd's default):
 * unless the owner (or CAP_FOWNER), only a regular, non-set-ID file the
 * caller may read and write can get another name. */
static int may_linkat(struct task *t, struct inode *i)
{
	if (!t || t->creds.fsuid == i->uid || creds_capable(&t->creds, CAP_FOWNER))
		return 0;
	if (!S_ISREG(i->mode) || (i->mode & S_ISUID) ||
	    (i->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		return -EPERM;
	return inode_permission(i, MAY_READ | MAY_WRITE, t) ? -EPERM : 0;
}

int vfs_linkat(struct task *t, int olddfd, const char *oldpath, int newdfd, const char *newpath,
	       unsigned lookup_flags)
{
	struct path old, np;
	char last[VFS_NAME_MAX + 1];
	int lt;
	bool slash;
	int err = vfs_path_lookup(t, olddfd, oldpath, lookup_flags, &old);
	if (err)
		return err;
	if (S_ISDIR(old.dentry->inode->mode)) {
		path_put(&old);
		return -EPERM;
	}
	err = vfs_path_parent(t, newdfd, newpath, &np, last, &lt, &slash);
	if (err) {
		path_put(&old);
		return err;
	}
	if (lt != LAST_NORM || slash)
		err = lt == LAST_NORM ? -ENOENT : -EEXIST;
	else if (old.mnt != np.mnt)
		err = -EXDEV;
	else if ((err = may_linkat(t, old.dentry->inode)))
		;
	else if (!(err = may_create(t, &np)))
		err = vfs_link_in(old.dentry, np.dentry, last);
	path_put(&old);
	path_put(&np);
	return err;
}

ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t size)
{
	struct path p;
	int err = vfs_path_lookup(t, dirfd, path, LOOKUP_EMPTY, &p);
	if (err)
		return err;
	/* Linux: "" (the dirfd itself) that is not a symlink is ENOENT. */
	ssize_t n = path[0] ? -EINVAL : -ENOENT;
	if (S_ISLNK(p.dentry->inode->mode))
		n = vfs_readlink_d(p.dentry, buf, size);
	path_put(&p);
	return n;
}

/* access(2): with the real uid/gid unless AT_EACCESS (then fs ids). Root's
 * capabilities apply only when it is the real uid 0, as in Linux. */
int vfs_faccessat(struct task *t, int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~7)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct creds saved;
	if (t && !(flags & AT_EACCESS)) {
		saved = t->creds;
		t->creds.fsuid = t->creds.uid;
		t->creds.fsgid = t->creds.gid;
		if (t->creds.uid != 0)
			t->creds.cap_effective = 0;
		else
			t->creds.cap_effective = t->creds.cap_permitted;
	}
	struct path p;
	int err = vfs_path_lookup(t, dirfd, path, lf, &p);
	if (err == 0) {
		if (mode) {
			err = inode_permission(p.dentry->inode, mode, t);
			if (!err && (mode & W_OK)) {
				uint32_t m = p.dentry->inode->mode;
				if (S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m))
					err = vfs_may_write_sb(p.mnt, p.dentry);
			}
		}
		path_put(&p);
	}
	if (t && !(flags & AT_EACCESS))
		t->creds = saved;
	return err;
}

int vfs_statfs_path(const struct path *p, struct kstatfs *st)
{
	struct superblock *sb = p->dentry->sb;
	memset(st, 0, sizeof(*st));
	int err = 0;
	if (sb->ops && sb->ops->statfs)
		err = sb->ops->statfs(sb, st);
	else {
		st->type = sb->magic;
		st->bsize = st->frsize = 4096;
		st->namelen = VFS_NAME_MAX;
	}
	if (!st->type)
		st->type = sb->magic;
	if (!st->bsize)
		st->bsize = 4096;
	if (!st->frsize)
		st->frsize = st->bsize;
	if ((sb->flags & SB_RDONLY) || (p->mnt && (p->mnt->flags & MNT_RDONLY)))
		st->flags |= LINUX_ST_RDONLY;
	if (p->mnt && (p->mnt->flags & MNT_NOSUID))
		st->flags |= LINUX_ST_NOSUID;
	if (p->mnt && (p->mnt->flags & MNT_NODEV))
		st->flags |= LINUX_ST_NODEV;
	if (p->mnt && (p->mnt->flags & MNT_NOEXEC))
		st->flags |= LINUX_ST_NOEXEC;
	st->fsid = sb->dev;
	return err;
}

int vfs_statat(struct task *t, int dirfd, const char *path, unsigned lookup_flags,
	       struct kstat *st)
{
	struct path p;
	struct file *f = NULL;
	int err = vfs_path_lookup_at(t, NULL, dirfd, path, lookup_flags, NULL, &p, &f);
	if (err)
		return err;
	/* A magic link to a pipe or host descriptor: the file's own attributes. */
	err = f ? vfs_fstat(f, st) : vfs_getattr_d(p.dentry, st);
	if (f)
		file_put(f);
	path_put(&p);
	return err;
}
