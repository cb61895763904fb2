/*
 * The stream throughput benchmarks' shared body (bench_tcp_stream,
 * bench_unix_stream): MIB MiB (default 1024, 1 GiB) sent from one process
 * to another over a connected stream socket pair, in 128 KiB send()
 * calls, read in 128 KiB recv() calls. The pair is made before the fork
 * (make_pair: sv[0] the parent's sending end, sv[1] the child's); the
 * child reads until it has every byte, checks the first 128 KiB against
 * the pattern and answers one byte; the parent times from its first send
 * to that answer and prints one line, e.g.
 *
 *     tcp_stream: 1024 MiB, 1.234567 s, 869.9 MB/s
 *
 * Socket buffer sizes and options are the defaults, as an application gets
 * them. Any error prints it on stderr and exits 1.
 */
#ifndef BENCH_STREAM_H
#define BENCH_STREAM_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static const char *stream_name = "stream";

#define CHUNK (128 * 1024)
#define MAX_MIB (1L << 20)	/* 1 TiB: more would only be a typo */

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", stream_name, what, strerror(errno));
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
			fprintf(stderr, "%s: EOF after %lld of %lld bytes\n", stream_name, got, total);
			exit(1);
		}
		if (got < CHUNK) {
			size_t n = (size_t)r;

			if (got + r > CHUNK)
				n = (size_t)(CHUNK - got);
			if (memcmp(buf, want + got, n) != 0) {
				fprintf(stderr, "%s: wrong data received\n", stream_name);
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

static int stream_main(int argc, char **argv, const char *name, void (*make_pair)(int sv[2]))
{
	long mib;
	long long total;
	unsigned char *buf = malloc(CHUNK), ack;
	int sv[2], status;
	double t0, t1;
	pid_t pid;

	stream_name = name;
	mib = parse_mib(argc, argv);
	total = (long long)mib << 20;
	if (!buf)
		die("malloc");
	fill(buf);
	make_pair(sv);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		receiver(sv[1], total);
	}
	close(sv[1]);

	t0 = bench_now_ns();
	for (long long sent = 0; sent < total; sent += CHUNK)
		send_all(sv[0], buf, CHUNK);
	for (;;) {
		ssize_t r = recv(sv[0], &ack, 1, 0);

		if (r == 1)
			break;
		if (r == 0)
			errno = EPIPE;
		if (r == 0 || errno != EINTR)
			die("recv (the receiver's answer)");
	}
	t1 = bench_now_ns();

	close(sv[0]);
	free(buf);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: receiver failed\n", name);
		return 1;
	}
	printf("%s: %ld MiB, %.6f s, %.1f MB/s\n", name, mib, (t1 - t0) / 1e9,
	       (double)total / 1e6 / ((t1 - t0) / 1e9));
	fflush(stdout);
	return 0;
}

#endif
