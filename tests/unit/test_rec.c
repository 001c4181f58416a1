/* Unit tests for store/rec.c: the record codec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <cmocka.h>

#include "buf.h"
#include "crc32c.h"
#include "rec.h"
#include "testutil.h"

#define BASE 1764000000000000LL

static const uint8_t a4[5][4] = {{192, 0, 2, 1}, {198, 51, 100, 7}, {203, 0, 113, 9}, {8, 8, 8, 8},
				 {1, 2, 3, 4}};
static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static struct rec dns_rec(uint8_t *names, size_t *nlen)
{
	struct rec r = tu_dns_a("flux.example.com", BASE + 1234567, &a4[0][0], 5);
	*nlen = 0;
	assert_int_equal(rec_names_add(names, 256, nlen, "ns1.example.net", 15), 0);
	assert_int_equal(rec_names_add(names, 256, nlen, "ns2.example.net", 15), 0);
	r.u.dns.ttl = 300;
	r.u.dns.server.family = 4;
	memcpy(r.u.dns.server.addr, a4[3], 4);
	r.u.dns.n_a6 = 1;
	r.u.dns.a6 = a6;
	r.u.dns.n_names = 2;
	r.u.dns.names = names;
	r.u.dns.names_len = *nlen;
	return r;
}

static void test_rec_dns_round_trip(void **state)
{
	uint8_t names[256], f[512];
	size_t nlen, flen;
	const char *why = NULL;
	struct rec r = dns_rec(names, &nlen), d;
	long n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(flen, (size_t)n);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.type, REC_DNS);
	assert_true(d.ts_us == r.ts_us);
	assert_int_equal(d.u.dns.name_len, 16);
	assert_memory_equal(d.u.dns.name, "flux.example.com", 16);
	assert_int_equal(d.u.dns.qtype, 1);
	assert_int_equal(d.u.dns.ttl, 300);
	assert_int_equal(d.u.dns.server.family, 4);
	assert_memory_equal(d.u.dns.server.addr, a4[3], 4);
	assert_int_equal(d.u.dns.n_a4, 5);
	assert_memory_equal(d.u.dns.a4, a4, 20);
	assert_int_equal(d.u.dns.n_a6, 1);
	assert_memory_equal(d.u.dns.a6, a6, 16);
	assert_int_equal(d.u.dns.n_names, 2);
	assert_int_equal(d.u.dns.count, 1);
	size_t off = 0, len;
	const char *nm;
	assert_int_equal(rec_dns_name_next(&d.u.dns, &off, &nm, &len), 1);
	assert_memory_equal(nm, "ns1.example.net", len);
	assert_int_equal(rec_dns_name_next(&d.u.dns, &off, &nm, &len), 1);
	assert_memory_equal(nm, "ns2.example.net", len);
	assert_int_equal(rec_dns_name_next(&d.u.dns, &off, &nm, &len), 0);
}

static void test_rec_dns_five_a_is_small(void **state)
{
	/* the store's size budget rests on this: ~60 bytes for 5 A records */
	uint8_t f[256];
	struct rec r = tu_dns_a("abcdefghij.example.com", BASE + 3600000000LL, &a4[0][0], 5);
	r.u.dns.ttl = 300;
	long n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	printf("dns 5 A frame: %ld bytes\n", n);
	assert_true(n <= 64);
}

static void test_rec_coalesced_and_negative_delta(void **state)
{
	uint8_t f[256];
	size_t flen;
	const char *why;
	struct rec r = {.type = REC_DNS, .flags = REC_F_COALESCED | REC_F_CLOCK_UNSET}, d;
	r.ts_us = BASE - 86400000000LL;	/* before the segment's base */
	r.u.dns.name = "x.test";
	r.u.dns.name_len = 6;
	r.u.dns.qtype = 28;
	r.u.dns.ts_last_us = BASE + 5;
	r.u.dns.count = 123456789012ull;
	long n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_true(d.ts_us == r.ts_us);
	assert_true(d.u.dns.ts_last_us == BASE + 5);
	assert_true(d.u.dns.count == 123456789012ull);
	assert_int_equal(d.flags, REC_F_COALESCED | REC_F_CLOCK_UNSET);
	assert_int_equal(d.u.dns.qtype, 28);
}

