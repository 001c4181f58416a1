/*
 * index: build and read the CDB index of a sealed segment (index.h).
 *
 * The build reads the sealed segment once and groups record offsets by key
 * in a hash table whose offset lists are delta-coded varints in a bump
 * arena, so memory is about (unique keys x 40 bytes) + 2 bytes a reference:
 * one entry per key keeps the index near 2 bytes per reference on disk
 * instead of the 30+ bytes one CDB entry per reference would cost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "modes.h"
#include "buf.h"
#include "index.h"
#include "rec_spam.h"
#include "seg.h"
#include "tip_config.h"

#define META_KEY "\0meta"
#define META_KEYLEN 5
/* 2: enrichment records also under 'e' + address; a version-1 index is
 * not used (readers scan its segment).  3: the member lists 'w', 'p' and
 * 'n' (wildcards and prefixes); a version-2 index is still read for its
 * exact keys, and readers scan its segment for a pattern. */
#define META_VERSION 3
#define META_VERSION_MIN 2
#define META_SIZE (4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 * 8 + 8)
#define ARENA_BLOCK (1u << 20)

struct arena_block {
	struct arena_block *next;
	size_t used;
	uint8_t data[];
};

struct ix_entry {
	uint32_t hash;
	uint16_t klen;
	uint8_t *key;		/* in the arena */
	uint8_t *list;		/* in the arena */
	uint32_t len, cap;
	uint64_t last;		/* last offset added, for the gap */
	int any;
};

struct ix_build {
	struct ix_entry *tab;
	size_t size, used;	/* size is a power of two */
	struct arena_block *arena;
	uint64_t refs;
};

static void *arena_alloc(struct ix_build *b, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (!b->arena || b->arena->used + n > ARENA_BLOCK) {
		size_t sz = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		struct arena_block *a = malloc(sizeof *a + sz);
		if (!a)
			return NULL;
		a->next = b->arena;
		a->used = 0;
		b->arena = a;
		if (n > ARENA_BLOCK) {
			a->used = n;
			return a->data;
		}
	}
	void *p = b->arena->data + b->arena->used;
	b->arena->used += n;
	return p;
}

