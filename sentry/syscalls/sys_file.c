/* open, creat, close, read, write, pread64, pwrite64, readv, writev, lseek. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kernel/task.h"
#include "syscalls/sys_fs.h"
#include "syscalls/sys_socket.h"

#define LINUX_O_LARGEFILE 0100000

static long do_openat(struct task *t, int dirfd, uint64_t upath, int flags, uint32_t mode)
{
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	struct file *f;
	err = vfs_openat(t, dirfd, path, flags | LINUX_O_LARGEFILE, mode, &f);
	free(path);
	if (err)
		return err;
	/* O_CLOEXEC is a descriptor flag, not a file status flag. */
	f->flags &= ~O_CLOEXEC;
	int fd = fd_install(t->fdt, f, flags & O_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(openat)
{
	return do_openat(t, sys_fd(args->a[0]), args->a[1], (int)args->a[2], (uint32_t)args->a[3]);
}

/* openat2(dirfd, path, struct open_how *how, size): Linux's build_open_flags
 * checks, then the walk under how.resolve. */
#define OPEN_HOW_SIZE_VER0 24
#define OPENAT2_VALID_FLAGS                                                                 \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
	 O_ASYNC | O_DIRECT | LINUX_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |      \
	 O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE)
#define OPENAT2_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define OPENAT2_TMPFILE_BIT 020000000 /* __O_TMPFILE */

SYSCALL_DEFINE(openat2)
{
	uint64_t usize = args->a[3];
	uint64_t how[3];
	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > 4096)
		return -E2BIG;
	if (copy_from_user(t, how, args->a[2], sizeof(how)))
		return -EFAULT;
	if (usize > sizeof(how)) {
		/* A bigger (newer) struct is fine if the unknown tail is zero. */
		uint8_t tail[256];
		for (uint64_t off = sizeof(how); off < usize;) {
			size_t n = usize - off < sizeof(tail) ? (size_t)(usize - off) : sizeof(tail);
			if (copy_from_user(t, tail, args->a[2] + off, n))
				return -EFAULT;
			for (size_t i = 0; i < n; i++)
				if (tail[i])
					return -E2BIG;
			off += n;
		}
	}
	uint64_t flags = how[0], mode = how[1], resolve = how[2];
	if (flags & ~(uint64_t)OPENAT2_VALID_FLAGS)
		return -EINVAL;
	if (resolve & ~(uint64_t)0x3f)
		return -EINVAL;
	if ((resolve & 0x18) == 0x18) /* RESOLVE_BENEATH | RESOLVE_IN_ROOT */
		return -EINVAL;
	if (flags & (O_CREAT | OPENAT2_TMPFILE_BIT)) {
		if (mode & ~(uint64_t)07777)
			return -EINVAL;
	} else if (mode) {
		return -EINVAL;
	}
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;
	if ((flags & O_PATH) && (flags & ~(uint64_t)OPENAT2_PATH_FLAGS))
		return -EINVAL;
	if (!(flags & O_PATH))
		flags |= LINUX_O_LARGEFILE;
	int err;
	char *path = sys_getpath(t, args->a[1], &err);
	if (!path)
		return err;
	struct file *f;
	err = vfs_openat2(t, sys_fd(args->a[0]), path, (int)flags, (uint32_t)mode,
			  (unsigned)resolve, &f);
	free(path);
	if (err)
		return err;
	f->flags &= ~O_CLOEXEC;
	int fd = fd_install(t->fdt, f, flags & O_CLOEXEC, 0);
	file_put(f);
	return fd;
}

/* fadvise64(fd, offset, len, advice): only validated; the sentry keeps no
 * page cache whose behaviour the advice could change. */
SYSCALL_DEFINE(fadvise64)
{
	int64_t len = (int64_t)args->a[2];
	int advice = (int)args->a[3];
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int err = 0;
	if (file_flags(f) & O_PATH)
		err = -EBADF;
	else if (f->inode && S_ISFIFO(f->inode->mode))
		err = -ESPIPE;
	else if (len < 0 || advice < 0 || advice > 5) /* NORMAL .. NOREUSE */
		err = -EINVAL;
	file_put(f);
	return err;
}

