/*
 * sendfile, copy_file_range and splice: data moved between two open files
 * inside the sentry (through a buffer, not zero-copy), with each call's own
 * rules about offsets and file kinds; tee copies between pipes without
 * consuming. vmsplice is not served yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

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
	if (r >= 0 && ((uin && copy_to_user(t, uin, &ioff, 8)) ||
		       (uout && copy_to_user(t, uout, &ooff, 8))))
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
