/*
 * test_json: the strict JSON parser (what it accepts, what it rejects and
 * where, escapes, UTF-8, depth and size limits, numbers) and the string
 * writer (hostile strings: quotes, newlines, markup, invalid UTF-8; its
 * output always parses back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

#define NV 256
#define NS 4096

static struct json_val vals[NV];
static char strs[NS];

static int parse_n(struct json_doc *d, const char *s, size_t n, unsigned depth)
{
	json_doc_init(d, vals, NV, strs, sizeof strs, depth);
	return json_parse(d, s, n);
}

static int parse(struct json_doc *d, const char *s)
{
	return parse_n(d, s, strlen(s), 0);
}

/* Parse a one-string document and return the decoded bytes. */
static const struct json_val *parse_str(struct json_doc *d, const char *s)
{
	assert_int_equal(parse(d, s), 0);
	const struct json_val *v = json_root(d);
	assert_non_null(v);
	assert_int_equal(v->type, JSON_STRING);
	return v;
}

static void test_json_accepts_scalars_and_whitespace(void **state)
{
	struct json_doc d;
	(void)state;
	assert_int_equal(parse(&d, "null"), 0);
	assert_int_equal(json_root(&d)->type, JSON_NULL);
	assert_int_equal(parse(&d, " \t\r\ntrue\n"), 0);
	assert_int_equal(json_root(&d)->type, JSON_TRUE);
	assert_int_equal(parse(&d, "false"), 0);
	assert_int_equal(json_root(&d)->type, JSON_FALSE);
	assert_int_equal(parse(&d, "\"\""), 0);
	assert_int_equal(json_root(&d)->type, JSON_STRING);
	assert_int_equal(json_root(&d)->len, 0);
	const char *nums[] = {"0", "-0", "7", "-12", "1.5", "0.25", "1e3", "1E+3", "2e-3", "-1.5E10"};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		assert_int_equal(parse(&d, nums[i]), 0);
		assert_int_equal(json_root(&d)->type, JSON_NUMBER);
		assert_int_equal(json_root(&d)->len, strlen(nums[i]));
	}
}

static void test_json_objects_and_arrays(void **state)
{
	struct json_doc d;
	(void)state;
	const char *t = "{\"a\": [1, \"x\", {}, []], \"b\" : {\"c\": null}, \"a\": 2}";
	assert_int_equal(parse(&d, t), 0);
	const struct json_val *r = json_root(&d);
	assert_int_equal(r->type, JSON_OBJECT);
	assert_int_equal(r->n, 3);
	const struct json_val *a = json_get(&d, r, "a");
	assert_non_null(a);
	assert_int_equal(a->type, JSON_ARRAY);	/* duplicates: the first wins */
	assert_int_equal(a->n, 4);
	const struct json_val *e = json_first(&d, a);
	assert_int_equal(e->type, JSON_NUMBER);
	e = json_next(&d, e);
	assert_int_equal(e->type, JSON_STRING);
	assert_string_equal(e->s, "x");
	e = json_next(&d, e);
	assert_int_equal(e->type, JSON_OBJECT);
	assert_int_equal(e->n, 0);
	assert_null(json_first(&d, e));
	e = json_next(&d, e);
	assert_int_equal(e->type, JSON_ARRAY);
	assert_null(json_next(&d, e));
	const struct json_val *b = json_get(&d, r, "b");
	assert_non_null(b);
	assert_int_equal(json_get(&d, b, "c")->type, JSON_NULL);
	assert_null(json_get(&d, r, "zz"));
	assert_null(json_get(&d, a, "a"));	/* not an object */
	/* offsets of values point into the input */
	assert_int_equal(b->off, (size_t)(strstr(t, "{\"c\"") - t));
}

