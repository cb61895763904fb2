/*
 * Hostile arguments to the process-model syscalls: garbage pointers, bad
 * sizes and flags, and forged signal frames handed to rt_sigreturn. The
 * sandbox must answer exactly as Linux does (and survive).
 */
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "harness.h"

/* The kernel's struct sigaction (rt_sigaction's ABI). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void *bad_ptr(void)
{
	return harness_unmapped_page();
}

/* ---- rt_sigaction / rt_sigprocmask ------------------------------------- */

TEST(rt_sigaction_bad_pointers)
{
	struct ksigaction ka = {0};

	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, bad_ptr(), NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad_ptr(), 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)1, NULL, 8), EFAULT);
	/* Kernel addresses are never accessible. */
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)0xffffffffff600000UL, NULL, 8),
		     EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, (void *)0xffff800000000000UL, 8),
		     EFAULT);
	/* The failed calls changed nothing. */
	EXPECT_SYS(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &ka, 8));
	EXPECT_TRUE(ka.handler == SIG_DFL);
}

TEST(rt_sigaction_bad_size_and_signal)
{
	struct ksigaction ka = {.handler = SIG_IGN}, old;

	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 0), EINVAL);
	/* Size is checked before the pointers. */
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, bad_ptr(), NULL, 7), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 0, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 65, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, -1, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGSTOP, &ka, NULL, 8), EINVAL);
	ka.handler = SIG_DFL;
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8), EINVAL);
	/* Querying SIGKILL/SIGSTOP is allowed. */
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8), 0);
	EXPECT_TRUE(old.handler == SIG_DFL);
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGSTOP, NULL, &old, 8), 0);
	/* glibc's wrapper agrees. */
	struct sigaction sa = {.sa_handler = SIG_IGN};
	EXPECT_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
	EXPECT_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
}

TEST(rt_sigaction_unblockable_mask_bits_dropped)
{
	struct ksigaction ka = {.handler = SIG_IGN, .mask = ~0ULL}, old;

	if (!EXPECT_SYS(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8)) == 0)
		return;
	EXPECT_SYS(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
	EXPECT_EQ(old.mask & (1ULL << (SIGKILL - 1)), 0);
	EXPECT_EQ(old.mask & (1ULL << (SIGSTOP - 1)), 0);
	signal(SIGUSR1, SIG_DFL);
}

TEST(rt_sigprocmask_bad_input)
{
	uint64_t set = 0, old;

	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad_ptr(), NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad_ptr(), 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, (void *)1, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, -1, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 128), EINVAL);
	/* A bad `how` without a set is not an error (nothing is changed). */
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, 99, NULL, &old, 8), 0);
	/* SIGKILL/SIGSTOP are silently not blocked. */
	set = ~0ULL;
	EXPECT_SYS(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8));
	uint64_t now = 0;
	EXPECT_SYS(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, &now, 8));
	EXPECT_EQ(now & ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1))), 0);
}

/* ---- other signal syscalls ---------------------------------------------- */

TEST(kill_invalid_signal)
{
	EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
	EXPECT_ERRNO(kill(getpid(), -1), EINVAL);
	EXPECT_ERRNO(kill(getpid(), 1000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, gettid(), -5), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), -1, SIGUSR1), EINVAL);
	/* Signal 0 checks existence only. */
	EXPECT_EQ(kill(getpid(), 0), 0);
}

