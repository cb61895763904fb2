/* Futex wait queues (see futex.h). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "kernel/futex.h"
#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

/* How often a sleeping waiter looks for signals and exits. */
#define FUTEX_RECHECK_NS 20000000LL

struct futex_waiter {
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	pthread_cond_t cond;
	struct futex_waiter *next, **pprev;
};

static pthread_mutex_t futex_lock = PTHREAD_MUTEX_INITIALIZER;
static struct futex_waiter *waiters;

static void enqueue(struct futex_waiter *w)
{
	w->next = waiters;
	w->pprev = &waiters;
	if (waiters)
		waiters->pprev = &w->next;
	waiters = w;
}

static void dequeue(struct futex_waiter *w)
{
	if (!w->pprev)
		return;
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->kind == b->kind && a->x == b->x && a->y == b->y && a->z == b->z;
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* deadline: absolute on clk, or -1 for none. */
static long futex_wait(struct task *t, uint64_t addr, bool priv, uint32_t val, uint32_t bitset,
		       int64_t deadline, clockid_t clk)
{
	struct futex_waiter w = {.bitset = bitset};
	pthread_condattr_t ca;
	uint32_t cur;
	long r = 0;

	if (addr & 3)
		return -EINVAL;
	if (!bitset)
		return -EINVAL;
	r = mm_futex_key(t->mm, addr, priv, &w.key);
	if (r < 0)
		return r;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&futex_lock);
	if (copy_from_user(t, &cur, addr, sizeof(cur))) {
		r = -EFAULT;
		goto out;
	}
	if (cur != val) {
		r = -EAGAIN;
		goto out;
	}
	enqueue(&w);
	task_set_wait_cond(t, &w.cond);
	while (!w.woken) {
		if (task_has_pending_signal(t)) {
			r = deadline >= 0 ? -EINTR : -ERESTARTSYS;
			break;
		}
		int64_t now = now_ns(clk);
		if (deadline >= 0 && now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		int64_t slice = FUTEX_RECHECK_NS;
		if (deadline >= 0 && deadline - now < slice)
			slice = deadline - now;
		int64_t until = now_ns(CLOCK_MONOTONIC) + slice;
		struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
		pthread_cond_timedwait(&w.cond, &futex_lock, &ts);
	}
	dequeue(&w);
	task_set_wait_cond(t, NULL);
out:
	pthread_mutex_unlock(&futex_lock);
	pthread_cond_destroy(&w.cond);
	return r;
}

static int wake_key(const struct futex_key *key, int n, uint32_t bitset)
{
	int woken = 0;

	pthread_mutex_lock(&futex_lock);
	for (struct futex_waiter *w = waiters, *next; w && woken < n; w = next) {
		next = w->next;
		if (key_eq(&w->key, key) && (w->bitset & bitset)) {
			dequeue(w);
			w->woken = true;
			pthread_cond_signal(&w->cond);
			woken++;
		}
	}
	pthread_mutex_unlock(&futex_lock);
	return woken;
}

int futex_wake(struct mm *mm, uint64_t addr, int n, uint32_t bitset)
{
	struct futex_key key;

	/* The kernel's own wakes (exit's clear_child_tid, robust lists) use
	 * shared keys, as Linux does. */
	if (mm_futex_key(mm, addr, false, &key) < 0)
		return 0;
	return wake_key(&key, n, bitset);
}

static long futex_requeue(struct task *t, uint64_t a1, uint64_t a2, bool priv, int nwake,
			  int nmove, bool cmp, uint32_t cmpval)
{
	struct futex_key k1, k2;
	int done = 0;
	long r = 0;

	if ((a1 & 3) || (a2 & 3))
		return -EINVAL;
	if ((r = mm_futex_key(t->mm, a1, priv, &k1)) < 0 ||
	    (r = mm_futex_key(t->mm, a2, priv, &k2)) < 0)
		return r;
	pthread_mutex_lock(&futex_lock);
	if (cmp) {
		uint32_t cur;
		if (copy_from_user(t, &cur, a1, sizeof(cur))) {
			r = -EFAULT;
			goto out;
		}
		if (cur != cmpval) {
			r = -EAGAIN;
			goto out;
		}
	}
	for (struct futex_waiter *w = waiters, *next; w; w = next) {
		next = w->next;
		if (!key_eq(&w->key, &k1))
			continue;
		if (done < nwake) {
			dequeue(w);
			w->woken = true;
			pthread_cond_signal(&w->cond);
		} else if (done < nwake + nmove) {
			w->key = k2;
		} else {
			break;
		}
		done++;
	}
	r = done;
out:
	pthread_mutex_unlock(&futex_lock);
	return r;
}

struct guest_timespec {
	int64_t tv_sec, tv_nsec;
};

SYSCALL_DEFINE(futex)
{
	uint64_t addr = args->a[0], utime = args->a[3], addr2 = args->a[4];
	int op = (int)args->a[1], cmd = op & FUTEX_CMD_MASK;
	bool priv = op & FUTEX_PRIVATE_FLAG;
	struct futex_key key;
	long r;
	uint32_t val = (uint32_t)args->a[2], val3 = (uint32_t)args->a[5];
	clockid_t clk = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	int64_t deadline = -1;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && utime) {
		struct guest_timespec ts;
		if (copy_from_user(t, &ts, utime, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		/* Absolute REALTIME deadlines are ~1.8e9 s: clamp only far beyond. */
		const int64_t max_sec = INT64_MAX / 1000000000LL / 4;
		int64_t ns = ts.tv_sec > max_sec ? max_sec * 1000000000LL
						 : ts.tv_sec * 1000000000LL + ts.tv_nsec;
		/* FUTEX_WAIT's timeout is relative (on CLOCK_MONOTONIC unless
		 * FUTEX_CLOCK_REALTIME); WAIT_BITSET's is absolute. */
		deadline = cmd == FUTEX_WAIT ? now_ns(clk) + ns : ns;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(t, addr, priv, val, FUTEX_BITSET_MATCH_ANY, deadline, clk);
	case FUTEX_WAIT_BITSET:
		return futex_wait(t, addr, priv, val, val3, deadline, clk);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (addr & 3)
			return -EINVAL;
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		if ((r = mm_futex_key(t->mm, addr, priv, &key)) < 0)
			return r;
		return wake_key(&key, (int)(val > 0x7fffffff ? 0x7fffffff : val),
				cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_REQUEUE:
		return futex_requeue(t, addr, addr2, priv, (int)val, (int)(utime & 0x7fffffff),
				     false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, addr, addr2, priv, (int)val, (int)(utime & 0x7fffffff),
				     true, val3);
	default:
		/* WAKE_OP needs an atomic read-modify-write of application memory;
		 * PI futexes need owner tracking. Not yet. */
		return -ENOSYS;
	}
}

/* One robust futex of an exiting thread: mark it owner-died, wake a waiter. */
static void robust_one(struct mm *mm, uint64_t uaddr, int tid)
{
	uint32_t v, nv;

	if (uaddr & 3)
		return;
	if (mm_read(mm, &v, uaddr, sizeof(v)))
		return;
	if ((int)(v & FUTEX_TID_MASK) != tid)
		return;
	nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (mm_write(mm, uaddr, &nv, sizeof(nv)))
		return;
	if (v & FUTEX_WAITERS)
		futex_wake(mm, uaddr, 1, FUTEX_BITSET_MATCH_ANY);
}

void futex_exit_robust_list(struct task *t, struct mm *mm)
{
	struct {
		uint64_t next;
		int64_t futex_offset;
		uint64_t pending;
	} head;
	uint64_t entry;
	int limit = 2048; /* ROBUST_LIST_LIMIT: the list is the application's, maybe a loop */

	if (!t->robust_list || mm_read(mm, &head, t->robust_list, sizeof(head)))
		return;
	entry = head.next;
	while (entry && entry != t->robust_list && limit-- > 0) {
		uint64_t next;
		if (mm_read(mm, &next, entry, sizeof(next)))
			break;
		/* The low bit marks a PI futex; the address is the same. */
		if (entry != head.pending)
			robust_one(mm, (entry & ~1ULL) + (uint64_t)head.futex_offset, t->tid);
		entry = next;
	}
	if (head.pending)
		robust_one(mm, (head.pending & ~1ULL) + (uint64_t)head.futex_offset, t->tid);
}
