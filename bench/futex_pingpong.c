/*
 * bench_futex_pingpong ITERS - futex(2) ping-pong between two threads of one
 * process. The main thread hands the turn to the partner (store + FUTEX_WAKE)
 * and sleeps in FUTEX_WAIT until the partner hands it back the same way. One
 * operation is a round trip: two wakes, and normally two waits that each
 * block and are woken, so four futex calls and two thread switches.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

enum { TURN_MAIN = 0, TURN_PARTNER = 1, TURN_STOP = 2 };

static _Atomic int turn = TURN_MAIN;

static void futex_wait(int expected)
{
	long r = syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, expected, NULL,
			 NULL, 0);

	/* EAGAIN: the word changed before we slept; EINTR: spurious. */
	if (r < 0 && errno != EAGAIN && errno != EINTR) {
		perror("futex(FUTEX_WAIT)");
		exit(1);
	}
}

static void futex_wake(void)
{
	if (syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0) {
		perror("futex(FUTEX_WAKE)");
		exit(1);
	}
}

static void *partner(void *arg)
{
	for (;;) {
		int v;

		while ((v = atomic_load(&turn)) == TURN_MAIN)
			futex_wait(TURN_MAIN);
		if (v == TURN_STOP)
			return arg;
		atomic_store(&turn, TURN_MAIN);
		futex_wake();
	}
}

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		atomic_store(&turn, TURN_PARTNER);
		futex_wake();
		while (atomic_load(&turn) == TURN_PARTNER)
			futex_wait(TURN_PARTNER);
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	pthread_t t;
	double t0, t1;
	int err;

	err = pthread_create(&t, NULL, partner, NULL);
	if (err) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		return 1;
	}
	loop(bench_warmup_iters(iters));
	t0 = bench_now_ns();
	loop(iters);
	t1 = bench_now_ns();
	atomic_store(&turn, TURN_STOP);
	futex_wake();
	err = pthread_join(t, NULL);
	if (err) {
		fprintf(stderr, "pthread_join: %s\n", strerror(err));
		return 1;
	}
	bench_report("futex ping-pong", iters, t0, t1);
	return 0;
}
