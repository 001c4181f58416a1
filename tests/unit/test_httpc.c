/*
 * test_httpc: the fetch client's pure parsers (sensor/httpc.c): URLs and
 * redirect targets, the response head's verdicts on good, hostile and
 * odd heads, and the chunked decoder fed whole and one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "httpc.h"

static const char *why;

static int url(struct httpc_url *u, const char *s)
{
	return httpc_url_parse(u, s, strlen(s), &why);
}

static void test_httpc_url_parses_parts(void **state)
{
	struct httpc_url u;
	assert_int_equal(url(&u, "https://Feeds.Example.ORG/drop/drop.txt?x=1#frag"), 0);
	assert_true(u.https);
	assert_string_equal(u.host, "feeds.example.org");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/drop/drop.txt?x=1");
	assert_int_equal(url(&u, "http://10.0.0.1:8080"), 0);
	assert_false(u.https);
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.path, "/");
	assert_int_equal(url(&u, "http://[::1]:99/a"), 0);
	assert_true(u.host_v6);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 99);
	assert_int_equal(url(&u, "http://h?q=1"), 0);
	assert_string_equal(u.path, "/?q=1");
	char buf[128];
	assert_int_equal(url(&u, "https://[::1]:8443/x"), 0);
	assert_true(httpc_url_format(&u, buf, sizeof buf) > 0);
	assert_string_equal(buf, "https://[::1]:8443/x");
	assert_int_equal(url(&u, "https://h:443/y.txt.gz?v=2"), 0);
	assert_true(httpc_url_format(&u, buf, sizeof buf) > 0);
	assert_string_equal(buf, "https://h/y.txt.gz?v=2");
	assert_true(httpc_url_is_gz(&u));
}

static void test_httpc_url_refuses_bad(void **state)
{
	struct httpc_url u;
	const char *bad[] = {"ftp://h/", "http://", "http:///x", "http://h:0/", "http://h:65536/",
			     "http://h:8a/", "http://user@h/", "http://h/a b", "http://[::1/", "http://h\x01/",
			     "https://h:/", "http://[::1]x/", "javascript:alert(1)"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		assert_int_equal(url(&u, bad[i]), -1);
		assert_non_null(why);
	}
	char longp[HTTPC_PATH_MAX + 40] = "http://h/";
	memset(longp + 9, 'a', HTTPC_PATH_MAX + 10);
	longp[sizeof longp - 1] = 0;
	assert_int_equal(url(&u, longp), -1);
}

static void test_httpc_location_resolves(void **state)
{
	struct httpc_url base, u;
	assert_int_equal(url(&base, "https://a.example:8443/dir/list.txt?x"), 0);
	struct {
		const char *loc, *want;
	} c[] = {
		{"/other", "https://a.example:8443/other"},
		{"next.txt", "https://a.example:8443/dir/next.txt"},
		{"//b.example/p", "https://b.example/p"},
		{"http://c.example/q", "http://c.example/q"},
		{"  /sp", "https://a.example:8443/sp"},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char buf[256];
		assert_int_equal(httpc_url_resolve(&u, &base, c[i].loc, strlen(c[i].loc), &why), 0);
		assert_true(httpc_url_format(&u, buf, sizeof buf) > 0);
		assert_string_equal(buf, c[i].want);
	}
	assert_int_equal(httpc_url_resolve(&u, &base, "", 0, &why), -1);
	assert_int_equal(httpc_url_resolve(&u, &base, "ftp://x/", 8, &why), -1);
}

static struct httpc_resp resp;

static int head(const char *s)
{
	size_t n = strlen(s);
	size_t e = httpc_head_end((const uint8_t *)s, n);
	if (!e)
		return -2;
	return httpc_resp_parse(&resp, (const uint8_t *)s, e, 0, &why);
}

static void test_httpc_head_good(void **state)
{
	assert_int_equal(head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: \"abc\"\r\n"
			      "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\nContent-Encoding: gzip\r\n"
			      "Content-Type: text/plain\r\n\r\nbody"), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.framing, HTTPC_BODY_LENGTH);
	assert_int_equal(resp.content_length, 12);
	assert_string_equal(resp.etag, "\"abc\"");
	assert_string_equal(resp.last_modified, "Tue, 01 Dec 2026 10:00:00 GMT");
	assert_true(resp.gzip);
	assert_string_equal(resp.reason, "OK");
	assert_int_equal(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 0);
	assert_int_equal(resp.framing, HTTPC_BODY_CHUNKED);
	assert_int_equal(head("HTTP/1.0 200\n\n"), 0);
	assert_int_equal(resp.framing, HTTPC_BODY_CLOSE);
	assert_true(resp.close);
	assert_int_equal(head("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n"), 0);
	assert_int_equal(resp.framing, HTTPC_BODY_NONE);
	assert_int_equal(head("HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"), 0);
	assert_true(resp.has_location);
	assert_string_equal(resp.location, "/x");
	assert_int_equal(head("HTTP/1.1 302 Found\r\nLocation:\r\n\r\n"), 0);
	assert_false(resp.has_location);
	/* a validator too long is not kept rather than cut */
	char big[600];
	snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nETag: %0400d\r\n\r\n", 7);
	assert_int_equal(head(big), 0);
	assert_string_equal(resp.etag, "");
}

