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
	/* A FUTEX_LOCK_PI waiter: tid is written into the futex word when
	 * FUTEX_UNLOCK_PI hands it the lock (then handed is set). */
	bool pi, handed;
	int tid;
	/* FUTEX_WAIT_REQUEUE_PI: the PI futex it may be requeued to (rq_key),
	 * and whether FUTEX_CMP_REQUEUE_PI moved it there (it is then a PI
	 * waiter on rq_key). */
	bool rq_pi, requeued;
	struct futex_key rq_key;
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

/*
 * Compare-and-exchange of the futex word at addr in mm (Linux's
 * futex_atomic_cmpxchg_inatomic): *cur is the value found; the word became
 * nval iff *cur == old. Atomic against the application's own threads when
 * the platform has cmpxchg32 and the caller is t's own sentry thread in its
 * address space (the platform runs lock cmpxchg in t's stopped host
 * thread). Otherwise (a platform without it, another task's memory) it is a
 * read and a write under futex_lock: atomic against other futex calls only.
 * 0 or -EFAULT.
 */
static int futex_atomic_cmpxchg(struct task *t, struct mm *mm, uint64_t addr, uint32_t old,
				uint32_t nval, uint32_t *cur)
{
	if (platform->cmpxchg32 && t && mm == t->mm && t == task_current() && t->pthr &&
	    platform_current() == t->pthr) {
		int r = platform->cmpxchg32(t->pthr, addr, old, nval, cur);
		if (r == 0 || r == -EFAULT)
			return r;
		/* -ENOSYS/-ESRCH: not available now; fall back. */
	}
	if (mm_read(mm, cur, addr, sizeof(*cur)))
		return -EFAULT;
	if (*cur != old)
		return 0;
	return mm_write(mm, addr, &nval, sizeof(nval)) ? -EFAULT : 0;
}

/*
 * FUTEX_WAKE_OP's *addr = old OP oparg (Linux's arch_futex_atomic_op_inuser),
 * *old the value replaced: one platform atomic_op32 when it can (a loop of
 * injected cmpxchgs would rarely win against an application thread that
 * updates the word in a tight loop), else a futex_atomic_cmpxchg loop.
 * 0 or -EFAULT.
 */
