/*
 * rtnetlink requests about the sandbox's network: one loopback interface
 * "lo" (index 1, up), 127.0.0.1/8 and ::1/128, and the routes Linux makes
 * for them in the local table. What Linux answers in a fresh network
 * namespace after `ip link set lo up` is the reference: the same messages,
 * attributes and attribute order (see tests/syscalls/netlink_test.c).
 * Modifying requests are EPERM without CAP_NET_ADMIN, else EOPNOTSUPP (the
 * sandbox's network cannot be changed yet).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netstack/netif_packet.h"
#include "socket/netlink_impl.h"
#include "socket/socket_abi.h"

/* <linux/rtnetlink.h> message types. */
#define RTM_BASE 16
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define RTM_NEWROUTE 24
#define RTM_GETROUTE 26
#define RTM_GETNEIGH 30
#define RTM_NEWRULE 32
#define RTM_GETRULE 34
#define RTM_MAX 127

/* Attributes. */
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_QDISC 6
#define IFLA_STATS 7
#define IFLA_TXQLEN 13
#define IFLA_MAP 14
#define IFLA_OPERSTATE 16
#define IFLA_LINKMODE 17
#define IFLA_STATS64 23
#define IFLA_GROUP 27
#define IFLA_PROMISCUITY 30
#define IFLA_NUM_TX_QUEUES 31
#define IFLA_NUM_RX_QUEUES 32
#define IFLA_CARRIER 33
#define IFLA_CARRIER_CHANGES 35
#define IFLA_PROTO_DOWN 39
#define IFLA_GSO_MAX_SEGS 40
#define IFLA_GSO_MAX_SIZE 41
#define IFLA_XDP 43
#define IFLA_XDP_ATTACHED 2
#define IFLA_CARRIER_UP_COUNT 47
#define IFLA_CARRIER_DOWN_COUNT 48
#define IFLA_MIN_MTU 50
#define IFLA_MAX_MTU 51
#define IFLA_ALT_IFNAME 53
#define IFLA_GRO_MAX_SIZE 58
#define IFLA_TSO_MAX_SIZE 59
#define IFLA_TSO_MAX_SEGS 60
#define IFLA_ALLMULTI 61
#define IFLA_GSO_IPV4_MAX_SIZE 63
#define IFLA_GRO_IPV4_MAX_SIZE 64
#define NLA_F_NESTED 0x8000

#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_CACHEINFO 6
#define IFA_FLAGS 8
#define IFA_PROTO 11
#define IFA_F_PERMANENT 0x80
#define IFAPROT_KERNEL_LO 1

#define RTA_DST 1
#define RTA_OIF 4
#define RTA_PRIORITY 6
#define RTA_PREFSRC 7
#define RTA_CACHEINFO 12
#define RTA_TABLE 15
#define RTA_PREF 20

#define RT_TABLE_UNSPEC 0
#define RT_TABLE_LOCAL 255
#define RTPROT_KERNEL 2
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define RTN_LOCAL 2
#define RTN_BROADCAST 3

#define LO_INDEX 1
#define LO_FLAGS 0x10049u /* IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP */
#define ARPHRD_LOOPBACK 772

/* --- building messages --------------------------------------------------- */

struct nlbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void *nlb_reserve(struct nlbuf *b, size_t n)
{
	size_t an = NL_ALIGN(n);
	if (b->oom)
		return NULL;
	if (b->len + an > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 1024;
		while (nc < b->len + an)
			nc *= 2;
		unsigned char *np = realloc(b->p, nc);
		if (!np) {
			b->oom = true;
			return NULL;
		}
		b->p = np;
		b->cap = nc;
	}
	void *r = b->p + b->len;
	memset(r, 0, an);
	b->len += an;
	return r;
}

static size_t msg_begin(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq,
			uint32_t pid)
{
	size_t off = b->len;
	struct linux_nlmsghdr h = {0, type, flags, seq, pid};
	void *p = nlb_reserve(b, sizeof(h));
	if (p)
		memcpy(p, &h, sizeof(h));
	return off;
}

static void msg_end(struct nlbuf *b, size_t off)
{
	if (b->oom)
		return;
	uint32_t l = (uint32_t)(b->len - off);
	memcpy(b->p + off, &l, sizeof(l));
}

static void put_raw(struct nlbuf *b, const void *data, size_t n)
{
	void *p = nlb_reserve(b, n);
	if (p)
		memcpy(p, data, n);
}

static void put_attr(struct nlbuf *b, uint16_t type, const void *data, size_t n)
{
	uint16_t hdr[2] = {(uint16_t)(4 + n), type};
	unsigned char *p = nlb_reserve(b, 4 + n);
	if (!p)
		return;
	memcpy(p, hdr, 4);
	if (n)
		memcpy(p + 4, data, n);
}