static uint32_t hash_key(const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static int grow(struct ix_build *b)
{
	size_t nsize = b->size ? b->size * 2 : 1024;
	struct ix_entry *nt = calloc(nsize, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < b->size; i++) {
		if (!b->tab[i].key)
			continue;
		size_t j = b->tab[i].hash & (nsize - 1);
		while (nt[j].key)
			j = (j + 1) & (nsize - 1);
		nt[j] = b->tab[i];
	}
	free(b->tab);
	b->tab = nt;
	b->size = nsize;
	return 0;
}

static int append_raw(struct ix_build *b, struct ix_entry *e, const uint8_t *v, size_t n)
{
	if (e->len + n > e->cap) {
		uint64_t ncap = e->cap ? e->cap * 2 : 64;
		while (ncap < e->len + n)
			ncap *= 2;
		if (ncap > UINT32_MAX) {
			errno = EFBIG;
			return -1;
		}
		uint8_t *nl = arena_alloc(b, ncap);
		if (!nl)
			return -1;
		if (e->len)
			memcpy(nl, e->list, e->len);
		e->list = nl;
		e->cap = (uint32_t)ncap;
	}
	memcpy(e->list + e->len, v, n);
	e->len += (uint32_t)n;
	return 0;
}

/*
 * Add the reference key -> pos; with pos UINT64_MAX append raw[0..rawlen)
 * to the key's value instead (a member list).  1 when the key is new, 0
 * when it was there, -1 out of memory.
 */
static int add_key(struct ix_build *b, const uint8_t *key, size_t klen, uint64_t pos,
		   const uint8_t *raw, size_t rawlen)
{
	int created = 0;
	if (b->used * 2 >= b->size && grow(b) < 0)
		return -1;
	uint32_t h = hash_key(key, klen);
	size_t j = h & (b->size - 1);
	struct ix_entry *e;
	for (;; j = (j + 1) & (b->size - 1)) {
		e = &b->tab[j];
		if (!e->key)
			break;
		if (e->hash == h && e->klen == klen && !memcmp(e->key, key, klen))
			goto found;
	}
	e->key = arena_alloc(b, klen);
	if (!e->key)
		return -1;
	memcpy(e->key, key, klen);
	e->klen = (uint16_t)klen;
	e->hash = h;
	b->used++;
	created = 1;
found:
	if (pos == UINT64_MAX)
		return append_raw(b, e, raw, rawlen) < 0 ? -1 : created;
	if (e->any && e->last == pos)
		return 0;	/* the same key twice in one record */
	uint8_t v[10];
	struct buf_wr w;
	buf_wr_init(&w, v, sizeof v);
	buf_put_varint(&w, e->any ? pos - e->last : pos);
	if (e->len + w.off > e->cap) {
		uint32_t ncap = e->cap ? e->cap * 2 : 8;
		while (ncap < e->len + w.off)
			ncap *= 2;
		uint8_t *nl = arena_alloc(b, ncap);
		if (!nl)
			return -1;
		if (e->len)
			memcpy(nl, e->list, e->len);
		e->list = nl;
		e->cap = ncap;
	}
	memcpy(e->list + e->len, v, w.off);
	e->len += (uint32_t)w.off;
	e->last = pos;
	e->any = 1;
	b->refs++;
	return created;
}

/* A member (u8 length + a whole key) appended to the list under lkey. */
static int add_member(struct ix_build *b, const uint8_t *lkey, size_t lklen, const uint8_t *key,
		      size_t klen)
{
	uint8_t m[1 + INDEX_KEY_MAX];
	m[0] = (uint8_t)(klen - 1);	/* a key is 2 to 256 bytes */
	memcpy(m + 1, key, klen);
	return add_key(b, lkey, lklen, UINT64_MAX, m, klen + 1) < 0 ? -1 : 0;
}

/*
 * A key seen for the first time in this segment: put it in the member
 * lists that answer patterns.  A name a.b.c is a member of 'w' "b.c" and
 * 'w' "c" (left-hand wildcards "*.b.c", "*.c") and of 'p' "a" and 'p'
 * "a.b" (right-hand wildcards "a.*", "a.b.*"); an address of the 'n'
 * lists of its /8, /16 and /24 (IPv4) or /16, /24 ... /64 (IPv6).
 */
static int add_lists(struct ix_build *b, const uint8_t *key, size_t klen)
{
	uint8_t lk[INDEX_KEY_MAX];
	if (key[0] == IX_DOMAIN) {
		const uint8_t *nm = key + 1;
		size_t n = klen - 1;
		for (size_t i = 0; i < n; i++) {
			if (nm[i] != '.' || i == 0 || i + 1 == n)
				continue;
			lk[0] = IX_SUFFIX;
			memcpy(lk + 1, nm + i + 1, n - i - 1);
			if (add_member(b, lk, n - i, key, klen) < 0)
				return -1;
			lk[0] = IX_PREFIX;
			memcpy(lk + 1, nm, i);
			if (add_member(b, lk, i + 1, key, klen) < 0)
				return -1;
		}
		return 0;
	}
	int fam = key[0] == IX_IP4 ? 4 : 6;
	for (unsigned bits = fam == 4 ? 8 : 16; bits <= (fam == 4 ? 24u : 64u); bits += 8) {
		size_t kl = index_key_net(lk, fam, key + 1, bits);
		if (add_member(b, lk, kl, key, klen) < 0)
			return -1;
	}
	return 0;
}

static void build_free(struct ix_build *b)
{
	free(b->tab);
	while (b->arena) {
		struct arena_block *n = b->arena->next;
		free(b->arena);
		b->arena = n;
	}
}

size_t index_key_kind(uint8_t *out, uint8_t kind, const char *name, size_t len)
{
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > INDEX_KEY_MAX - 1)
		return 0;
	out[0] = kind;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		out[1 + i] = (uint8_t)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	return len + 1;
}

size_t index_key_domain(uint8_t *out, const char *name, size_t len)
{
	return index_key_kind(out, IX_DOMAIN, name, len);
}

size_t index_key_ip(uint8_t *out, int family, const void *addr)
{
	if (family == 4) {
		out[0] = IX_IP4;
		memcpy(out + 1, addr, 4);
		return 5;
	}
	if (family == 6) {
		out[0] = IX_IP6;
		memcpy(out + 1, addr, 16);
		return 17;
	}
	return 0;
}