static int futex_atomic_op(struct task *t, uint64_t addr, int op, int32_t oparg, int32_t *old)
{
	uint32_t found;

	if (platform->atomic_op32 && t == task_current() && t->pthr &&
	    platform_current() == t->pthr) {
		int r = platform->atomic_op32(t->pthr, addr, op, (uint32_t)oparg, &found);
		if (r == 0)
			*old = (int32_t)found;
		if (r == 0 || r == -EFAULT)
			return r;
	}
	if (copy_from_user(t, old, addr, sizeof(*old)))
		return -EFAULT;
	for (;;) {
		int32_t newval;
		switch (op) {
		case FUTEX_OP_SET:
			newval = oparg;
			break;
		case FUTEX_OP_ADD:
			newval = (int32_t)((uint32_t)*old + (uint32_t)oparg);
			break;
		case FUTEX_OP_OR:
			newval = *old | oparg;
			break;
		case FUTEX_OP_ANDN:
			newval = *old & ~oparg;
			break;
		default:
			newval = *old ^ oparg;
			break;
		}
		if (futex_atomic_cmpxchg(t, t->mm, addr, (uint32_t)*old, (uint32_t)newval, &found))
			return -EFAULT;
		if (found == (uint32_t)*old)
			return 0;
		*old = (int32_t)found; /* the application changed it: again */
	}
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long futex_wait_timed(struct task *t, uint64_t addr, bool priv, uint32_t val,
			     uint32_t bitset, int64_t deadline, clockid_t clk);

/*
 * One slice of an interruptible futex sleep on cond (futex_lock held): at
 * most FUTEX_RECHECK_NS, so that callers re-check signals and stops, and
 * never past deadline (absolute on clk, -1 for none). -ETIMEDOUT when the
 * deadline has passed (no sleep); else pthread_cond_timedwait's result (0
 * woken, ETIMEDOUT the slice ran out). Callers check w->woken and their own
 * signal rules around it.
 */
static int futex_sleep(pthread_cond_t *cond, int64_t deadline, clockid_t clk)
{
	int64_t now = now_ns(clk), slice = FUTEX_RECHECK_NS;

	if (deadline >= 0 && now >= deadline)
		return -ETIMEDOUT;
	if (deadline >= 0 && deadline - now < slice)
		slice = deadline - now;
	int64_t until = now_ns(CLOCK_MONOTONIC) + slice;
	struct timespec ts = {until / 1000000000LL, until % 1000000000LL};
	return pthread_cond_timedwait(cond, &futex_lock, &ts);
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
		/* A stop ends the wait too, to resume it after SIGCONT. */
		if (task_has_pending_signal(t) || t->tg->stopped) {
			r = deadline >= 0 ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
			break;
		}
		if (mm_rss_pending(t->mm)) {
			/* A /proc reader asked for RSS (mm/rss.c); w stays queued,
			 * so a wake meanwhile is seen in w.woken. */
			pthread_mutex_unlock(&futex_lock);
			mm_rss_service(t);
			pthread_mutex_lock(&futex_lock);
			continue;
		}
		if (futex_sleep(&w.cond, deadline, clk) == -ETIMEDOUT) {
			r = -ETIMEDOUT;
			break;
		}
	}
	dequeue(&w);
	task_set_wait_cond(t, NULL);
out:
	pthread_mutex_unlock(&futex_lock);
	pthread_cond_destroy(&w.cond);
	return r;
}

static long futex_wait_restart(struct task *t)
{
	struct restart_block *rb = &t->restart;

	return futex_wait_timed(t, rb->arg[0], rb->arg[2] != 0, (uint32_t)rb->arg[1],
				(uint32_t)(rb->arg[1] >> 32), rb->deadline, rb->clock);
}

/* futex_wait, and with a timeout, resumed by restart_syscall after a
 * signal without handler (Linux's futex_wait_restart: the same absolute
 * deadline); with a handler the wait fails with EINTR. */
static long futex_wait_timed(struct task *t, uint64_t addr, bool priv, uint32_t val,
			     uint32_t bitset, int64_t deadline, clockid_t clk)
{
	long r = futex_wait(t, addr, priv, val, bitset, deadline, clk);

	if (r == -ERESTART_RESTARTBLOCK) {
		t->restart.fn = futex_wait_restart;
		t->restart.arg[0] = addr;
		t->restart.arg[1] = val | (uint64_t)bitset << 32;
		t->restart.arg[2] = priv;
		t->restart.deadline = deadline;
		t->restart.clock = clk;
	}
	return r;
}

/* Wake up to n waiters on key. user: a FUTEX_WAKE, which fails with
 * EINVAL on a futex that has PI or WAIT_REQUEUE_PI waiters (as Linux's
 * pi_state / rt_waiter check); the kernel's own wakes
 * (robust lists) make PI waiters look at the word again. */
static int wake_key(const struct futex_key *key, int n, uint32_t bitset, bool user)
{
	int woken = 0;

	pthread_mutex_lock(&futex_lock);
	if (user)
		for (struct futex_waiter *w = waiters; w; w = w->next)
			if ((w->pi || w->rq_pi) && key_eq(&w->key, key)) {
				pthread_mutex_unlock(&futex_lock);
				return -EINVAL;
			}
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
	return wake_key(&key, n, bitset, false);
}

