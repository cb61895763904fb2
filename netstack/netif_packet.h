/*
 * --network=sandbox: the sandbox's Ethernet interface, served by lwIP
 * through a host AF_PACKET socket (docs/netstack.md, "sandbox mode").
 *
 * At boot (sentry/cli/network.c, before confinement) the sentry reads the
 * interface of the network namespace it was started in (name, index, MAC,
 * MTU, addresses, IPv4 default gateway), opens an AF_PACKET socket bound to
 * it and removes the addresses from the host kernel, then hands all of it
 * here with netif_packet_configure(). When lwIP starts (netstack_start(),
 * in its tcpip thread), netstack_sandbox_if_attach() adds an lwIP Ethernet
 * netif with those addresses and starts the receive thread, which reads
 * frames from the packet socket and feeds them to lwIP. lwIP's output
 * (etharp_output -> linkoutput) writes frames to the same socket.
 *
 * Locking: the configuration is written once, before netstack_start(), and
 * read-only afterwards. The netif and the transmit buffer are lwIP state:
 * tcpip core lock. The counters are atomics (any thread reads them).
 * Lock order: tcpip core lock only (nothing else is taken here).
 */
#ifndef SENTRY_NETSTACK_NETIF_PACKET_H
#define SENTRY_NETSTACK_NETIF_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#define NETIF_PACKET_MAX_ADDR6 4 /* lwIP keeps LWIP_IPV6_NUM_ADDRESSES (6) */
#define NETIF_PACKET_MAX_MTU 9000

struct netif_packet_addr6 {
	uint8_t addr[16];
	uint8_t prefix;
};

struct netif_packet_config {
	char ifname[16];   /* the host interface's name, shown in the sandbox */
	int ifindex;       /* its index (>= 2: lo is 1 in any namespace) */
	int fd;            /* AF_PACKET SOCK_RAW, ETH_P_ALL, bound, PACKET_VNET_HDR */
	uint8_t mac[6];
	unsigned mtu;      /* 68 .. NETIF_PACKET_MAX_MTU */
	bool has_addr4;
	uint8_t addr4[4];  /* network byte order */
	uint8_t prefix4;   /* 0..32 */
	bool has_gw4;      /* an IPv4 default route through this interface */
	uint8_t gw4[4];
	int naddr6;
	struct netif_packet_addr6 addr6[NETIF_PACKET_MAX_ADDR6];
};

struct netif_packet_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_dropped;   /* not for us, loopback addresses, lwIP refused */
	uint64_t rx_malformed; /* too short, too long, bad offload header */
	uint64_t tx_errors;
};

/* Boot, single-threaded, before netstack_start(): take over cfg (its fd is
 * owned from now on). 0 or -EINVAL for an unusable configuration. */
int netif_packet_configure(const struct netif_packet_config *cfg);

/* The configuration, or NULL when not in sandbox mode. */
const struct netif_packet_config *netif_packet_get(void);

/* Called by netstack_start() in the tcpip thread, core lock held: add the
 * sandbox's netif (the default one when it has a gateway) and start the
 * receive thread. 0 (also when not configured) or -errno. */
int netstack_sandbox_if_attach(void);

/* Is addr (4 bytes if !v6, else 16, network order) one of the sandbox
 * interface's addresses? (bind() accepts those; false when not in sandbox
 * mode.) Any thread, no lock. */
bool netstack_sandbox_addr_local(const uint8_t *addr, bool v6);

/* A snapshot of the interface's counters. */
void netif_packet_stats(struct netif_packet_stats *out);

/* Complete a partial checksum / split a GSO frame: exposed for unit tests.
 * See netif_packet.c. */
struct netif_packet_vnet {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
/* Finish the checksum a virtio header leaves to be done (NEEDS_CSUM) in
 * frame[0..len): 0 or -EINVAL when its offsets do not fit the frame. */
int netif_packet_fix_csum(uint8_t *frame, unsigned len, const struct netif_packet_vnet *h);

#endif
