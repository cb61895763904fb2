/* FUTEX_WAKE_OP and the PI futex operations (LOCK_PI, TRYLOCK_PI, UNLOCK_PI). */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "harness.h"

static long fx(uint32_t *a, int op, uint32_t val, uintptr_t t, uint32_t *a2, uint32_t v3)
{
	return syscall(SYS_futex, a, op, val, t, a2, v3);
}

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static uint32_t w1, w2;
static volatile int ready;

static void *waiter(void *arg)
{
	uint32_t *w = arg;
	uint32_t v = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	struct timespec ts = {5, 0};

	ready = 1;
	return (void *)(intptr_t)fx(w, FUTEX_WAIT_PRIVATE, v, (uintptr_t)&ts, NULL, 0);
}

/* Start a waiter on w and give it time to go to sleep. */
static pthread_t start_waiter(uint32_t *w)
{
	pthread_t th;

	ready = 0;
	pthread_create(&th, NULL, waiter, w);
	while (!ready)
		usleep(1000);
	usleep(100000); /* time to fall asleep in the futex */
	return th;
}

TEST(wake_op_applies_each_operation)
{
	static const struct {
		int op;
		int32_t before, oparg, after;
	} cases[] = {
	    {FUTEX_OP_SET, 5, 9, 9}, {FUTEX_OP_ADD, 5, 9, 14}, {FUTEX_OP_ADD, 5, -3, 2},
	    {FUTEX_OP_OR, 5, 8, 13}, {FUTEX_OP_ANDN, 7, 2, 5}, {FUTEX_OP_XOR, 6, 3, 5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w2 = (uint32_t)cases[i].before;
		EXPECT_EQ(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2,
			     FUTEX_OP(cases[i].op, cases[i].oparg & 0xfff, FUTEX_OP_CMP_EQ, 0)),
			  0);
		EXPECT_EQ((int32_t)w2, cases[i].after);
	}
	/* FUTEX_OP_OPARG_SHIFT: oparg is 1 << oparg. */
	uint32_t shifted_add = (uint32_t)(FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT) << 28 | 3u << 12;
	w2 = 1;
	EXPECT_EQ(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, shifted_add), 0);
	EXPECT_EQ(w2, 9);
}

TEST(wake_op_wakes_second_futex_only_when_comparison_holds)
{
	static const struct {
		int cmp;
		int32_t oldval, cmparg;
		int wakes;
	} cases[] = {
	    {FUTEX_OP_CMP_EQ, 4, 4, 1},	  {FUTEX_OP_CMP_EQ, 4, 5, 0}, {FUTEX_OP_CMP_NE, 4, 5, 1},
	    {FUTEX_OP_CMP_LT, -1, 0, 1},  {FUTEX_OP_CMP_LT, 0, 0, 0}, {FUTEX_OP_CMP_LE, 0, 0, 1},
	    {FUTEX_OP_CMP_GT, 1, 0, 1},	  {FUTEX_OP_CMP_GT, 0, 0, 0}, {FUTEX_OP_CMP_GE, 0, 0, 1},
	    {FUTEX_OP_CMP_GE, -2, -1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w2 = (uint32_t)cases[i].oldval;
		pthread_t th = start_waiter(&w2);
		long n = fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2,
			    FUTEX_OP(FUTEX_OP_SET, 77, cases[i].cmp, cases[i].cmparg & 0xfff));
		if (!EXPECT_EQ(n, cases[i].wakes))
			fprintf(stderr, "  case %zu\n", i);
		EXPECT_EQ(w2, 77);
		if (!n)
			fx(&w2, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
		void *res;
		pthread_join(th, &res);
		EXPECT_EQ((long)(intptr_t)res, 0);
	}
}

TEST(wake_op_wakes_the_first_futex)
{
	w1 = 0;
	pthread_t th = start_waiter(&w1);
	EXPECT_EQ(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2,
		     FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_NE, 0)),
		  1);
	void *res;
	pthread_join(th, &res);
	EXPECT_EQ((long)(intptr_t)res, 0);
}

