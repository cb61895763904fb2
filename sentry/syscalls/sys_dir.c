/* Directories and names: getdents64, getcwd, chdir, fchdir, mkdir(at),
 * rmdir, unlink(at), rename(at/at2). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi/linux_stat.h"
#include "kernel/task.h"
#include "syscalls/sys_fs.h"

struct getdents_ctx {
	struct dir_context ctx;
	struct task *t;
	uint64_t ubuf;
	char *buf;
	size_t size, used;
	bool full;
	long ret; /* set by getdents_commit: bytes copied or -errno */
};

static bool getdents_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			   unsigned dtype, int64_t next)
{
	struct getdents_ctx *g = (struct getdents_ctx *)ctx;
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	if (g->used + reclen > g->size) {
		g->full = true;
		return false;
	}
	struct linux_dirent64 *d = (struct linux_dirent64 *)(g->buf + g->used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)dtype;
	memcpy(d->d_name, name, len);
	g->used += reclen;
	return true;
}

/* Under the file's pos_lock: copy the records out. When the buffer faults
 * part-way, keep the records that made it and leave the position at the
 * first that did not (EFAULT only when none did), as Linux's filldir64. */
static int64_t getdents_commit(struct dir_context *ctx, int64_t start, void *arg)
{
	struct getdents_ctx *g = (struct getdents_ctx *)ctx;
	(void)arg;
	if (g->used == 0) {
		g->ret = g->full ? -EINVAL : 0; /* buffer too small for one entry */
		return ctx->pos;
	}
	if (copy_to_user(g->t, g->ubuf, g->buf, g->used) == 0) {
		g->ret = (long)g->used;
		return ctx->pos;
	}
	size_t done = 0;
	int64_t pos = start;
	while (done < g->used) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(g->buf + done);
		if (copy_to_user(g->t, g->ubuf + done, d, d->d_reclen))
			break;
		done += d->d_reclen;
		pos = d->d_off;
	}
	g->ret = done ? (long)done : -EFAULT;
	return pos;
}

SYSCALL_DEFINE(getdents64)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	size_t count = (size_t)(uint32_t)args->a[2];
	if (count > SYS_IO_CHUNK * 4)
		count = SYS_IO_CHUNK * 4;
	struct getdents_ctx g = {.ctx.actor = getdents_actor, .t = t, .ubuf = args->a[1],
				 .size = count};
	long ret;
	g.buf = malloc(count ? count : 1);
	if (!g.buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vfs_getdents_commit(f, &g.ctx, getdents_commit, NULL);
	if (ret == 0)
		ret = g.ret;
out:
	free(g.buf);
	file_put(f);
	return ret;
}

SYSCALL_DEFINE(getcwd)
{
	uint64_t ubuf = args->a[0];
	size_t size = args->a[1];
	struct path cwd, root;
	if (!t->fs)
		return -ENOENT;
	fs_context_cwd(t->fs, &cwd);
	fs_context_root(t->fs, &root);
	char *buf = malloc(VFS_PATH_MAX + 16);
	long ret;
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (cwd.dentry->flags & D_DEAD) {
		ret = -ENOENT;
		goto out;
	}
	bool unreach;
	char *p = buf + 16;
	int n = vfs_path_string(&cwd, &root, p, VFS_PATH_MAX, &unreach);
	if (n < 0) {
		ret = n;
		goto out;
	}
	if (unreach) {
		/* Outside the task's root: Linux prefixes "(unreachable)". */
		static const char pre[] = "(unreachable)";
		p -= sizeof(pre) - 1;
		memcpy(p, pre, sizeof(pre) - 1);
		n += (int)sizeof(pre) - 1;
	}
	if ((size_t)n + 1 > size) {
		ret = -ERANGE;
		goto out;
	}
	ret = copy_to_user(t, ubuf, p, (size_t)n + 1);
	if (ret == 0)
		ret = n + 1;
out:
	free(buf);
	path_put(&cwd);
	path_put(&root);
	return ret;
}

SYSCALL_DEFINE(chdir)
{
	int err;
	char *path = sys_getpath(t, args->a[0], &err);
	if (!path)
		return err;
	err = fs_context_chdir(t, path);
	free(path);
	return err;
}

SYSCALL_DEFINE(fchdir)
{
	struct file *f = sys_fget(t, sys_fd(args->a[0]));
	if (!f)
		return -EBADF;
	int err = 0;
	if (!f->path.dentry || !S_ISDIR(f->inode->mode))
		err = -ENOTDIR;
	else
		err = inode_permission(f->inode, MAY_EXEC, t);
	if (!err && t->fs)
		fs_context_set_cwd(t->fs, &f->path);
	file_put(f);
	return err;
}

static long do_mkdirat(struct task *t, int dirfd, uint64_t upath, uint32_t mode)
{
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	err = vfs_mknodat_kind(t, dirfd, path, VFS_MK_DIR, S_IFDIR | (mode & 07777), 0, NULL);
	free(path);
	return err;
}

SYSCALL_DEFINE(mkdir)
{
	return do_mkdirat(t, AT_FDCWD, args->a[0], (uint32_t)args->a[1]);
}

SYSCALL_DEFINE(mkdirat)
{
	return do_mkdirat(t, sys_fd(args->a[0]), args->a[1], (uint32_t)args->a[2]);
}

static long do_unlinkat(struct task *t, int dirfd, uint64_t upath, bool isdir)
{
	int err;
	char *path = sys_getpath(t, upath, &err);
	if (!path)
		return err;
	err = vfs_unlinkat(t, dirfd, path, isdir);
	free(path);
	return err;
}

SYSCALL_DEFINE(unlink)
{
	return do_unlinkat(t, AT_FDCWD, args->a[0], false);
}

SYSCALL_DEFINE(rmdir)
{
	return do_unlinkat(t, AT_FDCWD, args->a[0], true);
}

SYSCALL_DEFINE(unlinkat)
{
	int flags = (int)args->a[2];
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return do_unlinkat(t, sys_fd(args->a[0]), args->a[1], flags & AT_REMOVEDIR);
}

static long do_renameat2(struct task *t, int od, uint64_t uold, int nd, uint64_t unew,
			 unsigned flags)
{
	int err;
	char *oldp = sys_getpath(t, uold, &err);
	if (!oldp)
		return err;
	char *newp = sys_getpath(t, unew, &err);
	if (!newp) {
		free(oldp);
		return err;
	}
	err = vfs_renameat(t, od, oldp, nd, newp, flags);
	free(oldp);
	free(newp);
	return err;
}

SYSCALL_DEFINE(rename)
{
	return do_renameat2(t, AT_FDCWD, args->a[0], AT_FDCWD, args->a[1], 0);
}

SYSCALL_DEFINE(renameat)
{
	return do_renameat2(t, sys_fd(args->a[0]), args->a[1], sys_fd(args->a[2]), args->a[3], 0);
}

SYSCALL_DEFINE(renameat2)
{
	return do_renameat2(t, sys_fd(args->a[0]), args->a[1], sys_fd(args->a[2]), args->a[3],
			    (unsigned)args->a[4]);
}
