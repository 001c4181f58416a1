/*
 * agg: aggregation of DNS observations (agg.h).  Invariants: every set is
 * counted through flux_score.h (sets, never lists); nothing kept here
 * points into a mapped segment once a store callback returns (names and
 * answers are copied); every table has a documented bound.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "cdefs.h"
#include "index.h"
#include "util.h"

/* ---- time window ------------------------------------------------------ */

void agg_filter_init(struct agg_filter *f)
{
	f->since_us = INT64_MIN;
	f->until_us = INT64_MAX;
	f->strict = 0;
	f->qtype = 0;
	f->window = FLUX_WINDOW;
	f->ttl_min_us = FLUX_TTL_MIN_S * 1000000LL;
	f->ttl_max_us = FLUX_TTL_MAX_S * 1000000LL;
}

int agg_filter_match(const struct agg_filter *f, int64_t first_us, int64_t last_us)
{
	if (f->strict)
		return first_us >= f->since_us && last_us <= f->until_us;
	return last_us >= f->since_us && first_us <= f->until_us;
}

int agg_filter_type(const struct agg_filter *f, uint16_t qtype)
{
	return !f->qtype || f->qtype == qtype;
}

/* "1w2d3h4m5s", an optional sign before it: seconds, or -1 */
static int64_t parse_duration(const char *s)
{
	int64_t total = 0;
	int any = 0;
	if (*s == '-' || *s == '+')
		s++;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -1;
		int64_t v = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			if (v > 100000000)
				return -1;
		}
		int64_t unit;
		switch (*s++) {
		case 'w': unit = 7 * 86400; break;
		case 'd': unit = 86400; break;
		case 'h': unit = 3600; break;
		case 'm': unit = 60; break;
		case 's': unit = 1; break;
		default: return -1;
		}
		total += v * unit;
		any = 1;
	}
	return any ? total : -1;
}

int64_t agg_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void agg_dns_times(const struct rec *r, int64_t *first_us, int64_t *last_us, uint64_t *count)
{
	*first_us = r->ts_us;
	*last_us = r->ts_us;
	*count = 1;
	if (r->flags & REC_F_COALESCED) {
		if (r->u.dns.ts_last_us > r->ts_us)
			*last_us = r->u.dns.ts_last_us;
		*count = r->u.dns.count;
	}
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int agg_parse_time(const char *s, int64_t *us)
{
	size_t n = strlen(s);
	if (n == 0)
		return -1;
	if (strspn(s, "0123456789") == n) {
		if (n > 12)	/* beyond year 9999 */
			return -1;
		*us = strtoll(s, NULL, 10) * 1000000;
		return 0;
	}
	int64_t rel = parse_duration(s);
	if (rel >= 0) {	/* relative: that long before now */
		*us = agg_now_us() - rel * 1000000;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d))
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 6 || p[3] != ':' || digits(p + 1, 2, &h) || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) || strlen(p) < 3)
				return -1;
			p += 3;
		}
	}
	int off_s = 0;
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p != s + 10) {
		/* a time zone offset: +HH, +HHMM or +HH:MM; local = UTC + offset */
		int oh, om = 0, sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh))
			return -1;
		const char *q = p + 3;
		if (*q == ':')
			q++;
		if (*q) {
			if (digits(q, 2, &om))
				return -1;
			q += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
		off_s = sign * (oh * 3600 + om * 60);
		p = q;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (tm.tm_mday != d)	/* 2024-02-31 normalised to March */
		return -1;
	*us = ((int64_t)t - off_s) * 1000000;
	return 0;
}

void agg_on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	struct agg_faults *f = ctx ? *(struct agg_faults **)ctx : NULL;
	if (f) {
		f->n++;
		fprintf(stderr, "tip %s: ", f->cmd);
	} else {
		fputs("tip: ", stderr);
	}
	util_fault(stderr, path, off, 0, "%s", why ? why : "fault");
}

/* ---- record export ------------------------------------------------------- */

struct export_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	FILE *out;
	int clickhouse;
	uint8_t type;
	int64_t since, until;
	agg_row_fn *row;
	uint64_t rows;
};

static int on_export_rec(void *ctx, const char *sensor, const struct store_seg *seg TIP_UNUSED,
			 uint64_t pos TIP_UNUSED, const struct rec *r)
{
	struct export_ctx *x = ctx;
	if (r->type != x->type || r->ts_us < x->since || r->ts_us > x->until)
		return 0;
	int stop = x->row(x->out, x->clickhouse, sensor, r);
	x->rows++;
	return stop;
}

uint64_t agg_export(const struct store_set *set, uint8_t type, const char *csv_header,
		    agg_row_fn *row, FILE *out, int clickhouse, int64_t since, int64_t until,
		    struct agg_faults *faults)
{
	struct export_ctx x = {faults, out, clickhouse, type, since, until, row, 0};
	if (!clickhouse)
		fputs(csv_header, out);
	store_set_scan(set, on_export_rec, agg_on_fault, &x);
	return x.rows;
}

/* ---- ip info ---------------------------------------------------------- */

struct info_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	uint8_t addr[4];
	struct agg_ipinfo *out;
	int64_t best_us;
};

static int on_enrich(void *ctx, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED,
		     const struct rec *r)
{
	struct info_ctx *c = ctx;
	const struct rec_enrich *e = &r->u.enrich;
	if (r->type != REC_ENRICH || e->ip.family != 4 || memcmp(e->ip.addr, c->addr, 4))
		return 0;
	if (c->out->enriched && r->ts_us < c->best_us)
		return 0;
	struct agg_ipinfo *o = c->out;
	c->best_us = r->ts_us;
	o->enriched = 1;
	o->asn = e->asn;
	o->as_name_len = e->as_name_len < sizeof o->as_name ? e->as_name_len : sizeof o->as_name - 1;
	memcpy(o->as_name, e->as_name, o->as_name_len);
	o->as_name[o->as_name_len] = '\0';
	o->cc[0] = '\0';
	if (e->country[0] && e->country[1]) {
		o->cc[0] = e->country[0];
		o->cc[1] = e->country[1];
		o->cc[2] = '\0';
	}
	o->ptr_len = e->ptr_len <= REC_NAME_MAX ? e->ptr_len : REC_NAME_MAX;
	memcpy(o->ptr, e->ptr, o->ptr_len);
	o->ptr[o->ptr_len] = '\0';
	return 0;
}

