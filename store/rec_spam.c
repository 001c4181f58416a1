/*
 * rec_spam: the spam-extract payload (layout in rec_spam.h).  Every
 * length read from a frame is checked against what is left of it before
 * anything points into it; counts are checked against the bytes left, so
 * a hostile count cannot make a walk run long.
 */
#include <string.h>

#include "rec_spam.h"

static void put_ip(struct buf_wr *b, const struct rec_ip *ip)
{
	buf_put_u8(b, ip->family);
	if (ip->family == 4 || ip->family == 6)
		buf_put_bytes(b, ip->addr, ip->family == 4 ? 4 : 16);
}

static void put_str8(struct buf_wr *b, const char *s, size_t n)
{
	buf_put_u8(b, (uint8_t)n);
	buf_put_bytes(b, s, n);
}

static int valid_hosts(const uint8_t *p, size_t len, uint32_t n)
{
	size_t off = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (off >= len || p[off] > len - off - 1)
			return 0;
		size_t hl = p[off];
		off += 1 + hl;
		if (off >= len || p[off] > hl)
			return 0;
		off++;
	}
	return off == len;
}

static int valid_urls(const uint8_t *p, size_t len, uint32_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, p, len);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = buf_get_varint(&b);
		if (b.err || l > REC_VALUE_MAX || l > buf_left(&b))
			return 0;
		buf_skip(&b, (size_t)l);
	}
	return !b.err && buf_left(&b) == 0;
}

static int valid_att(const uint8_t *p, size_t len, uint32_t n)
{
	struct buf_rd b;
	buf_rd_init(&b, p, len);
	for (uint32_t i = 0; i < n; i++) {
		buf_skip(&b, buf_get_u8(&b));
		buf_skip(&b, buf_get_u8(&b));
		buf_get_varint(&b);
		buf_skip(&b, 32);
	}
	return !b.err && buf_left(&b) == 0;
}

int rec_spam_put(struct buf_wr *b, const struct rec_spam *s)
{
	if ((s->op != REC_SPAM_EXTRACT && s->op != REC_SPAM_REPEAT) || !s->digest ||
	    s->source_len > REC_SOURCE_MAX)
		return -1;
	buf_put_u8(b, s->op);
	buf_put_bytes(b, s->digest, 32);
	put_str8(b, s->source, s->source_len);
	if (s->op == REC_SPAM_REPEAT)
		return 0;
	if (s->subject_len > 255 || s->from_len > REC_NAME_MAX || s->reply_len > REC_NAME_MAX ||
	    s->rpath_len > REC_NAME_MAX || s->msgid_len > REC_NAME_MAX ||
	    (s->sender.family && s->sender.family != 4 && s->sender.family != 6) ||
	    !valid_hosts(s->hosts, s->hosts_len, s->n_hosts) ||
	    !valid_urls(s->urls, s->urls_len, s->n_urls) || !valid_att(s->att, s->att_len, s->n_att) ||
	    s->name_len > 255)
		return -1;
	buf_put_varint(b, s->bytes);
	buf_put_varint(b, s->bad);
	buf_put_u8(b, s->mflags);
	buf_put_varint(b, s->parts);
	put_ip(b, &s->sender);
	put_str8(b, s->subject, s->subject_len);
	put_str8(b, s->from, s->from_len);
	put_str8(b, s->reply, s->reply_len);
	put_str8(b, s->rpath, s->rpath_len);
	put_str8(b, s->msgid, s->msgid_len);
	buf_put_varint(b, s->n_hosts);
	buf_put_bytes(b, s->hosts, s->hosts_len);
	buf_put_varint(b, s->n_urls);
	buf_put_bytes(b, s->urls, s->urls_len);
	buf_put_varint(b, s->urls_seen);
	buf_put_varint(b, s->n_att);
	buf_put_bytes(b, s->att, s->att_len);
	put_str8(b, s->name, s->name_len);
	return 0;
}

