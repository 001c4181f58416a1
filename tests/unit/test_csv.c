/*
 * test_csv: RFC 4180 fields for hostile names: quoting, doubled quotes,
 * CR/LF inside quotes, control bytes and invalid UTF-8 as \xNN, formula
 * prefixes, and valid UTF-8 kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static void check(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = csv_field(out, sizeof out, in, n);
	assert_string_equal(out, want);
	assert_int_equal(need, strlen(want));
}

static void test_csv_plain_field_is_unquoted(void **st)
{
	check("www.example.com", 15, "www.example.com");
	check("", 0, "");
}

static void test_csv_comma_quote_crlf_are_quoted(void **st)
{
	check("a,b", 3, "\"a,b\"");
	check("a\"b", 3, "\"a\"\"b\"");
	check("a\nb", 3, "\"a\nb\"");
	check("a\r\nb", 4, "\"a\r\nb\"");
}

static void test_csv_control_bytes_and_backslash_are_escaped(void **st)
{
	check("a\x01" "b", 3, "a\\x01b");
	check("a\0b", 3, "a\\x00b");
	check("tab\there", 8, "tab\\x09here");
	check("a\\x01", 5, "a\\\\x01");
	check("\x7f", 1, "\\x7f");
}

static void test_csv_invalid_utf8_is_escaped_valid_kept(void **st)
{
	check("caf\xc3\xa9", 5, "caf\xc3\xa9");
	check("\xff\xfe", 2, "\\xff\\xfe");
	check("\xc3", 1, "\\xc3");	/* truncated sequence */
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* surrogate */
	check("\xc0\xaf", 2, "\\xc0\\xaf");	/* overlong */
}

static void test_csv_formula_prefix_is_neutralised(void **st)
{
	check("=cmd|' /C calc'!A0", 18, "'=cmd|' /C calc'!A0");
	check("@sum", 4, "'@sum");
	check("-x,y", 4, "\"'-x,y\"");
}

static void test_csv_markup_is_kept_as_text(void **st)
{
	check("<script>alert(1)</script>", 25, "<script>alert(1)</script>");
}

static void test_csv_truncated_output_reports_the_length(void **st)
{
	char out[4];
	assert_int_equal(csv_field(out, sizeof out, "a,bcdef", 7), 9);
	assert_int_equal(strlen(out), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_plain_field_is_unquoted),
		cmocka_unit_test(test_csv_comma_quote_crlf_are_quoted),
		cmocka_unit_test(test_csv_control_bytes_and_backslash_are_escaped),
		cmocka_unit_test(test_csv_invalid_utf8_is_escaped_valid_kept),
		cmocka_unit_test(test_csv_formula_prefix_is_neutralised),
		cmocka_unit_test(test_csv_markup_is_kept_as_text),
		cmocka_unit_test(test_csv_truncated_output_reports_the_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
