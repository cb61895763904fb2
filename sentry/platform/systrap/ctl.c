/*
 * systrap control: everything that is not the syscall fast path goes
 * through ptrace, as on the ptrace platform. A thread is attached
 * (PTRACE_SEIZE + PTRACE_INTERRUPT) by its owning sentry thread only while
 * it sits in the stub's handler waiting for an answer, syscalls are
 * injected at the stub's "syscall; int3", and the thread is detached again
 * before it next runs application code: a traced thread would stop for
 * every signal, SIGSYS included, which is the cost systrap exists to avoid.
 *
 * Also here: the stub's seccomp filter, and the setup of new threads.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/systrap/systrap_impl.h"

#define STUB_PTRACE_OPTIONS                                                                        \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE)
#define STUB_THREAD_CLONE_FLAGS                                                                    \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

long systrap_ptrace(long req, pid_t pid, void *addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

int systrap_wait_stop(pid_t tid)
{
	int status;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);
		if (r == tid)
			return status;
		if (r < 0 && errno == EINTR)
			continue;
		return -ECHILD;
	}
}

struct systrap_chan *systrap_chan_new(int sock)
{
	struct systrap_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sock = sock;
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void systrap_chan_put(struct systrap_chan *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	close(c->sock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Continue a stopped tracee until its next int3, noting fork/clone events. */
static int run_to_trap(pid_t tid, pid_t *event_pid)
{
	int status;

	for (;;) {
		if (systrap_ptrace(PTRACE_CONT, tid, NULL, NULL) < 0)
			return -ESRCH;
		status = systrap_wait_stop(tid);
		if (status < 0 || !WIFSTOPPED(status))
			return -ESRCH;
		if (status >> 16 == PTRACE_EVENT_FORK || status >> 16 == PTRACE_EVENT_CLONE) {
			unsigned long msg = 0;
			systrap_ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			if (event_pid)
				*event_pid = (pid_t)msg;
			continue;
		}
		if (WSTOPSIG(status) == SIGTRAP && status >> 16 == 0)
			return 0;
		/* Anything else (a kick) is dropped: the thread is in the sentry. */
	}
}

/*
 * Run one host syscall on a thread that is ptrace-stopped by the caller.
 * Its registers are left at the injection point; the caller restores them.
 */
