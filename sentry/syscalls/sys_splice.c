/*
 * sendfile, copy_file_range and splice: data moved between two open files
 * inside the sentry (through a buffer, not zero-copy), with each call's own
 * rules about offsets and file kinds; tee copies between pipes without
 * consuming. vmsplice copies between application memory and a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"

#include "syscalls/sys_fs.h"

#define COPY_CHUNK 65536

/*
 * Copy up to len bytes from in (at *ioff, or its own position) to out (at
 * *ooff, or its own). Stops at the end of the input, a short read (a pipe
 * with less) or a short write; an error after some data moved ends the call
 * with what moved, as Linux's do_splice_direct.
 */
static long copy_between(struct file *in, int64_t *ioff, struct file *out, int64_t *ooff,
			 size_t len)
{
	char *buf = malloc(COPY_CHUNK);
	size_t done = 0;
	long err = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;
		ssize_t r = ioff ? vfs_pread(in, buf, want, *ioff) : vfs_read(in, buf, want);
		if (r <= 0) {
			err = r;
			break;
		}
		size_t k = 0;
		while (k < (size_t)r) {
			ssize_t w = ooff ? vfs_pwrite(out, buf + k, (size_t)r - k, *ooff)
					 : vfs_write(out, buf + k, (size_t)r - k);
			if (w <= 0) {
				err = w ? w : -EIO;
				break;
			}
			k += (size_t)w;
			if (ooff)
				*ooff += w;
		}
		if (ioff)
			*ioff += (int64_t)k;
		else if (k < (size_t)r && S_ISREG(in->inode->mode))
			vfs_llseek(in, -(int64_t)((size_t)r - k), SEEK_CUR); /* unread the rest */
		done += k;
		if (err || (size_t)r < want)
			break;
	}
	free(buf);
	return done ? (long)done : err;
}

