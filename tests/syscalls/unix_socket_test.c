/* AF_UNIX sockets: creation, stream/dgram/seqpacket data, names, connect,
 * accept, shutdown, options. (Control messages: unix_socket_scm_test.c;
 * poll, blocking and signals: unix_socket_poll_test.c.) */
#include <linux/sockios.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"

static socklen_t mkaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path, path, sizeof(a->sun_path) - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t mkabstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* A bound, listening stream socket at path (relative to the test dir). */
static int listener(const char *path, int backlog)
{
	struct sockaddr_un a;
	socklen_t l = mkaddr(&a, path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, l) || listen(s, backlog))
		return -1;
	return s;
}

static int connect_to(const char *path, int flags)
{
	struct sockaddr_un a;
	socklen_t l = mkaddr(&a, path);
	int c = socket(AF_UNIX, SOCK_STREAM | flags, 0);
	if (c < 0)
		return -1;
	if (connect(c, (struct sockaddr *)&a, l)) {
		int e = errno;
		close(c);
		errno = e;
		return -1;
	}
	return c;
}

TEST(socketpair_stream_moves_bytes_both_ways)
{
	int sv[2];
	char buf[16];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "hello", 5), 5);
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 5);
	EXPECT_MEMEQ(buf, "hello", 5);
	EXPECT_EQ(send(sv[1], "back", 4, 0), 4);
	EXPECT_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
	EXPECT_MEMEQ(buf, "back", 4);
	close(sv[0]);
	close(sv[1]);
}

TEST(socket_file_is_sifsock_named_socket_ino)
{
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	struct stat st;
	char link[64], want[64], target[64] = {0};
	EXPECT_SYS(fstat(s, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
	EXPECT_GT(readlink(link, target, sizeof(target) - 1), 0);
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)st.st_ino);
	EXPECT_STREQ(target, want);
	EXPECT_ERRNO(lseek(s, 0, SEEK_SET), ESPIPE);
	char b[4];
	EXPECT_ERRNO(pread(s, b, 1, 0), ESPIPE);
	EXPECT_ERRNO(pwrite(s, b, 1, 0), ESPIPE);
	/* Sockets cannot be reopened through /proc/self/fd. */
	EXPECT_ERRNO(open(link, O_RDWR), ENXIO);
	close(s);
}

TEST(socket_rejects_bad_arguments)
{
	int p[2], sv[2];
	EXPECT_ERRNO(socket(200, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERRNO(socket(AF_UNIX, 9, 0), ESOCKTNOSUPPORT);
	EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
	EXPECT_ERRNO(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	EXPECT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)harness_unmapped_page()), EFAULT);
	EXPECT_SYS(pipe(p));
	EXPECT_ERRNO(listen(p[0], 1), ENOTSOCK);
	EXPECT_ERRNO(shutdown(p[0], SHUT_RD), ENOTSOCK);
	EXPECT_ERRNO(listen(999, 1), EBADF);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_ERRNO(shutdown(sv[0], 7), EINVAL);
	EXPECT_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, p, 2), EINVAL);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	/* SOCK_RAW is a datagram socket in AF_UNIX. */
	int r = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_RAW, 0));
	int type = 0;
	socklen_t l = sizeof(type);
	EXPECT_SYS(getsockopt(r, SOL_SOCKET, SO_TYPE, &type, &l));
	EXPECT_EQ(type, SOCK_DGRAM);
	close(r);
}

TEST(sock_nonblock_and_cloexec_flags)
{
	int sv[2];
	char c;
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
	EXPECT_ERRNO(read(sv[0], &c, 1), EAGAIN);
	EXPECT_EQ(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, 0);
	close(s);
	close(sv[0]);
	close(sv[1]);
}