static void put_u8(struct nlbuf *b, uint16_t type, uint8_t v) { put_attr(b, type, &v, 1); }
static void put_u32(struct nlbuf *b, uint16_t type, uint32_t v) { put_attr(b, type, &v, 4); }
static void put_str(struct nlbuf *b, uint16_t type, const char *s)
{
	put_attr(b, type, s, strlen(s) + 1);
}
static void put_zeros(struct nlbuf *b, uint16_t type, size_t n)
{
	static const unsigned char z[256];
	put_attr(b, type, z, n);
}

/* Queue b as one datagram (b is emptied). */
static int emit(struct nl_out *out, struct nlbuf *b)
{
	if (b->oom) {
		free(b->p);
		*b = (struct nlbuf){0};
		return -ENOMEM;
	}
	struct nl_dgram *d = malloc(sizeof(*d) + b->len);
	if (!d) {
		free(b->p);
		*b = (struct nlbuf){0};
		return -ENOMEM;
	}
	d->next = NULL;
	d->len = b->len;
	memcpy(d->data, b->p, b->len);
	*out->tail = d;
	out->tail = &d->next;
	free(b->p);
	*b = (struct nlbuf){0};
	return 0;
}

void nl_out_init(struct nl_out *o)
{
	o->head = NULL;
	o->tail = &o->head;
}

void nl_out_free(struct nl_out *o)
{
	while (o->head) {
		struct nl_dgram *d = o->head;
		o->head = d->next;
		free(d);
	}
	o->tail = &o->head;
}

/* The time the addresses "were made", in hundredths of a second since boot
 * (Linux's cstamp/tstamp): the first time anyone asked. */
static uint32_t addr_stamp(void)
{
	static _Atomic uint32_t stamp;
	uint32_t s = stamp;
	if (!s) {
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		s = (uint32_t)(ts.tv_sec * 100 + ts.tv_nsec / 10000000) | 1;
		stamp = s;
	}
	return s;
}

/* --- links ---------------------------------------------------------------- */

struct linux_ifinfomsg {
	uint8_t ifi_family, pad;
	uint16_t ifi_type;
	int32_t ifi_index;
	uint32_t ifi_flags, ifi_change;
};

static void put_lo_link(struct nlbuf *b, uint16_t flags, uint32_t seq, uint32_t pid)
{
	size_t off = msg_begin(b, RTM_NEWLINK, flags, seq, pid);
	struct linux_ifinfomsg ifi = {0, 0, ARPHRD_LOOPBACK, LO_INDEX, LO_FLAGS, 0};
	put_raw(b, &ifi, sizeof(ifi));
	put_str(b, IFLA_IFNAME, "lo");
	put_u32(b, IFLA_TXQLEN, 1000);
	put_u8(b, IFLA_OPERSTATE, 0); /* IF_OPER_UNKNOWN, as Linux's lo */
	put_u8(b, IFLA_LINKMODE, 0);
	put_u32(b, IFLA_MTU, 65536);
	put_u32(b, IFLA_MIN_MTU, 0);
	put_u32(b, IFLA_MAX_MTU, 0);
	put_u32(b, IFLA_GROUP, 0);
	put_u32(b, IFLA_PROMISCUITY, 0);
	put_u32(b, IFLA_ALLMULTI, 0);
	put_u32(b, IFLA_NUM_TX_QUEUES, 1);
	put_u32(b, IFLA_GSO_MAX_SEGS, 65535);
	put_u32(b, IFLA_GSO_MAX_SIZE, 65536);
	put_u32(b, IFLA_GRO_MAX_SIZE, 65536);
	put_u32(b, IFLA_GSO_IPV4_MAX_SIZE, 65536);
	put_u32(b, IFLA_GRO_IPV4_MAX_SIZE, 65536);
	put_u32(b, IFLA_TSO_MAX_SIZE, 524280);
	put_u32(b, IFLA_TSO_MAX_SEGS, 65535);
	put_u32(b, IFLA_NUM_RX_QUEUES, 1);
	put_u8(b, IFLA_CARRIER, 1);
	put_u32(b, IFLA_CARRIER_CHANGES, 0);
	put_u32(b, IFLA_CARRIER_UP_COUNT, 0);
	put_u32(b, IFLA_CARRIER_DOWN_COUNT, 0);
	put_u8(b, IFLA_PROTO_DOWN, 0);
	put_zeros(b, IFLA_ADDRESS, 6);
	put_zeros(b, IFLA_BROADCAST, 6);
	/* No IP stack yet: no traffic, all counters zero. */
	put_zeros(b, IFLA_STATS64, 25 * 8);
	put_zeros(b, IFLA_STATS, 24 * 4);
	{
		size_t nest = b->len;
		put_attr(b, IFLA_XDP | NLA_F_NESTED, NULL, 0);
		put_u8(b, IFLA_XDP_ATTACHED, 0);
		if (!b->oom) {
			uint16_t nl = (uint16_t)(b->len - nest);
			memcpy(b->p + nest, &nl, 2);
		}
	}
	put_str(b, IFLA_QDISC, "noqueue");
	put_zeros(b, IFLA_MAP, 32);
	msg_end(b, off);
}