long systrap_inject_tid(pid_t tid, pid_t *event_pid, long nr, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	arch_regs r;

	if (systrap_ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return -ESRCH;
	r.rip = systrap_inject_addr;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	r.r8 = a4;
	r.r9 = a5;
	if (systrap_ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 || run_to_trap(tid, event_pid) < 0)
		return -ESRCH;
	if (systrap_ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0 || r.rip != systrap_inject_addr + 3)
		return -ESRCH;
	return (long)r.rax;
}

/*
 * Make a list of syscalls in a stopped, traced stub thread in one stop
 * (the stub's batch entry). Returns 0, or the result of the first call
 * that failed (the later ones were not made).
 */
long systrap_inject_batch(pid_t tid, struct systrap_call *calls, int n)
{
	size_t len = (size_t)n * sizeof(*calls);
	struct iovec l = {calls, len}, rv = {(void *)(uintptr_t)SYSTRAP_BATCH_TABLE, len};
	arch_regs r;

	if (n <= 0 || n > SYSTRAP_BATCH_MAX)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		calls[i].ret = -ENOEXEC; /* not made */
	if (process_vm_writev(tid, &l, 1, &rv, 1, 0) != (ssize_t)len ||
	    systrap_ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return -ESRCH;
	r.rip = systrap_batch_addr;
	r.rdi = SYSTRAP_BATCH_TABLE;
	r.rsi = (uint64_t)n;
	r.orig_rax = (uint64_t)-1;
	if (systrap_ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 || run_to_trap(tid, NULL) < 0 ||
	    systrap_ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0 || r.rip != systrap_batch_done ||
	    process_vm_readv(tid, &l, 1, &rv, 1, 0) != (ssize_t)len)
		return -ESRCH;
	for (int i = 0; i < n; i++)
		if (calls[i].ret < 0 && calls[i].ret >= -4095)
			return (long)calls[i].ret;
	return 0;
}

/* Stop the caller's thread, which waits in the stub's handler. */
int systrap_attach(struct platform_thread *thr)
{
	int status;

	if (thr->attached)
		return 0;
	if (thr->dead)
		return -ESRCH;
	if (systrap_ptrace(PTRACE_SEIZE, thr->tid, NULL, (void *)STUB_PTRACE_OPTIONS) < 0 ||
	    systrap_ptrace(PTRACE_INTERRUPT, thr->tid, NULL, NULL) < 0)
		goto dead;
	for (;;) {
		status = systrap_wait_stop(thr->tid);
		if (status < 0 || !WIFSTOPPED(status))
			goto dead;
		if (status >> 16 == PTRACE_EVENT_STOP)
			break;
		systrap_ptrace(PTRACE_CONT, thr->tid, NULL, NULL);
	}
	if (systrap_ptrace(PTRACE_GETREGS, thr->tid, NULL, &thr->saved) < 0)
		goto dead;
	thr->attached = true;
	return 0;
dead:
	thr->dead = true;
	return -ESRCH;
}

/* Put the registers back and let the thread go (on into the handler's
 * wait, or, for a new thread, to its entry int3 with no signal blocked). */
int systrap_detach(struct platform_thread *thr)
{
	uint64_t mask = 0;

	if (!thr->attached)
		return 0;
	thr->attached = false;
	if (thr->fresh &&
	    systrap_ptrace(PTRACE_SETSIGMASK, thr->tid, (void *)sizeof(mask), &mask) < 0)
		goto dead;
	if (systrap_ptrace(PTRACE_SETREGS, thr->tid, NULL, &thr->saved) < 0 ||
	    systrap_ptrace(PTRACE_DETACH, thr->tid, NULL, NULL) < 0)
		goto dead;
	return 0;
dead:
	thr->dead = true;
	return -ESRCH;
}

long systrap_inject(struct platform_thread *thr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4, uint64_t a5)
{
	long r;

	if (systrap_settle(thr) < 0 || systrap_attach(thr) < 0)
		return -ESRCH;
	r = systrap_inject_tid(thr->tid, &thr->event_pid, nr, a0, a1, a2, a3, a4, a5);
	if (r == -ESRCH && thr->attached) {
		/* ESRCH is also a host result; only a lost thread is dead. */
		if (syscall(SYS_tgkill, thr->as->pid, thr->tid, 0) < 0)
			thr->dead = true;
	}
	return r;
}

/* --- the stub's seccomp filter ------------------------------------------- */

/* A tiny classic-BPF assembler with forward labels. */
struct bpf_b {
	struct sock_filter p[1024];
	int n, nlab, err;
	int lab_at[128];
	struct {
		int insn, lab, jt;
	} fix[256];
	int nfix;
};

static void op(struct bpf_b *b, uint16_t code, uint32_t k)
{
	if (b->n >= (int)(sizeof(b->p) / sizeof(b->p[0]))) {
		b->err = 1;
		return;
	}
	b->p[b->n++] = (struct sock_filter)BPF_STMT(code, k);
}

static int label(struct bpf_b *b)
{
	if (b->nlab >= 128) {
		b->err = 1;
		return 0;
	}
	b->lab_at[b->nlab] = -1;
	return b->nlab++;
}

static void here(struct bpf_b *b, int lab)
{
	b->lab_at[lab] = b->n;
}

/* A conditional jump; a label of -1 means the next instruction. */
static void jmp(struct bpf_b *b, uint16_t code, uint32_t k, int lt, int lf)
{
	int i = b->n;

	op(b, BPF_JMP | code, k);
	for (int w = 0; w < 2; w++) {
		int lab = w == 0 ? lt : lf;
		if (lab < 0)
			continue;
		if (b->nfix >= 256) {
			b->err = 1;
			return;
		}
		b->fix[b->nfix].insn = i;
		b->fix[b->nfix].lab = lab;
		b->fix[b->nfix++].jt = w == 0;
	}
}

static int finish(struct bpf_b *b)
{
	for (int i = 0; i < b->nfix; i++) {
		int at = b->lab_at[b->fix[i].lab], off = at - (b->fix[i].insn + 1);
		if (at < 0 || off < 0 || off > 255)
			return -EINVAL;
		if (b->fix[i].jt)
			b->p[b->fix[i].insn].jt = (uint8_t)off;
		else
			b->p[b->fix[i].insn].jf = (uint8_t)off;
	}
	return b->err ? -E2BIG : 0;
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(off) op(b, BPF_LD | BPF_W | BPF_ABS, (off))
#define LIMIT_HI ((uint32_t)(APP_ADDR_MAX >> 32))

/* Falls through if args[a] + args[l] <= APP_ADDR_MAX without overflow, else
 * jumps to kill. 64-bit arithmetic in 32-bit halves. */
static void range(struct bpf_b *b, int a, int l, int kill)
{
	int nocarry = label(b), join = label(b), checklo = label(b), ok = label(b);

	LD(ARG_HI(a));
	jmp(b, BPF_JGE | BPF_K, LIMIT_HI, kill, -1);
	LD(ARG_HI(l));
	jmp(b, BPF_JGE | BPF_K, LIMIT_HI, kill, -1);
	LD(ARG_LO(l));
	op(b, BPF_MISC | BPF_TAX, 0);
	LD(ARG_LO(a));
	op(b, BPF_ALU | BPF_ADD | BPF_X, 0);
	op(b, BPF_ST, 0); /* M[0] = low word of the sum */
	LD(ARG_LO(a));
	op(b, BPF_MISC | BPF_TAX, 0);
	op(b, BPF_LD | BPF_MEM, 0);
	jmp(b, BPF_JGE | BPF_X, 0, nocarry, -1);
	LD(ARG_HI(a));
	op(b, BPF_ALU | BPF_ADD | BPF_K, 1);
	op(b, BPF_JMP | BPF_JA, 0);
	/* the ja jumps over the next load */
	b->p[b->n - 1].k = 1;
	here(b, nocarry);
	LD(ARG_HI(a));
	here(b, join);
	op(b, BPF_ST, 1);
	LD(ARG_HI(l));
	op(b, BPF_MISC | BPF_TAX, 0);
	op(b, BPF_LD | BPF_MEM, 1);
	op(b, BPF_ALU | BPF_ADD | BPF_X, 0);
	jmp(b, BPF_JGT | BPF_K, LIMIT_HI, kill, -1);
	jmp(b, BPF_JEQ | BPF_K, LIMIT_HI, checklo, ok);
	here(b, checklo);
	op(b, BPF_LD | BPF_MEM, 0);
	jmp(b, BPF_JEQ | BPF_K, 0, ok, kill);
	here(b, ok);
}

/* One syscall's block: "if nr == n" opens it, the returned label ends it. */
static int block(struct bpf_b *b, uint32_t nr)
{
	int next = label(b);

	LD(offsetof(struct seccomp_data, nr));
	jmp(b, BPF_JEQ | BPF_K, nr, -1, next);
	return next;
}

#define RET(v) op(b, BPF_RET | BPF_K, (v))

/* Close a block: its failures kill, then the next block starts. */
static void end_block(struct bpf_b *b, int kill, int next)
{
	here(b, kill);
	op(b, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	here(b, next);
}

static int build_filter(struct bpf_b *b)
{
	static const uint32_t plain[] = {SYS_rt_sigreturn, SYS_exit, SYS_exit_group,
					 SYS_sigaltstack, SYS_restart_syscall};
	static const uint32_t ranged[] = {SYS_munmap, SYS_mprotect, SYS_madvise, SYS_msync,
					  SYS_mincore};
	int next, kill, gen;

	memset(b, 0, sizeof(*b));
	/* Outside the stub's code: the application's own syscall, to the sentry. */
	LD(offsetof(struct seccomp_data, instruction_pointer) + 4);
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)(SYSTRAP_BASE >> 32), -1, (next = label(b)));
	LD(offsetof(struct seccomp_data, instruction_pointer));
	jmp(b, BPF_JGE | BPF_K, (uint32_t)(SYSTRAP_BASE + SYSTRAP_CODE_MAX), next, -1);
	jmp(b, BPF_JGE | BPF_K, (uint32_t)SYSTRAP_BASE, (kill = label(b)), next);
	here(b, next);
	RET(SECCOMP_RET_TRAP);
	here(b, kill);
	/* The stub's own: x86_64 only, each call pinned by its arguments. */
	LD(offsetof(struct seccomp_data, arch));
	jmp(b, BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, (next = label(b)), -1);
	RET(SECCOMP_RET_KILL_PROCESS);
	here(b, next);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		kill = label(b);
		next = block(b, plain[i]);
		RET(SECCOMP_RET_ALLOW);
		end_block(b, kill, next);
	}
	/* futex: FUTEX_WAIT or FUTEX_WAKE on the slot (the stub's wait) */
	kill = label(b);
	next = block(b, SYS_futex);
	LD(ARG_LO(1));
	jmp(b, BPF_JGT | BPF_K, 1, kill, -1);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* clock_gettime(CLOCK_THREAD_CPUTIME_ID, a slot): the thread's own
	 * CPU clock, read on the sentry's request (systrap_cpu_time) */
	kill = label(b);
	next = block(b, SYS_clock_gettime);
	LD(ARG_HI(0));
	jmp(b, BPF_JEQ | BPF_K, 0, -1, kill);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, CLOCK_THREAD_CPUTIME_ID, -1, kill);
	LD(ARG_HI(1));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)(SYSTRAP_SLOTS >> 32), -1, kill);
	LD(ARG_LO(1));
	jmp(b, BPF_JGE | BPF_K, (uint32_t)SYSTRAP_SLOTS, -1, kill);
	jmp(b, BPF_JGE | BPF_K, (uint32_t)(SYSTRAP_SLOTS + SYSTRAP_SLOTS_SIZE - 16), kill, -1);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* arch_prctl: only setting fs or gs */
	kill = label(b);
	next = block(b, SYS_arch_prctl);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, 0x1002, (gen = label(b)), -1);
	jmp(b, BPF_JEQ | BPF_K, 0x1001, gen, kill);
	here(b, gen);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* recvfrom(0, ..., MSG_PEEK | MSG_DONTWAIT): is the sentry still there? */
	kill = label(b);
	next = block(b, SYS_recvfrom);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, SYSTRAP_SOCK_FD, -1, kill);
	LD(ARG_LO(3));
	jmp(b, BPF_JEQ | BPF_K, MSG_PEEK | MSG_DONTWAIT, -1, kill);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* recvmsg on the socket; close of the descriptor in transit */
	kill = label(b);
	next = block(b, SYS_recvmsg);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, SYSTRAP_SOCK_FD, -1, kill);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	kill = label(b);
	next = block(b, SYS_close);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, SYSTRAP_XFER_FD, -1, kill);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* clone: a fork, or a thread of the stub, and only from the sentry: its
	 * unused sixth argument must be the secret the sentry injects with it
	 * (the application can read neither the filter nor the registers of an
	 * injected call), so that no host process or thread is ever made
	 * behind the sentry's back. */
	kill = label(b);
	next = block(b, SYS_clone);
	LD(ARG_LO(5));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)systrap_clone_cookie, -1, kill);
	LD(ARG_HI(5));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)(systrap_clone_cookie >> 32), -1, kill);
	LD(ARG_HI(0));
	jmp(b, BPF_JEQ | BPF_K, 0, -1, kill);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, SIGCHLD, (gen = label(b)), -1);
	jmp(b, BPF_JEQ | BPF_K, STUB_THREAD_CLONE_FLAGS, gen, kill);
	here(b, gen);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* memory calls: below APP_ADDR_MAX only, so never the stub's region */
	for (size_t i = 0; i < sizeof(ranged) / sizeof(ranged[0]); i++) {
		kill = label(b);
	next = block(b, ranged[i]);
		range(b, 0, 1, kill);
		RET(SECCOMP_RET_ALLOW);
		end_block(b, kill, next);
	}
	kill = label(b);
	next = block(b, SYS_mremap);
	LD(ARG_LO(3));
	jmp(b, BPF_JEQ | BPF_K, MREMAP_MAYMOVE | MREMAP_FIXED, -1, kill);
	range(b, 0, 1, kill);
	range(b, 4, 2, kill);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	/* mmap: MAP_FIXED below APP_ADDR_MAX, or exactly the slots (fork) */
	kill = label(b);
	next = block(b, SYS_mmap);
	gen = label(b);
	LD(ARG_HI(0));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)(SYSTRAP_SLOTS >> 32), -1, gen);
	LD(ARG_LO(0));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)SYSTRAP_SLOTS, -1, gen);
	LD(ARG_HI(1));
	jmp(b, BPF_JEQ | BPF_K, 0, -1, gen);
	LD(ARG_LO(1));
	jmp(b, BPF_JEQ | BPF_K, (uint32_t)SYSTRAP_SLOTS_SIZE, -1, gen);
	LD(ARG_LO(2));
	jmp(b, BPF_JEQ | BPF_K, PROT_READ | PROT_WRITE, -1, gen);
	LD(ARG_LO(3));
	jmp(b, BPF_JEQ | BPF_K, MAP_SHARED | MAP_FIXED, -1, gen);
	LD(ARG_LO(4));
	jmp(b, BPF_JEQ | BPF_K, SYSTRAP_XFER_FD, -1, gen);
	LD(ARG_LO(5));
	jmp(b, BPF_JEQ | BPF_K, 0, -1, gen);
	LD(ARG_HI(5));
	jmp(b, BPF_JEQ | BPF_K, 0, -1, gen);
	RET(SECCOMP_RET_ALLOW);
	here(b, gen);
	LD(ARG_LO(3));
	jmp(b, BPF_JSET | BPF_K, MAP_FIXED, -1, kill);
	range(b, 0, 1, kill);
	RET(SECCOMP_RET_ALLOW);
	end_block(b, kill, next);
	RET(SECCOMP_RET_KILL_PROCESS);
	return finish(b);
}

