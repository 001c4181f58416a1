/*
 * test_fastflux: the fast-flux module (sensor/mod_fastflux.c) through its
 * ops, in scenarios in the style of Unbound's testbound: a fake resolver
 * (this file defines resolver.h, so resolver.o is not linked) holds every
 * query the module asks; the test answers them, moves the fake clock and
 * runs the real scheduler, then checks the verdict, the timing of the next
 * lookup and the records handed to the store.  Records are kept in memory
 * and, for the restart tests, also written to a real store that the next
 * instance of the module rebuilds from.
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

#include <cmocka.h>

#include "clock.h"
#include "fastflux.h"
#include "module.h"
#include "resolver.h"
#include "seg.h"
#include "seg_writer.h"
#include "testutil.h"
#include "tipd.h"
#include "writer.h"

#define T0 (1800000000LL * 1000000)	/* 2027-01-15, a set clock */
#define SEC 1000000LL

extern const struct module_ops mod_fastflux_ops;
int cmd_asn(int argc, char **argv);
int tip_usage(const char *cmd);

/* tools/main.c is not linked: `tip asn import` (tools/asn.c) reports usage through this. */
int tip_usage(const char *cmd)
{
	fail_msg("tip %s: usage", cmd);
	return 2;
}

/* ---- the fake resolver ------------------------------------------------------ */

#define FQ_MAX 4096

struct resolver_query {
	int live;
	enum resolver_type type;
	char name[320];
	resolver_cb *cb;
	void *arg;
};

static struct fake {
	struct resolver_query q[FQ_MAX];
	int resolvers;		/* resolver_new minus resolver_free */
	int refuse;		/* submit fails with EAGAIN while set */
	unsigned cancelled, submitted;
	unsigned asname_asked;	/* AS-name TXT questions answered */
	unsigned max_live[32];	/* most live queries of a type at once */
} fk;

static struct resolver *const FAKE = (struct resolver *)&fk;

void resolver_config_defaults(struct resolver_config *c)
{
	memset(c, 0, sizeof *c);
	c->timeout = 2;
	c->tries = 2;
	c->edns_size = 4096;
	c->contexts = 4;
	c->per_ctx_inflight = 128;
	c->max_inflight = 256;
	c->max_queued = 4096;
	c->max_rr = 256;
	c->text_bytes = 16384;
}

/* The fake's check: a bare IPv4 or IPv6 address, ports aside (resolver.c has the real one). */
int resolver_server_check(const char *s)
{
	char h[64];
	unsigned char a[16];
	size_t n = strcspn(s[0] == '[' ? s + 1 : s, s[0] == '[' ? "]" : ":");
	if (n >= sizeof h)
		return -1;
	memcpy(h, s[0] == '[' ? s + 1 : s, n);
	h[n] = 0;
	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1 ? 0 : -1;
}

struct resolver *resolver_new(struct ev_loop *loop, const struct resolver_config *c, const char **why)
{
	if (!c->servers) {	/* the tests never fall back to resolv.conf */
		*why = "test: no servers";
		errno = EINVAL;
		return NULL;
	}
	fk.resolvers++;
	return FAKE;
}

void resolver_free(struct resolver *r)
{
	if (r)
		fk.resolvers--;
}

void resolver_shutdown(struct resolver *r)
{
}

static unsigned live_of(enum resolver_type t)
{
	unsigned n = 0;
	for (int i = 0; i < FQ_MAX; i++)
		n += fk.q[i].live && fk.q[i].type == t;
	return n;
}

struct resolver_query *resolver_submit(struct resolver *r, enum resolver_type type, const char *name,
				       resolver_cb *cb, void *arg)
{
	if (fk.refuse) {
		errno = EAGAIN;
		return NULL;
	}
	for (int i = 0; i < FQ_MAX; i++)
		if (!fk.q[i].live) {
			struct resolver_query *q = &fk.q[i];
			q->live = 1;
			q->type = type;
			snprintf(q->name, sizeof q->name, "%s", name);
			q->cb = cb;
			q->arg = arg;
			fk.submitted++;
			unsigned n = live_of(type);
			if (n > fk.max_live[type & 31])
				fk.max_live[type & 31] = n;
			return q;
		}
	errno = EAGAIN;
	return NULL;
}

void resolver_cancel(struct resolver *r, struct resolver_query *q)
{
	if (q && q->live) {
		q->live = 0;
		fk.cancelled++;
	}
}

void resolver_stats(const struct resolver *r, struct resolver_stats *st)
{
	memset(st, 0, sizeof *st);
}

const char *resolver_outcome_name(enum resolver_outcome o)
{
	static const char *const names[RESOLVER__OUTCOMES] = {
		"ok", "nxdomain", "nodata", "servfail", "refused", "timeout",
		"malformed", "truncated", "neterr", "nomem", "cancelled",
	};
	return (unsigned)o < RESOLVER__OUTCOMES ? names[o] : "?";
}

int resolver_ptr_name(int family, const uint8_t *addr, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2], addr[1], addr[0]);
	return family == 4 && n > 0 && (size_t)n < cap ? n : -1;
}

static struct resolver_query *pending(enum resolver_type t, const char *name)
{
	for (int i = 0; i < FQ_MAX; i++)
		if (fk.q[i].live && fk.q[i].type == t && !strcmp(fk.q[i].name, name))
			return &fk.q[i];
	return NULL;
}

static struct sockaddr_in server = {.sin_family = AF_INET};

