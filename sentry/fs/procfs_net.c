/*
 * /proc/PID/net (and /proc/net, a symlink to self/net): the sandbox's one
 * network namespace in Linux's exact text formats.
 *
 * The network is loopback only (lo, index 1, 127.0.0.1/8 and ::1/128), as
 * netlink_route.c describes it. Sources:
 *   unix                the sentry's AF_UNIX endpoints (socket/unix_proc.c)
 *   tcp tcp6 udp udp6   the inet family through socket/inet_proc.h (header
 *                       line only until the family provides the hook)
 *   dev                 lo, with the inet family's counters when it gives
 *                       them (inet_proc_dev_stats), else zeros
 *   if_inet6 ipv6_route route  what Linux shows for a namespace whose only
 *                       interface is lo, up
 *   snmp sockstat       Linux's layout; counters the sentry does not keep
 *                       are 0
 *   netlink             the header line (the sandbox's netlink sockets are
 *                       not listed yet)
 *
 * Lock order: each file takes one lock at a time (unix_lock inside
 * unix_proc_snapshot; the inet family's inside its hook), never with
 * kernel.lock held, and formats its snapshot without any lock.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fs/procfs.h"
#include "socket/inet_proc.h"
#include "socket/unix_proc.h"
#include "vfs/vfs_impl.h"

/* --- helpers ------------------------------------------------------------------ */

/* Linux's seq_setwidth + seq_pad: the line (without '\n') padded with
 * spaces to width, then a newline. */
static void put_padded(struct seq_buf *s, const char *line, int width)
{
	int n = (int)strlen(line);
	seq_printf(s, "%s%*s\n", line, n < width ? width - n : 0, "");
}

/* An IPv6 address as Linux's %08X%08X%08X%08X of s6_addr32 (host-endian
 * words: each group of four bytes reversed on x86). */
static void ip6_words(char out[33], const uint8_t a[16])
{
	for (int w = 0; w < 4; w++) {
		uint32_t v;
		memcpy(&v, a + 4 * w, 4);
		snprintf(out + 8 * w, 9, "%08X", v);
	}
}

/* %pi6: 32 lowercase hex digits in address order. */
static void ip6_hex(char out[33], const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", a[i]);
}

static const uint8_t ip6_any[16];
static const uint8_t ip6_loopback[16] = {[15] = 1};

/* --- unix ------------------------------------------------------------------- */

