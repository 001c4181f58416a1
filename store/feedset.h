/*
 * feedset: the last list of one feed source, kept in the store's state/
 * so that each fetch records only what changed (REC_FEED listed and
 * delisted records, rec.h), and the diff between it and a new list.
 *
 * File <dir>/<source>.set (written to <source>.set.tmp, fsynced, renamed,
 * the directory fsynced):
 *     "TIPFSET1" | le32 version (1) | le32 n | le64 pairs offset |
 *     le32 CRC-32C of the pairs | le32 0 |
 *     blob: entries in the order the feed gave them, each
 *           u8 kind | varint len, value | u8 len, host |
 *     n x (le64 hash, le32 blob offset), ascending hash, no duplicates
 * The hash is FNV-1a 64 of the kind byte and the value; two indicators
 * with the same hash count as one (about 3e-8 for a million entries).
 *
 * Memory: building keeps 12 bytes an entry (hash and offset) and a 64 KiB
 * write buffer; the text goes to the file as it comes.  The old set is
 * mapped read-only; the diff reads the new one back through a 16 KiB
 * window.  So a list of a million entries costs about 12 MB while it is
 * diffed, whatever the length of its lines.
 *
 * The diff walks both sets in hash order and gives one change at a time
 * (the delistings, then the listings in the feed's order), so a caller can
 * pace them (the store writer's queue is bounded).
 * Sets are per source and are touched by one fetch at a time.
 */
#ifndef TIP_FEEDSET_H
#define TIP_FEEDSET_H

#include <stddef.h>
#include <stdint.h>

#define FEEDSET_SOURCE_MAX 64

struct fs_pair {
	uint64_t hash;
	uint32_t off;
} __attribute__((packed));

struct feedset_build {
	int fd;
	char path[4096];	/* the final name; the temporary adds ".tmp" */
	uint8_t wbuf[65536];
	size_t wlen;
	uint64_t off;		/* bytes of blob written (buffer included) */
	struct fs_pair *pairs;
	size_t n, cap;
	int sealed;
};

struct feedset {
	const uint8_t *map;
	size_t size;
	uint32_t n;
	const uint8_t *pairs;	/* n x 12 bytes */
	size_t blob_end;	/* the pairs' offset */
};

struct feedset_change {
	int listed;		/* 1 listed (in the new set only), 0 delisted */
	uint8_t kind;		/* enum rec_ind_kind */
	const char *value;	/* valid until the next call */
	size_t len;
	const char *host;
	size_t host_len;
};

/* An entry's value and host at most, and the blob entry they make (kind, varint, texts) */
#define FEEDSET_VALUE_MAX 4096
#define FEEDSET_HOST_MAX 255
#define FEEDSET_ENTRY_MAX (1 + 10 + FEEDSET_VALUE_MAX + 1 + FEEDSET_HOST_MAX)
/*
 * The diff's read-back window (order: above).  The walk in hash order
 * keeps the offsets of what is listed at the front of the new set's
 * pairs, then sorts them by offset: read back at the offsets of hash
 * order, a first fetch of a million entries was a million reads.
 */
#define FEEDSET_WIN 16384
struct feedset_diff {
	const struct feedset *old;
	struct feedset_build *nw;
	size_t i, j;
	size_t listed, next;	/* listings kept at nw->pairs[0..listed); the next to give */
	int reading;		/* the walk is done: giving the listings */
	uint64_t wo;		/* the window's offset in the new set's file */
	size_t wl;		/* and the bytes in it */
	uint64_t added, removed, same;
	char win[FEEDSET_WIN];
};

/* 1 when name is a usable source name ([A-Za-z0-9._-], 1-64, not ".x"). */
int feedset_name_ok(const char *name);

/* Start a new set for source in dir (created if missing).  0 or -1 (errno). */
int feedset_build_open(struct feedset_build *b, const char *dir, const char *source);
/* Add one indicator (duplicates are dropped at seal).  0 or -1 (errno). */
int feedset_build_add(struct feedset_build *b, uint8_t kind, const char *value, size_t len,
		      const char *host, size_t host_len);
/* Sort, drop duplicates and write the pairs; the set can then be diffed.  0 or -1. */
int feedset_build_seal(struct feedset_build *b);
/* Distinct entries (after seal). */
static inline size_t feedset_build_count(const struct feedset_build *b)
{
	return b->n;
}
/* fsync and rename over the old set, fsync the directory; frees.  0 or -1. */
int feedset_build_commit(struct feedset_build *b);
/* Remove the temporary and free. */
void feedset_build_abort(struct feedset_build *b);

/* Open the set of source: 1, 0 when there is none, -1 when damaged or unreadable (errno). */
int feedset_open(struct feedset *s, const char *dir, const char *source);
void feedset_close(struct feedset *s);

/*
 * old may be NULL (first fetch: everything is listed).  The diff reorders
 * nw's pairs in memory (their file is written at seal).
 */
void feedset_diff_init(struct feedset_diff *d, const struct feedset *old, struct feedset_build *nw);
/* 1 with the next change, 0 at the end, -1 on a read error or damage. */
int feedset_diff_next(struct feedset_diff *d, struct feedset_change *c);

uint64_t feedset_hash(uint8_t kind, const char *value, size_t len);
/*
 * Sort pairs by (hash, offset) in place: quicksort to a depth of `depth`
 * partitions, then heapsort (the set uses 2 log2 n; 0 is heapsort alone,
 * which the unit test takes).
 */
void feedset_pairs_sort(struct fs_pair *a, size_t n, unsigned depth);

#endif