TEST(wake_op_bad_op_or_cmp_is_enosys)
{
	w2 = 3;
	EXPECT_ERRNO(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, (7u << 28) | 1u << 12), ENOSYS);
	EXPECT_EQ(w2, 3);
	/* A bad comparison is found after the operation was done. */
	EXPECT_ERRNO(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, (9u << 24) | 5u << 12), ENOSYS);
	EXPECT_EQ(w2, 5);
}

TEST(wake_op_faults)
{
	uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	EXPECT_ERRNO(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, ro, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)),
		     EFAULT);
	EXPECT_EQ(*ro, 0);
	EXPECT_ERRNO(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, none, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)),
		     EFAULT);
	EXPECT_ERRNO(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)((char *)&w2 + 1),
			FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)),
		     EINVAL);
	munmap(ro, 4096);
	munmap(none, 4096);
}

static uint32_t pi;

TEST(lock_pi_takes_a_free_word_and_unlock_pi_frees_it)
{
	pi = 0;
	EXPECT_EQ(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, (uint32_t)gettid_());
	EXPECT_ERRNO(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), EDEADLK);
	EXPECT_ERRNO(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0), EDEADLK);
	EXPECT_EQ(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, 0);
	EXPECT_ERRNO(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), EPERM);
	/* A word left owner-died by a dead owner is taken, keeping the bit. */
	pi = FUTEX_OWNER_DIED;
	EXPECT_EQ(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, FUTEX_OWNER_DIED | (uint32_t)gettid_());
	pi = 0;
}

TEST(lock_pi_with_a_missing_owner_is_esrch)
{
	pi = 0x3ffffff0; /* no such thread */
	EXPECT_ERRNO(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), ESRCH);
	pi = 0;
}

static volatile int owner_tid;
static volatile int release;

static void *owner(void *arg)
{
	(void)arg;
	fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0);
	owner_tid = gettid_();
	/* Wait until a waiter has marked the word, then hand it over. */
	while (!release)
		usleep(1000);
	while (!(__atomic_load_n(&pi, __ATOMIC_SEQ_CST) & FUTEX_WAITERS))
		usleep(1000);
	return (void *)(intptr_t)fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0);
}

TEST(unlock_pi_hands_the_lock_to_the_waiter)
{
	pthread_t th;
	void *res;

	pi = 0;
	owner_tid = 0;
	release = 0;
	pthread_create(&th, NULL, owner, NULL);
	while (!owner_tid)
		usleep(1000);
	EXPECT_EQ(pi, (uint32_t)owner_tid);
	EXPECT_ERRNO(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0), EWOULDBLOCK);
	EXPECT_ERRNO(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), EPERM);
	/* A timed LOCK_PI (absolute CLOCK_REALTIME) times out. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	EXPECT_ERRNO(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, (uintptr_t)&ts, NULL, 0), ETIMEDOUT);
	/* No waiter is left: drop the FUTEX_WAITERS the timed-out one set, so
	 * that the owner waits for the next. */
	__atomic_store_n(&pi, (uint32_t)owner_tid, __ATOMIC_SEQ_CST);
	release = 1;
	EXPECT_EQ(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, FUTEX_WAITERS | (uint32_t)gettid_());
	pthread_join(th, &res);
	EXPECT_EQ((long)(intptr_t)res, 0);
	EXPECT_EQ(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, 0);
}

static pthread_mutex_t pim;
static long counter;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&pim);
		counter++;
		pthread_mutex_unlock(&pim);
	}
	return NULL;
}

TEST(prio_inherit_mutex_excludes)
{
	pthread_mutexattr_t a;
	pthread_t th[4];

	pthread_mutexattr_init(&a);
	EXPECT_EQ(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0);
	EXPECT_EQ(pthread_mutex_init(&pim, &a), 0);
	counter = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(counter, 8000);
	pthread_mutex_destroy(&pim);
}

static void *lock_and_die(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;
}

TEST(robust_prio_inherit_mutex_reports_owner_death)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_t th;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	EXPECT_EQ(pthread_mutex_init(&m, &a), 0);
	pthread_create(&th, NULL, lock_and_die, &m);
	pthread_join(th, NULL);
	EXPECT_EQ(pthread_mutex_lock(&m), EOWNERDEAD);
	EXPECT_EQ(pthread_mutex_consistent(&m), 0);
	EXPECT_EQ(pthread_mutex_unlock(&m), 0);
}

