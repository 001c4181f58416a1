/*
 * lookups: the lookup history of one name (lookups.h).  One index lookup
 * of the name; the rows are few (types x outcomes), kept in an array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "lookups.h"

const char *lookups_rcode_name(uint8_t rcode, char buf[16])
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode < sizeof names / sizeof names[0])
		return names[rcode];
	switch (rcode) {
	case RCODE_TIMEOUT: return "TIMEOUT";
	case RCODE_MALFORMED: return "MALFORMED";
	case RCODE_TRUNCATED: return "TRUNCATED";
	case RCODE_NETERR: return "NETERR";
	}
	snprintf(buf, 16, "RCODE%u", rcode);
	return buf;
}

struct lk_ctx {
	struct agg_faults *faults;	/* first: agg_on_fault reads it */
	struct lookups *l;
	const struct agg_filter *f;
	const char *name;
	size_t len;
	int err;
};

static void ttl_note(struct lookup_row *r, uint32_t ttl)
{
	unsigned i = 0;
	while (i < r->n_ttls && r->ttls[i] < ttl)
		i++;
	if (i < r->n_ttls && r->ttls[i] == ttl)
		return;
	if (r->n_ttls == LOOKUPS_TTLS) {
		r->ttls_over++;
		return;
	}
	memmove(r->ttls + i + 1, r->ttls + i, (r->n_ttls - i) * sizeof *r->ttls);
	r->ttls[i] = ttl;
	r->n_ttls++;
}

static int on_lookup(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		     const struct rec *r)
{
	struct lk_ctx *c = ctx;
	const struct rec_dns *d = &r->u.dns;
	(void)sensor, (void)seg, (void)pos;
	if (r->type != REC_DNS || d->name_len != c->len || memcmp(d->name, c->name, c->len))
		return 0;
	int64_t first, last;
	uint64_t count;
	agg_dns_times(r, &first, &last, &count);
	if (!agg_filter_match(c->f, first, last) || !agg_filter_type(c->f, d->qtype))
		return 0;
	uint8_t answered = d->n_a4 + d->n_a6 + d->n_names > 0;
	struct lookup_row *row = NULL;
	for (size_t i = 0; i < c->l->n; i++)
		if (c->l->v[i].qtype == d->qtype && c->l->v[i].rcode == d->rcode &&
		    c->l->v[i].answered == answered)
			row = &c->l->v[i];
	if (!row) {
		if (c->l->n == c->l->alloc) {
			size_t na = c->l->alloc ? c->l->alloc * 2 : 8;
			void *nv = realloc(c->l->v, na * sizeof *c->l->v);
			if (!nv) {
				c->err = 1;
				return 1;
			}
			c->l->v = nv;
			c->l->alloc = na;
		}
		row = &c->l->v[c->l->n++];
		memset(row, 0, sizeof *row);
		row->qtype = d->qtype;
		row->rcode = d->rcode;
		row->answered = answered;
		row->first_us = INT64_MAX;
		row->last_us = INT64_MIN;
	}
	if (first < row->first_us)
		row->first_us = first;
	if (last > row->last_us)
		row->last_us = last;
	row->count += count;
	if (answered)
		ttl_note(row, d->ttl);
	if (d->rcode)
		c->l->failed += count;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct lookup_row *x = a, *y = b;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return (int)x->qtype - (int)y->qtype;
}

int lookups_collect(const struct store_set *set, const char *name, const struct agg_filter *f,
		    struct lookups *out, struct agg_faults *faults)
{
	uint8_t key[INDEX_KEY_MAX];
	memset(out, 0, sizeof *out);
	size_t kl = index_key_domain(key, name, strlen(name));
	if (!kl)
		return 0;
	/* the key is the normalised name: compare records against it */
	struct lk_ctx c = {faults, out, f, (const char *)key + 1, kl - 1, 0};
	store_set_lookup(set, key, kl, on_lookup, agg_on_fault, &c);
	if (c.err)
		return -1;
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, row_cmp);
	return 0;
}

void lookups_fini(struct lookups *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}
