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
 * The gofer protocol has no create/unlink/rename yet: a goferfs is read-only
 * for names (writes to existing files work when mounted rw). Under the
 * default overlay all name changes go to the tmpfs upper.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/linux_stat.h"
#include "fs/gofer_client.h"
#include "vfs/vfs_impl.h"

struct gfs_sb {
	struct gofer_client *gc;
	bool rw;
};

struct gfs_inode {
	gofer_fid fid;
	struct gofer_attr attr; /* inode->lock */
	/* A read-only host descriptor shared by every O_RDONLY open of the
	 * file (I/O uses explicit offsets), so only the first open costs a
	 * gofer round trip. -1 until then; inode->lock. */
	int ro_fd;
};

struct gfs_file {
	int host_fd;  /* -1 for directories */
	bool shared;  /* host_fd is the inode's ro_fd: not ours to close */
};

static const struct inode_operations gfs_iops;
static const struct file_operations gfs_file_fops, gfs_dir_fops;

static struct gofer_client *GC(struct superblock *sb)
{
	return ((struct gfs_sb *)sb->priv)->gc;
}

static struct gfs_inode *GI(struct inode *i)
{
	return i->priv;
}

static void attr_to_inode(struct inode *i, const struct gofer_attr *a)
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

static bool attr_sane(const struct gofer_attr *a)
{
	switch (a->mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return a->size <= (uint64_t)INT64_MAX;
	}
	return false;
}

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
	gi->ro_fd = -1;
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
	return 0;
}

static int gfs_getattr(struct dentry *d, struct kstat *st)
{
	struct inode *i = d->inode;
	if (!(i->sb->flags & SB_RDONLY)) {
		/* Writable: the host file may have changed size; refresh. */
		struct gofer_attr a;
		if (gofer_stat(GC(i->sb), GI(i)->fid, &a) == 0 && attr_sane(&a) &&
		    (a.mode & S_IFMT) == (i->mode & S_IFMT)) {
			pthread_mutex_lock(&i->lock);
			GI(i)->attr = a;
			attr_to_inode(i, &a);
			pthread_mutex_unlock(&i->lock);
		}
	}
	generic_getattr(i, st);
	pthread_mutex_lock(&i->lock);
	st->blocks = GI(i)->attr.blocks;
	st->blksize = GI(i)->attr.blksize ? GI(i)->attr.blksize : 4096;
	pthread_mutex_unlock(&i->lock);
	return 0;
}

static int gfs_setattr(struct dentry *d, const struct iattr *ia)
{
	/* The gofer protocol has no setattr yet. */
	return (d->sb->flags & SB_RDONLY) ? -EROFS : -EPERM;
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
			int err = gofer_open(GC(d->sb), gi->fid, fl, &gf->host_fd);
			if (err) {
				free(gf);
				return err;
			}
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

static ssize_t gfs_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct gfs_file *gf = f->priv;
	int64_t off = *pos;
	if (file_flags(f) & O_APPEND) {
		struct stat st;
		if (fstat(gf->host_fd, &st) < 0)
			return -errno;
		off = st.st_size;
	}
	ssize_t r;
	do
		r = pwrite(gf->host_fd, buf, n, off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	*pos = off + r;
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

static int gfs_fsync(struct file *f, bool datasync)
{
	struct gfs_file *gf = f->priv;
	if (gf && gf->host_fd >= 0 && (datasync ? fdatasync(gf->host_fd) : fsync(gf->host_fd)) < 0)
		return -errno;
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
	free(gf);
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
	.getattr = gfs_getattr,
	.setattr = gfs_setattr,
	.readlink = gfs_readlink,
	.open = gfs_open,
};

static const struct file_operations gfs_file_fops = {
	.read = gfs_read,
	.write = gfs_write,
	.fsync = gfs_fsync,
	.host_fd = gfs_host_fd,
	.release = gfs_release,
};

static const struct file_operations gfs_dir_fops = {
	.iterate = gfs_iterate,
	.llseek = gfs_dir_llseek,
	.fsync = gfs_fsync,
	.release = gfs_release,
};
