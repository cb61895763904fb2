/*
 * --network=sandbox at boot (network.c): discover the interface of the
 * network namespace the sentry was started in, take it over for lwIP
 * (netstack/netif_packet.h) and find the nameservers for resolv.conf.
 */
#ifndef SENTRY_CLI_NETWORK_H
#define SENTRY_CLI_NETWORK_H

#include <stddef.h>

#define NETWORK_MAX_DNS 3 /* glibc's MAXNS */

struct network_sandbox {
	char addr4[16];              /* the interface's IPv4 address ("" if none) */
	char dns_buf[NETWORK_MAX_DNS][46];
	const char *dns[NETWORK_MAX_DNS + 1]; /* from the namespace's /etc/resolv.conf */
	int ndns;
};

/* Boot, single-threaded, before confinement (needs CAP_NET_ADMIN and
 * CAP_NET_RAW in the namespace): 0 or -errno with a message in err. After
 * success the host kernel no longer holds the interface's addresses and
 * the sentry holds one AF_PACKET socket on it. */
int network_sandbox_boot(struct network_sandbox *out, char *err, size_t errlen);

/* Parse resolv.conf text: the usable "nameserver" lines (valid addresses,
 * not loopback: the sandbox's loopback is its own) into out. */
void network_parse_resolv(const char *text, struct network_sandbox *out);

#endif