static long futex_requeue(struct task *t, uint64_t a1, uint64_t a2, bool priv, int nwake, int nmove,
			  bool cmp, uint32_t cmpval)
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
	/* WAIT_REQUEUE_PI waiters only go with CMP_REQUEUE_PI (Linux: EINVAL). */
	for (struct futex_waiter *w = waiters; w; w = w->next)
		if (w->rq_pi && !w->pi && key_eq(&w->key, &k1)) {
			r = -EINVAL;
			goto out;
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

/*
 * FUTEX_WAKE_OP: *uaddr2 = oldval OP oparg, wake nr_wake on uaddr, and if
 * oldval CMP cmparg also nr_wake2 on uaddr2. The read-modify-write is a
 * cmpxchg loop (futex_atomic_cmpxchg), as Linux's arch_futex_atomic_op.
 */
static long futex_wake_op(struct task *t, uint64_t a1, uint64_t a2, bool priv, int nr_wake,
			  int nr_wake2, uint32_t encoded)
{
	struct futex_key k1, k2;
	int op = (int)((encoded >> 28) & 7), cmp = (int)((encoded >> 24) & 15);
	int32_t oparg = (int32_t)(encoded << 8) >> 20, cmparg = (int32_t)(encoded << 20) >> 20;
	int32_t oldval;
	long r;
	int woken = 0;

	if ((a1 & 3) || (a2 & 3))
		return -EINVAL;
	if ((r = mm_futex_key(t->mm, a1, priv, &k1)) < 0 ||
	    (r = mm_futex_key(t->mm, a2, priv, &k2)) < 0)
		return r;
	if (encoded & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28))
		oparg = (int32_t)(1U << (oparg & 31)); /* Linux masks a bad shift */
	switch (op) {
	case FUTEX_OP_SET:
	case FUTEX_OP_ADD:
	case FUTEX_OP_OR:
	case FUTEX_OP_ANDN:
	case FUTEX_OP_XOR:
		break;
	default:
		return -ENOSYS;
	}
	pthread_mutex_lock(&futex_lock);
	if (futex_atomic_op(t, a2, op, oparg, &oldval)) {
		r = -EFAULT;
		goto out;
	}
	/* As Linux, a bad comparison fails after the operation was done. */
	bool wake2;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		wake2 = oldval == cmparg;
		break;
	case FUTEX_OP_CMP_NE:
		wake2 = oldval != cmparg;
		break;
	case FUTEX_OP_CMP_LT:
		wake2 = oldval < cmparg;
		break;
	case FUTEX_OP_CMP_LE:
		wake2 = oldval <= cmparg;
		break;
	case FUTEX_OP_CMP_GT:
		wake2 = oldval > cmparg;
		break;
	case FUTEX_OP_CMP_GE:
		wake2 = oldval >= cmparg;
		break;
	default:
		r = -ENOSYS;
		goto out;
	}
	for (int pass = 0; pass < (wake2 ? 2 : 1); pass++) {
		const struct futex_key *k = pass ? &k2 : &k1;
		int n = pass ? nr_wake2 : nr_wake, done = 0;
		for (struct futex_waiter *w = waiters, *next; w && done < n; w = next) {
			next = w->next;
			if (!w->pi && key_eq(&w->key, k)) {
				dequeue(w);
				w->woken = true;
				pthread_cond_signal(&w->cond);
				done++;
			}
		}
		woken += done;
	}
	r = woken;
out:
	pthread_mutex_unlock(&futex_lock);
	return r;
}

/* Does a task with this sandbox TID exist (a PI futex's owner)? */
static bool tid_alive(int tid)
{
	pthread_mutex_lock(&kernel.lock);
	struct task *x = task_lookup(tid);
	bool alive = x && !x->exited;
	pthread_mutex_unlock(&kernel.lock);
	return alive;
}

static bool pi_waiters_on(const struct futex_key *key, const struct futex_waiter *except)
{
	for (struct futex_waiter *w = waiters; w; w = w->next)
		if (w != except && w->pi && key_eq(&w->key, key))
			return true;
	return false;
}

