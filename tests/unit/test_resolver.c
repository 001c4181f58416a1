/*
 * test_resolver: the DNS wire codec (dnsmsg), the TCP client (dnstcp) and
 * the udns-based resolver, against a fake DNS server that runs in the
 * test's own event loop on 127.0.0.1 (UDP and TCP on one port).  The fake
 * answers by the first label of the question: "a" three A records, "nx"
 * NXDOMAIN, "silent" nothing, "big" TC over UDP and the whole answer over
 * TCP, "bad" a reply whose record runs off its end, and so on, so every
 * outcome of resolver.h is produced for real, through udns, on loopback.
 * Nothing here leaves 127.0.0.1.
 *
 * Time is fake: this file defines clock_gettime, gettimeofday and time,
 * which libev, udns and the resolver read, as the real clock plus an
 * offset, and an idle watcher moves the offset on by FAKE_STEP whenever
 * an iteration of the loop found nothing to do (no datagram, no
 * connection, no timer due: loopback delivers at send), so timeouts, the
 * fake server's delays, the qps cap and socket re-opens take no wall time.
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
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "buf.h"
#include "cdefs.h"
#include "dnsmsg.h"
#include "dnstcp.h"
#include "resolver.h"

/* ---- the fake clock ---------------------------------------------------------- */

#define FAKE_STEP_NS (10LL * 1000000)	/* what one idle iteration of the loop lasts */

static int64_t fake_ns;	/* added to every clock the process reads */

static void add_fake(struct timespec *ts)
{
	int64_t ns = ts->tv_nsec + fake_ns % 1000000000LL;
	ts->tv_sec += (time_t)(fake_ns / 1000000000LL + ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = (int)syscall(SYS_clock_gettime, id, ts);
	if (rc == 0)
		add_fake(ts);
	return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;
	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

static ev_idle fake_idle;

static void fake_on_idle(struct ev_loop *l, ev_idle *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	fake_ns += FAKE_STEP_NS;
}

/* ---- reply builder ---------------------------------------------------------- */

struct rb {
	struct buf_wr w;
	uint16_t an;
};

static void rb_begin(struct rb *b, uint8_t *buf, size_t cap, uint16_t id, int rcode, int tc,
		     const uint8_t *qwire, size_t qlen, uint16_t qtype)
{
	buf_wr_init(&b->w, buf, cap);
	b->an = 0;
	buf_put_be16(&b->w, id);
	buf_put_be16(&b->w, (uint16_t)(0x8400 | (tc ? 0x0200 : 0) | rcode));	/* QR AA */
	buf_put_be16(&b->w, qwire ? 1 : 0);
	buf_put_be16(&b->w, 0);
	buf_put_be16(&b->w, 0);
	buf_put_be16(&b->w, 0);
	if (qwire) {
		buf_put_bytes(&b->w, qwire, qlen);
		buf_put_be16(&b->w, qtype);
		buf_put_be16(&b->w, 1);
	}
}

/* owner: a compression pointer to the question name (offset 12) */
static void rb_rr(struct rb *b, uint16_t type, uint32_t ttl, const void *rdata, uint16_t rdlen)
{
	buf_put_be16(&b->w, 0xc00c);
	buf_put_be16(&b->w, type);
	buf_put_be16(&b->w, 1);
	buf_put_be32(&b->w, ttl);
	buf_put_be16(&b->w, rdlen);
	buf_put_bytes(&b->w, rdata, rdlen);
	b->an++;
}

static void rb_rr_a(struct rb *b, uint32_t ttl, uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
	uint8_t a[4] = {x, y, z, t};
	rb_rr(b, DNS_TYPE_A, ttl, a, 4);
}

static void rb_rr_name(struct rb *b, uint16_t type, uint32_t ttl, const char *name)
{
	uint8_t w[256];
	int l = dnsmsg_name_to_wire(name, w, sizeof w);
	assert_true(l > 0);
	rb_rr(b, type, ttl, w, (uint16_t)l);
}

static size_t rb_end(struct rb *b)
{
	assert_int_equal(b->w.err, 0);
	b->w.p[6] = (uint8_t)(b->an >> 8);
	b->w.p[7] = (uint8_t)b->an;
	return b->w.off;
}

/* ---- dnsmsg ------------------------------------------------------------------ */

static void test_dnsmsg_names_round_trip(void **state)
{
	uint8_t w[256];
	char t[DNSMSG_TEXT_NAME_MAX];
	(void)state;
	assert_int_equal(dnsmsg_name_to_wire("www.Example.com", w, sizeof w), 17);
	assert_memory_equal(w, "\3www\7Example\3com\0", 17);
	assert_int_equal(dnsmsg_name_to_wire("www.example.com.", w, sizeof w), 17);
	assert_int_equal(dnsmsg_name_to_wire(".", w, sizeof w), 1);
	assert_int_equal(dnsmsg_wire_to_text(w, 1, t, sizeof t), 1);
	assert_string_equal(t, ".");
	/* escapes both ways */
	assert_int_equal(dnsmsg_name_to_wire("a\\.b.c\\032d.\\\\", w, sizeof w), 11);
	assert_memory_equal(w, "\3a.b\3c d\1\\\0", 11);
	assert_true(dnsmsg_wire_to_text(w, 11, t, sizeof t) > 0);
	assert_string_equal(t, "a\\.b.c\\032d.\\\\");
	/* invalid */
	assert_int_equal(dnsmsg_name_to_wire("", w, sizeof w), -1);
	assert_int_equal(dnsmsg_name_to_wire("a..b", w, sizeof w), -1);
	assert_int_equal(dnsmsg_name_to_wire(".a", w, sizeof w), -1);
	assert_int_equal(dnsmsg_name_to_wire("a\\", w, sizeof w), -1);
	assert_int_equal(dnsmsg_name_to_wire("a\\25", w, sizeof w), -1);
	assert_int_equal(dnsmsg_name_to_wire("a\\256", w, sizeof w), -1);
	char lab[80];
	memset(lab, 'x', 64);
	lab[64] = '\0';
	assert_int_equal(dnsmsg_name_to_wire(lab, w, sizeof w), -1);
	lab[63] = '\0';
	assert_int_equal(dnsmsg_name_to_wire(lab, w, sizeof w), 65);
	/* 255 wire bytes at most: 4 labels of 63 = 4*64+1 = 257 */
	char big[300];
	memset(big, 'y', sizeof big);
	for (int i = 63; i < 256; i += 64)
		big[i] = '.';
	big[255] = '\0';	/* 4 labels of 63: 257 wire bytes */
	assert_int_equal(dnsmsg_name_to_wire(big, w, sizeof w), -1);
	big[253] = '\0';	/* the last label 61: 255 */
	assert_int_equal(dnsmsg_name_to_wire(big, w, sizeof w), 255);
	assert_int_equal(dnsmsg_name_to_wire("abc", w, 4), -1);
}

static void test_dnsmsg_query_encoding(void **state)
{
	uint8_t q[DNSMSG_QUERY_MAX];
	(void)state;
	int n = dnsmsg_query(q, sizeof q, 0x1234, "a.test", DNS_TYPE_A, 1, 4096);
	assert_int_equal(n, 12 + 8 + 4 + 11);
	assert_memory_equal(q, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01", 12);
	assert_memory_equal(q + 12, "\1a\4test\0\0\1\0\1", 12);
	assert_memory_equal(q + 24, "\0\0\x29\x10\x00\0\0\0\0\0\0", 11);
	assert_int_equal(dnsmsg_query(q, sizeof q, 1, "a.test", DNS_TYPE_A, 0, 0), 24);
	assert_int_equal(q[2], 0);
	assert_int_equal(dnsmsg_query(q, 20, 1, "a.test", DNS_TYPE_A, 0, 0), -1);
	assert_int_equal(dnsmsg_query(q, sizeof q, 1, "a..test", DNS_TYPE_A, 0, 0), -1);
}

struct arena_mem {
	struct dnsmsg_rr rr[16];
	char text[4096];
	struct dnsmsg_arena a;
};

static struct dnsmsg_arena *arena(struct arena_mem *m, unsigned rr_cap, size_t text_cap)
{
	dnsmsg_arena_init(&m->a, m->rr, rr_cap, m->text, text_cap);
	return &m->a;
}

static const uint8_t q_a_test[] = "\1a\4test";	/* + final 0: 8 bytes */

static void test_dnsmsg_parse_answers(void **state)
{
	uint8_t pkt[1024];
	struct rb b;
	struct dnsmsg_reply r;
	struct arena_mem m;
	(void)state;

	rb_begin(&b, pkt, sizeof pkt, 7, 0, 0, q_a_test, 8, DNS_TYPE_A);
	rb_rr_a(&b, 300, 192, 0, 2, 1);
	rb_rr_a(&b, 60, 192, 0, 2, 2);
	rb_rr_name(&b, DNS_TYPE_NS, 10, "ignored.test");	/* another type: not kept */
	rb_rr_a(&b, 0x80000001u, 192, 0, 2, 3);			/* top bit: TTL 0 */
	size_t n = rb_end(&b);
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 4096), &r, NULL), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.aa, 1);
	assert_string_equal(r.qname, "a.test");
	assert_int_equal(r.qtype, DNS_TYPE_A);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ancount, 4);
	assert_memory_equal(r.rr[1].u.addr, "\xc0\x00\x02\x02", 4);
	assert_int_equal(r.rr[0].ttl, 300);
	assert_int_equal(r.min_ttl, 0);
	assert_true(dnsmsg_question_is(&r, "A.TEST.", DNS_TYPE_A));
	assert_false(dnsmsg_question_is(&r, "b.test", DNS_TYPE_A));
	assert_false(dnsmsg_question_is(&r, "a.test", DNS_TYPE_AAAA));

	/* caps: one record room, the rest counted */
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 1, 4096), &r, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.dropped, 2);
}