/* Deliver an answer: the handle is dead when the callback starts. */
static void deliver(struct resolver_query *q, enum resolver_outcome o, int rcode,
		    const struct resolver_rr *rr, unsigned n, uint32_t ttl)
{
	struct resolver_answer a;
	memset(&a, 0, sizeof a);
	a.outcome = o;
	a.rcode = rcode;
	a.qtype = (uint16_t)q->type;
	a.qname = q->name;
	a.n = n;
	a.rr = rr;
	a.ttl = n ? ttl : 0;
	if (rcode >= 0) {
		a.server = (const struct sockaddr *)&server;
		a.server_len = sizeof server;
	}
	q->live = 0;
	q->cb(q, &a, q->arg);
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

/* Answer the pending A query of name with n addresses. */
static void answer_a(const char *name, uint32_t ttl, const uint32_t *ips, unsigned n)
{
	struct resolver_query *q = pending(RESOLVER_A, name);
	assert_non_null(q);
	struct resolver_rr *rr = calloc(n ? n : 1, sizeof *rr);
	for (unsigned i = 0; i < n; i++) {
		rr[i].ttl = ttl;
		rr[i].type = RESOLVER_A;
		rr[i].len = 4;
		rr[i].u.addr[0] = (uint8_t)(ips[i] >> 24);
		rr[i].u.addr[1] = (uint8_t)(ips[i] >> 16);
		rr[i].u.addr[2] = (uint8_t)(ips[i] >> 8);
		rr[i].u.addr[3] = (uint8_t)ips[i];
	}
	deliver(q, n ? RESOLVER_OK : RESOLVER_NODATA, 0, rr, n, ttl);
	free(rr);
}

static void answer_fail(enum resolver_type t, const char *name, enum resolver_outcome o, int rcode)
{
	struct resolver_query *q = pending(t, name);
	assert_non_null(q);
	deliver(q, o, rcode, NULL, 0, 0);
}

static void answer_ns(const char *name, const char *const *ns, unsigned n)
{
	struct resolver_query *q = pending(RESOLVER_NS, name);
	assert_non_null(q);
	struct resolver_rr rr[8];
	for (unsigned i = 0; i < n; i++) {
		rr[i].ttl = 300;
		rr[i].type = RESOLVER_NS;
		rr[i].len = (uint16_t)strlen(ns[i]);
		rr[i].u.text = ns[i];
	}
	deliver(q, n ? RESOLVER_OK : RESOLVER_NODATA, 0, rr, n, 300);
}

/* The Cymru-style world the fake serves: ASN and country of an address. */
static uint32_t (*world_asn)(uint32_t ip);
static int ptr_answers;		/* 1: PTR answered with a name, 0: NXDOMAIN */
static int moas;		/* 1: TXT lines list a second origin ASN (asn + 1000) */
static int asname_answers;	/* 1: AS-name TXT answered, 0: NXDOMAIN */

static uint32_t asn_by_second_octet(uint32_t ip)
{
	return 64500 + ((ip >> 16) & 0xff);
}

static int parse_rev(const char *name, uint32_t *ip)
{
	unsigned o[4];
	if (sscanf(name, "%u.%u.%u.%u.", &o[0], &o[1], &o[2], &o[3]) != 4)
		return -1;
	*ip = ip4(o[3], o[2], o[1], o[0]);
	return 0;
}

/* Answer every TXT and PTR question asked so far (and those the answers lead to). */
static unsigned serve_enrichment(void)
{
	unsigned n = 0;
	for (int again = 1; again;) {
		again = 0;
		for (int i = 0; i < FQ_MAX; i++) {
			struct resolver_query *q = &fk.q[i];
			uint32_t ip = 0;
			if (!q->live || (q->type != RESOLVER_TXT && q->type != RESOLVER_PTR))
				continue;
			again = 1;
			n++;
			unsigned as;
			if (q->type == RESOLVER_TXT && sscanf(q->name, "AS%u.", &as) == 1) {
				/* an AS name, in the zone above origin.asn.test */
				char line[128], qn[64];
				snprintf(qn, sizeof qn, "AS%u.asn.test", as);
				assert_string_equal(q->name, qn);
				fk.asname_asked++;
				if (!asname_answers) {
					deliver(q, RESOLVER_NXDOMAIN, 3, NULL, 0, 0);
					continue;
				}
				snprintf(line, sizeof line, "%u | DE | ripencc | 2001-01-02 | NET-%u Example, DE",
					 as, as);
				struct resolver_rr rr = {.ttl = 3600, .type = RESOLVER_TXT,
							 .len = (uint16_t)strlen(line)};
				rr.u.text = line;
				deliver(q, RESOLVER_OK, 0, &rr, 1, 3600);
				continue;
			}
			assert_int_equal(parse_rev(q->name, &ip), 0);
			if (q->type == RESOLVER_TXT) {
				assert_non_null(strstr(q->name, ".origin.asn.test"));
				uint32_t asn = world_asn ? world_asn(ip) : 0;
				if (!asn) {
					deliver(q, RESOLVER_NXDOMAIN, 3, NULL, 0, 0);
					continue;
				}
				char line[128];
				char second[16] = "";
				if (moas)
					snprintf(second, sizeof second, " %u", asn + 1000);
				snprintf(line, sizeof line, "%u%s | %u.%u.0.0/16 | %s | ripencc | 2001-01-01",
					 asn, second, ip >> 24, (ip >> 16) & 255, asn % 2 ? "NL" : "DE");
				struct resolver_rr rr = {.ttl = 3600, .type = RESOLVER_TXT,
							 .len = (uint16_t)strlen(line)};
				rr.u.text = line;
				deliver(q, RESOLVER_OK, 0, &rr, 1, 3600);
			} else if (ptr_answers) {
				char host[64];
				snprintf(host, sizeof host, "host-%u-%u.dyn.example", (ip >> 8) & 255,
					 ip & 255);
				struct resolver_rr rr = {.ttl = 3600, .type = RESOLVER_PTR,
							 .len = (uint16_t)strlen(host)};
				rr.u.text = host;
				deliver(q, RESOLVER_OK, 0, &rr, 1, 3600);
			} else {
				deliver(q, RESOLVER_NXDOMAIN, 3, NULL, 0, 0);
			}
		}
	}
	return n;
}

static unsigned live_total(void)
{
	unsigned n = 0;
	for (int i = 0; i < FQ_MAX; i++)
		n += fk.q[i].live;
	return n;
}

/* ---- the daemon around the module ------------------------------------------------ */

static struct rec *recs[1 << 14];
static size_t nrecs;
static struct seg_writer *sink;	/* restart tests: records also go to a real store */
static char *dir;

int tipd_record(struct tipd *d, const struct rec *r)
{
	assert_true(nrecs < sizeof recs / sizeof recs[0]);
	recs[nrecs] = writer_rec_dup(r);
	assert_non_null(recs[nrecs]);
	nrecs++;
	if (sink)
		assert_int_equal(seg_writer_append(sink, r), 0);
	return 0;
}

void tipd_event(struct tipd *d, int kind, const char *fmt, ...)
{
}

static void recs_clear(void)
{
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i]);
	nrecs = 0;
}

static struct tipd d;
static struct module m;

static void ff_up(const char *extra)
{
	char text[4096], err[512];
	snprintf(text, sizeof text,
		 "store {\n  dir %s/store\n}\n"
		 "module fastflux {\n  servers 127.0.0.1:5300\n  asn-zone origin.asn.test\n%s}\n",
		 dir, extra);
	memset(&d, 0, sizeof d);
	if (conf_parse(&d.conf, "t.conf", text, strlen(text), err, sizeof err) < 0 ||
	    module_conf_check(&d.conf, err, sizeof err) < 0)
		fail_msg("%s", err);
	sched_init(&d.sched);
	bus_init(&d.bus, &d.sched);
	m = (struct module){.ops = &mod_fastflux_ops, .d = &d, .trace = -1};
	m.sec = conf_module(&d.conf, "fastflux");
	assert_int_equal(m.ops->init(&m), 0);
	assert_int_equal(m.ops->start(&m), 0);
	sched_run(&d.sched);
}

static void ff_down(void)
{
	m.ops->stop(&m);
	assert_int_equal(fk.resolvers, 0);
	bus_fini(&d.bus);
	sched_fini(&d.sched);
	conf_free(&d.conf);
}

static int setup(void **state)
{
	memset(&fk, 0, sizeof fk);
	server.sin_addr.s_addr = htonl(0x7f000001);
	server.sin_port = htons(5300);
	world_asn = asn_by_second_octet;
	ptr_answers = 0;
	moas = 0;
	asname_answers = 1;
	clock_fake(T0);
	dir = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	recs_clear();
	if (sink) {
		seg_writer_free(sink);
		sink = NULL;
	}
	tu_rmrf(dir);
	free(dir);
	clock_fake(0);
	return 0;
}

static void submit(const char *name)
{
	assert_int_equal(bus_publish(&d.bus, name, strlen(name), BUS_SRC_OPERATOR), 0);
	sched_run(&d.sched);
}

/* Time passes: the clock moves in one-second steps and the scheduler runs each. */
static void pass(int64_t secs)
{
	for (int64_t i = 0; i < secs; i++) {
		clock_advance(SEC);
		sched_run(&d.sched);
	}
}

static struct fastflux_info info(const char *name)
{
	struct fastflux_info in;
	assert_int_equal(fastflux_domain(&m, name, &in), 1);
	return in;
}

static uint64_t stat_of(const char *key);

/* The last score record of name for a window kind, or NULL. */
static const struct rec_score *last_score(const char *name, int window)
{
	for (size_t i = nrecs; i-- > 0;) {
		const struct rec *r = recs[i];
		if (r->type == REC_SCORE && r->u.score.window == window &&
		    r->u.score.name_len == strlen(name) && !memcmp(r->u.score.name, name, strlen(name)))
			return &r->u.score;
	}
	return NULL;
}

