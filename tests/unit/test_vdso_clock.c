/*
 * The vvar page's clock arithmetic (sentry/vdso/vdso_clock.c) against a fake
 * host clock the test controls: the vDSO's time is continuous and never goes
 * back at an update, converges on the host's from noisy samples, follows a
 * change of the host's rate (NTP slewing), survives a late update, jumps
 * forward only when far behind, and slows down at most by the clamp when
 * ahead.
 */
#include <check.h>
#include <stdint.h>

#include "vdso/vdso.h"
#include "vdso/vvar.h"

#define GHZ3_RATE ((1ULL << VVAR_SHIFT) / 3) /* 1/3 ns per cycle: a 3 GHz TSC */

/* A host clock: value h0 at TSC t0, rate (ns per cycle << VVAR_SHIFT) since. */
struct host {
	uint64_t t0;
	int64_t h0;
	uint64_t rate;
};

static int64_t host_at(const struct host *h, uint64_t tsc)
{
	return h->h0 + (int64_t)(((unsigned __int128)(tsc - h->t0) * h->rate) >> VVAR_SHIFT);
}

/* Change the host's rate from tsc on, keeping it continuous. */
static void host_set_rate(struct host *h, uint64_t tsc, uint64_t rate)
{
	h->h0 = host_at(h, tsc);
	h->t0 = tsc;
	h->rate = rate;
}

static uint64_t rng = 88172645463325252ULL;
static int64_t noise(int64_t amp)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (int64_t)(rng % (uint64_t)(2 * amp + 1)) - amp;
}

/* The sentry's update loop over the fake host: samples with ±20 ns of
 * jitter, the rate from consecutive samples, the checks at every update. */
struct sim {
	struct host host;
	struct vvar_clock vc;
	uint64_t base; /* tsc_base */
	bool ready;
	uint64_t tsc;	 /* now */
	uint64_t prev_t; /* previous sample */
	int64_t prev_h;
	int64_t worst_after; /* largest |host - vDSO| at updates once converged */
};

static void sim_update(struct sim *s, uint64_t interval_cycles, uint64_t next_interval, bool check)
{
	s->tsc += interval_cycles;
	uint64_t ts = s->tsc;
	int64_t hs = host_at(&s->host, ts) + noise(20);
	uint64_t rate = (uint64_t)(((unsigned __int128)(uint64_t)(hs - s->prev_h) << VVAR_SHIFT) /
				   (ts - s->prev_t));
	s->prev_t = ts;
	s->prev_h = hs;
	uint64_t tu = ts + 1500; /* the writer's TSC read comes a little later */
	int64_t h_tu = hs + (int64_t)(((unsigned __int128)(tu - ts) * rate) >> VVAR_SHIFT);
	uint64_t before = vdso_clock_value(&s->vc, s->base, tu - 1);
	uint64_t at_old = vdso_clock_value(&s->vc, s->base, tu);

	vdso_clock_retarget(&s->vc, h_tu, rate, s->ready, s->base, tu, next_interval);
	uint64_t at_new = vdso_clock_value(&s->vc, tu, tu);
	if (s->ready) {
		/* Continuous at tu, and never below what the old parameters gave. */
		ck_assert_uint_eq(at_new, at_old);
		ck_assert_uint_ge(at_new, before);
		ck_assert_uint_ge(vdso_clock_value(&s->vc, tu, tu + 1), at_new);
	}
	s->base = tu;
	s->ready = true;
	s->tsc = tu;
	if (check) {
		int64_t e = host_at(&s->host, tu) - (int64_t)at_new;
		if (e < 0)
			e = -e;
		if (e > s->worst_after)
			s->worst_after = e;
	}
}

static void sim_init(struct sim *s)
{
	*s = (struct sim){.host = {.t0 = 1000, .h0 = 5000000000LL, .rate = GHZ3_RATE}};
	s->tsc = 1000;
	s->prev_t = s->tsc;
	s->prev_h = host_at(&s->host, s->tsc);
}

#define MS_CYCLES(ms) ((uint64_t)(ms)*3000000ULL)

START_TEST(converges_and_stays_continuous)
{
	struct sim s;
	sim_init(&s);
	for (int i = 0; i < 400; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), i >= 20);
	ck_assert_int_lt(s.worst_after, 1000); /* within 1 us of the host */
}
END_TEST

