/*
 * bench_pipe_pingpong ITERS - pipe ping-pong between two processes: the
 * parent writes one byte into one pipe, the forked child reads it and writes
 * it back through a second pipe, the parent reads it. One operation is that
 * round trip: four read/write calls, two of which block and are woken, and
 * two process switches.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void xwrite(int fd, char c)
{
	ssize_t r;

	do
		r = write(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1) {
		perror("pipe_pingpong: write");
		exit(1);
	}
}

/* Returns 0 at end of file, else the byte read. */
static int xread(int fd, char *c)
{
	ssize_t r;

	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		perror("pipe_pingpong: read");
		exit(1);
	}
	return (int)r;
}

static void child(int in, int out)
{
	char c;

	while (xread(in, &c))
		xwrite(out, c);
	_exit(0);
}

static void loop(long n, int out, int in)
{
	for (long i = 0; i < n; i++) {
		char c = (char)i, back;

		xwrite(out, c);
		if (!xread(in, &back) || back != c) {
			fprintf(stderr, "pipe_pingpong: bad echo\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	int to_child[2], to_parent[2], status;
	double t0, t1;
	pid_t pid;

	if (pipe(to_child) || pipe(to_parent)) {
		perror("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child(to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);

	loop(bench_warmup_iters(iters), to_child[1], to_parent[0]);
	t0 = bench_now_ns();
	loop(iters, to_child[1], to_parent[0]);
	t1 = bench_now_ns();

	close(to_child[1]);	/* EOF: the child exits */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pipe_pingpong: child did not exit cleanly\n");
		return 1;
	}
	bench_report("pipe ping-pong", iters, t0, t1);
	return 0;
}
