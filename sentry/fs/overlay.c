/*
 * overlay: a read-only lower layer (the gofer root, or any fs in tests) under
 * a tmpfs upper. Each overlay inode refers to its upper and/or lower dentry
 * (ordinary dentries of those filesystems). Reads go to the upper if present,
 * else the lower. Writes, truncation and attribute changes copy the file up
 * first (parents first); unlink/rmdir/rename of lower entries leave
 * whiteouts (char device 0:0 in the upper, as Linux overlayfs); a directory
 * created over a whiteout is opaque (I_OVL_OPAQUE on the upper inode).
 * readdir merges upper (minus whiteouts) and lower (minus names in upper).
 * Renaming a directory that has a lower part gives EXDEV (Linux's default
 * without redirect_dir; mv falls back to copying).
 *
 * Locking: overlay dentry locks (held by the VFS) come before ovl_copyup_lock
 * (recursive; serializes copy-up), which comes before the underlying
 * filesystems' dentry locks (taken inside vfs_*_in). node->upper is set once
 * (NULL -> dentry) and read atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "abi/linux_stat.h"
#include "kernel/task.h"
#include "vfs/vfs_impl.h"
#include "fs/overlay_impl.h"

struct ovl_node {
	_Atomic(struct dentry *) upper;
	struct dentry *lower;
	/* merged directories: subdirectories added (+) or removed (-) in the
	 * merged view since the lower's nlink, which st_nlink reports */
	atomic_long nlink_delta;
};

static pthread_mutex_t ovl_copyup_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int copy_attrs(struct dentry *from, struct dentry *to);
static const struct inode_operations ovl_iops;
static const struct file_operations ovl_file_fops, ovl_dir_fops;

static struct ovl_node *ON(struct inode *i)
{
	return i->priv;
}

struct dentry *ovl_upper(struct inode *i)
{
	return atomic_load(&ON(i)->upper);
}

static struct dentry *ovl_real(struct inode *i)
{
	struct dentry *u = ovl_upper(i);
	return u ? u : ON(i)->lower;
}

static bool is_whiteout(struct inode *i)
{
	return S_ISCHR(i->mode) && i->rdev == 0;
}

static void ovl_evict(struct inode *i)
{
	struct ovl_node *n = ON(i);
	if (!n)
		return;
	if (atomic_load(&n->upper))
		dput(atomic_load(&n->upper));
	if (n->lower)
		dput(n->lower);
	free(n);
}

static int ovl_statfs(struct superblock *sb, struct kstatfs *st)
{
	struct dentry *u = ovl_upper(sb->root->inode);
	int err = -ENOSYS;
	if (u->sb->ops && u->sb->ops->statfs)
		err = u->sb->ops->statfs(u->sb, st);
	st->type = LINUX_OVERLAYFS_MAGIC;
	return err;
}

/* The overlay keeps its layers' superblocks alive (their dentries point at
 * them without references). */
struct ovl_sb {
	struct superblock *lower, *upper;
};

static void ovl_put_super(struct superblock *sb)
{
	struct ovl_sb *os = sb->priv;
	if (!os)
		return;
	sb_put(os->lower);
	sb_put(os->upper);
	free(os);
}

static const struct super_operations ovl_sops = {
	.statfs = ovl_statfs, .evict_inode = ovl_evict, .put_super = ovl_put_super};

/* The VFS checks ownership and mode bits on the overlay inode itself
 * (sticky directories, chown/chmod/utimes ownership, setgid directories,
 * O_NOATIME): mirror them from the real inode whenever they may change. */
static void ovl_sync_attrs(struct inode *i)
{
	struct inode *r = ovl_real(i)->inode;
	pthread_mutex_lock(&r->lock);
	uint32_t mode = r->mode, uid = r->uid, gid = r->gid;
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_lock(&i->lock);
	i->mode = mode;
	i->uid = uid;
	i->gid = gid;
	pthread_mutex_unlock(&i->lock);
}

