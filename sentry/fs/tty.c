/*
 * Pseudo-terminal pairs: the tty table (devpts indices), the master and
 * slave file operations (read, write, poll, hang-up), job control checks
 * (SIGTTIN/SIGTTOU), controlling terminals and the sentry's own access to a
 * master for the console bridge. The line discipline is tty_ldisc.c, the
 * ioctls tty_ioctl.c; locking is described in tty.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>

#include "fs/tty.h"
#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"
#include "kernel/task.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"
#include "vfs/vfs_impl.h"

pthread_mutex_t tty_table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tty *ttys[TTY_MAX]; /* tty_table_lock; no reference */
static int tty_high;		  /* tty_table_lock: indices below are in use */
static struct tty *console;

/* --- the table ---------------------------------------------------------------- */

struct tty *tty_create(uint32_t uid, int *err)
{
	struct tty *tty = calloc(1, sizeof(*tty));
	int idx = -1;

	if (!tty) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&tty_table_lock);
	for (int i = 0; i < TTY_MAX; i++)
		if (!ttys[i]) {
			idx = i;
			break;
		}
	if (idx < 0) {
		pthread_mutex_unlock(&tty_table_lock);
		free(tty);
		*err = -ENOSPC;
		return NULL;
	}
	ttys[idx] = tty;
	if (idx >= tty_high)
		tty_high = idx + 1;
	tty->refs = 1;
	pthread_mutex_unlock(&tty_table_lock);

	tty->index = idx;
	tty->uid = uid;
	tty->gid = 0;
	tty->mode = 0600; /* devpts' default mode= */
	pthread_mutex_init(&tty->lock, NULL);
	pthread_cond_init(&tty->cond, NULL);
	waitq_init(&tty->wq);
	ldisc_default_termios(&tty->termios);
	tty->locked = true;
	return tty;
}

struct tty *tty_lookup(int index)
{
	struct tty *tty = NULL;

	if (index < 0 || index >= TTY_MAX)
		return NULL;
	pthread_mutex_lock(&tty_table_lock);
	if (ttys[index]) {
		tty = ttys[index];
		tty->refs++;
	}
	pthread_mutex_unlock(&tty_table_lock);
	return tty;
}

void tty_get(struct tty *tty)
{
	pthread_mutex_lock(&tty_table_lock);
	tty->refs++;
	pthread_mutex_unlock(&tty_table_lock);
}

void tty_put(struct tty *tty)
{
	pthread_mutex_lock(&tty_table_lock);
	if (--tty->refs > 0) {
		pthread_mutex_unlock(&tty_table_lock);
		return;
	}
	ttys[tty->index] = NULL;
	while (tty_high > 0 && !ttys[tty_high - 1])
		tty_high--;
	pthread_mutex_unlock(&tty_table_lock);
	waitq_destroy(&tty->wq);
	pthread_cond_destroy(&tty->cond);
	pthread_mutex_destroy(&tty->lock);
	free(tty);
}

void tty_for_each(void (*fn)(struct tty *tty, void *arg), void *arg)
{
	pthread_mutex_lock(&tty_table_lock);
	for (int i = 0; i < tty_high; i++) {
		struct tty *tty = ttys[i];
		if (!tty)
			continue;
		pthread_mutex_lock(&tty->lock);
		bool live = tty->masters > 0;
		pthread_mutex_unlock(&tty->lock);
		if (live)
			fn(tty, arg);
	}
	pthread_mutex_unlock(&tty_table_lock);
}

void tty_changed(struct tty *tty)
{
	pthread_cond_broadcast(&tty->cond);
	waitq_wake(&tty->wq, 0);
}

/* --- sessions and process groups (kernel.lock held) -------------------------- */

/* The tty still belongs to a session whose leader lives. A dead leader's
 * session loses the terminal here (if the exit hook has not run). A
 * missing leader is only not valid (the console's session 1 is set before
 * init exists). */
static bool session_valid(struct tty *tty)
{
	if (!tty->session)
		return false;
	struct thread_group *l = tg_lookup(tty->session);
	if (l && !l->zombie && l->sid == tty->session)
		return true;
	if (l)
		tty->session = tty->pgrp = 0;
	return false;
}

