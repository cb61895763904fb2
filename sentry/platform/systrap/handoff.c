/*
 * systrap: where a sentry task thread and its stub thread run, and how long
 * each spins before it sleeps on the slot's futex (docs/platform.md,
 * "Hand-off").
 *
 * Measured on the 2-vCPU development VM (bench/systrap_floor.c, run.c's
 * path): a futex hand-off between two threads bound to one CPU is a direct
 * switch, about 10 us per trapped syscall; across two CPUs, waking a side
 * that sleeps costs 50-120 us (its vCPU is halted or busy and the host must
 * run it), while two sides that both spin on CPUs of their own make no
 * syscall besides the trap and its rt_sigreturn (4-5 us). Spinning while
 * both sides share a CPU is the worst case: the spinner keeps the other
 * side from running. So a thread is in one of two modes:
 *
 *   together  the stub thread is bound to the CPU its sentry thread runs
 *             on; nobody spins (every hand-off a switch on one CPU);
 *   apart     the sentry thread and the stub thread are each pinned to one
 *             of two CPUs reserved for the pair, and both spin, bounded
 *             in time (TSC), before they sleep.
 *
 * A thread starts together. It moves apart, if two CPUs are free, after
 * APART_AFTER hand-offs in a row that spinning would have caught (the
 * application came back within the sentry's budget and the sentry answered
 * within the stub's). It moves back as soon as MISS_LIMIT of its last 32
 * hand-offs had to sleep (blocking syscalls, an application computing
 * between syscalls, or a machine too busy to keep both running), or at once
 * after a sleep longer than LONG_WAIT_US. An apart episode shorter than
 * GOOD_EPISODE hand-offs multiplies the streak the next one needs by 4.
 * A thread goes apart only while it is the only busy one (other threads
 * made under a quarter as many hand-offs meanwhile), and goes back when
 * others get busy (checked every BUSY_WINDOW hand-offs). Never on
 * one CPU. SENTRY_SYSTRAP_SPIN=N sets the sentry's budget to N us (0: always
 * together); SENTRY_SYSTRAP_APART=1 forces apart (measurement);
 * SENTRY_SYSTRAP_BIND=0 leaves "together" threads unbound.
 *
 * Lock order: cpu_lock is a leaf.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap_impl.h"
#include "util/log.h"

#define SPIN_SENTRY_US 50 /* the sentry waits this long for the next syscall */
#define SPIN_STUB_US 30   /* the stub waits this long for the answer */
#define APART_AFTER 32
#define APART_AFTER_MAX 32768
#define GOOD_EPISODE 1024
#define BUSY_WINDOW 256
#define MISS_LIMIT 8
#define LONG_WAIT_US 1000

static int spin_sentry_us = SPIN_SENTRY_US, spin_stub_us = SPIN_STUB_US;
static bool force_apart;
static bool bind_together = true;
static cpu_set_t all_cpus; /* the sentry's CPUs at start-up */
static int ncpus;
static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char cpu_taken[CPU_SETSIZE]; /* reserved by an apart pair */

/* TSC calibration against CLOCK_MONOTONIC, finished lazily. */
static uint64_t tsc0;
static int64_t ns0;
static _Atomic uint64_t tsc_per_us;

static inline uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* TSC ticks per microsecond; a low guess (1 GHz) until 1 ms has passed
 * since start-up, so that an early budget is too short rather than long. */
static uint64_t ticks_per_us(void)
{
	uint64_t t = atomic_load_explicit(&tsc_per_us, memory_order_relaxed);
	int64_t dns;

	if (t)
		return t;
	dns = mono_ns() - ns0;
	if (dns < 1000000)
		return 1000;
	t = (rdtsc() - tsc0) * 1000 / (uint64_t)dns;
	if (t < 100)
		t = 100;
	atomic_store_explicit(&tsc_per_us, t, memory_order_relaxed);
	return t;
}

/* Hand-offs of all threads, to tell whether a thread is the only busy one. */
static _Atomic uint64_t all_handoffs;

/* Did other threads make more than a quarter as many hand-offs as this
 * one's last `own` (all_mark: the count when they began)? */
