/*
 * ITIMER_REAL (setitimer, alarm) and POSIX timers (timer_create): one
 * sentry thread sleeps until the earliest deadline of any process and sends
 * the signal when it passes. Deadlines are kept on CLOCK_MONOTONIC (a
 * CLOCK_REALTIME timer is converted when it is armed).
 *
 * CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF, timer_create on a CPU
 * clock) keep their expiry as an absolute process CPU time. The host does
 * not tell us when a process has used so much CPU, so while any is armed
 * the same thread reads the stub processes' CPU clocks every
 * CPU_TIMER_POLL_NS: such a signal comes up to that much late.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/posix_timer.h"

#define CPU_TIMER_POLL_NS 4000000LL /* 4 ms, Linux's tick at HZ=250 */

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

int tg_cpu_time(struct thread_group *tg, uint64_t *user, uint64_t *sys)
{
	if (!platform->cpu_time)
		return -ENOSYS;
	/* A live thread's platform thread names the stub process; pthr
	 * changes (exec, exit) only under kernel.lock. */
	for (struct task *x = tg->leader; x; x = x->next_in_tg) {
		if (x->exited || !x->pthr || platform->cpu_time(x->pthr, 1, user, sys) < 0)
			continue;
		*user += tg->exec_utime;
		*sys += tg->exec_stime;
		return 0;
	}
	return -ESRCH;
}

int cpu_clock_decode(struct task *t, clockid_t c, int *kind, int *tgid, bool *thread)
{
	*tgid = 0;
	*kind = 2; /* CPUCLOCK_SCHED */
	*thread = c == CLOCK_THREAD_CPUTIME_ID;
	if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID)
		return 0;
	if (c >= 0)
		return -EINVAL;
	/* make_process_cpuclock / make_thread_cpuclock: ~pid << 3 | perthread | which */
	int pid = ~(c >> 3); /* arithmetic shift, as CPUCLOCK_PID */
	*kind = (int)(c & 3);
	*thread = c & 4;
	if (*kind == 3)
		return -EINVAL; /* CLOCKFD: no dynamic clocks */
	if (pid == 0)
		return 0;
	if (*thread) {
		struct task *x = task_lookup(pid);
		if (!x || x->exited || x->tg != t->tg)
			return -EINVAL;
		return 0; /* a thread's time is its process's here */
	}
	struct thread_group *tg = tg_lookup(pid);
	if (!tg || tg->zombie || tg->tgid != pid)
		return -EINVAL;
	if (tg != t->tg)
		*tgid = pid;
	return 0;
}

int cpu_clock_now(struct thread_group *owner, int kind, int tgid, int64_t *now)
{
	struct thread_group *tg = tgid ? tg_lookup(tgid) : owner;
	uint64_t u, sy;

	if (!tg || tg->zombie)
		return -ESRCH;
	int r = tg_cpu_time(tg, &u, &sy);
	if (r < 0)
		return r;
	*now = (int64_t)(kind == 1 ? u : u + sy);
	return 0;
}

int itimer_cpu_get(struct thread_group *tg, int which, uint64_t *value, uint64_t *interval)
{
	uint64_t u = 0, sy = 0, *exp;

	if (which == ITIMER_VIRTUAL) {
		exp = &tg->itimer_virt_expires;
		*interval = tg->itimer_virt_interval;
	} else if (which == ITIMER_PROF) {
		exp = &tg->itimer_prof_expires;
		*interval = tg->itimer_prof_interval;
	} else {
		return -EINVAL;
	}
	*value = 0;
	if (!*exp)
		return 0;
	tg_cpu_time(tg, &u, &sy);
	uint64_t now = which == ITIMER_VIRTUAL ? u : u + sy;
	/* Expired but not yet signalled: one tick, as Linux. */
	*value = *exp > now ? *exp - now : (uint64_t)CPU_TIMER_POLL_NS;
	return 0;
}

int itimer_cpu_set(struct thread_group *tg, int which, uint64_t value, uint64_t interval,
		   uint64_t *ovalue, uint64_t *ointerval)
{
	uint64_t u = 0, sy = 0;
	int r = itimer_cpu_get(tg, which, ovalue, ointerval);

	if (r < 0)
		return r;
	/* Linux adds a tick to a CPU itimer's first period (set_cpu_itimer). */
	if (value) {
		tg_cpu_time(tg, &u, &sy);
		value += CPU_TIMER_POLL_NS;
	}
	if (which == ITIMER_VIRTUAL) {
		tg->itimer_virt_expires = value ? value + u : 0;
		tg->itimer_virt_interval = interval;
	} else {
		tg->itimer_prof_expires = value ? value + u + sy : 0;
		tg->itimer_prof_interval = interval;
	}
	itimer_changed();
	return 0;
}

/* now: the timer's clock (CLOCK_MONOTONIC, or its CPU clock). */
static void fire_posix(struct thread_group *tg, struct posix_timer *pt, int64_t now, struct scan *s)
{
	if (!pt->deadline)
		return;
	if (pt->deadline <= now) {
		int64_t n = 1;
		if (pt->interval > 0) {
			n += (now - pt->deadline) / pt->interval;
			pt->deadline += n * pt->interval;
		} else {
			pt->deadline = 0;
		}
		pt->overrun = (int)(n - 1 > INT32_MAX ? INT32_MAX : n - 1);
		if (pt->notify != SIGEV_NONE) {
			struct pending_siginfo pi = {.code = SI_TIMER,
						     .pid = pt->id,
						     .uid = pt->overrun,
						     .value = pt->value};
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
	if (pt->deadline <= 0)
		return;
	int64_t next = pt->cpu_kind >= 0 ? s->now + CPU_TIMER_POLL_NS : pt->deadline;
	if (s->earliest < 0 || next < s->earliest)
		s->earliest = next;
}

/* ITIMER_VIRTUAL/PROF at CPU time now (check_cpu_itimer). */
static void fire_cpu_itimer(struct thread_group *tg, uint64_t *expires, uint64_t interval,
			    uint64_t now, int sig, struct scan *s)
{
	if (!*expires)
		return;
	if (now >= *expires) {
		*expires = interval ? *expires + interval : 0;
		signal_send_tg(tg, sig);
	}
	if (*expires && (s->earliest < 0 || s->now + CPU_TIMER_POLL_NS < s->earliest))
		s->earliest = s->now + CPU_TIMER_POLL_NS;
}

static int fire_expired(struct thread_group *tg, void *arg)
{
	struct scan *s = arg;

	if (tg->zombie)
		return 0;
	for (struct posix_timer *pt = tg->timers; pt; pt = pt->next) {
		int64_t now = s->now;
		if (pt->cpu_kind >= 0 && pt->deadline &&
		    cpu_clock_now(tg, pt->cpu_kind, pt->cpu_tgid, &now) < 0) {
			/* Its process is gone: the timer never fires again. */
			continue;
		}
		fire_posix(tg, pt, now, s);
	}
	if (tg->itimer_virt_expires || tg->itimer_prof_expires) {
		uint64_t u, sy;
		if (tg_cpu_time(tg, &u, &sy) == 0) {
			fire_cpu_itimer(tg, &tg->itimer_virt_expires, tg->itimer_virt_interval, u,
					SIGVTALRM, s);
			fire_cpu_itimer(tg, &tg->itimer_prof_expires, tg->itimer_prof_interval,
					u + sy, SIGPROF, s);
		}
	}
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
