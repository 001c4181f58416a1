/* Unit tests for store/seg.c: segment writer, recovery and reader. */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "clock.h"
#include "rec.h"
#include "seg.h"
#include "seg_writer.h"
#include "store.h"

#define T0 1764000000000000LL

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

/* Record i: a DNS lookup whose content is a function of i. */
static struct rec mk(uint32_t i, char *name, uint8_t *a4)
{
	snprintf(name, 64, "host%u.example.com", i);
	for (int k = 0; k < 3; k++) {
		a4[4 * k] = 10;
		a4[4 * k + 1] = (uint8_t)(i >> 16);
		a4[4 * k + 2] = (uint8_t)(i >> 8);
		a4[4 * k + 3] = (uint8_t)(i + k);
	}
	struct rec r = tu_dns_a(name, clock_now_us(), a4, 3);
	r.u.dns.ttl = i % 600;
	return r;
}

static void append_n(struct seg_writer *w, uint32_t from, uint32_t n)
{
	char name[64];
	uint8_t a4[12];
	for (uint32_t i = from; i < from + n; i++) {
		struct rec r = mk(i, name, a4);
		assert_int_equal(seg_writer_append(w, &r), 0);
		clock_advance(1000);
	}
}

/* Read every record of the store in order; check record i is mk(i). */
static uint32_t check_all(uint32_t expect_from)
{
	struct store_listing ls;
	uint32_t i = expect_from;
	assert_int_equal(store_list(dir, &ls), 0);
	for (size_t s = 0; s < ls.n; s++) {
		char p[4096];
		struct seg_reader r;
		struct rec rec;
		store_seg_path(p, sizeof p, dir, ls.segs[s].name, "tlog");
		assert_int_equal(seg_reader_open(&r, p), 0);
		int c;
		while ((c = seg_reader_next(&r, &rec, NULL)) == 1) {
			char name[64];
			snprintf(name, sizeof name, "host%u.example.com", i);
			assert_int_equal(rec.type, REC_DNS);
			assert_int_equal(rec.u.dns.name_len, strlen(name));
			assert_memory_equal(rec.u.dns.name, name, strlen(name));
			assert_int_equal(rec.u.dns.ttl, i % 600);
			assert_int_equal(rec.u.dns.a4[11], (uint8_t)(i + 2));
			i++;
		}
		assert_int_equal(c, 0);
		seg_reader_close(&r);
	}
	store_listing_free(&ls);
	return i - expect_from;
}

static void test_seg_writer_round_trip_and_seal(void **state)
{
	char err[256];
	struct seg_writer *w = seg_writer_new(dir, "s1", NULL, err, sizeof err);
	assert_non_null(w);
	append_n(w, 0, 1000);
	assert_int_equal(seg_writer_close(w), 0);
	assert_int_equal(check_all(0), 1000);
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_true(ls.segs[0].has_index);
	assert_int_equal(ls.segs[0].seq, 1);
	assert_int_equal(ls.n_foreign, 0);
	store_listing_free(&ls);
	char id[64];
	assert_int_equal(store_sensor_id(dir, id, sizeof id), 0);
	assert_string_equal(id, "s1");
}

static void test_seg_writer_rotates_by_size(void **state)
{
	char err[256];
	struct seg_policy p = {.max_bytes = 4096};
	struct seg_writer *w = seg_writer_new(dir, "s", &p, err, sizeof err);
	append_n(w, 0, 2000);
	assert_int_equal(seg_writer_close(w), 0);
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_true(ls.n > 10);
	for (size_t i = 0; i < ls.n; i++) {
		assert_int_equal(ls.segs[i].seq, i + 1);
		assert_true(ls.segs[i].has_index);
		/* one record past the limit at most */
		assert_true(ls.segs[i].size < 4096 + 200);
	}
	store_listing_free(&ls);
	assert_int_equal(check_all(0), 2000);
}

