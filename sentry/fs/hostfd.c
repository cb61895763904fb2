/*
 * Files over a host descriptor the sentry was given at boot (the caller's
 * stdin/stdout/stderr). I/O goes to the host descriptor; fstat shows the
 * host's type/mode/size with sandbox dev/ino; a fixed list of tty ioctls is
 * forwarded with fixed-size structs copied through the sentry (application
 * pointers never reach the host). A terminal is replaced by the console's
 * slave when the console bridge runs.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/tty.h"
#include "kernel/task.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs_impl.h"

#define KERNEL_TERMIOS_SIZE 36 /* struct termios as the kernel's ioctls use it */

/* The host descriptor, shared by the inode and every file description
 * opened on it (the boot file and reopens through /proc/PID/fd/N). */
struct hostfd {
	int fd;
	atomic_int refs; /* file descriptions using it */
};

static int hfd(struct file *f)
{
	return ((struct hostfd *)f->priv)->fd;
}

/*
 * Sequential I/O (pos is the file's own position) uses the host descriptor's
 * offset, which the caller's shell shares: `prog > file; echo more >> file`
 * and `(prog; prog) > file` behave as when run directly. pread/pwrite keep
 * their own offsets.
 */
static bool sequential(struct file *f, int64_t *pos)
{
	return pos == &f->pos;
}

/* A host wait ended by EINTR: retry unless the task has a signal to take. */
static bool retry_eintr(void)
{
	struct task *t = task_current();
	return errno == EINTR && !(t && task_has_pending_signal(t));
}

static ssize_t hostfd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	bool seq = sequential(f, pos);
	ssize_t r;

	do
		r = seq ? read(hfd(f), buf, n) : pread(hfd(f), buf, n, *pos);
	while (r < 0 && retry_eintr());
	if (r < 0)
		return errno == EINTR ? -ERESTARTSYS : -errno;
	*pos += r;
	return r;
}

static ssize_t hostfd_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	bool seq = sequential(f, pos);
	ssize_t r;

	do
		r = seq ? write(hfd(f), buf, n) : pwrite(hfd(f), buf, n, *pos);
	while (r < 0 && retry_eintr());
	if (r < 0)
		return errno == EINTR ? -ERESTARTSYS : -errno;
	*pos += r;
	return r;
}

static int64_t hostfd_llseek(struct file *f, int64_t off, int whence)
{
	off_t r;

	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END &&
	    whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	r = lseek(hfd(f), off, whence);
	if (r < 0)
		return -errno;
	f->pos = r;
	return r;
}

static int hostfd_getattr(struct dentry *d, struct kstat *st)
{
	/* d is a stand-in built by vfs_fstat for dentry-less files. */
	struct inode *i = d->inode;
	struct stat hs;
	generic_getattr(i, st);
	if (i->priv && fstat(((struct hostfd *)i->priv)->fd, &hs) == 0) {
		st->mode = hs.st_mode;
		st->size = S_ISREG(hs.st_mode) ? (uint64_t)hs.st_size : 0;
		st->blocks = S_ISREG(hs.st_mode) ? (uint64_t)hs.st_blocks : 0;
		st->rdev = S_ISCHR(hs.st_mode) ? hs.st_rdev : 0;
		st->atime = hs.st_atim;
		st->mtime = hs.st_mtim;
		st->ctime = hs.st_ctim;
	}
	return 0;
}

static long hostfd_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	unsigned char buf[64];
	int iv;
	switch (cmd) {
	case TCGETS:
		memset(buf, 0, sizeof(buf));
		if (ioctl(hfd(f), TCGETS, buf) < 0)
			return -errno;
		return copy_to_user(t, arg, buf, KERNEL_TERMIOS_SIZE);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		memset(buf, 0, sizeof(buf));
		if (copy_from_user(t, buf, arg, KERNEL_TERMIOS_SIZE))
			return -EFAULT;
		if (ioctl(hfd(f), cmd, buf) < 0)
			return -errno;
		return 0;
	case TIOCGWINSZ: {
		struct winsize ws;
		if (ioctl(hfd(f), TIOCGWINSZ, &ws) < 0)
			return -errno;
		return copy_to_user(t, arg, &ws, sizeof(ws));
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (copy_from_user(t, &ws, arg, sizeof(ws)))
			return -EFAULT;
		if (ioctl(hfd(f), TIOCSWINSZ, &ws) < 0)
			return -errno;
		return 0;
	}
	case TIOCGPGRP:
		/* Only ask the host whether this is a tty; the answer is the
		 * sandbox's own process group (a host pgid means nothing here). */
		if (ioctl(hfd(f), TCGETS, buf) < 0)
			return -errno;
		iv = (t && t->tg) ? t->tg->pgid : 1;
		return copy_to_user(t, arg, &iv, sizeof(iv));
	case TIOCSPGRP:
		if (ioctl(hfd(f), TCGETS, buf) < 0)
			return -errno;
		if (copy_from_user(t, &iv, arg, sizeof(iv)))
			return -EFAULT;
		return iv < 0 ? -EINVAL : 0;
	case FIONREAD:
		if (ioctl(hfd(f), FIONREAD, &iv) < 0)
			return -errno;
		return copy_to_user(t, arg, &iv, sizeof(iv));
	}
	return -ENOTTY;
}

