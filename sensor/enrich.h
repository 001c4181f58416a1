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
 * Entries own their PTR string (heap).
 *
 * AS names (Cymru mode: "AS<n>.<zone>" TXT, "3209 | DE | ripencc |
 * 2001-01-02 | ARCOR-AS Arcor IP-Network, DE") have a cache of their own,
 * at most ENRICH_AS_MAX numbers (LRU), and a queue of at most
 * ENRICH_AS_QUEUE numbers that enrich_as_next hands out at no more than
 * ENRICH_AS_PER_S a second (a burst of as many), so a domain spread over
 * thousands of ASNs cannot flood the name server with them.
 * Loop thread only.
 */
#ifndef TIP_ENRICH_H
#define TIP_ENRICH_H

#include <stddef.h>
#include <stdint.h>

#include "asn_db.h"
#include "cymru.h"
#include "list.h"
#include "resolver.h"

#define ENRICH_ASN_KEEP 2	/* origin ASNs kept per address (MOAS) */
#define ENRICH_NEG_TTL_S 600	/* an enrichment that failed is asked again after */
#define ENRICH_AS_MAX 4096	/* AS names cached */
#define ENRICH_AS_QUEUE 256	/* AS numbers waiting to be asked */
#define ENRICH_AS_PER_S 10	/* AS-name questions handed out per second, at most */
#define ENRICH_AS_NAME 128	/* AS name bytes kept, NUL included (CYMRU_NAME_MAX) */


/* The state of one question about an address (asn_st, ptr_st). */
enum { ENRICH_NONE = 0, ENRICH_QUEUED, ENRICH_BUSY, ENRICH_DONE, ENRICH_FAIL };

/* The kinds of question in the queue. */
enum { ENRICH_Q_TXT, ENRICH_Q_PTR };

struct enrich_ip {
	struct dlink lru;		/* first: the LRU list's links are entries */
	struct enrich_ip *hnext;	/* hash chain */
	uint32_t ip;
	uint32_t asn[ENRICH_ASN_KEEP];	/* 0: none */
	uint32_t expires_s;	/* wall seconds: ASN and PTR are fresh until then */
	char cc[2];
	uint8_t asn_st, ptr_st;	/* ENRICH_NONE.. */
	uint8_t dirty;		/* values changed since they were last written */
	char *ptr;		/* heap, NUL-terminated; NULL: none */
};

struct enrich_as {
	struct dlink lru;
	struct enrich_as *hnext;
	uint32_t asn;
	uint32_t expires_s;	/* wall seconds: fresh until then */
	uint8_t st;		/* ENRICH_NONE.. */
	uint8_t name_len;
	char name[ENRICH_AS_NAME];
};

struct enrich_q {
	uint32_t ip;
	uint8_t kind;		/* ENRICH_Q_* */
};

struct enrich {
	struct enrich_ip **tab;
	size_t tab_cap, n, cap;
	struct dlist lru;	/* head: the oldest */
	struct enrich_q *q;
	size_t q_head, q_n, qcap;
	uint64_t evicted, dropped;

	struct enrich_as **as_tab;	/* ENRICH_AS_MAX buckets, at the first AS */
	size_t as_n;
	struct dlist as_lru;
	uint32_t as_q[ENRICH_AS_QUEUE];
	size_t as_head, as_qn;
	int64_t as_tokens_at_us;	/* when the tokens were last counted */
	unsigned as_tokens;
	uint64_t as_dropped;
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
 * after ENRICH_NEG_TTL_S), and then *err (err may be NULL) is why the
 * first TXT string was refused, and where in it (why NULL when the answer
 * held no TXT string).  enrich_set_ptr: the first PTR name; 1 stored
 * (*dynamic set by enrich_ptr_dynamic), 0 none, -1 out of memory.  Each
 * sets dirty when a value changed.
 */
uint32_t enrich_set_db(struct enrich_ip *e, const struct asn_db *db, uint32_t t, uint32_t ttl_s);
int enrich_set_txt(struct enrich_ip *e, const struct resolver_answer *a, uint32_t t,
		   uint32_t ttl_s, struct cymru_err *err);
int enrich_set_ptr(struct enrich_ip *e, const struct resolver_answer *a, int *dynamic);

/*
 * AS names.  enrich_as_want: what is known of asn's name at wall second
 * t: ENRICH_DONE (*name set), ENRICH_QUEUED or ENRICH_BUSY (asked), or
 * ENRICH_FAIL (unknown, not asked again before its time; also when the
 * queue or memory ran out).  A missing or stale name is queued.
 * enrich_as_next: the next number to ask at monotonic now_us, 1 and *asn
 * (its state is then BUSY), or 0 when none is queued or no token is left
 * (enrich_as_waiting says whether some are queued).  enrich_set_asname:
 * the first AS-name line of a TXT answer for asn; 1 found, 0 not, with
 * *err as for enrich_set_txt.
 * enrich_as_seed: a name already known (from the store at start).
 */
int enrich_as_want(struct enrich *en, uint32_t asn, uint32_t t, const char **name);
int enrich_as_next(struct enrich *en, int64_t now_us, uint32_t *asn);
int enrich_as_waiting(const struct enrich *en);
int enrich_set_asname(struct enrich *en, uint32_t asn, const struct resolver_answer *a, uint32_t t,
		      uint32_t ttl_s, struct cymru_err *err);
void enrich_as_seed(struct enrich *en, uint32_t asn, const char *name, size_t len,
		    uint32_t expires_s);

/* The cached addresses, oldest first: NULL starts, NULL ends. */
struct enrich_ip *enrich_next(struct enrich *en, struct enrich_ip *prev);

/* 1 when nothing about e is queued or asked. */
int enrich_settled(const struct enrich_ip *e);

/*
 * 1 when the PTR name[0..len) of ipv4 (host order) looks like a dynamic,
 * residential address.  name comes from a DNS answer: any bytes.
 */
int enrich_ptr_dynamic(const char *name, size_t len, uint32_t ipv4);

#endif
