/*
 * bench_meta N DIR - the life of N small files in DIR: create, fstat, close,
 * then unlink, one file at a time.
 *
 * One operation is open(DIR/bench-meta.PID.I, O_CREAT|O_EXCL|O_WRONLY, 0644)
 * + fstat (checked: a regular file of size 0) + close + unlink: the metadata
 * path of a build or an unpack (path walk, a new inode and directory entry,
 * attributes, removal), with no data. Files are created one after the other
 * and each is unlinked before the next is created, so the directory stays
 * small and the figure does not depend on how the filesystem scales with
 * directory size. A warm-up of bench_warmup_iters(N) files runs first.
 * Prints the usual "ns/op" line and the rate:
 *
 *     meta create+fstat+close+unlink: 2000 iterations, 0.1 s, 50000.0 ns/op
 *     meta: 20000.0 ops/s
 *
 * Any failure prints the error on stderr, removes the file and exits 1.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static char path[PATH_MAX];

static void fail(const char *what)
{
	fprintf(stderr, "meta: %s %s: %s\n", what, path, strerror(errno));
	unlink(path);
	exit(1);
}

static void loop(const char *dir, long base, long n)
{
	for (long i = 0; i < n; i++) {
		struct stat st;
		int fd, len;

		len = snprintf(path, sizeof(path), "%s/bench-meta.%ld.%ld", dir,
			       (long)getpid(), base + i);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			fprintf(stderr, "meta: directory name too long\n");
			exit(2);
		}
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			fail("create");
		if (fstat(fd, &st) != 0)
			fail("fstat");
		if (!S_ISREG(st.st_mode) || st.st_size != 0) {
			errno = EINVAL;
			fail("fstat: not an empty regular file:");
		}
		if (close(fd) != 0)
			fail("close");
		if (unlink(path) != 0)
			fail("unlink");
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS DIR");
	long warm = bench_warmup_iters(iters);
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ITERATIONS DIR\n", argv[0]);
		return 2;
	}
	loop(argv[2], 0, warm);
	t0 = bench_now_ns();
	loop(argv[2], warm, iters);
	t1 = bench_now_ns();
	bench_report("meta create+fstat+close+unlink", iters, t0, t1);
	printf("meta: %.1f ops/s\n", (double)iters * 1e9 / (t1 - t0));
	return 0;
}