/* Takes the references on u and l. */
struct inode *ovl_inode_new(struct superblock *sb, struct dentry *u, struct dentry *l)
{
	struct dentry *real = u ? u : l;
	struct inode *i = inode_new(sb, real->inode->mode);
	struct ovl_node *n = calloc(1, sizeof(*n));
	if (!i || !n) {
		free(n);
		inode_put(i);
		return NULL;
	}
	atomic_init(&n->upper, u);
	n->lower = l;
	i->priv = n;
	i->ino = (l ? l : u)->inode->ino; /* stable across copy-up */
	i->iops = &ovl_iops;
	if (S_ISREG(i->mode))
		i->fops = &ovl_file_fops;
	else if (S_ISDIR(i->mode))
		i->fops = &ovl_dir_fops;
	ovl_sync_attrs(i);
	return i;
}

struct superblock *overlay_new(struct dentry *lower_root, struct dentry *upper_root)
{
	struct superblock *sb = sb_alloc("overlay", LINUX_OVERLAYFS_MAGIC, 0, &ovl_sops);
	if (!sb)
		return NULL;
	struct ovl_sb *os = calloc(1, sizeof(*os));
	if (!os) {
		sb_put(sb);
		return NULL;
	}
	sb_get(lower_root->sb);
	sb_get(upper_root->sb);
	os->lower = lower_root->sb;
	os->upper = upper_root->sb;
	sb->priv = os;
	dget(lower_root);
	dget(upper_root);
	struct inode *root = ovl_inode_new(sb, upper_root, lower_root);
	if (!root) {
		dput(lower_root);
		dput(upper_root);
		sb_put(sb);
		return NULL;
	}
	if (sb_set_root(sb, root) < 0) {
		sb_put(sb);
		return NULL;
	}
	/* The root shows the lower root's owner, mode and times. */
	copy_attrs(lower_root, upper_root);
	return sb;
}

/* --- copy-up ------------------------------------------------------------ */

static int copy_data(struct dentry *from, struct dentry *to)
{
	struct file *in = NULL, *out = NULL;
	int err = vfs_open_d(NULL, from, O_RDONLY, &in);
	if (err)
		return err;
	err = vfs_open_d(NULL, to, O_WRONLY, &out);
	if (err) {
		file_put(in);
		return err;
	}
	char *buf = malloc(65536);
	int64_t off = 0;
	if (!buf)
		err = -ENOMEM;
	while (!err) {
		ssize_t n = file_pread(in, buf, 65536, (uint64_t)off);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = vfs_pwrite(out, buf + done, (size_t)(n - done), off + done);
			if (w <= 0) {
				err = w < 0 ? (int)w : -EIO;
				break;
			}
			done += w;
		}
		off += n;
	}
	free(buf);
	file_put(in);
	file_put(out);
	return err;
}

/* An upper directory's atime/mtime, kept across changes that do not
 * change the merged view (copy-up of a child, hiding a mountpoint), as
 * Linux's copy-up restores the parent's times. */
struct dir_times {
	struct timespec atime, mtime;
	bool ok;
};

static void times_save(struct dentry *u, struct dir_times *t)
{
	struct kstat st;
	t->ok = vfs_getattr_d(u, &st) == 0;
	t->atime = st.atime;
	t->mtime = st.mtime;
}

static void times_restore(struct dentry *u, const struct dir_times *t)
{
	struct iattr ia = {.valid = ATTR_ATIME | ATTR_MTIME, .atime = t->atime, .mtime = t->mtime};
	if (t->ok)
		vfs_setattr_d(u, &ia);
}

static void nlink_add(struct dentry *dir, long n)
{
	atomic_fetch_add(&ON(dir->inode)->nlink_delta, n);
}

static int copy_attrs(struct dentry *from, struct dentry *to)
{
	struct kstat st;
	int err = vfs_getattr_d(from, &st);
	if (err)
		return err;
	struct iattr ia = {.valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
			   .mode = st.mode, .uid = st.uid, .gid = st.gid,
			   .atime = st.atime, .mtime = st.mtime};
	if (S_ISLNK(st.mode))
		ia.valid &= ~ATTR_MODE;
	return vfs_setattr_d(to, &ia);
}

