/* Kernel internals shared by the kernel and the process syscalls. */
#ifndef SENTRY_KERNEL_KERNEL_IMPL_H
#define SENTRY_KERNEL_KERNEL_IMPL_H

#include <signal.h>

#include "kernel/kernel.h"
#include "kernel/task.h"

/* Linux release reported by uname and /proc (documented in docs/kernel.md). */
#define SENTRY_UNAME_RELEASE "6.1.0-sentry"
#define SENTRY_UNAME_VERSION "#1 SMP PREEMPT_DYNAMIC sentry"

/* Sent to a task's sentry thread to end a host wait with EINTR. */
#define SENTRY_INTERRUPT_SIGNAL SIGUSR2

void kernel_init(void);
/* kernel.lock held for all of these. */
int kernel_alloc_tid(void);
int kernel_add_task(struct task *t);
void kernel_remove_task(struct task *t);
int kernel_add_tg(struct thread_group *tg);
void kernel_remove_tg(struct thread_group *tg);
int kernel_count_tasks(void);
int kernel_last_tid(void);

/* Thread groups. */
struct thread_group *tg_new(int tgid, struct thread_group *parent);
void tg_put(struct thread_group *tg); /* kernel.lock held */

/* Signals. kernel.lock held. */
int signal_send_tg(struct thread_group *tg, int sig);
int signal_send_task(struct task *t, int sig);
/* With the siginfo the receiver will see (t NULL: process-directed). */
int signal_send_info(struct thread_group *tg, struct task *t, int sig,
		     const struct pending_siginfo *pi);
/* A signal became pending in tg (for it or one of its threads): wake
 * whoever polls a signalfd there (fs/signalfd.c). kernel.lock held. */
void signalfd_notify(struct thread_group *tg);
/* Deliver the next pending unblocked signal (on the task's thread): default
 * action, or a frame for its handler. in_syscall: regs.rax holds a syscall
 * result that may be a restart code. */
void signal_deliver(struct task *t, bool in_syscall);
/* A synchronous fault (SIGSEGV, ...) with its si_code and address. */
void signal_force_fault(struct task *t, int sig, int code, uint64_t addr);
/* Take the lowest pending signal of set from t (its own, then its
 * process's); 0 if none. kernel.lock held. */
int signal_dequeue(struct task *t, sigset64_t set, struct pending_siginfo *pi);
/* A stop signal reached its default action at delivery. kernel.lock held. */
void signal_stop_from_delivery(struct thread_group *tg, int sig);
/* Orphaned process groups (kernel/signal.c), kernel.lock held: whether
 * group pgid has (but for ignored) no member whose parent is in another
 * group of the same session; and the exit-time check that sends SIGHUP and
 * SIGCONT to a group with a stopped member that tg's exit (ignored == tg,
 * parent = tg's parent) or reparenting (tg a child of the exiting parent,
 * ignored NULL) orphans. */
bool pgrp_will_be_orphaned(int pgid, struct thread_group *ignored);
void pgrp_orphan_check(struct thread_group *tg, struct thread_group *parent,
		       struct thread_group *ignored);
/* System V semaphores' SEM_UNDO at process exit (syscalls/sys_sem.c);
 * kernel.lock held. */
void sem_exit_undo(int tgid);
/* Start a group exit with a wait status (as wait4 reports it). kernel.lock held. */
void tg_group_exit(struct thread_group *tg, int wait_status);
/* Default action of a signal. */
enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGNORE, SIGDFL_STOP, SIGDFL_CONT };
enum sig_default signal_default_action(int sig);

/* Start the first program of the sandbox. */
struct run_config {
	const char *path;
	char **argv;
	char **envp;
	const char *cwd;
	bool pid1;
	bool strace;
};
/* Creates PID 1 (init) unless pid1, and the program's task; waits until the
 * program's process exits and returns the sentry's exit status. */
int kernel_run(const struct run_config *cfg);

/* The task loop (runs on the task's own sentry thread). */
void task_run_loop(struct task *t);
/* Replace the task's image: load path into a fresh address space. On error
 * the old image is untouched and -errno is returned (err holds a reason). */
int task_exec(struct task *t, const char *path, char **argv, char **envp, char *err,
	      size_t errlen);
/* The calling task leaves (exit or exit_group handled by caller). */
_Noreturn void task_exit_thread(struct task *t);

void task_set_current(struct task *t);
/* Sleep until a signal for t (-EINTR) or the CLOCK_MONOTONIC deadline in ns
 * (0; deadline < 0: none). */
int task_sleep(struct task *t, int64_t deadline);

/* clone(2) and friends (kernel/task_clone.c). */
long do_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
	      uint64_t tls);
/* pidfd_addr: where CLONE_PIDFD stores the pidfd (0: ptid, as clone(2)). */
long do_clone3(struct task *t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
	       uint64_t tls, uint64_t pidfd_addr);
/* A vfork child exec'd or exited: its parent goes on. kernel.lock held. */
void task_vfork_release(struct task *t);
/* ITIMER_REAL deadlines changed (kernel.lock held); monotonic now in ns. */
void itimer_changed(void);
int64_t itimer_now(void);
/* The process's CPU time in ns (user, system), from the host clocks of its
 * stub process; -ESRCH when it has no live thread. kernel.lock held. */
int tg_cpu_time(struct thread_group *tg, uint64_t *user, uint64_t *sys);
/* ITIMER_VIRTUAL / ITIMER_PROF (kernel/itimer.c). getitimer's value and
 * interval in ns; set replaces them (value 0: off) and returns the old.
 * kernel.lock held. */
int itimer_cpu_get(struct thread_group *tg, int which, uint64_t *value, uint64_t *interval);
int itimer_cpu_set(struct thread_group *tg, int which, uint64_t value, uint64_t interval,
		   uint64_t *ovalue, uint64_t *ointerval);
/* pidfds (kernel/pidfd.c). */
struct file;
long pidfd_create(struct task *t, struct thread_group *tg, int flags);
struct thread_group *pidfd_tg(struct file *f);
/* tg's last thread exited: wake its pidfds' pollers. kernel.lock held. */
void pidfd_notify_exit(struct thread_group *tg);
/* Free a reaped zombie. kernel.lock held. */
void tg_reap(struct thread_group *tg);

#endif
