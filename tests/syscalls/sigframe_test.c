/*
 * Signal frames: what a handler sees in its ucontext, what it may change
 * there, and that the interrupted context (integer, x87, SSE and AVX state,
 * signal mask) comes back intact through rt_sigreturn. Also the per-action
 * flags that shape delivery: SA_NODEFER, SA_RESETHAND, SA_ONSTACK with
 * sigaltstack, and nesting.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <stddef.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "harness.h"

static long raw_tgkill(int sig)
{
	return syscall(SYS_tgkill, getpid(), gettid(), sig);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
			const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	if (mask)
		sa.sa_mask = *mask;
	else
		sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		abort();
}

static void reset_handler(int sig)
{
	signal(sig, SIG_DFL);
}

static bool cpu_has_avx(void)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6; /* the OS saves XMM and YMM state */
}

/* ---- FP / SSE / AVX state ------------------------------------------------ */

/* The handler scribbles over every FP register and the control words. */
static void clobber_fp_handler(int sig, siginfo_t *si, void *uc)
{
	static const uint32_t ones[8] = {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u};
	static const uint32_t mx = 0x1f80;
	static const uint16_t cw = 0x037f;

	(void)sig, (void)si, (void)uc;
	__asm__ volatile("movdqu (%0), %%xmm0\n\t"
			 "movdqa %%xmm0, %%xmm1\n\t movdqa %%xmm0, %%xmm2\n\t"
			 "movdqa %%xmm0, %%xmm3\n\t movdqa %%xmm0, %%xmm4\n\t"
			 "movdqa %%xmm0, %%xmm5\n\t movdqa %%xmm0, %%xmm6\n\t"
			 "movdqa %%xmm0, %%xmm7\n\t movdqa %%xmm0, %%xmm8\n\t"
			 "movdqa %%xmm0, %%xmm9\n\t movdqa %%xmm0, %%xmm10\n\t"
			 "movdqa %%xmm0, %%xmm11\n\t movdqa %%xmm0, %%xmm12\n\t"
			 "movdqa %%xmm0, %%xmm13\n\t movdqa %%xmm0, %%xmm14\n\t"
			 "movdqa %%xmm0, %%xmm15\n\t"
			 "ldmxcsr (%1)\n\t"
			 "fninit\n\t fldz\n\t fldz\n\t fldz\n\t"
			 "fstp %%st(0)\n\t fstp %%st(0)\n\t fstp %%st(0)\n\t"
			 "fldcw (%2)\n\t"
			 :
			 : "r"(ones), "r"(&mx), "r"(&cw)
			 : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	if (cpu_has_avx())
		__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
				 "vmovdqa %%ymm0, %%ymm1\n\t vmovdqa %%ymm0, %%ymm7\n\t"
				 "vmovdqa %%ymm0, %%ymm8\n\t vmovdqa %%ymm0, %%ymm15\n\t"
				 "vzeroupper\n\t vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
				 "vmovdqa %%ymm0, %%ymm2\n\t vmovdqa %%ymm0, %%ymm3\n\t"
				 "vmovdqa %%ymm0, %%ymm4\n\t vmovdqa %%ymm0, %%ymm5\n\t"
				 "vmovdqa %%ymm0, %%ymm6\n\t vmovdqa %%ymm0, %%ymm9\n\t"
				 "vmovdqa %%ymm0, %%ymm10\n\t vmovdqa %%ymm0, %%ymm11\n\t"
				 "vmovdqa %%ymm0, %%ymm12\n\t vmovdqa %%ymm0, %%ymm13\n\t"
				 "vmovdqa %%ymm0, %%ymm14\n\t vmovdqa %%ymm0, %%ymm1\n\t"
				 "vmovdqa %%ymm0, %%ymm7\n\t vmovdqa %%ymm0, %%ymm8\n\t"
				 "vmovdqa %%ymm0, %%ymm15\n\t"
				 :
				 :
				 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
				   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
				   "xmm15");
}

