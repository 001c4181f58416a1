/*
 * test_feed: the streaming feed parsers on hand-made inputs whose
 * indicators the test states: normalisation (case, final dot, punycode,
 * CIDR host bits), every format, lines and JSON escapes split across
 * chunks of every size, bad lines counted, structural errors stopping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"

struct got {
	char text[8192];
	size_t len;
	int stop_after;
	int n;
};

static int collect(void *arg, const struct feed_entry *e)
{
	struct got *g = arg;
	g->len += (size_t)snprintf(g->text + g->len, sizeof g->text - g->len, "%s %s%s%s;",
				   feed_kind_name(e->kind), e->value, e->host ? " @" : "",
				   e->host ? e->host : "");
	if (e->port)
		g->len += (size_t)snprintf(g->text + g->len, sizeof g->text - g->len, ":%u;",
					   e->port);
	if (e->count)
		g->len += (size_t)snprintf(g->text + g->len, sizeof g->text - g->len, "#%llu;",
					   (unsigned long long)e->count);
	g->n++;
	return g->stop_after && g->n >= g->stop_after ? -1 : 0;
}

static struct feed_parser P;

/* Parse in chunks of `chunk` bytes; return the parser's final result. */
static int run(const struct feed_opts *o, const char *in, size_t chunk, struct got *g)
{
	memset(g, 0, sizeof *g);
	assert_int_equal(feed_parser_init(&P, o, collect, g), 0);
	size_t n = strlen(in);
	for (size_t i = 0; i < n; i += chunk)
		if (feed_parser_feed(&P, in + i, i + chunk > n ? n - i : chunk) < 0)
			return -1;
	return feed_parser_finish(&P);
}

/* Every chunk size from 1 to 17 and whole gives the same text. */
static void expect(const struct feed_opts *o, const char *in, const char *want, uint64_t bad)
{
	struct got g;
	for (size_t chunk = 1; chunk <= 18; chunk++) {
		assert_int_equal(run(o, in, chunk == 18 ? strlen(in) + 1 : chunk, &g), 0);
		assert_string_equal(g.text, want);
		assert_int_equal(P.bad, bad);
	}
}

static void test_feed_domain_norm_case_dot_punycode(void **st)
{
	char out[FEED_NAME_MAX + 1];
	assert_int_equal(feed_domain_norm("WWW.Example.COM.", 16, out), 15);
	assert_string_equal(out, "www.example.com");
	/* RFC 3492 / IDNA examples */
	assert_true(feed_domain_norm("b\xc3\xbc" "cher.de", 10, out) > 0);
	assert_string_equal(out, "xn--bcher-kva.de");
	assert_true(feed_domain_norm("M\xc3\xbcnchen.de", 11, out) > 0);
	assert_string_equal(out, "xn--mnchen-3ya.de");
	assert_true(feed_domain_norm("\xe4\xbe\x8b\xe5\xad\x90.com", 10, out) > 0);
	assert_string_equal(out, "xn--fsqu00a.com");
	assert_true(feed_domain_norm("XN--BCHER-KVA.de", 16, out) > 0);
	assert_string_equal(out, "xn--bcher-kva.de");
	assert_int_equal(feed_domain_norm("localhost", 9, out), -1);	/* one label */
	assert_int_equal(feed_domain_norm("a..b", 4, out), -1);
	assert_int_equal(feed_domain_norm("a b.com", 7, out), -1);
	assert_int_equal(feed_domain_norm("\xff.com", 5, out), -1);	/* bad UTF-8 */
	assert_int_equal(feed_domain_norm("\xc0\xaf.com", 6, out), -1);	/* overlong */
	char lab[70];
	memset(lab, 'a', 64);
	memcpy(lab + 64, ".com", 5);
	assert_int_equal(feed_domain_norm(lab, 68, out), -1);	/* 64-byte label */
}

static void test_feed_hosts_boilerplate_and_names(void **st)
{
	struct feed_opts o = {.format = FEED_HOSTS};
	expect(&o,
	       "\xef\xbb\xbf# header\r\n127.0.0.1 localhost\r\n::1 ip6-localhost\n"
	       "0.0.0.0 Ads.Example.COM. two.example.net # c\n\n0.0.0.0 bad_name!.x\n"
	       "0.0.0.0\n",
	       "domain ads.example.com;domain two.example.net;", 2);
	assert_int_equal(P.ignored, 2);
	assert_int_equal(P.comments, 2);
	assert_int_equal(P.lines, 7);
}

