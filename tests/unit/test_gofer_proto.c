/*
 * The real gofer against malformed requests, spoken on the raw socket: short
 * messages, wrong lengths, bad fids, bad names, huge messages, descriptors
 * sent to it, unknown and reserved types, random garbage. Each gets an error
 * reply and the gofer keeps serving.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "gofer/protocol.h"
#include "test_gofer.h"

static char dir[64];
static int sock = -1;
static pid_t gpid;
static uint32_t tag = 100;

static void setup(void)
{
	char err[256] = "";

	gofer_test_make_tree(dir, sizeof(dir));
	sock = gofer_spawn_fd(GOFER_PATH, dir, false, &gpid, err, sizeof(err));
	ck_assert_msg(sock >= 0, "gofer_spawn_fd: %s", err);
}

static void teardown(void)
{
	int status;

	close(sock);
	ck_assert_int_eq(waitpid(gpid, &status, 0), gpid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gofer status %#x", status);
	gofer_test_remove_tree(dir);
}

static void send_raw(const void *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receive one reply; returns its error word, checks type and tag. Closes
 * any donated descriptor. *plen gets the payload length. */
static int recv_reply(uint32_t want_type, uint32_t want_tag, size_t *plen)
{
	static char buf[GOFER_MSG_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
	struct gofer_hdr h;
	struct gofer_rhdr rh;
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	ck_assert_int_ge(n, (ssize_t)(sizeof(h) + sizeof(rh)));
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		int fd;

		ck_assert_int_eq(c->cmsg_len, CMSG_LEN(sizeof(int)));
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		close(fd);
	}
	memcpy(&h, buf, sizeof(h));
	memcpy(&rh, buf + sizeof(h), sizeof(rh));
	ck_assert_uint_eq(h.type, want_type | GOFER_REPLY);
	ck_assert_uint_eq(h.tag, want_tag);
	ck_assert_uint_eq(h.len, (size_t)n - sizeof(h));
	if (plen)
		*plen = (size_t)n - sizeof(h) - sizeof(rh);
	return rh.err;
}

/* Send a request with the given header length and body; return the error. */
static int request_len(uint32_t type, uint32_t hlen, const void *body, size_t blen)
{
	static char buf[GOFER_MSG_MAX * 3];
	struct gofer_hdr h = {.type = type, .tag = ++tag, .len = hlen};

	ck_assert_uint_le(blen + sizeof(h), sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	if (blen)
		memcpy(buf + sizeof(h), body, blen);
	send_raw(buf, sizeof(h) + blen, -1);
	return recv_reply(type, tag, NULL);
}

static int request(uint32_t type, const void *body, size_t blen)
{
	return request_len(type, (uint32_t)blen, body, blen);
}

static uint64_t get_root(void)
{
	struct gofer_hdr h = {.type = GOFER_T_ROOT, .tag = ++tag, .len = 0};
	char buf[256];
	struct gofer_rwalk rw;
	ssize_t n;

	send_raw(&h, sizeof(h), -1);
	n = recv(sock, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, (ssize_t)(sizeof(h) + sizeof(struct gofer_rhdr) + sizeof(rw)));
	memcpy(&rw, buf + sizeof(h) + sizeof(struct gofer_rhdr), sizeof(rw));
	ck_assert(rw.fid != 0);
	return rw.fid;
}

static void assert_serving(void)
{
	struct gofer_tversion v = {.version = GOFER_PROTO_VERSION};

	ck_assert_int_eq(request(GOFER_T_VERSION, &v, sizeof(v)), 0);
	get_root();
}

START_TEST(test_gofer_proto_short_messages)
{
	char junk[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	size_t n;

	for (n = 1; n < sizeof(struct gofer_hdr); n++) {
		send_raw(junk, n, -1);
		ck_assert_int_eq(recv_reply(GOFER_T_ERROR, 0, NULL), -EINVAL);
	}
	assert_serving();
}
END_TEST

START_TEST(test_gofer_proto_length_mismatch)
{
	uint64_t fid = get_root();

	ck_assert_int_eq(request_len(GOFER_T_STAT, 100, &fid, sizeof(fid)), -EINVAL);
	ck_assert_int_eq(request_len(GOFER_T_STAT, 4, &fid, sizeof(fid)), -EINVAL);
	ck_assert_int_eq(request_len(GOFER_T_STAT, 0xffffffffu, &fid, sizeof(fid)), -EINVAL);
	/* Right header, wrong body size for the type. */
	ck_assert_int_eq(request(GOFER_T_STAT, &fid, 4), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_ROOT, &fid, sizeof(fid)), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_OPEN, &fid, sizeof(fid)), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_GETDENTS, &fid, sizeof(fid)), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_STAT, &fid, sizeof(fid)), 0);
	assert_serving();
}
END_TEST

