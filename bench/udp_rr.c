/*
 * bench_udp_rr ITERS - UDP round trip on 127.0.0.1: the parent sends a
 * 64-byte datagram on a connected UDP socket, the forked child receives it
 * on its own connected socket and sends it back, the parent receives and
 * checks it. One operation is that round trip: two sends, two blocking
 * receives woken by the other process, two process switches. Loopback does
 * not lose datagrams; a lost one would hang the run (bench/run's timeout).
 * The child stops on a zero-length datagram.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MSG 64

static void die(const char *what)
{
	fprintf(stderr, "udp_rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void xsend(int fd, const char *p, size_t len)
{
	ssize_t w;

	do
		w = send(fd, p, len, 0);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len)
		die("send");
}

static ssize_t xrecv(int fd, char *p, size_t len)
{
	ssize_t r;

	do
		r = recv(fd, p, len, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		die("recv");
	return r;
}

/* A UDP socket bound to 127.0.0.1:<ephemeral>; its address in *a. */
static int bound(struct sockaddr_in *a)
{
	socklen_t l = sizeof(*a);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(s, (struct sockaddr *)a, &l))
		die("socket/bind");
	return s;
}

static void loop(int fd, long n)
{
	char req[MSG], resp[MSG];

	for (long i = 0; i < n; i++) {
		memset(req, (int)(i & 0xff) | 1, MSG);
		xsend(fd, req, MSG);
		if (xrecv(fd, resp, MSG) != MSG || memcmp(req, resp, MSG) != 0) {
			fprintf(stderr, "udp_rr: bad response\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	struct sockaddr_in pa, ca;
	int ps = bound(&pa), cs = bound(&ca), status;
	double t0, t1;
	pid_t pid;

	if (connect(ps, (struct sockaddr *)&ca, sizeof(ca)) ||
	    connect(cs, (struct sockaddr *)&pa, sizeof(pa)))
		die("connect");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char buf[MSG];
		ssize_t r;

		close(ps);
		while ((r = xrecv(cs, buf, MSG)) > 0)
			xsend(cs, buf, (size_t)r);
		_exit(0);
	}
	close(cs);

	loop(ps, bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(ps, iters);
	t1 = bench_now_ns();

	xsend(ps, "", 0);	/* the child stops */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "udp_rr: child did not exit cleanly\n");
		return 1;
	}
	bench_report("udp_rr 64 B", iters, t0, t1);
	return 0;
}
