/*
 * The sandbox's Ethernet interface on a host AF_PACKET socket (see
 * netif_packet.h). Everything read from the socket comes from the network:
 * hostile. Each frame is checked here before lwIP sees it:
 *
 *   - length: at least an Ethernet header, at most the MTU plus the header
 *     (larger ones are only accepted as a TCP GSO frame the host kernel
 *     hands over unsegmented, which is split here; see rx_gso());
 *   - the kernel's packet type: frames for another host, and our own
 *     outgoing ones, are dropped;
 *   - only ARP, IPv4 and IPv6; IPv4/IPv6 only to our addresses, broadcast or
 *     multicast (lwIP forwards what is not for it, IP_FORWARD=1 in Debian's
 *     build: nothing may be routed through the sandbox), and never from or
 *     to a loopback address (lwIP accepts 127.0.0.1 on any interface: the
 *     sandbox's loopback services must not be reachable from the wire).
 *
 * lwIP itself validates the protocol headers (lengths, checksums).
 */

#include <errno.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "netstack/netif_packet.h"
#include "netstack/netstack.h"

#define ETH_HLEN_ 14
#define VNET_HLEN 10
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80
#define RX_BUF (VNET_HLEN + 65536 + 64)

static struct netif_packet_config cfg;
static bool configured;
static bool vnet; /* the socket prefixes each frame with a virtio header */
static struct netif eth_netif;
static uint8_t tx_buf[VNET_HLEN + ETH_HLEN_ + NETIF_PACKET_MAX_MTU]; /* core lock */

static _Atomic uint64_t st_rx_packets, st_rx_bytes, st_tx_packets, st_tx_bytes, st_rx_dropped,
	st_rx_malformed, st_tx_errors;

int netif_packet_configure(const struct netif_packet_config *c)
{
	if (configured || c->fd < 0 || c->ifindex < 2 || c->mtu < 68 ||
	    c->mtu > NETIF_PACKET_MAX_MTU || c->prefix4 > 32 || c->naddr6 < 0 ||
	    c->naddr6 > NETIF_PACKET_MAX_ADDR6)
		return -EINVAL;
	cfg = *c;
	cfg.ifname[sizeof(cfg.ifname) - 1] = 0;
	int one = 1;
	socklen_t l = sizeof(one);
	vnet = getsockopt(cfg.fd, SOL_PACKET, PACKET_VNET_HDR, &one, &l) == 0 && one;
	configured = true;
	return 0;
}

const struct netif_packet_config *netif_packet_get(void)
{
	return configured ? &cfg : NULL;
}

void netif_packet_stats(struct netif_packet_stats *o)
{
	o->rx_packets = st_rx_packets;
	o->rx_bytes = st_rx_bytes;
	o->tx_packets = st_tx_packets;
	o->tx_bytes = st_tx_bytes;
	o->rx_dropped = st_rx_dropped;
	o->rx_malformed = st_rx_malformed;
	o->tx_errors = st_tx_errors;
}

bool netstack_sandbox_addr_local(const uint8_t *addr, bool v6)
{
	if (!configured)
		return false;
	if (!v6)
		return cfg.has_addr4 && memcmp(addr, cfg.addr4, 4) == 0;
	for (int i = 0; i < cfg.naddr6; i++)
		if (memcmp(addr, cfg.addr6[i].addr, 16) == 0)
			return true;
	return false;
}

/* --- checksums ------------------------------------------------------------ */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, unsigned len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int netif_packet_fix_csum(uint8_t *frame, unsigned len, const struct netif_packet_vnet *h)
{
	if (!(h->flags & VNET_F_NEEDS_CSUM))
		return 0;
	unsigned start = h->csum_start, off = h->csum_offset;
	/* The checksum field (2 bytes) must lie inside [start, len). */
	if (start < ETH_HLEN_ || start >= len || off > len - start || len - start - off < 2)
		return -EINVAL;
	/* The field holds the pseudo-header sum: add the rest over it. */
	put16(frame + start + off, csum_fold(csum_add(0, frame + start, len - start)));
	return 0;
}

/* --- transmit --------------------------------------------------------------- */

