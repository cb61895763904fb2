/*
 * Mounts: the mount table, mount crossing, mounting at boot, and the table
 * changes of mount(2)/umount2(2)/chroot(2) (vfs/mount_ops.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "util/log.h"
#include "vfs/mount_ops.h"
#include "vfs/vfs_internal.h"

pthread_rwlock_t vfs_mount_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t vfs_rename_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
struct mount *vfs_root_mount;
static struct mount *mount_list; /* newest first */

void mntget(struct mount *m)
{
	if (m)
		atomic_fetch_add(&m->refs, 1);
}

void mntput(struct mount *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	/* Mounts in the table hold their own reference; reaching zero means it
	 * was never attached or was detached. */
	dput(m->root);
	if (m->mountpoint)
		dput(m->mountpoint);
	if (m->parent)
		mntput(m->parent);
	sb_put(m->sb);
	free(m->source);
	free(m);
}

void path_get(const struct path *p)
{
	mntget(p->mnt);
	if (p->dentry)
		dget(p->dentry);
}

void path_put(struct path *p)
{
	if (p->dentry)
		dput(p->dentry);
	mntput(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

struct mount *lookup_mnt(struct mount *parent, struct dentry *d)
{
	struct mount *found = NULL;
	if (atomic_load(&d->mounted) == 0)
		return NULL;
	pthread_rwlock_rdlock(&vfs_mount_lock);
	for (struct mount *m = mount_list; m; m = m->next) {
		if (m->parent == parent && m->mountpoint == d) {
			found = m;
			mntget(m);
			break;
		}
	}
	pthread_rwlock_unlock(&vfs_mount_lock);
	return found;
}

static struct mount *mount_alloc_at(struct superblock *sb, struct dentry *root,
				    const char *source, unsigned flags)
{
	struct mount *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->source = strdup(source ? source : "none");
	if (!m->source) {
		free(m);
		return NULL;
	}
	atomic_init(&m->refs, 1); /* the table's reference */
	sb_get(sb);
	m->sb = sb;
	dget(root);
	m->root = root;
	m->flags = flags;
	return m;
}

static struct mount *mount_alloc(struct superblock *sb, const char *source, unsigned flags)
{
	return mount_alloc_at(sb, sb->root, source, flags);
}

int vfs_set_root(struct superblock *sb, const char *source)
{
	struct mount *m = mount_alloc(sb, source, 0);
	if (!m)
		return -ENOMEM;
	pthread_rwlock_wrlock(&vfs_mount_lock);
	m->next = mount_list;
	mount_list = m;
	struct mount *old = vfs_root_mount;
	vfs_root_mount = m;
	pthread_rwlock_unlock(&vfs_mount_lock);
	(void)old; /* stays in the table (tests replace roots; never freed) */
	return 0;
}

/* Attach m on the directory at p (referenced by the caller). */
static int attach_mount(struct mount *m, const struct path *p)
{
	if (!S_ISDIR(p->dentry->inode->mode))
		return -ENOTDIR;
	mntget(p->mnt);
	dget(p->dentry);
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	m->parent = p->mnt;
	m->mountpoint = p->dentry;
	atomic_fetch_add(&p->dentry->mounted, 1);
	m->next = mount_list;
	mount_list = m;
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	return 0;
}

int vfs_mount_at(const char *path, struct superblock *sb, const char *source, unsigned mnt_flags)
{
	struct path p;
	if (!vfs_root_mount)
		return -ENOENT;
	if (path[0] != '/')
		return -EINVAL;
	int err = vfs_path_lookup(NULL, -100 /* AT_FDCWD */, path, LOOKUP_FOLLOW, &p);
	if (err == -ENOENT) {
		/* Create the missing mountpoint (in the overlay upper for an
		 * overlay root): mkdir -p semantics, component by component. */
		char buf[VFS_PATH_MAX];
		size_t len = strlen(path);
		if (len >= sizeof(buf))
			return -ENAMETOOLONG;
		memcpy(buf, path, len + 1);
		for (char *s = buf + 1;; s++) {
			if (*s == '/' || *s == '\0') {
				char c = *s;
				*s = '\0';
				struct path parent;
				char last[VFS_NAME_MAX + 1];
				int lt;
				bool slash;
				err = vfs_path_parent(NULL, -100, buf, &parent, last, &lt, &slash);
				if (err == 0) {
					if (lt == LAST_NORM) {
						err = vfs_mkdir_in(parent.dentry, last, 0755, NULL);
						if (err == -EEXIST)
							err = 0;
					}
					path_put(&parent);
				}
				*s = c;
				if (err < 0 || c == '\0')
					break;
			}
		}
		if (err < 0)
			return err;
		err = vfs_path_lookup(NULL, -100, path, LOOKUP_FOLLOW, &p);
	}
	if (err < 0 && err != -ENOENT) {
		/* The lower layer refuses the name (the gofer will not walk into
		 * host /proc or /sys): shadow it with an opaque upper dir. */
		struct path parent;
		char last[VFS_NAME_MAX + 1];
		int lt;
		bool slash;
		int e2 = vfs_path_parent(NULL, -100, path, &parent, last, &lt, &slash);
		if (e2 == 0) {
			if (lt == LAST_NORM && overlay_shadow_dir(parent.dentry, last) == 0)
				err = vfs_path_lookup(NULL, -100, path, LOOKUP_FOLLOW, &p);
			path_put(&parent);
		}
	}
	if (err < 0)
		return err;
	struct mount *m = mount_alloc(sb, source, mnt_flags);
	if (!m) {
		path_put(&p);
		return -ENOMEM;
	}
	err = attach_mount(m, &p);
	path_put(&p);
	if (err < 0) {
		mntput(m);
		return err;
	}
	log_debug("vfs: mounted %s (%s) at %s", source, sb->fstype, path);
	return 0;
}

int vfs_for_each_mount(int (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg)
{
	/* Snapshot the table (oldest first, as /proc/mounts lists them). */
	pthread_rwlock_rdlock(&vfs_mount_lock);
	size_t n = 0;
	for (struct mount *m = mount_list; m; m = m->next)
		n++;
	struct mount **v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&vfs_mount_lock);
		return -ENOMEM;
	}
	size_t i = n;
	for (struct mount *m = mount_list; m; m = m->next) {
		mntget(m);
		v[--i] = m;
	}
	pthread_rwlock_unlock(&vfs_mount_lock);

	/* Paths as the caller sees them: relative to its (chroot) root, and
	 * mounts outside it are not listed, as Linux's /proc/mounts. */
	struct path root;
	task_root(task_current(), &root);
	int ret = 0;
	char *buf = malloc(VFS_PATH_MAX);
	for (i = 0; i < n; i++) {
		if (ret == 0 && buf) {
			struct path p = {v[i], v[i]->root};
			bool unreach = false;
			if (vfs_path_string(&p, &root, buf, VFS_PATH_MAX, &unreach) >= 0 && !unreach)
				ret = fn(v[i], buf, arg);
		}
		mntput(v[i]);
	}
	path_put(&root);
	free(buf);
	free(v);
	return ret;
}

/* --- mount(2), umount2(2), chroot(2) (vfs/mount_ops.h) ------------------- */

bool vfs_path_is_mountroot(const struct path *p)
{
	return p->mnt && p->dentry == p->mnt->root;
}

/* Is m in the table (not detached)? vfs_mount_lock held. */
static bool mount_attached_locked(const struct mount *m)
{
	for (struct mount *x = mount_list; x; x = x->next)
		if (x == m)
			return true;
	return false;
}

/* Link m (unattached, parent/mountpoint set and referenced) into the table
 * as its newest entry. vfs_mount_lock held for writing. */
static void link_mount_locked(struct mount *m)
{
	if (m->mountpoint)
		atomic_fetch_add(&m->mountpoint->mounted, 1);
	m->next = mount_list;
	mount_list = m;
}

/* Unlink m from the table. vfs_mount_lock held for writing. The caller drops
 * the table's reference after unlocking. */
static void unlink_mount_locked(struct mount *m)
{
	for (struct mount **pp = &mount_list; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			m->next = NULL;
			break;
		}
	}
	if (m->mountpoint)
		atomic_fetch_sub(&m->mountpoint->mounted, 1);
}