#define LOAD16(op, stride)                                                                     \
	op " 0*" stride "(%%r8), %%" R "0\n\t" op " 1*" stride "(%%r8), %%" R "1\n\t"          \
	op " 2*" stride "(%%r8), %%" R "2\n\t" op " 3*" stride "(%%r8), %%" R "3\n\t"          \
	op " 4*" stride "(%%r8), %%" R "4\n\t" op " 5*" stride "(%%r8), %%" R "5\n\t"          \
	op " 6*" stride "(%%r8), %%" R "6\n\t" op " 7*" stride "(%%r8), %%" R "7\n\t"          \
	op " 8*" stride "(%%r8), %%" R "8\n\t" op " 9*" stride "(%%r8), %%" R "9\n\t"          \
	op " 10*" stride "(%%r8), %%" R "10\n\t" op " 11*" stride "(%%r8), %%" R "11\n\t"      \
	op " 12*" stride "(%%r8), %%" R "12\n\t" op " 13*" stride "(%%r8), %%" R "13\n\t"      \
	op " 14*" stride "(%%r8), %%" R "14\n\t" op " 15*" stride "(%%r8), %%" R "15\n\t"
#define STORE16(op, stride)                                                                    \
	op " %%" R "0, 0*" stride "(%%r9)\n\t" op " %%" R "1, 1*" stride "(%%r9)\n\t"          \
	op " %%" R "2, 2*" stride "(%%r9)\n\t" op " %%" R "3, 3*" stride "(%%r9)\n\t"          \
	op " %%" R "4, 4*" stride "(%%r9)\n\t" op " %%" R "5, 5*" stride "(%%r9)\n\t"          \
	op " %%" R "6, 6*" stride "(%%r9)\n\t" op " %%" R "7, 7*" stride "(%%r9)\n\t"          \
	op " %%" R "8, 8*" stride "(%%r9)\n\t" op " %%" R "9, 9*" stride "(%%r9)\n\t"          \
	op " %%" R "10, 10*" stride "(%%r9)\n\t" op " %%" R "11, 11*" stride "(%%r9)\n\t"      \
	op " %%" R "12, 12*" stride "(%%r9)\n\t" op " %%" R "13, 13*" stride "(%%r9)\n\t"      \
	op " %%" R "14, 14*" stride "(%%r9)\n\t" op " %%" R "15, 15*" stride "(%%r9)\n\t"

/* What the test sets before the signal and reads back after it. */
struct fpctx {
	uint16_t fcw_in, fcw_out;
	uint32_t mxcsr_in, mxcsr_out;
	long double st0, st1;
};

#define FP_PROLOGUE                                                                            \
	"fninit\n\t fldcw 0(%%r10)\n\t fldpi\n\t fld1\n\t ldmxcsr 4(%%r10)\n\t"
#define FP_SYSCALL "mov %[nr], %%eax\n\t syscall\n\t"
#define FP_EPILOGUE                                                                            \
	"fstpt 16(%%r10)\n\t fstpt 32(%%r10)\n\t fnstcw 2(%%r10)\n\t stmxcsr 8(%%r10)\n\t"     \
	"movl $0x1f80, 12(%%r10)\n\t ldmxcsr 12(%%r10)\n\t fninit\n\t"

#define FP_CLOBBERS                                                                            \
	"rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",   \
		"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",   \
		"xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

struct fpctx_raw {
	uint16_t fcw_in, fcw_out;
	uint32_t mxcsr_in, mxcsr_out, scratch;
	long double st0, st1;
};
_Static_assert(offsetof(struct fpctx_raw, st0) == 16, "layout");
_Static_assert(offsetof(struct fpctx_raw, st1) == 32, "layout");

/* Load `in` into the vector registers, signal ourselves, store them to `out`. */
static void fp_roundtrip(bool avx, const void *in, void *out, struct fpctx_raw *c, int sig)
{
	/* No calls between here and the asm: they would clobber r8-r10. */
	long pid = getpid(), tid = gettid();
	register const void *r8 __asm__("r8") = in;
	register void *r9 __asm__("r9") = out;
	register void *r10 __asm__("r10") = c;

	if (avx) {
#define R "ymm"
		__asm__ volatile(FP_PROLOGUE LOAD16("vmovdqu", "32") FP_SYSCALL
					 STORE16("vmovdqu", "32") "vzeroupper\n\t" FP_EPILOGUE
				 :
				 : "r"(r8), "r"(r9), "r"(r10), [nr] "i"(SYS_tgkill), "D"(pid),
				   "S"(tid), "d"((long)sig)
				 : FP_CLOBBERS);
#undef R
	} else {
#define R "xmm"
		__asm__ volatile(FP_PROLOGUE LOAD16("movdqu", "16") FP_SYSCALL
					 STORE16("movdqu", "16") FP_EPILOGUE
				 :
				 : "r"(r8), "r"(r9), "r"(r10), [nr] "i"(SYS_tgkill), "D"(pid),
				   "S"(tid), "d"((long)sig)
				 : FP_CLOBBERS);
#undef R
	}
}