#define FPROG_AT SYSTRAP_SCRATCH
#define PROG_AT (SYSTRAP_SCRATCH + 0x100)

/* Write the filter program into a stub's scratch page (for a batched
 * seccomp(SECCOMP_SET_MODE_FILTER, 0, *fprog_at)). */
int systrap_write_filter(pid_t tid, uint64_t *fprog_at)
{
	struct bpf_b *b = malloc(sizeof(*b));
	struct sock_fprog fprog;
	struct iovec l[2], r[2];
	int ret;

	if (!b)
		return -ENOMEM;
	ret = build_filter(b);
	if (ret < 0)
		goto out;
	if (PROG_AT + (uint64_t)b->n * sizeof(b->p[0]) > SYSTRAP_BATCH_TABLE) {
		ret = -E2BIG;
		goto out;
	}
	fprog.len = (unsigned short)b->n;
	fprog.filter = (struct sock_filter *)(uintptr_t)PROG_AT;
	l[0] = (struct iovec){&fprog, sizeof(fprog)};
	r[0] = (struct iovec){(void *)(uintptr_t)FPROG_AT, sizeof(fprog)};
	l[1] = (struct iovec){b->p, (size_t)b->n * sizeof(b->p[0])};
	r[1] = (struct iovec){(void *)(uintptr_t)PROG_AT, l[1].iov_len};
	if (process_vm_writev(tid, l, 2, r, 2, 0) != (ssize_t)(l[0].iov_len + l[1].iov_len))
		ret = -EFAULT;
	*fprog_at = FPROG_AT;
out:
	free(b);
	return ret;
}

