/*
 * Path resolution, done entirely in the sentry: one component at a time,
 * crossing mounts, following symlinks (at most VFS_MAXSYMLINKS per walk),
 * ".." never above the task's root, search permission on every directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "abi/linux_stat.h"
#include "fs/fsnotify.h"
#include "vfs/vfs_internal.h"

struct nameidata {
	struct task *t;
	struct path root;
	struct path cur;
	int nlinks;
	/* A magic link resolved to an open file without a path (a pipe, a host
	 * descriptor): only valid as the last component; cur is the link. */
	struct file *file;
	const struct vfs_resolve *rs; /* openat2's restrictions, or NULL */
};

int vfs_resolve_may_follow(const struct vfs_resolve *rs, bool magic)
{
	if (!rs)
		return 0;
	if (rs->flags & VFS_RESOLVE_NO_SYMLINKS)
		return -ELOOP;
	if (magic && (rs->flags & VFS_RESOLVE_NO_MAGICLINKS))
		return -ELOOP;
	if (magic && (rs->flags & VFS_RESOLVE_SCOPED))
		return -EXDEV; /* Linux: not safe for scoped lookups */
	return 0;
}

int vfs_resolve_may_jump_root(const struct vfs_resolve *rs, const struct path *at,
			      const struct path *root)
{
	if (!rs)
		return 0;
	if (rs->flags & VFS_RESOLVE_BENEATH)
		return -EXDEV;
	if ((rs->flags & VFS_RESOLVE_NO_XDEV) && at->mnt != root->mnt)
		return -EXDEV;
	return 0;
}

static bool nd_no_xdev(const struct nameidata *nd)
{
	return nd->rs && (nd->rs->flags & VFS_RESOLVE_NO_XDEV);
}

void task_root(struct task *t, struct path *out)
{
	if (t && t->fs) {
		fs_context_root(t->fs, out);
		return;
	}
	out->mnt = vfs_root_mount;
	out->dentry = vfs_root_mount ? vfs_root_mount->root : NULL;
	path_get(out);
}

void task_cwd(struct task *t, struct path *out)
{
	if (t && t->fs) {
		fs_context_cwd(t->fs, out);
		return;
	}
	task_root(t, out);
}

struct file *task_fget(struct task *t, int fd)
{
	if (!t || !t->fdt)
		return NULL;
	return fd_get(t->fdt, fd);
}

/* Step onto whatever is mounted on nd->cur (repeatedly). */
static int follow_mounts(struct nameidata *nd)
{
	struct mount *m;
	while ((m = lookup_mnt(nd->cur.mnt, nd->cur.dentry)) != NULL) {
		if (nd_no_xdev(nd)) {
			mntput(m);
			return -EXDEV;
		}
		dget(m->root);
		path_put(&nd->cur);
		nd->cur.mnt = m;
		nd->cur.dentry = m->root;
	}
	return 0;
}

static int follow_dotdot(struct nameidata *nd)
{
	for (;;) {
		if (path_equal(&nd->cur, &nd->root))
			return nd->rs && (nd->rs->flags & VFS_RESOLVE_BENEATH) ? -EXDEV : 0;
		if (nd->cur.dentry != nd->cur.mnt->root) {
			struct dentry *p = dget_parent(nd->cur.dentry);
			if (!p)
				return 0;
			dput(nd->cur.dentry);
			nd->cur.dentry = p;
			break;
		}
		struct mount *m = nd->cur.mnt;
		if (!m->parent)
			return 0;
		if (nd_no_xdev(nd))
			return -EXDEV;
		struct path up = {m->parent, m->mountpoint};
		path_get(&up);
		path_put(&nd->cur);
		nd->cur = up;
	}
	return follow_mounts(nd);
}

static int walk(struct nameidata *nd, const char *s, bool follow_last, bool want_dir_last);

/* nd->cur is the directory containing the symlink; continue at its target.
 * Magic links (/proc/PID/fd/N, cwd, root, exe) jump to the file itself
 * instead of walking their text, as Linux's nd_jump_link. */
