/*
 * wait4 and waitid: reaping children. A process's children are the thread
 * groups whose parent it is; a zombie holds its wait status until reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"

#define WAIT_RECHECK_NS 20000000LL

/* Does child c match wait4's pid argument for parent p? */
static bool matches(const struct thread_group *p, const struct thread_group *c, int pid)
{
	if (pid > 0)
		return c->tgid == pid;
	if (pid == -1)
		return true;
	if (pid == 0)
		return c->pgid == p->pgid;
	return c->pgid == -pid;
}

/* Unlink a zombie from its parent and the tables. kernel.lock held. */
void tg_reap(struct thread_group *c)
{
	struct thread_group *p = c->parent;

	if (p) {
		p->child_utime += c->exit_utime + c->child_utime;
		p->child_stime += c->exit_stime + c->child_stime;
		for (struct thread_group **pp = &p->children; *pp; pp = &(*pp)->sibling) {
			if (*pp == c) {
				*pp = c->sibling;
				break;
			}
		}
	}
	c->parent = NULL;
	kernel_remove_tg(c);
	if (c->leader) {
		free(c->leader);
		c->leader = NULL;
	}
	tg_put(c);
}

struct wait_result {
	int pid, status, kind; /* kind: CLD_EXITED (or killed), CLD_STOPPED, CLD_CONTINUED */
	uint32_t uid;
};

/* waitid without WEXITED (internal flag, outside Linux's option bits). */
#define WAIT_NO_EXITED 0x10000000

/*
 * Find and (unless nowait) reap a zombie child matching pid. Returns the
 * child's pid, 0 when matching children exist but none has exited and nohang,
 * -ECHILD when none match, -ERESTARTSYS when a signal arrives.
 */
static long do_wait(struct task *t, int pid, int options, struct wait_result *res)
{
	bool nohang = options & WNOHANG, nowait = options & WNOWAIT;
	bool want_exit = !(options & WAIT_NO_EXITED);
	long r;

	pthread_mutex_lock(&kernel.lock);
	for (;;) {
		bool any = false;
		struct thread_group *z = NULL;
		for (struct thread_group *c = t->tg->children; c; c = c->sibling) {
			if (!matches(t->tg, c, pid))
				continue;
			any = true;
			if ((c->zombie && want_exit) ||
			    ((options & WUNTRACED) && c->stopped && c->stop_to_report) ||
			    ((options & WCONTINUED) && c->cont_to_report)) {
				z = c;
				break;
			}
		}
		if (z) {
			res->pid = z->tgid;
			res->uid = z->leader ? z->leader->creds.uid : 0;
			if (z->zombie && want_exit) {
				res->status = z->exit_code;
				res->kind = CLD_EXITED;
				if (!nowait)
					tg_reap(z);
			} else if (z->stopped && z->stop_to_report && (options & WUNTRACED)) {
				res->status = (z->stop_sig << 8) | 0x7f;
				res->kind = CLD_STOPPED;
				if (!nowait)
					z->stop_to_report = false;
			} else {
				res->status = 0xffff;
				res->kind = CLD_CONTINUED;
				if (!nowait)
					z->cont_to_report = false;
			}
			r = res->pid;
			break;
		}
		if (!any) {
			r = -ECHILD;
			break;
		}
		if (nohang) {
			r = 0;
			break;
		}
		if (task_has_pending_signal(t)) {
			r = -ERESTARTSYS;
			break;
		}
		if (mm_rss_pending(t->mm)) {
			/* A /proc reader asked for RSS (mm/rss.c). */
			pthread_mutex_unlock(&kernel.lock);
			mm_rss_service(t);
			pthread_mutex_lock(&kernel.lock);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WAIT_RECHECK_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		task_set_wait_cond(t, &t->tg->child_exit);
		pthread_cond_timedwait(&t->tg->child_exit, &kernel.lock, &ts);
		task_set_wait_cond(t, NULL);
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(wait4)
{
	int pid = (int)args->a[0], options = (int)args->a[2];
	struct wait_result res;
	long r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	r = do_wait(t, pid, options & (WNOHANG | WUNTRACED | WCONTINUED), &res);
	if (r > 0) {
		int32_t st = res.status;
		if (args->a[1] && copy_to_user(t, args->a[1], &st, sizeof(st)))
			return -EFAULT;
		if (args->a[3]) {
			char ru[144];
			memset(ru, 0, sizeof(ru));
			if (copy_to_user(t, args->a[3], ru, sizeof(ru)))
				return -EFAULT;
		}
	}
	return r;
}

struct guest_siginfo_chld {
	int32_t si_signo, si_errno, si_code, pad;
	int32_t pid;
	uint32_t uid;
	int32_t status;
	char rest[128 - 28];
};

SYSCALL_DEFINE(waitid)
{
	int idtype = (int)args->a[0], id = (int)args->a[1], options = (int)args->a[3];
	struct wait_result res;
	int pid;
	long r;

	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WALL | __WCLONE |
			__WNOTHREAD))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		pid = -1;
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		pid = id;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		pid = id ? -id : 0;
		break;
	case 3: /* P_PIDFD */ {
		struct file *f = fd_get(t->fdt, id);
		struct thread_group *tg = f ? pidfd_tg(f) : NULL;
		if (!f)
			return -EBADF;
		if (!tg) {
			file_put(f);
			return -EINVAL;
		}
		pid = tg->tgid;
		file_put(f);
		break;
	}
	default:
		return -EINVAL;
	}
	r = do_wait(t, pid,
		    (options & (WNOHANG | WNOWAIT | WCONTINUED)) |
			    ((options & WSTOPPED) ? WUNTRACED : 0) |
			    ((options & WEXITED) ? 0 : WAIT_NO_EXITED),
		    &res);
	if (r < 0)
		return r;
	if (args->a[2]) {
		struct guest_siginfo_chld si;
		memset(&si, 0, sizeof(si));
		if (r > 0) {
			si.si_signo = SIGCHLD;
			si.pid = res.pid;
			si.uid = res.uid;
			if (res.kind == CLD_STOPPED) {
				si.si_code = CLD_STOPPED;
				si.status = (res.status >> 8) & 0xff;
			} else if (res.kind == CLD_CONTINUED) {
				si.si_code = CLD_CONTINUED;
				si.status = SIGCONT;
			} else if (res.status & 0x7f) {
				si.si_code = (res.status & 0x80) ? CLD_DUMPED : CLD_KILLED;
				si.status = res.status & 0x7f;
			} else {
				si.si_code = CLD_EXITED;
				si.status = (res.status >> 8) & 0xff;
			}
		}
		if (copy_to_user(t, args->a[2], &si, sizeof(si)))
			return -EFAULT;
	}
	return 0;
}