static void test_feed_cidr_masks_host_bits_and_comments(void **st)
{
	struct feed_opts o = {.format = FEED_CIDR};
	expect(&o,
	       "; Spamhaus\n1.10.16.7/20 ; SBL256894\n2001:DB8::1/32\n9.9.9.9/32\n8.8.8.8\n"
	       "1.2.3.4/33\n300.1.1.1\n",
	       "cidr 1.10.16.0/20;cidr 2001:db8::/32;ip 9.9.9.9;ip 8.8.8.8;", 2);
}

static void test_feed_ipsum_needs_a_count(void **st)
{
	struct feed_opts o = {.format = FEED_IPSUM};
	expect(&o, "# IPsum\n1.2.3.4\t10\n5.6.7.8\n9.9.9.9\tx\n", "ip 1.2.3.4;#10;", 2);
}

static void test_feed_domains_take_url_hosts(void **st)
{
	struct feed_opts o = {.format = FEED_DOMAINS};
	expect(&o, "Example.ORG\nhttps://Www.Bad.Test:8443/x/\n1.2.3.4\nnot_a_domain\n",
	       "domain example.org;domain www.bad.test;ip 1.2.3.4;", 1);
}

static void test_feed_urls_keep_url_and_host(void **st)
{
	struct feed_opts o = {.format = FEED_URLS};
	expect(&o,
	       "HTTP://User@Login.Example.COM.:8080/Path?Q=1\nhttps://[2001:DB8::1]/a\n"
	       "https://bad host/\nhttps://x\xc3\xbc.com/\n",
	       "url http://User@login.example.com:8080/Path?Q=1 @login.example.com;"
	       "url https://[2001:db8::1]/a @2001:db8::1;"
	       "url https://xn--x-eha.com/ @xn--x-eha.com;", 1);
}

static void test_feed_trails_ip_port_domain_path(void **st)
{
	struct feed_opts o = {.format = FEED_TRAILS};
	expect(&o,
	       "# Reference: x\n66.210.228.178:443\nDVR.Petcp.com\nkairod.com/4rvg/fg19/\n"
	       "/guids/xian/\n10.0.0.0/8\n1.2.3.4:99999\n",
	       "ip 66.210.228.178;:443;domain dvr.petcp.com;"
	       "url kairod.com/4rvg/fg19/ @kairod.com;cidr 10.0.0.0/8;", 2);
}

static void test_feed_csv_by_name_and_number(void **st)
{
	struct feed_opts o = {.format = FEED_CSV, .column = "DST_IP"};
	const char *in = "# banner\n#\n\"first\",\"dst_ip\",\"port\"\n\"2024\",\"1.2.3.4\",\"80\"\n"
			 "\"a,b\",\"evil.example\",\"1\"\n\"x\",\"\"\"q\",\"2\"\n\"short\"\n"
			 "# END 3 entries";
	expect(&o, in, "ip 1.2.3.4;domain evil.example;", 2);
	o.column = "2";
	expect(&o, in, "ip 1.2.3.4;domain evil.example;", 2);	/* header row skipped */
	struct got g;
	o.column = "nosuch";
	assert_int_equal(run(&o, in, 5, &g), -1);
	assert_non_null(P.error);
	o.column = NULL;
	assert_int_equal(feed_parser_init(&P, &o, collect, &g), -1);
}

static void test_feed_kind_filter_counts_others_bad(void **st)
{
	struct feed_opts o = {.format = FEED_TRAILS, .kind = FEED_K_IP};
	expect(&o, "1.2.3.4\nexample.com\n", "ip 1.2.3.4;", 1);
}

static void test_feed_json_named_array_only(void **st)
{
	struct feed_opts o = {.format = FEED_JSON, .path = "blacklist"};
	expect(&o,
	       "{\"version\":2,\"whitelist\":[\"good.example\"],\"nested\":{\"blacklist\":"
	       "[\"B\\u00FCcher.de\",\"a.example\\/p\",42,{\"x\":1},\"EVIL.test.\","
	       "\"\\ud83d\\ude00.com\",\"one\"]},\"tail\":[\"blacklist\"]}",
	       "domain xn--bcher-kva.de;url a.example/p @a.example;domain evil.test;"
	       "domain xn--e28h.com;", 3);
}

