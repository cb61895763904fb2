/*
 * The dentry cache: names, parents, child lists, and the name operations
 * (create, mkdir, unlink, rename...) that change them. See the lock order in
 * vfs_impl.h: dentry->lock of a directory serializes its name operations;
 * vfs_tree_lock guards every dentry's parent and name pointers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fsnotify.h"
#include "kernel/task.h"
#include "vfs/vfs_internal.h"

pthread_rwlock_t vfs_tree_lock = PTHREAD_RWLOCK_INITIALIZER;

struct dentry *d_alloc(struct dentry *parent, const char *name)
{
	struct dentry *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	pthread_mutex_init(&d->lock, NULL);
	d->parent = parent;
	d->sb = parent->sb;
	d->dops = parent->dops;
	dget(parent);
	return d;
}

/* Free a dentry that is not (or no longer) in its parent's list. Returns the
 * parent whose reference the dentry held (the caller drops it). */
static struct dentry *d_free(struct dentry *d)
{
	struct dentry *p = d->parent;
	fsnotify_d_free(d); /* an unlinked name's last reference: IN_DELETE_SELF */
	if (d->inode)
		inode_put(d->inode);
	pthread_mutex_destroy(&d->lock);
	free(d->name);
	free(d);
	return p;
}

void d_free_unhashed(struct dentry *d)
{
	struct dentry *p = d_free(d);
	if (p)
		dput(p);
}

void dget(struct dentry *d)
{
	atomic_fetch_add(&d->refs, 1);
}

struct dentry *dget_parent(struct dentry *d)
{
	pthread_rwlock_rdlock(&vfs_tree_lock);
	struct dentry *p = d->parent;
	if (p)
		dget(p);
	pthread_rwlock_unlock(&vfs_tree_lock);
	return p;
}

void d_name_copy(struct dentry *d, char *buf)
{
	pthread_rwlock_rdlock(&vfs_tree_lock);
	snprintf(buf, VFS_NAME_MAX + 1, "%s", d->name);
	pthread_rwlock_unlock(&vfs_tree_lock);
}

static bool dec_unless_one(atomic_int *v)
{
	int old = atomic_load(v);
	while (old > 1) {
		if (atomic_compare_exchange_weak(v, &old, old - 1))
			return true;
	}
	return false;
}

static void list_remove(struct dentry *p, struct dentry *d)
{
	for (struct dentry **pp = &p->children; *pp; pp = &(*pp)->next_sibling) {
		if (*pp == d) {
			*pp = d->next_sibling;
			d->next_sibling = NULL;
			return;
		}
	}
}

static bool d_keep_cached(struct dentry *d)
{
	if (d->flags & D_DEAD)
		return false;
	if (d->sb->flags & SB_NOCACHE)
		return atomic_load(&d->mounted) > 0;
	return true;
}

void dput(struct dentry *d)
{
	while (d) {
		if (dec_unless_one(&d->refs))
			return;
		struct dentry *p = dget_parent(d);
		if (!p) {
			/* An sb root never moves and is in no list. */
			if (atomic_fetch_sub(&d->refs, 1) == 1)
				d_free(d);
			return;
		}
		pthread_mutex_lock(&p->lock);
		pthread_rwlock_rdlock(&vfs_tree_lock);
		bool moved = d->parent != p;
		pthread_rwlock_unlock(&vfs_tree_lock);
		if (moved) {
			pthread_mutex_unlock(&p->lock);
			dput(p);
			continue;
		}
		if (atomic_fetch_sub(&d->refs, 1) != 1 || d_keep_cached(d)) {
			pthread_mutex_unlock(&p->lock);
			dput(p);
			return;
		}
		list_remove(p, d);
		pthread_mutex_unlock(&p->lock);
		d_free(d);
		/* Drop our temporary reference; d's own reference on p is dropped
		 * by the next iteration. p has at least that one left. */
		atomic_fetch_sub(&p->refs, 1);
		d = p;
	}
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
	d->inode = inode;
}

/* dir->lock held. */
static struct dentry *d_find_locked(struct dentry *dir, const char *name)
{
	for (struct dentry *c = dir->children; c; c = c->next_sibling) {
		if (!(c->flags & D_DEAD) && strcmp(c->name, name) == 0) {
			dget(c);
			return c;
		}
	}
	return NULL;
}

void d_add_locked(struct dentry *dir, struct dentry *child)
{
	child->next_sibling = dir->children;
	dir->children = child;
}

void d_drop_locked(struct dentry *dir, struct dentry *child)
{
	if (child->flags & D_DEAD)
		return;
	child->flags |= D_DEAD;
	list_remove(dir, child);
}

