/*
 * rec: the records of a TIP store and their on-disk codec.
 *
 * A frame on disk is
 *     le32 crc32c | le32 (payload length | type << 24) | payload
 * where the CRC covers the second word and the payload.  Payloads are at
 * most REC_MAX_PAYLOAD bytes.  Every payload starts with
 *     u8 flags | svarint (ts_us - base_us)
 * where base_us is the start time of the segment that holds the record
 * (the reader knows it from the segment header).  What follows depends on
 * the type; the layouts are documented in doc/store-format.md and in
 * rec.c.  Integers are little-endian or LEB128 varints on every host.
 *
 * Decoded records point into the frame they came from (no allocation, no
 * copy): they live as long as the bytes they were decoded from.  Records
 * to encode point into the caller's memory in the same way.
 *
 * A reader skips types it does not know (rec_decode returns 1 with the raw
 * payload in u.raw); new types are added, never changed.
 */
#ifndef TIP_REC_H
#define TIP_REC_H

#include <stddef.h>
#include <stdint.h>

#define REC_FRAME_HDR 8
#define REC_MAX_PAYLOAD ((1u << 24) - 1)
#define REC_NAME_MAX 255	/* a domain name in text form, without the final dot */
#define REC_TEXT_MAX 1024	/* AS names, event texts */

enum rec_type {
	REC_DNS = 1,		/* one DNS lookup: the whole answer set */
	REC_ENRICH = 2,		/* what was learned of one IP: ASN, AS name, country, PTR */
	REC_SCORE = 3,		/* a fast-flux score sample for one domain */
	REC_EVENT = 4,		/* sensor start, stop, config change */
	REC_FEED = 5,		/* a blacklist feed: an indicator listed or delisted, or a fetch */
	REC_SPAM = 6,		/* what was mined from one spam message (rec_spam.h) */
	REC_SEAL = 127,		/* the last record of a sealed segment */
};

/* Flags, common to every type. */
#define REC_F_CLOCK_UNSET 0x01	/* ts_us was taken before the clock was set */
#define REC_F_COALESCED 0x02	/* DNS: ts_last_us and count are meaningful */
#define REC_F_PUBLIC 0x0f	/* bits callers may set; the codec owns the rest */

enum rec_event_kind {
	REC_EV_START = 1,
	REC_EV_STOP = 2,
	REC_EV_CONFIG = 3,	/* configuration (re)loaded */
	REC_EV_NOTE = 4,	/* anything else worth a line in the log */
};

struct rec_ip {
	uint8_t family;		/* 4 or 6; 0 = none */
	uint8_t addr[16];	/* network order; 4 bytes used for IPv4 */
};

struct rec_dns {
	const char *name;	/* query name, lower case, no final dot */
	size_t name_len;
	uint16_t qtype;		/* DNS type of the question */
	uint8_t rcode;		/* DNS rcode, or RCODE_* pseudo codes >= 16 */
	uint32_t ttl;		/* smallest TTL of the answer set */
	struct rec_ip server;	/* who answered (family 0 when unknown) */
	uint32_t n_a4;		/* IPv4 addresses: n_a4 * 4 bytes */
	const uint8_t *a4;
	uint32_t n_a6;		/* IPv6 addresses: n_a6 * 16 bytes */
	const uint8_t *a6;
	uint32_t n_names;	/* names (NS, CNAME, PTR, TXT strings): */
	const uint8_t *names;	/* n_names times (u8 length, bytes) */
	size_t names_len;	/* bytes at names */
	int64_t ts_last_us;	/* REC_F_COALESCED: last seen */
	uint64_t count;		/* REC_F_COALESCED: times seen */
};

/* Outcomes that are not DNS rcodes, kept in rec_dns.rcode. */
#define RCODE_TIMEOUT 16
#define RCODE_MALFORMED 17
#define RCODE_TRUNCATED 18
#define RCODE_NETERR 19

struct rec_enrich {
	struct rec_ip ip;
	uint32_t asn;		/* 0 = unknown */
	const char *as_name;
	size_t as_name_len;
	char country[2];	/* ISO 3166 alpha-2, "\0\0" unknown */
	const char *ptr;	/* PTR name, may be empty */
	size_t ptr_len;
};

struct rec_score {
	const char *name;
	size_t name_len;
	uint32_t n_a;		/* unique IPv4 addresses */
	uint32_t n_asn;		/* unique origin ASNs */
	uint32_t n_ns;		/* unique NS names */
	uint32_t lookups;
	double score;		/* 1.32*nA + 18.54*nASN + 0*nNS */
	double margin;		/* score - 142.38 */
	uint8_t window;		/* 0 running totals since first seen, 1 classification window */
};

struct rec_event {
	uint8_t kind;		/* enum rec_event_kind */
	const char *text;
	size_t text_len;
};

/* REC_FEED: what op a feed record is. */
enum rec_feed_op {
	REC_FEED_LISTED = 1,	/* the source lists the indicator (since the last fetch) */
	REC_FEED_DELISTED = 2,	/* the source no longer lists it */
	REC_FEED_FETCH = 3,	/* one fetch of the source */
};

/* REC_FEED kinds of indicator (the values of enum feed_kind, store/feed.h). */
enum rec_ind_kind {
	REC_IND_DOMAIN = 1,
	REC_IND_IP = 2,
	REC_IND_CIDR = 3,
	REC_IND_URL = 4,
};

