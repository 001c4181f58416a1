/*
 * feeds: source metrics and indicator confidence from a store's feed
 * history (feeds.h; formulas in doc/decisions.md, "Source weights").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg.h"
#include "csv.h"
#include "feed.h"
#include "feeds.h"
#include "feedset.h"
#include "json.h"
#include "rec.h"
#include "store.h"
#include "util.h"

#define DAY_US 86400e6
#define PRIOR_WEIGHT 0.5	/* a source's weight when nothing measures its accuracy */

static const char *const kind_names[] = {"?", "domain", "ip", "cidr", "url"};

/* ---- loading ------------------------------------------------------------- */

struct fev {
	int64_t ts;
	uint64_t seq;		/* order met: ties keep the store's order */
	uint8_t op, kind;
	uint16_t src;
	char *value, *host;
	struct rec_feed f;	/* FETCH: the numbers (strings below) */
	char *etag, *lm, *error;
};

struct load {
	struct feeds_db *db;
	struct fev *ev;
	size_t n, cap;
	char **flux;
	size_t nflux, capflux;
	int oom;
};

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static int src_index(struct feeds_db *db, const char *name, size_t len)
{
	for (size_t i = 0; i < db->nsrc; i++)
		if (strlen(db->src[i].name) == len && !memcmp(db->src[i].name, name, len))
			return (int)i;
	if (db->nsrc >= 65535 || len > 64)
		return -1;
	struct feeds_src *n = realloc(db->src, (db->nsrc + 1) * sizeof *n);
	if (!n)
		return -1;
	db->src = n;
	memset(&n[db->nsrc], 0, sizeof *n);
	memcpy(n[db->nsrc].name, name, len);
	n[db->nsrc].accuracy = n[db->nsrc].coverage = -1;
	return (int)db->nsrc++;
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	struct load *l = ctx;
	(void)sensor, (void)seg, (void)pos;
	if (r->type == REC_SCORE && r->u.score.margin > 0) {
		if (l->nflux == l->capflux) {
			size_t nc = l->capflux ? l->capflux * 2 : 256;
			char **nf = realloc(l->flux, nc * sizeof *nf);
			if (!nf)
				return l->oom = 1;
			l->flux = nf;
			l->capflux = nc;
		}
		if (!(l->flux[l->nflux] = dupn(r->u.score.name, r->u.score.name_len)))
			return l->oom = 1;
		l->nflux++;
		return 0;
	}
	if (r->type != REC_FEED)
		return 0;
	const struct rec_feed *f = &r->u.feed;
	int s = src_index(l->db, f->source, f->source_len);
	if (s < 0)
		return 0;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4096;
		struct fev *ne = realloc(l->ev, nc * sizeof *ne);
		if (!ne)
			return l->oom = 1;
		l->ev = ne;
		l->cap = nc;
	}
	struct fev *e = &l->ev[l->n];
	memset(e, 0, sizeof *e);
	e->ts = r->ts_us;
	e->seq = l->n;
	e->op = f->op;
	e->kind = f->kind;
	e->src = (uint16_t)s;
	if (f->op == REC_FEED_FETCH) {
		e->f = *f;
		e->etag = dupn(f->etag, f->etag_len);
		e->lm = dupn(f->last_modified, f->last_modified_len);
		e->error = dupn(f->error, f->error_len);
		if (!e->etag || !e->lm || !e->error)
			return l->oom = 1;
	} else {
		e->value = dupn(f->value, f->value_len);
		e->host = f->host_len ? dupn(f->host, f->host_len) : NULL;
		if (!e->value || (f->host_len && !e->host))
			return l->oom = 1;
	}
	l->n++;
	l->db->records++;
	return 0;
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	struct load *l = ctx;
	l->db->faults++;
	fprintf(stderr, "tip: ");
	util_put_text(stderr, path, strlen(path));
	fprintf(stderr, ":%llu: %s\n", (unsigned long long)off, why);
}

