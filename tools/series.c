/*
 * series: the score of one domain over time (series.h).  One walk of the
 * name's index keys collects both candidate sources; the choice between
 * them is made afterwards, so AUTO needs no second pass.
 */
#include <stdlib.h>
#include <string.h>

#include "cdefs.h"
#include "index.h"
#include "series.h"

/* A copy of one DNS observation of the name. */
struct sobs {
	int64_t first, last;
	uint64_t count;
	uint16_t qtype;
	uint32_t n_a4;
	size_t a4_off;		/* into scol.a4 */
	size_t names_len;
	size_t names_off;	/* into scol.names, NS answers only */
	uint32_t n_names;
	size_t order;		/* walk order, for a stable sort */
};

struct ssample {
	int64_t t;
	uint32_t n_a, n_asn;
	int32_t score_x100;
	uint8_t window;
	size_t sensor;		/* index in the store set */
	size_t order;
};

struct scol {
	const struct store_set *set;
	const char *name;
	size_t name_len;
	const struct agg_filter *f;
	store_rec_cb extra;
	void *extra_ctx;
	struct sobs *obs;
	size_t n_obs, alloc_obs;
	uint8_t *a4, *names;
	size_t a4_len, a4_alloc, names_len, names_alloc;
	struct ssample *smp;
	size_t n_smp, alloc_smp;
	int err;
};

static int grow(void **p, size_t *alloc, size_t need, size_t size)
{
	if (need <= *alloc)
		return 0;
	size_t na = *alloc ? *alloc : 64;
	while (na < need)
		na *= 2;
	void *nv = realloc(*p, na * size);
	if (!nv)
		return -1;
	*p = nv;
	*alloc = na;
	return 0;
}

static int push(struct series *s, int64_t t, uint32_t n_a, uint32_t n_asn, int32_t score)
{
	if (grow((void **)&s->v, &s->alloc, s->n + 1, sizeof *s->v) < 0)
		return -1;
	s->v[s->n++] = (struct svg_point){t, n_a, n_asn, score};
	return 0;
}

static size_t sensor_index(const struct store_set *set, const char *sensor)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->ids[i] == sensor || !strcmp(set->ids[i], sensor))
			return i;
	return 0;
}

static int series_on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
			 const struct rec *r)
{
	struct scol *c = ctx;
	if (c->extra) {
		int e = c->extra(c->extra_ctx, sensor, seg, pos, r);
		if (e)
			return e;
	}
	if (r->type == REC_SCORE) {
		const struct rec_score *s = &r->u.score;
		if (s->name_len != c->name_len || memcmp(s->name, c->name, c->name_len) ||
		    !agg_filter_match(c->f, r->ts_us, r->ts_us))
			return 0;
		if (grow((void **)&c->smp, &c->alloc_smp, c->n_smp + 1, sizeof *c->smp) < 0)
			goto fail;
		c->smp[c->n_smp] = (struct ssample){r->ts_us, s->n_a, s->n_asn, flux_x100_of(s->score),
						    s->window, sensor_index(c->set, sensor), c->n_smp};
		c->n_smp++;
		return 0;
	}
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *d = &r->u.dns;
	if (d->name_len != c->name_len || memcmp(d->name, c->name, c->name_len) ||
	    d->n_a4 + d->n_names == 0)
		return 0;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(c->f, first, last))
		return 0;
	size_t nl = d->qtype == 2 ? d->names_len : 0;
	if (grow((void **)&c->obs, &c->alloc_obs, c->n_obs + 1, sizeof *c->obs) < 0 ||
	    grow((void **)&c->a4, &c->a4_alloc, c->a4_len + (size_t)d->n_a4 * 4, 1) < 0 ||
	    grow((void **)&c->names, &c->names_alloc, c->names_len + nl + 1, 1) < 0)
		goto fail;
	struct sobs *o = &c->obs[c->n_obs];
	*o = (struct sobs){first, last, count, d->qtype, d->n_a4, c->a4_len, nl, c->names_len,
			   nl ? d->n_names : 0, c->n_obs};
	memcpy(c->a4 + c->a4_len, d->a4, (size_t)d->n_a4 * 4);
	c->a4_len += (size_t)d->n_a4 * 4;
	if (nl)
		memcpy(c->names + c->names_len, d->names, nl);
	c->names_len += nl;
	c->n_obs++;
	return 0;
fail:
	c->err = 1;
	return 1;
}