static void test_dnsmsg_parse_names_txt_cname(void **state)
{
	uint8_t pkt[1024];
	struct rb b;
	struct dnsmsg_reply r;
	struct arena_mem m;
	(void)state;

	/* NS records, one compressed against the question */
	rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, DNS_TYPE_NS);
	rb_rr_name(&b, DNS_TYPE_NS, 60, "ns1.Example.net");
	rb_rr(&b, DNS_TYPE_NS, 60, "\3ns2\xc0\x0c", 6);	/* ns2.a.test */
	size_t n = rb_end(&b);
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 4096), &r, NULL), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.rr[0].u.text, "ns1.Example.net");
	assert_string_equal(r.rr[1].u.text, "ns2.a.test");
	assert_int_equal(r.rr[1].len, 10);
	/* text arena too small for the second name: counted, not cut */
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 7 + 16 + 4), &r, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.dropped, 1);

	/* TXT: two strings joined, a NUL byte kept by length */
	rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, DNS_TYPE_TXT);
	rb_rr(&b, DNS_TYPE_TXT, 5, "\0053561 \004| US\001\0", 13);
	n = rb_end(&b);
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 4096), &r, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rr[0].len, 10);
	assert_memory_equal(r.rr[0].u.text, "3561 | US\0", 11);

	/* CNAME chain a.test -> b.test -> c.test, then the A of c.test */
	rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, DNS_TYPE_A);
	rb_rr_name(&b, DNS_TYPE_CNAME, 60, "b.test");
	/* owner b.test written in full */
	buf_put_bytes(&b.w, "\1b\4test\0", 8);
	buf_put_be16(&b.w, DNS_TYPE_A);
	buf_put_be16(&b.w, 1);
	buf_put_be32(&b.w, 9);
	buf_put_be16(&b.w, 4);
	buf_put_bytes(&b.w, "\x0a\0\0\x01", 4);	/* wrong: b has a CNAME too, this is not kept */
	buf_put_bytes(&b.w, "\1b\4test\0", 8);
	buf_put_be16(&b.w, DNS_TYPE_CNAME);
	buf_put_be16(&b.w, 1);
	buf_put_be32(&b.w, 9);
	buf_put_be16(&b.w, 8);
	buf_put_bytes(&b.w, "\1c\4test\0", 8);
	buf_put_bytes(&b.w, "\1C\4TEST\0", 8);
	buf_put_be16(&b.w, DNS_TYPE_A);
	buf_put_be16(&b.w, 1);
	buf_put_be32(&b.w, 77);
	buf_put_be16(&b.w, 4);
	buf_put_bytes(&b.w, "\x0a\0\0\x02", 4);
	b.an += 3;
	n = rb_end(&b);
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 4096), &r, NULL), 0);
	assert_string_equal(r.cname, "c.test");
	assert_int_equal(r.n, 1);
	assert_memory_equal(r.rr[0].u.addr, "\x0a\0\0\x02", 4);
	assert_int_equal(r.min_ttl, 77);

	/* a CNAME loop ends after the hop limit with nothing kept */
	rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, DNS_TYPE_A);
	rb_rr(&b, DNS_TYPE_CNAME, 1, "\xc0\x0c", 2);	/* a.test -> a.test */
	n = rb_end(&b);
	assert_int_equal(dnsmsg_parse(pkt, n, arena(&m, 16, 4096), &r, NULL), 0);
	assert_int_equal(r.n, 0);
}