static int cmp_ev(const void *a, const void *b)
{
	const struct fev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct feeds_ind **slot(const struct feeds_db *db, uint64_t h, uint8_t kind,
			       const char *v)
{
	size_t i = (size_t)h & (db->cap - 1);
	for (;;) {
		struct feeds_ind *x = db->tab[i];
		if (!x || (x->hash == h && x->kind == kind && !strcmp(x->value, v)))
			return &db->tab[i];
		i = (i + 1) & (db->cap - 1);
	}
}

static int grow(struct feeds_db *db)
{
	size_t nc = db->cap ? db->cap * 2 : 4096;
	struct feeds_ind **nt = calloc(nc, sizeof *nt), **old = db->tab;
	if (!nt)
		return -1;
	size_t oc = db->cap;
	db->tab = nt;
	db->cap = nc;
	for (size_t i = 0; i < oc; i++)
		if (old[i])
			*slot(db, old[i]->hash, old[i]->kind, old[i]->value) = old[i];
	free(old);
	return 0;
}

static struct feeds_ind *ind_get(struct feeds_db *db, struct fev *e)
{
	if ((db->n + 1) * 2 > db->cap && grow(db) < 0)
		return NULL;
	uint64_t h = feedset_hash(e->kind, e->value, strlen(e->value));
	struct feeds_ind **p = slot(db, h, e->kind, e->value);
	if (*p)
		return *p;
	struct feeds_ind *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->kind = e->kind;
	x->value = e->value;
	x->host = e->host;
	e->value = e->host = NULL;	/* owned by the indicator now */
	x->hash = h;
	if (x->kind == REC_IND_IP || x->kind == REC_IND_CIDR) {
		char t[64];
		const char *sl = strchr(x->value, '/');
		size_t al = sl ? (size_t)(sl - x->value) : strlen(x->value);
		if (al < sizeof t) {
			memcpy(t, x->value, al);
			t[al] = 0;
			x->family = strchr(t, ':') ? 6 : 4;
			if (inet_pton(x->family == 4 ? AF_INET : AF_INET6, t, x->addr) != 1)
				x->family = 0;
			x->prefix = (uint8_t)(sl ? atoi(sl + 1) : x->family == 4 ? 32 : 128);
		}
	}
	*p = x;
	db->n++;
	return x;
}

static struct feeds_is *is_get(struct feeds_ind *x, uint16_t src)
{
	for (uint16_t i = 0; i < x->n; i++)
		if (x->is[i].src == src)
			return &x->is[i];
	struct feeds_is *n = realloc(x->is, (x->n + 1u) * sizeof *n);
	if (!n)
		return NULL;
	x->is = n;
	memset(&n[x->n], 0, sizeof *n);
	n[x->n].src = src;
	return &n[x->n++];
}

static int life_add(struct feeds_src *s, double secs)
{
	if (s->nlife == s->caplife) {
		size_t nc = s->caplife ? s->caplife * 2 : 256;
		double *n = realloc(s->life, nc * sizeof *n);
		if (!n)
			return -1;
		s->life = n;
		s->caplife = nc;
	}
	s->life[s->nlife++] = secs;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when d, or a parent domain of it, is in the sorted list. */
static int in_list(char *const *list, size_t n, const char *d)
{
	for (const char *p = d; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
		if (!*p)
			break;
		if (bsearch(&p, list, n, sizeof *list, cmp_str))
			return 1;
		if (!strchr(p, '.'))
			break;
	}
	return 0;
}

static char **read_allowlist(const char *path, size_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], **v = NULL, out[FEED_NAME_MAX + 1];
	size_t cap = 0;
	*n = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof line, f)) {
		char *s = line + strspn(line, " \t");
		size_t l = strcspn(s, " \t\r\n#");
		if (!l)
			continue;
		int ol = feed_domain_norm(s, l, out);
		if (ol < 0)
			continue;
		const char *d = !strncmp(out, "www.", 4) && strchr(out + 4, '.') ? out + 4 : out;
		if (*n == cap) {
			cap = cap ? cap * 2 : 512;
			char **nv = realloc(v, cap * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[*n] = strdup(d)))
			break;
		(*n)++;
	}
	fclose(f);
	if (v)
		qsort(v, *n, sizeof *v, cmp_str);
	else
		v = calloc(1, sizeof *v);
	return v;
}

