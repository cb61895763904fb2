/*
 * The sentry's side of the vDSO (docs/vdso.md): the image and vvar memfds,
 * and the thread that keeps the vvar page's clock parameters on the host's
 * clocks.
 *
 * Calibration. Each update samples the host's CLOCK_MONOTONIC and
 * CLOCK_MONOTONIC_RAW bracketed by TSC reads (best of several tries), and
 * estimates each clock's rate in ns per cycle from the previous sample. The
 * new parameters start where the old ones are at the update's TSC (so the
 * vDSO's time is continuous) and their rate is the host's plus the error
 * spread over the next interval (so it converges on the host's time without
 * steps). REALTIME and BOOTTIME are MONOTONIC plus offsets, as in Linux's
 * timekeeping: they change only when the host's clock is set or resumes.
 *
 * Seqlock protocol. The writer makes seq odd, then (after a full fence) reads
 * the TSC value tu the new parameters start from. A reader whose snapshot
 * of the old parameters validated read its TSC (fenced) before it re-read
 * an even seq, so before tu: old parameters are only ever used for TSC values
 * below tu, new ones only at or above it, and at tu they agree. MONOTONIC
 * therefore never goes backwards, across threads too (the TSC is invariant
 * and synchronized across CPUs on the hosts we accept).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "vdso/vdso.h"
#include "vdso/vvar.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define PAGE 4096ULL
#define SAMPLE_TRIES 8
#define STEADY_INTERVAL_NS 250000000LL /* between updates, once converged */
#define FIRST_INTERVAL_NS 10000000LL   /* the first updates come faster */

extern const char vdso_blob_start[], vdso_blob_end[];

struct clock_state {
	uint64_t tsc; /* last sample */
	int64_t ns;
	uint64_t rate; /* ns per cycle << VVAR_SHIFT, from the last two samples */
};

static struct {
	pthread_once_t once;
	int err; /* of the set-up, 0 when the vDSO is usable */
	struct vdso_image img;
	struct vvar_data *vv; /* the sentry's writable mapping */
	struct clock_state mono, raw;
} vd = {.once = PTHREAD_ONCE_INIT};

/* The TSC, ordered against the memory accesses around it. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) < 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Invariant TSC (CPUID 8000_0007h EDX[8]): Linux's constant_tsc and
 * nonstop_tsc. Without it the TSC's rate may change under us. */
static bool tsc_invariant(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__cpuid(0x80000007, a, b, c, d);
	return d & (1u << 8);
}

/* One reading of host clock c at a TSC value (the middle of the narrowest
 * of a few brackets, so a preemption inside one does not count). */
static int sample_clock(clockid_t c, uint64_t *tsc, int64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < SAMPLE_TRIES; i++) {
		uint64_t t0 = rdtsc_ordered();
		int64_t v = host_ns(c);
		uint64_t t1 = rdtsc_ordered();
		if (v < 0)
			return -EINVAL;
		if (t1 >= t0 && t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = v;
		}
	}
	return best == UINT64_MAX ? -EIO : 0;
}

/* Host clock c minus CLOCK_MONOTONIC, from the narrowest of a few brackets. */
static int sample_offset(clockid_t c, int64_t *off)
{
	int64_t best = INT64_MAX;

	for (int i = 0; i < SAMPLE_TRIES; i++) {
		int64_t m0 = host_ns(CLOCK_MONOTONIC);
		int64_t v = host_ns(c);
		int64_t m1 = host_ns(CLOCK_MONOTONIC);
		if (m0 < 0 || v < 0 || m1 < 0)
			return -EINVAL;
		if (m1 >= m0 && m1 - m0 < best) {
			best = m1 - m0;
			*off = v - (m0 + (m1 - m0) / 2);
		}
	}
	return best == INT64_MAX ? -EIO : 0;
}

static uint64_t scale(uint64_t delta, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)delta * mult) >> VVAR_SHIFT);
}

