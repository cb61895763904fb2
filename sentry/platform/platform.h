/*
 * The platform interface: how the kernel runs application code.
 *
 * The kernel never calls ptrace (or any other host mechanism) itself. It asks
 * the platform for an address space, changes host mappings in it, copies memory
 * in and out, and runs a thread until it stops with a syscall, a fault, or an
 * interruption. Two platforms implement this interface: ptrace (PTRACE_SYSEMU)
 * and, later, systrap (seccomp RET_TRAP + shared memory).
 *
 * Threading rules: a platform_thread belongs to the sentry thread that created
 * it (for ptrace, that thread is the host tracer); only that sentry thread may
 * run it or use it to change its address space. Address-space operations are
 * made through the calling sentry thread's own platform_thread in that address
 * space, set with platform_set_current(). platform_read/platform_write may be
 * called from any thread. platform_kick may be called from any thread.
 */
#ifndef SENTRY_PLATFORM_PLATFORM_H
#define SENTRY_PLATFORM_PLATFORM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* x86_64 register state as the application sees it (same layout as ptrace's). */
typedef struct user_regs_struct arch_regs;

struct platform_as;
struct platform_thread;

/* Lowest and highest (exclusive) application address the platform allows.
 * The stub lives at and above APP_ADDR_MAX. */
#define APP_ADDR_MIN 0x10000ULL
#define APP_ADDR_MAX 0x7ff000000000ULL

enum platform_stop {
	PSTOP_SYSCALL,   /* the application made a syscall; regs hold it */
	PSTOP_FAULT,     /* a synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) */
	PSTOP_SIGNAL,    /* an asynchronous host signal was directed at the thread */
	PSTOP_INTERRUPT, /* platform_kick() was called */
	PSTOP_DEAD,      /* the host process died (killed from outside); thread unusable */
};

struct platform_stop_info {
	enum platform_stop kind;
	siginfo_t si; /* for FAULT and SIGNAL */
};

