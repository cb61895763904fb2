/*
 * bench_syscall ITERS - syscall round trip: getppid(2) through the raw
 * syscall(2) entry (no libc caching), ITERS times. getppid does no work in any
 * kernel, so the figure is the cost of entering and leaving the kernel; in a
 * ptrace sandbox it is the cost of one trap to the tracer and back.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		long r = syscall(SYS_getppid);

		if (r < 0) {
			perror("getppid");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	double t0, t1;

	loop(bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(iters);
	t1 = bench_now_ns();
	bench_report("getppid", iters, t0, t1);
	return 0;
}
