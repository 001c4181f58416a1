/*
 * feedingest: one fetch of one feed source turned into store records,
 * shared by tipd's blacklist module and `tip import feed`.
 *
 *     feed_ingest_new(state_dir, source, opts)
 *     feed_ingest_data(g, bytes, n)      as the body arrives (any chunks)
 *     feed_ingest_end(g)                 the body is whole: seal, diff
 *     while (feed_ingest_next(g, &r) == 1) store r   (listed / delisted)
 *     feed_ingest_fetch(g, &r, ...)      the fetch record, counts filled
 *     feed_ingest_commit(g)              the new list replaces the old
 *     feed_ingest_free(g)                (aborts what was not committed)
 * On any failure before commit, feed_ingest_free leaves the old list and
 * nothing but a failed fetch record is to be written: a truncated body is
 * never recorded as the list.  The records point into g and live until
 * the next call.  Memory: the parser's line (feed.h), the set being built
 * (feedset.h: 12 bytes an entry), the old set mapped.
 */
#ifndef TIP_FEEDINGEST_H
#define TIP_FEEDINGEST_H

#include <stddef.h>
#include <stdint.h>

#include "feed.h"
#include "feedset.h"
#include "rec.h"

struct feed_ingest {
	char source[FEEDSET_SOURCE_MAX + 1];
	char dir[4096];
	struct feed_parser parser;
	struct feedset_build build;
	struct feedset old;
	struct feedset_diff diff;
	uint64_t max_entries;	/* 0: no cap */
	int state;		/* 0 parsing, 1 diffing, 2 diffed, 3 committed */
	int failed;
	uint64_t added, removed;
	char error[256];
	char fetch_text[3][1024];	/* the fetch record's strings */
};

/*
 * A new ingest for source (feedset_name_ok) with its state in dir
 * (<store>/state/feeds); NULL with errno (EINVAL: bad name or options).
 */
struct feed_ingest *feed_ingest_new(const char *dir, const char *source,
				    const struct feed_opts *opts, uint64_t max_entries);
/* 0, or -1 with g->error set (parser error, too many entries, I/O). */
int feed_ingest_data(struct feed_ingest *g, const void *p, size_t n);
/* 0, or -1 with g->error. */
int feed_ingest_end(struct feed_ingest *g);
/* 1 with the next change record in *r (type REC_FEED, time not set), 0 at the end, -1. */
int feed_ingest_next(struct feed_ingest *g, struct rec *r);
/*
 * The fetch record: outcome from the caller (REC_FETCH_*); counts from
 * the ingest when it got that far.  error may be NULL.  Strings are
 * copied into g.
 */
void feed_ingest_fetch(struct feed_ingest *g, struct rec *r, int outcome, int status,
		       uint64_t duration_us, const char *etag, const char *last_modified,
		       const char *error);
/* Make the new list the source's last.  0 or -1 (errno). */
int feed_ingest_commit(struct feed_ingest *g);
void feed_ingest_free(struct feed_ingest *g);

/* Distinct entries of the new list (after end). */
uint64_t feed_ingest_entries(const struct feed_ingest *g);

#endif
