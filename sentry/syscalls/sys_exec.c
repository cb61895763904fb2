/* execve: copy the arguments into the sentry and replace the image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/log.h"

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

SYSCALL_DEFINE(execve)
{
	char *path = malloc(4096);
	char **argv = NULL, **envp = NULL;
	char err[256] = "";
	size_t total = 0;
	long r;

	if (!path)
		return -ENOMEM;
	r = strncpy_from_user(t, path, args->a[0], 4096);
	if (r < 0)
		goto out;
	r = copy_strv(t, args->a[1], &argv, &total);
	if (r < 0)
		goto out;
	r = copy_strv(t, args->a[2], &envp, &total);
	if (r < 0)
		goto out;
	r = task_exec(t, path, argv, envp, err, sizeof(err));
	if (r == 0)
		r = -EJUSTRETURN;
	else if (err[0])
		log_debug("execve %s: %s", path, err);
out:
	free(path);
	free_strv(argv);
	free_strv(envp);
	return r;
}
