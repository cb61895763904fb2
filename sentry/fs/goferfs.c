/*
 * goferfs: a filesystem whose inodes are gofer fids. Lookup walks one
 * component through the gofer; attributes are cached from the walk; opening
 * a regular file gets a donated host descriptor (gofer_open) used with
 * pread/pwrite; directories are listed with gofer_getdents, symlinks read
 * with gofer_readlink.
 *
 * st_ino is the host's inode number; st_dev is NOT the host's: every goferfs
 * superblock gets its own sandbox anonymous device number (sb_alloc's 0:N),
 * stable for the sandbox's life, so host device numbers never show.
 *
 * Mounted rw (--rw root, --volume), names change through the gofer
 * (CREATE, MKDIR, UNLINK, RENAME, SYMLINK, LINK, MKNOD, SETATTR, xattrs);
 * the VFS moves and drops the dentries itself after a successful call, and
 * the gofer re-points its fids after a rename. File data goes through the
 * donated host descriptor: CREATE donates one (kept for the open that
 * follows), O_APPEND writes use the host's O_APPEND (atomic on the host).
 * Attributes of a writable mount are refreshed from the gofer at each stat.
 * Under the default overlay the goferfs is read-only and all name changes
 * go to the tmpfs upper.
 *
 * Coherence with the host (goferfs_shared.c, docs/vfs.md): a goferfs is
 * "shared" by default (volumes: host directories the host keeps changing),
 * like gVisor's shared file-access mode. Every cached dentry is revalidated when a lookup finds
 * it (gfs_revalidate: STATAT of its name in its parent; another host
 * dev/ino/type, or no such name: stale, the VFS drops it and looks the name
 * up again; same: the attributes are refreshed), and stat/fstat/lseek
 * (SEEK_END) refresh the attributes. gs->ttl_ns > 0 trusts a refresh for
 * that long (NFS's actimeo). The root filesystem's goferfs (the overlay's
 * read-only lower layer) is made "exclusive" (goferfs_set_shared): it caches
 * everything, as it is not a directory the host is expected to change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abi/linux_stat.h"
#include "fs/gofer_client.h"
#include "gofer/protocol.h"
#include "kernel/task.h"
#include "vfs/vfs_impl.h"

#include "fs/goferfs_impl.h"

struct gfs_file {
	int host_fd;  /* -1 for directories */
	bool shared;  /* host_fd is the inode's ro_fd: not ours to close */
	bool host_append; /* O_APPEND is set on host_fd; f->pos_lock or flags_lock */
	bool writer;      /* counted in gfs_inode.writers */
};

static const struct inode_operations gfs_iops;
static const struct file_operations gfs_file_fops, gfs_dir_fops;

static struct inode *gfs_inode_new(struct superblock *sb, gofer_fid fid, const struct gofer_attr *a)
{
	if (!attr_sane(a))
		return NULL;
	struct inode *i = inode_new(sb, a->mode);
	if (!i)
		return NULL;
	struct gfs_inode *gi = calloc(1, sizeof(*gi));
	if (!gi) {
		inode_put(i);
		return NULL;
	}
	gi->fid = fid;
	gi->host_dev = a->dev;
	gi->host_ino = a->ino;
	gi->valid_until = GS(sb)->ttl_ns ? now_ns() + GS(sb)->ttl_ns : 0;
	gi->ro_fd = -1;
	gi->new_fd = -1;
	gi->wr_fd = -1;
	gi->attr = *a;
	i->priv = gi;
	attr_to_inode(i, a);
	i->iops = &gfs_iops;
	if (S_ISREG(a->mode))
		i->fops = &gfs_file_fops;
	else if (S_ISDIR(a->mode))
		i->fops = &gfs_dir_fops;
	return i;
}

static void gfs_evict(struct inode *i)
{
	struct gfs_inode *gi = GI(i);
	if (gi) {
		if (gi->ro_fd >= 0)
			close(gi->ro_fd);
		if (gi->new_fd >= 0)
			close(gi->new_fd);
		if (gi->wr_fd >= 0)
			close(gi->wr_fd);
		gofer_clunk(GC(i->sb), gi->fid);
		free(gi);
	}
}