/* Core lock held (lwIP's output path). Frames are copied into one buffer
 * (a chain is flattened) and written without blocking: a full socket
 * drops the frame, as a NIC with a full ring would. */
static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	unsigned hl = vnet ? VNET_HLEN : 0;
	if (p->tot_len > ETH_HLEN_ + cfg.mtu) {
		st_tx_errors++;
		return ERR_BUF;
	}
	memset(tx_buf, 0, hl); /* no offload asked of the host */
	if (pbuf_copy_partial(p, tx_buf + hl, p->tot_len, 0) != p->tot_len) {
		st_tx_errors++;
		return ERR_BUF;
	}
	ssize_t n = send(cfg.fd, tx_buf, hl + p->tot_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		st_tx_errors++;
		return ERR_IF;
	}
	st_tx_packets++;
	st_tx_bytes += p->tot_len;
	return ERR_OK;
}

/* --- receive ---------------------------------------------------------------- */

static bool is_loop4(const uint8_t *a)
{
	return a[0] == 127;
}

static bool is_loop6(const uint8_t *a)
{
	static const uint8_t lo[16] = {[15] = 1};
	static const uint8_t mapped_pfx[12] = {[10] = 0xff, [11] = 0xff};
	/* ::1, and ::ffff:127.x (v4-mapped loopback) */
	return memcmp(a, lo, 16) == 0 || (memcmp(a, mapped_pfx, 12) == 0 && a[12] == 127);
}

