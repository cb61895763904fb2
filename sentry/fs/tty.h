/*
 * Terminals: pseudo-terminal pairs with Linux's n_tty line discipline,
 * served by the sentry (devpts, /dev/ptmx, /dev/tty, the `sentry run`
 * console bridge).
 *
 * A struct tty is one pty pair. The master side reads what the slave's
 * programs wrote (after output processing, OPOST) and writes what they will
 * read (after input processing: ICRNL, signals, canonical line editing,
 * echo). Both sides share one termios and one window size, as Linux's pty
 * driver does for the ioctls a program makes on either side.
 *
 * Controlling terminals: a tty records the session that owns it and the
 * session's foreground process group (tty->session, tty->pgrp, both under
 * kernel.lock, 0 = none). The controlling terminal of a process is the tty
 * whose session is the process's session while that session's leader is
 * alive (so setsid() drops it and the leader's exit ends it).
 *
 * Lock order: kernel.lock -> tty_table_lock -> tty->lock -> waitq locks.
 * Signals are sent after tty->lock is dropped (kernel.lock comes first).
 */
#ifndef SENTRY_FS_TTY_H
#define SENTRY_FS_TTY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/waitq.h"

struct task;
struct file;
struct thread_group;
struct dentry;

/* struct termios2 as the kernel's ioctls see it (TCGETS copies the first
 * KTERMIOS_V1_SIZE bytes: no speeds). */
#define KNCCS 19
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[KNCCS];
	uint32_t c_ispeed, c_ospeed;
};
#define KTERMIOS_V1_SIZE 36
#define KTERMIOS_V2_SIZE 44

struct kwinsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

#define TTY_IBUF 4096 /* N_TTY_BUF_SIZE: what the slave's reader can queue */
#define TTY_OBUF 8192 /* what the master's reader can queue */
#define TTY_MAX 4096  /* devpts indices */

/* ibuf byte flags */
#define TTYF_EOL 0x1 /* a read in canonical mode stops after this byte */
#define TTYF_EOF 0x2 /* an EOF marker: ends a line, never copied out */

struct tty {
	int refs;		 /* tty_table_lock */
	int index;		 /* /dev/pts/N */
	uint32_t uid, gid, mode; /* of /dev/pts/N (tty_table_lock) */
	bool console;		 /* the `sentry run` bridge's pair: its master is the sentry */

	pthread_mutex_t lock; /* everything below but session/pgrp */
	pthread_cond_t cond;  /* broadcast on every change */
	struct waitq wq;      /* woken on every change (poll/epoll of both sides) */
	struct ktermios termios;
	struct kwinsize ws;
	unsigned char ibuf[TTY_IBUF];
	unsigned char iflags[TTY_IBUF];
	size_t ilen;	  /* bytes queued for the slave's reader */
	size_t canon_len; /* canonical mode: bytes up to the last line end */
	unsigned char obuf[TTY_OBUF];
	size_t olen;	       /* bytes queued for the master's reader */
	unsigned column;       /* output column (tabs, erase) */
	unsigned canon_column; /* column where the line being edited started */
	bool lnext;	       /* the next input byte is literal (VLNEXT) */
	bool stopped;	       /* output stopped (IXON ^S, TCOOFF) */
	bool locked;	       /* TIOCSPTLCK: the slave cannot be opened */
	bool exclusive;	       /* TIOCEXCL */
	bool hungup;	       /* the master closed: slave files are hung up */
	int masters, slaves;   /* open file descriptions of each side */
	bool slave_opened;     /* once: afterwards no slave means EIO/POLLHUP for the master */

	int session, pgrp; /* kernel.lock */
};

extern pthread_mutex_t tty_table_lock;

/* New pty pair with the default termios, the lowest free index, owner uid,
 * locked (as opening /dev/ptmx leaves it); refs 1. NULL: -ENOSPC/-ENOMEM in *err. */
struct tty *tty_create(uint32_t uid, int *err);
/* The tty of index with a new reference, or NULL. */
struct tty *tty_lookup(int index);
void tty_get(struct tty *tty);
void tty_put(struct tty *tty);
/* Calls fn for each index whose master is open (for /dev/pts listings). */
void tty_for_each(void (*fn)(struct tty *tty, void *arg), void *arg);

