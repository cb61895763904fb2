/*
 * Signal-driven I/O (O_ASYNC): a file's owner (F_SETOWN, F_SETOWN_EX,
 * FIOSETOWN/SIOCSPGRP) receives SIGIO, or the F_SETSIG signal with
 * si_code POLL_IN/OUT/ERR/HUP, si_band and si_fd, whenever the file's
 * readiness may have changed while O_ASYNC is set (FIOASYNC, F_SETFL).
 * Linux's fasync/send_sigio.
 *
 * A file whose ops have no wait queue (regular files) never signals, as
 * on Linux, where only files with an fasync op do.
 *
 * Locks: the owner record is under the file's flags_lock. A wake runs under
 * the file's wait queue lock, so it only queues the signal (fasync_lock,
 * a leaf); a sentry thread of its own sends it under kernel.lock.
 */
#ifndef SENTRY_FS_FASYNC_H
#define SENTRY_FS_FASYNC_H

#include <stdbool.h>

struct file;
struct task;

/* F_OWNER_* of struct f_owner_ex */
#define FASYNC_OWNER_TID 0
#define FASYNC_OWNER_PID 1
#define FASYNC_OWNER_PGRP 2

/* F_SETOWN (who > 0 a process, < 0 a process group, 0 none) and
 * F_SETOWN_EX: -ESRCH when nobody has that id, -EINVAL for a bad type. */
int fasync_setown(struct file *f, int type, int who);
/* F_GETOWN: the process id, or minus the group id. */
int fasync_getown(struct file *f);
void fasync_getown_ex(struct file *f, int *type, int *who);
/* F_SETSIG (0: SIGIO, else 1..64) / F_GETSIG. */
int fasync_setsig(struct file *f, int sig);
int fasync_getsig(struct file *f);
/* O_ASYNC was set or cleared on f (descriptor fd, for si_fd). 0 or -ENOMEM. */
int fasync_set(struct file *f, int fd, bool on);
/* The last reference to f is going (file_put). */
void fasync_release(struct file *f);

#endif
