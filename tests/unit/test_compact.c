/*
 * test_compact: merging sealed segments.  Observations coalesce only with
 * the same name, type, outcome, server, clock flag, answer set (in any
 * order) and bucket; every other record comes through byte for byte; the
 * sets, times and sums tip query reads are the same before and after; the
 * listing hides what a compacted segment covers (a peer holding both reads
 * each record once); active, unindexed, too new and damaged segments are
 * left alone; and a crash at every step of the swap leaves the old or the
 * new segments visible, never both or neither, with the next compaction
 * cleaning up and ending where an uninterrupted one does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "clock.h"
#include "compact.h"
#include "crc32c.h"
#include "index.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0 1735689600000000LL	/* 2025-01-01T00:00:00Z */
#define HOUR 3600000000LL

static const struct compact_opts fast = {.no_fsync = 1};

static struct seg_writer *writer(const char *dir)
{
	char err[256];
	struct seg_policy p = {.max_bytes = 1u << 30, .max_age_s = 1u << 30, .no_fsync = 1};
	struct seg_writer *w = seg_writer_new(dir, "s1", &p, err, sizeof err);
	if (!w)
		fail_msg("writer: %s", err);
	return w;
}

static void dns(struct seg_writer *w, int64_t ts, const char *name, uint8_t rcode, uint8_t srv,
		const uint8_t *a4, uint32_t n, uint32_t ttl, uint8_t flags)
{
	struct rec r = tu_dns_a(name, ts, a4, n);
	r.flags = flags;
	r.u.dns.rcode = rcode;
	r.u.dns.ttl = ttl;
	if (srv) {
		r.u.dns.server.family = 4;
		memcpy(r.u.dns.server.addr, (uint8_t[]){192, 0, 2, srv}, 4);
	}
	assert_int_equal(seg_writer_append(w, &r), 0);
}

static void other(struct seg_writer *w, int64_t ts, int kind)
{
	struct rec r;
	memset(&r, 0, sizeof r);
	r.ts_us = ts;
	if (kind == 0) {
		r.type = REC_ENRICH;
		r.u.enrich.ip.family = 4;
		memcpy(r.u.enrich.ip.addr, (uint8_t[]){10, 0, 0, 1}, 4);
		r.u.enrich.asn = 64500;
		r.u.enrich.country[0] = 'D', r.u.enrich.country[1] = 'E';
		r.u.enrich.as_name = "EXAMPLE-AS";
		r.u.enrich.as_name_len = 10;
	} else if (kind == 1) {
		r.type = REC_SCORE;
		r.u.score.name = "a.test";
		r.u.score.name_len = 6;
		r.u.score.n_a = 2;
		r.u.score.score = 2.64;
		r.u.score.margin = 2.64 - 142.38;
	} else if (kind == 2) {
		r.type = REC_EVENT;
		r.u.event.kind = REC_EV_NOTE;
		r.u.event.text = "hello";
		r.u.event.text_len = 5;
	} else {
		r.type = REC_FEED;	/* a feed change, copied byte for byte */
		r.u.feed.op = REC_FEED_LISTED;
		r.u.feed.source = "drop";
		r.u.feed.source_len = 4;
		r.u.feed.kind = REC_IND_CIDR;
		r.u.feed.value = "10.0.0.0/8";
		r.u.feed.value_len = 10;
	}
	assert_int_equal(seg_writer_append(w, &r), 0);
}

/*
 * A store of three hourly segments and an active fourth:
 *   a.test  seen 6 times with {10.0.0.1, 10.0.0.2} in either order -> one record
 *   a.test  once from another server, once NXDOMAIN, once before the clock
 *           was set, once the next day (another bucket)            -> four more
 *   b.test  every hour with a new address                           -> three
 *   and one enrich, score, event and feed record per hour.
 */