static void fp_check(bool avx)
{
	static uint8_t in[16 * 32], out[16 * 32];
	struct fpctx_raw c = {.fcw_in = 0x0e7f /* round toward +inf, 64-bit precision */,
			      .mxcsr_in = 0x7f80 /* round toward zero, all masked */};
	size_t n = avx ? 32 : 16;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	memset(out, 0x55, sizeof(out));
	set_handler(SIGUSR1, clobber_fp_handler, 0, NULL);
	fp_roundtrip(avx, in, out, &c, SIGUSR1);
	reset_handler(SIGUSR1);
	for (int r = 0; r < 16; r++)
		if (memcmp(in + r * n, out + r * n, n) != 0)
			FAIL("%s%d changed across the signal handler", avx ? "ymm" : "xmm", r);
	EXPECT_EQ(c.fcw_out, 0x0e7f);
	EXPECT_EQ(c.mxcsr_out, 0x7f80);
	EXPECT_TRUE(c.st0 == 1.0L);
	EXPECT_TRUE(c.st1 > 3.14159L && c.st1 < 3.1416L);
}

TEST(sse_x87_state_survives_handler)
{
	fp_check(false);
}

TEST(avx_state_survives_handler)
{
	/* Every x86-64 machine this runs on has AVX; a machine without it
	 * cannot test ymm, so assert that instead of passing silently. */
	if (!EXPECT_TRUE(cpu_has_avx()))
		return;
	fp_check(true);
}

static fpregset_t fpstate_seen;
static uint32_t fpstate_mxcsr;
static void fpstate_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	fpstate_seen = uc->uc_mcontext.fpregs;
	fpstate_mxcsr = fpstate_seen ? fpstate_seen->mxcsr : 0;
	if (fpstate_seen)
		fpstate_seen->mxcsr = 0x3f80; /* rt_sigreturn installs this */
}

TEST(fpstate_pointer_in_ucontext)
{
	static const uint32_t mx = 0x5f80, def = 0x1f80;
	uint32_t after = 0;
	fpregset_t fp;

	set_handler(SIGUSR1, fpstate_handler, 0, NULL);
	__asm__ volatile("ldmxcsr %0" ::"m"(mx));
	raw_tgkill(SIGUSR1);
	__asm__ volatile("stmxcsr %0\n\t ldmxcsr %1" : "=m"(after) : "m"(def));
	reset_handler(SIGUSR1);
	fp = fpstate_seen;
	if (!EXPECT_TRUE(fp != NULL))
		return;
	EXPECT_EQ(fpstate_mxcsr, 0x5f80);
	EXPECT_EQ(after, 0x3f80); /* the handler's edit of the frame took effect */
	EXPECT_EQ((uintptr_t)fp % 64, 0); /* xsave area alignment */
}

/* ---- the integer context ------------------------------------------------- */

static greg_t ctx_rip, ctx_rsp, ctx_rax, ctx_cs;
static void ctx_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	ctx_rip = uc->uc_mcontext.gregs[REG_RIP];
	ctx_rsp = uc->uc_mcontext.gregs[REG_RSP];
	ctx_rax = uc->uc_mcontext.gregs[REG_RAX];
	ctx_cs = uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
	uc->uc_mcontext.gregs[REG_RAX] = 0x1122334455667788LL; /* the "syscall result" */
	uc->uc_mcontext.gregs[REG_RBX] = 0x0badc0de;
}

