/*
 * test_cof: Passive DNS COF lines into DNS observation records: the
 * mapping of every field, names normalised, rdata as a string or a list,
 * the types, and every kind of malformed line rejected with a reason and,
 * where it has one, the column.  The records also go through the codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cof.h"
#include "rec.h"

static struct cof *c;

static int setup(void **state)
{
	(void)state;
	c = cof_new();
	return c ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cof_free(c);
	return 0;
}

static const char *why;
static size_t col;

static int line(const char *l)
{
	return cof_parse_line(c, l, strlen(l), &why, &col);
}

static const struct rec_dns *ok(const char *l)
{
	int rc = line(l);
	if (rc != 1)
		fail_msg("rejected (%s, column %zu): %s", why ? why : "?", col, l);
	assert_int_equal(c->rec.type, REC_DNS);
	assert_int_equal(c->rec.flags, REC_F_COALESCED);
	return &c->rec.u.dns;
}

/* The nth name of a record's names, as a NUL-terminated string. */
static const char *name_at(const struct rec_dns *d, int n)
{
	static char buf[300];
	size_t off = 0, len = 0;
	const char *nm = NULL;
	for (int i = 0; i <= n; i++)
		if (!rec_dns_name_next(d, &off, &nm, &len))
			return NULL;
	memcpy(buf, nm, len);
	buf[len] = '\0';
	return buf;
}

static void test_cof_a_list_maps_every_field(void **state)
{
	(void)state;
	const struct rec_dns *d = ok(
		"{\"rrname\":\"Flux.Example.COM.\",\"rrtype\":\"A\",\"rdata\":[\"192.0.2.1\","
		"\"198.51.100.7\"],\"time_first\":1764000000,\"time_last\":1764003600,"
		"\"count\":42,\"sensor_id\":\"s-1\",\"bailiwick\":\"example.com.\",\"zone_time_first\":1}");
	assert_int_equal(d->name_len, 16);
	assert_memory_equal(d->name, "flux.example.com", 16);
	assert_int_equal(d->qtype, 1);
	assert_int_equal(d->rcode, 0);
	assert_int_equal(d->ttl, 0);
	assert_int_equal(d->server.family, 0);
	assert_int_equal(d->n_a4, 2);
	assert_memory_equal(d->a4, "\xc0\x00\x02\x01\xc6\x33\x64\x07", 8);
	assert_int_equal(d->n_a6, 0);
	assert_int_equal(d->n_names, 0);
	assert_true(c->rec.ts_us == 1764000000000000LL);
	assert_true(d->ts_last_us == 1764003600000000LL);
	assert_int_equal(d->count, 42);
	assert_int_equal(c->sensor_id_len, 3);
	assert_memory_equal(c->sensor_id, "s-1", 3);
}

static void test_cof_rdata_string_and_defaults(void **state)
{
	(void)state;
	const struct rec_dns *d = ok("{\"rrname\":\"www.site1.example\",\"rrtype\":\"a\",\"rdata\":"
				     "\"192.0.2.11\",\"time_first\":1,\"time_last\":1}");
	assert_int_equal(d->n_a4, 1);
	assert_memory_equal(d->a4, "\xc0\x00\x02\x0b", 4);
	assert_int_equal(d->count, 1);	/* count is optional */
	assert_null(c->sensor_id);
	/* a numeric sensor id and a final CR (CRLF files) */
	d = ok("{\"rrname\":\"x\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":5,"
	       "\"time_last\":6,\"sensor_id\":17}\r");
	assert_int_equal(c->sensor_id_len, 2);
	assert_memory_equal(c->sensor_id, "17", 2);
}

