/*
 * goferfs internals shared by goferfs.c (the filesystem) and
 * goferfs_shared.c (coherence with the host). Not a contract header.
 */
#ifndef SENTRY_FS_GOFERFS_IMPL_H
#define SENTRY_FS_GOFERFS_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/gofer_client.h"
#include "vfs/vfs_impl.h"

struct gfs_sb {
	struct gofer_client *gc;
	bool rw;
	bool shared;    /* revalidate against the host (set before any lookup) */
	/* The gofer sees the same uids/gids as we do (no user namespace of
	 * its own, which would show unmapped owners as 65534): an fstat of a
	 * donated descriptor gives what its STAT would. */
	bool same_ids;
	int64_t ttl_ns; /* shared: how long a refresh is trusted; 0: never */
};

struct gfs_inode {
	gofer_fid fid;
	uint64_t host_dev, host_ino; /* identity on the host: never change */
	struct gofer_attr attr; /* inode->lock */
	/* Shared mode with a ttl: the attributes and the name are trusted
	 * until this CLOCK_MONOTONIC time (ns). inode->lock. */
	int64_t valid_until;
	/* A read-only host descriptor shared by every O_RDONLY open of the
	 * file (I/O uses explicit offsets), so only the first open costs a
	 * gofer round trip. -1 until then; inode->lock. */
	int ro_fd;
	/* The O_RDWR descriptor CREATE donated, for the open that follows the
	 * create; -1 once taken. inode->lock. */
	int new_fd;
	/* A writable host descriptor (a copy of a write open's) while the file
	 * is open for writing, for truncation without a name (ftruncate of an
	 * unlinked file); -1 when no writer is open. inode->lock. */
	int wr_fd;
	unsigned writers; /* open writable descriptions; inode->lock */
};

static inline struct gofer_client *GC(struct superblock *sb)
{
	return ((struct gfs_sb *)sb->priv)->gc;
}

static inline struct gfs_inode *GI(struct inode *i)
{
	return i->priv;
}

static inline struct gfs_sb *GS(struct superblock *sb)
{
	return sb->priv;
}

static inline int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void attr_to_inode(struct inode *i, const struct gofer_attr *a)
{
	i->ino = a->ino;
	i->mode = a->mode;
	i->uid = a->uid;
	i->gid = a->gid;
	i->nlink = a->nlink;
	i->size = a->size;
	i->rdev = a->rdev;
	i->atime = (struct timespec){a->atime_sec, a->atime_nsec};
	i->mtime = (struct timespec){a->mtime_sec, a->mtime_nsec};
	i->ctime = (struct timespec){a->ctime_sec, a->ctime_nsec};
}

static inline bool attr_sane(const struct gofer_attr *a)
{
	switch (a->mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return a->size <= (uint64_t)INT64_MAX;
	}
	return false;
}

/* goferfs_shared.c */
extern const struct dentry_operations gfs_shared_dops;
/* Refresh i's attributes from the host when its mount does not own them
 * (shared mode, unless still trusted; any writable mount). */
void gfs_attr_update(struct inode *i);
/* i's attributes were just fetched from the host (a lookup): the getattr
 * of the same stat may use them. */
void gfs_note_fresh(struct inode *i);

#endif
