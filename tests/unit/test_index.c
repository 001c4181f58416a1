/* Unit tests for store/index.c and the lookups of store/store.c. */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "clock.h"
#include "index.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0 1764000000000000LL
#define NDOM 50

static char *dir;

static int setup(void **state)
{
	dir = tu_tmpdir();
	clock_fake(T0);
	return 0;
}

static int teardown(void **state)
{
	tu_rmrf(dir);
	free(dir);
	clock_fake(0);
	return 0;
}

/*
 * Lookup i of domain d = i % NDOM answers 192.0.2.(d) and 198.51.100.(i % 7);
 * every 10th domain also has an NS name; every 5th lookup is followed by a
 * score and an enrichment record.
 */
static void fill(const char *store, const char *sensor, int n, struct seg_policy *pol)
{
	char err[256], name[64], ns[64];
	uint8_t a4[8], names[80];
	struct seg_writer *w = seg_writer_new(store, sensor, pol, err, sizeof err);
	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		int d = i % NDOM;
		snprintf(name, sizeof name, "D%d.Example.COM", d);	/* mixed case on purpose */
		a4[0] = 192, a4[1] = 0, a4[2] = 2, a4[3] = (uint8_t)d;
		a4[4] = 198, a4[5] = 51, a4[6] = 100, a4[7] = (uint8_t)(i % 7);
		struct rec r = tu_dns_a(name, clock_now_us(), a4, 2);
		if (d % 10 == 0) {
			size_t nl = 0;
			snprintf(ns, sizeof ns, "ns%d.example.net", d);
			rec_names_add(names, sizeof names, &nl, ns, strlen(ns));
			r.u.dns.names = names;
			r.u.dns.names_len = nl;
			r.u.dns.n_names = 1;
		}
		assert_int_equal(seg_writer_append(w, &r), 0);
		if (i % 5 == 0) {
			struct rec s = {.type = REC_SCORE, .ts_us = clock_now_us()};
			snprintf(name, sizeof name, "d%d.example.com", d);
			s.u.score.name = name;
			s.u.score.name_len = strlen(name);
			s.u.score.n_a = 2;
			assert_int_equal(seg_writer_append(w, &s), 0);
			struct rec e = {.type = REC_ENRICH, .ts_us = clock_now_us()};
			e.u.enrich.ip.family = 4;
			memcpy(e.u.enrich.ip.addr, a4, 4);
			e.u.enrich.asn = 64496;
			assert_int_equal(seg_writer_append(w, &e), 0);
		}
		clock_advance(1000000);
	}
	assert_int_equal(seg_writer_close(w), 0);
}

struct hits {
	int dns, score, enrich, other;
	int64_t last_ts;
	int ordered;
	int faults;
	char sensors[4][32];
	int nsensors;
};

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	struct hits *h = ctx;
	if (r->ts_us < h->last_ts)
		h->ordered = 0;
	h->last_ts = r->ts_us;
	if (r->type == REC_DNS)
		h->dns++;
	else if (r->type == REC_SCORE)
		h->score++;
	else if (r->type == REC_ENRICH)
		h->enrich++;
	else
		h->other++;
	if (!h->nsensors || strcmp(h->sensors[h->nsensors - 1], sensor)) {
		h->last_ts = 0;
		if (h->nsensors < 4)
			snprintf(h->sensors[h->nsensors++], 32, "%s", sensor);
	}
	return 0;
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	((struct hits *)ctx)->faults++;
}

static struct hits lookup(const char *text)
{
	struct store_set set = {0};
	struct hits h = {.ordered = 1};
	uint8_t k[INDEX_KEY_MAX];
	char err[256];
	size_t kl = index_key_parse(k, text);
	assert_true(kl > 0);
	assert_int_equal(store_set_add(&set, dir, err, sizeof err), 0);
	assert_int_equal(store_set_lookup(&set, k, kl, on_rec, on_fault, &h), 0);
	store_set_free(&set);
	return h;
}

static void test_index_keys(void **state)
{
	uint8_t k[INDEX_KEY_MAX];
	assert_int_equal(index_key_parse(k, "WWW.Example.com."), 16);
	assert_int_equal(k[0], 'd');
	assert_memory_equal(k + 1, "www.example.com", 15);
	assert_int_equal(index_key_parse(k, "192.0.2.1"), 5);
	assert_int_equal(k[0], '4');
	assert_int_equal(k[4], 1);
	assert_int_equal(index_key_parse(k, "2001:db8::1"), 17);
	assert_int_equal(k[0], '6');
	assert_int_equal(index_key_parse(k, ""), 0);
	assert_int_equal(index_key_parse(k, "."), 0);
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[299] = 0;
	assert_int_equal(index_key_parse(k, longname), 0);
}