static size_t count_recs(int type, const char *name, int window)
{
	size_t n = 0;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = recs[i];
		if (r->type != type)
			continue;
		if (type == REC_SCORE && (r->u.score.window != window ||
					  r->u.score.name_len != strlen(name) ||
					  memcmp(r->u.score.name, name, strlen(name))))
			continue;
		if (type == REC_DNS && name && (r->u.dns.name_len != strlen(name) ||
						memcmp(r->u.dns.name, name, strlen(name))))
			continue;
		n++;
	}
	return n;
}

static struct {
	const char *key;
	uint64_t v;
	int found;
} want;

static void emit(void *ctx, const char *key, uint64_t v)
{
	if (!strcmp(key, want.key)) {
		want.v = v;
		want.found = 1;
	}
}

static uint64_t stat_of(const char *key)
{
	want.key = key;
	want.found = 0;
	m.ops->stats(&m, emit, NULL);
	assert_true(want.found);
	return want.v;
}

/* n distinct addresses spread over n_asn ASNs (second octet = ASN - 64500). */
static uint32_t *spread(unsigned n, unsigned n_asn, unsigned salt)
{
	uint32_t *v = calloc(n, sizeof *v);
	for (unsigned i = 0; i < n; i++)
		v[i] = ip4(10 + salt, i % n_asn, (i / n_asn) / 250, 1 + (i / n_asn) % 250);
	return v;
}

/* Look name up `lookups` times, the addresses split evenly, each round after the TTL. */
static void feed(const char *name, const uint32_t *ips, unsigned n, unsigned lookups, uint32_t ttl)
{
	for (unsigned k = 0; k < lookups; k++) {
		unsigned from = n * k / lookups, to = n * (k + 1) / lookups;
		if (!pending(RESOLVER_A, name))
			pass(ttl);
		answer_a(name, ttl, ips + from, to - from);
		if (pending(RESOLVER_NS, name))
			answer_ns(name, NULL, 0);
		serve_enrichment();
	}
}

/* ---- scenarios ------------------------------------------------------------------- */

/* DESIGN.md's calibration points, through the whole module: lookups, TXT, verdict, record. */
static void test_fastflux_calibration_through_module(void **state)
{
	static const struct {
		unsigned n_a, n_asn;
		int32_t x100;
		int flux;
	} cal[] = {
		{8, 8, 15888, 1}, {93, 1, 14130, 0}, {94, 1, 14262, 1}, {431, 107, 255270, 1},
	};
	ff_up("  window 2\n  ttl-min 10s\n  ptr no\n  ns no\n");
	for (size_t i = 0; i < sizeof cal / sizeof cal[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "cal%zu.example", i);
		submit(name);
		uint32_t *ips = spread(cal[i].n_a, cal[i].n_asn, (unsigned)i);
		feed(name, ips, cal[i].n_a, 2, 60);
		free(ips);
		struct fastflux_info in = info(name);
		assert_int_equal(in.state, cal[i].flux ? FASTFLUX_FLUX : FASTFLUX_BENIGN);
		assert_true(in.window_closed);
		assert_int_equal(in.w.n_a, cal[i].n_a);
		assert_int_equal(in.w.n_asn, cal[i].n_asn);
		assert_int_equal(in.w.score_x100, cal[i].x100);
		const struct rec_score *s = last_score(name, 1);
		assert_non_null(s);
		assert_int_equal(s->n_a, cal[i].n_a);
		assert_int_equal(s->n_asn, cal[i].n_asn);
		assert_int_equal(s->lookups, 2);
		assert_true(s->score > cal[i].x100 / 100.0 - 0.001 && s->score < cal[i].x100 / 100.0 + 0.001);
		double margin = (cal[i].x100 - 14238) / 100.0;
		assert_true(s->margin > margin - 0.001 && s->margin < margin + 0.001);
		assert_int_equal(count_recs(REC_SCORE, name, 1), 1);
	}
	assert_int_equal(stat_of("classified_flux"), 3);
	assert_int_equal(stat_of("classified_benign"), 1);
	ff_down();
}

/* First lookup at once, re-lookups at the TTL clamped to [ttl-min, ttl-max], verdict after the window. */
static void test_fastflux_window_follows_ttl_within_bounds(void **state)
{
	ff_up("  window 3\n  ttl-min 10s\n  ttl-max 100s\n  ptr no\n");
	const char *n = "w.example";
	submit(n);
	assert_non_null(pending(RESOLVER_A, n));
	assert_non_null(pending(RESOLVER_NS, n));
	assert_int_equal(info(n).state, FASTFLUX_NEW);
	uint32_t a1[] = {ip4(11, 1, 0, 1), ip4(11, 2, 0, 1), ip4(11, 3, 0, 1)};
	answer_a(n, 30, a1, 3);
	const char *ns1[] = {"ns1.w.example", "ns2.w.example"};
	answer_ns(n, ns1, 2);
	assert_int_equal(info(n).state, FASTFLUX_WINDOW);
	assert_int_equal(info(n).first_us, T0);
	serve_enrichment();

	pass(29);	/* TTL 30: not yet */
	assert_null(pending(RESOLVER_A, n));
	pass(1);
	assert_non_null(pending(RESOLVER_A, n));
	uint32_t a2[] = {ip4(11, 4, 0, 1), ip4(11, 5, 0, 1)};
	answer_a(n, 2, a2, 2);	/* TTL 2 is below ttl-min 10 */
	const char *ns2[] = {"ns3.w.example"};
	answer_ns(n, ns2, 1);	/* the NS set moves: double flux is counted */
	serve_enrichment();
	assert_int_equal(stat_of("ns_changes"), 1);
	pass(9);
	assert_null(pending(RESOLVER_A, n));
	pass(1);
	assert_non_null(pending(RESOLVER_A, n));
	assert_int_equal(info(n).state, FASTFLUX_WINDOW);
	uint32_t a3[] = {ip4(11, 6, 0, 1), ip4(11, 7, 0, 1), ip4(11, 8, 0, 1)};
	answer_a(n, 100000, a3, 3);	/* above ttl-max 100 */
	answer_ns(n, ns2, 1);
	assert_int_equal(info(n).asn_pending, 3);
	assert_int_equal(info(n).state, FASTFLUX_WINDOW);	/* waits for its ASNs */
	serve_enrichment();
	struct fastflux_info in = info(n);
	assert_int_equal(in.state, FASTFLUX_FLUX);	/* 8 hosts, 8 ASNs: 158.88 */
	assert_int_equal(in.w.score_x100, 15888);
	assert_int_equal(in.w.n_ns, 3);
	assert_int_equal(in.lookups, 3);
	pass(99);
	assert_null(pending(RESOLVER_A, n));
	pass(1);
	assert_non_null(pending(RESOLVER_A, n));

	/* after the window new answers move the running totals, never the window */
	uint32_t a4[] = {ip4(11, 9, 0, 1)};
	answer_a(n, 50, a4, 1);
	serve_enrichment();
	in = info(n);
	assert_int_equal(in.v.n_a, 9);
	assert_int_equal(in.w.n_a, 8);
	assert_int_equal(in.w.score_x100, 15888);
	assert_int_equal(count_recs(REC_SCORE, n, 1), 1);
	assert_int_equal(last_score(n, 0)->n_a, 9);
	ff_down();
}

