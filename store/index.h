/*
 * index: the CDB index of a sealed segment.
 *
 * <segment>.cdb maps a key to the ascending offsets of the records that
 * carry it, as one value per key: LEB128 varints of the first offset and
 * then the gaps.  Keys are a one-byte kind and the key bytes:
 *     'd' domain (query name, lower case, no final dot)
 *     'r' a name in an answer (NS, CNAME, PTR target)
 *     '4' IPv4 address (4 bytes), '6' IPv6 address (16 bytes)
 *     'e' + 4 or 16 bytes: the enrichment records of an address alone
 *         (an address of a flux pool has thousands of 4/6 references;
 *         what is known of it is in a few)
 *     'i' indicator, 's' source (reserved for feeds and spam)
 *     spam extracts (REC_SPAM): 'm' + a name seen in spam (URL host, its
 *     registered domain, the From / Reply-To / Return-Path / Message-ID
 *     domains), 'a' + 4 or 16 bytes: the sender address, 'h' + 32 bytes:
 *     an attachment's SHA-256, 'g' + 32 bytes: the message digest
 * and, from version 3, member lists: their value is not offsets but the
 * keys (u8 (length - 1) + key: a key is 2 to 256 bytes) of the segment they stand for, each once:
 *     'w' + a name's parent suffix ("b.c" and "c" for a.b.c): the 'd' keys
 *         under it (left-hand wildcard "*.b.c")
 *     'p' + a name's leading labels ("a" and "a.b"): right-hand "a.b.*"
 *     'n' + u8 family + u8 bits + the prefix bytes: the '4' or '6' keys
 *         of the addresses in it, at /8, /16, /24 (IPv4) and every 8 bits
 *         from /16 to /64 (IPv6)
 * and one meta entry under the key "\0meta" (struct index_meta), which
 * ties the index to the exact segment it was built from: an index whose
 * size or seal CRC does not match its segment is stale.
 *
 * Files are published by writing <name>.cdb.tmp, fsync, rename, fsync of
 * the directory: a reader sees an old index, a new one, or none.
 */
#ifndef TIP_INDEX_H
#define TIP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <cdb.h>

#include "rec.h"

#define INDEX_KEY_MAX (1 + 255)

enum index_kind {
	IX_DOMAIN = 'd',
	IX_RNAME = 'r',
	IX_IP4 = '4',
	IX_IP6 = '6',
	IX_INDICATOR = 'i',
	IX_SOURCE = 's',
	IX_ENRICH = 'e',
	IX_CIDR = 'c',		/* 'c' + family + prefix length + masked address (4 or 16 bytes) */
	IX_SUFFIX = 'w',	/* member list (version 3) */
	IX_PREFIX = 'p',	/* member list (version 3) */
	IX_NET = 'n',		/* member list (version 3) */
	IX_MAILNAME = 'm',	/* a name seen in spam */
	IX_SENDER = 'a',	/* a spam sender address */
	IX_ATTACH = 'h',	/* an attachment hash */
	IX_DIGEST = 'g',	/* a message digest */
};

#define INDEX_VERSION 3		/* what index_build writes */
#define INDEX_VERSION_LISTS 3	/* the first version with member lists */

struct index_meta {
	uint32_t version;
	uint32_t seq;
	uint64_t seg_size;	/* bytes of the segment, seal frame included */
	uint64_t seal_off;	/* where the seal frame starts */
	uint32_t seal_crc;	/* CRC of the seal frame */
	uint64_t records;
	int64_t ts_first_us;
	int64_t ts_last_us;
	uint64_t per_type[8];	/* records of types 1..7 (0: other) */
	uint64_t keys;
};

struct index_build_stats {
	uint64_t records;
	uint64_t keys;
	uint64_t refs;		/* key -> record references */
	uint64_t bytes;		/* size of the index file */
};

/*
 * Build cdb_path from the sealed segment seg_path.  0, or -1 with errno
 * and a message (EINVAL when the segment is not sealed or is damaged).
 */
int index_build(const char *seg_path, const char *cdb_path, struct index_build_stats *st,
		char *err, size_t errlen);

struct index {
	int fd;
	struct cdb cdb;
	struct index_meta meta;
};

/* Map an index: 0, or -1 (errno; EINVAL when it is no TIP index). */
int index_open(struct index *ix, const char *cdb_path);
void index_close(struct index *ix);

struct index_iter {
	const uint8_t *p, *end;
	uint64_t pos;
	int started;
};

/* Find key: 1 with it set up to walk the offsets, 0 not there, -1 damaged. */
int index_find(struct index *ix, const void *key, size_t klen, struct index_iter *it);
/* Next offset: 1, 0 at the end, -1 damaged value. */
int index_iter_next(struct index_iter *it, uint64_t *pos);
/* Next member of a list key ('w', 'p', 'n'): 1 with the key, 0 at the end, -1 damaged. */
int index_member_next(struct index_iter *it, const uint8_t **key, size_t *klen);

/* Call fn for every key of record r (a key may come more than once). */
int index_rec_keys(const struct rec *r, int (*fn)(void *ctx, const uint8_t *key, size_t klen),
		   void *ctx);

/* 1 when the index was built from exactly this segment (size and seal). */
int index_matches(const struct index *ix, const uint8_t *seg_map, size_t seg_size);

/* Keys.  Return the key length, or 0 when the input cannot be a key. */
size_t index_key_domain(uint8_t *out, const char *name, size_t len);
size_t index_key_kind(uint8_t *out, uint8_t kind, const char *name, size_t len);
size_t index_key_ip(uint8_t *out, int family, const void *addr);
/* 'e' + address: the key of an address's enrichment records. */
size_t index_key_enrich(uint8_t *out, int family, const void *addr);
/*
 * 'i' + a feed indicator's normalised text, lower-cased; one longer than
 * the key allows is cut and ends in '#' and 16 hex digits of its hash, so
 * readers compare the record's value to what they look for.
 */
size_t index_key_indicator(uint8_t *out, const char *value, size_t len);
/* 's' + a feed source's name. */
size_t index_key_source(uint8_t *out, const char *name, size_t len);
/* Spam keys: kind IX_SENDER + 4/16 bytes, IX_ATTACH or IX_DIGEST + 32 bytes. */
size_t index_key_bytes(uint8_t *out, uint8_t kind, const void *p, size_t n);
/* 'c' + family + prefix + the address with host bits cleared. */
size_t index_key_cidr(uint8_t *out, int family, unsigned prefix, const void *addr);
/* 'n' + family + bits + the prefix (bits rounded up to bytes, the rest masked). */
size_t index_key_net(uint8_t *out, int family, const void *addr, unsigned bits);
/* From text: a domain or an IPv4/IPv6 address as typed by a user. */
size_t index_key_parse(uint8_t *out, const char *text);

#endif