static void test_json_string_escapes(void **state)
{
	struct json_doc d;
	const struct json_val *v;
	(void)state;
	v = parse_str(&d, "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"");
	assert_int_equal(v->len, 14);
	assert_memory_equal(v->s, "q\" b\\ s/ \b\f\n\r\t", 14);
	v = parse_str(&d, "\"\\u0041\\u00e9\\u20AC\"");
	assert_string_equal(v->s, "A\xc3\xa9\xe2\x82\xac");
	/* a surrogate pair is one 4-byte character */
	v = parse_str(&d, "\"\\ud83d\\ude00\"");
	assert_int_equal(v->len, 4);
	assert_memory_equal(v->s, "\xf0\x9f\x98\x80", 4);
	v = parse_str(&d, "\"\\uDBFF\\uDFFF\"");
	assert_memory_equal(v->s, "\xf4\x8f\xbf\xbf", 4);
	/* \u0000 is a byte of the string, counted by len */
	v = parse_str(&d, "\"a\\u0000b\"");
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->s, "a\0b", 3);
	/* raw UTF-8 passes */
	v = parse_str(&d, "\"b\xc3\xbc" "cher \xf0\x9f\x98\x80\"");
	assert_int_equal(v->len, 12);
	/* keys decode too */
	assert_int_equal(parse(&d, "{\"k\\u0065y\": 1}"), 0);
	assert_non_null(json_get(&d, json_root(&d), "key"));
}

struct bad {
	const char *text;
	size_t col;	/* 0: do not check */
};

static void test_json_rejects_with_column(void **state)
{
	static const struct bad bad[] = {
		{"", 1}, {"   ", 4}, {"{", 2}, {"[", 2}, {"[1,]", 4}, {"[1 2]", 4},
		{"{\"a\":1,}", 8}, {"{\"a\" 1}", 6}, {"{1:2}", 2}, {"{\"a\":}", 6},
		{"01", 2}, {"-", 2}, {"+1", 1}, {".5", 1}, {"1.", 3}, {"1.e3", 3}, {"1e", 3},
		{"1e+", 4}, {"tru", 1}, {"nul", 1}, {"True", 1}, {"NaN", 1}, {"Infinity", 1},
		{"-Infinity", 2}, {"'a'", 1}, {"// c\n1", 1}, {"[1] x", 5}, {"1 2", 3},
		{"\"abc", 5}, {"\"\\x\"", 2}, {"\"\\u12\"", 2}, {"\"\\u12g4\"", 2},
		{"\"\\ud800\"", 2}, {"\"\\udc00\"", 2}, {"\"\\ud800\\u0041\"", 2},
		{"\"\\ud800x\"", 2}, {"\"a\nb\"", 3}, {"\"a\tb\"", 3}, {"\"\x01\"", 2},
		{"\"\xff\"", 2}, {"\"\xc0\xaf\"", 2}, {"\"\xe0\x80\xaf\"", 2},
		{"\"\xed\xa0\x80\"", 2}, {"\"\xf4\x90\x80\x80\"", 2}, {"\"\xc3\"", 2},
		{"\"ok\xe2\x82\"", 4}, {"[\"a\",]", 6}, {"{\"a\":1 \"b\":2}", 8},
		{"\xef\xbb\xbf{}", 1},	/* no byte order mark */
	};
	struct json_doc d;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = parse(&d, bad[i].text);
		if (rc != -1 || !d.err)
			fail_msg("accepted: %s", bad[i].text);
		if (bad[i].col && d.err_col != bad[i].col)
			fail_msg("%s: column %zu (%s), want %zu", bad[i].text, d.err_col, d.err,
				 bad[i].col);
	}
	/* a NUL byte is no whitespace */
	assert_int_equal(parse_n(&d, "1\0", 2, 0), -1);
	assert_int_equal(d.err_col, 2);
}

static void test_json_depth_limit(void **state)
{
	struct json_doc d;
	char t[200];
	(void)state;
	/* depth 4 allows 4 nested containers, not 5 */
	assert_int_equal(parse_n(&d, "[[[[1]]]]", 9, 4), 0);
	assert_int_equal(parse_n(&d, "[[[[[1]]]]]", 11, 4), -1);
	assert_string_equal(d.err, "nesting too deep");
	assert_int_equal(d.err_col, 5);
	assert_int_equal(parse_n(&d, "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", 26, 4), -1);
	/* the default is JSON_DEPTH_DEFAULT */
	memset(t, '[', JSON_DEPTH_DEFAULT);
	memset(t + JSON_DEPTH_DEFAULT, ']', JSON_DEPTH_DEFAULT);
	assert_int_equal(parse_n(&d, t, 2 * JSON_DEPTH_DEFAULT, 0), 0);
	memset(t, '[', JSON_DEPTH_DEFAULT + 1);
	memset(t + JSON_DEPTH_DEFAULT + 1, ']', JSON_DEPTH_DEFAULT + 1);
	assert_int_equal(parse_n(&d, t, 2 * JSON_DEPTH_DEFAULT + 2, 0), -1);
}