/* The program holds the clone secret: wipe it from the scratch page, which
 * the application can read. */
int systrap_wipe_filter(pid_t tid)
{
	static const char zero[SYSTRAP_BATCH_TABLE - SYSTRAP_SCRATCH];
	struct iovec l = {(void *)zero, sizeof(zero)};
	struct iovec r = {(void *)(uintptr_t)SYSTRAP_SCRATCH, sizeof(zero)};

	return process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)sizeof(zero) ? 0 : -EFAULT;
}

/*
 * Hand a host descriptor to the stub over its socket: it arrives as
 * SYSTRAP_XFER_FD (the caller holds the channel's lock, maps and closes it).
 */
int systrap_send_fd(struct platform_as *as, pid_t tid, int fd)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	struct {
		struct msghdr mh;
		struct iovec iov;
		char byte;
		char pad[7];
		char cbuf[CMSG_SPACE(sizeof(int))];
	} sm;
	struct iovec l, r;
	int stub_fd;
	long n;

	if (as->chan->broken)
		return -ENOSYS;
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(as->chan->sock, &mh, MSG_NOSIGNAL) != 1)
		return -errno;
	memset(&sm, 0, sizeof(sm));
	sm.iov.iov_base = (void *)(uintptr_t)(SYSTRAP_SCRATCH + offsetof(typeof(sm), byte));
	sm.iov.iov_len = 1;
	sm.mh.msg_iov = (void *)(uintptr_t)(SYSTRAP_SCRATCH + offsetof(typeof(sm), iov));
	sm.mh.msg_iovlen = 1;
	sm.mh.msg_control = (void *)(uintptr_t)(SYSTRAP_SCRATCH + offsetof(typeof(sm), cbuf));
	sm.mh.msg_controllen = sizeof(sm.cbuf);
	l = (struct iovec){&sm, sizeof(sm)};
	r = (struct iovec){(void *)(uintptr_t)SYSTRAP_SCRATCH, sizeof(sm)};
	n = process_vm_writev(as->pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof(sm) ? 0 : -EFAULT;
	if (n == 0)
		/* MSG_DONTWAIT: the message is queued already, and if the
		 * application took it first (it can recvmsg through the stub's
		 * code), the call must fail rather than block the sentry. */
		n = systrap_inject_tid(tid, NULL, SYS_recvmsg, SYSTRAP_SOCK_FD, SYSTRAP_SCRATCH,
				       MSG_CMSG_CLOEXEC | MSG_DONTWAIT, 0, 0, 0);
	if (n != 1) {
		/* Never let a later call receive this descriptor instead of its own. */
		as->chan->broken = true;
		return n < 0 ? (int)n : -EIO;
	}
	if (process_vm_readv(as->pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(sm))
		return -EIO;
	c = (struct cmsghdr *)sm.cbuf;
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EIO;
	memcpy(&stub_fd, CMSG_DATA(c), sizeof(int));
	if (stub_fd != SYSTRAP_XFER_FD) {
		/* The application holds descriptor 1 (it took one in flight):
		 * the stub may close only 1, so stop passing descriptors. */
		as->chan->broken = true;
		return -EIO;
	}
	return 0;
}

/*
 * A new host thread (stopped, traced by the caller) gets its slot: a
 * cleared control page, and, unless it inherited it (fork), its signal
 * stack there.
 */
int systrap_setup_thread(struct platform_as *as, pid_t tid, unsigned slot, bool altstack)
{
	struct systrap_slot *s = systrap_slot(as, slot);
	uint64_t stack = SYSTRAP_SLOTS + slot * SYSTRAP_SLOT_SIZE + SYSTRAP_CTL_SIZE;

	memset(s, 0, sizeof(*s));
	s->spin = 0; /* together until handoff.c moves it apart */
	if (!altstack)
		return 0;
	s->altstack[0] = stack;
	s->altstack[1] = 0;
	s->altstack[2] = SYSTRAP_SLOT_SIZE - SYSTRAP_CTL_SIZE;
	return (int)systrap_inject_tid(tid, NULL, SYS_sigaltstack,
				       SYSTRAP_SLOTS + slot * SYSTRAP_SLOT_SIZE +
					       offsetof(struct systrap_slot, altstack),
				       0, 0, 0, 0, 0);
}
