/*
 * eventfd: a 64-bit counter file (eventfd(2)), with semaphore mode.
 *
 * Blocking reads and writes sleep on the condition variable (which
 * task_interrupt() wakes for a signal); poll/epoll on the wait queue, woken
 * with POLLIN by a write and POLLOUT by a read. Lock order: lock -> wq.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/task.h"
#include "kernel/waitq.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define EVENTFD_MAX 0xfffffffffffffffeULL

struct eventfd {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct waitq wq;
	uint64_t count;
	bool semaphore;
};

static ssize_t efd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int r;

	if (n < 8)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	while (e->count == 0) {
		if (file_flags(f) & O_NONBLOCK) {
			pthread_mutex_unlock(&e->lock);
			return -EAGAIN;
		}
		if ((r = task_cond_wait(&e->cond, &e->lock)) < 0) {
			pthread_mutex_unlock(&e->lock);
			return r;
		}
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	pthread_cond_broadcast(&e->cond);
	waitq_wake(&e->wq, POLLOUT | POLLWRNORM);
	pthread_mutex_unlock(&e->lock);
	memcpy(buf, &v, 8);
	return 8;
}

static ssize_t efd_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int r;

	if (n < 8)
		return -EINVAL;
	memcpy(&v, buf, 8);
	if (v == UINT64_MAX)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	while (EVENTFD_MAX - e->count < v) {
		if (file_flags(f) & O_NONBLOCK) {
			pthread_mutex_unlock(&e->lock);
			return -EAGAIN;
		}
		if ((r = task_cond_wait(&e->cond, &e->lock)) < 0) {
			pthread_mutex_unlock(&e->lock);
			return r;
		}
	}
	e->count += v;
	pthread_cond_broadcast(&e->cond);
	waitq_wake(&e->wq, POLLIN | POLLRDNORM);
	pthread_mutex_unlock(&e->lock);
	return 8;
}

static unsigned efd_poll(struct file *f, unsigned events)
{
	struct eventfd *e = f->priv;
	unsigned mask = 0;

	pthread_mutex_lock(&e->lock);
	if (e->count > 0)
		mask |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX)
		mask |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&e->lock);
	return mask;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = f->priv;

	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	waitq_destroy(&e->wq);
	free(e);
}

static struct waitq *efd_waitq(struct file *f)
{
	return &((struct eventfd *)f->priv)->wq;
}

static const struct file_operations eventfd_fops = {
	.read = efd_read,
	.write = efd_write,
	.llseek = no_llseek,
	.poll = efd_poll,
	.waitq = efd_waitq,
	.release = efd_release,
};

static long do_eventfd(struct task *t, unsigned initval, int flags)
{
	struct eventfd *e;
	struct file *f;
	int fd;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	waitq_init(&e->wq);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	f = anon_file_new(0600, &eventfd_fops, e, O_RDWR | (flags & EFD_NONBLOCK),
			  "anon_inode:[eventfd]");
	if (!f) {
		efd_release(&(struct file){.priv = e});
		return -ENOMEM;
	}
	fd = fd_install(t->fdt, f, flags & EFD_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(eventfd)
{
	return do_eventfd(t, (unsigned)args->a[0], 0);
}

SYSCALL_DEFINE(eventfd2)
{
	return do_eventfd(t, (unsigned)args->a[0], (int)args->a[1]);
}
