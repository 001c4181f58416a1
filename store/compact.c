/*
 * compact: merge sealed segments and swap them in (compact.h).
 *
 * A merge reads its inputs twice through mapped seg_readers (their fds are
 * closed once mapped, so thousands of hourly inputs need no descriptors):
 *   pass 1 gives every DNS observation the index of its coalescing entry
 *          (a hash of the canonical key; equal hashes are confirmed by
 *          comparing the decoded records, answer sets sorted);
 *   pass 2 writes the records in input order: a DNS observation where its
 *          entry was first seen (coalesced when the entry merged several),
 *          nothing for the later ones; every other record byte for byte,
 *          its time delta rebased to the merged segment's base.
 * The output is then read back and its totals checked (records, DNS
 * observations, sum of counts) before the swap; the swap is the protocol
 * of compact.h, and `crash` is called between its steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "modes.h"
#include "buf.h"
#include "clock.h"
#include "compact.h"
#include "crc32c.h"
#include "index.h"
#include "rec.h"
#include "seg.h"
#include "store.h"
#include "tip_config.h"

#define OUT_BUF (256u << 10)

/* ---- names ------------------------------------------------------------ */

void compact_name(char *out, size_t cap, uint32_t first, uint32_t last, int64_t start_us)
{
	char base[SEG_NAME_MAX];
	seg_name_make(base, sizeof base, last, start_us);
	snprintf(out, cap, "%s.c%08u", base, first);
}

int compact_name_parse(const char *name, uint32_t *first, uint32_t *last)
{
	int64_t start;
	uint32_t seq;
	if (!seg_name_parse(name, &seq, &start))
		return 0;
	uint32_t f = seg_name_first(name, seq);
	if (f == seq)
		return 0;
	*first = f;
	*last = seq;
	return 1;
}

/* ---- small file helpers ------------------------------------------------ */

