/*
 * --network=sandbox helpers: finishing an offloaded checksum from a virtio
 * header (netstack/netif_packet.c), hostile offsets, and the nameservers
 * taken from resolv.conf (sentry/cli/network.c).
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "cli/network.h"
#include "netstack/netif_packet.h"

static uint16_t sum16(const uint8_t *p, unsigned len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An Ethernet/IPv4/UDP frame with a 7-byte payload; the UDP checksum field
 * holds the pseudo-header sum, as a host leaves it for offload. */
static unsigned make_udp(uint8_t *f, uint16_t *want)
{
	static const uint8_t ip[20] = {0x45, 0, 0, 35, 0, 1, 0, 0, 64, 17, 0, 0,
				       10, 200, 0, 1, 10, 200, 0, 2};
	static const uint8_t udp[15] = {0x30, 0x39, 0x00, 0x35, 0, 15, 0, 0,
					'p', 'a', 'y', 'l', 'o', 'a', 'd'};
	memset(f, 0, 14);
	f[12] = 0x08;
	memcpy(f + 14, ip, 20);
	memcpy(f + 34, udp, 15);
	/* pseudo header: src, dst, proto, udp length */
	uint32_t ps = sum16(ip + 12, 8, 17 + 15);
	/* the full checksum, for comparison */
	*want = (uint16_t)~sum16(udp, 15, ps);
	f[34 + 6] = (uint8_t)(ps >> 8);
	f[34 + 7] = (uint8_t)ps;
	return 14 + 20 + 15;
}

START_TEST(csum_completed)
{
	uint8_t f[64];
	uint16_t want;
	unsigned len = make_udp(f, &want);
	struct netif_packet_vnet h = {.flags = 1, .csum_start = 34, .csum_offset = 6};
	ck_assert_int_eq(netif_packet_fix_csum(f, len, &h), 0);
	ck_assert_uint_eq((unsigned)(f[40] << 8 | f[41]), want);
	/* no NEEDS_CSUM: untouched */
	uint8_t g[64];
	make_udp(g, &want);
	memcpy(f, g, sizeof(g));
	h.flags = 0;
	ck_assert_int_eq(netif_packet_fix_csum(f, len, &h), 0);
	ck_assert_int_eq(memcmp(f, g, len), 0);
}
END_TEST

START_TEST(csum_hostile_offsets)
{
	uint8_t f[64];
	uint16_t want;
	unsigned len = make_udp(f, &want);
	static const struct {
		uint16_t start, off;
	} bad[] = {{0, 6}, {13, 6}, {49, 0}, {60, 0}, {34, 14}, {34, 15}, {34, 0xffff},
		   {0xffff, 0xffff}, {47, 1}};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct netif_packet_vnet h = {.flags = 1, .csum_start = bad[i].start,
					      .csum_offset = bad[i].off};
		ck_assert_msg(netif_packet_fix_csum(f, len, &h) == -22, "start %u off %u",
			      bad[i].start, bad[i].off);
	}
	/* the last two bytes of the frame are still a valid field */
	struct netif_packet_vnet h = {.flags = 1, .csum_start = 34, .csum_offset = 13};
	ck_assert_int_eq(netif_packet_fix_csum(f, len, &h), 0);
}
END_TEST

START_TEST(not_configured)
{
	static const uint8_t a4[4] = {10, 200, 0, 2};
	/* the unit tests never configure sandbox mode */
	ck_assert_ptr_null(netif_packet_get());
	ck_assert(!netstack_sandbox_addr_local(a4, false));
	struct netif_packet_config c = {.fd = -1};
	ck_assert_int_eq(netif_packet_configure(&c), -22);
}
END_TEST

START_TEST(resolv_nameservers)
{
	struct network_sandbox n;
	memset(&n, 0, sizeof(n));
	network_parse_resolv("# comment\n"
			     "search example.org\n"
			     "nameserver 127.0.0.53\n"
			     "nameserver ::1\n"
			     "nameserver 10.0.0.1\n"
			     "nameserver not-an-address\n"
			     "  nameserver   2001:db8::53  \n"
			     "nameserver 1.1.1.1\n"
			     "nameserver 9.9.9.9\n"
			     "nameserver",
			     &n);
	ck_assert_int_eq(n.ndns, 3);
	ck_assert_str_eq(n.dns[0], "10.0.0.1");
	ck_assert_str_eq(n.dns[1], "2001:db8::53");
	ck_assert_str_eq(n.dns[2], "1.1.1.1");
	ck_assert_ptr_null(n.dns[3]);

	/* a very long line and no newline at the end */
	char big[1024];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memset(&n, 0, sizeof(n));
	network_parse_resolv(big, &n);
	ck_assert_int_eq(n.ndns, 0);
	network_parse_resolv("", &n);
	ck_assert_int_eq(n.ndns, 0);
}
END_TEST

Suite *netif_packet_suite(void)
{
	Suite *s = suite_create("netif_packet");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, csum_completed);
	tcase_add_test(tc, csum_hostile_offsets);
	tcase_add_test(tc, not_configured);
	tcase_add_test(tc, resolv_nameservers);
	suite_add_tcase(s, tc);
	return s;
}
