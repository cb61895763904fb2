/*
 * The vvar page: the parameters the sentry publishes and the vDSO reads
 * (docs/vdso.md). Included by the sentry (the writer, sentry/vdso/vdso_clock.c)
 * and by the vDSO image (the reader, sentry/vdso/image/vdso.c), so it uses
 * fixed-width types only.
 *
 * One page, mapped read-only and shared (MAP_SHARED of one sentry memfd) just
 * below the vDSO's text in every address space. The sentry writes it under a
 * seqlock: seq is odd while an update is in progress.
 *
 * Time model: with tsc the current time stamp counter,
 *     delta = tsc > tsc_base ? tsc - tsc_base : 0
 *     CLOCK_MONOTONIC     = mono.base_ns + (delta * mono.mult >> VVAR_SHIFT)
 *     CLOCK_MONOTONIC_RAW = raw.base_ns  + (delta * raw.mult  >> VVAR_SHIFT)
 *     CLOCK_REALTIME      = CLOCK_MONOTONIC + realtime_off
 *     CLOCK_BOOTTIME      = CLOCK_MONOTONIC + boottime_off
 * (the products are 128-bit) and the _COARSE clocks are their fine clocks.
 */
#ifndef SENTRY_VDSO_VVAR_H
#define SENTRY_VDSO_VVAR_H

#include <stdint.h>

#define VVAR_SIZE 4096
#define VVAR_SHIFT 32
#define VVAR_VERSION 1

struct vvar_clock {
	uint64_t base_ns; /* the clock's value at tsc_base */
	uint64_t mult;	  /* ns per TSC cycle, times 2^VVAR_SHIFT */
};

struct vvar_data {
	uint32_t seq;	  /* seqlock: odd while the sentry writes */
	uint32_t ready;	  /* 0: calibration not done, the vDSO makes syscalls */
	uint32_t version; /* VVAR_VERSION */
	uint32_t pad0;
	uint64_t tsc_base;
	struct vvar_clock mono, raw;
	int64_t realtime_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	int64_t boottime_off;	/* CLOCK_BOOTTIME - CLOCK_MONOTONIC, ns */
	uint32_t hres_res_ns;	/* clock_getres of the fine clocks */
	uint32_t coarse_res_ns; /* clock_getres of the _COARSE clocks */
	uint32_t cpu, node;	/* what getcpu answers (the sentry's getcpu syscall's values) */
	int32_t tz_minuteswest, tz_dsttime; /* what gettimeofday's tz answers */
};

_Static_assert(sizeof(struct vvar_data) <= VVAR_SIZE, "vvar page overflow");

#endif
