/*
 * gofer --root DIR [--rw] --fd N
 *
 * Serves the host directory DIR over the SOCK_SEQPACKET socket N (inherited
 * from the sentry, see gofer_spawn()). Confines itself first (gofer_confine,
 * then the seccomp filter), then runs a single-threaded loop until the sentry
 * closes its end. Exit status: 0 when the peer hung up, 1 on a start-up or
 * transport error.
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RECV_FDS 8

#ifdef GOFER_ASAN
/* LeakSanitizer stops the world with ptrace at exit, which the seccomp filter
 * forbids (and the pivoted root has no /proc): no leak check in the gofer. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

void glog(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "gofer[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0) {
		/* nothing to do: the log is best effort */
	}
}

static int usage(void)
{
	glog("usage: gofer --root DIR [--rw] --fd N");
	return 1;
}

static int parse_args(int argc, char **argv, struct gofer_config *cfg)
{
	int i;

	cfg->root = NULL;
	cfg->rw = false;
	cfg->sock = -1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rw")) {
			cfg->rw = true;
		} else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			cfg->root = argv[++i];
		} else if (!strcmp(argv[i], "--fd") && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end || v < 0 || v > 65535)
				return -EINVAL;
			cfg->sock = (int)v;
		} else {
			return -EINVAL;
		}
	}
	if (!cfg->root || cfg->sock < 0)
		return -EINVAL;
	return 0;
}

static int check_socket(int sock)
{
	int type = 0;
	socklen_t l = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return -errno;
	if (type != SOCK_SEQPACKET)
		return -ENOTSOCK;
	/* Keep it across nothing: the gofer never execs. */
	if (fcntl(sock, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Send one reply (and the donated descriptor, if any). */
static int send_reply(int sock, struct gofer_reply *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov[2] = {
	    {.iov_base = &r->hdr, .iov_len = sizeof(r->hdr)},
	    {.iov_base = r->body, .iov_len = r->len},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t n;

	r->hdr.len = (uint32_t)r->len;
	if (r->fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &r->fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	return n < 0 ? -errno : 0;
}

/* Close every descriptor the peer sent: requests never carry any. Returns
 * how many there were. */
static int drop_fds(struct msghdr *msg)
{
	struct cmsghdr *c;
	int count = 0;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t i, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
			count++;
		}
	}
	return count;
}

static int serve(struct gofer_server *srv)
{
	static struct gofer_reply reply;
	static uint64_t body[GOFER_MSG_MAX / 8];
	int sock = srv->cfg->sock;

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * MAX_RECV_FDS)];
			struct cmsghdr align;
		} cm;
		struct gofer_hdr hdr = {0};
		struct iovec iov[2] = {
		    {.iov_base = &hdr, .iov_len = sizeof(hdr)},
		    {.iov_base = body, .iov_len = GOFER_MSG_MAX - sizeof(hdr)},
		};
		struct msghdr msg = {.msg_iov = iov,
				     .msg_iovlen = 2,
				     .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf)};
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		bool bad;
		int err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			glog("recvmsg: %s", strerror(errno));
			return 1;
		}
		if (n == 0)
			return 0; /* the sentry hung up */
		bad = drop_fds(&msg) > 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
		reply.fd = -1;
		if ((size_t)n < sizeof(hdr)) {
			reply.hdr.type = GOFER_T_ERROR | GOFER_REPLY;
			reply.hdr.tag = 0;
			bad = true;
		} else {
			reply.hdr.type = hdr.type | GOFER_REPLY;
			reply.hdr.tag = hdr.tag;
			if (hdr.len != (size_t)n - sizeof(hdr))
				bad = true;
		}
		if (bad) {
			struct gofer_rhdr rh = {.err = -EINVAL};

			memcpy(reply.body, &rh, sizeof(rh));
			reply.len = sizeof(rh);
		} else {
			gofer_handle(srv, hdr.type, body, hdr.len, &reply);
		}
		err = send_reply(sock, &reply);
		if (err) {
			if (err != -EPIPE && err != -ECONNRESET)
				glog("sendmsg: %s", strerror(-err));
			return err == -EPIPE || err == -ECONNRESET ? 0 : 1;
		}
	}
}

int main(int argc, char **argv)
{
	struct gofer_config cfg;
	struct gofer_server srv = {.cfg = &cfg};
	int err, ret;

	if (parse_args(argc, argv, &cfg))
		return usage();
	err = check_socket(cfg.sock);
	if (err) {
		glog("--fd %d: not a SOCK_SEQPACKET socket: %s", cfg.sock, strerror(-err));
		return 1;
	}
	/* Modes in CREATE/MKDIR/MKNOD already carry the sandbox's umask. */
	umask(0);
	err = gofer_confine(&cfg, &srv.vflags);
	if (err < 0) {
		glog("cannot serve %s: %s", cfg.root, strerror(-err));
		return 1;
	}
	srv.root_fd = err;
	if (cfg.rw)
		srv.vflags |= GOFER_VF_RW;
	err = gofer_install_filter(&cfg);
	if (err) {
		glog("seccomp: %s; refusing to serve", strerror(-err));
		return 1;
	}
	srv.vflags |= GOFER_VF_SECCOMP;
	ret = serve(&srv);
	fid_table_destroy();
	close(srv.root_fd);
	return ret;
}
