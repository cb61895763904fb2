/*
 * The ptrace platform.
 *
 * Each address space is a host process started from the stub (a tiny static
 * executable exec'd from a sealed memfd, so it inherits none of the sentry's
 * memory or descriptors), then emptied of every mapping but the stub page.
 * Each application thread is a host thread of that process, traced by the one
 * sentry thread that runs it. Application syscalls stop with PTRACE_SYSEMU and
 * are never executed by the host; the sentry changes host mappings by
 * injecting syscalls at the stub's "syscall; int3".
 *
 * Memory is copied with process_vm_readv/writev, which stop at the first
 * unmapped or protected page: that is how EFAULT is detected.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace_impl.h"
#include "util/log.h"

extern const char stub_blob_start[], stub_blob_end[];

static int stub_memfd = -1;
static uint64_t stub_syscall_addr;
static uint64_t stub_park_addr;
static uint64_t stub_cmpxchg_addr; /* 0 if the stub has none */
static uint64_t stub_atomic_op_addr, stub_atomic_op_end; /* 0 if none; end: after its int3 */
static arch_regs stub_regs_template;
static bool have_template;

/* Stubs die with their tracer; forks and clones of a stub stop traced. */
#define STUB_PTRACE_OPTIONS                                                                        \
	(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE)

static long xptrace(long req, pid_t pid, void *addr, void *data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

static int ptrace_init(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)stub_blob_start;
	size_t size = (size_t)(stub_blob_end - stub_blob_start);
	uint64_t off;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	/* "syscall; int3" sits just before the entry point (stub.S). */
	stub_syscall_addr = eh->e_entry - 3;
	off = stub_syscall_addr - APP_ADDR_MAX;
	if (off + 3 > size || memcmp(stub_blob_start + off, "\x0f\x05\xcc", 3) != 0)
		return -ENOEXEC;
	/* park is 16 bytes in: "mov $45, %eax" (recvfrom) */
	stub_park_addr = stub_syscall_addr + 16;
	if (off + 16 + 5 > size || memcmp(stub_blob_start + off + 16, "\xb8\x2d\0\0\0", 5) != 0)
		return -ENOEXEC;

	/* "lock cmpxchg %esi,(%rdi); int3" (stub.S), found by its bytes. */
	static const char cmpxchg_code[] = "\xf0\x0f\xb1\x37\xcc";
	const char *at = memmem(stub_blob_start, size, cmpxchg_code, sizeof(cmpxchg_code) - 1);
	stub_cmpxchg_addr = at ? APP_ADDR_MAX + (uint64_t)(at - stub_blob_start) : 0;
	/* stub_atomic_op, 16 bytes on ("mov (%rdi),%eax"), ends with
	 * "lock cmpxchg %ecx,(%rdi); jne 1b; int3". */
	static const char atomic_tail[] = "\xf0\x0f\xb1\x0f\x75";
	if (at && (size_t)(at - stub_blob_start) + 16 + 64 <= size &&
	    memcmp(at + 16, "\x8b\x07", 2) == 0) {
		const char *tail = memmem(at + 16, 64, atomic_tail, sizeof(atomic_tail) - 1);
		if (tail && tail[6] == '\xcc') {
			stub_atomic_op_addr = stub_cmpxchg_addr + 16;
			stub_atomic_op_end = APP_ADDR_MAX + (uint64_t)(tail + 7 - stub_blob_start);
		}
	}

	stub_memfd = memfd_create("sentry-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (stub_memfd < 0)
		return -errno;
	if (write(stub_memfd, stub_blob_start, size) != (ssize_t)size)
		return -EIO;
	if (fcntl(stub_memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
						  F_SEAL_WRITE) < 0)
		return -errno;
	return 0;
}

/*
 * Keep the stub thread on the CPU its tracer runs on: every stop and resume
 * then stays on one CPU instead of crossing to another (an IPI and a
 * wake-up, expensive in a VM). gVisor's ptrace platform does the same.
 */
static void bind_to_tracer_cpu(struct platform_thread *thr)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == thr->bound_cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(thr->tid, sizeof(set), &set) == 0)
		thr->bound_cpu = cpu;
}

