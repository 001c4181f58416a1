/*
 * agg: aggregation of DNS observations for the tip commands that read
 * stores (query, blacklist, graph, export, serve).
 *
 * Scores are computed from the observations themselves, with the Holz
 * score of store/flux_score.h over sets: nA = unique IPv4 answers of a
 * name, nASN = unique origin ASNs of those addresses, nNS = unique names in
 * its NS answers.  The ASN of an address comes from the newest REC_ENRICH
 * record of the stores, else from an offline table (store/asn_db.h, `tip asn
 * import`), else it is unknown and not counted: imported passive DNS has
 * no enrichment records and is scored with the table.
 *
 * Classification window: the verdict (v, flux) is the Holz score of the
 * sensor's classification window, not of everything the stores hold: the
 * IPv4 answers first seen in [t0, t0 + span), where t0 is the first time
 * the name answered with IPv4 addresses (in the time window) and span =
 * flux_window_span_us(TTL of that answer, window, ttl-min, ttl-max) of
 * store/flux_score.h: halfway between tipd's last window lookup and its
 * next (TTL-bounded repeats).  On the sensor's own records that
 * is exactly its window; on passive DNS it is what a sensor looking the
 * name up from its first sighting would have classified.  The running
 * totals (run: every observation) are kept beside it, as the sensor keeps
 * them.  Both are invariant under `tip compact` (a coalesced record keeps
 * the first sighting of its answer set), except that compaction keeps the
 * smallest TTL of a set.  Of several answers first seen at t0, the one
 * with the shortest window counts.
 *
 * Time window: an observation is counted when [first seen, last seen]
 * overlaps [since, until] (both inclusive).  A coalesced record (passive
 * DNS, or `tip compact`) is one observation, so a time-fenced query has the
 * granularity of its records; without a window every aggregate here is
 * invariant under coalescing (sets, min/max times, sums of counts).
 *
 * Memory.  agg_domain_lookup and agg_ip_lookup use the index and hold one
 * name's observations: its sets (exact up to FLUX_CAP_MAX = 65535 values
 * each, not the sensor's default caps: the analysis host has the memory,
 * and a botnet's size is the finding; beyond it "capped" says so in every
 * format), its addresses (at most AGG_IPS_MAX)
 * and its distinct RRsets.  agg_flux_scan reads everything: per pass it
 * holds at most opts->max_domains names (about 150 bytes each plus their
 * sets, capped by flux_score.h) and an address -> ASN map of at most
 * AGG_ENRICH_MAX entries; when the names do not fit, the pass is split in
 * two by a hash of the name and the stores are read again, so memory stays
 * bounded whatever the stores hold, at the cost of more passes.  Only the
 * rows that pass the filter are kept across passes.
 *
 * Ownership: everything returned is owned by the caller's struct and freed
 * by its _fini; nothing points into store memory after a call returns.
 */
#ifndef TIP_AGG_H
#define TIP_AGG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "asn_db.h"
#include "flux_score.h"
#include "rec.h"
#include "store.h"

#define AGG_IPS_MAX 65536u	/* addresses listed per domain (the score uses its own caps) */
#define AGG_ENRICH_MAX (1u << 21)	/* enriched addresses remembered by a scan */
#define AGG_MAX_DOMAINS 200000u	/* names per scan pass by default */
#define AGG_NAME_TEXT (4 * REC_NAME_MAX + 8)	/* a name escaped by util_text */

struct agg_filter {
	int64_t since_us;	/* INT64_MIN: no bound */
	int64_t until_us;	/* INT64_MAX: no bound */
	int strict;		/* 1: [first, last] inside the window (dnsdbq -c); 0: overlapping */
	uint16_t qtype;		/* 0: every type; else only records of this question type */
	/* the classification window (agg_filter_init: tipd's defaults; a window
	 * of 0 or a ttl_max_us of 0 also mean the default) */
	unsigned window;	/* lookups with addresses */
	int64_t ttl_min_us, ttl_max_us;
};