static int follow_link(struct nameidata *nd, struct path *link)
{
	if (++nd->nlinks > VFS_MAXSYMLINKS)
		return -ELOOP;
	const struct inode_operations *iops = link->dentry->inode->iops;
	bool magic = iops && iops->get_path;
	int rerr = vfs_resolve_may_follow(nd->rs, magic);
	if (rerr)
		return rerr;
	if (magic) {
		struct path to = {0};
		struct file *f = NULL;
		int err = iops->get_path(link->dentry, &to, &f);
		if (err)
			return err;
		if (nd_no_xdev(nd) && (f || to.mnt != nd->cur.mnt)) {
			/* Linux's nd_jump_link: a jump to another mount */
			if (f)
				file_put(f);
			else
				path_put(&to);
			return -EXDEV;
		}
		path_put(&nd->cur);
		if (f) {
			nd->file = f;
			nd->cur = *link;
			path_get(&nd->cur);
		} else {
			nd->cur = to;
		}
		return 0;
	}
	char *target = malloc(VFS_PATH_MAX + 1);
	if (!target)
		return -ENOMEM;
	ssize_t n = vfs_readlink_d(link->dentry, target, VFS_PATH_MAX);
	if (n < 0) {
		free(target);
		return (int)n;
	}
	if (n == 0) {
		free(target);
		return -ENOENT;
	}
	target[n] = '\0';
	if (target[0] == '/') {
		rerr = vfs_resolve_may_jump_root(nd->rs, &nd->cur, &nd->root);
		if (rerr) {
			free(target);
			return rerr;
		}
		path_put(&nd->cur);
		nd->cur = nd->root;
		path_get(&nd->cur);
	}
	int err = walk(nd, target, true, false);
	free(target);
	return err;
}

/*
 * Walk s from nd->cur. Every component must be a searchable directory except
 * the last; a final symlink is followed when follow_last. want_dir_last
 * (trailing slash) makes the last component follow links and be a directory.
 */
static int walk(struct nameidata *nd, const char *s, bool follow_last, bool want_dir_last)
{
	char name[VFS_NAME_MAX + 1];
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return 0;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - s);
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, s, len);
		name[len] = '\0';
		const char *rest = e;
		while (*rest == '/')
			rest++;
		bool last = *rest == '\0';
		bool slash = *e == '/';
		s = rest;

		if (nd->file)
			return -ENOTDIR; /* a pipe or host file is no directory */
		struct inode *dir = nd->cur.dentry->inode;
		if (!S_ISDIR(dir->mode))
			return -ENOTDIR;
		int err = inode_permission(dir, MAY_EXEC, nd->t);
		if (err)
			return err;
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			err = follow_dotdot(nd);
			if (err)
				return err;
			continue;
		}
		struct dentry *child = vfs_lookup_one(nd->cur.dentry, name, &err);
		if (!child)
			return err;
		struct path next = {nd->cur.mnt, child};
		mntget(next.mnt);
		/* Cross mounts on the child. */
		struct mount *m;
		while ((m = lookup_mnt(next.mnt, next.dentry)) != NULL) {
			if (nd_no_xdev(nd)) {
				mntput(m);
				path_put(&next);
				return -EXDEV;
			}
			dget(m->root);
			path_put(&next);
			next.mnt = m;
			next.dentry = m->root;
		}
		if (S_ISLNK(next.dentry->inode->mode) &&
		    (!last || follow_last || slash || want_dir_last)) {
			err = follow_link(nd, &next);
			path_put(&next);
			if (err)
				return err;
		} else {
			path_put(&nd->cur);
			nd->cur = next;
		}
		if (last && (slash || want_dir_last) && !S_ISDIR(nd->cur.dentry->inode->mode))
			return -ENOTDIR;
	}
}

/* Set up nd for a walk of path from base (when non-NULL) or dirfd. */
static int nd_init(struct nameidata *nd, struct task *t, const struct path *base, int dirfd,
		   const char *path, int *nlinks, const struct vfs_resolve *rs)
{
	memset(nd, 0, sizeof(*nd));
	nd->t = t;
	nd->nlinks = nlinks ? *nlinks : 0;
	nd->rs = rs;
	if (rs && (rs->flags & VFS_RESOLVE_SCOPED)) {
		if (path[0] == '/' && (rs->flags & VFS_RESOLVE_BENEATH))
			return -EXDEV;
		nd->root = rs->root;
		path_get(&nd->root);
	} else {
		task_root(t, &nd->root);
	}
	if (!nd->root.mnt)
		return -ENOENT;
	if (path[0] == '/') {
		nd->cur = nd->root;
		path_get(&nd->cur);
	} else if (base) {
		nd->cur = *base;
		path_get(&nd->cur);
	} else if (dirfd == AT_FDCWD) {
		task_cwd(t, &nd->cur);
	} else {
		struct file *f = task_fget(t, dirfd);
		if (!f) {
			path_put(&nd->root);
			return -EBADF;
		}
		if (!f->path.mnt) {
			/* Anonymous files (pipes, sockets) are not directories. */
			file_put(f);
			path_put(&nd->root);
			return path[0] ? -ENOTDIR : -ENOENT;
		}
		nd->cur = f->path;
		path_get(&nd->cur);
		file_put(f);
	}
	return 0;
}