/*
 * A PI waiter's owner may exit without unlocking (no robust list): Linux
 * then passes the lock to a waiter (exit_pi_state_list). Without a hook in
 * exit, the waiter looks at its owner each time its wait slice ends; if the
 * owner is gone and the word still names it, the waiter takes the word.
 * futex_lock held (dropped around the owner lookup: it is a leaf lock).
 */
static void pi_take_from_dead_owner(struct task *t, struct futex_waiter *w, uint64_t addr,
				    uint32_t owner)
{
	uint32_t cur, nval;

	pthread_mutex_unlock(&futex_lock);
	bool alive = tid_alive((int)owner);
	pthread_mutex_lock(&futex_lock);
	if (alive || w->woken || copy_from_user(t, &cur, addr, sizeof(cur)))
		return;
	for (;;) {
		uint32_t found;
		if ((cur & FUTEX_TID_MASK) != owner)
			return;
		/* As Linux: the new owner's TID, FUTEX_WAITERS and FUTEX_OWNER_DIED. */
		nval = FUTEX_OWNER_DIED | FUTEX_WAITERS | (uint32_t)t->tid;
		if (futex_atomic_cmpxchg(t, t->mm, addr, cur, nval, &found))
			return;
		if (found == cur)
			break;
		cur = found;
	}
	dequeue(w);
	w->woken = w->handed = true;
}

/*
 * FUTEX_LOCK_PI / LOCK_PI2 / TRYLOCK_PI. The word holds the owner's TID
 * (| FUTEX_WAITERS while the kernel has waiters, | FUTEX_OWNER_DIED after a
 * robust owner died). A free word (TID 0) is taken; else the waiter sets
 * FUTEX_WAITERS and sleeps until FUTEX_UNLOCK_PI hands it the lock. There
 * is no priority inheritance: the sandbox's threads all have one priority
 * as far as the host is concerned. The word is updated with
 * futex_atomic_cmpxchg under futex_lock; if the application changed it in
 * between (its own cmpxchg fast path), the whole step is made again.
 */
static long futex_lock_pi(struct task *t, uint64_t addr, bool priv, bool trylock, int64_t deadline,
			  clockid_t clk)
{
	struct futex_waiter w = {.bitset = FUTEX_BITSET_MATCH_ANY, .pi = true, .tid = t->tid};
	pthread_condattr_t ca;
	uint32_t uval, nval;
	long r;

	if (addr & 3)
		return -EINVAL;
	r = mm_futex_key(t->mm, addr, priv, &w.key);
	if (r < 0)
		return r;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	for (;;) {
		/* The owner must exist (attach_to_pi_owner): look before
		 * futex_lock, which is a leaf, and check the word did not move. */
		if (copy_from_user(t, &uval, addr, sizeof(uval))) {
			r = -EFAULT;
			break;
		}
		uint32_t owner = uval & FUTEX_TID_MASK;
		bool alive = owner && (int)owner != t->tid && tid_alive((int)owner);
		pthread_mutex_lock(&futex_lock);
		if (copy_from_user(t, &nval, addr, sizeof(nval))) {
			pthread_mutex_unlock(&futex_lock);
			r = -EFAULT;
			break;
		}
		if (nval != uval) {
			pthread_mutex_unlock(&futex_lock);
			continue;
		}
		uint32_t found = uval;
		if ((int)owner == t->tid) {
			r = -EDEADLK;
		} else if (!owner) {
			/* Free: take it, keeping OWNER_DIED, and WAITERS if others wait. */
			nval = (uval & FUTEX_OWNER_DIED) | (uint32_t)t->tid |
			       (pi_waiters_on(&w.key, NULL) ? FUTEX_WAITERS : 0);
			r = futex_atomic_cmpxchg(t, t->mm, addr, uval, nval, &found);
		} else if (trylock) {
			r = -EWOULDBLOCK;
		} else if (!alive) {
			r = -ESRCH;
		} else {
			r = 1;
			nval = uval | FUTEX_WAITERS;
			if (nval != uval && futex_atomic_cmpxchg(t, t->mm, addr, uval, nval, &found))
				r = -EFAULT;
		}
		if (r >= 0 && found != uval) {
			/* The application moved the word under us: look again. */
			pthread_mutex_unlock(&futex_lock);
			continue;
		}
		if (r <= 0) {
			pthread_mutex_unlock(&futex_lock);
			break;
		}
		/* Wait for the hand-over (or a wake after the owner died). */
		w.woken = w.handed = false;
		enqueue(&w);
		task_set_wait_cond(t, &w.cond);
		while (!w.woken) {
			if (task_has_pending_signal(t)) {
				r = -ERESTARTNOINTR; /* LOCK_PI is always restarted */
				break;
			}
			int slept = futex_sleep(&w.cond, deadline, clk);
			if (slept == -ETIMEDOUT) {
				r = -ETIMEDOUT;
				break;
			}
			if (slept == ETIMEDOUT && !w.woken)
				pi_take_from_dead_owner(t, &w, addr, owner);
		}
		dequeue(&w);
		task_set_wait_cond(t, NULL);
		pthread_mutex_unlock(&futex_lock);
		if (w.handed) {
			r = 0;
			break;
		}
		if (r < 0 && r != 1)
			break;
	}
	pthread_cond_destroy(&w.cond);
	return r;
}