static int fsync_dir(const char *dir, int no_fsync)
{
	if (!ENABLE_STORE_FSYNC || no_fsync)
		return 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ENOSPC;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

/* ---- one merge ---------------------------------------------------------- */

struct input {
	struct seg_reader r;
	struct store_seg s;
};

/* Where an index says its segment's seal is. */
struct seal_ref {
	uint64_t off;
	uint32_t crc;
};

struct centry {
	uint64_t hash;
	uint64_t off;		/* first occurrence: offset in input seg */
	uint32_t seg;
	uint32_t ttl;		/* smallest */
	uint64_t n;		/* records merged */
	uint64_t count;		/* sum of counts */
	int64_t first, last;
};

struct merge {
	const char *dir;
	const struct compact_opts *o;
	struct compact_stats *st;
	struct input *in;
	size_t n_in;
	struct centry *e;
	size_t n_e, alloc_e;
	uint32_t *tab;		/* open addressing: entry index + 1, 0 empty */
	size_t tab_cap;
	uint32_t *rec_e;	/* per DNS observation, in input order: its entry */
	size_t n_rec, alloc_rec;
	uint8_t *s1, *s2;	/* scratch for sorted answers */
	size_t scap;
	uint64_t done, total;	/* progress */
	unsigned *step;
	char *err;
	size_t errlen;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static int64_t bucket_of(const struct merge *m, int64_t ts)
{
	int64_t b = m->o->bucket_us;
	if (b <= 0)
		return 0;
	return ts >= 0 ? ts / b : -((-ts + b - 1) / b);
}

/* The canonical key's hash: the answers as a multiset (a sum of item hashes). */
static uint64_t key_hash(const struct merge *m, const struct rec *r)
{
	const struct rec_dns *d = &r->u.dns;
	uint64_t h = 0xcbf29ce484222325ULL;
	h = fnv(h, d->name, d->name_len);
	uint8_t f[8] = {(uint8_t)d->qtype, (uint8_t)(d->qtype >> 8), d->rcode,
			(uint8_t)(r->flags & REC_F_CLOCK_UNSET), d->server.family};
	h = fnv(h, f, sizeof f);
	if (d->server.family)
		h = fnv(h, d->server.addr, d->server.family == 4 ? 4 : 16);
	int64_t b = bucket_of(m, r->ts_us);
	h = fnv(h, &b, sizeof b);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < d->n_a4; i++)
		sum += mix64(fnv(4, d->a4 + 4 * i, 4));
	for (uint32_t i = 0; i < d->n_a6; i++)
		sum += mix64(fnv(6, d->a6 + 16 * i, 16));
	size_t off = 0, len;
	const char *nm;
	while (rec_dns_name_next(d, &off, &nm, &len))
		sum += mix64(fnv(len + 0x100, nm, len));
	return mix64(h ^ mix64(sum + d->n_a4 * 3 + d->n_a6 * 5 + d->n_names * 7));
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static int scratch(struct merge *m, size_t n)
{
	if (n <= m->scap)
		return 0;
	size_t c = m->scap ? m->scap : 4096;
	while (c < n)
		c *= 2;
	uint8_t *a = realloc(m->s1, c);
	if (!a)
		return -1;
	m->s1 = a;
	uint8_t *b = realloc(m->s2, c);
	if (!b)
		return -1;
	m->s2 = b;
	m->scap = c;
	return 0;
}

/* Two arrays of fixed-size items equal as multisets.  1, 0, or -1 (ENOMEM). */
static int same_items(struct merge *m, const uint8_t *x, const uint8_t *y, uint32_t n, size_t w)
{
	if (!n || !memcmp(x, y, (size_t)n * w))
		return 1;
	if (scratch(m, (size_t)n * w) < 0)
		return -1;
	memcpy(m->s1, x, (size_t)n * w);
	memcpy(m->s2, y, (size_t)n * w);
	qsort(m->s1, n, w, w == 4 ? cmp4 : cmp16);
	qsort(m->s2, n, w, w == 4 ? cmp4 : cmp16);
	return !memcmp(m->s1, m->s2, (size_t)n * w);
}

struct nref {
	const uint8_t *p;	/* u8 len, bytes */
};

static int cmp_name(const void *a, const void *b)
{
	const uint8_t *x = ((const struct nref *)a)->p, *y = ((const struct nref *)b)->p;
	size_t n = x[0] < y[0] ? x[0] : y[0];
	int c = memcmp(x + 1, y + 1, n);
	return c ? c : (x[0] > y[0]) - (x[0] < y[0]);
}

static int same_names(struct merge *m, const struct rec_dns *x, const struct rec_dns *y)
{
	if (x->names_len != y->names_len)
		return 0;
	if (!x->n_names || !memcmp(x->names, y->names, x->names_len))
		return 1;
	size_t n = x->n_names;
	if (scratch(m, n * sizeof(struct nref)) < 0)
		return -1;
	struct nref *a = (struct nref *)(void *)m->s1, *b = (struct nref *)(void *)m->s2;
	const uint8_t *p = x->names, *q = y->names;
	for (size_t i = 0; i < n; i++) {
		a[i].p = p;
		b[i].p = q;
		p += 1 + p[0];
		q += 1 + q[0];
	}
	qsort(a, n, sizeof *a, cmp_name);
	qsort(b, n, sizeof *b, cmp_name);
	for (size_t i = 0; i < n; i++)
		if (cmp_name(&a[i], &b[i]))
			return 0;
	return 1;
}

/* The same canonical key.  1, 0, or -1 (ENOMEM). */
static int same_key(struct merge *m, const struct rec *r, const struct rec *s)
{
	const struct rec_dns *x = &r->u.dns, *y = &s->u.dns;
	if (x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) ||
	    x->qtype != y->qtype || x->rcode != y->rcode ||
	    (r->flags & REC_F_CLOCK_UNSET) != (s->flags & REC_F_CLOCK_UNSET) ||
	    x->server.family != y->server.family ||
	    (x->server.family && memcmp(x->server.addr, y->server.addr, x->server.family == 4 ? 4 : 16)) ||
	    bucket_of(m, r->ts_us) != bucket_of(m, s->ts_us) || x->n_a4 != y->n_a4 ||
	    x->n_a6 != y->n_a6 || x->n_names != y->n_names)
		return 0;
	int c = same_items(m, x->a4, y->a4, x->n_a4, 4);
	if (c != 1)
		return c;
	c = same_items(m, x->a6, y->a6, x->n_a6, 16);
	if (c != 1)
		return c;
	return same_names(m, x, y);
}

static int tab_grow(struct merge *m)
{
	size_t nc = m->tab_cap ? m->tab_cap * 2 : 4096;
	uint32_t *nt = calloc(nc, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < m->n_e; i++) {
		size_t j = (size_t)m->e[i].hash & (nc - 1);
		while (nt[j])
			j = (j + 1) & (nc - 1);
		nt[j] = (uint32_t)i + 1;
	}
	free(m->tab);
	m->tab = nt;
	m->tab_cap = nc;
	return 0;
}

/* Pass 1 for one DNS record at (seg, off): find or add its entry. */
static int note_dns(struct merge *m, uint32_t seg, uint64_t off, const struct rec *r)
{
	int64_t first = r->ts_us, last = r->ts_us;
	uint64_t count = 1;
	if (r->flags & REC_F_COALESCED) {
		if (r->u.dns.ts_last_us > last)
			last = r->u.dns.ts_last_us;
		count = r->u.dns.count;
	}
	if ((m->n_e + 1) * 2 > m->tab_cap && tab_grow(m) < 0)
		return -1;
	uint64_t h = key_hash(m, r);
	size_t j = (size_t)h & (m->tab_cap - 1);
	for (; m->tab[j]; j = (j + 1) & (m->tab_cap - 1)) {
		struct centry *e = &m->e[m->tab[j] - 1];
		if (e->hash != h)
			continue;
		struct rec s;
		if (seg_reader_at(&m->in[e->seg].r, e->off, &s) < 0)
			continue;	/* cannot happen: it decoded in this pass */
		int c = same_key(m, r, &s);
		if (c < 0)
			return -1;
		if (!c)
			continue;
		e->n++;
		e->count += count;
		if (first < e->first)
			e->first = first;
		if (last > e->last)
			e->last = last;
		if (r->u.dns.ttl < e->ttl)
			e->ttl = r->u.dns.ttl;
		goto noted;
	}
	if (m->n_e == UINT32_MAX - 1) {
		errno = EOVERFLOW;
		return -1;
	}
	if (m->n_e == m->alloc_e) {
		size_t na = m->alloc_e ? m->alloc_e * 2 : 4096;
		void *nv = realloc(m->e, na * sizeof *m->e);
		if (!nv)
			return -1;
		m->e = nv;
		m->alloc_e = na;
	}
	m->e[m->n_e] = (struct centry){h, off, seg, r->u.dns.ttl, 1, count, first, last};
	m->tab[j] = (uint32_t)++m->n_e;
noted:
	if (m->n_rec == m->alloc_rec) {
		size_t na = m->alloc_rec ? m->alloc_rec * 2 : 16384;
		void *nv = realloc(m->rec_e, na * sizeof *m->rec_e);
		if (!nv)
			return -1;
		m->rec_e = nv;
		m->alloc_rec = na;
	}
	m->rec_e[m->n_rec++] = m->tab[j] - 1;
	return 0;
}

static void progress(struct merge *m, uint64_t add)
{
	m->done += add;
	if (m->o->progress)
		m->o->progress(m->o->progress_ctx, m->done, m->total);
}

/* A crash point: 1 when the test hook says stop here. */
static int crash_at(struct merge *m)
{
	++*m->step;
	if (m->o->crash && m->o->crash(m->o->crash_ctx, *m->step)) {
		errno = ECANCELED;
		errmsg_say(m->err, m->errlen, "stopped at step %u (test)", *m->step);
		return 1;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------- */

struct out {
	int fd;
	uint8_t *buf;
	size_t len;
	uint64_t size;		/* bytes written and buffered */
	uint64_t records;
	int64_t base_us;
	uint8_t *big;		/* for one record larger than the buffer */
};

static int out_flush(struct out *w)
{
	if (w->len && write_all(w->fd, w->buf, w->len) < 0)
		return -1;
	w->len = 0;
	return 0;
}

/* Room for n bytes at the end of the buffer (flushing first when needed). */
static uint8_t *out_room(struct out *w, size_t n)
{
	if (w->len + n > OUT_BUF && out_flush(w) < 0)
		return NULL;
	if (n <= OUT_BUF)
		return w->buf + w->len;
	free(w->big);
	w->big = malloc(n);
	return w->big;
}

static int out_commit(struct out *w, const uint8_t *p, size_t n)
{
	if (p == w->big) {
		if (write_all(w->fd, p, n) < 0)
			return -1;
	} else {
		w->len += n;
	}
	w->size += n;
	w->records++;
	return 0;
}

static int out_rec(struct out *w, const struct rec *r)
{
	size_t most = REC_FRAME_HDR + 64 + REC_NAME_MAX + 17 + 3 * 10;
	if (r->type == REC_DNS)
		most += (size_t)r->u.dns.n_a4 * 4 + (size_t)r->u.dns.n_a6 * 16 + r->u.dns.names_len + 40;
	else
		most = REC_FRAME_HDR + REC_MAX_PAYLOAD;
	uint8_t *p = out_room(w, most);
	if (!p)
		return -1;
	long n = rec_encode(p, most, r, w->base_us);
	if (n < 0)
		return -1;
	return out_commit(w, p, (size_t)n);
}

/* Copy a checked frame, its time delta rebased from old_base to the output's. */
static int out_frame(struct out *w, const uint8_t *f, size_t flen, int64_t old_base)
{
	if (old_base == w->base_us) {
		uint8_t *p = out_room(w, flen);
		if (!p)
			return -1;
		memcpy(p, f, flen);
		return out_commit(w, p, flen);
	}
	struct buf_rd b;
	buf_rd_init(&b, f + REC_FRAME_HDR, flen - REC_FRAME_HDR);
	uint8_t flags = buf_get_u8(&b);
	int64_t dt = buf_get_svarint(&b);
	if (b.err) {
		errno = EINVAL;
		return -1;
	}
	size_t rest = flen - REC_FRAME_HDR - b.off;
	size_t cap = REC_FRAME_HDR + 1 + 10 + rest;
	uint8_t *p = out_room(w, cap);
	if (!p)
		return -1;
	struct buf_wr o;
	buf_wr_init(&o, p + REC_FRAME_HDR, cap - REC_FRAME_HDR);
	buf_put_u8(&o, flags);
	buf_put_svarint(&o, dt + old_base - w->base_us);
	buf_put_bytes(&o, f + REC_FRAME_HDR + b.off, rest);
	if (o.err || o.off > REC_MAX_PAYLOAD) {
		errno = EINVAL;
		return -1;
	}
	uint8_t type = f[7];
	buf_set_le32(p + 4, (uint32_t)o.off | (uint32_t)type << 24);
	buf_set_le32(p, crc32c(0, p + 4, 4 + o.off));
	return out_commit(w, p, REC_FRAME_HDR + o.off);
}

static int out_header(struct out *w, uint32_t flags, uint32_t seq)
{
	uint8_t *p = out_room(w, SEG_HDR_SIZE);
	struct buf_wr b;
	buf_wr_init(&b, p, SEG_HDR_SIZE);
	buf_put_bytes(&b, SEG_MAGIC, 8);
	buf_put_le16(&b, SEG_VERSION);
	buf_put_le16(&b, SEG_HDR_SIZE);
	buf_put_le32(&b, flags);
	buf_put_le32(&b, seq);
	buf_put_le64(&b, (uint64_t)w->base_us);
	buf_put_le32(&b, crc32c(0, p, SEG_HDR_SIZE - 4));
	w->len += SEG_HDR_SIZE;
	w->size += SEG_HDR_SIZE;
	return 0;
}

/* ---- a merge: read, write, check, swap ----------------------------------- */

struct expect {
	uint64_t records, dns, lookups;
};

/* Pass 2: write the merged segment into fd.  0, -1, or 1 (stopped at a crash point). */
static int write_merged(struct merge *m, int fd, uint32_t seq, const char *note,
			int64_t note_ts, struct expect *x)
{
	struct out w = {fd, malloc(OUT_BUF), 0, 0, 0, m->in[0].r.hdr.base_us, NULL};
	struct rec r;
	uint64_t pos;
	size_t k = 0;
	int rc = -1;
	uint32_t flags = 0;
	if (!w.buf)
		return -1;
	for (size_t i = 0; i < m->n_in; i++)
		flags |= m->in[i].r.hdr.flags & SEG_F_CLOCK_UNSET;
	out_header(&w, flags, seq);
	memset(x, 0, sizeof *x);
	for (size_t i = 0; i < m->n_in; i++) {
		struct seg_reader *rd = &m->in[i].r;
		if (i && i == m->n_in / 2) {	/* a crash point with half the file written */
			if (out_flush(&w) < 0)
				goto out;
			if (crash_at(m)) {
				rc = 1;
				goto out;
			}
		}
		rd->off = SEG_HDR_SIZE;
		rd->records = 0;
		rd->sealed = 0;
		size_t last_off = 0;
		int c;
		while ((c = seg_reader_next(rd, &r, &pos)) > 0) {
			const uint8_t *f = rd->map + pos;
			size_t flen = rd->off - pos;
			if (rd->off - last_off > (1u << 20)) {
				progress(m, rd->off - last_off);
				last_off = rd->off;
			}
			if (r.type != REC_DNS) {
				if (out_frame(&w, f, flen, rd->hdr.base_us) < 0)
					goto out;
				x->records++;
				continue;
			}
			struct centry *e = &m->e[m->rec_e[k++]];
			if (e->seg != i || e->off != pos)
				continue;	/* merged into its first occurrence */
			if (e->n == 1) {
				if (out_frame(&w, f, flen, rd->hdr.base_us) < 0)
					goto out;
			} else {
				r.flags |= REC_F_COALESCED;
				r.ts_us = e->first;
				r.u.dns.ts_last_us = e->last;
				r.u.dns.count = e->count;
				r.u.dns.ttl = e->ttl;
				if (out_rec(&w, &r) < 0)
					goto out;
			}
			x->records++;
			x->dns++;
			x->lookups += e->count;
		}
		progress(m, rd->size - last_off);
		if (c < 0) {
			errno = EIO;
			errmsg_say(m->err, m->errlen, "%s: %s at offset %zu", rd->path, rd->fault, rd->fault_off);
			goto out;
		}
	}
	/* provenance, then the seal */
	struct rec ev;
	memset(&ev, 0, sizeof ev);
	ev.type = REC_EVENT;
	ev.ts_us = note_ts;
	ev.u.event.kind = REC_EV_NOTE;
	ev.u.event.text = note;
	ev.u.event.text_len = strlen(note);
	if (out_rec(&w, &ev) < 0)
		goto out;
	x->records++;
	struct rec seal;
	memset(&seal, 0, sizeof seal);
	seal.type = REC_SEAL;
	rec_stamp(&seal);
	seal.u.seal.records = w.records;
	seal.u.seal.bytes = w.size;
	if (out_rec(&w, &seal) < 0 || out_flush(&w) < 0)
		goto out;
	m->st->bytes_out += w.size;
	rc = 0;
out:
	free(w.buf);
	free(w.big);
	return rc;
}

/* Read the merged segment back: sealed, no fault, the expected totals. */
static int check_merged(struct merge *m, const char *path, const struct expect *x)
{
	struct seg_reader r;
	struct rec rec;
	struct expect got = {0};
	if (seg_reader_open(&r, path) < 0) {
		errmsg_say(m->err, m->errlen, "%s: %s", path, r.fault);
		return -1;
	}
	int c;
	while ((c = seg_reader_next(&r, &rec, NULL)) > 0) {
		got.records++;
		if (rec.type == REC_DNS) {
			got.dns++;
			got.lookups += rec.flags & REC_F_COALESCED ? rec.u.dns.count : 1;
		}
	}
	int sealed = r.sealed;
	seg_reader_close(&r);
	if (c < 0 || !sealed || got.records != x->records || got.dns != x->dns ||
	    got.lookups != x->lookups) {
		errno = EIO;
		errmsg_say(m->err, m->errlen, "%s: the merged segment does not read back as written", path);
		return -1;
	}
	return 0;
}

static void merge_free(struct merge *m)
{
	for (size_t i = 0; i < m->n_in; i++)
		seg_reader_close(&m->in[i].r);
	free(m->in);
	free(m->e);
	free(m->tab);
	free(m->rec_e);
	free(m->s1);
	free(m->s2);
}

/*
 * Merge segs[0..n).  0 done; -1 failed (errno, err); -2 input *bad does
 * not read to a clean seal (damaged): nothing was changed.
 */
static int do_merge(const char *dir, const struct compact_opts *o, const struct store_seg *segs,
		    const struct seal_ref *seals, size_t n, struct compact_stats *st, unsigned *step,
		    uint64_t *done, uint64_t total, size_t *bad, char *err, size_t errlen)
{
	struct merge m;
	char ld[PATH_MAX], name[SEG_NAME_MAX + 16], tp[PATH_MAX + 96], sp[PATH_MAX + 96],
		cp[PATH_MAX + 96], note[200];
	int fd = -1, rc = -1;
	memset(&m, 0, sizeof m);
	m.dir = dir;
	m.o = o;
	m.st = st;
	m.step = step;
	m.err = err;
	m.errlen = errlen;
	m.done = *done;
	m.total = total;
	snprintf(ld, sizeof ld, "%s/log", dir);
	m.in = calloc(n, sizeof *m.in);
	if (!m.in)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX + 96];
		store_seg_path(p, sizeof p, dir, segs[i].name, "tlog");
		m.in[i].s = segs[i];
		if (seg_reader_open(&m.in[i].r, p) < 0) {
			errmsg_say(err, errlen, "%s: %s", p, m.in[i].r.fault);
			goto out;
		}
		m.n_in++;
		/* the map stays valid without the descriptor */
		close(m.in[i].r.fd);
		m.in[i].r.fd = -1;
	}

	/* pass 1 */
	struct rec r;
	uint64_t pos, records = 0, dns = 0, lookups = 0;
	int64_t ts_max = INT64_MIN;
	for (size_t i = 0; i < n; i++) {
		struct seg_reader *rd = &m.in[i].r;
		size_t last_off = 0;
		int c;
		while ((c = seg_reader_next(rd, &r, &pos)) > 0) {
			records++;
			int64_t t = r.ts_us;
			if (r.type == REC_DNS) {
				dns++;
				if (r.flags & REC_F_COALESCED) {
					lookups += r.u.dns.count;
					if (r.u.dns.ts_last_us > t)
						t = r.u.dns.ts_last_us;
				} else {
					lookups++;
				}
				if (note_dns(&m, (uint32_t)i, pos, &r) < 0) {
					errmsg_say(err, errlen, "out of memory coalescing %s", rd->path);
					goto out;
				}
			}
			if (t > ts_max)
				ts_max = t;
			if (rd->off - last_off > (1u << 20)) {
				progress(&m, rd->off - last_off);
				last_off = rd->off;
			}
		}
		progress(&m, rd->size - last_off);
		if (c < 0 || !rd->sealed || rd->hdr.seq != segs[i].seq || rd->seal_off != seals[i].off ||
		    rd->seal_crc != seals[i].crc) {
			errno = EIO;
			errmsg_say(err, errlen, "%s:%zu: %s; left as it is", rd->path, rd->fault_off,
			    c < 0 ? rd->fault : !rd->sealed ? "not sealed" : "its index is stale");
			*bad = i;
			rc = -2;
			goto out;
		}
	}

	uint32_t first = segs[0].cover_first, last = segs[n - 1].seq;
	compact_name(name, sizeof name, first, last, segs[0].start_us);
	snprintf(tp, sizeof tp, "%s/%s.tlog.tmp", ld, name);
	store_seg_path(sp, sizeof sp, dir, name, "tlog");
	store_seg_path(cp, sizeof cp, dir, name, "cdb");
	if (access(sp, F_OK) == 0) {
		errno = EEXIST;
		errmsg_say(err, errlen, "%s exists already", sp);
		goto out;
	}
	snprintf(note, sizeof note,
		 "compacted seqs %u..%u: %zu segments, %llu records (%llu DNS, %llu lookups)", first,
		 last, n, (unsigned long long)records, (unsigned long long)dns,
		 (unsigned long long)lookups);

	/* 1. the merged segment, under a temporary name */
	fd = open(tp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
	struct expect x;
	if (fd < 0) {
		errmsg_say(err, errlen, "%s: %s", tp, strerror(errno));
		goto out;
	}
	int wr = write_merged(&m, fd, last, note, ts_max == INT64_MIN ? clock_now_us() : ts_max, &x);
	if (wr > 0)
		goto out_crash;
	if (wr < 0) {
		if (err && errlen && !err[0])
			errmsg_say(err, errlen, "%s: %s", tp, strerror(errno));
		goto out_unlink;
	}
	if (x.lookups != lookups) {
		errno = EIO;
		errmsg_say(err, errlen, "%s: %llu lookups written of %llu", tp, (unsigned long long)x.lookups,
		    (unsigned long long)lookups);
		goto out_unlink;
	}
	if (crash_at(&m))
		goto out_crash;
	if (ENABLE_STORE_FSYNC && !o->no_fsync && fdatasync(fd) < 0) {
		errmsg_say(err, errlen, "%s: %s", tp, strerror(errno));
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (check_merged(&m, tp, &x) < 0)
		goto out_unlink;
	if (crash_at(&m))
		goto out_crash;

	/* 2. its index, published beside it */
	if (index_build(tp, cp, NULL, err, errlen) < 0)
		goto out_unlink;
	if (crash_at(&m))
		goto out_crash;

	/* 3. the commit */
	if (rename(tp, sp) < 0) {
		errmsg_say(err, errlen, "%s: %s", sp, strerror(errno));
		unlink(cp);
		goto out_unlink;
	}
	if (crash_at(&m))
		goto out_crash;
	/* 4. durable before any input goes */
	if (fsync_dir(ld, o->no_fsync) < 0) {
		errmsg_say(err, errlen, "%s: %s", ld, strerror(errno));
		goto out;	/* committed; the inputs are hidden and go next time */
	}
	if (crash_at(&m))
		goto out_crash;

	/* 5. the inputs */
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX + 96];
		store_seg_path(p, sizeof p, dir, segs[i].name, "cdb");
		if (unlink(p) < 0 && errno != ENOENT)
			break;
		if (crash_at(&m))
			goto out_crash;
		store_seg_path(p, sizeof p, dir, segs[i].name, "tlog");
		if (unlink(p) < 0 && errno != ENOENT)
			break;
		if (crash_at(&m))
			goto out_crash;
	}
	(void)fsync_dir(ld, o->no_fsync);
	st->merges++;
	st->segments_in += n;
	for (size_t i = 0; i < n; i++)
		st->bytes_in += segs[i].size;
	st->records_in += records;
	st->records_out += x.records;
	st->dns_in += dns;
	st->dns_out += x.dns;
	st->lookups += lookups;
	rc = 0;
	goto out;
out_unlink:
	{
		int e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
		unlink(tp);
		errno = e;
	}
	goto out;
out_crash:
	/* as a crash would: leave every file as it is */
	if (fd >= 0)
		close(fd);
	fd = -1;
	rc = -1;
out:
	if (fd >= 0)
		close(fd);
	*done = m.done;
	merge_free(&m);
	return rc;
}

/* ---- residue of an interrupted compaction ------------------------------ */

static int covered(const struct store_listing *ls, uint32_t first, uint32_t last, const char *self)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct store_seg *s = &ls->segs[i];
		if (s->cover_first != s->seq && s->cover_first <= first && last <= s->seq &&
		    strcmp(s->name, self))
			return 1;
	}
	return 0;
}

