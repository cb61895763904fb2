/*
 * The hook between the inet family (netstack/, sentry/socket/inet*.c) and
 * /proc/net/{tcp,tcp6,udp,udp6,sockstat} (sentry/fs/procfs_net.c).
 *
 * procfs owns the text formats (Linux's tcp4_seq_show, tcp6_seq_show,
 * udp4_format_sock, udp6_sock_seq_show, with their padding); the inet
 * family only reports its sockets as struct inet_proc_sock through
 * inet_proc_for_each(). Until the family defines it (the declaration is
 * weak, so the sentry links without it), the files show their header line
 * only and sockstat counts no inet sockets.
 *
 * For the inet family's implementer:
 *   - define inet_proc_for_each() (and optionally inet_proc_counts()) in a
 *     sentry/socket/inet*.c file, with the same prototypes, not weak;
 *   - take your own locks (lwIP's core lock) inside, copy each socket's
 *     fields into a struct inet_proc_sock on the stack and call emit with no
 *     lock of yours held if you can (emit only appends to a buffer and takes
 *     no lock, so calling it under the core lock is safe too);
 *   - stop and return emit's value when it returns non-zero (-ENOMEM,
 *     -EFBIG); return 0 at the end;
 *   - addresses in network byte order as in the sockaddr (127.0.0.1 is
 *     {127,0,0,1}); ports in host order; state is Linux's TCP_* number
 *     (TCP_ESTABLISHED 1 ... TCP_LISTEN 10, TCP_CLOSE 7; a UDP socket is
 *     TCP_CLOSE, or TCP_ESTABLISHED when connected);
 *   - family AF_INET lists IPv4 sockets; AF_INET6 lists IPv6 sockets
 *     (v4-mapped addresses as ::ffff:a.b.c.d, as Linux does for a dual-stack
 *     socket); proto is IPPROTO_TCP or IPPROTO_UDP.
 *
 * Lock order: procfs calls inet_proc_for_each with no lock held (not
 * kernel.lock, not unix_lock); the family's lock is the only one taken.
 */
#ifndef SENTRY_SOCKET_INET_PROC_H
#define SENTRY_SOCKET_INET_PROC_H

#include <stdint.h>

struct inet_proc_sock {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t local_addr[16]; /* first 4 bytes for AF_INET */
	uint8_t remote_addr[16];
	uint16_t local_port, remote_port; /* host order */
	int state;			  /* Linux TCP_* state */
	uint32_t tx_queue;		  /* bytes: unacked (TCP) / send buffer in use (UDP) */
	uint32_t rx_queue;		  /* bytes unread (TCP listen: accept queue length) */
	uint32_t uid;			  /* owner as the sandbox sees it (creator's fsuid) */
	uint64_t inode;			  /* the socket file's inode number, 0: none */
	uint32_t drops;			  /* UDP: datagrams dropped */
	int listen_backlog;		  /* TCP_LISTEN: the backlog; ignored otherwise */
};

/* Called once per socket; returns 0 to go on, or -errno to stop. */
typedef int (*inet_proc_emit_fn)(void *ctx, const struct inet_proc_sock *sk);

/* Every socket of (family, proto), in any stable order. Returns 0 or the
 * first non-zero value emit returned. Weak: NULL until the inet family
 * defines it. */
int inet_proc_for_each(int family, int proto, inet_proc_emit_fn emit, void *ctx)
    __attribute__((weak));

/* For /proc/net/sockstat (optional, weak). */
struct inet_proc_counts {
	int tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc;
	int udp_inuse;
	int raw_inuse;
};
int inet_proc_counts(struct inet_proc_counts *c) __attribute__((weak));

/* For /proc/net/dev (optional, weak): the interface's counters; returns 0,
 * or -ENODEV for an interface the stack does not have. */
struct inet_proc_dev_stats {
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};
int inet_proc_dev_stats(const char *ifname, struct inet_proc_dev_stats *st) __attribute__((weak));

#endif
