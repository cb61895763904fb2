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

/* Extended attributes (vfs/xattr.c): Linux's checks (read-only mount,
 * trusted.* needs CAP_SYS_ADMIN, user.* only on regular files and
 * directories, the inode's permissions), then the inode's xattr ops. name
 * is 1..255 bytes, NUL-terminated; buffers are sentry memory. get/list
 * return the length (size 0: only the length). */
ssize_t vfs_getxattr(struct task *t, const struct path *p, const char *name, void *buf,
		     size_t size);
ssize_t vfs_listxattr(struct task *t, const struct path *p, char *buf, size_t size);
int vfs_setxattr(struct task *t, const struct path *p, const char *name, const void *value,
		 size_t size, int flags);
int vfs_removexattr(struct task *t, const struct path *p, const char *name);

#endif