static void build(const char *dir)
{
	static const uint8_t ab[] = {10, 0, 0, 1, 10, 0, 0, 2}, ba[] = {10, 0, 0, 2, 10, 0, 0, 1};
	clock_fake(T0);
	struct seg_writer *w = writer(dir);
	for (int h = 0; h < 3; h++) {
		int64_t t = T0 + h * HOUR;
		clock_fake(t);
		dns(w, t + 1, "a.test", 0, 53, ab, 2, 300 - h, 0);
		dns(w, t + 2, "a.test", 0, 53, ba, 2, 200, 0);
		uint8_t b[4] = {10, 1, 0, (uint8_t)h};
		dns(w, t + 3, "b.test", 0, 53, b, 1, 60, 0);
		other(w, t + 4, h % 4);
		other(w, t + 5, (h + 1) % 4);
		if (h == 1) {
			dns(w, t + 6, "a.test", 0, 54, ab, 2, 300, 0);
			dns(w, t + 7, "a.test", 3, 53, NULL, 0, 0, 0);
			dns(w, t + 8, "a.test", 0, 53, ab, 2, 300, REC_F_CLOCK_UNSET);
		}
		if (h == 2)
			dns(w, T0 + 25 * HOUR, "a.test", 0, 53, ab, 2, 300, 0);
		assert_int_equal(seg_writer_seal(w), 0);
	}
	clock_fake(T0 + 3 * HOUR);
	dns(w, T0 + 3 * HOUR, "a.test", 0, 53, ab, 2, 300, 0);	/* the active segment */
	assert_int_equal(seg_writer_flush(w), 0);
	seg_writer_free(w);	/* left active: not sealed, no index */
}

/* What the queries read, as text: DNS sets with times and counts, the rest in order. */
struct view {
	char *text;
	size_t len, cap;
};

static void vput(struct view *v, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (v->len + (size_t)n + 1 > v->cap) {
		v->cap = (v->len + (size_t)n + 1) * 2;
		v->text = realloc(v->text, v->cap);
	}
	memcpy(v->text + v->len, line, (size_t)n + 1);
	v->len += (size_t)n;
}

struct dkey {
	char key[512];
	int64_t first, last;
	uint64_t count;
};

struct scan {
	struct dkey k[256];
	size_t n;
	struct view other;
};

static int cmp_u32(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	struct scan *s = ctx;
	if (r->type == REC_EVENT && r->u.event.text_len >= 9 &&
	    !memcmp(r->u.event.text, "compacted", 9))
		return 0;	/* the merge's own note */
	if (r->type != REC_DNS) {
		char hex[64];
		const uint8_t *p = NULL;
		size_t n = 0;
		if (r->type == REC_FEED)
			p = (const uint8_t *)r->u.feed.value, n = r->u.feed.value_len;
		else if (r->type == REC_EVENT)
			p = (const uint8_t *)r->u.event.text, n = r->u.event.text_len;
		else if (r->type == REC_ENRICH)
			p = (const uint8_t *)r->u.enrich.as_name, n = r->u.enrich.as_name_len;
		else if (r->type == REC_SCORE)
			p = (const uint8_t *)r->u.score.name, n = r->u.score.name_len;
		hex[0] = '\0';
		for (size_t i = 0; i < n && i < 30; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[i]);
		vput(&s->other, "%u %lld %s|", r->type, (long long)r->ts_us, hex);
		return 0;
	}
	const struct rec_dns *d = &r->u.dns;
	uint32_t a[16];
	assert_true(d->n_a4 <= 16);
	memcpy(a, d->a4, d->n_a4 * 4);
	qsort(a, d->n_a4, 4, cmp_u32);
	char key[512];
	int o = snprintf(key, sizeof key, "%.*s/%u/%u/%u/%u/", (int)d->name_len, d->name, d->qtype,
			 d->rcode, d->server.addr[3], r->flags & REC_F_CLOCK_UNSET);
	for (uint32_t i = 0; i < d->n_a4; i++) {
		const uint8_t *b = (const uint8_t *)&a[i];
		o += snprintf(key + o, sizeof key - (size_t)o, "%u.%u.%u.%u,", b[0], b[1], b[2], b[3]);
	}
	int64_t first = r->ts_us, last = r->ts_us;
	uint64_t count = 1;
	if (r->flags & REC_F_COALESCED) {
		last = d->ts_last_us;
		count = d->count;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->k[i].key, key)) {
			if (first < s->k[i].first)
				s->k[i].first = first;
			if (last > s->k[i].last)
				s->k[i].last = last;
			s->k[i].count += count;
			return 0;
		}
	assert_true(s->n < 256);
	snprintf(s->k[s->n].key, sizeof s->k[s->n].key, "%s", key);
	s->k[s->n].first = first;
	s->k[s->n].last = last;
	s->k[s->n].count = count;
	s->n++;
	return 0;
}

static int cmp_dkey(const void *a, const void *b)
{
	return strcmp(((const struct dkey *)a)->key, ((const struct dkey *)b)->key);
}

