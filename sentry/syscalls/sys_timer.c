/* POSIX per-process timers: timer_create and friends (kernel/itimer.c fires them). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/posix_timer.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define MAX_TIMERS 4096

struct guest_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid;
	int32_t pad[11];
};

struct guest_itimerspec {
	int64_t isec, insec, vsec, vnsec;
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void posix_timers_free(struct thread_group *tg)
{
	while (tg->timers) {
		struct posix_timer *pt = tg->timers;
		tg->timers = pt->next;
		free(pt);
	}
}

/* kernel.lock held */
static struct posix_timer *find(struct thread_group *tg, int id)
{
	for (struct posix_timer *pt = tg->timers; pt; pt = pt->next)
		if (pt->id == id)
			return pt;
	return NULL;
}

SYSCALL_DEFINE(timer_create)
{
	clockid_t c = (clockid_t)args->a[0];
	struct guest_sigevent ev = {.signo = SIGALRM, .notify = SIGEV_SIGNAL};
	struct posix_timer *pt;
	int32_t id = 0;

	bool cpu = c < 0 || c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID;
	if (!cpu && c != CLOCK_REALTIME && c != CLOCK_MONOTONIC && c != CLOCK_BOOTTIME &&
	    c != CLOCK_REALTIME_ALARM && c != CLOCK_BOOTTIME_ALARM && c != CLOCK_TAI)
		return -EINVAL;
	if (args->a[1]) {
		if (copy_from_user(t, &ev, args->a[1], sizeof(ev)))
			return -EFAULT;
		if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != 4)
			return -EINVAL; /* SIGEV_THREAD is the C library's business */
		if (ev.notify != SIGEV_NONE && (ev.signo <= 0 || ev.signo >= KERNEL_NSIG))
			return -EINVAL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pthread_mutex_lock(&kernel.lock);
	pt->cpu_kind = -1;
	if (cpu) {
		bool thread;
		int r = cpu_clock_decode(t, c, &pt->cpu_kind, &pt->cpu_tgid, &thread);
		if (r < 0) {
			pthread_mutex_unlock(&kernel.lock);
			free(pt);
			return r;
		}
	}
	if (ev.notify == 4) {
		struct task *x = task_lookup(ev.tid);
		if (!x || x->tg != t->tg) {
			pthread_mutex_unlock(&kernel.lock);
			free(pt);
			return -EINVAL;
		}
	}
	while (find(t->tg, id) && id < MAX_TIMERS)
		id++;
	if (id >= MAX_TIMERS) {
		pthread_mutex_unlock(&kernel.lock);
		free(pt);
		return -EAGAIN;
	}
	pt->id = id;
	pt->clock = c;
	pt->notify = ev.notify;
	pt->signo = ev.signo;
	pt->tid = ev.tid;
	pt->value = args->a[1] ? ev.value : (uint64_t)id;
	pt->next = t->tg->timers;
	t->tg->timers = pt;
	pthread_mutex_unlock(&kernel.lock);
	if (copy_to_user(t, args->a[2], &id, sizeof(id))) {
		pthread_mutex_lock(&kernel.lock);
		for (struct posix_timer **pp = &t->tg->timers; *pp; pp = &(*pp)->next)
			if (*pp == pt) {
				*pp = pt->next;
				break;
			}
		pthread_mutex_unlock(&kernel.lock);
		free(pt);
		return -EFAULT;
	}
	return 0;
}

/* Now on the timer's clock: CLOCK_MONOTONIC, where deadlines of the wall
 * clocks are kept, or its CPU clock. kernel.lock held. */
static int timer_now(struct thread_group *tg, struct posix_timer *pt, int64_t *now)
{
	if (pt->cpu_kind < 0) {
		*now = itimer_now();
		return 0;
	}
	return cpu_clock_now(tg, pt->cpu_kind, pt->cpu_tgid, now);
}

/* kernel.lock held */
static void current_value(struct thread_group *tg, struct posix_timer *pt,
			  struct guest_itimerspec *out)
{
	int64_t now = 0;
	if (pt->deadline && timer_now(tg, pt, &now) < 0)
		now = pt->deadline; /* its process is gone: it will not fire */
	int64_t left = pt->deadline ? pt->deadline - now : 0;
	if (pt->deadline && left <= 0)
		left = 1;
	out->vsec = left / 1000000000LL;
	out->vnsec = left % 1000000000LL;
	out->isec = pt->interval / 1000000000LL;
	out->insec = pt->interval % 1000000000LL;
}

SYSCALL_DEFINE(timer_settime)
{
	int id = (int)args->a[0], flags = (int)args->a[1];
	struct guest_itimerspec nv, ov;
	struct posix_timer *pt;
	const int64_t max_sec = INT64_MAX / 1000000000LL / 4;

	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (copy_from_user(t, &nv, args->a[2], sizeof(nv)))
		return -EFAULT;
	if (nv.vsec < 0 || nv.vnsec < 0 || nv.vnsec >= 1000000000 || nv.isec < 0 || nv.insec < 0 ||
	    nv.insec >= 1000000000)
		return -EINVAL;
	int64_t v = nv.vsec > max_sec ? max_sec * 1000000000LL : nv.vsec * 1000000000LL + nv.vnsec;
	int64_t iv = nv.isec > max_sec ? max_sec * 1000000000LL : nv.isec * 1000000000LL + nv.insec;
	pthread_mutex_lock(&kernel.lock);
	pt = find(t->tg, id);
	if (!pt) {
		pthread_mutex_unlock(&kernel.lock);
		return -EINVAL;
	}
	current_value(t->tg, pt, &ov);
	if (!v) {
		pt->deadline = 0;
	} else if (pt->cpu_kind >= 0) {
		int64_t now;
		if (timer_now(t->tg, pt, &now) < 0) {
			pthread_mutex_unlock(&kernel.lock);
			return -ESRCH;
		}
		int64_t d = (flags & TIMER_ABSTIME) ? v : now + v;
		pt->deadline = d > 0 ? d : 1;
	} else {
		clockid_t base = pt->clock == CLOCK_REALTIME_ALARM   ? CLOCK_REALTIME
				 : pt->clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
								     : pt->clock;
		int64_t rel = (flags & TIMER_ABSTIME) ? v - clock_ns(base) : v;
		pt->deadline = itimer_now() + (rel > 0 ? rel : 1);
	}
	pt->interval = iv;
	pt->overrun = 0;
	itimer_changed();
	pthread_mutex_unlock(&kernel.lock);
	if (args->a[3] && copy_to_user(t, args->a[3], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(timer_gettime)
{
	struct guest_itimerspec cur;
	struct posix_timer *pt;

	pthread_mutex_lock(&kernel.lock);
	pt = find(t->tg, (int)args->a[0]);
	if (pt)
		current_value(t->tg, pt, &cur);
	pthread_mutex_unlock(&kernel.lock);
	if (!pt)
		return -EINVAL;
	return copy_to_user(t, args->a[1], &cur, sizeof(cur));
}

SYSCALL_DEFINE(timer_getoverrun)
{
	long r;

	pthread_mutex_lock(&kernel.lock);
	struct posix_timer *pt = find(t->tg, (int)args->a[0]);
	r = pt ? pt->overrun : -EINVAL;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(timer_delete)
{
	int id = (int)args->a[0];
	long r = -EINVAL;

	pthread_mutex_lock(&kernel.lock);
	for (struct posix_timer **pp = &t->tg->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct posix_timer *pt = *pp;
			*pp = pt->next;
			free(pt);
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}
