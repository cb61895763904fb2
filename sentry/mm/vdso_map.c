/*
 * [vvar] and [vdso] in an address space (docs/vdso.md).
 *
 * Placed like Linux 6.x's map_vdso(): by the ordinary top-down search below
 * the (randomized) mmap base, right after the loader mapped the interpreter,
 * so the pair lands just below it and moves with every exec. The vvar page
 * is the sentry's shared memfd mapped read-only (the VMA's mayprot keeps
 * mprotect from granting write or exec, and the host's F_SEAL_FUTURE_WRITE
 * refuses it as well); the image is mapped privately, so an mprotect to
 * writable (a debugger's breakpoint) gives the process its own copy. Both
 * VMAs are anonymous in the VMA set, file NULL: munmap, mremap and fork treat
 * them as Linux treats its special mappings, and the host keeps the pages.
 */
#include <errno.h>
#include <sys/mman.h>

#include "mm/mm_impl.h"
#include "vdso/vdso.h"

long mm_map_vdso(struct mm *mm)
{
	const struct vdso_image *img;
	uint64_t addr, len;
	long r;

	if (vdso_image_get(&img) < 0)
		return 0; /* no vDSO in this sandbox: clock calls trap */
	len = img->vvar_len + img->text_len;

	pthread_mutex_lock(&mm->lock);
	addr = find_free(mm, len, 0);
	if (!addr) {
		r = -ENOMEM;
		goto out;
	}
	r = vma_reserve(mm, 2);
	if (r < 0)
		goto out;
	r = platform->map_fd(mm->as, addr, img->vvar_len, PROT_READ, MAP_SHARED, img->vvar_fd, 0);
	if (r < 0)
		goto nomap;
	r = platform->map_fd(mm->as, addr + img->vvar_len, img->text_len, PROT_READ | PROT_EXEC,
			     MAP_PRIVATE, img->text_fd, 0);
	if (r < 0) {
		platform->unmap(mm->as, addr, img->vvar_len);
		goto nomap;
	}
	struct vma vvar = {
	    .start = addr,
	    .end = addr + img->vvar_len,
	    .prot = PROT_READ,
	    .flags = MAP_PRIVATE,
	    .name = "[vvar]",
	    .mayprot = PROT_READ,
	};
	struct vma text = {
	    .start = addr + img->vvar_len,
	    .end = addr + len,
	    .prot = PROT_READ | PROT_EXEC,
	    .flags = MAP_PRIVATE,
	    .name = "[vdso]",
	};
	int i = vma_find(mm, addr);
	vma_insert_at(mm, i, &vvar);
	vma_insert_at(mm, i + 1, &text);
	r = (long)(addr + img->vvar_len);
	goto out;
nomap:
	/* The platform cannot map descriptors (its channel broke): run this
	 * process without a vDSO rather than fail its exec. */
	r = r == -ENOSYS ? 0 : r;
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}