/* The view of a store as text (free it). */
static char *view_of(const char *dir)
{
	struct store_set set = {0};
	char err[256];
	struct scan *s = calloc(1, sizeof *s);
	assert_int_equal(store_set_add(&set, dir, err, sizeof err), 0);
	assert_int_equal(store_set_scan(&set, on_rec, NULL, s), 0);
	store_set_free(&set);
	qsort(s->k, s->n, sizeof *s->k, cmp_dkey);
	struct view v = {0};
	for (size_t i = 0; i < s->n; i++)
		vput(&v, "%s %lld %lld %llu\n", s->k[i].key, (long long)s->k[i].first,
		     (long long)s->k[i].last, (unsigned long long)s->k[i].count);
	vput(&v, "%s\n", s->other.text ? s->other.text : "");
	free(s->other.text);
	free(s);
	return v.text;
}

static size_t n_segments(const char *dir, uint32_t *first_seq)
{
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	size_t n = ls.n;
	if (first_seq)
		*first_seq = n ? ls.segs[0].cover_first : 0;
	store_listing_free(&ls);
	return n;
}

static uint64_t dns_records(const char *dir)
{
	struct store_listing ls;
	uint64_t n = 0;
	assert_int_equal(store_list(dir, &ls), 0);
	for (size_t i = 0; i < ls.n; i++) {
		char p[4096];
		struct seg_reader r;
		struct rec rec;
		store_seg_path(p, sizeof p, dir, ls.segs[i].name, "tlog");
		assert_int_equal(seg_reader_open(&r, p), 0);
		while (seg_reader_next(&r, &rec, NULL) > 0)
			n += rec.type == REC_DNS;
		seg_reader_close(&r);
	}
	store_listing_free(&ls);
	return n;
}

static void test_compact_coalesces_and_keeps_the_view(void **st)
{
	char *dir = tu_tmpdir(), err[512];
	build(dir);
	char *before = view_of(dir);
	assert_int_equal(n_segments(dir, NULL), 4);
	assert_int_equal(dns_records(dir), 3 * 3 + 3 + 1 + 1);
	struct compact_stats cs;
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	assert_int_equal(cs.merges, 1);
	assert_int_equal(cs.segments_in, 3);
	assert_int_equal(cs.skipped, 1);	/* the active segment */
	/* a.test {1,2}: six, one record; the other server, NXDOMAIN, clock unset,
	 * next day: four; b.test: three; the active one: one */
	assert_int_equal(cs.dns_in, 13);
	assert_int_equal(cs.dns_out, 1 + 4 + 3);
	assert_int_equal(cs.lookups, 13);
	uint32_t first;
	assert_int_equal(n_segments(dir, &first), 2);
	assert_int_equal(first, 1);
	char *after = view_of(dir);
	assert_string_equal(before, after);
	/* the coalesced record: first, last, count, the smallest TTL */
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_string_equal(ls.segs[0].name, "20250101T000000Z-00000003.c00000001");
	char p[4096];
	struct seg_reader r;
	struct rec rec;
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "tlog");
	assert_int_equal(seg_reader_open(&r, p), 0);
	int found = 0, notes = 0;
	while (seg_reader_next(&r, &rec, NULL) > 0) {
		if (rec.type == REC_EVENT && rec.u.event.text_len > 9 &&
		    !memcmp(rec.u.event.text, "compacted", 9))
			notes++;
		if (rec.type != REC_DNS || rec.u.dns.server.addr[3] != 53 || rec.u.dns.n_a4 != 2 ||
		    (rec.flags & REC_F_CLOCK_UNSET) || rec.ts_us > T0 + 24 * HOUR)
			continue;
		found++;
		assert_true(rec.flags & REC_F_COALESCED);
		assert_int_equal(rec.ts_us, T0 + 1);
		assert_int_equal(rec.u.dns.ts_last_us, T0 + 2 * HOUR + 2);
		assert_int_equal(rec.u.dns.count, 6);
		assert_int_equal(rec.u.dns.ttl, 200);
	}
	assert_int_equal(found, 1);
	assert_int_equal(notes, 1);
	assert_true(r.sealed);
	seg_reader_close(&r);
	store_listing_free(&ls);
	/* its index is the one index_build makes, and matches */
	struct index ix;
	store_seg_path(p, sizeof p, dir, "20250101T000000Z-00000003.c00000001", "cdb");
	assert_int_equal(index_open(&ix, p), 0);
	assert_int_equal(ix.meta.seq, 3);
	index_close(&ix);
	/* again: nothing to merge (one merged segment and the active one) */
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	assert_int_equal(cs.merges, 0);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
}

