/*
 * The systrap platform (docs/platform.md, "systrap").
 *
 * An address space is a stub process (stub/): its seccomp filter answers
 * every syscall made outside the stub's code with SIGSYS, whose handler
 * runs on the thread's signal stack in a slot shared with the sentry,
 * posts the frame and sleeps on the slot's futex. The sentry reads and
 * rewrites the registers and FP state in the frame itself and answers; the
 * handler returns with rt_sigreturn. Faults and the kick signal take the
 * same path. Address-space changes are made by the waiting handler on the
 * sentry's request (run.c, systrap_call); the rest of the control (setting
 * up stubs, file mappings, fork, new threads) is ptrace injection, as on
 * the ptrace platform (ctl.c). Stubs come from a factory process (factory.c).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap_impl.h"
#include "util/log.h"

extern const char systrap_stub_blob_start[], systrap_stub_blob_end[];

uint64_t systrap_inject_addr, systrap_enter_addr, systrap_restorer_addr, systrap_handler_addr;
uint64_t systrap_clone_cookie;
uint64_t systrap_batch_addr, systrap_batch_done;
static int stub_memfd = -1;

static int systrap_init(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)systrap_stub_blob_start;
	size_t size = (size_t)(systrap_stub_blob_end - systrap_stub_blob_start);
	uint64_t text, off;
	int r;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	/* entry.S: _start is 16 bytes in, the others at fixed offsets. */
	text = eh->e_entry - 0x10;
	off = text - SYSTRAP_BASE;
	if (text < SYSTRAP_BASE || off + 0x48 > size || size > SYSTRAP_CODE_MAX ||
	    memcmp(systrap_stub_blob_start + off, "\x0f\x05\xcc", 3) != 0 ||
	    systrap_stub_blob_start[off + 0x20] != '\xcc' ||
	    memcmp(systrap_stub_blob_start + off + 0x30, "\xb8\x0f\0\0\0\x0f\x05", 7) != 0)
		return -ENOEXEC;
	memcpy(&systrap_handler_addr, systrap_stub_blob_start + off + 0x40, 8);
	if (systrap_handler_addr < SYSTRAP_BASE || systrap_handler_addr >= SYSTRAP_BASE + size)
		return -ENOEXEC;
	/* batch: starts "mov %rdi,%rbx; mov %rsi,%r12", ends "int3; ud2". */
	if (off + 0x50 + 0x40 > size ||
	    memcmp(systrap_stub_blob_start + off + 0x50, "\x48\x89\xfb\x49\x89\xf4", 6) != 0 ||
	    memcmp(systrap_stub_blob_start + off + 0x50 + 0x3d, "\xcc\x0f\x0b", 3) != 0)
		return -ENOEXEC;
	systrap_batch_addr = text + 0x50;
	systrap_batch_done = text + 0x50 + 0x3e;
	systrap_inject_addr = text;
	systrap_enter_addr = text + 0x20;
	systrap_restorer_addr = text + 0x30;

	if (getrandom(&systrap_clone_cookie, sizeof(systrap_clone_cookie), 0) !=
	    sizeof(systrap_clone_cookie))
		return -EIO;

	systrap_handoff_init(); /* hand-off policy: handoff.c */

	stub_memfd = memfd_create("sentry-systrap-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (stub_memfd < 0)
		return -errno;
	if (write(stub_memfd, systrap_stub_blob_start, size) != (ssize_t)size)
		return -EIO;
	if (fcntl(stub_memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
						  F_SEAL_WRITE) < 0)
		return -errno;
	r = systrap_factory_start(stub_memfd);
	return r;
}

/* --- slots --------------------------------------------------------------- */

struct systrap_slot *systrap_slot(struct platform_as *as, unsigned slot)
{
	return (struct systrap_slot *)(as->slots + (size_t)slot * SYSTRAP_SLOT_SIZE);
}

/* Take slot `want` (or any free one if want < 0) for tid. */
int systrap_slot_alloc(struct platform_as *as, pid_t tid, int want)
{
	int r = -EAGAIN;

	pthread_mutex_lock(&as->lock);
	if (want >= 0) {
		if (want < (int)SYSTRAP_NSLOTS && !as->slot_tid[want])
			r = want;
	} else {
		/* A slot whose thread was told to exit is reused once the host
		 * thread is gone: its signal stack may still be in use. */
		for (unsigned i = 0; i < SYSTRAP_NSLOTS; i++)
			if (!as->slot_tid[i] ||
			    (as->slot_dying[i] &&
			     syscall(SYS_tgkill, as->pid, as->slot_tid[i], 0) < 0 &&
			     errno == ESRCH)) {
				r = (int)i;
				break;
			}
	}
	if (r >= 0) {
		as->slot_tid[r] = tid;
		as->slot_dying[r] = false;
	}
	pthread_mutex_unlock(&as->lock);
	return r;
}