static int hostfd_setfl(struct file *f, int newflags)
{
	int fl = fcntl(hfd(f), F_GETFL);
	if (fl < 0)
		return -errno;
	fl = (fl & ~O_NONBLOCK) | (newflags & O_NONBLOCK);
	return fcntl(hfd(f), F_SETFL, fl) < 0 ? -errno : 0;
}

static int hostfd_fsync(struct file *f, bool datasync)
{
	return 0;
}

static int hostfd_host_fd(struct file *f)
{
	return hfd(f);
}

static void hostfd_release(struct file *f)
{
	struct hostfd *h = f->priv;
	if (atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	f->inode->priv = NULL;
	close(h->fd);
	free(h);
}

static const struct file_operations hostfd_own_fops;

/*
 * A new open file description on the same host descriptor (opening
 * /proc/self/fd/N, /dev/stdout...). Streams (ttys, pipes) share the host
 * descriptor as they would share the device. A regular file gets its own
 * position (pread/pwrite); O_TRUNC truncates it, as a real reopen would.
 */
static int hostfd_reopen(struct file *old, struct file *nf, int flags)
{
	struct hostfd *h = old->priv;
	if (!h)
		return -ENXIO;
	if (S_ISREG(nf->inode->mode)) {
		if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY &&
		    ftruncate(h->fd, 0) < 0)
			return -errno;
		nf->ops = &hostfd_own_fops;
	}
	atomic_fetch_add(&h->refs, 1);
	nf->priv = h;
	return 0;
}

/* --- a reopened host regular file: its own position ------------------------ */

static ssize_t hostfd_own_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	ssize_t r;

	do
		r = pread(hfd(f), buf, n, *pos);
	while (r < 0 && retry_eintr());
	if (r < 0)
		return errno == EINTR ? -ERESTARTSYS : -errno;
	*pos += r;
	return r;
}

static ssize_t hostfd_own_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct stat st;
	ssize_t r;

	if ((file_flags(f) & O_APPEND) && pos == &f->pos) {
		if (fstat(hfd(f), &st) < 0)
			return -errno;
		*pos = st.st_size;
	}
	do
		r = pwrite(hfd(f), buf, n, *pos);
	while (r < 0 && retry_eintr());
	if (r < 0)
		return errno == EINTR ? -ERESTARTSYS : -errno;
	*pos += r;
	return r;
}

static int64_t hostfd_own_llseek(struct file *f, int64_t off, int whence)
{
	struct stat st;
	int64_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		if (fstat(hfd(f), &st) < 0)
			return -errno;
		base = st.st_size;
		break;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->pos = base + off;
	return f->pos;
}

/* Readiness right now, from the host descriptor. */
static unsigned hostfd_poll(struct file *f, unsigned events)
{
	struct pollfd p = {.fd = hfd(f), .events = (short)events};

	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	return (unsigned)p.revents;
}

static const struct file_operations hostfd_fops = {
	.poll = hostfd_poll,
	.read = hostfd_read,
	.write = hostfd_write,
	.llseek = hostfd_llseek,
	.ioctl = hostfd_ioctl,
	.setfl = hostfd_setfl,
	.fsync = hostfd_fsync,
	.host_fd = hostfd_host_fd,
	.release = hostfd_release,
	.reopen = hostfd_reopen,
};

static const struct file_operations hostfd_own_fops = {
	.poll = hostfd_poll,
	.read = hostfd_own_read,
	.write = hostfd_own_write,
	.llseek = hostfd_own_llseek,
	.ioctl = hostfd_ioctl,
	.setfl = hostfd_setfl,
	.fsync = hostfd_fsync,
	.host_fd = hostfd_host_fd,
	.release = hostfd_release,
	.reopen = hostfd_reopen,
};

static const struct inode_operations hostfd_iops = {.getattr = hostfd_getattr};

/* With the console bridge on (`sentry run` on a terminal), a terminal among
 * the caller's stdio becomes the console's slave, /dev/pts/0 of the sandbox
 * (fs/tty.h); the host descriptor is not needed then. */
static struct file *console_file(int host_fd, int flags)
{
	struct tty *con = tty_console();
	struct file *f;

	if (!con || !isatty(host_fd))
		return NULL;
	if (devpts_open_slave(con, flags & ~O_CLOEXEC, &f) < 0)
		return NULL;
	close(host_fd);
	return f;
}

struct file *hostfd_file_new(int host_fd, int flags)
{
	struct file *cf = console_file(host_fd, flags);
	if (cf)
		return cf;
	struct stat st;
	uint32_t mode = S_IFCHR | 0620;
	if (fstat(host_fd, &st) == 0)
		mode = st.st_mode;
	struct hostfd *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fd = host_fd;
	atomic_init(&h->refs, 1);
	char name[64];
	if (isatty(host_fd))
		snprintf(name, sizeof(name), "/dev/pts/0");
	else if (S_ISFIFO(mode))
		snprintf(name, sizeof(name), "pipe:[%lu]", (unsigned long)st.st_ino);
	else
		snprintf(name, sizeof(name), "host:[%d]", host_fd);
	struct file *f = anon_file_new(mode, &hostfd_fops, h, flags, name);
	if (!f) {
		free(h);
		return NULL;
	}
	f->inode->iops = &hostfd_iops;
	f->inode->priv = h;
	if (S_ISREG(mode))
		f->inode->size = (uint64_t)st.st_size;
	return f;
}