/* Make sure d (an overlay dentry) has an upper; parents first. */
int ovl_copy_up(struct dentry *d)
{
	struct inode *i = d->inode;
	if (ovl_upper(i))
		return 0;
	struct dentry *parent = dget_parent(d);
	if (!parent)
		return -EIO; /* the root always has an upper */
	int err = ovl_copy_up(parent);
	if (err) {
		dput(parent);
		return err;
	}
	pthread_mutex_lock(&ovl_copyup_lock);
	if (ovl_upper(i))
		goto out;
	struct dentry *pu = ovl_upper(parent->inode), *l = ON(i)->lower, *u = NULL;
	char name[VFS_NAME_MAX + 1];
	d_name_copy(d, name);
	uint32_t mode = l->inode->mode;
	struct dir_times pt;
	times_save(pu, &pt);
	switch (mode & S_IFMT) {
	case S_IFDIR:
		err = vfs_mkdir_in(pu, name, mode & 07777, &u);
		break;
	case S_IFREG:
		err = vfs_create_in(pu, name, 0600, &u);
		if (!err)
			err = copy_data(l, u);
		break;
	case S_IFLNK: {
		char *target = malloc(VFS_PATH_MAX + 1);
		ssize_t n = target ? vfs_readlink_d(l, target, VFS_PATH_MAX) : -ENOMEM;
		if (n >= 0) {
			target[n] = '\0';
			err = vfs_symlink_in(pu, name, target, &u);
		} else {
			err = (int)n;
		}
		free(target);
		break;
	}
	default:
		err = vfs_mknod_in(pu, name, mode, l->inode->rdev, &u);
		break;
	}
	if (!err)
		err = copy_attrs(l, u);
	if (err) {
		if (u) {
			vfs_unlink_in(pu, name, S_ISDIR(mode));
			dput(u);
		}
		goto out;
	}
	atomic_store(&ON(i)->upper, u);
	times_restore(pu, &pt);
out:
	pthread_mutex_unlock(&ovl_copyup_lock);
	dput(parent);
	return err;
}

/* --- lookup and name operations ------------------------------------------ */

static int ovl_lookup(struct dentry *dir, struct dentry *child)
{
	struct dentry *ud = ovl_upper(dir->inode), *ld = ON(dir->inode)->lower;
	struct dentry *u = NULL, *l = NULL;
	int err = 0;
	if (ud) {
		u = vfs_lookup_one(ud, child->name, &err);
		if (!u && err != -ENOENT)
			return err;
		if (u && is_whiteout(u->inode)) {
			dput(u);
			return -ENOENT;
		}
	}
	bool want_lower = !u || (S_ISDIR(u->inode->mode) &&
				 !(atomic_load(&u->inode->iflags) & I_OVL_OPAQUE));
	if (ld && want_lower && !(ud && (atomic_load(&ud->inode->iflags) & I_OVL_OPAQUE))) {
		l = vfs_lookup_one(ld, child->name, &err);
		if (!l && err != -ENOENT && err != -ENOTDIR) {
			if (u)
				dput(u);
			return err;
		}
		if (l && u && !S_ISDIR(l->inode->mode)) {
			dput(l);
			l = NULL;
		}
	}
	if (!u && !l)
		return -ENOENT;
	struct inode *i = ovl_inode_new(dir->sb, u, l);
	if (!i) {
		if (u)
			dput(u);
		if (l)
			dput(l);
		return -ENOMEM;
	}
	d_instantiate(child, i);
	return 0;
}

/* If name in the upper dir pu is a whiteout, remove it; returns 1 if it was. */
static int drop_whiteout(struct dentry *pu, const char *name)
{
	int err;
	struct dentry *w = vfs_lookup_one(pu, name, &err);
	if (!w)
		return 0;
	bool wo = is_whiteout(w->inode);
	dput(w);
	if (!wo)
		return 0;
	err = vfs_unlink_in(pu, name, false);
	return err ? err : 1;
}

/* The creator owns a new entry; in a setgid directory the group (and, for
 * directories, the bit) the upper fs inherited from pu stays. */