static void test_rec_other_types_round_trip(void **state)
{
	uint8_t f[2048];
	size_t flen;
	const char *why;
	struct rec e = {.type = REC_ENRICH, .ts_us = BASE}, s = {.type = REC_SCORE, .ts_us = BASE + 1},
		   v = {.type = REC_EVENT, .ts_us = BASE + 2}, d;
	e.u.enrich.ip.family = 6;
	memcpy(e.u.enrich.ip.addr, a6, 16);
	e.u.enrich.asn = 4200000000u;
	e.u.enrich.as_name = "EXAMPLE-AS, \"quoted\" <b>";
	e.u.enrich.as_name_len = strlen(e.u.enrich.as_name);
	memcpy(e.u.enrich.country, "DE", 2);
	e.u.enrich.ptr = "dyn-1-2-3-4.pool.example";
	e.u.enrich.ptr_len = strlen(e.u.enrich.ptr);
	long n = rec_encode(f, sizeof f, &e, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.u.enrich.asn, 4200000000u);
	assert_memory_equal(d.u.enrich.country, "DE", 2);
	assert_int_equal(d.u.enrich.as_name_len, e.u.enrich.as_name_len);
	assert_memory_equal(d.u.enrich.as_name, e.u.enrich.as_name, e.u.enrich.as_name_len);
	assert_memory_equal(d.u.enrich.ptr, e.u.enrich.ptr, e.u.enrich.ptr_len);
	assert_memory_equal(d.u.enrich.ip.addr, a6, 16);

	s.u.score.name = "flux.example.com";
	s.u.score.name_len = 16;
	s.u.score.n_a = 431;
	s.u.score.n_asn = 107;
	s.u.score.n_ns = 3;
	s.u.score.lookups = 9;
	s.u.score.score = 2552.7;
	s.u.score.margin = 2552.7 - 142.38;
	s.u.score.window = 1;
	n = rec_encode(f, sizeof f, &s, BASE);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.u.score.n_a, 431);
	assert_int_equal(d.u.score.n_asn, 107);
	assert_true(d.u.score.score == 2552.7);	/* exact: the bits are stored */
	assert_true(d.u.score.margin == 2552.7 - 142.38);
	assert_int_equal(d.u.score.window, 1);

	v.u.event.kind = REC_EV_CONFIG;
	v.u.event.text = "reload";
	v.u.event.text_len = 6;
	n = rec_encode(f, sizeof f, &v, BASE);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.u.event.kind, REC_EV_CONFIG);
	assert_memory_equal(d.u.event.text, "reload", 6);
}

static void test_rec_feed_records_round_trip(void **state)
{
	uint8_t f[256];
	size_t flen;
	const char *why;
	struct rec r = {.type = REC_FEED, .ts_us = BASE + 5}, d;
	r.u.feed = (struct rec_feed){.op = REC_FEED_LISTED, .source = "openphish", .source_len = 9,
				     .kind = REC_IND_URL, .value = "http://a.example/x",
				     .value_len = 18, .host = "a.example", .host_len = 9};
	long n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.type, REC_FEED);
	assert_int_equal(d.ts_us, BASE + 5);
	assert_int_equal(d.u.feed.op, REC_FEED_LISTED);
	assert_int_equal(d.u.feed.kind, REC_IND_URL);
	assert_memory_equal(d.u.feed.source, "openphish", 9);
	assert_int_equal(d.u.feed.value_len, 18);
	assert_memory_equal(d.u.feed.value, "http://a.example/x", 18);
	assert_memory_equal(d.u.feed.host, "a.example", 9);

	r.u.feed = (struct rec_feed){.op = REC_FEED_FETCH, .source = "drop", .source_len = 4,
				     .status = 200, .outcome = REC_FETCH_OK, .bytes = 38508,
				     .entries = 1385, .added = 7, .removed = 3, .bad = 2,
				     .duration_us = 123456, .etag = "\"abc\"", .etag_len = 5,
				     .last_modified = "Tue, 01 Dec 2026 00:00:00 GMT",
				     .last_modified_len = 29, .error = "", .error_len = 0};
	n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.u.feed.op, REC_FEED_FETCH);
	assert_int_equal(d.u.feed.status, 200);
	assert_int_equal(d.u.feed.bytes, 38508);
	assert_int_equal(d.u.feed.entries, 1385);
	assert_int_equal(d.u.feed.added, 7);
	assert_int_equal(d.u.feed.removed, 3);
	assert_int_equal(d.u.feed.bad, 2);
	assert_int_equal(d.u.feed.duration_us, 123456);
	assert_memory_equal(d.u.feed.etag, "\"abc\"", 5);
	assert_int_equal(d.u.feed.last_modified_len, 29);
	assert_int_equal(d.u.feed.error_len, 0);

	/* invalid: no op, an unknown kind, a source name too long */
	r.u.feed.op = 0;
	assert_int_equal(rec_encode(f, sizeof f, &r, BASE), -1);
	r.u.feed = (struct rec_feed){.op = REC_FEED_DELISTED, .source = "x", .source_len = 1,
				     .kind = 9, .value = "a.b", .value_len = 3};
	assert_int_equal(rec_encode(f, sizeof f, &r, BASE), -1);
	r.u.feed.kind = REC_IND_DOMAIN;
	r.u.feed.source_len = REC_SOURCE_MAX + 1;
	assert_int_equal(rec_encode(f, sizeof f, &r, BASE), -1);
	/* a payload cut short does not decode (CRC recomputed so only the codec judges) */
	r.u.feed.source_len = 1;
	n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	uint32_t lt = buf_le32(f + 4);
	buf_set_le32(f + 4, (lt & 0xff000000u) | ((lt & 0xffffffu) - 2));
	buf_set_le32(f, crc32c(0, f + 4, 4 + (lt & 0xffffffu) - 2));
	assert_int_equal(rec_frame_check(f, (size_t)n - 2, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), -1);
}

