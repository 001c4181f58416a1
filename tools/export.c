/*
 * export: `tip export --format cof|csv|clickhouse [--since T] [--until T]
 *         [--asn FILE] [-o FILE] --store DIR...`
 *
 * Every DNS observation of the stores, streamed in store order (sensor,
 * segment, offset), one observation per record as the store holds it (a
 * coalesced record is one line with its count; `tip compact` changes the
 * lines, never the sums).  --since/--until keep the observations whose
 * [first seen, last seen] overlaps the window, as tip query does.
 *   cof         Passive DNS Common Output Format, one NDJSON line per
 *               observation with answers: rrname, rrtype, rdata (a list),
 *               time_first, time_last (Unix seconds), count, sensor_id;
 *               `tip import cof` reads it back.  Observations without an
 *               answer (NXDOMAIN, timeouts) have no RRset and are left out.
 *   csv         RFC 4180 (csv.h), one row per answer (one row with an empty
 *               rdata for an observation without answers): observation
 *               (its number in this export), sensor, time_first, time_last
 *               (ISO 8601 UTC), count, rrname, rrtype, rcode, ttl, server,
 *               rdata, asn (of an IPv4 rdata; empty when unknown).
 *   clickhouse  JSONEachRow for the table in doc/clickhouse.sql, one row per
 *               observation, answers as arrays and the origin ASN of each
 *               IPv4 answer in a_asn, so ClickHouse can score without a
 *               dictionary:  clickhouse-client --query
 *               "INSERT INTO tip.dns FORMAT JSONEachRow" < export.json
 * The ASN of an address is the one of its newest enrichment record in the
 * stores (a first pass reads them, at most AGG_ENRICH_MAX addresses), else
 * the --asn table's, else unknown (0), exactly as tip query takes it.
 * Names are escaped by the JSON and CSV writers (json.h, csv.h); the JSON
 * writer's \u00XX for bytes that are not UTF-8 is what ClickHouse stores.
 * Memory: the enrichment map only; the observations are streamed.
 * --url http://HOST:PORT/ [--table T]: incremental and exactly-once over
 * ClickHouse's HTTP interface (see "incremental" below): only the sealed
 * segments not yet sent, so it can run from cron.
 * Exit: 0 something exported and no fault; 1 nothing matched, or faults
 * were met in the stores (reported, the rest exported); 2 usage or I/O.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "feeds.h"
#include "cdefs.h"
#include "chsend.h"
#include "csv.h"
#include "dnstype.h"
#include "json.h"
#include "spam.h"
#include "tip.h"
#include "util.h"

enum xfmt { X_COF, X_CSV, X_CH };

/* Address -> ASN of its newest enrichment (open addressing, grown to a cap). */
struct xmap_e {
	uint32_t ip, asn;	/* asn 0: empty */
	int64_t ts;
};

struct xopt {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct store_set set;
	struct asn_db db;
	int have_db;
	struct agg_filter filter;
	enum xfmt fmt;
	FILE *out;
	struct xmap_e *map;
	size_t n, cap;
	int full, nomem;
	uint64_t rows, skipped_noanswer, obs;
	struct agg_faults fl;
	const char *segment_tag;	/* incremental ClickHouse: the rows' segment column */
};

static size_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static struct xmap_e *slot(struct xmap_e *v, size_t cap, uint32_t ip)
{
	size_t i = hash32(ip) & (cap - 1);
	while (v[i].asn && v[i].ip != ip)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int map_put(struct xopt *o, uint32_t ip, uint32_t asn, int64_t ts)
{
	if (!asn)
		return 0;
	if ((o->n + 1) * 2 > o->cap) {
		if (o->n >= AGG_ENRICH_MAX) {
			o->full = 1;
			return 0;
		}
		size_t nc = o->cap ? o->cap * 2 : 1024;
		struct xmap_e *nv = calloc(nc, sizeof *nv);
		if (!nv)
			return -1;
		for (size_t i = 0; i < o->cap; i++)
			if (o->map[i].asn)
				*slot(nv, nc, o->map[i].ip) = o->map[i];
		free(o->map);
		o->map = nv;
		o->cap = nc;
	}
	struct xmap_e *e = slot(o->map, o->cap, ip);
	if (e->asn && e->ts > ts)
		return 0;	/* equal times: the later record wins, as in agg */
	if (!e->asn)
		o->n++;
	*e = (struct xmap_e){ip, asn, ts};
	return 0;
}

static uint32_t asn_of(const struct xopt *o, const uint8_t *a)
{
	uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	if (o->cap) {
		size_t i = hash32(ip) & (o->cap - 1);
		while (o->map[i].asn) {
			if (o->map[i].ip == ip)
				return o->map[i].asn;
			i = (i + 1) & (o->cap - 1);
		}
	}
	struct asn_info ai;
	if (o->have_db && asn_db_lookup(&o->db, ip, &ai))
		return ai.asn;
	return 0;
}

static int on_enrich(void *ctx, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED,
		     const struct rec *r)
{
	struct xopt *o = ctx;
	const struct rec_enrich *e = &r->u.enrich;
	if (r->type != REC_ENRICH || e->ip.family != 4)
		return 0;
	uint32_t ip = (uint32_t)e->ip.addr[0] << 24 | (uint32_t)e->ip.addr[1] << 16 |
		      (uint32_t)e->ip.addr[2] << 8 | e->ip.addr[3];
	if (map_put(o, ip, e->asn, r->ts_us) < 0) {
		o->nomem = 1;
		return 1;
	}
	return 0;
}

static int64_t unix_s(int64_t us)
{
	return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}

static void put_ip_text(FILE *f, int family, const uint8_t *a)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, t, sizeof t);
	fputs(t, f);
}