/* A flux domain stays watched at its TTL, with first seen kept and last seen moving. */
static void test_fastflux_flux_domain_stays_watched(void **state)
{
	ff_up("  window 2\n  ttl-min 20s\n  ptr no\n  ns no\n");
	const char *n = "stay.example";
	submit(n);
	uint32_t *ips = spread(16, 16, 1);
	feed(n, ips, 16, 2, 20);
	assert_int_equal(info(n).state, FASTFLUX_FLUX);
	int64_t first = info(n).first_us;
	for (int round = 0; round < 10; round++) {
		pass(20);
		assert_non_null(pending(RESOLVER_A, n));
		answer_a(n, 20, ips + round % 16, 1);	/* nothing new: no back-off for flux */
	}
	struct fastflux_info in = info(n);
	assert_int_equal(in.state, FASTFLUX_FLUX);
	assert_int_equal(in.first_us, first);
	assert_int_equal(in.last_us, clock_now_us());
	assert_int_equal(in.lookups, 12);
	assert_int_equal(in.backoff, 0);
	free(ips);
	ff_down();
}

/* A benign domain backs off, doubling up to benign-max; new addresses reset it; crossing promotes. */
static void test_fastflux_benign_backs_off(void **state)
{
	ff_up("  window 2\n  ttl-min 60s\n  ttl-max 60s\n  benign-max 600s\n  ptr no\n  ns no\n");
	const char *n = "calm.example";
	uint32_t one[] = {ip4(12, 1, 0, 1)};
	submit(n);
	answer_a(n, 300, one, 1);
	serve_enrichment();
	pass(60);
	answer_a(n, 300, one, 1);
	assert_int_equal(info(n).state, FASTFLUX_BENIGN);
	/* intervals 60 (just judged), 120, 240, 480, then 600 (the cap), 600 */
	static const int64_t gaps[] = {60, 120, 240, 480, 600, 600};
	for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
		pass(gaps[i] - 1);
		assert_null(pending(RESOLVER_A, n));
		pass(1);
		assert_non_null(pending(RESOLVER_A, n));
		answer_a(n, 300, one, 1);
	}
	/* a new address resets the back-off */
	pass(600);
	uint32_t two[] = {ip4(12, 1, 0, 1), ip4(12, 2, 0, 1)};
	answer_a(n, 300, two, 2);
	serve_enrichment();
	assert_int_equal(info(n).backoff, 0);
	pass(59);
	assert_null(pending(RESOLVER_A, n));
	pass(1);
	assert_non_null(pending(RESOLVER_A, n));
	/* it turns into a flux domain: the running totals cross, it is promoted */
	uint32_t *many = spread(8, 8, 7);
	answer_a(n, 300, many, 8);
	serve_enrichment();
	free(many);
	assert_int_equal(info(n).state, FASTFLUX_FLUX);
	assert_int_equal(stat_of("promoted"), 1);
	assert_int_equal(info(n).w.score_x100, 132 + 1854);	/* the window stays what it was */
	ff_down();
}

/* Names that stop answering back off and are dropped after `expire`; answering ones stay. */
static void test_fastflux_idle_domains_expire(void **state)
{
	ff_up("  window 2\n  ttl-min 60s\n  ttl-max 60s\n  benign-max 1h\n  expire 2h\n"
	      "  ptr no\n  ns no\n");
	submit("gone.example");
	submit("alive.example");
	answer_fail(RESOLVER_A, "gone.example", RESOLVER_NXDOMAIN, 3);
	uint32_t one[] = {ip4(13, 1, 0, 1)};
	answer_a("alive.example", 60, one, 1);
	serve_enrichment();
	int64_t fails = 1;
	for (int s = 0; s < 3 * 3600; s++) {
		pass(1);
		if (pending(RESOLVER_A, "gone.example")) {
			answer_fail(RESOLVER_A, "gone.example", fails % 2 ? RESOLVER_TIMEOUT
								     : RESOLVER_SERVFAIL,
				    fails % 2 ? -1 : 2);
			fails++;
		}
		if (pending(RESOLVER_A, "alive.example"))
			answer_a("alive.example", 60, one, 1);
	}
	/* back-off 60, 120, 240, ... up to the hour: few lookups before it is dropped */
	assert_true(fails >= 5 && fails <= 9);
	struct fastflux_info in;
	assert_int_equal(fastflux_domain(&m, "gone.example", &in), 0);
	assert_int_equal(stat_of("expired"), 1);
	assert_int_equal(info("alive.example").state, FASTFLUX_BENIGN);
	/* the outcomes are told apart in the records and the counters */
	assert_int_equal(stat_of("dns_nxdomain"), 1);
	assert_true(stat_of("dns_timeout") >= 2 && stat_of("dns_servfail") >= 2);
	size_t to = 0, sf = 0, nx = 0;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_DNS && recs[i]->u.dns.name_len == 12) {
			to += recs[i]->u.dns.rcode == RCODE_TIMEOUT;
			sf += recs[i]->u.dns.rcode == 2;
			nx += recs[i]->u.dns.rcode == 3;
		}
	assert_int_equal(nx, 1);
	assert_int_equal(to, stat_of("dns_timeout"));
	assert_int_equal(sf, stat_of("dns_servfail"));
	/* it may come back as a new candidate, from scratch */
	submit("gone.example");
	assert_int_equal(info("gone.example").state, FASTFLUX_NEW);
	assert_int_equal(info("gone.example").lookups, 0);
	ff_down();
}

/* Memory per domain is bounded: sets stop at their caps and count refusals; queues are bounded. */
static void test_fastflux_caps_bound_memory(void **state)
{
	ff_up("  window 2\n  cap-a 16\n  cap-asn 4\n  cap-ns 2\n  queue 3\n  max-domains 4\n"
	      "  ptr no\n");
	submit("big.example");
	uint32_t *ips = spread(40, 10, 3);
	answer_a("big.example", 60, ips, 40);
	const char *ns[] = {"a.ns.example", "b.ns.example", "c.ns.example"};
	answer_ns("big.example", ns, 3);
	serve_enrichment();
	struct fastflux_info in = info("big.example");
	assert_int_equal(in.v.n_a, 16);
	assert_int_equal(in.v.n_asn, 4);
	assert_int_equal(in.v.n_ns, 2);
	assert_true(in.v.capped);
	assert_int_equal(stat_of("cap_a"), 24);
	assert_true(stat_of("cap_asn") >= 1);
	assert_int_equal(stat_of("cap_ns"), 1);
	/* the REC_DNS still holds the whole answer set */
	const struct rec *r = NULL;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_DNS && recs[i]->u.dns.qtype == RESOLVER_A)
			r = recs[i];
	assert_non_null(r);
	assert_int_equal(r->u.dns.n_a4, 40);
	free(ips);

	/* three wait for their first lookup: the fourth candidate finds the queue full */
	fk.refuse = 1;
	submit("q1.example");
	submit("q2.example");
	submit("q3.example");
	submit("q4.example");
	assert_int_equal(stat_of("queued"), 3);
	assert_int_equal(stat_of("cand_dropped_queue"), 1);
	fk.refuse = 0;
	pass(1);
	answer_fail(RESOLVER_A, "q1.example", RESOLVER_NXDOMAIN, 3);
	submit("q5.example");	/* four domains: full */
	assert_int_equal(stat_of("cand_dropped_full"), 1);
	submit("q1.example");	/* a known one is no new domain */
	assert_int_equal(stat_of("cand_known"), 1);
	ff_down();
}