TEST(sigaltstack_bad_input)
{
	static char mem[64 * 1024];
	stack_t ss = {.ss_sp = mem, .ss_size = sizeof(mem)}, old, orig;

	/* A sanitizer runtime may have installed one already: keep it. */
	if (!EXPECT_SYS(sigaltstack(NULL, &orig)) == 0)
		return;
	ss.ss_flags = 0x1234;
	EXPECT_ERRNO(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = SS_DISABLE | SS_ONSTACK;
	EXPECT_ERRNO(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = 0;
	ss.ss_size = 2047; /* the kernel's MINSIGSTKSZ is 2048 */
	EXPECT_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = 0;
	EXPECT_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
	EXPECT_ERRNO(sigaltstack(bad_ptr(), NULL), EFAULT);
	EXPECT_ERRNO(sigaltstack(NULL, bad_ptr()), EFAULT);
	/* Nothing was installed by the failures. */
	EXPECT_SYS(sigaltstack(NULL, &old));
	EXPECT_EQ(old.ss_flags, orig.ss_flags);
	EXPECT_EQ((uintptr_t)old.ss_sp, (uintptr_t)orig.ss_sp);
	EXPECT_EQ(old.ss_size, orig.ss_size);
	/* SS_ONSTACK as a request is accepted as 0 (old ABI). */
	ss.ss_size = sizeof(mem);
	ss.ss_flags = SS_ONSTACK;
	EXPECT_EQ(sigaltstack(&ss, NULL), 0);
	EXPECT_SYS(sigaltstack(NULL, &old));
	EXPECT_EQ(old.ss_flags, 0);
	EXPECT_EQ(old.ss_size, sizeof(mem));
	EXPECT_EQ(sigaltstack(&orig, NULL), 0);
}

static volatile int altstack_eperm;
static void change_altstack_handler(int sig)
{
	static char other[64 * 1024];
	stack_t ss = {.ss_sp = other, .ss_size = sizeof(other)};

	(void)sig;
	errno = 0;
	altstack_eperm = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
}

TEST(sigaltstack_change_while_on_it_is_eperm)
{
	static char mem[64 * 1024];
	stack_t ss = {.ss_sp = mem, .ss_size = sizeof(mem)};
	struct sigaction sa = {.sa_handler = change_altstack_handler, .sa_flags = SA_ONSTACK};

	altstack_eperm = 0;
	if (!EXPECT_EQ(sigaltstack(&ss, NULL), 0))
		return;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	EXPECT_EQ(altstack_eperm, 1);
}

/* ---- wait4 / waitid ------------------------------------------------------- */

TEST(wait_bad_options)
{
	int st;
	siginfo_t si;

	EXPECT_ERRNO(wait4(-1, &st, 0x12345678, NULL), EINVAL);
	EXPECT_ERRNO(wait4(-1, &st, WEXITED, NULL), EINVAL); /* waitid-only flag */
	EXPECT_ERRNO(waitid(P_ALL, 0, &si, 0), EINVAL);      /* no event requested */
	EXPECT_ERRNO(waitid(P_ALL, 0, &si, WEXITED | 0x100000), EINVAL);
	EXPECT_ERRNO(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
	/* No children: ECHILD, and bad pointers are not looked at. */
	EXPECT_ERRNO(wait4(-1, bad_ptr(), WNOHANG, NULL), ECHILD);
}

TEST(wait_bad_status_pointer)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	if (!EXPECT_GT(pid, 0))
		return;
	/* Linux reaps the child first and then fails to store its status:
	 * EFAULT, and the child is gone. */
	EXPECT_ERRNO(wait4(pid, bad_ptr(), 0, NULL), EFAULT);
	EXPECT_ERRNO(waitpid(pid, NULL, 0), ECHILD);
}

/* ---- clone -------------------------------------------------------------- */

static long raw_clone(unsigned long flags)
{
	int pidfd = -1;
	long r = syscall(SYS_clone, flags, NULL, &pidfd, NULL, 0);

	if (r == 0)
		_exit(99); /* should not have been created */
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r;
}

TEST(clone_invalid_flag_combinations)
{
	EXPECT_ERRNO(raw_clone(CLONE_SIGHAND | SIGCHLD), EINVAL);
	EXPECT_ERRNO(raw_clone(CLONE_THREAD | CLONE_VM | SIGCHLD), EINVAL);
	EXPECT_ERRNO(raw_clone(CLONE_THREAD | CLONE_VM), EINVAL);
	EXPECT_ERRNO(raw_clone(CLONE_FS | CLONE_NEWNS | SIGCHLD), EINVAL);
	EXPECT_ERRNO(raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD), EINVAL);
	EXPECT_ERRNO(raw_clone(CLONE_SIGHAND | CLONE_THREAD | SIGCHLD), EINVAL);
	/* CLONE_PIDFD with CLONE_DETACHED is rejected. */
	EXPECT_ERRNO(raw_clone(CLONE_PIDFD | CLONE_DETACHED | SIGCHLD), EINVAL);
}

/* ---- futex --------------------------------------------------------------- */

TEST(futex_bad_address)
{
	uint32_t *bad = bad_ptr();
	static uint32_t word[2];
	struct timespec ts = {0, 1000};

	EXPECT_ERRNO(syscall(SYS_futex, bad, FUTEX_WAIT, 0, &ts, NULL, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_futex, bad, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_futex, (char *)word + 1, FUTEX_WAIT, 0, &ts, NULL, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_futex, (char *)word + 2, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_futex, (char *)word + 3, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0),
		     EINVAL);
	EXPECT_ERRNO(syscall(SYS_futex, NULL, FUTEX_WAIT, 0, &ts, NULL, 0), EFAULT);
	/* A bad timeout pointer. */
	EXPECT_ERRNO(syscall(SYS_futex, word, FUTEX_WAIT, 0, bad_ptr(), NULL, 0), EFAULT);
	/* An unknown op. */
	EXPECT_ERRNO(syscall(SYS_futex, word, 99, 0, NULL, NULL, 0), ENOSYS);
	/* Wrong value: EAGAIN without sleeping. */
	word[0] = 5;
	EXPECT_ERRNO(syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), EAGAIN);
}

