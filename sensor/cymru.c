/*
 * cymru: Team Cymru answer lines (see cymru.h).  Lines are split into
 * fields, each a buf.h cursor over the caller's bytes; nothing reads past
 * s[len) and nothing is written outside *out.  Each field parser checks
 * its whole span, so "3561x" is not AS 3561.  Every field cursor points
 * into the caller's s, so an error's offset is where that cursor starts
 * minus s.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cymru.h"

/* A field or line: a cursor over its bytes, read only through buf.h. */
#define BLANKS " \t\r\n"

/* -1, and *err (when given) says why and where: at, a byte of s. */
static int fail(struct cymru_err *err, const char *reason, const char *s, const uint8_t *at)
{
	if (err) {
		err->why = reason;
		err->off = s && at ? (size_t)(at - (const uint8_t *)s) : 0;
	}
	return -1;
}

/* Where a cursor (a field or a line) stands, and where it ends. */
static const uint8_t *at(struct buf_rd b)
{
	return b.p + b.off;
}

static const uint8_t *end(struct buf_rd b)
{
	return b.p + b.len;
}

static struct buf_rd span(const uint8_t *p, size_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, p, n);
	return b;
}

static struct buf_rd trimmed(const uint8_t *p, size_t n)
{
	struct buf_rd b = span(p, n);
	buf_trim(&b, BLANKS);
	return b;
}

/*
 * Split into at most max fields at '|'; the last field takes the rest of
 * the line (AS names may hold '|').  Returns the number of fields.
 */
static unsigned split(struct buf_rd line, struct buf_rd *f, unsigned max)
{
	unsigned n = 0;
	size_t k;
	for (;;) {
		const uint8_t *s = buf_take_until(&line, '|', &k);
		if (n + 1 == max || !buf_take_byte(&line, '|')) {
			f[n++] = trimmed(s, k + buf_left(&line));
			return n;
		}
		f[n++] = trimmed(s, k);
	}
}

static int not_nul(int c)
{
	return c != '\0';
}

static int not_quote_nul(int c)
{
	return c != '"' && c != '\0';
}

/* The first NUL of s (and quote, with quotes), or NULL when there is none. */
static const uint8_t *stray(struct buf_rd s, int quotes)
{
	size_t k;
	buf_take_while(&s, quotes ? not_quote_nul : not_nul, &k);
	return buf_left(&s) ? at(s) : NULL;
}

/*
 * The line of a TXT string, outer quotes (dig's form) taken off.  A quote
 * left inside is an error, except with names_quoted, for the AS-name
 * lines whose last field (the name) may hold quotes ('JSC "ER-Telecom
 * Holding"'); the caller checks the other fields.
 */
static int prepare_q(const char *s, size_t len, struct buf_rd *line, struct cymru_err *err,
		     int names_quoted)
{
	if (!s)
		return fail(err, "no line", NULL, NULL);
	if (len > CYMRU_LINE_MAX)
		return fail(err, "line too long", s, (const uint8_t *)s + CYMRU_LINE_MAX);
	*line = trimmed((const uint8_t *)s, len);
	size_t n = buf_left(line);
	if (n >= 2 && buf_peek(line) == '"' && buf_peek_at(line, n - 1) == '"') {
		*line = trimmed(line->p + line->off + 1, n - 2);
	}
	const uint8_t *bad = stray(*line, !names_quoted);
	if (bad)
		return fail(err, "stray quote or NUL", s, bad);
	return 0;
}

static int prepare(const char *s, size_t len, struct buf_rd *line, struct cymru_err *err)
{
	return prepare_q(s, len, line, err, 0);
}

/* Where a line split into n fields, not the number wanted, went wrong. */
static const uint8_t *count_at(struct buf_rd line, const struct buf_rd *f, unsigned n,
			       unsigned max)
{
	return n > max ? at(f[max]) : end(line);
}

