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
#include "dnstype.h"
#include "json.h"
#include "lookups.h"
#include "match.h"
#include "feeds.h"
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

/*
 * One COF line: the RRsets of agg_rrsets whose answer sets are the same
 * once the duplicates inside one answer are dropped (a resolver may
 * repeat a record in an answer, and an import keeps what it read), merged:
 * first and last seen, count summed.  key is that set, canonical: the
 * sensor, the name, the type, then the distinct addresses and names in
 * the order agg_rrsets sorted them.
 */
struct cof_row {
	struct agg_rrset set;		/* first, for agg_rrset_merge; the key is cof_key's */
	const struct agg_rrset *r;	/* one of the merged ones, for its view */
};

static void cof_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The canonical key of r's answer set, duplicates dropped: heap, or NULL. */
static uint8_t *cof_key(const struct agg_rrset *r, size_t *klen)
{
	struct agg_rrset_view v;
	agg_rrset_view(r, &v);
	size_t names = 0;
	const uint8_t *p = v.names;
	for (uint32_t k = 0; k < v.n_names; k++) {
		names += 1 + (size_t)p[0];
		p += 1 + p[0];
	}
	size_t cap = 4 + v.sensor_len + 4 + v.name_len + 2 + 12 + 4 * (size_t)v.n_a4 +
		     16 * (size_t)v.n_a6 + names;
	uint8_t *key = malloc(cap), *o = key;
	if (!key)
		return NULL;
	cof_put32(o, (uint32_t)v.sensor_len), o += 4;
	memcpy(o, v.sensor, v.sensor_len), o += v.sensor_len;
	cof_put32(o, (uint32_t)v.name_len), o += 4;
	memcpy(o, v.name, v.name_len), o += v.name_len;
	*o++ = (uint8_t)(v.qtype >> 8), *o++ = (uint8_t)v.qtype;
	/* each list is sorted: a duplicate follows its twin */
	uint8_t *cnt = o;
	uint32_t n = 0;
	o += 4;
	for (uint32_t k = 0; k < v.n_a4; k++)
		if (!k || memcmp(v.a4 + 4 * k, v.a4 + 4 * (k - 1), 4))
			memcpy(o, v.a4 + 4 * k, 4), o += 4, n++;
	cof_put32(cnt, n);
	cnt = o, n = 0, o += 4;
	for (uint32_t k = 0; k < v.n_a6; k++)
		if (!k || memcmp(v.a6 + 16 * k, v.a6 + 16 * (k - 1), 16))
			memcpy(o, v.a6 + 16 * k, 16), o += 16, n++;
	cof_put32(cnt, n);
	cnt = o, n = 0, o += 4;
	const uint8_t *prev = NULL;
	p = v.names;
	for (uint32_t k = 0; k < v.n_names; k++) {
		if (!prev || prev[0] != p[0] || memcmp(prev + 1, p + 1, p[0]))
			memcpy(o, p, 1 + (size_t)p[0]), o += 1 + p[0], n++;
		prev = p;
		p += 1 + p[0];
	}
	cof_put32(cnt, n);
	*klen = (size_t)(o - key);
	return key;
}

/* By time: first seen, then last seen, then the set (a total order). */
static int cof_time_cmp(const void *a, const void *b)
{
	const struct agg_rrset *x = &((const struct cof_row *)a)->set;
	const struct agg_rrset *y = &((const struct cof_row *)b)->set;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	if (x->last_us != y->last_us)
		return x->last_us < y->last_us ? -1 : 1;
	return agg_rrset_cmp(x, y);
}

/*
 * One line per distinct (sensor, rrname, rrtype, rdata set): the RRsets
 * of rr coalesced again with the duplicates inside each answer set
 * dropped, ordered by first seen, at most limit lines (0: all).  No
 * "bailiwick": no record in a store knows the zone its answer came from
 * (the sensor asks a recursive resolver, which does not say, and
 * passivedns logs carry none), so the field is left out, as COF allows.
 */
