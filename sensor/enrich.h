/*
 * enrich: what the sensor knows of one IPv4 address (origin ASN, country,
 * PTR name) and the questions still to ask about addresses, for the
 * fast-flux module (mod_fastflux.c), which owns one struct enrich, asks
 * the questions through its resolver and hands the answers back here.
 *
 * The cache holds at most `cap` entries in a hash by address and an LRU
 * list (a lookup moves an entry to the young end; a new entry evicts the
 * oldest when full).  The question queue is a FIFO of at most `qcap`
 * (address, kind) pairs; a push to a full queue is dropped and counted.
 * Entries own their PTR string (heap).  Loop thread only.
 */
#ifndef TIP_ENRICH_H
#define TIP_ENRICH_H

#include <stddef.h>
#include <stdint.h>

#include "asn_db.h"
#include "resolver.h"

#define ENRICH_ASN_KEEP 2	/* origin ASNs kept per address (MOAS) */
#define ENRICH_NEG_TTL_S 600	/* an enrichment that failed is asked again after */

/* The state of one question about an address (asn_st, ptr_st). */
enum { ENRICH_NONE = 0, ENRICH_QUEUED, ENRICH_BUSY, ENRICH_DONE, ENRICH_FAIL };

/* The kinds of question in the queue. */
enum { ENRICH_Q_TXT, ENRICH_Q_PTR };

struct enrich_ip {
	struct enrich_ip *hnext, *lprev, *lnext;	/* hash chain; LRU list (head: oldest) */
	uint32_t ip;
	uint32_t asn[ENRICH_ASN_KEEP];	/* 0: none */
	uint32_t expires_s;	/* wall seconds: ASN and PTR are fresh until then */
	char cc[2];
	uint8_t asn_st, ptr_st;	/* ENRICH_NONE.. */
	uint8_t dirty;		/* values changed since they were last written */
	char *ptr;		/* heap, NUL-terminated; NULL: none */
};

struct enrich_q {
	uint32_t ip;
	uint8_t kind;		/* ENRICH_Q_* */
};

struct enrich {
	struct enrich_ip **tab;
	size_t tab_cap, n, cap;
	struct enrich_ip *lru_head, *lru_tail;
	struct enrich_q *q;
	size_t q_head, q_n, qcap;
	uint64_t evicted, dropped;
};

/* A cache of at most cap entries and a queue of qcap questions.  0 or -1 (ENOMEM). */
int enrich_init(struct enrich *en, size_t cap, size_t qcap);
void enrich_fini(struct enrich *en);

/* The entry of ip, made the youngest; NULL when not cached. */
struct enrich_ip *enrich_find(struct enrich *en, uint32_t ip);
/* The entry of ip, created (evicting the oldest) when missing; NULL: out of memory. */
struct enrich_ip *enrich_get(struct enrich *en, uint32_t ip);
/* Everything cached is stale: asked again when next needed (the ASN source changed). */
void enrich_expire_all(struct enrich *en);

/* Queue a question; -1 when the queue is full (counted in dropped). */
int enrich_push(struct enrich *en, uint32_t ip, int kind);
/* The oldest question: 1 and *out, or 0 when none.  enrich_pop removes it. */
int enrich_peek(const struct enrich *en, struct enrich_q *out);
void enrich_pop(struct enrich *en);

/*
 * Answers into an entry, t the wall seconds now, ttl_s how long a found
 * value stays fresh.  enrich_set_db: the offline table's ASN and country;
 * returns the ASN (0 unknown).  enrich_set_txt: the first Cymru origin
 * line of a TXT answer; 1 found, 0 not (a known ASN is kept, asked again
 * after ENRICH_NEG_TTL_S).  enrich_set_ptr: the first PTR name; 1 stored
 * (*dynamic set by enrich_ptr_dynamic), 0 none, -1 out of memory.  Each
 * sets dirty when a value changed.
 */
uint32_t enrich_set_db(struct enrich_ip *e, const struct asn_db *db, uint32_t t, uint32_t ttl_s);
int enrich_set_txt(struct enrich_ip *e, const struct resolver_answer *a, uint32_t t,
		   uint32_t ttl_s);
int enrich_set_ptr(struct enrich_ip *e, const struct resolver_answer *a, int *dynamic);

/* 1 when nothing about e is queued or asked. */
int enrich_settled(const struct enrich_ip *e);

/*
 * 1 when the PTR name[0..len) of ipv4 (host order) looks like a dynamic,
 * residential address.  name comes from a DNS answer: any bytes.
 */
int enrich_ptr_dynamic(const char *name, size_t len, uint32_t ipv4);

#endif
