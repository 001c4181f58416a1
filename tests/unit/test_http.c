/*
 * test_http: the request-head parser's verdicts on well-formed, hostile
 * and oversized heads (status codes), incremental input, keep-alive and
 * body flags; target splitting, percent-decoding and query parameters;
 * the bounded response buffer and the response head's security headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static struct http_req req;

static int parse(const char *s)
{
	return http_parse(&req, (const uint8_t *)s, strlen(s));
}

static int status_of(const char *s)
{
	int k = parse(s);
	return k == HTTP_ERROR ? req.status : k == HTTP_DONE ? 200 : 0;
}

static void test_http_get_with_host_is_done(void **st)
{
	const char *s = "GET /flux?min=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\nGET /next";
	assert_int_equal(parse(s), HTTP_DONE);
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.target, "/flux?min=1");
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.keep_alive, 1);
	assert_int_equal(req.has_body, 0);
	assert_int_equal(req.head_len, strlen(s) - strlen("GET /next"));
}

static void test_http_head_and_bare_lf_and_http10(void **st)
{
	assert_int_equal(parse("HEAD / HTTP/1.0\n\n"), HTTP_DONE);
	assert_int_equal(req.method, HTTP_HEAD);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), HTTP_DONE);
	assert_int_equal(req.keep_alive, 1);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), HTTP_DONE);
	assert_int_equal(req.keep_alive, 0);
}

static void test_http_incomplete_head_wants_more(void **st)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	for (size_t n = 0; n < strlen(s); n++)
		assert_int_equal(http_parse(&req, (const uint8_t *)s, n), HTTP_MORE);
	assert_int_equal(http_parse(&req, (const uint8_t *)s, strlen(s)), HTTP_DONE);
}

/* A refused head: its status and the offset of the byte at fault. */
struct bad_head {
	const char *s;
	int status;
	size_t off;
};

static void check_bad_heads(const struct bad_head *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		req.err_off = 12345;
		int st = status_of(b[i].s);
		if (st != b[i].status || req.err_off != b[i].off)
			fail_msg("head %zu: got %d at %zu, want %d at %zu", i, st, req.err_off,
				 b[i].status, b[i].off);
	}
}

static void test_http_malformed_heads_are_400_at_the_fault(void **st)
{
	static const struct bad_head bad[] = {
		{"GET / HTTP/1.1\r\n\r\n", 400, 18},			/* no Host: the head's end */
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 4},
		{"GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, 6},
		{"GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400, 6},
		{"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 1},
		{"\r\n\r\nG(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 5},	/* counted from p */
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 4},
		{"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, 5},
		{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, 20},
		{"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, 25},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 25},
		{"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, 32},
		{"GET / HTTP/1.1\r\nHost:  a\x7f\r\n\r\n", 400, 24},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400, 41},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
		 60},
	};
	check_bad_heads(bad, sizeof bad / sizeof bad[0]);
}

static void test_http_versions_and_methods(void **st)
{
	static const struct bad_head bad[] = {
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 11},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, 11},
		{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 405, 8},
	};
	check_bad_heads(bad, sizeof bad / sizeof bad[0]);
	assert_int_equal(parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_DONE);
	assert_int_equal(req.method, HTTP_OTHER);
}

static void test_http_bodies_are_flagged(void **st)
{
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), HTTP_DONE);
	assert_int_equal(req.has_body, 0);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"), HTTP_DONE);
	assert_int_equal(req.has_body, 1);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_DONE);
	assert_int_equal(req.has_body, 1);
}

