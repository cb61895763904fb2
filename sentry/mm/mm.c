/*
 * Address spaces: the VMA set and its mirror in the platform.
 *
 * Anonymous memory is host anonymous memory in the stub. A file with a host
 * descriptor (gofer files, tmpfs memfds, host stdio) is mapped by installing
 * that descriptor into the stub, so MAP_SHARED writes reach the file and
 * pages load lazily. A file without one (synthetic files) is copied into
 * anonymous memory: exact for MAP_PRIVATE; MAP_SHARED writable mappings of
 * such files are refused with ENODEV.
 *
 * Because the host maps the very object the sandbox's file is (the memfd of
 * a tmpfs file, the gofer's descriptor of a host file), the host gives the
 * Linux semantics of file pages directly: stores are seen by read() and by
 * other processes' mappings at once, msync/munmap/exit leave them in the
 * file, pages wholly past EOF (a mapping longer than the file, or after a
 * truncation) fault with SIGBUS/BUS_ADRERR, which reaches the application
 * as a fault of its own; mincore reports the file's cached pages, and
 * MAP_POPULATE, MADV_POPULATE_* and MADV_REMOVE are done by the host on the
 * same object. /proc/PID/maps and smaps are rendered in maps.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <fcntl.h>

#include "kernel/task.h"
#include "mm/mm_impl.h"
#include "util/log.h"
#include "vfs/vfs.h"

#define MAP_TYPE_MASK 0x0f
/* Flags MAP_SHARED_VALIDATE accepts (include/linux/mman.h LEGACY_MAP_MASK). */
#define LEGACY_MAP_FLAGS                                                                           \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | \
	 0x4000000 /* MAP_UNINITIALIZED */ | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |          \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | (unsigned)MAP_HUGE_MASK << MAP_HUGE_SHIFT)

static uint64_t rand_pages(unsigned bits)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = 0;
	return (r & ((1ULL << bits) - 1)) * PAGE_SIZE;
}

int mm_new(struct mm **out, struct platform_thread **thr)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	int r;

	if (!mm)
		return -ENOMEM;
	r = platform->as_new(&mm->as, thr);
	if (r < 0) {
		free(mm);
		return r;
	}
	pthread_mutex_init(&mm->lock, NULL);
	mm->refs = 1;
	/* Like Linux: the stack at the top with a random gap, mmap below it. */
	mm->stack_top = (APP_ADDR_MAX - PAGE_SIZE - rand_pages(20)) & ~0xfULL;
	mm->stack_top &= PAGE_MASK;
	mm->mmap_base = (mm->stack_top - (8ULL << 20) - (128ULL << 20) - rand_pages(26)) & PAGE_MASK;
	*out = mm;
	return 0;
}

int mm_fork(struct mm *mm, struct mm **out, pid_t *tid)
{
	struct mm *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	c->vmas = malloc((size_t)(mm->cap ? mm->cap : 1) * sizeof(struct vma));
	if (!c->vmas) {
		r = -ENOMEM;
		goto fail;
	}
	r = platform->as_fork(mm->as, &c->as, tid);
	if (r < 0)
		goto fail;
	memcpy(c->vmas, mm->vmas, (size_t)mm->nvmas * sizeof(struct vma));
	c->nvmas = mm->nvmas;
	c->cap = mm->cap ? mm->cap : 1;
	for (int i = 0; i < c->nvmas; i++)
		if (c->vmas[i].file)
			file_get(c->vmas[i].file);
	c->brk_base = mm->brk_base;
	c->brk_cur = mm->brk_cur;
	c->mmap_base = mm->mmap_base;
	c->stack_top = mm->stack_top;
	c->arg_start = mm->arg_start;
	c->arg_end = mm->arg_end;
	c->env_start = mm->env_start;
	c->env_end = mm->env_end;
	pthread_mutex_unlock(&mm->lock);
	pthread_mutex_init(&c->lock, NULL);
	c->refs = 1;
	*out = c;
	return 0;
fail:
	pthread_mutex_unlock(&mm->lock);
	free(c->vmas);
	free(c);
	return r;
}