static void nd_done(struct nameidata *nd)
{
	path_put(&nd->root);
	path_put(&nd->cur);
	if (nd->file)
		file_put(nd->file);
	nd->file = NULL;
}

/* Hand the walk's result to the caller: *out, and *filep for a magic link
 * to a file without a path (without filep: the link itself is the result). */
static void nd_result(struct nameidata *nd, int *nlinks, struct path *out, struct file **filep)
{
	if (nlinks)
		*nlinks = nd->nlinks;
	*out = nd->cur;
	nd->cur.mnt = NULL;
	nd->cur.dentry = NULL;
	if (filep)
		*filep = nd->file;
	else if (nd->file)
		file_put(nd->file);
	nd->file = NULL;
	path_put(&nd->root);
}

int vfs_path_lookup_at(struct task *t, const struct path *base, int dirfd, const char *path,
		       unsigned flags, int *nlinks, struct path *out, struct file **filep)
{
	return vfs_path_lookup_rs(t, base, dirfd, path, flags, nlinks, out, filep, NULL);
}

int vfs_path_lookup_rs(struct task *t, const struct path *base, int dirfd, const char *path,
		       unsigned flags, int *nlinks, struct path *out, struct file **filep,
		       const struct vfs_resolve *rs)
{
	struct nameidata nd;
	if (filep)
		*filep = NULL;
	if (!path[0] && !(flags & LOOKUP_EMPTY))
		return -ENOENT;
	if (strlen(path) >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	int err = nd_init(&nd, t, base, dirfd, path, nlinks, rs);
	if (err)
		return err;
	err = walk(&nd, path, flags & LOOKUP_FOLLOW, flags & LOOKUP_DIRECTORY);
	if (err == 0 && (flags & LOOKUP_DIRECTORY) && (nd.file || !S_ISDIR(nd.cur.dentry->inode->mode)))
		err = -ENOTDIR;
	if (err) {
		nd_done(&nd);
		return err;
	}
	nd_result(&nd, nlinks, out, filep);
	return 0;
}

int vfs_path_lookup(struct task *t, int dirfd, const char *path, unsigned flags, struct path *out)
{
	return vfs_path_lookup_at(t, NULL, dirfd, path, flags, NULL, out, NULL);
}

int vfs_path_lookup_root(const struct path *root, const char *path, unsigned flags,
			 struct path *out)
{
	struct nameidata nd;
	if (path[0] != '/')
		return -ENOENT;
	if (strlen(path) >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	memset(&nd, 0, sizeof(nd));
	nd.root = *root;
	path_get(&nd.root);
	nd.cur = *root;
	path_get(&nd.cur);
	int err = walk(&nd, path, flags & LOOKUP_FOLLOW, flags & LOOKUP_DIRECTORY);
	if (err == 0 && nd.file)
		err = -ENOENT;
	if (err) {
		nd_done(&nd);
		return err;
	}
	nd_result(&nd, NULL, out, NULL);
	return 0;
}

int vfs_path_parent_at(struct task *t, const struct path *base, int dirfd, const char *path,
		       int *nlinks, struct path *parent, char *lastbuf, int *last_type,
		       bool *trailing_slash)
{
	return vfs_path_parent_rs(t, base, dirfd, path, nlinks, parent, lastbuf, last_type,
				  trailing_slash, NULL);
}

int vfs_path_parent_rs(struct task *t, const struct path *base, int dirfd, const char *path,
		       int *nlinks, struct path *parent, char *lastbuf, int *last_type,
		       bool *trailing_slash, const struct vfs_resolve *rs)
{
	struct nameidata nd;
	if (!path[0])
		return -ENOENT;
	size_t plen = strlen(path);
	if (plen >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	/* Split off the last component. */
	size_t end = plen;
	while (end > 0 && path[end - 1] == '/')
		end--;
	*trailing_slash = end < plen;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	size_t llen = end - start;
	if (llen > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(lastbuf, path + start, llen);
	lastbuf[llen] = '\0';
	if (llen == 0)
		*last_type = LAST_ROOT;
	else if (llen == 1 && lastbuf[0] == '.')
		*last_type = LAST_DOT;
	else if (llen == 2 && lastbuf[0] == '.' && lastbuf[1] == '.')
		*last_type = LAST_DOTDOT;
	else
		*last_type = LAST_NORM;

	int err = nd_init(&nd, t, base, dirfd, path, nlinks, rs);
	if (err)
		return err;
	char *dirpart = strndup(path, start);
	if (!dirpart) {
		nd_done(&nd);
		return -ENOMEM;
	}
	err = walk(&nd, dirpart, true, false);
	free(dirpart);
	if (err == 0 && (nd.file || !S_ISDIR(nd.cur.dentry->inode->mode)))
		err = -ENOTDIR;
	if (err == 0 && *last_type == LAST_NORM)
		err = inode_permission(nd.cur.dentry->inode, MAY_EXEC, t);
	if (err) {
		nd_done(&nd);
		return err;
	}
	nd_result(&nd, nlinks, parent, NULL);
	return 0;
}

int vfs_path_parent(struct task *t, int dirfd, const char *path, struct path *parent,
		    char *lastbuf, int *last_type, bool *trailing_slash)
{
	return vfs_path_parent_at(t, NULL, dirfd, path, NULL, parent, lastbuf, last_type,
				  trailing_slash);
}

int vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t size,
		    bool *unreachable)
{
	if (size < 2)
		return -ERANGE;
	char *pos = buf + size - 1;
	*pos = '\0';
	*unreachable = false;
	struct mount *mnt = p->mnt;
	struct dentry *d = p->dentry;
	int err = 0;
	pthread_rwlock_rdlock(&vfs_mount_lock);
	pthread_rwlock_rdlock(&vfs_tree_lock);
	for (;;) {
		if (mnt == root->mnt && d == root->dentry)
			break;
		if (mnt && d == mnt->root) {
			if (!mnt->parent) {
				*unreachable = true;
				break;
			}
			d = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		if (!d->parent) {
			*unreachable = true;
			break;
		}
		size_t n = strlen(d->name);
		if ((size_t)(pos - buf) < n + 1) {
			err = -ENAMETOOLONG;
			break;
		}
		pos -= n;
		memcpy(pos, d->name, n);
		*--pos = '/';
		d = d->parent;
	}
	pthread_rwlock_unlock(&vfs_tree_lock);
	pthread_rwlock_unlock(&vfs_mount_lock);
	if (err)
		return err;
	if (*pos == '\0') {
		if (pos == buf)
			return -ENAMETOOLONG;
		*--pos = '/';
	}
	size_t len = strlen(pos);
	memmove(buf, pos, len + 1);
	return (int)len;
}

/* --- rename ------------------------------------------------------------- */

bool d_is_ancestor(struct dentry *anc, struct dentry *d)
{
	bool found = false;
	pthread_rwlock_rdlock(&vfs_tree_lock);
	for (struct dentry *x = d; x; x = x->parent) {
		if (x == anc) {
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&vfs_tree_lock);
	return found;
}

void lock_rename_dirs(struct dentry *a, struct dentry *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
		return;
	}
	struct dentry *first = a, *second = b;
	if (d_is_ancestor(b, a) || (!d_is_ancestor(a, b) && (uintptr_t)b < (uintptr_t)a)) {
		first = b;
		second = a;
	}
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
}

void unlock_rename_dirs(struct dentry *a, struct dentry *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

/* Swap two dentries' names and parents after a RENAME_EXCHANGE (both
 * directories locked). Each parent keeps one child reference. */
static void d_exchange_locked(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			      struct dentry *new_)
{
	pthread_rwlock_wrlock(&vfs_tree_lock);
	d_drop_locked(olddir, old);
	d_drop_locked(newdir, new_);
	char *n = old->name;
	old->name = new_->name;
	new_->name = n;
	old->parent = newdir;
	new_->parent = olddir;
	old->flags &= ~D_DEAD;
	new_->flags &= ~D_DEAD;
	d_add_locked(newdir, old);
	d_add_locked(olddir, new_);
	pthread_rwlock_unlock(&vfs_tree_lock);
}

int vfs_rename_locked(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      const char *newname, unsigned flags)
{
	int err = 0;
	bool exchange = flags & LINUX_RENAME_EXCHANGE;
	if (olddir->sb != newdir->sb)
		return -EXDEV;
	struct dentry *target = d_lookup_locked(newdir, newname, &err);
	if (!target && err != -ENOENT)
		return err;
	if (!target && exchange)
		return -ENOENT;
	err = 0;
	bool olddir_is = S_ISDIR(old->inode->mode);
	if (target) {
		if (target->inode == old->inode)
			goto out; /* same file: nothing to do */
		if (flags & LINUX_RENAME_NOREPLACE) {
			err = -EEXIST;
			goto out;
		}
		bool tdir = S_ISDIR(target->inode->mode);
		if (!exchange && olddir_is && !tdir) {
			err = -ENOTDIR;
			goto out;
		}
		if (!exchange && !olddir_is && tdir) {
			err = -EISDIR;
			goto out;
		}
		if (d_mountpoint_local(target)) {
			err = -EBUSY;
			goto out;
		}
		if (tdir && d_is_ancestor(target, olddir)) {
			err = exchange ? -EINVAL : -ENOTEMPTY;
			goto out;
		}
	}
	if (d_mountpoint_local(old)) {
		err = -EBUSY;
		goto out;
	}
	if (olddir_is && d_is_ancestor(old, newdir)) {
		err = -EINVAL;
		goto out;
	}
	if (newdir->sb->flags & SB_RDONLY) {
		err = -EROFS;
		goto out;
	}
	if (!olddir->inode->iops->rename) {
		err = -EPERM;
		goto out;
	}
	if (exchange) {
		err = olddir->inode->iops->rename(olddir, old, newdir, target, flags);
		if (!err) {
			fsnotify_rename(olddir, old, newdir, newname, target, flags);
			d_exchange_locked(olddir, old, newdir, target);
		}
		goto out;
	}
	struct dentry *nd = target;
	if (!nd) {
		nd = d_alloc(newdir, newname);
		if (!nd) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (target && S_ISDIR(target->inode->mode))
		pthread_mutex_lock(&target->lock);
	err = olddir->inode->iops->rename(olddir, old, newdir, nd, flags);
	if (target && S_ISDIR(target->inode->mode))
		pthread_mutex_unlock(&target->lock);
	if (!target) {
		/* The fs must not have instantiated the placeholder. */
		if (nd->inode) {
			inode_put(nd->inode);
			nd->inode = NULL;
		}
		d_free_unhashed(nd);
	}
	if (err)
		goto out;
	fsnotify_rename(olddir, old, newdir, newname, target, flags);
	if (target)
		d_drop_locked(newdir, target);
	/* Move old under newdir with its new name. */
	char *nn = strdup(newname);
	pthread_rwlock_wrlock(&vfs_tree_lock);
	d_drop_locked(olddir, old);
	old->flags &= ~D_DEAD;
	if (nn) {
		free(old->name);
		old->name = nn;
		old->parent = newdir;
		d_add_locked(newdir, old);
	} else {
		old->flags |= D_DEAD; /* keep it out of the cache rather than misnamed */
	}
	pthread_rwlock_unlock(&vfs_tree_lock);
	if (nn) {
		dget(newdir);
		atomic_fetch_sub(&olddir->refs, 1); /* old's ref; caller holds olddir */
	}
out:
	if (target) /* after an exchange its parent is olddir: both are locked */
		dput_locked_parent(target->parent, target);
	return err;
}

int vfs_rename_in(struct dentry *olddir, const char *oldname, struct dentry *newdir,
		  const char *newname, unsigned flags)
{
	int err;
	pthread_mutex_lock(&vfs_rename_lock);
	lock_rename_dirs(olddir, newdir);
	struct dentry *old = d_lookup_locked(olddir, oldname, &err);
	if (old) {
		err = vfs_rename_locked(olddir, old, newdir, newname, flags);
		dput_locked_parent(old->parent, old); /* both dirs locked: stable */
	}
	unlock_rename_dirs(olddir, newdir);
	pthread_mutex_unlock(&vfs_rename_lock);
	return err;
}