/* What goes to the store: REC_DNS per lookup, REC_ENRICH once per address, REC_SCORE on change only. */
static void test_fastflux_records(void **state)
{
	ptr_answers = 1;
	ff_up("  window 2\n  ttl-min 10s\n  ptr-per-domain 2\n");
	const char *n = "rec.example";
	submit(n);
	uint32_t ips[] = {ip4(14, 1, 0, 1), ip4(14, 2, 0, 1), ip4(14, 3, 0, 1)};
	answer_a(n, 42, ips, 3);
	answer_fail(RESOLVER_NS, n, RESOLVER_NODATA, 0);
	/* three origin TXT, two PTR (the cap), the names of three ASNs */
	assert_int_equal(serve_enrichment(), 3 + 2 + 3);
	const struct rec *a = NULL, *ns = NULL;
	size_t enrich = 0, with_ptr = 0;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = recs[i];
		if (r->type == REC_DNS && r->u.dns.qtype == 1)
			a = r;
		if (r->type == REC_DNS && r->u.dns.qtype == 2)
			ns = r;
		if (r->type == REC_ENRICH) {
			enrich++;
			with_ptr += r->u.enrich.ptr_len > 0;
			uint32_t ip = (uint32_t)r->u.enrich.ip.addr[0] << 24 |
				      (uint32_t)r->u.enrich.ip.addr[1] << 16;
			assert_int_equal(r->u.enrich.asn, asn_by_second_octet(ip));
			assert_memory_equal(r->u.enrich.country, r->u.enrich.asn % 2 ? "NL" : "DE", 2);
			char want_name[64];
			snprintf(want_name, sizeof want_name, "NET-%u Example, DE", r->u.enrich.asn);
			assert_int_equal(r->u.enrich.as_name_len, strlen(want_name));
			assert_memory_equal(r->u.enrich.as_name, want_name, strlen(want_name));
		}
	}
	assert_non_null(a);
	assert_int_equal(a->u.dns.rcode, 0);
	assert_int_equal(a->u.dns.ttl, 42);
	assert_int_equal(a->u.dns.n_a4, 3);
	assert_memory_equal(a->u.dns.a4, "\x0e\x01\x00\x01\x0e\x02\x00\x01\x0e\x03\x00\x01", 12);
	assert_int_equal(a->u.dns.server.family, 4);
	assert_memory_equal(a->u.dns.server.addr, "\x7f\x00\x00\x01", 4);
	assert_non_null(ns);
	assert_int_equal(ns->u.dns.n_names, 0);
	assert_int_equal(enrich, 3);
	assert_int_equal(with_ptr, 2);
	assert_int_equal(stat_of("ptr_dynamic"), 2);	/* "host-0-1.dyn.example" */
	size_t scores = count_recs(REC_SCORE, n, 0);
	assert_true(scores >= 1);
	assert_int_equal(last_score(n, 0)->n_asn, 3);

	/* the same answer again: a REC_DNS, no new score, no new enrichment */
	pass(42);
	answer_a(n, 42, ips, 3);
	answer_fail(RESOLVER_NS, n, RESOLVER_TIMEOUT, -1);
	assert_int_equal(serve_enrichment(), 0);
	assert_int_equal(count_recs(REC_SCORE, n, 0), scores);
	assert_int_equal(count_recs(REC_DNS, n, 0), 4);
	assert_int_equal(count_recs(REC_SCORE, n, 1), 1);	/* the window closed */
	size_t e2 = 0;
	for (size_t i = 0; i < nrecs; i++)
		e2 += recs[i]->type == REC_ENRICH;
	assert_int_equal(e2, 3);
	const struct rec *last = recs[nrecs - 1];
	for (size_t i = nrecs; i-- > 0;)
		if (recs[i]->type == REC_DNS) {
			last = recs[i];
			break;
		}
	assert_int_equal(last->u.dns.qtype, 2);
	assert_int_equal(last->u.dns.rcode, RCODE_TIMEOUT);
	assert_int_equal(last->u.dns.server.family, 0);
	/* an address shared with another domain is not asked again (cache) */
	submit("other.example");
	uint32_t shared[] = {ip4(14, 1, 0, 1)};
	answer_a("other.example", 42, shared, 1);
	assert_null(pending(RESOLVER_TXT, "1.0.1.14.origin.asn.test"));
	assert_int_equal(info("other.example").v.n_asn, 1);
	ff_down();
}

/* A MOAS answer: the first origin ASN counts, as the store keeps it (tip query counts alike). */
static void test_fastflux_moas_counts_the_first_origin(void **state)
{
	moas = 1;
	ff_up("  window 2\n  ptr no\n  ns no\n");
	submit("moas.example");
	uint32_t *ips = spread(4, 4, 6);
	answer_a("moas.example", 60, ips, 4);
	serve_enrichment();
	free(ips);
	assert_int_equal(info("moas.example").v.n_asn, 4);
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_ENRICH)
			assert_true(recs[i]->u.enrich.asn >= 64500 && recs[i]->u.enrich.asn < 64756);
	ff_down();
}

/* Enrichment questions are bounded in flight; the rest wait their turn. */
static void test_fastflux_enrichment_is_bounded(void **state)
{
	ff_up("  window 2\n  enrich-inflight 2\n  ptr no\n  ns no\n");
	submit("e.example");
	uint32_t *ips = spread(10, 10, 4);
	answer_a("e.example", 60, ips, 10);
	assert_int_equal(live_of(RESOLVER_TXT), 2);
	assert_int_equal(stat_of("enrich_queued"), 8);
	serve_enrichment();
	assert_int_equal(fk.max_live[RESOLVER_TXT], 2);
	assert_int_equal(info("e.example").v.n_asn, 10);
	assert_int_equal(info("e.example").asn_pending, 0);
	free(ips);
	ff_down();
}

/* With the offline table (`tip asn import`), ASNs come without a single TXT query. */
static void test_fastflux_offline_table(void **state)
{
	char asn_csv[4200], cc_csv[4200], db[4200], extra[5000];
	snprintf(asn_csv, sizeof asn_csv, "%s/asn.csv", dir);
	snprintf(cc_csv, sizeof cc_csv, "%s/cc.csv", dir);
	snprintf(db, sizeof db, "%s/asn.db", dir);
	FILE *f = fopen(asn_csv, "w");
	for (int i = 1; i <= 9; i++)
		fprintf(f, "15.%d.0.0,15.%d.255.255,%d,\"AS %d, Test\"\n", i, i, 65000 + i, i);
	fclose(f);
	f = fopen(cc_csv, "w");
	fprintf(f, "15.0.0.0,15.255.255.255,NL\n");
	fclose(f);
	char *argv[] = {"asn", "import", "--asn", asn_csv, "--country", cc_csv, "-o", db, NULL};
	assert_int_equal(cmd_asn(8, argv), 0);
	snprintf(extra, sizeof extra, "  window 2\n  asn-db %s\n  ptr no\n  ns no\n", db);
	ff_up(extra);
	submit("off.example");
	uint32_t a[] = {ip4(15, 1, 0, 1), ip4(15, 2, 0, 1), ip4(15, 3, 0, 1), ip4(15, 4, 0, 1)};
	uint32_t b[] = {ip4(15, 5, 0, 1), ip4(15, 6, 0, 1), ip4(15, 7, 0, 1), ip4(15, 8, 0, 1)};
	answer_a("off.example", 60, a, 4);
	assert_int_equal(live_total(), 0);
	pass(60);
	answer_a("off.example", 60, b, 4);
	assert_int_equal(live_total(), 0);
	struct fastflux_info in = info("off.example");
	assert_int_equal(in.state, FASTFLUX_FLUX);
	assert_int_equal(in.w.score_x100, 15888);
	size_t named = 0;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_ENRICH) {
			assert_memory_equal(recs[i]->u.enrich.country, "NL", 2);
			named += recs[i]->u.enrich.as_name_len > 0;
		}
	assert_int_equal(named, 8);
	ff_down();
}

/* Stop with lookups and enrichment in flight: every handle is cancelled, no callback. */
static void test_fastflux_stop_cancels_everything(void **state)
{
	ff_up("  window 2\n");
	submit("x1.example");
	submit("x2.example");
	uint32_t ips[] = {ip4(16, 1, 0, 1)};
	answer_a("x1.example", 60, ips, 1);
	unsigned live = live_total();
	assert_true(live >= 4);	/* x1 NS, x1 TXT and PTR, x2 A and NS */
	ff_down();
	assert_int_equal(fk.cancelled, live);
	assert_int_equal(live_total(), 0);
}

