/*
 * mkstore: write one deterministic store, the same bytes on every host.
 *
 *     mkstore DIR        (DIR must not exist or be empty)
 *
 * The cross-architecture check (tests/cross/run.sh) runs it on amd64,
 * big-endian s390x and 32-bit armhf and compares the files and what every
 * reader prints of them.  Invariants that make the output host-independent:
 * the clock is fake (clock_fake) and advanced by fixed steps, every value
 * comes from a fixed-seed xorshift generator, doubles are literals (never
 * computed at run time: a target with fused multiply-add would round a
 * product-sum differently), and nothing reads the host name or the time.
 *
 * What the store holds: every record type the store knows (DNS A, AAAA,
 * NS, CNAME, TXT, NXDOMAIN, timeout and coalesced observations; enrich for
 * IPv4 and IPv6; score; start, config, note and stop events), reserved and
 * unknown types carried raw, names of 1 and 255 characters and bytes that
 * need escaping, negative and large time deltas, records stamped before the
 * clock was set; segments sealed by size, by seal, and by the recovery of a
 * writer that "crashed"; and an active segment that ends in a torn tail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "mail.h"
#include "rec.h"
#include "rec_spam.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T_BOOT 86400000000LL		/* 1970-01-02: a router before NTP */
#define T_SYNC 1764000000000000LL	/* 2025-11-24T16:00:00Z */

static uint32_t rng = 2463534242u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static const char *dir;
static struct seg_writer *w;

