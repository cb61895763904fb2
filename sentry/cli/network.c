/*
 * --network=sandbox: boot-time discovery and takeover of the namespace's
 * interface (network.h, docs/netstack.md "sandbox mode").
 *
 * The sentry is started inside a network namespace prepared for it (as
 * Docker's bridge network prepares a container's): one Ethernet interface
 * (a veth end) with addresses and a default route. Here, before
 * confinement:
 *
 *  1. choose the interface: the one the IPv4 default route uses, else the
 *     only non-loopback Ethernet interface;
 *  2. read its index, MAC, MTU, IPv4 address and prefix, IPv6 addresses,
 *     and the default gateway (getifaddrs, SIOCGIFMTU, /proc/net/route);
 *  3. open an AF_PACKET socket bound to it (ETH_P_ALL, with virtio headers
 *     so that checksum-offloaded and GSO frames can be completed);
 *  4. remove the addresses from the host kernel (RTM_DELADDR for IPv4,
 *     disable_ipv6 for IPv6) so that it no longer answers ARP, ICMP or TCP
 *     for them; the link stays up. The result is checked: an address left
 *     behind is an error, not a warning (two stacks would answer);
 *  5. hand everything to netstack/netif_packet.c; lwIP answers for the
 *     addresses with the same MAC from its start (right after confinement).
 *
 * The nameservers come from the namespace's /etc/resolv.conf (what
 * `ip netns exec` shows: /etc/netns/NAME/resolv.conf when it exists).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/network.h"
#include "netstack/netif_packet.h"
#include "util/log.h"

#define ERR(...) ((void)snprintf(err, errlen, __VA_ARGS__))

/* The interface of the IPv4 default route (from /proc/net/route) and its
 * gateway. 0 when found, -ENOENT otherwise. */
static int default_route(char ifname[IFNAMSIZ], uint8_t gw[4])
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[512];
	int r = -ENOENT;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned dst, gwv, flags, mask;
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", name, &dst, &gwv, &flags,
			   &mask) != 5)
			continue;
		if (dst != 0 || mask != 0 || !(flags & 0x2 /* RTF_GATEWAY */) ||
		    strlen(name) >= IFNAMSIZ)
			continue;
		/* The file prints the network-order word as a host integer. */
		memcpy(gw, &gwv, 4);
		memcpy(ifname, name, strlen(name) + 1);
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

static int prefix_len(const uint8_t *mask, int n)
{
	int p = 0;
	for (int i = 0; i < n; i++)
		for (int b = 7; b >= 0; b--) {
			if (!(mask[i] >> b & 1))
				return p;
			p++;
		}
	return p;
}

/* RTM_DELADDR of one IPv4 address of interface index. */
static int del_addr4(int index, const uint8_t addr[4], int prefix)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
		struct rtattr rta;
		uint8_t a[4];
	} req;
	struct sockaddr_nl kern = {.nl_family = AF_NETLINK};
	char buf[1024];
	int fd, r = -EIO;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_DELADDR;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.h.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET;
	req.ifa.ifa_prefixlen = (uint8_t)prefix;
	req.ifa.ifa_index = (unsigned)index;
	req.rta.rta_type = IFA_LOCAL;
	req.rta.rta_len = RTA_LENGTH(4);
	memcpy(req.a, addr, 4);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kern, sizeof(kern)) < 0) {
		r = -errno;
		goto out;
	}
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if ((size_t)n >= sizeof(*h) + sizeof(struct nlmsgerr) && h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		r = e.error;
	}
out:
	close(fd);
	return r;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

void network_parse_resolv(const char *text, struct network_sandbox *out)
{
	const char *p = text;
	while (*p && out->ndns < NETWORK_MAX_DNS) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], word[64], addr[64];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = 0;
			unsigned char b[16];
			if (sscanf(line, " %63s %63s", word, addr) == 2 &&
			    strcmp(word, "nameserver") == 0) {
				/* Drop a zone suffix ("fe80::1%eth0"): not routable here. */
				bool v4 = inet_pton(AF_INET, addr, b) == 1;
				bool v6 = !v4 && inet_pton(AF_INET6, addr, b) == 1;
				bool loop = (v4 && b[0] == 127) ||
					    (v6 && memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
				if ((v4 || v6) && !loop && strlen(addr) < sizeof(out->dns_buf[0])) {
					memcpy(out->dns_buf[out->ndns], addr, strlen(addr) + 1);
					out->dns[out->ndns] = out->dns_buf[out->ndns];
					out->ndns++;
					out->dns[out->ndns] = NULL;
				} else if (loop) {
					log_warn("network: nameserver %s is the host's loopback, "
						 "which the sandbox cannot reach: left out", addr);
				}
			}
		}
		p += len;
		if (*p)
			p++;
	}
}

