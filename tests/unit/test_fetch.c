/*
 * test_fetch: the fetch client (sensor/fetch.c) over plain HTTP against a
 * scripted server on 127.0.0.1 in the same libev loop: the request it
 * sends (Host, User-Agent, validators), Content-Length, chunked and gzip
 * bodies, 304, redirects, interim 1xx heads, and each failure (truncated,
 * too big, a gzip bomb, read timeout, HTTP errors, garbage, a receiver that
 * stops), the clock policy, and the lifetime rules: on_done never inside
 * fetch_start, exactly once, never after fetch_cancel.  The TLS paths are
 * tested against real servers by tests/integration/fetch.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>
#include <zlib.h>

#include "clock.h"
#include "fetch.h"

#define MAXRESP 4

/* ---- the scripted server -------------------------------------------------------------- */

struct srv {
	struct ev_loop *loop;
	int lfd;
	uint16_t port;
	ev_io accept_w;
	/* per request number: the bytes to answer with, then close (stall: never answer) */
	const char *resp[MAXRESP];
	size_t resp_len[MAXRESP];
	int stall;
	int nreq;
	char req[MAXRESP][2048];
	/* the connection being served */
	int cfd;
	ev_io rw, ww;
	size_t inlen, outoff;
	const char *out;
	size_t outlen;
};

static struct srv S;

static void srv_close_conn(void)
{
	if (S.cfd >= 0) {
		ev_io_stop(S.loop, &S.rw);
		ev_io_stop(S.loop, &S.ww);
		close(S.cfd);
		S.cfd = -1;
	}
}

static void srv_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	ssize_t k = send(S.cfd, S.out + S.outoff, S.outlen - S.outoff, MSG_NOSIGNAL);
	if (k > 0)
		S.outoff += (size_t)k;
	if (k < 0 && errno == EAGAIN)
		return;
	if (k < 0 || S.outoff == S.outlen)
		srv_close_conn();
}

static void srv_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	int i = S.nreq < MAXRESP ? S.nreq : MAXRESP - 1;
	char *r = S.req[i];
	ssize_t k = recv(S.cfd, r + S.inlen, sizeof S.req[i] - 1 - S.inlen, 0);
	if (k <= 0) {
		srv_close_conn();
		return;
	}
	S.inlen += (size_t)k;
	r[S.inlen] = 0;
	if (!strstr(r, "\r\n\r\n"))
		return;
	S.nreq++;
	ev_io_stop(loop, &S.rw);
	if (S.stall)
		return;
	S.out = S.resp[i];
	S.outlen = S.resp_len[i] ? S.resp_len[i] : strlen(S.resp[i]);
	S.outoff = 0;
	ev_io_init(&S.ww, srv_on_write, S.cfd, EV_WRITE);
	ev_io_start(loop, &S.ww);
}

static void srv_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	int fd = accept4(S.lfd, NULL, NULL, SOCK_NONBLOCK);
	if (fd < 0)
		return;
	srv_close_conn();
	S.cfd = fd;
	S.inlen = 0;
	ev_io_init(&S.rw, srv_on_read, fd, EV_READ);
	ev_io_start(loop, &S.rw);
}

/* ---- the client side ------------------------------------------------------------------ */

static struct ev_loop *loop;
static int done_calls;
static struct fetch_result res;
static char errmsg[512], final_url[256];
static char body[1 << 20];
static size_t body_len;
static size_t stop_after;	/* on_data returns -1 past this many bytes; 0: never */

static int on_data(void *arg, const unsigned char *p, size_t n)
{
	if (body_len + n > sizeof body)
		return -1;
	memcpy(body + body_len, p, n);
	body_len += n;
	if (stop_after && body_len >= stop_after)
		return -1;
	return 0;
}

static void on_done(void *arg, const struct fetch_result *r)
{
	done_calls++;
	res = *r;
	/* the result's strings live only during on_done: copy them */
	snprintf(errmsg, sizeof errmsg, "%s", r->errmsg ? r->errmsg : "");
	snprintf(final_url, sizeof final_url, "%s", r->final_url);
	res.errmsg = errmsg;
	res.final_url = final_url;
	res.peer = NULL;
	ev_break(loop, EVBREAK_ALL);
}

static const struct fetch_cb cb = {on_data, on_done};

static void stop_loop(struct ev_loop *l, ev_timer *w, int revents)
{
	ev_break(l, EVBREAK_ALL);
}

