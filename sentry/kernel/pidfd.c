/*
 * pidfds: files that refer to a process (pidfd_open, clone's CLONE_PIDFD).
 *
 * A pidfd is readable once the whole thread group has exited. The pidfds
 * of one process share a struct pidfd_proc: a reference on the thread group
 * and the wait queue that poll and epoll sleep on, woken by
 * pidfd_notify_exit() when the group becomes a zombie (Linux's
 * do_notify_pidfd). It lives as long as the last of those pidfds, which
 * keeps its queue alive for as long as the files (kernel/waitq.h).
 *
 * Locking: kernel.lock protects the pidfd_procs list and the refs; the
 * queue is woken under kernel.lock (kernel.lock -> its waitq).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

struct pidfd_proc {
	struct thread_group *tg; /* referenced */
	int refs;                /* kernel.lock: pidfd files */
	struct waitq wq;
	struct pidfd_proc *next; /* kernel.lock: pidfd_procs */
};

static struct pidfd_proc *pidfd_procs; /* kernel.lock */

static const struct file_operations pidfd_fops;

/* tg's pidfd_proc with a new reference, created on first use. kernel.lock held. */
static struct pidfd_proc *pidfd_proc_get(struct thread_group *tg)
{
	struct pidfd_proc *p;

	for (p = pidfd_procs; p; p = p->next)
		if (p->tg == tg) {
			p->refs++;
			return p;
		}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tg = tg;
	tg->refs++;
	p->refs = 1;
	waitq_init(&p->wq);
	p->next = pidfd_procs;
	pidfd_procs = p;
	return p;
}

/* kernel.lock held. */
static void pidfd_proc_put(struct pidfd_proc *p)
{
	if (--p->refs > 0)
		return;
	for (struct pidfd_proc **pp = &pidfd_procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	waitq_destroy(&p->wq);
	tg_put(p->tg);
	free(p);
}

void pidfd_notify_exit(struct thread_group *tg)
{
	for (struct pidfd_proc *p = pidfd_procs; p; p = p->next)
		if (p->tg == tg)
			waitq_wake(&p->wq, POLLIN | POLLRDNORM);
}

static unsigned pidfd_poll(struct file *f, unsigned events)
{
	struct thread_group *tg = ((struct pidfd_proc *)f->priv)->tg;
	unsigned mask;

	pthread_mutex_lock(&kernel.lock);
	mask = (tg->zombie || tg->nr_threads == 0) ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&kernel.lock);
	return mask;
}

static struct waitq *pidfd_waitq(struct file *f)
{
	return &((struct pidfd_proc *)f->priv)->wq;
}

static void pidfd_release(struct file *f)
{
	pthread_mutex_lock(&kernel.lock);
	pidfd_proc_put(f->priv);
	pthread_mutex_unlock(&kernel.lock);
}

static const struct file_operations pidfd_fops = {
	.poll = pidfd_poll,
	.waitq = pidfd_waitq,
	.llseek = no_llseek,
	.release = pidfd_release,
};

/* A pidfd for tg installed in t's table. kernel.lock NOT held. */
long pidfd_create(struct task *t, struct thread_group *tg, int flags)
{
	struct pidfd_proc *p;
	struct file *f;
	int fd;

	pthread_mutex_lock(&kernel.lock);
	p = pidfd_proc_get(tg);
	pthread_mutex_unlock(&kernel.lock);
	if (!p)
		return -ENOMEM;
	f = anon_file_new(0600, &pidfd_fops, p, O_RDWR | (flags & O_NONBLOCK),
			  "anon_inode:[pidfd]");
	if (!f) {
		pthread_mutex_lock(&kernel.lock);
		pidfd_proc_put(p);
		pthread_mutex_unlock(&kernel.lock);
		return -ENOMEM;
	}
	fd = fd_install(t->fdt, f, true, 0);
	file_put(f);
	return fd;
}

/* The process a pidfd refers to (not referenced: valid while f is), or NULL. */
struct thread_group *pidfd_tg(struct file *f)
{
	return f->ops == &pidfd_fops ? ((struct pidfd_proc *)f->priv)->tg : NULL;
}

SYSCALL_DEFINE(pidfd_open)
{
	int pid = (int)args->a[0];
	unsigned flags = (unsigned)args->a[1];
	struct thread_group *tg;

	if (flags & ~(unsigned)O_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	tg = tg_lookup(pid);
	if (!tg) {
		struct task *x = task_lookup(pid);
		pthread_mutex_unlock(&kernel.lock);
		return x ? -EINVAL : -ESRCH; /* a thread that is not a leader: EINVAL */
	}
	pthread_mutex_unlock(&kernel.lock);
	return pidfd_create(t, tg, (int)flags);
}

SYSCALL_DEFINE(pidfd_send_signal)
{
	int sig = (int)args->a[1];
	struct pending_siginfo pi = {.code = SI_USER, .pid = t->tg->tgid, .uid = (int)t->creds.uid};
	struct thread_group *tg;
	struct file *f;
	long r;

	/* PIDFD_SIGNAL_THREAD (1) and _THREAD_GROUP (2) are accepted; both reach
	 * the process here. _PROCESS_GROUP (4) and unknown flags: EINVAL. */
	if (args->a[3] & ~3ULL || args->a[3] == 3)
		return -EINVAL;
	f = sys_fget(t, (int)args->a[0]);
	if (!f)
		return -EBADF;
	tg = pidfd_tg(f);
	if (!tg) {
		file_put(f);
		return -EBADF;
	}
	if (args->a[2]) {
		struct {
			int32_t signo, errno_, code, pad;
			int32_t pid;
			uint32_t uid;
		} si;
		if (copy_from_user(t, &si, args->a[2], sizeof(si))) {
			file_put(f);
			return -EFAULT;
		}
		if (si.signo != sig) {
			file_put(f);
			return -EINVAL;
		}
		/* Only the kernel's own codes are refused for other processes. */
		if ((si.code >= 0 || si.code == SI_TKILL) && tg != t->tg) {
			file_put(f);
			return -EPERM;
		}
		pi.code = si.code;
		pi.pid = si.pid;
		pi.uid = (int)si.uid;
	}
	pthread_mutex_lock(&kernel.lock);
	r = (tg->zombie || tg->nr_threads == 0) ? -ESRCH : signal_send_info(tg, NULL, sig, &pi);
	pthread_mutex_unlock(&kernel.lock);
	file_put(f);
	return r;
}
