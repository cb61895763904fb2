/*
 * What the systrap stub and the sentry share: the layout of the stub's
 * region above APP_ADDR_MAX and of one per-thread slot. Included by the
 * stub (freestanding C) and by the sentry, so it uses no libc types.
 *
 *   0x7ff000000000  stub code (read+exec, from the stub ELF)
 *   0x7ff000010000  scratch page (arguments of injected syscalls)
 *   0x7ff000100000  slots: SYSTRAP_NSLOTS x SYSTRAP_SLOT_SIZE, MAP_SHARED
 *                   from a memfd the sentry maps too. A slot is a control
 *                   page followed by the thread's signal stack.
 *
 * Everything in a slot can be written by the application (any of its
 * threads): the sentry reads each value once and validates it.
 */
#ifndef SENTRY_PLATFORM_SYSTRAP_ABI_H
#define SENTRY_PLATFORM_SYSTRAP_ABI_H

#define SYSTRAP_BASE 0x7ff000000000ULL
#define SYSTRAP_CODE_MAX 0x4000ULL /* the stub's code lies in [BASE, BASE+CODE_MAX) */
#define SYSTRAP_SCRATCH (SYSTRAP_BASE + 0x10000ULL)
#define SYSTRAP_SLOTS (SYSTRAP_BASE + 0x100000ULL)
#define SYSTRAP_SLOT_SIZE 0x8000ULL
#define SYSTRAP_NSLOTS 1024ULL
#define SYSTRAP_SLOTS_SIZE (SYSTRAP_SLOT_SIZE * SYSTRAP_NSLOTS)
#define SYSTRAP_CTL_SIZE 0x1000ULL /* control page; the signal stack follows */

/* slot.state: the futex word both sides wait on. */
#define SYSTRAP_ST_IDLE 0  /* fresh, or running application code */
#define SYSTRAP_ST_EVENT 1 /* the stub posted a signal frame and waits */
#define SYSTRAP_ST_REPLY 2 /* the sentry answered: go on */

/* slot.cmd, read by the stub with a reply. */
#define SYSTRAP_CMD_RUN 0  /* return to the (possibly rewritten) frame */
#define SYSTRAP_CMD_EXIT 1 /* end this host thread */
#define SYSTRAP_CMD_SYSCALL 2 /* make syscall sc_nr(sc_args) into sc_ret, post EVENT again */
/* Atomic futex word updates, made by the handler, EVENT posted again:
 * sc_ret is the 32-bit value found (replaced), or -EFAULT (14) when the
 * word faults (the handler survives the fault: stub/entry.S). */
#define SYSTRAP_CMD_CMPXCHG 3   /* lock cmpxchg: word sc_args[0], old [1], new [2] */
#define SYSTRAP_CMD_ATOMIC_OP 4 /* FUTEX_OP_* sc_args[1] with oparg [2] on word [0] */

/* The stub's two descriptors while it lives: its socket, and a
 * descriptor in transit to be mapped. */
#define SYSTRAP_SOCK_FD 0
#define SYSTRAP_XFER_FD 1

struct systrap_slot {
	unsigned int state;
	unsigned int stub_sleeping;
	unsigned int sentry_sleeping;
	unsigned int spin; /* TSC ticks the stub spins before it sleeps (set by the sentry) */
	unsigned int cmd;
	int signo;
	unsigned long long ucontext; /* the frame's ucontext, in this slot's stack */
	unsigned long long siginfo;
	unsigned int set_fs, set_gs;
	unsigned long long fs_base, gs_base;
	unsigned long long altstack[3]; /* a stack_t for injected sigaltstack */
	unsigned long long sc_nr, sc_args[6]; /* SYSTRAP_CMD_SYSCALL */
	long long sc_ret;
	unsigned char peek;              /* recvfrom buffer */
	/* An injected clock_gettime(CLOCK_THREAD_CPUTIME_ID) writes here: the
	 * thread's own CPU clock, which only the thread itself can read. */
	long long clock_ts[2];
};

#endif
