/* Memory-map syscalls: thin decoders over sentry/mm. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"
#include "vfs/vfs_impl.h"

SYSCALL_DEFINE(brk)
{
	return mm_brk(t->mm, args->a[0]);
}

SYSCALL_DEFINE(mmap)
{
	uint64_t addr = args->a[0], len = args->a[1], off = args->a[5];
	int prot = (int)args->a[2], flags = (int)args->a[3], fd = (int)args->a[4];
	struct file *f = NULL;
	long r;

	if (!(flags & MAP_ANONYMOUS)) {
		struct kstat st;
		f = fd_get(t->fdt, fd);
		if (!f)
			return -EBADF;
		if (vfs_fstat(f, &st) < 0 || !(S_ISREG(st.mode) || S_ISCHR(st.mode))) {
			file_put(f);
			return -ENODEV;
		}
		if (S_ISCHR(st.mode)) {
			/* /dev/zero maps as anonymous memory; other devices cannot map. */
			file_put(f);
			if (st.rdev != makedev(1, 5))
				return -ENODEV;
			if ((flags & 0xf) == MAP_SHARED_VALIDATE)
				flags = (flags & ~0xf) | MAP_SHARED;
			f = NULL;
			flags |= MAP_ANONYMOUS;
		}
	}
	r = mm_mmap(t->mm, addr, len, prot, flags, f, off);
	if (f)
		file_put(f);
	return r;
}

SYSCALL_DEFINE(munmap)
{
	return mm_munmap(t->mm, args->a[0], args->a[1]);
}

SYSCALL_DEFINE(mprotect)
{
	return mm_mprotect(t->mm, args->a[0], args->a[1], (int)args->a[2]);
}

SYSCALL_DEFINE(mremap)
{
	return mm_mremap(t->mm, args->a[0], args->a[1], args->a[2], (int)args->a[3], args->a[4]);
}

SYSCALL_DEFINE(madvise)
{
	return mm_madvise(t->mm, args->a[0], args->a[1], (int)args->a[2]);
}

SYSCALL_DEFINE(mincore)
{
	return mm_mincore(t->mm, args->a[0], args->a[1], args->a[2]);
}

SYSCALL_DEFINE(msync)
{
	return mm_msync(t->mm, args->a[0], args->a[1], (int)args->a[2]);
}