static bool others_busy(struct platform_thread *thr, uint64_t all, uint64_t own)
{
	return all - thr->all_mark > own + own / 4;
}

void systrap_handoff_init(void)
{
	const char *env;

	tsc0 = rdtsc();
	ns0 = mono_ns();
	CPU_ZERO(&all_cpus);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) < 0)
		CPU_SET(0, &all_cpus);
	ncpus = CPU_COUNT(&all_cpus);
	env = getenv("SENTRY_SYSTRAP_SPIN");
	if (env && *env) {
		spin_sentry_us = atoi(env);
		if (spin_sentry_us < 0 || spin_sentry_us > 100000)
			spin_sentry_us = 0;
		spin_stub_us = spin_sentry_us ? spin_sentry_us : 0;
	}
	env = getenv("SENTRY_SYSTRAP_APART");
	force_apart = env && atoi(env) == 1;
	env = getenv("SENTRY_SYSTRAP_BIND");
	bind_together = !(env && *env && atoi(env) == 0);
	if (ncpus < 2) {
		/* One CPU: spinning only ever delays the other side. */
		spin_sentry_us = spin_stub_us = 0;
		force_apart = false;
		bind_together = false;
	}
	if (!spin_sentry_us)
		force_apart = false;
}

static int set_cpu(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

/* Reserve two CPUs for the pair and pin both threads there. */
static bool go_apart(struct platform_thread *thr, struct systrap_slot *s)
{
	int mine = sched_getcpu(), other = -1;
	pid_t self = (pid_t)syscall(SYS_gettid);

	pthread_mutex_lock(&cpu_lock);
	if (mine < 0 || mine >= CPU_SETSIZE || !CPU_ISSET(mine, &all_cpus) || cpu_taken[mine]) {
		mine = -1;
		for (int c = 0; c < CPU_SETSIZE && mine < 0; c++)
			if (CPU_ISSET(c, &all_cpus) && !cpu_taken[c])
				mine = c;
	}
	/* The stub's CPU: the next free one after the sentry's, cyclically. */
	for (int i = 1; mine >= 0 && i < CPU_SETSIZE && other < 0; i++) {
		int c = (mine + i) % CPU_SETSIZE;
		if (CPU_ISSET(c, &all_cpus) && !cpu_taken[c])
			other = c;
	}
	if (mine < 0 || other < 0 || set_cpu(self, mine) < 0) {
		pthread_mutex_unlock(&cpu_lock);
		return false;
	}
	if (set_cpu(thr->tid, other) < 0) {
		sched_setaffinity(self, sizeof(all_cpus), &all_cpus);
		pthread_mutex_unlock(&cpu_lock);
		return false;
	}
	cpu_taken[mine] = cpu_taken[other] = 1;
	pthread_mutex_unlock(&cpu_lock);
	thr->apart = true;
	thr->apart_cpu[0] = mine;
	thr->apart_cpu[1] = other;
	thr->apart_sentry = self;
	thr->bound_cpu = other;
	thr->history = 0;
	thr->apart_len = 0;
	thr->all_mark = atomic_load_explicit(&all_handoffs, memory_order_relaxed);
	s->spin = (unsigned)(spin_stub_us * ticks_per_us());
	log_debug("systrap: tid %d apart (sentry cpu %d, stub cpu %d)", thr->tid, mine, other);
	return true;
}

/* Give the pair's CPUs back; the sentry thread may run anywhere again. */
void systrap_handoff_release(struct platform_thread *thr)
{
	if (!thr->apart)
		return;
	/* Only the pinned thread unpins itself: from another thread the tid
	 * may by now name someone else (that thread exits with its pin). */
	if ((pid_t)syscall(SYS_gettid) == thr->apart_sentry)
		sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
	pthread_mutex_lock(&cpu_lock);
	cpu_taken[thr->apart_cpu[0]] = cpu_taken[thr->apart_cpu[1]] = 0;
	pthread_mutex_unlock(&cpu_lock);
	thr->apart = false;
	thr->bound_cpu = -1; /* rebind at the next run */
	thr->streak = 0; /* systrap_handoff_place clears the stub's spin */
	log_debug("systrap: tid %d together", thr->tid);
}

/*
 * Before a reply from systrap_run: put the pair where its mode says. In
 * "together" the stub thread follows the sentry thread's CPU (one
 * sched_setaffinity when the sentry thread moved).
 */
void systrap_handoff_place(struct platform_thread *thr, struct systrap_slot *s)
{
	int cpu;

	if (thr->apart)
		return;
	s->spin = 0;
	if (!thr->apart_after)
		thr->apart_after = APART_AFTER;
	if ((force_apart || thr->streak >= thr->apart_after) && go_apart(thr, s))
		return;
	if (thr->streak >= thr->apart_after)
		thr->streak = 0; /* no free CPUs: look again later */
	if (!bind_together)
		return;
	cpu = sched_getcpu();
	if (cpu < 0 || cpu == thr->bound_cpu)
		return;
	if (set_cpu(thr->tid, cpu) == 0)
		thr->bound_cpu = cpu;
}

/* How long the sentry spins for the next event (0: it sleeps at once). */
uint64_t systrap_handoff_spin(struct platform_thread *thr)
{
	return thr->apart ? (uint64_t)spin_sentry_us * ticks_per_us() : 0;
}

/* Spin until *state == want, at most `ticks` TSC ticks. */
bool systrap_spin_until(unsigned *state, unsigned want, uint64_t ticks)
{
	uint64_t t0;

	if (!ticks)
		return false;
	t0 = rdtsc();
	do {
		for (int n = 0; n < 8; n++) {
			if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == want)
				return true;
			__builtin_ia32_pause();
		}
	} while (rdtsc() - t0 < ticks);
	return false;
}

