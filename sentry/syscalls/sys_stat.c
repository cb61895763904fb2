/* stat family, statx, statfs, readlink, access. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/linux_stat.h"
#include "kernel/task.h"
#include "syscalls/sys_fs.h"

static void kstat_to_linux(const struct kstat *k, struct linux_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->st_dev = k->dev;
	s->st_ino = k->ino;
	s->st_nlink = k->nlink;
	s->st_mode = k->mode;
	s->st_uid = k->uid;
	s->st_gid = k->gid;
	s->st_rdev = k->rdev;
	s->st_size = (int64_t)k->size;
	s->st_blksize = k->blksize ? k->blksize : 4096;
	s->st_blocks = (int64_t)k->blocks;
	s->st_atime_sec = (uint64_t)k->atime.tv_sec;
	s->st_atime_nsec = (uint64_t)k->atime.tv_nsec;
	s->st_mtime_sec = (uint64_t)k->mtime.tv_sec;
	s->st_mtime_nsec = (uint64_t)k->mtime.tv_nsec;
	s->st_ctime_sec = (uint64_t)k->ctime.tv_sec;
	s->st_ctime_nsec = (uint64_t)k->ctime.tv_nsec;
}

/* stat by (dirfd, path, AT_* flags) or an fd; fills k. */
static int stat_at(struct task *t, int dirfd, uint64_t upath, int flags, struct kstat *k)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
		      LINUX_AT_STATX_SYNC_TYPE))
		return -EINVAL;
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		/* fstat of the dirfd itself, including anonymous files. */
		free(path);
		struct file *f = sys_fget(t, dirfd);
		if (!f)
			return -EBADF;
		err = vfs_fstat(f, k);
		file_put(f);
		return err;
	}
	err = vfs_statat(t, dirfd, path, lf, k);
	free(path);
	return err;
}

static long put_stat(struct task *t, uint64_t ubuf, const struct kstat *k)
{
	struct linux_stat s;
	kstat_to_linux(k, &s);
	return copy_to_user(t, ubuf, &s, sizeof(s));
}

SYSCALL_DEFINE(fstat)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	struct kstat k;
	int err = vfs_fstat(f, &k);
	file_put(f);
	return err ? err : put_stat(t, args->a[1], &k);
}

SYSCALL_DEFINE(stat)
{
	struct kstat k;
	int err = stat_at(t, AT_FDCWD, args->a[0], 0, &k);
	return err ? err : put_stat(t, args->a[1], &k);
}

SYSCALL_DEFINE(lstat)
{
	struct kstat k;
	int err = stat_at(t, AT_FDCWD, args->a[0], AT_SYMLINK_NOFOLLOW, &k);
	return err ? err : put_stat(t, args->a[1], &k);
}

SYSCALL_DEFINE(newfstatat)
{
	struct kstat k;
	int err = stat_at(t, sys_fd(args->a[0]), args->a[1], (int)args->a[3], &k);
	return err ? err : put_stat(t, args->a[2], &k);
}

static unsigned dev_major(uint64_t d)
{
	return (unsigned)(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffULL));
}

static unsigned dev_minor(uint64_t d)
{
	return (unsigned)((d & 0xff) | ((d >> 12) & ~0xffULL));
}

SYSCALL_DEFINE(statx)
{
	int flags = (int)args->a[2];
	uint32_t mask = (uint32_t)args->a[3];
	if (mask & LINUX_STATX__RESERVED)
		return -EINVAL;
	if ((flags & LINUX_AT_STATX_SYNC_TYPE) == LINUX_AT_STATX_SYNC_TYPE)
		return -EINVAL;
	struct kstat k;
	int err = stat_at(t, sys_fd(args->a[0]), args->a[1], flags, &k);
	if (err)
		return err;
	struct linux_statx s;
	memset(&s, 0, sizeof(s));
	s.stx_mask = LINUX_STATX_BASIC_STATS;
	s.stx_blksize = k.blksize ? k.blksize : 4096;
	s.stx_nlink = (uint32_t)k.nlink;
	s.stx_uid = k.uid;
	s.stx_gid = k.gid;
	s.stx_mode = (uint16_t)k.mode;
	s.stx_ino = k.ino;
	s.stx_size = k.size;
	s.stx_blocks = k.blocks;
	s.stx_atime = (struct linux_statx_timestamp){k.atime.tv_sec, (uint32_t)k.atime.tv_nsec, 0};
	s.stx_mtime = (struct linux_statx_timestamp){k.mtime.tv_sec, (uint32_t)k.mtime.tv_nsec, 0};
	s.stx_ctime = (struct linux_statx_timestamp){k.ctime.tv_sec, (uint32_t)k.ctime.tv_nsec, 0};
	s.stx_rdev_major = dev_major(k.rdev);
	s.stx_rdev_minor = dev_minor(k.rdev);
	s.stx_dev_major = dev_major(k.dev);
	s.stx_dev_minor = dev_minor(k.dev);
	return copy_to_user(t, args->a[4], &s, sizeof(s));
}

