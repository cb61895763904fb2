/*
 * The systrap stub's signal handler: SIGSYS (every application syscall,
 * from the seccomp filter's RET_TRAP), the synchronous faults, the kick
 * signal, and the int3 a new thread starts with.
 *
 * It runs on the thread's signal stack inside its slot. It tells the sentry
 * where the kernel put the signal frame, wakes it and waits; the sentry
 * reads and rewrites the frame in place (registers, FP state) and answers
 * through the slot's state word; the handler then sets fs/gs if asked and
 * returns to the frame with rt_sigreturn. While it waits, the sentry may
 * also have it make address-space syscalls (SYSTRAP_CMD_SYSCALL). No libc; every syscall here comes
 * from the stub's code and is on the stub's seccomp allow-list.
 *
 * Nothing here trusts the slot: the application can write it. The worst a
 * lie does is to confuse this thread, which is the application's own.
 */
#include "systrap_abi.h"

#define NR_rt_sigreturn 15
#define NR_recvfrom 45
#define NR_exit 60
#define NR_futex 202
#define NR_arch_prctl 158
#define NR_exit_group 231
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define MSG_PEEK 2
#define MSG_DONTWAIT 0x40
#define ETIMEDOUT 110

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

/* entry.S */
long stub_cmpxchg(unsigned long long word, unsigned old, unsigned new_);
long stub_atomic_op(unsigned long long word, unsigned op, unsigned oparg);

#define SIGBUS 7
#define SIGSEGV 11
#define UC_RIP (40 + 16 * 8) /* ucontext: uc_mcontext.gregs[REG_RIP] */

static __attribute__((noreturn)) void sigreturn(void *uc)
{
	/* rt_sigreturn reads the frame at rsp - 8: the ucontext follows the
	 * return address the kernel pushed. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%eax\n\t"
			 "syscall\n\t"
			 "ud2"
			 :
			 : "r"(uc), "i"(NR_rt_sigreturn)
			 : "memory");
	__builtin_unreachable();
}

static __attribute__((noreturn)) void die(void)
{
	for (;;)
		sys6(NR_exit_group, 0, 0, 0, 0, 0, 0);
}

static inline unsigned long long rdtsc(void)
{
	unsigned lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/* Spin (with pause) until state == REPLY or `ticks` TSC ticks passed. */
static int spin_reply(volatile struct systrap_slot *s, unsigned long long ticks)
{
	unsigned long long t0 = rdtsc();

	do {
		for (int n = 0; n < 8; n++) {
			if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SYSTRAP_ST_REPLY)
				return 1;
			__asm__ volatile("pause");
		}
	} while (rdtsc() - t0 < ticks);
	return 0;
}

/* Wait for the sentry's answer: spin for the time the sentry set (s->spin,
 * in TSC ticks; 0 when both run on one CPU), then sleep on the futex.
 * Every second, look whether the sentry is still there (EOF on the socket
 * means it is gone): a stub must not outlive it. */
static void wait_reply(volatile struct systrap_slot *s)
{
	struct {
		long sec, nsec;
	} ts = {1, 0};
	unsigned ticks = s->spin;

	if (ticks && spin_reply(s, ticks))
		return;
	for (;;) {
		__atomic_store_n(&s->stub_sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) == SYSTRAP_ST_REPLY) {
			s->stub_sleeping = 0;
			return;
		}
		long r = sys6(NR_futex, (long)&s->state, FUTEX_WAIT, SYSTRAP_ST_EVENT, (long)&ts, 0,
			      0);
		__atomic_store_n(&s->stub_sleeping, 0, __ATOMIC_SEQ_CST);
		if (r == -ETIMEDOUT &&
		    sys6(NR_recvfrom, SYSTRAP_SOCK_FD, (long)&s->peek, 1, MSG_PEEK | MSG_DONTWAIT, 0,
			 0) == 0)
			die();
	}
}

__attribute__((used, noreturn)) void systrap_handler(int sig, void *si, void *uc)
{
	unsigned long long sp = (unsigned long long)__builtin_frame_address(0);
	volatile struct systrap_slot *s;

	if (sp < SYSTRAP_SLOTS + SYSTRAP_CTL_SIZE || sp >= SYSTRAP_SLOTS + SYSTRAP_SLOTS_SIZE)
		die(); /* not on a slot's signal stack */
	/* A fault on a futex word in entry.S's atomic routines, nested in
	 * this handler's own run: resume at their -EFAULT exit. */
	if (sig == SIGSEGV || sig == SIGBUS) {
		unsigned long long *rip = (unsigned long long *)((char *)uc + UC_RIP);
		unsigned long long start, fault;

		/* The stub is linked high but not PIC: take the addresses
		 * rip-relative. */
		__asm__("lea systrap_atomic_start(%%rip), %0" : "=r"(start));
		__asm__("lea systrap_atomic_fault(%%rip), %0" : "=r"(fault));
		if (*rip >= start && *rip < fault) {
			*rip = fault;
			sigreturn(uc);
		}
	}
	s = (volatile struct systrap_slot *)(sp & ~(SYSTRAP_SLOT_SIZE - 1));
	/* Store only what changed (usually nothing but the state): each store
	 * takes the line away from a sentry spinning on it. */
	if (s->signo != sig)
		s->signo = sig;
	if (s->siginfo != (unsigned long long)si)
		s->siginfo = (unsigned long long)si;
	if (s->ucontext != (unsigned long long)uc)
		s->ucontext = (unsigned long long)uc;
	__atomic_store_n(&s->state, SYSTRAP_ST_EVENT, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->sentry_sleeping, __ATOMIC_SEQ_CST))
		sys6(NR_futex, (long)&s->state, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
	wait_reply(s);
	/* Address-space changes the sentry asks for, made from here (the
	 * filter pins each of them to the application's range). */
	for (;;) {
		unsigned cmd = s->cmd;

		if (cmd == SYSTRAP_CMD_SYSCALL)
			s->sc_ret = sys6((long)s->sc_nr, (long)s->sc_args[0], (long)s->sc_args[1],
					 (long)s->sc_args[2], (long)s->sc_args[3],
					 (long)s->sc_args[4], (long)s->sc_args[5]);
		else if (cmd == SYSTRAP_CMD_CMPXCHG)
			s->sc_ret = stub_cmpxchg(s->sc_args[0], (unsigned)s->sc_args[1],
						 (unsigned)s->sc_args[2]);
		else if (cmd == SYSTRAP_CMD_ATOMIC_OP)
			s->sc_ret = stub_atomic_op(s->sc_args[0], (unsigned)s->sc_args[1],
						   (unsigned)s->sc_args[2]);
		else
			break;
		__atomic_store_n(&s->state, SYSTRAP_ST_EVENT, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->sentry_sleeping, __ATOMIC_SEQ_CST))
			sys6(NR_futex, (long)&s->state, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
		wait_reply(s);
	}
	if (s->cmd == SYSTRAP_CMD_EXIT)
		for (;;)
			sys6(NR_exit, 0, 0, 0, 0, 0, 0);
	if (s->set_fs) {
		sys6(NR_arch_prctl, ARCH_SET_FS, (long)s->fs_base, 0, 0, 0, 0);
		s->set_fs = 0;
	}
	if (s->set_gs) {
		sys6(NR_arch_prctl, ARCH_SET_GS, (long)s->gs_base, 0, 0, 0, 0);
		s->set_gs = 0;
	}
	sigreturn(uc);
}
