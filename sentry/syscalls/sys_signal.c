/*
 * Signal dispositions, masks and the alternate stack. Frames and
 * rt_sigreturn are in kernel/signal_frame.c.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

SYSCALL_DEFINE(rt_sigaction)
{
	int sig = (int)args->a[0];
	struct k_sigaction act, old;

	if (args->a[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig >= KERNEL_NSIG + 1 || sig > 64)
		return -EINVAL;
	if (sig >= KERNEL_NSIG)
		return -EINVAL;
	if (args->a[1] && copy_from_user(t, &act, args->a[1], sizeof(act)))
		return -EFAULT;
	if (args->a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	old = t->tg->sigactions[sig];
	if (args->a[1]) {
		act.mask &= ~UNBLOCKABLE;
		t->tg->sigactions[sig] = act;
	}
	pthread_mutex_unlock(&kernel.lock);
	if (args->a[2] && copy_to_user(t, args->a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigprocmask)
{
	int how = (int)args->a[0];
	sigset64_t set, old = t->sigmask;

	if (args->a[3] != 8)
		return -EINVAL;
	if (args->a[1]) {
		if (copy_from_user(t, &set, args->a[1], 8))
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (args->a[2] && copy_to_user(t, args->a[2], &old, 8))
		return -EFAULT;
	return 0;
}

struct guest_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

#define SS_AUTODISARM_ (1U << 31)

SYSCALL_DEFINE(sigaltstack)
{
	struct guest_stack ns, os;
	uint64_t sp = t->regs.rsp;
	bool on = t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;

	os.ss_sp = t->altstack.sp;
	os.ss_size = t->altstack.size;
	os.ss_flags = t->altstack.size ? (on ? SS_ONSTACK : 0) | (t->altstack.flags & SS_AUTODISARM_)
				       : SS_DISABLE;
	os.pad = 0;
	if (args->a[0]) {
		if (copy_from_user(t, &ns, args->a[0], sizeof(ns)))
			return -EFAULT;
		if (on)
			return -EPERM;
		int mode = ns.ss_flags & ~(int32_t)SS_AUTODISARM_;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack.sp = t->altstack.size = 0;
			t->altstack.flags = SS_DISABLE;
		} else {
			if (ns.ss_size < (uint64_t)MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack.sp = ns.ss_sp;
			t->altstack.size = ns.ss_size;
			t->altstack.flags = ns.ss_flags & (int32_t)SS_AUTODISARM_;
		}
	}
	if (args->a[1] && copy_to_user(t, args->a[1], &os, sizeof(os)))
		return -EFAULT;
	return 0;
}
