/*
 * bench_fork_wait ITERS - process creation and teardown: fork(2), the child
 * _exit(0)s at once, the parent waitpid(2)s for it and checks its status.
 * One operation is the whole cycle, so it includes copying the parent's
 * address space (copy-on-write page tables), scheduling the child, its exit
 * and reaping it.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			exit(1);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "fork_wait: child status 0x%x\n", status);
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
	bench_report("fork+exit+wait", iters, t0, t1);
	return 0;
}