size_t index_key_net(uint8_t *out, int family, const void *addr, unsigned bits)
{
	if ((family != 4 && family != 6) || bits > (family == 4 ? 32u : 128u))
		return 0;
	size_t nb = (bits + 7) / 8;
	out[0] = IX_NET;
	out[1] = (uint8_t)family;
	out[2] = (uint8_t)bits;
	memcpy(out + 3, addr, nb);
	if (bits % 8)
		out[3 + nb - 1] &= (uint8_t)(0xff00u >> (bits % 8));
	return 3 + nb;
}

int index_member_next(struct index_iter *it, const uint8_t **key, size_t *klen)
{
	if (it->p >= it->end)
		return 0;
	size_t n = (size_t)it->p[0] + 1;
	if (n < 2 || (size_t)(it->end - it->p) < 1 + n)
		return -1;
	*key = it->p + 1;
	*klen = n;
	it->p += 1 + n;
	return 1;
}

size_t index_key_enrich(uint8_t *out, int family, const void *addr)
{
	size_t n = index_key_ip(out, family, addr);
	if (n)
		out[0] = IX_ENRICH;
	return n;
}

size_t index_key_parse(uint8_t *out, const char *text)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, text, a) == 1)
		return index_key_ip(out, 4, a);
	if (inet_pton(AF_INET6, text, a) == 1)
		return index_key_ip(out, 6, a);
	return index_key_domain(out, text, strlen(text));
}

size_t index_key_indicator(uint8_t *out, const char *value, size_t len)
{
	if (len <= INDEX_KEY_MAX - 1)
		return index_key_kind(out, IX_INDICATOR, value, len);
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 of the whole value */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)value[i]) * 0x100000001b3ull;
	size_t keep = INDEX_KEY_MAX - 1 - 17;
	index_key_kind(out, IX_INDICATOR, value, keep);
	out[1 + keep] = '#';
	for (int i = 0; i < 16; i++)
		out[2 + keep + (size_t)i] = "0123456789abcdef"[(h >> (60 - 4 * i)) & 15];
	return INDEX_KEY_MAX;
}

size_t index_key_source(uint8_t *out, const char *name, size_t len)
{
	if (len == 0 || len > INDEX_KEY_MAX - 1)
		return 0;
	out[0] = IX_SOURCE;
	memcpy(out + 1, name, len);
	return len + 1;
}

size_t index_key_bytes(uint8_t *out, uint8_t kind, const void *p, size_t n)
{
	if (!p || n == 0 || n > INDEX_KEY_MAX - 1)
		return 0;
	out[0] = kind;
	memcpy(out + 1, p, n);
	return n + 1;
}

