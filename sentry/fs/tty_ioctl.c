/*
 * Terminal ioctls (Linux's tty_ioctl, tty_mode_ioctl, n_tty_ioctl and the
 * pty driver's): termios, window size, controlling terminal and job
 * control, queues and flow, devpts (TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER).
 * Structures are copied through the sentry; application pointers are only
 * used with copy_{from,to}_user.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "fs/tty.h"
#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"
#include "kernel/task.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"
#include "vfs/vfs_impl.h"

/* Numbers of the requests whose macros need the kernel's struct termios2
 * (which clashes with glibc's <termios.h>). */
#define K_TCGETS2 0x802c542aU
#define K_TCSETS2 0x402c542bU
#define K_TCSETSW2 0x402c542cU
#define K_TCSETSF2 0x402c542dU
#define K_TIOCGPTN 0x80045430U
#define K_TIOCSPTLCK 0x40045431U
#define K_TIOCGDEV 0x80045432U
#define K_TIOCGPKT 0x80045438U
#define K_TIOCGPTLCK 0x80045439U
#define K_TIOCGEXCL 0x80045440U
#define K_TIOCGPTPEER 0x5441U
#define K_BOTHER 0x1000U
#define K_IBSHIFT 16

/* The speed of a CBAUD value (tty_termios_baud_rate's table). */
static uint32_t baud_of(uint32_t cbaud)
{
	static const uint32_t lo[16] = {0,   50,   75,	 110,  134,  150,  200,	  300,
					600, 1200, 1800, 2400, 4800, 9600, 19200, 38400};
	static const uint32_t hi[16] = {0,	 57600,	  115200,  230400,  460800,  500000,
					576000,	 921600,  1000000, 1152000, 1500000, 2000000,
					2500000, 3000000, 3500000, 4000000};
	return (cbaud & CBAUDEX) ? hi[cbaud & 0xf] : lo[cbaud & 0xf];
}

/* TCSETS (no speed fields): speeds follow the CBAUD/CIBAUD bits. */
static void set_speeds_v1(struct ktermios *k)
{
	uint32_t ob = k->c_cflag & CBAUD, ib = (k->c_cflag >> K_IBSHIFT) & CBAUD;
	if (ob != K_BOTHER)
		k->c_ospeed = baud_of(ob);
	if (ib != K_BOTHER)
		k->c_ispeed = ib ? baud_of(ib) : k->c_ospeed;
}

/* The calling task's controlling terminal is tty. */
static bool is_ctty(struct tty *tty, struct task *t)
{
	bool r;
	pthread_mutex_lock(&kernel.lock);
	struct tty *c = tty_ctty_locked(t->tg);
	r = c == tty;
	pthread_mutex_unlock(&kernel.lock);
	if (c)
		tty_put(c);
	return r;
}

static long set_termios(struct tty *tty, bool master, struct task *t, unsigned cmd, uint64_t arg)
{
	bool v2 = cmd == K_TCSETS2 || cmd == K_TCSETSW2 || cmd == K_TCSETSF2;
	struct ktermios k, old;
	long r;

	if (!master && (r = tty_job_check(tty, SIGTTOU)) != 0)
		return r;
	pthread_mutex_lock(&tty->lock);
	k = tty->termios;
	pthread_mutex_unlock(&tty->lock);
	if (copy_from_user(t, &k, arg, v2 ? KTERMIOS_V2_SIZE : KTERMIOS_V1_SIZE))
		return -EFAULT;
	if (!v2)
		set_speeds_v1(&k);
	pthread_mutex_lock(&tty->lock);
	old = tty->termios;
	tty->termios = k;
	if (cmd == TCSETSF || cmd == K_TCSETSF2)
		ldisc_flush_input(tty);
	ldisc_termios_changed(tty, &old);
	tty_changed(tty);
	pthread_mutex_unlock(&tty->lock);
	return 0;
}

