/*
 * spam: "seen in spam" for a key (spam.h).  Two passes: the extracts that
 * carry the key give the messages; one batched lookup of their digests
 * ('g' keys) gives every record of each message, repeats included, which
 * is its count and its first and last seen.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdefs.h"
#include "index.h"
#include "rec_spam.h"
#include "spam.h"

struct ctx {
	struct agg_faults *faults;	/* first: agg_on_fault's contract */
	struct spam_result *res;
	int64_t since, until;
	int oom;
};

static struct spam_message *find(struct spam_result *res, const uint8_t *digest)
{
	for (size_t i = 0; i < res->n; i++)
		if (!memcmp(res->msgs[i].digest, digest, 32))
			return &res->msgs[i];
	return NULL;
}

static int on_extract(void *vc, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		      uint64_t pos TIP_UNUSED, const struct rec *r)
{
	struct ctx *c = vc;
	struct spam_result *res = c->res;
	const struct rec_spam *s = &r->u.spam;
	if (r->type != REC_SPAM || s->op != REC_SPAM_EXTRACT || r->ts_us < c->since ||
	    r->ts_us > c->until || find(res, s->digest))
		return 0;
	if (res->n == res->cap) {
		size_t nc = res->cap ? res->cap * 2 : 16;
		struct spam_message *m = realloc(res->msgs, nc * sizeof *m);
		if (!m) {
			c->oom = 1;
			return 1;
		}
		res->msgs = m;
		res->cap = nc;
	}
	struct spam_message *m = &res->msgs[res->n++];
	memset(m, 0, sizeof *m);
	memcpy(m->digest, s->digest, 32);
	m->sender = s->sender;
	m->subject_len = s->subject_len < sizeof m->subject ? s->subject_len : sizeof m->subject - 1;
	memcpy(m->subject, s->subject, m->subject_len);
	size_t fl = s->from_len < sizeof m->from ? s->from_len : sizeof m->from - 1;
	memcpy(m->from, s->from, fl);
	snprintf(m->sensor, sizeof m->sensor, "%s", sensor);
	m->first_us = INT64_MAX;
	m->last_us = INT64_MIN;
	return 0;
}

static int on_digest(void *vc, size_t key_i, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED, const struct rec *r)
{
	struct ctx *c = vc;
	if (r->type != REC_SPAM || key_i >= c->res->n ||
	    memcmp(r->u.spam.digest, c->res->msgs[key_i].digest, 32))
		return 0;
	struct spam_message *m = &c->res->msgs[key_i];
	m->count++;
	if (r->ts_us < m->first_us)
		m->first_us = r->ts_us;
	if (r->ts_us > m->last_us)
		m->last_us = r->ts_us;
	return 0;
}

static int by_first(const void *a, const void *b)
{
	const struct spam_message *x = a, *y = b;
	return x->first_us < y->first_us ? -1 : x->first_us > y->first_us;
}

int spam_lookup(const struct store_set *set, const uint8_t *key, size_t klen, int64_t since_us,
		int64_t until_us, struct spam_result *res, struct agg_faults *faults)
{
	struct ctx c = {faults, res, since_us, until_us, 0};
	memset(res, 0, sizeof *res);
	store_set_lookup(set, key, klen, on_extract, agg_on_fault, &c);
	if (c.oom)
		return -1;
	if (!res->n)
		return 0;
	uint8_t *kb = malloc(res->n * 33);
	const uint8_t **keys = malloc(res->n * sizeof *keys);
	size_t *lens = malloc(res->n * sizeof *lens);
	if (!kb || !keys || !lens) {
		free(kb);
		free(keys);
		free(lens);
		return -1;
	}
	for (size_t i = 0; i < res->n; i++) {
		lens[i] = index_key_bytes(kb + 33 * i, IX_DIGEST, res->msgs[i].digest, 32);
		keys[i] = kb + 33 * i;
	}
	store_set_lookup_many(set, keys, lens, res->n, on_digest, agg_on_fault, &c);
	free(kb);
	free(keys);
	free(lens);
	qsort(res->msgs, res->n, sizeof *res->msgs, by_first);
	res->first_us = INT64_MAX;
	res->last_us = INT64_MIN;
	for (size_t i = 0; i < res->n; i++) {
		res->count += res->msgs[i].count;
		if (res->msgs[i].first_us < res->first_us)
			res->first_us = res->msgs[i].first_us;
		if (res->msgs[i].last_us > res->last_us)
			res->last_us = res->msgs[i].last_us;
	}
	return 0;
}

void spam_result_free(struct spam_result *res)
{
	free(res->msgs);
	memset(res, 0, sizeof *res);
}

size_t spam_key_parse(uint8_t *out, uint8_t kind, const char *text)
{
	uint8_t a[32];
	if (kind == IX_SENDER) {
		if (inet_pton(AF_INET, text, a) == 1)
			return index_key_bytes(out, IX_SENDER, a, 4);
		if (inet_pton(AF_INET6, text, a) == 1)
			return index_key_bytes(out, IX_SENDER, a, 16);
		return 0;
	}
	if (kind == IX_ATTACH) {
		if (strlen(text) != 64)
			return 0;
		for (int i = 0; i < 32; i++) {
			unsigned v;
			char h[3] = {text[2 * i], text[2 * i + 1], 0};
			char *end;
			if (!((h[0] >= '0' && h[0] <= '9') || ((h[0] | 32) >= 'a' && (h[0] | 32) <= 'f')))
				return 0;
			v = (unsigned)strtoul(h, &end, 16);
			if (*end)
				return 0;
			a[i] = (uint8_t)v;
		}
		return index_key_bytes(out, IX_ATTACH, a, 32);
	}
	return index_key_kind(out, IX_MAILNAME, text, strlen(text));
}