int feeds_load(struct feeds_db *db, const struct store_set *set, const char *allowlist,
	       char *err, size_t errlen)
{
	struct load l = {.db = db};
	char **allow = NULL;
	size_t nallow = 0;
	memset(db, 0, sizeof *db);
	if (allowlist) {
		if (!(allow = read_allowlist(allowlist, &nallow, err, errlen)))
			return -1;
		db->have_allowlist = 1;
	}
	store_set_scan(set, on_rec, on_fault, &l);
	int rc = l.oom ? -1 : 0;
	if (l.oom)
		snprintf(err, errlen, "out of memory");
	if (l.n)
		qsort(l.ev, l.n, sizeof *l.ev, cmp_ev);
	if (l.nflux)
		qsort(l.flux, l.nflux, sizeof *l.flux, cmp_str);
	for (size_t i = 0; i + 1 < l.nflux; i++)	/* distinct flagged names */
		db->flux_domains += strcmp(l.flux[i], l.flux[i + 1]) != 0;
	db->flux_domains += l.nflux > 0;
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		struct fev *e = &l.ev[i];
		struct feeds_src *s = &db->src[e->src];
		db->now_us = e->ts > db->now_us ? e->ts : db->now_us;
		if (e->op == REC_FEED_FETCH) {
			s->fetches++;
			if (!s->first_fetch_us)
				s->first_fetch_us = e->ts;
			s->last_fetch_us = e->ts;
			s->last_us = e->ts;
			s->last_outcome = e->f.outcome;
			s->last_status = e->f.status;
			s->last_bytes = e->f.bytes;
			s->last_entries = e->f.entries;
			s->last_added = e->f.added;
			s->last_removed = e->f.removed;
			s->last_bad = e->f.bad;
			s->last_duration_us = e->f.duration_us;
			snprintf(s->last_etag, sizeof s->last_etag, "%s", e->etag);
			snprintf(s->last_lm, sizeof s->last_lm, "%s", e->lm);
			snprintf(s->last_error, sizeof s->last_error, "%s", e->error);
			if (e->f.outcome == REC_FETCH_FAILED)
				s->failed++;
			else if (e->f.outcome == REC_FETCH_NOT_MODIFIED)
				s->not_modified++;
			else
				s->seen_ok = 1;
			continue;
		}
		struct feeds_ind *x = ind_get(db, e);
		struct feeds_is *is = x ? is_get(x, e->src) : NULL;
		if (!is) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		if (e->op == REC_FEED_LISTED) {
			if (is->since_us)
				continue;	/* listed again without a delisting: lost state */
			if (!is->listings)
				is->first_us = e->ts;
			is->since_us = e->ts;
			is->last_us = e->ts;
			is->listings++;
			s->listings++;
			s->initial += !s->seen_ok;
		} else if (is->since_us) {
			if (life_add(s, (double)(e->ts - is->since_us) / 1e6) < 0)
				rc = -1;
			is->last_us = e->ts;
			is->since_us = 0;
			s->delistings++;
		}
	}
	/* flags of each indicator: flux, allow-listed */
	for (size_t i = 0; rc == 0 && i < db->cap; i++) {
		struct feeds_ind *x = db->tab[i];
		if (!x)
			continue;
		const char *d = x->kind == REC_IND_DOMAIN ? x->value : x->kind == REC_IND_URL ? x->host : NULL;
		if (d && l.nflux)
			x->flux = bsearch(&d, l.flux, l.nflux, sizeof *l.flux, cmp_str) != NULL;
		if (d && allow)
			x->allowed = in_list(allow, nallow, d);
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.ev[i].value);
		free(l.ev[i].host);
		free(l.ev[i].etag);
		free(l.ev[i].lm);
		free(l.ev[i].error);
	}
	free(l.ev);
	for (size_t i = 0; i < l.nflux; i++)
		free(l.flux[i]);
	free(l.flux);
	for (size_t i = 0; i < nallow; i++)
		free(allow[i]);
	free(allow);
	return rc;
}

void feeds_free(struct feeds_db *db)
{
	for (size_t i = 0; i < db->cap; i++)
		if (db->tab[i]) {
			free(db->tab[i]->value);
			free(db->tab[i]->host);
			free(db->tab[i]->is);
			free(db->tab[i]);
		}
	free(db->tab);
	for (size_t i = 0; i < db->nsrc; i++) {
		free(db->src[i].life);
		free(db->src[i].differential);
	}
	free(db->src);
	memset(db, 0, sizeof *db);
}