/* d was found stale by revalidation and dropped (D_DEAD, out of its
 * parent's list). Its cached descendants that nobody references can no
 * longer be reached through a live name: free them now (with what they pin,
 * e.g. gofer fids) rather than keep them for the sentry's life. Referenced
 * ones (open files, a cwd, mount points) and their ancestors stay. Takes
 * d->lock and the descendants' locks, ancestor first (lock order 3); a
 * refcount of 0 seen under the parent's lock is stable (dput takes it before
 * the last decrement, lookups before the first increment). With trylock
 * (the caller holds directory locks, e.g. rename's two: one of them may be
 * d or below it), a busy directory is skipped: eviction is best effort. */
static void d_prune_unused(struct dentry *d, bool trylock)
{
	if (trylock) {
		if (pthread_mutex_trylock(&d->lock) != 0)
			return;
	} else {
		pthread_mutex_lock(&d->lock);
	}
	struct dentry **pp = &d->children;
	while (*pp) {
		struct dentry *c = *pp;
		if (c->children)
			d_prune_unused(c, trylock);
		if (atomic_load(&c->refs) == 0 && atomic_load(&c->mounted) == 0 &&
		    !c->children) {
			*pp = c->next_sibling;
			c->next_sibling = NULL;
			c->flags |= D_DEAD;
			d_free(c);
			atomic_fetch_sub(&d->refs, 1); /* c's reference on d */
		} else {
			pp = &c->next_sibling;
		}
	}
	pthread_mutex_unlock(&d->lock);
}

/* dir->lock held. A cached child the filesystem calls stale (revalidate:
 * goferfs in shared mode, whose host may have removed or replaced the name)
 * is dropped, so the name operation that asked sees the host's state. The
 * revalidate may ask the gofer under dir->lock, as a lookup miss does. */
static struct dentry *d_find_valid_locked(struct dentry *dir, const char *name)
{
	struct dentry *d = d_find_locked(dir, name);
	if (d && d->dops && d->dops->revalidate && !d->dops->revalidate(d)) {
		d_drop_locked(dir, d);
		d_prune_unused(d, true);
		dput_locked_parent(dir, d);
		d = NULL;
	}
	return d;
}

/* Look up name in dir with dir->lock held (filesystems without
 * SB_NOCACHE). Returns a referenced positive dentry, or NULL with *err. */
