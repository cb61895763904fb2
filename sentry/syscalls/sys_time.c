/* Clocks and sleeping. */
#include <errno.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/posix_timer.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

struct guest_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct guest_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

static bool clock_valid(clockid_t c)
{
	switch (c) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return true;
	default:
		return false;
	}
}

static bool is_cpu_clock(clockid_t c)
{
	return c < 0 || c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID;
}

/* A CPU-time clock (CLOCK_*_CPUTIME_ID or a clock_getcpuclockid /
 * pthread_getcpuclockid one) in ns: the host's CPU clocks of the stub
 * process, plus what earlier images used. The calling thread's own clock
 * is its host thread's (platform cpu_time of its own thread); another
 * thread's is its process's. */
static int read_cpu_clock(struct task *t, clockid_t c, int64_t *now)
{
	int kind, tgid, r;
	bool thread, own = false;

	pthread_mutex_lock(&kernel.lock);
	r = cpu_clock_decode(t, c, &kind, &tgid, &thread);
	if (r == 0 && thread)
		own = c == CLOCK_THREAD_CPUTIME_ID || ~(c >> 3) == 0 || ~(c >> 3) == t->tid;
	if (r == 0 && !own)
		r = cpu_clock_now(t->tg, kind, tgid, now) < 0 ? -EINVAL : 0;
	pthread_mutex_unlock(&kernel.lock);
	if (own) {
		uint64_t u, s;
		if (t->pthr && platform->cpu_time && platform->cpu_time(t->pthr, 0, &u, &s) == 0) {
			*now = (int64_t)(kind == 1 /* VIRT */ ? u : u + s);
			return 0;
		}
		pthread_mutex_lock(&kernel.lock);
		r = cpu_clock_now(t->tg, kind, tgid, now) < 0 ? -EINVAL : 0;
		pthread_mutex_unlock(&kernel.lock);
	}
	return r;
}

/* The application's clocks, in ns. */
static int read_clock_ns(struct task *t, clockid_t c, int64_t *now)
{
	struct timespec ts;

	if (is_cpu_clock(c))
		return read_cpu_clock(t, c, now);
	if (!clock_valid(c))
		return -EINVAL;
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	if (clock_gettime(c, &ts) < 0)
		return -errno;
	*now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return 0;
}

static int read_clock(struct task *t, clockid_t c, struct timespec *ts)
{
	int64_t now;
	int r = read_clock_ns(t, c, &now);

	if (r < 0)
		return r;
	ts->tv_sec = (time_t)(now / 1000000000LL);
	ts->tv_nsec = (long)(now % 1000000000LL);
	return 0;
}

SYSCALL_DEFINE(clock_gettime)
{
	struct timespec ts;
	int r = read_clock(t, (clockid_t)args->a[0], &ts);
	if (r < 0)
		return r;
	struct guest_timespec g = {ts.tv_sec, ts.tv_nsec};
	return copy_to_user(t, args->a[1], &g, sizeof(g));
}

SYSCALL_DEFINE(clock_getres)
{
	struct timespec ts;
	clockid_t c = (clockid_t)args->a[0];

	if (is_cpu_clock(c)) {
		int64_t now;
		int r = read_cpu_clock(t, c, &now);
		if (r < 0)
			return r;
		struct guest_timespec g = {0, 1}; /* as Linux's CPU clocks */
		return args->a[1] ? copy_to_user(t, args->a[1], &g, sizeof(g)) : 0;
	}
	if (!clock_valid(c))
		return -EINVAL;
	if (!args->a[1])
		return 0;
	clock_getres(c == CLOCK_REALTIME_ALARM	 ? CLOCK_REALTIME
		     : c == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
						 : c,
		     &ts);
	struct guest_timespec g = {ts.tv_sec, ts.tv_nsec};
	return copy_to_user(t, args->a[1], &g, sizeof(g));
}

