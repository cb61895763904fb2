/*
 * The sentry's vDSO: clock_gettime, gettimeofday, time, getcpu and
 * clock_getres computed from the vvar page (../vvar.h) and the TSC without
 * entering the kernel. Built as a freestanding position-independent shared
 * object (vdso.lds; no libc, no relocations) and embedded in the sentry.
 *
 * Whatever this code cannot answer (calibration not done yet, CPU-time
 * clocks, CLOCK_TAI, invalid ids) goes to the real syscall, which traps to
 * the sentry like any other: results stay Linux's, only slower.
 */
#include <stddef.h>
#include <stdint.h>

#include "../vvar.h"

/* Guest ABI values (include/uapi/linux/time.h), independent of host headers. */
#define V_CLOCK_REALTIME 0
#define V_CLOCK_MONOTONIC 1
#define V_CLOCK_MONOTONIC_RAW 4
#define V_CLOCK_REALTIME_COARSE 5
#define V_CLOCK_MONOTONIC_COARSE 6
#define V_CLOCK_BOOTTIME 7

#define V_NR_gettimeofday 96
#define V_NR_time 201
#define V_NR_clock_gettime 228
#define V_NR_clock_getres 229
#define V_NR_getcpu 309

#define NSEC_PER_SEC 1000000000ULL

struct v_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};
struct v_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};
struct v_timezone {
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
};

/* The vvar page sits just below the vDSO's first byte (vdso.lds). */
extern const volatile struct vvar_data vdso_vvar __attribute__((visibility("hidden")));

static inline long vsys2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline long vsys3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * The TSC, ordered against the loads around it: the first lfence keeps it
 * after the seqlock's first read, the second keeps the seqlock's re-read
 * after it (the sentry's update protocol relies on that, docs/vdso.md).
 */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t scale(uint64_t delta, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)delta * mult) >> VVAR_SHIFT);
}

/* The clock's time in ns, or -1 when the vDSO does not serve it. */
static int64_t vdso_now(int clk)
{
	const volatile struct vvar_data *d = &vdso_vvar;
	uint32_t seq;
	int64_t ns;

	if (clk != V_CLOCK_REALTIME && clk != V_CLOCK_MONOTONIC && clk != V_CLOCK_MONOTONIC_RAW &&
	    clk != V_CLOCK_REALTIME_COARSE && clk != V_CLOCK_MONOTONIC_COARSE &&
	    clk != V_CLOCK_BOOTTIME)
		return -1;
	do {
		seq = d->seq;
		__asm__ volatile("" ::: "memory");
		if (seq & 1)
			continue;
		if (!d->ready)
			return -1;
		uint64_t base = d->tsc_base;
		uint64_t tsc = rdtsc_ordered();
		uint64_t delta = tsc > base ? tsc - base : 0;
		if (clk == V_CLOCK_MONOTONIC_RAW) {
			ns = (int64_t)(d->raw.base_ns + scale(delta, d->raw.mult));
		} else {
			ns = (int64_t)(d->mono.base_ns + scale(delta, d->mono.mult));
			if (clk == V_CLOCK_REALTIME || clk == V_CLOCK_REALTIME_COARSE)
				ns += d->realtime_off;
			else if (clk == V_CLOCK_BOOTTIME)
				ns += d->boottime_off;
		}
		__asm__ volatile("" ::: "memory");
	} while ((seq & 1) || d->seq != seq);
	return ns;
}

int __vdso_clock_gettime(int clk, struct v_timespec *ts)
{
	int64_t ns = vdso_now(clk);

	if (ns < 0)
		return (int)vsys2(V_NR_clock_gettime, clk, (long)ts);
	ts->tv_sec = (int64_t)((uint64_t)ns / NSEC_PER_SEC);
	ts->tv_nsec = (int64_t)((uint64_t)ns % NSEC_PER_SEC);
	return 0;
}

int __vdso_gettimeofday(struct v_timeval *tv, struct v_timezone *tz)
{
	int64_t ns = vdso_now(V_CLOCK_REALTIME);

	if (ns < 0)
		return (int)vsys2(V_NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = (int64_t)((uint64_t)ns / NSEC_PER_SEC);
		tv->tv_usec = (int64_t)((uint64_t)ns % NSEC_PER_SEC / 1000);
	}
	if (tz) {
		tz->tz_minuteswest = vdso_vvar.tz_minuteswest;
		tz->tz_dsttime = vdso_vvar.tz_dsttime;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t ns = vdso_now(V_CLOCK_REALTIME);

	if (ns < 0)
		return vsys2(V_NR_time, (long)t, 0);
	int64_t s = (int64_t)((uint64_t)ns / NSEC_PER_SEC);
	if (t)
		*t = s;
	return s;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	if (!vdso_vvar.ready)
		return (int)vsys3(V_NR_getcpu, (long)cpu, (long)node, (long)unused);
	if (cpu)
		*cpu = vdso_vvar.cpu;
	if (node)
		*node = vdso_vvar.node;
	return 0;
}

int __vdso_clock_getres(int clk, struct v_timespec *res)
{
	uint32_t ns = 0;

	/* if-chains, not a switch: a table of pointers would need relocation. */
	if (clk == V_CLOCK_REALTIME || clk == V_CLOCK_MONOTONIC || clk == V_CLOCK_MONOTONIC_RAW ||
	    clk == V_CLOCK_BOOTTIME)
		ns = vdso_vvar.hres_res_ns;
	else if (clk == V_CLOCK_REALTIME_COARSE || clk == V_CLOCK_MONOTONIC_COARSE)
		ns = vdso_vvar.coarse_res_ns;
	if (!ns || !vdso_vvar.ready)
		return (int)vsys2(V_NR_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
}

/* The names without the prefix, as Linux's vDSO exports them too. */
int clock_gettime(int, struct v_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct v_timeval *, struct v_timezone *)
    __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct v_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
