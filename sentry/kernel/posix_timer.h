#ifndef SENTRY_KERNEL_POSIX_TIMER_H
#define SENTRY_KERNEL_POSIX_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct thread_group;

/* A timer_create timer, on its process's list (kernel.lock). */
struct posix_timer {
	int id;
	clockid_t clock;
	int64_t deadline;  /* CLOCK_MONOTONIC ns; 0: disarmed */
	int64_t interval;
	int notify;        /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	int signo;
	int tid;           /* SIGEV_THREAD_ID's thread */
	uint64_t value;    /* sigev_value */
	int overrun;
	/* A CPU-time timer (timer_create on CLOCK_PROCESS_CPUTIME_ID,
	 * CLOCK_THREAD_CPUTIME_ID or a clock_getcpuclockid clock): cpu_kind
	 * 0 PROF (user+system), 1 VIRT (user), 2 SCHED (user+system), -1 for
	 * the other clocks; deadline is then the CPU time of cpu_tgid (0: the
	 * timer's own process) in ns. */
	int cpu_kind;
	int cpu_tgid;
	struct posix_timer *next;
};

/* Free every timer of tg (exec and exit). kernel.lock held. */
void posix_timers_free(struct thread_group *tg);
/* Decode a CPU-time clock id for the calling task t: kind and tgid as in
 * struct posix_timer (tgid 0: t's own process), thread set for a per-thread
 * clock. -EINVAL if c is no CPU clock or names no process (or another
 * process's thread). kernel.lock held. */
struct task;
int cpu_clock_decode(struct task *t, clockid_t c, int *kind, int *tgid, bool *thread);
/* Now on a CPU-time timer's clock (ns). kernel.lock held. */
int cpu_clock_now(struct thread_group *owner, int kind, int tgid, int64_t *now);

#endif