/* The resolver is full: the module waits and asks again, nothing is lost. */
static void test_fastflux_backs_off_when_the_resolver_is_full(void **state)
{
	ff_up("  window 2\n  ns no\n  ptr no\n");
	fk.refuse = 1;
	submit("full.example");
	assert_null(pending(RESOLVER_A, "full.example"));
	assert_true(stat_of("submit_busy") >= 1);
	fk.refuse = 0;
	pass(1);
	assert_non_null(pending(RESOLVER_A, "full.example"));
	ff_down();
}

/* A store writer more than half full holds new lookups back (no record lost), then they go on. */
static void test_fastflux_waits_for_a_busy_writer(void **state)
{
	char sdir[4200], err[256];
	struct seg_policy pol = {.no_fsync = 1};
	snprintf(sdir, sizeof sdir, "%s/wstore", dir);
	ff_up("  window 2\n  ns no\n  ptr no\n");
	d.writer = writer_new(sdir, "t", &pol, 16, err, sizeof err);
	assert_non_null(d.writer);
	struct rec ev = {.type = REC_EVENT};
	ev.u.event.kind = REC_EV_NOTE;
	ev.u.event.text = "filler";
	ev.u.event.text_len = 6;
	for (int i = 0; i < 9; i++)	/* the thread is not started: they stay queued */
		assert_int_equal(writer_put(d.writer, &ev), 0);
	submit("slow.example");
	assert_null(pending(RESOLVER_A, "slow.example"));
	assert_int_equal(stat_of("writer_pauses"), 1);
	pass(1);
	assert_null(pending(RESOLVER_A, "slow.example"));
	assert_int_equal(writer_start(d.writer), 0);
	writer_kick(d.writer);
	struct writer_stats ws;
	for (int i = 0; i < 2000; i++) {	/* the thread writes them: wait, bounded */
		writer_stats(d.writer, &ws);
		if (!ws.queued)
			break;
		usleep(1000);
	}
	assert_int_equal(ws.queued, 0);
	pass(1);
	assert_non_null(pending(RESOLVER_A, "slow.example"));
	assert_int_equal(writer_close(d.writer), 0);
	d.writer = NULL;
	ff_down();
}

/* The restart tests' real store, DIR/store, opened as the sink; its path in sdir[0..cap). */
static void sink_open(char *sdir, size_t cap)
{
	char err[256];
	struct seg_policy pol = {.no_fsync = 1};
	snprintf(sdir, cap, "%s/store", dir);
	sink = seg_writer_new(sdir, "t", &pol, err, sizeof err);
	assert_non_null(sink);
}

/* The AS name of an enrichment record, as a string (test records are short). */
static const char *as_name_of(const struct rec *r, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.*s", (int)r->u.enrich.as_name_len, r->u.enrich.as_name);
	return buf;
}

/*
 * Cymru mode: AS names come from AS<n> TXT in the zone above the origin
 * zone, once per ASN (cached), at most ENRICH_AS_PER_S a second; the
 * enrichment record waits for its name and goes without one when the
 * name is not to be had; a restart knows the names from the store.
 */
static void test_fastflux_as_names_are_asked_cached_and_rate_limited(void **state)
{
	char sdir[4200], nm[160];
	sink_open(sdir, sizeof sdir);
	ff_up("  window 2\n  ptr no\n  ns no\n  enrich-inflight 64\n");
	submit("many.example");
	uint32_t *ips = spread(40, 40, 3);	/* 40 addresses in 40 ASNs */
	answer_a("many.example", 300, ips, 40);
	serve_enrichment();
	/* the burst: ENRICH_AS_PER_S names at once, the rest wait for tokens */
	assert_int_equal(fk.asname_asked, 10);
	size_t enrich = count_recs(REC_ENRICH, NULL, 0);
	assert_int_equal(enrich, 10);	/* the others wait for their AS names */
	for (int i = 0; i < 5; i++) {
		pass(1);
		serve_enrichment();
	}
	assert_int_equal(fk.asname_asked, 40);	/* one question per ASN, no more */
	assert_int_equal(stat_of("asname"), 40);
	assert_int_equal(stat_of("asname_cache"), 40);
	assert_int_equal(count_recs(REC_ENRICH, NULL, 0), 40);
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_ENRICH) {
			char want_name[64];
			snprintf(want_name, sizeof want_name, "NET-%u Example, DE", recs[i]->u.enrich.asn);
			assert_string_equal(as_name_of(recs[i], nm, sizeof nm), want_name);
		}
	/* a second domain on the same networks asks no AS name again */
	submit("more.example");
	uint32_t other[] = {ips[0] + 1, ips[1] + 1};
	answer_a("more.example", 300, other, 2);
	serve_enrichment();
	assert_int_equal(fk.asname_asked, 40);
	/* a name that is not to be had: the record goes without one */
	asname_answers = 0;
	submit("lone.example");
	uint32_t lone[] = {ip4(19, 200, 0, 1)};
	answer_a("lone.example", 300, lone, 1);
	pass(1);
	serve_enrichment();
	assert_int_equal(stat_of("asname_fail"), 1);
	const struct rec *last = NULL;
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i]->type == REC_ENRICH)
			last = recs[i];
	assert_non_null(last);
	assert_int_equal(last->u.enrich.asn, asn_by_second_octet(lone[0]));
	assert_int_equal(last->u.enrich.as_name_len, 0);
	ff_down();
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	/* the restart knows the 40 names from the store: a new address in one of them asks none */
	asname_answers = 1;
	unsigned asked = fk.asname_asked;
	ff_up("  window 2\n  ptr no\n  ns no\n");
	assert_int_equal(stat_of("asname_cache"), 40);
	submit("after.example");
	uint32_t again[] = {ips[2] + 7};
	answer_a("after.example", 300, again, 1);
	serve_enrichment();
	assert_int_equal(fk.asname_asked, asked);
	free(ips);
	ff_down();
}

