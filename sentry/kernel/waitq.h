/*
 * Wait queues: how an object (pipe, eventfd, socket, tty, epoll instance,
 * timer...) tells whoever waits on it that its readiness may have changed.
 *
 * The object embeds a struct waitq, returns it from its file's ->waitq op,
 * and calls waitq_wake() after every change that can make it readable,
 * writable, hung up or in error (waking too often is harmless, missing a
 * wake is a hang). Pass the events that may have appeared (POLLIN, POLLOUT,
 * POLLHUP, POLLRDHUP, POLLPRI...; 0 = anything): an epoll item that waits
 * for none of them ignores the wake, and with EPOLLET every accepted wake is
 * a new edge. A file with a queue is woken through it alone: poll and epoll
 * do not also poll its host descriptor (file_host_fd), which is polled on
 * the host only for files without a queue. The queue must live as long as
 * the file (epoll hangs entries on it from EPOLL_CTL_ADD to DEL). A waiter is a struct wait_entry with a callback: poll(2)
 * uses poller entries, which write the sleeping sentry thread's eventfd so
 * that it can sleep in one host ppoll() on host descriptors and queues at
 * once; epoll hangs a callback entry on each watched file.
 *
 * Callbacks run with the queue's lock held, so after waitq_remove() returns
 * no callback of that entry is running or will run. A callback may only take
 * other waitq locks (epoll waking its own queue) and write descriptors.
 *
 * Lock order: the object's own lock -> waitq.lock -> a callback's waitq.lock
 * (an epoll's queue; nesting is bounded by epoll's loop and depth checks).
 * kernel.lock -> a thread group's signalfd queue (signal generation wakes
 * it). The timer service's lock -> the queue a timer wakes.
 */
#ifndef SENTRY_KERNEL_WAITQ_H
#define SENTRY_KERNEL_WAITQ_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct wait_entry;
typedef void (*wait_func_t)(struct wait_entry *e, unsigned events);

struct wait_entry {
	struct wait_entry *prev, *next; /* NULL when not queued */
	wait_func_t func;
	void *priv; /* the waiter's */
	/* EPOLLEXCLUSIVE: of the exclusive entries of a queue, a wake calls
	 * them in order until one sets woken (it had someone to wake); the
	 * others are all called. wait_entry_init clears both. */
	bool exclusive;
	bool woken;
};

struct waitq {
	pthread_mutex_t lock;
	struct wait_entry head; /* circular list sentinel */
	/* > 0: some readiness behind this queue never wakes it (an epoll
	 * watching host descriptors or queue-less files), so its waiters also
	 * re-check every few ms. 0 after waitq_init. */
	atomic_int recheck;
};

void waitq_init(struct waitq *q);
void waitq_destroy(struct waitq *q); /* no entries may remain */
void wait_entry_init(struct wait_entry *e, wait_func_t func, void *priv);
void waitq_add(struct waitq *q, struct wait_entry *e);
/* Unlink e if queued (idempotent); no callback of e runs after it returns. */
void waitq_remove(struct waitq *q, struct wait_entry *e);
/* Call every entry's callback with events (POLLIN|POLLOUT|... that may now
 * hold, or 0 for "anything may have changed"). */
void waitq_wake(struct waitq *q, unsigned events);
bool waitq_empty(struct waitq *q);

/*
 * Pollers: the calling sentry thread's wake-up eventfd, created on first use
 * and closed when the thread exits. A poller entry's callback makes it
 * readable. Pattern (no lost wake-up: add, then check, then sleep):
 *
 *	struct wait_entry e;
 *	poller_entry_init(&e);
 *	waitq_add(q, &e);
 *	while (!ready()) { poll on poller_fd() and host fds; poller_drain(); }
 *	waitq_remove(q, &e);
 */
int poller_fd(void); /* >= 0, or -errno */
void poller_entry_init(struct wait_entry *e);
void poller_drain(void);

/*
 * Sleep in one host ppoll() on the calling thread's poller and fds[1..n-1]
 * (fds[0] is overwritten with the poller; fds NULL: the poller alone) until
 * one is ready, a signal for t is pending, or deadline (CLOCK_MONOTONIC ns,
 * < 0: none) passes. The interrupt signal is blocked from the signal check
 * to the ppoll, which unblocks it atomically, so task_interrupt() cannot be
 * lost in between. Drains the poller. Returns -EINTR for a signal (t
 * non-NULL), -ENOMEM if the host cannot poll (no eventfd, too many fds),
 * else the number of ready descriptors (0: timeout or a spurious wake);
 * callers re-check their condition either way.
 */
struct task;
int poller_sleep(struct task *t, struct pollfd *fds, unsigned n, int64_t deadline);

/*
 * Timers that wake a queue at a CLOCK_MONOTONIC time (timerfd expirations),
 * served by one sentry thread started on first use. A timer fires once per
 * arming; no wake of tm runs after waitq_timer_cancel() returns.
 */
struct waitq_timer {
	struct waitq_timer *next; /* timer service lock: on its list when armed */
	int64_t when;             /* timer service lock: 0 = not armed */
	struct waitq *q;
	unsigned events;
};

void waitq_timer_init(struct waitq_timer *tm, struct waitq *q, unsigned events);
/* (Re)arm at when (CLOCK_MONOTONIC ns > 0). -errno if the service cannot start. */
int waitq_timer_arm(struct waitq_timer *tm, int64_t when);
void waitq_timer_cancel(struct waitq_timer *tm);

#endif
