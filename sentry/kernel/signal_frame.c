/*
 * Delivering signals to application handlers: the x86_64 rt_sigframe, built
 * by the sentry on the application's stack exactly as Linux lays it out, and
 * rt_sigreturn, which restores what the frame holds (after checking it: the
 * frame is application memory and so hostile).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/log.h"

/* Guest ABI (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h). */
struct guest_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct guest_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
	struct guest_sigcontext mc;
	uint64_t sigmask;
};

struct guest_siginfo {
	int32_t si_signo, si_errno, si_code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status;
		} kill;
		uint64_t addr;
		char raw[112];
	} u;
};

struct guest_rt_sigframe {
	uint64_t pretcode;
	struct guest_ucontext uc;
	struct guest_siginfo info;
};

_Static_assert(sizeof(struct guest_sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct guest_siginfo) == 128, "siginfo");
_Static_assert(offsetof(struct guest_rt_sigframe, info) == 8 + 304, "rt_sigframe");

#define SA_RESTORER_ 0x04000000
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FIX_EFLAGS 0x40dd5UL /* AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF as Linux allows */
#define SS_AUTODISARM_ (1U << 31)
#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

static bool on_altstack(struct task *t, uint64_t sp)
{
	return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

/* Build the frame and point the registers at the handler. 0 or -EFAULT. */
static int setup_frame(struct task *t, int sig, const struct k_sigaction *act,
		       const struct pending_siginfo *pi)
{
	struct guest_rt_sigframe f;
	uint64_t sp = t->regs.rsp, fp_addr, frame;
	char *fpbuf = NULL;
	int fpsize = 0;

	if ((act->flags & SA_ONSTACK) && t->altstack.size && !on_altstack(t, sp))
		sp = t->altstack.sp + t->altstack.size;
	else
		sp -= 128; /* the red zone */
	if (platform->get_fpstate) {
		fpbuf = calloc(1, platform->fpstate_size + 4);
		if (fpbuf)
			fpsize = platform->get_fpstate(t->pthr, fpbuf);
	}
	if (fpsize > 0) {
		uint32_t magic2 = FP_XSTATE_MAGIC2;
		memcpy(fpbuf + fpsize, &magic2, 4);
		if (fpsize > 512) {
			/* ptrace's image has XCR0 in the software-reserved bytes;
			 * a signal frame has struct _fpx_sw_bytes there. */
			uint32_t sw[12] = {FP_XSTATE_MAGIC1, (uint32_t)fpsize + 4};
			memcpy(&sw[2], fpbuf + 464, 8); /* xfeatures = XCR0 */
			sw[4] = (uint32_t)fpsize;
			memcpy(fpbuf + 464, sw, sizeof(sw));
		}
		sp = (sp - (uint64_t)fpsize - 4) & ~63ULL;
		fp_addr = sp;
	} else {
		fp_addr = 0;
	}
	frame = ((sp - sizeof(f)) & ~15ULL) - 8;

	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpsize > 512 ? UC_FP_XSTATE : 0);
	f.uc.ss_sp = t->altstack.sp;
	f.uc.ss_size = t->altstack.size;
	/* Linux saves the sigaltstack() flags (sas_ss_flags), not whether the
	 * interrupted code was on the alternate stack. */
	f.uc.ss_flags = t->altstack.size ? (int32_t)(t->altstack.flags & SS_AUTODISARM_)
					 : SS_DISABLE;
	struct guest_sigcontext *mc = &f.uc.mc;
	const arch_regs *r = &t->regs;
	mc->r8 = r->r8, mc->r9 = r->r9, mc->r10 = r->r10, mc->r11 = r->r11;
	mc->r12 = r->r12, mc->r13 = r->r13, mc->r14 = r->r14, mc->r15 = r->r15;
	mc->rdi = r->rdi, mc->rsi = r->rsi, mc->rbp = r->rbp, mc->rbx = r->rbx;
	mc->rdx = r->rdx, mc->rax = r->rax, mc->rcx = r->rcx, mc->rsp = r->rsp;
	mc->rip = r->rip, mc->eflags = r->eflags;
	mc->cs = (uint16_t)r->cs, mc->ss = (uint16_t)r->ss;
	mc->oldmask = t->has_saved_sigmask ? t->saved_sigmask : t->sigmask;
	mc->fpstate = fp_addr;
	if (sig == SIGSEGV || sig == SIGBUS) {
		mc->cr2 = pi->addr;
		mc->trapno = sig == SIGSEGV ? 14 : 0;
		mc->err = 4 | 2; /* user-mode write: the host does not tell us more */
	}
	/* After rt_sigsuspend the handler returns to the caller's own mask. */
	f.uc.sigmask = t->has_saved_sigmask ? t->saved_sigmask : t->sigmask;
	t->has_saved_sigmask = false;
	f.info.si_signo = sig;
	f.info.si_code = pi->code;
	if (pi->code == SI_TIMER || pi->code == SI_QUEUE || pi->code == SI_MESGQ) {
		/* _timer {tid, overrun, sigval} / _rt {pid, uid, sigval} */
		f.info.u.kill.pid = pi->pid;
		f.info.u.kill.uid = (uint32_t)pi->uid;
		memcpy(f.info.u.raw + 8, &pi->value, sizeof(pi->value));
	} else if (pi->code <= 0 || sig == SIGCHLD) {
		f.info.u.kill.pid = pi->pid;
		f.info.u.kill.uid = (uint32_t)pi->uid;
		f.info.u.kill.status = pi->status;
	} else {
		f.info.u.addr = pi->addr; /* si_addr; si_band of SIGPOLL */
		/* si_fd of an F_SETSIG signal (fs/fasync.c); 0 for faults. */
		memcpy(f.info.u.raw + 8, &pi->status, sizeof(pi->status));
	}

	if ((fp_addr && mm_write(t->mm, fp_addr, fpbuf, (size_t)fpsize + 4)) ||
	    mm_write(t->mm, frame, &f, sizeof(f))) {
		free(fpbuf);
		return -EFAULT;
	}
	free(fpbuf);

	t->regs.rsp = frame;
	t->regs.rip = act->handler;
	t->regs.rdi = (uint64_t)sig;
	t->regs.rsi = frame + offsetof(struct guest_rt_sigframe, info);
	t->regs.rdx = frame + offsetof(struct guest_rt_sigframe, uc);
	t->regs.rax = 0;
	t->regs.eflags &= ~(0x100UL | 0x400UL); /* TF, DF clear in the handler */
	t->regs.orig_rax = (uint64_t)-1;
	/* Handlers always run in 64-bit mode (the frame may have come from
	 * 32-bit code after a forged rt_sigreturn). */
	t->regs.cs = 0x33;
	t->regs.ss = 0x2b;
	return 0;
}

