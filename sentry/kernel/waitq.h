/*
 * Wait queues: how an object (pipe, eventfd, socket, tty, epoll instance,
 * timer...) tells whoever waits on it that its readiness may have changed.
 *
 * The object embeds a struct waitq, returns it from its file's ->waitq op,
 * and calls waitq_wake() after every change that can make it readable,
 * writable, hung up or in error (waking too often is harmless, missing a
 * wake is a hang). A waiter is a struct wait_entry with a callback: poll(2)
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
 */
#ifndef SENTRY_KERNEL_WAITQ_H
#define SENTRY_KERNEL_WAITQ_H

#include <pthread.h>
#include <stdbool.h>

struct wait_entry;
typedef void (*wait_func_t)(struct wait_entry *e, unsigned events);

struct wait_entry {
	struct wait_entry *prev, *next; /* NULL when not queued */
	wait_func_t func;
	void *priv; /* the waiter's */
};

struct waitq {
	pthread_mutex_t lock;
	struct wait_entry head; /* circular list sentinel */
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

#endif
