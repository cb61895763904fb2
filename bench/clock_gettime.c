/*
 * bench_clock_gettime ITERS - clock_gettime(CLOCK_MONOTONIC) through libc,
 * ITERS times: the vDSO when the process has one (no kernel entry at all),
 * else a syscall (in a ptrace sandbox: a trap to the tracer and back).
 * SENTRY_NO_VDSO=1 in the sentry's environment gives the trapped figure.
 */
#include <time.h>

#include "bench.h"

static void loop(long n)
{
	struct timespec ts;

	for (long i = 0; i < n; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
			perror("clock_gettime");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	double t0, t1;

	/* Warm up for 50 ms rather than a count: a sandbox's vDSO may serve
	 * from the page only once its first calibration is done. */
	t0 = bench_now_ns();
	do
		loop(bench_warmup_iters(iters));
	while (bench_now_ns() - t0 < 50e6);
	t0 = bench_now_ns();
	loop(iters);
	t1 = bench_now_ns();
	bench_report("clock_gettime", iters, t0, t1);
	return 0;
}
