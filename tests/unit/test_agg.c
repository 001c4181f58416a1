/*
 * test_agg: aggregation and scoring of DNS observations: sets not lists,
 * coalesced records, the time window, RRset grouping that does not depend
 * on answer order or coalescing, the multi-pass bounded flux scan agreeing
 * with a single pass, ASNs from enrichment records, the classification
 * window (the sensor's first lookups, in any order, across stores), and the
 * parsers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "agg.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0 1700000000000000LL

static void test_agg_cli_choice_by_name(void **st)
{
	static const struct agg_choice t[] = {{"table", 7}, {"csv", 3}, {"json", 0}};
	int v = -5;
	(void)st;
	assert_int_equal(agg_cli_choice("x", "format", AGG_CHOICES(t), "csv", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(agg_cli_choice("x", "format", AGG_CHOICES(t), "json", &v), 0);
	assert_int_equal(v, 0);
	v = 9;
	assert_int_equal(agg_cli_choice("x", "format", AGG_CHOICES(t), "CSV", &v), -1);
	assert_int_equal(agg_cli_choice("x", "format", AGG_CHOICES(t), "", &v), -1);
	assert_int_equal(agg_cli_choice("x", "format", AGG_CHOICES(t), "tabl", &v), -1);
	assert_int_equal(v, 9);	/* untouched on error */
}

static void test_agg_domain_counts_sets_not_lists(void **st)
{
	static const uint8_t l1[] = {10, 0, 0, 1, 10, 0, 0, 2}, l2[] = {10, 0, 0, 2, 10, 0, 0, 3};
	struct agg_domain d;
	struct agg_filter f;
	agg_filter_init(&f);
	agg_domain_init(&d, "x.test", 6, 1);
	struct rec a = tu_dns_a("x.test", T0, l1, 2), b = tu_dns_a("x.test", T0 + 600000000, l2, 2);
	struct rec other = tu_dns_a("y.test", T0, l1, 2);
	assert_int_equal(agg_domain_add(&d, &a, &f), 0);
	assert_int_equal(agg_domain_add(&d, &b, &f), 0);
	assert_int_equal(agg_domain_add(&d, &other, &f), 0);
	agg_domain_finish(&d, NULL, NULL);
	assert_int_equal(d.v.n_a, 3);
	assert_int_equal(d.n_ips, 3);
	assert_int_equal(d.lookups, 2);
	assert_int_equal(d.ips[1].count, 2);	/* 10.0.0.2 in both */
	assert_true(d.first_us == T0 && d.last_us == T0 + 600000000);
	assert_int_equal(d.v.score_x100, 3 * 132);
	agg_domain_fini(&d);
}

static uint32_t asn_by_octet(void *ctx, uint32_t ip)
{
	return 64500 + (ip & 0xff) % 8;	/* 8 ASNs */
}

static void test_agg_domain_8_ips_8_asns_is_flux(void **st)
{
	uint8_t a[32];
	for (int i = 0; i < 8; i++)
		a[4 * i] = 10, a[4 * i + 1] = 1, a[4 * i + 2] = 2, a[4 * i + 3] = (uint8_t)i;
	struct agg_domain d;
	struct agg_filter f;
	agg_filter_init(&f);
	agg_domain_init(&d, "f.test", 6, 0);
	struct rec r = tu_dns_a("f.test", T0, a, 8);
	agg_domain_add(&d, &r, &f);
	agg_domain_finish(&d, asn_by_octet, NULL);
	assert_int_equal(d.v.n_asn, 8);
	assert_int_equal(d.v.score_x100, 15888);
	assert_true(d.v.flux);
	agg_domain_fini(&d);
}

static void test_agg_window_overlap_and_coalesced(void **st)
{
	static const uint8_t l1[] = {10, 0, 0, 1};
	struct agg_filter f;
	agg_filter_init(&f);
	f.since_us = T0 + 100;
	f.until_us = T0 + 200;
	struct rec r = tu_dns_a("x.test", T0, l1, 1);
	assert_false(agg_filter_match(&f, T0, T0));
	r.flags = REC_F_COALESCED;
	r.u.dns.ts_last_us = T0 + 150;
	r.u.dns.count = 9;
	int64_t a, b;
	uint64_t c;
	agg_dns_times(&r, &a, &b, &c);
	assert_true(a == T0 && b == T0 + 150 && c == 9);
	assert_true(agg_filter_match(&f, a, b));
	assert_false(agg_filter_match(&f, T0 + 201, T0 + 300));
	assert_true(agg_filter_match(&f, T0 + 200, T0 + 300));
}

