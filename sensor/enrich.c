/*
 * enrich: the address cache and question queue of the fast-flux module
 * (enrich.h).  The hash table is sized once, at the first entry, to the
 * power of two at or above the cache's cap; entries are unlinked from
 * both the hash chain and the LRU list before they are freed.  The queue
 * is a ring of qcap slots allocated at init, so a push never allocates.
 * Answers arrive as resolver.h answers: every byte in them is untrusted
 * and read through cymru.h's parser or bounds-checked here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cymru.h"
#include "enrich.h"
#include "rec.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

int enrich_init(struct enrich *en, size_t cap, size_t qcap)
{
	memset(en, 0, sizeof *en);
	en->cap = cap;
	en->qcap = qcap;
	en->q = calloc(qcap ? qcap : 1, sizeof *en->q);
	return en->q ? 0 : -1;
}

void enrich_fini(struct enrich *en)
{
	while (en->lru_head) {
		struct enrich_ip *e = en->lru_head;
		en->lru_head = e->lnext;
		free(e->ptr);
		free(e);
	}
	free(en->tab);
	free(en->q);
	memset(en, 0, sizeof *en);
}

static size_t slot(const struct enrich *en, uint32_t ip)
{
	return (size_t)mix64(ip) & (en->tab_cap - 1);
}

static void lru_unlink(struct enrich *en, struct enrich_ip *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		en->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		en->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_append(struct enrich *en, struct enrich_ip *e)
{
	e->lnext = NULL;
	e->lprev = en->lru_tail;
	if (en->lru_tail)
		en->lru_tail->lnext = e;
	else
		en->lru_head = e;
	en->lru_tail = e;
}

struct enrich_ip *enrich_find(struct enrich *en, uint32_t ip)
{
	if (!en->tab_cap)
		return NULL;
	for (struct enrich_ip *e = en->tab[slot(en, ip)]; e; e = e->hnext)
		if (e->ip == ip) {
			if (e != en->lru_tail) {
				lru_unlink(en, e);
				lru_append(en, e);
			}
			return e;
		}
	return NULL;
}

static void evict(struct enrich *en, struct enrich_ip *e)
{
	struct enrich_ip **pp = &en->tab[slot(en, e->ip)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(en, e);
	free(e->ptr);
	free(e);
	en->n--;
}

struct enrich_ip *enrich_get(struct enrich *en, uint32_t ip)
{
	struct enrich_ip *e = enrich_find(en, ip);
	if (e)
		return e;
	if (!en->tab_cap) {
		size_t cap = 64;
		while (cap < en->cap)
			cap *= 2;
		en->tab = calloc(cap, sizeof *en->tab);
		if (!en->tab)
			return NULL;
		en->tab_cap = cap;
	}
	while (en->n >= en->cap && en->lru_head) {
		evict(en, en->lru_head);
		en->evicted++;
	}
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->ip = ip;
	size_t s = slot(en, ip);
	e->hnext = en->tab[s];
	en->tab[s] = e;
	lru_append(en, e);
	en->n++;
	return e;
}

void enrich_expire_all(struct enrich *en)
{
	for (struct enrich_ip *e = en->lru_head; e; e = e->lnext)
		e->expires_s = 0;
}

int enrich_push(struct enrich *en, uint32_t ip, int kind)
{
	if (en->q_n >= en->qcap || !en->q) {
		en->dropped++;
		return -1;
	}
	en->q[(en->q_head + en->q_n++) % en->qcap] = (struct enrich_q){ip, (uint8_t)kind};
	return 0;
}

int enrich_peek(const struct enrich *en, struct enrich_q *out)
{
	if (!en->q_n)
		return 0;
	*out = en->q[en->q_head];
	return 1;
}

void enrich_pop(struct enrich *en)
{
	if (!en->q_n)
		return;
	en->q_head = (en->q_head + 1) % en->qcap;
	en->q_n--;
}

int enrich_settled(const struct enrich_ip *e)
{
	return e->asn_st != ENRICH_QUEUED && e->asn_st != ENRICH_BUSY &&
	       e->ptr_st != ENRICH_QUEUED && e->ptr_st != ENRICH_BUSY;
}

uint32_t enrich_set_db(struct enrich_ip *e, const struct asn_db *db, uint32_t t, uint32_t ttl_s)
{
	struct asn_info in;
	uint32_t asn = 0;
	char cc[2] = {0, 0};
	if (asn_db_lookup(db, e->ip, &in) == 1) {
		asn = in.asn;
		if (in.cc[0] && in.cc[1])
			memcpy(cc, in.cc, 2);
	}
	if (e->asn[0] != asn || e->asn[1] || memcmp(e->cc, cc, 2))
		e->dirty = 1;
	e->asn[0] = asn;
	e->asn[1] = 0;
	memcpy(e->cc, cc, 2);
	e->asn_st = asn ? ENRICH_DONE : ENRICH_FAIL;
	e->expires_s = t + ttl_s;
	return asn;
}

int enrich_set_txt(struct enrich_ip *e, const struct resolver_answer *a, uint32_t t,
		   uint32_t ttl_s)
{
	struct cymru_info ci;
	int found = 0;
	for (unsigned i = 0; a->outcome == RESOLVER_OK && i < a->n && !found; i++)
		if (a->rr[i].type == RESOLVER_TXT &&
		    cymru_parse_origin(a->rr[i].u.text, a->rr[i].len, &ci, NULL) == 0 && ci.n_asn)
			found = 1;
	if (!found) {
		if (e->asn_st != ENRICH_DONE || !e->asn[0])
			e->asn_st = ENRICH_FAIL;
		else
			e->asn_st = ENRICH_DONE;	/* keep what we knew; ask again later */
		e->expires_s = t + ENRICH_NEG_TTL_S;
		return 0;
	}
	uint32_t asn[ENRICH_ASN_KEEP] = {0};
	char cc[2] = {0, 0};
	for (unsigned k = 0; k < ci.n_asn && k < ENRICH_ASN_KEEP; k++)
		asn[k] = ci.asn[k];
	if (ci.cc[0] && ci.cc[1])
		memcpy(cc, ci.cc, 2);
	if (memcmp(asn, e->asn, sizeof asn) || memcmp(cc, e->cc, 2))
		e->dirty = 1;
	memcpy(e->asn, asn, sizeof asn);
	memcpy(e->cc, cc, 2);
	e->asn_st = ENRICH_DONE;
	e->expires_s = t + ttl_s;
	return 1;
}