int mm_spawn_thread(struct mm *mm, pid_t *tid)
{
	return platform->thread_spawn(mm->as, tid);
}

int mm_adopt_thread(struct mm *mm, pid_t tid, struct platform_thread **thr)
{
	return platform->thread_adopt(mm->as, tid, thr);
}

int mm_users(struct mm *mm)
{
	return __atomic_load_n(&mm->refs, __ATOMIC_SEQ_CST);
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_SEQ_CST);
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	for (int i = 0; i < mm->nvmas; i++)
		if (mm->vmas[i].file)
			file_put(mm->vmas[i].file);
	free(mm->vmas);
	platform->as_release(mm->as);
	mm_rss_release(mm);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

/* --- VMA set ------------------------------------------------------------- */

bool mm_range_ok(struct mm *mm, uint64_t addr, uint64_t len, bool write)
{
	uint64_t end = addr + len;
	bool ok = true;

	if (len == 0)
		return true;
	if (end < addr)
		return false;
	pthread_mutex_lock(&mm->lock);
	for (int i = vma_find(mm, addr); addr < end; i++) {
		if (i >= mm->nvmas || mm->vmas[i].start > addr ||
		    !(mm->vmas[i].prot & (write ? PROT_WRITE : PROT_READ))) {
			ok = false;
			break;
		}
		addr = mm->vmas[i].end;
	}
	pthread_mutex_unlock(&mm->lock);
	return ok;
}

/* Index of the first vma with end > addr. */
int vma_find(struct mm *mm, uint64_t addr)
{
	int lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vma_reserve(struct mm *mm, int extra)
{
	if (mm->nvmas + extra <= mm->cap)
		return 0;
	int cap = mm->cap ? mm->cap * 2 : 32;
	while (cap < mm->nvmas + extra)
		cap *= 2;
	if (cap > 65536 + 16)
		return -ENOMEM; /* like vm.max_map_count */
	struct vma *v = realloc(mm->vmas, (size_t)cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	mm->vmas = v;
	mm->cap = cap;
	return 0;
}

void vma_insert_at(struct mm *mm, int i, const struct vma *v)
{
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (size_t)(mm->nvmas - i) * sizeof(*v));
	mm->vmas[i] = *v;
	mm->nvmas++;
}

static void vma_remove_at(struct mm *mm, int i)
{
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (size_t)(mm->nvmas - i - 1) * sizeof(struct vma));
	mm->nvmas--;
}

/* Split so that no vma straddles addr. */
static int vma_split(struct mm *mm, uint64_t addr)
{
	int i = vma_find(mm, addr);
	struct vma tail;
	int r;

	if (i >= mm->nvmas || mm->vmas[i].start >= addr)
		return 0;
	r = vma_reserve(mm, 1);
	if (r < 0)
		return r;
	tail = mm->vmas[i];
	tail.start = addr;
	if (tail.file || tail.shm_id)
		tail.off += addr - mm->vmas[i].start;
	if (tail.file)
		file_get(tail.file);
	mm->vmas[i].end = addr;
	vma_insert_at(mm, i + 1, &tail);
	return 0;
}

static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags && !a->file &&
	       !b->file && !a->shm_id && !b->shm_id && a->name == b->name;
}

static void vma_merge_around(struct mm *mm, int i)
{
	if (i + 1 < mm->nvmas && vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1])) {
		mm->vmas[i].end = mm->vmas[i + 1].end;
		vma_remove_at(mm, i + 1);
	}
	if (i > 0 && vma_mergeable(&mm->vmas[i - 1], &mm->vmas[i])) {
		mm->vmas[i - 1].end = mm->vmas[i].end;
		vma_remove_at(mm, i);
	}
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	int i = vma_find(mm, start);
	return i >= mm->nvmas || mm->vmas[i].start >= end;
}

