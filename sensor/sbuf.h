/*
 * sbuf: a growable text buffer for replies and status reports.  Errors are
 * sticky (like store/buf.h): after a failed allocation every call does
 * nothing and `err` is set; the owner checks once.  The text is always
 * NUL-terminated when len > 0.
 */
#ifndef TIP_SBUF_H
#define TIP_SBUF_H

#include <stddef.h>

struct sbuf {
	char *p;
	size_t len, cap;
	size_t max;		/* 0: no limit; else err once len would pass it */
	int err;
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_add(struct sbuf *b, const void *p, size_t n);
/* Drop the first n bytes (what was written out). */
void sbuf_consume(struct sbuf *b, size_t n);
void sbuf_free(struct sbuf *b);

#endif
