/* Private to sentry/vfs/: helpers shared between the VFS's own files. */
#ifndef SENTRY_VFS_VFS_INTERNAL_H
#define SENTRY_VFS_VFS_INTERNAL_H

#include "vfs/vfs_impl.h"

extern pthread_rwlock_t vfs_tree_lock;
extern pthread_rwlock_t vfs_mount_lock;
extern pthread_mutex_t vfs_rename_lock; /* recursive */

struct dentry *d_alloc(struct dentry *parent, const char *name);
void d_free_unhashed(struct dentry *d);
void d_add_locked(struct dentry *dir, struct dentry *child);
void d_drop_locked(struct dentry *dir, struct dentry *child);
struct dentry *d_lookup_locked(struct dentry *dir, const char *name, int *err);
void dput_locked_parent(struct dentry *dir, struct dentry *child);

enum { MK_REG_, MK_DIR_, MK_NOD_, MK_LNK_ };
int vfs_mknode_locked(struct dentry *dir, const char *name, int kind, uint32_t mode, uint64_t rdev,
		      const char *target, struct task *t, struct dentry **out);
/* Linux's mode_strip_sgid: in a setgid directory, a group-executable setgid
 * non-directory made by a non-member without CAP_FSETID loses S_ISGID. */
uint32_t vfs_strip_sgid(struct inode *dir, uint32_t mode, struct task *t);
int vfs_remove_locked(struct dentry *dir, struct dentry *victim, bool isdir);
int vfs_link_locked(struct dentry *old, struct dentry *dir, const char *name);
/* Both dirs locked, rename_lock held. */
int vfs_rename_locked(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      const char *newname, unsigned flags);
/* Lock two directories for rename in the documented order. */
void lock_rename_dirs(struct dentry *a, struct dentry *b);
void unlock_rename_dirs(struct dentry *a, struct dentry *b);
bool d_is_ancestor(struct dentry *anc, struct dentry *d);

/* The top mount on (parent, d) with a reference, or NULL. */
struct mount *lookup_mnt(struct mount *parent, struct dentry *d);
/* Is d a mountpoint in the calling task's mount namespace (rmdir, unlink
 * and rename then fail with EBUSY; other namespaces do not count, as
 * Linux's is_local_mountpoint)? Takes vfs_mount_lock: no lock 5 held. */
bool d_mountpoint_local(struct dentry *d);

/* Task helpers (t may be NULL in unit tests: root creds, root fs). */
void task_root(struct task *t, struct path *out);
void task_cwd(struct task *t, struct path *out);
uint32_t task_umask(struct task *t);
struct file *task_fget(struct task *t, int fd);
bool path_equal(const struct path *a, const struct path *b);

/* vfs_path_lookup / vfs_path_parent starting at base (when non-NULL;
 * absolute paths still start at the task's root) instead of dirfd, with the
 * symlink count carried in *nlinks (may be NULL). With filep, a magic link to
 * a file without a path yields that file (referenced) in *filep and the link
 * itself in *out; without filep the link itself is the result. */
int vfs_path_lookup_at(struct task *t, const struct path *base, int dirfd, const char *path,
		       unsigned flags, int *nlinks, struct path *out, struct file **filep);
int vfs_path_parent_at(struct task *t, const struct path *base, int dirfd, const char *path,
		       int *nlinks, struct path *parent, char *lastbuf, int *last_type,
		       bool *trailing_slash);

/* openat2's RESOLVE_* restrictions on one path walk (rs NULL: none). */
#define VFS_RESOLVE_NO_XDEV 0x01
#define VFS_RESOLVE_NO_MAGICLINKS 0x02
#define VFS_RESOLVE_NO_SYMLINKS 0x04
#define VFS_RESOLVE_BENEATH 0x08
#define VFS_RESOLVE_IN_ROOT 0x10
#define VFS_RESOLVE_CACHED 0x20
#define VFS_RESOLVE_SCOPED (VFS_RESOLVE_BENEATH | VFS_RESOLVE_IN_ROOT)
struct vfs_resolve {
	unsigned flags;   /* VFS_RESOLVE_* (Linux's RESOLVE_* values) */
	struct path root; /* BENEATH/IN_ROOT: the starting directory, the walk's root */
};
/* The same walks under rs (as openat2): absolute paths and "/" symlinks start
 * at rs->root (IN_ROOT) or fail EXDEV (BENEATH), ".." stops at rs->root (or
 * EXDEV), mount crossings fail EXDEV (NO_XDEV), symlinks ELOOP (NO_SYMLINKS),
 * magic links ELOOP (NO_MAGICLINKS) or EXDEV (scoped). */
int vfs_path_lookup_rs(struct task *t, const struct path *base, int dirfd, const char *path,
		       unsigned flags, int *nlinks, struct path *out, struct file **filep,
		       const struct vfs_resolve *rs);
int vfs_path_parent_rs(struct task *t, const struct path *base, int dirfd, const char *path,
		       int *nlinks, struct path *parent, char *lastbuf, int *last_type,
		       bool *trailing_slash, const struct vfs_resolve *rs);
/* May a walk under rs at `at` follow the symlink link? magic: it is a magic
 * link. 0, -ELOOP or -EXDEV. */
int vfs_resolve_may_follow(const struct vfs_resolve *rs, bool magic);
/* May a walk under rs at `at` jump to its root (an absolute symlink)? */
int vfs_resolve_may_jump_root(const struct vfs_resolve *rs, const struct path *at,
			      const struct path *root);

extern struct path vfs_boot_cwd;
int vfs_may_write_sb(struct mount *m, struct dentry *d);

#endif
