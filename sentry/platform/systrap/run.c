/*
 * systrap: running application code, the hand-off through the slot, and
 * the register and FP state in the signal frame.
 *
 * The hand-off: the stub stores EVENT in the slot's state word and wakes
 * the sentry if it sleeps; the sentry rewrites the frame, stores REPLY and
 * wakes the stub if it sleeps. Each side spins a bounded number of rounds
 * (systrap_spin_*, 0 on one CPU) before it sleeps on the futex, announcing
 * the sleep in its *_sleeping word first, so that the other side's wake
 * costs a syscall only when someone really sleeps.
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap_impl.h"
#include "util/log.h"

#define UC_STACK 16
#define UC_GREGS 40
#define UC_FPSTATE (UC_GREGS + 23 * 8)
#define UC_SIGMASK (UC_GREGS + 256)
#define UC_SIZE (UC_SIGMASK + 8)
enum { G_R8, G_R9, G_R10, G_R11, G_R12, G_R13, G_R14, G_R15, G_RDI, G_RSI, G_RBP, G_RBX,
       G_RDX, G_RAX, G_RCX, G_RSP, G_RIP, G_EFL, G_CSGSFS };
#define SIGINFO_SIZE 128
#define FX_SIZE 512
#define FX_SW 464
#define FP_XSTATE_MAGIC1 0x46505853U
#define SYS_SECCOMP_CODE 1
#define WAIT_SLICE_NS 100000000LL
#define KICK_TIMEOUT_NS 10000000000LL

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void kill_as(struct platform_as *as)
{
	if (as->pidfd < 0 || syscall(SYS_pidfd_send_signal, as->pidfd, SIGKILL, NULL, 0) < 0)
		kill(as->pid, SIGKILL);
}

static bool host_thread_gone(struct platform_thread *thr)
{
	struct pollfd p = {thr->as->pidfd, POLLIN, 0};

	if (syscall(SYS_tgkill, thr->as->pid, thr->tid, 0) < 0 && errno == ESRCH)
		return true;
	return thr->as->pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* Is [off, off+len) inside the slot's signal stack? */
static bool in_stack(uint64_t off, uint64_t len)
{
	return off >= SYSTRAP_CTL_SIZE && off <= SYSTRAP_SLOT_SIZE && len <= SYSTRAP_SLOT_SIZE - off;
}

/*
 * Wait for the stub's next frame and validate where it says the frame is.
 * Returns 0, or -ESRCH when the host thread is gone (or was killed for
 * ignoring kicks, or for lying about its frame).
 */
