#include <errno.h>
#include <stdbool.h>
#include <string.h>
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
