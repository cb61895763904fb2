/*
 * Mount namespaces: unshare(CLONE_NEWNS)/clone(CLONE_NEWNS) copies of the
 * caller's mount tree, and their lifetime.
 *
 * A namespace's mounts are the table's mounts with m->ns pointing at it;
 * its top has no parent. Path walks stay inside it because mounts are found
 * by parent mount (lookup_mnt). Every fs context holds a reference on its
 * namespace (fs->mnt_ns; fs_context_dup takes one, fs_context_put drops
 * it). When the last goes, the namespace's whole tree is unmounted as
 * Linux's put_mnt_ns does: mounts still in use (open files, a detached
 * cwd) live on detached until their users let go.
 */
#include <errno.h>
#include <stdlib.h>

#include "kernel/task.h"
#include "util/log.h"
#include "vfs/mount_internal.h"
#include "vfs/vfs_internal.h"

/* The boot namespace: one permanent reference (vfs_root_mount and
 * fs_context_new's NULL use it), so it is never freed. */
struct mnt_namespace vfs_init_mnt_ns = {.users = 1};
static atomic_uint_fast64_t next_ns_id = 1;

uint64_t vfs_mnt_ns_id(struct fs_context *fs)
{
	pthread_mutex_lock(&fs->lock);
	uint64_t id = fs->mnt_ns ? fs->mnt_ns->id : 0;
	pthread_mutex_unlock(&fs->lock);
	return id;
}

struct mnt_namespace *vfs_mnt_ns_get(struct mnt_namespace *ns)
{
	if (ns)
		atomic_fetch_add(&ns->users, 1);
	return ns;
}

/* Unlink every mount of ns from the table and drop the table's references
 * (children before parents). */
static void umount_namespace(struct mnt_namespace *ns)
{
	struct mount_copies dead = {0};
	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_wrlock(&vfs_mount_lock);
	/* Breadth-first from the top, so parents come first. */
	int err = ns->root ? copies_add(&dead, ns->root, ns->root) : 0;
	for (size_t q = 0; q < dead.n && err == 0; q++)
		for (struct mount *x = mount_list; x && err == 0; x = x->next)
			if (x->parent == dead.copy[q] && x->ns == ns)
				err = copies_add(&dead, x, x);
	/* Anything of ns not reached from its top (cannot happen; be safe). */
	for (struct mount *x = mount_list; x && err == 0; x = x->next) {
		bool listed = false;
		for (size_t i = 0; i < dead.n && !listed; i++)
			listed = dead.copy[i] == x;
		if (x->ns == ns && !listed)
			err = copies_add(&dead, x, x);
	}
	if (err < 0)
		log_warn("vfs: out of memory freeing a mount namespace; some mounts leak");
	for (size_t i = 0; i < dead.n; i++)
		unlink_mount_locked(dead.copy[i]);
	ns->root = NULL;
	pthread_rwlock_unlock(&vfs_mount_lock);
	pthread_mutex_unlock(&vfs_rename_lock);
	log_debug("vfs: mount namespace freed (%zu mounts)", dead.n);
	for (size_t i = dead.n; i > 0; i--)
		mntput(dead.copy[i - 1]);
	free(dead.orig);
	free(dead.copy);
}

void vfs_mnt_ns_put(struct mnt_namespace *ns)
{
	if (!ns || atomic_fetch_sub(&ns->users, 1) != 1)
		return;
	umount_namespace(ns);
	free(ns);
}

/* Where does mount m go in the copy (NULL: not copied, keep m)? */
static struct mount *copy_of(const struct mount_copies *c, struct mount *m)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->orig[i] == m)
			return c->copy[i];
	return NULL;
}

int vfs_unshare_mount_ns(struct fs_context *fs)
{
	struct mount_copies c = {0};
	struct path root, cwd;
	int err = 0;

	struct mnt_namespace *nns = calloc(1, sizeof(*nns));
	if (!nns)
		return -ENOMEM;
	atomic_init(&nns->users, 1);
	nns->id = atomic_fetch_add(&next_ns_id, 1);
	fs_context_root(fs, &root);
	fs_context_cwd(fs, &cwd);
	pthread_mutex_lock(&fs->lock);
	struct mnt_namespace *ons = fs->mnt_ns ? fs->mnt_ns : &vfs_init_mnt_ns;
	pthread_mutex_unlock(&fs->lock);

	pthread_mutex_lock(&vfs_rename_lock);
	pthread_rwlock_rdlock(&vfs_mount_lock);
	struct mount *top = ons->root;
	if (!top || !mount_attached_locked(top))
		err = -EINVAL;
	pthread_rwlock_unlock(&vfs_mount_lock);
	struct mount *ntop = NULL;
	if (err == 0) {
		ntop = mount_alloc_at(top->sb, top->root, top->source, top->flags);
		err = ntop ? copies_add(&c, top, ntop) : -ENOMEM;
		if (err < 0 && ntop)
			mntput(ntop);
	}
	if (err == 0) {
		ntop->group_id = top->group_id;
		ntop->master_id = top->master_id;
		ntop->ns = nns;
		nns->root = ntop;
		err = copy_submounts(&c, NULL, false);
	}
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
		struct mnt_namespace *old_ns = fs->mnt_ns;
		fs->root = nroot;
		fs->cwd = ncwd;
		fs->mnt_ns = nns;
		pthread_mutex_unlock(&fs->lock);
		path_put(&oroot);
		path_put(&ocwd);
		vfs_mnt_ns_put(old_ns);
	} else {
		free(nns);
	}
	copies_free(&c, err == 0);
	path_put(&root);
	path_put(&cwd);
	return err;
}
