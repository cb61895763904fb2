/* Wait queues and pollers: see waitq.h. */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/waitq.h"

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head.prev = q->head.next = &q->head;
	q->head.func = NULL;
	q->head.priv = NULL;
}

void waitq_destroy(struct waitq *q)
{
	pthread_mutex_destroy(&q->lock);
}

void wait_entry_init(struct wait_entry *e, wait_func_t func, void *priv)
{
	e->prev = e->next = NULL;
	e->func = func;
	e->priv = priv;
}

void waitq_add(struct waitq *q, struct wait_entry *e)
{
	pthread_mutex_lock(&q->lock);
	if (!e->next) {
		e->next = &q->head;
		e->prev = q->head.prev;
		q->head.prev->next = e;
		q->head.prev = e;
	}
	pthread_mutex_unlock(&q->lock);
}

void waitq_remove(struct waitq *q, struct wait_entry *e)
{
	pthread_mutex_lock(&q->lock);
	if (e->next) {
		e->prev->next = e->next;
		e->next->prev = e->prev;
		e->prev = e->next = NULL;
	}
	pthread_mutex_unlock(&q->lock);
}

void waitq_wake(struct waitq *q, unsigned events)
{
	pthread_mutex_lock(&q->lock);
	for (struct wait_entry *e = q->head.next, *n; e != &q->head; e = n) {
		n = e->next; /* a callback must not unlink others, but may be last */
		e->func(e, events);
	}
	pthread_mutex_unlock(&q->lock);
}

bool waitq_empty(struct waitq *q)
{
	pthread_mutex_lock(&q->lock);
	bool empty = q->head.next == &q->head;
	pthread_mutex_unlock(&q->lock);
	return empty;
}

/* One eventfd per sentry thread, closed by the key's destructor. */
static pthread_key_t poller_key;
static pthread_once_t poller_once = PTHREAD_ONCE_INIT;
static __thread int poller_efd = -1;

static void poller_close(void *p)
{
	(void)p;
	if (poller_efd >= 0)
		close(poller_efd);
	poller_efd = -1;
}

static void poller_key_init(void)
{
	pthread_key_create(&poller_key, poller_close);
}

int poller_fd(void)
{
	if (poller_efd >= 0)
		return poller_efd;
	pthread_once(&poller_once, poller_key_init);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	poller_efd = fd;
	pthread_setspecific(poller_key, (void *)1);
	return fd;
}

static void poller_wake(struct wait_entry *e, unsigned events)
{
	(void)events;
	uint64_t one = 1;
	int fd = (int)(intptr_t)e->priv;
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so it is readable anyway. */
	}
}

void poller_entry_init(struct wait_entry *e)
{
	wait_entry_init(e, poller_wake, (void *)(intptr_t)poller_fd());
}

void poller_drain(void)
{
	uint64_t v;
	if (poller_efd >= 0 && read(poller_efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing pending. */
	}
}