static int obs_cmp(const void *a, const void *b)
{
	const struct sobs *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int smp_cmp(const void *a, const void *b)
{
	const struct ssample *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Cumulative verdicts after each observation, in time order. */
static int from_lookups(struct scol *c, const struct agg_domain *all, struct series *out)
{
	struct agg_domain cum;
	struct agg_filter nof;
	agg_filter_init(&nof);
	agg_domain_init(&cum, c->name, c->name_len, 0);
	if (c->n_obs)
		qsort(c->obs, c->n_obs, sizeof *c->obs, obs_cmp);
	uint32_t prev_n = UINT32_MAX, prev_over = 0;
	int rc = 0;
	for (size_t i = 0; i < c->n_obs && rc == 0; i++) {
		const struct sobs *o = &c->obs[i];
		struct rec r;
		memset(&r, 0, sizeof r);
		r.type = REC_DNS;
		r.flags = REC_F_COALESCED;
		r.ts_us = o->first;
		r.u.dns.name = c->name;
		r.u.dns.name_len = c->name_len;
		r.u.dns.qtype = o->qtype;
		r.u.dns.n_a4 = o->n_a4;
		r.u.dns.a4 = c->a4 + o->a4_off;
		r.u.dns.n_names = o->n_names;
		r.u.dns.names = c->names + o->names_off;
		r.u.dns.names_len = o->names_len;
		r.u.dns.ts_last_us = o->last;
		r.u.dns.count = o->count;
		if (agg_domain_add(&cum, &r, &nof) < 0) {
			rc = -1;
			break;
		}
		/* the ASN set follows the address set: recount only when it grew */
		if (cum.sets.a.n != prev_n || cum.sets.a.over != prev_over) {
			agg_domain_finish(&cum, agg_domain_asn_of, (void *)all);
			prev_n = cum.sets.a.n;
			prev_over = cum.sets.a.over;
		}
		if (o->last > out->t_end_us)
			out->t_end_us = o->last;
		rc = push(out, o->first, cum.run.n_a, cum.run.n_asn, cum.run.score_x100);
	}
	agg_domain_fini(&cum);
	return rc;
}

/* The samples of one sensor (running totals preferred), or SERIES_E_*. */
static int from_samples(struct scol *c, const struct agg_domain *all, enum series_src src,
			struct series *out)
{
	int one = 1, w0 = 0;
	for (size_t i = 0; i < c->n_smp; i++) {
		one &= c->smp[i].sensor == c->smp[0].sensor;
		w0 |= c->smp[i].window == 0;
	}
	if (!one)
		return src == SERIES_SAMPLES ? SERIES_E_SENSORS : 1;
	int window = w0 ? 0 : c->smp[0].window;
	qsort(c->smp, c->n_smp, sizeof *c->smp, smp_cmp);
	for (size_t i = 0; i < c->n_smp; i++) {
		const struct ssample *s = &c->smp[i];
		if (s->window != window)
			continue;
		if (push(out, s->t, s->n_a, s->n_asn, s->score_x100) < 0)
			return -1;
		out->t_end_us = s->t;
	}
	if (all->last_us > out->t_end_us && all->last_us != INT64_MIN)
		out->t_end_us = all->last_us;
	out->from_samples = 1;
	out->source = window ? "the sensor's score samples (classification window)"
			     : "the sensor's score samples (running totals)";
	return 0;
}

int series_domain(struct series *s, const struct store_set *set, const struct agg_domain *all,
		  const struct agg_filter *f, enum series_src src, store_rec_cb extra,
		  void *extra_ctx)
{
	struct scol c;
	uint8_t key[INDEX_KEY_MAX];
	int rc = 0;
	memset(s, 0, sizeof *s);
	s->t_end_us = INT64_MIN;
	s->source = "the lookups, counted cumulatively";
	memset(&c, 0, sizeof c);
	c.set = set;
	c.name = all->name;
	c.name_len = all->name_len;
	c.f = f;
	c.extra = extra;
	c.extra_ctx = extra_ctx;
	size_t kl = index_key_domain(key, all->name, all->name_len);
	if (kl && store_set_lookup(set, key, kl, series_on_rec, NULL, &c) < 0) {
		rc = -1;	/* out of memory here, or extra stopped the walk */
		goto out;
	}
	if (src != SERIES_LOOKUPS && c.n_smp) {
		rc = from_samples(&c, all, src, s);
		if (rc <= 0)
			goto out;
		rc = 0;	/* several sensors: the lookups */
	} else if (src == SERIES_SAMPLES) {
		rc = SERIES_E_NO_SAMPLES;
		goto out;
	}
	rc = from_lookups(&c, all, s);
out:
	free(c.obs);
	free(c.a4);
	free(c.names);
	free(c.smp);
	return rc;
}

void series_fini(struct series *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

void series_verdict(const struct series *s, const struct agg_domain *all,
		    struct flux_verdict *v)
{
	*v = all->run;	/* the curve's end: the running totals */
	if (!s->from_samples || !s->n)
		return;
	const struct svg_point *g = &s->v[s->n - 1];
	v->n_a = g->n_a;
	v->n_asn = g->n_asn;
	v->score_x100 = g->score_x100;
	v->margin_x100 = g->score_x100 - FLUX_THRESHOLD;
	v->flux = flux_is_flux(g->score_x100);
	v->capped = 0;
}