static bool ours4(const uint8_t *d)
{
	if ((d[0] & 0xf0) == 0xe0 || memcmp(d, "\xff\xff\xff\xff", 4) == 0)
		return true; /* multicast, limited broadcast */
	if (!cfg.has_addr4)
		return false;
	if (memcmp(d, cfg.addr4, 4) == 0)
		return true;
	uint32_t a, x, mask = cfg.prefix4 ? ~0u << (32 - cfg.prefix4) : 0;
	a = (uint32_t)cfg.addr4[0] << 24 | cfg.addr4[1] << 16 | cfg.addr4[2] << 8 | cfg.addr4[3];
	x = (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
	return cfg.prefix4 < 31 && x == ((a & mask) | ~mask); /* subnet broadcast */
}

static bool ours6(const uint8_t *d)
{
	if (d[0] == 0xff)
		return true; /* multicast (solicited-node, all-nodes) */
	for (int i = 0; i < cfg.naddr6; i++)
		if (memcmp(d, cfg.addr6[i].addr, 16) == 0)
			return true;
	return false;
}

/* Is this frame one lwIP may see? (Length >= ETH_HLEN_ checked.) */
static bool acceptable(const uint8_t *f, unsigned len)
{
	uint16_t type = get16(f + 12);
	if (type == 0x0806)
		return true; /* ARP: lwIP checks it */
	if (type == 0x0800) {
		if (len < ETH_HLEN_ + 20)
			return false;
		const uint8_t *ip = f + ETH_HLEN_;
		return (ip[0] >> 4) == 4 && !is_loop4(ip + 12) && !is_loop4(ip + 16) &&
		       ours4(ip + 16);
	}
	if (type == 0x86dd) {
		if (len < ETH_HLEN_ + 40)
			return false;
		const uint8_t *ip = f + ETH_HLEN_;
		return (ip[0] >> 4) == 6 && !is_loop6(ip + 8) && !is_loop6(ip + 24) &&
		       ours6(ip + 24);
	}
	return false;
}

/* Hand one checked frame to lwIP (copies it). */
static void deliver(const uint8_t *f, unsigned len)
{
	if (!acceptable(f, len)) {
		st_rx_dropped++;
		return;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM); /* one piece */
	if (!p) {
		st_rx_dropped++;
		return;
	}
	if (pbuf_take(p, f, (u16_t)len) != ERR_OK) {
		pbuf_free(p);
		st_rx_dropped++;
		return;
	}
	st_rx_packets++;
	st_rx_bytes += len;
	/* Processed right here under the core lock: a flood is paced by this
	 * thread, and lwIP's mailbox never fills with frames. */
	netstack_lock();
	if (ethernet_input(p, &eth_netif) != ERR_OK)
		pbuf_free(p);
	netstack_unlock();
}

/*
 * A TCP frame larger than the MTU that the host kernel hands over as one
 * GSO packet (veth passes its peer's TSO segments through unsplit): split
 * it into gso_size segments, as the host's own segmentation would, with
 * fresh lengths, sequence numbers, IDs and checksums. Anything that does
 * not parse is counted malformed.
 */
static void rx_gso(uint8_t *f, unsigned len, const struct netif_packet_vnet *h)
{
	static uint8_t seg[ETH_HLEN_ + NETIF_PACKET_MAX_MTU]; /* receive thread only */
	unsigned gt = h->gso_type & ~VNET_GSO_ECN, l3 = ETH_HLEN_, l4, hl, mss = h->gso_size;
	bool v4 = gt == VNET_GSO_TCPV4;

	if ((gt != VNET_GSO_TCPV4 && gt != VNET_GSO_TCPV6) || mss == 0)
		goto bad;
	if (v4) {
		if (len < l3 + 20 || get16(f + 12) != 0x0800 || f[l3 + 9] != 6)
			goto bad;
		l4 = l3 + (f[l3] & 0xf) * 4u;
		if ((f[l3] & 0xf) < 5)
			goto bad;
	} else {
		if (len < l3 + 40 || get16(f + 12) != 0x86dd || f[l3 + 6] != 6)
			goto bad;
		l4 = l3 + 40; /* no extension headers in a GSO frame we accept */
	}
	if (len < l4 + 20)
		goto bad;
	hl = l4 + (f[l4 + 12] >> 4) * 4u;
	if ((f[l4 + 12] >> 4) < 5 || hl > len || hl + mss > sizeof(seg) || hl - ETH_HLEN_ + mss > cfg.mtu)
		goto bad;
	uint32_t seq = (uint32_t)f[l4 + 4] << 24 | f[l4 + 5] << 16 | f[l4 + 6] << 8 | f[l4 + 7];
	uint16_t id = v4 ? get16(f + l3 + 4) : 0;
	uint8_t flags = f[l4 + 13];
	for (unsigned off = hl, i = 0; off < len; off += mss, i++) {
		unsigned n = len - off < mss ? len - off : mss, sl = hl + n;
		bool last = off + n >= len;
		memcpy(seg, f, hl);
		memcpy(seg + hl, f + off, n);
		uint32_t s = seq + (off - hl);
		seg[l4 + 4] = (uint8_t)(s >> 24);
		seg[l4 + 5] = (uint8_t)(s >> 16);
		seg[l4 + 6] = (uint8_t)(s >> 8);
		seg[l4 + 7] = (uint8_t)s;
		/* FIN and PSH only on the last segment, CWR only on the first */
		seg[l4 + 13] = (uint8_t)(flags & ~((last ? 0 : 0x09) | (i ? 0x80 : 0)));
		uint32_t sum;
		if (v4) {
			put16(seg + l3 + 2, (uint16_t)(sl - l3));
			put16(seg + l3 + 4, (uint16_t)(id + i));
			put16(seg + l3 + 10, 0);
			put16(seg + l3 + 10, csum_fold(csum_add(0, seg + l3, l4 - l3)));
			sum = csum_add(0, seg + l3 + 12, 8);
		} else {
			put16(seg + l3 + 4, (uint16_t)(sl - l4));
			sum = csum_add(0, seg + l3 + 8, 32);
		}
		sum += 6 + (sl - l4);
		put16(seg + l4 + 16, 0);
		put16(seg + l4 + 16, csum_fold(csum_add(sum, seg + l4, sl - l4)));
		deliver(seg, sl);
	}
	return;
bad:
	st_rx_malformed++;
}

static void *rx_thread(void *arg)
{
	(void)arg;
	uint8_t *buf = malloc(RX_BUF);
	unsigned hl = vnet ? VNET_HLEN : 0;

	if (!buf)
		return NULL;
	for (;;) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		memset(&sll, 0, sizeof(sll));
		/* MSG_TRUNC: the frame's real length, to drop what did not fit. */
		ssize_t n = recvfrom(cfg.fd, buf, RX_BUF, MSG_TRUNC, (struct sockaddr *)&sll, &sl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS || errno == ENETDOWN)
				continue;
			break; /* the socket is gone: the interface stops receiving */
		}
		if ((size_t)n > RX_BUF || (size_t)n < hl + ETH_HLEN_) {
			st_rx_malformed++;
			continue;
		}
		if (sll.sll_ifindex != cfg.ifindex || sll.sll_pkttype == PACKET_OUTGOING ||
		    sll.sll_pkttype == PACKET_OTHERHOST) {
			st_rx_dropped++;
			continue;
		}
		struct netif_packet_vnet h = {0};
		if (vnet) {
			h.flags = buf[0];
			h.gso_type = buf[1];
			/* virtio fields are little-endian */
			h.hdr_len = (uint16_t)(buf[2] | buf[3] << 8);
			h.gso_size = (uint16_t)(buf[4] | buf[5] << 8);
			h.csum_start = (uint16_t)(buf[6] | buf[7] << 8);
			h.csum_offset = (uint16_t)(buf[8] | buf[9] << 8);
		}
		uint8_t *f = buf + hl;
		unsigned len = (unsigned)n - hl;
		if (netif_packet_fix_csum(f, len, &h) < 0) {
			st_rx_malformed++;
			continue;
		}
		if (h.gso_type != VNET_GSO_NONE) {
			rx_gso(f, len, &h);
			continue;
		}
		if (len > ETH_HLEN_ + cfg.mtu) {
			st_rx_malformed++;
			continue;
		}
		deliver(f, len);
	}
	free(buf);
	return NULL;
}