static int wait_event(struct platform_thread *thr, bool *slept)
{
	struct systrap_slot *s = systrap_slot(thr->as, thr->slot);
	uint64_t base = SYSTRAP_SLOTS + (uint64_t)thr->slot * SYSTRAP_SLOT_SIZE, uc, si;
	unsigned st;

	if (slept)
		*slept = false;
	if (systrap_spin_until(&s->state, SYSTRAP_ST_EVENT, systrap_handoff_spin(thr)))
		goto got;
	if (slept)
		*slept = true;
	for (;;) {
		struct timespec ts = {0, WAIT_SLICE_NS};
		long r;

		__atomic_store_n(&s->sentry_sleeping, 1, __ATOMIC_SEQ_CST);
		st = __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
		if (st == SYSTRAP_ST_EVENT)
			break;
		r = syscall(SYS_futex, &s->state, FUTEX_WAIT, st, &ts, NULL, 0);
		if (r == 0 || errno != ETIMEDOUT)
			continue;
		if (host_thread_gone(thr)) {
			log_debug("systrap: tid %d is gone", thr->tid);
			goto dead;
		}
		int64_t k = atomic_load(&thr->kick_ns);
		if (k && now_ns() - k > KICK_TIMEOUT_NS) {
			/* It blocks the kick signal: it can no longer be stopped. */
			kill_as(thr->as);
			goto dead;
		}
	}
	__atomic_store_n(&s->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
got:
	atomic_store(&thr->kick_ns, 0);
	uc = __atomic_load_n(&s->ucontext, __ATOMIC_RELAXED) - base;
	si = __atomic_load_n(&s->siginfo, __ATOMIC_RELAXED) - base;
	if (!in_stack(uc, UC_SIZE) || !in_stack(si, SIGINFO_SIZE) || (uc & 7) || (si & 7)) {
		log_warn("systrap: tid %d posted a frame outside its slot", thr->tid);
		kill_as(thr->as);
		goto dead;
	}
	thr->uc = uc;
	thr->si = si;
	thr->in_event = true;
	return 0;
dead:
	__atomic_store_n(&s->sentry_sleeping, 0, __ATOMIC_SEQ_CST);
	thr->dead = true;
	return -ESRCH;
}

/* Answer the stub: it returns to the frame (or exits). Returns whether
 * it slept (and had to be woken). */
static bool post_reply(struct platform_thread *thr, unsigned cmd)
{
	struct systrap_slot *s = systrap_slot(thr->as, thr->slot);

	if (s->cmd != cmd) /* a store takes the line from the spinning stub */
		s->cmd = cmd;
	thr->in_event = false;
	__atomic_store_n(&s->state, SYSTRAP_ST_REPLY, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&s->stub_sleeping, __ATOMIC_SEQ_CST))
		return false;
	syscall(SYS_futex, &s->state, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
	return true;
}

static uint64_t *gregs(struct platform_thread *thr)
{
	return (uint64_t *)((char *)systrap_slot(thr->as, thr->slot) + thr->uc + UC_GREGS);
}

/* Where the frame's FP state is and how big; -EFAULT if the pointer lies. */
static int frame_fp(struct platform_thread *thr, char **fp)
{
	char *slot = (char *)systrap_slot(thr->as, thr->slot);
	uint64_t base = SYSTRAP_SLOTS + (uint64_t)thr->slot * SYSTRAP_SLOT_SIZE;
	uint64_t p, off;
	uint32_t magic1, xsize;

	memcpy(&p, slot + thr->uc + UC_FPSTATE, 8);
	off = p - base;
	if (!in_stack(off, FX_SIZE) || (off & 15))
		return -EFAULT;
	*fp = slot + off;
	memcpy(&magic1, *fp + FX_SW, 4);
	memcpy(&xsize, *fp + FX_SW + 16, 4);
	if (magic1 == FP_XSTATE_MAGIC1 && xsize > FX_SIZE && xsize <= SYSTRAP_FPSTATE_SIZE &&
	    in_stack(off, (uint64_t)xsize + 4))
		return (int)xsize;
	return FX_SIZE;
}

/* The frame's FP state in ptrace's NT_X86_XSTATE layout (XCR0 at 464). */
static int frame_get_fp(struct platform_thread *thr, void *buf)
{
	char *fp;
	int size = frame_fp(thr, &fp);

	if (size < 0)
		return size;
	memcpy(buf, fp, (size_t)size);
	memset((char *)buf + FX_SW, 0, 48);
	if (size > FX_SIZE)
		memcpy((char *)buf + FX_SW, fp + FX_SW + 8, 8); /* xfeatures */
	return size;
}

/* Write buf (ptrace layout) into the frame, checked as the kernel's
 * rt_sigreturn would check it, so that the return cannot fail. */
static int frame_set_fp(struct platform_thread *thr, const char *buf)
{
	char *fp;
	int size = frame_fp(thr, &fp);
	uint32_t mxcsr, mask;
	uint64_t xfeatures = 0, bv, comp, zero[6] = {0};

	if (size < 0)
		return size;
	memcpy(&mxcsr, buf + 24, 4);
	memcpy(&mask, fp + 28, 4);
	if (!mask)
		mask = 0xffbf;
	if (mxcsr & ~mask)
		return -EINVAL;
	if (size > FX_SIZE) {
		memcpy(&xfeatures, fp + FX_SW + 8, 8);
		memcpy(&bv, buf + 512, 8);
		memcpy(&comp, buf + 520, 8);
		if ((bv & ~xfeatures) || comp || memcmp(buf + 528, zero, sizeof(zero)))
			return -EINVAL;
	}
	memcpy(fp, buf, FX_SW);
	if (size > FX_SIZE)
		memcpy(fp + FX_SIZE, buf + FX_SIZE, (size_t)size - FX_SIZE);
	return 0;
}

/*
 * Have the thread, waiting in its handler, make a syscall from the stub's
 * code: cheaper than stopping it with ptrace. Only calls the stub's filter
 * allows from there (address-space changes within the application's
 * range); the result is the application's to forge, which can only
 * mislead the sentry about the application's own memory.
 */
long systrap_call(struct platform_thread *thr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		  uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct systrap_slot *s;

	if (systrap_settle(thr) < 0)
		return -ESRCH;
	if (thr->attached || !thr->in_event)
		return systrap_inject(thr, nr, a0, a1, a2, a3, a4, a5);
	s = systrap_slot(thr->as, thr->slot);
	s->sc_nr = (uint64_t)nr;
	s->sc_args[0] = a0;
	s->sc_args[1] = a1;
	s->sc_args[2] = a2;
	s->sc_args[3] = a3;
	s->sc_args[4] = a4;
	s->sc_args[5] = a5;
	post_reply(thr, SYSTRAP_CMD_SYSCALL);
	if (wait_event(thr, NULL) < 0)
		return -ESRCH;
	return (long)__atomic_load_n(&s->sc_ret, __ATOMIC_RELAXED);
}

/*
 * An atomic update of a 32-bit application word, made by the thread itself
 * in its handler (SYSTRAP_CMD_CMPXCHG/_ATOMIC_OP): the caller must be its
 * own sentry thread, with the thread waiting in a syscall. The result is
 * the application's to forge (it can write the slot), which only misleads
 * the futex code about the application's own word: anything but a 32-bit
 * value or -EFAULT is taken as -EFAULT.
 */
static int atomic_word(struct platform_thread *thr, unsigned cmd, uint64_t addr, uint32_t a,
		       uint32_t b, uint32_t *out)
{
	struct systrap_slot *s;
	long long r;

	if (thr != platform_current() || thr->dead)
		return -ESRCH;
	if ((addr & 3) || addr < APP_ADDR_MIN || addr > APP_ADDR_MAX - 4)
		return -EFAULT;
	if (thr->attached || thr->fresh || !thr->in_event)
		return -ENOSYS;
	s = systrap_slot(thr->as, thr->slot);
	s->sc_args[0] = addr;
	s->sc_args[1] = a;
	s->sc_args[2] = b;
	post_reply(thr, cmd);
	if (wait_event(thr, NULL) < 0)
		return -ESRCH;
	r = __atomic_load_n(&s->sc_ret, __ATOMIC_RELAXED);
	if (r < 0 || r > (long long)UINT32_MAX)
		return -EFAULT;
	*out = (uint32_t)r;
	return 0;
}

int systrap_cmpxchg32(struct platform_thread *thr, uint64_t addr, uint32_t old, uint32_t new_,
		      uint32_t *cur)
{
	return atomic_word(thr, SYSTRAP_CMD_CMPXCHG, addr, old, new_, cur);
}

int systrap_atomic_op32(struct platform_thread *thr, uint64_t addr, int op, uint32_t oparg,
			uint32_t *old)
{
	if (op < FUTEX_OP_SET || op > FUTEX_OP_XOR)
		return -EINVAL;
	return atomic_word(thr, SYSTRAP_CMD_ATOMIC_OP, addr, (uint32_t)op, oparg, old);
}

/* A new thread's first frame: its entry int3. Give it its FP state. */
static int settle_entry(struct platform_thread *thr)
{
	if (wait_event(thr, NULL) < 0)
		return -ESRCH;
	thr->fresh = false;
	if (thr->pending_fp) {
		frame_set_fp(thr, thr->pending_fp);
		free(thr->pending_fp);
		thr->pending_fp = NULL;
	}
	return 0;
}

/* Before injecting: a thread that never ran must first reach its frame. */
int systrap_settle(struct platform_thread *thr)
{
	if (thr->dead)
		return -ESRCH;
	if (thr->attached || !thr->fresh)
		return 0;
	return settle_entry(thr);
}

int systrap_read_fp(struct platform_thread *thr, void *buf)
{
	if (!thr->fresh)
		return frame_get_fp(thr, buf);
	if (thr->pending_fp) {
		memcpy(buf, thr->pending_fp, SYSTRAP_FPSTATE_SIZE);
		return SYSTRAP_FPSTATE_SIZE;
	}
	/* The state a new process starts with (FX layout only). */
	memset(buf, 0, FX_SIZE);
	((uint16_t *)buf)[0] = 0x37f;
	((uint32_t *)buf)[6] = 0x1f80;
	((uint32_t *)buf)[7] = 0xffff;
	return FX_SIZE;
}

int systrap_get_fpstate(struct platform_thread *thr, void *buf)
{
	if (thr->dead)
		return -ESRCH;
	return systrap_read_fp(thr, buf);
}

int systrap_set_fpstate(struct platform_thread *thr, const void *buf)
{
	if (thr->dead)
		return -ESRCH;
	if (thr->fresh) {
		if (!thr->pending_fp && !(thr->pending_fp = malloc(SYSTRAP_FPSTATE_SIZE)))
			return -ENOMEM;
		memcpy(thr->pending_fp, buf, SYSTRAP_FPSTATE_SIZE);
		return 0;
	}
	return frame_set_fp(thr, buf);
}

static void frame_to_regs(struct platform_thread *thr, arch_regs *r)
{
	uint64_t g[23];

	memcpy(g, gregs(thr), sizeof(g));
	memset(r, 0, sizeof(*r));
	r->r8 = g[G_R8];
	r->r9 = g[G_R9];
	r->r10 = g[G_R10];
	r->r11 = g[G_R11];
	r->r12 = g[G_R12];
	r->r13 = g[G_R13];
	r->r14 = g[G_R14];
	r->r15 = g[G_R15];
	r->rdi = g[G_RDI];
	r->rsi = g[G_RSI];
	r->rbp = g[G_RBP];
	r->rbx = g[G_RBX];
	r->rdx = g[G_RDX];
	r->rax = g[G_RAX];
	r->rcx = g[G_RCX];
	r->rsp = g[G_RSP];
	r->rip = g[G_RIP];
	r->eflags = g[G_EFL];
	r->cs = g[G_CSGSFS] & 0xffff;
	r->ss = (g[G_CSGSFS] >> 48) & 0xffff;
	r->orig_rax = (uint64_t)-1;
	r->fs_base = thr->fs_base;
	r->gs_base = thr->gs_base;
}

/* Store v at p unless it is there already: a line of the frame that the
 * sentry leaves clean stays in the stub's CPU's cache for its rt_sigreturn
 * (most syscalls change only rax). */
static inline void put64(void *p, uint64_t v)
{
	uint64_t old;

	memcpy(&old, p, 8);
	if (old != v)
		memcpy(p, &v, 8);
}

static void regs_to_frame(struct platform_thread *thr, const arch_regs *r)
{
	char *uc = (char *)systrap_slot(thr->as, thr->slot) + thr->uc;
	uint64_t *g = gregs(thr), csgsfs;

	put64(&g[G_R8], r->r8);
	put64(&g[G_R9], r->r9);
	put64(&g[G_R10], r->r10);
	put64(&g[G_R11], r->r11);
	put64(&g[G_R12], r->r12);
	put64(&g[G_R13], r->r13);
	put64(&g[G_R14], r->r14);
	put64(&g[G_R15], r->r15);
	put64(&g[G_RDI], r->rdi);
	put64(&g[G_RSI], r->rsi);
	put64(&g[G_RBP], r->rbp);
	put64(&g[G_RBX], r->rbx);
	put64(&g[G_RDX], r->rdx);
	put64(&g[G_RAX], r->rax);
	put64(&g[G_RCX], r->rcx);
	put64(&g[G_RSP], r->rsp);
	put64(&g[G_RIP], r->rip);
	put64(&g[G_EFL], r->eflags);
	memcpy(&csgsfs, &g[G_CSGSFS], 8);
	put64(&g[G_CSGSFS],
	      (csgsfs & 0x0000ffffffff0000ULL) | (r->cs & 0xffff) | ((r->ss & 0xffff) << 48));
	/* No host signal blocked, and the slot's stack as the signal stack,
	 * whatever the frame says now. */
	put64(uc + UC_SIGMASK, 0);
	put64(uc + UC_STACK, SYSTRAP_SLOTS + (uint64_t)thr->slot * SYSTRAP_SLOT_SIZE +
				     SYSTRAP_CTL_SIZE);
	put64(uc + UC_STACK + 8, 0);
	put64(uc + UC_STACK + 16, SYSTRAP_SLOT_SIZE - SYSTRAP_CTL_SIZE);
}

int systrap_run(struct platform_thread *thr, arch_regs *regs,
		       struct platform_stop_info *info)
{
	struct systrap_slot *s;
	siginfo_t si;
	int sig;
	uint64_t t_reply, serve;
	bool stub_slept, sentry_slept;

	memset(info, 0, sizeof(*info));
	if (thr->dead)
		goto dead;
	bool rekick = atomic_load(&thr->kick_ns) != 0;
	if (thr->attached && systrap_detach(thr) < 0)
		goto dead;
	if (thr->fresh && settle_entry(thr) < 0)
		goto dead;
	if (!thr->in_event)
		goto dead; /* cannot happen: the thread is not where it should be */
	s = systrap_slot(thr->as, thr->slot);
	regs_to_frame(thr, regs);
	if (!thr->fs_known || regs->fs_base != thr->fs_base) {
		s->fs_base = regs->fs_base;
		s->set_fs = 1;
	}
	if (!thr->fs_known || regs->gs_base != thr->gs_base) {
		s->gs_base = regs->gs_base;
		s->set_gs = 1;
	}
	thr->fs_base = regs->fs_base;
	thr->gs_base = regs->gs_base;
	thr->fs_known = true;
	systrap_handoff_place(thr, s);
	/* A kick since the last event that has not come back as one may have
	 * been taken by ptrace while the thread was attached (ctl.c drops
	 * it): send it again, so that it is pending when the handler returns.
	 * A kick still pending in the stub merges with it. */
	if (rekick)
		syscall(SYS_tgkill, thr->as->pid, thr->tid, SYSTRAP_KICK_SIGNAL);
	t_reply = systrap_tsc();
	serve = thr->t_event ? t_reply - thr->t_event : UINT64_MAX;
	stub_slept = post_reply(thr, SYSTRAP_CMD_RUN);
	if (wait_event(thr, &sentry_slept) < 0)
		goto dead;
	thr->t_event = systrap_tsc();
	systrap_handoff_account(thr, serve, thr->t_event - t_reply, stub_slept || sentry_slept);
	frame_to_regs(thr, regs);
	/* A syscall needs only si_signo and si_code (the first line). */
	memcpy(&si, (char *)s + thr->si, 16);
	sig = si.si_signo;
	if (sig == SIGSYS && si.si_code == SYS_SECCOMP_CODE) {
		regs->orig_rax = regs->rax;
		regs->rax = (uint64_t)-ENOSYS;
		info->kind = PSTOP_SYSCALL;
		return 0;
	}
	memcpy(&si, (char *)s + thr->si, sizeof(si));
	sig = si.si_signo;
	info->si = si;
	if (sig == SYSTRAP_KICK_SIGNAL) {
		info->kind = PSTOP_INTERRUPT;
		return 0;
	}
	if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) &&
	    si.si_code > 0) {
		info->kind = PSTOP_FAULT;
		return 0;
	}
	info->kind = PSTOP_SIGNAL;
	return 0;
