/* File descriptor tables and per-process filesystem context (root, cwd,
 * umask). fdtable->lock and fs_context->lock are leaf locks: no file
 * operation or file_put runs under them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/lock.h"
#include "kernel/task.h"
#include "vfs/vfs_internal.h"

#define FD_HARD_MAX 1048576
#define RLIMIT_NOFILE_IDX 7

int task_nofile(struct task *t)
{
	if (!t || !t->tg)
		return 1024;
	uint64_t cur = t->tg->rlimits[RLIMIT_NOFILE_IDX].cur;
	if (cur == 0 || cur > FD_HARD_MAX)
		return FD_HARD_MAX;
	return (int)cur;
}

struct fdtable *fdtable_new(void)
{
	struct fdtable *fdt = calloc(1, sizeof(*fdt));
	if (!fdt)
		return NULL;
	atomic_init(&fdt->refs, 1);
	pthread_mutex_init(&fdt->lock, NULL);
	return fdt;
}

/* Make room for fd (lock held). */
static int fdt_grow(struct fdtable *fdt, int fd)
{
	if (fd < fdt->size)
		return 0;
	int n = fdt->size ? fdt->size : 64;
	while (n <= fd)
		n *= 2;
	struct file **files = realloc(fdt->files, (size_t)n * sizeof(*files));
	if (!files)
		return -ENOMEM;
	memset(files + fdt->size, 0, (size_t)(n - fdt->size) * sizeof(*files));
	fdt->files = files;
	size_t oldw = ((size_t)fdt->size + 63) / 64, neww = ((size_t)n + 63) / 64;
	uint64_t *ce = realloc(fdt->cloexec, neww * sizeof(*ce));
	if (!ce)
		return -ENOMEM;
	memset(ce + oldw, 0, (neww - oldw) * sizeof(*ce));
	fdt->cloexec = ce;
	fdt->size = n;
	return 0;
}

static void set_ce(struct fdtable *fdt, int fd, bool on)
{
	if (on)
		fdt->cloexec[fd / 64] |= 1ULL << (fd % 64);
	else
		fdt->cloexec[fd / 64] &= ~(1ULL << (fd % 64));
}

static bool get_ce(struct fdtable *fdt, int fd)
{
	return (fdt->cloexec[fd / 64] >> (fd % 64)) & 1;
}

struct fdtable *fdtable_dup(struct fdtable *old)
{
	struct fdtable *fdt = fdtable_new();
	if (!fdt)
		return NULL;
	pthread_mutex_lock(&old->lock);
	if (old->size && fdt_grow(fdt, old->size - 1) < 0) {
		pthread_mutex_unlock(&old->lock);
		fdtable_put(fdt);
		return NULL;
	}
	for (int i = 0; i < old->size; i++) {
		if (old->files[i]) {
			file_get(old->files[i]);
			fdt->files[i] = old->files[i];
			set_ce(fdt, i, get_ce(old, i));
		}
	}
	pthread_mutex_unlock(&old->lock);
	return fdt;
}

void fdtable_get(struct fdtable *fdt)
{
	atomic_fetch_add(&fdt->refs, 1);
}

void fdtable_put(struct fdtable *fdt)
{
	if (!fdt || atomic_fetch_sub(&fdt->refs, 1) != 1)
		return;
	for (int i = 0; i < fdt->size; i++)
		if (fdt->files[i]) {
			locks_remove_posix(fdt, fdt->files[i]); /* exit: POSIX locks go */
			file_put(fdt->files[i]);
		}
	free(fdt->files);
	free(fdt->cloexec);
	pthread_mutex_destroy(&fdt->lock);
	free(fdt);
}

static int install_limit(struct fdtable *fdt, struct file *f, bool cloexec, int minfd, int limit)
{
	if (minfd < 0)
		return -EINVAL;
	pthread_mutex_lock(&fdt->lock);
	int fd = minfd;
	while (fd < fdt->size && fdt->files[fd])
		fd++;
	if (fd >= limit) {
		pthread_mutex_unlock(&fdt->lock);
		return -EMFILE;
	}
	int err = fdt_grow(fdt, fd);
	if (err) {
		pthread_mutex_unlock(&fdt->lock);
		return err;
	}
	file_get(f);
	fdt->files[fd] = f;
	set_ce(fdt, fd, cloexec);
	pthread_mutex_unlock(&fdt->lock);
	return fd;
}

int fd_install(struct fdtable *fdt, struct file *f, bool cloexec, int minfd)
{
	struct task *t = task_current();
	return install_limit(fdt, f, cloexec, minfd, task_nofile(t));
}

int fd_install_at(struct fdtable *fdt, int newfd, struct file *f, bool cloexec, int limit)
{
	if (newfd < 0 || newfd >= limit)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	int err = fdt_grow(fdt, newfd);
	if (err) {
		pthread_mutex_unlock(&fdt->lock);
		return err;
	}
	struct file *old = fdt->files[newfd];
	file_get(f);
	fdt->files[newfd] = f;
	set_ce(fdt, newfd, cloexec);
	pthread_mutex_unlock(&fdt->lock);
	if (old) {
		locks_remove_posix(fdt, old); /* closing any fd drops POSIX locks */
		file_put(old);
	}
	return newfd;
}

