/*
 * bench_pread ITERS PATH - pread(fd, buf, 4096, 0) from PATH, ITERS times.
 * PATH must be a regular file of at least 4 KiB (bench/run passes the
 * benchmark's own executable, which the sandbox sees through the gofer); every
 * call must return the full 4096 bytes. Reading the same offset keeps the data
 * in the host page cache, so the figure is the syscall and copy cost, not disk.
 */
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

#define PREAD_SIZE 4096

static void loop(int fd, char *buf, long n)
{
	for (long i = 0; i < n; i++) {
		ssize_t r = pread(fd, buf, PREAD_SIZE, 0);

		if (r != PREAD_SIZE) {
			fprintf(stderr, "pread: returned %zd (%s)\n", r,
				r < 0 ? strerror(errno) : "short read");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS PATH");
	static char buf[PREAD_SIZE];
	double t0, t1;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ITERATIONS PATH\n", argv[0]);
		return 2;
	}
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	loop(fd, buf, bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(fd, buf, iters);
	t1 = bench_now_ns();
	bench_report("pread 4KiB", iters, t0, t1);
	close(fd);
	return 0;
}
