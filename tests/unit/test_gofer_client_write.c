/*
 * The client's checks on replies to the writable messages, against a fake
 * gofer that answers one request with whatever the test sets: a CREATE
 * without its descriptor, or with a directory or the wrong access mode, a new
 * fid of 0, xattr replies longer than asked or unterminated, bad times,
 * descriptors where none belong. Each is -EIO, kills the connection and
 * leaks no descriptor; a well-formed reply decodes.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "gofer/protocol.h"

static struct {
	int sock;
	int32_t err;
	size_t plen;
	char payload[1024];
	int fd; /* donated if >= 0 */
} wf;
static struct gofer_client *wgc;
static pthread_t wthr;

static void *wfake(void *arg)
{
	char req[GOFER_MSG_MAX], out[sizeof(struct gofer_hdr) + 8 + sizeof(wf.payload)];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct gofer_hdr h;
	struct gofer_rhdr e = {.err = wf.err};
	struct iovec iov = {.iov_base = out};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recv(wf.sock, req, sizeof(req), 0);

	(void)arg;
	if (n < (ssize_t)sizeof(h))
		return NULL;
	memcpy(&h, req, sizeof(h));
	h.type |= GOFER_REPLY;
	h.len = (uint32_t)(sizeof(e) + wf.plen);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), &e, sizeof(e));
	memcpy(out + sizeof(h) + sizeof(e), wf.payload, wf.plen);
	iov.iov_len = sizeof(h) + sizeof(e) + wf.plen;
	if (wf.fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = sizeof(cm.b);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &wf.fd, sizeof(int));
	}
	sendmsg(wf.sock, &msg, MSG_NOSIGNAL);
	return NULL;
}

static void wsetup(void)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	wgc = gofer_client_new(sv[0]);
	ck_assert_ptr_nonnull(wgc);
	memset(&wf, 0, sizeof(wf));
	wf.sock = sv[1];
	wf.fd = -1;
}

static void wteardown(void)
{
	gofer_client_close(wgc);
	close(wf.sock);
	if (wf.fd >= 0)
		close(wf.fd);
}

static void arm(void)
{
	ck_assert_int_eq(pthread_create(&wthr, NULL, wfake, NULL), 0);
}

static void done(void)
{
	pthread_join(wthr, NULL);
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
	return n - 1;
}

/* A new-fid payload: fid and a regular file's (or mode's) attributes. */
static void new_fid_payload(uint64_t fid, uint32_t mode)
{
	struct gofer_rwalk rw = {.fid = fid};

	rw.attr.mode = mode;
	rw.attr.ino = 9;
	memcpy(wf.payload, &rw, sizeof(rw));
	wf.plen = sizeof(rw);
}

static int create(int *fd)
{
	gofer_fid f;
	struct gofer_attr a;
	int r;

	arm();
	r = gofer_create(wgc, 1, "n", O_RDWR, 0644, UINT32_MAX, UINT32_MAX, &f, &a, fd);
	done();
	return r;
}

/* The connection is dead after a bad reply: no request is even sent. */
static void assert_dead(void)
{
	ck_assert_int_eq(gofer_unlink(wgc, 1, "x", 0), -EIO);
}

/* An O_RDWR regular file with no name. */
static int rw_file(void)
{
	char t[] = "/tmp/gofer-client-write-XXXXXX";
	int fd = mkstemp(t);

	ck_assert_int_ge(fd, 0);
	unlink(t);
	return fd;
}

