/*
 * cymru: Team Cymru answer lines (see cymru.h).  Lines are split into
 * spans (pointer, length) inside the caller's bytes; nothing reads past
 * s[len) and nothing is written outside *out.  Each field parser checks
 * its whole span, so "3561x" is not AS 3561.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cymru.h"

struct span {
	const char *p;
	size_t n;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct span trim(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

/*
 * Split into at most max fields at '|'; the last field takes the rest of
 * the line (AS names may hold '|').  Returns the number of fields.
 */
static unsigned split(struct span line, struct span *f, unsigned max)
{
	unsigned n = 0;
	size_t start = 0;
	for (size_t i = 0; i < line.n && n + 1 < max; i++) {
		if (line.p[i] == '|') {
			f[n++] = trim((struct span){line.p + start, i - start});
			start = i + 1;
		}
	}
	f[n++] = trim((struct span){line.p + start, line.n - start});
	return n;
}

/*
 * The line of a TXT string, outer quotes (dig's form) taken off.  A quote
 * left inside is an error, except with names_quoted, for the AS-name
 * lines whose last field (the name) may hold quotes ('JSC "ER-Telecom
 * Holding"'); the caller checks the other fields.
 */
static int prepare_q(const char *s, size_t len, struct span *line, const char **why,
		     int names_quoted)
{
	if (!s)
		return fail(why, "no line");
	if (len > CYMRU_LINE_MAX)
		return fail(why, "line too long");
	*line = trim((struct span){s, len});
	if (line->n >= 2 && line->p[0] == '"' && line->p[line->n - 1] == '"') {
		line->p++;
		line->n -= 2;
		*line = trim(*line);
	}
	for (size_t i = 0; i < line->n; i++)
		if ((line->p[i] == '"' && !names_quoted) || line->p[i] == '\0')
			return fail(why, "stray quote or NUL");
	return 0;
}

static int prepare(const char *s, size_t len, struct span *line, const char **why)
{
	return prepare_q(s, len, line, why, 0);
}

static int has_quote(struct span s)
{
	return memchr(s.p, '"', s.n) != NULL;
}

static int parse_u32(struct span s, uint32_t *v)
{
	uint64_t x = 0;
	if (s.n == 0 || s.n > 10)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int is_na(struct span s)
{
	return s.n == 2 && s.p[0] == 'N' && s.p[1] == 'A';
}

/* "3356 15169": space-separated AS numbers, at least one. */
static int parse_asns(struct span s, struct cymru_info *out)
{
	size_t i = 0;
	out->n_asn = out->n_asn_seen = 0;
	while (i < s.n) {
		while (i < s.n && is_blank(s.p[i]))
			i++;
		size_t start = i;
		while (i < s.n && !is_blank(s.p[i]))
			i++;
		if (i == start)
			break;
		uint32_t asn;
		if (parse_u32((struct span){s.p + start, i - start}, &asn) < 0)
			return -1;
		if (out->n_asn < CYMRU_MAX_ASN)
			out->asn[out->n_asn++] = asn;
		out->n_asn_seen++;
	}
	return out->n_asn_seen ? 0 : -1;
}

/* An address, IPv4 or IPv6, into 16 bytes; returns the family or -1. */
static int parse_ip(struct span s, uint8_t addr[16])
{
	char tmp[64];
	if (s.n == 0 || s.n >= sizeof tmp)
		return -1;
	memcpy(tmp, s.p, s.n);
	tmp[s.n] = '\0';
	memset(addr, 0, 16);
	/* inet_pton(AF_INET) takes only a.b.c.d in decimal */
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return 6;
	return -1;
}

static int parse_prefix(struct span s, struct cymru_info *out)
{
	size_t slash = 0;
	while (slash < s.n && s.p[slash] != '/')
		slash++;
	if (slash == s.n)
		return -1;
	int fam = parse_ip((struct span){s.p, slash}, out->prefix);
	uint32_t plen;
	if (fam < 0 || parse_u32((struct span){s.p + slash + 1, s.n - slash - 1}, &plen) < 0)
		return -1;
	if (plen > (fam == 4 ? 32u : 128u))
		return -1;
	out->family = (uint8_t)fam;
	out->prefix_len = (uint8_t)plen;
	return 0;
}

static int parse_cc(struct span s, struct cymru_info *out)
{
	out->cc[0] = '\0';
	if (s.n == 0)
		return 0;
	if (s.n != 2)
		return -1;
	for (int i = 0; i < 2; i++) {
		char c = s.p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return -1;
		out->cc[i] = c;
	}
	out->cc[2] = '\0';
	return 0;
}

static int parse_registry(struct span s, struct cymru_info *out)
{
	if (s.n >= CYMRU_REG_MAX)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-')
			return -1;
		out->registry[i] = c;
	}
	out->registry[s.n] = '\0';
	return 0;
}

