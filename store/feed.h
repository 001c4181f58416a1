/*
 * feed: streaming parsers for blacklist feeds, shared by tipd (which parses
 * a feed as its bytes arrive from the fetch client) and tip (which can read
 * a feed from a file).
 *
 * A parser is caller-allocated and holds one line (FEED_LINE_MAX bytes) or
 * one JSON string, never the feed: memory is the same whatever the feed's
 * size.  It is fed arbitrary chunks (a line or a JSON string may span any
 * number of them) and calls emit once per indicator, in feed order.  What
 * emit gets lives only during the call.
 *
 * Formats (enum feed_format, names for configuration in feed_format_parse):
 *   hosts    "0.0.0.0 name [name...]"; boilerplate names (localhost, ...)
 *            are ignored, not counted bad
 *   domains  one domain a line; a URL line gives its host
 *   ips      one IP address or CIDR a line (the first word); "; comment"
 *   cidr     the same (Spamhaus DROP, FireHOL netsets): both names exist
 *            because real IP lists carry a few CIDRs and netsets bare IPs
 *   trails:  a bare path ("/x/y/", any host) is counted bad: not kept
 *   csv      one column, by header name or 1-based number, "#" banner lines
 *   urls     one URL a line: the URL and its host
 *   json     the strings of the array member named `path` (any depth)
 *   ipsum    "IP<TAB>count"
 *   trails   maltrail: IP, IP:port, CIDR, domain, domain/path, URL
 * Every line format skips blank lines and "#" comments (and ";" for cidr),
 * a UTF-8 byte-order mark and CR before LF.
 *
 * Normalisation: domains lower case (ASCII), no final dot, non-ASCII labels
 * encoded as punycode (RFC 3492; no nameprep: other case mappings are not
 * applied), LDH and '_' labels of 1-63 bytes, at most 253 bytes, at least
 * two labels.  IP addresses in inet_ntop form; CIDRs with their host bits
 * cleared ("10.0.0.0/8"; a /32 or /128 is an IP).  URLs: scheme and host in
 * lower case, the host normalised as above, the rest kept byte for byte
 * (no control bytes or blanks).  A line (or JSON string) that does not
 * give an indicator is counted in `bad` and skipped, its line number and
 * reason kept in last_bad_*; a structural error (JSON brackets, a CSV
 * column missing from the header) stops the parser: feed_parser_feed
 * returns -1 with `error` set.
 */
#ifndef TIP_FEED_H
#define TIP_FEED_H

#include <stddef.h>
#include <stdint.h>

#define FEED_LINE_MAX 8192	/* longer lines are counted bad */
#define FEED_VALUE_MAX 4096	/* longest indicator (URLs) kept */
#define FEED_PATH_MAX 64	/* json member / csv column name */
#define FEED_JSON_DEPTH 32

enum feed_format {
	FEED_HOSTS = 1,
	FEED_DOMAINS,
	FEED_IPS,
	FEED_CIDR,
	FEED_CSV,
	FEED_URLS,
	FEED_JSON,
	FEED_IPSUM,
	FEED_TRAILS,
};

enum feed_kind {
	FEED_K_ANY = 0,		/* options only: take what the entry is */
	FEED_K_DOMAIN = 1,
	FEED_K_IP = 2,
	FEED_K_CIDR = 3,
	FEED_K_URL = 4,
};

struct feed_entry {
	uint8_t kind;		/* enum feed_kind */
	uint8_t family;		/* IP, CIDR: 4 or 6 */
	uint8_t prefix;		/* CIDR: prefix length; IP: 32 or 128 */
	uint8_t addr[16];	/* IP, CIDR: network order */
	uint16_t port;		/* trails "IP:port", else 0 */
	const char *value;	/* normalised text, NUL-terminated */
	size_t len;
	const char *host;	/* URL: its host (a domain or an IP), else NULL */
	size_t host_len;
	uint64_t count;		/* ipsum: lists that carry it, else 0 */
	uint64_t line;		/* 1-based line (json: 0) */
};

/* Return 0 to go on, -1 to stop the parser (feed_parser_feed returns -1). */
typedef int (*feed_emit_fn)(void *arg, const struct feed_entry *e);

struct feed_opts {
	int format;		/* enum feed_format */
	int kind;		/* enum feed_kind: only this kind (others are bad); 0 any */
	const char *column;	/* csv: header name or 1-based number */
	const char *path;	/* json: the array member's name */
};

struct feed_parser {
	int format, kind;
	unsigned col;		/* csv: 0-based column, when known */
	int col_by_name, have_header;
	char colname[FEED_PATH_MAX + 1];
	char path[FEED_PATH_MAX + 1];
	size_t path_len;
	feed_emit_fn emit;
	void *arg;
	int stopped;
	const char *error;	/* static text, when feed_parser_feed returned -1 */

	/* line formats */
	size_t len;
	int overlong, bom_checked;
	/* json */
	int jstate, jdepth, jtarget, jkey_match, jin_str, jesc, jhex_n, jstr_over;
	uint32_t jhex, jhigh;
	int jexpect_key[FEED_JSON_DEPTH + 1];
	char jstack[FEED_JSON_DEPTH + 1];
	int jbad_value;

	uint64_t bytes, lines, comments, entries, bad, ignored;
	uint64_t last_bad_line;
	const char *last_bad_why;
	char buf[FEED_LINE_MAX];
	char val[FEED_VALUE_MAX + 8];
	char fld[FEED_VALUE_MAX];
	char host[260];
};

/* 0, or -1 (EINVAL: unknown format, csv without column, json without path). */
int feed_parser_init(struct feed_parser *p, const struct feed_opts *o, feed_emit_fn emit,
		     void *arg);
/* Parse len more bytes.  0, or -1 when stopped (emit said so, or `error`). */
int feed_parser_feed(struct feed_parser *p, const void *data, size_t len);
/* The end of the feed: the last line without a newline.  0 or -1. */
int feed_parser_finish(struct feed_parser *p);

/* The names by enum feed_format ([0] NULL) and enum feed_kind ([0] "any",
   options only), for configuration tables (tipd's CONF_CHOICE). */
extern const char *const feed_format_names[FEED_TRAILS + 1];
extern const char *const feed_kind_names[FEED_K_URL + 1];
/* "hosts" ... -> enum feed_format, or 0. */
int feed_format_parse(const char *name);
const char *feed_format_name(int format);
/* "domain", "ip", "cidr", "url" -> enum feed_kind, or -1. */
int feed_kind_parse(const char *name);
const char *feed_kind_name(int kind);

/*
 * Normalise a domain name (rules above) into out[FEED_NAME_MAX + 1]:
 * its length, or -1.
 */
#define FEED_NAME_MAX 253
int feed_domain_norm(const char *in, size_t len, char *out);

/*
 * Classify and normalise one indicator as the auto kind does (URL when it
 * has "://", then IP, CIDR, domain): 1 with *e filled (pointing into the
 * parser's buffers), 0 when it is none, with a static reason in *why.
 */
int feed_classify(struct feed_parser *p, const char *s, size_t n, struct feed_entry *e,
		  const char **why);

#endif
