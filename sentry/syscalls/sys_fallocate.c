/*
 * fallocate(2): Linux's vfs_fallocate checks in its order, then the file's
 * fallocate operation (goferfs: the host descriptor; others: EOPNOTSUPP,
 * after which glibc's posix_fallocate writes zeros itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "syscalls/sys_fs.h"

#define FALLOC_KEEP_SIZE 0x01
#define FALLOC_PUNCH_HOLE 0x02
#define FALLOC_NO_HIDE_STALE 0x04
#define FALLOC_COLLAPSE_RANGE 0x08
#define FALLOC_ZERO_RANGE 0x10
#define FALLOC_INSERT_RANGE 0x20
#define FALLOC_UNSHARE_RANGE 0x40
#define FALLOC_SUPPORTED                                                                           \
	(FALLOC_KEEP_SIZE | FALLOC_PUNCH_HOLE | FALLOC_COLLAPSE_RANGE | FALLOC_ZERO_RANGE |         \
	 FALLOC_INSERT_RANGE | FALLOC_UNSHARE_RANGE)

static int fallocate_checks(struct file *f, int mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~FALLOC_SUPPORTED)
		return -EOPNOTSUPP;
	if ((mode & FALLOC_PUNCH_HOLE) && !(mode & FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_PUNCH_HOLE) && (mode & ~(FALLOC_PUNCH_HOLE | FALLOC_KEEP_SIZE)))
		return -EOPNOTSUPP; /* punch combines with KEEP_SIZE only */
	if ((mode & (FALLOC_COLLAPSE_RANGE | FALLOC_INSERT_RANGE)) && (mode & ~(FALLOC_COLLAPSE_RANGE | FALLOC_INSERT_RANGE)))
		return -EINVAL;
	if ((mode & FALLOC_ZERO_RANGE) && (mode & ~(FALLOC_ZERO_RANGE | FALLOC_KEEP_SIZE)))
		return -EINVAL;
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	uint32_t m = f->inode->mode;
	if (S_ISFIFO(m))
		return -ESPIPE;
	if (S_ISDIR(m))
		return -EISDIR;
	if (!S_ISREG(m))
		return -ENODEV;
	if (len > INT64_MAX - off)
		return -EFBIG;
	return 0;
}

SYSCALL_DEFINE(fallocate)
{
	int mode = (int)args->a[1];
	int64_t off = (int64_t)args->a[2], len = (int64_t)args->a[3];
	struct file *f = sys_fget(t, sys_fd(args->a[0]));

	if (!f)
		return -EBADF;
	int err = fallocate_checks(f, mode, off, len);
	if (!err)
		err = f->ops && f->ops->fallocate ? f->ops->fallocate(f, mode, off, len)
						  : -EOPNOTSUPP;
	file_put(f);
	return err;
}