static void put_time(FILE *f, int64_t us)
{
	char t[UTIL_TIME_MAX];
	if (util_fmt_time(t, sizeof t, us) < 0)
		fputs("-", f);
	else
		fputs(t, f);
}

static void cof_line(struct xopt *o, const char *sensor, const struct rec *r, int64_t first,
		     int64_t last, uint64_t count)
{
	const struct rec_dns *d = &r->u.dns;
	FILE *f = o->out;
	char qt[DNSTYPE_NAME_MAX];
	fputs("{\"rrname\":", f);
	json_put_str(f, d->name, d->name_len);
	fprintf(f, ",\"rrtype\":\"%s\",\"rdata\":[", dnstype_name(d->qtype, qt));
	int first_item = 1;
	for (uint32_t i = 0; i < d->n_a4; i++, first_item = 0) {
		fputs(first_item ? "\"" : ",\"", f);
		put_ip_text(f, 4, d->a4 + 4 * i);
		fputc('"', f);
	}
	for (uint32_t i = 0; i < d->n_a6; i++, first_item = 0) {
		fputs(first_item ? "\"" : ",\"", f);
		put_ip_text(f, 6, d->a6 + 16 * i);
		fputc('"', f);
	}
	size_t off = 0, len;
	const char *nm;
	while (rec_dns_name_next(d, &off, &nm, &len)) {
		fputs(first_item ? "" : ",", f);
		json_put_str(f, nm, len);
		first_item = 0;
	}
	fprintf(f, "],\"time_first\":%lld,\"time_last\":%lld,\"count\":%llu,\"sensor_id\":",
		(long long)unix_s(first), (long long)unix_s(last), (unsigned long long)count);
	json_put_str(f, sensor, strlen(sensor));
	fputs("}\n", f);
}

static void csv_row(struct xopt *o, const char *sensor, const struct rec *r, int64_t first,
		    int64_t last, uint64_t count, int kind, const void *answer, size_t alen)
{
	const struct rec_dns *d = &r->u.dns;
	FILE *f = o->out;
	char qt[DNSTYPE_NAME_MAX];
	fprintf(f, "%llu,", (unsigned long long)o->obs);
	csv_puts(f, sensor);
	fputc(',', f);
	put_time(f, first);
	fputc(',', f);
	put_time(f, last);
	fprintf(f, ",%llu,", (unsigned long long)count);
	csv_put(f, d->name, d->name_len);
	fprintf(f, ",%s,%u,%u,", dnstype_name(d->qtype, qt), d->rcode, d->ttl);
	if (d->server.family)
		put_ip_text(f, d->server.family, d->server.addr);
	fputc(',', f);
	if (kind == 4 || kind == 6)
		put_ip_text(f, kind, answer);
	else if (kind == 'n')
		csv_put(f, answer, alen);
	fputc(',', f);
	if (kind == 4) {
		uint32_t asn = asn_of(o, answer);
		if (asn)
			fprintf(f, "%u", asn);
	}
	fputs("\r\n", f);
}

static void ch_row(struct xopt *o, const char *sensor, const struct rec *r, int64_t first,
		   int64_t last, uint64_t count)
{
	const struct rec_dns *d = &r->u.dns;
	FILE *f = o->out;
	char qt[DNSTYPE_NAME_MAX];
	fputs("{\"sensor\":", f);
	json_put_str(f, sensor, strlen(sensor));
	fprintf(f, ",\"time_first\":%lld,\"time_last\":%lld,\"first_us\":%lld,\"last_us\":%lld,"
		   "\"count\":%llu,\"rrname\":",
		(long long)unix_s(first), (long long)unix_s(last), (long long)first, (long long)last,
		(unsigned long long)count);
	json_put_str(f, d->name, d->name_len);
	fprintf(f, ",\"rrtype\":\"%s\",\"qtype\":%u,\"rcode\":%u,\"ttl\":%u,\"server\":\"",
		dnstype_name(d->qtype, qt), d->qtype, d->rcode, d->ttl);
	if (d->server.family)
		put_ip_text(f, d->server.family, d->server.addr);
	fputs("\",\"a\":[", f);
	for (uint32_t i = 0; i < d->n_a4; i++) {
		fputs(i ? ",\"" : "\"", f);
		put_ip_text(f, 4, d->a4 + 4 * i);
		fputc('"', f);
	}
	fputs("],\"a_asn\":[", f);
	for (uint32_t i = 0; i < d->n_a4; i++)
		fprintf(f, "%s%u", i ? "," : "", asn_of(o, d->a4 + 4 * i));
	fputs("],\"aaaa\":[", f);
	for (uint32_t i = 0; i < d->n_a6; i++) {
		fputs(i ? ",\"" : "\"", f);
		put_ip_text(f, 6, d->a6 + 16 * i);
		fputc('"', f);
	}
	fputs("],\"names\":[", f);
	size_t off = 0, len;
	const char *nm;
	for (int i = 0; rec_dns_name_next(d, &off, &nm, &len); i++) {
		fputs(i ? "," : "", f);
		json_put_str(f, nm, len);
	}
	fputc(']', f);
	if (o->segment_tag) {
		fputs(",\"segment\":", f);
		json_put_str(f, o->segment_tag, strlen(o->segment_tag));
	}
	fputs("}\n", f);
}

