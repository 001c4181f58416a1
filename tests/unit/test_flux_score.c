/*
 * test_flux_score: the Holz score over sets, its calibration points from
 * DESIGN.md, set semantics (duplicates count once), caps and fluxiness.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flux_score.h"

/* Fill sets with nA addresses spread over nASN ASNs. */
static void fill(struct flux_sets *s, unsigned n_a, unsigned n_asn)
{
	for (unsigned i = 0; i < n_a; i++)
		assert_int_equal(flux_sets_add_a(s, 0x0a000000u + i * 7u), 1);
	for (unsigned i = 0; i < n_asn; i++)
		assert_int_equal(flux_sets_add_asn(s, 64512u + i), 1);
}

static void check_point(unsigned n_a, unsigned n_asn, double want, int want_flux)
{
	struct flux_sets s;
	struct flux_verdict v;

	flux_sets_init(&s, 0, 0, 0);
	fill(&s, n_a, n_asn);
	flux_sets_verdict(&s, &v);
	assert_int_equal(v.n_a, n_a);
	assert_int_equal(v.n_asn, n_asn);
	/* DESIGN.md quotes one decimal */
	assert_true(fabs(v.score_x100 / 100.0 - want) < 0.05);
	assert_int_equal(v.flux, want_flux);
	assert_int_equal(v.margin_x100, v.score_x100 - 14238);
	assert_int_equal(v.capped, 0);
	flux_sets_fini(&s);
}

static void test_flux_score_calibration_8_ips_8_asns_is_flux(void **state)
{
	(void)state;
	check_point(8, 8, 158.9, 1);
	assert_int_equal(flux_score_x100(8, 8, 0), 15888);
}

static void test_flux_score_calibration_93_ips_1_asn_is_not_flux(void **state)
{
	(void)state;
	check_point(93, 1, 141.3, 0);
	assert_int_equal(flux_score_x100(93, 1, 0), 14130);
}

static void test_flux_score_calibration_94_ips_1_asn_is_flux(void **state)
{
	(void)state;
	check_point(94, 1, 142.6, 1);
	assert_int_equal(flux_score_x100(94, 1, 0), 14262);
}

static void test_flux_score_calibration_431_ips_107_asns(void **state)
{
	(void)state;
	check_point(431, 107, 2552.7, 1);
	assert_int_equal(flux_score_x100(431, 107, 0), 255270);
	assert_true(fabs(flux_score(431, 107, 0) - 2552.70) < 1e-9);
}

static void test_flux_window_span_clamps_the_ttl(void **state)
{
	(void)state;
	const int64_t s = 1000000;
	/* the defaults: 3 lookups, TTL clamped to [30 s, 3600 s]; the end half a TTL
	 * after the third lookup's earliest time */
	assert_true(flux_window_span_us(300, 0, 30 * s, 3600 * s) == 750 * s);
	assert_true(flux_window_span_us(20, 3, 30 * s, 3600 * s) == 75 * s);
	assert_true(flux_window_span_us(86400, 3, 30 * s, 3600 * s) == 9000 * s);
	/* unknown TTL: the longest the sensor waits */
	assert_true(flux_window_span_us(0, 3, 30 * s, 3600 * s) == 9000 * s);
	assert_true(flux_window_span_us(0, 0, 0, 0) == 5 * FLUX_TTL_MAX_S * s / 2);
	/* the integration test's sensor: ttl-min = ttl-max = 2 s */
	assert_true(flux_window_span_us(30, 3, 2 * s, 2 * s) == 5 * s);
	assert_true(flux_window_span_us(1, 5, 2 * s, 2 * s) == 9 * s);
	/* ttl-min above ttl-max is taken as ttl-max; a negative ttl-min as 0 */
	assert_true(flux_window_span_us(1, 1, 10 * s, 5 * s) == 5 * s / 2);
	assert_true(flux_window_span_us(1, 1, -1, 5 * s) == s / 2);
}