/* Restart: a new instance rebuilds every domain from the store; no score or first seen lost. */
static void test_fastflux_restart_rebuilds_from_store(void **state)
{
	char sdir[4200];
	sink_open(sdir, sizeof sdir);
	ff_up("  window 3\n  ttl-min 30s\n  ttl-max 30s\n  benign-max 120s\n  ptr no\n");
	submit("flux.example");
	submit("calm.example");
	submit("mid.example");
	submit("nx.example");
	uint32_t *fips = spread(12, 12, 5);
	uint32_t calm[] = {ip4(17, 1, 0, 1)};
	for (int k = 0; k < 4; k++) {
		if (k)
			pass(30);
		answer_a("flux.example", 30, fips + 3 * k, 3);
		answer_ns("flux.example", (const char *const[]){k % 2 ? "ns1.x.example" : "ns2.x.example"}, 1);
		answer_a("calm.example", 30, calm, 1);
		answer_fail(RESOLVER_NS, "calm.example", RESOLVER_NODATA, 0);
		if (k == 0) {
			answer_a("mid.example", 30, fips, 2);	/* one lookup only: still in its window */
			answer_fail(RESOLVER_NS, "mid.example", RESOLVER_NODATA, 0);
			answer_fail(RESOLVER_A, "nx.example", RESOLVER_NXDOMAIN, 3);
			answer_fail(RESOLVER_NS, "nx.example", RESOLVER_NXDOMAIN, 3);
		}
		serve_enrichment();
		if (pending(RESOLVER_A, "mid.example")) {
			answer_fail(RESOLVER_A, "mid.example", RESOLVER_TIMEOUT, -1);
			answer_fail(RESOLVER_NS, "mid.example", RESOLVER_TIMEOUT, -1);
		}
		if (pending(RESOLVER_A, "nx.example")) {
			answer_fail(RESOLVER_A, "nx.example", RESOLVER_NXDOMAIN, 3);
			answer_fail(RESOLVER_NS, "nx.example", RESOLVER_NXDOMAIN, 3);
		}
	}
	free(fips);
	pass(5);	/* five seconds into the next 30 s interval */
	static const char *const names[] = {"flux.example", "calm.example", "mid.example",
					    "nx.example"};
	struct fastflux_info before[4];
	for (int i = 0; i < 4; i++)
		before[i] = info(names[i]);
	assert_int_equal(before[0].state, FASTFLUX_FLUX);
	assert_int_equal(before[1].state, FASTFLUX_BENIGN);
	assert_int_equal(before[2].state, FASTFLUX_WINDOW);
	ff_down();
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	size_t written = nrecs;

	pass(10);	/* the sensor was down ten seconds */
	ff_up("  window 3\n  ttl-min 30s\n  ttl-max 30s\n  benign-max 120s\n  ptr no\n");
	assert_int_equal(stat_of("rebuilt_domains"), 4);
	assert_int_equal(nrecs, written);	/* nothing to write: no score changed */
	for (int i = 0; i < 4; i++) {
		struct fastflux_info in = info(names[i]);
		assert_int_equal(in.state, before[i].state);
		assert_int_equal(in.first_us, before[i].first_us);
		assert_int_equal(in.last_us, before[i].last_us);
		assert_int_equal(in.lookups, before[i].lookups);
		assert_int_equal(in.answers, before[i].answers);
		assert_memory_equal(&in.v, &before[i].v, sizeof in.v);
		assert_int_equal(in.window_closed, before[i].window_closed);
		assert_memory_equal(&in.w, &before[i].w, sizeof in.w);
		assert_int_equal(in.backoff, before[i].backoff);
		assert_int_equal(in.errors, before[i].errors);
		assert_true(in.fluxiness == before[i].fluxiness);
	}
	/* due times continue from the stored lookups: flux was due 25 s after the stop */
	struct fastflux_info fl = info("flux.example");
	assert_int_equal(fl.due_in_us, 15 * SEC);
	assert_null(pending(RESOLVER_A, "flux.example"));
	pass(15);
	assert_non_null(pending(RESOLVER_A, "flux.example"));
	ff_down();
}

/*
 * One scenario of lookups, for the restart comparison: a flux domain, a
 * benign one that backs off and then sees a new address, one that times
 * out; each is answered whenever it asks, by its own lookup count.  With
 * restart_round >= 0 the module is stopped after that round and a new
 * instance rebuilds from the store.  What the domains end with is in out;
 * the scores written, in order, in sig.
 */
#define RS_CONF "  window 3\n  ttl-min 30s\n  ttl-max 30s\n  benign-max 240s\n  ptr no\n"
static const char *const rs_names[] = {"flux.example", "calm.example", "mute.example"};

static void restart_scenario(int restart_round, struct fastflux_info out[3], char *sig, size_t cap)
{
	char sdir[4200];
	unsigned asked[3] = {0};
	uint32_t *fips = spread(24, 24, 5);
	sink_open(sdir, sizeof sdir);
	ff_up(RS_CONF);
	for (int i = 0; i < 3; i++)
		submit(rs_names[i]);
	for (int round = 0; round < 12; round++) {
		if (round)
			pass(30);
		for (int i = 0; i < 3; i++) {
			const char *n = rs_names[i];
			if (!pending(RESOLVER_A, n))
				continue;
			unsigned k = asked[i]++;
			if (i == 0) {
				answer_a(n, 30, fips + 2 * (k % 12), 2);
				answer_ns(n, (const char *const[]){k % 2 ? "ns1.x.example"
									 : "ns2.x.example"}, 1);
			} else if (i == 1) {
				uint32_t calm[] = {ip4(17, 1, 0, 1), ip4(17, 2, 0, 1)};
				answer_a(n, 30, calm, k == 5 ? 2 : 1);	/* a new one at the sixth */
				answer_fail(RESOLVER_NS, n, RESOLVER_NODATA, 0);
			} else {
				answer_fail(RESOLVER_A, n, k == 0 ? RESOLVER_NXDOMAIN : RESOLVER_TIMEOUT,
					    k == 0 ? 3 : -1);
				answer_fail(RESOLVER_NS, n, RESOLVER_TIMEOUT, -1);
			}
		}
		serve_enrichment();
		if (round == restart_round) {
			ff_down();
			assert_int_equal(seg_writer_close(sink), 0);
			sink_open(sdir, sizeof sdir);
			ff_up(RS_CONF);
			assert_int_equal(stat_of("rebuilt_domains"), 3);
		}
	}
	free(fips);
	pass(5);
	for (int i = 0; i < 3; i++)
		out[i] = info(rs_names[i]);
	size_t len = 0;
	sig[0] = '\0';
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec_score *sc = &recs[i]->u.score;
		if (recs[i]->type != REC_SCORE)
			continue;
		int n = snprintf(sig + len, cap - len, "%.*s/%u/%.2f/%u/%u/%u ", (int)sc->name_len,
				 sc->name, sc->window, sc->score, sc->n_a, sc->n_asn, sc->n_ns);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	ff_down();
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	recs_clear();
}

/*
 * A restart loses no score: stopped in the middle of the window, or after
 * the verdict while the benign domain backs off, the module ends exactly
 * where one that ran through ends, and writes the same scores in the same
 * order (none again after the restart).
 */
static void test_fastflux_restart_mid_window_keeps_the_score(void **state)
{
	static char want_sig[16384], sig[16384];
	struct fastflux_info ref[3], got[3];
	char *first = dir;
	restart_scenario(-1, ref, want_sig, sizeof want_sig);
	assert_int_equal(ref[0].state, FASTFLUX_FLUX);
	assert_int_equal(ref[1].state, FASTFLUX_BENIGN);
	assert_true(ref[2].errors > 1);
	assert_non_null(strstr(want_sig, "calm.example/1/"));
	static const int rounds[] = {1, 3, 6};
	for (size_t r = 0; r < sizeof rounds / sizeof rounds[0]; r++) {
		dir = tu_tmpdir();
		clock_fake(T0);
		restart_scenario(rounds[r], got, sig, sizeof sig);
		tu_rmrf(dir);
		free(dir);
		dir = first;	/* what teardown frees, should an assertion below fail */
		for (int i = 0; i < 3; i++) {
			assert_int_equal(got[i].state, ref[i].state);
			assert_int_equal(got[i].first_us, ref[i].first_us);
			assert_int_equal(got[i].last_us, ref[i].last_us);
			assert_int_equal(got[i].lookups, ref[i].lookups);
			assert_int_equal(got[i].answers, ref[i].answers);
			assert_memory_equal(&got[i].v, &ref[i].v, sizeof got[i].v);
			assert_int_equal(got[i].window_closed, ref[i].window_closed);
			assert_memory_equal(&got[i].w, &ref[i].w, sizeof got[i].w);
			assert_int_equal(got[i].backoff, ref[i].backoff);
			assert_int_equal(got[i].errors, ref[i].errors);
			assert_int_equal(got[i].due_in_us, ref[i].due_in_us);
			assert_true(got[i].fluxiness == ref[i].fluxiness);
		}
		assert_string_equal(sig, want_sig);
	}
}

/*
 * A window that waits for its ASNs past the next lookup is judged before
 * that lookup counts; the replay meets the verdict before the lookup too,
 * so the back-off and the next due time come back as they were.
 */
