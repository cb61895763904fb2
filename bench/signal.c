/*
 * bench_signal ITERS - signal delivery round trip to oneself:
 * kill(getpid(), SIGUSR1) with a SA_RESTART handler that counts. One
 * operation is the kill(2), the delivery (signal frame pushed on the stack,
 * handler entered), the handler and its rt_sigreturn(2). The pid is looked
 * up once, outside the loop.
 */
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "bench.h"

static volatile sig_atomic_t delivered;

static void handler(int sig)
{
	(void)sig;
	delivered++;
}

static void loop(long n, pid_t self)
{
	for (long i = 0; i < n; i++) {
		sig_atomic_t before = delivered;

		if (kill(self, SIGUSR1) != 0) {
			perror("kill");
			exit(1);
		}
		/* A signal sent to oneself, unblocked, is delivered before kill
		 * returns to user space. */
		if (delivered != before + 1) {
			fprintf(stderr, "signal: handler did not run before kill "
					"returned\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	struct sigaction sa;
	pid_t self = getpid();
	double t0, t1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sigaction");
		return 1;
	}
	loop(bench_warmup_iters(iters), self);
	t0 = bench_now_ns();
	loop(iters, self);
	t1 = bench_now_ns();
	bench_report("signal round trip", iters, t0, t1);
	return 0;
}
