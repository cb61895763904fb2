/*
 * Pipes: a ring buffer in the sentry shared by a read end and a write end.
 *
 * Linux's semantics: writes of at most PIPE_BUF bytes are atomic, a read
 * with no writers left returns 0, a write with no readers left fails with
 * EPIPE (the dispatcher raises SIGPIPE), O_NONBLOCK gives EAGAIN, and a
 * signal for the task ends a wait (ERESTARTSYS, or the bytes already moved).
 *
 * Blocking reads and writes sleep on the pipe's condition variable, which
 * task_interrupt() wakes for a signal. poll/epoll sleep on the pipe's wait
 * queue (kernel/waitq.h), woken with the events that may have appeared:
 * POLLIN by a write, POLLOUT by a read or a resize, everything when an end
 * opens or closes. Lock order: pipe lock -> its wait queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/task.h"
#include "kernel/waitq.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define PIPE_BUF_ 4096
#define PIPE_DEFAULT_SIZE (16 * 4096)

struct pipe {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* any change: data, space, an end opened or closed */
	struct waitq wq;     /* the same changes, for poll/epoll */
	char *buf;
	size_t cap, head, len;
	int readers, writers;
	unsigned r_opens, w_opens; /* FIFO: opens so far, for fifo_open's waits */
	atomic_int refs;
};

static void pipe_put(struct pipe *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	waitq_destroy(&p->wq);
	free(p->buf);
	free(p);
}

#define PIPE_IN (POLLIN | POLLRDNORM)
#define PIPE_OUT (POLLOUT | POLLWRNORM)
#define PIPE_ALL (PIPE_IN | PIPE_OUT | POLLHUP | POLLERR)

/* Wake blocked readers/writers and pollers. lock held. */
static void pipe_changed(struct pipe *p, unsigned events)
{
	pthread_cond_broadcast(&p->cond);
	waitq_wake(&p->wq, events);
}

static ssize_t pipe_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	int r;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0)
			goto out;
		if (file_flags(f) & O_NONBLOCK) {
			pthread_mutex_unlock(&p->lock);
			return -EAGAIN;
		}
		if ((r = task_cond_wait(&p->cond, &p->lock)) < 0) {
			pthread_mutex_unlock(&p->lock);
			return r;
		}
	}
	while (done < n && p->len > 0) {
		size_t chunk = p->cap - p->head;
		if (chunk > p->len)
			chunk = p->len;
		if (chunk > n - done)
			chunk = n - done;
		memcpy((char *)buf + done, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % p->cap;
		p->len -= chunk;
		done += chunk;
	}
	pipe_changed(p, PIPE_OUT);
out:
	pthread_mutex_unlock(&p->lock);
	return (ssize_t)done;
}