size_t index_key_cidr(uint8_t *out, int family, unsigned prefix, const void *addr)
{
	unsigned bytes = family == 4 ? 4 : family == 6 ? 16 : 0;
	if (!bytes || prefix > bytes * 8)
		return 0;
	out[0] = IX_CIDR;
	out[1] = (uint8_t)family;
	out[2] = (uint8_t)prefix;
	memcpy(out + 3, addr, bytes);
	for (unsigned b = prefix; b < bytes * 8; b++)
		out[3 + b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	return 3 + bytes;
}

/* "a.b.c.d/n" or "v6/n" -> 'c' key, or 0. */
static size_t cidr_text_key(uint8_t *out, const char *v, size_t len)
{
	char tmp[64];
	uint8_t a[16];
	const char *sl = memchr(v, '/', len);
	if (!sl || (size_t)(sl - v) >= sizeof tmp || len - (size_t)(sl - v) > 4)
		return 0;
	memcpy(tmp, v, (size_t)(sl - v));
	tmp[sl - v] = 0;
	int fam = strchr(tmp, ':') ? 6 : 4;
	if (inet_pton(fam == 4 ? AF_INET : AF_INET6, tmp, a) != 1)
		return 0;
	unsigned pl = 0;
	for (const char *q = sl + 1; q < v + len; q++) {
		if (*q < '0' || *q > '9')
			return 0;
		pl = pl * 10 + (unsigned)(*q - '0');
	}
	return index_key_cidr(out, fam, pl, a);
}

int index_rec_keys(const struct rec *r, int (*fn)(void *ctx, const uint8_t *key, size_t klen),
		   void *ctx)
{
	uint8_t k[INDEX_KEY_MAX];
	size_t n;
	int rc = 0;
	switch (r->type) {
	case REC_DNS: {
		const struct rec_dns *d = &r->u.dns;
		if ((n = index_key_domain(k, d->name, d->name_len)))
			rc |= fn(ctx, k, n);
		for (uint32_t i = 0; i < d->n_a4; i++)
			rc |= fn(ctx, k, index_key_ip(k, 4, d->a4 + 4 * i));
		for (uint32_t i = 0; i < d->n_a6; i++)
			rc |= fn(ctx, k, index_key_ip(k, 6, d->a6 + 16 * i));
		if (d->qtype != 16) {	/* TXT strings are not names */
			size_t off = 0, len;
			const char *nm;
			while (rec_dns_name_next(d, &off, &nm, &len))
				if ((n = index_key_kind(k, IX_RNAME, nm, len)))
					rc |= fn(ctx, k, n);
		}
		break;
	}
	case REC_ENRICH:
		if ((n = index_key_ip(k, r->u.enrich.ip.family, r->u.enrich.ip.addr)))
			rc |= fn(ctx, k, n);
		if ((n = index_key_enrich(k, r->u.enrich.ip.family, r->u.enrich.ip.addr)))
			rc |= fn(ctx, k, n);
		if ((n = index_key_kind(k, IX_RNAME, r->u.enrich.ptr, r->u.enrich.ptr_len)))
			rc |= fn(ctx, k, n);
		break;
	case REC_SCORE:
		if ((n = index_key_domain(k, r->u.score.name, r->u.score.name_len)))
			rc |= fn(ctx, k, n);
		break;
	case REC_FEED: {
		const struct rec_feed *fd = &r->u.feed;
		if ((n = index_key_source(k, fd->source, fd->source_len)))
			rc |= fn(ctx, k, n);
		if (fd->op == REC_FEED_FETCH)
			break;
		if ((n = index_key_indicator(k, fd->value, fd->value_len)))
			rc |= fn(ctx, k, n);
		if (fd->host_len && (n = index_key_indicator(k, fd->host, fd->host_len)))
			rc |= fn(ctx, k, n);
		if (fd->kind == REC_IND_CIDR && (n = cidr_text_key(k, fd->value, fd->value_len)))
			rc |= fn(ctx, k, n);
		break;
	}
	case REC_SPAM: {
		const struct rec_spam *sp = &r->u.spam;
		if ((n = index_key_bytes(k, IX_DIGEST, sp->digest, 32)))
			rc |= fn(ctx, k, n);
		if ((n = index_key_source(k, sp->source, sp->source_len)))
			rc |= fn(ctx, k, n);
		if (sp->op != REC_SPAM_EXTRACT)
			break;
		if (sp->sender.family &&
		    (n = index_key_bytes(k, IX_SENDER, sp->sender.addr, sp->sender.family == 4 ? 4 : 16)))
			rc |= fn(ctx, k, n);
		const char *hd[4] = {sp->from, sp->reply, sp->rpath, sp->msgid};
		size_t hl[4] = {sp->from_len, sp->reply_len, sp->rpath_len, sp->msgid_len};
		for (int i = 0; i < 4; i++)
			if ((n = index_key_kind(k, IX_MAILNAME, hd[i], hl[i])))
				rc |= fn(ctx, k, n);
		size_t off = 0, len, dl;
		const char *h;
		while (rec_spam_host_next(sp, &off, &h, &len, &dl)) {
			if ((n = index_key_kind(k, IX_MAILNAME, h, len)))
				rc |= fn(ctx, k, n);
			if (dl && dl < len && (n = index_key_kind(k, IX_MAILNAME, h + len - dl, dl)))
				rc |= fn(ctx, k, n);
		}
		off = 0;
		struct rec_spam_att a;
		while (rec_spam_att_next(sp, &off, &a))
			if ((n = index_key_bytes(k, IX_ATTACH, a.sha256, 32)))
				rc |= fn(ctx, k, n);
		break;
	}
	default:
		break;
	}
	return rc;
}

struct add_ctx {
	struct ix_build *b;
	uint64_t pos;
};

static int add_one(void *ctx, const uint8_t *key, size_t klen)
{
	struct add_ctx *a = ctx;
	int c = add_key(a->b, key, klen, a->pos, NULL, 0);
	if (c == 1 && (key[0] == IX_DOMAIN || key[0] == IX_IP4 || key[0] == IX_IP6))
		c = add_lists(a->b, key, klen);
	return c < 0 ? -1 : 0;
}

static int add_record(struct ix_build *b, const struct rec *r, uint64_t pos)
{
	struct add_ctx a = {b, pos};
	return index_rec_keys(r, add_one, &a);
}

int index_matches(const struct index *ix, const uint8_t *seg_map, size_t seg_size)
{
	const struct index_meta *m = &ix->meta;
	/* the meta comes from a file: no arithmetic on it that can wrap */
	return m->seg_size == seg_size && seg_size >= 4 && m->seal_off <= seg_size - 4 &&
	       buf_le32(seg_map + m->seal_off) == m->seal_crc;
}

static void meta_encode(uint8_t *out, const struct index_meta *m)
{
	struct buf_wr w;
	buf_wr_init(&w, out, META_SIZE);
	buf_put_le32(&w, m->version);
	buf_put_le32(&w, m->seq);
	buf_put_le64(&w, m->seg_size);
	buf_put_le64(&w, m->seal_off);
	buf_put_le32(&w, m->seal_crc);
	buf_put_le64(&w, m->records);
	buf_put_le64(&w, (uint64_t)m->ts_first_us);
	buf_put_le64(&w, (uint64_t)m->ts_last_us);
	for (int i = 0; i < 8; i++)
		buf_put_le64(&w, m->per_type[i]);
	buf_put_le64(&w, m->keys);
}

static int meta_decode(const uint8_t *p, size_t len, struct index_meta *m)
{
	struct buf_rd r;
	if (len != META_SIZE)
		return -1;
	buf_rd_init(&r, p, len);
	m->version = buf_get_le32(&r);
	m->seq = buf_get_le32(&r);
	m->seg_size = buf_get_le64(&r);
	m->seal_off = buf_get_le64(&r);
	m->seal_crc = buf_get_le32(&r);
	m->records = buf_get_le64(&r);
	m->ts_first_us = (int64_t)buf_get_le64(&r);
	m->ts_last_us = (int64_t)buf_get_le64(&r);
	for (int i = 0; i < 8; i++)
		m->per_type[i] = buf_get_le64(&r);
	m->keys = buf_get_le64(&r);
	return r.err || m->version < META_VERSION_MIN || m->version > META_VERSION ? -1 : 0;
}

int index_build(const char *seg_path, const char *cdb_path, struct index_build_stats *st,
		char *err, size_t errlen)
{
	struct seg_reader r;
	struct ix_build b = {0};
	struct index_meta m = {.version = META_VERSION};
	struct rec rec;
	uint64_t pos;
	char tmp[PATH_MAX];
	struct cdb_make cm;
	int fd = -1, e;

	if (seg_reader_open(&r, seg_path) < 0) {
		errmsg_say(err, errlen, "%s: %s", seg_path, r.fault);
		return -1;
	}
	m.seq = r.hdr.seq;
	m.ts_first_us = INT64_MAX;
	m.ts_last_us = INT64_MIN;
	for (;;) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (c == 0)
			break;
		if (c < 0) {
			if (!seg_reader_resync(&r))
				break;
			continue;
		}
		m.records++;
		m.per_type[rec.type < 8 ? rec.type : 0]++;
		if (rec.ts_us < m.ts_first_us)
			m.ts_first_us = rec.ts_us;
		if (rec.ts_us > m.ts_last_us)
			m.ts_last_us = rec.ts_us;
		if (rec.type == REC_DNS && (rec.flags & REC_F_COALESCED) &&
		    rec.u.dns.ts_last_us > m.ts_last_us)
			m.ts_last_us = rec.u.dns.ts_last_us;
		if (add_record(&b, &rec, pos) < 0) {
			errmsg_say(err, errlen, "%s: out of memory building the index", seg_path);
			errno = ENOMEM;
			goto fail;
		}
	}
	if (!r.sealed) {
		errmsg_say(err, errlen, "%s: not sealed", seg_path);
		errno = EINVAL;
		goto fail;
	}
	if (!m.records)
		m.ts_first_us = m.ts_last_us = 0;
	m.seg_size = r.size;
	m.seal_off = r.seal_off;
	m.seal_crc = r.seal_crc;
	m.keys = b.used;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", cdb_path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		goto fail_say;
	}
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	if (fd < 0 || cdb_make_start(&cm, fd) < 0)
		goto fail_say;
	uint8_t meta[META_SIZE];
	meta_encode(meta, &m);
	if (cdb_make_add(&cm, META_KEY, META_KEYLEN, meta, META_SIZE) < 0)
		goto fail_make;
	for (size_t i = 0; i < b.size; i++) {
		const struct ix_entry *x = &b.tab[i];
		if (x->key && cdb_make_add(&cm, x->key, x->klen, x->list, x->len) < 0)
			goto fail_make;
	}
	if (cdb_make_finish(&cm) < 0)
		goto fail_say;
	if (ENABLE_STORE_FSYNC && fsync(fd) < 0)
		goto fail_say;
	off_t size = lseek(fd, 0, SEEK_END);
	close(fd);
	fd = -1;
	if (rename(tmp, cdb_path) < 0)
		goto fail_say;
	{
		/* the rename is durable only once the directory is */
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", cdb_path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof dir, ".");
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			if (ENABLE_STORE_FSYNC)
				(void)fsync(dfd);
			close(dfd);
		}
	}
	if (st) {
		st->records = m.records;
		st->keys = b.used;
		st->refs = b.refs;
		st->bytes = (uint64_t)size;
	}
	seg_reader_close(&r);
	build_free(&b);
	return 0;