/* Remove [start,end) from the VMA set (not from the host). */
static int vma_unmap_range(struct mm *mm, uint64_t start, uint64_t end)
{
	int r = vma_split(mm, start);
	if (r == 0)
		r = vma_split(mm, end);
	if (r < 0)
		return r;
	int i = vma_find(mm, start);
	while (i < mm->nvmas && mm->vmas[i].start < end) {
		if (mm->vmas[i].file)
			file_put(mm->vmas[i].file);
		vma_remove_at(mm, i);
	}
	return 0;
}

/* Top-down search for a free range of len bytes below mm->mmap_base. */
uint64_t find_free(struct mm *mm, uint64_t len, uint64_t hint)
{
	if (hint) {
		hint &= PAGE_MASK;
		if (hint >= APP_ADDR_MIN && hint < APP_ADDR_MAX && len <= APP_ADDR_MAX - hint &&
		    range_free(mm, hint, hint + len))
			return hint;
	}
	uint64_t top = mm->mmap_base;
	int i = vma_find(mm, top);
	/* Walk gaps downwards. */
	for (;;) {
		uint64_t gap_lo = (i > 0) ? mm->vmas[i - 1].end : APP_ADDR_MIN;
		uint64_t gap_hi = top;
		if (i < mm->nvmas && mm->vmas[i].start < gap_hi)
			gap_hi = mm->vmas[i].start;
		if (gap_hi > gap_lo && gap_hi - gap_lo >= len)
			return gap_hi - len;
		if (i == 0)
			break;
		i--;
		top = mm->vmas[i].start;
	}
	/* Then above mmap_base, bottom-up. */
	uint64_t addr = mm->mmap_base;
	for (i = vma_find(mm, addr); i <= mm->nvmas; i++) {
		uint64_t lim = i < mm->nvmas ? mm->vmas[i].start : APP_ADDR_MAX;
		if (lim > addr && lim - addr >= len)
			return addr;
		if (i < mm->nvmas && mm->vmas[i].end > addr)
			addr = mm->vmas[i].end;
	}
	return 0;
}

/* Fill [addr, addr+len) in the host from the file at off (zero past EOF). */
static int fill_from_file(struct mm *mm, uint64_t addr, uint64_t len, struct file *file,
			  uint64_t off)
{
	static const size_t chunk = 1 << 20;
	char *buf = malloc(chunk);
	uint64_t done = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t want = (len - done) < chunk ? (size_t)(len - done) : chunk;
		ssize_t n = file_pread(file, buf, want, off + done);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (platform->write(mm->as, addr + done, buf, (size_t)n) != n) {
			r = -EFAULT;
			break;
		}
		done += (uint64_t)n;
	}
	free(buf);
	return r;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* MAP_POPULATE (mm_populate): fault the new mapping in now, as writes for a
 * private writable mapping (breaking copy-on-write) and as reads otherwise.
 * Like Linux, failures (pages past EOF, no memory) are not the mmap's: the
 * pages are then faulted on access. The host does it with
 * MADV_POPULATE_{READ,WRITE} (Linux 5.14); an older host leaves the pages
 * to fault lazily. */