TEST(handler_sees_and_modifies_interrupted_context)
{
	uint64_t after, sp, rax, rbx;
	long pid = getpid(), tid = gettid();

	set_handler(SIGUSR1, ctx_handler, 0, NULL);
	__asm__ volatile("lea 1f(%%rip), %[after]\n\t"
			 "mov %%rsp, %[sp]\n\t"
			 "xor %%ebx, %%ebx\n\t"
			 "mov %[nr], %%eax\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "mov %%rbx, %[rbx]\n\t"
			 : [after] "=&r"(after), [sp] "=&r"(sp), "=a"(rax), [rbx] "=&r"(rbx)
			 : [nr] "i"(SYS_tgkill), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
			 : "rcx", "r11", "rbx", "memory");
	reset_handler(SIGUSR1);
	EXPECT_EQ(ctx_rip, after);
	EXPECT_EQ(ctx_rsp, sp);
	EXPECT_EQ(ctx_rax, 0); /* tgkill's own result was already in rax */
	EXPECT_EQ(ctx_cs, 0x33);
	EXPECT_EQ(rax, 0x1122334455667788LL);
	EXPECT_EQ(rbx, 0x0badc0de);
}

/* A SIGSEGV handler that recovers by skipping the faulting instruction. */
static greg_t segv_resume, segv_rip, segv_cr2, segv_trapno;
static void *segv_addr;
static int segv_code;
static void segv_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	segv_addr = si->si_addr;
	segv_code = si->si_code;
	segv_rip = uc->uc_mcontext.gregs[REG_RIP];
	segv_cr2 = uc->uc_mcontext.gregs[REG_CR2];
	segv_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	uc->uc_mcontext.gregs[REG_RIP] = segv_resume;
	uc->uc_mcontext.gregs[REG_RAX] = 42;
}

TEST(sigsegv_handler_skips_faulting_instruction)
{
	void *bad = harness_unmapped_page();
	uint64_t fault_ip, val = 0;

	set_handler(SIGSEGV, segv_handler, 0, NULL);
	__asm__ volatile("lea 1f(%%rip), %[ip]\n\t"
			 "lea 2f(%%rip), %%rax\n\t"
			 "mov %%rax, %[resume]\n\t"
			 "xor %%eax, %%eax\n"
			 "1:\n\t"
			 "mov 8(%[bad]), %%rax\n\t"
			 "mov $7, %%eax\n" /* skipped */
			 "2:\n\t"
			 : [ip] "=&r"(fault_ip), "=&a"(val), [resume] "=m"(segv_resume)
			 : [bad] "r"(bad)
			 : "memory");
	reset_handler(SIGSEGV);
	EXPECT_EQ(val, 42);
	EXPECT_EQ(segv_rip, fault_ip);
	EXPECT_EQ((uintptr_t)segv_addr, (uintptr_t)bad + 8);
	EXPECT_EQ(segv_cr2, (uintptr_t)bad + 8);
	EXPECT_EQ(segv_code, SEGV_MAPERR);
	EXPECT_EQ(segv_trapno, 14); /* page fault */
}

/* ---- masks ----------------------------------------------------------------- */

static sigset_t mask_in_handler, uc_mask_seen;
static void mask_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig, (void)si;
	sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
	uc_mask_seen = uc->uc_sigmask;
	sigaddset(&uc->uc_sigmask, SIGHUP); /* the mask rt_sigreturn installs */
}

TEST(uc_sigmask_is_mask_at_signal_time)
{
	sigset_t block, extra, now, old;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigemptyset(&extra);
	sigaddset(&extra, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old);
	set_handler(SIGUSR1, mask_handler, 0, &extra);
	raw_tgkill(SIGUSR1);
	reset_handler(SIGUSR1);
	sigprocmask(SIG_BLOCK, NULL, &now);
	sigprocmask(SIG_SETMASK, &old, NULL);

	EXPECT_TRUE(sigismember(&uc_mask_seen, SIGUSR2));
	EXPECT_TRUE(!sigismember(&uc_mask_seen, SIGUSR1));
	EXPECT_TRUE(!sigismember(&uc_mask_seen, SIGWINCH));
	EXPECT_TRUE(sigismember(&mask_in_handler, SIGUSR1));  /* no SA_NODEFER */
	EXPECT_TRUE(sigismember(&mask_in_handler, SIGUSR2));  /* still blocked */
	EXPECT_TRUE(sigismember(&mask_in_handler, SIGWINCH)); /* sa_mask */
	/* Back from the handler: the mask is uc_sigmask as the handler left it. */
	EXPECT_TRUE(sigismember(&now, SIGHUP));
	EXPECT_TRUE(sigismember(&now, SIGUSR2));
	EXPECT_TRUE(!sigismember(&now, SIGUSR1));
	EXPECT_TRUE(!sigismember(&now, SIGWINCH));
}

