/*
 * feeds: blacklist sources weighed from a store's history (the analysis
 * host's side of the blacklist module), after Li et al., "Reading the Tea
 * Leaves: A Comparative Analysis of Threat Intelligence", USENIX Security
 * 2019.  The formulas and why are in doc/decisions.md ("Source weights").
 *
 * feeds_load reads every feed record (REC_FEED) of a store set, in time
 * order, into listing intervals per (indicator, source); the score records
 * give the set of domains the fast-flux module flagged; an allow-list
 * (optional) gives accuracy.  feeds_metrics then computes, per source:
 * volume, churn, listing lifetimes, exclusive and differential
 * contribution, latency, accuracy and fast-flux coverage, and the weight
 * each source's listings carry in an indicator's confidence.
 *
 * Time: "now" is the time of the newest feed record in the stores, so
 * results depend only on the stores, not on when the command runs.
 * Memory: about 100 bytes per (indicator, source) plus the indicators'
 * text: the analysis host's budget, not a router's.
 */
#ifndef TIP_FEEDS_H
#define TIP_FEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store_set;

struct feeds_is {		/* one source's history of one indicator */
	uint16_t src;
	int64_t first_us;	/* first listed */
	int64_t last_us;	/* last time it was listed (delisted time, or now while listed) */
	int64_t since_us;	/* listed now since; 0 when not listed */
	uint32_t listings;	/* intervals */
};

struct feeds_ind {
	uint8_t kind;		/* enum rec_ind_kind */
	char *value;
	char *host;		/* URL: its host; else NULL */
	uint8_t family, prefix;	/* IP and CIDR */
	uint8_t addr[16];
	int flux;		/* a domain the fast-flux module flagged */
	int allowed;		/* a domain (or URL host) on the allow-list */
	uint16_t n;		/* sources that ever listed it */
	struct feeds_is *is;
	uint64_t hash;
};

struct feeds_src {
	char name[65];
	uint64_t fetches, failed, not_modified;
	int64_t first_fetch_us, last_fetch_us;
	/* the last fetch record */
	int last_outcome, last_status;
	uint64_t last_bytes, last_entries, last_added, last_removed, last_bad, last_duration_us;
	int64_t last_us;
	char last_etag[256], last_lm[256], last_error[256];
	/* history */
	int seen_ok;		/* an ok fetch was seen: later listings are additions */
	uint64_t listings, initial, delistings;
	double *life;		/* listing lifetimes, seconds */
	size_t nlife, caplife;
	/* metrics (feeds_metrics) */
	uint64_t entries_now, ever;
	double span_days, added_per_day, churn;
	double life_mean_days, life_median_days;
	double exclusive;	/* share of its indicators no other source listed */
	double *differential;	/* [other source]: share of its indicators the other never listed */
	double latency_mean_h, latency_median_h;
	uint64_t shared;	/* indicators also listed by another source (latency is over these) */
	uint64_t domains, allowed;
	double accuracy;	/* -1: no allow-list or no domains */
	uint64_t flux_hits;
	double coverage;	/* -1: nothing flagged */
	double weight;		/* in [0, 1]: what one listing of it is worth */
};

struct feeds_db {
	struct feeds_src *src;
	size_t nsrc;
	struct feeds_ind **tab;	/* open addressing by hash */
	size_t cap, n;
	int64_t now_us;
	uint64_t flux_domains;	/* flagged by the fast-flux module */
	int have_allowlist;
	uint64_t records, faults;
};

/* 0, or -1 with a message in err. allowlist may be NULL. */
int feeds_load(struct feeds_db *db, const struct store_set *set, const char *allowlist,
	       char *err, size_t errlen);
void feeds_metrics(struct feeds_db *db);
void feeds_free(struct feeds_db *db);

/* The indicator a user typed (normalised as the parser would), or NULL. */
struct feeds_ind *feeds_find(const struct feeds_db *db, const char *text);
/* Sources listing it now, combined: 1 - prod(1 - weight). */
double feeds_confidence(const struct feeds_db *db, const struct feeds_ind *ind);
/* 1 when CIDR indicator c covers address ind (an IP). */
int feeds_covers(const struct feeds_ind *c, const struct feeds_ind *ip);
/* Index of source name, or -1. */
int feeds_source(const struct feeds_db *db, const char *name);

/* Outputs of `tip query source [NAME]` and `tip query indicator VALUE` (fmt 0 table, 1 csv, 2 json). */
void feeds_put_sources(FILE *f, const struct feeds_db *db, int only, int fmt);
void feeds_put_indicator(FILE *f, const struct feeds_db *db, const struct feeds_ind *ind, int fmt);

/* `tip query source|indicator ...`: argv after the options.  Exit status. */
int feeds_query(const struct store_set *set, int fmt, const char *allowlist, int argc,
		char **argv);

/*
 * `tip export --records feeds`: every feed record with time in [since,
 * until], as CSV (header first) or ClickHouse JSONEachRow (table tip.feeds
 * of doc/clickhouse.sql).  Faults go to faults.  Returns the rows written.
 */
struct agg_faults;
uint64_t feeds_export(const struct store_set *set, FILE *out, int clickhouse, int64_t since,
		      int64_t until, struct agg_faults *faults);

#endif