TEST(stream_reads_coalesce_and_peek_keeps_data)
{
	int sv[2];
	char buf[32];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "abc", 3), 3);
	EXPECT_EQ(write(sv[0], "defg", 4), 4);
	EXPECT_EQ(recv(sv[1], buf, 5, MSG_PEEK), 5);
	EXPECT_MEMEQ(buf, "abcde", 5);
	int n = 0;
	EXPECT_SYS(ioctl(sv[1], FIONREAD, &n));
	EXPECT_EQ(n, 7);
	EXPECT_SYS(ioctl(sv[0], SIOCOUTQ, &n));
	EXPECT_GE(n, 7);
	EXPECT_EQ(read(sv[1], buf, 2), 2);
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 5);
	EXPECT_MEMEQ(buf, "cdefg", 5);
	EXPECT_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	EXPECT_SYS(ioctl(sv[0], SIOCOUTQ, &n));
	EXPECT_EQ(n, 0);
	/* A zero-length stream write queues nothing. */
	EXPECT_EQ(send(sv[0], "", 0, 0), 0);
	EXPECT_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(stream_waitall_waits_for_everything)
{
	int sv[2], st;
	char buf[64];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(20000);
			if (write(sv[1], "0123456789", 10) != 10)
				_exit(1);
		}
		_exit(0);
	}
	EXPECT_EQ(recv(sv[0], buf, 40, MSG_WAITALL), 40);
	EXPECT_MEMEQ(buf + 30, "0123456789", 10);
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(seqpacket_keeps_boundaries_and_truncates)
{
	int sv[2];
	char buf[16];
	struct msghdr mh = {0};
	struct iovec io = {buf, 2};
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	EXPECT_EQ(send(sv[0], "one", 3, 0), 3);
	EXPECT_EQ(send(sv[0], "two!", 4, 0), 4);
	EXPECT_EQ(send(sv[0], "hello", 5, 0), 5);
	EXPECT_EQ(send(sv[0], "", 0, 0), 0);
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	mh.msg_iov = &io;
	mh.msg_iovlen = 1;
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 2);
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	EXPECT_MEMEQ(buf, "he", 2);
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0); /* the empty message */
	EXPECT_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(send(sv[0], "hello", 5, 0), 5);
	EXPECT_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 5);
	close(sv[0]);
	/* The peer's close is an end of file. */
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	close(sv[1]);
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	EXPECT_ERRNO(recv(s, buf, 1, 0), ENOTCONN);
	EXPECT_ERRNO(send(s, buf, 1, MSG_NOSIGNAL), ENOTCONN);
	close(s);
}

TEST(dgram_keeps_boundaries_and_limits_size)
{
	int sv[2];
	char buf[64];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_EQ(send(sv[0], "first", 5, 0), 5);
	EXPECT_EQ(send(sv[0], "second", 6, 0), 6);
	int n = 0;
	EXPECT_SYS(ioctl(sv[1], FIONREAD, &n));
	EXPECT_EQ(n, 5); /* the first datagram's size */
	EXPECT_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	EXPECT_EQ(recv(sv[1], buf, 3, 0), 3); /* the rest of "second" is gone */
	EXPECT_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	int sndbuf = 0;
	socklen_t l = sizeof(sndbuf);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &l));
	char *big = calloc(1, (size_t)sndbuf + 1);
	EXPECT_ERRNO(send(sv[0], big, (size_t)sndbuf, 0), EMSGSIZE);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

TEST(stream_peer_close_gives_eof_epipe_and_sigpipe)
{
	int sv[2];
	char c;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[1], "x", 1), 1);
	close(sv[1]);
	EXPECT_EQ(read(sv[0], &c, 1), 1);
	EXPECT_EQ(read(sv[0], &c, 1), 0);
	EXPECT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &old);
	EXPECT_ERRNO(write(sv[0], "x", 1), EPIPE);
	sigset_t pend;
	sigpending(&pend);
	EXPECT_TRUE(sigismember(&pend, SIGPIPE));
	int sig;
	sigwait(&set, &sig);
	EXPECT_ERRNO(sendto(sv[0], "x", 1, 0, NULL, 0), EPIPE);
	sigpending(&pend);
	EXPECT_TRUE(sigismember(&pend, SIGPIPE));
	sigwait(&set, &sig);
	EXPECT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	sigpending(&pend);
	EXPECT_TRUE(!sigismember(&pend, SIGPIPE));
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[0]);
}

TEST(shutdown_wr_and_rd)
{
	int sv[2];
	char c;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(write(sv[0], "q", 1), 1);
	EXPECT_SYS(shutdown(sv[0], SHUT_WR));
	EXPECT_EQ(read(sv[1], &c, 1), 1);
	EXPECT_EQ(read(sv[1], &c, 1), 0);
	EXPECT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* The other direction still works. */
	EXPECT_EQ(write(sv[1], "r", 1), 1);
	EXPECT_EQ(read(sv[0], &c, 1), 1);
	/* SHUT_RD: reads end, and the peer's writes fail. */
	EXPECT_SYS(shutdown(sv[0], SHUT_RD));
	EXPECT_EQ(recv(sv[0], &c, 1, MSG_DONTWAIT), 0);
	EXPECT_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);
	close(sv[1]);
	/* Unconnected: allowed, as Linux. */
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(shutdown(s, SHUT_RDWR));
	close(s);
}