static void set_owner(struct dentry *pu, struct dentry *u, struct task *t)
{
	if (!t)
		return;
	struct iattr ia = {.valid = ATTR_UID | ATTR_GID, .uid = t->creds.fsuid,
			   .gid = t->creds.fsgid};
	if (pu->inode->mode & S_ISGID)
		ia.valid &= ~(unsigned)ATTR_GID;
	vfs_setattr_d(u, &ia);
}

static int ovl_mk(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		  const char *target, struct task *t)
{
	int err = ovl_copy_up(dir);
	if (err)
		return err;
	struct dentry *pu = ovl_upper(dir->inode), *u = NULL;
	int wo = drop_whiteout(pu, child->name);
	if (wo < 0)
		return wo;
	switch (mode & S_IFMT) {
	case S_IFDIR: err = vfs_mkdir_in(pu, child->name, mode & 07777, &u); break;
	case S_IFREG: err = vfs_create_in(pu, child->name, mode & 07777, &u); break;
	case S_IFLNK: err = vfs_symlink_in(pu, child->name, target, &u); break;
	default: err = vfs_mknod_in(pu, child->name, mode, rdev, &u); break;
	}
	if (err)
		return err;
	set_owner(pu, u, t);
	if (S_ISDIR(mode) && wo)
		atomic_fetch_or(&u->inode->iflags, I_OVL_OPAQUE);
	if (S_ISDIR(mode))
		nlink_add(dir, 1);
	struct inode *i = ovl_inode_new(dir->sb, u, NULL);
	if (!i) {
		vfs_unlink_in(pu, child->name, S_ISDIR(mode));
		dput(u);
		return -ENOMEM;
	}
	d_instantiate(child, i);
	return 0;
}

static int ovl_create(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	return ovl_mk(dir, child, mode, 0, NULL, t);
}

static int ovl_mknod(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		     struct task *t)
{
	if (S_ISCHR(mode) && rdev == 0)
		return -EPERM; /* would read back as a whiteout */
	return ovl_mk(dir, child, mode, rdev, NULL, t);
}

static int ovl_symlink(struct dentry *dir, struct dentry *child, const char *target,
		       struct task *t)
{
	return ovl_mk(dir, child, S_IFLNK | 0777, 0, target, t);
}

static int ovl_link(struct dentry *old, struct dentry *dir, struct dentry *child)
{
	int err = ovl_copy_up(old);
	if (!err)
		err = ovl_copy_up(dir);
	if (err)
		return err;
	struct dentry *pu = ovl_upper(dir->inode);
	int wo = drop_whiteout(pu, child->name);
	if (wo < 0)
		return wo;
	err = vfs_link_in(ovl_upper(old->inode), pu, child->name);
	if (err)
		return err;
	struct dentry *u = vfs_lookup_one(pu, child->name, &err);
	if (!u)
		return err;
	struct inode *i = ovl_inode_new(dir->sb, u, NULL);
	if (!i) {
		dput(u);
		return -ENOMEM;
	}
	d_instantiate(child, i);
	if (old->inode->nlink == 0) /* an O_TMPFILE file has its first name */
		old->inode->nlink = 1;
	return 0;
}

struct name_set {
	char **v;
	size_t n, cap;
	bool err;
};

static bool set_has(struct name_set *s, const char *name)
{
	for (size_t k = 0; k < s->n; k++)
		if (strcmp(s->v[k], name) == 0)
			return true;
	return false;
}

static void set_add(struct name_set *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->err = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(name)))
		s->err = true;
	else
		s->n++;
}

static void set_free(struct name_set *s)
{
	for (size_t k = 0; k < s->n; k++)
		free(s->v[k]);
	free(s->v);
}

struct list_ctx {
	struct dir_context ctx;
	struct name_set names;
	struct name_set types; /* parallel: one-char strings with the dtype */
};

static bool list_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
		       unsigned dtype, int64_t next)
{
	struct list_ctx *lc = (struct list_ctx *)ctx;
	char nm[VFS_NAME_MAX + 1];
	if (len > VFS_NAME_MAX)
		return true;
	memcpy(nm, name, len);
	nm[len] = '\0';
	if (!strcmp(nm, ".") || !strcmp(nm, ".."))
		return true;
	set_add(&lc->names, nm);
	char t[2] = {(char)(dtype ? dtype : DT_UNKNOWN), 0};
	set_add(&lc->types, t);
	return true;
}