static int parse_date(struct span s, struct cymru_info *out)
{
	uint32_t y, m, d;
	out->year = 0;
	out->month = out->day = 0;
	if (s.n == 0)
		return 0;
	if (s.n != 10 || s.p[4] != '-' || s.p[7] != '-' ||
	    parse_u32((struct span){s.p, 4}, &y) < 0 ||
	    parse_u32((struct span){s.p + 5, 2}, &m) < 0 ||
	    parse_u32((struct span){s.p + 8, 2}, &d) < 0)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	out->year = (uint16_t)y;
	out->month = (uint8_t)m;
	out->day = (uint8_t)d;
	return 0;
}

static void copy_name(struct span s, struct cymru_info *out)
{
	size_t n = s.n < CYMRU_NAME_MAX - 1 ? s.n : CYMRU_NAME_MAX - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		/* keep UTF-8 bytes; no control characters reach a log or a table */
		out->name[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out->name[n] = '\0';
	out->name_len = n;
	out->name_cut = n < s.n;
}

int cymru_parse_origin(const char *s, size_t len, struct cymru_info *out, const char **why)
{
	struct span line, f[6];
	memset(out, 0, sizeof *out);
	if (prepare(s, len, &line, why) < 0)
		return -1;
	unsigned n = split(line, f, 6);
	if (n < 2 || n > 5)
		return fail(why, "origin: want 2 to 5 fields");
	if (parse_asns(f[0], out) < 0)
		return fail(why, "origin: bad AS number");
	if (parse_prefix(f[1], out) < 0)
		return fail(why, "origin: bad prefix");
	if (n > 2 && parse_cc(f[2], out) < 0)
		return fail(why, "origin: bad country code");
	if (n > 3 && parse_registry(f[3], out) < 0)
		return fail(why, "origin: bad registry");
	if (n > 4 && parse_date(f[4], out) < 0)
		return fail(why, "origin: bad date");
	return 0;
}

int cymru_parse_asname(const char *s, size_t len, struct cymru_info *out, const char **why)
{
	struct span line, f[5];
	memset(out, 0, sizeof *out);
	if (prepare_q(s, len, &line, why, 1) < 0)
		return -1;
	unsigned n = split(line, f, 5);
	if (n != 5)
		return fail(why, "asname: want 5 fields");
	for (unsigned i = 0; i < 4; i++)
		if (has_quote(f[i]))
			return fail(why, "stray quote or NUL");
	if (parse_u32(f[0], &out->asn[0]) < 0)
		return fail(why, "asname: bad AS number");
	out->n_asn = out->n_asn_seen = 1;
	if (parse_cc(f[1], out) < 0)
		return fail(why, "asname: bad country code");
	if (parse_registry(f[2], out) < 0)
		return fail(why, "asname: bad registry");
	if (parse_date(f[3], out) < 0)
		return fail(why, "asname: bad date");
	copy_name(f[4], out);
	return 0;
}

int cymru_parse_bulk(const char *s, size_t len, struct cymru_info *out, const char **why)
{
	struct span line, f[7];
	memset(out, 0, sizeof *out);
	if (prepare(s, len, &line, why) < 0)
		return -1;
	if (line.n == 0 || line.p[0] == '#')
		return 0;
	if (line.n >= 10 && memcmp(line.p, "Bulk mode;", 10) == 0)
		return 0;
	unsigned n = split(line, f, 7);
	if (n != 7)
		return fail(why, "bulk: want 7 fields");
	if (!is_na(f[0]) && parse_asns(f[0], out) < 0)
		return fail(why, "bulk: bad AS number");
	int fam = parse_ip(f[1], out->ip);
	if (fam < 0)
		return fail(why, "bulk: bad address");
	if (!is_na(f[2]) && parse_prefix(f[2], out) < 0)
		return fail(why, "bulk: bad prefix");
	if (is_na(f[2]))
		out->family = (uint8_t)fam;
	if (out->family != fam)
		return fail(why, "bulk: address and prefix families differ");
	if (parse_cc(f[3], out) < 0)
		return fail(why, "bulk: bad country code");
	if (parse_registry(f[4], out) < 0)
		return fail(why, "bulk: bad registry");
	if (parse_date(f[5], out) < 0)
		return fail(why, "bulk: bad date");
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
