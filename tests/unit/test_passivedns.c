/*
 * test_passivedns: gamelinux/passivedns lines into observations: the
 * fields, the grouping of consecutive lines of one response (and only
 * those), counts into coalesced records, NXDOMAIN, the eight-field form,
 * malformed lines rejected with a reason and a column without disturbing
 * the pending observation, and groups larger than the limits split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passivedns.h"
#include "rec.h"

static struct pdns *p;
static const char *why;
static size_t col;
static const struct rec *out;

static int setup(void **state)
{
	(void)state;
	p = pdns_new();
	return p ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pdns_free(p);
	return 0;
}

static int feed(const char *l)
{
	out = NULL;
	return pdns_feed(p, l, strlen(l), &out, &why, &col);
}

static void drain(void)
{
	const struct rec *r;
	while (pdns_flush(p, &r) == 1)
		;
}

static void test_pdns_groups_one_response(void **st)
{
	drain();
	assert_int_equal(feed("1322849924.408856||10.1.1.1||8.8.8.8||IN||Upload.YouTube.com.||A||74.125.43.117||46587||5"), 0);
	assert_int_equal(feed("1322849924.9||10.1.1.1||8.8.8.8||IN||upload.youtube.com.||A||74.125.43.118||300||2"), 0);
	/* another type: the A group is complete */
	assert_int_equal(feed("1322849924.9||10.1.1.1||8.8.8.8||IN||upload.youtube.com.||CNAME||YT.l.Google.com.||60||1"), 1);
	const struct rec *r = out;
	assert_int_equal(r->type, REC_DNS);
	assert_int_equal(r->ts_us, 1322849924408856LL);
	assert_int_equal(r->flags, REC_F_COALESCED);	/* count 5 */
	const struct rec_dns *d = &r->u.dns;
	assert_int_equal(d->name_len, 18);
	assert_memory_equal(d->name, "upload.youtube.com", 18);
	assert_int_equal(d->qtype, 1);
	assert_int_equal(d->rcode, 0);
	assert_int_equal(d->ttl, 300);		/* the smallest */
	assert_int_equal(d->count, 5);		/* the largest */
	assert_int_equal(d->ts_last_us, r->ts_us);
	assert_int_equal(d->server.family, 4);
	assert_memory_equal(d->server.addr, ((uint8_t[]){8, 8, 8, 8}), 4);
	assert_int_equal(d->n_a4, 2);
	assert_memory_equal(d->a4, ((uint8_t[]){74, 125, 43, 117, 74, 125, 43, 118}), 8);
	/* the record encodes */
	uint8_t buf[512];
	assert_true(rec_encode(buf, sizeof buf, r, 0) > 0);
	assert_int_equal(pdns_flush(p, &r), 1);
	d = &r->u.dns;
	assert_int_equal(d->qtype, 5);
	assert_int_equal(r->flags, 0);
	assert_int_equal(d->n_names, 1);
	assert_int_equal(d->names[0], 15);
	assert_memory_equal(d->names + 1, "yt.l.google.com", 15);
	assert_int_equal(pdns_flush(p, &r), 0);
}

static void test_pdns_splits_on_second_server_and_outcome(void **st)
{
	drain();
	assert_int_equal(feed("100.1||10.0.0.1||192.0.2.53||IN||x.test.||A||10.0.0.1||60||1"), 0);
	assert_int_equal(feed("101.0||10.0.0.1||192.0.2.53||IN||x.test.||A||10.0.0.2||60||1"), 1);
	assert_int_equal(out->u.dns.n_a4, 1);
	assert_int_equal(feed("101.5||10.0.0.1||192.0.2.54||IN||x.test.||A||10.0.0.3||60||1"), 1);
	assert_int_equal(out->u.dns.n_a4, 1);
	assert_int_equal(feed("101.5||10.0.0.1||192.0.2.54||IN||x.test.||A||NXDOMAIN||0||1"), 1);
	assert_int_equal(out->u.dns.a4[3], 3);
	const struct rec *r;
	assert_int_equal(pdns_flush(p, &r), 1);
	assert_int_equal(r->u.dns.rcode, 3);
	assert_int_equal(r->u.dns.n_a4, 0);
}