static void test_http_long_target_is_414_and_big_head_431(void **st)
{
	size_t n = HTTP_HEAD_MAX * 2;
	char *s = malloc(n + 64);
	/* a request line longer than the limit, complete or not */
	strcpy(s, "GET /");
	memset(s + 5, 'a', HTTP_LINE_MAX + 100);
	strcpy(s + 5 + HTTP_LINE_MAX + 100, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(status_of(s), 414);
	assert_int_equal(req.err_off, 0);	/* the line's start */
	s[5 + HTTP_LINE_MAX + 100] = '\0';
	assert_int_equal(status_of(s), 414);
	assert_int_equal(req.err_off, 0);
	/* a target of exactly the limit is fine */
	strcpy(s, "GET /");
	memset(s + 5, 'b', HTTP_LINE_MAX - 1);
	strcpy(s + 4 + HTTP_LINE_MAX, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(status_of(s), 200);
	assert_int_equal(req.target_len, HTTP_LINE_MAX);
	/* headers past 8 KiB */
	strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	size_t o = strlen(s);
	memset(s + o, 'c', HTTP_HEAD_MAX);
	s[o + HTTP_HEAD_MAX] = '\0';
	assert_int_equal(status_of(s), 431);
	assert_int_equal(req.err_off, HTTP_HEAD_MAX);
	/* too many header lines */
	strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX + 1; i++)
		strcat(s, "X: y\r\n");
	strcat(s, "\r\n");
	assert_int_equal(status_of(s), 431);
	/* the start of header line HTTP_HEADERS_MAX + 1, Host being the first */
	assert_int_equal(req.err_off,
			 strlen("GET / HTTP/1.1\r\nHost: a\r\n") + (HTTP_HEADERS_MAX - 1) * 6);
	free(s);
}

static void test_http_split_target(void **st)
{
	const char *p, *q;
	size_t pl, ql;
	http_split_target("/domain?name=a.b#frag", 21, &p, &pl, &q, &ql);
	assert_int_equal(pl, 7);
	assert_memory_equal(p, "/domain", 7);
	assert_int_equal(ql, 8);
	assert_memory_equal(q, "name=a.b", 8);
	http_split_target("/x", 2, &p, &pl, &q, &ql);
	assert_int_equal(pl, 2);
	assert_int_equal(ql, 0);
}

static void test_http_pct_decode(void **st)
{
	char out[32];
	assert_int_equal(http_pct_decode(out, sizeof out, "a%2Fb+c", 7, 1, NULL), 5);
	assert_string_equal(out, "a/b c");
	assert_int_equal(http_pct_decode(out, sizeof out, "a+b", 3, 0, NULL), 3);
	assert_string_equal(out, "a+b");
	assert_int_equal(http_pct_decode(out, sizeof out, "%2e%2e", 6, 1, NULL), 2);
	assert_string_equal(out, "..");
	assert_int_equal(http_pct_decode(out, sizeof out, "%2", 2, 1, NULL), -1);
	assert_int_equal(http_pct_decode(out, sizeof out, "%zz", 3, 1, NULL), -1);
	assert_int_equal(http_pct_decode(out, sizeof out, "a%00b", 5, 1, NULL), -1);
	assert_int_equal(http_pct_decode(out, 4, "abcd", 4, 1, NULL), -1);
	/* where: the escape, the NUL's escape, the byte that did not fit */
	size_t off = 99;
	assert_int_equal(http_pct_decode(out, sizeof out, "ab%2", 4, 1, &off), -1);
	assert_int_equal(off, 2);
	assert_int_equal(http_pct_decode(out, sizeof out, "a+b%zz", 6, 1, &off), -1);
	assert_int_equal(off, 3);
	assert_int_equal(http_pct_decode(out, sizeof out, "abc%00", 6, 1, &off), -1);
	assert_int_equal(off, 3);
	assert_int_equal(http_pct_decode(out, 4, "abcdef", 6, 1, &off), -1);
	assert_int_equal(off, 3);
}

static void test_http_query_get(void **st)
{
	char out[64];
	const char *q = "q=%3Cscript%3E&name=x&empty=&flag&name=second";
	size_t n = strlen(q);
	assert_int_equal(http_query_get(q, n, "q", out, sizeof out, NULL), 1);
	assert_string_equal(out, "<script>");
	assert_int_equal(http_query_get(q, n, "name", out, sizeof out, NULL), 1);
	assert_string_equal(out, "x");
	assert_int_equal(http_query_get(q, n, "empty", out, sizeof out, NULL), 1);
	assert_string_equal(out, "");
	assert_int_equal(http_query_get(q, n, "flag", out, sizeof out, NULL), 1);
	assert_int_equal(http_query_get(q, n, "nam", out, sizeof out, NULL), 0);
	assert_int_equal(http_query_get("a=%G1", 5, "a", out, sizeof out, NULL), -1);
	/* the offset is in the whole query string, not in the value */
	size_t off = 99;
	const char *bad = "q=ok&name=ab%G1&x=1";
	assert_int_equal(http_query_get(bad, strlen(bad), "name", out, sizeof out, &off), -1);
	assert_int_equal(off, 12);
	assert_int_equal(http_query_get(bad, strlen(bad), "q", out, sizeof out, &off), 1);
	assert_int_equal(http_query_get(bad, strlen(bad), "x", out, 1, &off), -1);
	assert_int_equal(off, 18);
}

static void test_http_hbuf_bounded(void **st)
{
	struct hbuf b;
	hbuf_init(&b, 10);
	hbuf_puts(&b, "12345");
	hbuf_printf(&b, "%d", 678);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.p, "12345678");
	hbuf_puts(&b, "abc");	/* would pass 10 */
	assert_int_equal(b.err, 1);
	assert_int_equal(b.len, 8);
	hbuf_puts(&b, "z");	/* sticky */
	assert_int_equal(b.len, 8);
	hbuf_reset(&b);
	char big[600];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	hbuf_printf(&b, "%s", big);	/* longer than printf's stack buffer and the bound */
	assert_int_equal(b.err, 1);
	hbuf_fini(&b);
	hbuf_init(&b, 4096);
	hbuf_printf(&b, "%s", big);
	assert_int_equal(b.len, sizeof big - 1);
	hbuf_fini(&b);
}

static void test_http_head_has_security_headers(void **st)
{
	struct hbuf b;
	char date[HTTP_DATE_MAX];
	http_date(date, 784111777);
	assert_string_equal(date, "Sun, 06 Nov 1994 08:49:37 GMT");
	hbuf_init(&b, 1 << 16);
	http_head(&b, 404, "text/html", 12, 1, date, "X-Extra: 1\r\n");
	assert_non_null(strstr(b.p, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(b.p, "Content-Length: 12\r\n"));
	assert_non_null(strstr(b.p, "Content-Security-Policy: default-src 'none'"));
	assert_non_null(strstr(b.p, "X-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strstr(b.p, "frame-ancestors 'none'"));
	assert_non_null(strstr(b.p, "X-Extra: 1\r\n\r\n"));
	hbuf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_get_with_host_is_done),
		cmocka_unit_test(test_http_head_and_bare_lf_and_http10),
		cmocka_unit_test(test_http_incomplete_head_wants_more),
		cmocka_unit_test(test_http_malformed_heads_are_400_at_the_fault),
		cmocka_unit_test(test_http_versions_and_methods),
		cmocka_unit_test(test_http_bodies_are_flagged),
		cmocka_unit_test(test_http_long_target_is_414_and_big_head_431),
		cmocka_unit_test(test_http_split_target),
		cmocka_unit_test(test_http_pct_decode),
		cmocka_unit_test(test_http_query_get),
		cmocka_unit_test(test_http_hbuf_bounded),
		cmocka_unit_test(test_http_head_has_security_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