static int gfs_statfs(struct superblock *sb, struct kstatfs *st)
{
	struct gofer_statfs gs;
	int err = gofer_statfs(GC(sb), GI(sb->root->inode)->fid, &gs);
	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->type = gs.type;
	st->bsize = gs.bsize;
	st->blocks = gs.blocks;
	st->bfree = gs.bfree;
	st->bavail = gs.bavail;
	st->files = gs.files;
	st->ffree = gs.ffree;
	st->namelen = gs.namelen > VFS_NAME_MAX ? VFS_NAME_MAX : gs.namelen;
	st->frsize = gs.frsize;
	st->flags = (sb->flags & SB_RDONLY) ? LINUX_ST_RDONLY : 0;
	return 0;
}

static void gfs_put_super(struct superblock *sb)
{
	free(sb->priv);
}

static const struct super_operations gfs_sops = {
	.statfs = gfs_statfs,
	.evict_inode = gfs_evict,
	.put_super = gfs_put_super,
};

struct superblock *goferfs_new(struct gofer_client *gc, bool rw, int *err)
{
	struct gfs_sb *gs = calloc(1, sizeof(*gs));
	if (!gs) {
		*err = -ENOMEM;
		return NULL;
	}
	gs->gc = gc;
	gs->rw = rw;
	gs->shared = true;
	gs->same_ids = !(gofer_client_flags(gc) & GOFER_VF_USERNS);
	struct superblock *sb = sb_alloc("9p", LINUX_V9FS_MAGIC, rw ? 0 : SB_RDONLY, &gfs_sops);
	if (!sb) {
		free(gs);
		*err = -ENOMEM;
		return NULL;
	}
	sb->priv = gs;
	gofer_fid fid;
	struct gofer_attr a;
	*err = gofer_root(gc, &fid, &a);
	if (*err) {
		sb_put(sb);
		return NULL;
	}
	if (!S_ISDIR(a.mode)) {
		gofer_clunk(gc, fid);
		sb_put(sb);
		*err = -ENOTDIR;
		return NULL;
	}
	struct inode *root = gfs_inode_new(sb, fid, &a);
	if (!root) {
		gofer_clunk(gc, fid);
		sb_put(sb);
		*err = -ENOMEM;
		return NULL;
	}
	*err = sb_set_root(sb, root);
	if (*err) {
		sb_put(sb);
		return NULL;
	}
	sb->root->dops = &gfs_shared_dops; /* inherited by every child dentry */
	return sb;
}


/* --- inode operations ---------------------------------------------------- */

static int gfs_lookup(struct dentry *dir, struct dentry *child)
{
	gofer_fid fid;
	struct gofer_attr a;
	struct gofer_client *gc = GC(dir->sb);
	int err = gofer_walk(gc, GI(dir->inode)->fid, child->name, &fid, &a);
	if (err)
		return err;
	struct inode *i = gfs_inode_new(dir->sb, fid, &a);
	if (!i) {
		gofer_clunk(gc, fid);
		return -EIO;
	}
	d_instantiate(child, i);
	gfs_note_fresh(i); /* a stat right after needs no second trip */
	return 0;
}

static int gfs_getattr(struct dentry *d, struct kstat *st)
{
	struct inode *i = d->inode;
	/* Shared or writable: the host file may have changed; refresh. */
	gfs_attr_update(i);
	generic_getattr(i, st);
	pthread_mutex_lock(&i->lock);
	st->blocks = GI(i)->attr.blocks;
	st->blksize = GI(i)->attr.blksize ? GI(i)->attr.blksize : 4096;
	pthread_mutex_unlock(&i->lock);
	return 0;
}

/* ATTR_* to the gofer's SETATTR. ctime cannot be set: the host updates it
 * with any change. The new attributes come back in the reply. */
