/*
 * match: wildcards and prefixes answered by the index's member lists
 * (match.h).  The aggregation mirrors agg_domain_lookup and agg_ip_lookup:
 * one pass over the segments gathers every record of every matching name
 * or address, then the ASNs of all the addresses come in one batch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "match.h"

static char lower(char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

int match_wild_parse(const char *text, struct match_wild *p)
{
	size_t n = strlen(text);
	const char *star = memchr(text, '*', n);
	if (!star)
		return 0;
	memset(p, 0, sizeof *p);
	const char *b;
	size_t len;
	if (n >= 3 && text[0] == '*' && text[1] == '.') {
		p->kind = IX_SUFFIX;
		b = text + 2;
		len = n - 2;
		if (len && b[len - 1] == '.')
			len--;	/* "*.example.com." */
	} else if (n >= 3 && text[n - 1] == '*' && text[n - 2] == '.') {
		p->kind = IX_PREFIX;
		b = text;
		len = n - 2;
	} else {
		return -1;
	}
	if (!len || len > REC_NAME_MAX - 2 || memchr(b, '*', len) || b[0] == '.' || b[len - 1] == '.')
		return -1;
	for (size_t i = 0; i < len; i++)
		p->text[i] = lower(b[i]);
	p->len = len;
	return 1;
}

int match_wild_ok(const struct match_wild *p, const uint8_t *k, size_t kl)
{
	if (kl < 1 || k[0] != IX_DOMAIN)
		return 0;
	const uint8_t *nm = k + 1;
	size_t n = kl - 1;
	if (n < p->len + 2)
		return 0;	/* at least one more label */
	if (p->kind == IX_SUFFIX)
		return nm[n - p->len - 1] == '.' && !memcmp(nm + n - p->len, p->text, p->len) &&
		       nm[0] != '.';
	return nm[p->len] == '.' && !memcmp(nm, p->text, p->len) && nm[n - 1] != '.';
}

static void mask(uint8_t *a, size_t alen, unsigned bits)
{
	for (size_t i = 0; i < alen; i++) {
		unsigned lo = (unsigned)i * 8;
		if (bits >= lo + 8)
			continue;
		a[i] = bits <= lo ? 0 : (uint8_t)(a[i] & (0xff00u >> (bits - lo)));
	}
}