static int on_dns(void *ctx, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		  uint64_t pos TIP_UNUSED,
		  const struct rec *r)
{
	struct xopt *o = ctx;
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *d = &r->u.dns;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(&o->filter, first, last))
		return 0;
	int answers = d->n_a4 + d->n_a6 + d->n_names > 0;
	o->obs++;
	switch (o->fmt) {
	case X_COF:
		if (!answers) {
			o->skipped_noanswer++;
			return 0;
		}
		cof_line(o, sensor, r, first, last, count);
		break;
	case X_CSV: {
		for (uint32_t i = 0; i < d->n_a4; i++)
			csv_row(o, sensor, r, first, last, count, 4, d->a4 + 4 * i, 4);
		for (uint32_t i = 0; i < d->n_a6; i++)
			csv_row(o, sensor, r, first, last, count, 6, d->a6 + 16 * i, 16);
		size_t off = 0, len;
		const char *nm;
		while (rec_dns_name_next(d, &off, &nm, &len))
			csv_row(o, sensor, r, first, last, count, 'n', nm, len);
		if (!answers)
			csv_row(o, sensor, r, first, last, count, 0, NULL, 0);
		break;
	}
	case X_CH:
		ch_row(o, sensor, r, first, last, count);
		break;
	}
	o->rows++;
	return ferror(o->out) ? 1 : 0;
}


/* ---- incremental, exactly-once ClickHouse export (--url --table) --------- */

/*
 * Per store, state/clickhouse.<hash of URL and table> is an append-only
 * journal:
 *     pending SEG K ROWS    before part K of segment SEG is sent
 *     sent SEG K ROWS       after ClickHouse answered 200 for it
 *     done SEG FIRST LAST   after every part of SEG was sent (its seqs)
 * Every row carries segment = "SEG#K".  Rows go out in batches: one
 * INSERT holds the rows of as many segments as fit in --chunk rows and
 * CH_BATCH_BYTES, a part per segment (a segment larger than a batch is
 * cut in parts, each in its own batch).  A batch's parts are noted
 * pending together (one fsync) before the INSERT, sent and done together
 * (one fsync) after it.  A batch is at most --chunk rows, below
 * ClickHouse's max_insert_block_size, so its INSERT is one block: all of
 * it is stored or none.  A part found pending (a crash between the send
 * and the note), or a batch whose INSERT failed on the way, is counted in
 * ClickHouse once no INSERT of this store runs: as many rows as sent
 * means it arrived (noted sent, not sent again), none means it did not
 * (built and sent again from where the parts noted sent end); anything
 * else is reported and stops the store.  A compacted segment whose seqs
 * were all sent is noted done without sending; one that mixes sent and
 * unsent seqs is reported and skipped (export before compacting).  Only
 * sealed, indexed segments are sent.
 */

struct chj_ent {
	char seg[SEG_NAME_MAX];
	unsigned k;
	uint64_t rows;
	int state;	/* 1 pending, 2 sent */
};

struct chj {
	FILE *f;
	struct chj_ent *v;
	size_t n;
	struct { uint32_t first, last; } *done;
	size_t n_done;
	char **done_names;
};

struct chx {
	struct xopt *o;
	struct ch_url url;
	const char *table;
	unsigned retries;
	uint64_t chunk;
	uint64_t sent_rows, sent_chunks, skipped_segs;
	unsigned crash_at;	/* tests: exit after this many sends, before noting */
	unsigned sends;
};

static int chj_note(struct chj *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int chj_note(struct chj *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(j->f, fmt, ap);
	va_end(ap);
	return fflush(j->f) != 0 || fsync(fileno(j->f)) != 0 ? -1 : 0;
}

static struct chj_ent *chj_find(struct chj *j, const char *seg, unsigned k)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].k == k && !strcmp(j->v[i].seg, seg))
			return &j->v[i];
	return NULL;
}

static int chj_is_done(const struct chj *j, const char *seg)
{
	for (size_t i = 0; i < j->n_done; i++)
		if (!strcmp(j->done_names[i], seg))
			return 1;
	return 0;
}