/* ---- metrics ------------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void feeds_metrics(struct feeds_db *db)
{
	size_t ns = db->nsrc;
	uint64_t *inter = calloc(ns > 0 ? ns * ns : 1, sizeof *inter);
	double **lat = calloc(ns ? ns : 1, sizeof *lat);
	size_t *nlat = calloc(ns ? ns : 1, sizeof *nlat), *caplat = calloc(ns ? ns : 1, sizeof *caplat);
	if (!inter || !lat || !nlat || !caplat)
		goto out;
	for (size_t i = 0; i < db->cap; i++) {
		struct feeds_ind *x = db->tab[i];
		if (!x)
			continue;
		int64_t first = INT64_MAX;
		for (uint16_t a = 0; a < x->n; a++) {
			struct feeds_src *s = &db->src[x->is[a].src];
			s->ever++;
			if (x->is[a].since_us) {
				s->entries_now++;
				x->is[a].last_us = db->now_us;
				/* an open listing lasts at least until now (censored) */
				life_add(s, (double)(db->now_us - x->is[a].since_us) / 1e6);
			}
			if (x->n == 1)
				s->exclusive += 1;
			if (x->is[a].first_us < first)
				first = x->is[a].first_us;
			const char *d = x->kind == REC_IND_DOMAIN ? x->value
					: x->kind == REC_IND_URL ? x->host : NULL;
			if (d) {
				s->domains++;
				s->allowed += x->allowed;
				s->flux_hits += x->flux;
			}
			for (uint16_t b = 0; b < x->n; b++)
				inter[(size_t)x->is[a].src * ns + x->is[b].src]++;
		}
		if (x->n < 2)
			continue;
		for (uint16_t a = 0; a < x->n; a++) {
			size_t s = x->is[a].src;
			if (nlat[s] == caplat[s]) {
				size_t nc = caplat[s] ? caplat[s] * 2 : 64;
				double *nv = realloc(lat[s], nc * sizeof *nv);
				if (!nv)
					continue;
				lat[s] = nv;
				caplat[s] = nc;
			}
			lat[s][nlat[s]++] = (double)(x->is[a].first_us - first) / 3600e6;
		}
	}
	for (size_t i = 0; i < ns; i++) {
		struct feeds_src *s = &db->src[i];
		s->span_days = s->last_fetch_us > s->first_fetch_us
				       ? (double)(s->last_fetch_us - s->first_fetch_us) / DAY_US
				       : 0;
		double days = s->span_days > 1 ? s->span_days : 1;
		s->added_per_day = (double)(s->listings - s->initial) / days;
		s->churn = (double)(s->listings - s->initial + s->delistings) / days /
			   (double)(s->entries_now > 0 ? s->entries_now : 1);
		double sum = 0;
		for (size_t k = 0; k < s->nlife; k++)
			sum += s->life[k];
		s->life_mean_days = s->nlife ? sum / (double)s->nlife / 86400 : 0;
		s->life_median_days = median(s->life, s->nlife) / 86400;
		s->exclusive = s->ever ? s->exclusive / (double)s->ever : 0;
		free(s->differential);
		s->differential = calloc(ns ? ns : 1, sizeof *s->differential);
		for (size_t j = 0; s->differential && j < ns; j++)
			s->differential[j] = s->ever ? 1.0 - (double)inter[i * ns + j] / (double)s->ever : 0;
		s->shared = nlat[i];
		sum = 0;
		for (size_t k = 0; k < nlat[i]; k++)
			sum += lat[i][k];
		s->latency_mean_h = nlat[i] ? sum / (double)nlat[i] : 0;
		s->latency_median_h = median(lat[i], nlat[i]);
		s->accuracy = db->have_allowlist && s->domains
				      ? 1.0 - (double)s->allowed / (double)s->domains
				      : -1;
		s->coverage = db->flux_domains ? (double)s->flux_hits / (double)db->flux_domains : -1;
		/* weight: accuracy with one success and one failure added
		 * (Laplace), the prior when there is nothing to measure it by */
		s->weight = db->have_allowlist && s->domains
				    ? (double)(s->domains - s->allowed + 1) / (double)(s->domains + 2)
				    : PRIOR_WEIGHT;
	}
out:
	for (size_t i = 0; lat && i < ns; i++)
		free(lat[i]);
	free(lat);
	free(nlat);
	free(caplat);
	free(inter);
}

double feeds_confidence(const struct feeds_db *db, const struct feeds_ind *ind)
{
	double miss = 1;
	for (uint16_t a = 0; a < ind->n; a++)
		if (ind->is[a].since_us)
			miss *= 1 - db->src[ind->is[a].src].weight;
	return 1 - miss;
}

int feeds_covers(const struct feeds_ind *c, const struct feeds_ind *ip)
{
	if (c->kind != REC_IND_CIDR || ip->kind != REC_IND_IP || c->family != ip->family ||
	    !c->family)
		return 0;
	for (unsigned b = 0; b < c->prefix; b++) {
		unsigned m = 0x80u >> (b % 8);
		if ((c->addr[b / 8] & m) != (ip->addr[b / 8] & m))
			return 0;
	}
	return 1;
}

int feeds_source(const struct feeds_db *db, const char *name)
{
	for (size_t i = 0; i < db->nsrc; i++)
		if (!strcmp(db->src[i].name, name))
			return (int)i;
	return -1;
}

static int noop(void *arg, const struct feed_entry *e)
{
	(void)arg, (void)e;
	return 0;
}

