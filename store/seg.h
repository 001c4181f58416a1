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
 *
 * This header is the names and the reader; the writer is seg_writer.h.
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

/*
 * What is wrong with a segment, as a kind; seg_reader's `fault` holds the
 * detail (the errno text, which check of a frame failed).  Callers decide
 * by the kind, never by comparing texts.
 */
enum seg_fault {
	SEG_FAULT_NONE = 0,
	SEG_FAULT_OPEN,		/* cannot be opened or mapped: errno text */
	SEG_FAULT_SHORT_HEADER,	/* shorter than its header: being created, or cut */
	SEG_FAULT_HEADER,	/* bad magic, header CRC or version */
	SEG_FAULT_TORN_TAIL,	/* a partial frame at the end: a write in progress or a crash */
	SEG_FAULT_FRAME,	/* a damaged frame (CRC, length, a record that does not decode) */
	SEG_FAULT_AFTER_SEAL,	/* frames after the seal */
	SEG_FAULT_SEAL_COUNT,	/* the seal counts a different number of records */
};

/* The kind's fixed text ("torn tail"); r->fault is exactly this text for
 * TORN_TAIL, SHORT_HEADER, AFTER_SEAL and SEAL_COUNT. */
const char *seg_fault_name(enum seg_fault f);
/*
 * The kind of a fault text a store walk reported (store_fault_cb's why):
 * by identity with the texts above, so no text is compared; any other
 * text is SEG_FAULT_FRAME, NULL is SEG_FAULT_NONE.
 */
enum seg_fault seg_fault_of(const char *why);

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
	enum seg_fault fault_kind;
	const char *fault;	/* the detail; seg_fault_name(fault_kind) or more precise */
	char path[4096];
};

/* 0, or -1 with errno and r->fault (bad header: EINVAL). */
int seg_reader_open(struct seg_reader *r, const char *path);
void seg_reader_close(struct seg_reader *r);

/*
 * Next record: 1 with *rec and its offset in *pos; 0 at the clean end of
 * the data; -1 at a fault (r->fault_kind: a damaged frame, or a torn tail,
 * a partial frame at the end).  After -1, seg_reader_resync may go on.
 */
int seg_reader_next(struct seg_reader *r, struct rec *rec, uint64_t *pos);

/*
 * The rest of the segment, checking frames only (length, type, CRC) and
 * decoding the seal alone: for bytes whose records are another program's
 * to read (tip pull checks what it fetched before it publishes it).
 * Sets records, sealed, seal_off and seal_crc as seg_reader_next would,
 * with the same faults ("torn tail", "bad CRC", "data after the seal", a
 * seal that counts other records).  0 at the clean end, -1 at a fault.
 */
int seg_reader_check_frames(struct seg_reader *r);

/* 1 found a checking frame after the fault (r->off set to it), 0 none. */
int seg_reader_resync(struct seg_reader *r);

/* Decode the one record at pos (from an index): 1, or -1 with r->fault. */
int seg_reader_at(struct seg_reader *r, uint64_t pos, struct rec *rec);

/*
 * One segment's health, the summary stats, serve and verify give: records
 * that decode, the time they span (a coalesced record to its last time),
 * whether it is sealed, and the faults met on the way (each skipped by
 * seg_reader_resync).
 */
struct seg_summary {
	uint64_t records;
	int64_t first_us, last_us;	/* INT64_MAX, INT64_MIN when no record */
	unsigned faults;		/* torn tails included */
	enum seg_fault last_fault;	/* SEG_FAULT_NONE: sound */
};

/*
 * Read the open segment r to its end into *s.  on_rec (may be NULL) sees
 * each record and its offset, and stops the scan by returning non-zero;
 * on_fault (may be NULL) sees r at each fault (r->fault_kind, r->fault,
 * r->fault_off; r->sealed says whether a seal came before it).  0, or -1
 * when on_rec stopped it.
 */
int seg_scan(struct seg_reader *r, struct seg_summary *s,
	     int (*on_rec)(void *ctx, const struct rec *rec, uint64_t pos),
	     void (*on_fault)(void *ctx, const struct seg_reader *r), void *ctx);

/* Parse a segment file name: 1 with seq and start time, 0 not a segment name. */
int seg_name_parse(const char *name, uint32_t *seq, int64_t *start_us);
void seg_name_make(char *out, size_t cap, uint32_t seq, int64_t start_us);
/*
 * The first sequence number held by the segment named name (without its
 * extension; seg_name_parse accepted it, with seq): <first> of a merged
 * segment's "<start>-<seq>.c<first>" (compact.h), with 8 to 11 digits and
 * below seq; seq itself for any other name.
 */
uint32_t seg_name_first(const char *name, uint32_t seq);

#endif
