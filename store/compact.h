/*
 * compact: merge sealed segments of one store into fewer, coalescing
 * repeated DNS observations, and swap them in atomically.
 *
 * What a merge keeps.  Every record of the input segments, in their order,
 * except that DNS observations with the same name, qtype, rcode, server,
 * clock flag and identical answer set (the same IPv4, IPv6 and name
 * answers in any order), first seen in the same bucket of time (one UTC
 * day by default), become one REC_F_COALESCED record at the place of the
 * first of them: first seen = the smallest first seen, last seen = the
 * largest last seen, count = the sum of counts, TTL = the smallest.  Other
 * record types are copied byte for byte (only their time delta is rebased
 * when the segment base changes).  So the sets, first and last times and
 * sums of counts that tip query computes are the same before and after,
 * and a query fenced at bucket boundaries too.  One REC_EVENT note at the
 * end of the merged segment says what was merged.
 *
 * Naming and sequence numbers (the protocol rsync peers rely on).  The
 * merged segment of inputs with seqs a..b (all the listed segments of
 * that range) is named
 *     <start of a>-<b>.c<a>.tlog   (and .cdb)
 * It takes the highest seq it holds, b, so "the newest seq" a peer asks
 * for keeps its meaning (no data newer than b is in it, all of a..b is),
 * and no new seq is ever allocated, so a store's sequence stays its
 * writer's.  (`tip compact` takes the store's writer lock, lock.h: it
 * does not run while tipd or an import writes the store.)  store_list hides every segment
 * whose seq range lies inside the range of a compacted one (store.h): a
 * peer that rsyncs the merged file beside old ones it already has, or an
 * analysis host that fetches old ones again from a sensor, reads the same
 * records once.  A merged segment is sealed and never changes; a later
 * compaction may merge it again into a larger range under a new name.
 *
 * The swap, for one merged segment (a crash at any point leaves the old
 * segments or the new one visible, never both and never neither):
 *   1. write log/<new>.tlog.tmp (header, records, seal), fdatasync;
 *   2. build and publish log/<new>.cdb (index.h: .cdb.tmp, fsync, rename,
 *      fsync of log/); an index without its segment is ignored;
 *   3. rename <new>.tlog.tmp to <new>.tlog: the commit point; from here
 *      the inputs are hidden by the listing;
 *   4. fsync log/, so the commit is durable before any input is removed;
 *   5. remove each input, index first, then fsync log/.
 * Before anything else a compaction removes what an interrupted one left:
 * <compacted>.tlog.tmp and .cdb.tmp files, a compacted index without its
 * segment (crash between 2 and 3) and the inputs a visible compacted
 * segment hides (crash in 5).  Only names of that compacted form, or
 * segments a visible compacted one covers, are ever removed.
 * Readers take no lock: a query that lists log/ while a swap commits may
 * miss the segments being swapped for that one run (it reports the
 * missing file); re-run it.  Two compactions of one store exclude each
 * other by a lock on <store>/state/compact.lock.
 *
 * Which segments: the listed (visible) ones that are sealed, indexed by a
 * matching index and whose records all lie before opts.before_us, in runs
 * of consecutive seqs (a segment that is none of these ends a run: it is
 * never covered; so does a missing seq, which rsync may still bring).  A run is cut into merges of at most max_bytes of input
 * and COMPACT_MAX_INPUTS segments; a merge of one segment is skipped.
 *
 * Memory: the inputs of one merge are mapped (max_bytes); the coalescing
 * table holds about 48 bytes per distinct observation and 4 bytes per
 * observation of the merge.
 */
#ifndef TIP_COMPACT_H
#define TIP_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#define COMPACT_MAX_BYTES (256u << 20)	/* input bytes per merged segment, default */
#define COMPACT_MAX_INPUTS 16384	/* segments per merged segment */
#define COMPACT_BUCKET_US (86400LL * 1000000)	/* default coalescing bucket: a UTC day */

struct compact_opts {
	int64_t before_us;	/* only segments whose records all lie before it; 0: all */
	uint64_t max_bytes;	/* input bytes per merge; 0: COMPACT_MAX_BYTES */
	int64_t bucket_us;	/* coalescing bucket; 0: COMPACT_BUCKET_US, < 0: none */
	int no_fsync;		/* tests and benchmarks on scratch data */
	int clean_only;		/* only remove residue and superseded segments; merge nothing */
	/* progress: bytes of input done and in all, called now and then */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	/*
	 * Tests: called at each step of every swap with a growing step number
	 * (1, 2, ...); returning nonzero stops the compaction right there, as
	 * a crash would (no cleanup), and compact_store returns -1 (ECANCELED).
	 */
	int (*crash)(void *ctx, unsigned step);
	void *crash_ctx;
};

struct compact_stats {
	uint64_t merges;		/* merged segments written */
	uint64_t segments_in;		/* input segments replaced */
	uint64_t bytes_in, bytes_out;	/* of the segments (indexes apart) */
	uint64_t records_in, records_out;
	uint64_t dns_in, dns_out;	/* DNS observation records */
	uint64_t lookups;		/* sum of their counts (the same in and out) */
	uint64_t residue_removed;	/* files an interrupted compaction left */
	uint64_t skipped;		/* segments not eligible (unsealed, no index, damaged) */
	uint64_t damaged;		/* of which found damaged while merging */
};

/*
 * Compact the store at dir.  0 (stats in *st; nothing to do is 0 with
 * st->merges == 0), or -1 with errno and a message in err; the merges
 * done before a failed one stay done.  A segment found damaged while
 * merging is left as it is (counted in st->damaged) and the segments
 * around it are merged without it.
 */
int compact_store(const char *dir, const struct compact_opts *o, struct compact_stats *st,
		  char *err, size_t errlen);

/*
 * Name of a merged segment of seqs first..last starting at start_us:
 * "<YYYYmmddTHHMMSSZ>-<last>.c<first>" (SEG_NAME_MAX is enough).
 */
void compact_name(char *out, size_t cap, uint32_t first, uint32_t last, int64_t start_us);

/* 1 when name (without extension) is a merged segment's: first and last set. */
int compact_name_parse(const char *name, uint32_t *first, uint32_t *last);

#endif