static void test_compact_without_bucket_merges_days(void **st)
{
	char *dir = tu_tmpdir(), err[512];
	build(dir);
	struct compact_opts o = fast;
	o.bucket_us = -1;
	struct compact_stats cs;
	char *before = view_of(dir);
	assert_int_equal(compact_store(dir, &o, &cs, err, sizeof err), 0);
	assert_int_equal(cs.dns_out, 1 + 3 + 3);	/* the next day joins the first */
	char *after = view_of(dir);
	assert_string_equal(before, after);
	free(before);
	free(after);
	tu_rmrf(dir);
	free(dir);
}

static void test_compact_listing_hides_covered_segments(void **st)
{
	char *dir = tu_tmpdir(), *keep = tu_tmpdir(), err[512], cmd[8300];
	build(dir);
	snprintf(cmd, sizeof cmd, "cp -a %s/log/. %s/", dir, keep);
	assert_int_equal(system(cmd), 0);
	char *before = view_of(dir);
	struct compact_stats cs;
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	/* a peer that gets the merged segment beside the old ones it has */
	snprintf(cmd, sizeof cmd, "cp -n %s/* %s/log/", keep, dir);
	assert_int_equal(system(cmd), 0);
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_int_equal(ls.n_foreign, 6);	/* three .tlog and three .cdb, hidden */
	store_listing_free(&ls);
	char *after = view_of(dir);
	assert_string_equal(before, after);
	/* the next compaction removes them */
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	assert_int_equal(cs.residue_removed, 6);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n_foreign, 0);
	store_listing_free(&ls);
	free(before);
	free(after);
	tu_rmrf(dir);
	tu_rmrf(keep);
	free(dir);
	free(keep);
}

static void touch(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/log/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_compact_listing_rules(void **st)
{
	char *dir = tu_tmpdir(), p[4096];
	snprintf(p, sizeof p, "%s/log", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	touch(dir, "20250101T000000Z-00000001.tlog");
	touch(dir, "20250101T010000Z-00000002.tlog");
	touch(dir, "20250101T020000Z-00000003.tlog");
	touch(dir, "20250101T030000Z-00000004.tlog");
	touch(dir, "20250101T000000Z-00000003.c00000001.tlog");	/* covers 1..3 */
	touch(dir, "20250101T050000Z-00000005.c00000009.tlog");	/* first > seq: plain */
	touch(dir, "20250101T060000Z-00000006.c0001.tlog");	/* too few digits: plain */
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 4);
	assert_string_equal(ls.segs[0].name, "20250101T000000Z-00000003.c00000001");
	assert_int_equal(ls.segs[0].cover_first, 1);
	assert_int_equal(ls.segs[1].seq, 4);
	assert_int_equal(ls.segs[2].cover_first, 5);
	assert_int_equal(ls.segs[3].cover_first, 6);
	assert_int_equal(ls.n_foreign, 3);
	store_listing_free(&ls);
	/* a larger cover hides the smaller one and what it covers */
	touch(dir, "20250101T000000Z-00000004.c00000001.tlog");
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 3);
	assert_string_equal(ls.segs[0].name, "20250101T000000Z-00000004.c00000001");
	store_listing_free(&ls);
	uint32_t a, b;
	assert_int_equal(compact_name_parse("20250101T000000Z-00000004.c00000001", &a, &b), 1);
	assert_true(a == 1 && b == 4);
	assert_int_equal(compact_name_parse("20250101T000000Z-00000004", &a, &b), 0);
	assert_int_equal(compact_name_parse("20250101T000000Z-00000004.c00000004", &a, &b), 0);
	char nm[SEG_NAME_MAX + 16];
	compact_name(nm, sizeof nm, 7, 4000000000u, T0);
	assert_string_equal(nm, "20250101T000000Z-4000000000.c00000007");
	tu_rmrf(dir);
	free(dir);
}

static void test_compact_before_and_max_bytes(void **st)
{
	char *dir = tu_tmpdir(), err[512];
	build(dir);
	char *before = view_of(dir);
	struct compact_opts o = fast;
	o.before_us = T0 + 2 * HOUR;	/* segments 1 and 2 only (3 holds the next day) */
	struct compact_stats cs;
	assert_int_equal(compact_store(dir, &o, &cs, err, sizeof err), 0);
	assert_int_equal(cs.merges, 1);
	assert_int_equal(cs.segments_in, 2);
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 3);
	assert_string_equal(ls.segs[0].name, "20250101T000000Z-00000002.c00000001");
	store_listing_free(&ls);
	char *mid = view_of(dir);
	assert_string_equal(before, mid);
	/* then everything: the merged segment merges again, under a new name */
	o.before_us = 0;
	assert_int_equal(compact_store(dir, &o, &cs, err, sizeof err), 0);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_string_equal(ls.segs[0].name, "20250101T000000Z-00000003.c00000001");
	store_listing_free(&ls);
	char *after = view_of(dir);
	assert_string_equal(before, after);
	free(mid);
	free(after);
	tu_rmrf(dir);
	free(dir);

	/* max_bytes of about one segment: no merge of two fits, nothing done */
	dir = tu_tmpdir();
	build(dir);
	o.max_bytes = 1;
	assert_int_equal(compact_store(dir, &o, &cs, err, sizeof err), 0);
	assert_int_equal(cs.merges, 0);
	char *same = view_of(dir);
	assert_string_equal(before, same);
	free(same);
	free(before);
	tu_rmrf(dir);
	free(dir);
}