/* What the store lacks (ASN, AS name, country) from the offline table. */
static void apply_db(const struct asn_db *db, uint32_t ipv4, struct agg_ipinfo *out)
{
	if (db) {
		struct asn_info ai;
		if (asn_db_lookup(db, ipv4, &ai)) {
			if (!out->asn && ai.asn)
				out->asn = ai.asn;
			if (!out->cc[0] && ai.cc[0])
				memcpy(out->cc, ai.cc, 3);
		}
		if (out->asn && !out->as_name_len) {
			const char *nm = asn_db_name(db, out->asn);
			size_t l = strlen(nm);
			if (l >= sizeof out->as_name)
				l = sizeof out->as_name - 1;
			memcpy(out->as_name, nm, l);
			out->as_name[l] = '\0';
			out->as_name_len = l;
		}
	}
}

int agg_ip_info(const struct store_set *set, const struct asn_db *db, uint32_t ipv4,
		struct agg_ipinfo *out, struct agg_faults *faults)
{
	struct info_ctx c;
	uint8_t key[INDEX_KEY_MAX];
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	c.addr[0] = (uint8_t)(ipv4 >> 24);
	c.addr[1] = (uint8_t)(ipv4 >> 16);
	c.addr[2] = (uint8_t)(ipv4 >> 8);
	c.addr[3] = (uint8_t)ipv4;
	c.out = out;
	c.faults = faults;
	if (set) {
		/* 'e': the address's enrichment records, not its thousands of lookups */
		size_t kl = index_key_enrich(key, 4, c.addr);
		store_set_lookup(set, key, kl, on_enrich, agg_on_fault, &c);
	}
	apply_db(db, ipv4, out);
	return 0;
}

struct infos_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct agg_ipinfo *out;
	int64_t *best_us;
	const uint32_t *ips;
};

static int on_enrich_many(void *ctx, size_t i, const char *sensor, const struct store_seg *seg,
			  uint64_t pos, const struct rec *r)
{
	struct infos_ctx *m = ctx;
	struct info_ctx c = {m->faults, {0}, &m->out[i], m->best_us[i]};
	uint32_t ip = m->ips[i];
	c.addr[0] = (uint8_t)(ip >> 24);
	c.addr[1] = (uint8_t)(ip >> 16);
	c.addr[2] = (uint8_t)(ip >> 8);
	c.addr[3] = (uint8_t)ip;
	on_enrich(&c, sensor, seg, pos, r);
	m->best_us[i] = c.best_us;
	return 0;
}

int agg_ips_info(const struct store_set *set, const struct asn_db *db, const uint32_t *ips,
		 size_t n, struct agg_ipinfo *out, struct agg_faults *faults)
{
	int rc = 0;
	memset(out, 0, n * sizeof *out);
	if (set && n) {
		uint8_t *kb = malloc(n * 5);
		const uint8_t **keys = malloc(n * sizeof *keys);
		size_t *kl = malloc(n * sizeof *kl);
		int64_t *best = calloc(n, sizeof *best);
		if (!kb || !keys || !kl || !best) {
			rc = -1;
		} else {
			for (size_t i = 0; i < n; i++) {
				uint8_t a[4] = {(uint8_t)(ips[i] >> 24), (uint8_t)(ips[i] >> 16),
						(uint8_t)(ips[i] >> 8), (uint8_t)ips[i]};
				kl[i] = index_key_enrich(kb + 5 * i, 4, a);
				keys[i] = kb + 5 * i;
			}
			struct infos_ctx m = {faults, out, best, ips};
			store_set_lookup_many(set, keys, kl, n, on_enrich_many, agg_on_fault, &m);
		}
		free(kb);
		free(keys);
		free(kl);
		free(best);
	}
	for (size_t i = 0; i < n; i++)
		apply_db(db, ips[i], &out[i]);
	return rc;
}

/* ---- RRsets ----------------------------------------------------------- */

/*
 * Key: u8 sensor length, sensor | u8 name length, name | be16 qtype |
 * be32 n, n sorted IPv4 | be32 n, n sorted IPv6 | be32 n, n sorted
 * (u8 length, name).  Big-endian counts keep the byte order meaningful.
 */

void agg_rrsets_init(struct agg_rrsets *s)
{
	memset(s, 0, sizeof *s);
}

