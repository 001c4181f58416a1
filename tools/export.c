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
 * Exit: 0 something exported and no fault; 1 nothing matched, or faults
 * were met in the stores (reported, the rest exported); 2 usage or I/O.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cdefs.h"
#include "csv.h"
#include "json.h"
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
	char qt[UTIL_QTYPE_MAX];
	fputs("{\"rrname\":", f);
	json_put_str(f, d->name, d->name_len);
	fprintf(f, ",\"rrtype\":\"%s\",\"rdata\":[", util_qtype_name(d->qtype, qt));
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
	char qt[UTIL_QTYPE_MAX];
	fprintf(f, "%llu,", (unsigned long long)o->obs);
	csv_puts(f, sensor);
	fputc(',', f);
	put_time(f, first);
	fputc(',', f);
	put_time(f, last);
	fprintf(f, ",%llu,", (unsigned long long)count);
	csv_put(f, d->name, d->name_len);
	fprintf(f, ",%s,%u,%u,", util_qtype_name(d->qtype, qt), d->rcode, d->ttl);
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
	char qt[UTIL_QTYPE_MAX];
	fputs("{\"sensor\":", f);
	json_put_str(f, sensor, strlen(sensor));
	fprintf(f, ",\"time_first\":%lld,\"time_last\":%lld,\"first_us\":%lld,\"last_us\":%lld,"
		   "\"count\":%llu,\"rrname\":",
		(long long)unix_s(first), (long long)unix_s(last), (long long)first, (long long)last,
		(unsigned long long)count);
	json_put_str(f, d->name, d->name_len);
	fprintf(f, ",\"rrtype\":\"%s\",\"qtype\":%u,\"rcode\":%u,\"ttl\":%u,\"server\":\"",
		util_qtype_name(d->qtype, qt), d->qtype, d->rcode, d->ttl);
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
	fputs("]}\n", f);
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

int cmd_export(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 'S'}, {"until", required_argument, NULL, 'U'},
		{"asn", required_argument, NULL, 'a'},   {"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct xopt o;
	memset(&o, 0, sizeof o);
	o.fl.cmd = "export";
	o.faults = &o.fl;
	agg_filter_init(&o.filter);
	int c, rc = 2, have_fmt = 0;
	const char *asn_path = NULL, *out_path = NULL;
	char tmp[4096];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:o:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&o.set, "export", optarg) < 0)
				goto out;
			break;
		case 'f':
			have_fmt = 1;
			if (!strcmp(optarg, "cof"))
				o.fmt = X_COF;
			else if (!strcmp(optarg, "csv"))
				o.fmt = X_CSV;
			else if (!strcmp(optarg, "clickhouse"))
				o.fmt = X_CH;
			else {
				fprintf(stderr, "tip export: unknown format (cof, csv, clickhouse): ");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
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
		default:
			fprintf(stderr, "tip export: unknown or incomplete option: ");
			util_put_text(stderr, argv[optind - 1], strlen(argv[optind - 1]));
			fputc('\n', stderr);
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
	if (o.fmt == X_CSV)
		fputs("observation,sensor,time_first,time_last,count,rrname,rrtype,rcode,ttl,server,"
		      "rdata,asn\r\n", o.out);
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