/* A link dump asked with AF_INET6 is inet6's (Linux's inet6_fill_ifinfo):
 * a shorter message. Its IFLA_PROTINFO (the inet6 device configuration and
 * statistics) is not produced. */
static void put_lo_link6(struct nlbuf *b, uint32_t seq, uint32_t pid)
{
	size_t off = msg_begin(b, RTM_NEWLINK, LINUX_NLM_F_MULTI, seq, pid);
	struct linux_ifinfomsg ifi = {LINUX_AF_INET6, 0, ARPHRD_LOOPBACK, LO_INDEX, LO_FLAGS, 0};
	put_raw(b, &ifi, sizeof(ifi));
	put_str(b, IFLA_IFNAME, "lo");
	put_zeros(b, IFLA_ADDRESS, 6);
	put_u32(b, IFLA_MTU, 65536);
	put_u8(b, IFLA_OPERSTATE, 0);
	msg_end(b, off);
}

/* A pointer to attribute type in the attributes [p, p + n), or NULL. */
static const unsigned char *find_attr(const unsigned char *p, size_t n, uint16_t type,
				      size_t *alen)
{
	while (n >= 4) {
		uint16_t l, t;
		memcpy(&l, p, 2);
		memcpy(&t, p + 2, 2);
		if (l < 4 || l > n)
			return NULL;
		if ((t & 0x3fff) == type) {
			*alen = l - 4u;
			return p + 4;
		}
		size_t al = NL_ALIGN(l);
		if (al >= n)
			break;
		p += al;
		n -= al;
	}
	return NULL;
}

static void put_eth_link(struct nlbuf *b, const struct netif_packet_config *e, int family,
			 uint16_t flags, uint32_t seq, uint32_t pid);

/* RTM_GETLINK without NLM_F_DUMP: the one interface by index or name. */
static int get_link(const struct linux_nlmsghdr *h, const unsigned char *body, size_t blen,
		    const struct nl_req_ctx *ctx, struct nl_out *out)
{
	struct linux_ifinfomsg ifi = {0};
	if (blen < sizeof(ifi))
		return -EINVAL;
	memcpy(&ifi, body, sizeof(ifi));
	const unsigned char *attrs = body + sizeof(ifi);
	size_t alen = blen - sizeof(ifi), nlen = 0;
	const unsigned char *name = find_attr(attrs, alen, IFLA_IFNAME, &nlen);
	if (!name)
		name = find_attr(attrs, alen, IFLA_ALT_IFNAME, &nlen);
	const struct netif_packet_config *eth = netif_packet_get();
	bool is_eth = false;
	if (ifi.ifi_index > 0) {
		is_eth = eth && ifi.ifi_index == eth->ifindex;
		if (ifi.ifi_index != LO_INDEX && !is_eth)
			return -ENODEV;
	} else if (name) {
		size_t l = strnlen((const char *)name, nlen);
		is_eth = eth && l == strlen(eth->ifname) && memcmp(name, eth->ifname, l) == 0;
		if ((l != 2 || memcmp(name, "lo", 2) != 0) && !is_eth)
			return -ENODEV;
	} else {
		return -EINVAL;
	}
	struct nlbuf b = {0};
	if (is_eth)
		put_eth_link(&b, eth, LINUX_AF_UNSPEC, 0, h->nlmsg_seq, ctx->portid);
	else
		put_lo_link(&b, 0, h->nlmsg_seq, ctx->portid);
	return emit(out, &b);
}

/* --- addresses ----------------------------------------------------------- */

struct linux_ifaddrmsg {
	uint8_t ifa_family, ifa_prefixlen, ifa_flags, ifa_scope;
	uint32_t ifa_index;
};

struct linux_ifa_cacheinfo {
	uint32_t ifa_prefered, ifa_valid, cstamp, tstamp;
};

