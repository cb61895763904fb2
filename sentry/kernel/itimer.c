/*
 * ITIMER_REAL (setitimer, alarm) and POSIX timers (timer_create): one
 * sentry thread sleeps until the earliest deadline of any process and sends
 * the signal when it passes. Deadlines are kept on CLOCK_MONOTONIC (a
 * CLOCK_REALTIME timer is converted when it is armed).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/posix_timer.h"

static pthread_cond_t timer_cond;
static bool timer_started;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct scan {
	int64_t now, earliest;
};

static void fire_posix(struct thread_group *tg, struct posix_timer *pt, struct scan *s)
{
	if (!pt->deadline)
		return;
	if (pt->deadline <= s->now) {
		int64_t n = 1;
		if (pt->interval > 0) {
			n += (s->now - pt->deadline) / pt->interval;
			pt->deadline += n * pt->interval;
		} else {
			pt->deadline = 0;
		}
		pt->overrun = (int)(n - 1 > INT32_MAX ? INT32_MAX : n - 1);
		if (pt->notify != SIGEV_NONE) {
			struct pending_siginfo pi = {.code = SI_TIMER, .pid = pt->id,
						     .uid = pt->overrun, .value = pt->value};
			struct task *target = NULL;
			if (pt->notify == 4 /* SIGEV_THREAD_ID */) {
				target = task_lookup(pt->tid);
				if (target && target->tg != tg)
					target = NULL;
			}
			if (target)
				signal_send_info(NULL, target, pt->signo, &pi);
			else
				signal_send_info(tg, NULL, pt->signo, &pi);
		}
	}
	if (pt->deadline > 0 && (s->earliest < 0 || pt->deadline < s->earliest))
		s->earliest = pt->deadline;
}

static int fire_expired(struct thread_group *tg, void *arg)
{
	struct scan *s = arg;

	if (tg->zombie)
		return 0;
	for (struct posix_timer *pt = tg->timers; pt; pt = pt->next)
		fire_posix(tg, pt, s);
	if (tg->itimer_real_deadline <= 0)
		return 0;
	if (tg->itimer_real_deadline <= s->now) {
		signal_send_tg(tg, SIGALRM);
		if (tg->itimer_real_interval > 0) {
			int64_t next = tg->itimer_real_deadline + tg->itimer_real_interval;
			if (next <= s->now) /* overruns collapse into one signal */
				next = s->now + tg->itimer_real_interval;
			tg->itimer_real_deadline = next;
		} else {
			tg->itimer_real_deadline = 0;
		}
	}
	if (tg->itimer_real_deadline > 0 &&
	    (s->earliest < 0 || tg->itimer_real_deadline < s->earliest))
		s->earliest = tg->itimer_real_deadline;
	return 0;
}

static void *timer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&kernel.lock);
	for (;;) {
		struct scan s = {mono_ns(), -1};
		kernel_for_each_tg(fire_expired, &s);
		int64_t until = s.earliest >= 0 ? s.earliest : s.now + 3600LL * 1000000000LL;
		struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
		pthread_cond_timedwait(&timer_cond, &kernel.lock, &ts);
	}
	return NULL;
}

/* A deadline changed: the timer thread re-scans. kernel.lock held. */
void itimer_changed(void)
{
	if (!timer_started) {
		pthread_condattr_t ca;
		pthread_attr_t attr;
		pthread_t th;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&timer_cond, &ca);
		pthread_condattr_destroy(&ca);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 << 10);
		if (pthread_create(&th, &attr, timer_main, NULL) == 0)
			timer_started = true;
		pthread_attr_destroy(&attr);
	}
	pthread_cond_signal(&timer_cond);
}

int64_t itimer_now(void)
{
	return mono_ns();
}