static void test_index_lookup_by_domain_ip_and_name(void **state)
{
	struct seg_policy pol = {.max_bytes = 8192};	/* many segments */
	fill(dir, "s1", 1000, &pol);
	struct hits h = lookup("d7.example.com");
	assert_int_equal(h.dns, 20);
	assert_int_equal(h.score, 0);	/* i = 7 + 50k is never a multiple of 5 */
	assert_int_equal(h.enrich, 0);
	assert_true(h.ordered);
	assert_int_equal(h.faults, 0);
	h = lookup("d5.example.com");
	assert_int_equal(h.dns, 20);
	assert_int_equal(h.score, 20);	/* i = 5 + 50k always is */
	h = lookup("192.0.2.5");
	assert_int_equal(h.dns, 20);
	assert_int_equal(h.enrich, 20);
	h = lookup("198.51.100.3");
	assert_int_equal(h.dns, 143);	/* i % 7 == 3 for i < 1000 */
	h = lookup("d99.example.com");
	assert_int_equal(h.dns + h.score + h.enrich, 0);
	/* NS names are keys of kind 'r', not domains */
	struct store_set set = {0};
	char err[256];
	uint8_t k[INDEX_KEY_MAX];
	struct hits r = {.ordered = 1};
	size_t kl = index_key_kind(k, IX_RNAME, "ns20.example.net", 16);
	store_set_add(&set, dir, err, sizeof err);
	store_set_lookup(&set, k, kl, on_rec, on_fault, &r);
	store_set_free(&set);
	assert_int_equal(r.dns, 20);
	h = lookup("ns20.example.net");
	assert_int_equal(h.dns, 0);
}

static void test_index_meta_and_iterator(void **state)
{
	struct store_listing ls;
	struct index ix;
	struct index_iter it;
	char p[4096];
	uint8_t k[INDEX_KEY_MAX];
	uint64_t pos, prev = 0;
	fill(dir, "s1", 200, NULL);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "cdb");
	assert_int_equal(index_open(&ix, p), 0);
	assert_int_equal(ix.meta.records, 200 + 80);
	assert_int_equal(ix.meta.per_type[REC_DNS], 200);
	assert_int_equal(ix.meta.per_type[REC_SCORE], 40);
	assert_true(ix.meta.ts_first_us == T0);
	assert_true(ix.meta.ts_last_us == T0 + 199 * 1000000LL);
	assert_int_equal(ix.meta.seq, ls.segs[0].seq);
	assert_int_equal(ix.meta.seg_size, ls.segs[0].size);
	/* 50 domains + 50 + 7 addresses + 5 NS names + 10 enriched addresses, and the
	 * member lists: 'w' example.com and com, 'p' dN and dN.example, 'n' of
	 * 192/8, 192.0/16, 192.0.2/24, 198/8, 198.51/16, 198.51.100/24 */
	assert_int_equal(ix.meta.version, INDEX_VERSION);
	assert_int_equal(ix.meta.keys, 50 + 50 + 7 + 5 + 10 + 2 + 100 + 6);
	size_t kl = index_key_parse(k, "d3.example.com");
	assert_int_equal(index_find(&ix, k, kl, &it), 1);
	int n = 0;
	while (index_iter_next(&it, &pos) == 1) {
		assert_true(n == 0 || pos > prev);
		prev = pos;
		n++;
	}
	assert_int_equal(n, 4);	/* i = 3, 53, 103, 153; no score (i % 5 != 0) */
	kl = index_key_parse(k, "d10.example.com");
	assert_int_equal(index_find(&ix, k, kl, &it), 1);
	for (n = 0; index_iter_next(&it, &pos) == 1; n++)
		;
	assert_int_equal(n, 8);	/* 4 lookups and 4 scores */
	kl = index_key_parse(k, "nothere.example");
	assert_int_equal(index_find(&ix, k, kl, &it), 0);
	/* the enrichment of an address alone, under 'e' */
	uint8_t a5[4] = {192, 0, 2, 5};
	kl = index_key_enrich(k, 4, a5);
	assert_int_equal(k[0], 'e');
	assert_int_equal(index_find(&ix, k, kl, &it), 1);
	for (n = 0; index_iter_next(&it, &pos) == 1; n++)
		;
	assert_int_equal(n, 4);	/* i = 5, 55, 105, 155 */
	index_close(&ix);
	store_listing_free(&ls);
}