static void test_pdns_eight_fields_ipv6_and_text(void **st)
{
	drain();
	assert_int_equal(feed("200||10.0.0.1||2001:db8::53||IN||v6.test||AAAA||2001:db8::1||60"), 0);
	assert_int_equal(feed("200||10.0.0.1||2001:db8::53||IN||v6.test||AAAA||2001:db8::2||60\r"), 0);
	assert_int_equal(feed("201||10.0.0.1||2001:db8::53||IN||m.test.||MX||10 Mail.Test.||300||1"), 1);
	const struct rec_dns *d = &out->u.dns;
	assert_int_equal(d->server.family, 6);
	assert_int_equal(d->n_a6, 2);
	assert_int_equal(d->a6[15], 1);
	assert_int_equal(d->a6[31], 2);
	assert_int_equal(d->count, 1);
	const struct rec *r;
	assert_int_equal(pdns_flush(p, &r), 1);
	/* text answers are kept as they are */
	assert_int_equal(r->u.dns.names[0], 13);
	assert_memory_equal(r->u.dns.names + 1, "10 Mail.Test.", 13);
	/* the root and blank lines */
	assert_int_equal(feed(""), 0);
	assert_int_equal(feed("  \r"), 0);
	assert_int_equal(feed("300||10.0.0.1||192.0.2.53||IN||.||NS||A.Root-Servers.Net.||518400||1"), 0);
	assert_int_equal(pdns_flush(p, &r), 1);
	assert_int_equal(r->u.dns.name_len, 0);
	assert_memory_equal(r->u.dns.names + 1, "a.root-servers.net", 18);
}

static void bad(const char *l, const char *reason, size_t want_col)
{
	if (feed(l) != -1)
		fail_msg("accepted: %s", l);
	if (!strstr(why, reason))
		fail_msg("reason '%s', wanted '%s': %s", why, reason, l);
	if (col != want_col)
		fail_msg("column %zu, wanted %zu: %s", col, want_col, l);
}

static void test_pdns_malformed_lines(void **st)
{
	drain();
	/* a pending observation that the bad lines must not disturb */
	assert_int_equal(feed("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1"), 0);
	bad("garbage", "1 field, not 9", 0);
	bad("1||2||3||4||5||6||7", "7 fields", 0);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1||extra", "more than 9", 60);
	/* with an eleventh: at the "||" after the tenth */
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1||extra||more", "more than 9", 65);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1|||", "more than 9", 60);
	bad("5x||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1", "timestamp", 1);
	bad("500.1234567||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1", "timestamp", 1);
	bad("500.||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1", "timestamp", 1);
	bad("99999999999999||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||1", "timestamp", 1);
	bad("500||client||192.0.2.53||IN||k.test||A||10.9.9.1||60||1", "client", 6);
	bad("500||10.0.0.1||ns1||IN||k.test||A||10.9.9.1||60||1", "server", 16);
	bad("500||10.0.0.1||192.0.2.53||CH||k.test||A||10.9.9.1||60||1", "class CH", 28);
	bad("500||10.0.0.1||192.0.2.53||IN||||A||10.9.9.1||60||1", "empty query", 32);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||BOGUS||10.9.9.1||60||1", "unknown record type", 40);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9||60||1", "not an IPv4", 43);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||::1||60||1", "not an IPv4", 43);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||AAAA||10.9.9.1||60||1", "not an IPv6", 46);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||CNAME||||60||1", "empty answer", 47);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||-1||1", "TTL", 53);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||4294967296||1", "TTL", 53);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||0", "count", 57);
	bad("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.1||60||x", "count", 57);
	char longname[400];
	memset(longname, 'a', 300);
	snprintf(longname + 300, 100, "||x||10.9.9.1||60||1");
	char l[600];
	snprintf(l, sizeof l, "500||10.0.0.1||192.0.2.53||IN||%s", longname);
	bad(l, "longer than 255", 32);
	/* the pending observation goes on */
	assert_int_equal(feed("500||10.0.0.1||192.0.2.53||IN||k.test||A||10.9.9.2||60||1"), 0);
	const struct rec *r;
	assert_int_equal(pdns_flush(p, &r), 1);
	assert_int_equal(r->u.dns.n_a4, 2);
}

static void test_pdns_large_group_split(void **st)
{
	char l[128];
	drain();
	unsigned n = PDNS_ANSWERS_MAX + 10, got = 0, recs = 0;
	for (unsigned i = 0; i < n; i++) {
		snprintf(l, sizeof l, "600||10.0.0.1||192.0.2.53||IN||big.test||A||10.%u.%u.%u||60||1",
			 i >> 16, (i >> 8) & 255, i & 255);
		int rc = feed(l);
		assert_true(rc >= 0);
		if (rc == 1) {
			got += out->u.dns.n_a4;
			recs++;
		}
	}
	const struct rec *r;
	assert_int_equal(pdns_flush(p, &r), 1);
	got += r->u.dns.n_a4;
	recs++;
	assert_int_equal(got, n);
	assert_int_equal(recs, 2);
	uint8_t *buf = malloc(1 << 20);
	assert_true(rec_encode(buf, 1 << 20, r, 0) > 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdns_groups_one_response),
		cmocka_unit_test(test_pdns_splits_on_second_server_and_outcome),
		cmocka_unit_test(test_pdns_eight_fields_ipv6_and_text),
		cmocka_unit_test(test_pdns_malformed_lines),
		cmocka_unit_test(test_pdns_large_group_split),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