void systrap_slot_free(struct platform_as *as, unsigned slot, bool dying)
{
	pthread_mutex_lock(&as->lock);
	if (dying)
		as->slot_dying[slot] = true;
	else
		as->slot_tid[slot] = 0;
	free(as->init_fp[slot]);
	as->init_fp[slot] = NULL;
	pthread_mutex_unlock(&as->lock);
}

static uint64_t slot_stub_base(unsigned slot)
{
	return SYSTRAP_SLOTS + (uint64_t)slot * SYSTRAP_SLOT_SIZE;
}

/* --- address spaces ------------------------------------------------------ */

static struct platform_as *as_alloc(void)
{
	struct platform_as *as = calloc(1, sizeof(*as));

	if (!as)
		return NULL;
	as->pidfd = -1;
	pthread_mutex_init(&as->lock, NULL);
	as->slots_fd = memfd_create("sentry-systrap-slots", MFD_CLOEXEC);
	if (as->slots_fd < 0 || ftruncate(as->slots_fd, (off_t)SYSTRAP_SLOTS_SIZE) < 0)
		goto fail;
	as->slots = mmap(NULL, SYSTRAP_SLOTS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 as->slots_fd, 0);
	if (as->slots == MAP_FAILED) {
		as->slots = NULL;
		goto fail;
	}
	return as;
fail:
	if (as->slots_fd >= 0)
		close(as->slots_fd);
	free(as);
	return NULL;
}

static void as_free(struct platform_as *as)
{
	if (as->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, as->pidfd, SIGKILL, NULL, 0) < 0 && as->pid > 0)
			kill(as->pid, SIGKILL);
		close(as->pidfd);
	} else if (as->pid > 0) {
		kill(as->pid, SIGKILL);
	}
	for (unsigned i = 0; i < SYSTRAP_NSLOTS; i++)
		free(as->init_fp[i]);
	munmap(as->slots, SYSTRAP_SLOTS_SIZE);
	close(as->slots_fd);
	systrap_chan_put(as->chan);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* Map the address space's slots memfd in a stopped stub thread. */
static int map_slots(struct platform_as *as, pid_t tid)
{
	long r;

	pthread_mutex_lock(&as->chan->lock);
	r = systrap_send_fd(as, tid, as->slots_fd);
	if (r == 0) {
		r = systrap_inject_tid(tid, NULL, SYS_mmap, SYSTRAP_SLOTS, SYSTRAP_SLOTS_SIZE,
				       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				       SYSTRAP_XFER_FD, 0);
		if (r >= 0 && (uint64_t)r != SYSTRAP_SLOTS)
			r = -ENOMEM;
		systrap_inject_tid(tid, NULL, SYS_close, SYSTRAP_XFER_FD, 0, 0, 0, 0, 0);
	}
	pthread_mutex_unlock(&as->chan->lock);
	return r < 0 ? (int)r : 0;
}

/* Registers that start a stopped thread at the stub's entry int3. */
static int entry_regs(pid_t tid, unsigned slot, arch_regs *r)
{
	if (systrap_ptrace(PTRACE_GETREGS, tid, NULL, r) < 0)
		return -ESRCH;
	/* Nothing of the injected clone (its secret) reaches the entry frame,
	 * which the application can read. */
	r->r15 = r->r14 = r->r13 = r->r12 = r->rbp = r->rbx = r->r11 = r->r10 = 0;
	r->r9 = r->r8 = r->rcx = r->rdx = r->rsi = r->rdi = r->rax = 0;
	r->rip = systrap_enter_addr;
	r->rsp = slot_stub_base(slot) + SYSTRAP_SLOT_SIZE - 64;
	r->orig_rax = (uint64_t)-1;
	return 0;
}

