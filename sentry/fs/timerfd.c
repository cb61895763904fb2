/*
 * timerfd: expirations are counted lazily from the deadline and the
 * interval whenever the file is read or polled. While the count is zero and
 * the timer is armed, a waitq_timer (the sentry's timer thread) is set for
 * the next expiry and wakes the file's queue, where poll/epoll and blocking
 * reads sleep. Deadlines on CLOCK_REALTIME/BOOTTIME are converted to
 * CLOCK_MONOTONIC when the timer is set; if the clock is stepped, the wake
 * comes early or late, and every poll or read sets the timer again from the
 * current clocks. Lock order: lock -> timer service -> wq.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

struct tfd {
	pthread_mutex_t lock;
	clockid_t clock;
	int64_t deadline; /* absolute ns on clock; 0: disarmed */
	int64_t interval;
	uint64_t ticks;   /* expirations not yet read */
	struct waitq wq;  /* POLLIN: an expiry */
	struct waitq_timer timer;
};

static const struct file_operations timerfd_fops;

static int64_t now_on(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Count expirations up to now. lock held. */
static void tfd_update(struct tfd *t)
{
	if (!t->deadline)
		return;
	int64_t now = now_on(t->clock);
	if (now < t->deadline)
		return;
	if (t->interval > 0) {
		uint64_t n = 1 + (uint64_t)((now - t->deadline) / t->interval);
		t->ticks += n;
		t->deadline += (int64_t)n * t->interval;
	} else {
		t->ticks++;
		t->deadline = 0;
	}
}

/* The next expiry on CLOCK_MONOTONIC, for the timer service; 0 if none is
 * needed (disarmed, or expirations already counted keep the file readable).
 * lock held, after tfd_update. */
static int64_t tfd_wake_time(struct tfd *t)
{
	if (!t->deadline || t->ticks)
		return 0;
	if (t->clock == CLOCK_MONOTONIC)
		return t->deadline;
	int64_t mono = now_on(CLOCK_MONOTONIC), left = t->deadline - now_on(t->clock);
	if (left < 0)
		left = 0;
	return left > INT64_MAX - mono ? INT64_MAX : mono + left;
}

/* Set the wake-up timer to the next expiry, or cancel it. lock held. */
static void tfd_sync_timer(struct tfd *t)
{
	int64_t when = tfd_wake_time(t);

	if (when)
		waitq_timer_arm(&t->timer, when);
	else
		waitq_timer_cancel(&t->timer);
}

static ssize_t tfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct tfd *t = f->priv;
	struct task *task = task_current();
	struct wait_entry e;
	bool queued = false;
	ssize_t r;

	if (n < 8)
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&t->lock);
		tfd_update(t);
		uint64_t v = t->ticks;
		t->ticks = 0;
		tfd_sync_timer(t);
		int64_t when = tfd_wake_time(t);
		pthread_mutex_unlock(&t->lock);
		if (v) {
			memcpy(buf, &v, 8);
			r = 8;
			break;
		}
		if ((file_flags(f) & O_NONBLOCK) || !task) {
			r = -EAGAIN;
			break;
		}
		if (!queued) {
			/* Hang on the queue, then look again before sleeping. */
			poller_entry_init(&e);
			waitq_add(&t->wq, &e);
			queued = true;
			continue;
		}
		/* The expiry wakes the queue; its time bounds the sleep too. */
		int w = poller_sleep(task, NULL, 0, when ? when : -1);
		if (w < 0) {
			r = w == -EINTR ? -ERESTARTSYS : w;
			break;
		}
	}
	if (queued)
		waitq_remove(&t->wq, &e);
	return r;
}

static unsigned tfd_poll(struct file *f, unsigned events)
{
	struct tfd *t = f->priv;
	unsigned mask;

	pthread_mutex_lock(&t->lock);
	tfd_update(t);
	tfd_sync_timer(t);
	mask = t->ticks ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&t->lock);
	return mask;
}

static struct waitq *tfd_waitq(struct file *f)
{
	return &((struct tfd *)f->priv)->wq;
}

static void tfd_release(struct file *f)
{
	struct tfd *t = f->priv;

	waitq_timer_cancel(&t->timer);
	waitq_destroy(&t->wq);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct file_operations timerfd_fops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.waitq = tfd_waitq,
	.llseek = no_llseek,
	.release = tfd_release,
};

