/*
 * /proc/net/unix's view of the sandbox's AF_UNIX endpoints (unix_proc.c),
 * for sentry/fs/procfs_net.c. A snapshot is copied under unix_lock and
 * formatted without it.
 */
#ifndef SENTRY_SOCKET_UNIX_PROC_H
#define SENTRY_SOCKET_UNIX_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "socket/socket_abi.h"

struct unix_proc_entry {
	uint32_t refcount; /* Linux's sk_refcnt, approximated */
	uint32_t flags;	   /* __SO_ACCEPTCON (1 << 16) when listening */
	uint16_t type;	   /* SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
	uint8_t state;	   /* SS_UNCONNECTED 1, SS_CONNECTING 2, SS_CONNECTED 3 */
	uint64_t inode;	   /* the socket file's inode, 0 for an unaccepted connection */
	uint32_t addr_len; /* bytes of addr in use (0: unbound), as getsockname */
	unsigned char addr[LINUX_SOCKADDR_MAX];
};

/* Every live endpoint (malloc'd array in *out, count in *n; free it).
 * Takes unix_lock. Returns 0 or -ENOMEM. */
int unix_proc_snapshot(struct unix_proc_entry **out, size_t *n);

#endif
