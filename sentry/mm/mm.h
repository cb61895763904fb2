/*
 * Address spaces as the sandbox sees them.
 *
 * The sentry's VMA set is the truth (for /proc/PID/maps, brk, mremap, MAP_FIXED
 * checks and limits); every change is mirrored into the platform's address
 * space with a host mapping.
 *
 * Lock order: mm->lock is taken after kernel.lock and before any vfs lock.
 */
#ifndef SENTRY_MM_MM_H
#define SENTRY_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct file;
struct mm;
struct platform_thread;

/* Create an empty address space (a new platform address space with one
 * thread, returned in *thr, owned by the calling sentry thread). */
int mm_new(struct mm **out, struct platform_thread **thr);
/* fork: a copy-on-write copy of mm (VMA set and host memory) whose one host
 * thread waits for mm_adopt_thread; *tid names it. */
int mm_fork(struct mm *mm, struct mm **child, pid_t *tid);
/* A new host thread in mm (for CLONE_VM), waiting for mm_adopt_thread. */
int mm_spawn_thread(struct mm *mm, pid_t *tid);
/* On the sentry thread that will run it: take the waiting host thread. */
int mm_adopt_thread(struct mm *mm, pid_t tid, struct platform_thread **thr);
int mm_users(struct mm *mm);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/* mmap semantics (prot/flags as in mmap(2), guest values). file may be NULL
 * for anonymous mappings; the mm takes its own reference. Returns the address
 * or -errno. */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct file *file,
	     uint64_t off);
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old, uint64_t oldlen, uint64_t newlen, int flags,
	       uint64_t new_addr);
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
long mm_brk(struct mm *mm, uint64_t brk);
/* mincore(2): residency of [addr, addr+len) written to vec in the address space. */
int mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint64_t vec);
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);

/* Map [vvar] and [vdso] (sentry/vdso/vdso.h) into a fresh address space at
 * exec. Returns the vDSO's address (AT_SYSINFO_EHDR), 0 when the sandbox has
 * no vDSO, or -errno. (mm/vdso_map.c) */
long mm_map_vdso(struct mm *mm);

/* Layout set by the loader. */
void mm_set_brk_base(struct mm *mm, uint64_t base);
/* Top of the area where the loader puts the stack; mmap allocates below it. */
uint64_t mm_stack_top(struct mm *mm);
void mm_set_mmap_base(struct mm *mm, uint64_t base);
/* Remembered for /proc/PID/{cmdline,environ,stat}. */
void mm_set_args(struct mm *mm, uint64_t arg_start, uint64_t arg_end, uint64_t env_start,
		 uint64_t env_end);
void mm_get_args(struct mm *mm, uint64_t *arg_start, uint64_t *arg_end, uint64_t *env_start,
		 uint64_t *env_end);

/* Copy between the sentry and an address space. 0 or -EFAULT. */
/* Is [addr, addr+len) all mapped readable (write: writable) in the VMA
 * set? A check before consuming data a copy could then lose; the copy
 * itself still reports EFAULT (another thread may unmap meanwhile). */
bool mm_range_ok(struct mm *mm, uint64_t addr, uint64_t len, bool write);
int mm_read(struct mm *mm, void *dst, uint64_t src, size_t n);
int mm_write(struct mm *mm, uint64_t dst, const void *src, size_t n);
/* Bytes copied before the first fault (for read/write syscalls' partial I/O). */
ssize_t mm_read_partial(struct mm *mm, void *dst, uint64_t src, size_t n);
ssize_t mm_write_partial(struct mm *mm, uint64_t dst, const void *src, size_t n);

/* Render /proc/PID/maps into a malloc'd string (*len set). NULL on ENOMEM. */
char *mm_render_maps(struct mm *mm, size_t *len);
/* /proc/PID/smaps: maps with a block of figures per mapping. */
char *mm_render_smaps(struct mm *mm, size_t *len);
/* Mapped and resident bytes: the last residency sample (mm/rss.c), taken
 * now if it is missing or stale and the caller is a task of mm; else the
 * mapped size if the mm was never sampled. Never waits for another task. */
void mm_stats(struct mm *mm, uint64_t *vsize, uint64_t *rss_estimate);

/*
 * Resident set from residency samples (mm/rss.c; docs/kernel.md). A reader of
 * another process's figures calls mm_rss_request() under kernel.lock (t: a
 * live task of mm, kicked to take the sample), drops the lock, then calls
 * mm_rss_get(), which waits up to ~250 ms for that sample; a reader in mm
 * itself just calls mm_rss_get(), which samples at once.
 */
struct mm_rss_info {
	uint64_t vsize;              /* mapped bytes */
	uint64_t rss;                /* resident bytes: anon + file + shmem */
	uint64_t anon, file, shmem;  /* by VMA kind (RssAnon, RssFile, RssShmem) */
	uint64_t hwm;                /* highest rss sampled (VmHWM) */
	bool sampled;                /* false: never sampled, rss = anon = vsize (a bound) */
};
void mm_rss_request(struct mm *mm, struct task *t);
/* No kernel.lock, no mm->lock held. */
void mm_rss_get(struct mm *mm, struct mm_rss_info *out);
/* Hooks for the sentry thread of task t (t == task_current()), holding no
 * lock: at each stop of the run loop and in the sleep loops. Takes the sample
 * a reader asked for; nothing when nobody asked. mm_rss_pending() is the
 * cheap check, for sleep loops that must drop a lock first. */
void mm_rss_service(struct task *t);
bool mm_rss_pending(struct mm *mm);
/* mm_put: free the sample state. */
void mm_rss_release(struct mm *mm);

/* What a futex at addr is keyed by: the address space and address for
 * private memory; the shared object and offset for MAP_SHARED memory, so
 * that processes sharing it meet on the same key. -EFAULT if unmapped. */
struct futex_key {
	int kind; /* 0 private, 1 file, 2 shared anonymous */
	uint64_t x, y, z;
};
int mm_futex_key(struct mm *mm, uint64_t addr, bool private_, struct futex_key *key);

/* The task's own address space, for syscall handlers. */
int copy_from_user(struct task *t, void *dst, uint64_t src, size_t n);
int copy_to_user(struct task *t, uint64_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most size-1 bytes. Returns its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL is found within size bytes. */
long strncpy_from_user(struct task *t, char *dst, uint64_t src, size_t size);

#endif