uint64_t systrap_tsc(void)
{
	return rdtsc();
}

/*
 * After a hand-off of systrap_run: `back` TSC ticks from the reply to the
 * next event, `serve` from the previous event to the reply; did either
 * side have to sleep? Decides the mode of the next hand-off.
 */
void systrap_handoff_account(struct platform_thread *thr, uint64_t serve, uint64_t back,
			     bool slept)
{
	uint64_t tpu = ticks_per_us(), all;

	if (!spin_sentry_us)
		return;
	all = atomic_fetch_add_explicit(&all_handoffs, 1, memory_order_relaxed) + 1;
	if (thr->apart) {
		if (force_apart)
			return;
		thr->history = (thr->history << 1) | (slept ? 1u : 0u);
		thr->apart_len++;
		/* Other threads got busy: they need the CPUs this pair spins on. */
		if (thr->apart_len % BUSY_WINDOW == 0) {
			bool crowded = others_busy(thr, all, BUSY_WINDOW);
			thr->all_mark = all;
			if (crowded) {
				log_debug("systrap: tid %d: other threads busy", thr->tid);
				systrap_handoff_release(thr);
				return;
			}
		}
		/* A syscall that blocked long gives the CPUs back at once:
		 * another pair may need them. (A long wait for the application
		 * does not: on a busy host it is mostly the stub thread waiting
		 * for its CPU, which the miss rate accounts for.) */
		if (__builtin_popcount(thr->history) >= MISS_LIMIT ||
		    (slept && serve > LONG_WAIT_US * tpu)) {
			log_debug("systrap: tid %d: misses %08x, serve %lu us, back %lu us",
				  thr->tid, thr->history, (unsigned long)(serve / tpu),
				  (unsigned long)(back / tpu));
			/* An episode that did not last makes the next one
			 * wait longer (blocking syscalls in a ping-pong would
			 * otherwise flip the mode every few dozen calls). */
			if (thr->apart_len >= GOOD_EPISODE)
				thr->apart_after = APART_AFTER;
			else if (thr->apart_after < APART_AFTER_MAX)
				thr->apart_after *= 4;
			systrap_handoff_release(thr);
		}
		return;
	}
	if (back < (uint64_t)spin_sentry_us * tpu && serve < (uint64_t)spin_stub_us * tpu) {
		if (thr->streak++ == 0)
			thr->all_mark = all - 1;
		/* A streak while other threads also trap is no streak: two
		 * CPUs cannot keep two spinning pairs and the others. */
		if (thr->streak >= thr->apart_after && others_busy(thr, all, thr->streak))
			thr->streak = 0;
	} else {
		thr->streak = 0;
	}
}
