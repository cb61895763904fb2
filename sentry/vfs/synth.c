/*
 * The synthetic filesystem kit (see vfs_impl.h): trees of synth_entry tables
 * with generated file contents, computed symlinks and dynamic directories.
 * procfs, devfs and sysfs are built on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "vfs/vfs_impl.h"

/* --- seq_buf ------------------------------------------------------------- */

static bool seq_reserve(struct seq_buf *s, size_t extra)
{
	if (s->overflow)
		return false;
	if (s->len + extra + 1 <= s->cap)
		return true;
	size_t cap = s->cap ? s->cap : 256;
	while (cap < s->len + extra + 1) {
		if (cap > (64u << 20)) {
			s->overflow = true;
			return false;
		}
		cap *= 2;
	}
	char *b = realloc(s->buf, cap);
	if (!b) {
		s->overflow = true;
		return false;
	}
	s->buf = b;
	s->cap = cap;
	return true;
}

void seq_vprintf(struct seq_buf *s, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !seq_reserve(s, (size_t)n))
		return;
	vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
	s->len += (size_t)n;
}

void seq_printf(struct seq_buf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	seq_vprintf(s, fmt, ap);
	va_end(ap);
}

void seq_write(struct seq_buf *s, const void *data, size_t n)
{
	if (!seq_reserve(s, n))
		return;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

void seq_putc(struct seq_buf *s, char c)
{
	seq_write(s, &c, 1);
}

/* --- inodes -------------------------------------------------------------- */

static const struct inode_operations synth_dir_iops, synth_reg_iops, synth_lnk_iops,
	synth_magic_lnk_iops, synth_other_iops;
static const struct file_operations synth_dir_fops;

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t synth_ino(const struct synth_entry *e, int64_t k0, int64_t k1)
{
	uint64_t h = mix64((uint64_t)(uintptr_t)e ^ mix64((uint64_t)k0 * 31 + (uint64_t)k1));
	return (h & 0xffffffffULL) | 0x100; /* 32-bit, never 0/1 */
}

static void synth_evict(struct inode *inode)
{
	struct synth_inode *si = synth_i(inode);
	if (!si)
		return;
	if (si->priv_free)
		si->priv_free(si->priv);
	free(si);
}

static const struct super_operations synth_sops = {.evict_inode = synth_evict};

struct inode *synth_inode_new(struct superblock *sb, const struct synth_entry *e, int64_t key0,
			      int64_t key1)
{
	struct inode *i = inode_new(sb, e->mode);
	if (!i)
		return NULL;
	struct synth_inode *si = calloc(1, sizeof(*si));
	if (!si) {
		inode_put(i);
		return NULL;
	}
	si->entry = e;
	si->key0 = key0;
	si->key1 = key1;
	i->priv = si;
	i->ino = synth_ino(e, key0, key1);
	i->rdev = e->rdev;
	switch (e->mode & S_IFMT) {
	case S_IFDIR:
		i->iops = &synth_dir_iops;
		i->fops = &synth_dir_fops;
		break;
	case S_IFREG:
		i->iops = &synth_reg_iops;
		i->fops = e->fops ? e->fops : &synth_seq_fops;
		break;
	case S_IFLNK:
		i->iops = e->get_path ? &synth_magic_lnk_iops : &synth_lnk_iops;
		break;
	default:
		i->iops = &synth_other_iops;
		i->fops = e->fops;
		break;
	}
	if (e->fill_attr)
		e->fill_attr(i);
	return i;
}

struct superblock *synth_sb_new(const char *fstype, uint64_t magic, unsigned sb_flags,
				const struct synth_entry *root_entry)
{
	struct superblock *sb = sb_alloc(fstype, magic, sb_flags, &synth_sops);
	if (!sb)
		return NULL;
	struct inode *root = synth_inode_new(sb, root_entry, 0, 0);
	if (!root || sb_set_root(sb, root) < 0) {
		sb_put(sb);
		return NULL;
	}
	return sb;
}

/* --- directories --------------------------------------------------------- */

static int synth_lookup(struct dentry *dir, struct dentry *child)
{
	struct synth_inode *si = synth_i(dir->inode);
	const struct synth_entry *e = si->entry;
	if (e->children) {
		for (const struct synth_entry *c = e->children; c->name; c++) {
			if (strcmp(c->name, child->name) == 0) {
				struct inode *i = synth_inode_new(dir->sb, c, si->key0, si->key1);
				if (!i)
					return -ENOMEM;
				d_instantiate(child, i);
				return 0;
			}
		}
	}
	if (e->dir_ops && e->dir_ops->lookup) {
		struct inode *i = NULL;
		int err = e->dir_ops->lookup(dir->inode, child->name, &i);
		if (err)
			return err;
		if (!i)
			return -ENOENT;
		d_instantiate(child, i);
		return 0;
	}
	return -ENOENT;
}

struct synth_dirent {
	char *name;
	unsigned dtype;
	uint64_t ino;
};

struct synth_dirlist {
	struct synth_dirent *v;
	size_t n, cap;
	uint64_t dir_ino;
};

int synth_dirlist_add(struct synth_dirlist *l, const char *name, unsigned dtype, uint64_t ino)
{
	if (strlen(name) > VFS_NAME_MAX || !name[0] || strchr(name, '/'))
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct synth_dirent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	char *nm = strdup(name);
	if (!nm)
		return -ENOMEM;
	if (!ino) {
		uint64_t h = l->dir_ino;
		for (const char *p = name; *p; p++)
			h = h * 131 + (unsigned char)*p;
		ino = (mix64(h) & 0xffffffffULL) | 0x100;
	}
	l->v[l->n++] = (struct synth_dirent){nm, dtype, ino};
	return 0;
}

static void dirlist_free(struct synth_dirlist *l)
{
	if (!l)
		return;
	for (size_t k = 0; k < l->n; k++)
		free(l->v[k].name);
	free(l->v);
	free(l);
}

static int synth_iterate(struct file *f, struct dir_context *ctx)
{
	struct synth_inode *si = synth_i(f->inode);
	const struct synth_entry *e = si->entry;
	struct synth_dirlist *l = f->priv;
	if (!l || ctx->pos == 0) {
		/* (Re)build the snapshot at the start of a listing. */
		dirlist_free(l);
		f->priv = NULL;
		l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		l->dir_ino = f->inode->ino;
		int err = 0;
		if (e->children)
			for (const struct synth_entry *c = e->children; c->name && !err; c++)
				err = synth_dirlist_add(l, c->name, vfs_dtype(c->mode),
							synth_ino(c, si->key0, si->key1));
		if (!err && e->dir_ops && e->dir_ops->readdir)
			err = e->dir_ops->readdir(f->inode, l);
		if (err) {
			dirlist_free(l);
			return err;
		}
		f->priv = l;
	}
	if (!dir_emit_dots(f, ctx))
		return 0;
	while (ctx->pos >= 2 && (uint64_t)(ctx->pos - 2) < l->n) {
		struct synth_dirent *d = &l->v[ctx->pos - 2];
		if (!dir_emit(ctx, d->name, strlen(d->name), d->ino, d->dtype, ctx->pos + 1))
			break;
	}
	return 0;
}

/* A directory's link count is 2 + its subdirectories, static and dynamic,
 * as Linux's procfs root (+ nr_processes) and kernfs (sysfs) report. */
static int synth_dir_getattr(struct dentry *d, struct kstat *st)
{
	struct synth_inode *si = synth_i(d->inode);
	const struct synth_entry *e = si->entry;
	uint64_t n = 2;
	generic_getattr(d->inode, st);
	if (e->children)
		for (const struct synth_entry *c = e->children; c->name; c++)
			n += S_ISDIR(c->mode);
	if (e->dir_ops && e->dir_ops->readdir) {
		struct synth_dirlist *l = calloc(1, sizeof(*l));
		if (l && e->dir_ops->readdir(d->inode, l) == 0)
			for (size_t k = 0; k < l->n; k++)
				n += l->v[k].dtype == DT_DIR;
		dirlist_free(l);
	}
	st->nlink = n;
	st->blocks = 0;
	return 0;
}

static void synth_dir_release(struct file *f)
{
	dirlist_free(f->priv);
	f->priv = NULL;
}

/* --- regular files (generated at open) ----------------------------------- */

static int synth_open(struct dentry *d, struct file *f)
{
	struct synth_inode *si = synth_i(d->inode);
	const struct synth_entry *e = si->entry;
	if (e->fops) {
		f->ops = e->fops;
		f->priv = si->priv;
		return 0;
	}
	if (!e->show) {
		f->priv = NULL;
		return 0;
	}
	struct seq_buf *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int err = e->show(d->inode, s);
	if (!err && s->overflow)
		err = -ENOMEM;
	if (err) {
		free(s->buf);
		free(s);
		return err;
	}
	f->priv = s;
	return 0;
}

static ssize_t seq_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct seq_buf *s = f->priv;
	if (!s || *pos < 0 || (uint64_t)*pos >= s->len)
		return 0;
	size_t avail = s->len - (size_t)*pos;
	if (n > avail)
		n = avail;
	memcpy(buf, s->buf + *pos, n);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static ssize_t seq_store(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	const struct synth_entry *e = synth_i(f->inode)->entry;
	if (!e->store)
		return -EINVAL;
	ssize_t r = e->store(f->inode, buf, n);
	if (r > 0)
		*pos += r;
	return r;
}

static void seq_release(struct file *f)
{
	struct seq_buf *s = f->priv;
	if (s) {
		free(s->buf);
		free(s);
	}
}

static int64_t seq_llseek(struct file *f, int64_t off, int whence)
{
	struct seq_buf *s = f->priv;
	int64_t base;
	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = s ? (int64_t)s->len : 0; break;
	default: return -EINVAL;
	}
	if (base + off < 0)
		return -EINVAL;
	f->pos = base + off;
	return f->pos;
}