static int clean_residue(const char *dir, struct compact_stats *st, int no_fsync)
{
	struct store_listing ls;
	char ld[PATH_MAX], p[PATH_MAX + 320], base[300];
	int removed = 0;
	snprintf(ld, sizeof ld, "%s/log", dir);
	if (store_list(dir, &ls) < 0)
		return -1;
	for (size_t i = 0; i < ls.n_foreign; i++) {
		const char *f = ls.foreign[i];
		size_t len = strlen(f);
		const char *ext = NULL;
		if (ends_with(f, ".tlog.tmp"))
			ext = ".tlog.tmp";
		else if (ends_with(f, ".cdb.tmp"))
			ext = ".cdb.tmp";
		else if (ends_with(f, ".tlog"))
			ext = ".tlog";
		else if (ends_with(f, ".cdb"))
			ext = ".cdb";
		if (!ext || len - strlen(ext) >= sizeof base)
			continue;
		snprintf(base, sizeof base, "%.*s", (int)(len - strlen(ext)), f);
		uint32_t first, last;
		int64_t start;
		int compacted = compact_name_parse(base, &first, &last);
		int rm = 0;
		if (compacted && ext[strlen(ext) - 1] == 'p') {
			rm = 1;		/* a temporary of a merge that did not commit */
		} else if (compacted && !strcmp(ext, ".cdb") &&
			   (snprintf(p, sizeof p, "%s/%s.tlog", ld, base), access(p, F_OK) < 0)) {
			rm = 1;		/* an index published before a crash, its segment never */
		} else if (!strcmp(ext, ".tlog") || !strcmp(ext, ".cdb")) {
			if (!compacted) {
				if (!seg_name_parse(base, &last, &start))
					continue;
				first = last;
			}
			rm = covered(&ls, first, last, base);
		}
		if (!rm)
			continue;
		snprintf(p, sizeof p, "%s/%s", ld, f);
		if (unlink(p) == 0) {
			removed++;
			st->residue_removed++;
		}
	}
	store_listing_free(&ls);
	if (removed)
		(void)fsync_dir(ld, no_fsync);
	return 0;
}

