/*
 * Tasks (threads) and thread groups (processes).
 *
 * One sentry thread runs each application thread: it runs the application on
 * the platform, serves its syscalls, and blocks in the sentry on its behalf.
 *
 * Lock order: kernel.lock (task tables, parent/child links, exit state)
 * before any subsystem lock (vfs, mm). Fields marked "own" are only touched by
 * the task's own sentry thread and need no lock.
 */
#ifndef SENTRY_KERNEL_TASK_H
#define SENTRY_KERNEL_TASK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/creds.h"
#include "kernel/strace.h"
#include "kernel/waitq.h"
#include "platform/platform.h"

struct mm;
struct fdtable;
struct fs_context;
struct thread_group;
struct posix_timer;

#define TASK_COMM_LEN 16
#define KERNEL_NSIG 64

typedef uint64_t sigset64_t;

struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	sigset64_t mask;
};

/* Shared by all threads of a process. */
struct thread_group {
	int tgid;
	int refs;                     /* kernel.lock */
	struct thread_group *parent;  /* kernel.lock */
	struct thread_group *children;/* kernel.lock: first child */
	struct thread_group *sibling; /* kernel.lock: next child of parent */
	struct task *leader;
	int nr_threads;               /* kernel.lock */
	bool exiting;                 /* kernel.lock: exit_group in progress */
	bool zombie;                  /* kernel.lock: all threads gone, not reaped */
	int exit_code;                /* kernel.lock: wait status (as wait4 reports it) */
	int pgid, sid;                /* kernel.lock */
	struct k_sigaction sigactions[KERNEL_NSIG]; /* kernel.lock */
	sigset64_t shared_pending;    /* kernel.lock */
	struct rlimit64_s {
		uint64_t cur, max;
	} rlimits[16];                /* kernel.lock */
	pthread_cond_t child_exit;    /* signalled on kernel.lock when a child changes state */
	int exit_signal;              /* sent to the parent at exit (SIGCHLD, or clone's) */
	bool exec_in_progress;        /* kernel.lock: an exec is ending the other threads */
	bool did_exec;                /* kernel.lock: exec'd since fork (setpgid's EACCES) */
	int nice;                     /* kernel.lock: setpriority */
	/* Job control: stopped by a stop signal until SIGCONT (kernel.lock). */
	bool stopped;
	int stop_sig;
	bool stop_to_report;          /* for wait4(WUNTRACED) */
	bool cont_to_report;          /* for wait4(WCONTINUED) */
	pthread_cond_t stop_cond;     /* broadcast on continue and exit */
	int pdeath_signal;            /* kernel.lock: PR_SET_PDEATHSIG (of the leader) */
	bool child_subreaper;         /* kernel.lock: PR_SET_CHILD_SUBREAPER */
	/* ITIMER_REAL / alarm: CLOCK_MONOTONIC deadline (0 = off) and period. */
	int64_t itimer_real_deadline; /* kernel.lock */
	int64_t itimer_real_interval; /* kernel.lock */
	/* ITIMER_VIRTUAL / ITIMER_PROF: the process CPU time (user; user +
	 * system, ns, as tg_cpu_time reads it) at which they fire (0 = off). */
	uint64_t itimer_virt_expires, itimer_virt_interval; /* kernel.lock */
	uint64_t itimer_prof_expires, itimer_prof_interval; /* kernel.lock */
	/* CPU time of the images before the last exec (each has its own host
	 * process, whose clock starts at 0). */
	uint64_t exec_utime, exec_stime; /* kernel.lock */
	struct posix_timer *timers;   /* kernel.lock: timer_create's, by id */
	/* CPU time: the process's own at exit, and its reaped children's (ns). */
	uint64_t exit_utime, exit_stime; /* kernel.lock */
	uint64_t child_utime, child_stime; /* kernel.lock */
	char exe_path[4096];          /* sandbox path of the executable */
	/* The auxv of the last exec (Linux's mm->saved_auxv, for
	 * /proc/PID/auxv): type, value pairs up to and with AT_NULL. */
	uint64_t saved_auxv[64];      /* kernel.lock */
	int saved_auxv_words;         /* kernel.lock */
	/* Not dumpable (PR_GET_DUMPABLE 0): set by a set-ID exec, as Linux
	 * with suid_dumpable 0; cleared by an ordinary exec. */
	bool undumpable;              /* kernel.lock */
	/* signalfd readiness (fs/signalfd.c): woken by signalfd_notify() when a
	 * signal becomes pending. Set up on first use (kernel.lock). */
	struct waitq signalfd_wq;
	bool signalfd_wq_ready;       /* kernel.lock */
};