static void test_seg_writer_rotates_by_age_and_syncs_by_time(void **state)
{
	char err[256];
	struct seg_writer_stats st;
	struct seg_policy p = {.max_age_s = 60, .sync_every_ms = 500};
	struct seg_writer *w = seg_writer_new(dir, "s", &p, err, sizeof err);
	append_n(w, 0, 10);	/* 1 ms apart */
	assert_int_equal(seg_writer_tick(w), 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.durable, 0);	/* the oldest is 10 ms old */
	clock_advance(490 * 1000);
	assert_int_equal(seg_writer_tick(w), 0);
	seg_writer_stats(w, &st);
	assert_int_equal(st.durable, 10);	/* now 500 ms */
	append_n(w, 10, 5);
	clock_advance(100 * 1000);
	seg_writer_tick(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.durable, 10);
	clock_advance(400 * 1000);
	seg_writer_tick(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.written, 15);
	assert_int_equal(st.durable, 15);
	assert_int_equal(st.segments, 0);
	clock_advance(61 * 1000000LL);
	seg_writer_tick(w);
	seg_writer_stats(w, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.seq, 0);	/* no active segment until the next append */
	append_n(w, 15, 1);
	seg_writer_stats(w, &st);
	assert_int_equal(st.seq, 2);
	assert_int_equal(seg_writer_close(w), 0);
	assert_int_equal(check_all(0), 16);
}

static void test_seg_writer_sync_every_n(void **state)
{
	char err[256];
	struct seg_writer_stats st;
	struct seg_policy p = {.sync_every_n = 7};
	struct seg_writer *w = seg_writer_new(dir, "s", &p, err, sizeof err);
	append_n(w, 0, 6);
	seg_writer_stats(w, &st);
	assert_int_equal(st.durable, 0);
	append_n(w, 6, 1);
	seg_writer_stats(w, &st);
	assert_int_equal(st.durable, 7);
	seg_writer_free(w);
}

static void test_seg_writer_recovers_after_crash(void **state)
{
	char err[256], p[4096];
	struct seg_writer_stats st;
	struct seg_writer *w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	append_n(w, 0, 100);
	assert_int_equal(seg_writer_sync(w), 0);
	seg_writer_stats(w, &st);
	uint32_t seq = st.seq;
	seg_writer_free(w);	/* a crash: no seal, no index */
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_false(ls.segs[0].has_index);
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "tlog");
	store_listing_free(&ls);
	/* a torn write: half a frame of garbage after the last record */
	assert_int_equal(tu_append(p, "\x11\x22\x33\x44\x20\x00\x00\x01garbage", 15), 0);

	w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	assert_non_null(w);
	append_n(w, 100, 50);
	seg_writer_stats(w, &st);
	assert_int_equal(st.seq, seq + 1);
	assert_int_equal(seg_writer_close(w), 0);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_true(ls.segs[0].has_index);
	assert_true(ls.segs[1].has_index);
	store_listing_free(&ls);
	assert_int_equal(check_all(0), 150);	/* nothing lost, garbage gone */
}

static void test_seg_writer_recovery_drops_headerless_file(void **state)
{
	char err[256], p[4096], name[SEG_NAME_MAX];
	struct store_listing ls;
	assert_int_equal(store_create(dir, "s", err, sizeof err), 0);
	seg_name_make(name, sizeof name, 5, T0);
	store_seg_path(p, sizeof p, dir, name, "tlog");
	assert_int_equal(tu_append(p, "TIPS", 4), 0);	/* crash while writing the header */
	struct seg_writer *w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	assert_non_null(w);
	append_n(w, 0, 3);
	assert_int_equal(seg_writer_close(w), 0);
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_int_equal(ls.segs[0].seq, 6);	/* sequence numbers never go back */
	store_listing_free(&ls);
	assert_int_equal(check_all(0), 3);
}

static void test_seg_reader_stops_at_torn_tail(void **state)
{
	char err[256], p[4096];
	struct seg_reader r;
	struct rec rec;
	uint64_t pos;
	struct seg_writer *w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	append_n(w, 0, 20);
	seg_writer_sync(w);
	seg_writer_free(w);
	struct store_listing ls;
	store_list(dir, &ls);
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "tlog");
	store_listing_free(&ls);
	long size = tu_file_size(p);
	assert_int_equal(truncate(p, size - 3), 0);
	assert_int_equal(seg_reader_open(&r, p), 0);
	int n = 0, c;
	uint64_t last = 0;
	while ((c = seg_reader_next(&r, &rec, &pos)) == 1) {
		n++;
		last = pos;
	}
	assert_int_equal(c, -1);
	assert_string_equal(r.fault, "torn tail");
	assert_int_equal(r.fault_kind, SEG_FAULT_TORN_TAIL);
	assert_int_equal(seg_fault_of(r.fault), SEG_FAULT_TORN_TAIL);
	assert_int_equal(n, 19);
	assert_true(r.fault_off > last);
	assert_false(r.sealed);
	assert_int_equal(seg_reader_resync(&r), 0);	/* nothing after it */
	seg_reader_close(&r);
}