SYSCALL_DEFINE(gettimeofday)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (args->a[0]) {
		struct guest_timeval tv = {ts.tv_sec, ts.tv_nsec / 1000};
		if (copy_to_user(t, args->a[0], &tv, sizeof(tv)))
			return -EFAULT;
	}
	if (args->a[1]) {
		int32_t tz[2] = {0, 0};
		if (copy_to_user(t, args->a[1], tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(time)
{
	int64_t now = (int64_t)time(NULL);

	if (args->a[0] && copy_to_user(t, args->a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

static long sleep_restart(struct task *t);

/* How often a sleep on a CPU-time clock looks at it: the host cannot wake
 * us when a process has used so much CPU. */
#define CPU_SLEEP_POLL_NS 4000000LL

/*
 * Sleep until clock c reaches the absolute deadline (ns). 0 when it
 * passes; -EINTR as soon as the task has a signal to take or its process
 * is stopped (Linux's sleeps end at a stop too, and resume after SIGCONT
 * through restart_syscall).
 */
static int sleep_until(struct task *t, clockid_t c, int64_t deadline)
{
	bool cpu = is_cpu_clock(c);

	for (;;) {
		int64_t now;
		if (task_has_pending_signal(t) || t->tg->stopped)
			return -EINTR;
		mm_rss_service(t); /* a /proc reader asked for RSS (mm/rss.c) */
		int r = read_clock_ns(t, c, &now);
		if (r < 0)
			return r;
		if (now >= deadline)
			return 0;
		/* task_interrupt's host signal ends the host sleep at once; the
		 * slice covers an interruption that came just before it. */
		if (cpu) {
			struct timespec ts = {0, CPU_SLEEP_POLL_NS};
			nanosleep(&ts, NULL);
			continue;
		}
		int64_t until = deadline - now > 20000000LL ? now + 20000000LL : deadline;
		struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
		clock_nanosleep(c, TIMER_ABSTIME, &ts, NULL);
	}
}

/* A relative sleep was interrupted: rem gets what is left, and the call
 * resumes through restart_syscall unless a handler runs (then EINTR). */
static long sleep_interrupted(struct task *t, clockid_t c, int64_t deadline, uint64_t rem_addr)
{
	if (rem_addr) {
		int64_t left = 0;
		if (read_clock_ns(t, c, &left) == 0)
			left = deadline - left;
		if (left < 0)
			left = 0;
		struct guest_timespec g = {left / 1000000000LL, left % 1000000000LL};
		if (copy_to_user(t, rem_addr, &g, sizeof(g)))
			return -EFAULT;
	}
	t->restart.deadline = deadline;
	t->restart.clock = c;
	t->restart.arg[0] = rem_addr;
	t->restart.fn = sleep_restart;
	return -ERESTART_RESTARTBLOCK;
}

/* restart_syscall of nanosleep / relative clock_nanosleep (Linux's
 * hrtimer_nanosleep_restart: the same absolute expiry). */
static long sleep_restart(struct task *t)
{
	clockid_t c = t->restart.clock;
	int64_t deadline = t->restart.deadline;
	uint64_t rem_addr = t->restart.arg[0];

	int r = sleep_until(t, c, deadline);
	if (r != -EINTR)
		return r;
	return sleep_interrupted(t, c, deadline, rem_addr);
}

/* nanosleep / clock_nanosleep on a host clock. An absolute sleep is
 * restarted as it was (ERESTARTNOHAND); a relative one through
 * restart_syscall with the time left. */
static long do_sleep(struct task *t, clockid_t c, int flags, uint64_t req_addr, uint64_t rem_addr)
{
	struct guest_timespec g;
	int64_t deadline = 0;

	if (copy_from_user(t, &g, req_addr, sizeof(g)))
		return -EFAULT;
	if (g.tv_nsec < 0 || g.tv_nsec >= 1000000000 || g.tv_sec < 0)
		return -EINVAL;
	const int64_t max_sec = INT64_MAX / 1000000000LL / 4;
	int64_t ns =
	    g.tv_sec > max_sec ? max_sec * 1000000000LL : g.tv_sec * 1000000000LL + g.tv_nsec;
	if (flags & TIMER_ABSTIME) {
		deadline = ns;
	} else {
		int r = read_clock_ns(t, c, &deadline);
		if (r < 0)
			return r;
		deadline += ns;
	}
	int r = sleep_until(t, c, deadline);
	if (r != -EINTR)
		return r;
	if (flags & TIMER_ABSTIME)
		return -ERESTARTNOHAND;
	return sleep_interrupted(t, c, deadline, rem_addr);
}

SYSCALL_DEFINE(nanosleep)
{
	return do_sleep(t, CLOCK_MONOTONIC, 0, args->a[0], args->a[1]);
}

SYSCALL_DEFINE(clock_nanosleep)
{
	clockid_t c = (clockid_t)args->a[0];
	int flags = (int)args->a[1];

	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (is_cpu_clock(c)) {
		/* Linux: a thread's own CPU clock cannot be slept on; a
		 * process's can (here by polling it). */
		int kind, tgid, r;
		bool thread;
		pthread_mutex_lock(&kernel.lock);
		r = cpu_clock_decode(t, c, &kind, &tgid, &thread);
		pthread_mutex_unlock(&kernel.lock);
		if (r < 0 || thread)
			return -EINVAL;
		return do_sleep(t, c, flags, args->a[2], args->a[3]);
	}
	if (!clock_valid(c) || c == CLOCK_MONOTONIC_RAW || c == CLOCK_REALTIME_COARSE ||
	    c == CLOCK_MONOTONIC_COARSE)
		return -EINVAL;
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	return do_sleep(t, c, flags, args->a[2], args->a[3]);
}
