/*
 * tmpfs: a memory filesystem. Directories hold their entries (name, inode,
 * readdir cookie) in inode->priv; regular files keep their data in a host
 * memfd (sparse, so a large ftruncate is cheap; mappable MAP_SHARED into
 * address spaces through file_host_fd); symlinks hold their target.
 *
 * Locking: the VFS holds the directory dentry's lock for name operations;
 * each inode's lock guards its entry array / data / attributes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/linux_stat.h"
#include "fs/tmpfs.h"
#include "kernel/task.h"
#include "vfs/vfs_impl.h"

#define TMPFS_MAX_FILE (1ULL << 40)
#define BOGO_DIRENT_SIZE 20 /* Linux shmem: a directory's size is 20 per entry (+ . and ..) */

struct tmpfs_dirent {
	char *name;
	struct inode *inode; /* referenced */
	int64_t cookie;      /* readdir position of this entry */
};

struct tmpfs_node {
	/* directories */
	struct tmpfs_dirent *ents;
	size_t nents, cap;
	int64_t next_cookie;
	/* regular files: a host memfd (created on first need, sized to i->size)
	 * so the data can be mapped MAP_SHARED into address spaces */
	int memfd;
	/* symlinks */
	char *target;
};

static const struct inode_operations tmpfs_dir_iops, tmpfs_file_iops, tmpfs_link_iops,
	tmpfs_special_iops;
static const struct file_operations tmpfs_dir_fops, tmpfs_file_fops;

static struct tmpfs_node *TN(struct inode *i)
{
	return i->priv;
}

/* Per-superblock options (fs/tmpfs.h); limits 0 mean unlimited. */
struct tmpfs_sbinfo {
	atomic_uint_fast64_t inodes; /* live inodes */
	uint64_t max_blocks, max_inodes;
	/* size=0 / nr_inodes=0 given: unlimited for good (Linux's default
	 * limits are finite, so only these refuse a later limit). */
	bool blocks_unlimited, inodes_unlimited;
	uint32_t mode, uid, gid;
};

static struct tmpfs_sbinfo *SBI(const struct superblock *sb)
{
	return is_tmpfs_sb(sb) ? sb->priv : NULL;
}

static void tmpfs_evict(struct inode *i)
{
	struct tmpfs_node *n = TN(i);
	if (!n)
		return;
	for (size_t k = 0; k < n->nents; k++) {
		free(n->ents[k].name);
		inode_put(n->ents[k].inode);
	}
	free(n->ents);
	if (n->memfd > 0)
		close(n->memfd);
	free(n->target);
	free(n);
	struct tmpfs_sbinfo *sbi = SBI(i->sb);
	if (sbi)
		atomic_fetch_sub(&sbi->inodes, 1);
}

static int tmpfs_statfs(struct superblock *sb, struct kstatfs *st)
{
	memset(st, 0, sizeof(*st));
	struct tmpfs_sbinfo *sbi = SBI(sb);
	st->type = LINUX_TMPFS_MAGIC;
	st->bsize = st->frsize = 4096;
	st->blocks = st->bfree = st->bavail = sbi && sbi->max_blocks ? sbi->max_blocks : 1 << 20;
	st->files = sbi && sbi->max_inodes ? sbi->max_inodes : 1 << 20;
	uint64_t used = sbi ? atomic_load(&sbi->inodes) : 0;
	st->ffree = st->files > used ? st->files - used : 0;
	st->namelen = VFS_NAME_MAX;
	return 0;
}

static void tmpfs_put_super(struct superblock *sb)
{
	free(sb->priv);
	sb->priv = NULL;
}

static const struct super_operations tmpfs_sops = {
	.statfs = tmpfs_statfs,
	.evict_inode = tmpfs_evict,
	.put_super = tmpfs_put_super,
};