void agg_filter_init(struct agg_filter *f);
/*
 * 1 when an observation seen from first_us to last_us falls in the window:
 * overlaps it, or with strict lies wholly inside it.
 */
int agg_filter_match(const struct agg_filter *f, int64_t first_us, int64_t last_us);
/* 1 when a record of question type qtype passes the type filter. */
int agg_filter_type(const struct agg_filter *f, uint16_t qtype);
/* The wall clock in microseconds (relative times count back from it). */
int64_t agg_now_us(void);

/* First and last seen and count of a DNS record (coalesced or not). */
void agg_dns_times(const struct rec *r, int64_t *first_us, int64_t *last_us, uint64_t *count);

/*
 * A time as a user types it: Unix seconds ("1700000000"), or ISO 8601 UTC
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z|+HH[:MM]|-HH[:MM]]" (a space may
 * replace the T; an offset gives local time east of UTC), or relative to
 * now: "1w2d3h4m5s" with an optional leading '-', that long ago.
 * 0 with *us, or -1.
 */
int agg_parse_time(const char *s, int64_t *us);

/*
 * Fault reporting shared by the commands: prints "tip CMD: PATH:OFF: why"
 * and counts.  The store callbacks share one ctx, so agg_on_fault takes a
 * ctx whose first member is a struct agg_faults * (NULL: print only).
 */
struct agg_faults {
	const char *cmd;
	uint64_t n;
};
void agg_on_fault(void *ctx, const char *path, uint64_t off, const char *why);

/*
 * `tip export --records spam|feeds`: every record of type with its time
 * in [since, until], handed to row, which writes it to out as a CSV line
 * or (clickhouse 1) a JSONEachRow line and returns 0, or 1 on a write
 * error (ferror), which ends the scan.  csv_header (CRLF-ended) comes
 * first in CSV.  Faults go to faults.  Returns the rows written.
 */
typedef int agg_row_fn(FILE *out, int clickhouse, const char *sensor, const struct rec *r);
uint64_t agg_export(const struct store_set *set, uint8_t type, const char *csv_header,
		    agg_row_fn *row, FILE *out, int clickhouse, int64_t since, int64_t until,
		    struct agg_faults *faults);

/* ---- what is known of one IPv4 address ------------------------------- */

struct agg_ipinfo {
	uint32_t asn;		/* 0 unknown */
	char as_name[256];	/* bytes, as_name_len of them (not NUL-safe: use the length) */
	size_t as_name_len;
	char cc[3];		/* "" unknown */
	char ptr[REC_NAME_MAX + 1];
	size_t ptr_len;
	int enriched;		/* 1: from a REC_ENRICH record, 0: from the table or nothing */
};

/*
 * The newest enrichment of ipv4 (host byte order) in the stores, by the
 * index; what the store lacks (ASN, name, country) comes from db when
 * given.  0, or -1 on memory exhaustion.
 */
int agg_ip_info(const struct store_set *set, const struct asn_db *db, uint32_t ipv4,
		struct agg_ipinfo *out, struct agg_faults *faults);

/*
 * The same for n addresses at once, reading each segment's index once
 * (store_set_lookup_many): what a domain page with thousands of addresses
 * over thousands of segments needs.  0, or -1 on memory exhaustion.
 */
int agg_ips_info(const struct store_set *set, const struct asn_db *db, const uint32_t *ips,
		 size_t n, struct agg_ipinfo *out, struct agg_faults *faults);

/* ---- distinct RRsets (COF output) ---------------------------------- */

/*
 * Observations grouped by (sensor, name, qtype, answer set): the answer set
 * is sorted, so the same set in any order, or split and coalesced by
 * compaction, groups the same way.  Records without answers are ignored.
 */
struct agg_rrset {
	uint8_t *key;		/* encoded group, see agg.c */
	size_t klen;
	int64_t first_us, last_us;
	uint64_t count;
};

