/* Process identity, exit, and the small process-control syscalls. */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <asm/prctl.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

static _Noreturn void do_exit(struct task *t, int status, bool group)
{
	pthread_mutex_lock(&kernel.lock);
	if (group || t->tg->nr_threads == 1)
		tg_group_exit(t->tg, (status & 0xff) << 8);
	pthread_mutex_unlock(&kernel.lock);
	if (t->clear_child_tid && t->mm) {
		uint32_t zero = 0;
		copy_to_user(t, t->clear_child_tid, &zero, sizeof(zero));
	}
	task_exit_thread(t);
}

SYSCALL_DEFINE(exit)
{
	do_exit(t, (int)args->a[0], false);
}

SYSCALL_DEFINE(exit_group)
{
	do_exit(t, (int)args->a[0], true);
}

SYSCALL_DEFINE(getpid)
{
	return t->tg->tgid;
}

SYSCALL_DEFINE(gettid)
{
	return t->tid;
}

SYSCALL_DEFINE(getppid)
{
	long r;

	pthread_mutex_lock(&kernel.lock);
	r = t->tg->parent ? t->tg->parent->tgid : 0;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(getuid)
{
	return t->creds.uid;
}

SYSCALL_DEFINE(geteuid)
{
	return t->creds.euid;
}

SYSCALL_DEFINE(getgid)
{
	return t->creds.gid;
}

SYSCALL_DEFINE(getegid)
{
	return t->creds.egid;
}

static long put_res_ids(struct task *t, const struct sysargs *args, uint32_t r, uint32_t e,
			uint32_t s)
{
	int x;

	if ((x = copy_to_user(t, args->a[0], &r, 4)) || (x = copy_to_user(t, args->a[1], &e, 4)) ||
	    (x = copy_to_user(t, args->a[2], &s, 4)))
		return x;
	return 0;
}

SYSCALL_DEFINE(getresuid)
{
	return put_res_ids(t, args, t->creds.uid, t->creds.euid, t->creds.suid);
}

SYSCALL_DEFINE(getresgid)
{
	return put_res_ids(t, args, t->creds.gid, t->creds.egid, t->creds.sgid);
}

SYSCALL_DEFINE(getgroups)
{
	int size = (int)args->a[0];

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->creds.ngroups;
	if (size < t->creds.ngroups)
		return -EINVAL;
	if (copy_to_user(t, args->a[1], t->creds.groups, (size_t)t->creds.ngroups * 4))
		return -EFAULT;
	return t->creds.ngroups;
}

SYSCALL_DEFINE(getpgrp)
{
	return t->tg->pgid;
}

SYSCALL_DEFINE(getpgid)
{
	int pid = (int)args->a[0];
	long r;

	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = pid == 0 ? t->tg : tg_lookup(pid);
	r = tg && !tg->zombie ? tg->pgid : -ESRCH;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(getsid)
{
	int pid = (int)args->a[0];
	long r;

	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = pid == 0 ? t->tg : tg_lookup(pid);
	r = tg && !tg->zombie ? tg->sid : -ESRCH;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(setsid)
{
	long r;

	pthread_mutex_lock(&kernel.lock);
	if (t->tg->pgid == t->tg->tgid) {
		r = -EPERM;
	} else {
		t->tg->sid = t->tg->pgid = t->tg->tgid;
		r = t->tg->tgid;
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

static int pgrp_member_in(struct thread_group *tg, void *arg)
{
	const int *want = arg; /* {pgid, sid} */

	return tg->pgid == want[0] && tg->sid == want[1]; /* zombies too, as Linux */
}

/* Is there a process (zombies too) in group pgid of session sid? kernel.lock held. */
static bool pgrp_in_session(int pgid, int sid)
{
	int want[2] = {pgid, sid};

	return kernel_for_each_tg(pgrp_member_in, want) != 0;
}

SYSCALL_DEFINE(setpgid)
{
	int pid = (int)args->a[0], pgid = (int)args->a[1];
	long r = 0;

	if (pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = pid == 0 ? t->tg : tg_lookup(pid);
	struct task *thread = tg ? NULL : task_lookup(pid);
	if (!tg && thread && !thread->exited)
		r = -EINVAL; /* a thread that does not lead its process */
	else if (!tg || (tg != t->tg && tg->parent != t->tg))
		r = -ESRCH;
	else if (tg != t->tg && tg->sid != t->tg->sid)
		r = -EPERM; /* a child in another session */
	else if (tg != t->tg && tg->did_exec)
		r = -EACCES; /* a child that has exec'd */
	else if (tg->sid == tg->tgid)
		r = -EPERM;
	else if (pgid && pgid != tg->tgid && !pgrp_in_session(pgid, t->tg->sid))
		r = -EPERM; /* joining a group must stay in the session */
	else
		tg->pgid = pgid ? pgid : tg->tgid;
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(set_tid_address)
{
	t->clear_child_tid = args->a[0];
	return t->tid;
}

SYSCALL_DEFINE(set_robust_list)
{
	if (args->a[1] != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	t->robust_list = args->a[0];
	t->robust_list_len = args->a[1];
	return 0;
}

SYSCALL_DEFINE(get_robust_list)
{
	int pid = (int)args->a[0];
	uint64_t head, len = 24;

	if (pid != 0 && pid != t->tid)
		return -ESRCH; /* other tasks' lists: not yet */
	head = t->robust_list;
	if (copy_to_user(t, args->a[1], &head, 8) || copy_to_user(t, args->a[2], &len, 8))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(arch_prctl)
{
	int code = (int)args->a[0];
	uint64_t addr = args->a[1];

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= APP_ADDR_MAX)
			return -EPERM;
		t->regs.fs_base = addr;
		return 0;
	case ARCH_SET_GS:
		if (addr >= APP_ADDR_MAX)
			return -EPERM;
		t->regs.gs_base = addr;
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(t, addr, &t->regs.fs_base, 8);
	case ARCH_GET_GS:
		return copy_to_user(t, addr, &t->regs.gs_base, 8);
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		return -ENODEV;
	default:
		return -EINVAL;
	}
}

SYSCALL_DEFINE(prctl)
{
	int op = (int)args->a[0];
	char name[TASK_COMM_LEN];

	switch (op) {
	case PR_SET_NAME:
		memset(name, 0, sizeof(name));
		{
			long n = strncpy_from_user(t, name, args->a[1], sizeof(name));
			if (n == -EFAULT)
				return -EFAULT;
		}
		name[TASK_COMM_LEN - 1] = 0;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user(t, args->a[1], t->comm, TASK_COMM_LEN);
	case PR_GET_DUMPABLE: {
		pthread_mutex_lock(&kernel.lock);
		long d = !t->tg->undumpable;
		pthread_mutex_unlock(&kernel.lock);
		return d;
	}
	case PR_SET_DUMPABLE:
		if (args->a[1] > 1)
			return -EINVAL;
		pthread_mutex_lock(&kernel.lock);
		t->tg->undumpable = !args->a[1];
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		if (args->a[1] != 1 || args->a[2] || args->a[3] || args->a[4])
			return -EINVAL;
		t->creds.no_new_privs = true; /* for good: inherited, never cleared */
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return t->creds.no_new_privs;
	case PR_GET_SECCOMP:
		return 0;
	case PR_CAPBSET_READ:
		if (args->a[1] > 40)
			return -EINVAL;
		return (t->creds.cap_bounding >> args->a[1]) & 1;
	case PR_GET_TIMERSLACK:
		return 50000;
	case PR_SET_PDEATHSIG:
		if (args->a[1] >= KERNEL_NSIG)
			return -EINVAL;
		pthread_mutex_lock(&kernel.lock);
		t->tg->pdeath_signal = (int)args->a[1];
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PR_GET_PDEATHSIG: {
		int32_t v = t->tg->pdeath_signal;
		return copy_to_user(t, args->a[1], &v, sizeof(v));
	}
	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&kernel.lock);
		t->tg->child_subreaper = args->a[1] != 0;
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int32_t v = t->tg->child_subreaper;
		return copy_to_user(t, args->a[1], &v, sizeof(v));
	}
	default:
		return -EINVAL;
	}
}

struct kill_scan {
	struct task *t;
	int pgid; /* 0: every process but init and the caller (kill -1) */
	int sig;
	int found;
	const struct pending_siginfo *pi;
};

static int kill_one(struct thread_group *tg, void *arg)
{
	struct kill_scan *k = arg;

	if (tg->zombie || (tg->nr_threads == 0 && !tg->leader))
		return 0;
	if (k->pgid ? tg->pgid != k->pgid
		    : (tg->tgid == kernel.init_tgid || tg == k->t->tg || tg->nr_threads == 0))
		return 0;
	k->found++;
	signal_send_info(tg, NULL, k->sig, k->pi);
	return 0;
}

SYSCALL_DEFINE(kill)
{
	int pid = (int)args->a[0], sig = (int)args->a[1];
	struct pending_siginfo pi = {.code = SI_USER, .pid = t->tg->tgid, .uid = (int)t->creds.uid};
	long r;

	if (pid == INT32_MIN)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	if (pid > 0) {
		/* Linux looks the process up before it checks the signal. */
		struct thread_group *tg = tg_lookup(pid);
		r = tg && !tg->zombie ? signal_send_info(tg, NULL, sig, &pi) : -ESRCH;
	} else if (sig < 0 || sig >= KERNEL_NSIG) {
		r = -EINVAL;
	} else {
		struct kill_scan k = {.t = t, .pgid = pid == 0 ? t->tg->pgid : pid == -1 ? 0 : -pid,
				      .sig = sig, .pi = &pi};
		kernel_for_each_tg(kill_one, &k);
		r = k.found ? 0 : -ESRCH; /* kill(-1) spares init and the caller, as Linux */
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

static long do_tkill(struct task *t, int tgid, int tid, int sig)
{
	struct pending_siginfo pi = {.code = SI_TKILL, .pid = t->tg->tgid, .uid = (int)t->creds.uid};
	long r;

	if (tid <= 0 || sig < 0 || sig >= KERNEL_NSIG)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	struct task *x = task_lookup(tid);
	if (!x || (tgid > 0 && x->tg->tgid != tgid))
		r = -ESRCH;
	else
		r = signal_send_info(NULL, x, sig, &pi);
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

SYSCALL_DEFINE(tkill)
{
	return do_tkill(t, -1, (int)args->a[0], (int)args->a[1]);
}

SYSCALL_DEFINE(tgkill)
{
	if ((int)args->a[0] <= 0)
		return -EINVAL;
	return do_tkill(t, (int)args->a[0], (int)args->a[1], (int)args->a[2]);
}

