/*
 * test_clock: store/clock.h's clock_us_to_s, the seconds libev's timers
 * take, against the plain division on values across its range: negative
 * and zero give 0, large ones stop at INT32_MAX s, and in between the
 * result is the duration to within a microsecond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clock.h"

static void near(int64_t us, double want)
{
	double got = clock_us_to_s(us);
	if (got < want - 1e-6 || got > want + 1e-6)
		fail_msg("clock_us_to_s(%lld) = %.9f, want %.9f", (long long)us, got, want);
}

static void test_clock_us_to_s(void **state)
{
	(void)state;
	near(0, 0);
	near(-1, 0);
	near(INT64_MIN, 0);
	near(1, 1e-6);
	near(999999, 0.999999);
	near(1000000, 1);
	near(1500000, 1.5);
	near(86400000000LL, 86400);
	near((int64_t)1 << 40, (double)((int64_t)1 << 40) / 1e6);
	near(2147483646999999LL, 2147483646.999999);
	near(2147483647000000LL, 2147483647.0);
	near(INT64_MAX, 2147483647.0);
	for (int64_t us = 3; us < ((int64_t)1 << 50); us = us * 7 + 1)
		near(us, (double)us / 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_us_to_s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