static int gfs_setattr(struct dentry *d, const struct iattr *ia)
{
	struct inode *i = d->inode;
	struct gofer_setattr sa = {0};
	struct gofer_attr a;
	if (d->sb->flags & SB_RDONLY)
		return -EROFS;
	if (ia->valid & ATTR_MODE) {
		sa.valid |= GOFER_SET_MODE;
		sa.mode = ia->mode & 07777;
	}
	if (ia->valid & ATTR_UID) {
		sa.valid |= GOFER_SET_UID;
		sa.uid = ia->uid;
	}
	if (ia->valid & ATTR_GID) {
		sa.valid |= GOFER_SET_GID;
		sa.gid = ia->gid;
	}
	if (ia->valid & ATTR_SIZE) {
		if (S_ISDIR(i->mode))
			return -EISDIR;
		if (!S_ISREG(i->mode))
			return -EINVAL;
		/* Through a writable descriptor we hold, when there is one (the
		 * name may be gone); else the gofer reopens the file. */
		pthread_mutex_lock(&i->lock);
		int wfd = GI(i)->wr_fd;
		int r = wfd >= 0 ? ftruncate(wfd, (off_t)ia->size) : 0;
		int e = errno;
		if (wfd >= 0 && r == 0)
			i->size = ia->size;
		pthread_mutex_unlock(&i->lock);
		if (r < 0)
			return -e;
		if (wfd < 0) {
			sa.valid |= GOFER_SET_SIZE;
			sa.size = ia->size;
		}
	}
	if (ia->valid & ATTR_ATIME) {
		sa.valid |= GOFER_SET_ATIME;
		sa.atime_sec = ia->atime.tv_sec;
		sa.atime_nsec = (uint32_t)ia->atime.tv_nsec;
	}
	if (ia->valid & ATTR_MTIME) {
		sa.valid |= GOFER_SET_MTIME;
		sa.mtime_sec = ia->mtime.tv_sec;
		sa.mtime_nsec = (uint32_t)ia->mtime.tv_nsec;
	}
	int err = sa.valid ? gofer_setattr(GC(d->sb), GI(i)->fid, &sa, &a)
			   : gofer_stat(GC(d->sb), GI(i)->fid, &a);
	if (err)
		return err;
	if (attr_sane(&a) && (a.mode & S_IFMT) == (i->mode & S_IFMT)) {
		pthread_mutex_lock(&i->lock);
		GI(i)->attr = a;
		attr_to_inode(i, &a);
		pthread_mutex_unlock(&i->lock);
	}
	return 0;
}

/* --- name operations (the VFS holds dir->lock) ----------------------------- */

static void owner_of(struct task *t, uint32_t *uid, uint32_t *gid)
{
	*uid = t ? t->creds.fsuid : UINT32_MAX;
	*gid = t ? t->creds.fsgid : UINT32_MAX;
}

/* A new inode for a fid the gofer just created (clunked on failure). */
static int gfs_instantiate(struct dentry *dir, struct dentry *child, gofer_fid fid,
			   const struct gofer_attr *a, int new_fd)
{
	struct inode *i = gfs_inode_new(dir->sb, fid, a);
	if (!i) {
		if (new_fd >= 0)
			close(new_fd);
		gofer_clunk(GC(dir->sb), fid);
		return -EIO;
	}
	GI(i)->new_fd = new_fd;
	d_instantiate(child, i);
	return 0;
}

static int gfs_create(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	uint32_t uid, gid;
	gofer_fid fid;
	struct gofer_attr a;
	int fd;
	owner_of(t, &uid, &gid);
	int err = gofer_create(GC(dir->sb), GI(dir->inode)->fid, child->name, O_RDWR | O_EXCL,
			       mode & 07777, uid, gid, &fid, &a, &fd);
	return err ? err : gfs_instantiate(dir, child, fid, &a, fd);
}

/* O_TMPFILE: an unnamed host file in the directory (gofer TMPFILE). */
static int gfs_tmpfile(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	uint32_t uid, gid;
	gofer_fid fid;
	struct gofer_attr a;
	int fd;
	owner_of(t, &uid, &gid);
	int err = gofer_tmpfile(GC(dir->sb), GI(dir->inode)->fid, mode & 07777, uid, gid, &fid,
				&a, &fd);
	return err ? err : gfs_instantiate(dir, child, fid, &a, fd);
}

static int gfs_mkdir(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	uint32_t uid, gid;
	gofer_fid fid;
	struct gofer_attr a;
	owner_of(t, &uid, &gid);
	int err = gofer_mkdir(GC(dir->sb), GI(dir->inode)->fid, child->name, mode & 07777, uid,
			      gid, &fid, &a);
	if (err)
		return err;
	if (!S_ISDIR(a.mode)) {
		gofer_clunk(GC(dir->sb), fid);
		return -EIO;
	}
	return gfs_instantiate(dir, child, fid, &a, -1);
}

/* FIFOs and sockets only: no host device nodes (-EPERM, as without
 * CAP_MKNOD). A FIFO's data is the sentry's (fs/pipe.c), as on tmpfs. */
static int gfs_mknod(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		     struct task *t)
{
	uint32_t uid, gid;
	gofer_fid fid;
	struct gofer_attr a;
	(void)rdev;
	if (S_ISREG(mode) || (mode & S_IFMT) == 0) {
		/* mknod(S_IFREG): nobody opens it now; keep no descriptor. */
		int err = gfs_create(dir, child, mode, t);
		if (err == 0) {
			struct gfs_inode *gi = GI(child->inode);
			close(gi->new_fd);
			gi->new_fd = -1;
		}
		return err;
	}
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EPERM;
	owner_of(t, &uid, &gid);
	int err = gofer_mknod(GC(dir->sb), GI(dir->inode)->fid, child->name, mode, uid, gid, &fid,
			      &a);
	return err ? err : gfs_instantiate(dir, child, fid, &a, -1);
}