/*
 * The process-wide handlers: SA_ONSTACK, every signal blocked inside but
 * SIGTRAP. The int3 of an injected syscall raises SIGTRAP inside the
 * handler, and a forced signal that is blocked makes the kernel reset its
 * action to SIG_DFL for the whole process (ptrace suppresses the signal,
 * but only after that), which would kill the next thread at its entry int3.
 * Adds the rt_sigaction calls to a batch; returns how many.
 */
static int add_handlers(pid_t tid, struct systrap_call *c)
{
	static const int sigs[] = {SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
				   SYSTRAP_KICK_SIGNAL, SIGCHLD};
	enum { N = sizeof(sigs) / sizeof(sigs[0]) };
	struct {
		uint64_t handler, flags, restorer, mask;
	} act[N];
	struct iovec l = {act, sizeof(act)};
	struct iovec r = {(void *)(uintptr_t)SYSTRAP_BATCH_DATA, sizeof(act)};

	/* Never blocked in the handler: SIGTRAP, and the faults an atomic
	 * futex word update may take there (stub/entry.S). */
	const uint64_t NESTED =
		(1ULL << (SIGTRAP - 1)) | (1ULL << (SIGSEGV - 1)) | (1ULL << (SIGBUS - 1));

	for (int i = 0; i < N; i++) {
		if (sigs[i] == SIGCHLD) /* forked stubs are reaped by the host */
			act[i] = (typeof(act[0])){(uint64_t)(uintptr_t)SIG_IGN, SA_RESTORER,
						  systrap_restorer_addr, 0};
		else
			act[i] = (typeof(act[0])){systrap_handler_addr,
						  SA_SIGINFO | SA_ONSTACK | SA_RESTORER |
							  ((1ULL << (sigs[i] - 1)) & NESTED ? SA_NODEFER
											  : 0),
						  systrap_restorer_addr, ~NESTED};
		c[i] = (struct systrap_call){SYS_rt_sigaction,
					     {(uint64_t)sigs[i], SYSTRAP_BATCH_DATA + 32 * (uint64_t)i,
					      0, 8, 0, 0},
					     0};
	}
	if (process_vm_writev(tid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(act))
		return -EFAULT;
	return N;
}

/* Handlers, slot 0's signal stack, no_new_privs and the filter: one stop. */
static int setup_batch(struct platform_as *as, pid_t tid)
{
	struct systrap_call c[SYSTRAP_BATCH_MAX];
	struct systrap_slot *s = systrap_slot(as, 0);
	uint64_t fprog_at;
	int n, r;

	n = add_handlers(tid, c);
	if (n < 0)
		return n;
	r = systrap_setup_thread(as, tid, 0, false);
	if (r < 0)
		return r;
	s->altstack[0] = SYSTRAP_SLOTS + SYSTRAP_CTL_SIZE;
	s->altstack[1] = 0;
	s->altstack[2] = SYSTRAP_SLOT_SIZE - SYSTRAP_CTL_SIZE;
	c[n++] = (struct systrap_call){SYS_sigaltstack,
				       {SYSTRAP_SLOTS + offsetof(struct systrap_slot, altstack), 0,
					0, 0, 0, 0},
				       0};
	r = systrap_write_filter(tid, &fprog_at);
	if (r < 0)
		return r;
	c[n++] = (struct systrap_call){SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0}, 0};
	c[n++] = (struct systrap_call){SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0, fprog_at, 0, 0, 0},
				       0};
	r = (int)systrap_inject_batch(tid, c, n);
	if (systrap_wipe_filter(tid) < 0 && r == 0)
		r = -EFAULT;
	return r;
}