/* Run the loop until on_done, or 5 s as a guard against a hang. */
static void run(void)
{
	ev_timer guard;
	ev_timer_init(&guard, stop_loop, 5., 0.);
	ev_timer_start(loop, &guard);
	ev_run(loop, 0);
	ev_timer_stop(loop, &guard);
}

static int setup(void **state)
{
	memset(&S, 0, sizeof S);
	loop = ev_loop_new(EVFLAG_AUTO);
	S.loop = loop;
	S.cfd = -1;
	S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (S.lfd < 0 || bind(S.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(S.lfd, 8) < 0)
		return -1;
	socklen_t sl = sizeof sa;
	getsockname(S.lfd, (struct sockaddr *)&sa, &sl);
	S.port = ntohs(sa.sin_port);
	ev_io_init(&S.accept_w, srv_on_accept, S.lfd, EV_READ);
	ev_io_start(loop, &S.accept_w);
	done_calls = 0;
	body_len = 0;
	stop_after = 0;
	memset(&res, 0, sizeof res);
	clock_set_synced(-1);
	return 0;
}

static int teardown(void **state)
{
	srv_close_conn();
	ev_io_stop(loop, &S.accept_w);
	close(S.lfd);
	ev_loop_destroy(loop);
	clock_set_synced(-1);
	return 0;
}

static char urlbuf[256];

static const char *url(const char *path)
{
	snprintf(urlbuf, sizeof urlbuf, "http://127.0.0.1:%u%s", S.port, path);
	return urlbuf;
}

static void get(struct fetch_opts *o)
{
	done_calls = 0;
	body_len = 0;
	struct fetch *f = fetch_start(loop, NULL, o, &cb, NULL);
	assert_non_null(f);
	assert_int_equal(done_calls, 0);	/* never from inside fetch_start */
	run();
	assert_int_equal(done_calls, 1);
}

static void get_url(const char *path)
{
	struct fetch_opts o = {.url = url(path)};
	get(&o);
}

/* gzip of s into out; its length. */
static size_t gz(const void *s, size_t n, unsigned char *out, size_t cap)
{
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)s;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t k = cap - z.avail_out;
	deflateEnd(&z);
	return k;
}