/* FUTEX_UNLOCK_PI: the caller must own the word; the longest waiting PI
 * waiter gets it (TID | FUTEX_WAITERS, as Linux), else it becomes 0. */
static long futex_unlock_pi(struct task *t, uint64_t addr, bool priv)
{
	struct futex_key key;
	struct futex_waiter *top = NULL;
	uint32_t uval, nval;
	long r;

	if (addr & 3)
		return -EINVAL;
	r = mm_futex_key(t->mm, addr, priv, &key);
	if (r < 0)
		return r;
	pthread_mutex_lock(&futex_lock);
	if (copy_from_user(t, &uval, addr, sizeof(uval))) {
		r = -EFAULT;
		goto out;
	}
	/* Waiters are pushed at the head: the last match waited longest. */
	for (struct futex_waiter *w = waiters; w; w = w->next)
		if (w->pi && key_eq(&w->key, &key))
			top = w;
	nval = top ? FUTEX_WAITERS | (uint32_t)top->tid : 0;
	for (;;) {
		uint32_t found;
		if ((int)(uval & FUTEX_TID_MASK) != t->tid) {
			r = -EPERM;
			goto out;
		}
		if (futex_atomic_cmpxchg(t, t->mm, addr, uval, nval, &found)) {
			r = -EFAULT;
			goto out;
		}
		if (found == uval)
			break;
		uval = found; /* e.g. a waiter's FUTEX_WAITERS, or OWNER_DIED: again */
	}
	if (top) {
		dequeue(top);
		top->woken = top->handed = true;
		pthread_cond_signal(&top->cond);
	}
	r = 0;
out:
	pthread_mutex_unlock(&futex_lock);
	return r;
}

/* The longest-waiting plain waiter on key (enqueue pushes at the head,
 * so the last match). futex_lock held. */
static struct futex_waiter *oldest_on(const struct futex_key *key)
{
	struct futex_waiter *found = NULL;

	for (struct futex_waiter *w = waiters; w; w = w->next)
		if (!w->pi && key_eq(&w->key, key))
			found = w;
	return found;
}

/*
 * FUTEX_WAIT_REQUEUE_PI: wait on the plain futex addr (as FUTEX_WAIT, with
 * an absolute timeout) for FUTEX_CMP_REQUEUE_PI to move this waiter to the
 * PI futex addr2; returns 0 once it owns addr2. A plain wake before the
 * requeue is EAGAIN (Linux's -EWOULDBLOCK).
 */
