/* AF_UNIX control messages: SCM_RIGHTS (fd passing, across fork, close-on-
 * exec, truncation, in-flight files), SCM_CREDENTIALS / SO_PASSCRED and
 * SO_PEERCRED. */
#include <poll.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"

/* Send one byte with nfds descriptors attached. */
static ssize_t send_fds(int s, const int *fds, int nfds)
{
	char byte = 'F';
	struct iovec io = {&byte, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	if (nfds) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(s, &mh, 0);
}

/* Receive one byte; the passed descriptors go to fds (at most max). Returns
 * the number of fds, or -1; *mflags gets msg_flags. */
static int recv_fds(int s, int *fds, int max, size_t controllen, int flags, int *mflags)
{
	char byte;
	struct iovec io = {&byte, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	memset(&u, 0, sizeof(u));
	if (controllen) {
		mh.msg_control = u.buf;
		mh.msg_controllen = controllen;
	}
	if (recvmsg(s, &mh, flags) != 1)
		return -1;
	*mflags = mh.msg_flags;
	int n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k && n < max; i++)
			memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return n;
}

TEST(scm_rights_passes_a_pipe)
{
	int sv[2], p[2], got[4], mf;
	char buf[8];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(pipe(p));
	EXPECT_EQ(send_fds(sv[0], &p[1], 1), 1);
	EXPECT_EQ(recv_fds(sv[1], got, 4, CMSG_SPACE(sizeof(int)), 0, &mf), 1);
	EXPECT_EQ(mf, 0);
	EXPECT_NE(got[0], p[1]);
	EXPECT_EQ(fcntl(got[0], F_GETFD) & FD_CLOEXEC, 0);
	EXPECT_EQ(write(got[0], "via", 3), 3);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 3);
	EXPECT_MEMEQ(buf, "via", 3);
	/* The same open file description: flags are shared. */
	EXPECT_SYS(fcntl(p[1], F_SETFL, O_NONBLOCK));
	EXPECT_TRUE(fcntl(got[0], F_GETFL) & O_NONBLOCK);
	close(got[0]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(scm_rights_cmsg_cloexec_and_peek)
{
	int sv[2], p[2], got[4], mf;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_SYS(pipe(p));
	EXPECT_EQ(send_fds(sv[0], p, 2), 1);
	/* MSG_PEEK gives new descriptors and leaves the message. */
	EXPECT_EQ(recv_fds(sv[1], got, 4, CMSG_SPACE(2 * sizeof(int)), MSG_PEEK, &mf), 2);
	close(got[0]);
	close(got[1]);
	EXPECT_EQ(recv_fds(sv[1], got, 4, CMSG_SPACE(2 * sizeof(int)), MSG_CMSG_CLOEXEC, &mf), 2);
	EXPECT_TRUE(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(got[1], F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(fcntl(got[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	EXPECT_EQ(fcntl(got[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	close(got[0]);
	close(got[1]);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(scm_rights_truncated_control_sets_ctrunc)
{
	int sv[2], p[2], got[4], mf = 0;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	EXPECT_SYS(pipe(p));
	int three[3] = {p[0], p[1], p[0]};
	EXPECT_EQ(send_fds(sv[0], three, 3), 1);
	/* Room for one descriptor only (CMSG_SPACE(4) would hold two). */
	EXPECT_EQ(recv_fds(sv[1], got, 4, CMSG_LEN(sizeof(int)), 0, &mf), 1);
	EXPECT_TRUE(mf & MSG_CTRUNC);
	close(got[0]);
	EXPECT_EQ(send_fds(sv[0], three, 3), 1);
	mf = 0;
	EXPECT_EQ(recv_fds(sv[1], got, 4, CMSG_SPACE(sizeof(int)), 0, &mf), 2);
	EXPECT_TRUE(mf & MSG_CTRUNC);
	close(got[0]);
	close(got[1]);
	/* No control buffer at all: the files are dropped. */
	EXPECT_EQ(send_fds(sv[0], three, 3), 1);
	mf = 0;
	EXPECT_EQ(recv_fds(sv[1], got, 4, 0, 0, &mf), 0);
	EXPECT_TRUE(mf & MSG_CTRUNC);
	/* Too small for even a header. */
	EXPECT_EQ(send_fds(sv[0], three, 1), 1);
	mf = 0;
	EXPECT_EQ(recv_fds(sv[1], got, 4, 8, 0, &mf), 0);
	EXPECT_TRUE(mf & MSG_CTRUNC);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(scm_rights_bad_descriptor_and_bad_cmsg)
{
	int sv[2], bad = 12345;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_ERRNO(send_fds(sv[0], &bad, 1), EBADF);
	/* A cmsg_len beyond the control buffer. */
	char byte = 'x';
	struct iovec io = {&byte, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = sizeof(u.buf) + 8;
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	EXPECT_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
	char ch;
	EXPECT_ERRNO(recv(sv[1], &ch, 1, MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(scm_rights_across_fork)
{
	int sv[2], st;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		/* The child opens a pipe and hands its read end to the parent. */
		int p[2], mf;
		close(sv[0]);
		if (pipe(p) || send_fds(sv[1], &p[0], 1) != 1)
			_exit(1);
		close(p[0]);
		if (write(p[1], "from-child", 10) != 10)
			_exit(2);
		close(p[1]);
		/* And takes one back from the parent. */
		int got;
		if (recv_fds(sv[1], &got, 1, CMSG_SPACE(sizeof(int)), 0, &mf) != 1)
			_exit(3);
		if (write(got, "child-wrote", 11) != 11)
			_exit(4);
		_exit(0);
	}
	close(sv[1]);
	int got = -1, mf;
	EXPECT_EQ(recv_fds(sv[0], &got, 1, CMSG_SPACE(sizeof(int)), 0, &mf), 1);
	char buf[32] = {0};
	EXPECT_EQ(read(got, buf, sizeof(buf)), 10);
	EXPECT_STREQ(buf, "from-child");
	EXPECT_EQ(read(got, buf, sizeof(buf)), 0); /* the child closed its end */
	close(got);
	int p[2];
	EXPECT_SYS(pipe(p));
	EXPECT_EQ(send_fds(sv[0], &p[1], 1), 1);
	close(p[1]);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 11);
	EXPECT_STREQ(buf, "child-wrote");
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	close(p[0]);
	close(sv[0]);
}

TEST(in_flight_files_are_released_with_the_socket)
{
	int sv[2], p[2];
	char c;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	EXPECT_SYS(pipe(p));
	EXPECT_EQ(send_fds(sv[0], &p[1], 1), 1);
	close(p[1]);
	/* The write end lives in the queue: no EOF yet. */
	EXPECT_SYS(fcntl(p[0], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	close(sv[1]); /* the receiver, with the file in its queue */
	EXPECT_EQ(read(p[0], &c, 1), 0);
	close(sv[0]);
	close(p[0]);
}

static bool get_creds(struct msghdr *mh, struct ucred *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(out, CMSG_DATA(c), sizeof(*out));
			return true;
		}
	return false;
}

TEST(scm_credentials_with_so_passcred)
{
	int sv[2], on = 1;
	char byte = 'c';
	struct iovec io = {&byte, 1};
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	struct ucred cr;
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	/* Without SO_PASSCRED: no credentials. */
	EXPECT_EQ(send(sv[0], "a", 1, 0), 1);
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 1);
	EXPECT_EQ(mh.msg_controllen, 0);
	EXPECT_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	int v = 0;
	socklen_t l = sizeof(v);
	EXPECT_SYS(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l));
	EXPECT_EQ(v, 1);
	EXPECT_EQ(send(sv[0], "b", 1, 0), 1);
	mh.msg_controllen = sizeof(u.buf);
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 1);
	EXPECT_EQ(mh.msg_controllen, CMSG_SPACE(sizeof(struct ucred)));
	if (EXPECT_TRUE(get_creds(&mh, &cr))) {
		EXPECT_EQ(cr.pid, getpid());
		EXPECT_EQ(cr.uid, getuid());
		EXPECT_EQ(cr.gid, getgid());
	}
	/* Explicit credentials (our own) are accepted and delivered. */
	memset(&u, 0, sizeof(u));
	struct msghdr sm = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&sm);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred mine = {getpid(), getuid(), getgid()};
	memcpy(CMSG_DATA(c), &mine, sizeof(mine));
	EXPECT_EQ(sendmsg(sv[0], &sm, 0), 1);
	mh.msg_controllen = sizeof(u.buf);
	EXPECT_EQ(recvmsg(sv[1], &mh, 0), 1);
	EXPECT_TRUE(get_creds(&mh, &cr) && cr.pid == getpid());
	/* A wrong length is EINVAL. */
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 4);
	EXPECT_ERRNO(sendmsg(sv[0], &sm, 0), EINVAL);
	/* No control buffer while SO_PASSCRED is on: MSG_CTRUNC. */
	EXPECT_EQ(send(sv[0], "d", 1, 0), 1);
	struct msghdr nm = {.msg_iov = &io, .msg_iovlen = 1};
	EXPECT_EQ(recvmsg(sv[1], &nm, 0), 1);
	EXPECT_TRUE(nm.msg_flags & MSG_CTRUNC);
	close(sv[0]);
	close(sv[1]);
}

TEST(so_peercred_of_socketpair_and_connection)
{
	int sv[2], st;
	struct ucred cr;
	socklen_t l = sizeof(cr);
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
	EXPECT_EQ(l, sizeof(cr));
	EXPECT_EQ(cr.pid, getpid());
	EXPECT_EQ(cr.uid, geteuid());
	EXPECT_EQ(cr.gid, getegid());
	close(sv[0]);
	close(sv[1]);

	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_STREAM, 0));
	l = sizeof(cr);
	EXPECT_SYS(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l));
	EXPECT_EQ(cr.pid, 0);
	EXPECT_EQ(cr.uid, (uid_t)-1);

	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "cred.sock");
	EXPECT_SYS(bind(s, (struct sockaddr *)&a, sizeof(a)));
	EXPECT_SYS(listen(s, 1));
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		struct ucred pc;
		socklen_t pl = sizeof(pc);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		/* The client sees the listener's credentials. */
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &pc, &pl) || pc.pid != getppid())
			_exit(2);
		char ch;
		if (read(c, &ch, 1) != 1)
			_exit(3);
		_exit(0);
	}
	int cs = (int)EXPECT_SYS(accept(s, NULL, NULL));
	l = sizeof(cr);
	EXPECT_SYS(getsockopt(cs, SOL_SOCKET, SO_PEERCRED, &cr, &l));
	EXPECT_EQ(cr.pid, pid);
	EXPECT_EQ(write(cs, "k", 1), 1);
	waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	close(cs);
	close(s);
}

TEST(garbage_cycles_of_in_flight_sockets_are_collected)
{
	/* Both ends and a pipe's write end sit in one end's queue, and every
	 * descriptor is closed: only the garbage collector can free them. */
	int sv[2], p[2];
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_SYS(pipe(p));
	int three[3] = {sv[0], sv[1], p[1]};
	EXPECT_EQ(send_fds(sv[0], three, 3), 1);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	char c;
	EXPECT_SYS(fcntl(p[0], F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	/* Releasing any unix socket runs the collector (Linux may run it
	 * asynchronously: wait for the pipe's hang-up). */
	int s = (int)EXPECT_SYS(socket(AF_UNIX, SOCK_DGRAM, 0));
	close(s);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 5000), 1);
	EXPECT_TRUE(pfd.revents & POLLHUP);
	EXPECT_EQ(read(p[0], &c, 1), 0);
	close(p[0]);
}

TEST(too_many_files_in_flight_is_etoomanyrefs)
{
	/* An unprivileged user may have about RLIMIT_NOFILE files in flight. */
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		int sv[2];
		struct rlimit rl = {16, 16};
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
			_exit(10);
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(11);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(12);
		int four[4] = {0, 1, 2, sv[0]}, i;
		for (i = 0; i < 20; i++)
			if (send_fds(sv[0], four, 4) < 0)
				break;
		/* 20 in flight is over 16: the sixth message is refused. */
		if (i != 5 || errno != ETOOMANYREFS)
			_exit(13);
		/* Receiving some makes room again. */
		int got[4], mf;
		if (recv_fds(sv[1], got, 4, CMSG_SPACE(4 * sizeof(int)), 0, &mf) != 4)
			_exit(14);
		for (int k = 0; k < 4; k++)
			close(got[k]);
		_exit(send_fds(sv[0], four, 4) == 1 ? 0 : 15);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
}
