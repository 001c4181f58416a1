/*
 * flux_score: Holz fast-flux score over bounded sorted sets (see
 * flux_score.h).  Invariant: every set's values are strictly increasing
 * in v[0..n), n <= alloc <= cap, and v is NULL exactly when alloc is 0.
 * Sets are small (a benign domain has one to a few addresses), so a
 * sorted array with binary search and memmove beats a hash table in both
 * memory and speed here.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "flux_score.h"

static unsigned clamp_cap(unsigned cap, unsigned def)
{
	if (cap == 0)
		return def;
	return cap > FLUX_CAP_MAX ? FLUX_CAP_MAX : cap;
}

static void set_init(struct flux_set *set, unsigned cap, int wide)
{
	memset(set, 0, sizeof *set);
	set->cap = (uint16_t)cap;
	set->wide = (uint16_t)wide;
}

void flux_sets_init(struct flux_sets *s, unsigned cap_a, unsigned cap_asn, unsigned cap_ns)
{
	memset(s, 0, sizeof *s);
	set_init(&s->a, clamp_cap(cap_a, FLUX_CAP_A), 0);
	set_init(&s->asn, clamp_cap(cap_asn, FLUX_CAP_ASN), 0);
	set_init(&s->ns, clamp_cap(cap_ns, FLUX_CAP_NS), 1);
}

void flux_sets_fini(struct flux_sets *s)
{
	free(s->a.v);
	free(s->asn.v);
	free(s->ns.v);
	s->a.v = s->asn.v = s->ns.v = NULL;
	s->a.n = s->asn.n = s->ns.n = 0;
	s->a.alloc = s->asn.alloc = s->ns.alloc = 0;
}

static uint64_t val_at(const struct flux_set *set, unsigned i)
{
	return set->wide ? ((const uint64_t *)set->v)[i] : ((const uint32_t *)set->v)[i];
}

/* Index of the first value >= x. */
static unsigned lower_bound(const struct flux_set *set, uint64_t x)
{
	unsigned lo = 0, hi = set->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (val_at(set, mid) < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int set_has(const struct flux_set *set, uint64_t x)
{
	unsigned i = lower_bound(set, x);
	return i < set->n && val_at(set, i) == x;
}

static int set_add(struct flux_set *set, uint64_t x)
{
	size_t esz = set->wide ? sizeof(uint64_t) : sizeof(uint32_t);
	unsigned i = lower_bound(set, x);

	if (i < set->n && val_at(set, i) == x)
		return 0;
	if (set->n >= set->cap) {
		if (set->over < UINT32_MAX)
			set->over++;
		errno = ENOSPC;
		return -1;
	}
	if (set->n == set->alloc) {
		unsigned na = set->alloc ? set->alloc * 2u : 4u;
		if (na > set->cap)
			na = set->cap;
		void *nv = realloc(set->v, na * esz);
		if (!nv) {
			errno = ENOMEM;
			return -1;
		}
		set->v = nv;
		set->alloc = (uint16_t)na;
	}
	uint8_t *base = set->v;
	memmove(base + (i + 1) * esz, base + i * esz, (set->n - i) * esz);
	if (set->wide)
		((uint64_t *)set->v)[i] = x;
	else
		((uint32_t *)set->v)[i] = (uint32_t)x;
	set->n++;
	return 1;
}

int flux_sets_add_a(struct flux_sets *s, uint32_t ipv4)
{
	return set_add(&s->a, ipv4);
}

int flux_sets_add_asn(struct flux_sets *s, uint32_t asn)
{
	return set_add(&s->asn, asn);
}

uint64_t flux_name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	/* "Example.COM." and "example.com" are the same NS name. */
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= 0x100000001b3ull;
	}
	return h;
}

int flux_sets_add_ns(struct flux_sets *s, const char *name, size_t len)
{
	return set_add(&s->ns, flux_name_hash(name, len));
}

int flux_sets_has_a(const struct flux_sets *s, uint32_t ipv4)
{
	return set_has(&s->a, ipv4);
}

int flux_sets_has_asn(const struct flux_sets *s, uint32_t asn)
{
	return set_has(&s->asn, asn);
}

void flux_sets_answer(struct flux_sets *s, unsigned n_records)
{
	if (s->answers < UINT32_MAX)
		s->answers++;
	s->records = (UINT32_MAX - s->records < n_records) ? UINT32_MAX : s->records + n_records;
}

int32_t flux_score_x100(uint32_t n_a, uint32_t n_asn, uint32_t n_ns)
{
	int64_t f = (int64_t)FLUX_W_A * n_a + (int64_t)FLUX_W_ASN * n_asn + (int64_t)FLUX_W_NS * n_ns;
	return f > INT32_MAX ? INT32_MAX : (int32_t)f;
}

double flux_score(uint32_t n_a, uint32_t n_asn, uint32_t n_ns)
{
	return flux_score_x100(n_a, n_asn, n_ns) / 100.0;
}

int32_t flux_x100_of(double score)
{
	double x = score * 100.0;
	if (x > 2e9)
		x = 2e9;
	if (x < -2e9 || x != x)
		x = -2e9;
	return (int32_t)(x < 0 ? x - 0.5 : x + 0.5);	/* no libm in tip */
}

int flux_is_flux(int32_t score_x100)
{
	return score_x100 > FLUX_THRESHOLD;
}

void flux_sets_verdict(const struct flux_sets *s, struct flux_verdict *v)
{
	v->n_a = s->a.n;
	v->n_asn = s->asn.n;
	v->n_ns = s->ns.n;
	v->score_x100 = flux_score_x100(v->n_a, v->n_asn, v->n_ns);
	v->margin_x100 = v->score_x100 - FLUX_THRESHOLD;
	v->flux = flux_is_flux(v->score_x100);
	v->capped = s->a.over || s->asn.over || s->ns.over;
}

double flux_sets_fluxiness(const struct flux_sets *s)
{
	if (s->answers == 0 || s->a.n == 0)
		return 0.0;
	return ((double)s->records / s->answers) / s->a.n;
}

int64_t flux_window_span_us(uint32_t ttl, unsigned window, int64_t ttl_min_us, int64_t ttl_max_us)
{
	if (!window)
		window = FLUX_WINDOW;
	if (ttl_max_us <= 0)
		ttl_max_us = FLUX_TTL_MAX_S * 1000000LL;
	if (ttl_min_us < 0)
		ttl_min_us = 0;
	if (ttl_min_us > ttl_max_us)
		ttl_min_us = ttl_max_us;
	int64_t t = ttl ? (int64_t)ttl * 1000000 : ttl_max_us;
	if (t < ttl_min_us)
		t = ttl_min_us;
	if (t > ttl_max_us)
		t = ttl_max_us;
	return t * window - t / 2;
}