static const char *get_str8(struct buf_rd *b, size_t *len)
{
	*len = buf_get_u8(b);
	return (const char *)buf_get_bytes(b, *len);
}

/* The bytes of n list items starting at the cursor, each skipped by skip(). */
static int get_list(struct buf_rd *b, uint32_t *n, const uint8_t **p, size_t *len,
		    int (*skip)(struct buf_rd *))
{
	uint64_t v = buf_get_varint(b);
	if (b->err || v > buf_left(b))
		return -1;
	*n = (uint32_t)v;
	*p = b->p + b->off;
	size_t start = b->off;
	for (uint64_t i = 0; i < v; i++)
		if (skip(b) < 0 || b->err)
			return -1;
	*len = b->off - start;
	return 0;
}

static int skip_host(struct buf_rd *b)
{
	size_t hl = buf_get_u8(b);
	buf_skip(b, hl);
	return buf_get_u8(b) > hl ? -1 : 0;
}

static int skip_url(struct buf_rd *b)
{
	uint64_t l = buf_get_varint(b);
	if (l > REC_VALUE_MAX)
		return -1;
	buf_skip(b, (size_t)l);
	return 0;
}

static int skip_att(struct buf_rd *b)
{
	buf_skip(b, buf_get_u8(b));
	buf_skip(b, buf_get_u8(b));
	buf_get_varint(b);
	buf_skip(b, 32);
	return 0;
}

int rec_spam_get(struct buf_rd *b, struct rec_spam *s)
{
	memset(s, 0, sizeof *s);
	s->op = buf_get_u8(b);
	if (s->op != REC_SPAM_EXTRACT && s->op != REC_SPAM_REPEAT)
		return -1;
	s->digest = buf_get_bytes(b, 32);
	s->source = get_str8(b, &s->source_len);
	if (s->source_len > REC_SOURCE_MAX)
		return -1;
	if (s->op == REC_SPAM_REPEAT)
		return b->err ? -1 : 0;
	s->bytes = buf_get_varint(b);
	uint64_t v = buf_get_varint(b);
	if (v > UINT32_MAX)
		return -1;
	s->bad = (uint32_t)v;
	s->mflags = buf_get_u8(b);
	v = buf_get_varint(b);
	if (v > UINT32_MAX)
		return -1;
	s->parts = (uint32_t)v;
	s->sender.family = buf_get_u8(b);
	if (s->sender.family == 4 || s->sender.family == 6) {
		const uint8_t *a = buf_get_bytes(b, s->sender.family == 4 ? 4 : 16);
		if (a)
			memcpy(s->sender.addr, a, s->sender.family == 4 ? 4 : 16);
	} else if (s->sender.family) {
		return -1;
	}
	s->subject = get_str8(b, &s->subject_len);
	s->from = get_str8(b, &s->from_len);
	s->reply = get_str8(b, &s->reply_len);
	s->rpath = get_str8(b, &s->rpath_len);
	s->msgid = get_str8(b, &s->msgid_len);
	if (get_list(b, &s->n_hosts, &s->hosts, &s->hosts_len, skip_host) < 0 ||
	    get_list(b, &s->n_urls, &s->urls, &s->urls_len, skip_url) < 0)
		return -1;
	v = buf_get_varint(b);
	if (v > UINT32_MAX)
		return -1;
	s->urls_seen = (uint32_t)v;
	if (get_list(b, &s->n_att, &s->att, &s->att_len, skip_att) < 0)
		return -1;
	s->name = get_str8(b, &s->name_len);
	return b->err ? -1 : 0;
}

int rec_spam_host_next(const struct rec_spam *s, size_t *off, const char **host, size_t *len,
		       size_t *dom_len)
{
	if (*off >= s->hosts_len)
		return 0;
	size_t hl = s->hosts[*off];
	if (hl + 2 > s->hosts_len - *off)
		return 0;
	*host = (const char *)s->hosts + *off + 1;
	*len = hl;
	*dom_len = s->hosts[*off + 1 + hl];
	*off += 2 + hl;
	return 1;
}