static void die(const char *what)
{
	fprintf(stderr, "mkstore: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void open_writer(void)
{
	char err[512];
	struct seg_policy pol = {
		.max_bytes = 6000,	/* several segments rotate by size */
		.max_age_s = 100000,
		.sync_every_n = 64,
		.no_fsync = 1,		/* speed under qemu; bytes are the same */
	};
	w = seg_writer_new(dir, "cross-sensor", &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "mkstore: %s\n", err);
		exit(2);
	}
}

static void append(struct rec *r)
{
	if (seg_writer_append(w, r) < 0)
		die("append");
	clock_advance(1000 + next() % 250000);
}

static void stamp(struct rec *r, uint8_t type)
{
	r->type = type;
	rec_stamp(r);
}

static void event(uint8_t kind, const char *text)
{
	struct rec r = {0};
	stamp(&r, REC_EVENT);
	r.u.event.kind = kind;
	r.u.event.text = text;
	r.u.event.text_len = strlen(text);
	append(&r);
}

static void server(struct rec_ip *ip, int v6)
{
	memset(ip, 0, sizeof *ip);
	if (v6) {
		static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
		ip->family = 6;
		memcpy(ip->addr, a, 16);
	} else {
		ip->family = 4;
		ip->addr[0] = 192, ip->addr[1] = 0, ip->addr[2] = 2, ip->addr[3] = 53;
	}
}

/* A fast-flux lookup: five A records out of a pool of bot addresses. */
static void dns_a(const char *name, int n)
{
	uint8_t a4[4 * 16];
	struct rec r = {0};
	stamp(&r, REC_DNS);
	for (int i = 0; i < n; i++) {
		uint32_t v = next();
		a4[4 * i] = (uint8_t)(1 + v % 223);
		a4[4 * i + 1] = (uint8_t)(v >> 8);
		a4[4 * i + 2] = (uint8_t)(v >> 16);
		a4[4 * i + 3] = (uint8_t)(1 + (v >> 24) % 254);
	}
	r.u.dns.name = name;
	r.u.dns.name_len = strlen(name);
	r.u.dns.qtype = 1;
	r.u.dns.ttl = 180 + next() % 120;
	server(&r.u.dns.server, 0);
	r.u.dns.n_a4 = (uint32_t)n;
	r.u.dns.a4 = a4;
	append(&r);
}

static void dns_names(const char *name, uint16_t qtype, const char *const *names, int n,
		      uint8_t rcode)
{
	uint8_t buf[2048];
	size_t len = 0;
	struct rec r = {0};
	stamp(&r, REC_DNS);
	for (int i = 0; i < n; i++)
		if (rec_names_add(buf, sizeof buf, &len, names[i], strlen(names[i])) < 0)
			die("names");
	r.u.dns.name = name;
	r.u.dns.name_len = strlen(name);
	r.u.dns.qtype = qtype;
	r.u.dns.rcode = rcode;
	r.u.dns.ttl = 86400;
	server(&r.u.dns.server, 1);
	r.u.dns.n_names = (uint32_t)n;
	r.u.dns.names = buf;
	r.u.dns.names_len = len;
	append(&r);
}

static void specials(void)
{
	static const uint8_t a6[32] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				       0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	static const uint8_t a4[8] = {203, 0, 113, 7, 198, 51, 100, 99};
	static const char *const ns[] = {"ns1.flux-dns.example", "ns2.flux-dns.example"};
	static const char *const cname[] = {"edge.cdn.example.net"};
	static const char *const txt[] = {"v=spf1 -all", "quote \" pipe | back \\ tab \t bin \xff\x01"};
	char longname[256];
	struct rec r;

	/* AAAA with no server known */
	memset(&r, 0, sizeof r);
	stamp(&r, REC_DNS);
	r.u.dns.name = "v6.flux.example";
	r.u.dns.name_len = strlen(r.u.dns.name);
	r.u.dns.qtype = 28;
	r.u.dns.ttl = 300;
	r.u.dns.n_a6 = 2;
	r.u.dns.a6 = a6;
	append(&r);

	dns_names("flux.example", 2, ns, 2, 0);
	dns_names("xn--bcher-kva.example", 16, txt, 2, 0);

	/* CNAME then addresses in one answer */
	memset(&r, 0, sizeof r);
	stamp(&r, REC_DNS);
	r.u.dns.name = "www.shop.example";
	r.u.dns.name_len = strlen(r.u.dns.name);
	r.u.dns.qtype = 1;
	r.u.dns.ttl = 60;
	server(&r.u.dns.server, 0);
	r.u.dns.n_a4 = 2;
	r.u.dns.a4 = a4;
	r.u.dns.n_names = 1;
	uint8_t nb[64];
	size_t nl = 0;
	rec_names_add(nb, sizeof nb, &nl, cname[0], strlen(cname[0]));
	r.u.dns.names = nb;
	r.u.dns.names_len = nl;
	append(&r);

	dns_names("gone.example", 1, NULL, 0, 3);		/* NXDOMAIN */
	dns_names("slow.example", 1, NULL, 0, RCODE_TIMEOUT);
	dns_names("x", 1, NULL, 0, 2);				/* one-character name, SERVFAIL */

	memset(longname, 'a', 255);
	for (int i = 63; i < 255; i += 64)
		longname[i] = '.';
	longname[255] = '\0';
	dns_a(longname, 1);

	/* coalesced passive-DNS style observation, a large count */
	memset(&r, 0, sizeof r);
	stamp(&r, REC_DNS);
	r.flags |= REC_F_COALESCED;
	r.u.dns.name = "seen-often.example";
	r.u.dns.name_len = strlen(r.u.dns.name);
	r.u.dns.qtype = 1;
	r.u.dns.ttl = 4294967295u;
	r.u.dns.n_a4 = 1;
	r.u.dns.a4 = a4 + 4;
	r.u.dns.ts_last_us = r.ts_us + 86400LL * 1000000 * 400;
	r.u.dns.count = 1234567890123ULL;
	append(&r);

	/* a record stamped an hour before its segment started (clock stepped back) */
	memset(&r, 0, sizeof r);
	stamp(&r, REC_DNS);
	r.ts_us -= 3600LL * 1000000;
	r.u.dns.name = "past.example";
	r.u.dns.name_len = strlen(r.u.dns.name);
	r.u.dns.qtype = 1;
	r.u.dns.n_a4 = 1;
	r.u.dns.a4 = a4;
	append(&r);

	/* enrichment, IPv4 and IPv6 */
	memset(&r, 0, sizeof r);
	stamp(&r, REC_ENRICH);
	r.u.enrich.ip.family = 4;
	memcpy(r.u.enrich.ip.addr, a4, 4);
	r.u.enrich.asn = 3561;
	r.u.enrich.as_name = "SAVVIS - Savvis, US";
	r.u.enrich.as_name_len = strlen(r.u.enrich.as_name);
	memcpy(r.u.enrich.country, "US", 2);
	r.u.enrich.ptr = "dsl-203-0-113-7.dyn.example.net";
	r.u.enrich.ptr_len = strlen(r.u.enrich.ptr);
	append(&r);

	memset(&r, 0, sizeof r);
	stamp(&r, REC_ENRICH);
	r.u.enrich.ip.family = 6;
	memcpy(r.u.enrich.ip.addr, a6 + 16, 16);
	r.u.enrich.asn = 4294967295u;
	append(&r);

	/* scores: the paper's calibration points, literals only */
	static const struct {
		uint32_t na, nasn, nns, lookups;
		double score, margin;
		uint8_t window;
	} sc[] = {
		{8, 8, 2, 2, 158.88, 16.5, 1},
		{93, 1, 1, 2, 141.3, -1.08, 1},
		{431, 107, 4, 4294967295u, 2552.7, 2410.32, 0},
		{0, 0, 0, 1, 0.0, -142.38, 0},
		{1, 0, 0, 1, -0.0, 1e-310, 1},	/* negative zero, a subnormal */
	};
	for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
		memset(&r, 0, sizeof r);
		stamp(&r, REC_SCORE);
		r.u.score.name = "flux.example";
		r.u.score.name_len = strlen(r.u.score.name);
		r.u.score.n_a = sc[i].na;
		r.u.score.n_asn = sc[i].nasn;
		r.u.score.n_ns = sc[i].nns;
		r.u.score.lookups = sc[i].lookups;
		r.u.score.score = sc[i].score;
		r.u.score.margin = sc[i].margin;
		r.u.score.window = sc[i].window;
		append(&r);
	}

	/* feed records: a change of each kind and a fetch, hostile bytes included */
	static const struct {
		uint8_t op, kind;
		const char *v, *h;
	} fd[] = {
		{REC_FEED_LISTED, REC_IND_DOMAIN, "xn--bcher-kva.example", ""},
		{REC_FEED_LISTED, REC_IND_IP, "2001:db8::1", ""},
		{REC_FEED_LISTED, REC_IND_CIDR, "198.51.100.0/24", ""},
		{REC_FEED_DELISTED, REC_IND_URL, "http://a.example/p?q=\x01\xff,\"x\"", "a.example"},
	};
	for (size_t i = 0; i < sizeof fd / sizeof fd[0]; i++) {
		memset(&r, 0, sizeof r);
		stamp(&r, REC_FEED);
		r.u.feed = (struct rec_feed){.op = fd[i].op, .source = "src-\xfe", .source_len = 5,
					     .kind = fd[i].kind, .value = fd[i].v,
					     .value_len = strlen(fd[i].v), .host = fd[i].h,
					     .host_len = strlen(fd[i].h)};
		append(&r);
	}
	memset(&r, 0, sizeof r);
	stamp(&r, REC_FEED);
	r.u.feed = (struct rec_feed){.op = REC_FEED_FETCH, .source = "drop", .source_len = 4,
				     .status = 200, .outcome = REC_FETCH_OK, .bytes = 1ull << 33,
				     .entries = 1385, .added = 3, .removed = 1, .bad = 2,
				     .duration_us = 987654321, .etag = "\"e\ttag\"", .etag_len = 7,
				     .last_modified = "Tue, 01 Dec 2026 00:00:00 GMT",
				     .last_modified_len = 29, .error = "", .error_len = 0};
	append(&r);

	/* spam: an extract of a hostile message, and a repeat of it */
	static const char mail[] =
		"Received: from x ([2001:db8::25]) by mx\nFrom: =?utf-8?B?w7w=?= <a@Spam.Example>\n"
		"Subject: \xff\x01 \"q\"\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
		"Content-Type: text/html\n\n<a href=\"http://www.x.co.uk/&amp;\">www.y.example</a>\n--b\n"
		"Content-Type: application/zip; name=\"z\\\".zip\"\nContent-Transfer-Encoding: base64\n\nUEsDBA==\n--b--\n";
	struct mail_opts mo;
	struct mail_msg *mm = malloc(sizeof *mm);
	uint8_t *scratch = malloc(REC_SPAM_SCRATCH);
	mail_opts_default(&mo);
	if (!mm || !scratch || mail_parse(mail, sizeof mail - 1, &mo, mm) < 0) {
		fprintf(stderr, "mkstore: the sample mail does not parse\n");
		exit(1);
	}
	memset(&r, 0, sizeof r);
	stamp(&r, REC_SPAM);
	rec_spam_from_mail(&r, mm, "maildir", scratch);
	append(&r);
	memset(&r, 0, sizeof r);
	stamp(&r, REC_SPAM);
	r.u.spam = (struct rec_spam){.op = REC_SPAM_REPEAT, .digest = mm->digest, .source = "import",
				     .source_len = 6};
	append(&r);
	free(mm);
	free(scratch);

	/* unknown types travel as raw payloads */
	static const uint8_t raw[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 'f', 'e', 'e', 'd'};
	static const uint8_t t[] = {42, 126, 100};
	for (size_t i = 0; i < sizeof t; i++) {
		memset(&r, 0, sizeof r);
		stamp(&r, t[i]);
		r.u.raw.p = raw;
		r.u.raw.len = sizeof raw - i;
		append(&r);
	}

	char note[1001];
	for (int i = 0; i < 1000; i++)
		note[i] = (char)('a' + i % 26);
	note[1000] = '\0';
	event(REC_EV_NOTE, note);
}

