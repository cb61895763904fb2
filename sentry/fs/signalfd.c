/*
 * signalfd: reading the reader's pending signals as signalfd_siginfo records.
 *
 * As on Linux, readiness is the calling task's pending signals (its own and
 * its process's) in the file's mask, whatever the task's signal mask. The
 * queue a poller sleeps on is its thread group's signalfd_wq, which
 * signal generation wakes (signalfd_notify). The file keeps a reference on
 * every thread group whose queue it handed out, so that an epoll item hung
 * on it stays valid while the file lives, even after that process is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))
/* Thread groups whose queue one file may pin; beyond, pollers re-check. */
#define SFD_MAX_TGS 1024

struct sfd {
	sigset64_t mask; /* under kernel.lock */
	struct thread_group **tgs; /* kernel.lock: referenced, queues handed out */
	int ntgs, captgs;
};

static const struct file_operations signalfd_fops;

void signalfd_notify(struct thread_group *tg)
{
	if (tg->signalfd_wq_ready)
		waitq_wake(&tg->signalfd_wq, POLLIN | POLLRDNORM);
}

/* The calling task's process's queue, pinned by the file. NULL: none. */
static struct waitq *sfd_waitq(struct file *f)
{
	struct sfd *s = f->priv;
	struct task *t = task_current();
	struct waitq *q = NULL;

	if (!t)
		return NULL;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	if (!tg->signalfd_wq_ready) {
		waitq_init(&tg->signalfd_wq);
		tg->signalfd_wq_ready = true;
	}
	for (int i = 0; i < s->ntgs; i++)
		if (s->tgs[i] == tg) {
			q = &tg->signalfd_wq;
			goto out;
		}
	if (s->ntgs == s->captgs) {
		int cap = s->captgs ? s->captgs * 2 : 2;
		struct thread_group **n = NULL;
		if (cap <= SFD_MAX_TGS)
			n = realloc(s->tgs, (size_t)cap * sizeof(*n));
		if (!n)
			goto out;
		s->tgs = n;
		s->captgs = cap;
	}
	tg->refs++;
	s->tgs[s->ntgs++] = tg;
	q = &tg->signalfd_wq;
out:
	pthread_mutex_unlock(&kernel.lock);
	return q;
}

static ssize_t sfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct sfd *s = f->priv;
	struct task *t = task_current();
	struct waitq *q = NULL;
	struct wait_entry e;
	size_t done = 0;
	ssize_t r = 0;

	if (!t)
		return -EINVAL;
	if (n < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	while (done + sizeof(struct signalfd_siginfo) <= n) {
		struct pending_siginfo pi;
		pthread_mutex_lock(&kernel.lock);
		int sig = signal_dequeue(t, s->mask, &pi);
		pthread_mutex_unlock(&kernel.lock);
		if (!sig) {
			if (done)
				break;
			if (file_flags(f) & O_NONBLOCK) {
				r = -EAGAIN;
				break;
			}
			if (!q) {
				/* Hang on the queue, then look again before sleeping. */
				q = sfd_waitq(f);
				if (q) {
					poller_entry_init(&e);
					waitq_add(q, &e);
					continue;
				}
			}
			/* Without a queue (out of memory), look every few ms. */
			int64_t until = -1;
			if (!q) {
				struct timespec now;
				clock_gettime(CLOCK_MONOTONIC, &now);
				until = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec + 5000000LL;
			}
			int w = poller_sleep(t, NULL, 0, until);
			if (w < 0) {
				r = w == -EINTR ? -ERESTARTSYS : w;
				break;
			}
			continue;
		}
		struct signalfd_siginfo si;
		memset(&si, 0, sizeof(si));
		si.ssi_signo = (uint32_t)sig;
		si.ssi_code = pi.code;
		si.ssi_pid = (uint32_t)pi.pid;
		si.ssi_uid = (uint32_t)pi.uid;
		si.ssi_status = pi.status;
		si.ssi_addr = pi.addr;
		if (pi.code > 0 && sig != SIGCHLD && sig != SIGSEGV && sig != SIGBUS &&
		    sig != SIGILL && sig != SIGFPE && sig != SIGTRAP) {
			/* F_SETSIG signal-driven I/O (fs/fasync.c): band and fd */
			si.ssi_band = (uint32_t)pi.addr;
			si.ssi_fd = (int32_t)pi.status;
			si.ssi_status = 0;
			si.ssi_addr = 0;
		}
		memcpy((char *)buf + done, &si, sizeof(si));
		done += sizeof(si);
	}
	if (q)
		waitq_remove(q, &e);
	return done ? (ssize_t)done : r;
}

static unsigned sfd_poll(struct file *f, unsigned events)
{
	struct sfd *s = f->priv;
	struct task *t = task_current();
	unsigned mask = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&kernel.lock);
	if ((t->pending | t->tg->shared_pending) & s->mask)
		mask = POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&kernel.lock);
	return mask;
}

static void sfd_release(struct file *f)
{
	struct sfd *s = f->priv;

	pthread_mutex_lock(&kernel.lock);
	for (int i = 0; i < s->ntgs; i++)
		tg_put(s->tgs[i]);
	pthread_mutex_unlock(&kernel.lock);
	free(s->tgs);
	free(s);
}

static const struct file_operations signalfd_fops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.waitq = sfd_waitq,
	.llseek = no_llseek,
	.release = sfd_release,
};

static long do_signalfd(struct task *t, int fd, uint64_t umask, uint64_t size, int flags)
{
	sigset64_t mask;
	struct file *f;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(t, &mask, umask, 8))
		return -EFAULT;
	mask &= ~UNBLOCKABLE;
	if (fd != -1) {
		f = sys_fget(t, fd);
		if (!f)
			return -EBADF;
		if (f->ops != &signalfd_fops) {
			file_put(f);
			return -EINVAL;
		}
		struct sfd *s = f->priv;
		pthread_mutex_lock(&kernel.lock);
		s->mask = mask;
		/* Signals already pending may now be in the mask. */
		for (int i = 0; i < s->ntgs; i++)
			signalfd_notify(s->tgs[i]);
		pthread_mutex_unlock(&kernel.lock);
		file_put(f);
		return fd;
	}
	struct sfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	f = anon_file_new(0600, &signalfd_fops, s, O_RDONLY | (flags & SFD_NONBLOCK),
			  "anon_inode:[signalfd]");
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	fd = fd_install(t->fdt, f, flags & SFD_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(signalfd)
{
	return do_signalfd(t, (int)args->a[0], args->a[1], args->a[2], 0);
}

SYSCALL_DEFINE(signalfd4)
{
	return do_signalfd(t, (int)args->a[0], args->a[1], args->a[2], (int)args->a[3]);
}