static void test_httpc_head_refuses_bad(void **state)
{
	const char *bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 999 X\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		assert_int_equal(head(bad[i]), -1);
		assert_non_null(why);
	}
	static const uint8_t nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	assert_int_equal(httpc_resp_parse(&resp, nul, sizeof nul - 1, 0, &why), -1);
	assert_int_equal(head("HTTP/1.1 200 OK\r\nX: y\r\n"), -2);	/* not complete yet */
}

static void test_httpc_head_end_straddles(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nA: b\r\n\r\nrest";
	assert_int_equal(httpc_head_end((const uint8_t *)s, strlen(s)), strlen(s) - 4);
	assert_int_equal(httpc_head_end((const uint8_t *)s, strlen(s) - 5), 0);
	assert_int_equal(httpc_head_end((const uint8_t *)"X\n\nY", 4), 3);
}

/* Decode s all at once, or in pieces of step bytes; the body into out. */
static int dechunk(const char *s, size_t step, char *out, size_t *outn, size_t *consumed)
{
	struct httpc_chunked c;
	httpc_chunked_init(&c);
	size_t n = strlen(s), i = 0;
	*outn = 0;
	uint8_t tmp[256];
	while (i < n && !c.done) {
		size_t k = step && step < n - i ? step : n - i;
		memcpy(tmp, s + i, k);
		size_t o;
		long r = httpc_chunked_decode(&c, tmp, k, &o, &why);
		if (r < 0)
			return -1;
		memcpy(out + *outn, tmp, o);
		*outn += o;
		i += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	out[*outn] = 0;
	*consumed = i;
	return c.done ? 1 : 0;
}

static void test_httpc_chunked_decodes(void **state)
{
	const char *s = "5\r\nhello\r\n7;ext=1\r\n, world\r\nB\r\n 0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	char out[128];
	size_t n, used;
	for (size_t step = 0; step < 8; step++) {
		assert_int_equal(dechunk(s, step, out, &n, &used), 1);
		assert_string_equal(out, "hello, world 0123456789");
		assert_int_equal(used, strlen(s) - 4);	/* stops before NEXT */
	}
	assert_int_equal(dechunk("3\nabc\n0\n\n", 1, out, &n, &used), 1);
	assert_string_equal(out, "abc");
	/* incomplete: not done, no error */
	assert_int_equal(dechunk("5\r\nhel", 0, out, &n, &used), 0);
	assert_string_equal(out, "hel");
}

static void test_httpc_chunked_refuses_bad(void **state)
{
	const char *bad[] = {"x\r\n", "\r\n", "5\r\nhelloX\r\n", "1000000000000000\r\n", "5\x01\r\n",
			     "0\r\n\rX"};
	char out[128];
	size_t n, used;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		for (size_t step = 0; step < 3; step++)
			assert_int_equal(dechunk(bad[i], step, out, &n, &used), -1);
	/* a size line with endless extensions is cut off */
	static char ext[8000];
	memset(ext, 'e', sizeof ext - 1);
	ext[0] = '1';
	ext[1] = ';';
	assert_int_equal(dechunk(ext, 100, out, &n, &used), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpc_url_parses_parts),
		cmocka_unit_test(test_httpc_url_refuses_bad),
		cmocka_unit_test(test_httpc_location_resolves),
		cmocka_unit_test(test_httpc_head_good),
		cmocka_unit_test(test_httpc_head_refuses_bad),
		cmocka_unit_test(test_httpc_head_end_straddles),
		cmocka_unit_test(test_httpc_chunked_decodes),
		cmocka_unit_test(test_httpc_chunked_refuses_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