static void test_compact_leaves_damaged_segment(void **st)
{
	char *dir = tu_tmpdir(), err[512], p[4096];
	build(dir);
	/* damage a record in the middle of segment 2 (its size and seal unchanged) */
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	store_seg_path(p, sizeof p, dir, ls.segs[1].name, "tlog");
	store_listing_free(&ls);
	assert_int_equal(tu_flip(p, 60, 0x40), 0);
	struct compact_stats cs;
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	assert_int_equal(cs.damaged, 1);
	assert_int_equal(cs.merges, 0);	/* 1 and 3 are not consecutive: nothing to merge */
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 4);
	store_listing_free(&ls);
	tu_rmrf(dir);
	free(dir);

	/* a missing seq (a segment rsync has not brought yet) ends a run too */
	dir = tu_tmpdir();
	build(dir);
	assert_int_equal(store_list(dir, &ls), 0);
	store_seg_path(p, sizeof p, dir, ls.segs[1].name, "tlog");
	assert_int_equal(unlink(p), 0);
	store_seg_path(p, sizeof p, dir, ls.segs[1].name, "cdb");
	assert_int_equal(unlink(p), 0);
	store_listing_free(&ls);
	assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
	assert_int_equal(cs.merges, 0);
	tu_rmrf(dir);
	free(dir);
}

static unsigned stop_at;

static int crash_hook(void *ctx, unsigned step)
{
	return step == stop_at;
}

static void test_compact_crash_at_every_step(void **st)
{
	char *ref = tu_tmpdir(), err[512];
	build(ref);
	char *want_view = view_of(ref);
	struct compact_stats cs;
	assert_int_equal(compact_store(ref, &fast, &cs, err, sizeof err), 0);
	char *want_after = view_of(ref);
	assert_string_equal(want_view, want_after);
	unsigned steps = 0;
	for (stop_at = 1; stop_at < 64; stop_at++) {
		char *dir = tu_tmpdir();
		build(dir);
		struct compact_opts o = fast;
		o.crash = crash_hook;
		int rc = compact_store(dir, &o, &cs, err, sizeof err);
		if (rc == 0) {	/* no step stop_at: every step was tried */
			tu_rmrf(dir);
			free(dir);
			break;
		}
		assert_int_equal(errno, ECANCELED);
		steps++;
		/* old or new visible, never a mix: the same view either way */
		size_t n = n_segments(dir, NULL);
		assert_true(n == 4 || n == 2);
		char *v = view_of(dir);
		assert_string_equal(want_view, v);
		free(v);
		/* the next compaction cleans up and ends like the uninterrupted one */
		assert_int_equal(compact_store(dir, &fast, &cs, err, sizeof err), 0);
		assert_int_equal(n_segments(dir, NULL), 2);
		v = view_of(dir);
		assert_string_equal(want_view, v);
		free(v);
		struct store_listing ls;
		assert_int_equal(store_list(dir, &ls), 0);
		assert_int_equal(ls.n_foreign, 0);
		store_listing_free(&ls);
		tu_rmrf(dir);
		free(dir);
	}
	/* half written, written, synced and read back, index, rename, dir fsync,
	 * 3 x (cdb, tlog) */
	assert_int_equal(steps, 12);
	free(want_view);
	free(want_after);
	tu_rmrf(ref);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_coalesces_and_keeps_the_view),
		cmocka_unit_test(test_compact_without_bucket_merges_days),
		cmocka_unit_test(test_compact_listing_hides_covered_segments),
		cmocka_unit_test(test_compact_listing_rules),
		cmocka_unit_test(test_compact_before_and_max_bytes),
		cmocka_unit_test(test_compact_leaves_damaged_segment),
		cmocka_unit_test(test_compact_crash_at_every_step),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	clock_fake(0);
	return rc;
}