static void test_dnsmsg_parse_rejects_malformed(void **state)
{
	uint8_t pkt[512], bad[512];
	struct rb b;
	struct dnsmsg_reply r;
	struct arena_mem m;
	const char *why;
	(void)state;

	rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, DNS_TYPE_A);
	rb_rr_a(&b, 1, 1, 2, 3, 4);
	size_t n = rb_end(&b);
	/* every truncation of a good reply fails cleanly (or parses what is whole) */
	for (size_t k = 0; k < n; k++) {
		why = NULL;
		assert_int_equal(dnsmsg_parse(pkt, k, arena(&m, 16, 4096), &r, &why), -1);
		assert_non_null(why);
	}
	/* not a response */
	memcpy(bad, pkt, n);
	bad[2] &= 0x7f;
	assert_int_equal(dnsmsg_parse(bad, n, arena(&m, 16, 4096), &r, NULL), -1);
	/* A with 5 bytes of rdata */
	rb_begin(&b, bad, sizeof bad, 1, 0, 0, q_a_test, 8, DNS_TYPE_A);
	rb_rr(&b, DNS_TYPE_A, 1, "\1\2\3\4\5", 5);
	assert_int_equal(dnsmsg_parse(bad, rb_end(&b), arena(&m, 16, 4096), &r, &why), -1);
	/* a forward compression pointer */
	rb_begin(&b, bad, sizeof bad, 1, 0, 0, q_a_test, 8, DNS_TYPE_NS);
	rb_rr(&b, DNS_TYPE_NS, 1, "\xc0\x30", 2);
	assert_int_equal(dnsmsg_parse(bad, rb_end(&b), arena(&m, 16, 4096), &r, NULL), -1);
	/* a pointer loop through a label: "x" + pointer back to the "x" */
	rb_begin(&b, bad, sizeof bad, 1, 0, 0, q_a_test, 8, DNS_TYPE_NS);
	buf_put_be16(&b.w, 0xc00c);
	buf_put_be16(&b.w, DNS_TYPE_NS);
	buf_put_be16(&b.w, 1);
	buf_put_be32(&b.w, 1);
	buf_put_be16(&b.w, 4);
	size_t at = b.w.off;
	buf_put_bytes(&b.w, "\1x", 2);
	buf_put_be16(&b.w, (uint16_t)(0xc000 | at));
	b.an++;
	assert_int_equal(dnsmsg_parse(bad, rb_end(&b), arena(&m, 16, 4096), &r, NULL), -1);
	/* a name in rdata that ends before the rdata does */
	rb_begin(&b, bad, sizeof bad, 1, 0, 0, q_a_test, 8, DNS_TYPE_NS);
	rb_rr(&b, DNS_TYPE_NS, 1, "\1x\0\0", 4);
	assert_int_equal(dnsmsg_parse(bad, rb_end(&b), arena(&m, 16, 4096), &r, NULL), -1);
	/* TXT string longer than its rdata */
	rb_begin(&b, bad, sizeof bad, 1, 0, 0, q_a_test, 8, DNS_TYPE_TXT);
	rb_rr(&b, DNS_TYPE_TXT, 1, "\x09short", 6);
	assert_int_equal(dnsmsg_parse(bad, rb_end(&b), arena(&m, 16, 4096), &r, NULL), -1);
	/* two questions */
	memcpy(bad, pkt, n);
	bad[5] = 2;
	assert_int_equal(dnsmsg_parse(bad, n, arena(&m, 16, 4096), &r, NULL), -1);
	/* an extended label type */
	memcpy(bad, pkt, n);
	bad[12] = 0x41;
	assert_int_equal(dnsmsg_parse(bad, n, arena(&m, 16, 4096), &r, NULL), -1);
}

/* Every single-byte change of a few good replies: no crash, no overrun (ASan). */
static void test_dnsmsg_parse_survives_mutations(void **state)
{
	uint8_t pkt[512], mut[512];
	struct rb b;
	struct dnsmsg_reply r;
	struct arena_mem m;
	unsigned ok = 0, bad = 0;
	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		uint16_t t = kind == 0 ? DNS_TYPE_A : kind == 1 ? DNS_TYPE_NS : DNS_TYPE_TXT;
		rb_begin(&b, pkt, sizeof pkt, 1, 0, 0, q_a_test, 8, t);
		if (kind == 0) {
			rb_rr_a(&b, 1, 1, 2, 3, 4);
			rb_rr_a(&b, 1, 1, 2, 3, 5);
		} else if (kind == 1) {
			rb_rr(&b, DNS_TYPE_NS, 60, "\3ns2\xc0\x0c", 6);
			rb_rr_name(&b, DNS_TYPE_NS, 60, "ns1.example.net");
		} else {
			rb_rr(&b, DNS_TYPE_TXT, 5, "\0053561 \004| US", 11);
		}
		size_t n = rb_end(&b);
		for (size_t i = 0; i < n; i++)
			for (unsigned v = 0; v < 256; v += 3) {
				memcpy(mut, pkt, n);
				mut[i] = (uint8_t)v;
				if (dnsmsg_parse(mut, n, arena(&m, 4, 64), &r, NULL) == 0)
					ok++;
				else
					bad++;
			}
	}
	assert_true(ok > 0 && bad > 0);
}

/* ---- the fake server ------------------------------------------------------------ */

#define FAKE_MAX_DELAYED 64

struct delayed {
	ev_timer t;
	struct fake *f;
	uint8_t pkt[512];
	size_t len;
	struct sockaddr_in to;
	int used;
};

struct fake {
	struct ev_loop *loop;
	int udp, tcp;
	uint16_t port;
	ev_io uio, tio;
	unsigned queries, tcp_queries;
	unsigned outstanding, max_outstanding;	/* delayed replies not yet sent */
	uint16_t ports[64];
	unsigned nports;
	struct delayed d[FAKE_MAX_DELAYED];
};

static struct fake fk;

static void note_port(struct fake *f, uint16_t p)
{
	for (unsigned i = 0; i < f->nports; i++)
		if (f->ports[i] == p)
			return;
	if (f->nports < 64)
		f->ports[f->nports++] = p;
}

/*
 * Build the fake's reply to query q[0..qlen) into out; 0 = stay silent.
 * tcp: 1 when the query came over TCP.
 */
static size_t fake_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, int tcp, int *delay_ms)
{
	struct buf_rd c;
	uint8_t qw[256];
	size_t ql = 0;
	char first[64] = "";
	struct rb b;

	*delay_ms = 0;
	buf_rd_init(&c, q, qlen);
	uint16_t id = buf_get_be16(&c);
	buf_skip(&c, 10);
	for (;;) {
		uint8_t l = buf_get_u8(&c);
		if (c.err || ql + l + 1 > sizeof qw)
			return 0;
		qw[ql++] = l;
		if (l == 0)
			break;
		const uint8_t *p = buf_get_bytes(&c, l);
		if (!p)
			return 0;
		if (ql == 1)
			snprintf(first, sizeof first, "%.*s", (int)l, (const char *)p);
		memcpy(qw + ql, p, l);
		ql += l;
	}
	uint16_t qtype = buf_get_be16(&c);
	if (c.err)
		return 0;

	if (!strcmp(first, "silent"))
		return 0;
	if (!strcmp(first, "nx")) {
		rb_begin(&b, out, cap, id, DNS_RCODE_NXDOMAIN, 0, qw, ql, qtype);
		return rb_end(&b);
	}
	if (!strcmp(first, "servfail") || !strcmp(first, "refused")) {
		rb_begin(&b, out, cap, id, first[0] == 's' ? DNS_RCODE_SERVFAIL : DNS_RCODE_REFUSED, 0, qw,
			 ql, qtype);
		return rb_end(&b);
	}
	if (!strcmp(first, "nodata")) {
		rb_begin(&b, out, cap, id, 0, 0, qw, ql, qtype);
		return rb_end(&b);
	}
	if (!strcmp(first, "big") || !strcmp(first, "bigfail")) {
		if (!tcp) {
			rb_begin(&b, out, cap, id, 0, 1, qw, ql, qtype);
			return rb_end(&b);
		}
		if (first[3] == 'f')
			return 0;	/* TCP: close without an answer */
		rb_begin(&b, out, cap, id, 0, 0, qw, ql, qtype);
		for (int i = 0; i < 100; i++)
			rb_rr_a(&b, 30, 10, 1, (uint8_t)(i / 250), (uint8_t)(i % 250 + 1));
		return rb_end(&b);
	}
	if (!strcmp(first, "bad")) {
		/* an A record whose rdata runs past the end */
		rb_begin(&b, out, cap, id, 0, 0, qw, ql, qtype);
		rb_rr_a(&b, 30, 1, 2, 3, 4);
		size_t n = rb_end(&b);
		out[n - 5] = 0x40;	/* rdlen 4 -> 64 */
		return n;
	}
	if (!strcmp(first, "many")) {
		rb_begin(&b, out, cap, id, 0, 0, qw, ql, qtype);
		for (int i = 0; i < 20; i++)
			rb_rr_a(&b, 30, 10, 2, 0, (uint8_t)(i + 1));
		return rb_end(&b);
	}
	if (!strcmp(first, "delay"))
		*delay_ms = 300;
	rb_begin(&b, out, cap, id, 0, 0, qw, ql, qtype);
	switch (qtype) {
	case DNS_TYPE_A:
		rb_rr_a(&b, 300, 192, 0, 2, 1);
		rb_rr_a(&b, 60, 192, 0, 2, 2);
		rb_rr_a(&b, 120, 192, 0, 2, 3);
		break;
	case DNS_TYPE_AAAA:
		rb_rr(&b, DNS_TYPE_AAAA, 600, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		break;
	case DNS_TYPE_NS:
		rb_rr_name(&b, DNS_TYPE_NS, 3600, "ns1.example.net");
		rb_rr(&b, DNS_TYPE_NS, 3600, "\3ns2\xc0\x0c", 6);
		break;
	case DNS_TYPE_PTR:
		rb_rr_name(&b, DNS_TYPE_PTR, 86400, "host-1-2-3-4.dyn.example.net");
		break;
	case DNS_TYPE_TXT:
		rb_rr(&b, DNS_TYPE_TXT, 14400, "\x2d" "3561 | 216.88.0.0/14 | US | arin | 1998-09-25", 46);
		break;
	}
	return rb_end(&b);
}

static void fake_on_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delayed *d = container_of(w, struct delayed, t);
	(void)loop;
	(void)revents;
	sendto(d->f->udp, d->pkt, d->len, 0, (struct sockaddr *)&d->to, sizeof d->to);
	d->used = 0;
	d->f->outstanding--;
}

