/*
 * mkyear: generate sensor stores of hourly segments quickly, straight
 * through seg_writer and the fake clock (no import path), for the query
 * and compaction benchmarks and the compaction and graph tests.
 *
 *     mkyear DIR [--sensors N] [--hours H] [--start UNIX] [--names S,C,F]
 *            [--scores] [--hostile] [--csv FILE]
 *
 * DIR/s1 .. DIR/sN are stores of H sealed segments each, one per hour
 * from --start (default 2025-01-01T00:00:00Z).  Every hour of every sensor
 * holds, spread over the hour:
 *   S stable names  www.siteNNN.example, one lookup, always one address
 *                   (what compaction coalesces: the same answer set);
 *   C CDN names     cdnNN.example-cdn.test, 4 of a pool of 8 addresses;
 *   F flux names    fluxNN.example-botnet.test, 5 addresses drawn from a
 *                   pool of 5000 across many networks; the first time a
 *                   sensor sees an address it writes its enrichment
 *                   (REC_ENRICH: origin ASN 64512 + pool index % 300);
 *   one NXDOMAIN    nxN.example (no answer);
 *   with --scores   one REC_SCORE sample (running totals) per flux name;
 *   with --hostile  (first hour only) lookups of names full of bytes that
 *                   every output must escape: a comma, quotes, a newline,
 *                   markup, "]]>", a control byte, DEL, a C1 control in
 *                   UTF-8, lone 0xff and 0xc3 bytes (invalid UTF-8).
 * Default S,C,F = 20,10,10.  With --csv, one line per A answer
 * "sensor,ts_us,name,ip" (for loading the same data into SQLite).
 * Deterministic: a fixed-seed generator per sensor, the fake clock; the
 * same arguments give the same bytes.  The writer does not fsync segments
 * (no_fsync: test data), so the cost is mostly the index of each hour.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "flux_score.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"
#include "../unit/testutil.h"

#define POOL 5000
#define MAX_NAMES 1000

static uint32_t rng;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void die(const char *what)
{
	fprintf(stderr, "mkyear: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void pool_ip(uint32_t p, uint8_t *a)
{
	a[0] = (uint8_t)(20 + p % 150);
	a[1] = (uint8_t)(p * 7 % 256);
	a[2] = (uint8_t)(p * 13 % 256);
	a[3] = (uint8_t)(1 + p % 250);
}

/* Names that every output format must escape (the last ones are not UTF-8). */
static const char *const hostile[] = {
	"a,b.evil.test", "q\"uote'.evil.test", "new\nline.evil.test",
	"<script>alert(1)</script>.evil.test", "]]>&amp;.evil.test", "ctl\001byte.evil.test",
	"del\177.evil.test", "c1\302\205nel.evil.test", "bad\377utf8.evil.test",
	"half\303.evil.test", "back\\slash.evil.test",
};

static FILE *csv;
static const char *sensor;

static void append(struct seg_writer *w, const struct rec *r)
{
	if (seg_writer_append(w, r) < 0)
		die("append");
	if (csv && r->type == REC_DNS)
		for (uint32_t i = 0; i < r->u.dns.n_a4; i++) {
			const uint8_t *a = r->u.dns.a4 + 4 * i;
			fprintf(csv, "%s,%" PRId64 ",%.*s,%u.%u.%u.%u\n", sensor, r->ts_us,
				(int)r->u.dns.name_len, r->u.dns.name, a[0], a[1], a[2], a[3]);
		}
}

static void dns(struct seg_writer *w, int64_t ts, const char *name, uint8_t rcode, uint32_t ttl,
		const uint8_t *a4, uint32_t n)
{
	struct rec r = tu_dns_a(name, ts, a4, n);
	r.u.dns.rcode = rcode;
	r.u.dns.ttl = ttl;
	r.u.dns.server.family = 4;
	memcpy(r.u.dns.server.addr, (uint8_t[]){192, 0, 2, 53}, 4);
	append(w, &r);
}