static long futex_wait_requeue_pi(struct task *t, uint64_t addr, uint64_t addr2, bool priv,
				  uint32_t val, int64_t deadline, clockid_t clk)
{
	struct futex_waiter w = {.bitset = FUTEX_BITSET_MATCH_ANY, .rq_pi = true, .tid = t->tid};
	pthread_condattr_t ca;
	uint32_t cur;
	long r;

	if ((addr & 3) || (addr2 & 3))
		return -EINVAL;
	if ((r = mm_futex_key(t->mm, addr, priv, &w.key)) < 0 ||
	    (r = mm_futex_key(t->mm, addr2, priv, &w.rq_key)) < 0)
		return r;
	if (key_eq(&w.key, &w.rq_key))
		return -EINVAL;
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
	r = 0;
	while (!w.woken) {
		if (task_has_pending_signal(t)) {
			/* Requeued: the caller's word has moved on, so a restart
			 * would only find EAGAIN; say it at once (as Linux). */
			r = w.requeued ? -EAGAIN : -ERESTARTNOINTR;
			break;
		}
		if (futex_sleep(&w.cond, deadline, clk) == -ETIMEDOUT) {
			r = -ETIMEDOUT;
			break;
		}
	}
	dequeue(&w);
	task_set_wait_cond(t, NULL);
	if (w.handed)
		r = 0;
	else if (w.woken && !w.requeued)
		r = -EAGAIN; /* a plain wake before any requeue */
	else if (w.woken)
		r = 1; /* requeued, then woken without the lock: take it */
out:
	pthread_mutex_unlock(&futex_lock);
	pthread_cond_destroy(&w.cond);
	if (r == 1) {
		r = futex_lock_pi(t, addr2, priv, false, deadline, clk);
		if (r == -ERESTARTNOINTR)
			r = -EAGAIN;
	}
	return r;
}

/*
 * FUTEX_CMP_REQUEUE_PI: if *addr is cmpval, the oldest waiter (all must be
 * FUTEX_WAIT_REQUEUE_PI waiters for addr2) takes the PI futex addr2 if it
 * is free, and the others, up to nr_requeue, become its PI waiters.
 * Returns how many were woken or requeued.
 */