static void fake_on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fake *f = container_of(w, struct fake, uio);
	uint8_t q[1024], out[4096];
	struct sockaddr_in from;
	(void)revents;
	for (;;) {
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(f->udp, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		int delay;
		f->queries++;
		note_port(f, ntohs(from.sin_port));
		size_t len = fake_answer(q, (size_t)n, out, sizeof out, 0, &delay);
		if (!len)
			continue;
		if (!delay) {
			sendto(f->udp, out, len, 0, (struct sockaddr *)&from, fl);
			continue;
		}
		for (int i = 0; i < FAKE_MAX_DELAYED; i++) {
			struct delayed *d = &f->d[i];
			if (d->used || len > sizeof d->pkt)
				continue;
			d->used = 1;
			d->f = f;
			memcpy(d->pkt, out, len);
			d->len = len;
			d->to = from;
			ev_timer_init(&d->t, fake_on_delay, delay / 1000.0, 0.);
			ev_timer_start(loop, &d->t);
			if (++f->outstanding > f->max_outstanding)
				f->max_outstanding = f->outstanding;
			break;
		}
	}
}

/* TCP: loopback and small messages, so read the query in one go. */
static void fake_on_tcp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fake *f = container_of(w, struct fake, tio);
	uint8_t q[1024], out[4096];
	(void)loop;
	(void)revents;
	int s = accept(f->tcp, NULL, NULL);
	if (s < 0)
		return;
	struct timeval tv = {2, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recv(s, q, sizeof q, MSG_WAITALL & 0);
	f->tcp_queries++;
	if (n > 2) {
		int delay;
		size_t len = fake_answer(q + 2, (size_t)n - 2, out + 2, sizeof out - 2, 1, &delay);
		if (len) {
			out[0] = (uint8_t)(len >> 8);
			out[1] = (uint8_t)len;
			send(s, out, len + 2, MSG_NOSIGNAL);
		}
	}
	close(s);
}

static void fake_start(struct fake *f, struct ev_loop *loop)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof sa;
	memset(f, 0, sizeof *f);
	f->loop = loop;
	/* UDP on a port the kernel picks, TCP on the same one: when some TCP
	 * socket of the machine has it already, try another */
	for (int tries = 0;; tries++) {
		sa.sin_port = 0;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof sa;
		f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		assert_true(f->udp >= 0);
		assert_int_equal(bind(f->udp, (struct sockaddr *)&sa, sizeof sa), 0);
		assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sa, &sl), 0);
		f->port = ntohs(sa.sin_port);
		f->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(f->tcp >= 0);
		int one = 1;
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(f->tcp, (struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		assert_true(errno == EADDRINUSE && tries < 100);
		close(f->tcp);
		close(f->udp);
	}
	assert_int_equal(listen(f->tcp, 16), 0);
	ev_io_init(&f->uio, fake_on_udp, f->udp, EV_READ);
	ev_io_start(loop, &f->uio);
	ev_unref(loop);
	ev_io_init(&f->tio, fake_on_tcp, f->tcp, EV_READ);
	ev_io_start(loop, &f->tio);
	ev_unref(loop);
}

static void fake_stop(struct fake *f)
{
	ev_ref(f->loop);
	ev_io_stop(f->loop, &f->uio);
	ev_ref(f->loop);
	ev_io_stop(f->loop, &f->tio);
	for (int i = 0; i < FAKE_MAX_DELAYED; i++)
		if (f->d[i].used)
			ev_timer_stop(f->loop, &f->d[i].t);
	close(f->udp);
	close(f->tcp);
}

/* ---- resolver tests -------------------------------------------------------------- */

struct got {
	int calls;
	int submitted;		/* set right after resolver_submit returned */
	int early;		/* a callback came before that */
	enum resolver_outcome outcome;
	int rcode;
	unsigned n, dropped;
	uint32_t ttl;
	int tcp;
	unsigned sent;
	char text[256];
	uint8_t addr[16];
	const char *why;
	int has_server;
};

static void on_answer(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct got *g = arg;
	(void)q;
	if (!g->submitted)
		g->early = 1;
	g->calls++;
	g->outcome = a->outcome;
	g->rcode = a->rcode;
	g->n = a->n;
	g->dropped = a->dropped;
	g->ttl = a->ttl;
	g->tcp = a->tcp;
	g->sent = a->sent;
	g->why = a->why;
	g->has_server = a->server != NULL;
	g->text[0] = '\0';
	if (a->n > 0) {
		if (a->rr[0].type == DNS_TYPE_A || a->rr[0].type == DNS_TYPE_AAAA)
			memcpy(g->addr, a->rr[0].u.addr, 16);
		else
			snprintf(g->text, sizeof g->text, "%.*s", (int)a->rr[0].len, a->rr[0].u.text);
	}
}

static struct ev_loop *loop;

static void config(struct resolver_config *c, char *servers, size_t cap)
{
	resolver_config_defaults(c);
	snprintf(servers, cap, "127.0.0.1:%u", fk.port);
	c->servers = servers;
	c->timeout = 1;
	c->tries = 1;
	c->contexts = 2;
	c->per_ctx_inflight = 8;
	c->reopen_interval = 0;
	c->tcp_timeout = 2.0;
}

static struct resolver *new_resolver(struct resolver_config *c)
{
	const char *why = NULL;
	struct resolver *r = resolver_new(loop, c, &why);
	if (!r)
		fail_msg("resolver_new: %s", why ? why : "?");
	return r;
}

/* Submit one query and run the loop until it is answered. */
static void ask(struct resolver *r, enum resolver_type t, const char *name, struct got *g)
{
	memset(g, 0, sizeof *g);
	struct resolver_query *q = resolver_submit(r, t, name, on_answer, g);
	assert_non_null(q);
	g->submitted = 1;
	while (g->calls == 0)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(g->early, 0);
	assert_int_equal(g->calls, 1);
}

static int setup(void **state)
{
	(void)state;
	loop = ev_loop_new(EVFLAG_AUTO);
	fake_start(&fk, loop);
	ev_idle_init(&fake_idle, fake_on_idle);
	ev_idle_start(loop, &fake_idle);
	ev_unref(loop);	/* the clock keeps no ev_run going */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ev_ref(loop);
	ev_idle_stop(loop, &fake_idle);
	fake_stop(&fk);
	ev_loop_destroy(loop);
	return 0;
}