static void put_addrs(struct nlbuf *b, int family, uint32_t seq, uint32_t pid)
{
	struct linux_ifa_cacheinfo ci = {0xffffffffu, 0xffffffffu, addr_stamp(), addr_stamp()};
	if (family == LINUX_AF_UNSPEC || family == LINUX_AF_INET) {
		static const uint8_t a4[4] = {127, 0, 0, 1};
		size_t off = msg_begin(b, RTM_NEWADDR, LINUX_NLM_F_MULTI, seq, pid);
		struct linux_ifaddrmsg ifa = {LINUX_AF_INET, 8, IFA_F_PERMANENT, RT_SCOPE_HOST,
					      LO_INDEX};
		put_raw(b, &ifa, sizeof(ifa));
		put_attr(b, IFA_ADDRESS, a4, 4);
		put_attr(b, IFA_LOCAL, a4, 4);
		put_str(b, IFA_LABEL, "lo");
		put_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		put_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
		msg_end(b, off);
	}
	if (family == LINUX_AF_UNSPEC || family == LINUX_AF_INET6) {
		static const uint8_t a6[16] = {[15] = 1};
		size_t off = msg_begin(b, RTM_NEWADDR, LINUX_NLM_F_MULTI, seq, pid);
		struct linux_ifaddrmsg ifa = {LINUX_AF_INET6, 128, IFA_F_PERMANENT, RT_SCOPE_HOST,
					      LO_INDEX};
		put_raw(b, &ifa, sizeof(ifa));
		put_attr(b, IFA_ADDRESS, a6, 16);
		put_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
		put_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		put_u8(b, IFA_PROTO, IFAPROT_KERNEL_LO);
		msg_end(b, off);
	}
}

/* --- routes --------------------------------------------------------------- */

struct linux_rtmsg {
	uint8_t rtm_family, rtm_dst_len, rtm_src_len, rtm_tos;
	uint8_t rtm_table, rtm_protocol, rtm_scope, rtm_type;
	uint32_t rtm_flags;
};

static void put_route4(struct nlbuf *b, uint32_t seq, uint32_t pid, uint8_t dst_len,
		       const uint8_t dst[4], uint8_t scope, uint8_t type)
{
	static const uint8_t src[4] = {127, 0, 0, 1};
	size_t off = msg_begin(b, RTM_NEWROUTE, LINUX_NLM_F_MULTI, seq, pid);
	struct linux_rtmsg rt = {LINUX_AF_INET, dst_len, 0, 0, RT_TABLE_LOCAL, RTPROT_KERNEL,
				 scope, type, 0};
	put_raw(b, &rt, sizeof(rt));
	put_u32(b, RTA_TABLE, RT_TABLE_LOCAL);
	put_attr(b, RTA_DST, dst, 4);
	put_attr(b, RTA_PREFSRC, src, 4);
	put_u32(b, RTA_OIF, LO_INDEX);
	msg_end(b, off);
}

/* The routes of family (AF_INET or AF_INET6) in table (0: all): only the
 * local table has any. */
static void put_routes(struct nlbuf *b, int family, unsigned table, uint32_t seq, uint32_t pid)
{
	if (table != RT_TABLE_UNSPEC && table != RT_TABLE_LOCAL)
		return;
	if (family == LINUX_AF_INET) {
		static const uint8_t net[4] = {127, 0, 0, 0}, host[4] = {127, 0, 0, 1},
				     bcast[4] = {127, 255, 255, 255};
		put_route4(b, seq, pid, 8, net, RT_SCOPE_HOST, RTN_LOCAL);
		put_route4(b, seq, pid, 32, host, RT_SCOPE_HOST, RTN_LOCAL);
		put_route4(b, seq, pid, 32, bcast, RT_SCOPE_LINK, RTN_BROADCAST);
	} else if (family == LINUX_AF_INET6) {
		static const uint8_t a6[16] = {[15] = 1};
		static const uint8_t cacheinfo[32];
		size_t off = msg_begin(b, RTM_NEWROUTE, LINUX_NLM_F_MULTI, seq, pid);
		struct linux_rtmsg rt = {LINUX_AF_INET6, 128, 0, 0, RT_TABLE_LOCAL, RTPROT_KERNEL,
					 RT_SCOPE_UNIVERSE, RTN_LOCAL, 0};
		put_raw(b, &rt, sizeof(rt));
		put_u32(b, RTA_TABLE, RT_TABLE_LOCAL);
		put_attr(b, RTA_DST, a6, 16);
		put_u32(b, RTA_PRIORITY, 0);
		put_u32(b, RTA_OIF, LO_INDEX);
		put_attr(b, RTA_CACHEINFO, cacheinfo, sizeof(cacheinfo));
		put_u8(b, RTA_PREF, 0); /* ICMPV6_ROUTER_PREF_MEDIUM */
		msg_end(b, off);
	}
}

/* --- the --network=sandbox interface (netstack/netif_packet.h) ------------- */

#define ARPHRD_ETHER 1
#define ETH_FLAGS 0x11043u /* UP BROADCAST RUNNING MULTICAST LOWER_UP */
#define IFA_BROADCAST 4
#define RT_TABLE_MAIN 254
#define RTPROT_BOOT 3
#define RTN_UNICAST 1
#define RTA_GATEWAY 5