static void test_cof_types_and_names(void **state)
{
	(void)state;
	const struct rec_dns *d = ok(
		"{\"rrname\":\"v6.example\",\"rrtype\":\"AAAA\",\"rdata\":[\"2001:db8::1\",\"::ffff:1.2.3.4\"],"
		"\"time_first\":10,\"time_last\":20}");
	assert_int_equal(d->qtype, 28);
	assert_int_equal(d->n_a6, 2);
	assert_memory_equal(d->a6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);

	/* NS, CNAME, PTR, DNAME: names normalised like rrname */
	d = ok("{\"rrname\":\"example.com\",\"rrtype\":\"NS\",\"rdata\":[\"NS1.Example.NET.\",\"ns2.example.net\"],"
	       "\"time_first\":10,\"time_last\":20}");
	assert_int_equal(d->qtype, 2);
	assert_int_equal(d->n_names, 2);
	assert_string_equal(name_at(d, 0), "ns1.example.net");
	assert_string_equal(name_at(d, 1), "ns2.example.net");
	d = ok("{\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"rdata\":\"Edge.CDN.example.\","
	       "\"time_first\":10,\"time_last\":20}");
	assert_string_equal(name_at(d, 0), "edge.cdn.example");

	/* other types: the value as it is */
	d = ok("{\"rrname\":\"example.com\",\"rrtype\":\"TXT\",\"rdata\":\"v=spf1 Include:X.example -all\","
	       "\"time_first\":10,\"time_last\":20}");
	assert_int_equal(d->qtype, 16);
	assert_string_equal(name_at(d, 0), "v=spf1 Include:X.example -all");
	d = ok("{\"rrname\":\"example.com\",\"rrtype\":\"MX\",\"rdata\":\"10 Mail.example.com.\","
	       "\"time_first\":10,\"time_last\":20}");
	assert_int_equal(d->qtype, 15);
	assert_string_equal(name_at(d, 0), "10 Mail.example.com.");

	/* TYPEnnn, numbers, and the root */
	d = ok("{\"rrname\":\".\",\"rrtype\":\"TYPE65\",\"rdata\":\"1 . alpn=h2\",\"time_first\":1,\"time_last\":2}");
	assert_int_equal(d->qtype, 65);
	assert_int_equal(d->name_len, 0);
	d = ok("{\"rrname\":\"a.example\",\"rrtype\":28,\"rdata\":\"::1\",\"time_first\":1,\"time_last\":2}");
	assert_int_equal(d->qtype, 28);
	d = ok("{\"rrname\":\"a.example\",\"rrtype\":\"type4660\",\"rdata\":\"\\\\# 0\",\"time_first\":1,\"time_last\":2}");
	assert_int_equal(d->qtype, 4660);
}

static void test_cof_hostile_names_are_kept(void **state)
{
	(void)state;
	/* quotes, commas, newlines, markup: bytes of the name, lower-cased */
	const struct rec_dns *d = ok(
		"{\"rrname\":\"A\\\"B,C\\nD<script>\\u0026.Example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\","
		"\"time_first\":1,\"time_last\":2}");
	assert_int_equal(d->name_len, 24);
	assert_memory_equal(d->name, "a\"b,c\nd<script>&.example", 24);
	/* a name of exactly 255 bytes (256 with the final dot) */
	char l[600], nm[300];
	memset(nm, 'x', 255);
	nm[255] = '\0';
	snprintf(l, sizeof l, "{\"rrname\":\"%s.\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1,\"time_last\":2}", nm);
	d = ok(l);
	assert_int_equal(d->name_len, 255);
}

/* Through the record codec: what the importer appends decodes the same. */
static void test_cof_record_encodes_and_decodes(void **state)
{
	uint8_t f[4096];
	size_t flen;
	const char *w;
	struct rec back;
	(void)state;
	ok("{\"rrname\":\"ns.example\",\"rrtype\":\"NS\",\"rdata\":[\"a.example\",\"b.example\"],"
	   "\"time_first\":1764000000,\"time_last\":1764086400,\"count\":9}");
	long n = rec_encode(f, sizeof f, &c->rec, 1764000000000000LL - 5);
	assert_true(n > 0);
	assert_int_equal(rec_frame_check(f, (size_t)n, &flen, &w), 1);
	assert_int_equal(rec_decode(f, flen, 1764000000000000LL - 5, &back, &w), 1);
	assert_int_equal(back.flags, REC_F_COALESCED);
	assert_true(back.ts_us == 1764000000000000LL);
	assert_true(back.u.dns.ts_last_us == 1764086400000000LL);
	assert_int_equal(back.u.dns.count, 9);
	assert_int_equal(back.u.dns.n_names, 2);
	assert_string_equal(name_at(&back.u.dns, 1), "b.example");
}

static void test_cof_blank_lines_are_no_error(void **state)
{
	(void)state;
	assert_int_equal(line(""), 0);
	assert_int_equal(line("   \t "), 0);
	assert_int_equal(line("\r"), 0);
	assert_null(why);
}

struct bad {
	const char *line;
	const char *why;	/* a part of the reason */
	const char *at;		/* where the column points: the first place of this text; NULL: none */
};

