/* Helpers shared by the socket syscall handlers (sys_socket.c,
 * sys_socket_msg.c). */
#ifndef SENTRY_SYSCALLS_SYS_SOCKET_H
#define SENTRY_SYSCALLS_SYS_SOCKET_H

#include <stdbool.h>
#include <stdint.h>

#include "socket/socket.h"
#include "syscalls/syscalls.h"

/* The socket at fd (its file referenced in *fp), or NULL with *err set to
 * -EBADF or -ENOTSOCK. */
struct socket *sys_sockfd(struct task *t, int fd, struct file **fp, int *err);
/* Copy a sockaddr of len bytes into buf (LINUX_SOCKADDR_MAX bytes, zeroed
 * beyond len): -EINVAL for a bad length, -EFAULT. */
int sys_sockaddr_in(struct task *t, uint64_t uaddr, int64_t len, void *buf);
/* Linux's move_addr_to_user: *ulenp is the room, gets klen. */
int sys_sockaddr_out(struct task *t, const void *addr, int klen, uint64_t uaddr,
		     uint64_t ulenp);

/* readv/writev on a socket file: one message from/to the iovecs at uiov
 * (so a datagram is neither split nor merged). For sys_file.c's
 * do_rw_vec: if (file_is_socket(f)) return sys_sock_rw_iov(...). */
struct file;
/* read/write on a socket file in one call (do_read/do_write's 64 KiB loop
 * would block on a stream socket after a full chunk, and split datagrams):
 * if (file_is_socket(f)) return sys_sock_rw(...). */
long sys_sock_rw(struct task *t, struct file *f, uint64_t ubuf, size_t count, bool write);
long sys_sock_rw_iov(struct task *t, struct file *f, uint64_t uiov, int cnt, bool write);

#endif
