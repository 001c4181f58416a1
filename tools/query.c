/*
 * query: `tip query domain NAME | ip ADDR | flux [--min-score S]
 *        [--since T] [--until T] [--asn FILE] [--format F] --store DIR...`
 *
 * domain and ip use the indexes (store_set_lookup); flux reads every store
 * (agg_flux_scan: bounded memory, see agg.h).  Formats:
 *   table  the 2009 web tables: Domain, Score, Hosts, ASNs, First seen,
 *          Last seen; IP Address, Hostname, ASN (name), Country, First
 *          seen, Last seen.  Every name is escaped (util_text: "\xNN").
 *   csv    RFC 4180 with a header line (csv.h).
 *   json   one JSON document (json.h writer); times ISO 8601 UTC.
 *   cof    Passive DNS Common Output Format, one RRset a line: rrname,
 *          rrtype, rdata, time_first, time_last (Unix seconds), count,
 *          sensor_id; grouped by sensor, name, type and answer set, so the
 *          output is the same before and after `tip compact`.
 * Exit: 0 results and no fault; 1 nothing matched, or faults were met
 * (reported on stderr, the rest still queried); 2 usage or I/O error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "csv.h"
#include "json.h"
#include "tip.h"
#include "util.h"

enum fmt { F_TABLE, F_CSV, F_JSON, F_COF };

/* ---- a table of escaped cells ---------------------------------------- */

#define TBL_COLS 8

struct tbl {
	int ncol;
	char **cells;		/* row-major, ncol a row, the header first */
	size_t n, alloc;
};

static int tbl_add(struct tbl *t, const char *text)
{
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 64;
		void *nv = realloc(t->cells, na * sizeof *t->cells);
		if (!nv)
			return -1;
		t->cells = nv;
		t->alloc = na;
	}
	return (t->cells[t->n++] = strdup(text)) ? 0 : -1;
}

/* An untrusted cell: escaped. */
static int tbl_addx(struct tbl *t, const void *s, size_t n)
{
	char buf[4 * 1024 + 8];
	return tbl_add(t, util_text(buf, sizeof buf, s, n));
}

static void tbl_print(FILE *f, const struct tbl *t)
{
	size_t w[TBL_COLS] = {0};
	for (size_t i = 0; i < t->n; i++) {
		size_t l = strlen(t->cells[i]);
		if (l > w[i % t->ncol])
			w[i % t->ncol] = l;
	}
	for (size_t i = 0; i < t->n; i++) {
		int c = (int)(i % t->ncol);
		if (c == t->ncol - 1)
			fprintf(f, "%s\n", t->cells[i]);
		else
			fprintf(f, "%-*s  ", (int)w[c], t->cells[i]);
	}
}

