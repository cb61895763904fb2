/*
 * bench_open_close ITERS [PATH] - open(PATH, O_RDONLY) + close, ITERS pairs.
 * PATH defaults to /etc/passwd, an existing file on every host. In the sandbox
 * this exercises path resolution, the dentry cache and (on a miss) the gofer.
 */
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static void loop(const char *path, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "open %s: %s\n", path, strerror(errno));
			exit(1);
		}
		if (close(fd) != 0) {
			perror("close");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS [PATH]");
	const char *path = argc > 2 ? argv[2] : "/etc/passwd";
	double t0, t1;

	loop(path, bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(path, iters);
	t1 = bench_now_ns();
	bench_report("open+close", iters, t0, t1);
	return 0;
}