TEST(stream_unconnected_errors)
{
	char c;
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	EXPECT_ERRNO(recv(s, &c, 1, 0), EINVAL);
	EXPECT_ERRNO(send(s, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	EXPECT_ERRNO(write(s, "x", 1), ENOTCONN);
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	EXPECT_ERRNO(getpeername(s, (struct sockaddr *)&a, &l), ENOTCONN);
	l = sizeof(a);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&a, &l));
	EXPECT_EQ(l, 2);
	EXPECT_EQ(a.sun_family, AF_UNIX);
	EXPECT_ERRNO(listen(s, 1), EINVAL); /* unbound */
	EXPECT_ERRNO(accept(s, NULL, NULL), EINVAL);
	int d = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_ERRNO(listen(d, 1), EOPNOTSUPP);
	EXPECT_ERRNO(send(d, "x", 1, 0), ENOTCONN);
	close(s);
	close(d);
}

TEST(path_bind_listen_connect_accept)
{
	struct sockaddr_un a, b;
	socklen_t al = mkaddr(&a, "srv.sock"), bl;
	struct stat st;
	umask(022);
	int l = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(stat("srv.sock", &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0755);
	EXPECT_ERRNO(bind(l, (struct sockaddr *)&a, al), EADDRINUSE); /* the name first */
	struct sockaddr_un other;
	socklen_t ol0 = mkaddr(&other, "other.sock");
	EXPECT_ERRNO(bind(l, (struct sockaddr *)&other, ol0), EINVAL); /* already bound */
	EXPECT_ERRNO(access("other.sock", F_OK), ENOENT);
	int l2 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(l2, (struct sockaddr *)&a, al), EADDRINUSE);
	/* Bound but not listening: refused. */
	EXPECT_ERRNO(connect_to("srv.sock", 0), ECONNREFUSED);
	EXPECT_SYS(listen(l, 4));
	int on = 0;
	socklen_t ol = sizeof(on);
	EXPECT_SYS(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &on, &ol));
	EXPECT_EQ(on, 1);
	bl = sizeof(b);
	EXPECT_SYS(getsockname(l, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, al);
	EXPECT_STREQ(b.sun_path, "srv.sock");

	int c = (int)EXPECT_SYS(connect_to("srv.sock", 0));
	/* Data may be sent before the server accepts. */
	EXPECT_EQ(write(c, "early", 5), 5);
	EXPECT_ERRNO(connect(c, (struct sockaddr *)&a, al), EISCONN);
	bl = sizeof(b);
	int s = (int)EXPECT_SYS(accept(l, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, 2); /* the client is unbound */
	char buf[8];
	EXPECT_EQ(read(s, buf, sizeof(buf)), 5);
	EXPECT_MEMEQ(buf, "early", 5);
	bl = sizeof(b);
	EXPECT_SYS(getpeername(c, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, al);
	EXPECT_STREQ(b.sun_path, "srv.sock");
	bl = sizeof(b);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&b, &bl));
	EXPECT_STREQ(b.sun_path, "srv.sock");
	/* A short buffer gets what fits and the full length. */
	bl = 3;
	memset(&b, 0, sizeof(b));
	EXPECT_SYS(getpeername(c, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, al);
	EXPECT_EQ(b.sun_path[0], 's');
	EXPECT_EQ(b.sun_path[1], 0);
	bl = (socklen_t)-1;
	EXPECT_ERRNO(getpeername(c, (struct sockaddr *)&b, &bl), EINVAL);
	close(s);
	close(c);

	/* unlink removes the name: new connects fail, the listener lives on. */
	EXPECT_SYS(unlink("srv.sock"));
	EXPECT_ERRNO(connect_to("srv.sock", 0), ENOENT);
	EXPECT_TRUE(MAKE_FILE("plain", "x"));
	EXPECT_ERRNO(connect_to("plain", 0), ECONNREFUSED);
	close(l);
	close(l2);
}

TEST(connect_checks_type_and_permission)
{
	struct sockaddr_un a;
	socklen_t al = mkaddr(&a, "dg.sock");
	int d = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(d, (struct sockaddr *)&a, al));
	EXPECT_ERRNO(connect_to("dg.sock", 0), EPROTOTYPE);
	EXPECT_ERRNO(connect_to("nonexistent.sock", 0), ENOENT);
	/* Without write permission on the socket inode: EACCES (checked in a
	 * child that gives up root, so that it holds for any caller). */
	int st;
	EXPECT_SYS(chmod("dg.sock", 0755));
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		int c = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (connect(c, (struct sockaddr *)&a, al) == 0 || errno != EACCES)
			_exit(11);
		if (sendto(c, "x", 1, 0, (struct sockaddr *)&a, al) == 0 || errno != EACCES)
			_exit(12);
		_exit(0);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	EXPECT_SYS(chmod("dg.sock", 0777));
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		int c = socket(AF_UNIX, SOCK_DGRAM, 0);
		_exit(connect(c, (struct sockaddr *)&a, al) == 0 ? 0 : 11);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	close(d);
}

