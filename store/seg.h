/*
 * seg: segment files, the append-only logs of a store.
 *
 * A segment is <store>/log/<YYYYmmddTHHMMSSZ>-<seq>.tlog: a 32-byte header
 *     "TIPSEG1\n" | le16 version | le16 header size | le32 flags |
 *     le32 seq | le64 base_us | le32 crc32c of the 28 bytes before
 * then frames (rec.h).  The active segment only grows.  Sealing appends a
 * REC_SEAL frame, fsyncs, and publishes <same name>.cdb (index.h); after
 * that neither file changes again, which is what makes rsync
 * --append-verify of the active file and plain rsync of sealed ones safe.
 *
 * Sequence numbers only grow within a store; they, not the times in the
 * names (a router's clock may jump), order the segments.
 */
#ifndef TIP_SEG_H
#define TIP_SEG_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define SEG_MAGIC "TIPSEG1\n"
#define SEG_HDR_SIZE 32
#define SEG_VERSION 1
#define SEG_F_CLOCK_UNSET 0x01
#define SEG_NAME_MAX 64

struct seg_header {
	uint16_t version;
	uint32_t flags;
	uint32_t seq;
	int64_t base_us;
};

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

/*
 * Reader.  The file is mapped read-only whole; records returned point into
 * the map and live until seg_reader_close.  On a fault, `fault_off` and
 * `fault` say where and what; seg_reader_resync skips to the next frame
 * that checks, so the rest of a damaged file can still be read.
 */
struct seg_reader {
	int fd;
	const uint8_t *map;
	size_t size;
	size_t off;		/* next frame */
	struct seg_header hdr;
	uint64_t records;	/* decoded so far */
	int sealed;		/* a REC_SEAL frame was read */
	size_t seal_off;	/* where it starts */
	uint32_t seal_crc;	/* its CRC */
	size_t fault_off;
	const char *fault;
	char path[4096];
};

/* 0, or -1 with errno and r->fault (bad header: EINVAL). */
int seg_reader_open(struct seg_reader *r, const char *path);
void seg_reader_close(struct seg_reader *r);

/*
 * Next record: 1 with *rec and its offset in *pos; 0 at the clean end of
 * the data; -1 at a fault (damaged frame, or a torn tail: a partial frame
 * at the end, fault "torn tail").  After -1, seg_reader_resync may go on.
 */
int seg_reader_next(struct seg_reader *r, struct rec *rec, uint64_t *pos);

/* 1 found a checking frame after the fault (r->off set to it), 0 none. */
int seg_reader_resync(struct seg_reader *r);

/* Decode the one record at pos (from an index): 1, or -1 with r->fault. */
int seg_reader_at(struct seg_reader *r, uint64_t pos, struct rec *rec);

/* Parse a segment file name: 1 with seq and start time, 0 not a segment name. */
int seg_name_parse(const char *name, uint32_t *seq, int64_t *start_us);
void seg_name_make(char *out, size_t cap, uint32_t seq, int64_t start_us);

#endif
