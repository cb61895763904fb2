/* Open file descriptions: allocation, references, and the generic I/O entry
 * points (read/write/seek/stat/getdents/truncate) the syscalls call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "abi/linux_stat.h"
#include "fs/fasync.h"
#include "fs/fsnotify.h"
#include "fs/lock.h"
#include "kernel/task.h"
#include "vfs/vfs_internal.h"

struct file *file_alloc(struct mount *mnt, struct dentry *d, int flags)
{
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	atomic_init(&f->refs, 1);
	pthread_mutex_init(&f->pos_lock, NULL);
	pthread_mutex_init(&f->flags_lock, NULL);
	f->flags = flags;
	f->path.mnt = mnt;
	f->path.dentry = d;
	path_get(&f->path);
	f->inode = d->inode;
	inode_get(f->inode);
	f->ops = d->inode->fops;
	return f;
}

static struct superblock *anon_sb;
static pthread_once_t anon_once = PTHREAD_ONCE_INIT;

static void anon_init(void)
{
	anon_sb = sb_alloc("anon_inodefs", LINUX_ANON_INODE_FS_MAGIC, 0, NULL);
}

struct file *anon_file_new(uint32_t mode, const struct file_operations *ops, void *priv, int flags,
			   const char *name)
{
	pthread_once(&anon_once, anon_init);
	if (!anon_sb)
		return NULL;
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->inode = inode_new(anon_sb, mode);
	f->anon_name = strdup(name ? name : "anon_inode:[unknown]");
	if (!f->inode || !f->anon_name) {
		inode_put(f->inode);
		free(f->anon_name);
		free(f);
		return NULL;
	}
	atomic_init(&f->refs, 1);
	pthread_mutex_init(&f->pos_lock, NULL);
	pthread_mutex_init(&f->flags_lock, NULL);
	f->flags = flags;
	f->ops = ops;
	f->priv = priv;
	return f;
}

void file_get(struct file *f)
{
	atomic_fetch_add(&f->refs, 1);
}

void file_put(struct file *f)
{
	if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	fsnotify_close(f);
	locks_remove_file(f); /* OFD and flock locks of this description */
	eventpoll_release(f); /* off every epoll interest list */
	fasync_release(f);    /* off its wait queue (O_ASYNC) */
	if (f->ops && f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	inode_put(f->inode);
	free(f->anon_name);
	pthread_mutex_destroy(&f->pos_lock);
	pthread_mutex_destroy(&f->flags_lock);
	free(f);
}

int file_flags(struct file *f)
{
	pthread_mutex_lock(&f->flags_lock);
	int fl = f->flags;
	pthread_mutex_unlock(&f->flags_lock);
	return fl;
}

int file_host_fd(struct file *f)
{
	if (f->ops && f->ops->host_fd)
		return f->ops->host_fd(f);
	return -1;
}

void file_ids(struct file *f, uint64_t *dev, uint64_t *ino)
{
	struct kstat st;
	if (vfs_fstat(f, &st) == 0) {
		*dev = st.dev;
		*ino = st.ino;
	} else {
		*dev = f->inode->sb ? f->inode->sb->dev : 0;
		*ino = f->inode->ino;
	}
}

int file_path(struct file *f, char *buf, size_t size)
{
	if (!f->path.dentry) {
		size_t n = strlen(f->anon_name);
		if (n + 1 > size)
			return -ENAMETOOLONG;
		memcpy(buf, f->anon_name, n + 1);
		return (int)n;
	}
	struct path root = {vfs_root_mount, vfs_root_mount ? vfs_root_mount->root : NULL};
	struct task *t = task_current();
	struct path troot = {0};
	if (t && t->fs) {
		task_root(t, &troot);
		root = troot;
	}
	bool unreach;
	int n = vfs_path_string(&f->path, &root, buf, size, &unreach);
	if (troot.mnt)
		path_put(&troot);
	if (n < 0)
		return n;
	if (f->path.dentry->flags & D_DEAD) {
		static const char del[] = " (deleted)";
		if ((size_t)n + sizeof(del) > size)
			return -ENAMETOOLONG;
		memcpy(buf + n, del, sizeof(del));
		n += (int)sizeof(del) - 1;
	}
	return n;
}

