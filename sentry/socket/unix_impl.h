/*
 * AF_UNIX sockets, internal to sentry/socket/unix*.c.
 *
 * A unix_sock is one endpoint. Messages (unix_skb) sit in the receiver's
 * queue and are charged (truesize) to the sender's wmem until read, as in
 * Linux, so a writer blocks on its own send buffer (SO_SNDBUF) and a
 * receiver's read wakes the writer. Stream data may be read across message
 * boundaries; datagram and seqpacket reads take one message.
 *
 * A stream/seqpacket connect() makes the server's endpoint at once (the
 * "embryo", without a socket file) and queues it on the listener; accept()
 * gives it a file. Data sent before accept() waits in the embryo.
 *
 * Names: a filesystem name is an S_IFSOCK inode made with mknod; a table
 * keyed by (superblock, inode number) finds the socket bound to it (so hard
 * links, renames and the overlay's per-dentry inodes all lead to it), and
 * the socket holds the path. An abstract name lives in a table keyed by
 * (type, bytes).
 *
 * Locking: one mutex, unix_lock, protects every unix_sock, skb, address and
 * name. Each endpoint has a condition variable for
 * blocked callers (signalled with unix_lock held) and a waitq for
 * poll/epoll, woken under unix_lock (unix_lock -> waitq.lock). File
 * references leaving a queue (closed sockets, dropped SCM_RIGHTS) and bound
 * paths are put after unix_lock is released (their release may re-enter).
 */
#ifndef SENTRY_SOCKET_UNIX_IMPL_H
#define SENTRY_SOCKET_UNIX_IMPL_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kernel/waitq.h"
#include "socket/socket.h"
#include "vfs/vfs_impl.h"

#define UNIX_MAX_DGRAM_QLEN 10    /* net.unix.max_dgram_qlen */
#define UNIX_SKB_OVERHEAD 758     /* truesize beyond the data, as Linux's small skbs */
#define UNIX_STREAM_SKB_MAX 65536 /* largest stream segment queued at once */

struct unix_addr {
	int refs;     /* unix_lock */
	uint32_t len; /* bytes of sa in use, as getsockname reports it */
	unsigned char sa[LINUX_SOCKADDR_MAX];
};

struct unix_skb {
	struct unix_skb *next;
	struct unix_sock *owner;  /* sender, charged truesize; referenced (or NULL) */
	struct unix_addr *from;   /* sender's address, referenced (or NULL) */
	struct unix_sock *embryo; /* accept queue entry: the connection, referenced */
	struct linux_ucred creds; /* sender's */
	struct file **fds;        /* SCM_RIGHTS in flight (referenced) */
	int nfds;
	uint32_t fd_uid;          /* whose in-flight count the fds are charged to */
	size_t len, off, truesize;
	char data[];
};

enum unix_state { US_UNCONNECTED, US_LISTEN, US_CONNECTED };

struct unix_sock {
	int refs;
	int type;               /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	struct socket *sock;    /* NULL for an embryo or after close */
	enum unix_state state;
	bool dead;              /* closed */
	struct unix_sock *peer; /* referenced */
	struct unix_addr *addr; /* bound (or inherited from the listener) */
	struct path path;       /* the filesystem name, referenced (mnt NULL: none) */
	struct superblock *bound_sb; /* with bound_ino: the S_IFSOCK inode named */
	uint64_t bound_ino;
	struct unix_sock *ino_next; /* filesystem name table chain */
	bool in_ino_table;
	struct unix_sock *abs_next; /* abstract name table chain */
	bool in_abs_table;
	struct unix_skb *qhead, *qtail;
	size_t qlen, qbytes;    /* messages, data bytes waiting */
	size_t wmem;            /* truesize of our messages not yet read */
	int shutdown;           /* RCV_SHUTDOWN | SEND_SHUTDOWN */
	int err;                /* pending SO_ERROR (positive errno) */
	int backlog;
	int peek_off;           /* SO_PEEK_OFF, -1: off */
	bool peercred_set;
	struct linux_ucred peercred;
	/* embryos: options the listener had when the connection came */
	int sndbuf_hint;
	/* datagram: the sockets whose peer we are (for POLLOUT wake-ups) */
	struct unix_sock *dg_senders, *dg_next, **dg_pprev;
	/* garbage collection (unix_gc.c) */
	int inflight;           /* times our file sits in a queue */
	struct unix_sock *gc_next, **gc_pprev, *gc_work;
	int gc_refs;
	bool gc_candidate, gc_alive;
	pthread_cond_t cond;
	struct waitq wq;
	/* every endpoint, for /proc/net/unix (unix_proc.c) */
	struct unix_sock *all_next, **all_pprev;
};

/* Files and a path to put once unix_lock is dropped. */
struct unix_deferred {
	struct file **files;
	int n, cap;
	struct path path;
};

extern pthread_mutex_t unix_lock;

/* unix.c */
/* Wake u's blocked callers and pollers; events as waitq_wake (0: any). */
#define UNIX_EV_IN (POLLIN | POLLRDNORM)
#define UNIX_EV_OUT (POLLOUT | POLLWRNORM | POLLWRBAND)
void unix_wake(struct unix_sock *u, unsigned events);
void us_get(struct unix_sock *u);
void us_put(struct unix_sock *u);
void unix_addr_put(struct unix_addr *a);
int unix_sndbuf(struct unix_sock *u);
bool unix_passcred(struct unix_sock *u);
void unix_defer_file(struct unix_deferred *d, struct file *f);
void unix_deferred_run(struct unix_deferred *d);
/* Find the socket named by a sockaddr_un (referenced), for connect and
 * sendto; -ECONNREFUSED, -ENOENT, -EACCES, -EPROTOTYPE... */
int unix_find_other(struct task *t, int type, const void *addr, uint32_t len,
		    struct unix_sock **out);
int unix_autobind(struct unix_sock *u);
/* The caller's credentials as SCM_CREDENTIALS gives them by default. */
void unix_task_creds(struct task *t, struct linux_ucred *c);

/* unix_proc.c: the list of every endpoint, for /proc/net/unix. */
/* A new endpoint (takes unix_lock: call without it). */
void unix_proc_link(struct unix_sock *u);
/* The endpoint is being freed (unix_lock held). */
void unix_proc_unlink_locked(struct unix_sock *u);

/* unix_gc.c */
/* unix_lock held: skb's files enter (dir +1) or leave (-1) a queue. */
void unix_inflight_account(struct unix_skb *skb, int dir);
/* Collect sockets that are only in flight (after a release). */
void unix_gc(void);
/* Linux's too_many_unix_fds: t's user has more files in flight than its
 * RLIMIT_NOFILE (and no CAP_SYS_RESOURCE / CAP_SYS_ADMIN). unix_lock held. */
bool unix_too_many_fds(struct task *t);

/* unix_msg.c */
void unix_skb_free(struct unix_skb *skb, struct unix_deferred *d);
void unix_enqueue(struct unix_sock *to, struct unix_skb *skb);
struct unix_skb *unix_dequeue(struct unix_sock *u);
ssize_t unix_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
ssize_t unix_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
unsigned unix_poll(struct socket *s, unsigned events);
int unix_ioctl(struct socket *s, unsigned cmd, int *out);
bool unix_writable(struct unix_sock *u);

#endif
