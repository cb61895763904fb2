/*
 * memfd_create: an unnamed tmpfs file (the sentry's tmpfs files are host
 * memfds, so it maps and shares like Linux's). It is made as an O_TMPFILE in
 * the sandbox's /dev/shm, so /proc/PID/fd shows "/dev/shm/#ino (deleted)"
 * rather than "/memfd:NAME (deleted)". File seals are not supported yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "syscalls/sys_fs.h"

#define MFD_NAME_MAX 249 /* NAME_MAX - strlen("memfd:") */

SYSCALL_DEFINE(memfd_create)
{
	unsigned flags = (unsigned)args->a[1];
	char name[MFD_NAME_MAX + 1];
	struct file *f;
	long r;

	if (flags & ~(unsigned)(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | 0x8U /* NOEXEC_SEAL */ |
				0x10U /* MFD_EXEC */))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL; /* no huge pages in the sandbox */
	r = strncpy_from_user(t, name, args->a[0], sizeof(name));
	if (r == -ENAMETOOLONG)
		return -EINVAL;
	if (r < 0)
		return r;
	r = vfs_openat(t, AT_FDCWD, "/dev/shm", O_TMPFILE | O_RDWR, 0600, &f);
	if (r < 0)
		return r == -EOPNOTSUPP ? -ENOSYS : r;
	r = fd_install(t->fdt, f, flags & MFD_CLOEXEC, 0);
	file_put(f);
	return r;
}
