/*
 * clone, fork, vfork, clone3: new tasks.
 *
 * A new process gets a host fork of its parent's address space (the host
 * does copy-on-write); a new thread gets a new host thread in the same
 * address space. Either way the host thread waits in the stub until the new
 * task's own sentry thread adopts it, since that thread must be its tracer.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/futex.h"
#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/log.h"
#include "vfs/vfs.h"

#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)
#define CLONE_NEWTIME_ 0x00000080

static void *task_thread_start(void *arg)
{
	struct task *t = arg;
	struct platform_thread *pthr;
	int r;

	task_set_current(t);
	r = mm_adopt_thread(t->mm, t->host_tid, &pthr);
	if (r < 0) {
		log_warn("pid %d: cannot take over the new thread: %s", t->tid, strerror(-r));
		pthread_mutex_lock(&kernel.lock);
		tg_group_exit(t->tg, SIGKILL);
		pthread_mutex_unlock(&kernel.lock);
		task_exit_thread(t);
	}
	pthread_mutex_lock(&kernel.lock);
	t->pthr = pthr; /* under kernel.lock: tg_cpu_time reads it */
	pthread_mutex_unlock(&kernel.lock);
	platform_set_current(pthr);
	task_run_loop(t);
	return NULL;
}

static void release_partial(struct task *c)
{
	if (c->mm)
		mm_put(c->mm);
	if (c->fdt)
		fdtable_put(c->fdt);
	if (c->fs)
		fs_context_put(c->fs);
	pthread_cond_destroy(&c->vfork_cond);
	free(c);
}

long do_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
	      uint64_t tls)
{
	return do_clone3(t, flags, stack, ptid, ctid, tls, 0);
}

long do_clone3(struct task *t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
	       uint64_t tls, uint64_t pidfd_addr)
{
	int exit_signal = (int)(flags & CSIGNAL);
	struct thread_group *tg;
	struct task *c;
	pid_t host_tid;
	long r;

	flags &= ~(uint64_t)CSIGNAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_FS) && (flags & CLONE_NEWNS))
		return -EINVAL;
	if (flags & ((CLONE_NS_FLAGS & ~CLONE_NEWNS) | CLONE_NEWTIME_))
		return -EINVAL; /* namespaces inside the sandbox: only mount ones */
	if ((flags & CLONE_NEWNS) && !creds_capable(&t->creds, CAP_SYS_ADMIN))
		return -EPERM;
	if ((flags & CLONE_PIDFD) &&
	    ((flags & (CLONE_THREAD | CLONE_DETACHED)) || (!pidfd_addr && (flags & CLONE_PARENT_SETTID))))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && exit_signal)
		exit_signal = 0;
	if (exit_signal >= KERNEL_NSIG)
		return -EINVAL;
	if ((flags & CLONE_PARENT) && t->tg->tgid == kernel.init_tgid)
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->wait_lock, NULL);
	pthread_cond_init(&c->vfork_cond, NULL);
	c->creds = t->creds;
	c->sigmask = t->sigmask;
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
		c->altstack = t->altstack;
	else
		c->altstack.flags = SS_DISABLE;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	memcpy(c->affinity, t->affinity, sizeof(c->affinity));
	c->strace = t->strace;
	c->regs = t->regs;
	c->regs.rax = 0;
	c->regs.orig_rax = (uint64_t)-1;
	if (stack)
		c->regs.rsp = stack;
	if (flags & CLONE_SETTLS)
		c->regs.fs_base = tls;
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ctid;

	if (flags & CLONE_VM) {
		mm_get(t->mm);
		c->mm = t->mm;
		r = mm_spawn_thread(t->mm, &host_tid);
	} else {
		r = mm_fork(t->mm, &c->mm, &host_tid);
	}
	if (r < 0)
		goto fail;
	c->host_tid = host_tid;
	if (flags & CLONE_FILES) {
		fdtable_get(t->fdt);
		c->fdt = t->fdt;
	} else {
		c->fdt = fdtable_dup(t->fdt);
	}
	if (flags & CLONE_FS) {
		fs_context_get(t->fs);
		c->fs = t->fs;
	} else {
		c->fs = fs_context_dup(t->fs);
	}
	if (!c->fdt || !c->fs) {
		r = -ENOMEM;
		goto fail;
	}
	/* CLONE_NEWNS: the child's own copy of the mount tree (vfs/mount.c). */
	if ((flags & CLONE_NEWNS) && (r = vfs_unshare_mount_ns(c->fs)) < 0)
		goto fail;

	pthread_mutex_lock(&kernel.lock);
	if (t->tg->exiting) {
		pthread_mutex_unlock(&kernel.lock);
		r = -EINTR;
		goto fail;
	}
	c->tid = kernel_alloc_tid();
	if (c->tid < 0) {
		pthread_mutex_unlock(&kernel.lock);
		r = -EAGAIN;
		goto fail;
	}
	if (flags & CLONE_THREAD) {
		tg = t->tg;
		struct task *last = tg->leader;
		while (last->next_in_tg)
			last = last->next_in_tg;
		last->next_in_tg = c;
		tg->nr_threads++;
	} else {
		struct thread_group *parent = (flags & CLONE_PARENT) ? t->tg->parent : t->tg;
		tg = tg_new(c->tid, parent);
		if (!tg) {
			pthread_mutex_unlock(&kernel.lock);
			r = -ENOMEM;
			goto fail;
		}
		tg->pgid = t->tg->pgid;
		tg->sid = t->tg->sid;
		memcpy(tg->sigactions, t->tg->sigactions, sizeof(tg->sigactions));
		memcpy(tg->rlimits, t->tg->rlimits, sizeof(tg->rlimits));
		memcpy(tg->exe_path, t->tg->exe_path, sizeof(tg->exe_path));
		memcpy(tg->saved_auxv, t->tg->saved_auxv, sizeof(tg->saved_auxv));
		tg->saved_auxv_words = t->tg->saved_auxv_words;
		tg->undumpable = t->tg->undumpable;
		tg->exit_signal = exit_signal;
		tg->leader = c;
		tg->nr_threads = 1;
		kernel_add_tg(tg);
	}
	c->tg = tg;
	kernel_add_task(c);
	if (flags & CLONE_VFORK)
		c->vfork_parent = t;
	pthread_mutex_unlock(&kernel.lock);

	uint32_t tid32 = (uint32_t)c->tid;
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(t, ptid, &tid32, sizeof(tid32));
	if (flags & CLONE_PIDFD) {
		/* clone(2) stores the pidfd where parent_tid points (clone3: args.pidfd). */
		int32_t pfd = (int32_t)pidfd_create(t, tg, 0);
		copy_to_user(t, pidfd_addr ? pidfd_addr : ptid, &pfd, sizeof(pfd));
	}
	if (flags & CLONE_CHILD_SETTID)
		mm_write(c->mm, ctid, &tid32, sizeof(tid32));

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = c->tid;
	if (pthread_create(&c->thread, &attr, task_thread_start, c) != 0) {
		/* The task is in the tables: let it die as if killed. */
		log_warn("cannot start a sentry thread for pid %ld", r);
		pthread_attr_destroy(&attr);
		return -EAGAIN;
	}
	pthread_attr_destroy(&attr);

	if (flags & CLONE_VFORK) {
		pthread_mutex_lock(&kernel.lock);
		while (!c->vfork_done)
			pthread_cond_wait(&c->vfork_cond, &kernel.lock);
		pthread_mutex_unlock(&kernel.lock);
	}
	return r;
