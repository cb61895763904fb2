/* execve: copy the arguments into the sentry and replace the image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/log.h"
#include "vfs/vfs.h"

#define MAX_ARG_STRLEN (32 * 4096)
#define MAX_ARG_TOTAL (2 * 1024 * 1024) /* a quarter of an 8 MiB stack */
#define MAX_ARG_STRINGS 0x7fffffff

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Copy a NULL-terminated array of strings; *total accumulates their sizes. */
static long copy_strv(struct task *t, uint64_t addr, char ***out, size_t *total)
{
	size_t n = 0, cap = 16;
	char **v = calloc(cap + 1, sizeof(*v));
	char *buf = malloc(MAX_ARG_STRLEN);
	long r = 0;

	if (!v || !buf) {
		r = -ENOMEM;
		goto fail;
	}
	while (addr) {
		uint64_t p;
		if (copy_from_user(t, &p, addr + n * 8, 8)) {
			r = -EFAULT;
			goto fail;
		}
		if (!p)
			break;
		long len = strncpy_from_user(t, buf, p, MAX_ARG_STRLEN);
		if (len == -ENAMETOOLONG)
			len = -E2BIG;
		if (len < 0) {
			r = len;
			goto fail;
		}
		*total += (size_t)len + 1 + sizeof(void *);
		if (*total > MAX_ARG_TOTAL || n >= MAX_ARG_STRINGS) {
			r = -E2BIG;
			goto fail;
		}
		if (n == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				goto fail;
			}
			v = nv;
			cap *= 2;
		}
		v[n] = strdup(buf);
		if (!v[n]) {
			r = -ENOMEM;
			goto fail;
		}
		v[++n] = NULL;
	}
	free(buf);
	*out = v;
	return 0;
fail:
	free(buf);
	free_strv(v);
	return r;
}

static long do_execve(struct task *t, const char *path, uint64_t uargv, uint64_t uenvp)
{
	char **argv = NULL, **envp = NULL;
	char err[256] = "";
	size_t total = 0;
	long r;

	r = copy_strv(t, uargv, &argv, &total);
	if (r < 0)
		goto out;
	r = copy_strv(t, uenvp, &envp, &total);
	if (r < 0)
		goto out;
	r = task_exec(t, path, argv, envp, err, sizeof(err));
	if (r == 0)
		r = -EJUSTRETURN;
	else if (err[0])
		log_debug("execve %s: %s", path, err);
out:
	free_strv(argv);
	free_strv(envp);
	return r;
}

SYSCALL_DEFINE(execve)
{
	char *path = malloc(4096);
	long r;

	if (!path)
		return -ENOMEM;
	r = strncpy_from_user(t, path, args->a[0], 4096);
	if (r >= 0)
		r = do_execve(t, path, args->a[1], args->a[2]);
	free(path);
	return r;
}

/*
 * execveat: a path relative to dirfd, or (AT_EMPTY_PATH) dirfd itself, is
 * turned into the sandbox path of dirfd's file; a file without a reachable
 * path (unlinked, or anonymous like a memfd) cannot be executed yet.
 */
SYSCALL_DEFINE(execveat)
{
	int dirfd = (int)args->a[0], flags = (int)args->a[4];
	char *path = malloc(4096), *full = malloc(8192);
	long r;

	if (!path || !full) {
		r = -ENOMEM;
		goto out;
	}
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		r = -EINVAL;
		goto out;
	}
	r = strncpy_from_user(t, path, args->a[1], 4096);
	if (r < 0)
		goto out;
	if (path[0] == '/' || (dirfd == AT_FDCWD && path[0])) {
		r = do_execve(t, path, args->a[2], args->a[3]);
		goto out;
	}
	if (!path[0] && !(flags & AT_EMPTY_PATH)) {
		r = -ENOENT;
		goto out;
	}
	struct file *f = dirfd == AT_FDCWD ? NULL : fd_get(t->fdt, dirfd);
	if (!f) {
		r = -EBADF;
		goto out;
	}
	r = file_path(f, full, 4096);
	file_put(f);
	if (r < 0 || full[0] != '/') {
		r = -ENOENT;
		goto out;
	}
	if (path[0]) {
		size_t n = strlen(full);
		snprintf(full + n, 8192 - n, "/%s", path);
	}
	r = do_execve(t, full, args->a[2], args->a[3]);
out:
	free(path);
	free(full);
	return r;
}
