/*
 * test_writer: records put on the loop side reach the store, in order
 * and whole; the queue bound drops and counts; a deep copy owns its bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "store.h"
#include "testutil.h"
#include "writer.h"

/*
 * The wall clock as this process sees it: the kernel's plus realtime_ns.
 * With realtime_ns six hours ahead, a deadline taken from CLOCK_REALTIME
 * lies six hours ahead of the kernel's clock, as a deadline taken just
 * before an NTP sync stepped the clock back by six hours does.
 */
static int64_t realtime_ns;

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = (int)syscall(SYS_clock_gettime, id, ts);
	if (rc == 0 && id == CLOCK_REALTIME && realtime_ns) {
		int64_t ns = (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec + realtime_ns;
		ts->tv_sec = (time_t)(ns / 1000000000LL);
		ts->tv_nsec = (long)(ns % 1000000000LL);
	}
	return rc;
}

static char dir[64];
static char err[512];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_writer.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void put_event(struct writer *w, int i, int expect)
{
	char text[64];
	struct rec r = {.type = REC_EVENT};
	int n = snprintf(text, sizeof text, "event %d", i);
	r.u.event.kind = REC_EV_NOTE;
	r.u.event.text = text;
	r.u.event.text_len = (size_t)n;
	rec_stamp(&r);
	assert_int_equal(writer_put(w, &r), expect);
	memset(text, 'X', sizeof text);	/* the writer must have copied it */
}

/* Read every record of the store; check the events are 0..n-1 in order. */
static int count_events(int n_expected)
{
	struct store_listing ls;
	int n = 0;
	assert_int_equal(store_list(dir, &ls), 0);
	for (size_t i = 0; i < ls.n; i++) {
		char path[4096];
		struct seg_reader r;
		struct rec rec;
		uint64_t pos;
		store_seg_path(path, sizeof path, dir, ls.segs[i].name, "tlog");
		assert_int_equal(seg_reader_open(&r, path), 0);
		while (seg_reader_next(&r, &rec, &pos) == 1) {
			if (rec.type != REC_EVENT)
				continue;
			char want[64];
			snprintf(want, sizeof want, "event %d", n);
			assert_int_equal(rec.u.event.text_len, strlen(want));
			assert_memory_equal(rec.u.event.text, want, strlen(want));
			n++;
		}
		seg_reader_close(&r);
	}
	store_listing_free(&ls);
	assert_int_equal(n, n_expected);
	return n;
}

static void test_writer_stores_every_record_in_order(void **state)
{
	struct seg_policy pol = {.no_fsync = 1, .no_index = 1};
	struct writer *w = writer_new(dir, "test", &pol, 100000, err, sizeof err);
	assert_non_null(w);
	assert_int_equal(writer_start(w), 0);
	for (int i = 0; i < 5000; i++) {
		put_event(w, i, 0);
		if (i % 100 == 99)
			writer_kick(w);	/* as the loop does once per iteration */
	}
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.accepted, 5000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(writer_close(w), 0);
	count_events(5000);
}

static void test_writer_queue_bound_drops_and_counts(void **state)
{
	struct seg_policy pol = {.no_fsync = 1, .no_index = 1};
	struct writer *w = writer_new(dir, "test", &pol, 16, err, sizeof err);
	assert_non_null(w);
	/* The thread is not started: nothing drains the queue. */
	for (int i = 0; i < 16; i++)
		put_event(w, i, 0);
	for (int i = 0; i < 4; i++) {
		put_event(w, 100 + i, -1);
		assert_int_equal(errno, ENOBUFS);
	}
	struct writer_stats st;
	writer_stats(w, &st);
	assert_int_equal(st.queued, 16);
	assert_int_equal(st.accepted, 16);
	assert_int_equal(st.dropped, 4);
	assert_int_equal(writer_close(w), 0);
	count_events(16);
}