/* The whole of s is a decimal of at most 10 digits and at most max. */
static int parse_u32(struct buf_rd s, uint32_t max, uint32_t *v)
{
	uint64_t x;
	if (buf_left(&s) > 10 || buf_get_dec(&s, max, &x) < 0 || buf_left(&s))
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int is_na(struct buf_rd s)
{
	return buf_left(&s) == 2 && buf_expect(&s, "NA");
}

static int not_blank(int c)
{
	return c != ' ' && c != '\t' && c != '\r' && c != '\n';
}

/* "3356 15169": space-separated AS numbers, at least one. */
static int parse_asns(struct buf_rd s, struct cymru_info *out)
{
	out->n_asn = out->n_asn_seen = 0;
	for (;;) {
		size_t k;
		buf_skip_while(&s, BLANKS);
		const uint8_t *w = buf_take_while(&s, not_blank, &k);
		if (k == 0)
			break;
		uint32_t asn;
		if (parse_u32(span(w, k), UINT32_MAX, &asn) < 0)
			return -1;
		if (out->n_asn < CYMRU_MAX_ASN)
			out->asn[out->n_asn++] = asn;
		out->n_asn_seen++;
	}
	return out->n_asn_seen ? 0 : -1;
}

/* An address, IPv4 or IPv6, into 16 bytes; returns the family or -1. */
static int parse_ip(struct buf_rd s, uint8_t addr[16])
{
	char tmp[64];
	size_t n = buf_left(&s);
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, buf_get_bytes(&s, n), n);
	tmp[n] = '\0';
	memset(addr, 0, 16);
	/* inet_pton(AF_INET) takes only a.b.c.d in decimal */
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return 6;
	return -1;
}

static int parse_prefix(struct buf_rd s, struct cymru_info *out)
{
	size_t k;
	const uint8_t *a = buf_take_until(&s, '/', &k);
	if (!buf_take_byte(&s, '/'))
		return -1;
	int fam = parse_ip(span(a, k), out->prefix);
	uint32_t plen;
	if (fam < 0 || parse_u32(s, fam == 4 ? 32u : 128u, &plen) < 0)
		return -1;
	out->family = (uint8_t)fam;
	out->prefix_len = (uint8_t)plen;
	return 0;
}

static int parse_cc(struct buf_rd s, struct cymru_info *out)
{
	out->cc[0] = '\0';
	if (buf_left(&s) == 0)
		return 0;
	const uint8_t *p = buf_get_bytes(&s, 2);
	if (!p || buf_left(&s))
		return -1;
	for (int i = 0; i < 2; i++) {
		int c = p[i];
		if (c >= 'a' && c <= 'z')
			c = c - 'a' + 'A';
		if (c < 'A' || c > 'Z')
			return -1;
		out->cc[i] = (char)c;
	}
	out->cc[2] = '\0';
	return 0;
}

static int parse_registry(struct buf_rd s, struct cymru_info *out)
{
	size_t n = buf_left(&s);
	if (n >= CYMRU_REG_MAX)
		return -1;
	const uint8_t *p = buf_get_bytes(&s, n);
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-')
			return -1;
		out->registry[i] = (char)c;
	}
	out->registry[n] = '\0';
	return 0;
}

/* n digits exactly, then (unless last) a '-'. */
static int date_part(struct buf_rd *s, size_t n, int last, uint32_t *v)
{
	const uint8_t *d = buf_get_bytes(s, n);
	if (!d || parse_u32(span(d, n), UINT32_MAX, v) < 0)
		return -1;
	return last || buf_take_byte(s, '-') ? 0 : -1;
}

static int parse_date(struct buf_rd s, struct cymru_info *out)
{
	uint32_t y, m, d;
	out->year = 0;
	out->month = out->day = 0;
	if (buf_left(&s) == 0)
		return 0;
	if (buf_left(&s) != 10 || date_part(&s, 4, 0, &y) < 0 || date_part(&s, 2, 0, &m) < 0 ||
	    date_part(&s, 2, 1, &d) < 0)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	out->year = (uint16_t)y;
	out->month = (uint8_t)m;
	out->day = (uint8_t)d;
	return 0;
}

