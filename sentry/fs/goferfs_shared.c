/*
 * goferfs coherence with the host ("shared" mode; docs/vfs.md, "Coherence
 * with the host"): revalidation of cached dentries (STATAT of the name in
 * its parent, compared by host dev/ino/type), attribute refresh for stat and
 * lseek, the optional validity time, and the switch to "exclusive" mode for
 * the root filesystem. The rest of goferfs is in goferfs.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/goferfs_impl.h"

void goferfs_set_shared(struct superblock *sb, bool shared, unsigned ttl_ms)
{
	struct gfs_sb *gs = GS(sb);
	gs->shared = shared;
	gs->ttl_ns = shared ? (int64_t)ttl_ms * 1000000 : 0;
	sb->root->dops = shared ? &gfs_shared_dops : NULL;
}

/* --- coherence with the host (shared mode) ------------------------------- */

/* Shared mode: are inode i's cached attributes (and its dentry's name) still
 * trusted without asking the host (ttl not yet over)? */
static bool attr_fresh(struct inode *i)
{
	if (!GS(i->sb)->ttl_ns)
		return false;
	int64_t now = now_ns();
	pthread_mutex_lock(&i->lock);
	bool fresh = now < GI(i)->valid_until;
	pthread_mutex_unlock(&i->lock);
	return fresh;
}

/* The host's current attributes of i's own inode replace the cached ones
 * (the caller checked the identity and attr_sane). */
static void attr_refresh(struct inode *i, const struct gofer_attr *a)
{
	int64_t ttl = GS(i->sb)->ttl_ns;
	int64_t until = ttl ? now_ns() + ttl : 0;
	pthread_mutex_lock(&i->lock);
	GI(i)->attr = *a;
	attr_to_inode(i, a);
	GI(i)->valid_until = until;
	pthread_mutex_unlock(&i->lock);
}

static void attr_from_host(struct gofer_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->nlink = st->st_nlink;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->rdev = st->st_rdev;
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->blksize = (uint32_t)st->st_blksize;
	a->atime_sec = st->st_atim.tv_sec;
	a->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
	a->mtime_sec = st->st_mtim.tv_sec;
	a->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctime_sec = st->st_ctim.tv_sec;
	a->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/* The host's attributes of i itself: fstat of a host descriptor of the file
 * we already hold (no gofer round trip; the gofer checked it is this inode
 * when it donated it) when the gofer's view of owners is ours, else STAT of
 * the fid. */
static int stat_host(struct inode *i, struct gofer_attr *a)
{
	struct gfs_inode *gi = GI(i);
	struct stat st;
	int r = -1;
	if (S_ISREG(i->mode) && GS(i->sb)->same_ids) {
		/* ro_fd is closed only at eviction; wr_fd may go with the last
		 * writer: fstat it under the lock (a host call, no RPC). */
		pthread_mutex_lock(&i->lock);
		int fd = gi->ro_fd >= 0 ? gi->ro_fd : gi->wr_fd;
		if (fd >= 0)
			r = fstat(fd, &st);
		pthread_mutex_unlock(&i->lock);
	}
	if (r == 0) {
		attr_from_host(a, &st);
	} else {
		int err = gofer_stat(GC(i->sb), gi->fid, a);
		if (err)
			return err;
	}
	if (!attr_sane(a) || a->dev != gi->host_dev || a->ino != gi->host_ino ||
	    (a->mode & S_IFMT) != (i->mode & S_IFMT))
		return -EIO;
	return 0;
}

/*
 * The attributes a revalidation just fetched serve the getattr of the same
 * lookup: stat("/vol/f") revalidates f (STATAT) and then asks for its
 * attributes; asking the host twice within microseconds would only double
 * the cost. The token is per thread, names the inode, is used at most once
 * and only within JUST_REVALIDATED_NS; any later revalidation replaces it.
 */
#define JUST_REVALIDATED_NS 1000000 /* 1 ms */
static __thread struct {
	struct inode *inode;
	int64_t at;
} just_revalidated;

void gfs_note_fresh(struct inode *i)
{
	just_revalidated.inode = i;
	just_revalidated.at = now_ns();
}

static bool take_just_revalidated(struct inode *i)
{
	if (just_revalidated.inode != i)
		return false;
	just_revalidated.inode = NULL;
	return now_ns() - just_revalidated.at < JUST_REVALIDATED_NS;
}

/* Bring i's attributes up to date with the host when its filesystem does not
 * own them: shared mode (unless a refresh is recent enough) and, as before,
 * any writable mount. Errors keep the cached attributes. */
void gfs_attr_update(struct inode *i)
{
	struct gfs_sb *gs = GS(i->sb);
	if (gs->shared ? attr_fresh(i) || take_just_revalidated(i) : !gs->rw)
		return;
	struct gofer_attr a;
	if (stat_host(i, &a) == 0)
		attr_refresh(i, &a);
}

/*
 * d_revalidate of shared mode. Called by the VFS when a lookup finds d in the
 * dentry cache: without locks from vfs_lookup_one, with the parent's
 * dentry->lock from the name operations (d_lookup_locked), which already do
 * gofer calls under it. Only leaf locks (vfs_tree_lock, inode->lock, the
 * client's mutex) are taken here.
 */
static int gfs_revalidate(struct dentry *d)
{
	struct inode *i = d->inode;
	struct gfs_sb *gs = GS(d->sb);
	if (!i || !gs->shared || atomic_load(&d->mounted) > 0)
		return 1; /* a mount point stays, as on Linux */
	if (attr_fresh(i))
		return 1;
	struct dentry *p = dget_parent(d);
	if (!p)
		return 1; /* the root */
	char name[VFS_NAME_MAX + 1];
	d_name_copy(d, name);
	struct gofer_attr a;
	int err = p->inode ? gofer_statat(gs->gc, GI(p->inode)->fid, name, &a) : -ENOENT;
	dput(p);
	/* Missing, or any error: stale. The new lookup then reports the
	 * error (ENOENT, EACCES, EIO of a dead gofer...). */
	if (err || !attr_sane(&a))
		return 0;
	struct gfs_inode *gi = GI(i);
	if (a.dev != gi->host_dev || a.ino != gi->host_ino ||
	    (a.mode & S_IFMT) != (i->mode & S_IFMT))
		return 0; /* deleted and recreated, or renamed over */
	attr_refresh(i, &a);
	gfs_note_fresh(i);
	return 1;
}

const struct dentry_operations gfs_shared_dops = {
	.revalidate = gfs_revalidate,
};