/* Directory onto directory, anything else onto a non-directory. */
static int mount_types_match(struct dentry *mountpoint, struct dentry *root)
{
	/* A removed directory cannot become a mountpoint (Linux: ENOENT). */
	if (!mountpoint->inode || !root->inode || (mountpoint->flags & D_DEAD))
		return -ENOENT;
	if (S_ISDIR(mountpoint->inode->mode) != S_ISDIR(root->inode->mode))
		return -ENOTDIR;
	return 0;
}

/* Attach the new mount m on target (both referenced by the caller). */
static int attach_at(struct mount *m, const struct path *target)
{
	int err = mount_types_match(target->dentry, m->root);
	if (err < 0)
		return err;
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	/* Not on a lazily detached tree (Linux: ENOENT, lock_mount). */
	if (!mount_attached_locked(target->mnt)) {
		pthread_rwlock_unlock(&vfs_mount_lock);
		pthread_mutex_unlock(&vfs_rename_lock);
		return -ENOENT;
	}
	mntget(target->mnt);
	dget(target->dentry);
	m->parent = target->mnt;
	m->mountpoint = target->dentry;
	link_mount_locked(m);
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	return 0;
}

int vfs_mount_new(const struct path *target, struct superblock *sb, const char *source,
		  unsigned mnt_flags)
{
	struct mount *m = mount_alloc(sb, source, mnt_flags);
	if (!m)
		return -ENOMEM;
	int err = attach_at(m, target);
	if (err < 0)
		mntput(m);
	return err;
}