struct fault_log {
	int n;
	uint64_t recs;
	enum seg_fault kind[4];
	size_t off[4];
};

static int count_one(void *ctx, const struct rec *rec, uint64_t pos)
{
	(void)rec;
	(void)pos;
	((struct fault_log *)ctx)->recs++;
	return 0;
}

static void log_fault(void *ctx, const struct seg_reader *r)
{
	struct fault_log *fl = ctx;
	if (fl->n < 4) {
		fl->kind[fl->n] = r->fault_kind;
		fl->off[fl->n] = r->fault_off;
	}
	fl->n++;
}

static void test_seg_fault_names_and_kinds(void **state)
{
	(void)state;
	assert_string_equal(seg_fault_name(SEG_FAULT_TORN_TAIL), "torn tail");
	assert_int_equal(seg_fault_of(seg_fault_name(SEG_FAULT_SHORT_HEADER)), SEG_FAULT_SHORT_HEADER);
	assert_int_equal(seg_fault_of(NULL), SEG_FAULT_NONE);
	/* a copy of the text is a frame fault: kinds go by identity, not by text */
	char copy[] = "torn tail";
	assert_int_equal(seg_fault_of(copy), SEG_FAULT_FRAME);
	assert_string_equal(seg_fault_name((enum seg_fault)99), "fault");
}

