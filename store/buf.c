/*
 * buf: bounds-checked cursor (see buf.h).  Every read checks the bytes
 * left before touching memory; every error is sticky.
 */
#include <string.h>

#include "buf.h"

static const uint8_t *take(struct buf_rd *b, size_t n)
{
	if (b->err || n > b->len - b->off) {
		b->err = 1;
		return NULL;
	}
	const uint8_t *p = b->p + b->off;
	b->off += n;
	return p;
}

uint8_t buf_get_u8(struct buf_rd *b)
{
	const uint8_t *p = take(b, 1);
	return p ? p[0] : 0;
}

uint16_t buf_get_le16(struct buf_rd *b)
{
	const uint8_t *p = take(b, 2);
	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t buf_get_le32(struct buf_rd *b)
{
	const uint8_t *p = take(b, 4);
	return p ? buf_le32(p) : 0;
}

uint64_t buf_get_le64(struct buf_rd *b)
{
	const uint8_t *p = take(b, 8);
	return p ? (uint64_t)buf_le32(p) | (uint64_t)buf_le32(p + 4) << 32 : 0;
}

uint16_t buf_get_be16(struct buf_rd *b)
{
	const uint8_t *p = take(b, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t buf_get_be32(struct buf_rd *b)
{
	const uint8_t *p = take(b, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t buf_get_varint(struct buf_rd *b)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		const uint8_t *p = take(b, 1);
		if (!p)
			return 0;
		/* the tenth byte may carry only the top bit */
		if (shift == 63 && *p > 1)
			break;
		v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80))
			return v;
	}
	b->err = 1;
	return 0;
}

int64_t buf_get_svarint(struct buf_rd *b)
{
	uint64_t u = buf_get_varint(b);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

const uint8_t *buf_get_bytes(struct buf_rd *b, size_t n)
{
	return take(b, n);
}

void buf_skip(struct buf_rd *b, size_t n)
{
	(void)take(b, n);
}