/* Snapshot of the table with a reference on each mount (n in *n). The caller
 * holds vfs_rename_lock so the table does not change meanwhile. */
static struct mount **snapshot_mounts(size_t *n)
{
	pthread_rwlock_rdlock(&vfs_mount_lock);
	size_t cnt = 0;
	for (struct mount *m = mount_list; m; m = m->next)
		cnt++;
	struct mount **v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (v) {
		size_t i = 0;
		for (struct mount *m = mount_list; m; m = m->next) {
			mntget(m);
			v[i++] = m;
		}
	}
	pthread_rwlock_unlock(&vfs_mount_lock);
	*n = v ? cnt : 0;
	return v;
}

static void put_mounts(struct mount **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mntput(v[i]);
	free(v);
}

/* Mount copies (MS_REC binds, new namespaces): pairs (original, copy) in
 * breadth-first order, [0] the copy of the top. */
struct mount_copies {
	struct mount **orig, **copy;
	size_t n, cap;
};

static int copies_add(struct mount_copies *c, struct mount *orig, struct mount *copy)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct mount **o = realloc(c->orig, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		c->orig = o;
		struct mount **k = realloc(c->copy, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		c->copy = k;
		c->cap = cap;
	}
	c->orig[c->n] = orig;
	c->copy[c->n++] = copy;
	return 0;
}

/* Drop copies never linked into the table: children first (each holds a
 * reference on its parent copy). */
static void copies_free(struct mount_copies *c, bool linked)
{
	while (!linked && c->n > 0)
		mntput(c->copy[--c->n]);
	free(c->orig);
	free(c->copy);
}

/* Copy every mount below c->orig[0] (only those under the dentry filter for
 * the top, when non-NULL) into c. vfs_rename_lock held. */
static int copy_submounts(struct mount_copies *c, struct dentry *filter)
{
	size_t nsnap;
	struct mount **snap = snapshot_mounts(&nsnap);
	int err = 0;
	if (!snap)
		return -ENOMEM;
	for (size_t q = 0; q < c->n && err == 0; q++) {
		for (size_t i = 0; i < nsnap; i++) {
			struct mount *m = snap[i];
			if (m->parent != c->orig[q])
				continue;
			if (q == 0 && filter && !d_is_ancestor(filter, m->mountpoint))
				continue;
			struct mount *k =
			    mount_alloc_at(m->sb, m->root, m->source, m->flags & ~MNT_NS_ROOT);
			if (!k) {
				err = -ENOMEM;
				break;
			}
			k->parent = c->copy[q];
			mntget(c->copy[q]);
			k->mountpoint = m->mountpoint;
			dget(m->mountpoint);
			err = copies_add(c, m, k);
			if (err < 0) {
				mntput(k);
				break;
			}
		}
	}
	put_mounts(snap, nsnap);
	return err;
}