/* ---- the store ------------------------------------------------------------ */

/*
 * 1 when the segment can be merged: indexed for its seq and size, before
 * the bound.  The seal the index names is kept in *seal and checked when
 * the merge reads the segment (index_matches, without a second open).
 */
static int eligible(const char *dir, const struct store_seg *s, int64_t before_us,
		    struct seal_ref *seal)
{
	char cp[PATH_MAX + 96];
	struct index ix;
	if (!s->has_index)
		return 0;
	store_seg_path(cp, sizeof cp, dir, s->name, "cdb");
	if (index_open(&ix, cp) < 0)
		return 0;
	int ok = ix.meta.seq == s->seq && ix.meta.seg_size == s->size;
	if (ok && before_us && ix.meta.records && ix.meta.ts_last_us >= before_us)
		ok = 0;
	seal->off = ix.meta.seal_off;
	seal->crc = ix.meta.seal_crc;
	index_close(&ix);
	return ok;
}

int compact_store(const char *dir, const struct compact_opts *opts, struct compact_stats *st,
		  char *err, size_t errlen)
{
	struct compact_opts o = *opts;
	struct store_listing ls;
	char lp[PATH_MAX];
	int rc = -1;
	unsigned step = 0;
	memset(st, 0, sizeof *st);
	if (err && errlen)
		err[0] = '\0';
	if (!o.max_bytes)
		o.max_bytes = COMPACT_MAX_BYTES;
	if (!o.bucket_us)
		o.bucket_us = COMPACT_BUCKET_US;

	snprintf(lp, sizeof lp, "%s/state", dir);
	if (mkdir(lp, STORE_DIR_MODE) < 0 && errno != EEXIST) {
		errmsg_say(err, errlen, "%s: %s", lp, strerror(errno));
		return -1;
	}
	snprintf(lp, sizeof lp, "%s/state/compact.lock", dir);
	int lfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, STORE_FILE_MODE);
	if (lfd < 0) {
		errmsg_say(err, errlen, "%s: %s", lp, strerror(errno));
		return -1;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		errmsg_say(err, errlen, "%s: %s", lp,
		    e == EWOULDBLOCK ? "another compaction of this store is running" : strerror(e));
		close(lfd);
		errno = e == EWOULDBLOCK ? EBUSY : e;
		return -1;
	}
	if (clean_residue(dir, st, o.no_fsync) < 0) {
		errmsg_say(err, errlen, "%s/log: %s", dir, strerror(errno));
		goto out_lock;
	}
	if (o.clean_only) {
		rc = 0;
		goto out_lock;
	}
	if (store_list(dir, &ls) < 0) {
		errmsg_say(err, errlen, "%s/log: %s", dir, strerror(errno));
		goto out_lock;
	}
	int *ok = calloc(ls.n ? ls.n : 1, sizeof *ok);
	struct seal_ref *seals = calloc(ls.n ? ls.n : 1, sizeof *seals);
	if (!ok || !seals) {
		free(ok);
		free(seals);
		store_listing_free(&ls);
		goto out_lock;
	}
	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < ls.n; i++) {
		ok[i] = eligible(dir, &ls.segs[i], o.before_us, &seals[i]);
		if (!ok[i])
			st->skipped++;
	}
	/*
	 * The merges: runs of eligible segments, cut by size and count.  A
	 * damaged input found while merging leaves its run: the run is planned
	 * again around it (the segment stays as it is, for tip verify).
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ls.n;) {
			if (!ok[i]) {
				i++;
				continue;
			}
			size_t j = i;
			uint64_t bytes = 0;
			/* consecutive seqs only: a gap may be a segment still to come (rsync) */
			while (j < ls.n && ok[j] && j - i < COMPACT_MAX_INPUTS &&
			       (j == i || (bytes + ls.segs[j].size <= o.max_bytes &&
					   ls.segs[j].cover_first == (uint64_t)ls.segs[j - 1].seq + 1)))
				bytes += ls.segs[j++].size;
			if (j - i < 2) {
				i = j;
				continue;
			}
			if (pass == 0) {
				total += 2 * bytes;
				i = j;
				continue;
			}
			size_t bad = 0;
			int r = do_merge(dir, &o, ls.segs + i, seals + i, j - i, st, &step, &done, total,
					 &bad, err, errlen);
			if (r == -2) {
				ok[i + bad] = 0;
				st->skipped++;
				st->damaged++;
				continue;	/* plan this run again from i */
			}
			if (r < 0) {
				rc = -1;
				goto out_plan;
			}
			i = j;
		}
	}
	rc = 0;
	if (st->damaged && err && errlen)
		err[0] = '\0';	/* reported in the stats, not an error */
out_plan:
	free(ok);
	free(seals);
	store_listing_free(&ls);
out_lock:
	close(lfd);
	return rc;
}