static struct inode *tmpfs_inode(struct superblock *sb, uint32_t mode, struct task *t)
{
	struct tmpfs_sbinfo *sbi = SBI(sb);
	/* nr_inodes: Linux counts every live inode, the root included. */
	if (sbi && sbi->max_inodes && atomic_load(&sbi->inodes) >= sbi->max_inodes)
		return NULL;
	struct inode *i = inode_new(sb, mode);
	if (!i)
		return NULL;
	i->priv = calloc(1, sizeof(struct tmpfs_node));
	if (!i->priv) {
		inode_put(i);
		return NULL;
	}
	if (sbi)
		atomic_fetch_add(&sbi->inodes, 1);
	TN(i)->next_cookie = 2;
	if (t) {
		i->uid = t->creds.fsuid;
		i->gid = t->creds.fsgid;
	}
	switch (mode & S_IFMT) {
	case S_IFDIR:
		i->iops = &tmpfs_dir_iops;
		i->fops = &tmpfs_dir_fops;
		i->size = 2 * BOGO_DIRENT_SIZE;
		break;
	case S_IFREG:
		i->iops = &tmpfs_file_iops;
		i->fops = &tmpfs_file_fops;
		break;
	case S_IFLNK:
		i->iops = &tmpfs_link_iops;
		break;
	default:
		i->iops = &tmpfs_special_iops;
		break;
	}
	return i;
}

struct superblock *tmpfs_new(unsigned sb_flags)
{
	struct superblock *sb = sb_alloc("tmpfs", LINUX_TMPFS_MAGIC, sb_flags, &tmpfs_sops);
	if (!sb)
		return NULL;
	struct tmpfs_sbinfo *sbi = calloc(1, sizeof(*sbi));
	if (!sbi) {
		sb_put(sb);
		return NULL;
	}
	sbi->mode = 01777;
	sb->priv = sbi;
	struct inode *root = tmpfs_inode(sb, S_IFDIR | 01777, NULL);
	if (!root || sb_set_root(sb, root) < 0) {
		sb_put(sb);
		return NULL;
	}
	return sb;
}

/* --- directories --------------------------------------------------------- */

static struct tmpfs_dirent *dir_find(struct tmpfs_node *n, const char *name)
{
	for (size_t k = 0; k < n->nents; k++)
		if (strcmp(n->ents[k].name, name) == 0)
			return &n->ents[k];
	return NULL;
}