int vfs_mount_bind(const struct path *from, const struct path *target, bool rec)
{
	struct mount_copies c = {0};
	int err = mount_types_match(target->dentry, from->dentry);
	if (err < 0)
		return err;
	/* A bind mount starts with the source mount's flags (Linux's
	 * clone_mnt); MS_RDONLY etc. need a later MS_REMOUNT|MS_BIND. */
	struct mount *top = mount_alloc_at(from->mnt->sb, from->dentry, from->mnt->source,
					   from->mnt->flags & ~MNT_NS_ROOT);
	if (!top)
		return -ENOMEM;
	if ((err = copies_add(&c, from->mnt, top)) < 0) {
		mntput(top);
		goto out_free;
	}

	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_rdlock(&vfs_mount_lock);
	/* Onto a detached tree: ENOENT; from one: EINVAL (as Linux). */
	err = !mount_attached_locked(target->mnt) ? -ENOENT
	      : !mount_attached_locked(from->mnt) ? -EINVAL
						  : 0;
	pthread_rwlock_unlock(&vfs_mount_lock);
	if (err == 0 && rec)
		err = copy_submounts(&c, from->dentry);
	if (err == 0) {
		pthread_rwlock_wrlock(&vfs_mount_lock);
		top->parent = target->mnt;
		mntget(target->mnt);
		top->mountpoint = target->dentry;
		dget(target->dentry);
		/* Parents first, so /proc/mounts (oldest first) lists them first. */
		for (size_t i = 0; i < c.n; i++)
			link_mount_locked(c.copy[i]);
		pthread_rwlock_unlock(&vfs_mount_lock);
	}
	pthread_mutex_unlock(&vfs_rename_lock);
out_free:
	copies_free(&c, err == 0);
	return err;
}

int vfs_mount_reconfigure(const struct path *target, unsigned mnt_flags)
{
	if (!vfs_path_is_mountroot(target))
		return -EINVAL;
	pthread_rwlock_wrlock(&vfs_mount_lock);
	struct mount *m = target->mnt;
	m->flags = (m->flags & ~MNT_USER_SETTABLE) | (mnt_flags & MNT_USER_SETTABLE);
	pthread_rwlock_unlock(&vfs_mount_lock);
	return 0;
}

int vfs_mount_remount(const struct path *target, unsigned mnt_flags, bool sb_rdonly)
{
	if (!vfs_path_is_mountroot(target))
		return -EINVAL;
	struct superblock *sb = target->mnt->sb;
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	if (sb_rdonly)
		sb->flags |= SB_RDONLY;
	else
		sb->flags &= ~(unsigned)SB_RDONLY;
	struct mount *m = target->mnt;
	m->flags = (m->flags & ~MNT_USER_SETTABLE) | (mnt_flags & MNT_USER_SETTABLE);
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	return 0;
}

int vfs_mount_move(const struct path *from, const struct path *target)
{
	struct mount *m = from->mnt;
	if (!vfs_path_is_mountroot(from))
		return -EINVAL;
	int err = mount_types_match(target->dentry, from->dentry);
	if (err < 0)
		return err;
	struct path old = {NULL, NULL};
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	if (!mount_attached_locked(target->mnt)) {
		err = -ENOENT;
		goto out;
	}
	if (!m->parent || !mount_attached_locked(m)) {
		err = -EINVAL;
		goto out;
	}
	/* Not into itself or below itself. */
	for (struct mount *x = target->mnt; x; x = x->parent) {
		if (x == m) {
			err = -ELOOP;
			goto out;
		}
	}
	atomic_fetch_sub(&m->mountpoint->mounted, 1);
	old.mnt = m->parent;
	old.dentry = m->mountpoint;
	mntget(target->mnt);
	dget(target->dentry);
	m->parent = target->mnt;
	m->mountpoint = target->dentry;
	atomic_fetch_add(&m->mountpoint->mounted, 1);
	err = 0;
out:
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	if (old.mnt)
		path_put(&old);
	return err;
}

