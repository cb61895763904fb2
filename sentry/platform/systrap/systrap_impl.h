/*
 * The systrap platform's internals (docs/platform.md, "systrap").
 *
 * Lock order: factory lock (factory.c) and as->lock are leaves; chan->lock
 * is taken with no other systrap lock held but may take nothing else.
 */
#ifndef SENTRY_PLATFORM_SYSTRAP_IMPL_H
#define SENTRY_PLATFORM_SYSTRAP_IMPL_H

#include <linux/ptrace.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"
#include "platform/systrap/systrap_abi.h"

#define SYSTRAP_KICK_SIGNAL SIGURG
#define SYSTRAP_FPSTATE_SIZE 4096
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The descriptor socket, shared by the address spaces of a fork tree. */
struct systrap_chan {
	int sock; /* the sentry's end */
	pthread_mutex_t lock;
	bool broken;
	int refs; /* atomic */
};

struct platform_as {
	pid_t pid;
	int pidfd;
	struct systrap_chan *chan;
	int slots_fd;           /* the memfd behind the slots */
	char *slots;            /* the sentry's mapping of it */
	pthread_mutex_t lock;   /* slot_tid, init_fp */
	pid_t slot_tid[SYSTRAP_NSLOTS]; /* host tid using each slot, 0 if free */
	bool slot_dying[SYSTRAP_NSLOTS]; /* its thread was told to exit */
	void *init_fp[SYSTRAP_NSLOTS];  /* FP state a new thread starts with */
};

struct platform_thread {
	pid_t tid;
	struct platform_as *as;
	unsigned slot;
	bool dead;
	bool attached;   /* ptrace-stopped by its owner (for injection) */
	bool fresh;      /* has never posted a frame: the next event is its entry */
	bool in_event;   /* waits in the handler with a validated frame */
	bool fs_known;   /* fs_base/gs_base below are what the host thread has */
	uint64_t fs_base, gs_base;
	uint64_t uc;     /* offset of the validated ucontext in the slot */
	uint64_t si;     /* offset of the validated siginfo in the slot */
	arch_regs saved; /* registers while attached, restored at detach */
	pid_t event_pid; /* the last fork/clone event's new tid */
	void *pending_fp; /* FP state to install at the first frame */
	int bound_cpu;   /* the CPU the host thread is pinned to, or -1 */
	atomic_llong kick_ns; /* when an unanswered kick was sent, or 0 */
	/* The hand-off's mode (handoff.c). */
	bool apart;        /* pinned apart from its sentry thread, both spin */
	int apart_cpu[2];  /* the sentry thread's CPU and the stub thread's */
	pid_t apart_sentry; /* the sentry thread pinned for it */
	uint32_t history;  /* apart: the last 32 hand-offs, 1 = someone slept */
	unsigned streak;   /* together: hand-offs in a row spinning would catch */
	unsigned apart_after; /* the streak that moves it apart (0: not set yet) */
	unsigned apart_len;   /* hand-offs in the current apart episode */
	uint64_t all_mark;    /* all threads' hand-off count at a window's start */
	uint64_t t_event;  /* TSC when the last event arrived */
};

/* The stub's entry points (stub/entry.S), found and checked by systrap_init. */
extern uint64_t systrap_inject_addr, systrap_enter_addr, systrap_restorer_addr;
extern uint64_t systrap_batch_addr, systrap_batch_done;
extern uint64_t systrap_handler_addr;
/* The secret an injected clone carries in its sixth argument (ctl.c). */
extern uint64_t systrap_clone_cookie;

/* factory.c: the process that starts stubs, made before the sentry confines itself. */
int systrap_factory_start(int stub_memfd);
pid_t systrap_factory_spawn(int stub_sock);

/* ctl.c: control through ptrace. */
long systrap_ptrace(long req, pid_t pid, void *addr, void *data);
int systrap_wait_stop(pid_t tid);
int systrap_attach(struct platform_thread *thr);
int systrap_detach(struct platform_thread *thr);
long systrap_inject_tid(pid_t tid, pid_t *event_pid, long nr, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long systrap_inject(struct platform_thread *thr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4, uint64_t a5);
/* One syscall of a batch (stub/entry.S): 64 bytes in the stub's scratch. */
struct systrap_call {
	uint64_t nr, a[6];
	int64_t ret;
};
#define SYSTRAP_SCRATCH_SIZE 0x2000ULL
#define SYSTRAP_BATCH_TABLE (SYSTRAP_SCRATCH + 0x1000ULL) /* up to 16 calls */
#define SYSTRAP_BATCH_DATA (SYSTRAP_SCRATCH + 0x1400ULL)  /* their arguments */
#define SYSTRAP_BATCH_MAX 16
long systrap_inject_batch(pid_t tid, struct systrap_call *calls, int n);
int systrap_write_filter(pid_t tid, uint64_t *fprog_at);
int systrap_wipe_filter(pid_t tid);
int systrap_send_fd(struct platform_as *as, pid_t tid, int fd);
int systrap_setup_thread(struct platform_as *as, pid_t tid, unsigned slot, bool altstack);
struct systrap_chan *systrap_chan_new(int sock);
void systrap_chan_put(struct systrap_chan *c);

/* systrap.c */
struct systrap_slot *systrap_slot(struct platform_as *as, unsigned slot);
int systrap_slot_alloc(struct platform_as *as, pid_t tid, int want);
void systrap_slot_free(struct platform_as *as, unsigned slot, bool dying);
int systrap_read_fp(struct platform_thread *thr, void *buf);

/* handoff.c */
void systrap_handoff_init(void);
void systrap_handoff_place(struct platform_thread *thr, struct systrap_slot *s);
uint64_t systrap_handoff_spin(struct platform_thread *thr);
void systrap_handoff_account(struct platform_thread *thr, uint64_t serve, uint64_t back,
			     bool slept);
void systrap_handoff_release(struct platform_thread *thr);
bool systrap_spin_until(unsigned *state, unsigned want, uint64_t ticks);
uint64_t systrap_tsc(void);

/* run.c */
int systrap_settle(struct platform_thread *thr);
long systrap_call(struct platform_thread *thr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		  uint64_t a3, uint64_t a4, uint64_t a5);
int systrap_run(struct platform_thread *thr, arch_regs *regs, struct platform_stop_info *info);
void systrap_kick(struct platform_thread *thr);
void systrap_thread_exit(struct platform_thread *thr);
void systrap_thread_release(struct platform_thread *thr);
int systrap_get_fpstate(struct platform_thread *thr, void *buf);
int systrap_cmpxchg32(struct platform_thread *thr, uint64_t addr, uint32_t old, uint32_t new_,
		      uint32_t *cur);
int systrap_atomic_op32(struct platform_thread *thr, uint64_t addr, int op, uint32_t oparg,
			uint32_t *old);
int systrap_set_fpstate(struct platform_thread *thr, const void *buf);

#endif
