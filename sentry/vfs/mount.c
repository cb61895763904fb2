/*
 * Mounts: the mount table, mount crossing, mounting at boot, and the table
 * changes of mount(2)/umount2(2)/chroot(2) (vfs/mount_ops.h). Namespaces
 * are in vfs/mount_ns.c, propagation in vfs/mount_prop.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "util/log.h"
#include "vfs/mount_internal.h"
#include "vfs/vfs_internal.h"

pthread_rwlock_t vfs_mount_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t vfs_rename_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
struct mount *vfs_root_mount;
struct mount *mount_list; /* newest first */
static atomic_int next_mount_id = 21; /* Linux's first ids are small too */
static atomic_int next_group_id = 1;

int mount_new_group_id(void)
{
	return atomic_fetch_add(&next_group_id, 1);
}

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

struct mount *mount_alloc_at(struct superblock *sb, struct dentry *root, const char *source,
			     unsigned flags)
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
	m->id = atomic_fetch_add(&next_mount_id, 1);
	return m;
}

static struct mount *mount_alloc(struct superblock *sb, const char *source, unsigned flags)
{
	return mount_alloc_at(sb, sb->root, source, flags);
}

int vfs_set_root(struct superblock *sb, const char *source)
{
	struct mount *m = mount_alloc(sb, source, MNT_RELATIME);
	if (!m)
		return -ENOMEM;
	pthread_rwlock_wrlock(&vfs_mount_lock);
	m->next = mount_list;
	mount_list = m;
	m->ns = &vfs_init_mnt_ns;
	vfs_init_mnt_ns.root = m;
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
	link_mount_locked(m);
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
	struct mount *m = mount_alloc(sb, source, mnt_flags | MNT_RELATIME);
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

int vfs_for_each_mount_fs(struct fs_context *fs,
			  int (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg)
{
	struct path root;
	fs_context_root(fs, &root);
	pthread_mutex_lock(&fs->lock);
	struct mnt_namespace *ns = fs->mnt_ns ? fs->mnt_ns : &vfs_init_mnt_ns;
	pthread_mutex_unlock(&fs->lock);

	/* Snapshot the namespace's mounts (oldest first, as /proc/mounts). */
	pthread_rwlock_rdlock(&vfs_mount_lock);
	size_t n = 0;
	for (struct mount *m = mount_list; m; m = m->next)
		n += m->ns == ns;
	struct mount **v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&vfs_mount_lock);
		path_put(&root);
		return -ENOMEM;
	}
	size_t i = n;
	for (struct mount *m = mount_list; m; m = m->next) {
		if (m->ns != ns)
			continue;
		mntget(m);
		v[--i] = m;
	}
	pthread_rwlock_unlock(&vfs_mount_lock);

	/* Paths relative to fs's (chroot) root; mounts outside it are not
	 * listed, as Linux's /proc/PID/mounts. */
	int ret = 0;
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		ret = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (ret == 0) {
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

int vfs_for_each_mount(int (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg)
{
	struct task *t = task_current();
	if (t && t->fs)
		return vfs_for_each_mount_fs(t->fs, fn, arg);
	struct fs_context *fs = fs_context_new(); /* the boot namespace */
	if (!fs)
		return -ENOMEM;
	int ret = vfs_for_each_mount_fs(fs, fn, arg);
	fs_context_put(fs);
	return ret;
}

/* --- mount(2), umount2(2), chroot(2) (vfs/mount_ops.h) ------------------- */

bool vfs_path_is_mountroot(const struct path *p)
{
	return p->mnt && p->dentry == p->mnt->root;
}

/* Is m in the table (not detached)? vfs_mount_lock held. */
bool mount_attached_locked(const struct mount *m)
{
	for (struct mount *x = mount_list; x; x = x->next)
		if (x == m)
			return true;
	return false;
}

/* Link m (unattached, parent/mountpoint set and referenced) into the table
 * as its newest entry. vfs_mount_lock held for writing. */
void link_mount_locked(struct mount *m)
{
	if (m->parent)
		m->ns = m->parent->ns;
	if (m->mountpoint)
		atomic_fetch_add(&m->mountpoint->mounted, 1);
	m->next = mount_list;
	mount_list = m;
}

/* Unlink m from the table. vfs_mount_lock held for writing. The caller drops
 * the table's reference after unlocking. */
void unlink_mount_locked(struct mount *m)
{
	m->ns = NULL;
	for (struct mount **pp = &mount_list; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			m->next = NULL;
			break;
		}
	}
	if (m->mountpoint)
		atomic_fetch_sub(&m->mountpoint->mounted, 1);
	/* An unmounted mount leaves its peer group; if it was the last
	 * member, the group's slaves pass to its master (Linux's
	 * umount_tree making each unmounted mount private). */
	change_propagation_locked(m, MNT_PROP_PRIVATE);
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

/* Attach the tree c (c->copy[0] its top, unattached; the rest with their
 * parents set) on target, with its propagated copies. vfs_rename_lock
 * held. On failure nothing is linked and c is left to the caller. */
static int attach_tree_locked(struct mount_copies *c, const struct path *target)
{
	struct mount *top = c->copy[0];
	struct mount_copies prop = {0};
	pthread_rwlock_rdlock(&vfs_mount_lock);
	/* Not on a lazily detached tree (Linux: ENOENT, lock_mount). */
	bool attached = mount_attached_locked(target->mnt);
	pthread_rwlock_unlock(&vfs_mount_lock);
	if (!attached)
		return -ENOENT;
	int err = propagate_mount(target->mnt, target->dentry, c, &prop);
	if (err < 0) {
		copies_free(&prop, false);
		return err;
	}
	mntget(target->mnt);
	dget(target->dentry);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	top->parent = target->mnt;
	top->mountpoint = target->dentry;
	/* Parents first, so /proc/mounts (oldest first) lists them first. */
	for (size_t i = 0; i < c->n; i++)
		link_mount_locked(c->copy[i]);
	for (size_t i = 0; i < prop.n; i++)
		link_mount_locked(prop.copy[i]);
	pthread_rwlock_unlock(&vfs_mount_lock);
	copies_free(&prop, true);
	return 0;
}

int vfs_mount_new(const struct path *target, struct superblock *sb, const char *source,
		  unsigned mnt_flags)
{
	struct mount_copies c = {0};
	int err = mount_types_match(target->dentry, sb->root);
	if (err < 0)
		return err;
	if (!(mnt_flags & MNT_ATIME_MASK))
		mnt_flags |= MNT_RELATIME;
	struct mount *m = mount_alloc(sb, source, mnt_flags);
	if (!m)
		return -ENOMEM;
	if ((err = copies_add(&c, NULL, m)) < 0) {
		mntput(m);
		return err;
	}
	pthread_mutex_lock(&vfs_rename_lock);
	err = attach_tree_locked(&c, target);
	pthread_mutex_unlock(&vfs_rename_lock);
	copies_free(&c, err == 0);
	return err;
}

/* Snapshot of the table with a reference on each mount (n in *n). The caller
 * holds vfs_rename_lock so the table does not change meanwhile. */
struct mount **snapshot_mounts(size_t *n)
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

void put_mounts(struct mount **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mntput(v[i]);
	free(v);
}

int copies_add(struct mount_copies *c, struct mount *orig, struct mount *copy)
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
void copies_free(struct mount_copies *c, bool linked)
{
	while (!linked && c->n > 0)
		mntput(c->copy[--c->n]);
	free(c->orig);
	free(c->copy);
}

/* Copy every mount below c->orig[0] (only those under the dentry filter for
 * the top, when non-NULL) into c. vfs_rename_lock held. */
int copy_submounts(struct mount_copies *c, struct dentry *filter, bool skip_unbindable)
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
			if (skip_unbindable && (m->flags & MNT_UNBINDABLE))
				continue;
			struct mount *k = mount_alloc_at(m->sb, m->root, m->source, m->flags);
			if (!k) {
				err = -ENOMEM;
				break;
			}
			k->group_id = m->group_id;
			k->master_id = m->master_id;
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
	/* An unbindable source: EINVAL (Linux's do_loopback). */
	if (from->mnt->flags & MNT_UNBINDABLE)
		return -EINVAL;
	/* A bind mount starts with the source mount's flags and propagation
	 * (a peer of a shared source, Linux's clone_mnt); MS_RDONLY etc.
	 * need a later MS_REMOUNT|MS_BIND. */
	struct mount *top =
	    mount_alloc_at(from->mnt->sb, from->dentry, from->mnt->source, from->mnt->flags);
	if (!top)
		return -ENOMEM;
	top->group_id = from->mnt->group_id;
	top->master_id = from->mnt->master_id;
	if ((err = copies_add(&c, from->mnt, top)) < 0) {
		mntput(top);
		goto out_free;
	}

	pthread_mutex_lock(&vfs_rename_lock);
	/* From a detached tree: EINVAL (as Linux). */
	pthread_rwlock_rdlock(&vfs_mount_lock);
	err = !mount_attached_locked(target->mnt) ? -ENOENT
	      : !mount_attached_locked(from->mnt) ? -EINVAL
						  : 0;
	pthread_rwlock_unlock(&vfs_mount_lock);
	if (err == 0 && rec)
		err = copy_submounts(&c, from->dentry, true);
	if (err == 0)
		err = attach_tree_locked(&c, target);
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

int vfs_mount_change_type(const struct path *target, int type, bool rec)
{
	if (!vfs_path_is_mountroot(target))
		return -EINVAL;
	struct mount *top = target->mnt;
	int err = 0;
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	if (!mount_attached_locked(top)) {
		err = -EINVAL;
		goto out;
	}
	/* MS_SHARED gives every mount still without a group its own new one
	 * (Linux's invent_group_ids), then each changes type. */
	struct mount_copies tree = {0};
	err = copies_add(&tree, top, top);
	for (size_t q = 0; rec && q < tree.n && err == 0; q++)
		for (struct mount *x = mount_list; x && err == 0; x = x->next)
			if (x->parent == tree.copy[q])
				err = copies_add(&tree, x, x);
	for (size_t i = 0; err == 0 && i < tree.n; i++)
		change_propagation_locked(tree.copy[i], type);
	free(tree.orig);
	free(tree.copy);
out:
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	return err;
}

static struct mnt_namespace *task_mnt_ns(struct task *t)
{
	struct mnt_namespace *ns = &vfs_init_mnt_ns;
	if (t && t->fs) {
		pthread_mutex_lock(&t->fs->lock);
		if (t->fs->mnt_ns)
			ns = t->fs->mnt_ns;
		pthread_mutex_unlock(&t->fs->lock);
	}
	return ns;
}

bool vfs_mount_is_local(struct task *t, const struct mount *m)
{
	struct mnt_namespace *ns = task_mnt_ns(t);
	pthread_rwlock_rdlock(&vfs_mount_lock);
	bool local = m->ns == ns;
	pthread_rwlock_unlock(&vfs_mount_lock);
	return local;
}

bool vfs_mount_is_foreign(struct task *t, const struct mount *m)
{
	struct mnt_namespace *ns = task_mnt_ns(t);
	pthread_rwlock_rdlock(&vfs_mount_lock);
	bool foreign = m->ns && m->ns != ns;
	pthread_rwlock_unlock(&vfs_mount_lock);
	return foreign;
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
	struct mount_copies tree = {0}, prop = {0};
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	if (!mount_attached_locked(target->mnt)) {
		err = -ENOENT;
		goto out_unlock;
	}
	/* Not a detached mount, nor one under a shared parent (Linux). */
	if (!m->parent || !mount_attached_locked(m) || m->parent->group_id) {
		err = -EINVAL;
		goto out_unlock;
	}
	/* Not into itself or below itself. */
	for (struct mount *x = target->mnt; x; x = x->parent) {
		if (x == m) {
			err = -ELOOP;
			goto out_unlock;
		}
	}
	/* The moved tree (for propagation under a shared target). */
	err = copies_add(&tree, m, m);
	for (size_t q = 0; q < tree.n && err == 0; q++)
		for (struct mount *x = mount_list; x && err == 0; x = x->next)
			if (x->parent == tree.copy[q])
				err = copies_add(&tree, x, x);
	bool shared_dest = target->mnt->group_id != 0;
	for (size_t i = 0; err == 0 && shared_dest && i < tree.n; i++)
		if (tree.copy[i]->flags & MNT_UNBINDABLE)
			err = -EINVAL; /* unbindable mounts under a shared target */
	/* Under a shared target the tree becomes shared (new groups). */
	for (size_t i = 0; err == 0 && shared_dest && i < tree.n; i++)
		if (!tree.copy[i]->group_id)
			tree.copy[i]->group_id = mount_new_group_id();
	pthread_rwlock_unlock(&vfs_mount_lock);
	if (err == 0 && shared_dest)
		err = propagate_mount(target->mnt, target->dentry, &tree, &prop);
	if (err < 0) {
		copies_free(&prop, false);
		goto out;
	}
	pthread_rwlock_wrlock(&vfs_mount_lock);
	atomic_fetch_sub(&m->mountpoint->mounted, 1);
	old.mnt = m->parent;
	old.dentry = m->mountpoint;
	mntget(target->mnt);
	dget(target->dentry);
	m->parent = target->mnt;
	m->mountpoint = target->dentry;
	atomic_fetch_add(&m->mountpoint->mounted, 1);
	for (size_t i = 0; i < prop.n; i++)
		link_mount_locked(prop.copy[i]);
	copies_free(&prop, true);
	err = 0;
out_unlock:
	pthread_rwlock_unlock(&vfs_mount_lock);
out:
	pthread_mutex_unlock(&vfs_rename_lock);
	free(tree.orig);
	free(tree.copy);
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
	/* Its counterparts under the peers and slaves of its parent. */
	if ((err = propagate_umount_locked(m, detach, &victims, &n, &cap)) < 0)
		goto out;
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

bool d_mountpoint_local(struct dentry *d)
{
	if (atomic_load(&d->mounted) == 0)
		return false;
	struct mnt_namespace *ns = task_mnt_ns(task_current());
	bool found = false;
	pthread_rwlock_rdlock(&vfs_mount_lock);
	for (struct mount *m = mount_list; m && !found; m = m->next)
		found = m->mountpoint == d && m->ns == ns;
	pthread_rwlock_unlock(&vfs_mount_lock);
	return found;
}