static void put_bytes(struct pipe *p, const char *src, size_t n)
{
	size_t tail = (p->head + p->len) % p->cap;
	size_t first = p->cap - tail < n ? p->cap - tail : n;

	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct pipe *p = f->priv;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	size_t done = 0;
	int r = 0;

	if (n == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (done < n) {
		if (p->readers == 0) {
			r = -EPIPE;
			break;
		}
		size_t space = p->cap - p->len;
		size_t want = n - done;
		/* Up to PIPE_BUF bytes go in at once or not at all. */
		if (space >= want || (want > PIPE_BUF_ && space > 0)) {
			size_t k = space < want ? space : want;
			put_bytes(p, (const char *)buf + done, k);
			done += k;
			pipe_changed(p, PIPE_IN);
			continue;
		}
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		if ((r = task_cond_wait(&p->cond, &p->lock)) < 0)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	if (done > 0)
		return (ssize_t)done;
	return r;
}

static unsigned pipe_poll(struct file *f, unsigned events)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;
	int acc = file_flags(f) & O_ACCMODE;

	pthread_mutex_lock(&p->lock);
	if (acc != O_WRONLY) {
		if (p->len > 0)
			mask |= POLLIN | POLLRDNORM;
		if (p->writers == 0)
			mask |= POLLHUP;
	}
	if (acc != O_RDONLY) {
		if (p->cap - p->len >= PIPE_BUF_)
			mask |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			mask |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static struct waitq *pipe_waitq(struct file *f)
{
	return &((struct pipe *)f->priv)->wq;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->priv;

	if (cmd == FIONREAD) {
		pthread_mutex_lock(&p->lock);
		int n = (int)p->len;
		pthread_mutex_unlock(&p->lock);
		return copy_to_user(t, arg, &n, sizeof(n));
	}
	return -ENOTTY;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	int acc = file_flags(f) & O_ACCMODE;

	pthread_mutex_lock(&p->lock);
	if (acc != O_WRONLY)
		p->readers--;
	if (acc != O_RDONLY)
		p->writers--;
	if (p->readers == 0 && p->writers == 0)
		p->len = 0; /* a FIFO's data goes with its last open end */
	pipe_changed(p, PIPE_ALL);
	pthread_mutex_unlock(&p->lock);
	pipe_put(p);
}

/* Opening /proc/PID/fd/N of a pipe: another end on the same pipe (Linux's
 * fifo_open), reading, writing or both as the open asks. */
static int pipe_reopen(struct file *old, struct file *nf, int flags)
{
	struct pipe *p = old->priv;
	int acc = flags & O_ACCMODE;

	pthread_mutex_lock(&p->lock);
	if (acc != O_WRONLY)
		p->readers++;
	if (acc != O_RDONLY)
		p->writers++;
	pipe_changed(p, 0);
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_add(&p->refs, 1);
	nf->priv = p;
	return 0;
}

static const struct file_operations pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.llseek = no_llseek,
	.poll = pipe_poll,
	.waitq = pipe_waitq,
	.ioctl = pipe_ioctl,
	.reopen = pipe_reopen,
	.release = pipe_release,
};

/* F_GETPIPE_SZ / F_SETPIPE_SZ; -EBADF when f is no pipe. */
long pipe_fcntl(struct file *f, int cmd, uint64_t arg)
{
	struct pipe *p = f->priv;
	long r;

	if (f->ops != &pipe_fops)
		return -EBADF;
	if (cmd == F_GETPIPE_SZ) {
		pthread_mutex_lock(&p->lock);
		r = (long)p->cap;
		pthread_mutex_unlock(&p->lock);
		return r;
	}
	/* Rounded up to a power-of-two number of pages, at least one page;
	 * beyond pipe-max-size (1 MiB) only with CAP_SYS_RESOURCE. */
	if (arg > (1ULL << 31))
		return -EINVAL;
	size_t size = 4096;
	while (size < arg)
		size <<= 1;
	struct task *t = task_current();
	if (size > (1 << 20) && !(t && creds_capable(&t->creds, 24 /* CAP_SYS_RESOURCE */)))
		return -EPERM;
	pthread_mutex_lock(&p->lock);
	if (p->len > size) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	char *nb = malloc(size);
	if (!nb) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->len; i++)
		nb[i] = p->buf[(p->head + i) % p->cap];
	free(p->buf);
	p->buf = nb;
	p->cap = size;
	p->head = 0;
	pipe_changed(p, PIPE_OUT);
	pthread_mutex_unlock(&p->lock);
	return (long)size;
}

/*
 * tee(2): copy up to len bytes from the pipe of in to the pipe of out
 * without consuming them. Waits for data unless nonblock; -EINVAL unless
 * both are pipes.
 */
long pipe_tee(struct file *in, struct file *out, size_t len, bool nonblock)
{
	struct pipe *p = in->priv;
	char *buf;
	size_t n;
	int r;

	if (in->ops != &pipe_fops || out->ops != &pipe_fops || in->priv == out->priv)
		return -EINVAL;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0) {
			pthread_mutex_unlock(&p->lock);
			return 0;
		}
		if (nonblock || (file_flags(in) & O_NONBLOCK)) {
			pthread_mutex_unlock(&p->lock);
			return -EAGAIN;
		}
		if ((r = task_cond_wait(&p->cond, &p->lock)) < 0) {
			pthread_mutex_unlock(&p->lock);
			return r;
		}
	}
	n = len < p->len ? len : p->len;
	buf = malloc(n);
	if (!buf) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = p->buf[(p->head + i) % p->cap];
	pthread_mutex_unlock(&p->lock);
	int64_t pos = 0;
	ssize_t w = pipe_write(out, buf, n, &pos);
	free(buf);
	return w;
}

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cap = PIPE_DEFAULT_SIZE;
	p->buf = malloc(p->cap);
	if (!p->buf) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	waitq_init(&p->wq);
	return p;
}