struct feeds_ind *feeds_find(const struct feeds_db *db, const char *text)
{
	/* one parser per call: pages run this on several threads at once */
	struct feed_parser *p = malloc(sizeof *p);
	struct feed_opts o = {.format = FEED_DOMAINS};
	struct feed_entry e;
	const char *why;
	struct feeds_ind *x = NULL;
	if (p && db->cap && feed_parser_init(p, &o, noop, NULL) == 0 &&
	    feed_classify(p, text, strlen(text), &e, &why))
		x = *slot(db, feedset_hash(e.kind, e.value, e.len), e.kind, e.value);
	free(p);
	return x;
}

/* ---- output -------------------------------------------------------------- */

static void put_time(FILE *f, int64_t us)
{
	if (!us) {
		fputs("-", f);
		return;
	}
	char b[32];
	util_fmt_time(b, sizeof b, us);
	fputs(b, f);
}

static void put_num(FILE *f, double v, int fmt)
{
	if (v < 0)
		fputs(fmt == 2 ? "null" : "-", f);
	else
		fprintf(f, "%.4g", v);
}

static const char *outcome_name(int o)
{
	return o == REC_FETCH_OK ? "ok" : o == REC_FETCH_NOT_MODIFIED ? "not_modified" : "failed";
}

void feeds_put_sources(FILE *f, const struct feeds_db *db, int only, int fmt)
{
	if (fmt == 0)
		fprintf(f, "%-20s %8s %9s %7s %8s %8s %6s %8s %8s %6s %6s %7s %-24s\n", "Source",
			"Entries", "Added/d", "Churn", "Life(d)", "Med(d)", "Excl", "Lat(h)",
			"MedL(h)", "Acc", "Cov", "Weight", "Last fetch");
	else if (fmt == 1)
		fputs("source,entries,added_per_day,churn,lifetime_mean_days,lifetime_median_days,"
		      "exclusive,latency_mean_hours,latency_median_hours,accuracy,coverage,weight,"
		      "fetches,failed,not_modified,last_fetch,last_outcome,last_status,last_entries,"
		      "last_added,last_removed,last_bytes\n",
		      f);
	for (size_t i = 0; i < db->nsrc; i++) {
		const struct feeds_src *s = &db->src[i];
		if (only >= 0 && (size_t)only != i)
			continue;
		if (fmt == 0) {
			fprintf(f, "%-20s %8llu %9.1f %7.3f %8.2f %8.2f %6.3f %8.2f %8.2f ", s->name,
				(unsigned long long)s->entries_now, s->added_per_day, s->churn,
				s->life_mean_days, s->life_median_days, s->exclusive,
				s->latency_mean_h, s->latency_median_h);
			put_num(f, s->accuracy, 0);
			fputs("  ", f);
			put_num(f, s->coverage, 0);
			fprintf(f, " %7.3f ", s->weight);
			put_time(f, s->last_fetch_us);
			fprintf(f, " %s", outcome_name(s->last_outcome));
			if (s->last_outcome == REC_FETCH_FAILED) {
				fputs(": ", f);
				util_put_text(f, s->last_error, strlen(s->last_error));
			}
			fputc('\n', f);
			if (only >= 0) {
				fprintf(f, "\nfetches %llu, failed %llu, not modified %llu; last: status %d, "
					   "%llu bytes, %llu entries, %llu added, %llu removed, %llu bad lines\n",
					(unsigned long long)s->fetches, (unsigned long long)s->failed,
					(unsigned long long)s->not_modified, s->last_status,
					(unsigned long long)s->last_bytes,
					(unsigned long long)s->last_entries,
					(unsigned long long)s->last_added,
					(unsigned long long)s->last_removed,
					(unsigned long long)s->last_bad);
				fprintf(f, "differential contribution (share not listed by the other):\n");
				for (size_t j = 0; j < db->nsrc; j++)
					if (j != i)
						fprintf(f, "  vs %-20s %.4f\n", db->src[j].name,
							s->differential ? s->differential[j] : 0);
			}
		} else if (fmt == 1) {
			fprintf(f, "%s,%llu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,", s->name,
				(unsigned long long)s->entries_now, s->added_per_day, s->churn,
				s->life_mean_days, s->life_median_days, s->exclusive,
				s->latency_mean_h, s->latency_median_h);
			put_num(f, s->accuracy, 1);
			fputc(',', f);
			put_num(f, s->coverage, 1);
			fprintf(f, ",%.6g,%llu,%llu,%llu,", s->weight, (unsigned long long)s->fetches,
				(unsigned long long)s->failed, (unsigned long long)s->not_modified);
			put_time(f, s->last_fetch_us);
			fprintf(f, ",%s,%d,%llu,%llu,%llu,%llu\n", outcome_name(s->last_outcome),
				s->last_status, (unsigned long long)s->last_entries,
				(unsigned long long)s->last_added, (unsigned long long)s->last_removed,
				(unsigned long long)s->last_bytes);
		} else {
			fputs("{\"source\":", f);
			json_put_str(f, s->name, strlen(s->name));
			fprintf(f, ",\"entries\":%llu,\"ever\":%llu,\"listings\":%llu,\"initial\":%llu,"
				   "\"delistings\":%llu,\"added_per_day\":%.6g,\"churn\":%.6g,"
				   "\"lifetime_mean_days\":%.6g,\"lifetime_median_days\":%.6g,"
				   "\"exclusive\":%.6g,\"latency_mean_hours\":%.6g,"
				   "\"latency_median_hours\":%.6g,\"shared\":%llu,\"domains\":%llu,"
				   "\"allowlisted\":%llu,\"accuracy\":",
				(unsigned long long)s->entries_now, (unsigned long long)s->ever,
				(unsigned long long)s->listings, (unsigned long long)s->initial,
				(unsigned long long)s->delistings, s->added_per_day, s->churn,
				s->life_mean_days, s->life_median_days, s->exclusive,
				s->latency_mean_h, s->latency_median_h, (unsigned long long)s->shared,
				(unsigned long long)s->domains, (unsigned long long)s->allowed);
			put_num(f, s->accuracy, 2);
			fprintf(f, ",\"flux_hits\":%llu,\"coverage\":", (unsigned long long)s->flux_hits);
			put_num(f, s->coverage, 2);
			fprintf(f, ",\"weight\":%.6g,\"differential\":{", s->weight);
			for (size_t j = 0, first = 1; j < db->nsrc; j++) {
				if (j == i)
					continue;
				fputs(first ? "" : ",", f);
				first = 0;
				json_put_str(f, db->src[j].name, strlen(db->src[j].name));
				fprintf(f, ":%.6g", s->differential ? s->differential[j] : 0);
			}
			fprintf(f, "},\"fetches\":%llu,\"failed\":%llu,\"not_modified\":%llu,"
				   "\"last_fetch\":{\"time\":\"",
				(unsigned long long)s->fetches, (unsigned long long)s->failed,
				(unsigned long long)s->not_modified);
			put_time(f, s->last_fetch_us);
			fprintf(f, "\",\"outcome\":\"%s\",\"status\":%d,\"bytes\":%llu,\"entries\":%llu,"
				   "\"added\":%llu,\"removed\":%llu,\"bad\":%llu,\"duration_us\":%llu,"
				   "\"etag\":",
				outcome_name(s->last_outcome), s->last_status,
				(unsigned long long)s->last_bytes, (unsigned long long)s->last_entries,
				(unsigned long long)s->last_added, (unsigned long long)s->last_removed,
				(unsigned long long)s->last_bad,
				(unsigned long long)s->last_duration_us);
			json_put_str(f, s->last_etag, strlen(s->last_etag));
			fputs(",\"last_modified\":", f);
			json_put_str(f, s->last_lm, strlen(s->last_lm));
			fputs(",\"error\":", f);
			json_put_str(f, s->last_error, strlen(s->last_error));
			fputs("}}\n", f);
		}
	}
}

