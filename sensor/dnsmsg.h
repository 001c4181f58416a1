/*
 * dnsmsg: the DNS wire format, as far as the resolver needs it: encode a
 * query, parse a reply.  Replies are untrusted bytes: every read goes
 * through store/buf.h's bounds-checked cursor, compression pointers must
 * point strictly backwards (so they cannot loop), names are at most 255
 * wire bytes, and every output lands in a caller-provided arena with fixed
 * caps; what does not fit is counted, never written past an end.  No
 * allocation, no globals; thread-safe per arena.  Type names are dnstype.h's.
 *
 * Parsed names are in presentation form without the final dot, case kept,
 * with RFC 1035 escapes: a backslash before the bytes a zone file gives
 * meaning to (. \ " ( ) ; @ $: "\." for a dot inside a label) and \DDD for
 * a space, control and non-ASCII bytes ("\032"); letters, digits and the
 * other printable punctuation stay as they are.  So a name from a reply is
 * a plain C string with no NUL, no space and no control byte.
 */
#ifndef TIP_DNSMSG_H
#define TIP_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_HDR 12
#define DNSMSG_WIRE_NAME_MAX 255	/* a name on the wire, final 0 included */
#define DNSMSG_TEXT_NAME_MAX 1024	/* the longest escaped text name, NUL included */
#define DNSMSG_QUERY_MAX 512		/* an encoded query always fits */

enum {
	DNS_TYPE_A = 1, DNS_TYPE_NS = 2, DNS_TYPE_CNAME = 5, DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12, DNS_TYPE_TXT = 16, DNS_TYPE_AAAA = 28, DNS_TYPE_OPT = 41,
};

enum {
	DNS_RCODE_NOERROR = 0, DNS_RCODE_FORMERR = 1, DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3, DNS_RCODE_NOTIMP = 4, DNS_RCODE_REFUSED = 5,
};

/* One record of the type asked, owned by the arena it was parsed into. */
struct dnsmsg_rr {
	uint32_t ttl;
	uint16_t type;
	uint16_t len;		/* 4 or 16 for addresses, else strlen of text */
	union {
		uint8_t addr[16];	/* A, AAAA: network byte order */
		const char *text;	/* NS, PTR, CNAME: a name; TXT: its strings joined;
					   any other type: the raw rdata (len bytes) */
	} u;
};

/* Where a parse puts its results: caller-allocated, reused per reply. */
struct dnsmsg_arena {
	struct dnsmsg_rr *rr;
	unsigned rr_cap;
	char *text;
	size_t text_cap;
	/* filled by the parse */
	unsigned rr_n;
	size_t text_used;
};

struct dnsmsg_reply {
	uint16_t id;
	uint8_t rcode;		/* header RCODE (extended bits ignored) */
	uint8_t aa, tc, ra;
	uint16_t qtype;
	uint16_t ancount;
	const char *qname;	/* the question, in the arena ("" when absent) */
	const char *cname;	/* end of the CNAME chain followed, or NULL */
	unsigned n;		/* records of qtype for qname (or the CNAME target) */
	struct dnsmsg_rr *rr;	/* the arena's array */
	uint32_t min_ttl;	/* smallest TTL of rr (0 when n == 0) */
	unsigned dropped;	/* records of qtype that did not fit the arena */
};

/* Set up an arena over caller memory. */
void dnsmsg_arena_init(struct dnsmsg_arena *a, struct dnsmsg_rr *rr, unsigned rr_cap,
		       char *text, size_t text_cap);

/*
 * Encode a text name ("www.example.com", final dot optional, "\." and
 * "\DDD" escapes honoured) into wire form.  Returns the wire length (final
 * 0 included), or -1 when empty labels, a label over 63 bytes or a name
 * over 255 bytes make it invalid.
 */
int dnsmsg_name_to_wire(const char *name, uint8_t *out, size_t cap);

/* Append wire name `w` as escaped text into out (NUL-terminated); length or -1. */
int dnsmsg_wire_to_text(const uint8_t *w, size_t wlen, char *out, size_t cap);

/*
 * Encode a query for name/qtype, class IN, with RD when rd, and an EDNS0
 * OPT record advertising edns_size when edns_size > 512.  Returns the
 * length, or -1 (bad name, or cap too small).
 */
int dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype, int rd,
		 unsigned edns_size);

/*
 * Parse a reply.  Fills *out and the arena (reset first).  Records kept:
 * the answer-section records of the question's type whose owner is the
 * question name or the end of the CNAME chain from it (at most 8 links).
 * Returns 0, or -1 with a static reason in *why (why may be NULL) when the
 * reply is malformed: too short, not a response, a name or record that
 * runs off the end, a bad compression pointer, rdata that does not match
 * its type.  Data past the answer section is not looked at.
 */
int dnsmsg_parse(const uint8_t *pkt, size_t len, struct dnsmsg_arena *a, struct dnsmsg_reply *out,
		 const char **why);

/* 1 when the question of a reply is (name, qtype, class IN), names compared case-insensitively. */
int dnsmsg_question_is(const struct dnsmsg_reply *r, const char *name, uint16_t qtype);

#endif
