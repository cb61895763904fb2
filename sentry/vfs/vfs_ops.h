/* Path-based operations used by the file syscalls (sentry/syscalls/sys_*.c). */
#ifndef SENTRY_VFS_VFS_OPS_H
#define SENTRY_VFS_VFS_OPS_H

#include "vfs/vfs_impl.h"

enum { VFS_MK_REG, VFS_MK_DIR, VFS_MK_NOD, VFS_MK_LNK }; /* kind for vfs_mknodat_kind */
int vfs_mknodat_kind(struct task *t, int dirfd, const char *path, int kind, uint32_t mode,
		     uint64_t rdev, const char *target);
int vfs_unlinkat(struct task *t, int dirfd, const char *path, bool isdir);
int vfs_renameat(struct task *t, int olddfd, const char *oldpath, int newdfd, const char *newpath,
		 unsigned flags);
int vfs_linkat(struct task *t, int olddfd, const char *oldpath, int newdfd, const char *newpath,
	       unsigned lookup_flags);
ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t size);
int vfs_faccessat(struct task *t, int dirfd, const char *path, int mode, int flags);
/* -EROFS if the mount or superblock is read-only. */
int vfs_may_write_sb(struct mount *m, struct dentry *d);
int vfs_statfs_path(const struct path *p, struct kstatfs *st);
/* stat by path (LOOKUP_* flags); a magic link (/proc/PID/fd/N) to a file
 * without a path gives that file's attributes. */
int vfs_statat(struct task *t, int dirfd, const char *path, unsigned lookup_flags,
	       struct kstat *st);

#endif
