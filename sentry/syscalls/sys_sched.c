/* Resource usage, process times, priorities, scheduling policy, interval timers. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

struct guest_timeval {
	int64_t tv_sec, tv_usec;
};

struct guest_rusage {
	struct guest_timeval utime, stime;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
		msgrcv, nsignals, nvcsw, nivcsw;
};

static struct guest_timeval tv_of(uint64_t ns)
{
	return (struct guest_timeval){(int64_t)(ns / 1000000000ULL),
				      (int64_t)(ns % 1000000000ULL) / 1000};
}

/* The calling thread's (or its process's) CPU time so far. */
static void own_times(struct task *t, int process, uint64_t *u, uint64_t *s)
{
	*u = *s = 0;
	if (process) { /* with what images before an exec used (kernel/itimer.c) */
		pthread_mutex_lock(&kernel.lock);
		tg_cpu_time(t->tg, u, s);
		pthread_mutex_unlock(&kernel.lock);
		return;
	}
	if (t->pthr && platform->cpu_time)
		platform->cpu_time(t->pthr, process, u, s);
}

SYSCALL_DEFINE(getrusage)
{
	int who = (int)args->a[0];
	struct guest_rusage ru;
	uint64_t u = 0, s = 0, vsize = 0, rss = 0;

	memset(&ru, 0, sizeof(ru));
	switch (who) {
	case RUSAGE_SELF:
	case RUSAGE_THREAD:
		own_times(t, who == RUSAGE_SELF, &u, &s);
		mm_stats(t->mm, &vsize, &rss);
		ru.maxrss = (int64_t)(rss / 1024);
		break;
	case RUSAGE_CHILDREN:
		pthread_mutex_lock(&kernel.lock);
		u = t->tg->child_utime;
		s = t->tg->child_stime;
		pthread_mutex_unlock(&kernel.lock);
		break;
	default:
		return -EINVAL;
	}
	ru.utime = tv_of(u);
	ru.stime = tv_of(s);
	return copy_to_user(t, args->a[1], &ru, sizeof(ru));
}

SYSCALL_DEFINE(times)
{
	struct {
		int64_t utime, stime, cutime, cstime;
	} tms;
	uint64_t u, s;
	const uint64_t tick = 10000000ULL; /* USER_HZ 100 */

	own_times(t, 1, &u, &s);
	tms.utime = (int64_t)(u / tick);
	tms.stime = (int64_t)(s / tick);
	pthread_mutex_lock(&kernel.lock);
	tms.cutime = (int64_t)(t->tg->child_utime / tick);
	tms.cstime = (int64_t)(t->tg->child_stime / tick);
	pthread_mutex_unlock(&kernel.lock);
	if (args->a[0] && copy_to_user(t, args->a[0], &tms, sizeof(tms)))
		return -EFAULT;
	/* Clock ticks since the sandbox booted. */
	return (long)(kernel_uptime_ns() / tick);
}

