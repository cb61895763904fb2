/*
 * lwIP start-up and the loopback interface. See netstack.h.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"

#include "netstack/netif_packet.h"
#include "netstack/netstack.h"

static struct netif lo_netif;

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int start_result;
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int start_done;

/* Every packet sent on lo comes back in (queued by lwIP and fed to
 * ip_input from the tcpip thread, so no recursion). */
static err_t lo_output4(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
	(void)dst;
	return netif_loop_output(netif, p);
}

static err_t lo_output6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
	(void)dst;
	return netif_loop_output(netif, p);
}

static err_t lo_init(struct netif *netif)
{
	netif->name[0] = 'l';
	netif->name[1] = 'o';
	netif->output = lo_output4;
	netif->output_ip6 = lo_output6;
	netif->mtu = NETSTACK_LO_MTU;
	netif->hwaddr_len = 0;
	/* No ARP, no broadcast: a loopback device; IGMP so that multicast
	 * groups joined on lo are received (ip4_input checks them). */
	netif->flags = NETIF_FLAG_IGMP;
	return ERR_OK;
}

/* In the tcpip thread, core lock held. */
static void tcpip_ready(void *arg)
{
	(void)arg;
	ip4_addr_t addr, mask, gw;
	IP4_ADDR(&addr, 127, 0, 0, 1);
	IP4_ADDR(&mask, 255, 0, 0, 0);
	ip4_addr_set_zero(&gw);
	int err = 0;
	if (!netif_add(&lo_netif, &addr, &mask, &gw, NULL, lo_init, tcpip_input)) {
		err = -ENOMEM;
	} else {
		ip6_addr_t lo6;
		memset(&lo6, 0, sizeof(lo6));
		lo6.addr[3] = PP_HTONL(1);
		netif_ip6_addr_set(&lo_netif, 0, &lo6);
		netif_ip6_addr_set_state(&lo_netif, 0, IP6_ADDR_PREFERRED);
#if LWIP_IPV6_AUTOCONFIG
		lo_netif.ip6_autoconfig_enabled = 0;
#endif
		netif_set_default(&lo_netif);
		netif_set_up(&lo_netif);
		netif_set_link_up(&lo_netif);
#if LWIP_IPV6_SEND_ROUTER_SOLICIT
		lo_netif.rs_count = 0; /* no router solicitations on lo */
#endif
		err = netstack_sandbox_if_attach(); /* --network=sandbox (netif_packet.h) */
	}
	pthread_mutex_lock(&start_mu);
	start_result = err;
	start_done = 1;
	pthread_cond_broadcast(&start_cond);
	pthread_mutex_unlock(&start_mu);
}

static void start(void)
{
	/* The tcpip thread inherits our signal mask: block everything so that
	 * no process or task signal is ever delivered to it. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	tcpip_init(tcpip_ready, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&start_mu);
	while (!start_done)
		pthread_cond_wait(&start_cond, &start_mu);
	pthread_mutex_unlock(&start_mu);
}

int netstack_start(void)
{
	pthread_once(&start_once, start);
	return start_result;
}

/* Every interface: lwIP loops 127.0.0.0/8 and ::1 through the default
 * one, which need not be lo (--network=sandbox). */
void netstack_flush(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (n->loop_first)
			netif_poll(n);
	}
}

struct netif *netstack_lo(void)
{
	return &lo_netif;
}

int netstack_pending(void)
{
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (n->loop_first)
			return 1;
	}
	return 0;
}

int netstack_started(void)
{
	pthread_mutex_lock(&start_mu);
	int r = start_done && start_result == 0;
	pthread_mutex_unlock(&start_mu);
	return r;
}

void netstack_lock(void)
{
	LOCK_TCPIP_CORE();
}

void netstack_unlock(void)
{
	UNLOCK_TCPIP_CORE();
}