static bool pos_locked_type(struct file *f)
{
	uint32_t m = f->inode->mode;
	return S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m);
}

static int check_readable(struct file *f)
{
	int fl = file_flags(f);
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	return 0;
}

static int check_writable(struct file *f)
{
	int fl = file_flags(f);
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	return 0;
}

ssize_t vfs_read(struct file *f, void *buf, size_t n)
{
	int err = check_readable(f);
	if (err)
		return err;
	bool lock = pos_locked_type(f);
	if (lock)
		pthread_mutex_lock(&f->pos_lock);
	ssize_t r = f->ops->read(f, buf, n, &f->pos);
	if (lock)
		pthread_mutex_unlock(&f->pos_lock);
	if (r > 0)
		fsnotify_access(f);
	return r;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t n)
{
	int err = check_writable(f);
	if (err)
		return err;
	bool lock = pos_locked_type(f);
	if (lock)
		pthread_mutex_lock(&f->pos_lock);
	ssize_t r = f->ops->write(f, buf, n, &f->pos);
	if (lock)
		pthread_mutex_unlock(&f->pos_lock);
	if (r > 0)
		fsnotify_modify(f);
	return r;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t n, int64_t off)
{
	int err = check_readable(f);
	if (err)
		return err;
	if (off < 0)
		return -EINVAL;
	if (!pos_locked_type(f) && !S_ISCHR(f->inode->mode) && !S_ISBLK(f->inode->mode))
		return -ESPIPE;
	ssize_t r = f->ops->read(f, buf, n, &off);
	if (r > 0)
		fsnotify_access(f);
	return r;
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t n, int64_t off)
{
	int err = check_writable(f);
	if (err)
		return err;
	if (off < 0)
		return -EINVAL;
	if (!pos_locked_type(f) && !S_ISCHR(f->inode->mode) && !S_ISBLK(f->inode->mode))
		return -ESPIPE;
	ssize_t r = f->ops->write(f, buf, n, &off);
	if (r > 0)
		fsnotify_modify(f);
	return r;
}

ssize_t file_pread(struct file *f, void *buf, size_t n, uint64_t off)
{
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	if (off > INT64_MAX)
		return -EINVAL;
	int64_t o = (int64_t)off;
	return f->ops->read(f, buf, n, &o);
}

int64_t no_llseek(struct file *f, int64_t off, int whence)
{
	return -ESPIPE;
}

/* Called with pos_lock held. */
int64_t generic_llseek(struct file *f, int64_t off, int whence)
{
	int64_t base;
	pthread_mutex_lock(&f->inode->lock);
	int64_t size = (int64_t)f->inode->size;
	pthread_mutex_unlock(&f->inode->lock);
	bool dir = S_ISDIR(f->inode->mode);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		if (dir)
			return -EINVAL;
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (dir || !S_ISREG(f->inode->mode))
			return -EINVAL;
		if (off < 0 || off >= size)
			return -ENXIO;
		/* No holes are tracked: everything below size is data. */
		f->pos = whence == SEEK_DATA ? off : size;
		return f->pos;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->pos = base + off;
	return f->pos;
}

int64_t vfs_llseek(struct file *f, int64_t off, int whence)
{
	if (file_flags(f) & O_PATH)
		return -EBADF;
	if (!f->path.dentry && (!f->ops || !f->ops->llseek))
		return -ESPIPE;
	pthread_mutex_lock(&f->pos_lock);
	int64_t r;
	if (f->ops && f->ops->llseek)
		r = f->ops->llseek(f, off, whence);
	else
		r = generic_llseek(f, off, whence);
	pthread_mutex_unlock(&f->pos_lock);
	return r;
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	if (f->path.dentry)
		return vfs_getattr_d(f->path.dentry, st);
	if (f->inode->iops && f->inode->iops->getattr) {
		/* Anonymous files: a stand-in dentry carrying the inode. */
		struct dentry tmp = {.inode = f->inode, .sb = f->inode->sb};
		return f->inode->iops->getattr(&tmp, st);
	}
	generic_getattr(f->inode, st);
	return 0;
}