static int systrap_as_new(struct platform_as **asp, struct platform_thread **thrp)
{
	struct platform_as *as = as_alloc();
	struct platform_thread *thr = calloc(1, sizeof(*thr));
	int sv[2] = {-1, -1}, status;
	long r;

	if (!as || !thr) {
		r = -ENOMEM;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto fail;
	}
	as->chan = systrap_chan_new(sv[0]);
	if (!as->chan) {
		close(sv[0]);
		close(sv[1]);
		r = -ENOMEM;
		goto fail;
	}
	as->pid = systrap_factory_spawn(sv[1]);
	close(sv[1]);
	if (as->pid <= 0) {
		r = as->pid < 0 ? as->pid : -EIO;
		as->pid = 0;
		goto fail;
	}
	as->pidfd = (int)syscall(SYS_pidfd_open, as->pid, 0);
	thr->tid = as->pid;
	thr->as = as;
	thr->fresh = true;
	thr->bound_cpu = -1;
	if (systrap_ptrace(PTRACE_SEIZE, as->pid, NULL,
			   (void *)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD |
				    PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE)) < 0 ||
	    systrap_ptrace(PTRACE_INTERRUPT, as->pid, NULL, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	for (;;) {
		status = systrap_wait_stop(as->pid);
		if (status < 0 || !WIFSTOPPED(status)) {
			r = -ECHILD;
			goto fail;
		}
		if (status >> 16 == PTRACE_EVENT_STOP)
			break;
		systrap_ptrace(PTRACE_CONT, as->pid, NULL, NULL);
	}
	thr->attached = true;
	/* Empty the address space but for the stub's code, then add the
	 * scratch page and the slots. */
	r = systrap_inject_tid(as->pid, NULL, SYS_munmap, 0, SYSTRAP_BASE, 0, 0, 0, 0);
	if (r == 0)
		r = systrap_inject_tid(as->pid, NULL, SYS_munmap, SYSTRAP_BASE + SYSTRAP_CODE_MAX,
				       0x7ffffffff000ULL - SYSTRAP_BASE - SYSTRAP_CODE_MAX, 0, 0,
				       0, 0);
	if (r == 0)
		r = systrap_inject_tid(as->pid, NULL, SYS_mmap, SYSTRAP_SCRATCH, SYSTRAP_SCRATCH_SIZE,
				       PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0);
	if (r >= 0 && (uint64_t)r != SYSTRAP_SCRATCH)
		r = -ENOMEM;
	const char *step = "emptying";
	if (r >= 0) {
		step = "slots";
		r = map_slots(as, as->pid);
	}
	if (r == 0) {
		step = "slot";
		r = systrap_slot_alloc(as, as->pid, 0);
	}
	if (r == 0) {
		step = "handlers and filter";
		r = setup_batch(as, as->pid);
	}
	if (r == 0) {
		step = "registers";
		r = entry_regs(as->pid, 0, &thr->saved);
	}
	if (r < 0) {
		log_warn("systrap: setting up a stub failed (%s): %s", step, strerror((int)-r));
		goto fail;
	}
	thr->slot = 0;
	platform_set_current(thr);
	*asp = as;
	*thrp = thr;
	return 0;
fail:
	if (as && thr && thr->attached) {
		/* Kill and collect it: it is our tracee. */
		kill(as->pid, SIGKILL);
		while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
			;
	}
	if (as)
		as_free(as);
	free(thr);
	return (int)r;
}

static void systrap_as_release(struct platform_as *as)
{
	if (as)
		as_free(as);
}

/* Leave a new, stopped, traced thread on its way to its entry frame. */
static int park(pid_t tid, unsigned slot)
{
	uint64_t mask = 0;
	arch_regs r;

	if (entry_regs(tid, slot, &r) < 0 ||
	    systrap_ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask) < 0 ||
	    systrap_ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 ||
	    systrap_ptrace(PTRACE_DETACH, tid, NULL, NULL) < 0)
		return -ESRCH;
	return 0;
}