static void test_rec_unknown_type_is_carried(void **state)
{
	uint8_t f[64];
	size_t flen;
	const char *why;
	struct rec r = {.type = 99, .ts_us = BASE}, d;
	r.u.raw.p = (const uint8_t *)"future";
	r.u.raw.len = 6;
	long n = rec_encode(f, sizeof f, &r, BASE);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &why), 1);
	assert_int_equal(rec_decode(f, flen, BASE, &d, &why), 1);
	assert_int_equal(d.type, 99);
	assert_int_equal(d.u.raw.len, 6);
	assert_memory_equal(d.u.raw.p, "future", 6);
	assert_string_equal(rec_type_name(99), "unknown");
}

static void test_rec_encode_rejects_bad_input(void **state)
{
	uint8_t f[64];
	char longname[300];
	memset(longname, 'a', sizeof longname);
	struct rec r = {.type = REC_DNS};
	r.u.dns.name = longname;
	r.u.dns.name_len = 256;
	errno = 0;
	assert_int_equal(rec_encode(f, sizeof f, &r, 0), -1);
	assert_int_equal(errno, EINVAL);
	r.u.dns.name_len = 40;
	errno = 0;
	assert_int_equal(rec_encode(f, 20, &r, 0), -1);	/* does not fit */
	assert_int_equal(errno, ENOBUFS);
	/* names buffer that lies about its count */
	uint8_t names[4] = {10, 'a', 'b', 'c'};
	r.u.dns.name_len = 3;
	r.u.dns.names = names;
	r.u.dns.names_len = 4;
	r.u.dns.n_names = 1;
	assert_int_equal(rec_encode(f, sizeof f, &r, 0), -1);
	struct rec t = {.type = 0};
	assert_int_equal(rec_encode(f, sizeof f, &t, 0), -1);
}

static void test_rec_frame_check_finds_every_flip(void **state)
{
	uint8_t names[256], f[512], g[512];
	size_t nlen, flen;
	const char *why;
	struct rec r = dns_rec(names, &nlen);
	long n = rec_encode(f, sizeof f, &r, BASE);
	for (long i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(g, f, (size_t)n);
			g[i] ^= (uint8_t)(1 << bit);
			int c = rec_frame_check(g, (size_t)n, &flen, &why);
			/* a flip in the length may make the frame look longer (0: torn) */
			assert_true(c <= 0);
		}
	/* every truncation is "need more", never a record */
	for (long cut = 0; cut < n; cut++)
		assert_int_equal(rec_frame_check(f, (size_t)cut, &flen, &why), 0);
	/* zeros, as a crash may leave */
	memset(g, 0, sizeof g);
	assert_int_equal(rec_frame_check(g, sizeof g, &flen, &why), -1);
}

