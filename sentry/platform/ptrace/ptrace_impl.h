#ifndef SENTRY_PLATFORM_PTRACE_IMPL_H
#define SENTRY_PLATFORM_PTRACE_IMPL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* The stub's region: [APP_ADDR_MAX, APP_ADDR_MAX + STUB_REGION_SIZE): the
 * stub's code page, then a scratch page for injected calls' arguments. */
#define STUB_REGION_SIZE 0x2000ULL
#define STUB_SCRATCH (APP_ADDR_MAX + 0x1000ULL)
/* The stub's only descriptor: a socket for receiving descriptors to map. */
#define STUB_SOCK_FD 0
/* Sent by platform_kick; never delivered to the application. */
#define PLATFORM_KICK_SIGNAL SIGURG
#define PLATFORM_FPSTATE_SIZE 4096

/*
 * The socket over which descriptors reach a stub. Forked stubs inherit the
 * same socket as their descriptor 0, so the channel is shared by the address
 * spaces of one fork tree, and its lock keeps one descriptor in flight among
 * all of them.
 */
struct stub_chan {
	int sock;             /* the sentry's end */
	pthread_mutex_t lock;
	bool broken;          /* a descriptor may be stuck in the socket */
	int refs;             /* atomic */
};

struct platform_as {
	pid_t pid; /* host pid of the stub process */
	int refs;
	struct stub_chan *chan;
};

struct platform_thread {
	pid_t tid; /* host tid */
	struct platform_as *as;
	bool dead;
	atomic_int kick_pending;
	pid_t event_pid; /* the last fork/clone event's new host tid */
	int bound_cpu;   /* the CPU the host thread is pinned to, or -1 */
};

#endif
