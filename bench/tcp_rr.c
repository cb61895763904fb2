/*
 * bench_tcp_rr ITERS - TCP request/response latency on 127.0.0.1: the parent
 * sends a 64-byte request over a TCP connection (TCP_NODELAY on both ends),
 * the forked child reads all 64 bytes and sends them back, the parent reads
 * the 64-byte response and checks it. One operation is that round trip (the
 * netperf TCP_RR pattern): two sends, two blocking receives woken by the
 * other process, two process switches.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MSG 64

static void die(const char *what)
{
	fprintf(stderr, "tcp_rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send");
		p += w;
		len -= (size_t)w;
	}
}

/* Reads exactly len bytes; returns false at EOF before the first byte. */
static bool recv_all(int fd, char *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = recv(fd, p + got, len - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("recv");
		if (r == 0) {
			if (got == 0)
				return false;
			errno = EPIPE;
			die("recv (short message)");
		}
		got += (size_t)r;
	}
	return true;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("setsockopt TCP_NODELAY");
}

static void loop(int fd, long n)
{
	char req[MSG], resp[MSG];

	for (long i = 0; i < n; i++) {
		memset(req, (int)(i & 0xff), MSG);
		send_all(fd, req, MSG);
		if (!recv_all(fd, resp, MSG) || memcmp(req, resp, MSG) != 0) {
			fprintf(stderr, "tcp_rr: bad response\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int lsn, fd, status;
	double t0, t1;
	pid_t pid;

	lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsn < 0)
		die("socket");
	if (bind(lsn, (struct sockaddr *)&a, sizeof(a)) || listen(lsn, 1) ||
	    getsockname(lsn, (struct sockaddr *)&a, &al))
		die("bind/listen");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char buf[MSG];
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		nodelay(c);
		while (recv_all(c, buf, MSG))
			send_all(c, buf, MSG);
		_exit(0);
	}
	fd = accept(lsn, NULL, NULL);
	if (fd < 0)
		die("accept");
	nodelay(fd);

	loop(fd, bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(fd, iters);
	t1 = bench_now_ns();

	close(fd);	/* EOF: the child exits */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "tcp_rr: child did not exit cleanly\n");
		return 1;
	}
	bench_report("tcp_rr 64 B", iters, t0, t1);
	return 0;
}
