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

/* --- /etc/hosts, /etc/hostname, /etc/resolv.conf (etc_files.c) ---------- */

#include <stdbool.h>

#define ETC_HOSTNAME_MAX 64 /* Linux's __NEW_UTS_LEN */

struct etc_files_config {
	const char *hostname;      /* the sandbox's (kernel.hostname) */
	const char *hostname_addr; /* address of the hostname line in /etc/hosts; NULL: none */
	const char *const *dns;    /* nameservers for /etc/resolv.conf (validated) */
	int ndns;
	bool create_missing;       /* create missing files (overlay root: in memory) */
};

/* After vfs_boot, before confinement: mount the three files over the
 * root's (see etc_files.c). Returns 0 or -errno. */
int etc_files_mount(const struct etc_files_config *cfg);
/* --hostname: 1..64 of [A-Za-z0-9._-], not starting with '-' or '.'. */
bool etc_hostname_valid(const char *name);
/* --dns: an IPv4 or IPv6 address. */
bool etc_dns_valid(const char *addr);
/* The files' text (for unit tests). */
struct pbuf;
void etc_render_hosts(struct pbuf *b, const struct etc_files_config *cfg);
void etc_render_hostname(struct pbuf *b, const struct etc_files_config *cfg);
void etc_render_resolv(struct pbuf *b, const struct etc_files_config *cfg);

#endif
