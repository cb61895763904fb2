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

extern struct path vfs_boot_cwd;
int vfs_may_write_sb(struct mount *m, struct dentry *d);

#endif
