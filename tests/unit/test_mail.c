/* Unit tests for store/mail.c: the mail parser, on synthetic and hostile mail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "mail.h"

static struct mail_msg *msg;
static struct mail_opts opts;

static int setup(void **state)
{
	msg = malloc(sizeof *msg);
	mail_opts_default(&opts);
	return msg ? 0 : -1;
}

static int teardown(void **state)
{
	free(msg);
	return 0;
}

static int parse(const char *text)
{
	return mail_parse(text, strlen(text), &opts, msg);
}

static int has_host(const char *h, const char *dom)
{
	for (uint32_t i = 0; i < msg->n_hosts; i++)
		if (msg->hosts[i].len == strlen(h) && !memcmp(mail_str_ptr(msg, msg->hosts[i]), h, strlen(h))) {
			if (!dom)
				return msg->domains[i].len == 0;
			return msg->domains[i].len == strlen(dom) &&
			       !memcmp(mail_str_ptr(msg, msg->domains[i]), dom, strlen(dom));
		}
	return 0;
}

static int has_url(const char *u)
{
	for (uint32_t i = 0; i < msg->n_urls; i++)
		if (msg->urls[i].len == strlen(u) && !memcmp(mail_str_ptr(msg, msg->urls[i]), u, strlen(u)))
			return 1;
	return 0;
}

static void test_mail_text_urls_trimmed(void **state)
{
	assert_int_equal(parse("From: \"Bob\" <bob@Mail.Example.COM>\r\n"
			       "Reply-To: x@reply.example.net\r\n"
			       "Return-Path: <bounce@bounce.example.org>\r\n"
			       "Message-ID: <1234@mid.example.co.uk>\r\n"
			       "Subject: buy\r\n\tnow\r\n"
			       "\r\n"
			       "Visit HTTP://Shop.Example.COM/a?b=1. Or (see www.pills.co.uk/x), also\r\n"
			       "https://user:pw@evil.blogspot.com:8080/p; and http:// and www.\r\n"
			       "ftp://files.example.ru/f.exe! twice: http://Shop.Example.COM/a?b=1\r\n"),
			 0);
	assert_int_equal(msg->bad, 0);
	assert_string_equal(msg->from_dom, "mail.example.com");
	assert_string_equal(msg->reply_dom, "reply.example.net");
	assert_string_equal(msg->rpath_dom, "bounce.example.org");
	assert_string_equal(msg->msgid_dom, "mid.example.co.uk");
	assert_string_equal(msg->subject, "buy now");	/* control bytes kept as spaces */
	assert_true(has_url("http://Shop.Example.COM/a?b=1"));
	assert_true(has_url("http://www.pills.co.uk/x"));
	assert_true(has_url("https://user:pw@evil.blogspot.com:8080/p"));
	assert_true(has_url("ftp://files.example.ru/f.exe"));
	assert_int_equal(msg->n_urls, 4);	/* the repeat is one URL */
	assert_true(has_host("shop.example.com", "example.com"));
	assert_true(has_host("www.pills.co.uk", "pills.co.uk"));
	assert_true(has_host("evil.blogspot.com", "evil.blogspot.com"));
	assert_true(has_host("files.example.ru", "example.ru"));
	assert_int_equal(msg->n_hosts, 4);
}

