/*
 * The sentry's gofer client against a lying gofer: a thread on the other end
 * of a socketpair answers each request with a crafted reply. Every malformed
 * reply must give -EIO (and leak no descriptor); well-formed ones decode.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "gofer/protocol.h"

struct fake {
	int sock;
	uint32_t type_xor;  /* corrupt the reply type */
	uint32_t tag_delta; /* corrupt the tag */
	uint32_t len_delta; /* corrupt the header length */
	int32_t err;	    /* error word */
	size_t plen;	    /* payload bytes */
	char payload[4096];
	int fds[4]; /* descriptors to donate */
	int nfds;
	bool header_only; /* send a reply shorter than header + error word */
};

static struct fake fk;
static struct gofer_client *gc;
static int peer;
static pthread_t thr;

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char req[GOFER_MSG_MAX], out[sizeof(struct gofer_hdr) + 8 + 4096];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct gofer_hdr h, rh;
	struct gofer_rhdr e = {.err = f->err};
	struct iovec iov = {.iov_base = out};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recv(f->sock, req, sizeof(req), 0);

	if (n < (ssize_t)sizeof(h))
		return NULL;
	memcpy(&h, req, sizeof(h));
	rh.type = (h.type | GOFER_REPLY) ^ f->type_xor;
	rh.tag = h.tag + f->tag_delta;
	rh.len = (uint32_t)(sizeof(e) + f->plen) + f->len_delta;
	memcpy(out, &rh, sizeof(rh));
	memcpy(out + sizeof(rh), &e, sizeof(e));
	memcpy(out + sizeof(rh) + sizeof(e), f->payload, f->plen);
	iov.iov_len = f->header_only ? sizeof(rh) : sizeof(rh) + sizeof(e) + f->plen;
	if (f->nfds) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)f->nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)f->nfds);
		memcpy(CMSG_DATA(c), f->fds, sizeof(int) * (size_t)f->nfds);
	}
	sendmsg(f->sock, &msg, MSG_NOSIGNAL);
	return NULL;
}

static void setup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	gc = gofer_client_new(sv[0]);
	ck_assert_ptr_nonnull(gc);
	peer = sv[1];
	memset(&fk, 0, sizeof(fk));
	fk.sock = peer;
}

static void teardown(void)
{
	gofer_client_close(gc);
	close(peer);
}

/* Arm the fake for the next request. */
static void arm(void)
{
	ck_assert_int_eq(pthread_create(&thr, NULL, fake_main, &fk), 0);
}

static void done(void)
{
	pthread_join(thr, NULL);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own descriptor */
}

static void good_attr(void)
{
	struct gofer_wire_attr a = {.ino = 42, .mode = S_IFREG | 0644, .size = 7, .mtime_nsec = 5};

	memcpy(fk.payload, &a, sizeof(a));
	fk.plen = sizeof(a);
}

static int do_stat(struct gofer_attr *a)
{
	int r;

	arm();
	r = gofer_stat(gc, 1, a);
	done();
	return r;
}

START_TEST(test_gofer_client_good_reply_decodes)
{
	struct gofer_attr a;

	good_attr();
	ck_assert_int_eq(do_stat(&a), 0);
	ck_assert_uint_eq(a.ino, 42);
	ck_assert_uint_eq(a.size, 7);
	ck_assert_uint_eq(a.mtime_nsec, 5);
	fk.err = -ENOENT;
	fk.plen = 0;
	ck_assert_int_eq(do_stat(&a), -ENOENT);
}
END_TEST