/* getpriority returns 20 - nice, so that it is never negative. */
SYSCALL_DEFINE(getpriority)
{
	int which = (int)args->a[0], who = (int)args->a[1];
	long r;

	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	if (which == PRIO_PROCESS) {
		struct thread_group *tg = who == 0 ? t->tg : tg_lookup(who);
		r = tg && !tg->zombie ? 20 - tg->nice : -ESRCH;
	} else {
		r = 20 - t->tg->nice; /* groups and users: the caller's, the only we know */
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(setpriority)
{
	int which = (int)args->a[0], who = (int)args->a[1], nice = (int)args->a[2];
	long r = 0;

	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = (which != PRIO_PROCESS || who == 0) ? t->tg : tg_lookup(who);
	if (!tg || tg->zombie)
		r = -ESRCH;
	else if (nice < tg->nice && !creds_capable(&t->creds, 23 /* CAP_SYS_NICE */))
		r = -EACCES;
	else
		tg->nice = nice;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

static long check_target(struct task *t, int pid)
{
	if (pid < 0)
		return -EINVAL;
	if (pid == 0 || pid == t->tid)
		return 0;
	pthread_mutex_lock(&kernel.lock);
	struct task *x = task_lookup(pid);
	pthread_mutex_unlock(&kernel.lock);
	return x ? 0 : -ESRCH;
}

/* Every task runs SCHED_OTHER at priority 0; other policies are refused. */
SYSCALL_DEFINE(sched_getscheduler)
{
	long r = check_target(t, (int)args->a[0]);
	return r < 0 ? r : SCHED_OTHER;
}

SYSCALL_DEFINE(sched_setscheduler)
{
	int policy = (int)args->a[1];
	int32_t prio;
	long r = check_target(t, (int)args->a[0]);

	if (r < 0)
		return r;
	if (!args->a[2])
		return -EINVAL;
	if (copy_from_user(t, &prio, args->a[2], sizeof(prio)))
		return -EFAULT;
	if (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE)
		return prio == 0 ? 0 : -EINVAL;
	if (policy == SCHED_FIFO || policy == SCHED_RR)
		return prio < 1 || prio > 99 ? -EINVAL : -EPERM;
	return -EINVAL;
}

SYSCALL_DEFINE(sched_getparam)
{
	int32_t prio = 0;
	long r = check_target(t, (int)args->a[0]);

	if (r < 0)
		return r;
	if (!args->a[1])
		return -EINVAL;
	return copy_to_user(t, args->a[1], &prio, sizeof(prio));
}

SYSCALL_DEFINE(sched_setparam)
{
	int32_t prio;
	long r = check_target(t, (int)args->a[0]);

	if (r < 0)
		return r;
	if (!args->a[1])
		return -EINVAL;
	if (copy_from_user(t, &prio, args->a[1], sizeof(prio)))
		return -EFAULT;
	return prio == 0 ? 0 : -EINVAL;
}

SYSCALL_DEFINE(sched_get_priority_max)
{
	int p = (int)args->a[0];
	if (p == SCHED_FIFO || p == SCHED_RR)
		return 99;
	if (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE || p == 6 /* DEADLINE */)
		return 0;
	return -EINVAL;
}

SYSCALL_DEFINE(sched_get_priority_min)
{
	int p = (int)args->a[0];
	if (p == SCHED_FIFO || p == SCHED_RR)
		return 1;
	if (p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE || p == 6)
		return 0;
	return -EINVAL;
}

struct guest_itimerval {
	struct guest_timeval interval, value;
};

/* Saturated, as Linux's timeval_to_ktime (callers checked the signs). */
static int64_t ns_of_tv(const struct guest_timeval *tv)
{
	const int64_t max_sec = INT64_MAX / 1000000000LL / 4;

	if (tv->tv_sec > max_sec)
		return max_sec * 1000000000LL;
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

/* kernel.lock held */
static void get_real_timer(struct task *t, struct guest_itimerval *out)
{
	int64_t left = t->tg->itimer_real_deadline > 0 ? t->tg->itimer_real_deadline - itimer_now()
						      : 0;
	if (t->tg->itimer_real_deadline > 0 && left <= 0)
		left = 1000; /* about to fire */
	out->value = tv_of((uint64_t)left);
	out->interval = tv_of((uint64_t)t->tg->itimer_real_interval);
	/* A running timer never reads as zero (Linux rounds up to 1 us). */
	if (t->tg->itimer_real_deadline > 0 && !out->value.tv_sec && !out->value.tv_usec)
		out->value.tv_usec = 1;
}

SYSCALL_DEFINE(getitimer)
{
	struct guest_itimerval v;
	int which = (int)args->a[0];

	if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
		uint64_t val, iv;
		pthread_mutex_lock(&kernel.lock);
		itimer_cpu_get(t->tg, which, &val, &iv); /* kernel/itimer.c */
		pthread_mutex_unlock(&kernel.lock);
		v.value = tv_of(val);
		v.interval = tv_of(iv);
		return copy_to_user(t, args->a[1], &v, sizeof(v));
	}
	if (which != ITIMER_REAL)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	get_real_timer(t, &v);
	pthread_mutex_unlock(&kernel.lock);
	return copy_to_user(t, args->a[1], &v, sizeof(v));
}

SYSCALL_DEFINE(setitimer)
{
	struct guest_itimerval nv, ov;
	int which = (int)args->a[0];

	if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
		return -EINVAL;
	memset(&nv, 0, sizeof(nv));
	if (args->a[1] && copy_from_user(t, &nv, args->a[1], sizeof(nv)))
		return -EFAULT;
	if (nv.value.tv_sec < 0 || nv.value.tv_usec < 0 || nv.value.tv_usec >= 1000000 ||
	    nv.interval.tv_sec < 0 || nv.interval.tv_usec < 0 || nv.interval.tv_usec >= 1000000)
		return -EINVAL;
	if (which != ITIMER_REAL) {
		uint64_t oval, oiv;
		pthread_mutex_lock(&kernel.lock);
		itimer_cpu_set(t->tg, which, (uint64_t)ns_of_tv(&nv.value),
			       (uint64_t)ns_of_tv(&nv.interval), &oval, &oiv);
		pthread_mutex_unlock(&kernel.lock);
		ov.value = tv_of(oval);
		ov.interval = tv_of(oiv);
		if (args->a[2] && copy_to_user(t, args->a[2], &ov, sizeof(ov)))
			return -EFAULT;
		return 0;
	}
	pthread_mutex_lock(&kernel.lock);
	get_real_timer(t, &ov);
	int64_t v = ns_of_tv(&nv.value);
	t->tg->itimer_real_deadline = v ? itimer_now() + v : 0;
	t->tg->itimer_real_interval = ns_of_tv(&nv.interval);
	itimer_changed();
	pthread_mutex_unlock(&kernel.lock);
	if (args->a[2] && copy_to_user(t, args->a[2], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(alarm)
{
	unsigned secs = (unsigned)args->a[0];
	struct guest_itimerval ov;

	pthread_mutex_lock(&kernel.lock);
	get_real_timer(t, &ov);
	t->tg->itimer_real_deadline = secs ? itimer_now() + (int64_t)secs * 1000000000LL : 0;
	t->tg->itimer_real_interval = 0;
	itimer_changed();
	pthread_mutex_unlock(&kernel.lock);
	/* Remaining seconds, rounded to the nearest (and never 0 while armed). */
	long left = (long)ov.value.tv_sec + (ov.value.tv_usec >= 500000);
	if (!left && (ov.value.tv_usec || ov.value.tv_sec))
		left = 1;
	return left;
}