static long put_statfs(struct task *t, uint64_t ubuf, const struct kstatfs *k)
{
	struct linux_statfs s;
	memset(&s, 0, sizeof(s));
	s.f_type = (int64_t)k->type;
	s.f_bsize = (int64_t)k->bsize;
	s.f_blocks = k->blocks;
	s.f_bfree = k->bfree;
	s.f_bavail = k->bavail;
	s.f_files = k->files;
	s.f_ffree = k->ffree;
	s.f_fsid.val[0] = (int32_t)(k->fsid & 0xffffffff);
	s.f_fsid.val[1] = (int32_t)(k->fsid >> 32);
	s.f_namelen = (int64_t)k->namelen;
	s.f_frsize = (int64_t)k->frsize;
	s.f_flags = (int64_t)k->flags | 0x0020; /* ST_VALID */
	return copy_to_user(t, ubuf, &s, sizeof(s));
}

SYSCALL_DEFINE(statfs)
{
	int err;
	char *path = sys_getpath(t, args->a[0], &err);
	if (!path)
		return err;
	struct path p;
	err = vfs_path_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	free(path);
	if (err)
		return err;
	struct kstatfs k;
	err = vfs_statfs_path(&p, &k);
	path_put(&p);
	return err ? err : put_statfs(t, args->a[1], &k);
}

SYSCALL_DEFINE(fstatfs)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	struct kstatfs k;
	int err;
	if (f->path.dentry) {
		err = vfs_statfs_path(&f->path, &k);
	} else {
		memset(&k, 0, sizeof(k));
		k.type = f->inode->sb ? f->inode->sb->magic : 0;
		k.bsize = k.frsize = 4096;
		k.namelen = VFS_NAME_MAX;
		err = 0;
	}
	file_put(f);
	return err ? err : put_statfs(t, args->a[1], &k);
}

static long do_readlinkat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int64_t size)
{
	if (size <= 0)
		return -EINVAL;
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	size_t n = (size_t)size < VFS_PATH_MAX ? (size_t)size : VFS_PATH_MAX;
	char *buf = malloc(n);
	if (!buf) {
		free(path);
		return -ENOMEM;
	}
	ssize_t r = vfs_readlinkat(t, dirfd, path, buf, n);
	free(path);
	if (r > 0 && copy_to_user(t, ubuf, buf, (size_t)r))
		r = -EFAULT;
	free(buf);
	return r;
}

SYSCALL_DEFINE(readlink)
{
	return do_readlinkat(t, AT_FDCWD, args->a[0], args->a[1], (int)args->a[2]);
}

SYSCALL_DEFINE(readlinkat)
{
	return do_readlinkat(t, sys_fd(args->a[0]), args->a[1], args->a[2], (int)args->a[3]);
}

static long do_faccessat(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	err = vfs_faccessat(t, dirfd, path, mode, flags);
	free(path);
	return err;
}

SYSCALL_DEFINE(access)
{
	return do_faccessat(t, AT_FDCWD, args->a[0], (int)args->a[1], 0);
}

SYSCALL_DEFINE(faccessat)
{
	return do_faccessat(t, sys_fd(args->a[0]), args->a[1], (int)args->a[2], 0);
}

SYSCALL_DEFINE(faccessat2)
{
	return do_faccessat(t, sys_fd(args->a[0]), args->a[1], (int)args->a[2], (int)args->a[3]);
}
