/*
 * The sentry's TCP/IP stack: lwIP 2.1 (Debian's liblwip, unmodified) run
 * through its raw API. netstack/ is the port: it starts lwIP's tcpip thread
 * (lazily, at the first AF_INET/AF_INET6 socket) and makes the loopback
 * interface ("lo": 127.0.0.1/8 and ::1, whose output is netif_loop_output,
 * so every packet is handed back to lwIP's input in the tcpip thread).
 * The socket family on top is sentry/socket/inet*.c (see inet_impl.h).
 *
 * Locking. lwIP is single-threaded behind one lock, the tcpip core lock
 * (LOCK_TCPIP_CORE/UNLOCK_TCPIP_CORE, netstack_lock()/netstack_unlock()).
 * lwIP's own thread holds it while it processes packets and timers, so
 * every raw-API callback (recv, sent, err, accept, connected, udp recv)
 * runs with it held. A sentry task thread calls lwIP only with it held.
 *
 * Lock order:
 *	tcpip core lock -> inet_lock (socket/inet_impl.h) -> waitq.lock
 * Callbacks take inet_lock under the core lock to queue data and wake the
 * socket. Nothing is ever taken the other way round: a task that holds
 * inet_lock and must wait drops the core lock first (inet_wait()). Neither
 * lock is held while touching application memory (the syscall layer
 * bounces data through sentry buffers) or while taking kernel.lock
 * (SIGPIPE is sent by the syscall layer after the family returns).
 */
#ifndef SENTRY_NETSTACK_NETSTACK_H
#define SENTRY_NETSTACK_NETSTACK_H

/* Start lwIP once (the tcpip thread, with every signal blocked, and the
 * loopback interface). 0 or -errno; later calls return the first result. */
int netstack_start(void);

/* Has netstack_start() succeeded (without starting anything)? */
int netstack_started(void);

/* The tcpip core lock (netstack_start() must have succeeded). */
void netstack_lock(void);
void netstack_unlock(void);

/* Core lock held, no other lock: deliver what was sent on lo so far (and
 * what that makes lwIP send in turn) in the calling thread, so that, as on
 * Linux, a send's data is queued at the receiver when the send returns.
 * (lwIP's thread would otherwise do it a little later.) Callbacks run. */
void netstack_flush(void);
/* Core lock held: is anything waiting on lo? */
int netstack_pending(void);
/* The loopback interface (multicast memberships). */
struct netif;
struct netif *netstack_lo(void);

/* lwIP's loopback MTU. lwIP's buffer lengths are 16 bits and its loopback
 * copies each packet into one buffer, so a packet near 64 KiB cannot loop:
 * bigger UDP datagrams are fragmented and reassembled instead. TCP's MSS
 * on lo is raised above lwIP's compiled-in TCP_MSS (inet_tcp.c). */
#define NETSTACK_LO_MTU 32768

#endif