struct agg_rrsets {
	struct agg_rrset *v;
	size_t n, alloc;
	size_t merged;		/* v[0..merged) is sorted and unique */
};

void agg_rrsets_init(struct agg_rrsets *s);
void agg_rrsets_fini(struct agg_rrsets *s);
/* Add one DNS record seen by sensor.  0, or -1 (ENOMEM). */
int agg_rrsets_add(struct agg_rrsets *s, const char *sensor, const struct rec *r);
/* Sort and merge: after it v[0..n) is in key order with unique keys. */
void agg_rrsets_finish(struct agg_rrsets *s);

/* Key order: the keys' bytes, then the shorter first. */
int agg_rrset_cmp(const struct agg_rrset *x, const struct agg_rrset *y);
/*
 * The merge of agg_rrsets_finish, for rows of another kind too: v holds n
 * rows of size bytes, each beginning with a struct agg_rrset (a caller's
 * row embeds one as its first member; the rest of the row is moved with
 * it).  They are sorted by key and rows of one key made one, the first
 * of them: first and last seen widened, counts summed, the others' keys
 * freed.  Returns the number of rows left in v[0..).
 */
size_t agg_rrset_merge(void *v, size_t n, size_t size);

/* The parts of a group. Names and answers point into the key. */
struct agg_rrset_view {
	const char *sensor;
	size_t sensor_len;
	const char *name;
	size_t name_len;
	uint16_t qtype;
	uint32_t n_a4, n_a6, n_names;
	const uint8_t *a4, *a6;	/* n * 4, n * 16 bytes */
	const uint8_t *names;	/* n times (u8 len, bytes) */
};
void agg_rrset_view(const struct agg_rrset *r, struct agg_rrset_view *v);

/* ---- one domain ------------------------------------------------------ */

struct agg_ip {
	uint32_t ip;		/* host byte order */
	uint32_t asn;		/* agg_domain_lookup: the origin ASN, 0 unknown */
	int64_t first_us, last_us;
	uint64_t count;
};

/*
 * The classification window of one name while its records are read, in
 * any order.  It keeps the IPv4 answers first seen in [t0, t0 + keep)
 * (keep: the longest span, so a later, earlier anchor can still be judged
 * exactly) or, with keep 0, only those of the current window; then a
 * record dropped that an earlier anchor would count makes it dirty, and
 * the caller reads the name again with fixed set (t0 and end known).
 */
struct agg_winrec {
	int64_t t;		/* first seen */
	uint32_t off, n;	/* its addresses: ip[off..off+n) */
};

struct agg_win {
	int64_t t0, end;	/* anchor and end (exclusive); t0 INT64_MAX: no answer yet */
	int64_t keep;		/* 0: the window only; else how far past t0 to keep */
	int64_t out_min;	/* earliest first seen dropped past the end (INT64_MAX: none) */
	struct agg_winrec *r;
	size_t n, alloc;
	uint32_t *ip;
	size_t n_ip, alloc_ip;
	uint32_t ttl0;		/* TTL of the anchor's answer */
	int fixed;		/* t0 and end are given: count [t0, end), nothing else */
	int dirty;		/* a dropped record may belong to the final window */
};

struct agg_domain {
	char name[REC_NAME_MAX + 1];
	size_t name_len;
	struct flux_sets sets;	/* running totals */
	struct flux_verdict v;	/* after agg_domain_finish: the classification window's verdict */
	struct flux_verdict run;	/* after agg_domain_finish: the running totals' */
	struct agg_win win;
	int64_t first_us, last_us;	/* of the name's observations (INT64_MAX/MIN: none) */
	uint64_t lookups;	/* sum of counts of its DNS records with answers */
	uint64_t records;
	struct agg_ip *ips;	/* keep_ips: sorted by address after finish */
	struct agg_ipinfo *info;	/* agg_domain_lookup: what is known of ips[i] */
	size_t n_ips, alloc_ips;
	uint64_t ips_over;	/* observations of addresses beyond AGG_IPS_MAX */
	uint32_t asn_unknown;	/* after finish: addresses of the window whose ASN is not known */
	uint32_t run_asn_unknown;	/* the same of every address */
	int keep_ips;
	int found;		/* some record of the name was seen (in or out of the window) */
};