void procfs_net_render_unix(struct seq_buf *s, const struct unix_proc_entry *v, size_t n)
{
	seq_printf(s, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	for (size_t i = 0; i < n; i++) {
		const struct unix_proc_entry *e = &v[i];
		/* The kernel address (%pK) is never shown: zeros, as Linux
		 * prints it with kptr_restrict for an unprivileged reader. */
		seq_printf(s, "0000000000000000: %08X %08X %08X %04X %02X %5llu", e->refcount, 0,
			   e->flags, e->type, e->state, (unsigned long long)e->inode);
		/* sun_path after the 2-byte family: a path name's length
		 * counts its NUL (dropped); an abstract name starts with
		 * '@', and every NUL in it shows as '@'. */
		if (e->addr_len > 2 && e->addr_len <= sizeof(e->addr)) {
			const unsigned char *p = e->addr + 2;
			size_t len = e->addr_len - 2, i0 = 0;
			seq_putc(s, ' ');
			if (p[0]) {
				len--;
			} else {
				seq_putc(s, '@');
				i0 = 1;
			}
			for (size_t k = i0; k < len; k++)
				seq_putc(s, p[k] ? (char)p[k] : '@');
		}
		seq_putc(s, '\n');
	}
}

static int show_unix(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	struct unix_proc_entry *v;
	size_t n;
	int err = unix_proc_snapshot(&v, &n);
	if (err < 0)
		return err;
	procfs_net_render_unix(s, v, n);
	free(v);
	return 0;
}

/* --- tcp, tcp6, udp, udp6 ----------------------------------------------------- */

#define TCP_LISTEN_ 10
#define TCP4_WIDTH 149 /* TMPSZ - 1 */
#define UDP4_WIDTH 127

struct inet_ctx {
	struct seq_buf *s;
	int proto, family;
	int index;
};

void procfs_net_render_inet(struct seq_buf *s, int family, int proto, int index,
			    const struct inet_proc_sock *k)
{
	char line[256];
	if (family == AF_INET) {
		uint32_t src, dst;
		memcpy(&src, k->local_addr, 4);
		memcpy(&dst, k->remote_addr, 4);
		if (proto == IPPROTO_TCP) {
			/* tcp4_seq_show/get_tcp4_sock; no timer pending; rto
			 * 1 s (100 clock ticks), ato 0, cwnd 10, ssthresh -1
			 * (initial slow start) or the listen backlog. */
			snprintf(line, sizeof(line),
				 "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d "
				 "%llu %d %016llx %lu %lu %u %u %d",
				 index, src, k->local_port, dst, k->remote_port, k->state,
				 k->tx_queue, k->rx_queue, 0, 0UL, 0, k->uid, 0,
				 (unsigned long long)k->inode, 1, 0ULL, 100UL, 0UL, 0, 10,
				 k->state == TCP_LISTEN_ ? 0 : -1);
			put_padded(s, line, TCP4_WIDTH);
		} else {
			snprintf(line, sizeof(line),
				 "%5d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d "
				 "%llu %d %016llx %u",
				 index, src, k->local_port, dst, k->remote_port, k->state,
				 k->tx_queue, k->rx_queue, 0, 0UL, 0, k->uid, 0,
				 (unsigned long long)k->inode, 2, 0ULL, k->drops);
			put_padded(s, line, UDP4_WIDTH);
		}
		return;
	}
	char src6[33], dst6[33];
	ip6_words(src6, k->local_addr);
	ip6_words(dst6, k->remote_addr);
	if (proto == IPPROTO_TCP)
		seq_printf(s,
			   "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu %d "
			   "%016llx %lu %lu %u %u %d\n",
			   index, src6, k->local_port, dst6, k->remote_port, k->state, k->tx_queue,
			   k->rx_queue, 0, 0UL, 0, k->uid, 0, (unsigned long long)k->inode, 1, 0ULL,
			   100UL, 0UL, 0, 10, k->state == TCP_LISTEN_ ? 0 : -1);
	else
		seq_printf(s,
			   "%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu %d "
			   "%016llx %u\n",
			   index, src6, k->local_port, dst6, k->remote_port, k->state, k->tx_queue,
			   k->rx_queue, 0, 0UL, 0, k->uid, 0, (unsigned long long)k->inode, 2, 0ULL,
			   k->drops);
}

static int emit_inet(void *arg, const struct inet_proc_sock *k)
{
	struct inet_ctx *c = arg;
	if (k->family != c->family)
		return 0;
	procfs_net_render_inet(c->s, c->family, c->proto, c->index++, k);
	return c->s->overflow ? -ENOMEM : 0;
}

static int show_inet(struct seq_buf *s, int family, int proto)
{
	if (family == AF_INET && proto == IPPROTO_TCP)
		put_padded(s,
			   "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			   "retrnsmt   uid  timeout inode",
			   TCP4_WIDTH);
	else if (family == AF_INET)
		put_padded(s,
			   "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			   "retrnsmt   uid  timeout inode ref pointer drops",
			   UDP4_WIDTH);
	else
		seq_printf(s,
			   "  sl  local_address                         remote_address      "
			   "                  st tx_queue rx_queue tr tm->when retrnsmt   uid  "
			   "timeout inode%s\n",
			   proto == IPPROTO_UDP ? " ref pointer drops" : "");
	if (!inet_proc_for_each)
		return 0;
	struct inet_ctx c = {.s = s, .proto = proto, .family = family};
	int r = inet_proc_for_each(family, proto, emit_inet, &c);
	return r < 0 ? r : 0;
}

static int show_tcp(struct inode *i, struct seq_buf *s)
{
	(void)i;
	return show_inet(s, AF_INET, IPPROTO_TCP);
}
static int show_tcp6(struct inode *i, struct seq_buf *s)
{
	(void)i;
	return show_inet(s, AF_INET6, IPPROTO_TCP);
}
static int show_udp(struct inode *i, struct seq_buf *s)
{
	(void)i;
	return show_inet(s, AF_INET, IPPROTO_UDP);
}
static int show_udp6(struct inode *i, struct seq_buf *s)
{
	(void)i;
	return show_inet(s, AF_INET6, IPPROTO_UDP);
}

/* --- interfaces and routes ------------------------------------------------------ */

static int show_dev(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	struct inet_proc_dev_stats st = {0};
	if (inet_proc_dev_stats)
		inet_proc_dev_stats("lo", &st);
	seq_printf(s,
		   "Inter-|   Receive                                                |  Transmit\n"
		   " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
		   "packets errs drop fifo colls carrier compressed\n");
	seq_printf(s,
		   "%6s:%8llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu "
		   "%4llu %5llu %7llu %10llu\n",
		   "lo", (unsigned long long)st.rx_bytes, (unsigned long long)st.rx_packets,
		   (unsigned long long)st.rx_errs, (unsigned long long)st.rx_drop, 0ULL, 0ULL, 0ULL,
		   0ULL, (unsigned long long)st.tx_bytes, (unsigned long long)st.tx_packets,
		   (unsigned long long)st.tx_errs, (unsigned long long)st.tx_drop, 0ULL, 0ULL, 0ULL,
		   0ULL);
	return 0;
}

static int show_if_inet6(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	char a[33];
	ip6_hex(a, ip6_loopback);
	/* ifindex 1, prefix 128, scope host (0x10), IFA_F_PERMANENT (0x80) */
	seq_printf(s, "%s %02x %02x %02x %02x %8s\n", a, 1, 128, 0x10, 0x80, "lo");
	return 0;
}

/* IPv4's main table: empty for a loopback-only namespace (127/8 is in the
 * local table, which this file does not show). */
static int show_route(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	seq_printf(s, "%-127s\n",
		   "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
		   "Window\tIRTT");
	return 0;
}

static void ip6_route_line(struct seq_buf *s, const uint8_t dst[16], int dst_len, uint32_t metric,
			   uint32_t refcnt, uint32_t flags)
{
	char d[33], z[33];
	ip6_hex(d, dst);
	ip6_hex(z, ip6_any);
	seq_printf(s, "%s %02x %s %02x %s %08x %08x %08x %08x %8s\n", d, dst_len, z, 0, z, metric,
		   refcnt, 0, flags, "lo");
}

/* What Linux lists for a namespace with only lo up: the main and local
 * tables' unreachable default (RTF_REJECT | RTF_NONEXTHOP, metric -1) and
 * the local route of ::1 (RTF_LOCAL | RTF_UP). */
static int show_ipv6_route(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	ip6_route_line(s, ip6_any, 0, 0xffffffffu, 1, 0x00200200u);
	ip6_route_line(s, ip6_loopback, 128, 0, 2, 0x80200001u);
	ip6_route_line(s, ip6_any, 0, 0xffffffffu, 1, 0x00200200u);
	return 0;
}

static int show_netlink(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	seq_printf(s, "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    "
		      "Drops    Inode\n");
	return 0;
}

/* --- counters ------------------------------------------------------------------- */

static int count_estab(void *arg, const struct inet_proc_sock *k)
{
	if (k->state == 1 /* TCP_ESTABLISHED */ || k->state == 8 /* TCP_CLOSE_WAIT */)
		(*(int *)arg)++;
	return 0;
}

/* Tcp CurrEstab: ESTABLISHED and CLOSE_WAIT connections, both families. */
static int procfs_net_tcp_estab(void)
{
	int n = 0;
	if (inet_proc_for_each) {
		inet_proc_for_each(AF_INET, IPPROTO_TCP, count_estab, &n);
		inet_proc_for_each(AF_INET6, IPPROTO_TCP, count_estab, &n);
	}
	return n;
}

static int show_snmp(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	seq_printf(s, "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams "
		      "InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes "
		      "ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates "
		      "OutTransmits\n"
		      "Ip: 2 64 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	seq_printf(s, "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs "
		      "InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps "
		      "InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal "
		      "OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs "
		      "OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps "
		      "OutAddrMasks OutAddrMaskReps\n"
		      "Icmp: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	seq_printf(s,
		   "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens "
		   "AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts "
		   "InCsumErrors\n"
		   "Tcp: 1 200 120000 -1 0 0 0 0 %d 0 0 0 0 0 0\n",
		   procfs_net_tcp_estab());
	seq_printf(s, "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
		      "InCsumErrors IgnoredMulti MemErrors\n"
		      "Udp: 0 0 0 0 0 0 0 0 0\n"
		      "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors "
		      "SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
		      "UdpLite: 0 0 0 0 0 0 0 0 0\n");
	return 0;
}

static int show_sockstat(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	struct inet_proc_counts c = {0};
	struct unix_proc_entry *v;
	size_t n = 0;
	if (unix_proc_snapshot(&v, &n) == 0)
		free(v);
	if (inet_proc_counts)
		inet_proc_counts(&c);
	/* "sockets: used" counts every socket of the namespace. */
	seq_printf(s, "sockets: used %zu\n",
		   n + (size_t)c.tcp_alloc + (size_t)c.udp_inuse + (size_t)c.raw_inuse);
	seq_printf(s, "TCP: inuse %d orphan %d tw %d alloc %d mem 0\n", c.tcp_inuse, c.tcp_orphan,
		   c.tcp_tw, c.tcp_alloc);
	seq_printf(s,
		   "UDP: inuse %d mem 0\nUDPLITE: inuse 0\nRAW: inuse %d\n"
		   "FRAG: inuse 0 memory 0\n",
		   c.udp_inuse, c.raw_inuse);
	return 0;
}

/* --- the directory ------------------------------------------------------------- */

#define NET_FILE(n, fn)                                                                            \
	{                                                                                          \
		.name = n, .mode = S_IFREG | 0444, .show = fn                                      \
	}

const struct synth_entry procfs_net_entries[] = {
    NET_FILE("dev", show_dev),
    NET_FILE("if_inet6", show_if_inet6),
    NET_FILE("ipv6_route", show_ipv6_route),
    NET_FILE("netlink", show_netlink),
    NET_FILE("route", show_route),
    NET_FILE("snmp", show_snmp),
    NET_FILE("sockstat", show_sockstat),
    NET_FILE("tcp", show_tcp),
    NET_FILE("tcp6", show_tcp6),
    NET_FILE("udp", show_udp),
    NET_FILE("udp6", show_udp6),
    NET_FILE("unix", show_unix),
    {.name = NULL},
};

ssize_t procfs_net_link(struct inode *inode, char *buf, size_t size)
{
	(void)inode;
	return procfs_copy_link(buf, size, "self/net");
}
