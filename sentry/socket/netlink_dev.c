/*
 * The network device ioctls every socket answers (Linux's dev_ioctl and
 * dev_ifconf, reached from sock_ioctl when the family does not know the
 * command): SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU,
 * SIOCGIFHWADDR, SIOCGIFTXQLEN, SIOCGIFMETRIC, SIOCGIFMAP and SIOCGIFCONF,
 * about the sandbox's one interface, lo (as netlink_route.c describes it).
 * glibc's if_nametoindex/if_indextoname use them on an AF_UNIX socket.
 * The setters are EPERM without CAP_NET_ADMIN, else EOPNOTSUPP (the
 * network cannot be changed yet). The AF_INET address ioctls (SIOCGIFADDR,
 * SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFDSTADDR: Linux's devinet_ioctl)
 * are answered for AF_INET sockets only (sock_inet_addr_ioctl).
 */
#include <errno.h>
#include <string.h>

#include "kernel/task.h"
#include "mm/mm.h"
#include "netstack/netif_packet.h"
#include "socket/socket.h"

#define SIOCGIFNAME 0x8910
#define SIOCGIFNETMASK_ 0x891b
#define SIOCGIFBRDADDR_ 0x8919
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define SIOCGIFMETRIC 0x891d
#define SIOCSIFMETRIC 0x891e
#define SIOCGIFMTU 0x8921
#define SIOCSIFMTU 0x8922
#define SIOCSIFNAME 0x8923
#define SIOCSIFHWADDR 0x8924
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942
#define SIOCSIFTXQLEN 0x8943
#define SIOCGIFMAP 0x8970
#define SIOCSIFMAP 0x8971

#define LINUX_IFNAMSIZ 16
#define CAP_NET_ADMIN 12

struct linux_ifreq {
	char ifr_name[LINUX_IFNAMSIZ];
	union {
		struct {
			uint16_t sa_family;
			char sa_data[14];
		} addr;
		int16_t flags;
		int32_t ivalue;
		unsigned char raw[24];
	} u;
};

struct linux_ifconf {
	int32_t ifc_len;
	int32_t pad;
	uint64_t ifc_buf;
};

static int ifconf(struct task *t, uint64_t arg)
{
	struct linux_ifconf ic;
	if (copy_from_user(t, &ic, arg, sizeof(ic)))
		return -EFAULT;
	/* One AF_INET address: lo's 127.0.0.1 (Linux's inet_gifconf). */
	struct linux_ifreq r;
	memset(&r, 0, sizeof(r));
	strcpy(r.ifr_name, "lo");
	r.u.addr.sa_family = LINUX_AF_INET;
	static const unsigned char a4[6] = {0, 0, 127, 0, 0, 1}; /* port 0, addr */
	memcpy(r.u.addr.sa_data, a4, sizeof(a4));
	int done = 0;
	if (!ic.ifc_buf) {
		done = (int)sizeof(r);
	} else if (ic.ifc_len >= (int)sizeof(r)) {
		if (copy_to_user(t, ic.ifc_buf, &r, sizeof(r)))
			return -EFAULT;
		done = (int)sizeof(r);
	}
	/* --network=sandbox: its interface's IPv4 address too. */
	const struct netif_packet_config *e = netif_packet_get();
	if (e && e->has_addr4) {
		memset(&r, 0, sizeof(r));
		memcpy(r.ifr_name, e->ifname, strnlen(e->ifname, LINUX_IFNAMSIZ - 1));
		r.u.addr.sa_family = LINUX_AF_INET;
		memcpy(r.u.addr.sa_data + 2, e->addr4, 4);
		if (!ic.ifc_buf) {
			done += (int)sizeof(r);
		} else if (ic.ifc_len - done >= (int)sizeof(r)) {
			if (copy_to_user(t, ic.ifc_buf + (uint64_t)done, &r, sizeof(r)))
				return -EFAULT;
			done += (int)sizeof(r);
		}
	}
	ic.ifc_len = done;
	return copy_to_user(t, arg, &ic, sizeof(ic.ifc_len)) ? -EFAULT : 0;
}