/* Wait for a stop of tid; returns the status or -errno. */
static int wait_stop(pid_t tid)
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

/*
 * Run one host syscall in the address space. The thread used is the calling
 * sentry thread's own stub thread in that address space. Returns the host
 * result (-errno on failure).
 */
static long inject(struct platform_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		   uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct platform_thread *thr = platform_current();
	arch_regs r;
	int status;

	if (!thr || thr->as != as || thr->dead)
		return -ESRCH;
	r = stub_regs_template;
	r.rip = stub_syscall_addr;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	r.r8 = a4;
	r.r9 = a5;
	r.fs_base = 0;
	r.gs_base = 0;
	if (xptrace(PTRACE_SETREGS, thr->tid, NULL, &r) < 0)
		goto dead;
	for (;;) {
		bind_to_tracer_cpu(thr);
		if (xptrace(PTRACE_CONT, thr->tid, NULL, NULL) < 0)
			goto dead;
		status = wait_stop(thr->tid);
		if (status < 0 || !WIFSTOPPED(status))
			goto dead;
		if (status >> 16 == PTRACE_EVENT_FORK || status >> 16 == PTRACE_EVENT_CLONE) {
			unsigned long msg = 0;
			xptrace(PTRACE_GETEVENTMSG, thr->tid, NULL, &msg);
			thr->event_pid = (pid_t)msg;
			continue;
		}
		if (WSTOPSIG(status) == SIGTRAP && status >> 16 == 0)
			break;
		/* Another signal (a kick): remember it and finish the syscall. */
		if (WSTOPSIG(status) == PLATFORM_KICK_SIGNAL)
			atomic_store(&thr->kick_pending, 1);
	}
	if (xptrace(PTRACE_GETREGS, thr->tid, NULL, &r) < 0)
		goto dead;
	if (r.rip != stub_syscall_addr + 3)
		goto dead;
	return (long)r.rax;
dead:
	thr->dead = true;
	return -ESRCH;
}

static int scratch_write(struct platform_as *as, uint64_t off, const void *src, size_t n);
static int scratch_read(struct platform_as *as, uint64_t off, void *dst, size_t n);

/* Where an injected clock_gettime writes its timespec (the stub's filter
 * allows no other address), and the lock that keeps two sentry threads of
 * one address space from reading each other's. */
