/* Helpers shared by the file-family syscall handlers (sys_file.c, sys_stat.c,
 * sys_dir.c, sys_fd.c, sys_ioctl.c). */
#ifndef SENTRY_SYSCALLS_SYS_FS_H
#define SENTRY_SYSCALLS_SYS_FS_H

#include <fcntl.h>
#include <stdlib.h>

#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs_impl.h"
#include "vfs/vfs_ops.h"

#define SYS_IO_CHUNK 65536
/* Most one read of a file that can block may return (sys_file.c do_read). */
#define SYS_ONCE_MAX (1024 * 1024)
#define SYS_MAX_RW 0x7ffff000L /* Linux's MAX_RW_COUNT */
#define SYS_IOV_MAX 1024

/* Copy a path from the application into a malloc'd PATH_MAX buffer. Returns
 * the buffer or NULL with *err set (-EFAULT, -ENAMETOOLONG, -ENOMEM). */
static inline char *sys_getpath(struct task *t, uint64_t uaddr, int *err)
{
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	long n = strncpy_from_user(t, buf, uaddr, VFS_PATH_MAX);
	if (n < 0) {
		free(buf);
		*err = (int)n;
		return NULL;
	}
	*err = 0;
	return buf;
}

static inline struct file *sys_fget(struct task *t, int fd)
{
	return t->fdt ? fd_get(t->fdt, fd) : NULL;
}

/* The dirfd argument as the ABI passes it (an int in a 64-bit register). */
static inline int sys_fd(uint64_t a)
{
	return (int)(int32_t)a;
}

#endif