static void test_agg_rrsets_ignore_order_and_coalescing(void **st)
{
	static const uint8_t ab[] = {10, 0, 0, 1, 10, 0, 0, 2}, ba[] = {10, 0, 0, 2, 10, 0, 0, 1};
	static const uint8_t c[] = {10, 0, 0, 3};
	struct agg_rrsets x, y;
	agg_rrsets_init(&x);
	agg_rrsets_init(&y);
	/* x: three single observations; y: the same, the first two coalesced */
	struct rec r1 = tu_dns_a("x.test", T0, ab, 2), r2 = tu_dns_a("x.test", T0 + 10, ba, 2),
		   r3 = tu_dns_a("x.test", T0 + 20, c, 1);
	for (int i = 0; i < 100; i++) {	/* enough to go through the merge on growth */
		assert_int_equal(agg_rrsets_add(&x, "s1", &r1), 0);
		assert_int_equal(agg_rrsets_add(&x, "s1", &r2), 0);
	}
	assert_int_equal(agg_rrsets_add(&x, "s1", &r3), 0);
	struct rec m = r2;
	m.ts_us = T0;
	m.flags = REC_F_COALESCED;
	m.u.dns.ts_last_us = T0 + 10;
	m.u.dns.count = 200;
	agg_rrsets_add(&y, "s1", &r3);
	agg_rrsets_add(&y, "s1", &m);
	agg_rrsets_finish(&x);
	agg_rrsets_finish(&y);
	assert_int_equal(x.n, 2);
	assert_int_equal(y.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(x.v[i].klen, y.v[i].klen);
		assert_memory_equal(x.v[i].key, y.v[i].key, x.v[i].klen);
		assert_true(x.v[i].first_us == y.v[i].first_us && x.v[i].last_us == y.v[i].last_us);
		assert_int_equal(x.v[i].count, y.v[i].count);
	}
	struct agg_rrset_view v;	/* keys sort by answer count first */
	agg_rrset_view(&x.v[1], &v);
	assert_int_equal(v.n_a4, 2);
	assert_memory_equal(v.a4, ab, 8);
	assert_int_equal(v.sensor_len, 2);
	agg_rrsets_fini(&x);
	agg_rrsets_fini(&y);
}

/* A store with 50 names; name k resolves to k+1 addresses in (k % 5)+1 ASNs by enrichment. */
static char *make_store(void)
{
	char *dir = tu_tmpdir();
	char err[256];
	struct seg_policy pol = {.no_fsync = 1};
	struct seg_writer *w = seg_writer_new(dir, "unit", &pol, err, sizeof err);
	assert_non_null(w);
	for (int k = 0; k < 50; k++) {
		char name[32];
		uint8_t a[4 * 200];
		snprintf(name, sizeof name, "n%02d.test", k);
		int n = k * 3 + 1;
		for (int i = 0; i < n; i++)
			a[4 * i] = 10, a[4 * i + 1] = (uint8_t)k, a[4 * i + 2] = 0, a[4 * i + 3] = (uint8_t)i;
		/* two lookups, overlapping halves: sets must not double count */
		struct rec r1 = tu_dns_a(name, T0 + k, a, (uint32_t)n), r2 = tu_dns_a(name, T0 + 1000 + k, a + 4 * (n / 2), (uint32_t)(n - n / 2));
		assert_int_equal(seg_writer_append(w, &r1), 0);
		assert_int_equal(seg_writer_append(w, &r2), 0);
		for (int i = 0; i < n; i++) {
			struct rec e;
			memset(&e, 0, sizeof e);
			e.type = REC_ENRICH;
			e.ts_us = T0 + 2000;
			e.u.enrich.ip.family = 4;
			memcpy(e.u.enrich.ip.addr, a + 4 * i, 4);
			e.u.enrich.asn = 64500 + (uint32_t)(i % (k % 5 + 1));
			e.u.enrich.as_name = "AS-TEST";
			e.u.enrich.as_name_len = 7;
			assert_int_equal(seg_writer_append(w, &e), 0);
		}
		if (k == 25)
			assert_int_equal(seg_writer_seal(w), 0);
	}
	assert_int_equal(seg_writer_close(w), 0);
	return dir;
}