fail_make:
	e = errno;
	(void)cdb_make_finish(&cm);	/* the only way tinycdb frees its lists */
	errno = e;
fail_say:
	errmsg_say(err, errlen, "%s: %s", cdb_path, strerror(errno));
fail:
	e = errno;
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	seg_reader_close(&r);
	build_free(&b);
	errno = e;
	return -1;
}

int index_open(struct index *ix, const char *cdb_path)
{
	memset(ix, 0, sizeof *ix);
	ix->fd = open(cdb_path, O_RDONLY | O_CLOEXEC);
	if (ix->fd < 0)
		return -1;
	if (cdb_init(&ix->cdb, ix->fd) < 0)
		goto bad;
	int c = cdb_find(&ix->cdb, META_KEY, META_KEYLEN);
	if (c <= 0)
		goto bad_free;	/* cdb_init mapped the file: unmap it */
	const uint8_t *p = cdb_get(&ix->cdb, cdb_datalen(&ix->cdb), cdb_datapos(&ix->cdb));
	if (!p || meta_decode(p, cdb_datalen(&ix->cdb), &ix->meta) < 0)
		goto bad_free;
	return 0;
bad_free:
	cdb_free(&ix->cdb);
bad:
	close(ix->fd);
	ix->fd = -1;
	errno = EINVAL;
	return -1;
}