long sock_dev_ioctl(struct task *t, unsigned cmd, uint64_t arg)
{
	struct linux_ifreq r;
	switch (cmd) {
	case SIOCGIFCONF:
		return ifconf(t, arg);
	case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFMETRIC: case SIOCGIFMTU:
	case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFTXQLEN: case SIOCGIFMAP:
		break;
	case SIOCSIFFLAGS: case SIOCSIFMETRIC: case SIOCSIFMTU: case SIOCSIFNAME:
	case SIOCSIFHWADDR: case SIOCSIFTXQLEN: case SIOCSIFMAP:
		if (copy_from_user(t, &r, arg, sizeof(r)))
			return -EFAULT;
		return creds_capable(&t->creds, CAP_NET_ADMIN) ? -EOPNOTSUPP : -EPERM;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(t, &r, arg, sizeof(r)))
		return -EFAULT;
	r.ifr_name[LINUX_IFNAMSIZ - 1] = 0;
	const struct netif_packet_config *e = netif_packet_get(); /* sandbox mode */
	if (cmd == SIOCGIFNAME) {
		if (e && r.u.ivalue == e->ifindex) {
			memset(r.ifr_name, 0, sizeof(r.ifr_name));
			memcpy(r.ifr_name, e->ifname, strnlen(e->ifname, LINUX_IFNAMSIZ - 1));
			return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
		}
		if (r.u.ivalue != 1)
			return -ENODEV;
		memset(r.ifr_name, 0, sizeof(r.ifr_name));
		strcpy(r.ifr_name, "lo");
		return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	if (e && strcmp(r.ifr_name, e->ifname) == 0) {
		memset(&r.u, 0, sizeof(r.u));
		switch (cmd) {
		case SIOCGIFFLAGS: r.u.flags = 0x1043; break; /* UP|BROADCAST|RUNNING|MULTICAST */
		case SIOCGIFMTU: r.u.ivalue = (int32_t)e->mtu; break;
		case SIOCGIFHWADDR:
			r.u.addr.sa_family = 1; /* ARPHRD_ETHER */
			memcpy(r.u.addr.sa_data, e->mac, 6);
			break;
		case SIOCGIFINDEX: r.u.ivalue = e->ifindex; break;
		case SIOCGIFTXQLEN: r.u.ivalue = 1000; break;
		default: break; /* METRIC 0, MAP zeros */
		}
		return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	if (strcmp(r.ifr_name, "lo") != 0)
		return -ENODEV;
	memset(&r.u, 0, sizeof(r.u));
	switch (cmd) {
	case SIOCGIFFLAGS: r.u.flags = 0x49; break; /* UP|LOOPBACK|RUNNING */
	case SIOCGIFMETRIC: r.u.ivalue = 0; break;
	case SIOCGIFMTU: r.u.ivalue = 65536; break;
	case SIOCGIFHWADDR: r.u.addr.sa_family = 772; break; /* ARPHRD_LOOPBACK, zeros */
	case SIOCGIFINDEX: r.u.ivalue = 1; break;
	case SIOCGIFTXQLEN: r.u.ivalue = 1000; break;
	case SIOCGIFMAP: break;
	}
	return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
}

/* An AF_INET socket's interface address ioctls: lo's 127.0.0.1/8 (no
 * broadcast) and, in sandbox mode, its interface's first IPv4 address.
 * -EADDRNOTAVAIL for an interface without one, -ENODEV for no interface. */
long sock_inet_addr_ioctl(struct task *t, unsigned cmd, uint64_t arg)
{
	struct linux_ifreq r;
	uint8_t addr[4], mask[4] = {0}, brd[4] = {0};
	unsigned prefix;

	if (copy_from_user(t, &r, arg, sizeof(r)))
		return -EFAULT;
	r.ifr_name[LINUX_IFNAMSIZ - 1] = 0;
	const struct netif_packet_config *e = netif_packet_get();
	if (strcmp(r.ifr_name, "lo") == 0) {
		static const uint8_t lo[4] = {127, 0, 0, 1};
		memcpy(addr, lo, 4);
		prefix = 8;
	} else if (e && strcmp(r.ifr_name, e->ifname) == 0) {
		if (!e->has_addr4)
			return -EADDRNOTAVAIL;
		memcpy(addr, e->addr4, 4);
		prefix = e->prefix4 > 32 ? 32 : e->prefix4;
	} else {
		return -ENODEV;
	}
	for (unsigned i = 0; i < prefix; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	if (strcmp(r.ifr_name, "lo") != 0 && prefix < 31)
		for (int i = 0; i < 4; i++)
			brd[i] = (uint8_t)(addr[i] | ~mask[i]);
	memset(&r.u, 0, sizeof(r.u));
	r.u.addr.sa_family = LINUX_AF_INET;
	const uint8_t *v = cmd == SIOCGIFNETMASK_ ? mask : cmd == SIOCGIFBRDADDR_ ? brd : addr;
	memcpy(r.u.addr.sa_data + 2, v, 4);
	return copy_to_user(t, arg, &r, sizeof(r)) ? -EFAULT : 0;
}