void agg_rrsets_fini(struct agg_rrsets *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

struct nm {
	const uint8_t *p;	/* u8 length, bytes */
};

static int cmp_nm(const void *a, const void *b)
{
	const uint8_t *x = ((const struct nm *)a)->p, *y = ((const struct nm *)b)->p;
	size_t lx = x[0], ly = y[0];
	int c = memcmp(x + 1, y + 1, lx < ly ? lx : ly);
	return c ? c : (lx > ly) - (lx < ly);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int agg_rrset_cmp(const struct agg_rrset *x, const struct agg_rrset *y)
{
	int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static int cmp_rrset(const void *a, const void *b)
{
	return agg_rrset_cmp(a, b);
}

size_t agg_rrset_merge(void *v, size_t n, size_t size)
{
	unsigned char *b = v;
	if (n < 2)
		return n;
	qsort(v, n, size, cmp_rrset);
	size_t o = 0;
	for (size_t i = 1; i < n; i++) {
		struct agg_rrset *k = (void *)(b + o * size), *r = (void *)(b + i * size);
		if (agg_rrset_cmp(k, r) == 0) {
			if (r->first_us < k->first_us)
				k->first_us = r->first_us;
			if (r->last_us > k->last_us)
				k->last_us = r->last_us;
			k->count += r->count;
			free(r->key);
		} else if (++o != i) {
			memcpy(b + o * size, r, size);
		}
	}
	return o + 1;
}

void agg_rrsets_finish(struct agg_rrsets *s)
{
	s->n = s->merged = agg_rrset_merge(s->v, s->n, sizeof *s->v);
}

int agg_rrsets_add(struct agg_rrsets *s, const char *sensor, const struct rec *r)
{
	const struct rec_dns *d = &r->u.dns;
	if (r->type != REC_DNS || d->n_a4 + d->n_a6 + d->n_names == 0)
		return 0;
	size_t sl = strlen(sensor);
	if (sl > 255)
		sl = 255;
	size_t klen = 1 + sl + 1 + d->name_len + 2 + 12 + 4 * (size_t)d->n_a4 + 16 * (size_t)d->n_a6 +
		      d->names_len;
	uint8_t *k = malloc(klen);
	struct nm *nms = d->n_names ? calloc(d->n_names, sizeof *nms) : NULL;
	if (!k || (d->n_names && !nms)) {
		free(k);
		free(nms);
		return -1;
	}
	size_t o = 0;
	k[o++] = (uint8_t)sl;
	memcpy(k + o, sensor, sl);
	o += sl;
	k[o++] = (uint8_t)d->name_len;
	memcpy(k + o, d->name, d->name_len);
	o += d->name_len;
	k[o++] = (uint8_t)(d->qtype >> 8);
	k[o++] = (uint8_t)d->qtype;
	put_be32(k + o, d->n_a4);
	o += 4;
	if (d->n_a4) {	/* NULL pointers when empty: memcpy and qsort must not see them */
		memcpy(k + o, d->a4, 4 * (size_t)d->n_a4);
		qsort(k + o, d->n_a4, 4, cmp4);
	}
	o += 4 * (size_t)d->n_a4;
	put_be32(k + o, d->n_a6);
	o += 4;
	if (d->n_a6) {
		memcpy(k + o, d->a6, 16 * (size_t)d->n_a6);
		qsort(k + o, d->n_a6, 16, cmp16);
	}
	o += 16 * (size_t)d->n_a6;
	size_t noff = 0, nlen, nn = 0;
	const char *nmp;
	while (nn < d->n_names && rec_dns_name_next(d, &noff, &nmp, &nlen))
		nms[nn++].p = (const uint8_t *)nmp - 1;
	if (nn)
		qsort(nms, nn, sizeof *nms, cmp_nm);
	put_be32(k + o, (uint32_t)nn);
	o += 4;
	for (size_t i = 0; i < nn; i++) {
		memcpy(k + o, nms[i].p, 1 + (size_t)nms[i].p[0]);
		o += 1 + (size_t)nms[i].p[0];
	}
	free(nms);

	if (s->n == s->alloc) {
		/* merge first: memory follows the distinct sets, not the records */
		agg_rrsets_finish(s);
		if (s->n == s->alloc || s->n * 2 > s->alloc) {
			size_t na = s->alloc ? s->alloc * 2 : 64;
			void *nv = realloc(s->v, na * sizeof *s->v);
			if (!nv) {
				free(k);
				return -1;
			}
			s->v = nv;
			s->alloc = na;
		}
	}
	struct agg_rrset *e = &s->v[s->n++];
	e->key = k;
	e->klen = o;
	agg_dns_times(r, &e->first_us, &e->last_us, &e->count);
	return 0;
}

void agg_rrset_view(const struct agg_rrset *r, struct agg_rrset_view *v)
{
	const uint8_t *k = r->key;
	size_t o = 0;
	v->sensor_len = k[o++];
	v->sensor = (const char *)k + o;
	o += v->sensor_len;
	v->name_len = k[o++];
	v->name = (const char *)k + o;
	o += v->name_len;
	v->qtype = (uint16_t)(k[o] << 8 | k[o + 1]);
	o += 2;
	v->n_a4 = get_be32(k + o);
	o += 4;
	v->a4 = k + o;
	o += 4 * (size_t)v->n_a4;
	v->n_a6 = get_be32(k + o);
	o += 4;
	v->a6 = k + o;
	o += 16 * (size_t)v->n_a6;
	v->n_names = get_be32(k + o);
	o += 4;
	v->names = k + o;
}

/* ---- the classification window --------------------------------------- */

void agg_win_init(struct agg_win *w, int64_t keep)
{
	memset(w, 0, sizeof *w);
	w->t0 = INT64_MAX;
	w->end = INT64_MAX;
	w->out_min = INT64_MAX;
	w->keep = keep;
}

void agg_win_fini(struct agg_win *w)
{
	free(w->r);
	free(w->ip);
	w->r = NULL;
	w->ip = NULL;
	w->n = w->alloc = w->n_ip = w->alloc_ip = 0;
}

static int win_push(struct agg_win *w, int64_t t, const uint8_t *a4, uint32_t n)
{
	if (w->n == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 4;
		void *nv = realloc(w->r, na * sizeof *w->r);
		if (!nv)
			return -1;
		w->r = nv;
		w->alloc = na;
	}
	if (w->n_ip + n > w->alloc_ip) {
		size_t na = w->alloc_ip ? w->alloc_ip : 16;
		while (na < w->n_ip + n)
			na *= 2;
		void *nv = realloc(w->ip, na * sizeof *w->ip);
		if (!nv)
			return -1;
		w->ip = nv;
		w->alloc_ip = na;
	}
	w->r[w->n++] = (struct agg_winrec){t, (uint32_t)w->n_ip, n};
	for (uint32_t i = 0; i < n; i++)
		w->ip[w->n_ip++] = get_be32(a4 + 4 * i);
	return 0;
}

/* Drop the records first seen at or after lim, noting the earliest dropped. */
static void win_prune(struct agg_win *w, int64_t lim)
{
	size_t k = 0, kip = 0;
	for (size_t i = 0; i < w->n; i++) {
		struct agg_winrec e = w->r[i];
		if (e.t >= lim) {
			if (e.t < w->out_min)
				w->out_min = e.t;
			continue;
		}
		memmove(w->ip + kip, w->ip + e.off, e.n * sizeof *w->ip);
		w->r[k++] = (struct agg_winrec){e.t, (uint32_t)kip, e.n};
		kip += e.n;
	}
	w->n = k;
	w->n_ip = kip;
}

int agg_win_add(struct agg_win *w, const struct agg_filter *f, int64_t t, uint32_t ttl,
		const uint8_t *a4, uint32_t n_a4)
{
	if (!n_a4)
		return 0;
	if (w->fixed)
		return t >= w->t0 && t < w->end ? win_push(w, t, a4, n_a4) : 0;
	int64_t span = flux_window_span_us(ttl, f->window, f->ttl_min_us, f->ttl_max_us);
	if (w->keep < 0)	/* the longest window this filter gives: unknown TTL */
		w->keep = flux_window_span_us(0, f->window, f->ttl_min_us, f->ttl_max_us);
	if (t < w->t0 || (t == w->t0 && t + span < w->end)) {
		w->t0 = t;
		w->end = t + span;
		w->ttl0 = ttl;
		win_prune(w, w->keep > span ? t + w->keep : w->end);
		if (w->out_min < w->end)
			w->dirty = 1;
	}
	int64_t lim = w->keep > w->end - w->t0 ? w->t0 + w->keep : w->end;
	if (t >= lim) {
		if (t < w->out_min)
			w->out_min = t;
		return 0;
	}
	return win_push(w, t, a4, n_a4);
}

void agg_win_refix(struct agg_win *w)
{
	w->n = w->n_ip = 0;
	w->fixed = 1;
	w->dirty = 0;
}

int agg_win_sets(const struct agg_win *w, struct flux_sets *s)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct agg_winrec *e = &w->r[i];
		if (e->t < w->t0 || e->t >= w->end)
			continue;
		for (uint32_t k = 0; k < e->n; k++)
			if (flux_sets_add_a(s, w->ip[e->off + k]) < 0 && errno == ENOMEM)
				return -1;
		flux_sets_answer(s, e->n);
	}
	return 0;
}

/* ---- one domain ------------------------------------------------------- */

void agg_domain_init(struct agg_domain *d, const char *name, size_t len, int keep_ips)
{
	memset(d, 0, sizeof *d);
	if (len > REC_NAME_MAX)
		len = REC_NAME_MAX;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->name_len = len;
	/* the analysis host counts exactly, up to the sets' largest cap */
	flux_sets_init(&d->sets, FLUX_CAP_MAX, FLUX_CAP_MAX, FLUX_CAP_MAX);
	d->first_us = INT64_MAX;
	d->last_us = INT64_MIN;
	d->keep_ips = keep_ips;
	agg_win_init(&d->win, -1);
}

void agg_domain_fini(struct agg_domain *d)
{
	flux_sets_fini(&d->sets);
	agg_win_fini(&d->win);
	free(d->ips);
	free(d->info);
	d->info = NULL;
	d->ips = NULL;
	d->n_ips = d->alloc_ips = 0;
}

static int ip_note(struct agg_domain *d, uint32_t ip, int64_t first, int64_t last, uint64_t count)
{
	size_t lo = 0, hi = d->n_ips;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->ips[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->n_ips && d->ips[lo].ip == ip) {
		struct agg_ip *e = &d->ips[lo];
		if (first < e->first_us)
			e->first_us = first;
		if (last > e->last_us)
			e->last_us = last;
		e->count += count;
		return 0;
	}
	if (d->n_ips >= AGG_IPS_MAX) {
		d->ips_over++;
		return 0;
	}
	if (d->n_ips == d->alloc_ips) {
		size_t na = d->alloc_ips ? d->alloc_ips * 2 : 16;
		void *nv = realloc(d->ips, na * sizeof *d->ips);
		if (!nv)
			return -1;
		d->ips = nv;
		d->alloc_ips = na;
	}
	memmove(d->ips + lo + 1, d->ips + lo, (d->n_ips - lo) * sizeof *d->ips);
	d->ips[lo] = (struct agg_ip){ip, 0, first, last, count};
	d->n_ips++;
	return 0;
}

static uint32_t a4_at(const uint8_t *p)
{
	return get_be32(p);
}

int agg_domain_add(struct agg_domain *d, const struct rec *r, const struct agg_filter *f)
{
	const struct rec_dns *dn = &r->u.dns;
	if (r->type != REC_DNS || dn->name_len != d->name_len || memcmp(dn->name, d->name, d->name_len))
		return 0;
	d->found = 1;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(f, first, last) || !agg_filter_type(f, dn->qtype))
		return 0;
	if (dn->n_a4 + dn->n_a6 + dn->n_names == 0)
		return 0;
	d->records++;
	d->lookups += count;
	if (first < d->first_us)
		d->first_us = first;
	if (last > d->last_us)
		d->last_us = last;
	for (uint32_t i = 0; i < dn->n_a4; i++) {
		uint32_t ip = a4_at(dn->a4 + 4 * i);
		if (flux_sets_add_a(&d->sets, ip) < 0 && errno == ENOMEM)
			return -1;
		if (d->keep_ips && ip_note(d, ip, first, last, count) < 0)
			return -1;
	}
	if (dn->n_a4) {
		flux_sets_answer(&d->sets, dn->n_a4);
		if (agg_win_add(&d->win, f, first, dn->ttl, dn->a4, dn->n_a4) < 0)
			return -1;
	}
	if (dn->qtype == 2) {	/* NS */
		size_t off = 0, len;
		const char *nm;
		while (rec_dns_name_next(dn, &off, &nm, &len))
			if (flux_sets_add_ns(&d->sets, nm, len) < 0 && errno == ENOMEM)
				return -1;
	}
	return 0;
}