/* dir->lock (inode) held. Takes a new reference on child. */
static int dir_add(struct inode *dir, const char *name, struct inode *child)
{
	struct tmpfs_node *n = TN(dir);
	if (n->nents == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 8;
		struct tmpfs_dirent *e = realloc(n->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		n->ents = e;
		n->cap = cap;
	}
	char *nm = strdup(name);
	if (!nm)
		return -ENOSPC;
	inode_get(child);
	n->ents[n->nents++] = (struct tmpfs_dirent){nm, child, n->next_cookie++};
	dir->size += BOGO_DIRENT_SIZE;
	vfs_now(&dir->mtime);
	dir->ctime = dir->mtime;
	return 0;
}

/* dir inode lock held; returns the removed inode's reference. */
static struct inode *dir_remove(struct inode *dir, const char *name)
{
	struct tmpfs_node *n = TN(dir);
	for (size_t k = 0; k < n->nents; k++) {
		if (strcmp(n->ents[k].name, name) == 0) {
			struct inode *i = n->ents[k].inode;
			free(n->ents[k].name);
			memmove(&n->ents[k], &n->ents[k + 1], (n->nents - k - 1) * sizeof(n->ents[0]));
			n->nents--;
			if (dir->size >= 3 * BOGO_DIRENT_SIZE)
				dir->size -= BOGO_DIRENT_SIZE;
			vfs_now(&dir->mtime);
			dir->ctime = dir->mtime;
			return i;
		}
	}
	return NULL;
}

static int tmpfs_lookup(struct dentry *dir, struct dentry *child)
{
	struct inode *di = dir->inode;
	pthread_mutex_lock(&di->lock);
	struct tmpfs_dirent *e = dir_find(TN(di), child->name);
	if (e) {
		inode_get(e->inode);
		d_instantiate(child, e->inode);
	}
	pthread_mutex_unlock(&di->lock);
	return e ? 0 : -ENOENT;
}

static int tmpfs_mk(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		    const char *target, struct task *t)
{
	struct inode *di = dir->inode;
	struct inode *i = tmpfs_inode(di->sb, mode, t);
	if (!i)
		return -ENOSPC;
	i->rdev = rdev;
	if (target) {
		TN(i)->target = strdup(target);
		if (!TN(i)->target) {
			inode_put(i);
			return -ENOSPC;
		}
		i->size = strlen(target);
	}
	pthread_mutex_lock(&di->lock);
	/* setgid directories pass their group (and the bit, for dirs) on. */
	if (di->mode & S_ISGID) {
		i->gid = di->gid;
		if (S_ISDIR(mode))
			i->mode |= S_ISGID;
	}
	int err = dir_add(di, child->name, i);
	if (err == 0 && S_ISDIR(mode))
		di->nlink++;
	pthread_mutex_unlock(&di->lock);
	if (err) {
		inode_put(i);
		return err;
	}
	d_instantiate(child, i);
	return 0;
}

static int tmpfs_create(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	return tmpfs_mk(dir, child, mode, 0, NULL, t);
}

static int tmpfs_mknod(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		       struct task *t)
{
	return tmpfs_mk(dir, child, mode, rdev, NULL, t);
}

static int tmpfs_symlink(struct dentry *dir, struct dentry *child, const char *target,
			 struct task *t)
{
	if (strlen(target) >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	return tmpfs_mk(dir, child, S_IFLNK | 0777, 0, target, t);
}

/* O_TMPFILE: a new regular file with no name (nlink 0) until linkat. */
static int tmpfs_tmpfile(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	struct inode *di = dir->inode;
	struct inode *i = tmpfs_inode(di->sb, S_IFREG | (mode & 07777), t);
	if (!i)
		return -ENOSPC;
	pthread_mutex_lock(&di->lock);
	if (di->mode & S_ISGID)
		i->gid = di->gid;
	pthread_mutex_unlock(&di->lock);
	i->nlink = 0;
	d_instantiate(child, i);
	return 0;
}

static int tmpfs_link(struct dentry *old, struct dentry *dir, struct dentry *child)
{
	struct inode *di = dir->inode, *i = old->inode;
	pthread_mutex_lock(&di->lock);
	int err = dir_add(di, child->name, i);
	pthread_mutex_unlock(&di->lock);
	if (err)
		return err;
	pthread_mutex_lock(&i->lock);
	i->nlink++;
	vfs_now(&i->ctime);
	pthread_mutex_unlock(&i->lock);
	inode_get(i);
	d_instantiate(child, i);
	return 0;
}

static int tmpfs_unlink(struct dentry *dir, struct dentry *child)
{
	struct inode *di = dir->inode;
	pthread_mutex_lock(&di->lock);
	struct inode *i = dir_remove(di, child->name);
	pthread_mutex_unlock(&di->lock);
	if (!i)
		return -ENOENT;
	pthread_mutex_lock(&i->lock);
	if (i->nlink > 0)
		i->nlink--;
	vfs_now(&i->ctime);
	pthread_mutex_unlock(&i->lock);
	inode_put(i);
	return 0;
}

static int tmpfs_rmdir(struct dentry *dir, struct dentry *child)
{
	struct inode *di = dir->inode, *ci = child->inode;
	pthread_mutex_lock(&ci->lock);
	bool empty = TN(ci)->nents == 0;
	pthread_mutex_unlock(&ci->lock);
	if (!empty)
		return -ENOTEMPTY;
	pthread_mutex_lock(&di->lock);
	struct inode *i = dir_remove(di, child->name);
	if (i && di->nlink > 2)
		di->nlink--;
	pthread_mutex_unlock(&di->lock);
	if (!i)
		return -ENOENT;
	pthread_mutex_lock(&i->lock);
	i->nlink = 0;
	pthread_mutex_unlock(&i->lock);
	inode_put(i);
	return 0;
}

/* Lock two inodes in address order (one if they are the same). */
static void lock_two(struct inode *a, struct inode *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
		return;
	}
	pthread_mutex_lock(&((uintptr_t)a < (uintptr_t)b ? a : b)->lock);
	pthread_mutex_lock(&((uintptr_t)a < (uintptr_t)b ? b : a)->lock);
}

static void unlock_two(struct inode *a, struct inode *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

/* RENAME_EXCHANGE: the two entries swap inodes (references move with them);
 * a directory changing parents moves one link between the parents. */
static int tmpfs_exchange(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			  struct dentry *new_)
{
	struct inode *odi = olddir->inode, *ndi = newdir->inode;
	struct inode *oi = old->inode, *ni = new_->inode;
	lock_two(odi, ndi);
	struct tmpfs_dirent *oe = dir_find(TN(odi), old->name);
	struct tmpfs_dirent *ne = dir_find(TN(ndi), new_->name);
	if (!oe || !ne || oe->inode != oi || ne->inode != ni) {
		unlock_two(odi, ndi);
		return -ENOENT;
	}
	oe->inode = ni;
	ne->inode = oi;
	if (odi != ndi && S_ISDIR(oi->mode) != S_ISDIR(ni->mode)) {
		struct inode *from = S_ISDIR(oi->mode) ? odi : ndi;
		struct inode *to = S_ISDIR(oi->mode) ? ndi : odi;
		if (from->nlink > 2)
			from->nlink--;
		to->nlink++;
	}
	vfs_now(&odi->mtime);
	odi->ctime = odi->mtime;
	ndi->mtime = ndi->ctime = odi->mtime;
	unlock_two(odi, ndi);
	lock_two(oi, ni);
	vfs_now(&oi->ctime);
	ni->ctime = oi->ctime;
	unlock_two(oi, ni);
	return 0;
}

static int tmpfs_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			struct dentry *new_, unsigned flags)
{
	struct inode *odi = olddir->inode, *ndi = newdir->inode, *oi = old->inode;
	bool isdir = S_ISDIR(oi->mode);
	if (flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & LINUX_RENAME_EXCHANGE)
		return new_->inode ? tmpfs_exchange(olddir, old, newdir, new_) : -ENOENT;
	if (new_->inode && S_ISDIR(new_->inode->mode)) {
		pthread_mutex_lock(&new_->inode->lock);
		bool empty = TN(new_->inode)->nents == 0;
		pthread_mutex_unlock(&new_->inode->lock);
		if (!empty)
			return -ENOTEMPTY;
	}
	/* Both directory dentries are locked by the VFS; inode locks one at a
	 * time. Add the new name first so failure leaves the old intact. */
	struct inode *replaced = NULL;
	pthread_mutex_lock(&ndi->lock);
	if (new_->inode)
		replaced = dir_remove(ndi, new_->name);
	int err = dir_add(ndi, new_->name, oi);
	if (err == 0 && isdir && !replaced)
		ndi->nlink++;
	if (err && replaced) {
		dir_add(ndi, new_->name, replaced);
		inode_put(replaced);
		replaced = NULL;
	}
	pthread_mutex_unlock(&ndi->lock);
	if (err)
		return err;
	pthread_mutex_lock(&odi->lock);
	struct inode *i = dir_remove(odi, old->name);
	if (isdir && odi->nlink > 2)
		odi->nlink--;
	pthread_mutex_unlock(&odi->lock);
	inode_put(i);
	if (replaced) {
		pthread_mutex_lock(&replaced->lock);
		if (S_ISDIR(replaced->mode))
			replaced->nlink = 0;
		else if (replaced->nlink)
			replaced->nlink--;
		pthread_mutex_unlock(&replaced->lock);
		inode_put(replaced);
	}
	pthread_mutex_lock(&oi->lock);
	vfs_now(&oi->ctime);
	pthread_mutex_unlock(&oi->lock);
	return 0;
}

static int tmpfs_iterate(struct file *f, struct dir_context *ctx)
{
	if (!dir_emit_dots(f, ctx))
		return 0;
	struct inode *di = f->inode;
	for (;;) {
		char name[VFS_NAME_MAX + 1];
		uint64_t ino = 0;
		unsigned type = 0;
		int64_t cookie = -1;
		pthread_mutex_lock(&di->lock);
		struct tmpfs_node *n = TN(di);
		for (size_t k = 0; k < n->nents; k++) {
			if (n->ents[k].cookie >= ctx->pos) {
				snprintf(name, sizeof(name), "%s", n->ents[k].name);
				ino = n->ents[k].inode->ino;
				type = vfs_dtype(n->ents[k].inode->mode);
				cookie = n->ents[k].cookie;
				break;
			}
		}
		pthread_mutex_unlock(&di->lock);
		if (cookie < 0)
			return 0;
		if (!dir_emit(ctx, name, strlen(name), ino, type, cookie + 1))
			return 0;
	}
}

/* --- regular files ------------------------------------------------------ */

/* i->lock held. The file's memfd, created (sized to i->size) on first need. */
static int file_memfd(struct inode *i)
{
	struct tmpfs_node *n = TN(i);

	if (n->memfd > 0)
		return n->memfd;
	int fd = memfd_create("tmpfs", MFD_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -ENOSPC : -errno;
	if (fd == 0) {
		/* 0 means "none" in a zeroed node; keep descriptor 0 unused. */
		int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 1);
		close(fd);
		if (fd2 < 0)
			return -ENOSPC;
		fd = fd2;
	}
	if (ftruncate(fd, (off_t)i->size) < 0) {
		close(fd);
		return -ENOSPC;
	}
	n->memfd = fd;
	return fd;
}

static ssize_t tmpfs_read(struct file *f, void *buf, size_t len, int64_t *pos)
{
	struct inode *i = f->inode;
	pthread_mutex_lock(&i->lock);
	struct tmpfs_node *n = TN(i);
	uint64_t off = (uint64_t)*pos;
	size_t got = 0;
	if (off < i->size) {
		got = len < i->size - off ? len : (size_t)(i->size - off);
		ssize_t r = n->memfd > 0 ? pread(n->memfd, buf, got, (off_t)off) : 0;
		if (r < 0) {
			pthread_mutex_unlock(&i->lock);
			return -EIO;
		}
		/* Past the memfd's end (never written): zeros. */
		memset((char *)buf + r, 0, got - (size_t)r);
	}
	vfs_now(&i->atime);
	pthread_mutex_unlock(&i->lock);
	*pos += (int64_t)got;
	return (ssize_t)got;
}

static ssize_t tmpfs_write(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	struct inode *i = f->inode;
	pthread_mutex_lock(&i->lock);
	uint64_t off = (file_flags(f) & O_APPEND) ? i->size : (uint64_t)*pos;
	if (len == 0) {
		pthread_mutex_unlock(&i->lock);
		return 0;
	}
	if (off + len < off || off + len > TMPFS_MAX_FILE) {
		pthread_mutex_unlock(&i->lock);
		return -EFBIG;
	}
	int fd = file_memfd(i);
	ssize_t w = fd < 0 ? fd : pwrite(fd, buf, len, (off_t)off);
	if (w < 0) {
		pthread_mutex_unlock(&i->lock);
		return fd < 0 ? fd : -ENOSPC;
	}
	if (off + (uint64_t)w > i->size)
		i->size = off + (uint64_t)w;
	vfs_now(&i->mtime);
	i->ctime = i->mtime;
	i->mode &= ~(uint32_t)(S_ISUID | S_ISGID); /* as Linux's file_remove_privs */
	pthread_mutex_unlock(&i->lock);
	*pos = (int64_t)(off + (uint64_t)w);
	return w;
}

static int tmpfs_host_fd(struct file *f)
{
	struct inode *i = f->inode;
	pthread_mutex_lock(&i->lock);
	int fd = file_memfd(i);
	pthread_mutex_unlock(&i->lock);
	return fd < 0 ? -1 : fd;
}

static int tmpfs_setattr(struct dentry *d, const struct iattr *ia)
{
	struct inode *i = d->inode;
	if (ia->valid & ATTR_SIZE) {
		if (!S_ISREG(i->mode))
			return -EINVAL;
		if (ia->size > TMPFS_MAX_FILE)
			return -EFBIG;
		pthread_mutex_lock(&i->lock);
		struct tmpfs_node *n = TN(i);
		if (n->memfd > 0 && ftruncate(n->memfd, (off_t)ia->size) < 0) {
			pthread_mutex_unlock(&i->lock);
			return -ENOSPC;
		}
		i->size = ia->size;
		pthread_mutex_unlock(&i->lock);
		struct iattr rest = *ia;
		rest.valid &= ~ATTR_SIZE;
		return generic_setattr(i, &rest);
	}
	return generic_setattr(i, ia);
}

/* Blocks: the memfd's allocated blocks for files (sparse files are cheap),
 * none for directories and symlinks, as Linux's tmpfs. */
static int tmpfs_getattr(struct dentry *d, struct kstat *st)
{
	struct inode *i = d->inode;
	struct stat ms;
	generic_getattr(i, st);
	st->blocks = 0;
	pthread_mutex_lock(&i->lock);
	if (S_ISREG(i->mode) && TN(i)->memfd > 0 && fstat(TN(i)->memfd, &ms) == 0)
		st->blocks = (uint64_t)ms.st_blocks;
	pthread_mutex_unlock(&i->lock);
	return 0;
}

static ssize_t tmpfs_readlink(struct dentry *d, char *buf, size_t size)
{
	struct inode *i = d->inode;
	pthread_mutex_lock(&i->lock);
	size_t n = strlen(TN(i)->target);
	if (n > size)
		n = size;
	memcpy(buf, TN(i)->target, n);
	pthread_mutex_unlock(&i->lock);
	return (ssize_t)n;
}

static int tmpfs_fsync(struct file *f, bool datasync)
{
	return 0;
}

static const struct inode_operations tmpfs_dir_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_create,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.setattr = tmpfs_setattr,
	.getattr = tmpfs_getattr,
	.tmpfile = tmpfs_tmpfile,
};
static const struct inode_operations tmpfs_file_iops = {.setattr = tmpfs_setattr,
							.getattr = tmpfs_getattr};
