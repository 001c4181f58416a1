/*
 * cymru: Team Cymru IP-to-ASN answers, parsed, and the names to ask.
 *
 * Three line formats (see ../shared/data/cymru):
 *   origin/origin6 TXT  "ASN[ ASN...] | prefix | CC | registry | YYYY-MM-DD"
 *   AS<n>.asn TXT       "ASN | CC | registry | YYYY-MM-DD | AS name"
 *   bulk whois          "ASN | IP | prefix | CC | registry | YYYY-MM-DD | AS name"
 * The text comes from DNS answers, so it is untrusted: every parser takes
 * an explicit length (a TXT string may hold NUL bytes), reads at most
 * CYMRU_LINE_MAX bytes, writes only into the caller's struct, accepts one
 * pair of surrounding double quotes (dig +short prints them) and trims
 * blanks around fields.  A bad line is -1 with a static reason and the
 * byte offset where it stopped making sense, never a partial result the
 * caller might trust.  Empty CC, registry or date fields are allowed
 * (Cymru leaves them empty at times).  No allocation.
 */
#ifndef TIP_CYMRU_H
#define TIP_CYMRU_H

#include <stddef.h>
#include <stdint.h>

#define CYMRU_LINE_MAX 1024
#define CYMRU_MAX_ASN 8		/* origin ASNs kept from one line (MOAS) */
#define CYMRU_NAME_MAX 128	/* AS name bytes kept, NUL included */
#define CYMRU_REG_MAX 16	/* registry, NUL included */
#define CYMRU_ZONE_ORIGIN "origin.asn.cymru.com"
#define CYMRU_ZONE_ORIGIN6 "origin6.asn.cymru.com"
#define CYMRU_ZONE_ASN "asn.cymru.com"

struct cymru_info {
	uint32_t asn[CYMRU_MAX_ASN];	/* origin ASNs; asn[0] for AS-name lines */
	unsigned n_asn;			/* stored in asn[] (0 for a bulk "NA") */
	unsigned n_asn_seen;		/* listed in the line (> n_asn when cut) */
	uint8_t family;			/* of prefix (and ip): 4, 6, or 0 when absent */
	uint8_t prefix_len;
	uint8_t prefix[16];		/* network order, host bits as given */
	uint8_t ip[16];			/* bulk lines: the address asked about */
	char cc[3];			/* ISO 3166 alpha-2, upper case; "" when empty */
	char registry[CYMRU_REG_MAX];	/* lower case: arin, ripencc, ...; "" when empty */
	uint16_t year;			/* allocation date; 0 when empty */
	uint8_t month, day;
	char name[CYMRU_NAME_MAX];	/* AS name, NUL-terminated, control bytes as '?' */
	size_t name_len;
	int name_cut;			/* 1 when the name was longer than kept */
};

/*
 * Where and why a line was refused.  off is a byte offset in s[0..len):
 * the first byte of the field at fault (after its blanks), the stray
 * quote or NUL itself, the line's end when fields are missing, the
 * first extra field when there are too many, and CYMRU_LINE_MAX for a
 * line too long.
 */
struct cymru_err {
	const char *why;	/* static: "origin: bad prefix", ... */
	size_t off;
};

/* 0 and *out filled, or -1 with *err set (err may be NULL). */
int cymru_parse_origin(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err);
int cymru_parse_asname(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err);
/* 1 a record, 0 a header, blank or comment line, -1 malformed. */
int cymru_parse_bulk(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err);

/*
 * The name to ask for an address or an AS number, zone NULL for the
 * default (CYMRU_ZONE_*): "31.108.90.216.origin.asn.cymru.com" for
 * 216.90.108.31 (ipv4 in host byte order), nibbles for IPv6 (16 bytes,
 * network order), "AS3561.asn.cymru.com".  Returns the length written
 * (NUL excluded), or -1 when cap is too small or the zone is empty.
 */
int cymru_origin_qname(uint32_t ipv4, const char *zone, char *buf, size_t cap);
int cymru_origin6_qname(const uint8_t ip6[16], const char *zone, char *buf, size_t cap);
int cymru_asname_qname(uint32_t asn, const char *zone, char *buf, size_t cap);

#endif