int vfs_umount(const struct path *target, const struct path *task_root, int flags)
{
	struct mount *m = target->mnt;
	if (!vfs_path_is_mountroot(target))
		return -EINVAL;
	bool detach = flags & VFS_UMOUNT_DETACH;
	if (m == task_root->mnt && !detach)
		return -EBUSY;

	int err = 0;
	size_t cap = 8, n = 0;
	struct path old_parent = {NULL, NULL};
	struct mount **victims = calloc(cap, sizeof(*victims));
	if (!victims)
		return -ENOMEM;
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	if (!mount_attached_locked(m)) {
		err = -EINVAL;
		goto out;
	}
	if (!m->parent) {
		err = detach ? -EINVAL : -EBUSY; /* the sandbox root */
		goto out;
	}
	/* Busy: referenced by more than the table and the caller's target.
	 * Open files, cwd/root inside and mounts below all hold references. */
	if (!detach && atomic_load(&m->refs) > 2) {
		err = -EBUSY;
		goto out;
	}
	victims[n++] = m;
	/* With MNT_DETACH, everything mounted below goes too. */
	for (size_t q = 0; q < n; q++) {
		for (struct mount *x = mount_list; x; x = x->next) {
			if (x->parent != victims[q])
				continue;
			if (n == cap) {
				struct mount **v2 = realloc(victims, cap * 2 * sizeof(*v2));
				if (!v2) {
					err = -ENOMEM;
					goto out;
				}
				victims = v2;
				cap *= 2;
			}
			victims[n++] = x;
		}
	}
	for (size_t i = 0; i < n; i++)
		unlink_mount_locked(victims[i]);
	/* The top is disconnected, so ".." inside a lazily detached tree stops
	 * at its root (the mounts below it stay attached to it, unlisted). */
	old_parent.mnt = m->parent;
	old_parent.dentry = m->mountpoint;
	m->parent = NULL;
	m->mountpoint = NULL;
out:
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	if (old_parent.mnt)
		path_put(&old_parent);
	if (err == 0) {
		/* The table's references; a detached mount still in use lives on
		 * (reachable only through those users) until they let go. */
		for (size_t i = n; i > 0; i--)
			mntput(victims[i - 1]);
	}
	free(victims);
	return err;
}

struct superblock *vfs_find_mounted_sb(const char *fstype)
{
	struct superblock *sb = NULL;
	pthread_rwlock_rdlock(&vfs_mount_lock);
	for (struct mount *m = mount_list; m; m = m->next) {
		if (m->sb && m->sb->fstype && strcmp(m->sb->fstype, fstype) == 0 &&
		    m->root == m->sb->root) {
			sb = m->sb;
			sb_get(sb);
			break;
		}
	}
	pthread_rwlock_unlock(&vfs_mount_lock);
	return sb;
}

void vfs_chroot(struct fs_context *fs, const struct path *p)
{
	struct path old;
	path_get(p);
	pthread_mutex_lock(&fs->lock);
	old = fs->root;
	fs->root = *p;
	pthread_mutex_unlock(&fs->lock);
	path_put(&old);
}

/* --- mount namespaces (unshare(CLONE_NEWNS)) ------------------------------ */

/*
 * A namespace is a copy of the caller's whole mount tree whose top has no
 * parent (and MNT_NS_ROOT). Path walks stay inside it because mounts are
 * found by parent mount (lookup_mnt), and /proc/mounts lists only what is
 * reachable from the reader's root. Nothing propagates between namespaces.
 *
 * A namespace lives while anyone holds a reference on one of its mounts
 * beyond the table's own and those of the mounts below: when none does (its
 * processes are gone), gc_namespaces unlinks and frees it.
 */

/* Mounts of the tree under top (in the table) into c.copy (as a plain list,
 * c.orig unused). vfs_mount_lock held. */
static int collect_tree_locked(struct mount *top, struct mount_copies *c)
{
	int err = copies_add(c, top, top);
	for (size_t q = 0; q < c->n && err == 0; q++)
		for (struct mount *x = mount_list; x && err == 0; x = x->next)
			if (x->parent == c->copy[q])
				err = copies_add(c, x, x);
	return err;
}

/* Unlink unused namespaces; their mounts go to *dead (table references to
 * drop after unlocking, parents first). vfs_rename_lock held. */