/* A copy of thr's FP state for a thread it creates. */
static void *inherit_fp(struct platform_thread *thr)
{
	void *buf = calloc(1, SYSTRAP_FPSTATE_SIZE);

	if (buf && systrap_read_fp(thr, buf) < 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static int systrap_as_fork(struct platform_as *as, struct platform_as **childp, pid_t *tidp)
{
	struct platform_thread *thr = platform_current();
	struct platform_as *child;
	long r;
	int status;

	if (!thr || thr->as != as || thr->dead)
		return -ESRCH;
	child = as_alloc();
	if (!child)
		return -ENOMEM;
	void *fp = inherit_fp(thr);
	thr->event_pid = 0;
	r = systrap_inject(thr, SYS_clone, SIGCHLD, 0, 0, 0, 0, systrap_clone_cookie);
	if (r <= 0 || thr->event_pid != (pid_t)r) {
		free(fp);
		as_free(child);
		return r < 0 ? (int)r : -EAGAIN;
	}
	child->pid = (pid_t)r;
	child->pidfd = (int)syscall(SYS_pidfd_open, child->pid, 0);
	child->chan = as->chan;
	__atomic_add_fetch(&as->chan->refs, 1, __ATOMIC_SEQ_CST);
	status = systrap_wait_stop(child->pid);
	if (status < 0 || !WIFSTOPPED(status)) {
		r = -EAGAIN;
		goto fail;
	}
	/* The child shares the parent's slots until it maps its own. */
	r = map_slots(child, child->pid);
	if (r == 0)
		r = systrap_slot_alloc(child, child->pid, (int)thr->slot);
	if (r >= 0)
		r = systrap_setup_thread(child, child->pid, thr->slot, false);
	if (r == 0)
		r = park(child->pid, thr->slot);
	if (r < 0)
		goto fail;
	child->init_fp[thr->slot] = fp;
	*childp = child;
	*tidp = child->pid;
	return 0;
fail:
	/* Not parked: it is still our tracee. Kill and collect it. */
	kill(child->pid, SIGKILL);
	while (waitpid(child->pid, &status, __WALL) < 0 && errno == EINTR)
		;
	free(fp);
	as_free(child);
	return r < 0 ? (int)r : -EAGAIN;
}

static int systrap_thread_spawn(struct platform_as *as, pid_t *tidp)
{
	struct platform_thread *thr = platform_current();
	int status, slot;
	pid_t tid;
	long r;

	if (!thr || thr->as != as || thr->dead)
		return -ESRCH;
	void *fp = inherit_fp(thr);
	thr->event_pid = 0;
	r = systrap_inject(thr, SYS_clone, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
						   CLONE_THREAD | CLONE_SYSVSEM,
			   0, 0, 0, 0, systrap_clone_cookie);
	if (r <= 0 || thr->event_pid != (pid_t)r) {
		free(fp);
		return r < 0 ? (int)r : -EAGAIN;
	}
	tid = (pid_t)r;
	status = systrap_wait_stop(tid);
	if (status < 0 || !WIFSTOPPED(status)) {
		free(fp);
		return -EAGAIN;
	}
	slot = systrap_slot_alloc(as, tid, -1);
	r = slot;
	if (r >= 0)
		r = systrap_setup_thread(as, tid, (unsigned)slot, true);
	if (r == 0)
		r = park(tid, (unsigned)slot);
	if (r < 0) {
		/* exit(2) ends this thread alone. */
		systrap_inject_tid(tid, NULL, SYS_exit, 0, 0, 0, 0, 0, 0);
		if (slot >= 0)
			systrap_slot_free(as, (unsigned)slot, true);
		free(fp);
		return (int)r;
	}
	pthread_mutex_lock(&as->lock);
	as->init_fp[slot] = fp;
	pthread_mutex_unlock(&as->lock);
	*tidp = tid;
	return 0;
}

static int systrap_thread_adopt(struct platform_as *as, pid_t tid, struct platform_thread **thrp)
{
	struct platform_thread *thr = calloc(1, sizeof(*thr));
	int slot = -1;

	if (!thr)
		return -ENOMEM;
	pthread_mutex_lock(&as->lock);
	for (unsigned i = 0; i < SYSTRAP_NSLOTS; i++)
		if (as->slot_tid[i] == tid) {
			slot = (int)i;
			thr->pending_fp = as->init_fp[i];
			as->init_fp[i] = NULL;
			break;
		}
	pthread_mutex_unlock(&as->lock);
	if (slot < 0) {
		free(thr);
		return -ESRCH;
	}
	thr->tid = tid;
	thr->as = as;
	thr->slot = (unsigned)slot;
	thr->fresh = true;
	thr->bound_cpu = -1;
	*thrp = thr;
	return 0;
}

/* --- address-space changes: injected through the caller's own thread ---- */

static long as_inject(struct platform_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct platform_thread *thr = platform_current();

	if (!thr || thr->as != as || thr->dead)
		return -ESRCH;
	return systrap_call(thr, nr, a0, a1, a2, a3, a4, a5);
}

static int systrap_map_anon(struct platform_as *as, uint64_t addr, uint64_t len, int prot,
			    int shared)
{
	long r = as_inject(as, SYS_mmap, addr, len, (uint64_t)prot,
			   MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE) |
				   MAP_NORESERVE,
			   (uint64_t)-1, 0);
	if (r < 0)
		return (int)r;
	return (uint64_t)r == addr ? 0 : -EFAULT;
}

static int systrap_map_fd(struct platform_as *as, uint64_t addr, uint64_t len, int prot,
			  int flags, int host_fd, uint64_t off)
{
	struct platform_thread *thr = platform_current();
	long r;

	if (!thr || thr->as != as || thr->dead)
		return -ESRCH;
	if (systrap_settle(thr) < 0 || systrap_attach(thr) < 0)
		return -ESRCH;
	pthread_mutex_lock(&as->chan->lock);
	r = systrap_send_fd(as, thr->tid, host_fd);
	if (r == 0) {
		r = systrap_inject_tid(thr->tid, NULL, SYS_mmap, addr, len, (uint64_t)prot,
				       (uint64_t)(flags | MAP_FIXED), SYSTRAP_XFER_FD, off);
		if (r >= 0 && (uint64_t)r != addr)
			r = -EFAULT;
		systrap_inject_tid(thr->tid, NULL, SYS_close, SYSTRAP_XFER_FD, 0, 0, 0, 0, 0);
	}
	pthread_mutex_unlock(&as->chan->lock);
	return r < 0 ? (int)r : 0;
}


/* --- memory copies: platform_vm_copy (platform.c) ----------------------- */


static ssize_t systrap_read(struct platform_as *as, void *dst, uint64_t src, size_t n)
{
	return platform_vm_copy(as->pid, dst, src, n, 0);
}

static ssize_t systrap_write(struct platform_as *as, uint64_t dst, const void *src, size_t n)
{
	return platform_vm_copy(as->pid, (void *)src, dst, n, 1);
}

/* The host's CPU-time clocks of another process (clock_getcpuclockid). */
#define HOST_CPUCLOCK(id, kind) ((clockid_t)((~(unsigned)(id) << 3) | (unsigned)(kind)))

static int systrap_cpu_time(struct platform_thread *thr, int process, uint64_t *user,
			    uint64_t *sys)
{
	struct timespec prof, virt;
	uint64_t own = 0;
	bool have_own = false;

	/* Only a process's own threads' clocks are readable: the calling
	 * sentry thread's own thread reads its clock itself (a clock_gettime
	 * made by the stub into its slot); another thread's time is its
	 * process's (exact while it has one thread). */
	if (!process && thr == platform_current() && !thr->dead) {
		uint64_t at = SYSTRAP_SLOTS + (uint64_t)thr->slot * SYSTRAP_SLOT_SIZE +
			      offsetof(struct systrap_slot, clock_ts);
		if (systrap_call(thr, SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, at, 0, 0, 0, 0) ==
		    0) {
			struct systrap_slot *s = systrap_slot(thr->as, thr->slot);
			/* The application can write its slot: check, never trust. */
			long long sec = __atomic_load_n(&s->clock_ts[0], __ATOMIC_RELAXED);
			long long nsec = __atomic_load_n(&s->clock_ts[1], __ATOMIC_RELAXED);
			if (sec >= 0 && nsec >= 0 && nsec < 1000000000LL &&
			    sec < (long long)(UINT64_MAX / 1000000000ULL / 2)) {
				own = (uint64_t)sec * 1000000000ULL + (uint64_t)nsec;
				have_own = true;
			}
		}
	}
	if (clock_gettime(HOST_CPUCLOCK(thr->as->pid, 0 /* PROF */), &prof) < 0 ||
	    clock_gettime(HOST_CPUCLOCK(thr->as->pid, 1 /* VIRT */), &virt) < 0)
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

const struct platform_ops platform_systrap = {
	.name = "systrap",
	.init = systrap_init,
	.as_new = systrap_as_new,
	.as_release = systrap_as_release,
	.as_fork = systrap_as_fork,
	.thread_spawn = systrap_thread_spawn,
	.thread_adopt = systrap_thread_adopt,
	.thread_exit = systrap_thread_exit,
	.map_anon = systrap_map_anon,
	.map_fd = systrap_map_fd,
	.inject = as_inject,
	.unmap = platform_inject_unmap,
	.protect = platform_inject_protect,
	.remap = platform_inject_remap,
	.advise = platform_inject_advise,
	.mincore = platform_inject_mincore,
	.msync = platform_inject_msync,
	.read = systrap_read,
	.write = systrap_write,
	.run = systrap_run,
	.kick = systrap_kick,
	.thread_release = systrap_thread_release,
	.cpu_time = systrap_cpu_time,
	.cmpxchg32 = systrap_cmpxchg32,
	.atomic_op32 = systrap_atomic_op32,
	.get_fpstate = systrap_get_fpstate,
	.set_fpstate = systrap_set_fpstate,
	.fpstate_size = SYSTRAP_FPSTATE_SIZE,
};
