/*
 * Tasks: creation, the run loop, exec and exit.
 *
 * A task's sentry thread owns its platform thread (for ptrace, it is the host
 * tracer), so everything that touches the task's address space or registers
 * runs on that thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel_impl.h"
#include "kernel/futex.h"
#include "fs/tty.h"
#include "kernel/posix_timer.h"
#include "loader/loader.h"
#include "mm/mm.h"
#include "syscalls/dispatch.h"
#include "syscalls/syscalls.h"
#include "util/log.h"
#include "vfs/vfs.h"

static __thread struct task *current_task;

struct task *task_current(void)
{
	return current_task;
}

void task_set_current(struct task *t)
{
	current_task = t;
}

void task_interrupt(struct task *t)
{
	atomic_store(&t->interrupted, 1);
	/* The calling task is in the sentry already and will look at its
	 * signals before it resumes: a kick would only cost another stop. */
	if (t == task_current())
		return;
	if (t->pthr)
		platform->kick(t->pthr);
	if (t->thread && !pthread_equal(t->thread, pthread_self()))
		pthread_kill(t->thread, SENTRY_INTERRUPT_SIGNAL);
	/* A sleeper on a condition wakes now rather than at its next re-check. */
	pthread_mutex_lock(&t->wait_lock);
	if (t->wait_cond)
		pthread_cond_broadcast(t->wait_cond);
	pthread_mutex_unlock(&t->wait_lock);
}

void task_set_wait_cond(struct task *t, pthread_cond_t *cond)
{
	pthread_mutex_lock(&t->wait_lock);
	t->wait_cond = cond;
	pthread_mutex_unlock(&t->wait_lock);
}

bool task_has_pending_signal(struct task *t)
{
	return t->tg->exiting || t->must_exit ||
	       ((t->pending | t->tg->shared_pending) & ~t->sigmask) != 0;
}

int task_sleep(struct task *t, int64_t deadline)
{
	for (;;) {
		if (task_has_pending_signal(t))
			return -EINTR;
		mm_rss_service(t); /* a /proc reader asked for RSS (mm/rss.c) */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t n = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
		if (deadline >= 0 && n >= deadline)
			return 0;
		/* task_interrupt's signal ends this sleep at once; the slice only
		 * covers an interruption that came just before it. */
		int64_t slice = 20000000LL;
		if (deadline >= 0 && deadline - n < slice)
			slice = deadline - n;
		struct timespec ts = {slice / 1000000000LL, slice % 1000000000LL};
		nanosleep(&ts, NULL);
	}
}

void task_end_temporary_mask(struct task *t, sigset64_t saved, bool interrupted)
{
	if (interrupted && t->sigmask != saved) {
		t->saved_sigmask = saved;
		t->has_saved_sigmask = true;
	} else {
		t->sigmask = saved;
	}
}

int task_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
	struct task *t = task_current();
	struct timespec ts;

	if (t)
		task_set_wait_cond(t, cond);
	if (t && task_has_pending_signal(t)) {
		task_set_wait_cond(t, NULL);
		return -ERESTARTSYS;
	}
	if (t && mm_rss_pending(t->mm)) {
		/* A /proc reader asked for RSS (mm/rss.c): sample without the
		 * caller's lock; the caller re-checks as after any wake. */
		task_set_wait_cond(t, NULL);
		pthread_mutex_unlock(mutex);
		mm_rss_service(t);
		pthread_mutex_lock(mutex);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, mutex, &ts);
	if (t)
		task_set_wait_cond(t, NULL);
	return 0;
}

struct thread_group *tg_new(int tgid, struct thread_group *parent)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));

	if (!tg)
		return NULL;
	tg->tgid = tgid;
	tg->refs = 1;
	tg->parent = parent;
	tg->exit_signal = SIGCHLD;
	pthread_cond_init(&tg->stop_cond, NULL);
	tg->pgid = parent ? parent->pgid : tgid;
	tg->sid = parent ? parent->sid : tgid;
	pthread_cond_init(&tg->child_exit, NULL);
	if (parent) {
		tg->sibling = parent->children;
		parent->children = tg;
		memcpy(tg->rlimits, parent->rlimits, sizeof(tg->rlimits));
	} else {
		for (int i = 0; i < 16; i++) {
			struct rlimit rl;
			if (getrlimit(i, &rl) == 0) {
				tg->rlimits[i].cur = rl.rlim_cur;
				tg->rlimits[i].max = rl.rlim_max;
			} else {
				tg->rlimits[i].cur = tg->rlimits[i].max = RLIM_INFINITY;
			}
		}
		tg->rlimits[RLIMIT_STACK].cur = 8 << 20;
		tg->rlimits[RLIMIT_NOFILE].cur = 1024;
		tg->rlimits[RLIMIT_NOFILE].max = 1048576;
	}
	return tg;
}