static void populate(struct mm *mm, uint64_t addr, uint64_t len, int prot, bool private_)
{
	if (!(prot & (PROT_READ | PROT_WRITE)))
		return;
	platform->advise(mm->as, addr, len,
			 private_ && (prot & PROT_WRITE) ? MADV_POPULATE_WRITE
							  : MADV_POPULATE_READ);
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct file *file,
	     uint64_t off)
{
	int type = flags & MAP_TYPE_MASK;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	struct vma v = {0};
	long r;

	/* An O_PATH descriptor is no file to fget(). */
	if (file && !(flags & MAP_ANONYMOUS) && (file_flags(file) & O_PATH))
		return -EBADF;
	if (len == 0 || (off & ~PAGE_MASK))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	/* Anonymous mappings know only SHARED and PRIVATE (do_mmap). */
	if ((flags & MAP_ANONYMOUS) && type == MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && ((unsigned)flags & ~LEGACY_MAP_FLAGS))
		return -EOPNOTSUPP;
	if (len > APP_ADDR_MAX)
		return -ENOMEM;
	len = PAGE_ALIGN(len);
	if (!(flags & MAP_ANONYMOUS) && !file)
		return -EBADF;
	if (flags & MAP_ANONYMOUS)
		file = NULL;
	if (file) {
		int acc = file_flags(file) & O_ACCMODE;
		if (acc == O_WRONLY)
			return -EACCES;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)
			return -EACCES;
		if (off + len < off)
			return -EOVERFLOW;
	}
	if (fixed) {
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr < APP_ADDR_MIN || addr >= APP_ADDR_MAX || len > APP_ADDR_MAX - addr)
			return -ENOMEM;
	}

	pthread_mutex_lock(&mm->lock);
	if (fixed) {
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
		    !range_free(mm, addr, addr + len)) {
			r = -EEXIST;
			goto out;
		}
	} else {
		addr = find_free(mm, len, addr);
		if (!addr) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = vma_reserve(mm, 2);
	if (r < 0)
		goto out;
	{
		int hfd = file ? file_host_fd(file) : -1;
		if (hfd >= 0) {
			r = platform->map_fd(mm->as, addr, len, prot,
					     type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED, hfd, off);
			if (r == 0)
				v.host_mapped = true;
			else if (r != -ENOSYS)
				goto out;
		}
	}
	if (file && !v.host_mapped && type != MAP_PRIVATE && (prot & PROT_WRITE)) {
		r = -ENODEV; /* no descriptor to share the pages through */
		goto out;
	}
	if (!v.host_mapped) {
		r = platform->map_anon(mm->as, addr, len, file ? PROT_READ | PROT_WRITE : prot,
				       !file && type != MAP_PRIVATE);
		if (r < 0)
			goto out;
	}
	r = vma_unmap_range(mm, addr, addr + len);
	if (r < 0)
		goto out;
	if (file && v.host_mapped) {
		file_get(file);
	} else if (file) {
		r = fill_from_file(mm, addr, len, file, off);
		if (r == 0 && prot != (PROT_READ | PROT_WRITE))
			r = platform->protect(mm->as, addr, len, prot);
		if (r < 0) {
			platform->unmap(mm->as, addr, len);
			goto out;
		}
		file_get(file);
	}
	v.start = addr;
	v.end = addr + len;
	v.prot = prot;
	v.flags = (type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED) |
		  (flags & (MAP_ANONYMOUS | MAP_GROWSDOWN));
	v.file = file;
	v.off = off;
	v.name = (flags & MAP_GROWSDOWN) ? "[stack]" : NULL;
	if (!file && type != MAP_PRIVATE) {
		static uint64_t next_shm_id = 1;
		v.shm_id = __atomic_fetch_add(&next_shm_id, 1, __ATOMIC_SEQ_CST);
		v.off = 0;
	}
	{
		int i = vma_find(mm, addr);
		vma_insert_at(mm, i, &v);
		vma_merge_around(mm, i);
	}
	/* do_mmap: MAP_LOCKED populates too (locking itself is not modelled). */
	if ((flags & MAP_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE)
		populate(mm, addr, len, prot, type == MAP_PRIVATE);
	r = (long)addr;
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	int r;

	if ((addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (addr >= APP_ADDR_MAX || len > APP_ADDR_MAX - addr)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	r = vma_unmap_range(mm, addr, addr + len);
	if (r == 0)
		r = platform->unmap(mm->as, addr, len);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	uint64_t end, cur;
	int i, r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	len = PAGE_ALIGN(len);
	if (len == 0)
		return 0;
	end = addr + len;
	if (end < addr || end > APP_ADDR_MAX)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	/* The whole range must be mapped. */
	cur = addr;
	for (i = vma_find(mm, addr); i < mm->nvmas && mm->vmas[i].start <= cur && cur < end; i++) {
		struct vma *v = &mm->vmas[i];
		if (v->file && (v->flags & MAP_SHARED) && (prot & PROT_WRITE) &&
		    (file_flags(v->file) & O_ACCMODE) != O_RDWR) {
			r = -EACCES;
			goto out;
		}
		if (v->mayprot && (prot & ~v->mayprot)) {
			r = -EACCES; /* [vvar]: no VM_MAYWRITE/VM_MAYEXEC */
			goto out;
		}
		cur = v->end;
	}
	if (cur < end) {
		r = -ENOMEM;
		goto out;
	}
	r = vma_split(mm, addr);
	if (r == 0)
		r = vma_split(mm, end);
	if (r < 0)
		goto out;
	r = platform->protect(mm->as, addr, len, prot);
	if (r < 0)
		goto out;
	for (i = vma_find(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++)
		mm->vmas[i].prot = prot;
	i = vma_find(mm, addr);
	while (i < mm->nvmas && mm->vmas[i].start < end) {
		int n = mm->nvmas;
		vma_merge_around(mm, i);
		if (mm->nvmas == n)
			i++;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

/* mremap with old_len 0: a second mapping of the same shared pages at
 * another address (Linux keeps it for "duplicate shm area"); a private
 * mapping has none to share. The new mapping covers newlen bytes of the
 * object from old's offset. mm->lock held. */
static long mremap_dup(struct mm *mm, const struct vma *v, uint64_t old, uint64_t newlen,
		       int flags, uint64_t new_addr)
{
	struct vma nv = *v;
	int r;

	if (!(v->flags & MAP_SHARED))
		return -EINVAL;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM; /* cannot grow a zero-length range in place */
	r = vma_reserve(mm, 4);
	if (r < 0)
		return r;
	if (flags & MREMAP_FIXED) {
		/* The caller checked that old is not inside the new range, so
		 * old stays mapped (and v->file referenced) through this. */
		r = vma_unmap_range(mm, new_addr, new_addr + newlen);
		if (r < 0)
			return r;
		platform->unmap(mm->as, new_addr, newlen);
	} else {
		new_addr = find_free(mm, newlen, 0);
		if (!new_addr)
			return -ENOMEM;
	}
	nv.start = new_addr;
	nv.end = new_addr + newlen;
	nv.off = v->off + (old - v->start);
	if (v->file && !v->host_mapped) {
		/* A read-only copy of a file without a host descriptor: copy
		 * it again. */
		r = platform->map_anon(mm->as, new_addr, newlen, PROT_READ | PROT_WRITE, 0);
		if (r < 0)
			return r;
		r = fill_from_file(mm, new_addr, newlen, v->file, nv.off);
		if (r == 0 && v->prot != (PROT_READ | PROT_WRITE))
			r = platform->protect(mm->as, new_addr, newlen, v->prot);
		if (r < 0) {
			platform->unmap(mm->as, new_addr, newlen);
			return r;
		}
	} else {
		/* The host mapping is MAP_SHARED: the host duplicates it. */
		r = platform->remap(mm->as, old, 0, new_addr, newlen);
		if (r < 0)
			return r;
	}
	if (nv.file)
		file_get(nv.file);
	vma_insert_at(mm, vma_find(mm, new_addr), &nv);
	return (long)new_addr;
}

long mm_mremap(struct mm *mm, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags,
	       uint64_t new_addr)
{
	struct vma v;
	long r;
	int i;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (old & ~PAGE_MASK)
		return -EINVAL;
	oldlen = PAGE_ALIGN(oldlen);
	newlen = PAGE_ALIGN(newlen);
	if (newlen == 0)
		return -EINVAL;
	if (old >= APP_ADDR_MAX || oldlen > APP_ADDR_MAX - old || newlen > APP_ADDR_MAX)
		return -EINVAL;
	if (flags & MREMAP_FIXED) {
		if ((new_addr & ~PAGE_MASK) || new_addr < APP_ADDR_MIN ||
		    new_addr >= APP_ADDR_MAX || newlen > APP_ADDR_MAX - new_addr)
			return -EINVAL;
		if (new_addr < old + oldlen && old < new_addr + newlen)
			return -EINVAL;
	}
	pthread_mutex_lock(&mm->lock);
	i = vma_find(mm, old);
	if (i >= mm->nvmas || mm->vmas[i].start > old || mm->vmas[i].end < old + oldlen) {
		r = -EFAULT;
		goto out;
	}
	v = mm->vmas[i];
	if (oldlen == 0) {
		r = mremap_dup(mm, &v, old, newlen, flags, new_addr);
		goto out;
	}
	if (!(flags & MREMAP_FIXED)) {
		if (newlen <= oldlen) {
			if (newlen < oldlen) {
				r = vma_unmap_range(mm, old + newlen, old + oldlen);
				if (r == 0)
					r = platform->unmap(mm->as, old + newlen, oldlen - newlen);
				if (r < 0)
					goto out;
			}
			r = (long)old;
			goto out;
		}
		/* Grow in place when the vma ends here and the space after is free. */
		if (v.end == old + oldlen && range_free(mm, old + oldlen, old + newlen) &&
		    old + newlen <= APP_ADDR_MAX) {
			if (v.host_mapped)
				r = platform->map_fd(mm->as, old + oldlen, newlen - oldlen, v.prot,
						     v.flags & MAP_SHARED ? MAP_SHARED : MAP_PRIVATE,
						     file_host_fd(v.file),
						     v.off + (old + oldlen - v.start));
			else
				r = platform->map_anon(mm->as, old + oldlen, newlen - oldlen,
						       v.file ? PROT_READ | PROT_WRITE : v.prot,
						       !v.file && (v.flags & MAP_SHARED));
			if (r < 0)
				goto out;
			if (v.file && !v.host_mapped) {
				fill_from_file(mm, old + oldlen, newlen - oldlen, v.file,
					       v.off + (old + oldlen - v.start));
				if (v.prot != (PROT_READ | PROT_WRITE))
					platform->protect(mm->as, old + oldlen, newlen - oldlen,
							  v.prot);
			}
			mm->vmas[i].end = old + newlen;
			vma_merge_around(mm, i);
			r = (long)old;
			goto out;
		}
		if (!(flags & MREMAP_MAYMOVE)) {
			r = -ENOMEM;
			goto out;
		}
		new_addr = find_free(mm, newlen, 0);
		if (!new_addr) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = vma_reserve(mm, 4);
	if (r < 0)
		goto out;
	/* Move: the host moves the pages; the VMA set follows. */
	{
		uint64_t copylen = newlen < oldlen ? newlen : oldlen;
		r = vma_unmap_range(mm, new_addr, new_addr + newlen);
		if (r < 0)
			goto out;
		platform->unmap(mm->as, new_addr, newlen);
		r = platform->remap(mm->as, old, oldlen, new_addr, newlen);
		if (r < 0)
			goto out;
		struct vma nv = v;
		nv.start = new_addr;
		nv.end = new_addr + newlen;
		if (nv.file || nv.shm_id)
			nv.off = v.off + (old - v.start);
		if (nv.file)
			file_get(nv.file);
		r = vma_unmap_range(mm, old, old + oldlen);
		if (r < 0)
			goto out;
		if (newlen > copylen && nv.file && !nv.host_mapped) {
			platform->protect(mm->as, new_addr + copylen, newlen - copylen,
					  PROT_READ | PROT_WRITE);
			fill_from_file(mm, new_addr + copylen, newlen - copylen, nv.file,
				       nv.off + copylen);
			platform->protect(mm->as, new_addr + copylen, newlen - copylen, nv.prot);
		}
		i = vma_find(mm, new_addr);
		vma_insert_at(mm, i, &nv);
		vma_merge_around(mm, i);
		r = (long)new_addr;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

/* Is [addr, end) entirely covered by VMAs? mm->lock held. */
static bool range_mapped(struct mm *mm, uint64_t addr, uint64_t end)
{
	uint64_t cur = addr;

	for (int i = vma_find(mm, addr); i < mm->nvmas && cur < end; i++) {
		if (mm->vmas[i].start > cur)
			return false;
		cur = mm->vmas[i].end;
	}
	return cur >= end;
}

/* MADV_REMOVE (madvise_remove): punch the range out of the files behind
 * shared writable mappings, shared anonymous memory included. The host's
 * mapping is of the same object (memfd, donated host descriptor, shared
 * anonymous memory), so the host punches it. mm->lock held. */
static int madvise_remove(struct mm *mm, uint64_t addr, uint64_t end)
{
	for (int i = vma_find(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		uint64_t s = v->start > addr ? v->start : addr;
		uint64_t e = v->end < end ? v->end : end;
		if (!v->file && !(v->flags & MAP_SHARED))
			return -EINVAL; /* no file behind private anonymous memory */
		/* vma_is_shared_maywrite: shared, of a descriptor open for writing */
		if (!(v->flags & MAP_SHARED) ||
		    (v->file && (file_flags(v->file) & O_ACCMODE) != O_RDWR))
			return -EACCES;
		if (v->file && !v->host_mapped)
			return -EOPNOTSUPP; /* a copy: no file to punch through */
		int r = platform->advise(mm->as, s, e - s, MADV_REMOVE);
		if (r < 0)
			return r;
	}
	return 0;
}

int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	uint64_t end;
	int r = 0;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = addr + len;
	if (end < addr)
		return -EINVAL;
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_REMOVE:
		break;
	default:
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	pthread_mutex_lock(&mm->lock);
	/* Like Linux: advice over a hole applies to what is mapped, then ENOMEM. */
	if (!range_mapped(mm, addr, end))
		r = -ENOMEM;
	if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE) {
		/* The host's pages are the application's: the host faults them
		 * in and says EFAULT where an access would fault (past EOF,
		 * no permission), as Linux does. */
		if (r == 0)
			r = platform->advise(mm->as, addr, len, advice);
		goto out;
	}
	if (advice == MADV_REMOVE) {
		int e = madvise_remove(mm, addr, end);
		if (e)
			r = e;
		goto out;
	}
	if (advice != MADV_DONTNEED && advice != MADV_FREE)
		goto out;
	for (int i = vma_find(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		uint64_t s = v->start > addr ? v->start : addr;
		uint64_t e = v->end < end ? v->end : end;
		if (v->flags & MAP_SHARED && !v->file)
			continue; /* MADV_DONTNEED on shared anon leaves the data */
		platform->advise(mm->as, s, e - s, MADV_DONTNEED);
		if (v->file && !v->host_mapped) {
			/* Private file pages come back from the file. */
			platform->protect(mm->as, s, e - s, PROT_READ | PROT_WRITE);
			fill_from_file(mm, s, e - s, v->file, v->off + (s - v->start));
			platform->protect(mm->as, s, e - s, v->prot);
		}
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	uint64_t end;
	int r = 0;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = addr + len;
	if (end < addr)
		return -ENOMEM;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, end))
		r = -ENOMEM;
	/* Shared file pages are the file's own: let the host write them back. */
	for (int i = vma_find(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		uint64_t s = v->start > addr ? v->start : addr;
		uint64_t e = v->end < end ? v->end : end;
		if (v->host_mapped && (v->flags & MAP_SHARED) && (flags & MS_SYNC))
			platform->msync(mm->as, s, e - s, MS_SYNC);
	}
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint64_t vec)
{
	uint64_t end;
	int r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (len == 0)
		return 0;
	end = PAGE_ALIGN(addr + len);
	if (end <= addr || end > APP_ADDR_MAX)
		return -ENOMEM;
	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, end)) {
		r = -ENOMEM;
		goto out;
	}
	/* The host answers for its own pages, into the application's vector. */
	r = platform->mincore(mm->as, addr, end - addr, vec);
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

void mm_set_brk_base(struct mm *mm, uint64_t base)
{
	pthread_mutex_lock(&mm->lock);
	mm->brk_base = mm->brk_cur = PAGE_ALIGN(base);
	pthread_mutex_unlock(&mm->lock);
}

long mm_brk(struct mm *mm, uint64_t brk)
{
	uint64_t old_end, new_end;
	long r;

	pthread_mutex_lock(&mm->lock);
	r = (long)mm->brk_cur;
	if (brk < mm->brk_base || brk >= APP_ADDR_MAX)
		goto out;
	old_end = PAGE_ALIGN(mm->brk_cur);
	new_end = PAGE_ALIGN(brk);
	if (new_end > old_end) {
		if (!range_free(mm, old_end, new_end) || vma_reserve(mm, 2) < 0)
			goto out;
		if (platform->map_anon(mm->as, old_end, new_end - old_end, PROT_READ | PROT_WRITE,
				       0) < 0)
			goto out;
		struct vma v = {.start = old_end,
				.end = new_end,
				.prot = PROT_READ | PROT_WRITE,
				.flags = MAP_PRIVATE | MAP_ANONYMOUS,
				.name = "[heap]"};
		int i = vma_find(mm, old_end);
		vma_insert_at(mm, i, &v);
		vma_merge_around(mm, i);
	} else if (new_end < old_end) {
		if (vma_unmap_range(mm, new_end, old_end) < 0)
			goto out;
		platform->unmap(mm->as, new_end, old_end - new_end);
	}
	mm->brk_cur = brk;
	r = (long)brk;
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

uint64_t mm_stack_top(struct mm *mm)
{
	return mm->stack_top;
}

void mm_set_mmap_base(struct mm *mm, uint64_t base)
{
	mm->mmap_base = base & PAGE_MASK;
}

void mm_set_args(struct mm *mm, uint64_t arg_start, uint64_t arg_end, uint64_t env_start,
		 uint64_t env_end)
{
	mm->arg_start = arg_start;
	mm->arg_end = arg_end;
	mm->env_start = env_start;
	mm->env_end = env_end;
}

void mm_get_args(struct mm *mm, uint64_t *arg_start, uint64_t *arg_end, uint64_t *env_start,
		 uint64_t *env_end)
{
	*arg_start = mm->arg_start;
	*arg_end = mm->arg_end;
	*env_start = mm->env_start;
	*env_end = mm->env_end;
}

int mm_futex_key(struct mm *mm, uint64_t addr, bool private_, struct futex_key *key)
{
	int r = 0;

	memset(key, 0, sizeof(*key));
	key->x = (uint64_t)(uintptr_t)mm;
	key->y = addr;
	if (private_)
		return 0;
	pthread_mutex_lock(&mm->lock);
	int i = vma_find(mm, addr);
	if (i >= mm->nvmas || mm->vmas[i].start > addr) {
		r = -EFAULT;
	} else if (mm->vmas[i].flags & MAP_SHARED) {
		const struct vma *v = &mm->vmas[i];
		key->z = v->off + (addr - v->start);
		if (v->file) {
			uint64_t dev = 0, ino = 0;
			file_ids(v->file, &dev, &ino);
			key->kind = 1;
			key->x = dev;
			key->y = ino;
		} else {
			key->kind = 2;
			key->x = v->shm_id;
			key->y = 0;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	return r;
}
