#ifndef SENTRY_KERNEL_POSIX_TIMER_H
#define SENTRY_KERNEL_POSIX_TIMER_H

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
	struct posix_timer *next;
};

/* Free every timer of tg (exec and exit). kernel.lock held. */
void posix_timers_free(struct thread_group *tg);

#endif