struct platform_ops {
	const char *name;
	int (*init)(void);
	/* Create a fresh, empty address space with one thread, owned by the caller. */
	int (*as_new)(struct platform_as **as, struct platform_thread **thr);
	/* Kill every host thread of the address space and free it. */
	void (*as_release)(struct platform_as *as);
	/*
	 * Fork the address space (copy-on-write, by the host): the calling
	 * thread's own thread in as forks. The child's one host thread is left
	 * waiting for thread_adopt; *tid names it.
	 */
	int (*as_fork)(struct platform_as *as, struct platform_as **child, pid_t *tid);
	/* A new host thread in as, waiting for thread_adopt (*tid names it). */
	int (*thread_spawn)(struct platform_as *as, pid_t *tid);
	/* Take a waiting host thread on as for the calling sentry thread. */
	int (*thread_adopt)(struct platform_as *as, pid_t tid, struct platform_thread **thr);
	/* End the thread's host thread alone (the others of its address space
	 * go on) and free it. */
	void (*thread_exit)(struct platform_thread *thr);
	int (*map_anon)(struct platform_as *as, uint64_t addr, uint64_t len, int prot, int shared);
	/* Map a host descriptor (file mapping). May return -ENOSYS: the caller then
	 * falls back to anonymous memory filled by copy. */
	int (*map_fd)(struct platform_as *as, uint64_t addr, uint64_t len, int prot, int flags,
		      int host_fd, uint64_t off);
	/* Make host syscall nr in the address space, by the calling sentry
	 * thread's own stopped thread (-errno or the result). unmap, protect,
	 * remap, advise, mincore and msync are platform_inject_* (platform.c)
	 * on top of it. */
	long (*inject)(struct platform_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5);
	int (*unmap)(struct platform_as *as, uint64_t addr, uint64_t len);
	int (*protect)(struct platform_as *as, uint64_t addr, uint64_t len, int prot);
	/* Move [old, old+oldlen) to [new, new+newlen), both fixed. */
	int (*remap)(struct platform_as *as, uint64_t old, uint64_t oldlen, uint64_t new_,
		     uint64_t newlen);
	int (*advise)(struct platform_as *as, uint64_t addr, uint64_t len, int advice);
	/* Host residency of [addr, addr+len) written to vec, an application
	 * address (the host checks it: -EFAULT). */
	int (*mincore)(struct platform_as *as, uint64_t addr, uint64_t len, uint64_t vec);
	/* msync(2) of a host-mapped file range. */
	int (*msync)(struct platform_as *as, uint64_t addr, uint64_t len, int flags);
	/* Copy out of / into the address space. Return bytes copied (possibly
	 * short at an unmapped or protected page) or -EFAULT if none. */
	ssize_t (*read)(struct platform_as *as, void *dst, uint64_t src, size_t n);
	ssize_t (*write)(struct platform_as *as, uint64_t dst, const void *src, size_t n);
	/* Run the thread with *regs until it stops; *regs is updated. */
	int (*run)(struct platform_thread *thr, arch_regs *regs, struct platform_stop_info *info);
	/* Make a running (or about to run) thread stop with PSTOP_INTERRUPT. */
	void (*kick)(struct platform_thread *thr);
	/* Free the thread's state after its host thread is gone or killed. */
	void (*thread_release)(struct platform_thread *thr);
	/* CPU time the host has charged to the thread (or, process, to its
	 * whole host process): user and system, in ns. A thread's own time is
	 * exact when thr is the calling sentry thread's platform_current();
	 * for another thread a platform may answer with its process's. */
	int (*cpu_time)(struct platform_thread *thr, int process, uint64_t *user, uint64_t *sys);
	/* Save/restore the FP/xsave state (opaque buffer of fpstate_size bytes). */
	int (*get_fpstate)(struct platform_thread *thr, void *buf);
	int (*set_fpstate)(struct platform_thread *thr, const void *buf);
	/*
	 * Atomic compare-and-exchange of the 32-bit word at addr in thr's
	 * address space, as the host CPU's lock cmpxchg (futex word updates
	 * that must not lose a concurrent application update): *cur is set to
	 * the value found (the word became new_ iff *cur == old). Run by thr
	 * itself, which must be the calling sentry thread's own stopped thread
	 * (platform_current()). Returns 0, -EFAULT (unmapped or not writable),
	 * -ESRCH (not the caller's thread, or gone) or -ENOSYS (not available
	 * now: fall back). May be NULL: the platform has no
	 * atomic access, and callers fall back to read/compare/write.
	 */
	int (*cmpxchg32)(struct platform_thread *thr, uint64_t addr, uint32_t old, uint32_t new_,
			 uint32_t *cur);
	/*
	 * FUTEX_WAKE_OP's atomic read-modify-write of the same kind of word:
	 * op is FUTEX_OP_SET, _ADD, _OR, _ANDN or _XOR (linux/futex.h), *old
	 * the value replaced. Same callers and results as cmpxchg32 (and
	 * -EINVAL for another op); may be NULL.
	 */
	int (*atomic_op32)(struct platform_thread *thr, uint64_t addr, int op, uint32_t oparg,
			   uint32_t *old);
	size_t fpstate_size;
};

extern const struct platform_ops *platform;
extern const struct platform_ops platform_ptrace;
extern const struct platform_ops platform_systrap;

/* Select the platform by name ("ptrace", "systrap"); returns -EINVAL for
 * unknown names. */
int platform_select(const char *name);

/* platform->init() of the selected platform; when none was selected by
 * name and the default (systrap) cannot start, falls back to ptrace. */
int platform_init(void);

/* The calling sentry thread's own platform thread (for address-space ops). */
void platform_set_current(struct platform_thread *thr);
struct platform_thread *platform_current(void);

/* For platforms whose address spaces are host processes: copy n bytes
 * between local memory and remote in pid with process_vm_readv/writev
 * (write: local -> remote). Returns the bytes copied before the first
 * inaccessible page, or -EFAULT if none. */
ssize_t platform_vm_copy(pid_t pid, void *local, uint64_t remote, size_t n, int write);
/* The address-space ops both platforms make as one injected syscall
 * (through platform->inject). */
int platform_inject_unmap(struct platform_as *as, uint64_t addr, uint64_t len);
int platform_inject_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot);
int platform_inject_remap(struct platform_as *as, uint64_t old, uint64_t oldlen, uint64_t new_,
			  uint64_t newlen);
int platform_inject_advise(struct platform_as *as, uint64_t addr, uint64_t len, int advice);
int platform_inject_mincore(struct platform_as *as, uint64_t addr, uint64_t len, uint64_t vec);
int platform_inject_msync(struct platform_as *as, uint64_t addr, uint64_t len, int flags);

#endif