/* A fresh server and loop in the middle of a test. */
static void again(void **state)
{
	teardown(state);
	setup(state);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_fetch_plain_body_and_request(void **state)
{
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nETag: \"e1\"\r\n"
		    "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\nhello world";
	get_url("/list.txt");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(body_len, 11);
	assert_memory_equal(body, "hello world", 11);
	assert_int_equal(res.body_bytes, 11);
	assert_true(res.wire_bytes > 11);
	assert_string_equal(res.etag, "\"e1\"");
	assert_string_equal(res.last_modified, "Tue, 01 Dec 2026 10:00:00 GMT");
	assert_null(res.errmsg[0] ? res.errmsg : NULL);
	char host[64];
	snprintf(host, sizeof host, "Host: 127.0.0.1:%u\r\n", S.port);
	assert_non_null(strstr(S.req[0], "GET /list.txt HTTP/1.1\r\n"));
	assert_non_null(strstr(S.req[0], host));
	assert_non_null(strstr(S.req[0], "User-Agent: tip/" TIP_VERSION "\r\n"));
	assert_non_null(strstr(S.req[0], "Connection: close\r\n"));
	if (FETCH_GZIP)
		assert_non_null(strstr(S.req[0], "Accept-Encoding: gzip\r\n"));
	assert_null(strstr(S.req[0], "If-None-Match"));
}

static void test_fetch_chunked_gzip(void **state)
{
	if (!FETCH_GZIP)
		skip();
	static char plain[50000];
	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = "abcdefgh.example\n"[i % 17];
	static unsigned char z[60000];
	size_t zn = gz(plain, sizeof plain, z, sizeof z);
	/* the gzip stream in chunks of 100 bytes */
	static char resp[80000];
	size_t o = (size_t)snprintf(resp, sizeof resp,
				    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n");
	for (size_t i = 0; i < zn; i += 100) {
		size_t k = zn - i < 100 ? zn - i : 100;
		o += (size_t)snprintf(resp + o, sizeof resp - o, "%zx\r\n", k);
		memcpy(resp + o, z + i, k);
		o += k;
		memcpy(resp + o, "\r\n", 2);
		o += 2;
	}
	o += (size_t)snprintf(resp + o, sizeof resp - o, "0\r\n\r\n");
	S.resp[0] = resp;
	S.resp_len[0] = o;
	get_url("/l");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(body_len, sizeof plain);
	assert_memory_equal(body, plain, sizeof plain);
	assert_true(res.wire_bytes < sizeof plain / 4);
}

static void test_fetch_gz_file(void **state)
{
	if (!FETCH_GZIP)
		skip();
	static const char plain[] = "1.2.3.4\n5.6.7.8\n";
	static unsigned char z[200];
	size_t zn = gz(plain, sizeof plain - 1, z, sizeof z);
	static char resp[400];
	size_t o = (size_t)snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", zn);
	memcpy(resp + o, z, zn);
	S.resp[0] = resp;
	S.resp_len[0] = o + zn;
	get_url("/ips.txt.gz");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(body_len, sizeof plain - 1);
	assert_memory_equal(body, plain, sizeof plain - 1);
	/* a .gz URL whose bytes are not gzip (a server that inflated it) passes as is */
	again(state);
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n1.2.3.4\n";
	get_url("/ips.txt.gz");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(body_len, 8);
}

static void test_fetch_gzip_bomb_capped(void **state)
{
	if (!FETCH_GZIP)
		skip();
	static char zeros[4 << 20];
	static unsigned char z[20000];
	size_t zn = gz(zeros, sizeof zeros, z, sizeof z);
	static char resp[21000];
	size_t o = (size_t)snprintf(resp, sizeof resp,
				    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	memcpy(resp + o, z, zn);
	S.resp[0] = resp;
	S.resp_len[0] = o + zn;
	struct fetch_opts op = {.url = url("/bomb"), .max_bytes = 100000};
	get(&op);
	assert_int_equal(res.err, FETCH_E_TOO_BIG);
	assert_true(body_len <= 100000);
	assert_false(res.retryable);
}

static void test_fetch_bad_gzip(void **state)
{
	if (!FETCH_GZIP)
		skip();
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n0123456789";
	get_url("/x");
	assert_int_equal(res.err, FETCH_E_DECODE);
	assert_non_null(strstr(res.errmsg, "gzip"));
}

static void test_fetch_conditional_304(void **state)
{
	S.resp[0] = "HTTP/1.1 304 Not Modified\r\n\r\n";
	struct fetch_opts o = {.url = url("/l"), .etag = "\"v1\"", .last_modified = "Tue, 01 Dec 2026 10:00:00 GMT"};
	get(&o);
	assert_int_equal(res.err, FETCH_OK);
	assert_true(res.not_modified);
	assert_int_equal(res.status, 304);
	assert_int_equal(body_len, 0);
	assert_string_equal(res.etag, "\"v1\"");	/* kept: the server did not repeat it */
	assert_non_null(strstr(S.req[0], "If-None-Match: \"v1\"\r\n"));
	assert_non_null(strstr(S.req[0], "If-Modified-Since: Tue, 01 Dec 2026 10:00:00 GMT\r\n"));
}

static void test_fetch_validator_with_crlf_not_sent(void **state)
{
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
	struct fetch_opts o = {.url = url("/l"), .etag = "\"v1\"\r\nX-Evil: 1"};
	get(&o);
	assert_int_equal(res.err, FETCH_OK);
	assert_null(strstr(S.req[0], "X-Evil"));
	assert_null(strstr(S.req[0], "If-None-Match"));
}

static void test_fetch_304_without_validators_is_error(void **state)
{
	S.resp[0] = "HTTP/1.1 304 Not Modified\r\n\r\n";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_HTTP);
}

static void test_fetch_redirect_relative(void **state)
{
	S.resp[0] = "HTTP/1.1 302 Found\r\nLocation: next.txt\r\nContent-Length: 5\r\n\r\nmoved";
	S.resp[1] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	get_url("/dir/first.txt");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(res.redirects, 1);
	assert_int_equal(S.nreq, 2);
	assert_non_null(strstr(S.req[1], "GET /dir/next.txt HTTP/1.1"));
	assert_int_equal(body_len, 2);	/* the redirect's body is not delivered */
	assert_memory_equal(body, "ok", 2);
	char want[128];
	snprintf(want, sizeof want, "http://127.0.0.1:%u/dir/next.txt", S.port);
	assert_string_equal(res.final_url, want);
}

static void test_fetch_redirects_capped(void **state)
{
	for (int i = 0; i < MAXRESP; i++)
		S.resp[i] = "HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n";
	struct fetch_opts o = {.url = url("/start"), .max_redirects = 2};
	get(&o);
	assert_int_equal(res.err, FETCH_E_REDIRECT);
	assert_int_equal(S.nreq, 3);
	assert_false(res.retryable);
	/* -1: none followed */
	again(state);
	S.resp[0] = "HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n";
	struct fetch_opts o2 = {.url = url("/start"), .max_redirects = -1};
	get(&o2);
	assert_int_equal(res.err, FETCH_E_REDIRECT);
	assert_int_equal(S.nreq, 1);
}

static void test_fetch_truncated(void **state)
{
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_TRUNCATED);
	assert_true(res.retryable);
	assert_non_null(strstr(res.errmsg, "10 of 100"));
	again(state);
	S.resp[0] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_TRUNCATED);
	again(state);
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Le";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_TRUNCATED);
	assert_int_equal(res.status, 0);
}