START_TEST(follows_a_host_rate_change)
{
	struct sim s;
	sim_init(&s);
	for (int i = 0; i < 40; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), false);
	/* NTP speeds the host's clock up by 500 ppm, then slows it by 500 ppm. */
	host_set_rate(&s.host, s.tsc, GHZ3_RATE + GHZ3_RATE / 2000);
	for (int i = 0; i < 40; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), i >= 10);
	host_set_rate(&s.host, s.tsc, GHZ3_RATE - GHZ3_RATE / 2000);
	for (int i = 0; i < 40; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), i >= 10);
	ck_assert_int_lt(s.worst_after, 1000);
}
END_TEST

START_TEST(late_updates_do_not_step_back)
{
	struct sim s;
	sim_init(&s);
	for (int i = 0; i < 20; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), false);
	/* A starved update thread: 5 s late, twice; the checks inside still hold. */
	sim_update(&s, MS_CYCLES(5000), MS_CYCLES(250), false);
	sim_update(&s, MS_CYCLES(5000), MS_CYCLES(250), false);
	for (int i = 0; i < 20; i++)
		sim_update(&s, MS_CYCLES(250), MS_CYCLES(250), i >= 10);
	ck_assert_int_lt(s.worst_after, 1000);
}
END_TEST

START_TEST(first_update_takes_the_host)
{
	struct vvar_clock vc = {0};
	ck_assert_int_eq(vdso_clock_retarget(&vc, 123456789, GHZ3_RATE, false, 0, 1000, 1), 0);
	ck_assert_uint_eq(vc.base_ns, 123456789);
	ck_assert_uint_eq(vc.mult, GHZ3_RATE);
}
END_TEST

START_TEST(far_behind_jumps_forward)
{
	struct vvar_clock vc = {.base_ns = 1000000000, .mult = GHZ3_RATE};
	int64_t host = 1000000000 + 3 * VDSO_STEP_NS;
	int64_t err = vdso_clock_retarget(&vc, host, GHZ3_RATE, true, 0, 0, MS_CYCLES(250));
	ck_assert_int_eq(err, 3 * VDSO_STEP_NS);
	ck_assert_uint_eq(vc.base_ns, (uint64_t)host);
	ck_assert_uint_eq(vc.mult, GHZ3_RATE);
}
END_TEST

START_TEST(far_ahead_slows_down_within_the_clamp)
{
	struct vvar_clock vc = {.base_ns = 1000000000, .mult = GHZ3_RATE};
	int64_t host = 1000000000 - 3 * VDSO_STEP_NS;
	int64_t err = vdso_clock_retarget(&vc, host, GHZ3_RATE, true, 0, 0, MS_CYCLES(250));
	ck_assert_int_eq(err, -3 * VDSO_STEP_NS);
	ck_assert_uint_eq(vc.base_ns, 1000000000); /* no step back */
	ck_assert_uint_eq(vc.mult, GHZ3_RATE - (GHZ3_RATE >> VDSO_MAX_SLEW_SHIFT));
}
END_TEST

START_TEST(value_clamps_a_tsc_below_the_base)
{
	struct vvar_clock vc = {.base_ns = 777, .mult = GHZ3_RATE};
	ck_assert_uint_eq(vdso_clock_value(&vc, 1000, 10), 777);
	ck_assert_uint_eq(vdso_clock_value(&vc, 1000, 1000 + 3003), 777 + 1000);
	/* Long gaps (here 2^40 ns, 12 days) do not overflow: the product is 128-bit. */
	uint64_t v = vdso_clock_value(&vc, 0, 3ULL << 40);
	ck_assert_uint_le(v, 777 + (1ULL << 40));
	ck_assert_uint_ge(v, 777 + (1ULL << 40) - 1000);
}
END_TEST

Suite *vdso_clock_suite(void)
{
	Suite *s = suite_create("vdso_clock");
	TCase *tc = tcase_create("clock");
	tcase_add_test(tc, converges_and_stays_continuous);
	tcase_add_test(tc, follows_a_host_rate_change);
	tcase_add_test(tc, late_updates_do_not_step_back);
	tcase_add_test(tc, first_update_takes_the_host);
	tcase_add_test(tc, far_behind_jumps_forward);
	tcase_add_test(tc, far_ahead_slows_down_within_the_clamp);
	tcase_add_test(tc, value_clamps_a_tsc_below_the_base);
	suite_add_tcase(s, tc);
	return s;
}