static void put_eth_link(struct nlbuf *b, const struct netif_packet_config *e, int family,
			 uint16_t flags, uint32_t seq, uint32_t pid)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	size_t off = msg_begin(b, RTM_NEWLINK, flags, seq, pid);
	struct linux_ifinfomsg ifi = {(uint8_t)(family == LINUX_AF_INET6 ? family : 0), 0,
				      ARPHRD_ETHER, e->ifindex, ETH_FLAGS, 0};
	put_raw(b, &ifi, sizeof(ifi));
	put_str(b, IFLA_IFNAME, e->ifname);
	if (family == LINUX_AF_INET6) { /* inet6_fill_ifinfo's short form */
		put_attr(b, IFLA_ADDRESS, e->mac, 6);
		put_u32(b, IFLA_MTU, e->mtu);
		put_u8(b, IFLA_OPERSTATE, 6);
		msg_end(b, off);
		return;
	}
	put_u32(b, IFLA_TXQLEN, 1000);
	put_u8(b, IFLA_OPERSTATE, 6); /* IF_OPER_UP */
	put_u8(b, IFLA_LINKMODE, 0);
	put_u32(b, IFLA_MTU, e->mtu);
	put_u32(b, IFLA_MIN_MTU, 68);
	put_u32(b, IFLA_MAX_MTU, NETIF_PACKET_MAX_MTU);
	put_u32(b, IFLA_GROUP, 0);
	put_u32(b, IFLA_PROMISCUITY, 0);
	put_u32(b, IFLA_ALLMULTI, 0);
	put_u32(b, IFLA_NUM_TX_QUEUES, 1);
	put_u32(b, IFLA_NUM_RX_QUEUES, 1);
	put_u8(b, IFLA_CARRIER, 1);
	put_u8(b, IFLA_PROTO_DOWN, 0);
	put_str(b, IFLA_QDISC, "noqueue");
	put_attr(b, IFLA_ADDRESS, e->mac, 6);
	put_attr(b, IFLA_BROADCAST, bcast, 6);
	{
		struct netif_packet_stats st;
		uint64_t s64[25] = {0};
		uint32_t s32[24] = {0};
		netif_packet_stats(&st);
		/* rtnl_link_stats64: rx/tx packets, rx/tx bytes, rx/tx errors,
		 * rx/tx dropped, ... */
		s64[0] = st.rx_packets;
		s64[1] = st.tx_packets;
		s64[2] = st.rx_bytes;
		s64[3] = st.tx_bytes;
		s64[4] = st.rx_malformed;
		s64[5] = st.tx_errors;
		s64[6] = st.rx_dropped;
		for (int i = 0; i < 7; i++)
			s32[i] = (uint32_t)s64[i];
		put_attr(b, IFLA_STATS64, s64, sizeof(s64));
		put_attr(b, IFLA_STATS, s32, sizeof(s32));
	}
	msg_end(b, off);
}

static bool v6_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static void put_eth_addrs(struct nlbuf *b, const struct netif_packet_config *e, int family,
			  uint32_t seq, uint32_t pid)
{
	struct linux_ifa_cacheinfo ci = {0xffffffffu, 0xffffffffu, addr_stamp(), addr_stamp()};
	if ((family == LINUX_AF_UNSPEC || family == LINUX_AF_INET) && e->has_addr4) {
		uint32_t a, m = e->prefix4 ? ~0u << (32 - e->prefix4) : 0;
		uint8_t bc[4];
		memcpy(&a, e->addr4, 4);
		a = __builtin_bswap32(a);
		a |= ~m;
		a = __builtin_bswap32(a);
		memcpy(bc, &a, 4);
		size_t off = msg_begin(b, RTM_NEWADDR, LINUX_NLM_F_MULTI, seq, pid);
		struct linux_ifaddrmsg ifa = {LINUX_AF_INET, e->prefix4, IFA_F_PERMANENT,
					      RT_SCOPE_UNIVERSE, (uint32_t)e->ifindex};
		put_raw(b, &ifa, sizeof(ifa));
		put_attr(b, IFA_ADDRESS, e->addr4, 4);
		put_attr(b, IFA_LOCAL, e->addr4, 4);
		if (e->prefix4 < 31)
			put_attr(b, IFA_BROADCAST, bc, 4);
		put_str(b, IFA_LABEL, e->ifname);
		put_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		put_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
		msg_end(b, off);
	}
	if (family == LINUX_AF_UNSPEC || family == LINUX_AF_INET6) {
		for (int i = 0; i < e->naddr6; i++) {
			const uint8_t *a6 = e->addr6[i].addr;
			size_t off = msg_begin(b, RTM_NEWADDR, LINUX_NLM_F_MULTI, seq, pid);
			struct linux_ifaddrmsg ifa = {LINUX_AF_INET6, e->addr6[i].prefix,
						      IFA_F_PERMANENT,
						      v6_linklocal(a6) ? RT_SCOPE_LINK
								       : RT_SCOPE_UNIVERSE,
						      (uint32_t)e->ifindex};
			put_raw(b, &ifa, sizeof(ifa));
			put_attr(b, IFA_ADDRESS, a6, 16);
			put_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
			put_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
			msg_end(b, off);
		}
	}
}