TEST(abstract_names_and_autobind)
{
	struct sockaddr_un a, b;
	socklen_t al = mkabstract(&a, "sentry-test-abstract"), bl = sizeof(b);
	int l = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(l, (struct sockaddr *)&a, al));
	int l2 = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_ERRNO(bind(l2, (struct sockaddr *)&a, al), EADDRINUSE);
	EXPECT_SYS(getsockname(l, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, al);
	EXPECT_MEMEQ(&a, &b, al);
	EXPECT_SYS(listen(l, 1));
	int c = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(connect(c, (struct sockaddr *)&a, al));
	int s = (int)EXPECT_SYS(accept(l, NULL, NULL));
	EXPECT_EQ(write(c, "z", 1), 1);
	char ch;
	EXPECT_EQ(read(s, &ch, 1), 1);
	/* A different type does not see the name. */
	int d = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_ERRNO(connect(d, (struct sockaddr *)&a, al), ECONNREFUSED);
	close(l);
	/* The name goes with the socket. */
	EXPECT_ERRNO(connect(l2, (struct sockaddr *)&a, al), ECONNREFUSED);
	EXPECT_SYS(bind(l2, (struct sockaddr *)&a, al));

	/* Autobind: only the family gives "\0" and five hex digits. */
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	EXPECT_SYS(bind(d, (struct sockaddr *)&fam, sizeof(sa_family_t)));
	bl = sizeof(b);
	EXPECT_SYS(getsockname(d, (struct sockaddr *)&b, &bl));
	EXPECT_EQ(bl, 8);
	EXPECT_EQ(b.sun_path[0], 0);
	for (int i = 1; i <= 5; i++)
		EXPECT_TRUE(strchr("0123456789abcdef", b.sun_path[i]) && b.sun_path[i]);
	/* A second autobind of a bound socket is a no-op. */
	EXPECT_SYS(bind(d, (struct sockaddr *)&fam, sizeof(sa_family_t)));
	close(c);
	close(s);
	close(d);
	close(l2);
}