/* Take a new sample of clock c; update its rate estimate. */
static int clock_sample(struct clock_state *cs, clockid_t c)
{
	uint64_t tsc;
	int64_t ns;
	int r = sample_clock(c, &tsc, &ns);

	if (r)
		return r;
	if (cs->tsc) {
		if (tsc <= cs->tsc || ns <= cs->ns)
			return -EIO; /* a TSC or clock that does not advance */
		cs->rate = (uint64_t)(((unsigned __int128)(uint64_t)(ns - cs->ns) << VVAR_SHIFT) /
				      (tsc - cs->tsc));
		if (!cs->rate)
			return -EIO;
	}
	cs->tsc = tsc;
	cs->ns = ns;
	return 0;
}

uint64_t vdso_clock_value(const struct vvar_clock *vc, uint64_t tsc_base, uint64_t tsc)
{
	return vc->base_ns + scale(tsc > tsc_base ? tsc - tsc_base : 0, vc->mult);
}

int64_t vdso_clock_retarget(struct vvar_clock *vc, int64_t host, uint64_t rate, bool ready,
			    uint64_t old_base, uint64_t tu, uint64_t span)
{
	if (!ready) {
		vc->base_ns = (uint64_t)host;
		vc->mult = rate;
		return 0;
	}
	uint64_t cur = vdso_clock_value(vc, old_base, tu);
	int64_t err = host - (int64_t)cur;
	if (err > VDSO_STEP_NS) {
		vc->base_ns = (uint64_t)host; /* forward only: MONOTONIC must not go back */
		vc->mult = rate;
		return err;
	}
	__int128 adj = ((__int128)err * ((__int128)1 << VVAR_SHIFT)) / (__int128)(span ? span : 1);
	__int128 lim = (__int128)(rate >> VDSO_MAX_SLEW_SHIFT);
	if (adj > lim)
		adj = lim;
	if (adj < -lim)
		adj = -lim;
	vc->base_ns = cur;
	vc->mult = (uint64_t)((__int128)rate + adj);
	return err;
}

/* Retarget one clock from its latest sample (vv->tsc_base still the old one). */
static int64_t clock_retarget(struct vvar_clock *vc, const struct clock_state *cs, bool ready,
			      uint64_t old_base, uint64_t tu, uint64_t span)
{
	int64_t host = cs->ns + (int64_t)scale(tu - cs->tsc, cs->rate);
	return vdso_clock_retarget(vc, host, cs->rate, ready, old_base, tu, span);
}

/* An offset clock (REALTIME, BOOTTIME): moves only when the host's does,
 * not with each sample's few ns of jitter. */
static void offset_update(int64_t *field, int64_t off, bool ready)
{
	int64_t d = off - *field;
	if (!ready || d > 1000 || d < -1000)
		*field = off;
}

/* One update of the vvar page; interval_ns is the time to the next one. */
static int vvar_update(int64_t interval_ns)
{
	struct vvar_data *v = vd.vv;
	int64_t real_off = 0, boot_off = 0;
	int r;

	r = clock_sample(&vd.mono, CLOCK_MONOTONIC);
	if (!r)
		r = clock_sample(&vd.raw, CLOCK_MONOTONIC_RAW);
	if (!r)
		r = sample_offset(CLOCK_REALTIME, &real_off);
	if (!r)
		r = sample_offset(CLOCK_BOOTTIME, &boot_off);
	if (r)
		return r;
	if (!vd.mono.rate || !vd.raw.rate)
		return 0; /* one sample only: no rate yet */
	uint64_t span =
	    (uint64_t)(((unsigned __int128)(uint64_t)interval_ns << VVAR_SHIFT) / vd.mono.rate);
	bool ready = v->ready;

	__atomic_store_n(&v->seq, v->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint64_t tu = rdtsc_ordered();
	int64_t emono = clock_retarget(&v->mono, &vd.mono, ready, v->tsc_base, tu, span);
	int64_t eraw = clock_retarget(&v->raw, &vd.raw, ready, v->tsc_base, tu, span);
	offset_update(&v->realtime_off, real_off, ready);
	offset_update(&v->boottime_off, boot_off, ready);
	v->tsc_base = tu;
	v->ready = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&v->seq, v->seq + 1, __ATOMIC_RELEASE);
	log_debug("vdso: update: host - vDSO: MONOTONIC %lld ns, MONOTONIC_RAW %lld ns",
		  (long long)emono, (long long)eraw);
	return 0;
}

