/*
 * buf: the one bounds-checked cursor through which TIP reads and writes
 * untrusted or on-disk bytes (records, DNS replies, feeds, config).
 *
 * Invariant: a cursor never reads or writes outside [p, p+len).  Errors are
 * sticky: the first short read or full write sets `err`, every later call
 * returns zero values and writes nothing, and the caller checks `err` once
 * at the end.  Multi-byte integers are little-endian unless named _be.
 * Varints are LEB128 (7 bits a byte, low first), at most 10 bytes; signed
 * values are zigzag-coded.
 */
#ifndef TIP_BUF_H
#define TIP_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};

struct buf_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	int err;
};

static inline void buf_rd_init(struct buf_rd *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
	b->err = 0;
}

static inline void buf_wr_init(struct buf_wr *b, void *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->off = 0;
	b->err = 0;
}

static inline size_t buf_left(const struct buf_rd *b)
{
	return b->err ? 0 : b->len - b->off;
}

/* Reads: zero (or NULL) and err set when fewer bytes are left than asked. */
uint8_t buf_get_u8(struct buf_rd *b);
uint16_t buf_get_le16(struct buf_rd *b);
uint32_t buf_get_le32(struct buf_rd *b);
uint64_t buf_get_le64(struct buf_rd *b);
uint16_t buf_get_be16(struct buf_rd *b);
uint32_t buf_get_be32(struct buf_rd *b);
uint64_t buf_get_varint(struct buf_rd *b);
int64_t buf_get_svarint(struct buf_rd *b);
/* A pointer to the next n bytes inside the buffer (no copy), or NULL. */
const uint8_t *buf_get_bytes(struct buf_rd *b, size_t n);
void buf_skip(struct buf_rd *b, size_t n);

/*
 * Text primitives (config lines, CSV, HTTP heads, JSON): they never set
 * err on their own, so a parser can look ahead, and on a syntax error it
 * reports b->off, the cursor's offset, as the place.
 */
/* The next byte, or -1 at the end (or after an error); nothing consumed. */
static inline int buf_peek(const struct buf_rd *b)
{
	return b->err || b->off >= b->len ? -1 : b->p[b->off];
}
/* The byte k after the next one (buf_peek_at(b, 0) == buf_peek(b)), or -1. */
static inline int buf_peek_at(const struct buf_rd *b, size_t k)
{
	return b->err || k >= b->len - b->off ? -1 : b->p[b->off + k];
}
/* Consume the next byte when it is c: 1, else 0. */
static inline int buf_take_byte(struct buf_rd *b, uint8_t c)
{
	if (buf_peek(b) != c)
		return 0;
	b->off++;
	return 1;
}

/* Consume the bytes of lit (a C string) when they come next: 1, else 0. */
static inline int buf_expect(struct buf_rd *b, const char *lit)
{
	size_t n = strlen(lit);
	if (n > buf_left(b) || memcmp(b->p + b->off, lit, n))
		return 0;
	b->off += n;
	return 1;
}

/*
 * The bytes before the first stop byte (or the rest when there is none),
 * consumed; the stop byte itself is left.  *n gets their number.  Never
 * NULL: an empty run points at the cursor.
 */
static inline const uint8_t *buf_take_until(struct buf_rd *b, uint8_t stop, size_t *n)
{
	size_t left = buf_left(b);
	const uint8_t *s = b->p + (b->err ? 0 : b->off);
	const uint8_t *e = left ? memchr(s, stop, left) : NULL;
	*n = e ? (size_t)(e - s) : left;
	b->off += b->err ? 0 : *n;
	return s;
}

/*
 * The bytes for which ok(c) holds, consumed, as buf_take_until.  ok is
 * called with 0..255 only; inline, so a constant ok costs no call.
 */
static inline const uint8_t *buf_take_while(struct buf_rd *b, int (*ok)(int), size_t *n)
{
	size_t left = buf_left(b), k = 0;
	const uint8_t *s = b->p + (b->err ? 0 : b->off);
	while (k < left && ok(s[k]))
		k++;
	b->off += k;
	*n = k;
	return s;
}

/*
 * Whether c (not NUL) is in set.  A loop, not strchr: inline with a
 * constant set it is a few compares, and no library call per byte.
 */
