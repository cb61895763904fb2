/*
 * The fsnotify hooks the VFS calls (fs/fsnotify.h): turn each operation
 * into inotify events, with the masks Linux's include/linux/fsnotify.h
 * gives them, and hand them to inotify.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "abi/linux_stat.h"
#include "fs/inotify_impl.h"
#include "vfs/vfs_internal.h"

static atomic_uint move_cookie;

static bool watching(void)
{
	return atomic_load_explicit(&inotify_nwatches, memory_order_relaxed) > 0;
}

static void key_of(struct inode *i, uint64_t *dev, uint64_t *ino)
{
	*dev = i->sb ? i->sb->dev : 0;
	*ino = i->ino;
}

static uint32_t isdir(struct inode *i)
{
	return i && S_ISDIR(i->mode) ? IN_ISDIR : 0;
}

/* An event about inode itself (Linux marks IN_ISDIR on all but these two). */
static void notify_self(struct inode *inode, uint32_t mask, uint32_t cookie)
{
	uint64_t dev, ino;
	key_of(inode, &dev, &ino);
	if (!(mask & (IN_MOVE_SELF | IN_DELETE_SELF)))
		mask |= isdir(inode);
	inotify_send(dev, ino, mask, cookie, NULL, false);
}

/* An event in directory dir about its entry name. */
static void notify_name(struct dentry *dir, const char *name, uint32_t mask, uint32_t cookie)
{
	uint64_t dev, ino;
	if (!dir || !dir->inode)
		return;
	key_of(dir->inode, &dev, &ino);
	inotify_send(dev, ino, mask, cookie, name, false);
}

/* d's name, copied under vfs_tree_lock. */
static void name_of(struct dentry *d, char *buf, size_t size)
{
	pthread_rwlock_rdlock(&vfs_tree_lock);
	snprintf(buf, size, "%s", d->name ? d->name : "");
	pthread_rwlock_unlock(&vfs_tree_lock);
}

/* An event about d's inode: to its parent directory's watches with d's
 * name (Linux's fsnotify_parent), then to its own. */
static void notify_dentry(struct dentry *d, uint32_t mask)
{
	char name[VFS_NAME_MAX + 1];
	uint64_t pdev = 0, pino = 0;
	bool parent = false;
	if (!d || !d->inode)
		return;
	mask |= isdir(d->inode);
	pthread_rwlock_rdlock(&vfs_tree_lock);
	struct dentry *p = d->parent;
	if (p && p->inode && d->name) {
		snprintf(name, sizeof(name), "%s", d->name);
		key_of(p->inode, &pdev, &pino);
		parent = true;
	}
	bool dead = d->flags & D_DEAD;
	pthread_rwlock_unlock(&vfs_tree_lock);
	if (parent)
		inotify_send(pdev, pino, mask, 0, name, dead);
	notify_self(d->inode, mask, 0);
}

void fsnotify_create(struct dentry *dir, struct dentry *child)
{
	char name[VFS_NAME_MAX + 1];
	if (!watching() || !child->inode)
		return;
	name_of(child, name, sizeof(name));
	notify_name(dir, name, IN_CREATE | isdir(child->inode), 0);
}

void fsnotify_remove(struct dentry *dir, struct dentry *victim, bool isdir_)
{
	char name[VFS_NAME_MAX + 1];
	struct inode *i = victim->inode;
	if (!watching() || !i)
		return;
	name_of(victim, name, sizeof(name));
	if (!isdir_)
		notify_self(i, IN_ATTRIB, 0); /* the link count changed */
	notify_name(dir, name, IN_DELETE | isdir(i), 0);
	/* IN_DELETE_SELF: when the dentry's last reference goes (d_free). */
}

void fsnotify_d_free(struct dentry *d)
{
	struct kstat st;
	if (!watching() || !d->inode || !(d->flags & D_DEAD))
		return;
	/* getattr: stacked filesystems (overlay) keep nlink in the real inode. */
	if (vfs_getattr_d(d, &st) == 0 && st.nlink == 0)
		notify_self(d->inode, IN_DELETE_SELF, 0);
}

void fsnotify_link(struct dentry *dir, struct inode *inode, const char *name)
{
	if (!watching())
		return;
	notify_self(inode, IN_ATTRIB, 0);
	notify_name(dir, name, IN_CREATE | isdir(inode), 0);
}

static void notify_move(struct dentry *from, const char *oldname, struct dentry *to,
			const char *newname, struct inode *inode)
{
	uint32_t cookie = atomic_fetch_add(&move_cookie, 1) + 1;
	notify_name(from, oldname, IN_MOVED_FROM | isdir(inode), cookie);
	notify_name(to, newname, IN_MOVED_TO | isdir(inode), cookie);
	notify_self(inode, IN_MOVE_SELF, 0);
}

void fsnotify_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		     const char *newname, struct dentry *target, unsigned flags)
{
	char oldname[VFS_NAME_MAX + 1];
	if (!watching() || !old->inode)
		return;
	name_of(old, oldname, sizeof(oldname));
	notify_move(olddir, oldname, newdir, newname, old->inode);
	if (!target || !target->inode)
		return;
	if (flags & LINUX_RENAME_EXCHANGE) {
		notify_move(newdir, newname, olddir, oldname, target->inode);
		return;
	}
	/* The replaced file lost a name (IN_DELETE_SELF follows when its
	 * dentry is freed, if that was the last). */
	if (!S_ISDIR(target->inode->mode))
		notify_self(target->inode, IN_ATTRIB, 0);
}

void fsnotify_change(struct dentry *d, unsigned v)
{
	uint32_t mask = 0;
	if (!watching())
		return;
	if (v & (ATTR_UID | ATTR_GID | ATTR_MODE))
		mask |= IN_ATTRIB;
	if (v & ATTR_SIZE)
		mask |= IN_MODIFY;
	/* Both times: a utime(s) call. */
	if ((v & (ATTR_ATIME | ATTR_MTIME)) == (ATTR_ATIME | ATTR_MTIME))
		mask |= IN_ATTRIB;
	else if (v & ATTR_ATIME)
		mask |= IN_ACCESS;
	else if (v & ATTR_MTIME)
		mask |= IN_MODIFY;
	if (mask)
		notify_dentry(d, mask);
}

/* Events of an open file: none for files without a path or O_PATH ones. */
static void notify_file(struct file *f, uint32_t mask)
{
	if (!watching() || !f->path.dentry || (file_flags(f) & O_PATH))
		return;
	notify_dentry(f->path.dentry, mask);
}

void fsnotify_access(struct file *f)
{
	notify_file(f, IN_ACCESS);
}

void fsnotify_modify(struct file *f)
{
	notify_file(f, IN_MODIFY);
}

void fsnotify_open(struct file *f)
{
	notify_file(f, IN_OPEN);
}

void fsnotify_close(struct file *f)
{
	int acc = file_flags(f) & O_ACCMODE;
	notify_file(f, acc == O_WRONLY || acc == O_RDWR ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
}