static void read_resolv(struct network_sandbox *out)
{
	char text[8192];
	FILE *f = fopen("/etc/resolv.conf", "re");
	if (!f)
		return;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	network_parse_resolv(text, out);
}

/* Choose the interface; fill name/index/mac. */
static int choose_if(struct ifaddrs *ifs, struct netif_packet_config *c, char *err, size_t errlen)
{
	char defif[IFNAMSIZ] = "";
	uint8_t gw[4] = {0};
	int found = 0;

	if (default_route(defif, gw) == 0) {
		c->has_gw4 = true;
		memcpy(c->gw4, gw, 4);
	}
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)i->ifa_addr;
		if (ll->sll_hatype != ARPHRD_ETHER || ll->sll_halen != 6)
			continue;
		if (defif[0] && strcmp(defif, i->ifa_name) != 0)
			continue;
		if (found++) {
			ERR("more than one Ethernet interface (%s, %s) and no default route to "
			    "choose one",
			    c->ifname, i->ifa_name);
			return -EINVAL;
		}
		snprintf(c->ifname, sizeof(c->ifname), "%s", i->ifa_name);
		c->ifindex = ll->sll_ifindex;
		memcpy(c->mac, ll->sll_addr, 6);
		if (!(i->ifa_flags & IFF_UP)) {
			ERR("interface %s is down", i->ifa_name);
			return -ENETDOWN;
		}
	}
	if (!found) {
		ERR("no Ethernet interface in this network namespace (--network=sandbox needs "
		    "one, e.g. a veth end)");
		return -ENODEV;
	}
	if (c->has_gw4 && strcmp(defif, c->ifname) != 0)
		c->has_gw4 = false;
	return 0;
}

/* The interface's addresses (IPv4: the first; IPv6: up to the maximum). */
static void read_addrs(struct ifaddrs *ifs, struct netif_packet_config *c)
{
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, c->ifname) != 0 || !i->ifa_netmask)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)i->ifa_addr;
			const struct sockaddr_in *m = (const struct sockaddr_in *)i->ifa_netmask;
			if (c->has_addr4) {
				log_warn("network: %s has more than one IPv4 address; the sandbox "
					 "answers for the first only", c->ifname);
				continue;
			}
			memcpy(c->addr4, &a->sin_addr, 4);
			c->prefix4 = (uint8_t)prefix_len((const uint8_t *)&m->sin_addr, 4);
			c->has_addr4 = true;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)i->ifa_addr;
			const struct sockaddr_in6 *m = (const struct sockaddr_in6 *)i->ifa_netmask;
			if (c->naddr6 >= NETIF_PACKET_MAX_ADDR6) {
				log_warn("network: %s: more than %d IPv6 addresses; the rest are "
					 "left out", c->ifname, NETIF_PACKET_MAX_ADDR6);
				continue;
			}
			memcpy(c->addr6[c->naddr6].addr, &a->sin6_addr, 16);
			c->addr6[c->naddr6].prefix =
				(uint8_t)prefix_len((const uint8_t *)&m->sin6_addr, 16);
			c->naddr6++;
		}
	}
}

/* The packet socket on ifindex. */
static int open_packet(int ifindex, char *err, size_t errlen)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), one = 1;
	int rcvbuf = 4 << 20;
	if (fd < 0) {
		int e = -errno;
		ERR("AF_PACKET socket: %s (CAP_NET_RAW in the namespace is needed)", strerror(errno));
		return e;
	}
	/* Checksum-offloaded and GSO frames come with what is needed to finish
	 * them (netif_packet.c); without it such frames would be dropped. */
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		log_warn("network: PACKET_VNET_HDR: %s (offloaded frames will be dropped)",
			 strerror(errno));
