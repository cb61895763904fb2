/*
 * Shared by vfs/mount.c (the table, mount(2) operations), vfs/mount_ns.c
 * (mount namespaces) and vfs/mount_prop.c (propagation). Not for use
 * outside vfs/mount*.c.
 *
 * The table (mount_list) holds every attached mount of every namespace;
 * m->ns says which. Locking as in mount_ops.h: changes hold vfs_rename_lock
 * throughout, and vfs_mount_lock for writing while pointers change; readers
 * take vfs_mount_lock for reading.
 */
#ifndef SENTRY_VFS_MOUNT_INTERNAL_H
#define SENTRY_VFS_MOUNT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfs/mount_ops.h"

struct mnt_namespace {
	atomic_int users;    /* fs contexts in it (+1 for the boot namespace) */
	struct mount *root;  /* its top mount (no parent), in the table */
	uint64_t id;         /* 0 for the boot namespace, then 1, 2, ... */
};

extern struct mnt_namespace vfs_init_mnt_ns;
extern struct mount *mount_list; /* newest first; vfs_mount_lock */

/* A new unattached mount of sb's dentry root (one reference: the table's
 * once linked). Flags as given; propagation none; a fresh id. */
struct mount *mount_alloc_at(struct superblock *sb, struct dentry *root, const char *source,
			     unsigned flags);
/* vfs_mount_lock held (any mode). */
bool mount_attached_locked(const struct mount *m);
/* Link m (parent and mountpoint set and referenced, or m->ns set for a
 * namespace top) as the table's newest entry; m->ns becomes its parent's.
 * vfs_mount_lock held for writing. */
void link_mount_locked(struct mount *m);
/* Unlink m (m->ns cleared; the caller drops the table's reference after
 * unlocking). vfs_mount_lock held for writing. */
void unlink_mount_locked(struct mount *m);
/* The table with a reference on each mount; vfs_rename_lock held. */
struct mount **snapshot_mounts(size_t *n);
void put_mounts(struct mount **v, size_t n);
/* A fresh peer-group id. */
int mount_new_group_id(void);

/* Mount copies (MS_REC binds, new namespaces, propagation): pairs
 * (original, copy) in breadth-first order, [0] the top. */
struct mount_copies {
	struct mount **orig, **copy;
	size_t n, cap;
};
int copies_add(struct mount_copies *c, struct mount *orig, struct mount *copy);
/* Drop copies never linked (linked false), children first; free arrays. */
void copies_free(struct mount_copies *c, bool linked);
/* Copy every mount below c->orig[0] into c (for the top, only those under
 * the dentry filter when non-NULL; unbindable ones skipped when
 * skip_unbindable). Copies keep the originals' propagation (peers of shared
 * ones, slaves of the same master). vfs_rename_lock held. */
int copy_submounts(struct mount_copies *c, struct dentry *filter, bool skip_unbindable);

/* Propagation (vfs/mount_prop.c); vfs_rename_lock held, vfs_mount_lock
 * not. After the tree c (c->copy[0] mounted on dest/mountpoint, not yet
 * linked) is attached: give it peer groups when dest is shared, and build
 * its copies for every mount receiving propagation from dest into *out
 * (unlinked; the caller links them with c). */
int propagate_mount(struct mount *dest, struct dentry *mountpoint, struct mount_copies *c,
		    struct mount_copies *out);
/* Mounts to unmount with m (m's counterparts on the receivers of its
 * parent: same mountpoint, nothing mounted below them) appended to *v.
 * vfs_mount_lock held for writing. Returns -EBUSY when !detach and one is
 * in use, -ENOMEM. */
int propagate_umount_locked(struct mount *m, bool detach, struct mount ***v, size_t *n,
			    size_t *cap);
/* Change the propagation type of m (MNT_PROP_*). vfs_mount_lock held for
 * writing. */
void change_propagation_locked(struct mount *m, int type);

#endif
