/*
 * hbuf: the growable byte buffer of both programs (tip serve's pages and
 * responses, tipd's control replies and status report).  It refuses to
 * grow past max (0: no limit): the first append that would pass it, or a
 * failed allocation, sets err, and every later append does nothing, so a
 * text is built without a check per call and checked once.  The bytes are
 * NUL-terminated once anything was appended.  Owned by the caller (a
 * zeroed struct is an empty buffer without limit); hbuf_fini frees it.
 * Not thread-safe per object.
 */
#ifndef TIP_HBUF_H
#define TIP_HBUF_H

#include <stddef.h>

struct hbuf {
	char *p;
	size_t len, cap, max;
	int err;
};

void hbuf_init(struct hbuf *b, size_t max);
void hbuf_fini(struct hbuf *b);
void hbuf_reset(struct hbuf *b);	/* empty, err cleared, memory kept */
void hbuf_put(struct hbuf *b, const void *s, size_t n);
void hbuf_puts(struct hbuf *b, const char *s);
void hbuf_printf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (what was written out). */
void hbuf_consume(struct hbuf *b, size_t n);

#endif