static void test_flux_score_ns_has_zero_weight(void **state)
{
	(void)state;
	assert_int_equal(flux_score_x100(1, 1, 1000), flux_score_x100(1, 1, 0));
}

static void test_flux_score_threshold_is_strict(void **state)
{
	(void)state;
	assert_int_equal(flux_is_flux(14238), 0);
	assert_int_equal(flux_is_flux(14239), 1);
	assert_int_equal(flux_is_flux(0), 0);
}

static void test_flux_score_saturates(void **state)
{
	(void)state;
	assert_int_equal(flux_score_x100(UINT32_MAX, UINT32_MAX, UINT32_MAX), INT32_MAX);
}

/* pffdetect's bug: the same address in two lookups must count once. */
static void test_flux_x100_of_rounds_a_stored_score_back(void **state)
{
	(void)state;
	/* every score of up to 2000 addresses in 300 ASNs comes back exactly */
	for (uint32_t a = 0; a <= 2000; a += 7)
		for (uint32_t n = 0; n <= 300; n += 3)
			assert_int_equal(flux_x100_of(flux_score(a, n, 0)), flux_score_x100(a, n, 0));
	assert_int_equal(flux_x100_of(158.88), 15888);	/* 15887.99... truncated would be 15887 */
	assert_int_equal(flux_x100_of(-1.005), -100);	/* -100.49999... */
	assert_int_equal(flux_x100_of(-0.015), -2);	/* halves away from zero */
	assert_int_equal(flux_x100_of(0.125), 13);
	assert_int_equal(flux_x100_of(1e300), 2000000000);
	assert_int_equal(flux_x100_of(-1e300), -2000000000);
	assert_int_equal(flux_x100_of(NAN), -2000000000);
}

static void test_flux_sets_count_sets_not_lists(void **state)
{
	struct flux_sets s;
	struct flux_verdict v;
	(void)state;

	flux_sets_init(&s, 0, 0, 0);
	for (int lookup = 0; lookup < 2; lookup++) {
		for (uint32_t ip = 1; ip <= 5; ip++)
			assert_int_equal(flux_sets_add_a(&s, ip), lookup == 0 ? 1 : 0);
		flux_sets_answer(&s, 5);
	}
	assert_int_equal(flux_sets_add_asn(&s, 3561), 1);
	assert_int_equal(flux_sets_add_asn(&s, 3561), 0);
	assert_int_equal(flux_sets_add_ns(&s, "ns1.Example.COM.", 16), 1);
	assert_int_equal(flux_sets_add_ns(&s, "NS1.example.com", 15), 0);
	assert_int_equal(flux_sets_add_ns(&s, "ns2.example.com", 15), 1);
	flux_sets_verdict(&s, &v);
	assert_int_equal(v.n_a, 5);
	assert_int_equal(v.n_asn, 1);
	assert_int_equal(v.n_ns, 2);
	assert_int_equal(v.score_x100, 5 * 132 + 1854);
	assert_true(flux_sets_has_a(&s, 3));
	assert_false(flux_sets_has_a(&s, 6));
	assert_true(flux_sets_has_asn(&s, 3561));
	assert_false(flux_sets_has_asn(&s, 1));
	flux_sets_fini(&s);
}

static void test_flux_sets_stay_sorted_whatever_the_order(void **state)
{
	struct flux_sets s;
	(void)state;
	static const uint32_t in[] = {0xffffffffu, 0, 0x80000000u, 7, 7, 0x7fffffffu, 1, 0};

	flux_sets_init(&s, 0, 0, 0);
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		flux_sets_add_a(&s, in[i]);
	assert_int_equal(s.a.n, 6);
	const uint32_t *v = s.a.v;
	for (unsigned i = 1; i < s.a.n; i++)
		assert_true(v[i - 1] < v[i]);
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		assert_true(flux_sets_has_a(&s, in[i]));
	flux_sets_fini(&s);
}

