/*
 * flux_score: the fast-flux score of Holz, Gorecki, Rieck and Freiling
 * (NDSS 2008) over bounded SETS of what one domain resolved to.
 *
 *     f = 1.32*nA + 18.54*nASN + 0*nNS;  fast-flux when f - 142.38 > 0
 *
 * nA, nASN and nNS are the sizes of sets of unique IPv4 addresses, origin
 * ASNs and NS names: an address seen in two lookups counts once (a known
 * bug of one public implementation counts lists).  The score is computed
 * in integer hundredths, so 94 addresses in one ASN give exactly 14262 >
 * 14238 on every host and no rounding decides a verdict.
 *
 * Memory: each set is a sorted array grown on demand (4, 8, 16, ...) up
 * to its cap; a new unique value that finds the set full is not stored
 * and is counted in `over` (an upper bound: an unstored value seen twice
 * counts twice).  A set at its cap scores at least cap*1.32, so with the
 * default caps a capped domain is already far above the threshold.
 * NS names are kept as 64-bit hashes of their lower-case form without the
 * final dot.  Pure code: no I/O, no clock, no globals; not thread-safe
 * per object.  The caller owns struct flux_sets; flux_sets_fini frees
 * what it grew.
 */
#ifndef TIP_FLUX_SCORE_H
#define TIP_FLUX_SCORE_H

#include <stddef.h>
#include <stdint.h>

/* Weights and threshold in hundredths. */
#define FLUX_W_A 132
#define FLUX_W_ASN 1854
#define FLUX_W_NS 0
#define FLUX_THRESHOLD 14238

/* Default caps: enough for the 2009 record domain (431 hosts, 107 ASNs). */
#define FLUX_CAP_A 512
#define FLUX_CAP_ASN 256
#define FLUX_CAP_NS 32
#define FLUX_CAP_MAX 65535

/*
 * The classification window of tipd's fast-flux module by default
 * (tipd.conf: window, ttl-min, ttl-max): the first FLUX_WINDOW lookups
 * with addresses, each re-lookup after the last answer's TTL clamped to
 * [ttl-min, ttl-max].  tip scores stores over the same window.
 */
#define FLUX_WINDOW 3
#define FLUX_TTL_MIN_S 30
#define FLUX_TTL_MAX_S 3600

struct flux_set {
	void *v;		/* sorted unique values, uint32_t or uint64_t */
	uint16_t n;		/* values stored */
	uint16_t alloc;		/* room in v */
	uint16_t cap;		/* most values ever stored */
	uint16_t wide;		/* 1: uint64_t values (NS hashes) */
	uint32_t over;		/* new values refused because the set was full */
};

struct flux_sets {
	struct flux_set a;	/* IPv4 addresses, host byte order */
	struct flux_set asn;	/* origin AS numbers */
	struct flux_set ns;	/* NS names, hashed */
	uint32_t answers;	/* A answers counted by flux_sets_answer */
	uint32_t records;	/* A records in those answers (duplicates included) */
};

struct flux_verdict {
	uint32_t n_a, n_asn, n_ns;
	int32_t score_x100;	/* 132*nA + 1854*nASN + 0*nNS */
	int32_t margin_x100;	/* score_x100 - 14238 */
	int flux;		/* margin_x100 > 0 */
	int capped;		/* some set refused a value */
};

/* Empty sets with these caps (0 = the default, above 65535 = 65535). */
void flux_sets_init(struct flux_sets *s, unsigned cap_a, unsigned cap_asn, unsigned cap_ns);
/* Free what the sets grew; s can be initialised again. */
void flux_sets_fini(struct flux_sets *s);

/*
 * Add one value.  1 when new, 0 when already there, -1 when not stored:
 * the set is full (counted in `over`, errno ENOSPC) or memory ran out
 * (errno ENOMEM; the set is unchanged and still valid).
 */
int flux_sets_add_a(struct flux_sets *s, uint32_t ipv4);
int flux_sets_add_asn(struct flux_sets *s, uint32_t asn);
int flux_sets_add_ns(struct flux_sets *s, const char *name, size_t len);

/* 1 when present, 0 when not. */
int flux_sets_has_a(const struct flux_sets *s, uint32_t ipv4);
int flux_sets_has_asn(const struct flux_sets *s, uint32_t asn);

/* Count one A answer with n records (for fluxiness). */
void flux_sets_answer(struct flux_sets *s, unsigned n_records);

/* The score of arbitrary counts, in hundredths, saturating at INT32_MAX. */
int32_t flux_score_x100(uint32_t n_a, uint32_t n_asn, uint32_t n_ns);
/* The same as a double (158.88 for 8/8). */
double flux_score(uint32_t n_a, uint32_t n_asn, uint32_t n_ns);
/*
 * A score stored as a double (REC_SCORE, flux_score) back in hundredths:
 * rounded to the nearest, halves away from zero, so 158.88 (which is
 * 158.8799... as a double) is 15888 again; clamped to +-2e9, NaN as -2e9.
 * The one rounding of a stored score: tip's graphs and pages, tipd's replay.
 */
int32_t flux_x100_of(double score);
/* 1 when a score in hundredths is fast-flux (strictly above 142.38). */
int flux_is_flux(int32_t score_x100);

/* The verdict of the sets as they stand. */
void flux_sets_verdict(const struct flux_sets *s, struct flux_verdict *v);

/*
 * Fluxiness (Holz et al.): A records per answer divided by unique A
 * records; 1.0 for a name that always returns the same set, toward 0 for
 * one that returns a new sample each time.  0 before any answer.
 */
double flux_sets_fluxiness(const struct flux_sets *s);

/*
 * How long a classification window lasts when its first answer had this
 * TTL: (window - 1/2) * clamp(ttl, ttl_min, ttl_max), in microseconds.
 * The sensor's lookup k comes at least (k-1) clamped TTLs after the first
 * (each waits the clamped TTL plus the time the answer took), so the end
 * falls halfway between its window-th lookup and the next one: the
 * sensor's lookups may run late by up to half a TTL in all and the window
 * still holds exactly its window lookups.  TTL 0 is unknown (Passive DNS
 * COF carries none): the longest the sensor would wait, ttl_max.  window 0
 * or ttl_max_us <= 0 mean the defaults above; ttl_min_us < 0 means 0.
 */
int64_t flux_window_span_us(uint32_t ttl, unsigned window, int64_t ttl_min_us, int64_t ttl_max_us);

/* The 64-bit hash flux_sets_add_ns uses (FNV-1a of the lower-case name). */
uint64_t flux_name_hash(const char *name, size_t len);

#endif
