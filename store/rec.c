/*
 * rec: record codec (layouts in rec.h and doc/store-format.md).
 *
 * Payload layouts after "u8 flags | svarint ts delta":
 *   DNS     varint qtype | u8 rcode | varint ttl | u8 len, name |
 *           [flag 0x10: u8 server family, 4 or 16 bytes] |
 *           varint n4, 4*n4 bytes | [flag 0x20: varint n6, 16*n6 bytes] |
 *           [flag 0x40: varint nn, nn*(u8 len, bytes)] |
 *           COALESCED: svarint (ts_last - ts) | varint count
 *   ENRICH  u8 family, addr | varint asn | 2 bytes country |
 *           varint len, AS name | u8 len, PTR name
 *   SCORE   u8 len, name | varint nA, nASN, nNS, lookups |
 *           le64 score, le64 margin (IEEE 754 bits) | u8 window
 *   EVENT   u8 kind | varint len, text
 *   FEED    u8 op | u8 len, source |
 *           LISTED, DELISTED: u8 kind | varint len, value | u8 len, host
 *           FETCH: varint status | u8 outcome | varint bytes, entries,
 *           added, removed, bad, duration_us | u8 len, ETag |
 *           u8 len, Last-Modified | varint len, error
 *   SEAL    varint records | varint bytes
 * Varints keep the common record small: a lookup of a 20-character name
 * with five A records is about 60 bytes framed.
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "crc32c.h"
#include "rec.h"
#include "rec_spam.h"

/*
 * Flag bits 0x10-0x40 of a DNS payload are the codec's own: which optional
 * parts follow (server, IPv6 answers, names).  They never reach callers.
 */
#define F_SERVER 0x10
#define F_A6 0x20
#define F_NAMES 0x40

static void put_ip(struct buf_wr *b, const struct rec_ip *ip)
{
	if (ip->family == 4) {
		buf_put_u8(b, 4);
		buf_put_bytes(b, ip->addr, 4);
	} else if (ip->family == 6) {
		buf_put_u8(b, 6);
		buf_put_bytes(b, ip->addr, 16);
	} else {
		buf_put_u8(b, 0);
	}
}

static int get_ip(struct buf_rd *b, struct rec_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	ip->family = buf_get_u8(b);
	if (ip->family == 4 || ip->family == 6) {
		const uint8_t *p = buf_get_bytes(b, ip->family == 4 ? 4 : 16);
		if (p)
			memcpy(ip->addr, p, ip->family == 4 ? 4 : 16);
	} else if (ip->family != 0) {
		return -1;
	}
	return b->err ? -1 : 0;
}

static int valid_names(const uint8_t *p, size_t len, uint32_t n)
{
	size_t off = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (off >= len || p[off] > len - off - 1)
			return 0;
		off += 1 + p[off];
	}
	return off == len;
}