void tg_put(struct thread_group *tg)
{
	if (--tg->refs > 0)
		return;
	posix_timers_free(tg);
	pthread_cond_destroy(&tg->child_exit);
	pthread_cond_destroy(&tg->stop_cond);
	free(tg);
}

/* Serve one syscall stop. */
static void task_syscall(struct task *t)
{
	struct sysargs a = {{t->regs.rdi, t->regs.rsi, t->regs.rdx, t->regs.r10, t->regs.r8,
			     t->regs.r9}};
	long nr = (long)t->regs.orig_rax;
	long ret;

	/* A forged sigreturn frame can put a thread into 32-bit mode, as on
	 * Linux; its syscalls would be 32-bit ones, which are not served. */
	if (t->regs.cs != 0x33) {
		t->regs.rax = (uint64_t)-ENOSYS;
		return;
	}
	ret = syscall_dispatch(t, nr, &a);

	if (ret == -EJUSTRETURN) {
		if (t->tg->exiting || task_has_pending_signal(t))
			signal_deliver(t, false);
		return;
	}
	t->regs.rax = (uint64_t)ret;
	/* Restart codes never reach the application: signal_deliver decides. */
	if (task_has_pending_signal(t) || (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK))
		signal_deliver(t, true);
}

/* A synchronous fault: to its handler, or the process dies of it. */
static void task_fault(struct task *t, const struct platform_stop_info *info)
{
	signal_force_fault(t, info->si.si_signo, info->si.si_code,
			   (uint64_t)(uintptr_t)info->si.si_addr);
}

/* A stopped process's threads wait here until SIGCONT or an exit. */
static void task_stop_point(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	task_set_wait_cond(t, &t->tg->stop_cond); /* mm_rss_request's kick wakes it */
	while (t->tg->stopped && !t->tg->exiting && !t->must_exit) {
		if (mm_rss_pending(t->mm)) {
			/* A /proc reader asked for RSS (mm/rss.c). */
			pthread_mutex_unlock(&kernel.lock);
			mm_rss_service(t);
			pthread_mutex_lock(&kernel.lock);
			continue;
		}
		pthread_cond_wait(&t->tg->stop_cond, &kernel.lock);
	}
	task_set_wait_cond(t, NULL);
	pthread_mutex_unlock(&kernel.lock);
}

void task_run_loop(struct task *t)
{
	struct platform_stop_info info;

	for (;;) {
		if (atomic_exchange(&t->interrupted, 0) || t->tg->exiting || t->must_exit ||
		    t->tg->stopped) {
			if (!t->tg->exiting && !t->must_exit)
				signal_deliver(t, false);
			task_stop_point(t);
			if (t->tg->exiting || t->must_exit)
				task_exit_thread(t);
		}
		platform->run(t->pthr, &t->regs, &info);
		if (info.kind != PSTOP_DEAD)
			mm_rss_service(t); /* a /proc reader asked for RSS (mm/rss.c) */
		switch (info.kind) {
		case PSTOP_SYSCALL:
			task_syscall(t);
			break;
		case PSTOP_FAULT:
			task_fault(t, &info);
			break;
		case PSTOP_INTERRUPT:
		case PSTOP_SIGNAL:
			break;
		case PSTOP_DEAD:
			pthread_mutex_lock(&kernel.lock);
			tg_group_exit(t->tg, SIGKILL);
			pthread_mutex_unlock(&kernel.lock);
			break;
		}
	}
}

/* End every other thread of t's process and make t its leader (exec). */
static void de_thread(struct task *t)
{
	struct thread_group *tg = t->tg;

	pthread_mutex_lock(&kernel.lock);
	if (tg->nr_threads > 1) {
		tg->exec_in_progress = true;
		for (struct task *x = tg->leader; x; x = x->next_in_tg) {
			if (x != t && !x->exited) {
				x->must_exit = true;
				task_interrupt(x);
			}
		}
		while (tg->nr_threads > 1)
			pthread_cond_wait(&tg->child_exit, &kernel.lock);
		tg->exec_in_progress = false;
	}
	if (tg->leader != t) {
		/* The old leader has exited; this thread takes its place and id. */
		struct task *old = tg->leader;
		tg->leader = t;
		t->next_in_tg = NULL;
		t->tid = tg->tgid;
		pthread_cond_destroy(&old->vfork_cond);
		free(old);
	}
	task_vfork_release(t);
	pthread_mutex_unlock(&kernel.lock);
}

/* Does a task of tg run in the address space arg? kernel.lock held. */
static int uses_mm(struct thread_group *tg, void *arg)
{
	for (struct task *x = tg->leader; x; x = x->next_in_tg)
		if (!x->exited && x->mm == arg)
			return 1;
	return 0;
}