static void test_json_size_limits(void **state)
{
	struct json_doc d;
	struct json_val v3[3];
	char s[8];
	(void)state;
	json_doc_init(&d, v3, 3, strs, sizeof strs, 0);
	assert_int_equal(json_parse(&d, "[1,2]", 5), 0);
	assert_int_equal(json_parse(&d, "[1,2,3]", 7), -1);
	assert_string_equal(d.err, "too many values");
	assert_int_equal(d.err_col, 6);
	/* string space: never written past, an error instead */
	json_doc_init(&d, vals, NV, s, sizeof s, 0);
	assert_int_equal(json_parse(&d, "\"1234567\"", 9), 0);
	assert_string_equal(json_root(&d)->s, "1234567");
	assert_int_equal(json_parse(&d, "[\"1234\",\"5678\"]", 15), -1);
	assert_string_equal(d.err, "string space exhausted");
	/* number text is bounded */
	char big[JSON_NUMBER_MAX + 2];
	memset(big, '1', sizeof big);
	json_doc_init(&d, vals, NV, strs, sizeof strs, 0);
	assert_int_equal(json_parse(&d, big, JSON_NUMBER_MAX), 0);
	assert_int_equal(json_parse(&d, big, JSON_NUMBER_MAX + 1), -1);
	assert_string_equal(d.err, "number too long");
	/* no room at all */
	json_doc_init(&d, NULL, 0, strs, sizeof strs, 0);
	assert_int_equal(json_parse(&d, "1", 1), -1);
}

static void test_json_numbers(void **state)
{
	struct json_doc d;
	int64_t i;
	double x;
	(void)state;
	static const struct {
		const char *t;
		int ok;
		int64_t v;
	} ints[] = {
		{"0", 1, 0}, {"-0", 1, 0}, {"1764000000", 1, 1764000000},
		{"9223372036854775807", 1, INT64_MAX}, {"-9223372036854775808", 1, INT64_MIN},
		{"9223372036854775808", 0, 0}, {"-9223372036854775809", 0, 0},
		{"99999999999999999999", 0, 0}, {"1.5", 0, 0}, {"12.0", 1, 12},
		{"1.5e9", 1, 1500000000}, {"1e400", 0, 0}, {"-1e-3", 0, 0}, {"1E2", 1, 100},
	};
	for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
		assert_int_equal(parse(&d, ints[k].t), 0);
		int rc = json_int64(json_root(&d), &i);
		if (ints[k].ok) {
			if (rc != 0 || i != ints[k].v)
				fail_msg("%s: rc %d value %lld", ints[k].t, rc, (long long)i);
		} else if (rc != -1) {
			fail_msg("%s: accepted as an integer", ints[k].t);
		}
	}
	assert_int_equal(parse(&d, "-2.5e-1"), 0);
	assert_int_equal(json_double(json_root(&d), &x), 0);
	assert_true(x == -0.25);
	assert_int_equal(parse(&d, "1e999"), 0);
	assert_int_equal(json_double(json_root(&d), &x), -1);
	assert_int_equal(parse(&d, "\"12\""), 0);
	assert_int_equal(json_int64(json_root(&d), &i), -1);
	assert_int_equal(json_double(json_root(&d), &x), -1);
}

static void test_json_utf8_valid(void **state)
{
	(void)state;
	assert_int_equal(json_utf8_valid("", 0), 1);
	assert_int_equal(json_utf8_valid("plain", 5), 1);
	assert_int_equal(json_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 1);
	assert_int_equal(json_utf8_valid("\xc3", 1), 0);
	assert_int_equal(json_utf8_valid("\x80", 1), 0);
	assert_int_equal(json_utf8_valid("\xc1\xbf", 2), 0);	/* overlong */
	assert_int_equal(json_utf8_valid("\xed\xbf\xbf", 3), 0);	/* surrogate */
	assert_int_equal(json_utf8_valid("\xf5\x80\x80\x80", 4), 0);
	assert_int_equal(json_utf8_valid("\xfe", 1), 0);
}

static char out[1024];

static const char *esc(const void *s, size_t n)
{
	size_t need = json_escape(out, sizeof out, s, n);
	assert_true(need < sizeof out);
	assert_int_equal(strlen(out), need);
	return out;
}

