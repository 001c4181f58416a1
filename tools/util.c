/*
 * util: helpers shared by the tip commands (util.h).  The DNS type table
 * follows the IANA registry for the types passive DNS sources emit; any
 * other type is written and read as TYPEnnn (RFC 3597).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

/* Years 0000 and 9999 bound what ISO 8601 basic dates can carry. */
#define MIN_S (-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define MAX_S 253402300799LL	/* 9999-12-31T23:59:59Z */

int util_fmt_time(char *out, size_t cap, int64_t us)
{
	int64_t s = us / 1000000, frac = us % 1000000;
	struct tm tm;
	if (frac < 0) {
		frac += 1000000;
		s--;
	}
	if (cap)
		out[0] = '\0';
	if (s < MIN_S || s > MAX_S)
		return -1;
	time_t t = (time_t)s;
	if ((int64_t)t != s || !gmtime_r(&t, &tm))
		return -1;
	int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

static const struct {
	uint16_t type;
	const char *name;
} qtypes[] = {
	{1, "A"}, {2, "NS"}, {3, "MD"}, {4, "MF"}, {5, "CNAME"}, {6, "SOA"}, {7, "MB"},
	{8, "MG"}, {9, "MR"}, {10, "NULL"}, {11, "WKS"}, {12, "PTR"}, {13, "HINFO"},
	{14, "MINFO"}, {15, "MX"}, {16, "TXT"}, {17, "RP"}, {18, "AFSDB"}, {19, "X25"},
	{20, "ISDN"}, {21, "RT"}, {22, "NSAP"}, {23, "NSAP-PTR"}, {24, "SIG"}, {25, "KEY"},
	{26, "PX"}, {27, "GPOS"}, {28, "AAAA"}, {29, "LOC"}, {30, "NXT"}, {31, "EID"},
	{32, "NIMLOC"}, {33, "SRV"}, {34, "ATMA"}, {35, "NAPTR"}, {36, "KX"}, {37, "CERT"},
	{38, "A6"}, {39, "DNAME"}, {40, "SINK"}, {41, "OPT"}, {42, "APL"}, {43, "DS"},
	{44, "SSHFP"}, {45, "IPSECKEY"}, {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"},
	{49, "DHCID"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"}, {53, "SMIMEA"},
	{55, "HIP"}, {56, "NINFO"}, {57, "RKEY"}, {58, "TALINK"}, {59, "CDS"},
	{60, "CDNSKEY"}, {61, "OPENPGPKEY"}, {62, "CSYNC"}, {63, "ZONEMD"}, {64, "SVCB"},
	{65, "HTTPS"}, {99, "SPF"}, {100, "UINFO"}, {101, "UID"}, {102, "GID"},
	{103, "UNSPEC"}, {104, "NID"}, {105, "L32"}, {106, "L64"}, {107, "LP"},
	{108, "EUI48"}, {109, "EUI64"}, {249, "TKEY"}, {250, "TSIG"}, {251, "IXFR"},
	{252, "AXFR"}, {253, "MAILB"}, {254, "MAILA"}, {255, "ANY"}, {256, "URI"},
	{257, "CAA"}, {258, "AVC"}, {259, "DOA"}, {260, "AMTRELAY"}, {32768, "TA"},
	{32769, "DLV"},
};

#define NQTYPES (sizeof qtypes / sizeof qtypes[0])

const char *util_qtype_name(uint16_t qtype, char buf[UTIL_QTYPE_MAX])
{
	for (size_t i = 0; i < NQTYPES; i++)
		if (qtypes[i].type == qtype)
			return qtypes[i].name;
	snprintf(buf, UTIL_QTYPE_MAX, "TYPE%u", (unsigned)qtype);
	return buf;
}

int util_qtype_parse(const char *s, size_t n, uint16_t *qtype)
{
	if (n > 4 && !strncasecmp(s, "TYPE", 4)) {
		uint32_t v = 0;
		if (n - 4 > 5 || (s[4] == '0' && n > 5))
			return -1;
		for (size_t i = 4; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (uint32_t)(s[i] - '0');
		}
		if (v > 65535)
			return -1;
		*qtype = (uint16_t)v;
		return 0;
	}
	if (n == 1 && s[0] == '*') {
		*qtype = 255;
		return 0;
	}
	for (size_t i = 0; i < NQTYPES; i++)
		if (strlen(qtypes[i].name) == n && !strncasecmp(qtypes[i].name, s, n)) {
			*qtype = qtypes[i].type;
			return 0;
		}
	return -1;
}

void util_put_text(FILE *f, const void *s, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '\\')
			fputs("\\\\", f);
		else if (c >= 0x20 && c < 0x7f)
			putc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

char *util_text(char *out, size_t cap, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t o = 0;
	if (!cap)
		return out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		char tmp[5];
		size_t k;
		if (c == '\\')
			k = (size_t)snprintf(tmp, sizeof tmp, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			tmp[0] = (char)c, tmp[1] = '\0', k = 1;
		else
			k = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", c);
		if (o + k + 4 > cap) {
			/* leave room for "..." and the NUL */
			snprintf(out + o, cap - o, "%s", cap - o >= 4 ? "..." : "");
			return out;
		}
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	return out;
}

void util_fault(FILE *f, const char *path, uint64_t off, int warning, const char *fmt, ...)
{
	va_list ap;
	util_put_text(f, path, strlen(path));
	fprintf(f, ":%llu: %s", (unsigned long long)off, warning ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	putc('\n', f);
}

void util_hex(char *out, const void *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void util_sensor_name(char *out, size_t cap, const char *s, size_t n)
{
	size_t i;
	if (!cap)
		return;
	for (i = 0; i < n && i + 1 < cap; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '-' || c == '_';
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}