struct dentry *d_lookup_locked(struct dentry *dir, const char *name, int *err)
{
	struct dentry *d = d_find_valid_locked(dir, name);
	if (d)
		return d;
	if (!dir->inode || !S_ISDIR(dir->inode->mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	if (!dir->inode->iops || !dir->inode->iops->lookup) {
		*err = -ENOENT;
		return NULL;
	}
	d = d_alloc(dir, name);
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	int e = dir->inode->iops->lookup(dir, d);
	if (e == 0 && !d->inode)
		e = -ENOENT;
	if (e < 0) {
		d_free(d);
		atomic_fetch_sub(&dir->refs, 1); /* d's reference; caller holds one */
		*err = e;
		return NULL;
	}
	d_add_locked(dir, d);
	return d;
}

/* SB_NOCACHE filesystems: the fs lookup runs without dir->lock (it may take
 * kernel.lock, which comes before vfs locks). */
static struct dentry *d_lookup_nocache(struct dentry *dir, const char *name, int *err)
{
	pthread_mutex_lock(&dir->lock);
	struct dentry *d = d_find_locked(dir, name);
	pthread_mutex_unlock(&dir->lock);
	if (d)
		return d;
	if (!dir->inode->iops || !dir->inode->iops->lookup) {
		*err = -ENOENT;
		return NULL;
	}
	d = d_alloc(dir, name);
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	int e = dir->inode->iops->lookup(dir, d);
	if (e == 0 && !d->inode)
		e = -ENOENT;
	if (e < 0) {
		d_free_unhashed(d);
		*err = e;
		return NULL;
	}
	pthread_mutex_lock(&dir->lock);
	struct dentry *other = d_find_locked(dir, name);
	if (!other)
		d_add_locked(dir, d);
	pthread_mutex_unlock(&dir->lock);
	if (other) {
		d_free_unhashed(d);
		return other;
	}
	return d;
}

struct dentry *vfs_lookup_one(struct dentry *dir, const char *name, int *err)
{
	*err = 0;
	if (!dir->inode || !S_ISDIR(dir->inode->mode)) {
		*err = -ENOTDIR;
		return NULL;
	}
	for (int tries = 0; tries < 3; tries++) {
		struct dentry *d;
		bool fresh = false;
		if (dir->sb->flags & SB_NOCACHE) {
			d = d_lookup_nocache(dir, name, err);
		} else {
			/* A cached dentry is revalidated below, without the lock;
			 * one the fs just looked up needs no revalidation. */
			pthread_mutex_lock(&dir->lock);
			d = d_find_locked(dir, name);
			if (!d) {
				d = d_lookup_locked(dir, name, err);
				fresh = true;
			}
			pthread_mutex_unlock(&dir->lock);
		}
		if (!d)
			return NULL;
		if (fresh || !d->dops || !d->dops->revalidate || d->dops->revalidate(d))
			return d;
		/* Stale: unhash it and look up again. */
		pthread_mutex_lock(&dir->lock);
		d_drop_locked(dir, d);
		pthread_mutex_unlock(&dir->lock);
		d_prune_unused(d, false);
		dput(d);
	}
	*err = -ENOENT;
	return NULL;
}

/* --- name operations without path walking ------------------------------- */

enum mkkind { MK_REG = MK_REG_, MK_DIR = MK_DIR_, MK_NOD = MK_NOD_, MK_LNK = MK_LNK_ };

uint32_t vfs_strip_sgid(struct inode *dir, uint32_t mode, struct task *t)
{
	if (t && !S_ISDIR(mode) && (dir->mode & S_ISGID) &&
	    (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
	    !creds_in_group(&t->creds, dir->gid) && !creds_capable(&t->creds, CAP_FSETID))
		mode &= ~(uint32_t)S_ISGID;
	return mode;
}

int vfs_mknode_locked(struct dentry *dir, const char *name, int kind, uint32_t mode, uint64_t rdev,
		      const char *target, struct task *t, struct dentry **out)
{
	int err;
	const struct inode_operations *iops = dir->inode->iops;
	if (dir->flags & D_DEAD || dir->inode->nlink == 0)
		return -ENOENT;
	struct dentry *ex = d_lookup_locked(dir, name, &err);
	if (ex) {
		dput_locked_parent(dir, ex); /* dir->lock is held: not dput */
		return -EEXIST;
	}
	if (err != -ENOENT)
		return err;
	if (dir->sb->flags & SB_RDONLY)
		return -EROFS;
	bool have = false;
	switch (kind) {
	case MK_REG: have = iops->create != NULL; break;
	case MK_DIR: have = iops->mkdir != NULL; break;
	case MK_NOD: have = iops->mknod != NULL; break;
	case MK_LNK: have = iops->symlink != NULL; break;
	}
	if (!have)
		return -EPERM;
	if (kind != MK_DIR)
		mode = vfs_strip_sgid(dir->inode, mode, t);
	struct dentry *child = d_alloc(dir, name);
	if (!child)
		return -ENOMEM;
	switch (kind) {
	case MK_REG: err = iops->create(dir, child, S_IFREG | (mode & 07777), t); break;
	case MK_DIR: err = iops->mkdir(dir, child, S_IFDIR | (mode & 07777), t); break;
	case MK_NOD: err = iops->mknod(dir, child, mode, rdev, t); break;
	default: err = iops->symlink(dir, child, target, t); break;
	}
	if (err == 0 && !child->inode)
		err = -EIO;
	if (err < 0) {
		d_free(child);
		atomic_fetch_sub(&dir->refs, 1);
		return err;
	}
	d_add_locked(dir, child);
	fsnotify_create(dir, child);
	if (out)
		*out = child;
	else
		dput_locked_parent(dir, child);
	return 0;
}

/* Drop a reference on child while its parent's lock is held: never the last
 * for a cached dentry, and if it is (dead / NOCACHE) free it now. */
void dput_locked_parent(struct dentry *dir, struct dentry *child)
{
	if (dec_unless_one(&child->refs))
		return;
	if (atomic_fetch_sub(&child->refs, 1) != 1 || d_keep_cached(child))
		return;
	list_remove(dir, child);
	d_free(child);
	atomic_fetch_sub(&dir->refs, 1); /* caller still holds dir */
}

static int mk_in(struct dentry *dir, const char *name, int kind, uint32_t mode, uint64_t rdev,
		 const char *target, struct dentry **out)
{
	pthread_mutex_lock(&dir->lock);
	int err = vfs_mknode_locked(dir, name, kind, mode, rdev, target, NULL, out);
	pthread_mutex_unlock(&dir->lock);
	return err;
}

int vfs_create_in(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out)
{
	return mk_in(dir, name, MK_REG, mode, 0, NULL, out);
}

int vfs_mkdir_in(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out)
{
	return mk_in(dir, name, MK_DIR, mode, 0, NULL, out);
}

int vfs_mknod_in(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		 struct dentry **out)
{
	return mk_in(dir, name, MK_NOD, mode, rdev, NULL, out);
}

int vfs_symlink_in(struct dentry *dir, const char *name, const char *target, struct dentry **out)
{
	return mk_in(dir, name, MK_LNK, 0777, 0, target, out);
}

/* dir->lock held; victim is a positive child of dir. */
int vfs_remove_locked(struct dentry *dir, struct dentry *victim, bool isdir)
{
	const struct inode_operations *iops = dir->inode->iops;
	bool vdir = S_ISDIR(victim->inode->mode);
	if (isdir && !vdir)
		return -ENOTDIR;
	if (!isdir && vdir)
		return -EISDIR;
	if (d_mountpoint_local(victim))
		return -EBUSY;
	if (dir->sb->flags & SB_RDONLY)
		return -EROFS;
	int (*op)(struct dentry *, struct dentry *) = isdir ? iops->rmdir : iops->unlink;
	if (!op)
		return -EPERM;
	if (isdir)
		pthread_mutex_lock(&victim->lock);
	int err = op(dir, victim);
	if (err == 0) {
		d_drop_locked(dir, victim);
		fsnotify_remove(dir, victim, isdir);
		if (isdir)
			victim->flags |= D_DEAD;
	}
	if (isdir)
		pthread_mutex_unlock(&victim->lock);
	return err;
}

int vfs_unlink_in(struct dentry *dir, const char *name, bool isdir)
{
	int err;
	pthread_mutex_lock(&dir->lock);
	struct dentry *v = d_lookup_locked(dir, name, &err);
	if (v) {
		err = vfs_remove_locked(dir, v, isdir);
		dput_locked_parent(dir, v);
	}
	pthread_mutex_unlock(&dir->lock);
	return err;
}

int vfs_link_in(struct dentry *old, struct dentry *dir, const char *name)
{
	int err;
	pthread_mutex_lock(&dir->lock);
	err = vfs_link_locked(old, dir, name);
	pthread_mutex_unlock(&dir->lock);
	return err;
}

int vfs_link_locked(struct dentry *old, struct dentry *dir, const char *name)
{
	int err;
	struct dentry *ex = d_lookup_locked(dir, name, &err);
	if (ex) {
		dput_locked_parent(dir, ex);
		return -EEXIST;
	}
	if (err != -ENOENT)
		return err;
	if (old->sb != dir->sb)
		return -EXDEV;
	if (S_ISDIR(old->inode->mode))
		return -EPERM;
	if (dir->sb->flags & SB_RDONLY)
		return -EROFS;
	if (!dir->inode->iops->link)
		return -EPERM;
	/* An unlinked file stays nameless, except an O_TMPFILE one. */
	unsigned ifl = atomic_load(&old->inode->iflags);
	if (old->inode->nlink == 0 && !(ifl & I_LINKABLE))
		return -ENOENT;
	struct dentry *child = d_alloc(dir, name);
	if (!child)
		return -ENOMEM;
	err = dir->inode->iops->link(old, dir, child);
	if (err == 0 && !child->inode)
		err = -EIO;
	if (err < 0) {
		d_free(child);
		atomic_fetch_sub(&dir->refs, 1);
		return err;
	}
	d_add_locked(dir, child);
	dput_locked_parent(dir, child);
	fsnotify_link(dir, old->inode, name);
	if (ifl & I_LINKABLE)
		atomic_fetch_and(&old->inode->iflags, ~(unsigned)I_LINKABLE);
	return 0;
}

int vfs_setattr_d(struct dentry *d, const struct iattr *ia)
{
	struct inode *i = d->inode;
	if (d->sb->flags & SB_RDONLY)
		return -EROFS;
	int err = i->iops && i->iops->setattr ? i->iops->setattr(d, ia) : generic_setattr(i, ia);
	if (err == 0)
		fsnotify_change(d, ia->valid);
	return err;
}

int vfs_getattr_d(struct dentry *d, struct kstat *st)
{
	struct inode *i = d->inode;
	if (i->iops && i->iops->getattr)
		return i->iops->getattr(d, st);
	generic_getattr(i, st);
	return 0;
}

ssize_t vfs_readlink_d(struct dentry *d, char *buf, size_t size)
{
	struct inode *i = d->inode;
	if (!S_ISLNK(i->mode) || !i->iops || !i->iops->readlink)
		return -EINVAL;
	return i->iops->readlink(d, buf, size);
}
