/*
 * bench_epoll_pingpong ITERS - pipe ping-pong between two processes in which
 * each side waits in poll(2) before it reads: the parent writes one byte,
 * the forked child polls its pipe, reads the byte and writes it back through
 * a second pipe, on which the parent polls and reads. One operation is that
 * round trip: two blocking polls woken by the other process's write, four
 * reads and writes. Compare with bench_pipe_pingpong (the same without
 * poll) and bench_eepoll_pingpong.
 */
#include <sys/epoll.h>
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
		perror("epoll_pingpong: write");
		exit(1);
	}
}

/* An epoll instance watching fd for EPOLLIN. */
static int watch(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		perror("epoll_pingpong: epoll");
		exit(1);
	}
	return ep;
}

/* Wait in epoll_wait until fd (watched by ep) is readable or hung up, then
 * read: 0 at EOF. */
static int poll_read(int ep, int fd, char *c)
{
	struct epoll_event out;
	ssize_t r;

	while (epoll_wait(ep, &out, 1, -1) != 1) {
		if (errno != EINTR) {
			perror("epoll_pingpong: epoll_wait");
			exit(1);
		}
	}
	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		perror("epoll_pingpong: read");
		exit(1);
	}
	return (int)r;
}

static void child(int in, int out)
{
	int ep = watch(in);
	char c;

	while (poll_read(ep, in, &c))
		xwrite(out, c);
	_exit(0);
}

static void loop(long n, int out, int ep, int in)
{
	for (long i = 0; i < n; i++) {
		char c = (char)i, back;

		xwrite(out, c);
		if (!poll_read(ep, in, &back) || back != c) {
			fprintf(stderr, "epoll_pingpong: bad echo\n");
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
	int ep = watch(to_parent[0]);

	loop(bench_warmup_iters(iters), to_child[1], ep, to_parent[0]);
	t0 = bench_now_ns();
	loop(iters, to_child[1], ep, to_parent[0]);
	t1 = bench_now_ns();

	close(to_child[1]); /* EOF: the child exits */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "epoll_pingpong: child did not exit cleanly\n");
		return 1;
	}
	bench_report("epoll ping-pong", iters, t0, t1);
	return 0;
}
