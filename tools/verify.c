/*
 * verify: `tip verify [-q] STORE...`: check every segment and index of one
 * or several stores, and say exactly where each fault is.
 *
 * One line per fault on stdout, "FILE:OFFSET: reason", or
 * "FILE:OFFSET: warning: reason" for what does not lose data:
 *   - warnings: the torn tail of the active segment (the newest one, with
 *     no seal and no index: a crash or a write in progress; the next
 *     writer cuts it), foreign files in log/, a missing sensor.id;
 *   - errors: anything wrong in a sealed segment (one with a seal record,
 *     an index, or a newer segment after it) or in an index: bad frames or
 *     CRCs, data after the seal, a seal whose counts disagree, a bad
 *     header, a sealed segment without its index, a stale index (built
 *     from other bytes than the segment's), an index entry pointing at no
 *     record or at a record that does not carry its key, a record key the
 *     index lacks, a damaged CDB.
 * Then, unless -q, one summary line per store.  Exit 0 when there is no
 * error (warnings allowed), 1 when there is one, 2 on a usage error or a
 * path that is no store.
 *
 * The index check is both ways and linear: the keys of every record are
 * put as (fingerprint of key and offset) in a hash set while the segment
 * is read; every (key, offset) of the CDB, walked with cdb_seqnext, must
 * be in the set and is marked; what stays unmarked is missing from the
 * index.  Memory is 24 bytes per reference, about 1.5 times the index.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cdb.h>

#include "buf.h"
#include "compact.h"
#include "index.h"
#include "seg.h"
#include "agg.h"
#include "store.h"
#include "tip.h"
#include "util.h"

#define REPORTS_PER_FILE 100	/* then one line with the count of the rest */
#define META_KEY "\0meta"
#define META_KEYLEN 5

struct kent {
	uint64_t fp;		/* 0: empty slot */
	uint64_t pos;
	uint64_t seen;
};

struct kset {
	struct kent *t;
	size_t size, used;	/* size: a power of two */
	int nomem;
};

struct ver {
	FILE *out;
	uint64_t errors, warnings;
	/* per file, to cap the lines of a badly damaged one */
	const char *cur_path;
	uint64_t cur_reports, cur_dropped;
};

/* ---- reporting ---------------------------------------------------------- */

static void flush_dropped(struct ver *v)
{
	if (v->cur_dropped)
		util_fault(v->out, v->cur_path, 0, 0, "%llu more faults in this file not shown",
			   (unsigned long long)v->cur_dropped);
	v->cur_path = NULL;
	v->cur_reports = v->cur_dropped = 0;
}

static void report(struct ver *v, const char *path, uint64_t off, int warning, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));

static void report(struct ver *v, const char *path, uint64_t off, int warning, const char *fmt,
		   ...)
{
	char msg[768];
	va_list ap;
	if (warning)
		v->warnings++;
	else
		v->errors++;
	if (!v->cur_path || strcmp(v->cur_path, path)) {
		flush_dropped(v);
		v->cur_path = path;
	}
	if (v->cur_reports++ >= REPORTS_PER_FILE) {
		v->cur_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	util_fault(v->out, path, off, warning, "%s", msg);
}

/* A key in text for a message: kind and name (escaped) or address. */
static char *key_text(char *out, size_t cap, const uint8_t *k, size_t n)
{
	char a[INET6_ADDRSTRLEN], t[300];
	if (n == 5 && k[0] == IX_IP4 && inet_ntop(AF_INET, k + 1, a, sizeof a))
		snprintf(out, cap, "ip %s", a);
	else if (n == 17 && k[0] == IX_IP6 && inet_ntop(AF_INET6, k + 1, a, sizeof a))
		snprintf(out, cap, "ip %s", a);
	else if (k[0] == IX_ENRICH && (n == 5 || n == 17) &&
		 inet_ntop(n == 5 ? AF_INET : AF_INET6, k + 1, a, sizeof a))
		snprintf(out, cap, "enrichment of %s", a);
	else if (n >= 1)
		snprintf(out, cap, "%s \"%s\"",
			 k[0] == IX_DOMAIN ? "domain" : k[0] == IX_RNAME ? "answer name" : "key",
			 util_text(t, sizeof t, k + 1, n - 1));
	else
		snprintf(out, cap, "empty key");
	return out;
}

/* ---- the set of (key, offset) ------------------------------------------- */

static uint64_t fingerprint(const uint8_t *k, size_t n, uint64_t pos)
{
	uint64_t h = 14695981039346656037ull;	/* FNV-1a 64 */
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(pos >> (8 * i))) * 1099511628211ull;
	h ^= h >> 29;	/* FNV's low bits are weak: mix before masking */
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h ? h : 1;
}

