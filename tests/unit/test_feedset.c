/*
 * test_feedset: a source's last list in state/ and the diff against a new
 * list: first fetch all listed, then exactly the added and removed
 * entries (checked against sets the test keeps), duplicates dropped, a
 * damaged or foreign file refused, an aborted build leaving the old set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "feedset.h"

static char dir[64];

static int setup(void **st)
{
	strcpy(dir, "/tmp/test_feedset.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

/* Build a set of names "e<i>.example" for i in [lo, hi) (each twice), commit. */
static void build(const char *src, int lo, int hi, int commit)
{
	static struct feedset_build b;
	char v[32];
	assert_int_equal(feedset_build_open(&b, dir, src), 0);
	for (int rep = 0; rep < 2; rep++)
		for (int i = lo; i < hi; i++) {
			int n = snprintf(v, sizeof v, "e%d.example", i);
			assert_int_equal(feedset_build_add(&b, 1, v, (size_t)n, NULL, 0), 0);
		}
	assert_int_equal(feedset_build_seal(&b), 0);
	assert_int_equal(feedset_build_count(&b), (size_t)(hi - lo));
	if (commit)
		assert_int_equal(feedset_build_commit(&b), 0);
	else
		feedset_build_abort(&b);
}

/* Diff a new list [lo, hi) against the stored set; count and check each change. */
static void diff(const char *src, int lo, int hi, int old_lo, int old_hi, int have_old)
{
	static struct feedset_build b;
	struct feedset old;
	struct feedset_diff d;
	struct feedset_change c;
	char v[32];
	int r = feedset_open(&old, dir, src);
	assert_int_equal(r, have_old);
	assert_int_equal(feedset_build_open(&b, dir, src), 0);
	for (int i = hi - 1; i >= lo; i--) {	/* another order than the old one */
		int n = snprintf(v, sizeof v, "e%d.example", i);
		assert_int_equal(feedset_build_add(&b, 1, v, (size_t)n, "h.example", 9), 0);
	}
	assert_int_equal(feedset_build_seal(&b), 0);
	feedset_diff_init(&d, r == 1 ? &old : NULL, &b);
	int added = 0, removed = 0;
	while ((r = feedset_diff_next(&d, &c)) == 1) {
		int i;
		assert_int_equal(c.kind, 1);
		assert_int_equal(sscanf(c.value, "e%d.example", &i), 1);
		if (c.listed) {
			assert_true(i >= lo && i < hi && !(have_old && i >= old_lo && i < old_hi));
			assert_int_equal(c.host_len, 9);
			added++;
		} else {
			assert_true(i >= old_lo && i < old_hi && !(i >= lo && i < hi));
			removed++;
		}
	}
	assert_int_equal(r, 0);
	int overlap = 0;
	for (int i = lo; i < hi; i++)
		overlap += have_old && i >= old_lo && i < old_hi;
	assert_int_equal(added, (hi - lo) - overlap);
	assert_int_equal(removed, have_old ? (old_hi - old_lo) - overlap : 0);
	assert_int_equal(d.same, (uint64_t)overlap);
	assert_int_equal(feedset_build_commit(&b), 0);
	feedset_close(&old);
}

static void test_feedset_first_fetch_lists_all_then_diffs(void **st)
{
	diff("src", 0, 500, 0, 0, 0);
	diff("src", 100, 700, 0, 500, 1);
	diff("src", 100, 700, 100, 700, 1);	/* the same list: no change */
	diff("src", 0, 0, 100, 700, 1);		/* an empty list delists all */
}

static void test_feedset_abort_keeps_old_set(void **st)
{
	build("keep", 0, 50, 1);
	build("keep", 0, 10, 0);
	diff("keep", 0, 50, 0, 50, 1);
}

static void test_feedset_damage_is_refused(void **st)
{
	struct feedset s;
	char p[128];
	build("dmg", 0, 20, 1);
	snprintf(p, sizeof p, "%s/dmg.set", dir);
	FILE *f = fopen(p, "r+b");
	assert_non_null(f);
	fseek(f, -3, SEEK_END);
	fputc('X', f);
	fclose(f);
	assert_int_equal(feedset_open(&s, dir, "dmg"), -1);
	f = fopen(p, "wb");
	fputs("not a set at all, but long enough for a header", f);
	fclose(f);
	assert_int_equal(feedset_open(&s, dir, "dmg"), -1);
	assert_int_equal(feedset_open(&s, dir, "none"), 0);
}

