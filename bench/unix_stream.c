/*
 * bench_unix_stream [MIB] - AF_UNIX stream throughput: MIB MiB (default
 * 1024, 1 GiB) sent from one process to another over a SOCK_STREAM
 * socketpair, in 128 KiB send() calls, read in 128 KiB recv() calls: the
 * same measurement as bench_tcp_stream without the TCP/IP stack.
 *
 * The parent makes the socketpair; a forked child reads until it has every byte, checks the first 128 KiB against the
 * pattern sent (so a sandbox that delivers garbage fails instead of looking
 * fast) and answers one byte. The parent times from its first send() to that
 * answer, with CLOCK_MONOTONIC, and prints (MB = 10^6 bytes):
 *
 *     unix_stream: 1024 MiB, 1.234567 s, 869.9 MB/s
 *
 * Socket buffer sizes and options are the defaults, as an application gets
 * them. Any error prints it on stderr and exits 1.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK (128 * 1024)
#define MAX_MIB (1L << 20)	/* 1 TiB: more would only be a typo */

static void die(const char *what)
{
	fprintf(stderr, "unix_stream: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(unsigned char *buf)
{
	for (size_t i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)(i * 7 + 1 + (i >> 12));
}

static void send_all(int fd, const unsigned char *p, size_t len)
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

/* The child: reads total bytes, checks the first CHUNK, answers one byte. */
static void receiver(int fd, long long total)
{
	unsigned char *buf = malloc(CHUNK), *want = malloc(CHUNK);
	long long got = 0;

	if (!buf || !want)
		die("malloc");
	fill(want);
	while (got < total) {
		ssize_t r = recv(fd, buf, CHUNK, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("recv");
		if (r == 0) {
			fprintf(stderr, "unix_stream: EOF after %lld of %lld bytes\n", got, total);
			exit(1);
		}
		if (got < CHUNK) {
			size_t n = (size_t)r;

			if (got + r > CHUNK)
				n = (size_t)(CHUNK - got);
			if (memcmp(buf, want + got, n) != 0) {
				fprintf(stderr, "unix_stream: wrong data received\n");
				exit(1);
			}
		}
		got += r;
	}
	send_all(fd, (const unsigned char *)"!", 1);
	_exit(0);
}

static long parse_mib(int argc, char **argv)
{
	char *end;
	long n;

	if (argc < 2)
		return 1024;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || n <= 0 || n > MAX_MIB) {
		fprintf(stderr, "usage: %s [MIB] (1..%ld, default 1024)\n", argv[0], MAX_MIB);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long mib = parse_mib(argc, argv);
	long long total = (long long)mib << 20;
	unsigned char *buf = malloc(CHUNK), ack;
	int sv[2], fd, status;
	double t0, t1;
	pid_t pid;

	if (!buf)
		die("malloc");
	fill(buf);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		receiver(sv[1], total);
	}
	close(sv[1]);
	fd = sv[0];

	t0 = bench_now_ns();
	for (long long sent = 0; sent < total; sent += CHUNK)
		send_all(fd, buf, CHUNK);
	for (;;) {
		ssize_t r = recv(fd, &ack, 1, 0);

		if (r == 1)
			break;
		if (r == 0)
			errno = EPIPE;
		if (r == 0 || errno != EINTR)
			die("recv (the receiver's answer)");
	}
	t1 = bench_now_ns();

	close(fd);
	free(buf);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "unix_stream: receiver failed\n");
		return 1;
	}
	printf("unix_stream: %ld MiB, %.6f s, %.1f MB/s\n", mib, (t1 - t0) / 1e9,
	       (double)total / 1e6 / ((t1 - t0) / 1e9));
	fflush(stdout);
	return 0;
}
