/*
 * Mount-table changes made by the application (mount(2), umount2(2),
 * chroot(2), unshare(CLONE_NEWNS)); implemented in vfs/mount.c next to the
 * table itself, vfs/mount_ns.c (namespaces) and vfs/mount_prop.c
 * (propagation between peer groups, docs/vfs.md).
 *
 * One table holds every mount of every mount namespace; each mount names
 * its namespace (m->ns), each fs context holds a reference on its
 * namespace, and the last reference unmounts the namespace's tree.
 *
 * Locking: every change takes vfs_rename_lock, then vfs_mount_lock for
 * writing while the table's pointers change (see vfs_impl.h). Mount
 * references are dropped only after both are released.
 */
#ifndef SENTRY_VFS_MOUNT_OPS_H
#define SENTRY_VFS_MOUNT_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "vfs/vfs_impl.h"

struct fs_context;
struct task;

/* More MNT_* flags (vfs_impl.h has RDONLY, NOSUID, NODEV, NOEXEC): the
 * atime policy (none of the three: strictatime) and MS_UNBINDABLE. The VFS
 * does not update atimes itself; these are recorded and shown. */
#define MNT_NOATIME 0x10
#define MNT_NODIRATIME 0x20
#define MNT_RELATIME 0x40
/* MS_STRICTATIME given (not shown): vfs_mount_new adds MNT_RELATIME to a
 * mount without any atime flag, as Linux's default. */
#define MNT_STRICTATIME 0x80
#define MNT_ATIME_MASK (MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME | MNT_STRICTATIME)
#define MNT_UNBINDABLE 0x200

/* MNT_* flags a mount(2) caller may set (Linux's MNT_USER_SETTABLE_MASK). */
#define MNT_USER_SETTABLE                                                                  \
	(MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_ATIME_MASK)

/* Propagation types for vfs_mount_change_type. */
#define MNT_PROP_SHARED 1
#define MNT_PROP_PRIVATE 2
#define MNT_PROP_SLAVE 3
#define MNT_PROP_UNBINDABLE 4

/* Is p the root of its mount (Linux's path_mounted)? */
bool vfs_path_is_mountroot(const struct path *p);
/* Mount sb (its root) on target. -ENOTDIR if target is not a directory.
 * Without any MNT_ATIME_MASK flag the mount is relatime. */
int vfs_mount_new(const struct path *target, struct superblock *sb, const char *source,
		  unsigned mnt_flags);
/* Bind mount from onto target (MS_BIND; rec = MS_REC copies the mounts
 * below from too). Directory onto directory or non-directory onto
 * non-directory, else -ENOTDIR. */
int vfs_mount_bind(const struct path *from, const struct path *target, bool rec);
/* MS_REMOUNT|MS_BIND: replace the mount's MNT_USER_SETTABLE flags. */
int vfs_mount_reconfigure(const struct path *target, unsigned mnt_flags);
/* MS_REMOUNT: the mount's flags and the superblock's read-only state. */
int vfs_mount_remount(const struct path *target, unsigned mnt_flags, bool sb_rdonly);
/* MS_SHARED/PRIVATE/SLAVE/UNBINDABLE (MNT_PROP_*) on the mount whose root
 * is target, and with rec on every mount below it. */
int vfs_mount_change_type(const struct path *target, int type, bool rec);
/* Is m attached in t's mount namespace (Linux's check_mnt)? */
bool vfs_mount_is_local(struct task *t, const struct mount *m);
/* Is m attached in another namespace than t's (a detached mount is not)? */
bool vfs_mount_is_foreign(struct task *t, const struct mount *m);
/* Calls fn for each mount of fs's namespace reachable from fs's root
 * (oldest first) with its path relative to that root, as Linux's
 * /proc/PID/mounts. Stops when fn returns non-zero. */
int vfs_for_each_mount_fs(struct fs_context *fs,
			  int (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg);
/* MS_MOVE: move the mount whose root is from onto target. */
int vfs_mount_move(const struct path *from, const struct path *target);
/* Unmount the mount whose root is target. flags: UMOUNT_DETACH_ (MNT_DETACH)
 * detaches it and every mount below it even when busy; otherwise a mount
 * still referenced by anyone but the table and the caller's target (open
 * files, working or root directories inside, mounts below) is -EBUSY.
 * task_root is the caller's root (its mount cannot be unmounted: -EBUSY). */
#define VFS_UMOUNT_DETACH 0x2
int vfs_umount(const struct path *target, const struct path *task_root, int flags);
/* The superblock of a mounted filesystem of type fstype (referenced), or
 * NULL: new proc/sysfs/devpts mounts share the boot instance, as Linux
 * shares one proc superblock per pid namespace. */
struct superblock *vfs_find_mounted_sb(const char *fstype);
/* unshare(CLONE_NEWNS): give fs (not shared with other tasks) a new mount
 * namespace, a copy of its current one; root and cwd move to the copies.
 * Copies of shared mounts are their originals' peers (Linux's
 * copy_mnt_ns). */
int vfs_unshare_mount_ns(struct fs_context *fs);
/* The id of fs's mount namespace: 0 for the boot one, then 1, 2, ... in
 * creation order, never reused (for /proc/PID/ns/mnt). */
uint64_t vfs_mnt_ns_id(struct fs_context *fs);
/* chroot: make p (a directory) fs's root. */
void vfs_chroot(struct fs_context *fs, const struct path *p);

#endif