/*
 * Entries of every length a URL may have, around the size of the first,
 * short read-back and up to the longest, with and without a host: each
 * listed change is the value added, byte for byte.
 */
static void test_feedset_long_entries_read_back_whole(void **st)
{
	static const size_t lens[] = {1, 100, 140, 150, 151, 152, 155, 159, 160, 161, 300, 4095, 4096};
	static struct feedset_build b;
	static char v[4096];
	struct feedset_diff d;
	struct feedset_change c;
	size_t n = sizeof lens / sizeof lens[0];
	int seen[sizeof lens / sizeof lens[0]] = {0};
	assert_int_equal(feedset_build_open(&b, dir, "long"), 0);
	for (size_t i = 0; i < n; i++) {
		memset(v, 'a' + (int)i, lens[i]);
		assert_int_equal(feedset_build_add(&b, 3, v, lens[i], i & 1 ? "h.example" : NULL,
						   i & 1 ? 9 : 0), 0);
	}
	assert_int_equal(feedset_build_seal(&b), 0);
	feedset_diff_init(&d, NULL, &b);
	int r;
	while ((r = feedset_diff_next(&d, &c)) == 1) {
		assert_true(c.listed);
		size_t i = (size_t)(c.value[0] - 'a');
		assert_true(i < n);
		assert_int_equal(c.len, lens[i]);
		for (size_t k = 0; k < c.len; k++)
			assert_int_equal(c.value[k], 'a' + (int)i);
		assert_int_equal(c.host_len, i & 1 ? 9 : 0);
		seen[i]++;
	}
	assert_int_equal(r, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seen[i], 1);
	feedset_build_abort(&b);
}

/*
 * The pairs' sort at every depth (heapsort alone, quicksort cut short,
 * quicksort whole) against qsort, on pairs with many equal hashes, some
 * in order already and some reversed.
 */
static int ref_cmp(const void *a, const void *b)
{
	const struct fs_pair *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void test_feedset_pairs_sort(void **st)
{
	enum { N = 5000 };
	static struct fs_pair a[N], want[N];
	uint64_t x = 88172645463325252ull;
	static const size_t ns[] = {0, 1, 2, 15, 16, 17, 100, N};
	static const unsigned depths[] = {0, 1, 3, 100};
	for (size_t t = 0; t < sizeof ns / sizeof *ns; t++)
		for (int shape = 0; shape < 3; shape++)
			for (size_t k = 0; k < sizeof depths / sizeof *depths; k++) {
				size_t n = ns[t];
				for (size_t i = 0; i < n; i++) {
					x ^= x << 13, x ^= x >> 7, x ^= x << 17;
					a[i].hash = shape == 0 ? x % 97 : shape == 1 ? i / 3 : n - i;
					a[i].off = (uint32_t)(shape == 0 ? x >> 40 : i);
				}
				memcpy(want, a, sizeof *a * n);
				qsort(want, n, sizeof *want, ref_cmp);
				feedset_pairs_sort(a, n, depths[k]);
				for (size_t i = 0; i < n; i++) {
					assert_int_equal(a[i].hash, want[i].hash);
					assert_int_equal(a[i].off, want[i].off);
				}
			}
}

static void test_feedset_names(void **st)
{
	assert_true(feedset_name_ok("spamhaus-drop"));
	assert_true(feedset_name_ok("a.b_c"));
	assert_false(feedset_name_ok(""));
	assert_false(feedset_name_ok(".hidden"));
	assert_false(feedset_name_ok("a/b"));
	assert_false(feedset_name_ok("../x"));
	struct feedset_build b;
	assert_int_equal(feedset_build_open(&b, dir, "a/b"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedset_first_fetch_lists_all_then_diffs),
		cmocka_unit_test(test_feedset_abort_keeps_old_set),
		cmocka_unit_test(test_feedset_damage_is_refused),
		cmocka_unit_test(test_feedset_long_entries_read_back_whole),
		cmocka_unit_test(test_feedset_pairs_sort),
		cmocka_unit_test(test_feedset_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