static void gc_namespaces_locked(struct mount_copies *dead)
{
	pthread_rwlock_wrlock(&vfs_mount_lock);
restart:
	for (struct mount *r = mount_list; r; r = r->next) {
		if (!(r->flags & MNT_NS_ROOT) || r->parent)
			continue;
		struct mount_copies tree = {0};
		bool used = collect_tree_locked(r, &tree) < 0;
		for (size_t i = 0; i < tree.n && !used; i++) {
			int children = 0;
			for (struct mount *x = mount_list; x; x = x->next)
				children += x->parent == tree.copy[i];
			used = atomic_load(&tree.copy[i]->refs) != 1 + children;
		}
		if (!used) {
			size_t start = dead->n;
			for (size_t i = 0; i < tree.n; i++)
				if (copies_add(dead, tree.copy[i], tree.copy[i]) < 0)
					break;
			for (size_t i = start; i < dead->n; i++)
				unlink_mount_locked(dead->copy[i]);
			/* The list changed: start over. */
			free(tree.orig);
			free(tree.copy);
			goto restart;
		}
		free(tree.orig);
		free(tree.copy);
	}
	pthread_rwlock_unlock(&vfs_mount_lock);
}

/* Where does p's mount go in the copy (NULL: not copied, keep p)? */
static struct mount *copy_of(const struct mount_copies *c, struct mount *m)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->orig[i] == m)
			return c->copy[i];
	return NULL;
}

int vfs_unshare_mount_ns(struct fs_context *fs)
{
	struct mount_copies c = {0}, dead = {0};
	struct path root, cwd;
	int err;

	fs_context_root(fs, &root);
	fs_context_cwd(fs, &cwd);
	pthread_mutex_lock(&vfs_rename_lock);
	gc_namespaces_locked(&dead);
	/* The top of the caller's namespace. */
	pthread_rwlock_rdlock(&vfs_mount_lock);
	struct mount *top = root.mnt;
	while (top && top->parent)
		top = top->parent;
	err = top && mount_attached_locked(top) ? 0 : -EINVAL;
	pthread_rwlock_unlock(&vfs_mount_lock);
	struct mount *ntop = NULL;
	if (err == 0) {
		ntop = mount_alloc_at(top->sb, top->root, top->source, top->flags | MNT_NS_ROOT);
		err = ntop ? copies_add(&c, top, ntop) : -ENOMEM;
		if (err < 0 && ntop)
			mntput(ntop);
	}
	if (err == 0)
		err = copy_submounts(&c, NULL);
	if (err == 0) {
		pthread_rwlock_wrlock(&vfs_mount_lock);
		for (size_t i = 0; i < c.n; i++)
			link_mount_locked(c.copy[i]);
		pthread_rwlock_unlock(&vfs_mount_lock);
	}
	pthread_mutex_unlock(&vfs_rename_lock);

	if (err == 0) {
		/* Root and cwd move to their copies (unchanged if they are on a
		 * mount that was not copied, e.g. a detached one). */
		struct path nroot = root, ncwd = cwd;
		struct mount *k;
		if ((k = copy_of(&c, root.mnt)) != NULL)
			nroot.mnt = k;
		if ((k = copy_of(&c, cwd.mnt)) != NULL)
			ncwd.mnt = k;
		path_get(&nroot);
		path_get(&ncwd);
		pthread_mutex_lock(&fs->lock);
		struct path oroot = fs->root, ocwd = fs->cwd;
		fs->root = nroot;
		fs->cwd = ncwd;
		pthread_mutex_unlock(&fs->lock);
		path_put(&oroot);
		path_put(&ocwd);
	}
	copies_free(&c, err == 0);
	path_put(&root);
	path_put(&cwd);
	/* The dead namespaces' table references: children first. */
	for (size_t i = dead.n; i > 0; i--)
		mntput(dead.copy[i - 1]);
	free(dead.orig);
	free(dead.copy);
	return err;
}

bool d_mountpoint_local(struct dentry *d)
{
	if (atomic_load(&d->mounted) == 0)
		return false;
	struct path root;
	task_root(task_current(), &root);
	bool found = false;
	pthread_rwlock_rdlock(&vfs_mount_lock);
	struct mount *top = root.mnt;
	while (top && top->parent)
		top = top->parent;
	for (struct mount *m = mount_list; m && !found; m = m->next) {
		if (m->mountpoint != d)
			continue;
		struct mount *x = m;
		while (x->parent)
			x = x->parent;
		found = !top || x == top;
	}
	pthread_rwlock_unlock(&vfs_mount_lock);
	path_put(&root); /* the fs context still holds the root: never the last */
	return found;
}