static void test_feed_json_structural_errors_stop(void **st)
{
	struct feed_opts o = {.format = FEED_JSON, .path = "blacklist"};
	struct got g;
	assert_int_equal(run(&o, "{\"blacklist\":[\"a.com\"}", 3, &g), -1);
	assert_int_equal(run(&o, "{\"blacklist\":[\"a.com\"", 3, &g), -1);
	assert_int_equal(run(&o, "{\"blacklist\" [\"a.com\"]}", 3, &g), -1);
	assert_int_equal(run(&o, "{\"blacklist\":[\"a\\q\"]}", 3, &g), -1);
	char deep[100];
	memset(deep, '[', sizeof deep - 1);
	deep[sizeof deep - 1] = 0;
	assert_int_equal(run(&o, deep, 7, &g), -1);
	assert_int_equal(run(&o, "{\"blacklist\":[\"a.com\",\"b.com\"]}", 4, &g), 0);
	assert_int_equal(g.n, 2);
}

static void test_feed_overlong_line_counted_bad(void **st)
{
	static char in[FEED_LINE_MAX * 2 + 64];
	memset(in, 'a', FEED_LINE_MAX + 10);
	strcpy(in + FEED_LINE_MAX + 10, ".com\nok.example\n");
	struct feed_opts o = {.format = FEED_DOMAINS};
	struct got g;
	assert_int_equal(run(&o, in, 1000, &g), 0);
	assert_string_equal(g.text, "domain ok.example;");
	assert_int_equal(P.bad, 1);
	assert_int_equal(P.last_bad_line, 1);
}

static void test_feed_emit_can_stop(void **st)
{
	struct feed_opts o = {.format = FEED_DOMAINS};
	struct got g;
	memset(&g, 0, sizeof g);
	g.stop_after = 2;
	assert_int_equal(feed_parser_init(&P, &o, collect, &g), 0);
	const char *in = "a.com\nb.com\nc.com\n";
	assert_int_equal(feed_parser_feed(&P, in, strlen(in)), -1);
	assert_int_equal(g.n, 2);
	assert_int_equal(feed_parser_feed(&P, "d.com\n", 6), -1);
}

/*
 * Parse in[0..len) fed a byte, 7 bytes and all at a time; fn counts what
 * it was given in *seen and what was not the expected in *wrong: n seen,
 * none wrong and `bad` bad lines each time.
 */
static void in_chunks(const struct feed_opts *o, const char *in, size_t len, feed_emit_fn fn,
		      void *arg, int *seen, int *wrong, int n, uint64_t bad)
{
	const size_t chunks[] = {1, 7, len};
	for (size_t c = 0; c < 3; c++) {
		*seen = *wrong = 0;
		assert_int_equal(feed_parser_init(&P, o, fn, arg), 0);
		for (size_t i = 0; i < len; i += chunks[c])
			assert_int_equal(feed_parser_feed(&P, in + i, i + chunks[c] > len ? len - i : chunks[c]), 0);
		assert_int_equal(feed_parser_finish(&P), 0);
		assert_int_equal(*seen, n);
		assert_int_equal(*wrong, 0);
		assert_int_equal(P.bad, bad);
	}
}

/*
 * Every shape of a dotted quad (four parts of 1 to 3 digits), each at its
 * least and greatest values, with leading zeros and with a part over 255:
 * the verdicts and addresses are the rule's, worked out here, in whichever
 * path this build takes (test_feed_nossse3, test_feed_nosse: the others).
 */
struct quads {
	char want[4 * 81][16];
	int n, seen, wrong;
};

static int quad_seen(void *arg, const struct feed_entry *e)
{
	struct quads *q = arg;
	if (q->seen >= q->n || strcmp(e->value, q->want[q->seen]) || e->kind != FEED_K_IP)
		q->wrong++;
	q->seen++;
	return 0;
}

