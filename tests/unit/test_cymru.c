/*
 * test_cymru: Team Cymru answer lines, from the real lines quoted in
 * ../shared/data/cymru, then hostile ones (bounds, junk, NUL bytes), then
 * the query names.  The data file is looked up from the test's working
 * directory (tests/), the repository root, or $TIP_SHARED_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cymru.h"

static FILE *open_data(const char *rel)
{
	static const char *const roots[] = {"../../shared/data", "../shared/data"};
	char path[512];
	const char *env = getenv("TIP_SHARED_DATA");
	if (env) {
		snprintf(path, sizeof path, "%s/%s", env, rel);
		return fopen(path, "r");
	}
	for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", roots[i], rel);
		FILE *f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

#define P(s) (s), strlen(s)

static void test_cymru_origin_apnic_line(void **state)
{
	struct cymru_info ci;
	struct cymru_err err = {NULL, 0};
	(void)state;
	assert_int_equal(cymru_parse_origin(P("\"3561 | 216.88.0.0/14 | US | arin | 1998-09-25\""), &ci, &err), 0);
	assert_null(err.why);
	assert_int_equal(ci.n_asn, 1);
	assert_int_equal(ci.asn[0], 3561);
	assert_int_equal(ci.family, 4);
	assert_int_equal(ci.prefix_len, 14);
	assert_memory_equal(ci.prefix, "\xd8\x58\x00\x00", 4);
	assert_string_equal(ci.cc, "US");
	assert_string_equal(ci.registry, "arin");
	assert_int_equal(ci.year, 1998);
	assert_int_equal(ci.month, 9);
	assert_int_equal(ci.day, 25);
}

static void test_cymru_origin6_line(void **state)
{
	struct cymru_info ci;
	(void)state;
	assert_int_equal(cymru_parse_origin(P("\"15169 | 2001:4860::/32 | US | arin | 2005-03-14\""), &ci, NULL), 0);
	assert_int_equal(ci.asn[0], 15169);
	assert_int_equal(ci.family, 6);
	assert_int_equal(ci.prefix_len, 32);
	assert_memory_equal(ci.prefix, "\x20\x01\x48\x60", 4);
}

static void test_cymru_origin_without_quotes_and_moas(void **state)
{
	struct cymru_info ci;
	(void)state;
	assert_int_equal(cymru_parse_origin(P("  3356 15169 |8.8.8.0/24|us|ARIN|  "), &ci, NULL), 0);
	assert_int_equal(ci.n_asn, 2);
	assert_int_equal(ci.asn[1], 15169);
	assert_string_equal(ci.cc, "US");
	assert_string_equal(ci.registry, "arin");
	assert_int_equal(ci.year, 0);
	/* more origins than kept: counted, not stored past the array */
	assert_int_equal(cymru_parse_origin(P("1 2 3 4 5 6 7 8 9 10 | 1.0.0.0/24 | AU | apnic | 2011-08-11"), &ci, NULL), 0);
	assert_int_equal(ci.n_asn, CYMRU_MAX_ASN);
	assert_int_equal(ci.n_asn_seen, 10);
}

