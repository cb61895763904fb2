/*
 * The vDSO the sentry maps into every address space (docs/vdso.md).
 *
 * One image and one vvar page serve the whole sandbox: the image is a sealed
 * memfd mapped privately (copy-on-write, like Linux's [vdso]); the vvar page
 * is a memfd the sentry keeps mapped writable while every address space maps
 * it shared and read-only (sealed with F_SEAL_FUTURE_WRITE, so the host
 * refuses any writable mapping of it too). A sentry thread keeps the page's
 * clock parameters close to the host's clocks.
 *
 * Locking: vdso_image_get() is safe from any thread (pthread_once); the
 * update thread is the only writer of the vvar page (seqlock inside it).
 */
#ifndef SENTRY_VDSO_VDSO_H
#define SENTRY_VDSO_VDSO_H

#include <stdbool.h>
#include <stdint.h>

struct vdso_image {
	int vvar_fd;	   /* the vvar memfd (map MAP_SHARED, PROT_READ) */
	int text_fd;	   /* the vDSO image memfd (map MAP_PRIVATE, PROT_READ|PROT_EXEC) */
	uint64_t vvar_len; /* bytes, page multiple; the vvar is mapped just below the text */
	uint64_t text_len; /* bytes, page multiple */
};

/*
 * The sandbox's vDSO, set up on first use (memfds, TSC check, the update
 * thread). -ENODEV when there is none: the host TSC is not invariant, or
 * SENTRY_NO_VDSO is set in the sentry's environment, or setting it up
 * failed (logged once); applications then make real (trapped) clock
 * syscalls.
 */
int vdso_image_get(const struct vdso_image **out);

/*
 * The clock arithmetic of the vvar page, exposed for tests/unit/test_vdso_clock.c.
 *
 * vdso_clock_value: what the vDSO computes for clock vc at TSC tsc.
 * vdso_clock_retarget: new parameters for vc from TSC tu on, given the host
 * clock's value at tu (host), its rate (ns per cycle << VVAR_SHIFT) and the
 * cycles to the next update (span); old_base is the tsc_base the current
 * parameters were published with. Continues from the current parameters'
 * value at tu at the host's rate plus the error spread over span (the
 * change clamped to rate >> VDSO_MAX_SLEW_SHIFT); jumps to host only when
 * more than VDSO_STEP_NS behind; !ready: takes the host's. Returns the error
 * it corrects (host minus vDSO at tu, ns).
 */
#define VDSO_STEP_NS 20000000LL
#define VDSO_MAX_SLEW_SHIFT 8
struct vvar_clock;
uint64_t vdso_clock_value(const struct vvar_clock *vc, uint64_t tsc_base, uint64_t tsc);
int64_t vdso_clock_retarget(struct vvar_clock *vc, int64_t host, uint64_t rate, bool ready,
			    uint64_t old_base, uint64_t tu, uint64_t span);

#endif
