/*
 * match: the patterns of `tip query` and the web search that the index
 * answers through its member lists (index.h, version 3): left-hand
 * ("*.example.com": every name below example.com) and right-hand
 * ("www.example.*": every name whose leading labels are www.example)
 * wildcards, and address prefixes ("20.0.0.0/24", "2001:db8::/32").
 *
 * A pattern is decided by match_*_ok on the key itself, so a segment read
 * by a scan (the active one, an older index) gives what the lists give.
 *
 * Ownership: the result structs own what they hold; _fini frees it.
 */
#ifndef TIP_MATCH_H
#define TIP_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

struct match_wild {
	uint8_t kind;		/* IX_SUFFIX (left-hand) or IX_PREFIX (right-hand) */
	char text[REC_NAME_MAX + 1];	/* the fixed part, lower case, no dots at its ends */
	size_t len;
};

/*
 * "*.a.b" or "a.b.*": 1 with p filled, 0 when text has no '*' (an exact
 * name), -1 when the '*' is anywhere else or the rest is empty.
 */
int match_wild_parse(const char *text, struct match_wild *p);
/* 1 when the 'd' key k[0..kl) matches p. */
int match_wild_ok(const struct match_wild *p, const uint8_t *k, size_t kl);

struct match_net {
	int family;		/* 4 or 6 */
	uint8_t addr[16];	/* masked to bits */
	unsigned bits;
};

/* "A/N": 1 parsed, 0 when there is no '/', -1 malformed (with the reason in *why). */
int match_net_parse(const char *text, struct match_net *n, const char **why);
/* 1 when the '4' or '6' key k[0..kl) lies in n. */
int match_net_ok(const struct match_net *n, const uint8_t *k, size_t kl);

/* ---- the names a wildcard matches ------------------------------------ */

struct match_doms {
	struct agg_domain **v;	/* sorted by name after match_domains */
	size_t n, alloc;
	size_t *tab;		/* hash of names -> index + 1 */
	size_t tsize;
};

/*
 * Every name matching p, aggregated as agg_domain_lookup does (sets,
 * verdict, addresses with their ASNs), and its RRsets into rrsets when not
 * NULL.  0, or -1 on memory exhaustion.
 */
int match_domains(const struct store_set *set, const struct asn_db *db, const struct match_wild *p,
		  const struct agg_filter *f, struct match_doms *out, struct agg_rrsets *rrsets,
		  struct agg_faults *faults);
void match_doms_fini(struct match_doms *m);

/* ---- the (address, name) pairs of a prefix --------------------------- */

struct match_pair {
	int family;
	uint8_t addr[16];
	char *name;		/* heap, name_len bytes and a NUL */
	size_t name_len;
	int64_t first_us, last_us;
	uint64_t count;
};

struct match_pairs {
	struct match_pair *v;	/* sorted by address, then name, after match_pairs_net */
	size_t n, alloc;
	size_t addrs;		/* distinct addresses */
};

/* Every DNS answer in n, one pair per (address, name).  0, or -1 (memory). */
int match_pairs_net(const struct store_set *set, const struct match_net *n,
		    const struct agg_filter *f, struct match_pairs *out, struct agg_rrsets *rrsets,
		    struct agg_faults *faults);
void match_pairs_fini(struct match_pairs *m);

#endif