/* All names of a real directory (without . and ..). */
static int list_real(struct dentry *d, struct list_ctx *lc)
{
	struct file *f;
	memset(lc, 0, sizeof(*lc));
	lc->ctx.actor = list_actor;
	int err = vfs_open_d(NULL, d, O_RDONLY | O_DIRECTORY, &f);
	if (err)
		return err;
	for (;;) {
		int64_t before = f->pos;
		err = vfs_getdents(f, &lc->ctx);
		if (err || f->pos == before || lc->names.err)
			break;
	}
	file_put(f);
	if (!err && lc->names.err)
		err = -ENOMEM;
	return err;
}

static void list_free(struct list_ctx *lc)
{
	set_free(&lc->names);
	set_free(&lc->types);
}

/* The merged listing of an overlay dir d: names (visible) in out. */
static int merged_names(struct inode *di, struct name_set *out, struct name_set *types)
{
	struct dentry *u = ovl_upper(di), *l = ON(di)->lower;
	struct name_set hidden = {0};
	struct list_ctx lc;
	int err = 0;
	if (u) {
		err = list_real(u, &lc);
		if (err)
			return err;
		for (size_t k = 0; k < lc.names.n; k++) {
			bool wo = false;
			if (lc.types.v[k][0] == DT_CHR || lc.types.v[k][0] == DT_UNKNOWN) {
				int e;
				struct dentry *c = vfs_lookup_one(u, lc.names.v[k], &e);
				wo = c && is_whiteout(c->inode);
				if (c)
					dput(c);
			}
			set_add(&hidden, lc.names.v[k]);
			if (!wo) {
				set_add(out, lc.names.v[k]);
				if (types)
					set_add(types, lc.types.v[k]);
			}
		}
		list_free(&lc);
	}
	if (l && !(u && (atomic_load(&u->inode->iflags) & I_OVL_OPAQUE))) {
		err = list_real(l, &lc);
		if (err == 0) {
			for (size_t k = 0; k < lc.names.n; k++) {
				if (set_has(&hidden, lc.names.v[k]))
					continue;
				set_add(out, lc.names.v[k]);
				if (types)
					set_add(types, lc.types.v[k]);
			}
			list_free(&lc);
		}
	}
	set_free(&hidden);
	if (!err && (out->err || (types && types->err)))
		err = -ENOMEM;
	return err;
}

static int ovl_check_empty(struct dentry *d)
{
	struct name_set names = {0};
	int err = merged_names(d->inode, &names, NULL);
	if (!err && names.n)
		err = -ENOTEMPTY;
	set_free(&names);
	return err;
}

/* Remove the whiteouts inside an upper dir so it can be rmdir'd. */
static int clear_whiteouts(struct dentry *u)
{
	struct list_ctx lc;
	int err = list_real(u, &lc);
	if (err)
		return err;
	for (size_t k = 0; k < lc.names.n && !err; k++)
		if (drop_whiteout(u, lc.names.v[k]) < 0)
			err = -EIO;
	list_free(&lc);
	return err;
}

/* Whether the merged directory dir (an overlay dentry) still sees name in
 * its lower layer, so removing or moving the entry away needs a whiteout.
 * Asked of the lower itself: after a rename an overlay inode's own lower
 * belongs to its old name. */
static bool lower_has(struct dentry *dir, const char *name)
{
	struct dentry *ld = ON(dir->inode)->lower, *ud = ovl_upper(dir->inode);
	if (!ld || (ud && (atomic_load(&ud->inode->iflags) & I_OVL_OPAQUE)))
		return false;
	int err;
	struct dentry *l = vfs_lookup_one(ld, name, &err);
	if (l)
		dput(l);
	return l != NULL;
}