/* ---- forged signal frames -------------------------------------------------- */

/*
 * A child builds a signal frame by hand at a low address (so it also makes
 * sense to 32-bit code) and calls rt_sigreturn on it. The frame's rip points
 * at a ud2, so whatever mode the child resumes in, it traps at once; a
 * SIGILL/SIGSEGV handler (on an alternate stack, in 64-bit mode as Linux sets
 * up handlers) reports the context it interrupted through shared memory.
 */
#define LOW_CODE 0x20000000UL
#define LOW_STACK (LOW_CODE + 0x10000UL)
#define LOW_STACK_SIZE 0x10000UL

struct forged_result {
	int sig, code;
	uint64_t cs, ss, eflags, rip, mxcsr;
};

static struct forged_result *forged_res;

static void forged_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	forged_res->sig = sig;
	forged_res->code = si->si_code;
	forged_res->cs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
	forged_res->ss = ((uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] >> 48) & 0xffff;
	forged_res->eflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
	forged_res->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	forged_res->mxcsr = uc->uc_mcontext.fpregs ? uc->uc_mcontext.fpregs->mxcsr : 0;
	syscall(SYS_exit_group, 7);
}

struct forge {
	uint64_t cs, ss, eflags, uc_flags;
	bool handlers;
	bool bad_sp;  /* rt_sigreturn with rsp pointing at unmapped memory */
	int fpstate;  /* 0: none, 1: unmapped pointer, 2: 512-byte fxsave at a page end */
	uint32_t fx_mxcsr;
};

static __attribute__((noreturn)) void forge_child(const struct forge *fg)
{
	static char altmem[64 * 1024];
	stack_t alt = {.ss_sp = altmem, .ss_size = sizeof(altmem)};
	uint8_t *code, *stack;
	ucontext_t *uc;

	code = mmap((void *)LOW_CODE, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	stack = mmap((void *)LOW_STACK, LOW_STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (code != (void *)LOW_CODE || stack != (void *)LOW_STACK)
		_exit(90);
	code[0] = 0x0f, code[1] = 0x0b; /* ud2 */
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC) != 0)
		_exit(91);
	if (fg->handlers) {
		struct sigaction sa = {.sa_sigaction = forged_handler,
				       .sa_flags = SA_SIGINFO | SA_ONSTACK};
		if (sigaltstack(&alt, NULL) != 0)
			_exit(92);
		sigaction(SIGILL, &sa, NULL);
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		sigaction(SIGTRAP, &sa, NULL);
	} else {
		/* Default actions (sanitizer runtimes install their own handlers). */
		signal(SIGILL, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGTRAP, SIG_DFL);
	}

	uc = (ucontext_t *)(stack + 0x8000);
	memset(uc, 0, offsetof(ucontext_t, __fpregs_mem));
	uc->uc_flags = fg->uc_flags;
	uc->uc_stack = fg->handlers ? alt : (stack_t){.ss_flags = SS_DISABLE};
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)LOW_CODE;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(LOW_STACK + 0x4000);
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fg->eflags;
	uc->uc_mcontext.gregs[REG_CSGSFS] = (greg_t)(fg->cs | (fg->ss << 48));
	if (fg->fpstate == 1) {
		uc->uc_mcontext.fpregs = bad_ptr();
	} else if (fg->fpstate == 2) {
		/* A legacy fxsave image, no xsave magic, ending at the end of
		 * the mapping: Linux restores it as FX-only state. */
		struct _libc_fpstate *fx =
			(void *)(stack + LOW_STACK_SIZE - sizeof(struct _libc_fpstate));
		memset(fx, 0, sizeof(*fx));
		fx->cwd = 0x37f;
		fx->mxcsr = fg->fx_mxcsr;
		fx->mxcr_mask = 0xffff;
		uc->uc_mcontext.fpregs = fx;
	}
	sigemptyset(&uc->uc_sigmask);

	uint64_t sp = fg->bad_sp ? (uint64_t)bad_ptr() + 2048 : (uint64_t)uc;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n\t"
			 :
			 : "r"(sp), "i"(SYS_rt_sigreturn)
			 : "memory");
	__builtin_unreachable();
}

