/*
 * Signal-driven I/O: see fasync.h.
 *
 * Each file with an owner or O_ASYNC has a struct fasync (f->fasync, under
 * f->flags_lock). While O_ASYNC is set and the file has a wait queue, the
 * record's entry hangs on that queue; its callback (queue lock held) copies
 * the owner into a pending request and wakes the sender thread, which
 * delivers under kernel.lock, after every lock of the file is released
 * (signal generation takes kernel.lock, which comes before object locks).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fasync.h"
#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"
#include "kernel/task.h"
#include "kernel/waitq.h"
#include "vfs/vfs_impl.h"

#define FASYNC_QUEUE_MAX 1024 /* pending deliveries; more are dropped (SIGIO is not queued anyway) */

struct fasync {
	struct wait_entry e;
	struct waitq *q; /* e is on it while armed */
	int fd;
	int owner_type, owner, sig; /* FASYNC_OWNER_*, id (0: none), F_SETSIG */
};

struct sigio_req {
	int owner_type, owner, sig, fd;
	unsigned events;
};

static pthread_mutex_t fasync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fasync_cond = PTHREAD_COND_INITIALIZER;
static struct sigio_req fasync_queue[FASYNC_QUEUE_MAX];
static int fasync_n;
static bool sender_started;

static int send_one(struct thread_group *tg, struct task *t, const struct sigio_req *r)
{
	if (!r->sig)
		return t ? signal_send_task(t, SIGIO) : signal_send_tg(tg, SIGIO);
	/* F_SETSIG: si_code says why, si_band the poll bits, si_fd the fd. */
	unsigned ev = r->events ? r->events : POLLIN | POLLOUT;
	struct pending_siginfo pi = {.status = r->fd, .addr = ev};
	if (ev & POLLERR)
		pi.code = POLL_ERR;
	else if (ev & POLLHUP)
		pi.code = POLL_HUP;
	else if (ev & POLLIN)
		pi.code = POLL_IN;
	else if (ev & POLLPRI)
		pi.code = POLL_PRI;
	else
		pi.code = POLL_OUT;
	return signal_send_info(tg, t, r->sig, &pi);
}

struct pgrp_send {
	const struct sigio_req *r;
};

static int send_pgrp_one(struct thread_group *tg, void *arg)
{
	struct pgrp_send *ps = arg;
	if (tg->pgid == ps->r->owner && !tg->zombie)
		send_one(tg, NULL, ps->r);
	return 0;
}

/* kernel.lock held. */
static void deliver(const struct sigio_req *r)
{
	if (r->owner_type == FASYNC_OWNER_PGRP) {
		struct pgrp_send ps = {r};
		kernel_for_each_tg(send_pgrp_one, &ps);
	} else if (r->owner_type == FASYNC_OWNER_TID) {
		struct task *t = task_lookup(r->owner);
		if (t && !t->exited)
			send_one(t->tg, t, r);
	} else {
		struct thread_group *tg = tg_lookup(r->owner);
		if (tg && !tg->zombie)
			send_one(tg, NULL, r);
	}
}

static void *sender_main(void *arg)
{
	static struct sigio_req batch[FASYNC_QUEUE_MAX];
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&fasync_lock);
	for (;;) {
		while (!fasync_n)
			pthread_cond_wait(&fasync_cond, &fasync_lock);
		int n = fasync_n;
		memcpy(batch, fasync_queue, (size_t)n * sizeof(batch[0]));
		fasync_n = 0;
		pthread_mutex_unlock(&fasync_lock);
		pthread_mutex_lock(&kernel.lock);
		for (int i = 0; i < n; i++)
			deliver(&batch[i]);
		pthread_mutex_unlock(&kernel.lock);
		pthread_mutex_lock(&fasync_lock);
	}
	return NULL;
}

/* The file's queue was woken (its lock held): queue a delivery. */
static void fasync_wake(struct wait_entry *e, unsigned events)
{
	struct fasync *fa = e->priv;

	if (!fa->owner)
		return;
	pthread_mutex_lock(&fasync_lock);
	/* One pending SIGIO per owner is enough (standard signals merge). */
	bool dup = false;
	for (int i = 0; i < fasync_n && !dup; i++)
		dup = fasync_queue[i].owner == fa->owner &&
		      fasync_queue[i].owner_type == fa->owner_type && !fa->sig &&
		      !fasync_queue[i].sig;
	if (!dup && fasync_n < FASYNC_QUEUE_MAX) {
		fasync_queue[fasync_n++] = (struct sigio_req){
		    .owner_type = fa->owner_type, .owner = fa->owner, .sig = fa->sig,
		    .fd = fa->fd, .events = events};
		pthread_cond_signal(&fasync_cond);
	}
	pthread_mutex_unlock(&fasync_lock);
}

