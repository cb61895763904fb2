/*
 * bench_fork_exec ITERS [PROGRAM] - fork(2), the child execve(2)s PROGRAM
 * (default /bin/true) with no arguments, the parent waitpid(2)s for it and
 * checks it exited 0. One operation is the whole cycle: fork, exec (ELF and
 * ld.so loading, dynamic linking, libc start-up), the program's exit and
 * reaping it. This is what a shell does for every command.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static void loop(long n, const char *prog)
{
	char *const args[] = { (char *)prog, NULL };

	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			execve(prog, args, environ);
			_exit(127);	/* exec failed: reported by the parent */
		}
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			exit(1);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "fork_exec: %s: child status 0x%x%s\n", prog,
				status,
				WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
					" (exec failed?)" : "");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS [PROGRAM]");
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	double t0, t1;

	loop(bench_warmup_iters(iters), prog);
	t0 = bench_now_ns();
	loop(iters, prog);
	t1 = bench_now_ns();
	bench_report("fork+exec+wait", iters, t0, t1);
	return 0;
}
