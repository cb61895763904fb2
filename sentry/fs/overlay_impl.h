/* Private to sentry/fs/overlay*.c: what overlay_tmpfile.c needs of overlay.c.
 * Locking as documented at the top of overlay.c. */
#ifndef SENTRY_FS_OVERLAY_IMPL_H
#define SENTRY_FS_OVERLAY_IMPL_H

#include "vfs/vfs_impl.h"

/* The overlay inode's upper dentry, or NULL before copy-up. */
struct dentry *ovl_upper(struct inode *i);
/* Copy d (and its parents) up to the upper layer (0 if already there). */
int ovl_copy_up(struct dentry *d);
/* A new overlay inode over upper u / lower l; takes the references. */
struct inode *ovl_inode_new(struct superblock *sb, struct dentry *u, struct dentry *l);
/* inode_operations.tmpfile (overlay_tmpfile.c). */
int ovl_tmpfile(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t);

#endif