/* f->flags_lock held: f's record, created on first use (NULL: ENOMEM). */
static struct fasync *get_locked(struct file *f)
{
	if (!f->fasync) {
		struct fasync *fa = calloc(1, sizeof(*fa));
		if (!fa)
			return NULL;
		wait_entry_init(&fa->e, fasync_wake, fa);
		fa->owner_type = FASYNC_OWNER_PID;
		f->fasync = fa;
	}
	return f->fasync;
}

static int find_pgrp(struct thread_group *tg, void *arg)
{
	int *pgid = arg;
	if (tg->pgid == *pgid && !tg->zombie) {
		*pgid = 0;
		return 1;
	}
	return 0;
}

int fasync_setown(struct file *f, int type, int who)
{
	if (type < FASYNC_OWNER_TID || type > FASYNC_OWNER_PGRP)
		return -EINVAL;
	if (who < 0)
		return -EINVAL;
	if (who) {
		pthread_mutex_lock(&kernel.lock);
		bool found;
		if (type == FASYNC_OWNER_PGRP) {
			int pgid = who;
			kernel_for_each_tg(find_pgrp, &pgid);
			found = pgid == 0;
		} else if (type == FASYNC_OWNER_TID) {
			found = task_lookup(who) != NULL;
		} else {
			found = tg_lookup(who) != NULL;
		}
		pthread_mutex_unlock(&kernel.lock);
		if (!found)
			return -ESRCH;
	}
	pthread_mutex_lock(&f->flags_lock);
	struct fasync *fa = get_locked(f);
	if (fa) {
		fa->owner_type = type;
		fa->owner = who;
	}
	pthread_mutex_unlock(&f->flags_lock);
	return fa ? 0 : -ENOMEM;
}

int fasync_getown(struct file *f)
{
	int r = 0;
	pthread_mutex_lock(&f->flags_lock);
	if (f->fasync && f->fasync->owner)
		r = f->fasync->owner_type == FASYNC_OWNER_PGRP ? -f->fasync->owner
							      : f->fasync->owner;
	pthread_mutex_unlock(&f->flags_lock);
	return r;
}

void fasync_getown_ex(struct file *f, int *type, int *who)
{
	pthread_mutex_lock(&f->flags_lock);
	*type = f->fasync ? f->fasync->owner_type : FASYNC_OWNER_PID;
	*who = f->fasync ? f->fasync->owner : 0;
	pthread_mutex_unlock(&f->flags_lock);
}

int fasync_setsig(struct file *f, int sig)
{
	if (sig < 0 || sig > KERNEL_NSIG - 1)
		return -EINVAL;
	pthread_mutex_lock(&f->flags_lock);
	struct fasync *fa = get_locked(f);
	if (fa)
		fa->sig = sig;
	pthread_mutex_unlock(&f->flags_lock);
	return fa ? 0 : -ENOMEM;
}

int fasync_getsig(struct file *f)
{
	pthread_mutex_lock(&f->flags_lock);
	int sig = f->fasync ? f->fasync->sig : 0;
	pthread_mutex_unlock(&f->flags_lock);
	return sig;
}

static void start_sender(void)
{
	pthread_mutex_lock(&fasync_lock);
	if (!sender_started) {
		pthread_attr_t attr;
		pthread_t th;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 << 10);
		if (pthread_create(&th, &attr, sender_main, NULL) == 0)
			sender_started = true;
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&fasync_lock);
}

int fasync_set(struct file *f, int fd, bool on)
{
	struct waitq *q = f->ops && f->ops->waitq ? f->ops->waitq(f) : NULL;

	if (on && q)
		start_sender();
	pthread_mutex_lock(&f->flags_lock);
	struct fasync *fa = on ? get_locked(f) : f->fasync;
	if (on && !fa) {
		pthread_mutex_unlock(&f->flags_lock);
		return -ENOMEM;
	}
	if (on)
		f->flags |= O_ASYNC;
	else
		f->flags &= ~O_ASYNC;
	if (fa) {
		fa->fd = fd;
		if (on && q && !fa->q) {
			fa->q = q;
			waitq_add(q, &fa->e);
		} else if (!on && fa->q) {
			waitq_remove(fa->q, &fa->e);
			fa->q = NULL;
		}
	}
	pthread_mutex_unlock(&f->flags_lock);
	return 0;
}

void fasync_release(struct file *f)
{
	struct fasync *fa = f->fasync;

	if (!fa)
		return;
	if (fa->q)
		waitq_remove(fa->q, &fa->e);
	f->fasync = NULL;
	free(fa);
}