int rec_spam_url_next(const struct rec_spam *s, size_t *off, const char **url, size_t *len)
{
	struct buf_rd b;
	if (*off >= s->urls_len)
		return 0;
	buf_rd_init(&b, s->urls + *off, s->urls_len - *off);
	uint64_t l = buf_get_varint(&b);
	const uint8_t *p = buf_get_bytes(&b, (size_t)l);
	if (b.err || !p)
		return 0;
	*url = (const char *)p;
	*len = (size_t)l;
	*off += b.off;
	return 1;
}

int rec_spam_att_next(const struct rec_spam *s, size_t *off, struct rec_spam_att *a)
{
	struct buf_rd b;
	if (*off >= s->att_len)
		return 0;
	buf_rd_init(&b, s->att + *off, s->att_len - *off);
	a->name_len = buf_get_u8(&b);
	a->name = (const char *)buf_get_bytes(&b, a->name_len);
	a->type_len = buf_get_u8(&b);
	a->type = (const char *)buf_get_bytes(&b, a->type_len);
	a->size = buf_get_varint(&b);
	a->sha256 = buf_get_bytes(&b, 32);
	if (b.err)
		return 0;
	*off += b.off;
	return 1;
}

void rec_spam_from_mail(struct rec *r, const struct mail_msg *m, const char *source,
			uint8_t *scratch)
{
	struct rec_spam *s = &r->u.spam;
	struct buf_wr w;
	memset(s, 0, sizeof *s);
	r->type = REC_SPAM;
	s->op = REC_SPAM_EXTRACT;
	s->digest = m->digest;
	s->source = source;
	s->source_len = strnlen(source, REC_SOURCE_MAX);
	s->bytes = m->bytes;
	s->bad = m->bad;
	s->mflags = (uint8_t)m->flags;
	s->parts = m->parts;
	s->sender = m->sender;
	s->subject = m->subject;
	s->subject_len = strlen(m->subject);
	s->from = m->from_dom;
	s->from_len = strlen(m->from_dom);
	s->reply = m->reply_dom;
	s->reply_len = strlen(m->reply_dom);
	s->rpath = m->rpath_dom;
	s->rpath_len = strlen(m->rpath_dom);
	s->msgid = m->msgid_dom;
	s->msgid_len = strlen(m->msgid_dom);
	buf_wr_init(&w, scratch, REC_SPAM_SCRATCH);
	s->hosts = w.p + w.off;
	for (uint32_t i = 0; i < m->n_hosts; i++) {
		buf_put_u8(&w, (uint8_t)m->hosts[i].len);
		buf_put_bytes(&w, mail_str_ptr(m, m->hosts[i]), m->hosts[i].len);
		buf_put_u8(&w, (uint8_t)m->domains[i].len);
	}
	s->n_hosts = m->n_hosts;
	s->hosts_len = (size_t)(w.p + w.off - s->hosts);
	s->urls = w.p + w.off;
	for (uint32_t i = 0; i < m->n_urls; i++) {
		buf_put_varint(&w, m->urls[i].len);
		buf_put_bytes(&w, mail_str_ptr(m, m->urls[i]), m->urls[i].len);
	}
	s->n_urls = m->n_urls;
	s->urls_len = (size_t)(w.p + w.off - s->urls);
	s->urls_seen = m->urls_seen;
	s->att = w.p + w.off;
	for (uint32_t i = 0; i < m->n_att; i++) {
		const struct mail_att *a = &m->att[i];
		size_t nl = strlen(a->name), tl = strlen(a->type);
		put_str8(&w, a->name, nl > 255 ? 255 : nl);
		put_str8(&w, a->type, tl > 255 ? 255 : tl);
		buf_put_varint(&w, a->size);
		buf_put_bytes(&w, a->sha256, 32);
	}
	s->n_att = m->n_att;
	s->att_len = (size_t)(w.p + w.off - s->att);
}