SYSCALL_DEFINE(timerfd_create)
{
	clockid_t c = (clockid_t)args->a[0];
	int flags = (int)args->a[1], fd;
	struct file *f;

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (c != CLOCK_REALTIME && c != CLOCK_MONOTONIC && c != CLOCK_BOOTTIME &&
	    c != CLOCK_REALTIME_ALARM && c != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	struct tfd *tf = calloc(1, sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	pthread_mutex_init(&tf->lock, NULL);
	waitq_init(&tf->wq);
	waitq_timer_init(&tf->timer, &tf->wq, POLLIN | POLLRDNORM);
	tf->clock = c;
	f = anon_file_new(0600, &timerfd_fops, tf, O_RDWR | (flags & TFD_NONBLOCK),
			  "anon_inode:[timerfd]");
	if (!f) {
		waitq_destroy(&tf->wq);
		pthread_mutex_destroy(&tf->lock);
		free(tf);
		return -ENOMEM;
	}
	fd = fd_install(t->fdt, f, flags & TFD_CLOEXEC, 0);
	file_put(f);
	return fd;
}

struct guest_itimerspec {
	int64_t isec, insec, vsec, vnsec;
};

static struct file *get_tfd(struct task *t, int fd, long *err)
{
	struct file *f = sys_fget(t, fd);

	*err = 0;
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->ops != &timerfd_fops) {
		file_put(f);
		*err = -EINVAL;
		return NULL;
	}
	return f;
}

/* lock held */
static void current_setting(struct tfd *tf, struct guest_itimerspec *out)
{
	int64_t left = 0;

	tfd_update(tf);
	if (tf->deadline) {
		left = tf->deadline - now_on(tf->clock);
		if (left <= 0)
			left = 1;
	}
	out->vsec = left / 1000000000LL;
	out->vnsec = left % 1000000000LL;
	out->isec = tf->interval / 1000000000LL;
	out->insec = tf->interval % 1000000000LL;
}

SYSCALL_DEFINE(timerfd_settime)
{
	int flags = (int)args->a[1];
	struct guest_itimerspec nv, ov;
	struct file *f;
	long err;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (copy_from_user(t, &nv, args->a[2], sizeof(nv)))
		return -EFAULT;
	if (nv.vnsec < 0 || nv.vnsec >= 1000000000 || nv.insec < 0 || nv.insec >= 1000000000 ||
	    nv.vsec < 0 || nv.isec < 0)
		return -EINVAL;
	f = get_tfd(t, (int)args->a[0], &err);
	if (!f)
		return err;
	struct tfd *tf = f->priv;
	pthread_mutex_lock(&tf->lock);
	current_setting(tf, &ov);
	/* Clamp far-future values (past year 2262 in ns) instead of overflowing. */
	const int64_t max_sec = INT64_MAX / 1000000000LL / 2;
	int64_t v = nv.vsec > max_sec ? max_sec * 1000000000LL : nv.vsec * 1000000000LL + nv.vnsec;
	tf->interval =
		nv.isec > max_sec ? max_sec * 1000000000LL : nv.isec * 1000000000LL + nv.insec;
	tf->ticks = 0;
	if (!v)
		tf->deadline = 0;
	else
		tf->deadline = (flags & TFD_TIMER_ABSTIME) ? (v ? v : 1) : now_on(tf->clock) + v;
	tfd_update(tf);
	tfd_sync_timer(tf);
	bool expired = tf->ticks; /* an absolute time already past */
	if (expired)
		waitq_wake(&tf->wq, POLLIN | POLLRDNORM);
	pthread_mutex_unlock(&tf->lock);
	file_put(f);
	if (args->a[3] && copy_to_user(t, args->a[3], &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(timerfd_gettime)
{
	struct guest_itimerspec ov;
	struct file *f;
	long err;

	f = get_tfd(t, (int)args->a[0], &err);
	if (!f)
		return err;
	struct tfd *tf = f->priv;
	pthread_mutex_lock(&tf->lock);
	current_setting(tf, &ov);
	pthread_mutex_unlock(&tf->lock);
	file_put(f);
	return copy_to_user(t, args->a[1], &ov, sizeof(ov));
}