SYSCALL_DEFINE(open)
{
	return do_openat(t, AT_FDCWD, args->a[0], (int)args->a[1], (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(creat)
{
	return do_openat(t, AT_FDCWD, args->a[0], O_CREAT | O_WRONLY | O_TRUNC,
			 (uint32_t)args->a[1]);
}

SYSCALL_DEFINE(close)
{
	if (!t->fdt)
		return -EBADF;
	return fd_close(t->fdt, sys_fd(args->a[0]));
}

/*
 * A file that can block (it has a poll op: pipes, FIFOs, terminals,
 * eventfd, inotify...) is read once per read/readv: asking again after a
 * full chunk could block with bytes already in hand (a pipe holding exactly
 * one chunk). Linux returns what is there; a pipe holds at most 1 MiB
 * unless root grew it, and a shorter read is always allowed there.
 */
static bool read_once(struct file *f)
{
	return !S_ISREG(f->inode->mode) && !S_ISBLK(f->inode->mode) && f->ops->poll;
}

/*
 * Read into application memory through a sentry buffer. off NULL means the
 * file position. A copy-out that faults after some bytes returns what was
 * copied (and gives back the uncopied bytes of a regular file by seeking).
 */
static long do_read(struct task *t, struct file *f, uint64_t ubuf, size_t count, int64_t *off)
{
	/* A socket read is one recvmsg: a datagram is never split in chunks. */
	if (!off && file_is_socket(f))
		return sys_sock_rw(t, f, ubuf, count, false);
	if (count > SYS_MAX_RW)
		count = SYS_MAX_RW;
	bool once = read_once(f);
	size_t cap = once ? SYS_ONCE_MAX : SYS_IO_CHUNK;
	size_t bufsz = count < cap ? count : cap;
	char *buf = malloc(bufsz ? bufsz : 1);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long ret = 0;
	do {
		size_t want = count - done < bufsz ? count - done : bufsz;
		ssize_t r = off ? vfs_pread(f, buf, want, *off) : vfs_read(f, buf, want);
		if (r < 0) {
			ret = r;
			break;
		}
		if (r == 0)
			break;
		ssize_t c = mm_write_partial(t->mm, ubuf + done, buf, (size_t)r);
		if (c < 0)
			c = 0;
		if (off)
			*off += c;
		done += (size_t)c;
		if (c < r) {
			if (!off && S_ISREG(f->inode->mode))
				vfs_llseek(f, -(int64_t)(r - c), SEEK_CUR);
			if (done == 0)
				ret = -EFAULT;
			break;
		}
		if ((size_t)r < want || once)
			break;
	} while (done < count);
	free(buf);
	return done ? (long)done : ret;
}

static long do_write(struct task *t, struct file *f, uint64_t ubuf, size_t count, int64_t *off)
{
	if (!off && file_is_socket(f))
		return sys_sock_rw(t, f, ubuf, count, true);
	if (count > SYS_MAX_RW)
		count = SYS_MAX_RW;
	size_t bufsz = count < SYS_IO_CHUNK ? count : SYS_IO_CHUNK;
	char *buf = malloc(bufsz ? bufsz : 1);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long ret = 0;
	do {
		size_t want = count - done < bufsz ? count - done : bufsz;
		ssize_t c = want ? mm_read_partial(t->mm, buf, ubuf + done, want) : 0;
		if (c <= 0 && want) {
			ret = -EFAULT;
			break;
		}
		ssize_t w = off ? vfs_pwrite(f, buf, (size_t)c, *off) : vfs_write(f, buf, (size_t)c);
		if (w < 0) {
			ret = w;
			break;
		}
		if (off)
			*off += w;
		done += (size_t)w;
		if (w < c || (size_t)c < want)
			break;
	} while (done < count);
	free(buf);
	return done ? (long)done : ret;
}

SYSCALL_DEFINE(read)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	long r = do_read(t, f, args->a[1], args->a[2], NULL);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(write)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	long r = do_write(t, f, args->a[1], args->a[2], NULL);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(pread64)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int64_t off = (int64_t)args->a[3];
	long r = off < 0 ? -EINVAL : do_read(t, f, args->a[1], args->a[2], &off);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(pwrite64)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int64_t off = (int64_t)args->a[3];
	long r = off < 0 ? -EINVAL : do_write(t, f, args->a[1], args->a[2], &off);
	file_put(f);
	return r;
}

/* readv of a read_once file: one read, scattered over the vector (total
 * bytes in it, > 0). */
static long readv_once(struct task *t, struct file *f, const struct linux_iovec *iov, int cnt,
		       uint64_t total)
{
	size_t want = total < SYS_ONCE_MAX ? (size_t)total : SYS_ONCE_MAX;
	char *buf = malloc(want);
	if (!buf)
		return -ENOMEM;
	ssize_t r = vfs_read(f, buf, want);
	size_t done = 0;
	for (int i = 0; r > 0 && i < cnt && done < (size_t)r; i++) {
		size_t len = iov[i].len < (size_t)r - done ? iov[i].len : (size_t)r - done;
		if (!len)
			continue;
		ssize_t c = mm_write_partial(t->mm, iov[i].base, buf + done, len);
		done += c > 0 ? (size_t)c : 0;
		if (c < (ssize_t)len)
			break; /* a bad buffer: what was copied counts (the rest is lost, as Linux's pipes) */
	}
	free(buf);
	if (r <= 0)
		return r;
	return done ? (long)done : -EFAULT;
}

/* struct linux_iovec: socket/socket_abi.h */
static long do_rw_vec(struct task *t, const struct sysargs *args, bool write)
{
	int fd = sys_fd(args->a[0]);
	int cnt = (int)args->a[2];
	if (cnt < 0 || cnt > SYS_IOV_MAX)
		return -EINVAL;
	struct file *f = sys_fget(t, fd);
	if (!f)
		return -EBADF;
	if (file_is_socket(f)) { /* one message for the whole vector */
		long r = sys_sock_rw_iov(t, f, args->a[1], cnt, write);
		file_put(f);
		return r;
	}
	long ret = 0;
	struct linux_iovec *iov = calloc((size_t)cnt + 1, sizeof(*iov));
	if (!iov) {
		ret = -ENOMEM;
		goto out;
	}
	if (cnt && copy_from_user(t, iov, args->a[1], (size_t)cnt * sizeof(*iov))) {
		ret = -EFAULT;
		goto out;
	}
	uint64_t total = 0;
	for (int i = 0; i < cnt; i++) {
		if ((int64_t)iov[i].len < 0 || total + iov[i].len > (uint64_t)INT64_MAX) {
			ret = -EINVAL;
			goto out;
		}
		total += iov[i].len;
	}
	/* Permission errors come before an empty vector's 0. */
	ret = write ? do_write(t, f, 0, 0, NULL) : 0;
	if (ret < 0)
		goto out;
	if (!write && total && read_once(f)) {
		ret = readv_once(t, f, iov, cnt, total);
		goto out;
	}
	size_t done = 0;
	for (int i = 0; i < cnt && done < SYS_MAX_RW; i++) {
		if (!iov[i].len)
			continue;
		size_t len = iov[i].len;
		if (len > SYS_MAX_RW - done)
			len = SYS_MAX_RW - done;
		long r = write ? do_write(t, f, iov[i].base, len, NULL)
			       : do_read(t, f, iov[i].base, len, NULL);
		if (r < 0) {
			if (!done)
				ret = r;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < len)
			break;
	}
	if (done)
		ret = (long)done;
out:
	free(iov);
	file_put(f);
	return ret;
}

SYSCALL_DEFINE(readv)
{
	return do_rw_vec(t, args, false);
}

SYSCALL_DEFINE(writev)
{
	return do_rw_vec(t, args, true);
}

SYSCALL_DEFINE(lseek)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int whence = (int)args->a[2];
	long r = whence < 0 || whence > SEEK_HOLE ? -EINVAL
						  : vfs_llseek(f, (int64_t)args->a[1], whence);
	file_put(f);
	return r;
}