static void test_cymru_asname_lines(void **state)
{
	struct cymru_info ci;
	(void)state;
	assert_int_equal(cymru_parse_asname(P("\"15169 | US | arin | 2000-03-30 | GOOGLE - Google LLC, US\""), &ci, NULL), 0);
	assert_int_equal(ci.asn[0], 15169);
	assert_string_equal(ci.name, "GOOGLE - Google LLC, US");
	assert_int_equal(ci.name_cut, 0);
	assert_int_equal(cymru_parse_asname(P("\"15169 | US | arin | 2000-03-30 | GOOGLE, US\""), &ci, NULL), 0);
	assert_string_equal(ci.name, "GOOGLE, US");
	/* an AS-name line is not an origin line and the reverse */
	assert_int_equal(cymru_parse_origin(P("\"15169 | US | arin | 2000-03-30 | GOOGLE, US\""), &ci, NULL), -1);
	assert_int_equal(cymru_parse_asname(P("\"3561 | 216.88.0.0/14 | US | arin | 1998-09-25\""), &ci, NULL), -1);
	/* a TXT string as the resolver hands it (no outer quotes) */
	assert_int_equal(cymru_parse_asname(P("3209 | DE | ripencc | 2001-01-02 | ARCOR-AS Arcor IP-Network, DE"), &ci, NULL), 0);
	assert_int_equal(ci.asn[0], 3209);
	assert_string_equal(ci.cc, "DE");
	assert_string_equal(ci.name, "ARCOR-AS Arcor IP-Network, DE");
	/* quotes belong to some names; in any other field they are an error */
	assert_int_equal(cymru_parse_asname(P("12389 | RU | ripencc | 2001-01-02 | JSC \"ER-Telecom Holding\", RU"), &ci, NULL), 0);
	assert_string_equal(ci.name, "JSC \"ER-Telecom Holding\", RU");
	struct cymru_err err;
	assert_int_equal(cymru_parse_asname(P("12389 | \"RU\" | ripencc | 2001-01-02 | X"), &ci, &err), -1);
	assert_string_equal(err.why, "stray quote or NUL");
	assert_int_equal(cymru_parse_origin(P("3209 | 1.2.0.0/16 | \"DE | ripencc | 2001-01-02"), &ci, NULL), -1);
}

static void test_cymru_bulk_lines(void **state)
{
	struct cymru_info ci;
	(void)state;
	assert_int_equal(cymru_parse_bulk(P("Bulk mode; whois.cymru.com [2016-05-02 04:40:56 +0000]"), &ci, NULL), 0);
	assert_int_equal(cymru_parse_bulk(P("23028 | 68.22.187.5 | 68.22.187.0/24 | US | arin | 2002-03-15 | TEAM-CYMRU - Team Cymru Inc., US"), &ci, NULL), 1);
	assert_int_equal(ci.asn[0], 23028);
	assert_memory_equal(ci.ip, "\x44\x16\xbb\x05", 4);
	assert_int_equal(ci.prefix_len, 24);
	assert_string_equal(ci.name, "TEAM-CYMRU - Team Cymru Inc., US");
	assert_int_equal(cymru_parse_bulk(P("NA | 192.0.2.1 | NA | | | | NA"), &ci, NULL), 1);
	assert_int_equal(ci.n_asn, 0);
	assert_int_equal(ci.family, 4);
}

/* Every data line of the shared file parses as what it is. */
static void test_cymru_real_quoted_lines(void **state)
{
	FILE *f = open_data("cymru/cymru-responses-quoted.txt");
	char line[2048];
	int origin = 0, asname = 0, bulk = 0, header = 0;
	(void)state;
	if (!f) {
		skip();
		return;
	}
	while (fgets(line, sizeof line, f)) {
		struct cymru_info ci;
		size_t n = strlen(line);
		if (line[0] == '#' || line[0] == '$' || n <= 1)
			continue;
		if (line[0] == '"') {
			if (cymru_parse_origin(line, n, &ci, NULL) == 0) {
				assert_true(ci.n_asn >= 1);
				assert_true(ci.family == 4 || ci.family == 6);
				origin++;
			} else {
				assert_int_equal(cymru_parse_asname(line, n, &ci, NULL), 0);
				assert_true(ci.name_len > 0);
				asname++;
			}
			continue;
		}
		int r = cymru_parse_bulk(line, n, &ci, NULL);
		assert_true(r >= 0);
		if (r == 1) {
			assert_int_equal(ci.asn[0], 23028);
			bulk++;
		} else {
			header++;
		}
	}
	fclose(f);
	assert_int_equal(origin, 3);
	assert_int_equal(asname, 2);
	assert_int_equal(bulk, 8);
	assert_int_equal(header, 1);
}