static const struct inode_operations tmpfs_link_iops = {
	.readlink = tmpfs_readlink, .setattr = tmpfs_setattr, .getattr = tmpfs_getattr};
static const struct inode_operations tmpfs_special_iops = {.setattr = tmpfs_setattr,
							   .getattr = tmpfs_getattr};
static const struct file_operations tmpfs_dir_fops = {.iterate = tmpfs_iterate,
						      .fsync = tmpfs_fsync};
static const struct file_operations tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.fsync = tmpfs_fsync,
	.host_fd = tmpfs_host_fd,
};

/* --- mount options (fs/tmpfs.h) ----------------------------------------- */

bool is_tmpfs_sb(const struct superblock *sb)
{
	return sb && sb->ops == &tmpfs_sops;
}

/* Linux's memparse: a number (base by prefix) with an optional K/M/G/T/P/E
 * suffix; *rest is what follows. false on overflow or no digits. */
static bool memparse(const char *s, uint64_t *out, const char **rest)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	int shift = 0;
	switch (*end) {
	case 'E': case 'e': shift += 10; /* fallthrough */
	case 'P': case 'p': shift += 10; /* fallthrough */
	case 'T': case 't': shift += 10; /* fallthrough */
	case 'G': case 'g': shift += 10; /* fallthrough */
	case 'M': case 'm': shift += 10; /* fallthrough */
	case 'K': case 'k': shift += 10; end++; break;
	default: break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	*rest = end;
	return true;
}

