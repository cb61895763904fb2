/*
 * Guest ABI (x86_64 Linux) of the socket calls: constants and structures as
 * the application sees them, independent of the host's headers.
 */
#ifndef SENTRY_SOCKET_SOCKET_ABI_H
#define SENTRY_SOCKET_SOCKET_ABI_H

#include <stdint.h>

/* Address families. */
#define LINUX_AF_UNSPEC 0
#define LINUX_AF_UNIX 1
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10
#define LINUX_AF_NETLINK 16
#define LINUX_AF_PACKET 17
#define LINUX_AF_MAX 46

/* Socket types and socket()/accept4() flags. */
#define LINUX_SOCK_STREAM 1
#define LINUX_SOCK_DGRAM 2
#define LINUX_SOCK_RAW 3
#define LINUX_SOCK_RDM 4
#define LINUX_SOCK_SEQPACKET 5
#define LINUX_SOCK_TYPE_MASK 0xf
#define LINUX_SOCK_NONBLOCK 04000   /* O_NONBLOCK */
#define LINUX_SOCK_CLOEXEC 02000000 /* O_CLOEXEC */

/* send/recv flags. */
#define LINUX_MSG_OOB 0x1
#define LINUX_MSG_PEEK 0x2
#define LINUX_MSG_DONTROUTE 0x4
#define LINUX_MSG_CTRUNC 0x8
#define LINUX_MSG_TRUNC 0x20
#define LINUX_MSG_DONTWAIT 0x40
#define LINUX_MSG_EOR 0x80
#define LINUX_MSG_WAITALL 0x100
#define LINUX_MSG_NOSIGNAL 0x4000
#define LINUX_MSG_MORE 0x8000
#define LINUX_MSG_WAITFORONE 0x10000
#define LINUX_MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(2) how, and the per-socket shutdown bits (Linux's sk_shutdown). */
#define LINUX_SHUT_RD 0
#define LINUX_SHUT_WR 1
#define LINUX_SHUT_RDWR 2
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* Option levels and SOL_SOCKET options. */
#define LINUX_SOL_SOCKET 1
#define LINUX_SO_DEBUG 1
#define LINUX_SO_REUSEADDR 2
#define LINUX_SO_TYPE 3
#define LINUX_SO_ERROR 4
#define LINUX_SO_DONTROUTE 5
#define LINUX_SO_BROADCAST 6
#define LINUX_SO_SNDBUF 7
#define LINUX_SO_RCVBUF 8
#define LINUX_SO_KEEPALIVE 9
#define LINUX_SO_OOBINLINE 10
#define LINUX_SO_NO_CHECK 11
#define LINUX_SO_PRIORITY 12
#define LINUX_SO_LINGER 13
#define LINUX_SO_BSDCOMPAT 14
#define LINUX_SO_REUSEPORT 15
#define LINUX_SO_PASSCRED 16
#define LINUX_SO_PEERCRED 17
#define LINUX_SO_RCVLOWAT 18
#define LINUX_SO_SNDLOWAT 19
#define LINUX_SO_RCVTIMEO_OLD 20
#define LINUX_SO_SNDTIMEO_OLD 21
#define LINUX_SO_ACCEPTCONN 30
#define LINUX_SO_SNDBUFFORCE 32
#define LINUX_SO_RCVBUFFORCE 33
#define LINUX_SO_PROTOCOL 38
#define LINUX_SO_DOMAIN 39
#define LINUX_SO_PEEK_OFF 42
#define LINUX_SO_RCVTIMEO_NEW 66
#define LINUX_SO_SNDTIMEO_NEW 67

/* Control messages at SOL_SOCKET. */
#define LINUX_SCM_RIGHTS 1
#define LINUX_SCM_CREDENTIALS 2
#define LINUX_SCM_MAX_FD 253

/* ioctls. */
#define LINUX_FIONREAD 0x541B /* = SIOCINQ */
#define LINUX_FIONBIO 0x5421
#define LINUX_SIOCOUTQ 0x5411
#define LINUX_SIOCOUTQNSD 0x894B

/* Socket buffer sizes (net.core.{w,r}mem_default / _max, and Linux's
 * SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF). setsockopt doubles the value asked. */
#define SOCK_DEFAULT_BUF 212992
#define SOCK_MAX_BUF 212992
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304
#define SOCK_MAXCONN 4096 /* net.core.somaxconn */

struct linux_sockaddr_storage {
	uint16_t family;
	char data[126];
};
#define LINUX_SOCKADDR_MAX 128

struct linux_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

struct linux_linger {
	int32_t l_onoff, l_linger;
};

struct linux_timeval {
	int64_t tv_sec, tv_usec;
};

struct linux_iovec {
	uint64_t base, len;
};

struct linux_msghdr {
	uint64_t msg_name;
	uint32_t msg_namelen;
	uint32_t pad0;
	uint64_t msg_iov;
	uint64_t msg_iovlen;
	uint64_t msg_control;
	uint64_t msg_controllen;
	int32_t msg_flags;
	uint32_t pad1;
};
_Static_assert(sizeof(struct linux_msghdr) == 56, "struct msghdr is 56 bytes on x86_64");

struct linux_mmsghdr {
	struct linux_msghdr msg_hdr;
	uint32_t msg_len;
	uint32_t pad;
};
_Static_assert(sizeof(struct linux_mmsghdr) == 64, "struct mmsghdr is 64 bytes on x86_64");

struct linux_cmsghdr {
	uint64_t cmsg_len;
	int32_t cmsg_level, cmsg_type;
};
#define LINUX_CMSG_ALIGN(n) (((n) + 7) & ~(uint64_t)7)
#define LINUX_CMSG_HDRLEN sizeof(struct linux_cmsghdr)
#define LINUX_CMSG_LEN(n) (LINUX_CMSG_HDRLEN + (n))
#define LINUX_CMSG_SPACE(n) (LINUX_CMSG_HDRLEN + LINUX_CMSG_ALIGN(n))

#endif