static void put_listing(FILE *f, const struct feeds_db *db, const struct feeds_ind *x, int fmt,
			const char *rel)
{
	for (uint16_t a = 0; a < x->n; a++) {
		const struct feeds_is *is = &x->is[a];
		const char *name = db->src[is->src].name;
		if (fmt == 0) {
			fprintf(f, "%-10s %-20s ", rel, name);
			put_time(f, is->first_us);
			fputc(' ', f);
			if (is->since_us)
				fputs("listed now          ", f);
			else
				put_time(f, is->last_us);
			fprintf(f, " %u\n", is->listings);
		} else if (fmt == 1) {
			fputs(rel, f);
			fputc(',', f);
			util_put_text(f, x->value, strlen(x->value));
			fprintf(f, ",%s,%s,", kind_names[x->kind <= 4 ? x->kind : 0], name);
			put_time(f, is->first_us);
			fputc(',', f);
			put_time(f, is->last_us);
			fprintf(f, ",%d,%u\n", is->since_us != 0, is->listings);
		}
	}
}

void feeds_put_indicator(FILE *f, const struct feeds_db *db, const struct feeds_ind *x, int fmt)
{
	const struct feeds_ind **cover = NULL;
	size_t nc = 0;
	if (x->kind == REC_IND_IP)
		for (size_t i = 0; i < db->cap; i++)
			if (db->tab[i] && feeds_covers(db->tab[i], x)) {
				const struct feeds_ind **n = realloc(cover, (nc + 1) * sizeof *n);
				if (!n)
					break;
				cover = n;
				cover[nc++] = db->tab[i];
			}
	/* an address: the sources listing it or a CIDR covering it, each once */
	double miss = 1;
	for (size_t s = 0; s < db->nsrc; s++) {
		int on = 0;
		for (uint16_t a = 0; a < x->n; a++)
			on |= x->is[a].src == s && x->is[a].since_us;
		for (size_t i = 0; i < nc; i++)
			for (uint16_t a = 0; a < cover[i]->n; a++)
				on |= cover[i]->is[a].src == s && cover[i]->is[a].since_us;
		if (on)
			miss *= 1 - db->src[s].weight;
	}
	double conf = 1 - miss;
	if (fmt == 0) {
		fputs("Indicator: ", f);
		util_put_text(f, x->value, strlen(x->value));
		fprintf(f, " (%s)\nConfidence: %.3f%s%s\n", kind_names[x->kind <= 4 ? x->kind : 0],
			conf, x->flux ? "\nFlagged fast flux by this sensor" : "",
			x->allowed ? "\nOn the allow-list" : "");
		fprintf(f, "%-10s %-20s %-20s %-20s %s\n", "Listing", "Source", "First listed",
			"Last listed", "Times");
		put_listing(f, db, x, 0, "itself");
		for (size_t i = 0; i < nc; i++) {
			fputs("covered by ", f);
			util_put_text(f, cover[i]->value, strlen(cover[i]->value));
			fprintf(f, " (confidence %.3f)\n", feeds_confidence(db, cover[i]));
			put_listing(f, db, cover[i], 0, "cidr");
		}
	} else if (fmt == 1) {
		fputs("listing,indicator,kind,source,first_listed,last_listed,listed_now,times\n", f);
		put_listing(f, db, x, 1, "itself");
		for (size_t i = 0; i < nc; i++)
			put_listing(f, db, cover[i], 1, "cidr");
	} else {
		fputs("{\"indicator\":", f);
		json_put_str(f, x->value, strlen(x->value));
		fprintf(f, ",\"kind\":\"%s\",\"confidence\":%.6g,\"flux\":%s,\"allowlisted\":%s,\"sources\":[",
			kind_names[x->kind <= 4 ? x->kind : 0], conf, x->flux ? "true" : "false",
			x->allowed ? "true" : "false");
		for (uint16_t a = 0; a < x->n; a++) {
			const struct feeds_is *is = &x->is[a];
			fputs(a ? ",{\"source\":" : "{\"source\":", f);
			json_put_str(f, db->src[is->src].name, strlen(db->src[is->src].name));
			fputs(",\"first_listed\":\"", f);
			put_time(f, is->first_us);
			fputs("\",\"last_listed\":\"", f);
			put_time(f, is->last_us);
			fprintf(f, "\",\"listed_now\":%s,\"times\":%u}", is->since_us ? "true" : "false",
				is->listings);
		}
		fputs("],\"covered_by\":[", f);
		for (size_t i = 0; i < nc; i++) {
			fputs(i ? "," : "", f);
			fputs("{\"cidr\":", f);
			json_put_str(f, cover[i]->value, strlen(cover[i]->value));
			fprintf(f, ",\"confidence\":%.6g}", feeds_confidence(db, cover[i]));
		}
		fputs("]}\n", f);
	}
	free(cover);
}