static void test_json_writer_escapes_hostile_strings(void **state)
{
	(void)state;
	assert_string_equal(esc("", 0), "\"\"");
	assert_string_equal(esc("plain.example", 13), "\"plain.example\"");
	assert_string_equal(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(esc("l1\nl2\r\t\b\f", 9), "\"l1\\nl2\\r\\t\\b\\f\"");
	assert_string_equal(esc("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
	assert_string_equal(esc("a\0b", 3), "\"a\\u0000b\"");
	assert_string_equal(esc("<script>alert(1)</script>&amp;", 30),
			    "\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u0026amp;\"");
	assert_string_equal(esc("x\",\"y\":\"z", 9), "\"x\\\",\\\"y\\\":\\\"z\"");
	/* valid UTF-8 stays; U+2028/2029 are escaped for JavaScript */
	assert_string_equal(esc("b\xc3\xbc" "cher", 7), "\"b\xc3\xbc" "cher\"");
	assert_string_equal(esc("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
	assert_string_equal(esc("a\xe2\x80\xa8z\xe2\x80\xa9", 8), "\"a\\u2028z\\u2029\"");
	/* bytes that are not valid UTF-8: each as \u00XX */
	assert_string_equal(esc("\xff", 1), "\"\\u00ff\"");
	assert_string_equal(esc("a\xc3", 2), "\"a\\u00c3\"");
	assert_string_equal(esc("\xc3(", 2), "\"\\u00c3(\"");
	assert_string_equal(esc("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
	assert_string_equal(esc("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
	assert_string_equal(esc("\xe2\x82", 2), "\"\\u00e2\\u0082\"");
}

static void test_json_writer_truncates_like_snprintf(void **state)
{
	char small[6];
	(void)state;
	size_t need = json_escape(small, sizeof small, "abcdef", 6);
	assert_int_equal(need, 8);
	assert_string_equal(small, "\"abcd");
	need = json_escape(small, sizeof small, "\n", 1);
	assert_int_equal(need, 4);
	assert_string_equal(small, "\"\\n\"");
	assert_int_equal(json_escape(NULL, 0, "<", 1), 8);
}

static void test_json_writer_to_stream(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	(void)state;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(json_put_str(f, "a\nb<\xff", 5), 0);
	fclose(f);
	assert_string_equal(buf, "\"a\\nb\\u003c\\u00ff\"");
	free(buf);
}

static uint32_t rng = 0x9e3779b9u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/*
 * Whatever the bytes, the writer's output is one valid JSON string with no
 * raw control character, quote-breaking or markup byte; for valid UTF-8
 * input it decodes back to exactly the input.
 */
static void test_json_writer_output_always_parses(void **state)
{
	static const char alphabet[] = "a\"\\\n\r\t<>&/,:{}[]\x01\x7f\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\xff";
	uint8_t in[64];
	struct json_doc d;
	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = rnd() % sizeof in;
		for (size_t i = 0; i < n; i++)
			in[i] = round & 1 ? (uint8_t)rnd() : (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
		size_t need = json_escape(out, sizeof out, in, n);
		assert_true(need < sizeof out);
		for (size_t i = 0; i < need; i++) {
			unsigned char c = (unsigned char)out[i];
			assert_true(c >= 0x20 && c != 0x7f && c != '<' && c != '>' && c != '&');
		}
		if (parse_n(&d, out, need, 0) != 0)
			fail_msg("writer output does not parse: %s (%s)", out, d.err);
		const struct json_val *v = json_root(&d);
		assert_int_equal(v->type, JSON_STRING);
		if (json_utf8_valid(in, n)) {
			assert_int_equal(v->len, n);
			assert_memory_equal(v->s, in, n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_accepts_scalars_and_whitespace),
		cmocka_unit_test(test_json_objects_and_arrays),
		cmocka_unit_test(test_json_string_escapes),
		cmocka_unit_test(test_json_rejects_with_column),
		cmocka_unit_test(test_json_depth_limit),
		cmocka_unit_test(test_json_size_limits),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_utf8_valid),
		cmocka_unit_test(test_json_writer_escapes_hostile_strings),
		cmocka_unit_test(test_json_writer_truncates_like_snprintf),
		cmocka_unit_test(test_json_writer_to_stream),
		cmocka_unit_test(test_json_writer_output_always_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