static volatile int depth, max_depth, calls;
static void reraise_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	calls++;
	if (++depth > max_depth)
		max_depth = depth;
	if (calls == 1)
		raw_tgkill(sig); /* delivered now (SA_NODEFER) or after we return */
	sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
	depth--;
}

TEST(signal_blocked_in_own_handler_by_default)
{
	depth = max_depth = calls = 0;
	set_handler(SIGUSR1, reraise_handler, 0, NULL);
	raw_tgkill(SIGUSR1);
	reset_handler(SIGUSR1);
	EXPECT_EQ(calls, 2);
	EXPECT_EQ(max_depth, 1);
	EXPECT_TRUE(sigismember(&mask_in_handler, SIGUSR1));
}

TEST(sa_nodefer_allows_reentry)
{
	depth = max_depth = calls = 0;
	set_handler(SIGUSR1, reraise_handler, SA_NODEFER, NULL);
	raw_tgkill(SIGUSR1);
	reset_handler(SIGUSR1);
	EXPECT_EQ(calls, 2);
	EXPECT_EQ(max_depth, 2);
	EXPECT_TRUE(!sigismember(&mask_in_handler, SIGUSR1));
}

static struct sigaction resethand_seen;
static void resethand_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	calls++;
	sigaction(sig, NULL, &resethand_seen);
	sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
}

TEST(sa_resethand_restores_default)
{
	struct sigaction after;

	calls = 0;
	set_handler(SIGUSR1, resethand_handler, SA_RESETHAND, NULL);
	raw_tgkill(SIGUSR1);
	sigaction(SIGUSR1, NULL, &after);
	reset_handler(SIGUSR1);
	EXPECT_EQ(calls, 1);
	EXPECT_TRUE(resethand_seen.sa_handler == SIG_DFL);
	EXPECT_TRUE(after.sa_handler == SIG_DFL);
	/* Linux blocks the signal in its handler even with SA_RESETHAND. */
	EXPECT_TRUE(sigismember(&mask_in_handler, SIGUSR1));

	/* The reset is real: the next SIGUSR1 takes the default action. */
	pid_t pid = fork();
	if (pid == 0) {
		set_handler(SIGUSR1, resethand_handler, SA_RESETHAND, NULL);
		raw_tgkill(SIGUSR1);
		raw_tgkill(SIGUSR1);
		_exit(0);
	}
	int st;
	if (!EXPECT_EQ(waitpid(pid, &st, 0), pid))
		return;
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGUSR1);
}

/* ---- sigaltstack ----------------------------------------------------------- */

static uintptr_t alt_local[2];
static stack_t alt_ss_in_handler[2], alt_uc_stack[2];
static int alt_depth;
static void alt_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	volatile int local;
	int d = alt_depth++;

	(void)si;
	if (d < 2) {
		alt_local[d] = (uintptr_t)&local;
		sigaltstack(NULL, &alt_ss_in_handler[d]);
		alt_uc_stack[d] = uc->uc_stack;
		if (d == 0)
			raw_tgkill(sig == SIGUSR1 ? SIGUSR2 : SIGUSR1); /* nested, on the same stack */
	}
	alt_depth--;
}