static int ovl_remove(struct dentry *dir, struct dentry *child, bool isdir)
{
	int err;
	if (isdir && (err = ovl_check_empty(child)))
		return err;
	if ((err = ovl_copy_up(dir)))
		return err;
	struct dentry *pu = ovl_upper(dir->inode), *cu = ovl_upper(child->inode);
	if (cu) {
		if (isdir && (err = clear_whiteouts(cu)))
			return err;
		err = vfs_unlink_in(pu, child->name, isdir);
		if (err)
			return err;
	}
	if (lower_has(dir, child->name))
		err = vfs_mknod_in(pu, child->name, S_IFCHR | 0, 0, NULL);
	if (!err && isdir)
		nlink_add(dir, -1);
	return err;
}

static int ovl_unlink(struct dentry *dir, struct dentry *child)
{
	return ovl_remove(dir, child, false);
}

static int ovl_rmdir(struct dentry *dir, struct dentry *child)
{
	return ovl_remove(dir, child, true);
}

/* A directory moved by rename is upper-only (EXDEV otherwise): make it
 * opaque so whatever the lower has at its new name never merges in. */
static void mark_moved_dir(struct inode *i)
{
	struct dentry *u = ovl_upper(i);
	if (S_ISDIR(i->mode) && u)
		atomic_fetch_or(&u->inode->iflags, I_OVL_OPAQUE);
}

/* RENAME_EXCHANGE: both entries are copied up and swapped in the upper;
 * both names stay occupied, so no whiteouts. */
static int ovl_exchange(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			struct dentry *new_)
{
	int err;
	if ((S_ISDIR(old->inode->mode) && ON(old->inode)->lower) ||
	    (S_ISDIR(new_->inode->mode) && ON(new_->inode)->lower))
		return -EXDEV;
	if ((err = ovl_copy_up(old)) || (err = ovl_copy_up(new_)))
		return err;
	char oldname[VFS_NAME_MAX + 1], newname[VFS_NAME_MAX + 1];
	d_name_copy(old, oldname);
	d_name_copy(new_, newname);
	err = vfs_rename_in(ovl_upper(olddir->inode), oldname, ovl_upper(newdir->inode), newname,
			    LINUX_RENAME_EXCHANGE);
	if (err)
		return err;
	mark_moved_dir(old->inode);
	mark_moved_dir(new_->inode);
	if (olddir != newdir) {
		long d = (long)S_ISDIR(old->inode->mode) - (long)S_ISDIR(new_->inode->mode);
		nlink_add(olddir, -d);
		nlink_add(newdir, d);
	}
	return 0;
}

static int ovl_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      struct dentry *new_, unsigned flags)
{
	int err;
	bool isdir = S_ISDIR(old->inode->mode);
	if (flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & LINUX_RENAME_EXCHANGE)
		return new_->inode ? ovl_exchange(olddir, old, newdir, new_) : -ENOENT;
	if (isdir && ON(old->inode)->lower)
		return -EXDEV;
	if (new_->inode && S_ISDIR(new_->inode->mode) && (err = ovl_check_empty(new_)))
		return err;
	if ((err = ovl_copy_up(old)) || (err = ovl_copy_up(newdir)))
		return err;
	struct dentry *opu = ovl_upper(olddir->inode), *npu = ovl_upper(newdir->inode);
	char oldname[VFS_NAME_MAX + 1];
	d_name_copy(old, oldname);
	bool old_had_lower = lower_has(olddir, oldname);
	int wo = drop_whiteout(npu, new_->name);
	if (wo < 0)
		return wo;
	if (new_->inode && ovl_upper(new_->inode) && S_ISDIR(new_->inode->mode) &&
	    (err = clear_whiteouts(ovl_upper(new_->inode))))
		return err;
	bool replaces_dir = new_->inode && S_ISDIR(new_->inode->mode);
	/* A target only in the lower: the upper rename creates the name, and
	 * the renamed entry itself hides the lower one. */
	err = vfs_rename_in(opu, oldname, npu, new_->name, flags);
	if (err)
		return err;
	if (isdir) {
		mark_moved_dir(old->inode);
		nlink_add(olddir, -1);
		nlink_add(newdir, replaces_dir ? 0 : 1);
	}
	if (old_had_lower)
		err = vfs_mknod_in(opu, oldname, S_IFCHR | 0, 0, NULL);
	return err;
}

