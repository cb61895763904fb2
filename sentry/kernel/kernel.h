/*
 * The kernel: global state shared by all tasks of the sandbox.
 *
 * Lock order: kernel.lock first, then mm->lock, then vfs locks. Never call
 * into the platform (which may block on the host) with kernel.lock held.
 */
#ifndef SENTRY_KERNEL_KERNEL_H
#define SENTRY_KERNEL_KERNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel/task.h"

#define KERNEL_PID_MAX 4194304

struct kernel {
	pthread_mutex_t lock;
	uint64_t boot_realtime_ns; /* CLOCK_REALTIME at boot */
	uint64_t boot_monotonic_ns;
	char hostname[65];
	char domainname[65];
	bool strace;               /* --strace */
	int init_tgid;             /* 1 */
};

extern struct kernel kernel;

/* Calls fn for every live or zombie thread group, in tgid order; kernel.lock
 * must be held. Stops early when fn returns non-zero. */
int kernel_for_each_tg(int (*fn)(struct thread_group *tg, void *arg), void *arg);
/* Find a thread group by tgid; kernel.lock must be held. */
struct thread_group *tg_lookup(int tgid);
/* Nanoseconds since the sandbox booted (CLOCK_MONOTONIC based). */
uint64_t kernel_uptime_ns(void);

#endif