int enrich_set_ptr(struct enrich_ip *e, const struct resolver_answer *a, int *dynamic)
{
	const struct resolver_rr *rr = NULL;
	*dynamic = 0;
	for (unsigned i = 0; a->outcome == RESOLVER_OK && i < a->n && !rr; i++)
		if (a->rr[i].type == RESOLVER_PTR && a->rr[i].len > 0 && a->rr[i].len <= REC_NAME_MAX)
			rr = &a->rr[i];
	if (!rr) {
		e->ptr_st = ENRICH_FAIL;
		return 0;
	}
	*dynamic = enrich_ptr_dynamic(rr->u.text, rr->len, e->ip);
	e->ptr_st = ENRICH_DONE;
	if (e->ptr && strlen(e->ptr) == rr->len && !memcmp(e->ptr, rr->u.text, rr->len))
		return 1;
	char *p = malloc((size_t)rr->len + 1);
	if (!p)
		return -1;
	memcpy(p, rr->u.text, rr->len);
	p[rr->len] = '\0';
	free(e->ptr);
	e->ptr = p;
	e->dirty = 1;
	return 1;
}

/*
 * 1 when a PTR name looks like a dynamic (residential) address: three of
 * the address's octets among its labels ("45-237-76-135.dyn.isp.example"),
 * or a label that starts like the pools of access providers do.  Flux
 * agents run on such hosts; the count is kept, not scored.
 */
static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int enrich_ptr_dynamic(const char *name, size_t len, uint32_t ip)
{
	static const char *const words[] = {"dyn", "dhcp", "pool", "ppp", "dsl", "adsl", "cable",
					    "dial", "client", "cust", "broadband"};
	unsigned octets = 0, seen = 0;
	for (size_t i = 0; i < len;) {
		char tok[64];
		size_t n = 0;
		while (i < len && !alnum(name[i]))
			i++;
		for (; i < len && alnum(name[i]); i++)
			if (n + 1 < sizeof tok)	/* a longer label is cut: it matches nothing below */
				tok[n++] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
		tok[n] = '\0';
		if (!n)
			continue;
		for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
			if (!strncmp(tok, words[w], strlen(words[w])))
				return 1;
		for (unsigned k = 0; k < 4; k++) {
			char oct[4];
			snprintf(oct, sizeof oct, "%u", (ip >> (8 * k)) & 255);
			if (!(seen & (1u << k)) && !strcmp(tok, oct)) {
				seen |= 1u << k;
				octets++;
				break;
			}
		}
	}
	return octets >= 3;
}