static void copy_name(struct buf_rd s, struct cymru_info *out)
{
	size_t all = buf_left(&s);
	size_t n = all < CYMRU_NAME_MAX - 1 ? all : CYMRU_NAME_MAX - 1;
	const uint8_t *p = buf_get_bytes(&s, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		/* keep UTF-8 bytes; no control characters reach a log or a table */
		out->name[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out->name[n] = '\0';
	out->name_len = n;
	out->name_cut = n < all;
}

int cymru_parse_origin(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err)
{
	struct buf_rd line, f[6];
	memset(out, 0, sizeof *out);
	if (prepare(s, len, &line, err) < 0)
		return -1;
	unsigned n = split(line, f, 6);
	if (n < 2 || n > 5)
		return fail(err, "origin: want 2 to 5 fields", s, count_at(line, f, n, 5));
	if (parse_asns(f[0], out) < 0)
		return fail(err, "origin: bad AS number", s, at(f[0]));
	if (parse_prefix(f[1], out) < 0)
		return fail(err, "origin: bad prefix", s, at(f[1]));
	if (n > 2 && parse_cc(f[2], out) < 0)
		return fail(err, "origin: bad country code", s, at(f[2]));
	if (n > 3 && parse_registry(f[3], out) < 0)
		return fail(err, "origin: bad registry", s, at(f[3]));
	if (n > 4 && parse_date(f[4], out) < 0)
		return fail(err, "origin: bad date", s, at(f[4]));
	return 0;
}

int cymru_parse_asname(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err)
{
	struct buf_rd line, f[5];
	memset(out, 0, sizeof *out);
	if (prepare_q(s, len, &line, err, 1) < 0)
		return -1;
	unsigned n = split(line, f, 5);
	if (n != 5)
		return fail(err, "asname: want 5 fields", s, count_at(line, f, n, 5));
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *bad = stray(f[i], 1);
		if (bad)
			return fail(err, "stray quote or NUL", s, bad);
	}
	if (parse_u32(f[0], UINT32_MAX, &out->asn[0]) < 0)
		return fail(err, "asname: bad AS number", s, at(f[0]));
	out->n_asn = out->n_asn_seen = 1;
	if (parse_cc(f[1], out) < 0)
		return fail(err, "asname: bad country code", s, at(f[1]));
	if (parse_registry(f[2], out) < 0)
		return fail(err, "asname: bad registry", s, at(f[2]));
	if (parse_date(f[3], out) < 0)
		return fail(err, "asname: bad date", s, at(f[3]));
	copy_name(f[4], out);
	return 0;
}

int cymru_parse_bulk(const char *s, size_t len, struct cymru_info *out, struct cymru_err *err)
{
	struct buf_rd line, f[7];
	memset(out, 0, sizeof *out);
	if (prepare(s, len, &line, err) < 0)
		return -1;
	if (buf_left(&line) == 0 || buf_peek(&line) == '#')
		return 0;
	struct buf_rd head = line;
	if (buf_expect(&head, "Bulk mode;"))
		return 0;
	unsigned n = split(line, f, 7);
	if (n != 7)
		return fail(err, "bulk: want 7 fields", s, count_at(line, f, n, 7));
	if (!is_na(f[0]) && parse_asns(f[0], out) < 0)
		return fail(err, "bulk: bad AS number", s, at(f[0]));
	int fam = parse_ip(f[1], out->ip);
	if (fam < 0)
		return fail(err, "bulk: bad address", s, at(f[1]));
	if (!is_na(f[2]) && parse_prefix(f[2], out) < 0)
		return fail(err, "bulk: bad prefix", s, at(f[2]));
	if (is_na(f[2]))
		out->family = (uint8_t)fam;
	if (out->family != fam)
		return fail(err, "bulk: address and prefix families differ", s, at(f[2]));
	if (parse_cc(f[3], out) < 0)
		return fail(err, "bulk: bad country code", s, at(f[3]));
	if (parse_registry(f[4], out) < 0)
		return fail(err, "bulk: bad registry", s, at(f[4]));
	if (parse_date(f[5], out) < 0)
		return fail(err, "bulk: bad date", s, at(f[5]));
	copy_name(f[6], out);
	return 1;
}

static int finish(int n, size_t cap)
{
	return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

int cymru_origin_qname(uint32_t ipv4, const char *zone, char *buf, size_t cap)
{
	if (!zone)
		zone = CYMRU_ZONE_ORIGIN;
	if (!*zone || !buf || cap == 0)
		return -1;
	return finish(snprintf(buf, cap, "%u.%u.%u.%u.%s", ipv4 & 0xff, (ipv4 >> 8) & 0xff,
			       (ipv4 >> 16) & 0xff, ipv4 >> 24, zone), cap);
}

int cymru_origin6_qname(const uint8_t ip6[16], const char *zone, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char nib[64];
	size_t k = 0;
	if (!zone)
		zone = CYMRU_ZONE_ORIGIN6;
	if (!*zone || !buf || cap == 0)
		return -1;
	for (int i = 15; i >= 0; i--) {
		nib[k++] = hex[ip6[i] & 0xf];
		nib[k++] = '.';
		nib[k++] = hex[ip6[i] >> 4];
		nib[k++] = '.';
	}
	return finish(snprintf(buf, cap, "%.*s%s", (int)k, nib, zone), cap);
}

int cymru_asname_qname(uint32_t asn, const char *zone, char *buf, size_t cap)
{
	if (!zone)
		zone = CYMRU_ZONE_ASN;
	if (!*zone || !buf || cap == 0)
		return -1;
	return finish(snprintf(buf, cap, "AS%u.%s", asn, zone), cap);
}