int feeds_query(const struct store_set *set, int fmt, const char *allowlist, int argc,
		char **argv)
{
	struct feeds_db db;
	char err[512];
	int rc = 0;
	if (feeds_load(&db, set, allowlist, err, sizeof err) < 0) {
		fprintf(stderr, "tip query: %s\n", err);
		feeds_free(&db);
		return 2;
	}
	feeds_metrics(&db);
	if (!strcmp(argv[0], "source")) {
		int only = -1;
		if (argc > 1 && (only = feeds_source(&db, argv[1])) < 0) {
			fprintf(stderr, "tip query: no source ");
			util_put_text(stderr, argv[1], strlen(argv[1]));
			fprintf(stderr, " in the stores\n");
			rc = 1;
		} else if (!db.nsrc) {
			fprintf(stderr, "tip query: no feed records in the stores\n");
			rc = 1;
		} else {
			feeds_put_sources(stdout, &db, only, fmt);
		}
	} else {
		struct feeds_ind *x = argc > 1 ? feeds_find(&db, argv[1]) : NULL;
		struct feeds_ind tmp;
		uint8_t a[16];
		memset(&tmp, 0, sizeof tmp);
		if (!x && argc > 1 && (inet_pton(AF_INET, argv[1], a) == 1 ||
				       inet_pton(AF_INET6, argv[1], a) == 1)) {
			/* not listed itself: the CIDRs that cover it, if any */
			tmp.kind = REC_IND_IP;
			tmp.value = argv[1];
			tmp.family = strchr(argv[1], ':') ? 6 : 4;
			memcpy(tmp.addr, a, 16);
			for (size_t i = 0; i < db.cap && !x; i++)
				if (db.tab[i] && feeds_covers(db.tab[i], &tmp))
					x = &tmp;
		}
		if (!x) {
			fprintf(stderr, "tip query: ");
			util_put_text(stderr, argc > 1 ? argv[1] : "", argc > 1 ? strlen(argv[1]) : 0);
			fprintf(stderr, ": listed by no source in the stores\n");
			rc = 1;
		} else {
			feeds_put_indicator(stdout, &db, x, fmt);
		}
	}
	if (db.faults && !rc)
		rc = 1;
	feeds_free(&db);
	return rc;
}