/* File descriptions: priv is a referenced struct tty. */
extern const struct file_operations tty_master_fops;
extern const struct file_operations tty_slave_fops;
/* Turn f into a master/slave file of tty (takes the caller's reference).
 * Slave opens fail with -EIO when the pair is locked or hung up; without
 * O_NOCTTY a session leader without a terminal acquires this one. */
int tty_open_master(struct tty *tty, struct file *f);
int tty_open_slave(struct tty *tty, struct file *f, struct task *t);

/* Controlling terminal of tg with a new reference, or NULL (kernel.lock held). */
struct tty *tty_ctty_locked(struct thread_group *tg);
/* tty_nr of /proc/PID/stat: the controlling terminal's device number
 * encoded as Linux's new_encode_dev, 0 without one (kernel.lock held). */
uint32_t tty_nr_locked(struct thread_group *tg);
/* The session leader tg is exiting: SIGHUP+SIGCONT to the foreground group,
 * and its session loses the terminal (kernel.lock held). */
void tty_session_leader_exit(struct thread_group *tg);

/* ioctls (tty_ioctl.c) */
long tty_ioctl(struct tty *tty, bool master, struct file *f, struct task *t, unsigned cmd,
	       uint64_t arg);

/* The line discipline (tty_ldisc.c), tty->lock held. */
void ldisc_default_termios(struct ktermios *k);
/* Feed input bytes (from the master); stops when the queue is full.
 * Returns bytes consumed; *sigs gets the bits (1 << sig) to send to the
 * foreground group once tty->lock is dropped. */
size_t ldisc_receive(struct tty *tty, const unsigned char *buf, size_t n, uint64_t *sigs);
/* Output processing of bytes the slave writes; returns bytes consumed
 * (stops when obuf is full). */
size_t ldisc_output(struct tty *tty, const unsigned char *buf, size_t n);
/* termios changed from old: canonical mode switches, stopped output... */
void ldisc_termios_changed(struct tty *tty, const struct ktermios *old);
/* Bytes a read could take now (canonical: complete lines). */
size_t ldisc_readable(struct tty *tty);
/* Copy out what a read may take (canonical: one line); consumes it. */
size_t ldisc_read(struct tty *tty, unsigned char *buf, size_t n);
void ldisc_flush_input(struct tty *tty);
/* Wake readers, writers and pollers of both sides (tty->lock held). */
void tty_changed(struct tty *tty);

/* Job control for the calling task on tty (SIGTTIN for reads, SIGTTOU):
 * 0 to go on, -EIO, or -ERESTARTSYS after signalling its group. */
int tty_job_check(struct tty *tty, int sig);

/* Send sig to every process of group pgid (kernel.lock held). */
void tty_kill_pgrp_locked(int pgid, int sig);

/* Send signals to tty's foreground process group (kernel.lock NOT held). */
void tty_signal_pgrp(struct tty *tty, uint64_t sigs);

/* The sentry's own access to a master (the console bridge): never block. */
ssize_t tty_master_read_kernel(struct tty *tty, void *buf, size_t n); /* -EAGAIN, -EIO */
ssize_t tty_master_write_kernel(struct tty *tty, const void *buf, size_t n);
void tty_set_winsize(struct tty *tty, const struct kwinsize *ws);

/* The console: a pty pair whose master the `sentry run` bridge serves. Its
 * slave becomes the program's stdio and the controlling terminal of the
 * first session (sid 1, foreground group 1). */
struct tty *tty_console_create(const struct ktermios *tio, const struct kwinsize *ws);
/* The console, if there is one (no reference; lives until the sentry exits). */
struct tty *tty_console(void);

/* devpts.c */
int devpts_mount(void);
/* Open /dev/pts/N of tty through the sandbox's devpts mount (flags as
 * open(2); O_NOCTTY is added). */
int devpts_open_slave(struct tty *tty, int flags, struct file **out);
/* inode_operations.open of /dev/ptmx and /dev/tty (for devfs). */
int devpts_ptmx_open(struct dentry *d, struct file *f);
int devpts_tty_open(struct dentry *d, struct file *f);

#endif