static void test_fastflux_restart_after_a_late_verdict(void **state)
{
	char sdir[4200];
	const char *n = "late.example";
	uint32_t ab[] = {ip4(21, 1, 0, 1), ip4(21, 2, 0, 1)};
	sink_open(sdir, sizeof sdir);
	ff_up("  window 2\n  ttl-min 30s\n  ttl-max 30s\n  benign-max 240s\n  ptr no\n  ns no\n");
	submit(n);
	answer_a(n, 30, ab, 1);
	serve_enrichment();
	pass(30);
	answer_a(n, 30, ab, 2);	/* the window is full; the new address's ASN is not known yet */
	assert_int_equal(info(n).state, FASTFLUX_WINDOW);
	assert_int_equal(info(n).asn_pending, 1);
	pass(30);
	answer_a(n, 30, ab, 2);	/* judged benign first, then this lookup backs off */
	serve_enrichment();
	pass(3);
	struct fastflux_info before = info(n);
	assert_int_equal(before.state, FASTFLUX_BENIGN);
	assert_int_equal(before.backoff, 1);
	ff_down();
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	ff_up("  window 2\n  ttl-min 30s\n  ttl-max 30s\n  benign-max 240s\n  ptr no\n  ns no\n");
	struct fastflux_info in = info(n);
	assert_int_equal(in.state, before.state);
	assert_int_equal(in.backoff, before.backoff);
	assert_int_equal(in.lookups, before.lookups);
	assert_memory_equal(&in.v, &before.v, sizeof in.v);
	assert_memory_equal(&in.w, &before.w, sizeof in.w);
	assert_int_equal(in.due_in_us, before.due_in_us);
	ff_down();
}

/* A store that holds more history than `expire`: idle names are not brought back. */
static void test_fastflux_rebuild_skips_idle_domains(void **state)
{
	char sdir[4200];
	sink_open(sdir, sizeof sdir);
	ff_up("  window 2\n  expire 1h\n  ptr no\n  ns no\n");
	submit("old.example");
	answer_fail(RESOLVER_A, "old.example", RESOLVER_NXDOMAIN, 3);
	ff_down();
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	clock_advance(2 * 3600 * SEC);
	ff_up("  window 2\n  expire 1h\n  ptr no\n  ns no\n");
	struct fastflux_info in;
	assert_int_equal(fastflux_domain(&m, "old.example", &in), 0);
	assert_int_equal(stat_of("domains"), 0);
	ff_down();
}

/* The replay takes only names the live module could watch: others are skipped and counted. */
static void test_fastflux_rebuild_rejects_names_that_are_no_domains(void **state)
{
	char sdir[4200];
	static const uint8_t a4[] = {10, 1, 0, 1};
	static const char *const names[] = {"ok.example", "bad\001ctl.example",
					    "UPPER.example", "sp ace.example", "1.2.3.4", "a..b"};
	sink_open(sdir, sizeof sdir);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct rec r = tu_dns_a(names[i], T0 - 60 * SEC, a4, 1);
		r.u.dns.ttl = 30;
		assert_int_equal(seg_writer_append(sink, &r), 0);
	}
	assert_int_equal(seg_writer_close(sink), 0);
	sink = NULL;
	ff_up("  ptr no\n  ns no\n");
	assert_int_equal(stat_of("rebuilt_domains"), 1);
	assert_int_equal(stat_of("rebuild_invalid"), 5);
	assert_int_equal(info("ok.example").lookups, 1);
	ff_down();
}

/* Configuration errors carry the file and line. */
static void test_fastflux_config_is_checked(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"module fastflux {\n  window 1\n}\n", "t.conf:2: window: at least 2"},
		{"module fastflux {\n  ttl-min 60s\n  ttl-max 10s\n}\n",
		 "t.conf:3: ttl-max is shorter than ttl-min"},
		{"module fastflux {\n  bogus 1\n}\n", "t.conf:2: unknown key 'bogus' in module fastflux"},
		{"module fastflux {\n  asn-db relative/asn.db\n}\n",
		 "t.conf:2: asn-db: use an absolute path"},
		{"module fastflux {\n  timeout 1500ms\n}\n",
		 "t.conf:2: timeout: whole seconds, 1s to 300s"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct conf c;
		char err[512];
		assert_int_equal(conf_parse(&c, "t.conf", bad[i].text, strlen(bad[i].text), err,
					    sizeof err), 0);
		assert_int_equal(module_conf_check(&c, err, sizeof err), -1);
		assert_string_equal(err, bad[i].msg);
		conf_free(&c);
	}
	/* no servers: the fake refuses to read resolv.conf, so start fails cleanly */
	struct conf c;
	char err[512];
	const char *text = "module fastflux {\n  rebuild no\n}\n";
	assert_int_equal(conf_parse(&c, "t.conf", text, strlen(text), err, sizeof err), 0);
	memset(&d, 0, sizeof d);
	d.conf = c;
	sched_init(&d.sched);
	bus_init(&d.bus, &d.sched);
	m = (struct module){.ops = &mod_fastflux_ops, .d = &d, .trace = -1};
	m.sec = conf_module(&d.conf, "fastflux");
	assert_int_equal(m.ops->init(&m), 0);
	assert_int_equal(m.ops->start(&m), -1);
	m.ops->stop(&m);
	bus_fini(&d.bus);
	sched_fini(&d.sched);
	conf_free(&d.conf);
}

/* A reload keeps every domain and applies the new policy. */
static void test_fastflux_reload_keeps_state(void **state)
{
	ff_up("  window 2\n  ttl-min 60s\n  ttl-max 60s\n  ptr no\n  ns no\n");
	submit("r.example");
	uint32_t *ips = spread(8, 8, 9);
	feed("r.example", ips, 8, 2, 60);
	free(ips);
	assert_int_equal(info("r.example").state, FASTFLUX_FLUX);
	char text[1024], err[512];
	snprintf(text, sizeof text,
		 "store {\n  dir %s/store\n}\nmodule fastflux {\n  servers 127.0.0.1:5300\n"
		 "  asn-zone origin.asn.test\n  window 2\n  ttl-min 10s\n  ttl-max 10s\n  ptr no\n"
		 "  ns no\n}\n", dir);
	struct conf nc;
	assert_int_equal(conf_parse(&nc, "t.conf", text, strlen(text), err, sizeof err), 0);
	struct conf old = d.conf;
	d.conf = nc;
	m.sec = conf_module(&d.conf, "fastflux");
	assert_int_equal(m.ops->reload(&m), 0);
	conf_free(&old);
	assert_int_equal(info("r.example").state, FASTFLUX_FLUX);
	assert_int_equal(info("r.example").w.score_x100, 15888);
	pass(60);
	answer_a("r.example", 60, (uint32_t[]){ip4(18, 1, 0, 1)}, 1);
	serve_enrichment();
	pass(9);
	assert_null(pending(RESOLVER_A, "r.example"));
	pass(1);
	assert_non_null(pending(RESOLVER_A, "r.example"));	/* the new ttl-max */
	ff_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fastflux_calibration_through_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_window_follows_ttl_within_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_flux_domain_stays_watched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_benign_backs_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_idle_domains_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_caps_bound_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_enrichment_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_moas_counts_the_first_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_offline_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_stop_cancels_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_backs_off_when_the_resolver_is_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_waits_for_a_busy_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_as_names_are_asked_cached_and_rate_limited,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_restart_rebuilds_from_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_restart_mid_window_keeps_the_score, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_restart_after_a_late_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_rebuild_skips_idle_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_rebuild_rejects_names_that_are_no_domains,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_config_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fastflux_reload_keeps_state, setup, teardown),
	};
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