static void test_resolver_answers_each_type(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct got g;
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	struct resolver *r = new_resolver(&c);

	ask(r, RESOLVER_A, "www.a.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ttl, 60);
	assert_int_equal(g.rcode, 0);
	assert_int_equal(g.tcp, 0);
	assert_int_equal(g.sent, 1);
	assert_true(g.has_server);
	assert_memory_equal(g.addr, "\xc0\x00\x02\x01", 4);

	ask(r, RESOLVER_AAAA, "v6.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_int_equal(g.ttl, 600);
	assert_memory_equal(g.addr, "\x20\x01\x0d\xb8", 4);

	ask(r, RESOLVER_NS, "flux.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.text, "ns1.example.net");

	char ptr[80];
	assert_true(resolver_ptr_name(4, (const uint8_t *)"\x01\x02\x03\x04", ptr, sizeof ptr) > 0);
	assert_string_equal(ptr, "4.3.2.1.in-addr.arpa");
	ask(r, RESOLVER_PTR, ptr, &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_string_equal(g.text, "host-1-2-3-4.dyn.example.net");

	ask(r, RESOLVER_TXT, "31.108.90.216.origin.asn.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_string_equal(g.text, "3561 | 216.88.0.0/14 | US | arin | 1998-09-25");
	assert_int_equal(g.ttl, 14400);

	resolver_stats(r, &st);
	assert_int_equal(st.submitted, 5);
	assert_int_equal(st.outcome[RESOLVER_OK], 5);
	assert_int_equal(st.udp_sent, 5);
	assert_int_equal(st.udp_replies, 5);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.contexts, 2);
	assert_true(st.rcvbuf > 0);
	resolver_free(r);
}

static void test_resolver_negative_outcomes(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct got g;
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	struct resolver *r = new_resolver(&c);

	ask(r, RESOLVER_A, "nx.test", &g);
	assert_int_equal(g.outcome, RESOLVER_NXDOMAIN);
	assert_int_equal(g.rcode, 3);
	ask(r, RESOLVER_A, "nodata.test", &g);
	assert_int_equal(g.outcome, RESOLVER_NODATA);
	assert_int_equal(g.n, 0);
	ask(r, RESOLVER_A, "servfail.test", &g);
	assert_int_equal(g.outcome, RESOLVER_SERVFAIL);
	assert_int_equal(g.rcode, 2);
	ask(r, RESOLVER_A, "refused.test", &g);
	assert_int_equal(g.outcome, RESOLVER_REFUSED);
	assert_int_equal(g.rcode, 5);
	ask(r, RESOLVER_A, "bad.test", &g);
	assert_int_equal(g.outcome, RESOLVER_MALFORMED);
	assert_non_null(g.why);
	ask(r, RESOLVER_A, "silent.test", &g);
	assert_int_equal(g.outcome, RESOLVER_TIMEOUT);
	assert_int_equal(g.rcode, -1);
	assert_int_equal(g.sent, 1);
	assert_false(g.has_server);

	resolver_stats(r, &st);
	assert_int_equal(st.outcome[RESOLVER_NXDOMAIN], 1);
	assert_int_equal(st.outcome[RESOLVER_NODATA], 1);
	assert_int_equal(st.outcome[RESOLVER_SERVFAIL], 1);
	assert_int_equal(st.outcome[RESOLVER_REFUSED], 1);
	assert_int_equal(st.outcome[RESOLVER_MALFORMED], 1);
	assert_int_equal(st.outcome[RESOLVER_TIMEOUT], 1);
	assert_string_equal(resolver_outcome_name(RESOLVER_TIMEOUT), "timeout");
	resolver_free(r);
}

static void test_resolver_tcp_fallback(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct got g;
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	c.max_rr = 64;
	struct resolver *r = new_resolver(&c);
	unsigned before = fk.tcp_queries;

	ask(r, RESOLVER_A, "big.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_int_equal(g.tcp, 1);
	assert_int_equal(g.n, 64);
	assert_int_equal(g.dropped, 36);
	assert_int_equal(fk.tcp_queries, before + 1);

	ask(r, RESOLVER_A, "bigfail.test", &g);
	assert_int_equal(g.outcome, RESOLVER_TRUNCATED);
	assert_non_null(g.why);

	resolver_stats(r, &st);
	assert_int_equal(st.udp_truncated, 2);
	assert_int_equal(st.tcp_started, 2);
	assert_int_equal(st.tcp_failed, 1);
	assert_int_equal(st.dropped_rr, 36);
	assert_int_equal(st.tcp_active, 0);
	resolver_free(r);
}

static void test_resolver_caps_records(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct got g;
	(void)state;
	config(&c, sv, sizeof sv);
	c.max_rr = 16;
	struct resolver *r = new_resolver(&c);
	ask(r, RESOLVER_A, "many.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	assert_int_equal(g.n, 16);
	assert_int_equal(g.dropped, 4);
	resolver_free(r);
}

static void never_called(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	(void)q;
	(void)a;
	(void)arg;
	fail_msg("a cancelled query was answered");
}

static void break_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ONE);
}

static void run_seconds(double seconds)
{
	ev_timer t;
	ev_timer_init(&t, break_cb, seconds, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void test_resolver_cancel_in_every_state(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct resolver_stats st;
	struct got g;
	(void)state;
	config(&c, sv, sizeof sv);
	c.contexts = 1;
	c.per_ctx_inflight = 1;
	struct resolver *r = new_resolver(&c);

	/* queued: cancelled before the loop ever runs */
	struct resolver_query *q1 = resolver_submit(r, RESOLVER_A, "delay.test", never_called, NULL);
	assert_non_null(q1);
	resolver_cancel(r, q1);
	/* in flight on udns: the fake answers after 300 ms, we cancel at 100 ms */
	struct resolver_query *q2 = resolver_submit(r, RESOLVER_A, "delay.test", never_called, NULL);
	/* waiting behind it for the only slot */
	struct resolver_query *q3 = resolver_submit(r, RESOLVER_A, "delay.test", never_called, NULL);
	run_seconds(0.1);
	resolver_stats(r, &st);
	assert_int_equal(st.inflight, 1);
	assert_int_equal(st.queued, 1);
	resolver_cancel(r, q2);
	resolver_cancel(r, q3);
	resolver_stats(r, &st);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.queued, 0);
	/* the late reply is dropped by udns; a new query still works */
	run_seconds(0.4);
	ask(r, RESOLVER_A, "www.a.test", &g);
	assert_int_equal(g.outcome, RESOLVER_OK);
	resolver_stats(r, &st);
	assert_int_equal(st.cancelled, 3);
	assert_true(st.udp_unmatched >= 1);

	/* waiting for TCP and on TCP */
	c.tcp_max = 1;
	struct resolver *r2 = new_resolver(&c);
	struct resolver_query *t1 = resolver_submit(r2, RESOLVER_A, "big.test", never_called, NULL);
	while (1) {
		ev_run(loop, EVRUN_ONCE);
		resolver_stats(r2, &st);
		if (st.tcp_active == 1)
			break;
	}
	resolver_cancel(r2, t1);
	resolver_stats(r2, &st);
	assert_int_equal(st.tcp_active, 0);
	resolver_free(r2);
	resolver_free(r);
}

static int cancelled_calls;

static void count_cancelled(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct resolver *r = arg;
	(void)q;
	assert_int_equal(a->outcome, RESOLVER_CANCELLED);
	cancelled_calls++;
	/* a callback may try to submit: refused during shutdown */
	errno = 0;
	assert_null(resolver_submit(r, RESOLVER_A, "x.test", count_cancelled, r));
	assert_int_equal(errno, ESHUTDOWN);
}

static void test_resolver_shutdown_cancels_all(void **state)
{
	struct resolver_config c;
	char sv[64];
	(void)state;
	config(&c, sv, sizeof sv);
	c.contexts = 1;
	c.per_ctx_inflight = 2;
	struct resolver *r = new_resolver(&c);
	cancelled_calls = 0;
	for (int i = 0; i < 5; i++)
		assert_non_null(resolver_submit(r, RESOLVER_A, "delay.test", count_cancelled, r));
	run_seconds(0.05);	/* two in flight, three queued */
	resolver_shutdown(r);
	assert_int_equal(cancelled_calls, 5);
	run_seconds(0.4);	/* late replies come to nobody */
	assert_int_equal(cancelled_calls, 5);
	resolver_free(r);
	/* free with queries still live: no callbacks, no leaks (ASan) */
	r = new_resolver(&c);
	for (int i = 0; i < 5; i++)
		assert_non_null(resolver_submit(r, RESOLVER_A, "delay.test", never_called, NULL));
	run_seconds(0.05);
	resolver_free(r);
	run_seconds(0.4);
}

struct counter {
	int calls, ok;
};

static void count_ok(struct resolver_query *q, const struct resolver_answer *a, void *arg)
{
	struct counter *k = arg;
	(void)q;
	k->calls++;
	k->ok += a->outcome == RESOLVER_OK;
}

static void test_resolver_inflight_cap_and_queue(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct counter k = {0, 0};
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	c.contexts = 2;
	c.per_ctx_inflight = 2;
	c.max_inflight = 3;
	c.max_queued = 10;
	struct resolver *r = new_resolver(&c);
	fk.max_outstanding = 0;
	for (int i = 0; i < 10; i++)
		assert_non_null(resolver_submit(r, RESOLVER_A, "delay.test", count_ok, &k));
	errno = 0;
	assert_null(resolver_submit(r, RESOLVER_A, "delay.test", count_ok, &k));
	assert_int_equal(errno, EAGAIN);
	while (k.calls < 10)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(k.ok, 10);
	assert_true(fk.max_outstanding <= 3);
	assert_true(fk.max_outstanding >= 2);
	resolver_stats(r, &st);
	assert_int_equal(st.refused_full, 1);
	/* bad arguments */
	assert_null(resolver_submit(r, RESOLVER_A, "a..b", count_ok, &k));
	assert_int_equal(errno, EINVAL);
	assert_null(resolver_submit(r, (enum resolver_type)5, "a.test", count_ok, &k));
	assert_null(resolver_submit(r, RESOLVER_A, "a.test", NULL, &k));
	resolver_free(r);
}

static void test_resolver_qps_cap(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct counter k = {0, 0};
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	c.qps = 40;	/* burst 3: 20 queries take at least (20 - 3) / 40 s */
	struct resolver *r = new_resolver(&c);
	ev_now_update(loop);
	double t0 = ev_now(loop);
	for (int i = 0; i < 20; i++)
		assert_non_null(resolver_submit(r, RESOLVER_A, "www.a.test", count_ok, &k));
	while (k.calls < 20)
		ev_run(loop, EVRUN_ONCE);
	double took = ev_now(loop) - t0;
	assert_int_equal(k.ok, 20);
	assert_true(took >= 0.9 * (20 - 3) / 40.0);
	resolver_stats(r, &st);
	assert_true(st.rate_waits > 0);
	resolver_free(r);
}

static void test_resolver_sockets_reopen_with_new_ports(void **state)
{
	struct resolver_config c;
	char sv[64];
	struct counter k = {0, 0};
	struct resolver_stats st;
	(void)state;
	config(&c, sv, sizeof sv);
	c.contexts = 2;
	c.reopen_interval = 1;
	struct resolver *r = new_resolver(&c);
	fk.nports = 0;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 4; i++)
			assert_non_null(resolver_submit(r, RESOLVER_A, "www.a.test", count_ok, &k));
		run_seconds(0.6);
	}
	while (k.calls < 16)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(k.ok, 16);
	resolver_stats(r, &st);
	assert_true(st.reopens >= 1);
	/* two sockets at first, and at least one more after a re-open */
	assert_true(fk.nports >= 3);
	resolver_free(r);
}

static void test_resolver_config_errors(void **state)
{
	struct resolver_config c;
	const char *why = NULL;
	(void)state;
	resolver_config_defaults(&c);
	c.servers = "not-an-address";
	assert_null(resolver_new(loop, &c, &why));
	assert_non_null(why);
	c.servers = "127.0.0.1:0";
	assert_null(resolver_new(loop, &c, &why));
	c.servers = "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 7.7.7.7";
	assert_null(resolver_new(loop, &c, &why));
	c.servers = "127.0.0.1";
	c.contexts = 0;
	assert_null(resolver_new(loop, &c, &why));

	/* servers from a resolv.conf, with IPv6 and a scope */
	char path[] = "/tmp/test_resolver.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *conf = "# test\nsearch example\nnameserver 127.0.0.1\nnameserver ::1\n"
			   "nameserver fe80::1%eth0\noptions ndots:2\n";
	assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	close(fd);
	resolver_config_defaults(&c);
	c.resolv_conf = path;
	c.contexts = 1;
	struct resolver *r = resolver_new(loop, &c, &why);
	assert_non_null(r);
	struct resolver_stats st;
	resolver_stats(r, &st);
	assert_int_equal(st.servers, 3);
	resolver_free(r);
	c.resolv_conf = "/nonexistent/resolv.conf";
	assert_null(resolver_new(loop, &c, &why));
	unlink(path);

	/* the forms of a server address */
	c.resolv_conf = NULL;
	c.servers = "127.0.0.1:5353, [::1]:53 ::1 [::1]";
	r = resolver_new(loop, &c, &why);
	assert_non_null(r);
	resolver_free(r);
}

/* ---- dnstcp on its own ------------------------------------------------------------ */

struct tcpgot {
	int calls, err;
	size_t len;
	uint16_t id;
};

struct tcpjob {
	struct dnstcp t;
	struct tcpgot g;
};

static void on_tcpjob(struct dnstcp *t, int err, const uint8_t *reply, size_t len)
{
	struct tcpjob *j = container_of(t, struct tcpjob, t);
	j->g.calls++;
	j->g.err = err;
	j->g.len = len;
	if (reply && len >= 2)
		j->g.id = (uint16_t)(reply[0] << 8 | reply[1]);
}

static void test_dnstcp_exchanges_and_fails_cleanly(void **state)
{
	struct tcpjob j;
	uint8_t q[DNSMSG_QUERY_MAX];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(fk.port);
	int n = dnsmsg_query(q, sizeof q, 0xbeef, "big.test", DNS_TYPE_A, 1, 0);

	memset(&j, 0, sizeof j);
	dnstcp_init(&j.t, loop);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&sa, sizeof sa, q, (size_t)n, 2.0, on_tcpjob), 0);
	assert_int_equal(j.g.calls, 0);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&sa, sizeof sa, q, (size_t)n, 2.0, on_tcpjob), -1);
	assert_int_equal(errno, EBUSY);
	while (!j.g.calls)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(j.g.err, 0);
	assert_int_equal(j.g.id, 0xbeef);
	assert_true(j.g.len > 1600);	/* 100 A records */

	/* closed without an answer */
	n = dnsmsg_query(q, sizeof q, 1, "bigfail.test", DNS_TYPE_A, 1, 0);
	memset(&j.g, 0, sizeof j.g);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&sa, sizeof sa, q, (size_t)n, 2.0, on_tcpjob), 0);
	while (!j.g.calls)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(j.g.err, EPROTO);

	/* nobody listening: refused, reported from the loop, not from start */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in free_port = {.sin_family = AF_INET};
	socklen_t sl = sizeof free_port;
	free_port.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&free_port, sizeof free_port), 0);
	getsockname(s, (struct sockaddr *)&free_port, &sl);
	close(s);
	memset(&j.g, 0, sizeof j.g);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&free_port, sizeof free_port, q, (size_t)n, 2.0,
				      on_tcpjob), 0);
	assert_int_equal(j.g.calls, 0);
	while (!j.g.calls)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(j.g.err, ECONNREFUSED);

	/* a listener that never answers: timeout; and stop cancels quietly */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in lsa = {.sin_family = AF_INET};
	lsa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sl = sizeof lsa;
	assert_int_equal(bind(l, (struct sockaddr *)&lsa, sizeof lsa), 0);
	assert_int_equal(listen(l, 4), 0);
	getsockname(l, (struct sockaddr *)&lsa, &sl);
	memset(&j.g, 0, sizeof j.g);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&lsa, sizeof lsa, q, (size_t)n, 0.2, on_tcpjob), 0);
	while (!j.g.calls)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(j.g.err, ETIMEDOUT);
	memset(&j.g, 0, sizeof j.g);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&lsa, sizeof lsa, q, (size_t)n, 0.2, on_tcpjob), 0);
	dnstcp_stop(&j.t);
	assert_int_equal(dnstcp_active(&j.t), 0);
	run_seconds(0.3);
	assert_int_equal(j.g.calls, 0);
	close(l);

	/* arguments */
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&sa, sizeof sa, q, 5, 1.0, on_tcpjob), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dnstcp_start(&j.t, (struct sockaddr *)&sa, sizeof sa, q, DNSTCP_QUERY_MAX + 1, 1.0,
				      on_tcpjob), -1);
	assert_int_equal(errno, EMSGSIZE);
}