int match_net_parse(const char *text, struct match_net *n, const char **why)
{
	const char *slash = strchr(text, '/');
	char a[INET6_ADDRSTRLEN + 1];
	if (!slash)
		return 0;
	*why = "not an address prefix (A.B.C.D/N or X:X::/N)";
	size_t al = (size_t)(slash - text);
	if (al == 0 || al >= sizeof a)
		return -1;
	memcpy(a, text, al);
	a[al] = '\0';
	memset(n, 0, sizeof *n);
	if (inet_pton(AF_INET, a, n->addr) == 1)
		n->family = 4;
	else if (inet_pton(AF_INET6, a, n->addr) == 1)
		n->family = 6;
	else
		return -1;
	const char *b = slash + 1;
	char *end;
	if (*b < '0' || *b > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(b, &end, 10);
	if (*end || errno || v > (n->family == 4 ? 32u : 128u)) {
		*why = n->family == 4 ? "prefix length of an IPv4 network: 0 to 32"
				      : "prefix length of an IPv6 network: 0 to 128";
		return -1;
	}
	n->bits = (unsigned)v;
	mask(n->addr, n->family == 4 ? 4 : 16, n->bits);
	return 1;
}

int match_net_ok(const struct match_net *n, const uint8_t *k, size_t kl)
{
	size_t alen = n->family == 4 ? 4 : 16;
	if (kl != 1 + alen || k[0] != (n->family == 4 ? IX_IP4 : IX_IP6))
		return 0;
	uint8_t a[16];
	memcpy(a, k + 1, alen);
	mask(a, alen, n->bits);
	return !memcmp(a, n->addr, alen);
}

/*
 * The 'n' list keys covering n: at the smallest list level at or above its
 * length (the lists are /8, /16, /24 and /16 ... /64), 2^(level - bits) of
 * them; a longer prefix is one list, filtered by match_net_ok.
 */
static int net_keys(const struct match_net *n, uint8_t ***keys, size_t **lens, size_t *count)
{
	unsigned lo = n->family == 4 ? 8 : 16, hi = n->family == 4 ? 24 : 64;
	unsigned level = n->bits <= lo ? lo : n->bits >= hi ? hi : (n->bits + 7) / 8 * 8;
	unsigned extra = level > n->bits ? level - n->bits : 0;
	size_t c = (size_t)1 << extra;
	uint8_t **k = calloc(c, sizeof *k);
	size_t *l = calloc(c, sizeof *l);
	if (!k || !l)
		goto fail;
	for (size_t i = 0; i < c; i++) {
		uint8_t a[16];
		memcpy(a, n->addr, 16);
		/* add i at bit position level - 1 (the last bit of the list's prefix) */
		uint64_t carry = (uint64_t)i;
		for (int b = (int)level / 8 - 1; b >= 0 && carry; b--) {
			uint64_t s = a[b] + (carry & 0xff);
			a[b] = (uint8_t)s;
			carry = (carry >> 8) + (s >> 8);
		}
		if (!(k[i] = malloc(INDEX_KEY_MAX)))
			goto fail;
		l[i] = index_key_net(k[i], n->family, a, level);
	}
	*keys = k;
	*lens = l;
	*count = c;
	return 0;
fail:
	if (k)
		for (size_t i = 0; i < c; i++)
			free(k[i]);
	free(k);
	free(l);
	return -1;
}

static void keys_free(uint8_t **k, size_t *l, size_t c)
{
	for (size_t i = 0; i < c; i++)
		free(k[i]);
	free(k);
	free(l);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* ---- names ---------------------------------------------------------------- */

struct doms_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct match_doms *m;
	const struct match_wild *p;
	const struct agg_filter *f;
	struct agg_rrsets *rr;
	int err;
};

static int doms_grow(struct match_doms *m)
{
	size_t ns = m->tsize ? m->tsize * 2 : 256;
	size_t *nt = calloc(ns, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t h = hash_bytes(14695981039346656037ull, m->v[i]->name, m->v[i]->name_len);
		size_t j = h & (ns - 1);
		while (nt[j])
			j = (j + 1) & (ns - 1);
		nt[j] = i + 1;
	}
	free(m->tab);
	m->tab = nt;
	m->tsize = ns;
	return 0;
}

static struct agg_domain *doms_get(struct match_doms *m, const char *name, size_t len)
{
	if ((m->n + 1) * 2 > m->tsize && doms_grow(m) < 0)
		return NULL;
	uint64_t h = hash_bytes(14695981039346656037ull, name, len);
	size_t j = h & (m->tsize - 1);
	for (; m->tab[j]; j = (j + 1) & (m->tsize - 1)) {
		struct agg_domain *d = m->v[m->tab[j] - 1];
		if (d->name_len == len && !memcmp(d->name, name, len))
			return d;
	}
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 16;
		void *nv = realloc(m->v, na * sizeof *m->v);
		if (!nv)
			return NULL;
		m->v = nv;
		m->alloc = na;
	}
	struct agg_domain *d = malloc(sizeof *d);
	if (!d)
		return NULL;
	agg_domain_init(d, name, len, 1);
	m->v[m->n++] = d;
	m->tab[j] = m->n;
	return d;
}

static int on_dom(void *ctx, const uint8_t *k, size_t kl, const char *sensor,
		  const struct store_seg *seg, uint64_t pos, const struct rec *r)
{
	struct doms_ctx *c = ctx;
	(void)seg, (void)pos;
	if (r->type != REC_DNS)
		return 0;
	struct agg_domain *d = doms_get(c->m, (const char *)k + 1, kl - 1);
	if (!d || agg_domain_add(d, r, c->f) < 0)
		goto fail;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (c->rr && agg_filter_match(c->f, first, last) && agg_filter_type(c->f, r->u.dns.qtype) &&
	    agg_rrsets_add(c->rr, sensor, r) < 0)
		goto fail;
	return 0;
fail:
	c->err = 1;
	return 1;
}

static int dom_ok(void *ctx, const uint8_t *k, size_t kl)
{
	struct doms_ctx *c = ctx;
	return match_wild_ok(c->p, k, kl);
}

static int dom_cmp(const void *a, const void *b)
{
	const struct agg_domain *x = *(const struct agg_domain *const *)a;
	const struct agg_domain *y = *(const struct agg_domain *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

struct asn_pair {
	uint32_t ip, asn;
};

static int pair_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct asn_pair *)a)->ip, y = ((const struct asn_pair *)b)->ip;
	return (x > y) - (x < y);
}

