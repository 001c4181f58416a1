/*
 * test_dnstype: store/dnstype.c both ways.  Every type 0..65535 is named
 * and the name parsed back to the same type; the names held in the table
 * (the longest ones too) are whole, NUL-terminated strings; mnemonics in
 * any case, "*" and RFC 3597's TYPEnnn parse, and malformed ones do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnstype.h"

static uint16_t parse_ok(const char *s)
{
	uint16_t t = 0;
	assert_int_equal(dnstype_parse(s, strlen(s), &t), 0);
	return t;
}

static void test_dnstype_every_type_round_trips(void **state)
{
	(void)state;
	unsigned named = 0;
	for (uint32_t t = 0; t <= 65535; t++) {
		char buf[DNSTYPE_NAME_MAX];
		const char *n = dnstype_name((uint16_t)t, buf);
		size_t len = strnlen(n, DNSTYPE_NAME_MAX);
		assert_true(len > 0 && len < DNSTYPE_NAME_MAX);
		if (n != buf)
			named++;
		uint16_t back = 0;
		assert_int_equal(dnstype_parse(n, len, &back), 0);
		assert_int_equal(back, t);
	}
	assert_true(named >= 80);	/* the table is there, not only TYPEnnn */
}

static void test_dnstype_names(void **state)
{
	(void)state;
	char buf[DNSTYPE_NAME_MAX];
	assert_string_equal(dnstype_name(1, buf), "A");
	assert_string_equal(dnstype_name(28, buf), "AAAA");
	assert_string_equal(dnstype_name(51, buf), "NSEC3PARAM");
	assert_string_equal(dnstype_name(61, buf), "OPENPGPKEY");
	assert_string_equal(dnstype_name(260, buf), "AMTRELAY");
	assert_string_equal(dnstype_name(32769, buf), "DLV");
	assert_string_equal(dnstype_name(54, buf), "TYPE54");
	assert_string_equal(dnstype_name(65535, buf), "TYPE65535");
	assert_int_equal(parse_ok("aaaa"), 28);
	assert_int_equal(parse_ok("Nsec3Param"), 51);
	assert_int_equal(parse_ok("*"), 255);
	assert_int_equal(parse_ok("type99"), 99);
	uint16_t t = 7;
	const char *bad[] = {"", "AAAAA", "NSEC3PARAMS", "TYPE", "TYPE01", "TYPE65536",
			     "TYPE1x", "TYPE123456", "A "};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(dnstype_parse(bad[i], strlen(bad[i]), &t), -1);
	assert_int_equal(t, 7);
	/* only the n bytes given are read */
	assert_int_equal(dnstype_parse("AAAA", 1, &t), 0);
	assert_int_equal(t, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnstype_every_type_round_trips),
		cmocka_unit_test(test_dnstype_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