/* An empty window; keep as in struct agg_win. */
void agg_win_init(struct agg_win *w, int64_t keep);
void agg_win_fini(struct agg_win *w);
/* Count one record's IPv4 answers, first seen at t with this TTL.  0 or -1 (ENOMEM). */
int agg_win_add(struct agg_win *w, const struct agg_filter *f, int64_t t, uint32_t ttl,
		const uint8_t *a4, uint32_t n_a4);
/* Forget what was counted and count [t0, end) only (after dirty). */
void agg_win_refix(struct agg_win *w);
/* Add the window's addresses to s.  0 or -1 (ENOMEM). */
int agg_win_sets(const struct agg_win *w, struct flux_sets *s);

/* Called with an address, gives its origin ASN or 0. */
typedef uint32_t (*agg_asn_fn)(void *ctx, uint32_t ipv4);

void agg_domain_init(struct agg_domain *d, const char *name, size_t len, int keep_ips);
void agg_domain_fini(struct agg_domain *d);
/* What agg_domain_lookup learned of address i (zeros when it did not). */
void agg_domain_ipinfo(const struct agg_domain *d, size_t i, struct agg_ipinfo *out);
/* Count one DNS record of this name (others are ignored).  0 or -1 (ENOMEM). */
int agg_domain_add(struct agg_domain *d, const struct rec *r, const struct agg_filter *f);
/* Resolve the ASNs of the address set and compute the verdict. */
void agg_domain_finish(struct agg_domain *d, agg_asn_fn asn_of, void *ctx);
/*
 * An agg_asn_fn over a looked-up domain (ctx: a const struct agg_domain *):
 * the ASN its sorted d->ips give an address, 0 when it has none.
 */
uint32_t agg_domain_asn_of(void *ctx, uint32_t ip);

/*
 * Everything about one domain by the index: its sets and verdict (ASNs
 * from enrichment or db), its addresses (d->ips, each with its ASN), and
 * when rrsets is not NULL its distinct RRsets.  d is initialised here.
 * 0, or -1 on memory exhaustion.  d->found says whether the stores hold
 * the name at all.
 */
int agg_domain_lookup(const struct store_set *set, const struct asn_db *db, const char *name,
		      const struct agg_filter *f, struct agg_domain *d,
		      struct agg_rrsets *rrsets, struct agg_faults *faults);

/* ---- one address ----------------------------------------------------- */

struct agg_ipdom {
	char *name;		/* heap, name_len bytes and a NUL */
	size_t name_len;
	int64_t first_us, last_us;
	uint64_t count;
};

struct agg_ipq {
	int family;		/* 4 or 6 */
	uint8_t addr[16];
	struct agg_ipinfo info;	/* IPv4 only */
	int64_t first_us, last_us;
	uint64_t count;
	struct agg_ipdom *doms;	/* sorted by name after the lookup */
	size_t n_doms, alloc_doms;
	int found;
};

/* The names that resolved to an address, by the index.  0, or -1. */
int agg_ip_lookup(const struct store_set *set, const struct asn_db *db, int family,
		  const uint8_t *addr, const struct agg_filter *f, struct agg_ipq *q,
		  struct agg_rrsets *rrsets, struct agg_faults *faults);
void agg_ipq_fini(struct agg_ipq *q);

/* ---- every domain ---------------------------------------------------- */

struct agg_flux_opts {
	struct agg_filter filter;
	const struct asn_db *db;
	int use_min;		/* 1: keep score >= min_x100; 0: keep fast-flux (> 142.38) */
	int32_t min_x100;
	size_t max_domains;	/* per pass; 0 = AGG_MAX_DOMAINS */
	int running;		/* 1: also keep names whose running totals pass (the sensor
				 * promotes a benign name whose running totals cross) */
};