TEST(backlog_full_nonblocking_connect_eagain)
{
	int l = (int)EXPECT_SYS(listener("bl.sock", 0));
	/* Linux queues backlog + 1 connections. */
	int c1 = (int)EXPECT_SYS(connect_to("bl.sock", SOCK_NONBLOCK));
	EXPECT_ERRNO(connect_to("bl.sock", SOCK_NONBLOCK), EAGAIN);
	int s = (int)EXPECT_SYS(accept(l, NULL, NULL));
	int c2 = (int)EXPECT_SYS(connect_to("bl.sock", SOCK_NONBLOCK));
	int s2 = (int)EXPECT_SYS(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	EXPECT_TRUE(fcntl(s2, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(s2, F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(accept4(l, NULL, NULL, 0x1), EINVAL);
	int ln = (int)EXPECT_SYS(fcntl(l, F_GETFL));
	EXPECT_SYS(fcntl(l, F_SETFL, ln | O_NONBLOCK));
	EXPECT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	close(s);
	close(s2);
	close(c1);
	close(c2);
	close(l);
}

TEST(listener_close_resets_unaccepted_connections)
{
	int l = (int)EXPECT_SYS(listener("rst.sock", 2));
	int c = (int)EXPECT_SYS(connect_to("rst.sock", 0));
	close(l);
	char ch;
	EXPECT_ERRNO(read(c, &ch, 1), ECONNRESET);
	EXPECT_EQ(read(c, &ch, 1), 0);
	close(c);
}

TEST(dgram_sendto_recvfrom_and_connect_rules)
{
	struct sockaddr_un ax, ay, az, from;
	socklen_t lx = mkaddr(&ax, "dx"), ly = mkaddr(&ay, "dy"), lz = mkaddr(&az, "dz");
	char buf[16];
	int x = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	int y = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	int z = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(x, (struct sockaddr *)&ax, lx));
	EXPECT_SYS(bind(y, (struct sockaddr *)&ay, ly));
	EXPECT_SYS(bind(z, (struct sockaddr *)&az, lz));
	EXPECT_EQ(sendto(y, "hi", 2, 0, (struct sockaddr *)&ax, lx), 2);
	socklen_t fl = sizeof(from);
	EXPECT_EQ(recvfrom(x, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl), 2);
	EXPECT_EQ(fl, ly);
	EXPECT_STREQ(from.sun_path, "dy");
	/* The queue holds max_dgram_qlen (10) + 1 datagrams from strangers. */
	int sent = 0;
	while (sent < 64 && sendto(y, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&ax, lx) == 1)
		sent++;
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(sent, 11);
	while (recv(x, buf, sizeof(buf), MSG_DONTWAIT) == 1)
		sent--;
	EXPECT_EQ(sent, 0);
	/* x connected to y takes datagrams from y only. */
	EXPECT_SYS(connect(x, (struct sockaddr *)&ay, ly));
	EXPECT_ERRNO(sendto(z, "n", 1, 0, (struct sockaddr *)&ax, lx), EPERM);
	EXPECT_EQ(sendto(y, "ok", 2, 0, (struct sockaddr *)&ax, lx), 2);
	EXPECT_EQ(send(x, "to-y", 4, 0), 4);
	EXPECT_EQ(recv(y, buf, sizeof(buf), 0), 4);
	fl = sizeof(from);
	EXPECT_SYS(getpeername(x, (struct sockaddr *)&from, &fl));
	EXPECT_STREQ(from.sun_path, "dy");
	/* AF_UNSPEC dissolves the association. */
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	EXPECT_SYS(connect(x, &un, sizeof(un)));
	EXPECT_ERRNO(send(x, "x", 1, 0), ENOTCONN);
	EXPECT_EQ(sendto(z, "n", 1, 0, (struct sockaddr *)&ax, lx), 1);
	/* A closed peer: ECONNREFUSED once, then ENOTCONN. */
	EXPECT_SYS(connect(z, (struct sockaddr *)&ay, ly));
	close(y);
	EXPECT_ERRNO(send(z, "x", 1, 0), ECONNREFUSED);
	EXPECT_ERRNO(send(z, "x", 1, 0), ENOTCONN);
	EXPECT_ERRNO(sendto(z, "x", 1, 0, (struct sockaddr *)&ay, ly), ECONNREFUSED);
	EXPECT_ERRNO(sendto(z, "x", 1, 0, (struct sockaddr *)&ay, 1), EINVAL);
	close(x);
	close(z);
}

TEST(sockopts_types_buffers_timeouts)
{
	int sv[2], v;
	socklen_t l = sizeof(v);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l));
	EXPECT_EQ(v, SOCK_SEQPACKET);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &l));
	EXPECT_EQ(v, AF_UNIX);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &l));
	EXPECT_EQ(v, 0);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &l));
	EXPECT_EQ(v, 0);
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &l));
	EXPECT_EQ(v, 0);
	v = 10000;
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &l));
	EXPECT_EQ(v, 20000);
	v = 1;
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &l));
	EXPECT_EQ(v, 2304);
	v = 1;
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, &l));
	EXPECT_EQ(v, 1);
	struct linger lg = {1, 5}, lg2;
	socklen_t ll = sizeof(lg2);
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg2, &ll));
	EXPECT_EQ(lg2.l_onoff, 1);
	EXPECT_EQ(lg2.l_linger, 5);
	/* A short option buffer gets what fits. */
	char small = 0x7f;
	socklen_t sl = 1;
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &small, &sl));
	EXPECT_EQ(sl, 1);
	EXPECT_EQ(small, SOCK_SEQPACKET);
	EXPECT_ERRNO(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &l), ENOPROTOOPT);
	EXPECT_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof(v)), ENOPROTOOPT);

	struct timeval tv = {0, 100000}, tv2;
	socklen_t tl = sizeof(tv2);
	EXPECT_SYS(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv2, &tl));
	EXPECT_EQ(tl, sizeof(tv2));
	EXPECT_EQ(tv2.tv_sec, 0);
	EXPECT_EQ(tv2.tv_usec, 100000);
	char c;
	EXPECT_ERRNO(recv(sv[0], &c, 1, 0), EAGAIN); /* after ~100 ms */
	tv.tv_usec = 1000000;
	EXPECT_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
	EXPECT_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, 4), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