/* REC_FEED_FETCH outcomes. */
enum rec_fetch_outcome {
	REC_FETCH_OK = 0,	/* a new list was parsed and its changes recorded */
	REC_FETCH_NOT_MODIFIED = 1,	/* 304: nothing changed */
	REC_FETCH_FAILED = 2,	/* nothing recorded but this record: see error */
};

#define REC_SOURCE_MAX 64	/* a source's name */
#define REC_VALUE_MAX 4096	/* an indicator (URLs) */
#define REC_VALIDATOR_MAX 255	/* ETag, Last-Modified kept */

struct rec_feed {
	uint8_t op;		/* enum rec_feed_op */
	const char *source;	/* the source's name from the configuration */
	size_t source_len;
	/* LISTED, DELISTED */
	uint8_t kind;		/* enum rec_ind_kind */
	const char *value;	/* the normalised indicator (store/feed.h) */
	size_t value_len;
	const char *host;	/* URL: its host; else empty */
	size_t host_len;
	/* FETCH */
	uint16_t status;	/* final HTTP status, 0 when none came */
	uint8_t outcome;	/* enum rec_fetch_outcome */
	uint64_t bytes;		/* body bytes parsed */
	uint64_t entries;	/* indicators in the list (distinct) */
	uint64_t added, removed;	/* LISTED and DELISTED records this fetch wrote */
	uint64_t bad;		/* lines counted bad */
	uint64_t duration_us;
	const char *etag;	/* validators after the fetch */
	size_t etag_len;
	const char *last_modified;
	size_t last_modified_len;
	const char *error;	/* FAILED: why (already escaped); else empty */
	size_t error_len;
};

/* REC_SPAM (layout and helpers in rec_spam.h) */
enum rec_spam_op {
	REC_SPAM_EXTRACT = 1,	/* the first time a message is seen: everything mined */
	REC_SPAM_REPEAT = 2,	/* a message seen again: digest and source only */
};

struct rec_spam {
	uint8_t op;		/* enum rec_spam_op */
	const uint8_t *digest;	/* 32 bytes: the message digest (mail.h) */
	const char *source;	/* "maildir", "archive", "import": where it was mined */
	size_t source_len;
	/* EXTRACT */
	uint64_t bytes;		/* size of the message */
	uint32_t bad;		/* MAIL_BAD_* anomalies that were not fatal */
	uint8_t mflags;		/* MAIL_F_* */
	uint32_t parts;
	struct rec_ip sender;	/* family 0 when none */
	const char *subject;
	size_t subject_len;
	const char *from, *reply, *rpath, *msgid;	/* header domains, may be empty */
	size_t from_len, reply_len, rpath_len, msgid_len;
	uint32_t n_hosts;	/* n x (u8 len, host, u8 length of its registered domain) */
	const uint8_t *hosts;
	size_t hosts_len;
	uint32_t n_urls;	/* n x (varint len, URL) */
	const uint8_t *urls;
	size_t urls_len;
	uint32_t urls_seen;	/* distinct URLs found, kept or not */
	uint32_t n_att;		/* n x (u8 len, name, u8 len, type, varint size, 32 bytes SHA-256) */
	const uint8_t *att;
	size_t att_len;
	const char *name;	/* where it was: a maildir message's unique name, an archive's day; may be empty */
	size_t name_len;
};

struct rec_seal {
	uint64_t records;	/* records before the seal */
	uint64_t bytes;		/* bytes of the segment before the seal frame */
};

struct rec_raw {
	const uint8_t *p;	/* the payload after flags and time */
	size_t len;
};

struct rec {
	uint8_t type;
	uint8_t flags;
	int64_t ts_us;
	union {
		struct rec_dns dns;
		struct rec_enrich enrich;
		struct rec_score score;
		struct rec_event event;
		struct rec_feed feed;
		struct rec_spam spam;
		struct rec_seal seal;
		struct rec_raw raw;	/* types this version does not know */
	} u;
};

/*
 * Encode r as a whole frame into out[0..cap).  Returns the frame length,
 * or -1 when it does not fit (errno ENOBUFS) or r is invalid (EINVAL: a
 * name or text too long, an unknown type).
 */
long rec_encode(void *out, size_t cap, const struct rec *r, int64_t base_us);

/*
 * Check the frame at p[0..len): 1 and its total length in *frame_len when
 * it is whole and its CRC matches; 0 when fewer than a whole frame's bytes
 * are there (a torn tail, or read more); -1 when it is damaged (bad CRC,
 * zero type, impossible length), with a static reason in *why.
 */
int rec_frame_check(const void *p, size_t len, size_t *frame_len, const char **why);

/*
 * Decode a checked frame.  1 on success (unknown types come back with
 * u.raw), -1 with *why when the payload does not parse.
 */
int rec_decode(const void *frame, size_t frame_len, int64_t base_us, struct rec *r,
	       const char **why);

/* Iterate the names of a DNS record: 1 with the next name, 0 at the end. */
int rec_dns_name_next(const struct rec_dns *d, size_t *off, const char **name, size_t *len);

/* Append one name (u8 length + bytes) to a names buffer; -1 when full or too long. */
int rec_names_add(uint8_t *buf, size_t cap, size_t *len, const char *name, size_t name_len);

/* Set ts_us and REC_F_CLOCK_UNSET from the clock. */
void rec_stamp(struct rec *r);

const char *rec_type_name(uint8_t type);

#endif