static void put_cof_n(FILE *f, const struct agg_rrsets *rr, size_t limit)
{
	char qt[DNSTYPE_NAME_MAX], a[INET6_ADDRSTRLEN];
	struct cof_row *rows = rr->n ? calloc(rr->n, sizeof *rows) : NULL;
	size_t n = 0;
	for (size_t i = 0; rows && i < rr->n; i++) {
		struct cof_row *c = &rows[n];
		c->set = rr->v[i];
		if (!(c->set.key = cof_key(&rr->v[i], &c->set.klen)))
			continue;	/* out of memory: that set is left out */
		c->r = &rr->v[i];
		n++;
	}
	n = agg_rrset_merge(rows, n, sizeof *rows);
	if (n > 1)
		qsort(rows, n, sizeof *rows, cof_time_cmp);
	for (size_t j = 0; j < n && (!limit || j < limit); j++) {
		const struct cof_row *c = &rows[j];
		struct agg_rrset_view v;
		agg_rrset_view(c->r, &v);
		fputs("{\"rrname\":", f);
		json_put_str(f, v.name, v.name_len);
		fprintf(f, ",\"rrtype\":\"%s\",\"rdata\":[", dnstype_name(v.qtype, qt));
		int first = 1;
		for (uint32_t k = 0; k < v.n_a4; k++) {
			if (k && !memcmp(v.a4 + 4 * k, v.a4 + 4 * (k - 1), 4))
				continue;
			inet_ntop(AF_INET, v.a4 + 4 * k, a, sizeof a);
			fprintf(f, "%s\"%s\"", first ? "" : ",", a);
			first = 0;
		}
		for (uint32_t k = 0; k < v.n_a6; k++) {
			if (k && !memcmp(v.a6 + 16 * k, v.a6 + 16 * (k - 1), 16))
				continue;
			inet_ntop(AF_INET6, v.a6 + 16 * k, a, sizeof a);
			fprintf(f, "%s\"%s\"", first ? "" : ",", a);
			first = 0;
		}
		const uint8_t *p = v.names, *prev = NULL;
		for (uint32_t k = 0; k < v.n_names; k++) {
			if (!prev || prev[0] != p[0] || memcmp(prev + 1, p + 1, p[0])) {
				fputs(first ? "" : ",", f);
				json_put_str(f, p + 1, p[0]);
				first = 0;
			}
			prev = p;
			p += 1 + p[0];
		}
		fprintf(f, "],\"time_first\":%lld,\"time_last\":%lld,\"count\":%llu,\"sensor_id\":",
			(long long)unix_s(c->set.first_us), (long long)unix_s(c->set.last_us),
			(unsigned long long)c->set.count);
		json_put_str(f, v.sensor, v.sensor_len);
		fputs("}\n", f);
	}
	for (size_t j = 0; j < n; j++)
		free(rows[j].set.key);
	free(rows);
}

static void put_cof(FILE *f, const struct agg_rrsets *rr)
{
	put_cof_n(f, rr, 0);
}

/* ---- flux rows ---------------------------------------------------------- */

/*
 * One name's scores: the classification window's verdict (w, which decides)
 * and the running totals beside it (r), as tipd keeps both.
 */
struct frow {
	const char *name;
	size_t len;
	const struct flux_verdict *w, *r;
	uint32_t w_unknown, r_unknown;
	int64_t first, last;	/* of the name's observations */
	int64_t w0, w1;		/* the window [w0, w1) */
	uint64_t lookups;
};

static struct frow frow_dom(const struct agg_domain *d)
{
	return (struct frow){d->name,	   d->name_len,	  &d->v,	&d->run,
			     d->asn_unknown, d->run_asn_unknown, d->first_us, d->last_us,
			     d->win.t0,	   d->win.end,	  d->lookups};
}

static struct frow frow_flux(const struct agg_flux_row *x)
{
	return (struct frow){x->name,	      x->name_len,	   &x->v,      &x->run,
			     x->asn_unknown, x->run_asn_unknown, x->first_us, x->last_us,
			     x->win_t0,	      x->win_end,	   x->lookups};
}

static const char *flux_hdr[] = {"Domain",	 "Score",      "Hosts",	    "ASNs",
				 "Running (hosts/ASNs)", "First seen", "Last seen"};
#define FLUX_COLS 7

/* "15 (+2 unknown)", "ASN unknown" or "3+" */
static void asns_text(char *b, size_t cap, const struct flux_verdict *v, uint32_t unknown)
{
	if (v->n_a && unknown == v->n_a)
		snprintf(b, cap, "ASN unknown");
	else if (unknown)
		snprintf(b, cap, "%u (+%u unknown)", v->n_asn, unknown);
	else
		snprintf(b, cap, "%u%s", v->n_asn, v->capped ? "+" : "");
}

static int flux_row_tbl(struct tbl *t, const struct frow *x)
{
	char b[96], s[32], a[48], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	int rc = tbl_addx(t, x->name, x->len);
	agg_fmt_score(b, sizeof b, x->w->score_x100);
	rc |= tbl_add(t, b);
	snprintf(b, sizeof b, "%u%s", x->w->n_a, x->w->capped ? "+" : "");
	rc |= tbl_add(t, b);
	asns_text(b, sizeof b, x->w, x->w_unknown);
	rc |= tbl_add(t, b);
	agg_fmt_score(s, sizeof s, x->r->score_x100);
	if (x->r->n_a && x->r_unknown == x->r->n_a)
		snprintf(a, sizeof a, "ASN unknown");
	else if (x->r_unknown)
		snprintf(a, sizeof a, "%u, +%u unknown", x->r->n_asn, x->r_unknown);
	else
		snprintf(a, sizeof a, "%u%s", x->r->n_asn, x->r->capped ? "+" : "");
	snprintf(b, sizeof b, "%s (%u%s/%s)", s, x->r->n_a, x->r->capped ? "+" : "", a);
	rc |= tbl_add(t, b);
	fmt_time(t1, sizeof t1, x->first);
	fmt_time(t2, sizeof t2, x->last);
	rc |= tbl_add(t, t1);
	rc |= tbl_add(t, t2);
	return rc;
}

