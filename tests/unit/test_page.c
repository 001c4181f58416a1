/*
 * test_page: the pages of `tip serve` without a socket: the route table
 * (which paths exist, which run on a worker), the answers a page gives a
 * request (status, type, header lines, body) over a real store, and the
 * errors for bad requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "html.h"
#include "http.h"
#include "mail.h"
#include "page.h"
#include "rec_spam.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0 1700000000000000LL

int tip_usage(const char *cmd);

/* tools/main.c is not linked: the commands beside the pages (query.c) report usage through this. */
int tip_usage(const char *cmd)
{
	fail_msg("tip %s: usage", cmd);
	return 2;
}

static void req(struct http_req *r, const char *text)
{
	static uint8_t buf[HTTP_HEAD_MAX];
	size_t n = strlen(text);
	assert_true(n < sizeof buf);
	memcpy(buf, text, n);
	assert_int_equal(http_parse(r, buf, n), HTTP_DONE);
	assert_int_equal(r->head_len, n);
}

static void get(struct page_ctx *x, struct page_job *j, const char *target)
{
	char text[512];
	snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", target);
	page_job_init(j, x);
	req(&j->req, text);
	assert_int_equal(page_run(j), 0);
}

static int body_has(const struct page_job *j, const char *s)
{
	return j->body.p && memmem(j->body.p, j->body.len, s, strlen(s)) != NULL;
}

/* One sensor's store: flux.test on four addresses, quiet.test on one. */
static char *make_store(void)
{
	char *dir = tu_tmpdir();
	char err[256];
	struct seg_policy pol = {.no_fsync = 1};
	struct seg_writer *w = seg_writer_new(dir, "unit", &pol, err, sizeof err);
	assert_non_null(w);
	static const uint8_t four[] = {192, 0, 2, 1, 192, 0, 2, 2, 198, 51, 100, 3, 203, 0, 113, 4};
	static const uint8_t one[] = {192, 0, 2, 9};
	const struct {
		const char *name;
		const uint8_t *a;
		uint32_t n;
	} obs[] = {{"flux.test", four, 4}, {"quiet.test", one, 1}};
	for (size_t i = 0; i < 2; i++) {
		struct rec r = tu_dns_a(obs[i].name, T0 + (int64_t)i, obs[i].a, obs[i].n);
		assert_int_equal(seg_writer_append(w, &r), 0);
	}
	/* a spam message naming flux.test, from 192.0.2.9, seen twice; its subject is hostile */
	static const char mail[] = "Received: from bot ([192.0.2.9]) by mx\nFrom: x@spam.test\n"
				   "Subject: <script>alert(1)</script>\n\nhttp://www.flux.test/buy\n";
	struct mail_opts mo;
	struct mail_msg *mm = malloc(sizeof *mm);
	uint8_t *scratch = malloc(REC_SPAM_SCRATCH);
	mail_opts_default(&mo);
	mo.trust_private = 0;
	assert_int_equal(mail_parse(mail, sizeof mail - 1, &mo, mm), 0);
	struct rec sr;
	memset(&sr, 0, sizeof sr);
	rec_spam_from_mail(&sr, mm, "maildir", scratch);
	sr.ts_us = T0 + 10;
	assert_int_equal(seg_writer_append(w, &sr), 0);
	memset(&sr, 0, sizeof sr);
	sr.type = REC_SPAM;
	sr.ts_us = T0 + 20;
	sr.u.spam = (struct rec_spam){.op = REC_SPAM_REPEAT, .digest = mm->digest, .source = "maildir",
				      .source_len = 7};
	assert_int_equal(seg_writer_append(w, &sr), 0);
	free(mm);
	free(scratch);
	assert_int_equal(seg_writer_close(w), 0);
	return dir;
}

static void ctx_open(struct page_ctx *x, char **dir)
{
	char err[256];
	*dir = make_store();
	page_ctx_init(x);
	assert_int_equal(store_set_add(&x->set, *dir, err, sizeof err), 0);
	assert_int_equal(page_ctx_open(x), 0);
}

static void ctx_close(struct page_ctx *x, char *dir)
{
	page_ctx_fini(x);
	tu_rmrf(dir);
	free(dir);
}