/* ---- real captures: ../shared/data/dns/pcap and tshark's decode of them ---------- */

static const char *pcap_dir(void)
{
	static char path[512];
	static const char *const roots[] = {"../../shared/data", "../shared/data"};
	const char *env = getenv("TIP_SHARED_DATA");
	for (size_t i = 0; i < (env ? 1 : sizeof roots / sizeof roots[0]); i++) {
		snprintf(path, sizeof path, "%s/dns/pcap", env ? env : roots[i]);
		char tsv[600];
		snprintf(tsv, sizeof tsv, "%s/responses-by-tshark.tsv", path);
		if (access(tsv, R_OK) == 0)
			return path;
	}
	return NULL;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			p = realloc(p, cap);
			assert_non_null(p);
		}
		size_t k = fread(p + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	*len = n;
	return p;
}

/* The DNS message of one link-layer frame (UDP or TCP port 53, unfragmented IP). */
static int frame_dns(uint32_t linktype, const uint8_t *p, size_t len, const uint8_t **msg, size_t *mlen)
{
	struct buf_rd c;
	unsigned ethertype = 0, proto;
	buf_rd_init(&c, p, len);
	if (linktype == 1) {
		buf_skip(&c, 12);
		ethertype = buf_get_be16(&c);
		while (ethertype == 0x8100 || ethertype == 0x88a8) {
			buf_skip(&c, 2);
			ethertype = buf_get_be16(&c);
		}
	} else if (linktype == 0) {
		uint32_t fam = buf_get_le32(&c);
		ethertype = fam == 2 ? 0x0800 : (fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
	} else if (linktype == 101 || linktype == 12) {
		ethertype = buf_left(&c) && (c.p[c.off] >> 4) == 6 ? 0x86dd : 0x0800;
	} else {
		return 0;
	}
	size_t l4;
	if (ethertype == 0x0800) {
		size_t ip = c.off;
		uint8_t vihl = buf_get_u8(&c);
		buf_skip(&c, 1);
		uint16_t total = buf_get_be16(&c);
		buf_skip(&c, 2);
		uint16_t frag = buf_get_be16(&c);
		buf_skip(&c, 1);
		proto = buf_get_u8(&c);
		if (c.err || (vihl >> 4) != 4 || (frag & 0x3fff) != 0 || total < (vihl & 15) * 4u)
			return 0;
		l4 = ip + (vihl & 15) * 4u;
		if (ip + total < len)
			len = ip + total;	/* Ethernet padding */
	} else if (ethertype == 0x86dd) {
		size_t ip = c.off;
		buf_skip(&c, 6);
		proto = buf_get_u8(&c);
		l4 = ip + 40;
	} else {
		return 0;
	}
	buf_rd_init(&c, p, len);
	buf_skip(&c, l4);
	uint16_t sport = buf_get_be16(&c), dport = buf_get_be16(&c);
	if (c.err || (sport != 53 && dport != 53))
		return 0;
	if (proto == 17) {
		buf_skip(&c, 4);
	} else if (proto == 6) {
		buf_skip(&c, 8);
		uint8_t off = buf_get_u8(&c);
		buf_skip(&c, (off >> 4) * 4u - 13);
		uint16_t l = buf_get_be16(&c);
		if (c.err || l > buf_left(&c))
			return 0;
		len = c.off + l;
	} else {
		return 0;
	}
	if (c.err || c.off >= len)
		return 0;
	*msg = p + c.off;
	*mlen = len - c.off;
	return 1;
}

struct tsv_row {
	char pcap[64];
	unsigned frame, qtype, rcode, ancount;
	char qname[256];
	char a[1024];
};

static int tsv_find(FILE *f, const char *pcap, unsigned frame, struct tsv_row *row)
{
	char line[8192];
	rewind(f);
	while (fgets(line, sizeof line, f)) {
		char *fld[9] = {0};
		int n = 0;
		char *save, *tok = line;
		for (char *p = line; n < 9; p++) {
			if (*p == '\t' || *p == '\n' || *p == '\0') {
				int end = *p == '\0' || *p == '\n';
				*p = '\0';
				fld[n++] = tok;
				tok = p + 1;
				if (end)
					break;
			}
		}
		(void)save;
		if (n < 6 || strcmp(fld[0], pcap) != 0 || (unsigned)atoi(fld[1]) != frame)
			continue;
		snprintf(row->pcap, sizeof row->pcap, "%s", fld[0]);
		row->frame = frame;
		snprintf(row->qname, sizeof row->qname, "%s", fld[2]);
		row->qtype = (unsigned)atoi(fld[3]);
		row->rcode = (unsigned)atoi(fld[4]);
		row->ancount = (unsigned)atoi(fld[5]);
		snprintf(row->a, sizeof row->a, "%s", n > 6 && fld[6] ? fld[6] : "");
		return 1;
	}
	return 0;
}

static void check_against_tshark(FILE *tsv, const char *file, unsigned frame, const uint8_t *msg, size_t mlen,
				 unsigned *matched)
{
	struct tsv_row row;
	struct dnsmsg_rr rr[64];
	static char text[65536];
	struct dnsmsg_arena a;
	struct dnsmsg_reply r;
	const char *why = NULL;

	dnsmsg_arena_init(&a, rr, 64, text, sizeof text);
	int rc = dnsmsg_parse(msg, mlen, &a, &r, &why);
	if (!tsv_find(tsv, file, frame, &row))
		return;	/* a query, or a response tshark could not decode either */
	if (rc < 0) {
		/* tshark shows what it could of a damaged message: a name error, two
		   questions, or answers it counted but could not decode */
		if (strchr(row.qname, '<') || strchr(row.qname, ',') ||
		    (row.qtype == DNS_TYPE_A && row.ancount && !row.a[0]) ||
		    /* an IQUERY answer: we only ever send opcode QUERY */
		    !strcmp(why, "not a standard query response")) {
			(*matched)++;
			return;
		}
		fail_msg("%s frame %u: tshark decodes it, we say: %s", file, frame, why);
	}
	assert_int_equal(r.rcode, row.rcode);
	assert_int_equal(r.qtype, row.qtype);
	assert_int_equal(r.ancount, row.ancount);
	if (strcasecmp(r.qname, row.qname) != 0 && !(!strcmp(r.qname, ".") && !strcmp(row.qname, "<Root>")))
		fail_msg("%s frame %u: qname %s, tshark %s", file, frame, r.qname, row.qname);
	if (row.qtype == DNS_TYPE_A) {
		char want[1100];
		unsigned n_tsv = 0;
		snprintf(want, sizeof want, ",%s,", row.a);
		for (char *p = row.a; *p; p++)
			n_tsv += *p == ',';
		n_tsv += row.a[0] != '\0';
		for (unsigned i = 0; i < r.n; i++) {
			char ip[32];
			snprintf(ip, sizeof ip, ",%u.%u.%u.%u,", r.rr[i].u.addr[0], r.rr[i].u.addr[1],
				 r.rr[i].u.addr[2], r.rr[i].u.addr[3]);
			if (!strstr(want, ip))
				fail_msg("%s frame %u: %s not in tshark's %s", file, frame, ip, row.a);
		}
		/* no CNAME and no extra A records: exactly the same set */
		if (n_tsv == row.ancount)
			assert_int_equal(r.n, row.ancount);
	}
	(*matched)++;
}

static void test_dnsmsg_parse_real_captures(void **state)
{
	const char *dir = pcap_dir();
	char path[700];
	unsigned frames = 0, parsed = 0, refused = 0, matched = 0;
	(void)state;
	if (!dir) {
		skip();
		return;
	}
	snprintf(path, sizeof path, "%s/responses-by-tshark.tsv", dir);
	FILE *tsv = fopen(path, "r");
	assert_non_null(tsv);
	static const char *const files[] = {
		"maltrail-dns_dga_labels.pcap", "maltrail-dns_malformed.pcap", "maltrail-dns_nxdomain_flood.pcap",
		"maltrail-dns_queries.pcap", "maltrail-dns_responses.pcap", "ndpi-dns-invalid-chars.pcap",
		"ndpi-dns.pcap", "ndpi-dns_ambiguous_names.pcap", "ndpi-dns_fragmented.pcap",
		"ndpi-dns_invert_query.pcapng", "ndpi-dns_long_domainname.pcap", "ndpi-malformed_dns.pcap",
		"tcpdump-dns-badcookie.pcap", "tcpdump-dns-badlabel.pcap", "tcpdump-dns-zlip-1.pcap",
		"tcpdump-dns_fwdptr.pcap", "tcpdump-dns_tcp.pcap", "tcpdump-dns_udp.pcap", "tcpdump-dnssec.pcap",
		"tcpdump-edns-opts.pcap",
	};
	for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", dir, files[fi]);
		uint8_t *p = slurp(path, &len);
		assert_non_null(p);
		struct buf_rd c;
		buf_rd_init(&c, p, len);
		uint32_t magic = buf_get_le32(&c), linktype = 1;
		unsigned frame = 0;
		if (magic == 0x0a0d0d0a) {
			/* pcapng: interface blocks give the link type, packet blocks the frames */
			buf_rd_init(&c, p, len);
			while (buf_left(&c) >= 12) {
				size_t start = c.off;
				uint32_t type = buf_get_le32(&c), blen = buf_get_le32(&c);
				if (blen < 12 || blen > len - start)
					break;
				if (type == 1) {
					linktype = buf_get_le16(&c);
				} else if (type == 6 || type == 3) {
					uint32_t cap;
					if (type == 6) {
						buf_skip(&c, 12);
						cap = buf_get_le32(&c);
						buf_skip(&c, 4);
					} else {
						cap = buf_get_le32(&c);
					}
					const uint8_t *pkt = buf_get_bytes(&c, cap);
					const uint8_t *msg;
					size_t mlen;
					frame++;
					if (pkt && frame_dns(linktype, pkt, cap, &msg, &mlen)) {
						frames++;
						check_against_tshark(tsv, files[fi], frame, msg, mlen, &matched);
					}
				}
				buf_rd_init(&c, p, len);
				buf_skip(&c, start + blen);
			}
		} else {
			assert_true(magic == 0xa1b2c3d4u || magic == 0xa1b23c4du);
			buf_skip(&c, 16);
			linktype = buf_get_le32(&c);
			while (buf_left(&c) >= 16) {
				buf_skip(&c, 8);
				uint32_t cap = buf_get_le32(&c);
				buf_skip(&c, 4);
				const uint8_t *pkt = buf_get_bytes(&c, cap);
				const uint8_t *msg;
				size_t mlen;
				if (!pkt)
					break;
				frame++;
				if (!frame_dns(linktype, pkt, cap, &msg, &mlen))
					continue;
				frames++;
				struct dnsmsg_rr rr[8];
				char text[2048];
				struct dnsmsg_arena a;
				struct dnsmsg_reply r;
				dnsmsg_arena_init(&a, rr, 8, text, sizeof text);
				if (dnsmsg_parse(msg, mlen, &a, &r, NULL) == 0)
					parsed++;
				else
					refused++;
				/* every truncation of every real message: no crash, no overrun */
				for (size_t k = 0; k < mlen; k++)
					dnsmsg_parse(msg, k, &a, &r, NULL);
				check_against_tshark(tsv, files[fi], frame, msg, mlen, &matched);
			}
		}
		free(p);
	}
	fclose(tsv);
	print_message("dnsmsg: %u DNS frames, %u responses parsed, %u refused (queries, damage), %u checked against tshark\n",
		      frames, parsed, refused, matched);
	assert_true(matched >= 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnsmsg_names_round_trip),
		cmocka_unit_test(test_dnsmsg_query_encoding),
		cmocka_unit_test(test_dnsmsg_parse_answers),
		cmocka_unit_test(test_dnsmsg_parse_names_txt_cname),
		cmocka_unit_test(test_dnsmsg_parse_rejects_malformed),
		cmocka_unit_test(test_dnsmsg_parse_survives_mutations),
		cmocka_unit_test(test_dnsmsg_parse_real_captures),
		cmocka_unit_test(test_dnstcp_exchanges_and_fails_cleanly),
		cmocka_unit_test(test_resolver_answers_each_type),
		cmocka_unit_test(test_resolver_negative_outcomes),
		cmocka_unit_test(test_resolver_tcp_fallback),
		cmocka_unit_test(test_resolver_caps_records),
		cmocka_unit_test(test_resolver_cancel_in_every_state),
		cmocka_unit_test(test_resolver_shutdown_cancels_all),
		cmocka_unit_test(test_resolver_inflight_cap_and_queue),
		cmocka_unit_test(test_resolver_qps_cap),
		cmocka_unit_test(test_resolver_sockets_reopen_with_new_ports),
		cmocka_unit_test(test_resolver_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