int task_exec(struct task *t, const char *path, char **argv, char **envp, char *err,
	      size_t errlen)
{
	struct loader_args la = {
		.path = path,
		.argv = argv,
		.envp = envp,
		.uid = t->creds.uid,
		.euid = t->creds.euid,
		.gid = t->creds.gid,
		.egid = t->creds.egid,
		.creds = &t->creds,
		.exec_creds = creds_exec_file,
	};
	struct loader_result *res = calloc(1, sizeof(*res));
	struct platform_thread *old_pthr = t->pthr, *pthr;
	struct mm *old_mm = t->mm, *mm;
	int r;

	if (!res)
		return -ENOMEM;
	r = mm_new(&mm, &pthr);
	if (r < 0) {
		snprintf(err, errlen, "cannot create an address space: %s", strerror(-r));
		free(res);
		return r;
	}
	/* The loader works through the new address space. */
	platform_set_current(pthr);
	pthread_mutex_lock(&kernel.lock);
	t->mm = mm;
	pthread_mutex_unlock(&kernel.lock);
	r = loader_load(t, mm, &la, res, err, errlen);
	if (r < 0) {
		pthread_mutex_lock(&kernel.lock);
		t->mm = old_mm;
		pthread_mutex_unlock(&kernel.lock);
		platform_set_current(old_pthr);
		mm_put(mm);
		platform->thread_release(pthr);
		platform_set_current(old_pthr);
		free(res);
		return r;
	}
	/* Point of no return: the other threads go, this one leads. */
	de_thread(t);
	/* CPU time goes on across exec, but the new image is a new host
	 * process: keep what the old one used (unless another process, a
	 * vfork parent, still runs in it). */
	uint64_t old_u = 0, old_s = 0;
	pthread_mutex_lock(&kernel.lock);
	bool shared = old_mm && kernel_for_each_tg(uses_mm, old_mm);
	pthread_mutex_unlock(&kernel.lock);
	if (old_pthr && platform->cpu_time && !shared &&
	    platform->cpu_time(old_pthr, 1, &old_u, &old_s) < 0)
		old_u = old_s = 0;
	pthread_mutex_lock(&kernel.lock);
	t->pthr = pthr; /* under kernel.lock: tg_cpu_time reads it */
	t->tg->did_exec = true;
	t->tg->exec_utime += old_u;
	t->tg->exec_stime += old_s;
	pthread_mutex_unlock(&kernel.lock);
	/* The old image's host thread goes first: its address space may live on
	 * (vfork), and a traced thread left behind would take it down. */
	if (old_pthr)
		platform->thread_exit(old_pthr);
	platform_set_current(pthr);
	if (old_mm)
		mm_put(old_mm);
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = res->entry;
	t->regs.rsp = res->sp;
	t->regs.cs = 0x33;
	t->regs.ss = 0x2b;
	t->regs.eflags = 0x202;
	t->regs.orig_rax = (uint64_t)-1;
	fdtable_close_on_exec(t->fdt);
	pthread_mutex_lock(&kernel.lock);
	for (int i = 1; i < KERNEL_NSIG; i++) {
		struct k_sigaction *a = &t->tg->sigactions[i];
		if (a->handler != (uint64_t)(uintptr_t)SIG_IGN)
			memset(a, 0, sizeof(*a));
	}
	snprintf(t->tg->exe_path, sizeof(t->tg->exe_path), "%s", res->exe_path);
	/* The new credentials (set-ID bits, capabilities) and what goes with
	 * them, as Linux's begin_new_exec / commit_creds. */
	_Static_assert(sizeof(t->tg->saved_auxv) == LOADER_AUXV_WORDS * sizeof(uint64_t),
		       "saved_auxv size");
	memcpy(t->tg->saved_auxv, res->auxv, sizeof(t->tg->saved_auxv));
	t->tg->saved_auxv_words = res->auxv_words;
	t->tg->undumpable = res->creds.euid != res->creds.uid || res->creds.egid != res->creds.gid;
	if (res->secure)
		t->tg->pdeath_signal = 0; /* the parent may not signal it */
	t->creds = res->creds;
	posix_timers_free(t->tg); /* timers do not survive exec */
	pthread_mutex_unlock(&kernel.lock);
	memcpy(t->comm, res->comm, sizeof(t->comm));
	t->comm[TASK_COMM_LEN - 1] = 0;
	t->clear_child_tid = 0;
	t->robust_list = 0;
	free(res);
	return 0;
}