static int gfs_symlink(struct dentry *dir, struct dentry *child, const char *target,
		       struct task *t)
{
	uint32_t uid, gid;
	gofer_fid fid;
	struct gofer_attr a;
	owner_of(t, &uid, &gid);
	int err = gofer_symlink(GC(dir->sb), GI(dir->inode)->fid, child->name, target, uid, gid,
				&fid, &a);
	return err ? err : gfs_instantiate(dir, child, fid, &a, -1);
}

static int gfs_link(struct dentry *old, struct dentry *dir, struct dentry *child)
{
	gofer_fid fid;
	struct gofer_attr a;
	int err = gofer_link(GC(dir->sb), GI(dir->inode)->fid, child->name, GI(old->inode)->fid,
			     &fid, &a);
	if (err)
		return err;
	pthread_mutex_lock(&old->inode->lock);
	old->inode->nlink = a.nlink;
	pthread_mutex_unlock(&old->inode->lock);
	return gfs_instantiate(dir, child, fid, &a, -1);
}

/* After a name went away: the inode's link count as the host has it (an
 * open file keeps its fid and can still be stat'ed). */
static void refresh_nlink(struct dentry *d)
{
	struct gofer_attr a;
	struct inode *i = d->inode;
	if (gofer_stat(GC(d->sb), GI(i)->fid, &a) == 0) {
		pthread_mutex_lock(&i->lock);
		i->nlink = a.nlink;
		i->ctime = (struct timespec){a.ctime_sec, a.ctime_nsec};
		pthread_mutex_unlock(&i->lock);
	}
}

static int gfs_unlink(struct dentry *dir, struct dentry *child)
{
	int err = gofer_unlink(GC(dir->sb), GI(dir->inode)->fid, child->name, 0);
	if (!err)
		refresh_nlink(child);
	return err;
}

static int gfs_rmdir(struct dentry *dir, struct dentry *child)
{
	int err = gofer_unlink(GC(dir->sb), GI(dir->inode)->fid, child->name, AT_REMOVEDIR);
	if (!err) {
		pthread_mutex_lock(&child->inode->lock);
		child->inode->nlink = 0;
		pthread_mutex_unlock(&child->inode->lock);
	}
	return err;
}

/* The VFS has checked types, mounts and ancestry, and moves the dentries
 * after we return 0; the host checks emptiness (ENOTEMPTY). */
static int gfs_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      struct dentry *new_, unsigned flags)
{
	if (flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	int err = gofer_rename(GC(olddir->sb), GI(olddir->inode)->fid, old->name,
			       GI(newdir->inode)->fid, new_->name, flags);
	if (!err && new_->inode && !(flags & LINUX_RENAME_EXCHANGE))
		refresh_nlink(new_);
	return err;
}

/* --- extended attributes (user.* through the gofer) ----------------------- */

static ssize_t gfs_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	return gofer_getxattr(GC(d->sb), GI(d->inode)->fid, name, buf, size);
}

static ssize_t gfs_listxattr(struct dentry *d, char *buf, size_t size)
{
	return gofer_listxattr(GC(d->sb), GI(d->inode)->fid, buf, size);
}

static int gfs_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
			int flags)
{
	if (d->sb->flags & SB_RDONLY)
		return -EROFS;
	return gofer_setxattr(GC(d->sb), GI(d->inode)->fid, name, value, size, flags);
}

static int gfs_removexattr(struct dentry *d, const char *name)
{
	if (d->sb->flags & SB_RDONLY)
		return -EROFS;
	return gofer_removexattr(GC(d->sb), GI(d->inode)->fid, name);
}

static ssize_t gfs_readlink(struct dentry *d, char *buf, size_t size)
{
	ssize_t n = gofer_readlink(GC(d->sb), GI(d->inode)->fid, buf, size);
	if (n > (ssize_t)size)
		return -EIO;
	return n;
}

