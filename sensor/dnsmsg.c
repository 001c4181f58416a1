/*
 * dnsmsg: DNS query encoding and reply parsing (see dnsmsg.h).
 * Invariants: every byte of a reply is read through a struct buf_rd over
 * the whole packet; a name read follows compression pointers only
 * backwards and stops at 255 wire bytes or 127 jumps, whichever first, so
 * a hostile reply costs bounded time; arena writes are checked against
 * rr_cap and text_cap before they happen.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dnsmsg.h"

#define CNAME_HOPS 8
#define PTR_HOPS 127

void dnsmsg_arena_init(struct dnsmsg_arena *a, struct dnsmsg_rr *rr, unsigned rr_cap, char *text,
		       size_t text_cap)
{
	a->rr = rr;
	a->rr_cap = rr_cap;
	a->text = text;
	a->text_cap = text_cap;
	a->rr_n = 0;
	a->text_used = 0;
}

/* ---- names ---------------------------------------------------------------- */

int dnsmsg_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0, lab = 0;	/* lab: where the current label's length byte is */
	const char *s = name;

	if (!name || !*name || cap < 1)
		return -1;
	if (strcmp(name, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (cap < 2)
		return -1;
	out[o++] = 0;
	while (*s) {
		unsigned c = (unsigned char)*s++;
		if (c == '.') {
			if (o - lab - 1 == 0)
				return -1;	/* empty label */
			if (*s == '\0')
				break;	/* the final dot */
			if (o >= cap || o >= DNSMSG_WIRE_NAME_MAX)
				return -1;
			lab = o;
			out[o++] = 0;
			continue;
		}
		if (c == '\\') {
			if (s[0] >= '0' && s[0] <= '9') {
				if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
					return -1;
				c = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
				if (c > 255)
					return -1;
				s += 3;
			} else if (*s) {
				c = (unsigned char)*s++;
			} else {
				return -1;
			}
		}
		if (o - lab - 1 >= 63 || o >= cap || o >= DNSMSG_WIRE_NAME_MAX - 1)
			return -1;
		out[o++] = (uint8_t)c;
		out[lab] = (uint8_t)(o - lab - 1);
	}
	if (out[lab] == 0 || o >= cap || o + 1 > DNSMSG_WIRE_NAME_MAX)
		return -1;
	out[o++] = 0;
	return (int)o;
}

static int plain(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '*' || c == '/' || c == '+' || c == '=' || c == ':' ||
	       c == '#' || c == '!' || c == '%' || c == '&' || c == ',' || c == '<' || c == '>' ||
	       c == '?' || c == '[' || c == ']' || c == '^' || c == '`' || c == '{' || c == '|' ||
	       c == '}' || c == '~' || c == '\'';
}

int dnsmsg_wire_to_text(const uint8_t *w, size_t wlen, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	if (cap == 0)
		return -1;
	if (wlen >= 1 && w[0] == 0) {
		/* the root: "." */
		if (cap < 2)
			return -1;
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (i < wlen && w[i] != 0) {
		size_t l = w[i++];
		if (l > 63 || i + l > wlen)
			return -1;
		if (o > 0) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '.';
		}
		for (size_t k = 0; k < l; k++) {
			unsigned c = w[i + k];
			if (plain(c)) {
				if (o + 1 >= cap)
					return -1;
				out[o++] = (char)c;
			} else if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
				   c == '@' || c == '$') {
				if (o + 2 >= cap)
					return -1;
				out[o++] = '\\';
				out[o++] = (char)c;
			} else {
				if (o + 4 >= cap)
					return -1;
				snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
		i += l;
	}
	if (i >= wlen)
		return -1;	/* no final zero */
	out[o] = '\0';
	return (int)o;
}

/*
 * Read the name at c (a cursor over the whole packet), leaving c after
 * the name's bytes in place (up to and including the first pointer).
 */
static int read_name(const uint8_t *pkt, size_t len, struct buf_rd *c, uint8_t out[DNSMSG_WIRE_NAME_MAX],
		     size_t *outlen)
{
	struct buf_rd r = *c;
	size_t o = 0;
	int jumped = 0;
	unsigned hops = 0;

	for (;;) {
		size_t at = r.off;
		uint8_t l = buf_get_u8(&r);
		if (r.err)
			return -1;
		if ((l & 0xc0) == 0xc0) {
			uint8_t l2 = buf_get_u8(&r);
			size_t target = (size_t)(l & 0x3f) << 8 | l2;
			if (r.err || target >= at || ++hops > PTR_HOPS)
				return -1;
			if (!jumped) {
				c->off = r.off;
				jumped = 1;
			}
			buf_rd_init(&r, pkt, len);
			buf_skip(&r, target);
			continue;
		}
		if (l & 0xc0)
			return -1;	/* extended label types: not in use */
		if (o + 1 + l > DNSMSG_WIRE_NAME_MAX)
			return -1;
		out[o++] = l;
		if (l == 0)
			break;
		const uint8_t *p = buf_get_bytes(&r, l);
		if (!p)
			return -1;
		memcpy(out + o, p, l);
		o += l;
	}
	if (!jumped)
		c->off = r.off;
	*outlen = o;
	return 0;
}

static int wire_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++) {
		unsigned x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Copy text into the arena; a pointer to it, or NULL when it does not fit. */
static const char *arena_text(struct dnsmsg_arena *a, const char *s, size_t n)
{
	if (a->text_cap - a->text_used < n + 1)
		return NULL;
	char *p = a->text + a->text_used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	a->text_used += n + 1;
	return p;
}

/* ---- queries -------------------------------------------------------------- */

int dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype, int rd,
		 unsigned edns_size)
{
	uint8_t wire[DNSMSG_WIRE_NAME_MAX];
	int wl = dnsmsg_name_to_wire(name, wire, sizeof wire);
	struct buf_wr w;
	if (wl < 0)
		return -1;
	buf_wr_init(&w, out, cap);
	buf_put_be16(&w, id);
	buf_put_be16(&w, rd ? 0x0100 : 0);
	buf_put_be16(&w, 1);
	buf_put_be16(&w, 0);
	buf_put_be16(&w, 0);
	buf_put_be16(&w, edns_size > 512 ? 1 : 0);
	buf_put_bytes(&w, wire, (size_t)wl);
	buf_put_be16(&w, qtype);
	buf_put_be16(&w, 1);	/* IN */
	if (edns_size > 512) {
		buf_put_u8(&w, 0);	/* root owner */
		buf_put_be16(&w, DNS_TYPE_OPT);
		buf_put_be16(&w, (uint16_t)(edns_size > 65535 ? 65535 : edns_size));
		buf_put_be32(&w, 0);	/* extended rcode, version 0, no DO */
		buf_put_be16(&w, 0);	/* no options */
	}
	return w.err ? -1 : (int)w.off;
}

/* ---- replies -------------------------------------------------------------- */

struct rrhdr {
	uint8_t owner[DNSMSG_WIRE_NAME_MAX];
	size_t owner_len;
	uint16_t type, cls;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdata;		/* offset of the rdata in the packet */
};

static int read_rr(const uint8_t *pkt, size_t len, struct buf_rd *c, struct rrhdr *h)
{
	if (read_name(pkt, len, c, h->owner, &h->owner_len) < 0)
		return -1;
	h->type = buf_get_be16(c);
	h->cls = buf_get_be16(c);
	h->ttl = buf_get_be32(c);
	h->rdlen = buf_get_be16(c);
	h->rdata = c->off;
	buf_skip(c, h->rdlen);
	return c->err ? -1 : 0;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

/* Decode the rdata of a record of a kept type into rr (text into the arena). */
static int decode_rdata(const uint8_t *pkt, size_t len, const struct rrhdr *h, struct dnsmsg_arena *a,
			struct dnsmsg_rr *rr, int *nospace, const char **why)
{
	struct buf_rd c;
	uint8_t w[DNSMSG_WIRE_NAME_MAX];
	char text[DNSMSG_TEXT_NAME_MAX];
	size_t wl;

	*nospace = 0;
	rr->ttl = h->ttl & 0x7fffffffu;	/* RFC 2181: a TTL with the top bit set is 0 */
	if (h->ttl & 0x80000000u)
		rr->ttl = 0;
	rr->type = h->type;
	buf_rd_init(&c, pkt, h->rdata + h->rdlen);
	buf_skip(&c, h->rdata);
	switch (h->type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA: {
		size_t want = h->type == DNS_TYPE_A ? 4 : 16;
		if (h->rdlen != want)
			return fail(why, "address rdata of the wrong length");
		memset(rr->u.addr, 0, sizeof rr->u.addr);
		memcpy(rr->u.addr, buf_get_bytes(&c, want), want);
		rr->len = (uint16_t)want;
		return 0;
	}
	case DNS_TYPE_NS:
	case DNS_TYPE_PTR:
	case DNS_TYPE_CNAME: {
		/* pointers may reach the whole packet; the name must end at rdata's end */
		struct buf_rd whole;
		buf_rd_init(&whole, pkt, len);
		buf_skip(&whole, h->rdata);
		if (read_name(pkt, len, &whole, w, &wl) < 0 || whole.off != h->rdata + h->rdlen)
			return fail(why, "bad name in rdata");
		int tl = dnsmsg_wire_to_text(w, wl, text, sizeof text);
		if (tl < 0)
			return fail(why, "bad name in rdata");
		rr->u.text = arena_text(a, text, (size_t)tl);
		rr->len = (uint16_t)tl;
		*nospace = rr->u.text == NULL;
		return 0;
	}
	case DNS_TYPE_TXT: {
		/* the strings joined; rdlen <= 65535 bounds the copy */
		size_t n = 0;
		char *dst = a->text + a->text_used;
		size_t room = a->text_cap - a->text_used;
		while (buf_left(&c) > 0) {
			uint8_t sl = buf_get_u8(&c);
			const uint8_t *p = buf_get_bytes(&c, sl);
			if (!p)
				return fail(why, "TXT string runs past its rdata");
			if (n + sl + 1 <= room)
				memcpy(dst + n, p, sl);
			n += sl;
		}
		if (n + 1 > room) {
			*nospace = 1;
			return 0;
		}
		dst[n] = '\0';
		a->text_used += n + 1;
		rr->u.text = dst;
		rr->len = (uint16_t)n;
		return 0;
	}
	default: {
		/* another type: its raw rdata (names in it stay compressed) */
		const uint8_t *raw = buf_get_bytes(&c, h->rdlen);
		if (!raw && h->rdlen)
			return fail(why, "rdata runs off the end");
		rr->u.text = arena_text(a, (const char *)raw, h->rdlen);
		rr->len = h->rdlen;
		*nospace = rr->u.text == NULL;
		return 0;
	}
	}
}

int dnsmsg_parse(const uint8_t *pkt, size_t len, struct dnsmsg_arena *a, struct dnsmsg_reply *out,
		 const char **why)
{
	struct buf_rd c;
	uint8_t qwire[DNSMSG_WIRE_NAME_MAX], cur[DNSMSG_WIRE_NAME_MAX];
	char text[DNSMSG_TEXT_NAME_MAX];
	size_t qlen = 0, curlen;
	struct rrhdr h;

	memset(out, 0, sizeof *out);
	a->rr_n = 0;
	a->text_used = 0;
	out->rr = a->rr;
	out->qname = "";
	buf_rd_init(&c, pkt, len);
	out->id = buf_get_be16(&c);
	uint16_t flags = buf_get_be16(&c);
	uint16_t qd = buf_get_be16(&c);
	out->ancount = buf_get_be16(&c);
	buf_get_be16(&c);	/* authority */
	buf_get_be16(&c);	/* additional */
	if (c.err)
		return fail(why, "shorter than a header");
	if (!(flags & 0x8000))
		return fail(why, "not a response");
	if ((flags >> 11 & 0xf) != 0)
		return fail(why, "not a standard query response");
	out->rcode = flags & 0xf;
	out->aa = (flags >> 10) & 1;
	out->tc = (flags >> 9) & 1;
	out->ra = (flags >> 7) & 1;
	if (qd > 1)
		return fail(why, "more than one question");
	if (qd == 1) {
		if (read_name(pkt, len, &c, qwire, &qlen) < 0)
			return fail(why, "bad question name");
		out->qtype = buf_get_be16(&c);
		uint16_t qclass = buf_get_be16(&c);
		if (c.err)
			return fail(why, "question runs off the end");
		if (qclass != 1)
			return fail(why, "question class is not IN");
		int tl = dnsmsg_wire_to_text(qwire, qlen, text, sizeof text);
		const char *q = tl < 0 ? NULL : arena_text(a, text, (size_t)tl);
		if (!q)
			return fail(why, "question name does not fit");
		out->qname = q;
	}
	size_t answers = c.off;

	/* a truncated reply is reported as it is; its records may be cut */
	if (out->tc)
		return 0;

	/* pass 1: check every answer record's frame, follow the CNAME chain */
	memcpy(cur, qwire, qlen);
	curlen = qlen;
	for (int hop = 0; hop <= CNAME_HOPS; hop++) {
		int moved = 0;
		buf_rd_init(&c, pkt, len);
		buf_skip(&c, answers);
		for (unsigned i = 0; i < out->ancount; i++) {
			if (read_rr(pkt, len, &c, &h) < 0)
				return fail(why, "answer record runs off the end");
			if (h.type != DNS_TYPE_CNAME || h.cls != 1 || qd == 0 ||
			    !wire_eq(h.owner, h.owner_len, cur, curlen) || hop == CNAME_HOPS)
				continue;
			struct buf_rd whole;
			buf_rd_init(&whole, pkt, len);
			buf_skip(&whole, h.rdata);
			if (read_name(pkt, len, &whole, cur, &curlen) < 0 ||
			    whole.off != h.rdata + h.rdlen)
				return fail(why, "bad CNAME target");
			moved = 1;
			break;
		}
		if (!moved)
			break;
		int tl = dnsmsg_wire_to_text(cur, curlen, text, sizeof text);
		if (tl < 0)
			return fail(why, "bad CNAME target");
		out->cname = arena_text(a, text, (size_t)tl);
	}

	/* pass 2: the records of the type asked, for the name at the chain's end */
	buf_rd_init(&c, pkt, len);
	buf_skip(&c, answers);
	for (unsigned i = 0; i < out->ancount; i++) {
		if (read_rr(pkt, len, &c, &h) < 0)
			return fail(why, "answer record runs off the end");
		if (qd == 0 || h.type != out->qtype || h.cls != 1 ||
		    !wire_eq(h.owner, h.owner_len, cur, curlen))
			continue;
		if (a->rr_n >= a->rr_cap) {
			out->dropped++;
			continue;
		}
		struct dnsmsg_rr *rr = &a->rr[a->rr_n];
		int nospace;
		if (decode_rdata(pkt, len, &h, a, rr, &nospace, why) < 0)
			return -1;
		if (nospace) {
			out->dropped++;
			continue;
		}
		if (a->rr_n == 0 || rr->ttl < out->min_ttl)
			out->min_ttl = rr->ttl;
		a->rr_n++;
	}
	out->n = a->rr_n;
	return 0;
}

int dnsmsg_question_is(const struct dnsmsg_reply *r, const char *name, uint16_t qtype)
{
	uint8_t a[DNSMSG_WIRE_NAME_MAX], b[DNSMSG_WIRE_NAME_MAX];
	int al = dnsmsg_name_to_wire(name, a, sizeof a);
	int bl = r->qname[0] ? dnsmsg_name_to_wire(r->qname, b, sizeof b) : -1;
	return al > 0 && bl > 0 && r->qtype == qtype && wire_eq(a, (size_t)al, b, (size_t)bl);
}