static void *vvar_thread(void *arg)
{
	int64_t interval = FIRST_INTERVAL_NS;

	(void)arg;
	for (;;) {
		struct timespec ts = {interval / 1000000000LL, interval % 1000000000LL};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (interval < STEADY_INTERVAL_NS)
			interval =
			    interval * 2 < STEADY_INTERVAL_NS ? interval * 2 : STEADY_INTERVAL_NS;
		int r = vvar_update(interval);
		if (r) {
			/* Stop serving time from the page: every clock read traps. */
			__atomic_store_n(&vd.vv->ready, 0, __ATOMIC_SEQ_CST);
			log_warn("vdso: host clock sampling failed (%s); clocks now trap",
				 strerror(-r));
			return NULL;
		}
	}
}

/* The image in a sealed memfd: private mappings of it are copy-on-write. */
static int image_memfd(uint64_t *len)
{
	size_t n = (size_t)(vdso_blob_end - vdso_blob_start);
	int fd;

	if (n < 64 || memcmp(vdso_blob_start, "\177ELF", 4) != 0)
		return -ENOEXEC;
	fd = memfd_create("sentry-vdso", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("sentry-vdso", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	*len = (n + PAGE - 1) & ~(PAGE - 1);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, vdso_blob_start + done, n - done);
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;
			close(fd);
			return e;
		}
		done += (size_t)w;
	}
	if (ftruncate(fd, (off_t)*len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* The vvar page: writable in the sentry, never writable anywhere else. */
static int vvar_memfd(struct vvar_data **map)
{
	int fd = memfd_create("sentry-vvar", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, VVAR_SIZE) < 0)
		goto fail;
	p = mmap(NULL, VVAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0) {
		int e = -errno;
		munmap(p, VVAR_SIZE);
		close(fd);
		return e;
	}
	*map = p;
	return fd;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

static int vdso_setup(void)
{
	struct timespec res;
	pthread_t th;
	sigset_t all, old;
	int r;

	if (getenv("SENTRY_NO_VDSO"))
		return -ENODEV;
	if (!tsc_invariant()) {
		log_info("vdso: the host TSC is not invariant; clock calls will trap");
		return -ENODEV;
	}
	r = image_memfd(&vd.img.text_len);
	if (r < 0)
		return r;
	vd.img.text_fd = r;
	r = vvar_memfd(&vd.vv);
	if (r < 0)
		goto fail_text;
	vd.img.vvar_fd = r;
	vd.img.vvar_len = VVAR_SIZE;

	/* Static facts; ready stays 0 (every call traps) until the update
	 * thread has two samples, a few ms from now. */
	vd.vv->version = VVAR_VERSION;
	vd.vv->hres_res_ns =
	    clock_getres(CLOCK_MONOTONIC, &res) == 0 && !res.tv_sec ? (uint32_t)res.tv_nsec : 0;
	vd.vv->coarse_res_ns = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && !res.tv_sec
				   ? (uint32_t)res.tv_nsec
				   : 0;
	vd.vv->cpu = 0; /* what the sentry's getcpu answers (sys_info.c) */
	vd.vv->node = 0;
	r = vvar_update(FIRST_INTERVAL_NS);
	if (r)
		goto fail_vvar;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&th, NULL, vvar_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		goto fail_vvar;
	pthread_detach(th);
	return 0;
fail_vvar:
	munmap(vd.vv, VVAR_SIZE);
	vd.vv = NULL;
	close(vd.img.vvar_fd);
fail_text:
	close(vd.img.text_fd);
	return r;
}

static void vdso_once(void)
{
	vd.err = vdso_setup();
	if (vd.err && vd.err != -ENODEV)
		log_warn("vdso: cannot set up (%s); clock calls will trap", strerror(-vd.err));
}

int vdso_image_get(const struct vdso_image **out)
{
	pthread_once(&vd.once, vdso_once);
	if (vd.err)
		return -ENODEV; /* logged once by vdso_once */
	*out = &vd.img;
	return 0;
}