static void test_flux_sets_cap_is_counted_when_hit(void **state)
{
	struct flux_sets s;
	struct flux_verdict v;
	(void)state;

	flux_sets_init(&s, 10, 2, 1);
	for (uint32_t ip = 0; ip < 10; ip++)
		assert_int_equal(flux_sets_add_a(&s, ip), 1);
	errno = 0;
	assert_int_equal(flux_sets_add_a(&s, 100), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(flux_sets_add_a(&s, 101), -1);
	/* a value already stored is still found, not counted */
	assert_int_equal(flux_sets_add_a(&s, 5), 0);
	assert_int_equal(s.a.over, 2);
	assert_true(s.a.alloc <= 10);
	assert_int_equal(flux_sets_add_asn(&s, 1), 1);
	assert_int_equal(flux_sets_add_asn(&s, 2), 1);
	assert_int_equal(flux_sets_add_asn(&s, 3), -1);
	assert_int_equal(flux_sets_add_ns(&s, "a", 1), 1);
	assert_int_equal(flux_sets_add_ns(&s, "b", 1), -1);
	flux_sets_verdict(&s, &v);
	assert_int_equal(v.n_a, 10);
	assert_int_equal(v.n_asn, 2);
	assert_int_equal(v.capped, 1);
	flux_sets_fini(&s);
	/* fini leaves an empty, reusable object */
	assert_int_equal(s.a.n, 0);
	assert_int_equal(flux_sets_add_a(&s, 1), 1);
	flux_sets_fini(&s);
}

static void test_flux_sets_caps_are_clamped(void **state)
{
	struct flux_sets s;
	(void)state;
	flux_sets_init(&s, 1000000, 0, 0);
	assert_int_equal(s.a.cap, FLUX_CAP_MAX);
	assert_int_equal(s.asn.cap, FLUX_CAP_ASN);
	assert_int_equal(s.ns.cap, FLUX_CAP_NS);
	flux_sets_fini(&s);
}

static void test_flux_sets_fluxiness(void **state)
{
	struct flux_sets s;
	(void)state;

	flux_sets_init(&s, 0, 0, 0);
	assert_true(flux_sets_fluxiness(&s) == 0.0);
	/* a stable round-robin name: 4 records, always the same */
	for (int i = 0; i < 3; i++) {
		for (uint32_t ip = 1; ip <= 4; ip++)
			flux_sets_add_a(&s, ip);
		flux_sets_answer(&s, 4);
	}
	assert_true(fabs(flux_sets_fluxiness(&s) - 1.0) < 1e-12);
	flux_sets_fini(&s);

	/* a flux name: 5 new records per answer over 4 answers -> 5/20 */
	flux_sets_init(&s, 0, 0, 0);
	for (uint32_t k = 0; k < 4; k++) {
		for (uint32_t ip = 0; ip < 5; ip++)
			flux_sets_add_a(&s, k * 5 + ip);
		flux_sets_answer(&s, 5);
	}
	assert_true(fabs(flux_sets_fluxiness(&s) - 0.25) < 1e-12);
	flux_sets_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flux_score_calibration_8_ips_8_asns_is_flux),
		cmocka_unit_test(test_flux_score_calibration_93_ips_1_asn_is_not_flux),
		cmocka_unit_test(test_flux_score_calibration_94_ips_1_asn_is_flux),
		cmocka_unit_test(test_flux_score_calibration_431_ips_107_asns),
		cmocka_unit_test(test_flux_score_ns_has_zero_weight),
		cmocka_unit_test(test_flux_score_threshold_is_strict),
		cmocka_unit_test(test_flux_score_saturates),
		cmocka_unit_test(test_flux_x100_of_rounds_a_stored_score_back),
		cmocka_unit_test(test_flux_sets_count_sets_not_lists),
		cmocka_unit_test(test_flux_sets_stay_sorted_whatever_the_order),
		cmocka_unit_test(test_flux_sets_cap_is_counted_when_hit),
		cmocka_unit_test(test_flux_sets_caps_are_clamped),
		cmocka_unit_test(test_flux_sets_fluxiness),
		cmocka_unit_test(test_flux_window_span_clamps_the_ttl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