TEST(nonblocking_writer_fills_then_drains)
{
	int sv[2];
	char chunk[4096] = {0};
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	long total = 0;
	for (int i = 0; i < 10000; i++) {
		ssize_t n = write(sv[0], chunk, sizeof(chunk));
		if (n < 0)
			break;
		total += n;
	}
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_GT(total, 0);
	EXPECT_LT(total, 4 << 20);
	int q = 0;
	EXPECT_SYS(ioctl(sv[1], FIONREAD, &q));
	EXPECT_EQ(q, total);
	long got = 0;
	ssize_t n;
	while ((n = read(sv[1], chunk, sizeof(chunk))) > 0)
		got += n;
	EXPECT_EQ(got, total);
	EXPECT_GT(write(sv[0], chunk, sizeof(chunk)), 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(readv_writev_sendmsg_iovecs)
{
	int sv[2];
	char a[3], b[5];
	struct iovec w[2] = {{"abc", 3}, {"defgh", 5}}, r[2] = {{a, 3}, {b, 5}};
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(writev(sv[0], w, 2), 8);
	EXPECT_EQ(readv(sv[1], r, 2), 8);
	EXPECT_MEMEQ(a, "abc", 3);
	EXPECT_MEMEQ(b, "defgh", 5);
	struct msghdr mh = {.msg_iov = w, .msg_iovlen = 2};
	EXPECT_EQ(sendmsg(sv[0], &mh, 0), 8);
	mh.msg_iov = r;
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 8);
	EXPECT_MEMEQ(b, "defgh", 5);
	EXPECT_EQ(mh.msg_flags, 0);
	close(sv[0]);
	close(sv[1]);
	/* Datagrams: sendmsg gathers into one message. */
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	mh.msg_iov = w;
	EXPECT_EQ(sendmsg(sv[0], &mh, 0), 8);
	char all[16];
	EXPECT_EQ(recv(sv[1], all, sizeof(all), 0), 8);
	EXPECT_MEMEQ(all, "abcdefgh", 8);
	close(sv[0]);
	close(sv[1]);
}

TEST(sendmmsg_recvmmsg)
{
	int sv[2];
	struct iovec w[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	struct mmsghdr out[3];
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 3; i++) {
		out[i].msg_hdr.msg_iov = &w[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_EQ(sendmmsg(sv[0], out, 3, 0), 3);
	EXPECT_EQ(out[2].msg_len, 3);
	char bufs[4][8];
	struct iovec r[4];
	struct mmsghdr in[4];
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 4; i++) {
		r[i].iov_base = bufs[i];
		r[i].iov_len = sizeof(bufs[i]);
		in[i].msg_hdr.msg_iov = &r[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	EXPECT_EQ(recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL), 3);
	EXPECT_EQ(in[0].msg_len, 1);
	EXPECT_EQ(in[1].msg_len, 2);
	EXPECT_EQ(in[2].msg_len, 3);
	EXPECT_MEMEQ(bufs[2], "ccc", 3);
	EXPECT_ERRNO(recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(blocked_writer_resumes_when_reader_drains)
{
	int sv[2], st;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	size_t big = 1 << 20;
	pid_t pid = fork();
	if (pid == 0) {
		char *p = calloc(1, big);
		size_t done = 0;
		while (done < big) {
			ssize_t n = write(sv[0], p + done, big - done);
			if (n <= 0)
				_exit(1);
			done += (size_t)n;
		}
		_exit(0);
	}
	char buf[65536];
	size_t got = 0;
	while (got < big) {
		ssize_t n = read(sv[1], buf, sizeof(buf));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	EXPECT_EQ(got, big);
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(hostile_msghdr_arguments)
{
	int sv[2];
	char c = 'x';
	struct iovec io = {&c, 1};
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 2000};
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), EMSGSIZE);
	EXPECT_ERRNO(recvmsg(sv[1], &mh, MSG_DONTWAIT), EMSGSIZE);
	mh.msg_iovlen = 1;
	char ctl[64] = {0};
	mh.msg_control = ctl;
	mh.msg_controllen = (size_t)1 << 30;
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), ENOBUFS);
	mh.msg_control = harness_unmapped_page();
	mh.msg_controllen = 64;
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), EFAULT);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	io.iov_base = harness_unmapped_page();
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), EFAULT);
	EXPECT_ERRNO(sendmsg(sv[0], (struct msghdr *)harness_unmapped_page(), 0), EFAULT);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	EXPECT_ERRNO(sendto(sv[0], &c, 1, 0, (struct sockaddr *)&a, 200), EINVAL);
	EXPECT_ERRNO(bind(sv[0], (struct sockaddr *)&a, 1), EINVAL);
	EXPECT_ERRNO(bind(sv[0], (struct sockaddr *)harness_unmapped_page(), 10), EFAULT);
	struct sockaddr in = {.sa_family = AF_INET};
	EXPECT_ERRNO(bind(sv[0], &in, sizeof(in)), EINVAL);
	/* Nothing was sent by any of these. */
	EXPECT_ERRNO(recv(sv[1], &c, 1, MSG_DONTWAIT), EAGAIN);
	socklen_t l = 4;
	EXPECT_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, harness_unmapped_page(), &l), EFAULT);
	l = (socklen_t)-5;
	int v;
	EXPECT_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l), EINVAL);
	EXPECT_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, (socklen_t)-1), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