static void put_eth_route(struct nlbuf *b, int family, uint32_t seq, uint32_t pid,
			  uint8_t table, uint8_t proto, uint8_t scope, uint8_t type,
			  const uint8_t *dst, uint8_t dst_len, const uint8_t *gw,
			  const uint8_t *prefsrc, uint32_t prio, int oif)
{
	size_t alen = family == LINUX_AF_INET ? 4 : 16;
	size_t off = msg_begin(b, RTM_NEWROUTE, LINUX_NLM_F_MULTI, seq, pid);
	struct linux_rtmsg rt = {(uint8_t)family, dst_len, 0, 0, table, proto, scope, type, 0};
	put_raw(b, &rt, sizeof(rt));
	put_u32(b, RTA_TABLE, table);
	if (dst_len)
		put_attr(b, RTA_DST, dst, alen);
	if (prio)
		put_u32(b, RTA_PRIORITY, prio);
	if (prefsrc)
		put_attr(b, RTA_PREFSRC, prefsrc, alen);
	if (gw)
		put_attr(b, RTA_GATEWAY, gw, alen);
	put_u32(b, RTA_OIF, (uint32_t)oif);
	msg_end(b, off);
}

/* The interface's routes in table (0: all) of family, main table first as
 * Linux dumps them. */
static void put_eth_routes(struct nlbuf *b, const struct netif_packet_config *e, int family,
			   unsigned table, uint32_t seq, uint32_t pid)
{
	bool main_t = table == RT_TABLE_UNSPEC || table == RT_TABLE_MAIN;
	bool local_t = table == RT_TABLE_UNSPEC || table == RT_TABLE_LOCAL;
	if (family == LINUX_AF_INET && e->has_addr4) {
		uint32_t a, m = e->prefix4 ? ~0u << (32 - e->prefix4) : 0, n, bcv;
		uint8_t net[4], bc[4];
		memcpy(&a, e->addr4, 4);
		a = __builtin_bswap32(a);
		n = __builtin_bswap32(a & m);
		bcv = __builtin_bswap32(a | ~m);
		memcpy(net, &n, 4);
		memcpy(bc, &bcv, 4);
		if (main_t && e->has_gw4)
			put_eth_route(b, family, seq, pid, RT_TABLE_MAIN, RTPROT_BOOT,
				      RT_SCOPE_UNIVERSE, RTN_UNICAST, NULL, 0, e->gw4, NULL, 0,
				      e->ifindex);
		if (main_t)
			put_eth_route(b, family, seq, pid, RT_TABLE_MAIN, RTPROT_KERNEL,
				      RT_SCOPE_LINK, RTN_UNICAST, net, e->prefix4, NULL, e->addr4,
				      0, e->ifindex);
		if (local_t) {
			put_eth_route(b, family, seq, pid, RT_TABLE_LOCAL, RTPROT_KERNEL,
				      RT_SCOPE_HOST, RTN_LOCAL, e->addr4, 32, NULL, e->addr4, 0,
				      e->ifindex);
			if (e->prefix4 < 31)
				put_eth_route(b, family, seq, pid, RT_TABLE_LOCAL, RTPROT_KERNEL,
					      RT_SCOPE_LINK, RTN_BROADCAST, bc, 32, NULL, e->addr4,
					      0, e->ifindex);
		}
	} else if (family == LINUX_AF_INET6) {
		for (int i = 0; main_t && i < e->naddr6; i++) {
			uint8_t net[16] = {0};
			unsigned p = e->addr6[i].prefix > 128 ? 128 : e->addr6[i].prefix;
			memcpy(net, e->addr6[i].addr, p / 8);
			if (p % 8)
				net[p / 8] = (uint8_t)(e->addr6[i].addr[p / 8] & (0xff << (8 - p % 8)));
			put_eth_route(b, family, seq, pid, RT_TABLE_MAIN, RTPROT_KERNEL,
				      RT_SCOPE_UNIVERSE, RTN_UNICAST, net, (uint8_t)p, NULL, NULL,
				      256, e->ifindex);
		}
		for (int i = 0; local_t && i < e->naddr6; i++)
			put_eth_route(b, family, seq, pid, RT_TABLE_LOCAL, RTPROT_KERNEL,
				      RT_SCOPE_UNIVERSE, RTN_LOCAL, e->addr6[i].addr, 128, NULL,
				      NULL, 0, e->ifindex);
	}
}