/* Create name in dir's upper as an opaque directory that hides whatever the
 * lower has there, even a name the lower refuses to look up (the gofer
 * refuses host /proc and /sys): used for mountpoints at boot. */
int overlay_shadow_dir(struct dentry *dir, const char *name)
{
	if (strcmp(dir->sb->fstype, "overlay") != 0)
		return -EINVAL;
	pthread_mutex_lock(&dir->lock);
	int err = ovl_copy_up(dir);
	struct dentry *u = NULL;
	if (!err) {
		/* The lower has the name (it refuses the walk into it): the
		 * merged view keeps a directory there, and the parent's times. */
		struct dentry *pu = ovl_upper(dir->inode);
		struct dir_times pt;
		times_save(pu, &pt);
		err = vfs_mkdir_in(pu, name, 0755, &u);
		if (err == -EEXIST)
			u = vfs_lookup_one(pu, name, &err);
		else if (!err)
			times_restore(pu, &pt);
	}
	if (u) {
		if (S_ISDIR(u->inode->mode))
			atomic_fetch_or(&u->inode->iflags, I_OVL_OPAQUE);
		else
			err = -ENOTDIR;
		dput(u);
	}
	pthread_mutex_unlock(&dir->lock);
	return err;
}

/* --- attributes ---------------------------------------------------------- */

/*
 * Attributes are the real (upper, else lower) inode's. A merged directory
 * (upper and lower) looks like the lower directory it was copied up from:
 * the upper has the lower's owner, mode and times (copy-up copies them and
 * keeps them across copy-ups of children), the size and blocks are the
 * lower's, and the link count is the lower's adjusted by the subdirectories
 * created or removed in the merged view. (Linux's overlayfs reports nlink 1
 * for merged directories; showing the host's count keeps `ls -la` equal to
 * the native one.)
 */
static int ovl_getattr(struct dentry *d, struct kstat *st)
{
	struct dentry *u = ovl_upper(d->inode), *l = ON(d->inode)->lower;
	int err = vfs_getattr_d(u ? u : l, st);
	if (!err && u && l && S_ISDIR(st->mode) && S_ISDIR(l->inode->mode) &&
	    !(atomic_load(&u->inode->iflags) & I_OVL_OPAQUE)) {
		struct kstat ls;
		if (vfs_getattr_d(l, &ls) == 0) {
			long n = (long)ls.nlink + atomic_load(&ON(d->inode)->nlink_delta);
			st->nlink = n > 1 ? (uint64_t)n : 1;
			st->size = ls.size;
			st->blocks = ls.blocks;
			st->blksize = ls.blksize;
		}
	}
	st->dev = d->sb->dev;
	st->ino = d->inode->ino;
	return err;
}

static int ovl_setattr(struct dentry *d, const struct iattr *ia)
{
	int err = ovl_copy_up(d);
	if (err)
		return err;
	err = vfs_setattr_d(ovl_upper(d->inode), ia);
	ovl_sync_attrs(d->inode);
	return err;
}

static ssize_t ovl_readlink(struct dentry *d, char *buf, size_t size)
{
	return vfs_readlink_d(ovl_real(d->inode), buf, size);
}

static int ovl_permission(struct inode *i, int mask, struct task *t)
{
	/* Check against the real inode's owner and mode. */
	struct dentry *r = ovl_real(i);
	return inode_permission(r->inode, mask, t);
}

/* --- files --------------------------------------------------------------- */

struct ovl_dirlist {
	struct name_set names, types;
};

static int ovl_open(struct dentry *d, struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	if (S_ISDIR(d->inode->mode)) {
		f->priv = NULL;
		return 0;
	}
	if (S_ISREG(d->inode->mode) && acc != O_RDONLY) {
		int err = ovl_copy_up(d);
		if (err)
			return err;
	}
	struct file *real;
	int err = vfs_open_d(NULL, ovl_real(d->inode), f->flags, &real);
	if (err)
		return err;
	f->priv = real;
	if (!S_ISREG(d->inode->mode))
		f->ops = &ovl_file_fops; /* delegate to the real file */
	return 0;
}