static inline int buf_in_set_(const char *set, int c)
{
	for (; *set; set++)
		if ((uint8_t)*set == c)
			return 1;
	return 0;
}

/* Skip bytes found in set (a NUL-terminated list); how many were skipped. */
static inline size_t buf_skip_while(struct buf_rd *b, const char *set)
{
	size_t k = 0;
	int c;
	while ((c = buf_peek(b)) > 0 && buf_in_set_(set, c)) {
		b->off++;
		k++;
	}
	return k;
}

/*
 * Drop bytes found in set from both ends of what is left: the front is
 * skipped, the end shortens len.  For a field already cut out of a line.
 */
static inline void buf_trim(struct buf_rd *b, const char *set)
{
	buf_skip_while(b, set);
	while (buf_left(b) && buf_in_set_(set, b->p[b->len - 1]))
		b->len--;
}

/*
 * The value of a hex digit (either case), or -1.
 */
static inline int buf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A number of at least one digit in base 10 (buf_get_dec) or 16
 * (buf_get_hex, either case, no "0x") and at most max: 0 with *v and the
 * digits consumed, or -1 (no digit, or above max) with the cursor left at
 * the first digit, where the error is.
 */
static inline int buf_get_num_(struct buf_rd *b, unsigned base, uint64_t max, uint64_t *v)
{
	size_t o = b->off;
	uint64_t x = 0;
	int c;
	for (;;) {
		c = buf_peek(b);
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && (c = buf_hexval(c)) >= 0)
			d = (unsigned)c;
		else
			break;
		if (d > max || x > (max - d) / base) {
			b->off = o;
			return -1;
		}
		x = x * base + d;
		b->off++;
	}
	if (b->off == o)
		return -1;
	*v = x;
	return 0;
}

static inline int buf_get_dec(struct buf_rd *b, uint64_t max, uint64_t *v)
{
	return buf_get_num_(b, 10, max, v);
}

static inline int buf_get_hex(struct buf_rd *b, uint64_t max, uint64_t *v)
{
	return buf_get_num_(b, 16, max, v);
}

/* Host-independent little-endian loads and stores on raw memory. */
static inline uint32_t buf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void buf_set_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Writes: nothing and err set when the bytes do not fit.  Inline: they are
 * the inner loop of every append and index build.
 */
static inline uint8_t *buf_room(struct buf_wr *b, size_t n)
{
	if (b->err || n > b->cap - b->off) {
		b->err = 1;
		return NULL;
	}
	uint8_t *p = b->p + b->off;
	b->off += n;
	return p;
}

static inline void buf_put_u8(struct buf_wr *b, uint8_t v)
{
	uint8_t *p = buf_room(b, 1);
	if (p)
		p[0] = v;
}

static inline void buf_put_le16(struct buf_wr *b, uint16_t v)
{
	uint8_t *p = buf_room(b, 2);
	if (p) {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	}
}

static inline void buf_put_le32(struct buf_wr *b, uint32_t v)
{
	uint8_t *p = buf_room(b, 4);
	if (p)
		buf_set_le32(p, v);
}

static inline void buf_put_le64(struct buf_wr *b, uint64_t v)
{
	uint8_t *p = buf_room(b, 8);
	if (p) {
		buf_set_le32(p, (uint32_t)v);
		buf_set_le32(p + 4, (uint32_t)(v >> 32));
	}
}

static inline void buf_put_be16(struct buf_wr *b, uint16_t v)
{
	uint8_t *p = buf_room(b, 2);
	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

static inline void buf_put_be32(struct buf_wr *b, uint32_t v)
{
	uint8_t *p = buf_room(b, 4);
	if (p) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

static inline void buf_put_varint(struct buf_wr *b, uint64_t v)
{
	if (v < 0x80) {
		buf_put_u8(b, (uint8_t)v);
		return;
	}
	uint8_t tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	uint8_t *p = buf_room(b, n);
	if (p)
		memcpy(p, tmp, n);
}

static inline void buf_put_svarint(struct buf_wr *b, int64_t v)
{
	buf_put_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline void buf_put_bytes(struct buf_wr *b, const void *src, size_t n)
{
	if (!n)
		return;
	uint8_t *p = buf_room(b, n);
	if (p)
		memcpy(p, src, n);
}

#endif
