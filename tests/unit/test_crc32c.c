/* Unit tests for store/crc32c.c: known vectors, both implementations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crc32c.h"

uint32_t crc32c_soft(uint32_t crc, const void *p, size_t n);

static void test_crc32c_vectors(void **state)
{
	/* RFC 3720 B.4 and the usual check value */
	uint8_t zeros[32], ones[32], inc[32], dec[32];
	memset(zeros, 0, 32);
	memset(ones, 0xff, 32);
	for (int i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283);
	assert_int_equal(crc32c(0, zeros, 32), 0x8A9136AA);
	assert_int_equal(crc32c(0, ones, 32), 0x62A8AB43);
	assert_int_equal(crc32c(0, inc, 32), 0x46DD794E);
	assert_int_equal(crc32c(0, dec, 32), 0x113FDB5C);
	assert_int_equal(crc32c_soft(0, "123456789", 9), 0xE3069283);
	assert_int_equal(crc32c_soft(0, dec, 32), 0x113FDB5C);
}

static void test_crc32c_incremental_and_unaligned(void **state)
{
	uint8_t buf[1031];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	uint32_t whole = crc32c(0, buf, sizeof buf);
	assert_int_equal(crc32c_soft(0, buf, sizeof buf), whole);
	for (size_t cut = 0; cut < 40; cut++) {
		uint32_t a = crc32c(crc32c(0, buf, cut), buf + cut, sizeof buf - cut);
		assert_int_equal(a, whole);
		/* unaligned starts agree between the paths */
		assert_int_equal(crc32c(0, buf + cut, 100), crc32c_soft(0, buf + cut, 100));
	}
	buf[500] ^= 1;
	assert_int_not_equal(crc32c(0, buf, sizeof buf), whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_crc32c_incremental_and_unaligned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
