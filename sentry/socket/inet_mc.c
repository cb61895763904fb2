/*
 * IPv4 multicast options of inet sockets (Linux's ip_setsockopt for
 * IP_ADD/DROP_MEMBERSHIP, IP_MULTICAST_IF/TTL/LOOP). The only interface is
 * lo: groups are joined there (IGMP in lwIP, which then accepts datagrams
 * sent to them; lo sends every packet back in). Per-socket memberships are
 * counted here so that joining twice or leaving a group not joined fails as
 * on Linux.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lwip/igmp.h"
#include "lwip/udp.h"

#include "netstack/netstack.h"
#include "socket/inet_impl.h"

struct lmreqn {
	uint32_t multiaddr, address;
	int32_t ifindex;
};

static bool is_multicast(uint32_t a)
{
	return (ntohl(a) & 0xf0000000u) == 0xe0000000u;
}

/* The interface a request names: only lo (index 1, 127.x.x.x, or any). */
static int lo_named(uint32_t addr, int32_t ifindex)
{
	if (ifindex && ifindex != 1)
		return -ENODEV;
	if (addr && (ntohl(addr) >> 24) != 127)
		return -ENODEV;
	return 0;
}

static int get_byte_or_int(const void *val, uint32_t len, int *v)
{
	if (len >= sizeof(int)) {
		memcpy(v, val, sizeof(int));
		return 0;
	}
	if (len >= 1) {
		*v = *(const unsigned char *)val;
		return 0;
	}
	return -EINVAL;
}

static int find_group(struct inet_sock *isk, uint32_t g)
{
	for (int i = 0; i < isk->mc_count; i++)
		if (isk->mc_groups[i] == g)
			return i;
	return -1;
}

/* inet_enter()ed. */
static int join(struct inet_sock *isk, uint32_t g)
{
	if (find_group(isk, g) >= 0)
		return -EADDRINUSE;
	if (isk->mc_count >= INET_MAX_MEMBERSHIPS)
		return -ENOBUFS;
	ip4_addr_t group = {.addr = g};
	err_t e = igmp_joingroup_netif(netstack_lo(), &group);
	if (e != ERR_OK)
		return e == ERR_MEM ? -ENOBUFS : -EINVAL;
	isk->mc_groups[isk->mc_count++] = g;
	return 0;
}

static int leave(struct inet_sock *isk, uint32_t g)
{
	int i = find_group(isk, g);
	if (i < 0)
		return -EADDRNOTAVAIL;
	ip4_addr_t group = {.addr = g};
	igmp_leavegroup_netif(netstack_lo(), &group);
	isk->mc_groups[i] = isk->mc_groups[--isk->mc_count];
	return 0;
}

void inet_mc_leave_all(struct inet_sock *isk)
{
	while (isk->mc_count)
		leave(isk, isk->mc_groups[isk->mc_count - 1]);
}

int inet_mc_setsockopt(struct inet_sock *isk, int name, const void *val, uint32_t len)
{
	int v, err = 0;
	struct lmreqn mr = {0, 0, 0};
	switch (name) {
	case LINUX_IP_MULTICAST_TTL:
	case LINUX_IP_MULTICAST_LOOP:
		if (isk->type == LINUX_SOCK_STREAM)
			return -EINVAL;
		if ((err = get_byte_or_int(val, len, &v)))
			return err;
		if (name == LINUX_IP_MULTICAST_TTL) {
			if (v == -1)
				v = 1;
			if (v < 0 || v > 255)
				return -EINVAL;
		}
		inet_enter();
		if (name == LINUX_IP_MULTICAST_TTL) {
			isk->mc_ttl = v;
			if (isk->udp)
				udp_set_multicast_ttl(isk->udp, (u8_t)v);
		} else {
			isk->mc_loop = v != 0;
		}
		inet_leave();
		return 0;
	case LINUX_IP_MULTICAST_IF:
		if (isk->type == LINUX_SOCK_STREAM)
			return -EINVAL;
		if (len >= sizeof(struct lmreqn)) {
			memcpy(&mr, val, sizeof(mr));
		} else if (len >= sizeof(uint32_t)) {
			memcpy(&mr.address, val, sizeof(uint32_t));
		} else {
			return -EINVAL;
		}
		if (lo_named(mr.address, mr.ifindex))
			return -EADDRNOTAVAIL;
		inet_enter();
		isk->mc_if = mr.address;
		inet_leave();
		return 0;
	case LINUX_IP_ADD_MEMBERSHIP:
	case LINUX_IP_DROP_MEMBERSHIP:
		if (len < 8)
			return -EINVAL;
		memcpy(&mr, val, len >= sizeof(mr) ? sizeof(mr) : 8);
		if (!is_multicast(mr.multiaddr))
			return -EINVAL;
		if (name == LINUX_IP_ADD_MEMBERSHIP && (err = lo_named(mr.address, mr.ifindex)))
			return err;
		inet_enter();
		err = name == LINUX_IP_ADD_MEMBERSHIP ? join(isk, mr.multiaddr)
						      : leave(isk, mr.multiaddr);
		inet_leave();
		return err;
	}
	return -ENOPROTOOPT;
}

int inet_mc_getsockopt(struct inet_sock *isk, int name, void *val, uint32_t *len)
{
	int v;
	switch (name) {
	case LINUX_IP_MULTICAST_TTL: v = isk->mc_ttl; break;
	case LINUX_IP_MULTICAST_LOOP: v = isk->mc_loop; break;
	case LINUX_IP_MULTICAST_IF: {
		uint32_t n = *len < 4 ? *len : 4;
		memcpy(val, &isk->mc_if, n);
		*len = n;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
	/* Linux gives a byte when asked for less than an int. */
	if (*len < sizeof(int) && *len > 0) {
		*(unsigned char *)val = (unsigned char)v;
		*len = 1;
		return 0;
	}
	uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}