dead:
	thr->dead = true;
	info->kind = PSTOP_DEAD;
	return -ESRCH;
}

void systrap_kick(struct platform_thread *thr)
{
	int64_t zero = 0;

	if (!thr || thr->dead || !thr->as)
		return;
	atomic_compare_exchange_strong(&thr->kick_ns, &zero, now_ns());
	syscall(SYS_tgkill, thr->as->pid, thr->tid, SYSTRAP_KICK_SIGNAL);
}

void systrap_thread_exit(struct platform_thread *thr)
{
	if (!thr->dead) {
		if (thr->attached && thr->fresh) {
			/* Never ran: end it right where it is stopped. */
			systrap_inject_tid(thr->tid, NULL, SYS_exit, 0, 0, 0, 0, 0, 0);
			thr->attached = false;
		} else {
			if (thr->attached)
				systrap_detach(thr);
			if (!thr->dead && thr->fresh)
				settle_entry(thr);
			if (!thr->dead)
				post_reply(thr, SYSTRAP_CMD_EXIT);
		}
	}
	systrap_handoff_release(thr);
	systrap_slot_free(thr->as, thr->slot, true);
	if (platform_current() == thr)
		platform_set_current(NULL);
	free(thr->pending_fp);
	free(thr);
}

void systrap_thread_release(struct platform_thread *thr)
{
	int status;

	systrap_handoff_release(thr);
	if (thr->attached) {
		/* Its process was killed; collect what ptrace still holds. */
		systrap_ptrace(PTRACE_DETACH, thr->tid, NULL, NULL);
		waitpid(thr->tid, &status, __WALL | WNOHANG);
	}
	if (platform_current() == thr)
		platform_set_current(NULL);
	free(thr->pending_fp);
	free(thr);
}