const struct file_operations synth_seq_fops = {
	.read = seq_read,
	.write = seq_store,
	.llseek = seq_llseek,
	.release = seq_release,
};

static int synth_setattr(struct dentry *d, const struct iattr *ia)
{
	const struct synth_entry *e = synth_i(d->inode)->entry;
	if (ia->valid & ATTR_SIZE) {
		/* O_TRUNC on a writable generated file (echo 1 > /proc/sys/...). */
		if (!e->store && !e->fops)
			return -EPERM;
		struct iattr rest = *ia;
		rest.valid &= ~ATTR_SIZE;
		return generic_setattr(d->inode, &rest);
	}
	return generic_setattr(d->inode, ia);
}

static ssize_t synth_readlink(struct dentry *d, char *buf, size_t size)
{
	const struct synth_entry *e = synth_i(d->inode)->entry;
	if (!e->get_link)
		return -EINVAL;
	return e->get_link(d->inode, buf, size);
}

static const struct inode_operations synth_dir_iops = {
	.lookup = synth_lookup, .setattr = synth_setattr, .getattr = synth_dir_getattr};
static const struct inode_operations synth_reg_iops = {.open = synth_open,
						       .setattr = synth_setattr};
static int synth_get_path(struct dentry *d, struct path *out, struct file **filep)
{
	const struct synth_entry *e = synth_i(d->inode)->entry;
	return e->get_path(d->inode, out, filep);
}

static const struct inode_operations synth_lnk_iops = {.readlink = synth_readlink};
static const struct inode_operations synth_magic_lnk_iops = {.readlink = synth_readlink,
							     .get_path = synth_get_path};
static const struct inode_operations synth_other_iops = {.open = synth_open,
							 .setattr = synth_setattr};
static const struct file_operations synth_dir_fops = {.iterate = synth_iterate,
						      .release = synth_dir_release};