static void test_fetch_body_until_close(void **state)
{
	S.resp[0] = "HTTP/1.0 200 OK\r\n\r\nall of it";
	get_url("/l");
	assert_int_equal(res.err, FETCH_OK);
	assert_int_equal(body_len, 9);
}

static void test_fetch_too_big(void **state)
{
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
	struct fetch_opts o = {.url = url("/l"), .max_bytes = 1000};
	get(&o);
	assert_int_equal(res.err, FETCH_E_TOO_BIG);
	assert_int_equal(body_len, 0);
	again(state);
	static char resp[6000];
	size_t n = (size_t)snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n\r\n");
	memset(resp + n, 'x', 5000);
	S.resp[0] = resp;
	S.resp_len[0] = n + 5000;
	struct fetch_opts o2 = {.url = url("/l"), .max_bytes = 1000};
	get(&o2);
	assert_int_equal(res.err, FETCH_E_TOO_BIG);
	assert_true(body_len <= 1000);
}

static void test_fetch_read_timeout(void **state)
{
	S.stall = 1;
	struct fetch_opts o = {.url = url("/l"), .read_timeout = 0.2};
	get(&o);
	assert_int_equal(res.err, FETCH_E_TIMEOUT);
	assert_non_null(strstr(res.errmsg, "read timeout"));
	assert_true(res.retryable);
}

static void test_fetch_http_errors(void **state)
{
	S.resp[0] = "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_HTTP);
	assert_int_equal(res.status, 503);
	assert_true(res.retryable);
	assert_int_equal(body_len, 0);
	again(state);
	S.resp[0] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_HTTP);
	assert_false(res.retryable);
	again(state);
	S.resp[0] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_PROTO);
}

static void test_fetch_receiver_stops(void **state)
{
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
	stop_after = 1;
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_ABORTED);
}

static void test_fetch_bad_url_reported_later(void **state)
{
	struct fetch_opts o = {.url = "gopher://x/"};
	get(&o);
	assert_int_equal(res.err, FETCH_E_URL);
	struct fetch_opts none = {0};
	assert_null(fetch_start(loop, NULL, &none, &cb, NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_fetch_https_waits_for_clock(void **state)
{
	clock_set_synced(0);
	struct fetch_opts o = {.url = "https://127.0.0.1:1/l"};
	get(&o);
	assert_int_equal(res.err, ENABLE_TLS ? FETCH_E_CLOCK : FETCH_E_UNSUPPORTED);
	assert_int_equal(res.retryable, ENABLE_TLS);
	/* plain HTTP needs no clock */
	S.resp[0] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
	get_url("/l");
	assert_int_equal(res.err, FETCH_OK);
}

static void test_fetch_cancel_no_callback(void **state)
{
	S.stall = 1;
	struct fetch_opts o = {.url = url("/l")};
	struct fetch *f = fetch_start(loop, NULL, &o, &cb, NULL);
	assert_non_null(f);
	fetch_cancel(f);	/* before anything ran */
	f = fetch_start(loop, NULL, &o, &cb, NULL);
	ev_timer t;
	ev_timer_init(&t, stop_loop, 0.2, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);	/* connected, request sent, waiting */
	assert_int_equal(S.nreq, 1);
	fetch_cancel(f);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	assert_int_equal(done_calls, 0);
}

static void test_fetch_connect_refused(void **state)
{
	close(S.lfd);
	ev_io_stop(loop, &S.accept_w);
	S.lfd = socket(AF_INET, SOCK_STREAM, 0);	/* teardown closes it */
	get_url("/l");
	assert_int_equal(res.err, FETCH_E_CONNECT);
	assert_non_null(strstr(res.errmsg, "refused"));
	assert_true(res.retryable);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fetch_plain_body_and_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_chunked_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_gz_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_gzip_bomb_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_bad_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_conditional_304, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_validator_with_crlf_not_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_304_without_validators_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_redirect_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_redirects_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_body_until_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_read_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_http_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_receiver_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_bad_url_reported_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_https_waits_for_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_cancel_no_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_connect_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