fail:
	release_partial(c);
	return r;
}

/* The parent of a vfork child may go on (child exec'd or exited). kernel.lock held. */
void task_vfork_release(struct task *t)
{
	if (t->vfork_parent) {
		t->vfork_parent = NULL;
		t->vfork_done = true;
		pthread_cond_broadcast(&t->vfork_cond);
	}
}

SYSCALL_DEFINE(clone)
{
	/* x86_64: clone(flags, stack, parent_tid, child_tid, tls) */
	return do_clone(t, args->a[0], args->a[1], args->a[2], args->a[3], args->a[4]);
}

SYSCALL_DEFINE(fork)
{
	return do_clone(t, SIGCHLD, 0, 0, 0, 0);
}

SYSCALL_DEFINE(vfork)
{
	return do_clone(t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

struct guest_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};

SYSCALL_DEFINE(clone3)
{
	struct guest_clone_args ca;
	uint64_t size = args->a[1];

	memset(&ca, 0, sizeof(ca));
	if (size < 64 || size > 4096)
		return -EINVAL;
	if (copy_from_user(t, &ca, args->a[0], size < sizeof(ca) ? size : sizeof(ca)))
		return -EFAULT;
	if (ca.flags & CSIGNAL || ca.exit_signal >= KERNEL_NSIG || ca.set_tid || ca.set_tid_size)
		return -EINVAL;
	if (ca.flags & 0x200000000ULL /* CLONE_INTO_CGROUP */)
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	if ((ca.flags & CLONE_PIDFD) && !ca.pidfd)
		return -EINVAL;
	/* clone3 allows CLONE_PIDFD with CLONE_PARENT_SETTID (separate fields). */
	return do_clone3(t, ca.flags | ca.exit_signal, ca.stack ? ca.stack + ca.stack_size : 0,
			 ca.parent_tid, ca.child_tid, ca.tls, ca.pidfd);
}