static void flux_row_csv(FILE *f, const struct frow *x)
{
	char s[32], m[32], rs[32], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX], w0[UTIL_TIME_MAX],
		w1[UTIL_TIME_MAX];
	const struct flux_verdict *v = x->w, *r = x->r;
	agg_fmt_score(s, sizeof s, v->score_x100);
	agg_fmt_score(m, sizeof m, v->margin_x100);
	agg_fmt_score(rs, sizeof rs, r->score_x100);
	fmt_time(t1, sizeof t1, x->first);
	fmt_time(t2, sizeof t2, x->last);
	fmt_time(w0, sizeof w0, x->w0);
	fmt_time(w1, sizeof w1, x->w1);
	csv_put(f, x->name, x->len);
	fprintf(f, ",%s,%s,%u,%u,%u,%llu,%s,%s,%d,%d,%u,%s,%s,%s,%u,%u,%u,%d,%d,%u\r\n", s, m,
		v->n_a, v->n_asn, v->n_ns, (unsigned long long)x->lookups, t1, t2, v->flux,
		v->capped, x->w_unknown, w0, w1, rs, r->n_a, r->n_asn, r->n_ns, r->flux, r->capped,
		x->r_unknown);
}

static void verdict_json(FILE *f, const struct flux_verdict *v, uint32_t unknown)
{
	char s[32], m[32];
	agg_fmt_score(s, sizeof s, v->score_x100);
	agg_fmt_score(m, sizeof m, v->margin_x100);
	fprintf(f, "\"score\":%s,\"margin\":%s,\"flux\":%s,\"hosts\":%u,\"asns\":%u,\"ns\":%u,"
		   "\"capped\":%s,\"asn_unknown\":%u",
		s, m, v->flux ? "true" : "false", v->n_a, v->n_asn, v->n_ns,
		v->capped ? "true" : "false", unknown);
}

static void flux_row_json(FILE *f, const struct frow *x)
{
	fputs("{\"row\":\"domain\",\"domain\":", f);
	json_put_str(f, x->name, x->len);
	fputc(',', f);
	verdict_json(f, x->w, x->w_unknown);
	fprintf(f, ",\"lookups\":%llu", (unsigned long long)x->lookups);
	put_json_time(f, "first_seen", x->first);
	put_json_time(f, "last_seen", x->last);
	put_json_time(f, "window_start", x->w0);
	put_json_time(f, "window_end", x->w1);
	fputs(",\"running\":{", f);
	verdict_json(f, x->r, x->r_unknown);
	fputc('}', f);
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
	size_t limit;		/* -l: rows of each kind at most; 0 = all */
	int running;		/* --running: flux also by the running totals */
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
	fputs("domain,score,margin,hosts,asns,ns,lookups,first_seen,last_seen,flux,capped,asn_unknown,"
	      "window_start,window_end,running_score,running_hosts,running_asns,running_ns,"
	      "running_flux,running_capped,running_asn_unknown\r\n",
	      f);
}