static void flux_round(int n)
{
	char name[64];
	for (int i = 0; i < n; i++) {
		/* one call a statement: argument order is unspecified in C */
		int c = 'a' + (int)(next() % 26);
		uint32_t label = next();
		uint32_t zone = next() % 7;
		snprintf(name, sizeof name, "%c%08x.flux-%u.example.ru", c, label, zone);
		dns_a(name, 5);
	}
}

/* Append the first bytes of one more frame: what a crash mid-write leaves. */
static void torn_tail(void)
{
	struct store_listing ls;
	char path[4096];
	uint8_t f[128];
	struct rec r = {.type = REC_EVENT, .ts_us = clock_now_us()};
	r.u.event.kind = REC_EV_NOTE;
	r.u.event.text = "never finished";
	r.u.event.text_len = strlen(r.u.event.text);
	if (store_list(dir, &ls) < 0 || ls.n == 0)
		die("list");
	store_seg_path(path, sizeof path, dir, ls.segs[ls.n - 1].name, "tlog");
	store_listing_free(&ls);
	long n = rec_encode(f, sizeof f, &r, 0);
	int fd = open(path, O_WRONLY | O_APPEND);
	if (n < 0 || fd < 0 || write(fd, f, (size_t)n / 2) != n / 2 || close(fd) < 0)
		die(path);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkstore DIR\n");
		return 2;
	}
	dir = argv[1];

	/* a router boots with its clock at 1970 */
	clock_fake(T_BOOT);
	clock_set_synced(-1);
	open_writer();
	event(REC_EV_START, "tipd 0.1 start (clock not set)");
	event(REC_EV_CONFIG, "config /etc/tip/tip.conf loaded");
	flux_round(20);

	/* NTP: the clock jumps; start a new segment */
	clock_fake(T_SYNC);
	if (seg_writer_seal(w) < 0)
		die("seal");
	flux_round(150);	/* rotates by size a few times */
	specials();
	flux_round(30);

	/* a crash: what was synced stays, the next writer recovers it */
	if (seg_writer_sync(w) < 0)
		die("sync");
	seg_writer_free(w);
	clock_advance(60000000);
	open_writer();
	event(REC_EV_START, "tipd 0.1 start after crash");
	flux_round(60);
	specials();
	event(REC_EV_STOP, "stop");
	if (seg_writer_close(w) < 0)
		die("close");

	/* the active segment: synced records, then a torn tail */
	clock_advance(30000000);
	open_writer();
	event(REC_EV_START, "tipd 0.1 start");
	flux_round(12);
	if (seg_writer_sync(w) < 0)
		die("sync");
	seg_writer_free(w);
	torn_tail();
	return 0;
}