#define STUB_CLOCK_OFF 0x700
static pthread_mutex_t stub_clock_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Run one of the stub's atomic routines (stub_cmpxchg, stub_atomic_op) in
 * the calling sentry thread's own stopped stub thread, with all registers
 * set from r (so nothing of the application's is disturbed), until the
 * routine's int3 (rip == end). A SIGSEGV/SIGBUS stop inside it is EFAULT;
 * resuming the thread later without a signal discards it. *eax: the
 * routine's result.
 */
static int run_stub_atomic(struct platform_thread *thr, arch_regs *r, uint64_t end,
			   uint32_t *eax)
{
	int status;

	if (!thr || thr != platform_current() || thr->dead)
		return -ESRCH;
	r->orig_rax = (uint64_t)-1;
	r->fs_base = 0;
	r->gs_base = 0;
	if (xptrace(PTRACE_SETREGS, thr->tid, NULL, r) < 0)
		goto dead;
	for (;;) {
		bind_to_tracer_cpu(thr);
		if (xptrace(PTRACE_CONT, thr->tid, NULL, NULL) < 0)
			goto dead;
		status = wait_stop(thr->tid);
		if (status < 0 || !WIFSTOPPED(status))
			goto dead;
		if (status >> 16 != 0)
			continue; /* a group-stop or stray event: go on */
		int sig = WSTOPSIG(status);
		if (sig == SIGTRAP) {
			if (xptrace(PTRACE_GETREGS, thr->tid, NULL, r) < 0)
				goto dead;
			if (r->rip == end)
				break; /* the routine's int3 */
			continue;
		}
		if (sig == SIGSEGV || sig == SIGBUS) {
			siginfo_t si;
			if (xptrace(PTRACE_GETSIGINFO, thr->tid, NULL, &si) < 0)
				goto dead;
			/* The kernel's (si_code > 0): the routine touched a bad word. */
			if (si.si_code > 0)
				return -EFAULT; /* the next resume drops the signal */
		}
		if (sig == PLATFORM_KICK_SIGNAL)
			atomic_store(&thr->kick_pending, 1);
		/* Anything else is not delivered: the instruction is retried. */
	}
	*eax = (uint32_t)r->rax;
	return 0;
dead:
	thr->dead = true;
	return -ESRCH;
}

/* Atomic cmpxchg of a 32-bit application word (platform.h). */
static int ptrace_cmpxchg32(struct platform_thread *thr, uint64_t addr, uint32_t old,
			    uint32_t new_, uint32_t *cur)
{
	arch_regs r;

	if (!stub_cmpxchg_addr)
		return -ENOSYS;
	if ((addr & 3) || addr < APP_ADDR_MIN || addr > APP_ADDR_MAX - 4)
		return -EFAULT;
	r = stub_regs_template;
	r.rip = stub_cmpxchg_addr;
	r.rax = old;
	r.rsi = new_;
	r.rdi = addr;
	return run_stub_atomic(thr, &r, stub_cmpxchg_addr + 5, cur);
}

/* FUTEX_WAKE_OP's read-modify-write of an application word (platform.h). */
static int ptrace_atomic_op32(struct platform_thread *thr, uint64_t addr, int op, uint32_t oparg,
			      uint32_t *old)
{
	arch_regs r;

	if (!stub_atomic_op_addr)
		return -ENOSYS;
	if (op < FUTEX_OP_SET || op > FUTEX_OP_XOR)
		return -EINVAL;
	if ((addr & 3) || addr < APP_ADDR_MIN || addr > APP_ADDR_MAX - 4)
		return -EFAULT;
	r = stub_regs_template;
	r.rip = stub_atomic_op_addr;
	r.rdx = (uint64_t)op;
	r.rsi = oparg;
	r.rdi = addr;
	return run_stub_atomic(thr, &r, stub_atomic_op_end, old);
}

/* The calling sentry thread's own stub thread's CPU clock, read by the
 * thread itself (the host lets no other process read a thread's clock). */
static int own_thread_clock(struct platform_thread *thr, uint64_t *ns)
{
	struct timespec ts;
	long r;

	pthread_mutex_lock(&stub_clock_lock);
	r = inject(thr->as, SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID,
		   STUB_SCRATCH + STUB_CLOCK_OFF, 0, 0, 0, 0);
	if (r == 0)
		r = scratch_read(thr->as, STUB_CLOCK_OFF, &ts, sizeof(ts));
	pthread_mutex_unlock(&stub_clock_lock);
	if (r < 0)
		return (int)r;
	/* The application can write the scratch page: check, never trust. */
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L ||
	    ts.tv_sec > (time_t)(UINT64_MAX / 1000000000ULL / 2))
		return -EIO;
	*ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return 0;
}