static int gfs_open(struct dentry *d, struct file *f)
{
	struct gfs_file *gf = calloc(1, sizeof(*gf));
	if (!gf)
		return -ENOMEM;
	gf->host_fd = -1;
	if (S_ISREG(d->inode->mode)) {
		int fl = f->flags & (O_ACCMODE | O_APPEND);
		struct gfs_inode *gi = GI(d->inode);
		if (fl == O_RDONLY) {
			pthread_mutex_lock(&d->inode->lock);
			if (gi->ro_fd < 0 && gi->new_fd >= 0) {
				/* Just created (open(O_CREAT|O_RDONLY)): CREATE's
				 * descriptor serves the reads. */
				gi->ro_fd = gi->new_fd;
				gi->new_fd = -1;
			}
			int fd = gi->ro_fd;
			pthread_mutex_unlock(&d->inode->lock);
			if (fd < 0) {
				int err = gofer_open(GC(d->sb), gi->fid, O_RDONLY, &fd);
				if (err) {
					free(gf);
					return err;
				}
				pthread_mutex_lock(&d->inode->lock);
				if (gi->ro_fd < 0) {
					gi->ro_fd = fd;
				} else { /* another open won the race */
					close(fd);
					fd = gi->ro_fd;
				}
				pthread_mutex_unlock(&d->inode->lock);
			}
			gf->host_fd = fd;
			gf->shared = true;
		} else {
			/* The descriptor CREATE donated (O_RDWR), if still there. */
			pthread_mutex_lock(&d->inode->lock);
			gf->host_fd = gi->new_fd;
			gi->new_fd = -1;
			pthread_mutex_unlock(&d->inode->lock);
			if (gf->host_fd < 0) {
				int err = gofer_open(GC(d->sb), gi->fid, fl, &gf->host_fd);
				if (err) {
					free(gf);
					return err;
				}
				gf->host_append = fl & O_APPEND;
			}
			/* Keep a copy for truncating the file while it is open,
			 * even once its name is gone (ftruncate of an unlinked
			 * file). */
			pthread_mutex_lock(&d->inode->lock);
			if (gi->wr_fd < 0)
				gi->wr_fd = fcntl(gf->host_fd, F_DUPFD_CLOEXEC, 0);
			gi->writers++;
			gf->writer = true;
			pthread_mutex_unlock(&d->inode->lock);
		}
	}
	f->priv = gf;
	return 0;
}

/* --- file operations ----------------------------------------------------- */

static ssize_t gfs_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct gfs_file *gf = f->priv;
	ssize_t r;
	do
		r = pread(gf->host_fd, buf, n, *pos);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*pos += r;
	return r;
}

/* Make O_APPEND on the host descriptor follow the file's flags (open and
 * F_SETFL). */
static int sync_append(struct file *f, struct gfs_file *gf, bool append)
{
	if (gf->shared || gf->host_fd < 0 || gf->host_append == append)
		return 0;
	int fl = fcntl(gf->host_fd, F_GETFL);
	if (fl < 0 || fcntl(gf->host_fd, F_SETFL, append ? fl | O_APPEND : fl & ~O_APPEND) < 0)
		return -errno;
	gf->host_append = append;
	(void)f;
	return 0;
}

static int gfs_setfl(struct file *f, int newflags)
{
	struct gfs_file *gf = f->priv;
	return gf ? sync_append(f, gf, newflags & O_APPEND) : 0;
}

/* O_APPEND: write(2) on the host descriptor opened O_APPEND appends
 * atomically on the host (two sandboxes or a host process appending to the
 * same file never overwrite each other); the new position is the host's. */
static ssize_t gfs_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct gfs_file *gf = f->priv;
	ssize_t r;
	if (file_flags(f) & O_APPEND) {
		int err = sync_append(f, gf, true);
		if (err)
			return err;
		do
			r = write(gf->host_fd, buf, n);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		off_t end = lseek(gf->host_fd, 0, SEEK_CUR);
		*pos = end >= 0 ? end : *pos + r;
	} else {
		do
			r = pwrite(gf->host_fd, buf, n, *pos);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		*pos += r;
	}
	pthread_mutex_lock(&f->inode->lock);
	if ((uint64_t)*pos > f->inode->size)
		f->inode->size = (uint64_t)*pos;
	pthread_mutex_unlock(&f->inode->lock);
	return r;
}