/* Tell the parent that tg has exited. kernel.lock held. */
static void notify_parent(struct thread_group *tg)
{
	struct thread_group *p = tg->parent;
	int st = tg->exit_code;

	if (!p)
		return;
	if (tg->exit_signal > 0 && tg->exit_signal < KERNEL_NSIG) {
		struct pending_siginfo pi = {.pid = tg->tgid,
					     .uid = tg->leader ? (int)tg->leader->creds.uid : 0};
		if (st & 0x7f) {
			pi.code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
			pi.status = st & 0x7f;
		} else {
			pi.code = CLD_EXITED;
			pi.status = (st >> 8) & 0xff;
		}
		signal_send_info(p, NULL, tg->exit_signal, &pi);
	}
	pthread_cond_broadcast(&p->child_exit);
}

/* Give tg's children to the nearest living subreaper above it, else init;
 * send each its PR_SET_PDEATHSIG signal. kernel.lock held. */
static void reparent_children(struct thread_group *tg)
{
	struct thread_group *reaper = NULL;

	for (struct thread_group *a = tg->parent; a; a = a->parent)
		if (a->child_subreaper && !a->exiting && !a->zombie) {
			reaper = a;
			break;
		}
	if (!reaper)
		reaper = tg_lookup(kernel.init_tgid);
	if (reaper == tg)
		reaper = NULL;
	for (struct thread_group *c = tg->children; c;) {
		struct thread_group *next = c->sibling;
		c->parent = reaper;
		if (reaper) {
			c->sibling = reaper->children;
			reaper->children = c;
		}
		if (c->pdeath_signal && !c->zombie)
			signal_send_tg(c, c->pdeath_signal);
		/* tg may have been the child's group's last link to its session. */
		if (!c->zombie)
			pgrp_orphan_check(c, tg, NULL);
		c = next;
	}
	tg->children = NULL;
	if (reaper)
		pthread_cond_broadcast(&reaper->child_exit);
}

_Noreturn void task_exit_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	struct platform_thread *pthr;
	struct fdtable *fdt;
	struct fs_context *fs;
	struct mm *mm;
	bool free_task = false;

	/* Others (procfs) take references under kernel.lock: unhook first. */
	pthread_mutex_lock(&kernel.lock);
	mm = t->mm;
	fdt = t->fdt;
	fs = t->fs;
	pthr = t->pthr;
	t->mm = NULL;
	t->fdt = NULL;
	t->fs = NULL;
	t->pthr = NULL;
	pthread_mutex_unlock(&kernel.lock);

	if (mm)
		futex_exit_robust_list(t, mm);
	/* CLONE_CHILD_CLEARTID: what pthread_join waits for. */
	if (t->clear_child_tid && mm && mm_users(mm) > 1) {
		uint32_t zero = 0;
		if (mm_write(mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake(mm, t->clear_child_tid, 1, 0xffffffffU);
	}
	/* The last thread reads its process's CPU time before the host process goes. */
	if (pthr && platform->cpu_time) {
		uint64_t u = 0, sy = 0;
		pthread_mutex_lock(&kernel.lock);
		bool last = tg->nr_threads == 1;
		pthread_mutex_unlock(&kernel.lock);
		if (last && platform->cpu_time(pthr, 1, &u, &sy) == 0) {
			pthread_mutex_lock(&kernel.lock);
			tg->exit_utime = u + tg->exec_utime;
			tg->exit_stime = sy + tg->exec_stime;
			pthread_mutex_unlock(&kernel.lock);
		}
	}
	if (pthr)
		platform->thread_exit(pthr); /* this host thread only */
	if (mm)
		mm_put(mm); /* the last user kills the stub */
	if (fdt)
		fdtable_put(fdt);
	if (fs)
		fs_context_put(fs);

	pthread_mutex_lock(&kernel.lock);
	t->exited = true;
	kernel_remove_task(t);
	task_vfork_release(t);
	tg->nr_threads--;
	if (t != tg->leader) {
		/* Only the leader stays (until reaped); unlink the others. */
		for (struct task **pp = &tg->leader->next_in_tg; *pp; pp = &(*pp)->next_in_tg) {
			if (*pp == t) {
				*pp = t->next_in_tg;
				break;
			}
		}
		free_task = true;
	}
	if (tg->nr_threads == 0) {
		tg->zombie = true;
		if (tg->sid == tg->tgid) /* a session leader hangs up its terminal */
			tty_session_leader_exit(tg);
		sem_exit_undo(tg->tgid); /* before the parent hears of the exit */
		reparent_children(tg);
		pgrp_orphan_check(tg, tg->parent, tg);
		notify_parent(tg);
		pidfd_notify_exit(tg); /* pidfds become readable */
	}
	pthread_cond_broadcast(&tg->child_exit);
	pthread_mutex_unlock(&kernel.lock);
	task_set_current(NULL);
	if (free_task) {
		pthread_cond_destroy(&t->vfork_cond);
		free(t);
	}
	pthread_exit(NULL);
}