void index_close(struct index *ix)
{
	if (ix->fd >= 0) {
		cdb_free(&ix->cdb);
		close(ix->fd);
	}
	ix->fd = -1;
}

int index_find(struct index *ix, const void *key, size_t klen, struct index_iter *it)
{
	int c = cdb_find(&ix->cdb, key, (unsigned)klen);
	if (c <= 0)
		return c < 0 ? -1 : 0;
	unsigned len = cdb_datalen(&ix->cdb);
	const uint8_t *p = cdb_get(&ix->cdb, len, cdb_datapos(&ix->cdb));
	if (!p)
		return -1;
	it->p = p;
	it->end = p + len;
	it->pos = 0;
	it->started = 0;
	return 1;
}

int index_iter_next(struct index_iter *it, uint64_t *pos)
{
	/* a bounded varint read: every byte checked against it->end */
	uint64_t v = 0;
	const uint8_t *p = it->p;
	int shift = 0;
	if (p >= it->end)
		return 0;
	for (;;) {
		if (p >= it->end || shift > 63)
			return -1;
		uint8_t c = *p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	if (it->started && v == 0)
		return -1;	/* offsets strictly grow */
	it->p = p;
	it->pos = it->started ? it->pos + v : v;
	it->started = 1;
	*pos = it->pos;
	return 1;
}