static void test_agg_flux_scan_multipass_equals_single_pass(void **st)
{
	char *dir = make_store();
	struct store_set set = {0};
	char err[256];
	assert_int_equal(store_set_add(&set, dir, err, sizeof err), 0);
	struct agg_flux_opts o = {.use_min = 1, .min_x100 = 0};
	agg_filter_init(&o.filter);
	struct agg_flux one, many;
	assert_int_equal(agg_flux_scan(&set, &o, &one, NULL), 0);
	o.max_domains = 4;
	assert_int_equal(agg_flux_scan(&set, &o, &many, NULL), 0);
	assert_int_equal(one.passes, 1);
	assert_true(many.passes > 8);
	assert_int_equal(one.n, 50);
	assert_int_equal(many.n, 50);
	for (size_t i = 0; i < 50; i++) {
		assert_string_equal(one.rows[i].name, many.rows[i].name);
		assert_int_equal(one.rows[i].v.score_x100, many.rows[i].v.score_x100);
	}
	/* the top name: n49, 148 addresses in 5 ASNs */
	assert_string_equal(one.rows[0].name, "n49.test");
	assert_int_equal(one.rows[0].v.n_a, 148);
	assert_int_equal(one.rows[0].v.n_asn, 5);
	assert_int_equal(one.rows[0].lookups, 2);
	/* the same by the index */
	struct agg_domain d;
	struct agg_filter f;
	agg_filter_init(&f);
	assert_int_equal(agg_domain_lookup(&set, NULL, "N49.test.", &f, &d, NULL, NULL), 0);
	assert_int_equal(d.v.score_x100, one.rows[0].v.score_x100);
	agg_domain_fini(&d);
	/* flux only: 1.32*nA + 18.54*nASN > 142.38 */
	o.use_min = 0;
	struct agg_flux fl;
	assert_int_equal(agg_flux_scan(&set, &o, &fl, NULL), 0);
	for (size_t i = 0; i < fl.n; i++)
		assert_true(fl.rows[i].v.flux);
	assert_true(fl.n > 0 && fl.n < 50);
	agg_flux_fini(&fl);
	agg_flux_fini(&one);
	agg_flux_fini(&many);
	store_set_free(&set);
	tu_rmrf(dir);
	free(dir);
}

/* Record k of a name: 4 addresses of its own, 10.9.k.0-3, first seen at t with this TTL. */
static struct rec win_rec(const char *name, int64_t t, uint32_t ttl, int k, uint8_t *buf)
{
	for (int i = 0; i < 4; i++)
		buf[4 * i] = 10, buf[4 * i + 1] = 9, buf[4 * i + 2] = (uint8_t)k,
		buf[4 * i + 3] = (uint8_t)i;
	struct rec r = tu_dns_a(name, t, buf, 4);
	r.u.dns.ttl = ttl;
	return r;
}

/*
 * tipd looks a name up again when the clamped TTL has passed, plus the time
 * the answer took: lookups at 0, 30.001, 60.002, 90.003 s with TTL 30.  Its
 * window (3 lookups, TTL clamped to [30 s, 3600 s]) is the first three, the
 * span 2.5 TTLs;
 * the running totals are all five.  Read in any order, the same.
 */