static uint32_t cv, pm;
static volatile int rq_tid;

static void *requeue_waiter(void *arg)
{
	(void)arg;
	rq_tid = gettid_();
	long r = fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, 0, &pm, 0);
	if (r != 0)
		return (void *)(intptr_t)(r < 0 ? -errno : r);
	/* It owns pm now. */
	if ((pm & FUTEX_TID_MASK) != (uint32_t)gettid_())
		return (void *)(intptr_t)1000;
	return (void *)(intptr_t)fx(&pm, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0);
}

static pthread_t start_requeue_waiter(void)
{
	pthread_t th;

	rq_tid = 0;
	pthread_create(&th, NULL, requeue_waiter, NULL);
	while (!rq_tid)
		usleep(1000);
	usleep(100000); /* time to fall asleep in the futex */
	return th;
}

TEST(cmp_requeue_pi_to_an_owned_futex_then_unlock_pi_hands_it_over)
{
	void *res;

	cv = 0;
	pm = 0;
	EXPECT_EQ(fx(&pm, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	pthread_t th = start_requeue_waiter();
	EXPECT_ERRNO(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 10, &pm, 1), EAGAIN);
	EXPECT_ERRNO(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 2, 10, &pm, 0), EINVAL);
	EXPECT_ERRNO(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 10, &cv, 0), EINVAL);
	EXPECT_EQ(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 10, &pm, 0), 1);
	EXPECT_EQ(pm, FUTEX_WAITERS | (uint32_t)gettid_());
	EXPECT_EQ(fx(&pm, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	pthread_join(th, &res);
	EXPECT_EQ((long)(intptr_t)res, 0);
	EXPECT_EQ(pm, 0);
}

TEST(cmp_requeue_pi_to_a_free_futex_gives_it_to_the_waiter)
{
	void *res;

	cv = 0;
	pm = 0;
	pthread_t th = start_requeue_waiter();
	EXPECT_EQ(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &pm, 0), 1);
	pthread_join(th, &res);
	EXPECT_EQ((long)(intptr_t)res, 0);
	EXPECT_EQ(pm, 0);
}

TEST(plain_wake_or_requeue_of_a_requeue_pi_waiter_is_einval)
{
	void *res;

	cv = 0;
	pm = 0;
	pthread_t th = start_requeue_waiter();
	EXPECT_ERRNO(fx(&cv, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), EINVAL);
	EXPECT_ERRNO(fx(&cv, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w1, 0), EINVAL);
	EXPECT_EQ(fx(&cv, FUTEX_CMP_REQUEUE_PI_PRIVATE, 1, 0, &pm, 0), 1);
	pthread_join(th, &res);
	EXPECT_EQ((long)(intptr_t)res, 0);
}

TEST(wait_requeue_pi_argument_errors_and_timeout)
{
	struct timespec ts;

	cv = 0;
	EXPECT_ERRNO(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, 0, &cv, 0), EINVAL);
	EXPECT_ERRNO(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 1, 0, &pm, 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 50000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	EXPECT_ERRNO(fx(&cv, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, (uintptr_t)&ts, &pm, 0), ETIMEDOUT);
}

static volatile int dier_tid;

static void *lock_pi_and_exit(void *arg)
{
	(void)arg;
	fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0);
	dier_tid = gettid_();
	usleep(100000); /* the main thread is waiting by now */
	return NULL;	/* exits owning the word, without a robust list entry */
}

TEST(lock_pi_waiter_gets_the_lock_of_an_owner_that_exits)
{
	pthread_t th;

	pi = 0;
	dier_tid = 0;
	pthread_create(&th, NULL, lock_pi_and_exit, NULL);
	while (!dier_tid)
		usleep(1000);
	EXPECT_EQ(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, FUTEX_OWNER_DIED | FUTEX_WAITERS | (uint32_t)gettid_());
	pthread_join(th, NULL);
	EXPECT_EQ(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0), 0);
	EXPECT_EQ(pi, 0);
}