/* The verdict; returns how many addresses have no known ASN. */
static uint32_t sets_finish(struct flux_sets *s, struct flux_verdict *v, agg_asn_fn asn_of,
			    void *ctx)
{
	const uint32_t *a = s->a.v;
	uint32_t unknown = 0;
	for (unsigned i = 0; i < s->a.n; i++) {
		uint32_t asn = asn_of ? asn_of(ctx, a[i]) : 0;
		if (asn)
			flux_sets_add_asn(s, asn);
		else
			unknown++;
	}
	flux_sets_verdict(s, v);
	return unknown;
}

/*
 * The verdict of a window (its sets built here, with the caps of the
 * analysis host); on memory exhaustion it counts what could be added.
 */
static uint32_t win_finish(const struct agg_win *w, struct flux_verdict *v, agg_asn_fn asn_of,
			   void *ctx)
{
	struct flux_sets ws;
	flux_sets_init(&ws, FLUX_CAP_MAX, FLUX_CAP_MAX, FLUX_CAP_MAX);
	(void)agg_win_sets(w, &ws);
	uint32_t unknown = sets_finish(&ws, v, asn_of, ctx);
	flux_sets_fini(&ws);
	return unknown;
}

void agg_domain_finish(struct agg_domain *d, agg_asn_fn asn_of, void *ctx)
{
	d->run_asn_unknown = sets_finish(&d->sets, &d->run, asn_of, ctx);
	d->asn_unknown = win_finish(&d->win, &d->v, asn_of, ctx);
}