#ifdef PACKET_IGNORE_OUTGOING
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = -errno;
		ERR("binding the packet socket: %s", strerror(errno));
		close(fd);
		return e;
	}
	/* Frames queued before bind (any interface): drop them. The receive
	 * thread also checks each frame's interface. */
	char junk[64];
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
	return fd;
}

static int mtu_of(int fd, const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	return ifr.ifr_mtu;
}

/* Remove every address from the host's interface; verify. */
static int take_addresses(const struct netif_packet_config *c, char *err, size_t errlen)
{
	struct ifaddrs *ifs;
	char path[128];
	int r;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", c->ifname);
	r = write_sysctl(path, "1");
	if (r < 0 && r != -ENOENT)
		log_warn("network: %s: %s", path, strerror(-r));
	/* Every IPv4 address (not only the one lwIP takes). */
	for (int pass = 0; pass < 8; pass++) {
		if (getifaddrs(&ifs) < 0) {
			r = -errno;
			ERR("getifaddrs: %s", strerror(errno));
			return r;
		}
		int left = 0;
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || strcmp(i->ifa_name, c->ifname) != 0)
				continue;
			if (i->ifa_addr->sa_family == AF_INET) {
				const struct sockaddr_in *a = (const struct sockaddr_in *)i->ifa_addr;
				int p = i->ifa_netmask ? prefix_len((const uint8_t *)&((
						const struct sockaddr_in *)i->ifa_netmask)->sin_addr, 4)
						       : 32;
				left++;
				if (pass < 7 && (r = del_addr4(c->ifindex, (const uint8_t *)&a->sin_addr, p)) < 0)
					log_warn("network: removing an IPv4 address of %s: %s",
						 c->ifname, strerror(-r));
			} else if (i->ifa_addr->sa_family == AF_INET6) {
				left++;
			}
		}
		freeifaddrs(ifs);
		if (!left)
			return 0;
	}
	ERR("cannot remove the addresses of %s from the host kernel (CAP_NET_ADMIN in the "
	    "namespace is needed); refusing to run two stacks on one interface",
	    c->ifname);
	return -EPERM;
}

int network_sandbox_boot(struct network_sandbox *out, char *err, size_t errlen)
{
	struct netif_packet_config c;
	struct ifaddrs *ifs;
	int r, fd;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	if (getifaddrs(&ifs) < 0) {
		r = -errno;
		ERR("getifaddrs: %s", strerror(errno));
		return r;
	}
	r = choose_if(ifs, &c, err, errlen);
	if (r == 0)
		read_addrs(ifs, &c);
	freeifaddrs(ifs);
	if (r < 0)
		return r;
	if (!c.has_addr4 && c.naddr6 == 0) {
		ERR("interface %s has no address", c.ifname);
		return -EADDRNOTAVAIL;
	}
	fd = open_packet(c.ifindex, err, errlen);
	if (fd < 0)
		return fd;
	r = mtu_of(fd, c.ifname);
	if (r < 68 || r > NETIF_PACKET_MAX_MTU) {
		ERR("interface %s: unusable MTU (%d)", c.ifname, r);
		close(fd);
		return -EINVAL;
	}
	c.mtu = (unsigned)r;
	c.fd = fd;
	r = take_addresses(&c, err, errlen);
	if (r < 0) {
		close(fd);
		return r;
	}
	r = netif_packet_configure(&c);
	if (r < 0) {
		ERR("interface %s: unusable configuration", c.ifname);
		close(fd);
		return r;
	}
	if (c.has_addr4)
		inet_ntop(AF_INET, c.addr4, out->addr4, sizeof(out->addr4));
	read_resolv(out);
	log_info("network: sandbox interface %s (index %d, mtu %u): %s/%d%s, %d IPv6 "
		 "address(es), %d nameserver(s)",
		 c.ifname, c.ifindex, c.mtu, out->addr4[0] ? out->addr4 : "-", c.prefix4,
		 c.has_gw4 ? " with a default gateway" : "", c.naddr6, out->ndns);
	return 0;
}
