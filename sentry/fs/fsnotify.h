/*
 * File change notifications (the events inotify reports), raised by the VFS
 * where the sandbox's own operations happen. Each hook is one call at its
 * site and returns at once when no inotify watch exists anywhere.
 *
 * Events on a file go to its own watches and, with the file's name, to the
 * watches of its parent directory (as Linux's fsnotify_parent).
 *
 * LOCK ORDER: hooks are called with dentry and inode locks held (as Linux
 * calls fsnotify under i_rwsem). Inside: vfs_tree_lock (read, to copy a
 * name) is taken and dropped first, then inotify_lock (inotify.c) -> an
 * instance's lock -> its waitq's lock. Nothing below inotify_lock calls
 * back into the VFS; inode references are dropped after unlocking.
 */
#ifndef SENTRY_FS_FSNOTIFY_H
#define SENTRY_FS_FSNOTIFY_H

#include <stdbool.h>

struct dentry;
struct file;
struct inode;

/* child was created in dir (create, mkdir, mknod, symlink, O_CREAT). */
void fsnotify_create(struct dentry *dir, struct dentry *child);
/* victim was unlinked from dir (isdir: rmdir). */
void fsnotify_remove(struct dentry *dir, struct dentry *victim, bool isdir);
/* A hard link name to inode was made in dir. */
void fsnotify_link(struct dentry *dir, struct inode *inode, const char *name);
/* old (in olddir) was renamed to newname in newdir, replacing target (or
 * exchanged with it under RENAME_EXCHANGE, flags as renameat2's). Called
 * when the filesystem has done it but before the dcache moves the dentries
 * (old still has its old name), with both directories locked. */
void fsnotify_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		     const char *newname, struct dentry *target, unsigned flags);
/* The last reference of d goes; when it was unlinked (D_DEAD) and its
 * inode has no name left, the inode is gone: IN_DELETE_SELF (then its
 * watches end), as Linux reports it when the last user lets go. */
void fsnotify_d_free(struct dentry *d);
/* Attributes of d changed (ia_valid: ATTR_* of the setattr). */
void fsnotify_change(struct dentry *d, unsigned ia_valid);
/* Data of an open file was read / written; it was opened / closed (the last
 * reference of the description went). */
void fsnotify_access(struct file *f);
void fsnotify_modify(struct file *f);
void fsnotify_open(struct file *f);
void fsnotify_close(struct file *f);

#endif