/* 1 when every seq of [first, last] is in some done segment */
static int chj_covers(const struct chj *j, uint32_t first, uint32_t last, int *some)
{
	int all = 1;
	*some = 0;
	for (uint64_t q = first; q <= last; q++) {
		int in = 0;
		for (size_t i = 0; i < j->n_done && !in; i++)
			in = j->done[i].first <= q && q <= j->done[i].last;
		all &= in;
		*some |= in;
	}
	return all;
}

static int chj_add_done(struct chj *j, const char *seg, uint32_t first, uint32_t last)
{
	void *a = realloc(j->done, (j->n_done + 1) * sizeof *j->done);
	if (!a)
		return -1;
	j->done = a;
	void *b = realloc(j->done_names, (j->n_done + 1) * sizeof *j->done_names);
	if (!b)
		return -1;
	j->done_names = b;
	j->done_names[j->n_done] = strdup(seg);
	if (!j->done_names[j->n_done])
		return -1;
	j->done[j->n_done].first = first;
	j->done[j->n_done].last = last;
	j->n_done++;
	return 0;
}

static int chj_open(struct chj *j, const char *dir, const char *key, char *path, size_t cap)
{
	char line[512];
	memset(j, 0, sizeof *j);
	uint64_t h = 14695981039346656037ull;
	for (const char *p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	snprintf(path, cap, "%s/state/clickhouse.%016llx", dir, (unsigned long long)h);
	FILE *r = fopen(path, "r");
	while (r && fgets(line, sizeof line, r)) {
		char seg[SEG_NAME_MAX], what[16];
		unsigned long long a, b;
		unsigned k;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%15s %63s %llu %llu", what, seg, &a, &b) != 4)
			continue;	/* a torn last line: its step is redone */
		if (!strcmp(what, "done")) {
			if (chj_add_done(j, seg, (uint32_t)a, (uint32_t)b) < 0)
				break;
			continue;
		}
		k = (unsigned)a;
		struct chj_ent *e = chj_find(j, seg, k);
		if (!e) {
			void *nv = realloc(j->v, (j->n + 1) * sizeof *j->v);
			if (!nv)
				break;
			j->v = nv;
			e = &j->v[j->n++];
			memset(e, 0, sizeof *e);
			snprintf(e->seg, sizeof e->seg, "%s", seg);
			e->k = k;
		}
		e->rows = b;
		e->state = !strcmp(what, "sent") ? 2 : 1;
	}
	if (r)
		fclose(r);
	int fresh = access(path, F_OK) != 0;
	j->f = fopen(path, "a");
	if (!j->f)
		return -1;
	if (fresh && chj_note(j, "# tip export --url ... --table: %s\n", key) < 0)
		return -1;
	return 0;
}

static void chj_close(struct chj *j)
{
	if (j->f)
		fclose(j->f);
	for (size_t i = 0; i < j->n_done; i++)
		free(j->done_names[i]);
	free(j->done_names);
	free(j->done);
	free(j->v);
}

/* The parts an INSERT carries, asked for after a failed try (batch_arrived). */
struct ch_sent {
	const char *dir, *sensor;
	const struct chpart *p;
	size_t np;
};

static int batch_arrived(struct chx *x, const char *dir, const char *sensor,
			 const struct chpart *p, size_t np);

/*
 * POST with retries: 1 s, 2 s, 4 s ... between tries (capped at 30 s),
 * each try given timeout_s.  With sent (an INSERT), a try that failed on
 * the way (no answer, a 5xx) is not repeated when ClickHouse holds its
 * rows already.  0, or -1 (said).
 */
static int ch_try(struct chx *x, const char *query, const char *id, const char *body, size_t len,
		  char *out, size_t cap, int timeout_s, const struct ch_sent *sent)
{
	char err[512];
	unsigned wait_ms = 1000;
	for (unsigned t = 0;; t++) {
		int st = ch_post(&x->url, query, id, body, len, out, cap, timeout_s, err, sizeof err);
		if (st == 200)
			return 0;
		if (st > 0 && st < 500) {
			/* the server refused it: trying again changes nothing */
			fprintf(stderr, "tip export: ClickHouse answered %d: ", st);
			util_put_text(stderr, out, strlen(out) > 300 ? 300 : strlen(out));
			fputc('\n', stderr);
			return -1;
		}
		if (st > 0)
			snprintf(err, sizeof err, "ClickHouse answered %d", st);
		if (sent) {
			int a = batch_arrived(x, sent->dir, sent->sensor, sent->p, sent->np);
			if (a < 0)
				return -1;
			if (a == 1)
				return 0;	/* it arrived; only its answer was lost */
		}
		if (t >= x->retries) {
			fprintf(stderr, "tip export: %s; giving up after %u tries\n", err, t + 1);
			return -1;
		}
		fprintf(stderr, "tip export: %s; trying again in %u ms\n", err, wait_ms);
		struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
		wait_ms = wait_ms * 2 > 30000 ? 30000 : wait_ms * 2;
	}
}

static long long ch_number(struct chx *x, const char *q)
{
	char out[256];
	if (ch_try(x, NULL, NULL, q, strlen(q), out, sizeof out, 60, NULL) < 0)
		return -1;
	char *e;
	long long n = strtoll(out, &e, 10);
	return e == out ? -1 : n;
}

/*
 * An INSERT of this store's whose client died (or whose answer was lost)
 * may still be running: ClickHouse finishes what it received.  Wait until
 * none of its query ids (tip-TABLE-SENSOR-...) runs.  0, or -1.
 */
static int ch_wait_idle(struct chx *x, const char *sensor)
{
	char q[1024];
	snprintf(q, sizeof q, "SELECT count() FROM system.processes WHERE query_id LIKE 'tip-%s-%s-%%'",
		 x->table, sensor);
	for (int i = 0; i < 600; i++) {
		long long running = ch_number(x, q);
		if (running < 0)
			return -1;
		if (running == 0)
			return 0;
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Rows of ClickHouse tagged sensor/tag: -1 on error. */
static long long ch_count(struct chx *x, const char *sensor, const char *tag)
{
	char q[1024];
	snprintf(q, sizeof q, "SELECT count() FROM %s WHERE sensor = '%s' AND segment = '%s'",
		 x->table, sensor, tag);
	return ch_number(x, q);
}

/* One INSERT's body at most: ClickHouse parses it as it comes, tip builds it in memory. */
#define CH_BATCH_BYTES (64u << 20)

/*
 * A batch: the rows of one INSERT, in memory, from one or more parts (a
 * part: the rows of one segment in this batch, tagged SEG#K), and the
 * segments whose last part it holds (noted done once it is sent).
 */
struct chpart {
	char seg[SEG_NAME_MAX];
	unsigned k;
	uint64_t rows;
};

struct chdone {
	char seg[SEG_NAME_MAX];
	uint32_t first, last;
};

struct chbatch {
	char *buf;
	size_t len;
	FILE *m;		/* open_memstream over buf, len */
	uint64_t rows;
	struct chpart *p;
	size_t np, ap;
	struct chdone *d;
	size_t nd, ad;
};

static int batch_open(struct chbatch *b)
{
	b->rows = 0;
	b->np = b->nd = 0;
	if (b->m)
		fclose(b->m);
	free(b->buf);
	b->buf = NULL;
	b->len = 0;
	b->m = open_memstream(&b->buf, &b->len);
	return b->m ? 0 : -1;
}

static void batch_fini(struct chbatch *b)
{
	if (b->m)
		fclose(b->m);
	free(b->buf);
	free(b->p);
	free(b->d);
	memset(b, 0, sizeof *b);
}

static struct chpart *batch_part(struct chbatch *b, const char *seg, unsigned k)
{
	if (b->np == b->ap) {
		size_t na = b->ap ? 2 * b->ap : 64;
		void *nv = realloc(b->p, na * sizeof *b->p);
		if (!nv)
			return NULL;
		b->p = nv;
		b->ap = na;
	}
	struct chpart *p = &b->p[b->np++];
	snprintf(p->seg, sizeof p->seg, "%s", seg);
	p->k = k;
	p->rows = 0;
	return p;
}

static int batch_done(struct chbatch *b, const char *seg, uint32_t first, uint32_t last)
{
	if (b->nd == b->ad) {
		size_t na = b->ad ? 2 * b->ad : 64;
		void *nv = realloc(b->d, na * sizeof *b->d);
		if (!nv)
			return -1;
		b->d = nv;
		b->ad = na;
	}
	struct chdone *d = &b->d[b->nd++];
	snprintf(d->seg, sizeof d->seg, "%s", seg);
	d->first = first;
	d->last = last;
	return 0;
}

/*
 * How many of the batch's parts ClickHouse holds whole: 1 all of them,
 * 0 none (not a row of any), -1 an error or a part held in part (said).
 */
static int batch_arrived(struct chx *x, const char *dir, const char *sensor,
			 const struct chpart *p, size_t np)
{
	if (ch_wait_idle(x, sensor) < 0)
		return -1;
	size_t whole = 0, none = 0;
	for (size_t i = 0; i < np; i++) {
		char tag[SEG_NAME_MAX + 16];
		snprintf(tag, sizeof tag, "%s#%u", p[i].seg, p[i].k);
		long long have = ch_count(x, sensor, tag);
		if (have < 0)
			return -1;
		if ((uint64_t)have == p[i].rows)
			whole++;
		else if (have == 0)
			none++;
		else {
			fprintf(stderr, "tip export: %s: ClickHouse holds %lld of the %llu rows of %s; "
					"delete them (ALTER TABLE %s DELETE WHERE segment = '%s') and run "
					"again\n",
				dir, have, (unsigned long long)p[i].rows, tag, x->table, tag);
			return -1;
		}
	}
	if (whole == np)
		return 1;
	if (none == np)
		return 0;
	fprintf(stderr, "tip export: %s: ClickHouse holds %zu of the %zu parts of an insert whole and "
			"none of the rest (an insert split in blocks?); export with a smaller --chunk\n",
		dir, whole, np);
	return -1;
}

/*
 * Send the batch: its parts noted pending (one fsync), one INSERT, the
 * parts noted sent and the segments it completes noted done (one fsync).
 * An INSERT that fails on the way (no answer, a 5xx) may have arrived
 * all the same: before it is sent again, ClickHouse is asked whether its
 * rows are there.  0, or -1.
 */
static int batch_send(struct chx *x, struct chj *j, struct chbatch *b, const char *dir,
		      const char *sensor)
{
	if (fflush(b->m) != 0)
		return -1;
	for (size_t i = 0; i < b->np; i++)
		if (b->p[i].rows)
			fprintf(j->f, "pending %s %u %llu\n", b->p[i].seg, b->p[i].k,
				(unsigned long long)b->p[i].rows);
	if (b->rows && chj_note(j, "%s", "") < 0)
		return -1;
	if (b->rows) {
		char q[600], qid[SEG_NAME_MAX + 2 * STORE_ID_MAX + 200], out[1024];
		snprintf(q, sizeof q, "INSERT INTO %s FORMAT JSONEachRow", x->table);
		snprintf(qid, sizeof qid, "tip-%s-%s-%s#%u", x->table, sensor, b->p[0].seg, b->p[0].k);
		struct ch_sent sent = {dir, sensor, b->p, b->np};
		if (ch_try(x, q, qid, b->buf, b->len, out, sizeof out, 300, &sent) < 0)
			return -1;
		if (x->crash_at && ++x->sends == x->crash_at)
			_exit(9);	/* tests: a crash between the send and the note */
		for (size_t i = 0; i < b->np; i++)
			if (b->p[i].rows) {
				struct chj_ent *e = chj_find(j, b->p[i].seg, b->p[i].k);
				fprintf(j->f, "sent %s %u %llu\n", b->p[i].seg, b->p[i].k,
					(unsigned long long)b->p[i].rows);
				if (e)
					e->state = 2, e->rows = b->p[i].rows;
			}
		x->sent_rows += b->rows;
		x->sent_chunks++;
	}
	for (size_t i = 0; i < b->nd; i++) {
		fprintf(j->f, "done %s %u %u\n", b->d[i].seg, b->d[i].first, b->d[i].last);
		if (chj_add_done(j, b->d[i].seg, b->d[i].first, b->d[i].last) < 0)
			return -1;
	}
	if ((b->rows || b->nd) && chj_note(j, "%s", "") < 0)
		return -1;
	return batch_open(b);
}

/*
 * Where an earlier run left segment seg: *skip its rows in ClickHouse
 * (the parts noted sent, or found whole there after a crash), *k the
 * next part's number.  0, or -1 (said).
 */
static int seg_resume(struct chx *x, struct chj *j, const char *dir, const char *sensor,
		      const char *seg, uint64_t *skip, unsigned *k)
{
	*skip = 0;
	for (*k = 0;; (*k)++) {
		struct chj_ent *e = chj_find(j, seg, *k);
		if (!e)
			return 0;
		if (e->state == 1) {	/* a crash between the send and the note */
			struct chpart p;
			snprintf(p.seg, sizeof p.seg, "%s", seg);
			p.k = *k;
			p.rows = e->rows;
			int a = batch_arrived(x, dir, sensor, &p, 1);
			if (a < 0)
				return -1;
			if (a == 0)
				return 0;	/* it did not arrive: built and sent again */
			if (chj_note(j, "sent %s %u %llu\n", seg, *k, (unsigned long long)e->rows) < 0)
				return -1;
			e->state = 2;
		}
		*skip += e->rows;
	}
}

static int ch_store(struct chx *x, size_t si)
{
	struct xopt *o = x->o;
	const char *dir = o->set.dirs[si], *sensor = o->set.ids[si];
	char key[1200], jpath[4200];
	struct chj j;
	struct store_listing ls;
	struct chbatch b;
	int rc = 0;
	memset(&b, 0, sizeof b);
	snprintf(key, sizeof key, "%s:%s%s %s", x->url.host, x->url.port, x->url.path, x->table);
	if (chj_open(&j, dir, key, jpath, sizeof jpath) < 0) {
		fprintf(stderr, "tip export: ");
		util_put_text(stderr, jpath, strlen(jpath));
		fprintf(stderr, ": %s\n", strerror(errno));
		chj_close(&j);
		return -1;
	}
	if (store_list(dir, &ls) < 0) {
		chj_close(&j);
		return -1;
	}
	FILE *saved_out = o->out;
	if (batch_open(&b) < 0)
		rc = -1;
	for (size_t i = 0; i < ls.n && rc == 0; i++) {
		const struct store_seg *s = &ls.segs[i];
		if (!s->has_index || chj_is_done(&j, s->name))
			continue;	/* active or unsealed, or sent */
		int some;
		if (chj_covers(&j, s->cover_first, s->seq, &some)) {
			/* a compaction of segments already sent */
			if (batch_done(&b, s->name, s->cover_first, s->seq) < 0)
				rc = -1;
			continue;
		}
		if (some) {
			fprintf(stderr, "tip export: %s/log/%s: a compacted segment of sent and unsent "
					"segments; left out (export before compacting)\n", dir, s->name);
			x->skipped_segs++;
			continue;
		}
		uint64_t skip;
		unsigned k;
		if (seg_resume(x, &j, dir, sensor, s->name, &skip, &k) < 0) {
			rc = -1;
			break;
		}
		/* the segment's rows past skip, into the batch, a part per batch */
		char p[4200], tag[SEG_NAME_MAX + 16];
		struct seg_reader r;
		struct rec rec;
		uint64_t pos, seen = 0;
		struct chpart *part = NULL;
		store_seg_path(p, sizeof p, dir, s->name, "tlog");
		if (seg_reader_open(&r, p) < 0) {
			agg_on_fault(o, p, 0, r.fault);
			rc = -1;
			break;
		}
		o->segment_tag = tag;
		for (;;) {
			int c = seg_reader_next(&r, &rec, &pos);
			if (c == 0)
				break;
			if (c < 0) {
				agg_on_fault(o, p, r.fault_off, r.fault);
				if (!seg_reader_resync(&r))
					break;
				continue;
			}
			if (rec.type != REC_DNS || seen++ < skip)
				continue;
			if (!part) {
				snprintf(tag, sizeof tag, "%s#%u", s->name, k);
				if (!(part = batch_part(&b, s->name, k))) {
					rc = -1;
					break;
				}
			}
			int64_t first, last;
			uint64_t count;
			agg_dns_times(&rec, &first, &last, &count);
			o->out = b.m;
			ch_row(o, sensor, &rec, first, last, count);
			part->rows++;
			b.rows++;
			if (ferror(b.m)) {
				rc = -1;
				break;
			}
			if (b.rows >= x->chunk || (size_t)ftello(b.m) >= CH_BATCH_BYTES) {
				if (batch_send(x, &j, &b, dir, sensor) < 0) {
					rc = -1;
					break;
				}
				part = NULL;
				k++;
			}
		}
		seg_reader_close(&r);
		o->segment_tag = NULL;
		if (rc == 0 && batch_done(&b, s->name, s->cover_first, s->seq) < 0)
			rc = -1;
	}
	if (rc == 0 && batch_send(x, &j, &b, dir, sensor) < 0)
		rc = -1;
	o->out = saved_out;
	batch_fini(&b);
	store_listing_free(&ls);
	chj_close(&j);
	return rc;
}

static int ch_incremental(struct xopt *o, const char *url, const char *table, unsigned retries,
			  uint64_t chunk)
{
	struct chx x = {.o = o, .table = table, .retries = retries, .chunk = chunk};
	const char *why;
	if (ch_url_parse(url, &x.url, &why) < 0) {
		fprintf(stderr, "tip export: --url: %s: ", why);
		util_put_text(stderr, url, strlen(url));
		fputc('\n', stderr);
		return 2;
	}
	const char *env = getenv("TIP_EXPORT_CRASH_AT");
	if (env && *env)
		x.crash_at = (unsigned)strtoul(env, NULL, 10);
	int rc = 0;
	for (size_t i = 0; i < o->set.n; i++)
		if (ch_store(&x, i) < 0)
			rc = 2;
	printf("tip export: %llu rows in %llu chunks sent to %s%s\n",
	       (unsigned long long)x.sent_rows, (unsigned long long)x.sent_chunks, url, table);
	if (rc == 0 && (x.skipped_segs || o->fl.n))
		rc = 1;
	return rc;
}

/* --format and --records by name */
static const struct agg_choice formats[] = {{"cof", X_COF}, {"csv", X_CSV}, {"clickhouse", X_CH}};
static const struct agg_choice records[] = {{"dns", 0}, {"feeds", 1}, {"spam", 2}};

int cmd_export(int argc, char **argv)
{
	int v;
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
		{"asn", required_argument, NULL, 'a'},   {"output", required_argument, NULL, 'o'},
		{"url", required_argument, NULL, 'u'},   {"table", required_argument, NULL, 't'},
		{"retries", required_argument, NULL, 'r'}, {"chunk", required_argument, NULL, 'c'},
		{"records", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int feed_records = 0;
	struct xopt o;
	memset(&o, 0, sizeof o);
	o.fl.cmd = "export";
	o.faults = &o.fl;
	agg_filter_init(&o.filter);
	int c, rc = 2, have_fmt = 0;
	const char *asn_path = NULL, *out_path = NULL, *url = NULL, *table = "tip.dns";
	unsigned retries = 5;
	uint64_t chunk = 500000;
	char *end;
	char tmp[4096];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:o:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&o.set, "export", optarg) < 0)
				goto out;
			break;
		case 'R':
			if (agg_cli_choice("export", "records", AGG_CHOICES(records), optarg,
					   &feed_records) < 0)
				goto out;
			break;
		case 'f':
			have_fmt = 1;
			if (agg_cli_choice("export", "format", AGG_CHOICES(formats), optarg, &v) < 0)
				goto out;
			o.fmt = (enum xfmt)v;
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("export", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &o.filter.since_us : &o.filter.until_us) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 't':
			table = optarg;
			if (!*table || strspn(table, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "0123456789_.") != strlen(table)) {
				fprintf(stderr, "tip export: --table: [db.]name of letters, digits, _\n");
				goto out;
			}
			break;
		case 'r':
			retries = (unsigned)strtoul(optarg, &end, 10);
			if (*end || *optarg < '0' || *optarg > '9' || retries > 100) {
				fprintf(stderr, "tip export: --retries: 0 to 100\n");
				goto out;
			}
			break;
		case 'c':
			chunk = strtoull(optarg, &end, 10);
			if (*end || !chunk || chunk > 1000000) {
				fprintf(stderr, "tip export: --chunk: 1 to 1000000 rows (one insert block)\n");
				goto out;
			}
			break;
		default:
			agg_cli_bad_option("export", argv[optind - 1]);
			rc = tip_usage("export");
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tip export: unexpected argument: ");
		util_put_text(stderr, argv[optind], strlen(argv[optind]));
		fputc('\n', stderr);
		rc = tip_usage("export");
		goto out;
	}
	if (!have_fmt) {
		fprintf(stderr, "tip export: no format (--format cof|csv|clickhouse)\n");
		goto out;
	}
	if (o.set.n == 0) {
		fprintf(stderr, "tip export: no store given (--store DIR)\n");
		goto out;
	}
	if (o.filter.since_us > o.filter.until_us) {
		fprintf(stderr, "tip export: --since is after --until\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&o.db, "export", asn_path) < 0)
			goto out;
		o.have_db = 1;
	}
	if (o.fmt != X_COF) {
		/* enrichment first; faults are reported by the second pass */
		store_set_scan(&o.set, on_enrich, NULL, &o);
		if (o.nomem) {
			fprintf(stderr, "tip export: out of memory\n");
			goto out;
		}
		if (o.full)
			fprintf(stderr, "tip export: warning: more than %u enriched addresses; later ones "
					"use the ASN table only\n", AGG_ENRICH_MAX);
	}
	if (feed_records && (url || o.fmt == X_COF)) {
		fprintf(stderr, "tip export: --records %s: --format csv or clickhouse, to a file "
				"or standard output\n", feed_records == 2 ? "spam" : "feeds");
		goto out;
	}
	if (url) {
		if (o.fmt != X_CH || out_path || o.filter.since_us != INT64_MIN ||
		    o.filter.until_us != INT64_MAX) {
			fprintf(stderr, "tip export: --url sends every sealed segment not yet sent: "
					"with --format clickhouse, without -o, --since, --until\n");
			goto out;
		}
		rc = ch_incremental(&o, url, table, retries, chunk);
		goto out;
	}
	o.out = stdout;
	if (out_path && strcmp(out_path, "-")) {
		if (snprintf(tmp, sizeof tmp, "%s.tmp", out_path) >= (int)sizeof tmp) {
			fprintf(stderr, "tip export: output path too long\n");
			goto out;
		}
		o.out = fopen(tmp, "w");
		if (!o.out) {
			fprintf(stderr, "tip export: ");
			util_put_text(stderr, tmp, strlen(tmp));
			fprintf(stderr, ": %s\n", strerror(errno));
			goto out;
		}
	}
	if (feed_records == 2)
		o.rows = spam_export(&o.set, o.out, o.fmt == X_CH, o.filter.since_us,
				     o.filter.until_us, &o.fl);
	else if (feed_records)
		o.rows = feeds_export(&o.set, o.out, o.fmt == X_CH, o.filter.since_us,
				      o.filter.until_us, &o.fl);
	else if (o.fmt == X_CSV)
		fputs("observation,sensor,time_first,time_last,count,rrname,rrtype,rcode,ttl,server,"
		      "rdata,asn\r\n", o.out);
	if (!feed_records)
		store_set_scan(&o.set, on_dns, agg_on_fault, &o);
	int werr = fflush(o.out) != 0 || ferror(o.out);
	if (o.out != stdout) {
		werr |= fclose(o.out) != 0;
		if (werr || rename(tmp, out_path) < 0) {
			int e = errno;
			remove(tmp);
			fprintf(stderr, "tip export: ");
			util_put_text(stderr, out_path, strlen(out_path));
			fprintf(stderr, ": %s\n", strerror(e));
			goto out;
		}
	} else if (werr) {
		fprintf(stderr, "tip export: write error on standard output\n");
		goto out;
	}
	if (o.skipped_noanswer)
		fprintf(stderr, "tip export: %llu observations without an answer have no COF form "
				"(left out)\n", (unsigned long long)o.skipped_noanswer);
	rc = o.rows == 0 || o.fl.n ? 1 : 0;
	if (o.rows == 0)
		fprintf(stderr, "tip export: no observation%s\n",
			o.filter.since_us != INT64_MIN || o.filter.until_us != INT64_MAX
				? " in the time window" : "");
out:
	if (o.have_db)
		asn_db_close(&o.db);
	free(o.map);
	store_set_free(&o.set);
	return rc;
}