int main(int argc, char **argv)
{
	int sensors = 3, hours = 24, scores = 0, hostile_names = 0;
	unsigned ns = 20, nc = 10, nf = 10;
	int64_t start = 1735689600;	/* 2025-01-01T00:00:00Z */
	const char *dir = NULL, *csv_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--sensors") && v)
			sensors = atoi(v), i++;
		else if (!strcmp(a, "--hours") && v)
			hours = atoi(v), i++;
		else if (!strcmp(a, "--start") && v)
			start = strtoll(v, NULL, 10), i++;
		else if (!strcmp(a, "--names") && v) {
			if (sscanf(v, "%u,%u,%u", &ns, &nc, &nf) != 3)
				goto usage;
			i++;
		} else if (!strcmp(a, "--scores"))
			scores = 1;
		else if (!strcmp(a, "--hostile"))
			hostile_names = 1;
		else if (!strcmp(a, "--csv") && v)
			csv_path = v, i++;
		else if (a[0] != '-' && !dir)
			dir = a;
		else
			goto usage;
	}
	if (!dir || sensors < 1 || hours < 1 || ns > MAX_NAMES || nc > 100 || nf > 100)
		goto usage;
	if (csv_path && !(csv = fopen(csv_path, "w")))
		die(csv_path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die(dir);

	for (int s = 1; s <= sensors; s++) {
		char sdir[4096], sname[16], err[512];
		snprintf(sname, sizeof sname, "s%d", s);
		snprintf(sdir, sizeof sdir, "%s/%s", dir, sname);
		sensor = sname;
		rng = 2463534242u + (uint32_t)s * 7919u;
		struct seg_policy pol = {
			.max_bytes = 1u << 30, .max_age_s = 1u << 30, .no_fsync = 1,
		};
		clock_fake(start * 1000000);
		struct seg_writer *w = seg_writer_new(sdir, sname, &pol, err, sizeof err);
		if (!w) {
			fprintf(stderr, "mkyear: %s\n", err);
			return 2;
		}
		static uint8_t seen[POOL];
		static struct flux_sets fs[100];
		memset(seen, 0, sizeof seen);
		for (unsigned i = 0; i < nf; i++)
			flux_sets_init(&fs[i], 0, 0, 0);
		unsigned per_hour = ns + nc + nf + 1;
		for (int h = 0; h < hours; h++) {
			int64_t t0 = (start + (int64_t)h * 3600) * 1000000;
			int64_t gap = 3600000000LL / per_hour;
			unsigned k = 0;
			char name[64];
			uint8_t a4[4 * 8];
			clock_fake(t0);
			for (unsigned i = 0; i < ns; i++, k++) {
				snprintf(name, sizeof name, "www.site%03u.example", i);
				uint8_t a[4] = {198, 18, (uint8_t)(i / 250), (uint8_t)(1 + i % 250)};
				dns(w, t0 + k * gap, name, 0, 3600, a, 1);
			}
			for (unsigned i = 0; i < nc; i++, k++) {
				snprintf(name, sizeof name, "cdn%02u.example-cdn.test", i);
				uint32_t pick = next();
				unsigned n = 0;
				for (unsigned b = 0; b < 8 && n < 4; b++)
					if (pick >> b & 1 || 8 - b <= 4 - n) {
						uint8_t *a = a4 + 4 * n++;
						a[0] = 198, a[1] = 51, a[2] = (uint8_t)(100 + i % 4);
						a[3] = (uint8_t)(i * 8 + b + 1);
					}
				dns(w, t0 + k * gap, name, 0, 60, a4, n);
			}
			for (unsigned i = 0; i < nf; i++, k++) {
				snprintf(name, sizeof name, "flux%02u.example-botnet.test", i);
				int64_t ts = t0 + k * gap;
				uint32_t p[5];
				for (int j = 0; j < 5; j++) {
					p[j] = next() % POOL;
					pool_ip(p[j], a4 + 4 * j);
					if (!seen[p[j]]) {
						seen[p[j]] = 1;
						struct rec e;
						memset(&e, 0, sizeof e);
						e.type = REC_ENRICH;
						e.ts_us = ts;
						e.u.enrich.ip.family = 4;
						memcpy(e.u.enrich.ip.addr, a4 + 4 * j, 4);
						e.u.enrich.asn = 64512 + p[j] % 300;
						e.u.enrich.country[0] = 'Z', e.u.enrich.country[1] = 'Z';
						e.u.enrich.as_name = "BOTNET-AS";
						e.u.enrich.as_name_len = 9;
						append(w, &e);
					}
				}
				dns(w, ts, name, 0, 300, a4, 5);
				if (scores) {
					for (int j = 0; j < 5; j++) {
						flux_sets_add_a(&fs[i], (uint32_t)a4[4 * j] << 24 |
									(uint32_t)a4[4 * j + 1] << 16 |
									(uint32_t)a4[4 * j + 2] << 8 | a4[4 * j + 3]);
						flux_sets_add_asn(&fs[i], 64512 + p[j] % 300);
					}
					struct flux_verdict v;
					flux_sets_verdict(&fs[i], &v);
					struct rec sc;
					memset(&sc, 0, sizeof sc);
					sc.type = REC_SCORE;
					sc.ts_us = ts + 1;
					sc.u.score.name = name;
					sc.u.score.name_len = strlen(name);
					sc.u.score.n_a = v.n_a;
					sc.u.score.n_asn = v.n_asn;
					sc.u.score.lookups = (uint32_t)h + 1;
					sc.u.score.score = v.score_x100 / 100.0;
					sc.u.score.margin = v.margin_x100 / 100.0;
					append(w, &sc);
				}
			}
			for (size_t i = 0; hostile_names && h == 0 && i < sizeof hostile / sizeof *hostile; i++) {
				uint8_t a[8] = {203, 0, 113, (uint8_t)(1 + i), 203, 0, 113, (uint8_t)(101 + i)};
				dns(w, t0 + k * gap + 1 + (int64_t)i, hostile[i], 0, 60, a, 2);
			}
			snprintf(name, sizeof name, "nx%u.example", (unsigned)(h % 7));
			dns(w, t0 + k * gap, name, 3, 0, NULL, 0);
			if (seg_writer_seal(w) < 0)
				die("seal");
		}
		for (unsigned i = 0; i < nf; i++)
			flux_sets_fini(&fs[i]);
		if (seg_writer_close(w) < 0)
			die("close");
	}
	if (csv && fclose(csv) != 0)
		die(csv_path);
	return 0;
usage:
	fprintf(stderr, "usage: mkyear DIR [--sensors N] [--hours H] [--start UNIX] [--names S,C,F] "
			"[--scores] [--hostile] [--csv FILE]\n");
	return 2;
}