START_TEST(test_gofer_proto_bad_fids)
{
	static const uint64_t bad[] = {0, 1, 12345, ~0ull, 1ull << 32, (7ull << 32) | 1};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gofer_topen o = {.fid = bad[i]};
		struct gofer_tgetdents g = {.dir = bad[i], .max = 4};

		ck_assert_int_eq(request(GOFER_T_STAT, &bad[i], 8), -EBADF);
		ck_assert_int_eq(request(GOFER_T_READLINK, &bad[i], 8), -EBADF);
		ck_assert_int_eq(request(GOFER_T_STATFS, &bad[i], 8), -EBADF);
		ck_assert_int_eq(request(GOFER_T_CLUNK, &bad[i], 8), -EBADF);
		ck_assert_int_eq(request(GOFER_T_OPEN, &o, sizeof(o)), -EBADF);
		ck_assert_int_eq(request(GOFER_T_GETDENTS, &g, sizeof(g)), -EBADF);
	}
	assert_serving();
}
END_TEST

static int walk_raw(uint64_t fid, const char *name, size_t namelen)
{
	char body[8 + 600];

	memcpy(body, &fid, 8);
	memcpy(body + 8, name, namelen);
	return request(GOFER_T_WALK, body, 8 + namelen);
}

START_TEST(test_gofer_proto_bad_names)
{
	uint64_t root = get_root();
	char big[300];

	ck_assert_int_eq(walk_raw(root, "hello", 6), 0);
	ck_assert_int_eq(walk_raw(root, "sub/inner", 10), -EINVAL);
	ck_assert_int_eq(walk_raw(root, "/etc", 5), -EINVAL);
	ck_assert_int_eq(walk_raw(root, "..", 3), -EINVAL);
	ck_assert_int_eq(walk_raw(root, ".", 2), -EINVAL);
	ck_assert_int_eq(walk_raw(root, "", 1), -EINVAL);
	ck_assert_int_eq(walk_raw(root, "hello", 5), -EINVAL);	   /* no NUL */
	ck_assert_int_eq(walk_raw(root, "hel\0lo", 7), -EINVAL);   /* embedded NUL */
	ck_assert_int_eq(walk_raw(root, "hello\0\0", 7), -EINVAL); /* two NULs */
	ck_assert_int_eq(walk_raw(root, "", 0), -EINVAL);	   /* no name */
	ck_assert_int_eq(request(GOFER_T_WALK, &root, 4), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[256] = '\0';
	ck_assert_int_eq(walk_raw(root, big, 257), -ENAMETOOLONG);
	big[255] = '\0';
	ck_assert_int_eq(walk_raw(root, big, 256), -ENOENT); /* 255 is legal */
	assert_serving();
}
END_TEST

START_TEST(test_gofer_proto_huge_messages)
{
	static char body[GOFER_MSG_MAX * 2];
	uint64_t root = get_root();

	memcpy(body, &root, sizeof(root));
	/* Exactly one byte over the limit, and far over it. */
	ck_assert_int_eq(request(GOFER_T_STAT, body, GOFER_MSG_MAX - sizeof(struct gofer_hdr) + 1),
			 -EINVAL);
	ck_assert_int_eq(request(GOFER_T_WALK, body, sizeof(body)), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_GETDENTS, body, 5000), -EINVAL);
	assert_serving();
}
END_TEST

