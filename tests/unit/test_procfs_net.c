/*
 * /proc/net renderers (sentry/fs/procfs_net.c) and the /etc files' text
 * (sentry/fs/etc_files.c): rows as Linux prints them, and hostile sizes.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fs/fs.h"
#include "fs/procfs.h"
#include "socket/inet_proc.h"
#include "socket/unix_proc.h"
#include "vfs/vfs_impl.h"

/* The seq_buf's text as a NUL-terminated string (freed by the caller). */
static char *seq_text(struct seq_buf *s)
{
	char *out = malloc(s->len + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, s->buf, s->len);
	out[s->len] = 0;
	free(s->buf);
	return out;
}

START_TEST(unix_rows)
{
	struct unix_proc_entry v[4];
	memset(v, 0, sizeof(v));
	/* a listener on a path (length counts the NUL) */
	v[0] = (struct unix_proc_entry){.refcount = 2,
					.flags = 1u << 16,
					.type = 1,
					.state = 1,
					.inode = 60,
					.addr_len = 2 + 5};
	memcpy(v[0].addr + 2, "/a/b", 5);
	/* an abstract name with a NUL inside */
	v[1] = (struct unix_proc_entry){
	    .refcount = 2, .type = 2, .state = 1, .inode = 1234567, .addr_len = 2 + 4};
	memcpy(v[1].addr + 2, "\0x\0y", 4);
	/* unbound, connected */
	v[2] = (struct unix_proc_entry){.refcount = 3, .type = 5, .state = 3, .inode = 7};
	/* hostile length: never read past the array */
	v[3] = (struct unix_proc_entry){
	    .refcount = 1, .type = 1, .state = 1, .inode = 8, .addr_len = 100000};
	struct seq_buf s = {0};
	procfs_net_render_unix(&s, v, 4);
	char *t = seq_text(&s);
	ck_assert_str_eq(t, "Num       RefCount Protocol Flags    Type St Inode Path\n"
			    "0000000000000000: 00000002 00000000 00010000 0001 01    60 /a/b\n"
			    "0000000000000000: 00000002 00000000 00000000 0002 01 1234567 @x@y\n"
			    "0000000000000000: 00000003 00000000 00000000 0005 03     7\n"
			    "0000000000000000: 00000001 00000000 00000000 0001 01     8\n");
	free(t);
}
END_TEST

START_TEST(tcp4_listen_row_is_padded)
{
	struct inet_proc_sock k = {.family = AF_INET,
				   .local_addr = {127, 0, 0, 1},
				   .local_port = 8080,
				   .state = 10,
				   .uid = 0,
				   .inode = 1062};
	struct seq_buf s = {0};
	procfs_net_render_inet(&s, AF_INET, IPPROTO_TCP, 0, &k);
	char *t = seq_text(&s);
	/* Linux: "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000
	 * 00:00000000 00000000     0        0 1062 1 <ptr> 100 0 0 10 0"
	 * padded to 149 characters. */
	const char *want = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
			   "00000000     0        0 1062 1 0000000000000000 100 0 0 10 0";
	ck_assert_uint_eq(strlen(t), 150);
	ck_assert_int_eq(strncmp(t, want, strlen(want)), 0);
	for (size_t i = strlen(want); i < 149; i++)
		ck_assert_int_eq(t[i], ' ');
	ck_assert_int_eq(t[149], '\n');
	free(t);
}
END_TEST

START_TEST(udp6_row)
{
	struct inet_proc_sock k = {.family = AF_INET6,
				   .local_addr = {[15] = 1},
				   .local_port = 53,
				   .state = 7,
				   .uid = 1000,
				   .inode = 99};
	struct seq_buf s = {0};
	procfs_net_render_inet(&s, AF_INET6, IPPROTO_UDP, 3, &k);
	char *t = seq_text(&s);
	ck_assert_str_eq(t, "    3: 00000000000000000000000001000000:0035 "
			    "00000000000000000000000000000000:0000 07 00000000:00000000 "
			    "00:00000000 00000000  1000        0 99 2 0000000000000000 0\n");
	free(t);
}
END_TEST

static char *render_etc(void (*fn)(struct pbuf *, const struct etc_files_config *),
			const struct etc_files_config *cfg)
{
	struct pbuf b;
	size_t len;
	pbuf_init(&b);
	fn(&b, cfg);
	char *out = pbuf_steal(&b, &len);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(etc_texts)
{
	const char *dns[] = {"192.0.2.1", "2001:db8::1"};
	struct etc_files_config cfg = {.hostname = "box", .hostname_addr = "127.0.0.1"};
	char *t = render_etc(etc_render_hosts, &cfg);
	ck_assert_str_eq(t, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
			    "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
			    "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.0.1\tbox\n");
	free(t);
	t = render_etc(etc_render_hostname, &cfg);
	ck_assert_str_eq(t, "box\n");
	free(t);
	t = render_etc(etc_render_resolv, &cfg);
	ck_assert_ptr_null(strstr(t, "nameserver"));
	ck_assert_int_eq(t[0], '#');
	free(t);
	cfg.dns = dns;
	cfg.ndns = 2;
	t = render_etc(etc_render_resolv, &cfg);
	ck_assert_str_eq(t, "nameserver 192.0.2.1\nnameserver 2001:db8::1\n");
	free(t);
	/* "localhost" as the hostname: no duplicate line */
	cfg.hostname = "localhost";
	t = render_etc(etc_render_hosts, &cfg);
	ck_assert_ptr_null(strstr(t, "127.0.0.1\tlocalhost\n127"));
	ck_assert_ptr_null(strstr(t, "allrouters\n127.0.0.1"));
	free(t);
}
END_TEST

START_TEST(etc_validation)
{
	ck_assert(etc_hostname_valid("a"));
	ck_assert(etc_hostname_valid("web-1.example_x"));
	ck_assert(!etc_hostname_valid(""));
	ck_assert(!etc_hostname_valid("-x"));
	ck_assert(!etc_hostname_valid(".x"));
	ck_assert(!etc_hostname_valid("a b"));
	ck_assert(!etc_hostname_valid("a\nb"));
	ck_assert(!etc_hostname_valid("a/b"));
	char name[66];
	memset(name, 'a', 64);
	name[64] = 0;
	ck_assert(etc_hostname_valid(name));
	name[64] = 'a';
	name[65] = 0;
	ck_assert(!etc_hostname_valid(name));
	ck_assert(etc_dns_valid("8.8.8.8"));
	ck_assert(etc_dns_valid("::1"));
	ck_assert(!etc_dns_valid("8.8.8"));
	ck_assert(!etc_dns_valid("256.1.1.1"));
	ck_assert(!etc_dns_valid("dns.example"));
	ck_assert(!etc_dns_valid("1.1.1.1\nnameserver 6.6.6.6"));
}
END_TEST

Suite *procfs_net_suite(void)
{
	Suite *s = suite_create("procfs_net");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, unix_rows);
	tcase_add_test(tc, tcp4_listen_row_is_padded);
	tcase_add_test(tc, udp6_row);
	tcase_add_test(tc, etc_texts);
	tcase_add_test(tc, etc_validation);
	suite_add_tcase(s, tc);
	return s;
}
