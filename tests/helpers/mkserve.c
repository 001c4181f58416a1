/*
 * mkserve: stores for tip serve's tests and benchmark, written directly
 * through the segment writer with the fake clock (no import, no resolver).
 *
 *     mkserve year DIR [DAYS]   DAYS (365) of hourly segments, each sealed
 *                               and indexed: every 10 minutes 20 fast-flux
 *                               names answer 5 addresses out of a pool of
 *                               bots in many networks; 200 ordinary names
 *                               answer once an hour; every new address gets
 *                               an enrichment record (ASN, AS name,
 *                               country, PTR) and every flux name an hourly
 *                               score sample.
 *     mkserve hostile DIR       a small store whose PTR names, AS names and
 *                               domain names carry markup and script, for
 *                               the escaping tests: see the names below.
 *
 * Deterministic: a fixed-seed generator, the fake clock, no fsync.  DIR
 * must not hold a store yet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "../unit/testutil.h"

#define T0 1735689600000000LL	/* 2025-01-01T00:00:00Z */
#define HOUR 3600000000LL

static uint32_t rng = 88172645u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static struct seg_writer *w;

static void die(const char *what)
{
	fprintf(stderr, "mkserve: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void open_writer(const char *dir, const char *sensor)
{
	char err[512];
	struct seg_policy pol = {
		.max_bytes = 1u << 30,	/* rotate only when told: one segment an hour */
		.max_age_s = 1u << 30,
		.no_fsync = 1,
	};
	w = seg_writer_new(dir, sensor, &pol, err, sizeof err);
	if (!w) {
		fprintf(stderr, "mkserve: %s\n", err);
		exit(2);
	}
}

static void append(const struct rec *r)
{
	if (seg_writer_append(w, r) < 0)
		die("append");
}

static void dns_a(int64_t ts, const char *name, const uint8_t *a4, uint32_t n, uint32_t ttl)
{
	struct rec r = tu_dns_a(name, ts, a4, n);
	r.u.dns.ttl = ttl;
	append(&r);
}

static void dns_ns(int64_t ts, const char *name, const char *const *ns, int n)
{
	uint8_t buf[1024];
	size_t len = 0;
	struct rec r = {0};
	for (int i = 0; i < n; i++)
		if (rec_names_add(buf, sizeof buf, &len, ns[i], strlen(ns[i])) < 0)
			die("names");
	r.type = REC_DNS;
	r.ts_us = ts;
	r.u.dns.name = name;
	r.u.dns.name_len = strlen(name);
	r.u.dns.qtype = 2;
	r.u.dns.ttl = 86400;
	r.u.dns.n_names = (uint32_t)n;
	r.u.dns.names = buf;
	r.u.dns.names_len = len;
	append(&r);
}

static void enrich(int64_t ts, const uint8_t *a4, uint32_t asn, const char *as_name, const char *cc,
		   const char *ptr)
{
	struct rec r = {0};
	r.type = REC_ENRICH;
	r.ts_us = ts;
	r.u.enrich.ip.family = 4;
	memcpy(r.u.enrich.ip.addr, a4, 4);
	r.u.enrich.asn = asn;
	r.u.enrich.as_name = as_name;
	r.u.enrich.as_name_len = strlen(as_name);
	r.u.enrich.country[0] = cc[0];
	r.u.enrich.country[1] = cc[1];
	r.u.enrich.ptr = ptr;
	r.u.enrich.ptr_len = strlen(ptr);
	append(&r);
}

static void score(int64_t ts, const char *name, uint32_t n_a, uint32_t n_asn, uint32_t lookups)
{
	struct rec r = {0};
	r.type = REC_SCORE;
	r.ts_us = ts;
	r.u.score.name = name;
	r.u.score.name_len = strlen(name);
	r.u.score.n_a = n_a;
	r.u.score.n_asn = n_asn;
	r.u.score.lookups = lookups;
	/* the sensor's formula in hundredths, kept exact (flux_score.h) */
	r.u.score.score = (132.0 * n_a + 1854.0 * n_asn) / 100.0;
	r.u.score.margin = r.u.score.score - 142.38;
	append(&r);
}

#define POOL 4000
#define FLUX 20
#define PLAIN 200

static int year(const char *dir, int days)
{
	static uint8_t pool[POOL][4];
	static uint8_t enriched[POOL];
	static uint32_t seen_a[FLUX], seen_asn[FLUX], looks[FLUX];
	static uint8_t seen[FLUX][POOL];
	static uint8_t seen_net[FLUX][256];
	char flux[FLUX][64], plain[PLAIN][64];
	for (int i = 0; i < POOL; i++) {
		uint32_t v = next();
		pool[i][0] = (uint8_t)(20 + v % 180), pool[i][1] = (uint8_t)(v >> 8);
		pool[i][2] = (uint8_t)(v >> 16), pool[i][3] = (uint8_t)(1 + (v >> 24) % 254);
	}
	for (int i = 0; i < FLUX; i++)
		snprintf(flux[i], sizeof flux[i], "bot%02d.flux-year.test", i);
	for (int i = 0; i < PLAIN; i++)
		snprintf(plain[i], sizeof plain[i], "www.site%03d.year.test", i);
	clock_fake(T0);
	open_writer(dir, "year");
	static const char *const ns[] = {"ns1.flux-year.test", "ns2.flux-year.test"};
	for (int h = 0; h < days * 24; h++) {
		int64_t t = T0 + h * HOUR;
		clock_fake(t);
		for (int m = 0; m < 6; m++) {
			int64_t tm = t + m * 600000000LL;
			for (int f = 0; f < FLUX; f++) {
				uint8_t a4[20];
				for (int k = 0; k < 5; k++) {
					int p = (int)(next() % POOL);
					memcpy(a4 + 4 * k, pool[p], 4);
					if (!enriched[p]) {
						char ptr[64], asname[64];
						uint32_t asn = 64512 + pool[p][0];
						snprintf(ptr, sizeof ptr, "dyn-%u-%u.pool.isp%u.test", pool[p][2],
							 pool[p][3], pool[p][0]);
						snprintf(asname, sizeof asname, "AS-ISP%u Example Net", pool[p][0]);
						enrich(tm, pool[p], asn, asname, "ZZ", ptr);
						enriched[p] = 1;
					}
					if (!seen[f][p]) {
						seen[f][p] = 1;
						seen_a[f]++;
						if (!seen_net[f][pool[p][0]])
							seen_net[f][pool[p][0]] = 1, seen_asn[f]++;
					}
				}
				dns_a(tm, flux[f], a4, 5, 180);
				looks[f]++;
			}
		}
		for (int i = 0; i < PLAIN; i++) {
			uint8_t a4[4] = {192, 0, 2, (uint8_t)(i % 250 + 1)};
			dns_a(t + i * 1000000LL, plain[i], a4, 1, 3600);
		}
		for (int f = 0; f < FLUX; f++) {
			if (h % 24 == 0)
				dns_ns(t, flux[f], ns, 2);
			score(t + 3599000000LL, flux[f], seen_a[f], seen_asn[f], looks[f]);
		}
		clock_fake(t + HOUR - 1);
		if (seg_writer_seal(w) < 0)
			die("seal");
	}
	return seg_writer_close(w) < 0 ? 2 : 0;
}

/* Names that must reach a page as text, never as markup. */
static int hostile(const char *dir)
{
	static const char *const names[] = {
		"<script>alert(1)</script>.example",
		"\"onmouseover=alert(1)\".example",
		"x'onfocus='alert(1).example",
		"<img src=x onerror=alert(1)>.example",
	};
	static const char *const ptrs[] = {
		"<script>window.__pwned=1</script>.ptr.example",
		"\"><img src=x onerror=window.__pwned=2>.ptr.example",
		"javascript:alert(1)//.ptr.example",
		("\xe2\x80\xae" "elpmaxe.ptr"),
	};
	clock_fake(T0);
	open_writer(dir, "hostile");
	for (int i = 0; i < 4; i++) {
		uint8_t a4[32];
		for (int k = 0; k < 8; k++)
			a4[4 * k] = (uint8_t)(30 + 20 * k), a4[4 * k + 1] = (uint8_t)i, a4[4 * k + 2] = 7,
			a4[4 * k + 3] = (uint8_t)(k + 1);
		for (int k = 0; k < 8; k++)
			enrich(T0 + k, a4 + 4 * k, 64600 + (uint32_t)k,
			       "<script>window.__pwned=3</script>AS \"evil\" & co", "ZZ", ptrs[k % 4]);
		for (int l = 0; l < 3; l++)
			dns_a(T0 + HOUR * l + i, names[i], a4, 8, 60);
		score(T0 + 2 * HOUR, names[i], 8, 8, 3);
	}
	static const char *const ns[] = {"<b>ns</b>.example", "ns2.example"};
	dns_ns(T0, names[0], ns, 2);
	return seg_writer_close(w) < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "year"))
		return year(argv[2], argc > 3 ? atoi(argv[3]) : 365);
	if (argc == 3 && !strcmp(argv[1], "hostile"))
		return hostile(argv[2]);
	fprintf(stderr, "usage: mkserve year DIR [DAYS] | mkserve hostile DIR\n");
	return 2;
}
