/*
 * Signal dispositions, masks and the alternate stack. Frames and
 * rt_sigreturn are in kernel/signal_frame.c.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

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

SYSCALL_DEFINE(rt_sigsuspend)
{
	sigset64_t m;

	if (args->a[1] != 8)
		return -EINVAL;
	if (copy_from_user(t, &m, args->a[0], 8))
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->has_saved_sigmask = true;
	t->sigmask = m & ~UNBLOCKABLE;
	task_sleep(t, -1);
	/* The handler's frame records saved_sigmask; see signal_deliver. */
	return -ERESTARTNOHAND;
}

SYSCALL_DEFINE(rt_sigpending)
{
	sigset64_t p;

	if (args->a[1] > 8)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	p = (t->pending | t->tg->shared_pending) & t->sigmask;
	pthread_mutex_unlock(&kernel.lock);
	return copy_to_user(t, args->a[0], &p, args->a[1]);
}

struct guest_siginfo_w {
	int32_t si_signo, si_errno, si_code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;
	int32_t pad2;
	char rest[128 - 32];
};

struct guest_timespec_s {
	int64_t tv_sec, tv_nsec;
};

SYSCALL_DEFINE(rt_sigtimedwait)
{
	sigset64_t set, saved = t->sigmask;
	struct pending_siginfo pi = {0};
	int64_t deadline = -1;
	int sig = 0;

	if (args->a[3] != 8)
		return -EINVAL;
	if (copy_from_user(t, &set, args->a[0], 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (args->a[2]) {
		struct guest_timespec_s ts;
		struct timespec now;
		if (copy_from_user(t, &ts, args->a[2], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec +
			   (ts.tv_sec > 1000000000LL ? 1000000000LL * 1000000000LL
						     : ts.tv_sec * 1000000000LL + ts.tv_nsec);
	}
	/* Like Linux, the awaited signals are unblocked while waiting, so that
	 * their arrival wakes the task; they are taken here, not delivered. */
	for (;;) {
		pthread_mutex_lock(&kernel.lock);
		sig = signal_dequeue(t, set, &pi);
		if (!sig)
			t->sigmask = saved & ~set;
		pthread_mutex_unlock(&kernel.lock);
		if (sig)
			break;
		int r = task_sleep(t, deadline);
		t->sigmask = saved;
		if (r == 0) {
			pthread_mutex_lock(&kernel.lock);
			sig = signal_dequeue(t, set, &pi);
			pthread_mutex_unlock(&kernel.lock);
			if (!sig)
				return -EAGAIN;
			break;
		}
		/* Woken: one of ours, or another signal (that one interrupts). */
		pthread_mutex_lock(&kernel.lock);
		sig = signal_dequeue(t, set, &pi);
		pthread_mutex_unlock(&kernel.lock);
		if (sig)
			break;
		if (task_has_pending_signal(t))
			return -EINTR;
	}
	t->sigmask = saved;
	if (args->a[1]) {
		struct guest_siginfo_w si;
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = pi.code;
		si.pid = pi.pid;
		si.uid = (uint32_t)pi.uid;
		si.status = pi.status;
		if (pi.code == SI_TIMER || pi.code == SI_QUEUE || pi.code == SI_MESGQ)
			memcpy(&si.status, &pi.value, sizeof(pi.value));
		if (copy_to_user(t, args->a[1], &si, sizeof(si)))
			return -EFAULT;
	}
	return sig;
}

static long do_sigqueue(struct task *t, int tgid, int tid, int sig, uint64_t uinfo)
{
	struct guest_siginfo_w si;
	struct pending_siginfo pi;
	long r;

	if (copy_from_user(t, &si, uinfo, sizeof(si)))
		return -EFAULT;
	/* Only the kernel may claim SI_USER/SI_KERNEL-style codes for others. */
	if ((si.si_code >= 0 || si.si_code == SI_TKILL) && tgid != t->tg->tgid)
		return -EPERM;
	if (sig < 0 || sig >= KERNEL_NSIG)
		return -EINVAL;
	pi = (struct pending_siginfo){.code = si.si_code, .pid = si.pid, .uid = (int)si.uid,
				      .status = si.status};
	memcpy(&pi.value, &si.status, sizeof(pi.value)); /* the sigval at offset 24 */
	pthread_mutex_lock(&kernel.lock);
	if (tid > 0) {
		struct task *x = task_lookup(tid);
		r = x && x->tg->tgid == tgid ? signal_send_info(NULL, x, sig, &pi) : -ESRCH;
	} else {
		struct thread_group *tg = tg_lookup(tgid);
		r = tg && !tg->zombie ? signal_send_info(tg, NULL, sig, &pi) : -ESRCH;
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(rt_sigqueueinfo)
{
	return do_sigqueue(t, (int)args->a[0], 0, (int)args->a[1], args->a[2]);
}

SYSCALL_DEFINE(rt_tgsigqueueinfo)
{
	if ((int)args->a[0] <= 0 || (int)args->a[1] <= 0)
		return -EINVAL;
	return do_sigqueue(t, (int)args->a[0], (int)args->a[1], (int)args->a[2], args->a[3]);
}

SYSCALL_DEFINE(pause)
{
	task_sleep(t, -1);
	return -ERESTARTNOHAND;
}

/* Resume a call that was stopped by a signal with -ERESTART_RESTARTBLOCK;
 * with nothing to resume (or after a handler ran), EINTR as Linux's
 * do_no_restart_syscall. */
SYSCALL_DEFINE(restart_syscall)
{
	long (*fn)(struct task *) = t->restart.fn;

	(void)args;
	if (!fn)
		return -EINTR;
	t->restart.fn = NULL;
	return fn(t);
}