static int gfs_iterate(struct file *f, struct dir_context *ctx)
{
	struct gofer_dirent *ents = malloc(32 * sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	int err = 0;
	for (;;) {
		int n = gofer_getdents(GC(f->inode->sb), GI(f->inode)->fid, (uint64_t)ctx->pos, ents,
				       32);
		if (n <= 0) {
			err = n;
			break;
		}
		bool full = false;
		for (int k = 0; k < n && !full; k++) {
			ents[k].name[sizeof(ents[k].name) - 1] = '\0';
			size_t len = strlen(ents[k].name);
			if (!len || strchr(ents[k].name, '/') || ents[k].next_off > INT64_MAX) {
				err = -EIO;
				goto out;
			}
			if (!dir_emit(ctx, ents[k].name, len, ents[k].ino, ents[k].type,
				      (int64_t)ents[k].next_off))
				full = true;
		}
		if (full)
			break;
	}
out:
	free(ents);
	return err;
}

/* Files: the donated descriptor. Directories (no descriptor): through the
 * gofer. */
static int gfs_fsync(struct file *f, bool datasync)
{
	struct gfs_file *gf = f->priv;
	if (gf && gf->host_fd >= 0) {
		if ((datasync ? fdatasync(gf->host_fd) : fsync(gf->host_fd)) < 0)
			return -errno;
		return 0;
	}
	if (f->inode->sb->flags & SB_RDONLY)
		return 0;
	return gofer_fsync(GC(f->inode->sb), GI(f->inode)->fid, datasync);
}

/* On the donated descriptor: the host filesystem does the work (and says
 * EOPNOTSUPP for modes it lacks). */
static int gfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	struct gfs_file *gf = f->priv;
	if (!gf || gf->host_fd < 0 || gf->shared)
		return -EBADF;
	int r;
	do
		r = fallocate(gf->host_fd, mode, off, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	struct stat st;
	if (fstat(gf->host_fd, &st) == 0) {
		pthread_mutex_lock(&f->inode->lock);
		f->inode->size = (uint64_t)st.st_size;
		pthread_mutex_unlock(&f->inode->lock);
	}
	return 0;
}

static int gfs_host_fd(struct file *f)
{
	struct gfs_file *gf = f->priv;
	return gf ? gf->host_fd : -1;
}

static void gfs_release(struct file *f)
{
	struct gfs_file *gf = f->priv;
	if (!gf)
		return;
	if (gf->host_fd >= 0 && !gf->shared)
		close(gf->host_fd);
	if (gf->writer) {
		/* The last writer gone: no descriptor kept for truncation. */
		struct gfs_inode *gi = GI(f->inode);
		int fd = -1;
		pthread_mutex_lock(&f->inode->lock);
		if (--gi->writers == 0) {
			fd = gi->wr_fd;
			gi->wr_fd = -1;
		}
		pthread_mutex_unlock(&f->inode->lock);
		if (fd >= 0)
			close(fd);
	}
	free(gf);
}

/* SEEK_END, SEEK_DATA and SEEK_HOLE need the size as the host has it now
 * (another process may have appended): refresh it first. */
static int64_t gfs_file_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE)
		gfs_attr_update(f->inode);
	return generic_llseek(f, off, whence);
}

static int64_t gfs_dir_llseek(struct file *f, int64_t off, int whence)
{
	/* Directory offsets are the host's cookies: only SEEK_SET to one we
	 * gave out (or 0), and SEEK_CUR 0 to read the position. */
	if (whence == SEEK_SET && off >= 0)
		return f->pos = off;
	if (whence == SEEK_CUR && off == 0)
		return f->pos;
	return -EINVAL;
}

static const struct inode_operations gfs_iops = {
	.lookup = gfs_lookup,
	.create = gfs_create,
	.mkdir = gfs_mkdir,
	.tmpfile = gfs_tmpfile,
	.mknod = gfs_mknod,
	.symlink = gfs_symlink,
	.link = gfs_link,
	.unlink = gfs_unlink,
	.rmdir = gfs_rmdir,
	.rename = gfs_rename,
	.getattr = gfs_getattr,
	.setattr = gfs_setattr,
	.readlink = gfs_readlink,
	.open = gfs_open,
	.getxattr = gfs_getxattr,
	.listxattr = gfs_listxattr,
	.setxattr = gfs_setxattr,
	.removexattr = gfs_removexattr,
};

static const struct file_operations gfs_file_fops = {
	.read = gfs_read,
	.llseek = gfs_file_llseek,
	.write = gfs_write,
	.fsync = gfs_fsync,
	.fallocate = gfs_fallocate,
	.host_fd = gfs_host_fd,
	.setfl = gfs_setfl,
	.release = gfs_release,
};

static const struct file_operations gfs_dir_fops = {
	.iterate = gfs_iterate,
	.llseek = gfs_dir_llseek,
	.fsync = gfs_fsync,
	.release = gfs_release,
};