struct dom_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct agg_domain *d;
	const struct agg_filter *f;
	struct agg_rrsets *rr;
	int err;
};

static int on_domain(void *ctx, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		     uint64_t pos TIP_UNUSED,
		     const struct rec *r)
{
	struct dom_ctx *c = ctx;
	if (r->type != REC_DNS)
		return 0;
	if (agg_domain_add(c->d, r, c->f) < 0)
		goto fail;
	const struct rec_dns *dn = &r->u.dns;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (c->rr && dn->name_len == c->d->name_len && !memcmp(dn->name, c->d->name, dn->name_len) &&
	    agg_filter_match(c->f, first, last) && agg_filter_type(c->f, dn->qtype) &&
	    agg_rrsets_add(c->rr, sensor, r) < 0)
		goto fail;
	return 0;
fail:
	c->err = 1;
	return 1;
}

uint32_t agg_domain_asn_of(void *ctx, uint32_t ip)
{
	const struct agg_domain *d = ctx;
	size_t lo = 0, hi = d->n_ips;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->ips[mid].ip < ip)
			lo = mid + 1;
		else if (d->ips[mid].ip > ip)
			hi = mid;
		else
			return d->ips[mid].asn;
	}
	return 0;
}

int agg_domain_lookup(const struct store_set *set, const struct asn_db *db, const char *name,
		      const struct agg_filter *f, struct agg_domain *d, struct agg_rrsets *rrsets,
		      struct agg_faults *faults)
{
	uint8_t key[INDEX_KEY_MAX];
	char norm[REC_NAME_MAX + 1];
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (len > REC_NAME_MAX)
		len = REC_NAME_MAX;
	for (size_t i = 0; i < len; i++)
		norm[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	agg_domain_init(d, norm, len, 1);
	size_t kl = index_key_domain(key, norm, len);
	if (!kl)
		return 0;
	struct dom_ctx c = {faults, d, f, rrsets, 0};
	store_set_lookup(set, key, kl, on_domain, agg_on_fault, &c);
	if (c.err)
		return -1;
	if (rrsets)
		agg_rrsets_finish(rrsets);
	/* every address's enrichment in one pass over the segments' indexes */
	if (d->n_ips) {
		uint32_t *ips = malloc(d->n_ips * sizeof *ips);
		d->info = malloc(d->n_ips * sizeof *d->info);
		if (!ips || !d->info) {
			free(ips);
			return -1;
		}
		for (size_t i = 0; i < d->n_ips; i++)
			ips[i] = d->ips[i].ip;
		int rc = agg_ips_info(set, db, ips, d->n_ips, d->info, faults);
		free(ips);
		if (rc < 0)
			return -1;
		for (size_t i = 0; i < d->n_ips; i++)
			d->ips[i].asn = d->info[i].asn;
	}
	agg_domain_finish(d, agg_domain_asn_of, d);
	return 0;
}

/* ---- one address ------------------------------------------------------ */

struct ipq_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct agg_ipq *q;
	const struct agg_filter *f;
	struct agg_rrsets *rr;
	int err;
};

static int has_addr(const struct rec_dns *d, int family, const uint8_t *addr)
{
	if (family == 4) {
		for (uint32_t i = 0; i < d->n_a4; i++)
			if (!memcmp(d->a4 + 4 * i, addr, 4))
				return 1;
	} else {
		for (uint32_t i = 0; i < d->n_a6; i++)
			if (!memcmp(d->a6 + 16 * i, addr, 16))
				return 1;
	}
	return 0;
}

static int on_ip(void *ctx, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		 uint64_t pos TIP_UNUSED,
		 const struct rec *r)
{
	struct ipq_ctx *c = ctx;
	struct agg_ipq *q = c->q;
	const struct rec_dns *d = &r->u.dns;
	if (r->type != REC_DNS || !has_addr(d, q->family, q->addr))
		return 0;
	q->found = 1;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(c->f, first, last) || !agg_filter_type(c->f, d->qtype))
		return 0;
	if (first < q->first_us)
		q->first_us = first;
	if (last > q->last_us)
		q->last_us = last;
	q->count += count;
	if (c->rr && agg_rrsets_add(c->rr, sensor, r) < 0)
		goto fail;
	size_t lo = 0, hi = q->n_doms;
	int cmp = 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct agg_ipdom *m = &q->doms[mid];
		cmp = memcmp(m->name, d->name, m->name_len < d->name_len ? m->name_len : d->name_len);
		if (!cmp)
			cmp = (m->name_len > d->name_len) - (m->name_len < d->name_len);
		if (cmp < 0)
			lo = mid + 1;
		else if (cmp > 0)
			hi = mid;
		else {
			lo = mid;
			break;
		}
	}
	if (lo < q->n_doms && cmp == 0) {
		struct agg_ipdom *e = &q->doms[lo];
		if (first < e->first_us)
			e->first_us = first;
		if (last > e->last_us)
			e->last_us = last;
		e->count += count;
		return 0;
	}
	if (q->n_doms == q->alloc_doms) {
		size_t na = q->alloc_doms ? q->alloc_doms * 2 : 16;
		void *nv = realloc(q->doms, na * sizeof *q->doms);
		if (!nv)
			goto fail;
		q->doms = nv;
		q->alloc_doms = na;
	}
	char *nm = malloc(d->name_len + 1);
	if (!nm)
		goto fail;
	memcpy(nm, d->name, d->name_len);
	nm[d->name_len] = '\0';
	memmove(q->doms + lo + 1, q->doms + lo, (q->n_doms - lo) * sizeof *q->doms);
	q->doms[lo] = (struct agg_ipdom){nm, d->name_len, first, last, count};
	q->n_doms++;
	return 0;
