#ifndef SENTRY_MM_MM_IMPL_H
#define SENTRY_MM_MM_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "mm/mm.h"
#include "platform/platform.h"

#undef PAGE_SIZE
#undef PAGE_MASK
#define PAGE_SIZE 4096ULL
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)

struct vma {
	uint64_t start, end;
	int prot;
	int flags;          /* guest MAP_SHARED/MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN */
	struct file *file;  /* referenced; NULL for anonymous */
	uint64_t off;       /* file offset of start */
	const char *name;   /* "[heap]", "[stack]" or NULL (static strings) */
	bool host_mapped;   /* the file's host descriptor is mapped (else a filled copy) */
	uint64_t shm_id;    /* MAP_SHARED|MAP_ANONYMOUS: the region's identity (kept
			     * across fork and splits, for shared futexes); else 0 */
	int mayprot;        /* nonzero: the only prot bits mprotect may grant
			     * ([vvar]: PROT_READ, Linux's missing VM_MAYWRITE) */
};

/*
 * Lock order: kernel.lock -> mm->lock -> mm->rss->lock (rss.c; a leaf).
 * Residency sampling holds mm->lock while it injects mincore; readers of
 * another mm wait on the rss state's condition with only its lock held.
 */
struct mm_rss_state;

struct mm {
	pthread_mutex_t lock;
	int refs;
	struct platform_as *as;
	struct vma *vmas; /* sorted, non-overlapping */
	int nvmas, cap;
	uint64_t brk_base, brk_cur;
	uint64_t mmap_base, stack_top;
	uint64_t arg_start, arg_end, env_start, env_end;
	struct mm_rss_state *rss; /* residency sample (rss.c), created on first use */
};

/* VMA-set helpers shared by mm.c and vdso_map.c; mm->lock held. */
int vma_find(struct mm *mm, uint64_t addr);		/* first vma with end > addr */
int vma_reserve(struct mm *mm, int extra);		/* room for extra more vmas */
void vma_insert_at(struct mm *mm, int i, const struct vma *v);
uint64_t find_free(struct mm *mm, uint64_t len, uint64_t hint); /* 0 if none */
/* smaps (rss.c; mm->lock held): resident bytes of the VMA [start, end) in
 * the last sample, -1 if that sample has no such VMA. */
int64_t mm_rss_vma_locked(struct mm *mm, uint64_t start, uint64_t end);

#endif