int vfs_getdents(struct file *f, struct dir_context *ctx)
{
	return vfs_getdents_commit(f, ctx, NULL, NULL);
}

int vfs_getdents_commit(struct file *f, struct dir_context *ctx,
			int64_t (*commit)(struct dir_context *ctx, int64_t start, void *arg),
			void *arg)
{
	if (file_flags(f) & O_PATH)
		return -EBADF;
	if (!S_ISDIR(f->inode->mode) || !f->ops || !f->ops->iterate)
		return -ENOTDIR;
	pthread_mutex_lock(&f->pos_lock);
	int64_t start = f->pos;
	ctx->pos = start;
	int err = f->ops->iterate(f, ctx);
	f->pos = err == 0 && commit ? commit(ctx, start, arg) : ctx->pos;
	pthread_mutex_unlock(&f->pos_lock);
	if (err == 0)
		fsnotify_access(f);
	return err;
}

int vfs_ftruncate(struct file *f, uint64_t size)
{
	int fl = file_flags(f);
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!f->path.dentry || !S_ISREG(f->inode->mode))
		return -EINVAL;
	if (size > (uint64_t)INT64_MAX)
		return -EINVAL;
	struct iattr ia = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = size};
	vfs_now(&ia.mtime);
	ia.ctime = ia.mtime;
	return vfs_setattr_d(f->path.dentry, &ia);
}

unsigned vfs_dtype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	}
	return DT_UNKNOWN;
}

bool dir_emit_dots(struct file *f, struct dir_context *ctx)
{
	if (ctx->pos == 0) {
		if (!dir_emit(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
			return false;
	}
	if (ctx->pos == 1) {
		uint64_t ino = f->inode->ino;
		struct dentry *p = f->path.dentry ? dget_parent(f->path.dentry) : NULL;
		if (p) {
			ino = p->inode->ino;
			dput(p);
		}
		if (!dir_emit(ctx, "..", 2, ino, DT_DIR, 2))
			return false;
	}
	return true;
}

int vfs_open_d(struct mount *mnt, struct dentry *d, int flags, struct file **out)
{
	struct file *f = file_alloc(mnt, d, flags);
	if (!f)
		return -ENOMEM;
	if (!(flags & O_PATH) && S_ISFIFO(d->inode->mode)) {
		int err = fifo_open(d->inode, f, flags);
		if (err) {
			f->ops = NULL;
			file_put(f);
			return err;
		}
		*out = f;
		return 0;
	}
	if (!(flags & O_PATH) && d->inode->iops && d->inode->iops->open) {
		int err = d->inode->iops->open(d, f);
		if (err) {
			f->ops = NULL; /* no release: open failed */
			file_put(f);
			return err;
		}
	}
	if (flags & O_PATH)
		f->ops = NULL;
	*out = f;
	return 0;
}

int vfs_reopen(struct task *t, struct file *f, int flags, struct file **out)
{
	if (!f->ops || !f->ops->reopen)
		return -ENXIO;
	int acc = flags & O_ACCMODE, may = 0;
	if (!(flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR))
		may |= MAY_READ;
	if (!(flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC)))
		may |= MAY_WRITE;
	int err = inode_permission(f->inode, may, t);
	if (err)
		return err;
	struct file *nf = calloc(1, sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	atomic_init(&nf->refs, 1);
	pthread_mutex_init(&nf->pos_lock, NULL);
	pthread_mutex_init(&nf->flags_lock, NULL);
	nf->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	nf->path = f->path;
	path_get(&nf->path);
	nf->inode = f->inode;
	inode_get(nf->inode);
	nf->anon_name = f->anon_name ? strdup(f->anon_name) : NULL;
	nf->ops = f->ops;
	err = f->anon_name && !nf->anon_name ? -ENOMEM : f->ops->reopen(f, nf, flags);
	if (err) {
		nf->ops = NULL; /* no release: the open failed */
		file_put(nf);
		return err;
	}
	*out = nf;
	return 0;
}
