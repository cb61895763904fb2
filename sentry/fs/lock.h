/*
 * Advisory file locks, the sandbox's own (they never reach the host):
 *
 *   POSIX record locks  fcntl F_SETLK/F_SETLKW/F_GETLK. Owner: the fd table
 *                       (Linux's fl_owner = current->files; one per process
 *                       unless CLONE_FILES shares it). Released when the
 *                       owner closes ANY descriptor of the file, and so at
 *                       exit when the last fd table reference goes.
 *   OFD locks           fcntl F_OFD_*. Owner: the open file description;
 *                       they live in the same range list as POSIX locks and
 *                       conflict with them. Released at the last close.
 *   flock(2) locks      whole file, owner: the open file description;
 *                       independent of the record locks.
 *
 * Locks are keyed by (superblock device, inode number), so two opens of the
 * same file meet even when the filesystem made two inode objects for it.
 *
 * LOCK ORDER: file_lock_mutex (lock.c) is a leaf below every VFS lock and
 * fdtable->lock (the close hooks run after fdtable->lock is dropped); only
 * task_cond_wait and memory allocation happen under it, and it is never
 * held while copying to or from application memory.
 */
#ifndef SENTRY_FS_LOCK_H
#define SENTRY_FS_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct fdtable;
struct task;
struct seq_buf;
struct inode;

/* struct flock as the x86_64 application passes it (32 bytes). */
struct linux_flock {
	int16_t l_type;
	int16_t l_whence;
	int32_t pad0;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
	int32_t pad1;
};

/* fcntl lock commands: cmd is F_GETLK/F_SETLK/F_SETLKW or the F_OFD_ ones;
 * fl has been copied in and is updated for F_GETLK (copy it back out).
 * fd is the descriptor f was found at in t's table (POSIX locks are dropped
 * again if it was closed meanwhile, as Linux does). */
long file_lock_fcntl(struct task *t, int fd, struct file *f, int cmd, struct linux_flock *fl);

/* flock(2): operation as the application passes it. */
long file_flock(struct task *t, struct file *f, unsigned operation);

/* Close hooks. locks_remove_posix: owner fdt closed a descriptor of f (any
 * fd: POSIX's rule). locks_remove_file: the last reference of f is gone
 * (its OFD and flock locks). Both are cheap when no lock exists. */
void locks_remove_posix(struct fdtable *fdt, struct file *f);
void locks_remove_file(struct file *f);

/* /proc/locks. */
int locks_show_proc(struct inode *inode, struct seq_buf *s);

#endif