static void test_index_rejects_non_index(void **state)
{
	char p[4096];
	struct index ix;
	snprintf(p, sizeof p, "%s/junk.cdb", dir);
	tu_append(p, "this is no cdb file, only some text of some length to pass 2048 bytes? no", 70);
	assert_int_equal(index_open(&ix, p), -1);
	snprintf(p, sizeof p, "%s/none.cdb", dir);
	assert_int_equal(index_open(&ix, p), -1);
	/* an index of an unsealed segment cannot be built */
	char err[256];
	struct seg_writer *w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	struct rec e = {.type = REC_EVENT, .ts_us = T0};
	e.u.event.kind = REC_EV_START;
	seg_writer_append(w, &e);
	seg_writer_sync(w);
	struct store_listing ls;
	store_list(dir, &ls);
	char sp[4096], cp[4096];
	store_seg_path(sp, sizeof sp, dir, ls.segs[0].name, "tlog");
	store_seg_path(cp, sizeof cp, dir, ls.segs[0].name, "cdb");
	assert_int_equal(index_build(sp, cp, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not sealed"));
	assert_int_equal(tu_file_size(cp), -1);	/* nothing published */
	store_listing_free(&ls);
	seg_writer_free(w);
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* A well-formed cdb that is not an index (no meta record) is refused,
 * and refusing it leaves nothing mapped: a reader that walks a store full
 * of such files must not run out of address space. */
static void test_index_refusal_unmaps_a_cdb_without_meta(void **state)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/nometa.cdb", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	struct cdb_make cm;
	assert_int_equal(cdb_make_start(&cm, fd), 0);
	assert_int_equal(cdb_make_add(&cm, "k", 1, "v", 1), 0);
	assert_int_equal(cdb_make_finish(&cm), 0);
	close(fd);
	struct index ix;
	if (count_maps() < 0)
		skip();
	assert_int_equal(index_open(&ix, p), -1);	/* first call may map libraries */
	int before = count_maps();
	for (int i = 0; i < 200; i++)
		assert_int_equal(index_open(&ix, p), -1);
	assert_int_equal(count_maps(), before);
}

static void test_lookup_survives_missing_and_stale_index(void **state)
{
	struct seg_policy pol = {.max_bytes = 8192};
	struct store_listing ls;
	char a[4096], b[4096];
	fill(dir, "s1", 1000, &pol);
	struct hits good = lookup("d5.example.com");
	assert_int_equal(good.score, 20);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_true(ls.n >= 3);
	/* missing index: the segment is scanned */
	store_seg_path(a, sizeof a, dir, ls.segs[0].name, "cdb");
	assert_int_equal(unlink(a), 0);
	/* stale index: another segment's index in its place */
	store_seg_path(a, sizeof a, dir, ls.segs[1].name, "cdb");
	store_seg_path(b, sizeof b, dir, ls.segs[2].name, "cdb");
	assert_int_equal(rename(b, a), 0);
	store_listing_free(&ls);
	struct hits h = lookup("d5.example.com");
	assert_int_equal(h.dns, good.dns);
	assert_int_equal(h.score, good.score);
	assert_true(h.faults >= 1);	/* the stale index is reported */
}

static void test_store_set_reads_sibling_stores(void **state)
{
	char s1[4096], s2[4096], err[256];
	snprintf(s1, sizeof s1, "%s/alpha", dir);
	snprintf(s2, sizeof s2, "%s/beta", dir);
	fill(s1, "alpha", 100, NULL);
	fill(s2, "beta", 300, NULL);
	/* a stray non-store directory beside them is ignored */
	char junk[4096];
	snprintf(junk, sizeof junk, "%s/notes", dir);
	mkdir(junk, 0755);
	struct hits h = lookup("d7.example.com");
	assert_int_equal(h.dns, 2 + 6);
	assert_int_equal(h.nsensors, 2);
	assert_string_equal(h.sensors[0], "alpha");
	assert_string_equal(h.sensors[1], "beta");
	struct store_set set = {0};
	assert_int_equal(store_set_add(&set, junk, err, sizeof err), -1);
	assert_non_null(strstr(err, "no store"));
	assert_int_equal(store_set_add(&set, "/nonexistent/x", err, sizeof err), -1);
	store_set_free(&set);
}

static void test_store_retention_removes_oldest_sealed(void **state)
{
	struct seg_policy pol = {.max_bytes = 4096};
	struct store_listing ls;
	fill(dir, "s1", 1000, &pol);
	assert_int_equal(store_list(dir, &ls), 0);
	size_t before = ls.n;
	uint32_t newest = ls.segs[ls.n - 1].seq;
	store_listing_free(&ls);
	int removed = store_retention(dir, 20000);
	assert_true(removed > 0);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, before - (size_t)removed);
	assert_int_equal(ls.segs[ls.n - 1].seq, newest);
	uint64_t total = 0;
	for (size_t i = 0; i < ls.n; i++) {
		char p[4096];
		total += ls.segs[i].size;
		store_seg_path(p, sizeof p, dir, ls.segs[i].name, "cdb");
		total += (uint64_t)tu_file_size(p);
		assert_true(ls.segs[i].has_index);
	}
	assert_true(total <= 20000);
	assert_int_equal(ls.n_foreign, 0);
	store_listing_free(&ls);
	/* a quota smaller than one segment keeps the newest */
	store_retention(dir, 1);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	store_listing_free(&ls);
}

static void test_store_list_reports_foreign_files(void **state)
{
	char p[4096];
	struct store_listing ls;
	fill(dir, "s1", 10, NULL);
	snprintf(p, sizeof p, "%s/log/README", dir);
	tu_append(p, "x", 1);
	snprintf(p, sizeof p, "%s/log/20250101T000000Z-00000099.cdb", dir);	/* orphan index */
	tu_append(p, "x", 1);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_int_equal(ls.n_foreign, 2);
	store_listing_free(&ls);
}

struct many_hits {
	int per_key[8];
};

static int on_many(void *ctx, size_t i, const char *sensor, const struct store_seg *seg,
		   uint64_t pos, const struct rec *r)
{
	((struct many_hits *)ctx)->per_key[i]++;
	return 0;
}

static void test_lookup_many_agrees_with_single_lookups(void **state)
{
	struct seg_policy pol = {.max_bytes = 8192};
	const char *texts[] = {"d5.example.com", "192.0.2.5", "198.51.100.3", "nothere.example",
			       "d7.example.com"};
	uint8_t kb[5][INDEX_KEY_MAX];
	const uint8_t *keys[6];
	size_t kl[6];
	char err[256];
	struct store_listing ls;
	fill(dir, "s1", 1000, &pol);
	/* one segment without its index: scanned */
	assert_int_equal(store_list(dir, &ls), 0);
	char p[4096];
	store_seg_path(p, sizeof p, dir, ls.segs[1].name, "cdb");
	assert_int_equal(unlink(p), 0);
	store_listing_free(&ls);
	for (int i = 0; i < 5; i++) {
		kl[i] = index_key_parse(kb[i], texts[i]);
		keys[i] = kb[i];
	}
	uint8_t a5[4] = {192, 0, 2, 5}, ek[INDEX_KEY_MAX];
	kl[5] = index_key_enrich(ek, 4, a5);
	keys[5] = ek;
	struct store_set set = {0};
	assert_int_equal(store_set_add(&set, dir, err, sizeof err), 0);
	struct many_hits m = {{0}};
	assert_int_equal(store_set_lookup_many(&set, keys, kl, 6, on_many, NULL, &m), 0);
	for (int i = 0; i < 5; i++) {
		struct hits h = lookup(texts[i]);
		assert_int_equal(m.per_key[i], h.dns + h.score + h.enrich + h.other);
	}
	assert_int_equal(m.per_key[1], 40);	/* 20 lookups, 20 enrichments */
	assert_int_equal(m.per_key[3], 0);
	assert_int_equal(m.per_key[5], 20);	/* enrichments alone */
	store_set_free(&set);
}

/* ---- member lists: wildcards and prefixes ----------------------------- */

struct pat {
	const char *suffix;	/* 'd' keys ending in "." suffix */
	uint8_t net[4];
	unsigned bits;
	int dns, score, enrich, other;
	int keys;
};

static int pat_ok(void *ctx, const uint8_t *k, size_t kl)
{
	struct pat *p = ctx;
	if (p->suffix) {
		size_t sl = strlen(p->suffix);
		return k[0] == IX_DOMAIN && kl > sl + 2 && k[kl - sl - 1] == '.' &&
		       !memcmp(k + kl - sl, p->suffix, sl);
	}
	if (k[0] != IX_IP4 || kl != 5)
		return 0;
	uint32_t a = (uint32_t)k[1] << 24 | k[2] << 16 | k[3] << 8 | k[4];
	uint32_t n = (uint32_t)p->net[0] << 24 | p->net[1] << 16 | p->net[2] << 8 | p->net[3];
	uint32_t mask = p->bits ? 0xffffffffu << (32 - p->bits) : 0;
	return (a & mask) == (n & mask);
}

static int pat_rec(void *ctx, const uint8_t *k, size_t kl, const char *sensor,
		   const struct store_seg *seg, uint64_t pos, const struct rec *r)
{
	struct pat *p = ctx;
	(void)k, (void)kl, (void)sensor, (void)seg, (void)pos;
	p->keys++;
	if (r->type == REC_DNS)
		p->dns++;
	else if (r->type == REC_SCORE)
		p->score++;
	else if (r->type == REC_ENRICH)
		p->enrich++;
	else
		p->other++;
	return 0;
}

static void pat_run(struct pat *p, const uint8_t *lk, size_t lkl)
{
	struct store_set set = {0};
	char err[256];
	const uint8_t *keys[1] = {lk};
	size_t lens[1] = {lkl};
	p->dns = p->score = p->enrich = p->other = p->keys = 0;
	assert_int_equal(store_set_add(&set, dir, err, sizeof err), 0);
	assert_int_equal(store_set_lookup_members(&set, keys, lens, 1, pat_ok, pat_rec, on_fault, p), 0);
	store_set_free(&set);
}

static void test_member_lists_answer_wildcards_and_prefixes(void **state)
{
	struct store_listing ls;
	uint8_t lk[INDEX_KEY_MAX];
	char p[4096];
	fill(dir, "s1", 200, NULL);
	struct pat w = {.suffix = "example.com"};
	lk[0] = IX_SUFFIX;
	memcpy(lk + 1, "example.com", 11);
	pat_run(&w, lk, 12);
	assert_int_equal(w.dns, 200);
	assert_int_equal(w.score, 40);
	assert_int_equal(w.other + w.enrich, 0);
	/* a /20 inside the /16 list: 192.0.0.0/20 holds 192.0.2.x */
	struct pat n = {.net = {192, 0, 0, 0}, .bits = 20};
	uint8_t a[4] = {192, 0, 0, 0};
	size_t kl = index_key_net(lk, 4, a, 16);
	assert_int_equal(kl, 5);
	pat_run(&n, lk, kl);
	assert_int_equal(n.dns, 200);
	assert_int_equal(n.enrich, 40);
	/* 198.51.100.0/30: i % 7 in 0..3, 4 of 7 addresses */
	struct pat n2 = {.net = {198, 51, 100, 0}, .bits = 30};
	uint8_t b[4] = {198, 51, 100, 0};
	kl = index_key_net(lk, 4, b, 24);
	pat_run(&n2, lk, kl);
	int want = 0;
	for (int i = 0; i < 200; i++)
		want += i % 7 < 4;
	assert_int_equal(n2.dns, want);
	/* without the index the scan gives the same */
	assert_int_equal(store_list(dir, &ls), 0);
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "cdb");
	assert_int_equal(unlink(p), 0);
	store_listing_free(&ls);
	struct pat w2 = {.suffix = "example.com"};
	lk[0] = IX_SUFFIX;
	memcpy(lk + 1, "example.com", 11);
	pat_run(&w2, lk, 12);
	assert_int_equal(w2.dns, 200);
	assert_int_equal(w2.score, 40);
	kl = index_key_net(lk, 4, b, 24);
	pat_run(&n2, lk, kl);
	assert_int_equal(n2.dns, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_lists_answer_wildcards_and_prefixes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_index_lookup_by_domain_ip_and_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_meta_and_iterator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_rejects_non_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_refusal_unmaps_a_cdb_without_meta, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_survives_missing_and_stale_index, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_set_reads_sibling_stores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_retention_removes_oldest_sealed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_list_reports_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_many_agrees_with_single_lookups, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
