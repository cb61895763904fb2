#include <errno.h>
#include <string.h>

#include "platform/platform.h"

const struct platform_ops *platform = &platform_ptrace;
static __thread struct platform_thread *current_thread;

int platform_select(const char *name)
{
	if (strcmp(name, "ptrace") == 0) {
		platform = &platform_ptrace;
		return 0;
	}
	if (strcmp(name, "systrap") == 0) {
		platform = &platform_systrap;
		return 0;
	}
	return -EINVAL;
}

void platform_set_current(struct platform_thread *thr)
{
	current_thread = thr;
}

struct platform_thread *platform_current(void)
{
	return current_thread;
}
