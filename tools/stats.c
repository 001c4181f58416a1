/*
 * stats: `tip stats STORE...`: what a store holds, one block per store:
 *
 *   store: DIR
 *   sensor: ID
 *   segments: N (S sealed, A active)
 *   records: TOTAL (dns N, enrich N, score N, event N, feed N, spam N, other N)
 *   bytes: N in segments, N in indexes
 *   time: FIRST .. LAST            (ISO 8601 UTC; "time: none" when empty)
 *
 * A sealed segment whose index matches it is counted from the index's
 * meta data (no read of the segment); any other is scanned.  The time
 * range runs from the earliest record to the latest last-seen time.
 * Faults met while scanning go to stderr as FILE:OFFSET: reason (the torn
 * tail of the active segment as a warning).  Exit 0, 1 when there was a
 * fault, 2 on a usage error.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cdefs.h"
#include "index.h"
#include "seg.h"
#include "agg.h"
#include "store.h"
#include "tip.h"
#include "util.h"

struct tally {
	uint64_t per_type[8];	/* types 1..7; 0 other */
	uint64_t records;
	uint64_t seg_bytes, idx_bytes;
	size_t sealed, active;
	int64_t first, last;
	int any;
	int faults;
};

static void span(struct tally *t, int64_t first, int64_t last)
{
	if (!t->any || first < t->first)
		t->first = first;
	if (!t->any || last > t->last)
		t->last = last;
	t->any = 1;
}

/* Count one sealed segment from its index: 1 done, 0 scan it instead. */
static int from_index(struct tally *t, const char *sp, const char *cp)
{
	struct index ix;
	struct seg_reader r;
	int ok = 0;
	if (index_open(&ix, cp) < 0)
		return 0;
	if (seg_reader_open(&r, sp) == 0) {
		const struct index_meta *m = &ix.meta;
		if (m->seg_size == r.size && r.size >= 4 && m->seal_off <= r.size - 4 &&
		    index_matches(&ix, r.map, r.size)) {
			for (int i = 0; i < 8; i++)
				t->per_type[i] += m->per_type[i];
			t->records += m->records;
			if (m->records)
				span(t, m->ts_first_us, m->ts_last_us);
			ok = 1;
		}
		seg_reader_close(&r);
	}
	index_close(&ix);
	return ok;
}

struct scan_ctx {
	struct tally *t;
	const char *sp;
	int newest, has_index;
};

static int count_rec(void *ctx, const struct rec *rec, uint64_t pos TIP_UNUSED)
{
	struct scan_ctx *sc = ctx;
	sc->t->per_type[rec->type < 8 ? rec->type : 0]++;
	return 0;
}

/* A torn tail of the active segment is a write in progress: a warning. */
static void scan_fault(void *ctx, const struct seg_reader *r)
{
	struct scan_ctx *sc = ctx;
	int warn = sc->newest && !sc->has_index && !r->sealed &&
		   r->fault_kind == SEG_FAULT_TORN_TAIL;
	util_fault(stderr, sc->sp, r->fault_off, warn, "%s", r->fault);
	sc->t->faults += !warn;
}

static void scan(struct tally *t, const char *sp, int newest, int has_index)
{
	struct seg_reader r;
	if (seg_reader_open(&r, sp) < 0) {
		int warn = newest && !has_index;
		util_fault(stderr, sp, 0, warn, "%s", r.fault ? r.fault : "cannot open");
		t->faults += !warn;
		t->active += (size_t)warn;
		return;
	}
	struct scan_ctx sc = {t, sp, newest, has_index};
	struct seg_summary sum;
	seg_scan(&r, &sum, count_rec, scan_fault, &sc);
	t->records += sum.records;
	if (sum.records)
		span(t, sum.first_us, sum.last_us);
	if (r.sealed || !newest)
		t->sealed++;
	else
		t->active++;
	seg_reader_close(&r);
}

static int stats_store(const char *dir, const char *id, int first_block)
{
	struct store_listing ls;
	struct tally t;
	char sp[4200], cp[4200], a[UTIL_TIME_MAX], b[UTIL_TIME_MAX];
	struct stat sb;

	memset(&t, 0, sizeof t);
	if (store_list(dir, &ls) < 0) {
		util_fault(stderr, dir, 0, 0, "cannot list log/");
		return 1;
	}
	for (size_t i = 0; i < ls.n; i++) {
		const struct store_seg *s = &ls.segs[i];
		store_seg_path(sp, sizeof sp, dir, s->name, "tlog");
		store_seg_path(cp, sizeof cp, dir, s->name, "cdb");
		t.seg_bytes += s->size;
		if (s->has_index && stat(cp, &sb) == 0)
			t.idx_bytes += (uint64_t)sb.st_size;
		if (s->has_index && from_index(&t, sp, cp)) {
			t.sealed++;
			continue;
		}
		scan(&t, sp, i + 1 == ls.n, s->has_index);
	}
	if (!first_block)
		putchar('\n');
	fputs("store: ", stdout);
	util_put_text(stdout, dir, strlen(dir));
	printf("\nsensor: %s\n", id);
	printf("segments: %zu (%zu sealed, %zu active)\n", ls.n, t.sealed, t.active);
	printf("records: %llu (", (unsigned long long)t.records);
	for (int ty = 1; ty <= 6; ty++)
		printf("%s %llu, ", rec_type_name((uint8_t)ty), (unsigned long long)t.per_type[ty]);
	printf("other %llu)\n", (unsigned long long)(t.per_type[0] + t.per_type[7]));
	printf("bytes: %llu in segments, %llu in indexes\n", (unsigned long long)t.seg_bytes,
	       (unsigned long long)t.idx_bytes);
	if (!t.any)
		printf("time: none\n");
	else if (util_fmt_time(a, sizeof a, t.first) == 0 && util_fmt_time(b, sizeof b, t.last) == 0)
		printf("time: %s .. %s\n", a, b);
	else
		printf("time: %lld .. %lld (microseconds, outside years 0-9999)\n",
		       (long long)t.first, (long long)t.last);
	store_listing_free(&ls);
	return t.faults ? 1 : 0;
}

int cmd_stats(int argc, char **argv)
{
	struct store_set set = {0};
	int rc = 0, opts = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts && !strcmp(a, "--")) {
			opts = 0;
			continue;
		}
		if (opts && a[0] == '-') {
			if (strcmp(a, "-h") && strcmp(a, "--help")) {
				fprintf(stderr, "tip stats: unknown option: ");
				util_put_text(stderr, a, strlen(a));
				fprintf(stderr, "\n");
			}
			store_set_free(&set);
			return tip_usage("stats");
		}
		if (agg_cli_store(&set, "stats", a) < 0) {
			store_set_free(&set);
			return 2;
		}
	}
	if (!set.n) {
		store_set_free(&set);
		return tip_usage("stats");
	}
	for (size_t i = 0; i < set.n; i++)
		rc |= stats_store(set.dirs[i], set.ids[i], i == 0);
	store_set_free(&set);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "tip stats: write error on stdout\n");
		return 2;
	}
	return rc;
}