static bool parse_u32_base(const char *s, int base, uint32_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int tmpfs_parse_options(const char *data, struct tmpfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (!data || !*data)
		return 0;
	char *copy = strdup(data);
	if (!copy)
		return -ENOMEM;
	int err = 0;
	char *save = NULL;
	for (char *opt = strtok_r(copy, ",", &save); opt && !err;
	     opt = strtok_r(NULL, ",", &save)) {
		char *val = strchr(opt, '=');
		if (val)
			*val++ = '\0';
		const char *rest = "";
		uint64_t v = 0;
		if (strcmp(opt, "size") == 0) {
			if (!memparse(val, &v, &rest)) {
				err = -EINVAL;
			} else if (*rest == '%') {
				/* Percent of the memory (Linux: of totalram). */
				long pages = sysconf(_SC_PHYS_PAGES);
				if (v > 100000 || pages <= 0)
					err = -EINVAL;
				else
					o->blocks = (uint64_t)pages * v / 100;
				rest++;
			} else {
				o->blocks = (v + 4095) / 4096;
			}
			if (*rest)
				err = -EINVAL;
			o->has_size = true;
		} else if (strcmp(opt, "nr_inodes") == 0) {
			if (!memparse(val, &v, &rest) || *rest || v > (UINT64_MAX >> 6))
				err = -EINVAL;
			o->inodes = v;
			o->has_inodes = true;
		} else if (strcmp(opt, "mode") == 0) {
			if (!parse_u32_base(val, 8, &o->mode))
				err = -EINVAL;
			o->mode &= 07777;
			o->has_mode = true;
		} else if (strcmp(opt, "uid") == 0) {
			if (!parse_u32_base(val, 0, &o->uid) || o->uid == UINT32_MAX)
				err = -EINVAL;
			o->has_uid = true;
		} else if (strcmp(opt, "gid") == 0) {
			if (!parse_u32_base(val, 0, &o->gid) || o->gid == UINT32_MAX)
				err = -EINVAL;
			o->has_gid = true;
		} else {
			err = -EINVAL; /* huge=, mpol=, inode64, quota...: not here */
		}
	}
	free(copy);
	return err;
}

void tmpfs_set_options(struct superblock *sb, const struct tmpfs_opts *o)
{
	struct tmpfs_sbinfo *sbi = SBI(sb);
	if (!sbi)
		return;
	if (o->has_size) {
		sbi->max_blocks = o->blocks;
		sbi->blocks_unlimited = o->blocks == 0;
	}
	if (o->has_inodes) {
		sbi->max_inodes = o->inodes;
		sbi->inodes_unlimited = o->inodes == 0;
	}
	if (o->has_mode)
		sbi->mode = o->mode;
	if (o->has_uid)
		sbi->uid = o->uid;
	if (o->has_gid)
		sbi->gid = o->gid;
	struct inode *root = sb->root->inode;
	pthread_mutex_lock(&root->lock);
	root->mode = S_IFDIR | sbi->mode;
	root->uid = sbi->uid;
	root->gid = sbi->gid;
	pthread_mutex_unlock(&root->lock);
}

int tmpfs_remount(struct superblock *sb, const struct tmpfs_opts *o)
{
	struct tmpfs_sbinfo *sbi = SBI(sb);
	if (!sbi)
		return -EINVAL;
	/* Linux's shmem_reconfigure: a limit cannot be set on an unlimited
	 * filesystem, nor below current use (size use is not counted here). */
	if (o->has_size && o->blocks && sbi->blocks_unlimited)
		return -EINVAL;
	if (o->has_inodes && o->inodes) {
		if (sbi->inodes_unlimited || o->inodes < atomic_load(&sbi->inodes))
			return -EINVAL;
	}
	if (o->has_size) {
		sbi->max_blocks = o->blocks;
		sbi->blocks_unlimited = o->blocks == 0;
	}
	if (o->has_inodes) {
		sbi->max_inodes = o->inodes;
		sbi->inodes_unlimited = o->inodes == 0;
	}
	return 0;
}

void tmpfs_show_options(const struct superblock *sb, char *buf, size_t size)
{
	const struct tmpfs_sbinfo *sbi = SBI(sb);
	size_t n = 0;
	if (size)
		buf[0] = '\0';
	if (!sbi || !size)
		return;
	/* Shown when not the default; explicit 0 (unlimited) shows as 0. */
	if (sbi->max_blocks || sbi->blocks_unlimited)
		n += (size_t)snprintf(buf + n, size - n, ",size=%lluk",
				      (unsigned long long)sbi->max_blocks * 4);
	if ((sbi->max_inodes || sbi->inodes_unlimited) && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",nr_inodes=%llu",
				      (unsigned long long)sbi->max_inodes);
	if (sbi->mode != 01777 && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",mode=%03o", sbi->mode);
	if (sbi->uid && n < size)
		n += (size_t)snprintf(buf + n, size - n, ",uid=%u", sbi->uid);
	if (sbi->gid && n < size)
		snprintf(buf + n, size - n, ",gid=%u", sbi->gid);
}