/* --- rules ------------------------------------------------------------------ */

/* Linux's default policy rules (fib_default_rules_init): lookup local at 0,
 * main at 32766, and for IPv4 default at 32767. */
static void put_rules(struct nlbuf *b, int family, uint32_t seq, uint32_t pid)
{
	static const struct {
		uint8_t table;
		uint32_t prio;
	} rules[] = {{255, 0}, {254, 32766}, {253, 32767}};
	int n = family == LINUX_AF_INET ? 3 : 2;
	for (int i = 0; i < n; i++) {
		size_t off = msg_begin(b, RTM_NEWRULE, LINUX_NLM_F_MULTI, seq, pid);
		/* struct fib_rule_hdr: family, dst_len, src_len, tos, table,
		 * res1, res2, action (FR_ACT_TO_TBL), flags. */
		uint8_t hdr[12] = {(uint8_t)family, 0, 0, 0, rules[i].table, 0, 0, 1};
		put_raw(b, hdr, sizeof(hdr));
		put_u32(b, 15 /* FRA_TABLE */, rules[i].table);
		put_u32(b, 14 /* FRA_SUPPRESS_PREFIXLEN */, 0xffffffffu);
		put_u8(b, 21 /* FRA_PROTOCOL */, RTPROT_KERNEL);
		if (rules[i].prio)
			put_u32(b, 6 /* FRA_PRIORITY */, rules[i].prio);
		msg_end(b, off);
	}
}

/* --- dispatch -------------------------------------------------------------- */

static int put_done(const struct linux_nlmsghdr *h, const struct nl_req_ctx *ctx,
		    struct nl_out *out)
{
	struct nlbuf b = {0};
	size_t off = msg_begin(&b, LINUX_NLMSG_DONE, LINUX_NLM_F_MULTI, h->nlmsg_seq, ctx->portid);
	int32_t zero = 0;
	put_raw(&b, &zero, sizeof(zero));
	msg_end(&b, off);
	return emit(out, &b);
}

/* A dump: the entries in one datagram (if any), then NLMSG_DONE. */
static int dump(const struct linux_nlmsghdr *h, const unsigned char *body, size_t blen,
		const struct nl_req_ctx *ctx, struct nl_out *out)
{
	struct nlbuf b = {0};
	int family = body[0];
	uint32_t seq = h->nlmsg_seq, pid = ctx->portid;
	const struct netif_packet_config *eth = netif_packet_get(); /* sandbox mode */
	switch (h->nlmsg_type) {
	case RTM_GETLINK:
		if (family == LINUX_AF_INET6)
			put_lo_link6(&b, seq, pid);
		else
			put_lo_link(&b, LINUX_NLM_F_MULTI, seq, pid);
		if (eth)
			put_eth_link(&b, eth, family, LINUX_NLM_F_MULTI, seq, pid);
		break;
	case RTM_GETADDR: {
		/* Strict checking lets the caller filter by interface. */
		struct linux_ifaddrmsg ifa = {0};
		if (ctx->strict && blen >= sizeof(ifa))
			memcpy(&ifa, body, sizeof(ifa));
		int af = family == LINUX_AF_INET || family == LINUX_AF_INET6 ? family
									     : LINUX_AF_UNSPEC;
		/* Linux dumps per family, each interface in turn. */
		for (int f = LINUX_AF_INET; f <= LINUX_AF_INET6; f += LINUX_AF_INET6 - LINUX_AF_INET) {
			if (af != LINUX_AF_UNSPEC && af != f)
				continue;
			if (ifa.ifa_index == 0 || ifa.ifa_index == LO_INDEX)
				put_addrs(&b, f, seq, pid);
			if (eth && (ifa.ifa_index == 0 || ifa.ifa_index == (uint32_t)eth->ifindex))
				put_eth_addrs(&b, eth, f, seq, pid);
		}
		break;
	}
	case RTM_GETROUTE: {
		struct linux_rtmsg rt = {0};
		unsigned table = RT_TABLE_UNSPEC;
		uint32_t oif = 0;
		if (ctx->strict && blen >= sizeof(rt)) {
			/* Strict dumps filter by table (header or RTA_TABLE)
			 * and output interface (RTA_OIF). */
			memcpy(&rt, body, sizeof(rt));
			table = rt.rtm_table;
			size_t alen = 0;
			const unsigned char *a = find_attr(body + sizeof(rt), blen - sizeof(rt),
							   RTA_TABLE, &alen);
			uint32_t v;
			if (a && alen >= 4) {
				memcpy(&v, a, 4);
				table = v;
			}
			a = find_attr(body + sizeof(rt), blen - sizeof(rt), RTA_OIF, &alen);
			if (a && alen >= 4) {
				memcpy(&v, a, 4);
				oif = v;
			}
		}
		for (int f = LINUX_AF_INET; f <= LINUX_AF_INET6; f += LINUX_AF_INET6 - LINUX_AF_INET) {
			if (family != LINUX_AF_UNSPEC && family != f)
				continue;
			if (eth && (oif == 0 || oif == (uint32_t)eth->ifindex))
				put_eth_routes(&b, eth, f, table, seq, pid);
			if (oif == 0 || oif == LO_INDEX)
				put_routes(&b, f, table, seq, pid);
		}
		break;
	}
	case RTM_GETRULE:
		if (family == LINUX_AF_UNSPEC || family == LINUX_AF_INET)
			put_rules(&b, LINUX_AF_INET, seq, pid);
		if (family == LINUX_AF_UNSPEC || family == LINUX_AF_INET6)
			put_rules(&b, LINUX_AF_INET6, seq, pid);
		break;
	case RTM_GETNEIGH:
		break; /* loopback has no neighbours */
	default:
		return -EOPNOTSUPP;
	}
	if (b.len || b.oom) {
		int err = emit(out, &b);
		if (err)
			return err;
	}
	return put_done(h, ctx, out);
}