#define RT ",\"rrtype\":\"A\""
#define RD ",\"rdata\":\"192.0.2.1\""
#define TM ",\"time_first\":1,\"time_last\":2"

static void test_cof_malformed_lines_say_why_and_where(void **state)
{
	static const struct bad bad[] = {
		{"not json", "bad JSON", "not"},
		{"{\"rrname\":\"a\"", "bad JSON", ""},	/* "" : the end of the line */
		{"{\"rrname\":\"a\",}", "bad JSON", "}"},
		{"[1,2]", "not a JSON object", "["},
		{"\"rrname\"", "not a JSON object", "\""},
		{"{}", "missing field \"rrname\"", NULL},
		{"{\"rrname\":\"a\"" RD TM "}", "missing field \"rrtype\"", NULL},
		{"{\"rrname\":\"a\"" RT TM "}", "missing field \"rdata\"", NULL},
		{"{\"rrname\":\"a\"" RT RD ",\"time_last\":2}", "missing field \"time_first\"", NULL},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":2}", "missing field \"time_last\"", NULL},
		{"{\"rrname\":\"a\",\"rrname\":\"b\"" RT RD TM "}", "duplicate field \"rrname\"", "\"b\""},
		{"{\"rrname\":7" RT RD TM "}", "rrname is not a string", "7"},
		{"{\"rrname\":\"\"" RT RD TM "}", "rrname is empty", "\"\""},
		{"{\"rrname\":\"a\",\"rrtype\":\"BOGUS\"" RD TM "}", "unknown rrtype \"BOGUS\"", "\"BOGUS"},
		{"{\"rrname\":\"a\",\"rrtype\":\"TYPE65536\"" RD TM "}", "unknown rrtype", "\"TYPE"},
		{"{\"rrname\":\"a\",\"rrtype\":70000" RD TM "}", "rrtype is neither", "70000"},
		{"{\"rrname\":\"a\",\"rrtype\":null" RD TM "}", "rrtype is neither", "null"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":[]" TM "}", "rdata is an empty list", "[]"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":5" TM "}", "rdata is neither", "5"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":[\"192.0.2.1\",5]" TM "}", "not a string", "5]"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":\"192.0.2\"" TM "}", "not an IPv4 address: \"192.0.2\"", "\"192"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":[\"192.0.2.1\",\"::1\"]" TM "}", "not an IPv4 address", "\"::1"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":\"192.0.2.1\\u0000x\"" TM "}", "not an IPv4 address", "\"192"},
		{"{\"rrname\":\"a\"" RT ",\"rdata\":\" 192.0.2.1\"" TM "}", "not an IPv4 address", "\" 192"},
		{"{\"rrname\":\"a\",\"rrtype\":\"AAAA\",\"rdata\":\"192.0.2.1\"" TM "}", "not an IPv6 address", "\"192"},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":\"1\",\"time_last\":2}", "time_first is not", "\"1\""},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":-1,\"time_last\":2}", "time_first is not", "-1"},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":1.5,\"time_last\":2}", "time_first is not", "1.5"},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":1,\"time_last\":253402300800}", "time_last is not", "2534"},
		{"{\"rrname\":\"a\"" RT RD ",\"time_first\":3,\"time_last\":2}", "before time_first", "2}"},
		{"{\"rrname\":\"a\"" RT RD TM ",\"count\":-1}", "count is not", "-1"},
		{"{\"rrname\":\"a\"" RT RD TM ",\"count\":\"5\"}", "count is not", "\"5"},
		{"{\"rrname\":\"a\"" RT RD TM ",\"count\":1.5}", "count is not", "1.5"},
		{"{\"rrname\":\"a\"" RT RD TM ",\"sensor_id\":[1]}", "sensor_id is neither", "[1]"},
		{"{\"rrname\":\"a\"" RT RD TM "} x", "bad JSON: trailing", "x"},
		{"{\"rrname\":\"a\\ud800\"" RT RD TM "}", "lone high surrogate", "\\ud800"},
		{"{\"rrname\":\"a\xff\"" RT RD TM "}", "invalid UTF-8", "\xff"},
		{"{\"rrname\":\"a\nb\"" RT RD TM "}", "control character", "\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *l = bad[i].line;
		size_t want = 0;
		if (bad[i].at)
			want = (size_t)(*bad[i].at ? strstr(l, bad[i].at) - l : (long)strlen(l)) + 1;
		int rc = line(l);
		if (rc != -1)
			fail_msg("accepted: %s", l);
		if (!why || !strstr(why, bad[i].why))
			fail_msg("%s: reason \"%s\", want \"%s\"", l, why ? why : "", bad[i].why);
		if (col != want)
			fail_msg("%s: column %zu, want %zu (%s)", l, col, want, why);
	}
}