/* Junk lines: refused, each with its reason and the offset of the field or byte at fault. */
static void test_cymru_rejects_junk_at_its_offset(void **state)
{
	struct cymru_info ci;
	struct cymru_err err;
	static const struct {
		int kind;	/* 0 origin, 1 AS name, 2 bulk */
		const char *s;
		const char *why;
		size_t off;
	} bad[] = {
		{0, "", "origin: want 2 to 5 fields", 0},
		{0, "\"\"", "origin: want 2 to 5 fields", 1},
		{0, "3561", "origin: want 2 to 5 fields", 4},
		{0, "3561x | 216.88.0.0/14 | US | arin | 1998-09-25", "origin: bad AS number", 0},
		{0, "4294967296 | 216.88.0.0/14 | US | arin | 1998-09-25", "origin: bad AS number", 0},
		{0, " | 216.88.0.0/14 | US | arin | 1998-09-25", "origin: bad AS number", 1},
		{0, "3561 | 216.88.0.0 | US | arin | 1998-09-25", "origin: bad prefix", 7},
		{0, "3561 | 216.88.0.0/33 | US | arin | 1998-09-25", "origin: bad prefix", 7},
		{0, "3561 |   216.88.0/14 | US | arin | 1998-09-25", "origin: bad prefix", 9},
		{0, "3561 | 216.88.0.0/14 | USA | arin | 1998-09-25", "origin: bad country code", 23},
		{0, "3561 | 216.88.0.0/14 | U1 | arin | 1998-09-25", "origin: bad country code", 23},
		{0, "3561 | 216.88.0.0/14 | US | ar in | 1998-09-25", "origin: bad registry", 28},
		{0, "3561 | 216.88.0.0/14 | US | arin | 1998-13-25", "origin: bad date", 35},
		{0, "3561 | 216.88.0.0/14 | US | arin | 98-09-25", "origin: bad date", 35},
		{0, "3561 | 216.88.0.0/14 | US | arin | 1998-09-25 | extra", "origin: want 2 to 5 fields",
		 48},
		{0, "\"3561 | 216.88.0.0/14 | US | \"arin | 1998-09-25\"", "stray quote or NUL", 29},
		{1, "12389 | \"RU\" | ripencc | 2001-01-02 | X", "stray quote or NUL", 8},
		{1, "15169 | US | arin | 2000-03-30", "asname: want 5 fields", 30},
		{1, "15169 | US | arin | 2000-3-30 | GOOGLE", "asname: bad date", 20},
		{2, "23028 | 68.22.187.5 | 2001:db8::/32 | US | arin | 2002-03-15 | X",
		 "bulk: address and prefix families differ", 22},
		{2, "23028 | 68.22.187.x | 68.22.187.0/24 | US | arin | 2002-03-15 | X",
		 "bulk: bad address", 8},
		{2, "23028 | 68.22.187.5 | 68.22.187.0/24 | USA | arin | 2002-03-15  ",
		 "bulk: want 7 fields", 62},
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *s = bad[i].s;
		err = (struct cymru_err){NULL, 12345};
		int rc = bad[i].kind == 0   ? cymru_parse_origin(s, strlen(s), &ci, &err)
			 : bad[i].kind == 1 ? cymru_parse_asname(s, strlen(s), &ci, &err)
					    : cymru_parse_bulk(s, strlen(s), &ci, &err);
		if (rc != -1 || !err.why || strcmp(err.why, bad[i].why) || err.off != bad[i].off)
			fail_msg("\"%s\": got %d \"%s\" at %zu, want \"%s\" at %zu", s, rc,
				 err.why ? err.why : "(none)", err.off, bad[i].why, bad[i].off);
	}
	assert_int_equal(cymru_parse_origin(NULL, 0, &ci, &err), -1);
	assert_string_equal(err.why, "no line");
	/* a NUL inside the TXT bytes: its own offset */
	assert_int_equal(cymru_parse_origin("3561 | 216.88.0.0/14\0 | US", 26, &ci, &err), -1);
	assert_string_equal(err.why, "stray quote or NUL");
	assert_int_equal(err.off, 20);
	/* the length bounds the read: the valid line hides behind len */
	assert_int_equal(cymru_parse_origin("3561 | 216.88.0.0/14 | US", 4, &ci, &err), -1);
	assert_int_equal(err.off, 4);
	assert_int_equal(cymru_parse_asname(P("15169 | US | arin | 2000-03-30"), &ci, NULL), -1);
}

