/*
 * csv: RFC 4180 text fields (csv.h).  The escaping is decided per byte
 * from the input alone, so the output of a field never depends on what
 * came before it on the line.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"

size_t csv_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

struct out {
	char *p;
	size_t cap, n;
};

static void emit(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->n++)
		if (o->n + 1 < o->cap)
			o->p[o->n] = s[i];
}

size_t csv_field(char *out, size_t cap, const void *s, size_t n)
{
	const unsigned char *p = s;
	struct out o = {out, cap, 0};
	int quote = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			quote = 1;
	if (quote)
		emit(&o, "\"", 1);
	if (n && (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@'))
		emit(&o, "'", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k = csv_utf8_seq(p + i, n - i);
		if (c == '"') {
			emit(&o, "\"\"", 2);
		} else if (c == '\\') {
			emit(&o, "\\\\", 2);
		} else if (c == '\r' || c == '\n' || (c >= 0x20 && c < 0x7f)) {
			emit(&o, (const char *)&p[i], 1);
		} else if (k > 1) {
			emit(&o, (const char *)&p[i], k);
			i += k;
			continue;
		} else {
			char hx[5] = {'\\', 'x', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15], 0};
			emit(&o, hx, 4);
		}
		i++;
	}
	if (quote)
		emit(&o, "\"", 1);
	if (cap)
		out[o.n < cap ? o.n : cap - 1] = '\0';
	return o.n;
}

int csv_put(FILE *f, const void *s, size_t n)
{
	char buf[2048];
	size_t need = csv_field(buf, sizeof buf, s, n);
	if (need < sizeof buf)
		return fwrite(buf, 1, need, f) == need ? 0 : -1;
	/* longer than any name: write it through a heap copy */
	char *big = malloc(need + 1);
	if (!big)
		return -1;
	csv_field(big, need + 1, s, n);
	int rc = fwrite(big, 1, need, f) == need ? 0 : -1;
	free(big);
	return rc;
}

int csv_puts(FILE *f, const char *s)
{
	return csv_put(f, s, strlen(s));
}
