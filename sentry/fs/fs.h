/*
 * Filesystems the VFS mounts at boot, in one place so the start-up order is
 * visible. vfs_boot() mounts the root (gofer, optionally under an overlay),
 * then tmpfs on /tmp, then calls these in this order:
 *
 *   devfs_mount()   /dev (and /dev/shm, /dev/pts under it if it wants)
 *   procfs_mount()  /proc
 *   sysfs_mount()   /sys
 *
 * Each builds its superblock (see synth_sb_new in vfs/vfs_impl.h) and calls
 * vfs_mount_at("/proc", sb, "proc", flags). They are weak in vfs_boot so the
 * build links before they exist; a missing one is logged and skipped.
 * Return 0 or -errno (a failure aborts boot).
 */
#ifndef SENTRY_FS_FS_H
#define SENTRY_FS_FS_H

int devfs_mount(void);
int procfs_mount(void);
int sysfs_mount(void);

/* Capture the host facts /proc and /sys show (CPU count, /proc/cpuinfo,
 * memory size, boot id). Opens a host path: call before confinement.
 * procfs_mount() calls it too if it has not run; idempotent. */
void procfs_boot_snapshot(void);

#endif
