/*
 * seg_writer: appends records to a store's active segment, rotates and
 * seals segments (seg.h's format), applies retention, and on opening
 * recovers what a crash left: an unsealed segment is cut back to its last
 * whole record, sealed and indexed.  It sits above the reader, the index
 * and the store listing, which it uses; nothing below it calls it.
 *
 * One writer per store, used by one thread at a time (tipd's writer
 * thread); it shares nothing with other writers or readers.
 */
#ifndef TIP_SEG_WRITER_H
#define TIP_SEG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* The policy of a writer.  Zero fields take the defaults in brackets. */
struct seg_policy {
	uint64_t max_bytes;	/* rotate at this size [16 MiB] */
	uint32_t max_age_s;	/* rotate at this age [3600] */
	uint32_t sync_every_n;	/* fsync after this many records [0: not by count] */
	uint32_t sync_every_ms;	/* fsync when the oldest unsynced record is this old [1000] */
	uint64_t quota_bytes;	/* retention: oldest sealed segments go past this [0: none] */
	uint32_t buf_bytes;	/* append buffer [64 KiB] */
	int no_index;		/* 1: do not build the index at seal (tests) */
	int no_fsync;		/* 1: never fsync (tmpfs stores, benchmarks of the rest) */
};

struct seg_writer_stats {
	uint64_t appended;	/* records accepted by append */
	uint64_t written;	/* records handed to write(2) */
	uint64_t durable;	/* records known to be on disk (fsync returned) */
	uint64_t bytes;		/* bytes written, all segments */
	uint64_t segments;	/* segments sealed */
	uint64_t write_errors;	/* failed writes (ENOSPC and others) */
	uint64_t removed;	/* segments removed by retention */
	uint32_t seq;		/* sequence number of the active segment (0: none yet) */
	uint64_t durable_bytes;	/* the active segment's bytes known to be on disk: its
				 * header and whole frames up to the last sync */
};

struct seg_writer;

/*
 * Open a writer on a store (created when missing, with sensor id `sensor`
 * or the host name when NULL).  Recovery: an unsealed segment left by a
 * crash is cut back to its last whole record and sealed; the writer then
 * appends to a new segment.  A sealed segment is never written again.
 * Returns NULL with errno and a message in err[0..errlen) on failure.
 */
struct seg_writer *seg_writer_new(const char *store_dir, const char *sensor,
				  const struct seg_policy *policy, char *err, size_t errlen);

/*
 * Open the active segment now, when none is open, rather than at the next
 * append: a writer that must know at start that the store takes data (a
 * full disk, a read-only mount) calls it.  0, or -1 with errno.
 */
int seg_writer_begin(struct seg_writer *w);

/*
 * Queue one record.  It is written when the buffer fills or by policy and
 * is durable after the next successful seg_writer_sync.  Returns 0, or -1
 * with errno (EINVAL: record does not encode; ENOSPC/EIO: the disk refused
 * and the buffer is full, the record is not taken: the caller counts it).
 * The record is copied; the caller keeps ownership of what it points to.
 */
int seg_writer_append(struct seg_writer *w, const struct rec *r);

/* write(2) what is buffered.  0, or -1 with errno; nothing is lost on -1. */
int seg_writer_flush(struct seg_writer *w);

/* Flush and fdatasync: on 0, every record appended so far is durable. */
int seg_writer_sync(struct seg_writer *w);

/* Apply the time policy (sync by age, rotate by age); call now and then. */
int seg_writer_tick(struct seg_writer *w);

/* Seal the active segment now (the next append opens a new one). */
int seg_writer_seal(struct seg_writer *w);

void seg_writer_stats(const struct seg_writer *w, struct seg_writer_stats *st);
const char *seg_writer_dir(const struct seg_writer *w);

/* Sync and seal, then free.  Returns -1 when data could not be made durable. */
int seg_writer_close(struct seg_writer *w);

/* Free without sealing (what a crash leaves; tests). */
void seg_writer_free(struct seg_writer *w);

#endif
