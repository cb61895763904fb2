/*
 * tmpfs mount options (size=, nr_inodes=, mode=, uid=, gid=), parsed for
 * mount(2) and MS_REMOUNT and shown in /proc/PID/mounts (fs/tmpfs.c).
 *
 * Enforced: nr_inodes (creating past it is ENOSPC, as Linux). Recorded and
 * reported (statfs f_blocks, /proc/mounts) but not enforced: size (the
 * sentry's tmpfs keeps file data in host memfds and does not count pages).
 */
#ifndef SENTRY_FS_TMPFS_H
#define SENTRY_FS_TMPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct superblock;

struct tmpfs_opts {
	bool has_size, has_inodes, has_mode, has_uid, has_gid;
	uint64_t blocks;  /* size in 4 KiB pages; 0: unlimited */
	uint64_t inodes;  /* 0: unlimited */
	uint32_t mode, uid, gid;
};

/* Parse "size=1m,mode=0755,..." (NULL or "" is no option); an unknown key
 * or bad value: -EINVAL. Later keys override earlier ones, as Linux. */
int tmpfs_parse_options(const char *data, struct tmpfs_opts *o);
/* Apply o to a new tmpfs (root mode/uid/gid and the limits). */
void tmpfs_set_options(struct superblock *sb, const struct tmpfs_opts *o);
/* MS_REMOUNT: size and nr_inodes change (mode/uid/gid are accepted and
 * ignored, as Linux's shmem_reconfigure); -EINVAL when a limit cannot be
 * set (unlimited before, or below current use). */
int tmpfs_remount(struct superblock *sb, const struct tmpfs_opts *o);
/* Is sb a tmpfs of fs/tmpfs.c? */
bool is_tmpfs_sb(const struct superblock *sb);
/* ",size=...k,nr_inodes=...,mode=...,uid=...,gid=..." as Linux's
 * shmem_show_options, into buf ("" for other filesystems). */
void tmpfs_show_options(const struct superblock *sb, char *buf, size_t size);

#endif