static int count_fds(pid_t pid)
{
	char p[64];
	struct dirent *d;
	int n = 0;
	DIR *dp;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	dp = opendir(p);
	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		n += d->d_name[0] != '.';
	closedir(dp);
	return n;
}

START_TEST(test_gofer_proto_fds_sent_to_gofer)
{
	struct gofer_tversion v = {.version = GOFER_PROTO_VERSION};
	char buf[sizeof(struct gofer_hdr) + sizeof(v)];
	struct gofer_hdr h = {.type = GOFER_T_VERSION, .len = sizeof(v)};
	int before, i;

	assert_serving();
	before = count_fds(gpid);
	for (i = 0; i < 3; i++) {
		h.tag = ++tag;
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &v, sizeof(v));
		send_raw(buf, sizeof(buf), 0);
		ck_assert_int_eq(recv_reply(GOFER_T_VERSION, tag, NULL), -EINVAL);
	}
	/* The gofer closed what it was sent (only checkable where /proc lets us). */
	if (before >= 0)
		ck_assert_int_eq(count_fds(gpid), before);
	assert_serving();
}
END_TEST

START_TEST(test_gofer_proto_types_and_args)
{
	struct gofer_tversion v = {.version = 999};
	uint64_t root = get_root();
	struct gofer_topen o = {.fid = root, .flags = 0x80000000u};
	struct gofer_tgetdents g = {.dir = root, .max = 0};
	char nothing[8] = {0};

	ck_assert_int_eq(request(0, nothing, 0), -EINVAL);
	ck_assert_int_eq(request(999, nothing, 8), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_ERROR, nothing, 8), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_ROOT | GOFER_REPLY, nothing, 0), -EINVAL);
	/* Write requests with a body too short for them; CONNECT is reserved. */
	ck_assert_int_eq(request(GOFER_T_CREATE, nothing, 8), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_RENAME, nothing, 8), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_CONNECT, nothing, 8), -ENOSYS);
	ck_assert_int_eq(request(GOFER_T_VERSION, &v, sizeof(v)), -EPROTONOSUPPORT);
	ck_assert_int_eq(request(GOFER_T_OPEN, &o, sizeof(o)), -EINVAL);
	ck_assert_int_eq(request(GOFER_T_GETDENTS, &g, sizeof(g)), -EINVAL);
	g.max = 4;
	g.off = 1ull << 63;
	ck_assert_int_eq(request(GOFER_T_GETDENTS, &g, sizeof(g)), -EINVAL);
	assert_serving();
}
END_TEST

/* Random messages, half of them naming a real fid: each gets a reply with
 * the right tag and the gofer survives. */
START_TEST(test_gofer_proto_random_garbage)
{
	static char body[1024];
	uint64_t root = get_root();
	unsigned int seed = 12345;
	int i;

	for (i = 0; i < 3000; i++) {
		uint32_t type = (uint32_t)rand_r(&seed) % 70;
		size_t len = (size_t)rand_r(&seed) % 64, j;

		for (j = 0; j < len; j++)
			body[j] = (char)rand_r(&seed);
		if (len >= 8 && (rand_r(&seed) & 1))
			memcpy(body, &root, 8);
		if (type == GOFER_T_CLUNK)
			continue; /* keep the root fid */
		request(type, body, len);
	}
	assert_serving();
}
END_TEST

Suite *gofer_proto_suite(void)
{
	Suite *s = suite_create("gofer_proto");
	TCase *tc = tcase_create("malformed");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_gofer_proto_short_messages);
	tcase_add_test(tc, test_gofer_proto_length_mismatch);
	tcase_add_test(tc, test_gofer_proto_bad_fids);
	tcase_add_test(tc, test_gofer_proto_bad_names);
	tcase_add_test(tc, test_gofer_proto_huge_messages);
	tcase_add_test(tc, test_gofer_proto_fds_sent_to_gofer);
	tcase_add_test(tc, test_gofer_proto_types_and_args);
	tcase_add_test(tc, test_gofer_proto_random_garbage);
	suite_add_tcase(s, tc);
	return s;
}