static ssize_t ovl_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct file *real = f->priv;
	return real->ops->read(real, buf, n, pos);
}

static ssize_t ovl_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct file *real = f->priv;
	if (!real->ops->write)
		return -EINVAL;
	ssize_t r = real->ops->write(real, buf, n, pos);
	ovl_sync_attrs(f->inode); /* a write may have cleared set-ID bits */
	return r;
}

static int64_t ovl_llseek(struct file *f, int64_t off, int whence)
{
	struct file *real = f->priv;
	real->pos = f->pos;
	int64_t r = real->ops && real->ops->llseek ? real->ops->llseek(real, off, whence)
						   : generic_llseek(real, off, whence);
	if (r >= 0)
		f->pos = r;
	return r;
}

static int ovl_fsync(struct file *f, bool datasync)
{
	struct file *real = f->priv;
	return real && real->ops && real->ops->fsync ? real->ops->fsync(real, datasync) : 0;
}

static int ovl_host_fd(struct file *f)
{
	struct file *real = f->priv;
	return real ? file_host_fd(real) : -1;
}

static int ovl_setfl(struct file *f, int newflags)
{
	struct file *real = f->priv;
	pthread_mutex_lock(&real->flags_lock);
	real->flags = newflags;
	pthread_mutex_unlock(&real->flags_lock);
	return 0;
}

static void ovl_release(struct file *f)
{
	if (f->priv)
		file_put(f->priv);
}

static int ovl_iterate(struct file *f, struct dir_context *ctx)
{
	struct ovl_dirlist *l = f->priv;
	if (!l || ctx->pos == 0) {
		if (l) {
			set_free(&l->names);
			set_free(&l->types);
			free(l);
		}
		f->priv = l = calloc(1, sizeof(*l));
		if (!l)
			return -ENOMEM;
		int err = merged_names(f->inode, &l->names, &l->types);
		if (err)
			return err;
	}
	if (!dir_emit_dots(f, ctx))
		return 0;
	while (ctx->pos >= 2 && (size_t)(ctx->pos - 2) < l->names.n) {
		size_t k = (size_t)(ctx->pos - 2);
		/* Inode numbers: those of the entry's real inode are not known
		 * without a lookup; hash the name (stat gives the real one). */
		uint64_t ino = 0x100;
		for (const char *p = l->names.v[k]; *p; p++)
			ino = ino * 131 + (unsigned char)*p;
		if (!dir_emit(ctx, l->names.v[k], strlen(l->names.v[k]), ino & 0x7fffffffffffULL,
			      (unsigned char)l->types.v[k][0], ctx->pos + 1))
			break;
	}
	return 0;
}

static void ovl_dir_release(struct file *f)
{
	struct ovl_dirlist *l = f->priv;
	if (l) {
		set_free(&l->names);
		set_free(&l->types);
		free(l);
	}
}

static int64_t ovl_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_SET && off >= 0)
		return f->pos = off;
	if (whence == SEEK_CUR && f->pos + off >= 0)
		return f->pos += off;
	return -EINVAL;
}

static const struct inode_operations ovl_iops = {
	.lookup = ovl_lookup,
	.create = ovl_create,
	.mkdir = ovl_create,
	.mknod = ovl_mknod,
	.symlink = ovl_symlink,
	.link = ovl_link,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.readlink = ovl_readlink,
	.getattr = ovl_getattr,
	.setattr = ovl_setattr,
	.open = ovl_open,
	.permission = ovl_permission,
	.tmpfile = ovl_tmpfile,
};

static const struct file_operations ovl_file_fops = {
	.read = ovl_read,
	.write = ovl_write,
	.llseek = ovl_llseek,
	.fsync = ovl_fsync,
	.host_fd = ovl_host_fd,
	.setfl = ovl_setfl,
	.release = ovl_release,
};

static const struct file_operations ovl_dir_fops = {
	.iterate = ovl_iterate,
	.llseek = ovl_dir_llseek,
	.release = ovl_dir_release,
};