static int lowest_signal(uint64_t set)
{
	/* Synchronous signals first, as Linux does. */
	static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS};
	for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
		if (set & (1ULL << (sync_sigs[i] - 1)))
			return sync_sigs[i];
	return set ? __builtin_ctzll(set) + 1 : 0;
}

/* Rewind or fail an interrupted syscall (rax holds its result). */
static void fix_restart(struct task *t, const struct k_sigaction *act)
{
	long ret = (long)t->regs.rax;

	switch (ret) {
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		if (act) {
			t->regs.rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTSYS:
		if (act && !(act->flags & SA_RESTART)) {
			t->regs.rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	/* The call resumes through restart_syscall with t->restart. */
	t->regs.rax = ret == -ERESTART_RESTARTBLOCK ? 219 /* __NR_restart_syscall */
						    : t->regs.orig_rax;
	t->regs.rip -= 2;
}

/* Deliver one signal; true if a handler frame was set up (so another may go on top). */
static bool deliver_one(struct task *t, bool in_syscall)
{
	struct k_sigaction act;
	struct pending_siginfo pi;
	int sig;

	pthread_mutex_lock(&kernel.lock);
	for (;;) {
		uint64_t own = t->pending & ~t->sigmask;
		uint64_t shared = t->tg->shared_pending & ~t->sigmask;
		sig = lowest_signal(own ? own : shared);
		if (!sig)
			break;
		if (own)
			t->pending &= ~(1ULL << (sig - 1));
		else
			t->tg->shared_pending &= ~(1ULL << (sig - 1));
		pi = t->pending_info[sig];
		act = t->tg->sigactions[sig];
		if (act.handler == (uint64_t)(uintptr_t)SIG_IGN)
			continue;
		if (act.handler == (uint64_t)(uintptr_t)SIG_DFL) {
			enum sig_default d = signal_default_action(sig);
			if (d == SIGDFL_IGNORE || d == SIGDFL_CONT ||
			    (t->tg->tgid == 1 && sig != SIGKILL))
				continue;
			if (d == SIGDFL_STOP) {
				signal_stop_from_delivery(t->tg, sig);
				continue;
			}
			tg_group_exit(t->tg, sig | (d == SIGDFL_CORE ? 0x80 : 0));
			pthread_mutex_unlock(&kernel.lock);
			return false;
		}
		if (act.flags & SA_RESETHAND)
			memset(&t->tg->sigactions[sig], 0, sizeof(act));
		break;
	}
	pthread_mutex_unlock(&kernel.lock);

	if (in_syscall)
		fix_restart(t, sig ? &act : NULL);
	if (!sig) {
		if (t->has_saved_sigmask) {
			t->sigmask = t->saved_sigmask;
			t->has_saved_sigmask = false;
		}
		return false;
	}
	if (!(act.flags & SA_RESTORER_) || setup_frame(t, sig, &act, &pi) < 0) {
		/* No way to return or no room for the frame: SIGSEGV, as Linux. */
		pthread_mutex_lock(&kernel.lock);
		tg_group_exit(t->tg, SIGSEGV | 0x80);
		pthread_mutex_unlock(&kernel.lock);
		return false;
	}
	t->sigmask |= act.mask;
	if (!(act.flags & SA_NODEFER))
		t->sigmask |= 1ULL << (sig - 1);
	t->sigmask &= ~UNBLOCKABLE;
	if (t->altstack.flags & SS_AUTODISARM_) {
		t->altstack.sp = t->altstack.size = 0;
		t->altstack.flags = SS_DISABLE;
	}
	return true;
}

/*
 * Deliver every signal that is deliverable now, as Linux does before it
 * returns to user mode: each new frame goes on top of the previous one, so the
 * last handler set up runs first and returns into the one below it.
 */
void signal_deliver(struct task *t, bool in_syscall)
{
	while (deliver_one(t, in_syscall))
		in_syscall = false;
}

/* A synchronous fault: delivered to its handler, or fatal. */
void signal_force_fault(struct task *t, int sig, int code, uint64_t addr)
{
	pthread_mutex_lock(&kernel.lock);
	struct k_sigaction *act = &t->tg->sigactions[sig];
	bool blocked = t->sigmask & (1ULL << (sig - 1));
	if (blocked || act->handler == (uint64_t)(uintptr_t)SIG_IGN ||
	    act->handler == (uint64_t)(uintptr_t)SIG_DFL) {
		/* Linux's force_sig: a blocked or ignored fault kills. */
		tg_group_exit(t->tg, sig | (signal_default_action(sig) == SIGDFL_CORE ? 0x80 : 0));
	} else {
		t->pending |= 1ULL << (sig - 1);
		t->pending_info[sig] = (struct pending_siginfo){.code = code, .addr = addr};
	}
	pthread_mutex_unlock(&kernel.lock);
	signal_deliver(t, false);
}

#define FXSAVE_SIZE 512
#define FX_SW_OFFSET 464 /* struct _fpx_sw_bytes in fxsave's software-reserved bytes */
#define XSTATE_BV_OFFSET 512
#define XFEATURE_MASK_FPSSE 0x3ULL

/*
 * Install the FP state a sigreturn frame points at (fpu__restore_sig). A full
 * xsave image is used only if its software-reserved bytes say so and it has
 * the platform's size with FP_XSTATE_MAGIC2 after it; otherwise the frame
 * holds a legacy 512-byte fxsave image: x87/SSE come from it and every other
 * component returns to its initial state. 0 or -EFAULT/-EINVAL (-> SIGSEGV).
 */
static int restore_fpstate(struct task *t, uint64_t addr)
{
	struct {
		uint32_t magic1, extended_size;
		uint64_t xfeatures;
		uint32_t xstate_size;
	} sw;
	char *buf = calloc(1, platform->fpstate_size);
	int size = buf ? platform->get_fpstate(t->pthr, buf) : -ENOMEM;
	uint32_t magic2 = 0;
	int r = -EFAULT;

	if (size < FXSAVE_SIZE || (size_t)size > platform->fpstate_size)
		goto out;
	if (mm_read(t->mm, buf, addr, FXSAVE_SIZE))
		goto out;
	memcpy(&sw, buf + FX_SW_OFFSET, sizeof(sw));
	if (size > FXSAVE_SIZE && sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size == (uint32_t)size &&
	    sw.extended_size == sw.xstate_size + 4 &&
	    !mm_read(t->mm, &magic2, addr + sw.xstate_size, 4) && magic2 == FP_XSTATE_MAGIC2) {
		if (mm_read(t->mm, buf + FXSAVE_SIZE, addr + FXSAVE_SIZE,
			    (size_t)size - FXSAVE_SIZE))
			goto out;
	} else if (size > FXSAVE_SIZE) {
		/* FX-only: keep the current header but init all but x87/SSE. */
		uint64_t bv;
		memcpy(&bv, buf + XSTATE_BV_OFFSET, sizeof(bv));
		bv = (bv & XFEATURE_MASK_FPSSE) | XFEATURE_MASK_FPSSE;
		memcpy(buf + XSTATE_BV_OFFSET, &bv, sizeof(bv));
	}
	r = platform->set_fpstate(t->pthr, buf) < 0 ? -EINVAL : 0;
out:
	free(buf);
	return r;
}

SYSCALL_DEFINE(rt_sigreturn)
{
	struct guest_rt_sigframe f;
	uint64_t frame = t->regs.rsp - 8;
	arch_regs *r = &t->regs;

	if (mm_read(t->mm, &f, frame, sizeof(f)))
		goto bad;
	const struct guest_sigcontext *mc = &f.uc.mc;
	r->r8 = mc->r8, r->r9 = mc->r9, r->r10 = mc->r10, r->r11 = mc->r11;
	r->r12 = mc->r12, r->r13 = mc->r13, r->r14 = mc->r14, r->r15 = mc->r15;
	r->rdi = mc->rdi, r->rsi = mc->rsi, r->rbp = mc->rbp, r->rbx = mc->rbx;
	r->rdx = mc->rdx, r->rax = mc->rax, r->rcx = mc->rcx, r->rsp = mc->rsp;
	r->rip = mc->rip;
	r->eflags = (r->eflags & ~FIX_EFLAGS) | (mc->eflags & FIX_EFLAGS);
	/*
	 * As Linux: the selectors are taken from the frame with RPL forced to 3
	 * (cs 0x23 really resumes 32-bit code; a bogus selector makes the host
	 * fault the return, which reaches the task as SIGSEGV). A 64-bit frame
	 * without UC_STRICT_RESTORE_SS gets a usable ss (force_valid_ss: the
	 * only user data segment is 0x2b; the sandbox has no LDT).
	 */
	r->cs = mc->cs | 3;
	r->ss = mc->ss | 3;
	if (!(f.uc.uc_flags & UC_STRICT_RESTORE_SS) && r->cs == 0x33 && r->ss != 0x2b)
		r->ss = 0x2b;
	r->orig_rax = (uint64_t)-1;
	t->restart.fn = NULL; /* a later restart_syscall fails with EINTR */
	t->sigmask = f.uc.sigmask & ~UNBLOCKABLE;
	if (mc->fpstate && restore_fpstate(t, mc->fpstate) < 0)
		goto bad;
	/* sigaltstack as the frame says (restore_altstack: do_sigaltstack at
	 * the sp of the sigreturn, its errors other than EFAULT ignored; so a
	 * handler that ran on the alternate stack cannot change it). */
	if (!on_altstack(t, frame + 8)) {
		int32_t mode = f.uc.ss_flags & ~(int32_t)SS_AUTODISARM_;
		if (mode == SS_DISABLE) {
			t->altstack.sp = t->altstack.size = 0;
			t->altstack.flags = SS_DISABLE;
		} else if ((mode == 0 || mode == SS_ONSTACK) && f.uc.ss_size >= (uint64_t)MINSIGSTKSZ) {
			t->altstack.sp = f.uc.ss_sp;
			t->altstack.size = f.uc.ss_size;
			t->altstack.flags = f.uc.ss_flags & (int32_t)SS_AUTODISARM_;
		}
	}
	return -EJUSTRETURN;
bad:
	pthread_mutex_lock(&kernel.lock);
	tg_group_exit(t->tg, SIGSEGV | 0x80);
	pthread_mutex_unlock(&kernel.lock);
	return -EJUSTRETURN;
}