START_TEST(test_gofer_client_write_create_good)
{
	int fd = -1;
	struct stat st;

	new_fid_payload(5, S_IFREG | 0644);
	wf.fd = rw_file();
	ck_assert_int_eq(create(&fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
}
END_TEST

START_TEST(test_gofer_client_write_create_without_fd)
{
	int fd = 7;

	new_fid_payload(5, S_IFREG | 0644);
	ck_assert_int_eq(create(&fd), -EIO);
	ck_assert_int_eq(fd, -1);
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_create_bad_fds)
{
	int before = count_fds(), fd;

	/* A directory where a regular file was created. */
	new_fid_payload(5, S_IFREG | 0644);
	wf.fd = open("/", O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(create(&fd), -EIO);
	close(wf.fd);
	wf.fd = -1;
	ck_assert_int_eq(count_fds(), before);
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_create_wrong_access)
{
	int before = count_fds(), fd;
	char t[] = "/tmp/gofer-client-write-XXXXXX";
	int w = mkstemp(t);

	ck_assert_int_ge(w, 0);
	new_fid_payload(5, S_IFREG | 0644);
	wf.fd = open(t, O_RDONLY); /* O_RDWR was asked for */
	unlink(t);
	close(w);
	before = count_fds();
	ck_assert_int_eq(create(&fd), -EIO);
	close(wf.fd);
	wf.fd = -1;
	ck_assert_int_eq(count_fds(), before - 1);
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_create_attr_not_regular)
{
	int fd;

	new_fid_payload(5, S_IFDIR | 0755);
	wf.fd = rw_file();
	ck_assert_int_eq(create(&fd), -EIO);
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_zero_fid)
{
	gofer_fid f;
	struct gofer_attr a;

	new_fid_payload(0, S_IFDIR | 0755);
	arm();
	ck_assert_int_eq(gofer_mkdir(wgc, 1, "d", 0755, UINT32_MAX, UINT32_MAX, &f, &a), -EIO);
	done();
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_fd_on_unlink)
{
	int before = count_fds();

	wf.fd = rw_file();
	arm();
	ck_assert_int_eq(gofer_unlink(wgc, 1, "x", 0), -EIO);
	done();
	close(wf.fd);
	wf.fd = -1;
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(test_gofer_client_write_xattr_too_long)
{
	struct gofer_rxattr h = {.len = 10};
	char buf[4];

	memcpy(wf.payload, &h, sizeof(h));
	memcpy(wf.payload + sizeof(h), "0123456789", 10);
	wf.plen = sizeof(h) + 10;
	arm();
	ck_assert_int_eq(gofer_getxattr(wgc, 1, "user.a", buf, sizeof(buf)), -EIO);
	done();
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_xattr_good_and_unterminated)
{
	struct gofer_rxattr h = {.len = 7};
	char buf[64];

	memcpy(wf.payload, &h, sizeof(h));
	memcpy(wf.payload + sizeof(h), "user.a\0", 7);
	wf.plen = sizeof(h) + 7;
	arm();
	ck_assert_int_eq(gofer_listxattr(wgc, 1, buf, sizeof(buf)), 7);
	done();
	ck_assert_str_eq(buf, "user.a");
	/* Length only: a payload beyond the header is a lie. */
	arm();
	ck_assert_int_eq(gofer_listxattr(wgc, 1, buf, 0), -EIO);
	done();
}
END_TEST

START_TEST(test_gofer_client_write_list_unterminated)
{
	struct gofer_rxattr h = {.len = 6};
	char buf[64];

	memcpy(wf.payload, &h, sizeof(h));
	memcpy(wf.payload + sizeof(h), "user.a", 6);
	wf.plen = sizeof(h) + 6;
	arm();
	ck_assert_int_eq(gofer_listxattr(wgc, 1, buf, sizeof(buf)), -EIO);
	done();
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_setattr_bad_time)
{
	struct gofer_wire_attr a = {.mode = S_IFREG | 0644, .mtime_nsec = 1000000000u};
	struct gofer_setattr sa = {.valid = GOFER_SET_MODE, .mode = 0600};
	struct gofer_attr out;

	memcpy(wf.payload, &a, sizeof(a));
	wf.plen = sizeof(a);
	arm();
	ck_assert_int_eq(gofer_setattr(wgc, 1, &sa, &out), -EIO);
	done();
	assert_dead();
}
END_TEST

START_TEST(test_gofer_client_write_names_refused_locally)
{
	gofer_fid f;
	struct gofer_attr a;
	char longname[300];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	/* Nothing is sent: no fake armed, the calls fail before the socket. */
	ck_assert_int_eq(gofer_unlink(wgc, 1, "..", 0), -EINVAL);
	ck_assert_int_eq(gofer_unlink(wgc, 1, "a/b", 0), -EINVAL);
	ck_assert_int_eq(gofer_mkdir(wgc, 1, longname, 0755, 0, 0, &f, &a), -ENAMETOOLONG);
	ck_assert_int_eq(gofer_rename(wgc, 1, "a", 1, ".", 0), -EINVAL);
	ck_assert_int_eq(gofer_symlink(wgc, 1, "l", "", 0, 0, &f, &a), -ENOENT);
}
END_TEST

Suite *gofer_client_write_suite(void)
{
	Suite *s = suite_create("gofer_client_write");
	TCase *tc = tcase_create("replies");

	tcase_add_checked_fixture(tc, wsetup, wteardown);
	tcase_add_test(tc, test_gofer_client_write_create_good);
	tcase_add_test(tc, test_gofer_client_write_create_without_fd);
	tcase_add_test(tc, test_gofer_client_write_create_bad_fds);
	tcase_add_test(tc, test_gofer_client_write_create_wrong_access);
	tcase_add_test(tc, test_gofer_client_write_create_attr_not_regular);
	tcase_add_test(tc, test_gofer_client_write_zero_fid);
	tcase_add_test(tc, test_gofer_client_write_fd_on_unlink);
	tcase_add_test(tc, test_gofer_client_write_xattr_too_long);
	tcase_add_test(tc, test_gofer_client_write_xattr_good_and_unterminated);
	tcase_add_test(tc, test_gofer_client_write_list_unterminated);
	tcase_add_test(tc, test_gofer_client_write_setattr_bad_time);
	tcase_add_test(tc, test_gofer_client_write_names_refused_locally);
	suite_add_tcase(s, tc);
	return s;
}
