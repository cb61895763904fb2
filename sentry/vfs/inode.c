/* Superblocks, inodes, attributes and permission checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "vfs/vfs_impl.h"

/* Anonymous device numbers: major 0, minors from 16 up (Linux hands out
 * 0:N to tmpfs/proc/overlay the same way). */
static atomic_uint next_anon_minor = 16;

static uint64_t make_dev(unsigned major, unsigned minor)
{
	return ((uint64_t)(major & 0xfff) << 8) | (minor & 0xff) | ((uint64_t)(minor & ~0xffu) << 12);
}

struct superblock *sb_alloc(const char *fstype, uint64_t magic, unsigned flags,
			    const struct super_operations *ops)
{
	struct superblock *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->fstype = fstype;
	sb->magic = magic;
	sb->flags = flags;
	sb->ops = ops;
	sb->dev = make_dev(0, atomic_fetch_add(&next_anon_minor, 1));
	atomic_init(&sb->next_ino, 2);
	atomic_init(&sb->refs, 1);
	return sb;
}

void sb_get(struct superblock *sb)
{
	atomic_fetch_add(&sb->refs, 1);
}

void sb_put(struct superblock *sb)
{
	if (!sb || atomic_fetch_sub(&sb->refs, 1) != 1)
		return;
	if (sb->root) {
		struct dentry *r = sb->root;
		sb->root = NULL;
		dput(r);
	}
	if (sb->ops && sb->ops->put_super)
		sb->ops->put_super(sb);
	free(sb);
}

uint64_t sb_next_ino(struct superblock *sb)
{
	return atomic_fetch_add(&sb->next_ino, 1);
}

int sb_set_root(struct superblock *sb, struct inode *inode)
{
	struct dentry *d = calloc(1, sizeof(*d));
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	d->name = strdup("/");
	if (!d->name) {
		free(d);
		inode_put(inode);
		return -ENOMEM;
	}
	atomic_init(&d->refs, 1);
	pthread_mutex_init(&d->lock, NULL);
	d->sb = sb;
	d->inode = inode;
	sb->root = d;
	return 0;
}

void vfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

struct inode *inode_new(struct superblock *sb, uint32_t mode)
{
	struct inode *i = calloc(1, sizeof(*i));
	if (!i)
		return NULL;
	atomic_init(&i->refs, 1);
	pthread_mutex_init(&i->lock, NULL);
	i->sb = sb;
	i->ino = sb ? sb_next_ino(sb) : 1;
	i->mode = mode;
	i->nlink = S_ISDIR(mode) ? 2 : 1;
	vfs_now(&i->mtime);
	i->atime = i->ctime = i->mtime;
	return i;
}

void inode_get(struct inode *inode)
{
	atomic_fetch_add(&inode->refs, 1);
}

void inode_put(struct inode *inode)
{
	if (!inode || atomic_fetch_sub(&inode->refs, 1) != 1)
		return;
	if (inode->sb && inode->sb->ops && inode->sb->ops->evict_inode)
		inode->sb->ops->evict_inode(inode);
	if (inode->fifo)
		fifo_evict(inode);
	pthread_mutex_destroy(&inode->lock);
	free(inode);
}

void generic_getattr(struct inode *inode, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&inode->lock);
	st->dev = inode->sb ? inode->sb->dev : 0;
	st->ino = inode->ino;
	st->nlink = inode->nlink;
	st->rdev = inode->rdev;
	st->size = inode->size;
	st->mode = inode->mode;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->blksize = 4096;
	st->blocks = (inode->size + 511) / 512;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
	pthread_mutex_unlock(&inode->lock);
}

int generic_setattr(struct inode *inode, const struct iattr *ia)
{
	if (ia->valid & ATTR_SIZE)
		return -EPERM;
	pthread_mutex_lock(&inode->lock);
	if (ia->valid & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (ia->mode & 07777);
	if (ia->valid & ATTR_UID)
		inode->uid = ia->uid;
	if (ia->valid & ATTR_GID)
		inode->gid = ia->gid;
	if (ia->valid & ATTR_ATIME)
		inode->atime = ia->atime;
	if (ia->valid & ATTR_MTIME)
		inode->mtime = ia->mtime;
	if (ia->valid & ATTR_CTIME)
		inode->ctime = ia->ctime;
	else
		vfs_now(&inode->ctime);
	pthread_mutex_unlock(&inode->lock);
	return 0;
}

/* Linux's generic_permission + capable(): owner, then group, then other
 * bits; CAP_DAC_OVERRIDE allows everything except executing a file with no
 * x bit at all; CAP_DAC_READ_SEARCH allows reading any file and searching
 * any directory. */
int inode_permission(struct inode *inode, int mask, struct task *t)
{
	if (inode->iops && inode->iops->permission)
		return inode->iops->permission(inode, mask, t);
	if (!t)
		return 0;
	const struct creds *c = &t->creds;
	pthread_mutex_lock(&inode->lock);
	uint32_t mode = inode->mode, uid = inode->uid, gid = inode->gid;
	pthread_mutex_unlock(&inode->lock);

	unsigned bits;
	if (c->fsuid == uid)
		bits = (mode >> 6) & 7;
	else if (creds_in_group(c, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	if ((bits & (unsigned)mask) == (unsigned)mask)
		return 0;

	bool isdir = S_ISDIR(mode);
	if (creds_capable(c, CAP_DAC_OVERRIDE)) {
		if (!(mask & MAY_EXEC) || isdir || (mode & 0111))
			return 0;
	}
	if (creds_capable(c, CAP_DAC_READ_SEARCH)) {
		if (mask == MAY_READ || (isdir && !(mask & MAY_WRITE)))
			return 0;
	}
	return -EACCES;
}