TEST(sigaltstack_handler_runs_on_alternate_stack)
{
	size_t size = 64 * 1024;
	char *mem = malloc(size);
	stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0}, cur;
	volatile int main_local;

	if (!EXPECT_TRUE(mem != NULL))
		return;
	memset(alt_local, 0, sizeof(alt_local));
	if (!EXPECT_SYS(sigaltstack(&ss, NULL)) == 0)
		return;
	set_handler(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
	set_handler(SIGUSR2, alt_handler, SA_ONSTACK, NULL);
	raw_tgkill(SIGUSR1);
	reset_handler(SIGUSR1);
	reset_handler(SIGUSR2);
	sigaltstack(NULL, &cur);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);

	for (int d = 0; d < 2; d++) {
		EXPECT_GE(alt_local[d], (uintptr_t)mem);
		EXPECT_LT(alt_local[d], (uintptr_t)mem + size);
		EXPECT_EQ(alt_ss_in_handler[d].ss_flags, SS_ONSTACK);
		EXPECT_EQ((uintptr_t)alt_ss_in_handler[d].ss_sp, (uintptr_t)mem);
		EXPECT_EQ(alt_ss_in_handler[d].ss_size, size);
		EXPECT_EQ((uintptr_t)alt_uc_stack[d].ss_sp, (uintptr_t)mem);
		EXPECT_EQ(alt_uc_stack[d].ss_size, size);
	}
	/* uc_stack holds the sigaltstack() settings (Linux saves sas_ss_flags,
	 * not whether the interrupted code was on the stack). */
	EXPECT_EQ(alt_uc_stack[0].ss_flags, 0);
	EXPECT_EQ(alt_uc_stack[1].ss_flags, 0);
	EXPECT_LT(alt_local[1], alt_local[0]); /* nested frame below the outer one */
	EXPECT_TRUE((uintptr_t)&main_local < (uintptr_t)mem ||
		    (uintptr_t)&main_local >= (uintptr_t)mem + size);
	EXPECT_EQ(cur.ss_flags, 0); /* back on the normal stack */
	free(mem);
}

TEST(handler_without_sa_onstack_uses_normal_stack)
{
	size_t size = 64 * 1024;
	char *mem = malloc(size);
	stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0};

	if (!EXPECT_TRUE(mem != NULL))
		return;
	memset(alt_local, 0, sizeof(alt_local));
	alt_depth = 0;
	if (!EXPECT_SYS(sigaltstack(&ss, NULL)) == 0)
		return;
	set_handler(SIGUSR1, alt_handler, 0, NULL);
	set_handler(SIGUSR2, alt_handler, 0, NULL);
	raw_tgkill(SIGUSR1);
	reset_handler(SIGUSR1);
	reset_handler(SIGUSR2);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	EXPECT_TRUE(alt_local[0] < (uintptr_t)mem || alt_local[0] >= (uintptr_t)mem + size);
	EXPECT_EQ(alt_ss_in_handler[0].ss_flags, 0);
	free(mem);
}

/* ---- nesting ----------------------------------------------------------- */

static volatile char order[16];
static volatile int order_len;
static void nest_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	char c = sig == SIGUSR1 ? 'A' : sig == SIGUSR2 ? 'B' : 'W';

	order[order_len++] = c;
	if (sig == SIGUSR1)
		raw_tgkill(SIGUSR2);
	order[order_len++] = (char)(c + 32);
}

TEST(nested_signals)
{
	sigset_t m;

	/* SIGUSR2 interrupts the SIGUSR1 handler. */
	order_len = 0;
	memset((char *)order, 0, sizeof(order));
	set_handler(SIGUSR1, nest_handler, 0, NULL);
	set_handler(SIGUSR2, nest_handler, 0, NULL);
	raw_tgkill(SIGUSR1);
	EXPECT_STREQ((const char *)order, "ABba");

	/* With SIGUSR2 in sa_mask it waits until the first handler returns. */
	order_len = 0;
	memset((char *)order, 0, sizeof(order));
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	set_handler(SIGUSR1, nest_handler, 0, &m);
	raw_tgkill(SIGUSR1);
	EXPECT_STREQ((const char *)order, "AaBb");
	reset_handler(SIGUSR1);
	reset_handler(SIGUSR2);
}

/* Two pending signals unblocked at once: the lower-numbered one is dequeued
 * first, then the second frame is built on top of it before either handler
 * runs, so the higher-numbered handler runs first (Linux behaviour). */
TEST(two_pending_signals_both_delivered)
{
	sigset_t m, old;

	order_len = 0;
	memset((char *)order, 0, sizeof(order));
	set_handler(SIGUSR2, nest_handler, 0, NULL);
	set_handler(SIGWINCH, nest_handler, 0, NULL);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGWINCH);
	sigprocmask(SIG_BLOCK, &m, &old);
	raw_tgkill(SIGWINCH);
	raw_tgkill(SIGUSR2);
	sigprocmask(SIG_SETMASK, &old, NULL);
	reset_handler(SIGUSR2);
	reset_handler(SIGWINCH);
	EXPECT_STREQ((const char *)order, "WwBb");
}