struct agg_flux_row {
	char *name;		/* heap, name_len bytes and a NUL */
	size_t name_len;
	struct flux_verdict v;	/* the classification window's: decides, sorts, --min-score */
	struct flux_verdict run;	/* the running totals' */
	int64_t first_us, last_us;
	int64_t win_t0, win_end;	/* the classification window [t0, end) */
	uint64_t lookups;
	uint32_t asn_unknown;	/* addresses of the window whose ASN is not known (not in n_asn) */
	uint32_t run_asn_unknown;	/* the same of every address */
};

struct agg_flux {
	struct agg_flux_row *rows;	/* sorted: score descending, then name */
	size_t n, alloc;
	unsigned passes;	/* times the stores were read */
	uint64_t domains;	/* names seen in the window */
	int enrich_full;	/* the ASN map hit AGG_ENRICH_MAX */
	uint64_t asn_unknown;	/* sum of the rows' run_asn_unknown */
	uint64_t rescans;	/* names read again for their window (records out of order) */
};

/* Score every name of the stores.  0, or -1 on memory exhaustion. */
int agg_flux_scan(const struct store_set *set, const struct agg_flux_opts *o, struct agg_flux *out,
		  struct agg_faults *faults);
void agg_flux_fini(struct agg_flux *out);

/* ---- small shared helpers ------------------------------------------ */

/* Score in hundredths as text ("2552.70"). */
void agg_fmt_score(char *out, size_t cap, int32_t x100);
/* Parse a score "142.38" into hundredths. 0 or -1. */
int agg_parse_score(const char *s, int32_t *x100);

/*
 * 1 when name[0..len) is a hostname that is safe to put in a resolver or
 * firewall configuration: labels of [a-z0-9-_] (an underscore is allowed
 * for service names), not starting or ending with '-', 1..63 bytes each,
 * at least two labels, at most 253 bytes in all.
 */
int agg_hostname_ok(const char *name, size_t len);

/*
 * Command-line helpers of the commands that read stores: add a --store
 * path, open an --asn table.  0, or -1 after printing "tip CMD: why".
 */
int agg_cli_store(struct store_set *set, const char *cmd, const char *path);
/* agg_parse_time / agg_parse_score of an option's argument, with the error
 * "tip CMD: --OPT: not a ..." on stderr.  0 or -1. */
int agg_cli_time(const char *cmd, const char *opt, const char *arg, int64_t *us);
int agg_cli_score(const char *cmd, const char *arg, int32_t *x100);
int agg_cli_asn(struct asn_db *db, const char *cmd, const char *path);
/*
 * --window N, --ttl-min D, --ttl-max D (opt without the dashes) into f: the
 * classification window of a sensor configured other than by default.
 * 0 or -1 after printing the error; agg_cli_window_check, after the last
 * option, says when ttl-max is shorter than ttl-min.
 */
int agg_cli_window(const char *cmd, const char *opt, const char *arg, struct agg_filter *f);
int agg_cli_window_check(const char *cmd, const struct agg_filter *f);

/*
 * Behaviour chosen by name: a const table of the names an option takes.
 * agg_cli_choice sets *value to the entry named arg: 0, or -1 after
 * "tip CMD: --OPT: one of a, b, c, not: ARG" (the table's names, in order).
 */
struct agg_choice {
	const char *name;
	int value;
};
#define AGG_CHOICES(t) (t), sizeof(t) / sizeof *(t)
int agg_cli_choice(const char *cmd, const char *opt, const struct agg_choice *tab, size_t n,
		   const char *arg, int *value);
/*
 * What getopt refused (the argument at optind - 1): "tip CMD: unknown or
 * incomplete option: ARG", escaped.  The caller then shows tip_usage.
 */
void agg_cli_bad_option(const char *cmd, const char *arg);

#endif
