/* signalfd: reading the reader's pending signals as signalfd_siginfo records. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

struct sfd {
	sigset64_t mask; /* under kernel.lock */
};

static const struct file_operations signalfd_fops;

static ssize_t sfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct sfd *s = f->priv;
	struct task *t = task_current();
	size_t done = 0;

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
			if (file_flags(f) & O_NONBLOCK)
				return -EAGAIN;
			/* The awaited signals are normally blocked: look every slice. */
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			int64_t until = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec + 5000000LL;
			if (task_sleep(t, until) < 0)
				return -ERESTARTSYS;
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
		memcpy((char *)buf + done, &si, sizeof(si));
		done += sizeof(si);
	}
	return (ssize_t)done;
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
	free(f->priv);
}

static const struct file_operations signalfd_fops = {
	.read = sfd_read,
	.poll = sfd_poll,
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
		pthread_mutex_lock(&kernel.lock);
		((struct sfd *)f->priv)->mask = mask;
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