static long futex_cmp_requeue_pi(struct task *t, uint64_t a1, uint64_t a2, bool priv, int nr_wake,
				 int nr_requeue, uint32_t cmpval)
{
	struct futex_key k1, k2;
	uint32_t cur, uval;
	int done = 0, moved = 0;
	long r;

	if (nr_wake != 1 || nr_requeue < 0)
		return -EINVAL;
	if ((a1 & 3) || (a2 & 3))
		return -EINVAL;
	if ((r = mm_futex_key(t->mm, a1, priv, &k1)) < 0 ||
	    (r = mm_futex_key(t->mm, a2, priv, &k2)) < 0)
		return r;
	if (key_eq(&k1, &k2))
		return -EINVAL;
	pthread_mutex_lock(&futex_lock);
	if (copy_from_user(t, &cur, a1, sizeof(cur)) ||
	    copy_from_user(t, &uval, a2, sizeof(uval))) {
		r = -EFAULT;
		goto out;
	}
	if (cur != cmpval) {
		r = -EAGAIN;
		goto out;
	}
	for (struct futex_waiter *w = waiters; w; w = w->next)
		if (!w->pi && key_eq(&w->key, &k1) && (!w->rq_pi || !key_eq(&w->rq_key, &k2))) {
			r = -EINVAL;
			goto out;
		}
	struct futex_waiter *top = oldest_on(&k1);
	while (top && !(uval & FUTEX_TID_MASK)) {
		/* Free: the top waiter takes it (futex_proxy_trylock_atomic). */
		uint32_t found, nval = (uval & FUTEX_OWNER_DIED) | (uint32_t)top->tid | FUTEX_WAITERS;
		if (futex_atomic_cmpxchg(t, t->mm, a2, uval, nval, &found)) {
			r = -EFAULT;
			goto out;
		}
		if (found != uval) {
			uval = found; /* taken or changed meanwhile: look again */
			continue;
		}
		uval = nval;
		dequeue(top);
		top->woken = top->handed = true;
		pthread_cond_signal(&top->cond);
		done++;
		break;
	}
	if (!done && top && (int)(uval & FUTEX_TID_MASK) == top->tid) {
		r = -EDEADLK;
		goto out;
	}
	/* The rest wait on addr2 as PI waiters; the owner learns of them. */
	struct futex_waiter *w;
	while (moved < nr_requeue && (w = oldest_on(&k1))) {
		w->key = k2;
		w->pi = true;
		w->requeued = true;
		moved++;
	}
	while (moved && !(uval & FUTEX_WAITERS)) {
		uint32_t found;
		if (futex_atomic_cmpxchg(t, t->mm, a2, uval, uval | FUTEX_WAITERS, &found)) {
			r = -EFAULT;
			goto out;
		}
		if (found == uval)
			break;
		uval = found;
	}
	r = done + moved;
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

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT &&
	    cmd != FUTEX_LOCK_PI2 && cmd != FUTEX_WAIT_REQUEUE_PI)
		return -ENOSYS;
	/* LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on
	 * CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME. */
	if (cmd == FUTEX_LOCK_PI)
		clk = CLOCK_REALTIME;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
	     cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI) &&
	    utime) {
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
		return futex_wait_timed(t, addr, priv, val, FUTEX_BITSET_MATCH_ANY, deadline, clk);
	case FUTEX_WAIT_BITSET:
		return futex_wait_timed(t, addr, priv, val, val3, deadline, clk);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (addr & 3)
			return -EINVAL;
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		if ((r = mm_futex_key(t->mm, addr, priv, &key)) < 0)
			return r;
		return wake_key(&key, (int)(val > 0x7fffffff ? 0x7fffffff : val),
				cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3, true);
	case FUTEX_WAKE_OP:
		return futex_wake_op(t, addr, addr2, priv,
				     (int)(val > 0x7fffffff ? 0x7fffffff : val),
				     (int)(utime & 0x7fffffff), val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(t, addr, priv, cmd == FUTEX_TRYLOCK_PI, deadline, clk);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(t, addr, priv);
	case FUTEX_REQUEUE:
		return futex_requeue(t, addr, addr2, priv, (int)val, (int)(utime & 0x7fffffff),
				     false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, addr, addr2, priv, (int)val, (int)(utime & 0x7fffffff),
				     true, val3);
	case FUTEX_WAIT_REQUEUE_PI:
		return futex_wait_requeue_pi(t, addr, addr2, priv, val, deadline, clk);
	case FUTEX_CMP_REQUEUE_PI:
		return futex_cmp_requeue_pi(t, addr, addr2, priv, (int)val, (int)utime, val3);
	default:
		return -ENOSYS;
	}
}

/* One robust futex of an exiting thread: mark it owner-died, wake a waiter. */
static void robust_one(struct task *t, struct mm *mm, uint64_t uaddr, int tid)
{
	uint32_t v, nv, found;

	if (uaddr & 3)
		return;
	if (mm_read(mm, &v, uaddr, sizeof(v)))
		return;
	/* handle_futex_death: a cmpxchg loop against the other threads. */
	for (;;) {
		if ((int)(v & FUTEX_TID_MASK) != tid)
			return;
		nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (futex_atomic_cmpxchg(t, mm, uaddr, v, nv, &found))
			return;
		if (found == v)
			break;
		v = found;
	}
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
			robust_one(t, mm, (entry & ~1ULL) + (uint64_t)head.futex_offset, t->tid);
		entry = next;
	}
	if (head.pending)
		robust_one(t, mm, (head.pending & ~1ULL) + (uint64_t)head.futex_offset, t->tid);
}