/* NLMSG_ERROR: err (0 for an ack) and the request's header, plus its
 * payload for an error unless NETLINK_CAP_ACK (Linux's netlink_ack). */
static int put_ack(const struct linux_nlmsghdr *h, const unsigned char *msg, int err,
		   const struct nl_req_ctx *ctx, struct nl_out *out)
{
	struct nlbuf b = {0};
	bool full = err != 0 && !ctx->cap_ack;
	/* msg holds h->nlmsg_len bytes (checked by the caller). */
	size_t echo = full ? h->nlmsg_len : NL_HDRLEN;
	size_t off = msg_begin(&b, LINUX_NLMSG_ERROR, full ? 0 : LINUX_NLM_F_CAPPED, h->nlmsg_seq,
			       ctx->portid);
	int32_t e = err;
	unsigned char *p = nlb_reserve(&b, sizeof(e) + echo);
	if (p) {
		memcpy(p, &e, sizeof(e));
		memcpy(p + sizeof(e), msg, echo);
	}
	msg_end(&b, off);
	return emit(out, &b);
}

/* One rtnetlink message: 0, a -errno for the error reply, or 1 when it
 * was answered and needs no ack (a dump). */
static int rtnl_msg(const struct linux_nlmsghdr *h, const unsigned char *msg,
		    const struct nl_req_ctx *ctx, struct nl_out *out)
{
	uint16_t type = h->nlmsg_type;
	if (type > RTM_MAX)
		return -EOPNOTSUPP;
	/* Too short to carry the family: ignored, as Linux. */
	if (h->nlmsg_len < NL_HDRLEN + 1)
		return 0;
	const unsigned char *body = msg + NL_HDRLEN;
	size_t blen = h->nlmsg_len - NL_HDRLEN;
	int kind = (type - RTM_BASE) & 3;
	if (kind != 2)
		return ctx->net_admin ? -EOPNOTSUPP : -EPERM;
	if ((h->nlmsg_flags & LINUX_NLM_F_DUMP) == LINUX_NLM_F_DUMP) {
		int r = dump(h, body, blen, ctx, out);
		return r < 0 ? r : 1;
	}
	if (type == RTM_GETLINK) {
		int r = get_link(h, body, blen, ctx, out);
		return r < 0 ? r : 0;
	}
	return -EOPNOTSUPP;
}

int nlroute_rcv(const unsigned char *req, size_t len, const struct nl_req_ctx *ctx,
		struct nl_out *out)
{
	while (len >= NL_HDRLEN) {
		struct linux_nlmsghdr h;
		memcpy(&h, req, sizeof(h));
		if (h.nlmsg_len < NL_HDRLEN || h.nlmsg_len > len)
			return 0;
		int err = 0;
		/* Only requests are served; control messages are skipped. */
		if ((h.nlmsg_flags & LINUX_NLM_F_REQUEST) && h.nlmsg_type >= LINUX_NLMSG_MIN_TYPE)
			err = rtnl_msg(&h, req, ctx, out);
		if (err == -ENOMEM)
			return err;
		if (err < 0 || (err == 0 && (h.nlmsg_flags & LINUX_NLM_F_ACK))) {
			int r = put_ack(&h, req, err, ctx, out);
			if (r)
				return r;
		}
		size_t step = NL_ALIGN(h.nlmsg_len);
		if (step > len)
			step = len;
		req += step;
		len -= step;
	}
	return 0;
}
