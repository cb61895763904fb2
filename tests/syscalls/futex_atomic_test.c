/*
 * Futex word updates made by the kernel are atomic against the
 * application's own atomic instructions on the same word: FUTEX_WAKE_OP's
 * read-modify-write, and the PI futex operations racing glibc's
 * PTHREAD_PRIO_INHERIT mutex fast paths (userspace cmpxchg). Every count
 * must come out exact.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"

#define ITERS 1500 /* enough to lose updates without atomics; ptrace injections are slow */
#define NTHREADS 4

static long fx(uint32_t *a, int op, uint32_t val, uintptr_t t, uint32_t *a2, uint32_t v3)
{
	return syscall(SYS_futex, a, op, val, t, a2, v3);
}

/* The word FUTEX_WAKE_OP changes, between two neighbours. */
static struct {
	uint32_t before, word, after;
} __attribute__((aligned(64))) cells;
static uint32_t dummy;
static volatile int go;
static long wake_op_errors;
static int adders_running; /* atomic: adders that have made their first increment */

static void *wake_op_adder(void *arg)
{
	(void)arg;
	/* Start once every adder runs, so that they overlap (natively the
	 * futex calls could all be done before an adder is scheduled). */
	while (!go || __atomic_load_n(&adders_running, __ATOMIC_SEQ_CST) < NTHREADS / 2)
		;
	for (int i = 0; i < ITERS; i++)
		if (fx(&dummy, FUTEX_WAKE_OP_PRIVATE, 0, 0, &cells.word,
		       FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)) != 0)
			__atomic_add_fetch(&wake_op_errors, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static volatile int futex_done;
static long user_adds;

static void *atomic_adder(void *arg)
{
	long n = 0;

	(void)arg;
	while (!go)
		;
	/* Userspace increments for as long as the futex calls go on, so that
	 * they run while the kernel updates the word. */
	do {
		__atomic_add_fetch(&cells.word, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&cells.before, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&cells.after, 1, __ATOMIC_SEQ_CST);
		if (n++ == 0)
			__atomic_add_fetch(&adders_running, 1, __ATOMIC_SEQ_CST);
	} while (!futex_done);
	__atomic_add_fetch(&user_adds, n, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(wake_op_add_loses_no_concurrent_userspace_increment)
{
	pthread_t th[NTHREADS];

	memset(&cells, 0, sizeof(cells));
	go = 0;
	futex_done = 0;
	user_adds = 0;
	adders_running = 0;
	wake_op_errors = 0;
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(pthread_create(&th[i], NULL, i % 2 ? atomic_adder : wake_op_adder, NULL),
			  0);
	go = 1;
	for (int i = 0; i < NTHREADS; i += 2)
		pthread_join(th[i], NULL);
	futex_done = 1;
	for (int i = 1; i < NTHREADS; i += 2)
		pthread_join(th[i], NULL);
	const uint32_t futex_adds = (NTHREADS + 1) / 2 * ITERS;
	EXPECT_EQ(wake_op_errors, 0);
	EXPECT_GT(user_adds, 0);
	EXPECT_EQ(cells.word, futex_adds + (uint32_t)user_adds);
	EXPECT_EQ(cells.before, (uint32_t)user_adds);
	EXPECT_EQ(cells.after, (uint32_t)user_adds);
}

/* A PI mutex taken by N threads: glibc's fast paths are userspace
 * cmpxchg, the slow paths FUTEX_LOCK_PI / FUTEX_UNLOCK_PI. */
static pthread_mutex_t pi_mutex;
static long pi_counter;
static long pi_errors;

static void *pi_worker(void *arg)
{
	(void)arg;
	while (!go)
		;
	for (int i = 0; i < ITERS; i++) {
		if (pthread_mutex_lock(&pi_mutex) != 0) {
			__atomic_add_fetch(&pi_errors, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		long v = pi_counter; /* not atomic: the mutex protects it */
		pi_counter = v + 1;
		if (pthread_mutex_unlock(&pi_mutex) != 0)
			__atomic_add_fetch(&pi_errors, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

TEST(pi_mutex_counts_exactly_under_contention)
{
	pthread_mutexattr_t ma;
	pthread_t th[NTHREADS];

	pthread_mutexattr_init(&ma);
	EXPECT_EQ(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT), 0);
	EXPECT_EQ(pthread_mutex_init(&pi_mutex, &ma), 0);
	pthread_mutexattr_destroy(&ma);
	pi_counter = 0;
	pi_errors = 0;
	go = 0;
	/* A lost update of the word hangs a waiter: fail rather than hang. */
	alarm(50);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(pthread_create(&th[i], NULL, pi_worker, NULL), 0);
	go = 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	alarm(0);
	EXPECT_EQ(pi_errors, 0);
	EXPECT_EQ(pi_counter, (long)NTHREADS * ITERS);
	/* The word is free again: no stale owner or FUTEX_WAITERS left. */
	EXPECT_EQ(pthread_mutex_trylock(&pi_mutex), 0);
	EXPECT_EQ(pthread_mutex_unlock(&pi_mutex), 0);
	pthread_mutex_destroy(&pi_mutex);
}

/* A robust PI mutex with the owner dying: the kernel's FUTEX_OWNER_DIED
 * update, while other threads keep hammering it. */
static pthread_mutex_t robust_mutex;

static void *robust_dier(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust_mutex);
	return NULL; /* exits holding it */
}

TEST(robust_pi_mutex_owner_death_is_seen)
{
	pthread_mutexattr_t ma;
	pthread_t th;

	pthread_mutexattr_init(&ma);
	EXPECT_EQ(pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT), 0);
	EXPECT_EQ(pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST), 0);
	EXPECT_EQ(pthread_mutex_init(&robust_mutex, &ma), 0);
	pthread_mutexattr_destroy(&ma);
	for (int round = 0; round < 20; round++) {
		EXPECT_EQ(pthread_create(&th, NULL, robust_dier, NULL), 0);
		pthread_join(th, NULL);
		EXPECT_EQ(pthread_mutex_lock(&robust_mutex), EOWNERDEAD);
		EXPECT_EQ(pthread_mutex_consistent(&robust_mutex), 0);
		EXPECT_EQ(pthread_mutex_unlock(&robust_mutex), 0);
	}
	pthread_mutex_destroy(&robust_mutex);
}

/* The kernel's cmpxchg on a word it cannot write is EFAULT, and the
 * caller goes on (no signal reaches it). */
TEST(word_updates_on_unwritable_memory_are_efault)
{
	uint32_t *gone = harness_unmapped_page();
	uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	EXPECT_TRUE(ro != MAP_FAILED);
	EXPECT_ERRNO(fx(&dummy, FUTEX_WAKE_OP_PRIVATE, 1, 1, gone,
			FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)),
		     EFAULT);
	EXPECT_ERRNO(fx(&dummy, FUTEX_WAKE_OP_PRIVATE, 1, 1, ro,
			FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)),
		     EFAULT);
	EXPECT_EQ(*ro, 0u);
	EXPECT_ERRNO(fx(gone, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), EFAULT);
	EXPECT_ERRNO(fx(ro, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0), EFAULT);
	EXPECT_EQ(*ro, 0u);
	/* And the word still works afterwards. */
	uint32_t w = 0;
	EXPECT_EQ(fx(&w, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(w, (uint32_t)syscall(SYS_gettid));
	EXPECT_EQ(fx(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(w, 0u);
	munmap(ro, 4096);
}
