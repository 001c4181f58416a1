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

_Static_assert(ENRICH_AS_NAME == CYMRU_NAME_MAX, "an AS name as cymru.h keeps it");
_Static_assert((ENRICH_AS_MAX & (ENRICH_AS_MAX - 1)) == 0, "a power of two");

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
	while (en->lru.head) {
		struct enrich_ip *e = (struct enrich_ip *)en->lru.head;
		en->lru.head = e->lru.next;
		free(e->ptr);
		free(e);
	}
	while (en->as_lru.head) {
		struct enrich_as *a = (struct enrich_as *)en->as_lru.head;
		en->as_lru.head = a->lru.next;
		free(a);
	}
	free(en->as_tab);
	free(en->tab);
	free(en->q);
	memset(en, 0, sizeof *en);
}

static size_t slot(const struct enrich *en, uint32_t ip)
{
	return (size_t)mix64(ip) & (en->tab_cap - 1);
}

/* e is used: the youngest. */
static void lru_touch(struct dlist *l, struct dlink *e)
{
	if (e != l->tail) {
		dlist_remove(l, e);
		dlist_push(l, e);
	}
}

struct enrich_ip *enrich_find(struct enrich *en, uint32_t ip)
{
	if (!en->tab_cap)
		return NULL;
	for (struct enrich_ip *e = en->tab[slot(en, ip)]; e; e = e->hnext)
		if (e->ip == ip) {
			lru_touch(&en->lru, &e->lru);
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
	dlist_remove(&en->lru, &e->lru);
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
	while (en->n >= en->cap && en->lru.head) {
		evict(en, (struct enrich_ip *)en->lru.head);
		en->evicted++;
	}
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->ip = ip;
	size_t s = slot(en, ip);
	e->hnext = en->tab[s];
	en->tab[s] = e;
	dlist_push(&en->lru, &e->lru);
	en->n++;
	return e;
}

void enrich_expire_all(struct enrich *en)
{
	for (struct dlink *l = en->lru.head; l; l = l->next)
		((struct enrich_ip *)l)->expires_s = 0;
	for (struct dlink *l = en->as_lru.head; l; l = l->next)
		((struct enrich_as *)l)->expires_s = 0;
}

struct enrich_ip *enrich_next(struct enrich *en, struct enrich_ip *prev)
{
	return (struct enrich_ip *)(prev ? prev->lru.next : en->lru.head);
}

/* ---- AS names ---- */

static size_t as_slot(uint32_t asn)
{
	return (size_t)mix64(asn) & (ENRICH_AS_MAX - 1);
}

static struct enrich_as *as_find(struct enrich *en, uint32_t asn)
{
	if (!en->as_tab)
		return NULL;
	for (struct enrich_as *a = en->as_tab[as_slot(asn)]; a; a = a->hnext)
		if (a->asn == asn) {
			lru_touch(&en->as_lru, &a->lru);
			return a;
		}
	return NULL;
}

/* The entry of asn, created when missing; the oldest goes when full (not one being asked). */
static struct enrich_as *as_get(struct enrich *en, uint32_t asn)
{
	struct enrich_as *a = as_find(en, asn);
	if (a)
		return a;
	if (!en->as_tab && !(en->as_tab = calloc(ENRICH_AS_MAX, sizeof *en->as_tab)))
		return NULL;
	if (en->as_n >= ENRICH_AS_MAX) {
		struct dlink *l = en->as_lru.head;
		while (l && (((struct enrich_as *)l)->st == ENRICH_QUEUED ||
			     ((struct enrich_as *)l)->st == ENRICH_BUSY))
			l = l->next;
		if (!l)
			return NULL;
		struct enrich_as *old = (struct enrich_as *)l;
		struct enrich_as **pp = &en->as_tab[as_slot(old->asn)];
		while (*pp && *pp != old)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = old->hnext;
		dlist_remove(&en->as_lru, &old->lru);
		free(old);
		en->as_n--;
	}
	if (!(a = calloc(1, sizeof *a)))
		return NULL;
	a->asn = asn;
	size_t s = as_slot(asn);
	a->hnext = en->as_tab[s];
	en->as_tab[s] = a;
	dlist_push(&en->as_lru, &a->lru);
	en->as_n++;
	return a;
}

int enrich_as_want(struct enrich *en, uint32_t asn, uint32_t t, const char **name)
{
	struct enrich_as *a = as_get(en, asn);
	*name = NULL;
	if (!a)
		return ENRICH_FAIL;
	if (a->st == ENRICH_QUEUED || a->st == ENRICH_BUSY)
		return a->st;
	if (a->st == ENRICH_NONE || a->expires_s <= t) {
		if (en->as_qn < ENRICH_AS_QUEUE) {
			en->as_q[(en->as_head + en->as_qn++) % ENRICH_AS_QUEUE] = asn;
			if (a->st != ENRICH_DONE)
				a->st = ENRICH_QUEUED;	/* a stale name is used while asked again */
			else
				a->expires_s = t + ENRICH_NEG_TTL_S;	/* not queued twice */
		} else {
			en->as_dropped++;
			if (a->st != ENRICH_DONE) {
				a->st = ENRICH_FAIL;
				a->expires_s = t + ENRICH_NEG_TTL_S;
			}
		}
	}
	if (a->st == ENRICH_DONE)
		*name = a->name;
	return a->st;
}

int enrich_as_waiting(const struct enrich *en)
{
	return en->as_qn > 0;
}

int enrich_as_next(struct enrich *en, int64_t now_us, uint32_t *asn)
{
	if (!en->as_qn)
		return 0;
	if (now_us - en->as_tokens_at_us >= 1000000 / ENRICH_AS_PER_S) {
		int64_t add = (now_us - en->as_tokens_at_us) / (1000000 / ENRICH_AS_PER_S);
		en->as_tokens = add >= ENRICH_AS_PER_S || en->as_tokens + add >= ENRICH_AS_PER_S
				? ENRICH_AS_PER_S : en->as_tokens + (unsigned)add;
		en->as_tokens_at_us += add * (1000000 / ENRICH_AS_PER_S);
		if (en->as_tokens == ENRICH_AS_PER_S)
			en->as_tokens_at_us = now_us;
	}
	if (!en->as_tokens)
		return 0;
	en->as_tokens--;
	*asn = en->as_q[en->as_head];
	en->as_head = (en->as_head + 1) % ENRICH_AS_QUEUE;
	en->as_qn--;
	struct enrich_as *a = as_find(en, *asn);
	if (a && a->st != ENRICH_DONE)
		a->st = ENRICH_BUSY;
	return 1;
}

/* The first refused string's error is kept: err is passed on until it has a why. */
static struct cymru_err *first_err(struct cymru_err *err)
{
	return err && !err->why ? err : NULL;
}

int enrich_set_asname(struct enrich *en, uint32_t asn, const struct resolver_answer *a, uint32_t t,
		      uint32_t ttl_s, struct cymru_err *err)
{
	struct enrich_as *e = as_get(en, asn);
	struct cymru_info ci;
	int found = 0;
	if (err)
		*err = (struct cymru_err){NULL, 0};
	if (!e)
		return 0;
	for (unsigned i = 0; a->outcome == RESOLVER_OK && i < a->n && !found; i++)
		if (a->rr[i].type == RESOLVER_TXT &&
		    cymru_parse_asname(a->rr[i].u.text, a->rr[i].len, &ci, first_err(err)) == 0 &&
		    ci.asn[0] == asn)
			found = 1;
	if (!found) {
		if (e->st != ENRICH_DONE)
			e->st = ENRICH_FAIL;	/* a known name is kept; asked again later */
		e->expires_s = t + ENRICH_NEG_TTL_S;
		return 0;
	}
	enrich_as_seed(en, asn, ci.name, ci.name_len, t + ttl_s);
	return 1;
}

void enrich_as_seed(struct enrich *en, uint32_t asn, const char *name, size_t len,
		    uint32_t expires_s)
{
	struct enrich_as *a = as_get(en, asn);
	if (!a)
		return;
	if (len > sizeof a->name - 1)
		len = sizeof a->name - 1;
	memcpy(a->name, name, len);
	a->name[len] = '\0';
	a->name_len = (uint8_t)len;
	a->st = ENRICH_DONE;
	a->expires_s = expires_s;
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
		   uint32_t ttl_s, struct cymru_err *err)
{
	struct cymru_info ci;
	int found = 0;
	if (err)
		*err = (struct cymru_err){NULL, 0};
	for (unsigned i = 0; a->outcome == RESOLVER_OK && i < a->n && !found; i++)
		if (a->rr[i].type == RESOLVER_TXT &&
		    cymru_parse_origin(a->rr[i].u.text, a->rr[i].len, &ci, first_err(err)) == 0 &&
		    ci.n_asn)
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
	static const char words[][10] = {"dyn", "dhcp", "pool", "ppp", "dsl", "adsl", "cable",
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
