/*
 * Mount-table changes made by the application (mount(2), umount2(2),
 * chroot(2)); implemented in vfs/mount.c next to the table itself.
 *
 * One table holds every mount of every mount namespace; a namespace is a
 * tree whose top has no parent (vfs_unshare_mount_ns). Propagation types
 * (MS_SHARED/SLAVE/PRIVATE/UNBINDABLE) are accepted but nothing propagates:
 * every mount behaves as private.
 *
 * Locking: every change takes vfs_rename_lock, then vfs_mount_lock for
 * writing while the table's pointers change (see vfs_impl.h). Mount
 * references are dropped only after both are released.
 */
#ifndef SENTRY_VFS_MOUNT_OPS_H
#define SENTRY_VFS_MOUNT_OPS_H

#include <stdbool.h>

#include "vfs/vfs_impl.h"

/* Internal MNT_* flag: the root mount of a namespace made by
 * vfs_unshare_mount_ns (not user-settable, not shown in /proc/mounts). */
#define MNT_NS_ROOT 0x100

/* MNT_* flags a mount(2) caller may set (vfs_impl.h). */
#define MNT_USER_SETTABLE (MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC)

/* Is p the root of its mount (Linux's path_mounted)? */
bool vfs_path_is_mountroot(const struct path *p);
/* Mount sb (its root) on target. -ENOTDIR if target is not a directory. */
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
 * Unused namespaces are freed here too. */
int vfs_unshare_mount_ns(struct fs_context *fs);
/* chroot: make p (a directory) fs's root. */
void vfs_chroot(struct fs_context *fs, const struct path *p);

#endif
