/*
 * The socket layer: a socket is an anonymous file (S_IFSOCK, "socket:[ino]"
 * in /proc/PID/fd) whose priv is a struct socket. Each address family plugs
 * in a const struct proto_ops from the family table in socket.c; the
 * generic layer owns the file, the SOL_SOCKET options every family shares
 * (buffer sizes, timeouts, SO_PASSCRED...), blocking/timeout/signal rules,
 * and the translation of control messages into struct sock_msg, so a family
 * sees only sentry buffers and file references.
 *
 * Family table (socket.c, sock_families[]):
 *   AF_UNIX     sentry/socket/unix.c: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
 *   AF_INET/6   sentry/socket/inet*.c on lwIP (netstack/): SOCK_STREAM, SOCK_DGRAM,
 *               ICMP ping sockets and SOCK_RAW ICMP (inet_icmp.c)
 *   AF_NETLINK  sentry/socket/netlink.c: NETLINK_ROUTE (SOCK_RAW, SOCK_DGRAM)
 *   others      EAFNOSUPPORT
 *
 * Lock order: a family's own locks (unix_lock; inet: the lwIP core lock ->
 * inet_lock) -> waitq.lock (waking
 * pollers) -> kernel.lock is never taken under a family lock (SIGPIPE is
 * sent by the syscall layer after the family returns). Application memory
 * is never touched under a family lock: data and control are bounced
 * through sentry buffers by sys_socket.c.
 */
#ifndef SENTRY_SOCKET_SOCKET_H
#define SENTRY_SOCKET_SOCKET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socket/socket_abi.h"

struct file;
struct task;
struct waitq;
struct socket;

/* One message between the generic layer and a family, all in sentry memory.
 *
 * send: addr/addrlen the destination (addrlen 0: the connected peer); data
 *   and len the bytes; fds/nfds files to pass (SCM_RIGHTS, referenced: the
 *   family takes them by setting nfds = 0, else the caller puts them);
 *   creds set when the sender gave SCM_CREDENTIALS (already validated).
 * recv: addr a LINUX_SOCKADDR_MAX buffer, addrlen set to the source
 *   address length (0: none); data/len the buffer; the family sets len_full
 *   (the message's real length, > the copied length when truncated), fds
 *   (malloc'd array of referenced files; the caller installs and frees),
 *   creds/has_creds (the sender's, for SO_PASSCRED), and flags_out
 *   (LINUX_MSG_TRUNC, LINUX_MSG_EOR...).
 */
struct sock_msg {
	void *addr;
	uint32_t addrlen;
	char *data;
	size_t len;
	size_t len_full;
	struct file **fds;
	int nfds;
	bool has_creds;
	struct linux_ucred creds;
	int flags_out;
	/* send: the family asks for SIGPIPE with its -EPIPE (unless MSG_NOSIGNAL). */
	bool sigpipe;
	/* Other control messages (levels a family understands), raw. */
	const void *control;
	size_t controllen;
};

/*
 * A family's operations. The socket arguments carry s->type, s->protocol
 * and s->sk (the family's state). Return -errno on failure. Blocking ops
 * wait through sock_wait() with the deadline sock_deadline() gives.
 */