struct tty *tty_ctty_locked(struct thread_group *tg)
{
	struct tty *found = NULL;

	pthread_mutex_lock(&tty_table_lock);
	for (int i = 0; i < tty_high && !found; i++) {
		struct tty *tty = ttys[i];
		if (tty && tty->session == tg->sid && session_valid(tty)) {
			found = tty;
			tty->refs++;
		}
	}
	pthread_mutex_unlock(&tty_table_lock);
	return found;
}

uint32_t tty_nr_locked(struct thread_group *tg)
{
	struct tty *tty = tty_ctty_locked(tg);
	uint32_t maj, min;

	if (!tty)
		return 0;
	maj = 136 + (uint32_t)tty->index / 256;
	min = (uint32_t)tty->index % 256;
	tty_put(tty);
	return (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
}

struct pg_kill {
	int pgid;
	int sig;
	int found;
};

static int pg_kill_one(struct thread_group *tg, void *arg)
{
	struct pg_kill *k = arg;
	struct pending_siginfo pi = {.code = 0x80 /* SI_KERNEL */};

	if (tg->pgid != k->pgid || tg->zombie)
		return 0;
	k->found++;
	signal_send_info(tg, NULL, k->sig, &pi);
	return 0;
}

void tty_kill_pgrp_locked(int pgid, int sig)
{
	struct pg_kill k = {.pgid = pgid, .sig = sig};
	if (pgid > 0)
		kernel_for_each_tg(pg_kill_one, &k);
}

void tty_signal_pgrp(struct tty *tty, uint64_t sigs)
{
	if (!sigs)
		return;
	pthread_mutex_lock(&kernel.lock);
	if (session_valid(tty) && tty->pgrp)
		for (int sig = 1; sig < KERNEL_NSIG; sig++)
			if (sigs & (1ULL << sig))
				tty_kill_pgrp_locked(tty->pgrp, sig);
	pthread_mutex_unlock(&kernel.lock);
}

static bool sig_ignored_or_blocked(struct task *t, int sig)
{
	return t->tg->sigactions[sig].handler == (uint64_t)(uintptr_t)SIG_IGN ||
	       (t->sigmask & (1ULL << (sig - 1)));
}

/*
 * Linux's __tty_check_change: a background process group touching its
 * controlling terminal gets sig (SIGTTIN for reads, SIGTTOU for writes with
 * TOSTOP and for changes of the terminal's settings) and the call restarts
 * after the stop; an orphaned group gets EIO instead, so does a read when
 * SIGTTIN is ignored or blocked (writes then just go ahead).
 */
int tty_job_check(struct tty *tty, int sig)
{
	struct task *t = task_current();
	int r = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&kernel.lock);
	if (tty->session && t->tg->sid == tty->session && session_valid(tty) && tty->pgrp &&
	    t->tg->pgid != tty->pgrp) {
		if (sig_ignored_or_blocked(t, sig))
			r = sig == SIGTTIN ? -EIO : 0;
		else if (pgrp_will_be_orphaned(t->tg->pgid, NULL))
			r = -EIO;
		else {
			tty_kill_pgrp_locked(t->tg->pgid, sig);
			r = -ERESTARTSYS;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

/* Hang up the session's side: Linux's tty_signal_session_leader. */
static void hangup_session(struct tty *tty)
{
	pthread_mutex_lock(&kernel.lock);
	if (session_valid(tty)) {
		struct thread_group *l = tg_lookup(tty->session);
		if (l) {
			signal_send_tg(l, SIGHUP);
			signal_send_tg(l, SIGCONT);
		}
	}
	tty->session = tty->pgrp = 0;
	pthread_mutex_unlock(&kernel.lock);
}

void tty_session_leader_exit(struct thread_group *tg)
{
	pthread_mutex_lock(&tty_table_lock);
	for (int i = 0; i < tty_high; i++) {
		struct tty *tty = ttys[i];
		if (!tty || tty->session != tg->tgid)
			continue;
		/* disassociate_ctty(1) for a pty: SIGHUP to the foreground group. */
		if (tty->pgrp)
			tty_kill_pgrp_locked(tty->pgrp, SIGHUP);
		tty->session = tty->pgrp = 0;
	}
	pthread_mutex_unlock(&tty_table_lock);
}

/* A session leader without a terminal opening one without O_NOCTTY takes
 * it, if no session has it (tty_open_proc_set_tty). */
static void maybe_set_ctty(struct tty *tty, struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	if (tg->sid == tg->tgid && !session_valid(tty)) {
		struct tty *cur = tty_ctty_locked(tg);
		if (!cur) {
			tty->session = tg->sid;
			tty->pgrp = tg->pgid;
		} else {
			pthread_mutex_unlock(&kernel.lock);
			tty_put(cur);
			return;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
}

/* --- opening and closing --------------------------------------------------- */

int tty_open_master(struct tty *tty, struct file *f)
{
	pthread_mutex_lock(&tty->lock);
	tty->masters++;
	pthread_mutex_unlock(&tty->lock);
	f->ops = &tty_master_fops;
	f->priv = tty;
	return 0;
}

int tty_open_slave(struct tty *tty, struct file *f, struct task *t)
{
	pthread_mutex_lock(&tty->lock);
	if (tty->locked || tty->hungup || tty->masters == 0) {
		pthread_mutex_unlock(&tty->lock);
		tty_put(tty);
		return -EIO;
	}
	if (tty->exclusive && t && !creds_capable(&t->creds, 21 /* CAP_SYS_ADMIN */)) {
		pthread_mutex_unlock(&tty->lock);
		tty_put(tty);
		return -EBUSY;
	}
	tty->slaves++;
	tty->slave_opened = true;
	tty_changed(tty);
	pthread_mutex_unlock(&tty->lock);
	f->ops = &tty_slave_fops;
	f->priv = tty;
	if (t && !(f->flags & O_NOCTTY))
		maybe_set_ctty(tty, t);
	return 0;
}

static void master_release(struct file *f)
{
	struct tty *tty = f->priv;
	bool last;

	pthread_mutex_lock(&tty->lock);
	last = --tty->masters == 0;
	if (last) {
		tty->hungup = true;
		ldisc_flush_input(tty);
		tty->olen = 0;
		tty_changed(tty);
	}
	pthread_mutex_unlock(&tty->lock);
	if (last)
		hangup_session(tty);
	tty_put(tty);
}

static void slave_release(struct file *f)
{
	struct tty *tty = f->priv;

	pthread_mutex_lock(&tty->lock);
	tty->slaves--;
	tty_changed(tty);
	pthread_mutex_unlock(&tty->lock);
	tty_put(tty);
}

/* --- reading and writing ------------------------------------------------------ */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * A slave read: canonical mode returns one line (or EOF), non-canonical
 * mode follows VMIN/VTIME as n_tty_read does: MIN bytes, with TIME (tenths
 * of a second) as the inter-byte timer once data came, or as the whole
 * wait when MIN is 0.
 */
static ssize_t slave_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct tty *tty = f->priv;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	size_t got = 0;
	int64_t deadline = -1;
	ssize_t r;

	(void)pos;
	if ((r = tty_job_check(tty, SIGTTIN)) != 0)
		return r;
	if (n == 0)
		return 0;
	pthread_mutex_lock(&tty->lock);
	for (;;) {
		if (tty->hungup) {
			r = (ssize_t)got;
			break;
		}
		if (tty->termios.c_lflag & ICANON) {
			if (tty->canon_len > 0) {
				r = (ssize_t)ldisc_read(tty, buf, n);
				tty_changed(tty);
				break;
			}
		} else {
			unsigned min = tty->termios.c_cc[VMIN], tm = tty->termios.c_cc[VTIME];
			size_t before = got;
			if (tty->ilen) {
				got += ldisc_read(tty, (unsigned char *)buf + got, n - got);
				tty_changed(tty);
			}
			if (got >= (min ? min : 1) || got == n || (min == 0 && tm == 0)) {
				r = (ssize_t)got;
				break;
			}
			int64_t now = now_ns();
			if (tm && (min == 0 ? deadline < 0 : got > before))
				deadline = now + (int64_t)tm * 100000000LL;
			if (deadline >= 0 && now >= deadline) {
				r = (ssize_t)got;
				break;
			}
		}
		if (nonblock) {
			r = got ? (ssize_t)got : -EAGAIN;
			break;
		}
		if (task_cond_wait(&tty->cond, &tty->lock) < 0) {
			r = got ? (ssize_t)got : -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&tty->lock);
	return r;
}

static ssize_t slave_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct tty *tty = f->priv;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	size_t done = 0;
	ssize_t r;

	(void)pos;
	if (tty->termios.c_lflag & TOSTOP) {
		if ((r = tty_job_check(tty, SIGTTOU)) != 0)
			return r;
	}
	pthread_mutex_lock(&tty->lock);
	for (;;) {
		if (tty->hungup) {
			r = done ? (ssize_t)done : -EIO;
			break;
		}
		if (!tty->stopped && done < n) {
			size_t k = ldisc_output(tty, (const unsigned char *)buf + done, n - done);
			if (k)
				tty_changed(tty);
			done += k;
		}
		if (done == n) {
			r = (ssize_t)done;
			break;
		}
		if (nonblock) {
			r = done ? (ssize_t)done : -EAGAIN;
			break;
		}
		if (task_cond_wait(&tty->cond, &tty->lock) < 0) {
			r = done ? (ssize_t)done : -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&tty->lock);
	return r;
}

/* What the slave's programs wrote; EIO once the slave was opened and every
 * slave file is closed again. */
static ssize_t master_read_locked(struct tty *tty, void *buf, size_t n)
{
	if (tty->olen) {
		size_t k = n < tty->olen ? n : tty->olen;
		memcpy(buf, tty->obuf, k);
		memmove(tty->obuf, tty->obuf + k, tty->olen - k);
		tty->olen -= k;
		tty_changed(tty);
		return (ssize_t)k;
	}
	if (tty->slave_opened && tty->slaves == 0)
		return -EIO;
	return -EAGAIN;
}

/* Input for the slave's programs; signals to send come back in *sigs. */
static ssize_t master_write_locked(struct tty *tty, const void *buf, size_t n, uint64_t *sigs)
{
	size_t k = ldisc_receive(tty, buf, n, sigs);
	if (k || *sigs)
		tty_changed(tty);
	return k ? (ssize_t)k : -EAGAIN;
}

static ssize_t master_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct tty *tty = f->priv;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	ssize_t r;

	(void)pos;
	if (n == 0)
		return 0;
	pthread_mutex_lock(&tty->lock);
	while ((r = master_read_locked(tty, buf, n)) == -EAGAIN && !nonblock)
		if (task_cond_wait(&tty->cond, &tty->lock) < 0) {
			r = -ERESTARTSYS;
			break;
		}
	pthread_mutex_unlock(&tty->lock);
	return r;
}

static ssize_t master_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	struct tty *tty = f->priv;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	size_t done = 0;
	uint64_t sigs = 0;
	ssize_t r = 0;

	(void)pos;
	pthread_mutex_lock(&tty->lock);
	while (done < n) {
		r = master_write_locked(tty, (const char *)buf + done, n - done, &sigs);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (nonblock || sigs)
			break; /* the reader may be the group just signalled */
		if (task_cond_wait(&tty->cond, &tty->lock) < 0) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&tty->lock);
	tty_signal_pgrp(tty, sigs);
	return done ? (ssize_t)done : r;
}

static unsigned master_poll(struct file *f, unsigned events)
{
	struct tty *tty = f->priv;
	unsigned m = 0;

	pthread_mutex_lock(&tty->lock);
	if (tty->olen)
		m |= POLLIN | POLLRDNORM;
	if (tty->ilen < TTY_IBUF - 1)
		m |= POLLOUT | POLLWRNORM;
	if (tty->slave_opened && tty->slaves == 0)
		m |= POLLHUP;
	pthread_mutex_unlock(&tty->lock);
	return m & (events | POLLHUP | POLLERR);
}

static unsigned slave_poll(struct file *f, unsigned events)
{
	struct tty *tty = f->priv;
	unsigned m = 0;

	pthread_mutex_lock(&tty->lock);
	if (tty->hungup) {
		m = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
	} else {
		const struct ktermios *k = &tty->termios;
		if (k->c_lflag & ICANON) {
			if (tty->canon_len)
				m |= POLLIN | POLLRDNORM;
		} else {
			/* n_tty's input_available_p(tty, 1): MIN counts when TIME is 0. */
			size_t amt = (!k->c_cc[VTIME] && k->c_cc[VMIN]) ? k->c_cc[VMIN] : 1;
			if (ldisc_readable(tty) >= amt)
				m |= POLLIN | POLLRDNORM;
		}
		if (!tty->stopped && tty->olen < TTY_OBUF - 16)
			m |= POLLOUT | POLLWRNORM;
	}
	pthread_mutex_unlock(&tty->lock);
	return m & (events | POLLHUP | POLLERR);
}

static struct waitq *tty_file_waitq(struct file *f)
{
	return &((struct tty *)f->priv)->wq;
}

static long master_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	return tty_ioctl(f->priv, true, f, t, cmd, arg);
}

static long slave_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	return tty_ioctl(f->priv, false, f, t, cmd, arg);
}

static int tty_fsync(struct file *f, bool datasync)
{
	(void)f;
	(void)datasync;
	return -EINVAL; /* as Linux for character devices without fsync */
}

const struct file_operations tty_master_fops = {
    .read = master_read,
    .write = master_write,
    .llseek = no_llseek,
    .ioctl = master_ioctl,
    .poll = master_poll,
    .waitq = tty_file_waitq,
    .fsync = tty_fsync,
    .release = master_release,
};

const struct file_operations tty_slave_fops = {
    .read = slave_read,
    .write = slave_write,
    .llseek = no_llseek,
    .ioctl = slave_ioctl,
    .poll = slave_poll,
    .waitq = tty_file_waitq,
    .fsync = tty_fsync,
    .release = slave_release,
};

/* --- the sentry's own access (console bridge) -------------------------------- */

ssize_t tty_master_read_kernel(struct tty *tty, void *buf, size_t n)
{
	pthread_mutex_lock(&tty->lock);
	ssize_t r = master_read_locked(tty, buf, n);
	pthread_mutex_unlock(&tty->lock);
	return r;
}

ssize_t tty_master_write_kernel(struct tty *tty, const void *buf, size_t n)
{
	uint64_t sigs = 0;

	pthread_mutex_lock(&tty->lock);
	ssize_t r = master_write_locked(tty, buf, n, &sigs);
	pthread_mutex_unlock(&tty->lock);
	tty_signal_pgrp(tty, sigs);
	return r == -EAGAIN && sigs ? 0 : r;
}

void tty_set_winsize(struct tty *tty, const struct kwinsize *ws)
{
	bool changed;

	pthread_mutex_lock(&tty->lock);
	changed = memcmp(&tty->ws, ws, sizeof(*ws)) != 0;
	tty->ws = *ws;
	pthread_mutex_unlock(&tty->lock);
	if (changed)
		tty_signal_pgrp(tty, 1ULL << SIGWINCH);
}

struct tty *tty_console_create(const struct ktermios *tio, const struct kwinsize *ws)
{
	int err;
	struct tty *tty = tty_create(0, &err);

	if (!tty)
		return NULL;
	if (tio)
		tty->termios = *tio;
	if (ws)
		tty->ws = *ws;
	tty->locked = false;
	tty->console = true;
	tty->masters = 1; /* the bridge, for the sentry's lifetime */
	/* The first session: init's (or the program's with --pid1), sid 1. */
	tty->session = 1;
	tty->pgrp = 1;
	console = tty;
	return tty;
}

struct tty *tty_console(void)
{
	return console;
}
