/* Mounts: the mount table, mount crossing, and mounting at boot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"
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

static struct mount *mount_alloc(struct superblock *sb, const char *source, unsigned flags)
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
	dget(sb->root);
	m->root = sb->root;
	m->flags = flags;
	return m;
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

	int ret = 0;
	char *buf = malloc(VFS_PATH_MAX);
	for (i = 0; i < n; i++) {
		if (ret == 0 && buf) {
			struct path p = {v[i], v[i]->root};
			struct path root = {vfs_root_mount, vfs_root_mount ? vfs_root_mount->root : NULL};
			bool unreach = false;
			if (vfs_path_string(&p, &root, buf, VFS_PATH_MAX, &unreach) >= 0 && !unreach)
				ret = fn(v[i], buf, arg);
		}
		mntput(v[i]);
	}
	free(buf);
	free(v);
	return ret;
}