static void test_cof_limits(void **state)
{
	char nm[300];
	char *l = malloc(COF_LINE_MAX + 64);
	size_t n;
	(void)state;
	assert_non_null(l);
	/* a 256-byte name */
	memset(nm, 'x', 256);
	nm[256] = '\0';
	snprintf(l, 600, "{\"rrname\":\"%s\"" RT RD TM "}", nm);
	assert_int_equal(line(l), -1);
	assert_non_null(strstr(why, "rrname longer than 255"));
	/* a TXT value of 256 bytes */
	snprintf(l, 600, "{\"rrname\":\"a\",\"rrtype\":\"TXT\",\"rdata\":\"%s\"" TM "}", nm);
	assert_int_equal(line(l), -1);
	assert_non_null(strstr(why, "longer than 255"));

	/* COF_RDATA_MAX addresses pass, one more does not */
	for (unsigned extra = 0; extra < 2; extra++) {
		n = (size_t)sprintf(l, "{\"rrname\":\"big.example\"" RT ",\"rdata\":[");
		for (unsigned i = 0; i < COF_RDATA_MAX + extra; i++)
			n += (size_t)sprintf(l + n, "%s\"10.%u.%u.%u\"", i ? "," : "", i >> 16 & 255,
					     i >> 8 & 255, i & 255);
		n += (size_t)sprintf(l + n, "]" TM "}");
		int rc = cof_parse_line(c, l, n, &why, &col);
		if (!extra) {
			assert_int_equal(rc, 1);
			assert_int_equal(c->rec.u.dns.n_a4, COF_RDATA_MAX);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(why, "too many"));
		}
	}
	/* too many JSON values in ignored fields */
	n = (size_t)sprintf(l, "{\"rrname\":\"a\"" RT RD TM ",\"junk\":[");
	for (unsigned i = 0; i < COF_VALS_MAX; i++)
		n += (size_t)sprintf(l + n, "%s0", i ? "," : "");
	n += (size_t)sprintf(l + n, "]}");
	assert_int_equal(cof_parse_line(c, l, n, &why, &col), -1);
	assert_non_null(strstr(why, "too many values"));
	/* deep nesting in an ignored field */
	n = (size_t)sprintf(l, "{\"rrname\":\"a\"" RT RD TM ",\"junk\":");
	for (int i = 0; i < 100; i++)
		l[n++] = '[';
	for (int i = 0; i < 100; i++)
		l[n++] = ']';
	l[n++] = '}';
	assert_int_equal(cof_parse_line(c, l, n, &why, &col), -1);
	assert_non_null(strstr(why, "nesting too deep"));
	/* a line over the limit */
	memset(l, ' ', COF_LINE_MAX + 1);
	l[0] = '{';
	assert_int_equal(cof_parse_line(c, l, COF_LINE_MAX + 1, &why, &col), -1);
	assert_non_null(strstr(why, "too long"));
	free(l);
}

static void test_cof_name_norm(void **state)
{
	char out[REC_NAME_MAX + 1];
	size_t n;
	(void)state;
	assert_int_equal(cof_name_norm(out, &n, "WWW.Example.", 12), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(out, "www.example", 11);
	assert_int_equal(cof_name_norm(out, &n, ".", 1), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cof_name_norm(out, &n, "\xc3\x89t\xc3\xa9", 5), 0);	/* only ASCII folds */
	assert_memory_equal(out, "\xc3\x89t\xc3\xa9", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cof_a_list_maps_every_field),
		cmocka_unit_test(test_cof_rdata_string_and_defaults),
		cmocka_unit_test(test_cof_types_and_names),
		cmocka_unit_test(test_cof_hostile_names_are_kept),
		cmocka_unit_test(test_cof_record_encodes_and_decodes),
		cmocka_unit_test(test_cof_blank_lines_are_no_error),
		cmocka_unit_test(test_cof_malformed_lines_say_why_and_where),
		cmocka_unit_test(test_cof_limits),
		cmocka_unit_test(test_cof_name_norm),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