/* --- the netif ---------------------------------------------------------------- */

static err_t eth_init(struct netif *netif)
{
	netif->name[0] = 'e';
	netif->name[1] = 't';
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = linkoutput;
	netif->mtu = (u16_t)cfg.mtu;
	netif->hwaddr_len = 6;
	memcpy(netif->hwaddr, cfg.mac, 6);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	return ERR_OK;
}

int netstack_sandbox_if_attach(void)
{
	ip4_addr_t addr, mask, gw;
	if (!configured)
		return 0;
	ip4_addr_set_zero(&addr);
	ip4_addr_set_zero(&mask);
	ip4_addr_set_zero(&gw);
	if (cfg.has_addr4) {
		memcpy(&addr.addr, cfg.addr4, 4);
		mask.addr = lwip_htonl(cfg.prefix4 ? ~0u << (32 - cfg.prefix4) : 0);
	}
	if (cfg.has_gw4)
		memcpy(&gw.addr, cfg.gw4, 4);
	if (!netif_add(&eth_netif, &addr, &mask, &gw, NULL, eth_init, ethernet_input))
		return -ENOMEM;
#if LWIP_IPV6_AUTOCONFIG
	eth_netif.ip6_autoconfig_enabled = 0; /* addresses are the host's, as given */
#endif
	for (int i = 0; i < cfg.naddr6 && i < LWIP_IPV6_NUM_ADDRESSES; i++) {
		ip6_addr_t a6;
		memcpy(a6.addr, cfg.addr6[i].addr, 16);
#if LWIP_IPV6_SCOPES
		ip6_addr_assign_zone(&a6, IP6_UNICAST, &eth_netif);
#endif
		netif_ip6_addr_set(&eth_netif, i, &a6);
		netif_ip6_addr_set_state(&eth_netif, i, IP6_ADDR_PREFERRED);
	}
	if (cfg.has_gw4)
		netif_set_default(&eth_netif);
	netif_set_up(&eth_netif);
	netif_set_link_up(&eth_netif);
#if LWIP_IPV6_SEND_ROUTER_SOLICIT
	eth_netif.rs_count = 0; /* routes are the host's, not from RAs */
#endif
	/* The caller (lwIP's thread) blocks every signal: so does this one. */
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&th, &at, rx_thread, NULL);
	pthread_attr_destroy(&at);
	if (r) {
		netif_remove(&eth_netif);
		return -r;
	}
	return 0;
}
