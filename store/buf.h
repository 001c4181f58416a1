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

/* Writes: nothing and err set when the bytes do not fit. */
void buf_put_u8(struct buf_wr *b, uint8_t v);
void buf_put_le16(struct buf_wr *b, uint16_t v);
void buf_put_le32(struct buf_wr *b, uint32_t v);
void buf_put_le64(struct buf_wr *b, uint64_t v);
void buf_put_be16(struct buf_wr *b, uint16_t v);
void buf_put_be32(struct buf_wr *b, uint32_t v);
void buf_put_varint(struct buf_wr *b, uint64_t v);
void buf_put_svarint(struct buf_wr *b, int64_t v);
void buf_put_bytes(struct buf_wr *b, const void *p, size_t n);

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

#endif
