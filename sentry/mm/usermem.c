/* Copying between the sentry and application memory. */
#include <errno.h>
#include <string.h>

#include "kernel/task.h"
#include "mm/mm_impl.h"

ssize_t mm_read_partial(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	if (n == 0)
		return 0;
	return platform->read(mm->as, dst, src, n);
}

ssize_t mm_write_partial(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	return platform->write(mm->as, dst, src, n);
}

int mm_read(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	ssize_t r = mm_read_partial(mm, dst, src, n);
	return (r < 0 || (size_t)r != n) ? -EFAULT : 0;
}

int mm_write(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	ssize_t r = mm_write_partial(mm, dst, src, n);
	return (r < 0 || (size_t)r != n) ? -EFAULT : 0;
}

int copy_from_user(struct task *t, void *dst, uint64_t src, size_t n)
{
	return mm_read(t->mm, dst, src, n);
}

int copy_to_user(struct task *t, uint64_t dst, const void *src, size_t n)
{
	return mm_write(t->mm, dst, src, n);
}

long strncpy_from_user(struct task *t, char *dst, uint64_t src, size_t size)
{
	size_t done = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	/* Read page by page so a string ending before an unmapped page works. */
	while (done < size) {
		uint64_t addr = src + done;
		size_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		if (chunk > size - done)
			chunk = size - done;
		ssize_t r = mm_read_partial(t->mm, dst + done, addr, chunk);
		if (r <= 0)
			return -EFAULT;
		char *nul = memchr(dst + done, 0, (size_t)r);
		if (nul)
			return nul - dst;
		done += (size_t)r;
	}
	dst[size - 1] = 0;
	return -ENAMETOOLONG;
}
