/* hbuf: the growable byte buffer (hbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbuf.h"

void hbuf_init(struct hbuf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void hbuf_fini(struct hbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void hbuf_reset(struct hbuf *b)
{
	b->len = 0;
	b->err = 0;
}

static int hbuf_room(struct hbuf *b, size_t n)
{
	if (b->err)
		return -1;
	if (b->max && n > b->max - b->len) {
		b->err = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n + 1)
			nc *= 2;
		if (b->max && nc > b->max + 1)
			nc = b->max + 1;
		char *np = realloc(b->p, nc);
		if (!np) {
			b->err = 1;
			return -1;
		}
		b->p = np;
		b->cap = nc;
	}
	return 0;
}

void hbuf_put(struct hbuf *b, const void *s, size_t n)
{
	if (!n || hbuf_room(b, n) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void hbuf_puts(struct hbuf *b, const char *s)
{
	hbuf_put(b, s, strlen(s));
}

void hbuf_printf(struct hbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if ((size_t)n < sizeof tmp) {
		hbuf_put(b, tmp, (size_t)n);
		return;
	}
	if (hbuf_room(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void hbuf_consume(struct hbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		if (b->p)
			b->p[0] = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n + 1);
	b->len -= n;
}