void query_csv_flux_row(FILE *f, const struct agg_flux_row *r)
{
	struct frow x = frow_flux(r);
	flux_row_csv(f, &x);
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


/* ---- one domain: its RRsets other than A, its lookup history ---------- */

static const char *rr_hdr[] = {"Type", "Answer", "Count", "First seen", "Last seen"};
static const char *lk_hdr[] = {"Type", "Outcome", "Count", "TTLs", "First seen", "Last seen"};

/* The answers of an RRset as one text, names escaped: "a, b, c". */
static void rrset_text(char *out, size_t cap, const struct agg_rrset_view *v)
{
	size_t o = 0;
	char a[INET6_ADDRSTRLEN], nm[4 * REC_NAME_MAX + 8];
	out[0] = '\0';
	const uint8_t *p = v->names;
	for (uint32_t k = 0; k < v->n_a4 + v->n_a6 + v->n_names && o + 1 < cap; k++) {
		const char *t;
		if (k < v->n_a4)
			t = inet_ntop(AF_INET, v->a4 + 4 * k, a, sizeof a);
		else if (k < v->n_a4 + v->n_a6)
			t = inet_ntop(AF_INET6, v->a6 + 16 * (k - v->n_a4), a, sizeof a);
		else {
			t = util_text(nm, sizeof nm, p + 1, p[0]);
			p += 1 + p[0];
		}
		int w = snprintf(out + o, cap - o, "%s%s", k ? ", " : "", t);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

static void ttls_text(char *out, size_t cap, const struct lookup_row *r)
{
	size_t o = 0;
	out[0] = '\0';
	if (!r->n_ttls) {
		snprintf(out, cap, "-");
		return;
	}
	for (unsigned i = 0; i < r->n_ttls; i++) {
		int w = snprintf(out + o, cap - o, "%s%u", i ? "," : "", r->ttls[i]);
		if (w < 0 || (size_t)w >= cap - o)
			return;
		o += (size_t)w;
	}
	if (r->ttls_over)
		snprintf(out + o, cap - o, " (+%u more)", r->ttls_over);
}

static void outcome_text(char *out, size_t cap, const struct lookup_row *r)
{
	char b[16];
	snprintf(out, cap, "%s%s", lookups_rcode_name(r->rcode, b),
		 r->rcode == 0 && !r->answered ? " (no data)" : "");
}

/*
 * The names in an A answer are its CNAME chain: shown as a CNAME RRset (the
 * view keeps only the names, the addresses are in the address table).
 */
static int cname_only(struct agg_rrset_view *v)
{
	if (!v->n_names)
		return 0;
	v->n_a4 = v->n_a6 = 0;
	return 1;
}

/* The RRsets of d's name that are not A (NS, CNAME, AAAA, ...). */
static void domain_other_tbl(FILE *f, const struct agg_rrsets *rr, size_t limit)
{
	struct tbl t = {5, NULL, 0, 0};
	char qt[DNSTYPE_NAME_MAX], b[4096], c[32], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	size_t rows = 0;
	for (int i = 0; i < 5; i++)
		tbl_add(&t, rr_hdr[i]);
	for (size_t i = 0; i < rr->n && (!limit || rows < limit); i++) {
		struct agg_rrset_view v;
		agg_rrset_view(&rr->v[i], &v);
		if (v.qtype == 1 && !cname_only(&v))
			continue;
		tbl_add(&t, v.qtype == 1 ? "CNAME" : dnstype_name(v.qtype, qt));
		rrset_text(b, sizeof b, &v);
		tbl_add(&t, b);
		snprintf(c, sizeof c, "%llu", (unsigned long long)rr->v[i].count);
		tbl_add(&t, c);
		fmt_time(t1, sizeof t1, rr->v[i].first_us);
		fmt_time(t2, sizeof t2, rr->v[i].last_us);
		tbl_add(&t, t1);
		tbl_add(&t, t2);
		rows++;
	}
	if (rows) {
		fputc('\n', f);
		tbl_print(f, &t);
	}
	tbl_free(&t);
}

static void lookups_tbl(FILE *f, const struct lookups *l)
{
	struct tbl t = {6, NULL, 0, 0};
	char qt[DNSTYPE_NAME_MAX], b[256], c[32], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX];
	for (int i = 0; i < 6; i++)
		tbl_add(&t, lk_hdr[i]);
	for (size_t i = 0; i < l->n; i++) {
		const struct lookup_row *r = &l->v[i];
		tbl_add(&t, dnstype_name(r->qtype, qt));
		outcome_text(b, sizeof b, r);
		tbl_add(&t, b);
		snprintf(c, sizeof c, "%llu", (unsigned long long)r->count);
		tbl_add(&t, c);
		ttls_text(b, sizeof b, r);
		tbl_add(&t, b);
		fmt_time(t1, sizeof t1, r->first_us);
		fmt_time(t2, sizeof t2, r->last_us);
		tbl_add(&t, t1);
		tbl_add(&t, t2);
	}
	fputc('\n', f);
	tbl_print(f, &t);
	tbl_free(&t);
}

static void json_times(FILE *f, int64_t first, int64_t last, uint64_t count)
{
	put_json_time(f, "first_seen", first);
	put_json_time(f, "last_seen", last);
	fprintf(f, ",\"count\":%llu}\n", (unsigned long long)count);
}

/*
 * NDJSON of one domain: a "domain" row (the flux fields), an "address" row
 * per address, an "rrset" row per RRset that is not A, a "lookup" row per
 * (type, outcome) of its history.
 */
static void domain_json(FILE *f, const struct agg_domain *d, const struct agg_rrsets *rr,
			const struct lookups *l, size_t limit)
{
	char qt[DNSTYPE_NAME_MAX], a[INET6_ADDRSTRLEN], b[16];
	struct frow x = frow_dom(d);
	flux_row_json(f, &x);
	fputs("}\n", f);
	for (size_t i = 0; i < d->n_ips && (!limit || i < limit); i++) {
		struct agg_ipinfo in;
		agg_domain_ipinfo(d, i, &in);
		ip_text(a, d->ips[i].ip);
		fputs("{\"row\":\"address\",\"domain\":", f);
		json_put_str(f, d->name, d->name_len);
		fprintf(f, ",\"ip\":\"%s\"", a);
		ipinfo_json(f, &in);
		json_times(f, d->ips[i].first_us, d->ips[i].last_us, d->ips[i].count);
	}
	for (size_t i = 0; rr && i < rr->n; i++) {
		struct agg_rrset_view v;
		agg_rrset_view(&rr->v[i], &v);
		if (v.qtype == 1 && !cname_only(&v))
			continue;
		fputs("{\"row\":\"rrset\",\"domain\":", f);
		json_put_str(f, d->name, d->name_len);
		fprintf(f, ",\"rrtype\":\"%s\",\"rdata\":[",
			v.qtype == 1 ? "CNAME" : dnstype_name(v.qtype, qt));
		const uint8_t *p = v.names;
		for (uint32_t k = 0; k < v.n_a4 + v.n_a6 + v.n_names; k++) {
			fputs(k ? "," : "", f);
			if (k < v.n_a4)
				fprintf(f, "\"%s\"", inet_ntop(AF_INET, v.a4 + 4 * k, a, sizeof a));
			else if (k < v.n_a4 + v.n_a6)
				fprintf(f, "\"%s\"",
					inet_ntop(AF_INET6, v.a6 + 16 * (k - v.n_a4), a, sizeof a));
			else {
				json_put_str(f, p + 1, p[0]);
				p += 1 + p[0];
			}
		}
		fputs("],\"sensor_id\":", f);
		json_put_str(f, v.sensor, v.sensor_len);
		json_times(f, rr->v[i].first_us, rr->v[i].last_us, rr->v[i].count);
	}
	for (size_t i = 0; l && i < l->n; i++) {
		const struct lookup_row *r = &l->v[i];
		fputs("{\"row\":\"lookup\",\"domain\":", f);
		json_put_str(f, d->name, d->name_len);
		fprintf(f, ",\"rrtype\":\"%s\",\"rcode\":\"%s\",\"answered\":%s,\"ttls\":[",
			dnstype_name(r->qtype, qt), lookups_rcode_name(r->rcode, b),
			r->answered ? "true" : "false");
		for (unsigned k = 0; k < r->n_ttls; k++)
			fprintf(f, "%s%u", k ? "," : "", r->ttls[k]);
		fputc(']', f);
		json_times(f, r->first_us, r->last_us, r->count);
	}
}

/*
 * Scores count only the ASNs that are known: say so when addresses have
 * none, rather than let a lower score pass silently.
 */
static void warn_asn(const struct qopt *o, uint64_t unknown)
{
	if (!unknown)
		return;
	fprintf(stderr, "tip query: warning: %llu addresses have no known ASN (%s); their ASNs are "
			"not counted, so scores are lower than with them\n",
		(unsigned long long)unknown,
		o->have_db ? "neither enriched in the stores nor in the --asn table"
			   : "not enriched in the stores, and no --asn table given");
}

static int q_domain(struct qopt *o, const char *name)
{
	struct agg_domain d;
	struct agg_rrsets rr;
	struct lookups lk = {0};
	agg_rrsets_init(&rr);
	int rc = 2;
	if (agg_domain_lookup(&o->set, o->have_db ? &o->db : NULL, name, &o->filter, &d, &rr,
			      &o->faults) < 0 ||
	    lookups_collect(&o->set, name, &o->filter, &lk, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	int any = d.records > 0 || lk.n > 0;
	warn_asn(o, d.run_asn_unknown);
	if (!any) {
		rc = 1;
		fprintf(stderr, "tip query: no observation of that domain%s\n",
			d.found ? " in the time window" : "");
		goto out;
	}
	if (o->fmt == F_COF) {
		put_cof_n(stdout, &rr, o->limit);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {FLUX_COLS, NULL, 0, 0}, a = {6, NULL, 0, 0};
		struct frow x = frow_dom(&d);
		for (int i = 0; i < FLUX_COLS; i++)
			tbl_add(&t, flux_hdr[i]);
		for (int i = 0; i < 6; i++)
			tbl_add(&a, ip_hdr[i]);
		flux_row_tbl(&t, &x);
		size_t shown = 0;
		for (size_t i = 0; i < d.n_ips && (!o->limit || i < o->limit); i++, shown++) {
			struct agg_ipinfo in;
			char ip[INET_ADDRSTRLEN];
			agg_domain_ipinfo(&d, i, &in);
			ip_text(ip, d.ips[i].ip);
			ip_row_tbl(&a, ip, &in, d.ips[i].first_us, d.ips[i].last_us);
		}
		tbl_print(stdout, &t);
		printf("\n");
		if (d.n_ips)
			tbl_print(stdout, &a);
		else
			printf("(no address in an answer%s)\n",
			       lk.failed ? ": the lookups failed, see below" : "");
		if (shown < d.n_ips)
			printf("(%zu of %zu addresses shown: -l)\n", shown, d.n_ips);
		if (d.ips_over)
			printf("(%llu observations of further addresses not listed)\n",
			       (unsigned long long)d.ips_over);
		domain_other_tbl(stdout, &rr, o->limit);
		lookups_tbl(stdout, &lk);
		tbl_free(&t);
		tbl_free(&a);
	} else if (o->fmt == F_CSV) {
		query_csv_domain(stdout, &d);
	} else {
		domain_json(stdout, &d, &rr, &lk, o->limit);
	}
	rc = 0;
out:
	lookups_fini(&lk);
	agg_domain_fini(&d);
	agg_rrsets_fini(&rr);
	return rc;
}

/* `tip query domain '*.example.com'` or 'www.example.*': one row a name. */
static int q_wild(struct qopt *o, const struct match_wild *p)
{
	struct match_doms m;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	int rc = 2;
	if (match_domains(&o->set, o->have_db ? &o->db : NULL, p, &o->filter, &m,
			  o->fmt == F_COF ? &rr : NULL, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	size_t n = 0;
	uint64_t unknown = 0;
	for (size_t i = 0; i < m.n; i++) {
		n += m.v[i]->records > 0;
		unknown += m.v[i]->run_asn_unknown;
	}
	warn_asn(o, unknown);
	size_t lim = o->limit && o->limit < n ? o->limit : n;
	if (o->fmt == F_COF) {
		put_cof_n(stdout, &rr, o->limit);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {FLUX_COLS, NULL, 0, 0};
		for (int i = 0; i < FLUX_COLS; i++)
			tbl_add(&t, flux_hdr[i]);
		for (size_t i = 0, k = 0; i < m.n && k < lim; i++) {
			const struct agg_domain *d = m.v[i];
			if (!d->records)
				continue;
			struct frow x = frow_dom(d);
			flux_row_tbl(&t, &x);
			k++;
		}
		tbl_print(stdout, &t);
		if (lim < n)
			printf("(%zu of %zu names shown: -l)\n", lim, n);
		tbl_free(&t);
	} else {
		if (o->fmt == F_CSV)
			query_csv_flux_header(stdout);
		for (size_t i = 0, k = 0; i < m.n && k < lim; i++) {
			const struct agg_domain *d = m.v[i];
			if (!d->records)
				continue;
			struct frow x = frow_dom(d);
			if (o->fmt == F_CSV) {
				flux_row_csv(stdout, &x);
			} else {
				flux_row_json(stdout, &x);
				fputs("}\n", stdout);
			}
			k++;
		}
	}
	rc = n ? 0 : 1;
	if (!n)
		fprintf(stderr, "tip query: no name matches that wildcard%s\n",
			m.n ? " in the time window" : "");
out:
	match_doms_fini(&m);
	agg_rrsets_fini(&rr);
	return rc;
}

/* `tip query ip 20.0.0.0/24`: one row per (address, name). */
static int q_net(struct qopt *o, const struct match_net *net)
{
	struct match_pairs m;
	struct agg_rrsets rr;
	agg_rrsets_init(&rr);
	int rc = 2;
	if (match_pairs_net(&o->set, net, &o->filter, &m, o->fmt == F_COF ? &rr : NULL,
			    &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		goto out;
	}
	size_t lim = o->limit && o->limit < m.n ? o->limit : m.n;
	char ip[INET6_ADDRSTRLEN], t1[UTIL_TIME_MAX], t2[UTIL_TIME_MAX], c[32];
	if (o->fmt == F_COF) {
		put_cof_n(stdout, &rr, o->limit);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {5, NULL, 0, 0};
		tbl_add(&t, "IP Address");
		tbl_add(&t, "Domain");
		tbl_add(&t, "Count");
		tbl_add(&t, "First seen");
		tbl_add(&t, "Last seen");
		for (size_t i = 0; i < lim; i++) {
			const struct match_pair *p = &m.v[i];
			inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, ip, sizeof ip);
			tbl_add(&t, ip);
			tbl_addx(&t, p->name, p->name_len);
			snprintf(c, sizeof c, "%llu", (unsigned long long)p->count);
			tbl_add(&t, c);
			fmt_time(t1, sizeof t1, p->first_us);
			fmt_time(t2, sizeof t2, p->last_us);
			tbl_add(&t, t1);
			tbl_add(&t, t2);
		}
		tbl_print(stdout, &t);
		printf("(%zu addresses, %zu names)\n", m.addrs, m.n);
		if (lim < m.n)
			printf("(%zu of %zu rows shown: -l)\n", lim, m.n);
		tbl_free(&t);
	} else {
		if (o->fmt == F_CSV)
			fputs("ip,domain,first_seen,last_seen,count\r\n", stdout);
		for (size_t i = 0; i < lim; i++) {
			const struct match_pair *p = &m.v[i];
			inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, ip, sizeof ip);
			fmt_time(t1, sizeof t1, p->first_us);
			fmt_time(t2, sizeof t2, p->last_us);
			if (o->fmt == F_CSV) {
				fprintf(stdout, "%s,", ip);
				csv_put(stdout, p->name, p->name_len);
				fprintf(stdout, ",%s,%s,%llu\r\n", t1, t2, (unsigned long long)p->count);
			} else {
				printf("{\"row\":\"name\",\"ip\":\"%s\",\"domain\":", ip);
				json_put_str(stdout, p->name, p->name_len);
				json_times(stdout, p->first_us, p->last_us, p->count);
			}
		}
	}
	rc = m.n ? 0 : 1;
	if (!m.n)
		fprintf(stderr, "tip query: no observation in that prefix\n");
out:
	match_pairs_fini(&m);
	agg_rrsets_fini(&rr);
	return rc;
}

static int q_ip(struct qopt *o, const char *text)
{
	uint8_t a[16];
	int family = 4;
	struct match_net net;
	const char *why = NULL;
	int np = match_net_parse(text, &net, &why);
	if (np == 1)
		return q_net(o, &net);
	if (np < 0 || inet_pton(AF_INET, text, a) != 1) {
		if (np < 0 || inet_pton(AF_INET6, text, a) != 1) {
			fprintf(stderr, "tip query: %s: ", why ? why : "not an IPv4 or IPv6 address or prefix");
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
	size_t lim = o->limit && o->limit < q.n_doms ? o->limit : q.n_doms;
	if (o->fmt == F_COF) {
		put_cof_n(stdout, &rr, o->limit);
	} else if (o->fmt == F_TABLE) {
		struct tbl t = {6, NULL, 0, 0}, dt = {4, NULL, 0, 0};
		for (int i = 0; i < 6; i++)
			tbl_add(&t, ip_hdr[i]);
		ip_row_tbl(&t, ip, &q.info, q.first_us, q.last_us);
		tbl_add(&dt, "Domain");
		tbl_add(&dt, "Count");
		tbl_add(&dt, "First seen");
		tbl_add(&dt, "Last seen");
		for (size_t i = 0; i < lim; i++) {
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
		if (lim < q.n_doms)
			printf("(%zu of %zu names shown: -l)\n", lim, q.n_doms);
		tbl_free(&t);
		tbl_free(&dt);
	} else if (o->fmt == F_CSV) {
		query_csv_ip(stdout, &q);
	} else {
		/* NDJSON: an "ip" row, then a "name" row per name */
		printf("{\"row\":\"ip\",\"ip\":\"%s\"", ip);
		ipinfo_json(stdout, &q.info);
		json_times(stdout, q.first_us, q.last_us, q.count);
		for (size_t i = 0; i < lim; i++) {
			printf("{\"row\":\"name\",\"ip\":\"%s\",\"domain\":", ip);
			json_put_str(stdout, q.doms[i].name, q.doms[i].name_len);
			json_times(stdout, q.doms[i].first_us, q.doms[i].last_us, q.doms[i].count);
		}
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
				   o->max_domains, o->running};
	struct agg_flux fl;
	if (agg_flux_scan(&o->set, &fo, &fl, &o->faults) < 0) {
		fprintf(stderr, "tip query: out of memory\n");
		agg_flux_fini(&fl);
		return 2;
	}
	if (fl.enrich_full)
		fprintf(stderr, "tip query: warning: more than %u enriched addresses; later ones use "
				"the ASN table only\n", AGG_ENRICH_MAX);
	warn_asn(o, fl.asn_unknown);
	size_t lim = o->limit && o->limit < fl.n ? o->limit : fl.n;
	if (o->fmt == F_TABLE) {
		struct tbl t = {FLUX_COLS, NULL, 0, 0};
		for (int i = 0; i < FLUX_COLS; i++)
			tbl_add(&t, flux_hdr[i]);
		for (size_t i = 0; i < lim; i++) {
			struct frow x = frow_flux(&fl.rows[i]);
			flux_row_tbl(&t, &x);
		}
		tbl_print(stdout, &t);
		if (lim < fl.n)
			printf("(%zu of %zu names shown: -l)\n", lim, fl.n);
		tbl_free(&t);
	} else if (o->fmt == F_CSV) {
		query_csv_flux_header(stdout);
		for (size_t i = 0; i < lim; i++)
			query_csv_flux_row(stdout, &fl.rows[i]);
	} else if (o->fmt == F_JSON) {
		/* NDJSON: one "domain" row a line */
		for (size_t i = 0; i < lim; i++) {
			struct frow x = frow_flux(&fl.rows[i]);
			flux_row_json(stdout, &x);
			fputs("}\n", stdout);
		}
	} else {
		for (size_t i = 0; i < lim; i++)
			query_cof_domain(stdout, &o->set, fo.db, &o->filter, fl.rows[i].name);
	}
	int rc = fl.n ? 0 : 1;
	agg_flux_fini(&fl);
	return rc;
}

/* The first word that is no option nor an option's value: "spam" goes to query_spam.c. */
static int is_spam_query(int argc, char **argv)
{
	static const char *const with_value[] = {"-s", "-f", "-t", "-l", "--store", "--format",
		"--min-score", "--since", "--until", "--asn", "--max-domains", "--type", "--limit",
		"--domain", "--ip", "--hash", "--window", "--ttl-min", "--ttl-max"};
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			return !strcmp(argv[i], "spam");
		for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
			if (!strcmp(argv[i], with_value[k])) {
				i++;
				break;
			}
	}
	return 0;
}

static const struct agg_choice formats[] = {
	{"table", F_TABLE}, {"csv", F_CSV}, {"json", F_JSON}, {"cof", F_COF},
};

int cmd_query(int argc, char **argv)
{
	int v;
	static const struct option lo[] = {
		{"store", required_argument, NULL, 's'},  {"format", required_argument, NULL, 'f'},
		{"min-score", required_argument, NULL, 'm'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},  {"asn", required_argument, NULL, 'a'},
		{"max-domains", required_argument, NULL, 'M'}, {"type", required_argument, NULL, 't'},
		{"limit", required_argument, NULL, 'l'},  {"strict", no_argument, NULL, 'c'},
		{"allowlist", required_argument, NULL, 'A'},
		{"window", required_argument, NULL, 'W'}, {"ttl-min", required_argument, NULL, 'T'},
		{"ttl-max", required_argument, NULL, 'X'}, {"running", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	if (is_spam_query(argc, argv))
		return cmd_query_spam(argc, argv);
	struct qopt o;
	memset(&o, 0, sizeof o);
	agg_filter_init(&o.filter);
	o.faults.cmd = "query";
	int c, rc = 2;
	const char *asn_path = NULL, *allowlist = NULL;
	char *end;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:f:t:l:c", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (agg_cli_store(&o.set, "query", optarg) < 0)
				goto out;
			break;
		case 'f':
			if (agg_cli_choice("query", "format", AGG_CHOICES(formats), optarg, &v) < 0)
				goto out;
			o.fmt = (enum fmt)v;
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
		case 't':
			if (dnstype_parse(optarg, strlen(optarg), &o.filter.qtype) < 0 ||
			    !o.filter.qtype) {
				fprintf(stderr, "tip query: --type: not an rrtype (A, NS, CNAME, 28...): ");
				util_put_text(stderr, optarg, strlen(optarg));
				fputc('\n', stderr);
				goto out;
			}
			break;
		case 'l':
			o.limit = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || !o.limit) {
				fprintf(stderr, "tip query: --limit: a positive number of rows\n");
				goto out;
			}
			break;
		case 'c':
			o.filter.strict = 1;
			break;
		case 'A':
			allowlist = optarg;
			break;
		case 'W':
		case 'T':
		case 'X':
			if (agg_cli_window("query", c == 'W' ? "window" : c == 'T' ? "ttl-min" : "ttl-max",
					   optarg, &o.filter) < 0)
				goto out;
			break;
		case 'R':
			o.running = 1;
			break;
		default:
			agg_cli_bad_option("query", argv[optind - 1]);
			rc = tip_usage("query");
			goto out;
		}
	}
	int nargs = argc - optind;
	const char *what = nargs > 0 ? argv[optind] : "";
	if ((!strcmp(what, "source") && (nargs == 1 || nargs == 2)) ||
	    (!strcmp(what, "indicator") && nargs == 2)) {
		if (o.set.n == 0) {
			fprintf(stderr, "tip query: no store given (--store DIR)\n");
			goto out;
		}
		if (o.fmt == F_COF) {
			fprintf(stderr, "tip query: %s: formats table, csv, json\n", what);
			goto out;
		}
		rc = feeds_query(&o.set, o.fmt == F_CSV ? 1 : o.fmt == F_JSON ? 2 : 0, allowlist,
				 nargs, argv + optind);
		goto out;
	}
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
	if (agg_cli_window_check("query", &o.filter) < 0)
		goto out;
	if (asn_path) {
		if (agg_cli_asn(&o.db, "query", asn_path) < 0)
			goto out;
		o.have_db = 1;
	}
	if (!strcmp(what, "flux")) {
		rc = q_flux(&o);
	} else if (!strcmp(what, "domain")) {
		struct match_wild w;
		int wc = match_wild_parse(argv[optind + 1], &w);
		if (wc < 0) {
			fprintf(stderr, "tip query: a wildcard is '*.NAME' (left-hand) or 'NAME.*' "
					"(right-hand): ");
			util_put_text(stderr, argv[optind + 1], strlen(argv[optind + 1]));
			fputc('\n', stderr);
			goto out;
		}
		rc = wc ? q_wild(&o, &w) : q_domain(&o, argv[optind + 1]);
	} else {
		rc = q_ip(&o, argv[optind + 1]);
	}
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
