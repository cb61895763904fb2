/* Between the fsnotify hooks (fs/fsnotify.c) and inotify (fs/inotify.c). */
#ifndef SENTRY_FS_INOTIFY_IMPL_H
#define SENTRY_FS_INOTIFY_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs/fsnotify.h"

/* Watches alive in the whole sandbox: the hooks return at once when 0. */
extern atomic_int inotify_nwatches;

/* Deliver an event about the inode (dev, ino) to its watches. name: the
 * event is reported to a watched directory about its child name (then
 * child_unlinked tells IN_EXCL_UNLINK watches to skip it); NULL: about the
 * watched inode itself (IN_DELETE_SELF then ends its watches). Takes
 * inotify's locks; call with no VFS lock but dentry/inode locks held. */
void inotify_send(uint64_t dev, uint64_t ino, uint32_t mask, uint32_t cookie, const char *name,
		  bool child_unlinked);

#endif
