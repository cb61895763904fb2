/* Clocks and sleeping. */
#include <errno.h>
#include <time.h>

#include "kernel/kernel_impl.h"
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

/* The application's clocks. CPU-time clocks are the host's for the
 * application's own host thread or process, as the platform reports them. */
static int read_clock(struct task *t, clockid_t c, struct timespec *ts)
{
	if (!clock_valid(c))
		return -EINVAL;
	if ((c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) && t->pthr &&
	    platform->cpu_time) {
		uint64_t u, s;
		int r = platform->cpu_time(t->pthr, c == CLOCK_PROCESS_CPUTIME_ID, &u, &s);
		if (r < 0)
			return r;
		ts->tv_sec = (time_t)((u + s) / 1000000000ULL);
		ts->tv_nsec = (long)((u + s) % 1000000000ULL);
		return 0;
	}
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	if (clock_gettime(c, ts) < 0)
		return -errno;
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

	if (!clock_valid(c))
		return -EINVAL;
	if (!args->a[1])
		return 0;
	clock_getres(c == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME
			     : c == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME : c,
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

/* Sleep on the host clock; a signal for the task ends it with EINTR. */
static long do_sleep(struct task *t, clockid_t c, int flags, uint64_t req_addr, uint64_t rem_addr)
{
	struct guest_timespec g;
	struct timespec req, rem;
	int r;

	if (copy_from_user(t, &g, req_addr, sizeof(g)))
		return -EFAULT;
	if (g.tv_nsec < 0 || g.tv_nsec >= 1000000000 || g.tv_sec < 0)
		return -EINVAL;
	req.tv_sec = g.tv_sec;
	req.tv_nsec = g.tv_nsec;
	for (;;) {
		if (task_has_pending_signal(t)) {
			r = EINTR;
			rem = req;
			break;
		}
		r = clock_nanosleep(c, flags, &req, &rem);
		if (r != EINTR)
			break;
		/* Interrupted by something that is not for the application: go on. */
		if (task_has_pending_signal(t))
			break;
		if (!(flags & TIMER_ABSTIME))
			req = rem;
	}
	if (r == 0)
		return 0;
	if (r != EINTR)
		return -r;
	if (rem_addr && !(flags & TIMER_ABSTIME)) {
		g.tv_sec = rem.tv_sec;
		g.tv_nsec = rem.tv_nsec;
		if (copy_to_user(t, rem_addr, &g, sizeof(g)))
			return -EFAULT;
	}
	return -EINTR;
}

SYSCALL_DEFINE(nanosleep)
{
	return do_sleep(t, CLOCK_MONOTONIC, 0, args->a[0], args->a[1]);
}

SYSCALL_DEFINE(clock_nanosleep)
{
	clockid_t c = (clockid_t)args->a[0];
	int flags = (int)args->a[1];

	if (c == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (!clock_valid(c) || c == CLOCK_MONOTONIC_RAW || c == CLOCK_REALTIME_COARSE ||
	    c == CLOCK_MONOTONIC_COARSE)
		return -EINVAL;
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (c == CLOCK_PROCESS_CPUTIME_ID)
		return -ENOTSUP;
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	long r = do_sleep(t, c, flags, args->a[2], args->a[3]);
	return r;
}
