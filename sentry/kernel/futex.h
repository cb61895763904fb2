/*
 * Futexes. A FUTEX_PRIVATE_FLAG futex, or one in private memory, is keyed by
 * (address space, address); one in MAP_SHARED memory by the shared object
 * (file device and inode, or the shared anonymous region) and the offset,
 * so processes sharing the memory meet on it (mm_futex_key).
 *
 * Lock order: futex_lock is a leaf (nothing is taken while holding it but
 * application memory reads).
 */
#ifndef SENTRY_KERNEL_FUTEX_H
#define SENTRY_KERNEL_FUTEX_H

#include <stdint.h>

struct task;
struct mm;

/* Wake up to n waiters on (mm, addr) whose bitset meets bitset. */
int futex_wake(struct mm *mm, uint64_t addr, int n, uint32_t bitset);
/* Walk an exiting thread's robust list: its held futexes become owner-died. */
void futex_exit_robust_list(struct task *t, struct mm *mm);

#endif
