/*
 * bench_thread ITERS - thread creation and teardown: pthread_create(3) of a
 * thread that returns at once, then pthread_join(3). One operation is the
 * whole cycle: glibc maps (or reuses from its cache) the stack, clone(2)s
 * the thread, which runs, exits and wakes the joiner through the
 * CLONE_CHILD_CLEARTID futex.
 */
#include <pthread.h>

#include "bench.h"

static void *thread_main(void *arg)
{
	return arg;
}

static char token;	/* the thread returns its argument: &token */

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		void *ret = NULL;
		int err = pthread_create(&t, NULL, thread_main, &token);

		if (err) {
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			exit(1);
		}
		err = pthread_join(t, &ret);
		if (err) {
			fprintf(stderr, "pthread_join: %s\n", strerror(err));
			exit(1);
		}
		if (ret != &token) {
			fprintf(stderr, "thread: wrong return value\n");
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
	bench_report("thread create+join", iters, t0, t1);
	return 0;
}
