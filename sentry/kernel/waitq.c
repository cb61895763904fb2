/* Wait queues and pollers: see waitq.h. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel_impl.h"
#include "kernel/waitq.h"
#include "mm/mm.h"
#include "util/log.h"

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head.prev = q->head.next = &q->head;
	q->head.func = NULL;
	q->head.priv = NULL;
	atomic_init(&q->recheck, 0);
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
	e->exclusive = false;
	e->woken = false;
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
	bool exclusive_done = false;

	pthread_mutex_lock(&q->lock);
	for (struct wait_entry *e = q->head.next, *n; e != &q->head; e = n) {
		n = e->next; /* a callback must not unlink others, but may be last */
		if (!e->exclusive) {
			e->func(e, events);
			continue;
		}
		if (exclusive_done)
			continue;
		e->woken = false;
		e->func(e, events);
		exclusive_done = e->woken;
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

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int poller_sleep(struct task *t, struct pollfd *fds, unsigned n, int64_t deadline)
{
	struct pollfd one;
	struct timespec ts, *tsp = NULL;
	sigset_t block, old, during;
	int pfd = poller_fd(), r, err;

	if (pfd < 0)
		return -ENOMEM;
	mm_rss_service(t); /* a /proc reader asked for RSS (mm/rss.c) */
	if (!fds) {
		fds = &one;
		n = 1;
	}
	fds[0] = (struct pollfd){.fd = pfd, .events = POLLIN};
	sigemptyset(&block);
	sigaddset(&block, SENTRY_INTERRUPT_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (t && task_has_pending_signal(t)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return -EINTR;
	}
	if (deadline >= 0) {
		int64_t left = deadline - mono_now();
		if (left < 0)
			left = 0;
		ts = (struct timespec){left / 1000000000LL, left % 1000000000LL};
		tsp = &ts;
	}
	during = old;
	sigdelset(&during, SENTRY_INTERRUPT_SIGNAL);
	r = ppoll(fds, n, tsp, &during);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r > 0 && fds[0].revents)
		poller_drain();
	if (t && task_has_pending_signal(t))
		return -EINTR;
	if (r < 0)
		return err == EINTR ? 0 : -ENOMEM;
	return r;
}

/* The timer service: an unsorted list (few timers are armed at once) and one
 * thread sleeping until the earliest. */
static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond;
static struct waitq_timer *timer_list;
static bool timer_started;

static void *timer_main(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&timer_lock);
	for (;;) {
		int64_t now = mono_now(), next = 0;
		for (struct waitq_timer **pp = &timer_list, *tm; (tm = *pp);) {
			if (tm->when <= now) {
				*pp = tm->next;
				tm->next = NULL;
				tm->when = 0;
				waitq_wake(tm->q, tm->events);
				continue;
			}
			if (!next || tm->when < next)
				next = tm->when;
			pp = &tm->next;
		}
		if (!next) {
			pthread_cond_wait(&timer_cond, &timer_lock);
			continue;
		}
		struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
		pthread_cond_timedwait(&timer_cond, &timer_lock, &ts);
	}
	return NULL;
}

/* timer_lock held. */
static int timer_start(void)
{
	pthread_condattr_t ca;
	pthread_attr_t a;
	pthread_t th;
	int r;

	if (timer_started)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&th, &a, timer_main, NULL);
	pthread_attr_destroy(&a);
	if (r) {
		pthread_cond_destroy(&timer_cond);
		log_warn("waitq: cannot start the timer thread: %d", r);
		return -r;
	}
	timer_started = true;
	return 0;
}

void waitq_timer_init(struct waitq_timer *tm, struct waitq *q, unsigned events)
{
	tm->next = NULL;
	tm->when = 0;
	tm->q = q;
	tm->events = events;
}

int waitq_timer_arm(struct waitq_timer *tm, int64_t when)
{
	int r;

	if (when <= 0)
		when = 1;
	pthread_mutex_lock(&timer_lock);
	r = timer_start();
	if (r == 0) {
		if (!tm->when) {
			tm->next = timer_list;
			timer_list = tm;
		}
		tm->when = when;
		pthread_cond_signal(&timer_cond);
	}
	pthread_mutex_unlock(&timer_lock);
	return r;
}

void waitq_timer_cancel(struct waitq_timer *tm)
{
	pthread_mutex_lock(&timer_lock);
	if (tm->when) {
		for (struct waitq_timer **pp = &timer_list; *pp; pp = &(*pp)->next)
			if (*pp == tm) {
				*pp = tm->next;
				break;
			}
		tm->next = NULL;
		tm->when = 0;
	}
	pthread_mutex_unlock(&timer_lock);
}