fail:
	c->err = 1;
	return 1;
}

int agg_ip_lookup(const struct store_set *set, const struct asn_db *db, int family,
		  const uint8_t *addr, const struct agg_filter *f, struct agg_ipq *q,
		  struct agg_rrsets *rrsets, struct agg_faults *faults)
{
	uint8_t key[INDEX_KEY_MAX];
	memset(q, 0, sizeof *q);
	q->family = family;
	memcpy(q->addr, addr, family == 4 ? 4 : 16);
	q->first_us = INT64_MAX;
	q->last_us = INT64_MIN;
	size_t kl = index_key_ip(key, family, addr);
	struct ipq_ctx c = {faults, q, f, rrsets, 0};
	store_set_lookup(set, key, kl, on_ip, agg_on_fault, &c);
	if (c.err)
		return -1;
	if (rrsets)
		agg_rrsets_finish(rrsets);
	if (family == 4)
		agg_ip_info(set, db, a4_at(addr), &q->info, faults);
	return 0;
}

void agg_ipq_fini(struct agg_ipq *q)
{
	for (size_t i = 0; i < q->n_doms; i++)
		free(q->doms[i].name);
	free(q->doms);
	q->doms = NULL;
	q->n_doms = 0;
}

/* ---- every domain ------------------------------------------------------ */

/* Address -> ASN of the newest enrichment; open addressing, grown to a cap. */
struct emap_e {
	uint32_t ip, asn;	/* asn 0: empty slot */
	int64_t ts_us;
};