/*
 * Open a FIFO (Linux's fifo_open): a reader waits for a writer and a writer
 * for a reader, unless O_NONBLOCK (then a writer without a reader gets
 * ENXIO); O_RDWR never waits. The pipe lives with the inode.
 */
int fifo_open(struct inode *inode, struct file *f, int flags)
{
	int acc = flags & O_ACCMODE, r = 0;
	struct pipe *p;

	pthread_mutex_lock(&inode->lock);
	if (!inode->fifo) {
		inode->fifo = pipe_alloc();
		if (inode->fifo)
			atomic_init(&((struct pipe *)inode->fifo)->refs, 1); /* the inode's */
	}
	p = inode->fifo;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&inode->lock);
	if (!p)
		return -ENOMEM;

	pthread_mutex_lock(&p->lock);
	if (acc == O_WRONLY && (flags & O_NONBLOCK) && p->readers == 0) {
		r = -ENXIO;
		goto fail;
	}
	if (acc != O_WRONLY) {
		p->readers++;
		p->r_opens++;
	}
	if (acc != O_RDONLY) {
		p->writers++;
		p->w_opens++;
	}
	pipe_changed(p, 0);
	if (acc == O_RDONLY && !(flags & O_NONBLOCK)) {
		unsigned seen = p->w_opens;
		while (p->writers == 0 && p->w_opens == seen)
			if ((r = task_cond_wait(&p->cond, &p->lock)) < 0) {
				p->readers--;
				goto fail;
			}
	} else if (acc == O_WRONLY) {
		unsigned seen = p->r_opens;
		while (p->readers == 0 && p->r_opens == seen)
			if ((r = task_cond_wait(&p->cond, &p->lock)) < 0) {
				p->writers--;
				goto fail;
			}
	}
	pthread_mutex_unlock(&p->lock);
	f->ops = &pipe_fops;
	f->priv = p;
	return 0;
fail:
	pipe_changed(p, 0);
	pthread_mutex_unlock(&p->lock);
	pipe_put(p);
	return r;
}

void fifo_evict(struct inode *inode)
{
	pipe_put(inode->fifo);
	inode->fifo = NULL;
}

/* Create a pipe's two ends (references returned in ends[0] read, [1] write). */
int pipe_create(int flags, struct file *ends[2])
{
	static atomic_ulong next_ino = 100000;
	struct pipe *p = pipe_alloc();
	char name[64];

	if (!p)
		return -ENOMEM;
	p->readers = p->writers = 1;
	atomic_init(&p->refs, 2);
	snprintf(name, sizeof(name), "pipe:[%lu]", atomic_fetch_add(&next_ino, 1));
	ends[0] = anon_file_new(S_IFIFO | 0600, &pipe_fops, p, O_RDONLY | (flags & O_NONBLOCK),
				name);
	ends[1] = anon_file_new(S_IFIFO | 0600, &pipe_fops, p, O_WRONLY | (flags & O_NONBLOCK),
				name);
	if (!ends[0] || !ends[1]) {
		/* Each end that exists releases its share through pipe_release. */
		if (ends[0])
			file_put(ends[0]);
		else
			p->readers--, pipe_put(p);
		if (ends[1])
			file_put(ends[1]);
		else
			p->writers--, pipe_put(p);
		return -ENOMEM;
	}
	return 0;
}

static long do_pipe2(struct task *t, uint64_t ufds, int flags)
{
	struct file *ends[2];
	int fds[2], r;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	r = pipe_create(flags, ends);
	if (r < 0)
		return r;
	fds[0] = fd_install(t->fdt, ends[0], flags & O_CLOEXEC, 0);
	fds[1] = fds[0] < 0 ? -1 : fd_install(t->fdt, ends[1], flags & O_CLOEXEC, 0);
	file_put(ends[0]);
	file_put(ends[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		if (fds[0] >= 0)
			fd_close(t->fdt, fds[0]);
		return fds[0] < 0 ? fds[0] : fds[1];
	}
	if (copy_to_user(t, ufds, fds, sizeof(fds))) {
		fd_close(t->fdt, fds[0]);
		fd_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(pipe)
{
	return do_pipe2(t, args->a[0], 0);
}

SYSCALL_DEFINE(pipe2)
{
	return do_pipe2(t, args->a[0], (int)args->a[1]);
}