/* ---- export -------------------------------------------------------------- */

static void fx_csv(FILE *f, const char *s, size_t n)
{
	char buf[2 * FEED_VALUE_MAX + 64];
	size_t need = csv_field(buf, sizeof buf, s, n);
	if (need < sizeof buf)
		fputs(buf, f);
}

/* One feed record as a row (agg_row_fn). */
static int feed_row(FILE *out, int clickhouse, const char *sensor, const struct rec *r)
{
	static const char *const ops[] = {"?", "listed", "delisted", "fetch"};
	static const char *const outcomes[] = {"ok", "not_modified", "failed"};
	const struct rec_feed *f = &r->u.feed;
	const char *op = ops[f->op <= 3 ? f->op : 0];
	const char *kind = f->op == REC_FEED_FETCH ? "" : kind_names[f->kind <= 4 ? f->kind : 0];
	const char *oc = f->op == REC_FEED_FETCH && f->outcome <= 2 ? outcomes[f->outcome] : "";
	char t[40];
	util_fmt_time(t, sizeof t, r->ts_us);
	if (clickhouse) {
		fputs("{\"sensor\":", out);
		json_put_str(out, sensor, strlen(sensor));
		fprintf(out, ",\"time\":%lld,\"time_us\":%lld,\"source\":",
			(long long)(r->ts_us / 1000000), (long long)r->ts_us);
		json_put_str(out, f->source, f->source_len);
		fprintf(out, ",\"op\":\"%s\",\"kind\":\"%s\",\"indicator\":", op, kind);
		json_put_str(out, f->value, f->op == REC_FEED_FETCH ? 0 : f->value_len);
		fputs(",\"host\":", out);
		json_put_str(out, f->host, f->op == REC_FEED_FETCH ? 0 : f->host_len);
		fprintf(out, ",\"status\":%u,\"outcome\":\"%s\",\"bytes\":%llu,\"entries\":%llu,"
				"\"added\":%llu,\"removed\":%llu,\"bad\":%llu,\"duration_us\":%llu,"
				"\"error\":",
			(unsigned)f->status, oc, (unsigned long long)f->bytes,
			(unsigned long long)f->entries, (unsigned long long)f->added,
			(unsigned long long)f->removed, (unsigned long long)f->bad,
			(unsigned long long)f->duration_us);
		json_put_str(out, f->error, f->op == REC_FEED_FETCH ? f->error_len : 0);
		fputs("}\n", out);
	} else {
		fx_csv(out, sensor, strlen(sensor));
		fprintf(out, ",%s,", t);
		fx_csv(out, f->source, f->source_len);
		fprintf(out, ",%s,%s,", op, kind);
		if (f->op != REC_FEED_FETCH) {
			fx_csv(out, f->value, f->value_len);
			fputc(',', out);
			fx_csv(out, f->host, f->host_len);
			fputs(",,,,,,,,,\r\n", out);
		} else {
			fprintf(out, ",,%u,%s,%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned)f->status, oc,
				(unsigned long long)f->bytes, (unsigned long long)f->entries,
				(unsigned long long)f->added, (unsigned long long)f->removed,
				(unsigned long long)f->bad, (unsigned long long)f->duration_us);
			fx_csv(out, f->error, f->error_len);
			fputs("\r\n", out);
		}
	}
	return ferror(out) ? 1 : 0;
}

uint64_t feeds_export(const struct store_set *set, FILE *out, int clickhouse, int64_t since,
		      int64_t until, struct agg_faults *faults)
{
	return agg_export(set, REC_FEED,
			  "sensor,time,source,op,kind,indicator,host,status,outcome,bytes,entries,added,"
			  "removed,bad,duration_us,error\r\n",
			  feed_row, out, clickhouse, since, until, faults);
}