struct task {
	int tid;
	struct thread_group *tg;
	struct task *next_in_tg;      /* kernel.lock */

	struct mm *mm;                /* own (shared with CLONE_VM threads) */
	struct fdtable *fdt;          /* own */
	struct fs_context *fs;        /* own: root, cwd, umask */
	struct creds creds;           /* own */

	struct platform_thread *pthr; /* own */
	arch_regs regs;               /* own: register state while in the sentry */
	char comm[TASK_COMM_LEN];     /* own */

	uint64_t clear_child_tid;     /* own */
	uint64_t robust_list, robust_list_len;
	sigset64_t sigmask;           /* own */
	/* rt_sigsuspend's caller mask, restored when the handler returns. */
	sigset64_t saved_sigmask;     /* own */
	bool has_saved_sigmask;       /* own */
	sigset64_t pending;           /* kernel.lock */
	/* What the application sees of each pending signal (kernel.lock). */
	struct pending_siginfo {
		int32_t code, pid, uid, status; /* pid/uid: timer id/overrun for SI_TIMER */
		uint64_t addr;
		uint64_t value;                 /* sigval of SI_TIMER, SI_QUEUE, SI_MESGQ */
	} pending_info[KERNEL_NSIG];
	struct {
		uint64_t sp, size;
		int32_t flags;
	} altstack;                   /* own */
	/* restart_syscall(2): what a syscall that returned
	 * -ERESTART_RESTARTBLOCK resumes with (own; fn NULL: EINTR). */
	struct restart_block {
		long (*fn)(struct task *t);
		int64_t deadline;         /* absolute ns on clock */
		int clock;
		uint64_t arg[4];
	} restart;
	atomic_int interrupted;       /* set by task_interrupt() */
	/* The condition variable the task sleeps on in the sentry, if any, so
	 * that task_interrupt() can wake it at once. wait_lock is a leaf. */
	pthread_mutex_t wait_lock;
	pthread_cond_t *wait_cond;    /* wait_lock */

	uint64_t affinity[16];        /* own: CPU mask (1024 CPUs); all zero = every CPU */

	pthread_t thread;
	bool exited;                  /* kernel.lock */
	bool must_exit;               /* kernel.lock: ended by another thread's exec */
	pid_t host_tid;               /* the host thread waiting to be adopted */
	/* vfork: the parent waits until the child execs or exits. */
	struct task *vfork_parent;    /* kernel.lock */
	bool vfork_done;              /* kernel.lock */
	pthread_cond_t vfork_cond;

	/* --strace state */
	bool strace;
	struct strace_state strace_st; /* own: see kernel/strace.h */
};

/* The calling sentry thread's task (NULL on the init thread). */
struct task *task_current(void);

/* Interrupt a task: its current wait in the sentry ends (EINTR) and a running
 * application thread stops. Safe from any thread. */
void task_interrupt(struct task *t);
bool task_has_pending_signal(struct task *t);

/* End a syscall's temporary signal mask (ppoll, pselect6, epoll_pwait):
 * restore saved at once, or, when a signal interrupted the call, only after
 * its handler has run (Linux's saved_sigmask), so that the signal the
 * temporary mask let in is delivered. */
void task_end_temporary_mask(struct task *t, sigset64_t saved, bool interrupted);

/* Register (or, with NULL, clear) the condition the calling task is about
 * to sleep on, for task_interrupt. */
void task_set_wait_cond(struct task *t, pthread_cond_t *cond);

/* One slice of an interruptible wait on cond (mutex held, default clock):
 * -ERESTARTSYS at once if the calling task has a signal to take, else 0
 * after a wake-up or at most 20 ms, for the caller to re-check. */
int task_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex);

/* Find a task by sandbox TID (kernel.lock held by caller or not: returns a
 * pointer valid while the caller holds kernel.lock). */
struct task *task_lookup(int tid);

#endif