struct file *fd_get(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;
	if (fd < 0)
		return NULL;
	pthread_mutex_lock(&fdt->lock);
	if (fd < fdt->size && fdt->files[fd]) {
		f = fdt->files[fd];
		file_get(f);
	}
	pthread_mutex_unlock(&fdt->lock);
	return f;
}

int fd_close(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	if (fd < fdt->size && fdt->files[fd]) {
		f = fdt->files[fd];
		fdt->files[fd] = NULL;
		set_ce(fdt, fd, false);
	}
	pthread_mutex_unlock(&fdt->lock);
	if (!f)
		return -EBADF;
	locks_remove_posix(fdt, f); /* closing any fd drops POSIX locks */
	file_put(f);
	return 0;
}

int fd_get_cloexec(struct fdtable *fdt, int fd)
{
	int r = -EBADF;
	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size && fdt->files[fd])
		r = get_ce(fdt, fd);
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

int fd_set_cloexec(struct fdtable *fdt, int fd, bool on)
{
	int r = -EBADF;
	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->size && fdt->files[fd]) {
		set_ce(fdt, fd, on);
		r = 0;
	}
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

void fdtable_close_on_exec(struct fdtable *fdt)
{
	for (;;) {
		struct file *f = NULL;
		pthread_mutex_lock(&fdt->lock);
		for (int i = 0; i < fdt->size; i++) {
			if (fdt->files[i] && get_ce(fdt, i)) {
				f = fdt->files[i];
				fdt->files[i] = NULL;
				set_ce(fdt, i, false);
				break;
			}
		}
		pthread_mutex_unlock(&fdt->lock);
		if (!f)
			return;
		locks_remove_posix(fdt, f);
		file_put(f);
	}
}

int fdtable_for_each(struct fdtable *fdt, int (*fn)(int fd, struct file *f, void *arg), void *arg)
{
	for (int fd = 0;; fd++) {
		struct file *f = NULL;
		pthread_mutex_lock(&fdt->lock);
		while (fd < fdt->size && !fdt->files[fd])
			fd++;
		if (fd < fdt->size) {
			f = fdt->files[fd];
			file_get(f);
		}
		pthread_mutex_unlock(&fdt->lock);
		if (!f)
			return 0;
		int r = fn(fd, f, arg);
		file_put(f);
		if (r)
			return r;
	}
}

/* --- fs_context --------------------------------------------------------- */

struct fs_context *fs_context_new(void)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	atomic_init(&fs->refs, 1);
	pthread_mutex_init(&fs->lock, NULL);
	fs->umask = 022;
	if (vfs_root_mount) {
		fs->root.mnt = vfs_root_mount;
		fs->root.dentry = vfs_root_mount->root;
		path_get(&fs->root);
		fs->cwd = fs->root;
		path_get(&fs->cwd);
		/* Start in the boot --cwd if one was set. */
		if (vfs_boot_cwd.mnt) {
			path_put(&fs->cwd);
			fs->cwd = vfs_boot_cwd;
			path_get(&fs->cwd);
		}
	}
	return fs;
}

struct fs_context *fs_context_dup(struct fs_context *old)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	atomic_init(&fs->refs, 1);
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_lock(&old->lock);
	fs->root = old->root;
	fs->cwd = old->cwd;
	fs->umask = old->umask;
	fs->mnt_ns = vfs_mnt_ns_get(old->mnt_ns);
	path_get(&fs->root);
	path_get(&fs->cwd);
	pthread_mutex_unlock(&old->lock);
	return fs;
}

void fs_context_get(struct fs_context *fs)
{
	atomic_fetch_add(&fs->refs, 1);
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || atomic_fetch_sub(&fs->refs, 1) != 1)
		return;
	vfs_mnt_ns_put(fs->mnt_ns);
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

void fs_context_root(struct fs_context *fs, struct path *out)
{
	pthread_mutex_lock(&fs->lock);
	*out = fs->root;
	path_get(out);
	pthread_mutex_unlock(&fs->lock);
}

void fs_context_cwd(struct fs_context *fs, struct path *out)
{
	pthread_mutex_lock(&fs->lock);
	*out = fs->cwd;
	path_get(out);
	pthread_mutex_unlock(&fs->lock);
}

void fs_context_set_cwd(struct fs_context *fs, const struct path *p)
{
	struct path old;
	path_get(p);
	pthread_mutex_lock(&fs->lock);
	old = fs->cwd;
	fs->cwd = *p;
	pthread_mutex_unlock(&fs->lock);
	path_put(&old);
}

int fs_context_chdir(struct task *t, const char *path)
{
	struct path p;
	int err = vfs_path_lookup(t, -100, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (err)
		return err;
	err = inode_permission(p.dentry->inode, MAY_EXEC, t);
	if (err == 0 && t && t->fs)
		fs_context_set_cwd(t->fs, &p);
	path_put(&p);
	return err;
}