static void test_cymru_bounds(void **state)
{
	struct cymru_info ci;
	static char big[CYMRU_LINE_MAX + 100];
	(void)state;
	memset(big, 'A', sizeof big);
	/* too long to look at: the first byte past the limit */
	struct cymru_err err;
	assert_int_equal(cymru_parse_asname(big, sizeof big, &ci, &err), -1);
	assert_string_equal(err.why, "line too long");
	assert_int_equal(err.off, CYMRU_LINE_MAX);
	/* a long name is cut, NUL-terminated, flagged; control bytes masked */
	int n = snprintf(big, sizeof big, "1 | US | arin | 2000-01-01 | ");
	memset(big + n, 'x', 300);
	big[n + 5] = '\x01';
	assert_int_equal(cymru_parse_asname(big, (size_t)n + 300, &ci, NULL), 0);
	assert_int_equal(ci.name_len, CYMRU_NAME_MAX - 1);
	assert_int_equal(ci.name_cut, 1);
	assert_int_equal(ci.name[5], '?');
	assert_int_equal(strlen(ci.name), CYMRU_NAME_MAX - 1);
	/* non-ASCII bytes of a name are kept */
	assert_int_equal(cymru_parse_asname(P("1 | DE | ripencc | 2000-01-01 | M\xc3\xbcller GmbH"), &ci, NULL), 0);
	assert_string_equal(ci.name, "M\xc3\xbcller GmbH");
}

static void test_cymru_qnames(void **state)
{
	char buf[128];
	static const uint8_t ip6[16] = {0x20, 0x01, 0x48, 0x60, 0xb0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x68};
	(void)state;
	assert_int_equal(cymru_origin_qname(0xd85a6c1fu, NULL, buf, sizeof buf), 34);
	assert_string_equal(buf, "31.108.90.216.origin.asn.cymru.com");
	assert_true(cymru_origin_qname(0xd85a6c1fu, "origin.asn.test", buf, sizeof buf) > 0);
	assert_string_equal(buf, "31.108.90.216.origin.asn.test");
	assert_int_equal(cymru_origin_qname(0xd85a6c1fu, NULL, buf, 34), -1);
	assert_int_equal(cymru_origin_qname(1, "", buf, sizeof buf), -1);
	assert_true(cymru_origin6_qname(ip6, NULL, buf, sizeof buf) > 0);
	assert_string_equal(buf, /* the APNIC blog example */
			    "8.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.b.0.6.8.4.1.0.0.2.origin6.asn.cymru.com");
	assert_true(cymru_asname_qname(15169, NULL, buf, sizeof buf) > 0);
	assert_string_equal(buf, "AS15169.asn.cymru.com");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cymru_origin_apnic_line),
		cmocka_unit_test(test_cymru_origin6_line),
		cmocka_unit_test(test_cymru_origin_without_quotes_and_moas),
		cmocka_unit_test(test_cymru_asname_lines),
		cmocka_unit_test(test_cymru_bulk_lines),
		cmocka_unit_test(test_cymru_real_quoted_lines),
		cmocka_unit_test(test_cymru_rejects_junk_at_its_offset),
		cmocka_unit_test(test_cymru_bounds),
		cmocka_unit_test(test_cymru_qnames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