int match_domains(const struct store_set *set, const struct asn_db *db, const struct match_wild *p,
		  const struct agg_filter *f, struct match_doms *out, struct agg_rrsets *rrsets,
		  struct agg_faults *faults)
{
	uint8_t lk[INDEX_KEY_MAX];
	memset(out, 0, sizeof *out);
	lk[0] = p->kind;
	memcpy(lk + 1, p->text, p->len);
	const uint8_t *keys[1] = {lk};
	size_t lens[1] = {p->len + 1};
	struct doms_ctx c = {faults, out, p, f, rrsets, 0};
	store_set_lookup_members(set, keys, lens, 1, dom_ok, on_dom, agg_on_fault, &c);
	if (c.err)
		return -1;
	if (rrsets)
		agg_rrsets_finish(rrsets);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, dom_cmp);
	/* every address of every name: one batch for their ASNs */
	size_t nips = 0;
	for (size_t i = 0; i < out->n; i++)
		nips += out->v[i]->n_ips;
	struct asn_pair *pairs = nips ? malloc(nips * sizeof *pairs) : NULL;
	if (nips && !pairs)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = 0; j < out->v[i]->n_ips; j++)
			pairs[k++].ip = out->v[i]->ips[j].ip;
	if (nips)	/* no address (a window without answers): qsort must not see NULL */
		qsort(pairs, nips, sizeof *pairs, pair_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nips; i++)
		if (!u || pairs[u - 1].ip != pairs[i].ip)
			pairs[u++] = pairs[i];
	if (u) {
		uint32_t *ips = malloc(u * sizeof *ips);
		struct agg_ipinfo *info = malloc(u * sizeof *info);
		if (!ips || !info) {
			free(ips), free(info), free(pairs);
			return -1;
		}
		for (size_t i = 0; i < u; i++)
			ips[i] = pairs[i].ip;
		int rc = agg_ips_info(set, db, ips, u, info, faults);
		for (size_t i = 0; i < u; i++)
			pairs[i].asn = info[i].asn;
		free(ips);
		free(info);
		if (rc < 0) {
			free(pairs);
			return -1;
		}
	}
	for (size_t i = 0; i < out->n; i++) {
		struct agg_domain *d = out->v[i];
		for (size_t j = 0; j < d->n_ips; j++) {
			struct asn_pair key = {d->ips[j].ip, 0};
			struct asn_pair *hit = bsearch(&key, pairs, u, sizeof *pairs, pair_cmp);
			d->ips[j].asn = hit ? hit->asn : 0;
		}
		agg_domain_finish(d, agg_domain_asn_of, d);
	}
	free(pairs);
	free(out->tab);
	out->tab = NULL;
	out->tsize = 0;
	return 0;
}

void match_doms_fini(struct match_doms *m)
{
	for (size_t i = 0; i < m->n; i++) {
		agg_domain_fini(m->v[i]);
		free(m->v[i]);
	}
	free(m->v);
	free(m->tab);
	memset(m, 0, sizeof *m);
}

/* ---- addresses ------------------------------------------------------------ */

struct pairs_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct match_pairs *m;
	const struct match_net *n;
	const struct agg_filter *f;
	struct agg_rrsets *rr;
	size_t *tab;
	size_t tsize;
	int err;
};

static uint64_t pair_hash(int family, const uint8_t *a, const char *name, size_t len)
{
	uint64_t h = hash_bytes(14695981039346656037ull, a, family == 4 ? 4 : 16);
	return hash_bytes(h, name, len);
}

static int pairs_grow(struct pairs_ctx *c)
{
	size_t ns = c->tsize ? c->tsize * 2 : 256;
	size_t *nt = calloc(ns, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < c->m->n; i++) {
		const struct match_pair *p = &c->m->v[i];
		size_t j = pair_hash(p->family, p->addr, p->name, p->name_len) & (ns - 1);
		while (nt[j])
			j = (j + 1) & (ns - 1);
		nt[j] = i + 1;
	}
	free(c->tab);
	c->tab = nt;
	c->tsize = ns;
	return 0;
}