static void tbl_free(struct tbl *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* ---- fields ------------------------------------------------------------ */

static void fmt_time(char *out, size_t cap, int64_t us)
{
	if (us == INT64_MAX || us == INT64_MIN || util_fmt_time(out, cap, us) < 0)
		snprintf(out, cap, "-");
}

static void put_json_time(FILE *f, const char *key, int64_t us)
{
	char t[UTIL_TIME_MAX];
	if (us == INT64_MAX || us == INT64_MIN || util_fmt_time(t, sizeof t, us) < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":\"%s\"", key, t);
}

static int64_t unix_s(int64_t us)
{
	return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}

static void ip_text(char *out, uint32_t ip)
{
	uint8_t a[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip};
	inet_ntop(AF_INET, a, out, INET_ADDRSTRLEN);
}

/* "3209 (ARCOR-AS Arcor IP-Network)", escaped; "" when unknown. */
static void asn_text(char *out, size_t cap, const struct agg_ipinfo *in)
{
	char nm[4 * 256 + 8];
	if (!in->asn) {
		out[0] = '\0';
		return;
	}
	if (in->as_name_len)
		snprintf(out, cap, "%u (%s)", in->asn, util_text(nm, sizeof nm, in->as_name, in->as_name_len));
	else
		snprintf(out, cap, "%u", in->asn);
}

/* ---- COF --------------------------------------------------------------- */

static void put_cof(FILE *f, const struct agg_rrsets *rr)
{
	char qt[UTIL_QTYPE_MAX], a[INET6_ADDRSTRLEN];
	for (size_t i = 0; i < rr->n; i++) {
		struct agg_rrset_view v;
		agg_rrset_view(&rr->v[i], &v);
		fputs("{\"rrname\":", f);
		json_put_str(f, v.name, v.name_len);
		fprintf(f, ",\"rrtype\":\"%s\",\"rdata\":[", util_qtype_name(v.qtype, qt));
		int first = 1;
		for (uint32_t k = 0; k < v.n_a4; k++, first = 0) {
			inet_ntop(AF_INET, v.a4 + 4 * k, a, sizeof a);
			fprintf(f, "%s\"%s\"", first ? "" : ",", a);
		}
		for (uint32_t k = 0; k < v.n_a6; k++, first = 0) {
			inet_ntop(AF_INET6, v.a6 + 16 * k, a, sizeof a);
			fprintf(f, "%s\"%s\"", first ? "" : ",", a);
		}
		const uint8_t *p = v.names;
		for (uint32_t k = 0; k < v.n_names; k++, first = 0) {
			fputs(first ? "" : ",", f);
			json_put_str(f, p + 1, p[0]);
			p += 1 + p[0];
		}
		fprintf(f, "],\"time_first\":%lld,\"time_last\":%lld,\"count\":%llu,\"sensor_id\":",
			(long long)unix_s(rr->v[i].first_us), (long long)unix_s(rr->v[i].last_us),
			(unsigned long long)rr->v[i].count);
		json_put_str(f, v.sensor, v.sensor_len);
		fputs("}\n", f);
	}
}

/* ---- flux rows ---------------------------------------------------------- */

static const char *flux_hdr[] = {"Domain", "Score", "Hosts", "ASNs", "First seen", "Last seen"};

static int flux_row_tbl(struct tbl *t, const char *name, size_t len, const struct flux_verdict *v,
			int64_t first, int64_t last)
{
	char b[64], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	int rc = tbl_addx(t, name, len);
	agg_fmt_score(b, sizeof b, v->score_x100);
	rc |= tbl_add(t, b);
	snprintf(b, sizeof b, "%u%s", v->n_a, v->capped ? "+" : "");
	rc |= tbl_add(t, b);
	snprintf(b, sizeof b, "%u", v->n_asn);
	rc |= tbl_add(t, b);
	fmt_time(t1, sizeof t1, first);
	fmt_time(t2, sizeof t2, last);
	rc |= tbl_add(t, t1);
	rc |= tbl_add(t, t2);
	return rc;
}

static void flux_row_csv(FILE *f, const char *name, size_t len, const struct flux_verdict *v,
			 int64_t first, int64_t last, uint64_t lookups)
{
	char s[32], m[32], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	agg_fmt_score(s, sizeof s, v->score_x100);
	agg_fmt_score(m, sizeof m, v->margin_x100);
	fmt_time(t1, sizeof t1, first);
	fmt_time(t2, sizeof t2, last);
	csv_put(f, name, len);
	fprintf(f, ",%s,%s,%u,%u,%u,%llu,%s,%s,%d\r\n", s, m, v->n_a, v->n_asn, v->n_ns,
		(unsigned long long)lookups, t1, t2, v->flux);
}

static void flux_row_json(FILE *f, const char *name, size_t len, const struct flux_verdict *v,
			  int64_t first, int64_t last, uint64_t lookups)
{
	char s[32], m[32];
	agg_fmt_score(s, sizeof s, v->score_x100);
	agg_fmt_score(m, sizeof m, v->margin_x100);
	fputs("{\"domain\":", f);
	json_put_str(f, name, len);
	fprintf(f, ",\"score\":%s,\"margin\":%s,\"flux\":%s,\"hosts\":%u,\"asns\":%u,\"ns\":%u,"
		   "\"lookups\":%llu,\"capped\":%s",
		s, m, v->flux ? "true" : "false", v->n_a, v->n_asn, v->n_ns,
		(unsigned long long)lookups, v->capped ? "true" : "false");
	put_json_time(f, "first_seen", first);
	put_json_time(f, "last_seen", last);
	/* the caller closes the object */
}

/* ---- commands ----------------------------------------------------------- */

struct qopt {
	struct store_set set;
	struct asn_db db;
	int have_db;
	struct agg_filter filter;
	enum fmt fmt;
	int use_min;
	int32_t min_x100;
	size_t max_domains;
	struct agg_faults faults;
};

static const char *ip_hdr[] = {"IP Address", "Hostname", "ASN (name)", "Country", "First seen",
			       "Last seen"};

static int ip_row_tbl(struct tbl *t, const char *ip, const struct agg_ipinfo *in, int64_t first,
		      int64_t last)
{
	char b[4 * 256 + 64], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	int rc = tbl_add(t, ip);
	rc |= tbl_addx(t, in->ptr, in->ptr_len);
	asn_text(b, sizeof b, in);
	rc |= tbl_add(t, b);
	rc |= tbl_addx(t, in->cc, strlen(in->cc));
	fmt_time(t1, sizeof t1, first);
	fmt_time(t2, sizeof t2, last);
	rc |= tbl_add(t, t1);
	rc |= tbl_add(t, t2);
	return rc;
}

static void ipinfo_json(FILE *f, const struct agg_ipinfo *in)
{
	fputs(",\"hostname\":", f);
	json_put_str(f, in->ptr, in->ptr_len);
	if (in->asn)
		fprintf(f, ",\"asn\":%u", in->asn);
	else
		fputs(",\"asn\":null", f);
	fputs(",\"as_name\":", f);
	json_put_str(f, in->as_name, in->as_name_len);
	fputs(",\"country\":", f);
	json_put_str(f, in->cc, strlen(in->cc));
}

static void ipinfo_csv(FILE *f, const struct agg_ipinfo *in)
{
	csv_put(f, in->ptr, in->ptr_len);
	if (in->asn)
		fprintf(f, ",%u,", in->asn);
	else
		fputs(",,", f);
	csv_put(f, in->as_name, in->as_name_len);
	fputc(',', f);
	csv_put(f, in->cc, strlen(in->cc));
}

/* ---- output shared with tip serve -------------------------------------- */

/* The CSV and COF forms of `tip query`, written to any stream (tip.h). */

void query_put_cof(FILE *f, const struct agg_rrsets *rr)
{
	put_cof(f, rr);
}

void query_csv_flux_header(FILE *f)
{
	fputs("domain,score,margin,hosts,asns,ns,lookups,first_seen,last_seen,flux\r\n", f);
}

void query_csv_flux_row(FILE *f, const struct agg_flux_row *r)
{
	flux_row_csv(f, r->name, r->name_len, &r->v, r->first_us, r->last_us, r->lookups);
}

void query_cof_domain(FILE *f, const struct store_set *set, const struct asn_db *db,
		      const struct agg_filter *filter, const char *name)
{
	struct agg_domain d;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	if (agg_domain_lookup(set, db, name, filter, &d, &rr, NULL) == 0)
		put_cof(f, &rr);
	agg_domain_fini(&d);
	agg_rrsets_fini(&rr);
}

void query_csv_domain(FILE *f, const struct agg_domain *d)
{
	fputs("domain,ip,hostname,asn,as_name,country,first_seen,last_seen,count\r\n", f);
	for (size_t i = 0; i < d->n_ips; i++) {
		struct agg_ipinfo in;
		char ip[INET_ADDRSTRLEN], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
		agg_domain_ipinfo(d, i, &in);
		ip_text(ip, d->ips[i].ip);
		csv_put(f, d->name, d->name_len);
		fprintf(f, ",%s,", ip);
		ipinfo_csv(f, &in);
		fmt_time(t1, sizeof t1, d->ips[i].first_us);
		fmt_time(t2, sizeof t2, d->ips[i].last_us);
		fprintf(f, ",%s,%s,%llu\r\n", t1, t2, (unsigned long long)d->ips[i].count);
	}
}

void query_csv_ip(FILE *f, const struct agg_ipq *q)
{
	char ip[INET6_ADDRSTRLEN], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	inet_ntop(q->family == 4 ? AF_INET : AF_INET6, q->addr, ip, sizeof ip);
	fputs("ip,hostname,asn,as_name,country,domain,first_seen,last_seen,count\r\n", f);
	for (size_t i = 0; i < q->n_doms; i++) {
		fprintf(f, "%s,", ip);
		ipinfo_csv(f, &q->info);
		fputc(',', f);
		csv_put(f, q->doms[i].name, q->doms[i].name_len);
		fmt_time(t1, sizeof t1, q->doms[i].first_us);
		fmt_time(t2, sizeof t2, q->doms[i].last_us);
		fprintf(f, ",%s,%s,%llu\r\n", t1, t2, (unsigned long long)q->doms[i].count);
	}
}

static int q_domain(struct qopt *o, const char *name)
{
	struct agg_domain d;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	int rc = 2;
	if (agg_domain_lookup(&o->set, o->have_db ? &o->db : NULL, name, &o->filter, &d,
			      o->fmt == F_COF ? &rr : NULL, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	int any = d.records > 0;
	if (o->fmt == F_COF) {
		put_cof(stdout, &rr);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {6, NULL, 0, 0}, a = {6, NULL, 0, 0};
		for (int i = 0; i < 6; i++)
			tbl_add(&t, flux_hdr[i]), tbl_add(&a, ip_hdr[i]);
		flux_row_tbl(&t, d.name, d.name_len, &d.v, d.first_us, d.last_us);
		for (size_t i = 0; i < d.n_ips; i++) {
			struct agg_ipinfo in;
			char ip[INET_ADDRSTRLEN];
			agg_domain_ipinfo(&d, i, &in);
			ip_text(ip, d.ips[i].ip);
			ip_row_tbl(&a, ip, &in, d.ips[i].first_us, d.ips[i].last_us);
		}
		tbl_print(stdout, &t);
		printf("\n");
		tbl_print(stdout, &a);
		if (d.ips_over)
			printf("(%llu observations of further addresses not listed)\n",
			       (unsigned long long)d.ips_over);
		tbl_free(&t);
		tbl_free(&a);
	} else if (o->fmt == F_CSV) {
		query_csv_domain(stdout, &d);
	} else {
		flux_row_json(stdout, d.name, d.name_len, &d.v, d.first_us, d.last_us, d.lookups);
		fputs(",\"a\":[", stdout);
		for (size_t i = 0; i < d.n_ips; i++) {
			struct agg_ipinfo in;
			char ip[INET_ADDRSTRLEN];
			agg_domain_ipinfo(&d, i, &in);
			ip_text(ip, d.ips[i].ip);
			printf("%s{\"ip\":\"%s\"", i ? "," : "", ip);
			ipinfo_json(stdout, &in);
			put_json_time(stdout, "first_seen", d.ips[i].first_us);
			put_json_time(stdout, "last_seen", d.ips[i].last_us);
			printf(",\"count\":%llu}", (unsigned long long)d.ips[i].count);
		}
		fputs("]}\n", stdout);
	}
	rc = any ? 0 : 1;
	if (!any)
		fprintf(stderr, "tip query: no observation of that domain%s\n",
			d.found ? " in the time window" : "");
out:
	agg_domain_fini(&d);
	agg_rrsets_fini(&rr);
	return rc;
}

static int q_ip(struct qopt *o, const char *text)
{
	uint8_t a[16];
	int family = 4;
	if (inet_pton(AF_INET, text, a) != 1) {
		if (inet_pton(AF_INET6, text, a) != 1) {
			fprintf(stderr, "tip query: not an IPv4 or IPv6 address: ");
			util_put_text(stderr, text, strlen(text));
			fputc('\n', stderr);
			return 2;
		}
		family = 6;
	}
	struct agg_ipq q;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	int rc = 2;
	if (agg_ip_lookup(&o->set, o->have_db ? &o->db : NULL, family, a, &o->filter, &q,
			  o->fmt == F_COF ? &rr : NULL, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	char ip[INET6_ADDRSTRLEN], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
	if (o->fmt == F_COF) {
		put_cof(stdout, &rr);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {6, NULL, 0, 0}, dt = {4, NULL, 0, 0};
		for (int i = 0; i < 6; i++)
			tbl_add(&t, ip_hdr[i]);
		ip_row_tbl(&t, ip, &q.info, q.first_us, q.last_us);
		tbl_add(&dt, "Domain");
		tbl_add(&dt, "Count");
		tbl_add(&dt, "First seen");
		tbl_add(&dt, "Last seen");
		for (size_t i = 0; i < q.n_doms; i++) {
			char c[32];
			tbl_addx(&dt, q.doms[i].name, q.doms[i].name_len);
			snprintf(c, sizeof c, "%llu", (unsigned long long)q.doms[i].count);
			tbl_add(&dt, c);
			fmt_time(t1, sizeof t1, q.doms[i].first_us);
			fmt_time(t2, sizeof t2, q.doms[i].last_us);
			tbl_add(&dt, t1);
			tbl_add(&dt, t2);
		}
		tbl_print(stdout, &t);
		printf("\n");
		tbl_print(stdout, &dt);
		tbl_free(&t);
		tbl_free(&dt);
	} else if (o->fmt == F_CSV) {
		query_csv_ip(stdout, &q);
	} else {
		printf("{\"ip\":\"%s\"", ip);
		ipinfo_json(stdout, &q.info);
		put_json_time(stdout, "first_seen", q.first_us);
		put_json_time(stdout, "last_seen", q.last_us);
		printf(",\"count\":%llu,\"domains\":[", (unsigned long long)q.count);
		for (size_t i = 0; i < q.n_doms; i++) {
			fputs(i ? ",{\"domain\":" : "{\"domain\":", stdout);
			json_put_str(stdout, q.doms[i].name, q.doms[i].name_len);
			put_json_time(stdout, "first_seen", q.doms[i].first_us);
			put_json_time(stdout, "last_seen", q.doms[i].last_us);
			printf(",\"count\":%llu}", (unsigned long long)q.doms[i].count);
		}
		fputs("]}\n", stdout);
	}
	rc = q.n_doms ? 0 : 1;
	if (!q.n_doms)
		fprintf(stderr, "tip query: no observation of that address%s\n",
			q.found ? " in the time window" : "");
out:
	agg_ipq_fini(&q);
	agg_rrsets_fini(&rr);
	return rc;
}

static int q_flux(struct qopt *o)
{
	struct agg_flux_opts fo = {o->filter, o->have_db ? &o->db : NULL, o->use_min, o->min_x100,
				   o->max_domains};
	struct agg_flux fl;
	if (agg_flux_scan(&o->set, &fo, &fl, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		agg_flux_fini(&fl);
		return 2;
	}
	if (fl.enrich_full)
		fprintf(stderr, "tip query: warning: more than %u enriched addresses; later ones use "
				"the ASN table only\n", AGG_ENRICH_MAX);
	if (o->fmt == F_TABLE) {
		struct tbl t = {6, NULL, 0, 0};
		for (int i = 0; i < 6; i++)
			tbl_add(&t, flux_hdr[i]);
		for (size_t i = 0; i < fl.n; i++) {
			const struct agg_flux_row *r = &fl.rows[i];
			flux_row_tbl(&t, r->name, r->name_len, &r->v, r->first_us, r->last_us);
		}
		tbl_print(stdout, &t);
		tbl_free(&t);
	} else if (o->fmt == F_CSV) {
		query_csv_flux_header(stdout);
		for (size_t i = 0; i < fl.n; i++)
			query_csv_flux_row(stdout, &fl.rows[i]);
	} else if (o->fmt == F_JSON) {
		fputs("[", stdout);
		for (size_t i = 0; i < fl.n; i++) {
			const struct agg_flux_row *r = &fl.rows[i];
			fputs(i ? ",\n" : "\n", stdout);
			flux_row_json(stdout, r->name, r->name_len, &r->v, r->first_us, r->last_us,
				      r->lookups);
			fputc('}', stdout);
		}
		fputs("\n]\n", stdout);
	} else {
		for (size_t i = 0; i < fl.n; i++)
			query_cof_domain(stdout, &o->set, fo.db, &o->filter, fl.rows[i].name);
	}
	int rc = fl.n ? 0 : 1;
	agg_flux_fini(&fl);
	return rc;
}

int cmd_query(int argc, char **argv)
{
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'},  {"format", required_argument, NULL, 'f'},
		{"min-score", required_argument, NULL, 'm'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},  {"asn", required_argument, NULL, 'a'},
		{"max-domains", required_argument, NULL, 'M'}, {NULL, 0, NULL, 0},
	};
	struct qopt o;
	memset(&o, 0, sizeof o);
	agg_filter_init(&o.filter);
	o.faults.cmd = "query";
	int c, rc = 2;
	const char *asn_path = NULL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&o.set, "query", optarg) < 0)
				goto out;
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				o.fmt = F_TABLE;
			else if (!strcmp(optarg, "csv"))
				o.fmt = F_CSV;
			else if (!strcmp(optarg, "json"))
				o.fmt = F_JSON;
			else if (!strcmp(optarg, "cof"))
				o.fmt = F_COF;
			else {
				fprintf(stderr, "tip query: unknown format (table, csv, json, cof): ");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
			break;
		case 'm':
			if (agg_cli_score("query", optarg, &o.min_x100) < 0)
				goto out;
			o.use_min = 1;
			break;
		case 'S':
		case 'U':
			if (agg_cli_time("query", c == 'S' ? "since" : "until", optarg,
					 c == 'S' ? &o.filter.since_us : &o.filter.until_us) < 0)
				goto out;
			break;
		case 'a':
			asn_path = optarg;
			break;
		case 'M':
			o.max_domains = strtoul(optarg, NULL, 10);
			if (!o.max_domains) {
				fprintf(stderr, "tip query: --max-domains: a positive number\n");
				goto out;
			}
			break;
		default:
			fprintf(stderr, "tip query: unknown or incomplete option: ");
			util_put_text(stderr, argv[optind - 1], strlen(argv[optind - 1]));
			fputc('\n', stderr);
			rc = tip_usage("query");
			goto out;
		}
	}
	int nargs = argc - optind;
	const char *what = nargs > 0 ? argv[optind] : "";
	int want = !strcmp(what, "flux") ? 1 : (!strcmp(what, "domain") || !strcmp(what, "ip")) ? 2 : 0;
	if (!want || nargs != want) {
		rc = tip_usage("query");
		goto out;
	}
	if (o.set.n == 0) {
		fprintf(stderr, "tip query: no store given (--store DIR)\n");
		goto out;
	}
	if (o.filter.since_us > o.filter.until_us) {
		fprintf(stderr, "tip query: --since is after --until\n");
		goto out;
	}
	if (asn_path) {
		if (agg_cli_asn(&o.db, "query", asn_path) < 0)
			goto out;
		o.have_db = 1;
	}
	if (!strcmp(what, "flux"))
		rc = q_flux(&o);
	else if (!strcmp(what, "domain"))
		rc = q_domain(&o, argv[optind + 1]);
	else
		rc = q_ip(&o, argv[optind + 1]);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tip query: write error on standard output\n");
		rc = 2;
	}
	if (rc == 0 && o.faults.n)
		rc = 1;
out:
	if (o.have_db)
		asn_db_close(&o.db);
	store_set_free(&o.set);
	return rc;
}