static void test_agg_window_is_the_sensors_first_lookups(void **st)
{
	static const int orders[3][5] = {{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {3, 0, 4, 2, 1}};
	uint8_t buf[5][16];
	struct rec r[5];
	for (int k = 0; k < 5; k++)
		r[k] = win_rec("s.test", T0 + k * 30001000LL, 30, k, buf[k]);
	for (int o = 0; o < 3; o++) {
		struct agg_domain d;
		struct agg_filter f;
		agg_filter_init(&f);
		agg_domain_init(&d, "s.test", 6, 1);
		for (int k = 0; k < 5; k++)
			assert_int_equal(agg_domain_add(&d, &r[orders[o][k]], &f), 0);
		agg_domain_finish(&d, NULL, NULL);
		assert_int_equal(d.v.n_a, 12);
		assert_int_equal(d.run.n_a, 20);
		assert_true(d.win.t0 == T0 && d.win.end == T0 + 75000000LL);
		assert_int_equal(d.asn_unknown, 12);
		assert_int_equal(d.run_asn_unknown, 20);
		agg_domain_fini(&d);
	}
	/* a sensor configured with window 4: the fourth lookup too */
	struct agg_domain d;
	struct agg_filter f;
	agg_filter_init(&f);
	f.window = 4;
	agg_domain_init(&d, "s.test", 6, 0);
	for (int k = 4; k >= 0; k--)
		assert_int_equal(agg_domain_add(&d, &r[k], &f), 0);
	agg_domain_finish(&d, NULL, NULL);
	assert_int_equal(d.v.n_a, 16);
	agg_domain_fini(&d);
	/* no TTL (COF): the longest the sensor waits, 2.5 x 3600 s, so all five */
	for (int k = 0; k < 5; k++)
		r[k].u.dns.ttl = 0;
	agg_domain_init(&d, "s.test", 6, 0);
	agg_filter_init(&f);
	for (int k = 0; k < 5; k++)
		assert_int_equal(agg_domain_add(&d, &r[k], &f), 0);
	agg_domain_finish(&d, NULL, NULL);
	assert_int_equal(d.v.n_a, 20);
	agg_domain_fini(&d);
}

/*
 * The scan keeps only the current window; a record read later that moves
 * the anchor earlier with a longer TTL makes the name dirty, and counting
 * again with the anchor fixed gives what reading in time order gives.
 */
static void test_agg_win_out_of_order_is_refixed(void **st)
{
	uint8_t buf[5][16];
	struct rec r[5];
	r[0] = win_rec("o.test", T0, 300, 0, buf[0]);	/* window T0 .. T0+750 s */
	for (int k = 1; k < 5; k++)
		r[k] = win_rec("o.test", T0 + k * 100000000LL, 30, k, buf[k]);
	struct agg_filter f;
	agg_filter_init(&f);
	struct agg_win w;
	agg_win_init(&w, 0);
	for (int k = 1; k < 5; k++)	/* the later store first */
		assert_int_equal(agg_win_add(&w, &f, r[k].ts_us, 30, r[k].u.dns.a4, 4), 0);
	assert_int_equal(w.n, 1);	/* only T0+100 s .. T0+175 s */
	assert_false(w.dirty);
	assert_int_equal(agg_win_add(&w, &f, T0, 300, r[0].u.dns.a4, 4), 0);
	assert_true(w.dirty);
	assert_true(w.t0 == T0 && w.end == T0 + 750000000LL);
	agg_win_refix(&w);
	for (int k = 4; k >= 0; k--)
		assert_int_equal(agg_win_add(&w, &f, r[k].ts_us, r[k].u.dns.ttl, r[k].u.dns.a4, 4), 0);
	struct flux_sets s;
	flux_sets_init(&s, 0, 0, 0);
	assert_int_equal(agg_win_sets(&w, &s), 0);
	assert_int_equal(s.a.n, 20);
	flux_sets_fini(&s);
	agg_win_fini(&w);
	/* a shorter TTL at the same first sighting shortens the window: no dirt */
	agg_win_init(&w, 0);
	assert_int_equal(agg_win_add(&w, &f, T0, 300, r[0].u.dns.a4, 4), 0);
	assert_int_equal(agg_win_add(&w, &f, T0 + 100000000LL, 30, r[1].u.dns.a4, 4), 0);
	assert_int_equal(agg_win_add(&w, &f, T0, 30, r[2].u.dns.a4, 4), 0);
	assert_false(w.dirty);
	assert_int_equal(w.n, 2);
	assert_true(w.end == T0 + 75000000LL);
	agg_win_fini(&w);
}

/* Two stores read one after the other: the later one holds the earlier sighting. */
static void test_agg_flux_scan_window_across_stores(void **st)
{
	char *dir[2];
	char err[256];
	struct store_set set = {0};
	uint8_t buf[5][16];
	struct rec r[5];
	r[0] = win_rec("o.test", T0, 300, 0, buf[0]);
	for (int k = 1; k < 5; k++)
		r[k] = win_rec("o.test", T0 + k * 100000000LL, 30, k, buf[k]);
	for (int i = 0; i < 2; i++) {
		dir[i] = tu_tmpdir();
		struct seg_policy pol = {.no_fsync = 1};
		struct seg_writer *w = seg_writer_new(dir[i], i ? "b" : "a", &pol, err, sizeof err);
		assert_non_null(w);
		for (int k = i ? 0 : 1; k < (i ? 1 : 5); k++)
			assert_int_equal(seg_writer_append(w, &r[k]), 0);
		assert_int_equal(seg_writer_close(w), 0);
		assert_int_equal(store_set_add(&set, dir[i], err, sizeof err), 0);
	}
	struct agg_flux_opts o = {.use_min = 1, .min_x100 = 0};
	agg_filter_init(&o.filter);
	struct agg_flux fl;
	assert_int_equal(agg_flux_scan(&set, &o, &fl, NULL), 0);
	assert_int_equal(fl.n, 1);
	assert_int_equal(fl.rescans, 1);
	assert_int_equal(fl.rows[0].v.n_a, 20);
	assert_int_equal(fl.rows[0].run.n_a, 20);
	assert_true(fl.rows[0].win_t0 == T0 && fl.rows[0].win_end == T0 + 750000000LL);
	struct agg_domain d;
	assert_int_equal(agg_domain_lookup(&set, NULL, "o.test", &o.filter, &d, NULL, NULL), 0);
	assert_int_equal(d.v.score_x100, fl.rows[0].v.score_x100);
	agg_domain_fini(&d);
	agg_flux_fini(&fl);
	/* a sensor with ttl-max 60 s: the first record's window is 150 s */
	o.filter.ttl_max_us = 60000000LL;
	assert_int_equal(agg_flux_scan(&set, &o, &fl, NULL), 0);
	assert_int_equal(fl.rows[0].v.n_a, 8);
	assert_int_equal(fl.rows[0].run.n_a, 20);
	agg_flux_fini(&fl);
	store_set_free(&set);
	for (int i = 0; i < 2; i++) {
		tu_rmrf(dir[i]);
		free(dir[i]);
	}
}

static void test_agg_parse_time(void **st)
{
	int64_t us;
	assert_int_equal(agg_parse_time("1700000000", &us), 0);
	assert_true(us == T0);
	assert_int_equal(agg_parse_time("2023-11-14T22:13:20Z", &us), 0);
	assert_true(us == T0);
	assert_int_equal(agg_parse_time("2023-11-14 22:13:20", &us), 0);
	assert_int_equal(agg_parse_time("2023-11-14", &us), 0);
	assert_int_equal(agg_parse_time("2023-02-31", &us), -1);
	assert_int_equal(agg_parse_time("yesterday", &us), -1);
	assert_int_equal(agg_parse_time("", &us), -1);
	assert_int_equal(agg_parse_time("2023-11-14T22", &us), -1);
}

static void test_agg_parse_and_format_score(void **st)
{
	int32_t x;
	char b[32];
	assert_int_equal(agg_parse_score("142.38", &x), 0);
	assert_int_equal(x, 14238);
	assert_int_equal(agg_parse_score("-1", &x), 0);
	assert_int_equal(x, -100);
	assert_int_equal(agg_parse_score("abc", &x), -1);
	assert_int_equal(agg_parse_score("", &x), -1);
	assert_int_equal(agg_parse_score("nan", &x), -1);
	agg_fmt_score(b, sizeof b, 255270);
	assert_string_equal(b, "2552.70");
	agg_fmt_score(b, sizeof b, -14106);
	assert_string_equal(b, "-141.06");
}

static void test_agg_hostname_ok_refuses_injection(void **st)
{
	assert_true(agg_hostname_ok("www.example.com", 15));
	assert_true(agg_hostname_ok("_dmarc.ex-ample.com", 19));
	assert_false(agg_hostname_ok("localhost", 9));
	assert_false(agg_hostname_ok("a.b\nserver=1.2.3.4", 18));
	assert_false(agg_hostname_ok("a/b.com", 7));
	assert_false(agg_hostname_ok("-a.com", 6));
	assert_false(agg_hostname_ok("a-.com", 6));
	assert_false(agg_hostname_ok("a..com", 6));
	assert_false(agg_hostname_ok("a.com\"; drop", 12));
	assert_false(agg_hostname_ok("", 0));
	assert_false(agg_hostname_ok("a b.com", 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agg_cli_choice_by_name),
		cmocka_unit_test(test_agg_domain_counts_sets_not_lists),
		cmocka_unit_test(test_agg_domain_8_ips_8_asns_is_flux),
		cmocka_unit_test(test_agg_window_overlap_and_coalesced),
		cmocka_unit_test(test_agg_rrsets_ignore_order_and_coalescing),
		cmocka_unit_test(test_agg_flux_scan_multipass_equals_single_pass),
		cmocka_unit_test(test_agg_window_is_the_sensors_first_lookups),
		cmocka_unit_test(test_agg_win_out_of_order_is_refixed),
		cmocka_unit_test(test_agg_flux_scan_window_across_stores),
		cmocka_unit_test(test_agg_parse_time),
		cmocka_unit_test(test_agg_parse_and_format_score),
		cmocka_unit_test(test_agg_hostname_ok_refuses_injection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