static bool readable(struct file *f)
{
	int acc = file_flags(f) & O_ACCMODE;
	return !(file_flags(f) & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool writable(struct file *f)
{
	int acc = file_flags(f) & O_ACCMODE;
	return !(file_flags(f) & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* Take both files; -EBADF unless in reads and out writes. */
static long get_pair(struct task *t, int infd, int outfd, struct file **in, struct file **out)
{
	*in = sys_fget(t, infd);
	*out = sys_fget(t, outfd);
	if (!*in || !*out || !readable(*in) || !writable(*out)) {
		if (*in)
			file_put(*in);
		if (*out)
			file_put(*out);
		return -EBADF;
	}
	return 0;
}

static long get_off(struct task *t, uint64_t uoff, int64_t *off)
{
	if (!uoff)
		return 0;
	if (copy_from_user(t, off, uoff, sizeof(*off)))
		return -EFAULT;
	return *off < 0 ? -EINVAL : 0;
}

/* Copy with the optional offsets at uin/uout (read, used, written back). */
static long copy_at_user_offsets(struct task *t, struct file *in, uint64_t uin, struct file *out,
				 uint64_t uout, uint64_t len)
{
	int64_t ioff = 0, ooff = 0;
	long r;

	if ((r = get_off(t, uin, &ioff)) < 0 || (r = get_off(t, uout, &ooff)) < 0)
		return r;
	if (!len)
		return 0;
	r = copy_between(in, uin ? &ioff : NULL, out, uout ? &ooff : NULL,
			 len > SYS_MAX_RW ? SYS_MAX_RW : len);
	if (r >= 0 &&
	    ((uin && copy_to_user(t, uin, &ioff, 8)) || (uout && copy_to_user(t, uout, &ooff, 8))))
		r = -EFAULT;
	return r;
}

SYSCALL_DEFINE(sendfile)
{
	struct file *in, *out;
	long r;

	if ((r = get_pair(t, (int)args->a[1], (int)args->a[0], &in, &out)) < 0)
		return r;
	if (file_flags(out) & O_APPEND)
		r = -EINVAL;
	else
		r = copy_at_user_offsets(t, in, args->a[2], out, 0, args->a[3]);
	file_put(in);
	file_put(out);
	return r;
}

SYSCALL_DEFINE(copy_file_range)
{
	struct file *in, *out;
	long r;

	if (args->a[5])
		return -EINVAL;
	if ((r = get_pair(t, (int)args->a[0], (int)args->a[2], &in, &out)) < 0)
		return r;
	if (file_flags(out) & O_APPEND)
		r = -EBADF;
	else if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		r = (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode)) ? -EISDIR : -EINVAL;
	else
		r = copy_at_user_offsets(t, in, args->a[1], out, args->a[3], args->a[4]);
	file_put(in);
	file_put(out);
	return r;
}

SYSCALL_DEFINE(splice)
{
	struct file *in, *out;
	uint64_t uin = args->a[1], uout = args->a[3];
	long r;

	if (args->a[5] & ~0xfULL)
		return -EINVAL;
	if ((r = get_pair(t, (int)args->a[0], (int)args->a[2], &in, &out)) < 0)
		return r;
	bool inpipe = S_ISFIFO(in->inode->mode), outpipe = S_ISFIFO(out->inode->mode);
	if (!inpipe && !outpipe)
		r = -EINVAL; /* one side must be a pipe */
	else if ((inpipe && uin) || (outpipe && uout))
		r = -ESPIPE;
	else
		r = copy_at_user_offsets(t, in, uin, out, uout, args->a[4]);
	file_put(in);
	file_put(out);
	return r;
}

SYSCALL_DEFINE(tee)
{
	struct file *in, *out;
	long r;

	if (args->a[3] & ~0xfULL)
		return -EINVAL;
	if ((r = get_pair(t, (int)args->a[0], (int)args->a[1], &in, &out)) < 0)
		return r;
	r = pipe_tee(in, out, args->a[2] > SYS_MAX_RW ? SYS_MAX_RW : args->a[2],
		     args->a[3] & 2 /* SPLICE_F_NONBLOCK */);
	file_put(in);
	file_put(out);
	return r;
}

#define UIO_MAXIOV_ 1024
#define SPLICE_F_NONBLOCK_ 2

struct vm_iovec {
	uint64_t base, len;
};

/*
 * vmsplice(2) by copying (SPLICE_F_GIFT has nothing to give): on a pipe's
 * write end the iovecs' bytes go into the pipe, at most one pipe capacity
 * per call (Linux fills what fits after waiting for room, so a call never
 * moves more); on a read end the pipe's bytes go to the iovecs, as readv.
 * SPLICE_F_NONBLOCK is an EAGAIN when the pipe is not ready (looked at
 * first through its poll); otherwise the pipe end's own blocking applies.
 */
SYSCALL_DEFINE(vmsplice)
{
	uint64_t uiov = args->a[1], nr = args->a[2];
	unsigned flags = (unsigned)args->a[3];
	struct vm_iovec *iov = NULL;
	char *buf = NULL;
	struct file *f;
	uint64_t total = 0;
	long r;

	if (flags & ~0xfU)
		return -EINVAL;
	f = sys_fget(t, (int)args->a[0]);
	if (!f)
		return -EBADF;
	bool to_pipe = writable(f);
	if (!S_ISFIFO(f->inode->mode) || (!to_pipe && !readable(f))) {
		r = -EBADF;
		goto out;
	}
	if (nr > UIO_MAXIOV_) {
		r = -EINVAL;
		goto out;
	}
	if (!nr) {
		r = 0;
		goto out;
	}
	iov = calloc(nr, sizeof(*iov));
	if (!iov) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(t, iov, uiov, nr * sizeof(*iov))) {
		r = -EFAULT;
		goto out;
	}
	for (uint64_t i = 0; i < nr; i++) {
		if ((int64_t)iov[i].len < 0) {
			r = -EINVAL;
			goto out;
		}
		/* import_iovec: the total is cut at MAX_RW_COUNT. */
		uint64_t room = (uint64_t)SYS_MAX_RW - total;
		if (iov[i].len > room)
			iov[i].len = room;
		total += iov[i].len;
	}
	if (!total) {
		r = 0;
		goto out;
	}
	if (to_pipe) {
		long cap = pipe_fcntl(f, F_GETPIPE_SZ, 0);
		if (cap > 0 && total > (uint64_t)cap)
			total = (uint64_t)cap;
	} else if (total > COPY_CHUNK * 16) {
		total = COPY_CHUNK * 16;
	}
	if ((flags & SPLICE_F_NONBLOCK_) && f->ops && f->ops->poll) {
		unsigned want = to_pipe ? POLLOUT : POLLIN;
		unsigned ev = f->ops->poll(f, want | POLLHUP | POLLERR);
		if (!(ev & (want | POLLHUP | POLLERR))) {
			r = -EAGAIN;
			goto out;
		}
	}
	buf = malloc(total);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (to_pipe) {
		/* Gather; a fault ends the data there (EFAULT if none). */
		uint64_t got = 0;
		for (uint64_t i = 0; i < nr && got < total; i++) {
			size_t n = iov[i].len < total - got ? iov[i].len : total - got;
			ssize_t k = n ? mm_read_partial(t->mm, buf + got, iov[i].base, n) : 0;
			if (k > 0)
				got += (uint64_t)k;
			if (k < 0 || (size_t)k < n)
				break;
		}
		r = got ? vfs_write(f, buf, got) : -EFAULT;
		if (r == -EPIPE) { /* wait_for_space: no readers */
			pthread_mutex_lock(&kernel.lock);
			signal_send_task(t, SIGPIPE);
			pthread_mutex_unlock(&kernel.lock);
		}
	} else {
		ssize_t n = vfs_read(f, buf, total);
		r = n;
		/* Scatter what was read; a fault loses the rest (it has left
		 * the pipe), and the call reports what reached memory. */
		if (n > 0) {
			uint64_t put = 0;
			for (uint64_t i = 0; i < nr && put < (uint64_t)n; i++) {
				size_t k =
				    iov[i].len < (uint64_t)n - put ? iov[i].len : (uint64_t)n - put;
				ssize_t w =
				    k ? mm_write_partial(t->mm, iov[i].base, buf + put, k) : 0;
				if (w > 0)
					put += (uint64_t)w;
				if (w < 0 || (size_t)w < k)
					break;
			}
			r = put ? (long)put : -EFAULT;
		}
	}
out:
	free(buf);
	free(iov);
	file_put(f);
	return r;
}