/* An unchecked varint store: callers have reserved the bytes. */
static inline uint8_t *put_varint_raw(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

/*
 * The hot path: a DNS observation into a buffer known to hold the largest
 * frame its fields can make, so no store needs a bound check.  It writes
 * the very bytes the checked path below writes (test_rec checks both on
 * the same records); it exists because encoding is most of an append.
 */
static long encode_dns_fast(uint8_t *f, const struct rec *r, int64_t base_us, uint8_t flags)
{
	const struct rec_dns *d = &r->u.dns;
	uint8_t *o = f + REC_FRAME_HDR;
	int64_t dt = r->ts_us - base_us;
	*o++ = flags;
	o = put_varint_raw(o, ((uint64_t)dt << 1) ^ (uint64_t)(dt >> 63));
	o = put_varint_raw(o, d->qtype);
	*o++ = d->rcode;
	o = put_varint_raw(o, d->ttl);
	*o++ = (uint8_t)d->name_len;
	if (d->name_len)	/* memcpy from NULL is undefined even for 0 bytes */
		memcpy(o, d->name, d->name_len);
	o += d->name_len;
	if (flags & F_SERVER) {
		size_t al = d->server.family == 4 ? 4 : 16;
		*o++ = d->server.family;
		memcpy(o, d->server.addr, al);
		o += al;
	}
	o = put_varint_raw(o, d->n_a4);
	if (d->n_a4)
		memcpy(o, d->a4, (size_t)d->n_a4 * 4);
	o += (size_t)d->n_a4 * 4;
	if (flags & F_A6) {
		o = put_varint_raw(o, d->n_a6);
		memcpy(o, d->a6, (size_t)d->n_a6 * 16);
		o += (size_t)d->n_a6 * 16;
	}
	if (flags & F_NAMES) {
		o = put_varint_raw(o, d->n_names);
		memcpy(o, d->names, d->names_len);
		o += d->names_len;
	}
	if (flags & REC_F_COALESCED) {
		int64_t dl = d->ts_last_us - r->ts_us;
		o = put_varint_raw(o, ((uint64_t)dl << 1) ^ (uint64_t)(dl >> 63));
		o = put_varint_raw(o, d->count);
	}
	size_t plen = (size_t)(o - f) - REC_FRAME_HDR;
	buf_set_le32(f + 4, (uint32_t)plen | (uint32_t)REC_DNS << 24);
	buf_set_le32(f, crc32c(0, f + 4, 4 + plen));
	return (long)(o - f);
}

long rec_encode(void *out, size_t cap, const struct rec *r, int64_t base_us)
{
	struct buf_wr b;
	uint8_t flags = r->flags & REC_F_PUBLIC;
	int64_t dt;
	/* times come from imports and peers: a delta must not overflow (UB) */
	if (__builtin_sub_overflow(r->ts_us, base_us, &dt) ||
	    (r->type == REC_DNS && (r->flags & REC_F_COALESCED) &&
	     __builtin_sub_overflow(r->u.dns.ts_last_us, r->ts_us, &dt)))
		goto inval;
	if (r->type == REC_DNS) {
		const struct rec_dns *d = &r->u.dns;
		flags |= (d->server.family ? F_SERVER : 0) | (d->n_a6 ? F_A6 : 0) |
			 (d->n_names ? F_NAMES : 0);
		if (d->name_len > REC_NAME_MAX || !valid_names(d->names, d->names_len, d->n_names) ||
		    (d->server.family && d->server.family != 4 && d->server.family != 6))
			goto inval;
		/* the largest frame these fields make: every varint at 10 bytes */
		size_t most = REC_FRAME_HDR + 1 + 10 + 10 + 1 + 10 + 1 + d->name_len + 17 + 10 +
			      (size_t)d->n_a4 * 4 + 10 + (size_t)d->n_a6 * 16 + 10 + d->names_len + 20;
		if (cap >= most && (size_t)d->n_a4 * 4 + (size_t)d->n_a6 * 16 + d->names_len <
					   REC_MAX_PAYLOAD - 128)
			return encode_dns_fast(out, r, base_us, flags);
	}
	buf_wr_init(&b, out, cap);
	buf_put_le32(&b, 0);	/* CRC, filled in below */
	buf_put_le32(&b, 0);	/* length and type */
	buf_put_u8(&b, flags);
	buf_put_svarint(&b, r->ts_us - base_us);

	switch (r->type) {
	case REC_DNS: {
		const struct rec_dns *d = &r->u.dns;
		buf_put_varint(&b, d->qtype);
		buf_put_u8(&b, d->rcode);
		buf_put_varint(&b, d->ttl);
		buf_put_u8(&b, (uint8_t)d->name_len);
		buf_put_bytes(&b, d->name, d->name_len);
		if (flags & F_SERVER)
			put_ip(&b, &d->server);
		buf_put_varint(&b, d->n_a4);
		buf_put_bytes(&b, d->a4, (size_t)d->n_a4 * 4);
		if (flags & F_A6) {
			buf_put_varint(&b, d->n_a6);
			buf_put_bytes(&b, d->a6, (size_t)d->n_a6 * 16);
		}
		if (flags & F_NAMES) {
			buf_put_varint(&b, d->n_names);
			buf_put_bytes(&b, d->names, d->names_len);
		}
		if (r->flags & REC_F_COALESCED) {
			buf_put_svarint(&b, d->ts_last_us - r->ts_us);
			buf_put_varint(&b, d->count);
		}
		break;
	}
	case REC_ENRICH: {
		const struct rec_enrich *e = &r->u.enrich;
		if (e->as_name_len > REC_TEXT_MAX || e->ptr_len > REC_NAME_MAX)
			goto inval;
		put_ip(&b, &e->ip);
		buf_put_varint(&b, e->asn);
		buf_put_bytes(&b, e->country, 2);
		buf_put_varint(&b, e->as_name_len);
		buf_put_bytes(&b, e->as_name, e->as_name_len);
		buf_put_u8(&b, (uint8_t)e->ptr_len);
		buf_put_bytes(&b, e->ptr, e->ptr_len);
		break;
	}
	case REC_SCORE: {
		const struct rec_score *s = &r->u.score;
		uint64_t bits;
		if (s->name_len > REC_NAME_MAX)
			goto inval;
		buf_put_u8(&b, (uint8_t)s->name_len);
		buf_put_bytes(&b, s->name, s->name_len);
		buf_put_varint(&b, s->n_a);
		buf_put_varint(&b, s->n_asn);
		buf_put_varint(&b, s->n_ns);
		buf_put_varint(&b, s->lookups);
		memcpy(&bits, &s->score, 8);
		buf_put_le64(&b, bits);
		memcpy(&bits, &s->margin, 8);
		buf_put_le64(&b, bits);
		buf_put_u8(&b, s->window);
		break;
	}
	case REC_EVENT:
		if (r->u.event.text_len > REC_TEXT_MAX)
			goto inval;
		buf_put_u8(&b, r->u.event.kind);
		buf_put_varint(&b, r->u.event.text_len);
		buf_put_bytes(&b, r->u.event.text, r->u.event.text_len);
		break;
	case REC_FEED: {
		const struct rec_feed *fd = &r->u.feed;
		if (fd->source_len > REC_SOURCE_MAX || fd->op < REC_FEED_LISTED ||
		    fd->op > REC_FEED_FETCH)
			goto inval;
		buf_put_u8(&b, fd->op);
		buf_put_u8(&b, (uint8_t)fd->source_len);
		buf_put_bytes(&b, fd->source, fd->source_len);
		if (fd->op != REC_FEED_FETCH) {
			if (fd->value_len > REC_VALUE_MAX || fd->host_len > REC_NAME_MAX ||
			    fd->kind < REC_IND_DOMAIN || fd->kind > REC_IND_URL)
				goto inval;
			buf_put_u8(&b, fd->kind);
			buf_put_varint(&b, fd->value_len);
			buf_put_bytes(&b, fd->value, fd->value_len);
			buf_put_u8(&b, (uint8_t)fd->host_len);
			buf_put_bytes(&b, fd->host, fd->host_len);
			break;
		}
		if (fd->etag_len > REC_VALIDATOR_MAX || fd->last_modified_len > REC_VALIDATOR_MAX ||
		    fd->error_len > REC_TEXT_MAX)
			goto inval;
		buf_put_varint(&b, fd->status);
		buf_put_u8(&b, fd->outcome);
		buf_put_varint(&b, fd->bytes);
		buf_put_varint(&b, fd->entries);
		buf_put_varint(&b, fd->added);
		buf_put_varint(&b, fd->removed);
		buf_put_varint(&b, fd->bad);
		buf_put_varint(&b, fd->duration_us);
		buf_put_u8(&b, (uint8_t)fd->etag_len);
		buf_put_bytes(&b, fd->etag, fd->etag_len);
		buf_put_u8(&b, (uint8_t)fd->last_modified_len);
		buf_put_bytes(&b, fd->last_modified, fd->last_modified_len);
		buf_put_varint(&b, fd->error_len);
		buf_put_bytes(&b, fd->error, fd->error_len);
		break;
	}
	case REC_SPAM:
		if (rec_spam_put(&b, &r->u.spam) < 0)
			goto inval;
		break;
	case REC_SEAL:
		buf_put_varint(&b, r->u.seal.records);
		buf_put_varint(&b, r->u.seal.bytes);
		break;
	default:
		/* types this version only carries through (reserved ones) */
		if (r->type == 0 || r->type > REC_SEAL)
			goto inval;
		buf_put_bytes(&b, r->u.raw.p, r->u.raw.len);
		break;
	}
	if (b.err) {
		errno = ENOBUFS;
		return -1;
	}
	size_t plen = b.off - REC_FRAME_HDR;
	if (plen > REC_MAX_PAYLOAD)
		goto inval;
	uint8_t *f = out;
	buf_set_le32(f + 4, (uint32_t)plen | (uint32_t)r->type << 24);
	buf_set_le32(f, crc32c(0, f + 4, 4 + plen));
	return (long)b.off;
inval:
	errno = EINVAL;
	return -1;
}

int rec_frame_check(const void *p, size_t len, size_t *frame_len, const char **why)
{
	const uint8_t *f = p;
	if (len < REC_FRAME_HDR)
		return 0;
	uint32_t lt = buf_le32(f + 4);
	size_t plen = lt & REC_MAX_PAYLOAD;
	uint8_t type = (uint8_t)(lt >> 24);
	if (type == 0 || type > REC_SEAL) {
		*why = "bad record type";
		return -1;
	}
	if (plen < 2) {
		*why = "impossible record length";
		return -1;
	}
	if (plen > len - REC_FRAME_HDR)
		return 0;
	if (crc32c(0, f + 4, 4 + plen) != buf_le32(f)) {
		*why = "bad CRC";
		return -1;
	}
	*frame_len = REC_FRAME_HDR + plen;
	return 1;
}

int rec_decode(const void *frame, size_t frame_len, int64_t base_us, struct rec *r,
	       const char **why)
{
	const uint8_t *f = frame;
	struct buf_rd b;
	memset(r, 0, sizeof *r);
	r->type = f[7];
	buf_rd_init(&b, f + REC_FRAME_HDR, frame_len - REC_FRAME_HDR);
	uint8_t flags = buf_get_u8(&b);
	r->flags = flags & REC_F_PUBLIC;
	/* a hostile frame's delta may take the time past int64: refused, not wrapped (UB) */
	if (__builtin_add_overflow(base_us, buf_get_svarint(&b), &r->ts_us))
		goto bad;

	switch (r->type) {
	case REC_DNS: {
		struct rec_dns *d = &r->u.dns;
		uint64_t v = buf_get_varint(&b);
		d->qtype = (uint16_t)v;
		if (v > 0xffff)
			goto bad;
		d->rcode = buf_get_u8(&b);
		v = buf_get_varint(&b);
		if (v > UINT32_MAX)
			goto bad;
		d->ttl = (uint32_t)v;
		d->name_len = buf_get_u8(&b);
		d->name = (const char *)buf_get_bytes(&b, d->name_len);
		if ((flags & F_SERVER) && get_ip(&b, &d->server) < 0)
			goto bad;
		v = buf_get_varint(&b);
		if (v > buf_left(&b) / 4)
			goto bad;
		d->n_a4 = (uint32_t)v;
		d->a4 = buf_get_bytes(&b, (size_t)v * 4);
		v = flags & F_A6 ? buf_get_varint(&b) : 0;
		if (v > buf_left(&b) / 16)
			goto bad;
		d->n_a6 = (uint32_t)v;
		d->a6 = buf_get_bytes(&b, (size_t)v * 16);
		v = flags & F_NAMES ? buf_get_varint(&b) : 0;
		if (v > buf_left(&b))
			goto bad;
		d->n_names = (uint32_t)v;
		d->names = b.p + b.off;
		for (uint32_t i = 0; i < d->n_names && !b.err; i++)
			buf_skip(&b, buf_get_u8(&b));
		d->names_len = (size_t)(b.p + b.off - d->names);
		if (r->flags & REC_F_COALESCED) {
			if (__builtin_add_overflow(r->ts_us, buf_get_svarint(&b), &d->ts_last_us))
				goto bad;
			d->count = buf_get_varint(&b);
		} else {
			d->ts_last_us = r->ts_us;
			d->count = 1;
		}
		break;
	}
	case REC_ENRICH: {
		struct rec_enrich *e = &r->u.enrich;
		if (get_ip(&b, &e->ip) < 0)
			goto bad;
		uint64_t v = buf_get_varint(&b);
		if (v > UINT32_MAX)
			goto bad;
		e->asn = (uint32_t)v;
		const uint8_t *cc = buf_get_bytes(&b, 2);
		if (cc)
			memcpy(e->country, cc, 2);
		v = buf_get_varint(&b);
		if (v > REC_TEXT_MAX)
			goto bad;
		e->as_name_len = (size_t)v;
		e->as_name = (const char *)buf_get_bytes(&b, e->as_name_len);
		e->ptr_len = buf_get_u8(&b);
		e->ptr = (const char *)buf_get_bytes(&b, e->ptr_len);
		break;
	}
	case REC_SCORE: {
		struct rec_score *s = &r->u.score;
		uint64_t bits, v[4];
		s->name_len = buf_get_u8(&b);
		s->name = (const char *)buf_get_bytes(&b, s->name_len);
		for (int i = 0; i < 4; i++) {
			v[i] = buf_get_varint(&b);
			if (v[i] > UINT32_MAX)
				goto bad;
		}
		s->n_a = (uint32_t)v[0];
		s->n_asn = (uint32_t)v[1];
		s->n_ns = (uint32_t)v[2];
		s->lookups = (uint32_t)v[3];
		bits = buf_get_le64(&b);
		memcpy(&s->score, &bits, 8);
		bits = buf_get_le64(&b);
		memcpy(&s->margin, &bits, 8);
		s->window = buf_get_u8(&b);
		break;
	}
	case REC_EVENT: {
		r->u.event.kind = buf_get_u8(&b);
		uint64_t v = buf_get_varint(&b);
		if (v > REC_TEXT_MAX)
			goto bad;
		r->u.event.text_len = (size_t)v;
		r->u.event.text = (const char *)buf_get_bytes(&b, (size_t)v);
		break;
	}
	case REC_FEED: {
		struct rec_feed *fd = &r->u.feed;
		uint64_t v;
		fd->op = buf_get_u8(&b);
		if (fd->op < REC_FEED_LISTED || fd->op > REC_FEED_FETCH)
			goto bad;
		fd->source_len = buf_get_u8(&b);
		if (fd->source_len > REC_SOURCE_MAX)
			goto bad;
		fd->source = (const char *)buf_get_bytes(&b, fd->source_len);
		if (fd->op != REC_FEED_FETCH) {
			fd->kind = buf_get_u8(&b);
			if (fd->kind < REC_IND_DOMAIN || fd->kind > REC_IND_URL)
				goto bad;
			v = buf_get_varint(&b);
			if (v > REC_VALUE_MAX)
				goto bad;
			fd->value_len = (size_t)v;
			fd->value = (const char *)buf_get_bytes(&b, fd->value_len);
			fd->host_len = buf_get_u8(&b);
			fd->host = (const char *)buf_get_bytes(&b, fd->host_len);
			break;
		}
		v = buf_get_varint(&b);
		if (v > 0xffff)
			goto bad;
		fd->status = (uint16_t)v;
		fd->outcome = buf_get_u8(&b);
		fd->bytes = buf_get_varint(&b);
		fd->entries = buf_get_varint(&b);
		fd->added = buf_get_varint(&b);
		fd->removed = buf_get_varint(&b);
		fd->bad = buf_get_varint(&b);
		fd->duration_us = buf_get_varint(&b);
		fd->etag_len = buf_get_u8(&b);
		fd->etag = (const char *)buf_get_bytes(&b, fd->etag_len);
		fd->last_modified_len = buf_get_u8(&b);
		fd->last_modified = (const char *)buf_get_bytes(&b, fd->last_modified_len);
		v = buf_get_varint(&b);
		if (v > REC_TEXT_MAX)
			goto bad;
		fd->error_len = (size_t)v;
		fd->error = (const char *)buf_get_bytes(&b, fd->error_len);
		break;
	}
	case REC_SPAM:
		if (rec_spam_get(&b, &r->u.spam) < 0)
			goto bad;
		break;
	case REC_SEAL:
		r->u.seal.records = buf_get_varint(&b);
		r->u.seal.bytes = buf_get_varint(&b);
		break;
	default:
		r->u.raw.p = b.p + b.off;
		r->u.raw.len = buf_left(&b);
		b.off = b.len;
		break;
	}
	if (b.err)
		goto bad;
	/* Known types end exactly; newer writers may only add new types. */
	if (buf_left(&b) != 0) {
		*why = "trailing bytes in record";
		return -1;
	}
	return 1;
bad:
	*why = "record payload does not parse";
	return -1;
}

int rec_dns_name_next(const struct rec_dns *d, size_t *off, const char **name, size_t *len)
{
	if (*off >= d->names_len)
		return 0;
	size_t l = d->names[*off];
	if (l > d->names_len - *off - 1)
		return 0;
	*name = (const char *)d->names + *off + 1;
	*len = l;
	*off += 1 + l;
	return 1;
}

int rec_names_add(uint8_t *buf, size_t cap, size_t *len, const char *name, size_t name_len)
{
	if (name_len > REC_NAME_MAX || *len + 1 + name_len > cap)
		return -1;
	buf[*len] = (uint8_t)name_len;
	memcpy(buf + *len + 1, name, name_len);
	*len += 1 + name_len;
	return 0;
}

void rec_stamp(struct rec *r)
{
	r->ts_us = clock_now_us();
	if (clock_is_set())
		r->flags &= (uint8_t)~REC_F_CLOCK_UNSET;
	else
		r->flags |= REC_F_CLOCK_UNSET;
}

const char *rec_type_name(uint8_t type)
{
	switch (type) {
	case REC_DNS: return "dns";
	case REC_ENRICH: return "enrich";
	case REC_SCORE: return "score";
	case REC_EVENT: return "event";
	case REC_FEED: return "feed";
	case REC_SPAM: return "spam";
	case REC_SEAL: return "seal";
	default: return "unknown";
	}
}
