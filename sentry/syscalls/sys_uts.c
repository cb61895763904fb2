/*
 * sethostname(2) and setdomainname(2): the sandbox's one UTS namespace
 * (kernel.hostname / kernel.domainname, which uname(2) and
 * /proc/sys/kernel/{hostname,domainname} show). The host's names are never
 * touched.
 *
 * Linux's order of checks (kernel/sys.c): CAP_SYS_ADMIN in the namespace's
 * user namespace (EPERM), then 0 <= len <= 64 (EINVAL), then the copy
 * (EFAULT). The name is copied as is, len bytes, NULs included, and the rest
 * of the field is cleared.
 */
#include <errno.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define UTS_LEN 64 /* __NEW_UTS_LEN */

static long set_uts_field(struct task *t, char *field, size_t size, uint64_t uaddr, long len)
{
	char tmp[UTS_LEN];

	if (!creds_capable(&t->creds, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > UTS_LEN)
		return -EINVAL;
	if (len && copy_from_user(t, tmp, uaddr, (size_t)len) < 0)
		return -EFAULT;
	pthread_mutex_lock(&kernel.lock);
	memcpy(field, tmp, (size_t)len);
	memset(field + len, 0, size - (size_t)len);
	pthread_mutex_unlock(&kernel.lock);
	return 0;
}

SYSCALL_DEFINE(sethostname)
{
	/* len is an int in Linux's prototype: a negative int is EINVAL. */
	return set_uts_field(t, kernel.hostname, sizeof(kernel.hostname), args->a[0],
			     (long)(int)args->a[1]);
}

SYSCALL_DEFINE(setdomainname)
{
	return set_uts_field(t, kernel.domainname, sizeof(kernel.domainname), args->a[0],
			     (long)(int)args->a[1]);
}
