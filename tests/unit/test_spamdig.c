/*
 * test_spamdig: the spamtrap's digest memory: repeats found, the oldest
 * forgotten at the bound (and only it, through many evictions, so the
 * index's deletions keep every other digest findable), the memory back
 * after a reopen, the file kept under twice the bound, a torn tail and a
 * foreign file survived.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spamdig.h"
#include "testutil.h"

static void dg(uint8_t out[32], uint32_t k)
{
	/* digests whose first bytes collide often: long probe clusters */
	memset(out, 0, 32);
	out[0] = (uint8_t)(k % 7);
	memcpy(out + 8, &k, 4);
}

static void test_spamdig_repeats_and_bound(void **state)
{
	(void)state;
	struct spamdig d;
	uint8_t x[32];
	assert_int_equal(spamdig_init(&d, SPAMDIG_MIN, NULL), 0);
	for (uint32_t k = 0; k < 3000; k++) {
		dg(x, k);
		assert_int_equal(spamdig_seen(&d, x), 0);
		assert_int_equal(spamdig_seen(&d, x), 1);
		/* the last SPAMDIG_MIN are remembered, the one before is not */
		if (k >= SPAMDIG_MIN) {
			dg(x, k - SPAMDIG_MIN + 1);
			assert_int_equal(spamdig_seen(&d, x), 1);
		}
	}
	size_t found = 0;
	for (uint32_t k = 0; k < 3000; k++) {
		dg(x, k);
		if (k < 3000 - SPAMDIG_MIN) {
			/* forgotten: seeing it now remembers it and evicts another */
			continue;
		}
		found += spamdig_seen(&d, x);
	}
	assert_int_equal(found, SPAMDIG_MIN);
	spamdig_fini(&d);
}

static void test_spamdig_persists_and_stays_bounded(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), p[4200];
	snprintf(p, sizeof p, "%s/digests", dir);
	struct spamdig d;
	uint8_t x[32];
	assert_int_equal(spamdig_init(&d, SPAMDIG_MIN, p), 0);
	for (uint32_t k = 0; k < 5 * SPAMDIG_MIN; k++) {
		dg(x, k);
		assert_int_equal(spamdig_seen(&d, x), 0);
	}
	spamdig_fini(&d);
	assert_true(tu_file_size(p) <= 8 + 2 * SPAMDIG_MIN * 32);
	/* a torn last digest, as a crash mid-write leaves it */
	int fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "torn", 4), 4);
	close(fd);
	assert_int_equal(spamdig_init(&d, SPAMDIG_MIN, p), 0);
	dg(x, 5 * SPAMDIG_MIN - 1);
	assert_int_equal(spamdig_seen(&d, x), 1);
	dg(x, 4 * SPAMDIG_MIN);
	assert_int_equal(spamdig_seen(&d, x), 1);
	dg(x, 4 * SPAMDIG_MIN - 1);
	assert_int_equal(spamdig_seen(&d, x), 0);	/* older than the bound */
	spamdig_fini(&d);
	assert_int_equal(tu_file_size(p) % 32, 8);	/* the torn tail was cut */
	/* not a digest file: started afresh, not trusted */
	FILE *f = fopen(p, "w");
	fputs("something else entirely, long enough to look like digests......\n", f);
	fclose(f);
	assert_int_equal(spamdig_init(&d, SPAMDIG_MIN, p), 0);
	dg(x, 5 * SPAMDIG_MIN - 1);
	assert_int_equal(spamdig_seen(&d, x), 0);
	spamdig_fini(&d);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spamdig_repeats_and_bound),
		cmocka_unit_test(test_spamdig_persists_and_stays_bounded),
	};
	return cmocka_run_group_tests_name("spamdig", tests, NULL, NULL);
}
