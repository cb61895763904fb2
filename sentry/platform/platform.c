#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "platform/platform.h"
#include "util/log.h"

/*
 * The default is systrap (a trapped syscall costs a signal and a hand-off
 * through shared memory instead of two ptrace stops: docs/performance.md);
 * platform_init falls back to ptrace where systrap cannot start, unless
 * the platform was chosen by name.
 */
const struct platform_ops *platform = &platform_systrap;
static bool platform_chosen;
static __thread struct platform_thread *current_thread;

int platform_select(const char *name)
{
	if (strcmp(name, "ptrace") == 0) {
		platform = &platform_ptrace;
		platform_chosen = true;
		return 0;
	}
	if (strcmp(name, "systrap") == 0) {
		platform = &platform_systrap;
		platform_chosen = true;
		return 0;
	}
	return -EINVAL;
}

int platform_init(void)
{
	int r = platform->init();

	if (r < 0 && !platform_chosen && platform == &platform_systrap) {
		log_warn("platform systrap: %s; using ptrace", strerror(-r));
		platform = &platform_ptrace;
		r = platform->init();
	}
	return r;
}

void platform_set_current(struct platform_thread *thr)
{
	current_thread = thr;
}

struct platform_thread *platform_current(void)
{
	return current_thread;
}

ssize_t platform_vm_copy(pid_t pid, void *local, uint64_t remote, size_t n, int write)
{
	size_t done = 0;

	if (n == 0)
		return 0;
	/* Addresses above the application range are never the application's. */
	if (remote >= APP_ADDR_MAX)
		return -EFAULT;
	if (n > APP_ADDR_MAX - remote)
		n = APP_ADDR_MAX - remote;
	while (done < n) {
		struct iovec l = {(char *)local + done, n - done};
		struct iovec r = {(void *)(uintptr_t)(remote + done), n - done};
		ssize_t k = write ? process_vm_writev(pid, &l, 1, &r, 1, 0)
				  : process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (k == 0)
			break;
		done += (size_t)k;
	}
	/* process_vm_* stops at a page it cannot access: nothing past it. */
	return done ? (ssize_t)done : -EFAULT;
}

/* --- address-space ops made by one injected syscall ------------------------ */

int platform_inject_unmap(struct platform_as *as, uint64_t addr, uint64_t len)
{
	return (int)platform->inject(as, SYS_munmap, addr, len, 0, 0, 0, 0);
}

int platform_inject_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot)
{
	return (int)platform->inject(as, SYS_mprotect, addr, len, (uint64_t)prot, 0, 0, 0);
}

int platform_inject_remap(struct platform_as *as, uint64_t old, uint64_t oldlen, uint64_t new_,
			  uint64_t newlen)
{
	long r = platform->inject(as, SYS_mremap, old, oldlen, newlen,
				  MREMAP_MAYMOVE | MREMAP_FIXED, new_, 0);
	if (r < 0)
		return (int)r;
	return (uint64_t)r == new_ ? 0 : -EFAULT;
}

int platform_inject_advise(struct platform_as *as, uint64_t addr, uint64_t len, int advice)
{
	return (int)platform->inject(as, SYS_madvise, addr, len, (uint64_t)advice, 0, 0, 0);
}

int platform_inject_mincore(struct platform_as *as, uint64_t addr, uint64_t len, uint64_t vec)
{
	if (vec >= APP_ADDR_MAX)
		return -EFAULT;
	return (int)platform->inject(as, SYS_mincore, addr, len, vec, 0, 0, 0);
}

int platform_inject_msync(struct platform_as *as, uint64_t addr, uint64_t len, int flags)
{
	return (int)platform->inject(as, SYS_msync, addr, len, (uint64_t)flags, 0, 0, 0);
}