static struct stub_chan *chan_new(int sock)
{
	struct stub_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sock = sock;
	c->refs = 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void chan_put(struct stub_chan *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	close(c->sock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * The stub's own seccomp filter: only the calls the sentry injects. Under
 * PTRACE_SYSEMU the application's syscalls stop before seccomp and never
 * reach it, so this confines only what the stub itself executes: a mistake
 * in injection cannot run an arbitrary host syscall.
 */
static const uint32_t stub_allowed[] = {
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_mincore,
	SYS_msync, SYS_recvmsg, SYS_close, SYS_exit, SYS_exit_group,
};

/* clone only as fork or as a thread of the stub; recvfrom only as park's peek. */
#define STUB_THREAD_CLONE_FLAGS                                                                    \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static int install_stub_filter(struct platform_as *as)
{
	struct sock_filter prog[64];
	size_t n = 0, nallowed = sizeof(stub_allowed) / sizeof(stub_allowed[0]);
	struct sock_fprog fprog;
	long r;
	const uint32_t arg0 = offsetof(struct seccomp_data, args[0]);
	const uint32_t arg3 = offsetof(struct seccomp_data, args[3]);

#define STMT(c, k) (prog[n++] = (struct sock_filter)BPF_STMT(c, k))
#define JUMP(c, k, t, f) (prog[n++] = (struct sock_filter)BPF_JUMP(c, k, t, f))
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < nallowed; i++) {
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, stub_allowed[i], 0, 1);
		STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	/* clone: flags (low word; the high word must be 0) */
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 7);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg0 + 4);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg0);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIGCHLD, 2, 0);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUB_THREAD_CLONE_FLAGS, 1, 0);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* clock_gettime(CLOCK_THREAD_CPUTIME_ID, scratch + STUB_CLOCK_OFF) */
	const uint32_t arg1 = offsetof(struct seccomp_data, args[1]);
	const uint64_t ts_addr = STUB_SCRATCH + STUB_CLOCK_OFF;
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 10);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg0 + 4);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 7);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg0);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLOCK_THREAD_CPUTIME_ID, 0, 5);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg1 + 4);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ts_addr >> 32), 0, 3);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg1);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ts_addr, 0, 1);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	/* recvfrom(0, ..., MSG_PEEK) */
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_recvfrom, 0, 5);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg0);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUB_SOCK_FD, 0, 3);
	STMT(BPF_LD | BPF_W | BPF_ABS, arg3);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, MSG_PEEK, 0, 1);
	STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
#undef STMT
#undef JUMP
	prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

	/* The program and its descriptor go to the scratch page. */
	const uint64_t prog_off = 0x800, fprog_off = 0x7f0;
	fprog.len = (unsigned short)n;
	fprog.filter = (struct sock_filter *)(uintptr_t)(STUB_SCRATCH + prog_off);
	if (scratch_write(as, prog_off, prog, n * sizeof(prog[0])) < 0 ||
	    scratch_write(as, fprog_off, &fprog, sizeof(fprog)) < 0)
		return -EFAULT;
	r = inject(as, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	if (r == 0)
		r = inject(as, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, STUB_SCRATCH + fprog_off, 0,
			   0, 0);
	return (int)r;
}

static int ptrace_as_new(struct platform_as **asp, struct platform_thread **thrp)
{
	struct platform_as *as = calloc(1, sizeof(*as));
	struct platform_thread *thr = calloc(1, sizeof(*thr));
	char *const argv[] = {"sentry-stub", NULL};
	char *const envp[] = {NULL};
	int status, sv[2];
	pid_t pid;
	long r;

	if (!as || !thr) {
		free(as);
		free(thr);
		return -ENOMEM;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(as);
		free(thr);
		return -errno;
	}
	/* vfork: the child only makes raw syscalls before it execs. Its one
	 * descriptor is its end of the socket, as STUB_SOCK_FD. */
	pid = vfork();
	if (pid == 0) {
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		syscall(SYS_setsid);
		syscall(SYS_dup3, sv[1], STUB_SOCK_FD, 0);
		/* Forked stubs are reaped by the host as soon as their tracer has
		 * seen them exit (an ignored SIGCHLD survives exec). */
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			unsigned long mask;
		} ign = {SIG_IGN, 0, NULL, 0};
		syscall(SYS_rt_sigaction, SIGCHLD, &ign, NULL, 8);
		syscall(SYS_close_range, STUB_SOCK_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC);
		if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) == 0)
			syscall(SYS_execveat, stub_memfd, "", argv, envp, AT_EMPTY_PATH);
		syscall(SYS_exit_group, 127);
	}
	close(sv[1]);
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		goto fail_free;
	}
	as->chan = chan_new(sv[0]);
	if (!as->chan) {
		close(sv[0]);
		r = -ENOMEM;
		goto fail_kill_nochan;
	}
	status = wait_stop(pid);
	if (status < 0 || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		r = -ECHILD;
		goto fail_kill;
	}
	if (xptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)STUB_PTRACE_OPTIONS) < 0) {
		r = -errno;
		goto fail_kill;
	}
	if (!have_template) {
		if (xptrace(PTRACE_GETREGS, pid, NULL, &stub_regs_template) < 0) {
			r = -errno;
			goto fail_kill;
		}
		have_template = true;
	}
	as->pid = pid;
	as->refs = 1;
	thr->tid = pid;
	thr->bound_cpu = -1;
	thr->as = as;
	platform_set_current(thr);
	/* Empty the address space: everything below and above the stub page. */
	r = inject(as, SYS_munmap, 0, APP_ADDR_MAX, 0, 0, 0, 0);
	if (r == 0)
		r = inject(as, SYS_munmap, APP_ADDR_MAX + STUB_REGION_SIZE,
			   0x7ffffffff000ULL - APP_ADDR_MAX - STUB_REGION_SIZE, 0, 0, 0, 0);
	if (r == 0)
		r = inject(as, SYS_mmap, STUB_SCRATCH, 0x1000, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0);
	if (r >= 0 && (uint64_t)r != STUB_SCRATCH)
		r = -ENOMEM;
	if (r >= 0)
		r = install_stub_filter(as);
	if (r < 0)
		goto fail_kill;
	*asp = as;
	*thrp = thr;
	return 0;