struct emap {
	struct emap_e *v;
	size_t n, cap;		/* cap is a power of two */
	int full;
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

static struct emap_e *emap_slot(struct emap *m, uint32_t ip)
{
	size_t i = hash32(ip) & (m->cap - 1);
	while (m->v[i].asn && m->v[i].ip != ip)
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static int emap_put(struct emap *m, uint32_t ip, uint32_t asn, int64_t ts)
{
	if (!asn)
		return 0;
	if ((m->n + 1) * 2 > m->cap) {
		if (m->n >= AGG_ENRICH_MAX) {
			m->full = 1;
			return 0;
		}
		size_t nc = m->cap ? m->cap * 2 : 1024;
		struct emap_e *nv = calloc(nc, sizeof *nv), *old = m->v;
		if (!nv)
			return -1;
		size_t oc = m->cap;
		m->v = nv;
		m->cap = nc;
		for (size_t i = 0; i < oc; i++)
			if (old[i].asn)
				*emap_slot(m, old[i].ip) = old[i];
		free(old);
	}
	struct emap_e *e = emap_slot(m, ip);
	if (e->asn && e->ts_us > ts)
		return 0;
	if (!e->asn)
		m->n++;
	*e = (struct emap_e){ip, asn, ts};
	return 0;
}

static uint32_t emap_get(const struct emap *m, uint32_t ip)
{
	if (!m->cap)
		return 0;
	size_t i = hash32(ip) & (m->cap - 1);
	while (m->v[i].asn) {
		if (m->v[i].ip == ip)
			return m->v[i].asn;
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

struct sdom {
	uint64_t h;
	struct flux_sets sets;
	struct agg_win win;
	int64_t first_us, last_us;
	uint64_t lookups;
	size_t name_len;
	char name[];
};

struct scan {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	const struct agg_flux_opts *o;
	struct emap em;
	struct sdom **tab;	/* open addressing, cap a power of two */
	size_t n, cap, max;
	uint64_t mod, res;	/* this pass: names whose hash % mod == res */
	int refix;		/* reading again for the windows of dirty names only */
	int overflow, err;
};

static void tab_clear(struct scan *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->tab[i]) {
			flux_sets_fini(&s->tab[i]->sets);
			agg_win_fini(&s->tab[i]->win);
			free(s->tab[i]);
			s->tab[i] = NULL;
		}
	s->n = 0;
}

static struct sdom *tab_get(struct scan *s, const char *name, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);
	while (s->tab[i]) {
		struct sdom *e = s->tab[i];
		if (e->h == h && e->name_len == len && !memcmp(e->name, name, len))
			return e;
		i = (i + 1) & (s->cap - 1);
	}
	if (s->refix)
		return NULL;
	if (s->n >= s->max) {
		s->overflow = 1;
		return NULL;
	}
	struct sdom *e = malloc(sizeof *e + len + 1);
	if (!e) {
		s->err = 1;
		return NULL;
	}
	e->h = h;
	flux_sets_init(&e->sets, FLUX_CAP_MAX, FLUX_CAP_MAX, FLUX_CAP_MAX);
	agg_win_init(&e->win, 0);
	e->first_us = INT64_MAX;
	e->last_us = INT64_MIN;
	e->lookups = 0;
	e->name_len = len;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	s->tab[i] = e;
	s->n++;
	return e;
}

static int on_scan(void *ctx, const char *sensor TIP_UNUSED, const struct store_seg *seg TIP_UNUSED,
		   uint64_t pos TIP_UNUSED,
		   const struct rec *r)
{
	struct scan *s = ctx;
	if (r->type == REC_ENRICH && !s->refix) {
		const struct rec_enrich *e = &r->u.enrich;
		if (e->ip.family == 4 && emap_put(&s->em, a4_at(e->ip.addr), e->asn, r->ts_us) < 0) {
			s->err = 1;
			return 1;
		}
		return 0;
	}
	if (r->type != REC_DNS)
		return 0;
	const struct rec_dns *d = &r->u.dns;
	if (d->n_a4 == 0 && !(d->qtype == 2 && d->n_names))
		return 0;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(&s->o->filter, first, last) || !agg_filter_type(&s->o->filter, d->qtype))
		return 0;
	uint64_t h = flux_name_hash(d->name, d->name_len);
	if (s->mod > 1 && h % s->mod != s->res)
		return 0;
	struct sdom *e = tab_get(s, d->name, d->name_len, h);
	if (s->refix) {	/* only the windows of the dirty names, with their anchors fixed */
		if (e && e->win.fixed && agg_win_add(&e->win, &s->o->filter, first, d->ttl, d->a4,
						     d->n_a4) < 0)
			goto fail;
		return 0;
	}
	if (!e)
		return 1;
	e->lookups += count;
	if (agg_win_add(&e->win, &s->o->filter, first, d->ttl, d->a4, d->n_a4) < 0)
		goto fail;
	if (first < e->first_us)
		e->first_us = first;
	if (last > e->last_us)
		e->last_us = last;
	for (uint32_t i = 0; i < d->n_a4; i++)
		if (flux_sets_add_a(&e->sets, a4_at(d->a4 + 4 * i)) < 0 && errno == ENOMEM)
			goto fail;
	if (d->n_a4)
		flux_sets_answer(&e->sets, d->n_a4);
	if (d->qtype == 2) {
		size_t off = 0, len;
		const char *nm;
		while (rec_dns_name_next(d, &off, &nm, &len))
			if (flux_sets_add_ns(&e->sets, nm, len) < 0 && errno == ENOMEM)
				goto fail;
	}
	return 0;
fail:
	s->err = 1;
	return 1;
}

static uint32_t scan_asn(void *ctx, uint32_t ip)
{
	struct scan *s = ctx;
	uint32_t asn = emap_get(&s->em, ip);
	struct asn_info ai;
	if (!asn && s->o->db && asn_db_lookup(s->o->db, ip, &ai))
		asn = ai.asn;
	return asn;
}

static int row_cmp(const void *a, const void *b)
{
	const struct agg_flux_row *x = a, *y = b;
	if (x->v.score_x100 != y->v.score_x100)
		return x->v.score_x100 > y->v.score_x100 ? -1 : 1;
	int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int keep_rows(struct scan *s, struct agg_flux *out)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct sdom *e = s->tab[i];
		if (!e)
			continue;
		struct flux_verdict v, run;
		out->domains++;
		uint32_t run_unknown = sets_finish(&e->sets, &run, scan_asn, s);
		uint32_t unknown = win_finish(&e->win, &v, scan_asn, s);
		int keep = s->o->use_min ? v.score_x100 >= s->o->min_x100 : v.flux;
		if (!keep && s->o->running)
			keep = s->o->use_min ? run.score_x100 >= s->o->min_x100 : run.flux;
		if (!keep)
			continue;
		if (out->n == out->alloc) {
			size_t na = out->alloc ? out->alloc * 2 : 64;
			void *nv = realloc(out->rows, na * sizeof *out->rows);
			if (!nv)
				return -1;
			out->rows = nv;
			out->alloc = na;
		}
		char *nm = malloc(e->name_len + 1);
		if (!nm)
			return -1;
		memcpy(nm, e->name, e->name_len + 1);
		out->rows[out->n++] = (struct agg_flux_row){nm,	     e->name_len, v,	       run,
							    e->first_us, e->last_us,   e->win.t0,
							    e->win.end,	 e->lookups,   unknown,
							    run_unknown};
		out->asn_unknown += run_unknown;
	}
	return 0;
}

int agg_flux_scan(const struct store_set *set, const struct agg_flux_opts *o, struct agg_flux *out,
		  struct agg_faults *faults)
{
	struct scan s;
	memset(out, 0, sizeof *out);
	memset(&s, 0, sizeof s);
	s.o = o;
	s.faults = faults;
	s.max = o->max_domains ? o->max_domains : AGG_MAX_DOMAINS;
	for (s.cap = 16; s.cap < s.max * 2; s.cap *= 2)
		;
	s.tab = calloc(s.cap, sizeof *s.tab);
	/* residue classes still to read: (mod, res) pairs, split on overflow */
	size_t qn = 1, qalloc = 16;
	uint64_t(*q)[2] = malloc(qalloc * sizeof *q);
	int rc = -1;
	if (!s.tab || !q)
		goto out;
	q[0][0] = 1;
	q[0][1] = 0;
	while (qn) {
		s.mod = q[qn - 1][0];
		s.res = q[qn - 1][1];
		qn--;
		s.overflow = 0;
		out->passes++;
		/* faults are reported on the first pass only */
		store_set_scan(set, on_scan, out->passes == 1 ? agg_on_fault : NULL, &s);
		if (s.err)
			goto out;
		if (s.overflow) {
			tab_clear(&s);
			if (s.mod >= (1ull << 40)) {
				errno = ENOMEM;
				goto out;
			}
			if (qn + 2 > qalloc) {
				qalloc *= 2;
				void *nq = realloc(q, qalloc * sizeof *q);
				if (!nq)
					goto out;
				q = nq;
			}
			q[qn][0] = s.mod * 2;
			q[qn][1] = s.res + s.mod;
			q[qn + 1][0] = s.mod * 2;
			q[qn + 1][1] = s.res;
			qn += 2;
			continue;
		}
		/* names read out of time order whose window lost a record: once more */
		size_t dirty = 0;
		for (size_t i = 0; i < s.cap; i++)
			if (s.tab[i] && s.tab[i]->win.dirty) {
				agg_win_refix(&s.tab[i]->win);
				dirty++;
			}
		if (dirty) {
			s.refix = 1;
			out->passes++;
			out->rescans += dirty;
			store_set_scan(set, on_scan, NULL, &s);
			s.refix = 0;
			if (s.err)
				goto out;
		}
		if (keep_rows(&s, out) < 0)
			goto out;
		tab_clear(&s);
	}
	if (out->n)	/* rows is NULL when nothing matched */
		qsort(out->rows, out->n, sizeof *out->rows, row_cmp);
	out->enrich_full = s.em.full;
	rc = 0;
out:
	if (s.tab)
		tab_clear(&s);
	free(s.tab);
	free(s.em.v);
	free(q);
	return rc;
}