static void test_page_routes_worker_flag(void **st)
{
	(void)st;
	static const char *const data[] = {"/", "/flux", "/flux.csv", "/flux.cof", "/domain",
					   "/domain.csv", "/domain.cof", "/ip", "/ip.csv", "/ip.cof",
					   "/search", "/sensors"};
	struct http_req r;
	char text[256];
	for (size_t i = 0; i < sizeof data / sizeof data[0]; i++) {
		snprintf(text, sizeof text, "GET %s?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", data[i]);
		req(&r, text);
		assert_int_equal(page_on_worker(&r), 1);
	}
	/* fixed and unknown routes, other methods: answered on the loop */
	req(&r, "GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(page_on_worker(&r), 0);
	req(&r, "GET /flux/ HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(page_on_worker(&r), 0);
	req(&r, "GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(page_on_worker(&r), 0);
	req(&r, "DELETE /flux HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(page_on_worker(&r), 0);
}

static void test_page_fixed_and_error_answers(void **st)
{
	(void)st;
	struct page_ctx x;
	struct page_job j;
	page_ctx_init(&x);
	assert_int_equal(page_ctx_open(&x), 0);

	get(&x, &j, "/style.css");
	assert_int_equal(j.status, 200);
	assert_string_equal(j.ctype, "text/css; charset=utf-8");
	assert_int_equal(j.body.len, strlen(html_css));
	assert_memory_equal(j.body.p, html_css, j.body.len);
	page_job_fini(&j);

	get(&x, &j, "/nothing");
	assert_int_equal(j.status, 404);
	assert_true(body_has(&j, "no such page"));
	page_job_fini(&j);

	page_job_init(&j, &x);
	req(&j.req, "DELETE /flux HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(page_run(&j), 0);
	assert_int_equal(j.status, 405);
	page_job_fini(&j);

	/* untrusted detail is escaped into the page */
	page_job_init(&j, &x);
	assert_int_equal(page_error(&j, 400, "bad parameter", "<script>"), 0);
	assert_int_equal(j.status, 400);
	assert_true(body_has(&j, "&lt;script&gt;"));
	assert_false(body_has(&j, "<script>"));
	page_job_fini(&j);
	page_ctx_fini(&x);
}

static void test_page_answers_over_a_store(void **st)
{
	(void)st;
	struct page_ctx x;
	struct page_job j;
	char *dir;
	ctx_open(&x, &dir);

	/* by default the table lists fast flux only: neither name scores that high */
	get(&x, &j, "/flux");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "0 fast-flux names of 2 names seen"));
	assert_false(body_has(&j, "quiet.test"));
	page_job_fini(&j);

	get(&x, &j, "/flux?min=0");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "flux.test"));
	assert_true(body_has(&j, "quiet.test"));
	page_job_fini(&j);

	get(&x, &j, "/flux?min=lots");
	assert_int_equal(j.status, 400);
	page_job_fini(&j);

	get(&x, &j, "/domain?name=flux.test");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "198.51.100.3"));
	assert_true(body_has(&j, "<svg"));
	page_job_fini(&j);

	get(&x, &j, "/domain.csv?name=FLUX.test");
	assert_int_equal(j.status, 200);
	assert_string_equal(j.ctype, "text/csv; charset=utf-8");
	assert_true(body_has(&j, "flux.test,203.0.113.4,"));
	page_job_fini(&j);

	get(&x, &j, "/domain?name=absent.test");
	assert_int_equal(j.status, 404);
	page_job_fini(&j);

	get(&x, &j, "/domain");
	assert_int_equal(j.status, 400);
	page_job_fini(&j);

	get(&x, &j, "/ip?a=192.0.2.9");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "quiet.test"));
	assert_false(body_has(&j, "flux.test"));
	page_job_fini(&j);

	get(&x, &j, "/ip?a=not-an-address");
	assert_int_equal(j.status, 400);
	page_job_fini(&j);

	/* a search for an address is a redirect to its page */
	get(&x, &j, "/search?q=192.0.2.9");
	assert_int_equal(j.status, 302);
	assert_non_null(strstr(j.extra, "Location: /ip?a=192.0.2.9"));
	page_job_fini(&j);

	get(&x, &j, "/search?q=uiet");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "quiet.test"));
	page_job_fini(&j);

	get(&x, &j, "/sensors");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "unit"));
	page_job_fini(&j);

	ctx_close(&x, dir);
}

static void test_page_seen_in_spam(void **st)
{
	(void)st;
	struct page_ctx x;
	struct page_job j;
	char *dir;
	ctx_open(&x, &dir);
	get(&x, &j, "/domain?name=flux.test");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "Seen in spam"));
	assert_true(body_has(&j, "1 messages, seen 2 times"));
	assert_true(body_has(&j, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_false(body_has(&j, "<script>alert"));
	page_job_fini(&j);
	get(&x, &j, "/ip?a=192.0.2.9");
	assert_int_equal(j.status, 200);
	assert_true(body_has(&j, "1 messages, seen 2 times"));
	page_job_fini(&j);
	get(&x, &j, "/domain?name=quiet.test");
	assert_true(body_has(&j, "Not seen in spam."));
	page_job_fini(&j);
	ctx_close(&x, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_routes_worker_flag),
		cmocka_unit_test(test_page_fixed_and_error_answers),
		cmocka_unit_test(test_page_answers_over_a_store),
		cmocka_unit_test(test_page_seen_in_spam),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