static struct kent *kset_slot(struct kset *s, uint64_t fp, uint64_t pos)
{
	size_t j = (size_t)fp & (s->size - 1);
	while (s->t[j].fp && !(s->t[j].fp == fp && s->t[j].pos == pos))
		j = (j + 1) & (s->size - 1);
	return &s->t[j];
}

static int kset_grow(struct kset *s)
{
	size_t nsize = s->size ? s->size * 2 : 4096;
	struct kent *old = s->t;
	size_t osize = s->size;
	s->t = calloc(nsize, sizeof *s->t);
	if (!s->t) {
		s->t = old;
		return -1;
	}
	s->size = nsize;
	for (size_t i = 0; i < osize; i++)
		if (old[i].fp)
			*kset_slot(s, old[i].fp, old[i].pos) = old[i];
	free(old);
	return 0;
}

static void kset_add(struct kset *s, uint64_t fp, uint64_t pos)
{
	if (s->nomem)
		return;
	if ((s->used + 1) * 2 > s->size && kset_grow(s) < 0) {
		s->nomem = 1;
		return;
	}
	struct kent *e = kset_slot(s, fp, pos);
	if (!e->fp) {
		e->fp = fp;
		e->pos = pos;
		s->used++;
	}
}

static struct kent *kset_find(struct kset *s, uint64_t fp, uint64_t pos)
{
	if (!s->size)
		return NULL;
	struct kent *e = kset_slot(s, fp, pos);
	return e->fp ? e : NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct add_ctx {
	struct kset *s;
	uint64_t pos;
};

static int add_key(void *ctx, const uint8_t *k, size_t n)
{
	struct add_ctx *a = ctx;
	kset_add(a->s, fingerprint(k, n, a->pos), a->pos);
	return 0;
}

struct has_ctx {
	const uint8_t *k;
	size_t n;
	int hit;
};

static int has_key(void *ctx, const uint8_t *k, size_t n)
{
	struct has_ctx *h = ctx;
	if (n == h->n && !memcmp(k, h->k, n))
		h->hit = 1;
	return 0;
}

struct miss_ctx {
	struct kset *s;
	uint64_t pos;
	uint8_t key[INDEX_KEY_MAX];
	size_t klen;
};

/* Find which key of a record is the unmarked one, for the message. */
static int miss_key(void *ctx, const uint8_t *k, size_t n)
{
	struct miss_ctx *m = ctx;
	struct kent *e = kset_find(m->s, fingerprint(k, n, m->pos), m->pos);
	if (!m->klen && e && !e->seen && n <= sizeof m->key) {
		memcpy(m->key, k, n);
		m->klen = n;
	}
	return 0;
}

/* ---- one index ---------------------------------------------------------- */

static int key_well_formed(const uint8_t *k, unsigned n)
{
	switch (n ? k[0] : 0) {
	case IX_IP4: return n == 5;
	case IX_IP6: return n == 17;
	case IX_ENRICH:
	case IX_SENDER: return n == 5 || n == 17;
	case IX_ATTACH:
	case IX_DIGEST: return n == 33;
	case IX_CIDR:
		return (n == 7 && k[1] == 4 && k[2] <= 32) || (n == 19 && k[1] == 6 && k[2] <= 128);
	case IX_DOMAIN:
	case IX_RNAME:
	case IX_INDICATOR:
	case IX_SOURCE:
	case IX_MAILNAME:
	case IX_SUFFIX:
	case IX_PREFIX: return n >= 2 && n <= INDEX_KEY_MAX;
	case IX_NET: return n >= 3 && (k[1] == 4 || k[1] == 6) && k[2] <= (k[1] == 4 ? 32 : 128) &&
			    n == 3 + (k[2] + 7u) / 8;
	default: return 0;
	}
}

/* A member list: well-formed members of the right kind, each a key of this index. */
static void check_members(struct ver *v, struct index *ix, const char *cpath, unsigned at,
			  const char *kt, const uint8_t *val, unsigned vlen, uint8_t kind)
{
	struct index_iter it = {.p = val, .end = val + vlen};
	const uint8_t *mk;
	size_t mkl;
	int n;
	uint8_t key[INDEX_KEY_MAX];
	while ((n = index_member_next(&it, &mk, &mkl)) > 0) {
		int kind_ok = kind == IX_NET ? mk[0] == IX_IP4 || mk[0] == IX_IP6 : mk[0] == IX_DOMAIN;
		if (mkl > INDEX_KEY_MAX || !kind_ok || !key_well_formed(mk, (unsigned)mkl)) {
			report(v, cpath, at, 0, "malformed member of %s", kt);
			continue;
		}
		memcpy(key, mk, mkl);
		if (cdb_find(&ix->cdb, key, (unsigned)mkl) <= 0) {
			char mt[400];
			report(v, cpath, at, 0, "%s lists %s, a key the index does not have", kt,
			       key_text(mt, sizeof mt, key, mkl));
		}
	}
	if (n < 0)
		report(v, cpath, at, 0, "damaged member list of %s", kt);
}

/*
 * The compacted segment of the listing that covers the segment or index
 * file name (a superseded segment, store.h), or NULL.
 */
static const char *covering(const struct store_listing *ls, const char *name)
{
	char base[SEG_NAME_MAX + 8];
	uint32_t seq, first, last;
	int64_t st;
	const char *dot = strrchr(name, '.');
	if (!dot || (strcmp(dot, ".tlog") && strcmp(dot, ".cdb")) || (size_t)(dot - name) >= sizeof base)
		return NULL;
	memcpy(base, name, (size_t)(dot - name));
	base[dot - name] = '\0';
	if (compact_name_parse(base, &first, &last)) {
		seq = last;
	} else {
		if (!seg_name_parse(name, &seq, &st))
			return NULL;
		first = seq;
	}
	for (size_t i = 0; i < ls->n; i++) {
		const struct store_seg *s = &ls->segs[i];
		if (s->cover_first < s->seq && s->cover_first <= first && seq <= s->seq &&
		    strcmp(s->name, base))
			return s->name;
	}
	return NULL;
}

static void check_index(struct ver *v, const char *cpath, const char *spath, struct seg_reader *r,
			uint64_t records, struct kset *s)
{
	struct index ix;
	unsigned cpos;
	char kt[400];
	int c;

	if (index_open(&ix, cpath) < 0) {
		report(v, cpath, 0, 0, "not a TIP index (%s)",
		       errno == EINVAL ? "no CDB with TIP meta data" : strerror(errno));
		return;
	}
	const struct index_meta *m = &ix.meta;
	/* index_matches reads the segment at seal_off: check it is inside first */
	if (!r->map || m->seg_size != r->size || r->size < 4 || m->seal_off > r->size - 4 ||
	    !index_matches(&ix, r->map, r->size)) {
		if (m->seg_size != r->size)
			report(v, cpath, 0, 0,
			       "stale index: built from a segment of %llu bytes, this one has %llu",
			       (unsigned long long)m->seg_size, (unsigned long long)r->size);
		else
			report(v, cpath, 0, 0,
			       "stale index: built from another segment of the same size (the seal "
			       "differs)");
		index_close(&ix);
		return;
	}
	if (m->seq != r->hdr.seq)
		report(v, cpath, 0, 0, "index is of sequence %lu, the segment of %lu",
		       (unsigned long)m->seq, (unsigned long)r->hdr.seq);
	if (m->records != records)
		report(v, cpath, 0, 0, "index counts %llu records, the segment has %llu",
		       (unsigned long long)m->records, (unsigned long long)records);
	if (s->nomem) {
		report(v, cpath, 0, 1, "out of memory: index entries not checked");
		index_close(&ix);
		return;
	}

	cdb_seqinit(&cpos, &ix.cdb);
	for (;;) {
		unsigned at = cpos;
		c = cdb_seqnext(&cpos, &ix.cdb);
		if (c <= 0)
			break;
		unsigned klen = cdb_keylen(&ix.cdb), kpos = cdb_keypos(&ix.cdb);
		unsigned vlen = cdb_datalen(&ix.cdb), vpos = cdb_datapos(&ix.cdb);
		const uint8_t *k = cdb_get(&ix.cdb, klen, kpos);
		const uint8_t *val = cdb_get(&ix.cdb, vlen, vpos);
		if (!k || !val) {
			report(v, cpath, at, 0, "damaged CDB entry");
			continue;
		}
		if (klen == META_KEYLEN && !memcmp(k, META_KEY, META_KEYLEN))
			continue;
		key_text(kt, sizeof kt, k, klen);
		if (!key_well_formed(k, klen)) {
			report(v, cpath, at, 0, "malformed index key (%s)", kt);
			continue;
		}
		/* the hash table must lead to this very entry */
		int f = cdb_find(&ix.cdb, k, klen);
		if (f <= 0 || cdb_datapos(&ix.cdb) != vpos)
			report(v, cpath, at, 0, "%s cannot be looked up (%s)", kt,
			       f < 0 ? "damaged hash table" : f == 0 ? "missing from the hash table"
								 : "duplicate key");
		if (k[0] == IX_SUFFIX || k[0] == IX_PREFIX || k[0] == IX_NET) {
			check_members(v, &ix, cpath, at, kt, val, vlen, k[0]);
			continue;
		}
		struct index_iter it = {.p = val, .end = val + vlen};
		uint64_t pos;
		int n;
		while ((n = index_iter_next(&it, &pos)) > 0) {
			struct kent *e = kset_find(s, fingerprint(k, klen, pos), pos);
			struct rec rec;
			if (e) {
				e->seen = 1;
				continue;
			}
			if (seg_reader_at(r, pos, &rec) < 0) {
				report(v, cpath, at, 0, "%s points at offset %llu of %s, where there is no record (%s)",
				       kt, (unsigned long long)pos, "the segment", r->fault);
				continue;
			}
			struct has_ctx h = {k, klen, 0};
			index_rec_keys(&rec, has_key, &h);
			report(v, cpath, at, 0,
			       h.hit ? "%s points at offset %llu, a record the segment scan did not reach"
				     : "%s points at offset %llu, a record that does not carry it",
			       kt, (unsigned long long)pos);
		}
		if (n < 0)
			report(v, cpath, at, 0, "damaged offset list of %s", kt);
	}
	if (c < 0)
		report(v, cpath, cpos, 0, "damaged CDB: entries end early");

	/* what the scan found and no entry named, in the segment's order */
	size_t nmiss = 0;
	uint64_t *miss = NULL;
	for (size_t i = 0; i < s->size; i++)
		nmiss += s->t[i].fp && !s->t[i].seen;
	if (nmiss && !(miss = malloc(nmiss * sizeof *miss))) {
		report(v, spath, 0, 0, "the index lacks %zu keys of records (out of memory to say which)",
		       nmiss);
		nmiss = 0;
	}
	for (size_t i = 0, k = 0; i < s->size && k < nmiss; i++)
		if (s->t[i].fp && !s->t[i].seen)
			miss[k++] = s->t[i].pos;
	if (nmiss)
		qsort(miss, nmiss, sizeof *miss, cmp_u64);
	for (size_t i = 0; i < nmiss; i++) {
		struct miss_ctx mc = {.s = s, .pos = miss[i]};
		struct rec rec;
		if (i && miss[i] == miss[i - 1])
			continue;	/* the walk below names every key of the record */
		if (seg_reader_at(r, miss[i], &rec) == 1)
			index_rec_keys(&rec, miss_key, &mc);
		if (!mc.klen) {
			report(v, spath, miss[i], 0, "the index lacks a key of this record");
			continue;
		}
		/* one line per key: the record may lack several */
		while (mc.klen) {
			report(v, spath, miss[i], 0, "the index lacks %s of this record",
			       key_text(kt, sizeof kt, mc.key, mc.klen));
			kset_find(s, fingerprint(mc.key, mc.klen, miss[i]), miss[i])->seen = 1;
			mc.klen = 0;
			index_rec_keys(&rec, miss_key, &mc);
		}
	}
	free(miss);
	index_close(&ix);
}

/* ---- one segment -------------------------------------------------------- */

static void check_segment(struct ver *v, const char *dir, const struct store_seg *sg, int newest,
			  uint64_t *nrec, int *active)
{
	char sp[4200], cp[4200];
	struct seg_reader r;
	struct rec rec;
	struct kset set = {0};
	uint64_t pos, records = 0;
	int sealed_seen = 0;
	size_t seal_off = 0;

	store_seg_path(sp, sizeof sp, dir, sg->name, "tlog");
	store_seg_path(cp, sizeof cp, dir, sg->name, "cdb");
	/* the newest segment without an index may be the active one */
	int maybe_active = newest && !sg->has_index;
	*active = 0;
	if (seg_reader_open(&r, sp) < 0) {
		if (maybe_active && sg->size < SEG_HDR_SIZE) {
			*active = 1;
			report(v, sp, sg->size, 1, "torn tail (the header is incomplete)");
		} else {
			report(v, sp, 0, 0, "%s", r.fault ? r.fault : "cannot open");
		}
		if (sg->has_index)
			report(v, cp, 0, 0, "index of a segment that cannot be read");
		return;
	}
	if (r.hdr.seq != sg->seq)
		report(v, sp, 0, 0, "the header says sequence %lu, the name %lu",
		       (unsigned long)r.hdr.seq, (unsigned long)sg->seq);

	for (;;) {
		int c = seg_reader_next(&r, &rec, &pos);
		if (r.sealed && !sealed_seen) {
			sealed_seen = 1;
			seal_off = r.seal_off;
		}
		if (c == 0)
			break;
		if (c > 0) {
			struct add_ctx a = {&set, pos};
			records++;
			if (sg->has_index)
				index_rec_keys(&rec, add_key, &a);
			continue;
		}
		size_t fo = r.fault_off;
		const char *why = r.fault;
		enum seg_fault kind = r.fault_kind;
		if (sealed_seen && fo > seal_off) {
			/* frames after a seal are not part of the segment: one line is enough */
			report(v, sp, fo, 0, "%s", why);
			break;
		}
		int more = seg_reader_resync(&r);
		if (!more && maybe_active && !sealed_seen) {
			*active = 1;
			if (kind == SEG_FAULT_TORN_TAIL)
				report(v, sp, fo, 1, "torn tail");
			else
				report(v, sp, fo, 1, "torn tail (%s)", why);
		} else {
			report(v, sp, fo, 0, "%s", why);
		}
		if (!more)
			break;
	}
	if (!sealed_seen && maybe_active)
		*active = 1;
	if (!sealed_seen && !maybe_active)
		report(v, sp, r.size, 0, "%s",
		       newest ? "no seal record, but the segment has an index"
			      : "no seal record, but a newer segment follows");
	if (sealed_seen) {
		size_t flen;
		const char *why;
		struct rec s;
		/* the seal's byte count is the offset it was written at */
		if (rec_frame_check(r.map + seal_off, r.size - seal_off, &flen, &why) == 1 &&
		    rec_decode(r.map + seal_off, flen, r.hdr.base_us, &s, &why) == 1 &&
		    s.u.seal.bytes != seal_off)
			report(v, sp, seal_off, 0, "the seal counts %llu bytes before it, not %llu",
			       (unsigned long long)s.u.seal.bytes, (unsigned long long)seal_off);
	}
	if (!*active && !sg->has_index)
		report(v, sp, 0, 0, "sealed segment without its index");
	if (sg->has_index)
		check_index(v, cp, sp, &r, records, &set);
	flush_dropped(v);
	free(set.t);
	seg_reader_close(&r);
	*nrec += records;
}

/* ---- one store ---------------------------------------------------------- */

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static void check_store(struct ver *v, const char *dir, int quiet)
{
	char p[4200];
	struct stat sb;
	struct store_listing ls;
	uint64_t records = 0, e0 = v->errors, w0 = v->warnings;
	size_t active = 0;

	snprintf(p, sizeof p, "%s/sensor.id", dir);
	if (stat(p, &sb) < 0)
		report(v, p, 0, 1, "missing sensor.id");
	else if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
		report(v, p, 0, 1, "sensor.id is empty or no file");
	flush_dropped(v);

	snprintf(p, sizeof p, "%s/log", dir);
	if (store_list(dir, &ls) < 0) {
		report(v, p, 0, 0, "cannot list: %s", strerror(errno));
		flush_dropped(v);
		return;
	}
	for (size_t i = 0; i < ls.n_foreign; i++) {
		const char *n = ls.foreign[i];
		const char *cov;
		uint32_t seq;
		int64_t st;
		snprintf(p, sizeof p, "%s/log/%s", dir, n);
		if (ends_with(n, ".cdb") && seg_name_parse(n, &seq, &st))
			report(v, p, 0, 1, "index without a segment");
		else if (ends_with(n, ".tmp"))
			report(v, p, 0, 1, "temporary file left by an interrupted write");
		else if ((cov = covering(&ls, n)))
			report(v, p, 0, 1,
			       "covered by compacted segment %s (its records are there); safe to "
			       "delete: tip compact --clean",
			       cov);
		else if (seg_name_parse(n, &seq, &st) && ends_with(n, ".tlog"))
			report(v, p, 0, 1, "named like a segment but not a regular file");
		else
			report(v, p, 0, 1, "foreign file in log/");
		flush_dropped(v);
	}
	for (size_t i = 0; i < ls.n; i++) {
		int act = 0;
		if (i && ls.segs[i].seq == ls.segs[i - 1].seq) {
			store_seg_path(p, sizeof p, dir, ls.segs[i].name, "tlog");
			report(v, p, 0, 0, "sequence number %lu used twice",
			       (unsigned long)ls.segs[i].seq);
			flush_dropped(v);
		}
		check_segment(v, dir, &ls.segs[i], i + 1 == ls.n, &records, &act);
		active += (size_t)act;
	}
	if (!quiet) {
		util_put_text(v->out, dir, strlen(dir));
		fprintf(v->out, ": %s: %zu segments (%zu sealed, %zu active), %llu records, "
				"%llu errors, %llu warnings\n",
			v->errors > e0 ? "FAULTY" : "ok", ls.n, ls.n - active, active,
			(unsigned long long)records, (unsigned long long)(v->errors - e0),
			(unsigned long long)(v->warnings - w0));
	}
	store_listing_free(&ls);
}

int cmd_verify(int argc, char **argv)
{
	struct store_set set = {0};
	struct ver v = {.out = stdout};
	int quiet = 0, opts = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts && !strcmp(a, "--")) {
			opts = 0;
			continue;
		}
		if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			fputs("usage: tip verify [-q] STORE...\n"
			      "Checks every segment and index; one line FILE:OFFSET: reason per fault.\n"
			      "Warnings (FILE:OFFSET: warning: ...): the active segment's torn tail,\n"
			      "foreign files in log/, a missing sensor.id.  Everything else is an error.\n"
			      "-q: no summary line per store.\n"
			      "Exit status: 0 no error (warnings allowed); 1 errors; 2 usage error.\n",
			      stdout);
			store_set_free(&set);
			return 0;
		}
		if (opts && !strcmp(a, "-q")) {
			quiet = 1;
			continue;
		}
		if (opts && a[0] == '-') {
			fprintf(stderr, "tip verify: unknown option: ");
			util_put_text(stderr, a, strlen(a));
			fprintf(stderr, "\n");
			store_set_free(&set);
			return tip_usage("verify");
		}
		if (agg_cli_store(&set, "verify", a) < 0) {
			store_set_free(&set);
			return 2;
		}
	}
	if (!set.n) {
		store_set_free(&set);
		return tip_usage("verify");
	}
	for (size_t i = 0; i < set.n; i++)
		check_store(&v, set.dirs[i], quiet);
	store_set_free(&set);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "tip verify: write error on stdout\n");
		return 2;
	}
	return v.errors ? 1 : 0;
}