/* Run a forged sigreturn in a child; the wait status, and what the handler saw. */
static int run_forge(const struct forge *fg, struct forged_result *out)
{
	int st = -1;
	pid_t pid;

	forged_res = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (forged_res == MAP_FAILED)
		return -1;
	memset(forged_res, 0, sizeof(*forged_res));
	pid = fork();
	if (pid == 0)
		forge_child(fg);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	*out = *forged_res;
	munmap(forged_res, 4096);
	return st;
}

#define HOSTILE_EFLAGS                                                                             \
	(0x3000UL /* IOPL 3 */ | 0x4000UL /* NT */ | 0x20000UL /* VM */ | 0x80000UL /* VIF */ |  \
	 0x100000UL /* VIP */ | 0x200000UL /* ID */)
#define HARMLESS_EFLAGS (0x1UL | 0x4UL | 0x40UL | 0x80UL | 0x800UL) /* CF PF ZF SF OF */

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

TEST(sigreturn_hostile_eflags_sanitized)
{
	struct forge fg = {.cs = 0x33, .ss = 0x2b, .eflags = HOSTILE_EFLAGS | HARMLESS_EFLAGS,
			   .uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, .handlers = true};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	if (!EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7))
		printf("  status 0x%x\n", st);
	EXPECT_EQ(r.sig, SIGILL);
	EXPECT_EQ(r.rip, LOW_CODE);
	EXPECT_EQ(r.cs, 0x33);
	/* Only the arithmetic flags come from the frame; IOPL, NT, VM, VIF,
	 * VIP, ID are the kernel's (IF and the fixed bit 1 set). */
	EXPECT_EQ(r.eflags & ~0x10000UL /* RF: set by the CPU for the fault */, HARMLESS_EFLAGS | 0x202);
}

TEST(sigreturn_to_32bit_code_segment)
{
	/* cs 0x20 (RPL 0) is forced to RPL 3: 0x23, the 32-bit user code
	 * segment; Linux resumes there, and ud2 traps in 32-bit mode. */
	struct forge fg = {.cs = 0x20, .ss = 0x28, .eflags = HOSTILE_EFLAGS | HARMLESS_EFLAGS,
			   .uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, .handlers = true};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	if (!EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7))
		printf("  status 0x%x\n", st);
	EXPECT_EQ(r.sig, SIGILL);
	EXPECT_EQ(r.rip, LOW_CODE);
	EXPECT_EQ(r.cs, 0x23);
	EXPECT_EQ(r.ss, 0x2b);
	EXPECT_EQ(r.eflags & ~0x10000UL /* RF: set by the CPU for the fault */, HARMLESS_EFLAGS | 0x202);
}

TEST(sigreturn_garbage_code_segment_faults)
{
	struct forge fg = {.cs = 0x1234, .ss = 0x2b, .eflags = 0x202,
			   .uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

TEST(sigreturn_garbage_stack_segment)
{
	struct forged_result r;
	/* Without UC_STRICT_RESTORE_SS a 64-bit frame's bad ss is replaced by
	 * the user data segment (for old DOSEMU/CRIU frames)... */
	struct forge fg = {.cs = 0x33, .ss = 0x1234, .eflags = 0x202, .uc_flags = 0,
			   .handlers = true};
	int st = run_forge(&fg, &r);

	if (!EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7))
		printf("  status 0x%x\n", st);
	EXPECT_EQ(r.sig, SIGILL);
	EXPECT_EQ(r.ss, 0x2b);

	/* ...with it, the bad selector is used and the return faults. */
	fg.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fg.handlers = false;
	st = run_forge(&fg, &r);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

TEST(sigreturn_with_unmapped_stack_kills)
{
	struct forge fg = {.cs = 0x33, .ss = 0x2b, .eflags = 0x202, .bad_sp = true};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

TEST(sigreturn_with_unmapped_fpstate_kills)
{
	struct forge fg = {.cs = 0x33, .ss = 0x2b, .eflags = 0x202,
			   .uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, .fpstate = 1};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}

TEST(sigreturn_legacy_fxsave_fpstate)
{
	struct forge fg = {.cs = 0x33, .ss = 0x2b, .eflags = 0x202,
			   .uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, .handlers = true,
			   .fpstate = 2, .fx_mxcsr = 0x3f80};
	struct forged_result r;
	int st = run_forge(&fg, &r);

	if (!EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7))
		printf("  status 0x%x\n", st);
	EXPECT_EQ(r.sig, SIGILL);
	EXPECT_EQ(r.mxcsr, 0x3f80);

	/* Reserved MXCSR bits make the state unloadable: SIGSEGV. */
	fg.fx_mxcsr = 0xffffffff;
	fg.handlers = false;
	st = run_forge(&fg, &r);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGSEGV);
}