static void test_mail_reg_domain_rules(void **state)
{
	static const struct {
		const char *host, *dom;
	} cases[] = {
		{"a.b.example.com", "example.com"}, {"example.com", "example.com"},
		{"www.bbc.co.uk", "bbc.co.uk"}, {"x.shop.com.cn", "shop.com.cn"},
		{"foo.bar.de", "bar.de"}, {"me.duckdns.org", "me.duckdns.org"},
		{"co.uk", NULL}, {"com", NULL}, {"10.1.2.3", NULL}, {"x.y.z.h8h.com.tw", "h8h.com.tw"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t dl = 0;
		long off = mail_reg_domain(cases[i].host, strlen(cases[i].host), &dl);
		if (!cases[i].dom) {
			assert_int_equal(off, -1);
			continue;
		}
		assert_true(off >= 0);
		assert_int_equal(dl, strlen(cases[i].dom));
		assert_memory_equal(cases[i].host + off, cases[i].dom, dl);
	}
}

static void test_mail_mime_qp_base64_html(void **state)
{
	/* base64 of: <a href="&#104;ttp://b64.example.org/x?a=1&amp;b=2">x</a> <img src='http://img.example.net/i.gif'> */
	const char *html_b64 =
		"PGEgaHJlZj0iJiMxMDQ7dHRwOi8vYjY0LmV4YW1wbGUub3JnL3g/YT0xJmFtcDtiPTIiPng8L2E+IDxp\r\n"
		"bWcgc3JjPSdodHRwOi8vaW1nLmV4YW1wbGUubmV0L2kuZ2lmJz4=\r\n";
	char text[2048];
	snprintf(text, sizeof text,
		 "From: a@b.example\r\nSubject: =?utf-8?B?SGVsbG8=?= =?iso-8859-1?Q?w=F6rld_x?=\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
		 "preamble http://preamble.example.com/ ignored\r\n"
		 "--outer\r\n"
		 "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
		 "--inner\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		 "see http://qp.exa=\r\nmple.com/p=3D1 now\r\n"
		 "--inner\r\n"
		 "Content-Type: text/html\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n%s"
		 "--inner--\r\n"
		 "--outer\r\n"
		 "Content-Type: application/octet-stream; name=\"=?utf-8?Q?evil=2Eexe?=\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n"
		 "YWJj\r\n"
		 "--outer\r\n"
		 "Content-Type: text/plain\r\n"
		 "Content-Disposition: attachment; filename*=utf-8''r%%C3%%A9sum%%C3%%A9.txt\r\n\r\n"
		 "abc\r\n"
		 "--outer--\r\nepilogue\r\n",
		 html_b64);
	assert_int_equal(parse(text), 0);
	assert_int_equal(msg->bad, 0);
	assert_string_equal(msg->subject, "Hellow\xf6rld x");
	assert_true(has_url("http://qp.example.com/p=1"));
	assert_true(has_url("http://b64.example.org/x?a=1&b=2"));
	assert_true(has_url("http://img.example.net/i.gif"));
	assert_false(has_host("preamble.example.com", "example.com"));
	assert_int_equal(msg->n_att, 2);
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
					0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
					0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	assert_string_equal(msg->att[0].name, "evil.exe");
	assert_string_equal(msg->att[0].type, "application/octet-stream");
	assert_int_equal(msg->att[0].size, 3);
	assert_memory_equal(msg->att[0].sha256, abc, 32);
	assert_string_equal(msg->att[1].name, "r\xc3\xa9sum\xc3\xa9.txt");
	assert_int_equal(msg->att[1].size, 3);	/* "abc": the CRLF before the boundary is its */
	assert_memory_equal(msg->att[1].sha256, abc, 32);
	assert_int_equal(msg->parts, 4);
}

static void test_mail_sender_first_untrusted_hop(void **state)
{
	struct mail_net nets[1];
	const char *m = "Received: from relay.isp.example (relay.isp.example [192.0.2.10]) by mx.local\r\n"
			"Received: from mx.isp.example ([127.0.0.1]) by relay.isp.example\r\n"
			"Received: from bot (HELO x) (198.51.100.7) by mx.isp.example with SMTP\r\n"
			"Received: from forged ([203.0.113.99]) by bot\r\n"
			"From: x@y.example\r\n\r\nbody\r\n";
	assert_int_equal(parse(m), 0);
	assert_int_equal(msg->received, 4);
	char ip[64];
	assert_int_equal(msg->sender.family, 4);
	inet_ntop(AF_INET, msg->sender.addr, ip, sizeof ip);
	assert_string_equal(ip, "192.0.2.10");	/* nothing trusted but private ranges */
	assert_int_equal(mail_net_parse("192.0.2.0/24", &nets[0]), 0);
	opts.trusted = nets;
	opts.n_trusted = 1;
	assert_int_equal(parse(m), 0);
	inet_ntop(AF_INET, msg->sender.addr, ip, sizeof ip);
	assert_string_equal(ip, "198.51.100.7");	/* bare address in the from clause */
	opts.trusted = NULL;
	opts.n_trusted = 0;
	assert_int_equal(mail_net_parse("10.0.0.0/33", &nets[0]), -1);
	assert_int_equal(mail_net_parse("nonsense", &nets[0]), -1);
	assert_int_equal(parse("Received: from x ([IPv6:2001:db8::1]) by y\r\n\r\n"), 0);
	assert_int_equal(msg->sender.family, 6);
}

static void test_mail_digest_ignores_relay_headers(void **state)
{
	uint8_t d1[32];
	assert_int_equal(parse("Received: from a ([192.0.2.1]) by b\r\nMessage-ID: <x@y>\r\n"
			       "Subject: s\r\n\r\nbody http://a.example.com/\r\n"),
			 0);
	memcpy(d1, msg->digest, 32);
	assert_int_equal(parse("Received: from c ([198.51.100.1]) by d\r\nX-Spam: yes\r\n"
			       "Message-ID: <x@y>\r\nSubject: s\r\n\r\nbody http://a.example.com/\r\n"),
			 0);
	assert_memory_equal(d1, msg->digest, 32);
	assert_int_equal(parse("Message-ID: <x@y>\r\nSubject: s\r\n\r\nbody http://b.example.com/\r\n"), 0);
	assert_memory_not_equal(d1, msg->digest, 32);
}

static void test_mail_mbox_split_and_from_line(void **state)
{
	const char *mb = "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nhttp://one.example.com/\n"
			 "From is not a separator here\n\n"
			 "From c@d Mon Jan  1 00:00:01 2024\nSubject: two\n\nhttp://two.example.com/\n";
	size_t off = 0, ml;
	const uint8_t *m;
	int n = 0;
	while (mail_mbox_next(mb, strlen(mb), &off, &m, &ml) == 1) {
		assert_int_equal(mail_parse(m, ml, &opts, msg), 0);
		assert_string_equal(msg->subject, n == 0 ? "one" : "two");
		assert_true(has_host(n == 0 ? "one.example.com" : "two.example.com",
				     n == 0 ? "example.com" : "example.com"));
		n++;
	}
	assert_int_equal(n, 2);
}

/* ---- hostile mail ---------------------------------------------------- */

static void test_mail_rejects_long_header_line(void **state)
{
	size_t n = (1u << 20) + 64;
	char *m = malloc(n + 1);
	memcpy(m, "Subject: ", 9);
	memset(m + 9, 'A', n - 9 - 4);
	memcpy(m + n - 4, "\n\nx\n", 4);
	m[n] = 0;
	assert_int_equal(mail_parse(m, n, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_HEADER_LINE);
	/* folded into many short lines: the unfolded header is what is bounded */
	for (size_t i = 100; i + 1 < n - 4; i += 100)
		m[i] = '\n', m[i + 1] = ' ';
	assert_int_equal(mail_parse(m, n, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_HEADER_LINE);
	free(m);
}

static void test_mail_rejects_deep_nesting(void **state)
{
	/* 10,000 nested multiparts, each with its own boundary */
	size_t cap = 10000 * 80 + 64, o = 0;
	char *m = malloc(cap);
	o += (size_t)snprintf(m + o, cap - o, "From: a@b.example\n");
	for (int i = 0; i < 10000; i++)
		o += (size_t)snprintf(m + o, cap - o, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n",
				      i, i);
	o += (size_t)snprintf(m + o, cap - o, "\nhttp://deep.example.com/\n");
	assert_int_equal(mail_parse(m, o, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_DEPTH);
	free(m);
}

static void test_mail_rejects_too_many_parts(void **state)
{
	size_t cap = 10000 * 40 + 128, o = 0;
	char *m = malloc(cap);
	o += (size_t)snprintf(m + o, cap - o, "Content-Type: multipart/mixed; boundary=z\n\n");
	for (int i = 0; i < 10000; i++)
		o += (size_t)snprintf(m + o, cap - o, "--z\n\nhttp://p%d.example.com/\n", i);
	o += (size_t)snprintf(m + o, cap - o, "--z--\n");
	assert_int_equal(mail_parse(m, o, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_PARTS);
	free(m);
}

static void test_mail_nul_and_not_mail(void **state)
{
	static const char nul[] = "Subject: a\0b\n\nbody\n";
	assert_int_equal(mail_parse(nul, sizeof nul - 1, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_NUL);
	assert_int_equal(mail_parse("", 0, &opts, msg), -1);
	assert_true(msg->bad & MAIL_BAD_NOT_MAIL);
	assert_int_equal(parse("this is no mail at all\nhttp://x.example.com/\n"), -1);
	assert_true(msg->bad & MAIL_BAD_NOT_MAIL);
	/* NUL bytes in a text body are counted, the rest still mined */
	static const char body[] = "Subject: a\n\nhttp://a.example.com/\0http://b.example.com/\n";
	assert_int_equal(mail_parse(body, sizeof body - 1, &opts, msg), 0);
	assert_true(msg->bad & MAIL_BAD_BODY_NUL);
	assert_true(has_host("a.example.com", "example.com"));
	assert_true(has_host("b.example.com", "example.com"));
}

static void test_mail_broken_boundaries_and_base64(void **state)
{
	/* the declared boundary never comes: read as text, counted */
	assert_int_equal(parse("Content-Type: multipart/mixed; boundary=nope\n\n--other\n\n"
			       "http://lost.example.com/\n"),
			 0);
	assert_true(msg->bad & MAIL_BAD_BOUNDARY);
	assert_true(has_host("lost.example.com", "example.com"));
	/* no boundary parameter at all */
	assert_int_equal(parse("Content-Type: multipart/mixed\n\nhttp://nob.example.com/\n"), 0);
	assert_true(msg->bad & MAIL_BAD_BOUNDARY);
	/* unclosed: the last part runs to the end */
	assert_int_equal(parse("Content-Type: multipart/mixed; boundary=q\n\n--q\n\n"
			       "http://open.example.com/\n"),
			 0);
	assert_true(msg->bad & MAIL_BAD_BOUNDARY);
	assert_true(has_host("open.example.com", "example.com"));
	/* a broken base64 attachment is skipped, the message kept */
	assert_int_equal(parse("Content-Type: multipart/mixed; boundary=q\n\n--q\n"
			       "Content-Type: application/zip\nContent-Transfer-Encoding: base64\n\n"
			       "UEsDBA$$$$not base64\n--q\n\nhttp://kept.example.com/\n--q--\n"),
			 0);
	assert_true(msg->bad & MAIL_BAD_BASE64);
	assert_int_equal(msg->n_att, 0);
	assert_true(has_host("kept.example.com", "example.com"));
	/* a boundary that only starts like ours is not ours */
	assert_int_equal(parse("Content-Type: multipart/mixed; boundary=q\n\n--q\n\nA http://a.example.com/\n"
			       "--qq\nstill A http://a2.example.com/\n--q--\n"),
			 0);
	assert_true(has_host("a2.example.com", "example.com"));
	assert_int_equal(msg->parts, 1);
}

static void test_mail_size_caps(void **state)
{
	struct mail_opts small = opts;
	small.lim.max_msg = 64;
	small.lim.max_text = 40;
	const char *m = "Subject: s\n\nhttp://first.example.com/ "
			"padding padding padding padding http://late.example.com/\n";
	assert_int_equal(mail_parse(m, strlen(m), &small, msg), 0);
	assert_true(msg->flags & MAIL_F_TRUNCATED);
	assert_int_equal(msg->bytes, strlen(m));
	assert_true(has_host("first.example.com", "example.com"));
	assert_false(has_host("late.example.com", "example.com"));
	small.lim.max_msg = 1 << 20;
	assert_int_equal(mail_parse(m, strlen(m), &small, msg), 0);
	assert_true(msg->flags & MAIL_F_TEXT_CUT);
	assert_false(has_host("late.example.com", "example.com"));
}

static void test_mail_many_urls_bounded(void **state)
{
	size_t cap = 3000 * 40, o = 0;
	char *m = malloc(cap);
	o += (size_t)snprintf(m + o, cap - o, "Subject: many\n\n");
	for (int i = 0; i < 3000; i++)
		o += (size_t)snprintf(m + o, cap - o, "http://h%d.example.com/%d\n", i, i);
	assert_int_equal(mail_parse(m, o, &opts, msg), 0);
	assert_int_equal(msg->n_urls, MAIL_URLS_MAX);
	assert_int_equal(msg->n_hosts, MAIL_HOSTS_MAX);
	assert_int_equal(msg->urls_seen, 3000);
	assert_true(msg->flags & MAIL_F_URLS_CUT);
	free(m);
}

static void test_mail_utf16_text(void **state)
{
	static const char m[] = "Content-Type: text/plain; charset=UTF-16LE\n\n"
				"w\0w\0w\0.\0w\0i\0d\0e\0.\0e\0x\0a\0m\0p\0l\0e\0 \0";
	assert_int_equal(mail_parse(m, sizeof m - 1, &opts, msg), 0);
	assert_true(has_host("www.wide.example", "wide.example"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_text_urls_trimmed),
		cmocka_unit_test(test_mail_reg_domain_rules),
		cmocka_unit_test(test_mail_mime_qp_base64_html),
		cmocka_unit_test(test_mail_sender_first_untrusted_hop),
		cmocka_unit_test(test_mail_digest_ignores_relay_headers),
		cmocka_unit_test(test_mail_mbox_split_and_from_line),
		cmocka_unit_test(test_mail_rejects_long_header_line),
		cmocka_unit_test(test_mail_rejects_deep_nesting),
		cmocka_unit_test(test_mail_rejects_too_many_parts),
		cmocka_unit_test(test_mail_nul_and_not_mail),
		cmocka_unit_test(test_mail_broken_boundaries_and_base64),
		cmocka_unit_test(test_mail_size_caps),
		cmocka_unit_test(test_mail_many_urls_bounded),
		cmocka_unit_test(test_mail_utf16_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