static int first_in_net(const struct match_net *n, const struct rec_dns *d, int family,
			const uint8_t *a)
{
	uint8_t k[17];
	size_t alen = family == 4 ? 4 : 16;
	uint32_t cnt = family == 4 ? d->n_a4 : d->n_a6;
	const uint8_t *v = family == 4 ? d->a4 : d->a6;
	k[0] = family == 4 ? IX_IP4 : IX_IP6;
	for (uint32_t i = 0; i < cnt; i++) {
		memcpy(k + 1, v + alen * i, alen);
		if (match_net_ok(n, k, alen + 1))
			return !memcmp(v + alen * i, a, alen);
	}
	return 0;
}

static int on_pair(void *ctx, const uint8_t *k, size_t kl, const char *sensor,
		   const struct store_seg *seg, uint64_t pos, const struct rec *r)
{
	struct pairs_ctx *c = ctx;
	const struct rec_dns *d = &r->u.dns;
	(void)seg, (void)pos;
	if (r->type != REC_DNS)
		return 0;
	int family = k[0] == IX_IP4 ? 4 : 6;
	size_t alen = family == 4 ? 4 : 16;
	(void)kl;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(c->f, first, last) || !agg_filter_type(c->f, d->qtype))
		return 0;
	/* a record with several addresses of the prefix comes once per address:
	 * its RRset counts with the first of them only */
	if (c->rr && first_in_net(c->n, d, family, k + 1) && agg_rrsets_add(c->rr, sensor, r) < 0)
		goto fail;
	if ((c->m->n + 1) * 2 > c->tsize && pairs_grow(c) < 0)
		goto fail;
	size_t j = pair_hash(family, k + 1, d->name, d->name_len) & (c->tsize - 1);
	for (; c->tab[j]; j = (j + 1) & (c->tsize - 1)) {
		struct match_pair *p = &c->m->v[c->tab[j] - 1];
		if (p->family == family && !memcmp(p->addr, k + 1, alen) && p->name_len == d->name_len &&
		    !memcmp(p->name, d->name, d->name_len)) {
			if (first < p->first_us)
				p->first_us = first;
			if (last > p->last_us)
				p->last_us = last;
			p->count += count;
			return 0;
		}
	}
	if (c->m->n == c->m->alloc) {
		size_t na = c->m->alloc ? c->m->alloc * 2 : 64;
		void *nv = realloc(c->m->v, na * sizeof *c->m->v);
		if (!nv)
			goto fail;
		c->m->v = nv;
		c->m->alloc = na;
	}
	char *nm = malloc(d->name_len + 1);
	if (!nm)
		goto fail;
	memcpy(nm, d->name, d->name_len);
	nm[d->name_len] = '\0';
	struct match_pair *p = &c->m->v[c->m->n++];
	memset(p, 0, sizeof *p);
	p->family = family;
	memcpy(p->addr, k + 1, alen);
	p->name = nm;
	p->name_len = d->name_len;
	p->first_us = first;
	p->last_us = last;
	p->count = count;
	c->tab[j] = c->m->n;
	return 0;
fail:
	c->err = 1;
	return 1;
}

static int net_ok(void *ctx, const uint8_t *k, size_t kl)
{
	struct pairs_ctx *c = ctx;
	return match_net_ok(c->n, k, kl);
}

static int mp_cmp(const void *a, const void *b)
{
	const struct match_pair *x = a, *y = b;
	if (x->family != y->family)
		return x->family - y->family;
	int c = memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
	if (c)
		return c;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	c = memcmp(x->name, y->name, n);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

int match_pairs_net(const struct store_set *set, const struct match_net *n,
		    const struct agg_filter *f, struct match_pairs *out, struct agg_rrsets *rrsets,
		    struct agg_faults *faults)
{
	uint8_t **keys;
	size_t *lens, nk;
	memset(out, 0, sizeof *out);
	if (net_keys(n, &keys, &lens, &nk) < 0)
		return -1;
	struct pairs_ctx c = {faults, out, n, f, rrsets, NULL, 0, 0};
	store_set_lookup_members(set, (const uint8_t *const *)keys, lens, nk, net_ok, on_pair,
				 agg_on_fault, &c);
	keys_free(keys, lens, nk);
	free(c.tab);
	if (c.err)
		return -1;
	if (rrsets)
		agg_rrsets_finish(rrsets);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, mp_cmp);
	for (size_t i = 0; i < out->n; i++)
		if (!i || out->v[i].family != out->v[i - 1].family ||
		    memcmp(out->v[i].addr, out->v[i - 1].addr, 16))
			out->addrs++;
	return 0;
}

void match_pairs_fini(struct match_pairs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof *m);
}
