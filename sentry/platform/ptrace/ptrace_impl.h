#ifndef SENTRY_PLATFORM_PTRACE_IMPL_H
#define SENTRY_PLATFORM_PTRACE_IMPL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* The stub's region: [APP_ADDR_MAX, APP_ADDR_MAX + STUB_REGION_SIZE). */
#define STUB_REGION_SIZE 0x1000ULL
/* Sent by platform_kick; never delivered to the application. */
#define PLATFORM_KICK_SIGNAL SIGURG
#define PLATFORM_FPSTATE_SIZE 4096

struct platform_as {
	pid_t pid; /* host pid of the stub process */
	int refs;
};

struct platform_thread {
	pid_t tid; /* host tid */
	struct platform_as *as;
	bool dead;
	atomic_int kick_pending;
};

#endif