TEST(passing_a_socket_through_itself_and_closing)
{
	/* The socket sits in its own queue; closing must not crash or hang. */
	int sv[2], r[2];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	char ctl[CMSG_SPACE(2 * sizeof(int))] = {0};
	char c = 's';
	struct iovec io = {&c, 1};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), sv, sizeof(sv));
	EXPECT_EQ(sendmsg(sv[0], &mh, 0), 1);
	/* Receive one copy back, then close everything. */
	mh.msg_controllen = sizeof(ctl);
	EXPECT_EQ(sendmsg(sv[0], &mh, 0), 1);
	mh.msg_controllen = sizeof(ctl);
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 1);
	memcpy(r, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(r));
	EXPECT_EQ(send(r[0], "y", 1, 0), 1);
	close(r[0]);
	close(r[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(so_peek_off_moves_with_peeks_and_reads)
{
	int sv[2], v = 0;
	socklen_t l = sizeof(v);
	char buf[8] = {0};
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, &l));
	EXPECT_EQ(v, -1);
	v = 0;
	EXPECT_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	EXPECT_EQ(write(sv[0], "abc", 3), 3);
	EXPECT_EQ(write(sv[0], "def", 3), 3);
	EXPECT_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	EXPECT_MEMEQ(buf, "ab", 2);
	EXPECT_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	EXPECT_MEMEQ(buf, "cd", 2);
	EXPECT_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, &l));
	EXPECT_EQ(v, 4);
	EXPECT_EQ(read(sv[1], buf, 3), 3);
	EXPECT_MEMEQ(buf, "abc", 3);
	EXPECT_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, &l));
	EXPECT_EQ(v, 1);
	EXPECT_EQ(recv(sv[1], buf, 8, MSG_PEEK), 2);
	EXPECT_MEMEQ(buf, "ef", 2);
	close(sv[0]);
	close(sv[1]);

	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	v = 0;
	EXPECT_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	EXPECT_EQ(send(sv[0], "one", 3, 0), 3);
	EXPECT_EQ(send(sv[0], "two", 3, 0), 3);
	EXPECT_EQ(recv(sv[1], buf, 8, MSG_PEEK), 3);
	EXPECT_MEMEQ(buf, "one", 3);
	EXPECT_EQ(recv(sv[1], buf, 8, MSG_PEEK), 3);
	EXPECT_MEMEQ(buf, "two", 3);
	EXPECT_EQ(recv(sv[1], buf, 8, 0), 3);
	EXPECT_MEMEQ(buf, "one", 3);
	EXPECT_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, &l));
	EXPECT_EQ(v, 3);
	EXPECT_ERRNO(recv(sv[1], buf, 8, MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	v = -1;
	EXPECT_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	EXPECT_EQ(recv(sv[1], buf, 8, MSG_PEEK), 3);
	EXPECT_MEMEQ(buf, "two", 3);
	close(sv[0]);
	close(sv[1]);
}

TEST(path_socket_found_through_rename_and_hard_link)
{
	int l = (int)EXPECT_SYS(listener("orig.sock", 4));
	EXPECT_SYS(rename("orig.sock", "moved.sock"));
	int c1 = (int)EXPECT_SYS(connect_to("moved.sock", 0));
	EXPECT_SYS(link("moved.sock", "linked.sock"));
	int c2 = (int)EXPECT_SYS(connect_to("linked.sock", 0));
	EXPECT_SYS(mkdir("sub", 0755));
	EXPECT_SYS(symlink("../linked.sock", "sub/sym.sock"));
	int c3 = (int)EXPECT_SYS(connect_to("sub/sym.sock", 0));
	for (int i = 0; i < 3; i++)
		close((int)EXPECT_SYS(accept(l, NULL, NULL)));
	EXPECT_SYS(unlink("moved.sock"));
	EXPECT_SYS(unlink("linked.sock"));
	EXPECT_ERRNO(connect_to("sub/sym.sock", 0), ENOENT);
	close(c1);
	close(c2);
	close(c3);
	close(l);
	/* The name outlives the socket: connecting then is refused. */
	l = (int)EXPECT_SYS(listener("gone.sock", 1));
	close(l);
	EXPECT_ERRNO(connect_to("gone.sock", 0), ECONNREFUSED);
}

TEST(big_read_returns_what_is_there)
{
	/* A read larger than what is queued returns at once, whatever the
	 * sizes (64 KiB is the sentry's copy chunk). */
	int sv[2];
	size_t sizes[] = {65536, 65537, 131072};
	char *buf = calloc(1, 1 << 20);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_EQ(write(sv[0], buf, sizes[i]), (ssize_t)sizes[i]);
		alarm(10);
		size_t got = 0;
		ssize_t n;
		while (got < sizes[i] && (n = read(sv[1], buf, 1 << 20)) > 0)
			got += (size_t)n;
		alarm(0);
		EXPECT_EQ(got, sizes[i]);
		struct iovec iov[2] = {{buf, 100000}, {buf + 100000, 100000}};
		EXPECT_EQ(write(sv[0], buf, sizes[i]), (ssize_t)sizes[i]);
		alarm(10);
		got = 0;
		while (got < sizes[i] && (n = readv(sv[1], iov, 2)) > 0)
			got += (size_t)n;
		alarm(0);
		EXPECT_EQ(got, sizes[i]);
	}
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

TEST(so_rcvlowat_and_passcred_autobind)
{
	int sv[2], v = 5, st;
	char b[16];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(setsockopt(sv[1], SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)));
	pid_t pid = fork();
	if (pid == 0) {
		(void)!write(sv[0], "abc", 3);
		usleep(100000);
		(void)!write(sv[0], "defg", 4);
		_exit(0);
	}
	/* A blocking read waits for SO_RCVLOWAT bytes. */
	EXPECT_EQ(recv(sv[1], b, sizeof(b), 0), 7);
	waitpid(pid, &st, 0);
	close(sv[0]);
	close(sv[1]);

	/* A sender with SO_PASSCRED is bound on its first send. */
	struct sockaddr_un a = {.sun_family = AF_UNIX}, n;
	memcpy(a.sun_path + 1, "lowat-test", 10);
	socklen_t al = 2 + 11, nl = sizeof(n);
	int r = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	EXPECT_SYS(bind(r, (struct sockaddr *)&a, al));
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	v = 1;
	EXPECT_SYS(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)));
	EXPECT_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&a, al), 1);
	EXPECT_SYS(getsockname(s, (struct sockaddr *)&n, &nl));
	EXPECT_EQ(nl, 8);
	nl = sizeof(n);
	EXPECT_EQ(recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&n, &nl), 1);
	EXPECT_EQ(nl, 8);
	close(r);
	close(s);
}

TEST(accept_and_recvfrom_report_a_bound_client)
{
	int l = (int)EXPECT_SYS(listener("srv2.sock", 1));
	struct sockaddr_un ca, sa, got;
	socklen_t cl = mkaddr(&ca, "client.sock"), gl = sizeof(got);
	socklen_t sl = mkaddr(&sa, "srv2.sock");
	int c = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	EXPECT_SYS(bind(c, (struct sockaddr *)&ca, cl));
	EXPECT_SYS(connect(c, (struct sockaddr *)&sa, sl));
	int s = (int)EXPECT_SYS(accept(l, (struct sockaddr *)&got, &gl));
	EXPECT_EQ(gl, cl);
	EXPECT_STREQ(got.sun_path, "client.sock");
	EXPECT_EQ(write(c, "q", 1), 1);
	char b;
	gl = sizeof(got);
	memset(&got, 0, sizeof(got));
	EXPECT_EQ(recvfrom(s, &b, 1, 0, (struct sockaddr *)&got, &gl), 1);
	EXPECT_EQ(gl, cl);
	EXPECT_STREQ(got.sun_path, "client.sock");
	close(s);
	close(c);
	close(l);
}