START_TEST(test_gofer_client_bad_headers)
{
	struct gofer_attr a;

	good_attr();
	fk.tag_delta = 1;
	ck_assert_int_eq(do_stat(&a), -EIO);
	/* The connection is dead now, even for a good reply. */
	fk.tag_delta = 0;
	ck_assert_int_eq(gofer_stat(gc, 1, &a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_bad_type)
{
	struct gofer_attr a;

	good_attr();
	fk.type_xor = GOFER_REPLY;
	ck_assert_int_eq(do_stat(&a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_bad_len)
{
	struct gofer_attr a;

	good_attr();
	fk.len_delta = 1;
	ck_assert_int_eq(do_stat(&a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_short_reply)
{
	struct gofer_attr a;

	good_attr();
	fk.header_only = true;
	fk.len_delta = (uint32_t) - (int)(sizeof(struct gofer_rhdr) + fk.plen);
	ck_assert_int_eq(do_stat(&a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_bad_errors)
{
	static const int32_t bad[] = {5, -5000, INT32_MIN};
	struct gofer_attr a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		teardown();
		setup();
		fk.err = bad[i];
		ck_assert_int_eq(do_stat(&a), -EIO);
	}
	/* An error with a payload. */
	teardown();
	setup();
	good_attr();
	fk.err = -ENOENT;
	ck_assert_int_eq(do_stat(&a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_bad_payload_size)
{
	struct gofer_attr a;

	good_attr();
	fk.plen -= 1;
	ck_assert_int_eq(do_stat(&a), -EIO);
	teardown();
	setup();
	good_attr();
	fk.plen += 8;
	ck_assert_int_eq(do_stat(&a), -EIO);
	teardown();
	setup();
	good_attr();
	fk.payload[offsetof(struct gofer_wire_attr, ctime_nsec) + 3] = 0x7f; /* >= 1e9 */
	ck_assert_int_eq(do_stat(&a), -EIO);
}
END_TEST

START_TEST(test_gofer_client_unexpected_fd_closed)
{
	struct gofer_attr a;
	int before = count_fds();

	good_attr();
	fk.fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fk.nfds = 1;
	ck_assert_int_eq(do_stat(&a), -EIO);
	close(fk.fds[0]);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

static int do_open(int flags, int *fd)
{
	int r;

	arm();
	r = gofer_open(gc, 1, flags, fd);
	done();
	return r;
}

START_TEST(test_gofer_client_open_fd_checks)
{
	int before = count_fds(), fd, sv[2];
	char tmpl[] = "/tmp/gofer-client-XXXXXX";
	int file = mkstemp(tmpl);

	ck_assert_int_ge(file, 0);
	unlink(tmpl);
	before++;

	/* Good: one descriptor with the right access mode. */
	fk.fds[0] = open("/proc/self/exe", O_RDONLY);
	fk.nfds = 1;
	ck_assert_int_eq(do_open(O_RDONLY, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	close(fk.fds[0]);

	/* No descriptor. */
	fk.nfds = 0;
	ck_assert_int_eq(do_open(O_RDONLY, &fd), -EIO);
	ck_assert_int_eq(fd, -1);

#define BAD_OPEN(req_flags, ...)                                                                   \
	do {                                                                                       \
		int fds_[] = {__VA_ARGS__};                                                        \
		teardown();                                                                        \
		setup();                                                                           \
		fk.nfds = (int)(sizeof(fds_) / sizeof(int));                                       \
		memcpy(fk.fds, fds_, sizeof(fds_));                                                \
		ck_assert_int_eq(do_open(req_flags, &fd), -EIO);                                   \
		ck_assert_int_eq(fd, -1);                                                          \
	} while (0)

	/* Two descriptors, an O_PATH one, the wrong access mode, a socket. */
	BAD_OPEN(O_RDONLY, file, file);
	BAD_OPEN(O_RDONLY, open("/tmp", O_PATH | O_CLOEXEC));
	close(fk.fds[0]);
	BAD_OPEN(O_RDONLY, file); /* file is O_RDWR */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	BAD_OPEN(O_RDWR, sv[0]);
	close(sv[0]);
	close(sv[1]);
	close(file);
	ck_assert_int_eq(count_fds(), before - 1);
}
END_TEST

/* Append one wire dirent to the fake's payload. */
static void put_dirent(size_t *off, const char *name, size_t namelen, uint8_t type)
{
	struct gofer_wire_dirent we = {
	    .ino = 1, .next_off = 2, .type = type, .namelen = (uint16_t)namelen};
	size_t rec = GOFER_DIRENT_RECLEN(namelen);

	memset(fk.payload + *off, 0, rec);
	memcpy(fk.payload + *off, &we, sizeof(we));
	memcpy(fk.payload + *off + sizeof(we), name, namelen);
	*off += rec;
}

static int do_getdents(uint32_t count, size_t off, int max)
{
	static struct gofer_dirent ents[8];
	struct gofer_rgetdents rg = {.count = count};
	int r;

	memcpy(fk.payload, &rg, sizeof(rg));
	fk.plen = off;
	arm();
	r = gofer_getdents(gc, 1, 0, ents, max);
	done();
	if (r == 2)
		ck_assert_str_eq(ents[1].name, "b");
	return r;
}

START_TEST(test_gofer_client_getdents_checks)
{
	char big[300];
	size_t off;

	memset(big, 'x', sizeof(big));
#define DENTS(expect, count, max, ...)                                                             \
	do {                                                                                       \
		teardown();                                                                        \
		setup();                                                                           \
		off = sizeof(struct gofer_rgetdents);                                              \
		__VA_ARGS__;                                                                       \
		ck_assert_int_eq(do_getdents(count, off, max), expect);                            \
	} while (0)

	DENTS(2, 2, 8, put_dirent(&off, "a", 1, DT_REG); put_dirent(&off, "b", 1, DT_DIR));
	DENTS(-EIO, 2, 1, put_dirent(&off, "a", 1, DT_REG); put_dirent(&off, "b", 1, DT_DIR));
	DENTS(-EIO, 3, 8, put_dirent(&off, "a", 1, DT_REG); put_dirent(&off, "b", 1, DT_DIR));
	DENTS(-EIO, 1, 8, put_dirent(&off, "a", 1, DT_REG); put_dirent(&off, "b", 1, DT_DIR));
	DENTS(-EIO, 1, 8, put_dirent(&off, "a/b", 3, DT_REG));
	DENTS(-EIO, 1, 8, put_dirent(&off, "a\0b", 3, DT_REG));
	DENTS(-EIO, 1, 8, put_dirent(&off, "", 0, DT_REG));
	DENTS(-EIO, 1, 8, put_dirent(&off, big, 256, DT_REG));
	DENTS(-EIO, 1, 8, put_dirent(&off, "a", 1, 200));
	DENTS(-EIO, 1, 8, put_dirent(&off, "abc", 3, DT_REG); fk.payload[off - 5] = 'x'); /* NUL */
	DENTS(-EIO, 1, 8, put_dirent(&off, "abc", 3, DT_REG); off -= 1);		  /* cut */
	DENTS(-EIO, 0, 8, off -= 1);
	DENTS(0, 0, 8, (void)0);
}
END_TEST

static ssize_t do_readlink(uint32_t len, const char *target, size_t tlen, char *buf, size_t size)
{
	struct gofer_rreadlink rl = {.len = len};
	ssize_t r;

	memcpy(fk.payload, &rl, sizeof(rl));
	memcpy(fk.payload + sizeof(rl), target, tlen);
	fk.plen = sizeof(rl) + tlen;
	arm();
	r = gofer_readlink(gc, 1, buf, size);
	done();
	return r;
}

START_TEST(test_gofer_client_readlink_checks)
{
	char buf[16];

	ck_assert_int_eq(do_readlink(3, "abc", 3, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "abc");
	teardown();
	setup();
	ck_assert_int_eq(do_readlink(4, "abc", 3, buf, sizeof(buf)), -EIO);
	teardown();
	setup();
	ck_assert_int_eq(do_readlink(0, "", 0, buf, sizeof(buf)), -EIO);
	teardown();
	setup();
	ck_assert_int_eq(do_readlink(3, "a\0c", 3, buf, sizeof(buf)), -EIO);
}
END_TEST

START_TEST(test_gofer_client_walk_checks)
{
	struct gofer_rwalk rw = {.fid = 0};
	gofer_fid f;

	memcpy(fk.payload, &rw, sizeof(rw));
	fk.plen = sizeof(rw);
	arm();
	ck_assert_int_eq(gofer_walk(gc, 1, "x", &f, NULL), -EIO);
	done();
	/* Bad names never reach the gofer (no fake armed: would block). */
	ck_assert_int_eq(gofer_walk(gc, 1, "a/b", &f, NULL), -EINVAL);
	ck_assert_int_eq(gofer_walk(gc, 1, "..", &f, NULL), -EINVAL);
}
END_TEST

START_TEST(test_gofer_client_peer_gone)
{
	struct gofer_attr a;

	close(peer);
	peer = -1;
	ck_assert_int_eq(gofer_stat(gc, 1, &a), -EIO);
	ck_assert_int_eq(gofer_root(gc, &(gofer_fid){0}, &a), -EIO);
}
END_TEST

Suite *gofer_client_suite(void)
{
	Suite *s = suite_create("gofer_client");
	TCase *tc = tcase_create("replies");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gofer_client_good_reply_decodes);
	tcase_add_test(tc, test_gofer_client_bad_headers);
	tcase_add_test(tc, test_gofer_client_bad_type);
	tcase_add_test(tc, test_gofer_client_bad_len);
	tcase_add_test(tc, test_gofer_client_short_reply);
	tcase_add_test(tc, test_gofer_client_bad_errors);
	tcase_add_test(tc, test_gofer_client_bad_payload_size);
	tcase_add_test(tc, test_gofer_client_unexpected_fd_closed);
	tcase_add_test(tc, test_gofer_client_open_fd_checks);
	tcase_add_test(tc, test_gofer_client_getdents_checks);
	tcase_add_test(tc, test_gofer_client_readlink_checks);
	tcase_add_test(tc, test_gofer_client_walk_checks);
	tcase_add_test(tc, test_gofer_client_peer_gone);
	suite_add_tcase(s, tc);
	return s;
}
