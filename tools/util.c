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
