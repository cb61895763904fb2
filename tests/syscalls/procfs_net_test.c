/*
 * /proc/net (/proc/PID/net): Linux's formats. Header lines are compared
 * byte for byte (with Linux's space padding), the rows of this process's
 * own AF_UNIX sockets field by field, and lo's lines where every namespace
 * has them. The inet tables' rows come with the inet stack
 * (tests/integration/procfs_net.sh compares whole files with a fresh
 * network namespace).
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

/* The whole file (malloc'd, NUL-terminated), or NULL. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	close(fd);
	return buf;
}

/* The first line of path (without '\n') equals want. */
static void first_line_is(const char *path, const char *want)
{
	char *s = slurp(path);
	if (!EXPECT_TRUE(s != NULL))
		return;
	char *nl = strchr(s, '\n');
	EXPECT_TRUE(nl != NULL);
	if (nl)
		*nl = 0;
	EXPECT_STREQ(s, want);
	free(s);
}

/* want padded with spaces to width, as Linux's seq_pad */
static char *padded(const char *want, int width)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%-*s", width, want);
	return buf;
}

TEST(proc_net_is_a_symlink_to_self_net)
{
	char buf[64] = {0};
	struct stat st;
	EXPECT_EQ(readlink("/proc/net", buf, sizeof(buf) - 1), 8);
	EXPECT_STREQ(buf, "self/net");
	EXPECT_SYS(stat("/proc/self/net", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/net/unix", getpid(), getpid());
	EXPECT_SYS(access(path, R_OK));
}

TEST(inet_table_headers)
{
	first_line_is("/proc/net/tcp",
		      padded("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			     "retrnsmt   uid  timeout inode",
			     149));
	first_line_is("/proc/net/udp",
		      padded("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			     "retrnsmt   uid  timeout inode ref pointer drops",
			     127));
	first_line_is(
	    "/proc/net/tcp6",
	    "  sl  local_address                         remote_address                   "
	    "     st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
	first_line_is(
	    "/proc/net/udp6",
	    "  sl  local_address                         remote_address                   "
	    "     st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
	    "pointer drops");
	first_line_is("/proc/net/route",
		      padded("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
			     "\tWindow\tIRTT",
			     127));
	first_line_is("/proc/net/netlink", "sk               Eth Pid        Groups   Rmem     "
					   "Wmem     Dump  Locks    Drops    Inode");
}

TEST(dev_has_lo)
{
	char *s = slurp("/proc/net/dev");
	if (!EXPECT_TRUE(s != NULL))
		return;
	static const char hdr[] =
	    "Inter-|   Receive                                                |  Transmit\n"
	    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
	    "errs drop fifo colls carrier compressed\n";
	EXPECT_TRUE(strncmp(s, hdr, strlen(hdr)) == 0);
	char *lo = strstr(s, "\n    lo:");
	EXPECT_TRUE(lo != NULL);
	if (lo) {
		unsigned long long v[16];
		int n = sscanf(lo + 8,
			       "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			       "%llu %llu %llu",
			       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
			       &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
		EXPECT_EQ(n, 16);
	}
	free(s);
}

TEST(if_inet6_has_lo_loopback)
{
	char *s = slurp("/proc/net/if_inet6");
	if (!EXPECT_TRUE(s != NULL))
		return;
	EXPECT_TRUE(strstr(s, "00000000000000000000000000000001 01 80 10 80       lo\n") != NULL);
	free(s);
}

/* snmp: header and value lines alternate, with as many fields each. */
TEST(snmp_rows_pair_up)
{
	char *s = slurp("/proc/net/snmp");
	if (!EXPECT_TRUE(s != NULL))
		return;
	EXPECT_TRUE(strncmp(s, "Ip: Forwarding DefaultTTL ", 26) == 0);
	EXPECT_TRUE(strstr(s, "\nTcp: RtoAlgorithm RtoMin RtoMax MaxConn ") != NULL);
	EXPECT_TRUE(strstr(s, "\nUdp: InDatagrams NoPorts InErrors OutDatagrams ") != NULL);
	char *save = NULL, *hdr;
	int pairs = 0;
	while ((hdr = strtok_r(pairs ? NULL : s, "\n", &save)) != NULL) {
		char *val = strtok_r(NULL, "\n", &save);
		if (!EXPECT_TRUE(val != NULL))
			break;
		size_t kl = strcspn(hdr, " ");
		EXPECT_TRUE(strncmp(hdr, val, kl) == 0);
		int nh = 0, nv = 0;
		for (char *p = hdr; *p; p++)
			nh += *p == ' ';
		for (char *p = val; *p; p++)
			nv += *p == ' ';
		EXPECT_EQ(nh, nv);
		pairs++;
	}
	EXPECT_GE(pairs, 4);
	free(s);
}

TEST(sockstat_layout)
{
	char *s = slurp("/proc/net/sockstat");
	if (!EXPECT_TRUE(s != NULL))
		return;
	unsigned used = 0;
	EXPECT_EQ(sscanf(s, "sockets: used %u\n", &used), 1);
	EXPECT_TRUE(strstr(s, "\nTCP: inuse ") != NULL);
	EXPECT_TRUE(strstr(s, "\nUDP: inuse ") != NULL);
	EXPECT_TRUE(strstr(s, "\nRAW: inuse ") != NULL);
	free(s);
}

/* The /proc/net/unix row of the socket with inode ino, split in fields:
 * f[0] Num, f[1] RefCount, f[2] Protocol, f[3] Flags, f[4] Type, f[5] St,
 * f[6] Inode, f[7] Path (may be absent). Returns the field count. */
static int unix_row_named(const char *all, unsigned long ino, const char *name, char f[8][128])
{
	char want[32];
	snprintf(want, sizeof(want), " %lu", ino);
	const char *line = strchr(all, '\n');
	while (line && *++line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char copy[512];
		if (len >= sizeof(copy))
			len = sizeof(copy) - 1;
		memcpy(copy, line, len);
		copy[len] = 0;
		int n = sscanf(copy, "%127s %127s %127s %127s %127s %127s %127s %127s", f[0], f[1],
			       f[2], f[3], f[4], f[5], f[6], f[7]);
		if (n >= 7 && strtoul(f[6], NULL, 10) == ino &&
		    (!name || (n == 8 && strcmp(f[7], name) == 0)))
			return n;
		line = end;
	}
	return 0;
}

static int unix_row(const char *all, unsigned long ino, char f[8][128])
{
	return unix_row_named(all, ino, NULL, f);
}

static unsigned long ino_of(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return 0;
	return (unsigned long)st.st_ino;
}

TEST(unix_rows)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char f[8][128];
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	int sp[2];
	if (!EXPECT_SYS(l) || !EXPECT_SYS(d) ||
	    !EXPECT_SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp)))
		return;
	/* a path name (relative: the row shows it as bound) */
	strcpy(a.sun_path, "sock");
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(l, 4));
	/* an abstract name with a NUL inside */
	struct sockaddr_un b = {.sun_family = AF_UNIX};
	memcpy(b.sun_path, "\0pnt\0x", 6);
	EXPECT_SYS(bind(d, (struct sockaddr *)&b, offsetof(struct sockaddr_un, sun_path) + 6));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));

	char *s = slurp("/proc/net/unix");
	if (!EXPECT_TRUE(s != NULL))
		return;
	EXPECT_TRUE(strncmp(s, "Num       RefCount Protocol Flags    Type St Inode Path\n", 56) ==
		    0);

	EXPECT_EQ(unix_row(s, ino_of(l), f), 8);
	EXPECT_EQ(strlen(f[0]), 17); /* 16 hex digits and ':' */
	EXPECT_STREQ(f[2], "00000000");
	EXPECT_STREQ(f[3], "00010000"); /* __SO_ACCEPTCON */
	EXPECT_STREQ(f[4], "0001");
	EXPECT_STREQ(f[5], "01");
	EXPECT_STREQ(f[7], "sock");

	EXPECT_EQ(unix_row(s, ino_of(d), f), 8);
	EXPECT_STREQ(f[3], "00000000");
	EXPECT_STREQ(f[4], "0002");
	EXPECT_STREQ(f[5], "01");
	EXPECT_STREQ(f[7], "@pnt@x");

	EXPECT_EQ(unix_row(s, ino_of(sp[0]), f), 7);
	EXPECT_STREQ(f[4], "0005");
	EXPECT_STREQ(f[5], "03");
	EXPECT_EQ(unix_row(s, ino_of(c), f), 7);
	EXPECT_STREQ(f[4], "0001");
	EXPECT_STREQ(f[5], "03"); /* connected */

	/* The connection waiting in l's queue: no inode yet, "connecting",
	 * the listener's name. */
	EXPECT_EQ(unix_row_named(s, 0, "sock", f), 8);
	EXPECT_STREQ(f[5], "02");
	free(s);

	/* A closed socket leaves the table. */
	unsigned long dino = ino_of(d);
	close(d);
	s = slurp("/proc/net/unix");
	EXPECT_EQ(unix_row(s ? s : "", dino, f), 0);
	free(s);
	close(l);
	close(c);
	close(sp[0]);
	close(sp[1]);
}