static void test_rec_decode_survives_garbage_with_valid_crc(void **state)
{
	/* a hostile writer can make any payload checksum: decode must hold */
	uint8_t f[300];
	size_t flen;
	const char *why;
	struct rec d;
	srand(7);
	for (int iter = 0; iter < 20000; iter++) {
		size_t plen = 2 + (size_t)rand() % 200;
		uint8_t type = (uint8_t)(1 + rand() % 6);
		for (size_t i = 0; i < plen; i++)
			f[8 + i] = (uint8_t)(rand() & (iter & 1 ? 0xff : 0x07));
		buf_set_le32(f + 4, (uint32_t)plen | (uint32_t)type << 24);
		buf_set_le32(f, crc32c(0, f + 4, 4 + plen));
		assert_int_equal(rec_frame_check(f, 8 + plen, &flen, &why), 1);
		int c = rec_decode(f, flen, BASE, &d, &why);
		assert_true(c == 1 || c == -1);
		if (c == 1 && d.type == REC_DNS) {
			/* what decoded lies inside the frame */
			assert_true(d.u.dns.name + d.u.dns.name_len <= (const char *)f + flen);
			assert_true(d.u.dns.a4 + 4 * d.u.dns.n_a4 <= f + flen);
			assert_true(d.u.dns.names + d.u.dns.names_len <= f + flen);
		}
	}
}

static void test_rec_fast_and_checked_paths_agree(void **state)
{
	/* a large buffer takes the unchecked DNS path, an exact one the
	 * checked path: both must write the same bytes */
	uint8_t big[4096], exact[4096], names[600], a4s[400], a6s[320];
	char name[256];
	srand(11);
	for (int iter = 0; iter < 2000; iter++) {
		struct rec r = {.type = REC_DNS};
		size_t nl = (size_t)rand() % 200, nlen = 0;
		for (size_t i = 0; i < nl; i++)
			name[i] = (char)('a' + rand() % 26);
		r.ts_us = BASE + (int64_t)(rand() % 2000000000) * (rand() % 2 ? 1 : -1) * 1000;
		r.flags = (uint8_t)(rand() % 4);
		r.u.dns.name = name;
		r.u.dns.name_len = nl;
		r.u.dns.qtype = (uint16_t)rand();
		r.u.dns.rcode = (uint8_t)(rand() % 20);
		r.u.dns.ttl = (uint32_t)rand() * (uint32_t)rand();
		if (rand() % 2) {
			r.u.dns.server.family = rand() % 2 ? 4 : 6;
			memset(r.u.dns.server.addr, rand(), 16);
		}
		r.u.dns.n_a4 = (uint32_t)(rand() % 100);
		for (int i = 0; i < 400; i++)
			a4s[i] = (uint8_t)rand();
		r.u.dns.a4 = a4s;
		r.u.dns.n_a6 = (uint32_t)(rand() % 3 ? 0 : rand() % 20);
		memset(a6s, rand(), sizeof a6s);
		r.u.dns.a6 = a6s;
		for (int k = rand() % 4; k > 0; k--)
			rec_names_add(names, sizeof names, &nlen, name, nl % 100);
		r.u.dns.names = names;
		r.u.dns.names_len = nlen;
		for (size_t off = 0; off < nlen; off += 1 + names[off])
			r.u.dns.n_names++;
		r.u.dns.ts_last_us = r.ts_us + rand();
		r.u.dns.count = (uint64_t)rand() * (uint64_t)rand();
		long n = rec_encode(big, sizeof big, &r, BASE);
		assert_true(n > 0);
		long m = rec_encode(exact, (size_t)n, &r, BASE);
		assert_int_equal(m, n);
		assert_memory_equal(big, exact, (size_t)n);
		assert_int_equal(rec_encode(exact, (size_t)n - 1, &r, BASE), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_dns_round_trip),
		cmocka_unit_test(test_rec_dns_five_a_is_small),
		cmocka_unit_test(test_rec_coalesced_and_negative_delta),
		cmocka_unit_test(test_rec_other_types_round_trip),
		cmocka_unit_test(test_rec_feed_records_round_trip),
		cmocka_unit_test(test_rec_unknown_type_is_carried),
		cmocka_unit_test(test_rec_encode_rejects_bad_input),
		cmocka_unit_test(test_rec_frame_check_finds_every_flip),
		cmocka_unit_test(test_rec_decode_survives_garbage_with_valid_crc),
		cmocka_unit_test(test_rec_fast_and_checked_paths_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