struct proto_ops {
	int family;
	/* Set up s->sk for s->type / s->protocol (EPROTONOSUPPORT,
	 * ESOCKTNOSUPPORT for a type the family lacks). */
	int (*create)(struct socket *s);
	/* Connect two fresh sockets (EOPNOTSUPP if the family has no pairs). */
	int (*socketpair)(struct socket *a, struct socket *b);
	/* The last file reference is gone: free s->sk (may be NULL). */
	void (*release)(struct socket *s);
	int (*bind)(struct socket *s, struct task *t, const void *addr, uint32_t len);
	int (*connect)(struct socket *s, struct task *t, const void *addr, uint32_t len,
		       bool nonblock);
	int (*listen)(struct socket *s, struct task *t, int backlog);
	/* Take a connection from s into ns (a fresh socket of the same family,
	 * type and protocol whose file exists). */
	int (*accept)(struct socket *s, struct socket *ns, bool nonblock);
	/* Own (peer false) or peer address into addr (LINUX_SOCKADDR_MAX bytes);
	 * returns its length or -errno (ENOTCONN). */
	int (*getname)(struct socket *s, void *addr, bool peer);
	/* Bytes sent, or -errno. flags: LINUX_MSG_*; nonblock already folded in
	 * as LINUX_MSG_DONTWAIT. */
	ssize_t (*sendmsg)(struct socket *s, struct task *t, struct sock_msg *m, int flags);
	ssize_t (*recvmsg)(struct socket *s, struct task *t, struct sock_msg *m, int flags);
	int (*shutdown)(struct socket *s, int how);
	unsigned (*poll)(struct socket *s, unsigned events);
	struct waitq *(*waitq)(struct socket *s);
	/* Options the family owns (any level, including SOL_SOCKET ones like
	 * SO_PEERCRED, SO_ERROR, SO_ACCEPTCONN). -ENOPROTOOPT: not the
	 * family's (the generic layer then handles SOL_SOCKET). *len in/out. */
	int (*getsockopt)(struct socket *s, int level, int name, void *val, uint32_t *len);
	int (*setsockopt)(struct socket *s, int level, int name, const void *val, uint32_t len);
	/* Optional: a generic SOL_SOCKET option was set (SO_SNDBUF: blocked
	 * writers may go on). */
	void (*sockopt_changed)(struct socket *s, int name);
	/* Family ioctls (SIOCINQ, SIOCOUTQ...): value in *out; -ENOTTY if unknown. */
	int (*ioctl)(struct socket *s, unsigned cmd, int *out);
	/* Stream-like: send/recv may split and coalesce data. */
	bool (*is_stream)(struct socket *s);
};

#define SOCK_TIMEO_NONE INT64_MAX

struct socket {
	int family, type, protocol;
	const struct proto_ops *ops;
	struct file *file; /* the file this socket is (no reference) */
	void *sk;          /* the family's */
	/* SOL_SOCKET options shared by every family. */
	atomic_int sndbuf, rcvbuf;
	atomic_llong rcvtimeo_ns, sndtimeo_ns; /* SOCK_TIMEO_NONE: block forever */
	atomic_bool passcred, reuseaddr, reuseport, keepalive, broadcast, dontroute, oobinline;
	atomic_int priority, rcvlowat, mark;
	atomic_int linger_onoff, linger_secs;
};

/* The family's operations (from the static table in socket.c), or NULL. */
const struct proto_ops *sock_family_ops(int family);

/* Create a socket and its file (flags: O_NONBLOCK). Returns a referenced
 * file or an error pointer. */
struct file *sock_create_file(int family, int type, int protocol, int flags);
/* The socket of a file, or NULL if it is not a socket. */
struct socket *sock_from_file(struct file *f);
bool file_is_socket(struct file *f);

/* Deadline (CLOCK_MONOTONIC ns) for a blocking op with timeout timeo_ns
 * (SOCK_TIMEO_NONE: -1, none). */
int64_t sock_deadline(int64_t timeo_ns);
/* One slice of a socket wait on cond (mutex held): 0 to re-check,
 * -EAGAIN when the deadline passed, and for a signal -ERESTARTSYS without a
 * deadline, -EINTR with one (Linux's sock_intr_errno: timed socket waits
 * are not restarted). */
int sock_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline);

/* Generic send/recv on a socket file with sentry buffers (read/write/
 * sendmsg); flags LINUX_MSG_*; the file's O_NONBLOCK is folded in. */
ssize_t sock_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
ssize_t sock_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
/* The SOL_SOCKET options every family shares (after the family declined). */
int sock_getsockopt_generic(struct socket *s, int level, int name, void *val, uint32_t *len);
int sock_setsockopt_generic(struct socket *s, struct task *t, int level, int name,
			    const void *val, uint32_t len);

/* The family implementations. */
extern const struct proto_ops unix_proto_ops;
extern const struct proto_ops netlink_proto_ops; /* netlink.c: NETLINK_ROUTE */
extern const struct proto_ops inet_proto_ops;    /* inet*.c: TCP and UDP on lwIP */
extern const struct proto_ops inet6_proto_ops;

/* Network device ioctls any socket answers when its family does not
 * (SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFCONF...; netlink_dev.c);
 * -ENOTTY for other commands. */
long sock_dev_ioctl(struct task *t, unsigned cmd, uint64_t arg);
/* SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFDSTADDR of an AF_INET socket. */
long sock_inet_addr_ioctl(struct task *t, unsigned cmd, uint64_t arg);

#endif