static void test_seg_reader_resyncs_past_damage(void **state)
{
	char err[256], p[4096];
	struct seg_reader r;
	struct rec rec;
	uint64_t pos[40];
	struct seg_writer *w = seg_writer_new(dir, "s", NULL, err, sizeof err);
	append_n(w, 0, 40);
	assert_int_equal(seg_writer_close(w), 0);
	struct store_listing ls;
	store_list(dir, &ls);
	store_seg_path(p, sizeof p, dir, ls.segs[0].name, "tlog");
	store_listing_free(&ls);
	assert_int_equal(seg_reader_open(&r, p), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(seg_reader_next(&r, &rec, &pos[i]), 1);
	seg_reader_close(&r);
	/* damage record 17 in the middle */
	assert_int_equal(tu_flip(p, (long)pos[17] + 12, 0x40), 0);
	assert_int_equal(seg_reader_open(&r, p), 0);
	int n = 0, c;
	while ((c = seg_reader_next(&r, &rec, NULL)) == 1)
		n++;
	assert_int_equal(c, -1);
	assert_int_equal(n, 17);
	assert_int_equal(r.fault_off, pos[17]);
	assert_int_equal(seg_reader_resync(&r), 1);
	assert_int_equal(r.off, pos[18]);
	while ((c = seg_reader_next(&r, &rec, NULL)) == 1)
		n++;
	assert_int_equal(c, -1);	/* the seal counts 40 records, we read 39 */
	assert_string_equal(r.fault, "seal counts a different number of records");
	assert_int_equal(n, 39);
	assert_int_equal(r.fault_kind, SEG_FAULT_SEAL_COUNT);
	seg_reader_close(&r);
	/* the summary: 39 records, two faults, the seal's last */
	struct seg_summary sum;
	struct fault_log fl = {0};
	assert_int_equal(seg_reader_open(&r, p), 0);
	assert_int_equal(seg_scan(&r, &sum, count_one, log_fault, &fl), 0);
	assert_int_equal(sum.records, 39);
	assert_int_equal(fl.recs, 39);
	assert_int_equal(sum.faults, 2);
	assert_int_equal(fl.n, 2);
	assert_int_equal(fl.kind[0], SEG_FAULT_FRAME);
	assert_int_equal(fl.off[0], pos[17]);
	assert_int_equal(fl.kind[1], SEG_FAULT_SEAL_COUNT);
	assert_int_equal(sum.last_fault, SEG_FAULT_SEAL_COUNT);
	assert_true(sum.first_us < sum.last_us);
	/* the span is that of the records read: record 0 to record 39 */
	assert_int_equal(sum.last_us - sum.first_us, 39 * 1000LL);	/* append_n: 1 ms apart */
	seg_reader_close(&r);
	assert_int_equal(seg_reader_open(&r, p), 0);
	/* the record at an offset, as an index lookup reads it */
	assert_int_equal(seg_reader_at(&r, pos[30], &rec), 1);
	assert_memory_equal(rec.u.dns.name, "host30.", 7);
	assert_int_equal(seg_reader_at(&r, pos[17], &rec), -1);
	assert_int_equal(seg_reader_at(&r, 3, &rec), -1);
	assert_int_equal(seg_reader_at(&r, 1u << 30, &rec), -1);
	seg_reader_close(&r);
}

static void test_seg_reader_rejects_foreign_files(void **state)
{
	char p[4096];
	struct seg_reader r;
	snprintf(p, sizeof p, "%s/x.tlog", dir);
	assert_int_equal(tu_append(p, "hello, this is not a segment at all, not even close", 51), 0);
	assert_int_equal(seg_reader_open(&r, p), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(r.fault, "magic"));
	snprintf(p, sizeof p, "%s/empty.tlog", dir);
	assert_int_equal(tu_append(p, "", 0), 0);
	assert_int_equal(seg_reader_open(&r, p), -1);
	assert_non_null(strstr(r.fault, "short"));
	snprintf(p, sizeof p, "%s/missing.tlog", dir);
	assert_int_equal(seg_reader_open(&r, p), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_seg_name_round_trip(void **state)
{
	char n[SEG_NAME_MAX];
	uint32_t seq;
	int64_t start;
	seg_name_make(n, sizeof n, 42, 1764037800123456LL);
	assert_string_equal(n, "20251125T023000Z-00000042");
	assert_int_equal(seg_name_parse(n, &seq, &start), 1);
	assert_int_equal(seq, 42);
	assert_true(start == 1764037800000000LL);
	assert_int_equal(seg_name_parse("20251125T023000Z-00000042.tlog", &seq, &start), 1);
	assert_int_equal(seg_name_parse("20251125T023000Z-42", &seq, &start), 0);
	assert_int_equal(seg_name_parse("2025112XT023000Z-00000042", &seq, &start), 0);
	assert_int_equal(seg_name_parse("notes.txt", &seq, &start), 0);
	assert_int_equal(seg_name_parse("20251125T023000Z-99999999999", &seq, &start), 0);
}

static void test_seg_writer_survives_full_disk(void **state)
{
	/* RLIMIT_FSIZE makes write(2) fail part-way, as a full disk does */
	char err[256];
	struct rlimit old, lim;
	struct seg_writer_stats st;
	struct seg_policy p = {.buf_bytes = 512, .max_bytes = 1 << 20};
	signal(SIGXFSZ, SIG_IGN);
	struct seg_writer *w = seg_writer_new(dir, "s", &p, err, sizeof err);
	assert_non_null(w);
	append_n(w, 0, 10);
	assert_int_equal(seg_writer_sync(w), 0);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 3000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char name[64];
	uint8_t a4[12];
	uint32_t i = 10;
	int failed = 0;
	for (; i < 400 && !failed; i++) {
		struct rec r = mk(i, name, a4);
		if (seg_writer_append(w, &r) < 0)
			failed = 1;
	}
	assert_true(failed);
	i--;	/* record i was not taken */
	assert_int_equal(seg_writer_sync(w), -1);
	seg_writer_stats(w, &st);
	assert_true(st.write_errors > 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* space is back: nothing was lost, the same record goes in */
	for (; i < 450; i++) {
		struct rec r = mk(i, name, a4);
		assert_int_equal(seg_writer_append(w, &r), 0);
	}
	assert_int_equal(seg_writer_close(w), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(check_all(0), 450);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_fault_names_and_kinds),
		cmocka_unit_test_setup_teardown(test_seg_writer_round_trip_and_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_rotates_by_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_rotates_by_age_and_syncs_by_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_sync_every_n, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_recovers_after_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_recovery_drops_headerless_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seg_reader_stops_at_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_reader_resyncs_past_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_reader_rejects_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_name_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_writer_survives_full_disk, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
