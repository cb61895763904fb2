/*
 * bench.h - shared helpers of the micro benchmarks. Header only: each bench .c
 * file is built into its own bench_<name> executable (see CMakeLists.txt).
 *
 * Every micro benchmark takes a fixed iteration count as argv[1], runs a short
 * warm-up (so first-touch page faults and lazy set-up in a sandbox are not
 * timed), times the loop with CLOCK_MONOTONIC and prints one line on stdout:
 *
 *     <name>: <iters> iterations, <seconds> s, <ns> ns/op
 *
 * bench/run parses the number in front of "ns/op". A failing operation makes
 * the program print the error on stderr and exit 1: a benchmark that measured
 * an error path would report a meaningless figure.
 */
#ifndef SENTRY_BENCH_H
#define SENTRY_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bound on iterations: keeps a typo from running for hours. */
#define BENCH_MAX_ITERS 1000000000L

static inline long bench_parse_iters(int argc, char **argv, const char *usage)
{
	char *end;
	long n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s %s\n", argv[0], usage);
		exit(2);
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || n <= 0 || n > BENCH_MAX_ITERS) {
		fprintf(stderr, "%s: bad iteration count '%s' (1..%ld)\n", argv[0],
			argv[1], BENCH_MAX_ITERS);
		exit(2);
	}
	return n;
}

/* Warm-up length: a tenth of the run, at most 1000 iterations. */
static inline long bench_warmup_iters(long iters)
{
	long w = iters / 10;

	return w > 1000 ? 1000 : w;
}

static inline double bench_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void bench_report(const char *name, long iters, double t0, double t1)
{
	double ns = t1 - t0;

	printf("%s: %ld iterations, %.6f s, %.1f ns/op\n", name, iters, ns / 1e9,
	       ns / (double)iters);
	fflush(stdout);
}

#endif /* SENTRY_BENCH_H */
