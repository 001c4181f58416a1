/*
 * store: a store directory, and several of them read together.
 *
 *     <store>/sensor.id                 the sensor's name, written at creation
 *     <store>/log/<start>-<seq>.tlog    segments (seg.h)
 *     <store>/log/<start>-<seq>.cdb     indexes of sealed segments (index.h)
 *     <store>/state/                    small module state
 *
 * Anything else in log/ is foreign: listed, reported by verify, never
 * touched.  Several sensors' stores rsynced side by side under one parent
 * are read together as a store set, in (sensor, seq) order.
 *
 * A compacted segment (compact.h) is named <start>-<seq>.c<first>: it
 * holds the records of every segment of seq first..seq.  The listing
 * hides the segments it covers (they are superseded: listed as foreign,
 * left for `tip compact` to remove), so a store that still holds both,
 * after a crash or an rsync without --delete, reads the same as one that
 * holds only the compacted segment.
 */
#ifndef TIP_STORE_H
#define TIP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "rec.h"
#include "seg.h"

#define STORE_ID_MAX 64

struct store_seg {
	char name[SEG_NAME_MAX];	/* file name without .tlog */
	uint32_t seq;
	int64_t start_us;
	uint64_t size;		/* bytes of the .tlog */
	int has_index;		/* a .cdb exists beside it */
	uint32_t cover_first;	/* first seq it holds: seq, or <first> of a compacted segment */
};

struct store_listing {
	struct store_seg *segs;	/* ascending seq (a compacted one after a plain one of its seq) */
	size_t n;
	char **foreign;		/* names in log/ that are no segment or index */
	size_t n_foreign;
};

/* Create the layout (idempotent).  sensor NULL: the host name. */
int store_create(const char *dir, const char *sensor, char *err, size_t errlen);

/* 1 when dir looks like a store (has sensor.id or log/), 0 otherwise. */
int store_is_store(const char *dir);

/* Read sensor.id into out (a sanitised name). 0 or -1. */
int store_sensor_id(const char *dir, char *out, size_t cap);

/*
 * List segments, superseded ones left out (listed as foreign); free with
 * store_listing_free.  0 or -1 with errno.
 */
int store_list(const char *dir, struct store_listing *ls);
void store_listing_free(struct store_listing *ls);

/* Path of a segment's file: ext "tlog" or "cdb". */
void store_seg_path(char *out, size_t cap, const char *dir, const char *name, const char *ext);

/*
 * Retention: remove the oldest sealed segments (and their indexes) while
 * the store's segments take more than quota bytes.  The active (highest,
 * unsealed) segment is never removed.  Returns the number removed or -1.
 */
int store_retention(const char *dir, uint64_t quota);

/* A set of stores read together. */
struct store_set {
	char **dirs;
	char **ids;
	size_t n;
};

/*
 * Add a path: a store, or a parent directory whose subdirectories are
 * stores.  0, or -1 with a message when it is neither.
 */
int store_set_add(struct store_set *set, const char *path, char *err, size_t errlen);
void store_set_free(struct store_set *set);

/* Called for every record found; return nonzero to stop. */
typedef int (*store_rec_cb)(void *ctx, const char *sensor, const struct store_seg *seg,
			    uint64_t pos, const struct rec *r);
/* Called for every fault met (a damaged file is reported, the rest still read). */
typedef void (*store_fault_cb)(void *ctx, const char *path, uint64_t off, const char *why);

/*
 * Every record carrying key, over all stores and segments (sealed segments
 * by their index; the active one, or one whose index is missing or stale,
 * by a scan).  0, or -1 when the callback stopped the walk.
 */
int store_set_lookup(const struct store_set *set, const void *key, size_t klen,
		     store_rec_cb cb, store_fault_cb fault, void *ctx);

/*
 * Every record carrying any of the n keys, reading each segment's index
 * (or, without one, the segment) once for all of them: the lookups of many
 * addresses over many segments.  Records come segment by segment and, in a
 * segment, key by key; key_i says which key matched (a record carrying two
 * of the keys comes twice).  0, or -1 when the callback stopped the walk.
 */
typedef int (*store_key_cb)(void *ctx, size_t key_i, const char *sensor,
			    const struct store_seg *seg, uint64_t pos, const struct rec *r);
int store_set_lookup_many(const struct store_set *set, const uint8_t *const *keys,
			  const size_t *klens, size_t n, store_key_cb cb, store_fault_cb fault,
			  void *ctx);

/*
 * Patterns (wildcards, prefixes) through the member lists of the index
 * (index.h, version 3): lkeys are list keys of one kind ('w', 'p' or 'n');
 * in a segment whose index has them, every member accepted by ok() is
 * looked up and cb is called with it and each record carrying it.  A
 * segment without such an index (the active one, an older or stale index)
 * is scanned, and every key of a record of the lists' member kind ('d' for
 * 'w' and 'p', '4' and '6' for 'n') that ok() accepts counts the same way:
 * so ok() must decide the pattern by itself, the lists only narrow it.
 * The lists must be disjoint.  0, or -1 when cb stopped the walk.
 */
typedef int (*store_member_ok)(void *ctx, const uint8_t *key, size_t klen);
typedef int (*store_member_cb)(void *ctx, const uint8_t *key, size_t klen, const char *sensor,
			       const struct store_seg *seg, uint64_t pos, const struct rec *r);
int store_set_lookup_members(const struct store_set *set, const uint8_t *const *lkeys,
			     const size_t *lklens, size_t n, store_member_ok ok, store_member_cb cb,
			     store_fault_cb fault, void *ctx);

/* Every record of every store, in order. */
int store_set_scan(const struct store_set *set, store_rec_cb cb, store_fault_cb fault, void *ctx);

#endif