fail_kill:
	chan_put(as->chan);
fail_kill_nochan:
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
fail_free:
	platform_set_current(NULL);
	free(as);
	free(thr);
	return (int)r;
}

/* Leave a stopped, traced new host thread waiting in park, untraced. */
static int park_and_detach(pid_t tid)
{
	arch_regs r = stub_regs_template;
	int status = wait_stop(tid);

	if (status < 0 || !WIFSTOPPED(status))
		return -ECHILD;
	r.rip = stub_park_addr;
	r.rsp = 0;
	r.orig_rax = (uint64_t)-1;
	r.fs_base = r.gs_base = 0;
	if (xptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 || xptrace(PTRACE_DETACH, tid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int ptrace_as_fork(struct platform_as *as, struct platform_as **childp, pid_t *tidp)
{
	struct platform_thread *thr = platform_current();
	struct platform_as *child = calloc(1, sizeof(*child));
	long r;

	if (!child)
		return -ENOMEM;
	thr->event_pid = 0;
	r = inject(as, SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (r <= 0 || thr->event_pid != (pid_t)r) {
		free(child);
		return r < 0 ? (int)r : -EAGAIN;
	}
	if (park_and_detach((pid_t)r) < 0) {
		kill((pid_t)r, SIGKILL);
		free(child);
		return -EAGAIN;
	}
	child->pid = (pid_t)r;
	child->refs = 1;
	child->chan = as->chan;
	__atomic_add_fetch(&as->chan->refs, 1, __ATOMIC_SEQ_CST);
	*childp = child;
	*tidp = (pid_t)r;
	return 0;
}

static int ptrace_thread_spawn(struct platform_as *as, pid_t *tidp)
{
	struct platform_thread *thr = platform_current();
	long r;

	thr->event_pid = 0;
	r = inject(as, SYS_clone, STUB_THREAD_CLONE_FLAGS, 0, 0, 0, 0, 0);
	if (r <= 0 || thr->event_pid != (pid_t)r)
		return r < 0 ? (int)r : -EAGAIN;
	if (park_and_detach((pid_t)r) < 0) {
		syscall(SYS_tgkill, as->pid, (pid_t)r, SIGKILL);
		return -EAGAIN;
	}
	*tidp = (pid_t)r;
	return 0;
}

static int ptrace_thread_adopt(struct platform_as *as, pid_t tid, struct platform_thread **thrp)
{
	struct platform_thread *thr = calloc(1, sizeof(*thr));
	int status;

	if (!thr)
		return -ENOMEM;
	if (xptrace(PTRACE_SEIZE, tid, NULL, (void *)STUB_PTRACE_OPTIONS) < 0 ||
	    xptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		free(thr);
		return -errno;
	}
	for (;;) {
		status = wait_stop(tid);
		if (status < 0 || !WIFSTOPPED(status)) {
			free(thr);
			return -ECHILD;
		}
		if (status >> 16 == PTRACE_EVENT_STOP)
			break;
		/* Anything else first (a kick): let it go and wait for the stop. */
		xptrace(PTRACE_CONT, tid, NULL, NULL);
	}
	thr->tid = tid;
	thr->as = as;
	thr->bound_cpu = -1;
	*thrp = thr;
	return 0;
}

static void ptrace_thread_exit(struct platform_thread *thr)
{
	struct platform_thread *prev = platform_current();

	/* exit(2) ends this host thread only. Until it is gone it must not be
	 * left traced: PTRACE_O_EXITKILL would kill its whole process when the
	 * tracer thread exits. */
	if (!thr->dead) {
		platform_set_current(thr);
		inject(thr->as, SYS_exit, 0, 0, 0, 0, 0, 0);
	}
	platform_set_current(prev == thr ? NULL : prev);
	free(thr);
}

static void ptrace_as_release(struct platform_as *as)
{
	int status;

	if (!as)
		return;
	if (as->pid > 0) {
		kill(as->pid, SIGKILL);
		/* Reap it if it is our child; its threads are reaped by their tracers. */
		/* The tracer's notification (and, for the first stub, the
		 * parent's): until the host says there is nothing left. */
		for (;;) {
			pid_t w = waitpid(as->pid, &status, __WALL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 || WIFEXITED(status) || WIFSIGNALED(status))
				break;
		}
	}
	chan_put(as->chan);
	free(as);
}

static int ptrace_map_anon(struct platform_as *as, uint64_t addr, uint64_t len, int prot,
			   int shared)
{
	long r = inject(as, SYS_mmap, addr, len, (uint64_t)prot,
			MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE) |
				MAP_NORESERVE,
			(uint64_t)-1, 0);
	if (r < 0)
		return (int)r;
	return (uint64_t)r == addr ? 0 : -EFAULT;
}

/* Raw copy into the stub's scratch page (outside the application's range). */
static int scratch_write(struct platform_as *as, uint64_t off, const void *src, size_t n)
{
	struct iovec l = {(void *)src, n}, r = {(void *)(uintptr_t)(STUB_SCRATCH + off), n};
	return process_vm_writev(as->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

static int scratch_read(struct platform_as *as, uint64_t off, void *dst, size_t n)
{
	struct iovec l = {dst, n}, r = {(void *)(uintptr_t)(STUB_SCRATCH + off), n};
	return process_vm_readv(as->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

/*
 * Map a host descriptor: pass it to the stub over its socket (SCM_RIGHTS),
 * have the stub receive it (injected recvmsg into the scratch page), mmap it
 * and close it. The application may scribble on the scratch page from
 * another thread; the worst it gets is a failed mapping of its own.
 */
static int ptrace_map_fd(struct platform_as *as, uint64_t addr, uint64_t len, int prot, int flags,
			 int host_fd, uint64_t off)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int stub_fd = -1;
	long r;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &host_fd, sizeof(int));

	pthread_mutex_lock(&as->chan->lock);
	if (as->chan->broken) {
		r = -ENOSYS; /* the caller falls back to copying */
		goto out;
	}
	if (sendmsg(as->chan->sock, &mh, MSG_NOSIGNAL) != 1) {
		r = -errno;
		goto out;
	}
	/* The stub's msghdr, iovec and buffers, laid out in its scratch page. */
	struct {
		struct msghdr mh;
		struct iovec iov;
		char byte;
		char pad[7];
		char cbuf[CMSG_SPACE(sizeof(int))];
	} sm;
	memset(&sm, 0, sizeof(sm));
	sm.iov.iov_base = (void *)(uintptr_t)(STUB_SCRATCH + offsetof(typeof(sm), byte));
	sm.iov.iov_len = 1;
	sm.mh.msg_iov = (void *)(uintptr_t)(STUB_SCRATCH + offsetof(typeof(sm), iov));
	sm.mh.msg_iovlen = 1;
	sm.mh.msg_control = (void *)(uintptr_t)(STUB_SCRATCH + offsetof(typeof(sm), cbuf));
	sm.mh.msg_controllen = sizeof(sm.cbuf);
	r = scratch_write(as, 0, &sm, sizeof(sm));
	if (r == 0)
		r = inject(as, SYS_recvmsg, STUB_SOCK_FD, STUB_SCRATCH, MSG_CMSG_CLOEXEC, 0, 0, 0);
	if (r != 1) {
		/* Never let a later call receive this descriptor instead of its own. */
		as->chan->broken = true;
		r = r < 0 ? r : -EIO;
		goto out;
	}
	if (scratch_read(as, offsetof(typeof(sm), cbuf), sm.cbuf, sizeof(sm.cbuf)) < 0) {
		r = -EIO;
		goto out;
	}
	c = (struct cmsghdr *)sm.cbuf;
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		r = -EIO;
		goto out;
	}
	memcpy(&stub_fd, CMSG_DATA(c), sizeof(int));
	/* Only the socket is open in the stub, so the new one is the next. */
	if (stub_fd != STUB_SOCK_FD + 1) {
		r = -EIO;
		goto out;
	}
	r = inject(as, SYS_mmap, addr, len, (uint64_t)prot, (uint64_t)(flags | MAP_FIXED),
		   (uint64_t)stub_fd, off);
	if (r >= 0 && (uint64_t)r != addr)
		r = -EFAULT;
out:
	if (stub_fd > 0)
		inject(as, SYS_close, (uint64_t)stub_fd, 0, 0, 0, 0, 0);
	pthread_mutex_unlock(&as->chan->lock);
	return r < 0 ? (int)r : 0;
}



static ssize_t ptrace_read(struct platform_as *as, void *dst, uint64_t src, size_t n)
{
	return platform_vm_copy(as->pid, dst, src, n, 0);
}

static ssize_t ptrace_write(struct platform_as *as, uint64_t dst, const void *src, size_t n)
{
	return platform_vm_copy(as->pid, (void *)src, dst, n, 1);
}

static int ptrace_run(struct platform_thread *thr, arch_regs *regs,
		      struct platform_stop_info *info)
{
	int status, sig;

	memset(info, 0, sizeof(*info));
	if (thr->dead)
		goto dead;
	if (atomic_exchange(&thr->kick_pending, 0)) {
		info->kind = PSTOP_INTERRUPT;
		return 0;
	}
	if (xptrace(PTRACE_SETREGS, thr->tid, NULL, regs) < 0)
		goto dead;
	for (;;) {
		bind_to_tracer_cpu(thr);
		if (xptrace(PTRACE_SYSEMU, thr->tid, NULL, NULL) < 0)
			goto dead;
		status = wait_stop(thr->tid);
		if (status < 0 || !WIFSTOPPED(status))
			goto dead;
		sig = WSTOPSIG(status);
		if (status >> 16 != 0)
			continue; /* group-stop of a seized thread, or a stray event */
		if (xptrace(PTRACE_GETREGS, thr->tid, NULL, regs) < 0)
			goto dead;
		if (sig == (SIGTRAP | 0x80)) {
			info->kind = PSTOP_SYSCALL;
			return 0;
		}
		if (xptrace(PTRACE_GETSIGINFO, thr->tid, NULL, &info->si) < 0)
			goto dead;
		if (sig == PLATFORM_KICK_SIGNAL && info->si.si_code == SI_TKILL &&
		    info->si.si_pid == getpid()) {
			info->kind = PSTOP_INTERRUPT;
			return 0;
		}
		if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
		     sig == SIGTRAP) &&
		    info->si.si_code > 0) {
			info->kind = PSTOP_FAULT;
			return 0;
		}
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU ||
		    sig == SIGCONT)
			continue; /* stops from outside do not reach the application */
		info->kind = PSTOP_SIGNAL;
		return 0;
	}
dead:
	thr->dead = true;
	info->kind = PSTOP_DEAD;
	return -ESRCH;
}

static void ptrace_kick(struct platform_thread *thr)
{
	if (thr && !thr->dead && thr->as)
		syscall(SYS_tgkill, thr->as->pid, thr->tid, PLATFORM_KICK_SIGNAL);
}

static void ptrace_thread_release(struct platform_thread *thr)
{
	if (platform_current() == thr)
		platform_set_current(NULL);
	free(thr);
}

/* The host's CPU-time clocks of another process or thread (clock_getcpuclockid). */
#define HOST_CPUCLOCK(id, perthread, kind)                                                         \
	((clockid_t)((~(unsigned)(id) << 3) | ((perthread) ? 4u : 0u) | (unsigned)(kind)))

static int ptrace_cpu_time(struct platform_thread *thr, int process, uint64_t *user, uint64_t *sys)
{
	struct timespec prof, virt;
	pid_t id = thr->as->pid;
	uint64_t own = 0;
	bool have_own = false;

	/* The host lets a process read only its own threads' clocks: the
	 * calling sentry thread's own thread reads its clock itself (an
	 * injected clock_gettime); another thread's time is its process's
	 * (exact while it has one thread). */
	if (!process && thr == platform_current() && !thr->dead)
		have_own = own_thread_clock(thr, &own) == 0;
	if (clock_gettime(HOST_CPUCLOCK(id, 0, 0 /* PROF */), &prof) < 0 ||
	    clock_gettime(HOST_CPUCLOCK(id, 0, 1 /* VIRT */), &virt) < 0)
		return -errno;
	uint64_t p = (uint64_t)prof.tv_sec * 1000000000ULL + (uint64_t)prof.tv_nsec;
	uint64_t v = (uint64_t)virt.tv_sec * 1000000000ULL + (uint64_t)virt.tv_nsec;
	if (have_own) {
		/* The thread clock is user + system together: split it as its
		 * process's time is split. */
		uint64_t u = own;
		if (p > 0 && v < p)
			u = (uint64_t)((unsigned __int128)own * v / p);
		*user = u;
		*sys = own - u;
		return 0;
	}
	*user = v;
	*sys = p > v ? p - v : 0;
	return 0;
}

static int ptrace_get_fpstate(struct platform_thread *thr, void *buf)
{
	struct iovec iov = {buf, PLATFORM_FPSTATE_SIZE};

	if (xptrace(PTRACE_GETREGSET, thr->tid, (void *)NT_X86_XSTATE, &iov) == 0)
		return (int)iov.iov_len;
	if (xptrace(PTRACE_GETFPREGS, thr->tid, NULL, buf) == 0)
		return 512;
	return -errno;
}

static int ptrace_set_fpstate(struct platform_thread *thr, const void *buf)
{
	struct iovec iov = {(void *)buf, PLATFORM_FPSTATE_SIZE};

	if (xptrace(PTRACE_SETREGSET, thr->tid, (void *)NT_X86_XSTATE, &iov) == 0)
		return 0;
	if (xptrace(PTRACE_SETFPREGS, thr->tid, NULL, (void *)buf) == 0)
		return 0;
	return -errno;
}

const struct platform_ops platform_ptrace = {
	.name = "ptrace",
	.init = ptrace_init,
	.as_new = ptrace_as_new,
	.as_release = ptrace_as_release,
	.as_fork = ptrace_as_fork,
	.thread_spawn = ptrace_thread_spawn,
	.thread_adopt = ptrace_thread_adopt,
	.thread_exit = ptrace_thread_exit,
	.map_anon = ptrace_map_anon,
	.map_fd = ptrace_map_fd,
	.inject = inject,
	.unmap = platform_inject_unmap,
	.protect = platform_inject_protect,
	.remap = platform_inject_remap,
	.advise = platform_inject_advise,
	.mincore = platform_inject_mincore,
	.msync = platform_inject_msync,
	.read = ptrace_read,
	.write = ptrace_write,
	.run = ptrace_run,
	.kick = ptrace_kick,
	.thread_release = ptrace_thread_release,
	.cpu_time = ptrace_cpu_time,
	.get_fpstate = ptrace_get_fpstate,
	.set_fpstate = ptrace_set_fpstate,
	.fpstate_size = PLATFORM_FPSTATE_SIZE,
	.cmpxchg32 = ptrace_cmpxchg32,
	.atomic_op32 = ptrace_atomic_op32,
};