void agg_flux_fini(struct agg_flux *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->rows[i].name);
	free(out->rows);
	memset(out, 0, sizeof *out);
}

/* ---- helpers ---------------------------------------------------------- */

void agg_fmt_score(char *out, size_t cap, int32_t x100)
{
	int64_t v = x100;
	const char *sign = v < 0 ? "-" : "";
	if (v < 0)
		v = -v;
	snprintf(out, cap, "%s%lld.%02lld", sign, (long long)(v / 100), (long long)(v % 100));
}

int agg_parse_score(const char *s, int32_t *x100)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (!*s || *end || errno || d != d || d > 2e7 || d < -2e7)
		return -1;
	*x100 = flux_x100_of(d);
	return 0;
}

int agg_hostname_ok(const char *name, size_t len)
{
	size_t lab = 0, labels = 0;
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (lab == 0 || lab > 63 || name[i - 1] == '-' || name[i - lab] == '-')
				return 0;
			labels++;
			lab = 0;
			continue;
		}
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		lab++;
	}
	return labels >= 2;
}

/* Shared by the commands that read stores: --store, --asn. */
int agg_cli_store(struct store_set *set, const char *cmd, const char *path)
{
	char err[512];
	if (store_set_add(set, path, err, sizeof err) < 0) {
		fprintf(stderr, "tip %s: ", cmd);
		util_put_text(stderr, err, strlen(err));
		fputc('\n', stderr);
		return -1;
	}
	return 0;
}

int agg_cli_time(const char *cmd, const char *opt, const char *arg, int64_t *us)
{
	if (agg_parse_time(arg, us) == 0)
		return 0;
	fprintf(stderr, "tip %s: --%s: not a time (Unix seconds or YYYY-MM-DD[THH:MM[:SS]][Z]): ",
		cmd, opt);
	util_put_text(stderr, arg, strlen(arg));
	fputc('\n', stderr);
	return -1;
}

int agg_cli_score(const char *cmd, const char *arg, int32_t *x100)
{
	if (agg_parse_score(arg, x100) == 0)
		return 0;
	fprintf(stderr, "tip %s: --min-score: not a number: ", cmd);
	util_put_text(stderr, arg, strlen(arg));
	fputc('\n', stderr);
	return -1;
}

int agg_cli_choice(const char *cmd, const char *opt, const struct agg_choice *tab, size_t n,
		   const char *arg, int *value)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i].name, arg)) {
			*value = tab[i].value;
			return 0;
		}
	fprintf(stderr, "tip %s: --%s: one of ", cmd, opt);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", tab[i].name);
	fputs(", not: ", stderr);
	util_put_text(stderr, arg, strlen(arg));
	fputc('\n', stderr);
	return -1;
}

void agg_cli_bad_option(const char *cmd, const char *arg)
{
	fprintf(stderr, "tip %s: unknown or incomplete option: ", cmd);
	util_put_text(stderr, arg, strlen(arg));
	fputc('\n', stderr);
}

int agg_cli_asn(struct asn_db *db, const char *cmd, const char *path)
{
	const char *why = NULL;
	if (asn_db_open(db, path, &why) < 0) {
		fprintf(stderr, "tip %s: ", cmd);
		util_put_text(stderr, path, strlen(path));
		fprintf(stderr, ": not a usable ASN table: %s\n", why ? why : strerror(errno));
		return -1;
	}
	return 0;
}

void agg_domain_ipinfo(const struct agg_domain *d, size_t i, struct agg_ipinfo *out)
{
	if (d->info && i < d->n_ips)
		*out = d->info[i];
	else
		memset(out, 0, sizeof *out);
}

int agg_cli_window(const char *cmd, const char *opt, const char *arg, struct agg_filter *f)
{
	char *end;
	if (!strcmp(opt, "window")) {
		unsigned long v = strtoul(arg, &end, 10);
		if (end == arg || *end || v < 1 || v > 1000 || arg[0] == '-') {
			fprintf(stderr, "tip %s: --window: a number of lookups from 1 to 1000\n", cmd);
			return -1;
		}
		f->window = (unsigned)v;
		return 0;
	}
	/* seconds, or a duration as tipd.conf writes it: "30s", "1h", "1h30m" */
	int64_t sec = -1;
	if (arg[0] >= '0' && arg[0] <= '9') {
		unsigned long long v = strtoull(arg, &end, 10);
		sec = !*end && v <= 100000000 ? (int64_t)v : parse_duration(arg);
	}
	if (sec < 0) {
		fprintf(stderr, "tip %s: --%s: not a duration (30, 30s, 1h): ", cmd, opt);
		util_put_text(stderr, arg, strlen(arg));
		fputc('\n', stderr);
		return -1;
	}
	if (!strcmp(opt, "ttl-min"))
		f->ttl_min_us = sec * 1000000;
	else
		f->ttl_max_us = sec * 1000000;
	if (f->ttl_max_us <= 0) {
		fprintf(stderr, "tip %s: --ttl-max: a positive duration\n", cmd);
		return -1;
	}
	return 0;
}

int agg_cli_window_check(const char *cmd, const struct agg_filter *f)
{
	if (f->ttl_max_us < f->ttl_min_us) {
		fprintf(stderr, "tip %s: --ttl-max is shorter than --ttl-min\n", cmd);
		return -1;
	}
	return 0;
}