static void test_writer_sync_and_seal_requests(void **state)
{
	struct seg_policy pol = {.no_fsync = 1, .no_index = 1};
	struct writer *w = writer_new(dir, "test", &pol, 1000, err, sizeof err);
	assert_non_null(w);
	assert_int_equal(writer_start(w), 0);
	put_event(w, 0, 0);
	writer_seal(w);
	struct writer_stats st;
	for (int i = 0; i < 500; i++) {
		writer_stats(w, &st);
		if (st.seg.segments == 1)
			break;
		usleep(2000);
	}
	assert_int_equal(st.seg.segments, 1);
	assert_int_equal(st.stored, 1);
	put_event(w, 1, 0);
	assert_int_equal(writer_close(w), 0);
	count_events(2);
	/* A new writer on the same store: a new segment, nothing lost. */
	w = writer_new(dir, "test", &pol, 1000, err, sizeof err);
	assert_non_null(w);
	put_event(w, 2, 0);
	assert_int_equal(writer_close(w), 0);
	count_events(3);
	struct store_listing ls;
	assert_int_equal(store_list(dir, &ls), 0);
	assert_int_equal(ls.n, 3);
	store_listing_free(&ls);
}

/*
 * The timed fsync keeps its interval when the wall clock has been stepped
 * back (routers step theirs at the first NTP sync): the writer's wait is
 * on the monotonic clock.  With a wait on CLOCK_REALTIME the record below
 * would not be durable for six hours.
 */
static void test_writer_timed_fsync_survives_a_clock_stepped_back(void **state)
{
	struct seg_policy pol = {.no_index = 1, .sync_every_ms = 50};
	struct writer *w = writer_new(dir, "test", &pol, 1000, err, sizeof err);
	assert_non_null(w);
	assert_int_equal(writer_start(w), 0);
	put_event(w, 0, 0);
	writer_kick(w);
	struct writer_stats st;
	for (int i = 0; i < 1000; i++) {	/* the first sync, before the step */
		writer_stats(w, &st);
		if (st.seg.durable == 1)
			break;
		usleep(2000);
	}
	assert_int_equal(st.seg.durable, 1);
	realtime_ns = 6 * 3600 * 1000000000LL;
	usleep(20000);	/* the writer is waiting again, its deadline taken after the step */
	put_event(w, 1, 0);
	writer_kick(w);
	for (int i = 0; i < 1500; i++) {	/* 3 s at most, for a 50 ms interval */
		writer_stats(w, &st);
		if (st.seg.durable == 2)
			break;
		usleep(2000);
	}
	realtime_ns = 0;
	assert_int_equal(st.seg.durable, 2);
	assert_int_equal(writer_close(w), 0);
	count_events(2);
}

static void test_writer_rec_dup_owns_its_bytes(void **state)
{
	char name[] = "flux.example";
	uint8_t a4[8] = {192, 0, 2, 1, 192, 0, 2, 2};
	uint8_t names[] = {3, 'n', 's', '1'};
	struct rec r = tu_dns_a(name, 0, a4, 2);
	r.u.dns.n_names = 1;
	r.u.dns.names = names;
	r.u.dns.names_len = sizeof names;
	struct rec *c = writer_rec_dup(&r);
	assert_non_null(c);
	memset(name, 0, sizeof name);
	memset(a4, 0, sizeof a4);
	memset(names, 0, sizeof names);
	assert_memory_equal(c->u.dns.name, "flux.example", 12);
	assert_int_equal(c->u.dns.a4[4], 192);
	assert_int_equal(c->u.dns.a4[7], 2);
	assert_int_equal(c->u.dns.names[0], 3);
	assert_null(c->u.dns.a6);
	free(c);
	struct rec bad = {.type = 0};
	assert_null(writer_rec_dup(&bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
		T(test_writer_stores_every_record_in_order),
		T(test_writer_queue_bound_drops_and_counts),
		T(test_writer_sync_and_seal_requests),
		T(test_writer_timed_fsync_survives_a_clock_stepped_back),
		cmocka_unit_test(test_writer_rec_dup_owns_its_bytes),
	};
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
