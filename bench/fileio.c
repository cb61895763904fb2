/*
 * bench_fileio MIB DIR - sequential write, then sequential read, of a MIB MiB
 * file in DIR, in 1 MiB system calls.
 *
 * Write: open(O_CREAT|O_EXCL|O_WRONLY|O_TRUNC), MIB write()s of 1 MiB, fsync,
 * close; read: open(O_RDONLY), read() of 1 MiB until EOF, close. Each phase is
 * timed whole (open to close) with CLOCK_MONOTONIC and reported in MB/s
 * (10^6 bytes per second) on its own line:
 *
 *     fileio write: 64 MiB, 0.123456 s, 543.6 MB/s
 *     fileio read: 64 MiB, 0.012345 s, 5436.1 MB/s
 *
 * The read comes straight after the write, so on a host filesystem it is
 * served from the host's page cache: the figure is the data path (system
 * calls, copies, the sandbox's file layers), not the disk. fsync does reach
 * the disk on a disk-backed directory. The buffer holds a non-zero pattern;
 * the first chunk read is compared with it in the timed loop (one 1 MiB
 * memcmp) and the whole file afterwards, untimed, so a sandbox that returned
 * the wrong data fails instead of looking fast.
 * The file is unlinked at the end (and on failure). A short write or read,
 * or any error, prints it on stderr and exits 1.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK (1024 * 1024)
/* 64 GiB: more would only be a typo. */
#define FILEIO_MAX_MIB 65536L

static char path[PATH_MAX];

static void fail(const char *what)
{
	fprintf(stderr, "fileio: %s %s: %s\n", what, path, strerror(errno));
	unlink(path);
	exit(1);
}

/* Byte i of every chunk: never all zero, differs between neighbours. */
static void fill(unsigned char *buf)
{
	for (size_t i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)(i * 7 + 1 + (i >> 12));
}

/* Writes the whole buffer (a short write is retried, as a program would). */
static void write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			fail("write");
		}
		if (w == 0) {
			errno = EIO;
			fail("write returned 0 on");
		}
		buf += w;
		len -= (size_t)w;
	}
}

static void report(const char *phase, long mib, double t0, double t1)
{
	double s = (t1 - t0) / 1e9;

	printf("fileio %s: %ld MiB, %.6f s, %.1f MB/s\n", phase, mib, s,
	       (double)mib * CHUNK / 1e6 / s);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long mib = bench_parse_iters(argc, argv, "MIB DIR");
	unsigned char *buf, *check;
	long long total = 0;
	double t0, t1;
	int fd, n;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MIB DIR\n", argv[0]);
		return 2;
	}
	if (mib > FILEIO_MAX_MIB) {
		fprintf(stderr, "fileio: at most %ld MiB\n", FILEIO_MAX_MIB);
		return 2;
	}
	n = snprintf(path, sizeof(path), "%s/bench-fileio.%ld", argv[2],
		     (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "fileio: directory name too long\n");
		return 2;
	}
	buf = malloc(CHUNK);
	check = malloc(CHUNK);
	if (!buf || !check) {
		fprintf(stderr, "fileio: out of memory\n");
		return 1;
	}
	fill(buf);

	t0 = bench_now_ns();
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail("create");
	for (long i = 0; i < mib; i++)
		write_all(fd, buf, CHUNK);
	if (fsync(fd) != 0)
		fail("fsync");
	if (close(fd) != 0)
		fail("close");
	t1 = bench_now_ns();
	report("write", mib, t0, t1);

	t0 = bench_now_ns();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("open");
	for (;;) {
		ssize_t r = read(fd, check, CHUNK);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("read");
		}
		if (r == 0)
			break;
		/* Checked only for the first chunk's worth: outside the copy
		 * cost we measure, but enough to catch garbage. */
		if (total == 0 && memcmp(check, buf, (size_t)r) != 0) {
			errno = EIO;
			fail("wrong data read back from");
		}
		total += r;
	}
	close(fd);
	t1 = bench_now_ns();
	if (total != (long long)mib * CHUNK) {
		fprintf(stderr, "fileio: read %lld bytes back, wrote %lld\n",
			total, (long long)mib * CHUNK);
		unlink(path);
		return 1;
	}
	report("read", mib, t0, t1);

	/* The whole file, once more, untimed: every chunk must match. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("reopen");
	for (long i = 0; i < mib; i++) {
		ssize_t r = pread(fd, check, CHUNK, (off_t)i * CHUNK);

		if (r != CHUNK || memcmp(check, buf, CHUNK) != 0) {
			errno = EIO;
			fail("verify");
		}
	}
	close(fd);
	if (unlink(path) != 0)
		fail("unlink");
	free(buf);
	free(check);
	return 0;
}