static long get_int(struct task *t, uint64_t arg, int *v)
{
	return copy_from_user(t, v, arg, sizeof(*v)) ? -EFAULT : 0;
}

static long put_int(struct task *t, uint64_t arg, int v)
{
	return copy_to_user(t, arg, &v, sizeof(v)) ? -EFAULT : 0;
}

struct pg_find {
	int pgid;
	int sid; /* of the first member found, or 0 */
};

static int pg_find_one(struct thread_group *tg, void *arg)
{
	struct pg_find *p = arg;
	if (tg->pgid == p->pgid && !tg->zombie) {
		p->sid = tg->sid;
		return 1;
	}
	return 0;
}

/* tiocspgrp: only the controlling terminal's session may choose one of its
 * own process groups. */
static long set_pgrp(struct tty *tty, bool master, struct task *t, uint64_t arg)
{
	int pgrp;
	long r;

	if (!master && (r = tty_job_check(tty, SIGTTOU)) != 0)
		return r;
	if (get_int(t, arg, &pgrp))
		return -EFAULT;
	pthread_mutex_lock(&kernel.lock);
	struct tty *c = tty_ctty_locked(t->tg);
	if (c != tty || tty->session != t->tg->sid) {
		r = -ENOTTY;
	} else if (pgrp < 0) {
		r = -EINVAL;
	} else {
		struct pg_find p = {.pgid = pgrp};
		kernel_for_each_tg(pg_find_one, &p);
		if (!p.sid)
			r = -ESRCH;
		else if (p.sid != tty->session)
			r = -EPERM;
		else {
			tty->pgrp = pgrp;
			r = 0;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	if (c)
		tty_put(c);
	return r;
}

/* tiocsctty: a session leader without a terminal takes this one; arg 1
 * with CAP_SYS_ADMIN steals it from another session. */
static long set_ctty(struct tty *tty, struct file *f, struct task *t, uint64_t arg)
{
	struct thread_group *tg = t->tg;
	long r = 0;

	pthread_mutex_lock(&kernel.lock);
	struct tty *c = tty_ctty_locked(tg);
	if (tg->sid == tg->tgid && c == tty) {
		r = 0; /* already ours */
	} else if (tg->sid != tg->tgid || c) {
		r = -EPERM;
	} else if (tty->session && tty->session != tg->sid && tg_lookup(tty->session) &&
		   !tg_lookup(tty->session)->zombie &&
		   !(arg == 1 && creds_capable(&t->creds, 21 /* CAP_SYS_ADMIN */))) {
		r = -EPERM;
	} else if ((file_flags(f) & O_ACCMODE) == O_WRONLY && !creds_capable(&t->creds, 21)) {
		r = -EPERM;
	} else {
		tty->session = tg->sid;
		tty->pgrp = tg->pgid;
	}
	pthread_mutex_unlock(&kernel.lock);
	if (c)
		tty_put(c);
	return r;
}

/* tiocnotty: the session leader gives the terminal up (SIGHUP and SIGCONT
 * to the foreground group, as disassociate_ctty(0)). Another member leaving
 * alone is not tracked per process here: its session keeps the terminal. */
static long drop_ctty(struct tty *tty, struct task *t)
{
	struct thread_group *tg = t->tg;
	long r = 0;

	pthread_mutex_lock(&kernel.lock);
	struct tty *c = tty_ctty_locked(tg);
	if (c != tty) {
		r = -ENOTTY;
	} else if (tg->sid == tg->tgid) {
		int pgrp = tty->pgrp;
		tty->session = tty->pgrp = 0;
		if (pgrp) {
			tty_kill_pgrp_locked(pgrp, SIGHUP);
			tty_kill_pgrp_locked(pgrp, SIGCONT);
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	if (c)
		tty_put(c);
	return r;
}

/* Queue flushes; queue = TCIFLUSH means the side's own input. */
static long flush(struct tty *tty, bool master, int queue)
{
	bool in, out;

	if (queue != TCIFLUSH && queue != TCOFLUSH && queue != TCIOFLUSH)
		return -EINVAL;
	in = queue != TCOFLUSH;
	out = queue != TCIFLUSH;
	if (master) { /* the master's input is the slave's output */
		bool x = in;
		in = out;
		out = x;
	}
	pthread_mutex_lock(&tty->lock);
	if (in)
		ldisc_flush_input(tty);
	if (out)
		tty->olen = 0;
	tty_changed(tty);
	pthread_mutex_unlock(&tty->lock);
	return 0;
}

static long flow(struct tty *tty, int action)
{
	long r = 0;

	pthread_mutex_lock(&tty->lock);
	switch (action) {
	case TCOOFF:
		tty->stopped = true;
		break;
	case TCOON:
		tty->stopped = false;
		break;
	case TCIOFF:
	case TCION: {
		/* Transmit STOP/START: the other side reads it. */
		uint8_t c = tty->termios.c_cc[action == TCIOFF ? VSTOP : VSTART];
		if (c && tty->olen < TTY_OBUF)
			tty->obuf[tty->olen++] = c;
		break;
	}
	default:
		r = -EINVAL;
	}
	tty_changed(tty);
	pthread_mutex_unlock(&tty->lock);
	return r;
}

static long open_peer(struct tty *tty, struct task *t, uint64_t arg)
{
	int flags = (int)arg;
	struct file *nf;

	if (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	int r = devpts_open_slave(tty, flags, &nf);
	if (r < 0)
		return r;
	r = fd_install(t->fdt, nf, (flags & O_CLOEXEC) != 0, 0);
	file_put(nf);
	return r;
}

/*
 * tiocsti: push one byte into the terminal's input as if it was typed
 * (Linux with legacy TIOCSTI on, as 6.1 and dev.tty.legacy_tiocsti=1): a
 * process may do it on its controlling terminal, CAP_SYS_ADMIN on any. On
 * the master it is input to the master's side: what the master reads.
 */
static long tiocsti(struct tty *tty, bool master, struct task *t, uint64_t arg)
{
	unsigned char ch;

	pthread_mutex_lock(&kernel.lock);
	struct tty *c = tty_ctty_locked(t->tg);
	pthread_mutex_unlock(&kernel.lock);
	bool own = c == tty && !master;
	if (c)
		tty_put(c);
	if (!own && !creds_capable(&t->creds, 21 /* CAP_SYS_ADMIN */))
		return -EPERM;
	if (copy_from_user(t, &ch, arg, 1))
		return -EFAULT;
	if (!master) {
		tty_master_write_kernel(tty, &ch, 1);
		return 0;
	}
	pthread_mutex_lock(&tty->lock);
	if (tty->olen < TTY_OBUF) {
		tty->obuf[tty->olen++] = ch;
		tty_changed(tty);
	}
	pthread_mutex_unlock(&tty->lock);
	return 0;
}

long tty_ioctl(struct tty *tty, bool master, struct file *f, struct task *t, unsigned cmd,
	       uint64_t arg)
{
	struct ktermios k;
	struct kwinsize ws;
	int v;
	long r;

	if (!master) {
		pthread_mutex_lock(&tty->lock);
		bool hup = tty->hungup;
		pthread_mutex_unlock(&tty->lock);
		if (hup) /* hung_up_tty_ioctl */
			return cmd == TIOCSPGRP ? -ENOTTY : -EIO;
	}
	switch (cmd) {
	case TCGETS:
	case K_TCGETS2:
		pthread_mutex_lock(&tty->lock);
		k = tty->termios;
		pthread_mutex_unlock(&tty->lock);
		return copy_to_user(t, arg, &k, cmd == TCGETS ? KTERMIOS_V1_SIZE : KTERMIOS_V2_SIZE)
			   ? -EFAULT
			   : 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case K_TCSETS2:
	case K_TCSETSW2:
	case K_TCSETSF2:
		/* A pty has no transmitter to drain: the W/F forms wait for nothing. */
		return set_termios(tty, master, t, cmd, arg);
	case TIOCGWINSZ:
		pthread_mutex_lock(&tty->lock);
		ws = tty->ws;
		pthread_mutex_unlock(&tty->lock);
		return copy_to_user(t, arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	case TIOCSWINSZ:
		if (copy_from_user(t, &ws, arg, sizeof(ws)))
			return -EFAULT;
		tty_set_winsize(tty, &ws);
		return 0;
	case TIOCGPGRP:
		if (!master && !is_ctty(tty, t))
			return -ENOTTY;
		pthread_mutex_lock(&kernel.lock);
		v = tty->pgrp;
		pthread_mutex_unlock(&kernel.lock);
		return put_int(t, arg, v);
	case TIOCSPGRP:
		return set_pgrp(tty, master, t, arg);
	case TIOCGSID:
		if (!master && !is_ctty(tty, t))
			return -ENOTTY;
		pthread_mutex_lock(&kernel.lock);
		v = tty->session;
		pthread_mutex_unlock(&kernel.lock);
		return v ? put_int(t, arg, v) : -ENOTTY;
	case TIOCSCTTY:
		return set_ctty(tty, f, t, arg);
	case TIOCNOTTY:
		return drop_ctty(tty, t);
	case FIONREAD:
		pthread_mutex_lock(&tty->lock);
		v = (int)(master ? tty->olen : ldisc_readable(tty));
		pthread_mutex_unlock(&tty->lock);
		return put_int(t, arg, v);
	case TIOCOUTQ:
		return put_int(t, arg, 0); /* a pty keeps no transmit queue */
	case TCFLSH:
		if (!master && (r = tty_job_check(tty, SIGTTOU)) != 0)
			return r;
		return flush(tty, master, (int)arg);
	case TCXONC:
		if (!master && (r = tty_job_check(tty, SIGTTOU)) != 0)
			return r;
		return flow(tty, (int)arg);
	case TCSBRK:
	case TCSBRKP:
	case TIOCSBRK:
	case TIOCCBRK:
		return 0; /* no line to break; tcdrain has nothing to wait for */
	case TIOCEXCL:
	case TIOCNXCL:
		pthread_mutex_lock(&tty->lock);
		tty->exclusive = cmd == TIOCEXCL;
		pthread_mutex_unlock(&tty->lock);
		return 0;
	case K_TIOCGEXCL:
		return put_int(t, arg, tty->exclusive);
	case TIOCGETD:
		return put_int(t, arg, 0); /* N_TTY */
	case TIOCSETD:
		if (get_int(t, arg, &v))
			return -EFAULT;
		return v == 0 ? 0 : -EINVAL;
	case K_TIOCGDEV:
		if (master)
			return put_int(t, arg, (5 << 20) | 2);
		return put_int(t, arg, ((136 + tty->index / 256) << 20) | (tty->index % 256));
	case TIOCSTI:
		return tiocsti(tty, master, t, arg);
	case TIOCPKT:
	case K_TIOCGPKT:
		return -EINVAL; /* packet mode is not implemented */
	}
	if (!master)
		return -ENOTTY;
	switch (cmd) {
	case K_TIOCGPTN:
		return put_int(t, arg, tty->index);
	case K_TIOCSPTLCK:
		if (get_int(t, arg, &v))
			return -EFAULT;
		pthread_mutex_lock(&tty->lock);
		tty->locked = v != 0;
		pthread_mutex_unlock(&tty->lock);
		return 0;
	case K_TIOCGPTLCK:
		return put_int(t, arg, tty->locked);
	case K_TIOCGPTPEER:
		return open_peer(tty, t, arg);
	}
	return -ENOTTY;
}