static void test_feed_dotted_quad_shapes(void **st)
{
	static const char *part[4][3] = {
		{"1", "10", "100"}, {"9", "99", "255"}, {"0", "05", "055"}, {"9", "99", "256"},
	};
	static char in[4 * 81 * 17];
	static struct quads q;
	size_t len = 0;
	uint64_t bad = 0;
	memset(&q, 0, sizeof q);
	for (int shape = 0; shape < 81; shape++) {
		for (int v = 0; v < 4; v++) {
			char line[17] = "";
			int ok = 1;
			for (int k = 0, x = shape; k < 4; k++, x /= 3) {
				int l = x % 3;	/* a part of l + 1 digits */
				ok &= !((v == 2 && l > 0) || (v == 3 && l == 2));
				strcat(line, part[v][l]);
				strcat(line, k < 3 ? "." : "\n");
			}
			memcpy(in + len, line, strlen(line));
			len += strlen(line);
			if (ok)
				memcpy(q.want[q.n++], line, strlen(line) - 1);
			else
				bad++;
		}
	}
	struct feed_opts o = {.format = FEED_IPS};
	in_chunks(&o, in, len, quad_seen, &q, &q.seen, &q.wrong, q.n, bad);
}

/*
 * trails' "IP:port" with every port length from none to 7 digits, at the
 * least and greatest values, with leading zeros and over 65535, and each
 * line's end a newline, a blank or a comment: the verdicts are the rule's
 * (1 to 5 digits, at most 65535), worked out here.  The lines lie inside
 * one chunk, where the address loop takes them, and are also fed a byte
 * and 7 bytes at a time.
 */
struct ports {
	unsigned want[256];
	int n, seen, wrong;
};

static int port_seen(void *arg, const struct feed_entry *e)
{
	struct ports *q = arg;
	if (q->seen >= q->n || e->port != q->want[q->seen] || e->kind != FEED_K_IP ||
	    strcmp(e->value, "10.20.30.40"))
		q->wrong++;
	q->seen++;
	return 0;
}

static void test_feed_trails_ports(void **st)
{
	static const char *text[] = {"", "0", "7", "80", "09", "443", "8080", "00080", "65535",
				     "65536", "99999", "123456", "0000001", "4143"};
	static const char *end[] = {"\n", " \n", "\t# c2\n", " #x\n"};
	static char in[4096];
	static struct ports q;
	size_t len = 0;
	uint64_t bad = 0;
	memset(&q, 0, sizeof q);
	for (size_t e = 0; e < 4; e++)
		for (size_t t = 0; t < sizeof text / sizeof *text; t++) {
			size_t d = strlen(text[t]);
			unsigned long v = strtoul(text[t], NULL, 10);
			len += (size_t)snprintf(in + len, sizeof in - len, "10.20.30.40:%s%s", text[t], end[e]);
			if (d >= 1 && d <= 5 && v <= 65535)
				q.want[q.n++] = (unsigned)v;
			else
				bad++;
		}
	/* a tail, so that the last port lies where 24 bytes are readable */
	len += (size_t)snprintf(in + len, sizeof in - len, "# the end of the list, a comment\n");
	struct feed_opts o = {.format = FEED_TRAILS};
	in_chunks(&o, in, len, port_seen, &q, &q.seen, &q.wrong, q.n, bad);
}

static void test_feed_names(void **st)
{
	assert_int_equal(feed_format_parse("trails"), FEED_TRAILS);
	assert_int_equal(feed_format_parse("nope"), 0);
	assert_string_equal(feed_format_name(FEED_IPSUM), "ipsum");
	assert_int_equal(feed_kind_parse("cidr"), FEED_K_CIDR);
	assert_int_equal(feed_kind_parse("x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_domain_norm_case_dot_punycode),
		cmocka_unit_test(test_feed_hosts_boilerplate_and_names),
		cmocka_unit_test(test_feed_cidr_masks_host_bits_and_comments),
		cmocka_unit_test(test_feed_ipsum_needs_a_count),
		cmocka_unit_test(test_feed_domains_take_url_hosts),
		cmocka_unit_test(test_feed_urls_keep_url_and_host),
		cmocka_unit_test(test_feed_trails_ip_port_domain_path),
		cmocka_unit_test(test_feed_csv_by_name_and_number),
		cmocka_unit_test(test_feed_kind_filter_counts_others_bad),
		cmocka_unit_test(test_feed_json_named_array_only),
		cmocka_unit_test(test_feed_json_structural_errors_stop),
		cmocka_unit_test(test_feed_overlong_line_counted_bad),
		cmocka_unit_test(test_feed_emit_can_stop),
		cmocka_unit_test(test_feed_dotted_quad_shapes),
		cmocka_unit_test(test_feed_trails_ports),
		cmocka_unit_test(test_feed_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
